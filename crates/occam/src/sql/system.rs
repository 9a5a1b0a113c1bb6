//! System relations: read-only relations in schema `sys` whose rows are produced from database state each
//! time they are scanned (DSQL's `sys.jobs`, ...).
//!
//! Each relation is one entry of [`RELATIONS`]: a name, its columns and a row producer that reads the
//! state it shows through the scanning statement's transaction, so a system relation sees the same
//! snapshot as the rest of the query. The planner binds `sys.<name>` to [`SystemRelation`] as a FROM item
//! like any table; the executor calls `rows`.

use crate::error::Result;
use crate::txn::Transaction;
use crate::types::{DataType, Row};

/// The schema system relations live in.
pub const SCHEMA: &str = "sys";

/// One system relation.
#[derive(Debug)]
pub struct SystemRelation {
    pub name: &'static str,
    /// (column name, type), in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Produces every row as of `txn`'s snapshot.
    pub rows: fn(&Transaction) -> Result<Vec<Row>>,
}

/// Relations are identified by name (plans compare sources structurally).
impl PartialEq for SystemRelation {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Every system relation.
pub static RELATIONS: &[SystemRelation] = &[
    SystemRelation { name: "jobs", columns: crate::jobs::SYS_JOBS_COLUMNS, rows: crate::jobs::sys_jobs_rows },
    SystemRelation {
        name: "iam_pg_role_mappings",
        columns: crate::roles::SYS_IAM_PG_ROLE_MAPPINGS_COLUMNS,
        rows: crate::roles::sys_iam_pg_role_mappings_rows,
    },
    // occam's own (Aurora DSQL has no such relation): what ANALYZE gathered, see `crate::statistics`.
    SystemRelation {
        name: "table_statistics",
        columns: crate::statistics::SYS_TABLE_STATISTICS_COLUMNS,
        rows: crate::statistics::sys_table_statistics_rows,
    },
];

/// The system relation `sys.<name>`.
pub fn find(name: &str) -> Option<&'static SystemRelation> {
    RELATIONS.iter().find(|r| r.name == name)
}
