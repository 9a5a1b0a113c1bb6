//! Cancelling a running statement: `statement_timeout`, the protocol's CancelRequest and
//! `pg_cancel_backend(pid)` all go through this one mechanism.
//!
//! Every backend (session) owns one [`Interrupts`], registered with its pid in the registry of live backends
//! (`settings`). Its state is idle, running, or running with a cancel requested. The session marks the span
//! of each client request it serves (a query string, an extended-protocol Execute) with
//! [`Interrupts::begin`]; a cancel requested while no request runs is dropped, as PostgreSQL drops a
//! cancel signal that reaches an idle backend, so a CancelRequest that arrives early never cancels a later
//! statement.
//!
//! A running statement carries a [`StatementInterrupt`] (its backend's flag, and the deadline its
//! `statement_timeout` gives it) in its `FunctionContext`. The executor calls
//! [`StatementInterrupt::check`] wherever work can go on without bound: each time an operator is asked for
//! a batch (`Operator::next`, the one boundary every row crosses), every [`CHECK_EVERY`] storage entries a
//! table read steps over without returning a row, every [`CHECK_EVERY`] pairs of rows a join tries, and
//! while `CALL sys.wait_for_job` waits. A check is an atomic load, a clock read and an uncontended lock.
//! The statement then fails with PostgreSQL's `57014 canceling statement due to user request` or
//! `... due to statement timeout`; the session survives (a transaction block fails, as after any error).
//!
//! The same checks keep the server listening while a statement computes. The server runs a statement on the
//! async worker thread that read it (`wire`), and tokio polls sockets from a worker that has nothing else
//! to do; when the busy worker was the one polling them, the others sleep and nobody notices a new
//! connection, a CancelRequest included, until the statement ends. So a statement that has run for
//! [`WAKE_AFTER`] wakes an idle worker (by handing it an empty task) and does so again every
//! [`WAKE_AFTER`]: that worker then polls the sockets while this one computes.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::{sqlstate, Error, Result};

/// How many storage entries (or rows) a loop may step over between two checks.
pub const CHECK_EVERY: usize = 1024;

/// How long a statement computes before it makes sure another worker of the runtime is awake.
pub const WAKE_AFTER: Duration = Duration::from_millis(20);

const IDLE: u8 = 0;
const RUNNING: u8 = 1;
const CANCEL_REQUESTED: u8 = 2;

/// One backend's cancel flag (see the module documentation).
#[derive(Debug, Default)]
pub struct Interrupts {
    state: AtomicU8,
}

impl Interrupts {
    /// Marks a client request as running until the returned guard is dropped. Nested requests (`EXECUTE`
    /// inside a query string) share the outer one's span.
    pub fn begin(self: &Arc<Self>) -> Running {
        let outermost = self.state.compare_exchange(IDLE, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_ok();
        Running { interrupts: outermost.then(|| self.clone()) }
    }

    /// Requests that the running statement be cancelled; false (and nothing happens) when none runs.
    pub fn request_cancel(&self) -> bool {
        match self.state.compare_exchange(RUNNING, CANCEL_REQUESTED, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => true,
            Err(state) => state == CANCEL_REQUESTED,
        }
    }

    fn cancel_requested(&self) -> bool {
        self.state.load(Ordering::Relaxed) == CANCEL_REQUESTED
    }
}

/// The span of one client request (see [`Interrupts::begin`]); a cancel not yet acted on ends with it.
#[must_use]
pub struct Running {
    interrupts: Option<Arc<Interrupts>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(interrupts) = &self.interrupts {
            interrupts.state.store(IDLE, Ordering::Release);
        }
    }
}

/// What one statement checks: its backend's cancel flag and its deadline. The default never interrupts
/// (background jobs, statements run outside a session).
#[derive(Debug, Clone, Default)]
pub struct StatementInterrupt {
    backend: Option<Arc<Interrupts>>,
    deadline: Option<Instant>,
    /// When the statement next wakes an idle runtime worker (see the module documentation).
    wake_at: Option<Arc<Mutex<Instant>>>,
}

impl StatementInterrupt {
    /// A statement of the backend with these `interrupts`, started at `started`, with a
    /// `statement_timeout` of `timeout` (None: no timeout).
    pub fn new(interrupts: Arc<Interrupts>, started: Instant, timeout: Option<Duration>) -> Self {
        StatementInterrupt {
            backend: Some(interrupts),
            deadline: timeout.map(|timeout| started + timeout),
            wake_at: Some(Arc::new(Mutex::new(started + WAKE_AFTER))),
        }
    }

    /// 57014 when the statement was cancelled or ran past its deadline.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.backend.as_ref().is_some_and(|backend| backend.cancel_requested()) {
            return Err(Error::new(sqlstate::QUERY_CANCELED, "canceling statement due to user request"));
        }
        let Some(wake_at) = &self.wake_at else { return Ok(()) };
        let now = Instant::now();
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            return Err(Error::new(sqlstate::QUERY_CANCELED, "canceling statement due to statement timeout"));
        }
        let mut wake_at = wake_at.lock();
        if now >= *wake_at {
            *wake_at = now + WAKE_AFTER;
            wake_idle_worker();
        }
        Ok(())
    }

    /// Whether anything can interrupt the statement (a wait then wakes up now and then to check).
    pub fn is_interruptible(&self) -> bool {
        self.backend.is_some() || self.deadline.is_some()
    }
}

/// Wakes an idle worker of the multi-threaded runtime this thread works for, if any: a task spawned from
/// outside the runtime's workers (here, from its blocking pool) goes to the shared queue and wakes a
/// sleeping worker, which afterwards waits on the sockets (see the module documentation).
fn wake_idle_worker() {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let Ok(handle) = Handle::try_current() else { return };
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return;
    }
    let spawner = handle.clone();
    drop(handle.spawn_blocking(move || drop(spawner.spawn(async {}))));
}

/// A time parameter (`statement_timeout`, `lock_timeout`, ...) in milliseconds, as PostgreSQL parses it:
/// a number, by default in milliseconds, or with a unit `us`, `ms`, `s`, `min`, `h` or `d` (`'5s'`,
/// `'1.5 min'`), rounded to a whole millisecond, between 0 and 2147483647.
pub fn parse_milliseconds(name: &str, value: &str) -> Result<i64> {
    let invalid = || {
        Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("invalid value for parameter \"{name}\": \"{value}\""))
    };
    let trimmed = value.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let factor = match unit.trim() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => {
            return Err(invalid()
                .with_hint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\"."))
        }
    };
    let milliseconds = (number * factor).round_ties_even();
    if !milliseconds.is_finite() || milliseconds.abs() > f64::from(i32::MAX) {
        return Err(invalid().with_hint("Value exceeds integer range."));
    }
    let milliseconds = milliseconds as i64;
    if milliseconds < 0 {
        return Err(Error::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("{milliseconds} ms is outside the valid range for parameter \"{name}\" (0 .. {})", i32::MAX),
        ));
    }
    Ok(milliseconds)
}

/// A number of milliseconds as SHOW prints a time parameter: in the largest unit that holds it exactly.
pub fn format_milliseconds(milliseconds: i64) -> String {
    if milliseconds == 0 {
        return "0".to_string();
    }
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1_000)] {
        if milliseconds % size == 0 {
            return format!("{}{unit}", milliseconds / size);
        }
    }
    format!("{milliseconds}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_counts_only_while_a_request_runs() {
        let interrupts = Arc::new(Interrupts::default());
        assert!(!interrupts.request_cancel(), "idle: dropped");
        let statement = StatementInterrupt::new(interrupts.clone(), Instant::now(), None);
        {
            let _running = interrupts.begin();
            statement.check().expect("not cancelled: the request came before");
            assert!(interrupts.request_cancel());
            let nested = interrupts.begin();
            drop(nested);
            let err = statement.check().expect_err("cancelled");
            assert_eq!((err.code, err.message.as_str()), ("57014", "canceling statement due to user request"));
        }
        let _running = interrupts.begin();
        statement.check().expect("a new request starts uncancelled");
    }

    #[test]
    fn a_deadline_times_out() {
        let interrupts = Arc::new(Interrupts::default());
        let past = Instant::now() - Duration::from_millis(10);
        let err = StatementInterrupt::new(interrupts.clone(), past, Some(Duration::ZERO)).check().unwrap_err();
        assert_eq!(err.message, "canceling statement due to statement timeout");
        StatementInterrupt::new(interrupts, Instant::now(), Some(Duration::from_secs(60))).check().unwrap();
        StatementInterrupt::default().check().unwrap();
    }

    #[test]
    fn time_parameters_parse_and_print_as_postgres() {
        let ms = |v: &str| parse_milliseconds("statement_timeout", v);
        assert_eq!(ms("5000").unwrap(), 5000);
        assert_eq!(ms("5s").unwrap(), 5000);
        assert_eq!(ms(" 1.5 min ").unwrap(), 90_000);
        assert_eq!(ms("0").unwrap(), 0);
        assert_eq!(ms("1500us").unwrap(), 2);
        let err = ms("5x").unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("22023", "invalid value for parameter \"statement_timeout\": \"5x\"")
        );
        assert_eq!(ms("abc").unwrap_err().code, "22023");
        assert_eq!(
            ms("-1").unwrap_err().message,
            "-1 ms is outside the valid range for parameter \"statement_timeout\" (0 .. 2147483647)"
        );
        assert_eq!(ms("30d").unwrap_err().code, "22023");
        assert_eq!(format_milliseconds(0), "0");
        assert_eq!(format_milliseconds(100), "100ms");
        assert_eq!(format_milliseconds(5000), "5s");
        assert_eq!(format_milliseconds(60_000), "1min");
        assert_eq!(format_milliseconds(90_000), "90s");
        assert_eq!(format_milliseconds(86_400_000), "1d");
    }
}
