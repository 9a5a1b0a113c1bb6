//! The cost model, in PostgreSQL's units and with its default constants (`costsize.c`), so that occam picks
//! the plans PostgreSQL (and so Aurora DSQL, whose planner is PostgreSQL's) would pick for the same
//! estimates.
//!
//! occam's storage is an LSM tree, not heap pages, but the shape of the costs carries over: reading a key
//! range is sequential (each stored block read once, in order), following an index entry to its row is a
//! random point read, and every row costs CPU. Pages are estimated from rows and width as PostgreSQL's
//! heap would hold them, so the crossover between a full scan and an index scan falls where PostgreSQL's
//! does.

/// Cost of a sequentially fetched page.
pub const SEQ_PAGE_COST: f64 = 1.0;
/// Cost of a non-sequentially fetched page (a point read through an index entry or key).
pub const RANDOM_PAGE_COST: f64 = 4.0;
/// Cost of processing one row.
pub const CPU_TUPLE_COST: f64 = 0.01;
/// Cost of processing one index entry.
pub const CPU_INDEX_TUPLE_COST: f64 = 0.005;
/// Cost of one operator or function call.
pub const CPU_OPERATOR_COST: f64 = 0.0025;
/// PostgreSQL's `parallel_setup_cost`: starting a `Gather`'s workers.
pub const PARALLEL_SETUP_COST: f64 = 1000.0;
/// Bytes per page and per-row overhead, as PostgreSQL's heap.
const PAGE_SIZE: f64 = 8192.0;
pub const ROW_OVERHEAD: f64 = 24.0;
/// Rows assumed for a table nothing is known about (never analyzed, nothing written since start).
pub const DEFAULT_TABLE_ROWS: f64 = 1000.0;
/// Selectivity of `column = value` when nothing is known (PostgreSQL's DEFAULT_EQ_SEL).
pub const DEFAULT_EQ_SEL: f64 = 0.005;

/// Pages a table (or index) of `rows` rows of `width` bytes would occupy.
pub fn pages(rows: f64, width: f64) -> f64 {
    (rows * (width + ROW_OVERHEAD) / PAGE_SIZE).ceil().max(1.0)
}

/// Rows clamped as PostgreSQL's `clamp_row_est`: at least one, whole numbers.
pub fn clamp_rows(rows: f64) -> f64 {
    if rows.is_nan() || rows <= 1.0 {
        1.0
    } else {
        rows.round()
    }
}

/// Cost of comparing `n` rows while sorting them (`cost_sort`): `n log2 n` comparisons, or
/// `n log2 (2 limit)` for a bounded top-N heap.
pub fn sort_cost(rows: f64, limit: Option<f64>, keys: usize) -> f64 {
    let rows = rows.max(2.0);
    let comparison = 2.0 * CPU_OPERATOR_COST * keys.max(1) as f64;
    match limit {
        Some(limit) if limit * 2.0 < rows => comparison * rows * (2.0 * limit).max(2.0).log2(),
        _ => comparison * rows * rows.log2(),
    }
}

/// Distinct pages fetched when `tuples` rows are read at random from a table of `pages` pages
/// (Mackert and Lohman, as PostgreSQL's `index_pages_fetched` with the whole table in cache).
pub fn pages_fetched(tuples: f64, pages: f64) -> f64 {
    let fetched = (2.0 * pages * tuples) / (2.0 * pages + tuples);
    fetched.min(pages).max(1.0).ceil()
}
