//! COPY's text format: one line per row, fields split by the delimiter (tab), backslash escapes (`\t`,
//! `\n`, `\\`, octal `\101`, hex `\x41`, any other character as itself), the NULL string (`\N`) compared
//! before escapes are undone, and `\.` alone on a line ending the data. The line ending (LF, CRLF or CR)
//! is the first line's; a different one inside the data is an error, as in PostgreSQL.

use super::{check_field_count, line_context, CopyOptions, CopyTarget, RawRow, BAD_COPY_FILE_FORMAT};
use crate::error::{Error, Result};

/// How lines end, decided by the first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Lf,
    CrLf,
    Cr,
}

fn literal_line_end(byte: u8, target: &CopyTarget, line: usize) -> Error {
    let (message, hint) = if byte == b'\r' {
        ("literal carriage return found in data", "Use \"\\r\" to represent carriage return.")
    } else {
        ("literal newline found in data", "Use \"\\n\" to represent newline.")
    };
    Error::new(BAD_COPY_FILE_FORMAT, message).with_hint(hint).with_context(line_context(target, line))
}

/// Splits the stream into lines (without their ends), stopping at the end marker `\.`.
fn lines<'d>(data: &'d [u8], target: &CopyTarget) -> Result<Vec<&'d [u8]>> {
    let mut lines = Vec::new();
    let mut line_end = None;
    let mut start = 0;
    let mut i = 0;
    while start < data.len() {
        // A backslash escapes the next byte, a line end included (a literal newline in a field).
        let end = loop {
            match data.get(i) {
                None => break None,
                Some(b'\\') => i += 2,
                Some(b'\n' | b'\r') => break Some(i),
                Some(_) => i += 1,
            }
        };
        let Some(end) = end else {
            let last = &data[start..];
            if last != b"\\." {
                lines.push(last);
            }
            break;
        };
        let found = match (data[end], data.get(end + 1)) {
            (b'\r', Some(b'\n')) => LineEnd::CrLf,
            (b'\r', _) => LineEnd::Cr,
            _ => LineEnd::Lf,
        };
        let expected = *line_end.get_or_insert(found);
        if found != expected {
            let byte = match (expected, found) {
                (LineEnd::Lf, _) => b'\r',
                (LineEnd::Cr, _) => b'\n',
                (LineEnd::CrLf, LineEnd::Lf) => b'\n',
                (LineEnd::CrLf, _) => b'\r',
            };
            return Err(literal_line_end(byte, target, lines.len() + 1));
        }
        let line = &data[start..end];
        if line == b"\\." {
            return Ok(lines);
        }
        lines.push(line);
        i = end + if found == LineEnd::CrLf { 2 } else { 1 };
        start = i;
    }
    Ok(lines)
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Undoes the backslash escapes of one field.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = raw[i];
        i += 1;
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        let Some(&next) = raw.get(i) else { break };
        i += 1;
        match next {
            b'0'..=b'7' => {
                let mut value = (next - b'0') as u32;
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(&digit @ b'0'..=b'7') => {
                            value = value * 8 + (digit - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0o377) as u8);
            }
            b'x' => match raw.get(i).copied().and_then(hex_value) {
                Some(first) => {
                    i += 1;
                    let mut value = first;
                    if let Some(second) = raw.get(i).copied().and_then(hex_value) {
                        value = value * 16 + second;
                        i += 1;
                    }
                    out.push(value);
                }
                None => out.push(b'x'),
            },
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            other => out.push(other),
        }
    }
    out
}

/// Splits a line into its raw fields (escapes still in place).
fn split_fields(line: &[u8], delimiter: u8) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' => i += 2,
            byte if byte == delimiter => {
                fields.push(&line[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    fields.push(&line[start.min(line.len())..]);
    fields
}

/// Reads a text-format stream into raw rows of the target's column count.
pub fn read_rows(data: &[u8], options: &CopyOptions, target: &CopyTarget) -> Result<Vec<RawRow>> {
    let mut rows = Vec::new();
    for (index, line) in lines(data, target)?.into_iter().enumerate() {
        let number = index + 1;
        if options.header && number == 1 {
            continue;
        }
        let raw_fields = if target.columns.is_empty() && line.is_empty() {
            Vec::new()
        } else {
            split_fields(line, options.delimiter)
        };
        check_field_count(target, raw_fields.len(), number, line)?;
        let fields = raw_fields
            .into_iter()
            .map(|raw| if raw == options.null.as_bytes() { None } else { Some(unescape(raw)) })
            .collect();
        rows.push(RawRow { line: number, fields });
    }
    Ok(rows)
}

/// Appends one field's text with the escapes the text format needs.
fn escape_into(text: &str, delimiter: u8, out: &mut Vec<u8>) {
    for &byte in text.as_bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            byte if byte == delimiter => {
                out.push(b'\\');
                out.push(byte);
            }
            byte => out.push(byte),
        }
    }
}

/// One row as a text-format line (NULL as the NULL string), newline included.
pub fn write_row(fields: &[Option<&str>], options: &CopyOptions) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(options.delimiter);
        }
        match field {
            Some(text) => escape_into(text, options.delimiter, &mut out),
            None => out.extend_from_slice(options.null.as_bytes()),
        }
    }
    out.push(b'\n');
    out
}
