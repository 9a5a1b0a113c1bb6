//! COPY over the wire protocol, driven by real clients: tokio-postgres's `copy_in` / `copy_out` (the
//! extended protocol) in text, CSV and binary, a protocol-level client for CopyFail and COPY inside a
//! multi-statement query string, and the real psql's `\copy` both ways. The text and CSV output of a table
//! of awkward values is compared byte for byte with what PostgreSQL 15 wrote for the same table.

use std::net::SocketAddr;

use bytes::Bytes;
use futures::{pin_mut, SinkExt, TryStreamExt};
use occam::{CompatMode, Config, Database};
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use pgwire::messages::simplequery::Query;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio_postgres::binary_copy::{BinaryCopyInWriter, BinaryCopyOutStream};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

mod common;
use common::raw::RawClient;
use common::server_error;

async fn start(compat: CompatMode) -> SocketAddr {
    common::serve(Database::open(&Config { compat, ..Config::default() }).expect("open")).await
}

async fn connect_as(addr: SocketAddr, user: &str) -> Client {
    let config = format!("host=127.0.0.1 port={} user={user} password=x dbname=postgres", addr.port());
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

async fn admin(addr: SocketAddr) -> Client {
    connect_as(addr, "admin").await
}

/// Sends `data` to a `COPY ... FROM STDIN` (in pieces that split rows, as clients may) and returns its
/// row count.
async fn copy_in(client: &Client, sql: &str, data: &[u8]) -> Result<u64, tokio_postgres::Error> {
    let sink = client.copy_in::<_, Bytes>(sql).await?;
    pin_mut!(sink);
    for piece in data.chunks(7) {
        sink.send(Bytes::copy_from_slice(piece)).await?;
    }
    sink.finish().await
}

/// The bytes a `COPY ... TO STDOUT` writes.
async fn copy_out(client: &Client, sql: &str) -> Vec<u8> {
    let stream = client.copy_out(sql).await.unwrap_or_else(|err| panic!("{sql}: {err:?}"));
    let pieces: Vec<Bytes> = stream.try_collect().await.expect("copy data");
    pieces.concat()
}

/// The rows of a query, in the text format, as psql shows them.
async fn text_rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let messages = client.simple_query(sql).await.unwrap_or_else(|err| panic!("{sql}: {err:?}"));
    messages
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect()),
            _ => None,
        })
        .collect()
}

async fn count(client: &Client, table: &str) -> i64 {
    client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect("count").get(0)
}

/// The table PostgreSQL 15 wrote the expected output below for (its DateStyle ISO, extra_float_digits 1).
const FIXTURE: &str = r#"
CREATE TABLE copy_fixture (id int primary key, t text, n numeric, f float8, ts timestamp, d date, b bytea, j json, jb jsonb, ok bool, u uuid, v varchar(20), iv interval);
INSERT INTO copy_fixture VALUES
 (1, E'tab\there', 12.50, 1.5, '2024-01-02 03:04:05.678', '2024-02-29', '\x00ff5c', '{"a": "b\\c"}', '{"k": [1, 2, null]}', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'plain', '1 day 02:03:04'),
 (2, E'line1\nline2\r\nend', -0.001, -2.25e-5, '1999-12-31 23:59:59', '0001-01-01', '', '[1,2]', '"s"', false, null, '', '-1 mons'),
 (3, E'back\\slash "quoted" ,comma', 1e20, 'NaN', null, null, null, null, null, null, null, null, null),
 (4, 'ünïcødé ☃ 日本', 0, 'Infinity', '2024-06-01 00:00:00', '2024-06-01', '\x41', 'null', 'null', true, null, E'a\tb', '00:00:00.5'),
 (5, '', null, 0, null, null, null, null, null, null, null, '\N', null),
 (6, null, 3.14159265358979, 1e100, null, null, null, '{}', '{}', null, null, '\.', null);
"#;

/// `\copy copy_fixture to stdout` on PostgreSQL 15.
const PG_TEXT: &str = "1\ttab\\there\t12.50\t1.5\t2024-01-02 03:04:05.678\t2024-02-29\t\\\\x00ff5c\t{\"a\": \"b\\\\\\\\c\"}\t{\"k\": [1, 2, null]}\tt\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\tplain\t1 day 02:03:04
2\tline1\\nline2\\r\\nend\t-0.001\t-2.25e-05\t1999-12-31 23:59:59\t0001-01-01\t\\\\x\t[1,2]\t\"s\"\tf\t\\N\t\t-1 mons
3\tback\\\\slash \"quoted\" ,comma\t100000000000000000000\tNaN\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N
4\tünïcødé ☃ 日本\t0\tInfinity\t2024-06-01 00:00:00\t2024-06-01\t\\\\x41\tnull\tnull\tt\t\\N\ta\\tb\t00:00:00.5
5\t\t\\N\t0\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\\\N\t\\N
6\t\\N\t3.14159265358979\t1e+100\t\\N\t\\N\t\\N\t{}\t{}\t\\N\t\\N\t\\\\.\t\\N
";

/// `\copy copy_fixture to stdout (format csv, header)` on PostgreSQL 15.
const PG_CSV: &str = "id,t,n,f,ts,d,b,j,jb,ok,u,v,iv
1,tab\there,12.50,1.5,2024-01-02 03:04:05.678,2024-02-29,\\x00ff5c,\"{\"\"a\"\": \"\"b\\\\c\"\"}\",\"{\"\"k\"\": [1, 2, null]}\",t,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,plain,1 day 02:03:04
2,\"line1
line2\r
end\",-0.001,-2.25e-05,1999-12-31 23:59:59,0001-01-01,\\x,\"[1,2]\",\"\"\"s\"\"\",f,,\"\",-1 mons
3,\"back\\slash \"\"quoted\"\" ,comma\",100000000000000000000,NaN,,,,,,,,,
4,ünïcødé ☃ 日本,0,Infinity,2024-06-01 00:00:00,2024-06-01,\\x41,null,null,t,,a\tb,00:00:00.5
5,\"\",,0,,,,,,,,\\N,
6,,3.14159265358979,1e+100,,,,{},{},,,\\.,
";

/// `\copy (select t, v from copy_fixture order by id) to stdout csv` on PostgreSQL 15: `\.` is quoted
/// only when it is a row's only column.
const PG_CSV_TWO_COLUMNS: &str = "tab\there,plain
\"line1
line2\r
end\",\"\"
\"back\\slash \"\"quoted\"\" ,comma\",
ünïcødé ☃ 日本,a\tb
\"\",\\N
,\\.
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_csv_output_match_postgres_byte_for_byte_and_read_back() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client.batch_execute(FIXTURE).await.expect("fixture");
    let text = copy_out(&client, "COPY copy_fixture TO STDOUT").await;
    assert_eq!(String::from_utf8(text.clone()).unwrap(), PG_TEXT);
    let csv = copy_out(&client, "COPY copy_fixture TO STDOUT (FORMAT csv, HEADER)").await;
    assert_eq!(String::from_utf8(csv.clone()).unwrap(), PG_CSV);
    let two = copy_out(&client, "COPY (SELECT t, v FROM copy_fixture ORDER BY id) TO STDOUT WITH CSV").await;
    assert_eq!(String::from_utf8(two).unwrap(), PG_CSV_TWO_COLUMNS);

    // PostgreSQL's bytes read back into copies of the table give the same rows.
    let original = text_rows(&client, "SELECT * FROM copy_fixture ORDER BY id").await;
    for (table, sql, data) in [
        ("from_text", "COPY from_text FROM STDIN", PG_TEXT),
        ("from_csv", "COPY from_csv FROM STDIN (FORMAT csv, HEADER true)", PG_CSV),
        ("from_legacy_csv", "COPY from_legacy_csv FROM STDIN WITH CSV HEADER", PG_CSV),
    ] {
        client.batch_execute(&format!("CREATE TABLE {table} AS SELECT * FROM copy_fixture WHERE false")).await.unwrap();
        assert_eq!(copy_in(&client, sql, data.as_bytes()).await.expect(sql), 6, "{sql}");
        assert_eq!(text_rows(&client, &format!("SELECT * FROM {table} ORDER BY id")).await, original, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_in_fills_omitted_columns_as_insert_does() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client
        .batch_execute(
            "CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, \
             qty int DEFAULT 7, note text)",
        )
        .await
        .unwrap();
    assert_eq!(copy_in(&client, "COPY items (name) FROM STDIN", b"apple\npear\n\\.\n").await.unwrap(), 2);
    assert_eq!(
        copy_in(&client, "COPY items (note, name) FROM STDIN WITH DELIMITER ','", b"n1,fig\n").await.unwrap(),
        1
    );
    assert_eq!(copy_in(&client, "COPY items (name, qty) FROM STDIN WITH NULL AS ''", b"kiwi\t\n").await.unwrap(), 1);
    // COPY writes identity columns it is given, even GENERATED ALWAYS (as INSERT ... OVERRIDING SYSTEM VALUE).
    assert_eq!(copy_in(&client, "COPY items FROM STDIN", b"100\tplum\t1\t\\N\n").await.unwrap(), 1);
    let rows = text_rows(&client, "SELECT id, name, qty, note FROM items ORDER BY id").await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![s("1"), s("apple"), s("7"), None],
            vec![s("2"), s("pear"), s("7"), None],
            vec![s("3"), s("fig"), s("7"), s("n1")],
            vec![s("4"), s("kiwi"), None, None],
            vec![s("100"), s("plum"), s("1"), None],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_copy_in_and_out_round_trip() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client
        .batch_execute(
            "CREATE TABLE bin (id int8 PRIMARY KEY, name text, score float8, ok bool, raw bytea, at timestamp)",
        )
        .await
        .unwrap();
    let types = [Type::INT8, Type::TEXT, Type::FLOAT8, Type::BOOL, Type::BYTEA, Type::TIMESTAMP];
    let sink = client.copy_in("COPY bin FROM STDIN (FORMAT binary)").await.unwrap();
    let writer = BinaryCopyInWriter::new(sink, &types);
    pin_mut!(writer);
    let at = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_micro_opt(12, 34, 56, 789).unwrap();
    writer.as_mut().write(&[&1i64, &"one", &1.5f64, &true, &vec![0u8, 255], &at]).await.unwrap();
    let none_text: Option<&str> = None;
    let none_bytes: Option<Vec<u8>> = None;
    let none_at: Option<chrono::NaiveDateTime> = None;
    writer.as_mut().write(&[&2i64, &none_text, &-0.25f64, &false, &none_bytes, &none_at]).await.unwrap();
    assert_eq!(writer.finish().await.unwrap(), 2);

    let stream = client.copy_out("COPY bin TO STDOUT BINARY").await.unwrap();
    let rows: Vec<_> = BinaryCopyOutStream::new(stream, &types).try_collect().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<i64>(0), 1);
    assert_eq!(rows[0].get::<&str>(1), "one");
    assert_eq!(rows[0].get::<f64>(2), 1.5);
    assert!(rows[0].get::<bool>(3));
    assert_eq!(rows[0].get::<Vec<u8>>(4), vec![0, 255]);
    assert_eq!(rows[0].get::<chrono::NaiveDateTime>(5), at);
    assert_eq!(rows[1].get::<Option<&str>>(1), None);
    assert_eq!(rows[1].get::<Option<chrono::NaiveDateTime>>(5), None);

    // A query form in binary, and the legacy `BINARY` keyword read back.
    let stream =
        client.copy_out("COPY (SELECT id * 10, name FROM bin ORDER BY id) TO STDOUT (FORMAT binary)").await.unwrap();
    let rows: Vec<_> = BinaryCopyOutStream::new(stream, &[Type::INT8, Type::TEXT]).try_collect().await.unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<i64>(0)).collect::<Vec<_>>(), vec![10, 20]);
    let bytes = copy_out(&client, "COPY bin TO STDOUT WITH BINARY").await;
    client.batch_execute("CREATE TABLE bin2 AS SELECT * FROM bin WHERE false").await.unwrap();
    assert_eq!(copy_in(&client, "COPY bin2 FROM STDIN WITH BINARY", &bytes).await.unwrap(), 2);
    assert_eq!(
        text_rows(&client, "SELECT * FROM bin2 ORDER BY id").await,
        text_rows(&client, "SELECT * FROM bin ORDER BY id").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_data_inserts_nothing_and_the_session_goes_on() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client.batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text NOT NULL)").await.unwrap();
    client.batch_execute("INSERT INTO t VALUES (1, 'one')").await.unwrap();
    let cases: [(&[u8], &str, &str); 6] = [
        (b"2\tx\nq\ty\n", "22P02", "invalid input syntax for type integer: \"q\""),
        (b"2\tx\n3\n", "22P04", "missing data for column \"b\""),
        (b"2\tx\t9\n", "22P04", "extra data after last expected column"),
        (b"2\tx\n1\ty\n", "23505", "duplicate key value violates unique constraint \"t_pkey\""),
        (b"2\t\\N\n", "23502", "null value in column \"b\" of relation \"t\" violates not-null constraint"),
        (b"2\t\\xff\n", "22021", "invalid byte sequence for encoding \"UTF8\": 0xff"),
    ];
    for (data, code, message) in cases {
        let err = copy_in(&client, "COPY t FROM STDIN", data).await.unwrap_err();
        let (got_code, got_message, _) = server_error(&err);
        assert_eq!((got_code.as_str(), got_message.as_str()), (code, message));
        assert_eq!(count(&client, "t").await, 1, "nothing of a failed COPY is inserted");
    }
    // PostgreSQL's CONTEXT names the line (and the column, for a value that does not read).
    let context = |err: tokio_postgres::Error| err.as_db_error().and_then(|e| e.where_()).map(str::to_string);
    let err = copy_in(&client, "COPY t FROM STDIN", b"2\tx\nq\ty\n").await.unwrap_err();
    assert_eq!(context(err).as_deref(), Some("COPY t, line 2, column a: \"q\""));
    let err = copy_in(&client, "COPY t FROM STDIN (FORMAT csv, HEADER)", b"a,b\n2,x\n1,y\n").await.unwrap_err();
    assert_eq!(context(err).as_deref(), Some("COPY t, line 3"));

    // In a transaction block the failed COPY aborts the block, as any failed statement.
    client.batch_execute("BEGIN").await.unwrap();
    client.batch_execute("INSERT INTO t VALUES (5, 'five')").await.unwrap();
    copy_in(&client, "COPY t FROM STDIN", b"6\tsix\nbad\tx\n").await.unwrap_err();
    let err = client.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(server_error(&err).0, "25P02");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&client, "t").await, 1);

    // A COPY in a block counts as the block's INSERT: it commits or rolls back with it.
    client.batch_execute("BEGIN").await.unwrap();
    assert_eq!(copy_in(&client, "COPY t FROM STDIN", b"7\tseven\n").await.unwrap(), 1);
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&client, "t").await, 1);

    // Statement-level errors.
    for (sql, code) in [
        ("COPY nosuch FROM STDIN", "42P01"),
        ("COPY t (zz) FROM STDIN", "42703"),
        ("COPY t (a, a) FROM STDIN", "42701"),
        ("COPY t FROM STDIN (FORMAT xml)", "22023"),
        ("COPY t FROM STDIN (FORMAT csv, FORCE_NOT_NULL (zz))", "42P10"),
    ] {
        // Refused before copy mode starts. (tokio-postgres's copy_in cannot go on after such a refusal, with
        // PostgreSQL as with occam: it answers the extra Sync it sends with an unexpected-message error.)
        let err = client.batch_execute(sql).await.unwrap_err();
        assert_eq!(server_error(&err).0, code, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_fail_and_copy_inside_a_query_string() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client.batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text)").await.unwrap();
    let mut raw = RawClient::login(addr).await;

    // CopyFail: 57014 with the client's words; nothing inserted; Flush and Sync in copy mode are ignored.
    raw.send(&[PgWireFrontendMessage::Query(Query::new("COPY t FROM STDIN".into()))]).await;
    let PgWireBackendMessage::CopyInResponse(response) = raw.recv().await else { panic!("expected CopyInResponse") };
    assert_eq!((response.format, response.columns, response.column_formats), (0, 2, vec![0, 0]));
    raw.send(&[
        PgWireFrontendMessage::CopyData(CopyData::new(Bytes::from_static(b"1\tone\n"))),
        PgWireFrontendMessage::Sync(pgwire::messages::extendedquery::Sync::new()),
        PgWireFrontendMessage::CopyFail(CopyFail::new("client gave up".into())),
    ])
    .await;
    let mut error = None;
    let status = loop {
        match raw.recv().await {
            PgWireBackendMessage::ErrorResponse(err) => error = Some(err.fields),
            PgWireBackendMessage::ReadyForQuery(ready) => break ready.status,
            other => panic!("unexpected {other:?}"),
        }
    };
    let fields = error.expect("an ErrorResponse");
    let field = |code: u8| fields.iter().find(|(k, _)| *k == code).map(|(_, v)| v.clone());
    assert_eq!(field(b'C').as_deref(), Some("57014"));
    assert_eq!(field(b'M').as_deref(), Some("COPY from stdin failed: client gave up"));
    assert_eq!(status as u8, b'I');
    assert_eq!(count(&client, "t").await, 0);

    // COPY inside a query string: the statements after it run once its data is in.
    raw.send(&[PgWireFrontendMessage::Query(Query::new(
        "INSERT INTO t VALUES (0, 'zero'); COPY t FROM STDIN; SELECT count(*) FROM t".into(),
    ))])
    .await;
    let mut tags = Vec::new();
    loop {
        match raw.recv().await {
            PgWireBackendMessage::CommandComplete(complete) => tags.push(complete.tag),
            PgWireBackendMessage::CopyInResponse(_) => {
                raw.send(&[
                    PgWireFrontendMessage::CopyData(CopyData::new(Bytes::from_static(b"1\tone\n2\t"))),
                    PgWireFrontendMessage::CopyData(CopyData::new(Bytes::from_static(b"two\n"))),
                    PgWireFrontendMessage::CopyDone(CopyDone::new()),
                ])
                .await;
            }
            PgWireBackendMessage::ReadyForQuery(_) => break,
            PgWireBackendMessage::ErrorResponse(err) => panic!("{err:?}"),
            _ => {}
        }
    }
    assert_eq!(tags, vec!["INSERT 0 1", "COPY 2", "SELECT 1"]);
    assert_eq!(count(&client, "t").await, 3);

    // A failed COPY ends its query string, and rolls back the implicit transaction's earlier statements.
    let outcome = {
        raw.send(&[PgWireFrontendMessage::Query(Query::new(
            "INSERT INTO t VALUES (9, 'nine'); COPY t FROM STDIN; SELECT 1".into(),
        ))])
        .await;
        let mut tags = Vec::new();
        let mut code = None;
        loop {
            match raw.recv().await {
                PgWireBackendMessage::CommandComplete(complete) => tags.push(complete.tag),
                PgWireBackendMessage::CopyInResponse(_) => {
                    raw.send(&[
                        PgWireFrontendMessage::CopyData(CopyData::new(Bytes::from_static(b"x\tbad\n"))),
                        PgWireFrontendMessage::CopyDone(CopyDone::new()),
                    ])
                    .await;
                }
                PgWireBackendMessage::ErrorResponse(err) => {
                    code = err.fields.iter().find(|(k, _)| *k == b'C').map(|(_, v)| v.clone())
                }
                PgWireBackendMessage::ReadyForQuery(_) => break (tags, code),
                _ => {}
            }
        }
    };
    assert_eq!(outcome, (vec!["INSERT 0 1".to_string()], Some("22P02".to_string())));
    assert_eq!(count(&client, "t").await, 3);

    // tokio-postgres abandons a COPY it drops with CopyFail; the connection goes on.
    {
        let sink = client.copy_in::<_, Bytes>("COPY t FROM STDIN").await.unwrap();
        pin_mut!(sink);
        sink.send(Bytes::from_static(b"50\tfifty\n")).await.unwrap();
    }
    assert_eq!(count(&client, "t").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_files_and_views() {
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    for sql in [
        "CREATE TABLE t (a int PRIMARY KEY)",
        "INSERT INTO t VALUES (1), (2)",
        "CREATE VIEW v AS SELECT a FROM t",
        "CREATE MATERIALIZED VIEW mv AS SELECT a FROM t",
        "CREATE SEQUENCE s",
        "CREATE ROLE reader WITH LOGIN",
        "CREATE ROLE writer WITH LOGIN",
        "GRANT SELECT ON t TO reader",
        "GRANT INSERT ON t TO writer",
    ] {
        client.batch_execute(sql).await.unwrap_or_else(|err| panic!("{sql}: {err:?}"));
    }
    let reader = connect_as(addr, "reader").await;
    let writer = connect_as(addr, "writer").await;
    assert_eq!(copy_out(&reader, "COPY t TO STDOUT").await, b"1\n2\n");
    let err = reader.batch_execute("COPY t FROM STDIN").await.unwrap_err();
    assert_eq!(server_error(&err).1, "permission denied for table t");
    assert_eq!(copy_in(&writer, "COPY t FROM STDIN", b"3\n").await.unwrap(), 1);
    let err = writer.batch_execute("COPY t TO STDOUT").await.unwrap_err();
    assert_eq!(server_error(&err).0, "42501");
    let err = writer.batch_execute("COPY (SELECT * FROM t) TO STDOUT").await.unwrap_err();
    assert_eq!(server_error(&err).0, "42501");

    // Files and programs on the server: PostgreSQL's words for a role that is not a superuser.
    for (sql, message) in [
        ("COPY t FROM '/tmp/x'", "must be superuser or have privileges of the pg_read_server_files role to COPY from a file"),
        ("COPY t TO '/tmp/x'", "must be superuser or have privileges of the pg_write_server_files role to COPY to a file"),
        (
            "COPY t FROM PROGRAM 'ls'",
            "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program",
        ),
    ] {
        let err = reader.batch_execute(sql).await.unwrap_err();
        let db = err.as_db_error().unwrap_or_else(|| panic!("{sql}: {err:?}"));
        assert_eq!((db.code().code(), db.message()), ("42501", message), "{sql}");
        assert_eq!(db.hint(), Some("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."));
    }
    let err = client.batch_execute("COPY t TO '/tmp/x'").await.unwrap_err();
    assert_eq!(server_error(&err).0, "0A000");

    // Views, materialized views and sequences, as PostgreSQL refuses them.
    for (sql, message, hint) in [
        ("COPY v TO STDOUT", "cannot copy from view \"v\"", Some("Try the COPY (SELECT ...) TO variant.")),
        (
            "COPY v FROM STDIN",
            "cannot copy to view \"v\"",
            Some("To enable copying to a view, provide an INSTEAD OF INSERT trigger."),
        ),
        (
            "COPY mv TO STDOUT",
            "cannot copy from materialized view \"mv\"",
            Some("Try the COPY (SELECT ...) TO variant."),
        ),
        ("COPY mv FROM STDIN", "cannot copy to materialized view \"mv\"", None),
        ("COPY s TO STDOUT", "cannot copy from sequence \"s\"", None),
    ] {
        let err = client.batch_execute(sql).await.unwrap_err();
        let db = err.as_db_error().expect("server error");
        assert_eq!((db.code().code(), db.message(), db.hint()), ("42809", message, hint), "{sql}");
    }
    assert_eq!(copy_out(&client, "COPY (SELECT * FROM v ORDER BY a) TO STDOUT").await, b"1\n2\n3\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dsql_rules_apply_to_copy() {
    let addr = start(CompatMode::Dsql).await;
    let client = admin(addr).await;
    client.batch_execute("CREATE TABLE t (a int PRIMARY KEY)").await.unwrap();
    let rows = |from: usize, to: usize| (from..to).map(|i| format!("{i}\n")).collect::<String>();
    let err = copy_in(&client, "COPY t FROM STDIN", rows(0, 3001).as_bytes()).await.unwrap_err();
    assert_eq!(server_error(&err).0, "54000");
    assert_eq!(count(&client, "t").await, 0);
    assert_eq!(copy_in(&client, "COPY t FROM STDIN", rows(0, 3000).as_bytes()).await.unwrap(), 3000);
    // In a transaction block COPY's rows count with the block's other writes.
    client.batch_execute("BEGIN; INSERT INTO t SELECT g FROM generate_series(5000, 6999) g").await.unwrap();
    let err = copy_in(&client, "COPY t FROM STDIN", rows(10000, 11001).as_bytes()).await.unwrap_err();
    assert_eq!(server_error(&err).0, "54000");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&client, "t").await, 3000);
    // DDL and DML do not mix in one transaction: COPY is refused before its data is sent.
    client.batch_execute("BEGIN; CREATE TABLE u (a int PRIMARY KEY)").await.unwrap();
    let err = client.batch_execute("COPY u FROM STDIN").await.unwrap_err();
    assert_eq!(server_error(&err).1, "ddl and dml are not supported in the same transaction");
    client.batch_execute("ROLLBACK").await.unwrap();
}

/// The real psql, if this machine has one: `pg_config --bindir`'s, else the one on PATH.
fn find_psql() -> Option<std::path::PathBuf> {
    let from_pg_config = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("psql"));
    from_pg_config.filter(|path| path.exists()).or_else(|| {
        std::process::Command::new("psql").arg("--version").output().ok()?.status.success().then(|| "psql".into())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_copy_round_trip() {
    let Some(psql) = find_psql() else {
        eprintln!("skipping psql_copy_round_trip: no psql binary (pg_config --bindir or PATH)");
        return;
    };
    let addr = start(CompatMode::Postgres).await;
    let client = admin(addr).await;
    client.batch_execute(FIXTURE).await.unwrap();
    client.batch_execute("CREATE TABLE copy_back AS SELECT * FROM copy_fixture WHERE false").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixture.csv");
    let port = addr.port().to_string();
    let run = move |command: String| {
        let psql = psql.clone();
        let port = port.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(psql)
                .args(["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", &port, "-U", "admin", "-d", "postgres"])
                .args(["-c", &command])
                .env("PGPASSWORD", "x")
                .output()
                .expect("run psql");
            assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    };
    let path = file.display().to_string();
    assert_eq!(run(format!("\\copy copy_fixture to '{path}' csv")).await.unwrap().trim(), "COPY 6");
    assert_eq!(run(format!("\\copy copy_back from '{path}' csv")).await.unwrap().trim(), "COPY 6");
    assert_eq!(
        text_rows(&client, "SELECT * FROM copy_back ORDER BY id").await,
        text_rows(&client, "SELECT * FROM copy_fixture ORDER BY id").await
    );
    // psql's own COPY ... FROM STDIN with inline data, in text format.
    client.batch_execute("TRUNCATE copy_back").await.unwrap();
    assert_eq!(run(format!("\\copy copy_back from '{path}' with (format csv)")).await.unwrap().trim(), "COPY 6");
    assert_eq!(count(&client, "copy_back").await, 6);
}
