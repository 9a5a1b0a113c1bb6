//! `MERGE INTO target USING source ON condition WHEN [NOT] MATCHED [AND condition] THEN ...` (PostgreSQL
//! 15's form), rewritten into the statement it means: one data-modifying WITH query per action, all reading
//! the snapshot from before the statement (`sql::execute::modify::with_modifying`), whose RETURNING rows
//! the main query counts for the `MERGE n` tag.
//!
//! ```text
//!   WHEN MATCHED [AND c] THEN UPDATE SET ...   UPDATE target SET ... FROM source WHERE on AND c AND <earlier not taken>
//!   WHEN MATCHED [AND c] THEN DELETE           DELETE FROM target USING source WHERE on AND c AND <earlier not taken>
//!   WHEN NOT MATCHED [AND c] THEN INSERT ...   INSERT INTO target SELECT values FROM source
//!                                                WHERE NOT EXISTS (SELECT FROM target WHERE on) AND c AND <...>
//! ```
//! A row takes the first clause of its kind whose condition is true (`<earlier not taken>`: each earlier
//! clause's condition IS NOT TRUE), as PostgreSQL. Aurora DSQL refuses MERGE; the session's rules decide.

use sqlparser::ast as sp;

use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{Error, Result};
use crate::sql::ast::{
    self, CommonTableExpr, Expr, InsertSource, Literal, Query, QueryBody, Select, SelectItem, Statement, TableAlias,
    TableRef,
};

/// The names of the rewritten statement's WITH queries (not a name SQL text can write unquoted).
fn part_name(i: usize) -> String {
    format!("merge action {}", i + 1)
}

impl Translator<'_> {
    pub(super) fn merge(&self, merge: &sp::Merge) -> Result<Statement> {
        if merge.output.is_some() {
            return Err(unsupported("MERGE ... OUTPUT"));
        }
        let sp::TableFactor::Table { name, alias, args: None, .. } = &merge.table else {
            return Err(unsupported(format!("MERGE INTO {}", merge.table)));
        };
        let target = self.object_name(name)?;
        let target_alias = alias.as_ref().map(|a| fold_ident(&a.name));
        let source = self.table_factor(&merge.source)?;
        let on = self.expr(&merge.on)?;
        let target_item = TableRef::Table {
            name: target.clone(),
            alias: target_alias.as_ref().map(|name| TableAlias { name: name.clone(), columns: Vec::new() }),
        };
        let one = || vec![SelectItem::Expr { expr: Expr::Literal(Literal::Bool(true)), alias: None }];
        let mut parts: Vec<Statement> = Vec::new();
        let (mut matched_taken, mut unmatched_taken): (Vec<Expr>, Vec<Expr>) = (Vec::new(), Vec::new());
        for clause in &merge.clauses {
            let predicate = clause.predicate.as_ref().map(|p| self.expr(p)).transpose()?;
            let taken = predicate.clone().unwrap_or(Expr::Literal(Literal::Bool(true)));
            match clause.clause_kind {
                sp::MergeClauseKind::Matched => {
                    let mut conditions = vec![on.clone()];
                    conditions.extend(predicate);
                    conditions.extend(matched_taken.iter().cloned().map(is_not_true));
                    matched_taken.push(taken);
                    let filter = Some(Expr::And(conditions));
                    match &clause.action {
                        sp::MergeAction::Update(update) => {
                            if update.update_predicate.is_some() || update.delete_predicate.is_some() {
                                return Err(unsupported("MERGE UPDATE ... WHERE / DELETE WHERE"));
                            }
                            let sp::MergeUpdateKind::Set(assignments) = &update.kind else {
                                return Err(unsupported(format!("MERGE {update}")));
                            };
                            parts.push(Statement::Update(ast::Update {
                                with: Vec::new(),
                                table: target.clone(),
                                alias: target_alias.clone(),
                                assignments: self.assignments(assignments, "MERGE")?,
                                from: vec![source.clone()],
                                filter,
                                returning: one(),
                                merge_action: true,
                            }));
                        }
                        sp::MergeAction::Delete { .. } => parts.push(Statement::Delete(ast::Delete {
                            with: Vec::new(),
                            table: target.clone(),
                            alias: target_alias.clone(),
                            using: vec![source.clone()],
                            filter,
                            returning: one(),
                            merge_action: true,
                        })),
                        sp::MergeAction::DoNothing { .. } => {}
                        sp::MergeAction::Insert(_) => {
                            return Err(Error::syntax("syntax error at or near \"INSERT\""));
                        }
                    }
                }
                sp::MergeClauseKind::NotMatched | sp::MergeClauseKind::NotMatchedByTarget => {
                    let unmatched = Expr::Exists {
                        query: Box::new(select(one(), vec![target_item.clone()], Some(on.clone()))),
                        negated: true,
                    };
                    let mut conditions = vec![unmatched];
                    conditions.extend(predicate);
                    conditions.extend(unmatched_taken.iter().cloned().map(is_not_true));
                    unmatched_taken.push(taken);
                    match &clause.action {
                        sp::MergeAction::Insert(insert) => {
                            if insert.insert_predicate.is_some() {
                                return Err(unsupported("MERGE INSERT ... WHERE"));
                            }
                            let values = match &insert.kind {
                                sp::MergeInsertKind::Values(values) => match values.rows.as_slice() {
                                    [row] => self.exprs(&row.content)?,
                                    _ => return Err(Error::syntax("syntax error at or near \",\"")),
                                },
                                other => return Err(unsupported(format!("MERGE INSERT {other}"))),
                            };
                            let columns = insert
                                .columns
                                .iter()
                                .map(|c| c.0.last().and_then(|p| p.as_ident()).map(fold_ident))
                                .collect::<Option<Vec<String>>>()
                                .ok_or_else(|| unsupported("a qualified column in MERGE INSERT"))?;
                            let projection =
                                values.into_iter().map(|expr| SelectItem::Expr { expr, alias: None }).collect();
                            parts.push(Statement::Insert(ast::Insert {
                                with: Vec::new(),
                                table: target.clone(),
                                columns,
                                source: InsertSource::Query(Box::new(select(
                                    projection,
                                    vec![source.clone()],
                                    Some(Expr::And(conditions)),
                                ))),
                                overriding: None,
                                on_conflict: None,
                                returning: one(),
                            }));
                        }
                        sp::MergeAction::DoNothing { .. } => {}
                        sp::MergeAction::Update(_) | sp::MergeAction::Delete { .. } => {
                            return Err(Error::syntax("syntax error at or near \"THEN\""));
                        }
                    }
                }
                sp::MergeClauseKind::NotMatchedBySource => {
                    return Err(unsupported("WHEN NOT MATCHED BY SOURCE"));
                }
            }
        }
        // The main query: how many rows the actions changed.
        let counts: Vec<Expr> = (0..parts.len())
            .map(|i| {
                let from = TableRef::Table { name: ast::ObjectName::unqualified(&part_name(i)), alias: None };
                let count = Expr::Function { name: "count".into(), args: Vec::new(), distinct: false, star: true };
                Expr::Subquery(Box::new(select(vec![SelectItem::Expr { expr: count, alias: None }], vec![from], None)))
            })
            .collect();
        let total = counts
            .into_iter()
            .reduce(|a, b| Expr::Binary { op: ast::BinaryOperator::Plus, left: Box::new(a), right: Box::new(b) })
            .unwrap_or(Expr::Literal(Literal::Number(crate::types::Value::Int(0), crate::types::DataType::Int8)));
        let mut main = select(vec![SelectItem::Expr { expr: total, alias: None }], Vec::new(), None);
        main.with = parts
            .into_iter()
            .enumerate()
            .map(|(i, statement)| CommonTableExpr {
                alias: TableAlias { name: part_name(i), columns: Vec::new() },
                query: Box::new(Query::empty()),
                modifying: Some(Box::new(statement)),
                recursive: false,
            })
            .collect();
        Ok(Statement::Merge(Box::new(Statement::Query(Box::new(main)))))
    }
}

/// `SELECT projection FROM from WHERE filter`.
fn select(projection: Vec<SelectItem>, from: Vec<TableRef>, filter: Option<Expr>) -> Query {
    Query {
        with: Vec::new(),
        body: QueryBody::Select(Box::new(Select {
            distinct: false,
            distinct_on: Vec::new(),
            projection,
            from,
            filter,
            group_by: Vec::new(),
            grouping_sets: Vec::new(),
            having: None,
        })),
        order_by: Vec::new(),
        limit: None,
        offset: None,
        locking: None,
    }
}

/// `condition IS NOT TRUE`: a later clause is taken only where this earlier one was not.
fn is_not_true(condition: Expr) -> Expr {
    Expr::Case {
        operand: None,
        branches: vec![(condition, Expr::Literal(Literal::Bool(false)))],
        else_result: Some(Box::new(Expr::Literal(Literal::Bool(true)))),
    }
}
