//! Text input and output of values: casts from/to text and the wire protocol's text format.
//!
//! Output matches PostgreSQL 15 byte for byte (psql and drivers parse it): booleans `t`/`f`, floats in
//! shortest round-trip form (`1e+20`, `Infinity`, `NaN`), numeric with its scale, timestamps
//! `2024-01-02 03:04:05.123456` (fraction trimmed), timestamptz with `+00`, bytea as `\x...` hex, dates ISO.

use crate::error::Result;
use crate::types::{DataType, Value};

/// The text form of a non-null `value` of type `data_type`.
pub fn format(_value: &Value, _data_type: &DataType) -> String {
    todo!("values helper")
}

/// Parses the text form of a value of `data_type` (22P02 `invalid input syntax for type integer: "x"`,
/// 22003 out of range, 22007/22008 for dates and times).
pub fn parse(_text: &str, _data_type: &DataType) -> Result<Value> {
    todo!("values helper")
}
