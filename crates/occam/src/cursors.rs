//! SQL cursors: `DECLARE name [[NO] SCROLL] CURSOR [WITH HOLD] FOR query`, `FETCH`, `MOVE` and `CLOSE`, which
//! psycopg's server-side cursors (`conn.cursor(name=...)`) and other drivers' streaming reads use.
//!
//! A cursor's query runs when it is declared, against the declaring transaction's snapshot, and its rows
//! are kept in the session; FETCH and MOVE move a position over them as PostgreSQL's do (before the first
//! row is 0, after the last `rows + 1`). The rows are what PostgreSQL's cursor would return, since a
//! transaction's reads all see its snapshot; the difference is memory: the whole result is held, where
//! PostgreSQL computes rows as they are fetched. A cursor lives until CLOSE or the end of its transaction;
//! `WITH HOLD` keeps it after its transaction commits (dropped if that rolls back), until CLOSE or the
//! session's end.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{sqlstate, Error, Result};
use crate::session::{Column, QueryResult};
use crate::types::Row;

/// Where FETCH or MOVE goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchDirection {
    /// The next `n` rows (`NEXT`, `FORWARD n`, `n`); None: all the rest (`ALL`, `FORWARD ALL`).
    Forward(Option<u64>),
    /// The previous `n` rows (`PRIOR`, `BACKWARD n`); None: all of them (`BACKWARD ALL`).
    Backward(Option<u64>),
    /// The row at this position (`ABSOLUTE n`, `FIRST`, `LAST`); negative counts from the end.
    Absolute(i64),
    /// The row this far from the current one (`RELATIVE n`); 0 is the current row again.
    Relative(i64),
}

impl FetchDirection {
    /// `FORWARD n` with a signed count (negative goes backward, as PostgreSQL reads it).
    pub fn forward(count: i64) -> FetchDirection {
        if count < 0 {
            FetchDirection::Backward(Some(count.unsigned_abs()))
        } else {
            FetchDirection::Forward(Some(count as u64))
        }
    }
}

/// A declared cursor.
struct Cursor {
    columns: Arc<[Column]>,
    rows: Vec<Row>,
    /// 0: before the first row; `k`: on row `k` (1-based); `rows.len() + 1`: after the last.
    position: usize,
    /// `NO SCROLL`: only forward.
    forward_only: bool,
    hold: bool,
    /// Whether the transaction that declared it committed (only held cursors outlive it).
    committed: bool,
}

/// The session's cursors, by name.
#[derive(Default)]
pub struct Cursors {
    cursors: HashMap<String, Cursor>,
}

impl Cursors {
    /// Declares a cursor over a query's result. `in_block`: declared in a transaction block (a cursor
    /// declared outside one, which only `WITH HOLD` may be, belongs to an already committed transaction).
    pub fn declare(
        &mut self,
        name: &str,
        result: QueryResult,
        scroll: Option<bool>,
        hold: bool,
        in_block: bool,
    ) -> Result<()> {
        if self.cursors.contains_key(name) {
            return Err(Error::new("42P03", format!("cursor \"{name}\" already exists")));
        }
        let QueryResult::Rows { columns, rows, .. } = result else {
            return Err(Error::internal("a cursor's query returned no rows"));
        };
        let cursor =
            Cursor { columns, rows, position: 0, forward_only: scroll == Some(false), hold, committed: !in_block };
        self.cursors.insert(name.to_string(), cursor);
        Ok(())
    }

    /// The columns FETCH from this cursor returns (None: no such cursor).
    pub fn columns(&self, name: &str) -> Option<Arc<[Column]>> {
        self.cursors.get(name).map(|c| c.columns.clone())
    }

    /// `FETCH` (rows, tag `FETCH n`) or `MOVE` (tag `MOVE n`).
    pub fn fetch(&mut self, name: &str, direction: FetchDirection, move_only: bool) -> Result<QueryResult> {
        let cursor = self.cursors.get_mut(name).ok_or_else(|| undefined_cursor(name))?;
        let after_last = cursor.rows.len() + 1;
        let limit = |count: Option<u64>| count.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        // The positions of the rows returned, in order, and where the cursor ends up.
        let (fetched, position): (Vec<usize>, usize) = match direction {
            FetchDirection::Forward(Some(0)) | FetchDirection::Backward(Some(0)) => {
                return self.fetch(name, FetchDirection::Relative(0), move_only)
            }
            FetchDirection::Forward(count) => {
                let count = limit(count);
                let fetched: Vec<usize> = (cursor.position + 1..after_last).take(count).collect();
                let position = if fetched.len() < count { after_last } else { *fetched.last().expect("count > 0") };
                (fetched, position)
            }
            FetchDirection::Backward(count) => {
                let count = limit(count);
                let fetched: Vec<usize> = (1..cursor.position.min(after_last)).rev().take(count).collect();
                let position = if fetched.len() < count { 0 } else { *fetched.last().expect("count > 0") };
                (fetched, position)
            }
            FetchDirection::Absolute(n) | FetchDirection::Relative(n) => {
                let base = match direction {
                    FetchDirection::Absolute(_) if n < 0 => after_last as i64,
                    FetchDirection::Absolute(_) => 0,
                    _ => cursor.position as i64,
                };
                let target = base.saturating_add(n);
                let fetched =
                    if target >= 1 && target < after_last as i64 { vec![target as usize] } else { Vec::new() };
                (fetched, target.clamp(0, after_last as i64) as usize)
            }
        };
        if cursor.forward_only && position < cursor.position {
            return Err(Error::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, "cursor can only scan forward")
                .with_hint("Declare it with SCROLL option to enable backward scan."));
        }
        cursor.position = position;
        let count = fetched.len();
        if move_only {
            return Ok(QueryResult::Command { tag: format!("MOVE {count}") });
        }
        let rows = fetched.into_iter().map(|k| cursor.rows[k - 1].clone()).collect();
        Ok(QueryResult::Rows { columns: cursor.columns.clone(), rows, tag: format!("FETCH {count}") })
    }

    /// `CLOSE name`.
    pub fn close(&mut self, name: &str) -> Result<()> {
        self.cursors.remove(name).map(|_| ()).ok_or_else(|| undefined_cursor(name))
    }

    /// `CLOSE ALL`, `DISCARD ALL`.
    pub fn close_all(&mut self) {
        self.cursors.clear();
    }

    /// The end of a transaction block: a committed one keeps its `WITH HOLD` cursors, nothing else it
    /// declared survives; cursors held from earlier transactions stay.
    pub fn end_transaction(&mut self, committed: bool) {
        self.cursors.retain(|_, cursor| {
            if !cursor.committed && committed && cursor.hold {
                cursor.committed = true;
            }
            cursor.committed
        });
    }
}

fn undefined_cursor(name: &str) -> Error {
    Error::new(sqlstate::INVALID_CURSOR_NAME, format!("cursor \"{name}\" does not exist"))
}
