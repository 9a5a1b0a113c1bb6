//! Scripted interleavings of several sessions on one in-process database: the Aurora DSQL concurrency
//! contract.
//!
//! occam runs snapshot isolation with optimistic concurrency control: statements never wait for each
//! other, and a transaction that wrote a key some other transaction committed after this one's snapshot
//! fails at COMMIT with SQLSTATE 40001 (`change conflicts with another transaction, please retry: (OC000)`).
//! Each scripted test drives two or three [`Session`]s from one thread, one statement at a time, so the
//! interleaving is exact and the mere fact that the script finishes proves nothing blocked. The last test
//! is the threaded stress version: concurrent random transfers with retries must conserve money.

use std::sync::atomic::{AtomicU64, Ordering};

use occam::{Database, Error, QueryResult, Session, TransactionStatus, Value};
use rand::{Rng, SeedableRng};

const SERIALIZATION_FAILURE: &str = "40001";
const CONFLICT_MESSAGE: &str = "change conflicts with another transaction, please retry: (OC000)";

mod common;
use common::{int, ok, rows, run, tag};

/// Asserts that `sql` fails at this point with the OCC conflict, and that the session is idle after it.
fn expect_conflict(session: &mut Session, sql: &str) {
    match run(session, sql) {
        Err(err) => {
            assert_eq!(err.code, SERIALIZATION_FAILURE, "{sql}: wrong SQLSTATE in {err}");
            assert_eq!(err.message, CONFLICT_MESSAGE, "{sql}: wrong message");
        }
        Ok(result) => panic!("{sql}: expected 40001, got {result:?}"),
    }
    assert_eq!(session.transaction_status(), TransactionStatus::Idle, "after a failed COMMIT the session is idle");
}

/// A fresh database with `accounts(id, balance)` holding accounts 1..=n with `balance` each.
fn bank(n: i64, balance: i64) -> Database {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
    ok(&mut setup, &format!("INSERT INTO accounts SELECT g, {balance} FROM generate_series(1, {n}) AS g"));
    database
}

fn session(database: &Database) -> Session {
    database.session("postgres").unwrap_or_else(|err| panic!("cannot open a session: {err}"))
}

fn balance(session: &mut Session, id: i64) -> i64 {
    int(session, &format!("SELECT balance FROM accounts WHERE id = {id}"))
}

// ---------------------------------------------------------------------------------------------------------
// Write-write conflicts.

#[test]
fn write_write_conflict_first_committer_wins() {
    let database = bank(3, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    assert_eq!(a.transaction_status(), TransactionStatus::InTransaction);
    // Both UPDATEs of the same row return at once with their true row counts: nothing waits for a lock.
    assert_eq!(tag(&mut a, "UPDATE accounts SET balance = balance - 10 WHERE id = 1"), "UPDATE 1");
    assert_eq!(tag(&mut b, "UPDATE accounts SET balance = balance - 20 WHERE id = 1"), "UPDATE 1");
    // Each sees its own write.
    assert_eq!(balance(&mut a, 1), 90);
    assert_eq!(balance(&mut b, 1), 80);

    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    expect_conflict(&mut b, "COMMIT");

    // A ROLLBACK after the failed COMMIT is harmless, and the session keeps working.
    ok(&mut b, "ROLLBACK");
    assert_eq!(b.transaction_status(), TransactionStatus::Idle);
    assert_eq!(balance(&mut b, 1), 90, "only the winner's write is visible");
    assert_eq!(tag(&mut b, "UPDATE accounts SET balance = balance - 20 WHERE id = 1"), "UPDATE 1");
    assert_eq!(balance(&mut a, 1), 70);
}

#[test]
fn write_write_conflict_later_starter_can_win() {
    // The winner is whoever commits first, not whoever began or wrote first.
    let database = bank(3, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 1 WHERE id = 2");
    ok(&mut b, "BEGIN");
    ok(&mut b, "UPDATE accounts SET balance = 2 WHERE id = 2");
    ok(&mut b, "COMMIT");
    expect_conflict(&mut a, "COMMIT");
    assert_eq!(balance(&mut a, 2), 2);
}

#[test]
fn autocommit_write_conflicts_with_open_transaction() {
    // An autocommit UPDATE is a transaction too: it commits first, so the open block loses.
    let database = bank(2, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 0 WHERE id = 1");
    assert_eq!(tag(&mut b, "UPDATE accounts SET balance = 7 WHERE id = 1"), "UPDATE 1");
    expect_conflict(&mut a, "COMMIT");
    assert_eq!(balance(&mut a, 1), 7);
}

#[test]
fn update_after_concurrent_commit_conflicts_at_commit_not_at_statement() {
    // DSQL checks at COMMIT: even when the other transaction has already committed, the UPDATE itself
    // succeeds (PostgreSQL REPEATABLE READ would fail the UPDATE instead).
    let database = bank(2, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    assert_eq!(balance(&mut a, 1), 100);
    ok(&mut b, "UPDATE accounts SET balance = 50 WHERE id = 1");
    assert_eq!(tag(&mut a, "UPDATE accounts SET balance = balance + 1 WHERE id = 1"), "UPDATE 1");
    assert_eq!(balance(&mut a, 1), 101, "the update applies to the snapshot's version");
    expect_conflict(&mut a, "COMMIT");
    assert_eq!(balance(&mut a, 1), 50);
}

#[test]
fn delete_and_update_of_one_row_conflict() {
    let database = bank(2, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    assert_eq!(tag(&mut a, "DELETE FROM accounts WHERE id = 2"), "DELETE 1");
    assert_eq!(tag(&mut b, "UPDATE accounts SET balance = 0 WHERE id = 2"), "UPDATE 1");
    ok(&mut a, "COMMIT");
    expect_conflict(&mut b, "COMMIT");
    assert_eq!(int(&mut b, "SELECT count(*) FROM accounts"), 1);
}

#[test]
fn disjoint_rows_both_commit() {
    let database = bank(3, 100);
    let (mut a, mut b, mut c) = (session(&database), session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    ok(&mut c, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = balance + 1 WHERE id = 1");
    ok(&mut b, "UPDATE accounts SET balance = balance + 2 WHERE id = 2");
    ok(&mut c, "UPDATE accounts SET balance = balance + 3 WHERE id = 3");
    assert_eq!(tag(&mut b, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut c, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    assert_eq!(
        rows(&mut a, "SELECT balance FROM accounts ORDER BY id"),
        vec![vec![Value::Int(101)], vec![Value::Int(102)], vec![Value::Int(103)]]
    );
}

#[test]
fn three_writers_of_one_row_only_first_commit_wins() {
    let database = bank(1, 100);
    let (mut a, mut b, mut c) = (session(&database), session(&database), session(&database));

    for session in [&mut a, &mut b, &mut c] {
        ok(session, "BEGIN");
        ok(session, "UPDATE accounts SET balance = balance + 1 WHERE id = 1");
    }
    ok(&mut c, "COMMIT");
    expect_conflict(&mut a, "COMMIT");
    expect_conflict(&mut b, "COMMIT");
    assert_eq!(balance(&mut a, 1), 101);
}

// ---------------------------------------------------------------------------------------------------------
// Snapshots and visibility.

#[test]
fn open_transaction_does_not_see_later_commits() {
    let database = bank(2, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    assert_eq!(balance(&mut a, 1), 100);
    ok(&mut b, "UPDATE accounts SET balance = 200 WHERE id = 1");
    ok(&mut b, "INSERT INTO accounts VALUES (3, 300)");
    ok(&mut b, "DELETE FROM accounts WHERE id = 2");
    // Still the snapshot: old value, no new row, the deleted row still there.
    assert_eq!(balance(&mut a, 1), 100);
    assert_eq!(int(&mut a, "SELECT count(*) FROM accounts"), 2);
    assert_eq!(balance(&mut a, 2), 100);
    ok(&mut a, "COMMIT");
    // A new transaction sees everything.
    assert_eq!(balance(&mut a, 1), 200);
    assert_eq!(int(&mut a, "SELECT count(*) FROM accounts"), 2);
    assert_eq!(int(&mut a, "SELECT sum(balance) FROM accounts"), 500);
}

#[test]
fn dsql_snapshot_is_taken_at_begin() {
    // Aurora DSQL takes the snapshot when the transaction starts, i.e. at BEGIN, not (as PostgreSQL
    // REPEATABLE READ does) at the first statement.
    let database = bank(1, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "UPDATE accounts SET balance = 200 WHERE id = 1");
    assert_eq!(balance(&mut a, 1), 100);
    ok(&mut a, "COMMIT");
}

#[test]
fn uncommitted_writes_are_private() {
    let database = bank(1, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 1 WHERE id = 1");
    ok(&mut a, "INSERT INTO accounts VALUES (2, 2)");
    // Own writes are visible inside the transaction...
    assert_eq!(balance(&mut a, 1), 1);
    assert_eq!(int(&mut a, "SELECT count(*) FROM accounts"), 2);
    // ... and invisible to everyone else until COMMIT.
    assert_eq!(balance(&mut b, 1), 100);
    assert_eq!(int(&mut b, "SELECT count(*) FROM accounts"), 1);
    ok(&mut a, "COMMIT");
    assert_eq!(balance(&mut b, 1), 1);
    assert_eq!(int(&mut b, "SELECT count(*) FROM accounts"), 2);
}

#[test]
fn rollback_discards_writes() {
    let database = bank(2, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut a, "UPDATE accounts SET balance = 0 WHERE id = 1");
    ok(&mut a, "DELETE FROM accounts WHERE id = 2");
    ok(&mut a, "INSERT INTO accounts VALUES (3, 3)");
    assert_eq!(tag(&mut a, "ROLLBACK"), "ROLLBACK");
    assert_eq!(a.transaction_status(), TransactionStatus::Idle);
    for session in [&mut a, &mut b] {
        assert_eq!(
            rows(session, "SELECT id, balance FROM accounts ORDER BY id"),
            vec![vec![Value::Int(1), Value::Int(100)], vec![Value::Int(2), Value::Int(100)]]
        );
    }
    // A rolled-back write never conflicts with anyone.
    ok(&mut b, "BEGIN");
    ok(&mut b, "UPDATE accounts SET balance = 5 WHERE id = 1");
    ok(&mut b, "COMMIT");
}

#[test]
fn read_only_transactions_never_conflict() {
    let database = bank(2, 100);
    let (mut reader, mut writer) = (session(&database), session(&database));

    ok(&mut reader, "BEGIN");
    assert_eq!(int(&mut reader, "SELECT sum(balance) FROM accounts"), 200);
    ok(&mut writer, "BEGIN");
    ok(&mut writer, "UPDATE accounts SET balance = 0 WHERE id = 1");
    ok(&mut writer, "DELETE FROM accounts WHERE id = 2");
    ok(&mut writer, "COMMIT");
    assert_eq!(int(&mut reader, "SELECT sum(balance) FROM accounts"), 200);
    assert_eq!(tag(&mut reader, "COMMIT"), "COMMIT");
    assert_eq!(int(&mut reader, "SELECT count(*) FROM accounts"), 1);
}

#[test]
fn write_skew_is_allowed() {
    // Two on-call doctors: each checks that the other is still on call, then leaves. Snapshot isolation
    // checks only write-write conflicts, so both commit and nobody is left (as in PostgreSQL REPEATABLE READ).
    let database = bank(2, 1);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    assert_eq!(int(&mut a, "SELECT sum(balance) FROM accounts WHERE id IN (1, 2)"), 2);
    assert_eq!(int(&mut b, "SELECT sum(balance) FROM accounts WHERE id IN (1, 2)"), 2);
    ok(&mut a, "UPDATE accounts SET balance = 0 WHERE id = 1");
    ok(&mut b, "UPDATE accounts SET balance = 0 WHERE id = 2");
    assert_eq!(tag(&mut a, "COMMIT"), "COMMIT");
    assert_eq!(tag(&mut b, "COMMIT"), "COMMIT");
    assert_eq!(int(&mut a, "SELECT sum(balance) FROM accounts"), 0);
}

// ---------------------------------------------------------------------------------------------------------
// Inserts of the same new key.

#[test]
fn concurrent_inserts_of_one_new_key_conflict() {
    let database = bank(1, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    ok(&mut a, "BEGIN");
    ok(&mut b, "BEGIN");
    assert_eq!(tag(&mut a, "INSERT INTO accounts VALUES (7, 1)"), "INSERT 0 1");
    assert_eq!(tag(&mut b, "INSERT INTO accounts VALUES (7, 2)"), "INSERT 0 1");
    ok(&mut a, "COMMIT");
    expect_conflict(&mut b, "COMMIT");
    assert_eq!(balance(&mut b, 7), 1);
}

#[test]
fn insert_of_a_key_committed_before_the_statement() {
    let database = bank(1, 100);
    let (mut a, mut b) = (session(&database), session(&database));

    // b's transaction began before a committed key 8: its INSERT either sees the key (23505 now) or, reading
    // its snapshot, succeeds and then loses at COMMIT (40001). Either way the key keeps a's row.
    ok(&mut b, "BEGIN");
    assert_eq!(int(&mut b, "SELECT count(*) FROM accounts"), 1);
    ok(&mut a, "INSERT INTO accounts VALUES (8, 1)");
    match run(&mut b, "INSERT INTO accounts VALUES (8, 2)") {
        Err(err) => {
            assert_eq!(err.code, "23505", "{err}");
            ok(&mut b, "ROLLBACK");
        }
        Ok(_) => expect_conflict(&mut b, "COMMIT"),
    }
    assert_eq!(balance(&mut b, 8), 1);

    // A transaction that starts after the commit sees the key: a plain unique violation.
    ok(&mut b, "BEGIN");
    let err = run(&mut b, "INSERT INTO accounts VALUES (8, 3)").expect_err("duplicate key");
    assert_eq!(err.code, "23505");
    assert_eq!(err.message, "duplicate key value violates unique constraint \"accounts_pkey\"");
    assert_eq!(b.transaction_status(), TransactionStatus::Failed);
    ok(&mut b, "ROLLBACK");
}

#[test]
fn concurrent_upserts_of_one_new_key_conflict() {
    let database = bank(1, 100);
    let (mut a, mut b) = (session(&database), session(&database));
    ok(&mut a, "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, visits int)");

    // Each sees no row with the key at its snapshot, so each inserts; the second committer loses.
    for (target, key) in [("(id)", "1, 'x@a'"), ("ON CONSTRAINT users_email_key", "2, 'y@a'")] {
        ok(&mut a, "BEGIN");
        ok(&mut b, "BEGIN");
        let upsert = |visits: i64| {
            format!("INSERT INTO users VALUES ({key}, {visits}) ON CONFLICT {target} DO UPDATE SET visits = users.visits + 1")
        };
        assert_eq!(tag(&mut a, &upsert(1)), "INSERT 0 1");
        assert_eq!(tag(&mut b, &upsert(2)), "INSERT 0 1");
        ok(&mut b, "COMMIT");
        expect_conflict(&mut a, "COMMIT");
    }
    assert_eq!(int(&mut a, "SELECT sum(visits) FROM users"), 4);
}

// ---------------------------------------------------------------------------------------------------------
// Foreign keys: a child insert checked its parent row, a concurrent delete of that row found no child. OCC
// makes the two conflict at COMMIT, whichever commits first (DSQL never waits for a lock).

/// A database with `parent(id, code UNIQUE)` = {1, 2} and `child(id, pid -> parent, code -> parent.code)`.
fn family() -> Database {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE, note text)");
    ok(
        &mut setup,
        "CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent, code text REFERENCES parent (code))",
    );
    ok(&mut setup, "INSERT INTO parent VALUES (1, 'a', ''), (2, 'b', '')");
    database
}

/// The number of rows of `table`.
fn count(session: &mut Session, table: &str) -> i64 {
    int(session, &format!("SELECT count(*) FROM {table}"))
}

#[test]
fn child_insert_then_parent_delete_the_parent_commits_first() {
    let database = family();
    let (mut child, mut parent) = (session(&database), session(&database));
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (1, 1, NULL)"), "INSERT 0 1");
    // The deleter's snapshot holds no child of parent 1.
    assert_eq!(tag(&mut parent, "DELETE FROM parent WHERE id = 1"), "DELETE 1");
    ok(&mut parent, "COMMIT");
    expect_conflict(&mut child, "COMMIT");
    assert_eq!(count(&mut child, "child"), 0);
    assert_eq!(count(&mut child, "parent"), 1);
}

#[test]
fn child_insert_then_parent_delete_the_child_commits_first() {
    let database = family();
    let (mut child, mut parent) = (session(&database), session(&database));
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut parent, "DELETE FROM parent WHERE id = 1"), "DELETE 1");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (1, 1, NULL)"), "INSERT 0 1");
    ok(&mut child, "COMMIT");
    expect_conflict(&mut parent, "COMMIT");
    assert_eq!(count(&mut parent, "child"), 1);
    assert_eq!(count(&mut parent, "parent"), 2);
}

#[test]
fn parent_key_changes_conflict_with_child_inserts_but_other_updates_do_not() {
    let database = family();
    let (mut child, mut parent) = (session(&database), session(&database));

    // A key change of the referenced primary key (a delete of the old key) conflicts.
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (1, 1, NULL)"), "INSERT 0 1");
    assert_eq!(tag(&mut parent, "UPDATE parent SET id = 10 WHERE id = 1"), "UPDATE 1");
    ok(&mut child, "COMMIT");
    expect_conflict(&mut parent, "COMMIT");

    // So does a change of a referenced unique column (its old index entry goes).
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (2, NULL, 'b')"), "INSERT 0 1");
    assert_eq!(tag(&mut parent, "UPDATE parent SET code = 'bb' WHERE id = 2"), "UPDATE 1");
    ok(&mut parent, "COMMIT");
    expect_conflict(&mut child, "COMMIT");

    // An update that leaves the referenced keys alone does not.
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (3, 1, NULL)"), "INSERT 0 1");
    assert_eq!(tag(&mut parent, "UPDATE parent SET note = 'x' WHERE id = 1"), "UPDATE 1");
    ok(&mut parent, "COMMIT");
    ok(&mut child, "COMMIT");
    assert_eq!(count(&mut child, "child"), 2);
}

#[test]
fn cascading_delete_conflicts_with_a_concurrent_child_insert() {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE parent (id int PRIMARY KEY)");
    ok(&mut setup, "CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent ON DELETE CASCADE)");
    ok(&mut setup, "INSERT INTO parent VALUES (1)");
    let (mut child, mut parent) = (session(&database), session(&database));
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut parent, "DELETE FROM parent WHERE id = 1"), "DELETE 1");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (1, 1)"), "INSERT 0 1");
    ok(&mut parent, "COMMIT");
    expect_conflict(&mut child, "COMMIT");
    assert_eq!(count(&mut child, "child"), 0);
}

/// A deferred foreign key checks at COMMIT, before the commit validates: the child's COMMIT finds the parent
/// row and takes the same key-share lock, so a racing parent delete still cannot commit with it, whichever
/// commits first.
#[test]
fn deferred_foreign_key_still_conflicts_with_a_parent_delete() {
    let database = Database::open_in_memory();
    let mut setup = session(&database);
    ok(&mut setup, "CREATE TABLE parent (id int PRIMARY KEY)");
    ok(&mut setup, "CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)");
    ok(&mut setup, "INSERT INTO parent VALUES (1), (2)");
    let (mut child, mut parent) = (session(&database), session(&database));

    // The parent's delete commits first: the child's COMMIT-time check still finds parent 1 in its snapshot
    // and locks it, and that lock fails the commit (40001).
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (1, 1)"), "INSERT 0 1");
    assert_eq!(tag(&mut parent, "DELETE FROM parent WHERE id = 1"), "DELETE 1");
    ok(&mut parent, "COMMIT");
    expect_conflict(&mut child, "COMMIT");

    // The child commits first: the parent's delete, which saw no child, fails its COMMIT.
    ok(&mut child, "BEGIN");
    ok(&mut parent, "BEGIN");
    assert_eq!(tag(&mut parent, "DELETE FROM parent WHERE id = 2"), "DELETE 1");
    assert_eq!(tag(&mut child, "INSERT INTO child VALUES (2, 2)"), "INSERT 0 1");
    ok(&mut child, "COMMIT");
    expect_conflict(&mut parent, "COMMIT");
    assert_eq!(count(&mut parent, "child"), 1);
    assert_eq!(count(&mut parent, "parent"), 1);
}

// ---------------------------------------------------------------------------------------------------------
// Threads: random transfers with retries conserve money.

const ACCOUNTS: i64 = 10;
const INITIAL_BALANCE: i64 = 1000;
const THREADS: u64 = 8;
const TRANSFERS_PER_THREAD: usize = 200;

/// The workshop's transfer: returns Ok(true) if it committed, Ok(false) if it was refused for lack of
/// funds (rolled back), Err(40001) to retry.
fn transfer(session: &mut Session, payer: i64, payee: i64, amount: i64) -> Result<bool, Error> {
    let attempt = |session: &mut Session| -> Result<bool, Error> {
        run(session, "BEGIN")?;
        let sql = format!("UPDATE accounts SET balance = balance - {amount} WHERE id = {payer} RETURNING balance");
        let payer_balance = match run(session, &sql)? {
            QueryResult::Rows { rows, .. } => match rows.as_slice() {
                [row] => match row.as_slice() {
                    [Value::Int(balance)] => *balance,
                    other => panic!("{sql}: unexpected row {other:?}"),
                },
                other => panic!("{sql}: expected one row, got {other:?}"),
            },
            other => panic!("{sql}: expected rows, got {other:?}"),
        };
        if payer_balance < 0 {
            run(session, "ROLLBACK")?;
            return Ok(false);
        }
        run(session, &format!("UPDATE accounts SET balance = balance + {amount} WHERE id = {payee}"))?;
        run(session, &format!("INSERT INTO history (payer_id, payee_id, amount) VALUES ({payer}, {payee}, {amount})"))?;
        run(session, "COMMIT")?;
        Ok(true)
    };
    let result = attempt(session);
    if result.is_err() && session.transaction_status() != TransactionStatus::Idle {
        // Whatever failed mid-block, leave the session ready for the retry.
        ok(session, "ROLLBACK");
    }
    result
}

#[test]
fn threaded_transfers_conserve_money() {
    let database = bank(ACCOUNTS, INITIAL_BALANCE);
    let mut setup = session(&database);
    ok(
        &mut setup,
        "CREATE TABLE history (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, payer_id int, payee_id int, \
         amount int, created_at timestamp DEFAULT CURRENT_TIMESTAMP)",
    );

    let committed = AtomicU64::new(0);
    let conflicts = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (database, committed, conflicts) = (&database, &committed, &conflicts);
            scope.spawn(move || {
                let mut session = session(database);
                let mut rng = rand::rngs::StdRng::seed_from_u64(thread);
                for _ in 0..TRANSFERS_PER_THREAD {
                    let payer = rng.gen_range(1..=ACCOUNTS);
                    let payee = (payer + rng.gen_range(1..ACCOUNTS) - 1) % ACCOUNTS + 1;
                    let amount = rng.gen_range(1..=50);
                    let mut retries = 0;
                    loop {
                        match transfer(&mut session, payer, payee, amount) {
                            Ok(true) => {
                                committed.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                            Ok(false) => break,
                            Err(err) if err.code == SERIALIZATION_FAILURE => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                                retries += 1;
                                assert!(retries < 10_000, "transfer {payer}->{payee} never got through");
                            }
                            Err(err) => panic!("transfer {payer}->{payee} {amount}: unexpected error {err}"),
                        }
                    }
                }
            });
        }
    });

    let committed = committed.load(Ordering::Relaxed);
    eprintln!("{committed} transfers committed, {} conflicts retried", conflicts.load(Ordering::Relaxed));
    assert!(committed > 0);
    assert_eq!(int(&mut setup, "SELECT sum(balance) FROM accounts"), ACCOUNTS * INITIAL_BALANCE);
    assert_eq!(int(&mut setup, "SELECT count(*) FROM accounts"), ACCOUNTS);
    assert_eq!(int(&mut setup, "SELECT count(*) FROM accounts WHERE balance < 0"), 0, "no overdraft committed");
    assert_eq!(int(&mut setup, "SELECT count(*) FROM history"), committed as i64);
    assert_eq!(int(&mut setup, "SELECT count(DISTINCT id) FROM history"), committed as i64);
    // Each account's balance is its initial balance plus what the history says it received minus paid.
    let net = rows(
        &mut setup,
        "SELECT a.id, a.balance - (SELECT coalesce(sum(amount), 0) FROM history WHERE payee_id = a.id) \
         + (SELECT coalesce(sum(amount), 0) FROM history WHERE payer_id = a.id) FROM accounts a ORDER BY a.id",
    );
    for row in net {
        assert_eq!(row[1], Value::Int(INITIAL_BALANCE), "account {:?} disagrees with its history", row[0]);
    }
}
