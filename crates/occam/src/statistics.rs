//! Table statistics gathered by `ANALYZE` (an `ANALYZE` job, see `crate::jobs`, submitted by the statement or
//! automatically once enough rows changed, see `crate::table_activity`), the input of the cost-based planner's
//! selectivity estimates (`crate::sql::optimize::selectivity`), and shown read-only by occam's own system
//! relation `sys.table_statistics` (Aurora DSQL has no such view; PostgreSQL's counterpart is `pg_stats`).
//!
//! What is gathered follows PostgreSQL's `analyze.c` (`compute_scalar_stats`): the job reads every row key
//! of the table at one snapshot (so the row count is exact) but decodes only a uniform random sample of
//! [`SAMPLE_ROWS`] rows (30,000 = 300 × `default_statistics_target`, reservoir sampling with Li's
//! algorithm L), and computes per visible column from the sample:
//!
//! ```text
//!   null fraction      NULLs in the sample / sample size
//!   n_distinct         distinct non-null values: exact when the sample is the table, else the Haas-Stokes
//!                      "Duj1" estimator; negative = minus a fraction of the row count (when > 10 % of rows)
//!   most common values up to 100 values seen more than once, with their frequency, kept only where they
//!                      are significantly more common than the rest (analyze_mcv_list)
//!   histogram          up to 101 bounds of equi-depth buckets over the sorted non-MCV values
//!   average width      mean stored width of non-null values, in bytes
//!   correlation        between physical (primary key) order and value order, -1 .. 1
//! ```
//!
//! One catalog row per analyzed table, written by the job's last transaction and deleted by the DROP job of
//! a dropped table. Values are stored in `storage::keycode`'s encoding, decoded with one type per column:
//!
//! ```text
//!   key    table_prefix(0, 5) ++ encode(table id)
//!   value  u8 format version 2, u32 table id, u64 row count, u64 snapshot read, u16 column count,
//!          per column: str name, f64 null fraction, u64 distinct non-null values, f64 n_distinct,
//!                      f64 average width, f64 correlation, u8 value kind, u16 MCV count,
//!                      (value, f64 frequency) per MCV, u16 histogram bound count, value per bound
//! ```
//! Version 1 rows (written before MCVs and histograms existed: name, null fraction and distinct count per
//! column) are still read, with no MCVs, no histogram, width and correlation 0.

use std::cmp::Ordering;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::catalog::{Catalog, Table};
use crate::error::{Error, Result};
use crate::storage::keycode::{decode_value, encode_key, encode_value, table_prefix};
use crate::storage::prefix_range;
use crate::txn::{Timestamp, Transaction};
use crate::types::{DataType, Row, Value};

const FORMAT_VERSION: u8 = 2;
/// The format of rows written before MCVs and histograms, still read.
const FORMAT_VERSION_1: u8 = 1;

/// PostgreSQL's `default_statistics_target`: the most MCVs kept and the number of histogram buckets.
pub const STATISTICS_TARGET: usize = 100;
/// Rows sampled per table: 300 × the statistics target, PostgreSQL's choice (enough for a histogram of
/// 100 buckets to be accurate within a few percent with high probability, whatever the table's size).
pub const SAMPLE_ROWS: usize = 300 * STATISTICS_TARGET;

/// What ANALYZE learned about one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStatistics {
    pub table_id: u32,
    /// Rows in the table at the snapshot read (exact: every key is counted).
    pub row_count: u64,
    /// The snapshot the table was read at.
    pub analyzed_at: Timestamp,
    /// The visible columns, in table order.
    pub columns: Vec<ColumnStatistics>,
}

impl TableStatistics {
    /// The statistics of column `name`, if it was analyzed.
    pub fn column(&self, name: &str) -> Option<&ColumnStatistics> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// What ANALYZE learned about one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStatistics {
    pub name: String,
    /// Fraction of the rows whose value is NULL (0 for an empty table).
    pub null_fraction: f64,
    /// Number of distinct non-null values at the time of ANALYZE (exact when the table fit in the sample,
    /// estimated otherwise; `n_distinct` resolved against `row_count`).
    pub distinct_values: u64,
    /// PostgreSQL's `stadistinct`: the number of distinct non-null values when positive, minus their
    /// fraction of the row count when negative (the number then grows with the table); 0 when unknown.
    pub n_distinct: f64,
    /// The most common non-null values with their fractions of all rows, most common first.
    pub most_common: Vec<(Value, f64)>,
    /// Bounds of equi-depth buckets over the non-null values that are not among `most_common`, ascending;
    /// empty when fewer than two distinct such values were sampled.
    pub histogram: Vec<Value>,
    /// Mean stored width of the non-null values in bytes (0 when unknown).
    pub average_width: f64,
    /// Correlation between the rows' physical (primary key) order and the column's value order.
    pub correlation: f64,
}

impl ColumnStatistics {
    /// Distinct non-null values in a table of `rows` rows (resolving a negative `n_distinct`).
    pub fn distinct_in(&self, rows: f64) -> f64 {
        if self.n_distinct < 0.0 {
            -self.n_distinct * rows
        } else {
            self.n_distinct
        }
    }
}

/// The catalog key of table `table_id`'s statistics.
pub fn statistics_key(table_id: u32) -> Vec<u8> {
    encode_key(&table_prefix(0, 5), &[Value::Int(table_id as i64)])
}

// ---- sampling ----

/// A uniform random sample of fixed size from a stream of unknown length: Li's algorithm L ("Reservoir-
/// sampling algorithms of time complexity O(n(1 + log(N/n)))", 1994), which draws random numbers only for
/// the items it keeps, so offering the millions of rows it skips costs a comparison each. Items keep their
/// stream position (the rows' physical order, for the correlation).
struct Reservoir<T> {
    capacity: usize,
    items: Vec<(u64, T)>,
    /// Items offered so far.
    seen: u64,
    /// Position of the next item to keep once the reservoir is full.
    next: u64,
    weight: f64,
    rng: StdRng,
}

impl<T> Reservoir<T> {
    fn new(capacity: usize, seed: u64) -> Self {
        Reservoir { capacity, items: Vec::new(), seen: 0, next: 0, weight: 1.0, rng: StdRng::seed_from_u64(seed) }
    }

    /// A random number in (0, 1].
    fn uniform(&mut self) -> f64 {
        1.0 - self.rng.gen::<f64>()
    }

    /// Moves `next` past the items to skip after the one at position `from`.
    fn schedule_after(&mut self, from: u64) {
        let skip = (self.uniform().ln() / (1.0 - self.weight).ln()).floor();
        self.next = from + 1 + if skip.is_finite() && skip > 0.0 { skip as u64 } else { 0 };
    }

    /// Offers the next item of the stream; `item` is called only if it is kept.
    fn offer(&mut self, item: impl FnOnce() -> T) {
        let position = self.seen;
        self.seen += 1;
        if self.items.len() < self.capacity {
            self.items.push((position, item()));
            if self.items.len() == self.capacity {
                self.weight = (self.uniform().ln() / self.capacity as f64).exp();
                self.schedule_after(position);
            }
        } else if position == self.next {
            let slot = self.rng.gen_range(0..self.capacity);
            self.items[slot] = (position, item());
            self.weight *= (self.uniform().ln() / self.capacity as f64).exp();
            self.schedule_after(position);
        }
    }

    /// The items kept, in stream order, and how many were offered.
    fn finish(mut self) -> (Vec<T>, u64) {
        self.items.sort_unstable_by_key(|(position, _)| *position);
        (self.items.into_iter().map(|(_, item)| item).collect(), self.seen)
    }
}

// ---- computing ----

/// Reads the table as of `txn`'s snapshot (every key, for the row count; the values of a sample of
/// [`SAMPLE_ROWS`] rows) and computes its statistics.
pub fn compute(txn: &Transaction, table: &Table) -> Result<TableStatistics> {
    let seed = (table.id as u64) << 32 ^ txn.start_ts();
    let mut reservoir = Reservoir::new(SAMPLE_ROWS, seed);
    let (start, end) = prefix_range(&table.key_prefix);
    for entry in txn.scan(start, end, false) {
        let (_, value) = entry?;
        reservoir.offer(|| value);
    }
    let (sample, row_count) = reservoir.finish();
    let rows = sample.iter().map(|bytes| table.decode_row(bytes)).collect::<Result<Vec<Row>>>()?;
    let columns = table
        .visible_columns()
        .map(|(index, column)| {
            let values = rows.iter().map(|row| &row[index]);
            analyze_column(&column.name, &column.data_type, values, row_count)
        })
        .collect();
    Ok(TableStatistics { table_id: table.id, row_count, analyzed_at: txn.start_ts(), columns })
}

/// The statistics of one column from its values in a sample of a table of `total_rows` rows, the sample
/// in physical order (PostgreSQL's `compute_scalar_stats`).
pub fn analyze_column<'a>(
    name: &str,
    data_type: &DataType,
    sample: impl ExactSizeIterator<Item = &'a Value>,
    total_rows: u64,
) -> ColumnStatistics {
    let sample_rows = sample.len();
    // Non-null values with their rank in physical order.
    let mut values: Vec<(usize, &Value)> = sample.filter(|v| !v.is_null()).enumerate().collect();
    let nonnull = values.len();
    let null_fraction = if sample_rows == 0 { 0.0 } else { (sample_rows - nonnull) as f64 / sample_rows as f64 };
    let average_width = if nonnull == 0 {
        0.0
    } else {
        values.iter().map(|(_, v)| stored_width(v, data_type)).sum::<f64>() / nonnull as f64
    };
    values.sort_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(&b.0)));
    let correlation = correlation(values.iter().map(|(position, _)| *position));

    // Runs of equal values in sorted order: (first index, length).
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, (_, value)) in values.iter().enumerate() {
        match groups.last_mut() {
            Some((first, len)) if values[*first].1.total_cmp(value) == Ordering::Equal => *len += 1,
            _ => groups.push((i, 1)),
        }
    }
    let distinct = groups.len();
    let repeated = groups.iter().filter(|(_, len)| *len > 1).count();
    let n_distinct = estimate_n_distinct(distinct, repeated, nonnull, total_rows, null_fraction);

    // Candidate MCVs: values seen more than once, most common first (ties: smaller value first).
    let mut candidates: Vec<(usize, usize)> = groups.iter().copied().filter(|(_, len)| *len > 1).collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    candidates.truncate(STATISTICS_TARGET);
    let keep = if candidates.len() == distinct && n_distinct > 0.0 {
        // Every value seen fits: keep them all.
        candidates.len()
    } else {
        let counts: Vec<usize> = candidates.iter().map(|(_, len)| *len).collect();
        significant_mcvs(&counts, n_distinct, null_fraction, sample_rows, total_rows)
    };
    candidates.truncate(keep);
    let most_common: Vec<(Value, f64)> =
        candidates.iter().map(|&(first, len)| (values[first].1.clone(), len as f64 / sample_rows as f64)).collect();

    // Equi-depth histogram over the sorted values that are not MCVs.
    let mut is_mcv = vec![false; values.len()];
    for &(first, len) in &candidates {
        is_mcv[first..first + len].iter_mut().for_each(|m| *m = true);
    }
    let rest: Vec<&Value> = values.iter().zip(&is_mcv).filter(|(_, &m)| !m).map(|((_, v), _)| *v).collect();
    let histogram = equi_depth_bounds(&rest, distinct - candidates.len());

    let distinct_values = if n_distinct < 0.0 { -n_distinct * total_rows as f64 } else { n_distinct };
    ColumnStatistics {
        name: name.to_string(),
        null_fraction,
        distinct_values: distinct_values.round() as u64,
        n_distinct,
        most_common,
        histogram,
        average_width,
        correlation,
    }
}

/// PostgreSQL's n_distinct from a sample: `distinct` values seen among `nonnull` non-null sampled values,
/// `repeated` of them more than once. Every value unique: a unique column (-1, scaled by non-nulls); every
/// value repeated: probably all values were seen; otherwise Haas and Stokes' Duj1 estimator
/// `n·d / (n - f1 + f1·n/N)`. More than 10 % of the rows: stored negated, as a fraction of the rows.
fn estimate_n_distinct(distinct: usize, repeated: usize, nonnull: usize, total_rows: u64, null_fraction: f64) -> f64 {
    if nonnull == 0 {
        return 0.0;
    }
    if repeated == 0 {
        return -(1.0 - null_fraction);
    }
    let estimate = if repeated == distinct {
        distinct as f64
    } else {
        let seen_once = (distinct - repeated) as f64;
        let d = distinct as f64;
        let n = nonnull as f64;
        let population = total_rows as f64 * (1.0 - null_fraction);
        let duj1 = if population > 0.0 { n * d / (n - seen_once + seen_once * n / population) } else { 0.0 };
        (duj1.max(d).min(population) + 0.5).floor()
    };
    if estimate > 0.1 * total_rows as f64 {
        -(estimate / total_rows as f64)
    } else {
        estimate
    }
}

/// How many of the candidate MCVs (sample counts, most common first) to keep: PostgreSQL's
/// `analyze_mcv_list` keeps a value only while its sample count is significantly (two standard deviations
/// of the hypergeometric distribution) above what a value outside the list would be expected to have.
fn significant_mcvs(counts: &[usize], n_distinct: f64, null_fraction: f64, sample_rows: usize, total: u64) -> usize {
    let (n, total) = (sample_rows as f64, total as f64);
    let mut keep = counts.len();
    if n >= total || total <= 1.0 {
        return keep;
    }
    let distinct_in_table = if n_distinct < 0.0 { -n_distinct * total } else { n_distinct };
    let mut sum: f64 = counts[..keep.saturating_sub(1)].iter().map(|&c| c as f64).sum();
    while keep > 0 {
        let mut selectivity = (1.0 - sum / n - null_fraction).clamp(0.0, 1.0);
        let other_distinct = distinct_in_table - (keep - 1) as f64;
        if other_distinct > 1.0 {
            selectivity /= other_distinct;
        }
        let count = counts[keep - 1] as f64;
        let population_count = total * count / n;
        let variance =
            n * population_count * (total - population_count) * (total - n) / (total * total * (total - 1.0));
        if count > selectivity * n + 2.0 * variance.sqrt() + 0.5 {
            break;
        }
        keep -= 1;
        if keep == 0 {
            break;
        }
        sum -= counts[keep - 1] as f64;
    }
    keep
}

/// Up to `STATISTICS_TARGET + 1` bounds splitting `sorted` (with `distinct` distinct values) into buckets of
/// equal population; none when fewer than two distinct values remain.
fn equi_depth_bounds(sorted: &[&Value], distinct: usize) -> Vec<Value> {
    let bounds = distinct.min(STATISTICS_TARGET + 1);
    if bounds < 2 {
        return Vec::new();
    }
    let (step, step_fraction) = ((sorted.len() - 1) / (bounds - 1), (sorted.len() - 1) % (bounds - 1));
    let (mut position, mut fraction) = (0, 0);
    let mut out = Vec::with_capacity(bounds);
    for _ in 0..bounds {
        out.push(sorted[position].clone());
        position += step;
        fraction += step_fraction;
        if fraction >= bounds - 1 {
            position += 1;
            fraction -= bounds - 1;
        }
    }
    out
}

/// The correlation of value rank and physical rank: `physical[i]` is the physical rank (0..n) of the i-th
/// value in sorted order. Both are permutations of 0..n, so one sum of products suffices.
fn correlation(physical: impl ExactSizeIterator<Item = usize>) -> f64 {
    let n = physical.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let products: f64 = physical.enumerate().map(|(i, p)| i as f64 * p as f64).sum();
    let sum = n * (n - 1.0) / 2.0;
    let sum_of_squares = (n - 1.0) * n * (2.0 * n - 1.0) / 6.0;
    (n * products - sum * sum) / (n * sum_of_squares - sum * sum)
}

/// The width PostgreSQL would store for `value`: the type's fixed size, or the bytes plus a varlena header.
fn stored_width(value: &Value, data_type: &DataType) -> f64 {
    let varlena = |len: usize| (len + if len < 127 { 1 } else { 4 }) as f64;
    match (value, data_type) {
        (_, DataType::Int2) => 2.0,
        (_, DataType::Int4 | DataType::Float4 | DataType::Date) => 4.0,
        (Value::Text(s), _) => varlena(s.len()),
        (Value::Bytea(b), _) => varlena(b.len()),
        // A short numeric: varlena and numeric headers, then base-10000 digit groups on either side of
        // the decimal point.
        (Value::Numeric(d), _) => {
            let d = d.trimmed();
            let digits = if d.is_zero() { 0 } else { d.magnitude_digits().len() };
            let fraction = d.scale() as usize;
            let groups = digits.saturating_sub(fraction).div_ceil(4) + fraction.div_ceil(4);
            (3 + 2 * groups) as f64
        }
        (Value::Bool(_), _) => 1.0,
        (Value::Uuid(_), _) => 16.0,
        _ => 8.0,
    }
}

// ---- storage ----

/// Stores `stats` (replacing earlier ones).
pub fn write(txn: &mut Transaction, stats: &TableStatistics) {
    txn.put(statistics_key(stats.table_id), encode(stats));
}

/// The statistics of table `table_id` as `txn` sees them.
pub fn read(txn: &Transaction, table_id: u32) -> Result<Option<TableStatistics>> {
    txn.get(&statistics_key(table_id))?.map(|bytes| decode(&bytes)).transpose()
}

/// Every table's statistics as `txn` sees them (to fill the database's cache at open).
pub fn read_all(txn: &Transaction) -> Result<Vec<TableStatistics>> {
    let (start, end) = prefix_range(&table_prefix(0, 5));
    txn.scan(start, end, false).map(|entry| decode(&entry?.1)).collect()
}

/// The type stored values of one column are decoded as (the key encoding does not say).
fn value_kind(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) => 2,
        Value::Float(_) => 3,
        Value::Numeric(_) => 4,
        Value::Text(_) => 5,
        Value::Bytea(_) => 6,
        Value::Uuid(_) => 7,
        Value::Date(_) => 8,
        Value::Timestamp(_) => 9,
        Value::Timestamptz(_) => 10,
        Value::Interval(_) => 11,
        Value::Jsonb(_) => 41,
        // Tables cannot store arrays.
        Value::Array(_) => 0,
    }
}

fn kind_type(kind: u8) -> Result<DataType> {
    Ok(match kind {
        1 => DataType::Bool,
        2 => DataType::Int8,
        3 => DataType::Float8,
        4 => DataType::Numeric(None),
        5 => DataType::Text,
        6 => DataType::Bytea,
        7 => DataType::Uuid,
        8 => DataType::Date,
        9 => DataType::Timestamp,
        10 => DataType::Timestamptz,
        11 => DataType::Interval,
        41 => DataType::Jsonb,
        _ => return Err(corrupt()),
    })
}

fn encode(stats: &TableStatistics) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + 64 * stats.columns.len());
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&stats.table_id.to_be_bytes());
    out.extend_from_slice(&stats.row_count.to_be_bytes());
    out.extend_from_slice(&stats.analyzed_at.to_be_bytes());
    out.extend_from_slice(&(stats.columns.len() as u16).to_be_bytes());
    for column in &stats.columns {
        out.extend_from_slice(&(column.name.len() as u32).to_be_bytes());
        out.extend_from_slice(column.name.as_bytes());
        out.extend_from_slice(&column.null_fraction.to_bits().to_be_bytes());
        out.extend_from_slice(&column.distinct_values.to_be_bytes());
        for number in [column.n_distinct, column.average_width, column.correlation] {
            out.extend_from_slice(&number.to_bits().to_be_bytes());
        }
        let first = column.most_common.first().map(|(v, _)| v).or(column.histogram.first());
        out.push(first.map_or(0, value_kind));
        out.extend_from_slice(&(column.most_common.len() as u16).to_be_bytes());
        for (value, frequency) in &column.most_common {
            encode_value(&mut out, value, false);
            out.extend_from_slice(&frequency.to_bits().to_be_bytes());
        }
        out.extend_from_slice(&(column.histogram.len() as u16).to_be_bytes());
        for bound in &column.histogram {
            encode_value(&mut out, bound, false);
        }
    }
    out
}

fn corrupt() -> Error {
    Error::internal("corrupt statistics row")
}

/// Reads the fields of a stored row front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| corrupt())
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn value(&mut self, data_type: &DataType) -> Result<Value> {
        decode_value(&mut self.0, data_type, false)
    }
}

fn decode(bytes: &[u8]) -> Result<TableStatistics> {
    let mut input = Reader(bytes);
    let version = input.u8()?;
    if version != FORMAT_VERSION && version != FORMAT_VERSION_1 {
        return Err(corrupt());
    }
    let table_id = input.u32()?;
    let row_count = input.u64()?;
    let analyzed_at = input.u64()?;
    let count = input.u16()? as usize;
    let mut columns = Vec::with_capacity(count);
    for _ in 0..count {
        let len = input.u32()? as usize;
        let name = String::from_utf8(input.take(len)?.to_vec()).map_err(|_| corrupt())?;
        let null_fraction = input.f64()?;
        let distinct_values = input.u64()?;
        let mut column = ColumnStatistics {
            name,
            null_fraction,
            distinct_values,
            n_distinct: n_distinct_of_count(distinct_values, row_count),
            most_common: Vec::new(),
            histogram: Vec::new(),
            average_width: 0.0,
            correlation: 0.0,
        };
        if version == FORMAT_VERSION {
            column.n_distinct = input.f64()?;
            column.average_width = input.f64()?;
            column.correlation = input.f64()?;
            let kind = input.u8()?;
            let mcvs = input.u16()? as usize;
            let data_type = if kind == 0 { DataType::Unknown } else { kind_type(kind)? };
            for _ in 0..mcvs {
                let value = input.value(&data_type)?;
                column.most_common.push((value, input.f64()?));
            }
            for _ in 0..input.u16()? {
                column.histogram.push(input.value(&data_type)?);
            }
        }
        columns.push(column);
    }
    Ok(TableStatistics { table_id, row_count, analyzed_at, columns })
}

/// n_distinct in PostgreSQL's convention for an exact count of `distinct` values in `rows` rows (for rows
/// of format version 1, which stored the count).
fn n_distinct_of_count(distinct: u64, rows: u64) -> f64 {
    if rows > 0 && distinct as f64 > 0.1 * rows as f64 {
        -(distinct as f64 / rows as f64)
    } else {
        distinct as f64
    }
}

// ---- sys.table_statistics ----

/// The columns of occam's `sys.table_statistics`: the first five since version 1, then what PostgreSQL's
/// `pg_stats` shows (arrays in their text form, `{a,b}`; NULL where there are none).
pub const SYS_TABLE_STATISTICS_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("column_name", DataType::Text),
    ("row_count", DataType::Int8),
    ("null_fraction", DataType::Float8),
    ("distinct_values", DataType::Int8),
    ("n_distinct", DataType::Float8),
    ("most_common_values", DataType::Text),
    ("most_common_freqs", DataType::Text),
    ("histogram_bounds", DataType::Text),
    ("average_width", DataType::Int4),
    ("correlation", DataType::Float8),
];

/// One row per column of every analyzed table that exists in `txn`'s snapshot, by table and column order.
pub fn sys_table_statistics_rows(txn: &Transaction) -> Result<Vec<Row>> {
    let catalog = Catalog::load(txn, 0)?;
    let mut tables: Vec<_> = catalog.tables().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = Vec::new();
    for table in tables {
        let Some(stats) = read(txn, table.id)? else { continue };
        for column in &stats.columns {
            let data_type =
                table.columns.iter().find(|c| c.name == column.name).map_or(DataType::Text, |c| c.data_type);
            let values = |values: &mut dyn Iterator<Item = &Value>| {
                array_text(values.map(|v| crate::types::text::format(v, &data_type)).collect())
            };
            let frequencies = column.most_common.iter().map(|(_, f)| crate::types::text::format_float4(*f as f32));
            rows.push(vec![
                Value::Text(table.name.clone()),
                Value::Text(column.name.clone()),
                Value::Int(stats.row_count as i64),
                Value::Float(column.null_fraction),
                Value::Int(column.distinct_values as i64),
                Value::Float(column.n_distinct),
                values(&mut column.most_common.iter().map(|(v, _)| v)),
                array_text(frequencies.collect()),
                values(&mut column.histogram.iter()),
                Value::Int(column.average_width.round() as i64),
                Value::Float(column.correlation),
            ]);
        }
    }
    Ok(rows)
}

/// PostgreSQL's text form of an array of these element texts (`{a,"b c"}`), NULL when empty.
fn array_text(elements: Vec<String>) -> Value {
    if elements.is_empty() {
        return Value::Null;
    }
    let quoted: Vec<String> = elements
        .into_iter()
        .map(|e| {
            let needs_quotes = e.is_empty()
                || e.eq_ignore_ascii_case("null")
                || e.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
            if needs_quotes {
                format!("\"{}\"", e.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                e
            }
        })
        .collect();
    Value::Text(format!("{{{}}}", quoted.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(values: impl IntoIterator<Item = i64>) -> Vec<Value> {
        values.into_iter().map(Value::Int).collect()
    }

    fn analyze(values: &[Value], total_rows: u64) -> ColumnStatistics {
        analyze_column("c", &DataType::Int8, values.iter(), total_rows)
    }

    fn column(name: &str) -> ColumnStatistics {
        ColumnStatistics {
            name: name.into(),
            null_fraction: 0.25,
            distinct_values: 2,
            n_distinct: 2.0,
            most_common: vec![(Value::Text("x".into()), 0.5), (Value::Text("y\0z".into()), 0.25)],
            histogram: Vec::new(),
            average_width: 3.5,
            correlation: -0.5,
        }
    }

    #[test]
    fn statistics_round_trip() {
        let mut numbers = column("n");
        numbers.most_common = vec![(Value::Numeric(crate::types::numeric::Numeric::from_i128(15, 1)), 0.5)];
        numbers.histogram = vec![
            Value::Numeric(crate::types::numeric::Numeric::from_i128(-3, 0)),
            Value::Numeric(crate::types::numeric::Numeric::from_i128(7, 2)),
        ];
        let mut empty = column("é");
        empty.most_common.clear();
        let stats =
            TableStatistics { table_id: 9, row_count: 4, analyzed_at: 42, columns: vec![column("a"), numbers, empty] };
        assert_eq!(decode(&encode(&stats)).unwrap(), stats);
        assert!(decode(&encode(&stats)[..10]).is_err());
    }

    #[test]
    fn version_1_rows_are_still_read() {
        let mut row = vec![FORMAT_VERSION_1];
        row.extend_from_slice(&7u32.to_be_bytes());
        row.extend_from_slice(&100u64.to_be_bytes());
        row.extend_from_slice(&5u64.to_be_bytes());
        row.extend_from_slice(&2u16.to_be_bytes());
        for (name, nulls, distinct) in [("id", 0.0f64, 100u64), ("few", 0.5, 3)] {
            row.extend_from_slice(&(name.len() as u32).to_be_bytes());
            row.extend_from_slice(name.as_bytes());
            row.extend_from_slice(&nulls.to_bits().to_be_bytes());
            row.extend_from_slice(&distinct.to_be_bytes());
        }
        let stats = decode(&row).unwrap();
        assert_eq!((stats.table_id, stats.row_count, stats.analyzed_at), (7, 100, 5));
        let id = stats.column("id").unwrap();
        assert_eq!((id.distinct_values, id.n_distinct, id.most_common.len()), (100, -1.0, 0));
        let few = stats.column("few").unwrap();
        assert_eq!((few.null_fraction, few.n_distinct, few.average_width), (0.5, 3.0, 0.0));
    }

    #[test]
    fn a_whole_table_sample_is_exact() {
        // Unique values: n_distinct -1, no MCVs, a histogram of every value's 101 quantiles.
        let unique = analyze(&ints(1..=1000), 1000);
        assert_eq!((unique.n_distinct, unique.distinct_values), (-1.0, 1000));
        assert!(unique.most_common.is_empty());
        assert_eq!(unique.histogram.len(), 101);
        assert_eq!((&unique.histogram[0], &unique.histogram[100]), (&Value::Int(1), &Value::Int(1000)));
        assert_eq!(unique.histogram[50], Value::Int(500));
        assert!((unique.correlation - 1.0).abs() < 1e-9);
        assert_eq!(unique.average_width, 8.0);

        // Few distinct values, all seen repeatedly: all MCVs, no histogram.
        let few = analyze(&ints((0..300).map(|i| i % 3)), 300);
        assert_eq!(few.n_distinct, 3.0);
        assert_eq!(few.most_common.len(), 3);
        assert!(few.most_common.iter().all(|(_, f)| (f - 1.0 / 3.0).abs() < 1e-12));
        assert!(few.histogram.is_empty());

        // Descending physical order.
        assert!((analyze(&ints((0..100).rev()), 100).correlation + 1.0).abs() < 1e-9);
    }

    #[test]
    fn nulls_and_empty_columns() {
        let mut values = ints(0..60);
        values.extend(std::iter::repeat_n(Value::Null, 40));
        let stats = analyze(&values, 100);
        assert_eq!(stats.null_fraction, 0.4);
        // Unique non-null values: minus the non-null fraction.
        assert_eq!((stats.n_distinct, stats.distinct_values), (-0.6, 60));

        let empty = analyze(&[], 0);
        assert_eq!((empty.null_fraction, empty.n_distinct, empty.distinct_values), (0.0, 0.0, 0));
        let all_null = analyze(&[Value::Null, Value::Null], 2);
        assert_eq!((all_null.null_fraction, all_null.distinct_values), (1.0, 0));
        assert!(all_null.most_common.is_empty() && all_null.histogram.is_empty());
    }

    #[test]
    fn zipf_sample_keeps_the_significant_common_values() {
        // A sample of 30,000 of 3,000,000 rows: value k has a frequency proportional to 1/k.
        let weights: Vec<f64> = (1..=6000).map(|k| 1.0 / k as f64).collect();
        let total: f64 = weights.iter().sum();
        let mut values = Vec::new();
        for (k, weight) in weights.iter().enumerate() {
            let copies = (weight / total * 30_000.0).round() as usize;
            values.extend(std::iter::repeat_n(Value::Int(k as i64 + 1), copies));
        }
        let stats = analyze(&values, 3_000_000);
        assert_eq!(stats.most_common[0].0, Value::Int(1));
        assert!((stats.most_common[0].1 - 1.0 / total).abs() < 0.01);
        // The head is kept, values seen a handful of times are not.
        assert!((10..=100).contains(&stats.most_common.len()), "{}", stats.most_common.len());
        assert!(stats.histogram.len() >= 2);
        let mcvs: Vec<&Value> = stats.most_common.iter().map(|(v, _)| v).collect();
        assert!(stats.histogram.iter().all(|bound| !mcvs.contains(&bound)), "MCVs are not in the histogram");
        // Values seen once make the population larger than the sample's distinct count.
        let sampled_distinct = weights.iter().filter(|w| (*w / total * 30_000.0).round() >= 1.0).count();
        assert!(stats.distinct_in(3_000_000.0) > sampled_distinct as f64);
    }

    #[test]
    fn arrays_print_as_postgresql_does() {
        let texts = |items: &[&str]| array_text(items.iter().map(|s| s.to_string()).collect());
        assert_eq!(texts(&["1", "b2"]), Value::Text("{1,b2}".into()));
        assert_eq!(texts(&["a b", "", "NULL", "x\"y", "{,}"]), Value::Text(r#"{"a b","","NULL","x\"y","{,}"}"#.into()));
        assert_eq!(texts(&[]), Value::Null);
    }

    #[test]
    fn the_reservoir_is_a_uniform_sample() {
        let mut reservoir = Reservoir::new(1000, 7);
        let mut prepared = 0;
        for i in 0..100_000u64 {
            reservoir.offer(|| {
                prepared += 1;
                i
            });
        }
        // Only kept items are prepared (decoded): about k(1 + ln(N/k)) = 5,600 of them, not N.
        assert!((3_000..10_000).contains(&prepared), "{prepared}");
        let (sample, seen) = reservoir.finish();
        assert_eq!((sample.len(), seen), (1000, 100_000));
        assert!(sample.windows(2).all(|w| w[0] < w[1]), "in stream order, no repeats");
        // Each tenth of the stream holds about a tenth of the sample.
        for tenth in 0..10 {
            let inside = sample.iter().filter(|&&i| i / 10_000 == tenth).count();
            assert!((60..=140).contains(&inside), "tenth {tenth}: {inside}");
        }
        let mut small = Reservoir::new(10, 1);
        (0..5u64).for_each(|i| small.offer(|| i));
        assert_eq!(small.finish(), (vec![0, 1, 2, 3, 4], 5));
    }
}
