//! Object names for the oid alias types and the catalog functions: `regclass` / `regtype` / `regproc` /
//! `regnamespace` / `regrole` input (a name, looked up in the catalog) and output (the name, qualified
//! when its schema is not on the search path), `format_type`, and identifier quoting as PostgreSQL's
//! `quote_ident` does it.
//!
//! The types' values are plain oids (`Value::Int`); what needs a name asks here with the statement's
//! catalog: a cast from or to text (`sql::execute::eval`), a `'t'::regclass` literal (folded by the
//! binder), and the session when it sends a result row.

use super::builtin_functions::FUNCTIONS;
use super::{oids, rows, Schema};
use crate::catalog::Catalog;
use crate::error::{sqlstate, Error, Result};
use crate::types::{DataType, RegKind};

/// PostgreSQL's pseudo-types that built-in functions' signatures use (`pg_type` rows with typtype `p`).
pub const PSEUDO_TYPES: &[(u32, &str)] = &[
    (2249, "record"),
    (2276, "\"any\""),
    (2277, "anyarray"),
    (2278, "void"),
    (2283, "anyelement"),
    (2776, "anynonarray"),
];

/// `format_type(oid, typmod)`: the type's SQL name with its modifier (`character varying(20)`,
/// `numeric(10,2)`, `integer[]`), `???` for an unknown oid, as PostgreSQL.
pub fn format_type(oid: u32, typmod: Option<i32>) -> String {
    let typmod = typmod.filter(|m| *m >= 0);
    if let Some((_, name)) = PSEUDO_TYPES.iter().find(|(o, _)| *o == oid) {
        return name.to_string();
    }
    let Some(data_type) = DataType::from_oid(oid) else { return "???".to_string() };
    let with_typmod = match (data_type, typmod) {
        (DataType::Varchar(_), Some(m)) if m >= 4 => DataType::Varchar(Some((m - 4) as u32)),
        (DataType::Char(_), Some(m)) if m >= 4 => DataType::Char((m - 4) as u32),
        (DataType::Numeric(_), Some(m)) if m >= 4 => {
            let m = (m - 4) as u32;
            // The scale's 11 bits, sign-extended.
            DataType::Numeric(Some((m >> 16, (((m & 0x7ff) ^ 0x400) as i32) - 0x400)))
        }
        // bpchar without a length is `bpchar` (format_type(1042, NULL)), as PostgreSQL prints it.
        (DataType::Char(_), None) => return "bpchar".to_string(),
        (other, _) => other,
    };
    with_typmod.to_string()
}

/// PostgreSQL's key words that `quote_ident` quotes (every category but unreserved).
const QUOTED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_ident`: the name as is when it reads back unchanged unquoted, else in double quotes.
pub fn quote_ident(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple && !QUOTED_KEYWORDS.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Whether objects of `schema` are found without qualification: `pg_catalog` always is, the others when
/// `search_path` lists them (`public` when no session says otherwise).
pub fn schema_visible(schema: &str, search_path: &[String]) -> bool {
    schema == Schema::PgCatalog.name() || search_path.iter().any(|s| s == schema)
}

/// Whether relation `class` is found by its bare name (`pg_table_is_visible`): its schema is searched, and
/// no schema searched before it has a relation of that name.
pub fn class_visible(catalog: &Catalog, search_path: &[String], class: &rows::Class) -> bool {
    if !schema_visible(class.schema_name(), search_path) {
        return false;
    }
    if matches!(class, rows::Class::System(_)) {
        return true;
    }
    let found =
        crate::catalog::schemas::with_search_path(search_path.to_vec(), || class_oid(catalog, None, &class.name()));
    found == Some(class.oid())
}

/// The text of an oid of kind `kind`: the object's name (a relation qualified when its schema is not
/// visible), `-` for 0, or the number when nothing has that oid (PostgreSQL's output functions).
pub fn reg_output(catalog: &Catalog, search_path: &[String], kind: RegKind, oid: u32) -> String {
    if oid == 0 {
        return "-".to_string();
    }
    let name = match kind {
        RegKind::Class => rows::class_by_oid(catalog, oid).map(|class| {
            let name = quote_ident(&class.name());
            let schema = class.schema_name();
            if class_visible(catalog, search_path, &class) {
                name
            } else {
                format!("{}.{name}", quote_ident(schema))
            }
        }),
        RegKind::Type => (DataType::from_oid(oid).is_some() || PSEUDO_TYPES.iter().any(|(o, _)| *o == oid))
            .then(|| format_type(oid, None)),
        RegKind::Proc => FUNCTIONS
            .iter()
            .find(|f| f.oid == oid)
            .map(|f| f.name.to_string())
            .or_else(|| super::functions::user_function(catalog, oid).map(|f| f.name.clone())),
        RegKind::Namespace => namespace_name(catalog, oid).map(|name| quote_ident(&name)),
        RegKind::Role => role_name(catalog, oid).map(|name| quote_ident(&name)),
    };
    name.unwrap_or_else(|| oid.to_string())
}

/// The schema with `pg_namespace.oid` `oid`.
pub fn namespace_name(catalog: &Catalog, oid: u32) -> Option<String> {
    if oid == oids::PUBLIC_NAMESPACE {
        return Some(crate::catalog::PUBLIC_SCHEMA.to_string());
    }
    match Schema::ALL.into_iter().find(|s| s.oid() == oid) {
        Some(schema) => Some(schema.name().to_string()),
        None => catalog.schemas.values().find(|s| oids::table(s.id) == oid).map(|s| s.name.clone()),
    }
}

/// The schema named `name`'s oid (a user schema's is `16384 + its id`, from the table id counter).
pub fn namespace_oid(catalog: &Catalog, name: &str) -> Option<u32> {
    if name == crate::catalog::PUBLIC_SCHEMA {
        return Some(oids::PUBLIC_NAMESPACE);
    }
    match Schema::from_name(name) {
        Some(schema) => Some(schema.oid()),
        None => catalog.schemas.get(name).map(|s| oids::table(s.id)),
    }
}

/// The role with oid `oid`.
pub fn role_name(catalog: &Catalog, oid: u32) -> Option<String> {
    if oid == crate::roles::ADMIN_ROLE_OID {
        return Some(crate::roles::ADMIN_ROLE.to_string());
    }
    catalog.roles.roles().find(|r| r.oid == oid).map(|r| r.name.clone())
}

/// Splits a possibly qualified, possibly quoted name (`public."My Table"`) into its folded parts.
pub fn split_qualified_name(text: &str) -> Result<Vec<String>> {
    let invalid = || Error::new(sqlstate::INVALID_NAME, "invalid name syntax");
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c.is_whitespace() {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            if part.is_empty() {
                return Err(invalid());
            }
        }
        parts.push(part);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(_) => return Err(invalid()),
        }
    }
}

/// `'name'::regclass` and friends: the oid of the object `text` names (a number is taken as the oid).
/// Errors as PostgreSQL's input functions: 42P01 for a relation, 42704 for a type, schema or role, 42883
/// for a function.
pub fn reg_input(catalog: &Catalog, kind: RegKind, text: &str) -> Result<u32> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.parse::<u32>().map_err(|_| Error::invalid_text(DataType::Reg(kind).name(), text));
    }
    if trimmed == "-" {
        return Ok(0);
    }
    match kind {
        RegKind::Class => {
            let parts = split_qualified_name(trimmed)?;
            let (schema, name) = match parts.as_slice() {
                [name] => (None, name.as_str()),
                [schema, name] => (Some(schema.as_str()), name.as_str()),
                [_, schema, name] => (Some(schema.as_str()), name.as_str()),
                _ => return Err(Error::new(sqlstate::INVALID_NAME, "improper relation name (too many dotted names)")),
            };
            class_oid(catalog, schema, name).ok_or_else(|| Error::undefined_table(trimmed))
        }
        RegKind::Type => {
            let data_type = crate::sql::parse::parse_type_name(trimmed)
                .map_err(|_| Error::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{trimmed}\" does not exist")))?;
            Ok(data_type.oid())
        }
        RegKind::Proc => {
            let parts = split_qualified_name(trimmed)?;
            let name = parts.last().cloned().unwrap_or_default();
            let user = catalog.functions.get(&name).into_iter().flatten().map(|f| super::oids::function(f.id));
            let mut matches = FUNCTIONS.iter().filter(|f| f.name == name).map(|f| f.oid).chain(user);
            match (matches.next(), matches.next()) {
                (Some(oid), None) => Ok(oid),
                (Some(_), Some(_)) => Err(Error::new("42725", format!("more than one function named \"{trimmed}\""))),
                _ => Err(Error::new(sqlstate::UNDEFINED_FUNCTION, format!("function \"{trimmed}\" does not exist"))),
            }
        }
        RegKind::Namespace => {
            let parts = split_qualified_name(trimmed)?;
            let [name] = parts.as_slice() else {
                return Err(Error::new(sqlstate::INVALID_NAME, "invalid name syntax"));
            };
            namespace_oid(catalog, name)
                .ok_or_else(|| Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{name}\" does not exist")))
        }
        RegKind::Role => {
            let parts = split_qualified_name(trimmed)?;
            let [name] = parts.as_slice() else {
                return Err(Error::new(sqlstate::INVALID_NAME, "invalid name syntax"));
            };
            catalog
                .roles
                .oid(name)
                .ok_or_else(|| Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")))
        }
    }
}

/// The `pg_class.oid` of relation `schema.name` (unqualified: `pg_catalog` first, then the schemas of the
/// search path).
pub fn class_oid(catalog: &Catalog, schema: Option<&str>, name: &str) -> Option<u32> {
    let system = |schema: Schema| super::find(catalog, schema, name).map(|r| r.oid);
    let user = |schema: &str| {
        rows::classes(catalog)
            .into_iter()
            .find(|c| {
                (c.owner_id().is_some() || matches!(c, rows::Class::Sequence(_)))
                    && c.schema_name() == schema
                    && c.name() == name
            })
            .map(|c| c.oid())
    };
    match schema {
        None => system(Schema::PgCatalog)
            .or_else(|| crate::catalog::schemas::search_path().iter().find_map(|schema| user(schema))),
        Some(schema) => match Schema::from_name(schema) {
            Some(system_schema) => system(system_schema),
            None => user(schema),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_type_spells_types_as_postgres() {
        assert_eq!(format_type(23, None), "integer");
        assert_eq!(format_type(1043, Some(104)), "character varying(100)");
        assert_eq!(format_type(1043, Some(-1)), "character varying");
        assert_eq!(format_type(1042, Some(14)), "character(10)");
        assert_eq!(format_type(1042, None), "bpchar");
        assert_eq!(format_type(1700, Some((10 << 16 | 2) + 4)), "numeric(10,2)");
        assert_eq!(format_type(1184, None), "timestamp with time zone");
        assert_eq!(format_type(18, None), "\"char\"");
        assert_eq!(format_type(1009, None), "text[]");
        assert_eq!(format_type(2277, None), "anyarray");
        assert_eq!(format_type(999_999, None), "???");
    }

    #[test]
    fn quoting_and_qualified_names() {
        assert_eq!(quote_ident("orders"), "orders");
        assert_eq!(quote_ident("Orders"), "\"Orders\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("status"), "status");
        assert_eq!(split_qualified_name("public.\"My T\"").unwrap(), vec!["public", "My T"]);
        assert_eq!(split_qualified_name("PG_CATALOG.Pg_Class").unwrap(), vec!["pg_catalog", "pg_class"]);
        assert!(split_qualified_name("a..b").is_err());
    }
}
