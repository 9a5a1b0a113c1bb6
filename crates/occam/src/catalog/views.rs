//! Views: named queries kept in the catalog and expanded by the binder wherever a FROM item names one
//! (PostgreSQL's rewriter does the same), in both modes, as Aurora DSQL has them since 2026.
//!
//! ```text
//!   key    table_prefix(0, 20) ++ encode(name)     value  view definition (format below)
//!   key    table_prefix(0, 21) ++ encode(name)     value  materialized view definition (same format)
//!   key    table_prefix(0, 22) ++ encode(table id) value  the id (u32): a materialized view not populated
//! ```
//! A materialized view's rows are an ordinary table of the same name and id (`Table::materialized`); its
//! definition is kept for REFRESH. One created or refreshed `WITH NO DATA` is marked unpopulated
//! (`Table::populated`) until a REFRESH fills it.
//! A view's id comes from the table id counter: tables and views share PostgreSQL's relation OID space
//! (`pg_class`), and a GRANT or an owner is recorded by that id as for a table. The definition keeps the
//! query's SQL text, re-parsed when the catalog loads, and the ids of the tables and views it reads, so that
//! dropping one of those is refused (`2BP01`) or, with CASCADE, drops the view too.

use std::sync::Arc;

use super::{next_id, put_str, put_u16, put_u32, schemas, table_id_counter_key, CatalogReader, FORMAT_VERSION};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, CheckOption, ObjectName};
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::{DataType, Value};

/// A stored view.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub id: u32,
    pub name: String,
    pub schema: String,
    /// The `search_path` the view was created under: its query's unqualified names are looked up through
    /// it whoever reads the view (PostgreSQL binds them once, at creation).
    pub search_path: Vec<String>,
    /// The view's columns as created: its query's output columns, renamed by `CREATE VIEW v (a, b)`.
    pub columns: Vec<(String, DataType)>,
    /// The query as SQL text (`pg_views.definition`).
    pub sql: String,
    /// `sql` parsed.
    pub query: Arc<ast::Query>,
    /// Ids of the tables and views the query reads.
    pub depends_on: Vec<u32>,
    /// `WITH [CASCADED | LOCAL] CHECK OPTION`.
    pub check_option: Option<CheckOption>,
}

impl View {
    /// The key the catalog stores and finds the view under (`schemas::relation_key`).
    pub fn key(&self) -> String {
        schemas::relation_key(&self.schema, &self.name)
    }

    /// `schema.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    fn encode(&self) -> Vec<u8> {
        encode_view(self)
    }
}

/// What `CREATE [OR REPLACE] VIEW` stores, as the binder checked it.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewDefinition {
    pub name: ObjectName,
    pub columns: Vec<(String, DataType)>,
    pub sql: String,
    pub depends_on: Vec<u32>,
    pub or_replace: bool,
    pub check_option: Option<CheckOption>,
}

/// Which stored queries: views, or materialized views' definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    View,
    Materialized,
}

impl Kind {
    fn prefix(self) -> Vec<u8> {
        table_prefix(0, if self == Kind::View { 20 } else { 21 })
    }
}

fn key(kind: Kind, relation: &str) -> Vec<u8> {
    encode_key(&kind.prefix(), &[Value::Text(relation.to_string())])
}

fn view_key(relation: &str) -> Vec<u8> {
    key(Kind::View, relation)
}

/// The view (or materialized view definition) under `relation` (`schemas::relation_key`) as `txn` sees it.
pub fn read(txn: &Transaction, kind: Kind, relation: &str) -> Result<Option<View>> {
    txn.get(&key(kind, relation))?.map(|bytes| decode_view(&bytes)).transpose()
}

fn read_view(txn: &Transaction, relation: &str) -> Result<Option<View>> {
    read(txn, Kind::View, relation)
}

/// The view this statement creates, from what the binder checked: in its creation schema, remembering
/// the search path it was created under.
fn new_view(txn: &Transaction, id: u32, definition: &ViewDefinition) -> Result<View> {
    Ok(View {
        id,
        name: definition.name.name.clone(),
        schema: schemas::creation_schema(txn, &definition.name)?,
        search_path: schemas::search_path(),
        columns: definition.columns.clone(),
        sql: definition.sql.clone(),
        query: Arc::new(crate::sql::parse::parse_query(&definition.sql)?),
        depends_on: definition.depends_on.clone(),
        check_option: definition.check_option,
    })
}

/// Every view (or materialized view definition) visible to `txn`.
pub fn load(txn: &Transaction, kind: Kind) -> Result<Vec<View>> {
    let (start, end) = prefix_range(&kind.prefix());
    let mut views = Vec::new();
    for entry in txn.scan(start, end, false) {
        let (_, value) = entry?;
        views.push(decode_view(&value)?);
    }
    Ok(views)
}

/// Stores a view (replacing the one of that name with `or_replace`, keeping its id); its id.
pub fn create_view(txn: &mut Transaction, definition: &ViewDefinition) -> Result<u32> {
    let mut view = new_view(txn, 0, definition)?;
    let name = &definition.name.name;
    let relation = view.key();
    view.id = match read_view(txn, &relation)? {
        Some(existing) if definition.or_replace => existing.id,
        None if !super::relation_exists(txn, &relation)? => next_id(txn, table_id_counter_key(), "table")?,
        None if definition.or_replace => {
            return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{name}\" is not a view")))
        }
        _ => return Err(Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{name}\" already exists"))),
    };
    txn.put(view_key(&relation), view.encode());
    Ok(view.id)
}

/// Keeps the definition of the materialized view whose rows are table `id`.
pub fn store_materialized(txn: &mut Transaction, id: u32, definition: &ViewDefinition) -> Result<()> {
    let view = new_view(txn, id, definition)?;
    txn.put(key(Kind::Materialized, &view.key()), view.encode());
    Ok(())
}

fn unpopulated_key(table_id: u32) -> Vec<u8> {
    encode_key(&table_prefix(0, 22), &[Value::Int(table_id.into())])
}

/// Marks materialized view `table_id` populated (REFRESH) or not (`WITH NO DATA`).
pub fn set_populated(txn: &mut Transaction, table_id: u32, populated: bool) {
    if populated {
        txn.delete(unpopulated_key(table_id));
    } else {
        txn.put(unpopulated_key(table_id), table_id.to_be_bytes().to_vec());
    }
}

/// The ids of the materialized views that are not populated.
pub fn load_unpopulated(txn: &Transaction) -> Result<Vec<u32>> {
    let (start, end) = prefix_range(&table_prefix(0, 22));
    let mut out = Vec::new();
    for entry in txn.scan(start, end, false) {
        let (_, value) = entry?;
        let bytes: [u8; 4] = (*value).try_into().map_err(|_| Error::internal("corrupt catalog row"))?;
        out.push(u32::from_be_bytes(bytes));
    }
    Ok(out)
}

/// `DROP MATERIALIZED VIEW [IF EXISTS] name, ... [CASCADE]`: each definition and its table.
pub fn drop_materialized(txn: &mut Transaction, names: &[ObjectName], if_exists: bool, cascade: bool) -> Result<()> {
    for name in names {
        let Some(relation) = super::key_to_drop(txn, name, if_exists)? else { continue };
        if read(txn, Kind::Materialized, &relation)?.is_none() {
            if txn.get(&super::catalog_key(&relation))?.is_some() || is_view(txn, &relation)? {
                return Err(Error::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a materialized view", name.name),
                ));
            }
            let missing =
                Error::new(sqlstate::UNDEFINED_TABLE, format!("materialized view \"{}\" does not exist", name.name));
            if if_exists {
                crate::notice::skip_missing(&missing);
                continue;
            }
            return Err(missing);
        }
        if let Some(id) = super::table_id_in(txn, &relation)? {
            drop_dependents(txn, id, &format!("materialized view {}", name.name), cascade)?;
            set_populated(txn, id, true);
        }
        txn.delete(key(Kind::Materialized, &relation));
        super::drop_table(txn, std::slice::from_ref(name), false, cascade)?;
    }
    Ok(())
}

/// Whether a view is stored under `relation` (`schemas::relation_key`) as `txn` sees it.
pub fn is_view(txn: &Transaction, relation: &str) -> Result<bool> {
    Ok(txn.get(&view_key(relation))?.is_some())
}

/// `DROP VIEW [IF EXISTS] name, ... [CASCADE]`.
pub fn drop_views(txn: &mut Transaction, names: &[ObjectName], if_exists: bool, cascade: bool) -> Result<()> {
    for name in names {
        let Some(relation) = super::key_to_drop(txn, name, if_exists)? else { continue };
        let Some(view) = read_view(txn, &relation)? else {
            if txn.get(&super::catalog_key(&relation))?.is_some() {
                return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{}\" is not a view", name.name))
                    .with_hint("Use DROP TABLE to remove a table."));
            }
            let missing = Error::new(sqlstate::UNDEFINED_TABLE, format!("view \"{}\" does not exist", name.name));
            if if_exists {
                crate::notice::skip_missing(&missing);
                continue;
            }
            return Err(missing);
        };
        drop_dependents(txn, view.id, &format!("view {}", view.name), cascade)?;
        txn.delete(view_key(&view.key()));
    }
    Ok(())
}

/// After relation `id` was renamed `from` → `to` (ALTER TABLE RENAME): the views and materialized views
/// that read it read it under its new name, as PostgreSQL's views follow the relation.
pub fn follow_rename(txn: &mut Transaction, id: u32, from: &str, to: &str) -> Result<()> {
    for kind in [Kind::View, Kind::Materialized] {
        for view in load(txn, kind)?.into_iter().filter(|v| v.depends_on.contains(&id)) {
            let sql = crate::sql::parse::rename_relation_in_query(&view.sql, from, to)?;
            let renamed = View { query: Arc::new(crate::sql::parse::parse_query(&sql)?), sql, ..view };
            txn.put(key(kind, &renamed.key()), renamed.encode());
        }
    }
    Ok(())
}

/// Whether a view or materialized view reads relation `id`.
pub fn has_dependents(txn: &Transaction, id: u32) -> Result<bool> {
    for kind in [Kind::View, Kind::Materialized] {
        if load(txn, kind)?.iter().any(|v| v.depends_on.contains(&id)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Before a table or view (`what`, e.g. `table t`) is dropped: the views that read it are dropped too with
/// CASCADE, otherwise 2BP01 as PostgreSQL's dependency check.
pub fn drop_dependents(txn: &mut Transaction, id: u32, what: &str, cascade: bool) -> Result<()> {
    let dependents: Vec<View> = load(txn, Kind::View)?.into_iter().filter(|v| v.depends_on.contains(&id)).collect();
    if dependents.is_empty() {
        return Ok(());
    }
    if !cascade {
        let detail: Vec<String> = dependents.iter().map(|v| format!("view {} depends on {what}", v.name)).collect();
        return Err(Error::new(
            sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
            format!("cannot drop {what} because other objects depend on it"),
        )
        .with_detail(detail.join("\n"))
        .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    for view in dependents {
        drop_dependents(txn, view.id, &format!("view {}", view.name), true)?;
        txn.delete(view_key(&view.key()));
    }
    Ok(())
}

//   view row: u8 format version, u32 id, str relation key, u16 column count, per column: str name, str
//     type (as `format_type` spells it), str query sql, u16 dependency count, u32 per dependency,
//     [u8 check option (0 none, 1 local, 2 cascaded), [u16 search path length, str per schema]] (absent in
//     rows written before check options and schemas: none, and `public`)

fn encode_view(view: &View) -> Vec<u8> {
    let View { id, columns, sql, depends_on, check_option, .. } = view;
    let mut out = Vec::with_capacity(64 + sql.len());
    out.push(FORMAT_VERSION);
    put_u32(&mut out, *id);
    put_str(&mut out, &view.key());
    put_u16(&mut out, columns.len() as u16);
    for (column, data_type) in columns {
        put_str(&mut out, column);
        let typmod = Some(data_type.typmod()).filter(|&t| t >= 0);
        put_str(&mut out, &crate::sql::system::names::format_type(data_type.oid(), typmod));
    }
    put_str(&mut out, sql);
    put_u16(&mut out, depends_on.len() as u16);
    for id in depends_on {
        put_u32(&mut out, *id);
    }
    out.push(match check_option {
        None => 0,
        Some(CheckOption::Local) => 1,
        Some(CheckOption::Cascaded) => 2,
    });
    put_u16(&mut out, view.search_path.len() as u16);
    for schema in &view.search_path {
        put_str(&mut out, schema);
    }
    out
}

fn decode_view(bytes: &[u8]) -> Result<View> {
    let mut reader = CatalogReader::open(bytes)?;
    let id = reader.u32()?;
    let (schema, name) = schemas::split_relation_key(&reader.string()?);
    let column_count = reader.u16()? as usize;
    let mut columns = Vec::with_capacity(column_count);
    for _ in 0..column_count {
        let column = reader.string()?;
        let data_type = crate::sql::parse::parse_type_name(&reader.string()?)?;
        columns.push((column, data_type));
    }
    let sql = reader.string()?;
    let dependency_count = reader.u16()? as usize;
    let depends_on = (0..dependency_count).map(|_| reader.u32()).collect::<Result<Vec<_>>>()?;
    // Rows written before views had check options (and schemas) end here.
    let check_option = match reader.optional_u8()? {
        None | Some(0) => None,
        Some(1) => Some(CheckOption::Local),
        Some(_) => Some(CheckOption::Cascaded),
    };
    let search_path = if reader.input.is_empty() {
        vec![super::PUBLIC_SCHEMA.to_string()]
    } else {
        (0..reader.u16()?).map(|_| reader.string()).collect::<Result<Vec<_>>>()?
    };
    let query = Arc::new(crate::sql::parse::parse_query(&sql)?);
    Ok(View { id, name, schema, search_path, columns, sql, query, depends_on, check_option })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_rows_round_trip() {
        let sql = "SELECT a, b FROM t WHERE a > 1".to_string();
        let view = View {
            id: 9,
            name: "v".into(),
            schema: "app".into(),
            search_path: vec!["app".into(), "public".into()],
            columns: vec![
                ("a".into(), DataType::Int4),
                ("x".into(), DataType::Varchar(Some(10))),
                ("y".into(), DataType::Numeric(Some((10, 2)))),
                ("z".into(), DataType::Array(crate::types::ArrayElement::TEXT)),
            ],
            query: Arc::new(crate::sql::parse::parse_query(&sql).unwrap()),
            sql,
            depends_on: vec![3, 4],
            check_option: Some(CheckOption::Local),
        };
        let bytes = encode_view(&view);
        assert_eq!(decode_view(&bytes).unwrap(), view);
    }
}
