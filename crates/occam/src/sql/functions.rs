//! Scalar functions and aggregates: name resolution (with argument types) and evaluation.
//!
//! The planner resolves a call once ([`resolve_scalar`] / [`resolve_aggregate`]) into an id plus its
//! argument and result types; the executor then evaluates by id without looking at names again.
//!
//! Resolution mirrors what PostgreSQL's candidate selection picks for the types occam has: an untyped
//! (`unknown`) argument takes the type the function wants (or PostgreSQL's preferred type, float8, where
//! several numeric overloads exist), integers go to float8 for `round(x)`/`floor`/`ceil`, and a call
//! nothing matches is 42883 `function foo(integer) does not exist`, exactly as PostgreSQL words it.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use crate::types::numeric::Numeric;
use chrono::{DateTime, Timelike, Utc};

use crate::catalog::Catalog;
use crate::database::Database;
use crate::error::{sqlstate, Error, Result};
use crate::settings::{SessionSettings, Signal};
use crate::sql::execute::memory::{concat_bytes, requested_length_too_large, ValueLimit, MAX_VALUE_BYTES};
use crate::sql::scalar::{self, BinaryOp, BinarySignature};
use crate::types::interval::Interval;
use crate::types::zone::session_zone;
use crate::types::{text, ArrayElement, DataType, Value};

/// Per-statement context visible to functions (and to the system relations, `sql::system`).
#[derive(Clone, Default)]
pub struct FunctionContext {
    /// `now()` / `CURRENT_TIMESTAMP`: the start of the current transaction, as in PostgreSQL.
    pub transaction_timestamp: DateTime<Utc>,
    /// `statement_timestamp()` / `clock_timestamp()` base.
    pub statement_timestamp: DateTime<Utc>,
    /// The session's parameters, for `current_setting`, `set_config`, `current_schema` and
    /// `pg_backend_pid` (None where no session runs the statement, e.g. a background job).
    pub session: Option<SessionSettings>,
    /// Aurora DSQL has no advisory locks: the `pg_advisory_*` functions fail with 0A000.
    pub refuse_advisory_locks: bool,
    /// The catalog the statement was planned against: what `pg_catalog` shows and what `regclass` and the
    /// catalog functions (`pg_get_indexdef`, `format_type`, ...) look names up in.
    pub catalog: Arc<Catalog>,
    /// The database (row estimates, statistics, rules) where a session runs the statement.
    pub database: Option<Database>,
    /// Regular expressions compiled by this statement, by pattern and flags (`sql::regex`).
    pub regex_cache: crate::sql::regex::RegexCache,
    /// The running statement's cancel flag and deadline (`crate::interrupt`).
    pub interrupt: crate::interrupt::StatementInterrupt,
    /// The RETURNING rows of the statement's data-modifying WITH queries that have run, by work table id:
    /// every executor context of the statement starts with them as work tables (`CTE Scan`).
    pub with_results: Vec<(usize, Arc<Vec<crate::types::Row>>)>,
}

impl std::fmt::Debug for FunctionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionContext")
            .field("transaction_timestamp", &self.transaction_timestamp)
            .field("statement_timestamp", &self.statement_timestamp)
            .field("session", &self.session)
            .field("catalog_version", &self.catalog.version)
            .finish_non_exhaustive()
    }
}

/// A resolved scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarFunction {
    GenRandomUuid,
    Now,
    CurrentDate,
    LocalTimestamp,
    StatementTimestamp,
    ClockTimestamp,
    Abs,
    Lower,
    Upper,
    Length,
    Round,
    Floor,
    Ceil,
    Coalesce,
    NullIf,
    Greatest,
    Least,
    Concat,
    Substr,
    Trim,
    Replace,
    Mod,
    Version,
    /// `ltrim(s[, chars])` (`TRIM(LEADING ...)`).
    LTrim,
    /// `rtrim(s[, chars])` (`TRIM(TRAILING ...)`).
    RTrim,
    /// `strpos(s, sub)` (`POSITION(sub IN s)`).
    Strpos,
    /// `octet_length(s)`.
    OctetLength,
    /// `sqrt(x)`, float8 or numeric.
    Sqrt,
    /// `cbrt(x)`, float8 only.
    Cbrt,
    /// `power(a, b)` / `pow(a, b)`: the `^` operator as a function.
    Power,
    /// `trunc(x)` (float8 or numeric) and `trunc(x, places)` (numeric).
    Trunc,
    /// `exp(x)`.
    Exp,
    /// `ln(x)`.
    Ln,
    /// `log(x)` / `log10(x)`: base-10 logarithm.
    Log10,
    /// `log(base, x)`, numeric only.
    Log,
    /// `sign(x)`: -1, 0 or 1 in the argument's type.
    Sign,
    /// `scale(numeric)`: its display scale.
    Scale,
    /// `min_scale(numeric)`: the fraction digits it needs (trailing zeros dropped).
    MinScale,
    /// `trim_scale(numeric)`: the value without trailing fraction zeros.
    TrimScale,
    /// `div(numeric, numeric)`: the quotient truncated toward zero.
    Div,
    /// `factorial(bigint)`: numeric.
    Factorial,
    /// `gcd(a, b)` / `lcm(a, b)`: integer, bigint or numeric (numeric: at the larger scale).
    Gcd,
    Lcm,
    Pi,
    /// `random()`: uniform in [0, 1).
    Random,
    /// `initcap(s)`: first letter of each alphanumeric word upper case, the rest lower case.
    Initcap,
    /// `left(s, n)`: the first n characters (all but the last -n when n is negative).
    Left,
    /// `right(s, n)`: the last n characters (all but the first -n when n is negative).
    Right,
    /// `lpad(s, length[, fill])`.
    LPad,
    /// `rpad(s, length[, fill])`.
    RPad,
    Repeat,
    Reverse,
    /// `split_part(s, delimiter, n)` (negative n counts from the end).
    SplitPart,
    /// `concat_ws(separator, values...)`: NULL values skipped, NULL separator gives NULL.
    ConcatWs,
    /// `md5(text|bytea)`: the hex digest.
    Md5,
    StartsWith,
    /// `ascii(s)`: code point of the first character (0 for the empty string).
    Ascii,
    /// `chr(n)`: the character with code point n.
    Chr,
    /// `current_setting(name[, missing_ok])`.
    CurrentSetting,
    /// `set_config(name, value, is_local)`: SET (for the transaction only when `is_local`), returns the value.
    SetConfig,
    /// `pg_typeof(any)`: the argument's static type as a regtype (NULL arguments too).
    PgTypeof,
    /// `current_schema()`: the first existing schema of `search_path`.
    CurrentSchema,
    PgBackendPid,
    /// `pg_cancel_backend(pid)`: cancels the statement that backend is running (see `crate::interrupt`);
    /// whether `pid` is a live backend.
    CancelBackend,
    /// `pg_terminate_backend(pid[, timeout])`: ends that connection (FATAL 57P01), if it is a live backend.
    TerminateBackend,
    /// `pg_advisory_lock`, `pg_advisory_xact_lock` and their `_shared` forms, `pg_advisory_unlock_all()`:
    /// void. occam never blocks and takes no advisory lock (see docs/compatibility.md).
    AdvisoryLock,
    /// `pg_try_advisory_lock`, `pg_try_advisory_xact_lock`, `pg_advisory_unlock` and their `_shared`
    /// forms: true (acquired / released), without excluding anyone.
    AdvisoryLockResult,
    /// Array operators and functions (`sql::arrays`).
    Array(crate::sql::arrays::ArrayFunction),
    /// json and jsonb operators and functions (`sql::json`).
    Json(crate::sql::json::JsonFunction),
    /// Regular expressions (`sql::regex`).
    Regex(crate::sql::regex::RegexFunction),
    /// `format`, `encode` / `decode`, `quote_*`, SHA-2 digests (`sql::strings`).
    Strings(crate::sql::strings::StringFunction),
    /// Date/time functions (`sql::datetime`).
    DateTime(crate::sql::datetime::DateTimeFunction),
    /// Catalog functions (`sql::system::functions`).
    Catalog(crate::sql::system::functions::CatalogFunction),
    /// `nextval`, `currval`, `setval`, `lastval` (`crate::sequences`).
    Sequence(SequenceFunction),
}

/// The sequence functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceFunction {
    Next,
    Current,
    Set,
    Last,
}

/// A resolved call: the function, the types its arguments must be coerced to, and its result type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedScalar {
    pub function: ScalarFunction,
    pub arg_types: Vec<DataType>,
    pub result_type: DataType,
}

/// 42883 `function foo(integer, unknown) does not exist`, with PostgreSQL's hint.
pub fn function_does_not_exist(name: &str, arg_types: &[DataType]) -> Error {
    Error::new(sqlstate::UNDEFINED_FUNCTION, format!("function {name}({}) does not exist", type_list(arg_types)))
        .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

/// 42725 `function sum(unknown) is not unique`.
pub fn function_not_unique(name: &str, arg_types: &[DataType]) -> Error {
    Error::new("42725", format!("function {name}({}) is not unique", type_list(arg_types)))
        .with_hint("Could not choose a best candidate function. You might need to add explicit type casts.")
}

fn type_list(arg_types: &[DataType]) -> String {
    arg_types.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
}

fn is_stringish(t: &DataType) -> bool {
    t.is_string() || *t == DataType::Unknown
}

/// Strings are passed to text functions as `text` (char(n) loses its padding on the way, as in PostgreSQL).
fn text_arg(t: &DataType) -> Option<DataType> {
    is_stringish(t).then_some(DataType::Text)
}

/// An `integer` parameter accepts int2, int4 and untyped literals (int8 does not cast implicitly to int4).
fn int4_arg(t: &DataType) -> Option<DataType> {
    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown).then_some(DataType::Int4)
}

/// A `bigint` parameter accepts every integer type and untyped literals.
fn int8_arg(t: &DataType) -> Option<DataType> {
    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Unknown).then_some(DataType::Int8)
}

fn bool_arg(t: &DataType) -> bool {
    matches!(t, DataType::Bool | DataType::Unknown)
}

fn numeric_family(t: &DataType) -> bool {
    t.is_numeric_family()
}

/// The argument type of the float8/numeric overloads of round/floor/ceil: numeric stays numeric, anything
/// else numeric-like (integers, float4, unknown) resolves to float8 as PostgreSQL's preferred type.
fn float_or_numeric_arg(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Numeric(_) => Some(DataType::Numeric(None)),
        t if numeric_family(t) || *t == DataType::Unknown => Some(DataType::Float8),
        _ => None,
    }
}

/// The common type of all arguments (COALESCE/GREATEST/LEAST); 42804 when two do not match.
fn common_arg_type(label: &str, arg_types: &[DataType]) -> Result<DataType> {
    let mut common = DataType::Unknown;
    for t in arg_types {
        common = scalar::common_type(&common, t).ok_or_else(|| {
            Error::datatype_mismatch(format!("{label} types {} and {} cannot be matched", common.name(), t.name()))
        })?;
    }
    Ok(if common == DataType::Unknown { DataType::Text } else { common })
}

/// Resolves `name(args)` (lower-case name). 42883 `function foo(integer) does not exist` otherwise.
pub fn resolve_scalar(name: &str, arg_types: &[DataType]) -> Result<ResolvedScalar> {
    use ScalarFunction as F;
    let resolved =
        |function, args: Vec<DataType>, result| Ok(ResolvedScalar { function, arg_types: args, result_type: result });
    let not_found = || function_does_not_exist(name, arg_types);
    let args = arg_types;
    match (name, args.len()) {
        ("gen_random_uuid", 0) => resolved(F::GenRandomUuid, vec![], DataType::Uuid),
        ("now" | "current_timestamp" | "transaction_timestamp", 0) => resolved(F::Now, vec![], DataType::Timestamptz),
        ("current_date", 0) => resolved(F::CurrentDate, vec![], DataType::Date),
        ("localtimestamp", 0) => resolved(F::LocalTimestamp, vec![], DataType::Timestamp),
        ("statement_timestamp", 0) => resolved(F::StatementTimestamp, vec![], DataType::Timestamptz),
        ("clock_timestamp", 0) => resolved(F::ClockTimestamp, vec![], DataType::Timestamptz),
        ("version", 0) => resolved(F::Version, vec![], DataType::Text),
        ("current_setting", 1) => {
            resolved(F::CurrentSetting, vec![text_arg(&args[0]).ok_or_else(not_found)?], DataType::Text)
        }
        ("current_setting", 2) if bool_arg(&args[1]) => {
            resolved(F::CurrentSetting, vec![text_arg(&args[0]).ok_or_else(not_found)?, DataType::Bool], DataType::Text)
        }
        ("set_config", 3) if bool_arg(&args[2]) => {
            let name = text_arg(&args[0]).ok_or_else(not_found)?;
            let value = text_arg(&args[1]).ok_or_else(not_found)?;
            resolved(F::SetConfig, vec![name, value, DataType::Bool], DataType::Text)
        }
        ("current_schema", 0) => resolved(F::CurrentSchema, vec![], DataType::Text),
        ("pg_typeof", 1) => resolved(F::PgTypeof, vec![args[0]], DataType::Reg(crate::types::RegKind::Type)),
        ("pg_backend_pid", 0) => resolved(F::PgBackendPid, vec![], DataType::Int4),
        ("pg_cancel_backend", 1) => {
            resolved(F::CancelBackend, vec![int4_arg(&args[0]).ok_or_else(not_found)?], DataType::Bool)
        }
        ("pg_terminate_backend", 1) => {
            resolved(F::TerminateBackend, vec![int4_arg(&args[0]).ok_or_else(not_found)?], DataType::Bool)
        }
        ("pg_terminate_backend", 2) => {
            let pid = int4_arg(&args[0]).ok_or_else(not_found)?;
            let timeout = int8_arg(&args[1]).ok_or_else(not_found)?;
            resolved(F::TerminateBackend, vec![pid, timeout], DataType::Bool)
        }
        ("pg_advisory_unlock_all", 0) => resolved(F::AdvisoryLock, vec![], DataType::Text),
        (
            "pg_advisory_lock"
            | "pg_advisory_lock_shared"
            | "pg_advisory_xact_lock"
            | "pg_advisory_xact_lock_shared"
            | "pg_try_advisory_lock"
            | "pg_try_advisory_lock_shared"
            | "pg_try_advisory_xact_lock"
            | "pg_try_advisory_xact_lock_shared"
            | "pg_advisory_unlock"
            | "pg_advisory_unlock_shared",
            1 | 2,
        ) => {
            let function = if name.starts_with("pg_try_") || name.starts_with("pg_advisory_unlock") {
                (F::AdvisoryLockResult, DataType::Bool)
            } else {
                (F::AdvisoryLock, DataType::Text)
            };
            // One bigint key, or two integer keys.
            let keys = match args {
                [key] => vec![int8_arg(key).ok_or_else(not_found)?],
                [high, low] => vec![int4_arg(high).ok_or_else(not_found)?, int4_arg(low).ok_or_else(not_found)?],
                _ => return Err(not_found()),
            };
            resolved(function.0, keys, function.1)
        }
        ("abs", 1) => {
            let t = match args[0] {
                DataType::Unknown => DataType::Float8,
                DataType::Numeric(_) => DataType::Numeric(None),
                t if numeric_family(&t) => t,
                _ => return Err(not_found()),
            };
            resolved(F::Abs, vec![t], t)
        }
        ("lower" | "upper", 1) => {
            let t = text_arg(&args[0]).ok_or_else(not_found)?;
            resolved(if name == "lower" { F::Lower } else { F::Upper }, vec![t], DataType::Text)
        }
        ("length" | "char_length" | "character_length" | "octet_length", 1) => {
            let function = if name == "octet_length" { F::OctetLength } else { F::Length };
            match args[0] {
                DataType::Bytea if name != "char_length" && name != "character_length" => {
                    resolved(function, vec![DataType::Bytea], DataType::Int4)
                }
                t => resolved(function, vec![text_arg(&t).ok_or_else(not_found)?], DataType::Int4),
            }
        }
        ("round" | "floor" | "ceil" | "ceiling", 1) => {
            let t = float_or_numeric_arg(&args[0]).ok_or_else(not_found)?;
            let function = match name {
                "round" => F::Round,
                "floor" => F::Floor,
                _ => F::Ceil,
            };
            resolved(function, vec![t], t)
        }
        ("round", 2) => {
            let numeric_like = args[0].is_integer() || matches!(args[0], DataType::Numeric(_) | DataType::Unknown);
            let places = int4_arg(&args[1]);
            match (numeric_like, places) {
                (true, Some(places)) => {
                    resolved(F::Round, vec![DataType::Numeric(None), places], DataType::Numeric(None))
                }
                _ => Err(not_found()),
            }
        }
        ("coalesce" | "greatest" | "least", n) if n > 0 => {
            let label = name.to_ascii_uppercase();
            let common = common_arg_type(&label, args)?;
            let function = match name {
                "coalesce" => F::Coalesce,
                "greatest" => F::Greatest,
                _ => F::Least,
            };
            resolved(function, vec![common; n], common)
        }
        ("nullif", 2) => {
            let strip = |t: DataType| if matches!(t, DataType::Char(_)) { DataType::Text } else { t };
            let (a, b) = (strip(args[0]), strip(args[1]));
            let a = if a == DataType::Unknown {
                if b == DataType::Unknown {
                    DataType::Text
                } else {
                    b
                }
            } else {
                a
            };
            let b = if b == DataType::Unknown { a } else { b };
            // The comparison must exist (42883 `operator does not exist: integer = boolean` otherwise).
            scalar::binary_signature(BinaryOp::Eq, &a, &b)?;
            resolved(F::NullIf, vec![a, b], a)
        }
        ("concat", n) if n > 0 => {
            let types = args.iter().map(|t| if *t == DataType::Unknown { DataType::Text } else { *t }).collect();
            resolved(F::Concat, types, DataType::Text)
        }
        ("substr" | "substring", 2 | 3) => {
            let first = match args[0] {
                DataType::Bytea => DataType::Bytea,
                t => text_arg(&t).ok_or_else(not_found)?,
            };
            let mut types = vec![first];
            for t in &args[1..] {
                types.push(int4_arg(t).ok_or_else(not_found)?);
            }
            resolved(F::Substr, types, first)
        }
        ("btrim" | "trim" | "ltrim" | "rtrim", 1 | 2) => {
            let types = args.iter().map(text_arg).collect::<Option<Vec<_>>>().ok_or_else(not_found)?;
            let function = match name {
                "ltrim" => F::LTrim,
                "rtrim" => F::RTrim,
                _ => F::Trim,
            };
            resolved(function, types, DataType::Text)
        }
        ("replace", 3) => {
            let types = args.iter().map(text_arg).collect::<Option<Vec<_>>>().ok_or_else(not_found)?;
            resolved(F::Replace, types, DataType::Text)
        }
        ("strpos" | "position", 2) => {
            let types = args.iter().map(text_arg).collect::<Option<Vec<_>>>().ok_or_else(not_found)?;
            resolved(F::Strpos, types, DataType::Int4)
        }
        ("mod", 2) => {
            if args[0] == DataType::Unknown && args[1] == DataType::Unknown {
                return Err(function_not_unique(name, args));
            }
            let integer_or_numeric =
                |t: &DataType| t.is_integer() || matches!(t, DataType::Numeric(_) | DataType::Unknown);
            if !integer_or_numeric(&args[0]) || !integer_or_numeric(&args[1]) {
                return Err(not_found());
            }
            let sig = scalar::binary_signature(BinaryOp::Mod, &args[0], &args[1]).map_err(|_| not_found())?;
            resolved(F::Mod, vec![sig.left, sig.right], sig.result)
        }
        ("sqrt" | "exp" | "ln" | "log" | "log10" | "sign", 1) => {
            let t = float_or_numeric_arg(&args[0]).ok_or_else(not_found)?;
            let function = match name {
                "sqrt" => F::Sqrt,
                "exp" => F::Exp,
                "ln" => F::Ln,
                "sign" => F::Sign,
                _ => F::Log10,
            };
            resolved(function, vec![t], t)
        }
        ("scale" | "min_scale" | "trim_scale", 1) => {
            if !(numeric_family(&args[0]) || args[0] == DataType::Unknown) {
                return Err(not_found());
            }
            let (function, result) = match name {
                "scale" => (F::Scale, DataType::Int4),
                "min_scale" => (F::MinScale, DataType::Int4),
                _ => (F::TrimScale, DataType::Numeric(None)),
            };
            resolved(function, vec![DataType::Numeric(None)], result)
        }
        ("div", 2) => {
            if !args.iter().all(|t| numeric_family(t) || *t == DataType::Unknown) {
                return Err(not_found());
            }
            let numeric = DataType::Numeric(None);
            resolved(F::Div, vec![numeric, numeric], numeric)
        }
        ("gcd" | "lcm", 2) => {
            // PostgreSQL has integer, bigint and numeric versions: the arguments' common type picks one.
            let family = |t: &DataType| t.is_integer() || matches!(t, DataType::Numeric(_) | DataType::Unknown);
            if !family(&args[0]) || !family(&args[1]) {
                return Err(not_found());
            }
            // Only int2 or unknown arguments fit the three versions equally well.
            if args.iter().all(|t| matches!(t, DataType::Int2 | DataType::Unknown)) {
                return Err(function_not_unique(name, args));
            }
            let sig = scalar::binary_signature(BinaryOp::Mod, &args[0], &args[1]).map_err(|_| not_found())?;
            let function = if name == "gcd" { F::Gcd } else { F::Lcm };
            resolved(function, vec![sig.result, sig.result], sig.result)
        }
        ("factorial", 1) => {
            let t = int8_arg(&args[0]).ok_or_else(not_found)?;
            resolved(F::Factorial, vec![t], DataType::Numeric(None))
        }
        ("cbrt", 1) => {
            if !(numeric_family(&args[0]) || args[0] == DataType::Unknown) {
                return Err(not_found());
            }
            resolved(F::Cbrt, vec![DataType::Float8], DataType::Float8)
        }
        ("trunc", 1) => {
            // trunc also has macaddr overloads, so an untyped literal matches none best.
            if args[0] == DataType::Unknown {
                return Err(function_not_unique(name, args));
            }
            let t = float_or_numeric_arg(&args[0]).ok_or_else(not_found)?;
            resolved(F::Trunc, vec![t], t)
        }
        ("trunc", 2) => {
            let numeric_like = args[0].is_integer() || matches!(args[0], DataType::Numeric(_) | DataType::Unknown);
            match (numeric_like, int4_arg(&args[1])) {
                (true, Some(places)) => {
                    resolved(F::Trunc, vec![DataType::Numeric(None), places], DataType::Numeric(None))
                }
                _ => Err(not_found()),
            }
        }
        ("power" | "pow", 2) => {
            let t = scalar::power_operand_type(&args[0], &args[1]).ok_or_else(not_found)?;
            resolved(F::Power, vec![t, t], t)
        }
        ("log", 2) => {
            let integer_or_numeric =
                |t: &DataType| t.is_integer() || matches!(t, DataType::Numeric(_) | DataType::Unknown);
            if !integer_or_numeric(&args[0]) || !integer_or_numeric(&args[1]) {
                return Err(not_found());
            }
            let numeric = DataType::Numeric(None);
            resolved(F::Log, vec![numeric, numeric], numeric)
        }
        ("pi", 0) => resolved(F::Pi, vec![], DataType::Float8),
        ("random", 0) => resolved(F::Random, vec![], DataType::Float8),
        ("nextval" | "currval", 1) => {
            let function = if name == "nextval" { SequenceFunction::Next } else { SequenceFunction::Current };
            let class = crate::sql::system::functions::class_arg(&args[0]).ok_or_else(not_found)?;
            resolved(F::Sequence(function), vec![class], DataType::Int8)
        }
        ("setval", 2 | 3) => {
            let mut types = vec![
                crate::sql::system::functions::class_arg(&args[0]).ok_or_else(not_found)?,
                int8_arg(&args[1]).ok_or_else(not_found)?,
            ];
            if let Some(is_called) = args.get(2) {
                types.push(bool_arg(is_called).then_some(DataType::Bool).ok_or_else(not_found)?);
            }
            resolved(F::Sequence(SequenceFunction::Set), types, DataType::Int8)
        }
        ("lastval", 0) => resolved(F::Sequence(SequenceFunction::Last), vec![], DataType::Int8),
        ("initcap" | "reverse", 1) => {
            let t = text_arg(&args[0]).ok_or_else(not_found)?;
            resolved(if name == "initcap" { F::Initcap } else { F::Reverse }, vec![t], DataType::Text)
        }
        ("left" | "right" | "repeat", 2) => {
            let types = vec![text_arg(&args[0]).ok_or_else(not_found)?, int4_arg(&args[1]).ok_or_else(not_found)?];
            let function = match name {
                "left" => F::Left,
                "right" => F::Right,
                _ => F::Repeat,
            };
            resolved(function, types, DataType::Text)
        }
        ("lpad" | "rpad", 2 | 3) => {
            let mut types = vec![text_arg(&args[0]).ok_or_else(not_found)?, int4_arg(&args[1]).ok_or_else(not_found)?];
            if let Some(fill) = args.get(2) {
                types.push(text_arg(fill).ok_or_else(not_found)?);
            }
            resolved(if name == "lpad" { F::LPad } else { F::RPad }, types, DataType::Text)
        }
        ("split_part", 3) => {
            let types = vec![
                text_arg(&args[0]).ok_or_else(not_found)?,
                text_arg(&args[1]).ok_or_else(not_found)?,
                int4_arg(&args[2]).ok_or_else(not_found)?,
            ];
            resolved(F::SplitPart, types, DataType::Text)
        }
        ("concat_ws", n) if n >= 2 => {
            let mut types = vec![text_arg(&args[0]).ok_or_else(not_found)?];
            types.extend(args[1..].iter().map(|t| if *t == DataType::Unknown { DataType::Text } else { *t }));
            resolved(F::ConcatWs, types, DataType::Text)
        }
        ("md5", 1) => {
            let t =
                if args[0] == DataType::Bytea { DataType::Bytea } else { text_arg(&args[0]).ok_or_else(not_found)? };
            resolved(F::Md5, vec![t], DataType::Text)
        }
        ("starts_with", 2) => {
            let types = args.iter().map(text_arg).collect::<Option<Vec<_>>>().ok_or_else(not_found)?;
            resolved(F::StartsWith, types, DataType::Bool)
        }
        ("ascii", 1) => resolved(F::Ascii, vec![text_arg(&args[0]).ok_or_else(not_found)?], DataType::Int4),
        ("chr", 1) => resolved(F::Chr, vec![int4_arg(&args[0]).ok_or_else(not_found)?], DataType::Text),
        _ => crate::sql::arrays::resolve(name, args)
            .or_else(|| crate::sql::json::resolve(name, args))
            .or_else(|| crate::sql::regex::resolve(name, args))
            .or_else(|| crate::sql::strings::resolve(name, args))
            .or_else(|| crate::sql::datetime::resolve(name, args))
            .or_else(|| crate::sql::system::functions::resolve(name, args))
            .unwrap_or_else(|| Err(not_found())),
    }
}

/// Truncates a timestamp to microseconds, PostgreSQL's resolution.
fn micros_precision(ts: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = ts.timestamp_subsec_nanos();
    ts.with_nanosecond(nanos - nanos % 1000).unwrap_or(ts)
}

fn expect_text(value: &Value) -> Result<&str> {
    match value {
        Value::Text(s) => Ok(s),
        other => Err(Error::internal(format!("expected a text argument, got {other:?}"))),
    }
}

fn expect_int(value: &Value) -> Result<i64> {
    match value {
        Value::Int(i) => Ok(*i),
        other => Err(Error::internal(format!("expected an integer argument, got {other:?}"))),
    }
}

/// `nextval`, `currval`, `setval`, `lastval`: the counters are the database's, `currval` the session's.
fn invoke_sequence(function: SequenceFunction, args: &[Value], ctx: &FunctionContext) -> Result<Value> {
    let session = session(ctx)?;
    if function == SequenceFunction::Last {
        return Ok(Value::Int(session.sequence_values().last(&ctx.catalog)?));
    }
    let oid = match args[0] {
        Value::Int(oid) => oid as u32,
        _ => return Ok(Value::Null),
    };
    let sequence = match crate::sql::system::oids::class(oid) {
        crate::sql::system::oids::ClassOid::Table(id) => ctx.catalog.sequences().find(|s| s.id == id).cloned(),
        _ => None,
    };
    let Some(sequence) = sequence else {
        let search_path = crate::catalog::schemas::search_path();
        let name = crate::sql::system::names::reg_output(&ctx.catalog, &search_path, crate::types::RegKind::Class, oid);
        return Err(if name == oid.to_string() {
            Error::new(sqlstate::UNDEFINED_TABLE, format!("could not open relation with OID {oid}"))
        } else {
            Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{name}\" is not a sequence"))
        });
    };
    let database = ctx.database.as_ref().ok_or_else(|| Error::unsupported("sequences are not available here"))?;
    let storage = database.txn_manager().storage().as_ref();
    let value = match function {
        SequenceFunction::Next => database.sequences().next(storage, &sequence)?,
        SequenceFunction::Current => return Ok(Value::Int(session.sequence_values().current(&sequence)?)),
        SequenceFunction::Set => {
            let (Value::Int(value), is_called) = (&args[1], !matches!(args.get(2), Some(Value::Bool(false)))) else {
                return Ok(Value::Null);
            };
            database.sequences().set(storage, &sequence, *value, is_called)?;
            if !is_called {
                return Ok(Value::Int(*value));
            }
            *value
        }
        SequenceFunction::Last => unreachable!("handled above"),
    };
    session.sequence_values().record(sequence.id, value);
    Ok(Value::Int(value))
}

fn session(ctx: &FunctionContext) -> Result<&SessionSettings> {
    ctx.session.as_ref().ok_or_else(|| Error::unsupported("session functions are not available here"))
}

/// Evaluates a resolved scalar function on arguments already coerced to `resolved.arg_types`. A function
/// that builds a larger value than its arguments checks its size against `limit` before allocating it.
pub fn invoke_scalar(
    resolved: &ResolvedScalar,
    args: &[Value],
    ctx: &FunctionContext,
    limit: ValueLimit,
) -> Result<Value> {
    use ScalarFunction as F;
    // Functions with special NULL handling first; every other function is strict (NULL in, NULL out).
    match resolved.function {
        F::Array(function) => return crate::sql::arrays::invoke(function, resolved, args),
        F::Json(function) => return crate::sql::json::invoke(function, resolved, args),
        F::Regex(function) => return crate::sql::regex::invoke(function, args, ctx),
        F::Strings(function) => return crate::sql::strings::invoke(function, resolved, args),
        F::DateTime(function) => {
            return crate::sql::datetime::invoke(function, resolved, args, ctx.transaction_timestamp)
        }
        F::Catalog(function) => return crate::sql::system::functions::invoke(function, args, ctx),
        F::PgTypeof => return Ok(Value::Int(resolved.arg_types[0].oid() as i64)),
        F::Coalesce => return Ok(args.iter().find(|v| !v.is_null()).cloned().unwrap_or(Value::Null)),
        F::Greatest | F::Least => {
            let mut best: Option<&Value> = None;
            for value in args.iter().filter(|v| !v.is_null()) {
                best = match best {
                    None => Some(value),
                    Some(current) => {
                        let ordering = scalar::compare(value, current).unwrap_or(Ordering::Equal);
                        let better = if resolved.function == F::Greatest {
                            ordering == Ordering::Greater
                        } else {
                            ordering == Ordering::Less
                        };
                        Some(if better { value } else { current })
                    }
                };
            }
            return Ok(best.cloned().unwrap_or(Value::Null));
        }
        F::NullIf => {
            let (a, b) = (&args[0], &args[1]);
            if !a.is_null() && !b.is_null() && scalar::compare(a, b) == Some(Ordering::Equal) {
                return Ok(Value::Null);
            }
            return Ok(a.clone());
        }
        F::Concat => {
            string_buffer_check(args.iter().map(concat_bytes), limit)?;
            let mut out = String::new();
            for (value, data_type) in args.iter().zip(&resolved.arg_types) {
                match value {
                    Value::Null => {}
                    Value::Text(s) if !matches!(data_type, DataType::Char(_)) => out.push_str(s),
                    other => out.push_str(&text::format(other, data_type)),
                }
            }
            return Ok(Value::Text(out));
        }
        F::ConcatWs => {
            let separator = match &args[0] {
                Value::Null => return Ok(Value::Null),
                other => expect_text(other)?,
            };
            let parts_bytes = args[1..].iter().filter(|v| !v.is_null()).map(concat_bytes);
            string_buffer_check(parts_bytes.flat_map(|bytes| [separator.len(), bytes]).skip(1), limit)?;
            let mut parts = Vec::new();
            for (value, data_type) in args[1..].iter().zip(&resolved.arg_types[1..]) {
                match value {
                    Value::Null => {}
                    Value::Text(s) if !matches!(data_type, DataType::Char(_)) => parts.push(s.clone()),
                    other => parts.push(text::format(other, data_type)),
                }
            }
            return Ok(Value::Text(parts.join(separator)));
        }
        F::Random => return Ok(Value::Float(rand::random::<f64>())),
        F::Sequence(function) => return invoke_sequence(function, args, ctx),
        F::AdvisoryLock | F::AdvisoryLockResult if ctx.refuse_advisory_locks => {
            return Err(Error::unsupported("advisory locks are not supported"));
        }
        F::AdvisoryLock => return Ok(Value::Text(String::new())),
        F::CurrentSchema => {
            let path = ctx.catalog.existing_schemas(&session(ctx)?.search_path());
            return Ok(path.into_iter().next().map(Value::Text).unwrap_or(Value::Null));
        }
        F::CurrentSetting => {
            let Value::Text(name) = &args[0] else { return Ok(Value::Null) };
            let missing_ok = matches!(args.get(1), Some(Value::Bool(true)));
            return match session(ctx)?.get(name) {
                Some(value) => Ok(Value::Text(value)),
                None if missing_ok => Ok(Value::Null),
                None => Err(Error::new(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("unrecognized configuration parameter \"{name}\""),
                )),
            };
        }
        F::SetConfig => {
            let Value::Text(name) = &args[0] else {
                return Err(Error::new("22004", "SET requires parameter name"));
            };
            let session = session(ctx)?;
            // A NULL value resets the parameter, as in PostgreSQL.
            let value = match &args[1] {
                Value::Text(value) => value.as_str(),
                _ => "default",
            };
            session.set(name, value, matches!(args[2], Value::Bool(true)))?;
            return Ok(session.get(name).map(Value::Text).unwrap_or(Value::Null));
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match resolved.function {
        F::GenRandomUuid => Value::Uuid(uuid::Uuid::new_v4()),
        F::PgBackendPid => Value::Int(i64::from(session(ctx)?.backend_pid())),
        F::CancelBackend | F::TerminateBackend => {
            let signal = if resolved.function == F::CancelBackend { Signal::Cancel } else { Signal::Terminate };
            match i32::try_from(expect_int(&args[0])?) {
                Ok(pid) => Value::Bool(session(ctx)?.signal_backend(pid, signal)?),
                Err(_) => Value::Bool(false),
            }
        }
        F::AdvisoryLockResult => Value::Bool(true),
        F::Now => Value::Timestamptz(micros_precision(ctx.transaction_timestamp)),
        // The transaction's start as a wall-clock time in the session zone.
        F::CurrentDate => Value::Date(session_zone().local(&ctx.transaction_timestamp.naive_utc()).date()),
        F::LocalTimestamp => {
            Value::Timestamp(session_zone().local(&micros_precision(ctx.transaction_timestamp).naive_utc()))
        }
        F::StatementTimestamp => Value::Timestamptz(micros_precision(ctx.statement_timestamp)),
        F::ClockTimestamp => Value::Timestamptz(micros_precision(Utc::now())),
        F::Version => {
            let version = ctx.session.as_ref().and_then(|s| s.get("server_version"));
            match version {
                // DSQL's answer; postgres mode names the PostgreSQL it reports.
                Some(v) if v != crate::wire::SERVER_VERSION => Value::Text(format!("PostgreSQL {v}")),
                _ => Value::Text("PostgreSQL 16".to_string()),
            }
        }
        F::Abs => match &args[0] {
            Value::Int(i) => {
                let (_, max) = text::integer_range(&resolved.result_type);
                match i.checked_abs() {
                    Some(a) if a <= max => Value::Int(a),
                    _ => return scalar::negate(&Value::Int(i64::MIN), &resolved.result_type),
                }
            }
            Value::Float(f) => Value::Float(f.abs()),
            Value::Numeric(d) => Value::Numeric(d.abs()),
            other => return Err(Error::internal(format!("abs of {other:?}"))),
        },
        F::Lower => Value::Text(expect_text(&args[0])?.to_lowercase()),
        F::Upper => Value::Text(expect_text(&args[0])?.to_uppercase()),
        F::Length => match &args[0] {
            Value::Bytea(bytes) => Value::Int(bytes.len() as i64),
            other => Value::Int(expect_text(other)?.chars().count() as i64),
        },
        F::OctetLength => match &args[0] {
            Value::Bytea(bytes) => Value::Int(bytes.len() as i64),
            other => Value::Int(expect_text(other)?.len() as i64),
        },
        F::Round => match (&args[0], args.get(1)) {
            (Value::Float(f), None) => Value::Float(f.round_ties_even()),
            (Value::Numeric(d), None) => Value::Numeric(d.round(0)),
            (Value::Numeric(d), Some(places)) => Value::Numeric(d.round(expect_int(places)?)),
            (Value::Int(i), Some(places)) => Value::Numeric(Numeric::from_i64(*i).round(expect_int(places)?)),
            (other, _) => return Err(Error::internal(format!("round of {other:?}"))),
        },
        F::Floor | F::Ceil => {
            let ceil = resolved.function == F::Ceil;
            match &args[0] {
                Value::Float(f) => Value::Float(if ceil { f.ceil() } else { f.floor() }),
                Value::Numeric(d) => Value::Numeric(if ceil { d.ceil() } else { d.floor() }),
                Value::Int(i) => Value::Int(*i),
                other => return Err(Error::internal(format!("floor/ceil of {other:?}"))),
            }
        }
        F::Substr => {
            let start = expect_int(&args[1])?;
            let length = args.get(2).map(expect_int).transpose()?;
            match &args[0] {
                Value::Bytea(bytes) => {
                    let (from, to) = substring_bounds(start, length, bytes.len())?;
                    Value::Bytea(bytes[from..to].to_vec())
                }
                other => {
                    let chars: Vec<char> = expect_text(other)?.chars().collect();
                    let (from, to) = substring_bounds(start, length, chars.len())?;
                    Value::Text(chars[from..to].iter().collect())
                }
            }
        }
        F::Trim | F::LTrim | F::RTrim => {
            let subject = expect_text(&args[0])?;
            let set: Vec<char> = match args.get(1) {
                Some(chars) => expect_text(chars)?.chars().collect(),
                None => vec![' '],
            };
            let trimmed = match resolved.function {
                F::LTrim => subject.trim_start_matches(|c| set.contains(&c)),
                F::RTrim => subject.trim_end_matches(|c| set.contains(&c)),
                _ => subject.trim_matches(|c| set.contains(&c)),
            };
            Value::Text(trimmed.to_string())
        }
        F::Replace => {
            let (subject, from, to) = (expect_text(&args[0])?, expect_text(&args[1])?, expect_text(&args[2])?);
            if from.is_empty() {
                Value::Text(subject.to_string())
            } else {
                if to.len() > from.len() {
                    let growth = subject.matches(from).count().saturating_mul(to.len() - from.len());
                    limit.check(subject.len().saturating_add(growth), || {
                        alloc_request_too_large(subject.len() + growth)
                    })?;
                }
                Value::Text(subject.replace(from, to))
            }
        }
        F::Strpos => {
            let (subject, needle) = (expect_text(&args[0])?, expect_text(&args[1])?);
            match subject.find(needle) {
                Some(byte_index) => Value::Int(subject[..byte_index].chars().count() as i64 + 1),
                None => Value::Int(0),
            }
        }
        F::Mod => {
            let sig = BinarySignature {
                left: resolved.arg_types[0],
                right: resolved.arg_types[1],
                result: resolved.result_type,
            };
            scalar::eval_binary(BinaryOp::Mod, &args[0], &args[1], &sig)?
        }
        F::Sqrt => match &args[0] {
            Value::Numeric(d) => Value::Numeric(scalar::numeric_sqrt(d.clone())?),
            other => Value::Float(scalar::float_sqrt(expect_float(other)?)?),
        },
        F::Cbrt => Value::Float(scalar::float_cbrt(expect_float(&args[0])?)?),
        F::Scale => Value::Int(expect_numeric(&args[0])?.scale() as i64),
        F::MinScale => Value::Int(expect_numeric(&args[0])?.min_scale() as i64),
        F::TrimScale => Value::Numeric(expect_numeric(&args[0])?.trimmed()),
        F::Div => Value::Numeric(expect_numeric(&args[0])?.div_trunc(&expect_numeric(&args[1])?, 0)?),
        F::Factorial => Value::Numeric(scalar::numeric_factorial(expect_int(&args[0])?)?),
        F::Gcd | F::Lcm => scalar::gcd_or_lcm(resolved.function == F::Lcm, &args[0], &args[1], &resolved.result_type)?,
        F::Exp => match &args[0] {
            Value::Numeric(d) => Value::Numeric(scalar::numeric_exp(d.clone())?),
            other => Value::Float(scalar::float_exp(expect_float(other)?)?),
        },
        F::Ln => match &args[0] {
            Value::Numeric(d) => Value::Numeric(scalar::numeric_ln(d.clone())?),
            other => Value::Float(scalar::float_ln(expect_float(other)?)?),
        },
        F::Log10 => match &args[0] {
            Value::Numeric(d) => Value::Numeric(scalar::numeric_log(Numeric::from_i64(10), d.clone())?),
            other => Value::Float(scalar::float_log10(expect_float(other)?)?),
        },
        F::Log => Value::Numeric(scalar::numeric_log(expect_numeric(&args[0])?, expect_numeric(&args[1])?)?),
        F::Power => {
            let sig = BinarySignature {
                left: resolved.arg_types[0],
                right: resolved.arg_types[1],
                result: resolved.result_type,
            };
            scalar::eval_binary(BinaryOp::Pow, &args[0], &args[1], &sig)?
        }
        F::Trunc => match (&args[0], args.get(1)) {
            (Value::Float(f), None) => Value::Float(f.trunc()),
            (Value::Numeric(d), places) => {
                let places = places.map(expect_int).transpose()?.unwrap_or(0);
                Value::Numeric(d.trunc(places))
            }
            (Value::Int(i), Some(places)) => Value::Numeric(Numeric::from_i64(*i).trunc(expect_int(places)?)),
            (other, _) => return Err(Error::internal(format!("trunc of {other:?}"))),
        },
        F::Sign => match &args[0] {
            Value::Numeric(d) => Value::Numeric(Numeric::from_i64(d.signum() as i64)),
            other => {
                let f = expect_float(other)?;
                Value::Float(if f > 0.0 {
                    1.0
                } else if f < 0.0 {
                    -1.0
                } else {
                    0.0
                })
            }
        },
        F::Pi => Value::Float(std::f64::consts::PI),
        F::Initcap => Value::Text(initcap(expect_text(&args[0])?)),
        F::Reverse => Value::Text(expect_text(&args[0])?.chars().rev().collect()),
        F::Left | F::Right => {
            let chars: Vec<char> = expect_text(&args[0])?.chars().collect();
            let n = expect_int(&args[1])?;
            let len = chars.len() as i64;
            // A negative count means "all but |n|" from the other end.
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            let picked = if resolved.function == F::Left { &chars[..keep] } else { &chars[chars.len() - keep..] };
            Value::Text(picked.iter().collect())
        }
        F::LPad | F::RPad => {
            let subject = expect_text(&args[0])?;
            let length = expect_int(&args[1])?;
            let fill = match args.get(2) {
                Some(fill) => expect_text(fill)?,
                None => " ",
            };
            Value::Text(pad(subject, length, fill, resolved.function == F::LPad, limit)?)
        }
        F::Repeat => {
            let subject = expect_text(&args[0])?;
            let count = expect_int(&args[1])?.max(0) as usize;
            limit.check(subject.len().saturating_mul(count), requested_length_too_large)?;
            Value::Text(subject.repeat(count))
        }
        F::SplitPart => {
            let (subject, delimiter) = (expect_text(&args[0])?, expect_text(&args[1])?);
            Value::Text(split_part(subject, delimiter, expect_int(&args[2])?)?)
        }
        F::Md5 => {
            let digest = match &args[0] {
                Value::Bytea(bytes) => md5_digest(bytes),
                other => md5_digest(expect_text(other)?.as_bytes()),
            };
            Value::Text(digest.iter().map(|b| format!("{b:02x}")).collect())
        }
        F::StartsWith => Value::Bool(expect_text(&args[0])?.starts_with(expect_text(&args[1])?)),
        F::Ascii => Value::Int(expect_text(&args[0])?.chars().next().map_or(0, |c| c as i64)),
        F::Chr => Value::Text(chr(expect_int(&args[0])?)?.to_string()),
        F::Coalesce
        | F::Greatest
        | F::Least
        | F::NullIf
        | F::Concat
        | F::ConcatWs
        | F::Random
        | F::AdvisoryLock
        | F::CurrentSchema
        | F::PgTypeof
        | F::CurrentSetting
        | F::SetConfig
        | F::Array(_)
        | F::Regex(_)
        | F::Strings(_)
        | F::DateTime(_)
        | F::Json(_)
        | F::Catalog(_)
        | F::Sequence(_) => {
            unreachable!("handled above")
        }
    })
}

/// Checks the value a StringInfo-built result (`concat`, `concat_ws`) would make from parts of these sizes:
/// PostgreSQL fails as soon as its buffer would pass 1 GB, with `54000 out of memory` and the sizes.
fn string_buffer_check(parts: impl Iterator<Item = usize>, limit: ValueLimit) -> Result<()> {
    let mut total = 0usize;
    for part in parts {
        if total.saturating_add(part) >= MAX_VALUE_BYTES {
            return Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "out of memory")
                .with_detail(format!("Cannot enlarge string buffer containing {total} bytes by {part} more bytes.")));
        }
        total += part;
    }
    limit.check(total, requested_length_too_large)
}

/// PostgreSQL's words when a result (`||`, `replace`) would pass 1 GB (its `palloc` limit; PostgreSQL
/// reports it as XX000, occam as 54000 like the other value limits).
pub fn alloc_request_too_large(bytes: usize) -> Error {
    Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, format!("invalid memory alloc request size {}", bytes + 4))
}

fn expect_float(value: &Value) -> Result<f64> {
    match value {
        Value::Float(f) => Ok(*f),
        other => Err(Error::internal(format!("expected a float argument, got {other:?}"))),
    }
}

fn expect_numeric(value: &Value) -> Result<Numeric> {
    match value {
        Value::Numeric(d) => Ok(d.clone()),
        Value::Int(i) => Ok(Numeric::from_i64(*i)),
        other => Err(Error::internal(format!("expected a numeric argument, got {other:?}"))),
    }
}

/// initcap as PostgreSQL does it: a letter is upper-cased when it starts a run of alphanumerics, every
/// other character is lower-cased.
fn initcap(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut in_word = false;
    for c in subject.chars() {
        if in_word {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        in_word = c.is_alphanumeric();
    }
    out
}

/// lpad/rpad: fill to `length` characters, or truncate to it when the string is longer (or the fill empty).
fn pad(subject: &str, length: i64, fill: &str, left: bool, limit: ValueLimit) -> Result<String> {
    let target = length.max(0) as usize;
    let chars: Vec<char> = subject.chars().collect();
    if chars.len() >= target || fill.is_empty() {
        return Ok(chars[..target.min(chars.len())].iter().collect());
    }
    // PostgreSQL refuses by the longest the result could be in UTF-8 (4 bytes a character).
    if target.saturating_mul(4) > MAX_VALUE_BYTES {
        return Err(requested_length_too_large());
    }
    let widest_fill = fill.chars().map(char::len_utf8).max().unwrap_or(1);
    limit.check(subject.len() + (target - chars.len()) * widest_fill, requested_length_too_large)?;
    let padding: String = fill.chars().cycle().take(target - chars.len()).collect();
    Ok(if left { format!("{padding}{subject}") } else { format!("{subject}{padding}") })
}

/// split_part: the n-th field (1-based; negative counts from the end), empty when out of range.
fn split_part(subject: &str, delimiter: &str, field: i64) -> Result<String> {
    if field == 0 {
        return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "field position must not be zero"));
    }
    if subject.is_empty() {
        return Ok(String::new());
    }
    // An empty delimiter makes the whole string the only field.
    let fields: Vec<&str> = if delimiter.is_empty() { vec![subject] } else { subject.split(delimiter).collect() };
    let index = if field > 0 { field - 1 } else { fields.len() as i64 + field };
    Ok(usize::try_from(index).ok().and_then(|i| fields.get(i)).map_or(String::new(), |s| s.to_string()))
}

/// chr(n) in a UTF-8 database: 54000 for NUL, surrogates and beyond U+10FFFF, 22023 for n < 0.
fn chr(code: i64) -> Result<char> {
    if code < 0 {
        return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "character number must be positive"));
    }
    if code == 0 {
        return Err(Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "null character not permitted"));
    }
    if code > 0x10FFFF {
        return Err(Error::new(
            sqlstate::PROGRAM_LIMIT_EXCEEDED,
            format!("requested character too large for encoding: {code}"),
        ));
    }
    char::from_u32(code as u32).ok_or_else(|| {
        Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, format!("requested character not valid for encoding: {code}"))
    })
}

/// MD5 (RFC 1321) of `input`; occam has no digest dependency and md5() is all that needs one.
fn md5_digest(input: &[u8]) -> [u8; 16] {
    const SHIFTS: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14,
        20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6,
        10, 15, 21,
    ];
    // K[i] = floor(2^32 * |sin(i + 1)|).
    let constants: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32).collect();
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    let mut message = input.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((input.len() as u64).wrapping_mul(8)).to_le_bytes());
    for block in message.chunks(64) {
        let words: Vec<u32> = block.chunks(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a.wrapping_add(f).wrapping_add(constants[i]).wrapping_add(words[g]).rotate_left(SHIFTS[i]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(rotated);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    let mut digest = [0u8; 16];
    for (chunk, word) in digest.chunks_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    digest
}

/// The half-open index range substr(s, start[, length]) selects from a string of `len` elements
/// (1-based `start`, which may be zero or negative; 22011 for a negative length).
fn substring_bounds(start: i64, length: Option<i64>, len: usize) -> Result<(usize, usize)> {
    let end = match length {
        Some(l) if l < 0 => {
            return Err(Error::new("22011", "negative substring length not allowed"));
        }
        Some(l) => start.saturating_add(l),
        None => i64::MAX,
    };
    let from = start.max(1);
    let to = end.min(len as i64 + 1);
    if to <= from {
        return Ok((0, 0));
    }
    Ok(((from - 1) as usize, (to - 1) as usize))
}

/// A resolved aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    BoolAnd,
    BoolOr,
    /// `array_agg(x)`: every value (NULLs too) in input order; NULL for no rows.
    ArrayAgg,
    /// `string_agg(text, delimiter)`: its argument is the pair `ARRAY[value, delimiter]` (the binder packs
    /// the two arguments into one, the only argument an aggregate call has).
    StringAgg,
    /// `json_agg(x)` / `jsonb_agg(x)` (the result type says which): every value, NULLs as JSON null.
    JsonAgg,
    /// `json_object_agg(k, v)` / `jsonb_object_agg(k, v)`: the binder packs the pair as
    /// `json[b]_build_array(k, v)` (see `sql::json::ObjectAgg`).
    JsonObjectAgg,
    /// Ordered-set aggregates (`... WITHIN GROUP (ORDER BY x)`), fed `x` in order, NULLs skipped:
    /// `percentile_cont(fraction)` interpolates between the two nearest values (float8),
    /// `percentile_disc(fraction)` is the first value at or past the fraction, `mode()` the most frequent
    /// value (the first in order among equally frequent ones).
    PercentileCont,
    PercentileDisc,
    Mode,
    /// `GROUPING(args)`: computed by the aggregate operator from each group's grouping set.
    Grouping,
}

/// The aggregate `GROUPING(...)` resolves to (an integer; see `AggregateCall::grouping`).
pub fn grouping_aggregate() -> ResolvedAggregate {
    ResolvedAggregate {
        function: AggregateFunction::Grouping,
        arg_type: None,
        result_type: DataType::Int4,
        distinct: false,
        fraction: 0.0,
    }
}

/// The ordered-set aggregates: only called `name(direct args) WITHIN GROUP (ORDER BY x)`.
pub fn is_ordered_set_aggregate(name: &str) -> bool {
    matches!(name, "percentile_cont" | "percentile_disc" | "mode")
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAggregate {
    pub function: AggregateFunction,
    /// The argument's type (None for count(*)).
    pub arg_type: Option<DataType>,
    /// sum(int4) -> int8, sum(int8) -> numeric, avg(int) -> numeric, avg(float) -> float8, count -> int8.
    pub result_type: DataType,
    pub distinct: bool,
    /// percentile_cont / percentile_disc: the fraction (their direct argument, a constant).
    pub fraction: f64,
}

/// Whether `name` is an aggregate function (so the planner can tell aggregates from scalar calls).
pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "bool_and"
            | "bool_or"
            | "every"
            | "array_agg"
            | "string_agg"
            | "json_agg"
            | "jsonb_agg"
            | "json_object_agg"
            | "jsonb_object_agg"
    ) || is_ordered_set_aggregate(name)
}

/// Resolves an ordered-set aggregate over values of type `t` (the WITHIN GROUP key), with its fraction.
pub fn resolve_ordered_set_aggregate(name: &str, t: &DataType, fraction: Option<f64>) -> Result<ResolvedAggregate> {
    use AggregateFunction as A;
    let t = if *t == DataType::Unknown { DataType::Text } else { *t };
    let (function, arg_type) = match (name, fraction) {
        ("percentile_cont", Some(_)) if t.is_numeric_family() => (A::PercentileCont, DataType::Float8),
        ("percentile_disc", Some(_)) => (A::PercentileDisc, t),
        ("mode", None) => (A::Mode, t),
        _ => {
            let mut types: Vec<DataType> = fraction.map(|_| DataType::Float8).into_iter().collect();
            types.push(t);
            return Err(function_does_not_exist(name, &types));
        }
    };
    if let Some(f) = fraction.filter(|f| !(0.0..=1.0).contains(f)) {
        return Err(Error::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("percentile value {f} is not between 0 and 1"),
        ));
    }
    Ok(ResolvedAggregate {
        function,
        arg_type: Some(arg_type),
        result_type: arg_type,
        distinct: false,
        fraction: fraction.unwrap_or(0.0),
    })
}

/// Resolves an aggregate call; `arg_type` is None for `count(*)`.
pub fn resolve_aggregate(name: &str, arg_type: Option<&DataType>, distinct: bool) -> Result<ResolvedAggregate> {
    use AggregateFunction as A;
    let resolved = |function, arg_type, result_type| {
        Ok(ResolvedAggregate { function, arg_type, result_type, distinct, fraction: 0.0 })
    };
    let Some(t) = arg_type else {
        return match name {
            "count" => resolved(A::CountStar, None, DataType::Int8),
            _ => Err(function_does_not_exist(name, &[])),
        };
    };
    let not_found = || function_does_not_exist(name, std::slice::from_ref(t));
    let not_unique = || function_not_unique(name, std::slice::from_ref(t));
    match name {
        "count" => {
            let arg = if *t == DataType::Unknown { DataType::Text } else { *t };
            resolved(A::Count, Some(arg), DataType::Int8)
        }
        "sum" => match t {
            DataType::Int2 | DataType::Int4 => resolved(A::Sum, Some(*t), DataType::Int8),
            DataType::Int8 => resolved(A::Sum, Some(*t), DataType::Numeric(None)),
            DataType::Numeric(_) => resolved(A::Sum, Some(DataType::Numeric(None)), DataType::Numeric(None)),
            DataType::Float4 | DataType::Float8 | DataType::Interval => resolved(A::Sum, Some(*t), *t),
            DataType::Unknown => Err(not_unique()),
            _ => Err(not_found()),
        },
        "avg" => match t {
            DataType::Int2 | DataType::Int4 | DataType::Int8 => resolved(A::Avg, Some(*t), DataType::Numeric(None)),
            DataType::Numeric(_) => resolved(A::Avg, Some(DataType::Numeric(None)), DataType::Numeric(None)),
            DataType::Float4 | DataType::Float8 => resolved(A::Avg, Some(*t), DataType::Float8),
            DataType::Interval => resolved(A::Avg, Some(*t), DataType::Interval),
            DataType::Unknown => Err(not_unique()),
            _ => Err(not_found()),
        },
        "min" | "max" => {
            let function = if name == "min" { A::Min } else { A::Max };
            let arg = match t {
                DataType::Unknown | DataType::Text | DataType::Varchar(_) => DataType::Text,
                DataType::Numeric(_) => DataType::Numeric(None),
                DataType::Bool | DataType::Bytea | DataType::Uuid => return Err(not_found()),
                other => *other,
            };
            resolved(function, Some(arg), arg)
        }
        "bool_and" | "bool_or" | "every" => match t {
            DataType::Bool | DataType::Unknown => {
                resolved(if name == "bool_or" { A::BoolOr } else { A::BoolAnd }, Some(DataType::Bool), DataType::Bool)
            }
            _ => Err(not_found()),
        },
        "array_agg" => {
            let element = if *t == DataType::Unknown { DataType::Text } else { *t };
            match element.array_of() {
                Some(array) => resolved(A::ArrayAgg, array.element(), array),
                None => Err(not_found()),
            }
        }
        // The binder passes string_agg's two arguments as one text[] pair.
        "string_agg" if *t == DataType::Array(ArrayElement::TEXT) => resolved(A::StringAgg, Some(*t), DataType::Text),
        "json_agg" | "jsonb_agg" => {
            let arg = if *t == DataType::Unknown { DataType::Text } else { *t };
            resolved(A::JsonAgg, Some(arg), if name == "json_agg" { DataType::Json } else { DataType::Jsonb })
        }
        // The binder passes the key and value as one json[b] pair.
        "json_object_agg" | "jsonb_object_agg" => resolved(A::JsonObjectAgg, Some(*t), *t),
        _ => Err(not_found()),
    }
}

/// Running state of one aggregate over one group.
pub trait Accumulator: Send {
    /// Adds one input value (ignored if NULL, except for count(*), which is fed `Value::Null` per row).
    fn update(&mut self, value: &Value) -> Result<()>;
    /// Adds the same input value `times` times (count(*) over rows its input counted without reading).
    fn update_repeated(&mut self, value: &Value, times: usize) -> Result<()> {
        for _ in 0..times {
            self.update(value)?;
        }
        Ok(())
    }
    /// The aggregate's result (NULL for sum/avg/min/max of no rows, 0 for count).
    fn finish(&self) -> Result<Value>;
    /// Whether it keeps (a copy of) each input value, so its state grows with its input (string_agg,
    /// array_agg, json_agg, ordered-set and DISTINCT aggregates): the executor charges each value to the
    /// query's memory budget.
    fn retains_input(&self) -> bool {
        false
    }
    /// The state as one value, for a parallel plan's `Partial Aggregate` to hand to its `Finalize
    /// Aggregate` (only for the aggregates [`splits`] accepts).
    fn partial_state(&self) -> Result<Value> {
        Err(Error::internal("this aggregate is not computed in parts"))
    }
    /// Folds in another accumulator's [`partial_state`](Self::partial_state).
    fn merge_partial(&mut self, _state: &Value) -> Result<()> {
        Err(Error::internal("this aggregate is not computed in parts"))
    }
}

/// Whether `aggregate` can be computed in parts (by each of a parallel plan's workers over its rows) whose
/// states merge into exactly the result of one pass over all rows: counts, exact sums and averages
/// (integers, numeric, intervals), min, max, bool_and, bool_or. Not float sums (the order of additions
/// changes the last digits), DISTINCT, ordered or order-sensitive aggregates (string_agg, array_agg, ...).
pub fn splits(aggregate: &ResolvedAggregate) -> bool {
    use AggregateFunction::*;
    let exact = !matches!(aggregate.arg_type, Some(DataType::Float4 | DataType::Float8));
    !aggregate.distinct
        && match aggregate.function {
            CountStar | Count | Min | Max | BoolAnd | BoolOr => true,
            Sum | Avg => exact,
            _ => false,
        }
}

/// A fresh accumulator for `aggregate` (DISTINCT handled inside).
pub fn accumulator(aggregate: &ResolvedAggregate) -> Box<dyn Accumulator> {
    let arg_type = aggregate.arg_type.unwrap_or(DataType::Unknown);
    let inner: Box<dyn Accumulator> = match aggregate.function {
        AggregateFunction::CountStar | AggregateFunction::Grouping => Box::new(Count { count: 0, count_nulls: true }),
        AggregateFunction::Count => Box::new(Count { count: 0, count_nulls: false }),
        AggregateFunction::Sum | AggregateFunction::Avg => Box::new(SumAvg {
            average: aggregate.function == AggregateFunction::Avg,
            arg_type,
            count: 0,
            integer_sum: 0,
            numeric_sum: Numeric::ZERO,
            float_sum: 0.0,
            interval_sum: Interval::ZERO,
        }),
        AggregateFunction::Min => Box::new(MinMax { best: None, keep: Ordering::Less }),
        AggregateFunction::Max => Box::new(MinMax { best: None, keep: Ordering::Greater }),
        AggregateFunction::BoolAnd => Box::new(BoolFold { result: None, and: true }),
        AggregateFunction::BoolOr => Box::new(BoolFold { result: None, and: false }),
        AggregateFunction::ArrayAgg => Box::new(ArrayAgg { values: None }),
        AggregateFunction::StringAgg => Box::new(StringAgg { text: None }),
        AggregateFunction::PercentileCont | AggregateFunction::PercentileDisc | AggregateFunction::Mode => {
            Box::new(OrderedSet { function: aggregate.function, fraction: aggregate.fraction, values: Vec::new() })
        }
        AggregateFunction::JsonAgg => Box::new(crate::sql::json::ArrayAgg::new(arg_type, aggregate.result_type)),
        AggregateFunction::JsonObjectAgg => Box::new(crate::sql::json::ObjectAgg::new(aggregate.result_type)),
    };
    if aggregate.distinct && aggregate.function != AggregateFunction::CountStar {
        Box::new(Distinct { seen: BTreeSet::new(), inner })
    } else {
        inner
    }
}

struct Count {
    count: i64,
    count_nulls: bool,
}

impl Accumulator for Count {
    fn update(&mut self, value: &Value) -> Result<()> {
        self.update_repeated(value, 1)
    }

    fn update_repeated(&mut self, value: &Value, times: usize) -> Result<()> {
        if self.count_nulls || !value.is_null() {
            self.count += times as i64;
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        Ok(Value::Int(self.count))
    }

    fn partial_state(&self) -> Result<Value> {
        self.finish()
    }

    fn merge_partial(&mut self, state: &Value) -> Result<()> {
        self.count += partial_int(state)?;
        Ok(())
    }
}

/// An integer part of a partial state (a count, half of an i128 sum).
fn partial_int(state: &Value) -> Result<i64> {
    match state {
        Value::Int(int) => Ok(*int),
        other => Err(Error::internal(format!("partial state part {other:?}"))),
    }
}

/// sum and avg. Integers accumulate exactly in i128 (sum(int2/int4) overflows only at bigint's range, as
/// PostgreSQL's int8 transition value does), numeric exactly, floats in the input's precision,
/// intervals field by field (avg divides as `interval / count`).
struct SumAvg {
    average: bool,
    arg_type: DataType,
    count: i64,
    integer_sum: i128,
    numeric_sum: Numeric,
    float_sum: f64,
    interval_sum: Interval,
}

impl Accumulator for SumAvg {
    fn update(&mut self, value: &Value) -> Result<()> {
        match value {
            Value::Null => return Ok(()),
            Value::Int(i) => self.integer_sum += *i as i128,
            Value::Numeric(d) => {
                self.numeric_sum = self.numeric_sum.add(d)?;
            }
            Value::Float(f) => {
                // sum() starts from its first value, as PostgreSQL's float8pl transition from NULL does:
                // the sum of -0 is -0, not 0 + -0 (avg's accumulator starts from 0, as PostgreSQL's).
                let (sum, next) = if self.count == 0 && !self.average {
                    (*f, *f)
                } else if self.arg_type == DataType::Float4 && !self.average {
                    let sum = (self.float_sum as f32 + *f as f32) as f64;
                    (sum, *f)
                } else {
                    (self.float_sum + f, *f)
                };
                if sum.is_infinite() && !self.float_sum.is_infinite() && !next.is_infinite() {
                    return Err(Error::out_of_range("value out of range: overflow"));
                }
                self.float_sum = sum;
            }
            Value::Interval(interval) => self.interval_sum = self.interval_sum.checked_add(interval)?,
            other => return Err(Error::internal(format!("sum/avg of {other:?}"))),
        }
        self.count += 1;
        self.check_integer_range()
    }

    /// [count, the integer sum's high and low 64 bits, the numeric sum, the interval sum] (a float sum
    /// is never split).
    fn partial_state(&self) -> Result<Value> {
        Ok(Value::Array(vec![
            Value::Int(self.count),
            Value::Int((self.integer_sum >> 64) as i64),
            Value::Int(self.integer_sum as u64 as i64),
            Value::Numeric(self.numeric_sum.clone()),
            Value::Interval(self.interval_sum),
        ]))
    }

    fn merge_partial(&mut self, state: &Value) -> Result<()> {
        let Value::Array(parts) = state else { return Err(Error::internal(format!("partial sum {state:?}"))) };
        let [count, high, low, Value::Numeric(numeric), Value::Interval(interval)] = parts.as_slice() else {
            return Err(Error::internal(format!("partial sum {state:?}")));
        };
        let integer = (i128::from(partial_int(high)?) << 64) | i128::from(partial_int(low)? as u64);
        self.count += partial_int(count)?;
        self.integer_sum += integer;
        self.numeric_sum = self.numeric_sum.add(numeric)?;
        self.interval_sum = self.interval_sum.checked_add(interval)?;
        self.check_integer_range()
    }

    fn finish(&self) -> Result<Value> {
        if self.count == 0 {
            return Ok(Value::Null);
        }
        match self.arg_type {
            DataType::Int2 | DataType::Int4 | DataType::Int8 => {
                if self.average {
                    let sum = Numeric::from_i128(self.integer_sum, 0);
                    scalar::numeric_div(&sum, &Numeric::from_i64(self.count)).map(Value::Numeric)
                } else if self.arg_type == DataType::Int8 {
                    Ok(Value::Numeric(Numeric::from_i128(self.integer_sum, 0)))
                } else {
                    Ok(Value::Int(self.integer_sum as i64))
                }
            }
            DataType::Interval if self.average => self.interval_sum.div(self.count as f64).map(Value::Interval),
            DataType::Interval => Ok(Value::Interval(self.interval_sum)),
            DataType::Float4 | DataType::Float8 => {
                if self.average {
                    Ok(Value::Float(self.float_sum / self.count as f64))
                } else {
                    Ok(Value::Float(self.float_sum))
                }
            }
            _ => {
                if self.average {
                    scalar::numeric_div(&self.numeric_sum, &Numeric::from_i64(self.count)).map(Value::Numeric)
                } else {
                    Ok(Value::Numeric(self.numeric_sum.clone()))
                }
            }
        }
    }
}

impl SumAvg {
    /// sum(int2 / int4) is a bigint: 22003 once the running sum leaves its range, as PostgreSQL's int8
    /// transition value does.
    fn check_integer_range(&self) -> Result<()> {
        let bigint = i64::MIN as i128..=i64::MAX as i128;
        if !self.average
            && matches!(self.arg_type, DataType::Int2 | DataType::Int4)
            && !bigint.contains(&self.integer_sum)
        {
            return Err(Error::out_of_range("bigint out of range"));
        }
        Ok(())
    }
}

struct MinMax {
    best: Option<Value>,
    /// Replace the current best when the new value compares as this (Less for min, Greater for max).
    keep: Ordering,
}

impl Accumulator for MinMax {
    fn update(&mut self, value: &Value) -> Result<()> {
        if value.is_null() {
            return Ok(());
        }
        let replace = match &self.best {
            None => true,
            Some(best) => scalar::compare(value, best) == Some(self.keep),
        };
        if replace {
            self.best = Some(value.clone());
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        Ok(self.best.clone().unwrap_or(Value::Null))
    }

    /// The best value so far (NULL for none), which the merge takes as one more input.
    fn partial_state(&self) -> Result<Value> {
        self.finish()
    }

    fn merge_partial(&mut self, state: &Value) -> Result<()> {
        self.update(state)
    }
}

struct BoolFold {
    result: Option<bool>,
    and: bool,
}

impl Accumulator for BoolFold {
    fn update(&mut self, value: &Value) -> Result<()> {
        match value {
            Value::Null => {}
            Value::Bool(b) => {
                self.result = Some(match self.result {
                    None => *b,
                    Some(r) => {
                        if self.and {
                            r && *b
                        } else {
                            r || *b
                        }
                    }
                })
            }
            other => return Err(Error::internal(format!("bool_and/bool_or of {other:?}"))),
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        Ok(self.result.map(Value::Bool).unwrap_or(Value::Null))
    }

    fn partial_state(&self) -> Result<Value> {
        self.finish()
    }

    fn merge_partial(&mut self, state: &Value) -> Result<()> {
        self.update(state)
    }
}

/// array_agg: every input value, NULLs included.
struct ArrayAgg {
    values: Option<Vec<Value>>,
}

impl Accumulator for ArrayAgg {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, value: &Value) -> Result<()> {
        self.values.get_or_insert_with(Vec::new).push(value.clone());
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        Ok(self.values.clone().map_or(Value::Null, Value::Array))
    }
}

/// string_agg: the non-NULL values joined, each after the first preceded by its own delimiter.
struct StringAgg {
    text: Option<String>,
}

impl Accumulator for StringAgg {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, value: &Value) -> Result<()> {
        let Value::Array(pair) = value else { return Ok(()) };
        let (Some(Value::Text(item)), delimiter) = (pair.first(), pair.get(1)) else { return Ok(()) };
        match &mut self.text {
            None => self.text = Some(item.clone()),
            Some(text) => {
                if let Some(Value::Text(delimiter)) = delimiter {
                    text.push_str(delimiter);
                }
                text.push_str(item);
            }
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        Ok(self.text.clone().map_or(Value::Null, Value::Text))
    }
}

/// percentile_cont / percentile_disc / mode over values that arrive in order (the executor sorts an
/// ordered aggregate's input first).
struct OrderedSet {
    function: AggregateFunction,
    fraction: f64,
    values: Vec<Value>,
}

impl Accumulator for OrderedSet {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, value: &Value) -> Result<()> {
        if !value.is_null() {
            self.values.push(value.clone());
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        let n = self.values.len();
        if n == 0 {
            return Ok(Value::Null);
        }
        Ok(match self.function {
            AggregateFunction::PercentileCont => {
                let float = |v: &Value| match v {
                    Value::Float(f) => *f,
                    Value::Int(i) => *i as f64,
                    _ => f64::NAN,
                };
                // PostgreSQL: the fraction's position among the n values, counted from 0, interpolated.
                let position = self.fraction * (n - 1) as f64;
                let (low, high) = (position.floor() as usize, position.ceil() as usize);
                let (a, b) = (float(&self.values[low]), float(&self.values[high]));
                Value::Float(if low == high { a } else { a + (position - low as f64) * (b - a) })
            }
            AggregateFunction::PercentileDisc => {
                // The first value whose cumulative share reaches the fraction.
                let rank = ((self.fraction * n as f64).ceil() as usize).clamp(1, n);
                self.values[rank - 1].clone()
            }
            _ => {
                let (mut best, mut best_count, mut run_start) = (0, 0, 0);
                for i in 1..=n {
                    if i == n || self.values[i].total_cmp(&self.values[run_start]) != Ordering::Equal {
                        if i - run_start > best_count {
                            (best, best_count) = (run_start, i - run_start);
                        }
                        run_start = i;
                    }
                }
                self.values[best].clone()
            }
        })
    }
}

/// A value ordered by [`Value::total_cmp`], for DISTINCT sets. Numerically equal values (1.0 and 1.00)
/// are the same element, as in PostgreSQL.
struct Ordered(Value);

impl PartialEq for Ordered {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> Ordering {
        scalar::compare(&self.0, &other.0).unwrap_or_else(|| self.0.total_cmp(&other.0))
    }
}

/// Feeds each distinct non-null value to the inner accumulator once.
struct Distinct {
    seen: BTreeSet<Ordered>,
    inner: Box<dyn Accumulator>,
}

impl Accumulator for Distinct {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, value: &Value) -> Result<()> {
        if value.is_null() {
            return Ok(());
        }
        if self.seen.insert(Ordered(value.clone())) {
            self.inner.update(value)?;
        }
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    use DataType::*;

    fn ctx() -> FunctionContext {
        let ts = text::parse_timestamptz("2024-01-31 12:34:56.789+00").unwrap();
        FunctionContext {
            transaction_timestamp: ts,
            statement_timestamp: ts,
            session: Some(SessionSettings::new("admin", true)),
            ..FunctionContext::default()
        }
    }

    /// Resolves and invokes like the planner and executor do (coercing arguments with casts).
    fn call(name: &str, args: &[(Value, DataType)]) -> Result<Value> {
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let resolved = resolve_scalar(name, &types)?;
        let mut values = Vec::new();
        for ((value, from), to) in args.iter().zip(&resolved.arg_types) {
            values.push(scalar::cast(value.clone(), from, to)?);
        }
        invoke_scalar(&resolved, &values, &ctx(), ValueLimit::UNBUDGETED)
    }

    fn call_text(name: &str, args: &[(Value, DataType)]) -> String {
        let types: Vec<DataType> = args.iter().map(|(_, t)| *t).collect();
        let result_type = resolve_scalar(name, &types).unwrap().result_type;
        let value = call(name, args).unwrap();
        if value.is_null() {
            return "NULL".to_string();
        }
        text::format(&value, &result_type)
    }

    fn t(s: &str) -> (Value, DataType) {
        (Value::Text(s.to_string()), Unknown)
    }

    fn i(v: i64) -> (Value, DataType) {
        (Value::Int(v), Int4)
    }

    fn n(s: &str) -> (Value, DataType) {
        (Value::Numeric(crate::types::numeric::Numeric::from_str(s).unwrap()), Numeric(None))
    }

    fn f(v: f64) -> (Value, DataType) {
        (Value::Float(v), Float8)
    }

    fn null(t: DataType) -> (Value, DataType) {
        (Value::Null, t)
    }

    #[test]
    fn resolution_errors() {
        let e = resolve_scalar("foo", &[Int4, Unknown]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("42883", "function foo(integer, unknown) does not exist"));
        assert_eq!(
            e.hint.as_deref(),
            Some("No function matches the given name and argument types. You might need to add explicit type casts.")
        );
        assert_eq!(resolve_scalar("lower", &[Int4]).unwrap_err().message, "function lower(integer) does not exist");
        assert_eq!(
            resolve_scalar("substr", &[Unknown, Int8]).unwrap_err().message,
            "function substr(unknown, bigint) does not exist"
        );
        assert_eq!(resolve_scalar("concat", &[]).unwrap_err().message, "function concat() does not exist");
        assert_eq!(
            resolve_scalar("round", &[Float8, Int4]).unwrap_err().message,
            "function round(double precision, integer) does not exist"
        );
        assert_eq!(resolve_scalar("mod", &[Float8, Int4]).unwrap_err().code, "42883");
        let e = resolve_scalar("coalesce", &[Int4, Bool]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("42804", "COALESCE types integer and boolean cannot be matched"));
        assert_eq!(
            resolve_scalar("greatest", &[Int4, Bool]).unwrap_err().message,
            "GREATEST types integer and boolean cannot be matched"
        );
        assert_eq!(resolve_scalar("nullif", &[Int4, Bool]).unwrap_err().code, "42883");
    }

    #[test]
    fn resolution_types() {
        let r = |name: &str, args: &[DataType]| resolve_scalar(name, args).unwrap().result_type;
        assert_eq!(r("abs", &[Unknown]), Float8);
        assert_eq!(r("abs", &[Int2]), Int2);
        assert_eq!(r("round", &[Int4]), Float8);
        assert_eq!(r("round", &[Int4, Int4]), Numeric(None));
        assert_eq!(r("ceil", &[Numeric(Some((5, 2)))]), Numeric(None));
        assert_eq!(r("coalesce", &[Int4, Int8, Unknown]), Int8);
        assert_eq!(r("coalesce", &[Unknown, Unknown]), Text);
        assert_eq!(r("greatest", &[Int4, Numeric(None)]), Numeric(None));
        assert_eq!(r("nullif", &[Int4, Int8]), Int4);
        assert_eq!(r("mod", &[Int2, Int8]), Int8);
        assert_eq!(r("mod", &[Int4, Numeric(None)]), Numeric(None));
        assert_eq!(r("length", &[Varchar(Some(3))]), Int4);
        assert_eq!(r("now", &[]), Timestamptz);
        assert_eq!(r("current_timestamp", &[]), Timestamptz);
        assert_eq!(r("current_date", &[]), Date);
        assert_eq!(r("localtimestamp", &[]), Timestamp);
        assert_eq!(r("version", &[]), Text);
        assert_eq!(r("extract", &[Unknown, Date]), Numeric(None));
    }

    #[test]
    fn time_and_misc_functions() {
        assert_eq!(call_text("now", &[]), "2024-01-31 12:34:56.789+00");
        assert_eq!(call_text("current_date", &[]), "2024-01-31");
        assert_eq!(call_text("localtimestamp", &[]), "2024-01-31 12:34:56.789");
        assert_eq!(call_text("statement_timestamp", &[]), "2024-01-31 12:34:56.789+00");
        assert!(matches!(call("clock_timestamp", &[]).unwrap(), Value::Timestamptz(_)));
        assert_eq!(call_text("version", &[]), "PostgreSQL 16");
        let (a, b) = (call("gen_random_uuid", &[]).unwrap(), call("gen_random_uuid", &[]).unwrap());
        assert_ne!(a, b);
        match a {
            Value::Uuid(u) => assert_eq!(u.get_version_num(), 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn math_functions() {
        assert_eq!(call_text("abs", &[n("-1.50")]), "1.50");
        assert_eq!(call_text("abs", &[i(-3)]), "3");
        assert_eq!(call_text("abs", &[t("-1")]), "1");
        assert_eq!(call("abs", &[i(i32::MIN as i64)]).unwrap_err().message, "integer out of range");
        assert_eq!(call_text("round", &[n("2.5")]), "3");
        assert_eq!(call_text("round", &[n("-2.5")]), "-3");
        assert_eq!(call_text("round", &[f(2.5)]), "2");
        assert_eq!(call_text("round", &[f(3.5)]), "4");
        assert_eq!(call_text("round", &[f(12.5)]), "12");
        assert_eq!(call_text("round", &[n("1.2345"), i(2)]), "1.23");
        assert_eq!(call_text("round", &[n("1.5"), i(3)]), "1.500");
        assert_eq!(call_text("round", &[n("1234.5"), i(-2)]), "1200");
        assert_eq!(call_text("round", &[i(7), i(0)]), "7");
        assert_eq!(call_text("round", &[n("-1234.5"), i(-40)]), "0");
        assert_eq!(call_text("floor", &[n("-1.5")]), "-2");
        assert_eq!(call_text("ceil", &[n("-1.5")]), "-1");
        assert_eq!(call_text("ceil", &[n("-0.5")]), "0");
        assert_eq!(call_text("ceil", &[f(-0.5)]), "-0");
        assert_eq!(call_text("ceiling", &[n("1.2")]), "2");
        assert_eq!(call_text("floor", &[n("1.50")]), "1");
        assert_eq!(call_text("floor", &[i(3)]), "3");
        assert_eq!(call_text("mod", &[i(-7), i(3)]), "-1");
        assert_eq!(call_text("mod", &[n("7.5"), i(2)]), "1.5");
        assert_eq!(call("mod", &[i(5), i(0)]).unwrap_err().code, "22012");
    }

    /// Expected outputs are PostgreSQL 15's.
    #[test]
    fn roots_powers_and_logarithms() {
        let err = |name: &str, args: &[(Value, DataType)]| {
            let e = call(name, args).unwrap_err();
            (e.code, e.message)
        };
        assert_eq!(call_text("sqrt", &[i(16)]), "4");
        assert_eq!(call_text("sqrt", &[i(2)]), "1.4142135623730951");
        assert_eq!(call_text("sqrt", &[n("2.0")]), "1.414213562373095");
        assert_eq!(call_text("sqrt", &[n("16.0")]), "4.000000000000000");
        assert_eq!(call_text("sqrt", &[n("0.0001")]), "0.01000000000000000");
        assert_eq!(call_text("sqrt", &[n("100000000000.0")]), "316227.76601683793");
        assert_eq!(call_text("sqrt", &[n("12345.6789")]), "111.1111106055556");
        assert_eq!(call_text("sqrt", &[t("4")]), "2");
        assert_eq!(call_text("sqrt", &[n("0.0")]), "0.000000000000000");
        let negative_root = ("2201F", "cannot take square root of a negative number".to_string());
        assert_eq!(err("sqrt", &[i(-1)]), negative_root);
        assert_eq!(err("sqrt", &[n("-1.0")]), negative_root);
        assert_eq!(call_text("power", &[i(2), i(3)]), "8");
        assert_eq!(call_text("pow", &[n("2.0"), i(3)]), "8.0000000000000000");
        assert_eq!(call_text("power", &[n("2.5"), i(2)]), "6.2500000000000000");
        assert_eq!(call_text("power", &[i(2), n("0.5")]), "1.4142135623730950");
        assert_eq!(call_text("power", &[n("4.0"), i(-1)]), "0.2500000000000000");
        assert_eq!(call_text("power", &[n("1.1"), i(10)]), "2.5937424601000000");
        assert_eq!(call_text("power", &[n("1.5"), n("2.5")]), "2.7556759606310754");
        assert_eq!(call_text("power", &[n("1.000001"), i(1000000)]), "2.7182804693193769");
        assert_eq!(call_text("power", &[n("-8.0"), i(3)]), "-512.0000000000000000");
        assert_eq!(call_text("power", &[n("0.0"), n("0.5")]), "0.0000000000000000");
        assert_eq!(call_text("power", &[n("0.0"), i(0)]), "1.0000000000000000");
        assert_eq!(call_text("power", &[i(0), i(0)]), "1");
        assert_eq!(call_text("power", &[n("2.0"), t("3")]), "8.0000000000000000");
        assert_eq!(call_text("power", &[t("2"), t("3")]), "8");
        assert_eq!(resolve_scalar("power", &[Numeric(None), Float8]).unwrap().result_type, Float8);
        let complex = ("2201F", "a negative number raised to a non-integer power yields a complex result".to_string());
        assert_eq!(err("power", &[i(-8), n("0.5")]), complex);
        assert_eq!(err("power", &[f(-8.0), f(0.5)]), complex);
        let zero_negative = ("2201F", "zero raised to a negative power is undefined".to_string());
        assert_eq!(err("power", &[i(0), i(-1)]), zero_negative);
        assert_eq!(err("power", &[n("0.0"), i(-1)]), zero_negative);
        assert_eq!(err("power", &[f(1e308), i(2)]).1, "value out of range: overflow");
        assert_eq!(err("power", &[f(1e-308), i(2)]).1, "value out of range: underflow");
        assert_eq!(call_text("power", &[f(f64::NAN), i(0)]), "1");
        assert_eq!(call_text("power", &[f(f64::INFINITY), i(-1)]), "0");
        // PostgreSQL calls the C library's cbrt, and so does Rust: Debian 12's glibc answers cbrt(27) with
        // 3.0000000000000004 and cbrt(2) one ulp high, a correctly rounded libm with 3 and 1.2599210498948732.
        assert!(["3", "3.0000000000000004"].contains(&call_text("cbrt", &[i(27)]).as_str()));
        assert_eq!(call_text("cbrt", &[i(-8)]), "-2");
        assert_eq!(call_text("exp", &[i(1)]), "2.718281828459045");
        assert_eq!(call_text("exp", &[n("1.0")]), "2.7182818284590452");
        assert_eq!(call_text("exp", &[n("0.0")]), "1.0000000000000000");
        assert_eq!(call_text("exp", &[n("50.0")]), "5184705528587072464087.5");
        assert_eq!(call_text("exp", &[n("-5.0")]), "0.006737946999085467");
        assert_eq!(err("exp", &[i(1000)]).1, "value out of range: overflow");
        assert_eq!(err("exp", &[i(-1000)]).1, "value out of range: underflow");
        assert_eq!(call_text("ln", &[i(10)]), "2.302585092994046");
        assert_eq!(call_text("ln", &[n("10.0")]), "2.3025850929940457");
        assert_eq!(call_text("ln", &[n("0.95")]), "-0.051293294387550533");
        assert_eq!(call_text("ln", &[n("12345.678")]), "9.4210613212918320");
        assert_eq!(call_text("log", &[i(100)]), "2");
        assert_eq!(call_text("log", &[n("100.0")]), "2.0000000000000000");
        assert_eq!(call_text("log", &[n("2.0")]), "0.3010299956639812");
        assert_eq!(call_text("log", &[n("0.001")]), "-3.0000000000000000");
        assert_eq!(call_text("log", &[i(2), i(8)]), "3.0000000000000000");
        assert_eq!(call_text("log", &[t("8")]), "0.9030899869919435");
        assert_eq!(call_text("log10", &[i(1000)]), "3");
        let log_zero = ("2201E", "cannot take logarithm of zero".to_string());
        assert_eq!(err("ln", &[i(0)]), log_zero);
        assert_eq!(err("ln", &[n("0.0")]), log_zero);
        assert_eq!(err("log", &[i(0)]), log_zero);
        assert_eq!(err("log", &[i(0), i(8)]), log_zero);
        let log_negative = ("2201E", "cannot take logarithm of a negative number".to_string());
        assert_eq!(err("ln", &[i(-1)]), log_negative);
        assert_eq!(err("ln", &[n("-1.0")]), log_negative);
        assert_eq!(err("log", &[i(1), i(8)]).0, "22012");
        assert_eq!(
            resolve_scalar("log", &[Float8, Int4]).unwrap_err().message,
            "function log(double precision, integer) does not exist"
        );
    }

    #[test]
    fn truncation_sign_and_constants() {
        assert_eq!(call_text("trunc", &[n("2.789"), i(1)]), "2.7");
        assert_eq!(call_text("trunc", &[n("2.789")]), "2");
        assert_eq!(call_text("trunc", &[n("-2.789")]), "-2");
        assert_eq!(call_text("trunc", &[f(2.7)]), "2");
        assert_eq!(call_text("trunc", &[n("1234.5"), i(-2)]), "1200");
        assert_eq!(call_text("trunc", &[n("2.5"), i(3)]), "2.500");
        assert_eq!(call_text("trunc", &[n("-0.5")]), "0");
        assert_eq!(call_text("trunc", &[i(2), i(1)]), "2.0");
        assert_eq!(resolve_scalar("trunc", &[Int4]).unwrap().result_type, Float8);
        assert_eq!(resolve_scalar("trunc", &[Unknown]).unwrap_err().code, "42725");
        assert_eq!(resolve_scalar("trunc", &[Float8, Int4]).unwrap_err().code, "42883");
        assert_eq!(call_text("sign", &[i(-5)]), "-1");
        assert_eq!(resolve_scalar("sign", &[Int4]).unwrap().result_type, Float8);
        assert_eq!(call_text("sign", &[n("0.0")]), "0");
        assert_eq!(call_text("sign", &[n("2.5")]), "1");
        assert_eq!(call_text("pi", &[]), "3.141592653589793");
        match call("random", &[]).unwrap() {
            Value::Float(r) => assert!((0.0..1.0).contains(&r)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn more_string_functions() {
        let err = |name: &str, args: &[(Value, DataType)]| {
            let e = call(name, args).unwrap_err();
            (e.code, e.message)
        };
        assert_eq!(
            call_text("initcap", &[t("hello wORLD foo_bar 1abc éCOLE x-y o'neil")]),
            "Hello World Foo_Bar 1abc École X-Y O'Neil"
        );
        assert_eq!(call_text("left", &[t("hello"), i(2)]), "he");
        assert_eq!(call_text("left", &[t("hello"), i(-2)]), "hel");
        assert_eq!(call_text("left", &[t("hé"), i(5)]), "hé");
        assert_eq!(call_text("left", &[t("abc"), t("2")]), "ab");
        assert_eq!(call_text("right", &[t("hello"), i(3)]), "llo");
        assert_eq!(call_text("right", &[t("hello"), i(-2)]), "llo");
        assert_eq!(call_text("right", &[t("hello"), i(-9)]), "");
        assert_eq!(call_text("lpad", &[t("7"), i(3), t("0")]), "007");
        assert_eq!(call_text("rpad", &[t("ab"), i(4), t(".")]), "ab..");
        assert_eq!(call_text("lpad", &[t("hello"), i(3)]), "hel");
        assert_eq!(call_text("rpad", &[t("hello"), i(3), t("x")]), "hel");
        assert_eq!(call_text("lpad", &[t("hi"), i(5)]), "   hi");
        assert_eq!(call_text("lpad", &[t("hi"), i(6), t("xy")]), "xyxyhi");
        assert_eq!(call_text("lpad", &[t("hi"), i(5), t("")]), "hi");
        assert_eq!(call_text("lpad", &[t("hi"), i(-1), t("x")]), "");
        assert_eq!(resolve_scalar("lpad", &[Unknown, Int8]).unwrap_err().code, "42883");
        assert_eq!(call_text("repeat", &[t("ab"), i(3)]), "ababab");
        assert_eq!(call_text("repeat", &[t("ab"), i(-1)]), "");
        assert_eq!(err("repeat", &[t("x"), i(2_000_000_000)]), ("54000", "requested length too large".to_string()));
        assert_eq!(call_text("reverse", &[t("héllo")]), "olléh");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(","), i(2)]), "b");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(","), i(-1)]), "c");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(","), i(4)]), "");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(","), i(-4)]), "");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(""), i(1)]), "a,b,c");
        assert_eq!(call_text("split_part", &[t("a,b,c"), t(""), i(2)]), "");
        assert_eq!(call_text("split_part", &[t(""), t(","), i(1)]), "");
        assert_eq!(call_text("split_part", &[t("a,,b"), t(","), i(2)]), "");
        let e = err("split_part", &[t("a,b"), t(","), i(0)]);
        assert_eq!(e, ("22023", "field position must not be zero".to_string()));
        let ws_args = [
            t(","),
            i(1),
            n("2.50"),
            (Value::Bool(true), Bool),
            null(Int4),
            (Value::Text("x  ".into()), Char(3)),
            t("y"),
        ];
        assert_eq!(call_text("concat_ws", &ws_args), "1,2.50,t,x  ,y");
        assert_eq!(call_text("concat_ws", &[t("-"), t("a"), null(Text), t("c")]), "a-c");
        assert_eq!(call_text("concat_ws", &[null(Text), t("a")]), "NULL");
        assert_eq!(call_text("concat_ws", &[t(","), null(Text)]), "");
        assert_eq!(
            resolve_scalar("concat_ws", &[Unknown]).unwrap_err().message,
            "function concat_ws(unknown) does not exist"
        );
        assert_eq!(resolve_scalar("concat_ws", &[Int4, Int4]).unwrap_err().code, "42883");
        assert_eq!(call_text("md5", &[t("abc")]), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(call_text("md5", &[t("")]), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(call_text("md5", &[(Value::Bytea(b"abc".to_vec()), Bytea)]), "900150983cd24fb0d6963f7d28e17f72");
        let long = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog";
        assert_eq!(call_text("md5", &[t(long)]), "7e65a20be400033d2fe4028e2927289f");
        assert_eq!(call_text("md5", &[null(Text)]), "NULL");
        assert_eq!(call_text("starts_with", &[t("hello"), t("he")]), "t");
        assert_eq!(call_text("starts_with", &[t("a"), t("")]), "t");
        assert_eq!(call_text("starts_with", &[t(""), t("a")]), "f");
        assert_eq!(call_text("ascii", &[t("A")]), "65");
        assert_eq!(call_text("ascii", &[t("")]), "0");
        assert_eq!(call_text("ascii", &[t("é")]), "233");
        assert_eq!(call_text("chr", &[i(65)]), "A");
        assert_eq!(call_text("chr", &[i(233)]), "é");
        assert_eq!(err("chr", &[i(0)]), ("54000", "null character not permitted".to_string()));
        assert_eq!(err("chr", &[i(-1)]), ("22023", "character number must be positive".to_string()));
        assert_eq!(
            err("chr", &[i(1114112)]),
            ("54000", "requested character too large for encoding: 1114112".to_string())
        );
        assert_eq!(err("chr", &[i(55296)]), ("54000", "requested character not valid for encoding: 55296".to_string()));
    }

    #[test]
    fn string_functions() {
        assert_eq!(call_text("lower", &[t("HÉllo")]), "héllo");
        assert_eq!(call_text("upper", &[t("héllo")]), "HÉLLO");
        assert_eq!(call_text("length", &[t("héllo")]), "5");
        assert_eq!(call_text("char_length", &[(Value::Text("ab  ".into()), Char(4))]), "2");
        assert_eq!(call_text("octet_length", &[t("héllo")]), "6");
        assert_eq!(call_text("length", &[(Value::Bytea(vec![1, 2, 3]), Bytea)]), "3");
        assert_eq!(call_text("substr", &[t("hello"), i(0), i(3)]), "he");
        assert_eq!(call_text("substr", &[t("hello"), i(-1), i(3)]), "h");
        assert_eq!(call_text("substr", &[t("hello"), i(2)]), "ello");
        assert_eq!(call_text("substr", &[t("hello"), i(10)]), "");
        assert_eq!(call_text("substring", &[t("hello"), i(2), i(2)]), "el");
        assert_eq!(call_text("substr", &[t("héllo"), i(2), i(2)]), "él");
        let e = call("substr", &[t("hello"), i(1), i(-1)]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22011", "negative substring length not allowed"));
        assert_eq!(call_text("btrim", &[t("  x  ")]), "x");
        assert_eq!(call_text("trim", &[t("xxaxx"), t("x")]), "a");
        assert_eq!(call_text("btrim", &[t("xyaxy"), t("xy")]), "a");
        assert_eq!(call_text("ltrim", &[t("  a ")]), "a ");
        assert_eq!(call_text("rtrim", &[t(" a  ")]), " a");
        assert_eq!(call_text("replace", &[t("abcabc"), t("b"), t("X")]), "aXcaXc");
        assert_eq!(call_text("replace", &[t("abc"), t(""), t("x")]), "abc");
        assert_eq!(call_text("strpos", &[t("héllo"), t("l")]), "3");
        assert_eq!(call_text("strpos", &[t("hello"), t("")]), "1");
        assert_eq!(call_text("strpos", &[t("hello"), t("z")]), "0");
        assert_eq!(
            call_text(
                "concat",
                &[
                    t("a"),
                    i(1),
                    null(Int4),
                    (Value::Bool(true), Bool),
                    n("1.50"),
                    f(2.5),
                    (Value::Text("ab".into()), Char(4))
                ]
            ),
            "a1t1.502.5ab  "
        );
        assert_eq!(call_text("lower", &[null(Text)]), "NULL");
    }

    #[test]
    fn conditional_functions() {
        assert_eq!(call_text("coalesce", &[null(Int4), i(2), i(3)]), "2");
        assert_eq!(call_text("coalesce", &[null(Int4), null(Int4)]), "NULL");
        assert_eq!(call("coalesce", &[i(1), t("a")]).unwrap_err().code, "22P02");
        assert_eq!(call_text("greatest", &[i(1), null(Int4), i(3)]), "3");
        assert_eq!(call_text("least", &[null(Int4), null(Int4)]), "NULL");
        assert_eq!(call_text("least", &[i(2), n("1.5")]), "1.5");
        assert_eq!(call_text("greatest", &[t("a"), t("b")]), "b");
        assert_eq!(call_text("nullif", &[i(1), i(1)]), "NULL");
        assert_eq!(call_text("nullif", &[t("a"), t("b")]), "a");
        assert_eq!(call_text("nullif", &[null(Int4), i(1)]), "NULL");
    }

    #[test]
    fn extract_fields() {
        let ts = (Value::Timestamp(text::parse_timestamp("2024-01-31 12:34:56.789").unwrap()), Timestamp);
        let date = (Value::Date(text::parse_date("2024-01-31").unwrap()), Date);
        let ex = |field: &str, source: &(Value, DataType)| call_text("extract", &[t(field), source.clone()]);
        assert_eq!(ex("year", &ts), "2024");
        assert_eq!(ex("second", &ts), "56.789000");
        assert_eq!(ex("epoch", &ts), "1706704496.789000");
        assert_eq!(ex("milliseconds", &ts), "56789.000");
        assert_eq!(ex("microseconds", &ts), "56789000");
        assert_eq!(ex("minute", &ts), "34");
        assert_eq!(ex("dow", &date), "3");
        assert_eq!(ex("epoch", &date), "1706659200");
        assert_eq!(ex("doy", &date), "31");
        assert_eq!(ex("week", &date), "5");
        assert_eq!(ex("century", &date), "21");
        assert_eq!(ex("decade", &date), "202");
        assert_eq!(ex("millennium", &date), "3");
        assert_eq!(ex("julian", &date), "2460341");
        let e = call("extract", &[t("hour"), date.clone()]).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("0A000", "unit \"hour\" not supported for type date"));
        let e = call("extract", &[t("foo"), ts.clone()]).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("22023", "unit \"foo\" not recognized for type timestamp without time zone")
        );
    }

    fn aggregate(
        name: &str,
        arg_type: Option<DataType>,
        distinct: bool,
        values: &[Value],
    ) -> Result<(Value, DataType)> {
        let resolved = resolve_aggregate(name, arg_type.as_ref(), distinct)?;
        let mut acc = accumulator(&resolved);
        for value in values {
            acc.update(value)?;
        }
        Ok((acc.finish()?, resolved.result_type))
    }

    fn agg_text(name: &str, arg_type: DataType, distinct: bool, values: &[Value]) -> String {
        let (value, t) = aggregate(name, Some(arg_type), distinct, values).unwrap();
        if value.is_null() {
            "NULL".into()
        } else {
            text::format(&value, &t)
        }
    }

    fn ints(v: &[i64]) -> Vec<Value> {
        v.iter().map(|i| Value::Int(*i)).collect()
    }

    fn nums(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| Value::Numeric(crate::types::numeric::Numeric::from_str(s).unwrap())).collect()
    }

    #[test]
    fn aggregate_resolution() {
        let r = |name: &str, t: DataType| resolve_aggregate(name, Some(&t), false).map(|a| a.result_type);
        assert_eq!(r("sum", Int4).unwrap(), Int8);
        assert_eq!(r("sum", Int2).unwrap(), Int8);
        assert_eq!(r("sum", Int8).unwrap(), Numeric(None));
        assert_eq!(r("sum", Numeric(Some((10, 2)))).unwrap(), Numeric(None));
        assert_eq!(r("sum", Float4).unwrap(), Float4);
        assert_eq!(r("avg", Int4).unwrap(), Numeric(None));
        assert_eq!(r("avg", Float4).unwrap(), Float8);
        assert_eq!(r("min", Varchar(Some(3))).unwrap(), Text);
        assert_eq!(r("max", Date).unwrap(), Date);
        assert_eq!(r("count", Bool).unwrap(), Int8);
        assert_eq!(resolve_aggregate("count", None, false).unwrap().function, AggregateFunction::CountStar);
        assert_eq!(r("sum", Text).unwrap_err().message, "function sum(text) does not exist");
        let e = r("sum", Unknown).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("42725", "function sum(unknown) is not unique"));
        assert_eq!(r("max", Uuid).unwrap_err().message, "function max(uuid) does not exist");
        assert_eq!(r("min", Bool).unwrap_err().message, "function min(boolean) does not exist");
        assert!(is_aggregate("count") && is_aggregate("bool_or") && !is_aggregate("lower"));
    }

    #[test]
    fn aggregates_match_postgres() {
        assert_eq!(agg_text("avg", Int4, false, &ints(&[1, 2])), "1.5000000000000000");
        assert_eq!(agg_text("avg", Int4, false, &ints(&[10, 20])), "15.0000000000000000");
        assert_eq!(agg_text("avg", Int8, false, &ints(&[100000, 2])), "50001.000000000000");
        assert_eq!(agg_text("avg", Int4, false, &ints(&[123456789, 987654321])), "555555555.00000000");
        assert_eq!(agg_text("avg", Numeric(None), false, &nums(&["1.25", "2"])), "1.6250000000000000");
        assert_eq!(agg_text("avg", Numeric(None), false, &nums(&["1.0", "2.00", "3"])), "2.0000000000000000");
        assert_eq!(agg_text("avg", Numeric(None), false, &nums(&["0.001", "0.002"])), "0.00150000000000000000");
        assert_eq!(agg_text("avg", Float4, false, &[Value::Float(1.0), Value::Float(2.5)]), "1.75");
        assert_eq!(agg_text("sum", Float4, false, &[Value::Float(1.0), Value::Float(2.5)]), "3.5");
        assert_eq!(agg_text("sum", Int4, false, &ints(&[2147483647, 1])), "2147483648");
        assert_eq!(agg_text("sum", Int8, false, &ints(&[i64::MAX, 1])), "9223372036854775808");
        assert_eq!(agg_text("sum", Numeric(None), false, &nums(&["1.50", "2"])), "3.50");
        assert_eq!(
            aggregate("sum", Some(Int4), false, &ints(&[i64::MAX, 1])).unwrap_err().message,
            "bigint out of range"
        );
        let e = aggregate("sum", Some(Float8), false, &[Value::Float(1e308), Value::Float(1e308)]).unwrap_err();
        assert_eq!(e.message, "value out of range: overflow");
        assert_eq!(agg_text("min", Text, false, &[Value::Text("b".into()), Value::Null, Value::Text("a".into())]), "a");
        assert_eq!(agg_text("max", Int4, false, &ints(&[3, 7, 5])), "7");
        assert_eq!(agg_text("min", Numeric(None), false, &nums(&["1.50", "1.2"])), "1.2");
    }

    #[test]
    fn aggregates_over_nulls_and_distinct() {
        let nulls = [Value::Null];
        assert_eq!(agg_text("sum", Int4, false, &nulls), "NULL");
        assert_eq!(agg_text("avg", Int4, false, &nulls), "NULL");
        assert_eq!(agg_text("min", Int4, false, &nulls), "NULL");
        assert_eq!(agg_text("count", Int4, false, &nulls), "0");
        let (count_star, _) = aggregate("count", None, false, &nulls).unwrap();
        assert_eq!(count_star, Value::Int(1));
        assert_eq!(agg_text("sum", Int4, true, &ints(&[1, 1, 2])), "3");
        assert_eq!(agg_text("count", Int4, true, &ints(&[1, 1, 2])), "2");
        assert_eq!(agg_text("avg", Int4, true, &ints(&[1, 1, 2])), "1.5000000000000000");
        assert_eq!(agg_text("count", Numeric(None), true, &nums(&["1.0", "1.00", "2"])), "2");
        let bools = [Value::Bool(true), Value::Bool(false), Value::Null];
        assert_eq!(agg_text("bool_and", Bool, false, &bools), "f");
        assert_eq!(agg_text("bool_or", Bool, false, &bools), "t");
        assert_eq!(agg_text("every", Bool, false, &bools[..1]), "t");
        assert_eq!(agg_text("bool_or", Bool, false, &nulls), "NULL");
    }
}
