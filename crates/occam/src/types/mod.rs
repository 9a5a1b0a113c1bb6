//! SQL data types and values.
//!
//! [`DataType`] is a column's or expression's static type; [`Value`] is one datum. Integer widths share one
//! `Value::Int` variant because the static type (known to the planner) decides range checks and wire
//! encoding; values are stored and compared in their widest form. Text input/output (casts, the wire's text
//! format) lives in `types::text` so casting and the protocol agree on one spelling per type.

pub mod binary;
pub mod text;

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

/// A SQL data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// numeric(precision, scale); `None` means unconstrained.
    Numeric(Option<(u32, u32)>),
    Text,
    /// varchar(n) / character varying(n); `None` means unlimited.
    Varchar(Option<u32>),
    /// char(n) / character(n), blank padded.
    Char(u32),
    Bytea,
    Uuid,
    Date,
    Timestamp,
    Timestamptz,
    /// The type of an untyped literal or parameter before inference (PostgreSQL's `unknown`).
    Unknown,
}

impl DataType {
    /// PostgreSQL type OID, as sent in RowDescription and ParameterDescription.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Timestamp => 1114,
            DataType::Timestamptz => 1184,
            DataType::Numeric(_) => 1700,
            DataType::Uuid => 2950,
        }
    }

    /// The type for a PostgreSQL type OID, for parameter types declared by a client in Parse.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        Some(match oid {
            16 => DataType::Bool,
            17 => DataType::Bytea,
            20 => DataType::Int8,
            21 => DataType::Int2,
            23 => DataType::Int4,
            25 => DataType::Text,
            700 => DataType::Float4,
            701 => DataType::Float8,
            705 => DataType::Unknown,
            1042 => DataType::Char(1),
            1043 => DataType::Varchar(None),
            1082 => DataType::Date,
            1114 => DataType::Timestamp,
            1184 => DataType::Timestamptz,
            1700 => DataType::Numeric(None),
            2950 => DataType::Uuid,
            _ => return None,
        })
    }

    /// The type's name as PostgreSQL prints it in error messages (`integer`, `character varying`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Bool => "boolean",
            DataType::Int2 => "smallint",
            DataType::Int4 => "integer",
            DataType::Int8 => "bigint",
            DataType::Float4 => "real",
            DataType::Float8 => "double precision",
            DataType::Numeric(_) => "numeric",
            DataType::Text => "text",
            DataType::Varchar(_) => "character varying",
            DataType::Char(_) => "character",
            DataType::Bytea => "bytea",
            DataType::Uuid => "uuid",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp without time zone",
            DataType::Timestamptz => "timestamp with time zone",
            DataType::Unknown => "unknown",
        }
    }

    /// Wire size as in RowDescription (-1 for variable length).
    pub fn type_size(&self) -> i16 {
        match self {
            DataType::Bool => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::Uuid => 16,
            _ => -1,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    pub fn is_numeric_family(&self) -> bool {
        matches!(
            self,
            DataType::Int2
                | DataType::Int4
                | DataType::Int8
                | DataType::Float4
                | DataType::Float8
                | DataType::Numeric(_)
        )
    }

    pub fn is_string(&self) -> bool {
        matches!(self, DataType::Text | DataType::Varchar(_) | DataType::Char(_))
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            DataType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            DataType::Char(n) => write!(f, "character({n})"),
            other => f.write_str(other.name()),
        }
    }
}

/// One SQL value. Integers of every width are `Int`; the static [`DataType`] says which width it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(Decimal),
    Text(String),
    Bytea(Vec<u8>),
    Uuid(uuid::Uuid),
    /// Days since 1970-01-01.
    Date(chrono::NaiveDate),
    Timestamp(chrono::NaiveDateTime),
    Timestamptz(chrono::DateTime<chrono::Utc>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Total order used by ORDER BY, GROUP BY and index keys: NULL sorts last (PostgreSQL's default for
    /// ASC), NaN sorts above every other float, and values of different variants (which the planner never
    /// compares) order by variant.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Int(a), Float(b)) => (*a as f64).total_cmp(b),
            (Float(a), Int(b)) => a.total_cmp(&(*b as f64)),
            (Int(a), Numeric(b)) => Decimal::from(*a).cmp(b),
            (Numeric(a), Int(b)) => a.cmp(&Decimal::from(*b)),
            (Text(a), Text(b)) => a.cmp(b),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Timestamptz(a), Timestamptz(b)) => a.cmp(b),
            (a, b) => a.variant_rank().cmp(&b.variant_rank()),
        }
    }

    fn variant_rank(&self) -> u8 {
        match self {
            Value::Bool(_) => 0,
            Value::Int(_) | Value::Float(_) | Value::Numeric(_) => 1,
            Value::Text(_) => 2,
            Value::Bytea(_) => 3,
            Value::Uuid(_) => 4,
            Value::Date(_) => 5,
            Value::Timestamp(_) => 6,
            Value::Timestamptz(_) => 7,
            Value::Null => 8,
        }
    }
}

/// A row of values, in table or output column order.
pub type Row = Vec<Value>;
