//! No statement can take the server down: inputs that grow occam's recursion with their length (long
//! chains of operators, set operations, nested parentheses) get an answer or `54001 stack depth limit
//! exceeded`, and the server keeps serving every other client. Run against a real `occam serve`, whose
//! statement threads and stack guards are the ones users get.

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

mod common;
use common::Server;

async fn connect(server: &Server) -> Client {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={} user=admin password=x dbname=postgres", server.port),
        NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(connection);
    client
}

/// The single value a simple query returns, or the error's SQLSTATE.
async fn answer(client: &Client, sql: &str) -> Result<String, String> {
    match client.simple_query(sql).await {
        Ok(messages) => Ok(messages
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("NULL").to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "no rows".to_string())),
        Err(err) => Err(err.code().map(|c| c.code().to_string()).unwrap_or_else(|| format!("{err}"))),
    }
}

/// `first SEP second SEP ...` over `terms` generated terms.
fn chain(terms: usize, separator: &str, term: impl Fn(usize) -> String) -> String {
    (0..terms).map(term).collect::<Vec<_>>().join(separator)
}

async fn assert_alive(client: &Client) {
    assert_eq!(answer(client, "SELECT 41 + 1").await, Ok("42".to_string()), "the session and server survive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_flat_chains_work_and_deep_nesting_fails_cleanly() {
    let server = Server::start(&["--in-memory"]);
    let client = connect(&server).await;
    let bystander = connect(&server).await;

    // An ORM's OR filter: 20,000 terms, true only by its last one.
    let ors = format!(
        "SELECT 1 WHERE {}",
        chain(20_000, " OR ", |i| format!("{i} = {}", if i == 19_999 { i } else { i + 1 }))
    );
    assert_eq!(answer(&client, &ors).await, Ok("1".to_string()));
    let ands = format!(
        "SELECT count(*) FROM generate_series(1, 10) g WHERE {}",
        chain(20_000, " AND ", |i| format!("g <> {}", i + 5))
    );
    assert_eq!(answer(&client, &ands).await, Ok("4".to_string()));

    // A 100,000-item IN list.
    let in_list = format!("SELECT 99999 IN ({})", chain(100_000, ", ", |i| i.to_string()));
    assert_eq!(answer(&client, &in_list).await, Ok("t".to_string()));

    // A million OR terms: an answer or 54001, never a crash.
    let million = format!("SELECT 1 WHERE {}", chain(1_000_000, " OR ", |i| format!("{i}=1")));
    let outcome = answer(&client, &million).await;
    assert!(outcome == Ok("1".to_string()) || outcome == Err("54001".to_string()), "{outcome:?}");
    eprintln!("1,000,000 OR terms: {outcome:?}");
    assert_alive(&client).await;

    // Left-deep chains of other operators, and set operations: an answer or 54001.
    let sum = format!("SELECT {}", chain(20_000, " + ", |_| "1".to_string()));
    let outcome = answer(&client, &sum).await;
    assert!(outcome == Ok("20000".to_string()) || outcome == Err("54001".to_string()), "{outcome:?}");
    eprintln!("20,000-term sum: {outcome:?}");
    let casts = format!("SELECT 7{}", "::int".repeat(100_000));
    let outcome = answer(&client, &casts).await;
    assert!(outcome == Ok("7".to_string()) || outcome == Err("54001".to_string()), "{outcome:?}");
    eprintln!("100,000 casts: {outcome:?}");
    let unions = format!("SELECT count(*) FROM ({}) u", chain(2_000, " UNION ALL ", |i| format!("SELECT {i}")));
    let outcome = answer(&client, &unions).await;
    assert!(outcome == Ok("2000".to_string()) || outcome == Err("54001".to_string()), "{outcome:?}");
    eprintln!("2,000 UNION ALL branches: {outcome:?}");
    let deep_unions = chain(200_000, " UNION ALL ", |i| format!("SELECT {i}"));
    let outcome = answer(&client, &deep_unions).await;
    assert!(outcome.is_ok() || outcome == Err("54001".to_string()), "{outcome:?}");
    eprintln!("200,000 UNION ALL branches: {outcome:?}");
    assert_alive(&client).await;

    // Nesting that recurses in the parser itself.
    let parentheses = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(answer(&client, &parentheses).await, Err("54001".to_string()));
    let subqueries = format!("SELECT {}1{}", "(SELECT ".repeat(1_000), ")".repeat(1_000));
    assert_eq!(answer(&client, &subqueries).await, Err("54001".to_string()));

    // The same through the extended protocol (prepare binds the whole tree).
    let prepared =
        client.prepare(&format!("SELECT $1::int WHERE {}", chain(20_000, " OR ", |i| format!("$1 = {i}")))).await;
    let statement = prepared.expect("prepare a 20,000-term OR");
    let row = client.query_one(&statement, &[&12_345i32]).await.expect("execute");
    assert_eq!(row.get::<_, i32>(0), 12_345);

    assert_alive(&client).await;
    assert_alive(&bystander).await;
}
