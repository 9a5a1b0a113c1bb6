//! Scalar functions and aggregates: name resolution (with argument types) and evaluation.
//!
//! The planner resolves a call once ([`resolve_scalar`] / [`resolve_aggregate`]) into an id plus its
//! argument and result types; the executor then evaluates by id without looking at names again.

use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::types::{DataType, Value};

/// Per-statement context visible to functions.
#[derive(Debug, Clone)]
pub struct FunctionContext {
    /// `now()` / `CURRENT_TIMESTAMP`: the start of the current transaction, as in PostgreSQL.
    pub transaction_timestamp: DateTime<Utc>,
    /// `statement_timestamp()` / `clock_timestamp()` base.
    pub statement_timestamp: DateTime<Utc>,
}

/// A resolved scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarFunction {
    GenRandomUuid,
    Now,
    CurrentDate,
    LocalTimestamp,
    StatementTimestamp,
    ClockTimestamp,
    Abs,
    Lower,
    Upper,
    Length,
    Round,
    Floor,
    Ceil,
    Coalesce,
    NullIf,
    Greatest,
    Least,
    Concat,
    Substr,
    Trim,
    Replace,
    Mod,
    Version,
}

/// A resolved call: the function, the types its arguments must be coerced to, and its result type.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedScalar {
    pub function: ScalarFunction,
    pub arg_types: Vec<DataType>,
    pub result_type: DataType,
}

/// Resolves `name(args)` (lower-case name). 42883 `function foo(integer) does not exist` otherwise.
pub fn resolve_scalar(_name: &str, _arg_types: &[DataType]) -> Result<ResolvedScalar> {
    todo!("values helper")
}

/// Evaluates a resolved scalar function on arguments already coerced to `resolved.arg_types`.
pub fn invoke_scalar(_resolved: &ResolvedScalar, _args: &[Value], _ctx: &FunctionContext) -> Result<Value> {
    todo!("values helper")
}

/// A resolved aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFunction {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    BoolAnd,
    BoolOr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedAggregate {
    pub function: AggregateFunction,
    /// The argument's type (None for count(*)).
    pub arg_type: Option<DataType>,
    /// sum(int4) -> int8, sum(int8) -> numeric, avg(int) -> numeric, avg(float) -> float8, count -> int8.
    pub result_type: DataType,
    pub distinct: bool,
}

/// Whether `name` is an aggregate function (so the planner can tell aggregates from scalar calls).
pub fn is_aggregate(_name: &str) -> bool {
    todo!("values helper")
}

/// Resolves an aggregate call; `arg_type` is None for `count(*)`.
pub fn resolve_aggregate(_name: &str, _arg_type: Option<&DataType>, _distinct: bool) -> Result<ResolvedAggregate> {
    todo!("values helper")
}

/// Running state of one aggregate over one group.
pub trait Accumulator: Send {
    /// Adds one input value (ignored if NULL, except for count(*), which is fed `Value::Null` per row).
    fn update(&mut self, value: &Value) -> Result<()>;
    /// The aggregate's result (NULL for sum/avg/min/max of no rows, 0 for count).
    fn finish(&self) -> Result<Value>;
}

/// A fresh accumulator for `aggregate` (DISTINCT handled inside).
pub fn accumulator(_aggregate: &ResolvedAggregate) -> Box<dyn Accumulator> {
    todo!("values helper")
}
