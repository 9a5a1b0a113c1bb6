//! `VACUUM`, read by the hand parser of `access` in PostgreSQL's grammar (sqlparser's is Redshift's):
//!
//! ```text
//! VACUUM [ ( option [ value ] [, ...] ) ] [ FULL ] [ FREEZE ] [ VERBOSE ] [ ANALYZE ] [ table [ (column, ...) ] [, ...] ]
//! ```
//!
//! occam collects old row versions by itself (`txn::gc`), so what VACUUM asks of storage has nothing left to
//! do; only its ANALYZE part has an effect. The options are checked as PostgreSQL checks them; which mode
//! accepts the statement at all is the session's rules' decision (DSQL refuses VACUUM).

use sqlparser::tokenizer::Token;

use super::access::TokenReader;
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{ObjectName, Statement};

/// PostgreSQL 15's VACUUM options (the parenthesized form), with whether they take a boolean value.
const BOOLEAN_OPTIONS: &[&str] =
    &["full", "freeze", "verbose", "analyze", "disable_page_skipping", "skip_locked", "process_toast", "truncate"];

impl TokenReader<'_> {
    pub(super) fn vacuum(&mut self) -> Result<Statement> {
        self.expect_word("vacuum")?;
        let mut analyze = false;
        if matches!(self.peek().token, Token::LParen) {
            self.advance();
            loop {
                let option = self.identifier()?;
                let value = self.option_value()?;
                match option.as_str() {
                    "analyze" => analyze = value.unwrap_or(true),
                    name if BOOLEAN_OPTIONS.contains(&name) => {}
                    // INDEX_CLEANUP takes AUTO too, PARALLEL a number of workers.
                    "index_cleanup" | "parallel" => {}
                    _ => {
                        return Err(Error::syntax(format!("unrecognized VACUUM option \"{option}\"")));
                    }
                }
                if matches!(self.peek().token, Token::Comma) {
                    self.advance();
                    continue;
                }
                if !matches!(self.advance().token, Token::RParen) {
                    return Err(self.error());
                }
                break;
            }
        } else {
            // The old form: its keywords in this order, each optional.
            for word in ["full", "freeze", "verbose"] {
                self.eat_word(word);
            }
            analyze = self.eat_word("analyze") || self.eat_word("analyse");
            self.eat_word("verbose");
        }
        let mut tables: Vec<(ObjectName, Vec<String>)> = Vec::new();
        while !self.at_end() {
            let name = self.object_name()?;
            let mut columns = Vec::new();
            if matches!(self.peek().token, Token::LParen) {
                self.advance();
                loop {
                    columns.push(self.identifier()?);
                    match self.advance().token {
                        Token::Comma => continue,
                        Token::RParen => break,
                        _ => return Err(self.error()),
                    }
                }
            }
            if !columns.is_empty() && !analyze {
                return Err(Error::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    "ANALYZE option must be specified when a column list is provided",
                ));
            }
            tables.push((name, columns));
            if matches!(self.peek().token, Token::Comma) {
                self.advance();
            } else if !self.at_end() {
                return Err(self.error());
            }
        }
        Ok(Statement::Vacuum { analyze, tables })
    }

    /// A parenthesized option's value: a boolean word, `on` / `off`, a number, or none (`AUTO` for
    /// INDEX_CLEANUP, a number for PARALLEL); None when there is no value.
    fn option_value(&mut self) -> Result<Option<bool>> {
        let value = match &self.peek().token {
            Token::Comma | Token::RParen => return Ok(None),
            Token::Word(w) => w.value.to_ascii_lowercase(),
            Token::Number(n, _) => n.clone(),
            Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
            _ => return Err(self.error()),
        };
        self.advance();
        Ok(match value.as_str() {
            "true" | "on" | "1" | "yes" => Some(true),
            "false" | "off" | "0" | "no" => Some(false),
            _ => None,
        })
    }
}
