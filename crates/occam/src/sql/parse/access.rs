//! Roles and privileges: CREATE ROLE / USER, DROP ROLE / USER, GRANT / REVOKE, AWS IAM GRANT / REVOKE.
//!
//! GRANT, REVOKE and DROP ROLE go through sqlparser. CREATE ROLE / USER and Aurora DSQL's `AWS IAM GRANT role
//! TO 'arn'` / `AWS IAM REVOKE role FROM 'arn'` are read here from the token stream by a small hand parser:
//! sqlparser has no grammar for the IAM statements and reads `CREATE USER` the Snowflake way. The hand parser
//! reports syntax errors at the offending token as PostgreSQL does, and refuses role options occam does not
//! keep (SUPERUSER, CREATEDB, ...) with 0A000.

use sqlparser::ast as sp;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::expr::fold_ident;
use super::{unsupported, Source, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{AccessStatement, GrantObjects, Privilege, RoleOption, Statement};

/// The statements the hand parser reads, recognised by their leading words. When the statement at the parser's
/// position is one of them, consumes it and returns it: the outer error is a syntax error (which fails the
/// whole query string), the inner one a refusal that only fails this statement.
pub(super) fn hand_parsed_statement(parser: &mut Parser, source: &Source) -> Result<Option<Result<Statement>>> {
    let is_word = |parser: &Parser, i: usize, text: &str| match &parser.peek_nth_token_ref(i).token {
        Token::Word(w) => w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text),
        _ => false,
    };
    // `GRANT role TO role` (membership): PostgreSQL syntax sqlparser cannot read; a role name is any word
    // that is not a privilege, followed by `,` or TO / FROM.
    let is_membership = (is_word(parser, 0, "grant") || is_word(parser, 0, "revoke"))
        && matches!(&parser.peek_nth_token_ref(1).token, Token::Word(w) if !PRIVILEGE_WORDS.contains(&w.value.to_ascii_lowercase().as_str()))
        && (matches!(parser.peek_nth_token_ref(2).token, Token::Comma)
            || is_word(parser, 2, "to")
            || is_word(parser, 2, "from"));
    let kind = if is_word(parser, 0, "aws") && is_word(parser, 1, "iam") {
        HandParsed::Iam
    } else if is_word(parser, 0, "create") && (is_word(parser, 1, "role") || is_word(parser, 1, "user")) {
        HandParsed::CreateRole
    } else if is_word(parser, 0, "alter")
        && (is_word(parser, 1, "role") || is_word(parser, 1, "user"))
        && (is_word(parser, 3, "set") || is_word(parser, 3, "reset"))
    {
        HandParsed::AlterRoleSet
    } else if is_word(parser, 0, "alter")
        && (is_word(parser, 1, "role") || is_word(parser, 1, "user"))
        && matches!(&parser.peek_nth_token_ref(3).token, Token::Word(w) if w.quote_style.is_none()
            && (w.value.eq_ignore_ascii_case("with") || is_alter_option_word(&w.value)))
    {
        HandParsed::AlterRole
    } else if is_word(parser, 0, "vacuum") {
        HandParsed::Vacuum
    } else if is_membership {
        HandParsed::Membership
    } else if is_word(parser, 0, "alter") && is_word(parser, 1, "sequence") {
        HandParsed::AlterSequence
    } else if super::alter_table::is_identity_change(&leading_words(parser, 12)) {
        HandParsed::AlterTableIdentity
    } else if is_word(parser, 0, "create")
        && (is_word(parser, 1, "sequence")
            || ((is_word(parser, 1, "temp") || is_word(parser, 1, "temporary")) && is_word(parser, 2, "sequence")))
    {
        HandParsed::CreateSequence
    } else {
        return Ok(None);
    };
    let mut tokens = Vec::new();
    loop {
        let token = parser.peek_token();
        if matches!(token.token, Token::SemiColon | Token::EOF) {
            tokens.push(token);
            break;
        }
        parser.advance_token();
        tokens.push(token);
    }
    let mut reader = TokenReader { tokens, next: 0, source };
    match kind {
        HandParsed::Iam => reader.iam_grant().map(|s| Some(Ok(s))),
        HandParsed::CreateRole => reader.create_role(),
        HandParsed::AlterRoleSet => reader.alter_role_set().map(|s| Some(Ok(s))),
        HandParsed::AlterRole => reader.alter_role().map(|s| Some(Ok(s))),
        HandParsed::Vacuum => reader.vacuum().map(|s| Some(Ok(s))),
        HandParsed::Membership => Ok(Some(Err(unsupported("GRANT / REVOKE of role membership")))),
        HandParsed::AlterSequence => {
            reader.advance();
            reader.advance();
            reader.sequence_statement(false).map(|s| Some(Ok(s)))
        }
        HandParsed::AlterTableIdentity => {
            reader.advance();
            reader.advance();
            reader.alter_table_identity().map(|s| Some(Ok(s)))
        }
        HandParsed::CreateSequence => {
            reader.advance();
            if !reader.eat_word("sequence") {
                reader.advance();
                reader.expect_word("sequence")?;
                // Parsed for its syntax errors, then refused.
                return reader.sequence_statement(true).map(|_| Some(Err(unsupported("temporary sequences"))));
            }
            reader.sequence_statement(true).map(|s| Some(Ok(s)))
        }
    }
}

enum HandParsed {
    Iam,
    CreateRole,
    AlterRoleSet,
    AlterRole,
    Vacuum,
    Membership,
    AlterSequence,
    CreateSequence,
    AlterTableIdentity,
}

/// The first `n` tokens of the statement at the parser's position, as lower-case words (anything else as
/// an empty string).
fn leading_words(parser: &Parser, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match &parser.peek_nth_token_ref(i).token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
            _ => String::new(),
        })
        .collect()
}

/// Words that start a privilege list in GRANT / REVOKE (anything else there is a role name).
const PRIVILEGE_WORDS: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "usage",
    "create",
    "connect",
    "temporary",
    "temp",
    "execute",
    "all",
    "set",
    "alter",
    "maintain",
];

/// The tokens of one statement (whitespace skipped, ending with `;` or EOF).
pub(super) struct TokenReader<'a> {
    tokens: Vec<TokenWithSpan>,
    next: usize,
    source: &'a Source<'a>,
}

impl<'a> TokenReader<'a> {
    /// A reader of `tokens` (an end-of-input token is added).
    pub(super) fn new(mut tokens: Vec<TokenWithSpan>, source: &'a Source<'a>) -> TokenReader<'a> {
        tokens.push(TokenWithSpan::wrap(Token::EOF));
        TokenReader { tokens, next: 0, source }
    }

    pub(super) fn peek(&self) -> &TokenWithSpan {
        &self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    pub(super) fn advance(&mut self) -> TokenWithSpan {
        let token = self.peek().clone();
        if self.next < self.tokens.len() - 1 {
            self.next += 1;
        }
        token
    }

    pub(super) fn at_end(&self) -> bool {
        matches!(self.peek().token, Token::SemiColon | Token::EOF)
    }

    pub(super) fn error(&self) -> Error {
        self.source.syntax_error_at(self.peek())
    }

    /// The next token if it is the unquoted word `word` (case-insensitive).
    pub(super) fn eat_word(&mut self, word: &str) -> bool {
        match &self.peek().token {
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word) => {
                self.advance();
                true
            }
            _ => false,
        }
    }

    pub(super) fn expect_word(&mut self, word: &str) -> Result<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// An identifier, case-folded as PostgreSQL does.
    pub(super) fn identifier(&mut self) -> Result<String> {
        match &self.peek().token {
            Token::Word(w) => {
                let ident = match w.quote_style {
                    Some(quote) => sp::Ident::with_quote(quote, w.value.clone()),
                    None => sp::Ident::new(w.value.clone()),
                };
                self.advance();
                Ok(fold_ident(&ident))
            }
            _ => Err(self.error()),
        }
    }

    fn string_literal(&mut self) -> Result<String> {
        match &self.peek().token {
            Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => {
                let s = s.clone();
                self.advance();
                Ok(s)
            }
            _ => Err(self.error()),
        }
    }

    fn expect_end(&self) -> Result<()> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// `PASSWORD 'x'` or `PASSWORD NULL`.
    fn password_value(&mut self) -> Result<Option<String>> {
        if self.eat_word("null") {
            Ok(None)
        } else {
            self.string_literal().map(Some)
        }
    }

    /// `AWS IAM GRANT role TO 'arn'` / `AWS IAM REVOKE role FROM 'arn'`.
    fn iam_grant(&mut self) -> Result<Statement> {
        self.expect_word("aws")?;
        self.expect_word("iam")?;
        let revoke = if self.eat_word("grant") {
            false
        } else if self.eat_word("revoke") {
            true
        } else {
            return Err(self.error());
        };
        let role = self.identifier()?;
        self.expect_word(if revoke { "from" } else { "to" })?;
        let arn = self.string_literal()?;
        self.expect_end()?;
        Ok(Statement::Access(AccessStatement::IamGrant { revoke, role, arn }))
    }

    /// `CREATE ROLE name [[WITH] option ...]`; `CREATE USER` is the same with LOGIN as the default.
    /// `ALTER ROLE name SET parameter {TO | =} {value | DEFAULT}`, `ALTER ROLE name RESET {parameter | ALL}`.
    fn alter_role_set(&mut self) -> Result<Statement> {
        self.expect_word("alter")?;
        if !self.eat_word("user") {
            self.expect_word("role")?;
        }
        let name = self.identifier()?;
        let set = self.eat_word("set");
        if !set {
            self.expect_word("reset")?;
        }
        if !set && self.eat_word("all") {
            self.expect_end()?;
            return Ok(Statement::Access(AccessStatement::AlterRoleSet { name, parameter: None, value: None }));
        }
        // A parameter name may be dotted (`occam.inject_conflicts`).
        let mut parameter = self.identifier()?;
        while matches!(self.peek().token, Token::Period) {
            self.advance();
            parameter = format!("{parameter}.{}", self.identifier()?);
        }
        let value = if set {
            if !self.eat_word("to") && !matches!(self.peek().token, Token::Eq) {
                return Err(self.error());
            }
            if matches!(self.peek().token, Token::Eq) {
                self.advance();
            }
            let value = match self.advance().token {
                Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => s,
                Token::Number(n, _) => n,
                Token::Minus => match self.advance().token {
                    Token::Number(n, _) => format!("-{n}"),
                    _ => return Err(self.error()),
                },
                Token::Word(w) => w.value,
                _ => return Err(self.error()),
            };
            (!value.eq_ignore_ascii_case("default")).then_some(value)
        } else {
            None
        };
        self.expect_end()?;
        Ok(Statement::Access(AccessStatement::AlterRoleSet { name, parameter: Some(parameter), value }))
    }

    /// `ALTER ROLE name [WITH] option ...`: every option PostgreSQL's grammar has, for the executor to
    /// apply or refuse (`IN ROLE`, `ROLE`, `ADMIN`, `USER` and `SYSID` belong to CREATE ROLE only).
    fn alter_role(&mut self) -> Result<Statement> {
        self.expect_word("alter")?;
        if !self.eat_word("user") {
            self.expect_word("role")?;
        }
        let name = self.identifier()?;
        self.eat_word("with");
        let mut options = Vec::new();
        while !self.at_end() {
            let Token::Word(word) = self.peek().token.clone() else { return Err(self.error()) };
            let upper = word.value.to_ascii_uppercase();
            self.advance();
            options.push(match upper.as_str() {
                "LOGIN" | "NOLOGIN" => RoleOption::Login(upper == "LOGIN"),
                "ENCRYPTED" => {
                    self.expect_word("password")?;
                    RoleOption::Password(Some(self.string_literal()?))
                }
                "PASSWORD" => RoleOption::Password(self.password_value()?),
                "CONNECTION" => {
                    self.expect_word("limit")?;
                    let negative = matches!(self.peek().token, Token::Minus);
                    if negative {
                        self.advance();
                    }
                    let limit = match self.advance().token {
                        Token::Number(n, _) => n.parse::<i64>().map_err(|_| self.error())?,
                        _ => return Err(self.error()),
                    };
                    RoleOption::ConnectionLimit(if negative { -limit } else { limit })
                }
                "VALID" => {
                    self.expect_word("until")?;
                    RoleOption::ValidUntil(self.string_literal()?)
                }
                "SUPERUSER" | "NOSUPERUSER" | "CREATEDB" | "NOCREATEDB" | "CREATEROLE" | "NOCREATEROLE" | "INHERIT"
                | "NOINHERIT" | "REPLICATION" | "NOREPLICATION" | "BYPASSRLS" | "NOBYPASSRLS" => {
                    let granted = !upper.starts_with("NO");
                    let attribute = if granted { upper.as_str() } else { &upper[2..] };
                    RoleOption::Attribute(attribute.to_string(), granted)
                }
                _ => {
                    self.next -= 1;
                    let mut err =
                        Error::syntax(format!("unrecognized role option \"{}\"", word.value.to_ascii_lowercase()));
                    if let Some(position) = self.source.position(self.peek().span.start) {
                        err = err.with_position(position);
                    }
                    return Err(err);
                }
            });
        }
        Ok(Statement::Access(AccessStatement::AlterRole { name, options }))
    }

    fn create_role(&mut self) -> Result<Option<Result<Statement>>> {
        self.expect_word("create")?;
        let user = self.eat_word("user");
        if !user {
            self.expect_word("role")?;
        }
        let name_token = self.peek().clone();
        let name = self.identifier()?;
        let quoted = matches!(&name_token.token, Token::Word(w) if w.quote_style.is_some());
        let reserved = match name.as_str() {
            "public" | "none" => Some(Error::new("42939", format!("role name \"{name}\" is reserved"))),
            "current_role" | "current_user" | "session_user" if !quoted => {
                Some(Error::new("42939", format!("{} cannot be used as a role name here", name.to_ascii_uppercase())))
            }
            _ if name.starts_with("pg_") => Some(
                Error::new("42939", format!("role name \"{name}\" is reserved"))
                    .with_detail("Role names starting with \"pg_\" are reserved."),
            ),
            _ => None,
        };
        if let Some(mut err) = reserved {
            // The `pg_` prefix is checked when the statement runs, the special names by the grammar.
            if name.starts_with("pg_") {
                return Ok(Some(Err(err)));
            }
            if let Some(position) = self.source.position(name_token.span.start) {
                err = err.with_position(position);
            }
            return Err(err);
        }
        self.eat_word("with");
        let mut login = user;
        let mut password = None;
        let mut refusal = None;
        while !self.at_end() {
            if self.eat_word("login") {
                login = true;
            } else if self.eat_word("nologin") {
                login = false;
            } else if self.eat_word("encrypted") {
                self.expect_word("password")?;
                password = Some(self.string_literal()?);
            } else if self.eat_word("password") {
                password = self.password_value()?;
            } else if let Token::Word(w) = &self.peek().token {
                // PostgreSQL's other role options: accepted by the grammar, not kept by occam.
                let option = w.value.to_ascii_uppercase();
                const KNOWN: &[&str] = &[
                    "SUPERUSER",
                    "NOSUPERUSER",
                    "CREATEDB",
                    "NOCREATEDB",
                    "CREATEROLE",
                    "NOCREATEROLE",
                    "INHERIT",
                    "NOINHERIT",
                    "REPLICATION",
                    "NOREPLICATION",
                    "BYPASSRLS",
                    "NOBYPASSRLS",
                    "CONNECTION",
                    "VALID",
                    "IN",
                    "ROLE",
                    "ADMIN",
                    "USER",
                    "SYSID",
                ];
                if !KNOWN.contains(&option.as_str()) {
                    let mut err =
                        Error::syntax(format!("unrecognized role option \"{}\"", w.value.to_ascii_lowercase()));
                    if let Some(position) = self.source.position(self.peek().span.start) {
                        err = err.with_position(position);
                    }
                    return Err(err);
                }
                refusal.get_or_insert_with(|| unsupported(format!("the role option {option}")));
                // Skip the option's arguments up to the next option word.
                self.advance();
                while !self.at_end()
                    && !matches!(&self.peek().token, Token::Word(w) if w.quote_style.is_none() && is_option_word(&w.value))
                {
                    self.advance();
                }
            } else {
                return Err(self.error());
            }
        }
        if let Some(refusal) = refusal {
            return Ok(Some(Err(refusal)));
        }
        Ok(Some(Ok(Statement::Access(AccessStatement::CreateRole { name, login, password }))))
    }
}

/// The words an option of `ALTER ROLE name [WITH] option ...` starts with (`IN DATABASE`, `RENAME` and the
/// membership options of CREATE ROLE are other statements or not ALTER ROLE's).
fn is_alter_option_word(word: &str) -> bool {
    is_option_word(word) && !matches!(word.to_ascii_uppercase().as_str(), "IN" | "ROLE" | "ADMIN" | "USER" | "SYSID")
}

fn is_option_word(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "LOGIN"
            | "NOLOGIN"
            | "PASSWORD"
            | "ENCRYPTED"
            | "SUPERUSER"
            | "NOSUPERUSER"
            | "CREATEDB"
            | "NOCREATEDB"
            | "CREATEROLE"
            | "NOCREATEROLE"
            | "INHERIT"
            | "NOINHERIT"
            | "REPLICATION"
            | "NOREPLICATION"
            | "BYPASSRLS"
            | "NOBYPASSRLS"
            | "CONNECTION"
            | "VALID"
            | "IN"
            | "ROLE"
            | "ADMIN"
            | "USER"
            | "SYSID"
    )
}

/// The privileges `ALL` stands for on tables and on schemas.
const ALL_TABLE_PRIVILEGES: &[Privilege] =
    &[Privilege::Select, Privilege::Insert, Privilege::Update, Privilege::Delete];
const ALL_SCHEMA_PRIVILEGES: &[Privilege] = &[Privilege::Usage, Privilege::Create];

impl Translator<'_> {
    /// `DROP ROLE / USER [IF EXISTS] name, ...`.
    pub(super) fn drop_role(&self, names: &[sp::ObjectName], if_exists: bool) -> Result<Statement> {
        let names = names
            .iter()
            .map(|name| match name.0.as_slice() {
                [sp::ObjectNamePart::Identifier(ident)] if ident.quote_style.is_none() && is_role_specifier(ident) => {
                    Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, "cannot use special role specifier in DROP ROLE"))
                }
                [sp::ObjectNamePart::Identifier(ident)] => Ok(fold_ident(ident)),
                _ => Err(Error::syntax(format!("syntax error at or near \"{name}\""))),
            })
            .collect::<Result<_>>()?;
        Ok(Statement::Access(AccessStatement::DropRole { names, if_exists }))
    }

    pub(super) fn grant(&self, grant: &sp::Grant) -> Result<Statement> {
        if grant.with_grant_option {
            return Err(unsupported("WITH GRANT OPTION"));
        }
        if grant.as_grantor.is_some() || grant.granted_by.is_some() || grant.current_grants.is_some() {
            return Err(unsupported("GRANTED BY"));
        }
        self.grant_or_revoke(false, &grant.privileges, grant.objects.as_ref(), &grant.grantees)
    }

    pub(super) fn revoke(&self, revoke: &sp::Revoke) -> Result<Statement> {
        if revoke.grant_option_for {
            return Err(unsupported("REVOKE GRANT OPTION FOR"));
        }
        if revoke.granted_by.is_some() {
            return Err(unsupported("GRANTED BY"));
        }
        self.grant_or_revoke(true, &revoke.privileges, revoke.objects.as_ref(), &revoke.grantees)
    }

    fn grant_or_revoke(
        &self,
        revoke: bool,
        privileges: &sp::Privileges,
        objects: Option<&sp::GrantObjects>,
        grantees: &[sp::Grantee],
    ) -> Result<Statement> {
        let (objects, on_schema) = match objects {
            Some(sp::GrantObjects::Tables(names)) => {
                (GrantObjects::Tables(names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?), false)
            }
            Some(sp::GrantObjects::AllTablesInSchema { schemas }) => {
                (GrantObjects::AllTablesInSchemas(schemas.iter().map(schema_name).collect::<Result<_>>()?), false)
            }
            Some(sp::GrantObjects::Schemas(schemas)) => {
                (GrantObjects::Schemas(schemas.iter().map(schema_name).collect::<Result<_>>()?), true)
            }
            None => return Err(unsupported("GRANT / REVOKE of role membership")),
            Some(other) => return Err(unsupported(format!("GRANT / REVOKE on {other}"))),
        };
        let object_kind = if on_schema { "schema" } else { "table" };
        let privileges = match privileges {
            sp::Privileges::All { .. } => if on_schema { ALL_SCHEMA_PRIVILEGES } else { ALL_TABLE_PRIVILEGES }.to_vec(),
            sp::Privileges::Actions(actions) => {
                let mut list = Vec::with_capacity(actions.len());
                for action in actions {
                    let privilege = match action {
                        sp::Action::Select { columns: None } => Privilege::Select,
                        sp::Action::Insert { columns: None } => Privilege::Insert,
                        sp::Action::Update { columns: None } => Privilege::Update,
                        sp::Action::Delete => Privilege::Delete,
                        sp::Action::Usage => Privilege::Usage,
                        sp::Action::Create { obj_type: None } => Privilege::Create,
                        sp::Action::Select { .. } | sp::Action::Insert { .. } | sp::Action::Update { .. } => {
                            return Err(unsupported("column privileges"))
                        }
                        other => return Err(unsupported(format!("the privilege {other}"))),
                    };
                    let allowed = if on_schema { ALL_SCHEMA_PRIVILEGES } else { ALL_TABLE_PRIVILEGES };
                    if !allowed.contains(&privilege) {
                        return Err(Error::new(
                            "0LP01",
                            format!("invalid privilege type {} for {object_kind}", privilege.name()),
                        ));
                    }
                    if !list.contains(&privilege) {
                        list.push(privilege);
                    }
                }
                list
            }
        };
        let grantees = grantees
            .iter()
            .map(|grantee| match (&grantee.grantee_type, &grantee.name) {
                (sp::GranteesType::Public, _) => Ok("public".to_string()),
                (sp::GranteesType::None | sp::GranteesType::Role, Some(sp::GranteeName::ObjectName(name))) => {
                    match name.0.as_slice() {
                        [sp::ObjectNamePart::Identifier(ident)] => Ok(fold_ident(ident)),
                        _ => Err(Error::syntax(format!("syntax error at or near \"{name}\""))),
                    }
                }
                _ => Err(unsupported(format!("the grantee {grantee}"))),
            })
            .collect::<Result<_>>()?;
        Ok(Statement::Access(AccessStatement::Grant { revoke, privileges, objects, grantees }))
    }
}

/// PUBLIC, CURRENT_USER and the like: role specifiers, not role names.
fn is_role_specifier(ident: &sp::Ident) -> bool {
    ["public", "current_user", "current_role", "session_user"].iter().any(|s| ident.value.eq_ignore_ascii_case(s))
}

pub(super) fn schema_name(name: &sp::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [sp::ObjectNamePart::Identifier(ident)] => Ok(fold_ident(ident)),
        _ => {
            Err(Error::new(sqlstate::SYNTAX_ERROR, format!("improper qualified name (too many dotted names): {name}")))
        }
    }
}
