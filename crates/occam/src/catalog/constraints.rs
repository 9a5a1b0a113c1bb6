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

use std::sync::Arc;

use super::{
    next_id, relation_exists, table_prefix, write_index, CheckConstraint, ForeignKey, Index, IndexKeyColumn,
    IndexState, Table,
};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{ConstraintKind, CreateTable, ForeignKeyDef, TableConstraint};
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
    names.extend(table.foreign_keys.iter().map(|k| k.name.clone()));
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
    let key = super::schemas::relation_key(&new.schema, name);
    Ok(super::read_index(txn, &key)?.is_some_and(|i| i.constraint && i.table_id != new.id))
}

/// CREATE TABLE's constraints without the redundant UNIQUE ones, as PostgreSQL drops them: one over the
/// primary key's columns (`a int PRIMARY KEY UNIQUE`) or over an earlier one's (in the same order), whose
/// name the earlier one takes if it had none.
pub fn without_redundant_unique(create: &CreateTable) -> Vec<TableConstraint> {
    let mut kept: Vec<TableConstraint> = Vec::with_capacity(create.constraints.len());
    for constraint in &create.constraints {
        if let ConstraintKind::Unique { columns, nulls_not_distinct } = &constraint.kind {
            if *columns == create.primary_key && !nulls_not_distinct {
                continue;
            }
            let same = |kind: &ConstraintKind| matches!(kind, ConstraintKind::Unique { columns: c, nulls_not_distinct: n } if c == columns && n == nulls_not_distinct);
            let earlier = kept.iter_mut().find(|k| same(&k.kind));
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
        ConstraintKind::Unique { columns, nulls_not_distinct } => {
            let mut key = Vec::with_capacity(columns.len());
            for column in columns {
                let index = table.column_index(column).ok_or_else(|| {
                    Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{column}\" named in key does not exist"))
                })?;
                key.push(IndexKeyColumn::column(index));
            }
            let name = unique_constraint_name(txn, table, constraint.name.as_deref(), columns)?;
            if relation_exists(txn, &super::schemas::relation_key(&table.schema, &name))? {
                return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists")));
            }
            let id = next_id(txn, super::index_id_counter_key(), "index")?;
            let index = Index {
                id,
                name,
                schema: table.schema.clone(),
                table_id: table.id,
                unique: true,
                columns: key,
                include: Vec::new(),
                predicate_sql: None,
                predicate: None,
                state: IndexState::Valid,
                constraint: true,
                nulls_not_distinct: *nulls_not_distinct,
                // Built here, by no job.
                job_id: String::new(),
                usable_from: 0,
                key_prefix: table_prefix(table.id, id),
            };
            write_index(txn, &index);
            table.indexes.push(Arc::new(index));
        }
        ConstraintKind::ForeignKey(def) => {
            let key = foreign_key(txn, table, def, constraint)?;
            table.foreign_keys.push(key);
        }
    }
    Ok(())
}

/// The name of a new unique constraint over `columns`: `name` if given, else PostgreSQL's `t_a_b_key`
/// (numbered while a relation or constraint has it).
pub fn unique_constraint_name(
    txn: &Transaction,
    table: &Table,
    name: Option<&str>,
    columns: &[String],
) -> Result<String> {
    match name {
        Some(name) => Ok(name.to_string()),
        None => first_free(format!("{}_{}_key", table.name, columns.join("_")), |n| {
            Ok(relation_exists(txn, &super::schemas::relation_key(&table.schema, n))?
                || constraint_name_taken(txn, table, n)?)
        }),
    }
}

/// `ADD [CONSTRAINT name] UNIQUE USING INDEX index`: a valid, non-partial unique index of `table` becomes
/// its unique constraint, renamed to `name` if one is given (as PostgreSQL renames it).
pub fn adopt_unique_index(txn: &mut Transaction, table: &mut Table, name: Option<&str>, index: &str) -> Result<()> {
    let Some(mut definition) = super::read_index(txn, &super::schemas::relation_key(&table.schema, index))? else {
        return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("index \"{index}\" does not exist")));
    };
    if definition.table_id != table.id {
        return Err(Error::new(
            sqlstate::WRONG_OBJECT_TYPE,
            format!("index \"{index}\" does not belong to table \"{}\"", table.name),
        ));
    }
    if definition.state != IndexState::Valid {
        return Err(Error::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, format!("index \"{index}\" is not valid")));
    }
    if !definition.unique {
        return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{index}\" is not a unique index")));
    }
    if definition.predicate_sql.is_some() {
        return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{index}\" is a partial index")));
    }
    if definition.constraint {
        return Err(Error::new(
            sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("index \"{index}\" is already associated with a constraint"),
        ));
    }
    let new_name = name.unwrap_or(index).to_string();
    if constraint_names(table).contains(&new_name) {
        return Err(Error::new(
            sqlstate::DUPLICATE_OBJECT,
            format!("constraint \"{new_name}\" for relation \"{}\" already exists", table.name),
        ));
    }
    if new_name != definition.name {
        if relation_exists(txn, &super::schemas::relation_key(&table.schema, &new_name))? {
            return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{new_name}\" already exists")));
        }
        super::delete_index_definition(txn, &definition.key());
        definition.name = new_name;
    }
    definition.constraint = true;
    write_index(txn, &definition);
    table.indexes.retain(|i| i.id != definition.id);
    table.indexes.push(Arc::new(definition));
    Ok(())
}

/// `DROP CONSTRAINT name` of `table` (whose definition the caller stores): false if it has none of that
/// name. A unique constraint other tables' FOREIGN KEYs rely on: 2BP01, or with `cascade` those keys go.
/// The primary key cannot go (occam's rows are keyed by it).
pub fn drop_constraint(txn: &mut Transaction, table: &mut Table, name: &str, cascade: bool) -> Result<bool> {
    if let Some(position) = table.checks.iter().position(|c| c.name == name) {
        table.checks.remove(position);
        return Ok(true);
    }
    if let Some(position) = table.foreign_keys.iter().position(|k| k.name == name) {
        table.foreign_keys.remove(position);
        return Ok(true);
    }
    if !table.has_hidden_key() && table.primary_key_name() == name {
        return Err(Error::unsupported("dropping a primary key constraint is not supported yet"));
    }
    let Some(index) = table.indexes.iter().find(|i| i.constraint && i.name == name).cloned() else {
        return Ok(false);
    };
    // The foreign keys that find their parent row through this index (none if the primary key has the
    // same columns).
    let key_columns: Vec<usize> = index.key_table_columns().unwrap_or_default();
    if table.has_hidden_key() || !same_columns(&table.primary_key, &key_columns) {
        let what = format!("constraint {name} on table {}", table.name);
        let dependent = |key: &ForeignKey| same_columns(&key.parent_columns, &key_columns);
        drop_dependent_keys(txn, table, dependent, &what, &format!("index {name}"), cascade)?;
    }
    super::remove_index(txn, &index)?;
    table.indexes.retain(|i| i.id != index.id);
    Ok(true)
}

/// Whether two column lists hold the same columns (in any order).
fn same_columns(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
}

/// The FOREIGN KEYs referencing `table` (its own included) that `dependent` selects, before `table`'s
/// `what` goes (the thing they depend on, as PostgreSQL's DETAIL names it: `depends_on`): 2BP01, or with
/// `cascade` they are dropped (the other tables' definitions are written; `table`'s is the caller's).
pub fn drop_dependent_keys(
    txn: &mut Transaction,
    table: &mut Table,
    dependent: impl Fn(&ForeignKey) -> bool,
    what: &str,
    depends_on: &str,
    cascade: bool,
) -> Result<()> {
    let dependent = |key: &ForeignKey| key.parent_id == table.id && dependent(key);
    let mut children: Vec<Table> = super::load_tables(txn)?.into_iter().filter(|t| t.id != table.id).collect();
    let names: Vec<String> = children
        .iter()
        .chain(std::iter::once(&*table))
        .flat_map(|child| {
            child
                .foreign_keys
                .iter()
                .filter(|k| dependent(k))
                .map(move |k| format!("constraint {} on table {} depends on {depends_on}", k.name, child.name))
        })
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    if !cascade {
        return Err(Error::new(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop {what} because other objects depend on it"),
        )
        .with_detail(names.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    let table_id = table.id;
    table.foreign_keys.retain(|k| !(k.parent_id == table_id && dependent(k)));
    for child in &mut children {
        if child.foreign_keys.iter().any(&dependent) {
            child.foreign_keys.retain(|k| !dependent(k));
            let child_key = child.key();
            super::write_table(txn, child, &child_key);
        }
    }
    Ok(())
}

/// A table's definition with its indexes, as `txn` sees them (predicates not bound).
fn with_indexes(txn: &Transaction, mut table: Table) -> Result<Table> {
    table.indexes = super::load_indexes(txn)?.into_iter().filter(|i| i.table_id == table.id).map(Arc::new).collect();
    Ok(table)
}

/// Checks a FOREIGN KEY of `table` against its parent as PostgreSQL does: the referenced columns (by
/// default the primary key) must be the parent's primary key or a unique constraint's (or a valid,
/// non-partial unique index's) columns (42830), of comparable types (42804). The parent's definition is
/// written again, so a transaction that wrote the parent against the older catalog (without this reference
/// to enforce) fails at COMMIT with OC001.
fn foreign_key(
    txn: &mut Transaction,
    table: &Table,
    def: &ForeignKeyDef,
    constraint: &TableConstraint,
) -> Result<ForeignKey> {
    let parent_key = super::resolve_relation(txn, &def.parent)?;
    let parent = if parent_key.is_none() && def.parent.schema.is_none() && def.parent.name == table.name
        || parent_key.as_deref() == Some(table.key().as_str())
    {
        // The table being created refers to itself (it is not stored yet).
        table.clone()
    } else {
        let parent = parent_key
            .map(|key| super::read_table(txn, &key))
            .transpose()?
            .flatten()
            .ok_or_else(|| Error::undefined_table(&super::display_name(&def.parent)))?;
        if super::views::read(txn, super::views::Kind::Materialized, &parent.key())?.is_some() {
            return Err(Error::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("referenced relation \"{}\" is not a table", parent.name),
            ));
        }
        with_indexes(txn, parent)?
    };
    let missing_column = |name: &str| {
        Error::new(
            sqlstate::UNDEFINED_COLUMN,
            format!("column \"{name}\" referenced in foreign key constraint does not exist"),
        )
    };
    let mut columns = Vec::with_capacity(def.columns.len());
    for name in &def.columns {
        columns.push(table.column_index(name).ok_or_else(|| missing_column(name))?);
    }
    let parent_columns: Vec<usize> = if def.parent_columns.is_empty() {
        if parent.has_hidden_key() {
            return Err(Error::new(
                sqlstate::UNDEFINED_OBJECT,
                format!("there is no primary key for referenced table \"{}\"", parent.name),
            ));
        }
        parent.primary_key.clone()
    } else {
        let mut out = Vec::with_capacity(def.parent_columns.len());
        for name in &def.parent_columns {
            out.push(parent.column_index(name).ok_or_else(|| missing_column(name))?);
        }
        out
    };
    if columns.len() != parent_columns.len() {
        return Err(Error::new(
            sqlstate::INVALID_FOREIGN_KEY,
            "number of referencing and referenced columns for foreign key disagree",
        ));
    }
    let same_set = |key: &[usize]| key.len() == parent_columns.len() && key.iter().all(|c| parent_columns.contains(c));
    let unique = (!parent.has_hidden_key() && same_set(&parent.primary_key))
        || parent.indexes.iter().any(|i| {
            i.unique
                && i.state == IndexState::Valid
                && i.predicate_sql.is_none()
                && i.key_table_columns().is_some_and(|columns| same_set(&columns))
        });
    if !unique {
        return Err(Error::new(
            sqlstate::INVALID_FOREIGN_KEY,
            format!("there is no unique constraint matching given keys for referenced table \"{}\"", parent.name),
        ));
    }
    let name = match &constraint.name {
        Some(name) => name.clone(),
        None => {
            let names: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
            first_free(format!("{}_{}_fkey", table.name, names.join("_")), |n| constraint_name_taken(txn, table, n))?
        }
    };
    for (&column, &parent_column) in columns.iter().zip(&parent_columns) {
        let (child_type, parent_type) = (&table.columns[column].data_type, &parent.columns[parent_column].data_type);
        if !comparable(child_type, parent_type) {
            return Err(Error::new(
                sqlstate::DATATYPE_MISMATCH,
                format!("foreign key constraint \"{name}\" cannot be implemented"),
            )
            .with_detail(format!(
                "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                table.columns[column].name,
                parent.columns[parent_column].name,
                child_type.name(),
                parent_type.name()
            )));
        }
    }
    if parent.id != table.id {
        super::touch_definition(txn, &super::definition_key(&parent))?;
    }
    Ok(ForeignKey {
        name,
        columns,
        parent_id: parent.id,
        parent_columns,
        on_delete: def.on_delete,
        on_update: def.on_update,
        match_full: def.match_full,
        deferrable: def.deferrable,
        initially_deferred: def.initially_deferred,
        validated: !constraint.not_valid,
    })
}

/// Whether a child key column of type `child` can reference a parent column of type `parent`: both
/// integers, both floats, both strings, both dates or timestamps, or the same type (PostgreSQL asks for an
/// equality operator of the parent's index's operator family).
fn comparable(child: &crate::types::DataType, parent: &crate::types::DataType) -> bool {
    use crate::types::DataType as T;
    let numeric = |t: &T| matches!(t, T::Int2 | T::Int4 | T::Int8) || matches!(t, T::Float4 | T::Float8);
    let numeric = |a: &T, b: &T| {
        numeric(a) && numeric(b) && matches!(a, T::Float4 | T::Float8) == matches!(b, T::Float4 | T::Float8)
    };
    let string = |t: &T| matches!(t, T::Text | T::Varchar(_) | T::Char(_));
    let timestamp = |t: &T| matches!(t, T::Date | T::Timestamp | T::Timestamptz);
    numeric(child, parent)
        || (string(child) && string(parent))
        || (timestamp(child) && timestamp(parent))
        || std::mem::discriminant(child) == std::mem::discriminant(parent)
}

/// The FOREIGN KEY constraints of other tables that reference table `table_id`: each child with the names
/// of its keys that do.
pub fn references_to(txn: &Transaction, table_id: u32) -> Result<Vec<(Table, Vec<String>)>> {
    let mut out = Vec::new();
    for child in super::load_tables(txn)? {
        let names: Vec<String> =
            child.foreign_keys.iter().filter(|k| k.parent_id == table_id).map(|k| k.name.clone()).collect();
        if child.id != table_id && !names.is_empty() {
            out.push((child, names));
        }
    }
    Ok(out)
}
