//! OCC conflicts explained: the 40001's DETAIL, the contention view, and injected conflicts.
//!
//! The transaction manager decides every conflict at COMMIT and says what it collided with
//! ([`crate::error::Conflict`]: a storage key, how the two transactions met, when the winner committed),
//! but it knows keys, not tables. This module, between the session and the catalog, turns that into:
//!
//! - a DETAIL naming the table and the key (`Key (id)=(42) of table "accounts": write-write conflict with
//!   a transaction that committed 3 ms before this COMMIT.`), added without changing the SQLSTATE or the
//!   message clients match on, switchable with `SET occam.conflict_detail = off`;
//! - the database's [`ConflictLog`]: the recent conflicts (`sys.occ_conflicts`), the keys that conflict most
//!   over a sliding window (`sys.hot_keys`) and per-table counters (`sys.occ_table_stats`, and the metrics
//!   endpoint), all bounded in memory;
//! - deterministic conflict injection for testing retry logic ([`InjectionSpec`], [`Injector`]):
//!   `SET occam.inject_conflicts = 'commit:0.25' | 'commit:next' | 'schema:next'`, seeded by
//!   `occam.inject_seed`, also set per role (`ALTER ROLE ... SET`) or server-wide
//!   (`occam serve --inject-conflicts`). An injected conflict writes nothing, like a real one.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::catalog::{schemas, Catalog, PUBLIC_SCHEMA};
use crate::error::{sqlstate, Conflict, ConflictKind, Error, Result};
use crate::storage::keycode::decode_value;
use crate::types::{DataType, Row, Value};

/// Conflicts `sys.occ_conflicts` keeps (the oldest are forgotten first).
const RECENT_CONFLICTS: usize = 1000;
/// How far back `sys.hot_keys` counts.
pub const HOT_KEY_WINDOW: Duration = Duration::from_secs(600);
/// Keys `sys.hot_keys` tracks at most (the least recently conflicting are forgotten first).
const HOT_KEYS: usize = 10_000;
/// Statement text kept per conflict.
const STATEMENT_CHARS: usize = 1000;

/// What a conflict was about, in words: the table (and index) and the key, decoded with the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConflictTarget {
    /// The table, schema-qualified unless it lives in `public`.
    pub table: Option<String>,
    /// A secondary index whose entry collided (a unique key written twice).
    pub index: Option<String>,
    /// `(id)=(42)`.
    pub key: Option<String>,
}

/// Names what `conflict` collided with, as far as `catalog` can tell (a table dropped since shows as
/// unknown).
pub fn describe(conflict: &Conflict, catalog: &Catalog) -> ConflictTarget {
    decode_key(&conflict.key, catalog).unwrap_or_default()
}

/// A table as conflicts name it: schema-qualified unless it lives in `public`.
pub fn table_display_name(table: &crate::catalog::Table) -> String {
    display_name(&table.schema, &table.name)
}

fn display_name(schema: &str, name: &str) -> String {
    if schema == PUBLIC_SCHEMA {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

fn decode_key(key: &[u8], catalog: &Catalog) -> Option<ConflictTarget> {
    if key.len() < 9 || key[0] != b't' {
        return None;
    }
    let table_id = u32::from_be_bytes(key[1..5].try_into().ok()?);
    let index_id = u32::from_be_bytes(key[5..9].try_into().ok()?);
    let mut input = &key[9..];
    if table_id == 0 {
        // A catalog row: a table's definition is keyed by its relation key (`catalog::definition_key`).
        if index_id != 0 {
            return None;
        }
        let Ok(Value::Text(relation)) = decode_value(&mut input, &DataType::Text, false) else { return None };
        let (schema, name) = schemas::split_relation_key(&relation);
        return Some(ConflictTarget { table: Some(display_name(&schema, &name)), index: None, key: None });
    }
    let table = catalog.table_by_id(table_id)?;
    let table_name = Some(display_name(&table.schema, &table.name));
    let (index, columns) = if index_id == 0 {
        let columns =
            table.primary_key.iter().map(|&c| (table.columns[c].name.clone(), table.columns[c].data_type, false));
        (None, columns.collect::<Vec<_>>())
    } else {
        let index = table.indexes.iter().find(|index| index.id == index_id)?;
        let columns = index.columns.iter().map(|c| (c.describe(table), c.data_type(table), c.descending));
        (Some(index.name.clone()), columns.collect())
    };
    let key = render_key(&mut input, &columns);
    Some(ConflictTarget { table: table_name, index, key })
}

/// `(a, b)=(1, x)` from the encoded key columns (None if they do not decode).
fn render_key(input: &mut &[u8], columns: &[(String, DataType, bool)]) -> Option<String> {
    let mut names = Vec::with_capacity(columns.len());
    let mut values = Vec::with_capacity(columns.len());
    for (name, data_type, descending) in columns {
        let value = data_type.restore_key_value(decode_value(input, data_type, *descending).ok()?);
        names.push(name.clone());
        values.push(match value {
            Value::Null => "null".to_string(),
            value => crate::types::text::format(&value, data_type),
        });
    }
    Some(format!("({})=({})", names.join(", "), values.join(", ")))
}

/// How long before `now` the winner committed, in words.
fn winner_phrase(winner_age: Option<Duration>) -> String {
    match winner_age {
        Some(age) => format!("committed {} before this COMMIT", format_age(age)),
        None => "committed after this transaction began".to_string(),
    }
}

/// `3 ms`, `0.4 ms`, `12.5 s`.
fn format_age(age: Duration) -> String {
    let ms = age.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// The DETAIL of a real conflict.
pub fn detail(kind: ConflictKind, target: &ConflictTarget, winner_age: Option<Duration>) -> String {
    let table = target.table.as_deref().map(|t| format!("table \"{t}\"")).unwrap_or_else(|| "a table".to_string());
    if kind == ConflictKind::Schema {
        return format!(
            "The definition of {table} changed after this transaction began: a schema change {}.",
            winner_phrase(winner_age)
        );
    }
    let place = match (&target.key, &target.index) {
        (Some(key), Some(index)) => format!("Key {key} of index \"{index}\" on {table}"),
        (Some(key), None) => format!("Key {key} of {table}"),
        (None, _) => format!("A row of {table}"),
    };
    format!("{place}: {} conflict with a transaction that {}.", kind.name(), winner_phrase(winner_age))
}

/// The DETAIL of an injected conflict.
pub fn injected_detail(spec: &str) -> String {
    format!("Injected by occam.inject_conflicts = '{spec}'; nothing was written.")
}

/// One conflict as `sys.occ_conflicts` shows it.
#[derive(Debug, Clone)]
pub struct ConflictRecord {
    pub at: DateTime<Utc>,
    pub kind: ConflictKind,
    pub target: ConflictTarget,
    pub winner_age: Option<Duration>,
    pub injected: bool,
    /// The losing session's role: only it and the administrator see `statement`, as `pg_stat_activity`.
    pub role: String,
    pub application_name: String,
    pub statement: String,
}

/// A key's conflicts in the hot-key window.
struct HotKey {
    conflicts: VecDeque<Instant>,
    last_at: DateTime<Utc>,
}

/// Per-table counters (`sys.occ_table_stats`).
#[derive(Debug, Clone, Default)]
pub struct TableConflicts {
    pub conflicts: u64,
    pub schema_conflicts: u64,
    pub injected: u64,
    /// Writing commits that succeeded in a session right after its previous writing commit failed with
    /// 40001: a retry loop's retries (a pooled connection's next unrelated transaction counts too: occam
    /// cannot tell a retry from new work).
    pub commits_after_conflict: u64,
}

/// The database's record of its recent conflicts, bounded in memory.
#[derive(Default)]
pub struct ConflictLog {
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    recent: VecDeque<ConflictRecord>,
    hot: HashMap<(String, String), HotKey>,
    tables: HashMap<String, TableConflicts>,
}

impl ConflictLog {
    /// Records a conflict (real or injected) that a COMMIT lost.
    pub fn record(&self, mut record: ConflictRecord) {
        if record.statement.chars().count() > STATEMENT_CHARS {
            record.statement = record.statement.chars().take(STATEMENT_CHARS).collect();
        }
        let now = Instant::now();
        let mut state = self.state.lock();
        if let Some(table) = &record.target.table {
            let counters = state.tables.entry(table.clone()).or_default();
            match (record.injected, record.kind) {
                (true, _) => counters.injected += 1,
                (false, ConflictKind::Schema) => counters.schema_conflicts += 1,
                (false, _) => counters.conflicts += 1,
            }
            if let (false, Some(key)) = (record.injected, &record.target.key) {
                let hot = state
                    .hot
                    .entry((table.clone(), key.clone()))
                    .or_insert_with(|| HotKey { conflicts: VecDeque::new(), last_at: record.at });
                hot.conflicts.push_back(now);
                hot.last_at = record.at;
            }
        }
        if state.hot.len() > HOT_KEYS {
            forget_cold_keys(&mut state.hot, now);
        }
        if state.recent.len() == RECENT_CONFLICTS {
            state.recent.pop_front();
        }
        state.recent.push_back(record);
    }

    /// Counts a commit that succeeded right after its session's previous writing commit failed with 40001,
    /// against the tables it wrote.
    pub fn record_commit_after_conflict(&self, tables: &[String]) {
        let mut state = self.state.lock();
        for table in tables {
            state.tables.entry(table.clone()).or_default().commits_after_conflict += 1;
        }
    }

    /// The recent conflicts, oldest first.
    pub fn recent(&self) -> Vec<ConflictRecord> {
        self.state.lock().recent.iter().cloned().collect()
    }

    /// (table, key, conflicts in the window, last conflict), most conflicts first.
    pub fn hot_keys(&self) -> Vec<(String, String, u64, DateTime<Utc>)> {
        let now = Instant::now();
        let mut state = self.state.lock();
        forget_cold_keys(&mut state.hot, now);
        let mut keys: Vec<_> = state
            .hot
            .iter()
            .map(|((table, key), hot)| (table.clone(), key.clone(), hot.conflicts.len() as u64, hot.last_at))
            .collect();
        keys.sort_by(|a, b| b.2.cmp(&a.2).then(b.3.cmp(&a.3)).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
        keys
    }

    /// Per-table counters, by table name.
    pub fn tables(&self) -> Vec<(String, TableConflicts)> {
        let mut tables: Vec<_> = self.state.lock().tables.iter().map(|(t, c)| (t.clone(), c.clone())).collect();
        tables.sort_by(|a, b| a.0.cmp(&b.0));
        tables
    }
}

/// Drops conflicts older than the window, keys left without any, and the least recent keys beyond
/// [`HOT_KEYS`].
fn forget_cold_keys(hot: &mut HashMap<(String, String), HotKey>, now: Instant) {
    for key in hot.values_mut() {
        while key.conflicts.front().is_some_and(|&at| now.duration_since(at) > HOT_KEY_WINDOW) {
            key.conflicts.pop_front();
        }
    }
    hot.retain(|_, key| !key.conflicts.is_empty());
    if hot.len() > HOT_KEYS {
        let mut by_age: Vec<(Instant, (String, String))> =
            hot.iter().map(|(k, v)| (*v.conflicts.back().expect("not empty"), k.clone())).collect();
        by_age.sort();
        for (_, key) in by_age.into_iter().take(hot.len() - HOT_KEYS) {
            hot.remove(&key);
        }
    }
}

// ---- injection ----

/// What `occam.inject_conflicts` asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InjectionSpec {
    Off,
    /// This fraction of writing COMMITs fail with OC000.
    CommitFraction(f64),
    /// The next writing COMMIT fails with OC000, once.
    CommitNext,
    /// The next writing COMMIT fails with OC001, once.
    SchemaNext,
}

impl InjectionSpec {
    /// Parses a value (22023 for anything else, as PostgreSQL for a bad parameter value).
    pub fn parse(value: &str) -> Result<InjectionSpec> {
        let lower = value.trim().to_ascii_lowercase();
        let invalid = || {
            Error::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"occam.inject_conflicts\": \"{value}\""),
            )
            .with_hint("Use off, commit:FRACTION (a number from 0 to 1), commit:next or schema:next.")
        };
        match lower.as_str() {
            "" | "off" => Ok(InjectionSpec::Off),
            "commit:next" => Ok(InjectionSpec::CommitNext),
            "schema:next" => Ok(InjectionSpec::SchemaNext),
            _ => {
                let fraction = lower.strip_prefix("commit:").ok_or_else(invalid)?;
                let fraction: f64 = fraction.parse().map_err(|_| invalid())?;
                if !(0.0..=1.0).contains(&fraction) {
                    return Err(invalid());
                }
                Ok(if fraction == 0.0 { InjectionSpec::Off } else { InjectionSpec::CommitFraction(fraction) })
            }
        }
    }

    /// The value as SHOW prints it.
    pub fn canonical(self) -> String {
        match self {
            InjectionSpec::Off => "off".to_string(),
            InjectionSpec::CommitFraction(fraction) => format!("commit:{fraction}"),
            InjectionSpec::CommitNext => "commit:next".to_string(),
            InjectionSpec::SchemaNext => "schema:next".to_string(),
        }
    }
}

/// Parses `occam.inject_seed` (22023 unless an integer).
pub fn parse_seed(value: &str) -> Result<Option<u64>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value.parse::<i64>().map(|seed| Some(seed as u64)).map_err(|_| {
        Error::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"occam.inject_seed\": \"{value}\""),
        )
        .with_hint("The seed is an integer; empty means a random seed per session.")
    })
}

/// A session's injection state: its random sequence (splitmix64 from the seed, so the same seed fails the
/// same commits of the same sequence of transactions).
pub struct Injector {
    seed: Option<u64>,
    state: u64,
}

impl Default for Injector {
    fn default() -> Self {
        Injector::new(None)
    }
}

impl Injector {
    fn new(seed: Option<u64>) -> Injector {
        let start = seed.unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            nanos.as_nanos() as u64 ^ (std::process::id() as u64) << 32
        });
        Injector { seed, state: start }
    }

    /// Whether this writing COMMIT fails, and as what: `spec` and `seed` are the settings now (a changed
    /// seed restarts the sequence).
    pub fn decide(&mut self, spec: InjectionSpec, seed: Option<u64>) -> Option<ConflictKind> {
        if seed != self.seed {
            *self = Injector::new(seed);
        }
        match spec {
            InjectionSpec::Off => None,
            InjectionSpec::CommitNext => Some(ConflictKind::WriteWrite),
            InjectionSpec::SchemaNext => Some(ConflictKind::Schema),
            InjectionSpec::CommitFraction(fraction) => {
                let draw = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
                (draw < fraction).then_some(ConflictKind::WriteWrite)
            }
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The 40001 of an injected conflict: DSQL's message for `kind`, the injection in DETAIL.
pub fn injected_error(kind: ConflictKind, spec: InjectionSpec, explain: bool) -> Error {
    let error = match kind {
        ConflictKind::Schema => crate::txn::schema_conflict(),
        _ => Error::serialization_failure(),
    };
    if explain {
        error.with_detail(injected_detail(&spec.canonical()))
    } else {
        error
    }
}

/// `sys.occ_conflicts`'s columns.
pub const SYS_OCC_CONFLICTS_COLUMNS: &[(&str, DataType)] = &[
    ("conflict_time", DataType::Timestamptz),
    ("code", DataType::Text),
    ("kind", DataType::Text),
    ("table_name", DataType::Text),
    ("index_name", DataType::Text),
    ("key", DataType::Text),
    ("winner_age_ms", DataType::Float8),
    ("injected", DataType::Bool),
    ("application_name", DataType::Text),
    ("statement", DataType::Text),
];

/// `sys.hot_keys`'s columns.
pub const SYS_HOT_KEYS_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("key", DataType::Text),
    ("conflicts", DataType::Int8),
    ("last_conflict", DataType::Timestamptz),
];

/// `sys.occ_table_stats`'s columns (per table, as `pg_stat_user_tables` is).
pub const SYS_OCC_TABLE_STATS_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("conflicts", DataType::Int8),
    ("schema_conflicts", DataType::Int8),
    ("injected_conflicts", DataType::Int8),
    ("commits_after_conflict", DataType::Int8),
];

fn text(value: &Option<String>) -> Value {
    value.clone().map_or(Value::Null, Value::Text)
}

/// The rows of `sys.occ_conflicts` as `viewer` (role, superuser) may see them: another role's statement
/// text reads `<insufficient privilege>`, as in `pg_stat_activity`.
pub fn sys_occ_conflicts_rows(log: &ConflictLog, viewer: Option<(String, bool)>) -> Vec<Row> {
    log.recent()
        .into_iter()
        .map(|mut record| {
            if let Some((role, superuser)) = &viewer {
                if !superuser && *role != record.role {
                    record.statement = "<insufficient privilege>".to_string();
                }
            }
            vec![
                Value::Timestamptz(record.at),
                Value::Text(record.kind.code().to_string()),
                Value::Text(if record.injected { "injected" } else { record.kind.name() }.to_string()),
                text(&record.target.table),
                text(&record.target.index),
                text(&record.target.key),
                record.winner_age.map_or(Value::Null, |age| Value::Float(age.as_secs_f64() * 1000.0)),
                Value::Bool(record.injected),
                Value::Text(record.application_name),
                Value::Text(record.statement),
            ]
        })
        .collect()
}

pub fn sys_hot_keys_rows(log: &ConflictLog) -> Vec<Row> {
    log.hot_keys()
        .into_iter()
        .map(|(table, key, conflicts, last)| {
            vec![Value::Text(table), Value::Text(key), Value::Int(conflicts as i64), Value::Timestamptz(last)]
        })
        .collect()
}

pub fn sys_occ_table_stats_rows(log: &ConflictLog) -> Vec<Row> {
    log.tables()
        .into_iter()
        .map(|(table, c)| {
            vec![
                Value::Text(table),
                Value::Int(c.conflicts as i64),
                Value::Int(c.schema_conflicts as i64),
                Value::Int(c.injected as i64),
                Value::Int(c.commits_after_conflict as i64),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_specs_parse_and_print() {
        assert_eq!(InjectionSpec::parse("commit:0.25").unwrap(), InjectionSpec::CommitFraction(0.25));
        assert_eq!(InjectionSpec::parse(" COMMIT:NEXT ").unwrap(), InjectionSpec::CommitNext);
        assert_eq!(InjectionSpec::parse("schema:next").unwrap(), InjectionSpec::SchemaNext);
        assert_eq!(InjectionSpec::parse("off").unwrap(), InjectionSpec::Off);
        assert_eq!(InjectionSpec::parse("commit:0").unwrap(), InjectionSpec::Off);
        assert_eq!(InjectionSpec::CommitFraction(0.5).canonical(), "commit:0.5");
        for bad in ["commit:1.5", "commit:-1", "commit:x", "rollback:next", "on"] {
            let err = InjectionSpec::parse(bad).unwrap_err();
            assert_eq!(err.code, sqlstate::INVALID_PARAMETER_VALUE, "{bad}");
        }
    }

    #[test]
    fn the_same_seed_fails_the_same_commits() {
        let run = |seed| {
            let mut injector = Injector::default();
            (0..200)
                .map(|_| injector.decide(InjectionSpec::CommitFraction(0.25), Some(seed)).is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let failed = run(7).iter().filter(|&&f| f).count();
        assert!((30..=70).contains(&failed), "about a quarter of 200 fail: {failed}");
    }

    #[test]
    fn hot_keys_rank_by_conflicts() {
        let log = ConflictLog::default();
        let record = |key: &str| ConflictRecord {
            at: Utc::now(),
            kind: ConflictKind::WriteWrite,
            target: ConflictTarget { table: Some("accounts".into()), index: None, key: Some(key.into()) },
            winner_age: Some(Duration::from_millis(3)),
            injected: false,
            role: "app".into(),
            application_name: String::new(),
            statement: "UPDATE accounts ...".into(),
        };
        for key in ["(id)=(1)", "(id)=(2)", "(id)=(2)", "(id)=(2)", "(id)=(3)", "(id)=(3)"] {
            log.record(record(key));
        }
        let hot: Vec<(String, u64)> = log.hot_keys().into_iter().map(|(_, key, n, _)| (key, n)).collect();
        assert_eq!(hot, vec![("(id)=(2)".into(), 3), ("(id)=(3)".into(), 2), ("(id)=(1)".into(), 1)]);
        assert_eq!(log.tables()[0].1.conflicts, 6);
        assert_eq!(log.recent().len(), 6);
    }

    #[test]
    fn details_name_what_collided() {
        let target = ConflictTarget { table: Some("accounts".into()), index: None, key: Some("(id)=(42)".into()) };
        assert_eq!(
            detail(ConflictKind::WriteWrite, &target, Some(Duration::from_millis(3))),
            "Key (id)=(42) of table \"accounts\": write-write conflict with a transaction that committed 3.0 ms \
             before this COMMIT."
        );
        let schema = ConflictTarget { table: Some("billing.accounts".into()), ..Default::default() };
        assert_eq!(
            detail(ConflictKind::Schema, &schema, None),
            "The definition of table \"billing.accounts\" changed after this transaction began: a schema change \
             committed after this transaction began."
        );
    }
}
