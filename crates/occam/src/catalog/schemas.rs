//! Schemas (`CREATE SCHEMA`, `DROP SCHEMA`, as Aurora DSQL has them: at most 10) and how a relation's name
//! finds its schema.
//!
//! ```text
//!   key    table_prefix(0, 32) ++ encode(name)     value  u8 format version, u32 id, str owner
//! ```
//! `public` is built in and has no row. A schema's id comes from the table id counter, so its
//! `pg_namespace.oid` (`16384 + id`) is never a relation's.
//!
//! A relation (table, index, view, sequence) lives in one schema. Its catalog rows and the in-memory
//! catalog key it by [`relation_key`]: the bare name in `public` (so rows written before schemas existed
//! read unchanged) and `schema NUL name` elsewhere (an identifier cannot hold NUL).
//!
//! An unqualified name is looked up through the session's `search_path`, which the session sets for the
//! statement running on its thread ([`with_search_path`]), as the time zone is set (`types::zone`): the
//! binder and the DDL paths read it without threading it through every call.
//!
//! Temporary tables (postgres mode) live in a schema of their session, `pg_temp_<backend pid>`, created
//! with the first of them and dropped with the session (and at startup, after a crash). The session puts it
//! first in the path it sets, as PostgreSQL searches `pg_temp` first; `pg_temp` names it, and another
//! session's is refused (`0A000 cannot access temporary tables of other sessions`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::{next_id, put_str, put_u32, table_id_counter_key, CatalogReader, FORMAT_VERSION, PUBLIC_SCHEMA};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::ObjectName;
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::Value;

/// A schema created by `CREATE SCHEMA`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub id: u32,
    pub name: String,
    pub owner: String,
}

/// The prefix of a session's temporary schema's name.
pub const TEMPORARY_PREFIX: &str = "pg_temp_";

/// Whether `name` is some session's temporary schema.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(TEMPORARY_PREFIX)
}

/// The temporary schema of the session running on this thread (the first temporary schema of its path).
pub fn own_temporary_schema() -> Option<String> {
    search_path().into_iter().find(|schema| is_temporary(schema))
}

/// The schema a qualifier names: `pg_temp` is the session's temporary schema; another session's is
/// refused, as in PostgreSQL.
pub fn named_schema(schema: &str) -> Result<String> {
    if schema == "pg_temp" {
        // Without a temporary schema yet, `pg_temp.x` names nothing (a schema that does not exist).
        return Ok(own_temporary_schema().unwrap_or_else(|| schema.to_string()));
    }
    if is_temporary(schema) && own_temporary_schema().as_deref() != Some(schema) {
        return Err(Error::unsupported("cannot access temporary tables of other sessions"));
    }
    Ok(schema.to_string())
}

/// Creates the temporary schema `name` for `owner` if `txn` does not see it yet (no quota: it is the
/// session's, not the user's).
pub fn ensure_temporary(txn: &mut Transaction, name: &str, owner: &str) -> Result<()> {
    if read(txn, name)?.is_none() {
        let id = next_id(txn, table_id_counter_key(), "table")?;
        txn.put(storage_key(name), encode(&Schema { id, name: name.to_string(), owner: owner.to_string() }));
    }
    Ok(())
}

/// Schemas whose names user schemas may not take: occam's built-in ones, and PostgreSQL's reserved prefix.
const BUILT_IN: &[&str] = &[PUBLIC_SCHEMA, "pg_catalog", "information_schema", "sys"];

/// The key a relation is stored and looked up under (see the module comment).
pub fn relation_key(schema: &str, name: &str) -> String {
    if schema == PUBLIC_SCHEMA {
        name.to_string()
    } else {
        format!("{schema}\0{name}")
    }
}

/// The (schema, name) a [`relation_key`] stands for.
pub fn split_relation_key(key: &str) -> (String, String) {
    match key.split_once('\0') {
        Some((schema, name)) => (schema.to_string(), name.to_string()),
        None => (PUBLIC_SCHEMA.to_string(), key.to_string()),
    }
}

thread_local! {
    /// The `search_path` of the statement running on this thread, `$user` already replaced.
    static SEARCH_PATH: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Runs `f` with `path` as this thread's search path, restoring the previous one afterwards (also when `f`
/// panics).
pub fn with_search_path<R>(path: Vec<String>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Vec<String>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            SEARCH_PATH.with(|current| *current.borrow_mut() = previous);
        }
    }
    let _restore = Restore(SEARCH_PATH.with(|current| current.replace(Some(path))));
    f()
}

/// The search path of the statement running on this thread (`public` outside any [`with_search_path`]).
pub fn search_path() -> Vec<String> {
    SEARCH_PATH.with(|current| current.borrow().clone()).unwrap_or_else(|| vec![PUBLIC_SCHEMA.to_string()])
}

fn prefix() -> Vec<u8> {
    table_prefix(0, 32)
}

fn storage_key(name: &str) -> Vec<u8> {
    encode_key(&prefix(), &[Value::Text(name.to_string())])
}

fn encode(schema: &Schema) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    put_u32(&mut out, schema.id);
    put_str(&mut out, &schema.owner);
    out
}

fn decode(name: String, bytes: &[u8]) -> Result<Schema> {
    let mut reader = CatalogReader::open(bytes)?;
    Ok(Schema { id: reader.u32()?, name, owner: reader.string()? })
}

/// Every user schema `txn` sees, by name.
pub fn load(txn: &Transaction) -> Result<HashMap<String, Arc<Schema>>> {
    let (start, end) = prefix_range(&prefix());
    let mut out = HashMap::new();
    for entry in txn.scan(start, end, false) {
        let (key, value) = entry?;
        let mut input = &key[prefix().len()..];
        let Value::Text(name) =
            crate::storage::keycode::decode_value(&mut input, &crate::types::DataType::Text, false)?
        else {
            return Err(Error::internal("corrupt schema key"));
        };
        out.insert(name.clone(), Arc::new(decode(name, &value)?));
    }
    Ok(out)
}

/// The user schema `name` as `txn` sees it.
pub fn read(txn: &Transaction, name: &str) -> Result<Option<Schema>> {
    txn.get(&storage_key(name))?.map(|bytes| decode(name.to_string(), &bytes)).transpose()
}

/// ALTER SCHEMA name OWNER TO `owner` for `user` (a superuser, or the schema's owner). The built-in schemas
/// belong to the administrator: giving one to it again is a no-op, to another role 0A000.
pub fn set_owner(txn: &mut Transaction, name: &str, owner: &str, user: &str, superuser: bool) -> Result<()> {
    if BUILT_IN.contains(&name) {
        if owner == crate::roles::ADMIN_ROLE {
            return Ok(());
        }
        return Err(Error::unsupported(format!("changing the owner of schema {name} is not supported")));
    }
    let mut schema = read(txn, name)?.ok_or_else(|| undefined_schema(name))?;
    if !superuser && schema.owner != user {
        return Err(Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, format!("must be owner of schema {name}")));
    }
    schema.owner = owner.to_string();
    txn.put(storage_key(name), encode(&schema));
    Ok(())
}

/// Whether a schema that can hold relations is named `name` (`public` or a user schema).
pub fn exists(txn: &Transaction, name: &str) -> Result<bool> {
    Ok(name == PUBLIC_SCHEMA || read(txn, name)?.is_some())
}

fn undefined_schema(name: &str) -> Error {
    Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{name}\" does not exist"))
}

/// The schema a new relation named `name` goes in: the one it names (which must exist), else the first
/// schema of the search path that exists (as PostgreSQL: `3F000 no schema has been selected to create in`).
pub fn creation_schema(txn: &Transaction, name: &ObjectName) -> Result<String> {
    match &name.schema {
        Some(schema) if is_system_schema(schema) => Err(Error::new(
            sqlstate::INSUFFICIENT_PRIVILEGE,
            format!("permission denied to create \"{schema}.{}\"", name.name),
        )),
        Some(schema) => {
            let schema = named_schema(schema)?;
            if exists(txn, &schema)? {
                Ok(schema)
            } else {
                Err(undefined_schema(&schema))
            }
        }
        None => {
            // A temporary schema is never where an unqualified new relation goes (CREATE TEMP TABLE says so).
            for schema in search_path().into_iter().filter(|s| !is_temporary(s)) {
                if exists(txn, &schema)? {
                    return Ok(schema);
                }
            }
            Err(Error::new(sqlstate::UNDEFINED_SCHEMA, "no schema has been selected to create in"))
        }
    }
}

/// The schema whose relation `name` names, found through the search path when `name` is unqualified
/// (`found` says whether a schema holds the relation). None when no schema of the path holds it; a named
/// schema that does not exist is `3F000`.
pub fn resolve_in(
    txn: &Transaction,
    name: &ObjectName,
    found: impl Fn(&str) -> Result<bool>,
) -> Result<Option<String>> {
    match name.schema.as_deref().map(named_schema).transpose()? {
        Some(schema) if exists(txn, &schema)? => Ok(found(&schema)?.then_some(schema)),
        Some(schema) if is_system_schema(&schema) => Ok(None),
        Some(schema) => Err(undefined_schema(&schema)),
        None => {
            for schema in search_path() {
                if exists(txn, &schema)? && found(&schema)? {
                    return Ok(Some(schema));
                }
            }
            Ok(None)
        }
    }
}

/// `pg_catalog`, `information_schema` and `sys`: they hold the system relations, never a user's.
pub fn is_system_schema(name: &str) -> bool {
    BUILT_IN.contains(&name) && name != PUBLIC_SCHEMA
}

/// Executes `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION owner]`; `limit` is the most schemas the
/// database may have, `public` included (DSQL: 10). Returns false when IF NOT EXISTS found it.
pub fn create(
    txn: &mut Transaction,
    name: &str,
    if_not_exists: bool,
    owner: &str,
    limit: Option<usize>,
) -> Result<bool> {
    if BUILT_IN.contains(&name) || read(txn, name)?.is_some() {
        let exists = Error::new(sqlstate::DUPLICATE_SCHEMA, format!("schema \"{name}\" already exists"));
        if if_not_exists {
            crate::notice::skip_existing(&exists);
            return Ok(false);
        }
        return Err(exists);
    }
    if name.starts_with("pg_") {
        return Err(Error::new(sqlstate::RESERVED_NAME, format!("unacceptable schema name \"{name}\""))
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    if let Some(limit) = limit {
        if load(txn)?.len() + 1 >= limit {
            return Err(Error::new(
                sqlstate::PROGRAM_LIMIT_EXCEEDED,
                format!("schema limit exceeded: a database may have at most {limit} schemas"),
            ));
        }
    }
    let id = next_id(txn, table_id_counter_key(), "table")?;
    txn.put(storage_key(name), encode(&Schema { id, name: name.to_string(), owner: owner.to_string() }));
    Ok(true)
}

/// Removes schema `name`'s row (the caller has dropped or refused its contents).
pub fn remove(txn: &mut Transaction, name: &str) {
    txn.delete(storage_key(name));
}

/// The relations stored in schema `schema` as `txn` sees them, as (kind, name): views first (they may read
/// the tables), then materialized views, tables and the sequences no column owns.
fn contents(txn: &Transaction, schema: &str) -> Result<Vec<(&'static str, String)>> {
    // (id, kind, name): relations in creation order, as PostgreSQL lists dependents.
    let mut out: Vec<(u32, &'static str, String)> = Vec::new();
    for (kind, what) in [(super::views::Kind::View, "view"), (super::views::Kind::Materialized, "materialized view")] {
        let views = super::views::load(txn, kind)?.into_iter().filter(|v| v.schema == schema);
        out.extend(views.map(|v| (v.id, what, v.name)));
    }
    let materialized: Vec<u32> = out.iter().map(|(id, ..)| *id).collect();
    out.extend(
        super::load_tables(txn)?
            .into_iter()
            .filter(|t| t.schema == schema && !materialized.contains(&t.id))
            .map(|t| (t.id, "table", t.name)),
    );
    out.extend(
        crate::sequences::load(txn)?
            .into_iter()
            .filter(|s| s.schema == schema && s.owned_by.is_none())
            .map(|s| (s.id, "sequence", s.name)),
    );
    out.sort_by_key(|(id, ..)| *id);
    Ok(out.into_iter().map(|(_, kind, name)| (kind, name)).collect())
}

/// Executes `DROP SCHEMA [IF EXISTS] name, ... [CASCADE]` for `actor` (its owner, or an administrator when
/// `superuser`): a schema holding relations is refused (2BP01) unless CASCADE drops them with it.
pub fn drop(
    txn: &mut Transaction,
    names: &[String],
    if_exists: bool,
    cascade: bool,
    actor: &str,
    superuser: bool,
) -> Result<()> {
    for name in names {
        if name == PUBLIC_SCHEMA || is_system_schema(name) {
            return Err(Error::unsupported(format!("cannot drop schema {name}: occam keeps its built-in schemas")));
        }
        let Some(schema) = read(txn, name)? else {
            if if_exists {
                crate::notice::skip_missing(&undefined_schema(name));
                continue;
            }
            return Err(undefined_schema(name));
        };
        if !superuser && schema.owner != actor {
            return Err(Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, format!("must be owner of schema {name}")));
        }
        let contents = contents(txn, name)?;
        if !contents.is_empty() && !cascade {
            let detail: Vec<String> = contents
                .iter()
                .map(|(kind, relation)| format!("{kind} {name}.{relation} depends on schema {name}"))
                .collect();
            return Err(Error::new(
                sqlstate::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop schema {name} because other objects depend on it"),
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        // PostgreSQL's NOTICE of what CASCADE drops (each by kind and qualified name).
        let dropped: Vec<String> =
            contents.iter().map(|(kind, relation)| format!("drop cascades to {kind} {name}.{relation}")).collect();
        match dropped.as_slice() {
            [] => {}
            [one] => crate::notice::raise(crate::notice::notice("00000", one.clone())),
            many => crate::notice::raise(
                crate::notice::notice("00000", format!("drop cascades to {} other objects", many.len()))
                    .with_detail(many.join("\n")),
            ),
        }
        crate::notice::suppressed(|| -> Result<()> {
            for (kind, relation) in contents {
                let object = [ObjectName { schema: Some(name.clone()), name: relation }];
                // Each may already be gone with an earlier one (a view dropped by a table's CASCADE).
                match kind {
                    "view" => super::views::drop_views(txn, &object, true, true)?,
                    "materialized view" => super::views::drop_materialized(txn, &object, true, true)?,
                    "table" => super::drop_table(txn, &object, true, true)?,
                    _ => {
                        if let Some(sequence) =
                            crate::sequences::read_sequence(txn, &relation_key(name, &object[0].name))?
                        {
                            crate::sequences::remove(txn, &sequence);
                        }
                    }
                }
            }
            Ok(())
        })?;
        remove(txn, name);
    }
    Ok(())
}

/// Drops temporary schemas with everything in them, in transactions from `begin` (retried on conflict):
/// the one named `only` (its session ends), or every one (at startup: no session survives a restart).
/// Returns whether anything was dropped (the caller reloads its catalog).
pub fn drop_temporary(begin: impl Fn() -> Transaction, only: Option<&str>) -> Result<bool> {
    const ATTEMPTS: usize = 10;
    for _ in 0..ATTEMPTS {
        let mut txn = begin();
        let names: Vec<String> =
            load(&txn)?.into_keys().filter(|name| is_temporary(name) && only.is_none_or(|o| o == name)).collect();
        if names.is_empty() {
            return Ok(false);
        }
        for name in &names {
            // As the session owning the schema, which alone may use its tables; quietly.
            let as_owner = || drop(&mut txn, std::slice::from_ref(name), true, true, "", true);
            with_search_path(vec![name.clone()], || crate::notice::suppressed(as_owner))?;
        }
        match txn.commit() {
            Ok(_) => return Ok(true),
            Err(err) if err.code == sqlstate::SERIALIZATION_FAILURE => continue,
            Err(err) => return Err(err),
        }
    }
    Err(Error::serialization_failure())
}
