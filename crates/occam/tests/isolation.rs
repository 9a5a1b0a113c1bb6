//! The isolation anomaly suite: Hermitage's test cases (github.com/ept/hermitage, the PostgreSQL
//! REPEATABLE READ scripts) run as scripted interleavings of sessions over the wire, each asserting the
//! outcome Aurora DSQL's snapshot isolation gives.
//!
//! ```text
//!   case          anomaly                                   occam (= DSQL)
//!   G0            dirty write                               prevented: the second writer gets 40001 at COMMIT
//!   G1a           aborted read                              prevented
//!   G1b           intermediate read                         prevented
//!   G1c           circular information flow                 prevented
//!   OTV           observed transaction vanishes             prevented
//!   PMP           predicate-many-preceders (read, write)    prevented (read); write: 40001 at COMMIT
//!   P4            lost update (with/without FOR UPDATE)     prevented: the second committer gets 40001
//!   G-single      read skew (item, predicate, write pred.)  prevented; with FOR UPDATE the reader fails
//!   G2-item       write skew                                ALLOWED; with FOR UPDATE the second committer fails
//!   G2            anti-dependency cycles (predicate, Fekete) ALLOWED, with FOR UPDATE too (no predicate locks)
//! ```
//!
//! Where PostgreSQL REPEATABLE READ makes the second writer wait for a row lock (G0, OTV, PMP, P4, FOR
//! UPDATE), occam never waits: every statement returns at once (each step has a timeout that fails the test
//! if it blocks), and the conflict surfaces at COMMIT as SQLSTATE 40001, as in DSQL. occam's postgres mode
//! changes none of these outcomes (it keeps snapshot isolation and OCC), so every case runs in both modes.
//! Statements go through both protocols: BEGIN/COMMIT/ROLLBACK as simple queries, reads and writes as
//! extended-protocol statements.

use std::net::SocketAddr;
use std::time::Duration;

use occam::{CompatMode, Config, Database};
use tokio_postgres::Client;

mod common;
use common::{connect, serve, server_error};

const MODES: [CompatMode; 2] = [CompatMode::Dsql, CompatMode::Postgres];
/// A step that takes this long is blocked; occam never waits for another transaction.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// One scripted session.
struct Session {
    client: Client,
    name: &'static str,
    mode: CompatMode,
}

impl Session {
    async fn run<T>(&self, sql: &str, step: impl std::future::Future<Output = T>) -> T {
        match tokio::time::timeout(STEP_TIMEOUT, step).await {
            Ok(result) => result,
            Err(_) => panic!("[{}] {}: `{sql}` blocked", self.mode, self.name),
        }
    }

    /// A statement that must succeed (transaction control, in the simple protocol).
    async fn ok(&self, sql: &str) {
        let outcome = self.run(sql, self.client.simple_query(sql)).await;
        if let Err(err) = outcome {
            panic!("[{}] {}: `{sql}` failed: {err:?}", self.mode, self.name);
        }
    }

    /// A write that must succeed and affect `count` rows (extended protocol).
    async fn write(&self, sql: &str, count: u64) {
        match self.run(sql, self.client.execute(sql, &[])).await {
            Ok(affected) => assert_eq!(affected, count, "[{}] {}: `{sql}`", self.mode, self.name),
            Err(err) => panic!("[{}] {}: `{sql}` failed: {err:?}", self.mode, self.name),
        }
    }

    /// The `(id, value)` rows a query returns, in id order (extended protocol).
    async fn read(&self, sql: &str) -> Vec<(i32, i32)> {
        match self.run(sql, self.client.query(sql, &[])).await {
            Ok(rows) => {
                let mut rows: Vec<(i32, i32)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
                rows.sort();
                rows
            }
            Err(err) => panic!("[{}] {}: `{sql}` failed: {err:?}", self.mode, self.name),
        }
    }

    /// Asserts what a query returns.
    async fn sees(&self, sql: &str, expected: &[(i32, i32)]) {
        assert_eq!(self.read(sql).await, expected, "[{}] {}: `{sql}`", self.mode, self.name);
    }

    /// `sql` (a COMMIT) fails with the OCC conflict, and the session is usable after it.
    async fn conflicts(&self, sql: &str) {
        let outcome = self.run(sql, self.client.simple_query(sql)).await;
        let err = match outcome {
            Ok(_) => panic!("[{}] {}: `{sql}` succeeded; expected 40001", self.mode, self.name),
            Err(err) => err,
        };
        let (code, message, _) = server_error(&err);
        assert_eq!(code, "40001", "[{}] {}: `{sql}`: {message}", self.mode, self.name);
        assert!(message.ends_with("(OC000)"), "[{}] {}: `{sql}`: {message}", self.mode, self.name);
        // A ROLLBACK after the failed COMMIT is harmless.
        self.ok("ROLLBACK").await;
    }
}

/// A fresh database in `mode` with Hermitage's table `test (id, value)` = {(1, 10), (2, 20)}, served over
/// the wire, and `n` sessions named T1, T2, ...
async fn setup<const N: usize>(mode: CompatMode) -> [Session; N] {
    let database = Database::open(&Config { compat: mode, ..Config::default() }).expect("in-memory open");
    let addr = serve(database).await;
    let admin = session(addr, "setup", mode).await;
    admin.ok("CREATE TABLE test (id int PRIMARY KEY, value int)").await;
    admin.write("INSERT INTO test (id, value) VALUES (1, 10), (2, 20)", 2).await;
    const NAMES: [&str; 3] = ["T1", "T2", "T3"];
    let mut sessions = Vec::with_capacity(N);
    for name in &NAMES[..N] {
        sessions.push(session(addr, name, mode).await);
    }
    sessions.try_into().unwrap_or_else(|_| unreachable!("N sessions were made"))
}

async fn session(addr: SocketAddr, name: &'static str, mode: CompatMode) -> Session {
    let (client, _connection) = connect(addr).await.expect("connect");
    Session { client, name, mode }
}

const ALL: &str = "SELECT id, value FROM test";

/// Starts a transaction on each session, in order.
async fn begin(sessions: &[&Session]) {
    for session in sessions {
        session.ok("BEGIN").await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// G0, G1: no dirty writes, no dirty or intermediate reads, no circular information flow.

/// G0 (write cycles): two transactions write the same two rows in opposite orders. PostgreSQL makes T2
/// wait for T1's row lock; occam lets both write, and the second committer fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g0_write_cycles_are_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 12 WHERE id = 1", 1).await;
        t1.write("UPDATE test SET value = 21 WHERE id = 2", 1).await;
        t1.ok("COMMIT").await;
        t2.write("UPDATE test SET value = 22 WHERE id = 2", 1).await;
        t2.conflicts("COMMIT").await;
        t1.sees(ALL, &[(1, 11), (2, 21)]).await;
    }
}

/// G1a (aborted reads): a rolled-back write is never seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g1a_aborted_reads_are_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = 101 WHERE id = 1", 1).await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t1.ok("ROLLBACK").await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.ok("COMMIT").await;
    }
}

/// G1b (intermediate reads): a value a transaction overwrote before committing is never seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g1b_intermediate_reads_are_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = 101 WHERE id = 1", 1).await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t1.ok("COMMIT").await;
        // Still T2's snapshot: neither the intermediate 101 nor the committed 11.
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.ok("COMMIT").await;
        t2.sees(ALL, &[(1, 11), (2, 20)]).await;
    }
}

/// G1c (circular information flow): each transaction writes a row the other reads; neither sees the
/// other's write, and both commit (they wrote different rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g1c_circular_information_flow_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 22 WHERE id = 2", 1).await;
        t1.sees("SELECT id, value FROM test WHERE id = 2", &[(2, 20)]).await;
        t2.sees("SELECT id, value FROM test WHERE id = 1", &[(1, 10)]).await;
        t1.ok("COMMIT").await;
        t2.ok("COMMIT").await;
        t1.sees(ALL, &[(1, 11), (2, 22)]).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// OTV, PMP.

/// OTV (observed transaction vanishes): T3 reads T1's committed write of row 1 and must go on seeing T1's
/// row 2, never T2's (T2 wrote both rows after T1 and loses at COMMIT).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otv_observed_transaction_vanishes_is_prevented() {
    for mode in MODES {
        let [t1, t2, t3] = setup::<3>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t1.write("UPDATE test SET value = 19 WHERE id = 2", 1).await;
        t2.write("UPDATE test SET value = 12 WHERE id = 1", 1).await;
        t1.ok("COMMIT").await;
        t3.ok("BEGIN").await;
        t3.sees("SELECT id, value FROM test WHERE id = 1", &[(1, 11)]).await;
        t2.write("UPDATE test SET value = 18 WHERE id = 2", 1).await;
        t3.sees("SELECT id, value FROM test WHERE id = 2", &[(2, 19)]).await;
        t2.conflicts("COMMIT").await;
        t3.sees("SELECT id, value FROM test WHERE id = 2", &[(2, 19)]).await;
        t3.sees("SELECT id, value FROM test WHERE id = 1", &[(1, 11)]).await;
        t3.ok("COMMIT").await;
    }
}

/// PMP (predicate-many-preceders) on a read predicate: a row inserted and committed after T1's snapshot
/// does not appear in T1's later predicate read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pmp_predicate_many_preceders_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE value = 30", &[]).await;
        t2.write("INSERT INTO test (id, value) VALUES (3, 30)", 1).await;
        t2.ok("COMMIT").await;
        t1.sees("SELECT id, value FROM test WHERE value % 3 = 0", &[]).await;
        t1.ok("COMMIT").await;
    }
}

/// PMP on a write predicate: T2 deletes by a predicate the rows T1 is updating. PostgreSQL makes the
/// DELETE wait and then fail; occam runs it on T2's snapshot (it deletes row 2, value 20) and T2 fails at
/// COMMIT, since T1 committed a write of that row first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pmp_write_predicate_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.write("UPDATE test SET value = value + 10", 2).await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.write("DELETE FROM test WHERE value = 20", 1).await;
        t1.ok("COMMIT").await;
        t2.conflicts("COMMIT").await;
        t1.sees(ALL, &[(1, 20), (2, 30)]).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// P4: lost update.

/// P4 (lost update): both transactions read row 1 and write it back. The second committer gets 40001,
/// whether the reads were plain or FOR UPDATE (PostgreSQL would make the second FOR UPDATE wait instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p4_lost_update_is_prevented_with_and_without_for_update() {
    for mode in MODES {
        for lock in ["", " FOR UPDATE"] {
            let [t1, t2] = setup::<2>(mode).await;
            begin(&[&t1, &t2]).await;
            let read = format!("SELECT id, value FROM test WHERE id = 1{lock}");
            t1.sees(&read, &[(1, 10)]).await;
            t2.sees(&read, &[(1, 10)]).await;
            t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
            t2.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
            t1.ok("COMMIT").await;
            t2.conflicts("COMMIT").await;
            t1.sees(ALL, &[(1, 11), (2, 20)]).await;
        }
    }
}

/// A read-modify-write of one counter by many sessions: every increment that committed is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p4_no_increment_is_lost_among_many_sessions() {
    for mode in MODES {
        let [t1, t2, t3] = setup::<3>(mode).await;
        let sessions = [&t1, &t2, &t3];
        begin(&sessions).await;
        for session in sessions {
            let value = session.read("SELECT id, value FROM test WHERE id = 1").await[0].1;
            session.write(&format!("UPDATE test SET value = {} WHERE id = 1", value + 1), 1).await;
        }
        t2.ok("COMMIT").await;
        t1.conflicts("COMMIT").await;
        t3.conflicts("COMMIT").await;
        t1.sees(ALL, &[(1, 11), (2, 20)]).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// G-single: read skew.

/// G-single (read skew): T1 reads row 1 before and row 2 after T2 moved value between them; T1 sees both
/// as of its snapshot (10 + 20, never 10 + 18).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_single_read_skew_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE id = 1", &[(1, 10)]).await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.write("UPDATE test SET value = 12 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 18 WHERE id = 2", 1).await;
        t2.ok("COMMIT").await;
        t1.sees("SELECT id, value FROM test WHERE id = 2", &[(2, 20)]).await;
        t1.ok("COMMIT").await;
    }
}

/// G-single with predicate dependencies: T1's second predicate read does not see T2's committed change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_single_predicate_read_skew_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE value % 5 = 0", &[(1, 10), (2, 20)]).await;
        t2.write("UPDATE test SET value = 12 WHERE value = 10", 1).await;
        t2.ok("COMMIT").await;
        t1.sees("SELECT id, value FROM test WHERE value % 3 = 0", &[]).await;
        t1.ok("COMMIT").await;
    }
}

/// G-single on a write predicate: T1 deletes by a predicate over row 2 after T2 committed a change of it.
/// PostgreSQL fails the DELETE; occam deletes T1's snapshot's row and fails T1 at COMMIT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_single_write_predicate_is_prevented() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE id = 1", &[(1, 10)]).await;
        t2.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.write("UPDATE test SET value = 12 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 18 WHERE id = 2", 1).await;
        t2.ok("COMMIT").await;
        t1.write("DELETE FROM test WHERE value = 20", 1).await;
        t1.conflicts("COMMIT").await;
        t1.sees(ALL, &[(1, 12), (2, 18)]).await;
    }
}

/// G-single with T1's first read FOR UPDATE: T2 neither waits nor fails at its statements and commits
/// first, so T1, whose locked row changed, fails at COMMIT (DSQL: a FOR UPDATE reader can lose).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g_single_with_for_update_fails_the_reader() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE id = 1 FOR UPDATE", &[(1, 10)]).await;
        t2.write("UPDATE test SET value = 12 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 18 WHERE id = 2", 1).await;
        t2.ok("COMMIT").await;
        t1.sees("SELECT id, value FROM test WHERE id = 2", &[(2, 20)]).await;
        t1.conflicts("COMMIT").await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// G2: write skew and anti-dependency cycles, allowed by snapshot isolation.

/// G2-item (write skew): both read both rows, each updates a different one. Snapshot isolation (DSQL,
/// PostgreSQL REPEATABLE READ) lets both commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_item_write_skew_is_allowed() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE id IN (1, 2)", &[(1, 10), (2, 20)]).await;
        t2.sees("SELECT id, value FROM test WHERE id IN (1, 2)", &[(1, 10), (2, 20)]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 21 WHERE id = 2", 1).await;
        t1.ok("COMMIT").await;
        t2.ok("COMMIT").await;
        t1.sees(ALL, &[(1, 11), (2, 21)]).await;
    }
}

/// G2-item with the reads FOR UPDATE: the rows read are validated like written ones, so the second
/// committer fails (PostgreSQL would make T2's FOR UPDATE wait for T1 instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_item_write_skew_is_prevented_by_for_update() {
    for mode in MODES {
        let [t1, t2] = setup::<2>(mode).await;
        begin(&[&t1, &t2]).await;
        t1.sees("SELECT id, value FROM test WHERE id IN (1, 2) FOR UPDATE", &[(1, 10), (2, 20)]).await;
        t2.sees("SELECT id, value FROM test WHERE id IN (1, 2) FOR UPDATE", &[(1, 10), (2, 20)]).await;
        t1.write("UPDATE test SET value = 11 WHERE id = 1", 1).await;
        t2.write("UPDATE test SET value = 21 WHERE id = 2", 1).await;
        t1.ok("COMMIT").await;
        t2.conflicts("COMMIT").await;
        t1.sees(ALL, &[(1, 11), (2, 20)]).await;
    }
}

/// G2 (anti-dependency cycles on a predicate): both find no row with `value % 3 = 0` and each inserts
/// one. Both commit under snapshot isolation; FOR UPDATE does not help, since it locks only the rows a
/// read returns (none here), not the predicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_predicate_anti_dependency_cycle_is_allowed_even_with_for_update() {
    for mode in MODES {
        for lock in ["", " FOR UPDATE"] {
            let [t1, t2] = setup::<2>(mode).await;
            begin(&[&t1, &t2]).await;
            let read = format!("SELECT id, value FROM test WHERE value % 3 = 0{lock}");
            t1.sees(&read, &[]).await;
            t2.sees(&read, &[]).await;
            t1.write("INSERT INTO test (id, value) VALUES (3, 30)", 1).await;
            t2.write("INSERT INTO test (id, value) VALUES (4, 42)", 1).await;
            t1.ok("COMMIT").await;
            t2.ok("COMMIT").await;
            t1.sees("SELECT id, value FROM test WHERE value % 3 = 0", &[(3, 30), (4, 42)]).await;
        }
    }
}

/// G2 with two anti-dependency edges (Fekete, O'Neil and O'Neil's read-only anomaly): T3 (read-only) sees
/// T2's update but T1, which read before T2 committed, then writes and commits. Snapshot isolation allows
/// it; no transaction fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g2_two_anti_dependency_edges_are_allowed() {
    for mode in MODES {
        let [t1, t2, t3] = setup::<3>(mode).await;
        t1.ok("BEGIN").await;
        t1.sees(ALL, &[(1, 10), (2, 20)]).await;
        t2.ok("BEGIN").await;
        t2.write("UPDATE test SET value = value + 5 WHERE id = 2", 1).await;
        t2.ok("COMMIT").await;
        t3.ok("BEGIN").await;
        t3.sees(ALL, &[(1, 10), (2, 25)]).await;
        t3.ok("COMMIT").await;
        t1.write("UPDATE test SET value = 0 WHERE id = 1", 1).await;
        t1.ok("COMMIT").await;
        t1.sees(ALL, &[(1, 0), (2, 25)]).await;
    }
}
