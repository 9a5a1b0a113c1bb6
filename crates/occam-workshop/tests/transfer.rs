//! The transfer function against an in-process occam over the wire: success, each business error, OCC
//! conflicts retried (counted) or surfaced, and the stress test's bookkeeping.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use occam_workshop::connect::Connector;
use occam_workshop::invoke::FunctionClient;
use occam_workshop::local::{self, LocalServer};
use occam_workshop::pool::Pool;
use occam_workshop::stress::{self, StressConfig};
use occam_workshop::transfer::{BeforeCommit, Request, RetryPolicy, TransferFunction};
use tokio_postgres::{Client, NoTls};

struct Setup {
    server: LocalServer,
    client: Client,
}

async fn setup() -> Setup {
    let server = LocalServer::start(None).await.expect("start occam");
    let client = connect(&server).await;
    assert!(local::create_schema(&client).await.expect("schema"));
    // A second call finds the schema and leaves it alone.
    assert!(!local::create_schema(&client).await.expect("schema again"));
    Setup { server, client }
}

async fn connect(server: &LocalServer) -> Client {
    let (client, connection) = server.config().connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

impl Setup {
    fn function(&self, retry: RetryPolicy) -> TransferFunction {
        TransferFunction::new(Pool::new(self.server.config(), 4), retry)
    }

    async fn balance(&self, id: i32) -> i32 {
        self.client.query_one("SELECT balance FROM accounts WHERE id = $1", &[&id]).await.unwrap().get(0)
    }

    async fn history(&self) -> i64 {
        self.client.query_one("SELECT count(*) FROM transactions", &[]).await.unwrap().get(0)
    }

    /// A hook that, before the COMMIT of each of the first `conflicts` attempts, commits a write of
    /// account `id` from another connection, so that the attempt's COMMIT fails with 40001.
    fn conflicting_writer(&self, id: i32, conflicts: u32) -> (BeforeCommit, Arc<AtomicU32>) {
        let config = self.server.config();
        let calls = Arc::new(AtomicU32::new(0));
        let seen = calls.clone();
        let hook: BeforeCommit = Arc::new(move |retry| {
            let config = config.clone();
            let seen = seen.clone();
            Box::pin(async move {
                seen.fetch_add(1, Ordering::SeqCst);
                if retry < conflicts {
                    let (client, connection) = config.connect(NoTls).await.unwrap();
                    tokio::spawn(connection);
                    client.execute("UPDATE accounts SET balance = balance + 0 WHERE id = $1", &[&id]).await.unwrap();
                }
            })
        });
        (hook, calls)
    }
}

#[tokio::test]
async fn transfer_commits_and_records_history() {
    let s = setup().await;
    let f = s.function(RetryPolicy::Immediate);
    let response = f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }).await.unwrap();
    assert_eq!(response.balance, Some(90));
    assert_eq!((response.error.as_deref(), response.error_code.as_deref(), response.retries), (None, None, 0));
    assert_eq!((s.balance(1).await, s.balance(2).await), (90, 110));
    assert_eq!(s.history().await, 1);

    // The JSON shape of the talk: {"balance":80,"duration":..,"retries":0}.
    let json = f.invoke_json(r#"{"payer_id":1,"payee_id":2,"amount":10}"#).await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["balance", "duration", "retries"]);
    assert_eq!(value["balance"], 80);
    assert_eq!(value["retries"], 0);
    let row = s
        .client
        .query_one("SELECT payer_id, payee_id, amount FROM transactions ORDER BY created_at DESC LIMIT 1", &[])
        .await
        .unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, i32>(1), row.get::<_, i32>(2)), (1, 2, 10));
    assert!(f.invoke_json("{\"payer_id\":1}").await.is_err(), "a payload without payee and amount is refused");
}

#[tokio::test]
async fn business_errors_roll_back() {
    let s = setup().await;
    let f = s.function(RetryPolicy::Immediate);
    for (request, message) in [
        (Request { payer_id: 5000, payee_id: 2, amount: 10 }, "Payer account not found"),
        (Request { payer_id: 1, payee_id: 2, amount: 101 }, "Insufficient balance"),
        (Request { payer_id: 1, payee_id: 5000, amount: 10 }, "Payee account not found"),
    ] {
        let response = f.invoke(request).await.unwrap();
        assert_eq!(response.error.as_deref(), Some(message), "{request:?}");
        assert_eq!((response.balance, response.error_code.as_deref(), response.retries), (None, None, 0));
        let json: serde_json::Value = serde_json::to_value(&response).unwrap();
        assert_eq!(json["error"], message);
        assert!(json.get("errorCode").is_none() && json.get("balance").is_none());
    }
    // Nothing of the refused transfers stuck: the debits were rolled back with the rest.
    assert_eq!((s.balance(1).await, s.balance(2).await), (100, 100));
    assert_eq!(s.history().await, 0);
    // The whole balance may go (the talk refuses only a negative one), and the connection is still usable.
    let response = f.invoke(Request { payer_id: 1, payee_id: 2, amount: 100 }).await.unwrap();
    assert_eq!(response.balance, Some(0));
}

#[tokio::test]
async fn conflicts_are_retried_and_counted() {
    let s = setup().await;
    let (hook, attempts) = s.conflicting_writer(1, 2);
    let f = s.function(RetryPolicy::Immediate).with_before_commit(hook);
    let response = f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }).await.unwrap();
    assert_eq!(response.balance, Some(90));
    assert_eq!(response.retries, 2);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!((s.balance(1).await, s.balance(2).await), (90, 110));
    assert_eq!(s.history().await, 1, "the failed attempts' history rows were not committed");
}

#[tokio::test]
async fn conflicts_are_retried_with_backoff() {
    let s = setup().await;
    let (hook, _) = s.conflicting_writer(2, 3);
    let retry = RetryPolicy::Backoff { base: Duration::from_millis(5), max: Duration::from_millis(20) };
    let f = s.function(retry).with_before_commit(hook);
    let response = f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }).await.unwrap();
    assert_eq!((response.balance, response.retries), (Some(90), 3));
    // Three waits of at least 5, 10 and 20 ms.
    assert!(response.duration >= 35, "duration {}", response.duration);
}

#[tokio::test]
async fn retries_off_surfaces_40001() {
    let s = setup().await;
    let (hook, attempts) = s.conflicting_writer(1, 1);
    let f = s.function(RetryPolicy::Off).with_before_commit(hook);
    let json = f.invoke_json(r#"{"payer_id":1,"payee_id":2,"amount":10}"#).await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["errorCode"], "40001");
    assert_eq!(value["error"], "change conflicts with another transaction, please retry: (OC000)");
    assert_eq!(value["retries"], 0);
    assert!(value.get("balance").is_none());
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!((s.balance(1).await, s.balance(2).await), (100, 100));
    assert_eq!(s.history().await, 0);
}

/// Two transfers from one account that both reach COMMIT after both wrote: the first committer wins, the
/// other gets 40001 and succeeds on its one retry.
#[tokio::test]
async fn concurrent_transfers_on_one_account_conflict_once() {
    let s = setup().await;
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let hook: BeforeCommit = Arc::new(move |retry| {
        let barrier = barrier.clone();
        Box::pin(async move {
            if retry == 0 {
                barrier.wait().await;
            }
        })
    });
    let f = s.function(RetryPolicy::Immediate).with_before_commit(hook);
    let (a, b) = tokio::join!(
        f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }),
        f.invoke(Request { payer_id: 1, payee_id: 3, amount: 10 })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_success() && b.is_success());
    assert_eq!(a.retries + b.retries, 1, "{a:?} {b:?}");
    let mut balances = [a.balance.unwrap(), b.balance.unwrap()];
    balances.sort();
    assert_eq!(balances, [80, 90]);
    assert_eq!((s.balance(1).await, s.balance(2).await, s.balance(3).await), (80, 110, 110));
    assert_eq!(s.history().await, 2);

    // Without retries the loser's 40001 is the response.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let hook: BeforeCommit = Arc::new(move |_| {
        let barrier = barrier.clone();
        Box::pin(async move {
            barrier.wait().await;
        })
    });
    let f = s.function(RetryPolicy::Off).with_before_commit(hook);
    let (a, b) = tokio::join!(
        f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }),
        f.invoke(Request { payer_id: 1, payee_id: 3, amount: 10 })
    );
    let codes: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().map(|r| r.error_code).collect();
    assert!(codes.contains(&None) && codes.contains(&Some("40001".to_string())), "{codes:?}");
    assert_eq!(s.balance(1).await, 70);
}

#[tokio::test]
async fn pool_bounds_connections_and_reuses_them() {
    let s = setup().await;
    let pool = Pool::new(s.server.config(), 2);
    let a = pool.get().await.unwrap();
    let b = pool.get().await.unwrap();
    let third = tokio::time::timeout(Duration::from_millis(100), pool.get()).await;
    assert!(third.is_err(), "a third connection waits while two are in use");
    drop(a);
    let c = tokio::time::timeout(Duration::from_secs(5), pool.get()).await.expect("freed").unwrap();
    assert_eq!(pool.idle(), 0);
    drop((b, c));
    assert_eq!(pool.idle(), 2);
    // A discarded connection is not reused.
    pool.get().await.unwrap().discard();
    assert_eq!(pool.idle(), 1);
}

#[tokio::test]
async fn stress_run_keeps_money_and_counts_every_call() {
    let s = setup().await;
    let f = s.function(RetryPolicy::Immediate);
    let config = StressConfig { calls: 300, parallel: 60, workers: 1, accounts: 20 };
    assert_eq!(config.batches(), 5);
    let stats = stress::run(&f, config, None).await.unwrap();
    assert_eq!((stats.total, stats.successful, stats.errors), (300, 300, 0));
    assert_eq!(stats.times_us.len(), 300);
    assert!(stats.calls_with_retries <= stats.total_retries);
    let total: i64 = s.client.query_one("SELECT sum(balance) FROM accounts", &[]).await.unwrap().get(0);
    assert_eq!(total, 100 * 1000, "transfers move money, never make or lose it");
    assert_eq!(s.history().await, 300);
    let report = stats.render(true);
    for line in ["Total calls:        300", "Successful:         300 (100.00%)", "OCC Retry Statistics:", "p99:"] {
        assert!(report.contains(line), "{line:?} missing from\n{report}");
    }

    // Without retries every conflict is an error in the breakdown, and the counts still add up.
    let f = s.function(RetryPolicy::Off);
    let stats =
        stress::run(&f, StressConfig { calls: 300, parallel: 60, workers: 1, accounts: 5 }, None).await.unwrap();
    assert_eq!(stats.successful + stats.errors, 300);
    assert_eq!(stats.total_retries, 0);
    let conflicts = stats
        .error_breakdown
        .get("change conflicts with another transaction, please retry: (OC000) (40001)")
        .copied()
        .unwrap_or(0);
    assert_eq!(conflicts, stats.errors, "{:?}", stats.error_breakdown);
    assert!(!stats.render(false).contains("OCC Retry Statistics:"));
    assert_eq!(s.history().await as u64, 300 + stats.successful);
}

/// The set-up is the talk's psql steps: `myapp` exists, is mapped to the function's IAM role, and may use
/// both tables, so the function runs as `myapp`.
#[tokio::test]
async fn the_function_runs_as_myapp_with_the_setup_grants() {
    let s = setup().await;
    let mapping = s.client.query_one("SELECT pg_role_name, arn FROM sys.iam_pg_role_mappings", &[]).await.unwrap();
    assert_eq!(mapping.get::<_, String>(0), local::APP_ROLE);
    assert_eq!(mapping.get::<_, String>(1), local::FUNCTION_ROLE_ARN);
    let myapp = Connector::new(s.server.config()).for_user(local::APP_ROLE);
    let f = TransferFunction::new(Pool::new(myapp.clone(), 2), RetryPolicy::Immediate);
    let response = f.invoke(Request { payer_id: 1, payee_id: 2, amount: 10 }).await.unwrap();
    assert_eq!(response.balance, Some(90), "{response:?}");
    assert_eq!(s.history().await, 1);
    // myapp holds the grants of the set-up and no more.
    let client = myapp.connect().await.unwrap();
    let err = client.batch_execute("CREATE TABLE not_granted (id INT PRIMARY KEY)").await.unwrap_err();
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
}

/// Chapter 4's shape through the Lambda Invoke API: workers with HTTP/2 connections of their own, many
/// calls in flight on each; every call counted, money kept, one history row per successful call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stress_workers_invoke_over_http() {
    let s = setup().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(occam_workshop::serve::serve(listener, s.function(RetryPolicy::Immediate)));
    let client = FunctionClient::connect(&format!("http://{addr}"), "reinvent-dat401").await.unwrap();
    let greeting = client.greet().await.unwrap();
    assert_eq!(greeting["greeting"], "Hello! I connected to DSQL successfully!");

    let config = StressConfig { calls: 1_000, parallel: 200, workers: 5, accounts: 50 };
    let stats = stress::run(&client, config, None).await.unwrap();
    assert_eq!((stats.total, stats.successful, stats.errors), (1_000, 1_000, 0), "{:?}", stats.error_breakdown);
    let total: i64 = s.client.query_one("SELECT sum(balance) FROM accounts", &[]).await.unwrap().get(0);
    assert_eq!(total, 100 * 1000);
    assert_eq!(s.history().await, 1_000);
    // Ten accounts' worth of conflicts among 200 calls in flight: retried, and each retry counted.
    assert!(stats.calls_with_retries <= stats.total_retries);
}
