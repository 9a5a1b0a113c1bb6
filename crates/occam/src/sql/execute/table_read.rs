//! Reading a table through one B-tree: `Full Scan` / `Seq Scan` (the primary-key tree, whole),
//! `Index Scan [Backward]` (key ranges of the primary key or of a secondary index, whose entries lead to
//! rows by point reads), `Index Only Scan` (rows rebuilt from index entries alone).
//!
//! [`TableReader`] does the reading for a given opening row (none for a plain scan, the left row for a
//! lookup join): it evaluates the ranges' expressions, encodes them into storage key bounds, and walks
//! them with MVCC snapshot scans, applying the filter. [`TableReadOp`] is the plan node's operator.

use std::collections::VecDeque;
use std::ops::Bound;

use super::eval::{eval, passes};
use super::stored_filter::{StoredFilter, Verdict};
use super::{Batch, ExecContext, Operator};
use crate::catalog::{Index, Table};
use crate::error::Result;
use crate::interrupt::CHECK_EVERY;
use crate::sql::plan::physical::{KeyRange, TableRead};
use crate::storage::keycode::{decode_value, encode_value};
use crate::storage::prefix_end;
use crate::storage::{Bytes, ScanIter};
use crate::types::{Row, Value};

pub struct TableReadOp<'a> {
    id: usize,
    read: &'a TableRead,
    reader: Option<TableReader<'a>>,
}

impl<'a> TableReadOp<'a> {
    pub fn new(id: usize, read: &'a TableRead) -> Self {
        TableReadOp { id, read, reader: None }
    }
}

impl<'a> Operator<'a> for TableReadOp<'a> {
    fn pull(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<Batch>> {
        if self.reader.is_none() {
            self.reader = Some(TableReader::open(self.read, &[], self.id, ctx)?);
        }
        let reader = self.reader.as_mut().expect("opened above");
        let mut batch = Vec::new();
        while batch.len() < ctx.batch_size {
            match reader.next_row(ctx)? {
                Some((key, mut row)) => {
                    if self.read.with_row_key {
                        row.push(Value::Bytea(key.to_vec()));
                    }
                    if let Some(keys) = &mut ctx.read_keys {
                        keys.push(key.to_vec());
                    }
                    batch.push(row);
                }
                None => break,
            }
        }
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }

    fn skip(&mut self, n: usize, ctx: &mut ExecContext<'a>) -> Result<usize> {
        // A locking read names every row it returns; a read that hands up row keys builds them.
        if ctx.read_keys.is_some() || self.read.with_row_key {
            return Ok(0);
        }
        if self.reader.is_none() {
            self.reader = Some(TableReader::open(self.read, &[], self.id, ctx)?);
        }
        self.reader.as_mut().expect("opened above").skip(n, ctx)
    }
}

/// One storage range to walk: (start, end) key bounds, or a single key to get.
enum Span {
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>),
    Point(Vec<u8>),
}

/// An open read of a table's rows.
pub struct TableReader<'a> {
    read: &'a TableRead,
    /// The node whose `Rows Filtered` counter this read feeds.
    id: usize,
    spans: VecDeque<Span>,
    current: Option<ScanIter<'a>>,
    /// Entries stepped over without returning a row since the last interrupt check.
    skipped: usize,
    /// The allocation the next row is decoded into: a row the filter rejects leaves it here for the next.
    spare: Row,
    /// The filter's comparisons checked on stored rows before decoding them.
    stored_filter: Option<StoredFilter>,
}

impl<'a> TableReader<'a> {
    /// Evaluates the ranges against `row` and prepares the spans.
    pub fn open(read: &'a TableRead, row: &[Value], id: usize, ctx: &mut ExecContext<'a>) -> Result<Self> {
        let tree_prefix = match &read.index {
            Some(index) => index.key_prefix.clone(),
            None => read.table.key_prefix.clone(),
        };
        let descending: Vec<bool> = match &read.index {
            Some(index) => index.columns.iter().map(|c| c.descending).collect(),
            None => vec![false; read.table.primary_key.len()],
        };
        let mut spans = Vec::new();
        if let Some((start, end)) = &read.key_span {
            spans.push(Span::Range(start.clone(), end.clone()));
        } else if read.ranges.is_empty() {
            spans.push(Span::Range(Bound::Included(tree_prefix.clone()), end_of(&tree_prefix)));
        } else if read.is_point_lookup() {
            let mut keys = Vec::with_capacity(read.ranges.len());
            for range in &read.ranges {
                if let Some(key) = encode_prefix(&tree_prefix, &range.prefix, &descending, row, ctx)? {
                    keys.push(key);
                }
            }
            keys.sort();
            keys.dedup();
            if read.backward {
                keys.reverse();
            }
            spans.extend(keys.into_iter().map(Span::Point));
        } else {
            let mut ranges = Vec::with_capacity(read.ranges.len());
            for range in &read.ranges {
                if let Some(span) = encode_range(&tree_prefix, range, &descending, row, ctx)? {
                    ranges.push(span);
                }
            }
            if read.backward {
                ranges.reverse();
            }
            spans.extend(ranges);
        }
        // An index-only read's rows are rebuilt from index entries, not decoded from stored rows.
        let stored_filter = match &read.filter {
            Some(filter) if !read.index_only => StoredFilter::new(&read.table, filter, ctx.params),
            _ => None,
        };
        Ok(TableReader { read, id, spans: spans.into(), current: None, skipped: 0, spare: Vec::new(), stored_filter })
    }

    /// The next row that passes the filter, with its storage key.
    pub fn next_row(&mut self, ctx: &mut ExecContext<'a>) -> Result<Option<(Bytes, Row)>> {
        let mut row = std::mem::take(&mut self.spare);
        while let Some((key, passed)) = self.next_candidate(&mut row, true, ctx)? {
            if passed || self.passes(&row, ctx)? {
                return Ok(Some((key, row)));
            }
        }
        self.spare = row;
        Ok(None)
    }

    /// Steps over up to `n` rows that pass the filter without building them: without decoding them when
    /// every entry the read walks is a row it returns (the primary key's tree, no filter to apply) or the
    /// filter is decided on the stored bytes, else decoding each into one reused allocation to apply the
    /// filter. How many it stepped over.
    pub fn skip(&mut self, n: usize, ctx: &mut ExecContext<'a>) -> Result<usize> {
        let mut skipped = 0;
        if self.read.filter.is_none() && self.read.index.is_none() {
            while skipped < n && self.next_stored(ctx)?.is_some() {
                skipped += 1;
                self.step_over(ctx)?;
            }
            return Ok(skipped);
        }
        let mut row = std::mem::take(&mut self.spare);
        while skipped < n {
            let Some((_, passed)) = self.next_candidate(&mut row, false, ctx)? else { break };
            if passed || self.passes(&row, ctx)? {
                skipped += 1;
                self.step_over(ctx)?;
            }
        }
        self.spare = row;
        Ok(skipped)
    }

    /// Whether `row` passes the read's filter; a row it rejects is counted (`Rows Filtered`) and stepped
    /// over.
    fn passes(&mut self, row: &[Value], ctx: &mut ExecContext<'a>) -> Result<bool> {
        if passes(self.read.filter.as_ref(), row, ctx)? {
            return Ok(true);
        }
        self.reject(ctx)?;
        Ok(false)
    }

    fn reject(&mut self, ctx: &mut ExecContext<'a>) -> Result<()> {
        if let Some(stats) = ctx.stats_mut(self.id) {
            stats.rows_filtered += 1;
        }
        self.step_over(ctx)
    }

    /// Counts an entry read without a row to show for it: a read whose filter rejects millions of rows
    /// returns no batch for as long, so it checks for a cancel itself every `CHECK_EVERY` of them.
    fn step_over(&mut self, ctx: &ExecContext<'a>) -> Result<()> {
        self.skipped += 1;
        if self.skipped >= CHECK_EVERY {
            self.skipped = 0;
            ctx.check_interrupts()?;
        }
        Ok(())
    }

    /// The next row of the spans the stored filter does not reject: its storage key, and whether it is
    /// known to pass the filter (then it is decoded into `row` only if `decode`; otherwise it always is).
    fn next_candidate(
        &mut self,
        row: &mut Row,
        decode: bool,
        ctx: &mut ExecContext<'a>,
    ) -> Result<Option<(Bytes, bool)>> {
        let table = &self.read.table;
        loop {
            let Some((key, value)) = self.next_stored(ctx)? else { return Ok(None) };
            let Some(index) = &self.read.index else {
                match self.accept(&value, row, decode, ctx)? {
                    Some(passed) => return Ok(Some((key, passed))),
                    None => continue,
                }
            };
            let mut row_key = table.key_prefix.clone();
            row_key.extend_from_slice(index.entry_primary_key(table, &value)?);
            if self.read.index_only {
                *row = entry_row(table, index, &key, &value)?;
                return Ok(Some((row_key.into(), false)));
            }
            match ctx.txn.get(&row_key)? {
                Some(stored) => {
                    if let Some(passed) = self.accept(&stored, row, decode, ctx)? {
                        return Ok(Some((row_key.into(), passed)));
                    }
                }
                None => self.step_over(ctx)?,
            }
        }
    }

    /// Checks a stored row against the stored filter and decodes it into `row` unless that is not needed:
    /// None when rejected, else whether it is known to pass the whole filter.
    fn accept(
        &mut self,
        stored: &[u8],
        row: &mut Row,
        decode: bool,
        ctx: &mut ExecContext<'a>,
    ) -> Result<Option<bool>> {
        let verdict = match &self.stored_filter {
            Some(filter) => filter.check(&self.read.table, stored)?,
            None if self.read.filter.is_none() => Verdict::Passed,
            None => Verdict::Undecided,
        };
        let passed = match verdict {
            Verdict::Rejected => {
                self.reject(ctx)?;
                return Ok(None);
            }
            Verdict::Passed => true,
            Verdict::Undecided => false,
        };
        if decode || !passed {
            self.read.table.decode_row_into(stored, self.read.columns.as_deref(), row)?;
        }
        Ok(Some(passed))
    }

    /// The next stored entry the spans hold: a row of the primary key's tree or an index entry (ranges),
    /// or a row fetched by its key (points, only on the primary key).
    fn next_stored(&mut self, ctx: &ExecContext<'a>) -> Result<Option<(Bytes, Bytes)>> {
        loop {
            if let Some(scan) = &mut self.current {
                match scan.next() {
                    Some(entry) => return entry.map(Some),
                    None => self.current = None,
                }
            }
            match self.spans.pop_front() {
                None => return Ok(None),
                Some(Span::Range(start, end)) => self.current = Some(ctx.txn.scan(start, end, self.read.backward)),
                Some(Span::Point(key)) => {
                    if let Some(value) = ctx.txn.get(&key)? {
                        return Ok(Some((key.into(), value.into())));
                    }
                }
            }
        }
    }
}

fn end_of(prefix: &[u8]) -> Bound<Vec<u8>> {
    match prefix_end(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    }
}

/// `tree_prefix ++ encoded prefix values`, or None when one is NULL (`=` never holds for NULL).
fn encode_prefix(
    tree_prefix: &[u8],
    prefix: &[crate::sql::plan::BoundExpr],
    descending: &[bool],
    row: &[Value],
    ctx: &mut ExecContext,
) -> Result<Option<Vec<u8>>> {
    let mut key = tree_prefix.to_vec();
    for (expr, &desc) in prefix.iter().zip(descending) {
        let value = eval(expr, row, ctx)?;
        if value.is_null() {
            return Ok(None);
        }
        // Integer widths share one encoding, as do text and varchar, so a value of the compared type (the
        // optimizer allows only those casts on the key side) encodes as stored.
        encode_value(&mut key, &value, desc);
    }
    Ok(Some(key))
}

/// The storage bounds of a key range, or None when it is empty (a NULL bound).
fn encode_range(
    tree_prefix: &[u8],
    range: &KeyRange,
    descending: &[bool],
    row: &[Value],
    ctx: &mut ExecContext,
) -> Result<Option<Span>> {
    let Some(prefix) = encode_prefix(tree_prefix, &range.prefix, descending, row, ctx)? else { return Ok(None) };
    let desc = descending.get(range.prefix.len()).copied().unwrap_or(false);
    // Some(None): no bound; Some(Some((key, inclusive))); None: a NULL bound, so the range is empty.
    type EncodedBound = Option<Option<(Vec<u8>, bool)>>;
    let mut bound_key = |bound: &Option<(crate::sql::plan::BoundExpr, bool)>| -> Result<EncodedBound> {
        let Some((expr, inclusive)) = bound else { return Ok(Some(None)) };
        let value = eval(expr, row, ctx)?;
        if value.is_null() {
            return Ok(None);
        }
        let mut key = prefix.clone();
        encode_value(&mut key, &value, desc);
        Ok(Some(Some((key, *inclusive))))
    };
    let Some(lower) = bound_key(&range.lower)? else { return Ok(None) };
    let Some(upper) = bound_key(&range.upper)? else { return Ok(None) };
    // Keys with the bound value itself start with its encoding: an exclusive lower bound starts after all
    // of them, an inclusive upper bound ends after all of them.
    let start = match lower {
        None => Bound::Included(prefix.clone()),
        Some((key, true)) => Bound::Included(key),
        Some((key, false)) => match prefix_end(&key) {
            Some(after) => Bound::Included(after),
            None => return Ok(None),
        },
    };
    let end = match upper {
        None => end_of(&prefix),
        Some((key, true)) => end_of(&key),
        Some((key, false)) => Bound::Excluded(key),
    };
    Ok(Some(Span::Range(start, end)))
}

/// A table row rebuilt from an index entry: key columns from the key, primary-key and INCLUDE columns
/// from the value; other columns NULL (the optimizer chose this only when the query reads none of them).
fn entry_row(table: &Table, index: &Index, key: &[u8], value: &[u8]) -> Result<Row> {
    let mut row = vec![Value::Null; table.columns.len()];
    let mut input = &key[index.key_prefix.len()..];
    for column in &index.columns {
        let data_type = column.data_type(table);
        let value = decode_value(&mut input, &data_type, column.descending)?;
        // An expression's value is not a column of the row (the query recomputes it).
        if let Some(c) = column.table_column() {
            row[c] = data_type.restore_key_value(value);
        }
    }
    let mut input = value;
    for &column in &table.primary_key {
        let data_type = &table.columns[column].data_type;
        row[column] = data_type.restore_key_value(decode_value(&mut input, data_type, false)?);
    }
    for &column in &index.include {
        row[column] = crate::storage::keycode::decode_stored_value(&mut input, &table.columns[column].data_type)?;
    }
    Ok(row)
}
