//! ALTER TABLE: changes a table's catalog row inside the statement's transaction, never its stored rows.
//!
//! Rows are stored with every column of the definition they were written under, in order (see
//! `Table::encode_row`), so the definition only ever grows at the end and keeps what it drops:
//! - ADD COLUMN appends the column. Rows stored before it end early and read the column's *missing
//!   value*, the DEFAULT's value when the column was added (PostgreSQL 11's `attmissingval`), or NULL. A
//!   DEFAULT that is not a constant (`now()`, `nextval`) would need every row rewritten: refused on a table
//!   that has rows, like an identity or serial column there;
//! - DROP COLUMN marks the column dropped (hidden from every name and `*`, NULL in new rows), as
//!   PostgreSQL's `attisdropped`; the indexes that use it and the sequence it owns go with it;
//! - RENAME TO moves the catalog row to the new name (the table id, and so the stored rows, stay);
//! - ADD CONSTRAINT adds a CHECK or FOREIGN KEY to the definition, checking the stored rows at once unless
//!   `NOT VALID` (then VALIDATE CONSTRAINT checks them later, in the statement or, with DSQL's `ALTER TABLE
//!   ASYNC`, as a `VALIDATE_CONSTRAINT` job); a UNIQUE constraint is a unique index built as a synchronous
//!   CREATE INDEX is (COMMIT waits for its build), or an existing valid one (`USING INDEX`); DROP
//!   CONSTRAINT removes any of them.
//!
//! A statement's actions apply in order to one copy of the definition, written back once if it changed: a
//! new version of the table's catalog row, so a transaction that wrote the table against the old
//! definition fails its COMMIT with OC001, like after CREATE INDEX (`Transaction::depend_on_schema`).

use crate::catalog::{self, relation_exists, Identity, Table};
use crate::compat::Rules;
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{
    AlterTable, AlterTableAction, ColumnDef, ConstraintKind, CreateIndex, IdentitySpec, IndexColumn, IndexTarget,
};
use crate::sql::functions::FunctionContext;
use crate::sql::plan::BoundExpr;
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::{DataType, Value};

/// Runs ALTER TABLE inside `txn` for role `user`. `functions` is the statement's context: its catalog
/// resolves names (in a new DEFAULT, roles), and a column added with a DEFAULT is evaluated in it. Returns
/// the ids of the jobs it submitted: the builds of unique constraints' indexes (COMMIT waits for them), or
/// `ALTER TABLE ASYNC`'s VALIDATE_CONSTRAINT job.
pub fn execute(
    txn: &mut Transaction,
    functions: &FunctionContext,
    rules: &Rules,
    user: &str,
    alter: &AlterTable,
) -> Result<Vec<String>> {
    let found = match catalog::read_table_named(txn, &alter.name) {
        Err(err) if alter.if_exists => {
            crate::notice::skip_missing(&err);
            return Ok(Vec::new());
        }
        found => found?,
    };
    if found.is_none() {
        if let [AlterTableAction::OwnerTo { role }] = alter.actions.as_slice() {
            // PostgreSQL takes ALTER TABLE ... OWNER TO for any relation (pg_dump sends it for views and
            // sequences too).
            if let Some(id) = other_relation_id(functions, &alter.name)? {
                let role = role.as_deref().unwrap_or(user);
                if !functions.catalog.roles.exists(role) {
                    return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{role}\" does not exist")));
                }
                crate::roles::record_owner(txn, id, role);
                return Ok(Vec::new());
            }
        }
    }
    let Some(mut table) = found else {
        let missing = Error::undefined_table(&catalog::display_name(&alter.name));
        if alter.if_exists {
            crate::notice::skip_missing(&missing);
            return Ok(Vec::new());
        }
        return Err(missing);
    };
    table.indexes = catalog_indexes(txn, &table)?.into_iter().map(std::sync::Arc::new).collect();
    if alter.asynchronous {
        let [AlterTableAction::ValidateConstraint { name }] = alter.actions.as_slice() else {
            return Err(Error::unsupported("ALTER TABLE ASYNC other than VALIDATE CONSTRAINT"));
        };
        constraint_to_validate(&table, name)?;
        return Ok(vec![crate::jobs::submit_validate_constraint(txn, &table, name)]);
    }
    let original = table.clone();
    let mut jobs = Vec::new();
    for action in &alter.actions {
        apply(txn, functions, rules, user, &mut table, action, &mut jobs)?;
    }
    if table != original {
        catalog::write_table(txn, &table, &original.key());
    }
    Ok(jobs)
}

/// A constraint VALIDATE CONSTRAINT can validate, by its position in the table's definition.
enum Validatable {
    Check(usize),
    ForeignKey(usize),
}

/// The CHECK or FOREIGN KEY constraint `name` of `table` (42809 for another kind, 42704 for none).
fn constraint_to_validate(table: &Table, name: &str) -> Result<Validatable> {
    if let Some(position) = table.checks.iter().position(|c| c.name == name) {
        return Ok(Validatable::Check(position));
    }
    if let Some(position) = table.foreign_keys.iter().position(|k| k.name == name) {
        return Ok(Validatable::ForeignKey(position));
    }
    if catalog::constraints::constraint_names(table).iter().any(|n| n == name) {
        return Err(Error::new(
            sqlstate::WRONG_OBJECT_TYPE,
            format!("constraint \"{name}\" of relation \"{}\" is not a foreign key or check constraint", table.name),
        ));
    }
    Err(Error::new(
        sqlstate::UNDEFINED_OBJECT,
        format!("constraint \"{name}\" of relation \"{}\" does not exist", table.name),
    ))
}

/// VALIDATE CONSTRAINT: checks `table`'s stored rows against its CHECK or FOREIGN KEY `name` (23514 / 23503
/// as PostgreSQL words them) and marks it validated in `table` (the caller stores the definition).
pub fn validate_constraint(
    txn: &mut Transaction,
    functions: &FunctionContext,
    table: &mut Table,
    name: &str,
) -> Result<()> {
    let (start, end) = prefix_range(&table.key_prefix);
    let mut rows = Vec::new();
    for entry in txn.scan(start, end, false) {
        rows.push(table.decode_row(&entry?.1)?);
    }
    match constraint_to_validate(table, name)? {
        Validatable::Check(position) => {
            let check = &table.checks[position];
            let mut ctx = crate::sql::execute::ExecContext::new(txn, &[], functions);
            for row in &rows {
                if matches!(crate::sql::execute::eval(&check.expr, row, &mut ctx)?, Value::Bool(false)) {
                    return Err(Error::new(
                        sqlstate::CHECK_VIOLATION,
                        format!("check constraint \"{name}\" of relation \"{}\" is violated by some row", table.name),
                    ));
                }
            }
            table.checks[position].validated = true;
        }
        Validatable::ForeignKey(position) => {
            let only_this = Table { foreign_keys: vec![table.foreign_keys[position].clone()], ..table.clone() };
            let pairs: Vec<(&[Value], Option<&[Value]>)> = rows.iter().map(|r| (r.as_slice(), None)).collect();
            crate::sql::execute::check_parents_now(&only_this, &pairs, txn, functions)?;
            table.foreign_keys[position].validated = true;
        }
    }
    Ok(())
}

/// The id of the view or sequence `name` names (what ALTER TABLE ... OWNER TO may name besides tables).
fn other_relation_id(functions: &FunctionContext, name: &crate::sql::ast::ObjectName) -> Result<Option<u32>> {
    let catalog = &functions.catalog;
    if let Some(view) = catalog.find_view(name) {
        return Ok(Some(view.id));
    }
    if let Some(sequence) = catalog.sequence_named(name)? {
        return Ok(Some(sequence.id));
    }
    Ok(None)
}

/// One action of an ALTER TABLE on `table` (an IF [NOT] EXISTS that finds nothing to do returns early);
/// the jobs it submits join `jobs`.
fn apply(
    txn: &mut Transaction,
    functions: &FunctionContext,
    rules: &Rules,
    user: &str,
    table: &mut Table,
    action: &AlterTableAction,
    jobs: &mut Vec<String>,
) -> Result<()> {
    let catalog = &*functions.catalog;
    let column_of = |table: &Table, name: &str| {
        table.column_index(name).ok_or_else(|| {
            Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("column \"{name}\" of relation \"{}\" does not exist", table.name),
            )
        })
    };
    match action {
        AlterTableAction::AddColumn { column, if_not_exists } => {
            if table.column_index(&column.name).is_some() {
                let exists = Error::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{}\" of relation \"{}\" already exists", column.name, table.name),
                );
                if *if_not_exists {
                    crate::notice::skip_existing(&exists);
                    return Ok(());
                }
                return Err(exists);
            }
            add_column(txn, functions, rules, table, column)?;
        }
        AlterTableAction::DropColumn { name, if_exists } => {
            let Some(index) = table.column_index(name) else {
                let missing = column_of(table, name).unwrap_err();
                if *if_exists {
                    crate::notice::skip_missing(&missing);
                    return Ok(());
                }
                return Err(missing);
            };
            drop_column(txn, table, index)?;
        }
        AlterTableAction::SetDefault { column, default } => {
            let index = column_of(table, column)?;
            let info = &table.columns[index];
            if info.identity.is_some() && default.is_some() {
                return Err(Error::syntax(format!(
                    "column \"{column}\" of relation \"{}\" is an identity column",
                    table.name
                ))
                .with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead."));
            }
            if let Some(default) = default {
                crate::sql::bind::check_default(catalog, default, column, &info.data_type)?;
            }
            let info = &mut table.columns[index];
            if info.identity.is_none() {
                info.default = default.clone();
                info.default_sql = default.as_ref().map(crate::sql::parse::expression_to_sql);
            }
        }
        AlterTableAction::SetNotNull { column, not_null: true } => {
            let index = column_of(table, column)?;
            if table.columns[index].not_null {
                return Ok(());
            }
            if any_row(txn, table, |row| row[index].is_null())? {
                return Err(Error::new(
                    sqlstate::NOT_NULL_VIOLATION,
                    format!("column \"{column}\" of relation \"{}\" contains null values", table.name),
                ));
            }
            table.columns[index].not_null = true;
        }
        AlterTableAction::SetNotNull { column, not_null: false } => {
            let index = column_of(table, column)?;
            if table.primary_key.contains(&index) {
                return Err(Error::new(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    format!("column \"{column}\" is in a primary key"),
                ));
            }
            if table.columns[index].identity.is_some() {
                return Err(Error::new(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    format!("column \"{column}\" of relation \"{}\" is an identity column", table.name),
                ));
            }
            table.columns[index].not_null = false;
        }
        AlterTableAction::RenameTable { to } => {
            if relation_exists(txn, &catalog::schemas::relation_key(&table.schema, to))? {
                return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{to}\" already exists")));
            }
            catalog::views::follow_rename(txn, table.id, &table.name, to)?;
            table.name = to.clone();
        }
        AlterTableAction::SetSchema { schema } => set_schema(txn, table, schema)?,
        AlterTableAction::RenameColumn { from, to } => {
            let index = table
                .column_index(from)
                .ok_or_else(|| Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{from}\" does not exist")))?;
            if table.column_index(to).is_some() {
                return Err(Error::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{to}\" of relation \"{}\" already exists", table.name),
                ));
            }
            // A partial index keeps its WHERE as SQL text, which names columns; so do an expression index and a
            // CHECK constraint.
            if partial_indexes(txn, table)? {
                return Err(Error::unsupported(
                    "renaming a column of a table with a partial or expression index is not supported yet",
                ));
            }
            if table.checks.iter().any(|check| reads_column(&check.expr, index)) {
                return Err(Error::unsupported("renaming a column a CHECK constraint reads is not supported yet"));
            }
            table.columns[index].name = to.clone();
        }
        AlterTableAction::AddIdentity { column, identity } => {
            let index = column_of(table, column)?;
            add_identity(txn, rules, table, index, identity)?;
        }
        AlterTableAction::SetGenerated { column, always } => {
            let index = column_of(table, column)?;
            if table.columns[index].identity.is_none() {
                return Err(not_identity(table, column));
            }
            table.columns[index].identity = Some(if *always { Identity::Always } else { Identity::ByDefault });
        }
        AlterTableAction::DropIdentity { column, if_exists } => {
            let index = column_of(table, column)?;
            if table.columns[index].identity.is_none() {
                if *if_exists {
                    return Ok(());
                }
                return Err(not_identity(table, column));
            }
            table.columns[index].identity = None;
            crate::sequences::drop_owned_by_column(txn, table.id, index)?;
        }
        AlterTableAction::SetStorage { column } => {
            column_of(table, column)?;
        }
        AlterTableAction::OwnerTo { role } => {
            let role = role.as_deref().unwrap_or(user);
            if !catalog.roles.exists(role) {
                return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{role}\" does not exist")));
            }
            crate::roles::record_owner(txn, table.id, role);
            // The catalog row is written below too, so concurrent writers see a schema change.
        }
        AlterTableAction::AddPrimaryKey { name, columns } => {
            let columns = columns.iter().map(|c| column_of(table, c)).collect::<Result<Vec<_>>>()?;
            add_primary_key(txn, functions, rules, table, name.as_deref(), &columns)?;
        }
        AlterTableAction::AddConstraint(constraint) => match &constraint.kind {
            ConstraintKind::Unique { columns, nulls_not_distinct } => {
                // The limits of CREATE INDEX (the primary key counts as one of the table's indexes).
                rules.check_index_definition(columns.len(), table.indexes.len() + 2)?;
                for index in columns.iter().filter_map(|c| table.column_index(c)) {
                    rules.check_key_column_type(&table.columns[index].data_type)?;
                }
                let name =
                    catalog::constraints::unique_constraint_name(txn, table, constraint.name.as_deref(), columns)?;
                let create = CreateIndex {
                    name: Some(name.clone()),
                    table: crate::sql::ast::ObjectName { schema: Some(table.schema.clone()), name: table.name.clone() },
                    unique: true,
                    if_not_exists: false,
                    asynchronous: false,
                    columns: columns
                        .iter()
                        .map(|c| IndexColumn {
                            key: IndexTarget::Column(c.clone()),
                            descending: false,
                            nulls_first: None,
                        })
                        .collect(),
                    include: Vec::new(),
                    predicate: None,
                    nulls_not_distinct: *nulls_not_distinct,
                };
                jobs.extend(catalog::create_index(txn, &create)?);
                let mut index = catalog::read_index(txn, &catalog::schemas::relation_key(&table.schema, &name))?
                    .ok_or_else(|| Error::internal("index just created"))?;
                index.constraint = true;
                catalog::write_index(txn, &index);
                table.indexes.push(std::sync::Arc::new(index));
            }
            ConstraintKind::Check(_) | ConstraintKind::ForeignKey(_) => {
                catalog::constraints::add_constraint(txn, table, constraint, false)?;
                if !constraint.not_valid {
                    // The constraint just added, validated at once as PostgreSQL does.
                    let name = match &constraint.kind {
                        ConstraintKind::Check(_) => table.checks.last().map(|c| c.name.clone()),
                        _ => table.foreign_keys.last().map(|k| k.name.clone()),
                    };
                    validate_constraint(txn, functions, table, &name.unwrap_or_default())?;
                }
            }
        },
        AlterTableAction::AddUniqueUsingIndex { name, index } => {
            catalog::constraints::adopt_unique_index(txn, table, name.as_deref(), index)?;
        }
        AlterTableAction::DropConstraint { name, if_exists, cascade } => {
            if !catalog::constraints::drop_constraint(txn, table, name, *cascade)? && !*if_exists {
                return Err(Error::new(
                    sqlstate::UNDEFINED_OBJECT,
                    format!("constraint \"{name}\" of relation \"{}\" does not exist", table.name),
                ));
            }
        }
        AlterTableAction::ValidateConstraint { name } => validate_constraint(txn, functions, table, name)?,
    }
    Ok(())
}

fn add_column(
    txn: &mut Transaction,
    functions: &FunctionContext,
    rules: &Rules,
    table: &mut Table,
    def: &ColumnDef,
) -> Result<()> {
    let catalog = &*functions.catalog;
    rules.check_column_type(def.data_type)?;
    if def.serial {
        rules.check_serial(def.data_type)?;
    }
    if def.default.is_some() || def.not_null || def.identity.is_some() {
        rules.check_alter_table_constraint(false)?;
    }
    if let Some(identity) = &def.identity {
        rules.check_sequence_cache(identity.options.cache, true)?;
        rules.check_identity_type(def.data_type)?;
    }
    rules.check_column_count(table.visible_columns().count() + 1)?;
    let mut column = catalog::column_info(catalog, def)?;
    let has_rows = any_row(txn, table, |_| true)?;
    // A stable DEFAULT (a constant, `now()`) is evaluated once, for every row already stored, as PostgreSQL
    // does; a volatile one would need a value per row.
    let (missing, volatile) = match &def.default {
        Some(default) => {
            let bound = crate::sql::bind::check_default(catalog, default, &def.name, &def.data_type)?;
            if crate::sql::bind::is_volatile(&bound) {
                (None, true)
            } else {
                let mut ctx = crate::sql::execute::ExecContext::new(txn, &[], functions);
                let value = crate::sql::execute::eval(&bound, &[], &mut ctx)?;
                // The column's typmod (numeric(5,2), varchar(n)), as a stored row would get it.
                (Some(crate::sql::scalar::cast(value, &def.data_type, &def.data_type)?), false)
            }
        }
        None => (None, false),
    };
    let needs_rewrite = volatile || def.identity.is_some() || def.serial;
    if needs_rewrite && has_rows {
        return Err(Error::unsupported(
            "ALTER TABLE ADD COLUMN with a volatile default, identity or serial on a table with rows",
        ));
    }
    if column.not_null && missing.as_ref().is_none_or(Value::is_null) && has_rows {
        return Err(Error::new(
            sqlstate::NOT_NULL_VIOLATION,
            format!("column \"{}\" of relation \"{}\" contains null values", def.name, table.name),
        ));
    }
    column.missing = missing.filter(|v| !v.is_null());
    table.columns.push(column);
    let index = table.columns.len() - 1;
    catalog::create_column_sequence(txn, table, index, def)
}

fn drop_column(txn: &mut Transaction, table: &mut Table, index: usize) -> Result<()> {
    let name = table.columns[index].name.clone();
    if table.primary_key.contains(&index) {
        return Err(Error::unsupported(format!("cannot drop primary key column {name}")));
    }
    if table.visible_columns().count() == 1 && table.has_hidden_key() {
        // PostgreSQL allows a table of no columns; occam's row encoding needs none, but SELECT * of it
        // would be empty rows, which nothing else here expects.
        return Err(Error::unsupported("dropping the last column of a table"));
    }
    // As PostgreSQL, the indexes that use the column go with it.
    for index_def in catalog_indexes(txn, table)? {
        let reads_column = |e: &BoundExpr| matches!(e, BoundExpr::Column(c) if *c == index);
        let bound = catalog::bind_index(table, index_def.clone())?;
        let uses = index_def.columns.iter().any(|c| c.table_column() == Some(index))
            || index_def.include.contains(&index)
            || bound.key_expressions().any(|e| e.any(reads_column))
            || bound.predicate.as_ref().is_some_and(|p| p.any(reads_column));
        if uses {
            if index_def.state == catalog::IndexState::Building {
                crate::jobs::finish_if_running(txn, &index_def.job_id, crate::jobs::JobStatus::Cancelled, None)?;
            }
            catalog::remove_index(txn, &index_def)?;
        }
    }
    crate::sequences::drop_owned_by_column(txn, table.id, index)?;
    // As PostgreSQL, so do the CHECK constraints that read it and its FOREIGN KEYs on it; a foreign key
    // that references it keeps it (2BP01).
    table.checks.retain(|check| !reads_column(&check.expr, index));
    table.foreign_keys.retain(|key| !key.columns.contains(&index));
    let what = format!("column {name} of table {}", table.name);
    catalog::constraints::drop_dependent_keys(
        txn,
        table,
        |key| key.parent_columns.contains(&index),
        &what,
        &what,
        false,
    )?;
    let column = &mut table.columns[index];
    column.dropped = true;
    column.hidden = true;
    column.not_null = false;
    column.default = None;
    column.default_sql = None;
    column.identity = None;
    column.missing = None;
    // PostgreSQL's name for a dropped column: the name is free again.
    column.name = format!("........pg.dropped.{}........", index + 1);
    Ok(())
}

/// ADD PRIMARY KEY on a table created without one (its rows keyed by the hidden row id): the key columns
/// become NOT NULL, and every stored row is moved to its key under the new primary key, its entries in
/// the table's secondary indexes rewritten (they point at rows by primary key) - in the statement's
/// transaction, so concurrent writers of the table fail their COMMIT (OC001) as after any ALTER TABLE. The
/// hidden column stays in the definition (rows keep their value for it), no longer part of the key.
fn add_primary_key(
    txn: &mut Transaction,
    functions: &FunctionContext,
    rules: &Rules,
    table: &mut Table,
    name: Option<&str>,
    columns: &[usize],
) -> Result<()> {
    if !table.has_hidden_key() {
        return Err(Error::new(
            sqlstate::INVALID_TABLE_DEFINITION,
            format!("multiple primary keys for table \"{}\" are not allowed", table.name),
        ));
    }
    let key_name = table.primary_key_name();
    if name.is_some_and(|n| n != key_name) {
        return Err(Error::unsupported(format!("a primary key named other than \"{key_name}\"")));
    }
    if relation_exists(txn, &catalog::schemas::relation_key(&table.schema, &key_name))? {
        return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{key_name}\" already exists")));
    }
    rules.check_index_definition(columns.len(), table.indexes.len() + 1)?;
    for &column in columns {
        rules.check_key_column_type(&table.columns[column].data_type)?;
    }
    let (start, end) = prefix_range(&table.key_prefix);
    let mut rows = Vec::new();
    for entry in txn.scan(start, end, false) {
        let (key, value) = entry?;
        rows.push((key, table.decode_row(&value)?));
    }
    for &column in columns {
        if rows.iter().any(|(_, row)| row[column].is_null()) {
            return Err(Error::new(
                sqlstate::NOT_NULL_VIOLATION,
                format!(
                    "column \"{}\" of relation \"{}\" contains null values",
                    table.columns[column].name, table.name
                ),
            ));
        }
        table.columns[column].not_null = true;
    }
    let old = table.clone();
    table.primary_key = columns.to_vec();
    let mut keys = std::collections::HashSet::new();
    for (_, row) in &rows {
        if !keys.insert(table.row_key_of(row)) {
            let names: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
            let values: Vec<String> =
                columns.iter().map(|&c| crate::types::text::format(&row[c], &table.columns[c].data_type)).collect();
            return Err(Error::new(
                sqlstate::UNIQUE_VIOLATION,
                format!("could not create unique index \"{key_name}\""),
            )
            .with_detail(format!("Key ({})=({}) is duplicated.", names.join(", "), values.join(", "))));
        }
    }
    for (key, _) in &rows {
        txn.delete(key.to_vec());
    }
    for (_, row) in &rows {
        txn.put(table.row_key_of(row), table.encode_row(row));
    }
    // The secondary indexes' entries name rows by the old key: each is rewritten for the new one.
    let mut ctx = crate::sql::execute::ExecContext::new(txn, &[], functions);
    let mut entries = Vec::new();
    for index in &old.indexes {
        let index = catalog::bind_index(table, (**index).clone())?;
        let (start, end) = prefix_range(&index.key_prefix);
        let stale: Vec<Vec<u8>> =
            ctx.txn.scan(start, end, false).map(|e| e.map(|(k, _)| k.to_vec())).collect::<Result<_>>()?;
        let mut fresh = Vec::new();
        for (_, row) in &rows {
            if let Some(entry) = crate::sql::execute::index_entry(table, &index, row, &mut ctx)? {
                fresh.push(entry);
            }
        }
        entries.push((stale, fresh));
    }
    for (stale, fresh) in entries {
        for key in stale {
            txn.delete(key);
        }
        for (key, value) in fresh {
            txn.put(key, value);
        }
    }
    Ok(())
}

fn add_identity(
    txn: &mut Transaction,
    rules: &Rules,
    table: &mut Table,
    index: usize,
    identity: &IdentitySpec,
) -> Result<()> {
    let column = &table.columns[index];
    let name = column.name.clone();
    rules.check_sequence_cache(identity.options.cache, true)?;
    rules.check_identity_type(column.data_type)?;
    if !matches!(column.data_type, DataType::Int2 | DataType::Int4 | DataType::Int8) {
        return Err(Error::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            "identity column type must be smallint, integer, or bigint",
        ));
    }
    let prerequisite = |message: String| Error::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, message);
    if !column.not_null {
        return Err(prerequisite(format!(
            "column \"{name}\" of relation \"{}\" must be declared NOT NULL before identity can be added",
            table.name
        )));
    }
    if column.identity.is_some() {
        return Err(prerequisite(format!(
            "column \"{name}\" of relation \"{}\" is already an identity column",
            table.name
        )));
    }
    if column.default.is_some() {
        return Err(prerequisite(format!(
            "column \"{name}\" of relation \"{}\" already has a default value",
            table.name
        )));
    }
    let def = ColumnDef {
        name,
        data_type: column.data_type,
        not_null: true,
        default: None,
        identity: Some(identity.clone()),
        serial: false,
    };
    table.columns[index].identity = Some(if identity.always { Identity::Always } else { Identity::ByDefault });
    catalog::create_column_sequence(txn, table, index, &def)
}

fn not_identity(table: &Table, column: &str) -> Error {
    Error::new(
        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("column \"{column}\" of relation \"{}\" is not an identity column", table.name),
    )
}

/// Whether some stored row of `table` satisfies `test`.
fn any_row(txn: &Transaction, table: &Table, test: impl Fn(&[Value]) -> bool) -> Result<bool> {
    let (start, end) = prefix_range(&table.key_prefix);
    for entry in txn.scan(start, end, false) {
        let (_, value) = entry?;
        if test(&table.decode_row(&value)?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether a bound expression over the table's row reads column `index`.
fn reads_column(expr: &crate::sql::plan::BoundExpr, index: usize) -> bool {
    expr.any(|e| matches!(e, crate::sql::plan::BoundExpr::Column(c) if *c == index))
}

/// `SET SCHEMA s`: the table's catalog row (written by the caller under its new key), its indexes' rows and
/// its sequences' rows move to schema `s`; a serial column's DEFAULT names its sequence there. Refused for a
/// table views read (their SQL text names it where it was).
fn set_schema(txn: &mut Transaction, table: &mut Table, schema: &str) -> Result<()> {
    if schema == table.schema {
        return Ok(());
    }
    if catalog::schemas::is_temporary(schema) || catalog::schemas::is_temporary(&table.schema) {
        return Err(Error::unsupported("cannot move objects into or out of temporary schemas"));
    }
    if !catalog::schemas::exists(txn, schema)? {
        return Err(Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{schema}\" does not exist")));
    }
    let moved = |name: &str| catalog::schemas::relation_key(schema, name);
    if relation_exists(txn, &moved(&table.name))? {
        return Err(Error::new(
            sqlstate::DUPLICATE_TABLE,
            format!("relation \"{}\" already exists in schema \"{schema}\"", table.name),
        ));
    }
    if catalog::views::read(txn, catalog::views::Kind::Materialized, &table.key())?.is_some() {
        return Err(Error::unsupported("ALTER TABLE ... SET SCHEMA of a materialized view"));
    }
    if catalog::views::has_dependents(txn, table.id)? {
        return Err(Error::unsupported(format!(
            "cannot move table {} to another schema while views read it (occam keeps a view's query as text)",
            table.name
        )));
    }
    let indexes = catalog_indexes(txn, table)?;
    for index in &indexes {
        if relation_exists(txn, &moved(&index.name))? {
            return Err(Error::new(
                sqlstate::DUPLICATE_TABLE,
                format!("relation \"{}\" already exists in schema \"{schema}\"", index.name),
            ));
        }
    }
    for mut index in indexes {
        catalog::delete_index_definition(txn, &index.key());
        index.schema = schema.to_string();
        catalog::write_index(txn, &index);
    }
    table.indexes = catalog_indexes(txn, table)?.into_iter().map(std::sync::Arc::new).collect();
    let owned = crate::sequences::load(txn)?.into_iter().filter(|s| s.owned_by.is_some_and(|(t, _)| t == table.id));
    for mut sequence in owned {
        let old_text = sequence.regclass_text();
        crate::sequences::remove(txn, &sequence);
        sequence.schema = schema.to_string();
        crate::sequences::store_definition(txn, &sequence);
        let Some((_, column)) = sequence.owned_by else { continue };
        let column = &mut table.columns[column];
        if let Some(sql) = column.default_sql.as_ref().filter(|sql| sql.contains(&format!("'{old_text}'"))) {
            let sql = sql.replace(&format!("'{old_text}'"), &format!("'{}'", sequence.regclass_text()));
            column.default = Some(crate::sql::parse::parse_expression(&sql)?);
            column.default_sql = Some(sql);
        }
    }
    table.schema = schema.to_string();
    Ok(())
}

fn catalog_indexes(txn: &Transaction, table: &Table) -> Result<Vec<catalog::Index>> {
    Ok(catalog::load_indexes(txn)?.into_iter().filter(|i| i.table_id == table.id).collect())
}

fn partial_indexes(txn: &Transaction, table: &Table) -> Result<bool> {
    Ok(catalog_indexes(txn, table)?.iter().any(|i| i.predicate_sql.is_some() || i.has_expressions()))
}
