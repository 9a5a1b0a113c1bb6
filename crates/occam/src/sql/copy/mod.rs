//! COPY's data formats: PostgreSQL's text, CSV and binary COPY streams, read into rows and written from
//! rows. Pure functions over bytes and values; the statement's options are checked here too.
//!
//! ```text
//!   options.rs  COPY's WITH options (and the legacy ones), checked as PostgreSQL's ProcessCopyOptions does
//!   text.rs     text format: tab-separated, backslash escapes, \N for NULL, the end marker \.
//!   csv.rs      CSV: quoting, doubled quotes, embedded newlines, NULL as an unquoted empty field
//!   binary.rs   binary: the PGCOPY signature, per-tuple field counts, each field in its type's binary form
//! ```
//!
//! COPY FROM reads the whole stream into fields per row ([`RawRow`]), then each field into a value of its
//! column's type with the same text / binary input functions casts and the extended protocol use
//! (`types::text`, `types::binary`); the session inserts the rows through the INSERT path. COPY TO writes
//! rows with the matching output functions. Errors carry PostgreSQL's CONTEXT (`COPY t, line 2, column a:
//! "x"`).

mod binary;
mod csv;
mod options;
mod text;

pub use options::{CopyFormat, CopyOption, CopyOptions, ForceQuote};

use crate::error::{Error, Result};
use crate::types::{self, DataType, Row, Value};

/// SQLSTATE 22P04 (bad_copy_file_format): malformed COPY data.
pub const BAD_COPY_FILE_FORMAT: &str = "22P04";

/// A column COPY reads or writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyColumn {
    pub name: String,
    pub data_type: DataType,
    /// CSV FORCE_NOT_NULL: a field matching the NULL string is that string, not NULL.
    pub force_not_null: bool,
    /// CSV FORCE_NULL: a field matching the NULL string is NULL even when quoted.
    pub force_null: bool,
    /// CSV FORCE_QUOTE: every non-NULL value is quoted.
    pub force_quote: bool,
}

impl CopyColumn {
    pub fn new(name: impl Into<String>, data_type: DataType) -> CopyColumn {
        CopyColumn { name: name.into(), data_type, force_not_null: false, force_null: false, force_quote: false }
    }
}

/// What a COPY FROM reads into: the table (for error context) and its columns in stream order.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyTarget<'a> {
    pub table: &'a str,
    pub columns: &'a [CopyColumn],
}

/// One row of a text or CSV stream, split into fields (None: NULL), before type input.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// 1-based line number of the row's first line (PostgreSQL's CONTEXT counts lines, header included).
    pub line: usize,
    pub fields: Vec<Option<Vec<u8>>>,
}

/// The CONTEXT of an error at `line` of the stream.
fn line_context(target: &CopyTarget, line: usize) -> String {
    format!("COPY {}, line {line}", target.table)
}

/// The CONTEXT of an error at `line` that quotes the line, as PostgreSQL does for malformed rows.
fn line_context_quoting(target: &CopyTarget, line: usize, raw: &[u8]) -> String {
    format!("COPY {}, line {line}: \"{}\"", target.table, String::from_utf8_lossy(raw))
}

/// 22P04 for a text or CSV row with fewer fields than columns, or more.
fn check_field_count(target: &CopyTarget, fields: usize, line: usize, raw: &[u8]) -> Result<()> {
    let message = match target.columns.get(fields) {
        _ if fields > target.columns.len() => "extra data after last expected column".to_string(),
        Some(column) if fields < target.columns.len() => format!("missing data for column \"{}\"", column.name),
        _ => return Ok(()),
    };
    Err(Error::new(BAD_COPY_FILE_FORMAT, message).with_context(line_context_quoting(target, line, raw)))
}

/// A field's bytes as UTF-8 text (22021 otherwise, as PostgreSQL's encoding check).
fn utf8_field(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|err| {
        let bad = bytes.get(err.valid_up_to()).copied().unwrap_or_default();
        Error::new("22021", format!("invalid byte sequence for encoding \"UTF8\": 0x{bad:02x}"))
    })
}

/// The rows a COPY FROM stream holds, in stream order, with the line each starts on (a binary stream's
/// tuple number), for errors found when they are inserted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CopiedRows {
    pub rows: Vec<Row>,
    pub lines: Vec<usize>,
}

/// Reads a COPY FROM stream into rows of the target's columns, in stream order, with their lines.
pub fn read_located_rows(data: &[u8], options: &CopyOptions, target: &CopyTarget) -> Result<CopiedRows> {
    if options.format == CopyFormat::Binary {
        let rows = binary::read_rows(data, target)?;
        let lines = (1..=rows.len()).collect();
        return Ok(CopiedRows { rows, lines });
    }
    let raw_rows = match options.format {
        CopyFormat::Csv => csv::read_rows(data, options, target)?,
        _ => text::read_rows(data, options, target)?,
    };
    let lines = raw_rows.iter().map(|raw| raw.line).collect();
    let rows = raw_rows.into_iter().map(|raw| typed_row(raw, target)).collect::<Result<_>>()?;
    Ok(CopiedRows { rows, lines })
}

/// A text or CSV row's fields through their columns' text input functions.
fn typed_row(raw: RawRow, target: &CopyTarget) -> Result<Row> {
    raw.fields
        .into_iter()
        .zip(target.columns)
        .map(|(field, column)| {
            let Some(bytes) = field else { return Ok(Value::Null) };
            let text = utf8_field(&bytes).map_err(|err| err.with_context(line_context(target, raw.line)))?;
            types::text::parse(text, &column.data_type).map_err(|err| {
                err.with_context(format!(
                    "COPY {}, line {}, column {}: \"{text}\"",
                    target.table, raw.line, column.name
                ))
            })
        })
        .collect()
}

/// Writes COPY TO output: [`header`](Self::header), one [`row`](Self::row) per row, then
/// [`trailer`](Self::trailer); [`messages`](Self::messages) cuts them into CopyData messages as PostgreSQL
/// does.
pub struct CopyWriter<'a> {
    options: &'a CopyOptions,
    columns: &'a [CopyColumn],
}

impl<'a> CopyWriter<'a> {
    pub fn new(options: &'a CopyOptions, columns: &'a [CopyColumn]) -> CopyWriter<'a> {
        CopyWriter { options, columns }
    }

    /// The whole output of `rows`, one CopyData message's bytes per element: the header line its own
    /// message, each row one, the binary signature in the first row's message and the trailer its own
    /// (clients such as tokio-postgres's binary reader expect PostgreSQL's boundaries).
    pub fn messages<'r>(&self, rows: impl Iterator<Item = &'r [Value]>) -> Vec<Vec<u8>> {
        let mut messages = Vec::new();
        let mut prefix = Vec::new();
        match (self.options.format, self.header()) {
            (CopyFormat::Binary, Some(signature)) => prefix = signature,
            (_, Some(header)) => messages.push(header),
            (_, None) => {}
        }
        for row in rows {
            let mut message = std::mem::take(&mut prefix);
            message.extend(self.row(row));
            messages.push(message);
        }
        if let Some(trailer) = self.trailer() {
            prefix.extend(trailer);
            messages.push(prefix);
        }
        messages
    }

    /// The binary signature, or the header line of column names (HEADER), if any.
    pub fn header(&self) -> Option<Vec<u8>> {
        match self.options.format {
            CopyFormat::Binary => Some(binary::header()),
            _ if !self.options.header => None,
            CopyFormat::Text => {
                let names: Vec<Option<&str>> = self.columns.iter().map(|c| Some(c.name.as_str())).collect();
                Some(text::write_row(&names, self.options))
            }
            CopyFormat::Csv => {
                let names: Vec<Option<&str>> = self.columns.iter().map(|c| Some(c.name.as_str())).collect();
                // Names are quoted only where needed, FORCE_QUOTE or not.
                Some(csv::write_row(&names, self.options, &vec![false; names.len()]))
            }
        }
    }

    /// One row in the stream's format.
    pub fn row(&self, row: &[Value]) -> Vec<u8> {
        if self.options.format == CopyFormat::Binary {
            return binary::write_row(row, self.columns);
        }
        let texts: Vec<Option<String>> = row
            .iter()
            .zip(self.columns)
            .map(|(value, column)| (!value.is_null()).then(|| types::text::format(value, &column.data_type)))
            .collect();
        let fields: Vec<Option<&str>> = texts.iter().map(Option::as_deref).collect();
        match self.options.format {
            CopyFormat::Csv => {
                let force: Vec<bool> = self.columns.iter().map(|c| c.force_quote).collect();
                csv::write_row(&fields, self.options, &force)
            }
            _ => text::write_row(&fields, self.options),
        }
    }

    /// The binary trailer, if the format has one.
    pub fn trailer(&self) -> Option<Vec<u8>> {
        (self.options.format == CopyFormat::Binary).then(binary::trailer)
    }
}

#[cfg(test)]
mod tests;
