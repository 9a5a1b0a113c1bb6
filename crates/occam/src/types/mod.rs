//! SQL data types and values.
//!
//! [`DataType`] is a column's or expression's static type; [`Value`] is one datum. Integer widths share one
//! `Value::Int` variant because the static type (known to the planner) decides range checks and wire
//! encoding; values are stored and compared in their widest form. Text input/output (casts, the wire's text
//! format) lives in `types::text` so casting and the protocol agree on one spelling per type.

pub mod binary;
pub mod interval;
pub mod json;
pub mod numeric;
pub mod text;
pub mod zone;

use std::cmp::Ordering;
use std::fmt;

/// The kind of object an object-identifier alias type names (PostgreSQL's `reg*` types): values are
/// oids that read and print as names, looked up in the catalog (`sql::system::names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegKind {
    /// `regclass`: a table, index or system relation.
    Class,
    /// `regtype`: a type.
    Type,
    /// `regproc`: a function, by name.
    Proc,
    /// `regnamespace`: a schema.
    Namespace,
    /// `regrole`: a role.
    Role,
}

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
    Numeric(Option<(u32, i32)>),
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
    /// `interval`: months, days and microseconds (`Value::Interval`).
    Interval,
    /// The type of an untyped literal or parameter before inference (PostgreSQL's `unknown`).
    Unknown,
    /// `oid`: an unsigned 4-byte object identifier (a `Value::Int`). The catalog relations' key columns.
    Oid,
    /// `regclass`, `regtype`, ...: an oid that reads and prints as an object's name (a `Value::Int`).
    Reg(RegKind),
    /// `name`: an identifier of at most 63 bytes (a `Value::Text`); compares as text.
    Name,
    /// `"char"`: one byte (a `Value::Text` of at most one character), the catalogs' kind codes.
    InternalChar,
    /// `int2vector` / `oidvector`: arrays (`Value::Array`) subscripted from 0 and printed as `1 2 3`.
    Int2Vector,
    OidVector,
    /// A one-dimensional array (`Value::Array`, subscripts from 1) of the element type.
    Array(ArrayElement),
    /// `aclitem`: one privilege grant in its text form `grantee=privs/grantor` (a `Value::Text`).
    AclItem,
    /// `pg_node_tree`: a stored expression; occam keeps its SQL text (a `Value::Text`).
    NodeTree,
    /// `json`: JSON text kept exactly as written, validated on input (a `Value::Text`; `types::json`).
    Json,
    /// `jsonb`: a normalized JSON tree (a `Value::Jsonb`; `types::json`).
    Jsonb,
    /// `record`: a row of a built-in set-returning function called where a value is expected
    /// (`SELECT jsonb_each(doc)`); its fields in order are a `Value::Array`.
    Record(RecordShape),
}

/// The field names of the record shapes there are (`RecordShape::names` indexes it): the output columns of
/// the built-in set-returning functions with two of them.
static RECORD_FIELD_NAMES: [[&str; 2]; 3] = [["x", "n"], ["option_name", "option_value"], ["key", "value"]];

/// The shape of a [`DataType::Record`]: two fields, named by one entry of the known pairs and typed by
/// element types (so that a `DataType` stays 12 bytes). The rows of `information_schema._pg_expandarray`
/// (pgjdbc's `getPrimaryKeys` reads `(keys).x`), `pg_options_to_table` and `json[b]_each[_text]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordShape {
    names: u8,
    types: [ArrayElement; 2],
}

impl RecordShape {
    /// The shape of a row of these columns, if it is one a record can have.
    pub fn of(columns: &[(&str, DataType)]) -> Option<RecordShape> {
        let [(first, first_type), (second, second_type)] = columns else { return None };
        let names = RECORD_FIELD_NAMES.iter().position(|pair| pair == &[*first, *second])?;
        let element = |t: &DataType| match t.array_of() {
            Some(DataType::Array(element)) if element.data_type() == *t => Some(element),
            _ => None,
        };
        Some(RecordShape { names: names as u8, types: [element(first_type)?, element(second_type)?] })
    }

    /// The fields' names and types, in order.
    pub fn fields(self) -> [(&'static str, DataType); 2] {
        let names = RECORD_FIELD_NAMES[self.names as usize];
        [(names[0], self.types[0].data_type()), (names[1], self.types[1].data_type())]
    }
}

/// Element types arrays exist for (an array of a type with a modifier has the unmodified element type), in
/// the order of [`ArrayElement`]'s indices.
static ARRAY_ELEMENTS: [DataType; 29] = [
    DataType::Bool,
    DataType::Int2,
    DataType::Int4,
    DataType::Int8,
    DataType::Float4,
    DataType::Float8,
    DataType::Numeric(None),
    DataType::Text,
    DataType::Varchar(None),
    DataType::Char(1),
    DataType::Bytea,
    DataType::Uuid,
    DataType::Date,
    DataType::Timestamp,
    DataType::Timestamptz,
    DataType::Oid,
    DataType::Reg(RegKind::Class),
    DataType::Reg(RegKind::Type),
    DataType::Reg(RegKind::Proc),
    DataType::Reg(RegKind::Namespace),
    DataType::Reg(RegKind::Role),
    DataType::Name,
    DataType::InternalChar,
    DataType::Int2Vector,
    DataType::OidVector,
    DataType::AclItem,
    DataType::Interval,
    DataType::Json,
    DataType::Jsonb,
];

/// An array type's element type: an index into the element types arrays exist for (so that a
/// `DataType`, of which expression trees hold many, stays 12 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArrayElement(u8);

impl ArrayElement {
    pub const BOOL: ArrayElement = ArrayElement(0);
    pub const INT2: ArrayElement = ArrayElement(1);
    pub const INT4: ArrayElement = ArrayElement(2);
    pub const FLOAT4: ArrayElement = ArrayElement(4);
    pub const TEXT: ArrayElement = ArrayElement(7);
    pub const OID: ArrayElement = ArrayElement(15);
    pub const NAME: ArrayElement = ArrayElement(21);
    pub const INTERNAL_CHAR: ArrayElement = ArrayElement(22);
    pub const ACLITEM: ArrayElement = ArrayElement(25);
    pub const JSONB: ArrayElement = ArrayElement(28);

    /// The element type.
    pub fn data_type(self) -> DataType {
        ARRAY_ELEMENTS[self.0 as usize]
    }
}

impl fmt::Debug for ArrayElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.data_type())
    }
}

impl DataType {
    /// Every built-in type occam knows (`pg_type`'s rows, with the array types of [`DataType::array_of`]).
    pub const BUILTINS: &'static [DataType] = &[
        DataType::Bool,
        DataType::Bytea,
        DataType::InternalChar,
        DataType::Name,
        DataType::Int8,
        DataType::Int2,
        DataType::Int2Vector,
        DataType::Int4,
        DataType::Reg(RegKind::Proc),
        DataType::Text,
        DataType::Oid,
        DataType::OidVector,
        DataType::NodeTree,
        DataType::Float4,
        DataType::Float8,
        DataType::Unknown,
        DataType::AclItem,
        DataType::Char(1),
        DataType::Varchar(None),
        DataType::Date,
        DataType::Timestamp,
        DataType::Timestamptz,
        DataType::Numeric(None),
        DataType::Reg(RegKind::Class),
        DataType::Reg(RegKind::Type),
        DataType::Uuid,
        DataType::Reg(RegKind::Namespace),
        DataType::Reg(RegKind::Role),
        DataType::Interval,
        DataType::Json,
        DataType::Jsonb,
    ];

    /// PostgreSQL type OID, as sent in RowDescription and ParameterDescription (`pg_type.oid`).
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::InternalChar => 18,
            DataType::Name => 19,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int2Vector => 22,
            DataType::Int4 => 23,
            DataType::Reg(RegKind::Proc) => 24,
            DataType::Text => 25,
            DataType::Oid => 26,
            DataType::OidVector => 30,
            DataType::Json => 114,
            DataType::NodeTree => 194,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::AclItem => 1033,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Timestamp => 1114,
            DataType::Timestamptz => 1184,
            DataType::Interval => 1186,
            DataType::Numeric(_) => 1700,
            DataType::Reg(RegKind::Class) => 2205,
            DataType::Reg(RegKind::Type) => 2206,
            DataType::Uuid => 2950,
            DataType::Reg(RegKind::Namespace) => 4089,
            DataType::Reg(RegKind::Role) => 4096,
            DataType::Jsonb => 3802,
            DataType::Record(_) => 2249,
            DataType::Array(element) => element.data_type().array_oid().unwrap_or(0),
        }
    }

    /// The OID of the array type whose elements are of this type (`pg_type.typarray`), if it has one.
    pub fn array_oid(&self) -> Option<u32> {
        Some(match self {
            DataType::Bool => 1000,
            DataType::Bytea => 1001,
            DataType::InternalChar => 1002,
            DataType::Name => 1003,
            DataType::Int2 => 1005,
            DataType::Int2Vector => 1006,
            DataType::Int4 => 1007,
            DataType::Reg(RegKind::Proc) => 1008,
            DataType::Text => 1009,
            DataType::OidVector => 1013,
            DataType::Char(_) => 1014,
            DataType::Varchar(_) => 1015,
            DataType::Int8 => 1016,
            DataType::Float4 => 1021,
            DataType::Float8 => 1022,
            DataType::Oid => 1028,
            DataType::AclItem => 1034,
            DataType::Timestamp => 1115,
            DataType::Date => 1182,
            DataType::Timestamptz => 1185,
            DataType::Interval => 1187,
            DataType::Numeric(_) => 1231,
            DataType::Reg(RegKind::Class) => 2210,
            DataType::Reg(RegKind::Type) => 2211,
            DataType::Uuid => 2951,
            DataType::Reg(RegKind::Namespace) => 4090,
            DataType::Reg(RegKind::Role) => 4097,
            DataType::Json => 199,
            DataType::Jsonb => 3807,
            _ => return None,
        })
    }

    /// The array type of elements of this type (`text` -> `text[]`), if there is one.
    pub fn array_of(&self) -> Option<DataType> {
        let element = match self {
            DataType::Numeric(_) => DataType::Numeric(None),
            DataType::Varchar(_) => DataType::Varchar(None),
            DataType::Char(_) => DataType::Char(1),
            other => *other,
        };
        ARRAY_ELEMENTS.iter().position(|e| *e == element).map(|i| DataType::Array(ArrayElement(i as u8)))
    }

    /// The element type of an array or vector type.
    pub fn element(&self) -> Option<DataType> {
        match self {
            DataType::Array(element) => Some(element.data_type()),
            DataType::Int2Vector => Some(DataType::Int2),
            DataType::OidVector => Some(DataType::Oid),
            _ => None,
        }
    }

    /// Whether values are `Value::Array`s (arrays and the vector types).
    pub fn is_array(&self) -> bool {
        self.element().is_some()
    }

    /// The type for a PostgreSQL type OID, for parameter types declared by a client in Parse.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        if let Some(found) = DataType::BUILTINS.iter().find(|t| t.oid() == oid) {
            return Some(*found);
        }
        ARRAY_ELEMENTS.iter().find(|e| e.array_oid() == Some(oid)).and_then(DataType::array_of)
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
            DataType::Interval => "interval",
            DataType::Unknown => "unknown",
            DataType::Oid => "oid",
            DataType::Reg(RegKind::Class) => "regclass",
            DataType::Reg(RegKind::Type) => "regtype",
            DataType::Reg(RegKind::Proc) => "regproc",
            DataType::Reg(RegKind::Namespace) => "regnamespace",
            DataType::Reg(RegKind::Role) => "regrole",
            DataType::Name => "name",
            DataType::InternalChar => "\"char\"",
            DataType::Int2Vector => "int2vector",
            DataType::OidVector => "oidvector",
            DataType::AclItem => "aclitem",
            DataType::NodeTree => "pg_node_tree",
            DataType::Json => "json",
            DataType::Jsonb => "jsonb",
            DataType::Record(_) => "record",
            DataType::Array(element) => match element.data_type() {
                DataType::Bool => "boolean[]",
                DataType::Int2 => "smallint[]",
                DataType::Int4 => "integer[]",
                DataType::Int8 => "bigint[]",
                DataType::Float4 => "real[]",
                DataType::Float8 => "double precision[]",
                DataType::Numeric(_) => "numeric[]",
                DataType::Text => "text[]",
                DataType::Varchar(_) => "character varying[]",
                DataType::Char(_) => "character[]",
                DataType::Bytea => "bytea[]",
                DataType::Uuid => "uuid[]",
                DataType::Date => "date[]",
                DataType::Timestamp => "timestamp without time zone[]",
                DataType::Timestamptz => "timestamp with time zone[]",
                DataType::Interval => "interval[]",
                DataType::Oid => "oid[]",
                DataType::Reg(RegKind::Class) => "regclass[]",
                DataType::Reg(RegKind::Type) => "regtype[]",
                DataType::Reg(RegKind::Proc) => "regproc[]",
                DataType::Reg(RegKind::Namespace) => "regnamespace[]",
                DataType::Reg(RegKind::Role) => "regrole[]",
                DataType::Name => "name[]",
                DataType::InternalChar => "\"char\"[]",
                DataType::Int2Vector => "int2vector[]",
                DataType::OidVector => "oidvector[]",
                DataType::AclItem => "aclitem[]",
                DataType::Json => "json[]",
                DataType::Jsonb => "jsonb[]",
                _ => "anyarray",
            },
        }
    }

    /// PostgreSQL's internal type name (`int4`, `bpchar`, `_text`): `pg_type.typname`, and the name of a
    /// cast's output column.
    pub fn internal_name(&self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int2 => "int2",
            DataType::Int4 => "int4",
            DataType::Int8 => "int8",
            DataType::Float4 => "float4",
            DataType::Float8 => "float8",
            DataType::Numeric(_) => "numeric",
            DataType::Text => "text",
            DataType::Varchar(_) => "varchar",
            DataType::Char(_) => "bpchar",
            DataType::Bytea => "bytea",
            DataType::Uuid => "uuid",
            DataType::Date => "date",
            DataType::Timestamp => "timestamp",
            DataType::Timestamptz => "timestamptz",
            DataType::Interval => "interval",
            DataType::Unknown => "unknown",
            DataType::Oid => "oid",
            DataType::Reg(RegKind::Class) => "regclass",
            DataType::Reg(RegKind::Type) => "regtype",
            DataType::Reg(RegKind::Proc) => "regproc",
            DataType::Reg(RegKind::Namespace) => "regnamespace",
            DataType::Reg(RegKind::Role) => "regrole",
            DataType::Name => "name",
            DataType::InternalChar => "char",
            DataType::Int2Vector => "int2vector",
            DataType::OidVector => "oidvector",
            DataType::AclItem => "aclitem",
            DataType::NodeTree => "pg_node_tree",
            DataType::Json => "json",
            DataType::Jsonb => "jsonb",
            DataType::Record(_) => "record",
            DataType::Array(element) => match element.data_type() {
                DataType::Bool => "_bool",
                DataType::Int2 => "_int2",
                DataType::Int4 => "_int4",
                DataType::Int8 => "_int8",
                DataType::Float4 => "_float4",
                DataType::Float8 => "_float8",
                DataType::Numeric(_) => "_numeric",
                DataType::Text => "_text",
                DataType::Varchar(_) => "_varchar",
                DataType::Char(_) => "_bpchar",
                DataType::Bytea => "_bytea",
                DataType::Uuid => "_uuid",
                DataType::Date => "_date",
                DataType::Timestamp => "_timestamp",
                DataType::Timestamptz => "_timestamptz",
                DataType::Interval => "_interval",
                DataType::Oid => "_oid",
                DataType::Reg(RegKind::Class) => "_regclass",
                DataType::Reg(RegKind::Type) => "_regtype",
                DataType::Reg(RegKind::Proc) => "_regproc",
                DataType::Reg(RegKind::Namespace) => "_regnamespace",
                DataType::Reg(RegKind::Role) => "_regrole",
                DataType::Name => "_name",
                DataType::InternalChar => "_char",
                DataType::Int2Vector => "_int2vector",
                DataType::OidVector => "_oidvector",
                DataType::AclItem => "_aclitem",
                DataType::Json => "_json",
                DataType::Jsonb => "_jsonb",
                _ => "anyarray",
            },
        }
    }

    /// Size in bytes (`pg_type.typlen`, RowDescription's type size): -1 for variable length.
    pub fn type_size(&self) -> i16 {
        match self {
            DataType::Bool | DataType::InternalChar => 1,
            DataType::Int2 => 2,
            DataType::Int4 | DataType::Float4 | DataType::Date | DataType::Oid | DataType::Reg(_) => 4,
            DataType::Int8 | DataType::Float8 | DataType::Timestamp | DataType::Timestamptz => 8,
            DataType::AclItem => 12,
            DataType::Uuid | DataType::Interval => 16,
            DataType::Name => 64,
            DataType::Unknown => -2,
            _ => -1,
        }
    }

    /// The type modifier PostgreSQL records (`atttypmod`, RowDescription): a declared length or precision
    /// plus the 4-byte header, else -1.
    pub fn typmod(&self) -> i32 {
        match self {
            DataType::Varchar(Some(n)) | DataType::Char(n) => *n as i32 + 4,
            // PostgreSQL's packing: the scale in the low 11 bits (two's complement, so -1000..1000 fit).
            DataType::Numeric(Some((precision, scale))) => {
                (((*precision << 16) | (*scale as u32 & 0x7ff)) as i32).wrapping_add(4)
            }
            _ => -1,
        }
    }

    /// `pg_type.typcategory`: A array, B boolean, D date/time, N numeric, P pseudo, S string, T timespan, U user,
    /// X unknown, Z internal.
    pub fn category(&self) -> char {
        match self {
            DataType::Bool => 'B',
            DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Float4 | DataType::Float8 => 'N',
            DataType::Numeric(_) | DataType::Oid | DataType::Reg(_) => 'N',
            DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Name => 'S',
            DataType::InternalChar | DataType::NodeTree => 'Z',
            DataType::Date | DataType::Timestamp | DataType::Timestamptz => 'D',
            DataType::Interval => 'T',
            DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => 'A',
            DataType::Unknown => 'X',
            DataType::Bytea | DataType::Uuid | DataType::AclItem | DataType::Json | DataType::Jsonb => 'U',
            DataType::Record(_) => 'P',
        }
    }

    /// Whether a table column may have this type (the catalog's own types are for reading catalogs only:
    /// `0A000 datatype oid not supported`, as Aurora DSQL refuses them).
    pub fn is_storable(&self) -> bool {
        match self {
            // An array of a storable type (`text[]`, `int[]`); DSQL refuses them all (`Rules::check_column_type`).
            DataType::Array(element) => element.data_type().is_storable(),
            _ => !matches!(
                self,
                DataType::Unknown
                    | DataType::Oid
                    | DataType::Reg(_)
                    | DataType::Name
                    | DataType::InternalChar
                    | DataType::Int2Vector
                    | DataType::OidVector
                    | DataType::AclItem
                    | DataType::NodeTree
                    | DataType::Record(_)
            ),
        }
    }

    /// Whether a value read back from its key encoding (`storage::keycode::encode_value`) prints as it was
    /// written. Not for a numeric without a declared scale (`1.50` keys as `1.5`) nor for jsonb (its
    /// numbers likewise); a `numeric(p, s)` value gets its scale back from the type (see
    /// [`DataType::restore_key_value`]).
    pub fn key_keeps_value(&self) -> bool {
        !matches!(self, DataType::Numeric(None) | DataType::Jsonb)
    }

    /// A value decoded from a key, given back the scale of a `numeric(p, s)` column (keys drop trailing
    /// zeros).
    pub fn restore_key_value(&self, value: Value) -> Value {
        match (self, value) {
            (DataType::Numeric(Some((_, scale))), Value::Numeric(n)) => Value::Numeric(n.round(*scale as i64)),
            (_, value) => value,
        }
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DataType::Int2 | DataType::Int4 | DataType::Int8)
    }

    /// `oid` and the `reg*` types: oids in a `Value::Int`.
    pub fn is_oid(&self) -> bool {
        matches!(self, DataType::Oid | DataType::Reg(_))
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

    /// The string types: text, varchar, char(n), and the catalogs' `name` and `"char"`.
    pub fn is_string(&self) -> bool {
        matches!(
            self,
            DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::Name | DataType::InternalChar
        )
    }

    /// Types whose values are `Value::Text` without being string types for operators (`aclitem`,
    /// `pg_node_tree`): they convert to and from text by I/O.
    pub fn is_text_like(&self) -> bool {
        self.is_string() || matches!(self, DataType::AclItem | DataType::NodeTree)
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

/// Float comparison as PostgreSQL's float8_cmp: NaN equals NaN and sorts above everything; -0 = 0.
pub fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// One SQL value. Integers of every width are `Int`; the static [`DataType`] says which width it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(numeric::Numeric),
    Text(String),
    Bytea(Vec<u8>),
    Uuid(uuid::Uuid),
    /// A `jsonb` value (`types::json`); shared, since rows are cloned whole.
    Jsonb(std::sync::Arc<json::Jsonb>),
    /// Days since 1970-01-01.
    Date(chrono::NaiveDate),
    Timestamp(chrono::NaiveDateTime),
    Timestamptz(chrono::DateTime<chrono::Utc>),
    Interval(interval::Interval),
    /// An array (or `int2vector` / `oidvector`): its elements in order, one dimension. Catalog relations,
    /// `ARRAY(...)`, `ARRAY[...]` and array literals make them; tables cannot store them.
    Array(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Total order used by ORDER BY, GROUP BY and index keys: NULL sorts last (PostgreSQL's default for
    /// ASC), floats as [`float_cmp`] (-0 equals 0, NaN equals NaN and sorts above every other float), and
    /// values of different variants (which the planner never compares) order by variant.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Null, _) => Ordering::Greater,
            (_, Null) => Ordering::Less,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Float(a), Float(b)) => float_cmp(*a, *b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Int(a), Float(b)) => float_cmp(*a as f64, *b),
            (Float(a), Int(b)) => float_cmp(*a, *b as f64),
            (Int(a), Numeric(b)) => numeric::Numeric::from_i64(*a).cmp(b),
            (Numeric(a), Int(b)) => a.cmp(&numeric::Numeric::from_i64(*b)),
            (Text(a), Text(b)) => a.cmp(b),
            (Bytea(a), Bytea(b)) => a.cmp(b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Timestamptz(a), Timestamptz(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.cmp(b),
            (Jsonb(a), Jsonb(b)) => json::compare(a, b),
            // Element by element, then the shorter first (PostgreSQL's array_cmp for one dimension).
            (Array(a), Array(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match x.total_cmp(y) {
                        Ordering::Equal => {}
                        other => return other,
                    }
                }
                a.len().cmp(&b.len())
            }
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
            Value::Array(_) => 8,
            Value::Interval(_) => 9,
            Value::Jsonb(_) => 10,
            Value::Null => 11,
        }
    }
}

/// A row of values, in table or output column order.
pub type Row = Vec<Value>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_elements_and_type_oids_agree() {
        let named = [
            (ArrayElement::BOOL, DataType::Bool),
            (ArrayElement::INT2, DataType::Int2),
            (ArrayElement::INT4, DataType::Int4),
            (ArrayElement::FLOAT4, DataType::Float4),
            (ArrayElement::TEXT, DataType::Text),
            (ArrayElement::OID, DataType::Oid),
            (ArrayElement::NAME, DataType::Name),
            (ArrayElement::INTERNAL_CHAR, DataType::InternalChar),
            (ArrayElement::ACLITEM, DataType::AclItem),
        ];
        for (element, data_type) in named {
            assert_eq!(element.data_type(), data_type);
        }
        for data_type in DataType::BUILTINS {
            assert_eq!(DataType::from_oid(data_type.oid()), Some(*data_type), "{data_type:?}");
            if let Some(array) = data_type.array_of() {
                assert_eq!(array.element(), Some(*data_type));
                assert_eq!(DataType::from_oid(array.oid()), Some(array), "{array:?}");
                assert_eq!(Some(array.oid()), data_type.array_oid());
            }
        }
        assert_eq!(DataType::Varchar(Some(5)).array_of(), DataType::Varchar(None).array_of());
        assert_eq!(std::mem::size_of::<DataType>(), 12);
        let expand = RecordShape::of(&[("x", DataType::Int2), ("n", DataType::Int4)]).expect("a known shape");
        assert_eq!(expand.fields(), [("x", DataType::Int2), ("n", DataType::Int4)]);
        assert_eq!(RecordShape::of(&[("x", DataType::Int2), ("m", DataType::Int4)]), None);
    }
}
