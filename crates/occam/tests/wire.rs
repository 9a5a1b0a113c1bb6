//! The wire server over the real engine, driven by real clients: tokio-postgres (extended protocol,
//! binary parameters and results), a raw protocol client (text-format parameters, ReadyForQuery status)
//! and a client that sends garbage. Each test starts `occam::wire::serve` in-process on 127.0.0.1:0 over a
//! fresh in-memory database.

use std::error::Error as _;
use std::net::SocketAddr;

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use occam::wire;
use occam::Database;
use pgwire::messages::simplequery::Query;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{accepts, to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

mod common;
use common::raw::RawClient;

async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(wire::serve(listener, Database::open_in_memory()));
    addr
}

async fn connect(addr: SocketAddr) -> Client {
    let config = format!("host=127.0.0.1 port={} user=admin password=anything dbname=postgres", addr.port());
    let (client, connection) = tokio_postgres::connect(&config, NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

fn sqlstate(err: &tokio_postgres::Error) -> SqlState {
    err.code().cloned().unwrap_or_else(|| panic!("expected a server error, got {err:?} ({:?})", err.source()))
}

/// A numeric in PostgreSQL's binary format, passed through as raw bytes so the server's encoder and
/// decoder are checked against hand-written bytes.
#[derive(Debug, PartialEq)]
struct RawNumeric(Vec<u8>);

impl ToSql for RawNumeric {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }
    accepts!(NUMERIC);
    to_sql_checked!();
}

impl<'a> FromSql<'a> for RawNumeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawNumeric(raw.to_vec()))
    }
    accepts!(NUMERIC);
}

/// 12.34 as PostgreSQL sends it: ndigits 2, weight 0, sign +, dscale 2, base-10000 digits [12, 3400].
fn numeric_12_34() -> RawNumeric {
    RawNumeric(vec![0, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x0d, 0x48])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simple_query_with_several_statements() {
    let addr = start_server().await;
    let client = connect(addr).await;
    // DSQL keeps DDL out of transactions with DML, so the table is created by its own query.
    client.simple_query("CREATE TABLE wire_simple (id int PRIMARY KEY, name text)").await.expect("create");
    let messages = client
        .simple_query(
            "INSERT INTO wire_simple VALUES (1, 'one'), (2, NULL); SELECT 1 AS one; \
             SELECT id, name FROM wire_simple ORDER BY id",
        )
        .await
        .expect("simple query");
    let mut rows = Vec::new();
    let mut completions = Vec::new();
    for message in &messages {
        match message {
            SimpleQueryMessage::Row(row) => {
                rows.push((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect::<Vec<_>>())
            }
            SimpleQueryMessage::CommandComplete(n) => completions.push(*n),
            _ => {}
        }
    }
    let text = |values: &[Option<&str>]| values.iter().map(|v| v.map(str::to_owned)).collect::<Vec<_>>();
    assert_eq!(rows, [text(&[Some("1")]), text(&[Some("1"), Some("one")]), text(&[Some("2"), None])]);
    assert_eq!(completions, [2, 1, 2]);
    // An empty query string is answered, not rejected.
    let empty = client.simple_query("").await.expect("empty query");
    assert!(!empty.iter().any(|message| matches!(message, SimpleQueryMessage::Row(_))), "{empty:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn binary_parameters_and_results_round_trip_every_type() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client
        .batch_execute(
            "CREATE TABLE wire_types (id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, f4 real, \
             f8 double precision, num numeric(10,2), t text, vc varchar(20), b boolean, u uuid, d date, \
             ts timestamp, tstz timestamptz, by bytea)",
        )
        .await
        .expect("create table");
    let uuid = uuid::Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").expect("uuid");
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
    let timestamp: NaiveDateTime = date.and_hms_micro_opt(13, 14, 15, 123456).expect("timestamp");
    let timestamptz: DateTime<Utc> = DateTime::from_naive_utc_and_offset(timestamp, Utc);
    let bytes: Vec<u8> = vec![0, 1, 2, 255];
    let insert = client
        .prepare("INSERT INTO wire_types VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
        .await
        .expect("prepare insert");
    assert_eq!(insert.params()[1], Type::INT2);
    assert_eq!(insert.params()[6], Type::NUMERIC);
    let inserted = client
        .execute(
            &insert,
            &[
                &1i32,
                &-7i16,
                &2_000_000_000i32,
                &-9_000_000_000_000i64,
                &1.5f32,
                &-2.25e100f64,
                &numeric_12_34(),
                &"héllo",
                &"varchar",
                &true,
                &uuid,
                &date,
                &timestamp,
                &timestamptz,
                &bytes,
            ],
        )
        .await
        .expect("insert");
    assert_eq!(inserted, 1);
    // A row of NULLs, bound as binary NULL parameters.
    let nulls: [&(dyn ToSql + Sync); 15] = [
        &2i32,
        &None::<i16>,
        &None::<i32>,
        &None::<i64>,
        &None::<f32>,
        &None::<f64>,
        &None::<RawNumeric>,
        &None::<String>,
        &None::<String>,
        &None::<bool>,
        &None::<uuid::Uuid>,
        &None::<NaiveDate>,
        &None::<NaiveDateTime>,
        &None::<DateTime<Utc>>,
        &None::<Vec<u8>>,
    ];
    client.execute(&insert, &nulls).await.expect("insert nulls");

    let row = client.query_one("SELECT * FROM wire_types WHERE id = $1", &[&1i32]).await.expect("select");
    assert_eq!(row.get::<_, i16>("i2"), -7);
    assert_eq!(row.get::<_, i32>("i4"), 2_000_000_000);
    assert_eq!(row.get::<_, i64>("i8"), -9_000_000_000_000);
    assert_eq!(row.get::<_, f32>("f4"), 1.5);
    assert_eq!(row.get::<_, f64>("f8"), -2.25e100);
    assert_eq!(row.get::<_, RawNumeric>("num"), numeric_12_34());
    assert_eq!(row.get::<_, String>("t"), "héllo");
    assert_eq!(row.get::<_, String>("vc"), "varchar");
    assert!(row.get::<_, bool>("b"));
    assert_eq!(row.get::<_, uuid::Uuid>("u"), uuid);
    assert_eq!(row.get::<_, NaiveDate>("d"), date);
    assert_eq!(row.get::<_, NaiveDateTime>("ts"), timestamp);
    assert_eq!(row.get::<_, DateTime<Utc>>("tstz"), timestamptz);
    assert_eq!(row.get::<_, Vec<u8>>("by"), bytes);

    let row = client.query_one("SELECT * FROM wire_types WHERE id = $1", &[&2i32]).await.expect("select nulls");
    for column in 1..15 {
        assert!(row.try_get::<_, Option<String>>(column).map(|v| v.is_none()).unwrap_or(true), "column {column}");
    }
    assert_eq!(row.get::<_, Option<i64>>("i8"), None);
    assert_eq!(row.get::<_, Option<RawNumeric>>("num"), None);

    // The same values in text format, as psql sees them.
    let messages = client.simple_query("SELECT num, f4, tstz, by, b FROM wire_types WHERE id = 1").await.expect("text");
    let SimpleQueryMessage::Row(row) = &messages[1] else { panic!("expected a row, got {messages:?}") };
    assert_eq!(row.get(0), Some("12.34"));
    assert_eq!(row.get(1), Some("1.5"));
    assert_eq!(row.get(2), Some("2024-02-29 13:14:15.123456+00"));
    assert_eq!(row.get(3), Some("\\x000102ff"));
    assert_eq!(row.get(4), Some("t"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn text_parameters_and_results_round_trip_every_type() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client
        .batch_execute(
            "CREATE TABLE wire_text (id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, f4 real, \
             f8 double precision, num numeric(10,2), t text, vc varchar(20), b boolean, u uuid, d date, \
             ts timestamp, tstz timestamptz, by bytea)",
        )
        .await
        .expect("create table");
    let values = [
        "1",
        "-7",
        "2000000000",
        "-9000000000000",
        "1.5",
        "-2.25e+100",
        "12.34",
        "héllo",
        "varchar",
        "t",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "2024-02-29",
        "2024-02-29 13:14:15.123456",
        "2024-02-29 13:14:15.123456+00",
        "\\x000102ff",
    ];
    let mut raw = RawClient::login(addr).await;
    let insert = "INSERT INTO wire_text VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
    let outcome = raw.extended(insert, values.iter().map(|v| Some(*v)).collect()).await;
    assert_eq!(outcome.tag.as_deref(), Some("INSERT 0 1"), "{outcome:?}");
    let outcome = raw.extended("SELECT * FROM wire_text WHERE id = $1", vec![Some("1")]).await;
    assert_eq!(outcome.rows, [values.iter().map(|v| Some(v.to_string())).collect::<Vec<_>>()]);
    // A malformed text parameter is a 22P02 and the connection goes on.
    let outcome = raw.extended("SELECT * FROM wire_text WHERE id = $1", vec![Some("one")]).await;
    assert_eq!(outcome.error.as_deref(), Some("22P02"));
    assert_eq!(outcome.status, b'I');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ready_for_query_reports_transaction_status() {
    let addr = start_server().await;
    let mut raw = RawClient::login(addr).await;
    assert_eq!(raw.simple("CREATE TABLE wire_status (id int PRIMARY KEY)").await, (None, b'I'));
    assert_eq!(raw.simple("BEGIN").await, (None, b'T'));
    assert_eq!(raw.simple("INSERT INTO wire_status VALUES (1)").await, (None, b'T'));
    assert_eq!(raw.simple("SELECT * FROM wire_missing").await, (Some("42P01".into()), b'E'));
    assert_eq!(raw.simple("SELECT 1").await, (Some("25P02".into()), b'E'));
    assert_eq!(raw.simple("ROLLBACK").await, (None, b'I'));
    // Extended protocol inside a block reports 'T' at Sync.
    assert_eq!(raw.simple("BEGIN").await, (None, b'T'));
    assert_eq!(raw.extended("SELECT count(*) FROM wire_status", vec![]).await.status, b'T');
    assert_eq!(raw.simple("COMMIT").await, (None, b'I'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_carry_sqlstate_and_the_session_survives() {
    let addr = start_server().await;
    let client = connect(addr).await;
    let err = client.query("SELECT * FROM wire_nowhere", &[]).await.expect_err("missing table");
    assert_eq!(sqlstate(&err), SqlState::UNDEFINED_TABLE);
    let db_error = err.as_db_error().expect("db error");
    assert_eq!(db_error.message(), "relation \"wire_nowhere\" does not exist");

    client.batch_execute("CREATE TABLE wire_unique (id int PRIMARY KEY)").await.expect("create");
    client.execute("INSERT INTO wire_unique VALUES ($1)", &[&1i32]).await.expect("first insert");
    let err = client.execute("INSERT INTO wire_unique VALUES ($1)", &[&1i32]).await.expect_err("duplicate");
    assert_eq!(sqlstate(&err), SqlState::UNIQUE_VIOLATION);

    let err = client.simple_query("SELEC 1").await.expect_err("syntax error");
    assert_eq!(sqlstate(&err), SqlState::SYNTAX_ERROR);

    let row = client.query_one("SELECT count(*) FROM wire_unique", &[]).await.expect("still usable");
    assert_eq!(row.get::<_, i64>(0), 1);
}

/// Integrity errors name their schema, table, column and constraint in the ErrorResponse's `s`, `t`, `c`
/// and `n` fields, as PostgreSQL's do (psycopg's `diag.constraint_name`, asyncpg's `constraint_name`,
/// SQLAlchemy's error handling read them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn integrity_errors_name_their_table_column_and_constraint() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client
        .batch_execute("CREATE TABLE wire_parent (id int PRIMARY KEY, code text UNIQUE, n int NOT NULL CHECK (n > 0))")
        .await
        .expect("create parent");
    client
        .batch_execute("CREATE TABLE wire_child (id int PRIMARY KEY, parent int REFERENCES wire_parent (id))")
        .await
        .expect("create child");
    client.batch_execute("INSERT INTO wire_parent VALUES (1, 'a', 1)").await.expect("insert");
    client.batch_execute("INSERT INTO wire_child VALUES (1, 1)").await.expect("insert child");
    let cases = [
        ("INSERT INTO wire_parent VALUES (1, 'b', 1)", "wire_parent", None, Some("wire_parent_pkey")),
        ("INSERT INTO wire_parent VALUES (2, 'a', 1)", "wire_parent", None, Some("wire_parent_code_key")),
        ("INSERT INTO wire_parent VALUES (2, 'b', NULL)", "wire_parent", Some("n"), None),
        ("INSERT INTO wire_parent VALUES (2, 'b', 0)", "wire_parent", None, Some("wire_parent_n_check")),
        ("INSERT INTO wire_child VALUES (2, 7)", "wire_child", None, Some("wire_child_parent_fkey")),
        ("DELETE FROM wire_parent", "wire_child", None, Some("wire_child_parent_fkey")),
    ];
    for (statement, table, column, constraint) in cases {
        let err = client.batch_execute(statement).await.expect_err(statement);
        let db_error = err.as_db_error().expect("db error");
        assert_eq!(db_error.schema(), Some("public"), "{statement}");
        assert_eq!(db_error.table(), Some(table), "{statement}");
        assert_eq!(db_error.column(), column, "{statement}");
        assert_eq!(db_error.constraint(), constraint, "{statement}");
    }
    let err = client.query("SELECT * FROM wire_nowhere", &[]).await.expect_err("missing table");
    let db_error = err.as_db_error().expect("db error");
    assert_eq!((db_error.table(), db_error.constraint()), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_block_rejects_statements_until_rollback() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client.batch_execute("CREATE TABLE wire_failed (id int PRIMARY KEY)").await.expect("create");
    client.batch_execute("BEGIN").await.expect("begin");
    let err = client.query("SELECT * FROM wire_missing", &[]).await.expect_err("missing table");
    assert_eq!(sqlstate(&err), SqlState::UNDEFINED_TABLE);
    let err = client.query("SELECT * FROM wire_failed", &[]).await.expect_err("failed block");
    assert_eq!(sqlstate(&err), SqlState::IN_FAILED_SQL_TRANSACTION);
    client.batch_execute("ROLLBACK").await.expect("rollback");
    client.query("SELECT * FROM wire_failed", &[]).await.expect("usable after rollback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_commits_get_serialization_failure() {
    let addr = start_server().await;
    let first = connect(addr).await;
    let second = connect(addr).await;
    first.batch_execute("CREATE TABLE wire_occ (id int PRIMARY KEY, balance int)").await.expect("create");
    first.batch_execute("INSERT INTO wire_occ VALUES (1, 100)").await.expect("insert");

    first.batch_execute("BEGIN").await.expect("begin 1");
    second.batch_execute("BEGIN").await.expect("begin 2");
    first.execute("UPDATE wire_occ SET balance = balance - 10 WHERE id = $1", &[&1i32]).await.expect("update 1");
    second.execute("UPDATE wire_occ SET balance = balance - 20 WHERE id = $1", &[&1i32]).await.expect("update 2");
    first.batch_execute("COMMIT").await.expect("first committer wins");
    let err = second.batch_execute("COMMIT").await.expect_err("second committer loses");
    assert_eq!(sqlstate(&err), SqlState::T_R_SERIALIZATION_FAILURE);

    let row = second.query_one("SELECT balance FROM wire_occ WHERE id = 1", &[]).await.expect("select");
    assert_eq!(row.get::<_, i32>(0), 90);
}

/// CREATE INDEX ASYNC returns its job id as a result set and `CALL sys.wait_for_job($1)` takes it as a
/// parameter, over the extended protocol, while another client keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_index_build_over_the_extended_protocol() {
    let addr = start_server().await;
    let client = connect(addr).await;
    let other = connect(addr).await;
    client.batch_execute("CREATE TABLE wire_idx (id int PRIMARY KEY, a int)").await.expect("create");
    client
        .batch_execute("INSERT INTO wire_idx SELECT g, g % 10 FROM generate_series(1, 1000) AS g")
        .await
        .expect("fill");
    let rows = client.query("CREATE INDEX ASYNC wire_idx_a ON wire_idx (a)", &[]).await.expect("create index");
    assert_eq!(rows[0].columns()[0].name(), "job_id");
    let job_id: String = rows[0].get(0);
    assert_eq!(job_id.len(), 26);
    other.execute("INSERT INTO wire_idx VALUES ($1, $2)", &[&5000i32, &3i32]).await.expect("concurrent insert");
    let done = client.query_one("CALL sys.wait_for_job($1)", &[&job_id]).await.expect("wait");
    assert_eq!(done.columns()[0].name(), "wait_for_job");
    assert!(done.get::<_, bool>(0));
    let row = other.query_one("SELECT count(*) FROM wire_idx WHERE a = $1", &[&3i32]).await.expect("lookup");
    assert_eq!(row.get::<_, i64>(0), 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn portal_rows_come_in_chunks() {
    let addr = start_server().await;
    let mut client = connect(addr).await;
    client.batch_execute("CREATE TABLE wire_chunks (id int PRIMARY KEY)").await.expect("create");
    client.batch_execute("INSERT INTO wire_chunks VALUES (1), (2), (3), (4), (5)").await.expect("insert");
    let transaction = client.transaction().await.expect("begin");
    let portal = transaction.bind("SELECT id FROM wire_chunks ORDER BY id", &[]).await.expect("bind");
    let mut seen = Vec::new();
    loop {
        let rows = transaction.query_portal(&portal, 2).await.expect("fetch");
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 2);
        seen.extend(rows.iter().map(|row| row.get::<_, i32>(0)));
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    transaction.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_commit_concurrently() {
    let addr = start_server().await;
    let setup = connect(addr).await;
    setup.batch_execute("CREATE TABLE wire_many (id int PRIMARY KEY, client int)").await.expect("create");
    let mut tasks = Vec::new();
    for client_id in 0..32i32 {
        tasks.push(tokio::spawn(async move {
            let client = connect(addr).await;
            let insert = client.prepare("INSERT INTO wire_many VALUES ($1, $2)").await.expect("prepare");
            for i in 0..5i32 {
                client.execute(&insert, &[&(client_id * 100 + i), &client_id]).await.expect("insert");
            }
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let row = setup.query_one("SELECT count(*) FROM wire_many", &[]).await.expect("count");
    assert_eq!(row.get::<_, i64>(0), 160);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_client_is_disconnected_and_others_keep_working() {
    let addr = start_server().await;
    let good = connect(addr).await;
    good.batch_execute("CREATE TABLE wire_garbage (id int PRIMARY KEY)").await.expect("create");

    let mut garbage = TcpStream::connect(addr).await.expect("connect");
    garbage.write_all(b"\x16\x03\x01\x02\x00 this is not a PostgreSQL startup packet").await.expect("write");
    let mut reply = Vec::new();
    // The server answers with a FATAL ErrorResponse and closes: read_to_end ends.
    garbage.read_to_end(&mut reply).await.expect("read until close");
    assert_eq!(reply.first(), Some(&b'E'));

    // A logged-in client whose next message claims to be over 1 GiB.
    let mut oversized = RawClient::login(addr).await;
    oversized.stream.write_all(b"Q\x40\x00\x00\x00select 1").await.expect("write");
    let mut reply = Vec::new();
    oversized.stream.read_to_end(&mut reply).await.expect("read until close");

    good.execute("INSERT INTO wire_garbage VALUES ($1)", &[&1i32]).await.expect("other client still served");
    let second = connect(addr).await;
    let row = second.query_one("SELECT count(*) FROM wire_garbage", &[]).await.expect("new clients too");
    assert_eq!(row.get::<_, i64>(0), 1);
}

/// pgjdbc and other drivers read a result column's base table and column number from RowDescription.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_description_names_the_table_column_of_each_result_column() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client.batch_execute("CREATE TABLE first_table (k int PRIMARY KEY)").await.expect("create");
    client.batch_execute("CREATE TABLE origins (id int PRIMARY KEY, name text, score int)").await.expect("create");
    let statement = client
        .prepare("SELECT o.score, name AS label, o.id + 1 AS next, 7 AS seven, d.id FROM origins o, (SELECT id FROM origins) d")
        .await
        .expect("prepare");
    let origins: Vec<(Option<u32>, Option<i16>)> =
        statement.columns().iter().map(|c| (c.table_oid(), c.column_id())).collect();
    let table_oid = origins[0].0.expect("score has a table");
    // OIDs are 16384 + the table's catalog id: the second table has the larger one.
    assert!(table_oid > 16384, "{origins:?}");
    assert_eq!(
        origins,
        [
            (Some(table_oid), Some(3)),
            (Some(table_oid), Some(2)),
            (None, None),
            (None, None),
            (Some(table_oid), Some(1))
        ]
    );
    let wildcard = client.prepare("SELECT * FROM first_table").await.expect("prepare");
    let first_oid = wildcard.columns()[0].table_oid().expect("k has a table");
    assert!(first_oid >= 16384 && first_oid < table_oid);
    assert_eq!(wildcard.columns()[0].column_id(), Some(1));
}

/// Catalog values through tokio-postgres's binary format: `oid` as u32, `name` and `"char"`, arrays as
/// results and as parameters (`= ANY($1)`), and a `regtype` parameter given as a name.
#[tokio::test]
async fn catalog_types_in_the_binary_format() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client.batch_execute("CREATE TABLE things (id int PRIMARY KEY, label text NOT NULL)").await.expect("create");
    let row = client
        .query_one("SELECT c.oid, c.relname, c.relkind, c.relnatts FROM pg_class c WHERE c.relname = $1", &[&"things"])
        .await
        .expect("pg_class");
    let oid: u32 = row.get(0);
    assert_eq!(oid, 16384 + 1);
    assert_eq!(row.get::<_, String>(1), "things");
    assert_eq!(row.get::<_, i8>(2), b'r' as i8);
    assert_eq!(row.get::<_, i16>(3), 2);

    let names: Vec<String> = client
        .query_one(
            "SELECT ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 ORDER BY attnum)",
            &[&oid],
        )
        .await
        .expect("attributes")
        .get(0);
    assert_eq!(names, ["id", "label"]);

    let wanted: Vec<i32> = vec![23, 25, 999];
    let types: Vec<String> = client
        .query("SELECT typname::text FROM pg_type WHERE oid::int4 = ANY($1) ORDER BY oid", &[&wanted])
        .await
        .expect("= ANY($1)")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(types, ["int4", "text"]);

    let row = client
        .query_one("SELECT typname::text, oid FROM pg_type WHERE oid = $1::regtype", &[&"integer"])
        .await
        .expect("$1::regtype");
    assert_eq!(row.get::<_, String>(0), "int4");
    assert_eq!(row.get::<_, u32>(1), 23);
    let err = client.query_one("SELECT $1::regtype", &[&"no_such_type"]).await.expect_err("unknown type");
    assert_eq!(sqlstate(&err), SqlState::UNDEFINED_OBJECT);
}

/// Sends a CancelRequest for backend `pid` with `secret_key` on a new connection, and returns once the server
/// has handled it (it then closes the connection without an answer).
async fn send_cancel_request(addr: SocketAddr, pid: i32, secret_key: i32) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut packet = BytesMut::new();
    packet.put_i32(16);
    packet.put_i32(80877102);
    packet.put_i32(pid);
    packet.put_i32(secret_key);
    stream.write_all(&packet).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    assert!(answer.is_empty(), "a CancelRequest gets no answer: {answer:?}");
}

/// Runs `statement` while `cancel` is sent again and again until the statement ends, and returns how it
/// ended. A cancel that reaches the backend before the statement starts is dropped (as in PostgreSQL), so
/// the first ones may do nothing; the loop waits on the statement itself, not on a guess of its timing.
async fn run_while_cancelling<T, Fut>(
    statement: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    mut cancel: impl FnMut() -> Fut,
) -> Result<T, tokio_postgres::Error>
where
    Fut: std::future::Future<Output = ()>,
{
    tokio::pin!(statement);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        cancel().await;
        if let Ok(outcome) = tokio::time::timeout(std::time::Duration::from_millis(20), &mut statement).await {
            return outcome;
        }
        assert!(std::time::Instant::now() < deadline, "the statement was never cancelled");
    }
}

const ENDLESS: &str = "SELECT count(*) FROM generate_series(1, 100000000000)";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_request_cancels_the_running_statement() {
    let addr = start_server().await;
    let client = connect(addr).await;
    let token = client.cancel_token();
    // Extended protocol (tokio-postgres's query), then the simple protocol; psql's Ctrl-C sends the same.
    let cancel = || async { token.cancel_query(NoTls).await.expect("cancel request") };
    let err = run_while_cancelling(client.query_one(ENDLESS, &[]), cancel).await.expect_err("cancelled");
    assert_eq!(sqlstate(&err), SqlState::QUERY_CANCELED);
    assert_eq!(err.as_db_error().expect("server error").message(), "canceling statement due to user request");
    let err = run_while_cancelling(client.simple_query(ENDLESS), cancel).await.expect_err("cancelled");
    assert_eq!(sqlstate(&err), SqlState::QUERY_CANCELED);
    // The session goes on; in a block the block fails, as after any error.
    let one: i32 = client.query_one("SELECT 1", &[]).await.expect("after a cancel").get(0);
    assert_eq!(one, 1);
    client.batch_execute("BEGIN").await.expect("begin");
    let err = run_while_cancelling(client.query_one(ENDLESS, &[]), cancel).await.expect_err("cancelled");
    assert_eq!(sqlstate(&err), SqlState::QUERY_CANCELED);
    let err = client.query_one("SELECT 1", &[]).await.expect_err("failed block");
    assert_eq!(sqlstate(&err), SqlState::IN_FAILED_SQL_TRANSACTION);
    client.batch_execute("ROLLBACK").await.expect("rollback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_needs_the_key_and_a_running_statement() {
    let addr = start_server().await;
    let mut raw = RawClient::login(addr).await;
    let (pid, key) = raw.key;
    // Handled while the backend is idle: dropped, so the next statement runs to its end.
    send_cancel_request(addr, pid, key).await;
    let outcome = raw.extended("SELECT count(*) FROM generate_series(1, 200000)", vec![]).await;
    assert_eq!((outcome.error, outcome.rows), (None, vec![vec![Some("200000".to_string())]]));
    // A wrong key never cancels: the statement below can only end by its statement timeout.
    assert_eq!(raw.simple("SET statement_timeout = '1s'").await, (None, b'I'));
    raw.send(&[PgWireFrontendMessage::Query(Query::new(ENDLESS.into()))]).await;
    let wrong_keys = async {
        for attempt in 1..=20 {
            send_cancel_request(addr, pid, key.wrapping_add(attempt)).await;
            send_cancel_request(addr, pid + 1_000_000, key).await;
        }
    };
    let (outcome, ()) = tokio::join!(raw.until_ready(), wrong_keys);
    assert_eq!(outcome.error.as_deref(), Some("57014"));
    assert_eq!(outcome.status, b'I');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_cancel_backend_cancels_another_sessions_statement() {
    let addr = start_server().await;
    let busy = connect(addr).await;
    let other = connect(addr).await;
    let pid: i32 = busy.query_one("SELECT pg_backend_pid()", &[]).await.expect("pid").get(0);
    let cancel_sql = format!("SELECT pg_cancel_backend({pid})");
    let cancel = || async {
        let sent: bool = other.query_one(cancel_sql.as_str(), &[]).await.expect("cancel").get(0);
        assert!(sent, "a live backend");
    };
    let err = run_while_cancelling(busy.query_one(ENDLESS, &[]), cancel).await.expect_err("cancelled");
    assert_eq!(sqlstate(&err), SqlState::QUERY_CANCELED);
    assert_eq!(err.as_db_error().expect("server error").message(), "canceling statement due to user request");
    let one: i32 = busy.query_one("SELECT 1", &[]).await.expect("after a cancel").get(0);
    assert_eq!(one, 1);
}

/// json and jsonb through tokio-postgres's binary format (serde_json values): jsonb is a version byte and
/// its text, json its text as written; both as parameters and as results, stored in a table.
#[tokio::test]
async fn json_and_jsonb_round_trip_in_the_binary_format() {
    let addr = start_server().await;
    let client = connect(addr).await;
    client.batch_execute("CREATE TABLE wire_docs (id int PRIMARY KEY, body jsonb, raw json)").await.expect("create");
    let body = serde_json::json!({"name": "ann", "tags": ["a", "b"], "age": 30, "nested": {"ok": true, "none": null}});
    let raw = serde_json::json!([1, "two", {"three": 3.5}]);
    client
        .execute("INSERT INTO wire_docs VALUES ($1, $2, $3)", &[&1i32, &body, &raw])
        .await
        .expect("insert with binary json parameters");
    let row = client
        .query_one("SELECT body, raw, body -> 'tags' FROM wire_docs WHERE id = $1", &[&1i32])
        .await
        .expect("select");
    assert_eq!(row.columns()[0].type_(), &Type::JSONB);
    assert_eq!(row.columns()[1].type_(), &Type::JSON);
    assert_eq!(row.get::<_, serde_json::Value>(0), body);
    assert_eq!(row.get::<_, serde_json::Value>(1), raw);
    assert_eq!(row.get::<_, serde_json::Value>(2), serde_json::json!(["a", "b"]));

    // A jsonb parameter in a containment test, and the stored text as PostgreSQL prints it.
    let found = client
        .query_one("SELECT id, body::text FROM wire_docs WHERE body @> $1", &[&serde_json::json!({"name": "ann"})])
        .await
        .expect("containment");
    assert_eq!(found.get::<_, i32>(0), 1);
    assert_eq!(
        found.get::<_, String>(1),
        r#"{"age": 30, "name": "ann", "tags": ["a", "b"], "nested": {"ok": true, "none": null}}"#
    );

    // Invalid json text from a client is 22P02.
    let err = client.execute("INSERT INTO wire_docs VALUES (2, $1::text::jsonb, NULL)", &[&"{bad"]).await.unwrap_err();
    assert_eq!(sqlstate(&err), SqlState::INVALID_TEXT_REPRESENTATION);
}

/// A `TimeZone` from the startup packet (`options=-c TimeZone=...`) is the session's zone: timestamptz
/// text results and text parameters are local time, ParameterStatus reports the zone, and binary results
/// stay UTC instants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_time_zone_gives_local_text_output() {
    let addr = start_server().await;
    let config = format!(
        "host=127.0.0.1 port={} user=admin password=anything dbname=postgres options='-c TimeZone=America/New_York'",
        addr.port()
    );
    let (client, connection) = tokio_postgres::connect(&config, NoTls).await.expect("connect");
    tokio::spawn(connection);
    let text = |messages: Vec<SimpleQueryMessage>| -> Vec<String> {
        messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or_default().to_string()),
                _ => None,
            })
            .collect()
    };
    let shown = client.simple_query("SHOW TimeZone").await.expect("show");
    assert_eq!(text(shown), ["America/New_York"]);
    let rows = client
        .simple_query("SELECT '2024-07-01 12:00+00'::timestamptz UNION ALL SELECT '2024-07-01 12:00'::timestamptz")
        .await
        .expect("select");
    assert_eq!(text(rows), ["2024-07-01 08:00:00-04", "2024-07-01 12:00:00-04"]);
    // Binary: the instant, whatever the zone.
    let row = client.query_one("SELECT '2024-07-01 12:00'::timestamptz", &[]).await.expect("binary");
    let instant: DateTime<Utc> = row.get(0);
    assert_eq!(instant.to_rfc3339(), "2024-07-01T16:00:00+00:00");
    // Text without a zone, cast in the statement, reads in the session zone.
    let statement = client.prepare_typed("SELECT $1::timestamptz::text", &[Type::TEXT]).await.expect("prepare");
    let row = client.query_one(&statement, &[&"2024-01-15 12:00"]).await.expect("text parameter");
    assert_eq!(row.get::<_, String>(0), "2024-01-15 12:00:00-05");
    client.simple_query("SET TIME ZONE 'Asia/Kolkata'").await.expect("set");
    let rows = client.simple_query("SELECT '2024-07-01 12:00+00'::timestamptz").await.expect("select");
    assert_eq!(text(rows), ["2024-07-01 17:30:00+05:30"]);
    // A text-format timestamptz parameter (decoded at Bind) reads in the session zone, and a text result
    // of the extended protocol prints in it.
    let mut raw = RawClient::login(addr).await;
    raw.simple("SET TIME ZONE 'America/New_York'").await;
    let outcome = raw
        .extended("SELECT $1::timestamptz, extract(epoch FROM $1::timestamptz)", vec![Some("2024-01-15 12:00")])
        .await;
    let expected = [Some("2024-01-15 12:00:00-05".to_string()), Some("1705338000.000000".to_string())];
    assert_eq!(outcome.rows, [expected], "{outcome:?}");
}

/// Numerics beyond 28 digits travel in PostgreSQL's binary form both ways (bytes from PG 15's numeric_send).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numeric_binary_beyond_28_digits() {
    let addr = start_server().await;
    let client = connect(addr).await;
    let hex =
        |text: &str| (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect();
    // -1234567890123456789012345678901234567890.1234567890120: 13 digits, weight 9, negative, dscale 13.
    let big = RawNumeric(hex("000d00094000000d04d2162e23340d801ed204d2162e23340d801ed204d2162e2334"));
    // 1e-40 with dscale 45: one digit, weight -10.
    let tiny = RawNumeric(hex("0001fff60000002d0001"));
    let statement = client.prepare("SELECT $1::numeric AS n, $1::numeric::text AS t").await.expect("prepare");
    let row = client.query_one(&statement, &[&big]).await.expect("big");
    assert_eq!(row.get::<_, RawNumeric>("n"), big);
    assert_eq!(row.get::<_, String>("t"), "-1234567890123456789012345678901234567890.1234567890120");
    let row = client.query_one(&statement, &[&tiny]).await.expect("tiny");
    assert_eq!(row.get::<_, RawNumeric>("n"), tiny);
    assert_eq!(row.get::<_, String>("t"), format!("0.{}1{}", "0".repeat(39), "0".repeat(5)));
    // Text in, binary out.
    let row = client
        .query_one("SELECT '-1234567890123456789012345678901234567890.1234567890120'::numeric AS n", &[])
        .await
        .expect("text in");
    assert_eq!(row.get::<_, RawNumeric>("n"), big);
}

/// psycopg's server-side cursor, message by message: DECLARE with a parameter over the extended protocol,
/// Describe of the portal named after the cursor (PostgreSQL's cursors are portals), then FETCH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_cursor_is_described_as_a_portal_and_fetched() {
    use pgwire::messages::extendedquery::{Describe, Sync};
    let addr = start_server().await;
    let mut raw = RawClient::login(addr).await;
    assert_eq!(raw.simple("CREATE TABLE wire_cursor (id int PRIMARY KEY, label text)").await, (None, b'I'));
    assert_eq!(raw.simple("INSERT INTO wire_cursor VALUES (1, 'a'), (2, 'b'), (3, 'c')").await, (None, b'I'));
    assert_eq!(raw.simple("BEGIN").await, (None, b'T'));
    let declared = raw
        .extended("DECLARE \"py cur\" CURSOR FOR SELECT id, label FROM wire_cursor WHERE id >= $1", vec![Some("2")])
        .await;
    assert_eq!((declared.tag.as_deref(), declared.error), (Some("DECLARE CURSOR"), None));
    raw.send(&[
        PgWireFrontendMessage::Describe(Describe::new(b'P', Some("py cur".into()))),
        PgWireFrontendMessage::Sync(Sync::new()),
    ])
    .await;
    match raw.recv().await {
        PgWireBackendMessage::RowDescription(description) => {
            let names: Vec<&str> = description.fields.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["id", "label"]);
        }
        other => panic!("expected RowDescription, got {other:?}"),
    }
    assert_eq!(raw.until_ready().await.status, b'T');
    let fetched = raw.extended("FETCH FORWARD 5 FROM \"py cur\"", vec![]).await;
    assert_eq!(fetched.rows, [[Some("2".to_string()), Some("b".to_string())], [Some("3".into()), Some("c".into())]]);
    assert_eq!(fetched.tag.as_deref(), Some("FETCH 2"));
    assert_eq!(raw.simple("CLOSE \"py cur\"").await, (None, b'T'));
    assert_eq!(raw.simple("COMMIT").await, (None, b'I'));
}
