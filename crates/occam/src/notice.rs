//! Notices and warnings (PostgreSQL's NOTICE / WARNING messages: `table "t" does not exist, skipping`,
//! `there is no transaction in progress`): what a statement reports without failing.
//!
//! Code deep in a statement (the catalog's DROP ... IF EXISTS, say) raises one with [`raise`] into a sink
//! of the thread running the statement, as the session's time zone and search path are set for it; the
//! session [`take`]s them when the statement ends and the wire layer sends each as a NoticeResponse before
//! the statement's completion.

use std::cell::RefCell;

use crate::error::{Error, Severity, SqlState};

thread_local! {
    static RAISED: RefCell<Vec<Error>> = const { RefCell::new(Vec::new()) };
}

/// Reports `message` with `code` at NOTICE level (`00000` for a plain notice).
pub fn notice(code: SqlState, message: impl Into<String>) -> Error {
    Error { severity: Severity::Notice, ..Error::new(code, message) }
}

/// Reports `message` with `code` at WARNING level.
pub fn warning(code: SqlState, message: impl Into<String>) -> Error {
    Error { severity: Severity::Warning, ..Error::new(code, message) }
}

/// Raises a notice (see [`notice`] / [`warning`]) for the statement running on this thread.
pub fn raise(notice: Error) {
    RAISED.with(|raised| raised.borrow_mut().push(notice));
}

/// `DROP ... IF EXISTS` of what `missing` says is missing: PostgreSQL's NOTICE `<message>, skipping`.
pub fn skip_missing(missing: &Error) {
    raise(notice("00000", format!("{}, skipping", missing.message)));
}

/// `CREATE ... IF NOT EXISTS` of what `existing` says exists: the NOTICE `<message>, skipping` (with the
/// error's SQLSTATE, as PostgreSQL).
pub fn skip_existing(existing: &Error) {
    raise(notice(existing.code, format!("{}, skipping", existing.message)));
}

/// Runs `f`, dropping what it raises: internal work (the objects DROP SCHEMA ... CASCADE drops one by one,
/// a session's cleanup) reports nothing of its own.
pub fn suppressed<R>(f: impl FnOnce() -> R) -> R {
    let earlier = take();
    let result = f();
    take();
    RAISED.with(|raised| *raised.borrow_mut() = earlier);
    result
}

/// The notices raised on this thread since the last call, oldest first.
pub fn take() -> Vec<Error> {
    RAISED.with(|raised| std::mem::take(&mut *raised.borrow_mut()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raised_notices_are_taken_once() {
        take();
        raise(notice("00000", "first"));
        raise(warning("25P01", "second"));
        let taken = take();
        assert_eq!(
            taken.iter().map(|n| (n.severity, n.message.as_str())).collect::<Vec<_>>(),
            [(Severity::Notice, "first"), (Severity::Warning, "second")]
        );
        assert!(take().is_empty());
    }
}
