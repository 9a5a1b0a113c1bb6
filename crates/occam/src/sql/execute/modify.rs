//! INSERT, UPDATE, DELETE and TRUNCATE (`ModifyTable`): read and compute every new row first (against a
//! shared borrow of the transaction, through the optimizer's table read), then write them, maintaining
//! every secondary index writers maintain (building or valid) and checking primary-key and unique-index
//! duplicates and CHECK constraints, then enforce FOREIGN KEYs (`referential`) and evaluate RETURNING.
//!
//! A statement with data-modifying WITH queries ([`with_modifying`]) runs each part through the same
//! functions with a `snapshot`: a copy of the transaction from before the statement, which every part
//! reads, so that no part sees another's changes (PostgreSQL's rule); an UPDATE or DELETE leaves out a row
//! another part already changed (in PostgreSQL only one of two changes to a row takes place).

use std::collections::HashSet;
use std::sync::Arc;

use super::eval::{eval, eval_all};
use super::referential;
use super::table_read::TableReader;
use super::{ExecContext, NodeStats, Planning};
use crate::catalog::{Index, Table};
use crate::error::{sqlstate, Error, Result};
use crate::session::QueryResult;
use crate::sql::functions::FunctionContext;
use crate::sql::optimize;
use crate::sql::plan::physical::{Node, PhysicalQuery};
use crate::sql::plan::{
    Arbiter, BoundExpr, ConflictPlan, ConflictUpdatePlan, DeletePlan, InsertPlan, InsertSource, ModifyingCte, Plan,
    QueryPlan, Returning, UpdatePlan, ViewColumns,
};
use crate::sql::scalar;
use crate::txn::Transaction;
use crate::types::{DataType, Row, Value};

/// What EXPLAIN ANALYZE of a DML statement shows: the plan of the rows it read, with their counters.
#[derive(Debug, Default)]
pub struct DmlAnalysis {
    pub read: Option<PhysicalQuery>,
    pub stats: Vec<NodeStats>,
}

/// Runs DML for EXPLAIN ANALYZE: its result (the statement really runs, as PostgreSQL's) and the read
/// plan with its counters.
pub fn analyze_dml(
    plan: &crate::sql::plan::Plan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<(QueryResult, DmlAnalysis)> {
    use crate::sql::plan::Plan;
    let mut analysis = DmlAnalysis::default();
    let result = match plan {
        Plan::Insert(plan) => insert(plan, txn, params, functions, planning, Some(&mut analysis), None)?,
        Plan::Update(plan) => update(plan, txn, params, functions, planning, Some(&mut analysis), None)?,
        Plan::Delete(plan) => delete(plan, txn, params, functions, planning, Some(&mut analysis), None)?,
        _ => return Err(Error::internal("not DML")),
    };
    Ok((result, analysis))
}

/// The plan of the rows a DML statement reads (for EXPLAIN without ANALYZE).
pub fn plan_dml_read(plan: &crate::sql::plan::Plan, txn: &Transaction, planning: &Planning) -> Option<PhysicalQuery> {
    use crate::sql::plan::Plan;
    let env = planning.environment(txn);
    match plan {
        Plan::Insert(InsertPlan { source: InsertSource::Query { query, .. }, .. }) => {
            Some(optimize::plan_query(query, &env))
        }
        Plan::Update(UpdatePlan { joined: Some(joined), .. })
        | Plan::Delete(DeletePlan { joined: Some(joined), .. }) => Some(optimize::plan_query(joined, &env)),
        Plan::Update(update) => Some(optimize::plan_table_rows(&update.table, update.filter.as_ref(), &env)),
        Plan::Delete(delete) => Some(optimize::plan_table_rows(&delete.table, delete.filter.as_ref(), &env)),
        _ => None,
    }
}

pub fn truncate(
    tables: &[Arc<Table>],
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    // As PostgreSQL: a table other tables reference is truncated with them or not at all (and then no
    // reference is checked).
    for table in tables {
        let outside = table.referenced_by.iter().find(|(child_id, _)| !tables.iter().any(|t| t.id == *child_id));
        if let Some((child_id, _)) = outside {
            let child = functions.catalog.table_by_id(*child_id).map_or_else(String::new, |t| t.name.clone());
            return Err(Error::unsupported("cannot truncate a table referenced in a foreign key constraint")
                .with_detail(format!("Table \"{child}\" references \"{}\".", table.name))
                .with_hint(format!("Truncate table \"{child}\" at the same time, or use TRUNCATE ... CASCADE.")));
        }
    }
    for table in tables {
        let plan =
            DeletePlan { table: table.clone(), filter: None, returning: None, joined: None, merge_action: false };
        delete_rows(&plan, txn, params, functions, planning, None, None)?;
    }
    Ok(QueryResult::Command { tag: "TRUNCATE TABLE".to_string() })
}

fn dml_result(tag: String, returning: &Option<Returning>, rows: Vec<Row>) -> QueryResult {
    match returning {
        Some(returning) => QueryResult::Rows { columns: returning.columns.clone(), rows, tag },
        None => QueryResult::Command { tag },
    }
}

/// RETURNING's rows, its subqueries reading `txn`.
fn project_returning(
    returning: &Option<Returning>,
    rows: &[Row],
    txn: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<Vec<Row>> {
    let Some(returning) = returning else { return Ok(Vec::new()) };
    let view_levels = returning.view.iter().flat_map(|view| view.levels.iter().flatten());
    let exprs: Vec<&BoundExpr> = returning.projection.iter().chain(view_levels).collect();
    let plans = optimize::plan_expressions(&exprs, &planning.environment(txn));
    let mut ctx = ExecContext::for_query(txn, params, functions, &plans, &planning.memory, false);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match &returning.view {
            None => out.push(eval_all(&returning.projection, row, &mut ctx)?),
            Some(view) => {
                let row = with_view_columns(view, row, &mut ctx)?;
                out.push(eval_all(&returning.projection, &row, &mut ctx)?);
            }
        }
    }
    Ok(out)
}

/// A written row of a view's table (followed by a FROM item's columns) with the view's columns computed
/// and placed after the table's, as a statement on the view reads it.
fn with_view_columns(view: &ViewColumns, row: &[Value], ctx: &mut ExecContext) -> Result<Row> {
    let (table_row, rest) = row.split_at(view.table_width.min(row.len()));
    let mut current = table_row.to_vec();
    for level in &view.levels {
        let values = eval_all(level, &current, ctx)?;
        current.truncate(view.table_width);
        current.extend(values);
    }
    current.extend_from_slice(rest);
    Ok(current)
}

/// The CHECK OPTIONs of the views a statement writes through, with their subqueries planned.
struct ViewChecks<'p> {
    view: &'p ViewColumns,
    plans: PhysicalQuery,
}

impl<'p> ViewChecks<'p> {
    fn new(view: Option<&'p ViewColumns>, txn: &Transaction, planning: &Planning) -> Option<ViewChecks<'p>> {
        let view = view.filter(|v| !v.checks.is_empty())?;
        let last = view.checks.iter().map(|c| c.level).max().unwrap_or(0);
        let exprs: Vec<&BoundExpr> =
            view.checks.iter().map(|c| &c.condition).chain(view.levels[..last].iter().flatten()).collect();
        Some(ViewChecks { view, plans: optimize::plan_expressions(&exprs, &planning.environment(txn)) })
    }

    /// 44000 unless written table row `row` satisfies every condition (NULL does not, as in PostgreSQL),
    /// the innermost view's first.
    fn check(
        &self,
        table: &Table,
        row: &[Value],
        txn: &Transaction,
        params: &[Value],
        functions: &FunctionContext,
        planning: &Planning,
    ) -> Result<()> {
        let mut ctx = ExecContext::for_query(txn, params, functions, &self.plans, &planning.memory, false);
        let width = self.view.table_width;
        let mut current = row[..width].to_vec();
        for (level, columns) in self.view.levels.iter().enumerate() {
            for check in self.view.checks.iter().filter(|c| c.level == level) {
                if eval(&check.condition, &current, &mut ctx)? != Value::Bool(true) {
                    return Err(Error::new(
                        sqlstate::WITH_CHECK_OPTION_VIOLATION,
                        format!("new row violates check option for view \"{}\"", check.view),
                    )
                    .with_detail(failing_row(table, &row[..width])));
                }
            }
            if self.view.checks.iter().all(|c| c.level <= level) {
                break;
            }
            let values = eval_all(columns, &current, &mut ctx)?;
            current.truncate(width);
            current.extend(values);
        }
        Ok(())
    }
}

/// PostgreSQL's DETAIL of a row that breaks a constraint: `Failing row contains (1, null).`
fn failing_row(table: &Table, row: &[Value]) -> String {
    let failing: Vec<String> = table
        .visible_columns()
        .map(|(i, c)| match &row[i] {
            Value::Null => "null".to_string(),
            value => crate::types::text::format(value, &c.data_type),
        })
        .collect();
    format!("Failing row contains ({}).", failing.join(", "))
}

fn not_null_violation(table: &Table, column: usize, row: &[Value]) -> Error {
    Error::new(
        sqlstate::NOT_NULL_VIOLATION,
        format!(
            "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
            table.columns[column].name, table.name
        ),
    )
    .with_detail(failing_row(table, row))
    .with_column(&table.schema, &table.name, &table.columns[column].name)
}

/// Checks a row about to be written against the table's CHECK constraints (bound when the catalog was
/// loaded): 23514 for the first that is false (NULL passes, as in PostgreSQL).
fn check_constraints(table: &Table, row: &[Value], ctx: &mut ExecContext) -> Result<()> {
    for check in &table.checks {
        if matches!(eval(&check.expr, row, ctx)?, Value::Bool(false)) {
            return Err(Error::new(
                sqlstate::CHECK_VIOLATION,
                format!("new row for relation \"{}\" violates check constraint \"{}\"", table.name, check.name),
            )
            .with_detail(failing_row(table, row))
            .with_constraint(&table.schema, &table.name, &check.name));
        }
    }
    Ok(())
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
    .with_constraint(&table.schema, &table.name, &table.primary_key_name())
}

/// Checks NOT NULL, re-applies type modifiers (varchar(n), numeric(p,s)) and checks the CHECK constraints of
/// a row about to be written.
fn check_row(table: &Table, enforce_typmod: &[bool], row: &mut [Value], ctx: &mut ExecContext) -> Result<()> {
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
    check_constraints(table, row, ctx)
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
    let mut computed = Vec::new();
    for column in &index.columns {
        if let crate::catalog::IndexKey::Expression(expression) = &column.key {
            let bound = expression.bound.as_ref().ok_or_else(|| Error::internal("index expression not bound"))?;
            computed.push(eval(bound, row, ctx)?);
        }
    }
    Ok(Some(index.entry(table, row, &computed)))
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
                .with_detail(format!(
                    "{} already exists.",
                    index.describe_key(table, row, &index.expression_values_of_key(table, &key)?)
                ))
                .with_constraint(&table.schema, &table.name, &index.name));
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

pub fn insert(
    plan: &InsertPlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
    snapshot: Option<&Transaction>,
) -> Result<QueryResult> {
    let table = &plan.table;
    let mut rows: Vec<Row> = Vec::new();
    {
        let reads = snapshot.unwrap_or(txn);
        let values: Vec<&BoundExpr> = match &plan.source {
            InsertSource::Values(rows) => rows.iter().flatten().flatten().collect(),
            InsertSource::Query { .. } | InsertSource::Rows { .. } => Vec::new(),
        };
        let value_plans = optimize::plan_expressions(&values, &planning.environment(reads));
        let mut ctx = ExecContext::for_query(reads, params, functions, &value_plans, &planning.memory, false);
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
                if column.hidden && !column.dropped {
                    row[i] = Value::Uuid(uuid::Uuid::new_v4());
                } else if let Some(default) = &plan.defaults[i] {
                    row[i] = eval(default, &empty, ctx)?;
                }
            }
            Ok(row)
        };
        // Rows of values for the target columns (a query's, or COPY's), cast where `casts` says.
        let place_rows = |source_rows: Vec<Row>,
                          casts: &[Option<(DataType, DataType)>],
                          rows: &mut Vec<Row>,
                          ctx: &mut ExecContext|
         -> Result<()> {
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
                    ctx,
                )?;
                rows.push(row);
            }
            Ok(())
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
                if let Some(lock) = query.locking {
                    return Err(Error::unsupported(format!("{} in a subquery is not supported yet", lock.sql())));
                }
                super::check_no_nested_locking(query)?;
                let physical = optimize::plan_query(query, &planning.environment(ctx.txn));
                let source_rows = {
                    let mut read_ctx = ExecContext::for_query(
                        ctx.txn,
                        params,
                        functions,
                        &physical,
                        &planning.memory,
                        analysis.is_some(),
                    );
                    let rows = super::run(&physical.root, &mut read_ctx)?;
                    if let Some(analysis) = analysis {
                        analysis.stats = read_ctx.take_stats().unwrap_or_default();
                        analysis.read = Some(physical.clone());
                    }
                    rows
                };
                place_rows(source_rows, casts, &mut rows, &mut ctx)?;
            }
            InsertSource::Rows { rows: source_rows, .. } => {
                let no_casts = vec![None; plan.targets.len()];
                place_rows(source_rows.clone(), &no_casts, &mut rows, &mut ctx)?;
            }
        }
    }
    let hidden_key = table.has_hidden_key();
    // DO UPDATE's subqueries (in SET and WHERE), planned once.
    let conflict_exprs: Vec<&BoundExpr> = match plan.on_conflict.as_ref().and_then(|c| c.update.as_ref()) {
        Some(update) => update.assignments.iter().map(|(_, value)| value).chain(update.filter.as_ref()).collect(),
        None => Vec::new(),
    };
    let conflict_plans = optimize::plan_expressions(&conflict_exprs, &planning.environment(txn));
    let view_checks = ViewChecks::new(plan.view_check.as_ref(), txn, planning);
    // The rows inserted or updated (what the tag counts and RETURNING returns), and the keys of the rows
    // this statement wrote (DO UPDATE may not change one of them again).
    let mut written: Vec<Row> = Vec::with_capacity(rows.len());
    // Per written row, the row DO UPDATE replaced (None for an inserted row), for FOREIGN KEYs.
    let mut replaced: Vec<Option<Row>> = Vec::with_capacity(rows.len());
    let mut touched: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
    // An error in COPY's data names the line the row came from, as PostgreSQL's CONTEXT does.
    let locate = |err: Error, index: usize| match &plan.source {
        InsertSource::Rows { lines, .. } if err.context().is_none() => match lines.get(index) {
            Some(line) => err.with_context(format!("COPY {}, line {line}", table.name)),
            None => err,
        },
        _ => err,
    };
    // Every row is checked first (the checks read nothing that earlier rows write), so that the committed
    // rows at all the new keys can be looked up together; a failed check is reported once the rows before
    // it were written, where checking row by row would have reported it.
    let mut failed_check = None;
    for (index, row) in rows.iter_mut().enumerate() {
        if let Err(err) = check_row(table, &plan.enforce_typmod, row, &mut ExecContext::new(txn, params, functions)) {
            failed_check = Some(locate(err, index));
            rows.truncate(index);
            break;
        }
    }
    let keys: Vec<Vec<u8>> = rows.iter().map(|row| table.row_key_of(row)).collect();
    // The snapshot's rows at the new keys (a generated random key cannot collide: none to look up). The
    // statement's own writes (earlier rows, DO UPDATE's changes) are looked at per row, below.
    let committed_at_keys = if hidden_key { vec![None; keys.len()] } else { txn.get_committed_many(&keys)? };
    for (index, (row, key)) in rows.into_iter().zip(keys).enumerate() {
        if let Some(conflict) = &plan.on_conflict {
            if let Some(existing_key) = conflicting_row(txn, table, conflict, &row, params, functions)? {
                if let Some(update) = &conflict.update {
                    if !touched.insert(existing_key.clone()) {
                        return Err(Error::new(
                            sqlstate::CARDINALITY_VIOLATION,
                            "ON CONFLICT DO UPDATE command cannot affect row a second time",
                        )
                        .with_hint(
                            "Ensure that no rows proposed for insertion within the same command have duplicate \
                             constrained values.",
                        ));
                    }
                    if let Some((existing, updated)) = update_conflicting(
                        txn,
                        (plan, update),
                        &conflict_plans,
                        &existing_key,
                        &row,
                        params,
                        functions,
                    )? {
                        if let Some(checks) = &view_checks {
                            checks.check(table, &updated, txn, params, functions, planning)?;
                        }
                        written.push(updated);
                        replaced.push(Some(existing));
                    }
                }
                continue;
            }
        }
        // A declared key is checked against the transaction's own writes, else the snapshot.
        let taken = match txn.own_write(&key) {
            Some(own) => own.is_some(),
            None => committed_at_keys[index].is_some(),
        };
        if taken {
            return Err(locate(unique_violation(table, &row), index));
        }
        txn.put_new(key.clone(), table.encode_row(&row));
        if !table.indexes.is_empty() {
            let entries = index_entries(table, &row, &mut ExecContext::new(txn, params, functions))?;
            update_index_entries(txn, table, &row, Vec::new(), entries).map_err(|err| locate(err, index))?;
        }
        if plan.on_conflict.is_some() {
            touched.insert(key);
        }
        if let Some(checks) = &view_checks {
            checks.check(table, &row, txn, params, functions, planning).map_err(|err| locate(err, index))?;
        }
        written.push(row);
        replaced.push(None);
    }
    if let Some(err) = failed_check {
        return Err(err);
    }
    if !table.foreign_keys.is_empty() {
        let rows: Vec<_> = written.iter().zip(&replaced).map(|(new, old)| (new.as_slice(), old.as_deref())).collect();
        referential::check_parents(table, &rows, txn, functions)?;
    }
    if !table.referenced_by.is_empty() {
        let changes: Vec<_> = written
            .iter()
            .zip(&replaced)
            .filter_map(|(new, old)| old.clone().map(|old| (old, Some(new.clone()))))
            .collect();
        referential::enforce_references(table, changes, txn, params, functions, planning)?;
    }
    let tag = format!("INSERT 0 {}", written.len());
    let returned = project_returning(&plan.returning, &written, snapshot.unwrap_or(txn), params, functions, planning)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

/// The storage key of the existing row a proposed row conflicts with on one of the arbiters, if any
/// (seen at the snapshot and in the transaction's own writes, earlier rows of this statement included).
fn conflicting_row(
    txn: &Transaction,
    table: &Table,
    conflict: &ConflictPlan,
    row: &[Value],
    params: &[Value],
    functions: &FunctionContext,
) -> Result<Option<Vec<u8>>> {
    for arbiter in &conflict.arbiters {
        match arbiter {
            Arbiter::PrimaryKey => {
                let key = table.row_key_of(row);
                if txn.get(&key)?.is_some() {
                    return Ok(Some(key));
                }
            }
            Arbiter::UniqueIndex(id) => {
                let Some(index) = table.indexes.iter().find(|i| i.id == *id) else { continue };
                let entry = index_entry(table, index, row, &mut ExecContext::new(txn, params, functions))?;
                let Some((entry_key, _)) = entry else { continue };
                if let Some(existing) = txn.get(&entry_key)? {
                    let mut key = table.key_prefix.clone();
                    key.extend_from_slice(index.entry_primary_key(table, &existing)?);
                    return Ok(Some(key));
                }
            }
        }
    }
    Ok(None)
}

/// DO UPDATE of the row at `existing_key` with the proposed row as `excluded`: the existing and the new
/// row, or None when the DO UPDATE's WHERE does not hold.
#[allow(clippy::too_many_arguments)]
fn update_conflicting(
    txn: &mut Transaction,
    (plan, update): (&InsertPlan, &ConflictUpdatePlan),
    update_plans: &PhysicalQuery,
    existing_key: &[u8],
    proposed: &[Value],
    params: &[Value],
    functions: &FunctionContext,
) -> Result<Option<(Row, Row)>> {
    let table = &plan.table;
    let stored = txn.get(existing_key)?.ok_or_else(|| Error::internal("conflicting row vanished"))?;
    let existing = table.decode_row(&stored)?;
    let mut both = existing.clone();
    both.extend_from_slice(proposed);
    let mut new_row = existing.clone();
    {
        let mut ctx = ExecContext::new(txn, params, functions);
        ctx.subplans = &update_plans.subplans;
        if !super::eval::passes(update.filter.as_ref(), &both, &mut ctx)? {
            return Ok(None);
        }
        for (column, expr) in &update.assignments {
            new_row[*column] = eval(expr, &both, &mut ctx)?;
        }
        check_row(table, &plan.enforce_typmod, &mut new_row, &mut ctx)?;
    }
    let new_key = table.row_key_of(&new_row);
    if new_key.as_slice() != existing_key {
        if txn.get(&new_key)?.is_some() {
            return Err(unique_violation(table, &new_row));
        }
        txn.delete(existing_key.to_vec());
    }
    txn.put(new_key, table.encode_row(&new_row));
    if !table.indexes.is_empty() {
        let (old, new) = {
            let mut ctx = ExecContext::new(txn, params, functions);
            (index_entries(table, &existing, &mut ctx)?, index_entries(table, &new_row, &mut ctx)?)
        };
        update_index_entries(txn, table, &new_row, old, new)?;
    }
    Ok(Some((existing, new_row)))
}

/// Reads the rows of `table` that pass `filter` through the optimizer's cheapest read: (storage key, row)
/// pairs. With `analysis`, records the read plan and its counters.
/// The rows an UPDATE or DELETE changes, as (storage key, the row its expressions read): the table's row
/// that passes `filter`, or, with `joined` (UPDATE ... FROM / DELETE ... USING), the joined read's row whose
/// first columns are the table's. A table row the join finds several times counts once, as in PostgreSQL.
/// With a `snapshot` the rows are found there, and those `txn` has changed since are left out. For a
/// `merge_action` both are errors instead (`21000`, as PostgreSQL's MERGE).
#[allow(clippy::too_many_arguments)]
fn rows_to_change(
    table: &Arc<Table>,
    filter: Option<&BoundExpr>,
    joined: Option<&QueryPlan>,
    merge_action: bool,
    txn: &Transaction,
    snapshot: Option<&Transaction>,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
) -> Result<Vec<(Vec<u8>, Row)>> {
    let rows = find_rows_to_change(
        table,
        filter,
        joined,
        merge_action,
        snapshot.unwrap_or(txn),
        params,
        functions,
        planning,
        analysis,
    )?;
    let Some(snapshot) = snapshot else { return Ok(rows) };
    // A row another part of the statement changed since the snapshot is left alone.
    let mut unchanged = Vec::with_capacity(rows.len());
    for (key, row) in rows {
        if txn.get(&key)? == snapshot.get(&key)? {
            unchanged.push((key, row));
        } else if merge_action {
            return Err(merge_row_twice());
        }
    }
    Ok(unchanged)
}

/// PostgreSQL's error for a MERGE target row that more than one source row would change.
fn merge_row_twice() -> Error {
    Error::new(sqlstate::CARDINALITY_VIOLATION, "MERGE command cannot affect row a second time")
        .with_hint("Ensure that not more than one source row matches any one target row.")
}

/// [`rows_to_change`] as `txn` reads them.
#[allow(clippy::too_many_arguments)]
fn find_rows_to_change(
    table: &Arc<Table>,
    filter: Option<&BoundExpr>,
    joined: Option<&QueryPlan>,
    merge_action: bool,
    txn: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
) -> Result<Vec<(Vec<u8>, Row)>> {
    let Some(joined) = joined else {
        return read_matching(table, filter, txn, params, functions, planning, analysis);
    };
    let physical = optimize::plan_query(joined, &planning.environment(txn));
    let (rows, stats) = {
        let mut ctx = ExecContext::for_query(txn, params, functions, &physical, &planning.memory, analysis.is_some());
        let rows = super::run(&physical.root, &mut ctx)?;
        (rows, ctx.take_stats())
    };
    if let Some(analysis) = analysis {
        analysis.stats = stats.unwrap_or_default();
        analysis.read = Some(physical);
    }
    let width = table.columns.len();
    let mut seen = HashSet::with_capacity(rows.len());
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let key = table.row_key_of(&row[..width]);
        if seen.insert(key.clone()) {
            out.push((key, row));
        } else if merge_action {
            return Err(merge_row_twice());
        }
    }
    Ok(out)
}

pub(super) fn read_matching(
    table: &Arc<Table>,
    filter: Option<&BoundExpr>,
    txn: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
) -> Result<Vec<(Vec<u8>, Row)>> {
    let physical = optimize::plan_table_rows(table, filter, &planning.environment(txn));
    let Node::TableRead(read) = &physical.root.node else {
        return Err(Error::internal("a DML read plans as a table read"));
    };
    let mut ctx = ExecContext::for_query(txn, params, functions, &physical, &planning.memory, analysis.is_some());
    if let Some(stats) = ctx.stats_mut(physical.root.id) {
        stats.loops += 1;
    }
    let started = std::time::Instant::now();
    let mut reader = TableReader::open(read, &[], physical.root.id, &mut ctx)?;
    let mut out = Vec::new();
    while let Some((key, row)) = reader.next_row(&mut ctx)? {
        out.push((key.to_vec(), row));
    }
    if let Some(analysis) = analysis {
        let mut stats = ctx.take_stats().unwrap_or_default();
        if let Some(root) = stats.get_mut(physical.root.id) {
            root.rows = out.len() as u64;
            root.total = started.elapsed();
            root.startup = root.total;
        }
        analysis.stats = stats;
        analysis.read = Some(physical.clone());
    }
    Ok(out)
}

/// UPDATE's writes and its FOREIGN KEY checks as a child; the rows that reference the changed ones are the
/// caller's (`referential::enforce_references`). Returns the old rows and the new ones (followed by the
/// FROM items' columns).
pub(super) fn update_rows(
    plan: &UpdatePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
    snapshot: Option<&Transaction>,
) -> Result<(Vec<Row>, Vec<Row>)> {
    let table = &plan.table;
    let width = table.columns.len();
    // (key, old row, new row, the FROM items' columns for RETURNING)
    let mut changes: Vec<(Vec<u8>, Row, Row, Row)> = Vec::new();
    {
        let reads = rows_to_change(
            table,
            plan.filter.as_ref(),
            plan.joined.as_deref(),
            plan.merge_action,
            txn,
            snapshot,
            params,
            functions,
            planning,
            analysis,
        )?;
        let reading = snapshot.unwrap_or(txn);
        let values: Vec<&BoundExpr> = plan.assignments.iter().map(|(_, value)| value).collect();
        let value_plans = optimize::plan_expressions(&values, &planning.environment(reading));
        let mut ctx = ExecContext::for_query(reading, params, functions, &value_plans, &planning.memory, false);
        changes.reserve(reads.len());
        let others_from = if plan.joined.is_some() { width + plan.assignments.len() } else { width };
        for (key, mut read) in reads {
            let mut new = read[..width].to_vec();
            for (index, expr) in &plan.assignments {
                new[*index] = eval(expr, &read, &mut ctx)?;
            }
            let others = read.split_off(others_from.min(read.len()));
            read.truncate(width);
            changes.push((key, read, new, others));
        }
    }
    let mut new_rows = Vec::with_capacity(changes.len());
    let mut old_rows = Vec::with_capacity(changes.len());
    let view_checks = ViewChecks::new(plan.view_check.as_ref(), txn, planning);
    for (old_key, old_row, mut row, others) in changes {
        check_row(table, &plan.enforce_typmod, &mut row, &mut ExecContext::new(txn, params, functions))?;
        if !table.indexes.is_empty() {
            let mut ctx = ExecContext::new(txn, params, functions);
            let old_entries = index_entries(table, &old_row, &mut ctx)?;
            let new_entries = index_entries(table, &row, &mut ctx)?;
            update_index_entries(txn, table, &row, old_entries, new_entries)?;
        }
        let value = table.encode_row(&row);
        let new_key = if plan.changes_key { table.row_key_of(&row) } else { old_key.clone() };
        if new_key != old_key {
            txn.delete(old_key);
            if txn.get(&new_key)?.is_some() {
                return Err(unique_violation(table, &row));
            }
        }
        txn.put(new_key, value);
        if let Some(checks) = &view_checks {
            checks.check(table, &row, txn, params, functions, planning)?;
        }
        row.extend(others);
        new_rows.push(row);
        old_rows.push(old_row);
    }
    if !table.foreign_keys.is_empty() {
        let rows: Vec<_> = new_rows.iter().zip(&old_rows).map(|(new, old)| (&new[..width], Some(&old[..]))).collect();
        referential::check_parents(table, &rows, txn, functions)?;
    }
    Ok((old_rows, new_rows))
}

pub fn update(
    plan: &UpdatePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
    snapshot: Option<&Transaction>,
) -> Result<QueryResult> {
    let (old_rows, new_rows) = update_rows(plan, txn, params, functions, planning, analysis, snapshot)?;
    let table = &plan.table;
    if !table.referenced_by.is_empty() {
        let width = table.columns.len();
        let changes: Vec<_> =
            old_rows.iter().zip(&new_rows).map(|(old, new)| (old.clone(), Some(new[..width].to_vec()))).collect();
        referential::enforce_references(table, changes, txn, params, functions, planning)?;
    }
    let tag = format!("UPDATE {}", new_rows.len());
    let returned = project_returning(&plan.returning, &new_rows, snapshot.unwrap_or(txn), params, functions, planning)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

pub fn delete(
    plan: &DeletePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
    snapshot: Option<&Transaction>,
) -> Result<QueryResult> {
    let old_rows = delete_rows(plan, txn, params, functions, planning, analysis, snapshot)?;
    let table = &plan.table;
    if !table.referenced_by.is_empty() {
        let width = table.columns.len();
        let changes: Vec<_> = old_rows.iter().map(|old| (old[..width].to_vec(), None)).collect();
        referential::enforce_references(table, changes, txn, params, functions, planning)?;
    }
    delete_result(plan, &old_rows, snapshot.unwrap_or(txn), params, functions, planning)
}

/// DELETE's writes; the rows that reference the deleted ones are the caller's
/// (`referential::enforce_references`; TRUNCATE empties every referencing table too). Returns the deleted
/// rows (followed by the USING items' columns).
pub(super) fn delete_rows(
    plan: &DeletePlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    analysis: Option<&mut DmlAnalysis>,
    snapshot: Option<&Transaction>,
) -> Result<Vec<Row>> {
    let table = &plan.table;
    let reads = rows_to_change(
        table,
        plan.filter.as_ref(),
        plan.joined.as_deref(),
        plan.merge_action,
        txn,
        snapshot,
        params,
        functions,
        planning,
        analysis,
    )?;
    let width = table.columns.len();
    let mut old_rows = Vec::with_capacity(reads.len());
    for (key, read) in reads {
        txn.delete(key);
        if !table.indexes.is_empty() {
            let row = &read[..width];
            let entries = index_entries(table, row, &mut ExecContext::new(txn, params, functions))?;
            update_index_entries(txn, table, row, entries, Vec::new())?;
        }
        old_rows.push(read);
    }
    Ok(old_rows)
}

/// The result of a DELETE that removed `old_rows` (RETURNING's subqueries read `reading`).
fn delete_result(
    plan: &DeletePlan,
    old_rows: &[Row],
    reading: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    let tag = format!("DELETE {}", old_rows.len());
    let returned = project_returning(&plan.returning, old_rows, reading, params, functions, planning)?;
    Ok(dml_result(tag, &plan.returning, returned))
}

/// Runs a statement with data-modifying WITH queries (`Plan::WithModifying`): the parts the main statement
/// reads, then the main statement, then the other parts, each reading the transaction as it was before the
/// statement (see the module's notes); each part's RETURNING rows become the work table that later parts
/// read by its name. Returns the main statement's result and every DML plan run with the rows it changed
/// (for the session's counters and limits).
pub fn with_modifying<'p>(
    ctes: &'p [ModifyingCte],
    main: &'p Plan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<(QueryResult, Vec<(&'p Plan, usize)>)> {
    let mut snapshot = txn.statement_snapshot();
    let mut functions = functions.clone();
    let mut changed = Vec::with_capacity(ctes.len() + 1);
    let (before, after): (Vec<&ModifyingCte>, Vec<&ModifyingCte>) = ctes.iter().partition(|cte| cte.before);
    for cte in before {
        let result = modify_reading(&cte.plan, txn, &snapshot, params, &functions, planning)?;
        changed.push((cte.plan.as_ref(), result.rows_affected()));
        functions.with_results.push((cte.id, Arc::new(returned_rows(result))));
    }
    let result = match main {
        Plan::Query(query) if query.locking.is_some() => {
            return Err(Error::unsupported(
                "a locking clause in a statement with a data-modifying WITH query is not supported yet",
            ))
        }
        Plan::Query(_) => super::execute(main, &mut snapshot, params, &functions, planning)?,
        dml => {
            let result = modify_reading(dml, txn, &snapshot, params, &functions, planning)?;
            changed.push((dml, result.rows_affected()));
            result
        }
    };
    for cte in after {
        let result = modify_reading(&cte.plan, txn, &snapshot, params, &functions, planning)?;
        changed.push((cte.plan.as_ref(), result.rows_affected()));
        functions.with_results.push((cte.id, Arc::new(returned_rows(result))));
    }
    Ok((result, changed))
}

/// Runs INSERT, UPDATE or DELETE `plan`, finding its rows in `snapshot`.
fn modify_reading(
    plan: &Plan,
    txn: &mut Transaction,
    snapshot: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    match plan {
        Plan::Insert(insert) => self::insert(insert, txn, params, functions, planning, None, Some(snapshot)),
        Plan::Update(update) => self::update(update, txn, params, functions, planning, None, Some(snapshot)),
        Plan::Delete(delete) => self::delete(delete, txn, params, functions, planning, None, Some(snapshot)),
        _ => Err(Error::internal("a data-modifying WITH query is no INSERT, UPDATE or DELETE")),
    }
}

/// A DML result's RETURNING rows (none without RETURNING).
fn returned_rows(result: QueryResult) -> Vec<Row> {
    match result {
        QueryResult::Rows { rows, .. } => rows,
        _ => Vec::new(),
    }
}

/// Inserts a query's rows into a table made for them (`CREATE TABLE ... AS`, `CREATE MATERIALIZED VIEW`),
/// with the INSERT's result.
pub fn fill_table(
    table: Arc<Table>,
    query: &QueryPlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    let targets: Vec<usize> = table.visible_columns().map(|(i, _)| i).collect();
    let plan = InsertPlan {
        source: InsertSource::Query { query: Box::new(query.clone()), casts: vec![None; targets.len()] },
        targets,
        defaults: vec![None; table.columns.len()],
        enforce_typmod: vec![false; table.columns.len()],
        on_conflict: None,
        returning: None,
        view_check: None,
        table,
    };
    insert(&plan, txn, params, functions, planning, None, None)
}

/// `REFRESH MATERIALIZED VIEW`: the table's rows replaced by the query's.
pub fn refill_table(
    table: &Arc<Table>,
    query: &QueryPlan,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<QueryResult> {
    truncate(std::slice::from_ref(table), txn, params, functions, planning)?;
    fill_table(table.clone(), query, txn, params, functions, planning)
}
