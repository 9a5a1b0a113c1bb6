//! Expression evaluation over one row, in SQL's three-valued logic. Operators, casts and functions were
//! resolved by the binder and run through `sql::scalar` and `sql::functions`; subqueries run their
//! physical plans (`ExecContext::subplans`), uncorrelated ones once per statement.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use super::memory::concat_bytes;
use super::ExecContext;
use crate::error::{sqlstate, Error, Result};
use crate::sql::functions;
use crate::sql::plan::{BoundExpr, SubqueryPlan};
use crate::sql::scalar;
use crate::types::{DataType, Row, Value};

/// Whether `filter` holds (is TRUE) for `row`; no filter always holds.
pub fn passes(filter: Option<&BoundExpr>, row: &[Value], ctx: &mut ExecContext) -> Result<bool> {
    match filter {
        None => Ok(true),
        Some(filter) => Ok(matches!(eval(filter, row, ctx)?, Value::Bool(true))),
    }
}

/// An operand's value, borrowed when it is a column of `row` or a literal (a filter `name = 'x'` compares
/// each row's text in place instead of copying it), else evaluated.
fn operand<'v>(expr: &'v BoundExpr, row: &'v [Value], ctx: &mut ExecContext) -> Result<Cow<'v, Value>> {
    Ok(match expr {
        BoundExpr::Literal(value) => Cow::Borrowed(value),
        BoundExpr::Column(index) => {
            Cow::Borrowed(row.get(*index).ok_or_else(|| Error::internal("column out of range"))?)
        }
        _ => Cow::Owned(eval(expr, row, ctx)?),
    })
}

pub fn eval_all(exprs: &[BoundExpr], row: &[Value], ctx: &mut ExecContext) -> Result<Row> {
    let mut out = Vec::with_capacity(exprs.len());
    for expr in exprs {
        out.push(eval(expr, row, ctx)?);
    }
    Ok(out)
}

pub fn truth(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn bool_value(value: Option<bool>) -> Value {
    match value {
        Some(b) => Value::Bool(b),
        None => Value::Null,
    }
}

/// AND (`decisive` false) or OR (`decisive` true) in three-valued logic: the decisive value wins, else NULL
/// if any operand is NULL. Stops at the first decisive operand.
fn logical(operands: &[BoundExpr], decisive: bool, row: &[Value], ctx: &mut ExecContext) -> Result<Value> {
    let mut unknown = false;
    for operand in operands {
        match truth(&eval(operand, row, ctx)?) {
            Some(value) if value == decisive => return Ok(Value::Bool(decisive)),
            Some(_) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown { Value::Null } else { Value::Bool(!decisive) })
}

/// Evaluates `expr` against `row`.
pub fn eval(expr: &BoundExpr, row: &[Value], ctx: &mut ExecContext) -> Result<Value> {
    crate::stack::check()?;
    Ok(match expr {
        BoundExpr::Literal(value) => value.clone(),
        BoundExpr::Column(index) => row.get(*index).cloned().ok_or_else(|| Error::internal("column out of range"))?,
        BoundExpr::OuterColumn { depth, index } => {
            let position = ctx.outer.len().checked_sub(*depth).ok_or_else(|| Error::internal("no outer row"))?;
            ctx.outer[position].get(*index).cloned().ok_or_else(|| Error::internal("outer column out of range"))?
        }
        BoundExpr::Parameter(index) => match ctx.params.get(*index) {
            Some(value) => value.clone(),
            None => {
                return Err(Error::new(sqlstate::UNDEFINED_PARAMETER, format!("there is no parameter ${}", index + 1)))
            }
        },
        BoundExpr::Binary { op, sig, left, right } => {
            let l = operand(left, row, ctx)?;
            let r = operand(right, row, ctx)?;
            if *op == scalar::BinaryOp::Concat {
                let bytes = concat_bytes(&l) + concat_bytes(&r);
                ctx.memory.value_limit().check(bytes, || functions::alloc_request_too_large(bytes))?;
            }
            scalar::eval_binary(*op, &l, &r, sig)?
        }
        BoundExpr::And(operands) => logical(operands, false, row, ctx)?,
        BoundExpr::Or(operands) => logical(operands, true, row, ctx)?,
        BoundExpr::Not(inner) => bool_value(truth(&eval(inner, row, ctx)?).map(|b| !b)),
        BoundExpr::Negate { expr, data_type } => scalar::negate(&eval(expr, row, ctx)?, data_type)?,
        BoundExpr::IsNull { expr, negated } => Value::Bool(eval(expr, row, ctx)?.is_null() != *negated),
        BoundExpr::InList { expr, list, negated } => {
            let value = eval(expr, row, ctx)?;
            if value.is_null() {
                return Ok(Value::Null);
            }
            let mut candidates = Vec::with_capacity(list.len());
            for item in list {
                candidates.push(eval(item, row, ctx)?);
            }
            membership(&value, candidates, *negated)
        }
        BoundExpr::Case { branches, else_result } => {
            for (condition, result) in branches {
                if truth(&eval(condition, row, ctx)?) == Some(true) {
                    return eval(result, row, ctx);
                }
            }
            match else_result {
                Some(result) => eval(result, row, ctx)?,
                None => Value::Null,
            }
        }
        BoundExpr::Cast { expr, from, to } => {
            let value = eval(expr, row, ctx)?;
            if value.is_null() {
                Value::Null
            } else if from.is_oid() != to.is_oid()
                && (matches!(from, DataType::Reg(_)) || matches!(to, DataType::Reg(_)))
            {
                reg_cast(value, from, to, ctx)?
            } else {
                scalar::cast(value, from, to)?
            }
        }
        BoundExpr::TruncateText { expr, length } => match eval(expr, row, ctx)? {
            Value::Text(s) if s.chars().count() > *length => Value::Text(s.chars().take(*length).collect()),
            other => other,
        },
        BoundExpr::Function { function, args } => {
            let values = eval_all(args, row, ctx)?;
            functions::invoke_scalar(function, &values, ctx.functions, ctx.memory.value_limit())?
        }
        BoundExpr::Subquery(subquery) => {
            let rows = subquery_rows(subquery, row, ctx)?;
            if rows.len() > 1 {
                return Err(Error::new(
                    sqlstate::CARDINALITY_VIOLATION,
                    "more than one row returned by a subquery used as an expression",
                ));
            }
            rows.first().and_then(|r| r.first()).cloned().unwrap_or(Value::Null)
        }
        BoundExpr::Exists { subquery, negated } => {
            let rows = subquery_rows(subquery, row, ctx)?;
            Value::Bool(rows.is_empty() == *negated)
        }
        BoundExpr::InSubquery { expr, subquery, sig, negated } => {
            let value = eval(expr, row, ctx)?;
            let cast = &BoundExpr::in_subquery_cast(subquery, sig);
            let rows = subquery_rows(subquery, row, ctx)?;
            if rows.is_empty() {
                return Ok(Value::Bool(*negated));
            }
            if value.is_null() {
                return Ok(Value::Null);
            }
            if !subquery.correlated && hashable(&value) {
                if let Some(answer) = in_hashed_set(&value, subquery.id, &rows, *cast, *negated, ctx)? {
                    return Ok(answer);
                }
            }
            let mut candidates = Vec::with_capacity(rows.len());
            for candidate in rows.iter() {
                candidates.push(match (&candidate[0], cast) {
                    (Value::Null, _) => Value::Null,
                    (v, Some((from, to))) => scalar::cast(v.clone(), from, to)?,
                    (v, None) => v.clone(),
                });
            }
            membership(&value, candidates, *negated)
        }
    })
}

/// A cast between a `reg*` type and text: the object's name, looked up in the statement's catalog (the
/// types' output and input functions).
fn reg_cast(value: Value, from: &DataType, to: &DataType, ctx: &ExecContext) -> Result<Value> {
    let catalog = &ctx.functions.catalog;
    match (from, to, &value) {
        (DataType::Reg(kind), _, Value::Int(oid)) => {
            let search_path = crate::catalog::schemas::search_path();
            let name = crate::sql::system::names::reg_output(catalog, &search_path, *kind, *oid as u32);
            scalar::cast(Value::Text(name), &DataType::Text, to)
        }
        (_, DataType::Reg(kind), Value::Text(text)) => {
            Ok(Value::Int(crate::sql::system::names::reg_input(catalog, *kind, text)? as i64))
        }
        _ => scalar::cast(value, from, to),
    }
}

/// Whether equal values of this kind always have equal key encodings (so a hash set of encodings finds
/// every equal candidate; floats are left out for -0 = +0).
fn hashable(value: &Value) -> bool {
    matches!(
        value,
        Value::Bool(_)
            | Value::Int(_)
            | Value::Text(_)
            | Value::Bytea(_)
            | Value::Uuid(_)
            | Value::Date(_)
            | Value::Timestamp(_)
            | Value::Timestamptz(_)
            | Value::Numeric(_)
    )
}

/// `value [NOT] IN (uncorrelated subquery)` through a hash set of the subquery's (cast) values, built once
/// per statement (PostgreSQL's hashed SubPlan), instead of comparing with every row for every outer row.
/// None when the set's values are not all of the value's kind (then equal values may encode differently).
fn in_hashed_set(
    value: &Value,
    id: usize,
    rows: &[Row],
    cast: Option<(crate::types::DataType, crate::types::DataType)>,
    negated: bool,
    ctx: &mut ExecContext,
) -> Result<Option<Value>> {
    if let std::collections::hash_map::Entry::Vacant(slot) = ctx.subquery_sets.entry(id) {
        let mut set = std::collections::HashSet::with_capacity(rows.len());
        let mut has_null = false;
        let mut kind = None;
        for candidate in rows {
            let candidate = match (&candidate[0], cast) {
                (Value::Null, _) => Value::Null,
                (v, Some((from, to))) => scalar::cast(v.clone(), &from, &to)?,
                (v, None) => v.clone(),
            };
            if candidate.is_null() {
                has_null = true;
                continue;
            }
            let this_kind = std::mem::discriminant(&candidate);
            if kind.get_or_insert(this_kind) != &this_kind {
                kind = None;
                set.clear();
                break;
            }
            set.insert(super::encode_values(std::slice::from_ref(&candidate)));
        }
        slot.insert(Arc::new(HashedSet { values: set, has_null, kind }));
    }
    let hashed = ctx.subquery_sets[&id].clone();
    if hashed.kind.is_some_and(|kind| kind != std::mem::discriminant(value))
        || (hashed.kind.is_none() && !hashed.values.is_empty())
    {
        return Ok(None);
    }
    if hashed.kind.is_none() && !rows.iter().all(|r| r[0].is_null()) {
        return Ok(None);
    }
    Ok(Some(if hashed.values.contains(&super::encode_values(std::slice::from_ref(value))) {
        Value::Bool(!negated)
    } else if hashed.has_null {
        Value::Null
    } else {
        Value::Bool(negated)
    }))
}

/// The hashed values of an uncorrelated `IN (subquery)`.
pub struct HashedSet {
    values: std::collections::HashSet<Vec<u8>>,
    has_null: bool,
    /// The kind of every non-NULL value (None: none, or mixed kinds — then no hashing).
    kind: Option<std::mem::Discriminant<Value>>,
}

/// `value [NOT] IN (candidates)` for a non-NULL value: TRUE on an equal candidate, else NULL if a
/// comparison was unknown (a NULL candidate), else FALSE (NOT IN: the opposite of each).
fn membership(value: &Value, candidates: Vec<Value>, negated: bool) -> Value {
    let mut saw_null = false;
    for candidate in &candidates {
        match scalar::compare(value, candidate) {
            Some(Ordering::Equal) => return Value::Bool(!negated),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    }
}

fn subquery_rows(subquery: &SubqueryPlan, row: &[Value], ctx: &mut ExecContext) -> Result<Arc<Vec<Row>>> {
    if !subquery.correlated {
        if let Some(rows) = ctx.subquery_cache.get(&subquery.id) {
            return Ok(rows.clone());
        }
    }
    let plan = ctx
        .subplans
        .iter()
        .find(|(id, _)| *id == subquery.id)
        .map(|(_, plan)| plan)
        .ok_or_else(|| Error::internal("subquery without a plan"))?;
    ctx.outer.push(row.to_vec());
    let result = super::run(plan, ctx);
    ctx.outer.pop();
    let rows = Arc::new(result?);
    if !subquery.correlated {
        ctx.subquery_cache.insert(subquery.id, rows.clone());
    }
    Ok(rows)
}
