//! Fuzzing targets: each takes arbitrary bytes and drives one part of occam that clients reach, and must
//! never panic, abort or hang on any input (an error answer is fine).
//!
//! ```text
//!   sql_frontend   the bytes as SQL text: parse, bind, plan and run (prepared with NULL parameters, and as
//!                  a simple query string) as a non-admin role on a database with a fixed catalog
//!   wire           the bytes as a client's side of a connection, after a valid startup (or instead of one)
//!   value_codecs   the bytes as the text or binary input of one type; what parses must print and re-parse
//!                  to the same text, in both formats
//!   keycode        values (from text) encoded as keys: decoding gives them back, byte order is value order,
//!                  and decoding arbitrary bytes fails cleanly
//! ```
//!
//! Two drivers share these functions: the cargo-fuzz (libFuzzer) crate in `fuzz/` (nightly Rust), and a
//! randomized test on stable Rust, `tests/fuzz_smoke.rs`, which runs each target over the committed corpus
//! in `fuzz/corpus/<target>/` plus mutations of it (`bench/fuzz.sh` runs either for a while). A crash
//! found either way is fixed and its input kept in the corpus.
//!
//! The SQL and wire targets share one in-memory database per thread (DSQL rules, a 250 ms
//! `statement_timeout` so that slow statements end), rebuilt every [`RESET_EVERY`] inputs so that what
//! inputs write does not pile up; a crash therefore may need the inputs before it, but almost never does.
//! An input may turn its own `statement_timeout` off, so a watchdog thread cancels every running statement
//! (as a client's CancelRequest would) once an input has run for [`WATCHDOG_AFTER`].

use std::cell::RefCell;
use std::time::Duration;

use crate::database::{Config, Database};
use crate::error::Result;
use crate::session::Session;
use crate::storage::keycode::{decode_value, encode_value, skip_value};
use crate::types::{binary, text, DataType, Value};

/// How long an SQL or wire input runs before the watchdog cancels its statements.
pub const WATCHDOG_AFTER: Duration = Duration::from_secs(2);

/// When the running input started (None between inputs), watched by the watchdog thread.
static INPUT_STARTED: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

/// Marks an input as running for the watchdog (started once per process) until dropped.
struct Watched;

impl Watched {
    fn start() -> Watched {
        static WATCHDOG: std::sync::Once = std::sync::Once::new();
        WATCHDOG.call_once(|| {
            std::thread::Builder::new()
                .name("fuzz-watchdog".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_millis(100));
                    let started = *INPUT_STARTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    if started.is_some_and(|started| started.elapsed() >= WATCHDOG_AFTER) {
                        crate::settings::cancel_every_backend();
                    }
                })
                .expect("the watchdog thread starts");
        });
        *INPUT_STARTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(std::time::Instant::now());
        Watched
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        *INPUT_STARTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// Inputs served by one database before it is rebuilt.
pub const RESET_EVERY: usize = 500;

/// The role the SQL target runs as: it may read and write the fixed tables but not change the catalog.
const ROLE: &str = "fuzz";

/// The fixed catalog: a table of each kind of column, a secondary index, a few rows.
const SETUP: &[&str] = &[
    "CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL DEFAULT 0, name text, opened timestamptz)",
    "CREATE TABLE transfers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), payer_id int, payee_id int, \
     amount numeric(12,2), note varchar(40), created_at timestamp, settled bool, payload bytea, score float8, \
     small int2, day date, code char(3), ratio float4, big bigint)",
    "CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b))",
    "INSERT INTO accounts SELECT g, g * 10, 'name ' || g, '2024-01-01 00:00:00+00'::timestamptz FROM generate_series(1, 50) g",
    "INSERT INTO transfers (payer_id, payee_id, amount, note, created_at, settled, payload, score, small, day, \
     code, ratio, big) SELECT g % 7, g % 11, g * 1.25, 'n' || g, '2024-02-03 04:05:06'::timestamp, g % 2 = 0, \
     '\\x00ff'::bytea, g / 3.0, g, '2024-03-04'::date, 'abc', 0.5, g::bigint * 1000000000 FROM generate_series(1, 40) g",
    "INSERT INTO pairs VALUES (1, 'a'), (1, 'b'), (2, 'c')",
    "CREATE ROLE fuzz WITH LOGIN",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON accounts, transfers, pairs TO fuzz",
];

struct Shared {
    database: Database,
    served: usize,
}

thread_local! {
    static DATABASE: RefCell<Option<Shared>> = const { RefCell::new(None) };
}

/// The thread's fuzzing database, rebuilt every [`RESET_EVERY`] calls.
fn database() -> Database {
    DATABASE.with(|cell| {
        let mut shared = cell.borrow_mut();
        if shared.as_ref().is_none_or(|shared| shared.served >= RESET_EVERY) {
            *shared = Some(Shared { database: fresh_database(), served: 0 });
        }
        let shared = shared.as_mut().expect("set above");
        shared.served += 1;
        shared.database.clone()
    })
}

fn fresh_database() -> Database {
    let config = Config { statement_timeout: Some(Duration::from_millis(250)), ..Config::default() };
    let database = Database::open(&config).expect("an in-memory database opens");
    let mut admin = database.session("admin").expect("admin session");
    for statement in SETUP {
        for result in admin.execute_batch(statement) {
            result.unwrap_or_else(|err| panic!("fuzzing setup failed: {statement}: {err}"));
        }
    }
    let job = match admin.execute_batch("CREATE INDEX ASYNC transfers_payer ON transfers (payer_id, created_at)").pop()
    {
        Some(Ok(crate::session::QueryResult::Rows { rows, .. })) => match rows.first().and_then(|row| row.first()) {
            Some(Value::Text(job)) => job.clone(),
            other => panic!("CREATE INDEX ASYNC returned {other:?}"),
        },
        other => panic!("CREATE INDEX ASYNC failed: {other:?}"),
    };
    if let Some(Err(err)) = admin.execute_batch(&format!("CALL sys.wait_for_job('{job}')")).pop() {
        panic!("index build failed: {err}");
    }
    database
}

/// SQL text into the engine: prepared (extended protocol: parse, bind, plan once) and run with every
/// parameter NULL, then run as a simple query string.
pub fn sql_frontend(data: &[u8]) {
    let sql = String::from_utf8_lossy(data);
    let database = database();
    let _watched = Watched::start();
    let Ok(mut session) = database.session(ROLE) else { return };
    run_prepared(&mut session, &sql);
    let _ = session.execute_batch("ROLLBACK");
    let _ = session.execute_batch(&sql);
}

fn run_prepared(session: &mut Session, sql: &str) {
    if let Ok(prepared) = session.prepare(sql, &[]) {
        let params = vec![Value::Null; prepared.param_types.len()];
        let _ = session.execute(&prepared, &params);
    }
}

/// How long one wire input may take before the target calls it a hang (its statements each have 250 ms).
const WIRE_LIMIT: Duration = Duration::from_secs(60);

/// Client bytes into a connection handler. An even first byte puts a valid startup message (role `fuzz`)
/// and password before the rest; an odd one sends the rest as they are, startup included.
pub fn wire(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut input = Vec::with_capacity(data.len() + 64);
    if mode % 2 == 0 {
        input.extend_from_slice(&startup_packet(&[("user", ROLE), ("database", "postgres")]));
        input.push(b'p');
        input.extend_from_slice(&7i32.to_be_bytes());
        input.extend_from_slice(b"x\0");
    }
    input.extend_from_slice(rest);
    let database = database();
    let _watched = Watched::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(1 << 16);
        let (mut reader, mut writer) = tokio::io::split(client);
        let serve = crate::wire::serve_stream(server, database, crate::wire::ServerOptions::default());
        let write = async move {
            // The server may stop reading (a FATAL error closes the connection): that ends the write.
            let _ = writer.write_all(&input).await;
            let _ = writer.shutdown().await;
        };
        let read = async move {
            let mut sink = [0u8; 8192];
            while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
        };
        let everything = async { tokio::join!(serve, write, read) };
        if tokio::time::timeout(WIRE_LIMIT, everything).await.is_err() {
            panic!("the connection did not end within {WIRE_LIMIT:?}");
        }
    });
}

/// A protocol 3.0 startup message with these parameters.
pub fn startup_packet(parameters: &[(&str, &str)]) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    for (name, value) in parameters {
        body.extend_from_slice(name.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    packet.extend_from_slice(&body);
    packet
}

/// Every type a column can have (with and without type modifiers).
pub const TYPES: &[DataType] = &[
    DataType::Bool,
    DataType::Int2,
    DataType::Int4,
    DataType::Int8,
    DataType::Float4,
    DataType::Float8,
    DataType::Numeric(None),
    DataType::Numeric(Some((10, 2))),
    DataType::Numeric(Some((4, 4))),
    DataType::Text,
    DataType::Varchar(None),
    DataType::Varchar(Some(5)),
    DataType::Char(3),
    DataType::Bytea,
    DataType::Uuid,
    DataType::Date,
    DataType::Timestamp,
    DataType::Timestamptz,
    DataType::Interval,
    DataType::Json,
    DataType::Jsonb,
];

/// Text or binary input of one type: the first byte picks the type, the second the format.
pub fn value_codecs(data: &[u8]) {
    let [selector, format, input @ ..] = data else { return };
    let data_type = TYPES[*selector as usize % TYPES.len()];
    let value = if format % 2 == 0 {
        text::parse(&String::from_utf8_lossy(input), &data_type)
    } else {
        binary::decode(input, &data_type)
    };
    if let Ok(value) = value {
        check_round_trips(&value, &data_type);
    }
}

/// A value's text form parses back to a value with the same text form, and so does its binary form.
fn check_round_trips(value: &Value, data_type: &DataType) {
    let shown = text::format(value, data_type);
    let reparsed = text::parse(&shown, data_type)
        .unwrap_or_else(|err| panic!("{data_type:?}: own text {shown:?} of {value:?} does not parse: {err}"));
    assert_eq!(text::format(&reparsed, data_type), shown, "{data_type:?}: text round trip of {value:?}");
    let mut encoded = Vec::new();
    binary::encode(value, data_type, &mut encoded);
    let decoded = binary::decode(&encoded, data_type)
        .unwrap_or_else(|err| panic!("{data_type:?}: own binary {encoded:?} of {value:?} does not decode: {err}"));
    assert_eq!(text::format(&decoded, data_type), shown, "{data_type:?}: binary round trip of {value:?}");
}

/// Key encoding: the first byte picks the type and direction, then values follow as length-prefixed text
/// (length 0: NULL). Whatever follows the last whole value is decoded as a raw key.
pub fn keycode(data: &[u8]) {
    let Some((&selector, mut rest)) = data.split_first() else { return };
    let data_type = TYPES[selector as usize % TYPES.len()];
    let descending = selector & 0x80 != 0;
    let mut values = Vec::new();
    while let Some((&length, tail)) = rest.split_first() {
        let length = length as usize;
        if tail.len() < length || values.len() >= 16 {
            break;
        }
        let (input, tail) = tail.split_at(length);
        rest = tail;
        if length == 0 {
            values.push(Value::Null);
        } else if let Ok(value) = text::parse(&String::from_utf8_lossy(input), &data_type) {
            values.push(value);
        }
    }
    let keys: Vec<Vec<u8>> = values
        .iter()
        .map(|value| {
            let mut key = Vec::new();
            encode_value(&mut key, value, descending);
            key
        })
        .collect();
    for (value, key) in values.iter().zip(&keys) {
        let mut input = key.as_slice();
        let decoded = decode_value(&mut input, &data_type, descending)
            .unwrap_or_else(|err| panic!("{data_type:?}: key {key:?} of {value:?} does not decode: {err}"));
        assert!(input.is_empty(), "{data_type:?}: decoding {value:?} left {input:?}");
        assert_eq!(
            key_order(value, &decoded),
            std::cmp::Ordering::Equal,
            "{data_type:?}: {value:?} came back as {decoded:?}"
        );
        let mut skipped = key.as_slice();
        skip_value(&mut skipped, &data_type, descending).expect("a key that decodes skips");
        assert!(skipped.is_empty(), "{data_type:?}: skipping {value:?} left {skipped:?}");
    }
    for (a, key_a) in values.iter().zip(&keys) {
        for (b, key_b) in values.iter().zip(&keys) {
            let mut expected = key_order(a, b);
            if descending {
                expected = expected.reverse();
            }
            assert_eq!(key_a.cmp(key_b), expected, "{data_type:?} (descending: {descending}): {a:?} vs {b:?}");
        }
    }
    // Arbitrary bytes as a key: an error at worst, and skipping agrees with decoding.
    let mut decoded = rest;
    let mut skipped = rest;
    let decode: Result<Value> = decode_value(&mut decoded, &data_type, descending);
    let skip = skip_value(&mut skipped, &data_type, descending);
    if decode.is_ok() {
        assert!(skip.is_ok(), "{data_type:?}: {rest:?} decodes but does not skip");
        assert_eq!(decoded.len(), skipped.len(), "{data_type:?}: decode and skip of {rest:?} disagree");
    }
}

/// The order keys must have: SQL's comparison, NULL after every value (ASC NULLS LAST).
fn key_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => crate::sql::scalar::compare(a, b).unwrap_or_else(|| panic!("{a:?} and {b:?} compare")),
    }
}

/// Installs a fuzzing driver's panic hook (once per process): a panic that occam contains by design (one of
/// pgwire's decoders on a truncated message, which `wire` answers with 08P01) passes silently; any other
/// panic, even one the server would catch and answer with an internal error, is printed and then
/// reported to `on_panic` (libFuzzer's drivers abort; the stable harness counts it).
pub fn install_panic_hook(on_panic: fn()) {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if crate::wire::in_isolated_decoder() {
                return;
            }
            default_hook(info);
            on_panic();
        }));
    });
}

/// A fuzzing target: bytes in, a panic on a bug.
pub type Target = fn(&[u8]);

/// The targets by name (for the drivers).
pub const TARGETS: &[(&str, Target)] =
    &[("sql_frontend", sql_frontend), ("wire", wire), ("value_codecs", value_codecs), ("keycode", keycode)];
