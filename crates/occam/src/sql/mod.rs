//! The SQL engine: parse (sqlparser AST -> occam's own AST), plan (bind names and types), execute.

pub mod scalar;
