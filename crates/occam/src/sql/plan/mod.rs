//! The bound statement: what the binder (`sql::bind`) makes of an `ast::Statement` and what the optimizer
//! (`sql::optimize`) plans. PostgreSQL's "query tree": every name resolved (tables -> `Arc<Table>`, columns
//! -> positions in the row an operator holds), every expression typed with its casts in place
//! ([`BoundExpr`]), but nothing yet decided about how rows are found.
//!
//! A query is the logical pipeline of SQL's clauses over a tree of FROM sources:
//!
//! ```text
//!   source (FROM: table | system relation | generate_series | VALUES | subquery | cross product | join
//!           tree | one empty row, or UNION / INTERSECT / EXCEPT of two queries)
//!     -> filter (WHERE) -> [group + aggregate -> HAVING] -> projection (+ hidden ORDER BY keys)
//!     -> DISTINCT -> sort -> OFFSET/LIMIT -> drop the hidden keys
//! ```
//! The optimizer turns it into a tree of physical operators ([`physical`]): which index or key range
//! reads a table, in which order, which join algorithm, whether a sort is needed at all.

pub mod physical;
pub mod walk;

use std::sync::Arc;

use crate::catalog::Table;
use crate::session::Column;
use crate::sql::ast;
use crate::sql::functions::{ResolvedAggregate, ResolvedScalar};
use crate::sql::scalar::{BinaryOp, BinarySignature};
use crate::types::{DataType, Value};

/// A planned statement plus what the protocol needs to describe it.
#[derive(Debug)]
pub struct PlannedStatement {
    pub plan: Plan,
    /// The type of each `$n`, declared or inferred (never `Unknown`).
    pub param_types: Vec<DataType>,
    /// Result columns (empty for statements without a result set).
    pub columns: Arc<[Column]>,
    /// The catalog version the plan was bound against.
    pub catalog_version: u64,
}

/// What the executor runs. (Variants differ in size; a plan is built once per statement, so no boxing.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Plan {
    Query(QueryPlan),
    Insert(InsertPlan),
    /// `COPY ... FROM STDIN`: the INSERT the rows go through, its source filled once the data is in.
    CopyFrom(CopyFromPlan),
    /// `COPY ... TO STDOUT`: the query whose rows are written.
    CopyTo(CopyToPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
    CreateTable(ast::CreateTable),
    DropTable {
        names: Vec<ast::ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    /// `CREATE [OR REPLACE] VIEW`, its query checked and its columns named by the binder.
    CreateView(crate::catalog::views::ViewDefinition),
    /// `CREATE TABLE ... AS` / `CREATE MATERIALIZED VIEW`: the table (its columns the query's), the query
    /// that fills it, and a materialized view's definition (kept for REFRESH).
    CreateTableAs {
        create: ast::CreateTable,
        query: Box<QueryPlan>,
        materialized: Option<crate::catalog::views::ViewDefinition>,
        /// False for `WITH NO DATA` (the table stays empty).
        with_data: bool,
    },
    /// `REFRESH MATERIALIZED VIEW`: the table's rows replaced by the query's (`WITH NO DATA`: emptied and
    /// marked unpopulated).
    RefreshMaterializedView {
        table: Arc<Table>,
        query: Box<QueryPlan>,
        concurrently: bool,
        with_data: bool,
    },
    DropMaterializedView {
        names: Vec<ast::ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    DropView {
        names: Vec<ast::ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    Schema(ast::SchemaStatement),
    CreateIndex(ast::CreateIndex),
    DropIndex {
        names: Vec<ast::ObjectName>,
        if_exists: bool,
    },
    /// `CREATE FUNCTION ... LANGUAGE sql` (its body checked by the binder).
    CreateFunction(ast::CreateFunction),
    DropFunction {
        functions: Vec<ast::FunctionSignature>,
        if_exists: bool,
    },
    /// `COMMENT ON ...`: the comment to set (None removes it) on the object it resolved to.
    Comment {
        key: crate::catalog::comments::CommentKey,
        text: Option<String>,
    },
    /// `CALL sys.wait_for_job(job_id)` (the only procedure), run by the session.
    WaitForJob {
        job_id: BoundExpr,
    },
    /// `TRUNCATE`: deletes every row of the tables (PostgreSQL mode only, see `compat`).
    Truncate {
        tables: Vec<Arc<Table>>,
        /// `RESTART IDENTITY` (run by the session after the rows are deleted).
        restart_identity: bool,
    },
    /// CREATE / DROP ROLE, GRANT / REVOKE, AWS IAM GRANT / REVOKE (run by `roles::execute`).
    Access(ast::AccessStatement),
    /// CREATE / ALTER / DROP SEQUENCE (run by `sequences::execute`).
    Sequence(ast::SequenceStatement),
    /// ALTER TABLE (run by `alter_table::execute`).
    AlterTable(ast::AlterTable),
    /// `EXPLAIN [ANALYZE]` of a query or DML statement (run by the session).
    Explain {
        options: ast::ExplainOptions,
        inner: Box<Plan>,
    },
    /// `ANALYZE`: the tables to submit ANALYZE jobs for (run by the session). Neither DDL nor DML. `VACUUM`
    /// plans as this too (`vacuum`: its tag, and it refuses a transaction block), with no tables unless
    /// it has the ANALYZE option.
    Analyze {
        tables: Vec<Arc<Table>>,
        vacuum: bool,
    },
    /// A statement (query, INSERT, UPDATE or DELETE) whose WITH list holds data-modifying statements: each
    /// runs once, to completion; every part reads the snapshot the statement started with (none sees
    /// another's changes but through RETURNING rows), and the result is the main statement's.
    WithModifying {
        ctes: Vec<ModifyingCte>,
        main: Box<Plan>,
    },
    /// `MERGE`: its rewritten statement (a `WithModifying` query counting the changed rows), answered with
    /// the tag `MERGE n`.
    Merge(Box<Plan>),
}

/// A data-modifying statement in WITH (`name AS (DELETE ... RETURNING *)`).
#[derive(Debug)]
pub struct ModifyingCte {
    /// Its work table: what `Source::WorkTable { id, modifying: true, .. }` reads (its RETURNING rows).
    pub id: usize,
    pub name: String,
    /// An INSERT, UPDATE or DELETE plan.
    pub plan: Box<Plan>,
    /// Whether it runs before the main statement (which reads its rows, directly or through other WITH
    /// queries) or after it (PostgreSQL completes the ones nothing reads after the main statement).
    pub before: bool,
}

impl Plan {
    /// Whether the statement is DDL (for DSQL's one-DDL-per-transaction, no-DDL-with-DML rules). A REFRESH
    /// that populates a materialized view or empties it `WITH NO DATA` changes the catalog, so it counts.
    pub fn is_ddl(&self) -> bool {
        if let Plan::RefreshMaterializedView { table, with_data, .. } = self {
            return table.populated != *with_data;
        }
        matches!(
            self,
            Plan::CreateTable(_)
                | Plan::DropTable { .. }
                | Plan::CreateView(_)
                | Plan::DropView { .. }
                | Plan::Schema(_)
                | Plan::Comment { .. }
                | Plan::CreateFunction(_)
                | Plan::DropFunction { .. }
                | Plan::CreateTableAs { .. }
                | Plan::DropMaterializedView { .. }
                | Plan::CreateIndex(_)
                | Plan::DropIndex { .. }
                | Plan::Access(_)
                | Plan::Sequence(_)
                | Plan::AlterTable(_)
        )
    }

    /// Whether the statement writes rows (EXPLAIN ANALYZE of DML runs it, so it does).
    /// What a read-only transaction refuses, by the name PostgreSQL's 25006 message gives it (`cannot
    /// execute INSERT in a read-only transaction`); None for what it allows.
    pub fn write_command(&self) -> Option<&'static str> {
        Some(match self {
            Plan::Insert(_) => "INSERT",
            Plan::Update(_) => "UPDATE",
            Plan::Delete(_) => "DELETE",
            Plan::Merge(_) => "MERGE",
            Plan::WithModifying { main, .. } => main.write_command().unwrap_or("INSERT"),
            Plan::CopyFrom(_) => "COPY FROM",
            Plan::Truncate { .. } => "TRUNCATE TABLE",
            Plan::CreateTable(_) => "CREATE TABLE",
            Plan::CreateTableAs { materialized: Some(_), .. } => "CREATE MATERIALIZED VIEW",
            Plan::CreateTableAs { .. } => "CREATE TABLE AS",
            Plan::RefreshMaterializedView { .. } => "REFRESH MATERIALIZED VIEW",
            Plan::Analyze { vacuum: false, .. } => "ANALYZE",
            Plan::Analyze { vacuum: true, .. } => "VACUUM",
            Plan::DropTable { .. } => "DROP TABLE",
            Plan::CreateView(_) => "CREATE VIEW",
            Plan::DropView { .. } => "DROP VIEW",
            Plan::DropMaterializedView { .. } => "DROP MATERIALIZED VIEW",
            Plan::Schema(ast::SchemaStatement::Create { .. }) => "CREATE SCHEMA",
            Plan::Schema(ast::SchemaStatement::Drop { .. }) => "DROP SCHEMA",
            Plan::Schema(ast::SchemaStatement::OwnerTo { .. }) => "ALTER SCHEMA",
            Plan::CreateIndex(_) => "CREATE INDEX",
            Plan::DropIndex { .. } => "DROP INDEX",
            Plan::CreateFunction(_) => "CREATE FUNCTION",
            Plan::DropFunction { .. } => "DROP FUNCTION",
            Plan::AlterTable(_) => "ALTER TABLE",
            Plan::Comment { .. } => "COMMENT",
            Plan::Explain { options, inner } if options.analyze => return inner.write_command(),
            other if other.is_ddl() => "DDL",
            _ => return None,
        })
    }

    pub fn is_dml(&self) -> bool {
        match self {
            Plan::Insert(_)
            | Plan::Update(_)
            | Plan::Delete(_)
            | Plan::Truncate { .. }
            | Plan::WithModifying { .. }
            | Plan::Merge(_) => true,
            Plan::Explain { options, inner } => options.analyze && inner.is_dml(),
            _ => false,
        }
    }
}

/// A typed, name-resolved expression.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundExpr {
    Literal(Value),
    /// A column of the row being evaluated.
    Column(usize),
    /// A column of an enclosing query's current row (`depth` 1 = the immediately enclosing query).
    OuterColumn {
        depth: usize,
        index: usize,
    },
    /// `$n`, 0-based.
    Parameter(usize),
    Binary {
        op: BinaryOp,
        sig: BinarySignature,
        left: Box<BoundExpr>,
        right: Box<BoundExpr>,
    },
    /// AND of all operands (flat, see `ast::Expr::And`).
    And(Vec<BoundExpr>),
    /// OR of all operands.
    Or(Vec<BoundExpr>),
    Not(Box<BoundExpr>),
    Negate {
        expr: Box<BoundExpr>,
        data_type: DataType,
    },
    IsNull {
        expr: Box<BoundExpr>,
        negated: bool,
    },
    InList {
        expr: Box<BoundExpr>,
        list: Vec<BoundExpr>,
        negated: bool,
    },
    /// Searched CASE (a simple CASE is rewritten into `operand = value` conditions).
    Case {
        branches: Vec<(BoundExpr, BoundExpr)>,
        else_result: Option<Box<BoundExpr>>,
    },
    Cast {
        expr: Box<BoundExpr>,
        from: DataType,
        to: DataType,
    },
    /// An explicit cast to varchar(n): text cut to `length` characters.
    TruncateText {
        expr: Box<BoundExpr>,
        length: usize,
    },
    Function {
        function: ResolvedScalar,
        args: Vec<BoundExpr>,
    },
    /// A scalar subquery (one column, at most one row).
    Subquery(Box<SubqueryPlan>),
    Exists {
        subquery: Box<SubqueryPlan>,
        negated: bool,
    },
    /// `expr [NOT] IN (SELECT ...)`, compared with `sig`'s equality: `expr` is of type `sig.left`, the
    /// subquery's values are cast to `sig.right` first (see [`BoundExpr::in_subquery_cast`]).
    InSubquery {
        expr: Box<BoundExpr>,
        subquery: Box<SubqueryPlan>,
        sig: BinarySignature,
        negated: bool,
    },
}

/// A subquery inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryPlan {
    /// Unique within the statement: the executor caches uncorrelated results under it.
    pub id: usize,
    pub plan: QueryPlan,
    /// Whether it refers to an enclosing query's row (then it runs once per outer row).
    pub correlated: bool,
}

/// A SELECT or VALUES.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    pub source: Source,
    pub filter: Option<BoundExpr>,
    pub aggregate: Option<AggregatePlan>,
    /// Output expressions, then hidden sort keys (`projection.len() - visible` of them).
    pub projection: Vec<BoundExpr>,
    pub visible: usize,
    pub distinct: bool,
    pub order_by: Vec<SortKey>,
    pub limit: Option<BoundExpr>,
    pub offset: Option<BoundExpr>,
    pub columns: Arc<[Column]>,
    /// Window function calls, evaluated over the row after aggregation (and HAVING): their results are
    /// appended to it, in order, and the projection reads them there.
    pub windows: Vec<WindowCall>,
    /// `DISTINCT ON`: the projection columns that decide, after ORDER BY, which rows are the first of their
    /// group (empty: no DISTINCT ON).
    pub distinct_on: Vec<usize>,
    /// The query's locking clause (`FOR UPDATE`, ...): the executor adds the rows it returns to the
    /// transaction's conflict set.
    pub locking: Option<ast::LockStrength>,
}

impl QueryPlan {
    /// `source`'s rows projected through `projection` (every expression visible, as `columns`), with no
    /// filter, grouping, windows, DISTINCT, ORDER BY or LIMIT: the start of a query the binder builds itself.
    pub fn over(source: Source, projection: Vec<BoundExpr>, columns: Arc<[Column]>) -> QueryPlan {
        QueryPlan {
            source,
            filter: None,
            aggregate: None,
            visible: projection.len(),
            projection,
            distinct: false,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            columns,
            windows: Vec::new(),
            distinct_on: Vec::new(),
            locking: None,
        }
    }
}

/// A window function call over the rows of its query (after aggregation).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub function: WindowFunction,
    /// The function's arguments (an aggregate's one argument; none for `count(*)`).
    pub args: Vec<BoundExpr>,
    pub partition_by: Vec<BoundExpr>,
    pub order_by: Vec<WindowOrder>,
    /// The frame, with SQL's default (RANGE UNBOUNDED PRECEDING to CURRENT ROW) filled in.
    pub frame: ast::WindowFrame,
    pub result_type: DataType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WindowOrder {
    pub expr: BoundExpr,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the frame.
    Aggregate(ResolvedAggregate),
}

impl WindowFunction {
    /// Its name as SQL calls it.
    pub fn name(&self) -> &'static str {
        use crate::sql::functions::AggregateFunction as A;
        match self {
            WindowFunction::RowNumber => "row_number",
            WindowFunction::Rank => "rank",
            WindowFunction::DenseRank => "dense_rank",
            WindowFunction::PercentRank => "percent_rank",
            WindowFunction::CumeDist => "cume_dist",
            WindowFunction::Ntile => "ntile",
            WindowFunction::Lag => "lag",
            WindowFunction::Lead => "lead",
            WindowFunction::FirstValue => "first_value",
            WindowFunction::LastValue => "last_value",
            WindowFunction::NthValue => "nth_value",
            WindowFunction::Aggregate(a) => match a.function {
                A::CountStar | A::Count => "count",
                A::Sum => "sum",
                A::Avg => "avg",
                A::Min => "min",
                A::Max => "max",
                A::BoolAnd => "bool_and",
                A::BoolOr => "bool_or",
                A::ArrayAgg => "array_agg",
                A::StringAgg => "string_agg",
                A::PercentileCont => "percentile_cont",
                A::PercentileDisc => "percentile_disc",
                A::Mode => "mode",
                A::Grouping => "grouping",
                A::JsonAgg if a.result_type == DataType::Json => "json_agg",
                A::JsonAgg => "jsonb_agg",
                A::JsonObjectAgg if a.result_type == DataType::Json => "json_object_agg",
                A::JsonObjectAgg => "jsonb_object_agg",
            },
        }
    }
}

/// GROUP BY and aggregates: the row after aggregation is `group keys ++ aggregate results`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatePlan {
    pub group_by: Vec<BoundExpr>,
    /// GROUPING SETS / ROLLUP / CUBE: each set's indices into `group_by` (empty: one set of all of them).
    /// A group of a set has NULL for the keys outside the set.
    pub grouping_sets: Vec<Vec<usize>>,
    pub aggregates: Vec<AggregateCall>,
    pub having: Option<BoundExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    pub aggregate: ResolvedAggregate,
    /// The argument (None for `count(*)`).
    pub arg: Option<BoundExpr>,
    /// `agg(x ORDER BY ...)` / `WITHIN GROUP (ORDER BY ...)`: the order the argument's values are fed in
    /// (empty: input order).
    pub order_by: Vec<WindowOrder>,
    /// `GROUPING(args)`: the arguments' positions in GROUP BY; its result is computed from the group's
    /// grouping set, not folded from rows (empty for every other aggregate).
    pub grouping: Vec<usize>,
}

impl AggregateCall {
    /// The expressions it evaluates per input row: its argument and its ORDER BY keys.
    pub fn inputs(&self) -> impl Iterator<Item = &BoundExpr> {
        self.arg.iter().chain(self.order_by.iter().map(|o| &o.expr))
    }
}

/// One ORDER BY key: a column of the projected row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

/// A set-returning function usable in FROM (`sql::execute::series` produces its rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFunction {
    /// `generate_series(start, stop[, step])` over integers.
    Series,
    /// `jsonb_array_elements`, `jsonb_each`, `jsonb_object_keys` and the rest (`sql::json::table_rows`).
    Json(crate::sql::json::JsonTable),
    /// `pg_options_to_table(text[])`: each `name=value` of an options array as a row (option_name,
    /// option_value).
    Options,
    /// A sequence read as a relation (`SELECT last_value, is_called FROM seq`, as pg_dump does): one row
    /// (last_value, log_cnt, is_called) of the sequence whose `pg_class.oid` is the argument.
    SequenceState,
    /// `information_schema._pg_expandarray(array)`: each element `x` with its 1-based position `n`.
    ExpandArray,
}

impl TableFunction {
    /// The name EXPLAIN shows (`Function Scan on generate_series`).
    pub fn name(&self) -> &'static str {
        match self {
            TableFunction::Series => "generate_series",
            TableFunction::Json(json) => json.name(),
            TableFunction::Options => "pg_options_to_table",
            TableFunction::SequenceState => "sequence",
            TableFunction::ExpandArray => "_pg_expandarray",
        }
    }

    /// Its result columns' names (the binder types them).
    pub fn column_names(&self) -> &'static [&'static str] {
        match self {
            TableFunction::Series => &["generate_series"],
            TableFunction::Json(json) => json.column_names(),
            TableFunction::Options => &["option_name", "option_value"],
            TableFunction::SequenceState => &["last_value", "log_cnt", "is_called"],
            TableFunction::ExpandArray => &["x", "n"],
        }
    }

    /// How many columns each row has.
    pub fn width(&self) -> usize {
        self.column_names().len()
    }
}

/// Where a query's input rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// No FROM: one row without columns.
    Single,
    Table {
        table: Arc<Table>,
        /// The FROM item's alias (`FROM t AS x`), for EXPLAIN.
        alias: Option<String>,
    },
    /// A relation of schema `sys` whose rows are produced from database state (`sql::system`).
    System(&'static crate::sql::system::SystemRelation),
    /// A set-returning function in FROM (`generate_series(1, 10)`, `jsonb_each(doc)`). With an `input` (the
    /// FROM items before it, which its arguments read: `FROM t, jsonb_each(t.doc)`, PostgreSQL's implicit
    /// LATERAL), each input row followed by each of the rows the function returns for it.
    Function {
        input: Option<Box<Source>>,
        function: TableFunction,
        args: Vec<BoundExpr>,
    },
    Values(Vec<Vec<BoundExpr>>),
    Subquery(Box<QueryPlan>),
    /// Comma-separated FROM items: the cross product, rows concatenated left to right.
    Cross(Vec<Source>),
    Join(Box<JoinPlan>),
    /// `left UNION / INTERSECT / EXCEPT [ALL] right`; both sides' columns already have the unified types.
    SetOperation {
        op: ast::SetOperator,
        all: bool,
        left: Box<QueryPlan>,
        right: Box<QueryPlan>,
    },
    /// A `WITH RECURSIVE` query `anchor UNION [ALL] recursive`: the anchor's rows, then the recursive term
    /// run again and again over the rows the previous round added (its [`Source::WorkTable`] with the same
    /// id) until a round adds none. Without ALL a row already produced is not added again.
    RecursiveUnion {
        work_table: usize,
        all: bool,
        anchor: Box<QueryPlan>,
        recursive: Box<QueryPlan>,
    },
    /// Inside a recursive term: the rows the previous round of the `RecursiveUnion` `id` added; or, with
    /// `modifying`, the RETURNING rows of the data-modifying WITH query `id` (see [`ModifyingCte`]).
    WorkTable {
        id: usize,
        modifying: bool,
        /// The common table expression's name and column names (for EXPLAIN: `WorkTable Scan on name`).
        name: String,
        columns: Vec<String>,
    },
}

/// A join of two FROM items. The joined row is `left ++ right ++ merged`.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinPlan {
    pub kind: ast::JoinKind,
    pub left: Source,
    pub right: Source,
    pub left_width: usize,
    pub right_width: usize,
    /// The ON / USING condition over `left ++ right`; None for CROSS JOIN (and NATURAL without common columns).
    pub condition: Option<BoundExpr>,
    /// The columns merged by USING / NATURAL, computed from `left ++ right`.
    pub merged: Vec<BoundExpr>,
    /// `LATERAL`: `right` reads the left row (as its outer row, `OuterColumn { depth: 1 }` at its own level),
    /// so it is run again for each left row (a nested loop; never reordered before the left side).
    pub lateral: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Returning {
    pub projection: Vec<BoundExpr>,
    pub columns: Arc<[Column]>,
    /// RETURNING of a statement on a view: the view's columns, computed from each written row of its
    /// table, which `projection` reads after the table's columns.
    pub view: Option<ViewColumns>,
}

/// A view's columns computed from a row of the table it writes through: the row's first `table_width`
/// values are the table's; each level's expressions (the innermost view's first) read the table's row
/// followed by the columns of the level before, and their values replace those.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewColumns {
    pub table_width: usize,
    pub levels: Vec<Vec<BoundExpr>>,
    /// The CHECK OPTION conditions a written row must satisfy, innermost view first.
    pub checks: Vec<ViewCheck>,
}

/// One view's CHECK OPTION: its WHERE, over the row its own query reads (the table's row followed by the
/// columns of level `level - 1`; the table's row alone for level 0).
#[derive(Debug, Clone, PartialEq)]
pub struct ViewCheck {
    pub level: usize,
    pub view: String,
    pub condition: BoundExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// Rows of `targets.len()` values; `None` is DEFAULT.
    Values(Vec<Vec<Option<BoundExpr>>>),
    /// Rows of `targets.len()` values already of the target columns' types: COPY FROM's data, with the
    /// line of the stream each came from (an error names it in its CONTEXT, `COPY t, line 3`).
    Rows { rows: Vec<crate::types::Row>, lines: Vec<usize> },
    /// A query; `casts[i]` converts its column i to the target column's type.
    Query { query: Box<QueryPlan>, casts: Vec<Option<(DataType, DataType)>> },
}

/// `COPY ... FROM STDIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyFromPlan {
    /// The INSERT of the copied columns (OVERRIDING SYSTEM VALUE, as COPY writes identity columns too).
    pub insert: InsertPlan,
    /// The columns in stream order.
    pub columns: Vec<crate::sql::copy::CopyColumn>,
    pub options: crate::sql::copy::CopyOptions,
}

/// `COPY ... TO STDOUT`.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyToPlan {
    pub query: QueryPlan,
    /// The query's visible columns, as written.
    pub columns: Vec<crate::sql::copy::CopyColumn>,
    pub options: crate::sql::copy::CopyOptions,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertPlan {
    pub table: Arc<Table>,
    /// Table column index of each source column.
    pub targets: Vec<usize>,
    pub source: InsertSource,
    /// Per table column: its DEFAULT, bound and cast to the column type.
    pub defaults: Vec<Option<BoundExpr>>,
    /// Per table column: whether values must be re-checked against the type's modifier (varchar(n), ...).
    pub enforce_typmod: Vec<bool>,
    pub on_conflict: Option<ConflictPlan>,
    pub returning: Option<Returning>,
    /// INSERT through a view with a CHECK OPTION: what the written rows must satisfy.
    pub view_check: Option<ViewColumns>,
}

/// `ON CONFLICT`: which keys decide that a proposed row conflicts, and what then happens.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictPlan {
    pub arbiters: Vec<Arbiter>,
    /// None: DO NOTHING.
    pub update: Option<ConflictUpdatePlan>,
}

/// A key whose duplicates are conflicts.
#[derive(Debug, Clone, PartialEq)]
pub enum Arbiter {
    PrimaryKey,
    /// A valid unique index (by id).
    UniqueIndex(u32),
}

/// DO UPDATE: (column, value) pairs and WHERE, over `existing row ++ proposed row (excluded)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictUpdatePlan {
    pub assignments: Vec<(usize, BoundExpr)>,
    pub filter: Option<BoundExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdatePlan {
    pub table: Arc<Table>,
    pub filter: Option<BoundExpr>,
    /// (column index, new value evaluated against the old row).
    pub assignments: Vec<(usize, BoundExpr)>,
    pub enforce_typmod: Vec<bool>,
    /// Whether an assignment targets a primary-key column (the row may move to a new key).
    pub changes_key: bool,
    /// RETURNING, over the new row (followed by the FROM items' columns with `joined`).
    pub returning: Option<Returning>,
    /// `UPDATE ... FROM`: the join that finds the rows (then `filter` is None). Its rows are the table's
    /// row, then each assignment's value (the assignments are `Column(table width + k)` over this row), then
    /// the FROM items' columns. A row joined to several FROM rows is updated once, from the first.
    pub joined: Option<Box<QueryPlan>>,
    /// UPDATE through a view with a CHECK OPTION: what the new rows must satisfy.
    pub view_check: Option<ViewColumns>,
    /// A MERGE action: a row found twice, or changed by another action, is 21000 (`ast::Update`).
    pub merge_action: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeletePlan {
    pub table: Arc<Table>,
    pub filter: Option<BoundExpr>,
    /// RETURNING, over the deleted row (followed by the USING items' columns with `joined`).
    pub returning: Option<Returning>,
    /// `DELETE ... USING`: the join that finds the rows (then `filter` is None); its rows are the table's
    /// row followed by the USING items' columns.
    pub joined: Option<Box<QueryPlan>>,
    /// A MERGE action: a row found twice, or changed by another action, is 21000 (`ast::Delete`).
    pub merge_action: bool,
}
