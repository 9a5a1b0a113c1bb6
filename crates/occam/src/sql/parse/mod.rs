//! SQL text -> occam's AST, through sqlparser's PostgreSQL dialect.
//!
//! ```text
//!   text --tokenize--> tokens with line/column spans --sqlparser--> sqlparser AST --translate--> ast::Statement
//! ```
//!
//! sqlparser does the grammar; this module does what PostgreSQL's parser does around it:
//! - errors in PostgreSQL's words (`syntax error at or near "FORM"`, SQLSTATE 42601) with the 1-based
//!   character position in the whole query string (sqlparser reports line/column; [`Source`] converts);
//! - identifier case folding (unquoted -> lower case, quoted kept as written);
//! - literal typing (int4 / int8 / numeric), type names (`int4`, `character varying(10)`, ...), refusals of
//!   what occam cannot express yet (0A000, naming the feature) and of what Aurora DSQL refuses (`serial`,
//!   `TEMPORARY` tables, ...), with DSQL's exact messages where they are known;
//! - DSQL-only syntax sqlparser does not know is taken out of the tokens before it parses (`ALTER TABLE
//!   ASYNC`'s `ASYNC`, recorded by location); `AWS IAM GRANT / REVOKE` and `CREATE ROLE / USER` are read by
//!   a small hand parser (`access`).
//!
//! A query string may hold several statements. As in PostgreSQL, a syntax error anywhere fails the whole
//! string before anything runs; [`parse_each`] keeps the later, per-statement refusals apart so a caller can
//! run the statements before a refused one, as PostgreSQL would.
//!
//! Column references and function calls are wrapped in [`ast::Expr::Positioned`] so the planner can point at
//! them in 42703 / 42883 errors. Expressions compared structurally (GROUP BY against the select list) should
//! go through [`strip_positions`] first.

mod access;
mod alter_table;
mod depth;
mod dialect;
mod expr;
mod function;
pub use function::{body_of, select_of};
mod merge;
mod query;
mod render;
mod sequence;
mod statement;
#[cfg(test)]
mod tests;
mod vacuum;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, TokenizerError};

use super::ast;
use crate::error::{sqlstate, Error, Result};

pub use render::{expression_to_sql, query_to_sql, strip_positions, strip_positions_in_query};

/// Parses a query string that may contain several `;`-separated statements (empty string or only `;` →
/// empty Vec). The first error fails the whole string.
pub fn parse(sql: &str) -> Result<Vec<ast::Statement>> {
    parse_each(sql)?.into_iter().collect()
}

/// Parses a query string, separating the two kinds of failure PostgreSQL separates: the outer error is a
/// syntax error anywhere in the string (nothing may run), the inner ones are statements that parsed but that
/// occam refuses (0A000, unknown types, ...), which PostgreSQL would only report when execution reaches them.
pub fn parse_each(sql: &str) -> Result<Vec<Result<ast::Statement>>> {
    let source = Source::new(sql)?;
    let dialect = dialect::Postgres::new();
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(source.tokens.clone());
    let translator = Translator { source: &source, record_positions: true };
    let mut statements = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        if parser.peek_token_ref().token == Token::EOF {
            break;
        }
        if let Some(statement) = access::hand_parsed_statement(&mut parser, &source)? {
            statements.push(statement);
            continue;
        }
        if let Some(statement) = comment_on_function(&mut parser, &source, &translator)? {
            statements.push(statement);
            continue;
        }
        if let Some(statement) = refresh_statement(&mut parser, &source, &translator)? {
            statements.push(Ok(statement));
            continue;
        }
        if let Some(statement) = create_table_as_with_names(&mut parser, &source, &translator)? {
            statements.push(statement);
            continue;
        }
        if let Some(statement) = set_constraints_statement(&mut parser, &source)? {
            statements.push(Ok(statement));
            continue;
        }
        if let Some(statement) = fetch_statement(&mut parser, &source)? {
            statements.push(Ok(statement));
            continue;
        }
        if let Some(refusal) = unparsed_refusal(&parser) {
            // sqlparser cannot parse these; skip to the end of the statement and refuse it.
            while !matches!(parser.peek_token_ref().token, Token::SemiColon | Token::EOF) {
                parser.advance_token();
            }
            statements.push(Err(refusal));
            continue;
        }
        // SET's values are key words in PostgreSQL (`SET x = on`) but go through sqlparser's expression parser.
        let is_set = matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::SET);
        dialect.set_strict_expressions(!is_set);
        let start = parser.get_current_index();
        // sqlparser reads `SELECT * FORM t` as `*` aliased FORM and fails later; PostgreSQL fails at FORM.
        let earliest = |err: Error| match source.wildcard_alias(start) {
            Some(alias) if err.position.is_none_or(|p| source.position(alias.span.start) < Some(p)) => {
                source.syntax_error_at(alias)
            }
            _ => err,
        };
        let materialized = materialized_view_tokens(&parser, &source.tokens);
        let own_tokens =
            copy_statement_tokens(&parser, &source.tokens).or_else(|| materialized.as_ref().map(|(t, _)| t.clone()));
        let parsed = match own_tokens {
            // sqlparser reads what follows `COPY ... FROM STDIN;` as inline data (pg_dump's scripts); in a
            // query string it is the next statement, so COPY is parsed on its own tokens.
            Some(tokens) => {
                let mut copy_parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
                let parsed = copy_parser.parse_statement().map_err(|err| source.parser_error(err, &copy_parser));
                let next = copy_parser.peek_token();
                while !matches!(parser.peek_token_ref().token, Token::SemiColon | Token::EOF) {
                    parser.advance_token();
                }
                match parsed {
                    Ok(_) if next.token != Token::EOF => Err(source.syntax_error_at(&next)),
                    other => other,
                }
            }
            None => parser.parse_statement().map_err(|err| source.parser_error(err, &parser)),
        };
        let mut statement = parsed.map_err(earliest)?;
        let next = parser.peek_token();
        if !matches!(next.token, Token::SemiColon | Token::EOF) {
            depth::dismantle(statement);
            return Err(earliest(source.syntax_error_at(&next)));
        }
        match depth::bound_statement(&mut statement) {
            Ok(()) => {
                let mut translated = translator.statement(statement);
                if let (Some((_, with_data)), Ok(ast::Statement::CreateTableAs(create))) =
                    (&materialized, &mut translated)
                {
                    create.with_data = *with_data;
                }
                statements.push(translated)
            }
            Err(too_deep) => statements.push(Err(too_deep)),
        }
    }
    Ok(statements)
}

/// For `CREATE MATERIALIZED VIEW ... AS query WITH [NO] DATA` at the parser's position (sqlparser has no
/// grammar for the trailing clause): the statement's tokens with that clause blanked out (as
/// [`copy_statement_tokens`] cuts them), and whether it asks for data.
fn materialized_view_tokens(parser: &Parser, tokens: &[TokenWithSpan]) -> Option<(Vec<TokenWithSpan>, bool)> {
    let word = |n: usize, keyword: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == keyword);
    if !(word(0, Keyword::CREATE) && word(1, Keyword::MATERIALIZED) && word(2, Keyword::VIEW)) {
        return None;
    }
    let mut statement = copy_statement_tokens_from(parser, tokens, Keyword::CREATE)?;
    let significant = significant_tokens(&statement);
    let is = |i: usize, keyword: Keyword| matches!(&statement[i].token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none());
    let (clause, with_data) = match significant.as_slice() {
        [.., with, no, data] if is(*with, Keyword::WITH) && is(*no, Keyword::NO) && is(*data, Keyword::DATA) => {
            (vec![*with, *no, *data], false)
        }
        [.., with, data] if is(*with, Keyword::WITH) && is(*data, Keyword::DATA) => (vec![*with, *data], true),
        _ => return None,
    };
    for i in clause {
        statement[i] =
            TokenWithSpan::new(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space), statement[i].span);
    }
    Some((statement, with_data))
}

/// For a COPY statement at the parser's position: the query string's tokens up to the end of that statement,
/// those before it blanked out (so positions stay those of the whole string).
fn copy_statement_tokens(parser: &Parser, tokens: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    if !matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::COPY) {
        return None;
    }
    let mut statement = copy_statement_tokens_from(parser, tokens, Keyword::COPY)?;
    spell_copy_booleans(&mut statement);
    Some(statement)
}

/// PostgreSQL reads a COPY option's boolean as `true` / `false`, `on` / `off` or `1` / `0` (pgbench -i
/// writes `WITH (freeze on)`); sqlparser knows only the first pair, so the others are spelled that way.
fn spell_copy_booleans(statement: &mut [TokenWithSpan]) {
    let significant = significant_tokens(statement);
    for pair in significant.windows(2) {
        let (option, value) = (pair[0], pair[1]);
        if !matches!(unquoted_word(statement, option).as_deref(), Some("FREEZE" | "HEADER")) {
            continue;
        }
        let spelled = match &statement[value].token {
            Token::Word(w) if w.quote_style.is_none() => match w.value.to_ascii_lowercase().as_str() {
                "on" => "TRUE",
                "off" => "FALSE",
                _ => continue,
            },
            Token::Number(n, _) if n == "1" => "TRUE",
            Token::Number(n, _) if n == "0" => "FALSE",
            _ => continue,
        };
        statement[value] = TokenWithSpan::new(Token::make_keyword(spelled), statement[value].span);
    }
}

/// The tokens of the statement at the parser's position, which starts with `first`: the query string's
/// tokens up to the end of that statement, those before it blanked out.
fn copy_statement_tokens_from(parser: &Parser, tokens: &[TokenWithSpan], first: Keyword) -> Option<Vec<TokenWithSpan>> {
    let is_copy = |t: &TokenWithSpan| matches!(&t.token, Token::Word(w) if w.keyword == first);
    let from = parser.get_current_index();
    let start = from + tokens[from..].iter().position(is_copy)?;
    let mut depth = 0usize;
    let end = tokens[start..]
        .iter()
        .position(|t| match t.token {
            Token::LParen => {
                depth += 1;
                false
            }
            Token::RParen => {
                depth = depth.saturating_sub(1);
                false
            }
            Token::SemiColon => depth == 0,
            _ => false,
        })
        .map_or(tokens.len(), |offset| start + offset);
    let blank =
        |t: &TokenWithSpan| TokenWithSpan::new(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space), t.span);
    Some(tokens[..start].iter().map(blank).chain(tokens[start..end].iter().cloned()).collect())
}

/// A stored query's SQL (a view's, as sqlparser printed it) with every FROM reference to relation `from`
/// made a reference to `to`, aliased `from` where it had no alias so that columns qualified by the old name
/// still resolve (PostgreSQL's views follow a renamed table, and its deparser shows `t2 t` the same way).
pub fn rename_relation_in_query(sql: &str, from: &str, to: &str) -> Result<String> {
    use sqlparser::ast::{self as sp, VisitorMut};
    use std::ops::ControlFlow;
    struct Renamer<'a> {
        from: &'a str,
        to: &'a str,
    }
    impl VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut sp::TableFactor) -> ControlFlow<()> {
            if let sp::TableFactor::Table { name, alias, args: None, .. } = factor {
                let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(expr::fold_ident).collect();
                let names_it = match parts.as_slice() {
                    [table] => table == self.from,
                    [schema, table] => schema == crate::catalog::PUBLIC_SCHEMA && table == self.from,
                    _ => false,
                };
                if names_it {
                    *name = sp::ObjectName::from(vec![quoted_ident(self.to)]);
                    if alias.is_none() {
                        *alias = Some(sp::TableAlias {
                            explicit: false,
                            name: quoted_ident(self.from),
                            columns: Vec::new(),
                            at: None,
                        });
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    fn quoted_ident(name: &str) -> sqlparser::ast::Ident {
        let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if plain {
            sqlparser::ast::Ident::new(name)
        } else {
            sqlparser::ast::Ident::with_quote('"', name)
        }
    }
    rewrite_stored_query(sql, &mut Renamer { from, to })
}

/// A stored query's SQL (as sqlparser printed it) parsed, walked by `visitor` and printed again.
fn rewrite_stored_query<V: sqlparser::ast::VisitorMut>(sql: &str, visitor: &mut V) -> Result<String> {
    use sqlparser::ast::VisitMut;
    let dialect = dialect::Postgres::new();
    let mut query = Parser::new(&dialect)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_query())
        .map_err(|err| Error::internal(format!("a stored query does not parse: {err}")))?;
    let _ = query.visit(visitor);
    Ok(query.to_string())
}

/// A stored query's SQL with each unqualified relation name for which `schema_of` gives a schema written
/// as `schema.name` (`pg_get_viewdef` qualifies what the reader's `search_path` would not find, so that
/// pg_dump's output, read with an empty `search_path`, means the same relations).
pub fn qualify_relations_in_query(sql: &str, schema_of: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    use sqlparser::ast::{self as sp, VisitorMut};
    use std::ops::ControlFlow;
    struct Qualifier<'a> {
        schema_of: &'a dyn Fn(&str) -> Option<String>,
    }
    impl VisitorMut for Qualifier<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut sp::TableFactor) -> ControlFlow<()> {
            if let sp::TableFactor::Table { name, args: None, .. } = factor {
                if let [part] = name.0.as_slice() {
                    if let Some(ident) = part.as_ident() {
                        if let Some(schema) = (self.schema_of)(&expr::fold_ident(ident)) {
                            name.0.insert(0, sp::ObjectNamePart::Identifier(sp::Ident::new(schema)));
                        }
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    rewrite_stored_query(sql, &mut Qualifier { schema_of })
}

/// A type name as SQL writes it (`integer`, `character varying(10)`, `pg_catalog.int4`, `text[]`), for
/// `'...'::regtype`.
pub fn parse_type_name(name: &str) -> Result<crate::types::DataType> {
    match parse_expression(&format!("NULL::{name}"))? {
        ast::Expr::Cast { data_type, .. } => Ok(data_type),
        _ => Err(Error::syntax("invalid type name")),
    }
}

/// Parses one scalar expression (used to re-read stored column DEFAULT expressions). The result carries no
/// `Positioned` nodes: positions in a stored text mean nothing to the statement that uses it.
pub fn parse_expression(sql: &str) -> Result<ast::Expr> {
    let source = Source::new(sql)?;
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(source.tokens.clone());
    let mut expr = parser.parse_expr().map_err(|err| source.parser_error(err, &parser))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        depth::dismantle_expr(expr);
        return Err(source.syntax_error_at(&next));
    }
    depth::bound_expr(&mut expr)?;
    Translator { source: &source, record_positions: false }.expr(&expr)
}

/// Parses one stored query (a view's definition). Like [`parse_expression`], the result carries no
/// `Positioned` nodes.
pub fn parse_query(sql: &str) -> Result<ast::Query> {
    match parse(sql)?.as_slice() {
        [ast::Statement::Query(query)] => Ok(strip_positions_in_query(query)),
        _ => Err(Error::internal(format!("a stored view definition is not one query: {sql}"))),
    }
}

/// `SET CONSTRAINTS {ALL | name [, ...]} {DEFERRED | IMMEDIATE}`, which sqlparser has no grammar for; None
/// when the statement does not start with `SET CONSTRAINTS`.
fn set_constraints_statement(parser: &mut Parser, source: &Source) -> Result<Option<ast::Statement>> {
    let is_word = |parser: &Parser, i: usize, text: &str| matches!(&parser.peek_nth_token_ref(i).token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text));
    if !is_word(parser, 0, "set") || !is_word(parser, 1, "constraints") {
        return Ok(None);
    }
    parser.advance_token();
    parser.advance_token();
    let names = match parser.parse_keyword(Keyword::ALL) {
        true => None,
        false => Some(
            parser
                .parse_comma_separated(|p| p.parse_object_name(false))
                .map_err(|err| source.parser_error(err, parser))?,
        ),
    };
    let deferred = parser.parse_keyword(Keyword::DEFERRED);
    if !deferred && !parser.parse_keyword(Keyword::IMMEDIATE) {
        return Err(source.syntax_error_at(&parser.peek_token()));
    }
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return Err(source.syntax_error_at(&next));
    }
    let translator = Translator { source, record_positions: false };
    let names = match names {
        None => None,
        Some(names) => Some(names.iter().map(|name| translator.object_name(name)).collect::<Result<Vec<_>>>()?),
    };
    Ok(Some(ast::Statement::Session(ast::SessionCommand::SetConstraints { names, deferred })))
}

/// `FETCH | MOVE [direction] [FROM | IN] cursor`, parsed here (sqlparser has no MOVE and no signed counts):
/// the direction `NEXT`, `PRIOR`, `FIRST`, `LAST`, `ABSOLUTE n`, `RELATIVE n`, `n`, `ALL`, `FORWARD [n | ALL]`,
/// `BACKWARD [n | ALL]` (default NEXT). None when the statement is neither.
fn fetch_statement(parser: &mut Parser, source: &Source) -> Result<Option<ast::Statement>> {
    use crate::cursors::FetchDirection as D;
    let is_word = |parser: &Parser, text: &str| matches!(&parser.peek_token_ref().token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text));
    let move_only = is_word(parser, "move");
    if !move_only && !is_word(parser, "fetch") {
        return Ok(None);
    }
    parser.advance_token();
    // A signed count at the parser's position, if there is one.
    let count = |parser: &mut Parser| -> Result<Option<i64>> {
        let negative = match parser.peek_token_ref().token {
            Token::Minus => true,
            Token::Plus => false,
            Token::Number(..) => false,
            _ => return Ok(None),
        };
        if matches!(parser.peek_token_ref().token, Token::Minus | Token::Plus) {
            parser.advance_token();
        }
        let token = parser.next_token();
        let Token::Number(digits, _) = &token.token else { return Err(source.syntax_error_at(&token)) };
        let value: i64 = digits.parse().map_err(|_| source.syntax_error_at(&token))?;
        Ok(Some(if negative { -value } else { value }))
    };
    let keyword = |parser: &mut Parser, text: &str| {
        let found = is_word(parser, text);
        if found {
            parser.advance_token();
        }
        found
    };
    let direction = if keyword(parser, "next") {
        D::Forward(Some(1))
    } else if keyword(parser, "prior") {
        D::Backward(Some(1))
    } else if keyword(parser, "first") {
        D::Absolute(1)
    } else if keyword(parser, "last") {
        D::Absolute(-1)
    } else if is_word(parser, "absolute") || is_word(parser, "relative") {
        let relative = keyword(parser, "relative");
        if !relative {
            parser.advance_token();
        }
        let token = parser.peek_token();
        let n = count(parser)?.ok_or_else(|| source.syntax_error_at(&token))?;
        if relative {
            D::Relative(n)
        } else {
            D::Absolute(n)
        }
    } else if keyword(parser, "all") {
        D::Forward(None)
    } else if keyword(parser, "forward") {
        if keyword(parser, "all") {
            D::Forward(None)
        } else {
            count(parser)?.map_or(D::Forward(Some(1)), D::forward)
        }
    } else if keyword(parser, "backward") {
        if keyword(parser, "all") {
            D::Backward(None)
        } else {
            count(parser)?.map_or(D::Backward(Some(1)), |n| D::forward(-n))
        }
    } else {
        count(parser)?.map_or(D::Forward(Some(1)), D::forward)
    };
    if !keyword(parser, "from") {
        keyword(parser, "in");
    }
    let token = parser.next_token();
    let Token::Word(word) = &token.token else { return Err(source.syntax_error_at(&token)) };
    let name = expr::fold_ident(&word.to_ident(token.span));
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return Err(source.syntax_error_at(&next));
    }
    Ok(Some(ast::Statement::Session(ast::SessionCommand::Fetch { name, direction, move_only })))
}

/// `COMMENT ON FUNCTION name [(type, ...)] IS 'text' | NULL`: sqlparser reads no argument list there. None
/// when the statement is not a COMMENT ON FUNCTION.
fn comment_on_function(
    parser: &mut Parser,
    source: &Source,
    translator: &Translator,
) -> Result<Option<Result<ast::Statement>>> {
    let word = |n: usize, keyword: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == keyword);
    if !(word(0, Keyword::COMMENT) && word(1, Keyword::ON) && word(2, Keyword::FUNCTION)) {
        return Ok(None);
    }
    for _ in 0..3 {
        parser.advance_token();
    }
    let name = parser.parse_object_name(false).map_err(|err| source.parser_error(err, parser))?;
    let mut types = None;
    if parser.consume_token(&Token::LParen) {
        let mut list = Vec::new();
        if !parser.consume_token(&Token::RParen) {
            list = parser
                .parse_comma_separated(Parser::parse_data_type)
                .map_err(|err| source.parser_error(err, parser))?;
            parser.expect_token(&Token::RParen).map_err(|err| source.parser_error(err, parser))?;
        }
        types = Some(list);
    }
    parser.expect_keyword(Keyword::IS).map_err(|err| source.parser_error(err, parser))?;
    let text = if parser.parse_keyword(Keyword::NULL) {
        None
    } else {
        Some(parser.parse_literal_string().map_err(|err| source.parser_error(err, parser))?)
    };
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return Err(source.syntax_error_at(&next));
    }
    let statement = (|| {
        let params = match types {
            Some(list) => Some(list.iter().map(|t| translator.data_type(t)).collect::<Result<Vec<_>>>()?),
            None => None,
        };
        let function = ast::FunctionSignature { name: translator.object_name(&name)?, params };
        Ok(ast::Statement::CommentOnFunction { function, text })
    })();
    Ok(Some(statement))
}

/// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`, which sqlparser has no grammar for;
/// None when the statement does not start with REFRESH.
fn refresh_statement(parser: &mut Parser, source: &Source, translator: &Translator) -> Result<Option<ast::Statement>> {
    if !matches!(&parser.peek_token_ref().token, Token::Word(w) if w.keyword == Keyword::REFRESH) {
        return Ok(None);
    }
    parser.advance_token();
    if !parser.parse_keywords(&[Keyword::MATERIALIZED, Keyword::VIEW]) {
        return Err(source.syntax_error_at(&parser.peek_token()));
    }
    let concurrently = parser.parse_keyword(Keyword::CONCURRENTLY);
    let name = parser.parse_object_name(false).map_err(|err| source.parser_error(err, parser))?;
    let mut with_data = true;
    if parser.parse_keyword(Keyword::WITH) {
        with_data = !parser.parse_keyword(Keyword::NO);
        if !parser.parse_keyword(Keyword::DATA) {
            return Err(source.syntax_error_at(&parser.peek_token()));
        }
    }
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return Err(source.syntax_error_at(&next));
    }
    let name = translator.object_name(&name)?;
    Ok(Some(ast::Statement::RefreshMaterializedView { name, concurrently, with_data }))
}

/// `CREATE TABLE [IF NOT EXISTS] name (col, ...) AS query [WITH [NO] DATA]`: the column list without types
/// that sqlparser has no grammar for (PostgreSQL's names for the query's columns). None, consuming nothing,
/// for any other statement.
fn create_table_as_with_names(
    parser: &mut Parser,
    source: &Source,
    translator: &Translator,
) -> Result<Option<Result<ast::Statement>>> {
    let word = |n: usize, keyword: Keyword| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(w) if w.keyword == keyword);
    if !(word(0, Keyword::CREATE) && word(1, Keyword::TABLE)) {
        return Ok(None);
    }
    let mut n = 2;
    let if_not_exists = word(2, Keyword::IF) && word(3, Keyword::NOT) && word(4, Keyword::EXISTS);
    if if_not_exists {
        n = 5;
    }
    // name [. name] ( ident [, ident]* ) AS
    let is_ident = |n: usize| matches!(&parser.peek_nth_token_ref(n).token, Token::Word(_));
    if !is_ident(n) {
        return Ok(None);
    }
    n += 1;
    if parser.peek_nth_token_ref(n).token == Token::Period {
        if !is_ident(n + 1) {
            return Ok(None);
        }
        n += 2;
    }
    if parser.peek_nth_token_ref(n).token != Token::LParen {
        return Ok(None);
    }
    n += 1;
    loop {
        if !is_ident(n) {
            return Ok(None);
        }
        n += 1;
        match parser.peek_nth_token_ref(n).token {
            Token::Comma => n += 1,
            Token::RParen => break,
            _ => return Ok(None),
        }
    }
    if !word(n + 1, Keyword::AS) {
        return Ok(None);
    }
    // The shape matched: read it.
    for _ in 0..(if if_not_exists { 5 } else { 2 }) {
        parser.advance_token();
    }
    let name = parser.parse_object_name(false).map_err(|err| source.parser_error(err, parser))?;
    let columns = parser
        .parse_parenthesized_column_list(sqlparser::parser::IsOptional::Mandatory, false)
        .map_err(|err| source.parser_error(err, parser))?;
    parser.advance_token(); // AS
    let query = parser.parse_query().map_err(|err| source.parser_error(err, parser))?;
    let with_data = if parser.parse_keyword(Keyword::WITH) {
        let no = parser.parse_keyword(Keyword::NO);
        if !parser.parse_keyword(Keyword::DATA) {
            return Err(source.syntax_error_at(&parser.peek_token()));
        }
        !no
    } else {
        true
    };
    let next = parser.peek_token();
    if !matches!(next.token, Token::SemiColon | Token::EOF) {
        return Err(source.syntax_error_at(&next));
    }
    // As every statement: a query nested too deep for the translator is refused (54001), not recursed into.
    let mut wrapped = sqlparser::ast::Statement::Query(query);
    if let Err(too_deep) = depth::bound_statement(&mut wrapped) {
        return Ok(Some(Err(too_deep)));
    }
    let sqlparser::ast::Statement::Query(query) = wrapped else { unreachable!("wrapped a query") };
    let statement = (|| {
        Ok(ast::Statement::CreateTableAs(ast::CreateTableAs {
            name: translator.object_name(&name)?,
            if_not_exists,
            temporary: None,
            columns: columns.iter().map(expr::fold_ident).collect(),
            query: Box::new(translator.query(&query)?),
            sql: query.to_string(),
            materialized: false,
            with_data,
        }))
    })();
    Ok(Some(statement))
}

/// The positions of the tokens that are not whitespace.
fn significant_tokens(tokens: &[TokenWithSpan]) -> Vec<usize> {
    (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_))).collect()
}

/// The unquoted word at `i`, upper case (None for anything else).
fn unquoted_word(tokens: &[TokenWithSpan], i: usize) -> Option<String> {
    match tokens.get(i).map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// DSQL's `ALTER TABLE ASYNC t ...`: records the location of the table name of each and blanks the
/// `ASYNC` word, so sqlparser reads a plain ALTER TABLE and the translator takes the flag back by location.
fn take_async_alters(tokens: &mut [TokenWithSpan]) -> Vec<Location> {
    let significant = significant_tokens(tokens);
    let mut out = Vec::new();
    for n in 0..significant.len() {
        let word = |k: usize| significant.get(n + k).and_then(|&j| unquoted_word(tokens, j));
        if word(0).as_deref() != Some("ALTER") || word(1).as_deref() != Some("TABLE") {
            continue;
        }
        if word(2).as_deref() != Some("ASYNC") || significant.get(n + 3).is_none() {
            continue;
        }
        out.push(tokens[significant[n + 3]].span.start);
        tokens[significant[n + 2]].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    }
    out
}

/// sqlparser has no grammar for CREATE VIEW's trailing `WITH [CASCADED | LOCAL] CHECK OPTION`. This
/// records each (at the location of its `WITH`) and blanks its words, so sqlparser reads the view without it
/// and the translator takes it back by location. Only a clause that ends its statement is one.
fn take_check_options(tokens: &mut [TokenWithSpan]) -> Vec<(Location, Location, ast::CheckOption)> {
    let significant = significant_tokens(tokens);
    let mut out = Vec::new();
    let mut statement_start = significant.first().map(|&i| tokens[i].span.start);
    for n in 0..significant.len() {
        if tokens[significant[n]].token == Token::SemiColon {
            statement_start = significant.get(n + 1).map(|&i| tokens[i].span.start);
            continue;
        }
        if unquoted_word(tokens, significant[n]).as_deref() != Some("WITH") {
            continue;
        }
        let word = |k: usize| significant.get(n + k).and_then(|&j| unquoted_word(tokens, j));
        let (option, length) = match (word(1).as_deref(), word(2).as_deref(), word(3).as_deref()) {
            (Some("CHECK"), Some("OPTION"), _) => (ast::CheckOption::Cascaded, 3),
            (Some("CASCADED"), Some("CHECK"), Some("OPTION")) => (ast::CheckOption::Cascaded, 4),
            (Some("LOCAL"), Some("CHECK"), Some("OPTION")) => (ast::CheckOption::Local, 4),
            _ => continue,
        };
        let ends_statement =
            significant.get(n + length).is_none_or(|&j| matches!(tokens[j].token, Token::SemiColon | Token::EOF));
        if !ends_statement {
            continue;
        }
        let at = tokens[significant[n]].span.start;
        out.push((statement_start.unwrap_or(at), at, option));
        for k in 0..length {
            tokens[significant[n + k]].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        }
    }
    out
}

/// sqlparser knows only `FOR UPDATE` and `FOR SHARE`; PostgreSQL also has `FOR NO KEY UPDATE` and
/// `FOR KEY SHARE`. This records every locking clause's strength in text order and blanks the `NO KEY` /
/// `KEY` words (keeping every other token's span), so sqlparser parses the clause and the translator takes
/// the strengths back in the same order. `FOR` followed by these words is a locking clause and nothing else.
fn take_lock_strengths(tokens: &mut [TokenWithSpan]) -> std::collections::VecDeque<ast::LockStrength> {
    let mut strengths = std::collections::VecDeque::new();
    let significant = significant_tokens(tokens);
    for (n, &i) in significant.iter().enumerate() {
        if unquoted_word(tokens, i).as_deref() != Some("FOR") {
            continue;
        }
        let next: Vec<Option<String>> =
            (1..=3).map(|k| significant.get(n + k).and_then(|&j| unquoted_word(tokens, j))).collect();
        let (strength, blank) = match (next[0].as_deref(), next[1].as_deref(), next[2].as_deref()) {
            (Some("UPDATE"), ..) => (ast::LockStrength::Update, 0),
            (Some("SHARE"), ..) => (ast::LockStrength::Share, 0),
            (Some("NO"), Some("KEY"), Some("UPDATE")) => (ast::LockStrength::NoKeyUpdate, 2),
            (Some("KEY"), Some("SHARE"), _) => (ast::LockStrength::KeyShare, 1),
            _ => continue,
        };
        strengths.push_back(strength);
        for k in 1..=blank {
            let j = significant[n + k];
            tokens[j].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        }
    }
    strengths
}

/// sqlparser has no grammar for INSERT's `OVERRIDING {SYSTEM | USER} VALUE`. This records each such clause
/// with the location of `OVERRIDING` and blanks its three words, so sqlparser reads the INSERT without it
/// and the translator takes the clause back by location.
fn take_overriding(tokens: &mut [TokenWithSpan]) -> Vec<(Location, ast::Overriding)> {
    let significant = significant_tokens(tokens);
    let mut out = Vec::new();
    for n in 0..significant.len() {
        if unquoted_word(tokens, significant[n]).as_deref() != Some("OVERRIDING") {
            continue;
        }
        let next = |k: usize| significant.get(n + k).and_then(|&j| unquoted_word(tokens, j));
        let overriding = match (next(1).as_deref(), next(2).as_deref()) {
            (Some("SYSTEM"), Some("VALUE")) => ast::Overriding::SystemValue,
            (Some("USER"), Some("VALUE")) => ast::Overriding::UserValue,
            _ => continue,
        };
        out.push((tokens[significant[n]].span.start, overriding));
        for k in 0..3 {
            tokens[significant[n + k]].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        }
    }
    out
}

/// sqlparser reads an identity column's `AS IDENTITY (options)` only in one fixed order of options;
/// PostgreSQL takes any. This takes each parenthesised option list out of the tokens (blanked, so
/// sqlparser sees `AS IDENTITY` alone) and keeps it, in text order, for the sequence option parser. An
/// `AS IDENTITY` without options records an empty list, so the n-th identity of the text always meets the
/// n-th entry.
fn take_identity_options(tokens: &mut [TokenWithSpan]) -> std::collections::VecDeque<Vec<TokenWithSpan>> {
    let significant: Vec<usize> =
        (0..tokens.len()).filter(|&i| !matches!(tokens[i].token, Token::Whitespace(_))).collect();
    let is_word = |token: &Token, word: &str| matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word));
    let mut out = std::collections::VecDeque::new();
    let mut n = 0;
    while n + 1 < significant.len() {
        // `GENERATED ALWAYS AS IDENTITY` / `GENERATED BY DEFAULT AS IDENTITY`, not an alias named identity.
        let after_generated = n > 0
            && (is_word(&tokens[significant[n - 1]].token, "always")
                || is_word(&tokens[significant[n - 1]].token, "default"));
        if !(after_generated
            && is_word(&tokens[significant[n]].token, "as")
            && is_word(&tokens[significant[n + 1]].token, "identity"))
        {
            n += 1;
            continue;
        }
        n += 2;
        let mut options = Vec::new();
        if significant.get(n).is_some_and(|&i| tokens[i].token == Token::LParen) {
            let mut depth = 0;
            while let Some(&i) = significant.get(n) {
                let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                let token = std::mem::replace(&mut tokens[i].token, blank);
                n += 1;
                depth += match token {
                    Token::LParen => 1,
                    Token::RParen => -1,
                    _ => 0,
                };
                let outer = depth == 0 || (depth == 1 && token == Token::LParen);
                if !outer {
                    options.push(TokenWithSpan { token, span: tokens[i].span });
                }
                if depth == 0 {
                    break;
                }
            }
        }
        out.push_back(options);
    }
    out
}

/// PostgreSQL statements sqlparser has no grammar for and Aurora DSQL refuses, recognised by their leading
/// words and refused with DSQL's recorded wording (instead of a syntax error).
fn unparsed_refusal(parser: &Parser) -> Option<Error> {
    let word = |i: usize| match &parser.peek_nth_token_ref(i).token {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        _ => String::new(),
    };
    let message = match (word(0).as_str(), word(1).as_str(), word(2).as_str()) {
        ("CREATE", "TABLESPACE", _) => "unsupported statement: CreateTableSpace",
        ("CREATE", "FOREIGN", "TABLE") => "unsupported statement: CreateForeignTable",
        ("ALTER", "SYSTEM", _) => "unsupported statement: AlterSystem",
        _ => return None,
    };
    Some(Error::unsupported(message))
}

/// The query text with its tokens, and the conversion from sqlparser's line/column locations to
/// PostgreSQL's 1-based character positions.
pub(super) struct Source<'a> {
    text: &'a str,
    /// Character offset and byte offset at which each line starts (line 1 first).
    line_starts: Vec<(usize, usize)>,
    /// Every token including whitespace and comments, as the tokenizer produced them.
    tokens: Vec<TokenWithSpan>,
    /// The strength of each locking clause in the text, in order (see [`take_lock_strengths`]).
    lock_strengths: std::cell::RefCell<std::collections::VecDeque<ast::LockStrength>>,
    /// Each `OVERRIDING ... VALUE` clause of INSERT, at the location of its first word (see
    /// [`take_overriding`]).
    overriding: Vec<(Location, ast::Overriding)>,
    /// The tokens inside each `AS IDENTITY (...)`, in text order (see [`take_identity_options`]).
    identity_options: std::cell::RefCell<std::collections::VecDeque<Vec<TokenWithSpan>>>,
    /// Where the table name of each `ALTER TABLE ASYNC` starts (see [`take_async_alters`]).
    async_alters: Vec<Location>,
    /// Each trailing `WITH [CASCADED | LOCAL] CHECK OPTION` of CREATE VIEW, with where its statement starts
    /// and where its `WITH` is (see [`take_check_options`]).
    check_options: Vec<(Location, Location, ast::CheckOption)>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Result<Self> {
        let mut line_starts = vec![(0, 0)];
        for (chars, (bytes, ch)) in text.char_indices().enumerate() {
            if ch == '\n' {
                line_starts.push((chars + 1, bytes + 1));
            }
        }
        let mut source = Source {
            text,
            line_starts,
            tokens: Vec::new(),
            lock_strengths: Default::default(),
            overriding: Vec::new(),
            identity_options: Default::default(),
            async_alters: Vec::new(),
            check_options: Vec::new(),
        };
        let dialect = PostgreSqlDialect {};
        let mut tokens = Vec::new();
        let tokenized = Tokenizer::new(&dialect, text).with_unescape(true).tokenize_with_location_into_buf(&mut tokens);
        if let Err(err) = tokenized {
            return Err(source.tokenizer_error(err, &tokens));
        }
        source.lock_strengths = std::cell::RefCell::new(take_lock_strengths(&mut tokens));
        source.overriding = take_overriding(&mut tokens);
        source.identity_options = std::cell::RefCell::new(take_identity_options(&mut tokens));
        source.async_alters = take_async_alters(&mut tokens);
        source.check_options = take_check_options(&mut tokens);
        source.tokens = tokens;
        Ok(source)
    }

    /// The trailing CHECK OPTION of the CREATE VIEW whose name starts at `name`: the one of the statement
    /// the name is in.
    pub(super) fn check_option_after(&self, name: Location) -> Option<ast::CheckOption> {
        let key = |l: Location| (l.line, l.column);
        self.check_options
            .iter()
            .find(|(start, at, _)| key(*start) <= key(name) && key(name) < key(*at))
            .map(|(_, _, option)| *option)
    }

    /// Whether the ALTER TABLE whose table name starts at `name` was written `ALTER TABLE ASYNC`.
    pub(super) fn is_async_alter(&self, name: Location) -> bool {
        self.async_alters.contains(&name)
    }

    /// The tokens of the next `AS IDENTITY (...)` options of the text, if it has any.
    pub(super) fn next_identity_options(&self) -> Option<Vec<TokenWithSpan>> {
        self.identity_options.borrow_mut().pop_front()
    }

    /// The `OVERRIDING ... VALUE` clause written between two locations (an INSERT's first word and its
    /// source), if any.
    pub(super) fn overriding_between(&self, start: Location, end: Location) -> Option<ast::Overriding> {
        let key = |l: Location| (l.line, l.column);
        self.overriding
            .iter()
            .find(|(at, _)| key(*at) > key(start) && (end.line == 0 || key(*at) < key(end)))
            .map(|(_, overriding)| *overriding)
    }

    /// The strengths of the next `count` locking clauses of the text.
    pub(super) fn next_lock_strengths(&self, count: usize) -> Vec<ast::LockStrength> {
        let mut strengths = self.lock_strengths.borrow_mut();
        (0..count).filter_map(|_| strengths.pop_front()).collect()
    }

    /// 1-based character position of a location, as in PostgreSQL's ErrorResponse; None for the empty
    /// location sqlparser uses when it does not know.
    pub(super) fn position(&self, location: Location) -> Option<usize> {
        if location.line == 0 || location.column == 0 {
            return None;
        }
        let (line_chars, _) = *self.line_starts.get(location.line as usize - 1)?;
        Some(line_chars + location.column as usize)
    }

    /// Position of the end of the text (PostgreSQL's position for "at end of input").
    fn end_position(&self) -> usize {
        self.text.chars().count() + 1
    }

    /// Byte offset of a location in the text (clamped to the text).
    fn byte_offset(&self, location: Location) -> usize {
        let Some(&(_, line_bytes)) = self.line_starts.get((location.line as usize).saturating_sub(1)) else {
            return self.text.len();
        };
        let line = &self.text[line_bytes..];
        let column = (location.column as usize).saturating_sub(1);
        line_bytes + line.char_indices().nth(column).map_or(line.len(), |(offset, _)| offset)
    }

    /// The text of a token exactly as written.
    fn token_text(&self, token: &TokenWithSpan) -> &'a str {
        let start = self.byte_offset(token.span.start);
        let end = self.byte_offset(token.span.end).max(start);
        &self.text[start..end]
    }

    /// The first token that is not whitespace starting at or after `location`.
    pub(super) fn token_after(&self, location: Location) -> Option<&TokenWithSpan> {
        self.tokens.iter().find(|t| t.span.start >= location && !matches!(t.token, Token::Whitespace(_)))
    }

    /// The location of the first keyword `keyword` starting at or after `location`.
    pub(super) fn keyword_after(&self, location: Location, keyword: Keyword) -> Option<Location> {
        self.tokens
            .iter()
            .filter(|t| t.span.start >= location)
            .find(|t| matches!(&t.token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none()))
            .map(|t| t.span.start)
    }

    /// The last token that is the keyword `keyword` starting before `location`.
    pub(super) fn keyword_before(&self, location: Location, keyword: Keyword) -> Option<Location> {
        self.tokens
            .iter()
            .take_while(|t| t.span.start < location)
            .filter(|t| matches!(&t.token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none()))
            .last()
            .map(|t| t.span.start)
    }

    /// The first `*` in a select list followed by something sqlparser takes as an alias (`SELECT * FORM t`),
    /// scanning the statement that starts at token `start`.
    fn wildcard_alias(&self, start: usize) -> Option<&TokenWithSpan> {
        let mut tokens = self.tokens[start.min(self.tokens.len())..]
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .take_while(|t| t.token != Token::SemiColon);
        let mut before_star: Option<&TokenWithSpan> = None;
        let mut previous: Option<&TokenWithSpan> = None;
        for token in tokens.by_ref() {
            if let (Some(star), Some(before)) = (previous, before_star) {
                let starts_item = match &before.token {
                    Token::Comma | Token::Period => true,
                    Token::Word(w) => matches!(w.keyword, Keyword::SELECT | Keyword::DISTINCT | Keyword::ALL),
                    _ => false,
                };
                let alias_like = match &token.token {
                    Token::Word(w) => w.quote_style.is_some() || matches!(w.keyword, Keyword::NoKeyword | Keyword::AS),
                    _ => false,
                };
                if star.token == Token::Mul && starts_item && alias_like {
                    return Some(token);
                }
            }
            before_star = previous;
            previous = Some(token);
        }
        None
    }

    /// `syntax error at or near "tok"` at the token, or `syntax error at end of input`.
    fn syntax_error_at(&self, token: &TokenWithSpan) -> Error {
        match self.position(token.span.start) {
            Some(position) if token.token != Token::EOF => {
                Error::syntax(format!("syntax error at or near \"{}\"", self.token_text(token))).with_position(position)
            }
            _ => Error::syntax("syntax error at end of input").with_position(self.end_position()),
        }
    }

    fn parser_error(&self, err: ParserError, parser: &Parser) -> Error {
        let message = match err {
            ParserError::RecursionLimitExceeded => {
                return crate::stack::too_deep();
            }
            ParserError::TokenizerError(message) | ParserError::ParserError(message) => message,
        };
        // sqlparser appends " at Line: L, Column: C" for the offending token when it knows it.
        if let Some(location) = parse_location_suffix(&message) {
            if let Some(token) = self.tokens.iter().find(|t| t.span.start == location) {
                return self.syntax_error_at(token);
            }
            if let Some(position) = self.position(location) {
                return Error::syntax("syntax error").with_position(position);
            }
        }
        if message.contains("found: EOF") {
            return Error::syntax("syntax error at end of input").with_position(self.end_position());
        }
        // No location: blame the token the parser stopped at.
        let index = parser.get_current_index();
        match self.tokens.get(index) {
            Some(token) if !matches!(token.token, Token::Whitespace(_)) => self.syntax_error_at(token),
            _ => self.syntax_error_at(&parser.peek_token()),
        }
    }

    /// Tokenizer failures: unterminated literals and comments get PostgreSQL's wording, pointing at where the
    /// unterminated token starts (the end of the last complete token).
    fn tokenizer_error(&self, err: TokenizerError, complete: &[TokenWithSpan]) -> Error {
        let start = complete.last().map_or(Location { line: 1, column: 1 }, |t| t.span.end);
        let start_byte = self.byte_offset(start);
        let rest = &self.text[start_byte..];
        let what = if err.message.contains("dollar-quoted") {
            Some("unterminated dollar-quoted string")
        } else if err.message.contains("multi-line comment") {
            Some("unterminated /* comment")
        } else if err.message.starts_with("Unterminated") {
            Some("unterminated quoted string")
        } else {
            None
        };
        match what {
            Some(what) => {
                let position = self.position(start).unwrap_or(1);
                Error::syntax(format!("{what} at or near \"{}\"", rest.trim_end())).with_position(position)
            }
            None => {
                let position = self.position(err.location).unwrap_or(1);
                let near: String = self.text[self.byte_offset(err.location)..].chars().take(1).collect();
                if near.is_empty() {
                    Error::syntax("syntax error at end of input").with_position(self.end_position())
                } else {
                    Error::syntax(format!("syntax error at or near \"{near}\"")).with_position(position)
                }
            }
        }
    }
}

/// Extracts `Location` from sqlparser's " at Line: L, Column: C" message suffix.
fn parse_location_suffix(message: &str) -> Option<Location> {
    let at = message.rfind(" at Line: ")?;
    let rest = &message[at + " at Line: ".len()..];
    let (line, column) = rest.split_once(", Column: ")?;
    Some(Location { line: line.trim().parse().ok()?, column: column.trim().parse().ok()? })
}

/// Translates sqlparser's AST into occam's. Holds the source to turn spans into positions.
pub(super) struct Translator<'a> {
    source: &'a Source<'a>,
    /// Whether to wrap column references and calls in `Expr::Positioned`.
    record_positions: bool,
}

impl Translator<'_> {
    /// Position of a location, or None (unknown, or positions not recorded).
    fn position(&self, location: Location) -> Option<usize> {
        self.source.position(location)
    }

    /// Attaches a position to an error when it is known.
    fn at(&self, err: Error, location: Location) -> Error {
        match self.position(location) {
            Some(position) if err.position.is_none() => err.with_position(position),
            _ => err,
        }
    }
}

/// `Error` for a feature occam does not support (yet): SQLSTATE 0A000.
fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::new(sqlstate::FEATURE_NOT_SUPPORTED, format!("{what} is not supported yet"))
}
