//! The catalog functions clients call next to the catalogs: `format_type`, `pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_expr`, `pg_get_userbyid`, `pg_table_is_visible`, the privilege
//! inquiries (`has_table_privilege`, ...), `pg_relation_size` and friends, `quote_ident`, `to_regclass`,
//! `current_schemas`. They read the statement's catalog snapshot (`FunctionContext::catalog`), so they
//! agree with what `pg_catalog` shows in the same statement.
//!
//! Comments (`obj_description`, `col_description`) are what `COMMENT ON` set (`shobj_description` is NULL:
//! occam has no shared objects to comment). Relation sizes are estimates (see [`relation_size`]).

use super::builtin_functions::FUNCTIONS;
use super::names::{self, format_type};
use super::rows::{self, Class};
use super::{deparse, oids};
use crate::catalog::functions::SqlFunction;
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{FunctionReturns, Privilege};
use crate::sql::functions::{function_does_not_exist, FunctionContext, ResolvedScalar, ScalarFunction};
use crate::types::{ArrayElement, DataType, RegKind, Value};

/// A resolved catalog function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFunction {
    FormatType,
    /// `pg_get_serial_sequence(table, column)`: the sequence an identity or serial column owns.
    SerialSequence,
    TableIsVisible,
    /// `pg_type_is_visible`, `pg_function_is_visible`, `pg_operator_is_visible`, ...: every built-in
    /// object is.
    BuiltinIsVisible,
    /// `getdatabaseencoding()`: UTF8.
    DatabaseEncoding,
    /// `pg_tablespace_location(oid)`: the empty string (the default tablespace's).
    TablespaceLocation,
    IndexDefinition,
    ConstraintDefinition,
    Expression,
    UserById,
    /// `obj_description(oid [, catalog])`.
    ObjectDescription,
    /// `col_description(table, attnum)`.
    ColumnDescription,
    /// `shobj_description`, `pg_get_partkeydef`, `pg_get_statisticsobjdef_columns`: NULL (nothing to show).
    Nothing,
    /// `pg_get_viewdef(oid [, pretty])`.
    ViewDefinition,
    EncodingToChar,
    CharToEncoding,
    TablePrivilege,
    SchemaPrivilege,
    /// `has_database_privilege`: every role may connect to and use `postgres`.
    DatabasePrivilege,
    RelationSize,
    TotalRelationSize,
    IndexesSize,
    SizePretty,
    /// `pg_relation_is_publishable`, `pg_is_in_recovery`: false.
    False,
    QuoteIdent,
    QuoteLiteral,
    FunctionResult,
    FunctionArguments,
    /// `pg_get_functiondef(oid)`: a SQL function's CREATE OR REPLACE FUNCTION (NULL for a built-in).
    FunctionDefinition,
    /// `pg_get_function_sqlbody(oid)`: a `RETURN expr` function's body (NULL for any other).
    FunctionSqlBody,
    ToReg(RegKind),
    CurrentSchemas,
    /// `acldefault(objtype, owner)`: the privileges an object of that kind has before any GRANT.
    AclDefault,
}

fn resolved(function: CatalogFunction, arg_types: Vec<DataType>, result_type: DataType) -> Result<ResolvedScalar> {
    Ok(ResolvedScalar { function: ScalarFunction::Catalog(function), arg_types, result_type })
}

/// An argument that is an oid: oid, a reg* type, an integer or an untyped literal.
fn oid_arg(t: &DataType) -> Option<DataType> {
    (t.is_oid() || t.is_integer() || *t == DataType::Unknown).then_some(DataType::Oid)
}

/// An argument that names a relation: a regclass (a name is read as one), or an oid.
pub(crate) fn class_arg(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Unknown | DataType::Reg(RegKind::Class) => Some(DataType::Reg(RegKind::Class)),
        t if t.is_string() => Some(DataType::Reg(RegKind::Class)),
        t => oid_arg(t),
    }
}

fn text_arg(t: &DataType) -> Option<DataType> {
    (t.is_text_like() || *t == DataType::Unknown).then_some(DataType::Text)
}

fn int4_arg(t: &DataType) -> Option<DataType> {
    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Unknown).then_some(DataType::Int4)
}

fn char_arg(t: &DataType) -> Option<DataType> {
    (matches!(t, DataType::InternalChar | DataType::Unknown) || t.is_text_like()).then_some(DataType::InternalChar)
}

fn bool_arg(t: &DataType) -> Option<DataType> {
    matches!(t, DataType::Bool | DataType::Unknown).then_some(DataType::Bool)
}

/// A role argument of the privilege functions: a name or an oid.
fn role_arg(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Unknown => Some(DataType::Name),
        t if t.is_string() => Some(DataType::Name),
        t => oid_arg(t),
    }
}

/// Resolves a catalog function by name; None for a name that is none of them.
pub fn resolve(name: &str, args: &[DataType]) -> Option<Result<ResolvedScalar>> {
    use CatalogFunction as C;
    let not_found = || function_does_not_exist(name, args);
    let all = |checks: &[fn(&DataType) -> Option<DataType>]| -> Option<Vec<DataType>> {
        if checks.len() != args.len() {
            return None;
        }
        checks.iter().zip(args).map(|(check, t)| check(t)).collect()
    };
    let text = DataType::Text;
    let result = match name {
        "format_type" => all(&[oid_arg, int4_arg]).map(|a| resolved(C::FormatType, a, text)),
        "pg_table_is_visible" => all(&[oid_arg]).map(|a| resolved(C::TableIsVisible, a, DataType::Bool)),
        "pg_type_is_visible"
        | "pg_function_is_visible"
        | "pg_operator_is_visible"
        | "pg_collation_is_visible"
        | "pg_conversion_is_visible"
        | "pg_opclass_is_visible" => all(&[oid_arg]).map(|a| resolved(C::BuiltinIsVisible, a, DataType::Bool)),
        "pg_get_indexdef" => all(&[oid_arg])
            .or_else(|| all(&[oid_arg, int4_arg, bool_arg]))
            .map(|a| resolved(C::IndexDefinition, a, text)),
        "pg_get_constraintdef" => {
            all(&[oid_arg]).or_else(|| all(&[oid_arg, bool_arg])).map(|a| resolved(C::ConstraintDefinition, a, text))
        }
        "pg_get_expr" => all(&[text_arg, oid_arg])
            .or_else(|| all(&[text_arg, oid_arg, bool_arg]))
            .map(|a| resolved(C::Expression, a, text)),
        "pg_get_userbyid" => all(&[oid_arg]).map(|a| resolved(C::UserById, a, DataType::Name)),
        // occam has no triggers (foreign keys are enforced without them): there is no trigger to print.
        "pg_get_triggerdef" => {
            all(&[oid_arg]).or_else(|| all(&[oid_arg, bool_arg])).map(|a| resolved(C::Nothing, a, text))
        }
        "obj_description" => {
            all(&[oid_arg]).or_else(|| all(&[oid_arg, text_arg])).map(|a| resolved(C::ObjectDescription, a, text))
        }
        "col_description" => all(&[oid_arg, int4_arg]).map(|a| resolved(C::ColumnDescription, a, text)),
        "shobj_description" => all(&[oid_arg, text_arg]).map(|a| resolved(C::Nothing, a, text)),
        "pg_get_serial_sequence" => all(&[text_arg, text_arg]).map(|a| resolved(C::SerialSequence, a, text)),
        "pg_get_viewdef" => {
            all(&[oid_arg]).or_else(|| all(&[oid_arg, bool_arg])).map(|a| resolved(C::ViewDefinition, a, text))
        }
        "pg_get_function_sqlbody" => all(&[oid_arg]).map(|a| resolved(C::FunctionSqlBody, a, text)),
        "pg_get_partkeydef" | "pg_get_statisticsobjdef_columns" => {
            all(&[oid_arg]).map(|a| resolved(C::Nothing, a, text))
        }
        "getdatabaseencoding" => all(&[]).map(|a| resolved(C::DatabaseEncoding, a, DataType::Name)),
        "pg_tablespace_location" => all(&[oid_arg]).map(|a| resolved(C::TablespaceLocation, a, text)),
        "pg_encoding_to_char" => all(&[int4_arg]).map(|a| resolved(C::EncodingToChar, a, DataType::Name)),
        "pg_char_to_encoding" => all(&[text_arg]).map(|a| resolved(C::CharToEncoding, a, DataType::Int4)),
        "has_table_privilege" => all(&[class_arg, text_arg])
            .or_else(|| all(&[role_arg, class_arg, text_arg]))
            .map(|a| resolved(C::TablePrivilege, a, DataType::Bool)),
        "has_schema_privilege" => all(&[text_arg, text_arg])
            .or_else(|| all(&[role_arg, text_arg, text_arg]))
            .map(|a| resolved(C::SchemaPrivilege, a, DataType::Bool)),
        "has_database_privilege" => all(&[text_arg, text_arg])
            .or_else(|| all(&[role_arg, text_arg, text_arg]))
            .map(|a| resolved(C::DatabasePrivilege, a, DataType::Bool)),
        "pg_relation_size" => all(&[class_arg])
            .or_else(|| all(&[class_arg, text_arg]))
            .map(|a| resolved(C::RelationSize, a, DataType::Int8)),
        "pg_table_size" => all(&[class_arg]).map(|a| resolved(C::RelationSize, a, DataType::Int8)),
        "pg_total_relation_size" => all(&[class_arg]).map(|a| resolved(C::TotalRelationSize, a, DataType::Int8)),
        "pg_indexes_size" => all(&[class_arg]).map(|a| resolved(C::IndexesSize, a, DataType::Int8)),
        "pg_size_pretty" => match args {
            [t] if t.is_integer() || *t == DataType::Unknown => {
                Some(resolved(C::SizePretty, vec![DataType::Int8], text))
            }
            [DataType::Numeric(_)] => Some(resolved(C::SizePretty, vec![DataType::Numeric(None)], text)),
            _ => None,
        },
        "pg_relation_is_publishable" => all(&[class_arg]).map(|a| resolved(C::False, a, DataType::Bool)),
        "pg_is_in_recovery" => all(&[]).map(|a| resolved(C::False, a, DataType::Bool)),
        "quote_ident" => all(&[text_arg]).map(|a| resolved(C::QuoteIdent, a, text)),
        "quote_literal" => all(&[text_arg]).map(|a| resolved(C::QuoteLiteral, a, text)),
        "pg_get_function_result" => all(&[oid_arg]).map(|a| resolved(C::FunctionResult, a, text)),
        "pg_get_functiondef" => all(&[oid_arg]).map(|a| resolved(C::FunctionDefinition, a, text)),
        "pg_get_function_arguments" | "pg_get_function_identity_arguments" => {
            all(&[oid_arg]).map(|a| resolved(C::FunctionArguments, a, text))
        }
        "to_regclass" => all(&[text_arg]).map(|a| resolved(C::ToReg(RegKind::Class), a, DataType::Reg(RegKind::Class))),
        "to_regtype" => all(&[text_arg]).map(|a| resolved(C::ToReg(RegKind::Type), a, DataType::Reg(RegKind::Type))),
        "to_regnamespace" => {
            all(&[text_arg]).map(|a| resolved(C::ToReg(RegKind::Namespace), a, DataType::Reg(RegKind::Namespace)))
        }
        "to_regrole" => all(&[text_arg]).map(|a| resolved(C::ToReg(RegKind::Role), a, DataType::Reg(RegKind::Role))),
        "acldefault" => {
            all(&[char_arg, oid_arg]).map(|a| resolved(C::AclDefault, a, DataType::Array(ArrayElement::ACLITEM)))
        }
        "current_schemas" => {
            all(&[bool_arg]).map(|a| resolved(C::CurrentSchemas, a, DataType::Array(ArrayElement::NAME)))
        }
        _ => return None,
    };
    Some(result.unwrap_or_else(|| Err(not_found())))
}

fn oid(value: &Value) -> Option<u32> {
    match value {
        Value::Int(i) => u32::try_from(*i).ok(),
        _ => None,
    }
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// The statement's search path (the session's temporary schema first; `public` without a session).
fn search_path() -> Vec<String> {
    crate::catalog::schemas::search_path()
}

/// The privileges named in a privilege function's text: `SELECT`, `insert, update`, `... WITH GRANT
/// OPTION` (22023 for an unknown one).
fn privileges(text: &str, allowed: &[(&str, Option<Privilege>)]) -> Result<Vec<Option<Privilege>>> {
    text.split(',')
        .map(|part| {
            let word = part.trim().to_ascii_uppercase();
            let word = word.strip_suffix(" WITH GRANT OPTION").unwrap_or(&word).trim().to_string();
            allowed.iter().find(|(name, _)| *name == word).map(|(_, p)| *p).ok_or_else(|| {
                Error::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("unrecognized privilege type: \"{}\"", part.trim()),
                )
            })
        })
        .collect()
}

/// The role a privilege function asks about: the named or numbered one, else the session's.
fn role_of(ctx: &FunctionContext, value: Option<&Value>) -> Result<Option<String>> {
    Ok(match value {
        Some(Value::Text(name)) => {
            if !ctx.catalog.roles.exists(name) {
                return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")));
            }
            Some(name.clone())
        }
        Some(Value::Int(oid)) => names::role_name(&ctx.catalog, *oid as u32),
        _ => ctx.session.as_ref().and_then(|s| s.get("session_authorization")),
    })
}

/// PostgreSQL's `acldefault`: the owner's implicit privileges on an object of kind `kind` (`r` relation,
/// `s` sequence, `f` function, `l` language, `L` large object, `n` schema, `t` tablespace, `F` foreign
/// data wrapper, `S` foreign server, `T` type, `d` database), and PUBLIC's where PostgreSQL grants it some.
fn default_acl(kind: &str, owner: &str) -> Result<Vec<String>> {
    let (public, owner_privileges) = match kind {
        "r" => (None, "arwdDxt"),
        "s" => (None, "rwU"),
        "f" => (Some("X"), "X"),
        "l" | "T" => (Some("U"), "U"),
        "L" => (None, "rw"),
        "n" => (None, "UC"),
        "t" => (None, "C"),
        "F" | "S" => (None, "U"),
        "d" => (Some("Tc"), "CTc"),
        other => {
            return Err(Error::new(sqlstate::INTERNAL_ERROR, format!("unrecognized object type abbreviation: {other}")))
        }
    };
    let owner = names::quote_ident(owner);
    let mut items: Vec<String> = public.map(|p| format!("={p}/{owner}")).into_iter().collect();
    items.push(format!("{owner}={owner_privileges}/{owner}"));
    Ok(items)
}

fn is_superuser(role: &str) -> bool {
    role == crate::roles::ADMIN_ROLE
}

/// An estimate of a relation's size in bytes (PostgreSQL counts 8 KiB pages; occam's storage is a
/// log-structured tree shared by every table): the estimated row count times the average row width
/// ANALYZE measured (the columns' type sizes when never analyzed) plus 24 bytes of header per row, for a
/// table; the same over the key and INCLUDE columns for an index. 0 when the row count is unknown, and
/// for system relations.
pub fn relation_size(ctx: &FunctionContext, class: &Class) -> i64 {
    let Some(table) = class.table() else { return 0 };
    let Some(rows) = ctx.database.as_ref().and_then(|db| db.estimated_row_count(table.id)) else { return 0 };
    let statistics = ctx.database.as_ref().and_then(|db| db.table_statistics(table.id));
    let width = |column: usize| -> f64 {
        let info = &table.columns[column];
        statistics.as_ref().and_then(|s| s.column(&info.name)).map(|c| c.average_width).unwrap_or_else(|| {
            match info.data_type.type_size() {
                n if n > 0 => n as f64,
                _ => 32.0,
            }
        })
    };
    let columns: Vec<usize> = match class.index_columns() {
        Some((columns, _)) => columns.iter().filter_map(|c| c.table_column()).collect(),
        None => (0..table.columns.len()).collect(),
    };
    let row_width: f64 = columns.into_iter().map(width).sum::<f64>() + 24.0;
    (rows.max(0.0) * row_width).round() as i64
}

/// `pg_size_pretty`: bytes, kB, MB, GB, TB, PB with PostgreSQL's rounding (a unit is used from 10 240 of
/// the one below).
fn size_pretty(bytes: i128) -> String {
    const LIMIT: i128 = 10 * 1024;
    const LIMIT2: i128 = LIMIT * 2 - 1;
    let half_rounded = |x: i128| (x + if x < 0 { -1 } else { 1 }) / 2;
    if bytes.abs() < LIMIT {
        return format!("{bytes} bytes");
    }
    let mut size = bytes >> 9;
    for unit in ["kB", "MB", "GB", "TB"] {
        if size.abs() < LIMIT2 {
            return format!("{} {unit}", half_rounded(size));
        }
        size >>= 10;
    }
    format!("{} PB", half_rounded(size))
}

/// The SQL function whose `pg_proc.oid` is `oid`.
pub fn user_function(catalog: &crate::catalog::Catalog, oid: u32) -> Option<&SqlFunction> {
    catalog.functions.values().flatten().find(|f| oids::function(f.id) == oid).map(|f| f.as_ref())
}

/// `pg_get_function_result`: `bigint`, `SETOF integer`, `SETOF orders`, `TABLE(a integer, b text)`.
fn function_result(function: &SqlFunction) -> String {
    let name = |data_type: &DataType| format_type(data_type.oid(), None);
    match &function.returns {
        FunctionReturns::Scalar(data_type) => name(data_type),
        FunctionReturns::SetOf(data_type) => format!("SETOF {}", name(data_type)),
        FunctionReturns::SetOfTable(table) => format!("SETOF {}", names::quote_ident(table)),
        FunctionReturns::Table(columns) => {
            let columns: Vec<String> =
                columns.iter().map(|(column, t)| format!("{} {}", names::quote_ident(column), name(t))).collect();
            format!("TABLE({})", columns.join(", "))
        }
    }
}

/// `pg_get_function_arguments`: `c integer, integer` (a type modifier is not part of a signature).
fn function_arguments(function: &SqlFunction) -> String {
    let arguments: Vec<String> = function
        .params
        .iter()
        .map(|(name, data_type)| {
            let type_name = format_type(data_type.oid(), None);
            match name {
                Some(name) => format!("{} {type_name}", names::quote_ident(name)),
                None => type_name,
            }
        })
        .collect();
    arguments.join(", ")
}

/// `pg_get_functiondef`, laid out as PostgreSQL 15 does (psql's `\sf`).
fn function_definition(function: &SqlFunction) -> String {
    let mut out = format!(
        "CREATE OR REPLACE FUNCTION public.{}({})\n RETURNS {}\n LANGUAGE sql\n",
        names::quote_ident(&function.name),
        function_arguments(function),
        function_result(function)
    );
    let mut attributes = Vec::new();
    match function.volatility {
        'i' => attributes.push("IMMUTABLE"),
        's' => attributes.push("STABLE"),
        _ => {}
    }
    if function.strict {
        attributes.push("STRICT");
    }
    if !attributes.is_empty() {
        out.push_str(&format!(" {}\n", attributes.join(" ")));
    }
    if function.sql_standard {
        out.push_str(&sql_standard_body(function));
        out.push('\n');
    } else {
        out.push_str(&format!("AS $function${}$function$\n", function.source));
    }
    out
}

/// A `RETURN expr` body as PostgreSQL's ruleutils prints it (`RETURN (x + 1)`): the expression printed
/// over the parameters as the columns of a row.
fn sql_standard_body(function: &SqlFunction) -> String {
    let columns = function
        .params
        .iter()
        .enumerate()
        .map(|(i, (name, data_type))| {
            crate::catalog::ColumnInfo::new(&name.clone().unwrap_or_else(|| format!("${}", i + 1)), *data_type)
        })
        .collect();
    let parameters = crate::catalog::Table::new(0, function.name.clone(), columns, Vec::new());
    format!("RETURN {}", deparse::print_expression(&function.source, Some(&parameters), false))
}

/// Evaluates a catalog function on arguments already coerced to `resolved.arg_types`.
pub fn invoke(function: CatalogFunction, args: &[Value], ctx: &FunctionContext) -> Result<Value> {
    use CatalogFunction as C;
    let catalog = &*ctx.catalog;
    match function {
        // Not strict: format_type(oid, NULL) is the type without a modifier.
        C::FormatType => {
            let Some(oid) = oid(&args[0]) else { return Ok(Value::Null) };
            let typmod = match args[1] {
                Value::Int(m) => Some(m as i32),
                _ => None,
            };
            return Ok(Value::Text(format_type(oid, typmod)));
        }
        C::Nothing => return Ok(Value::Null),
        C::False => return Ok(Value::Bool(false)),
        C::CurrentSchemas => {
            let implicit = matches!(args[0], Value::Bool(true));
            let mut schemas = Vec::new();
            if implicit {
                schemas.push(Value::Text("pg_catalog".into()));
            }
            // The temporary schema is searched implicitly, as `pg_catalog` is.
            let existing = catalog.existing_schemas(&search_path());
            let existing = existing.into_iter().filter(|s| implicit || !crate::catalog::schemas::is_temporary(s));
            schemas.extend(existing.into_iter().filter(|s| !implicit || s != "pg_catalog").map(Value::Text));
            return Ok(Value::Array(schemas));
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let first_oid = || oid(&args[0]).unwrap_or(0);
    Ok(match function {
        C::TableIsVisible => match rows::class_by_oid(catalog, first_oid()) {
            Some(class) => Value::Bool(names::class_visible(catalog, &search_path(), &class)),
            None => Value::Null,
        },
        C::BuiltinIsVisible => Value::Bool(true),
        C::DatabaseEncoding => Value::Text("UTF8".into()),
        C::TablespaceLocation => Value::Text(String::new()),
        C::ObjectDescription => {
            let catalog_name = match args.get(1) {
                Some(Value::Text(name)) => Some(name.as_str()),
                _ => None,
            };
            super::comments::object_description(catalog, first_oid(), catalog_name)
                .map_or(Value::Null, |text| Value::Text(text.to_string()))
        }
        C::ColumnDescription => {
            let attnum = match args[1] {
                Value::Int(n) => n as i32,
                _ => 0,
            };
            super::comments::column_description(catalog, first_oid(), attnum)
                .map_or(Value::Null, |text| Value::Text(text.to_string()))
        }
        C::ViewDefinition => match rows::class_by_oid(catalog, first_oid()) {
            Some(Class::View(view)) => Value::Text(deparse::view_definition(catalog, view)),
            Some(Class::Table(table)) => match catalog.materialized_definition(table) {
                Some(definition) => Value::Text(deparse::view_definition(catalog, definition)),
                None => Value::Null,
            },
            _ => Value::Null,
        },
        C::IndexDefinition => {
            let Some(class) = rows::class_by_oid(catalog, first_oid()).filter(|c| c.index_columns().is_some()) else {
                return Ok(Value::Null);
            };
            let column = match args.get(1) {
                Some(Value::Int(column)) => *column,
                _ => 0,
            };
            let pretty = matches!(args.get(2), Some(Value::Bool(true)));
            if column > 0 {
                deparse::index_column_definition(&class, column as usize).map_or(Value::Null, Value::Text)
            } else {
                Value::Text(deparse::index_definition(catalog, &class, pretty))
            }
        }
        C::ConstraintDefinition => {
            let pretty = matches!(args.get(1), Some(Value::Bool(true)));
            match deparse::constraint_definition(catalog, first_oid(), pretty) {
                Some(definition) => Value::Text(definition),
                None => {
                    return Err(Error::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("cache lookup failed for constraint {}", first_oid()),
                    ))
                }
            }
        }
        C::Expression => {
            let expression = text(&args[0]).unwrap_or_default();
            let relation = oid(&args[1]).and_then(|oid| rows::class_by_oid(catalog, oid));
            let pretty = matches!(args.get(2), Some(Value::Bool(true)));
            Value::Text(deparse::print_expression(expression, relation.and_then(|c| c.table()).map(|t| &**t), pretty))
        }
        C::AclDefault => {
            let owner_oid = oid(&args[1]).unwrap_or(0);
            let owner = names::role_name(catalog, owner_oid).unwrap_or_else(|| format!("{owner_oid}"));
            let kind = text(&args[0]).unwrap_or_default();
            Value::Array(default_acl(kind, &owner)?.into_iter().map(Value::Text).collect())
        }
        C::UserById => {
            let oid = first_oid();
            Value::Text(names::role_name(catalog, oid).unwrap_or_else(|| format!("unknown (OID={oid})")))
        }
        C::EncodingToChar => Value::Text(if args[0] == Value::Int(6) { "UTF8" } else { "" }.to_string()),
        C::CharToEncoding => {
            let name = text(&args[0]).unwrap_or_default();
            Value::Int(if name.eq_ignore_ascii_case("utf8") || name.eq_ignore_ascii_case("utf-8") { 6 } else { -1 })
        }
        C::TablePrivilege => {
            let (role, table, wanted) = match args {
                [table, wanted] => (role_of(ctx, None)?, table, wanted),
                [role, table, wanted] => (role_of(ctx, Some(role))?, table, wanted),
                _ => return Err(Error::internal("has_table_privilege arguments")),
            };
            let privileges = privileges(
                text(wanted).unwrap_or_default(),
                &[
                    ("SELECT", Some(Privilege::Select)),
                    ("INSERT", Some(Privilege::Insert)),
                    ("UPDATE", Some(Privilege::Update)),
                    ("DELETE", Some(Privilege::Delete)),
                    ("TRUNCATE", None),
                    ("REFERENCES", None),
                    ("TRIGGER", None),
                ],
            )?;
            let Some(class) = oid(table).and_then(|oid| rows::class_by_oid(catalog, oid)) else {
                return Err(Error::new(
                    sqlstate::UNDEFINED_TABLE,
                    format!("relation with OID {} does not exist", oid(table).unwrap_or(0)),
                ));
            };
            let role = role.unwrap_or_else(|| crate::roles::ADMIN_ROLE.to_string());
            let granted = |privilege: &Option<Privilege>| match (&class, privilege) {
                _ if is_superuser(&role) || !catalog.roles.exists(&role) => true,
                (Class::System(_), Some(Privilege::Select)) => true,
                (Class::System(_), _) => false,
                (_, Some(privilege)) => {
                    class.table().is_some_and(|table| catalog.roles.has_table_privilege(&role, table.id, *privilege))
                }
                (_, None) => {
                    class.table().is_some_and(|table| catalog.roles.table_owner(table.id) == Some(role.as_str()))
                }
            };
            Value::Bool(privileges.iter().any(granted))
        }
        C::SchemaPrivilege => {
            let (role, schema, wanted) = match args {
                [schema, wanted] => (role_of(ctx, None)?, schema, wanted),
                [role, schema, wanted] => (role_of(ctx, Some(role))?, schema, wanted),
                _ => return Err(Error::internal("has_schema_privilege arguments")),
            };
            let privileges = privileges(
                text(wanted).unwrap_or_default(),
                &[("USAGE", Some(Privilege::Usage)), ("CREATE", Some(Privilege::Create))],
            )?;
            let schema = text(schema).unwrap_or_default();
            if names::namespace_oid(catalog, schema).is_none() {
                return Err(Error::new(sqlstate::UNDEFINED_SCHEMA, format!("schema \"{schema}\" does not exist")));
            }
            let role = role.unwrap_or_else(|| crate::roles::ADMIN_ROLE.to_string());
            let granted = |privilege: &Option<Privilege>| {
                is_superuser(&role)
                    || !catalog.roles.exists(&role)
                    || match privilege {
                        Some(Privilege::Usage) if !catalog.schema_exists(schema) => true,
                        Some(privilege) => catalog.has_schema_privilege(&role, schema, *privilege),
                        None => false,
                    }
            };
            Value::Bool(privileges.iter().any(granted))
        }
        C::DatabasePrivilege => Value::Bool(true),
        C::RelationSize | C::TotalRelationSize | C::IndexesSize => {
            let Some(class) = rows::class_by_oid(catalog, first_oid()) else { return Ok(Value::Null) };
            let indexes = || -> i64 {
                rows::classes(catalog)
                    .iter()
                    .filter(|c| c.index_columns().is_some() && c.table().map(|t| t.id) == class.table().map(|t| t.id))
                    .map(|c| relation_size(ctx, c))
                    .sum()
            };
            Value::Int(match function {
                C::RelationSize => relation_size(ctx, &class),
                C::IndexesSize if matches!(class, Class::Table(_)) => indexes(),
                C::TotalRelationSize if matches!(class, Class::Table(_)) => relation_size(ctx, &class) + indexes(),
                C::TotalRelationSize => relation_size(ctx, &class),
                _ => 0,
            })
        }
        C::SizePretty => match &args[0] {
            Value::Int(bytes) => Value::Text(size_pretty(*bytes as i128)),
            Value::Numeric(bytes) => Value::Text(size_pretty(bytes.to_i64_rounded().map_or(i128::MAX, i128::from))),
            _ => Value::Null,
        },
        C::QuoteIdent => Value::Text(names::quote_ident(text(&args[0]).unwrap_or_default())),
        C::QuoteLiteral => {
            let s = text(&args[0]).unwrap_or_default();
            if s.contains('\\') {
                Value::Text(format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''")))
            } else {
                Value::Text(format!("'{}'", s.replace('\'', "''")))
            }
        }
        C::FunctionSqlBody => match user_function(catalog, first_oid()) {
            Some(f) if f.sql_standard => Value::Text(sql_standard_body(f)),
            _ => Value::Null,
        },
        C::FunctionResult | C::FunctionArguments | C::FunctionDefinition
            if user_function(catalog, first_oid()).is_some() =>
        {
            let f = user_function(catalog, first_oid()).expect("checked by the guard");
            Value::Text(match function {
                C::FunctionResult => function_result(f),
                C::FunctionArguments => function_arguments(f),
                _ => function_definition(f),
            })
        }
        C::FunctionDefinition => return Ok(Value::Null),
        C::FunctionResult | C::FunctionArguments => {
            let Some(f) = FUNCTIONS.iter().find(|f| f.oid == first_oid()) else { return Ok(Value::Null) };
            Value::Text(if function == C::FunctionResult {
                let result = format_type(f.result, None);
                if f.returns_set {
                    format!("SETOF {result}")
                } else {
                    result
                }
            } else {
                let mut arguments: Vec<String> = f.args.iter().map(|a| format_type(*a, None)).collect();
                if f.variadic != 0 {
                    if let Some(last) = arguments.last_mut() {
                        *last = format!("VARIADIC {last}");
                    }
                }
                arguments.join(", ")
            })
        }
        C::SerialSequence => {
            let table_name = text(&args[0]).unwrap_or_default();
            let oid = names::reg_input(catalog, RegKind::Class, table_name)?;
            let column = text(&args[1]).unwrap_or_default();
            let table = catalog.tables().find(|t| oids::table(t.id) == oid);
            let column_info = table.and_then(|t| t.column_index(column).map(|i| &t.columns[i]));
            let (Some(table), Some(column_info)) = (table, column_info) else {
                return Err(Error::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{column}\" of relation \"{table_name}\" does not exist"),
                ));
            };
            match super::sequences::owned_sequence(catalog, table, column_info) {
                Some(sequence) => Value::Text(format!(
                    "{}.{}",
                    names::quote_ident(&sequence.schema),
                    names::quote_ident(&sequence.name)
                )),
                None => Value::Null,
            }
        }
        C::ToReg(kind) => match names::reg_input(catalog, kind, text(&args[0]).unwrap_or_default()) {
            Ok(oid) => Value::Int(oid as i64),
            Err(_) => Value::Null,
        },
        C::FormatType | C::Nothing | C::False | C::CurrentSchemas => unreachable!("handled above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_postgres() {
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(10240), "10 kB");
        assert_eq!(size_pretty(1_000_000), "977 kB");
        assert_eq!(size_pretty(123_456_789), "118 MB");
        assert_eq!(size_pretty(-10240), "-10 kB");
    }

    #[test]
    fn resolution() {
        assert!(resolve("format_type", &[DataType::Oid, DataType::Int4]).unwrap().is_ok());
        assert_eq!(resolve("format_type", &[DataType::Bool]).unwrap().unwrap_err().code, "42883");
        assert!(resolve("no_such_function", &[]).is_none());
    }
}
