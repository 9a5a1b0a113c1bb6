//! Conversions between occam's values, columns and errors and the protocol's messages.
//!
//! Values cross the wire in text or binary format, chosen per parameter and per result column by the
//! client in Bind (the simple protocol is always text). The spelling of each format lives in
//! `types::text` and `types::binary`, shared with casts; this module only picks one and frames the bytes.
//! COPY's data is framed by `sql::copy`; this module only says which format it is in.

use bytes::{BufMut, Bytes, BytesMut};
use pgwire::messages::copy::{CopyInResponse, CopyOutResponse};
use pgwire::messages::data::{DataRow, FieldDescription, RowDescription};
use pgwire::messages::response::{ErrorResponse, NoticeResponse, TransactionStatus as WireTransactionStatus};

use crate::error::{sqlstate, Error, Severity};
use crate::session::{Column, TransactionStatus};
use crate::sql::copy::CopyFormat;
use crate::types::{binary, text, DataType, Value};

pub const FORMAT_TEXT: i16 = 0;
pub const FORMAT_BINARY: i16 = 1;

/// COPY's format code in CopyInResponse / CopyOutResponse: text and CSV are text (0), binary is 1, for the
/// stream and every column alike.
fn copy_formats(format: CopyFormat, columns: usize) -> (i8, i16, Vec<i16>) {
    let code = if format == CopyFormat::Binary { FORMAT_BINARY } else { FORMAT_TEXT };
    (code as i8, columns as i16, vec![code; columns])
}

/// CopyInResponse for a `COPY ... FROM STDIN` of `columns` columns.
pub fn copy_in_response(format: CopyFormat, columns: usize) -> CopyInResponse {
    let (format, columns, column_formats) = copy_formats(format, columns);
    CopyInResponse::new(format, columns, column_formats)
}

/// CopyOutResponse for a `COPY ... TO STDOUT` of `columns` columns.
pub fn copy_out_response(format: CopyFormat, columns: usize) -> CopyOutResponse {
    let (format, columns, column_formats) = copy_formats(format, columns);
    CopyOutResponse::new(format, columns, column_formats)
}

/// The ErrorResponse (or, with FATAL severity, the last words) for an occam error.
pub fn error_response(err: &Error) -> ErrorResponse {
    ErrorResponse::new(response_fields(err))
}

/// The NoticeResponse for a notice or warning (`crate::notice`).
pub fn notice_response(notice: &Error) -> NoticeResponse {
    NoticeResponse::new(response_fields(notice))
}

/// The fields ErrorResponse and NoticeResponse share.
fn response_fields(err: &Error) -> Vec<(u8, String)> {
    let severity = match err.severity {
        Severity::Error => "ERROR",
        Severity::Fatal => "FATAL",
        Severity::Warning => "WARNING",
        Severity::Notice => "NOTICE",
    };
    let mut fields = vec![
        (b'S', severity.to_owned()),
        (b'V', severity.to_owned()),
        (b'C', err.code.to_owned()),
        (b'M', err.message.clone()),
    ];
    if let Some(detail) = &err.detail {
        fields.push((b'D', detail.clone()));
    }
    if let Some(hint) = &err.hint {
        fields.push((b'H', hint.clone()));
    }
    if let Some(position) = err.position {
        fields.push((b'P', position.to_string()));
    }
    if let Some(context) = err.context() {
        fields.push((b'W', context.to_owned()));
    }
    if let Some(objects) = err.objects() {
        fields.push((b's', objects.schema.clone()));
        fields.push((b't', objects.table.clone()));
        if let Some(column) = &objects.column {
            fields.push((b'c', column.clone()));
        }
        if let Some(constraint) = &objects.constraint {
            fields.push((b'n', constraint.clone()));
        }
    }
    fields
}

/// The ReadyForQuery indicator for a session state.
pub fn wire_status(status: TransactionStatus) -> WireTransactionStatus {
    match status {
        TransactionStatus::Idle => WireTransactionStatus::Idle,
        TransactionStatus::InTransaction => WireTransactionStatus::Transaction,
        TransactionStatus::Failed => WireTransactionStatus::Error,
    }
}

/// The type a column or parameter is sent as: an expression still of type `unknown` (an untyped literal)
/// goes out as text, as PostgreSQL does since version 10.
pub fn wire_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Unknown => DataType::Text,
        other => *other,
    }
}

/// RowDescription for `columns`, each sent in the matching entry of `formats`.
pub fn row_description(columns: &[Column], formats: &[i16]) -> RowDescription {
    let fields = columns
        .iter()
        .zip(formats)
        .map(|(column, format)| {
            let data_type = wire_type(&column.data_type);
            let (table_oid, column_number) =
                column.origin.map(|origin| (origin.table_oid as i32, origin.column_number)).unwrap_or((0, 0));
            FieldDescription::new(
                column.name.clone(),
                table_oid,
                column_number,
                data_type.oid(),
                data_type.type_size(),
                data_type.typmod(),
                *format,
            )
        })
        .collect();
    RowDescription::new(fields)
}

/// One DataRow; `formats[i]` is the format of column `i`.
pub fn data_row(row: &[Value], columns: &[Column], formats: &[i16]) -> DataRow {
    let mut data = BytesMut::with_capacity(row.len() * 8);
    let mut scratch = Vec::new();
    for ((value, column), format) in row.iter().zip(columns).zip(formats) {
        if value.is_null() {
            data.put_i32(-1);
            continue;
        }
        let data_type = wire_type(&column.data_type);
        if *format == FORMAT_BINARY {
            scratch.clear();
            binary::encode(value, &data_type, &mut scratch);
            data.put_i32(scratch.len() as i32);
            data.put_slice(&scratch);
        } else {
            let text = text::format(value, &data_type);
            data.put_i32(text.len() as i32);
            data.put_slice(text.as_bytes());
        }
    }
    DataRow::new(data, row.len() as i16)
}

fn check_format_code(code: i16) -> Result<i16, Error> {
    match code {
        FORMAT_TEXT | FORMAT_BINARY => Ok(code),
        other => Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("unsupported format code: {other}"))),
    }
}

/// Expands Bind's result format codes (none = all text, one = all alike, or one per column).
pub fn result_formats(codes: &[i16], columns: usize) -> Result<Vec<i16>, Error> {
    let formats = match codes.len() {
        0 => vec![FORMAT_TEXT; columns],
        1 => vec![check_format_code(codes[0])?; columns],
        n if n == columns => codes.iter().map(|&code| check_format_code(code)).collect::<Result<_, _>>()?,
        n => {
            return Err(Error::protocol(format!("bind message has {n} result formats but query has {columns} columns")))
        }
    };
    Ok(formats)
}

/// Decodes Bind's parameter values into occam values of the statement's parameter types.
pub fn bind_parameters(
    statement_name: &str,
    format_codes: &[i16],
    parameters: &[Option<Bytes>],
    types: &[DataType],
) -> Result<Vec<Value>, Error> {
    if parameters.len() != types.len() {
        return Err(Error::protocol(format!(
            "bind message supplies {} parameters, but prepared statement \"{statement_name}\" requires {}",
            parameters.len(),
            types.len()
        )));
    }
    if format_codes.len() > 1 && format_codes.len() != parameters.len() {
        return Err(Error::protocol(format!(
            "bind message has {} parameter formats but {} parameters",
            format_codes.len(),
            parameters.len()
        )));
    }
    parameters
        .iter()
        .zip(types)
        .enumerate()
        .map(|(index, (parameter, data_type))| {
            let format = match format_codes {
                [] => FORMAT_TEXT,
                [only] => *only,
                all => all[index],
            };
            let Some(bytes) = parameter else {
                return Ok(Value::Null);
            };
            decode_parameter(bytes, check_format_code(format)?, data_type)
        })
        .collect()
}

fn decode_parameter(bytes: &[u8], format: i16, data_type: &DataType) -> Result<Value, Error> {
    if format == FORMAT_BINARY && *data_type != DataType::Unknown {
        return binary::decode(bytes, data_type);
    }
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let bad = bytes.get(err.valid_up_to()).copied().unwrap_or_default();
        Error::new("22021", format!("invalid byte sequence for encoding \"UTF8\": 0x{bad:02x}"))
    })?;
    match data_type {
        DataType::Unknown => Ok(Value::Text(text.to_owned())),
        other => text::parse(text, other),
    }
}
