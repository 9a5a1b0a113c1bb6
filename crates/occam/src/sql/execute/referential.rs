//! FOREIGN KEY enforcement, the part of ModifyTable (`modify`) that runs once a statement's rows are
//! written (as PostgreSQL's referential-integrity triggers run at the end of the statement, so a row may
//! reference a row the same statement inserts).
//!
//! Child side: each new or changed key must be present in the parent as the transaction sees it (its own
//! writes included): a point read of the parent's primary key, or of the unique index over the referenced
//! columns. The key read is registered in the transaction's conflict set as `FOR KEY SHARE` would
//! ([`RowLock::KeyShare`]): a concurrent transaction that deletes the parent row (or changes its key, which
//! deletes the old key or index entry) and commits first fails this one's COMMIT with 40001, and if this
//! one commits first, the lock version it leaves fails the deleter's COMMIT. DSQL's OCC, never a wait.
//!
//! Parent side: a deleted row, or an updated row whose referenced key changed, looks for the rows that
//! reference its old key (a read of the child table by its key columns, through the optimizer's cheapest
//! access path, so an index on them is used). NO ACTION / RESTRICT fail with 23503 if any remain; CASCADE,
//! SET NULL and SET DEFAULT delete or update them through the same DELETE / UPDATE code, so the children's
//! own constraints hold; the rows a cascade changes are enforced in turn from a queue, level by level (no
//! recursion, however deep the chain). A concurrent child insert that found the parent row holds its
//! key-share lock, so the two conflict at COMMIT whichever commits first.
//!
//! A deferred key (`DEFERRABLE INITIALLY DEFERRED`, or `SET CONSTRAINTS ... DEFERRED`) queues its child-side
//! checks and its NO ACTION parent-side checks in the transaction instead (`txn::DeferredConstraints`);
//! [`run_deferred`] runs them against the transaction as it is at COMMIT (or at `SET CONSTRAINTS ...
//! IMMEDIATE`), before the commit validates, so the key-share locks they take still conflict as above.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use super::Planning;
use crate::catalog::{ForeignKey, IndexState, Table};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::ReferentialAction;
use crate::sql::functions::FunctionContext;
use crate::sql::plan::{BoundExpr, DeletePlan, UpdatePlan};
use crate::sql::scalar::{self, BinaryOp};
use crate::txn::{ConstraintId, DeferredCheck, RowLock, Transaction};
use crate::types::{Row, Value};

/// A changed row of a referenced table: the old row and the new one (None: deleted).
pub type RowChange = (Row, Option<Row>);

/// A table the statement's references lead to, from the catalog it was planned against.
fn table_by_id(functions: &FunctionContext, id: u32) -> Result<Arc<Table>> {
    functions.catalog.table_by_id(id).cloned().ok_or_else(|| Error::internal("a referenced table is missing"))
}

/// `Key (a, b)=(1, x)` for `columns` of `row` (of `table`).
fn describe_key(table: &Table, columns: &[usize], row: &[Value]) -> String {
    let names: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
    let values: Vec<String> = columns
        .iter()
        .map(|&c| match &row[c] {
            Value::Null => "null".to_string(),
            value => crate::types::text::format(value, &table.columns[c].data_type),
        })
        .collect();
    format!("Key ({})=({})", names.join(", "), values.join(", "))
}

/// Checks the FOREIGN KEYs of `table` for rows it now holds: `(new row, old row)` pairs, the old row None
/// for an inserted row. An updated row whose key columns did not change is not checked again.
pub fn check_parents(
    table: &Table,
    rows: &[(&[Value], Option<&[Value]>)],
    txn: &mut Transaction,
    functions: &FunctionContext,
) -> Result<()> {
    check_parents_of(table, rows, txn, functions, true)
}

/// [`check_parents`] at once, whether the keys are deferred or not (ALTER TABLE's checks of stored rows:
/// VALIDATE CONSTRAINT, ADD FOREIGN KEY).
pub fn check_parents_now(
    table: &Table,
    rows: &[(&[Value], Option<&[Value]>)],
    txn: &mut Transaction,
    functions: &FunctionContext,
) -> Result<()> {
    check_parents_of(table, rows, txn, functions, false)
}

fn check_parents_of(
    table: &Table,
    rows: &[(&[Value], Option<&[Value]>)],
    txn: &mut Transaction,
    functions: &FunctionContext,
    may_defer: bool,
) -> Result<()> {
    for key in &table.foreign_keys {
        let deferred = may_defer && is_deferred(txn, table.id, key);
        let mut parent: Option<Arc<Table>> = None;
        for (new, old) in rows {
            if old.is_some_and(|old| key.columns.iter().all(|&c| old[c] == new[c])) {
                continue;
            }
            if key.columns.iter().all(|&c| new[c].is_null()) {
                continue;
            }
            if deferred {
                let constraint = (table.id, key.name.clone());
                txn.deferred_constraints_mut()
                    .defer(DeferredCheck::Child { constraint, row_key: table.row_key_of(new) });
                continue;
            }
            let parent = match &parent {
                Some(parent) => parent.clone(),
                None => parent.insert(table_by_id(functions, key.parent_id)?).clone(),
            };
            check_parent_of(table, key, &parent, new, txn)?;
        }
    }
    Ok(())
}

/// Whether `txn` defers foreign key `key` of table `child_id` now (`DEFERRABLE INITIALLY DEFERRED`, or
/// `SET CONSTRAINTS`); RESTRICT, CASCADE, SET NULL and SET DEFAULT act at once whatever it says, as in
/// PostgreSQL.
fn is_deferred(txn: &Transaction, child_id: u32, key: &ForeignKey) -> bool {
    key.deferrable && txn.deferred_constraints().is_deferred(child_id, &key.name, key.initially_deferred)
}

/// 23503 unless child row `row` of `table` has the parent row its key `key` references (or a NULL exempts
/// it, as its MATCH says).
fn check_parent_of(
    table: &Table,
    key: &ForeignKey,
    parent: &Table,
    row: &[Value],
    txn: &mut Transaction,
) -> Result<()> {
    let violation = || {
        Error::new(
            sqlstate::FOREIGN_KEY_VIOLATION,
            format!("insert or update on table \"{}\" violates foreign key constraint \"{}\"", table.name, key.name),
        )
        .on_constraint(&table.schema, &table.name, &key.name)
    };
    let nulls = key.columns.iter().filter(|&&c| row[c].is_null()).count();
    if nulls == key.columns.len() || (nulls > 0 && !key.match_full) {
        return Ok(());
    }
    if nulls > 0 {
        return Err(violation().with_detail("MATCH FULL does not allow mixing of null and nonnull key values."));
    }
    if parent_row_present(parent, key, table, row, txn)? {
        return Ok(());
    }
    Err(violation().with_detail(format!(
        "{} is not present in table \"{}\".",
        describe_key(table, &key.columns, row),
        parent.name
    )))
}

/// Runs the deferred checks `which` selects (COMMIT: all; `SET CONSTRAINTS ... IMMEDIATE`: those it
/// names) against the transaction as it is now: 23503 for the first that fails. A check whose constraint
/// or table was dropped since is gone with it.
pub fn run_deferred(
    txn: &mut Transaction,
    which: impl Fn(&ConstraintId) -> bool,
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<()> {
    let checks = txn.deferred_constraints_mut().take(which);
    let mut checked_rows: HashSet<(ConstraintId, Vec<u8>)> = HashSet::new();
    for check in checks {
        let (table_id, name) = check.constraint();
        let Some(child) = functions.catalog.table_by_id(*table_id).cloned() else { continue };
        let Some(key) = child.foreign_keys.iter().find(|k| k.name == *name) else { continue };
        let Some(parent) = functions.catalog.table_by_id(key.parent_id).cloned() else { continue };
        match &check {
            DeferredCheck::Child { constraint, row_key } => {
                if !checked_rows.insert((constraint.clone(), row_key.clone())) {
                    continue;
                }
                // A row deleted since owes nothing; one updated since is checked as it is now.
                let Some(bytes) = txn.get(row_key)? else { continue };
                let row = child.decode_row(&bytes)?;
                check_parent_of(&child, key, &parent, &row, txn)?;
            }
            DeferredCheck::Parent { old_row, .. } => {
                if txn.get(&parent_key(&parent, key, old_row)?)?.is_some() {
                    continue;
                }
                let filter = referencing_filter(&parent, &child, key, old_row)?;
                check_not_referenced(&parent, &child, key, old_row, &filter, txn, &[], functions, planning)?;
            }
        }
    }
    Ok(())
}

/// 23503 if a row of `child` (those `filter` selects) still references `old`, a row of `table` deleted or
/// re-keyed.
#[allow(clippy::too_many_arguments)]
fn check_not_referenced(
    table: &Table,
    child: &Arc<Table>,
    key: &ForeignKey,
    old: &[Value],
    filter: &BoundExpr,
    txn: &Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<()> {
    let referencing = super::modify::read_matching(child, Some(filter), txn, params, functions, planning, None)?;
    if referencing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        sqlstate::FOREIGN_KEY_VIOLATION,
        format!(
            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
            table.name, key.name, child.name
        ),
    )
    .with_detail(format!(
        "{} is still referenced from table \"{}\".",
        describe_key(table, &key.parent_columns, old),
        child.name
    ))
    .on_constraint(&child.schema, &child.name, &key.name))
}

/// Whether `parent` holds the row `child_row`'s key references (as `txn` sees it); if so, the key read is
/// locked `FOR KEY SHARE`.
fn parent_row_present(
    parent: &Table,
    key: &ForeignKey,
    child: &Table,
    child_row: &[Value],
    txn: &mut Transaction,
) -> Result<bool> {
    // The parent row the key would match, with the referenced columns only, in the parent's types.
    let mut row = vec![Value::Null; parent.columns.len()];
    for (&column, &parent_column) in key.columns.iter().zip(&key.parent_columns) {
        let (from, to) = (&child.columns[column].data_type, &parent.columns[parent_column].data_type);
        row[parent_column] = scalar::cast(child_row[column].clone(), from, to)?;
    }
    let lookup = parent_key(parent, key, &row)?;
    if txn.get(&lookup)?.is_none() {
        return Ok(false);
    }
    txn.lock(lookup, RowLock::KeyShare);
    Ok(true)
}

/// The storage key that holds `parent`'s row with `row`'s referenced columns (no NULL among them): the
/// row's own key when they are the primary key, else the entry of the unique index over them.
fn parent_key(parent: &Table, key: &ForeignKey, row: &[Value]) -> Result<Vec<u8>> {
    let same_set = |columns: &[usize]| {
        columns.len() == key.parent_columns.len() && columns.iter().all(|c| key.parent_columns.contains(c))
    };
    Ok(if !parent.has_hidden_key() && same_set(&parent.primary_key) {
        parent.row_key_of(row)
    } else {
        let index = parent
            .indexes
            .iter()
            .find(|i| {
                i.unique
                    && i.state == IndexState::Valid
                    && i.predicate.is_none()
                    && i.key_table_columns().is_some_and(|columns| same_set(&columns))
            })
            .ok_or_else(|| Error::internal(format!("no unique index for foreign key \"{}\"", key.name)))?;
        // No NULL in the key, so the entry key is the key columns alone: the one entry of a unique index.
        index.entry(parent, row, &[]).0
    })
}

/// Enforces the FOREIGN KEYs that reference `table` for its changed rows: `(old row, new row)` pairs, the
/// new row None for a deleted row. The rows a cascade changes are enforced in turn, level by level from a
/// queue (as PostgreSQL queues its referential triggers), so a chain of cascades needs no recursion.
pub fn enforce_references(
    table: &Table,
    changes: Vec<RowChange>,
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
) -> Result<()> {
    let mut pending: VecDeque<(Arc<Table>, Vec<RowChange>)> = VecDeque::new();
    enforce_level(table, &changes, txn, params, functions, planning, &mut pending)?;
    while let Some((table, changes)) = pending.pop_front() {
        enforce_level(&table, &changes, txn, params, functions, planning, &mut pending)?;
    }
    Ok(())
}

/// One table's changed rows against the keys that reference it; the children's rows it changes join
/// `pending`.
#[allow(clippy::too_many_arguments)]
fn enforce_level(
    table: &Table,
    changes: &[RowChange],
    txn: &mut Transaction,
    params: &[Value],
    functions: &FunctionContext,
    planning: &Planning,
    pending: &mut VecDeque<(Arc<Table>, Vec<RowChange>)>,
) -> Result<()> {
    for (child_id, key) in &table.referenced_by {
        let child = table_by_id(functions, *child_id)?;
        for (old, new) in changes {
            let new = new.as_deref();
            if key.parent_columns.iter().any(|&c| old[c].is_null()) {
                continue;
            }
            if new.is_some_and(|new| key.parent_columns.iter().all(|&c| old[c] == new[c])) {
                continue;
            }
            let action = if new.is_some() { key.on_update } else { key.on_delete };
            let filter = referencing_filter(table, &child, key, old)?;
            let as_of = child.loaded_at.min(txn.start_ts());
            let still_referenced = |txn: &Transaction, filter: &BoundExpr| {
                check_not_referenced(table, &child, key, old, filter, txn, params, functions, planning)
            };
            match action {
                // NO ACTION (unlike RESTRICT) lets another row of the statement take the old key over.
                ReferentialAction::NoAction if txn.get(&parent_key(table, key, old)?)?.is_some() => {}
                // ... or of the transaction, by COMMIT, when deferred.
                ReferentialAction::NoAction if is_deferred(txn, *child_id, key) => {
                    let constraint = (*child_id, key.name.clone());
                    let check = DeferredCheck::Parent { constraint, parent: table.id, old_row: old.clone() };
                    txn.deferred_constraints_mut().defer(check);
                }
                ReferentialAction::NoAction | ReferentialAction::Restrict => still_referenced(txn, &filter)?,
                ReferentialAction::Cascade if new.is_none() => {
                    txn.depend_on_schema(crate::catalog::definition_key(&child), as_of);
                    let plan = DeletePlan {
                        table: child.clone(),
                        filter: Some(filter),
                        returning: None,
                        joined: None,
                        merge_action: false,
                    };
                    let deleted = super::modify::delete_rows(&plan, txn, params, functions, planning, None, None)?;
                    if !child.referenced_by.is_empty() && !deleted.is_empty() {
                        pending.push_back((child.clone(), deleted.into_iter().map(|row| (row, None)).collect()));
                    }
                }
                ReferentialAction::Cascade | ReferentialAction::SetNull | ReferentialAction::SetDefault => {
                    txn.depend_on_schema(crate::catalog::definition_key(&child), as_of);
                    let mut assignments = Vec::with_capacity(key.columns.len());
                    for (&column, &parent_column) in key.columns.iter().zip(&key.parent_columns) {
                        let child_type = &child.columns[column].data_type;
                        let value = match (action, new) {
                            (ReferentialAction::Cascade, Some(new)) => BoundExpr::Literal(scalar::cast(
                                new[parent_column].clone(),
                                &table.columns[parent_column].data_type,
                                child_type,
                            )?),
                            (ReferentialAction::SetDefault, _) => match &child.columns[column].default {
                                Some(default) => crate::sql::bind::check_default(
                                    &functions.catalog,
                                    default,
                                    &child.columns[column].name,
                                    child_type,
                                )?,
                                None => BoundExpr::Literal(Value::Null),
                            },
                            _ => BoundExpr::Literal(Value::Null),
                        };
                        assignments.push((column, value));
                    }
                    let mut enforce_typmod = vec![false; child.columns.len()];
                    key.columns.iter().for_each(|&c| enforce_typmod[c] = true);
                    let plan = UpdatePlan {
                        changes_key: key.columns.iter().any(|c| child.primary_key.contains(c)),
                        table: child.clone(),
                        filter: Some(filter.clone()),
                        assignments,
                        enforce_typmod,
                        returning: None,
                        joined: None,
                        view_check: None,
                        merge_action: false,
                    };
                    let (old_rows, new_rows) =
                        super::modify::update_rows(&plan, txn, params, functions, planning, None, None)?;
                    if !child.referenced_by.is_empty() && !old_rows.is_empty() {
                        let changed = old_rows.into_iter().zip(new_rows).map(|(old, new)| (old, Some(new))).collect();
                        pending.push_back((child.clone(), changed));
                    }
                    // A default equal to the old key leaves the rows as they were (and unchecked, their key
                    // unchanged): as PostgreSQL, they still reference the row that went.
                    if action == ReferentialAction::SetDefault {
                        still_referenced(txn, &filter)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// `child.k1 = v1 AND child.k2 = v2 ...` over the child's row: the rows that reference `old`'s key.
fn referencing_filter(table: &Table, child: &Table, key: &ForeignKey, old: &[Value]) -> Result<BoundExpr> {
    let mut conjuncts = Vec::with_capacity(key.columns.len());
    for (&column, &parent_column) in key.columns.iter().zip(&key.parent_columns) {
        let child_type = child.columns[column].data_type;
        let value = scalar::cast(old[parent_column].clone(), &table.columns[parent_column].data_type, &child_type)?;
        conjuncts.push(BoundExpr::Binary {
            op: BinaryOp::Eq,
            sig: scalar::binary_signature(BinaryOp::Eq, &child_type, &child_type)?,
            left: Box::new(BoundExpr::Column(column)),
            right: Box::new(BoundExpr::Literal(value)),
        });
    }
    Ok(if conjuncts.len() == 1 { conjuncts.remove(0) } else { BoundExpr::And(conjuncts) })
}
