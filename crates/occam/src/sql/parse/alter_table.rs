//! ALTER TABLE: one action per statement, translated to occam's AST. What Aurora DSQL refuses whatever the
//! mode (any ALTER COLUMN ... TYPE, ADD CONSTRAINT without NOT VALID, synchronous VALIDATE CONSTRAINT) is
//! refused here with DSQL's recorded wording; what only DSQL refuses (a constraint or DEFAULT in ADD COLUMN,
//! SET NOT NULL) is the session's rule table's to decide (`compat`).

use sqlparser::ast as sp;

use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{Error, Result};
use crate::sql::ast::{AlterTable, AlterTableAction, IdentitySpec, Statement};

impl Translator<'_> {
    pub(super) fn alter_table(&self, alter: &sp::AlterTable) -> Result<Statement> {
        if alter.table_type.is_some() || alter.location.is_some() || alter.on_cluster.is_some() {
            return Err(unsupported("this ALTER TABLE syntax"));
        }
        let name = self.object_name(&alter.name)?;
        let [operation] = alter.operations.as_slice() else {
            return Err(unsupported("several actions in one ALTER TABLE"));
        };
        let action = self.alter_table_action(operation, &name.name)?;
        Ok(Statement::AlterTable(AlterTable { name, if_exists: alter.if_exists, action }))
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
            Op::AddConstraint { not_valid: false, .. } => {
                return Err(Error::unsupported("unsupported ALTER TABLE ADD CONSTRAINT statement"))
            }
            // DSQL accepts CHECK and FOREIGN KEY constraints added NOT VALID; occam has no such constraints.
            Op::AddConstraint { not_valid: true, .. } => return Err(unsupported("ALTER TABLE ADD CONSTRAINT")),
            Op::ValidateConstraint { .. } => {
                return Err(Error::unsupported("unsupported ALTER TABLE VALIDATE CONSTRAINT statement"))
            }
            other => return Err(unsupported(format!("ALTER TABLE {other}"))),
        })
    }
}
