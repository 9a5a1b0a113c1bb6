//! Sequences: definitions in the catalog, counters outside transactions.
//!
//! A sequence's definition is a catalog row (transactional, like a table's) keyed by name under
//! `table_prefix(0, 16)`; its id comes from the table id counter, because PostgreSQL's tables and sequences
//! share `pg_class` and its oids. Its *counter* is not transactional, as in PostgreSQL: `nextval` is never
//! rolled back, and two transactions calling it never conflict with each other (no OCC write set is
//! involved). The counter is one unversioned storage key per sequence, outside the versioned key space
//! (the version collector stops before `\xffmeta/`), named by the sequence's id and a random *nonce* drawn
//! when it was created: a CREATE SEQUENCE that rolled back after `nextval` leaves a counter behind, and its
//! (transactional, so reused) id may name a later sequence, which must not inherit that counter.
//!
//! ```text
//!   key    \xffmeta/seq/ ++ id (u32) ++ nonce (u64)    value  i64 value ++ u8 is_called   (big-endian)
//! ```
//! The stored value is the end of a block of values reserved before any of them is handed out (PostgreSQL
//! logs 32 values ahead in the same way): `nextval` takes the next value from the block held in memory and,
//! when the block is used up, first writes and syncs the end of the next block of `max(CACHE, 32)` values.
//! After a crash the counter resumes after the stored end: values may be skipped, never handed out twice.
//! All sessions of the database share the in-memory counters ([`SequenceCounters`]), under one mutex, so
//! concurrent callers always get distinct values, in increasing order.
//!
//! A sequence with no stored counter is fresh (its next value is its start). CREATE SEQUENCE stores none,
//! so a rolled-back CREATE leaves nothing behind; ALTER SEQUENCE RESTART and `setval` store one at once,
//! outside the statement's transaction (PostgreSQL makes `setval` non-transactional too). The counter key
//! of a dropped sequence stays (a few bytes; ids are never reused).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::catalog::{display_name, relation_exists, schemas, Table};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{ObjectName, SequenceOptions, SequenceStatement};
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::{prefix_range, Storage};
use crate::txn::Transaction;
use crate::types::{DataType, Value};

/// Version byte of the sequence catalog row.
const FORMAT_VERSION: u8 = 1;
/// The fewest values a counter reserves per durable write (PostgreSQL's `SEQ_LOG_VALS`).
const MIN_RESERVATION: i64 = 32;
const COUNTER_PREFIX: &[u8] = b"\xffmeta/seq/";

/// A sequence definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub id: u32,
    pub name: String,
    pub schema: String,
    /// smallint, integer or bigint.
    pub data_type: DataType,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY`: the table id and column index (the sequence is dropped with the table).
    pub owned_by: Option<(u32, usize)>,
    /// Drawn at CREATE, part of the counter's key (see the module comment).
    pub nonce: u64,
}

/// The sequence behind an identity column is named as PostgreSQL names it: `<table>_<column>_seq`.
pub fn owned_sequence_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_seq")
}

fn type_bounds(data_type: DataType) -> (i64, i64) {
    match data_type {
        DataType::Int2 => (i16::MIN as i64, i16::MAX as i64),
        DataType::Int4 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

fn invalid(message: String) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

impl Sequence {
    /// A definition from `options` applied over `base` (ALTER SEQUENCE) or PostgreSQL's defaults, checked
    /// as PostgreSQL's `init_params` checks it (22023 with its messages).
    pub fn from_options(id: u32, name: &str, options: &SequenceOptions, base: Option<&Sequence>) -> Result<Sequence> {
        // Only an identity column's options name its sequence (`catalog::create_column_sequence` takes it).
        if options.sequence_name.is_some() {
            return Err(Error::syntax("invalid sequence option SEQUENCE NAME"));
        }
        let data_type = options.data_type.or(base.map(|b| b.data_type)).unwrap_or(DataType::Int8);
        let (type_min, type_max) = type_bounds(data_type);
        let increment = options.increment.or(base.map(|b| b.increment)).unwrap_or(1);
        if increment == 0 {
            return Err(invalid("INCREMENT must not be zero".into()));
        }
        // A changed type moves bounds that were the old type's own limits along with it, as PostgreSQL does.
        let base_bound = |pick: fn(&Sequence) -> i64, old_limit: fn((i64, i64)) -> i64| {
            base.filter(|b| options.data_type.is_none() || pick(b) != old_limit(type_bounds(b.data_type))).map(pick)
        };
        let max_value = match options.max_value {
            Some(Some(max)) => max,
            Some(None) => {
                if increment > 0 {
                    type_max
                } else {
                    -1
                }
            }
            None => base_bound(|b| b.max_value, |b| b.1).unwrap_or(if increment > 0 { type_max } else { -1 }),
        };
        let min_value = match options.min_value {
            Some(Some(min)) => min,
            Some(None) => {
                if increment > 0 {
                    1
                } else {
                    type_min
                }
            }
            None => base_bound(|b| b.min_value, |b| b.0).unwrap_or(if increment > 0 { 1 } else { type_min }),
        };
        let type_name = data_type.name();
        if max_value < type_min || max_value > type_max {
            return Err(invalid(format!("MAXVALUE ({max_value}) is out of range for sequence data type {type_name}")));
        }
        if min_value < type_min || min_value > type_max {
            return Err(invalid(format!("MINVALUE ({min_value}) is out of range for sequence data type {type_name}")));
        }
        if min_value >= max_value {
            return Err(invalid(format!("MINVALUE ({min_value}) must be less than MAXVALUE ({max_value})")));
        }
        let start =
            options.start.or(base.map(|b| b.start)).unwrap_or(if increment > 0 { min_value } else { max_value });
        if start < min_value {
            return Err(invalid(format!("START value ({start}) cannot be less than MINVALUE ({min_value})")));
        }
        if start > max_value {
            return Err(invalid(format!("START value ({start}) cannot be greater than MAXVALUE ({max_value})")));
        }
        if let Some(Some(restart)) = options.restart {
            if restart < min_value {
                return Err(invalid(format!("RESTART value ({restart}) cannot be less than MINVALUE ({min_value})")));
            }
            if restart > max_value {
                return Err(invalid(format!(
                    "RESTART value ({restart}) cannot be greater than MAXVALUE ({max_value})"
                )));
            }
        }
        let cache = options.cache.or(base.map(|b| b.cache)).unwrap_or(1);
        if cache <= 0 {
            return Err(invalid(format!("CACHE ({cache}) must be greater than zero")));
        }
        Ok(Sequence {
            id,
            name: name.to_string(),
            schema: base.map_or_else(|| crate::catalog::PUBLIC_SCHEMA.to_string(), |b| b.schema.clone()),
            data_type,
            start,
            increment,
            min_value,
            max_value,
            cache,
            cycle: options.cycle.or(base.map(|b| b.cycle)).unwrap_or(false),
            owned_by: base.and_then(|b| b.owned_by),
            nonce: base.map_or_else(rand::random, |b| b.nonce),
        })
    }

    /// The key the catalog stores and finds the sequence under (`schemas::relation_key`).
    pub fn key(&self) -> String {
        schemas::relation_key(&self.schema, &self.name)
    }

    /// The name as `nextval('...')` takes it: quoted where needed, qualified outside `public`.
    pub fn regclass_text(&self) -> String {
        let name = crate::sql::system::names::quote_ident(&self.name);
        if self.schema == crate::catalog::PUBLIC_SCHEMA {
            name
        } else {
            format!("{}.{name}", crate::sql::system::names::quote_ident(&self.schema))
        }
    }

    /// The value after `last`, or None past the bound of a sequence without CYCLE.
    fn step(&self, last: i64) -> Option<i64> {
        match last.checked_add(self.increment) {
            Some(next) if next >= self.min_value && next <= self.max_value => Some(next),
            _ if self.cycle => Some(if self.increment > 0 { self.min_value } else { self.max_value }),
            _ => None,
        }
    }

    fn exhausted(&self) -> Error {
        let (which, bound) = if self.increment > 0 { ("maximum", self.max_value) } else { ("minimum", self.min_value) };
        Error::new("2200H", format!("nextval: reached {which} value of sequence \"{}\" ({bound})", self.name))
    }
}

// ---- the in-memory counters ----

#[derive(Debug, Clone, Copy)]
struct Counter {
    /// The last value handed out (or, while `is_called` is false, the next one).
    last: i64,
    is_called: bool,
    /// How many more values after `last` the stored counter already covers.
    reserved: i64,
}

/// The counters of one database's sequences, shared by all its sessions.
#[derive(Default)]
pub struct SequenceCounters {
    counters: Mutex<HashMap<(u32, u64), Counter>>,
}

fn counter_key(sequence: &Sequence) -> Vec<u8> {
    let mut key = COUNTER_PREFIX.to_vec();
    key.extend_from_slice(&sequence.id.to_be_bytes());
    key.extend_from_slice(&sequence.nonce.to_be_bytes());
    key
}

/// Stores a counter and waits until it is durable.
fn store(storage: &dyn Storage, sequence: &Sequence, value: i64, is_called: bool) -> Result<()> {
    let mut bytes = value.to_be_bytes().to_vec();
    bytes.push(is_called as u8);
    storage.write_batch(vec![(counter_key(sequence), Some(bytes))])?;
    storage.sync()
}

fn stored(storage: &dyn Storage, sequence: &Sequence) -> Result<Counter> {
    Ok(match storage.get(&counter_key(sequence))? {
        Some(bytes) if bytes.len() == 9 => Counter {
            last: i64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            is_called: bytes[8] != 0,
            reserved: 0,
        },
        Some(_) => return Err(Error::internal("corrupt sequence counter")),
        None => Counter { last: sequence.start, is_called: false, reserved: 0 },
    })
}

impl SequenceCounters {
    /// `nextval`: the next value, never handed out before (also not before a crash).
    pub fn next(&self, storage: &dyn Storage, sequence: &Sequence) -> Result<i64> {
        let mut counters = self.counters.lock();
        let counter = match counters.get(&(sequence.id, sequence.nonce)) {
            Some(counter) => *counter,
            None => stored(storage, sequence)?,
        };
        let next = if counter.is_called {
            sequence.step(counter.last).ok_or_else(|| sequence.exhausted())?
        } else {
            counter.last
        };
        let mut reserved = counter.reserved;
        if reserved == 0 {
            // Reserve a block (not past the bound: a cycle starts a new one) and make it durable first.
            let room = if sequence.increment > 0 {
                (sequence.max_value as i128 - next as i128) / sequence.increment as i128
            } else {
                (sequence.min_value as i128 - next as i128) / sequence.increment as i128
            };
            let count = (room + 1).min(sequence.cache.max(MIN_RESERVATION) as i128);
            let end = (next as i128 + (count - 1) * sequence.increment as i128) as i64;
            store(storage, sequence, end, true)?;
            reserved = count as i64;
        }
        counters.insert((sequence.id, sequence.nonce), Counter { last: next, is_called: true, reserved: reserved - 1 });
        Ok(next)
    }

    /// `setval(seq, value, is_called)` and ALTER SEQUENCE RESTART: stored at once, durably.
    pub fn set(&self, storage: &dyn Storage, sequence: &Sequence, value: i64, is_called: bool) -> Result<()> {
        if value < sequence.min_value || value > sequence.max_value {
            return Err(Error::new(
                sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
                format!(
                    "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                    sequence.name, sequence.min_value, sequence.max_value
                ),
            ));
        }
        let mut counters = self.counters.lock();
        store(storage, sequence, value, is_called)?;
        counters.insert((sequence.id, sequence.nonce), Counter { last: value, is_called, reserved: 0 });
        Ok(())
    }

    /// The counter as `SELECT last_value, is_called FROM seq` shows it: the last value handed out and true,
    /// or the next one and false before the first (`setval(seq, v, false)` too).
    pub fn state(&self, storage: &dyn Storage, sequence: &Sequence) -> Result<(i64, bool)> {
        let counter = match self.counters.lock().get(&(sequence.id, sequence.nonce)) {
            Some(counter) => *counter,
            None => stored(storage, sequence)?,
        };
        Ok((counter.last, counter.is_called))
    }

    /// What `pg_sequences.last_value` shows: the last value handed out, None before the first.
    pub fn last_value(&self, storage: &dyn Storage, sequence: &Sequence) -> Result<Option<i64>> {
        let counter = match self.counters.lock().get(&(sequence.id, sequence.nonce)) {
            Some(counter) => *counter,
            None => stored(storage, sequence)?,
        };
        Ok(counter.is_called.then_some(counter.last))
    }

    /// Gives up the reserved block of a sequence whose definition changed: the next value follows the last
    /// one under the new definition, in a block reserved anew.
    pub fn redefine(&self, sequence: &Sequence) {
        if let Some(counter) = self.counters.lock().get_mut(&(sequence.id, sequence.nonce)) {
            counter.reserved = 0;
        }
    }
}

/// The values `nextval` / `setval` gave this session (`currval`, `lastval`).
#[derive(Debug, Clone, Default)]
pub struct SessionValues {
    by_sequence: HashMap<u32, i64>,
    last: Option<u32>,
}

impl SessionValues {
    pub fn record(&mut self, sequence: u32, value: i64) {
        self.by_sequence.insert(sequence, value);
        self.last = Some(sequence);
    }

    pub fn current(&self, sequence: &Sequence) -> Result<i64> {
        self.by_sequence.get(&sequence.id).copied().ok_or_else(|| {
            Error::new("55000", format!("currval of sequence \"{}\" is not yet defined in this session", sequence.name))
        })
    }

    /// `lastval()`: the value of the sequence this session's `nextval` last used.
    pub fn last(&self, catalog: &crate::catalog::Catalog) -> Result<i64> {
        let undefined = || Error::new("55000", "lastval is not yet defined in this session");
        let id = self.last.ok_or_else(undefined)?;
        if !catalog.sequences().any(|s| s.id == id) {
            return Err(undefined());
        }
        self.by_sequence.get(&id).copied().ok_or_else(undefined)
    }

    /// DISCARD SEQUENCES.
    pub fn clear(&mut self) {
        *self = SessionValues::default();
    }
}

// ---- catalog rows ----

fn catalog_key(name: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, 16), &[Value::Text(name.to_string())])
}

/// The sequence under `key` (`schemas::relation_key`) as `txn` sees it.
pub fn read_sequence(txn: &Transaction, key: &str) -> Result<Option<Sequence>> {
    txn.get(&catalog_key(key))?.map(|bytes| decode(&bytes)).transpose()
}

/// The sequence `name` names as `txn` sees it, through the search path when unqualified.
fn read_sequence_named(txn: &Transaction, name: &ObjectName) -> Result<Option<Sequence>> {
    match crate::catalog::resolve_relation(txn, name)? {
        Some(key) => read_sequence(txn, &key),
        None => Ok(None),
    }
}

/// Every sequence visible to `txn`.
pub fn load(txn: &Transaction) -> Result<Vec<Sequence>> {
    let (start, end) = prefix_range(&table_prefix(0, 16));
    txn.scan(start, end, false).map(|entry| decode(&entry?.1)).collect()
}

/// Stores a changed definition.
pub fn store_definition(txn: &mut Transaction, sequence: &Sequence) {
    write(txn, sequence)
}

fn write(txn: &mut Transaction, sequence: &Sequence) {
    txn.put(catalog_key(&sequence.key()), encode(sequence));
}

//   u8 format version, u32 id, str name, u8 type tag (2 int2, 3 int4, 4 int8), i64 start, increment, min,
//   max, cache, u8 cycle, u8 owned, [u32 table id, u16 column], u64 nonce
fn encode(sequence: &Sequence) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    out.extend_from_slice(&sequence.id.to_be_bytes());
    let key = sequence.key();
    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
    out.extend_from_slice(key.as_bytes());
    out.push(match sequence.data_type {
        DataType::Int2 => 2,
        DataType::Int4 => 3,
        _ => 4,
    });
    for v in [sequence.start, sequence.increment, sequence.min_value, sequence.max_value, sequence.cache] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.push(sequence.cycle as u8);
    match sequence.owned_by {
        Some((table, column)) => {
            out.push(1);
            out.extend_from_slice(&table.to_be_bytes());
            out.extend_from_slice(&(column as u16).to_be_bytes());
        }
        None => out.push(0),
    }
    out.extend_from_slice(&sequence.nonce.to_be_bytes());
    out
}

fn decode(bytes: &[u8]) -> Result<Sequence> {
    let corrupt = || Error::internal("corrupt sequence catalog row");
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
        return Err(Error::internal("unsupported catalog row format"));
    }
    let id = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?);
    let len = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?) as usize;
    let key = String::from_utf8(take(len)?.to_vec()).map_err(|_| corrupt())?;
    let (schema, name) = schemas::split_relation_key(&key);
    let data_type = match take(1)?[0] {
        2 => DataType::Int2,
        3 => DataType::Int4,
        _ => DataType::Int8,
    };
    let mut numbers = [0i64; 5];
    for n in &mut numbers {
        *n = i64::from_be_bytes(take(8)?.try_into().map_err(|_| corrupt())?);
    }
    let [start, increment, min_value, max_value, cache] = numbers;
    let cycle = take(1)?[0] != 0;
    let owned_by = if take(1)?[0] == 1 {
        let table = u32::from_be_bytes(take(4)?.try_into().map_err(|_| corrupt())?);
        let column = u16::from_be_bytes(take(2)?.try_into().map_err(|_| corrupt())?) as usize;
        Some((table, column))
    } else {
        None
    };
    let nonce = u64::from_be_bytes(take(8)?.try_into().map_err(|_| corrupt())?);
    Ok(Sequence { id, name, schema, data_type, start, increment, min_value, max_value, cache, cycle, owned_by, nonce })
}

// ---- DDL ----

fn undefined_sequence(name: &ObjectName) -> Error {
    Error::new(sqlstate::UNDEFINED_TABLE, format!("relation \"{}\" does not exist", display_name(name)))
}

/// `OWNED BY table.column`: the table (as `txn` sees it) and the column's index.
fn resolve_owner(txn: &Transaction, owner: &(ObjectName, String)) -> Result<(u32, usize)> {
    let (table_name, column) = owner;
    let table = crate::catalog::read_table_named(txn, table_name)?.ok_or_else(|| undefined_sequence(table_name))?;
    let index = table.column_index(column).ok_or_else(|| {
        Error::new(
            sqlstate::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{}\" does not exist", table.name),
        )
    })?;
    Ok((table.id, index))
}

/// Creates sequence `name` inside `txn` (its id from the table id counter). Returns None when it exists and
/// `if_not_exists` was given.
pub fn create(
    txn: &mut Transaction,
    name: &ObjectName,
    if_not_exists: bool,
    options: &SequenceOptions,
) -> Result<Option<Sequence>> {
    let schema = schemas::creation_schema(txn, name)?;
    if relation_exists(txn, &schemas::relation_key(&schema, &name.name))? {
        let exists = Error::new(sqlstate::DUPLICATE_TABLE, format!("relation \"{}\" already exists", name.name));
        if if_not_exists {
            crate::notice::skip_existing(&exists);
            return Ok(None);
        }
        return Err(exists);
    }
    let mut sequence = Sequence::from_options(0, &name.name, options, None)?;
    sequence.schema = schema;
    if let Some(Some(owner)) = &options.owned_by {
        sequence.owned_by = Some(resolve_owner(txn, owner)?);
    }
    sequence.id = crate::catalog::next_table_id(txn)?;
    write(txn, &sequence);
    Ok(Some(sequence))
}

/// Runs CREATE / ALTER / DROP SEQUENCE inside `txn`; returns the command tag. `counters` are changed at
/// once by ALTER SEQUENCE (RESTART, or a new definition), outside the transaction.
pub fn execute(
    txn: &mut Transaction,
    statement: &SequenceStatement,
    counters: &SequenceCounters,
    storage: &dyn Storage,
) -> Result<&'static str> {
    match statement {
        SequenceStatement::Create { name, if_not_exists, options } => {
            create(txn, name, *if_not_exists, options)?;
            Ok("CREATE SEQUENCE")
        }
        SequenceStatement::Alter { name, if_exists, options } => {
            let Some(existing) = read_sequence_named(txn, name)? else {
                if *if_exists {
                    return Ok("ALTER SEQUENCE");
                }
                return Err(undefined_sequence(name));
            };
            alter(txn, &existing, options, counters, storage)?;
            Ok("ALTER SEQUENCE")
        }
        SequenceStatement::Drop { names, if_exists } => {
            for name in names {
                let sequence = match read_sequence_named(txn, name) {
                    Err(err) if *if_exists => {
                        crate::notice::skip_missing(&err);
                        continue;
                    }
                    found => found?,
                };
                match sequence {
                    Some(sequence) => {
                        check_not_required(txn, &sequence)?;
                        txn.delete(catalog_key(&sequence.key()))
                    }
                    None => {
                        let missing =
                            Error::new(sqlstate::UNDEFINED_TABLE, format!("sequence \"{}\" does not exist", name.name));
                        if !*if_exists {
                            return Err(missing);
                        }
                        crate::notice::skip_missing(&missing);
                    }
                }
            }
            Ok("DROP SEQUENCE")
        }
    }
}

/// 2BP01 when an identity column or a column's DEFAULT still uses the sequence (PostgreSQL's dependencies;
/// occam has no CASCADE).
fn check_not_required(txn: &Transaction, sequence: &Sequence) -> Result<()> {
    let Some((table_id, index)) = sequence.owned_by else { return Ok(()) };
    let Some(table) = crate::catalog::read_table_by_id(txn, table_id)? else { return Ok(()) };
    let Some(column) = table.columns.get(index).filter(|c| !c.dropped) else { return Ok(()) };
    let name = &sequence.name;
    if column.identity.is_some() {
        return Err(Error::new(
            "2BP01",
            format!("cannot drop sequence {name} because column {} of table {} requires it", column.name, table.name),
        )
        .with_hint(format!("You can drop column {} of table {} instead.", column.name, table.name)));
    }
    if column.default_sql.as_deref().is_some_and(|sql| sql.contains(&format!("'{name}'"))) {
        return Err(Error::new("2BP01", format!("cannot drop sequence {name} because other objects depend on it"))
            .with_detail(format!(
                "default value for column {} of table {} depends on sequence {name}",
                column.name, table.name
            ))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
    }
    Ok(())
}

/// ALTER SEQUENCE (and an identity column's sequence options).
pub fn alter(
    txn: &mut Transaction,
    existing: &Sequence,
    options: &SequenceOptions,
    counters: &SequenceCounters,
    storage: &dyn Storage,
) -> Result<()> {
    let mut sequence = Sequence::from_options(existing.id, &existing.name, options, Some(existing))?;
    match &options.owned_by {
        Some(Some(owner)) => sequence.owned_by = Some(resolve_owner(txn, owner)?),
        Some(None) => sequence.owned_by = None,
        None => {}
    }
    write(txn, &sequence);
    match options.restart {
        Some(restart) => counters.set(storage, &sequence, restart.unwrap_or(sequence.start), false)?,
        None => counters.redefine(&sequence),
    }
    Ok(())
}

/// Deletes `sequence`'s definition (DROP SCHEMA ... CASCADE).
pub fn remove(txn: &mut Transaction, sequence: &Sequence) {
    txn.delete(catalog_key(&sequence.key()));
}

/// Drops the sequences owned by a table being dropped (identity and serial columns' ones).
pub fn drop_owned_by(txn: &mut Transaction, table_id: u32) -> Result<()> {
    for sequence in load(txn)?.into_iter().filter(|s| s.owned_by.is_some_and(|(t, _)| t == table_id)) {
        txn.delete(catalog_key(&sequence.key()));
    }
    Ok(())
}

/// Drops the sequence owned by one column (a dropped identity or serial column).
pub fn drop_owned_by_column(txn: &mut Transaction, table_id: u32, column: usize) -> Result<()> {
    for sequence in load(txn)?.into_iter().filter(|s| s.owned_by == Some((table_id, column))) {
        txn.delete(catalog_key(&sequence.key()));
    }
    Ok(())
}

/// The sequence that owns `table`'s column `column`, as `txn` sees it.
pub fn owned_by_column(txn: &Transaction, table: &Table, column: usize) -> Result<Option<Sequence>> {
    Ok(load(txn)?.into_iter().find(|s| s.owned_by == Some((table.id, column))))
}

/// The catalog's sequences by name.
pub fn by_name(sequences: Vec<Sequence>) -> HashMap<String, Arc<Sequence>> {
    sequences.into_iter().map(|s| (s.key(), Arc::new(s))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(options: SequenceOptions) -> Sequence {
        Sequence::from_options(1, "s", &options, None).unwrap()
    }

    #[test]
    fn rows_round_trip() {
        let mut s = sequence(SequenceOptions { increment: Some(-2), cycle: Some(true), ..Default::default() });
        s.owned_by = Some((7, 3));
        assert_eq!(decode(&encode(&s)).unwrap(), s);
        assert_eq!((s.min_value, s.max_value, s.start), (i64::MIN, -1, -1));
    }

    #[test]
    fn values_are_never_repeated_across_a_restart() {
        let storage = crate::storage::memory::MemoryStorage::new();
        let s = sequence(SequenceOptions::default());
        let counters = SequenceCounters::default();
        assert_eq!(counters.next(&storage, &s).unwrap(), 1);
        assert_eq!(counters.next(&storage, &s).unwrap(), 2);
        // A new process resumes after the reserved block.
        let restarted = SequenceCounters::default();
        assert_eq!(restarted.next(&storage, &s).unwrap(), 33);
        restarted.set(&storage, &s, 10, false).unwrap();
        assert_eq!(restarted.next(&storage, &s).unwrap(), 10);
    }

    #[test]
    fn bounds_and_cycles() {
        let storage = crate::storage::memory::MemoryStorage::new();
        let counters = SequenceCounters::default();
        let s = sequence(SequenceOptions { max_value: Some(Some(2)), ..Default::default() });
        assert_eq!(counters.next(&storage, &s).unwrap(), 1);
        assert_eq!(counters.next(&storage, &s).unwrap(), 2);
        let err = counters.next(&storage, &s).unwrap_err();
        assert_eq!(err.message, "nextval: reached maximum value of sequence \"s\" (2)");
        let c = Sequence { id: 2, cycle: true, ..s };
        assert_eq!(counters.next(&storage, &c).unwrap(), 1);
        assert_eq!(counters.next(&storage, &c).unwrap(), 2);
        assert_eq!(counters.next(&storage, &c).unwrap(), 1);
        // Descending, with a block larger than the range left, across a restart.
        let d = sequence(SequenceOptions {
            increment: Some(-3),
            min_value: Some(Some(-10)),
            cache: Some(65536),
            ..Default::default()
        });
        let d = Sequence { id: 3, ..d };
        assert_eq!(counters.next(&storage, &d).unwrap(), -1);
        assert_eq!(counters.next(&storage, &d).unwrap(), -4);
        let restarted = SequenceCounters::default();
        // The block reserved -1..=-10 (all that was left): nothing remains after the restart.
        let err = restarted.next(&storage, &d).unwrap_err();
        assert_eq!(err.message, "nextval: reached minimum value of sequence \"s\" (-10)");
    }
}
