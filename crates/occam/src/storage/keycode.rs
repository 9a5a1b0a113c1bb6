//! Order-preserving, self-delimiting encoding of SQL values into keys.
//!
//! A key is a sequence of encoded components; comparing two keys bytewise gives the same order as comparing
//! their component tuples value by value (NULL last, as PostgreSQL's ASC NULLS LAST). Each component is
//! self-delimiting, so no encoded key is a proper prefix of another tuple's encoding, and `txn` can append a
//! fixed-width version suffix without two keys' versions interleaving.
//!
//! ```text
//!   component := 0x02                      NULL
//!              | 0x01 payload              a value
//!   int       := i64 big-endian, sign bit flipped
//!   float     := f64 bits, all flipped if negative else sign bit flipped
//!   text/bytea:= bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//!   numeric   := sign class (0 neg, 1 zero, 2 pos), exponent, digits (complemented when negative)
//!   array     := (0x01 component)* 0x00    (never stored in tables; hash keys, DISTINCT, set operations)
//!   jsonb     := jsonb's own order-preserving form (`types::json::encode_key`); json is text
//! ```
//! A descending component is the same bytes complemented.

use crate::types::numeric::Numeric;

use crate::error::{Error, Result};
use crate::types::{DataType, Value};

const PRESENT: u8 = 0x01;
const NULL: u8 = 0x02;

/// The key prefix for entries of index `index_id` of table `table_id` (index 0 is the primary key, i.e. the
/// table's rows themselves).
pub fn table_prefix(table_id: u32, index_id: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(16);
    key.push(b't');
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(&index_id.to_be_bytes());
    key
}

/// Whether `key` is a table row (index 0 of a user table), not a secondary index entry or catalog row.
pub fn is_row_key(key: &[u8]) -> bool {
    key.len() >= 9 && key[0] == b't' && key[1..5] != [0; 4] && key[5..9] == [0; 4]
}

/// Appends one component to `out`; `descending` complements it so that the key sorts in reverse.
pub fn encode_value(out: &mut Vec<u8>, value: &Value, descending: bool) {
    let start = out.len();
    match value {
        Value::Null => out.push(NULL),
        other => {
            out.push(PRESENT);
            encode_payload(out, other);
        }
    }
    if descending {
        for byte in &mut out[start..] {
            *byte = !*byte;
        }
    }
}

/// The encoding under which values that SQL's `=` calls equal are equal bytes (GROUP BY, DISTINCT, set
/// operations, hash joins): the ascending key encoding, except that an interval is its normalized span
/// alone (`'1 mon' = '30 days'`, which keys keep apart so that they decode to the fields stored).
pub fn encode_for_equality(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Interval(interval) => {
            out.push(PRESENT);
            out.extend_from_slice(&((interval.span_micros() as u128) ^ (1 << 127)).to_be_bytes());
        }
        other => encode_value(out, other, false),
    }
}

/// Encodes a whole tuple of ascending components.
pub fn encode_key(prefix: &[u8], values: &[Value]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + values.len() * 9);
    key.extend_from_slice(prefix);
    for value in values {
        encode_value(&mut key, value, false);
    }
    key
}

fn encode_payload(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => unreachable!("handled by encode_value"),
        Value::Bool(b) => out.push(*b as u8),
        Value::Int(i) => out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes()),
        Value::Float(f) => {
            // Normalise -0.0 to 0.0 and every NaN to one NaN so equal values encode equally.
            let f = if *f == 0.0 {
                0.0
            } else if f.is_nan() {
                f64::NAN
            } else {
                *f
            };
            let bits = f.to_bits();
            let bits = if bits >> 63 == 1 { !bits } else { bits ^ (1 << 63) };
            out.extend_from_slice(&bits.to_be_bytes());
        }
        Value::Numeric(d) => encode_numeric(out, d),
        Value::Text(s) => encode_bytes(out, s.as_bytes()),
        Value::Bytea(b) => encode_bytes(out, b),
        Value::Uuid(u) => out.extend_from_slice(u.as_bytes()),
        Value::Jsonb(j) => crate::types::json::encode_key(out, j),
        Value::Date(d) => {
            let days = d.signed_duration_since(epoch_date()).num_days() as i32;
            out.extend_from_slice(&((days as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Timestamp(ts) => {
            let micros = ts.and_utc().timestamp_micros();
            out.extend_from_slice(&((micros as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Timestamptz(ts) => {
            out.extend_from_slice(&((ts.timestamp_micros() as u64) ^ (1 << 63)).to_be_bytes());
        }
        // The normalized span (16 bytes) orders as PostgreSQL compares; months and days follow so that the
        // key decodes back to the same fields (`'1 mon'` and `'30 days'` are adjacent, distinct keys).
        Value::Interval(i) => {
            out.extend_from_slice(&((i.span_micros() as u128) ^ (1 << 127)).to_be_bytes());
            out.extend_from_slice(&((i.months as u32) ^ (1 << 31)).to_be_bytes());
            out.extend_from_slice(&((i.days as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Array(elements) => {
            for element in elements {
                out.push(0x01);
                encode_value(out, element, false);
            }
            out.push(0x00);
        }
    }
}

fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// Exponents up to this are two bytes (`exponent + 0x8000`); larger ones (values of more than 32766 integer
/// digits, which occam's first numeric could not hold) are `FF FF` and four bytes, so older keys keep their
/// bytes and still sort below.
const NUMERIC_LONG_EXPONENT: i64 = 0x7FFE;

/// A numeric key: a sign class (0 negative, 1 zero, 2 positive), then the decimal exponent and the
/// significant digits as ASCII up to a 0 terminator (value = 0.DIGITS * 10^exponent), all complemented
/// when negative. Trailing zeros are dropped, so `1.50` and `1.5` have one key.
fn encode_numeric(out: &mut Vec<u8>, d: &Numeric) {
    if d.is_zero() {
        out.push(1);
        return;
    }
    let magnitude = d.magnitude_digits();
    let exponent = magnitude.len() as i64 - d.scale() as i64;
    let digits = magnitude.trim_end_matches('0');
    let mut body = Vec::with_capacity(digits.len() + 8);
    if exponent > NUMERIC_LONG_EXPONENT {
        body.extend_from_slice(&[0xff, 0xff]);
        body.extend_from_slice(&((exponent + 0x8000_0000) as u32).to_be_bytes());
    } else {
        body.extend_from_slice(&((exponent + 0x8000) as u16).to_be_bytes());
    }
    body.extend_from_slice(digits.as_bytes());
    body.push(0x00);
    if d.is_negative() {
        out.push(0);
        out.extend(body.iter().map(|b| !b));
    } else {
        out.push(2);
        out.extend_from_slice(&body);
    }
}

/// A stored numeric's scale after its key: one byte below 255 (all occam's first numeric wrote), else
/// `FF` and two bytes.
pub fn encode_numeric_scale(out: &mut Vec<u8>, scale: u32) {
    if scale < 0xff {
        out.push(scale as u8);
    } else {
        out.push(0xff);
        out.extend_from_slice(&(scale as u16).to_be_bytes());
    }
}

pub fn decode_numeric_scale(input: &mut &[u8]) -> Result<u32> {
    let truncated = || Error::internal("truncated numeric");
    let (&first, rest) = input.split_first().ok_or_else(truncated)?;
    *input = rest;
    if first < 0xff {
        return Ok(first as u32);
    }
    let bytes = input.get(..2).ok_or_else(truncated)?;
    let scale = u16::from_be_bytes([bytes[0], bytes[1]]) as u32;
    *input = &input[2..];
    Ok(scale)
}

fn epoch_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// Appends a column value as a stored row (or an index entry's INCLUDE columns) holds it: its key component,
/// then what the key drops: a non-null numeric's scale (one byte; the key makes `1.50` `1.5`), a jsonb's
/// numbers' scales (`types::json::append_scales`).
pub fn encode_stored_value(out: &mut Vec<u8>, value: &Value) {
    encode_value(out, value, false);
    append_normalized_away(out, value);
}

/// What the key encoding of `value` drops: a numeric's scale, a jsonb's numbers' scales, and those of an
/// array's elements, in element order (NULL elements add nothing).
fn append_normalized_away(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Numeric(d) => encode_numeric_scale(out, d.scale()),
        Value::Jsonb(j) => crate::types::json::append_scales(out, j),
        Value::Array(elements) => elements.iter().for_each(|element| append_normalized_away(out, element)),
        _ => {}
    }
}

/// Decodes a value written by [`encode_stored_value`].
pub fn decode_stored_value(input: &mut &[u8], data_type: &DataType) -> Result<Value> {
    let mut value = decode_value(input, data_type, false)?;
    restore_normalized_away(input, &mut value)?;
    Ok(value)
}

/// Reads back what [`append_normalized_away`] wrote for `value`.
fn restore_normalized_away(input: &mut &[u8], value: &mut Value) -> Result<()> {
    match value {
        Value::Numeric(d) => {
            let scale = decode_numeric_scale(input)?;
            *d = d.round(scale as i64);
        }
        Value::Jsonb(j) => crate::types::json::restore_scales(input, std::sync::Arc::make_mut(j))?,
        Value::Array(elements) => {
            for element in elements {
                restore_normalized_away(input, element)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Steps over a value written by [`encode_stored_value`], returning its bytes: for the types whose stored
/// value is its key component alone (not numeric, jsonb or arrays), comparing two such byte strings orders
/// the values as [`encode_value`] orders them.
pub fn stored_value_bytes<'a>(input: &mut &'a [u8], data_type: &DataType) -> Result<&'a [u8]> {
    let start = *input;
    skip_stored_value(input, data_type)?;
    Ok(&start[..start.len() - input.len()])
}

/// Whether a component (key or stored) is NULL.
pub fn is_null_component(component: &[u8]) -> bool {
    component.first() == Some(&NULL)
}

/// Steps over a value written by [`encode_stored_value`].
pub fn skip_stored_value(input: &mut &[u8], data_type: &DataType) -> Result<()> {
    let present = input.first() == Some(&PRESENT);
    match data_type {
        // Which elements carry a scale depends on which are NULL: read the array to step over it.
        DataType::Array(element)
            if present && matches!(element.data_type(), DataType::Numeric(_) | DataType::Jsonb) =>
        {
            decode_stored_value(input, data_type)?;
            return Ok(());
        }
        _ => skip_value(input, data_type, false)?,
    }
    match data_type {
        DataType::Numeric(_) if present => {
            decode_numeric_scale(input)?;
        }
        DataType::Jsonb if present => crate::types::json::skip_scales(input)?,
        _ => {}
    }
    Ok(())
}

/// Decodes one component of type `data_type` from the front of `input`, advancing it.
pub fn decode_value(input: &mut &[u8], data_type: &DataType, descending: bool) -> Result<Value> {
    let mut reader = Reader { input, invert: if descending { 0xff } else { 0 } };
    match reader.byte()? {
        NULL => Ok(Value::Null),
        PRESENT => reader.payload(data_type),
        other => Err(Error::internal(format!("corrupt key component tag {other}"))),
    }
}

/// Records are never stored, in a row or a key (`DataType::is_storable`).
fn record_key() -> Error {
    Error::internal("a record in a stored key")
}

/// Steps over one component of type `data_type` at the front of `input` without building its value (a
/// scan that does not need a column still has to find where the next one starts).
pub fn skip_value(input: &mut &[u8], data_type: &DataType, descending: bool) -> Result<()> {
    let invert = if descending { 0xff } else { 0 };
    let mut reader = Reader { input, invert };
    match reader.byte()? {
        NULL => return Ok(()),
        PRESENT => {}
        other => return Err(Error::internal(format!("corrupt key component tag {other}"))),
    }
    let fixed = match data_type {
        DataType::Record(_) => return Err(record_key()),
        DataType::Bool => 1,
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Float4
        | DataType::Float8
        | DataType::Oid
        | DataType::Reg(_) => 8,
        DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => {
            let element = data_type.element().unwrap_or(DataType::Text);
            while reader.byte()? == 0x01 {
                skip_value(reader.input, &element, descending)?;
            }
            return Ok(());
        }
        DataType::Jsonb => {
            crate::types::json::decode_key(reader.input, invert)?;
            return Ok(());
        }
        DataType::Uuid => 16,
        DataType::Date => 4,
        DataType::Timestamp | DataType::Timestamptz => 8,
        DataType::Interval => 24,
        DataType::Numeric(_) => {
            let class = reader.byte()?;
            if class == 1 {
                return Ok(());
            }
            // The exponent, then digits up to a terminator (all complemented when negative).
            let terminator = if class == 0 { 0xff } else { 0 };
            let exponent = [reader.byte()?, reader.byte()?];
            if exponent == [!terminator, !terminator] {
                reader.array::<4>()?;
            }
            while reader.byte()? != terminator {}
            return Ok(());
        }
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Unknown
        | DataType::Bytea
        | DataType::Name
        | DataType::InternalChar
        | DataType::AclItem
        | DataType::NodeTree
        | DataType::Json => loop {
            if reader.byte()? == 0 {
                match reader.byte()? {
                    0xff => {}
                    0x01 => return Ok(()),
                    _ => return Err(Error::internal("corrupt escaped key bytes")),
                }
            }
        },
    };
    if reader.input.len() < fixed {
        return Err(Error::internal("truncated key"));
    }
    *reader.input = &reader.input[fixed..];
    Ok(())
}

struct Reader<'a, 'b> {
    input: &'a mut &'b [u8],
    invert: u8,
}

impl Reader<'_, '_> {
    fn byte(&mut self) -> Result<u8> {
        let (&first, rest) = self.input.split_first().ok_or_else(|| Error::internal("truncated key"))?;
        *self.input = rest;
        Ok(first ^ self.invert)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self.input.split_first_chunk::<N>().ok_or_else(|| Error::internal("truncated key"))?;
        let mut out = *head;
        *self.input = rest;
        if self.invert != 0 {
            for byte in &mut out {
                *byte ^= self.invert;
            }
        }
        Ok(out)
    }

    fn escaped_bytes(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let b = self.byte()?;
            if b == 0 {
                match self.byte()? {
                    0xff => out.push(0),
                    0x01 => return Ok(out),
                    _ => return Err(Error::internal("corrupt escaped key bytes")),
                }
            } else {
                out.push(b);
            }
        }
    }

    fn payload(&mut self, data_type: &DataType) -> Result<Value> {
        Ok(match data_type {
            DataType::Record(_) => return Err(record_key()),
            DataType::Bool => Value::Bool(self.byte()? != 0),
            DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Oid | DataType::Reg(_) => {
                Value::Int((u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64)
            }
            DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => {
                let element = data_type.element().unwrap_or(DataType::Text);
                let mut elements = Vec::new();
                while self.byte()? == 0x01 {
                    elements.push(match self.byte()? {
                        NULL => Value::Null,
                        PRESENT => self.payload(&element)?,
                        other => return Err(Error::internal(format!("corrupt key component tag {other}"))),
                    });
                }
                Value::Array(elements)
            }
            DataType::Float4 | DataType::Float8 => {
                let bits = u64::from_be_bytes(self.array()?);
                let bits = if bits >> 63 == 1 { bits ^ (1 << 63) } else { !bits };
                Value::Float(f64::from_bits(bits))
            }
            DataType::Numeric(_) => self.numeric()?,
            DataType::Text
            | DataType::Varchar(_)
            | DataType::Char(_)
            | DataType::Unknown
            | DataType::Name
            | DataType::InternalChar
            | DataType::AclItem
            | DataType::NodeTree
            | DataType::Json => {
                let bytes = self.escaped_bytes()?;
                Value::Text(String::from_utf8(bytes).map_err(|_| Error::internal("corrupt text key"))?)
            }
            DataType::Bytea => Value::Bytea(self.escaped_bytes()?),
            DataType::Jsonb => Value::Jsonb(crate::types::json::decode_key(self.input, self.invert)?.into()),
            DataType::Uuid => Value::Uuid(uuid::Uuid::from_bytes(self.array()?)),
            DataType::Date => {
                let days = (u32::from_be_bytes(self.array()?) ^ (1 << 31)) as i32;
                // Only a corrupt key holds a day chrono cannot represent: an error, not a panic.
                let date = epoch_date().checked_add_signed(chrono::Duration::days(days as i64));
                Value::Date(date.ok_or_else(|| Error::internal("corrupt date key"))?)
            }
            DataType::Timestamp => {
                let micros = (u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64;
                Value::Timestamp(
                    chrono::DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| Error::internal("bad key"))?
                        .naive_utc(),
                )
            }
            DataType::Timestamptz => {
                let micros = (u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64;
                Value::Timestamptz(
                    chrono::DateTime::from_timestamp_micros(micros).ok_or_else(|| Error::internal("bad key"))?,
                )
            }
            DataType::Interval => {
                let span = (u128::from_be_bytes(self.array()?) ^ (1 << 127)) as i128;
                let months = (u32::from_be_bytes(self.array()?) ^ (1 << 31)) as i32;
                let days = (u32::from_be_bytes(self.array()?) ^ (1 << 31)) as i32;
                let mut interval = crate::types::interval::Interval { months, days, micros: 0 };
                let micros = span
                    .checked_sub(interval.span_micros())
                    .and_then(|micros| i64::try_from(micros).ok())
                    .ok_or_else(|| Error::internal("corrupt interval key"))?;
                interval.micros = micros;
                Value::Interval(interval)
            }
        })
    }

    fn numeric(&mut self) -> Result<Value> {
        let class = self.byte()?;
        if class == 1 {
            return Ok(Value::Numeric(Numeric::ZERO));
        }
        let negative = class == 0;
        let flip = if negative { 0xff } else { 0 };
        let exp_bytes = [self.byte()? ^ flip, self.byte()? ^ flip];
        let exponent = if exp_bytes == [0xff, 0xff] {
            let long = self.array::<4>()?.map(|b| b ^ flip);
            u32::from_be_bytes(long) as i64 - 0x8000_0000
        } else {
            u16::from_be_bytes(exp_bytes) as i64 - 0x8000
        };
        let mut digits = Vec::new();
        loop {
            let b = self.byte()? ^ flip;
            if b == 0 {
                break;
            }
            if !b.is_ascii_digit() {
                return Err(Error::internal("corrupt numeric key"));
            }
            digits.push(b);
        }
        // value = 0.DIGITS * 10^exponent = DIGITS / 10^(len - exponent); the digits have no trailing zeros,
        // so this is the value at its smallest scale (a stored row's scale follows).
        let scale = digits.len() as i64 - exponent;
        if digits.len() <= 38 && (0..=crate::types::numeric::MAX_SCALE as i64).contains(&scale) {
            let mantissa = digits.iter().fold(0i128, |m, d| m * 10 + (d - b'0') as i128);
            let mantissa = if negative { -mantissa } else { mantissa };
            return Ok(Value::Numeric(Numeric::from_i128(mantissa, scale as u32)));
        }
        let text = format!("{}0.{}e{exponent}", if negative { "-" } else { "" }, String::from_utf8_lossy(&digits));
        let value = crate::types::numeric::parse(&text).map_err(|_| Error::internal("corrupt numeric key"))?;
        Ok(Value::Numeric(value.trimmed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn enc(v: &Value, desc: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(&mut out, v, desc);
        out
    }

    fn assert_order(values: &[Value], ty: DataType) {
        for w in values.windows(2) {
            assert!(enc(&w[0], false) < enc(&w[1], false), "{:?} < {:?}", w[0], w[1]);
            assert!(enc(&w[0], true) > enc(&w[1], true), "desc {:?} > {:?}", w[0], w[1]);
        }
        for v in values {
            for desc in [false, true] {
                let bytes = enc(v, desc);
                let mut slice = bytes.as_slice();
                let back = decode_value(&mut slice, &ty, desc).unwrap();
                assert!(slice.is_empty());
                let mut skipped = bytes.as_slice();
                skip_value(&mut skipped, &ty, desc).unwrap();
                assert!(skipped.is_empty(), "skipping {v:?} left {skipped:?}");
                assert_eq!(back.total_cmp(v), std::cmp::Ordering::Equal, "{v:?} round trip gave {back:?}");
            }
        }
    }

    #[test]
    fn integers_order() {
        assert_order(
            &[Value::Int(i64::MIN), Value::Int(-5), Value::Int(0), Value::Int(7), Value::Int(i64::MAX), Value::Null],
            DataType::Int8,
        );
    }

    #[test]
    fn floats_order() {
        assert_order(
            &[
                Value::Float(f64::NEG_INFINITY),
                Value::Float(-2.5),
                Value::Float(0.0),
                Value::Float(1e-9),
                Value::Float(3.0),
                Value::Float(f64::INFINITY),
                Value::Float(f64::NAN),
            ],
            DataType::Float8,
        );
    }

    #[test]
    fn text_order_and_prefix_freedom() {
        assert_order(
            &[
                Value::Text("".into()),
                Value::Text("a".into()),
                Value::Text("a\0".into()),
                Value::Text("a\0b".into()),
                Value::Text("ab".into()),
                Value::Text("b".into()),
            ],
            DataType::Text,
        );
    }

    #[test]
    fn numeric_order() {
        let n = |s: &str| Value::Numeric(Numeric::from_str(s).unwrap());
        assert_order(
            &[
                n("-1000"),
                n("-12.5"),
                n("-12.25"),
                n("-0.001"),
                n("0"),
                n("0.001"),
                n("0.01"),
                n("1.2"),
                n("1.23"),
                n("12"),
                n("100"),
                n("1000.5"),
            ],
            DataType::Numeric(None),
        );
        assert_eq!(enc(&n("1.50"), false), enc(&n("1.5"), false));
    }

    #[test]
    fn numeric_order_at_any_length() {
        let n = |s: &str| Value::Numeric(Numeric::from_str(s).unwrap());
        let forty = "1234567890123456789012345678901234567890";
        assert_order(
            &[
                n("-1e40000"),
                n(&format!("-{forty}.5")),
                n(&format!("-{forty}")),
                n("-1e-16383"),
                n("0"),
                n("1e-16383"),
                n(&format!("0.{forty}")),
                n("1"),
                n(forty),
                n(&format!("{forty}.0000000000000000000000000000000000000001")),
                n(&format!("{forty}1")),
                n("9e32765"),
                n("1e32766"),
                n("1e40000"),
                n("1.5e131071"),
            ],
            DataType::Numeric(None),
        );
        assert_eq!(enc(&n(&format!("{forty}.50")), false), enc(&n(&format!("{forty}.5")), false));
        // A value with more than 32766 integer digits keeps round-tripping through keys and stored rows.
        for text in ["-1e40000", "1.5e131071", "1e32766", "-0.00000000000000000000000000000000000000000000012"] {
            let value = n(text);
            let mut stored = Vec::new();
            encode_stored_value(&mut stored, &value);
            let mut input = stored.as_slice();
            assert_eq!(decode_stored_value(&mut input, &DataType::Numeric(None)).unwrap(), value);
            assert!(input.is_empty());
            let mut input = stored.as_slice();
            skip_stored_value(&mut input, &DataType::Numeric(None)).unwrap();
            assert!(input.is_empty());
        }
        // A stored scale of 300 (beyond the one byte the first encoding used) comes back.
        let long_scale = Value::Numeric(Numeric::from_str("1").unwrap().round(300));
        let mut stored = Vec::new();
        encode_stored_value(&mut stored, &long_scale);
        match decode_stored_value(&mut stored.as_slice(), &DataType::Numeric(None)).unwrap() {
            Value::Numeric(d) => assert_eq!(d.scale(), 300),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numeric_keys_of_the_first_encoding_still_read() {
        // Bytes occam wrote before numeric went arbitrary-precision: PRESENT, class 2, exponent 1
        // (0x8001), digits "15", terminator, then the stored scale 2: 1.50.
        let old = [PRESENT, 2, 0x80, 0x01, b'1', b'5', 0, 2];
        let value = decode_stored_value(&mut old.as_slice(), &DataType::Numeric(None)).unwrap();
        match value {
            Value::Numeric(d) => assert_eq!(d.to_string(), "1.50"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn intervals_order_by_span() {
        let iv = |months, days, micros| Value::Interval(crate::types::interval::Interval::new(months, days, micros));
        // -1 year < -1 hour < 0 < 1 day < 25 hours < 30 days < 1 mon (equal span, ordered by fields) < 1 year.
        assert_order(
            &[
                iv(-12, 0, 0),
                iv(0, 0, -3_600_000_000),
                iv(0, 0, 0),
                iv(0, 1, 0),
                iv(0, 0, 90_000_000_000),
                iv(0, 30, 0),
                iv(1, 0, 0),
                iv(12, 0, 0),
            ],
            DataType::Interval,
        );
    }

    #[test]
    fn dates_and_timestamps_round_trip() {
        let d = chrono::NaiveDate::from_ymd_opt(1969, 12, 31).unwrap();
        assert_order(&[Value::Date(d), Value::Date(d.succ_opt().unwrap())], DataType::Date);
        let t = d.and_hms_micro_opt(1, 2, 3, 4).unwrap();
        assert_order(
            &[Value::Timestamp(t), Value::Timestamp(t + chrono::Duration::microseconds(1))],
            DataType::Timestamp,
        );
    }
}
