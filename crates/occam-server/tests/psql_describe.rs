//! psql's describe meta-commands (`\dt`, `\d`, `\d table`, `\di`, `\dn`, `\du`, `\l`, `\dv`, `\df`,
//! `\df+`, `\sf`, `\d index`, `\dt+`, `\dx`) against a started occam, in both modes, on one schema: a
//! composite primary key, NOT NULL columns, defaults, a secondary, a unique, an INCLUDE and a partial index,
//! CHECK, UNIQUE and FOREIGN KEY constraints (`\d`'s "Check constraints:", "Foreign-key constraints:",
//! "Referenced by:"), SQL functions (a scalar and a `RETURNS TABLE` one reading a table, one of an
//! expression, one `RETURN expr`), and a table with an index in a second schema (`\dt billing.*`,
//! `\d billing.invoices`).
//!
//! The output is compared with `tests/psql_describe/<mode>.out` (`OCCAM_BLESS=1` rewrites them), and,
//! where PostgreSQL 15's binaries are installed, with the same commands' output from a real PostgreSQL
//! the test starts (superuser `admin`, as occam's). What occam shows differently on purpose is left out
//! of that comparison: `\dn` (PostgreSQL's `public` belongs to `pg_database_owner`; occam also has
//! `sys`), `\l` (template databases, locales), `\dt+` (sizes: occam's are estimates) and `\dx`
//! (PostgreSQL has plpgsql, occam its built-in `occam_sys`, the extension `sys` belongs to). Aurora DSQL mode's `btree_index` is read as `btree` for the comparison, and
//! its `\l` fails, as on DSQL, which has no `pg_database`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{Postgres, Server, PSQL};

const FIXTURE: &[&str] = &[
    "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email varchar(200))",
    "CREATE TABLE orders (customer_id int NOT NULL, order_id bigint NOT NULL, status text NOT NULL DEFAULT 'new', \
     amount numeric(10,2), note varchar(100), created_at timestamptz DEFAULT now(), \
     PRIMARY KEY (customer_id, order_id))",
    "CREATE INDEX orders_status_idx ON orders (status)",
    "CREATE UNIQUE INDEX orders_note_key ON orders (note)",
    "CREATE INDEX orders_cover_idx ON orders (created_at DESC) INCLUDE (amount)",
    "CREATE INDEX orders_big_idx ON orders (amount) WHERE amount > 100",
    "CREATE TABLE items (id int PRIMARY KEY, customer_id int REFERENCES customers ON DELETE CASCADE, \
     sku text UNIQUE, qty int CHECK (qty > 0), CONSTRAINT items_sane CHECK (qty < 1000))",
    "CREATE FUNCTION order_count(c int) RETURNS bigint LANGUAGE sql STABLE \
     AS $$ SELECT count(*) FROM orders WHERE customer_id = c $$",
    "CREATE FUNCTION customer_orders(c int) RETURNS TABLE (order_id bigint, status text) LANGUAGE sql STRICT \
     AS $$ SELECT order_id, status FROM orders WHERE customer_id = c $$",
    "CREATE FUNCTION plus(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2'",
    "COMMENT ON FUNCTION order_count(int) IS 'Orders of one customer'",
    "CREATE FUNCTION double_it(x int) RETURNS int LANGUAGE sql IMMUTABLE RETURN x * 2",
    "CREATE SCHEMA billing",
    "CREATE TABLE billing.invoices (id bigint PRIMARY KEY, customer_id int REFERENCES customers, total numeric(12,2))",
    "CREATE INDEX invoices_customer_idx ON billing.invoices (customer_id)",
];

const COMMANDS: &[&str] = &[
    "\\dt",
    "\\d",
    "\\d orders",
    "\\d customers",
    "\\d items",
    "\\di",
    "\\dn",
    "\\du",
    "\\l",
    "\\dv",
    "\\df",
    "\\df+",
    "\\sf customer_orders",
    "\\sf double_it",
    "\\d orders_pkey",
    "\\d orders_big_idx",
    "\\d orders_cover_idx",
    "\\dt+",
    "\\dx",
    "\\dt billing.*",
    "\\d billing.invoices",
    "\\di billing.*",
];

/// Commands whose output differs from PostgreSQL's on purpose (see the module comment).
const NOT_COMPARED_WITH_POSTGRES: &[&str] = &["\\dn", "\\l", "\\dt+", "\\dx"];

/// Runs one psql invocation (`-X`, no pager) and returns what it printed, errors included.
fn psql(port: u16, host: &str, sql: &str) -> (bool, String) {
    let output = Command::new(PSQL)
        .args(["-X", "-h", host, "-p", &port.to_string(), "-U", "admin", "-d", "postgres", "-P", "pager=off"])
        .args(["-c", sql])
        .env("PGPASSWORD", "anything")
        .env("PGCONNECT_TIMEOUT", "30")
        .output()
        .expect("run psql");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Every command's output, one section per command.
fn describe(port: u16, host: &str) -> Vec<(String, String)> {
    COMMANDS.iter().map(|command| (command.to_string(), psql(port, host, command).1)).collect()
}

fn render(sections: &[(String, String)]) -> String {
    sections.iter().map(|(command, output)| format!("=== {command}\n{output}")).collect()
}

/// Creates the fixture, one statement per psql call (Aurora DSQL: one DDL statement per transaction),
/// `CREATE INDEX ASYNC` in dsql mode, then waits for the index builds.
fn create_fixture(port: u16, dsql: bool) {
    for statement in FIXTURE {
        let statement = if dsql { statement.replace(" INDEX ", " INDEX ASYNC ") } else { statement.to_string() };
        let (ok, output) = psql(port, "127.0.0.1", &statement);
        assert!(ok, "{statement}: {output}");
    }
    if !dsql {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (ok, output) = psql(port, "127.0.0.1", "SELECT count(*) FROM sys.jobs WHERE status <> 'completed'");
        assert!(ok, "{output}");
        if output.lines().any(|line| line.trim() == "0") {
            return;
        }
        assert!(Instant::now() < deadline, "index builds did not finish: {output}");
        // Polling interval: the loop ends as soon as the jobs report completed.
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn expected_path(mode: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("psql_describe").join(format!("{mode}.out"))
}

/// Compares with the expected file (or rewrites it with `OCCAM_BLESS=1`).
fn check_expected(mode: &str, actual: &str) {
    let path = expected_path(mode);
    if std::env::var_os("OCCAM_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write expected output");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    if expected != actual {
        panic!(
            "psql output in {mode} mode differs from {}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// occam's output with Aurora DSQL's access method name read as PostgreSQL's.
fn as_postgres_names(output: &str) -> String {
    output.replace("btree_index", "btree")
}

fn compare_with_postgres(occam: &[&[(String, String)]]) {
    let postgres = match Postgres::start() {
        Ok(postgres) => postgres,
        Err(why) => {
            eprintln!("psql_describe: skipping the comparison with PostgreSQL: {why}");
            return;
        }
    };
    for statement in FIXTURE {
        let (ok, output) = psql(postgres.port, "127.0.0.1", statement);
        assert!(ok, "PostgreSQL: {statement}: {output}");
    }
    let reference = describe(postgres.port, "127.0.0.1");
    for sections in occam {
        for ((command, ours), (_, theirs)) in sections.iter().zip(&reference) {
            if NOT_COMPARED_WITH_POSTGRES.contains(&command.as_str()) {
                continue;
            }
            assert_eq!(as_postgres_names(ours), *theirs, "{command}: occam and PostgreSQL 15 differ");
        }
    }
}

#[test]
fn describe_commands_match_postgres() {
    let postgres_mode = Server::start(&["--in-memory", "--compat", "postgres"]);
    create_fixture(postgres_mode.port, false);
    let postgres_output = describe(postgres_mode.port, "127.0.0.1");
    check_expected("postgres", &render(&postgres_output));

    let dsql_mode = Server::start(&["--in-memory"]);
    create_fixture(dsql_mode.port, true);
    let dsql_output = describe(dsql_mode.port, "127.0.0.1");
    check_expected("dsql", &render(&dsql_output));
    let (_, l) = dsql_output.iter().find(|(command, _)| command == "\\l").expect("\\l ran");
    assert!(l.contains("relation \"pg_catalog.pg_database\" does not exist"), "{l}");

    compare_with_postgres(&[&postgres_output, &dsql_output]);
}
