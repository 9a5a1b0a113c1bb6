//! ALTER TABLE, translated to occam's AST. What Aurora DSQL refuses whatever the mode (any ALTER COLUMN
//! ... TYPE, ADD PRIMARY KEY) is refused here with DSQL's recorded wording; what only DSQL refuses (a
//! constraint or DEFAULT in ADD COLUMN, SET NOT NULL, ADD CONSTRAINT without NOT VALID, synchronous
//! VALIDATE CONSTRAINT) is the session's rule table's to decide (`compat`).

use sqlparser::ast as sp;

use super::access::TokenReader;
use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{AlterTable, AlterTableAction, ConstraintKind, IdentitySpec, ObjectName, Statement};

/// Whether the tokens after `ALTER TABLE` are a change sqlparser has no grammar for: `... ALTER [COLUMN] c
/// DROP IDENTITY`, `SET GENERATED` or `SET STORAGE`, or `... SET SCHEMA s` (`words`: the statement's first
/// words, lower case).
pub(super) fn is_identity_change(words: &[String]) -> bool {
    words.len() > 4
        && words[0] == "alter"
        && words[1] == "table"
        && words.windows(2).any(|w| {
            matches!((w[0].as_str(), w[1].as_str()), ("drop", "identity") | ("set", "generated" | "storage" | "schema"))
        })
}

impl TokenReader<'_> {
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] c {DROP IDENTITY [IF EXISTS] | SET GENERATED
    /// {ALWAYS | BY DEFAULT} | SET STORAGE mode}` or `ALTER TABLE [IF EXISTS] name SET SCHEMA s`, after
    /// `ALTER TABLE`.
    pub(super) fn alter_table_identity(&mut self) -> Result<Statement> {
        let if_exists = self.eat_word("if") && {
            self.expect_word("exists")?;
            true
        };
        self.eat_word("only");
        let first = self.identifier()?;
        let name = if matches!(self.peek().token, sqlparser::tokenizer::Token::Period) {
            self.advance();
            ObjectName { schema: Some(first), name: self.identifier()? }
        } else {
            ObjectName { schema: None, name: first }
        };
        if self.eat_word("set") {
            self.expect_word("schema")?;
            let schema = self.identifier()?;
            if !self.at_end() {
                return Err(self.error());
            }
            let actions = vec![AlterTableAction::SetSchema { schema }];
            return Ok(Statement::AlterTable(AlterTable { name, if_exists, actions, asynchronous: false }));
        }
        self.expect_word("alter")?;
        self.eat_word("column");
        let column = self.identifier()?;
        let action = if self.eat_word("drop") {
            self.expect_word("identity")?;
            let if_exists = self.eat_word("if") && {
                self.expect_word("exists")?;
                true
            };
            AlterTableAction::DropIdentity { column, if_exists }
        } else if self.eat_word("set") && self.eat_word("storage") {
            if !["plain", "external", "extended", "main", "default"].iter().any(|mode| self.eat_word(mode)) {
                return Err(self.error());
            }
            AlterTableAction::SetStorage { column }
        } else {
            self.expect_word("generated")?;
            let always = if self.eat_word("always") {
                true
            } else {
                self.expect_word("by")?;
                self.expect_word("default")?;
                false
            };
            AlterTableAction::SetGenerated { column, always }
        };
        if !self.at_end() {
            return Err(self.error());
        }
        Ok(Statement::AlterTable(AlterTable { name, if_exists, actions: vec![action], asynchronous: false }))
    }
}

impl Translator<'_> {
    pub(super) fn alter_table(&self, alter: &sp::AlterTable) -> Result<Statement> {
        if alter.table_type.is_some() || alter.location.is_some() || alter.on_cluster.is_some() {
            return Err(unsupported("this ALTER TABLE syntax"));
        }
        let name = self.object_name(&alter.name)?;
        let asynchronous = self.source.is_async_alter(sp::Spanned::span(&alter.name).start);
        let actions: Vec<AlterTableAction> = alter
            .operations
            .iter()
            .map(|operation| self.alter_table_action(operation, &name.name))
            .collect::<Result<_>>()?;
        if asynchronous && !matches!(actions.as_slice(), [AlterTableAction::ValidateConstraint { .. }]) {
            return Err(unsupported("ALTER TABLE ASYNC other than VALIDATE CONSTRAINT"));
        }
        Ok(Statement::AlterTable(AlterTable { name, if_exists: alter.if_exists, actions, asynchronous }))
    }

    fn alter_table_action(&self, operation: &sp::AlterTableOperation, table_name: &str) -> Result<AlterTableAction> {
        use sp::AlterTableOperation as Op;
        Ok(match operation {
            Op::AddColumn { if_not_exists, column_def, column_position: None, .. } => {
                // occam has no CHECK, UNIQUE or FOREIGN KEY constraints; DSQL refuses them here in these words.
                let constrained = column_def.options.iter().any(|o| {
                    matches!(
                        o.option,
                        sp::ColumnOption::Check(_) | sp::ColumnOption::Unique(_) | sp::ColumnOption::ForeignKey(_)
                    )
                });
                if constrained {
                    return Err(Error::unsupported("ALTER TABLE ADD COLUMN with constraint not supported"));
                }
                let (column, primary_key) = self.column_def(column_def, table_name)?;
                if primary_key {
                    return Err(unsupported("ADD COLUMN ... PRIMARY KEY"));
                }
                AlterTableAction::AddColumn { column, if_not_exists: *if_not_exists }
            }
            Op::DropColumn { column_names, if_exists, .. } => match column_names.as_slice() {
                [column] => AlterTableAction::DropColumn { name: fold_ident(column), if_exists: *if_exists },
                _ => return Err(unsupported("dropping several columns in one ALTER TABLE")),
            },
            Op::RenameColumn { old_column_name, new_column_name } => {
                AlterTableAction::RenameColumn { from: fold_ident(old_column_name), to: fold_ident(new_column_name) }
            }
            Op::RenameTable { table_name: sp::RenameTableNameKind::To(to) } => {
                let to = self.object_name(to)?;
                if to.schema.is_some() {
                    return Err(Error::syntax("syntax error at or near \".\""));
                }
                AlterTableAction::RenameTable { to: to.name }
            }
            Op::AlterColumn { column_name, op } => {
                let column = fold_ident(column_name);
                use sp::AlterColumnOperation as C;
                match op {
                    C::SetNotNull => AlterTableAction::SetNotNull { column, not_null: true },
                    C::DropNotNull => AlterTableAction::SetNotNull { column, not_null: false },
                    C::SetDefault { value } => {
                        AlterTableAction::SetDefault { column, default: Some(self.expr(value)?) }
                    }
                    C::DropDefault => AlterTableAction::SetDefault { column, default: None },
                    C::SetDataType { .. } => {
                        return Err(Error::unsupported(
                            "unsupported ALTER TABLE ALTER COLUMN ... SET DATA TYPE statement",
                        ))
                    }
                    C::AddGenerated { generated_as, sequence_options } => {
                        let mut options = self.identity_options()?;
                        if let Some(parsed) = sequence_options.as_deref().filter(|o| !o.is_empty()) {
                            options = self.sequence_options(parsed)?;
                        }
                        let always = !matches!(generated_as, Some(sp::GeneratedAs::ByDefault));
                        AlterTableAction::AddIdentity { column, identity: IdentitySpec { always, options } }
                    }
                }
            }
            // occam's rows are keyed by the primary key: adding one re-keys the stored rows (PostgreSQL mode
            // only, as pg_dump's output does it; DSQL refuses it).
            Op::AddConstraint { constraint: sp::TableConstraint::PrimaryKey(key), not_valid } => {
                if *not_valid {
                    return Err(Error::unsupported("PRIMARY KEY constraints cannot be marked NOT VALID"));
                }
                if !key.include.is_empty()
                    || key.index_type.as_ref().is_some_and(|t| !matches!(t, sp::IndexType::BTree))
                {
                    return Err(unsupported(format!("{key}")));
                }
                if key.characteristics.is_some_and(|c| c.deferrable == Some(true)) {
                    return Err(unsupported("DEFERRABLE primary keys"));
                }
                let mut columns = Vec::new();
                for column in &key.columns {
                    let sp::Expr::Identifier(ident) = &column.column.expr else {
                        return Err(unsupported("expressions in a primary key"));
                    };
                    let name = fold_ident(ident);
                    if columns.contains(&name) {
                        return Err(Error::new(
                            sqlstate::DUPLICATE_COLUMN,
                            format!("column \"{name}\" appears twice in primary key constraint"),
                        ));
                    }
                    columns.push(name);
                }
                AlterTableAction::AddPrimaryKey { name: key.name.as_ref().map(fold_ident), columns }
            }
            Op::AddConstraint { constraint: sp::TableConstraint::UniqueUsingIndex(using), not_valid } => {
                if *not_valid {
                    return Err(Error::unsupported("UNIQUE constraints cannot be marked NOT VALID"));
                }
                if using.characteristics.is_some_and(|c| c.deferrable == Some(true)) {
                    return Err(unsupported("DEFERRABLE unique constraints"));
                }
                AlterTableAction::AddUniqueUsingIndex {
                    name: using.name.as_ref().map(fold_ident),
                    index: fold_ident(&using.index_name),
                }
            }
            Op::AddConstraint { constraint, not_valid } => {
                let mut constraint = self.table_constraint(constraint)?;
                if *not_valid && matches!(constraint.kind, ConstraintKind::Unique { .. }) {
                    return Err(Error::unsupported("UNIQUE constraints cannot be marked NOT VALID"));
                }
                constraint.not_valid = *not_valid;
                AlterTableAction::AddConstraint(constraint)
            }
            Op::DropConstraint { if_exists, name, drop_behavior } => AlterTableAction::DropConstraint {
                name: fold_ident(name),
                if_exists: *if_exists,
                cascade: matches!(drop_behavior, Some(sp::DropBehavior::Cascade)),
            },
            Op::ValidateConstraint { name } => AlterTableAction::ValidateConstraint { name: fold_ident(name) },
            Op::OwnerTo { new_owner } => AlterTableAction::OwnerTo {
                role: match new_owner {
                    sp::Owner::Ident(ident) => Some(fold_ident(ident)),
                    _ => None,
                },
            },
            other => return Err(unsupported(format!("ALTER TABLE {other}"))),
        })
    }
}
