//! The object identifiers the catalogs show, in one place.
//!
//! PostgreSQL's own objects keep PostgreSQL 15's oids (types `pg_type.dat`, namespaces, access methods,
//! catalog relations, functions), so a client's hard-coded `WHERE typnamespace = 11` or `atttypid = 23`
//! works. occam's objects get oids from their catalog ids, stable across restarts:
//!
//! ```text
//!   table                16384 + table id        (FirstNormalObjectId; RowDescription's table oid too)
//!   primary-key index    0x2000_0000 + table id  (occam's table is its primary key; PostgreSQL has an index)
//!   secondary index      0x4000_0000 + index id
//!   primary-key constraint 0x7000_0000 + table id
//!   check constraint     0x3000_0000 + table id * 256 + its position among the table's checks
//!   unique constraint    0x6000_0000 + its index's id
//!   foreign key          0x8000_0000 + table id * 256 + its position among the table's foreign keys
//!   column default       0x5000_0000 + table id * 1601 + column number  (pg_attrdef.oid)
//!   rewrite rule         0xA000_0000 + view or materialized view id  (its `_RETURN` rule, pg_rewrite.oid)
//!   role                 10 for admin, else the role's own oid (roles.rs: from 16384)
//! ```
//! Table ids and index ids come from separate counters, hence the separate ranges (PostgreSQL's
//! `pg_class.oid` is unique across tables and indexes). An oid in none of the ranges names nothing.

use crate::session::ColumnOrigin;

/// `pg_namespace.oid` of `pg_catalog`, `public` and `information_schema` (PostgreSQL 15's).
pub const PG_CATALOG_NAMESPACE: u32 = 11;
pub const PUBLIC_NAMESPACE: u32 = 2200;
pub const INFORMATION_SCHEMA_NAMESPACE: u32 = 13207;
/// occam's `sys` schema (below FirstNormalObjectId, like PostgreSQL's built-in schemas).
pub const SYS_NAMESPACE: u32 = 13400;

/// `pg_extension.oid` of `occam_sys`, the built-in extension the `sys` schema and its relations belong to
/// (below FirstNormalObjectId, so that pg_dump takes it for built in, as plpgsql, and dumps none of it).
pub const SYS_EXTENSION: u32 = 13399;

/// The `sys` relations' `pg_class.oid`s.
pub const SYS_JOBS: u32 = 13401;
pub const SYS_IAM_PG_ROLE_MAPPINGS: u32 = 13402;
pub const SYS_TABLE_STATISTICS: u32 = 13403;
pub const SYS_OCC_CONFLICTS: u32 = 13404;
pub const SYS_HOT_KEYS: u32 = 13405;
pub const SYS_OCC_TABLE_STATS: u32 = 13406;

/// Access methods (`pg_am.oid`): tables are `heap`, indexes `btree`.
pub const HEAP_AM: u32 = 2;
pub const BTREE_AM: u32 = 403;

/// `pg_database.oid` of `postgres`, `pg_tablespace.oid` of `pg_default`, `pg_collation.oid` of `default`
/// and `C`, `pg_language.oid` of `internal` and `sql`.
pub const POSTGRES_DATABASE: u32 = 5;
pub const DEFAULT_TABLESPACE: u32 = 1663;
pub const DEFAULT_COLLATION: u32 = 100;
pub const C_COLLATION: u32 = 950;
pub const INTERNAL_LANGUAGE: u32 = 12;
/// `pg_proc`'s own oid (`classoid` of a function's comment).
pub const PG_PROC_RELATION: u32 = 1255;
/// `pg_language.oid` of `sql`, the language of user functions.
pub const SQL_LANGUAGE: u32 = 14;
/// `pg_type.oid` of `record`, the result type of a `RETURNS TABLE` function.
pub const RECORD_TYPE: u32 = 2249;

/// `pg_catalog.pg_class`'s own oid (`classoid` of relations in `pg_description`, `pg_depend`, ...).
pub const PG_CLASS_RELATION: u32 = 1259;

pub const FIRST_NORMAL_OID: u32 = ColumnOrigin::FIRST_TABLE_OID;
const SECONDARY_INDEX_BASE: u32 = 0x4000_0000;
const COLUMN_DEFAULT_BASE: u32 = 0x5000_0000;
const PRIMARY_KEY_INDEX_BASE: u32 = 0x2000_0000;
const PRIMARY_KEY_CONSTRAINT_BASE: u32 = 0x7000_0000;
const CHECK_CONSTRAINT_BASE: u32 = 0x3000_0000;
const UNIQUE_CONSTRAINT_BASE: u32 = 0x6000_0000;
const FOREIGN_KEY_BASE: u32 = 0x8000_0000;
/// How many CHECK constraints (foreign keys) of one table have distinct oids.
const CHECKS_PER_TABLE: u32 = 256;
const FUNCTION_BASE: u32 = 0x9000_0000;
const REWRITE_RULE_BASE: u32 = 0xA000_0000;
const RANGE: u32 = 0x1000_0000;

/// A table's `pg_class.oid` (the table oid RowDescription carries).
pub fn table(table_id: u32) -> u32 {
    FIRST_NORMAL_OID + table_id
}

/// A SQL function's `pg_proc.oid`.
pub fn function(function_id: u32) -> u32 {
    FUNCTION_BASE.wrapping_add(function_id)
}

/// The `pg_rewrite.oid` of a view's (or materialized view's) `_RETURN` rule.
pub fn rewrite_rule(relation_id: u32) -> u32 {
    REWRITE_RULE_BASE.wrapping_add(relation_id)
}

/// `pg_attrdef`'s own oid (`classid` of a column default's dependencies).
pub const PG_ATTRDEF_RELATION: u32 = 2604;

/// `pg_rewrite`'s own oid (`classid` of a rule's dependencies).
pub const PG_REWRITE_RELATION: u32 = 2618;
/// `pg_namespace`'s and `pg_extension`'s own oids (an extension member's `pg_depend` row).
pub const PG_NAMESPACE_RELATION: u32 = 2615;
pub const PG_EXTENSION_RELATION: u32 = 3079;

/// A secondary index's `pg_class.oid`.
pub fn secondary_index(index_id: u32) -> u32 {
    SECONDARY_INDEX_BASE + index_id
}

/// The `pg_class.oid` of a table's primary-key index (`t_pkey`).
pub fn primary_key_index(table_id: u32) -> u32 {
    PRIMARY_KEY_INDEX_BASE + table_id
}

/// The `pg_constraint.oid` of a table's primary key.
pub fn primary_key_constraint(table_id: u32) -> u32 {
    PRIMARY_KEY_CONSTRAINT_BASE + table_id
}

/// The `pg_attrdef.oid` of column `attnum`'s default.
pub fn column_default(table_id: u32, attnum: i16) -> u32 {
    COLUMN_DEFAULT_BASE.wrapping_add(table_id.wrapping_mul(1601)).wrapping_add(attnum as u32)
}

/// What a `pg_class` oid of occam's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassOid {
    Table(u32),
    SecondaryIndex(u32),
    PrimaryKeyIndex(u32),
    /// Not one of occam's tables or indexes (maybe a system relation, or nothing).
    Other,
}

/// Decodes a `pg_class.oid`.
pub fn class(oid: u32) -> ClassOid {
    match oid {
        o if (FIRST_NORMAL_OID..PRIMARY_KEY_INDEX_BASE).contains(&o) => ClassOid::Table(o - FIRST_NORMAL_OID),
        o if (SECONDARY_INDEX_BASE..SECONDARY_INDEX_BASE + RANGE).contains(&o) => {
            ClassOid::SecondaryIndex(o - SECONDARY_INDEX_BASE)
        }
        o if (PRIMARY_KEY_INDEX_BASE..PRIMARY_KEY_INDEX_BASE + RANGE).contains(&o) => {
            ClassOid::PrimaryKeyIndex(o - PRIMARY_KEY_INDEX_BASE)
        }
        _ => ClassOid::Other,
    }
}

/// The `pg_constraint.oid` of a table's CHECK constraint at `position` in `Table::checks`.
pub fn check_constraint(table_id: u32, position: usize) -> u32 {
    CHECK_CONSTRAINT_BASE + (table_id.wrapping_mul(CHECKS_PER_TABLE) + position as u32) % RANGE
}

/// The `pg_constraint.oid` of a table's FOREIGN KEY at `position` in `Table::foreign_keys`.
pub fn foreign_key(table_id: u32, position: usize) -> u32 {
    FOREIGN_KEY_BASE + (table_id.wrapping_mul(CHECKS_PER_TABLE) + position as u32) % RANGE
}

/// The `pg_constraint.oid` of the UNIQUE constraint index `index_id` backs.
pub fn unique_constraint(index_id: u32) -> u32 {
    UNIQUE_CONSTRAINT_BASE + index_id
}

/// What a `pg_constraint` oid of occam's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintOid {
    PrimaryKey(u32),
    Check {
        table_id: u32,
        position: usize,
    },
    /// The index's id.
    Unique(u32),
    ForeignKey {
        table_id: u32,
        position: usize,
    },
    Other,
}

/// Decodes a `pg_constraint.oid`.
pub fn constraint(oid: u32) -> ConstraintOid {
    let within = |base: u32| (base..base + RANGE).contains(&oid).then(|| oid - base);
    if let Some(table_id) = within(PRIMARY_KEY_CONSTRAINT_BASE) {
        ConstraintOid::PrimaryKey(table_id)
    } else if let Some(offset) = within(CHECK_CONSTRAINT_BASE) {
        ConstraintOid::Check { table_id: offset / CHECKS_PER_TABLE, position: (offset % CHECKS_PER_TABLE) as usize }
    } else if let Some(index_id) = within(UNIQUE_CONSTRAINT_BASE) {
        ConstraintOid::Unique(index_id)
    } else if let Some(offset) = within(FOREIGN_KEY_BASE) {
        ConstraintOid::ForeignKey {
            table_id: offset / CHECKS_PER_TABLE,
            position: (offset % CHECKS_PER_TABLE) as usize,
        }
    } else {
        ConstraintOid::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_oids_round_trip() {
        assert_eq!(table(3), 16387);
        assert_eq!(class(table(3)), ClassOid::Table(3));
        assert_eq!(class(secondary_index(7)), ClassOid::SecondaryIndex(7));
        assert_eq!(class(primary_key_index(7)), ClassOid::PrimaryKeyIndex(7));
        assert_eq!(class(1259), ClassOid::Other);
        assert_eq!(constraint(check_constraint(5, 2)), ConstraintOid::Check { table_id: 5, position: 2 });
        assert_eq!(constraint(unique_constraint(4)), ConstraintOid::Unique(4));
        assert_eq!(constraint(foreign_key(5, 1)), ConstraintOid::ForeignKey { table_id: 5, position: 1 });
        assert_eq!(constraint(primary_key_constraint(4)), ConstraintOid::PrimaryKey(4));
        assert_eq!(constraint(table(4)), ConstraintOid::Other);
    }
}
