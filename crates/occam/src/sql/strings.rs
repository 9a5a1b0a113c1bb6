//! String and binary functions beyond the basic ones of `sql::functions`: `format` (PostgreSQL's
//! `%s`, `%I`, `%L`, `%%` with positions and widths), `encode` / `decode` (hex, base64, escape),
//! `quote_ident` / `quote_literal` / `quote_nullable`, `like_escape` (what `LIKE p ESCAPE e` runs), and the SHA-2 digests (`sha256`, `sha384`,
//! `sha512`). Resolved by name from `functions::resolve_scalar`'s fallback chain and invoked through
//! `ScalarFunction::Strings`.

use base64::Engine;

use crate::error::{sqlstate, Error, Result};
use crate::sql::functions::{function_does_not_exist, ResolvedScalar, ScalarFunction};
use crate::types::{DataType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringFunction {
    Format,
    Encode,
    Decode,
    QuoteIdent,
    QuoteLiteral,
    QuoteNullable,
    LikeEscape,
    Sha256,
    Sha384,
    Sha512,
}

/// The functions of this module by name; None for any other name.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    use StringFunction as S;
    let text = |t: &DataType| t.is_text_like() || *t == DataType::Unknown;
    let bytea = |t: &DataType| matches!(t, DataType::Bytea | DataType::Unknown);
    let resolved = |function, arg_types: Vec<DataType>, result_type| {
        Some(Ok(ResolvedScalar { function: ScalarFunction::Strings(function), arg_types, result_type }))
    };
    let not_found = || Some(Err(function_does_not_exist(name, args)));
    match (name, args) {
        // format's arguments after the first keep their own types: each is printed as its type prints it.
        ("format", [first, rest @ ..]) if text(first) => {
            let mut types = vec![DataType::Text];
            types.extend(rest.iter().map(|t| if *t == DataType::Unknown { DataType::Text } else { *t }));
            resolved(S::Format, types, DataType::Text)
        }
        ("encode", [data, format]) if bytea(data) && text(format) => {
            resolved(S::Encode, vec![DataType::Bytea, DataType::Text], DataType::Text)
        }
        ("decode", [data, format]) if text(data) && text(format) => {
            resolved(S::Decode, vec![DataType::Text, DataType::Text], DataType::Bytea)
        }
        ("quote_ident", [t]) if text(t) => resolved(S::QuoteIdent, vec![DataType::Text], DataType::Text),
        ("quote_literal" | "quote_nullable", [t]) => {
            let function = if name == "quote_literal" { S::QuoteLiteral } else { S::QuoteNullable };
            let t = if *t == DataType::Unknown { DataType::Text } else { *t };
            resolved(function, vec![t], DataType::Text)
        }
        ("like_escape", [pattern, escape]) if text(pattern) && text(escape) => {
            resolved(S::LikeEscape, vec![DataType::Text, DataType::Text], DataType::Text)
        }
        ("sha256" | "sha384" | "sha512", [t]) if bytea(t) => {
            let function = match name {
                "sha256" => S::Sha256,
                "sha384" => S::Sha384,
                _ => S::Sha512,
            };
            resolved(function, vec![DataType::Bytea], DataType::Bytea)
        }
        ("format" | "encode" | "decode" | "quote_ident" | "quote_literal" | "quote_nullable" | "like_escape", _)
        | ("sha256" | "sha384" | "sha512", _) => not_found(),
        _ => None,
    }
}

/// Evaluates one of this module's functions on arguments coerced to `resolved.arg_types`.
pub fn invoke(function: StringFunction, resolved: &ResolvedScalar, args: &[Value]) -> Result<Value> {
    use StringFunction as S;
    // Not strict: format prints NULL arguments, quote_nullable quotes NULL as the word NULL.
    match function {
        S::Format => {
            return match args.first() {
                Some(Value::Text(template)) => format(template, &args[1..], &resolved.arg_types[1..]).map(Value::Text),
                _ => Ok(Value::Null),
            }
        }
        S::QuoteNullable => {
            return Ok(Value::Text(match &args[0] {
                Value::Null => "NULL".to_string(),
                value => quote_literal(&crate::types::text::format(value, &resolved.arg_types[0])),
            }))
        }
        _ if args.iter().any(Value::is_null) => return Ok(Value::Null),
        _ => {}
    }
    let text = |i: usize| match &args[i] {
        Value::Text(s) => Ok(s.as_str()),
        other => Err(Error::internal(format!("expected text, got {other:?}"))),
    };
    let bytes = |i: usize| match &args[i] {
        Value::Bytea(b) => Ok(b.as_slice()),
        other => Err(Error::internal(format!("expected bytea, got {other:?}"))),
    };
    Ok(match function {
        S::Encode => Value::Text(encode(bytes(0)?, text(1)?)?),
        S::Decode => Value::Bytea(decode(text(0)?, text(1)?)?),
        S::QuoteIdent => Value::Text(crate::sql::system::names::quote_ident(text(0)?)),
        S::LikeEscape => Value::Text(like_escape(text(0)?, text(1)?)?),
        S::QuoteLiteral => Value::Text(quote_literal(&crate::types::text::format(&args[0], &resolved.arg_types[0]))),
        S::Sha256 | S::Sha384 | S::Sha512 => {
            let algorithm = match function {
                S::Sha256 => &ring::digest::SHA256,
                S::Sha384 => &ring::digest::SHA384,
                _ => &ring::digest::SHA512,
            };
            Value::Bytea(ring::digest::digest(algorithm, bytes(0)?).as_ref().to_vec())
        }
        S::Format | S::QuoteNullable => unreachable!("handled above"),
    })
}

/// `like_escape(pattern, escape)`: the pattern rewritten for LIKE's own escape character, the backslash
/// (`LIKE p ESCAPE e` is `LIKE like_escape(p, e)`, as in PostgreSQL): `e` followed by a character becomes
/// a backslash and it, a backslash that `e` is not becomes a literal backslash; an empty `e` escapes
/// nothing. `22025` for an escape of several characters.
fn like_escape(pattern: &str, escape: &str) -> Result<String> {
    let mut chars = escape.chars();
    let escape = match (chars.next(), chars.next()) {
        (None, _) => None,
        (Some(c), None) => Some(c),
        _ => {
            return Err(
                Error::new("22025", "invalid escape string").with_hint("Escape string must be empty or one character.")
            )
        }
    };
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            // A trailing escape stays one: LIKE refuses the pattern if matching reaches it.
            out.push('\\');
            out.extend(chars.next());
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// `quote_literal`: single quotes, doubled inside; a backslash makes it an `E'...'` string, as PostgreSQL.
fn quote_literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

fn unrecognized_format(what: &str) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("unrecognized encoding: \"{what}\""))
}

fn encode(data: &[u8], format: &str) -> Result<String> {
    Ok(match format.to_ascii_lowercase().as_str() {
        "hex" => data.iter().map(|b| format!("{b:02x}")).collect(),
        // PostgreSQL breaks base64 lines at 76 characters.
        "base64" => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            encoded
                .as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        }
        "escape" => {
            let mut out = String::with_capacity(data.len());
            for &b in data {
                match b {
                    0 => out.push_str("\\000"),
                    b'\\' => out.push_str("\\\\"),
                    0x80..=0xff => out.push_str(&format!("\\{b:03o}")),
                    b => out.push(b as char),
                }
            }
            out
        }
        _ => return Err(unrecognized_format(format)),
    })
}

fn decode(text: &str, format: &str) -> Result<Vec<u8>> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => {
            let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            if digits.len() % 2 == 1 {
                return Err(Error::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
            digits
                .chunks(2)
                .map(|pair| {
                    let digit = |c: u8| {
                        (c as char).to_digit(16).ok_or_else(|| {
                            Error::new(
                                sqlstate::INVALID_PARAMETER_VALUE,
                                format!("invalid hexadecimal digit: \"{}\"", c as char),
                            )
                        })
                    };
                    Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
                })
                .collect()
        }
        "base64" => {
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| Error::new(sqlstate::INVALID_PARAMETER_VALUE, "invalid base64 end sequence"))
        }
        "escape" => {
            let bytes = text.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                match (bytes[i], bytes.get(i + 1..i + 4)) {
                    (b'\\', Some([b'\\', ..])) => {
                        out.push(b'\\');
                        i += 2;
                    }
                    (b'\\', Some(octal)) if octal.iter().all(|d| (b'0'..=b'7').contains(d)) => {
                        out.push(octal.iter().fold(0u8, |acc, d| acc.wrapping_mul(8) + (d - b'0')));
                        i += 4;
                    }
                    (b'\\', _) => {
                        return Err(Error::new(
                            sqlstate::INVALID_TEXT_REPRESENTATION,
                            "invalid input syntax for type bytea",
                        ))
                    }
                    (b, _) => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            Ok(out)
        }
        _ => Err(unrecognized_format(format)),
    }
}

/// PostgreSQL's `format(template, args...)`: `%[position$][-][width]type` with types `s` (the value as
/// text, NULL as nothing), `I` (quoted as an identifier; NULL is an error), `L` (quoted as a literal, NULL
/// as `NULL`), and `%%`.
fn format(template: &str, args: &[Value], types: &[DataType]) -> Result<String> {
    let invalid = |message: String| Error::new(sqlstate::INVALID_PARAMETER_VALUE, message);
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // An optional `n$` position, then an optional `-` and width, then the type.
        let mut number = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            number.push(*d);
            chars.next();
        }
        let mut position = None;
        if !number.is_empty() && chars.peek() == Some(&'$') {
            chars.next();
            let n: usize = number.parse().map_err(|_| invalid("number is out of range".into()))?;
            if n == 0 {
                return Err(invalid("format specifies argument 0, but arguments are numbered from 1".into()));
            }
            position = Some(n - 1);
            number.clear();
        }
        let left_align = chars.peek() == Some(&'-');
        if left_align {
            chars.next();
        }
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            number.push(*d);
            chars.next();
        }
        let width: usize =
            if number.is_empty() { 0 } else { number.parse().map_err(|_| invalid("number is out of range".into()))? };
        let Some(kind) = chars.next() else {
            return Err(invalid("unterminated format() type specifier".into()))
                .map_err(|e: Error| e.with_hint("For a single \"%\" use \"%%\"."));
        };
        if !matches!(kind, 's' | 'I' | 'L') {
            return Err(invalid(format!("unrecognized format() type specifier \"{kind}\""))
                .with_hint("For a single \"%\" use \"%%\"."));
        }
        let index = position.unwrap_or(next_arg);
        next_arg = index + 1;
        let Some(value) = args.get(index) else {
            return Err(invalid("too few arguments for format()".into()));
        };
        let as_text = || crate::types::text::format(value, &types[index]);
        let piece = match (kind, value) {
            ('s', Value::Null) => String::new(),
            ('s', _) => as_text(),
            ('I', Value::Null) => {
                return Err(Error::new(
                    sqlstate::NULL_VALUE_NOT_ALLOWED,
                    "null values cannot be formatted as an SQL identifier",
                ))
            }
            ('I', _) => crate::sql::system::names::quote_ident(&as_text()),
            (_, Value::Null) => "NULL".to_string(),
            _ => quote_literal(&as_text()),
        };
        let pad = width.saturating_sub(piece.chars().count());
        if left_align {
            out.push_str(&piece);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&piece);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_postgres() {
        let t = |s: &str| Value::Text(s.into());
        let types = [DataType::Text, DataType::Int4, DataType::Text];
        let args = [t("it's"), Value::Int(7), Value::Null];
        assert_eq!(format("%s|%L|%3$L|%2$s|%%", &args, &types).unwrap(), "it's|'7'|NULL|7|%");
        assert_eq!(format("[%5s][%-5s]", &[t("ab"), t("cd")], &[DataType::Text; 2]).unwrap(), "[   ab][cd   ]");
        assert_eq!(format("%I", &[t("Foo bar")], &[DataType::Text]).unwrap(), "\"Foo bar\"");
        assert_eq!(format("%s %s", &[t("x")], &[DataType::Text]).unwrap_err().code, "22023");
    }

    #[test]
    fn encodings_round_trip() {
        let data = b"a\\b\x00\xff'".to_vec();
        for format in ["hex", "base64", "escape"] {
            assert_eq!(decode(&encode(&data, format).unwrap(), format).unwrap(), data, "{format}");
        }
        assert_eq!(encode(b"ab", "hex").unwrap(), "6162");
        assert_eq!(encode(b"a\\b\x00", "escape").unwrap(), "a\\\\b\\000");
    }
}
