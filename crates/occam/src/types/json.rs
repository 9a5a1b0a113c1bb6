//! The `json` and `jsonb` values: parsing, printing, PostgreSQL's jsonb ordering and its key encoding.
//!
//! `json` keeps its input text exactly (a `Value::Text` under `DataType::Json`, validated on input), so
//! its operators re-read it: [`Parser`] parses the whole text into a tree, and [`raw_children`] hands out
//! the text of a container's members for the operators that return `json` (which PostgreSQL returns as
//! written, whitespace and all). `jsonb` is a [`Jsonb`] tree normalized as PostgreSQL stores it: object
//! keys unique (the last duplicate wins) and ordered shorter first, then bytewise; numbers are numeric
//! text as `numeric_out` prints them (`1.50` stays `1.50`, `1e2` is `100`), compared by value.
//!
//! Ordering (`jsonb`'s btree opclass): Object > Array > Boolean > Number > String > Null; objects and
//! arrays with more members sort higher, then member by member (an object as key-1, value-1, key-2, ...).
//! At the top level a scalar is a one-element "raw scalar" array, so `[]` sorts below every scalar, and a
//! scalar below a one-element array. [`encode_key`] writes the same order as bytes for the storage key
//! encoding (`storage::keycode`), self-delimiting and decodable back to the exact tree.

use std::cmp::Ordering;
use std::fmt::Write;

use crate::error::{sqlstate, Error, Result};

/// One jsonb value. Objects hold their members in jsonb's key order, without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub enum Jsonb {
    Null,
    Bool(bool),
    /// Numeric text as `numeric_out` prints it (`-1.50`, `100`, `0`).
    Number(String),
    String(String),
    Array(Vec<Jsonb>),
    Object(Vec<(String, Jsonb)>),
}

/// The order of jsonb object keys: shorter first, then bytewise (PostgreSQL's `lengthCompareJsonbString`).
pub fn key_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

impl Jsonb {
    /// Parses the text of a `jsonb` value (22P02 `invalid input syntax for type json`).
    pub fn parse(text: &str) -> Result<Jsonb> {
        Ok(Parser::parse_document(text, true)?.normalized())
    }

    /// An object from members in any order; a later duplicate key replaces an earlier one.
    pub fn object(members: Vec<(String, Jsonb)>) -> Jsonb {
        let mut sorted: Vec<(String, Jsonb)> = Vec::with_capacity(members.len());
        for (key, value) in members {
            match sorted.binary_search_by(|(k, _)| key_order(k, &key)) {
                Ok(i) => sorted[i].1 = value,
                Err(i) => sorted.insert(i, (key, value)),
            }
        }
        Jsonb::Object(sorted)
    }

    /// The tree as jsonb stores it: keys ordered and unique, numbers normalized.
    fn normalized(self) -> Jsonb {
        match self {
            Jsonb::Number(text) => Jsonb::Number(normalize_number(&text)),
            Jsonb::Array(elements) => Jsonb::Array(elements.into_iter().map(Jsonb::normalized).collect()),
            Jsonb::Object(members) => Jsonb::object(members.into_iter().map(|(k, v)| (k, v.normalized())).collect()),
            other => other,
        }
    }

    /// The bytes the tree owns on the heap (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        let node = std::mem::size_of::<Jsonb>();
        match self {
            Jsonb::Number(s) | Jsonb::String(s) => s.capacity(),
            Jsonb::Array(elements) => elements.iter().map(|e| node + e.heap_bytes()).sum(),
            Jsonb::Object(members) => members.iter().map(|(k, v)| node + 24 + k.capacity() + v.heap_bytes()).sum(),
            Jsonb::Null | Jsonb::Bool(_) => 0,
        }
    }

    /// `jsonb_typeof`'s name of the value's kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            Jsonb::Null => "null",
            Jsonb::Bool(_) => "boolean",
            Jsonb::Number(_) => "number",
            Jsonb::String(_) => "string",
            Jsonb::Array(_) => "array",
            Jsonb::Object(_) => "object",
        }
    }

    /// The member `key` of an object.
    pub fn field(&self, key: &str) -> Option<&Jsonb> {
        match self {
            Jsonb::Object(members) => members.binary_search_by(|(k, _)| key_order(k, key)).ok().map(|i| &members[i].1),
            _ => None,
        }
    }

    /// Element `index` of an array (negative counts from the end).
    pub fn element(&self, index: i64) -> Option<&Jsonb> {
        match self {
            Jsonb::Array(elements) => resolve_index(index, elements.len()).map(|i| &elements[i]),
            _ => None,
        }
    }

    /// The value at `path` (object keys, or array subscripts as text), as `#>` follows it.
    pub fn at_path(&self, path: &[Option<String>]) -> Option<&Jsonb> {
        let mut current = self;
        for step in path {
            let step = step.as_deref()?;
            current = match current {
                Jsonb::Object(_) => current.field(step)?,
                Jsonb::Array(_) => current.element(step.trim().parse::<i64>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The text `->>` returns: a string's contents, NULL for a JSON null, else the jsonb text.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Jsonb::Null => None,
            Jsonb::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// `jsonb_pretty`: four-space indentation, one member per line (an empty container's brackets too).
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            out.push_str(&"    ".repeat(depth));
        };
        match self {
            Jsonb::Array(elements) => {
                out.push('[');
                for (i, element) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    element.write_pretty(out, depth + 1);
                }
                indent(out, depth);
                out.push(']');
            }
            Jsonb::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write_pretty(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }

    /// `a @> b`: whether `self` contains `other` (PostgreSQL's JsonbDeepContains, with its top-level rule
    /// that an array contains a scalar element).
    pub fn contains(&self, other: &Jsonb) -> bool {
        match (self, other) {
            (Jsonb::Array(_), scalar) if !matches!(scalar, Jsonb::Array(_) | Jsonb::Object(_)) => {
                self.deep_contains(&Jsonb::Array(vec![scalar.clone()]))
            }
            _ => self.deep_contains(other),
        }
    }

    fn deep_contains(&self, other: &Jsonb) -> bool {
        match (self, other) {
            (Jsonb::Object(_), Jsonb::Object(wanted)) => {
                wanted.iter().all(|(key, value)| self.field(key).is_some_and(|mine| mine.deep_contains(value)))
            }
            (Jsonb::Array(mine), Jsonb::Array(wanted)) => wanted.iter().all(|w| match w {
                Jsonb::Array(_) | Jsonb::Object(_) => mine.iter().any(|m| m.deep_contains(w)),
                scalar => mine.iter().any(|m| compare(m, scalar) == Ordering::Equal),
            }),
            (Jsonb::Array(_), _) | (Jsonb::Object(_), _) | (_, Jsonb::Array(_)) | (_, Jsonb::Object(_)) => false,
            (a, b) => compare(a, b) == Ordering::Equal,
        }
    }

    /// `?`: a top-level key, array string element, or the scalar string itself.
    pub fn has_key(&self, key: &str) -> bool {
        match self {
            Jsonb::Object(_) => self.field(key).is_some(),
            Jsonb::Array(elements) => elements.iter().any(|e| matches!(e, Jsonb::String(s) if s == key)),
            Jsonb::String(s) => s == key,
            _ => false,
        }
    }
}

/// An array subscript resolved against `len` (negative from the end); None when out of range.
pub fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let resolved = if index < 0 { len + index } else { index };
    (0..len).contains(&resolved).then_some(resolved as usize)
}

impl std::fmt::Display for Jsonb {
    /// jsonb's text form: `{"a": 1, "b": [1, 2]}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        write_jsonb(&mut out, self);
        f.write_str(&out)
    }
}

fn write_jsonb(out: &mut String, value: &Jsonb) {
    match value {
        Jsonb::Null => out.push_str("null"),
        Jsonb::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Jsonb::Number(n) => out.push_str(n),
        Jsonb::String(s) => write_string(out, s),
        Jsonb::Array(elements) => {
            out.push('[');
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(out, element);
            }
            out.push(']');
        }
        Jsonb::Object(members) => {
            out.push('{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_jsonb(out, value);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal as PostgreSQL's `escape_json` writes it.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON string literal of `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

// ---- numbers ----

/// A JSON number's text as `numeric_out` prints the numeric it reads as: the exponent applied, leading zeros
/// dropped, the scale kept (`1.50`, `1e2` -> `100`, `1.5e-3` -> `0.0015`, `-0` -> `0`).
pub fn normalize_number(text: &str) -> String {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().unwrap_or(0)),
        None => (body, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{integer}{fraction}");
    let point = integer.len() as i64 + exponent;
    let scale = (fraction.len() as i64 - exponent).max(0) as usize;
    let mut integer_part = String::new();
    let mut fraction_part = String::new();
    if point <= 0 {
        fraction_part.push_str(&"0".repeat((-point) as usize));
        fraction_part.push_str(&digits);
    } else if point as usize >= digits.len() {
        integer_part.push_str(&digits);
        integer_part.push_str(&"0".repeat(point as usize - digits.len()));
    } else {
        integer_part.push_str(&digits[..point as usize]);
        fraction_part.push_str(&digits[point as usize..]);
    }
    fraction_part.truncate(scale);
    while fraction_part.len() < scale {
        fraction_part.push('0');
    }
    let integer_part = integer_part.trim_start_matches('0');
    let mut out = String::new();
    let zero = integer_part.is_empty() && fraction_part.bytes().all(|b| b == b'0');
    if negative && !zero {
        out.push('-');
    }
    out.push_str(if integer_part.is_empty() { "0" } else { integer_part });
    if scale > 0 {
        out.push('.');
        out.push_str(&fraction_part);
    }
    out
}

/// numeric's limits (131072 digits before the point, 16383 after): 22003 `value overflows numeric
/// format` beyond them, as PostgreSQL's numeric input says for jsonb numbers.
fn check_number_range(text: &str) -> Result<()> {
    let overflow = || Error::out_of_range("value overflows numeric format");
    let body = text.trim_start_matches('-');
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().map_err(|_| overflow())?),
        None => (body, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let integer_digits = integer.trim_start_matches('0').len() as i64 + exponent;
    let scale = fraction.len() as i64 - exponent;
    if exponent.abs() > 1_000_000 || integer_digits > 131_072 || scale > 16_383 {
        return Err(overflow());
    }
    Ok(())
}

/// A normalized number as (negative, significant digits without leading or trailing zeros, exponent):
/// value = 0.DIGITS × 10^exponent. Zero has no digits.
fn decompose_number(text: &str) -> (bool, String, i64) {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
    let all = format!("{integer}{fraction}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let significant = all.trim_start_matches('0').trim_end_matches('0').to_string();
    let exponent = integer.len() as i64 - leading as i64;
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    (negative, significant, exponent)
}

/// Numeric comparison of two normalized numbers.
pub fn compare_numbers(a: &str, b: &str) -> Ordering {
    let (an, ad, ae) = decompose_number(a);
    let (bn, bd, be) = decompose_number(b);
    let class = |negative: bool, digits: &str| {
        if digits.is_empty() {
            1
        } else if negative {
            0
        } else {
            2
        }
    };
    let (ac, bc) = (class(an, &ad), class(bn, &bd));
    if ac != bc || ac == 1 {
        return ac.cmp(&bc);
    }
    let magnitude = ae.cmp(&be).then_with(|| ad.cmp(&bd));
    if an {
        magnitude.reverse()
    } else {
        magnitude
    }
}

// ---- ordering ----

/// jsonb's total order (see the module documentation), with top-level scalars as raw-scalar arrays.
pub fn compare(a: &Jsonb, b: &Jsonb) -> Ordering {
    let top = |v: &Jsonb| -> (u8, usize, u8) {
        match v {
            Jsonb::Object(members) => (1, members.len(), 0),
            Jsonb::Array(elements) => (0, elements.len(), 1),
            _ => (0, 1, 0),
        }
    };
    let (ak, an, araw) = top(a);
    let (bk, bn, braw) = top(b);
    ak.cmp(&bk).then(an.cmp(&bn)).then(araw.cmp(&braw)).then_with(|| match (a, b) {
        (Jsonb::Array(x), Jsonb::Array(y)) => compare_sequences(x, y),
        _ => compare_nested(a, b),
    })
}

fn rank(v: &Jsonb) -> u8 {
    match v {
        Jsonb::Null => 1,
        Jsonb::String(_) => 2,
        Jsonb::Number(_) => 3,
        Jsonb::Bool(_) => 4,
        Jsonb::Array(_) => 5,
        Jsonb::Object(_) => 6,
    }
}

fn compare_sequences(x: &[Jsonb], y: &[Jsonb]) -> Ordering {
    x.iter().zip(y).map(|(a, b)| compare_nested(a, b)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

fn compare_nested(a: &Jsonb, b: &Jsonb) -> Ordering {
    match (a, b) {
        (Jsonb::Null, Jsonb::Null) => Ordering::Equal,
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Number(x), Jsonb::Number(y)) => compare_numbers(x, y),
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Jsonb::Array(x), Jsonb::Array(y)) => x.len().cmp(&y.len()).then_with(|| compare_sequences(x, y)),
        (Jsonb::Object(x), Jsonb::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|((ka, va), (kb, vb))| ka.as_bytes().cmp(kb.as_bytes()).then_with(|| compare_nested(va, vb)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

// ---- key encoding ----

const TOP_ARRAY: u8 = 0x10;
const TOP_OBJECT: u8 = 0x20;

/// Appends the order-preserving key encoding of `value` (see `storage::keycode`): the top level as
/// [`compare`] orders it, then each member tagged by its kind's rank. Numbers are sign class, exponent and
/// significant digits (as numeric keys), so equal numbers (`1.0`, `1`) encode equally; a stored row keeps
/// their scales after the key ([`append_scales`]), as it does for a numeric column.
pub fn encode_key(out: &mut Vec<u8>, value: &Jsonb) {
    match value {
        Jsonb::Object(members) => {
            out.push(TOP_OBJECT);
            encode_members(out, members);
        }
        Jsonb::Array(elements) => {
            out.push(TOP_ARRAY);
            out.extend_from_slice(&(elements.len() as u32).to_be_bytes());
            out.push(1);
            elements.iter().for_each(|e| encode_nested(out, e));
        }
        scalar => {
            out.push(TOP_ARRAY);
            out.extend_from_slice(&1u32.to_be_bytes());
            out.push(0);
            encode_nested(out, scalar);
        }
    }
}

fn encode_members(out: &mut Vec<u8>, members: &[(String, Jsonb)]) {
    out.extend_from_slice(&(members.len() as u32).to_be_bytes());
    for (key, value) in members {
        encode_bytes(out, key.as_bytes());
        encode_nested(out, value);
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

fn encode_nested(out: &mut Vec<u8>, value: &Jsonb) {
    out.push(rank(value));
    match value {
        Jsonb::Null => {}
        Jsonb::Bool(b) => out.push(*b as u8),
        Jsonb::String(s) => encode_bytes(out, s.as_bytes()),
        Jsonb::Number(n) => {
            let (negative, digits, exponent) = decompose_number(n);
            let mut body = Vec::with_capacity(digits.len() + 8);
            body.extend_from_slice(
                &((exponent.clamp(-0x7fff_ffff, 0x7fff_ffff) as i32 as u32) ^ (1 << 31)).to_be_bytes(),
            );
            body.extend_from_slice(digits.as_bytes());
            body.push(0);
            if digits.is_empty() {
                out.push(1);
            } else if negative {
                out.push(0);
                out.extend(body.iter().map(|b| !b));
            } else {
                out.push(2);
                out.extend_from_slice(&body);
            }
        }
        Jsonb::Array(elements) => {
            out.extend_from_slice(&(elements.len() as u32).to_be_bytes());
            elements.iter().for_each(|e| encode_nested(out, e));
        }
        Jsonb::Object(members) => encode_members(out, members),
    }
}

/// Every number's scale (digits after the point) in document order, after a stored row's key component:
/// a u32 count, then a u16 per number.
pub fn append_scales(out: &mut Vec<u8>, value: &Jsonb) {
    let mut scales = Vec::new();
    collect_scales(value, &mut scales);
    out.extend_from_slice(&(scales.len() as u32).to_be_bytes());
    scales.iter().for_each(|s| out.extend_from_slice(&s.to_be_bytes()));
}

fn collect_scales(value: &Jsonb, scales: &mut Vec<u16>) {
    match value {
        Jsonb::Number(n) => scales.push(n.split_once('.').map_or(0, |(_, f)| f.len()) as u16),
        Jsonb::Array(elements) => elements.iter().for_each(|e| collect_scales(e, scales)),
        Jsonb::Object(members) => members.iter().for_each(|(_, v)| collect_scales(v, scales)),
        _ => {}
    }
}

/// Reads what [`append_scales`] wrote and gives `value`'s numbers their scales back.
pub fn restore_scales(input: &mut &[u8], value: &mut Jsonb) -> Result<()> {
    let scales = read_scales(input)?;
    let mut next = scales.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as usize);
    apply_scales(value, &mut next);
    Ok(())
}

/// Steps over what [`append_scales`] wrote.
pub fn skip_scales(input: &mut &[u8]) -> Result<()> {
    read_scales(input).map(|_| ())
}

fn read_scales<'a>(input: &mut &'a [u8]) -> Result<&'a [u8]> {
    let count = input.get(..4).ok_or_else(corrupt)?;
    let len = 2 * u32::from_be_bytes([count[0], count[1], count[2], count[3]]) as usize;
    let scales = input.get(4..4 + len).ok_or_else(corrupt)?;
    *input = &input[4 + len..];
    Ok(scales)
}

fn apply_scales(value: &mut Jsonb, scales: &mut impl Iterator<Item = usize>) {
    match value {
        Jsonb::Number(n) => {
            let scale = scales.next().unwrap_or(0);
            let current = n.split_once('.').map_or(0, |(_, f)| f.len());
            if current < scale {
                if current == 0 {
                    n.push('.');
                }
                n.push_str(&"0".repeat(scale - current));
            }
        }
        Jsonb::Array(elements) => elements.iter_mut().for_each(|e| apply_scales(e, scales)),
        Jsonb::Object(members) => members.iter_mut().for_each(|(_, v)| apply_scales(v, scales)),
        _ => {}
    }
}

/// Reads a value written by [`encode_key`] from the front of `input`; `invert` is 0xff for a descending
/// component (every byte complemented).
pub fn decode_key(input: &mut &[u8], invert: u8) -> Result<Jsonb> {
    let mut reader = KeyReader { input, invert };
    match reader.byte()? {
        TOP_OBJECT => reader.members(),
        TOP_ARRAY => {
            let count = reader.count()?;
            let is_array = reader.byte()? == 1;
            let mut elements = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                elements.push(reader.nested()?);
            }
            match (is_array, elements.pop()) {
                (false, Some(scalar)) => Ok(scalar),
                (true, last) => {
                    elements.extend(last);
                    Ok(Jsonb::Array(elements))
                }
                _ => Err(corrupt()),
            }
        }
        _ => Err(corrupt()),
    }
}

fn corrupt() -> Error {
    Error::internal("corrupt jsonb key")
}

struct KeyReader<'a, 'b> {
    input: &'a mut &'b [u8],
    invert: u8,
}

impl KeyReader<'_, '_> {
    fn byte(&mut self) -> Result<u8> {
        let (&first, rest) = self.input.split_first().ok_or_else(corrupt)?;
        *self.input = rest;
        Ok(first ^ self.invert)
    }

    fn count(&mut self) -> Result<usize> {
        Ok(u32::from_be_bytes([self.byte()?, self.byte()?, self.byte()?, self.byte()?]) as usize)
    }

    fn string(&mut self) -> Result<String> {
        let mut bytes = Vec::new();
        loop {
            match self.byte()? {
                0 => match self.byte()? {
                    0xff => bytes.push(0),
                    0x01 => break,
                    _ => return Err(corrupt()),
                },
                b => bytes.push(b),
            }
        }
        String::from_utf8(bytes).map_err(|_| corrupt())
    }

    fn members(&mut self) -> Result<Jsonb> {
        let count = self.count()?;
        let mut members = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let key = self.string()?;
            members.push((key, self.nested()?));
        }
        Ok(Jsonb::Object(members))
    }

    fn nested(&mut self) -> Result<Jsonb> {
        crate::stack::check()?;
        Ok(match self.byte()? {
            1 => Jsonb::Null,
            2 => Jsonb::String(self.string()?),
            3 => {
                let class = self.byte()?;
                let mut digits = String::new();
                let mut exponent = 0i64;
                if class != 1 {
                    let flip = if class == 0 { 0xff } else { 0 };
                    let raw = [self.byte()? ^ flip, self.byte()? ^ flip, self.byte()? ^ flip, self.byte()? ^ flip];
                    exponent = (u32::from_be_bytes(raw) ^ (1 << 31)) as i32 as i64;
                    if exponent.abs() > 1_000_000 {
                        return Err(corrupt());
                    }
                    loop {
                        let b = self.byte()? ^ flip;
                        if b == 0 {
                            break;
                        }
                        // Stored numbers hold decimal digits only; anything else is a corrupt key.
                        if !b.is_ascii_digit() {
                            return Err(corrupt());
                        }
                        digits.push(b as char);
                    }
                }
                if digits.is_empty() {
                    Jsonb::Number("0".to_string())
                } else {
                    let sign = if class == 0 { "-" } else { "" };
                    Jsonb::Number(normalize_number(&format!("{sign}0.{digits}e{exponent}")))
                }
            }
            4 => Jsonb::Bool(self.byte()? != 0),
            5 => {
                let count = self.count()?;
                let mut elements = Vec::with_capacity(count.min(1024));
                for _ in 0..count {
                    elements.push(self.nested()?);
                }
                Jsonb::Array(elements)
            }
            6 => self.members()?,
            _ => return Err(corrupt()),
        })
    }
}

// ---- parsing ----

/// 22P02 `invalid input syntax for type json` with PostgreSQL's DETAIL.
fn syntax_error(detail: String) -> Error {
    Error::new(sqlstate::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json").with_detail(detail)
}

/// A recursive-descent JSON parser (RFC 8259, as PostgreSQL's json lexer accepts it).
pub struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// jsonb refuses `\u0000` (it cannot become text); json only validates.
    for_jsonb: bool,
}

impl<'a> Parser<'a> {
    /// Parses a whole document (nothing but whitespace may follow the value), keeping member order and
    /// duplicate keys and numbers as written.
    pub fn parse_document(text: &'a str, for_jsonb: bool) -> Result<Jsonb> {
        let mut parser = Parser { text, pos: 0, for_jsonb };
        let value = parser.value()?;
        parser.skip_whitespace();
        if parser.pos < text.len() {
            let token = parser.token_text();
            return Err(syntax_error(format!("Expected end of input, but found \"{token}\".")));
        }
        Ok(value)
    }

    fn skip_whitespace(&mut self) {
        let rest = &self.text[self.pos..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        self.pos += rest.len() - trimmed.len();
    }

    /// The token starting at the current position, for error details.
    fn token_text(&self) -> &'a str {
        let rest = &self.text[self.pos..];
        let Some(first) = rest.chars().next() else { return "" };
        if matches!(first, '{' | '}' | '[' | ']' | ',' | ':') {
            return &rest[..1];
        }
        if first == '"' {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return &rest[..=i],
                    _ => escaped = false,
                }
            }
            return rest;
        }
        let end = rest
            .char_indices()
            .find(|(_, c)| matches!(c, '{' | '}' | '[' | ']' | ',' | ':' | '"' | ' ' | '\t' | '\n' | '\r'))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..end.max(first.len_utf8())]
    }

    fn unexpected(&self, expected: &str) -> Error {
        if self.pos >= self.text.len() {
            return syntax_error("The input string ended unexpectedly.".to_string());
        }
        let token = self.token_text();
        if !token.starts_with(['{', '}', '[', ']', ',', ':', '"', '-'])
            && !token.starts_with(|c: char| c.is_ascii_digit())
            && !matches!(token, "true" | "false" | "null")
        {
            return syntax_error(format!("Token \"{token}\" is invalid."));
        }
        syntax_error(format!("Expected {expected}, but found \"{token}\"."))
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.text.as_bytes().get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Jsonb> {
        crate::stack::check()?;
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Jsonb::Object(members));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(self.unexpected(if members.is_empty() { "string or \"}\"" } else { "string" }));
                    }
                    let key = self.string()?;
                    if self.peek() != Some(b':') {
                        return Err(self.unexpected("\":\""));
                    }
                    self.pos += 1;
                    let value = self.value()?;
                    members.push((key, value));
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Jsonb::Object(members));
                        }
                        _ => return Err(self.unexpected("\",\" or \"}\"")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut elements = Vec::new();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Jsonb::Array(elements));
                }
                loop {
                    elements.push(self.value()?);
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Jsonb::Array(elements));
                        }
                        _ => return Err(self.unexpected("\",\" or \"]\"")),
                    }
                }
            }
            Some(b'"') => Ok(Jsonb::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                let token = self.token_text();
                let value = match token {
                    "true" => Jsonb::Bool(true),
                    "false" => Jsonb::Bool(false),
                    "null" => Jsonb::Null,
                    _ => return Err(self.unexpected("JSON value")),
                };
                self.pos += token.len();
                Ok(value)
            }
            None => Err(self.unexpected("JSON value")),
        }
    }

    fn number(&mut self) -> Result<Jsonb> {
        let token = self.token_text();
        let bytes = token.as_bytes();
        let mut i = 0;
        let digits = |i: &mut usize| {
            let start = *i;
            while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                *i += 1;
            }
            *i > start
        };
        if bytes.first() == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        let mut ok = digits(&mut i);
        // A leading zero may not be followed by more digits.
        if ok && bytes[int_start] == b'0' && i - int_start > 1 {
            ok = false;
        }
        if ok && i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            ok = digits(&mut i);
        }
        if ok && i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                i += 1;
            }
            ok = digits(&mut i);
        }
        if !ok || i != bytes.len() {
            return Err(syntax_error(format!("Token \"{token}\" is invalid.")));
        }
        if self.for_jsonb {
            check_number_range(token)?;
        }
        self.pos += token.len();
        Ok(Jsonb::Number(token.to_string()))
    }

    fn string(&mut self) -> Result<String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let invalid = |parser: &Parser, end: usize| {
            syntax_error(format!("Token \"{}\" is invalid.", &parser.text[start..end.min(parser.text.len())]))
        };
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(syntax_error("The input string ended unexpectedly.".to_string()));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(escape) = self.text[self.pos..].chars().next() else {
                        return Err(syntax_error("The input string ended unexpectedly.".to_string()));
                    };
                    self.pos += escape.len_utf8();
                    match escape {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let code = self.hex4().ok_or_else(|| {
                                syntax_error("\"\\u\" must be followed by four hexadecimal digits.".to_string())
                            })?;
                            let c = if (0xD800..0xDC00).contains(&code) {
                                let low = if self.text[self.pos..].starts_with("\\u") {
                                    self.pos += 2;
                                    self.hex4()
                                } else {
                                    None
                                };
                                match low {
                                    Some(low) if (0xDC00..0xE000).contains(&low) => {
                                        char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
                                    }
                                    _ => {
                                        return Err(syntax_error(
                                            "Unicode high surrogate must not follow a high surrogate.".to_string(),
                                        ))
                                    }
                                }
                            } else if (0xDC00..0xE000).contains(&code) {
                                return Err(syntax_error(
                                    "Unicode low surrogate must follow a high surrogate.".to_string(),
                                ));
                            } else {
                                char::from_u32(code)
                            };
                            match c {
                                Some('\0') if self.for_jsonb => {
                                    return Err(Error::new("22P05", "unsupported Unicode escape sequence")
                                        .with_detail("\\u0000 cannot be converted to text."))
                                }
                                Some(c) => out.push(c),
                                None => return Err(invalid(self, self.pos)),
                            }
                        }
                        _ => return Err(syntax_error(format!("Escape sequence \"\\{escape}\" is invalid."))),
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(syntax_error(format!("Character with value 0x{:02x} must be escaped.", c as u32)))
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let code = u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))?;
        self.pos += 4;
        Some(code)
    }
}

/// Validates the text of a `json` value (which keeps it as written).
pub fn validate_json(text: &str) -> Result<()> {
    Parser::parse_document(text, false).map(|_| ())
}

/// The members of a `json` text's top-level container, as the text each member was written with.
pub enum RawChildren<'a> {
    Object(Vec<(String, &'a str)>),
    Array(Vec<&'a str>),
    Scalar,
}

/// Splits a valid `json` text's top-level container into its members' texts (surrounding whitespace
/// trimmed), for the `json` operators that return members as written.
pub fn raw_children(text: &str) -> Result<RawChildren<'_>> {
    let mut parser = Parser { text, pos: 0, for_jsonb: false };
    let member = |parser: &mut Parser<'_>| -> Result<(usize, usize)> {
        parser.skip_whitespace();
        let start = parser.pos;
        parser.value()?;
        Ok((start, parser.pos))
    };
    match parser.peek() {
        Some(b'{') => {
            parser.pos += 1;
            let mut members = Vec::new();
            if parser.peek() == Some(b'}') {
                return Ok(RawChildren::Object(members));
            }
            loop {
                if parser.peek() != Some(b'"') {
                    return Err(parser.unexpected("string"));
                }
                let key = parser.string()?;
                if parser.peek() != Some(b':') {
                    return Err(parser.unexpected("\":\""));
                }
                parser.pos += 1;
                let (start, end) = member(&mut parser)?;
                members.push((key, &text[start..end]));
                match parser.peek() {
                    Some(b',') => parser.pos += 1,
                    _ => return Ok(RawChildren::Object(members)),
                }
            }
        }
        Some(b'[') => {
            parser.pos += 1;
            let mut elements = Vec::new();
            if parser.peek() == Some(b']') {
                return Ok(RawChildren::Array(elements));
            }
            loop {
                let (start, end) = member(&mut parser)?;
                elements.push(&text[start..end]);
                match parser.peek() {
                    Some(b',') => parser.pos += 1,
                    _ => return Ok(RawChildren::Array(elements)),
                }
            }
        }
        _ => Ok(RawChildren::Scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalize_as_numeric_out() {
        for (input, expected) in [
            ("1.50", "1.50"),
            ("1e2", "100"),
            ("1.5e-3", "0.0015"),
            ("-0", "0"),
            ("-0.0", "0.0"),
            ("0.1", "0.1"),
            ("12E+1", "120"),
            ("1.23e1", "12.3"),
            ("-5", "-5"),
        ] {
            assert_eq!(normalize_number(input), expected, "{input}");
        }
        assert_eq!(compare_numbers("1.0", "1"), Ordering::Equal);
        assert_eq!(compare_numbers("-2", "-10"), Ordering::Greater);
        assert_eq!(compare_numbers("0.5", "0"), Ordering::Greater);
    }

    #[test]
    fn keys_order_and_decode_as_values() {
        let values: Vec<Jsonb> =
            ["[]", "null", "\"a\"", "-1.50", "0", "2", "true", "[1]", "[1, 2]", "{}", "{\"a\": [null, {\"b\": 1e3}]}"]
                .iter()
                .map(|t| Jsonb::parse(t).unwrap())
                .collect();
        for pair in values.windows(2) {
            assert_eq!(compare(&pair[0], &pair[1]), Ordering::Less, "{} < {}", pair[0], pair[1]);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            encode_key(&mut a, &pair[0]);
            encode_key(&mut b, &pair[1]);
            assert!(a < b, "{} < {}", pair[0], pair[1]);
        }
        for value in &values {
            let mut key = Vec::new();
            encode_key(&mut key, value);
            append_scales(&mut key, value);
            let mut input = key.as_slice();
            let mut decoded = decode_key(&mut input, 0).unwrap();
            restore_scales(&mut input, &mut decoded).unwrap();
            assert_eq!(&decoded, value);
            assert!(input.is_empty());
        }
    }

    #[test]
    fn parsing_normalizes_objects() {
        let v = Jsonb::parse(r#"{"bb": 1, "a": 2, "bb": [true, "x\n"]}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"a": 2, "bb": [true, "x\n"]}"#);
        assert!(Jsonb::parse("{\"a\" 1}").is_err());
        assert!(Jsonb::parse("01").is_err());
    }
}
