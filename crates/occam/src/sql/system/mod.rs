//! System relations: read-only relations whose rows are produced from database state each time they are
//! scanned. Three schemas hold them:
//!
//! ```text
//!   sys                 occam's and Aurora DSQL's own: jobs, iam_pg_role_mappings, table_statistics
//!   pg_catalog          PostgreSQL's catalogs and system views (pg_class, pg_attribute, pg_roles, ...)
//!   information_schema  the SQL standard's views (tables, columns, table_constraints, ...)
//! ```
//! Every relation is one entry of a table of relations (`sys` here, `pg_catalog::RELATIONS`,
//! `information_schema::RELATIONS`): a name, PostgreSQL's oid for it, its columns with PostgreSQL's names
//! and types, and a row producer. A producer computes the rows from the statement's catalog snapshot (the
//! `Catalog` the statement was planned against: tables, indexes, roles), the transaction (jobs,
//! statistics) and the session (settings), so a catalog relation is a view over occam's own catalog, never
//! a stored copy that could drift from it. The binder resolves `pg_catalog.x`, `information_schema.x`,
//! `sys.x` and an unqualified `pg_class` (PostgreSQL searches `pg_catalog` first) to a [`SystemRelation`]
//! FROM item; the executor calls its producer once per scan.
//!
//! The other parts: [`oids`] (the object identifiers every catalog shows), [`names`] (the `reg*` types'
//! lookups and `format_type`), [`functions`] (`pg_get_indexdef`, `pg_table_is_visible`, ...) and
//! `deparse` (expressions printed as PostgreSQL prints them).

/// A catalog relation with PostgreSQL 15's oid (the row producer is a function of the scan's context):
/// `relation!(schema, Table | View, name, oid, columns, rows)`.
macro_rules! relation {
    ($schema:expr, $kind:ident, $name:literal, $oid:literal, $columns:expr, $rows:expr) => {
        SystemRelation {
            schema: $schema,
            name: $name,
            oid: $oid,
            kind: RelationKind::$kind,
            columns: $columns,
            rows: $rows,
            postgres_only: false,
        }
    };
}

pub mod builtin_functions;
pub mod comments;
mod deparse;
pub mod functions;
mod information_schema;
pub mod names;
pub mod oids;
mod pg_catalog;
mod rows;
mod sequences;

use crate::catalog::Catalog;
use crate::database::Database;
use crate::error::{Error, Result};
use crate::sql::functions::FunctionContext;
use crate::txn::Transaction;
use crate::types::{DataType, Row, Value};

pub use comments::comment_target;
pub use rows::RowBuilder;

/// The schema occam's own system relations live in.
pub const SCHEMA: &str = "sys";

/// The schemas of system relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Schema {
    Sys,
    PgCatalog,
    InformationSchema,
}

impl Schema {
    pub const ALL: [Schema; 3] = [Schema::PgCatalog, Schema::InformationSchema, Schema::Sys];

    pub fn name(self) -> &'static str {
        match self {
            Schema::Sys => SCHEMA,
            Schema::PgCatalog => "pg_catalog",
            Schema::InformationSchema => "information_schema",
        }
    }

    pub fn from_name(name: &str) -> Option<Schema> {
        Schema::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The schema's `pg_namespace.oid`.
    pub fn oid(self) -> u32 {
        match self {
            Schema::Sys => oids::SYS_NAMESPACE,
            Schema::PgCatalog => oids::PG_CATALOG_NAMESPACE,
            Schema::InformationSchema => oids::INFORMATION_SCHEMA_NAMESPACE,
        }
    }
}

/// Whether a relation is one of PostgreSQL's catalog tables or one of its views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    Table,
    View,
}

/// One system relation.
#[derive(Debug)]
pub struct SystemRelation {
    pub schema: Schema,
    pub name: &'static str,
    /// Its `pg_class.oid` (PostgreSQL 15's, for PostgreSQL's relations).
    pub oid: u32,
    pub kind: RelationKind,
    /// (column name, type), in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Produces every row for the scanning statement.
    pub rows: fn(&SystemContext) -> Result<Vec<Row>>,
    /// Only in PostgreSQL mode (`pg_database`: Aurora DSQL has none, see `compat::CatalogRules`).
    pub postgres_only: bool,
}

/// A catalog table's system columns (see [`SystemRelation::system_columns`]).
const SYSTEM_COLUMNS: &[(&str, DataType)] = &[
    ("tableoid", DataType::Oid),
    ("xmin", DataType::Oid),
    ("cmin", DataType::Oid),
    ("xmax", DataType::Oid),
    ("cmax", DataType::Oid),
];

/// Relations are identified by schema and name (plans compare sources structurally).
impl PartialEq for SystemRelation {
    fn eq(&self, other: &Self) -> bool {
        self.schema == other.schema && self.name == other.name
    }
}

impl SystemRelation {
    /// `pg_class.relkind`.
    pub fn relkind(&self) -> &'static str {
        match self.kind {
            RelationKind::Table => "r",
            RelationKind::View => "v",
        }
    }

    /// Its system columns after its own: PostgreSQL's catalog tables have `tableoid` (the relation's oid),
    /// `xmin`, `cmin`, `xmax` and `cmax` (`xid` and `cid` shown as `oid`; every row as if written by the
    /// bootstrap transaction); views have none. `ctid` is missing: occam has no `tid` type.
    pub fn system_columns(&self) -> &'static [(&'static str, DataType)] {
        match self.kind {
            RelationKind::Table => SYSTEM_COLUMNS,
            RelationKind::View => &[],
        }
    }

    /// How many values each of its rows holds: its columns, then its system columns.
    pub fn width(&self) -> usize {
        self.columns.len() + self.system_columns().len()
    }

    /// Whether it exists in a database whose catalog is `catalog`.
    pub fn exists_in(&self, catalog: &Catalog) -> bool {
        !self.postgres_only || catalog.system.pg_database
    }
}

/// What a row producer reads: the scanning statement's transaction and function context (its catalog
/// snapshot, database and session).
pub struct SystemContext<'a> {
    pub txn: &'a Transaction,
    pub functions: &'a FunctionContext,
    /// The relation being produced (for [`SystemContext::row`]).
    pub relation: &'static SystemRelation,
}

impl SystemContext<'_> {
    /// The catalog snapshot the statement was planned against.
    pub fn catalog(&self) -> &Catalog {
        &self.functions.catalog
    }

    pub fn database(&self) -> Option<&Database> {
        self.functions.database.as_ref()
    }

    /// A row of the relation being produced, every column at its default (see [`RowBuilder`]).
    pub fn row(&self) -> RowBuilder {
        RowBuilder::new(self.relation.columns, self.relation.kind == RelationKind::Table)
    }
}

/// occam's own relations, schema `sys`.
static SYS_RELATIONS: &[SystemRelation] = &[
    SystemRelation {
        schema: Schema::Sys,
        name: "jobs",
        oid: oids::SYS_JOBS,
        kind: RelationKind::View,
        columns: crate::jobs::SYS_JOBS_COLUMNS,
        rows: |ctx| crate::jobs::sys_jobs_rows(ctx.txn),
        postgres_only: false,
    },
    SystemRelation {
        schema: Schema::Sys,
        name: "iam_pg_role_mappings",
        oid: oids::SYS_IAM_PG_ROLE_MAPPINGS,
        kind: RelationKind::View,
        columns: crate::roles::SYS_IAM_PG_ROLE_MAPPINGS_COLUMNS,
        rows: |ctx| crate::roles::sys_iam_pg_role_mappings_rows(ctx.txn),
        postgres_only: false,
    },
    // occam's own: OCC conflicts explained (`crate::conflicts`), from the database's conflict log.
    SystemRelation {
        schema: Schema::Sys,
        name: "occ_conflicts",
        oid: oids::SYS_OCC_CONFLICTS,
        kind: RelationKind::View,
        columns: crate::conflicts::SYS_OCC_CONFLICTS_COLUMNS,
        rows: |ctx| {
            let viewer = ctx.functions.session.as_ref().map(|session| {
                let role = session.get("session_authorization").unwrap_or_default();
                (role, session.get("is_superuser").is_some_and(|on| on == "on"))
            });
            let rows = |db: &Database| crate::conflicts::sys_occ_conflicts_rows(db.conflicts(), viewer.clone());
            Ok(ctx.database().map_or_else(Vec::new, rows))
        },
        postgres_only: false,
    },
    SystemRelation {
        schema: Schema::Sys,
        name: "hot_keys",
        oid: oids::SYS_HOT_KEYS,
        kind: RelationKind::View,
        columns: crate::conflicts::SYS_HOT_KEYS_COLUMNS,
        rows: |ctx| Ok(ctx.database().map_or_else(Vec::new, |db| crate::conflicts::sys_hot_keys_rows(db.conflicts()))),
        postgres_only: false,
    },
    SystemRelation {
        schema: Schema::Sys,
        name: "occ_table_stats",
        oid: oids::SYS_OCC_TABLE_STATS,
        kind: RelationKind::View,
        columns: crate::conflicts::SYS_OCC_TABLE_STATS_COLUMNS,
        rows: |ctx| {
            Ok(ctx.database().map_or_else(Vec::new, |db| crate::conflicts::sys_occ_table_stats_rows(db.conflicts())))
        },
        postgres_only: false,
    },
    // occam's own (Aurora DSQL has no such relation): what ANALYZE gathered, see `crate::statistics`.
    SystemRelation {
        schema: Schema::Sys,
        name: "table_statistics",
        oid: oids::SYS_TABLE_STATISTICS,
        kind: RelationKind::View,
        columns: crate::statistics::SYS_TABLE_STATISTICS_COLUMNS,
        rows: |ctx| crate::statistics::sys_table_statistics_rows(ctx.txn),
        postgres_only: false,
    },
];

/// Every system relation of every schema (whether or not this database's mode shows it).
pub fn all() -> impl Iterator<Item = &'static SystemRelation> {
    pg_catalog::RELATIONS.iter().chain(information_schema::RELATIONS).chain(SYS_RELATIONS)
}

/// The system relations `catalog` shows.
pub fn relations(catalog: &Catalog) -> impl Iterator<Item = &'static SystemRelation> + '_ {
    all().filter(move |r| r.exists_in(catalog))
}

/// The relation `schema.name`, if this database shows it.
pub fn find(catalog: &Catalog, schema: Schema, name: &str) -> Option<&'static SystemRelation> {
    relations(catalog).find(|r| r.schema == schema && r.name == name)
}

/// The system relation a FROM item names, if it names one: `pg_catalog.x`, `information_schema.x` and
/// `sys.x` (42P01 when there is no such relation), or an unqualified name of a `pg_catalog` relation
/// (PostgreSQL searches `pg_catalog` before the schemas of `search_path`). None for anything else: a
/// user table.
pub fn resolve(catalog: &Catalog, schema: Option<&str>, name: &str) -> Option<Result<&'static SystemRelation>> {
    match schema {
        Some(written) => {
            let schema = Schema::from_name(written)?;
            Some(find(catalog, schema, name).ok_or_else(|| Error::undefined_table(&format!("{written}.{name}"))))
        }
        None => find(catalog, Schema::PgCatalog, name).map(Ok),
    }
}

/// Runs `relation`'s producer for a statement.
pub fn scan(relation: &'static SystemRelation, txn: &Transaction, functions: &FunctionContext) -> Result<Vec<Row>> {
    let mut rows = (relation.rows)(&SystemContext { txn, functions, relation })?;
    if !relation.system_columns().is_empty() {
        // tableoid, then xmin = 1 (FrozenTransactionId's neighbour, BootstrapTransactionId), cmin, xmax, cmax 0.
        let values = [relation.oid as i64, 1, 0, 0, 0];
        for row in &mut rows {
            row.extend(values.iter().map(|&v| Value::Int(v)));
        }
    }
    Ok(rows)
}

/// The rows of a relation that is always empty in occam (what PostgreSQL has and occam does not).
fn no_rows(_: &SystemContext) -> Result<Vec<Row>> {
    Ok(Vec::new())
}
