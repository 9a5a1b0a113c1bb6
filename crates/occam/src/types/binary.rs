//! Binary input and output of values in PostgreSQL's binary wire format.
//!
//! Integers and floats big-endian, bool one byte, uuid 16 bytes, date = days since 2000-01-01 (i32),
//! timestamp/timestamptz = microseconds since 2000-01-01 (i64), numeric in PostgreSQL's base-10000 digit
//! format, text/varchar/bytea raw bytes.

use crate::error::Result;
use crate::types::{DataType, Value};

/// Appends the binary form of a non-null `value` of type `data_type` to `out`.
pub fn encode(_value: &Value, _data_type: &DataType, _out: &mut Vec<u8>) {
    todo!("values helper")
}

/// Decodes the binary form of a value of `data_type` (22P03 on malformed input).
pub fn decode(_bytes: &[u8], _data_type: &DataType) -> Result<Value> {
    todo!("values helper")
}
