//! Scalar semantics shared by the planner and the executor: casts, arithmetic with overflow checks,
//! comparisons across numeric types, and the result-type rules that go with them.
//!
//! Operator resolution follows PostgreSQL: [`binary_signature`] picks the operand types both sides are
//! coerced to and the result type (int4 + int4 -> int4, int4 + int8 -> int8, int + numeric -> numeric,
//! anything + float8 -> float8, `unknown` (untyped literal or parameter) takes the other side's type);
//! the planner wraps operands in casts to those types, so [`eval_binary`] sees operands of one type.

use std::cmp::Ordering;

use crate::error::Result;
use crate::types::{DataType, Value};

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
}

/// The resolved operand and result types of a binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinarySignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

/// Resolves `left op right` (42883 `operator does not exist: integer + boolean` when there is none).
pub fn binary_signature(_op: BinaryOp, _left: &DataType, _right: &DataType) -> Result<BinarySignature> {
    todo!("values helper")
}

/// Evaluates `op` on operands already coerced to `sig.left` / `sig.right`. NULL in gives NULL out.
/// Raises 22003 on overflow of `sig.result`, 22012 on division by zero.
pub fn eval_binary(_op: BinaryOp, _left: &Value, _right: &Value, _sig: &BinarySignature) -> Result<Value> {
    todo!("values helper")
}

/// Unary minus of a value of type `data_type` (22003 on overflow, e.g. -(-2147483648)::int4).
pub fn negate(_value: &Value, _data_type: &DataType) -> Result<Value> {
    todo!("values helper")
}

/// Converts `value` of type `from` to type `to` (explicit CAST / `::`, and assignment to a column):
/// range checks (22003), text parsing (22P02/22007/22008), varchar(n) length (22001), numeric(p,s) rounding.
pub fn cast(_value: Value, _from: &DataType, _to: &DataType) -> Result<Value> {
    todo!("values helper")
}

/// Whether an explicit cast from `from` to `to` exists (42846 `cannot cast type boolean to date` if not).
pub fn can_cast(_from: &DataType, _to: &DataType) -> bool {
    todo!("values helper")
}

/// Whether a value of type `from` may be stored into a column of type `to` without an explicit cast
/// (PostgreSQL's assignment casts: numeric types among themselves, anything from unknown, text types among
/// themselves). If not: 42804 `column "x" is of type integer but expression is of type boolean`.
pub fn can_assign(_from: &DataType, _to: &DataType) -> bool {
    todo!("values helper")
}

/// The type two expressions are unified to (CASE branches, IN lists, COALESCE, VALUES rows, UNION):
/// `unknown` yields to the other type, integers widen, integer+numeric -> numeric, any+float -> float8,
/// text types -> text. None when they do not unify (42804 `CASE types integer and boolean cannot be
/// matched`).
pub fn common_type(_a: &DataType, _b: &DataType) -> Option<DataType> {
    todo!("values helper")
}

/// SQL comparison of two non-null values of the same type family (None if either is NULL).
pub fn compare(_left: &Value, _right: &Value) -> Option<Ordering> {
    todo!("values helper")
}
