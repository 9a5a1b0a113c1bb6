//! Unit tests of the COPY codecs: escapes, quoting, line ends, field counts and a binary round trip of
//! every storable type.

use super::*;
use crate::types::text;

fn columns(types: &[DataType]) -> Vec<CopyColumn> {
    types.iter().enumerate().map(|(i, t)| CopyColumn::new(format!("c{}", i + 1), *t)).collect()
}

fn options(list: Vec<CopyOption>, is_from: bool) -> CopyOptions {
    CopyOptions::build(list, is_from).expect("valid options")
}

fn read(data: &[u8], options: &CopyOptions, types: &[DataType]) -> Result<Vec<Row>> {
    let columns = columns(types);
    read_located_rows(data, options, &CopyTarget { table: "t", columns: &columns }).map(|copied| copied.rows)
}

fn texts(rows: Vec<Row>) -> Vec<Vec<Option<String>>> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    Value::Null => None,
                    Value::Text(s) => Some(s),
                    other => Some(format!("{other:?}")),
                })
                .collect()
        })
        .collect()
}

fn write(options: &CopyOptions, types: &[DataType], rows: &[Row]) -> Vec<u8> {
    let columns = columns(types);
    let writer = CopyWriter::new(options, &columns);
    let mut out = writer.header().unwrap_or_default();
    for row in rows {
        out.extend(writer.row(row));
    }
    out.extend(writer.trailer().unwrap_or_default());
    out
}

fn t(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn text_escapes_are_undone() {
    let rows = read(b"a\\tb\\n\\\\\\101\\x41\\x4g\\q\t\\N\n", &CopyOptions::default(), &[DataType::Text; 2]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("a\tb\n\\AA\u{4}gq"), None]]);
}

#[test]
fn text_null_is_compared_before_unescaping() {
    // `\\N` is a backslash and an N, not NULL.
    let rows = read(b"\\\\N\t\\N\n", &CopyOptions::default(), &[DataType::Text; 2]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("\\N"), None]]);
}

#[test]
fn text_end_marker_and_line_ends() {
    let rows = read(b"1\n2\n\\.\n3\n", &CopyOptions::default(), &[DataType::Text]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("1")], vec![t("2")]]);
    let rows = read(b"1\r\n2\r\n", &CopyOptions::default(), &[DataType::Text]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("1")], vec![t("2")]]);
    let rows = read(b"1\n2", &CopyOptions::default(), &[DataType::Text]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("1")], vec![t("2")]]);
    let err = read(b"1\na\rb\n", &CopyOptions::default(), &[DataType::Text]).unwrap_err();
    assert_eq!(err.message, "literal carriage return found in data");
    let err = read(b"1\ta\rb\n", &CopyOptions::default(), &[DataType::Text; 2]).unwrap_err();
    assert_eq!((err.message.as_str(), err.context()), ("literal newline found in data", Some("COPY t, line 2")));
    // A backslash before a line end makes it data.
    let rows = read(b"a\\\nb\n", &CopyOptions::default(), &[DataType::Text]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("a\nb")]]);
}

#[test]
fn text_field_counts_are_checked() {
    let err = read(b"1\tx\n2\n", &CopyOptions::default(), &[DataType::Int4, DataType::Text]).unwrap_err();
    assert_eq!(err.code, BAD_COPY_FILE_FORMAT);
    assert_eq!(err.message, "missing data for column \"c2\"");
    assert_eq!(err.context(), Some("COPY t, line 2: \"2\""));
    let err = read(b"1\tx\t3\n", &CopyOptions::default(), &[DataType::Int4, DataType::Text]).unwrap_err();
    assert_eq!(err.message, "extra data after last expected column");
}

#[test]
fn text_type_errors_name_line_and_column() {
    let err = read(b"1\n q\n", &CopyOptions::default(), &[DataType::Int4]).unwrap_err();
    assert_eq!(err.code, "22P02");
    assert_eq!(err.message, "invalid input syntax for type integer: \" q\"");
    assert_eq!(err.context(), Some("COPY t, line 2, column c1: \" q\""));
    let err = read(b"\\xff\n", &CopyOptions::default(), &[DataType::Text]).unwrap_err();
    assert_eq!((err.code, err.message.as_str()), ("22021", "invalid byte sequence for encoding \"UTF8\": 0xff"));
}

#[test]
fn text_header_and_delimiter() {
    let opts = options(vec![CopyOption::Delimiter("|".into()), CopyOption::Header(true)], true);
    let rows = read(b"a|b\n1|x\\|y\n", &opts, &[DataType::Text; 2]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("1"), t("x|y")]]);
}

#[test]
fn text_output_escapes() {
    let out = write(
        &CopyOptions::default(),
        &[DataType::Text; 3],
        &[vec![Value::Text("a\tb\nc\\d\re\u{8}\u{b}\u{c}é".into()), Value::Null, Value::Text(String::new())]],
    );
    assert_eq!(out, b"a\\tb\\nc\\\\d\\re\\b\\v\\f\xc3\xa9\t\\N\t\n".to_vec());
    let opts = options(vec![CopyOption::Delimiter(",".into())], false);
    assert_eq!(write(&opts, &[DataType::Text], &[vec![Value::Text("a,b".into())]]), b"a\\,b\n".to_vec());
}

#[test]
fn csv_quoting_on_input() {
    let opts = options(vec![CopyOption::Format("csv".into())], true);
    let rows = read(b"1,\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",,\"\"\n", &opts, &[DataType::Text; 6]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("1"), t("a,b"), t("say \"hi\""), t("line1\nline2"), None, t("")]]);
    let err = read(b"1,\"ab\n2,x\n", &opts, &[DataType::Text; 2]).unwrap_err();
    assert_eq!(err.message, "unterminated CSV quoted field");
}

#[test]
fn csv_header_escape_and_force_options() {
    let opts = options(
        vec![CopyOption::Format("csv".into()), CopyOption::Header(true), CopyOption::Escape("\\".into())],
        true,
    );
    let rows = read(b"a,b\n\"x\\\"y\",\"\\\\\"\n", &opts, &[DataType::Text; 2]).unwrap();
    assert_eq!(texts(rows), vec![vec![t("x\"y"), t("\\")]]);
    let opts = options(vec![CopyOption::Format("csv".into())], true);
    let mut cols = columns(&[DataType::Text; 2]);
    cols[0].force_not_null = true;
    cols[1].force_null = true;
    let rows = read_located_rows(b",\"\"\n", &opts, &CopyTarget { table: "t", columns: &cols }).unwrap().rows;
    assert_eq!(texts(rows), vec![vec![t(""), None]]);
}

#[test]
fn csv_output_quotes_where_needed() {
    let opts = options(vec![CopyOption::Format("csv".into()), CopyOption::Header(true)], false);
    let out = write(
        &opts,
        &[DataType::Text; 5],
        &[vec![
            Value::Text("plain".into()),
            Value::Text("a,b".into()),
            Value::Text("say \"hi\"".into()),
            Value::Text(String::new()),
            Value::Null,
        ]],
    );
    assert_eq!(out, b"c1,c2,c3,c4,c5\nplain,\"a,b\",\"say \"\"hi\"\"\",\"\",\n".to_vec());
    let opts = options(vec![CopyOption::Format("csv".into())], false);
    assert_eq!(write(&opts, &[DataType::Text], &[vec![Value::Text("\\.".into())]]), b"\"\\.\"\n".to_vec());
    let opts = options(vec![CopyOption::Format("csv".into()), CopyOption::ForceQuote(ForceQuote::All)], false);
    assert_eq!(write(&opts, &[DataType::Text; 2], &[vec![Value::Text("x".into()), Value::Null]]), b"\"x\",\n".to_vec());
}

#[test]
fn options_are_checked_as_postgres_does() {
    let err = |list: Vec<CopyOption>, is_from: bool| CopyOptions::build(list, is_from).unwrap_err();
    let e = err(vec![CopyOption::Format("xml".into())], true);
    assert_eq!((e.code, e.message.as_str()), ("22023", "COPY format \"xml\" not recognized"));
    let e = err(vec![CopyOption::Delimiter(",".into()), CopyOption::Delimiter(",".into())], true);
    assert_eq!((e.code, e.message.as_str()), ("42601", "conflicting or redundant options"));
    let e = err(vec![CopyOption::Format("binary".into()), CopyOption::Null("x".into())], true);
    assert_eq!(e.message, "cannot specify NULL in BINARY mode");
    let e = err(vec![CopyOption::Quote("'".into())], true);
    assert_eq!((e.code, e.message.as_str()), ("0A000", "COPY quote available only in CSV mode"));
    let e = err(vec![CopyOption::Delimiter("ab".into())], true);
    assert_eq!(e.message, "COPY delimiter must be a single one-byte character");
    let e = err(vec![CopyOption::Delimiter("a".into())], true);
    assert_eq!(e.message, "COPY delimiter cannot be \"a\"");
    let e = err(vec![CopyOption::Format("csv".into()), CopyOption::ForceNotNull(vec!["a".into()])], false);
    assert_eq!(e.message, "COPY force not null only available using COPY FROM");
    let e = err(vec![CopyOption::Encoding("LATIN1".into())], true);
    assert_eq!(e.code, "0A000");
    let e = err(vec![CopyOption::Encoding("klingon".into())], true);
    assert_eq!(e.code, "22023");
    assert!(CopyOptions::build(vec![CopyOption::Encoding("UTF8".into())], true).is_ok());
}

#[test]
fn binary_round_trip_of_every_storable_type() {
    let cases: Vec<(DataType, &str)> = vec![
        (DataType::Bool, "t"),
        (DataType::Int2, "-12"),
        (DataType::Int4, "123456"),
        (DataType::Int8, "-9000000000"),
        (DataType::Float4, "1.5"),
        (DataType::Float8, "-2.25e100"),
        (DataType::Numeric(None), "-12345.678900"),
        (DataType::Numeric(Some((10, 2))), "3.14"),
        (DataType::Text, "héllo\ttab"),
        (DataType::Varchar(Some(10)), "short"),
        (DataType::Char(3), "ab "),
        (DataType::Bytea, "\\x00ff10"),
        (DataType::Uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        (DataType::Date, "2024-02-29"),
        (DataType::Timestamp, "2024-02-29 12:34:56.789"),
        (DataType::Timestamptz, "2024-02-29 12:34:56.789+00"),
        (DataType::Interval, "1 year 2 mons 3 days 04:05:06"),
        (DataType::Json, "{\"a\": [1, 2]}"),
        (DataType::Jsonb, "{\"a\": [1, 2]}"),
    ];
    let types: Vec<DataType> = cases.iter().map(|(t, _)| *t).collect();
    let row: Row = cases.iter().map(|(t, s)| text::parse(s, t).expect("sample parses")).collect();
    let nulls: Row = vec![Value::Null; types.len()];
    let opts = options(vec![CopyOption::Format("binary".into())], false);
    let stream = write(&opts, &types, &[row.clone(), nulls.clone()]);
    assert!(stream.starts_with(b"PGCOPY\n\xff\r\n\0"));
    assert!(stream.ends_with(&[0xff, 0xff]));
    let back = read(&stream, &opts, &types).unwrap();
    assert_eq!(back, vec![row.clone(), nulls]);
    // The same values through text and CSV.
    for format in ["text", "csv"] {
        let opts = options(vec![CopyOption::Format(format.into())], false);
        let stream = write(&opts, &types, std::slice::from_ref(&row));
        assert_eq!(read(&stream, &opts, &types).unwrap(), vec![row.clone()], "{format}");
    }
}

#[test]
fn binary_malformed_streams() {
    let opts = options(vec![CopyOption::Format("binary".into())], true);
    let e = read(b"PGCOPX\n\xff\r\n\0", &opts, &[DataType::Int4]).unwrap_err();
    assert_eq!(e.message, "COPY file signature not recognized");
    let mut stream = binary::header();
    stream.extend_from_slice(&2i16.to_be_bytes());
    let e = read(&stream, &opts, &[DataType::Int4]).unwrap_err();
    assert_eq!(e.message, "row field count is 2, expected 1");
    let mut stream = binary::header();
    stream.extend_from_slice(&1i16.to_be_bytes());
    stream.extend_from_slice(&4i32.to_be_bytes());
    let e = read(&stream, &opts, &[DataType::Int4]).unwrap_err();
    assert_eq!(e.message, "unexpected EOF in COPY data");
    // No trailer: the end of the data ends the stream.
    assert_eq!(read(&binary::header(), &opts, &[DataType::Int4]).unwrap(), Vec::<Row>::new());
}
