//! COPY's binary format, PostgreSQL's:
//!
//! ```text
//!   header   "PGCOPY\n\377\r\n\0" | i32 flags (bit 16: OIDs, refused) | i32 extension length | extension
//!   tuple    i16 field count | per field: i32 length (-1: NULL) | the value in its type's binary form
//!   trailer  i16 -1
//! ```
//! Each value goes through `types::binary`, the extended protocol's binary send / receive.

use super::{line_context, CopyColumn, CopyTarget, BAD_COPY_FILE_FORMAT};
use crate::error::{Error, Result};
use crate::types::{self, Row, Value};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

fn bad_format(message: impl Into<String>) -> Error {
    Error::new(BAD_COPY_FILE_FORMAT, message)
}

/// A cursor over the stream.
struct Reader<'d> {
    data: &'d [u8],
    pos: usize,
}

impl<'d> Reader<'d> {
    fn take(&mut self, n: usize) -> Option<&'d [u8]> {
        let bytes = self.data.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4).map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads a binary-format stream into rows of the target's columns.
pub fn read_rows(data: &[u8], target: &CopyTarget) -> Result<Vec<Row>> {
    let mut reader = Reader { data, pos: 0 };
    if reader.take(SIGNATURE.len()) != Some(&SIGNATURE[..]) {
        return Err(bad_format("COPY file signature not recognized"));
    }
    let flags = reader.i32().ok_or_else(|| bad_format("invalid COPY file header (missing flags)"))?;
    if flags & (1 << 16) != 0 {
        return Err(bad_format("invalid COPY file header (WITH OIDS)"));
    }
    if (flags & !(1 << 16)) >> 16 != 0 {
        return Err(bad_format("unrecognized critical flags in COPY file header"));
    }
    let extension = reader.i32().ok_or_else(|| bad_format("invalid COPY file header (missing length)"))?;
    if extension < 0 || reader.take(extension as usize).is_none() {
        return Err(bad_format("invalid COPY file header (wrong length)"));
    }
    let mut rows = Vec::new();
    let mut line = 0;
    loop {
        line += 1;
        let context = || line_context(target, line);
        // The end of the data where a tuple would start ends the stream, as in PostgreSQL.
        let Some(count) = reader.i16() else { break };
        if count == -1 {
            if reader.pos < data.len() {
                return Err(bad_format("received copy data after EOF marker").with_context(context()));
            }
            break;
        }
        if count as usize != target.columns.len() || count < 0 {
            return Err(bad_format(format!("row field count is {count}, expected {}", target.columns.len()))
                .with_context(context()));
        }
        let mut row = Vec::with_capacity(target.columns.len());
        for column in target.columns {
            row.push(read_field(&mut reader, column).map_err(|err| {
                err.with_context(format!("COPY {}, line {line}, column {}", target.table, column.name))
            })?);
        }
        rows.push(row);
    }
    Ok(rows)
}

fn read_field(reader: &mut Reader, column: &CopyColumn) -> Result<Value> {
    let unexpected_end = || bad_format("unexpected EOF in COPY data");
    let length = reader.i32().ok_or_else(unexpected_end)?;
    if length == -1 {
        return Ok(Value::Null);
    }
    if length < 0 {
        return Err(bad_format("invalid field size"));
    }
    let bytes = reader.take(length as usize).ok_or_else(unexpected_end)?;
    types::binary::decode(bytes, &column.data_type)
}

/// The stream's header: signature, no flags, no extension.
pub fn header() -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out
}

/// One tuple.
pub fn write_row(row: &[Value], columns: &[CopyColumn]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(row.len() as i16).to_be_bytes());
    let mut scratch = Vec::new();
    for (value, column) in row.iter().zip(columns) {
        if value.is_null() {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            continue;
        }
        scratch.clear();
        types::binary::encode(value, &column.data_type, &mut scratch);
        out.extend_from_slice(&(scratch.len() as i32).to_be_bytes());
        out.extend_from_slice(&scratch);
    }
    out
}

/// The trailer: a field count of -1.
pub fn trailer() -> Vec<u8> {
    (-1i16).to_be_bytes().to_vec()
}
