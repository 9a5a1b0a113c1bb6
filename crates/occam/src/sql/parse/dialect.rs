//! sqlparser's PostgreSQL dialect, made as strict as PostgreSQL about reserved key words.
//!
//! sqlparser accepts almost any key word as an identifier: `SELECT 1 + FROM t` parses as `1 + "from"` aliased
//! `t`. PostgreSQL's grammar does not: a reserved key word (appendix "SQL Key Words") cannot be a column
//! reference or a table alias, and the key words that PostgreSQL marks AS_LABEL cannot be a column alias
//! without `AS`. [`Postgres`] wraps [`PostgreSqlDialect`], delegating everything to it (including its
//! identity, so sqlparser's `dialect_of!(... is PostgreSqlDialect)` checks still hold) and adds three hooks:
//! - an expression may not start with a reserved key word, except those that begin an expression in
//!   PostgreSQL's grammar (`CASE`, `CAST`, `CURRENT_DATE`, `NOT`, `TRUE`, `DEFAULT` in VALUES / SET, ...);
//! - a column alias without `AS` may not be an AS_LABEL key word (`SELECT 1 array`);
//! - a table alias, with or without `AS`, may not be a reserved or type/function-name key word.
//!
//! The refusals are ordinary parser errors carrying the offending token's location, so they come out as
//! `syntax error at or near "FROM"` with PostgreSQL's position. Quoted identifiers (`"from"`) are never key
//! words. Qualified names after a dot (`t.from`) stay allowed, as in PostgreSQL.

use std::any::TypeId;
use std::cell::Cell;

use sqlparser::ast::Expr;
use sqlparser::dialect::{Dialect, PostgreSqlDialect, Precedence};
use sqlparser::keywords::{Keyword, ALL_KEYWORDS, ALL_KEYWORDS_INDEX};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// PostgreSQL 15's reserved key words (`pg_get_keywords()` with catcode `R`).
const RESERVED: &[&str] = &[
    "ALL",
    "ANALYSE",
    "ANALYZE",
    "AND",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASYMMETRIC",
    "BOTH",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONSTRAINT",
    "CREATE",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "DEFERRABLE",
    "DESC",
    "DISTINCT",
    "DO",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FETCH",
    "FOR",
    "FOREIGN",
    "FROM",
    "GRANT",
    "GROUP",
    "HAVING",
    "IN",
    "INITIALLY",
    "INTERSECT",
    "INTO",
    "LATERAL",
    "LEADING",
    "LIMIT",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "ONLY",
    "OR",
    "ORDER",
    "PLACING",
    "PRIMARY",
    "REFERENCES",
    "RETURNING",
    "SELECT",
    "SESSION_USER",
    "SOME",
    "SYMMETRIC",
    "TABLE",
    "THEN",
    "TO",
    "TRAILING",
    "TRUE",
    "UNION",
    "UNIQUE",
    "USER",
    "USING",
    "VARIADIC",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Reserved key words that begin an expression in PostgreSQL's grammar (sqlparser parses them itself).
const STARTS_EXPRESSION: &[&str] = &[
    "ARRAY",
    "CASE",
    "CAST",
    "CURRENT_CATALOG",
    "CURRENT_DATE",
    "CURRENT_ROLE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DEFAULT",
    "FALSE",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "NOT",
    "NULL",
    "SESSION_USER",
    "TRUE",
    "USER",
];

/// PostgreSQL's type/function-name key words (catcode `T`): not allowed as table aliases either.
const TYPE_FUNCTION_NAME: &[&str] = &[
    "AUTHORIZATION",
    "BINARY",
    "COLLATION",
    "CONCURRENTLY",
    "CROSS",
    "CURRENT_SCHEMA",
    "FREEZE",
    "FULL",
    "ILIKE",
    "INNER",
    "IS",
    "ISNULL",
    "JOIN",
    "LEFT",
    "LIKE",
    "NATURAL",
    "NOTNULL",
    "OUTER",
    "OVERLAPS",
    "RIGHT",
    "SIMILAR",
    "TABLESAMPLE",
    "VERBOSE",
];

/// Key words PostgreSQL accepts as a column alias only after `AS` (`pg_get_keywords()` with `barelabel`
/// false).
const NEEDS_AS: &[&str] = &[
    "ARRAY",
    "AS",
    "CHAR",
    "CHARACTER",
    "CREATE",
    "DAY",
    "EXCEPT",
    "FETCH",
    "FILTER",
    "FOR",
    "FROM",
    "GRANT",
    "GROUP",
    "HAVING",
    "HOUR",
    "INTERSECT",
    "INTO",
    "ISNULL",
    "LIMIT",
    "MINUTE",
    "MONTH",
    "NOTNULL",
    "OFFSET",
    "ON",
    "ORDER",
    "OVER",
    "OVERLAPS",
    "PRECISION",
    "RETURNING",
    "SECOND",
    "TO",
    "UNION",
    "VARYING",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
    "YEAR",
];

fn listed(list: &[&str], word: &str) -> bool {
    list.iter().any(|listed| listed.eq_ignore_ascii_case(word))
}

/// Whether an unquoted word is one of PostgreSQL's reserved key words.
pub(super) fn is_reserved(word: &str) -> bool {
    listed(RESERVED, word)
}

/// The text of a sqlparser key word (`Keyword::FROM` -> "FROM"); None for `NoKeyword`.
fn keyword_text(keyword: &Keyword) -> Option<&'static str> {
    ALL_KEYWORDS_INDEX.iter().position(|k| k == keyword).and_then(|i| ALL_KEYWORDS.get(i).copied())
}

/// [`PostgreSqlDialect`] with PostgreSQL's reserved-key-word rules (see the module comment).
#[derive(Debug)]
pub(super) struct Postgres {
    /// Whether expressions may not start with a reserved key word. Off for `SET`, whose values are key
    /// words in PostgreSQL (`SET x = on`) but go through sqlparser's expression parser.
    strict_expressions: Cell<bool>,
}

impl Postgres {
    pub(super) fn new() -> Self {
        Postgres { strict_expressions: Cell::new(true) }
    }

    /// Sets whether the next statement's expressions are checked for reserved key words.
    pub(super) fn set_strict_expressions(&self, strict: bool) {
        self.strict_expressions.set(strict);
    }
}

/// Delegates dialect methods to `PostgreSqlDialect` unchanged.
macro_rules! delegate {
    ($($name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        $(fn $name(&self $(, $arg: $ty)*) -> $ret {
            PostgreSqlDialect {}.$name($($arg),*)
        })*
    };
}

impl Dialect for Postgres {
    fn dialect(&self) -> TypeId {
        TypeId::of::<PostgreSqlDialect>()
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if !self.strict_expressions.get() {
            return None;
        }
        let token = parser.peek_token_ref();
        let Token::Word(word) = &token.token else {
            return None;
        };
        if word.quote_style.is_some() || !is_reserved(&word.value) || listed(STARTS_EXPRESSION, &word.value) {
            return None;
        }
        let location = token.span.start;
        Some(Err(ParserError::ParserError(format!(
            "Expected: an expression, found: {} at Line: {}, Column: {}",
            word.value, location.line, location.column
        ))))
    }

    fn is_select_item_alias(&self, explicit: bool, keyword: &Keyword, parser: &mut Parser) -> bool {
        if explicit {
            return true;
        }
        if keyword_text(keyword).is_some_and(|word| listed(NEEDS_AS, word)) {
            return false;
        }
        self.is_column_alias(keyword, parser)
    }

    fn is_table_factor_alias(&self, explicit: bool, keyword: &Keyword, parser: &mut Parser) -> bool {
        if keyword_text(keyword).is_some_and(|word| is_reserved(word) || listed(TYPE_FUNCTION_NAME, word)) {
            return false;
        }
        explicit || self.is_table_alias(keyword, parser)
    }

    fn is_table_alias(&self, keyword: &Keyword, parser: &mut Parser) -> bool {
        PostgreSqlDialect {}.is_table_alias(keyword, parser)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        PostgreSqlDialect {}.get_next_precedence(parser)
    }

    delegate! {
        identifier_quote_style(&self, identifier: &str) -> Option<char>;
        is_delimited_identifier_start(&self, ch: char) -> bool;
        is_identifier_start(&self, ch: char) -> bool;
        is_identifier_part(&self, ch: char) -> bool;
        supports_unicode_string_literal(&self) -> bool;
        is_reserved_for_identifier(&self, keyword: Keyword) -> bool;
        is_custom_operator_part(&self, ch: char) -> bool;
        supports_filter_during_aggregation(&self) -> bool;
        supports_group_by_expr(&self) -> bool;
        supports_alter_user_as_alter_role(&self) -> bool;
        prec_value(&self, precedence: Precedence) -> u8;
        allow_extract_custom(&self) -> bool;
        allow_extract_single_quotes(&self) -> bool;
        supports_create_index_with_clause(&self) -> bool;
        supports_explain_with_utility_options(&self) -> bool;
        supports_listen_notify(&self) -> bool;
        supports_exclude_constraint(&self) -> bool;
        supports_factorial_operator(&self) -> bool;
        supports_bitwise_shift_operators(&self) -> bool;
        supports_comment_on(&self) -> bool;
        supports_load_extension(&self) -> bool;
        supports_named_fn_args_with_colon_operator(&self) -> bool;
        supports_named_fn_args_with_expr_name(&self) -> bool;
        supports_empty_projections(&self) -> bool;
        supports_nested_comments(&self) -> bool;
        supports_string_escape_constant(&self) -> bool;
        supports_numeric_literal_underscores(&self) -> bool;
        supports_array_typedef_with_brackets(&self) -> bool;
        supports_geometric_types(&self) -> bool;
        supports_order_by_using_operator(&self) -> bool;
        supports_set_names(&self) -> bool;
        supports_alter_column_type_using(&self) -> bool;
        supports_left_associative_joins_without_parens(&self) -> bool;
        supports_notnull_operator(&self) -> bool;
        supports_interval_options(&self) -> bool;
        supports_insert_table_alias(&self) -> bool;
        supports_create_table_like_parenthesized(&self) -> bool;
        supports_select_wildcard_with_alias(&self) -> bool;
        supports_comma_separated_trim(&self) -> bool;
        supports_xml_expressions(&self) -> bool;
        supports_aliased_function_args(&self) -> bool;
        supports_comment_optimizer_hint(&self) -> bool;
    }
}
