//! A session's run-time parameters (PostgreSQL's GUCs) and its backend process id.
//!
//! One [`SessionSettings`] is shared by the session (`SET`, `RESET`, `SHOW`, `DISCARD ALL`) and the
//! functions its statements evaluate (`set_config`, `current_setting`, `current_schema`, `pg_backend_pid`,
//! through `FunctionContext`), so a value set either way is the value read either way. The wire layer
//! reads it for the ParameterStatus messages: every [`REPORTED`] parameter at startup, and again whenever
//! a statement changes one (PostgreSQL's `GUC_REPORT`), collected by [`SessionSettings::take_reports`].
//!
//! Only values that differ from the default are stored. `set_config(name, value, true)` sets a value for
//! the rest of the transaction: the session calls [`SessionSettings::end_transaction`] when a transaction
//! ends, which drops those.
//!
//! Backend process ids are unique within the process; the live ones are registered with their role, their
//! secret key (BackendKeyData), a termination signal and their cancel flag (`interrupt`), so that
//! `pg_terminate_backend(pid)` can end another connection (the wire layer waits on the signal), and
//! `pg_cancel_backend(pid)` or a CancelRequest with the right key can cancel its running statement.
//!
//! Time parameters (`statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`) are checked
//! and stored as PostgreSQL shows them (`SET statement_timeout = 5000` shows `5s`); `statement_timeout`
//! bounds each statement of the session (see [`SessionSettings::statement_timeout`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::error::{sqlstate, Error, Result};
use crate::interrupt::{self, Interrupts};

/// A parameter SHOW knows without a SET.
struct Parameter {
    /// The name as PostgreSQL spells it (SHOW's column name, ParameterStatus's name).
    name: &'static str,
    default: &'static str,
    /// Fixed at server start: SET fails with 55P02.
    read_only: bool,
}

const fn parameter(name: &'static str, default: &'static str) -> Parameter {
    Parameter { name, default, read_only: false }
}

const fn fixed(name: &'static str, default: &'static str) -> Parameter {
    Parameter { name, default, read_only: true }
}

/// Run-time parameters with a default. `is_superuser` and `session_authorization` depend on the session
/// and are answered by [`Settings::default_of`].
const PARAMETERS: &[Parameter] = &[
    fixed("server_version", crate::wire::SERVER_VERSION),
    fixed("server_version_num", "160015"),
    fixed("server_encoding", "UTF8"),
    fixed("integer_datetimes", "on"),
    fixed("in_hot_standby", "off"),
    fixed("is_superuser", "off"),
    fixed("session_authorization", ""),
    fixed("max_identifier_length", "63"),
    fixed("max_index_keys", "32"),
    parameter("transaction_isolation", "repeatable read"),
    parameter("default_transaction_read_only", "off"),
    parameter("TimeZone", "UTC"),
    parameter("client_encoding", "UTF8"),
    parameter("standard_conforming_strings", "on"),
    parameter("DateStyle", "ISO, MDY"),
    parameter("IntervalStyle", "postgres"),
    parameter("application_name", ""),
    parameter("search_path", "\"$user\", public"),
    parameter("extra_float_digits", "1"),
    parameter("statement_timeout", "0"),
    parameter("lock_timeout", "0"),
    parameter("idle_in_transaction_session_timeout", "0"),
    parameter("enable_seqscan", "on"),
    parameter("enable_indexscan", "on"),
    parameter("enable_indexonlyscan", "on"),
    parameter("enable_hashjoin", "on"),
    parameter("enable_nestloop", "on"),
    parameter("enable_sort", "on"),
    // The session starts with the planner's default (the machine's cores, see `sql::optimize::parallel`).
    parameter("max_parallel_workers_per_gather", "2"),
    parameter("min_parallel_table_scan_size", "8MB"),
    // occam's own (`crate::conflicts`): a 40001's DETAIL, and conflicts injected for testing retry logic.
    parameter("occam.conflict_detail", "on"),
    parameter("occam.inject_conflicts", "off"),
    parameter("occam.inject_seed", ""),
];

/// The parameters reported to the client in ParameterStatus, at startup and when they change (those
/// PostgreSQL marks `GUC_REPORT`; `search_path` as PostgreSQL 18 reports it).
pub const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "search_path",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

fn find_parameter(lower: &str) -> Option<&'static Parameter> {
    PARAMETERS.iter().find(|p| p.name.eq_ignore_ascii_case(lower))
}

/// The name SHOW uses as its column name: PostgreSQL's spelling for a known parameter.
pub fn display_name(name: &str) -> String {
    find_parameter(name).map(|p| p.name.to_string()).unwrap_or_else(|| name.to_ascii_lowercase())
}

/// The default of a parameter that does not depend on the session (the binder folds some of them).
pub fn server_default(name: &str) -> Option<&'static str> {
    find_parameter(name).map(|p| p.default)
}

/// Parameters that hold a time in milliseconds (PostgreSQL's `GUC_UNIT_MS` integers).
const TIME_PARAMETERS: &[&str] = &["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"];

/// A value as PostgreSQL spells it back: the UTF-8 encoding's aliases (`utf-8`, `unicode`) are `UTF8`, a
/// time parameter is checked (22023) and shown in its largest exact unit (`5000` is `5s`).
fn canonical_value(lower_name: &str, value: &str) -> Result<String> {
    let utf8 = ["utf8", "utf-8", "unicode"].iter().any(|alias| value.eq_ignore_ascii_case(alias));
    if lower_name == "client_encoding" && utf8 {
        Ok("UTF8".to_string())
    } else if TIME_PARAMETERS.contains(&lower_name) {
        Ok(interrupt::format_milliseconds(interrupt::parse_milliseconds(lower_name, value)?))
    } else if lower_name == "occam.inject_conflicts" {
        Ok(crate::conflicts::InjectionSpec::parse(value)?.canonical())
    } else if lower_name == "occam.inject_seed" {
        crate::conflicts::parse_seed(value)?;
        Ok(value.trim().to_string())
    } else if lower_name == "occam.conflict_detail" {
        match crate::types::text::parse(value, &crate::types::DataType::Bool) {
            Ok(crate::types::Value::Bool(on)) => Ok(if on { "on" } else { "off" }.to_string()),
            _ => Err(Error::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                "parameter \"occam.conflict_detail\" requires a Boolean value",
            )),
        }
    } else if lower_name == "max_parallel_workers_per_gather" {
        match value.trim().parse::<i64>() {
            Ok(workers @ 0..=1024) => Ok(workers.to_string()),
            Ok(workers) => Err(Error::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("{workers} is outside the valid range for parameter \"{lower_name}\" (0 .. 1024)"),
            )),
            Err(_) => Err(invalid_value(lower_name, value)),
        }
    } else if lower_name == "min_parallel_table_scan_size" {
        scan_size_setting(value).ok_or_else(|| {
            invalid_value(lower_name, value)
                .with_hint("Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".")
        })
    } else if lower_name == "timezone" {
        crate::types::zone::canonical_setting(value).ok_or_else(|| {
            Error::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"TimeZone\": \"{value}\""),
            )
        })
    } else {
        Ok(value.to_string())
    }
}

/// 22023 for a value a parameter does not take.
fn invalid_value(name: &str, value: &str) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("invalid value for parameter \"{name}\": \"{value}\""))
}

/// A `min_parallel_table_scan_size` as PostgreSQL shows it: whole 8kB blocks in the largest exact unit
/// (`8MB`, `64kB`, `0`). None for a value it does not take (or past its largest, `INT_MAX / 3` blocks).
fn scan_size_setting(value: &str) -> Option<String> {
    const BLOCK: u64 = 8 * 1024;
    let bytes = crate::sql::optimize::parallel::parse_scan_size(value)?;
    let blocks = bytes.div_ceil(BLOCK);
    if blocks > (i32::MAX / 3) as u64 {
        return None;
    }
    let bytes = blocks * BLOCK;
    Some(match bytes {
        0 => "0".to_string(),
        b if b % (1 << 30) == 0 => format!("{}GB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}MB", b >> 20),
        b => format!("{}kB", b >> 10),
    })
}

/// Checks a parameter's default as `ALTER ROLE ... SET` stores it: (lower-case name, value as SHOW prints
/// it). 42704 for an unknown parameter (a dotted custom name is accepted, as PostgreSQL's placeholders),
/// 55P02 for a fixed one, 22023 for a bad value.
pub fn check_default(name: &str, value: &str) -> Result<(String, String)> {
    let lower = name.to_ascii_lowercase();
    match find_parameter(&lower) {
        Some(parameter) if parameter.read_only => {
            Err(Error::new("55P02", format!("parameter \"{lower}\" cannot be changed")))
        }
        None if !lower.contains('.') => Err(unrecognized(name)),
        _ => Ok((lower.clone(), canonical_value(&lower, value)?)),
    }
}

static NEXT_BACKEND_PID: AtomicI32 = AtomicI32::new(1);
static LIVE_BACKENDS: LazyLock<Mutex<HashMap<i32, LiveBackend>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// What other sessions may know of an open backend.
struct LiveBackend {
    user: String,
    superuser: bool,
    /// BackendKeyData's secret key: a CancelRequest must carry it.
    secret_key: i32,
    terminate: Arc<Notify>,
    started: chrono::DateTime<chrono::Utc>,
    interrupts: Arc<Interrupts>,
}

/// Whether `pid` is a backend of this server process that is still open.
pub fn is_live_backend(pid: i32) -> bool {
    LIVE_BACKENDS.lock().contains_key(&pid)
}

/// An open backend, as `pg_stat_activity` shows it.
pub struct BackendInfo {
    pub pid: i32,
    pub user: String,
    pub started: chrono::DateTime<chrono::Utc>,
}

/// Every open backend of this server process, by pid.
pub fn live_backends() -> Vec<BackendInfo> {
    let mut backends: Vec<BackendInfo> = LIVE_BACKENDS
        .lock()
        .iter()
        .map(|(pid, b)| BackendInfo { pid: *pid, user: b.user.clone(), started: b.started })
        .collect();
    backends.sort_by_key(|b| b.pid);
    backends
}

/// One run-time parameter as `pg_settings` shows it.
pub struct ParameterInfo {
    pub name: String,
    pub value: String,
    pub default: String,
    pub read_only: bool,
    /// Whether the session runs with the default (nothing set it).
    pub is_default: bool,
}

/// Every parameter occam knows, and every other one the session set, by name, with the session's values.
pub fn known_parameters(session: &SessionSettings) -> Vec<ParameterInfo> {
    let settings = session.settings.lock();
    let mut names: Vec<String> = PARAMETERS.iter().map(|p| p.name.to_string()).collect();
    for name in settings.values.keys().chain(settings.transaction_values.keys()) {
        if find_parameter(name).is_none() && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names
        .into_iter()
        .map(|name| {
            let lower = name.to_ascii_lowercase();
            let default = settings.default_of(&lower).unwrap_or_default();
            let value = settings.value(&lower).unwrap_or_default();
            ParameterInfo {
                is_default: !settings.values.contains_key(&lower) && !settings.transaction_values.contains_key(&lower),
                read_only: find_parameter(&lower).is_some_and(|p| p.read_only),
                name,
                value,
                default,
            }
        })
        .collect()
}

/// What `pg_cancel_backend` / `pg_terminate_backend` ask of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Cancel,
    Terminate,
}

/// A CancelRequest (`pid` and `secret_key` from its BackendKeyData): cancels the statement that backend is
/// running, if the key matches. Whether a statement was cancelled (the client learns nothing either way).
pub fn cancel_request(pid: i32, secret_key: i32) -> bool {
    let interrupts = match LIVE_BACKENDS.lock().get(&pid) {
        Some(backend) if backend.secret_key == secret_key => backend.interrupts.clone(),
        _ => return false,
    };
    interrupts.request_cancel()
}

/// Cancels the statement every backend of this process is running (the fuzzing harness's watchdog,
/// `crate::fuzz_targets`, which must bound inputs that turn their own `statement_timeout` off).
pub(crate) fn cancel_every_backend() {
    let backends: Vec<Arc<Interrupts>> = LIVE_BACKENDS.lock().values().map(|b| b.interrupts.clone()).collect();
    for interrupts in backends {
        interrupts.request_cancel();
    }
}

/// A registered backend process id, unregistered when the session that holds it is gone.
struct BackendId {
    pid: i32,
    secret_key: i32,
    terminate: Arc<Notify>,
    interrupts: Arc<Interrupts>,
}

impl BackendId {
    fn register(user: &str, superuser: bool) -> BackendId {
        let pid = NEXT_BACKEND_PID.fetch_add(1, Ordering::Relaxed);
        let secret_key = rand::random::<i32>();
        let terminate = Arc::new(Notify::new());
        let interrupts = Arc::new(Interrupts::default());
        let backend = LiveBackend {
            user: user.to_string(),
            superuser,
            secret_key,
            terminate: terminate.clone(),
            started: chrono::Utc::now(),
            interrupts: interrupts.clone(),
        };
        LIVE_BACKENDS.lock().insert(pid, backend);
        BackendId { pid, secret_key, terminate, interrupts }
    }
}

impl Drop for BackendId {
    fn drop(&mut self) {
        LIVE_BACKENDS.lock().remove(&self.pid);
    }
}

struct Settings {
    user: String,
    superuser: bool,
    /// Values the server was started with (`occam serve --statement-timeout`), under the startup message's.
    server_values: HashMap<String, String>,
    /// Values the client's startup message gave: the session's defaults (what RESET returns to).
    startup_values: HashMap<String, String>,
    /// Session values that differ from the default, by lower-case name.
    values: HashMap<String, String>,
    /// Values for the rest of the transaction (`set_config(..., true)`), by lower-case name.
    transaction_values: HashMap<String, String>,
    /// Reported parameters whose value changed since the last `take_reports`, by lower-case name.
    changed: Vec<String>,
    /// The session values when the open transaction block began: a block that rolls back undoes its SETs.
    block_start: Option<HashMap<String, String>>,
}

impl Settings {
    fn default_of(&self, lower: &str) -> Option<String> {
        match lower {
            "is_superuser" => Some(if self.superuser { "on" } else { "off" }.to_string()),
            "session_authorization" => Some(self.user.clone()),
            _ => self
                .startup_values
                .get(lower)
                .or_else(|| self.server_values.get(lower))
                .cloned()
                .or_else(|| server_default(lower).map(str::to_string)),
        }
    }

    fn value(&self, lower: &str) -> Option<String> {
        self.transaction_values
            .get(lower)
            .or_else(|| self.values.get(lower))
            .cloned()
            .or_else(|| self.default_of(lower))
    }

    fn note_change(&mut self, lower: &str) {
        if REPORTED.iter().any(|name| name.eq_ignore_ascii_case(lower)) && !self.changed.iter().any(|c| c == lower) {
            self.changed.push(lower.to_string());
        }
    }
}

/// A session's parameters, shared with the functions its statements run (cheap to clone).
#[derive(Clone)]
pub struct SessionSettings {
    settings: Arc<Mutex<Settings>>,
    backend: Arc<BackendId>,
    /// What `nextval` / `setval` gave this session, for `currval` and `lastval`.
    sequence_values: Arc<Mutex<crate::sequences::SessionValues>>,
}

impl std::fmt::Debug for SessionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSettings").field("backend_pid", &self.backend.pid).finish_non_exhaustive()
    }
}

fn unrecognized(name: &str) -> Error {
    Error::new(sqlstate::UNDEFINED_OBJECT, format!("unrecognized configuration parameter \"{name}\""))
}

impl SessionSettings {
    /// The settings of a new session of `user`, with a new backend process id.
    pub fn new(user: &str, superuser: bool) -> SessionSettings {
        let settings = Settings {
            user: user.to_string(),
            superuser,
            server_values: HashMap::new(),
            startup_values: HashMap::new(),
            values: HashMap::new(),
            transaction_values: HashMap::new(),
            changed: Vec::new(),
            block_start: None,
        };
        let backend = Arc::new(BackendId::register(user, superuser));
        SessionSettings { settings: Arc::new(Mutex::new(settings)), backend, sequence_values: Default::default() }
    }

    /// This session's `currval` / `lastval` values.
    pub fn sequence_values(&self) -> parking_lot::MutexGuard<'_, crate::sequences::SessionValues> {
        self.sequence_values.lock()
    }

    /// This session's process id (`pg_backend_pid()`, and the key in BackendKeyData).
    pub fn backend_pid(&self) -> i32 {
        self.backend.pid
    }

    /// BackendKeyData's secret key, which a CancelRequest for this backend must carry.
    pub fn secret_key(&self) -> i32 {
        self.backend.secret_key
    }

    /// This backend's cancel flag (see `interrupt`).
    pub fn interrupts(&self) -> &Arc<Interrupts> {
        &self.backend.interrupts
    }

    /// `statement_timeout` now: None when 0 (off).
    pub fn statement_timeout(&self) -> Option<Duration> {
        let value = self.get("statement_timeout")?;
        let milliseconds = interrupt::parse_milliseconds("statement_timeout", &value).ok()?;
        (milliseconds > 0).then(|| Duration::from_millis(milliseconds as u64))
    }

    /// Notified when another session terminates this one (`pg_terminate_backend`); a permit is kept
    /// if nobody waits yet.
    pub fn termination_signal(&self) -> Arc<Notify> {
        self.backend.terminate.clone()
    }

    /// `pg_cancel_backend(pid)` / `pg_terminate_backend(pid)` from this session: false for a pid that is
    /// no open backend. A role may signal its own backends; only a superuser those of other roles
    /// (PostgreSQL's rule without `pg_signal_backend`). A cancel reaches only a statement running then
    /// (a backend's own included: `pg_cancel_backend(pg_backend_pid())` cancels the statement calling it,
    /// as in PostgreSQL).
    pub fn signal_backend(&self, pid: i32, signal: Signal) -> Result<bool> {
        let backends = LIVE_BACKENDS.lock();
        let Some(target) = backends.get(&pid) else { return Ok(false) };
        let (user, superuser) = {
            let settings = self.settings.lock();
            (settings.user.clone(), settings.superuser)
        };
        let (verb, noun) = match signal {
            Signal::Cancel => ("cancel", "cancel query"),
            Signal::Terminate => ("terminate", "terminate process"),
        };
        if target.superuser && !superuser {
            return Err(Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, format!("permission denied to {noun}"))
                .with_detail(format!(
                "Only roles with the SUPERUSER attribute may {verb} processes of roles with the SUPERUSER attribute."
            )));
        }
        if target.user != user && !superuser {
            return Err(Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, format!("permission denied to {noun}"))
                .with_detail(format!(
                    "Only roles with privileges of the role whose process is being {verb}ed or with privileges of the \"pg_signal_backend\" role may {verb} this process."
                )));
        }
        match signal {
            Signal::Terminate => target.terminate.notify_one(),
            Signal::Cancel => {
                target.interrupts.request_cancel();
            }
        }
        Ok(true)
    }

    /// The current value, `None` for a parameter that is neither known nor set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.settings.lock().value(&name.to_ascii_lowercase())
    }

    /// `SHOW name` / `current_setting(name)`: 42704 for an unknown parameter.
    pub fn show(&self, name: &str) -> Result<String> {
        self.get(name).ok_or_else(|| unrecognized(name))
    }

    /// `SET name = value` (`DEFAULT` resets), or with `transaction_only` the value for the rest of the
    /// transaction (`set_config(name, value, true)`).
    pub fn set(&self, name: &str, value: &str, transaction_only: bool) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        if find_parameter(&lower).is_some_and(|p| p.read_only) {
            return Err(Error::new("55P02", format!("parameter \"{lower}\" cannot be changed")));
        }
        // `SET TIME ZONE LOCAL` is PostgreSQL's spelling of DEFAULT for the time zone.
        let default =
            value.eq_ignore_ascii_case("default") || lower == "timezone" && value.eq_ignore_ascii_case("local");
        let value = if default { "DEFAULT".to_string() } else { canonical_value(&lower, value)? };
        let value = value.as_str();
        let mut settings = self.settings.lock();
        if value.eq_ignore_ascii_case("default") && !transaction_only {
            settings.values.remove(&lower);
            settings.transaction_values.remove(&lower);
        } else if transaction_only {
            settings.transaction_values.insert(lower.clone(), value.to_string());
        } else {
            settings.transaction_values.remove(&lower);
            settings.values.insert(lower.clone(), value.to_string());
        }
        settings.note_change(&lower);
        Ok(())
    }

    /// A value from the client's startup message: it becomes the session's default.
    pub fn set_startup_value(&self, name: &str, value: &str) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        if find_parameter(&lower).is_some_and(|p| p.read_only) {
            return Err(Error::new("55P02", format!("parameter \"{lower}\" cannot be changed")));
        }
        let value = canonical_value(&lower, value)?;
        self.settings.lock().startup_values.insert(lower, value);
        Ok(())
    }

    /// A default the server was started with (below the startup message's values): checked like SET.
    pub fn set_server_value(&self, name: &str, value: &str) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        let value = canonical_value(&lower, value)?;
        self.settings.lock().server_values.insert(lower, value);
        Ok(())
    }

    /// `RESET name`: back to the default. 42704 for a parameter that is neither known nor set (as
    /// PostgreSQL, which knows every parameter name).
    pub fn reset(&self, name: &str) -> Result<()> {
        let lower = name.to_ascii_lowercase();
        let mut settings = self.settings.lock();
        let known = find_parameter(&lower).is_some()
            || settings.values.contains_key(&lower)
            || settings.startup_values.contains_key(&lower)
            || lower.contains('.');
        if !known {
            return Err(unrecognized(name));
        }
        if find_parameter(&lower).is_some_and(|p| p.read_only) {
            return Err(Error::new("55P02", format!("parameter \"{lower}\" cannot be changed")));
        }
        settings.values.remove(&lower);
        settings.transaction_values.remove(&lower);
        settings.note_change(&lower);
        Ok(())
    }

    /// `RESET ALL`: every parameter back to its default.
    pub fn reset_all(&self) {
        let mut settings = self.settings.lock();
        let names: Vec<String> = settings.values.keys().chain(settings.transaction_values.keys()).cloned().collect();
        settings.values.clear();
        settings.transaction_values.clear();
        for name in names {
            settings.note_change(&name);
        }
    }

    /// A transaction block began (BEGIN).
    pub fn begin_block(&self) {
        let mut settings = self.settings.lock();
        settings.block_start = Some(settings.values.clone());
    }

    /// The transaction block ended: committed, its SETs stay; rolled back, they are undone, as in PG.
    pub fn finish_block(&self, committed: bool) {
        let mut settings = self.settings.lock();
        let Some(start) = settings.block_start.take() else { return };
        if committed {
            return;
        }
        let mut names: Vec<String> = settings.values.keys().chain(start.keys()).cloned().collect();
        names.retain(|name| settings.values.get(name) != start.get(name));
        settings.values = start;
        for name in names {
            settings.note_change(&name);
        }
    }

    /// Sets a session value that stays even if the open transaction block rolls back (a fired one-shot
    /// conflict injection turns itself off so, although its COMMIT failed).
    pub fn set_despite_rollback(&self, name: &str, value: &str) {
        let lower = name.to_ascii_lowercase();
        let mut settings = self.settings.lock();
        settings.transaction_values.remove(&lower);
        settings.values.insert(lower.clone(), value.to_string());
        if let Some(start) = &mut settings.block_start {
            start.insert(lower.clone(), value.to_string());
        }
        settings.note_change(&lower);
    }

    /// The transaction ended: values set for it only are dropped.
    pub fn end_transaction(&self) {
        let mut settings = self.settings.lock();
        if settings.transaction_values.is_empty() {
            return;
        }
        let names: Vec<String> = settings.transaction_values.drain().map(|(name, _)| name).collect();
        for name in names {
            settings.note_change(&name);
        }
    }

    /// Every value set by the session (lower-case name, value), for the planner switches.
    pub fn overrides(&self) -> Vec<(String, String)> {
        let settings = self.settings.lock();
        let mut merged = settings.values.clone();
        merged.extend(settings.transaction_values.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged.into_iter().collect()
    }

    /// The reported parameters changed since the last call, with their values now (PostgreSQL's name).
    pub fn take_reports(&self) -> Vec<(String, String)> {
        let mut settings = self.settings.lock();
        let changed = std::mem::take(&mut settings.changed);
        changed.iter().map(|lower| (display_name(lower), settings.value(lower).unwrap_or_default())).collect()
    }

    /// Every reported parameter and its value (the ParameterStatus messages sent at startup).
    pub fn reported(&self) -> Vec<(String, String)> {
        let mut settings = self.settings.lock();
        settings.changed.clear();
        REPORTED
            .iter()
            .map(|name| (name.to_string(), settings.value(&name.to_ascii_lowercase()).unwrap_or_default()))
            .collect()
    }

    /// The schemas `search_path` names, in order, `$user` as the session's role (whether they exist is
    /// the catalog's business: `Catalog::existing_schemas`).
    pub fn search_path(&self) -> Vec<String> {
        let path = self.get("search_path").unwrap_or_default();
        let user = self.settings.lock().user.clone();
        path.split(',')
            .map(|entry| {
                let entry = entry.trim();
                match entry.strip_prefix('"').and_then(|e| e.strip_suffix('"')) {
                    Some("$user") => user.clone(),
                    Some(quoted) => quoted.to_string(),
                    None if entry == "$user" => user.clone(),
                    None => entry.to_ascii_lowercase(),
                }
            })
            .filter(|schema| !schema.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_reset_and_reports() {
        let settings = SessionSettings::new("alice", false);
        assert_eq!(settings.show("DateStyle").unwrap(), "ISO, MDY");
        assert_eq!(settings.show("session_authorization").unwrap(), "alice");
        assert_eq!(settings.show("is_superuser").unwrap(), "off");
        settings.set("application_name", "app", false).unwrap();
        settings.set("enable_seqscan", "off", false).unwrap();
        assert_eq!(settings.take_reports(), vec![("application_name".to_string(), "app".to_string())]);
        assert!(settings.take_reports().is_empty());
        settings.reset("application_name").unwrap();
        assert_eq!(settings.take_reports(), vec![("application_name".to_string(), String::new())]);
        assert_eq!(settings.reset("no_such").unwrap_err().code, "42704");
        assert_eq!(settings.set("server_version", "1", false).unwrap_err().code, "55P02");
        settings.reset_all();
        assert_eq!(settings.show("enable_seqscan").unwrap(), "on");
    }

    #[test]
    fn transaction_values_end_with_the_transaction() {
        let settings = SessionSettings::new("admin", true);
        settings.set("TimeZone", "Europe/Paris", true).unwrap();
        assert_eq!(settings.show("timezone").unwrap(), "Europe/Paris");
        settings.take_reports();
        settings.end_transaction();
        assert_eq!(settings.show("timezone").unwrap(), "UTC");
        assert_eq!(settings.take_reports(), vec![("TimeZone".to_string(), "UTC".to_string())]);
    }

    #[test]
    fn a_rolled_back_block_undoes_its_sets() {
        let settings = SessionSettings::new("admin", true);
        settings.set("application_name", "before", false).unwrap();
        settings.begin_block();
        settings.set("application_name", "inside", false).unwrap();
        settings.set("enable_sort", "off", false).unwrap();
        settings.take_reports();
        settings.finish_block(false);
        assert_eq!(settings.show("application_name").unwrap(), "before");
        assert_eq!(settings.show("enable_sort").unwrap(), "on");
        assert_eq!(settings.take_reports(), vec![("application_name".to_string(), "before".to_string())]);
        settings.begin_block();
        settings.set("application_name", "kept", false).unwrap();
        settings.finish_block(true);
        assert_eq!(settings.show("application_name").unwrap(), "kept");
    }

    #[test]
    fn search_path_and_backends() {
        let settings = SessionSettings::new("admin", true);
        assert_eq!(settings.search_path(), ["admin", "public"]);
        settings.set("search_path", "nowhere, \"sys\", public", false).unwrap();
        assert_eq!(settings.search_path(), ["nowhere", "sys", "public"]);
        let pid = settings.backend_pid();
        assert!(is_live_backend(pid));
        drop(settings);
        assert!(!is_live_backend(pid));
    }
}
