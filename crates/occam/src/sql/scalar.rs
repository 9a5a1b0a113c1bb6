//! Scalar semantics shared by the planner and the executor: casts, arithmetic with overflow checks,
//! comparisons across numeric types, and the result-type rules that go with them.
//!
//! Operator resolution follows PostgreSQL: [`binary_signature`] picks the operand types both sides are
//! coerced to and the result type (int4 + int4 -> int4, int4 + int8 -> int8, int + numeric -> numeric,
//! anything + float8 -> float8, `unknown` (untyped literal or parameter) takes the other side's type);
//! the planner wraps operands in casts to those types, so [`eval_binary`] sees operands of one type.
//!
//! The numeric ladder PostgreSQL's implicit casts form is `int2 < int4 < int8 < numeric < float4 < float8`;
//! arithmetic mixing an integer or numeric with float4 goes to float8 (PostgreSQL's preferred type), while
//! type unification ([`common_type`]) simply takes the higher rung, as PostgreSQL's select_common_type does.
//! Text comparisons use the C collation (byte order), as Aurora DSQL does.

use std::cmp::Ordering;

use crate::types::numeric::{self, Numeric};
use chrono::Duration;

use crate::error::{sqlstate, Error, Result};
use crate::types::zone::session_zone;
use crate::types::{binary, float_cmp, text, ArrayElement, DataType, Value};

/// A binary operator on scalar values (AND/OR are three-valued logic in the executor, not here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Concat,
    Like,
    ILike,
    /// `^`: exponentiation (float8 ^ float8 or numeric ^ numeric).
    Pow,
    /// The integer bitwise operators `&`, `|`, `#` (xor), `<<`, `>>` (int2, int4, int8).
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
}

impl BinaryOp {
    /// A comparison `a op b` written as `b op' a` (other operators unchanged).
    pub fn commuted(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => other,
        }
    }

    /// Whether comparison `a op b` holds for operands with `a.cmp(b) == ordering` (false for an operator
    /// that is no comparison).
    pub fn holds(self, ordering: Ordering) -> bool {
        match self {
            BinaryOp::Eq => ordering == Ordering::Equal,
            BinaryOp::NotEq => ordering != Ordering::Equal,
            BinaryOp::Lt => ordering == Ordering::Less,
            BinaryOp::LtEq => ordering != Ordering::Greater,
            BinaryOp::Gt => ordering == Ordering::Greater,
            BinaryOp::GtEq => ordering != Ordering::Less,
            _ => false,
        }
    }

    /// The operator as PostgreSQL names it in error messages (`+`, `<>`, `~~` for LIKE).
    pub fn symbol(&self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Concat => "||",
            BinaryOp::Like => "~~",
            BinaryOp::ILike => "~~*",
            BinaryOp::Pow => "^",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "#",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
        }
    }

    pub fn is_comparison(&self) -> bool {
        matches!(self, BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq)
    }

    pub fn is_arithmetic(&self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
    }
}

/// The resolved operand and result types of a binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinarySignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

/// 42883 `operator does not exist: integer + boolean`, with PostgreSQL's hint.
pub fn operator_does_not_exist(op: BinaryOp, left: &DataType, right: &DataType) -> Error {
    Error::new(
        sqlstate::UNDEFINED_FUNCTION,
        format!("operator does not exist: {} {} {}", left.name(), op.symbol(), right.name()),
    )
    .with_hint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

/// The type without its modifier (varchar(5) -> varchar, numeric(10,2) -> numeric): what an operator's
/// operand is coerced to. char(n) compares and concatenates as text (trailing blanks insignificant).
fn base_type(t: &DataType) -> DataType {
    match t {
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Varchar(_) | DataType::Char(_) | DataType::Name | DataType::InternalChar => DataType::Text,
        other => *other,
    }
}

/// The operand type of a comparison between two oid-like or integer types (`oid = 0`, `attrelid =
/// 'orders'::regclass`): oid, unless an int8 asks for int8 (PostgreSQL casts oid to int8 implicitly).
fn oid_operand_type(l: &DataType, r: &DataType) -> Option<DataType> {
    let oid_or_integer = |t: &DataType| t.is_oid() || t.is_integer();
    if !(l.is_oid() || r.is_oid()) || !oid_or_integer(l) || !oid_or_integer(r) {
        return None;
    }
    match (l, r) {
        (DataType::Reg(a), DataType::Reg(b)) if a == b => Some(*l),
        (DataType::Int8, _) | (_, DataType::Int8) => Some(DataType::Int8),
        _ => Some(DataType::Oid),
    }
}

/// Position on PostgreSQL's numeric implicit-cast ladder.
fn numeric_rank(t: &DataType) -> Option<u8> {
    match t {
        DataType::Int2 => Some(0),
        DataType::Int4 => Some(1),
        DataType::Int8 => Some(2),
        DataType::Numeric(_) => Some(3),
        DataType::Float4 => Some(4),
        DataType::Float8 => Some(5),
        _ => None,
    }
}

fn datetime_rank(t: &DataType) -> Option<u8> {
    match t {
        DataType::Date => Some(0),
        DataType::Timestamp => Some(1),
        DataType::Timestamptz => Some(2),
        _ => None,
    }
}

/// The operand type of arithmetic/comparison on two numeric-family types.
fn numeric_operand_type(left: &DataType, right: &DataType) -> DataType {
    let (l, r) = (base_type(left), base_type(right));
    match (l, r) {
        (DataType::Float4, DataType::Float4) => DataType::Float4,
        _ if matches!(l, DataType::Float4 | DataType::Float8) || matches!(r, DataType::Float4 | DataType::Float8) => {
            DataType::Float8
        }
        _ => {
            if numeric_rank(&l) >= numeric_rank(&r) {
                l
            } else {
                r
            }
        }
    }
}

/// Resolves `left op right` (42883 `operator does not exist: integer + boolean` when there is none).
pub fn binary_signature(op: BinaryOp, left: &DataType, right: &DataType) -> Result<BinarySignature> {
    let not_found = || operator_does_not_exist(op, left, right);
    let sig = |l: DataType, r: DataType, result: DataType| Ok(BinarySignature { left: l, right: r, result });
    let (l, r) = (base_type(left), base_type(right));
    let unknown = DataType::Unknown;
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            if l == unknown && r == unknown {
                return Err(Error::new("42725", format!("operator is not unique: unknown {} unknown", op.symbol()))
                    .with_hint(
                        "Could not choose a best candidate operator. You might need to add explicit type casts.",
                    ));
            }
            if let Some(sig) = crate::sql::datetime::arithmetic_signature(op, &l, &r) {
                return Ok(sig);
            }
            // Date arithmetic: date +/- integer -> date, integer + date -> date, date - date -> integer.
            let int_like = |t: &DataType| matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown);
            match (l, r, op) {
                (DataType::Date, DataType::Date, BinaryOp::Sub) => {
                    return sig(DataType::Date, DataType::Date, DataType::Int4)
                }
                (DataType::Date, other, BinaryOp::Add | BinaryOp::Sub) if int_like(&other) => {
                    return sig(DataType::Date, DataType::Int4, DataType::Date)
                }
                (other, DataType::Date, BinaryOp::Add) if int_like(&other) => {
                    return sig(DataType::Int4, DataType::Date, DataType::Date)
                }
                (DataType::Date, DataType::Unknown, _) | (DataType::Unknown, DataType::Date, _) => {
                    return Err(not_found())
                }
                _ => {}
            }
            let l = if l == unknown { r } else { l };
            let r = if r == unknown { l } else { r };
            if numeric_rank(&l).is_none() || numeric_rank(&r).is_none() {
                return Err(not_found());
            }
            let operand = numeric_operand_type(&l, &r);
            if op == BinaryOp::Mod && matches!(operand, DataType::Float4 | DataType::Float8) {
                return Err(not_found());
            }
            sig(operand, operand, operand)
        }
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
            let operand = comparison_operand_type(&l, &r).ok_or_else(not_found)?;
            sig(operand, operand, DataType::Bool)
        }
        BinaryOp::Concat => {
            if l == DataType::Bytea && matches!(r, DataType::Bytea | DataType::Unknown)
                || r == DataType::Bytea && l == unknown
            {
                return sig(DataType::Bytea, DataType::Bytea, DataType::Bytea);
            }
            let stringish = |t: &DataType| t.is_string() || *t == DataType::Unknown;
            // text || anynonarray and anynonarray || text: the non-text side goes through its text cast.
            if stringish(&l) || stringish(&r) {
                return sig(DataType::Text, DataType::Text, DataType::Text);
            }
            Err(not_found())
        }
        BinaryOp::Like | BinaryOp::ILike => {
            let stringish = |t: &DataType| t.is_string() || *t == DataType::Unknown;
            if stringish(&l) && stringish(&r) {
                sig(DataType::Text, DataType::Text, DataType::Bool)
            } else {
                Err(not_found())
            }
        }
        BinaryOp::Pow => {
            let operand = power_operand_type(&l, &r).ok_or_else(not_found)?;
            sig(operand, operand, operand)
        }
        // PostgreSQL has them for each integer type (a narrower side widens, an untyped literal takes the
        // other side's type); a shift's count is always int4.
        BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor => {
            let l = if l == unknown { r } else { l };
            let r = if r == unknown { l } else { r };
            if !l.is_integer() || !r.is_integer() {
                return Err(not_found());
            }
            let operand = numeric_operand_type(&l, &r);
            sig(operand, operand, operand)
        }
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            let l = if l == unknown { DataType::Int4 } else { l };
            if !l.is_integer() || !(r.is_integer() || r == unknown) {
                return Err(not_found());
            }
            sig(l, DataType::Int4, l)
        }
    }
}

/// The overload of `^` / `power(a, b)` PostgreSQL picks: only float8 and numeric versions exist, so a float
/// operand forces float8, otherwise a numeric one forces numeric, and integers or untyped literals alone
/// go to float8 (the preferred numeric type): `2 ^ 10` is double precision, `2.0 ^ 3` numeric.
pub fn power_operand_type(left: &DataType, right: &DataType) -> Option<DataType> {
    let (l, r) = (base_type(left), base_type(right));
    let numeric_or_unknown = |t: &DataType| numeric_rank(t).is_some() || *t == DataType::Unknown;
    if !numeric_or_unknown(&l) || !numeric_or_unknown(&r) {
        return None;
    }
    let is_float = |t: &DataType| matches!(t, DataType::Float4 | DataType::Float8);
    let is_numeric = |t: &DataType| matches!(t, DataType::Numeric(_));
    if is_float(&l) || is_float(&r) {
        Some(DataType::Float8)
    } else if is_numeric(&l) || is_numeric(&r) {
        Some(DataType::Numeric(None))
    } else {
        Some(DataType::Float8)
    }
}

/// The type both sides of a comparison are coerced to, if the comparison exists.
fn comparison_operand_type(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        // json has no comparison operators (jsonb has).
        (DataType::Json, _) | (_, DataType::Json) => None,
        (DataType::Unknown, DataType::Unknown) => Some(DataType::Text),
        (DataType::Unknown, other) | (other, DataType::Unknown) => Some(*other),
        _ if l.is_oid() || r.is_oid() => oid_operand_type(l, r),
        (DataType::Array(a), DataType::Array(b)) => {
            common_type(&a.data_type(), &b.data_type()).and_then(|e| e.array_of())
        }
        _ if numeric_rank(l).is_some() && numeric_rank(r).is_some() => Some(numeric_operand_type(l, r)),
        _ if l.is_string() && r.is_string() => Some(DataType::Text),
        _ if datetime_rank(l).is_some() && datetime_rank(r).is_some() => {
            Some(if datetime_rank(l) >= datetime_rank(r) { *l } else { *r })
        }
        _ if l == r => Some(*l),
        _ => None,
    }
}

fn integer_overflow(data_type: &DataType) -> Error {
    Error::out_of_range(match data_type {
        DataType::Int2 => "smallint out of range",
        DataType::Int4 => "integer out of range",
        _ => "bigint out of range",
    })
}

/// `gcd(a, b)` or (`lcm`) `lcm(a, b)` as PostgreSQL computes them: never negative; gcd(0, 0) and
/// lcm(x, 0) are 0; a result the type cannot hold (gcd(-2147483648, 0), an lcm past the range) is 22003.
/// Numerics work at the larger of the two scales (gcd(1.5, 2.25) is 0.75).
pub fn gcd_or_lcm(lcm: bool, a: &Value, b: &Value, data_type: &DataType) -> Result<Value> {
    match (a, b) {
        (Value::Numeric(a), Value::Numeric(b)) => {
            let scale = a.scale().max(b.scale()) as i64;
            let (mut x, mut y) = (a.abs(), b.abs());
            while !y.is_zero() {
                let remainder = x.rem(&y)?;
                x = y;
                y = remainder;
            }
            let gcd = x;
            let result = if !lcm {
                gcd
            } else if a.is_zero() || b.is_zero() {
                Numeric::from_i64(0)
            } else {
                a.abs().div_trunc(&gcd, 0)?.mul(&b.abs())?
            };
            Ok(Value::Numeric(result.round(scale)))
        }
        (Value::Int(a), Value::Int(b)) => {
            let (mut x, mut y) = (a.unsigned_abs(), b.unsigned_abs());
            while y != 0 {
                (x, y) = (y, x % y);
            }
            let value = if !lcm {
                i64::try_from(x).ok()
            } else if *a == 0 || *b == 0 {
                Some(0)
            } else {
                (a.unsigned_abs() / x).checked_mul(b.unsigned_abs()).and_then(|v| i64::try_from(v).ok())
            };
            check_integer(value, data_type)
        }
        _ => Err(Error::internal(format!("gcd/lcm of {a:?} and {b:?}"))),
    }
}

fn check_integer(value: Option<i64>, data_type: &DataType) -> Result<Value> {
    let (min, max) = text::integer_range(data_type);
    match value {
        Some(v) if v >= min && v <= max => Ok(Value::Int(v)),
        _ => Err(integer_overflow(data_type)),
    }
}

fn float_overflow() -> Error {
    Error::out_of_range("value out of range: overflow")
}

fn float_underflow() -> Error {
    Error::out_of_range("value out of range: underflow")
}

/// PostgreSQL's check_float8_val: an infinite result from finite inputs is overflow, a zero result from
/// non-zero inputs is underflow.
fn check_float(result: f64, inf_is_valid: bool, zero_is_valid: bool) -> Result<f64> {
    if result.is_infinite() && !inf_is_valid {
        return Err(float_overflow());
    }
    if result == 0.0 && !zero_is_valid {
        return Err(float_underflow());
    }
    Ok(result)
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Numeric(d) => Some(d.to_f64()),
        _ => None,
    }
}

fn as_numeric(value: &Value) -> Option<Numeric> {
    match value {
        Value::Numeric(d) => Some(d.clone()),
        Value::Int(i) => Some(Numeric::from_i64(*i)),
        _ => None,
    }
}

fn float_arith(op: BinaryOp, a: f64, b: f64, single: bool) -> Result<Value> {
    let round = |x: f64| if single { x as f32 as f64 } else { x };
    let (a, b) = (round(a), round(b));
    let inf_in = a.is_infinite() || b.is_infinite();
    let result = match op {
        BinaryOp::Add => check_float(round(a + b), inf_in, true)?,
        BinaryOp::Sub => check_float(round(a - b), inf_in, true)?,
        BinaryOp::Mul => check_float(round(a * b), inf_in, a == 0.0 || b == 0.0)?,
        BinaryOp::Div => {
            if b == 0.0 && !a.is_nan() {
                return Err(Error::division_by_zero());
            }
            check_float(round(a / b), inf_in, a == 0.0 || b.is_infinite())?
        }
        _ => return Err(Error::internal(format!("float operator {}", op.symbol()))),
    };
    Ok(Value::Float(result))
}

/// `a op b` for PostgreSQL's int2/int4/int8 bitwise operators: no overflow error, a shift works in the
/// result type's width (bits shifted out are lost, as C's shifts in int2shl/int4shl/int8shl).
fn int_bitwise(op: BinaryOp, a: i64, b: i64, result_type: &DataType) -> i64 {
    let bits = match result_type {
        DataType::Int2 => 16,
        DataType::Int4 => 32,
        _ => 64,
    };
    let shift = (b & (bits - 1)) as u32;
    let wide = match op {
        BinaryOp::BitAnd => a & b,
        BinaryOp::BitOr => a | b,
        BinaryOp::BitXor => a ^ b,
        BinaryOp::ShiftLeft => a.wrapping_shl(shift),
        _ => a >> shift,
    };
    // Back into the result type's range (a left shift may carry bits past it).
    match result_type {
        DataType::Int2 => wide as i16 as i64,
        DataType::Int4 => wide as i32 as i64,
        _ => wide,
    }
}

fn int_arith(op: BinaryOp, a: i64, b: i64, result_type: &DataType) -> Result<Value> {
    let result = match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div => {
            if b == 0 {
                return Err(Error::division_by_zero());
            }
            a.checked_div(b)
        }
        BinaryOp::Mod => {
            if b == 0 {
                return Err(Error::division_by_zero());
            }
            // x % -1 is 0 for every x (and must not trap on MIN % -1).
            if b == -1 {
                Some(0)
            } else {
                a.checked_rem(b)
            }
        }
        _ => return Err(Error::internal(format!("integer operator {}", op.symbol()))),
    };
    check_integer(result, result_type)
}

/// numeric division with PostgreSQL's result scale (select_div_scale): at least 16 significant digits and
/// no fewer fraction digits than either input (at most 1000), rounded half away from zero.
pub fn numeric_div(a: &Numeric, b: &Numeric) -> Result<Numeric> {
    if b.is_zero() {
        return Err(Error::division_by_zero());
    }
    a.div_round(b, div_scale(a, b) as i64)
}

/// PostgreSQL's select_div_scale, on base-10000 digits.
fn div_scale(a: &Numeric, b: &Numeric) -> i32 {
    let first = |d: &Numeric| {
        let digits = binary::numeric_digits(d);
        match digits.digits.first() {
            Some(first) => (digits.weight as i32, *first),
            None => (0, 0),
        }
    };
    let (weight1, first1) = first(a);
    let (weight2, first2) = first(b);
    let mut qweight = weight1 - weight2;
    if first1 <= first2 {
        qweight -= 1;
    }
    (NUMERIC_MIN_SIG_DIGITS - qweight * 4)
        .max(a.scale() as i32)
        .max(b.scale() as i32)
        .clamp(0, NUMERIC_MAX_DISPLAY_SCALE)
}

fn numeric_arith(op: BinaryOp, a: Numeric, b: Numeric) -> Result<Value> {
    // PostgreSQL's result scales: the larger input scale for + - %, their sum for * (exact).
    let result = match op {
        BinaryOp::Add => a.add(&b)?,
        BinaryOp::Sub => a.sub(&b)?,
        BinaryOp::Mul => a.mul(&b)?,
        BinaryOp::Div => numeric_div(&a, &b)?,
        BinaryOp::Mod => a.rem(&b)?,
        _ => return Err(Error::internal(format!("numeric operator {}", op.symbol()))),
    };
    Ok(Value::Numeric(result))
}

// ---------------------------------------------------------------------------------------------------
// Exponentiation, roots and logarithms (`^`, power, sqrt, cbrt, exp, ln, log). The float8 versions follow
// PostgreSQL's float.c (errors and overflow/underflow checks); the numeric versions follow numeric.c's
// choice of result scale (at least 16 significant digits, never fewer fraction digits than the inputs, at
// most 1000) and its power_var / power_var_int steps; `types::numeric` computes each to that scale.
// ---------------------------------------------------------------------------------------------------

/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS: transcendental numeric results carry at least this many digits.
const NUMERIC_MIN_SIG_DIGITS: i32 = 16;
/// PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE: the most fraction digits a computed result is given.
const NUMERIC_MAX_DISPLAY_SCALE: i32 = 1000;
/// PostgreSQL's NUMERIC_MAX_RESULT_SCALE, used to bound intermediate weight estimates.
const NUMERIC_MAX_RESULT_SCALE: f64 = 2000.0;
/// log10(e), as numeric.c spells it: PostgreSQL's truncated value, kept so digit estimates match.
#[allow(clippy::approx_constant)]
const LOG10_E: f64 = 0.434294481903252;

fn invalid_power_argument(message: &str) -> Error {
    Error::new("2201F", message)
}

fn invalid_log_argument(message: &str) -> Error {
    Error::new("2201E", message)
}

fn numeric_value_overflow() -> Error {
    numeric::overflow()
}

/// A result scale clamped to PostgreSQL's display bounds (0 ..= 1000).
fn display_scale(rscale: i32) -> u32 {
    rscale.clamp(0, NUMERIC_MAX_DISPLAY_SCALE) as u32
}

/// The base-10000 weight of a numeric (0 for zero), as numeric.c's `var->weight`.
fn nbase_weight(value: &Numeric) -> i32 {
    binary::numeric_digits(value).weight as i32
}

/// numeric.c's estimate_ln_dweight: the decimal weight of ln(value), estimated from its leading digits.
fn estimate_ln_dweight(value: &Numeric) -> i32 {
    if value.is_negative() {
        return 0;
    }
    if *value >= Numeric::from_i128(9, 1) && *value <= Numeric::from_i128(11, 1) {
        // ln(1 + x) ~= x near 1: use the weight of x's most significant decimal digit.
        let x = binary::numeric_digits(&value.add(&Numeric::from_i64(-1)).unwrap_or(Numeric::ZERO));
        return match x.digits.first() {
            Some(first) => x.weight as i32 * 4 + (*first as f64).log10() as i32,
            None => 0,
        };
    }
    let var = binary::numeric_digits(value);
    match var.digits.first() {
        Some(first) => {
            let mut digits = *first as f64;
            let mut dweight = var.weight as i32 * 4;
            if let Some(second) = var.digits.get(1) {
                digits = digits * 10000.0 + *second as f64;
                dweight -= 4;
            }
            let ln_var = digits.ln() + dweight as f64 * std::f64::consts::LN_10;
            ln_var.abs().log10() as i32
        }
        None => 0,
    }
}

/// numeric.c's numericvar_to_double_no_overflow.
fn to_double(value: &Numeric) -> f64 {
    value.to_f64()
}

/// numeric.c's exp_var: e^x at `rscale`, 22003 when the result cannot be held, zero when it underflows.
fn exp_at_scale(x: &Numeric, rscale: u32) -> Result<Numeric> {
    let val = to_double(x);
    if val.abs() >= NUMERIC_MAX_RESULT_SCALE * 3.0 {
        if val > 0.0 {
            return Err(numeric_value_overflow());
        }
        return Ok(Numeric::ZERO.round(rscale as i64));
    }
    x.exp(rscale).check_range()
}

/// numeric.c's power_var_int: base^exp for an int32 exponent by repeated squaring, each product rounded
/// to the digits the result needs (PostgreSQL's steps, so results agree digit for digit).
fn power_int(base: &Numeric, exp: i64, rscale: u32) -> Result<Numeric> {
    let one = Numeric::from_i64(1);
    match exp {
        0 => return Ok(one.round(rscale as i64)),
        1 => return Ok(base.round(rscale as i64)),
        -1 => return one.div_round(base, rscale as i64),
        2 => return Ok(base.mul(base)?.round(rscale as i64)),
        _ => {}
    }
    if base.is_zero() {
        if exp < 0 {
            return Err(Error::division_by_zero());
        }
        return Ok(Numeric::ZERO.round(rscale as i64));
    }
    // base ~= f * 10^p from its leading base-10000 digits.
    let digits = binary::numeric_digits(base);
    let mut f = digits.digits[0] as f64;
    let mut p = digits.weight as i32 * 4;
    for (i, digit) in digits.digits.iter().enumerate().skip(1) {
        if i * 4 >= 16 {
            break;
        }
        f = f * 10000.0 + *digit as f64;
        p -= 4;
    }
    let f = exp as f64 * (f.log10() + p as f64);
    if f > 3.0 * i16::MAX as f64 * 4.0 {
        return Err(numeric_value_overflow());
    }
    if f + 1.0 < -(rscale as f64) || f + 1.0 < -(NUMERIC_MAX_DISPLAY_SCALE as f64) {
        return Ok(Numeric::ZERO.round(rscale as i64));
    }
    let sig_digits = 1 + rscale as i32 + f as i32 + (exp.unsigned_abs() as f64).ln() as i32 + 8;
    let negative_exp = exp < 0;
    let mut mask = exp.unsigned_abs();
    let mut base_prod = base.clone();
    let mut result = if mask & 1 == 1 { base.clone() } else { one.clone() };
    loop {
        mask >>= 1;
        if mask == 0 {
            break;
        }
        let local = (sig_digits - 2 * nbase_weight(&base_prod) * 4).min(2 * base_prod.scale() as i32).max(0);
        base_prod = base_prod.mul(&base_prod).map_err(|_| numeric_value_overflow())?.round(local as i64);
        if mask & 1 == 1 {
            let local = (sig_digits - (nbase_weight(&base_prod) + nbase_weight(&result)) * 4)
                .min((base_prod.scale() + result.scale()) as i32)
                .max(0);
            result = base_prod.mul(&result).map_err(|_| numeric_value_overflow())?.round(local as i64);
        }
        if nbase_weight(&base_prod) > i16::MAX as i32 || nbase_weight(&result) > i16::MAX as i32 {
            if !negative_exp {
                return Err(numeric_value_overflow());
            }
            return Ok(Numeric::ZERO.round(rscale as i64));
        }
    }
    if negative_exp {
        one.div_round(&result, rscale as i64)
    } else {
        Ok(result.round(rscale as i64))
    }
}
/// float8 `^` / power(), as PostgreSQL's dpow: NaN rules from POSIX, 2201F for 0 ^ negative and for a
/// negative base with a fractional exponent, 22003 on overflow/underflow.
pub fn float_power(base: f64, exponent: f64) -> Result<f64> {
    if base.is_nan() {
        return Ok(if exponent.is_nan() || exponent != 0.0 { f64::NAN } else { 1.0 });
    }
    if exponent.is_nan() {
        return Ok(if base != 1.0 { f64::NAN } else { 1.0 });
    }
    if base == 0.0 && exponent < 0.0 {
        return Err(invalid_power_argument("zero raised to a negative power is undefined"));
    }
    if base < 0.0 && exponent.floor() != exponent {
        return Err(invalid_power_argument("a negative number raised to a non-integer power yields a complex result"));
    }
    let result = base.powf(exponent);
    if base.is_infinite() || exponent.is_infinite() {
        return Ok(result);
    }
    if result.is_infinite() {
        return Err(float_overflow());
    }
    if result == 0.0 && base != 0.0 {
        return Err(float_underflow());
    }
    Ok(result)
}

/// numeric `^` / power(), as PostgreSQL's numeric_power/power_var.
pub fn numeric_power(base: Numeric, exponent: Numeric) -> Result<Numeric> {
    if base.is_zero() && exponent.is_negative() {
        return Err(invalid_power_argument("zero raised to a negative power is undefined"));
    }
    let integral = exponent.trunc(0) == exponent;
    if base.is_negative() && !integral {
        return Err(invalid_power_argument("a negative number raised to a non-integer power yields a complex result"));
    }
    if integral {
        if let Some(n) = exponent.to_i64_rounded().filter(|n| *n >= i32::MIN as i64 && *n <= i32::MAX as i64) {
            let rscale = display_scale(NUMERIC_MIN_SIG_DIGITS.max(base.scale() as i32));
            return power_int(&base, n, rscale);
        }
    }
    if base.is_zero() {
        return Ok(Numeric::ZERO.round(NUMERIC_MIN_SIG_DIGITS as i64));
    }
    // A negative base with a huge integral exponent: the sign follows the exponent's parity.
    let negative = base.is_negative() && exponent.rem(&Numeric::from_i64(2))? != Numeric::ZERO;
    let base = base.abs();
    // A low-precision exponent * ln(base) first, to estimate the result's weight.
    let ln_dweight = estimate_ln_dweight(&base);
    let local = (8 - ln_dweight).max(0) as u32;
    let ln_num = base.ln(local).mul(&exponent).map_err(|_| numeric_value_overflow())?.round(local as i64);
    let val = to_double(&ln_num);
    if val.abs() > NUMERIC_MAX_RESULT_SCALE * 3.01 {
        if val > 0.0 {
            return Err(numeric_value_overflow());
        }
        return Ok(Numeric::ZERO.round(NUMERIC_MAX_DISPLAY_SCALE as i64));
    }
    let val = val * LOG10_E;
    let rscale =
        display_scale((NUMERIC_MIN_SIG_DIGITS - val as i32).max(base.scale() as i32).max(exponent.scale() as i32));
    let sig_digits = (rscale as i32 + val as i32).max(0);
    let local = (sig_digits - ln_dweight + 8).max(0) as u32;
    let ln_num = base.ln(local).mul(&exponent).map_err(|_| numeric_value_overflow())?.round(local as i64);
    let magnitude = exp_at_scale(&ln_num, rscale)?;
    Ok(if negative { magnitude.neg() } else { magnitude })
}

/// factorial(n) as numeric_fac: 1 for n <= 1, 22003 for a negative n or one whose result is beyond
/// numeric's range.
pub fn numeric_factorial(n: i64) -> Result<Numeric> {
    if n < 0 {
        return Err(Error::out_of_range("factorial of a negative number is undefined"));
    }
    // 32177! is the largest that fits numeric's 131072 integer digits.
    if n > 32177 {
        return Err(numeric_value_overflow());
    }
    let mut product = Numeric::from_i64(1);
    for factor in 2..=n {
        product = product.mul(&Numeric::from_i64(factor))?;
    }
    Ok(product)
}

/// float8 sqrt (2201F for a negative argument).
pub fn float_sqrt(value: f64) -> Result<f64> {
    if value < 0.0 {
        return Err(invalid_power_argument("cannot take square root of a negative number"));
    }
    check_float(value.sqrt(), value.is_infinite(), value == 0.0)
}

/// numeric sqrt, with numeric_sqrt's result scale.
pub fn numeric_sqrt(value: Numeric) -> Result<Numeric> {
    if value.is_negative() {
        return Err(invalid_power_argument("cannot take square root of a negative number"));
    }
    let result_weight = (nbase_weight(&value) + 1) * 4 / 2 - 1;
    let rscale = display_scale((NUMERIC_MIN_SIG_DIGITS - result_weight).max(value.scale() as i32));
    Ok(value.sqrt(rscale))
}

/// float8 cbrt.
pub fn float_cbrt(value: f64) -> Result<f64> {
    check_float(value.cbrt(), value.is_infinite(), value == 0.0)
}

/// float8 exp (22003 on overflow or underflow).
pub fn float_exp(value: f64) -> Result<f64> {
    if value.is_nan() {
        return Ok(value);
    }
    if value.is_infinite() {
        return Ok(if value > 0.0 { value } else { 0.0 });
    }
    check_float(value.exp(), false, false)
}

/// numeric exp, with numeric_exp's result scale.
pub fn numeric_exp(value: Numeric) -> Result<Numeric> {
    let weight = (to_double(&value) * LOG10_E).clamp(-NUMERIC_MAX_RESULT_SCALE, NUMERIC_MAX_RESULT_SCALE);
    let rscale = display_scale((NUMERIC_MIN_SIG_DIGITS - weight as i32).max(value.scale() as i32));
    exp_at_scale(&value, rscale)
}

fn check_log_argument_float(value: f64) -> Result<()> {
    if value == 0.0 {
        return Err(invalid_log_argument("cannot take logarithm of zero"));
    }
    if value < 0.0 {
        return Err(invalid_log_argument("cannot take logarithm of a negative number"));
    }
    Ok(())
}

fn check_log_argument_numeric(value: &Numeric) -> Result<()> {
    if value.is_zero() {
        return Err(invalid_log_argument("cannot take logarithm of zero"));
    }
    if value.is_negative() {
        return Err(invalid_log_argument("cannot take logarithm of a negative number"));
    }
    Ok(())
}

/// float8 ln (2201E for zero or a negative argument).
pub fn float_ln(value: f64) -> Result<f64> {
    check_log_argument_float(value)?;
    check_float(value.ln(), value.is_infinite(), value == 1.0)
}

/// float8 log (base 10).
pub fn float_log10(value: f64) -> Result<f64> {
    check_log_argument_float(value)?;
    check_float(value.log10(), value.is_infinite(), value == 1.0)
}

/// numeric ln, with numeric_ln's result scale.
pub fn numeric_ln(value: Numeric) -> Result<Numeric> {
    check_log_argument_numeric(&value)?;
    let rscale = display_scale((NUMERIC_MIN_SIG_DIGITS - estimate_ln_dweight(&value)).max(value.scale() as i32));
    Ok(value.ln(rscale))
}

/// numeric log(base, value) (and log(value) = log(10, value)), with log_var's result scale; a base of 1
/// divides by ln(1) = 0, which PostgreSQL reports as 22012.
pub fn numeric_log(base: Numeric, value: Numeric) -> Result<Numeric> {
    check_log_argument_numeric(&base)?;
    check_log_argument_numeric(&value)?;
    let ln_base_dweight = estimate_ln_dweight(&base);
    let ln_num_dweight = estimate_ln_dweight(&value);
    let result_dweight = ln_num_dweight - ln_base_dweight;
    let rscale =
        display_scale((NUMERIC_MIN_SIG_DIGITS - result_dweight).max(base.scale() as i32).max(value.scale() as i32));
    // log_var: both logarithms with a few more digits than the quotient needs.
    let ln_base = base.ln((rscale as i32 + result_dweight - ln_base_dweight + 8).max(0) as u32);
    let ln_num = value.ln((rscale as i32 + result_dweight - ln_num_dweight + 8).max(0) as u32);
    if ln_base.is_zero() {
        return Err(Error::division_by_zero());
    }
    ln_num.div_round(&ln_base, rscale as i64)
}

/// Evaluates `op` on operands already coerced to `sig.left` / `sig.right`. NULL in gives NULL out.
/// Raises 22003 on overflow of `sig.result`, 22012 on division by zero.
pub fn eval_binary(op: BinaryOp, left: &Value, right: &Value, sig: &BinarySignature) -> Result<Value> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            eval_arithmetic(op, left, right, sig)
        }
        BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor | BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            match (left, right) {
                (Value::Int(a), Value::Int(b)) => Ok(Value::Int(int_bitwise(op, *a, *b, &sig.result))),
                _ => Err(Error::internal(format!("bitwise operator {} on {left:?}, {right:?}", op.symbol()))),
            }
        }
        BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
            let ordering = compare(left, right).ok_or_else(|| {
                Error::internal(format!("cannot compare {left:?} with {right:?} ({} {})", sig.left, sig.right))
            })?;
            Ok(Value::Bool(op.holds(ordering)))
        }
        BinaryOp::Concat => match (left, right) {
            (Value::Bytea(a), Value::Bytea(b)) => Ok(Value::Bytea([a.as_slice(), b.as_slice()].concat())),
            _ => {
                let mut out = value_as_text(left, &sig.left)?;
                out.push_str(&value_as_text(right, &sig.right)?);
                Ok(Value::Text(out))
            }
        },
        BinaryOp::Like | BinaryOp::ILike => {
            let subject = value_as_text(left, &sig.left)?;
            let pattern = value_as_text(right, &sig.right)?;
            like(&subject, &pattern, op == BinaryOp::ILike).map(Value::Bool)
        }
        BinaryOp::Pow => match (left, right) {
            (Value::Numeric(_) | Value::Int(_), Value::Numeric(_) | Value::Int(_))
                if matches!(sig.result, DataType::Numeric(_)) =>
            {
                let (a, b) = (as_numeric(left), as_numeric(right));
                match (a, b) {
                    (Some(a), Some(b)) => numeric_power(a, b).map(Value::Numeric),
                    _ => Err(Error::internal("numeric ^ on non-numeric values")),
                }
            }
            _ => match (as_f64(left), as_f64(right)) {
                (Some(a), Some(b)) => float_power(a, b).map(Value::Float),
                _ => Err(Error::internal("float ^ on non-numeric values")),
            },
        },
    }
}

/// The text of a value for `||` and LIKE: text values as they are, anything else through its cast to text.
fn value_as_text(value: &Value, data_type: &DataType) -> Result<String> {
    match value {
        Value::Text(s) => Ok(s.clone()),
        other => match cast(other.clone(), &value_type(other, data_type), &DataType::Text)? {
            Value::Text(s) => Ok(s),
            _ => Err(Error::internal("cast to text did not produce text")),
        },
    }
}

/// The static type to use for `value` when the declared one does not fit its variant (defensive).
fn value_type(value: &Value, declared: &DataType) -> DataType {
    let fits = match value {
        Value::Bool(_) => *declared == DataType::Bool,
        Value::Int(_) => declared.is_integer() || declared.is_oid(),
        Value::Array(_) => declared.is_array(),
        Value::Float(_) => matches!(declared, DataType::Float4 | DataType::Float8),
        Value::Numeric(_) => matches!(declared, DataType::Numeric(_)),
        Value::Bytea(_) => *declared == DataType::Bytea,
        Value::Uuid(_) => *declared == DataType::Uuid,
        Value::Date(_) => *declared == DataType::Date,
        Value::Timestamp(_) => *declared == DataType::Timestamp,
        Value::Timestamptz(_) => *declared == DataType::Timestamptz,
        Value::Interval(_) => *declared == DataType::Interval,
        Value::Jsonb(_) => *declared == DataType::Jsonb,
        Value::Text(_) | Value::Null => true,
    };
    if fits {
        return *declared;
    }
    match value {
        Value::Bool(_) => DataType::Bool,
        Value::Int(_) => DataType::Int8,
        Value::Float(_) => DataType::Float8,
        Value::Numeric(_) => DataType::Numeric(None),
        Value::Bytea(_) => DataType::Bytea,
        Value::Uuid(_) => DataType::Uuid,
        Value::Date(_) => DataType::Date,
        Value::Timestamp(_) => DataType::Timestamp,
        Value::Timestamptz(_) => DataType::Timestamptz,
        Value::Interval(_) => DataType::Interval,
        Value::Jsonb(_) => DataType::Jsonb,
        Value::Array(_) => DataType::Array(ArrayElement::TEXT),
        Value::Text(_) | Value::Null => DataType::Text,
    }
}

fn eval_arithmetic(op: BinaryOp, left: &Value, right: &Value, sig: &BinarySignature) -> Result<Value> {
    if let Some(result) = crate::sql::datetime::eval_arithmetic(op, left, right) {
        return result;
    }
    match (left, right) {
        (Value::Date(a), Value::Date(b)) if op == BinaryOp::Sub => {
            return Ok(Value::Int(a.signed_duration_since(*b).num_days()))
        }
        (Value::Date(d), Value::Int(n)) | (Value::Int(n), Value::Date(d)) => {
            let days = if op == BinaryOp::Sub { -*n } else { *n };
            return d
                .checked_add_signed(Duration::days(days))
                .map(Value::Date)
                .ok_or_else(|| Error::new(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range"));
        }
        _ => {}
    }
    match sig.result {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => match (left, right) {
            (Value::Int(a), Value::Int(b)) => int_arith(op, *a, *b, &sig.result),
            _ => Err(Error::internal("integer operator on non-integer values")),
        },
        DataType::Float4 | DataType::Float8 => {
            let (Some(a), Some(b)) = (as_f64(left), as_f64(right)) else {
                return Err(Error::internal("float operator on non-numeric values"));
            };
            float_arith(op, a, b, sig.result == DataType::Float4)
        }
        DataType::Numeric(_) => match (as_numeric(left), as_numeric(right)) {
            (Some(a), Some(b)) => numeric_arith(op, a, b),
            _ => {
                // A float slipped in (defensive): compute in float8 as PostgreSQL would after coercion.
                let (Some(a), Some(b)) = (as_f64(left), as_f64(right)) else {
                    return Err(Error::internal("numeric operator on non-numeric values"));
                };
                float_arith(op, a, b, false)
            }
        },
        _ => Err(operator_does_not_exist(op, &sig.left, &sig.right)),
    }
}

/// Unary minus of a value of type `data_type` (22003 on overflow, e.g. -(-2147483648)::int4).
pub fn negate(value: &Value, data_type: &DataType) -> Result<Value> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Int(i) => {
            check_integer(i.checked_neg(), if data_type.is_integer() { data_type } else { &DataType::Int8 })
        }
        Value::Float(f) => Ok(Value::Float(-f)),
        Value::Numeric(d) => Ok(Value::Numeric(d.neg())),
        Value::Interval(interval) => Ok(Value::Interval(interval.checked_neg()?)),
        _ => Err(Error::new(sqlstate::UNDEFINED_FUNCTION, format!("operator does not exist: - {}", data_type.name()))
            .with_hint(
                "No operator matches the given name and argument types. You might need to add explicit type casts.",
            )),
    }
}

/// 42846 `cannot cast type boolean to date`.
pub fn cannot_cast(from: &DataType, to: &DataType) -> Error {
    Error::new(sqlstate::CANNOT_COERCE, format!("cannot cast type {} to {}", from.name(), to.name()))
}

/// Converts `value` of type `from` to type `to` (explicit CAST / `::`, and assignment to a column):
/// range checks (22003), text parsing (22P02/22007/22008), varchar(n) length (22001), numeric(p,s) rounding.
///
/// One function serves both explicit casts and assignment, so a string too long for varchar(n)/char(n)
/// raises 22001 in both cases (PostgreSQL truncates silently on an explicit cast); excess trailing spaces
/// are cut off silently as in PostgreSQL.
pub fn cast(value: Value, from: &DataType, to: &DataType) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let from = &value_type(&value, from);
    match to {
        DataType::Text
        | DataType::Varchar(_)
        | DataType::Char(_)
        | DataType::Name
        | DataType::InternalChar
        | DataType::AclItem
        | DataType::NodeTree => {
            let string = match &value {
                // char(n) -> text drops the padding, as PostgreSQL's rtrim in bpchar casts.
                Value::Text(s) if matches!(from, DataType::Char(_)) => s.trim_end_matches(' ').to_string(),
                Value::Text(s) => s.clone(),
                // bool -> text is booltext ('true'), not the output function ('t').
                Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
                other => text::format(other, from),
            };
            match to {
                DataType::Varchar(Some(n)) => text::fit_string(&string, *n, to).map(Value::Text),
                DataType::Char(n) => text::fit_string(&string, *n, to).map(|s| Value::Text(text::pad_char(&s, *n))),
                DataType::Name | DataType::InternalChar => text::parse(&string, to),
                _ => Ok(Value::Text(string)),
            }
        }
        DataType::Unknown => match (&value, from) {
            (Value::Text(_), DataType::Unknown) => Ok(value),
            _ => Err(cannot_cast(from, to)),
        },
        _ => {
            if let Value::Jsonb(json) = &value {
                return crate::sql::json::cast_jsonb(json, to);
            }
            if let Value::Text(s) = &value {
                // I/O conversion from a string type (or an untyped literal). A text value under another
                // declared type (never produced by the planner) is parsed the same way.
                let parsed = text::parse(s, &base_type_keep_strings(to))?;
                return apply_typmod(parsed, to);
            }
            if let Value::Array(elements) = value {
                return crate::sql::arrays::cast_elements(elements, from, to);
            }
            cast_non_string(value, from, to)
        }
    }
}

/// `to` without a numeric typmod (applied separately so parse does not need to know it).
fn base_type_keep_strings(to: &DataType) -> DataType {
    match to {
        DataType::Numeric(_) => DataType::Numeric(None),
        other => *other,
    }
}

/// Applies numeric(p,s): rounds half away from zero to `s` fraction digits and checks the precision
/// (22003 `numeric field overflow`). Lives in `types::text` because numeric input applies it too.
pub use crate::types::text::apply_numeric_typmod;

fn apply_typmod(value: Value, to: &DataType) -> Result<Value> {
    match (value, to) {
        (Value::Numeric(d), DataType::Numeric(Some((p, s)))) => apply_numeric_typmod(d, *p, *s).map(Value::Numeric),
        (value, _) => Ok(value),
    }
}

/// float -> numeric as PostgreSQL does it: through the float's text with 15 (float8) or 6 (float4)
/// significant digits, so 0.1::float8::numeric is 0.1.
fn float_to_numeric(f: f64, from: &DataType) -> Result<Numeric> {
    if f.is_nan() {
        return Err(Error::unsupported("cannot convert NaN to numeric"));
    }
    if f.is_infinite() {
        return Err(Error::unsupported("cannot convert infinity to numeric"));
    }
    let digits = if *from == DataType::Float4 { 6 } else { 15 };
    let scientific = format!("{:.*e}", digits - 1, f);
    // Strip trailing zeros of the mantissa, as %g does.
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
    text::parse_numeric(&format!("{mantissa}e{exponent}"))
}

/// numeric -> float8 / float4 as PostgreSQL's float8in on the numeric's text: 22003 when out of range.
fn numeric_to_float(value: &Numeric, single: bool) -> Result<f64> {
    let f = value.to_f64();
    let f = if single { f as f32 as f64 } else { f };
    if f.is_infinite() {
        let name = if single { "real" } else { "double precision" };
        return Err(Error::out_of_range(format!("\"{value}\" is out of range for type {name}")));
    }
    if f == 0.0 && !value.is_zero() {
        let name = if single { "real" } else { "double precision" };
        return Err(Error::out_of_range(format!("\"{value}\" is out of range for type {name}")));
    }
    Ok(f)
}

fn cast_non_string(value: Value, from: &DataType, to: &DataType) -> Result<Value> {
    let cannot = || cannot_cast(from, to);
    match (value, to) {
        // oid and reg* from an integer (an int4 wraps, as PostgreSQL's binary-compatible cast) or each other.
        (Value::Int(i), DataType::Oid | DataType::Reg(_)) if from.is_oid() => Ok(Value::Int(i)),
        (Value::Int(i), DataType::Oid | DataType::Reg(_)) => match i {
            i if (i32::MIN as i64..0).contains(&i) && *from != DataType::Int8 => Ok(Value::Int(i + (1 << 32))),
            i if (0..=u32::MAX as i64).contains(&i) => Ok(Value::Int(i)),
            _ => Err(Error::out_of_range("OID out of range")),
        },
        (Value::Int(i), DataType::Int4) if from.is_oid() => Ok(Value::Int(i as u32 as i32 as i64)),
        // Integers.
        (Value::Int(i), DataType::Int2 | DataType::Int4 | DataType::Int8) => check_integer(Some(i), to),
        (Value::Float(f), DataType::Int2 | DataType::Int4 | DataType::Int8) => {
            // rint(): round half to even; NaN and out-of-range values are errors.
            let rounded = f.round_ties_even();
            if rounded.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&rounded) {
                return Err(integer_overflow(to));
            }
            check_integer(Some(rounded as i64), to)
        }
        (Value::Numeric(d), DataType::Int2 | DataType::Int4 | DataType::Int8) => check_integer(d.to_i64_rounded(), to),
        (Value::Bool(b), DataType::Int4 | DataType::Int2 | DataType::Int8) => Ok(Value::Int(b as i64)),
        // Floats.
        (Value::Int(i), DataType::Float8) => Ok(Value::Float(i as f64)),
        (Value::Int(i), DataType::Float4) => Ok(Value::Float(i as f32 as f64)),
        (Value::Float(f), DataType::Float8) => Ok(Value::Float(f)),
        (Value::Float(f), DataType::Float4) => {
            let single = f as f32;
            if single.is_infinite() && !f.is_infinite() {
                return Err(float_overflow());
            }
            if single == 0.0 && f != 0.0 {
                return Err(float_underflow());
            }
            Ok(Value::Float(single as f64))
        }
        (Value::Numeric(d), DataType::Float8) => numeric_to_float(&d, false).map(Value::Float),
        (Value::Numeric(d), DataType::Float4) => numeric_to_float(&d, true).map(Value::Float),
        // Numeric.
        (Value::Int(i), DataType::Numeric(_)) => apply_typmod(Value::Numeric(Numeric::from_i64(i)), to),
        (Value::Float(f), DataType::Numeric(_)) => apply_typmod(Value::Numeric(float_to_numeric(f, from)?), to),
        (Value::Numeric(d), DataType::Numeric(_)) => apply_typmod(Value::Numeric(d), to),
        // Booleans.
        (Value::Int(i), DataType::Bool) if from.is_integer() => Ok(Value::Bool(i != 0)),
        (Value::Bool(b), DataType::Bool) => Ok(Value::Bool(b)),
        // Dates and times: a timestamptz converts to and from wall-clock values in the session time zone.
        (Value::Date(d), DataType::Date) => Ok(Value::Date(d)),
        (Value::Date(d), DataType::Timestamp) => Ok(Value::Timestamp(text::date_to_timestamp(&d))),
        (Value::Date(d), DataType::Timestamptz) => {
            Ok(Value::Timestamptz(session_zone().utc(&text::date_to_timestamp(&d)).and_utc()))
        }
        (Value::Timestamp(ts), DataType::Date) => Ok(Value::Date(ts.date())),
        (Value::Timestamp(ts), DataType::Timestamp) => Ok(Value::Timestamp(ts)),
        (Value::Timestamp(ts), DataType::Timestamptz) => Ok(Value::Timestamptz(session_zone().utc(&ts).and_utc())),
        (Value::Timestamptz(ts), DataType::Date) => Ok(Value::Date(session_zone().local(&ts.naive_utc()).date())),
        (Value::Timestamptz(ts), DataType::Timestamp) => Ok(Value::Timestamp(session_zone().local(&ts.naive_utc()))),
        (Value::Timestamptz(ts), DataType::Timestamptz) => Ok(Value::Timestamptz(ts)),
        // Same type, nothing to convert.
        (value @ Value::Bytea(_), DataType::Bytea) => Ok(value),
        (value @ Value::Uuid(_), DataType::Uuid) => Ok(value),
        _ => Err(cannot()),
    }
}

/// Whether an explicit cast from `from` to `to` exists (42846 `cannot cast type boolean to date` if not).
pub fn can_cast(from: &DataType, to: &DataType) -> bool {
    if base_type(from) == base_type(to) && !from.is_string() || from == to {
        return true;
    }
    if *from == DataType::Unknown {
        return true;
    }
    if *to == DataType::Unknown {
        return false;
    }
    // I/O conversion casts: every type to and from the string types.
    if from.is_string() || to.is_string() {
        return true;
    }
    if numeric_rank(from).is_some() && numeric_rank(to).is_some() {
        return true;
    }
    if datetime_rank(from).is_some() && datetime_rank(to).is_some() {
        return true;
    }
    if (from.is_oid() || from.is_integer()) && (to.is_oid() || to.is_integer()) {
        return true;
    }
    if let (Some(a), Some(b)) = (from.element(), to.element()) {
        return can_cast(&a, &b);
    }
    if *from == DataType::Jsonb && (numeric_rank(to).is_some() || *to == DataType::Bool) {
        return true;
    }
    matches!(
        (from, to),
        (DataType::Bool, DataType::Int4)
            | (DataType::Int4, DataType::Bool)
            | (DataType::Json, DataType::Jsonb)
            | (DataType::Jsonb, DataType::Json)
    )
}

/// Whether PostgreSQL converts `from` to `to` implicitly (to resolve a function's argument): the same
/// type, an untyped literal, a wider number, a wider date/time type, or string types among themselves.
pub fn can_cast_implicitly(from: &DataType, to: &DataType) -> bool {
    if from == to || *from == DataType::Unknown || base_type(from) == base_type(to) {
        return true;
    }
    if from.is_string() && to.is_string() {
        return true;
    }
    match ((numeric_rank(from), numeric_rank(to)), (datetime_rank(from), datetime_rank(to))) {
        ((Some(a), Some(b)), _) | (_, (Some(a), Some(b))) => a <= b,
        _ => false,
    }
}

/// Whether a value of type `from` may be stored into a column of type `to` without an explicit cast
/// (PostgreSQL's assignment casts: numeric types among themselves, anything from unknown, text types among
/// themselves). If not: 42804 `column "x" is of type integer but expression is of type boolean`.
///
/// As in PostgreSQL, any type may be assigned to a string column (through its text form), but a string
/// is not assigned to a non-string column without an explicit cast.
pub fn can_assign(from: &DataType, to: &DataType) -> bool {
    if *from == DataType::Unknown || base_type(from) == base_type(to) {
        return true;
    }
    if *to == DataType::Unknown {
        return false;
    }
    if to.is_string() {
        return true;
    }
    if numeric_rank(from).is_some() && numeric_rank(to).is_some() {
        return true;
    }
    if matches!((from, to), (DataType::Json, DataType::Jsonb) | (DataType::Jsonb, DataType::Json)) {
        return true;
    }
    datetime_rank(from).is_some() && datetime_rank(to).is_some()
}

/// The type two expressions are unified to (CASE branches, IN lists, COALESCE, VALUES rows, UNION):
/// `unknown` yields to the other type, integers widen, integer+numeric -> numeric, any+float -> float8,
/// text types -> text. None when they do not unify (42804 `CASE types integer and boolean cannot be
/// matched`).
///
/// Two `unknown`s stay `unknown` so the function can be folded over a list; a caller whose final result
/// is still `unknown` should use text, as PostgreSQL does. Within the numeric family the higher type on
/// the ladder int2 < int4 < int8 < numeric < float4 < float8 wins (PostgreSQL: `1.5 UNION 1::real` is
/// real). Types differing only in modifier unify to the unconstrained type.
pub fn common_type(a: &DataType, b: &DataType) -> Option<DataType> {
    match (a, b) {
        _ if a == b => Some(*a),
        (DataType::Unknown, other) | (other, DataType::Unknown) => Some(*other),
        _ if a.is_oid() || b.is_oid() => oid_operand_type(a, b),
        (DataType::Array(x), DataType::Array(y)) => {
            common_type(&x.data_type(), &y.data_type()).and_then(|e| e.array_of())
        }
        (DataType::Numeric(_), DataType::Numeric(_)) => Some(DataType::Numeric(None)),
        (DataType::Varchar(_), DataType::Varchar(_)) => Some(DataType::Varchar(None)),
        (DataType::Char(n), DataType::Char(m)) => Some(DataType::Char(*n.max(m))),
        _ if a.is_string() && b.is_string() => Some(DataType::Text),
        _ if numeric_rank(a).is_some() && numeric_rank(b).is_some() => {
            let winner = if numeric_rank(a) >= numeric_rank(b) { a } else { b };
            Some(base_type(winner))
        }
        _ if datetime_rank(a).is_some() && datetime_rank(b).is_some() => {
            Some(if datetime_rank(a) >= datetime_rank(b) { *a } else { *b })
        }
        _ => None,
    }
}

/// SQL comparison of two non-null values of the same type family (None if either is NULL, or if the
/// values are of types that do not compare).
pub fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    use Value::*;
    Some(match (left, right) {
        (Null, _) | (_, Null) => return None,
        (Bool(a), Bool(b)) => a.cmp(b),
        (Int(a), Int(b)) => a.cmp(b),
        (Float(a), Float(b)) => float_cmp(*a, *b),
        (Numeric(a), Numeric(b)) => a.cmp(b),
        (Int(a), Numeric(b)) => numeric::Numeric::from_i64(*a).cmp(b),
        (Numeric(a), Int(b)) => a.cmp(&numeric::Numeric::from_i64(*b)),
        (Int(a), Float(b)) => float_cmp(*a as f64, *b),
        (Float(a), Int(b)) => float_cmp(*a, *b as f64),
        (Numeric(a), Float(b)) => float_cmp(a.to_f64(), *b),
        (Float(a), Numeric(b)) => float_cmp(*a, b.to_f64()),
        (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Bytea(a), Bytea(b)) => a.cmp(b),
        (Uuid(a), Uuid(b)) => a.cmp(b),
        (Date(a), Date(b)) => a.cmp(b),
        (Timestamp(a), Timestamp(b)) => a.cmp(b),
        (Timestamptz(a), Timestamptz(b)) => a.cmp(b),
        (Jsonb(a), Jsonb(b)) => crate::types::json::compare(a, b),
        (Date(a), Timestamp(b)) => text::date_to_timestamp(a).cmp(b),
        (Timestamp(a), Date(b)) => a.cmp(&text::date_to_timestamp(b)),
        // A date or timestamp compares with a timestamptz as its instant in the session time zone.
        (Date(a), Timestamptz(b)) => session_zone().utc(&text::date_to_timestamp(a)).cmp(&b.naive_utc()),
        (Timestamptz(a), Date(b)) => a.naive_utc().cmp(&session_zone().utc(&text::date_to_timestamp(b))),
        (Timestamp(a), Timestamptz(b)) => session_zone().utc(a).cmp(&b.naive_utc()),
        (Timestamptz(a), Timestamp(b)) => a.naive_utc().cmp(&session_zone().utc(b)),
        (Interval(a), Interval(b)) => a.cmp_span(b),
        (Array(a), Array(b)) => crate::sql::arrays::compare(a, b)?,
        _ => return None,
    })
}

/// One element of a LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LikeToken {
    /// `%`: any sequence of characters.
    AnySequence,
    /// `_`: exactly one character.
    AnyChar,
    Literal(char),
}

/// SQL LIKE (ILIKE when `case_insensitive`): `%`, `_`, and backslash escaping the next character.
/// 22025 if the pattern ends with the escape character.
pub fn like(subject: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    let fold = |s: &str| if case_insensitive { s.to_lowercase() } else { s.to_string() };
    let (subject, pattern) = (fold(subject), fold(pattern));
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => LikeToken::AnySequence,
            '_' => LikeToken::AnyChar,
            '\\' => match chars.next() {
                Some(escaped) => LikeToken::Literal(escaped),
                None => {
                    return Err(Error::new("22025", "LIKE pattern must not end with escape character"));
                }
            },
            other => LikeToken::Literal(other),
        });
    }
    let subject: Vec<char> = subject.chars().collect();
    // Greedy match with backtracking to the most recent `%`: linear per `%`, no recursion.
    let (mut si, mut pi) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while si < subject.len() {
        match tokens.get(pi) {
            Some(LikeToken::AnyChar) => {
                si += 1;
                pi += 1;
            }
            Some(LikeToken::Literal(c)) if *c == subject[si] => {
                si += 1;
                pi += 1;
            }
            Some(LikeToken::AnySequence) => {
                backtrack = Some((pi, si));
                pi += 1;
            }
            _ => match backtrack {
                Some((star_pi, star_si)) => {
                    pi = star_pi + 1;
                    si = star_si + 1;
                    backtrack = Some((star_pi, star_si + 1));
                }
                None => return Ok(false),
            },
        }
    }
    while tokens.get(pi) == Some(&LikeToken::AnySequence) {
        pi += 1;
    }
    Ok(pi == tokens.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    use DataType::*;

    fn dec(s: &str) -> numeric::Numeric {
        numeric::Numeric::from_str(s).unwrap()
    }

    fn eval(op: BinaryOp, l: Value, lt: DataType, r: Value, rt: DataType) -> Result<Value> {
        let sig = binary_signature(op, &lt, &rt)?;
        let l = cast(l, &lt, &sig.left)?;
        let r = cast(r, &rt, &sig.right)?;
        eval_binary(op, &l, &r, &sig)
    }

    fn show(v: &Value, t: DataType) -> String {
        text::format(v, &t)
    }

    #[test]
    fn signatures() {
        let s = |op, l, r| binary_signature(op, &l, &r).unwrap();
        assert_eq!(s(BinaryOp::Add, Int4, Int4).result, Int4);
        assert_eq!(s(BinaryOp::Add, Int2, Int2).result, Int2);
        assert_eq!(s(BinaryOp::Add, Int4, Int8).result, Int8);
        assert_eq!(s(BinaryOp::Mod, Int2, Int4).result, Int4);
        assert_eq!(s(BinaryOp::Add, Int4, Numeric(Some((10, 2)))).result, Numeric(None));
        assert_eq!(s(BinaryOp::Mul, Int4, Float4).result, Float8);
        assert_eq!(s(BinaryOp::Mul, Float4, Float4).result, Float4);
        assert_eq!(s(BinaryOp::Add, Numeric(None), Float4).result, Float8);
        assert_eq!(s(BinaryOp::Add, Unknown, Int8), BinarySignature { left: Int8, right: Int8, result: Int8 });
        assert_eq!(s(BinaryOp::Eq, Int4, Numeric(None)).left, Numeric(None));
        assert_eq!(s(BinaryOp::Eq, Varchar(Some(3)), Char(2)).left, Text);
        assert_eq!(s(BinaryOp::Lt, Date, Timestamptz).left, Timestamptz);
        assert_eq!(s(BinaryOp::Eq, Unknown, Unknown).left, Text);
        assert_eq!(s(BinaryOp::Eq, Uuid, Unknown).right, Uuid);
        assert_eq!(s(BinaryOp::Concat, Text, Int4), BinarySignature { left: Text, right: Text, result: Text });
        assert_eq!(s(BinaryOp::Concat, Bytea, Bytea).result, Bytea);
        assert_eq!(s(BinaryOp::Like, Varchar(None), Unknown).result, Bool);
        assert_eq!(s(BinaryOp::Add, Date, Int4).result, Date);
        assert_eq!(s(BinaryOp::Sub, Date, Date).result, Int4);

        let e = binary_signature(BinaryOp::Add, &Int4, &Bool).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("42883", "operator does not exist: integer + boolean"));
        assert_eq!(
            e.hint.as_deref(),
            Some("No operator matches the given name and argument types. You might need to add explicit type casts.")
        );
        let e = binary_signature(BinaryOp::Like, &Unknown, &Int4).unwrap_err();
        assert_eq!(e.message, "operator does not exist: unknown ~~ integer");
        let e = binary_signature(BinaryOp::Concat, &Int4, &Int4).unwrap_err();
        assert_eq!(e.message, "operator does not exist: integer || integer");
        assert_eq!(binary_signature(BinaryOp::Mod, &Float8, &Int4).unwrap_err().code, "42883");
        assert_eq!(binary_signature(BinaryOp::Add, &Unknown, &Unknown).unwrap_err().code, "42725");
        assert_eq!(binary_signature(BinaryOp::Eq, &Int4, &Text).unwrap_err().code, "42883");
    }

    #[test]
    fn integer_arithmetic_and_overflow() {
        let int = |op, a: i64, b: i64, t: DataType| eval(op, Value::Int(a), t, Value::Int(b), t);
        assert_eq!(int(BinaryOp::Add, 2, 3, Int4).unwrap(), Value::Int(5));
        assert_eq!(int(BinaryOp::Div, 7, 2, Int4).unwrap(), Value::Int(3));
        assert_eq!(int(BinaryOp::Div, -7, 2, Int4).unwrap(), Value::Int(-3));
        assert_eq!(int(BinaryOp::Mod, 7, -3, Int4).unwrap(), Value::Int(1));
        assert_eq!(int(BinaryOp::Mod, -7, 3, Int4).unwrap(), Value::Int(-1));
        assert_eq!(int(BinaryOp::Mod, i32::MIN as i64, -1, Int4).unwrap(), Value::Int(0));
        let e = int(BinaryOp::Add, i32::MAX as i64, 1, Int4).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22003", "integer out of range"));
        assert_eq!(int(BinaryOp::Add, 32767, 1, Int2).unwrap_err().message, "smallint out of range");
        assert_eq!(int(BinaryOp::Add, i64::MAX, 1, Int8).unwrap_err().message, "bigint out of range");
        assert_eq!(int(BinaryOp::Mul, i64::MIN, -1, Int8).unwrap_err().message, "bigint out of range");
        assert_eq!(int(BinaryOp::Div, i32::MIN as i64, -1, Int4).unwrap_err().message, "integer out of range");
        let e = int(BinaryOp::Div, 1, 0, Int4).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22012", "division by zero"));
        assert_eq!(int(BinaryOp::Mod, 1, 0, Int8).unwrap_err().code, "22012");
        // int4 + int8 -> int8, no int4 overflow.
        assert_eq!(
            eval(BinaryOp::Add, Value::Int(i32::MAX as i64), Int4, Value::Int(1), Int8).unwrap(),
            Value::Int(i32::MAX as i64 + 1)
        );
        assert_eq!(negate(&Value::Int(i32::MIN as i64), &Int4).unwrap_err().message, "integer out of range");
        assert_eq!(negate(&Value::Int(5), &Int2).unwrap(), Value::Int(-5));
        assert_eq!(negate(&Value::Bool(true), &Bool).unwrap_err().message, "operator does not exist: - boolean");
    }

    #[test]
    fn float_arithmetic() {
        let f = |op, a: f64, b: f64| eval(op, Value::Float(a), Float8, Value::Float(b), Float8);
        assert_eq!(f(BinaryOp::Div, 1.0, 4.0).unwrap(), Value::Float(0.25));
        assert_eq!(f(BinaryOp::Div, 1.0, 0.0).unwrap_err().code, "22012");
        assert_eq!(f(BinaryOp::Div, f64::INFINITY, 0.0).unwrap_err().code, "22012");
        assert_eq!(f(BinaryOp::Mul, 1e308, 10.0).unwrap_err().message, "value out of range: overflow");
        assert_eq!(f(BinaryOp::Mul, 1e-308, 1e-308).unwrap_err().message, "value out of range: underflow");
        assert_eq!(f(BinaryOp::Add, f64::INFINITY, 1.0).unwrap(), Value::Float(f64::INFINITY));
        let e = eval(BinaryOp::Mul, Value::Float(3.4e38), Float4, Value::Float(10.0), Float4).unwrap_err();
        assert_eq!(e.message, "value out of range: overflow");
        // int * float8 goes through float8.
        assert_eq!(eval(BinaryOp::Mul, Value::Int(3), Int4, Value::Float(0.5), Float8).unwrap(), Value::Float(1.5));
    }

    #[test]
    fn numeric_arithmetic() {
        let n = |op, a: &str, b: &str| {
            let v = eval(op, Value::Numeric(dec(a)), Numeric(None), Value::Numeric(dec(b)), Numeric(None)).unwrap();
            show(&v, Numeric(None))
        };
        // Division scales as PostgreSQL's select_div_scale.
        assert_eq!(n(BinaryOp::Div, "1", "3"), "0.33333333333333333333");
        assert_eq!(n(BinaryOp::Div, "10", "3"), "3.3333333333333333");
        assert_eq!(n(BinaryOp::Div, "2.50", "2"), "1.25000000000000000000");
        assert_eq!(n(BinaryOp::Div, "100000", "3.0"), "33333.333333333333");
        assert_eq!(n(BinaryOp::Div, "0.001", "7"), "0.00014285714285714286");
        assert_eq!(n(BinaryOp::Div, "12345678901234567890", "3.0"), "4115226300411522630.0");
        assert_eq!(n(BinaryOp::Add, "1.50", "2"), "3.50");
        assert_eq!(n(BinaryOp::Mul, "1.5", "1.5"), "2.25");
        assert_eq!(n(BinaryOp::Mod, "7.5", "2"), "1.5");
        assert_eq!(n(BinaryOp::Sub, "1.5", "1.5"), "0.0");
        let e = eval(BinaryOp::Div, Value::Numeric(dec("1.0")), Numeric(None), Value::Int(0), Int4).unwrap_err();
        assert_eq!(e.code, "22012");
        let e = eval(BinaryOp::Mul, Value::Numeric(dec("9e131071")), Numeric(None), Value::Int(2), Int4).unwrap_err();
        assert_eq!(e.code, "22003");
    }

    #[test]
    fn exponentiation() {
        let pow_type = |l, r| binary_signature(BinaryOp::Pow, &l, &r).map(|s| s.result);
        assert_eq!(pow_type(Int4, Int4).unwrap(), Float8);
        assert_eq!(pow_type(Unknown, Unknown).unwrap(), Float8);
        assert_eq!(pow_type(Numeric(None), Int4).unwrap(), Numeric(None));
        assert_eq!(pow_type(Numeric(None), Unknown).unwrap(), Numeric(None));
        assert_eq!(pow_type(Numeric(None), Float4).unwrap(), Float8);
        assert_eq!(pow_type(Int4, Text).unwrap_err().message, "operator does not exist: integer ^ text");
        let value = eval(BinaryOp::Pow, Value::Int(2), Int4, Value::Int(10), Int4).unwrap();
        assert_eq!(show(&value, Float8), "1024");
        let value = eval(BinaryOp::Pow, Value::Numeric(dec("2.0")), Numeric(None), Value::Int(3), Int4).unwrap();
        assert_eq!(show(&value, Numeric(None)), "8.0000000000000000");
        let e = eval(BinaryOp::Pow, Value::Int(0), Int4, Value::Int(-1), Int4).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("2201F", "zero raised to a negative power is undefined"));
        assert_eq!(eval(BinaryOp::Pow, Value::Null, Int4, Value::Int(1), Int4).unwrap(), Value::Null);
    }

    #[test]
    fn comparisons() {
        let cmp = |op, l: Value, lt, r: Value, rt| eval(op, l, lt, r, rt).unwrap();
        assert_eq!(
            cmp(BinaryOp::Eq, Value::Int(1), Int4, Value::Numeric(dec("1.00")), Numeric(None)),
            Value::Bool(true)
        );
        assert_eq!(cmp(BinaryOp::Lt, Value::Int(1), Int4, Value::Float(1.5), Float8), Value::Bool(true));
        assert_eq!(
            cmp(BinaryOp::Eq, Value::Float(f64::NAN), Float8, Value::Float(f64::NAN), Float8),
            Value::Bool(true)
        );
        assert_eq!(
            cmp(BinaryOp::Gt, Value::Float(f64::NAN), Float8, Value::Float(f64::INFINITY), Float8),
            Value::Bool(true)
        );
        assert_eq!(cmp(BinaryOp::Eq, Value::Float(0.0), Float8, Value::Float(-0.0), Float8), Value::Bool(true));
        // C collation: upper case sorts before lower case.
        assert_eq!(cmp(BinaryOp::Lt, Value::Text("B".into()), Text, Value::Text("a".into()), Text), Value::Bool(true));
        assert_eq!(
            cmp(BinaryOp::Eq, Value::Text("ab  ".into()), Char(4), Value::Text("ab".into()), Char(2)),
            Value::Bool(true)
        );
        assert_eq!(
            cmp(
                BinaryOp::Eq,
                Value::Text("2024-01-31".into()),
                Unknown,
                Value::Date(text::parse_date("2024-01-31").unwrap()),
                Date
            ),
            Value::Bool(true)
        );
        let date = Value::Date(text::parse_date("2024-01-31").unwrap());
        let ts = Value::Timestamp(text::parse_timestamp("2024-01-31 00:00").unwrap());
        assert_eq!(cmp(BinaryOp::Eq, date.clone(), Date, ts, Timestamp), Value::Bool(true));
        let tz = Value::Timestamptz(text::parse_timestamptz("2024-01-31 00:00:01+00").unwrap());
        assert_eq!(cmp(BinaryOp::Lt, date, Date, tz, Timestamptz), Value::Bool(true));
        assert_eq!(cmp(BinaryOp::NotEq, Value::Bool(true), Bool, Value::Bool(false), Bool), Value::Bool(true));
        assert_eq!(eval(BinaryOp::Eq, Value::Null, Int4, Value::Int(1), Int4).unwrap(), Value::Null);
        assert_eq!(compare(&Value::Null, &Value::Int(1)), None);
    }

    #[test]
    fn date_arithmetic() {
        let d = |s: &str| Value::Date(text::parse_date(s).unwrap());
        assert_eq!(eval(BinaryOp::Add, d("2024-01-31"), Date, Value::Int(1), Int4).unwrap(), d("2024-02-01"));
        assert_eq!(eval(BinaryOp::Add, Value::Int(1), Int4, d("2024-01-31"), Date).unwrap(), d("2024-02-01"));
        assert_eq!(eval(BinaryOp::Sub, d("2024-01-31"), Date, Value::Int(1), Int4).unwrap(), d("2024-01-30"));
        assert_eq!(eval(BinaryOp::Sub, d("2024-03-01"), Date, d("2024-02-01"), Date).unwrap(), Value::Int(29));
    }

    #[test]
    fn concat_and_like() {
        let t = |s: &str| Value::Text(s.to_string());
        assert_eq!(eval(BinaryOp::Concat, t("a"), Unknown, Value::Int(1), Int4).unwrap(), t("a1"));
        assert_eq!(eval(BinaryOp::Concat, Value::Int(1), Int4, t("a"), Unknown).unwrap(), t("1a"));
        assert_eq!(eval(BinaryOp::Concat, t("a"), Unknown, Value::Bool(true), Bool).unwrap(), t("atrue"));
        assert_eq!(eval(BinaryOp::Concat, t("ab "), Char(3), t("x"), Text).unwrap(), t("abx"));
        assert_eq!(
            eval(BinaryOp::Concat, Value::Bytea(vec![1]), Bytea, Value::Bytea(vec![2]), Bytea).unwrap(),
            Value::Bytea(vec![1, 2])
        );
        let cases = [
            ("abc", "a%", false, true),
            ("abc", "a_c", false, true),
            ("a%c", "a\\%c", false, true),
            ("abc", "a\\%c", false, false),
            ("ABC", "a%", true, true),
            ("ABC", "a%", false, false),
            ("abc", "ab", false, false),
            ("", "%", false, true),
            ("a_c", "a\\_c", false, true),
            ("abcabd", "%ab_", false, true),
            ("mississippi", "%iss%ppi", false, true),
            ("mississippi", "m%s%s%x", false, false),
            ("héllo", "h_llo", false, true),
        ];
        for (subject, pattern, insensitive, expected) in cases {
            assert_eq!(like(subject, pattern, insensitive).unwrap(), expected, "{subject} LIKE {pattern}");
        }
        let e = like("ab\\", "ab\\", false).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22025", "LIKE pattern must not end with escape character"));
    }

    #[test]
    fn numeric_casts() {
        let c = |v: Value, from, to| cast(v, &from, &to);
        assert_eq!(c(Value::Float(1.5), Float8, Int4).unwrap(), Value::Int(2));
        assert_eq!(c(Value::Float(2.5), Float8, Int4).unwrap(), Value::Int(2));
        assert_eq!(c(Value::Float(-2.5), Float8, Int4).unwrap(), Value::Int(-2));
        assert_eq!(c(Value::Numeric(dec("2.5")), Numeric(None), Int4).unwrap(), Value::Int(3));
        assert_eq!(c(Value::Numeric(dec("-2.5")), Numeric(None), Int4).unwrap(), Value::Int(-3));
        assert_eq!(c(Value::Float(f64::NAN), Float8, Int4).unwrap_err().message, "integer out of range");
        assert_eq!(c(Value::Float(3e9), Float8, Int4).unwrap_err().message, "integer out of range");
        assert_eq!(c(Value::Int(40000), Int4, Int2).unwrap_err().message, "smallint out of range");
        assert_eq!(c(Value::Numeric(dec("1e20")), Numeric(None), Int8).unwrap_err().message, "bigint out of range");
        assert_eq!(c(Value::Float(1e300), Float8, Float4).unwrap_err().message, "value out of range: overflow");
        let num = |v: Value, from| show(&c(v, from, Numeric(None)).unwrap(), Numeric(None));
        assert_eq!(num(Value::Float(0.1), Float8), "0.1");
        assert_eq!(num(Value::Float(1.0 / 3.0), Float8), "0.333333333333333");
        assert_eq!(num(Value::Float(0.1f32 as f64), Float4), "0.1");
        assert_eq!(num(Value::Float(1e20), Float8), "100000000000000000000");
        assert_eq!(num(Value::Float(-1.25), Float8), "-1.25");
        assert_eq!(c(Value::Float(f64::INFINITY), Float8, Numeric(None)).unwrap_err().code, "0A000");
        // numeric(p,s)
        let typmod = |s: &str, p, sc| c(Value::Numeric(dec(s)), Numeric(None), Numeric(Some((p, sc))));
        assert_eq!(show(&typmod("0.5", 2, 2).unwrap(), Numeric(None)), "0.50");
        assert_eq!(show(&typmod("1.005", 5, 2).unwrap(), Numeric(None)), "1.01");
        assert_eq!(show(&typmod("-1.005", 5, 2).unwrap(), Numeric(None)), "-1.01");
        assert_eq!(show(&typmod("1.5", 2, 0).unwrap(), Numeric(None)), "2");
        let e = typmod("123.456", 4, 2).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22003", "numeric field overflow"));
        assert_eq!(
            e.detail.as_deref(),
            Some("A field with precision 4, scale 2 must round to an absolute value less than 10^2.")
        );
        assert_eq!(
            typmod("9.5", 1, 0).unwrap_err().detail.as_deref(),
            Some("A field with precision 1, scale 0 must round to an absolute value less than 10^1.")
        );
        assert_eq!(
            c(Value::Int(1), Int4, Numeric(Some((2, 2)))).unwrap_err().detail.as_deref(),
            Some("A field with precision 2, scale 2 must round to an absolute value less than 1.")
        );
        assert_eq!(
            show(&c(Value::Text("12.345".into()), Unknown, Numeric(Some((18, 6)))).unwrap(), Numeric(None)),
            "12.345000"
        );
    }

    #[test]
    fn text_and_other_casts() {
        let c = |v: Value, from, to| cast(v, &from, &to);
        let t = |s: &str| Value::Text(s.to_string());
        assert_eq!(c(Value::Bool(true), Bool, Text).unwrap(), t("true"));
        assert_eq!(c(Value::Int(42), Int4, Varchar(None)).unwrap(), t("42"));
        assert_eq!(c(Value::Float(1e20), Float8, Text).unwrap(), t("1e+20"));
        assert_eq!(c(t("ab  "), Char(4), Text).unwrap(), t("ab"));
        assert_eq!(c(t("ab"), Text, Char(4)).unwrap(), t("ab  "));
        let e = c(t("abcdef"), Text, Varchar(Some(5))).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22001", "value too long for type character varying(5)"));
        assert_eq!(c(t("abc  "), Text, Varchar(Some(3))).unwrap(), t("abc"));
        assert_eq!(c(t(" 12 "), Text, Int4).unwrap(), Value::Int(12));
        assert_eq!(c(t("abc"), Text, Int4).unwrap_err().code, "22P02");
        assert_eq!(c(t("true"), Unknown, Bool).unwrap(), Value::Bool(true));
        assert_eq!(c(Value::Int(1), Int4, Bool).unwrap(), Value::Bool(true));
        assert_eq!(c(Value::Bool(true), Bool, Int4).unwrap(), Value::Int(1));
        let u = c(t("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), Text, Uuid).unwrap();
        assert_eq!(show(&u, Uuid), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        let ts = c(t("2024-01-31 12:34:56"), Unknown, Timestamptz).unwrap();
        assert_eq!(show(&c(ts.clone(), Timestamptz, Date).unwrap(), Date), "2024-01-31");
        assert_eq!(show(&c(ts.clone(), Timestamptz, Timestamp).unwrap(), Timestamp), "2024-01-31 12:34:56");
        let d = c(t("2024-01-31"), Unknown, Date).unwrap();
        assert_eq!(show(&c(d.clone(), Date, Timestamptz).unwrap(), Timestamptz), "2024-01-31 00:00:00+00");
        assert_eq!(c(d, Date, Text).unwrap(), t("2024-01-31"));
        assert_eq!(c(Value::Null, Int4, Date).unwrap(), Value::Null);
        let e = c(Value::Bool(true), Bool, Date).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("42846", "cannot cast type boolean to date"));
        assert_eq!(c(t("\\x01"), Text, Bytea).unwrap(), Value::Bytea(vec![1]));
    }

    #[test]
    fn cast_rules() {
        assert!(can_cast(&Bool, &Int4) && can_cast(&Int4, &Bool));
        assert!(!can_cast(&Bool, &Int8));
        assert!(!can_cast(&Bool, &Date));
        assert!(can_cast(&Text, &Uuid) && can_cast(&Uuid, &Text));
        assert!(can_cast(&Float8, &Numeric(Some((5, 2)))));
        assert!(can_cast(&Timestamptz, &Date));
        assert!(!can_cast(&Uuid, &Bytea));
        assert!(can_cast(&Varchar(Some(3)), &Varchar(Some(5))));
        assert!(can_assign(&Float8, &Int4));
        assert!(can_assign(&Unknown, &Uuid));
        assert!(can_assign(&Int4, &Text));
        assert!(can_assign(&Timestamptz, &Date));
        assert!(!can_assign(&Text, &Uuid));
        assert!(!can_assign(&Bool, &Int4));
        assert!(!can_assign(&Int4, &Bool));
    }

    #[test]
    fn common_types() {
        let c = |a, b| common_type(&a, &b);
        assert_eq!(c(Unknown, Int4), Some(Int4));
        assert_eq!(c(Unknown, Unknown), Some(Unknown));
        assert_eq!(c(Int2, Int8), Some(Int8));
        assert_eq!(c(Int4, Numeric(Some((5, 2)))), Some(Numeric(None)));
        assert_eq!(c(Numeric(None), Float4), Some(Float4));
        assert_eq!(c(Int8, Float8), Some(Float8));
        assert_eq!(c(Varchar(Some(3)), Text), Some(Text));
        assert_eq!(c(Varchar(Some(3)), Varchar(Some(5))), Some(Varchar(None)));
        assert_eq!(c(Date, Timestamptz), Some(Timestamptz));
        assert_eq!(c(Int4, Bool), None);
        assert_eq!(c(Text, Int4), None);
    }
}
