//! The catalog: tables and their columns, stored as rows in the same transactional key space as the data.
//!
//! Every table is one catalog row under `table_prefix(0, 0)`, keyed by its name, and a counter under
//! `table_prefix(0, 1)` hands out table ids (never reused). Because DDL writes these keys through the
//! statement's own [`Transaction`], CREATE/DROP TABLE are transactional and take part in OCC like any other
//! write: two sessions creating tables at the same time both write the id counter, so one of them gets
//! 40001 at COMMIT.
//!
//! ```text
//!   key    table_prefix(0, 0) ++ encode(name)       value  table definition (format below)
//!   key    table_prefix(0, 1)                       value  next table id (u32 big-endian)
//!   key    table_prefix(id, 0) ++ encode(pk...)     value  the row: encode_value(col) for every column
//! ```
//! Sessions plan against an immutable in-memory [`Catalog`] snapshot (shared as `Arc<Catalog>` by the
//! database) whose `version` increases each time it is reloaded after a DDL commit; prepared statements
//! compare versions to know when to re-plan.
//!
//! Secondary indexes are catalog rows too (keyed by name under `table_prefix(0, 2)`, ids from a counter at
//! `table_prefix(0, 3)`, never reused); their entries live under `table_prefix(table id, index id)` (see
//! [`Index`]). An index is created in state `building` and flipped to `valid` by its build job
//! (`crate::jobs`); writers maintain both, readers use only valid ones.
//! Background jobs are rows under `table_prefix(0, 4)` (`crate::jobs`) and ANALYZE's statistics one row per
//! table under `table_prefix(0, 5)` (`crate::statistics`). A dropped table's rows and index entries are
//! removed by its DROP job.
//!
//! A table without a declared primary key gets a hidden one: an extra trailing `uuid` column filled with a
//! random value per row (random, so concurrent inserters never collide). It is invisible to `SELECT *`,
//! to INSERT column lists and to name resolution.

pub mod comments;
pub mod constraints;
pub mod functions;
pub mod schemas;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, Expr, ObjectName};
use crate::sql::plan::BoundExpr;
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::{Timestamp, Transaction};
use crate::types::{DataType, Value};

/// The schema every database has (`schemas` holds the others).
pub const PUBLIC_SCHEMA: &str = "public";
/// Name of the hidden primary-key column of tables declared without one.
pub const HIDDEN_KEY_COLUMN: &str = "__occam_row_id";
/// Version byte of the catalog row format, so a later format can still read old rows.
const FORMAT_VERSION: u8 = 1;

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    /// The DEFAULT expression (re-parsed from `default_sql` when the catalog is loaded).
    pub default: Option<Expr>,
    /// The DEFAULT expression as SQL text, which is what the catalog row stores.
    pub default_sql: Option<String>,
    /// The hidden primary-key column of a table declared without a primary key, or a dropped column.
    pub hidden: bool,
    /// `GENERATED ... AS IDENTITY`: its default is `nextval` of the sequence it owns (set when loaded).
    pub identity: Option<Identity>,
    /// Dropped by ALTER TABLE: kept (hidden) because stored rows still hold a value for it.
    pub dropped: bool,
    /// The value of rows stored before the column was added (ALTER TABLE ADD COLUMN ... DEFAULT, as
    /// PostgreSQL's `attmissingval`): such rows end before the column.
    pub missing: Option<Value>,
}

/// How an identity column is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `GENERATED ALWAYS`: explicit values need `OVERRIDING SYSTEM VALUE`.
    Always,
    ByDefault,
}

impl ColumnInfo {
    /// A plain column: nullable, no default.
    pub fn new(name: &str, data_type: DataType) -> ColumnInfo {
        ColumnInfo {
            name: name.to_string(),
            data_type,
            not_null: false,
            default: None,
            default_sql: None,
            hidden: false,
            identity: None,
            dropped: false,
            missing: None,
        }
    }
}

/// A table definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: u32,
    pub name: String,
    /// The schema the table lives in (`public` unless created elsewhere).
    pub schema: String,
    pub columns: Vec<ColumnInfo>,
    /// Indices into `columns` of the primary-key columns, in key order.
    pub primary_key: Vec<usize>,
    /// `table_prefix(id, 0)`: the prefix of every row key, kept to avoid rebuilding it per row.
    pub key_prefix: Vec<u8>,
    /// Secondary indexes (building or valid), in id order.
    pub indexes: Vec<Arc<Index>>,
    /// Snapshot timestamp of the catalog this definition was read from (see
    /// `Transaction::depend_on_schema`).
    pub loaded_at: Timestamp,
    /// The table holds a materialized view's rows (its definition: `views::Kind::Materialized`).
    pub materialized: bool,
    /// False for a materialized view created or refreshed `WITH NO DATA`: reading it is an error until
    /// REFRESH fills it (`views::set_populated`).
    pub populated: bool,
    /// CHECK constraints, in the order they were added (every write checks them all).
    pub checks: Vec<CheckConstraint>,
    /// This table's FOREIGN KEY constraints (it is their child).
    pub foreign_keys: Vec<ForeignKey>,
    /// The FOREIGN KEY constraints of the tables that reference this one, with their child table's id
    /// (set when the catalog is loaded; not stored).
    pub referenced_by: Vec<(u32, ForeignKey)>,
}

/// A FOREIGN KEY constraint, kept in its child table's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub name: String,
    /// The child's key columns (indices into its columns).
    pub columns: Vec<usize>,
    pub parent_id: u32,
    /// The parent's referenced columns (its primary key's or a unique index's), in `columns`' order.
    pub parent_columns: Vec<usize>,
    pub on_delete: ast::ReferentialAction,
    pub on_update: ast::ReferentialAction,
    /// `MATCH FULL`: a key is all NULL or all non-NULL (else `MATCH SIMPLE`: one NULL exempts the row).
    pub match_full: bool,
    /// `DEFERRABLE`: SET CONSTRAINTS may defer its checks to COMMIT (`INITIALLY DEFERRED`: deferred
    /// unless SET CONSTRAINTS says otherwise); see `sql::execute::referential`.
    pub deferrable: bool,
    pub initially_deferred: bool,
    /// False once added `NOT VALID` until validated.
    pub validated: bool,
}

/// A CHECK constraint of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConstraint {
    pub name: String,
    /// The expression as SQL text (what the catalog row stores), bound over the table's row when loaded.
    pub sql: String,
    pub expr: BoundExpr,
    /// The name the expression may qualify columns with (`CHECK (t.a > 0)`): the table's name when the
    /// constraint was added, so the stored text still binds after RENAME TO.
    pub scope: String,
    /// False once added `NOT VALID` until validated: new rows are checked, the stored ones were not.
    pub validated: bool,
}

/// Whether an index is usable yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// Its job is backfilling entries: writers maintain it, readers must not use it.
    Building,
    /// Complete for every snapshot from `usable_from` on.
    Valid,
}

/// One key column of an index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKeyColumn {
    pub key: IndexKey,
    pub descending: bool,
    /// As declared (`NULLS FIRST` = Some(true)); recorded, but entries keep keycode's NULLS LAST order
    /// (no planner path reads an index in order yet).
    pub nulls_first: Option<bool>,
}

/// What one index key column holds.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexKey {
    /// A table column (its index in the table's columns).
    Column(usize),
    /// An expression over the table's row (`lower(email)`): PostgreSQL's expression index column.
    Expression(Arc<KeyExpression>),
}

/// An expression index column: its SQL text (what the catalog row stores, as for a partial index's WHERE),
/// its type, and the expression bound over the table's row (None until [`bind_index`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyExpression {
    pub sql: String,
    pub data_type: DataType,
    pub bound: Option<BoundExpr>,
}

impl IndexKeyColumn {
    /// A plain column key.
    pub fn column(column: usize) -> IndexKeyColumn {
        IndexKeyColumn { key: IndexKey::Column(column), descending: false, nulls_first: None }
    }

    /// The table column this key is, None for an expression.
    pub fn table_column(&self) -> Option<usize> {
        match self.key {
            IndexKey::Column(column) => Some(column),
            IndexKey::Expression(_) => None,
        }
    }

    /// The type of the key's values.
    pub fn data_type(&self, table: &Table) -> DataType {
        match &self.key {
            IndexKey::Column(column) => table.columns[*column].data_type,
            IndexKey::Expression(expression) => expression.data_type,
        }
    }

    /// The column's name, or the expression as PostgreSQL shows it in a key (`lower(email)`).
    pub fn describe(&self, table: &Table) -> String {
        match &self.key {
            IndexKey::Column(column) => table.columns[*column].name.clone(),
            IndexKey::Expression(expression) => expression.sql.clone(),
        }
    }
}

/// A secondary index. Each entry is one storage key:
///
/// ```text
///   key    table_prefix(table, id) ++ key columns (DESC ones complemented) [++ primary key]
///   value  primary key ++ INCLUDE columns (encoded as in Table::encode_row)
/// ```
/// A unique index leaves the primary key out of the key, so two rows with the same key values write the
/// same storage key: concurrent duplicates collide in OCC (40001), earlier ones are found with a point
/// read (23505). A key with a NULL in it gets the primary key appended: NULLs never collide, as in
/// PostgreSQL, unless the index is `NULLS NOT DISTINCT`. Non-unique indexes always append it. An
/// expression key column holds the expression's value, computed by the writer
/// (`execute::index_entry`) and handed to [`Index::entry`].
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub id: u32,
    pub name: String,
    /// Its table's schema (an index lives with its table, as in PostgreSQL).
    pub schema: String,
    pub table_id: u32,
    pub unique: bool,
    pub columns: Vec<IndexKeyColumn>,
    /// Table column indices of the INCLUDE columns.
    pub include: Vec<usize>,
    /// A partial index's WHERE, as SQL text (what the catalog row stores) and bound over the table's row.
    pub predicate_sql: Option<String>,
    pub predicate: Option<BoundExpr>,
    pub state: IndexState,
    /// The index backs a UNIQUE constraint of the same name (`pg_constraint`, ON CONFLICT ON CONSTRAINT).
    pub constraint: bool,
    /// `NULLS NOT DISTINCT`: a unique key with NULLs leaves the primary key out too, so NULLs collide.
    pub nulls_not_distinct: bool,
    /// The build job (`sys.jobs`).
    pub job_id: String,
    /// Snapshot timestamp from which a valid index holds every entry (the start of the transaction that
    /// flipped it to valid, which began after the last backfill batch committed).
    pub usable_from: Timestamp,
    /// `table_prefix(table_id, id)`.
    pub key_prefix: Vec<u8>,
}

impl Table {
    /// A table definition with no indexes or constraints yet, not loaded from any snapshot.
    pub fn new(id: u32, name: String, columns: Vec<ColumnInfo>, primary_key: Vec<usize>) -> Table {
        Table {
            id,
            name,
            schema: PUBLIC_SCHEMA.to_string(),
            columns,
            primary_key,
            key_prefix: table_prefix(id, 0),
            indexes: Vec::new(),
            loaded_at: 0,
            materialized: false,
            populated: true,
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            referenced_by: Vec::new(),
        }
    }

    /// The key the catalog stores and finds the table under (`schemas::relation_key`).
    pub fn key(&self) -> String {
        schemas::relation_key(&self.schema, &self.name)
    }

    /// `schema.name`, as DSQL's job rows and EXPLAIN VERBOSE name a relation.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The columns a user can see (everything but the hidden key), with their indices.
    pub fn visible_columns(&self) -> impl Iterator<Item = (usize, &ColumnInfo)> {
        self.columns.iter().enumerate().filter(|(_, c)| !c.hidden)
    }

    /// PostgreSQL's `attnum` of visible column `index`: its 1-based position among the user's columns,
    /// dropped ones included (they leave gaps, as in PostgreSQL), the hidden key not.
    pub fn attnum(&self, index: usize) -> Option<i16> {
        let column = self.columns.get(index)?;
        if column.hidden {
            return None;
        }
        let before = self.columns[..index].iter().filter(|c| !c.hidden || c.dropped).count();
        i16::try_from(before + 1).ok()
    }

    /// Index of the visible column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| !c.hidden && c.name == name)
    }

    /// Whether the primary key is the hidden generated column.
    pub fn has_hidden_key(&self) -> bool {
        self.primary_key.iter().any(|&i| self.columns[i].hidden)
    }

    /// The name PostgreSQL gives the primary-key constraint (`accounts_pkey`).
    pub fn primary_key_name(&self) -> String {
        format!("{}_pkey", self.name)
    }

    /// The storage key of the row with primary-key values `key` (in key-column order).
    pub fn row_key(&self, key: &[Value]) -> Vec<u8> {
        encode_key(&self.key_prefix, key)
    }

    /// The storage key of `row` (a full row in column order).
    pub fn row_key_of(&self, row: &[Value]) -> Vec<u8> {
        let mut key = Vec::with_capacity(self.key_prefix.len() + 9 * self.primary_key.len());
        key.extend_from_slice(&self.key_prefix);
        for &index in &self.primary_key {
            crate::storage::keycode::encode_value(&mut key, &row[index], false);
        }
        key
    }

    /// Encodes a full row (every column, hidden ones included) as a storage value: each column's
    /// `keycode` component plus what the key encoding normalises away (`keycode::encode_stored_value`: a
    /// stored numeric keeps its scale, PostgreSQL prints `1.50`).
    pub fn encode_row(&self, row: &[Value]) -> Vec<u8> {
        let mut out = Vec::with_capacity(row.len() * 9);
        for value in row {
            crate::storage::keycode::encode_stored_value(&mut out, value);
        }
        out
    }

    /// Decodes a storage value written by [`Table::encode_row`].
    pub fn decode_row(&self, bytes: &[u8]) -> Result<Vec<Value>> {
        let mut row = Vec::new();
        self.decode_row_into(bytes, None, &mut row)?;
        Ok(row)
    }

    /// Decodes a stored row into `row` (cleared first, so that a scan reuses one allocation for the rows it
    /// rejects), only the columns marked in `needed` when given: the others stay NULL and are stepped over
    /// without building their values; columns past the mask's end are not needed.
    pub fn decode_row_into(&self, bytes: &[u8], needed: Option<&[bool]>, row: &mut Vec<Value>) -> Result<()> {
        use crate::storage::keycode::{decode_stored_value, skip_stored_value};
        let mut input = bytes;
        row.clear();
        row.reserve(self.columns.len());
        // Columns after the last one needed are not even stepped over.
        let decoded =
            needed.map_or(self.columns.len(), |needed| needed.iter().rposition(|&n| n).map_or(0, |last| last + 1));
        for (i, column) in self.columns.iter().enumerate() {
            if i >= decoded {
                row.push(Value::Null);
            } else if input.is_empty() {
                // A row stored before this column was added.
                row.push(column.missing.clone().unwrap_or(Value::Null));
            } else if needed.is_none_or(|needed| needed[i]) {
                row.push(decode_stored_value(&mut input, &column.data_type)?);
            } else {
                skip_stored_value(&mut input, &column.data_type)?;
                row.push(Value::Null);
            }
        }
        Ok(())
    }
}

impl Index {
    /// The key the catalog stores and finds the index under (`schemas::relation_key`).
    pub fn key(&self) -> String {
        schemas::relation_key(&self.schema, &self.name)
    }

    /// The bound expressions of the expression key columns, in key order.
    pub fn key_expressions(&self) -> impl Iterator<Item = &BoundExpr> {
        self.columns.iter().filter_map(|c| match &c.key {
            IndexKey::Expression(expression) => expression.bound.as_ref(),
            IndexKey::Column(_) => None,
        })
    }

    /// The table columns of the key, in key order; None when a key column is an expression (such an index
    /// backs no constraint and matches no column list).
    pub fn key_table_columns(&self) -> Option<Vec<usize>> {
        self.columns.iter().map(IndexKeyColumn::table_column).collect()
    }

    /// Whether some key column is an expression.
    pub fn has_expressions(&self) -> bool {
        self.columns.iter().any(|c| c.table_column().is_none())
    }

    /// The key values of `row` in key order, given the values of the expression key columns in key order
    /// (`computed`, empty for an index of plain columns).
    fn key_values<'r>(&'r self, row: &'r [Value], computed: &'r [Value]) -> impl Iterator<Item = &'r Value> {
        let mut computed = computed.iter();
        self.columns.iter().map(move |c| match c.key {
            IndexKey::Column(column) => &row[column],
            IndexKey::Expression(_) => computed.next().unwrap_or(&Value::Null),
        })
    }

    /// The storage key and value of `row`'s entry, given its expression key values (see
    /// [`Index::key_values`]; a partial index's predicate is the caller's to check).
    pub fn entry(&self, table: &Table, row: &[Value], computed: &[Value]) -> (Vec<u8>, Vec<u8>) {
        use crate::storage::keycode::encode_value;
        let mut key = Vec::with_capacity(self.key_prefix.len() + 9 * (self.columns.len() + 1));
        key.extend_from_slice(&self.key_prefix);
        let mut has_null = false;
        for (column, value) in self.columns.iter().zip(self.key_values(row, computed)) {
            has_null |= value.is_null();
            encode_value(&mut key, value, column.descending);
        }
        let mut value = Vec::with_capacity(9 * (table.primary_key.len() + self.include.len()));
        for &index in &table.primary_key {
            encode_value(&mut value, &row[index], false);
        }
        if !self.unique || (has_null && !self.nulls_not_distinct) {
            key.extend_from_slice(&value);
        }
        for &index in &self.include {
            crate::storage::keycode::encode_stored_value(&mut value, &row[index]);
        }
        (key, value)
    }

    /// The expression key values stored in entry key `key`, in key order (empty for an index of plain
    /// columns).
    pub fn expression_values_of_key(&self, table: &Table, key: &[u8]) -> Result<Vec<Value>> {
        let mut values = Vec::new();
        if !self.has_expressions() {
            return Ok(values);
        }
        let mut input = key.get(self.key_prefix.len()..).ok_or_else(corrupt)?;
        for column in &self.columns {
            let value = crate::storage::keycode::decode_value(&mut input, &column.data_type(table), column.descending)?;
            if column.table_column().is_none() {
                values.push(value);
            }
        }
        Ok(values)
    }

    /// The primary-key bytes at the start of an entry's value (as they follow the table's key prefix).
    pub fn entry_primary_key<'v>(&self, table: &Table, value: &'v [u8]) -> Result<&'v [u8]> {
        let mut input = value;
        for &index in &table.primary_key {
            crate::storage::keycode::decode_value(&mut input, &table.columns[index].data_type, false)?;
        }
        Ok(&value[..value.len() - input.len()])
    }

    /// `Key (a, b)=(1, x)` as PostgreSQL words unique-index errors (`computed` as for [`Index::entry`]).
    pub fn describe_key(&self, table: &Table, row: &[Value], computed: &[Value]) -> String {
        let names: Vec<String> = self.columns.iter().map(|c| c.describe(table)).collect();
        let values: Vec<String> = self
            .columns
            .iter()
            .zip(self.key_values(row, computed))
            .map(|(c, value)| match value {
                Value::Null => "null".to_string(),
                value => crate::types::text::format(value, &c.data_type(table)),
            })
            .collect();
        format!("Key ({})=({})", names.join(", "), values.join(", "))
    }
}

/// An immutable snapshot of every table definition.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Increases by one each time the database reloads its catalog (after a DDL commit).
    pub version: u64,
    /// Relations by `schemas::relation_key`.
    tables: HashMap<String, Arc<Table>>,
    indexes: HashMap<String, Arc<Index>>,
    views: HashMap<String, Arc<views::View>>,
    /// Materialized views' definitions (their rows are the table of the same name).
    materialized: HashMap<String, Arc<views::View>>,
    sequences: HashMap<String, Arc<crate::sequences::Sequence>>,
    /// User schemas by name (`public` and the system schemas are not here).
    pub schemas: HashMap<String, Arc<schemas::Schema>>,
    /// SQL functions by name (see `functions`).
    pub functions: HashMap<String, Vec<Arc<functions::SqlFunction>>>,
    /// `COMMENT ON` texts (see `comments`).
    pub comments: HashMap<comments::CommentKey, String>,
    /// Roles, ownership, privileges and IAM mappings (see `roles`).
    pub roles: crate::roles::RoleCatalog,
    /// What the system catalogs show in this database's mode (`sql::system`); set by the database.
    pub system: crate::compat::CatalogRules,
}

/// Checks that `schema` (if given) is `public`: the objects that live only there (SQL functions).
pub fn check_public_schema(name: &ObjectName) -> Result<()> {
    match &name.schema {
        Some(schema) if schema != PUBLIC_SCHEMA => Err(Error::new(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("functions in schema \"{schema}\" are not supported: occam keeps them in public"),
        )),
        _ => Ok(()),
    }
}

impl Catalog {
    /// Reads every table definition visible to `txn`.
    pub fn load(txn: &Transaction, version: u64) -> Result<Catalog> {
        let views = views::load(txn, views::Kind::View)?.into_iter().map(|v| (v.key(), Arc::new(v))).collect();
        let materialized: HashMap<String, Arc<views::View>> =
            views::load(txn, views::Kind::Materialized)?.into_iter().map(|v| (v.key(), Arc::new(v))).collect();
        let (start, end) = prefix_range(&table_prefix(0, 0));
        let mut by_id: HashMap<u32, Table> = HashMap::new();
        for entry in txn.scan(start, end, false) {
            let (_, value) = entry?;
            let mut table = decode_table(&value)?;
            table.loaded_at = txn.start_ts();
            by_id.insert(table.id, table);
        }
        let sequences = crate::sequences::load(txn)?;
        for table in by_id.values_mut() {
            set_identity_defaults(table, &sequences)?;
        }
        let mut indexes = HashMap::new();
        for index in load_indexes(txn)? {
            // An index of a dropped table is deleted with it; skip any left over rather than fail.
            let Some(table) = by_id.get_mut(&index.table_id) else { continue };
            let index = Arc::new(bind_index(table, index)?);
            table.indexes.push(index.clone());
            indexes.insert(index.key(), index);
        }
        for id in views::load_unpopulated(txn)? {
            if let Some(table) = by_id.get_mut(&id) {
                table.populated = false;
            }
        }
        let references: Vec<(u32, ForeignKey)> =
            by_id.values().flat_map(|t| t.foreign_keys.iter().map(|k| (t.id, k.clone()))).collect();
        for (child_id, key) in references {
            if let Some(parent) = by_id.get_mut(&key.parent_id) {
                parent.referenced_by.push((child_id, key));
            }
        }
        let tables = by_id
            .into_values()
            .map(|mut table| {
                table.indexes.sort_by_key(|i| i.id);
                table.materialized = materialized.contains_key(&table.key());
                (table.key(), Arc::new(table))
            })
            .collect();
        Ok(Catalog {
            version,
            tables,
            indexes,
            views,
            materialized,
            sequences: crate::sequences::by_name(sequences),
            schemas: schemas::load(txn)?,
            comments: comments::load(txn)?,
            functions: functions::load(txn)?,
            roles: crate::roles::RoleCatalog::load(txn)?,
            system: crate::compat::CatalogRules::default(),
        })
    }

    /// The same catalog, showing the system catalogs as `rules` says.
    pub fn with_system_rules(mut self, rules: crate::compat::CatalogRules) -> Catalog {
        self.system = rules;
        self
    }

    /// Every index, in no particular order.
    pub fn indexes(&self) -> impl Iterator<Item = &Arc<Index>> {
        self.indexes.values()
    }

    /// The index under `key` (`schemas::relation_key`) if it exists.
    pub fn find_index(&self, key: &str) -> Option<&Arc<Index>> {
        self.indexes.get(key)
    }

    /// The index `name` names, if it is one.
    pub fn index_named(&self, name: &ObjectName) -> Result<Option<&Arc<Index>>> {
        Ok(self.relation_schema(name)?.and_then(|schema| self.indexes.get(&schemas::relation_key(&schema, &name.name))))
    }

    /// 3F000 when `name` is qualified with a schema that does not exist.
    pub fn check_schema_of(&self, name: &ObjectName) -> Result<()> {
        match &name.schema {
            Some(schema) if !self.schema_exists(schema) => {
                Err(Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{schema}\" does not exist")))
            }
            _ => Ok(()),
        }
    }

    /// The owner of user schema `name` (None for `public`, which the administrator owns).
    pub fn schema_owner(&self, name: &str) -> Option<&str> {
        self.schemas.get(name).map(|s| s.owner.as_str())
    }

    /// Whether non-administrator `role` holds `privilege` on schema `schema`: as its owner, or by a grant
    /// (USAGE on `public` belongs to every role).
    pub fn has_schema_privilege(&self, role: &str, schema: &str, privilege: ast::Privilege) -> bool {
        self.schema_owner(schema) == Some(role) || self.roles.has_schema_privilege(role, schema, privilege)
    }

    /// The schemas of `path` that exist (user, `public` and system schemas), in order.
    pub fn existing_schemas(&self, path: &[String]) -> Vec<String> {
        path.iter().filter(|s| self.schema_exists(s) || schemas::is_system_schema(s)).cloned().collect()
    }

    /// Whether `name` is `public` or a user schema.
    pub fn schema_exists(&self, name: &str) -> bool {
        name == PUBLIC_SCHEMA || self.schemas.contains_key(name)
    }

    /// The schema of the relation `name` names: the schema it is qualified with, else the first schema of
    /// the search path holding a relation (of any kind) of that name, as PostgreSQL resolves names. None
    /// when no schema holds one (a query naming a missing schema's relation gets 42P01, as in PostgreSQL;
    /// DDL says 3F000, see `schemas::resolve_in`).
    pub fn relation_schema(&self, name: &ObjectName) -> Result<Option<String>> {
        let holds = |schema: &str| {
            let key = schemas::relation_key(schema, &name.name);
            self.tables.contains_key(&key)
                || self.views.contains_key(&key)
                || self.indexes.contains_key(&key)
                || self.sequences.contains_key(&key)
        };
        match name.schema.as_deref().map(schemas::named_schema).transpose()? {
            Some(schema) => Ok((self.schema_exists(&schema) && holds(&schema)).then_some(schema)),
            None => Ok(schemas::search_path().into_iter().find(|schema| self.schema_exists(schema) && holds(schema))),
        }
    }

    /// The key (`schemas::relation_key`) of the relation `name` names, if one exists.
    fn relation_key(&self, name: &ObjectName) -> Result<Option<String>> {
        Ok(self.relation_schema(name)?.map(|schema| schemas::relation_key(&schema, &name.name)))
    }

    /// The table `name` (42P01 if missing, 3F000 for a schema that does not exist).
    pub fn table(&self, name: &ObjectName) -> Result<&Arc<Table>> {
        self.find_table_named(name)?.ok_or_else(|| Error::undefined_table(&display_name(name)))
    }

    /// The table `name` names, if it is one.
    pub fn find_table_named(&self, name: &ObjectName) -> Result<Option<&Arc<Table>>> {
        Ok(self.relation_key(name)?.and_then(|key| self.tables.get(&key)))
    }

    /// The table under `key` (`schemas::relation_key`: the bare name in `public`) if it exists.
    pub fn find_table(&self, key: &str) -> Option<&Arc<Table>> {
        self.tables.get(key)
    }

    /// All tables, in no particular order.
    pub fn tables(&self) -> impl Iterator<Item = &Arc<Table>> {
        self.tables.values()
    }

    /// The table with id `id` if it exists.
    pub fn table_by_id(&self, id: u32) -> Option<&Arc<Table>> {
        self.tables.values().find(|t| t.id == id)
    }

    /// The view `name` names, if it is one.
    pub fn find_view(&self, name: &ObjectName) -> Option<&Arc<views::View>> {
        self.relation_key(name).ok().flatten().and_then(|key| self.views.get(&key))
    }

    /// The materialized view `name` names, if it is one.
    pub fn find_materialized(&self, name: &ObjectName) -> Option<&Arc<views::View>> {
        self.relation_key(name).ok().flatten().and_then(|key| self.materialized.get(&key))
    }

    /// The definition of the materialized view whose rows `table` holds (None for a plain table).
    pub fn materialized_definition(&self, table: &Table) -> Option<&Arc<views::View>> {
        self.materialized.get(&schemas::relation_key(&table.schema, &table.name))
    }

    /// All views, in no particular order.
    pub fn views(&self) -> impl Iterator<Item = &Arc<views::View>> {
        self.views.values()
    }
    /// The sequence under `key` (`schemas::relation_key`) if it exists.
    pub fn find_sequence(&self, key: &str) -> Option<&Arc<crate::sequences::Sequence>> {
        self.sequences.get(key)
    }

    /// The sequence `name` names, if it is one.
    pub fn sequence_named(&self, name: &ObjectName) -> Result<Option<&Arc<crate::sequences::Sequence>>> {
        Ok(self.relation_key(name)?.and_then(|key| self.sequences.get(&key)))
    }

    /// All sequences, in no particular order.
    pub fn sequences(&self) -> impl Iterator<Item = &Arc<crate::sequences::Sequence>> {
        self.sequences.values()
    }
}

/// Gives each identity column the default `nextval('<its sequence>')`.
fn set_identity_defaults(table: &mut Table, sequences: &[crate::sequences::Sequence]) -> Result<()> {
    for (i, column) in table.columns.iter_mut().enumerate() {
        if column.identity.is_none() {
            continue;
        }
        if let Some(sequence) = sequences.iter().find(|s| s.owned_by == Some((table.id, i))) {
            let sql = format!("nextval('{}')", sequence.regclass_text().replace('\'', "''"));
            column.default = Some(crate::sql::parse::parse_expression(&sql)?);
        }
    }
    Ok(())
}

/// Whether a table, index, sequence or view is stored under `key` (`schemas::relation_key`: they share
/// PostgreSQL's one namespace of relations per schema).
pub fn relation_exists(txn: &Transaction, key: &str) -> Result<bool> {
    Ok(txn.get(&catalog_key(key))?.is_some()
        || txn.get(&index_catalog_key(key))?.is_some()
        || crate::sequences::read_sequence(txn, key)?.is_some()
        || views::is_view(txn, key)?)
}

/// The key of the relation `name` names as `txn` sees it, through the search path when unqualified (any
/// kind of relation stops the search, as in PostgreSQL); None when none is found.
pub fn resolve_relation(txn: &Transaction, name: &ObjectName) -> Result<Option<String>> {
    let schema =
        schemas::resolve_in(txn, name, |schema| relation_exists(txn, &schemas::relation_key(schema, &name.name)))?;
    Ok(schema.map(|schema| schemas::relation_key(&schema, &name.name)))
}

/// The key a DROP of `name` looks it up under: the relation it resolves to, else a key no relation can have
/// (an empty schema name), so every lookup finds nothing and the caller reports what is missing (never
/// another schema's relation of that name). A missing schema is its error, or under `if_exists` a NOTICE
/// and None (skip the name).
pub(crate) fn key_to_drop(txn: &Transaction, name: &ObjectName, if_exists: bool) -> Result<Option<String>> {
    match resolve_relation(txn, name) {
        Ok(relation) => Ok(Some(relation.unwrap_or_else(|| schemas::relation_key("", &name.name)))),
        Err(err) if if_exists => {
            crate::notice::skip_missing(&err);
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// A new table id (also the id of a sequence: tables and sequences share `pg_class`'s oids).
pub fn next_table_id(txn: &mut Transaction) -> Result<u32> {
    next_id(txn, table_id_counter_key(), "table")
}

/// `schema.name` or `name`, as PostgreSQL quotes it in error messages.
pub fn display_name(name: &ObjectName) -> String {
    match &name.schema {
        Some(schema) => format!("{schema}.{}", name.name),
        None => name.name.clone(),
    }
}

fn catalog_key(key: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, 0), &[Value::Text(key.to_string())])
}

/// The key of a table's catalog row: a transaction that writes the table depends on it (a concurrent
/// schema change fails its commit with OC001, see `txn`).
pub fn definition_key(table: &Table) -> Vec<u8> {
    catalog_key(&table.key())
}

/// The catalog row key of the table with id `table_id` (None once it is dropped).
fn definition_key_of(txn: &Transaction, table_id: u32) -> Result<Option<Vec<u8>>> {
    let (start, end) = prefix_range(&table_prefix(0, 0));
    for entry in txn.scan(start, end, false) {
        let (key, value) = entry?;
        if decode_table(&value)?.id == table_id {
            return Ok(Some(key.to_vec()));
        }
    }
    Ok(None)
}

/// Every table definition `txn` sees (without their indexes).
pub(crate) fn load_tables(txn: &Transaction) -> Result<Vec<Table>> {
    let (start, end) = prefix_range(&table_prefix(0, 0));
    txn.scan(start, end, false).map(|entry| decode_table(&entry?.1)).collect()
}

/// The definition of the table with id `table_id` as `txn` sees it (None once it is dropped).
pub fn read_table_by_id(txn: &Transaction, table_id: u32) -> Result<Option<Table>> {
    match definition_key_of(txn, table_id)? {
        Some(key) => txn.get(&key)?.map(|bytes| decode_table(&bytes)).transpose(),
        None => Ok(None),
    }
}

/// Writes a table's catalog row again, unchanged: a new version of it tells every transaction that wrote
/// the table against an older catalog that its set of indexes changed (OC001, see
/// `Transaction::depend_on_schema`).
fn touch_definition(txn: &mut Transaction, key: &[u8]) -> Result<()> {
    if let Some(row) = txn.get(key)? {
        txn.put(key.to_vec(), row);
    }
    Ok(())
}

fn table_id_counter_key() -> Vec<u8> {
    table_prefix(0, 1)
}

fn index_catalog_key(key: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, 2), &[Value::Text(key.to_string())])
}

fn index_id_counter_key() -> Vec<u8> {
    table_prefix(0, 3)
}

/// Reads a u32 counter at `key` (starting at 1) and stores its successor.
fn next_id(txn: &mut Transaction, key: Vec<u8>, what: &str) -> Result<u32> {
    let id = match txn.get(&key)? {
        Some(bytes) => {
            u32::from_be_bytes(bytes.as_slice().try_into().map_err(|_| Error::internal("corrupt id counter"))?)
        }
        None => 1,
    };
    let next =
        id.checked_add(1).ok_or_else(|| Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, format!("out of {what} ids")))?;
    txn.put(key, next.to_be_bytes().to_vec());
    Ok(id)
}

/// Stores a changed table definition (ALTER TABLE); a renamed table's old row (under `old_key`) goes. The
/// new version of the row fails the commit of every transaction that wrote the table against the old
/// definition (OC001).
pub fn write_table(txn: &mut Transaction, table: &Table, old_key: &str) {
    let key = table.key();
    if old_key != key {
        txn.delete(catalog_key(old_key));
    }
    txn.put(catalog_key(&key), encode_table(table));
}

/// The table definition under `key` (`schemas::relation_key`) as `txn` sees it.
pub fn read_table(txn: &Transaction, key: &str) -> Result<Option<Table>> {
    txn.get(&catalog_key(key))?.map(|bytes| decode_table(&bytes)).transpose()
}

/// The table `name` names as `txn` sees it, through the search path when unqualified.
pub fn read_table_named(txn: &Transaction, name: &ObjectName) -> Result<Option<Table>> {
    match resolve_relation(txn, name)? {
        Some(key) => read_table(txn, &key),
        None => Ok(None),
    }
}

/// The index definition under `key` (`schemas::relation_key`) as `txn` sees it (predicate not yet bound).
pub fn read_index(txn: &Transaction, key: &str) -> Result<Option<Index>> {
    txn.get(&index_catalog_key(key))?.map(|bytes| decode_index(&bytes)).transpose()
}

/// Deletes the definition of the index under `key` (renamed, moved to another schema with its table, or
/// gone with its table; `remove_index` also deletes its entries).
pub fn delete_index_definition(txn: &mut Transaction, key: &str) {
    txn.delete(index_catalog_key(key));
}

/// Stores `index` (a new definition or a changed state).
pub fn write_index(txn: &mut Transaction, index: &Index) {
    txn.put(index_catalog_key(&index.key()), encode_index(index));
}

/// Every index definition visible to `txn` (predicates not yet bound).
pub fn load_indexes(txn: &Transaction) -> Result<Vec<Index>> {
    let (start, end) = prefix_range(&table_prefix(0, 2));
    let mut out = Vec::new();
    for entry in txn.scan(start, end, false) {
        out.push(decode_index(&entry?.1)?);
    }
    Ok(out)
}

/// Binds a stored index's predicate and key expressions against its table.
pub fn bind_index(table: &Table, mut index: Index) -> Result<Index> {
    if let Some(sql) = &index.predicate_sql {
        let expr = crate::sql::parse::parse_expression(sql)?;
        index.predicate = Some(crate::sql::bind::bind_table_predicate(table, &expr)?);
    }
    for column in &mut index.columns {
        if let IndexKey::Expression(expression) = &column.key {
            let expr = crate::sql::parse::parse_expression(&expression.sql)?;
            let (bound, data_type) = crate::sql::bind::bind_index_expression(table, &expr)?;
            column.key = IndexKey::Expression(Arc::new(KeyExpression {
                sql: expression.sql.clone(),
                data_type,
                bound: Some(bound),
            }));
        }
    }
    Ok(index)
}

/// PostgreSQL's name for an unnamed index: `table_col1_col2_idx`, then `..._idx1`, `..._idx2` while taken.
fn generated_index_name(txn: &Transaction, table: &Table, columns: &[String]) -> Result<String> {
    let base = format!("{}_{}_idx", table.name, columns.join("_"));
    let mut candidate = base.clone();
    let mut n = 0;
    while relation_exists(txn, &schemas::relation_key(&table.schema, &candidate))? {
        n += 1;
        candidate = format!("{base}{n}");
    }
    Ok(candidate)
}

/// Executes the catalog part of CREATE INDEX inside `txn`: the index is stored in state `building` with a
/// submitted build job. Returns the job id, or None when the name exists and IF NOT EXISTS was given.
pub fn create_index(txn: &mut Transaction, stmt: &ast::CreateIndex) -> Result<Option<String>> {
    let table =
        read_table_named(txn, &stmt.table)?.ok_or_else(|| Error::undefined_table(&display_name(&stmt.table)))?;
    let column_of = |name: &str| {
        table
            .column_index(name)
            .ok_or_else(|| Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist")))
    };
    let mut columns = Vec::with_capacity(stmt.columns.len());
    for column in &stmt.columns {
        let key = match &column.key {
            ast::IndexTarget::Column(name) => IndexKey::Column(column_of(name)?),
            ast::IndexTarget::Expression(expr) => {
                // Checks names, types and immutability now, so the build cannot fail on them later.
                let (_, data_type) = crate::sql::bind::bind_index_expression(&table, expr)?;
                let sql = crate::sql::parse::expression_to_sql(expr);
                IndexKey::Expression(Arc::new(KeyExpression { sql, data_type, bound: None }))
            }
        };
        columns.push(IndexKeyColumn { key, descending: column.descending, nulls_first: column.nulls_first });
    }
    let mut include = Vec::with_capacity(stmt.include.len());
    for name in &stmt.include {
        include.push(column_of(name)?);
    }
    let name = match &stmt.name {
        Some(name) => name.clone(),
        None => {
            let names: Vec<String> = stmt.columns.iter().map(|c| c.key.name_part()).collect();
            generated_index_name(txn, &table, &names)?
        }
    };
    if relation_exists(txn, &schemas::relation_key(&table.schema, &name))? {
        let exists = Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"));
        if stmt.if_not_exists {
            crate::notice::skip_existing(&exists);
            return Ok(None);
        }
        return Err(exists);
    }
    let predicate_sql = stmt.predicate.as_ref().map(crate::sql::parse::expression_to_sql);
    if let Some(predicate) = &stmt.predicate {
        // Checks names and types now, so the build cannot fail on them later.
        crate::sql::bind::bind_table_predicate(&table, predicate)?;
    }
    let id = next_id(txn, index_id_counter_key(), "index")?;
    let job_id = crate::jobs::new_job_id();
    let index = Index {
        id,
        name: name.clone(),
        schema: table.schema.clone(),
        table_id: table.id,
        unique: stmt.unique,
        columns,
        include,
        predicate_sql,
        predicate: None,
        state: IndexState::Building,
        constraint: false,
        nulls_not_distinct: stmt.unique && stmt.nulls_not_distinct,
        job_id: job_id.clone(),
        usable_from: 0,
        key_prefix: table_prefix(table.id, id),
    };
    write_index(txn, &index);
    crate::jobs::submit_index_build(txn, &job_id, &index)?;
    touch_definition(txn, &definition_key(&table))?;
    Ok(Some(job_id))
}

/// Executes DROP INDEX inside `txn`: the definitions go (a build in progress is cancelled) and a DROP job
/// is submitted to delete the entries.
pub fn drop_index(txn: &mut Transaction, names: &[ObjectName], if_exists: bool) -> Result<()> {
    for name in names {
        let index_key = schemas::resolve_in(txn, name, |schema| {
            Ok(read_index(txn, &schemas::relation_key(schema, &name.name))?.is_some())
        });
        let index_key = match index_key {
            Ok(schema) => schema.map(|schema| schemas::relation_key(&schema, &name.name)),
            Err(err) if if_exists => {
                crate::notice::skip_missing(&err);
                continue;
            }
            Err(err) => return Err(err),
        };
        let Some(index) = index_key.map(|key| read_index(txn, &key)).transpose()?.flatten() else {
            let missing = Error::new(sqlstate::UNDEFINED_OBJECT, format!("index \"{}\" does not exist", name.name));
            if if_exists {
                crate::notice::skip_missing(&missing);
                continue;
            }
            return Err(missing);
        };
        if index.constraint {
            let table = read_table_by_id(txn, index.table_id)?.map(|t| t.name).unwrap_or_default();
            return Err(Error::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!(
                    "cannot drop index {} because constraint {} on table {table} requires it",
                    index.name, index.name
                ),
            )
            .with_hint(format!("You can drop constraint {} on table {table} instead.", index.name)));
        }
        if index.unique && index.state == IndexState::Valid && index.predicate_sql.is_none() {
            // A foreign key may find its parent rows through this index.
            if let Some(mut table) = read_table_by_id(txn, index.table_id)? {
                let columns: Vec<usize> = index.key_table_columns().unwrap_or_default();
                let same = |key: &[usize]| key.len() == columns.len() && key.iter().all(|c| columns.contains(c));
                if table.has_hidden_key() || !same(&table.primary_key) {
                    let what = format!("index {}", index.name);
                    let dependent = |key: &ForeignKey| same(&key.parent_columns);
                    constraints::drop_dependent_keys(txn, &mut table, dependent, &what, &what, false)?;
                }
            }
        }
        if index.state == IndexState::Building {
            crate::jobs::finish_if_running(txn, &index.job_id, crate::jobs::JobStatus::Cancelled, None)?;
        }
        remove_index(txn, &index)?;
    }
    Ok(())
}

/// Deletes `index`'s definition and submits the job that deletes its entries (its build job's status is
/// the caller's business).
pub fn remove_index(txn: &mut Transaction, index: &Index) -> Result<()> {
    txn.delete(index_catalog_key(&index.key()));
    crate::jobs::submit_drop(txn, index)?;
    if let Some(key) = definition_key_of(txn, index.table_id)? {
        touch_definition(txn, &key)?;
    }
    Ok(())
}

/// Executes CREATE TABLE inside `txn`. Returns false when the table exists and IF NOT EXISTS was given.
/// Identity and serial columns get their sequences (`<table>_<column>_seq`, owned by the column).
pub fn create_table(txn: &mut Transaction, catalog: &Catalog, stmt: &ast::CreateTable) -> Result<bool> {
    let schema = schemas::creation_schema(txn, &stmt.name)?;
    let name = &stmt.name.name;
    let relation = schemas::relation_key(&schema, name);
    let key = catalog_key(&relation);
    if relation_exists(txn, &relation)? {
        let exists = Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"));
        if stmt.if_not_exists {
            crate::notice::skip_existing(&exists);
            return Ok(false);
        }
        return Err(exists);
    }
    let mut columns: Vec<ColumnInfo> = Vec::with_capacity(stmt.columns.len() + 1);
    for def in &stmt.columns {
        if columns.iter().any(|c| c.name == def.name) {
            return Err(Error::new(
                sqlstate::DUPLICATE_COLUMN,
                format!("column \"{}\" specified more than once", def.name),
            ));
        }
        columns.push(column_info(catalog, def)?);
    }
    let mut primary_key = Vec::with_capacity(stmt.primary_key.len());
    for key_column in &stmt.primary_key {
        let index = columns.iter().position(|c| &c.name == key_column).ok_or_else(|| {
            Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{key_column}\" named in key does not exist"))
        })?;
        if primary_key.contains(&index) {
            return Err(Error::new(
                sqlstate::DUPLICATE_COLUMN,
                format!("column \"{key_column}\" appears twice in primary key constraint"),
            ));
        }
        // A primary key implies NOT NULL, as in PostgreSQL.
        columns[index].not_null = true;
        primary_key.push(index);
    }
    if primary_key.is_empty() {
        primary_key.push(columns.len());
        columns.push(ColumnInfo { not_null: true, hidden: true, ..ColumnInfo::new(HIDDEN_KEY_COLUMN, DataType::Uuid) });
    }
    let id = next_id(txn, table_id_counter_key(), "table")?;
    let mut table = Table::new(id, name.clone(), columns, primary_key);
    table.schema = schema;
    for (index, def) in stmt.columns.iter().enumerate() {
        create_column_sequence(txn, &mut table, index, def)?;
    }
    for constraint in constraints::without_redundant_unique(stmt) {
        constraints::add_constraint(txn, &mut table, &constraint, true)?;
    }
    txn.put(key, encode_table(&table));
    Ok(true)
}

/// A column as the catalog keeps it, from its definition (its DEFAULT checked against `catalog`).
pub fn column_info(catalog: &Catalog, def: &ast::ColumnDef) -> Result<ColumnInfo> {
    if let Some(default) = &def.default {
        crate::sql::bind::check_default(catalog, default, &def.name, &def.data_type)?;
    }
    if def.identity.is_some() && !matches!(def.data_type, DataType::Int2 | DataType::Int4 | DataType::Int8) {
        return Err(Error::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            "identity column type must be smallint, integer, or bigint",
        ));
    }
    Ok(ColumnInfo {
        not_null: def.not_null,
        default: def.default.clone(),
        default_sql: def.default.as_ref().map(crate::sql::parse::expression_to_sql),
        identity: def.identity.as_ref().map(|i| if i.always { Identity::Always } else { Identity::ByDefault }),
        ..ColumnInfo::new(&def.name, def.data_type)
    })
}

/// Creates the sequence of an identity or serial column `index` of `table` (owned by the column); a serial
/// column's default becomes its `nextval`.
pub fn create_column_sequence(
    txn: &mut Transaction,
    table: &mut Table,
    index: usize,
    def: &ast::ColumnDef,
) -> Result<()> {
    let options = match (&def.identity, def.serial) {
        (Some(identity), _) => identity.options.clone(),
        (None, true) => ast::SequenceOptions::default(),
        (None, false) => return Ok(()),
    };
    let named = options.sequence_name.clone();
    let options = ast::SequenceOptions { data_type: Some(def.data_type), sequence_name: None, ..options };
    let name = match named {
        // `SEQUENCE NAME` (in the table's schema unless it names one).
        Some(name) => ObjectName { schema: name.schema.or_else(|| Some(table.schema.clone())), name: name.name },
        None => {
            let mut sequence_name = crate::sequences::owned_sequence_name(&table.name, &def.name);
            // PostgreSQL picks the next free name (`t_id_seq1`, ...) when the natural one is taken.
            let base = sequence_name.clone();
            let mut n = 0;
            while relation_exists(txn, &schemas::relation_key(&table.schema, &sequence_name))? {
                n += 1;
                sequence_name = format!("{base}{n}");
            }
            ObjectName { schema: Some(table.schema.clone()), name: sequence_name }
        }
    };
    let Some(mut sequence) = crate::sequences::create(txn, &name, false, &options)? else {
        return Err(Error::internal("sequence name taken"));
    };
    sequence.owned_by = Some((table.id, index));
    crate::sequences::store_definition(txn, &sequence);
    if def.serial {
        let sql = format!("nextval('{}'::regclass)", sequence.regclass_text().replace('\'', "''"));
        let column = &mut table.columns[index];
        column.default = Some(crate::sql::parse::parse_expression(&sql)?);
        column.default_sql = Some(sql);
    }
    Ok(())
}

/// The id of the table under `key` (`schemas::relation_key`) as `txn` sees it (e.g. the table it just
/// created).
pub fn table_id_in(txn: &Transaction, key: &str) -> Result<Option<u32>> {
    match txn.get(&catalog_key(key))? {
        Some(bytes) => Ok(Some(decode_table(&bytes)?.id)),
        None => Ok(None),
    }
}

/// Executes DROP TABLE inside `txn`: the table's and its indexes' definitions go, and one DROP job is
/// submitted that removes every stored key under the table's (never reused) id, rows and index entries
/// alike, and its statistics (see `crate::jobs`).
pub fn drop_table(txn: &mut Transaction, names: &[ObjectName], if_exists: bool, cascade: bool) -> Result<()> {
    for name in names {
        let Some(relation) = key_to_drop(txn, name, if_exists)? else { continue };
        let key = catalog_key(&relation);
        let Some(bytes) = txn.get(&key)? else {
            if views::is_view(txn, &relation)? {
                return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{}\" is not a table", name.name))
                    .with_hint("Use DROP VIEW to remove a view."));
            }
            let missing = Error::new(sqlstate::UNDEFINED_TABLE, format!("table \"{}\" does not exist", name.name));
            if if_exists {
                crate::notice::skip_missing(&missing);
                continue;
            }
            return Err(missing);
        };
        if views::read(txn, views::Kind::Materialized, &relation)?.is_some() {
            return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{}\" is not a table", name.name))
                .with_hint("Use DROP MATERIALIZED VIEW to remove a materialized view."));
        }
        let table = decode_table(&bytes)?;
        let table_id = table.id;
        views::drop_dependents(txn, table_id, &format!("table {}", name.name), cascade)?;
        drop_references(txn, table_id, &name.name, names, cascade)?;
        // The table's indexes go with it (their entries with the table's DROP job); a build in progress
        // ends `completed` with DSQL's note.
        for index in load_indexes(txn)?.into_iter().filter(|i| i.table_id == table_id) {
            if index.state == IndexState::Building {
                let note = format!("relation \"{}\" does not exist", table.qualified_name());
                crate::jobs::finish_if_running(txn, &index.job_id, crate::jobs::JobStatus::Completed, Some(note))?;
            }
            txn.delete(index_catalog_key(&index.key()));
        }
        txn.delete(key);
        crate::sequences::drop_owned_by(txn, table_id)?;
        crate::jobs::submit_table_drop(txn, table_id, &table.qualified_name());
    }
    Ok(())
}

/// DROP TABLE of a table other tables' FOREIGN KEYs reference (tables dropped by the same statement
/// aside): 2BP01, or with CASCADE the constraints go (the child tables stay, as in PostgreSQL).
fn drop_references(
    txn: &mut Transaction,
    table_id: u32,
    table_name: &str,
    dropped: &[ObjectName],
    cascade: bool,
) -> Result<()> {
    let references: Vec<(Table, Vec<String>)> = constraints::references_to(txn, table_id)?
        .into_iter()
        .filter(|(child, _)| !dropped.iter().any(|d| d.name == child.name))
        .collect();
    if references.is_empty() {
        return Ok(());
    }
    if !cascade {
        let detail: Vec<String> = references
            .iter()
            .flat_map(|(child, names)| {
                names
                    .iter()
                    .map(move |n| format!("constraint {n} on table {} depends on table {table_name}", child.name))
            })
            .collect();
        return Err(Error::new(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop table {table_name} because other objects depend on it"),
        )
        .with_detail(detail.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    for (mut child, _) in references {
        child.foreign_keys.retain(|k| k.parent_id != table_id);
        let key = child.key();
        write_table(txn, &child, &key);
    }
    Ok(())
}

// ---- catalog row format: a small hand-written binary encoding ----
//
//   u8 format version, u32 id, str name, u16 column count, per column:
//     str name, type, u8 flags (1 not null, 2 hidden, 4 has default, 8 identity always, 16 identity by
//     default, 32 dropped, 64 has missing value), [str default sql], [u32 length ++ missing value (as in a row)]
//   u16 key column count, u16 per key column
//   [u16 check count, per check: str name, str expression sql, u8 flags (1 validated), str scope]
//   (absent: none)
//   [u16 foreign key count, per key: str name, u32 parent table id, u16 column count, per column: u16
//   column, u16 parent column; u8 ON DELETE, u8 ON UPDATE (pg_constraint's codes), u8 flags (1 MATCH FULL,
//   2 deferrable, 4 initially deferred, 8 validated)] (absent: none)
//   str := u32 length ++ utf-8 bytes
//   type := u8 tag ++ parameters (see encode_type)

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_u32(out: &mut Vec<u8>, v: Option<u32>) {
    match v {
        Some(v) => {
            out.push(1);
            put_u32(out, v);
        }
        None => out.push(0),
    }
}

fn encode_type(out: &mut Vec<u8>, data_type: &DataType) {
    match data_type {
        DataType::Bool => out.push(1),
        DataType::Int2 => out.push(2),
        DataType::Int4 => out.push(3),
        DataType::Int8 => out.push(4),
        DataType::Float4 => out.push(5),
        DataType::Float8 => out.push(6),
        DataType::Numeric(spec) => {
            out.push(7);
            match spec {
                Some((p, s)) => {
                    out.push(1);
                    put_u32(out, *p);
                    put_u32(out, *s as u32);
                }
                None => out.push(0),
            }
        }
        DataType::Text => out.push(8),
        DataType::Varchar(n) => {
            out.push(9);
            put_opt_u32(out, *n);
        }
        DataType::Char(n) => {
            out.push(10);
            put_u32(out, *n);
        }
        DataType::Bytea => out.push(11),
        DataType::Uuid => out.push(12),
        DataType::Date => out.push(13),
        DataType::Timestamp => out.push(14),
        DataType::Timestamptz => out.push(15),
        DataType::Unknown => out.push(16),
        DataType::Interval => out.push(17),
        // Numbered apart from the types above, which other additions extend.
        DataType::Json => out.push(40),
        DataType::Jsonb => out.push(41),
        // An array column: its element type follows.
        DataType::Array(element) => {
            out.push(42);
            encode_type(out, &element.data_type());
        }
        // The catalogs' own types are never column types (the parser refuses them in CREATE TABLE).
        DataType::Oid
        | DataType::Reg(_)
        | DataType::Name
        | DataType::InternalChar
        | DataType::Int2Vector
        | DataType::OidVector
        | DataType::AclItem
        | DataType::NodeTree
        | DataType::Record(_) => out.push(0),
    }
}

fn encode_table(table: &Table) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    put_u32(&mut out, table.id);
    put_str(&mut out, &table.key());
    put_u16(&mut out, table.columns.len() as u16);
    for column in &table.columns {
        put_str(&mut out, &column.name);
        encode_type(&mut out, &column.data_type);
        let identity = match column.identity {
            None => 0,
            Some(Identity::Always) => 8,
            Some(Identity::ByDefault) => 16,
        };
        let flags = (column.not_null as u8)
            | ((column.hidden as u8) << 1)
            | ((column.default_sql.is_some() as u8) << 2)
            | identity
            | ((column.dropped as u8) << 5)
            | ((column.missing.is_some() as u8) << 6);
        out.push(flags);
        if let Some(sql) = &column.default_sql {
            put_str(&mut out, sql);
        }
        if let Some(missing) = &column.missing {
            let mut bytes = Vec::new();
            crate::storage::keycode::encode_value(&mut bytes, missing, false);
            if let Value::Numeric(d) = missing {
                crate::storage::keycode::encode_numeric_scale(&mut bytes, d.scale());
            }
            put_u32(&mut out, bytes.len() as u32);
            out.extend_from_slice(&bytes);
        }
    }
    put_u16(&mut out, table.primary_key.len() as u16);
    for &index in &table.primary_key {
        put_u16(&mut out, index as u16);
    }
    put_u16(&mut out, table.checks.len() as u16);
    for check in &table.checks {
        put_str(&mut out, &check.name);
        put_str(&mut out, &check.sql);
        out.push(check.validated as u8);
        put_str(&mut out, &check.scope);
    }
    put_u16(&mut out, table.foreign_keys.len() as u16);
    for key in &table.foreign_keys {
        put_str(&mut out, &key.name);
        put_u32(&mut out, key.parent_id);
        put_u16(&mut out, key.columns.len() as u16);
        for (&column, &parent_column) in key.columns.iter().zip(&key.parent_columns) {
            put_u16(&mut out, column as u16);
            put_u16(&mut out, parent_column as u16);
        }
        out.push(key.on_delete.code().as_bytes()[0]);
        out.push(key.on_update.code().as_bytes()[0]);
        out.push(
            (key.match_full as u8)
                | ((key.deferrable as u8) << 1)
                | ((key.initially_deferred as u8) << 2)
                | ((key.validated as u8) << 3),
        );
    }
    out
}

//   index row: u8 format version, u32 id, u32 table id, str name, u8 flags (1 unique, 2 valid, 4 backs a
//     unique constraint, 8 nulls not distinct), str job id, u64 usable_from, u16 key column count, per
//     column: u16 column (EXPRESSION_KEY for an expression: then its type and str sql), u8 flags (1 desc,
//     2 nulls given, 4 nulls first), u16 include count, u16 per include column, u8 has predicate,
//     [str predicate sql]

/// The column number that marks an expression key column in an index row.
const EXPRESSION_KEY: u16 = u16::MAX;

fn encode_index(index: &Index) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(FORMAT_VERSION);
    put_u32(&mut out, index.id);
    put_u32(&mut out, index.table_id);
    put_str(&mut out, &index.key());
    out.push(
        (index.unique as u8)
            | (((index.state == IndexState::Valid) as u8) << 1)
            | ((index.constraint as u8) << 2)
            | ((index.nulls_not_distinct as u8) << 3),
    );
    put_str(&mut out, &index.job_id);
    out.extend_from_slice(&index.usable_from.to_be_bytes());
    put_u16(&mut out, index.columns.len() as u16);
    for column in &index.columns {
        match &column.key {
            IndexKey::Column(c) => put_u16(&mut out, *c as u16),
            IndexKey::Expression(expression) => {
                put_u16(&mut out, EXPRESSION_KEY);
                encode_type(&mut out, &expression.data_type);
                put_str(&mut out, &expression.sql);
            }
        }
        let nulls = match column.nulls_first {
            None => 0,
            Some(false) => 2,
            Some(true) => 6,
        };
        out.push((column.descending as u8) | nulls);
    }
    put_u16(&mut out, index.include.len() as u16);
    for &column in &index.include {
        put_u16(&mut out, column as u16);
    }
    match &index.predicate_sql {
        Some(sql) => {
            out.push(1);
            put_str(&mut out, sql);
        }
        None => out.push(0),
    }
    out
}

fn decode_index(bytes: &[u8]) -> Result<Index> {
    let mut reader = CatalogReader::open(bytes)?;
    let id = reader.u32()?;
    let table_id = reader.u32()?;
    let (schema, name) = schemas::split_relation_key(&reader.string()?);
    let flags = reader.u8()?;
    let job_id = reader.string()?;
    let usable_from = u64::from_be_bytes(reader.bytes(8)?.try_into().map_err(|_| corrupt())?);
    let column_count = reader.u16()? as usize;
    let mut columns = Vec::with_capacity(column_count);
    for _ in 0..column_count {
        let key = match reader.u16()? {
            EXPRESSION_KEY => {
                let data_type = reader.data_type()?;
                IndexKey::Expression(Arc::new(KeyExpression { data_type, sql: reader.string()?, bound: None }))
            }
            column => IndexKey::Column(column as usize),
        };
        let column_flags = reader.u8()?;
        let nulls_first = (column_flags & 2 != 0).then_some(column_flags & 4 != 0);
        columns.push(IndexKeyColumn { key, descending: column_flags & 1 != 0, nulls_first });
    }
    let include_count = reader.u16()? as usize;
    let mut include = Vec::with_capacity(include_count);
    for _ in 0..include_count {
        include.push(reader.u16()? as usize);
    }
    let predicate_sql = if reader.u8()? == 1 { Some(reader.string()?) } else { None };
    Ok(Index {
        id,
        name,
        schema,
        table_id,
        unique: flags & 1 != 0,
        columns,
        include,
        predicate_sql,
        predicate: None,
        state: if flags & 2 != 0 { IndexState::Valid } else { IndexState::Building },
        constraint: flags & 4 != 0,
        nulls_not_distinct: flags & 8 != 0,
        job_id,
        usable_from,
        key_prefix: table_prefix(table_id, id),
    })
}

struct CatalogReader<'a> {
    input: &'a [u8],
}

fn corrupt() -> Error {
    Error::internal("corrupt catalog row")
}

impl CatalogReader<'_> {
    /// A reader of one catalog row, past its format version byte (which must be [`FORMAT_VERSION`]).
    fn open(bytes: &[u8]) -> Result<CatalogReader<'_>> {
        let mut reader = CatalogReader { input: bytes };
        if reader.u8()? != FORMAT_VERSION {
            return Err(Error::internal("unsupported catalog row format"));
        }
        Ok(reader)
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8]> {
        if self.input.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }
    /// A byte a later format added at the end of a row: None in a row written before it.
    fn optional_u8(&mut self) -> Result<Option<u8>> {
        if self.input.is_empty() {
            return Ok(None);
        }
        self.u8().map(Some)
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.bytes(2)?.try_into().map_err(|_| corrupt())?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.bytes(4)?.try_into().map_err(|_| corrupt())?))
    }
    fn string(&mut self) -> Result<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.bytes(len)?.to_vec()).map_err(|_| corrupt())
    }
    fn opt_u32(&mut self) -> Result<Option<u32>> {
        Ok(if self.u8()? == 1 { Some(self.u32()?) } else { None })
    }
    fn data_type(&mut self) -> Result<DataType> {
        Ok(match self.u8()? {
            1 => DataType::Bool,
            2 => DataType::Int2,
            3 => DataType::Int4,
            4 => DataType::Int8,
            5 => DataType::Float4,
            6 => DataType::Float8,
            7 => DataType::Numeric(if self.u8()? == 1 { Some((self.u32()?, self.u32()? as i32)) } else { None }),
            8 => DataType::Text,
            9 => DataType::Varchar(self.opt_u32()?),
            10 => DataType::Char(self.u32()?),
            11 => DataType::Bytea,
            12 => DataType::Uuid,
            13 => DataType::Date,
            14 => DataType::Timestamp,
            15 => DataType::Timestamptz,
            16 => DataType::Unknown,
            17 => DataType::Interval,
            40 => DataType::Json,
            41 => DataType::Jsonb,
            42 => self.data_type()?.array_of().ok_or_else(corrupt)?,
            _ => return Err(corrupt()),
        })
    }
}

fn decode_table(bytes: &[u8]) -> Result<Table> {
    let mut reader = CatalogReader::open(bytes)?;
    let id = reader.u32()?;
    let (schema, name) = schemas::split_relation_key(&reader.string()?);
    let column_count = reader.u16()? as usize;
    let mut columns = Vec::with_capacity(column_count);
    for _ in 0..column_count {
        let column_name = reader.string()?;
        let data_type = reader.data_type()?;
        let flags = reader.u8()?;
        let default_sql = if flags & 4 != 0 { Some(reader.string()?) } else { None };
        let default = match &default_sql {
            Some(sql) => Some(crate::sql::parse::parse_expression(sql)?),
            None => None,
        };
        let missing = if flags & 64 != 0 {
            let len = reader.u32()? as usize;
            let mut bytes = reader.bytes(len)?;
            let mut value = crate::storage::keycode::decode_value(&mut bytes, &data_type, false)?;
            if let (Value::Numeric(d), false) = (&mut value, bytes.is_empty()) {
                *d = d.round(crate::storage::keycode::decode_numeric_scale(&mut bytes)? as i64);
            }
            Some(value)
        } else {
            None
        };
        columns.push(ColumnInfo {
            not_null: flags & 1 != 0,
            default,
            default_sql,
            hidden: flags & 2 != 0,
            identity: match flags & 24 {
                8 => Some(Identity::Always),
                16 => Some(Identity::ByDefault),
                _ => None,
            },
            dropped: flags & 32 != 0,
            missing,
            ..ColumnInfo::new(&column_name, data_type)
        });
    }
    let key_count = reader.u16()? as usize;
    let mut primary_key = Vec::with_capacity(key_count);
    for _ in 0..key_count {
        let index = reader.u16()? as usize;
        if index >= columns.len() {
            return Err(corrupt());
        }
        primary_key.push(index);
    }
    let mut table = Table::new(id, name, columns, primary_key);
    table.schema = schema;
    let check_count = if reader.input.is_empty() { 0 } else { reader.u16()? as usize };
    for _ in 0..check_count {
        let name = reader.string()?;
        let sql = reader.string()?;
        let validated = reader.u8()? & 1 != 0;
        let scope = reader.string()?;
        let parsed = crate::sql::parse::parse_expression(&sql)?;
        let expr = crate::sql::bind::bind_check_constraint(&table, &scope, &parsed)?;
        table.checks.push(CheckConstraint { name, sql, expr, scope, validated });
    }
    let key_count = if reader.input.is_empty() { 0 } else { reader.u16()? as usize };
    for _ in 0..key_count {
        let name = reader.string()?;
        let parent_id = reader.u32()?;
        let column_count = reader.u16()? as usize;
        let (mut columns, mut parent_columns) = (Vec::new(), Vec::new());
        for _ in 0..column_count {
            columns.push(reader.u16()? as usize);
            parent_columns.push(reader.u16()? as usize);
        }
        let action = |code: u8| ast::ReferentialAction::from_code(code).ok_or_else(corrupt);
        let on_delete = action(reader.u8()?)?;
        let on_update = action(reader.u8()?)?;
        let flags = reader.u8()?;
        table.foreign_keys.push(ForeignKey {
            name,
            columns,
            parent_id,
            parent_columns,
            on_delete,
            on_update,
            match_full: flags & 1 != 0,
            deferrable: flags & 2 != 0,
            initially_deferred: flags & 4 != 0,
            validated: flags & 8 != 0,
        });
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_round_trip() {
        let table = Table {
            id: 7,
            name: "t".into(),
            schema: "app".into(),
            columns: vec![
                ColumnInfo { not_null: true, ..ColumnInfo::new("a", DataType::Numeric(Some((10, 2)))) },
                ColumnInfo { hidden: true, ..ColumnInfo::new("b", DataType::Varchar(Some(20))) },
                ColumnInfo {
                    identity: Some(Identity::ByDefault),
                    dropped: true,
                    missing: Some(Value::Numeric("2.50".parse().unwrap())),
                    ..ColumnInfo::new("c", DataType::Numeric(None))
                },
            ],
            primary_key: vec![1],
            key_prefix: table_prefix(7, 0),
            indexes: Vec::new(),
            loaded_at: 0,
            materialized: false,
            populated: true,
            checks: Vec::new(),
            foreign_keys: vec![ForeignKey {
                name: "t_c_fkey".into(),
                columns: vec![2],
                parent_id: 3,
                parent_columns: vec![0],
                on_delete: ast::ReferentialAction::Cascade,
                on_update: ast::ReferentialAction::SetDefault,
                match_full: true,
                deferrable: true,
                initially_deferred: false,
                validated: true,
            }],
            referenced_by: Vec::new(),
        };
        assert_eq!(decode_table(&encode_table(&table)).unwrap(), table);
        let row = vec![Value::Numeric("1.50".parse().unwrap()), Value::Text("x".into()), Value::Null];
        let back = table.decode_row(&table.encode_row(&row)).unwrap();
        assert_eq!(back, row);
        // A row stored before column c was added reads its missing value.
        let old_row = table.encode_row(&row[..2]);
        assert!(matches!(&table.decode_row(&old_row).unwrap()[2], Value::Numeric(d) if d.to_string() == "2.50"));
        assert!(matches!(&back[0], Value::Numeric(d) if d.to_string() == "1.50"));
    }

    #[test]
    fn missing_relations_and_schemas() {
        let catalog = Catalog::default();
        let name = ObjectName { schema: Some("x".into()), name: "t".into() };
        assert_eq!(catalog.check_schema_of(&name).unwrap_err().code, "3F000");
        assert_eq!(catalog.table(&name).unwrap_err().code, "42P01");
        let name = ObjectName { schema: Some("public".into()), name: "t".into() };
        assert_eq!(catalog.table(&name).unwrap_err().code, "42P01");
    }
}
