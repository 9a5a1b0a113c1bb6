//! COPY's CSV format: fields split by the delimiter (`,`), quoted with the quote character where they hold
//! a delimiter, quote, newline or carriage return (a quote inside doubled, or preceded by ESCAPE), records
//! ended by an unquoted line end. NULL is an unquoted field equal to the NULL string (empty by default), so
//! `""` is an empty string; FORCE_NOT_NULL and FORCE_NULL change that per column. `\.` alone on a line
//! ends the data, as in the text format.

use super::{check_field_count, line_context_quoting, CopyOptions, CopyTarget, RawRow};
use super::{ForceQuote, BAD_COPY_FILE_FORMAT};
use crate::error::{Error, Result};

/// One field as read: its bytes and whether any of it was quoted.
struct Field {
    bytes: Vec<u8>,
    quoted: bool,
}

/// Reads one record starting at `*pos` and advances `*pos` past its line end; `Err` for an unterminated
/// quoted field.
fn read_record(data: &[u8], pos: &mut usize, options: &CopyOptions) -> std::result::Result<Vec<Field>, ()> {
    let mut fields = Vec::new();
    let mut field = Field { bytes: Vec::new(), quoted: false };
    let mut i = *pos;
    loop {
        let Some(&byte) = data.get(i) else {
            fields.push(field);
            *pos = i;
            return Ok(fields);
        };
        i += 1;
        if byte == options.quote {
            field.quoted = true;
            loop {
                let Some(&inner) = data.get(i) else { return Err(()) };
                i += 1;
                let next = data.get(i).copied();
                if let Some(escaped) =
                    next.filter(|&n| inner == options.escape && (n == options.quote || n == options.escape))
                {
                    // An escaped quote (doubled, by default) or escaped escape: taken literally.
                    field.bytes.push(escaped);
                    i += 1;
                    continue;
                }
                if inner == options.quote {
                    break;
                }
                field.bytes.push(inner);
            }
        } else if byte == options.delimiter {
            fields.push(std::mem::replace(&mut field, Field { bytes: Vec::new(), quoted: false }));
        } else if byte == b'\n' || byte == b'\r' {
            if byte == b'\r' && data.get(i) == Some(&b'\n') {
                i += 1;
            }
            fields.push(field);
            *pos = i;
            return Ok(fields);
        } else {
            field.bytes.push(byte);
        }
    }
}

/// Whether the line at `pos` is the end marker `\.`.
fn at_end_marker(data: &[u8], pos: usize) -> bool {
    let rest = &data[pos..];
    rest.starts_with(b"\\.") && matches!(rest.get(2), None | Some(b'\n' | b'\r'))
}

/// Reads a CSV stream into raw rows of the target's column count.
pub fn read_rows(data: &[u8], options: &CopyOptions, target: &CopyTarget) -> Result<Vec<RawRow>> {
    let mut rows = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    let mut first = true;
    while pos < data.len() && !at_end_marker(data, pos) {
        let start = pos;
        let fields = read_record(data, &mut pos, options).map_err(|()| {
            Error::new(BAD_COPY_FILE_FORMAT, "unterminated CSV quoted field").with_context(line_context_quoting(
                target,
                line,
                &data[start..],
            ))
        })?;
        // PostgreSQL counts a record as one line, embedded newlines and all.
        let record_line = line;
        let raw = &data[start..pos];
        line += 1;
        if std::mem::take(&mut first) && options.header {
            continue;
        }
        let raw_line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let fields = if target.columns.is_empty() && raw_line.is_empty() { Vec::new() } else { fields };
        check_field_count(target, fields.len(), record_line, raw_line)?;
        let null = options.null.as_bytes();
        let fields = fields
            .into_iter()
            .zip(target.columns)
            .map(|(field, column)| {
                let matches_null = field.bytes == null;
                if matches_null && !field.quoted && !column.force_not_null || matches_null && column.force_null {
                    None
                } else {
                    Some(field.bytes)
                }
            })
            .collect();
        rows.push(RawRow { line: record_line, fields });
    }
    Ok(rows)
}

/// Appends one field, quoted where CSV needs it (or where `force`).
fn field_into(text: &str, options: &CopyOptions, force: bool, single: bool, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let needs_quotes = force
        || text == options.null
        || single && text == "\\."
        || bytes.iter().any(|&b| b == options.delimiter || b == options.quote || b == b'\n' || b == b'\r');
    if !needs_quotes {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(options.quote);
    for &byte in bytes {
        if byte == options.quote || byte == options.escape {
            out.push(options.escape);
        }
        out.push(byte);
    }
    out.push(options.quote);
}

/// One row as a CSV line (NULL as the unquoted NULL string), newline included; `force[i]` quotes column
/// `i`'s non-NULL values (FORCE_QUOTE).
pub fn write_row(fields: &[Option<&str>], options: &CopyOptions, force: &[bool]) -> Vec<u8> {
    let mut out = Vec::new();
    let force_all = options.force_quote == ForceQuote::All;
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(options.delimiter);
        }
        match field {
            Some(text) => {
                let forced = force_all || force.get(i).copied().unwrap_or(false);
                field_into(text, options, forced, fields.len() == 1, &mut out)
            }
            None => out.extend_from_slice(options.null.as_bytes()),
        }
    }
    out.push(b'\n');
    out
}
