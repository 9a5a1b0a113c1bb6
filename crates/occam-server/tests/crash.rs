//! Durability under SIGKILL, Jepsen-style: a bank on a real `occam serve` process takes concurrent
//! transfers while background jobs run, is killed with SIGKILL at a random moment, restarted on the same
//! data directory and checked, cycle after cycle.
//!
//! ```text
//!   clients     transfer (extended protocol), transfer (one simple-protocol query string),
//!               transfer with SELECT ... FOR UPDATE (extended, and simple statement by statement): each
//!               moves an amount between two of accounts 1..=50 and inserts a history row;
//!               counter (extended, simple): moves 1 between the client's own two accounts and counts the
//!               move in its `progress` row, without history
//!   jobs        once per cycle: CREATE INDEX ASYNC on history, DROP INDEX of one, or ANALYZE history
//!   the kill    at a random moment after the job's DDL (sometimes while the DDL is in flight)
//!   checked     money is conserved; every acknowledged transfer's history row is present, and nothing
//!               never attempted; each account's balance equals what its history says (so no transfer is
//!               half present); each counter's accounts agree with its progress row, which is at least
//!               the acknowledged count; every job unfinished at the kill completes after the restart;
//!               every index returns, for every key, the rows a full scan finds
//! ```
//! Cycles: `OCCAM_CRASH_CYCLES` (default 3; `bench/crash_cycles.sh` runs 100 on a release build). Random
//! choices come from one seed, printed at the start (`OCCAM_CRASH_SEED` replays a run's choices; thread
//! timing still varies).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{free_port, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_postgres::{Client, SimpleQueryMessage};

/// Accounts 1..=TRANSFER_ACCOUNTS are shared by the transfer clients.
const TRANSFER_ACCOUNTS: i32 = 50;
const INITIAL_BALANCE: i64 = 1_000;
/// History rows of amount 0 loaded at the start, so that an index build takes long enough to be killed.
const PRELOADED_HISTORY: i64 = 12_000;
/// The counter clients' accounts start here: client k owns COUNTER_ACCOUNTS + 2k and + 2k + 1.
const COUNTER_ACCOUNTS: i32 = 1_001;
/// The history columns the cycles index, at most one index each (so a query by one column is served by
/// that column's index); `payer_id` has the permanent index history_payer.
const INDEXED_COLUMNS: [&str; 3] = ["payee_id", "amount", "tag"];
/// How long a wait for the server (a query, a job) may take before the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
enum Worker {
    ExtendedTransfer,
    SimpleTransfer,
    ForUpdateTransfer,
    ForUpdateSimpleTransfer,
    ExtendedCounter(usize),
    SimpleCounter(usize),
}

const WORKERS: [Worker; 6] = [
    Worker::ExtendedTransfer,
    Worker::SimpleTransfer,
    Worker::ForUpdateTransfer,
    Worker::ForUpdateSimpleTransfer,
    Worker::ExtendedCounter(0),
    Worker::SimpleCounter(1),
];
const COUNTERS: usize = 2;

/// What the clients were told, across all cycles.
#[derive(Default)]
struct Ledger {
    /// History ids of transfers whose BEGIN was sent.
    attempted: HashSet<i64>,
    /// History ids of transfers whose COMMIT was acknowledged.
    acknowledged: HashSet<i64>,
    /// Per counter client: commits acknowledged, and attempts neither acknowledged nor refused (in flight
    /// at a kill), since its count was last read from the database.
    counters: [CounterLedger; COUNTERS],
    /// Acknowledged commits checked after restarts, all cycles together.
    checked: usize,
}

#[derive(Default, Clone, Copy)]
struct CounterLedger {
    /// The count in the database when the cycle began, plus the commits acknowledged since.
    acknowledged: i64,
    /// Of those, acknowledged since the last check.
    acknowledged_since_check: i64,
    unresolved: i64,
}

/// How one transaction ended.
enum Outcome {
    Committed,
    /// 40001: nothing was written.
    Conflict,
    /// The connection died (the kill): the commit may or may not have happened.
    Gone,
}

fn outcome(result: Result<(), tokio_postgres::Error>, what: &str) -> Outcome {
    match result {
        Ok(()) => Outcome::Committed,
        Err(err) => match err.code().map(|code| code.code()) {
            Some("40001") => Outcome::Conflict,
            Some(code) => panic!("{what}: unexpected error {code}: {err}"),
            None => Outcome::Gone,
        },
    }
}

/// Runs `future` or fails the test after [`PATIENCE`].
async fn patiently<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future).await.unwrap_or_else(|_| panic!("{what}: no answer in {PATIENCE:?}"))
}

/// The rows of a simple-protocol query as text.
async fn text_rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = patiently(sql, client.simple_query(sql)).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
    messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect()),
            _ => None,
        })
        .collect()
}

async fn setup(client: &Client) {
    let statements = [
        "CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT)".to_owned(),
        "CREATE TABLE history (id BIGINT PRIMARY KEY, payer_id INT, payee_id INT, amount INT, tag INT)".to_owned(),
        "CREATE TABLE progress (client INT PRIMARY KEY, moves BIGINT)".to_owned(),
        format!(
            "INSERT INTO accounts (id, balance) SELECT id, {INITIAL_BALANCE} FROM generate_series(1, {TRANSFER_ACCOUNTS}) AS id"
        ),
        format!(
            "INSERT INTO accounts (id, balance) SELECT id, {INITIAL_BALANCE} FROM generate_series({COUNTER_ACCOUNTS}, {}) AS id",
            COUNTER_ACCOUNTS + 2 * COUNTERS as i32 - 1
        ),
        format!("INSERT INTO progress (client, moves) SELECT c, 0 FROM generate_series(0, {}) AS c", COUNTERS - 1),
    ];
    for sql in &statements {
        patiently(sql, client.batch_execute(sql)).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
    }
    // Zero-amount history (3,000 rows per transaction, DSQL's limit) for the index builds to chew on.
    for start in (1..=PRELOADED_HISTORY).step_by(3_000) {
        let end = (start + 2_999).min(PRELOADED_HISTORY);
        let sql = format!(
            "INSERT INTO history (id, payer_id, payee_id, amount, tag) SELECT -g, g % {TRANSFER_ACCOUNTS} + 1, \
             (g * 7) % {TRANSFER_ACCOUNTS} + 1, 0, g % 20 FROM generate_series({start}, {end}) AS g"
        );
        patiently(&sql, client.batch_execute(&sql)).await.unwrap_or_else(|err| panic!("{err}"));
    }
    let rows = text_rows(client, "CREATE INDEX ASYNC history_payer ON history (payer_id)").await;
    let job = rows[0][0].clone().expect("job id");
    wait_for_job(client, &job).await;
}

async fn wait_for_job(client: &Client, job: &str) {
    let sql = format!("CALL sys.wait_for_job('{job}')");
    let rows = text_rows(client, &sql).await;
    assert_eq!(rows, vec![vec![Some("t".to_owned())]], "job {job} did not complete");
}

/// One client's loop: transactions until the connection dies.
async fn run_worker(worker: Worker, client: Client, ledger: Arc<Mutex<Ledger>>, seed: u64, id_base: i64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut n = 0;
    loop {
        n += 1;
        let (result, id) = match worker {
            Worker::ExtendedCounter(slot) | Worker::SimpleCounter(slot) => {
                ledger.lock().expect("ledger").counters[slot].unresolved += 1;
                let simple = matches!(worker, Worker::SimpleCounter(_));
                (count_move(&client, slot, simple).await, None)
            }
            _ => {
                let id = id_base + n;
                let payer = rng.gen_range(1..=TRANSFER_ACCOUNTS);
                let payee = (payer + rng.gen_range(1..TRANSFER_ACCOUNTS) - 1) % TRANSFER_ACCOUNTS + 1;
                let amount = rng.gen_range(1..=10);
                let tag = rng.gen_range(0..20);
                ledger.lock().expect("ledger").attempted.insert(id);
                (transfer(&client, worker, id, [payer, payee, amount, tag]).await, Some(id))
            }
        };
        let outcome = outcome(result, &format!("{worker:?}"));
        if matches!(outcome, Outcome::Conflict) {
            let _ = client.batch_execute("ROLLBACK").await;
        }
        let mut ledger = ledger.lock().expect("ledger");
        match (worker, outcome) {
            (Worker::ExtendedCounter(slot) | Worker::SimpleCounter(slot), Outcome::Committed) => {
                let counter = &mut ledger.counters[slot];
                counter.acknowledged += 1;
                counter.acknowledged_since_check += 1;
                counter.unresolved -= 1;
            }
            (Worker::ExtendedCounter(slot) | Worker::SimpleCounter(slot), Outcome::Conflict) => {
                ledger.counters[slot].unresolved -= 1;
            }
            (_, Outcome::Committed) => {
                ledger.acknowledged.insert(id.expect("transfers have ids"));
            }
            (_, Outcome::Conflict) => {}
            (_, Outcome::Gone) => return,
        }
    }
}

/// One transfer of `amount` from `payer` to `payee`, recorded in history as `id` with `tag`.
async fn transfer(client: &Client, worker: Worker, id: i64, row: [i32; 4]) -> Result<(), tokio_postgres::Error> {
    let [payer, payee, amount, tag] = row;
    let debit = format!("UPDATE accounts SET balance = balance - {amount} WHERE id = {payer}");
    let credit = format!("UPDATE accounts SET balance = balance + {amount} WHERE id = {payee}");
    let record = format!(
        "INSERT INTO history (id, payer_id, payee_id, amount, tag) VALUES ({id}, {payer}, {payee}, {amount}, {tag})"
    );
    match worker {
        Worker::SimpleTransfer => client.batch_execute(&format!("BEGIN; {debit}; {credit}; {record}; COMMIT")).await,
        Worker::ForUpdateSimpleTransfer => {
            client.batch_execute("BEGIN").await?;
            let lock = format!("SELECT balance FROM accounts WHERE id IN ({payer}, {payee}) FOR UPDATE");
            client.simple_query(&lock).await?;
            for sql in [&debit, &credit, &record] {
                client.batch_execute(sql).await?;
            }
            client.batch_execute("COMMIT").await
        }
        _ => {
            client.batch_execute("BEGIN").await?;
            if matches!(worker, Worker::ForUpdateTransfer) {
                client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", &[&payer]).await?;
            }
            let amount = i64::from(amount);
            client.execute("UPDATE accounts SET balance = balance - $2 WHERE id = $1", &[&payer, &amount]).await?;
            client.execute("UPDATE accounts SET balance = balance + $2 WHERE id = $1", &[&payee, &amount]).await?;
            client
                .execute(
                    "INSERT INTO history (id, payer_id, payee_id, amount, tag) VALUES ($1, $2, $3, $4, $5)",
                    &[&id, &payer, &payee, &(amount as i32), &tag],
                )
                .await?;
            client.batch_execute("COMMIT").await
        }
    }
}

/// A counter client's transaction: 1 from its first account to its second, counted in `progress`.
async fn count_move(client: &Client, slot: usize, simple: bool) -> Result<(), tokio_postgres::Error> {
    let (from, to) = counter_accounts(slot);
    let slot = slot as i32;
    if simple {
        let sql = format!(
            "BEGIN; UPDATE accounts SET balance = balance - 1 WHERE id = {from}; \
             UPDATE accounts SET balance = balance + 1 WHERE id = {to}; \
             UPDATE progress SET moves = moves + 1 WHERE client = {slot}; COMMIT"
        );
        return client.batch_execute(&sql).await;
    }
    client.batch_execute("BEGIN").await?;
    client.execute("UPDATE accounts SET balance = balance - 1 WHERE id = $1", &[&from]).await?;
    client.execute("UPDATE accounts SET balance = balance + 1 WHERE id = $1", &[&to]).await?;
    client.execute("UPDATE progress SET moves = moves + 1 WHERE client = $1", &[&slot]).await?;
    client.batch_execute("COMMIT").await
}

fn counter_accounts(slot: usize) -> (i32, i32) {
    let first = COUNTER_ACCOUNTS + 2 * slot as i32;
    (first, first + 1)
}

/// A secondary index on history the test keeps track of: its name and key column.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HistoryIndex {
    name: String,
    column: &'static str,
}

/// The background job a cycle submits.
#[derive(Debug)]
enum Job {
    Create(HistoryIndex),
    Drop(HistoryIndex),
    Analyze,
}

impl Job {
    fn sql(&self) -> String {
        match self {
            Job::Create(index) => format!("CREATE INDEX ASYNC {} ON history ({})", index.name, index.column),
            Job::Drop(index) => format!("DROP INDEX {}", index.name),
            Job::Analyze => "ANALYZE history".to_owned(),
        }
    }

    /// After a kill that may have cut the DDL short: make its outcome certain (the IF [NOT] EXISTS form
    /// does nothing if the DDL committed).
    fn settle_sql(&self) -> Option<String> {
        match self {
            Job::Create(index) => {
                Some(format!("CREATE INDEX ASYNC IF NOT EXISTS {} ON history ({})", index.name, index.column))
            }
            Job::Drop(index) => Some(format!("DROP INDEX IF EXISTS {}", index.name)),
            Job::Analyze => None,
        }
    }
}

/// The indexes expected to exist, and the plan of one cycle.
struct Plan {
    load_before_job: Duration,
    job: Job,
    /// Kill while the DDL is in flight instead of after its acknowledgement.
    kill_during_ddl: bool,
    kill_after_job: Duration,
}

fn plan_cycle(rng: &mut StdRng, cycle: usize, indexes: &[HistoryIndex]) -> Plan {
    let free: Vec<&'static str> =
        INDEXED_COLUMNS.into_iter().filter(|column| indexes.iter().all(|index| index.column != *column)).collect();
    let choice = rng.gen_range(0..3);
    let job = if choice == 2 {
        Job::Analyze
    } else if (choice == 0 || indexes.is_empty()) && !free.is_empty() {
        let column = free[rng.gen_range(0..free.len())];
        Job::Create(HistoryIndex { name: format!("history_c{cycle}"), column })
    } else {
        Job::Drop(indexes[rng.gen_range(0..indexes.len())].clone())
    };
    Plan {
        load_before_job: Duration::from_millis(rng.gen_range(20..400)),
        job,
        kill_during_ddl: rng.gen_range(0..8) == 0,
        kill_after_job: Duration::from_millis(rng.gen_range(0..300)),
    }
}

/// Checks the restarted database against the ledger and the index model; waits for every job that was
/// unfinished at the kill. Returns the number of acknowledged commits checked.
async fn check(client: &Client, ledger: &mut Ledger, indexes: &[HistoryIndex], unfinished_jobs: &[String]) -> usize {
    // Jobs submitted before the kill finish after the restart.
    for job in unfinished_jobs {
        wait_for_job(client, job).await;
    }
    for row in text_rows(client, "SELECT job_id, status, job_type, details FROM sys.jobs").await {
        let status = row[1].as_deref().unwrap_or("");
        if status == "submitted" || status == "processing" {
            wait_for_job(client, row[0].as_deref().expect("job id")).await;
        } else {
            assert_eq!(status, "completed", "job {row:?}");
        }
    }

    let balances: HashMap<i32, i64> = text_rows(client, "SELECT id, balance FROM accounts")
        .await
        .into_iter()
        .map(|row| (parse(&row[0]), parse(&row[1])))
        .collect();
    let history: BTreeMap<i64, [i32; 4]> = text_rows(client, "SELECT id, payer_id, payee_id, amount, tag FROM history")
        .await
        .into_iter()
        .map(|row| (parse(&row[0]), [parse(&row[1]), parse(&row[2]), parse(&row[3]), parse(&row[4])]))
        .collect();

    // Every acknowledged transfer is there; nothing that was never attempted is.
    let missing: Vec<_> = ledger.acknowledged.iter().filter(|id| !history.contains_key(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged transfers lost, e.g. {:?}", missing.len(), missing.first());
    let invented: Vec<_> = history.keys().filter(|id| **id > 0 && !ledger.attempted.contains(id)).collect();
    assert!(invented.is_empty(), "history rows never attempted: {invented:?}");
    // Money is conserved, and each balance is what the history says: no transfer is half present.
    let total: i64 = (1..=TRANSFER_ACCOUNTS).map(|id| balances[&id]).sum();
    assert_eq!(total, i64::from(TRANSFER_ACCOUNTS) * INITIAL_BALANCE, "money was created or destroyed");
    let mut expected: HashMap<i32, i64> = (1..=TRANSFER_ACCOUNTS).map(|id| (id, INITIAL_BALANCE)).collect();
    for [payer, payee, amount, _] in history.values() {
        *expected.get_mut(payer).expect("payer account") -= i64::from(*amount);
        *expected.get_mut(payee).expect("payee account") += i64::from(*amount);
    }
    for id in 1..=TRANSFER_ACCOUNTS {
        assert_eq!(balances[&id], expected[&id], "account {id} disagrees with the history");
    }
    // Each counter: its two accounts and its progress row moved together, and no acknowledged move is lost.
    let progress: HashMap<usize, i64> = text_rows(client, "SELECT client, moves FROM progress")
        .await
        .into_iter()
        .map(|row| (parse::<usize>(&row[0]), parse(&row[1])))
        .collect();
    let mut checked = ledger.acknowledged.len() - ledger.checked;
    for (slot, counter) in ledger.counters.iter_mut().enumerate() {
        let moves = progress[&slot];
        assert!(
            (counter.acknowledged..=counter.acknowledged + counter.unresolved).contains(&moves),
            "counter {slot}: {moves} moves stored, {} acknowledged, {} unresolved",
            counter.acknowledged,
            counter.unresolved
        );
        let (from, to) = counter_accounts(slot);
        assert_eq!(
            (balances[&from], balances[&to]),
            (INITIAL_BALANCE - moves, INITIAL_BALANCE + moves),
            "counter {slot}"
        );
        checked += counter.acknowledged_since_check as usize;
        // The database is the truth from here on: a commit in flight at the kill either happened or not.
        *counter = CounterLedger { acknowledged: moves, acknowledged_since_check: 0, unresolved: 0 };
    }
    ledger.checked = ledger.acknowledged.len();

    // Indexes agree with the table: for every key, the index (an equality on its column) returns the rows a
    // full scan (the same equality on an expression, which no index serves) finds.
    let all_indexes = std::iter::once(HistoryIndex { name: "history_payer".into(), column: "payer_id" })
        .chain(indexes.iter().cloned());
    for index in all_indexes {
        let column = match index.column {
            "payer_id" => 0,
            "payee_id" => 1,
            "amount" => 2,
            _ => 3,
        };
        let mut scanned: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
        for (id, row) in &history {
            scanned.entry(row[column]).or_default().push(*id);
        }
        let by_index = format!("SELECT id FROM history WHERE {} = $1", index.column);
        let by_scan = format!("SELECT id FROM history WHERE {} + 0 = $1", index.column);
        for (key, ids) in scanned.iter().chain(std::iter::once((&-1, &Vec::new()))) {
            for (sql, what) in [(&by_index, "index"), (&by_scan, "scan")] {
                let rows = patiently(sql, client.query(sql.as_str(), &[key])).await.expect("query");
                let mut found: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
                found.sort();
                assert_eq!(&found, ids, "{} ({what}) for {} = {key}", index.name, index.column);
            }
        }
    }
    checked
}

fn parse<T: std::str::FromStr>(cell: &Option<String>) -> T
where
    T::Err: std::fmt::Debug,
{
    cell.as_deref().expect("not null").parse().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_survives_sigkill_cycles() {
    let cycles: usize = std::env::var("OCCAM_CRASH_CYCLES").ok().map_or(3, |v| v.parse().expect("OCCAM_CRASH_CYCLES"));
    let seed: u64 =
        std::env::var("OCCAM_CRASH_SEED").ok().map_or_else(rand::random, |v| v.parse().expect("OCCAM_CRASH_SEED"));
    println!("crash cycles: {cycles}, seed {seed} (OCCAM_CRASH_SEED={seed} to replay)");
    let mut rng = StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Server::start_on_disk(dir.path(), port);
    let admin = common::connect(port).await;
    setup(&admin).await;

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut indexes: Vec<HistoryIndex> = Vec::new();
    let (mut checked, mut killed_during_jobs) = (0, 0);
    let started = Instant::now();
    for cycle in 0..cycles {
        let plan = plan_cycle(&mut rng, cycle, &indexes);
        let mut workers = Vec::new();
        for (n, worker) in WORKERS.iter().enumerate() {
            let client = common::connect(port).await;
            let (ledger, seed) = (ledger.clone(), rng.gen());
            let id_base = ((cycle * WORKERS.len() + n) as i64 + 1) * 10_000_000;
            workers.push(tokio::spawn(run_worker(*worker, client, ledger, seed, id_base)));
        }
        let monitor = common::connect(port).await;

        // The random moments are the test's input, not synchronisation: the kill lands wherever it lands.
        tokio::time::sleep(plan.load_before_job).await;
        let ddl = plan.job.sql();
        if plan.kill_during_ddl {
            let monitor_ddl = common::connect(port).await;
            let in_flight = tokio::spawn(async move { monitor_ddl.simple_query(&ddl).await.map(|_| ()) });
            tokio::time::sleep(plan.kill_after_job / 10).await;
            server.kill();
            let _ = in_flight.await;
        } else {
            // DDL on a table under load may lose to a writer's commit (OC001): retry it.
            loop {
                match patiently(&ddl, monitor.simple_query(&ddl)).await {
                    Ok(_) => break,
                    Err(err) if err.code().map(|code| code.code()) == Some("40001") => continue,
                    Err(err) => panic!("{ddl}: {err}"),
                }
            }
            tokio::time::sleep(plan.kill_after_job).await;
        }
        // Jobs unfinished just before the kill must finish after the restart.
        let unfinished: Vec<String> = if plan.kill_during_ddl {
            Vec::new()
        } else {
            let rows =
                text_rows(&monitor, "SELECT job_id FROM sys.jobs WHERE status IN ('submitted', 'processing')").await;
            server.kill();
            rows.into_iter().map(|row| row[0].clone().expect("job id")).collect()
        };
        killed_during_jobs += usize::from(!unfinished.is_empty());
        for worker in workers {
            worker.await.expect("worker");
        }

        server = Server::start_on_disk(dir.path(), port);
        let client = common::connect(port).await;
        if plan.kill_during_ddl {
            if let Some(sql) = plan.job.settle_sql() {
                patiently(&sql, client.batch_execute(&sql)).await.unwrap_or_else(|err| panic!("{sql}: {err}"));
            }
        }
        match &plan.job {
            Job::Create(index) => indexes.push(index.clone()),
            Job::Drop(index) => indexes.retain(|live| live != index),
            Job::Analyze => {}
        }
        // The workers are gone: the check owns the ledger while it awaits the server.
        let mut owned = std::mem::take(&mut *ledger.lock().expect("ledger"));
        let checked_now = check(&client, &mut owned, &indexes, &unfinished).await;
        *ledger.lock().expect("ledger") = owned;
        checked += checked_now;
        println!(
            "cycle {cycle}: {:?} then {}{:?}, {} unfinished job(s) at the kill; {checked_now} acknowledged commits checked",
            plan.load_before_job,
            if plan.kill_during_ddl { "killed during " } else { "" },
            plan.job,
            unfinished.len()
        );
    }
    println!(
        "{cycles} cycles in {:.1}s: {checked} acknowledged commits checked, {killed_during_jobs} kills with a job unfinished, seed {seed}",
        started.elapsed().as_secs_f64()
    );
    server.kill();
}

/// The garbage collector's counters from `/metrics` on `port`: (versions visited, passes).
fn gc_progress(port: u16) -> (u64, u64) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return (0, 0) };
    let _ = write!(stream, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let value = |name: &str| {
        response
            .lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse::<u64>().ok()))
            .unwrap_or(0)
    };
    (value("occam_gc_versions_visited_total "), value("occam_gc_passes_total "))
}

/// A server killed with SIGKILL while its garbage collector is in the middle of a pass (full-table updates
/// keep making garbage) restarts into a consistent database: every acknowledged update is there, deleted
/// rows stay deleted, the index agrees with the table, and collection goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_during_garbage_collection_leaves_a_consistent_database() {
    const ROWS: i32 = 20_000;
    const KEPT: i32 = 15_000;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let serve_args = ["--data-dir", &data_dir, "--compat", "postgres", "--metrics-listen", &metrics_listen];
    let mut server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = common::connect(port).await;
    client.batch_execute("CREATE TABLE acc (id INT PRIMARY KEY, balance INT)").await.unwrap();
    client.batch_execute("CREATE INDEX acc_balance ON acc (balance)").await.unwrap();
    client.batch_execute(&format!("INSERT INTO acc SELECT g, 0 FROM generate_series(1, {ROWS}) AS g")).await.unwrap();
    client.batch_execute(&format!("DELETE FROM acc WHERE id > {KEPT}")).await.unwrap();

    // Full-table updates until the collector is seen working on the garbage they made, then a kill.
    let mut acknowledged = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        client.batch_execute("UPDATE acc SET balance = balance + 1").await.unwrap();
        acknowledged += 1;
        let (visited, _) = gc_progress(metrics_port);
        if acknowledged >= 3 && visited > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the garbage collector never ran");
    }
    let in_flight = tokio::spawn(async move { client.batch_execute("UPDATE acc SET balance = balance + 1").await });
    server.kill(); // SIGKILL
    let _ = in_flight.await;

    let mut server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = common::connect(port).await;
    let check = |client: tokio_postgres::Client| async move {
        let row = client.query_one("SELECT count(*), min(balance), max(balance) FROM acc", &[]).await.unwrap();
        let (count, min, max): (i64, i32, i32) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(count, KEPT as i64, "no row lost, no deleted row back");
        assert_eq!(min, max, "every row saw the same updates (no partial update survived)");
        assert!(min == acknowledged || min == acknowledged + 1, "balance {min} after {acknowledged} acknowledged");
        let by_index: i64 =
            client.query_one("SELECT count(*) FROM acc WHERE balance = $1", &[&min]).await.unwrap().get(0);
        assert_eq!(by_index, KEPT as i64, "the index agrees with the table");
        let deleted: i64 =
            client.query_one(&format!("SELECT count(*) FROM acc WHERE id > {KEPT}"), &[]).await.unwrap().get(0);
        assert_eq!(deleted, 0);
        client
    };
    let client = check(client).await;
    // Collection goes on after the restart (one more round of garbage to be sure a pass starts).
    let (_, passes_before) = gc_progress(metrics_port);
    client.batch_execute("UPDATE acc SET balance = balance + 0").await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while gc_progress(metrics_port).1 <= passes_before {
        assert!(std::time::Instant::now() < deadline, "no garbage collection pass after the restart");
        client.query_one("SELECT 1", &[]).await.unwrap();
    }
    check(client).await;
    server.kill();
}

/// A temporary table belongs to its session: a killed server leaves it behind on disk, and the restart
/// drops it before any session could see it (a new session may get the dead one's backend pid).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_temporary_table_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let port = free_port();
    let serve_args = ["--data-dir", &data_dir, "--compat", "postgres"];
    let mut server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = common::connect(port).await;
    client.batch_execute("CREATE TABLE keep (id INT PRIMARY KEY); INSERT INTO keep VALUES (1)").await.unwrap();
    client
        .batch_execute("CREATE TEMP TABLE scratch (id INT PRIMARY KEY); INSERT INTO scratch VALUES (1), (2)")
        .await
        .unwrap();
    server.kill(); // SIGKILL: the session never drops its temporary schema

    let _server = Server::start_with(std::process::Command::new(common::OCCAM), port, &serve_args);
    let client = common::connect(port).await;
    let schemas = text_rows(&client, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pg_temp%'").await;
    assert!(schemas.is_empty(), "temporary schemas left after the restart: {schemas:?}");
    assert!(client.simple_query("SELECT * FROM scratch").await.is_err(), "the temporary table is gone");
    assert_eq!(text_rows(&client, "SELECT id FROM keep").await, vec![vec![Some("1".to_string())]]);
    client.batch_execute("CREATE TEMP TABLE scratch (id INT PRIMARY KEY)").await.unwrap();
    assert_eq!(text_rows(&client, "SELECT count(*) FROM scratch").await, vec![vec![Some("0".to_string())]]);
}
