//! Table statistics gathered by `ANALYZE` (an `ANALYZE` job, see `crate::jobs`), for the future cost-based
//! planner, and shown read-only by occam's own system relation `sys.table_statistics` (Aurora DSQL has no
//! such view; PostgreSQL's counterpart is `pg_stats`).
//!
//! One catalog row per analyzed table, written by the job's last transaction and deleted by the DROP job of
//! a dropped table:
//!
//! ```text
//!   key    table_prefix(0, 5) ++ encode(table id)
//!   value  u8 format version, u64 row count, u64 snapshot read, u16 column count, per column:
//!          str name, f64 null fraction (IEEE bits), u64 distinct non-null values
//! ```
//! Distinct values are counted exactly over the scan (by 64-bit hashes of each value's key encoding, so
//! `1.5` and `1.50` are one value): fine for now, a sketch can replace it for large tables.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use crate::catalog::{Catalog, Table};
use crate::error::{Error, Result};
use crate::storage::keycode::{encode_key, encode_value, table_prefix};
use crate::storage::prefix_range;
use crate::txn::{Timestamp, Transaction};
use crate::types::{DataType, Row, Value};

const FORMAT_VERSION: u8 = 1;

/// What ANALYZE learned about one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableStatistics {
    pub table_id: u32,
    pub row_count: u64,
    /// The snapshot the table was read at.
    pub analyzed_at: Timestamp,
    /// The visible columns, in table order.
    pub columns: Vec<ColumnStatistics>,
}

/// What ANALYZE learned about one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStatistics {
    pub name: String,
    /// Fraction of the rows whose value is NULL (0 for an empty table).
    pub null_fraction: f64,
    /// Number of distinct non-null values.
    pub distinct_values: u64,
}

/// The catalog key of table `table_id`'s statistics.
pub fn statistics_key(table_id: u32) -> Vec<u8> {
    encode_key(&table_prefix(0, 5), &[Value::Int(table_id as i64)])
}

/// Reads every row of `table` as of `txn`'s snapshot and computes its statistics.
pub fn compute(txn: &Transaction, table: &Table) -> Result<TableStatistics> {
    let visible: Vec<usize> = table.visible_columns().map(|(i, _)| i).collect();
    let mut nulls = vec![0u64; visible.len()];
    let mut distinct: Vec<HashSet<u64>> = vec![HashSet::new(); visible.len()];
    let mut row_count = 0u64;
    let mut encoded = Vec::new();
    let (start, end) = prefix_range(&table.key_prefix);
    for entry in txn.scan(start, end, false) {
        let row = table.decode_row(&entry?.1)?;
        row_count += 1;
        for (slot, &column) in visible.iter().enumerate() {
            let value = &row[column];
            if value.is_null() {
                nulls[slot] += 1;
                continue;
            }
            encoded.clear();
            encode_value(&mut encoded, value, false);
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            encoded.hash(&mut hasher);
            distinct[slot].insert(hasher.finish());
        }
    }
    let columns = visible
        .iter()
        .enumerate()
        .map(|(slot, &column)| ColumnStatistics {
            name: table.columns[column].name.clone(),
            null_fraction: if row_count == 0 { 0.0 } else { nulls[slot] as f64 / row_count as f64 },
            distinct_values: distinct[slot].len() as u64,
        })
        .collect();
    Ok(TableStatistics { table_id: table.id, row_count, analyzed_at: txn.start_ts(), columns })
}

/// Stores `stats` (replacing earlier ones).
pub fn write(txn: &mut Transaction, stats: &TableStatistics) {
    txn.put(statistics_key(stats.table_id), encode(stats));
}

/// The statistics of table `table_id` as `txn` sees them.
pub fn read(txn: &Transaction, table_id: u32) -> Result<Option<TableStatistics>> {
    txn.get(&statistics_key(table_id))?.map(|bytes| decode(&bytes)).transpose()
}

fn encode(stats: &TableStatistics) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + 24 * stats.columns.len());
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
    }
    out
}

fn corrupt() -> Error {
    Error::internal("corrupt statistics row")
}

fn decode(bytes: &[u8]) -> Result<TableStatistics> {
    let mut input = bytes;
    let mut take = |n: usize| -> Result<&[u8]> {
        if input.len() < n {
            return Err(corrupt());
        }
        let (head, rest) = input.split_at(n);
        input = rest;
        Ok(head)
    };
    if take(1)?[0] != FORMAT_VERSION {
        return Err(corrupt());
    }
    let u64_of = |b: &[u8]| u64::from_be_bytes(b.try_into().expect("8 bytes"));
    let table_id = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes"));
    let row_count = u64_of(take(8)?);
    let analyzed_at = u64_of(take(8)?);
    let count = u16::from_be_bytes(take(2)?.try_into().expect("2 bytes")) as usize;
    let mut columns = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32::from_be_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let name = String::from_utf8(take(len)?.to_vec()).map_err(|_| corrupt())?;
        let null_fraction = f64::from_bits(u64_of(take(8)?));
        let distinct_values = u64_of(take(8)?);
        columns.push(ColumnStatistics { name, null_fraction, distinct_values });
    }
    Ok(TableStatistics { table_id, row_count, analyzed_at, columns })
}

// ---- sys.table_statistics ----

/// The columns of occam's `sys.table_statistics`.
pub const SYS_TABLE_STATISTICS_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("column_name", DataType::Text),
    ("row_count", DataType::Int8),
    ("null_fraction", DataType::Float8),
    ("distinct_values", DataType::Int8),
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
            rows.push(vec![
                Value::Text(table.name.clone()),
                Value::Text(column.name.clone()),
                Value::Int(stats.row_count as i64),
                Value::Float(column.null_fraction),
                Value::Int(column.distinct_values as i64),
            ]);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_round_trip() {
        let stats = TableStatistics {
            table_id: 9,
            row_count: 3,
            analyzed_at: 42,
            columns: vec![
                ColumnStatistics { name: "a".into(), null_fraction: 1.0 / 3.0, distinct_values: 2 },
                ColumnStatistics { name: "é".into(), null_fraction: 0.0, distinct_values: 3 },
            ],
        };
        assert_eq!(decode(&encode(&stats)).unwrap(), stats);
        assert!(decode(&encode(&stats)[..10]).is_err());
    }
}
