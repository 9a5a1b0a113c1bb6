//! pg_dump → restore round trips against a started occam in PostgreSQL mode (issue 10): a database with a
//! second schema, tables of many types, identity and serial columns and a standalone sequence, defaults,
//! NOT NULL, PRIMARY KEY, UNIQUE, CHECK and FOREIGN KEY constraints, plain / unique / multi-column / DESC /
//! partial / expression / INCLUDE indexes, a view, a materialized view, comments, a role's grants, and rows
//! with NULLs, quotes, tabs, newlines, backslashes and non-ASCII text.
//!
//! PostgreSQL 15's `pg_dump` (plain format) dumps it; `psql -v ON_ERROR_STOP=1` restores the dump into a
//! fresh occam, whose dump must equal the first (less the header lines and psql's `\restrict` key), and
//! whose rows, sequences and constraints must behave as the source's. The custom format goes through
//! `pg_restore --exit-on-error` the same way. Where PostgreSQL 15's server binaries are installed, the dump
//! is also restored into a real PostgreSQL, which must accept every statement and hold the same rows.
//!
//! pg_dump runs with no occam-specific option: occam's built-in `sys` schema and its relations belong to a
//! built-in extension (`occam_sys` in `pg_extension`, members in `pg_depend`), which pg_dump leaves out.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

mod common;
use common::{Postgres, Server};

const FIXTURE: &str = r#"
CREATE SCHEMA app;
CREATE ROLE reader;
CREATE SEQUENCE app.ticket_seq START 100 INCREMENT 5;
CREATE TABLE customers (
  id int PRIMARY KEY,
  name text NOT NULL,
  email varchar(200) UNIQUE,
  balance numeric(12,2) DEFAULT 0 CHECK (balance >= 0),
  active bool NOT NULL DEFAULT true,
  created_at timestamptz DEFAULT now()
);
CREATE TABLE app.orders (
  order_id bigserial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  ref uuid,
  placed date,
  status text NOT NULL DEFAULT 'new',
  amount numeric(10,2),
  attrs jsonb,
  blob bytea,
  qty int CONSTRAINT qty_positive CHECK (qty > 0)
);
CREATE TABLE app.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind varchar(20) NOT NULL,
  payload text,
  seen timestamptz,
  UNIQUE (kind, seen)
);
CREATE INDEX orders_status_idx ON app.orders (status);
CREATE UNIQUE INDEX orders_ref_key ON app.orders (ref);
CREATE INDEX orders_multi_idx ON app.orders (customer_id, placed DESC);
CREATE INDEX orders_big_idx ON app.orders (amount) WHERE amount > 100;
CREATE INDEX customers_lower_name_idx ON customers (lower(name));
CREATE INDEX orders_cover_idx ON app.orders (placed) INCLUDE (amount);
CREATE VIEW active_customers AS SELECT id, name FROM customers WHERE active;
CREATE MATERIALIZED VIEW app.order_totals AS
  SELECT customer_id, sum(amount) AS total FROM app.orders GROUP BY customer_id;
COMMENT ON TABLE customers IS 'People who buy';
COMMENT ON COLUMN customers.email IS 'Where to write';
GRANT USAGE ON SCHEMA app TO reader;
GRANT SELECT ON customers TO reader;
GRANT SELECT, INSERT ON app.orders TO reader;
INSERT INTO customers (id, name, email, balance, active, created_at) VALUES
  (1, 'Ann', 'ann@example.com', 10.50, true, '2024-01-02 03:04:05+00'),
  (2, 'O''Brien', NULL, 0, false, NULL),
  (3, E'tab\there', 'nl@example.com', 99.99, true, '2025-06-07 08:09:10.123456+00'),
  (4, E'line\nbreak \\ back', 'x@y', NULL, true, NULL),
  (5, 'Zoë 日本', 'z@z', 1, true, '2020-02-29 00:00:00+00');
INSERT INTO app.orders (customer_id, ref, placed, status, amount, attrs, blob, qty) VALUES
  (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-03', 'shipped', 150.00, '{"k": [1, 2, {"x": null}]}', '\x00ff10', 2),
  (1, NULL, NULL, 'new', NULL, NULL, NULL, NULL),
  (3, 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '2025-12-31', 'new', 20.25, '"str"', '\x', 1),
  (5, NULL, '2020-01-01', E'quote"s and ''', 1000.01, '[]', '\x5c', 7);
INSERT INTO app.events (kind, payload, seen) VALUES ('login', 'ok', '2024-05-05 05:05:05+00'), ('logout', NULL, NULL);
SELECT nextval('app.ticket_seq'), nextval('app.ticket_seq');
REFRESH MATERIALIZED VIEW app.order_totals;
"#;

/// Queries whose answers must be the same wherever the dump was restored: every row of every relation,
/// and the sequences' states.
const CONTENTS: &[&str] = &[
    "SELECT * FROM public.customers ORDER BY id",
    "SELECT * FROM app.orders ORDER BY order_id",
    "SELECT * FROM app.events ORDER BY id",
    "SELECT * FROM public.active_customers ORDER BY id",
    "SELECT * FROM app.order_totals ORDER BY customer_id",
    "SELECT last_value, is_called FROM app.ticket_seq",
    "SELECT last_value, is_called FROM app.orders_order_id_seq",
    "SELECT last_value, is_called FROM app.events_id_seq",
    "SELECT obj_description('public.customers'::regclass, 'pg_class'), \
     col_description('public.customers'::regclass, 3)",
    "SELECT has_table_privilege('reader', 'public.customers', 'SELECT'), \
     has_table_privilege('reader', 'app.orders', 'INSERT'), has_table_privilege('reader', 'app.events', 'SELECT')",
];

/// A PostgreSQL client program: from PostgreSQL 15's directory when installed, else Debian's wrapper.
fn client_program(name: &str) -> PathBuf {
    Postgres::binaries()
        .map(|dir| dir.join(name))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("/usr/bin").join(name))
}

fn connection_args(port: u16) -> Vec<String> {
    ["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "admin"].iter().map(|s| s.to_string()).collect()
}

/// Runs a client program against the server on `port` (UTC, any password), feeding it `stdin`.
fn run(program: &str, port: u16, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(client_program(program))
        .args(connection_args(port))
        .args(args)
        .env("PGPASSWORD", "anything")
        .env("PGTZ", "UTC")
        .env("PGCONNECT_TIMEOUT", "30")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("run {program}: {err}"));
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn succeeded(what: &str, output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{what} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// Runs a SQL script with psql, stopping at the first error (which fails the test).
fn psql_script(port: u16, what: &str, sql: &str) -> String {
    let output =
        run("psql", port, &["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-f", "-"], sql);
    succeeded(what, output)
}

/// The database's plain-format dump.
fn dump(port: u16) -> String {
    succeeded("pg_dump", run("pg_dump", port, &["postgres"], ""))
}

/// A dump without what differs between two dumps of the same database: the header's version lines and
/// psql's random `\restrict` key.
fn comparable(dump: &str) -> String {
    dump.lines()
        .filter(|line| {
            !line.starts_with("-- Dumped ") && !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

fn contents(port: u16) -> Vec<String> {
    CONTENTS.iter().map(|query| psql_script(port, query, &format!("{query};"))).collect()
}

fn postgres_mode() -> Server {
    Server::start(&["--compat", "postgres", "--in-memory"])
}

/// A fresh occam with the role the dump grants to (pg_dump dumps one database; roles are the cluster's).
fn restore_target() -> Server {
    let server = postgres_mode();
    psql_script(server.port, "CREATE ROLE", "CREATE ROLE reader;");
    server
}

#[test]
fn dump_restores_into_occam_and_postgres() {
    let source = postgres_mode();
    psql_script(source.port, "the fixture", FIXTURE);
    let first = dump(source.port);
    for expected in [
        "CREATE SCHEMA app;",
        "CREATE TABLE app.orders (",
        "ALTER TABLE app.events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (",
        "ALTER SEQUENCE app.orders_order_id_seq OWNED BY app.orders.order_id;",
        "ALTER TABLE ONLY app.orders ALTER COLUMN order_id SET DEFAULT nextval('app.orders_order_id_seq'::regclass);",
        "CONSTRAINT customers_balance_check CHECK ((balance >= (0)::numeric))",
        "COPY public.customers (id, name, email, balance, active, created_at) FROM stdin;",
        "4\tline\\nbreak \\\\ back\tx@y\t\\N\tt\t\\N",
        "SELECT pg_catalog.setval('app.ticket_seq', 105, true);",
        "ADD CONSTRAINT customers_pkey PRIMARY KEY (id);",
        "ADD CONSTRAINT events_kind_seen_key UNIQUE (kind, seen);",
        "CREATE INDEX orders_big_idx ON app.orders USING btree (amount) WHERE (amount > (100)::numeric);",
        "CREATE INDEX orders_cover_idx ON app.orders USING btree (placed) INCLUDE (amount);",
        "CREATE INDEX orders_multi_idx ON app.orders USING btree (customer_id, placed DESC);",
        "CREATE INDEX customers_lower_name_idx ON public.customers USING btree (lower(name));",
        "REFERENCES public.customers(id) ON DELETE CASCADE;",
        "CREATE VIEW public.active_customers AS",
        "CREATE MATERIALIZED VIEW app.order_totals AS",
        "REFRESH MATERIALIZED VIEW app.order_totals;",
        "COMMENT ON COLUMN public.customers.email IS 'Where to write';",
        "GRANT SELECT,INSERT ON TABLE app.orders TO reader;",
        "GRANT USAGE ON SCHEMA app TO reader;",
    ] {
        assert!(first.contains(expected), "the dump lacks {expected:?}:\n{first}");
    }
    let expected_contents = contents(source.port);

    // Plain format, restored by psql into a fresh occam: the same dump, the same rows.
    let target = restore_target();
    psql_script(target.port, "restoring the plain dump", &first);
    assert_eq!(comparable(&dump(target.port)), comparable(&first), "the restored database dumps differently");
    assert_eq!(contents(target.port), expected_contents);
    // The restored database behaves as the source: sequences continue, keys and constraints hold.
    let continued = psql_script(
        target.port,
        "writes after the restore",
        "SELECT nextval('app.ticket_seq');\n\
         INSERT INTO app.events (kind) VALUES ('later') RETURNING id;\n\
         INSERT INTO app.orders (customer_id) VALUES (2) RETURNING order_id;",
    );
    assert_eq!(continued.split_whitespace().collect::<Vec<_>>(), ["110", "3", "5"], "{continued}");
    for (statement, sqlstate) in [
        ("INSERT INTO public.customers (id, name) VALUES (1, 'again')", "23505"),
        ("INSERT INTO public.customers (id, name, email) VALUES (9, 'b', 'ann@example.com')", "23505"),
        ("INSERT INTO app.orders (customer_id) VALUES (99)", "23503"),
        ("INSERT INTO app.orders (customer_id, qty) VALUES (1, 0)", "23514"),
    ] {
        let output =
            run("psql", target.port, &["-X", "-d", "postgres", "-v", "VERBOSITY=verbose", "-c", statement], "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(sqlstate), "{statement}: expected {sqlstate}, got {stderr}");
    }

    // Custom format, restored by pg_restore.
    let archive = tempfile::NamedTempFile::new().expect("temporary file");
    let archive_path = archive.path().to_str().expect("utf-8 path");
    succeeded("pg_dump -Fc", run("pg_dump", source.port, &["-Fc", "-f", archive_path, "postgres"], ""));
    let custom_target = restore_target();
    succeeded(
        "pg_restore",
        run("pg_restore", custom_target.port, &["--exit-on-error", "-d", "postgres", archive_path], ""),
    );
    assert_eq!(comparable(&dump(custom_target.port)), comparable(&first), "pg_restore's database dumps differently");
    assert_eq!(contents(custom_target.port), expected_contents);

    // A real PostgreSQL 15 accepts occam's dump and holds the same rows.
    match Postgres::start() {
        Ok(postgres) => {
            psql_script(postgres.port, "CREATE ROLE in PostgreSQL", "CREATE ROLE reader;");
            psql_script(postgres.port, "restoring occam's dump into PostgreSQL", &first);
            assert_eq!(contents(postgres.port), expected_contents, "PostgreSQL holds different rows");
        }
        Err(why) => eprintln!("pg_dump: skipping the restore into PostgreSQL: {why}"),
    }
}

/// pg_dumpall: the roles (`pg_authid`, with their password verifiers and `ALTER ROLE ... SET` defaults)
/// and the database, restored by psql into a fresh occam whose own pg_dumpall is the same. As with
/// PostgreSQL, the restore's one error is `CREATE ROLE` of the superuser that runs it, which exists.
#[test]
fn dumpall_restores_roles_and_database() {
    let source = postgres_mode();
    psql_script(source.port, "the fixture", FIXTURE);
    psql_script(
        source.port,
        "role settings",
        "ALTER ROLE reader WITH LOGIN PASSWORD 'secret';\nALTER ROLE reader SET statement_timeout = '5s';\n\
         CREATE ROLE writer WITH LOGIN;",
    );
    let first = succeeded("pg_dumpall", run("pg_dumpall", source.port, &[], ""));
    for expected in [
        "CREATE ROLE reader;",
        "ALTER ROLE reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS PASSWORD 'SCRAM-SHA-256$4096:",
        "ALTER ROLE reader SET statement_timeout TO '5s';",
        "ALTER ROLE admin WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;",
        "CREATE TABLE app.orders (",
    ] {
        assert!(first.contains(expected), "the dump lacks {expected:?}:\n{first}");
    }
    let target = postgres_mode();
    let restore = run("psql", target.port, &["-X", "-q", "-d", "postgres", "-f", "-"], &first);
    let errors: Vec<String> = String::from_utf8_lossy(&restore.stderr)
        .lines()
        .filter(|line| line.contains("ERROR"))
        .map(str::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("role \"admin\" already exists"), "{errors:?}");
    let second = succeeded("pg_dumpall of the restored", run("pg_dumpall", target.port, &[], ""));
    assert_eq!(comparable(&second), comparable(&first), "the restored cluster dumps differently");
}
