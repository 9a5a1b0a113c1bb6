//! The physical plan: a tree of operators, each with the optimizer's estimates, that `sql::execute` runs
//! (one operator per node, pulled by its parent) and `sql::explain` prints.
//!
//! Rows flowing between operators are `Vec<Value>`s whose columns are positions, as the binder numbered
//! them: a table read yields the table's full row (every column, unread ones NULL), a join yields
//! `left ++ right ++ merged USING columns`, an aggregate `group keys ++ aggregate results`, a projection its
//! expressions. So the expressions of the bound query tree run unchanged on the operators' rows.

use std::ops::Bound;
use std::sync::Arc;

use crate::catalog::{Index, Table};
use crate::sql::ast::{JoinKind, SetOperator};
use crate::sql::plan::{AggregateCall, BoundExpr, SortKey, WindowCall};

/// A planned query: the operator tree plus the plans of the subqueries its expressions contain.
#[derive(Debug, Clone)]
pub struct PhysicalQuery {
    pub root: PhysicalPlan,
    /// Subquery id (`SubqueryPlan::id`) -> its plan (`sql::execute` runs it when an expression needs it).
    pub subplans: Vec<(usize, PhysicalPlan)>,
    /// Number of nodes in `root` and all subplans (node ids are `0..node_count`).
    pub node_count: usize,
}

/// One operator with the optimizer's estimates.
#[derive(Debug, Clone)]
pub struct PhysicalPlan {
    /// Number of this node, unique within its `PhysicalQuery` (EXPLAIN ANALYZE counts per node).
    pub id: usize,
    pub node: Node,
    pub estimate: Estimate,
}

/// What the optimizer expects of a node, in PostgreSQL's cost units (a sequential page read = 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    pub rows: f64,
    /// Cost before the first row comes out.
    pub startup_cost: f64,
    /// Cost of producing every row.
    pub total_cost: f64,
    /// Average width of an output row in bytes.
    pub width: u32,
}

#[derive(Debug, Clone)]
pub enum Node {
    /// One row without columns (a SELECT without FROM).
    Result,
    /// Rows of a table through its primary key or one secondary index.
    TableRead(TableRead),
    /// A relation of schema `sys` computed from database state.
    SystemScan {
        relation: &'static crate::sql::system::SystemRelation,
    },
    /// A set-returning function's rows (`Function Scan`); with an input, each input row followed by the
    /// function's rows for it (its arguments read the input row).
    Function {
        input: Option<Box<PhysicalPlan>>,
        function: super::TableFunction,
        args: Vec<BoundExpr>,
    },
    Values {
        rows: Vec<Vec<BoundExpr>>,
    },
    Filter {
        input: Box<PhysicalPlan>,
        predicate: BoundExpr,
    },
    Project {
        input: Box<PhysicalPlan>,
        exprs: Vec<BoundExpr>,
    },
    /// Grouping and aggregates; output `group keys ++ aggregate results`. Without GROUP BY exactly one row.
    Aggregate {
        input: Box<PhysicalPlan>,
        group_by: Vec<BoundExpr>,
        /// GROUPING SETS (see `plan::AggregatePlan::grouping_sets`); empty for a plain GROUP BY.
        grouping_sets: Vec<Vec<usize>>,
        aggregates: Vec<AggregateCall>,
        phase: AggregatePhase,
    },
    /// Window functions: every input row with the results of `windows` appended (`WindowAgg`).
    Window {
        input: Box<PhysicalPlan>,
        windows: Vec<WindowCall>,
    },
    /// Passes the first row of each group of rows equal in `columns`.
    Distinct {
        input: Box<PhysicalPlan>,
        /// The columns compared.
        columns: Vec<usize>,
        /// `DISTINCT ON`: the first row of each group in input order (EXPLAIN's `Unique`), rather than
        /// `DISTINCT`'s distinct rows (`HashAggregate`); the same operation, named as PostgreSQL names it.
        on: bool,
    },
    /// Sorts its input; with `limit` only the first rows are kept while sorting (top-N, a bounded heap).
    Sort {
        input: Box<PhysicalPlan>,
        keys: Vec<SortKey>,
        limit: Option<LimitCount>,
    },
    Limit {
        input: Box<PhysicalPlan>,
        count: LimitCount,
    },
    /// Keeps the first `columns` columns (drops hidden ORDER BY keys).
    Truncate {
        input: Box<PhysicalPlan>,
        columns: usize,
    },
    Join(Join),
    SetOperation {
        op: SetOperator,
        all: bool,
        left: Box<PhysicalPlan>,
        right: Box<PhysicalPlan>,
    },
    /// `WITH RECURSIVE`'s iteration (see `plan::Source::RecursiveUnion`): `recursive` is built again for
    /// every round, reading the previous round's rows through its `WorkTableScan` of `work_table`.
    RecursiveUnion {
        work_table: usize,
        all: bool,
        anchor: Box<PhysicalPlan>,
        recursive: Box<PhysicalPlan>,
    },
    /// The rows the previous round of the `RecursiveUnion` `work_table` added, or with `modifying` the
    /// RETURNING rows of a data-modifying WITH query (EXPLAIN's `CTE Scan`).
    WorkTableScan {
        work_table: usize,
        modifying: bool,
        name: String,
        columns: Vec<String>,
    },
    /// Runs its input in `workers` threads at once (PostgreSQL's `Gather`): the input's one table read is
    /// cut at the storage keys `splits` into key ranges (morsels) that the workers take in key order, and
    /// the rows come up morsel by morsel in that order, as the input alone would hand them up, only sooner.
    Gather {
        input: Box<PhysicalPlan>,
        workers: usize,
        splits: Vec<Vec<u8>>,
    },
}

/// LIMIT / OFFSET, evaluated when the operator opens.
#[derive(Debug, Clone, Default)]
pub struct LimitCount {
    pub limit: Option<BoundExpr>,
    pub offset: Option<BoundExpr>,
}

/// A join of two inputs; output rows are `left ++ right ++ merged`.
#[derive(Debug, Clone)]
pub struct Join {
    pub kind: JoinKind,
    pub algorithm: JoinAlgorithm,
    pub left: Box<PhysicalPlan>,
    pub right: Box<PhysicalPlan>,
    pub left_width: usize,
    pub right_width: usize,
    /// The whole ON condition over `left ++ right`, re-checked on every candidate pair.
    pub condition: Option<BoundExpr>,
    /// USING / NATURAL merged columns, computed from `left ++ right`.
    pub merged: Vec<BoundExpr>,
}

/// What an `Aggregate` node computes: the aggregates of its input, or one of the two halves of a parallel
/// plan's (PostgreSQL's `Partial Aggregate` under a `Gather`, `Finalize Aggregate` over it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregatePhase {
    Whole,
    /// Per group: the keys and each aggregate's state (`Accumulator::partial_state`), not its result.
    Partial,
    /// Groups rows of `keys ++ states` (its GROUP BY and arguments are those columns) and merges the states.
    Finalize,
}

#[derive(Debug, Clone)]
pub enum JoinAlgorithm {
    /// Every right row is a candidate for every left row (the right input is read once and kept).
    NestedLoop,
    /// The right rows are hashed on `right_keys`, then probed with `left_keys` per left row; a NULL key
    /// matches nothing. `right_keys` are bound against the joined row and evaluated with the left part NULL.
    Hash { left_keys: Vec<BoundExpr>, right_keys: Vec<BoundExpr> },
    /// The right input is a `TableRead` whose range expressions read the left row: looked up per batch of
    /// left rows (Aurora DSQL's "Nested Loop (Batched Join)" with an index or key lookup inside).
    Lookup,
    /// `LATERAL`: the right input is built and run again for each left row, with that row as its outer row
    /// (PostgreSQL's Nested Loop over a parameterized subquery).
    Lateral,
}

/// Storage key bounds: a start and an end.
pub type KeySpan = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Which rows of a table to read, through which B-tree, in which order.
#[derive(Debug, Clone)]
pub struct TableRead {
    pub table: Arc<Table>,
    /// The FROM item's alias, if it has one (EXPLAIN names the read and its columns by it).
    pub alias: Option<String>,
    /// None: the table's own primary-key B-tree (the table is its primary key, as in Aurora DSQL); Some: a
    /// secondary index whose entries lead to the rows.
    pub index: Option<Arc<Index>>,
    /// The key ranges to read; empty = the whole B-tree.
    pub ranges: Vec<KeyRange>,
    /// Read the B-tree from its end (ORDER BY ... DESC served by an ascending key).
    pub backward: bool,
    /// Rows are made from index entries alone (every column the query reads is in the index).
    pub index_only: bool,
    /// The conjuncts the ranges were built from, over the table's row (EXPLAIN's `Index Cond`).
    pub index_condition: Vec<BoundExpr>,
    /// The rest of the filter over the table's row (EXPLAIN's `Filter`); rows failing it are dropped here.
    pub filter: Option<BoundExpr>,
    /// The columns the query reads (others stay NULL and are not decoded); None = every column.
    pub columns: Option<Vec<bool>>,
    /// Estimated rows read before the filter (EXPLAIN's `Rows Filtered` compares).
    pub rows_before_filter: f64,
    /// Append each row's storage key (bytea) after the table's columns: a locking query carries it up to
    /// learn exactly which rows it returned.
    pub with_row_key: bool,
    /// The read is a morsel source below a `Gather` (EXPLAIN's `Parallel Seq Scan`).
    pub parallel: bool,
    /// A `Gather` worker's morsel: the storage key bounds to read instead of the whole B-tree.
    pub key_span: Option<KeySpan>,
}

/// One contiguous range of a B-tree: the key columns `0..prefix.len()` equal `prefix`, and the next key
/// column within `lower..upper`. The expressions are evaluated against the row that opens the read (no
/// columns for a plain scan, the left row for a lookup join).
#[derive(Debug, Clone, Default)]
pub struct KeyRange {
    pub prefix: Vec<BoundExpr>,
    /// (value, inclusive)
    pub lower: Option<(BoundExpr, bool)>,
    pub upper: Option<(BoundExpr, bool)>,
}

impl KeyRange {
    /// A range that pins `prefix.len()` leading key columns.
    pub fn equal(prefix: Vec<BoundExpr>) -> Self {
        KeyRange { prefix, lower: None, upper: None }
    }
}

impl TableRead {
    /// Whether this reads single rows by their whole primary key (each range a point).
    pub fn is_point_lookup(&self) -> bool {
        self.index.is_none()
            && !self.ranges.is_empty()
            && self
                .ranges
                .iter()
                .all(|r| r.prefix.len() == self.table.primary_key.len() && r.lower.is_none() && r.upper.is_none())
    }
}

/// The inputs of a plan node, left to right, borrowed shared or (with `mut`) mutably: the one list of
/// which of each node's fields are its inputs.
macro_rules! node_inputs {
    ($node:expr $(, $mutable:ident)?) => {
        match $node {
            Node::Function { input: Some(input), .. } => vec![&$($mutable)? **input],
            Node::Function { input: None, .. }
            | Node::Result
            | Node::TableRead(_)
            | Node::SystemScan { .. }
            | Node::Values { .. }
            | Node::WorkTableScan { .. } => Vec::new(),
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Distinct { input, .. }
            | Node::Window { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Truncate { input, .. }
            | Node::Gather { input, .. } => vec![&$($mutable)? **input],
            Node::Join(join) => vec![&$($mutable)? *join.left, &$($mutable)? *join.right],
            Node::SetOperation { left, right, .. } => vec![&$($mutable)? **left, &$($mutable)? **right],
            Node::RecursiveUnion { anchor, recursive, .. } => vec![&$($mutable)? **anchor, &$($mutable)? **recursive],
        }
    };
}

impl PhysicalPlan {
    /// Every table read in the plan, for adjustments after planning.
    pub fn table_reads_mut(&mut self) -> Vec<&mut TableRead> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(plan) = pending.pop() {
            if !matches!(plan.node, Node::TableRead(_)) {
                pending.extend(plan.children_mut());
            } else if let Node::TableRead(read) = &mut plan.node {
                out.push(read);
            }
        }
        out
    }

    /// Every table read in the plan.
    pub fn table_reads(&self) -> Vec<&TableRead> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(plan) = pending.pop() {
            match &plan.node {
                Node::TableRead(read) => out.push(read),
                _ => pending.extend(plan.children()),
            }
        }
        out
    }

    /// The node's inputs, left to right, to change them.
    pub fn children_mut(&mut self) -> Vec<&mut PhysicalPlan> {
        node_inputs!(&mut self.node, mut)
    }

    /// The node's inputs, left to right.
    pub fn children(&self) -> Vec<&PhysicalPlan> {
        node_inputs!(&self.node)
    }
}
