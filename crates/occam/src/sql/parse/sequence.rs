//! Sequences and identity columns: an identity column's options through sqlparser, CREATE and ALTER
//! SEQUENCE by the hand parser of `access` (sqlparser has no ALTER SEQUENCE and wants CREATE SEQUENCE's
//! options in one fixed order, where PostgreSQL takes them in any).
//!
//! Option values must be integer constants, as in PostgreSQL's grammar (`INCREMENT BY -1` included). Each
//! option may be given once (42601 `conflicting or redundant options`).

use sqlparser::ast as sp;
use sqlparser::tokenizer::Token;

use super::access::TokenReader;
use super::Translator;
use crate::error::{Error, Result};
use crate::sql::ast::{ObjectName, SequenceOptions, SequenceStatement, Statement};
use crate::types::DataType;

fn redundant() -> Error {
    Error::syntax("conflicting or redundant options")
}

/// Sets `slot` once; a second value is 42601 as in PostgreSQL.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<()> {
    if slot.is_some() {
        return Err(redundant());
    }
    *slot = Some(value);
    Ok(())
}

/// An integer constant of a sequence option (`1`, `-5`, `+3`).
fn option_integer(expr: &sp::Expr) -> Result<i64> {
    match expr {
        sp::Expr::Value(v) => match &v.value {
            sp::Value::Number(text, _) => {
                text.parse::<i64>().map_err(|_| Error::syntax(format!("syntax error at or near \"{text}\"")))
            }
            other => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
        },
        sp::Expr::UnaryOp { op: sp::UnaryOperator::Minus, expr } => option_integer(expr).map(|n| -n),
        sp::Expr::UnaryOp { op: sp::UnaryOperator::Plus, expr } => option_integer(expr),
        other => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
    }
}

/// A sequence's `AS type`: only the integer types (22023 as in PostgreSQL otherwise).
pub(super) fn sequence_type(data_type: DataType) -> Result<DataType> {
    match data_type {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => Ok(data_type),
        _ => Err(Error::new(
            crate::error::sqlstate::INVALID_PARAMETER_VALUE,
            "sequence type must be smallint, integer, or bigint",
        )),
    }
}

impl Translator<'_> {
    /// The options of the next identity column in the text: `AS IDENTITY (options)` was taken out of the
    /// tokens before sqlparser saw them (see `take_identity_options`), because sqlparser wants them in one
    /// fixed order.
    pub(super) fn identity_options(&self) -> Result<SequenceOptions> {
        match self.source.next_identity_options() {
            Some(tokens) => TokenReader::new(tokens, self.source).sequence_options(false),
            None => Ok(SequenceOptions::default()),
        }
    }

    /// Sequence options as sqlparser read them.
    pub(super) fn sequence_options(&self, options: &[sp::SequenceOptions]) -> Result<SequenceOptions> {
        let mut out = SequenceOptions::default();
        for option in options {
            match option {
                sp::SequenceOptions::IncrementBy(expr, _) => set_once(&mut out.increment, option_integer(expr)?)?,
                sp::SequenceOptions::MinValue(expr) => {
                    set_once(&mut out.min_value, expr.as_ref().map(option_integer).transpose()?)?
                }
                sp::SequenceOptions::MaxValue(expr) => {
                    set_once(&mut out.max_value, expr.as_ref().map(option_integer).transpose()?)?
                }
                sp::SequenceOptions::StartWith(expr, _) => set_once(&mut out.start, option_integer(expr)?)?,
                sp::SequenceOptions::Cache(expr) => set_once(&mut out.cache, option_integer(expr)?)?,
                sp::SequenceOptions::Cycle(no_cycle) => set_once(&mut out.cycle, !no_cycle)?,
            }
        }
        Ok(out)
    }
}

impl TokenReader<'_> {
    /// `CREATE SEQUENCE [IF NOT EXISTS] name [option ...]` (`create`) or `ALTER SEQUENCE [IF EXISTS] name
    /// option ...`, after the words up to SEQUENCE.
    pub(super) fn sequence_statement(&mut self, create: bool) -> Result<Statement> {
        let if_clause = self.eat_word("if") && {
            if create {
                self.expect_word("not")?;
            }
            self.expect_word("exists")?;
            true
        };
        let name = self.object_name()?;
        if self.at_end() && !create {
            return Err(self.error());
        }
        let options = self.sequence_options(!create)?;
        Ok(Statement::Sequence(if create {
            SequenceStatement::Create { name, if_not_exists: if_clause, options }
        } else {
            SequenceStatement::Alter { name, if_exists: if_clause, options }
        }))
    }

    /// Sequence options up to the end of the tokens, in any order (`RESTART` only for ALTER SEQUENCE).
    pub(super) fn sequence_options(&mut self, alter: bool) -> Result<SequenceOptions> {
        let mut options = SequenceOptions::default();
        while !self.at_end() {
            if self.eat_word("as") {
                let type_name = self.identifier()?;
                let data_type = crate::sql::parse::parse_type_name(&type_name)?;
                set_once(&mut options.data_type, sequence_type(data_type)?)?;
            } else if self.eat_word("increment") {
                self.eat_word("by");
                set_once(&mut options.increment, self.integer()?)?;
            } else if self.eat_word("minvalue") {
                set_once(&mut options.min_value, Some(self.integer()?))?;
            } else if self.eat_word("maxvalue") {
                set_once(&mut options.max_value, Some(self.integer()?))?;
            } else if self.eat_word("no") {
                if self.eat_word("minvalue") {
                    set_once(&mut options.min_value, None)?;
                } else if self.eat_word("maxvalue") {
                    set_once(&mut options.max_value, None)?;
                } else {
                    self.expect_word("cycle")?;
                    set_once(&mut options.cycle, false)?;
                }
            } else if self.eat_word("cycle") {
                set_once(&mut options.cycle, true)?;
            } else if self.eat_word("start") {
                self.eat_word("with");
                set_once(&mut options.start, self.integer()?)?;
            } else if alter && self.eat_word("restart") {
                let with = self.eat_word("with");
                let value = if with || self.is_integer() { Some(self.integer()?) } else { None };
                set_once(&mut options.restart, value)?;
            } else if self.eat_word("cache") {
                set_once(&mut options.cache, self.integer()?)?;
            } else if self.eat_word("sequence") {
                self.expect_word("name")?;
                let mut parts = vec![self.identifier()?];
                while matches!(self.peek().token, Token::Period) {
                    self.advance();
                    parts.push(self.identifier()?);
                }
                let name = parts.pop().unwrap_or_default();
                if parts.len() > 1 {
                    return Err(Error::syntax("improper qualified name (too many dotted names)"));
                }
                set_once(&mut options.sequence_name, ObjectName { schema: parts.pop(), name })?;
            } else if self.eat_word("owned") {
                self.expect_word("by")?;
                let first = self.identifier()?;
                let owner = if first == "none" && self.at_end_of_option() {
                    None
                } else {
                    let mut parts = vec![first];
                    while matches!(self.peek().token, Token::Period) {
                        self.advance();
                        parts.push(self.identifier()?);
                    }
                    let column = parts.pop().unwrap_or_default();
                    let table = parts.pop().ok_or_else(|| {
                        Error::syntax("invalid OWNED BY option")
                            .with_hint("Specify OWNED BY table.column or OWNED BY NONE.")
                    })?;
                    Some((ObjectName { schema: parts.pop(), name: table }, column))
                };
                set_once(&mut options.owned_by, owner)?;
            } else {
                return Err(self.error());
            }
        }
        Ok(options)
    }

    fn at_end_of_option(&self) -> bool {
        self.at_end() || !matches!(self.peek().token, Token::Period)
    }

    fn is_integer(&self) -> bool {
        matches!(self.peek().token, Token::Number(..) | Token::Minus | Token::Plus)
    }

    /// An optionally signed integer constant.
    fn integer(&mut self) -> Result<i64> {
        let negative = match self.peek().token {
            Token::Minus => {
                self.advance();
                true
            }
            Token::Plus => {
                self.advance();
                false
            }
            _ => false,
        };
        match &self.peek().token {
            Token::Number(text, _) => {
                let value = text.parse::<i64>().map_err(|_| self.error())?;
                self.advance();
                Ok(if negative { -value } else { value })
            }
            _ => Err(self.error()),
        }
    }

    /// `name` or `schema.name`.
    pub(super) fn object_name(&mut self) -> Result<ObjectName> {
        let first = self.identifier()?;
        if matches!(self.peek().token, Token::Period) {
            self.advance();
            let name = self.identifier()?;
            return Ok(ObjectName { schema: Some(first), name });
        }
        Ok(ObjectName { schema: None, name: first })
    }
}
