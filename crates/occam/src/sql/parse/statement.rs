//! Statements: transaction control, CREATE / DROP TABLE, INSERT / UPDATE / DELETE, queries, SET and SHOW.
//!
//! CREATE TABLE is checked here the way PostgreSQL's parse analysis checks it (duplicate columns, two primary
//! keys, key columns that do not exist, conflicting NULL / NOT NULL, two DEFAULTs), so the catalog receives a
//! consistent definition; primary-key columns are marked NOT NULL as PostgreSQL does. Statements occam cannot
//! express are refused with 0A000; those Aurora DSQL itself refuses use DSQL's recorded wording.

use sqlparser::ast as sp;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Location;

use super::expr::{fold_ident, is_default_keyword};
use super::query::check_row_lengths;
use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, ColumnDef, CreateTable, Delete, IdentitySpec, Insert, InsertSource, Statement, Update};

impl Translator<'_> {
    pub(super) fn statement(&self, statement: sp::Statement) -> Result<Statement> {
        use sp::Statement as S;
        match &statement {
            S::StartTransaction { modes, statements, exception, modifier, .. } => {
                if !statements.is_empty() || exception.is_some() || modifier.is_some() {
                    return Err(unsupported("BEGIN ... END blocks"));
                }
                let (isolation, read_only) = self.transaction_modes(modes)?;
                Ok(Statement::Begin { isolation, read_only })
            }
            S::Commit { chain, modifier, .. } => {
                if *chain {
                    return Err(unsupported("COMMIT AND CHAIN"));
                }
                if modifier.is_some() {
                    return Err(unsupported(format!("{statement}")));
                }
                Ok(Statement::Commit)
            }
            S::Rollback { chain, savepoint } => {
                if *chain {
                    return Err(unsupported("ROLLBACK AND CHAIN"));
                }
                Ok(match savepoint {
                    Some(name) => {
                        Statement::Savepoint { action: ast::SavepointAction::RollbackTo, name: fold_ident(name) }
                    }
                    None => Statement::Rollback,
                })
            }
            S::Comment { object_type, object_name, comment, if_exists } => {
                if *if_exists {
                    return Err(Error::syntax("syntax error at or near \"IF\""));
                }
                let object = match object_type {
                    sp::CommentObject::Table => ast::CommentObject::Table,
                    sp::CommentObject::View => ast::CommentObject::View,
                    sp::CommentObject::MaterializedView => ast::CommentObject::MaterializedView,
                    sp::CommentObject::Index => ast::CommentObject::Index,
                    sp::CommentObject::Sequence => ast::CommentObject::Sequence,
                    sp::CommentObject::Column => ast::CommentObject::Column,
                    sp::CommentObject::Schema => ast::CommentObject::Schema,
                    other => return Err(unsupported(format!("COMMENT ON {other}"))),
                };
                let parts = object_name
                    .0
                    .iter()
                    .map(|p| p.as_ident().map(fold_ident).ok_or_else(|| unsupported(format!("the name {object_name}"))))
                    .collect::<Result<Vec<String>>>()?;
                let (name, column) = match (object, parts.as_slice()) {
                    (ast::CommentObject::Column, [table, column]) => {
                        (ast::ObjectName::unqualified(table), Some(column.clone()))
                    }
                    (ast::CommentObject::Column, [schema, table, column]) => {
                        (ast::ObjectName { schema: Some(schema.clone()), name: table.clone() }, Some(column.clone()))
                    }
                    (ast::CommentObject::Column, _) => {
                        return Err(Error::syntax("column name must be qualified"));
                    }
                    _ => (self.object_name(object_name)?, None),
                };
                Ok(Statement::Comment { object, name, column, text: comment.clone() })
            }
            S::Savepoint { name } => {
                Ok(Statement::Savepoint { action: ast::SavepointAction::Define, name: fold_ident(name) })
            }
            S::ReleaseSavepoint { name } => {
                Ok(Statement::Savepoint { action: ast::SavepointAction::Release, name: fold_ident(name) })
            }
            S::Query(query) => match self.modifying_query(query)? {
                Some(statement) => Ok(statement),
                None => Ok(Statement::Query(Box::new(self.query(query)?))),
            },
            S::Explain {
                describe_alias: sp::DescribeAlias::Explain,
                analyze,
                verbose,
                query_plan: false,
                estimate: false,
                format,
                options,
                ..
            } => {
                let options = explain_options(*analyze, *verbose, format.as_ref(), options.as_deref())?;
                let S::Explain { statement, .. } = statement else { unreachable!("matched above") };
                let inner = self.statement(*statement)?;
                if !matches!(
                    inner,
                    Statement::Query(_) | Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)
                ) {
                    return Err(Error::syntax("EXPLAIN takes a SELECT, INSERT, UPDATE, DELETE or VALUES statement"));
                }
                Ok(Statement::Explain { options, statement: Box::new(inner) })
            }
            S::Insert(insert) => self.insert(insert),
            S::Copy { source, to, target, options, legacy_options, values } => {
                self.copy(source, *to, target, options, legacy_options, values)
            }
            S::Update(update) => self.update(update),
            S::Delete(delete) => self.delete(delete),
            S::CreateTable(create) => self.create_table(create),
            S::CreateView(view) if !view.materialized => self.create_view(view),
            S::CreateView(view) => self.create_materialized_view(view),
            S::CreateSchema { schema_name, or_replace: false, if_not_exists, with: None, options: None, .. } => {
                let (name, authorization) = match schema_name {
                    sp::SchemaName::Simple(name) => (super::access::schema_name(name)?, None),
                    sp::SchemaName::UnnamedAuthorization(role) => (fold_ident(role), Some(fold_ident(role))),
                    sp::SchemaName::NamedAuthorization(name, role) => {
                        (super::access::schema_name(name)?, Some(fold_ident(role)))
                    }
                };
                let if_not_exists = *if_not_exists;
                Ok(Statement::Schema(ast::SchemaStatement::Create { name, if_not_exists, authorization }))
            }
            S::AlterSchema(alter) if !alter.if_exists => match alter.operations.as_slice() {
                [sp::AlterSchemaOperation::OwnerTo { owner }] => {
                    let name = super::access::schema_name(&alter.name)?;
                    let owner = match owner {
                        sp::Owner::Ident(role) => Some(fold_ident(role)),
                        _ => None,
                    };
                    Ok(Statement::Schema(ast::SchemaStatement::OwnerTo { name, owner }))
                }
                _ => Err(unsupported(format!("{alter}"))),
            },
            S::Drop { object_type: sp::ObjectType::Schema, if_exists, names, cascade, .. } => {
                Ok(Statement::Schema(ast::SchemaStatement::Drop {
                    names: names.iter().map(super::access::schema_name).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                    cascade: *cascade,
                }))
            }
            S::Drop { object_type, if_exists, names, cascade, .. } => match object_type {
                sp::ObjectType::Table => Ok(Statement::DropTable {
                    names: names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                    cascade: *cascade,
                }),
                sp::ObjectType::View => Ok(Statement::DropView {
                    names: names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                    cascade: *cascade,
                }),
                sp::ObjectType::MaterializedView => Ok(Statement::DropMaterializedView {
                    names: names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                    cascade: *cascade,
                }),
                sp::ObjectType::Index => Ok(Statement::DropIndex {
                    names: names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                }),
                sp::ObjectType::Sequence => Ok(Statement::Sequence(ast::SequenceStatement::Drop {
                    names: names.iter().map(|n| self.object_name(n)).collect::<Result<_>>()?,
                    if_exists: *if_exists,
                })),
                sp::ObjectType::Type => Err(Error::unsupported("unsupported object in DROP statement")),
                sp::ObjectType::Role | sp::ObjectType::User => self.drop_role(names, *if_exists),
                other => Err(unsupported(format!("DROP {other}"))),
            },
            S::CreateIndex(create) => self.create_index(create),
            S::AlterTable(alter) => self.alter_table(alter),
            S::CreateFunction(create) => self.create_function(create),
            S::Merge(merge) => self.merge(merge),
            S::DropFunction(drop) => self.drop_function(drop),
            S::Call(function) => self.call_statement(function),
            S::Set(set) => self.set(set),
            // Refused in DSQL mode by the session's rule table (`compat`), so that PostgreSQL mode can run it.
            S::Truncate(truncate) if truncate.partitions.is_none() && truncate.on_cluster.is_none() => {
                Ok(Statement::Truncate {
                    names: truncate.table_names.iter().map(|t| self.object_name(&t.name)).collect::<Result<_>>()?,
                    restart_identity: matches!(truncate.identity, Some(sp::TruncateIdentityOption::Restart)),
                })
            }
            S::ShowVariable { variable } => Ok(Statement::Show { name: show_name(variable) }),
            S::Analyze(analyze) => self.analyze(analyze),
            S::Reset(_)
            | S::Discard { .. }
            | S::Deallocate { .. }
            | S::Close { .. }
            | S::UNLISTEN { .. }
            | S::Lock(_)
            | S::Prepare { .. }
            | S::Execute { .. } => self.session_command(statement).map(Statement::Session),
            S::Declare { stmts } if stmts.len() == 1 => self.declare_cursor(&stmts[0]),
            S::Grant(grant) => self.grant(grant),
            S::Revoke(revoke) => self.revoke(revoke),
            _ => Err(refuse_statement(&statement)),
        }
    }

    /// Session housekeeping: RESET, DISCARD, DEALLOCATE, CLOSE, UNLISTEN, PREPARE, EXECUTE.
    fn session_command(&self, statement: sp::Statement) -> Result<ast::SessionCommand> {
        use ast::SessionCommand as C;
        use sp::Statement as S;
        // `ALL` (unquoted) is the keyword; `"all"` names a statement.
        let name_or_all = |ident: &sp::Ident| {
            (ident.quote_style.is_some() || !ident.value.eq_ignore_ascii_case("all")).then(|| fold_ident(ident))
        };
        Ok(match statement {
            S::Reset(reset) => match reset.reset {
                sp::Reset::ALL => C::Reset(None),
                sp::Reset::SessionAuthorization => C::Reset(Some("session_authorization".into())),
                sp::Reset::ConfigurationParameter(name) => C::Reset(Some(
                    name.0.iter().map(|part| part.to_string().to_ascii_lowercase()).collect::<Vec<_>>().join("."),
                )),
            },
            S::Discard { object_type } => C::Discard(match object_type {
                sp::DiscardObject::ALL => ast::DiscardTarget::All,
                sp::DiscardObject::PLANS => ast::DiscardTarget::Plans,
                sp::DiscardObject::SEQUENCES => ast::DiscardTarget::Sequences,
                sp::DiscardObject::TEMP => ast::DiscardTarget::Temp,
            }),
            S::Deallocate { name, .. } => C::Deallocate(name_or_all(&name)),
            S::Close { cursor: sp::CloseCursor::All } => C::Close(None),
            S::Close { cursor: sp::CloseCursor::Specific { name } } => C::Close(Some(fold_ident(&name))),
            S::UNLISTEN { channel } => C::Unlisten((channel.value != "*").then(|| fold_ident(&channel))),
            S::Lock(lock) => C::Lock {
                tables: lock.tables.iter().map(|t| self.object_name(&t.name)).collect::<Result<_>>()?,
                access_share: matches!(lock.lock_mode, None | Some(sp::LockTableMode::AccessShare)),
            },
            S::Prepare { name, data_types, statement } => {
                let param_types = data_types.iter().map(|t| self.data_type(t)).collect::<Result<_>>()?;
                let inner = self.statement(*statement)?;
                if matches!(inner, Statement::Session(_)) {
                    return Err(Error::syntax("syntax error at or near \"AS\""));
                }
                C::Prepare { name: fold_ident(&name), param_types, statement: Box::new(inner) }
            }
            S::Execute {
                name: Some(name),
                parameters,
                immediate: false,
                into,
                using,
                output: false,
                default: false,
                ..
            } if into.is_empty() && using.is_empty() && name.0.len() == 1 => {
                let name = match &name.0[0] {
                    sp::ObjectNamePart::Identifier(ident) => fold_ident(ident),
                    other => return Err(unsupported(format!("EXECUTE {other}"))),
                };
                C::Execute { name, args: parameters.iter().map(ToString::to_string).collect() }
            }
            other => return Err(unsupported(statement_kind(&other))),
        })
    }

    /// `DECLARE name [BINARY] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query`.
    fn declare_cursor(&self, declare: &sp::Declare) -> Result<Statement> {
        let (Some(sp::DeclareType::Cursor), [name], Some(query)) =
            (&declare.declare_type, declare.names.as_slice(), &declare.for_query)
        else {
            return Err(unsupported("this form of DECLARE"));
        };
        if declare.binary == Some(true) {
            return Err(unsupported("DECLARE ... BINARY CURSOR"));
        }
        let query = match self.modifying_query(query)? {
            Some(_) => return Err(unsupported("a data-modifying query in DECLARE CURSOR")),
            None => Statement::Query(Box::new(self.query(query)?)),
        };
        Ok(Statement::DeclareCursor(Box::new(ast::DeclareCursor {
            name: fold_ident(name),
            query,
            scroll: declare.scroll,
            hold: declare.hold == Some(true),
        })))
    }

    /// CREATE INDEX. Only DSQL's `ASYNC` form runs: a plain (synchronous) build and CONCURRENTLY are refused
    /// with DSQL's message, although the AST and the build can express a synchronous one.
    fn create_index(&self, create: &sp::CreateIndex) -> Result<Statement> {
        // A plain or CONCURRENTLY build is synchronous; the session's rule table decides whether it runs.
        let asynchronous = create.r#async && !create.concurrently;
        // `USING btree` (pg_dump writes it) names the one access method occam's indexes have.
        match &create.using {
            None | Some(sp::IndexType::BTree) => {}
            Some(sp::IndexType::Custom(name)) if fold_ident(name) == "btree_index" => {}
            Some(_) => return Err(unsupported("CREATE INDEX ... USING")),
        }
        if !create.with.is_empty() || !create.index_options.is_empty() || !create.alter_options.is_empty() {
            return Err(unsupported("index storage options"));
        }
        let name = match &create.name {
            None => None,
            Some(name) => {
                let name = self.object_name(name)?;
                if name.schema.is_some() {
                    // DSQL's grammar takes a bare index name (the index lives in its table's schema).
                    return Err(Error::syntax("syntax error at or near \".\""));
                }
                Some(name.name)
            }
        };
        let mut columns = Vec::with_capacity(create.columns.len());
        for column in &create.columns {
            if column.operator_class.is_some() {
                return Err(unsupported("index operator classes"));
            }
            let order = &column.column;
            if contains_subquery(&order.expr) {
                return Err(Error::unsupported("cannot use subquery in index expression"));
            }
            let key = match &order.expr {
                sp::Expr::Identifier(ident) => ast::IndexTarget::Column(fold_ident(ident)),
                sp::Expr::Nested(expr) => ast::IndexTarget::Expression(self.expr(expr)?),
                expr @ sp::Expr::Function(_) => ast::IndexTarget::Expression(self.expr(expr)?),
                // PostgreSQL's grammar takes a column, a function call, or any expression in parentheses.
                other => {
                    return Err(Error::syntax(format!(
                        "syntax error at or near \"{}\"",
                        other.to_string().split_whitespace().nth(1).unwrap_or("")
                    )))
                }
            };
            let descending = match &order.options.sort {
                None | Some(sp::OrderBySort::Asc) => false,
                Some(sp::OrderBySort::Desc) => true,
                Some(sp::OrderBySort::Using(_)) => return Err(unsupported("USING in an index column")),
            };
            columns.push(ast::IndexColumn { key, descending, nulls_first: order.options.nulls_first });
        }
        if create.predicate.as_ref().is_some_and(contains_subquery) {
            return Err(Error::unsupported("cannot use subquery in index predicate"));
        }
        Ok(Statement::CreateIndex(ast::CreateIndex {
            name,
            table: self.object_name(&create.table_name)?,
            unique: create.unique,
            if_not_exists: create.if_not_exists,
            asynchronous,
            columns,
            include: create.include.iter().map(fold_ident).collect(),
            predicate: create.predicate.as_ref().map(|p| self.expr(p)).transpose()?,
            nulls_not_distinct: create.nulls_distinct == Some(false),
        }))
    }

    /// `ANALYZE [table [(column, ...)]]` (PostgreSQL's form; sqlparser's Hive and Spark options are refused).
    fn analyze(&self, analyze: &sp::Analyze) -> Result<Statement> {
        let foreign = analyze.has_table_keyword
            || analyze.for_columns
            || analyze.partitions.is_some()
            || analyze.cache_metadata
            || analyze.noscan
            || analyze.compute_statistics;
        if foreign {
            return Err(unsupported(format!("{analyze}")));
        }
        Ok(Statement::Analyze {
            table: analyze.table_name.as_ref().map(|n| self.object_name(n)).transpose()?,
            columns: analyze.columns.iter().map(fold_ident).collect(),
        })
    }

    /// `CALL name(args)`. Arguments are plain expressions; DSQL refuses subqueries in them.
    fn call_statement(&self, function: &sp::Function) -> Result<Statement> {
        let name = self.object_name(&function.name)?;
        let args = match &function.args {
            sp::FunctionArguments::None => Vec::new(),
            sp::FunctionArguments::Subquery(_) => {
                return Err(Error::unsupported("cannot use subquery in CALL argument"));
            }
            sp::FunctionArguments::List(list) => {
                let mut args = Vec::with_capacity(list.args.len());
                for arg in &list.args {
                    match arg {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(expr)) => {
                            if contains_subquery(expr) {
                                return Err(Error::unsupported("cannot use subquery in CALL argument"));
                            }
                            args.push(self.expr(expr)?);
                        }
                        _ => return Err(unsupported("named or wildcard CALL arguments")),
                    }
                }
                args
            }
        };
        Ok(Statement::Call { name, args })
    }

    /// BEGIN's transaction modes: the isolation level named, if any (the session's rule table decides which
    /// levels run; occam runs every transaction at snapshot isolation). READ WRITE (the default) is accepted
    /// and READ ONLY refused here.
    fn transaction_modes(&self, modes: &[sp::TransactionMode]) -> Result<(Option<ast::IsolationLevel>, Option<bool>)> {
        let mut isolation = None;
        let mut read_only = None;
        for mode in modes {
            match mode {
                sp::TransactionMode::IsolationLevel(level) => isolation = Some(isolation_level(level)?),
                sp::TransactionMode::AccessMode(access) => {
                    read_only = Some(matches!(access, sp::TransactionAccessMode::ReadOnly))
                }
            }
        }
        Ok((isolation, read_only))
    }

    fn create_table(&self, create: &sp::CreateTable) -> Result<Statement> {
        // Refused in dsql mode by the session's rules (`compat`), as DSQL refuses it.
        let temporary = match (create.temporary, create.on_commit) {
            (false, None) => None,
            (false, Some(_)) => {
                return Err(Error::new(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    "ON COMMIT can only be used on temporary tables",
                ))
            }
            (true, None | Some(sp::OnCommit::PreserveRows)) => Some(ast::OnCommit::PreserveRows),
            (true, Some(sp::OnCommit::DeleteRows)) => Some(ast::OnCommit::DeleteRows),
            (true, Some(sp::OnCommit::Drop)) => Some(ast::OnCommit::Drop),
        };
        if create.unlogged {
            return Err(Error::unsupported("UNLOGGED table not supported for CREATE TABLE"));
        }
        if let Some(query) = &create.query {
            if !create.constraints.is_empty() || create.columns.iter().any(|c| !c.options.is_empty()) {
                return Err(unsupported("constraints in CREATE TABLE ... AS"));
            }
            if create.with_data.as_ref().is_some_and(|w| w.statistics.is_some()) {
                return Err(unsupported("AND [NO] STATISTICS"));
            }
            return Ok(Statement::CreateTableAs(ast::CreateTableAs {
                name: self.object_name(&create.name)?,
                if_not_exists: create.if_not_exists,
                temporary,
                columns: create.columns.iter().map(|c| fold_ident(&c.name)).collect(),
                query: Box::new(self.query(query)?),
                sql: query.to_string(),
                materialized: false,
                with_data: create.with_data.as_ref().is_none_or(|w| w.data),
            }));
        }
        if create.like.is_some() || create.clone.is_some() {
            return Err(unsupported("CREATE TABLE ... LIKE"));
        }
        if create.inherits.is_some() {
            return Err(unsupported("INHERITS"));
        }
        if create.partition_of.is_some() || create.partition_by.is_some() {
            return Err(unsupported("partitioned tables"));
        }
        let storage_parameters = match &create.table_options {
            sp::CreateTableOptions::None => Vec::new(),
            sp::CreateTableOptions::With(options) => options.iter().map(storage_parameter).collect::<Result<_>>()?,
            other => return Err(unsupported(format!("table options ({other})"))),
        };
        if create.or_replace || create.external || create.global.is_some() || create.comment.is_some() {
            return Err(unsupported("this CREATE TABLE syntax"));
        }
        let name = self.object_name(&create.name)?;
        let table_name = name.name.clone();
        let mut columns: Vec<ColumnDef> = Vec::new();
        let mut primary_key: Option<Vec<String>> = None;
        let mut constraints = Vec::new();
        for column in &create.columns {
            let column_name = fold_ident(&column.name);
            if columns.iter().any(|c| c.name == column_name) {
                return Err(Error::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{column_name}\" specified more than once"),
                ));
            }
            let (def, is_primary_key) = self.column_def(column, &table_name)?;
            constraints.extend(self.column_constraints(column)?);
            if is_primary_key {
                let location = self.source.keyword_after(column.name.span.end, Keyword::PRIMARY);
                if primary_key.is_some() {
                    return Err(self.multiple_primary_keys(&table_name, location));
                }
                primary_key = Some(vec![column_name.clone()]);
            }
            columns.push(def);
        }
        for constraint in &create.constraints {
            match constraint {
                sp::TableConstraint::PrimaryKey(constraint) => {
                    let first_column = constraint.columns.first().map(|c| sp::Spanned::span(&c.column.expr).start);
                    let location = first_column.and_then(|l| self.source.keyword_before(l, Keyword::PRIMARY));
                    if primary_key.is_some() {
                        return Err(self.multiple_primary_keys(&table_name, location));
                    }
                    if !constraint.include.is_empty() {
                        return Err(unsupported("INCLUDE in a primary key"));
                    }
                    let mut key = Vec::new();
                    for column in &constraint.columns {
                        let sp::Expr::Identifier(ident) = &column.column.expr else {
                            return Err(unsupported("expressions in a primary key"));
                        };
                        let key_column = fold_ident(ident);
                        let located = |err: Error| match location {
                            Some(location) => self.at(err, location),
                            None => err,
                        };
                        if key.contains(&key_column) {
                            return Err(located(Error::new(
                                sqlstate::DUPLICATE_COLUMN,
                                format!("column \"{key_column}\" appears twice in primary key constraint"),
                            )));
                        }
                        if !columns.iter().any(|c| c.name == key_column) {
                            return Err(located(Error::new(
                                sqlstate::UNDEFINED_COLUMN,
                                format!("column \"{key_column}\" named in key does not exist"),
                            )));
                        }
                        key.push(key_column);
                    }
                    primary_key = Some(key);
                }
                other => constraints.push(self.table_constraint(other)?),
            }
        }
        let primary_key = primary_key.unwrap_or_default();
        // A primary key implies NOT NULL on its columns, as in PostgreSQL.
        for column in &mut columns {
            if primary_key.contains(&column.name) {
                column.not_null = true;
            }
        }
        Ok(Statement::CreateTable(CreateTable {
            name,
            if_not_exists: create.if_not_exists,
            temporary,
            columns,
            primary_key,
            constraints,
            storage_parameters,
        }))
    }

    /// A CHECK or UNIQUE table constraint (of CREATE TABLE or ALTER TABLE ADD CONSTRAINT).
    pub(super) fn table_constraint(&self, constraint: &sp::TableConstraint) -> Result<ast::TableConstraint> {
        match constraint {
            sp::TableConstraint::Check(check) => self.check_constraint(check, None),
            sp::TableConstraint::Unique(unique) => self.unique_constraint(unique, None, None),
            sp::TableConstraint::UniqueUsingIndex(_) => Err(unsupported("UNIQUE USING INDEX")),
            sp::TableConstraint::ForeignKey(foreign_key) => self.foreign_key(foreign_key, None, None),
            other => Err(unsupported(format!("the table constraint {other}"))),
        }
    }

    /// A column's CHECK and UNIQUE constraints (`a int CHECK (a > 0) UNIQUE`).
    fn column_constraints(&self, column: &sp::ColumnDef) -> Result<Vec<ast::TableConstraint>> {
        let mut out = Vec::new();
        for option in &column.options {
            match &option.option {
                sp::ColumnOption::Check(check) => out.push(self.check_constraint(check, option.name.as_ref())?),
                sp::ColumnOption::Unique(unique) => {
                    out.push(self.unique_constraint(unique, option.name.as_ref(), Some(&column.name))?)
                }
                sp::ColumnOption::ForeignKey(foreign_key) => {
                    out.push(self.foreign_key(foreign_key, option.name.as_ref(), Some(&column.name))?)
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn check_constraint(&self, check: &sp::CheckConstraint, name: Option<&sp::Ident>) -> Result<ast::TableConstraint> {
        if check.no_inherit || check.enforced.is_some() {
            return Err(unsupported(format!("{check}")));
        }
        Ok(ast::TableConstraint {
            name: name.or(check.name.as_ref()).map(fold_ident),
            kind: ast::ConstraintKind::Check(self.expr(&check.expr)?),
            not_valid: false,
        })
    }

    /// A FOREIGN KEY constraint; a column's (`column`: `REFERENCES p`) has no column list of its own.
    fn foreign_key(
        &self,
        foreign_key: &sp::ForeignKeyConstraint,
        name: Option<&sp::Ident>,
        column: Option<&sp::Ident>,
    ) -> Result<ast::TableConstraint> {
        use ast::ReferentialAction as A;
        let action = |action: Option<sp::ReferentialAction>| match action {
            None | Some(sp::ReferentialAction::NoAction) => A::NoAction,
            Some(sp::ReferentialAction::Restrict) => A::Restrict,
            Some(sp::ReferentialAction::Cascade) => A::Cascade,
            Some(sp::ReferentialAction::SetNull) => A::SetNull,
            Some(sp::ReferentialAction::SetDefault) => A::SetDefault,
        };
        let match_full = match foreign_key.match_kind {
            None | Some(sp::ConstraintReferenceMatchKind::Simple) => false,
            Some(sp::ConstraintReferenceMatchKind::Full) => true,
            Some(sp::ConstraintReferenceMatchKind::Partial) => {
                return Err(Error::unsupported("MATCH PARTIAL not yet implemented"))
            }
        };
        let characteristics = foreign_key.characteristics.unwrap_or_default();
        if characteristics.enforced.is_some() {
            return Err(unsupported("ENFORCED / NOT ENFORCED"));
        }
        let initially_deferred = characteristics.initially == Some(sp::DeferrableInitial::Deferred);
        if initially_deferred && characteristics.deferrable == Some(false) {
            return Err(Error::syntax("constraint declared INITIALLY DEFERRED must be DEFERRABLE"));
        }
        let columns = match column {
            Some(column) => vec![fold_ident(column)],
            None => foreign_key.columns.iter().map(fold_ident).collect(),
        };
        Ok(ast::TableConstraint {
            name: name.or(foreign_key.name.as_ref()).map(fold_ident),
            kind: ast::ConstraintKind::ForeignKey(ast::ForeignKeyDef {
                columns,
                parent: self.object_name(&foreign_key.foreign_table)?,
                parent_columns: foreign_key.referred_columns.iter().map(fold_ident).collect(),
                on_delete: action(foreign_key.on_delete),
                on_update: action(foreign_key.on_update),
                match_full,
                deferrable: characteristics.deferrable == Some(true) || initially_deferred,
                initially_deferred,
            }),
            not_valid: false,
        })
    }

    /// A UNIQUE constraint; a column's (`column`) has no column list of its own.
    fn unique_constraint(
        &self,
        unique: &sp::UniqueConstraint,
        name: Option<&sp::Ident>,
        column: Option<&sp::Ident>,
    ) -> Result<ast::TableConstraint> {
        if !unique.include.is_empty() || unique.index_type.is_some() || !unique.index_options.is_empty() {
            return Err(unsupported(format!("{unique}")));
        }
        if unique.characteristics.is_some_and(|c| c.deferrable == Some(true) || c.enforced.is_some()) {
            return Err(unsupported("DEFERRABLE unique constraints"));
        }
        let mut columns = Vec::new();
        match column {
            Some(column) => columns.push(fold_ident(column)),
            None => {
                for key in &unique.columns {
                    let sp::Expr::Identifier(ident) = &key.column.expr else {
                        return Err(unsupported("expressions in a unique constraint"));
                    };
                    let name = fold_ident(ident);
                    if columns.contains(&name) {
                        return Err(Error::new(
                            sqlstate::DUPLICATE_COLUMN,
                            format!("column \"{name}\" appears twice in unique constraint"),
                        ));
                    }
                    columns.push(name);
                }
            }
        }
        Ok(ast::TableConstraint {
            name: name.or(unique.name.as_ref()).map(fold_ident),
            kind: ast::ConstraintKind::Unique {
                columns,
                nulls_not_distinct: unique.nulls_distinct == sp::NullsDistinctOption::NotDistinct,
            },
            not_valid: false,
        })
    }

    /// One column of CREATE TABLE or ALTER TABLE ADD COLUMN, and whether it is declared PRIMARY KEY.
    pub(super) fn column_def(&self, column: &sp::ColumnDef, table_name: &str) -> Result<(ColumnDef, bool)> {
        let column_name = fold_ident(&column.name);
        let serial = serial_type(&column.data_type);
        let type_location = self.source.token_after(column.name.span.end).map(|t| t.span.start);
        let data_type = serial
            .map(Ok)
            .unwrap_or_else(|| self.data_type(&column.data_type))
            .and_then(|t| {
                // The catalogs' own types (oid, name, regclass, arrays, ...) are for reading catalogs.
                if t.is_storable() {
                    Ok(t)
                } else {
                    Err(Error::unsupported(format!("datatype {} not supported", t.name())))
                }
            })
            .map_err(|err| match type_location {
                Some(location) => self.at(err, location),
                None => err,
            })?;
        let mut not_null = None;
        let mut default = None;
        let mut primary_key = false;
        let mut identity: Option<IdentitySpec> = None;
        for option in &column.options {
            match &option.option {
                sp::ColumnOption::Null | sp::ColumnOption::NotNull => {
                    let wants_not_null = matches!(option.option, sp::ColumnOption::NotNull);
                    if not_null.is_some_and(|previous| previous != wants_not_null) {
                        return Err(Error::syntax(format!(
                            "conflicting NULL/NOT NULL declarations for column \"{column_name}\" of table \"{table_name}\""
                        )));
                    }
                    not_null = Some(wants_not_null);
                }
                sp::ColumnOption::Default(expr) => {
                    if default.is_some() {
                        return Err(Error::syntax(format!(
                            "multiple default values specified for column \"{column_name}\" of table \"{table_name}\""
                        )));
                    }
                    default = Some(self.expr(expr)?);
                }
                sp::ColumnOption::PrimaryKey(constraint) => {
                    if primary_key {
                        return Err(self.multiple_primary_keys(table_name, None));
                    }
                    if !constraint.include.is_empty() {
                        return Err(unsupported("INCLUDE in a primary key"));
                    }
                    primary_key = true;
                }
                sp::ColumnOption::Generated {
                    generated_as: generated_as @ (sp::GeneratedAs::Always | sp::GeneratedAs::ByDefault),
                    sequence_options,
                    generation_expr: None,
                    ..
                } => {
                    if identity.is_some() {
                        return Err(Error::syntax(format!(
                            "multiple identity specifications for column \"{column_name}\" of table \"{table_name}\""
                        )));
                    }
                    let mut options = self.identity_options()?;
                    if let Some(parsed) = sequence_options.as_deref().filter(|o| !o.is_empty()) {
                        options = self.sequence_options(parsed)?;
                    }
                    identity = Some(IdentitySpec { always: *generated_as == sp::GeneratedAs::Always, options });
                }
                // CREATE TABLE's column constraints (`column_constraints`); ADD COLUMN refuses them first.
                sp::ColumnOption::Check(_) | sp::ColumnOption::Unique(_) | sp::ColumnOption::ForeignKey(_) => {}
                other => return Err(refuse_constraint(other)),
            }
        }
        if default.is_some() && identity.is_some() {
            return Err(Error::syntax(format!(
                "both default and identity specified for column \"{column_name}\" of table \"{table_name}\""
            )));
        }
        let def = ColumnDef {
            name: column_name,
            data_type,
            // An identity or serial column is NOT NULL, as in PostgreSQL.
            not_null: not_null.unwrap_or(false) || identity.is_some() || serial.is_some(),
            default,
            identity,
            serial: serial.is_some(),
        };
        Ok((def, primary_key))
    }

    fn multiple_primary_keys(&self, table: &str, location: Option<Location>) -> Error {
        let err = Error::new(
            sqlstate::INVALID_TABLE_DEFINITION,
            format!("multiple primary keys for table \"{table}\" are not allowed"),
        );
        match location {
            Some(location) => self.at(err, location),
            None => err,
        }
    }

    /// `[WITH ...] INSERT / UPDATE / DELETE` as sqlparser reads it where a query may stand (a statement
    /// after WITH, or a WITH query's body): the statement with its WITH list; None for any other query.
    pub(super) fn modifying_query(&self, query: &sp::Query) -> Result<Option<Statement>> {
        let mut statement = match query.body.as_ref() {
            sp::SetExpr::Insert(statement) | sp::SetExpr::Update(statement) | sp::SetExpr::Delete(statement) => {
                self.statement(statement.clone())?
            }
            _ => return Ok(None),
        };
        let with = self.with_list(query.with.as_ref())?;
        match &mut statement {
            Statement::Insert(Insert { with: slot, .. })
            | Statement::Update(Update { with: slot, .. })
            | Statement::Delete(Delete { with: slot, .. }) => *slot = with,
            _ => return Err(Error::internal("a data-modifying query body is no INSERT, UPDATE or DELETE")),
        }
        Ok(Some(statement))
    }

    fn insert(&self, insert: &sp::Insert) -> Result<Statement> {
        let sp::TableObject::TableName(table) = &insert.table else {
            return Err(unsupported("INSERT INTO a table function"));
        };
        let on_conflict = match &insert.on {
            None => None,
            Some(sp::OnInsert::OnConflict(on_conflict)) => Some(self.on_conflict(on_conflict)?),
            Some(_) => return Err(unsupported("ON DUPLICATE KEY UPDATE")),
        };
        if insert.table_alias.is_some() {
            return Err(unsupported("INSERT INTO ... AS alias"));
        }
        if insert.or.is_some()
            || insert.ignore
            || insert.overwrite
            || !insert.assignments.is_empty()
            || insert.partitioned.is_some()
            || !insert.after_columns.is_empty()
            || insert.output.is_some()
            || insert.replace_into
            || insert.priority.is_some()
            || insert.insert_alias.is_some()
            || insert.settings.is_some()
            || insert.format_clause.is_some()
            || insert.multi_table_insert_type.is_some()
        {
            return Err(unsupported("this INSERT syntax"));
        }
        let columns = insert
            .columns
            .iter()
            .map(|column| match column.0.as_slice() {
                [sp::ObjectNamePart::Identifier(ident)] => Ok(fold_ident(ident)),
                _ => Err(unsupported(format!("the INSERT target column {column}"))),
            })
            .collect::<Result<_>>()?;
        let source = match &insert.source {
            None => InsertSource::DefaultValues,
            Some(query) => self.insert_source(query)?,
        };
        let source_start = insert
            .source
            .as_ref()
            .map(|q| sp::Spanned::span(q.as_ref()).start)
            .unwrap_or(Location { line: 0, column: 0 });
        let overriding = self.source.overriding_between(insert.insert_token.0.span.start, source_start);
        Ok(Statement::Insert(Insert {
            with: Vec::new(),
            table: self.object_name(table)?,
            columns,
            source,
            overriding,
            on_conflict,
            returning: self.returning(&insert.returning)?,
        }))
    }

    fn on_conflict(&self, on_conflict: &sp::OnConflict) -> Result<ast::OnConflict> {
        let target = match &on_conflict.conflict_target {
            None => None,
            Some(sp::ConflictTarget::Columns(columns)) => {
                Some(ast::ConflictTarget::Columns(columns.iter().map(fold_ident).collect()))
            }
            Some(sp::ConflictTarget::OnConstraint(name)) => {
                Some(ast::ConflictTarget::Constraint(self.object_name(name)?.name))
            }
        };
        let update = match &on_conflict.action {
            sp::OnConflictAction::DoNothing => None,
            sp::OnConflictAction::DoUpdate(update) => Some(ast::ConflictUpdate {
                assignments: self.assignments(&update.assignments, "INSERT ... ON CONFLICT")?,
                filter: update.selection.as_ref().map(|e| self.expr(e)).transpose()?,
            }),
        };
        Ok(ast::OnConflict { target, update })
    }

    /// `SET column = value | DEFAULT, ...` (UPDATE and ON CONFLICT DO UPDATE).
    pub(super) fn assignments(
        &self,
        assignments: &[sp::Assignment],
        statement: &str,
    ) -> Result<Vec<(String, Option<ast::Expr>)>> {
        assignments
            .iter()
            .map(|assignment| {
                let column = match &assignment.target {
                    sp::AssignmentTarget::ColumnName(name) => match name.0.as_slice() {
                        [sp::ObjectNamePart::Identifier(ident)] => fold_ident(ident),
                        _ => return Err(unsupported(format!("the {statement} target column {name}"))),
                    },
                    sp::AssignmentTarget::Tuple(_) => return Err(unsupported("SET (a, b) = ...")),
                };
                Ok((column, self.expr_or_default(&assignment.value)?))
            })
            .collect()
    }

    /// `VALUES` rows directly under INSERT may hold DEFAULT; anything else is a query.
    /// `COPY`: the options in either spelling become one checked [`CopyOptions`](crate::sql::copy::CopyOptions).
    fn copy(
        &self,
        source: &sp::CopySource,
        to: bool,
        target: &sp::CopyTarget,
        options: &[sp::CopyOption],
        legacy_options: &[sp::CopyLegacyOption],
        values: &[Option<String>],
    ) -> Result<Statement> {
        use crate::sql::copy::{CopyOption, CopyOptions, ForceQuote};
        if !values.is_empty() {
            return Err(unsupported("COPY data inline in the query string"));
        }
        let names = |idents: &[sp::Ident]| idents.iter().map(fold_ident).collect::<Vec<_>>();
        let relation = match source {
            sp::CopySource::Table { table_name, columns } => {
                ast::CopyRelation::Table { name: self.object_name(table_name)?, columns: names(columns) }
            }
            sp::CopySource::Query(query) => ast::CopyRelation::Query(Box::new(self.query(query)?)),
        };
        let endpoint = match target {
            // PostgreSQL takes either word either way (`COPY t TO STDIN` writes to the client).
            sp::CopyTarget::Stdin | sp::CopyTarget::Stdout => ast::CopyEndpoint::Client,
            sp::CopyTarget::File { filename } => ast::CopyEndpoint::File(filename.clone()),
            sp::CopyTarget::Program { command } => ast::CopyEndpoint::Program(command.clone()),
        };
        let mut list = Vec::new();
        for option in options {
            list.push(match option {
                sp::CopyOption::Format(name) => CopyOption::Format(name.value.clone()),
                sp::CopyOption::Freeze(on) => CopyOption::Freeze(*on),
                sp::CopyOption::Delimiter(c) => CopyOption::Delimiter(c.to_string()),
                sp::CopyOption::Null(text) => CopyOption::Null(text.clone()),
                sp::CopyOption::Header(on) => CopyOption::Header(*on),
                sp::CopyOption::Quote(c) => CopyOption::Quote(c.to_string()),
                sp::CopyOption::Escape(c) => CopyOption::Escape(c.to_string()),
                sp::CopyOption::ForceQuote(columns) => CopyOption::ForceQuote(ForceQuote::Columns(names(columns))),
                sp::CopyOption::ForceNotNull(columns) => CopyOption::ForceNotNull(names(columns)),
                sp::CopyOption::ForceNull(columns) => CopyOption::ForceNull(names(columns)),
                sp::CopyOption::Encoding(name) => CopyOption::Encoding(name.clone()),
            });
        }
        // The spelling before PostgreSQL 9.0, which psql's \copy and older drivers still send.
        for option in legacy_options {
            match option {
                sp::CopyLegacyOption::Binary => list.push(CopyOption::Format("binary".into())),
                sp::CopyLegacyOption::Delimiter(c) => list.push(CopyOption::Delimiter(c.to_string())),
                sp::CopyLegacyOption::Null(text) => list.push(CopyOption::Null(text.clone())),
                sp::CopyLegacyOption::Header => list.push(CopyOption::Header(true)),
                sp::CopyLegacyOption::Csv(csv_options) => {
                    list.push(CopyOption::Format("csv".into()));
                    for csv_option in csv_options {
                        list.push(match csv_option {
                            sp::CopyLegacyCsvOption::Header => CopyOption::Header(true),
                            sp::CopyLegacyCsvOption::Quote(c) => CopyOption::Quote(c.to_string()),
                            sp::CopyLegacyCsvOption::Escape(c) => CopyOption::Escape(c.to_string()),
                            sp::CopyLegacyCsvOption::ForceQuote(columns) => {
                                CopyOption::ForceQuote(ForceQuote::Columns(names(columns)))
                            }
                            sp::CopyLegacyCsvOption::ForceNotNull(columns) => CopyOption::ForceNotNull(names(columns)),
                        });
                    }
                }
                other => return Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
            }
        }
        let options = CopyOptions::build(list, !to)?;
        Ok(Statement::Copy(ast::Copy { relation, is_from: !to, endpoint, options }))
    }

    fn insert_source(&self, query: &sp::Query) -> Result<InsertSource> {
        let plain = query.with.is_none()
            && query.order_by.is_none()
            && query.limit_clause.is_none()
            && query.fetch.is_none()
            && query.locks.is_empty();
        if let (true, sp::SetExpr::Values(values)) = (plain, query.body.as_ref()) {
            check_row_lengths(values)?;
            let rows = values
                .rows
                .iter()
                .map(|row| row.content.iter().map(|item| self.expr_or_default(item)).collect::<Result<Vec<_>>>())
                .collect::<Result<_>>()?;
            return Ok(InsertSource::Values(rows));
        }
        Ok(InsertSource::Query(Box::new(self.query(query)?)))
    }

    /// An expression where `DEFAULT` is allowed (`None`).
    fn expr_or_default(&self, expr: &sp::Expr) -> Result<Option<ast::Expr>> {
        if is_default_keyword(expr) {
            Ok(None)
        } else {
            self.expr(expr).map(Some)
        }
    }

    fn returning(&self, returning: &Option<Vec<sp::SelectItem>>) -> Result<Vec<ast::SelectItem>> {
        match returning {
            None => Ok(Vec::new()),
            Some(items) => self.select_items(items),
        }
    }

    /// The single table of UPDATE / DELETE, with its alias.
    fn target_table(&self, table: &sp::TableWithJoins) -> Result<(ast::ObjectName, Option<String>)> {
        if !table.joins.is_empty() {
            return Err(unsupported("JOIN"));
        }
        match &table.relation {
            sp::TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: None,
                partitions,
                sample: None,
                ..
            } if with_hints.is_empty() && partitions.is_empty() => {
                let alias = match alias {
                    None => None,
                    Some(alias) if alias.columns.is_empty() => Some(fold_ident(&alias.name)),
                    Some(_) => return Err(Error::syntax("syntax error at or near \"(\"")),
                };
                Ok((self.object_name(name)?, alias))
            }
            other => Err(unsupported(format!("`{other}` as the target table"))),
        }
    }

    fn create_materialized_view(&self, view: &sp::CreateView) -> Result<Statement> {
        let Statement::CreateView(plain) = self.create_view(view)? else { unreachable!("create_view makes views") };
        if plain.or_replace {
            return Err(Error::syntax("syntax error at or near \"MATERIALIZED\""));
        }
        Ok(Statement::CreateTableAs(ast::CreateTableAs {
            name: plain.name,
            if_not_exists: view.if_not_exists,
            temporary: None,
            columns: plain.columns,
            query: plain.query,
            sql: plain.sql,
            materialized: true,
            with_data: true,
        }))
    }

    fn create_view(&self, view: &sp::CreateView) -> Result<Statement> {
        if view.temporary {
            return Err(unsupported("CREATE TEMPORARY VIEW"));
        }
        if view.or_alter || (view.if_not_exists && !view.materialized) || view.to.is_some() || view.params.is_some() {
            return Err(unsupported("this CREATE VIEW syntax"));
        }
        let mut check_option = self.source.check_option_after(sp::Spanned::span(&view.name).start);
        match &view.options {
            sp::CreateTableOptions::None => {}
            sp::CreateTableOptions::With(options) => {
                for option in options {
                    check_option = Some(view_check_option(option)?);
                }
            }
            _ => return Err(unsupported("this CREATE VIEW syntax")),
        }
        let columns = view
            .columns
            .iter()
            .map(|column| match (&column.data_type, &column.options) {
                (None, None) => Ok(fold_ident(&column.name)),
                _ => Err(Error::syntax(format!("syntax error at or near \"{}\"", column.name))),
            })
            .collect::<Result<_>>()?;
        Ok(Statement::CreateView(ast::CreateView {
            name: self.object_name(&view.name)?,
            or_replace: view.or_replace,
            columns,
            query: Box::new(self.query(&view.query)?),
            sql: view.query.to_string(),
            check_option,
        }))
    }

    fn update(&self, update: &sp::Update) -> Result<Statement> {
        let from = match &update.from {
            None => Vec::new(),
            Some(sp::UpdateTableFromKind::AfterSet(items)) => {
                items.iter().map(|item| self.table_with_joins(item)).collect::<Result<_>>()?
            }
            Some(sp::UpdateTableFromKind::BeforeSet(_)) => return Err(unsupported("UPDATE FROM ... SET")),
        };
        if update.output.is_some() || update.or.is_some() || !update.order_by.is_empty() || update.limit.is_some() {
            return Err(unsupported("this UPDATE syntax"));
        }
        let (table, alias) = self.target_table(&update.table)?;
        let assignments = self.assignments(&update.assignments, "UPDATE")?;
        Ok(Statement::Update(Update {
            with: Vec::new(),
            table,
            alias,
            assignments,
            from,
            filter: update.selection.as_ref().map(|e| self.expr(e)).transpose()?,
            returning: self.returning(&update.returning)?,
            merge_action: false,
        }))
    }

    fn delete(&self, delete: &sp::Delete) -> Result<Statement> {
        if !delete.tables.is_empty() || delete.output.is_some() || !delete.order_by.is_empty() || delete.limit.is_some()
        {
            return Err(unsupported("this DELETE syntax"));
        }
        let tables = match &delete.from {
            sp::FromTable::WithFromKeyword(tables) | sp::FromTable::WithoutKeyword(tables) => tables,
        };
        let [target] = tables.as_slice() else {
            return Err(unsupported("DELETE from several tables"));
        };
        let (table, alias) = self.target_table(target)?;
        let using = delete.using.iter().flatten().map(|item| self.table_with_joins(item)).collect::<Result<_>>()?;
        Ok(Statement::Delete(Delete {
            with: Vec::new(),
            table,
            alias,
            using,
            filter: delete.selection.as_ref().map(|e| self.expr(e)).transpose()?,
            returning: self.returning(&delete.returning)?,
            merge_action: false,
        }))
    }

    fn set(&self, set: &sp::Set) -> Result<Statement> {
        match set {
            sp::Set::SingleAssignment { scope, hivevar, variable, values } => {
                if *hivevar {
                    return Err(unsupported("SET HIVEVAR"));
                }
                if matches!(scope, Some(sp::ContextModifier::Global)) {
                    return Err(unsupported("SET GLOBAL"));
                }
                let name = variable
                    .0
                    .iter()
                    .map(|part| match part {
                        sp::ObjectNamePart::Identifier(ident) => Ok(fold_ident(ident)),
                        sp::ObjectNamePart::Function(_) => Err(unsupported(format!("SET {variable}"))),
                    })
                    .collect::<Result<Vec<_>>>()?
                    .join(".");
                let value = values.iter().map(set_value).collect::<Result<Vec<_>>>()?.join(", ");
                Ok(Statement::Set { name, value, local: matches!(scope, Some(sp::ContextModifier::Local)) })
            }
            sp::Set::SetTimeZone { local, value } => {
                let value = match value {
                    sp::Expr::Interval(interval) => interval_zone_hours(interval)?,
                    other => set_value(other)?,
                };
                Ok(Statement::Set { name: "timezone".into(), value, local: *local })
            }
            sp::Set::SetNames { charset_name, collation_name: None } => {
                Ok(Statement::Set { name: "client_encoding".into(), value: charset_name.value.clone(), local: false })
            }
            sp::Set::SetTransaction { modes, snapshot: None, .. } => {
                let mut isolation = None;
                let mut read_only = false;
                for mode in modes {
                    match mode {
                        sp::TransactionMode::IsolationLevel(level) => isolation = Some(isolation_level(level)?),
                        sp::TransactionMode::AccessMode(access) => {
                            read_only = matches!(access, sp::TransactionAccessMode::ReadOnly)
                        }
                    }
                }
                Ok(Statement::SetTransaction { isolation, read_only })
            }
            other => Err(unsupported(format!("{other}"))),
        }
    }
}

/// An isolation level as written; which ones run is the rule table's decision (`compat`). SNAPSHOT is not
/// PostgreSQL syntax.
fn isolation_level(level: &sp::TransactionIsolationLevel) -> Result<ast::IsolationLevel> {
    use sp::TransactionIsolationLevel as Level;
    Ok(match level {
        Level::RepeatableRead => ast::IsolationLevel::RepeatableRead,
        Level::Serializable => ast::IsolationLevel::Serializable,
        Level::ReadCommitted => ast::IsolationLevel::ReadCommitted,
        Level::ReadUncommitted => ast::IsolationLevel::ReadUncommitted,
        Level::Snapshot => return Err(Error::syntax("syntax error at or near \"SNAPSHOT\"")),
    })
}

/// A SET value as text: strings without quotes, identifiers case-folded, numbers as written.
/// `SET x = DEFAULT` / `TO DEFAULT` gives the value `DEFAULT` (upper case, unambiguous after folding).
fn set_value(value: &sp::Expr) -> Result<String> {
    match value {
        expr if is_default_keyword(expr) => Ok("DEFAULT".into()),
        sp::Expr::Identifier(ident) => Ok(fold_ident(ident)),
        sp::Expr::CompoundIdentifier(parts) => Ok(parts.iter().map(fold_ident).collect::<Vec<_>>().join(".")),
        sp::Expr::Value(value) => match &value.value {
            sp::Value::SingleQuotedString(s) | sp::Value::EscapedStringLiteral(s) => Ok(s.clone()),
            sp::Value::DollarQuotedString(s) => Ok(s.value.clone()),
            sp::Value::Number(n, _) => Ok(n.clone()),
            sp::Value::Boolean(b) => Ok(if *b { "on".into() } else { "off".into() }),
            other => Ok(other.to_string()),
        },
        sp::Expr::UnaryOp { op: sp::UnaryOperator::Minus, expr } => Ok(format!("-{}", set_value(expr)?)),
        other => Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
    }
}

/// `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE`: the interval as a number of hours east (`2`, `5.5`),
/// which the TimeZone setting reads as PostgreSQL does. An interval with days or months is 22023, as PG.
fn interval_zone_hours(interval: &sp::Interval) -> Result<String> {
    let text = match interval.value.as_ref() {
        sp::Expr::Value(v) => match &v.value {
            sp::Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => return Err(Error::syntax(format!("syntax error at or near \"{other}\""))),
    };
    // `INTERVAL '2' HOUR`: a bare number counts the leading field's units.
    if let (Some(sp::DateTimeField::Hour), Ok(hours)) = (&interval.leading_field, text.trim().parse::<f64>()) {
        return Ok(crate::types::text::format_float8(hours));
    }
    let parsed = match crate::types::text::parse(&text, &crate::types::DataType::Interval)? {
        crate::types::Value::Interval(iv) => iv,
        _ => return Err(Error::internal("interval input gave another type")),
    };
    if parsed.months != 0 || parsed.days != 0 {
        return Err(Error::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            "invalid interval value for time zone: day not allowed",
        ));
    }
    Ok(crate::types::text::format_float8(parsed.micros as f64 / 3_600_000_000.0))
}

/// `SHOW name`; multi-word forms map to their parameter (`SHOW TRANSACTION ISOLATION LEVEL` ->
/// `transaction_isolation`, `SHOW TIME ZONE` -> `timezone`).
fn show_name(variable: &[sp::Ident]) -> String {
    let words: Vec<String> = variable.iter().map(fold_ident).collect();
    match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["transaction", "isolation", "level"] => "transaction_isolation".into(),
        ["time", "zone"] => "timezone".into(),
        ["session", "authorization"] => "session_authorization".into(),
        _ => words.join("."),
    }
}

/// Whether an expression holds a subquery anywhere (refused in CALL arguments and in index expressions
/// and predicates).
fn contains_subquery(expr: &sp::Expr) -> bool {
    sp::visit_expressions(expr, |e| match e {
        sp::Expr::Subquery(_) | sp::Expr::Exists { .. } | sp::Expr::InSubquery { .. } => {
            std::ops::ControlFlow::Break(())
        }
        _ => std::ops::ControlFlow::Continue(()),
    })
    .is_break()
}

/// 0A000 for a column option other than NULL / NOT NULL / DEFAULT / PRIMARY KEY.
fn refuse_constraint(option: &sp::ColumnOption) -> Error {
    match option {
        sp::ColumnOption::Generated { .. } | sp::ColumnOption::Identity(_) => unsupported("generated columns"),
        sp::ColumnOption::Collation(_) => unsupported("COLLATE"),
        other => unsupported(format!("the column option {other}")),
    }
}

/// 0A000 for a statement occam does not run, with Aurora DSQL's wording where DSQL refuses it too.
fn refuse_statement(statement: &sp::Statement) -> Error {
    use sp::Statement as S;
    let dsql = |message: &str| Error::unsupported(message);
    match statement {
        S::Truncate(_) => dsql("unsupported statement: Truncate"),
        S::CreateExtension(_) => dsql("unsupported statement: CreateExtension"),
        S::CreateDatabase { .. } => dsql("unsupported statement: Createdb"),
        S::CreateTrigger(_) => dsql("CREATE TRIGGER not supported"),
        S::CreateType { representation: Some(sp::UserDefinedTypeRepresentation::Composite { .. }), .. } => {
            dsql("unsupported statement: CompositeType")
        }
        S::CreateType { representation: Some(sp::UserDefinedTypeRepresentation::Range { .. }), .. } => {
            dsql("unsupported statement: CreateRange")
        }
        S::CreateType { .. } => dsql("CREATE TYPE not supported"),
        S::AlterType(_) => dsql("ALTER TYPE not supported"),
        S::Vacuum(_) => dsql("unsupported VACUUM statement"),
        S::LISTEN { .. } => dsql("unsupported statement: Listen"),
        S::NOTIFY { .. } => dsql("unsupported statement: Notify"),
        S::Merge(_) => dsql("unsupported statement type: MERGE"),
        _ => unsupported(statement_kind(statement)),
    }
}

/// EXPLAIN's options from either syntax: `EXPLAIN ANALYZE VERBOSE` or `EXPLAIN (ANALYZE, COSTS off, FORMAT
/// JSON)`. Unknown options and values are errors as in PostgreSQL (42601 / 22023).
fn explain_options(
    analyze: bool,
    verbose: bool,
    format: Option<&sp::AnalyzeFormatKind>,
    options: Option<&[sp::UtilityOption]>,
) -> Result<ast::ExplainOptions> {
    let mut out = ast::ExplainOptions {
        analyze,
        verbose,
        costs: true,
        timing: true,
        summary: true,
        format: ast::ExplainFormat::Text,
    };
    if let Some(format) = format {
        out.format = match format.to_string().to_ascii_uppercase().trim_start_matches("FORMAT ").trim() {
            "TEXT" => ast::ExplainFormat::Text,
            "JSON" => ast::ExplainFormat::Json,
            other => return Err(unsupported(format!("EXPLAIN format {other}"))),
        };
    }
    for option in options.unwrap_or_default() {
        let name = option.name.value.to_ascii_lowercase();
        let arg = option.arg.as_ref().map(|a| a.to_string().trim_matches('\'').to_ascii_lowercase());
        let flag = || -> Result<bool> {
            match arg.as_deref() {
                None | Some("true") | Some("on") | Some("1") => Ok(true),
                Some("false") | Some("off") | Some("0") => Ok(false),
                Some(other) => {
                    Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("{name} requires a Boolean value"))
                        .with_detail(format!("got \"{other}\"")))
                }
            }
        };
        match name.as_str() {
            "analyze" => out.analyze = flag()?,
            "verbose" => out.verbose = flag()?,
            "costs" => out.costs = flag()?,
            "timing" => out.timing = flag()?,
            "summary" => out.summary = flag()?,
            "buffers" | "settings" | "wal" => {
                flag()?;
            }
            "format" => {
                out.format = match arg.as_deref() {
                    Some("text") => ast::ExplainFormat::Text,
                    Some("json") => ast::ExplainFormat::Json,
                    Some(other) => {
                        return Err(Error::new(
                            sqlstate::INVALID_PARAMETER_VALUE,
                            format!("unrecognized value for EXPLAIN option \"format\": \"{other}\""),
                        ))
                    }
                    None => return Err(Error::syntax("EXPLAIN option \"format\" requires a value")),
                }
            }
            other => return Err(Error::syntax(format!("unrecognized EXPLAIN option \"{other}\""))),
        }
    }
    Ok(out)
}

/// The kind of a statement in words, from sqlparser's variant name: `CreateIndex` -> `CREATE INDEX`.
fn statement_kind(statement: &sp::Statement) -> String {
    if let sp::Statement::Drop { object_type, .. } = statement {
        return format!("DROP {object_type}");
    }
    let debug = format!("{statement:?}");
    let variant: String = debug.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let mut words = String::new();
    for (i, ch) in variant.char_indices() {
        if i > 0 && ch.is_ascii_uppercase() && !variant[..i].ends_with(|c: char| c.is_ascii_uppercase()) {
            words.push(' ');
        }
        words.push(ch.to_ascii_uppercase());
    }
    words
}

/// The integer type of `serial` / `bigserial` / `smallserial` (and `serial4`, `serial8`, `serial2`).
fn serial_type(data_type: &sp::DataType) -> Option<crate::types::DataType> {
    use crate::types::DataType;
    let sp::DataType::Custom(name, modifiers) = data_type else { return None };
    if !modifiers.is_empty() || name.0.len() != 1 {
        return None;
    }
    match name.0[0].to_string().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(DataType::Int4),
        "bigserial" | "serial8" => Some(DataType::Int8),
        "smallserial" | "serial2" => Some(DataType::Int2),
        _ => None,
    }
}

/// A table storage parameter of `CREATE TABLE ... WITH (fillfactor = 100)` (pgbench and dumps write them):
/// one of PostgreSQL's heap parameters, checked as PostgreSQL checks them (22023 for an unknown name or
/// a fillfactor outside 10..100); occam's storage has no use for them.
fn storage_parameter(option: &sp::SqlOption) -> Result<(String, String)> {
    const HEAP_PARAMETERS: &[&str] = &[
        "fillfactor",
        "toast_tuple_target",
        "parallel_workers",
        "autovacuum_enabled",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "user_catalog_table",
    ];
    let invalid = |message: String| Error::new(crate::error::sqlstate::INVALID_PARAMETER_VALUE, message);
    let sp::SqlOption::KeyValue { key, value } = option else {
        return Err(unsupported(format!("table option {option}")));
    };
    let name = fold_ident(key);
    let value = match value {
        sp::Expr::Value(value) => match &value.value {
            sp::Value::SingleQuotedString(text) => text.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    if !HEAP_PARAMETERS.contains(&name.as_str()) && !name.starts_with("autovacuum_") && !name.starts_with("toast.") {
        return Err(invalid(format!("unrecognized parameter \"{name}\"")));
    }
    if name == "fillfactor" {
        let number: i64 =
            value.parse().map_err(|_| invalid(format!("invalid value for integer option \"fillfactor\": {value}")))?;
        if !(10..=100).contains(&number) {
            return Err(invalid(format!("value {value} out of bounds for option \"fillfactor\""))
                .with_detail("Valid values are between \"10\" and \"100\"."));
        }
    }
    Ok((name, value))
}

/// A view option of `CREATE VIEW v WITH (check_option = local)`: only `check_option` is supported.
fn view_check_option(option: &sp::SqlOption) -> Result<ast::CheckOption> {
    let sp::SqlOption::KeyValue { key, value } = option else {
        return Err(unsupported("CREATE VIEW ... WITH (options) other than check_option"));
    };
    if !key.value.eq_ignore_ascii_case("check_option") {
        return Err(unsupported(format!("CREATE VIEW ... WITH ({})", key.value)));
    }
    let text = match value {
        sp::Expr::Identifier(ident) => ident.value.to_ascii_lowercase(),
        sp::Expr::Value(value) => match &value.value {
            sp::Value::SingleQuotedString(text) => text.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    match text.as_str() {
        "local" => Ok(ast::CheckOption::Local),
        "cascaded" => Ok(ast::CheckOption::Cascaded),
        _ => Err(Error::new(
            crate::error::sqlstate::INVALID_PARAMETER_VALUE,
            format!("invalid value for enum option \"check_option\": {text}"),
        )
        .with_detail("Valid values are \"local\" and \"cascaded\".")),
    }
}
