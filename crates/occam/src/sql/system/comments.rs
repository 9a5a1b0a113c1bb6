//! `COMMENT ON`'s objects as `pg_description` keys, and the comments read back: `pg_description`'s rows,
//! `obj_description` and `col_description` (the texts themselves live in `catalog::comments`).

use super::oids;
use super::rows::{classes, Class};
use crate::catalog::comments::CommentKey;
use crate::catalog::Catalog;
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{CommentObject, FunctionSignature, ObjectName};

/// What `occam_sys`, the extension the `sys` schema belongs to, is.
const SYS_EXTENSION_DESCRIPTION: &str = "Aurora DSQL's sys schema: jobs, IAM role mappings, statistics, OCC conflicts";

/// The `pg_description` key of `COMMENT ON object name` (`column` for `COMMENT ON COLUMN t.c`), with
/// PostgreSQL's errors for a missing object or one of another kind.
pub fn comment_target(
    catalog: &Catalog,
    object: CommentObject,
    name: &ObjectName,
    column: Option<&str>,
) -> Result<CommentKey> {
    if object == CommentObject::Schema {
        let Some(namespace) = super::names::namespace_oid(catalog, &name.name) else {
            return Err(Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{}\" does not exist", name.name)));
        };
        return Ok(CommentKey { classoid: oids::PG_NAMESPACE_RELATION, objoid: namespace, objsubid: 0 });
    }
    let schema = catalog.relation_schema(name)?;
    let class = classes(catalog)
        .into_iter()
        .filter(|c| !matches!(c, Class::System(_)))
        .find(|c| Some(c.schema_name()) == schema.as_deref() && c.name() == name.name)
        .ok_or_else(|| Error::undefined_table(&crate::catalog::display_name(name)))?;
    let expected = match object {
        CommentObject::Table => Some("r"),
        CommentObject::View => Some("v"),
        CommentObject::MaterializedView => Some("m"),
        CommentObject::Index => Some("i"),
        CommentObject::Sequence => Some("S"),
        CommentObject::Column | CommentObject::Schema => None,
    };
    if let Some(relkind) = expected {
        if class.relkind() != relkind {
            return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{}\" is not {}", name.name, object.noun())));
        }
    }
    let objsubid = match column {
        None => 0,
        Some(column) => {
            if matches!(class, Class::PrimaryKey(_) | Class::Index(..)) {
                return Err(Error::new(
                    sqlstate::WRONG_OBJECT_TYPE,
                    format!("cannot set comment on relation \"{}\"", name.name),
                ));
            }
            let attribute = class.attributes().into_iter().find(|a| a.name == column).ok_or_else(|| {
                Error::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{column}\" of relation \"{}\" does not exist", name.name),
                )
            })?;
            attribute.attnum as i32
        }
    };
    Ok(CommentKey { classoid: oids::PG_CLASS_RELATION, objoid: class.oid(), objsubid })
}

/// The `pg_description` key of `COMMENT ON FUNCTION` (42883 / 42725 as DROP FUNCTION).
pub fn function_comment_target(catalog: &Catalog, signature: &FunctionSignature) -> Result<CommentKey> {
    let function = crate::catalog::functions::find(&catalog.functions, signature)?
        .ok_or_else(|| crate::catalog::functions::not_found(signature))?;
    Ok(CommentKey { classoid: oids::PG_PROC_RELATION, objoid: oids::function(function.id), objsubid: 0 })
}

/// The comments of live objects, as `pg_description` lists them: (objoid, classoid, objsubid, text),
/// ordered by object.
pub fn descriptions(catalog: &Catalog) -> Vec<(CommentKey, &str)> {
    let live: std::collections::HashSet<u32> =
        classes(catalog).iter().filter(|c| !matches!(c, Class::System(_))).map(Class::oid).collect();
    let functions: std::collections::HashSet<u32> =
        catalog.functions.values().flatten().map(|f| oids::function(f.id)).collect();
    let mut out: Vec<(CommentKey, &str)> = catalog
        .comments
        .iter()
        .filter(|(key, _)| match key.classoid {
            oids::PG_CLASS_RELATION => live.contains(&key.objoid),
            oids::PG_PROC_RELATION => functions.contains(&key.objoid),
            _ => true,
        })
        .map(|(key, text)| (*key, text.as_str()))
        .collect();
    // The built-in extension's, as PostgreSQL's plpgsql has one (psql's `\dx` shows it).
    let extension = CommentKey { classoid: oids::PG_EXTENSION_RELATION, objoid: oids::SYS_EXTENSION, objsubid: 0 };
    out.push((extension, SYS_EXTENSION_DESCRIPTION));
    out.sort_by_key(|(key, _)| (key.objoid, key.classoid, key.objsubid));
    out
}

/// `obj_description(oid, catalog)` (`catalog` None: the one-argument form, any catalog).
pub fn object_description<'c>(catalog: &'c Catalog, objoid: u32, catalog_name: Option<&str>) -> Option<&'c str> {
    let classoid = match catalog_name {
        None => None,
        Some("pg_class") => Some(oids::PG_CLASS_RELATION),
        Some("pg_namespace") => Some(oids::PG_NAMESPACE_RELATION),
        Some("pg_proc") => Some(oids::PG_PROC_RELATION),
        Some("pg_extension") => Some(oids::PG_EXTENSION_RELATION),
        Some(_) => return None,
    };
    descriptions(catalog)
        .into_iter()
        .find(|(key, _)| key.objoid == objoid && key.objsubid == 0 && classoid.is_none_or(|c| c == key.classoid))
        .map(|(_, text)| text)
}

/// `col_description(table oid, attnum)`.
pub fn column_description(catalog: &Catalog, table_oid: u32, attnum: i32) -> Option<&str> {
    let key = CommentKey { classoid: oids::PG_CLASS_RELATION, objoid: table_oid, objsubid: attnum };
    catalog.comments.get(&key).map(String::as_str)
}
