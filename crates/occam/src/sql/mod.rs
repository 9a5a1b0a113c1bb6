//! The SQL engine: parse (sqlparser AST -> occam's own AST), plan (bind names and types), execute.
//!
//! ```text
//!   parse     sqlparser's AST -> ast::Statement (DSQL extensions are recognised here)
//!   plan      ast -> plan::Plan: names bound to catalog objects, expressions typed, parameters inferred
//!   execute   plan -> rows, reading and writing through one txn::Transaction
//!   privileges which privileges a statement needs; checked before it runs for non-administrator sessions
//!   scalar    casts, operators and result-type rules shared by plan and execute
//!   functions scalar functions and aggregates
//! ```

pub mod ast;
pub mod execute;
pub mod functions;
pub mod optimize;
pub mod parse;
pub mod plan;
pub mod privileges;
pub mod scalar;
pub mod system;
