//! Aurora DSQL's connection-level limits over the wire: the 60-minute maximum connection duration and the
//! new-connection rate (100 per second, bursts of 1,000; SQLSTATE 53400). Time comes from an injected
//! [`ManualClock`] (`Config::clock`), so an hour passes without waiting; one test uses the system clock
//! with a short maximum to show that an idle connection is closed by the server's timer, with no message
//! from the client. In postgres mode neither limit applies.

use std::sync::Arc;
use std::time::Duration;

use occam::compat::{ConnectionRate, ManualClock};
use occam::{CompatMode, Config, Database, Rules};

mod common;
use common::{connect, serve, server_error};

const DURATION_EXCEEDED: &str = "terminating connection: connection duration limit of 3600s exceeded";
const RATE_EXCEEDED: &str = "unable to accept connection, rate exceeded";

/// A database of `rules` whose time stands still until the returned clock is advanced.
fn with_clock(rules: Rules) -> (Database, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let config = Config { rules: Some(rules), clock: Some(clock.clone()), ..Config::default() };
    (Database::open(&config).expect("in-memory open"), clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dsql_closes_a_connection_after_sixty_minutes() {
    let (database, clock) = with_clock(Rules::for_mode(CompatMode::Dsql));
    let addr = serve(database).await;
    let (client, connection) = connect(addr).await.expect("connect");
    clock.advance(Duration::from_secs(59 * 60 + 59));
    client.simple_query("SELECT 1").await.expect("at 59:59 the connection still serves");

    clock.advance(Duration::from_secs(1));
    let err = client.simple_query("SELECT 1").await.expect_err("at 60:00 the connection is closed");
    assert_eq!(server_error(&err), ("57P01".into(), DURATION_EXCEEDED.into(), "FATAL".into()));
    // The server hung up: the connection task ends, and the client knows it is closed.
    let _ = connection.await.expect("connection task");
    assert!(client.is_closed());

    // A new connection gets a fresh hour.
    let (client, _connection) = connect(addr).await.expect("reconnect");
    client.simple_query("SELECT 1").await.expect("the new connection serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_at_its_deadline_without_a_message() {
    let rules = Rules { max_connection_duration: Some(Duration::from_millis(300)), ..Rules::default() };
    let addr = serve(Database::open(&Config { rules: Some(rules), ..Config::default() }).expect("open")).await;
    let (client, connection) = connect(addr).await.expect("connect");
    // The client sends nothing; the server's timer closes the connection, and the FATAL arrives unasked.
    let outcome = connection.await.expect("connection task");
    let err = outcome.expect_err("the server ended the connection with an error");
    let (code, message, severity) = server_error(&err);
    assert_eq!((code.as_str(), severity.as_str()), ("57P01", "FATAL"));
    assert_eq!(message, "terminating connection: connection duration limit of 300ms exceeded");
    assert!(client.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_connections_beyond_the_rate_are_refused_with_53400() {
    let rules = Rules { connection_rate: Some(ConnectionRate { per_second: 10, burst: 3 }), ..Rules::default() };
    let (database, clock) = with_clock(rules);
    let addr = serve(database).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(connect(addr).await.expect("within the burst"));
    }
    let refused = connect(addr).await.map(|_| ()).expect_err("the burst is spent");
    let (code, message, severity) = server_error(&refused);
    assert_eq!((code.as_str(), message.as_str(), severity.as_str()), ("53400", RATE_EXCEEDED, "FATAL"));
    let detail = refused.as_db_error().and_then(|db| db.detail()).map(str::to_owned);
    assert_eq!(detail.as_deref(), Some("At most 10 new connections per second are accepted, in bursts of up to 3."));

    // 10 per second: one more every 100 ms.
    clock.advance(Duration::from_millis(100));
    open.push(connect(addr).await.expect("refilled one"));
    connect(addr).await.map(|_| ()).expect_err("only one was refilled");
    // A long pause refills the bucket up to the burst, not beyond.
    clock.advance(Duration::from_secs(60));
    for _ in 0..3 {
        open.push(connect(addr).await.expect("within the refilled burst"));
    }
    connect(addr).await.map(|_| ()).expect_err("the burst is spent again");
    // Refused connections did not disturb the admitted ones.
    for (client, _) in &open {
        client.simple_query("SELECT 1").await.expect("admitted connections serve");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_mode_has_neither_limit() {
    let rules = Rules::for_mode(CompatMode::Postgres);
    assert_eq!((rules.max_connection_duration, rules.connection_rate), (None, None));
    let (database, clock) = with_clock(rules);
    let addr = serve(database).await;
    let mut open = Vec::new();
    // More than DSQL's burst would allow, at one instant of the clock (most closed at once, so the test
    // needs few file descriptors).
    for n in 0..1_050 {
        let connection = connect(addr).await.expect("no rate limit");
        if n < 10 {
            open.push(connection);
        }
    }
    clock.advance(Duration::from_secs(24 * 60 * 60));
    for (client, _) in &open {
        client.simple_query("SELECT 1").await.expect("no maximum duration");
    }
}
