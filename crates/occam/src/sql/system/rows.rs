//! Building blocks of the catalog relations' rows: [`RowBuilder`] (a row set column by column, by name)
//! and [`Class`], the one list of what `pg_class` holds (tables, their primary-key indexes, secondary
//! indexes and the system relations), which `pg_class`, `pg_attribute`, `pg_index`, the `information_schema`
//! views and the catalog functions all read, so they agree on every oid and column number.

use std::sync::Arc;

use super::{oids, SystemRelation};
use crate::catalog::views::View;
use crate::catalog::{Catalog, ColumnInfo, Index, IndexKey, IndexKeyColumn, IndexState, Table};
use crate::types::{DataType, Row, Value};

/// A row of a system relation, filled column by column by name. In a catalog table a column not set
/// keeps its type's zero (false, 0, the empty `name` / `"char"`; NULL for arrays, timestamps and free
/// text), as PostgreSQL's catalog columns are NOT NULL where a zero makes sense; in a view it is NULL.
pub struct RowBuilder {
    columns: &'static [(&'static str, DataType)],
    values: Vec<Value>,
}

impl RowBuilder {
    pub fn new(columns: &'static [(&'static str, DataType)], zeros: bool) -> RowBuilder {
        let values = columns
            .iter()
            .map(|(_, data_type)| match data_type {
                _ if !zeros => Value::Null,
                DataType::Bool => Value::Bool(false),
                DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Oid | DataType::Reg(_) => Value::Int(0),
                DataType::Float4 | DataType::Float8 => Value::Float(0.0),
                DataType::Name | DataType::InternalChar => Value::Text(String::new()),
                _ => Value::Null,
            })
            .collect();
        RowBuilder { columns, values }
    }

    /// Sets column `name` (a relation definition and its producer disagreeing is a bug: it panics in
    /// debug builds and is ignored otherwise).
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> RowBuilder {
        match self.columns.iter().position(|(column, _)| *column == name) {
            Some(index) => self.values[index] = value.into(),
            None => debug_assert!(false, "no column {name} in this system relation"),
        }
        self
    }

    pub fn finish(self) -> Row {
        self.values
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(n as i64)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Int(n as i64)
    }
}

impl From<i16> for Value {
    fn from(n: i16) -> Value {
        Value::Int(n as i64)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// An int2 / oid array value.
pub fn int_array(values: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(values.into_iter().map(Value::Int).collect())
}

/// One relation of `pg_class`.
#[derive(Clone)]
pub enum Class<'c> {
    Table(&'c Arc<Table>),
    /// The index PostgreSQL would have for a declared primary key (occam's table is its primary key).
    PrimaryKey(&'c Arc<Table>),
    Index(&'c Arc<Table>, &'c Arc<Index>),
    View(&'c Arc<View>),
    Sequence(&'c Arc<crate::sequences::Sequence>),
    System(&'static SystemRelation),
}

/// One column of a relation (`pg_attribute`).
pub struct Attribute<'c> {
    pub name: &'c str,
    pub data_type: DataType,
    pub attnum: i16,
    pub not_null: bool,
    /// The table column it is (for a table or index), for its default.
    pub column: Option<&'c ColumnInfo>,
}

impl<'c> Class<'c> {
    pub fn oid(&self) -> u32 {
        match self {
            Class::Table(table) => oids::table(table.id),
            Class::PrimaryKey(table) => oids::primary_key_index(table.id),
            Class::Index(_, index) => oids::secondary_index(index.id),
            Class::View(view) => oids::table(view.id),
            Class::Sequence(sequence) => oids::table(sequence.id),
            Class::System(relation) => relation.oid,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Class::Table(table) => table.name.clone(),
            Class::PrimaryKey(table) => table.primary_key_name(),
            Class::Index(_, index) => index.name.clone(),
            Class::View(view) => view.name.clone(),
            Class::Sequence(sequence) => sequence.name.clone(),
            Class::System(relation) => relation.name.to_string(),
        }
    }

    pub fn namespace(&self, catalog: &Catalog) -> u32 {
        match self {
            Class::System(relation) => relation.schema.oid(),
            _ => super::names::namespace_oid(catalog, self.schema_name()).unwrap_or(oids::PUBLIC_NAMESPACE),
        }
    }

    pub fn schema_name(&self) -> &'c str {
        match self {
            Class::Table(table) | Class::PrimaryKey(table) | Class::Index(table, _) => &table.schema,
            Class::View(view) => &view.schema,
            Class::Sequence(sequence) => &sequence.schema,
            Class::System(relation) => relation.schema.name(),
        }
    }

    /// `pg_class.relkind`.
    pub fn relkind(&self) -> &'static str {
        match self {
            Class::Table(table) if table.materialized => "m",
            Class::Table(_) => "r",
            Class::PrimaryKey(_) | Class::Index(..) => "i",
            Class::View(_) => "v",
            Class::Sequence(_) => "S",
            Class::System(relation) => relation.relkind(),
        }
    }

    /// The table a user table or index belongs to.
    pub fn table(&self) -> Option<&'c Arc<Table>> {
        match self {
            Class::Table(table) | Class::PrimaryKey(table) | Class::Index(table, _) => Some(table),
            Class::View(_) | Class::Sequence(_) | Class::System(_) => None,
        }
    }

    /// The id ownership and privileges are recorded by: a user table's (for its indexes too) or a view's.
    pub fn owner_id(&self) -> Option<u32> {
        match self {
            Class::View(view) => Some(view.id),
            _ => self.table().map(|table| table.id),
        }
    }

    /// The key then INCLUDE columns of an index; None for anything else.
    pub fn index_columns(&self) -> Option<(Vec<IndexKeyColumn>, usize)> {
        match self {
            Class::PrimaryKey(table) => {
                let key: Vec<IndexKeyColumn> = table.primary_key.iter().map(|&c| IndexKeyColumn::column(c)).collect();
                let count = key.len();
                Some((key, count))
            }
            Class::Index(_, index) => {
                let mut columns = index.columns.clone();
                let key_count = columns.len();
                columns.extend(index.include.iter().map(|&c| IndexKeyColumn::column(c)));
                Some((columns, key_count))
            }
            _ => None,
        }
    }

    pub fn is_unique_index(&self) -> bool {
        match self {
            Class::PrimaryKey(_) => true,
            Class::Index(_, index) => index.unique,
            _ => false,
        }
    }

    pub fn is_valid_index(&self) -> bool {
        match self {
            Class::Index(_, index) => index.state == IndexState::Valid,
            _ => true,
        }
    }

    /// The relation's columns, numbered as `pg_attribute.attnum`.
    pub fn attributes(&self) -> Vec<Attribute<'c>> {
        match self {
            Class::Table(table) => table_attributes(table),
            Class::PrimaryKey(_) | Class::Index(..) => {
                let table = self.table().expect("an index has a table");
                let key: &'c [IndexKeyColumn] = match self {
                    Class::Index(_, index) => &index.columns,
                    _ => &[],
                };
                let (columns, _) = self.index_columns().unwrap_or_default();
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match (c.table_column(), key.get(i).map(|k| &k.key)) {
                        (None, Some(IndexKey::Expression(expression))) => Attribute {
                            name: expression_column_name(&expression.sql),
                            data_type: expression.data_type,
                            attnum: (i + 1) as i16,
                            not_null: false,
                            column: None,
                        },
                        (column, _) => {
                            let column = &table.columns[column.unwrap_or_default()];
                            Attribute {
                                name: &column.name,
                                data_type: column.data_type,
                                attnum: (i + 1) as i16,
                                not_null: column.not_null,
                                column: Some(column),
                            }
                        }
                    })
                    .collect()
            }
            Class::View(view) => numbered(view.columns.iter().map(|(name, t)| (name.as_str(), *t)), false),
            // PostgreSQL's sequence relations have these three columns.
            Class::Sequence(_) => numbered(
                [("last_value", DataType::Int8), ("log_cnt", DataType::Int8), ("is_called", DataType::Bool)],
                true,
            ),
            Class::System(relation) => numbered(relation.columns.iter().map(|(name, t)| (*name, *t)), false),
        }
    }
}

/// Columns that are not a table's, numbered from 1 in order.
fn numbered<'c>(columns: impl IntoIterator<Item = (&'c str, DataType)>, not_null: bool) -> Vec<Attribute<'c>> {
    columns
        .into_iter()
        .enumerate()
        .map(|(i, (name, data_type))| Attribute { name, data_type, attnum: (i + 1) as i16, not_null, column: None })
        .collect()
}

/// A table's visible columns with their `attnum` (1-based position among the visible columns, as
/// RowDescription's column numbers).
pub fn table_attributes(table: &Table) -> Vec<Attribute<'_>> {
    table
        .visible_columns()
        .map(|(i, column)| Attribute {
            name: &column.name,
            data_type: column.data_type,
            attnum: table.attnum(i).unwrap_or(0),
            not_null: column.not_null,
            column: Some(column),
        })
        .collect()
}

/// The attnum of a table's column (by its index in `table.columns`); None for the hidden key.
pub fn attnum(table: &Table, column: usize) -> Option<i16> {
    table.attnum(column)
}

/// Every user table, by id.
pub fn tables(catalog: &Catalog) -> Vec<&Arc<Table>> {
    let mut tables: Vec<&Arc<Table>> = catalog.tables().collect();
    tables.sort_by_key(|t| t.id);
    tables
}

/// Every sequence, by id.
pub fn sequences(catalog: &Catalog) -> Vec<&Arc<crate::sequences::Sequence>> {
    let mut sequences: Vec<_> = catalog.sequences().collect();
    sequences.sort_by_key(|s| s.id);
    sequences
}

/// Every relation of `pg_class`: user tables and their indexes (the primary key's first), then the system
/// relations.
pub fn classes(catalog: &Catalog) -> Vec<Class<'_>> {
    let mut out = Vec::new();
    let mut views: Vec<&Arc<View>> = catalog.views().collect();
    views.sort_by_key(|v| v.id);
    let mut views = views.into_iter().peekable();
    for table in tables(catalog) {
        // Tables and views share the id sequence: both in creation order.
        while let Some(view) = views.next_if(|v| v.id < table.id) {
            out.push(Class::View(view));
        }
        out.push(Class::Table(table));
        if !table.has_hidden_key() {
            out.push(Class::PrimaryKey(table));
        }
        out.extend(table.indexes.iter().map(|index| Class::Index(table, index)));
    }
    out.extend(views.map(Class::View));
    out.extend(sequences(catalog).into_iter().map(Class::Sequence));
    out.extend(super::relations(catalog).map(Class::System));
    out
}

/// The relation with `pg_class.oid` `oid`.
pub fn class_by_oid(catalog: &Catalog, oid: u32) -> Option<Class<'_>> {
    let table_by_id = |id: u32| catalog.tables().find(|t| t.id == id);
    match oids::class(oid) {
        oids::ClassOid::Table(id) => table_by_id(id)
            .map(Class::Table)
            .or_else(|| catalog.views().find(|v| v.id == id).map(Class::View))
            .or_else(|| catalog.sequences().find(|s| s.id == id).map(Class::Sequence)),
        oids::ClassOid::PrimaryKeyIndex(id) => table_by_id(id).filter(|t| !t.has_hidden_key()).map(Class::PrimaryKey),
        oids::ClassOid::SecondaryIndex(id) => catalog.tables().find_map(|table| {
            table.indexes.iter().find(|index| index.id == id).map(|index| Class::Index(table, index))
        }),
        oids::ClassOid::Other => super::relations(catalog).find(|r| r.oid == oid).map(Class::System),
    }
}

/// The owner's role oid of a user table (admin when none is recorded); admin for everything else.
pub fn owner_oid(catalog: &Catalog, class: &Class) -> u32 {
    class
        .owner_id()
        .and_then(|id| catalog.roles.table_owner(id))
        .and_then(|owner| catalog.roles.oid(owner))
        .unwrap_or(crate::roles::ADMIN_ROLE_OID)
}

/// The name PostgreSQL gives an expression index column (`FigureIndexColname`): a function call's name,
/// else `expr` (borrowed from the expression's text, which starts with the name).
fn expression_column_name(sql: &str) -> &str {
    let name_end = sql.find('(').unwrap_or(0);
    let name = &sql[..name_end];
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name
    } else {
        "expr"
    }
}
