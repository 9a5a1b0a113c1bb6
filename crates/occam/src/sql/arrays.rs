//! Arrays as values: what the catalogs' array columns, `ARRAY[...]`, `ARRAY(subquery)` and array
//! parameters need. One-dimensional arrays only (`Value::Array`), subscripts from 1 (from 0 for
//! `int2vector` / `oidvector`, as PostgreSQL's `indkey[0]`).
//!
//! Operations: `ARRAY[...]`, `a[i]`, `x op ANY (a)` / `x op ALL (a)`, `||` (array with array or element),
//! `array_to_string`, `array_upper`, `array_lower`, `array_length`, `cardinality`, and the aggregates
//! `array_agg` and `string_agg` (in `sql::functions`). Tables cannot store arrays (as Aurora DSQL); the
//! binder resolves these operations and the executor evaluates them here by id.

use std::cmp::Ordering;

use crate::error::{sqlstate, Error, Result};
use crate::sql::functions::{function_does_not_exist, ResolvedScalar, ScalarFunction};
use crate::sql::scalar::{self, BinaryOp};
use crate::types::{text, DataType, Value};

/// An array operation, resolved by the binder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFunction {
    /// `ARRAY[a, b, ...]`: its arguments are the elements.
    Construct,
    /// `array[index]`.
    Subscript,
    /// `element op ANY (array)`, or `ALL` with `all`.
    AnyAll {
        op: BinaryOp,
        all: bool,
    },
    /// `array || array`, `array || element`, `element || array`.
    Concat,
    /// `array_to_string(array, delimiter[, null_string])`.
    ToString,
    /// `array_upper(array, dimension)` / `array_lower` / `array_length`.
    Upper,
    Lower,
    Length,
    /// `cardinality(array)`: the number of elements.
    Cardinality,
    /// `array_remove(array, element)`: the array without the elements equal to `element` (NULL removes
    /// the NULLs).
    Remove,
    /// `name[i]`: the `"char"` at byte `i` of a `name` (from 0; PostgreSQL's name is a fixed-length char
    /// array), as pg_dump's `typname[0] = '_'`.
    NameSubscript,
    /// `(record).field`: the record's field at this position (records are `Value::Array`s of their fields).
    Field(u8),
}

fn resolved(function: ArrayFunction, arg_types: Vec<DataType>, result_type: DataType) -> Result<ResolvedScalar> {
    Ok(ResolvedScalar { function: ScalarFunction::Array(function), arg_types, result_type })
}

/// The array functions called by name (`array_to_string(...)`, ...); None for any other name.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    let not_found = || function_does_not_exist(name, args);
    let int4 = |t: &DataType| matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown);
    let text = |t: &DataType| t.is_string() || *t == DataType::Unknown;
    Some(match (name, args) {
        ("array_to_string", [array, delimiter, rest @ ..])
            if array.is_array() && text(delimiter) && rest.len() <= 1 =>
        {
            if rest.iter().any(|t| !text(t)) {
                return Some(Err(not_found()));
            }
            let mut types = vec![*array, DataType::Text];
            types.extend(rest.iter().map(|_| DataType::Text));
            resolved(ArrayFunction::ToString, types, DataType::Text)
        }
        ("array_upper" | "array_lower" | "array_length", [array, dimension]) if array.is_array() && int4(dimension) => {
            let function = match name {
                "array_upper" => ArrayFunction::Upper,
                "array_lower" => ArrayFunction::Lower,
                _ => ArrayFunction::Length,
            };
            resolved(function, vec![*array, DataType::Int4], DataType::Int4)
        }
        ("cardinality", [array]) if array.is_array() => {
            resolved(ArrayFunction::Cardinality, vec![*array], DataType::Int4)
        }
        ("array_remove", [array, element]) if array.is_array() => {
            let element_type = array.element().expect("an array");
            if *element != DataType::Unknown && scalar::common_type(&element_type, element) != Some(element_type) {
                return Some(Err(not_found()));
            }
            resolved(ArrayFunction::Remove, vec![*array, element_type], *array)
        }
        ("array_to_string" | "array_upper" | "array_lower" | "array_length" | "cardinality" | "array_remove", _) => {
            Err(not_found())
        }
        _ => return None,
    })
}

/// `ARRAY[...]` of elements of types `element_types`: the elements' common type's array.
pub fn resolve_construct(element_types: &[DataType]) -> Result<ResolvedScalar> {
    let mut common = DataType::Unknown;
    for t in element_types {
        common = scalar::common_type(&common, t).ok_or_else(|| {
            Error::datatype_mismatch(format!("ARRAY types {} and {} cannot be matched", common.name(), t.name()))
        })?;
    }
    if element_types.is_empty() {
        return Err(Error::new(sqlstate::INDETERMINATE_DATATYPE, "cannot determine type of empty array")
            .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."));
    }
    if common == DataType::Unknown {
        common = DataType::Text;
    }
    let array = common.array_of().ok_or_else(|| {
        Error::new(sqlstate::UNDEFINED_OBJECT, format!("could not find array type for data type {}", common.name()))
    })?;
    resolved(ArrayFunction::Construct, vec![common; element_types.len()], array)
}

/// `array[index]`: the element type; 42804 when the value is no array.
pub fn resolve_subscript(array: &DataType, index: &DataType) -> Result<ResolvedScalar> {
    if *array == DataType::Name && matches!(index, DataType::Int2 | DataType::Int4 | DataType::Unknown) {
        return resolved(ArrayFunction::NameSubscript, vec![DataType::Name, DataType::Int4], DataType::InternalChar);
    }
    let element = array.element().ok_or_else(|| {
        Error::datatype_mismatch(format!(
            "cannot subscript type {} because it does not support subscripting",
            array.name()
        ))
    })?;
    if !matches!(index, DataType::Int2 | DataType::Int4 | DataType::Unknown) {
        return Err(Error::datatype_mismatch("array subscript must have type integer"));
    }
    resolved(ArrayFunction::Subscript, vec![*array, DataType::Int4], element)
}

/// `left op ANY/ALL (array)`: the element comparison's operand types (the left side's and the array's
/// elements'), or 42809 when the right side is no array.
pub fn resolve_any_all(op: BinaryOp, all: bool, left: &DataType, array: &DataType) -> Result<ResolvedScalar> {
    let element = array.element().ok_or_else(|| {
        Error::new("42809", format!("op ANY/ALL (array) requires array on right side (got {})", array.name()))
    })?;
    let sig = scalar::binary_signature(op, left, &element)?;
    if sig.result != DataType::Bool {
        return Err(Error::datatype_mismatch("op ANY/ALL (array) requires operator to yield boolean"));
    }
    let array_type = sig.right.array_of().unwrap_or(*array);
    resolved(ArrayFunction::AnyAll { op, all }, vec![sig.left, array_type], DataType::Bool)
}

/// `a || b` where one side is an array: array || array (elements unified), array || element or
/// element || array. None when neither side is an array.
pub fn resolve_concat(left: &DataType, right: &DataType) -> Option<Result<ResolvedScalar>> {
    let (l, r) = (left.element(), right.element());
    if l.is_none() && r.is_none() {
        return None;
    }
    let element = match (l, r) {
        (Some(a), Some(b)) => scalar::common_type(&a, &b),
        (Some(a), None) => scalar::common_type(&a, right),
        (None, Some(b)) => scalar::common_type(left, &b),
        (None, None) => None,
    };
    let Some(array) = element.and_then(|e| e.array_of()) else {
        return Some(Err(scalar::operator_does_not_exist(BinaryOp::Concat, left, right)));
    };
    let element = array.element().unwrap_or(DataType::Text);
    let side = |t: &DataType| if t.is_array() || *t == DataType::Unknown { array } else { element };
    Some(resolved(ArrayFunction::Concat, vec![side(left), side(right)], array))
}

fn elements(value: &Value) -> Result<&[Value]> {
    match value {
        Value::Array(elements) => Ok(elements),
        other => Err(Error::internal(format!("expected an array, got {other:?}"))),
    }
}

/// Evaluates an array operation on arguments already coerced to `resolved.arg_types`.
pub fn invoke(function: ArrayFunction, resolved: &ResolvedScalar, args: &[Value]) -> Result<Value> {
    match function {
        ArrayFunction::Construct => return Ok(Value::Array(args.to_vec())),
        ArrayFunction::Concat => {
            return Ok(match (&args[0], &args[1]) {
                (Value::Null, Value::Null) => Value::Null,
                (Value::Array(a), Value::Array(b)) => Value::Array([a.as_slice(), b.as_slice()].concat()),
                (Value::Null, other @ Value::Array(_)) | (other @ Value::Array(_), Value::Null)
                    if resolved.arg_types[0].is_array() && resolved.arg_types[1].is_array() =>
                {
                    other.clone()
                }
                (Value::Array(a), element) => {
                    let mut out = a.clone();
                    out.push(element.clone());
                    Value::Array(out)
                }
                (element, Value::Array(b)) => {
                    let mut out = vec![element.clone()];
                    out.extend(b.iter().cloned());
                    Value::Array(out)
                }
                (Value::Null, element) | (element, Value::Null) => Value::Array(vec![element.clone()]),
                _ => return Err(Error::internal("|| on two non-arrays")),
            })
        }
        ArrayFunction::ToString if !args[0].is_null() && !args[1].is_null() => {
            let element_type = resolved.arg_types[0].element().unwrap_or(DataType::Text);
            let Value::Text(delimiter) = &args[1] else { return Err(Error::internal("array_to_string delimiter")) };
            let null_text = match args.get(2) {
                Some(Value::Text(s)) => Some(s.as_str()),
                _ => None,
            };
            let parts: Vec<String> = elements(&args[0])?
                .iter()
                .filter_map(|e| match e {
                    Value::Null => null_text.map(str::to_string),
                    Value::Text(s) if !matches!(element_type, DataType::Char(_)) => Some(s.clone()),
                    other => Some(text::format(other, &element_type)),
                })
                .collect();
            return Ok(Value::Text(parts.join(delimiter)));
        }
        ArrayFunction::AnyAll { op, all } => return any_all(op, all, &args[0], &args[1], resolved),
        ArrayFunction::Remove => {
            if args[0].is_null() {
                return Ok(Value::Null);
            }
            let removed = |e: &Value| match (e, &args[1]) {
                (Value::Null, Value::Null) => true,
                (Value::Null, _) | (_, Value::Null) => false,
                (e, target) => scalar::compare(e, target) == Some(Ordering::Equal),
            };
            return Ok(Value::Array(elements(&args[0])?.iter().filter(|e| !removed(e)).cloned().collect()));
        }
        ArrayFunction::Field(index) => {
            return Ok(match &args[0] {
                Value::Array(fields) => fields.get(index as usize).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            });
        }
        ArrayFunction::NameSubscript => {
            let (Value::Text(name), Value::Int(index)) = (&args[0], &args[1]) else { return Ok(Value::Null) };
            let byte = usize::try_from(*index).ok().and_then(|i| name.as_bytes().get(i).copied());
            return Ok(byte.map_or(Value::Null, |b| Value::Text(char::from(b).to_string())));
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let vector = matches!(resolved.arg_types[0], DataType::Int2Vector | DataType::OidVector);
    let lower_bound: i64 = if vector { 0 } else { 1 };
    let elements = elements(&args[0])?;
    let dimension = || match &args[1] {
        Value::Int(d) => *d,
        _ => 0,
    };
    let count = elements.len() as i64;
    Ok(match function {
        ArrayFunction::Subscript => {
            let Value::Int(index) = args[1] else { return Err(Error::internal("array subscript")) };
            usize::try_from(index - lower_bound).ok().and_then(|i| elements.get(i)).cloned().unwrap_or(Value::Null)
        }
        ArrayFunction::Cardinality => Value::Int(count),
        // One dimension: anything else, and an empty array, has no bounds (NULL).
        _ if dimension() != 1 || count == 0 => Value::Null,
        ArrayFunction::Upper => Value::Int(lower_bound + count - 1),
        ArrayFunction::Lower => Value::Int(lower_bound),
        ArrayFunction::Length => Value::Int(count),
        ArrayFunction::Construct
        | ArrayFunction::Concat
        | ArrayFunction::ToString
        | ArrayFunction::AnyAll { .. }
        | ArrayFunction::Remove
        | ArrayFunction::NameSubscript
        | ArrayFunction::Field(_) => Value::Null,
    })
}

/// `left op ANY (array)` in SQL's three-valued logic: TRUE if some comparison is true, else NULL if some
/// was unknown, else FALSE (ALL: FALSE if some is false, else NULL if some unknown, else TRUE); an empty
/// array gives FALSE for ANY and TRUE for ALL, even for a NULL left side.
fn any_all(op: BinaryOp, all: bool, left: &Value, array: &Value, resolved: &ResolvedScalar) -> Result<Value> {
    let Value::Array(elements) = array else { return Ok(Value::Null) };
    if elements.is_empty() {
        return Ok(Value::Bool(all));
    }
    if left.is_null() {
        return Ok(Value::Null);
    }
    let element_type = resolved.arg_types[1].element().unwrap_or(DataType::Text);
    let sig = scalar::BinarySignature { left: resolved.arg_types[0], right: element_type, result: DataType::Bool };
    let mut unknown = false;
    for element in elements {
        match scalar::eval_binary(op, left, element, &sig)? {
            Value::Bool(b) if b != all => return Ok(Value::Bool(b)),
            Value::Bool(_) => {}
            _ => unknown = true,
        }
    }
    Ok(if unknown { Value::Null } else { Value::Bool(all) })
}

/// Compares two arrays element by element, then by length (PostgreSQL's btree order for arrays, NULL
/// elements after the others); None if two elements do not compare.
pub fn compare(a: &[Value], b: &[Value]) -> Option<Ordering> {
    for (x, y) in a.iter().zip(b) {
        let ordering = match (x, y) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Null, _) => Ordering::Greater,
            (_, Value::Null) => Ordering::Less,
            _ => scalar::compare(x, y)?,
        };
        if ordering != Ordering::Equal {
            return Some(ordering);
        }
    }
    Some(a.len().cmp(&b.len()))
}

/// Casts every element of an array from `from`'s element type to `to`'s (`int2vector` to `int2[]` and the
/// like included).
pub fn cast_elements(elements: Vec<Value>, from: &DataType, to: &DataType) -> Result<Value> {
    let from_element = from.element().unwrap_or(DataType::Text);
    let to_element = to.element().unwrap_or(DataType::Text);
    if from_element == to_element {
        return Ok(Value::Array(elements));
    }
    elements
        .into_iter()
        .map(|e| scalar::cast(e, &from_element, &to_element))
        .collect::<Result<Vec<Value>>>()
        .map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ArrayElement;

    fn ints(values: &[i64]) -> Value {
        Value::Array(values.iter().map(|v| Value::Int(*v)).collect())
    }

    #[test]
    fn subscripts_and_bounds() {
        let array = DataType::Array(ArrayElement::INT4);
        let sub = resolve_subscript(&array, &DataType::Int4).unwrap();
        assert_eq!(invoke(ArrayFunction::Subscript, &sub, &[ints(&[5, 6]), Value::Int(1)]).unwrap(), Value::Int(5));
        assert_eq!(invoke(ArrayFunction::Subscript, &sub, &[ints(&[5, 6]), Value::Int(3)]).unwrap(), Value::Null);
        let vector = resolve_subscript(&DataType::Int2Vector, &DataType::Int4).unwrap();
        assert_eq!(invoke(ArrayFunction::Subscript, &vector, &[ints(&[5, 6]), Value::Int(0)]).unwrap(), Value::Int(5));
        let upper = resolve("array_upper", &[array, DataType::Int4]).unwrap().unwrap();
        assert_eq!(invoke(ArrayFunction::Upper, &upper, &[ints(&[1, 2, 3]), Value::Int(1)]).unwrap(), Value::Int(3));
        assert_eq!(invoke(ArrayFunction::Upper, &upper, &[ints(&[]), Value::Int(1)]).unwrap(), Value::Null);
    }

    #[test]
    fn any_all_three_valued() {
        let array = DataType::Array(ArrayElement::INT4);
        let any = resolve_any_all(BinaryOp::Eq, false, &DataType::Int4, &array).unwrap();
        let run = |left: Value, right: Value| {
            invoke(ArrayFunction::AnyAll { op: BinaryOp::Eq, all: false }, &any, &[left, right]).unwrap()
        };
        assert_eq!(run(Value::Int(2), ints(&[1, 2])), Value::Bool(true));
        assert_eq!(run(Value::Int(3), ints(&[1, 2])), Value::Bool(false));
        assert_eq!(run(Value::Int(3), Value::Array(vec![Value::Int(1), Value::Null])), Value::Null);
        assert_eq!(run(Value::Null, ints(&[])), Value::Bool(false));
        let to_string = resolve("array_to_string", &[array, DataType::Unknown]).unwrap().unwrap();
        assert_eq!(
            invoke(
                ArrayFunction::ToString,
                &to_string,
                &[Value::Array(vec![Value::Int(1), Value::Null, Value::Int(3)]), Value::Text(",".into())]
            )
            .unwrap(),
            Value::Text("1,3".into())
        );
    }
}
