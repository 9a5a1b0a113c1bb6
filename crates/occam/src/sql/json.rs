//! The `json` / `jsonb` operators and functions: `-> ->> #> #>> @> <@ ? ?| ?& || - #-`, `to_jsonb`,
//! `jsonb_build_object`, `jsonb_set`, `jsonb_typeof`, ... and the casts from jsonb to scalars.
//!
//! The binder resolves an operator on json/jsonb operands ([`resolve_operator`]) or a function by name
//! ([`resolve`]) into a [`JsonFunction`] inside `ScalarFunction::Json`; the executor evaluates it here.
//! Values are `types::json`'s: a jsonb argument is a `Value::Jsonb` tree, a json argument its text (the
//! `json` variants of the extraction operators return members exactly as written). The aggregates
//! `json_agg` / `jsonb_agg` / `json_object_agg` / `jsonb_object_agg` live in `sql::functions` and build their
//! results with [`to_jsonb`] and [`json_text`].

use std::sync::Arc;

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::BinaryOperator;
use crate::sql::functions::{function_does_not_exist, ResolvedScalar, ScalarFunction};
use crate::sql::scalar;
use crate::types::json::{self, Jsonb, RawChildren};
use crate::types::{text, ArrayElement, DataType, Value};

/// A json/jsonb operation, resolved by the binder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFunction {
    /// `->` / `->>` (`as_text`) with a text key or an integer subscript.
    Get {
        as_text: bool,
    },
    /// `#>` / `#>>` with a text[] path.
    GetPath {
        as_text: bool,
    },
    /// `@>`; `<@` is the same with the arguments swapped by the binder.
    Contains,
    /// `?`, `?|` (any), `?&` (all).
    HasKey,
    HasAnyKey,
    HasAllKeys,
    /// `jsonb || jsonb`.
    Concat,
    /// `jsonb - text`, `jsonb - integer`, `jsonb - text[]`.
    Delete,
    /// `jsonb #- text[]`.
    DeletePath,
    /// `to_json(x)` / `to_jsonb(x)`.
    To,
    /// `json[b]_build_object(k, v, ...)`.
    BuildObject,
    /// `json[b]_build_array(v, ...)`.
    BuildArray,
    /// `json[b]_typeof`.
    Typeof,
    /// `json[b]_array_length`.
    ArrayLength,
    /// `json[b]_strip_nulls`.
    StripNulls,
    /// `jsonb_pretty`.
    Pretty,
    /// `jsonb_set(target, path, value[, create_missing])`.
    Set,
    /// `jsonb_insert(target, path, value[, insert_after])`.
    Insert,
}

impl JsonFunction {
    /// The operator a call of this function was written as (`->`), for EXPLAIN; None for a function.
    pub fn operator(&self) -> Option<&'static str> {
        Some(match self {
            JsonFunction::Get { as_text: false } => "->",
            JsonFunction::Get { as_text: true } => "->>",
            JsonFunction::GetPath { as_text: false } => "#>",
            JsonFunction::GetPath { as_text: true } => "#>>",
            JsonFunction::Contains => "@>",
            JsonFunction::HasKey => "?",
            JsonFunction::HasAnyKey => "?|",
            JsonFunction::HasAllKeys => "?&",
            JsonFunction::Concat => "||",
            JsonFunction::Delete => "-",
            JsonFunction::DeletePath => "#-",
            _ => return None,
        })
    }

    /// The SQL name of a function call (`jsonb_build_object`), for EXPLAIN: json's or jsonb's variant by
    /// the type it works on.
    pub fn function_name(&self, call: &ResolvedScalar) -> String {
        let base = match self {
            JsonFunction::To => return if call.result_type == DataType::Json { "to_json" } else { "to_jsonb" }.into(),
            JsonFunction::BuildObject => "build_object",
            JsonFunction::BuildArray => "build_array",
            JsonFunction::Typeof => "typeof",
            JsonFunction::ArrayLength => "array_length",
            JsonFunction::StripNulls => "strip_nulls",
            JsonFunction::Pretty => "pretty",
            JsonFunction::Set => "set",
            JsonFunction::Insert => "insert",
            other => return other.operator().unwrap_or_default().to_string(),
        };
        let json = match self {
            JsonFunction::BuildObject | JsonFunction::BuildArray => call.result_type == DataType::Json,
            _ => call.arg_types.first() == Some(&DataType::Json),
        };
        format!("{}_{base}", if json { "json" } else { "jsonb" })
    }
}

fn resolved(function: JsonFunction, arg_types: Vec<DataType>, result_type: DataType) -> Result<ResolvedScalar> {
    Ok(ResolvedScalar { function: ScalarFunction::Json(function), arg_types, result_type })
}

const TEXT_ARRAY: DataType = DataType::Array(ArrayElement::TEXT);

fn is_json(t: &DataType) -> bool {
    matches!(t, DataType::Json | DataType::Jsonb)
}

fn stringish(t: &DataType) -> bool {
    t.is_string() || *t == DataType::Unknown
}

fn text_array_or_unknown(t: &DataType) -> bool {
    *t == TEXT_ARRAY || *t == DataType::Unknown || matches!(t, DataType::Array(e) if e.data_type().is_string())
}

/// `jsonb[key]` (PostgreSQL 14's jsonb subscripting, which SQLAlchemy 2 writes for `col["key"]`): the
/// field of an object for a text key, the element of an array for an integer (from the end when negative),
/// as `->`; an untyped literal key is text.
pub fn resolve_subscript(index: &DataType) -> Result<ResolvedScalar> {
    let key = match index {
        DataType::Int2 | DataType::Int4 => DataType::Int4,
        t if stringish(t) => DataType::Text,
        other => {
            return Err(Error::datatype_mismatch(format!("subscript type {} is not supported", other.name()))
                .with_hint("jsonb subscript must be coercible to either integer or text."))
        }
    };
    resolved(JsonFunction::Get { as_text: false }, vec![DataType::Jsonb, key], DataType::Jsonb)
}

/// An operator with a json or jsonb operand; None when neither side is json (the operator is then some
/// other type's), or for `||` / `-` whose jsonb forms need a jsonb left side.
pub fn resolve_operator(op: BinaryOperator, left: &DataType, right: &DataType) -> Option<Result<ResolvedScalar>> {
    use BinaryOperator as B;
    let json_operator = matches!(
        op,
        B::Arrow
            | B::LongArrow
            | B::HashArrow
            | B::HashLongArrow
            | B::Contains
            | B::ContainedBy
            | B::Question
            | B::QuestionAnd
            | B::QuestionPipe
            | B::HashMinus
    );
    let not_found = || {
        Error::new(
            sqlstate::UNDEFINED_FUNCTION,
            format!("operator does not exist: {} {} {}", left.name(), op.sql(), right.name()),
        )
        .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
    };
    if !(is_json(left) || (json_operator || op == B::Concat) && is_json(right)) {
        return if json_operator { Some(Err(not_found())) } else { None };
    }
    // An untyped literal left of `|| jsonb` is jsonb too (`text || jsonb` stays text concatenation).
    let jsonb = *left == DataType::Jsonb || op == B::Concat && *left == DataType::Unknown;
    let jsonb_or_unknown = |t: &DataType| *t == DataType::Jsonb || *t == DataType::Unknown;
    Some(match op {
        B::Arrow | B::LongArrow => {
            let as_text = op == B::LongArrow;
            let result = if as_text { DataType::Text } else { *left };
            let key = match right {
                DataType::Int2 | DataType::Int4 => DataType::Int4,
                t if stringish(t) => DataType::Text,
                _ => return Some(Err(not_found())),
            };
            resolved(JsonFunction::Get { as_text }, vec![*left, key], result)
        }
        B::HashArrow | B::HashLongArrow if text_array_or_unknown(right) => {
            let as_text = op == B::HashLongArrow;
            let result = if as_text { DataType::Text } else { *left };
            resolved(JsonFunction::GetPath { as_text }, vec![*left, TEXT_ARRAY], result)
        }
        B::Contains | B::ContainedBy if jsonb_or_unknown(left) && jsonb_or_unknown(right) => {
            resolved(JsonFunction::Contains, vec![DataType::Jsonb, DataType::Jsonb], DataType::Bool)
        }
        B::Question if jsonb && stringish(right) => {
            resolved(JsonFunction::HasKey, vec![DataType::Jsonb, DataType::Text], DataType::Bool)
        }
        B::QuestionPipe | B::QuestionAnd if jsonb && text_array_or_unknown(right) => {
            let function = if op == B::QuestionPipe { JsonFunction::HasAnyKey } else { JsonFunction::HasAllKeys };
            resolved(function, vec![DataType::Jsonb, TEXT_ARRAY], DataType::Bool)
        }
        B::Concat if jsonb && jsonb_or_unknown(right) => {
            resolved(JsonFunction::Concat, vec![DataType::Jsonb, DataType::Jsonb], DataType::Jsonb)
        }
        B::Minus if jsonb => {
            let operand = match right {
                DataType::Int2 | DataType::Int4 => DataType::Int4,
                t if stringish(t) => DataType::Text,
                t if text_array_or_unknown(t) => TEXT_ARRAY,
                _ => return Some(Err(not_found())),
            };
            resolved(JsonFunction::Delete, vec![DataType::Jsonb, operand], DataType::Jsonb)
        }
        B::HashMinus if jsonb && text_array_or_unknown(right) => {
            resolved(JsonFunction::DeletePath, vec![DataType::Jsonb, TEXT_ARRAY], DataType::Jsonb)
        }
        _ if json_operator => Err(not_found()),
        _ => return None,
    })
}

/// GROUP BY and DISTINCT need an equality operator, which json (unlike jsonb) lacks: 42883
/// `could not identify an equality operator for type json`.
pub fn check_equality(data_type: &DataType) -> Result<()> {
    if *data_type == DataType::Json {
        return Err(Error::new(sqlstate::UNDEFINED_FUNCTION, "could not identify an equality operator for type json"));
    }
    Ok(())
}

/// ORDER BY and DISTINCT ON need an ordering operator, which json lacks: 42883 `could not identify an
/// ordering operator for type json`.
pub fn check_ordering(data_type: &DataType) -> Result<()> {
    if *data_type == DataType::Json {
        return Err(Error::new(sqlstate::UNDEFINED_FUNCTION, "could not identify an ordering operator for type json")
            .with_hint("Use an explicit ordering operator or modify the query."));
    }
    Ok(())
}

/// The json functions called by name; None for any other name.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    let not_found = || function_does_not_exist(name, args);
    // Untyped literals are text where any type is taken.
    let any = |t: &DataType| if *t == DataType::Unknown { DataType::Text } else { *t };
    if let "to_json" | "to_jsonb" = name {
        let output = if name == "to_json" { DataType::Json } else { DataType::Jsonb };
        return Some(match args {
            [t] => resolved(JsonFunction::To, vec![any(t)], output),
            _ => Err(not_found()),
        });
    }
    let (base, own) = match name.strip_prefix("jsonb_") {
        Some(rest) => (rest, DataType::Jsonb),
        None => (name.strip_prefix("json_")?, DataType::Json),
    };
    // The function's own json type: untyped literals become it, typed values must already be it.
    let own_json = |t: &DataType| *t == own || *t == DataType::Unknown;
    let bool_arg = |t: &DataType| matches!(t, DataType::Bool | DataType::Unknown);
    Some(match (base, args) {
        ("build_object", _) if args.len().is_multiple_of(2) => {
            resolved(JsonFunction::BuildObject, args.iter().map(any).collect(), own)
        }
        ("build_object", _) => {
            Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "argument list must have even number of elements")
                .with_hint(format!("The arguments of {name}() must consist of alternating keys and values.")))
        }
        ("build_array", _) => resolved(JsonFunction::BuildArray, args.iter().map(any).collect(), own),
        ("typeof", [t]) if own_json(t) => resolved(JsonFunction::Typeof, vec![own], DataType::Text),
        ("array_length", [t]) if own_json(t) => resolved(JsonFunction::ArrayLength, vec![own], DataType::Int4),
        ("strip_nulls", [t]) if own_json(t) => resolved(JsonFunction::StripNulls, vec![own], own),
        ("pretty", [t]) if own == DataType::Jsonb && own_json(t) => {
            resolved(JsonFunction::Pretty, vec![DataType::Jsonb], DataType::Text)
        }
        ("set" | "insert", [target, path, value, rest @ ..])
            if own == DataType::Jsonb
                && rest.len() <= 1
                && own_json(target)
                && text_array_or_unknown(path)
                && own_json(value)
                && rest.iter().all(bool_arg) =>
        {
            let function = if base == "set" { JsonFunction::Set } else { JsonFunction::Insert };
            let mut types = vec![DataType::Jsonb, TEXT_ARRAY, DataType::Jsonb];
            types.extend(rest.iter().map(|_| DataType::Bool));
            resolved(function, types, DataType::Jsonb)
        }
        ("typeof" | "array_length" | "strip_nulls" | "pretty" | "set" | "insert", _) => Err(not_found()),
        _ => return None,
    })
}

/// A SQL value of type `data_type` as jsonb (`to_jsonb`): numbers as numbers, booleans, strings, arrays
/// as arrays, json parsed, date/time values in ISO 8601 (`2024-01-02T03:04:05`), anything else its text.
pub fn to_jsonb(value: &Value, data_type: &DataType) -> Result<Jsonb> {
    Ok(match value {
        Value::Null => Jsonb::Null,
        Value::Bool(b) => Jsonb::Bool(*b),
        Value::Int(i) if !data_type.is_oid() => Jsonb::Number(i.to_string()),
        Value::Numeric(d) => Jsonb::Number(text::format_numeric(d)),
        Value::Float(f) if f.is_finite() => {
            Jsonb::Number(json::normalize_number(&text::format(value, data_type).replace('+', "")))
        }
        Value::Jsonb(j) => (**j).clone(),
        Value::Text(s) if *data_type == DataType::Json => Jsonb::parse(s)?,
        Value::Array(elements) => {
            let element_type = data_type.element().unwrap_or(DataType::Text);
            Jsonb::Array(elements.iter().map(|e| to_jsonb(e, &element_type)).collect::<Result<_>>()?)
        }
        Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => Jsonb::String(iso_datetime(value, data_type)),
        Value::Text(s) => Jsonb::String(s.clone()),
        other => Jsonb::String(text::format(other, data_type)),
    })
}

/// A date/time value as JSON writes it: ISO 8601 with `T`, a zone as `+00:00`.
fn iso_datetime(value: &Value, data_type: &DataType) -> String {
    let mut out = text::format(value, data_type);
    if out.len() > 10 && out.as_bytes()[10] == b' ' {
        out.replace_range(10..11, "T");
    }
    // The session zone's offset (`+00`, `+05:30`) always has minutes in JSON.
    let whole_hours_offset = out.rfind(['+', '-']).is_some_and(|at| at > 10 && !out[at..].contains(':'));
    if matches!(value, Value::Timestamptz(_)) && whole_hours_offset {
        out.push_str(":00");
    }
    out
}

/// A SQL value as `json` text (`to_json`, `json_build_*`, `json_agg`): json as written, jsonb as printed,
/// arrays compactly (`[1,2,3]`, as PostgreSQL's array_to_json), scalars as [`to_jsonb`] makes them.
pub fn json_text(value: &Value, data_type: &DataType) -> Result<String> {
    Ok(match value {
        Value::Null => "null".to_string(),
        Value::Text(s) if *data_type == DataType::Json => s.clone(),
        Value::Array(elements) => {
            let element_type = data_type.element().unwrap_or(DataType::Text);
            let parts = elements.iter().map(|e| json_text(e, &element_type)).collect::<Result<Vec<_>>>()?;
            format!("[{}]", parts.join(","))
        }
        // Numbers keep their text (to_json(1.50) is 1.50).
        Value::Numeric(d) => text::format_numeric(d),
        other => to_jsonb(other, data_type)?.to_string(),
    })
}

/// A jsonb value cast to a SQL scalar type (`::int`, `::numeric`, `::float8`, `::bool`, `::json`); 22023
/// `cannot cast jsonb string to type integer` when the value is of another kind.
pub fn cast_jsonb(value: &Jsonb, to: &DataType) -> Result<Value> {
    if *to == DataType::Json {
        return Ok(Value::Text(value.to_string()));
    }
    if *to == DataType::Jsonb {
        return Ok(Value::Jsonb(Arc::new(value.clone())));
    }
    let kind = match value {
        Jsonb::Null => "null",
        Jsonb::Bool(_) => "boolean",
        Jsonb::Number(_) => "numeric",
        Jsonb::String(_) => "string",
        Jsonb::Array(_) => "array",
        Jsonb::Object(_) => "object",
    };
    let wrong_kind =
        || Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("cannot cast jsonb {kind} to type {}", to.name()));
    match (value, to) {
        (Jsonb::Bool(b), DataType::Bool) => Ok(Value::Bool(*b)),
        (Jsonb::Number(n), t) if t.is_numeric_family() => {
            let numeric = text::parse(n, &DataType::Numeric(None))?;
            scalar::cast(numeric, &DataType::Numeric(None), to)
        }
        _ if to.is_numeric_family() || *to == DataType::Bool => Err(wrong_kind()),
        _ => Err(scalar::cannot_cast(&DataType::Jsonb, to)),
    }
}

fn jsonb_arg(value: &Value) -> Result<&Jsonb> {
    match value {
        Value::Jsonb(j) => Ok(j),
        other => Err(Error::internal(format!("expected a jsonb argument, got {other:?}"))),
    }
}

fn text_arg(value: &Value) -> Result<&str> {
    match value {
        Value::Text(s) => Ok(s),
        other => Err(Error::internal(format!("expected a text argument, got {other:?}"))),
    }
}

/// A text[] path's elements (NULL elements as None).
fn path_arg(value: &Value) -> Result<Vec<Option<String>>> {
    match value {
        Value::Array(elements) => Ok(elements
            .iter()
            .map(|e| match e {
                Value::Text(s) => Some(s.clone()),
                _ => None,
            })
            .collect()),
        other => Err(Error::internal(format!("expected a text[] argument, got {other:?}"))),
    }
}

fn jsonb_value(value: Jsonb) -> Value {
    Value::Jsonb(Arc::new(value))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// Evaluates a resolved json function on arguments coerced to `resolved.arg_types`.
pub fn invoke(function: JsonFunction, resolved: &ResolvedScalar, args: &[Value]) -> Result<Value> {
    use JsonFunction as F;
    match function {
        F::BuildObject => return build_object(resolved, args),
        F::BuildArray => return build_array(resolved, args),
        // jsonb_set / jsonb_insert are strict in their first three arguments only.
        F::Set | F::Insert if args.get(3).is_some_and(Value::is_null) => return Ok(Value::Null),
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let input_is_json = resolved.arg_types.first() == Some(&DataType::Json);
    match function {
        F::Get { as_text } if input_is_json => {
            let Value::Text(text) = &args[0] else { return Err(Error::internal("json -> on non-text")) };
            let found = match &args[1] {
                Value::Int(i) => json_element(text, *i)?,
                key => json_field(text, text_arg(key)?)?,
            };
            json_result(found, as_text)
        }
        F::Get { as_text } => {
            let target = jsonb_arg(&args[0])?;
            let found = match &args[1] {
                Value::Int(i) => target.element(*i),
                key => target.field(text_arg(key)?),
            };
            Ok(jsonb_result(found, as_text))
        }
        F::GetPath { as_text } if input_is_json => {
            let Value::Text(text) = &args[0] else { return Err(Error::internal("json #> on non-text")) };
            let mut current: Option<&str> = Some(text.as_str());
            for step in path_arg(&args[1])? {
                let (Some(raw), Some(step)) = (current, step) else {
                    current = None;
                    break;
                };
                current = match json::raw_children(raw)? {
                    RawChildren::Object(_) => json_field(raw, &step)?,
                    RawChildren::Array(_) => match step.trim().parse::<i64>() {
                        Ok(i) => json_element(raw, i)?,
                        Err(_) => None,
                    },
                    RawChildren::Scalar => None,
                };
            }
            json_result(current, as_text)
        }
        F::GetPath { as_text } => Ok(jsonb_result(jsonb_arg(&args[0])?.at_path(&path_arg(&args[1])?), as_text)),
        F::Contains => Ok(Value::Bool(jsonb_arg(&args[0])?.contains(jsonb_arg(&args[1])?))),
        F::HasKey => Ok(Value::Bool(jsonb_arg(&args[0])?.has_key(text_arg(&args[1])?))),
        F::HasAnyKey | F::HasAllKeys => {
            let target = jsonb_arg(&args[0])?;
            let mut keys = path_arg(&args[1])?.into_iter().flatten();
            Ok(Value::Bool(if function == F::HasAnyKey {
                keys.any(|k| target.has_key(&k))
            } else {
                keys.all(|k| target.has_key(&k))
            }))
        }
        F::Concat => Ok(jsonb_value(concat(jsonb_arg(&args[0])?, jsonb_arg(&args[1])?))),
        F::Delete => delete(jsonb_arg(&args[0])?, &args[1]).map(jsonb_value),
        F::DeletePath => {
            let target = jsonb_arg(&args[0])?;
            if !matches!(target, Jsonb::Array(_) | Jsonb::Object(_)) {
                return Err(invalid("cannot delete path in scalar"));
            }
            let path = path_arg(&args[1])?;
            let mut out = target.clone();
            edit_path(&mut out, &path, 0, &Edit::Delete)?;
            Ok(jsonb_value(out))
        }
        F::To if resolved.result_type == DataType::Json => json_text(&args[0], &resolved.arg_types[0]).map(Value::Text),
        F::To => to_jsonb(&args[0], &resolved.arg_types[0]).map(jsonb_value),
        F::Typeof => Ok(Value::Text(parse_input(&args[0], input_is_json)?.type_name().to_string())),
        F::ArrayLength => match parse_input(&args[0], input_is_json)?.as_ref() {
            Jsonb::Array(elements) => Ok(Value::Int(elements.len() as i64)),
            Jsonb::Object(_) => Err(invalid("cannot get array length of a non-array")),
            _ => Err(invalid("cannot get array length of a scalar")),
        },
        F::StripNulls => {
            let stripped = strip_nulls(parse_input(&args[0], input_is_json)?.as_ref());
            Ok(if input_is_json { Value::Text(compact_json(&stripped)) } else { jsonb_value(stripped) })
        }
        F::Pretty => Ok(Value::Text(jsonb_arg(&args[0])?.pretty())),
        F::Set | F::Insert => {
            let target = jsonb_arg(&args[0])?;
            let path = path_arg(&args[1])?;
            let new = jsonb_arg(&args[2])?.clone();
            let flag = matches!(args.get(3), Some(Value::Bool(true)));
            if !matches!(target, Jsonb::Array(_) | Jsonb::Object(_)) {
                return Err(invalid("cannot set path in scalar"));
            }
            let edit = if function == F::Set {
                Edit::Set { value: new, create_missing: args.get(3).is_none() || flag }
            } else {
                Edit::Insert { value: new, after: flag }
            };
            let mut out = target.clone();
            edit_path(&mut out, &path, 0, &edit)?;
            Ok(jsonb_value(out))
        }
        F::BuildObject | F::BuildArray => unreachable!("handled above"),
    }
}

/// A json or jsonb argument as a tree (json text parsed, keeping its member order and duplicates).
fn parse_input(value: &Value, is_json: bool) -> Result<std::borrow::Cow<'_, Jsonb>> {
    Ok(match value {
        Value::Text(text) if is_json => std::borrow::Cow::Owned(json::Parser::parse_document(text, false)?),
        other => std::borrow::Cow::Borrowed(jsonb_arg(other)?),
    })
}

/// A tree as compact json text (`json_strip_nulls` keeps no whitespace, as PostgreSQL's does).
fn compact_json(value: &Jsonb) -> String {
    match value {
        Jsonb::Array(elements) => format!("[{}]", elements.iter().map(compact_json).collect::<Vec<_>>().join(",")),
        Jsonb::Object(members) => format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{}:{}", json::quote(k), compact_json(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// The member `key` of a json object text (the last one of duplicates, as PostgreSQL's json operators).
fn json_field<'a>(text: &'a str, key: &str) -> Result<Option<&'a str>> {
    Ok(match json::raw_children(text)? {
        RawChildren::Object(members) => members.into_iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    })
}

fn json_element(text: &str, index: i64) -> Result<Option<&str>> {
    Ok(match json::raw_children(text)? {
        RawChildren::Array(elements) => json::resolve_index(index, elements.len()).map(|i| elements[i]),
        _ => None,
    })
}

/// What `->` / `->>` on json return for a found member's text.
fn json_result(found: Option<&str>, as_text: bool) -> Result<Value> {
    let Some(raw) = found else { return Ok(Value::Null) };
    if !as_text {
        return Ok(Value::Text(raw.to_string()));
    }
    Ok(match json::Parser::parse_document(raw, false)? {
        Jsonb::Null => Value::Null,
        Jsonb::String(s) => Value::Text(s),
        _ => Value::Text(raw.to_string()),
    })
}

fn jsonb_result(found: Option<&Jsonb>, as_text: bool) -> Value {
    match found {
        None => Value::Null,
        Some(value) if as_text => value.to_text().map_or(Value::Null, Value::Text),
        Some(value) => jsonb_value(value.clone()),
    }
}

fn build_object(resolved: &ResolvedScalar, args: &[Value]) -> Result<Value> {
    let mut members = Vec::with_capacity(args.len() / 2);
    for (i, pair) in args.chunks(2).enumerate() {
        let key_type = &resolved.arg_types[2 * i];
        let key = match &pair[0] {
            Value::Null => {
                return Err(invalid(format!("argument {}: key must not be null", 2 * i + 1)));
            }
            Value::Text(s) => s.clone(),
            other => text::format(other, key_type),
        };
        members.push((key, (&pair[1], &resolved.arg_types[2 * i + 1])));
    }
    if resolved.result_type == DataType::Jsonb {
        let members = members.into_iter().map(|(k, (v, t))| Ok((k, to_jsonb(v, t)?))).collect::<Result<Vec<_>>>()?;
        return Ok(jsonb_value(Jsonb::object(members)));
    }
    let parts = members
        .into_iter()
        .map(|(k, (v, t))| Ok(format!("{} : {}", json::quote(&k), json_text(v, t)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Text(format!("{{{}}}", parts.join(", "))))
}

fn build_array(resolved: &ResolvedScalar, args: &[Value]) -> Result<Value> {
    if resolved.result_type == DataType::Jsonb {
        let elements = args.iter().zip(&resolved.arg_types).map(|(v, t)| to_jsonb(v, t)).collect::<Result<_>>()?;
        return Ok(jsonb_value(Jsonb::Array(elements)));
    }
    let parts = args.iter().zip(&resolved.arg_types).map(|(v, t)| json_text(v, t)).collect::<Result<Vec<_>>>()?;
    Ok(Value::Text(format!("[{}]", parts.join(", "))))
}

/// `jsonb || jsonb`: objects merge (the right side's keys win), anything else concatenates as arrays.
fn concat(left: &Jsonb, right: &Jsonb) -> Jsonb {
    match (left, right) {
        (Jsonb::Object(a), Jsonb::Object(b)) => Jsonb::object(a.iter().chain(b).cloned().collect()),
        _ => {
            let as_elements = |v: &Jsonb| match v {
                Jsonb::Array(elements) => elements.clone(),
                other => vec![other.clone()],
            };
            let mut elements = as_elements(left);
            elements.extend(as_elements(right));
            Jsonb::Array(elements)
        }
    }
}

/// `jsonb - text` (a key, or matching string elements), `- integer` (an element), `- text[]` (keys).
fn delete(target: &Jsonb, operand: &Value) -> Result<Jsonb> {
    let keys: Vec<String> = match operand {
        Value::Int(index) => {
            return match target {
                Jsonb::Array(elements) => {
                    let mut out = elements.clone();
                    if let Some(i) = json::resolve_index(*index, elements.len()) {
                        out.remove(i);
                    }
                    Ok(Jsonb::Array(out))
                }
                Jsonb::Object(_) => Err(invalid("cannot delete from object using integer index")),
                _ => Err(invalid("cannot delete from scalar")),
            };
        }
        Value::Text(key) => vec![key.clone()],
        array => path_arg(array)?.into_iter().flatten().collect(),
    };
    match target {
        Jsonb::Object(members) => {
            Ok(Jsonb::Object(members.iter().filter(|(k, _)| !keys.contains(k)).cloned().collect()))
        }
        Jsonb::Array(elements) => Ok(Jsonb::Array(
            elements.iter().filter(|e| !matches!(e, Jsonb::String(s) if keys.contains(s))).cloned().collect(),
        )),
        _ => Err(invalid("cannot delete from scalar")),
    }
}

fn strip_nulls(value: &Jsonb) -> Jsonb {
    match value {
        Jsonb::Object(members) => Jsonb::Object(
            members
                .iter()
                .filter(|(_, v)| !matches!(v, Jsonb::Null))
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Jsonb::Array(elements) => Jsonb::Array(elements.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// What happens at the end of a path.
enum Edit {
    Set { value: Jsonb, create_missing: bool },
    Insert { value: Jsonb, after: bool },
    Delete,
}

/// An array subscript of a path: 22P02 `path element at position 2 is not an integer: "x"` otherwise.
fn path_index(step: &str, position: usize) -> Result<i64> {
    step.trim().parse::<i64>().map_err(|_| {
        Error::new(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("path element at position {position} is not an integer: \"{step}\""),
        )
    })
}

/// Applies `edit` at `path[depth..]` inside `target` (PostgreSQL's setPath): a missing intermediate member
/// leaves the value unchanged, as does a path into a scalar.
fn edit_path(target: &mut Jsonb, path: &[Option<String>], depth: usize, edit: &Edit) -> Result<()> {
    crate::stack::check()?;
    let Some(step) = path.get(depth) else { return Ok(()) };
    let Some(step) = step.as_deref() else {
        return Err(Error::new("22004", format!("path element at position {} is null", depth + 1)));
    };
    let last = depth + 1 == path.len();
    match target {
        Jsonb::Object(members) => {
            let found = members.binary_search_by(|(k, _)| json::key_order(k, step));
            match (found, edit) {
                (Ok(i), _) if !last => edit_path(&mut members[i].1, path, depth + 1, edit)?,
                (Ok(i), Edit::Set { value, .. }) => members[i].1 = value.clone(),
                (Ok(_), Edit::Insert { .. }) => {
                    return Err(invalid("cannot replace existing key")
                        .with_hint("Try using the function jsonb_set to replace key value."))
                }
                (Ok(i), Edit::Delete) => {
                    members.remove(i);
                }
                (Err(i), Edit::Set { value, create_missing: true } | Edit::Insert { value, .. }) if last => {
                    members.insert(i, (step.to_string(), value.clone()))
                }
                (Err(_), _) => {}
            }
        }
        Jsonb::Array(elements) => {
            let index = path_index(step, depth + 1)?;
            let len = elements.len() as i64;
            let resolved = json::resolve_index(index, elements.len());
            if !last {
                if let Some(i) = resolved {
                    edit_path(&mut elements[i], path, depth + 1, edit)?;
                }
                return Ok(());
            }
            match (resolved, edit) {
                (Some(i), Edit::Set { value, .. }) => elements[i] = value.clone(),
                (Some(i), Edit::Delete) => {
                    elements.remove(i);
                }
                (Some(i), Edit::Insert { value, after }) => {
                    elements.insert(if *after { i + 1 } else { i }, value.clone())
                }
                (None, Edit::Set { value, create_missing: true } | Edit::Insert { value, .. }) => {
                    // Beyond either end: prepend (a negative subscript) or append.
                    if index < 0 && -index > len {
                        elements.insert(0, value.clone());
                    } else {
                        elements.push(value.clone());
                    }
                }
                (None, _) => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// `json_agg` / `jsonb_agg`: every value in input order (NULL as JSON null); NULL for no rows. json's
/// result separates elements with `, ` as PostgreSQL's `json_agg` does.
pub struct ArrayAgg {
    arg_type: DataType,
    result_type: DataType,
    elements: Option<Vec<Value>>,
}

impl ArrayAgg {
    pub fn new(arg_type: DataType, result_type: DataType) -> Self {
        ArrayAgg { arg_type, result_type, elements: None }
    }
}

impl crate::sql::functions::Accumulator for ArrayAgg {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, value: &Value) -> Result<()> {
        let element = if self.result_type == DataType::Jsonb {
            jsonb_value(to_jsonb(value, &self.arg_type)?)
        } else {
            Value::Text(json_text(value, &self.arg_type)?)
        };
        self.elements.get_or_insert_with(Vec::new).push(element);
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        let Some(elements) = &self.elements else { return Ok(Value::Null) };
        if self.result_type == DataType::Jsonb {
            let elements = elements.iter().map(|e| jsonb_arg(e).cloned()).collect::<Result<_>>()?;
            return Ok(jsonb_value(Jsonb::Array(elements)));
        }
        let parts = elements.iter().map(text_arg).collect::<Result<Vec<_>>>()?;
        Ok(Value::Text(format!("[{}]", parts.join(", "))))
    }
}

/// `json_object_agg` / `jsonb_object_agg` over `json[b]_build_array(key, value)` pairs: a NULL key is
/// 22023 `field name must not be null`; a key prints as its text. jsonb's keys are unique (last wins),
/// json's kept in input order as `{ "k" : v, ... }`.
pub struct ObjectAgg {
    result_type: DataType,
    members: Option<Vec<(String, Value)>>,
}

impl ObjectAgg {
    pub fn new(result_type: DataType) -> Self {
        ObjectAgg { result_type, members: None }
    }

    fn key_text(key: &Jsonb) -> Result<String> {
        match key {
            Jsonb::Null => Err(invalid("field name must not be null")),
            Jsonb::String(s) => Ok(s.clone()),
            other => Ok(other.to_string()),
        }
    }
}

impl crate::sql::functions::Accumulator for ObjectAgg {
    fn retains_input(&self) -> bool {
        true
    }

    fn update(&mut self, pair: &Value) -> Result<()> {
        let member = match pair {
            Value::Jsonb(j) => match j.as_ref() {
                Jsonb::Array(kv) if kv.len() == 2 => (Self::key_text(&kv[0])?, jsonb_value(kv[1].clone())),
                _ => return Err(Error::internal("jsonb_object_agg pair")),
            },
            Value::Text(text) => match json::raw_children(text)? {
                RawChildren::Array(kv) if kv.len() == 2 => {
                    let key = json::Parser::parse_document(kv[0], false)?;
                    (Self::key_text(&key)?, Value::Text(kv[1].to_string()))
                }
                _ => return Err(Error::internal("json_object_agg pair")),
            },
            _ => return Ok(()),
        };
        self.members.get_or_insert_with(Vec::new).push(member);
        Ok(())
    }

    fn finish(&self) -> Result<Value> {
        let Some(members) = &self.members else { return Ok(Value::Null) };
        if self.result_type == DataType::Jsonb {
            let members =
                members.iter().map(|(k, v)| Ok((k.clone(), jsonb_arg(v)?.clone()))).collect::<Result<Vec<_>>>()?;
            return Ok(jsonb_value(Jsonb::object(members)));
        }
        let parts = members
            .iter()
            .map(|(k, v)| Ok(format!("{} : {}", json::quote(k), text_arg(v)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Value::Text(format!("{{ {} }}", parts.join(", "))))
    }
}

/// A json set-returning function in FROM (a `plan::TableFunction`), over a json (`json`) or jsonb argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonTable {
    /// `json[b]_array_elements[_text](array)`: a column `value`.
    ArrayElements { json: bool, as_text: bool },
    /// `json[b]_each[_text](object)`: columns `key`, `value`.
    Each { json: bool, as_text: bool },
    /// `json[b]_object_keys(object)`: one column named after the function.
    ObjectKeys { json: bool },
}

impl JsonTable {
    /// The set-returning function `name`, with the argument type it takes; None for any other name.
    pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<(JsonTable, DataType)>> {
        let (json, base) = match name.strip_prefix("jsonb_") {
            Some(base) => (false, base),
            None => (true, name.strip_prefix("json_")?),
        };
        let function = match base {
            "array_elements" => JsonTable::ArrayElements { json, as_text: false },
            "array_elements_text" => JsonTable::ArrayElements { json, as_text: true },
            "each" => JsonTable::Each { json, as_text: false },
            "each_text" => JsonTable::Each { json, as_text: true },
            "object_keys" => JsonTable::ObjectKeys { json },
            _ => return None,
        };
        let input = if json { DataType::Json } else { DataType::Jsonb };
        Some(match args {
            [t] if *t == input || *t == DataType::Unknown => Ok((function, input)),
            _ => Err(function_does_not_exist(name, args)),
        })
    }

    fn is_json(&self) -> bool {
        match self {
            JsonTable::ArrayElements { json, .. } | JsonTable::Each { json, .. } | JsonTable::ObjectKeys { json } => {
                *json
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match (self, self.is_json()) {
            (JsonTable::ArrayElements { as_text: false, .. }, true) => "json_array_elements",
            (JsonTable::ArrayElements { as_text: false, .. }, false) => "jsonb_array_elements",
            (JsonTable::ArrayElements { as_text: true, .. }, true) => "json_array_elements_text",
            (JsonTable::ArrayElements { as_text: true, .. }, false) => "jsonb_array_elements_text",
            (JsonTable::Each { as_text: false, .. }, true) => "json_each",
            (JsonTable::Each { as_text: false, .. }, false) => "jsonb_each",
            (JsonTable::Each { as_text: true, .. }, true) => "json_each_text",
            (JsonTable::Each { as_text: true, .. }, false) => "jsonb_each_text",
            (JsonTable::ObjectKeys { .. }, true) => "json_object_keys",
            (JsonTable::ObjectKeys { .. }, false) => "jsonb_object_keys",
        }
    }

    pub fn column_names(&self) -> &'static [&'static str] {
        match self {
            JsonTable::ArrayElements { .. } => &["value"],
            JsonTable::Each { .. } => &["key", "value"],
            JsonTable::ObjectKeys { json: true } => &["json_object_keys"],
            JsonTable::ObjectKeys { json: false } => &["jsonb_object_keys"],
        }
    }

    /// The result columns' types.
    pub fn column_types(&self) -> Vec<DataType> {
        let value = match self {
            JsonTable::ArrayElements { as_text: true, .. } | JsonTable::Each { as_text: true, .. } => DataType::Text,
            _ if self.is_json() => DataType::Json,
            _ => DataType::Jsonb,
        };
        match self {
            JsonTable::ArrayElements { .. } => vec![value],
            JsonTable::Each { .. } => vec![DataType::Text, value],
            JsonTable::ObjectKeys { .. } => vec![DataType::Text],
        }
    }

    /// Whether the one column takes the FROM item's alias as its name (a function without named output
    /// columns, as PostgreSQL names it).
    pub fn column_takes_alias(&self) -> bool {
        matches!(self, JsonTable::ObjectKeys { .. })
    }
}

/// The rows of `function` over its evaluated argument (none for NULL); 22023 when the value is of the wrong
/// kind (`cannot extract elements from an object`, ...).
pub fn table_rows(function: JsonTable, args: &[Value]) -> Result<Vec<Vec<Value>>> {
    let Some(arg) = args.first().filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let name = function.name();
    // Each member as (key, value as json text or tree); json keeps members as written.
    let (members, kind): (Vec<(Option<String>, Value)>, &str) = match arg {
        Value::Text(text) => match json::raw_children(text)? {
            RawChildren::Array(elements) => {
                (elements.into_iter().map(|e| (None, Value::Text(e.to_string()))).collect(), "array")
            }
            RawChildren::Object(members) => {
                (members.into_iter().map(|(k, v)| (Some(k), Value::Text(v.to_string()))).collect(), "object")
            }
            RawChildren::Scalar => (Vec::new(), "scalar"),
        },
        other => match jsonb_arg(other)? {
            Jsonb::Array(elements) => (elements.iter().map(|e| (None, jsonb_value(e.clone()))).collect(), "array"),
            Jsonb::Object(members) => {
                (members.iter().map(|(k, v)| (Some(k.clone()), jsonb_value(v.clone()))).collect(), "object")
            }
            _ => (Vec::new(), "scalar"),
        },
    };
    let value_text = |value: Value| -> Result<Value> {
        Ok(match value {
            Value::Text(raw) => json_result(Some(&raw), true)?,
            Value::Jsonb(j) => j.to_text().map_or(Value::Null, Value::Text),
            other => other,
        })
    };
    match (function, kind) {
        (JsonTable::ArrayElements { as_text, .. }, "array") => {
            members.into_iter().map(|(_, v)| Ok(vec![if as_text { value_text(v)? } else { v }])).collect()
        }
        (JsonTable::ArrayElements { json: true, .. }, "object") => {
            Err(invalid(format!("cannot call {name} on a non-array")))
        }
        (JsonTable::ArrayElements { json: true, .. }, _) => Err(invalid(format!("cannot call {name} on a scalar"))),
        (JsonTable::ArrayElements { .. }, "object") => Err(invalid("cannot extract elements from an object")),
        (JsonTable::ArrayElements { .. }, _) => Err(invalid("cannot extract elements from a scalar")),
        (JsonTable::Each { as_text, .. }, "object") => members
            .into_iter()
            .map(|(k, v)| Ok(vec![k.map_or(Value::Null, Value::Text), if as_text { value_text(v)? } else { v }]))
            .collect(),
        (JsonTable::ObjectKeys { .. }, "object") => {
            Ok(members.into_iter().map(|(k, _)| vec![k.map_or(Value::Null, Value::Text)]).collect())
        }
        (JsonTable::Each { json: true, .. }, "array") => Err(invalid("cannot deconstruct an array as an object")),
        (JsonTable::Each { json: true, .. }, _) => Err(invalid("cannot deconstruct a scalar")),
        (JsonTable::Each { .. }, _) => Err(invalid(format!("cannot call {name} on a non-object"))),
        (_, "array") => Err(invalid(format!("cannot call {name} on an array"))),
        _ => Err(invalid(format!("cannot call {name} on a scalar"))),
    }
}
