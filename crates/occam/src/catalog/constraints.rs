//! Table constraints other than the primary key: CHECK constraints live in their table's catalog row
//! (`Table::checks`, SQL text bound over the row when the catalog is loaded); a UNIQUE constraint is the
//! unique index of the same name marked as backing one (`Index::constraint`), so its enforcement, its OCC
//! behaviour (two concurrent inserters of one key write the same index key: 40001) and its use as an ON
//! CONFLICT arbiter are the unique index's.
//!
//! Names follow PostgreSQL: explicit names must be free among the table's constraints (42710), generated
//! ones are `<table>_<column>_check` (the one column a CHECK reads) or `<table>_check`, and
//! `<table>_<columns>_key`, numbered `1`, `2`, ... while the name is taken by any constraint (or, for a
//! unique constraint, any relation) in the schema.

use super::{
    next_id, relation_exists, table_prefix, write_index, CheckConstraint, Index, IndexKeyColumn, IndexState, Table,
};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{ConstraintKind, CreateTable, TableConstraint};
use crate::txn::Transaction;

/// Every constraint name a table has: its primary key's (when declared), its CHECKs' and its unique
/// constraints'.
pub fn constraint_names(table: &Table) -> Vec<String> {
    let mut names = Vec::new();
    if !table.has_hidden_key() {
        names.push(table.primary_key_name());
    }
    names.extend(table.checks.iter().map(|c| c.name.clone()));
    names.extend(table.indexes.iter().filter(|i| i.constraint).map(|i| i.name.clone()));
    names
}

/// Whether some table's constraint is named `name` (`new`: the table being changed, whose definition in
/// `txn` may be older than the caller's).
fn constraint_name_taken(txn: &Transaction, new: &Table, name: &str) -> Result<bool> {
    if constraint_names(new).iter().any(|n| n == name) {
        return Ok(true);
    }
    for table in super::load_tables(txn)? {
        if table.id != new.id && constraint_names(&table).iter().any(|n| n == name) {
            return Ok(true);
        }
    }
    // Unique constraints of other tables: their indexes' rows.
    Ok(super::read_index(txn, name)?.is_some_and(|i| i.constraint && i.table_id != new.id))
}

/// CREATE TABLE's constraints without the redundant UNIQUE ones, as PostgreSQL drops them: one over the
/// primary key's columns (`a int PRIMARY KEY UNIQUE`) or over an earlier one's (in the same order), whose
/// name the earlier one takes if it had none.
pub fn without_redundant_unique(create: &CreateTable) -> Vec<TableConstraint> {
    let mut kept: Vec<TableConstraint> = Vec::with_capacity(create.constraints.len());
    for constraint in &create.constraints {
        if let ConstraintKind::Unique { columns } = &constraint.kind {
            if *columns == create.primary_key {
                continue;
            }
            let earlier =
                kept.iter_mut().find(|k| matches!(&k.kind, ConstraintKind::Unique { columns: c } if c == columns));
            if let Some(earlier) = earlier {
                if earlier.name.is_none() {
                    earlier.name = constraint.name.clone();
                }
                continue;
            }
        }
        kept.push(constraint.clone());
    }
    kept
}

/// PostgreSQL's generated name: `base`, then `base1`, `base2`, ... while `taken`.
fn first_free(base: String, mut taken: impl FnMut(&str) -> Result<bool>) -> Result<String> {
    let mut candidate = base.clone();
    let mut n = 0;
    while taken(&candidate)? {
        n += 1;
        candidate = format!("{base}{n}");
    }
    Ok(candidate)
}

/// Adds `constraint` to `table` inside `txn`: a CHECK joins `table.checks` (the caller stores the
/// definition); a UNIQUE constraint's index is created valid at once, which only an empty table (CREATE
/// TABLE's) allows.
/// `creating`: the table is CREATE TABLE's, so a name taken is taken by the same statement.
pub fn add_constraint(
    txn: &mut Transaction,
    table: &mut Table,
    constraint: &TableConstraint,
    creating: bool,
) -> Result<()> {
    if let Some(name) = &constraint.name {
        if constraint_names(table).contains(name) {
            let message = match (&constraint.kind, creating) {
                (ConstraintKind::Check(_), true) => format!("check constraint \"{name}\" already exists"),
                _ => format!("constraint \"{name}\" for relation \"{}\" already exists", table.name),
            };
            return Err(Error::new(sqlstate::DUPLICATE_OBJECT, message));
        }
    }
    match &constraint.kind {
        ConstraintKind::Check(expr) => {
            let bound = crate::sql::bind::bind_check_constraint(table, &table.name, expr)?;
            let name = match &constraint.name {
                Some(name) => name.clone(),
                None => {
                    let mut used = Vec::new();
                    bound.mark_columns(&mut used);
                    let read: Vec<usize> = (0..used.len()).filter(|&i| used[i]).collect();
                    let base = match read.as_slice() {
                        [column] => format!("{}_{}_check", table.name, table.columns[*column].name),
                        _ => format!("{}_check", table.name),
                    };
                    first_free(base, |n| constraint_name_taken(txn, table, n))?
                }
            };
            table.checks.push(CheckConstraint {
                name,
                sql: crate::sql::parse::expression_to_sql(expr),
                expr: bound,
                scope: table.name.clone(),
                validated: !constraint.not_valid,
            });
        }
        ConstraintKind::Unique { columns } => {
            let mut key = Vec::with_capacity(columns.len());
            for column in columns {
                let index = table.column_index(column).ok_or_else(|| {
                    Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{column}\" named in key does not exist"))
                })?;
                key.push(IndexKeyColumn { column: index, descending: false, nulls_first: None });
            }
            let name = match &constraint.name {
                Some(name) => name.clone(),
                None => first_free(format!("{}_{}_key", table.name, columns.join("_")), |n| {
                    Ok(relation_exists(txn, n)? || constraint_name_taken(txn, table, n)?)
                })?,
            };
            if relation_exists(txn, &name)? {
                return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists")));
            }
            let id = next_id(txn, super::index_id_counter_key(), "index")?;
            let index = Index {
                id,
                name,
                table_id: table.id,
                unique: true,
                columns: key,
                include: Vec::new(),
                predicate_sql: None,
                predicate: None,
                state: IndexState::Valid,
                constraint: true,
                // Built here, by no job.
                job_id: String::new(),
                usable_from: 0,
                key_prefix: table_prefix(table.id, id),
            };
            write_index(txn, &index);
            table.indexes.push(std::sync::Arc::new(index));
        }
    }
    Ok(())
}
