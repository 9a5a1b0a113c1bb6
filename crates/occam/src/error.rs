//! Errors that carry a PostgreSQL SQLSTATE from the layer that knows it.
//!
//! Every layer returns [`Error`]; the wire layer only formats it into an ErrorResponse. Constructors are
//! named after the condition (`Error::undefined_table`, `Error::serialization_failure`, ...) so call sites
//! read as the SQLSTATE they raise and the code strings live in one place.

use std::fmt;

/// A SQLSTATE code, e.g. `"40001"`.
pub type SqlState = &'static str;

/// SQLSTATE codes used by occam, named as in PostgreSQL's errcodes.txt.
pub mod sqlstate {
    use super::SqlState;
    pub const SUCCESSFUL_COMPLETION: SqlState = "00000";
    pub const FEATURE_NOT_SUPPORTED: SqlState = "0A000";
    pub const CARDINALITY_VIOLATION: SqlState = "21000";
    pub const DATA_EXCEPTION: SqlState = "22000";
    pub const STRING_DATA_RIGHT_TRUNCATION: SqlState = "22001";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: SqlState = "22003";
    pub const INVALID_DATETIME_FORMAT: SqlState = "22007";
    pub const DATETIME_FIELD_OVERFLOW: SqlState = "22008";
    pub const DIVISION_BY_ZERO: SqlState = "22012";
    pub const INVALID_PARAMETER_VALUE: SqlState = "22023";
    pub const INVALID_TEXT_REPRESENTATION: SqlState = "22P02";
    pub const NULL_VALUE_NOT_ALLOWED: SqlState = "22004";
    pub const INVALID_BINARY_REPRESENTATION: SqlState = "22P03";
    pub const NOT_NULL_VIOLATION: SqlState = "23502";
    pub const UNIQUE_VIOLATION: SqlState = "23505";
    pub const CHECK_VIOLATION: SqlState = "23514";
    pub const FOREIGN_KEY_VIOLATION: SqlState = "23503";
    pub const INVALID_FOREIGN_KEY: SqlState = "42830";
    pub const INVALID_TRANSACTION_STATE: SqlState = "25000";
    pub const ACTIVE_SQL_TRANSACTION: SqlState = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: SqlState = "25P01";
    pub const INVALID_SAVEPOINT_SPECIFICATION: SqlState = "3B001";
    pub const IN_FAILED_SQL_TRANSACTION: SqlState = "25P02";
    pub const INVALID_SQL_STATEMENT_NAME: SqlState = "26000";
    pub const INVALID_AUTHORIZATION_SPECIFICATION: SqlState = "28000";
    pub const INVALID_PASSWORD: SqlState = "28P01";
    pub const INVALID_CURSOR_NAME: SqlState = "34000";
    pub const OBJECT_NOT_IN_PREREQUISITE_STATE: SqlState = "55000";
    pub const WITH_CHECK_OPTION_VIOLATION: SqlState = "44000";
    pub const SERIALIZATION_FAILURE: SqlState = "40001";
    pub const SYNTAX_ERROR: SqlState = "42601";
    pub const INSUFFICIENT_PRIVILEGE: SqlState = "42501";
    pub const UNDEFINED_COLUMN: SqlState = "42703";
    pub const UNDEFINED_FUNCTION: SqlState = "42883";
    pub const UNDEFINED_TABLE: SqlState = "42P01";
    pub const UNDEFINED_PARAMETER: SqlState = "42P02";
    pub const UNDEFINED_OBJECT: SqlState = "42704";
    pub const INVALID_FUNCTION_DEFINITION: SqlState = "42P13";
    pub const DUPLICATE_FUNCTION: SqlState = "42723";
    pub const AMBIGUOUS_FUNCTION: SqlState = "42725";
    pub const UNDEFINED_SCHEMA: SqlState = "3F000";
    pub const DUPLICATE_SCHEMA: SqlState = "42P06";
    pub const READ_ONLY_SQL_TRANSACTION: SqlState = "25006";
    pub const RESERVED_NAME: SqlState = "42939";
    pub const INVALID_NAME: SqlState = "42602";
    pub const INVALID_REGULAR_EXPRESSION: SqlState = "2201B";
    pub const ARRAY_SUBSCRIPT_ERROR: SqlState = "2202E";
    pub const DUPLICATE_COLUMN: SqlState = "42701";
    pub const DUPLICATE_TABLE: SqlState = "42P07";
    pub const DUPLICATE_OBJECT: SqlState = "42710";
    pub const DUPLICATE_ALIAS: SqlState = "42712";
    pub const AMBIGUOUS_COLUMN: SqlState = "42702";
    pub const DATATYPE_MISMATCH: SqlState = "42804";
    pub const WRONG_OBJECT_TYPE: SqlState = "42809";
    pub const GROUPING_ERROR: SqlState = "42803";
    pub const WINDOWING_ERROR: SqlState = "42P20";
    pub const INVALID_RECURSION: SqlState = "42P19";
    pub const DEPENDENT_OBJECTS_STILL_EXIST: SqlState = "2BP01";
    pub const INVALID_COLUMN_REFERENCE: SqlState = "42P10";
    pub const INVALID_TABLE_DEFINITION: SqlState = "42P16";
    pub const INDETERMINATE_DATATYPE: SqlState = "42P18";
    pub const INVALID_OBJECT_DEFINITION: SqlState = "42P17";
    pub const CANNOT_COERCE: SqlState = "42846";
    pub const PROGRAM_LIMIT_EXCEEDED: SqlState = "54000";
    pub const TOO_MANY_COLUMNS: SqlState = "54011";
    pub const STATEMENT_TOO_COMPLEX: SqlState = "54001";
    pub const TOO_MANY_CONNECTIONS: SqlState = "53300";
    pub const DISK_FULL: SqlState = "53100";
    pub const OUT_OF_MEMORY: SqlState = "53200";
    pub const CONFIGURATION_LIMIT_EXCEEDED: SqlState = "53400";
    pub const ADMIN_SHUTDOWN: SqlState = "57P01";
    pub const QUERY_CANCELED: SqlState = "57014";
    pub const PROTOCOL_VIOLATION: SqlState = "08P01";
    pub const INTERNAL_ERROR: SqlState = "XX000";
    pub const IO_ERROR: SqlState = "58030";
}

/// Severity of an error as reported to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Fatal,
    /// Not an error: a notice or warning the statement reports (`crate::notice`).
    Warning,
    Notice,
}

/// An occam error: a SQLSTATE, a message and optional detail, hint and cursor position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: SqlState,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the statement text, as in PostgreSQL's ErrorResponse `P` field.
    pub position: Option<usize>,
    /// What few errors carry: where it happened ([`Error::context`]) and the objects it is about
    /// ([`Error::objects`]).
    pub context: Option<Box<ErrorContext>>,
    pub severity: Severity,
}

/// The database objects an integrity error names, as PostgreSQL reports them (`errtable`,
/// `errtablecol`, `errtableconstraint`): empty strings are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorObjects {
    pub schema: String,
    pub table: String,
    pub column: Option<String>,
    pub constraint: Option<String>,
}

/// What few errors carry, behind one pointer (`Error` is returned by value everywhere, so it stays small):
/// PostgreSQL's CONTEXT text (ErrorResponse `W`: `COPY t, line 2, column a: "x"`), and the schema, table,
/// column and constraint an integrity error is about (`s`, `t`, `c`, `n`), which drivers expose
/// (psycopg's `diag.constraint_name`, asyncpg's `constraint_name`, node-postgres' `err.constraint`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorContext {
    pub text: Option<String>,
    pub objects: Option<ErrorObjects>,
    /// What a 40001 at COMMIT lost to (see [`Conflict`]).
    pub conflict: Option<Conflict>,
}

/// What an OCC conflict at COMMIT collided with, as the transaction manager decided it: the storage key
/// (a table row, an index entry, or a catalog row for OC001), how the two transactions met, and when the
/// winner committed if that is still remembered. The session turns it into the 40001's DETAIL and the
/// contention view (`crate::conflicts`), where the catalog can name the table and decode the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub key: Vec<u8>,
    pub winner_committed: Option<std::time::Instant>,
}

/// How a losing transaction met the winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictKind {
    /// Both wrote the same key.
    WriteWrite,
    /// A row one of them locked `FOR UPDATE` (or `FOR NO KEY UPDATE`) the other wrote or locked.
    ForUpdate,
    /// A row one of them locked `FOR KEY SHARE` (a foreign key's parent) the other deleted or locked.
    ForKeyShare,
    /// A table's definition changed after the transaction's snapshot (OC001).
    Schema,
}

impl ConflictKind {
    /// The name DETAIL, `sys.occ_conflicts` and the metrics use.
    pub fn name(self) -> &'static str {
        match self {
            ConflictKind::WriteWrite => "write-write",
            ConflictKind::ForUpdate => "FOR UPDATE",
            ConflictKind::ForKeyShare => "FOR KEY SHARE",
            ConflictKind::Schema => "schema",
        }
    }

    /// DSQL's code in the message: OC001 for a schema change, OC000 for the rest.
    pub fn code(self) -> &'static str {
        match self {
            ConflictKind::Schema => "OC001",
            _ => "OC000",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: SqlState, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            context: None,
            severity: Severity::Error,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context.get_or_insert_with(Box::default).text = Some(context.into());
        self
    }

    /// Names the constraint of `schema.table` the error is about (PostgreSQL's `errtableconstraint`).
    pub fn with_constraint(self, schema: &str, table: &str, constraint: &str) -> Self {
        self.with_objects(schema, table, None, Some(constraint))
    }

    /// Names the column of `schema.table` the error is about (PostgreSQL's `errtablecol`).
    pub fn with_column(self, schema: &str, table: &str, column: &str) -> Self {
        self.with_objects(schema, table, Some(column), None)
    }

    fn with_objects(mut self, schema: &str, table: &str, column: Option<&str>, constraint: Option<&str>) -> Self {
        self.context.get_or_insert_with(Box::default).objects = Some(ErrorObjects {
            schema: schema.to_string(),
            table: table.to_string(),
            column: column.map(str::to_string),
            constraint: constraint.map(str::to_string),
        });
        self
    }

    /// The objects an integrity error is about, if any.
    pub fn objects(&self) -> Option<&ErrorObjects> {
        self.context.as_deref().and_then(|context| context.objects.as_ref())
    }

    /// Records what a conflict at COMMIT collided with.
    pub fn with_conflict(mut self, conflict: Conflict) -> Self {
        self.context.get_or_insert_with(Box::default).conflict = Some(conflict);
        self
    }

    /// What a 40001 at COMMIT collided with, if the transaction manager said.
    pub fn conflict(&self) -> Option<&Conflict> {
        self.context.as_deref().and_then(|context| context.conflict.as_ref())
    }

    /// The CONTEXT text, if any.
    pub fn context(&self) -> Option<&str> {
        self.context.as_deref().and_then(|context| context.text.as_deref())
    }

    pub fn with_position(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }

    pub fn fatal(mut self) -> Self {
        self.severity = Severity::Fatal;
        self
    }

    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(sqlstate::SYNTAX_ERROR, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
    }

    pub fn undefined_table(name: &str) -> Self {
        Self::new(sqlstate::UNDEFINED_TABLE, format!("relation \"{name}\" does not exist"))
    }

    pub fn undefined_column(name: &str) -> Self {
        Self::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist"))
    }

    pub fn datatype_mismatch(message: impl Into<String>) -> Self {
        Self::new(sqlstate::DATATYPE_MISMATCH, message)
    }

    pub fn invalid_text(type_name: &str, input: &str) -> Self {
        Self::new(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type {type_name}: \"{input}\""),
        )
    }

    pub fn out_of_range(message: impl Into<String>) -> Self {
        Self::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, message)
    }

    pub fn division_by_zero() -> Self {
        Self::new(sqlstate::DIVISION_BY_ZERO, "division by zero")
    }

    /// The OCC conflict raised at COMMIT (DSQL's `OC000`).
    pub fn serialization_failure() -> Self {
        Self::new(sqlstate::SERIALIZATION_FAILURE, "change conflicts with another transaction, please retry: (OC000)")
    }

    pub fn in_failed_transaction() -> Self {
        Self::new(
            sqlstate::IN_FAILED_SQL_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        )
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(sqlstate::PROTOCOL_VIOLATION, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(sqlstate::INTERNAL_ERROR, message)
    }

    pub fn io(err: impl fmt::Display) -> Self {
        Self::new(sqlstate::IO_ERROR, format!("storage I/O error: {err}"))
    }

    /// A write that found the disk full, worded as PostgreSQL's (SQLSTATE 53100).
    pub fn disk_full() -> Self {
        Self::new(sqlstate::DISK_FULL, "could not extend file: No space left on device")
    }

    /// An I/O error from storage: [`Error::disk_full`] for ENOSPC, else [`Error::io`].
    pub fn from_io(err: &std::io::Error) -> Self {
        if is_disk_full(err) {
            Self::disk_full()
        } else {
            Self::io(err)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

/// Whether an I/O error means the disk (or quota) is full.
pub fn is_disk_full(err: &std::io::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    err.kind() == std::io::ErrorKind::StorageFull || matches!(err.raw_os_error(), Some(ENOSPC | EDQUOT))
}

impl From<fjall::Error> for Error {
    fn from(err: fjall::Error) -> Self {
        match &err {
            fjall::Error::Io(io) | fjall::Error::Storage(fjall::LsmError::Io(io)) => Error::from_io(io),
            _ => Error::io(err),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::from_io(&err)
    }
}
