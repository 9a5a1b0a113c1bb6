//! SQL-language functions (`CREATE FUNCTION ... LANGUAGE sql`, as Aurora DSQL has them since 2026): each
//! is one catalog row keyed by name and parameter types, holding the body as SQL text. The binder expands
//! a call into the body over the call's arguments (`sql::bind`: an expression in place, a query as a
//! subquery), so a function is bound where it is used and nothing is kept bound here. Each has an id
//! (from the table id counter) for its `pg_proc.oid`.
//!
//! ```text
//!   key    table_prefix(0, 31) ++ encode(name, parameter types)     value  the definition (format below)
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    check_public_schema, display_name, encode_type, next_table_id, put_str, put_u16, put_u32, CatalogReader,
    FORMAT_VERSION,
};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, FunctionBody, FunctionReturns, FunctionSignature};
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::{DataType, Value};

/// A stored SQL function.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFunction {
    /// Its id (`sql::system::oids::function` makes its `pg_proc.oid`); kept by OR REPLACE.
    pub id: u32,
    pub name: String,
    /// (name, type) per parameter.
    pub params: Vec<(Option<String>, DataType)>,
    pub returns: FunctionReturns,
    pub body: FunctionBody,
    /// The body as written (`pg_proc.prosrc`, unless `sql_standard`).
    pub source: String,
    /// Defined by `RETURN expr` (PostgreSQL's SQL-standard body, shown by `pg_get_function_sqlbody`).
    pub sql_standard: bool,
    /// `pg_proc.provolatile`: `i`, `s` or `v`.
    pub volatility: char,
    pub strict: bool,
}

impl SqlFunction {
    /// `name(integer, text)`, as PostgreSQL's messages name a function.
    pub fn signature(&self) -> String {
        signature_text(&self.name, self.params.iter().map(|(_, t)| t))
    }

    /// The parameters' types.
    pub fn param_types(&self) -> Vec<DataType> {
        self.params.iter().map(|(_, t)| *t).collect()
    }
}

/// The function a CREATE FUNCTION defines, with id `id`.
pub fn definition(create: &ast::CreateFunction, id: u32) -> SqlFunction {
    SqlFunction {
        id,
        name: create.name.name.clone(),
        params: create.params.clone(),
        returns: create.returns.clone(),
        body: create.body.clone(),
        source: create.source.clone(),
        sql_standard: create.sql_standard,
        volatility: create.volatility,
        strict: create.strict,
    }
}

fn signature_text<'t>(name: &str, types: impl Iterator<Item = &'t DataType>) -> String {
    let types: Vec<&str> = types.map(|t| t.name()).collect();
    format!("{name}({})", types.join(", "))
}

fn prefix() -> Vec<u8> {
    table_prefix(0, 31)
}

fn key(name: &str, types: &[DataType]) -> Vec<u8> {
    let types: Vec<&str> = types.iter().map(|t| t.name()).collect();
    encode_key(&prefix(), &[Value::Text(name.to_string()), Value::Text(types.join(","))])
}

/// Every SQL function visible to `txn`, by name.
pub fn load(txn: &Transaction) -> Result<HashMap<String, Vec<Arc<SqlFunction>>>> {
    let (start, end) = prefix_range(&prefix());
    let mut out: HashMap<String, Vec<Arc<SqlFunction>>> = HashMap::new();
    for entry in txn.scan(start, end, false) {
        let function = decode(&entry?.1)?;
        out.entry(function.name.clone()).or_default().push(Arc::new(function));
    }
    Ok(out)
}

/// Stores a function checked by the binder; OR REPLACE may replace one with the same parameter types if
/// its return type is the same (`42P13`, as PostgreSQL), else `42723`.
pub fn create(txn: &mut Transaction, create: &ast::CreateFunction) -> Result<()> {
    check_public_schema(&create.name)?;
    let name = &create.name.name;
    let types: Vec<DataType> = create.params.iter().map(|(_, t)| *t).collect();
    let key = key(name, &types);
    let id = match txn.get(&key)? {
        Some(existing) => {
            if !create.or_replace {
                return Err(Error::new(
                    sqlstate::DUPLICATE_FUNCTION,
                    format!("function \"{}\" already exists with same argument types", name),
                ));
            }
            let existing = decode(&existing)?;
            if existing.returns != create.returns {
                return Err(Error::new(
                    sqlstate::INVALID_FUNCTION_DEFINITION,
                    "cannot change return type of existing function",
                )
                .with_hint(format!("Use DROP FUNCTION {} first.", existing.signature())));
            }
            existing.id
        }
        None => next_table_id(txn)?,
    };
    txn.put(key, encode(create, id));
    Ok(())
}

/// `DROP FUNCTION [IF EXISTS] name[(types)], ...`: without types the name must be unique
/// (`42725 function name "f" is not unique`); a missing one is `42883` unless IF EXISTS.
pub fn drop(txn: &mut Transaction, functions: &[FunctionSignature], if_exists: bool) -> Result<()> {
    let all = load(txn)?;
    for signature in functions {
        match find(&all, signature)? {
            None if if_exists => {}
            None => return Err(not_found(signature)),
            Some(function) => txn.delete(key(&function.name, &function.param_types())),
        }
    }
    Ok(())
}

/// The function `signature` names among `all` (as DROP FUNCTION and COMMENT ON FUNCTION name one): with
/// types, the one with exactly those parameter types; without, the only one of the name (42725 if there
/// are several). None if there is none.
pub fn find<'f>(
    all: &'f HashMap<String, Vec<Arc<SqlFunction>>>,
    signature: &FunctionSignature,
) -> Result<Option<&'f Arc<SqlFunction>>> {
    check_public_schema(&signature.name)?;
    let name = &signature.name.name;
    let candidates = all.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let found: Vec<&Arc<SqlFunction>> = match &signature.params {
        Some(types) => candidates
            .iter()
            .filter(|f| f.params.len() == types.len() && f.params.iter().zip(types).all(|((_, a), b)| a == b))
            .collect(),
        None => candidates.iter().collect(),
    };
    match found.as_slice() {
        [] => Ok(None),
        [function] => Ok(Some(function)),
        _ => Err(Error::new(sqlstate::AMBIGUOUS_FUNCTION, format!("function name \"{name}\" is not unique"))
            .with_hint("Specify the argument list to select the function unambiguously.")),
    }
}

/// PostgreSQL's 42883 for a function `signature` names that does not exist.
pub fn not_found(signature: &FunctionSignature) -> Error {
    let message = match &signature.params {
        Some(types) => {
            format!("function {} does not exist", signature_text(&display_name(&signature.name), types.iter()))
        }
        None => format!("could not find a function named \"{}\"", display_name(&signature.name)),
    };
    Error::new(sqlstate::UNDEFINED_FUNCTION, message)
}

//   function row: u8 format version, str name, u16 parameter count, per parameter: u8 named, [str name],
//     type; scalar return type (unknown if set-returning), str body sql (an expression body's expression),
//     u8 volatility, u8 strict, then (absent in rows written before query bodies: a scalar function of an
//     expression, id 0): u8 result kind (0 scalar, 1 SETOF type, 2 SETOF table, 3 TABLE), [1: type;
//     2: str table; 3: u16 count, per column str name, type], u8 body is a query, u8 SQL-standard body,
//     str source, u32 id

fn encode(create: &ast::CreateFunction, id: u32) -> Vec<u8> {
    let mut out = vec![FORMAT_VERSION];
    put_str(&mut out, &create.name.name);
    put_u16(&mut out, create.params.len() as u16);
    for (name, data_type) in &create.params {
        match name {
            Some(name) => {
                out.push(1);
                put_str(&mut out, name);
            }
            None => out.push(0),
        }
        encode_type(&mut out, data_type);
    }
    encode_type(&mut out, &create.returns.scalar().unwrap_or(DataType::Unknown));
    let body_sql = match &create.body {
        FunctionBody::Expr(expr) => crate::sql::parse::expression_to_sql(expr),
        FunctionBody::Query(_) => create.source.clone(),
    };
    put_str(&mut out, &body_sql);
    out.push(create.volatility as u8);
    out.push(create.strict as u8);
    match &create.returns {
        FunctionReturns::Scalar(_) => out.push(0),
        FunctionReturns::SetOf(data_type) => {
            out.push(1);
            encode_type(&mut out, data_type);
        }
        FunctionReturns::SetOfTable(table) => {
            out.push(2);
            put_str(&mut out, table);
        }
        FunctionReturns::Table(columns) => {
            out.push(3);
            put_u16(&mut out, columns.len() as u16);
            for (name, data_type) in columns {
                put_str(&mut out, name);
                encode_type(&mut out, data_type);
            }
        }
    }
    out.push(matches!(create.body, FunctionBody::Query(_)) as u8);
    out.push(create.sql_standard as u8);
    put_str(&mut out, &create.source);
    put_u32(&mut out, id);
    out
}

fn decode(bytes: &[u8]) -> Result<SqlFunction> {
    let mut reader = CatalogReader::open(bytes)?;
    let name = reader.string()?;
    let count = reader.u16()? as usize;
    let mut params = Vec::with_capacity(count);
    for _ in 0..count {
        let param_name = if reader.u8()? == 1 { Some(reader.string()?) } else { None };
        params.push((param_name, reader.data_type()?));
    }
    let scalar = reader.data_type()?;
    let body_sql = reader.string()?;
    let volatility = reader.u8()? as char;
    let strict = reader.u8()? == 1;
    if reader.input.is_empty() {
        let body = FunctionBody::Expr(crate::sql::parse::parse_expression(&body_sql)?);
        let returns = FunctionReturns::Scalar(scalar);
        let source = body_sql;
        return Ok(SqlFunction { id: 0, name, params, returns, body, source, sql_standard: false, volatility, strict });
    }
    let returns = match reader.u8()? {
        0 => FunctionReturns::Scalar(scalar),
        1 => FunctionReturns::SetOf(reader.data_type()?),
        2 => FunctionReturns::SetOfTable(reader.string()?),
        _ => {
            let count = reader.u16()? as usize;
            let mut columns = Vec::with_capacity(count);
            for _ in 0..count {
                columns.push((reader.string()?, reader.data_type()?));
            }
            FunctionReturns::Table(columns)
        }
    };
    let is_query = reader.u8()? == 1;
    let sql_standard = reader.u8()? == 1;
    let source = reader.string()?;
    let id = reader.u32()?;
    let body = if is_query {
        crate::sql::parse::body_of(&source, &returns)?
    } else {
        FunctionBody::Expr(crate::sql::parse::parse_expression(&body_sql)?)
    };
    Ok(SqlFunction { id, name, params, returns, body, source, sql_standard, volatility, strict })
}
