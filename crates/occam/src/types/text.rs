//! Text input and output of values: casts from/to text and the wire protocol's text format.
//!
//! Output matches PostgreSQL 15 byte for byte (psql and drivers parse it): booleans `t`/`f`, floats in
//! shortest round-trip form (`1e+20`, `Infinity`, `NaN`), numeric with its scale, timestamps
//! `2024-01-02 03:04:05.123456` (fraction trimmed), timestamptz with `+00`, bytea as `\x...` hex, dates ISO.
//!
//! Input follows PostgreSQL's input functions: surrounding whitespace is ignored where PostgreSQL ignores
//! it, errors carry the same SQLSTATE and wording (`invalid input syntax for type integer: "abc"`). A
//! timestamptz prints and reads in the session time zone (`types::zone::session_zone`: `+00` in UTC,
//! `-04`, `+05:30`); the DateStyle is always `ISO, MDY`, so `1/2/2024` is the 2nd of January.

use std::str::FromStr;

use crate::types::numeric::Numeric;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};

use crate::error::{sqlstate, Error, Result};
use crate::types::{DataType, Value};

/// The text form of a non-null `value` of type `data_type`.
pub fn format(value: &Value, data_type: &DataType) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => match data_type {
            DataType::Float4 => format_float4(*f as f32),
            _ => format_float8(*f),
        },
        Value::Numeric(d) => format_numeric(d),
        Value::Text(s) => match data_type {
            DataType::Char(n) => pad_char(s, *n),
            _ => s.clone(),
        },
        Value::Bytea(bytes) => format_bytea(bytes),
        Value::Uuid(u) => u.hyphenated().to_string(),
        Value::Jsonb(j) => j.to_string(),
        Value::Date(d) => format_date(d),
        Value::Timestamp(ts) => format_timestamp(ts, ""),
        Value::Timestamptz(ts) => format_timestamptz(&ts.naive_utc()),
        Value::Interval(i) => super::interval::format_interval(i),
        Value::Array(fields) if matches!(data_type, DataType::Record(_)) => format_record(fields, data_type),
        Value::Array(elements) => {
            let element_type = data_type.element().unwrap_or(DataType::Text);
            format_array(elements, data_type, &mut |v| format(v, &element_type))
        }
    }
}

/// The text form of a record (PostgreSQL's record_out): `(1,"a b",)`: a NULL field is empty, a field that
/// is empty or holds `"`, `\`, `(`, `)`, `,` or white space is quoted, `"` and `\` doubled inside.
fn format_record(fields: &[Value], data_type: &DataType) -> String {
    let DataType::Record(shape) = data_type else { return String::new() };
    let mut out = String::from("(");
    for (i, (value, (_, field_type))) in fields.iter().zip(shape.fields()).enumerate() {
        if i > 0 {
            out.push(',');
        }
        if value.is_null() {
            continue;
        }
        let text = format(value, &field_type);
        let needs_quotes = text.is_empty()
            || text.chars().any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_ascii_whitespace());
        if !needs_quotes {
            out.push_str(&text);
            continue;
        }
        out.push('"');
        for c in text.chars() {
            if c == '"' || c == '\\' {
                out.push(c);
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push(')');
    out
}

/// The text form of an array whose elements print as `element` does: `{1,2,NULL,"a b"}` (elements quoted
/// as PostgreSQL's array_out quotes them), or `1 2 3` for `int2vector` / `oidvector`.
pub fn format_array(elements: &[Value], data_type: &DataType, element: &mut dyn FnMut(&Value) -> String) -> String {
    if matches!(data_type, DataType::Int2Vector | DataType::OidVector) {
        return elements.iter().map(&mut *element).collect::<Vec<_>>().join(" ");
    }
    let mut out = String::from("{");
    for (i, value) in elements.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if value.is_null() {
            out.push_str("NULL");
            continue;
        }
        let text = element(value);
        let needs_quotes = text.is_empty()
            || text.eq_ignore_ascii_case("NULL")
            || text.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || is_pg_space(c));
        if needs_quotes {
            out.push('"');
            for c in text.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(&text);
        }
    }
    out.push('}');
    out
}

/// Parses the text form of a value of `data_type` (22P02 `invalid input syntax for type integer: "x"`,
/// 22003 out of range, 22007/22008 for dates and times).
pub fn parse(text: &str, data_type: &DataType) -> Result<Value> {
    match data_type {
        DataType::Bool => parse_bool(text),
        DataType::Int2 | DataType::Int4 | DataType::Int8 => parse_int(text, data_type),
        DataType::Float4 => parse_float4(text),
        DataType::Float8 => parse_float8(text),
        DataType::Numeric(None) => parse_numeric(text).map(Value::Numeric),
        DataType::Numeric(Some((precision, scale))) => {
            apply_numeric_typmod(parse_numeric(text)?, *precision, *scale).map(Value::Numeric)
        }
        DataType::Text | DataType::Unknown | DataType::Varchar(None) => Ok(Value::Text(text.to_string())),
        DataType::Varchar(Some(n)) => fit_string(text, *n, data_type).map(Value::Text),
        DataType::Char(n) => fit_string(text, *n, data_type).map(|s| Value::Text(pad_char(&s, *n))),
        DataType::Bytea => parse_bytea(text).map(Value::Bytea),
        DataType::Uuid => parse_uuid(text).map(Value::Uuid),
        DataType::Date => parse_date(text).map(Value::Date),
        DataType::Timestamp => parse_timestamp(text).map(Value::Timestamp),
        DataType::Timestamptz => parse_timestamptz(text).map(Value::Timestamptz),
        DataType::Interval => super::interval::parse_interval(text).map(Value::Interval),
        DataType::Oid => parse_oid(text, data_type),
        // A name needs the catalog (`sql::system::names`); without it only a numeric oid reads.
        DataType::Reg(_) => parse_oid(text, data_type),
        DataType::Name => Ok(Value::Text(truncate_name(text))),
        DataType::InternalChar => Ok(Value::Text(text.chars().next().map(String::from).unwrap_or_default())),
        DataType::AclItem | DataType::NodeTree => Ok(Value::Text(text.to_string())),
        DataType::Json => crate::types::json::validate_json(text).map(|()| Value::Text(text.to_string())),
        DataType::Jsonb => crate::types::json::Jsonb::parse(text).map(|j| Value::Jsonb(j.into())),
        DataType::Int2Vector | DataType::OidVector => {
            let element = data_type.element().unwrap_or(DataType::Int2);
            text.split(is_pg_space)
                .filter(|part| !part.is_empty())
                .map(|part| parse(part, &element))
                .collect::<Result<Vec<Value>>>()
                .map(Value::Array)
        }
        DataType::Array(element) => parse_array(text, data_type, &mut |part| parse(part, &element.data_type())),
        DataType::Record(_) => {
            Err(Error::new(sqlstate::FEATURE_NOT_SUPPORTED, "input of anonymous composite types is not implemented"))
        }
    }
}

/// PostgreSQL's NAMEDATALEN - 1: a `name` keeps at most 63 bytes.
pub fn truncate_name(text: &str) -> String {
    let mut end = text.len().min(63);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// `oid` input: an integer in -2147483648 .. 4294967295 (negative values wrap, as PostgreSQL's oidin).
fn parse_oid(text: &str, data_type: &DataType) -> Result<Value> {
    let trimmed = text.trim_matches(is_pg_space);
    let parsed: Option<i64> = trimmed.parse().ok();
    match parsed {
        Some(n) if (i32::MIN as i64..=u32::MAX as i64).contains(&n) => Ok(Value::Int(n.rem_euclid(1 << 32))),
        Some(_) => Err(Error::out_of_range(format!("value \"{text}\" is out of range for type {}", data_type.name()))),
        None => Err(Error::invalid_text(data_type.name(), text)),
    }
}

/// Reads an array literal (`{1,2,NULL,"a b"}`, one dimension) with each element's text read by `element`.
pub fn parse_array(text: &str, data_type: &DataType, element: &mut dyn FnMut(&str) -> Result<Value>) -> Result<Value> {
    let malformed = |detail: &str| {
        Error::new(sqlstate::INVALID_TEXT_REPRESENTATION, format!("malformed array literal: \"{text}\""))
            .with_detail(detail.to_string())
    };
    let _ = data_type;
    let body = text.trim_matches(is_pg_space);
    let Some(inner) = body.strip_prefix('{') else {
        return Err(malformed("Array value must start with \"{\" or dimension information."));
    };
    let Some(inner) = inner.strip_suffix('}') else {
        return Err(malformed("Unexpected end of input."));
    };
    let mut values = Vec::new();
    if inner.trim_matches(is_pg_space).is_empty() {
        return Ok(Value::Array(values));
    }
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| is_pg_space(*c)) {
            chars.next();
        }
        let mut item = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'{') {
            return Err(Error::unsupported("multidimensional arrays are not supported"));
        }
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => item.extend(chars.next()),
                    Some(c) => item.push(c),
                    None => return Err(malformed("Unexpected end of input.")),
                }
            }
            while chars.peek().is_some_and(|c| is_pg_space(*c)) {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                chars.next();
                if c == '\\' {
                    item.extend(chars.next());
                } else {
                    item.push(c);
                }
            }
            let trimmed = item.trim_end_matches(is_pg_space).len();
            item.truncate(trimmed);
        }
        if !quoted && item.is_empty() {
            return Err(malformed("Unexpected \",\" character."));
        }
        values.push(if !quoted && item.eq_ignore_ascii_case("NULL") { Value::Null } else { element(&item)? });
        match chars.next() {
            None => break,
            Some(',') => {}
            Some(_) => return Err(malformed("Unexpected array element.")),
        }
    }
    Ok(Value::Array(values))
}

// ---------------------------------------------------------------------------------------------------------
// Strings

/// Checks `text` against a length limit of `max_chars` characters as varchar(n)/char(n) input does: excess
/// characters that are all spaces are cut off silently, anything else is 22001.
pub fn fit_string(text: &str, max_chars: u32, data_type: &DataType) -> Result<String> {
    let max = max_chars as usize;
    match text.char_indices().nth(max) {
        None => Ok(text.to_string()),
        Some((cut, _)) => {
            if text[cut..].chars().all(|c| c == ' ') {
                Ok(text[..cut].to_string())
            } else {
                Err(Error::new(sqlstate::STRING_DATA_RIGHT_TRUNCATION, format!("value too long for type {data_type}")))
            }
        }
    }
}

/// Pads `text` with spaces to `width` characters (char(n) storage and output).
pub fn pad_char(text: &str, width: u32) -> String {
    let len = text.chars().count();
    let mut padded = text.to_string();
    for _ in len..width as usize {
        padded.push(' ');
    }
    padded
}

// ---------------------------------------------------------------------------------------------------------
// Booleans and integers

fn parse_bool(text: &str) -> Result<Value> {
    let word = text.trim_matches(is_pg_space).to_ascii_lowercase();
    // PostgreSQL accepts any unambiguous prefix of the words (at least two letters for on/off).
    let is_prefix = |full: &str, min: usize| word.len() >= min && full.starts_with(word.as_str());
    if is_prefix("true", 1) || is_prefix("yes", 1) || is_prefix("on", 2) || word == "1" {
        Ok(Value::Bool(true))
    } else if is_prefix("false", 1) || is_prefix("no", 1) || is_prefix("off", 2) || word == "0" {
        Ok(Value::Bool(false))
    } else {
        Err(Error::invalid_text("boolean", text))
    }
}

/// Whitespace as C's isspace() sees it (what PostgreSQL's input functions skip).
fn is_pg_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The inclusive range of an integer type.
pub fn integer_range(data_type: &DataType) -> (i64, i64) {
    match data_type {
        DataType::Int2 => (i16::MIN as i64, i16::MAX as i64),
        DataType::Int4 => (i32::MIN as i64, i32::MAX as i64),
        DataType::Oid | DataType::Reg(_) => (0, u32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

fn parse_int(text: &str, data_type: &DataType) -> Result<Value> {
    let trimmed = text.trim_matches(is_pg_space);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_text(data_type.name(), text));
    }
    let out_of_range =
        || Error::out_of_range(format!("value \"{text}\" is out of range for type {}", data_type.name()));
    let digits = digits.trim_start_matches('0');
    if digits.len() > 20 {
        return Err(out_of_range());
    }
    let magnitude: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| out_of_range())? };
    let value = if negative { -magnitude } else { magnitude };
    let (min, max) = integer_range(data_type);
    if value < min as i128 || value > max as i128 {
        return Err(out_of_range());
    }
    Ok(Value::Int(value as i64))
}

// ---------------------------------------------------------------------------------------------------------
// Floating point

/// float8 output as PostgreSQL 15 prints it (extra_float_digits = 1): the shortest string that reads
/// back as the same value, in fixed notation for decimal exponents -4..15 and `1e+20` form otherwise.
pub fn format_float8(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    shortest_to_pg(&format!("{value:e}"), 15)
}

/// float4 output: as [`format_float8`] but with single-precision shortest digits and fixed notation for
/// decimal exponents -4..6.
pub fn format_float4(value: f32) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    shortest_to_pg(&format!("{value:e}"), 6)
}

/// Rewrites Rust's shortest scientific form (`-1.2345e17`) in PostgreSQL's layout.
fn shortest_to_pg(scientific: &str, fixed_below_exponent: i32) -> String {
    let (negative, rest) = match scientific.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, scientific),
    };
    let (mantissa, exponent) = rest.split_once('e').unwrap_or((rest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if (-4..fixed_below_exponent).contains(&exponent) {
        if exponent >= 0 {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', point - digits.len()));
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.abs()));
    }
    out
}

/// Splits a float literal into its validated body, or None when it is not float syntax. Infinity and NaN
/// spellings are returned as is (Rust's parser accepts the same words PostgreSQL does).
fn float_literal_ok(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return false;
    }
    if matches!(unsigned, "inf" | "infinity" | "nan") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let mut seen_digit = false;
    let mut seen_point = false;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_point => seen_point = true,
            _ => return false,
        }
    }
    if !seen_digit {
        return false;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    true
}

/// True when the literal's mantissa has a non-zero digit (so a result of 0 means underflow).
fn mantissa_nonzero(body: &str) -> bool {
    body.chars().take_while(|c| *c != 'e' && *c != 'E').any(|c| ('1'..='9').contains(&c))
}

fn is_infinity_word(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    matches!(lower.trim_start_matches(['+', '-']), "inf" | "infinity")
}

fn parse_float8(text: &str) -> Result<Value> {
    let body = text.trim_matches(is_pg_space);
    if !float_literal_ok(body) {
        return Err(Error::invalid_text("double precision", text));
    }
    let value: f64 = body.parse().map_err(|_| Error::invalid_text("double precision", text))?;
    if (value.is_infinite() && !is_infinity_word(body)) || (value == 0.0 && mantissa_nonzero(body)) {
        return Err(Error::out_of_range(format!("\"{text}\" is out of range for type double precision")));
    }
    Ok(Value::Float(value))
}

fn parse_float4(text: &str) -> Result<Value> {
    let body = text.trim_matches(is_pg_space);
    if !float_literal_ok(body) {
        return Err(Error::invalid_text("real", text));
    }
    let value: f32 = body.parse().map_err(|_| Error::invalid_text("real", text))?;
    if (value.is_infinite() && !is_infinity_word(body)) || (value == 0.0 && mantissa_nonzero(body)) {
        return Err(Error::out_of_range(format!("\"{text}\" is out of range for type real")));
    }
    Ok(Value::Float(value as f64))
}

// ---------------------------------------------------------------------------------------------------------
// Numeric

/// numeric output: the value with its scale (`1.50`), never negative zero.
pub fn format_numeric(value: &Numeric) -> String {
    value.to_string()
}

/// The 22003 error for a value beyond numeric's range (131072 digits before the point, 16383 after).
pub fn numeric_overflow() -> Error {
    crate::types::numeric::overflow()
}

/// Applies numeric(p,s): rounds half away from zero to `s` fraction digits and checks the precision
/// (22003 `numeric field overflow`).
pub fn apply_numeric_typmod(value: Numeric, precision: u32, scale: i32) -> Result<Numeric> {
    let rounded = value.round(scale as i64);
    // Digits before the point; a scale above the precision (numeric(3, 5)) bounds values below 1.
    let max_integer_digits = precision as i64 - scale as i64;
    let integer_digits = rounded.leading_exponent().map_or(i64::MIN, |e| e + 1);
    if integer_digits > max_integer_digits {
        let bound = if max_integer_digits == 0 { "1".to_string() } else { format!("10^{max_integer_digits}") };
        return Err(Error::out_of_range("numeric field overflow").with_detail(format!(
            "A field with precision {precision}, scale {scale} must round to an absolute value less than {bound}."
        )));
    }
    Ok(rounded)
}

/// Parses numeric input: `[+-]digits[.digits][e[+-]digits]`, surrounded by optional whitespace.
pub fn parse_numeric(text: &str) -> Result<Numeric> {
    let body = text.trim_matches(is_pg_space);
    let lower = body.to_ascii_lowercase();
    let unsigned = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    if matches!(unsigned, "nan" | "inf" | "infinity") {
        return Err(Error::unsupported(format!("numeric value \"{text}\" (NaN or Infinity) is not supported")));
    }
    if !float_literal_ok(&lower) {
        return Err(Error::invalid_text("numeric", text));
    }
    crate::types::numeric::parse(&lower)
}

// ---------------------------------------------------------------------------------------------------------
// bytea and uuid

fn format_bytea(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("\\x");
    for byte in bytes {
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 15) as usize] as char);
    }
    out
}

/// bytea input: `\x` followed by hex digit pairs (whitespace allowed between pairs), or the escape
/// format (`\\` for a backslash, `\ooo` octal, everything else literal).
pub fn parse_bytea(text: &str) -> Result<Vec<u8>> {
    if let Some(hex) = text.strip_prefix("\\x").or_else(|| text.strip_prefix("\\X")) {
        let mut out = Vec::with_capacity(hex.len() / 2);
        let mut chars = hex.chars();
        while let Some(c) = chars.next() {
            if matches!(c, ' ' | '\n' | '\t' | '\r') {
                continue;
            }
            let high = hex_digit(c)?;
            let low = match chars.next() {
                Some(c) => hex_digit(c)?,
                None => {
                    return Err(Error::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        "invalid hexadecimal data: odd number of digits",
                    ))
                }
            };
            out.push((high << 4) | low);
        }
        return Ok(out);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < bytes.len()
            && (b'0'..=b'3').contains(&bytes[i + 1])
            && (b'0'..=b'7').contains(&bytes[i + 2])
            && (b'0'..=b'7').contains(&bytes[i + 3])
        {
            out.push(((bytes[i + 1] - b'0') << 6) | ((bytes[i + 2] - b'0') << 3) | (bytes[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(Error::new(sqlstate::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type bytea"));
        }
    }
    Ok(out)
}

fn hex_digit(c: char) -> Result<u8> {
    c.to_digit(16)
        .map(|d| d as u8)
        .ok_or_else(|| Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("invalid hexadecimal digit: \"{c}\"")))
}

/// uuid input as PostgreSQL's string_to_uuid: optional braces, 32 hex digits of either case, with an
/// optional hyphen after any group of four digits.
pub fn parse_uuid(text: &str) -> Result<uuid::Uuid> {
    let syntax_error = || Error::invalid_text("uuid", text);
    let mut src = text.as_bytes();
    let braces = src.first() == Some(&b'{');
    if braces {
        src = &src[1..];
    }
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        if src.len() < 2 || !src[0].is_ascii_hexdigit() || !src[1].is_ascii_hexdigit() {
            return Err(syntax_error());
        }
        let high = (src[0] as char).to_digit(16).unwrap_or(0) as u8;
        let low = (src[1] as char).to_digit(16).unwrap_or(0) as u8;
        *byte = (high << 4) | low;
        src = &src[2..];
        if src.first() == Some(&b'-') && i % 2 == 1 && i < 15 {
            src = &src[1..];
        }
    }
    if braces {
        if src.first() != Some(&b'}') {
            return Err(syntax_error());
        }
        src = &src[1..];
    }
    if !src.is_empty() {
        return Err(syntax_error());
    }
    Ok(uuid::Uuid::from_bytes(bytes))
}

// ---------------------------------------------------------------------------------------------------------
// Dates and timestamps: output

/// `2024-01-31`, or `0044-03-15 BC` for years before 1 AD (PostgreSQL has no year zero).
pub fn format_date(date: &NaiveDate) -> String {
    let (year, bc) = display_year(date.year());
    let mut out = format!("{year:04}-{:02}-{:02}", date.month(), date.day());
    if bc {
        out.push_str(" BC");
    }
    out
}

fn display_year(year: i32) -> (i32, bool) {
    if year <= 0 {
        (1 - year, true)
    } else {
        (year, false)
    }
}

/// A timestamptz in the session time zone: `2024-07-01 08:00:00-04`, `2024-07-01 17:30:00+05:30`.
fn format_timestamptz(utc: &NaiveDateTime) -> String {
    let zone = super::zone::session_zone();
    let offset = zone.offset_at(utc);
    let local = utc.checked_add_signed(Duration::seconds(offset as i64)).unwrap_or(*utc);
    format_timestamp(&local, &format_utc_offset(offset))
}

/// An offset as PostgreSQL's timestamptz output writes it: `+00`, `-04`, `+05:30`, `-00:01:15`.
pub fn format_utc_offset(seconds_east: i32) -> String {
    let sign = if seconds_east < 0 { '-' } else { '+' };
    let seconds = seconds_east.unsigned_abs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (minutes, seconds) {
        (0, 0) => format!("{sign}{hours:02}"),
        (_, 0) => format!("{sign}{hours:02}:{minutes:02}"),
        _ => format!("{sign}{hours:02}:{minutes:02}:{seconds:02}"),
    }
}

/// `2024-01-31 12:34:56.789` followed by `zone` (`+00` for timestamptz) and ` BC` when needed.
fn format_timestamp(ts: &NaiveDateTime, zone: &str) -> String {
    let (year, bc) = display_year(ts.year());
    let mut out =
        format!("{year:04}-{:02}-{:02} {:02}:{:02}:{:02}", ts.month(), ts.day(), ts.hour(), ts.minute(), ts.second());
    let micros = (ts.nanosecond() / 1000).min(999_999);
    if micros != 0 {
        let fraction = format!("{micros:06}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push_str(zone);
    if bc {
        out.push_str(" BC");
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Dates and timestamps: input

/// The latest timestamp PostgreSQL accepts (294276-12-31 23:59:59.999999).
const MAX_TIMESTAMP_YEAR: i32 = 294276;
/// PostgreSQL's first date: 4714-11-24 BC (astronomical year -4713).
const MIN_YEAR: i32 = -4713;

/// What went wrong while parsing a date/time string; turned into an Error with the type's name.
#[derive(Debug, PartialEq)]
enum DateTimeError {
    /// 22007 invalid input syntax.
    Syntax,
    /// 22008 date/time field value out of range (with the DateStyle hint when `hint`).
    FieldOverflow { hint: bool },
    /// 22009 time zone displacement out of range.
    ZoneDisplacement,
    /// 22023 a time zone name the tz database does not have.
    UnknownZone(String),
    /// 22008 a valid date beyond the range occam (chrono) represents: `date out of range: "..."`.
    OutOfRange,
}

/// A parsed date/time string: the date, the time of day in microseconds (86_400_000_000 is 24:00:00)
/// and the explicit UTC offset in seconds (east positive), if any.
#[derive(Debug)]
struct ParsedDateTime {
    date: NaiveDate,
    time_micros: i64,
    offset_seconds: Option<i32>,
    /// A named zone (`America/New_York`), whose offset depends on the date.
    zone: Option<super::zone::Zone>,
}

fn datetime_error(err: DateTimeError, type_name: &str, text: &str) -> Error {
    match err {
        DateTimeError::Syntax => Error::new(
            sqlstate::INVALID_DATETIME_FORMAT,
            format!("invalid input syntax for type {type_name}: \"{text}\""),
        ),
        DateTimeError::FieldOverflow { hint } => {
            let err = Error::new(
                sqlstate::DATETIME_FIELD_OVERFLOW,
                format!("date/time field value out of range: \"{text}\""),
            );
            if hint {
                err.with_hint("Perhaps you need a different \"datestyle\" setting.")
            } else {
                err
            }
        }
        DateTimeError::ZoneDisplacement => {
            Error::new("22009", format!("time zone displacement out of range: \"{text}\""))
        }
        DateTimeError::UnknownZone(zone) => {
            Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("time zone \"{zone}\" not recognized"))
        }
        DateTimeError::OutOfRange => date_out_of_range(if type_name == "date" { "date" } else { "timestamp" }, text),
    }
}

fn date_out_of_range(kind: &str, text: &str) -> Error {
    Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, format!("{kind} out of range: \"{text}\""))
}

/// Parses date input (`2024-01-31`, `20240131`, `1/31/2024`, `Jan 31 2024`, `31 January 2024`, `epoch`,
/// `today`, ...). A time part, if present, is ignored as in PostgreSQL.
pub fn parse_date(text: &str) -> Result<NaiveDate> {
    let parsed = parse_datetime(text).map_err(|e| datetime_error(e, "date", text))?;
    if !date_in_range(&parsed.date) {
        return Err(date_out_of_range("date", text));
    }
    Ok(parsed.date)
}

/// Whether PostgreSQL's `date` holds this day (text and binary input both check).
pub fn date_in_range(date: &NaiveDate) -> bool {
    (MIN_YEAR..=5_874_897).contains(&date.year())
}

/// Whether PostgreSQL's `timestamp` / `timestamptz` holds this instant (text and binary input both check).
pub fn timestamp_in_range(ts: &NaiveDateTime) -> bool {
    check_timestamp_range(ts).is_some()
}

/// Parses timestamp input; an explicit time zone is ignored, as PostgreSQL does for `timestamp`.
pub fn parse_timestamp(text: &str) -> Result<NaiveDateTime> {
    let parsed = parse_datetime(text).map_err(|e| datetime_error(e, "timestamp", text))?;
    let ts = combine(&parsed).ok_or_else(|| date_out_of_range("timestamp", text))?;
    check_timestamp_range(&ts).ok_or_else(|| date_out_of_range("timestamp", text))?;
    Ok(ts)
}

/// Parses timestamptz input; without an explicit zone the value is in the session time zone.
pub fn parse_timestamptz(text: &str) -> Result<chrono::DateTime<Utc>> {
    let parsed = parse_datetime(text).map_err(|e| datetime_error(e, "timestamp with time zone", text))?;
    let local = combine(&parsed).ok_or_else(|| date_out_of_range("timestamp", text))?;
    let utc = match (parsed.zone, parsed.offset_seconds) {
        (Some(zone), _) => zone.utc(&local),
        (None, Some(offset)) => local
            .checked_sub_signed(Duration::seconds(offset as i64))
            .ok_or_else(|| date_out_of_range("timestamp", text))?,
        (None, None) => super::zone::session_zone().utc(&local),
    };
    check_timestamp_range(&utc).ok_or_else(|| date_out_of_range("timestamp", text))?;
    Ok(Utc.from_utc_datetime(&utc))
}

fn combine(parsed: &ParsedDateTime) -> Option<NaiveDateTime> {
    parsed.date.and_hms_opt(0, 0, 0)?.checked_add_signed(Duration::microseconds(parsed.time_micros))
}

fn check_timestamp_range(ts: &NaiveDateTime) -> Option<()> {
    let year = ts.year();
    (MIN_YEAR..=MAX_TIMESTAMP_YEAR).contains(&year).then_some(())
}

/// One lexical field of a date/time string.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    /// A run of digits.
    Number(String),
    /// Digits and words joined by `-`, `/` or `.`: a date such as `2024-01-31` or `31-Jan-2024`.
    Date(Vec<String>),
    /// `12:34[:56[.789]]`.
    Time(String),
    /// `+05:30`, `-08`, `+0530`.
    Offset(String),
    /// A word (month name, AM/PM, BC, zone abbreviation, special value).
    Word(String),
    /// The ISO 8601 `T` between date and time.
    IsoT,
}

fn tokenize_datetime(input: &str) -> std::result::Result<Vec<Field>, DateTimeError> {
    let chars: Vec<char> = input.to_lowercase().chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() || c == ',' {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && chars[i] == ':' {
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == ':' || chars[i] == '.') {
                    i += 1;
                }
                fields.push(Field::Time(chars[start..i].iter().collect()));
            } else if i < chars.len() && matches!(chars[i], '-' | '/' | '.') {
                let separator = chars[i];
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == separator)
                    // Stop at an ISO `T` that starts the time ("2024-01-31T12:00").
                    && !(chars[i] == 't' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
                {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                fields.push(Field::Date(text.split(separator).map(str::to_string).collect()));
            } else {
                fields.push(Field::Number(chars[start..i].iter().collect()));
            }
        } else if (c == '+' || c == '-') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == ':') {
                i += 1;
            }
            fields.push(Field::Offset(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '-' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '/' && month_number(&chars[start..i].iter().collect::<String>()).is_none()
            {
                // A zone name such as america/new_york.
                while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '/' | '_' | '-' | '+')) {
                    i += 1;
                }
            }
            let word: String = chars[start..i].iter().collect();
            if word == "t" {
                fields.push(Field::IsoT);
            } else if i < chars.len() && matches!(chars[i], '-' | '/' | '.') && month_number(&word).is_some() {
                // "jan-31-2024": a date field that starts with a month name.
                let separator = chars[i];
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == separator) {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                fields.push(Field::Date(text.split(separator).map(str::to_string).collect()));
            } else {
                fields.push(Field::Word(word));
            }
        } else {
            return Err(DateTimeError::Syntax);
        }
    }
    Ok(fields)
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    if word == "sept" {
        return Some(9);
    }
    MONTHS.iter().position(|m| *m == word || (word.len() == 3 && m.starts_with(word))).map(|p| p as u32 + 1)
}

/// UTC offsets (seconds east) of the common zone abbreviations in PostgreSQL's default set.
pub fn zone_abbreviation(word: &str) -> Option<i32> {
    let hours = |h: f64| Some((h * 3600.0) as i32);
    match word {
        "z" | "zulu" | "utc" | "gmt" | "ut" | "wet" => hours(0.0),
        "est" => hours(-5.0),
        "edt" => hours(-4.0),
        "cst" => hours(-6.0),
        "cdt" => hours(-5.0),
        "mst" => hours(-7.0),
        "mdt" => hours(-6.0),
        "pst" => hours(-8.0),
        "pdt" => hours(-7.0),
        "akst" => hours(-9.0),
        "akdt" => hours(-8.0),
        "hst" => hours(-10.0),
        "cet" | "west" | "bst" => hours(1.0),
        "cest" | "eet" => hours(2.0),
        "eest" | "msk" => hours(3.0),
        "jst" | "kst" => hours(9.0),
        "acst" => hours(9.5),
        "aest" => hours(10.0),
        "aedt" => hours(11.0),
        "nzst" => hours(12.0),
        "nzdt" => hours(13.0),
        _ => None,
    }
}

fn is_day_name(word: &str) -> bool {
    const DAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    DAYS.iter().any(|d| *d == word || (word.len() == 3 && d.starts_with(word)))
        || matches!(word, "tues" | "wednes" | "thur" | "thurs")
}

/// Years written with one or two digits are taken as 1970..2069, as PostgreSQL does.
fn adjust_two_digit_year(text: &str, year: i32) -> i32 {
    if text.len() <= 2 {
        if year < 70 {
            year + 2000
        } else {
            year + 1900
        }
    } else {
        year
    }
}

fn parse_number<T: FromStr>(text: &str) -> std::result::Result<T, DateTimeError> {
    text.parse().map_err(|_| DateTimeError::FieldOverflow { hint: false })
}

/// Parses a date/time string into its parts. This is a compact version of PostgreSQL's DecodeDateTime
/// covering the forms clients send: ISO 8601 (with `T` and zone), `YYYYMMDD[THHMMSS]`, MDY with slashes or
/// hyphens, month names, AM/PM, BC, numeric zone offsets, `Z`/`UTC`/`GMT` and the special words.
fn parse_datetime(input: &str) -> std::result::Result<ParsedDateTime, DateTimeError> {
    let fields = tokenize_datetime(input)?;
    let mut year: Option<(i32, String)> = None;
    let mut month: Option<u32> = None;
    let mut day: Option<u32> = None;
    let mut time: Option<i64> = None;
    let mut offset: Option<i32> = None;
    let mut zone: Option<super::zone::Zone> = None;
    let mut pm: Option<bool> = None;
    let mut bc = false;
    let mut after_t = false;
    let mut loose_numbers: Vec<String> = Vec::new();
    let mut datestyle_hint = false;

    // `today` and `now` are in the session zone (`now` then carries the zone's offset).
    let utc_now = Utc::now().naive_utc();
    let now_offset = super::zone::session_zone().offset_at(&utc_now);
    let now = utc_now + Duration::seconds(now_offset as i64);

    for field in fields {
        match field {
            Field::IsoT => after_t = true,
            Field::Date(parts) => {
                if parts.len() != 3 || year.is_some() || month.is_some() {
                    return Err(DateTimeError::Syntax);
                }
                let named = parts.iter().position(|p| p.chars().next().is_some_and(|c| c.is_alphabetic()));
                if let Some(named_index) = named {
                    month = Some(month_number(&parts[named_index]).ok_or(DateTimeError::Syntax)?);
                    let numbers: Vec<&String> =
                        parts.iter().enumerate().filter(|(i, _)| *i != named_index).map(|(_, p)| p).collect();
                    if !numbers.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
                        return Err(DateTimeError::Syntax);
                    }
                    let (year_text, day_text) =
                        if numbers[0].len() > 2 { (numbers[0], numbers[1]) } else { (numbers[1], numbers[0]) };
                    let y: i32 = parse_number(year_text)?;
                    year = Some((y, year_text.clone()));
                    day = Some(parse_number(day_text)?);
                } else {
                    if !parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
                        return Err(DateTimeError::Syntax);
                    }
                    let (y, m, d) = if parts[0].len() > 2 {
                        (&parts[0], &parts[1], &parts[2])
                    } else {
                        // DateStyle MDY.
                        datestyle_hint = true;
                        (&parts[2], &parts[0], &parts[1])
                    };
                    let y_value: i32 = parse_number(y)?;
                    year = Some((y_value, y.clone()));
                    month = Some(parse_number(m)?);
                    day = Some(parse_number(d)?);
                    if parts[0].len() > 2 && month.is_some_and(|m| m > 12) {
                        datestyle_hint = true;
                    }
                }
            }
            Field::Number(digits) => {
                if after_t && time.is_none() && matches!(digits.len(), 4 | 6) {
                    // HHMM[SS] after the ISO `T`.
                    let h: i64 = parse_number(&digits[0..2])?;
                    let m: i64 = parse_number(&digits[2..4])?;
                    let s: i64 = if digits.len() == 6 { parse_number(&digits[4..6])? } else { 0 };
                    time = Some(time_of_day(h, m, s, 0)?);
                } else if year.is_none() && month.is_none() && (digits.len() == 8 || digits.len() == 6) {
                    let split = digits.len() - 4;
                    let y_text = &digits[..split];
                    let y: i32 = parse_number(y_text)?;
                    year = Some((y, y_text.to_string()));
                    month = Some(parse_number(&digits[split..split + 2])?);
                    day = Some(parse_number(&digits[split + 2..])?);
                } else {
                    loose_numbers.push(digits);
                }
            }
            Field::Time(text) => {
                if time.is_some() {
                    return Err(DateTimeError::Syntax);
                }
                time = Some(parse_time_field(&text)?);
            }
            Field::Offset(text) => {
                if offset.is_some() || (time.is_none() && year.is_none()) {
                    return Err(DateTimeError::Syntax);
                }
                offset = Some(parse_offset(&text)?);
            }
            Field::Word(word) => match word.as_str() {
                "am" | "a" => pm = Some(false),
                "pm" | "p" => pm = Some(true),
                "bc" => bc = true,
                "ad" => {}
                w if zone_abbreviation(w).is_some() => {
                    if offset.is_some() {
                        return Err(DateTimeError::Syntax);
                    }
                    offset = zone_abbreviation(w);
                }
                w if w.contains('/') => {
                    if offset.is_some() || zone.is_some() {
                        return Err(DateTimeError::Syntax);
                    }
                    zone = Some(super::zone::Zone::parse(w).map_err(|_| DateTimeError::UnknownZone(w.to_string()))?);
                }
                "epoch" | "now" | "today" | "tomorrow" | "yesterday" | "allballs" => {
                    let (date, micros) = match word.as_str() {
                        "epoch" => (NaiveDate::from_ymd_opt(1970, 1, 1).ok_or(DateTimeError::Syntax)?, 0),
                        "now" => {
                            let t = now.time();
                            (
                                now.date(),
                                t.num_seconds_from_midnight() as i64 * 1_000_000 + (t.nanosecond() / 1000) as i64,
                            )
                        }
                        "today" => (now.date(), 0),
                        "tomorrow" => (now.date().succ_opt().ok_or(DateTimeError::Syntax)?, 0),
                        "yesterday" => (now.date().pred_opt().ok_or(DateTimeError::Syntax)?, 0),
                        _ => {
                            time = Some(0);
                            continue;
                        }
                    };
                    if year.is_some() || month.is_some() {
                        return Err(DateTimeError::Syntax);
                    }
                    // The full year text keeps it from being read as a two-digit year.
                    year = Some((date.year(), format!("{:04}", date.year())));
                    month = Some(date.month());
                    day = Some(date.day());
                    if word == "now" || word == "epoch" {
                        time = Some(micros);
                        offset = Some(if word == "now" { now_offset } else { 0 });
                    }
                }
                w if month_number(w).is_some() => {
                    if month.is_some() {
                        return Err(DateTimeError::Syntax);
                    }
                    month = month_number(w);
                }
                w if is_day_name(w) => {}
                _ => return Err(DateTimeError::Syntax),
            },
        }
    }

    // Loose numbers only make sense with a month name: "Jan 31 2024", "31 January 2024".
    if loose_numbers.len() == 3 && year.is_none() && month.is_none() && day.is_none() {
        // "2024 01 31" (year first when it has more than two digits) or "01 31 2024" (DateStyle MDY).
        let (y, m, d) = if loose_numbers[0].len() > 2 { (0, 1, 2) } else { (2, 0, 1) };
        datestyle_hint = true;
        year = Some((parse_number(&loose_numbers[y])?, loose_numbers[y].clone()));
        month = Some(parse_number(&loose_numbers[m])?);
        day = Some(parse_number(&loose_numbers[d])?);
        loose_numbers.clear();
    }
    if !loose_numbers.is_empty() {
        if month.is_none() || day.is_some() && year.is_some() {
            return Err(DateTimeError::Syntax);
        }
        for number in loose_numbers {
            let value: i32 = parse_number(&number)?;
            if day.is_none() && number.len() <= 2 && year.is_none() || (day.is_none() && year.is_some()) {
                day = Some(value as u32);
            } else if year.is_none() {
                year = Some((value, number));
            } else {
                return Err(DateTimeError::Syntax);
            }
        }
    }

    let (Some((year, year_text)), Some(month), Some(day)) = (year, month, day) else {
        return Err(DateTimeError::Syntax);
    };
    // Two-digit years mean 1970..2069, except with BC.
    let mut year = if bc { year } else { adjust_two_digit_year(&year_text, year) };
    if year == 0 && !bc {
        return Err(DateTimeError::FieldOverflow { hint: false });
    }
    if bc {
        if year <= 0 {
            return Err(DateTimeError::FieldOverflow { hint: false });
        }
        year = 1 - year;
    }
    if !(1..=12).contains(&month) {
        return Err(DateTimeError::FieldOverflow { hint: datestyle_hint });
    }
    if !(1..=31).contains(&day) {
        return Err(DateTimeError::FieldOverflow { hint: datestyle_hint });
    }
    if !(-9_999_999..=9_999_999).contains(&year) {
        return Err(DateTimeError::FieldOverflow { hint: false });
    }
    let date = match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        // A valid date outside chrono's range (beyond year 262142).
        None if day <= days_in_month(year, month) => return Err(DateTimeError::OutOfRange),
        None => return Err(DateTimeError::FieldOverflow { hint: false }),
    };
    let mut time_micros = time.unwrap_or(0);
    if let Some(pm) = pm {
        let hour = time_micros / 3_600_000_000;
        if time.is_none() {
            return Err(DateTimeError::Syntax);
        }
        if hour > 12 {
            return Err(DateTimeError::FieldOverflow { hint: false });
        }
        if pm && hour < 12 {
            time_micros += 12 * 3_600_000_000;
        } else if !pm && hour == 12 {
            time_micros -= 12 * 3_600_000_000;
        }
    }
    Ok(ParsedDateTime { date, time_micros, offset_seconds: offset, zone })
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// Microseconds since midnight, validating the fields (24:00:00 and leap second 60 are accepted).
fn time_of_day(h: i64, m: i64, s: i64, micros: i64) -> std::result::Result<i64, DateTimeError> {
    let overflow = DateTimeError::FieldOverflow { hint: false };
    if !(0..=24).contains(&h) || !(0..=59).contains(&m) || !(0..=60).contains(&s) {
        return Err(overflow);
    }
    let total = ((h * 60 + m) * 60 + s) * 1_000_000 + micros;
    if total > 86_400_000_000 {
        return Err(overflow);
    }
    Ok(total)
}

/// `H:M[:S[.fraction]]`; the fraction is rounded to microseconds.
fn parse_time_field(text: &str) -> std::result::Result<i64, DateTimeError> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(DateTimeError::Syntax);
    }
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !numeric(parts[0]) || !numeric(parts[1]) {
        return Err(DateTimeError::Syntax);
    }
    let h: i64 = parse_number(parts[0])?;
    let m: i64 = parse_number(parts[1])?;
    let (s, micros) = match parts.get(2) {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            if !numeric(whole) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateTimeError::Syntax);
            }
            let s: i64 = parse_number(whole)?;
            (s, round_fraction_to_micros(fraction))
        }
    };
    time_of_day(h, m, s, micros)
}

/// Rounds a decimal fraction's digits (the part after the point) to microseconds, half away from zero.
fn round_fraction_to_micros(fraction: &str) -> i64 {
    let mut digits: Vec<i64> = fraction.bytes().map(|b| (b - b'0') as i64).collect();
    digits.resize(digits.len().max(7), 0);
    let micros = digits[..6].iter().fold(0, |acc, d| acc * 10 + d);
    if digits[6] >= 5 {
        micros + 1
    } else {
        micros
    }
}

/// A numeric zone offset: `+5`, `-08`, `+0530`, `+05:30`, `+05:30:15`. PostgreSQL allows up to 15:59:59.
fn parse_offset(text: &str) -> std::result::Result<i32, DateTimeError> {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let body = &text[1..];
    let parts: Vec<&str> = body.split(':').collect();
    if parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) || parts.len() > 3 {
        return Err(DateTimeError::Syntax);
    }
    let (h, m, s): (i32, i32, i32) = if parts.len() == 1 {
        match body.len() {
            1 | 2 => (parse_number(body)?, 0, 0),
            3 | 4 => {
                let split = body.len() - 2;
                (parse_number(&body[..split])?, parse_number(&body[split..])?, 0)
            }
            5 | 6 => {
                let split = body.len() - 4;
                (
                    parse_number(&body[..split])?,
                    parse_number(&body[split..split + 2])?,
                    parse_number(&body[split + 2..])?,
                )
            }
            _ => return Err(DateTimeError::Syntax),
        }
    } else {
        (parse_number(parts[0])?, parse_number(parts[1])?, if parts.len() == 3 { parse_number(parts[2])? } else { 0 })
    };
    if m > 59 || s > 59 {
        return Err(DateTimeError::FieldOverflow { hint: false });
    }
    if h > 15 {
        return Err(DateTimeError::ZoneDisplacement);
    }
    Ok(sign * (h * 3600 + m * 60 + s))
}

/// Midnight of `date` (date -> timestamp casts).
pub fn date_to_timestamp(date: &NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str, t: DataType) -> Value {
        parse(text, &t).unwrap_or_else(|e| panic!("parse {text:?} as {t}: {e}"))
    }

    fn err(text: &str, t: DataType) -> Error {
        parse(text, &t).expect_err(text)
    }

    fn round_trip(text: &str, t: DataType) -> String {
        format(&p(text, t), &t)
    }

    #[test]
    fn booleans() {
        for yes in ["t", "true", " TRUE ", "y", "yes", "on", "1", "tr"] {
            assert_eq!(p(yes, DataType::Bool), Value::Bool(true), "{yes}");
        }
        for no in ["f", "false", "n", "no", "of", "off", "0", "FALSE"] {
            assert_eq!(p(no, DataType::Bool), Value::Bool(false), "{no}");
        }
        let e = err("o", DataType::Bool);
        assert_eq!((e.code, e.message.as_str()), ("22P02", "invalid input syntax for type boolean: \"o\""));
        assert_eq!(format(&Value::Bool(true), &DataType::Bool), "t");
        assert_eq!(format(&Value::Bool(false), &DataType::Bool), "f");
    }

    #[test]
    fn integers() {
        assert_eq!(p(" 12 ", DataType::Int4), Value::Int(12));
        assert_eq!(p("+12", DataType::Int4), Value::Int(12));
        assert_eq!(p("-0", DataType::Int8), Value::Int(0));
        assert_eq!(p("-32768", DataType::Int2), Value::Int(-32768));
        assert_eq!(p("9223372036854775807", DataType::Int8), Value::Int(i64::MAX));
        assert_eq!(p("-9223372036854775808", DataType::Int8), Value::Int(i64::MIN));
        let e = err("99999999999", DataType::Int4);
        assert_eq!((e.code, e.message.as_str()), ("22003", "value \"99999999999\" is out of range for type integer"));
        let e = err("32768", DataType::Int2);
        assert_eq!(e.message, "value \"32768\" is out of range for type smallint");
        let e = err("9223372036854775808", DataType::Int8);
        assert_eq!(e.message, "value \"9223372036854775808\" is out of range for type bigint");
        let e = err("abc", DataType::Int4);
        assert_eq!((e.code, e.message.as_str()), ("22P02", "invalid input syntax for type integer: \"abc\""));
        assert_eq!(err("", DataType::Int4).message, "invalid input syntax for type integer: \"\"");
        assert_eq!(err("12 3", DataType::Int4).code, "22P02");
        assert_eq!(err("1.5", DataType::Int8).message, "invalid input syntax for type bigint: \"1.5\"");
    }

    #[test]
    fn float8_output_matches_postgres() {
        let cases = [
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e100, "1e+100"),
            (1.5e-7, "1.5e-07"),
            (1e-310, "1e-310"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (100.0, "100"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(format(&Value::Float(value), &DataType::Float8), expected, "{value}");
        }
        // float4 -> float8 shows the float4's binary value.
        assert_eq!(format(&Value::Float(0.1f32 as f64), &DataType::Float8), "0.10000000149011612");
    }

    #[test]
    fn float4_output_matches_postgres() {
        let cases = [
            (1e6f32, "1e+06"),
            (100000.0, "100000"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (3.14158, "3.14158"),
            (1e38, "1e+38"),
            (0.1, "0.1"),
        ];
        for (value, expected) in cases {
            assert_eq!(format(&Value::Float(value as f64), &DataType::Float4), expected, "{value}");
        }
    }

    #[test]
    fn float_input() {
        assert_eq!(p(" 1.5 ", DataType::Float8), Value::Float(1.5));
        assert_eq!(p("inf", DataType::Float8), Value::Float(f64::INFINITY));
        assert_eq!(p("-Infinity", DataType::Float8), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(p("nan", DataType::Float8), Value::Float(f) if f.is_nan()));
        assert_eq!(p("1e5", DataType::Float8), Value::Float(100000.0));
        assert_eq!(p(".5", DataType::Float8), Value::Float(0.5));
        let e = err("1e400", DataType::Float8);
        assert_eq!((e.code, e.message.as_str()), ("22003", "\"1e400\" is out of range for type double precision"));
        assert_eq!(err("1e-400", DataType::Float8).message, "\"1e-400\" is out of range for type double precision");
        assert_eq!(err("1e40", DataType::Float4).message, "\"1e40\" is out of range for type real");
        assert_eq!(err("abc", DataType::Float8).message, "invalid input syntax for type double precision: \"abc\"");
        assert_eq!(err("1e", DataType::Float4).message, "invalid input syntax for type real: \"1e\"");
        assert_eq!(p("0.1", DataType::Float4), Value::Float(0.1f32 as f64));
    }

    #[test]
    fn numeric_text() {
        let n = DataType::Numeric(None);
        assert_eq!(round_trip("1.50", n), "1.50");
        assert_eq!(round_trip("1.5e-3", n), "0.0015");
        assert_eq!(round_trip("1e5", n), "100000");
        assert_eq!(round_trip("1.50e1", n), "15.0");
        assert_eq!(round_trip(" +1.5 ", n), "1.5");
        assert_eq!(round_trip(".5", n), "0.5");
        assert_eq!(round_trip("5.", n), "5");
        assert_eq!(round_trip("-0.00", n), "0.00");
        assert_eq!(round_trip("-12.345", n), "-12.345");
        assert_eq!(err("abc", n).message, "invalid input syntax for type numeric: \"abc\"");
        assert_eq!(err("1e131072", n).code, "22003");
        assert_eq!(err("1e-16384", n).code, "22003");
        assert_eq!(round_trip("1.005", DataType::Numeric(Some((5, 2)))), "1.01");
        assert_eq!(err("1234.5", DataType::Numeric(Some((5, 2)))).message, "numeric field overflow");
        // Every digit is kept, as PostgreSQL.
        assert_eq!(round_trip("123456789012345678901234567890", n), "123456789012345678901234567890");
        assert_eq!(round_trip("0.12345678901234567890123456789012", n), "0.12345678901234567890123456789012");
        assert_eq!(round_trip("1.5e-30", n), "0.0000000000000000000000000000015");
    }

    #[test]
    fn strings() {
        assert_eq!(round_trip("ab", DataType::Char(4)), "ab  ");
        assert_eq!(p("abc  ", DataType::Char(3)), Value::Text("abc".into()));
        let e = err("abcdef", DataType::Char(3));
        assert_eq!((e.code, e.message.as_str()), ("22001", "value too long for type character(3)"));
        let e = err("abcdef", DataType::Varchar(Some(5)));
        assert_eq!(e.message, "value too long for type character varying(5)");
        assert_eq!(p("héllo", DataType::Varchar(Some(5))), Value::Text("héllo".into()));
        assert_eq!(p("anything", DataType::Text), Value::Text("anything".into()));
    }

    #[test]
    fn bytea() {
        assert_eq!(p("\\x0102ab", DataType::Bytea), Value::Bytea(vec![1, 2, 0xab]));
        assert_eq!(p("\\x01 02", DataType::Bytea), Value::Bytea(vec![1, 2]));
        assert_eq!(p("abc\\\\d\\001", DataType::Bytea), Value::Bytea(b"abc\\d\x01".to_vec()));
        assert_eq!(format(&Value::Bytea(b"abc\\d\x01".to_vec()), &DataType::Bytea), "\\x6162635c6401");
        assert_eq!(format(&Value::Bytea(vec![]), &DataType::Bytea), "\\x");
        let e = err("\\x0", DataType::Bytea);
        assert_eq!((e.code, e.message.as_str()), ("22023", "invalid hexadecimal data: odd number of digits"));
        assert_eq!(err("\\xzz", DataType::Bytea).message, "invalid hexadecimal digit: \"z\"");
        let e = err("a\\", DataType::Bytea);
        assert_eq!((e.code, e.message.as_str()), ("22P02", "invalid input syntax for type bytea"));
    }

    #[test]
    fn uuids() {
        let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for input in [
            canonical,
            "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(round_trip(input, DataType::Uuid), canonical, "{input}");
        }
        for bad in [
            " a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "x",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
        ] {
            let e = err(bad, DataType::Uuid);
            assert_eq!(e.message, format!("invalid input syntax for type uuid: \"{bad}\""));
        }
    }

    #[test]
    fn dates() {
        for input in [
            "2024-01-31",
            " 2024-01-31 ",
            "20240131",
            "Jan 31 2024",
            "31 Jan 2024",
            "January 31, 2024",
            "1/31/2024",
            "2024/01/31",
            "1/31/24",
            "2024-01-31 12:00",
            "31-Jan-2024",
            "Wed Jan 31 2024",
        ] {
            assert_eq!(round_trip(input, DataType::Date), "2024-01-31", "{input}");
        }
        assert_eq!(round_trip("12/31/99", DataType::Date), "1999-12-31");
        assert_eq!(round_trip("2024 01 31", DataType::Date), "2024-01-31");
        assert_eq!(round_trip("5-3-15", DataType::Date), "2015-05-03");
        assert_eq!(round_trip("January 8, 99 BC", DataType::Date), "0099-01-08 BC");
        assert_eq!(err("Feb 29 2023", DataType::Date).code, "22008");
        assert_eq!(err("2024-01", DataType::Date).code, "22007");
        assert_eq!(round_trip("0001-12-31 BC", DataType::Date), "0001-12-31 BC");
        assert_eq!(round_trip("99999-01-01", DataType::Date), "99999-01-01");
        assert_eq!(round_trip("epoch", DataType::Date), "1970-01-01");
        let e = err("x", DataType::Date);
        assert_eq!((e.code, e.message.as_str()), ("22007", "invalid input syntax for type date: \"x\""));
        let e = err("2024-13-01", DataType::Date);
        assert_eq!((e.code, e.message.as_str()), ("22008", "date/time field value out of range: \"2024-13-01\""));
        assert_eq!(e.hint.as_deref(), Some("Perhaps you need a different \"datestyle\" setting."));
        let e = err("2024-02-30", DataType::Date);
        assert_eq!((e.code, e.hint), ("22008", None));
        assert_eq!(err("31/12/2024", DataType::Date).code, "22008");
        assert_eq!(err("0000-01-01", DataType::Date).code, "22008");
    }

    #[test]
    fn timestamps() {
        let ts = DataType::Timestamp;
        assert_eq!(round_trip("2024-01-31 12:34:56.789", ts), "2024-01-31 12:34:56.789");
        assert_eq!(round_trip("2024-01-31 12:34:56", ts), "2024-01-31 12:34:56");
        assert_eq!(round_trip("2024-01-31", ts), "2024-01-31 00:00:00");
        assert_eq!(round_trip("2024-01-31 24:00:00", ts), "2024-02-01 00:00:00");
        assert_eq!(round_trip("2024-01-31 23:59:60", ts), "2024-02-01 00:00:00");
        assert_eq!(round_trip("2024-01-31 12:00:00.1234567", ts), "2024-01-31 12:00:00.123457");
        assert_eq!(round_trip("2024-01-31 1:2:3 pm", ts), "2024-01-31 13:02:03");
        assert_eq!(round_trip("2024-01-31 12:00 am", ts), "2024-01-31 00:00:00");
        assert_eq!(round_trip("epoch", ts), "1970-01-01 00:00:00");
        assert_eq!(round_trip("2024-01-31 12:34:56+05:30", ts), "2024-01-31 12:34:56");
        assert_eq!(round_trip("20240131T123456", ts), "2024-01-31 12:34:56");
        assert_eq!(round_trip("0099-02-03 01:02:03", ts), "0099-02-03 01:02:03");
        assert_eq!(round_trip("2024-01-31T12:34:56", ts), "2024-01-31 12:34:56");
        let e = err("x", ts);
        assert_eq!((e.code, e.message.as_str()), ("22007", "invalid input syntax for type timestamp: \"x\""));
        let e = err("2024-01-01 25:00", ts);
        assert_eq!((e.code, e.message.as_str()), ("22008", "date/time field value out of range: \"2024-01-01 25:00\""));
        let e = err("294277-01-01", ts);
        assert_eq!((e.code, e.message.as_str()), ("22008", "timestamp out of range: \"294277-01-01\""));
    }

    #[test]
    fn timestamptz() {
        let tz = DataType::Timestamptz;
        assert_eq!(round_trip("2024-01-31 12:34:56.789", tz), "2024-01-31 12:34:56.789+00");
        assert_eq!(round_trip("2024-01-31T12:34:56Z", tz), "2024-01-31 12:34:56+00");
        assert_eq!(round_trip("2024-01-31 12:34:56+05:30", tz), "2024-01-31 07:04:56+00");
        assert_eq!(round_trip("2024-01-31T12:34:56.5+01", tz), "2024-01-31 11:34:56.5+00");
        assert_eq!(round_trip("2024-01-31 12:00 +15:30", tz), "2024-01-30 20:30:00+00");
        assert_eq!(round_trip("2024-01-31 12:00:00-0800", tz), "2024-01-31 20:00:00+00");
        assert_eq!(round_trip("2024-01-31 12:00:00 UTC", tz), "2024-01-31 12:00:00+00");
        assert_eq!(round_trip("2024-01-31 12:34:56 EST", tz), "2024-01-31 17:34:56+00");
        assert_eq!(round_trip("0001-01-01 00:00:00+01", tz), "0001-12-31 23:00:00+00 BC");
        assert_eq!(round_trip("2024-01-31 12:34:56 +05:30:30", tz), "2024-01-31 07:04:26+00");
        assert_eq!(round_trip("2024-07-01 12:00 America/New_York", tz), "2024-07-01 16:00:00+00");
        assert_eq!(round_trip("2024-01-01 12:00 europe/paris", tz), "2024-01-01 11:00:00+00");
        let e = err("2024-01-31 12:00 Mars/Olympus", tz);
        assert_eq!((e.code, e.message.as_str()), ("22023", "time zone \"mars/olympus\" not recognized"));
        let e = err("x", tz);
        assert_eq!(e.message, "invalid input syntax for type timestamp with time zone: \"x\"");
        let e = err("2024-01-31 12:00 +16:00", tz);
        assert_eq!(
            (e.code, e.message.as_str()),
            ("22009", "time zone displacement out of range: \"2024-01-31 12:00 +16:00\"")
        );
        assert_eq!(err("2024-01-31 12:00 foo", tz).code, "22007");
    }
}
