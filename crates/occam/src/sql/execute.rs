//! The executor: runs a [`Plan`] against one [`Transaction`] and produces a [`QueryResult`].
//!
//! Queries run as the pipeline described in `sql::plan`; the source streams rows into a callback so that a
//! plain `LIMIT n` stops reading early. DML runs in phases: read and compute every new row first (against
//! a shared borrow of the transaction), then write them (checking duplicate primary keys with `get`, which
//! sees the statement's own earlier writes), then evaluate RETURNING.
//!
//! Expressions are evaluated with SQL's three-valued logic; operators, casts and functions are delegated
//! to `sql::scalar` and `sql::functions`, which the planner already resolved.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::catalog::{Index, Table};
use crate::error::{sqlstate, Error, Result};
use crate::session::QueryResult;
use crate::sql::ast::{JoinKind, SetOperator};
use crate::sql::functions::{self, Accumulator, FunctionContext};
use crate::sql::plan::{
    Access, AggregatePlan, BoundExpr, DeletePlan, InsertPlan, InsertSource, JoinPlan, JoinStrategy, Plan, QueryPlan,
    Returning, SortKey, Source, SubqueryPlan, UpdatePlan,
};
use crate::sql::scalar;
use crate::storage::keycode::encode_value;
use crate::storage::prefix_range;
use crate::txn::{RowLock, Transaction};
use crate::types::{Row, Value};

/// What expression evaluation may look at besides the current row.
pub struct ExecContext<'a> {
    pub txn: &'a Transaction,
    pub params: &'a [Value],
    pub functions: &'a FunctionContext,
    /// Rows of enclosing queries while a correlated subquery runs (innermost last).
    outer: Vec<Row>,
    /// Results of uncorrelated subqueries, computed once per statement.
    subquery_cache: HashMap<usize, Arc<Vec<Row>>>,
    /// While a locking query reads a source that is not a single table: the key of every table row read
    /// (all of them are locked, which is conservative: more conflicts, never fewer).
    read_keys: Option<Vec<Vec<u8>>>,
}

impl<'a> ExecContext<'a> {
    pub fn new(txn: &'a Transaction, params: &'a [Value], functions: &'a FunctionContext) -> Self {
        ExecContext { txn, params, functions, outer: Vec::new(), subquery_cache: HashMap::new(), read_keys: None }
    }
}

/// Runs DML or a query. DDL is executed by the session (it touches the catalog).
pub fn execute(
    plan: &Plan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    match plan {
        Plan::Query(query) => {
            let mut ctx = ExecContext::new(txn, params, functions);
            let rows = run_query(query, &mut ctx)?;
            Ok(QueryResult::Rows { columns: query.columns.clone(), tag: format!("SELECT {}", rows.len()), rows })
        }
        Plan::Insert(insert) => execute_insert(insert, txn, params, functions),
        Plan::Update(update) => execute_update(update, txn, params, functions),
        Plan::Delete(delete) => execute_delete(delete, txn, params, functions),
        Plan::Truncate { tables } => execute_truncate(tables, txn, params, functions),
        Plan::CreateTable(_)
        | Plan::DropTable { .. }
        | Plan::CreateIndex(_)
        | Plan::DropIndex { .. }
        | Plan::WaitForJob { .. }
        | Plan::Analyze { .. }
        | Plan::Access(_) => Err(Error::internal("executed by the session")),
    }
}

/// Runs a query with a locking clause: its rows are returned as by [`execute`] and the rows it read are
/// added to the transaction's conflict set with `lock`. For a single table (the usual `SELECT ... WHERE
/// ... FOR UPDATE`) exactly the rows returned are locked; for joins and subqueries every table row read.
pub fn execute_locking_query(
    query: &QueryPlan,
    lock: RowLock,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    let (rows, keys) = {
        let mut ctx = ExecContext::new(txn, params, functions);
        match &query.source {
            Source::Table { table, access } if query.aggregate.is_none() && !query.distinct => {
                lock_table_rows(query, table, access, &mut ctx)?
            }
            _ => {
                ctx.read_keys = Some(Vec::new());
                let rows = run_query(query, &mut ctx)?;
                (rows, ctx.read_keys.take().unwrap_or_default())
            }
        }
    };
    for key in keys {
        txn.lock(key, lock);
    }
    Ok(QueryResult::Rows { columns: query.columns.clone(), tag: format!("SELECT {}", rows.len()), rows })
}

/// `run_query` for one table, keeping each row's key through ORDER BY / OFFSET / LIMIT so that exactly the
/// returned rows are locked. Returns (rows, keys of the rows).
fn lock_table_rows(
    query: &QueryPlan,
    table: &Table,
    access: &Access,
    ctx: &mut ExecContext,
) -> Result<(Vec<Row>, Vec<Vec<u8>>)> {
    let limit = eval_count(query.limit.as_ref(), ctx, "LIMIT")?;
    let offset = eval_count(query.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0);
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    scan_table(table, access, ctx, &mut |ctx, key, row| {
        if passes(query.filter.as_ref(), &row, ctx)? {
            let mut projected = eval_all(&query.projection, &row, ctx)?;
            // The row's position in `keys` rides along as a last, hidden column through the sort.
            projected.push(Value::Int(keys.len() as i64));
            keys.push(key);
            rows.push(projected);
        }
        Ok(true)
    })?;
    if !query.order_by.is_empty() {
        sort_rows(&mut rows, &query.order_by);
    }
    rows.drain(..offset.min(rows.len()));
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    let mut locked = Vec::with_capacity(rows.len());
    for row in &mut rows {
        if let Some(Value::Int(position)) = row.pop() {
            locked.push(std::mem::take(&mut keys[position as usize]));
        }
        row.truncate(query.visible);
    }
    Ok((rows, locked))
}

/// TRUNCATE: deletes every row of each table, as an unfiltered DELETE (so it maintains whatever DELETE
/// maintains and conflicts like DELETE).
fn execute_truncate(
    tables: &[Arc<Table>],
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    for table in tables {
        let delete = DeletePlan { table: table.clone(), access: Access::FullScan, filter: None, returning: None };
        execute_delete(&delete, txn, params, functions)?;
    }
    Ok(QueryResult::Command { tag: "TRUNCATE TABLE".to_string() })
}

fn dml_result(tag: String, returning: &Option<Returning>, rows: Vec<Row>) -> QueryResult {
    match returning {
        Some(returning) => QueryResult::Rows { columns: returning.columns.clone(), rows, tag },
        None => QueryResult::Command { tag },
    }
}

fn project_returning(returning: &Option<Returning>, rows: &[Row], ctx: &mut ExecContext) -> Result<Vec<Row>> {
    let Some(returning) = returning else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(eval_all(&returning.projection, row, ctx)?);
    }
    Ok(out)
}

fn not_null_violation(table: &Table, column: usize, row: &[Value]) -> Error {
    let failing: Vec<String> = table
        .visible_columns()
        .map(|(i, c)| match &row[i] {
            Value::Null => "null".to_string(),
            value => crate::types::text::format(value, &c.data_type),
        })
        .collect();
    Error::new(
        sqlstate::NOT_NULL_VIOLATION,
        format!(
            "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
            table.columns[column].name, table.name
        ),
    )
    .with_detail(format!("Failing row contains ({}).", failing.join(", ")))
}

fn unique_violation(table: &Table, row: &[Value]) -> Error {
    let names: Vec<&str> = table.primary_key.iter().map(|&i| table.columns[i].name.as_str()).collect();
    let values: Vec<String> =
        table.primary_key.iter().map(|&i| crate::types::text::format(&row[i], &table.columns[i].data_type)).collect();
    Error::new(
        sqlstate::UNIQUE_VIOLATION,
        format!("duplicate key value violates unique constraint \"{}\"", table.primary_key_name()),
    )
    .with_detail(format!("Key ({})=({}) already exists.", names.join(", "), values.join(", ")))
}

/// Checks NOT NULL and re-applies type modifiers (varchar(n), numeric(p,s)) to a row about to be written.
fn check_row(table: &Table, enforce_typmod: &[bool], row: &mut [Value]) -> Result<()> {
    for (i, column) in table.columns.iter().enumerate() {
        if row[i].is_null() {
            if column.not_null {
                return Err(not_null_violation(table, i, row));
            }
            continue;
        }
        if enforce_typmod[i] {
            let value = std::mem::replace(&mut row[i], Value::Null);
            row[i] = scalar::cast(value, &column.data_type, &column.data_type)?;
        }
    }
    Ok(())
}

// ---- secondary index maintenance ----

/// One index entry: storage key and value.
type IndexEntry = (Vec<u8>, Vec<u8>);

/// The entry of `row` in `index`, or None if a partial index's predicate does not hold for it.
pub fn index_entry(table: &Table, index: &Index, row: &[Value], ctx: &mut ExecContext) -> Result<Option<IndexEntry>> {
    if let Some(predicate) = &index.predicate {
        if !matches!(eval(predicate, row, ctx)?, Value::Bool(true)) {
            return Ok(None);
        }
    }
    Ok(Some(index.entry(table, row)))
}

/// The entries of `row` in every index writers maintain (building or valid), in `table.indexes` order.
fn index_entries(table: &Table, row: &[Value], ctx: &mut ExecContext) -> Result<Vec<Option<IndexEntry>>> {
    table.indexes.iter().map(|index| index_entry(table, index, row, ctx)).collect()
}

/// Writes an entry, first checking a unique index for another row with the same key (23505).
fn put_index_entry(
    txn: &mut Transaction,
    table: &Table,
    index: &Index,
    row: &[Value],
    entry: IndexEntry,
) -> Result<()> {
    let (key, value) = entry;
    if index.unique {
        if let Some(existing) = txn.get(&key)? {
            if !existing.starts_with(index.entry_primary_key(table, &value)?) {
                return Err(Error::new(
                    sqlstate::UNIQUE_VIOLATION,
                    format!("duplicate key value violates unique constraint \"{}\"", index.name),
                )
                .with_detail(format!("{} already exists.", index.describe_key(table, row))));
            }
        }
    }
    txn.put(key, value);
    Ok(())
}

/// Replaces a row's old entries (None for an inserted row) with its new ones (None for a deleted row).
fn update_index_entries(
    txn: &mut Transaction,
    table: &Table,
    row: &[Value],
    old: Vec<Option<IndexEntry>>,
    new: Vec<Option<IndexEntry>>,
) -> Result<()> {
    for (i, index) in table.indexes.iter().enumerate() {
        let old_entry = old.get(i).cloned().flatten();
        let new_entry = new.get(i).cloned().flatten();
        if old_entry == new_entry {
            continue;
        }
        match (old_entry, new_entry) {
            // Same key, other value (INCLUDE columns, or the row moved to a new primary key): still this
            // row's entry, so no uniqueness check.
            (Some((old_key, _)), Some((new_key, value))) if old_key == new_key => txn.put(new_key, value),
            (old_entry, new_entry) => {
                if let Some((old_key, _)) = old_entry {
                    txn.delete(old_key);
                }
                if let Some(entry) = new_entry {
                    put_index_entry(txn, table, index, row, entry)?;
                }
            }
        }
    }
    Ok(())
}

fn execute_insert(
    plan: &InsertPlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    let table = &plan.table;
    let mut rows: Vec<Row> = Vec::new();
    {
        let mut ctx = ExecContext::new(txn, params, functions);
        let empty: Row = Vec::new();
        let fill_row = |provided: &mut dyn FnMut(&mut Row, &mut ExecContext) -> Result<Vec<bool>>,
                        ctx: &mut ExecContext|
         -> Result<Row> {
            let mut row = vec![Value::Null; table.columns.len()];
            let set = provided(&mut row, ctx)?;
            for (i, column) in table.columns.iter().enumerate() {
                if set[i] {
                    continue;
                }
                if column.hidden {
                    row[i] = Value::Uuid(uuid::Uuid::new_v4());
                } else if let Some(default) = &plan.defaults[i] {
                    row[i] = eval(default, &empty, ctx)?;
                }
            }
            Ok(row)
        };
        match &plan.source {
            InsertSource::Values(values) => {
                rows.reserve(values.len());
                for value_row in values {
                    let row = fill_row(
                        &mut |row: &mut Row, ctx: &mut ExecContext| {
                            let mut set = vec![false; table.columns.len()];
                            for (expr, &target) in value_row.iter().zip(&plan.targets) {
                                if let Some(expr) = expr {
                                    row[target] = eval(expr, &empty, ctx)?;
                                    set[target] = true;
                                }
                            }
                            Ok(set)
                        },
                        &mut ctx,
                    )?;
                    rows.push(row);
                }
            }
            InsertSource::Query { query, casts } => {
                let source_rows = run_query(query, &mut ctx)?;
                rows.reserve(source_rows.len());
                for source_row in source_rows {
                    let mut source_row = Some(source_row);
                    let row = fill_row(
                        &mut |row: &mut Row, _ctx: &mut ExecContext| {
                            let mut set = vec![false; table.columns.len()];
                            let values = source_row.take().unwrap_or_default();
                            for ((value, &target), cast) in values.into_iter().zip(&plan.targets).zip(casts) {
                                row[target] = match cast {
                                    Some((from, to)) => scalar::cast(value, from, to)?,
                                    None => value,
                                };
                                set[target] = true;
                            }
                            Ok(set)
                        },
                        &mut ctx,
                    )?;
                    rows.push(row);
                }
            }
        }
    }
    let hidden_key = table.has_hidden_key();
    for row in &mut rows {
        check_row(table, &plan.enforce_typmod, row)?;
        let key = table.row_key_of(row);
        // A generated random key cannot collide; a declared key is checked against the snapshot and the
        // transaction's own writes (including earlier rows of this statement).
        if !hidden_key && txn.get(&key)?.is_some() {
            return Err(unique_violation(table, row));
        }
        txn.put(key, table.encode_row(row));
        if !table.indexes.is_empty() {
            let entries = index_entries(table, row, &mut ExecContext::new(txn, params, functions))?;
            update_index_entries(txn, table, row, Vec::new(), entries)?;
        }
    }
    let tag = format!("INSERT 0 {}", rows.len());
    let mut ctx = ExecContext::new(txn, params, functions);
    let returned = project_returning(&plan.returning, &rows, &mut ctx)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

/// Reads the rows of `table` selected by `access` and `filter`: (storage key, row) pairs.
fn read_matching(
    table: &Table,
    access: &Access,
    filter: Option<&BoundExpr>,
    ctx: &mut ExecContext,
) -> Result<Vec<(Vec<u8>, Row)>> {
    let mut out = Vec::new();
    scan_table(table, access, ctx, &mut |ctx, key, row| {
        if passes(filter, &row, ctx)? {
            out.push((key, row));
        }
        Ok(true)
    })?;
    Ok(out)
}

fn execute_update(
    plan: &UpdatePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    let table = &plan.table;
    let mut changes: Vec<(Vec<u8>, Row, Row)> = Vec::new();
    {
        let mut ctx = ExecContext::new(txn, params, functions);
        let matching = read_matching(table, &plan.access, plan.filter.as_ref(), &mut ctx)?;
        changes.reserve(matching.len());
        for (key, old) in matching {
            let mut new = old.clone();
            for (index, expr) in &plan.assignments {
                new[*index] = eval(expr, &old, &mut ctx)?;
            }
            changes.push((key, old, new));
        }
    }
    let mut new_rows = Vec::with_capacity(changes.len());
    for (old_key, old_row, mut row) in changes {
        check_row(table, &plan.enforce_typmod, &mut row)?;
        if !table.indexes.is_empty() {
            let mut ctx = ExecContext::new(txn, params, functions);
            let old_entries = index_entries(table, &old_row, &mut ctx)?;
            let new_entries = index_entries(table, &row, &mut ctx)?;
            update_index_entries(txn, table, &row, old_entries, new_entries)?;
        }
        let value = table.encode_row(&row);
        if plan.changes_key {
            let new_key = table.row_key_of(&row);
            if new_key != old_key {
                txn.delete(old_key);
                if txn.get(&new_key)?.is_some() {
                    return Err(unique_violation(table, &row));
                }
                txn.put(new_key, value);
                new_rows.push(row);
                continue;
            }
        }
        txn.put(old_key, value);
        new_rows.push(row);
    }
    let tag = format!("UPDATE {}", new_rows.len());
    let mut ctx = ExecContext::new(txn, params, functions);
    let returned = project_returning(&plan.returning, &new_rows, &mut ctx)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

fn execute_delete(
    plan: &DeletePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
) -> Result<QueryResult> {
    let matching = {
        let mut ctx = ExecContext::new(txn, params, functions);
        read_matching(&plan.table, &plan.access, plan.filter.as_ref(), &mut ctx)?
    };
    let table = &plan.table;
    let mut old_rows = Vec::with_capacity(matching.len());
    for (key, row) in matching {
        txn.delete(key);
        if !table.indexes.is_empty() {
            let entries = index_entries(table, &row, &mut ExecContext::new(txn, params, functions))?;
            update_index_entries(txn, table, &row, entries, Vec::new())?;
        }
        old_rows.push(row);
    }
    let tag = format!("DELETE {}", old_rows.len());
    let mut ctx = ExecContext::new(txn, params, functions);
    let returned = project_returning(&plan.returning, &old_rows, &mut ctx)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

// ---- queries ----

type RowCallback<'f> = dyn FnMut(&mut ExecContext, Row) -> Result<bool> + 'f;
/// Receives (storage key, row) of each table row read; returns false to stop.
type KeyedRowCallback<'f> = dyn FnMut(&mut ExecContext, Vec<u8>, Row) -> Result<bool> + 'f;

fn eval_count(expr: Option<&BoundExpr>, ctx: &mut ExecContext, what: &str) -> Result<Option<usize>> {
    let Some(expr) = expr else { return Ok(None) };
    match eval(expr, &[], ctx)? {
        Value::Null => Ok(None),
        Value::Int(n) if n < 0 => {
            Err(Error::new(if what == "LIMIT" { "2201W" } else { "2201X" }, format!("{what} must not be negative")))
        }
        Value::Int(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        other => Err(Error::internal(format!("{what} evaluated to {other:?}"))),
    }
}

/// Runs a query and returns its visible rows.
pub fn run_query(plan: &QueryPlan, ctx: &mut ExecContext) -> Result<Vec<Row>> {
    crate::stack::check()?;
    if let (Some(lock), None) = (plan.locking, &ctx.read_keys) {
        // Only a statement's own query takes locks (`execute_locking_query`); one nested in a statement
        // that locks nothing would silently lock nothing.
        return Err(Error::unsupported(format!("{} in a subquery is not supported yet", lock.sql())));
    }
    let limit = eval_count(plan.limit.as_ref(), ctx, "LIMIT")?;
    let offset = eval_count(plan.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0);
    let streaming = plan.aggregate.is_none() && plan.order_by.is_empty() && !plan.distinct;
    let stop_after = if streaming { limit.map(|l| l.saturating_add(offset)) } else { None };
    if stop_after == Some(0) {
        return Ok(Vec::new());
    }
    let mut rows: Vec<Row> = Vec::new();
    match &plan.aggregate {
        None => {
            for_each_source_row(&plan.source, ctx, &mut |ctx, row| {
                if passes(plan.filter.as_ref(), &row, ctx)? {
                    rows.push(eval_all(&plan.projection, &row, ctx)?);
                    if stop_after.is_some_and(|stop| rows.len() >= stop) {
                        return Ok(false);
                    }
                }
                Ok(true)
            })?;
        }
        Some(aggregate) => {
            for row in aggregate_rows(plan, aggregate, ctx)? {
                if passes(aggregate.having.as_ref(), &row, ctx)? {
                    rows.push(eval_all(&plan.projection, &row, ctx)?);
                }
            }
        }
    }
    if plan.distinct {
        let mut seen = HashSet::with_capacity(rows.len());
        rows.retain(|row| seen.insert(encode_values(&row[..plan.visible])));
    }
    if !plan.order_by.is_empty() {
        sort_rows(&mut rows, &plan.order_by);
    }
    if offset > 0 {
        rows.drain(..offset.min(rows.len()));
    }
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    if plan.projection.len() > plan.visible {
        for row in &mut rows {
            row.truncate(plan.visible);
        }
    }
    Ok(rows)
}

fn encode_values(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 9);
    for value in values {
        encode_value(&mut out, value, false);
    }
    out
}

fn sort_rows(rows: &mut [Row], keys: &[SortKey]) {
    rows.sort_by(|a, b| {
        for key in keys {
            let (x, y) = (&a[key.column], &b[key.column]);
            let order = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => {
                    if key.nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (false, true) => {
                    if key.nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (false, false) => {
                    let order = x.total_cmp(y);
                    if key.descending {
                        order.reverse()
                    } else {
                        order
                    }
                }
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    });
}

/// Groups the filtered source rows and returns one row per group: keys ++ aggregate results.
fn aggregate_rows(plan: &QueryPlan, aggregate: &AggregatePlan, ctx: &mut ExecContext) -> Result<Vec<Row>> {
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut groups: Vec<(Row, Vec<Box<dyn Accumulator>>)> = Vec::new();
    let new_accumulators =
        || aggregate.aggregates.iter().map(|a| functions::accumulator(&a.aggregate)).collect::<Vec<_>>();
    for_each_source_row(&plan.source, ctx, &mut |ctx, row| {
        if !passes(plan.filter.as_ref(), &row, ctx)? {
            return Ok(true);
        }
        let keys = eval_all(&aggregate.group_by, &row, ctx)?;
        let encoded = encode_values(&keys);
        let position = match index.get(&encoded) {
            Some(&position) => position,
            None => {
                groups.push((keys, new_accumulators()));
                index.insert(encoded, groups.len() - 1);
                groups.len() - 1
            }
        };
        for (call, accumulator) in aggregate.aggregates.iter().zip(groups[position].1.iter_mut()) {
            match &call.arg {
                Some(arg) => accumulator.update(&eval(arg, &row, ctx)?)?,
                None => accumulator.update(&Value::Null)?,
            }
        }
        Ok(true)
    })?;
    if groups.is_empty() && aggregate.group_by.is_empty() {
        groups.push((Vec::new(), new_accumulators()));
    }
    let mut out = Vec::with_capacity(groups.len());
    for (mut keys, accumulators) in groups {
        keys.reserve(accumulators.len());
        for accumulator in &accumulators {
            keys.push(accumulator.finish()?);
        }
        out.push(keys);
    }
    Ok(out)
}

/// Feeds every row of `source` to `f` until it returns false.
fn for_each_source_row(source: &Source, ctx: &mut ExecContext, f: &mut RowCallback) -> Result<bool> {
    crate::stack::check()?;
    match source {
        Source::Single => f(ctx, Vec::new()),
        Source::Table { table, access } => scan_table(table, access, ctx, &mut |ctx, key, row| {
            if let Some(read_keys) = &mut ctx.read_keys {
                read_keys.push(key);
            }
            f(ctx, row)
        }),
        Source::System(relation) => {
            for row in (relation.rows)(ctx.txn)? {
                if !f(ctx, row)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Source::Series { start, stop, step } => {
            let start = eval(start, &[], ctx)?;
            let stop = eval(stop, &[], ctx)?;
            let step = match step {
                Some(step) => eval(step, &[], ctx)?,
                None => Value::Int(1),
            };
            let (Value::Int(start), Value::Int(stop), Value::Int(step)) = (start, stop, step) else {
                return Ok(true); // a NULL argument gives no rows
            };
            if step == 0 {
                return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
            }
            let mut current = start;
            while (step > 0 && current <= stop) || (step < 0 && current >= stop) {
                if !f(ctx, vec![Value::Int(current)])? {
                    return Ok(false);
                }
                match current.checked_add(step) {
                    Some(next) => current = next,
                    None => break,
                }
            }
            Ok(true)
        }
        Source::Values(rows) => {
            for row in rows {
                let values = eval_all(row, &[], ctx)?;
                if !f(ctx, values)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Source::Subquery(query) => {
            for row in run_query(query, ctx)? {
                if !f(ctx, row)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Source::Cross(sources) => {
            // The first source streams; the others are materialised once and replayed per row.
            let mut rest: Vec<Vec<Row>> = Vec::with_capacity(sources.len() - 1);
            for source in &sources[1..] {
                let mut rows = Vec::new();
                for_each_source_row(source, ctx, &mut |_, row| {
                    rows.push(row);
                    Ok(true)
                })?;
                rest.push(rows);
            }
            for_each_source_row(&sources[0], ctx, &mut |ctx, row| cross_rest(row, &rest, ctx, f))
        }
        Source::Join(join) => run_join(join, ctx, f),
        Source::SetOperation { op, all, left, right } => {
            let left_rows = run_query(left, ctx)?;
            let right_rows = run_query(right, ctx)?;
            for row in set_operation_rows(*op, *all, left_rows, right_rows) {
                if !f(ctx, row)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

fn cross_rest(prefix: Row, rest: &[Vec<Row>], ctx: &mut ExecContext, f: &mut RowCallback) -> Result<bool> {
    let Some((first, others)) = rest.split_first() else { return f(ctx, prefix) };
    for row in first {
        let mut combined = Vec::with_capacity(prefix.len() + row.len());
        combined.extend_from_slice(&prefix);
        combined.extend_from_slice(row);
        if !cross_rest(combined, others, ctx, f)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Reads table rows through `access`, passing (key, row) to `f` until it returns false.
fn scan_table(table: &Table, access: &Access, ctx: &mut ExecContext, f: &mut KeyedRowCallback) -> Result<bool> {
    let txn = ctx.txn;
    match access {
        Access::FullScan => {
            let (start, end) = prefix_range(&table.key_prefix);
            for entry in txn.scan(start, end, false) {
                let (key, value) = entry?;
                let row = table.decode_row(&value)?;
                if !f(ctx, key, row)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Access::Keys(keys) => {
            let mut encoded = Vec::with_capacity(keys.len());
            'keys: for key_exprs in keys {
                let mut key = table.key_prefix.clone();
                for expr in key_exprs {
                    let value = eval(expr, &[], ctx)?;
                    if value.is_null() {
                        continue 'keys;
                    }
                    // Integer widths share one encoding, as do text and varchar, so a value of the compared
                    // type (the planner allows only those casts on the key side) encodes as stored.
                    encode_value(&mut key, &value, false);
                }
                encoded.push(key);
            }
            if encoded.len() > 1 {
                encoded.sort();
                encoded.dedup();
            }
            for key in encoded {
                if let Some(value) = txn.get(&key)? {
                    let row = table.decode_row(&value)?;
                    if !f(ctx, key, row)? {
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        }
        // A snapshot from before the index became complete must not trust it.
        Access::Index { index, .. } if txn.start_ts() < index.usable_from => {
            scan_table(table, &Access::FullScan, ctx, f)
        }
        Access::Index { index, prefix } => {
            let mut start = index.key_prefix.clone();
            for (expr, key_column) in prefix.iter().zip(&index.columns) {
                let value = eval(expr, &[], ctx)?;
                if value.is_null() {
                    return Ok(true);
                }
                // As for `Access::Keys`: the planner allowed only casts that keep the stored encoding.
                encode_value(&mut start, &value, key_column.descending);
            }
            let (from, to) = prefix_range(&start);
            let mut row_keys = Vec::new();
            for entry in txn.scan(from, to, false) {
                let (_, value) = entry?;
                let mut key = table.key_prefix.clone();
                key.extend_from_slice(index.entry_primary_key(table, &value)?);
                row_keys.push(key);
            }
            for key in row_keys {
                if let Some(value) = txn.get(&key)? {
                    let row = table.decode_row(&value)?;
                    if !f(ctx, key, row)? {
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        }
    }
}

fn passes(filter: Option<&BoundExpr>, row: &[Value], ctx: &mut ExecContext) -> Result<bool> {
    match filter {
        None => Ok(true),
        Some(filter) => Ok(matches!(eval(filter, row, ctx)?, Value::Bool(true))),
    }
}

fn eval_all(exprs: &[BoundExpr], row: &[Value], ctx: &mut ExecContext) -> Result<Row> {
    let mut out = Vec::with_capacity(exprs.len());
    for expr in exprs {
        out.push(eval(expr, row, ctx)?);
    }
    Ok(out)
}

fn truth(value: &Value) -> Option<bool> {
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
            let l = eval(left, row, ctx)?;
            let r = eval(right, row, ctx)?;
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
            let mut saw_null = false;
            for item in list {
                let candidate = eval(item, row, ctx)?;
                match scalar::compare(&value, &candidate) {
                    Some(Ordering::Equal) => return Ok(Value::Bool(!*negated)),
                    None => saw_null = true,
                    _ => {}
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(*negated)
            }
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
            functions::invoke_scalar(function, &values, ctx.functions)?
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
        BoundExpr::InSubquery { expr, subquery, cast, negated } => {
            let value = eval(expr, row, ctx)?;
            let rows = subquery_rows(subquery, row, ctx)?;
            if rows.is_empty() {
                return Ok(Value::Bool(*negated));
            }
            if value.is_null() {
                return Ok(Value::Null);
            }
            let mut saw_null = false;
            for candidate in rows.iter() {
                let candidate = match (&candidate[0], cast) {
                    (Value::Null, _) => Value::Null,
                    (v, Some((from, to))) => scalar::cast(v.clone(), from, to)?,
                    (v, None) => v.clone(),
                };
                match scalar::compare(&value, &candidate) {
                    Some(Ordering::Equal) => return Ok(Value::Bool(!*negated)),
                    None => saw_null = true,
                    _ => {}
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Bool(*negated)
            }
        }
    })
}

// ---- joins and set operations ----

/// Runs a join: the right side is read once (hashed when the plan has equi-join keys) and the left side
/// streams; LEFT / FULL joins pad unmatched left rows with NULLs, RIGHT / FULL joins emit the unmatched right
/// rows, padded, after the left side is done. A `Lookup` join reads the right table by primary key per left row.
fn run_join(join: &JoinPlan, ctx: &mut ExecContext, f: &mut RowCallback) -> Result<bool> {
    let (left_width, right_width) = (join.left_width, join.right_width);
    let keeps_left = matches!(join.kind, JoinKind::Left | JoinKind::Full);
    let keeps_right = matches!(join.kind, JoinKind::Right | JoinKind::Full);
    let condition = join.condition.as_ref();
    if let JoinStrategy::Lookup { key } = &join.strategy {
        let Source::Table { table, .. } = &join.right else {
            return Err(Error::internal("a lookup join needs a table on its right side"));
        };
        return for_each_source_row(&join.left, ctx, &mut |ctx, left_row| {
            let mut matched = false;
            if let Some(encoded) = lookup_key(table, key, &left_row, ctx)? {
                if let Some(value) = ctx.txn.get(&encoded)? {
                    let row = joined_row(&left_row, table.decode_row(&value)?, join.merged.len());
                    if passes(condition, &row, ctx)? {
                        matched = true;
                        if !emit_joined(row, &join.merged, ctx, f)? {
                            return Ok(false);
                        }
                    }
                }
            }
            if !matched && keeps_left {
                return emit_joined(null_extended(left_row, right_width), &join.merged, ctx, f);
            }
            Ok(true)
        });
    }
    let mut right_rows: Vec<Row> = Vec::new();
    for_each_source_row(&join.right, ctx, &mut |_, row| {
        right_rows.push(row);
        Ok(true)
    })?;
    let buckets = match &join.strategy {
        JoinStrategy::Hash { right_keys, .. } => {
            let mut buckets: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
            // Right keys are bound against the joined row, so they are evaluated with the left part NULL.
            let mut padded = vec![Value::Null; left_width];
            for (i, row) in right_rows.iter().enumerate() {
                padded.truncate(left_width);
                padded.extend_from_slice(row);
                if let Some(key) = hash_key(right_keys, &padded, ctx)? {
                    buckets.entry(key).or_default().push(i);
                }
            }
            Some(buckets)
        }
        _ => None,
    };
    let every_row: Vec<usize> = if buckets.is_none() { (0..right_rows.len()).collect() } else { Vec::new() };
    let mut right_matched = vec![false; if keeps_right { right_rows.len() } else { 0 }];
    let completed = for_each_source_row(&join.left, ctx, &mut |ctx, left_row| {
        let candidates: &[usize] = match (&buckets, &join.strategy) {
            (Some(buckets), JoinStrategy::Hash { left_keys, .. }) => match hash_key(left_keys, &left_row, ctx)? {
                Some(key) => buckets.get(&key).map(Vec::as_slice).unwrap_or(&[]),
                None => &[],
            },
            _ => &every_row,
        };
        let mut matched = false;
        for &i in candidates {
            let row = joined_row(&left_row, right_rows[i].iter().cloned(), join.merged.len());
            if passes(condition, &row, ctx)? {
                matched = true;
                if keeps_right {
                    right_matched[i] = true;
                }
                if !emit_joined(row, &join.merged, ctx, f)? {
                    return Ok(false);
                }
            }
        }
        if !matched && keeps_left {
            return emit_joined(null_extended(left_row, right_width), &join.merged, ctx, f);
        }
        Ok(true)
    })?;
    if !completed {
        return Ok(false);
    }
    if keeps_right {
        for (row, matched) in right_rows.into_iter().zip(right_matched) {
            if !matched {
                let mut joined = vec![Value::Null; left_width];
                joined.extend(row);
                if !emit_joined(joined, &join.merged, ctx, f)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// Appends the USING-merged columns to a joined row and passes it on.
/// A left row followed by a right row, with room for the merged USING columns appended later.
fn joined_row(left: &[Value], right: impl IntoIterator<Item = Value>, merged: usize) -> Row {
    let right = right.into_iter();
    let mut row = Vec::with_capacity(left.len() + right.size_hint().0 + merged);
    row.extend_from_slice(left);
    row.extend(right);
    row
}

/// An unmatched left row of an outer join: the right side's columns are NULL.
fn null_extended(mut left: Row, right_width: usize) -> Row {
    left.resize(left.len() + right_width, Value::Null);
    left
}

fn emit_joined(mut row: Row, merged: &[BoundExpr], ctx: &mut ExecContext, f: &mut RowCallback) -> Result<bool> {
    if !merged.is_empty() {
        let values = eval_all(merged, &row, ctx)?;
        row.extend(values);
    }
    f(ctx, row)
}

/// The encoded join key of `row`, or None when a part is NULL (NULL never equals anything).
fn hash_key(keys: &[BoundExpr], row: &[Value], ctx: &mut ExecContext) -> Result<Option<Vec<u8>>> {
    let mut out = Vec::with_capacity(keys.len() * 9);
    for key in keys {
        let value = eval(key, row, ctx)?;
        if value.is_null() {
            return Ok(None);
        }
        encode_value(&mut out, &value, false);
    }
    Ok(Some(out))
}

/// The storage key of the right table's row that a lookup join wants for `left_row` (None if a part is NULL).
fn lookup_key(table: &Table, key: &[BoundExpr], left_row: &[Value], ctx: &mut ExecContext) -> Result<Option<Vec<u8>>> {
    let mut encoded = table.key_prefix.clone();
    for expr in key {
        let value = eval(expr, left_row, ctx)?;
        if value.is_null() {
            return Ok(None);
        }
        // As for `Access::Keys`: the planner allowed only casts that keep the stored encoding.
        encode_value(&mut encoded, &value, false);
    }
    Ok(Some(encoded))
}

/// UNION / INTERSECT / EXCEPT over whole rows; rows are equal when their encodings are (NULLs equal each
/// other, as set operations treat them). Without ALL the result is distinct.
fn set_operation_rows(op: SetOperator, all: bool, mut left: Vec<Row>, right: Vec<Row>) -> Vec<Row> {
    match op {
        SetOperator::Union if all => {
            left.extend(right);
            left
        }
        SetOperator::Union => {
            let mut seen = HashSet::with_capacity(left.len() + right.len());
            left.into_iter().chain(right).filter(|row| seen.insert(encode_values(row))).collect()
        }
        SetOperator::Intersect | SetOperator::Except => {
            let mut right_counts: HashMap<Vec<u8>, usize> = HashMap::with_capacity(right.len());
            for row in &right {
                *right_counts.entry(encode_values(row)).or_default() += 1;
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for row in left {
                let key = encode_values(&row);
                let in_right = right_counts.get_mut(&key);
                let keep = match (op, all) {
                    // ALL: each right row cancels (INTERSECT: pairs with) one left row.
                    (SetOperator::Intersect, true) => match in_right {
                        Some(count) if *count > 0 => {
                            *count -= 1;
                            true
                        }
                        _ => false,
                    },
                    (SetOperator::Except, true) => match in_right {
                        Some(count) if *count > 0 => {
                            *count -= 1;
                            false
                        }
                        _ => true,
                    },
                    (SetOperator::Intersect, false) => in_right.is_some() && seen.insert(key),
                    _ => in_right.is_none() && seen.insert(key),
                };
                if keep {
                    out.push(row);
                }
            }
            out
        }
    }
}

/// The rows of a subquery: cached when uncorrelated, else run with `row` as the enclosing row.
fn subquery_rows(subquery: &SubqueryPlan, row: &[Value], ctx: &mut ExecContext) -> Result<Arc<Vec<Row>>> {
    if !subquery.correlated {
        if let Some(rows) = ctx.subquery_cache.get(&subquery.id) {
            return Ok(rows.clone());
        }
    }
    ctx.outer.push(row.to_vec());
    let result = run_query(&subquery.plan, ctx);
    ctx.outer.pop();
    let rows = Arc::new(result?);
    if !subquery.correlated {
        ctx.subquery_cache.insert(subquery.id, rows.clone());
    }
    Ok(rows)
}
