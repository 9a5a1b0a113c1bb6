//! `information_schema`: the SQL standard's views, as PostgreSQL 15 defines them, over occam's catalog.
//!
//! Columns are PostgreSQL's; its domains are shown as their base types (`sql_identifier` as `name`,
//! `cardinal_number` as `integer`, `character_data` as `character varying`, `yes_or_no` as
//! `character varying(3)`, `time_stamp` as `timestamp with time zone`). As in PostgreSQL, a NOT NULL
//! column is a CHECK constraint named `<schema oid>_<table oid>_<attnum>_not_null` in `table_constraints`
//! and `check_constraints`, and a role sees the tables it has some privilege on (every table for
//! `admin`). What occam has none of (views, sequences, foreign keys) is empty.

use super::rows::{self, Class};
use super::{oids, RelationKind, Schema, SystemContext, SystemRelation};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::sql::ast::Privilege;
use crate::types::{DataType, Row, Value};

/// The database name every `*_catalog` column holds.
const DATABASE: &str = "postgres";

macro_rules! view {
    ($($arg:tt)*) => {
        relation!(Schema::InformationSchema, View, $($arg)*)
    };
}

/// Every `information_schema` relation.
#[rustfmt::skip]
pub static RELATIONS: &[SystemRelation] = &[
    view!("schemata", 13382, &[("catalog_name", DataType::Name), ("schema_name", DataType::Name), ("schema_owner", DataType::Name), ("default_character_set_catalog", DataType::Name), ("default_character_set_schema", DataType::Name), ("default_character_set_name", DataType::Name), ("sql_path", DataType::Varchar(None))], schemata),
    view!("tables", 13425, &[("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("table_type", DataType::Varchar(None)), ("self_referencing_column_name", DataType::Name), ("reference_generation", DataType::Varchar(None)), ("user_defined_type_catalog", DataType::Name), ("user_defined_type_schema", DataType::Name), ("user_defined_type_name", DataType::Name), ("is_insertable_into", DataType::Varchar(Some(3))), ("is_typed", DataType::Varchar(Some(3))), ("commit_action", DataType::Varchar(None))], tables),
    view!("columns", 13295, &[("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("column_name", DataType::Name), ("ordinal_position", DataType::Int4), ("column_default", DataType::Varchar(None)), ("is_nullable", DataType::Varchar(Some(3))), ("data_type", DataType::Varchar(None)), ("character_maximum_length", DataType::Int4), ("character_octet_length", DataType::Int4), ("numeric_precision", DataType::Int4), ("numeric_precision_radix", DataType::Int4), ("numeric_scale", DataType::Int4), ("datetime_precision", DataType::Int4), ("interval_type", DataType::Varchar(None)), ("interval_precision", DataType::Int4), ("character_set_catalog", DataType::Name), ("character_set_schema", DataType::Name), ("character_set_name", DataType::Name), ("collation_catalog", DataType::Name), ("collation_schema", DataType::Name), ("collation_name", DataType::Name), ("domain_catalog", DataType::Name), ("domain_schema", DataType::Name), ("domain_name", DataType::Name), ("udt_catalog", DataType::Name), ("udt_schema", DataType::Name), ("udt_name", DataType::Name), ("scope_catalog", DataType::Name), ("scope_schema", DataType::Name), ("scope_name", DataType::Name), ("maximum_cardinality", DataType::Int4), ("dtd_identifier", DataType::Name), ("is_self_referencing", DataType::Varchar(Some(3))), ("is_identity", DataType::Varchar(Some(3))), ("identity_generation", DataType::Varchar(None)), ("identity_start", DataType::Varchar(None)), ("identity_increment", DataType::Varchar(None)), ("identity_maximum", DataType::Varchar(None)), ("identity_minimum", DataType::Varchar(None)), ("identity_cycle", DataType::Varchar(Some(3))), ("is_generated", DataType::Varchar(None)), ("generation_expression", DataType::Varchar(None)), ("is_updatable", DataType::Varchar(Some(3)))], columns),
    view!("views", 13483, &[("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("view_definition", DataType::Varchar(None)), ("check_option", DataType::Varchar(None)), ("is_updatable", DataType::Varchar(Some(3))), ("is_insertable_into", DataType::Varchar(Some(3))), ("is_trigger_updatable", DataType::Varchar(Some(3))), ("is_trigger_deletable", DataType::Varchar(Some(3))), ("is_trigger_insertable_into", DataType::Varchar(Some(3)))], views),
    view!("table_constraints", 13411, &[("constraint_catalog", DataType::Name), ("constraint_schema", DataType::Name), ("constraint_name", DataType::Name), ("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("constraint_type", DataType::Varchar(None)), ("is_deferrable", DataType::Varchar(Some(3))), ("initially_deferred", DataType::Varchar(Some(3))), ("enforced", DataType::Varchar(Some(3))), ("nulls_distinct", DataType::Varchar(Some(3)))], table_constraints),
    view!("check_constraints", 13260, &[("constraint_catalog", DataType::Name), ("constraint_schema", DataType::Name), ("constraint_name", DataType::Name), ("check_clause", DataType::Varchar(None))], check_constraints),
    view!("key_column_usage", 13329, &[("constraint_catalog", DataType::Name), ("constraint_schema", DataType::Name), ("constraint_name", DataType::Name), ("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("column_name", DataType::Name), ("ordinal_position", DataType::Int4), ("position_in_unique_constraint", DataType::Int4)], key_column_usage),
    view!("referential_constraints", 13339, &[("constraint_catalog", DataType::Name), ("constraint_schema", DataType::Name), ("constraint_name", DataType::Name), ("unique_constraint_catalog", DataType::Name), ("unique_constraint_schema", DataType::Name), ("unique_constraint_name", DataType::Name), ("match_option", DataType::Varchar(None)), ("update_rule", DataType::Varchar(None)), ("delete_rule", DataType::Varchar(None))], referential_constraints),
    view!("constraint_column_usage", 13300, &[("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("column_name", DataType::Name), ("constraint_catalog", DataType::Name), ("constraint_schema", DataType::Name), ("constraint_name", DataType::Name)], constraint_column_usage),
    view!("sequences", 13386, &[("sequence_catalog", DataType::Name), ("sequence_schema", DataType::Name), ("sequence_name", DataType::Name), ("data_type", DataType::Varchar(None)), ("numeric_precision", DataType::Int4), ("numeric_precision_radix", DataType::Int4), ("numeric_scale", DataType::Int4), ("start_value", DataType::Varchar(None)), ("minimum_value", DataType::Varchar(None)), ("maximum_value", DataType::Varchar(None)), ("increment", DataType::Varchar(None)), ("cycle_option", DataType::Varchar(Some(3)))], super::sequences::information_schema_sequences),
    view!("routines", 13377, &[("specific_catalog", DataType::Name), ("specific_schema", DataType::Name), ("specific_name", DataType::Name), ("routine_catalog", DataType::Name), ("routine_schema", DataType::Name), ("routine_name", DataType::Name), ("routine_type", DataType::Varchar(None)), ("module_catalog", DataType::Name), ("module_schema", DataType::Name), ("module_name", DataType::Name), ("udt_catalog", DataType::Name), ("udt_schema", DataType::Name), ("udt_name", DataType::Name), ("data_type", DataType::Varchar(None)), ("character_maximum_length", DataType::Int4), ("character_octet_length", DataType::Int4), ("character_set_catalog", DataType::Name), ("character_set_schema", DataType::Name), ("character_set_name", DataType::Name), ("collation_catalog", DataType::Name), ("collation_schema", DataType::Name), ("collation_name", DataType::Name), ("numeric_precision", DataType::Int4), ("numeric_precision_radix", DataType::Int4), ("numeric_scale", DataType::Int4), ("datetime_precision", DataType::Int4), ("interval_type", DataType::Varchar(None)), ("interval_precision", DataType::Int4), ("type_udt_catalog", DataType::Name), ("type_udt_schema", DataType::Name), ("type_udt_name", DataType::Name), ("scope_catalog", DataType::Name), ("scope_schema", DataType::Name), ("scope_name", DataType::Name), ("maximum_cardinality", DataType::Int4), ("dtd_identifier", DataType::Name), ("routine_body", DataType::Varchar(None)), ("routine_definition", DataType::Varchar(None)), ("external_name", DataType::Varchar(None)), ("external_language", DataType::Varchar(None)), ("parameter_style", DataType::Varchar(None)), ("is_deterministic", DataType::Varchar(Some(3))), ("sql_data_access", DataType::Varchar(None)), ("is_null_call", DataType::Varchar(Some(3))), ("sql_path", DataType::Varchar(None)), ("schema_level_routine", DataType::Varchar(Some(3))), ("max_dynamic_result_sets", DataType::Int4), ("is_user_defined_cast", DataType::Varchar(Some(3))), ("is_implicitly_invocable", DataType::Varchar(Some(3))), ("security_type", DataType::Varchar(None)), ("to_sql_specific_catalog", DataType::Name), ("to_sql_specific_schema", DataType::Name), ("to_sql_specific_name", DataType::Name), ("as_locator", DataType::Varchar(Some(3))), ("created", DataType::Timestamptz), ("last_altered", DataType::Timestamptz), ("new_savepoint_level", DataType::Varchar(Some(3))), ("is_udt_dependent", DataType::Varchar(Some(3))), ("result_cast_from_data_type", DataType::Varchar(None)), ("result_cast_as_locator", DataType::Varchar(Some(3))), ("result_cast_char_max_length", DataType::Int4), ("result_cast_char_octet_length", DataType::Int4), ("result_cast_char_set_catalog", DataType::Name), ("result_cast_char_set_schema", DataType::Name), ("result_cast_char_set_name", DataType::Name), ("result_cast_collation_catalog", DataType::Name), ("result_cast_collation_schema", DataType::Name), ("result_cast_collation_name", DataType::Name), ("result_cast_numeric_precision", DataType::Int4), ("result_cast_numeric_precision_radix", DataType::Int4), ("result_cast_numeric_scale", DataType::Int4), ("result_cast_datetime_precision", DataType::Int4), ("result_cast_interval_type", DataType::Varchar(None)), ("result_cast_interval_precision", DataType::Int4), ("result_cast_type_udt_catalog", DataType::Name), ("result_cast_type_udt_schema", DataType::Name), ("result_cast_type_udt_name", DataType::Name), ("result_cast_scope_catalog", DataType::Name), ("result_cast_scope_schema", DataType::Name), ("result_cast_scope_name", DataType::Name), ("result_cast_maximum_cardinality", DataType::Int4), ("result_cast_dtd_identifier", DataType::Name)], routines),
    view!("role_table_grants", 13421, &[("grantor", DataType::Name), ("grantee", DataType::Name), ("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("privilege_type", DataType::Varchar(None)), ("is_grantable", DataType::Varchar(Some(3))), ("with_hierarchy", DataType::Varchar(Some(3)))], role_table_grants),
    view!("table_privileges", 13416, &[("grantor", DataType::Name), ("grantee", DataType::Name), ("table_catalog", DataType::Name), ("table_schema", DataType::Name), ("table_name", DataType::Name), ("privilege_type", DataType::Varchar(None)), ("is_grantable", DataType::Varchar(Some(3))), ("with_hierarchy", DataType::Varchar(Some(3)))], table_privileges),
];

/// The session's role (`admin` without a session).
fn current_role(ctx: &SystemContext) -> String {
    ctx.functions
        .session
        .as_ref()
        .and_then(|s| s.get("session_authorization"))
        .unwrap_or_else(|| crate::roles::ADMIN_ROLE.to_string())
}

/// Whether the session's role sees `class` here: `admin` (and unknown roles, as in-process sessions)
/// every relation; others the system relations and the tables they own or hold a privilege on.
fn visible(ctx: &SystemContext, class: &Class) -> bool {
    let role = current_role(ctx);
    let catalog = ctx.catalog();
    if role == crate::roles::ADMIN_ROLE || !catalog.roles.exists(&role) {
        return true;
    }
    match class.owner_id() {
        None => true,
        Some(id) => [Privilege::Select, Privilege::Insert, Privilege::Update, Privilege::Delete]
            .into_iter()
            .any(|p| catalog.roles.has_table_privilege(&role, id, p)),
    }
}

/// The relations (tables and views, no indexes) the session sees, in `pg_class` order.
fn relations<'c>(ctx: &SystemContext, catalog: &'c Catalog) -> Vec<Class<'c>> {
    // Materialized views are not in the standard's tables, as in PostgreSQL; nor are sequences.
    rows::classes(catalog)
        .into_iter()
        .filter(|c| {
            c.index_columns().is_none() && c.relkind() != "m" && !matches!(c, Class::Sequence(_)) && visible(ctx, c)
        })
        .collect()
}

/// Whether INSERT and UPDATE may write `class`: a table, or a view PostgreSQL updates automatically that
/// has a column they may write.
fn is_updatable(catalog: &Catalog, class: &Class) -> bool {
    match class {
        Class::Table(_) => true,
        Class::View(view) => crate::sql::updatable::updatable_columns(catalog, view).contains(&true),
        _ => false,
    }
}

fn schemata(ctx: &SystemContext) -> Result<Vec<Row>> {
    let admin = crate::roles::ADMIN_ROLE;
    let mut names: Vec<(&str, &str)> =
        ["information_schema", "pg_catalog", "public", "sys"].into_iter().map(|name| (name, admin)).collect();
    names.extend(ctx.catalog().schemas.values().map(|s| (s.name.as_str(), s.owner.as_str())));
    names.sort();
    Ok(names
        .into_iter()
        .map(|(name, owner)| {
            ctx.row().set("catalog_name", DATABASE).set("schema_name", name).set("schema_owner", owner).finish()
        })
        .collect())
}

fn tables(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(relations(ctx, ctx.catalog())
        .iter()
        .map(|class| {
            let is_table = class.relkind() == "r";
            ctx.row()
                .set("table_catalog", DATABASE)
                .set("table_schema", class.schema_name())
                .set("table_name", class.name())
                .set("table_type", if is_table { "BASE TABLE" } else { "VIEW" })
                .set("is_insertable_into", yes_no(is_updatable(ctx.catalog(), class)))
                .set("is_typed", "NO")
                .finish()
        })
        .collect())
}

fn views(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(relations(ctx, ctx.catalog())
        .iter()
        .filter_map(|class| match class {
            Class::View(view) => Some(
                ctx.row()
                    .set("table_catalog", DATABASE)
                    .set("table_schema", class.schema_name())
                    .set("table_name", view.name.clone())
                    .set("view_definition", super::deparse::view_definition(ctx.catalog(), view))
                    .set(
                        "check_option",
                        view.check_option.map_or("NONE", |o| {
                            if o == crate::sql::ast::CheckOption::Local {
                                "LOCAL"
                            } else {
                                "CASCADED"
                            }
                        }),
                    )
                    .set("is_updatable", yes_no(is_updatable(ctx.catalog(), class)))
                    .set("is_insertable_into", yes_no(is_updatable(ctx.catalog(), class)))
                    .set("is_trigger_updatable", "NO")
                    .set("is_trigger_deletable", "NO")
                    .set("is_trigger_insertable_into", "NO")
                    .finish(),
            ),
            _ => None,
        })
        .collect())
}

/// The SQL type name `information_schema.columns.data_type` shows (`ARRAY` for arrays, `USER-DEFINED`
/// for PostgreSQL's own non-standard types).
fn standard_type_name(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Array(_) | DataType::Int2Vector | DataType::OidVector => "ARRAY",
        DataType::InternalChar => "\"char\"",
        DataType::AclItem | DataType::NodeTree => "USER-DEFINED",
        other => other.name(),
    }
}

/// (precision, radix, scale) of a numeric type, as `information_schema` shows them.
fn numeric_facts(data_type: &DataType) -> (Option<i32>, Option<i32>, Option<i32>) {
    match data_type {
        DataType::Int2 => (Some(16), Some(2), Some(0)),
        DataType::Int4 => (Some(32), Some(2), Some(0)),
        DataType::Int8 => (Some(64), Some(2), Some(0)),
        DataType::Float4 => (Some(24), Some(2), None),
        DataType::Float8 => (Some(53), Some(2), None),
        // A negative scale reads as PostgreSQL 15's view computes it: `(typmod - 4) & 65535` (2046 for -2).
        DataType::Numeric(Some((p, s))) => (Some(*p as i32), Some(10), Some((*s as u32 & 0x7ff) as i32)),
        DataType::Numeric(None) => (None, Some(10), None),
        _ => (None, None, None),
    }
}

fn columns(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    let mut out = Vec::new();
    for class in relations(ctx, catalog) {
        let updatable_columns = match class {
            Class::View(view) => crate::sql::updatable::updatable_columns(catalog, view),
            _ => Vec::new(),
        };
        for (position, attribute) in class.attributes().into_iter().enumerate() {
            let updatable = match class {
                Class::Table(_) => true,
                Class::View(_) => updatable_columns.get(position).copied().unwrap_or(false),
                _ => false,
            };
            let data_type = attribute.data_type;
            let (precision, radix, scale) = numeric_facts(&data_type);
            let (length, octets) = match data_type {
                DataType::Varchar(Some(n)) | DataType::Char(n) => (Some(n as i32), Some(n as i32 * 4)),
                DataType::Varchar(None) | DataType::Text => (None, Some(1_073_741_824)),
                _ => (None, None),
            };
            let datetime_precision = match data_type {
                DataType::Date => Some(0),
                DataType::Timestamp | DataType::Timestamptz | DataType::Interval => Some(6),
                _ => None,
            };
            let default = attribute.column.and_then(|c| c.default_sql.as_ref()).map(|sql| {
                let tree = super::deparse::default_node_tree(sql, &data_type);
                super::deparse::print_expression(&tree, None, false)
            });
            let identity = match (class.table(), attribute.column) {
                (Some(table), Some(column)) if column.identity.is_some() => {
                    super::sequences::owned_sequence(catalog, table, column)
                        .map(|s| (column.identity == Some(crate::catalog::Identity::Always), s))
                }
                _ => None,
            };
            let (udt_schema, udt_name) = match data_type {
                DataType::Array(element) => ("pg_catalog", format!("_{}", element.data_type().internal_name())),
                other => ("pg_catalog", other.internal_name().to_string()),
            };
            out.push(
                ctx.row()
                    .set("table_catalog", DATABASE)
                    .set("table_schema", class.schema_name())
                    .set("table_name", class.name())
                    .set("column_name", attribute.name)
                    .set("ordinal_position", attribute.attnum as i32)
                    .set("column_default", default)
                    .set("is_nullable", if attribute.not_null { "NO" } else { "YES" })
                    .set("data_type", standard_type_name(&data_type))
                    .set("character_maximum_length", length)
                    .set("character_octet_length", octets)
                    .set("numeric_precision", precision)
                    .set("numeric_precision_radix", radix)
                    .set("numeric_scale", scale)
                    .set("datetime_precision", datetime_precision)
                    .set("udt_catalog", DATABASE)
                    .set("udt_schema", udt_schema)
                    .set("udt_name", udt_name)
                    .set("dtd_identifier", attribute.attnum.to_string())
                    .set("is_self_referencing", "NO")
                    .set("is_identity", if identity.is_some() { "YES" } else { "NO" })
                    .set(
                        "identity_generation",
                        identity.map(|(always, _)| if always { "ALWAYS" } else { "BY DEFAULT" }),
                    )
                    .set("identity_start", identity.map(|(_, s)| s.start.to_string()))
                    .set("identity_increment", identity.map(|(_, s)| s.increment.to_string()))
                    .set("identity_maximum", identity.map(|(_, s)| s.max_value.to_string()))
                    .set("identity_minimum", identity.map(|(_, s)| s.min_value.to_string()))
                    .set("identity_cycle", if identity.is_some_and(|(_, s)| s.cycle) { "YES" } else { "NO" })
                    .set("is_generated", "NEVER")
                    .set("is_updatable", yes_no(updatable))
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// A constraint occam has: a table's primary key, a UNIQUE or CHECK constraint, or a column's NOT NULL (a
/// CHECK in the standard's view).
struct Constraint<'c> {
    table: &'c crate::catalog::Table,
    name: String,
    kind: &'static str,
    /// Table column indices (the key's, or the NOT NULL column; none for a CHECK constraint).
    columns: Vec<usize>,
    /// A CHECK's condition as `check_constraints.check_clause` shows it.
    check_clause: String,
    /// A UNIQUE constraint's `NULLS [NOT] DISTINCT` (None for other kinds).
    nulls_distinct: Option<bool>,
    /// A column's NOT NULL shown as a CHECK (not a `pg_constraint` row, so no `constraint_column_usage`).
    not_null: bool,
    /// A FOREIGN KEY's definition and the parent's unique key it references: (name, columns).
    foreign_key: Option<(&'c crate::catalog::ForeignKey, String, Vec<usize>)>,
}

fn constraints<'c>(ctx: &SystemContext, catalog: &'c Catalog) -> Vec<Constraint<'c>> {
    let mut out = Vec::new();
    for class in relations(ctx, catalog) {
        let Class::Table(table) = class else { continue };
        if !table.has_hidden_key() {
            out.push(Constraint {
                table,
                name: table.primary_key_name(),
                kind: "PRIMARY KEY",
                columns: table.primary_key.clone(),
                check_clause: String::new(),
                nulls_distinct: None,
                not_null: false,
                foreign_key: None,
            });
        }
        for index in table.indexes.iter().filter(|i| i.constraint) {
            out.push(Constraint {
                table,
                name: index.name.clone(),
                kind: "UNIQUE",
                columns: index.key_table_columns().unwrap_or_default(),
                check_clause: String::new(),
                nulls_distinct: Some(!index.nulls_not_distinct),
                not_null: false,
                foreign_key: None,
            });
        }
        for check in &table.checks {
            // PostgreSQL's `check_clause` is pg_get_constraintdef's text after `CHECK `.
            let condition = super::deparse::print_expression(&check.sql, Some(table), false);
            let mut read = Vec::new();
            check.expr.mark_columns(&mut read);
            out.push(Constraint {
                table,
                name: check.name.clone(),
                kind: "CHECK",
                columns: (0..read.len()).filter(|&c| read[c]).collect(),
                check_clause: format!("({condition})"),
                nulls_distinct: None,
                not_null: false,
                foreign_key: None,
            });
        }
        for key in &table.foreign_keys {
            let Some(parent) = catalog.table_by_id(key.parent_id) else { continue };
            let same_set = |columns: &[usize]| {
                columns.len() == key.parent_columns.len() && columns.iter().all(|c| key.parent_columns.contains(c))
            };
            let unique = if !parent.has_hidden_key() && same_set(&parent.primary_key) {
                Some((parent.primary_key_name(), parent.primary_key.clone()))
            } else {
                parent
                    .indexes
                    .iter()
                    .find(|i| i.unique && i.key_table_columns().is_some_and(|columns| same_set(&columns)))
                    .map(|i| (i.name.clone(), i.key_table_columns().unwrap_or_default()))
            };
            let Some((unique_name, unique_columns)) = unique else { continue };
            out.push(Constraint {
                table,
                name: key.name.clone(),
                kind: "FOREIGN KEY",
                columns: key.columns.clone(),
                check_clause: String::new(),
                nulls_distinct: None,
                not_null: false,
                foreign_key: Some((key, unique_name, unique_columns)),
            });
        }
        for (index, column) in table.visible_columns() {
            if column.not_null {
                let attnum = rows::attnum(table, index).unwrap_or(0);
                out.push(Constraint {
                    table,
                    name: format!(
                        "{}_{}_{attnum}_not_null",
                        super::names::namespace_oid(catalog, &table.schema).unwrap_or(oids::PUBLIC_NAMESPACE),
                        oids::table(table.id)
                    ),
                    kind: "CHECK",
                    columns: vec![index],
                    check_clause: format!("{} IS NOT NULL", super::names::quote_ident(&column.name)),
                    nulls_distinct: None,
                    not_null: true,
                    foreign_key: None,
                });
            }
        }
    }
    out
}

fn table_constraints(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(constraints(ctx, ctx.catalog())
        .iter()
        .map(|c| {
            ctx.row()
                .set("constraint_catalog", DATABASE)
                .set("constraint_schema", c.table.schema.clone())
                .set("constraint_name", c.name.clone())
                .set("table_catalog", DATABASE)
                .set("table_schema", c.table.schema.clone())
                .set("table_name", c.table.name.clone())
                .set("constraint_type", c.kind)
                .set("is_deferrable", yes_no(c.foreign_key.as_ref().is_some_and(|(k, ..)| k.deferrable)))
                .set("initially_deferred", yes_no(c.foreign_key.as_ref().is_some_and(|(k, ..)| k.initially_deferred)))
                .set("enforced", "YES")
                .set("nulls_distinct", c.nulls_distinct.map_or(Value::Null, |d| Value::Text(yes_no(d).into())))
                .finish()
        })
        .collect())
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "YES"
    } else {
        "NO"
    }
}

/// One row per FOREIGN KEY: the unique key it references and its rules.
fn referential_constraints(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(constraints(ctx, ctx.catalog())
        .iter()
        .filter_map(|c| {
            let (key, unique_name, _) = c.foreign_key.as_ref()?;
            Some(
                ctx.row()
                    .set("constraint_catalog", DATABASE)
                    .set("constraint_schema", c.table.schema.clone())
                    .set("constraint_name", c.name.clone())
                    .set("unique_constraint_catalog", DATABASE)
                    .set(
                        "unique_constraint_schema",
                        ctx.catalog().table_by_id(key.parent_id).map(|parent| parent.schema.clone()),
                    )
                    .set("unique_constraint_name", unique_name.clone())
                    .set("match_option", if key.match_full { "FULL" } else { "NONE" })
                    .set("update_rule", key.on_update.sql())
                    .set("delete_rule", key.on_delete.sql())
                    .finish(),
            )
        })
        .collect())
}

fn check_constraints(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(constraints(ctx, ctx.catalog())
        .iter()
        .filter(|c| c.kind == "CHECK")
        .map(|c| {
            ctx.row()
                .set("constraint_catalog", DATABASE)
                .set("constraint_schema", c.table.schema.clone())
                .set("constraint_name", c.name.clone())
                .set("check_clause", c.check_clause.clone())
                .finish()
        })
        .collect())
}

fn key_column_usage(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for c in constraints(ctx, ctx.catalog()).iter().filter(|c| c.kind != "CHECK") {
        for (position, &column) in c.columns.iter().enumerate() {
            // A foreign key column's place in the unique key it references.
            let in_unique = c.foreign_key.as_ref().map_or(Value::Null, |(key, _, unique_columns)| {
                let parent_column = key.parent_columns[position];
                Value::Int(unique_columns.iter().position(|&u| u == parent_column).map_or(0, |p| p as i64 + 1))
            });
            out.push(
                ctx.row()
                    .set("constraint_catalog", DATABASE)
                    .set("constraint_schema", c.table.schema.clone())
                    .set("constraint_name", c.name.clone())
                    .set("table_catalog", DATABASE)
                    .set("table_schema", c.table.schema.clone())
                    .set("table_name", c.table.name.clone())
                    .set("column_name", c.table.columns[column].name.clone())
                    .set("ordinal_position", position as i32 + 1)
                    .set("position_in_unique_constraint", in_unique)
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// The columns each constraint uses: a key's, a CHECK's (those it reads), and for a FOREIGN KEY the
/// referenced table's columns, as PostgreSQL lists them.
fn constraint_column_usage(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for c in constraints(ctx, ctx.catalog()).iter().filter(|c| !c.not_null) {
        let (table, columns) = match &c.foreign_key {
            Some((key, ..)) => match ctx.catalog().table_by_id(key.parent_id) {
                Some(parent) => (&**parent, key.parent_columns.clone()),
                None => continue,
            },
            None => (c.table, c.columns.clone()),
        };
        for column in columns {
            out.push(
                ctx.row()
                    .set("table_catalog", DATABASE)
                    .set("table_schema", table.schema.clone())
                    .set("table_name", table.name.clone())
                    .set("column_name", table.columns[column].name.clone())
                    .set("constraint_catalog", DATABASE)
                    .set("constraint_schema", c.table.schema.clone())
                    .set("constraint_name", c.name.clone())
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// The built-in functions occam has (`pg_proc`'s), as routines of `pg_catalog`, then the SQL functions of
/// `public`.
fn routines(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut rows = builtin_routines(ctx);
    rows.extend(super::pg_catalog::user_functions(ctx.catalog()).into_iter().map(|f| user_routine(ctx, f)));
    Ok(rows)
}

/// A SQL function as a routine, as PostgreSQL 15 shows one.
fn user_routine(ctx: &SystemContext, function: &crate::catalog::functions::SqlFunction) -> Row {
    use crate::sql::ast::FunctionReturns;
    let (data_type, udt_schema, udt_name) = match &function.returns {
        FunctionReturns::Scalar(t) | FunctionReturns::SetOf(t) => {
            (standard_type_name(t), "pg_catalog", t.internal_name().to_string())
        }
        FunctionReturns::SetOfTable(table) => ("USER-DEFINED", "public", table.clone()),
        FunctionReturns::Table(_) => ("record", "pg_catalog", "record".to_string()),
    };
    let yes_no = |b: bool| if b { "YES" } else { "NO" };
    ctx.row()
        .set("specific_catalog", DATABASE)
        .set("specific_schema", crate::catalog::PUBLIC_SCHEMA)
        .set("specific_name", format!("{}_{}", function.name, oids::function(function.id)))
        .set("routine_catalog", DATABASE)
        .set("routine_schema", crate::catalog::PUBLIC_SCHEMA)
        .set("routine_name", function.name.as_str())
        .set("routine_type", "FUNCTION")
        .set("data_type", data_type)
        .set("type_udt_catalog", DATABASE)
        .set("type_udt_schema", udt_schema)
        .set("type_udt_name", udt_name)
        .set("dtd_identifier", "0")
        .set("routine_body", "SQL")
        .set("routine_definition", if function.sql_standard { "" } else { function.source.as_str() })
        .set("external_language", "SQL")
        .set("parameter_style", "GENERAL")
        .set("is_deterministic", yes_no(function.volatility == 'i'))
        .set("sql_data_access", "MODIFIES")
        .set("is_null_call", yes_no(function.strict))
        .set("schema_level_routine", "YES")
        .set("max_dynamic_result_sets", 0)
        .set("security_type", "INVOKER")
        .set("as_locator", "NO")
        .set("is_udt_dependent", "NO")
        .finish()
}

fn builtin_routines(ctx: &SystemContext) -> Vec<Row> {
    super::builtin_functions::FUNCTIONS
        .iter()
        .filter(|f| f.kind == 'f')
        .map(|f| {
            let result = DataType::from_oid(f.result);
            ctx.row()
                .set("specific_catalog", DATABASE)
                .set("specific_schema", "pg_catalog")
                .set("specific_name", format!("{}_{}", f.name, f.oid))
                .set("routine_catalog", DATABASE)
                .set("routine_schema", "pg_catalog")
                .set("routine_name", f.name)
                .set("routine_type", "FUNCTION")
                .set("data_type", result.map_or("USER-DEFINED", |t| standard_type_name(&t)))
                .set("type_udt_catalog", DATABASE)
                .set("type_udt_schema", "pg_catalog")
                .set(
                    "type_udt_name",
                    result.map_or_else(|| super::names::format_type(f.result, None), |t| t.internal_name().to_string()),
                )
                .set("dtd_identifier", "0")
                .set("routine_body", "EXTERNAL")
                .set("external_name", f.name)
                .set("external_language", "INTERNAL")
                .set("parameter_style", "GENERAL")
                .set("is_deterministic", "NO")
                .set("sql_data_access", "MODIFIES")
                .set("is_null_call", "YES")
                .set("schema_level_routine", "YES")
                .set("max_dynamic_result_sets", 0)
                .set("is_user_defined_cast", "NO")
                .set("is_implicitly_invocable", "NO")
                .set("security_type", "INVOKER")
                .set("as_locator", "NO")
                .set("is_udt_dependent", "NO")
                .finish()
        })
        .collect()
}

/// Every table privilege held, as (grantor, grantee, table, privilege, grantable): the owner's full set
/// (grantable), then each grant (occam records no grantor: the owner is shown, as it is the only role
/// that may grant).
/// The table is `(schema, name)`.
#[allow(clippy::type_complexity)]
fn table_grants(ctx: &SystemContext) -> Vec<(String, String, (String, String), &'static str, bool)> {
    let catalog = ctx.catalog();
    let mut out = Vec::new();
    for class in relations(ctx, catalog) {
        let Class::Table(table) = class else { continue };
        let owner = catalog.roles.table_owner(table.id).unwrap_or(crate::roles::ADMIN_ROLE).to_string();
        for privilege in ["INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"] {
            out.push((owner.clone(), owner.clone(), (table.schema.clone(), table.name.clone()), privilege, true));
        }
        for (grantee, privileges) in catalog.roles.table_grants(table.id) {
            let grantee = if grantee == crate::roles::PUBLIC_ROLE { "PUBLIC".to_string() } else { grantee };
            for privilege in privileges {
                let name = match privilege {
                    Privilege::Select => "SELECT",
                    Privilege::Insert => "INSERT",
                    Privilege::Update => "UPDATE",
                    Privilege::Delete => "DELETE",
                    _ => continue,
                };
                out.push((owner.clone(), grantee.clone(), (table.schema.clone(), table.name.clone()), name, false));
            }
        }
    }
    out
}

fn grant_rows(ctx: &SystemContext, include_public: bool) -> Vec<Row> {
    let role = current_role(ctx);
    table_grants(ctx)
        .into_iter()
        .filter(|(grantor, grantee, ..)| {
            *grantor == role || *grantee == role || (include_public && grantee == "PUBLIC")
        })
        .map(|(grantor, grantee, (schema, table), privilege, grantable)| {
            ctx.row()
                .set("grantor", grantor)
                .set("grantee", grantee)
                .set("table_catalog", DATABASE)
                .set("table_schema", schema)
                .set("table_name", table)
                .set("privilege_type", privilege)
                .set("is_grantable", if grantable { "YES" } else { "NO" })
                .set("with_hierarchy", if privilege == "SELECT" { "YES" } else { "NO" })
                .finish()
        })
        .collect()
}

fn role_table_grants(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(grant_rows(ctx, false))
}

fn table_privileges(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(grant_rows(ctx, true))
}
