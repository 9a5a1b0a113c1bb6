//! COPY's options: the parenthesised list (`FORMAT csv, HEADER, ...`) and the legacy words psql and drivers
//! still send (`CSV HEADER`, `DELIMITER ','`, `NULL AS ''`, `BINARY`), checked as PostgreSQL checks them.

use crate::error::{sqlstate, Error, Result};

/// The stream format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyFormat {
    Text,
    Csv,
    Binary,
}

/// CSV FORCE_QUOTE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ForceQuote {
    #[default]
    None,
    /// `FORCE_QUOTE *`: every column.
    All,
    Columns(Vec<String>),
}

/// One option as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOption {
    Format(String),
    Delimiter(String),
    Null(String),
    Header(bool),
    Quote(String),
    Escape(String),
    ForceQuote(ForceQuote),
    ForceNotNull(Vec<String>),
    ForceNull(Vec<String>),
    Encoding(String),
    Freeze(bool),
}

/// The checked options of one COPY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub delimiter: u8,
    pub null: String,
    pub header: bool,
    pub quote: u8,
    pub escape: u8,
    pub force_quote: ForceQuote,
    pub force_not_null: Vec<String>,
    pub force_null: Vec<String>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            format: CopyFormat::Text,
            delimiter: b'\t',
            null: "\\N".to_string(),
            header: false,
            quote: b'"',
            escape: b'"',
            force_quote: ForceQuote::None,
            force_not_null: Vec::new(),
            force_null: Vec::new(),
        }
    }
}

fn redundant() -> Error {
    Error::new(sqlstate::SYNTAX_ERROR, "conflicting or redundant options")
}

fn unsupported(message: &str) -> Error {
    Error::new(sqlstate::FEATURE_NOT_SUPPORTED, message)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// A one-byte option character (`what`: "delimiter", "quote", "escape").
fn single_byte(value: &str, what: &str) -> Result<u8> {
    match value.as_bytes() {
        [byte] => Ok(*byte),
        _ => Err(unsupported(&format!("COPY {what} must be a single one-byte character"))),
    }
}

/// An encoding name as PostgreSQL compares them: letters and digits only, lower case.
fn normalized_encoding(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase()
}

/// Whether `name` is an encoding PostgreSQL knows (occam stores and speaks UTF-8 only).
fn known_encoding(name: &str) -> bool {
    matches!(
        normalized_encoding(name).as_str(),
        "utf8"
            | "unicode"
            | "sqlascii"
            | "latin1"
            | "latin2"
            | "latin9"
            | "win1252"
            | "win1251"
            | "euckr"
            | "eucjp"
            | "sjis"
            | "big5"
            | "gbk"
            | "gb18030"
            | "koi8r"
            | "iso88591"
            | "iso885915"
            | "windows1252"
    )
}

impl CopyOptions {
    /// Checks `options` for a COPY FROM (`is_from`) or TO, with PostgreSQL's errors.
    pub fn build(options: Vec<CopyOption>, is_from: bool) -> Result<CopyOptions> {
        let mut format = None;
        let (mut delimiter, mut null, mut header, mut quote, mut escape) = (None, None, None, None, None);
        let (mut force_quote, mut force_not_null, mut force_null, mut encoding, mut freeze) =
            (None, None, None, None, None);
        fn set<T>(slot: &mut Option<T>, value: T) -> Result<()> {
            if slot.is_some() {
                return Err(redundant());
            }
            *slot = Some(value);
            Ok(())
        }
        for option in options {
            match option {
                CopyOption::Format(name) => {
                    let parsed = match name.to_ascii_lowercase().as_str() {
                        "text" => CopyFormat::Text,
                        "csv" => CopyFormat::Csv,
                        "binary" => CopyFormat::Binary,
                        _ => return Err(invalid(format!("COPY format \"{name}\" not recognized"))),
                    };
                    set(&mut format, parsed)?
                }
                CopyOption::Delimiter(value) => set(&mut delimiter, value)?,
                CopyOption::Null(value) => set(&mut null, value)?,
                CopyOption::Header(value) => set(&mut header, value)?,
                CopyOption::Quote(value) => set(&mut quote, value)?,
                CopyOption::Escape(value) => set(&mut escape, value)?,
                CopyOption::ForceQuote(value) => set(&mut force_quote, value)?,
                CopyOption::ForceNotNull(value) => set(&mut force_not_null, value)?,
                CopyOption::ForceNull(value) => set(&mut force_null, value)?,
                CopyOption::Encoding(value) => set(&mut encoding, value)?,
                CopyOption::Freeze(value) => set(&mut freeze, value)?,
            }
        }
        let format = format.unwrap_or(CopyFormat::Text);
        let binary = format == CopyFormat::Binary;
        let csv = format == CopyFormat::Csv;
        if binary && delimiter.is_some() {
            return Err(Error::new(sqlstate::SYNTAX_ERROR, "cannot specify DELIMITER in BINARY mode"));
        }
        if binary && null.is_some() {
            return Err(Error::new(sqlstate::SYNTAX_ERROR, "cannot specify NULL in BINARY mode"));
        }
        let delimiter = match &delimiter {
            Some(value) => single_byte(value, "delimiter")?,
            None if csv => b',',
            None => b'\t',
        };
        let null = null.unwrap_or_else(|| if csv { String::new() } else { "\\N".to_string() });
        if delimiter == b'\n' || delimiter == b'\r' {
            return Err(invalid("COPY delimiter cannot be newline or carriage return"));
        }
        if null.contains(['\n', '\r']) {
            return Err(invalid("COPY null representation cannot use newline or carriage return"));
        }
        if !csv && !binary && b"\\.abcdefghijklmnopqrstuvwxyz0123456789".contains(&delimiter) {
            return Err(invalid(format!("COPY delimiter cannot be \"{}\"", delimiter as char)));
        }
        if binary && header == Some(true) {
            return Err(unsupported("cannot specify HEADER in BINARY mode"));
        }
        if !csv && quote.is_some() {
            return Err(unsupported("COPY quote available only in CSV mode"));
        }
        let quote = quote.as_deref().map(|q| single_byte(q, "quote")).transpose()?.unwrap_or(b'"');
        if csv && delimiter == quote {
            return Err(invalid("COPY delimiter and quote must be different"));
        }
        if !csv && escape.is_some() {
            return Err(unsupported("COPY escape available only in CSV mode"));
        }
        let escape = escape.as_deref().map(|e| single_byte(e, "escape")).transpose()?.unwrap_or(quote);
        if force_quote.is_some() && !csv {
            return Err(unsupported("COPY force quote available only in CSV mode"));
        }
        if force_quote.is_some() && is_from {
            return Err(unsupported("COPY force quote only available using COPY TO"));
        }
        if force_not_null.is_some() && !csv {
            return Err(unsupported("COPY force not null available only in CSV mode"));
        }
        if force_not_null.is_some() && !is_from {
            return Err(unsupported("COPY force not null only available using COPY FROM"));
        }
        if force_null.is_some() && !csv {
            return Err(unsupported("COPY force null available only in CSV mode"));
        }
        if force_null.is_some() && !is_from {
            return Err(unsupported("COPY force null only available using COPY FROM"));
        }
        if !binary && null.as_bytes().contains(&delimiter) {
            return Err(unsupported("COPY delimiter must not appear in the NULL specification"));
        }
        if csv && null.as_bytes().contains(&quote) {
            return Err(unsupported("CSV quote character must not appear in the NULL specification"));
        }
        if let Some(name) = &encoding {
            if !known_encoding(name) {
                return Err(invalid("argument to option \"encoding\" must be a valid encoding name"));
            }
            // occam stores and speaks UTF-8 only: no conversion to offer (SQL_ASCII converts nothing).
            if !matches!(normalized_encoding(name).as_str(), "utf8" | "unicode" | "sqlascii") {
                return Err(unsupported(&format!("COPY ENCODING \"{name}\" is not supported: only UTF8")));
            }
        }
        Ok(CopyOptions {
            format,
            delimiter,
            null,
            header: header.unwrap_or(false),
            quote,
            escape,
            force_quote: force_quote.unwrap_or_default(),
            force_not_null: force_not_null.unwrap_or_default(),
            force_null: force_null.unwrap_or_default(),
        })
    }
}
