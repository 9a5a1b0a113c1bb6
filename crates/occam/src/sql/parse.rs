//! SQL text -> occam's AST, through sqlparser's PostgreSQL dialect.
