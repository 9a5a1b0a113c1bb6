//! The SQL engine, in the layers of PostgreSQL's query pipeline.
//!
//! ```text
//!   parse     SQL text -> sqlparser's AST -> ast::Statement (DSQL extensions are recognised here)
//!   bind      ast -> plan::PlannedStatement: names bound to catalog objects, expressions typed, parameters
//!             inferred (the query tree)
//!   plan      the bound query tree, and the physical plan tree (plan::physical) the optimizer makes of it
//!   optimize  query tree -> physical plan: access paths (key and index ranges, ordered scans, index-only
//!             scans), join algorithms, sorts avoided, all chosen by estimated cost
//!   execute   physical plan -> operators pulled batch by batch, reading and writing through one
//!             txn::Transaction
//!   explain   a physical plan as EXPLAIN [ANALYZE] text, in Aurora DSQL's words or PostgreSQL's
//!   copy      COPY's text, CSV and binary data formats (read into rows, written from rows)
//!   privileges which privileges a statement needs; checked before it runs for non-administrator sessions
//!   scalar    casts, operators and result-type rules shared by plan and execute
//!   functions scalar functions and aggregates (arrays: array functions and operators; regex: POSIX
//!             regular expressions)
//!   system    the system relations (sys, pg_catalog, information_schema) and the catalog functions
//! ```

pub mod arrays;
pub mod ast;
pub mod bind;
pub mod copy;
pub mod datetime;
pub mod execute;
pub mod explain;
pub mod functions;
pub mod json;
pub mod number_format;
pub mod optimize;
pub mod parse;
pub mod plan;
pub mod privileges;
pub mod regex;
pub mod scalar;
pub mod strings;
pub mod system;
pub mod updatable;
