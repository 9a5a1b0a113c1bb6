//! Binary input and output of values in PostgreSQL's binary wire format.
//!
//! Integers and floats big-endian, bool one byte, uuid 16 bytes, date = days since 2000-01-01 (i32),
//! timestamp/timestamptz = microseconds since 2000-01-01 (i64), interval = i64 microseconds, i32 days,
//! i32 months, numeric in PostgreSQL's base-10000 digit format, text/varchar/bytea/json raw bytes, jsonb
//! a version byte 1 and its text.
//!
//! ```text
//!   numeric:  i16 ndigits | i16 weight | u16 sign | u16 dscale | ndigits x u16 digit (0..9999)
//!             value = sum(digit[i] * 10000^(weight - i)), sign 0x0000 = +, 0x4000 = -, 0xC000 = NaN
//! ```

use crate::types::numeric::Numeric;
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{sqlstate, Error, Result};
use crate::types::{DataType, Value};

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
const NUMERIC_NAN: u16 = 0xC000;
const NUMERIC_PINF: u16 = 0xD000;
const NUMERIC_NINF: u16 = 0xF000;
/// jsonb's binary form is a version byte (1) and the text (`jsonb_send`); json's is the text.
const JSONB_VERSION: u8 = 1;

/// Appends the binary form of a non-null `value` of type `data_type` to `out`.
pub fn encode(value: &Value, data_type: &DataType, out: &mut Vec<u8>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push(*b as u8),
        Value::Int(i) => match data_type {
            DataType::Oid | DataType::Reg(_) => out.extend_from_slice(&(*i as u32).to_be_bytes()),
            DataType::Int2 => out.extend_from_slice(&(*i as i16).to_be_bytes()),
            DataType::Int4 => out.extend_from_slice(&(*i as i32).to_be_bytes()),
            DataType::Float4 => out.extend_from_slice(&(*i as f32).to_be_bytes()),
            DataType::Float8 => out.extend_from_slice(&(*i as f64).to_be_bytes()),
            DataType::Numeric(_) => encode_numeric(&Numeric::from_i64(*i), out),
            _ => out.extend_from_slice(&i.to_be_bytes()),
        },
        Value::Float(f) => match data_type {
            DataType::Float4 => out.extend_from_slice(&(*f as f32).to_be_bytes()),
            _ => out.extend_from_slice(&f.to_be_bytes()),
        },
        Value::Numeric(d) => encode_numeric(d, out),
        Value::Text(s) => match data_type {
            DataType::Char(n) => out.extend_from_slice(crate::types::text::pad_char(s, *n).as_bytes()),
            _ => out.extend_from_slice(s.as_bytes()),
        },
        Value::Bytea(bytes) => out.extend_from_slice(bytes),
        Value::Uuid(u) => out.extend_from_slice(u.as_bytes()),
        Value::Jsonb(j) => {
            out.push(JSONB_VERSION);
            out.extend_from_slice(j.to_string().as_bytes());
        }
        Value::Date(d) => {
            out.extend_from_slice(&(d.signed_duration_since(pg_epoch_date()).num_days() as i32).to_be_bytes())
        }
        Value::Timestamp(ts) => out.extend_from_slice(&micros_since_pg_epoch(ts).to_be_bytes()),
        Value::Timestamptz(ts) => out.extend_from_slice(&micros_since_pg_epoch(&ts.naive_utc()).to_be_bytes()),
        Value::Interval(i) => {
            out.extend_from_slice(&i.micros.to_be_bytes());
            out.extend_from_slice(&i.days.to_be_bytes());
            out.extend_from_slice(&i.months.to_be_bytes());
        }
        Value::Array(fields) if matches!(data_type, DataType::Record(_)) => encode_record(fields, data_type, out),
        Value::Array(elements) => encode_array(elements, data_type, out),
    }
}

/// PostgreSQL's binary record format (record_send): `i32 field count`, then per field `u32 type oid | i32
/// byte length (-1 for NULL) | bytes`.
fn encode_record(fields: &[Value], data_type: &DataType, out: &mut Vec<u8>) {
    let DataType::Record(shape) = data_type else { return };
    out.extend_from_slice(&(fields.len() as i32).to_be_bytes());
    let mut scratch = Vec::new();
    for (value, (_, field_type)) in fields.iter().zip(shape.fields()) {
        out.extend_from_slice(&field_type.oid().to_be_bytes());
        encode_length_prefixed(value, &field_type, &mut scratch, out);
    }
}

/// One element of an array or field of a record: `i32 byte length (-1 for NULL) | bytes` (`scratch` is
/// reused between elements).
fn encode_length_prefixed(value: &Value, data_type: &DataType, scratch: &mut Vec<u8>, out: &mut Vec<u8>) {
    if value.is_null() {
        out.extend_from_slice(&(-1i32).to_be_bytes());
        return;
    }
    scratch.clear();
    encode(value, data_type, scratch);
    out.extend_from_slice(&(scratch.len() as i32).to_be_bytes());
    out.extend_from_slice(scratch);
}

/// PostgreSQL's binary array format (array_send), one dimension:
///
/// ```text
///   i32 ndim (0 when empty) | i32 has_nulls | u32 element type oid | [i32 length | i32 lower bound]
///   then per element: i32 byte length (-1 for NULL) | bytes
/// ```
/// `int2vector` / `oidvector` use it too, with lower bound 0.
fn encode_array(elements: &[Value], data_type: &DataType, out: &mut Vec<u8>) {
    let element_type = data_type.element().unwrap_or(DataType::Text);
    let lower_bound: i32 = if matches!(data_type, DataType::Int2Vector | DataType::OidVector) { 0 } else { 1 };
    out.extend_from_slice(&(if elements.is_empty() { 0i32 } else { 1 }).to_be_bytes());
    out.extend_from_slice(&(elements.iter().any(Value::is_null) as i32).to_be_bytes());
    out.extend_from_slice(&element_type.oid().to_be_bytes());
    if !elements.is_empty() {
        out.extend_from_slice(&(elements.len() as i32).to_be_bytes());
        out.extend_from_slice(&lower_bound.to_be_bytes());
    }
    let mut scratch = Vec::new();
    for element in elements {
        encode_length_prefixed(element, &element_type, &mut scratch, out);
    }
}

/// Reads PostgreSQL's binary array format (see [`encode_array`]); only one dimension.
fn decode_array(bytes: &[u8], data_type: &DataType) -> Result<Value> {
    let element_type = data_type.element().unwrap_or(DataType::Text);
    let mut input = bytes;
    let int = |input: &mut &[u8]| -> Result<i32> {
        let (head, rest) = input.split_first_chunk::<4>().ok_or_else(incorrect_format)?;
        *input = rest;
        Ok(i32::from_be_bytes(*head))
    };
    let dimensions = int(&mut input)?;
    let _has_nulls = int(&mut input)?;
    let _element_oid = int(&mut input)?;
    if dimensions == 0 {
        return Ok(Value::Array(Vec::new()));
    }
    if dimensions != 1 {
        return Err(Error::unsupported("multidimensional arrays are not supported"));
    }
    let length = int(&mut input)?;
    let _lower_bound = int(&mut input)?;
    let mut elements = Vec::with_capacity(length.clamp(0, 1024) as usize);
    for _ in 0..length.max(0) {
        let size = int(&mut input)?;
        if size < 0 {
            elements.push(Value::Null);
            continue;
        }
        let size = size as usize;
        if input.len() < size {
            return Err(incorrect_format());
        }
        elements.push(decode(&input[..size], &element_type)?);
        input = &input[size..];
    }
    if !input.is_empty() {
        return Err(incorrect_format());
    }
    Ok(Value::Array(elements))
}

/// Decodes the binary form of a value of `data_type` (22P03 on malformed input).
pub fn decode(bytes: &[u8], data_type: &DataType) -> Result<Value> {
    match data_type {
        DataType::Record(_) => Err(Error::unsupported("input of anonymous composite types is not implemented")),
        DataType::Bool => match fixed::<1>(bytes)? {
            [b] => Ok(Value::Bool(b != 0)),
        },
        DataType::Int2 => Ok(Value::Int(i16::from_be_bytes(fixed(bytes)?) as i64)),
        DataType::Int4 => Ok(Value::Int(i32::from_be_bytes(fixed(bytes)?) as i64)),
        DataType::Int8 => Ok(Value::Int(i64::from_be_bytes(fixed(bytes)?))),
        DataType::Float4 => Ok(Value::Float(f32::from_be_bytes(fixed(bytes)?) as f64)),
        DataType::Float8 => Ok(Value::Float(f64::from_be_bytes(fixed(bytes)?))),
        DataType::Numeric(None) => decode_numeric(bytes).map(Value::Numeric),
        DataType::Numeric(Some((precision, scale))) => {
            crate::types::text::apply_numeric_typmod(decode_numeric(bytes)?, *precision, *scale).map(Value::Numeric)
        }
        DataType::Oid | DataType::Reg(_) => Ok(Value::Int(u32::from_be_bytes(fixed(bytes)?) as i64)),
        DataType::Int2Vector | DataType::OidVector | DataType::Array(_) => decode_array(bytes, data_type),
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Unknown
        | DataType::Name
        | DataType::InternalChar
        | DataType::AclItem
        | DataType::NodeTree => {
            let text = std::str::from_utf8(bytes).map_err(|e| invalid_utf8(bytes, e))?;
            match data_type {
                DataType::Varchar(Some(n)) => crate::types::text::fit_string(text, *n, data_type).map(Value::Text),
                DataType::Char(n) => crate::types::text::fit_string(text, *n, data_type)
                    .map(|s| Value::Text(crate::types::text::pad_char(&s, *n))),
                _ => Ok(Value::Text(text.to_string())),
            }
        }
        DataType::Bytea => Ok(Value::Bytea(bytes.to_vec())),
        DataType::Json => {
            let text = std::str::from_utf8(bytes).map_err(|e| invalid_utf8(bytes, e))?;
            crate::types::text::parse(text, data_type)
        }
        DataType::Jsonb => match bytes.split_first() {
            Some((&JSONB_VERSION, body)) => {
                let text = std::str::from_utf8(body).map_err(|e| invalid_utf8(body, e))?;
                crate::types::text::parse(text, data_type)
            }
            Some((version, _)) => Err(Error::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                format!("unsupported jsonb version number {version}"),
            )),
            None => Err(incorrect_format()),
        },
        DataType::Uuid => Ok(Value::Uuid(uuid::Uuid::from_bytes(fixed(bytes)?))),
        DataType::Date => {
            let days = i32::from_be_bytes(fixed(bytes)?);
            pg_epoch_date()
                .checked_add_signed(Duration::days(days as i64))
                .filter(crate::types::text::date_in_range)
                .map(Value::Date)
                .ok_or_else(|| Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range"))
        }
        DataType::Timestamp => timestamp_from_micros(i64::from_be_bytes(fixed(bytes)?)).map(Value::Timestamp),
        DataType::Timestamptz => timestamp_from_micros(i64::from_be_bytes(fixed(bytes)?))
            .map(|ts| Value::Timestamptz(Utc.from_utc_datetime(&ts))),
        DataType::Interval => {
            let bytes: [u8; 16] = fixed(bytes)?;
            let micros = i64::from_be_bytes(bytes[..8].try_into().map_err(|_| incorrect_format())?);
            let days = i32::from_be_bytes(bytes[8..12].try_into().map_err(|_| incorrect_format())?);
            let months = i32::from_be_bytes(bytes[12..].try_into().map_err(|_| incorrect_format())?);
            Ok(Value::Interval(crate::types::interval::Interval { months, days, micros }))
        }
    }
}

/// The 22P03 error for malformed binary input.
pub fn incorrect_format() -> Error {
    Error::new(sqlstate::INVALID_BINARY_REPRESENTATION, "incorrect binary data format")
}

fn invalid_utf8(bytes: &[u8], err: std::str::Utf8Error) -> Error {
    let start = err.valid_up_to();
    let shown: Vec<String> =
        bytes[start..].iter().take(err.error_len().unwrap_or(1)).map(|b| format!("0x{b:02x}")).collect();
    Error::new("22021", format!("invalid byte sequence for encoding \"UTF8\": {}", shown.join(" ")))
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| incorrect_format())
}

/// 2000-01-01, the epoch of PostgreSQL's binary date and timestamp formats.
fn pg_epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn micros_since_pg_epoch(ts: &NaiveDateTime) -> i64 {
    let epoch = crate::types::text::date_to_timestamp(&pg_epoch_date());
    let delta = ts.signed_duration_since(epoch);
    delta.num_microseconds().unwrap_or(if delta > Duration::zero() { i64::MAX } else { i64::MIN })
}

fn timestamp_from_micros(micros: i64) -> Result<NaiveDateTime> {
    let epoch = crate::types::text::date_to_timestamp(&pg_epoch_date());
    // As PostgreSQL's timestamp_recv: only instants its text input would accept too.
    epoch
        .checked_add_signed(Duration::microseconds(micros))
        .filter(crate::types::text::timestamp_in_range)
        .ok_or_else(|| Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range"))
}

/// A numeric in PostgreSQL's base-10000 form: `digits[0]` has weight `weight` (units of 10000^weight),
/// without leading or trailing zero digits; `dscale` is the number of decimal digits after the point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericDigits {
    pub negative: bool,
    pub weight: i16,
    pub dscale: u16,
    pub digits: Vec<u16>,
}

/// Splits a decimal into base-10000 digits as PostgreSQL stores it.
pub fn numeric_digits(value: &Numeric) -> NumericDigits {
    let scale = value.scale() as usize;
    let magnitude = value.magnitude_digits();
    // Decimal digits of the integer part and of the fraction part (fraction padded to `scale` digits).
    let (int_part, frac_part) = if magnitude.len() > scale {
        (magnitude[..magnitude.len() - scale].to_string(), magnitude[magnitude.len() - scale..].to_string())
    } else {
        (String::new(), format!("{}{}", "0".repeat(scale - magnitude.len()), magnitude))
    };
    // Pad the integer part on the left and the fraction on the right to whole groups of 4.
    let int_groups = int_part.len().div_ceil(4);
    let int_padded = format!("{}{}", "0".repeat(int_groups * 4 - int_part.len()), int_part);
    let frac_groups = frac_part.len().div_ceil(4);
    let frac_padded = format!("{}{}", frac_part, "0".repeat(frac_groups * 4 - frac_part.len()));
    let all = format!("{int_padded}{frac_padded}");
    let mut digits: Vec<u16> =
        all.as_bytes().chunks(4).map(|c| c.iter().fold(0u16, |acc, d| acc * 10 + (d - b'0') as u16)).collect();
    let mut weight = int_groups as i32 - 1;
    let leading = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..leading);
    weight -= leading as i32;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    NumericDigits { negative: value.is_negative(), weight: weight as i16, dscale: scale as u16, digits }
}

fn encode_numeric(value: &Numeric, out: &mut Vec<u8>) {
    let parts = numeric_digits(value);
    out.extend_from_slice(&(parts.digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&parts.weight.to_be_bytes());
    out.extend_from_slice(&(if parts.negative { NUMERIC_NEG } else { NUMERIC_POS }).to_be_bytes());
    out.extend_from_slice(&parts.dscale.to_be_bytes());
    for digit in parts.digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
}

fn decode_numeric(bytes: &[u8]) -> Result<Numeric> {
    let read_u16 = |at: usize| -> Result<u16> {
        bytes.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(incorrect_format)
    };
    let ndigits = read_u16(0)? as i16;
    let weight = read_u16(2)? as i16;
    let sign = read_u16(4)?;
    let dscale = read_u16(6)?;
    if ndigits < 0 || bytes.len() != 8 + 2 * ndigits as usize {
        return Err(incorrect_format());
    }
    match sign {
        NUMERIC_POS | NUMERIC_NEG => {}
        NUMERIC_NAN => return Err(Error::unsupported("numeric NaN is not supported")),
        NUMERIC_PINF | NUMERIC_NINF => return Err(Error::unsupported("numeric Infinity is not supported")),
        _ => {
            return Err(Error::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                "invalid sign in external \"numeric\" value",
            ))
        }
    }
    if dscale > 0x3FFF {
        return Err(Error::new(sqlstate::INVALID_BINARY_REPRESENTATION, "invalid scale in external \"numeric\" value"));
    }
    let mut digits = Vec::with_capacity(ndigits as usize);
    for i in 0..ndigits as usize {
        let digit = read_u16(8 + 2 * i)?;
        if digit >= 10000 {
            return Err(Error::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                "invalid digit in external \"numeric\" value",
            ));
        }
        digits.push(digit);
    }
    numeric_from_digits(&NumericDigits { negative: sign == NUMERIC_NEG, weight, dscale, digits })
}

/// Builds a numeric from base-10000 digits, cut to `dscale` fraction digits as PostgreSQL's numeric_recv
/// does (digits the scale hides are truncated); 22003 if the value is beyond numeric's range.
pub fn numeric_from_digits(parts: &NumericDigits) -> Result<Numeric> {
    let mut text = String::with_capacity(parts.digits.len() * 4 + 16);
    if parts.negative {
        text.push('-');
    }
    for digit in &parts.digits {
        text.push_str(&format!("{digit:04}"));
    }
    if parts.digits.is_empty() {
        text.push('0');
    }
    // The digits read as an integer times 10000^(weight - ndigits + 1).
    let exponent = 4 * (parts.weight as i64 - parts.digits.len() as i64 + 1);
    text.push_str(&format!("e{exponent}"));
    let value = crate::types::numeric::parse(&text)?;
    Ok(value.trunc(parts.dscale as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn round_trip(value: Value, data_type: DataType) -> Value {
        let mut out = Vec::new();
        encode(&value, &data_type, &mut out);
        decode(&out, &data_type).expect("decode")
    }

    #[test]
    fn records_are_sent_as_record_send_does() {
        let shape = crate::types::RecordShape::of(&[("x", DataType::Int2), ("n", DataType::Int4)]).expect("shape");
        let mut out = Vec::new();
        encode(&Value::Array(vec![Value::Int(3), Value::Null]), &DataType::Record(shape), &mut out);
        let expected: Vec<u8> = [
            &2i32.to_be_bytes()[..],
            &21u32.to_be_bytes(),
            &2i32.to_be_bytes(),
            &3i16.to_be_bytes(),
            &23u32.to_be_bytes(),
            &(-1i32).to_be_bytes(),
        ]
        .concat();
        assert_eq!(out, expected);
    }

    fn numeric_bytes(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&Value::Numeric(Numeric::from_str(text).expect("decimal")), &DataType::Numeric(None), &mut out);
        out
    }

    #[test]
    fn fixed_width_types() {
        let mut out = Vec::new();
        encode(&Value::Int(1), &DataType::Int4, &mut out);
        assert_eq!(out, [0, 0, 0, 1]);
        out.clear();
        encode(&Value::Int(-2), &DataType::Int2, &mut out);
        assert_eq!(out, [0xff, 0xfe]);
        for (value, t) in [
            (Value::Bool(true), DataType::Bool),
            (Value::Int(-5), DataType::Int2),
            (Value::Int(i32::MIN as i64), DataType::Int4),
            (Value::Int(i64::MAX), DataType::Int8),
            (Value::Float(1.5), DataType::Float4),
            (Value::Float(-0.1), DataType::Float8),
            (Value::Uuid(uuid::Uuid::from_u128(0x1234)), DataType::Uuid),
            (Value::Text("héllo".into()), DataType::Text),
            (Value::Bytea(vec![0, 255]), DataType::Bytea),
        ] {
            assert_eq!(round_trip(value.clone(), t), value);
        }
        assert_eq!(decode(&[0, 1], &DataType::Int4).unwrap_err().code, "22P03");
        assert_eq!(decode(&[0xff, 0xfe], &DataType::Text).unwrap_err().code, "22021");
    }

    #[test]
    fn intervals() {
        let interval = crate::types::interval::Interval::new(14, -3, 3_723_000_004);
        let mut out = Vec::new();
        encode(&Value::Interval(interval), &DataType::Interval, &mut out);
        // PostgreSQL's interval_send: microseconds, days, months.
        assert_eq!(
            out,
            [3_723_000_004i64.to_be_bytes().as_slice(), &(-3i32).to_be_bytes(), &14i32.to_be_bytes()].concat()
        );
        assert_eq!(round_trip(Value::Interval(interval), DataType::Interval), Value::Interval(interval));
        assert_eq!(decode(&[0; 12], &DataType::Interval).unwrap_err().code, "22P03");
    }

    #[test]
    fn dates_and_timestamps() {
        let date = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap();
        let mut out = Vec::new();
        encode(&Value::Date(date), &DataType::Date, &mut out);
        assert_eq!(out, 1i32.to_be_bytes());
        let before = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        assert_eq!(round_trip(Value::Date(before), DataType::Date), Value::Date(before));
        let ts = date.and_hms_micro_opt(0, 0, 1, 5).unwrap();
        out.clear();
        encode(&Value::Timestamp(ts), &DataType::Timestamp, &mut out);
        assert_eq!(out, (86_400_000_000i64 + 1_000_005).to_be_bytes());
        assert_eq!(round_trip(Value::Timestamp(ts), DataType::Timestamp), Value::Timestamp(ts));
        let tz = Utc.from_utc_datetime(&ts);
        assert_eq!(round_trip(Value::Timestamptz(tz), DataType::Timestamptz), Value::Timestamptz(tz));
    }

    #[test]
    fn numeric_layout_matches_postgres() {
        // Bytes as sent by PostgreSQL 15 for SELECT x::numeric in binary format.
        assert_eq!(numeric_bytes("0"), [0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(numeric_bytes("0.00"), [0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(numeric_bytes("1"), [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(numeric_bytes("12345.678"), [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]);
        assert_eq!(numeric_bytes("-0.0001"), [0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]);
        assert_eq!(numeric_bytes("10000"), [0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(numeric_bytes("0.00001"), [0, 1, 0xff, 0xfe, 0, 0, 0, 5, 0x03, 0xe8]);
    }

    #[test]
    fn numeric_round_trips() {
        for text in [
            "0",
            "0.00",
            "1.50",
            "-1.50",
            "12345.678",
            "100000000",
            "0.00001",
            "-0.0001",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "3.1415926535897932384626433832",
            "123456789.000000001",
            "123456789012345678901234567890123456789012345.678901234567890123456789",
            "-0.000000000000000000000000000000000000000001",
            "100000000000000000000000000000000000000000000000000000000000",
        ] {
            let value = Value::Numeric(Numeric::from_str(text).unwrap());
            let back = round_trip(value.clone(), DataType::Numeric(None));
            assert_eq!(back, value, "{text}");
            match back {
                Value::Numeric(d) => assert_eq!(d.to_string(), text),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn numeric_decode_errors() {
        assert_eq!(decode(&[0, 1, 0, 0, 0, 0, 0, 0], &DataType::Numeric(None)).unwrap_err().code, "22P03");
        let bad_digit = [0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10];
        assert_eq!(
            decode(&bad_digit, &DataType::Numeric(None)).unwrap_err().message,
            "invalid digit in external \"numeric\" value"
        );
        let bad_sign = [0, 0, 0, 0, 0x12, 0, 0, 0];
        assert_eq!(decode(&bad_sign, &DataType::Numeric(None)).unwrap_err().code, "22P03");
        // Weight 10: 10^40, beyond an i128 mantissa.
        let huge = [0, 1, 0, 10, 0, 0, 0, 0, 0, 1];
        let value = decode(&huge, &DataType::Numeric(None)).unwrap();
        assert_eq!(value, Value::Numeric(Numeric::from_str("1e40").unwrap()));
        // dscale cuts extra digits: 1.2345 with dscale 2 -> 1.23 (PostgreSQL's numeric_recv truncates).
        let value = decode(&[0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x09, 0x29], &DataType::Numeric(None)).unwrap();
        assert_eq!(value, Value::Numeric(Numeric::from_str("1.23").unwrap()));
    }
}
