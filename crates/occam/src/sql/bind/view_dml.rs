//! INSERT, UPDATE and DELETE on an automatically updatable view (`sql::updatable` decides which), bound
//! as the statement on the view's base table, as PostgreSQL's rewriter turns them:
//!
//! ```text
//!   INSERT INTO v (cols) ...        INSERT into the table columns the view columns are; the table's
//!                                   defaults for the rest (a view column that is an expression: 0A000)
//!   UPDATE v SET col = e WHERE p    a joined read of the view's rows (the table's row, then the view's
//!   DELETE FROM v WHERE p           columns, under the view's WHERE) finds the table rows to change; SET
//!                                   writes the table columns the view columns are
//!   RETURNING                       over the written table row, the view's columns computed from it
//!   ON CONFLICT (cols) DO UPDATE    arbiter columns mapped; SET / WHERE bound over the view's columns of
//!                                   the existing row and `excluded`, rewritten over the two table rows
//!   WITH CHECK OPTION               the WHERE conditions the written rows must satisfy (`ViewCheck`)
//! ```
//! A view over a view nests: the inner view's read is the outer's FROM subquery, its base table the
//! outer's. Statements see the view's columns only; the table's are in the row, hidden, so that the
//! executor changes table rows exactly as for a statement on the table (`UpdatePlan::joined`). Where no
//! correlated subquery stands in the way, the read is flattened onto the table itself (`FlatView`), so
//! the statement's conditions reach the table's keys and indexes.

use super::*;
use crate::catalog::views::View;
use crate::sql::updatable::{self, BaseRelation};

/// The statements that write through a view (for PostgreSQL's words in their errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Insert,
    Update,
    Delete,
}

impl Verb {
    /// `cannot insert into view "v"`.
    fn phrase(self) -> &'static str {
        match self {
            Verb::Insert => "insert into",
            Verb::Update => "update",
            Verb::Delete => "delete from",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Verb::Insert => "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.",
            Verb::Update => "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.",
            Verb::Delete => "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule.",
        }
    }

    /// `55000 cannot insert into view "v"` with the reason as DETAIL.
    fn not_updatable(self, view: &str, detail: &str) -> Error {
        Error::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, format!("cannot {} view \"{view}\"", self.phrase()))
            .with_detail(detail)
            .with_hint(self.hint())
    }

    /// `0A000 cannot insert into column "c" of view "v"`.
    fn expression_column(self, column: &str, view: &str) -> Error {
        let verb = if self == Verb::Insert { "insert into" } else { "update" };
        Error::unsupported(format!("cannot {verb} column \"{column}\" of view \"{view}\""))
            .with_detail(updatable::EXPRESSION_COLUMN)
    }
}

/// The table a view writes through, and how the view's rows are made of the table's.
struct ViewTarget {
    table: Arc<Table>,
    /// The table's rows the view shows (the view's WHERE and those of the views below it applied), each as
    /// the table's row followed by the view's columns.
    read: QueryPlan,
    /// Per view column: the table column it is; None for an expression.
    base_columns: Vec<Option<usize>>,
    /// The view's columns over a table row (RETURNING's `ViewColumns::levels`).
    levels: Vec<Vec<BoundExpr>>,
    /// The CHECK OPTION conditions rows written through the view must satisfy.
    checks: Vec<ViewCheck>,
    /// The view as a FROM item of the statement: the table's columns, hidden, then the view's.
    scope_columns: Vec<ScopeColumn>,
    /// The view's columns and WHERE as expressions over the table's row, when no correlated subquery
    /// stands in the way: then the rows to change are read from the table itself, so that the
    /// statement's conditions on the view's columns reach the table's keys and indexes.
    flat: Option<FlatView>,
}

/// See `ViewTarget::flat`.
#[derive(Clone)]
struct FlatView {
    columns: Vec<BoundExpr>,
    filter: Option<BoundExpr>,
}

/// Whether `expr` holds a subquery that reads the row around it (which a rewrite of the row's columns
/// would not reach).
fn has_correlated_subquery(expr: &BoundExpr) -> bool {
    expr.subqueries().iter().any(|s| s.correlated)
}

impl ViewTarget {
    fn width(&self) -> usize {
        self.table.columns.len()
    }

    /// The statement's scope with the view as its target, named `name`.
    fn scope(&self, name: &str) -> Result<Scope> {
        let mut scope = Scope::default();
        scope.push(Some(name.to_string()), self.scope_columns.clone())?;
        Ok(scope)
    }

    /// The view column `name` (42703 naming the view if it has none).
    fn column(&self, view: &View, name: &str) -> Result<usize> {
        view.columns.iter().position(|(column, _)| column == name).ok_or_else(|| {
            Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("column \"{name}\" of relation \"{}\" does not exist", view.name),
            )
        })
    }

    /// `SET column = value, ...` on the view as the same on its table's columns (0A000 for a view column
    /// that is an expression; `verb` words it: PostgreSQL says "insert into" for ON CONFLICT DO UPDATE).
    fn table_assignments(
        &self,
        view: &View,
        assignments: &[(String, Option<Expr>)],
        verb: Verb,
    ) -> Result<Vec<(String, Option<Expr>)>> {
        let mut mapped = Vec::with_capacity(assignments.len());
        for (name, value) in assignments {
            let column = self.column(view, name)?;
            let base = self.base_columns[column].ok_or_else(|| verb.expression_column(name, &view.name))?;
            mapped.push((self.table.columns[base].name.clone(), value.clone()));
        }
        Ok(mapped)
    }

    /// INSERT and UPDATE need a column they may write (PostgreSQL's check, before any column's own).
    fn check_some_column_writable(&self, view: &View, verb: Verb) -> Result<()> {
        match self.base_columns.iter().any(Option::is_some) {
            true => Ok(()),
            false => Err(verb.not_updatable(&view.name, updatable::NO_UPDATABLE_COLUMNS)),
        }
    }

    /// The read of the rows to change, joined with the statement's other FROM items: its rows are the
    /// table's row followed by `projection` (over the view's row and the other items').
    fn joined_read(&self, others: Vec<Source>, filter: Option<BoundExpr>, projection: Vec<BoundExpr>) -> QueryPlan {
        let columns = projection
            .iter()
            .map(|_| Column { name: "?column?".to_string(), data_type: DataType::Unknown, origin: None })
            .collect();
        let width = self.width();
        let view_width = width + self.levels.last().map_or(0, Vec::len);
        let flat = self.flat.as_ref().filter(|_| !filter.iter().chain(&projection).any(has_correlated_subquery));
        if let Some(flat) = flat {
            let over_table = |expr: &BoundExpr| {
                expr.replace_columns(&|c| match c {
                    c if c < width => BoundExpr::Column(c),
                    c if c < view_width => flat.columns[c - width].clone(),
                    c => BoundExpr::Column(c - (view_width - width)),
                })
            };
            let table = Source::Table { table: self.table.clone(), alias: None };
            let source =
                if others.is_empty() { table } else { Source::Cross(std::iter::once(table).chain(others).collect()) };
            let projection = projection.iter().map(over_table).collect();
            let filter =
                BoundExpr::and_of(flat.filter.iter().cloned().chain(filter.as_ref().map(over_table)).collect());
            return QueryPlan { filter, ..QueryPlan::over(source, projection, columns) };
        }
        let view_rows = Source::Subquery(Box::new(self.read.clone()));
        let source = if others.is_empty() {
            view_rows
        } else {
            Source::Cross(std::iter::once(view_rows).chain(others).collect())
        };
        QueryPlan { filter, ..QueryPlan::over(source, projection, columns) }
    }

    fn view_columns(&self) -> ViewColumns {
        ViewColumns { table_width: self.width(), levels: self.levels.clone(), checks: self.checks.clone() }
    }

    fn returning(&self, returning: Option<Returning>) -> Option<Returning> {
        returning.map(|r| Returning { view: Some(self.view_columns()), ..r })
    }

    /// What rows INSERT and UPDATE write through the view must satisfy, if anything.
    fn view_check(&self) -> Option<ViewColumns> {
        (!self.checks.is_empty()).then(|| self.view_columns())
    }
}

impl Binder<'_> {
    /// How `view` writes through to its table (55000 with PostgreSQL's reason if it cannot).
    /// `cascaded`: a view above it has a CASCADED CHECK OPTION, which then applies to this one too.
    fn view_target(&mut self, view: &View, verb: Verb, cascaded: bool) -> Result<ViewTarget> {
        if let Some(detail) = updatable::refusal(self.catalog, &view.query) {
            return Err(verb.not_updatable(&view.name, detail));
        }
        let not_single = || verb.not_updatable(&view.name, updatable::NOT_SINGLE_RELATION);
        let ast::QueryBody::Select(select) = &view.query.body else { return Err(not_single()) };
        let [TableRef::Table { alias, .. }] = select.from.as_slice() else { return Err(not_single()) };
        let base = updatable::base_relation(self.catalog, &view.query).ok_or_else(not_single)?;
        // PostgreSQL's rule: a view checks its WHERE with a CHECK OPTION of its own or one cascading from
        // above; a CASCADED one makes every view below check too.
        let checked = cascaded || view.check_option.is_some();
        let cascaded = cascaded || view.check_option == Some(ast::CheckOption::Cascaded);
        self.in_view(view, |b| {
            // The FROM item's columns: the table's row (hidden when it is read through a view), then the
            // inner view's columns.
            let (inner, table, mut columns, relation_name) = match base {
                BaseRelation::View(inner_view) => {
                    let inner = b.view_target(inner_view, verb, cascaded)?;
                    let table = inner.table.clone();
                    let columns = inner.scope_columns.clone();
                    (Some(inner), table, columns, inner_view.name.clone())
                }
                BaseRelation::Table(table) => {
                    let table = table.clone();
                    let columns = table_scope_columns(&table, None);
                    let name = table.name.clone();
                    (None, table, columns, name)
                }
            };
            let width = table.columns.len();
            let renames = alias.as_ref().map(|a| a.columns.as_slice()).unwrap_or(&[]);
            for (column, rename) in columns.iter_mut().filter(|c| !c.hidden).zip(renames) {
                column.name = rename.clone();
            }
            let mut scope = Scope::default();
            scope.push(Some(alias.as_ref().map_or(relation_name, |a| a.name.clone())), columns)?;
            let filter = b.bind_filter(select.filter.as_ref(), &scope)?;
            b.clause = "SELECT";
            let (mut projection, mut bound_columns) = b.bind_projection(&select.projection, &scope)?;
            projection.truncate(view.columns.len());
            bound_columns.truncate(view.columns.len());
            let base_columns = projection
                .iter()
                .map(|expr| match (expr, &inner) {
                    (BoundExpr::Column(c), Some(inner)) if *c >= width => inner.base_columns[c - width],
                    (BoundExpr::Column(c), None) if !table.columns[*c].hidden => Some(*c),
                    _ => None,
                })
                .collect();
            let mut read_columns: Vec<Column> = table
                .columns
                .iter()
                .map(|c| Column { name: c.name.clone(), data_type: c.data_type, origin: None })
                .collect();
            read_columns.extend(bound_columns.iter().cloned());
            let source = match &inner {
                Some(inner) => Source::Subquery(Box::new(inner.read.clone())),
                None => Source::Table { table: table.clone(), alias: alias.as_ref().map(|a| a.name.clone()) },
            };
            let read_projection = (0..width).map(BoundExpr::Column).chain(projection.iter().cloned()).collect();
            let read = QueryPlan {
                filter: filter.clone(),
                ..QueryPlan::over(source, read_projection, Arc::from(read_columns))
            };
            let mut scope_columns: Vec<ScopeColumn> = table
                .columns
                .iter()
                .map(|c| ScopeColumn { name: c.name.clone(), data_type: c.data_type, hidden: true, origin: None })
                .collect();
            scope_columns.extend(view.columns.iter().zip(&bound_columns).map(|((name, _), bound)| ScopeColumn {
                name: name.clone(),
                data_type: bound.data_type,
                hidden: false,
                origin: None,
            }));
            let correlated = filter.iter().chain(&projection).any(has_correlated_subquery);
            let flat = match &inner {
                _ if correlated => None,
                None => Some(FlatView { columns: projection.clone(), filter: filter.clone() }),
                Some(inner) => inner.flat.as_ref().map(|below| {
                    let over_table = |expr: &BoundExpr| {
                        expr.replace_columns(&|c| match c {
                            c if c < width => BoundExpr::Column(c),
                            c => below.columns[c - width].clone(),
                        })
                    };
                    let filter = below.filter.iter().cloned().chain(filter.as_ref().map(over_table)).collect();
                    FlatView { columns: projection.iter().map(over_table).collect(), filter: BoundExpr::and_of(filter) }
                }),
            };
            let (mut levels, mut checks) = inner.map(|i| (i.levels, i.checks)).unwrap_or_default();
            if let Some(condition) = filter.filter(|_| checked) {
                checks.push(ViewCheck { level: levels.len(), view: view.name.clone(), condition });
            }
            levels.push(projection);
            Ok(ViewTarget { table, read, base_columns, levels, checks, scope_columns, flat })
        })
    }

    /// `INSERT INTO view ...`: the INSERT into its table's columns.
    pub(super) fn plan_view_insert(&mut self, insert: &ast::Insert, view: &View) -> Result<InsertPlan> {
        let target = self.view_target(view, Verb::Insert, false)?;
        target.check_some_column_writable(view, Verb::Insert)?;
        let column_list = !insert.columns.is_empty();
        let view_targets: Vec<usize> = if column_list {
            super::insert_targets(&insert.columns, |name| target.column(view, name))?
        } else {
            (0..view.columns.len()).collect()
        };
        // The view columns the statement writes (DEFAULT counts, as in PostgreSQL; a column past the end of
        // the VALUES rows without a column list does not) must be table columns; the others are left out,
        // so that the table's defaults apply.
        let given = |position: usize| match &insert.source {
            ast::InsertSource::Values(rows) => rows.iter().any(|row| position < row.len()),
            ast::InsertSource::DefaultValues => false,
            ast::InsertSource::Query(query) => column_list || position < select_width(query),
        };
        let mut kept = Vec::with_capacity(view_targets.len());
        let mut targets = Vec::with_capacity(view_targets.len());
        for (position, &column) in view_targets.iter().enumerate() {
            match target.base_columns[column] {
                // Two view columns that are the same table column (PostgreSQL's error).
                Some(base) if targets.contains(&base) => {
                    let name = &target.table.columns[base].name;
                    return Err(Error::syntax(format!("multiple assignments to same column \"{name}\"")));
                }
                Some(base) => {
                    kept.push(position);
                    targets.push(base);
                }
                None if given(position) => {
                    return Err(Verb::Insert.expression_column(&view.columns[column].0, &view.name));
                }
                None => {}
            }
        }
        let keep_values = |row: &[Option<Expr>]| -> Vec<Option<Expr>> {
            // Values past the view's columns stay, for the "more expressions than target columns" error.
            let extra = row.iter().skip(view_targets.len()).cloned();
            kept.iter().filter_map(|&p| row.get(p).cloned()).chain(extra).collect()
        };
        let source = match &insert.source {
            ast::InsertSource::Values(rows) => ast::InsertSource::Values(rows.iter().map(|r| keep_values(r)).collect()),
            other => other.clone(),
        };
        let on_conflict = match &insert.on_conflict {
            None => None,
            Some(conflict) => {
                let target_columns = match &conflict.target {
                    Some(ast::ConflictTarget::Columns(names)) => {
                        let mut mapped = Vec::with_capacity(names.len());
                        for name in names {
                            let column = view.columns.iter().position(|(c, _)| c == name).ok_or_else(|| {
                                Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist"))
                            })?;
                            let base = target.base_columns[column].ok_or_else(|| {
                                Error::new(
                                    sqlstate::INVALID_COLUMN_REFERENCE,
                                    "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                                )
                            })?;
                            mapped.push(target.table.columns[base].name.clone());
                        }
                        Some(ast::ConflictTarget::Columns(mapped))
                    }
                    other => other.clone(),
                };
                // DO UPDATE is bound over the view's columns below (without a target the statement's
                // error comes first, as for a table).
                let update = if target_columns.is_none() { conflict.update.clone() } else { None };
                Some(ast::OnConflict { target: target_columns, update })
            }
        };
        let rewritten = ast::Insert {
            table: ast::ObjectName::unqualified(&target.table.name),
            columns: Vec::new(),
            source,
            on_conflict,
            returning: Vec::new(),
            ..insert.clone()
        };
        let mut plan = self.plan_insert_into(&rewritten, target.table.clone(), targets, column_list)?;
        if let (Some(conflict), Some(update)) = (plan.on_conflict.as_mut(), insert.on_conflict.as_ref()) {
            if let Some(update) = &update.update {
                conflict.update = Some(self.plan_view_conflict_update(update, view, &target)?);
            }
        }
        let returning = self.bind_returning_in(&insert.returning, &target.scope(&view.name)?)?;
        plan.returning = target.returning(returning);
        plan.view_check = target.view_check();
        Ok(plan)
    }

    /// `ON CONFLICT DO UPDATE` of an INSERT into `view`: bound over the view's columns of the existing row
    /// and of `excluded`, then rewritten over the two table rows the executor holds (which needs the
    /// view's columns as expressions over its table's row: `ViewTarget::flat`).
    fn plan_view_conflict_update(
        &mut self,
        update: &ast::ConflictUpdate,
        view: &View,
        target: &ViewTarget,
    ) -> Result<ConflictUpdatePlan> {
        let unsupported = || Error::unsupported("ON CONFLICT DO UPDATE on a view with a correlated subquery");
        let flat = target.flat.as_ref().ok_or_else(unsupported)?;
        let mut scope = target.scope(&view.name)?;
        scope.push(Some("excluded".to_string()), target.scope_columns.clone())?;
        self.clause = "UPDATE";
        let assignments = target.table_assignments(view, &update.assignments, Verb::Insert)?;
        let assignments = self.bind_assignments(&assignments, &target.table, &scope)?;
        let filter = self.bind_filter(update.filter.as_ref(), &scope)?;
        if filter.iter().chain(assignments.iter().map(|(_, value)| value)).any(has_correlated_subquery) {
            return Err(unsupported());
        }
        let width = target.width();
        let view_width = width + flat.columns.len();
        let over_rows = |expr: &BoundExpr| {
            expr.replace_columns(&|c| match c {
                c if c < width => BoundExpr::Column(c),
                c if c < view_width => flat.columns[c - width].clone(),
                c if c < view_width + width => BoundExpr::Column(c - flat.columns.len()),
                c => flat.columns[c - view_width - width].map_columns(&|c| c + width),
            })
        };
        Ok(ConflictUpdatePlan {
            assignments: assignments.iter().map(|(column, value)| (*column, over_rows(value))).collect(),
            filter: filter.as_ref().map(over_rows),
        })
    }

    /// `UPDATE view ...`: the UPDATE of its table's rows the view shows.
    pub(super) fn plan_view_update(&mut self, update: &ast::Update, view: &View) -> Result<UpdatePlan> {
        let target = self.view_target(view, Verb::Update, false)?;
        target.check_some_column_writable(view, Verb::Update)?;
        let table = target.table.clone();
        let width = target.width();
        let mut scope = target.scope(update.alias.as_deref().unwrap_or(&view.name))?;
        let view_width = scope.width();
        let (others, other_width) = self.plan_from_items(&update.from, &mut scope)?;
        self.clause = "UPDATE";
        let assignments = target.table_assignments(view, &update.assignments, Verb::Update)?;
        let mut assignments = self.bind_assignments(&assignments, &table, &scope)?;
        let filter = self.bind_filter(update.filter.as_ref(), &scope)?;
        let changes_key = assignments.iter().any(|(i, _)| table.primary_key.contains(i));
        let returning = self.bind_returning_in(&update.returning, &scope)?;
        let enforce_typmod = table.columns.iter().map(|c| has_typmod(&c.data_type)).collect();
        // As UPDATE ... FROM's joined read: the table's row, each assignment's value, the FROM items'.
        let mut projection: Vec<BoundExpr> = (0..width).map(BoundExpr::Column).collect();
        for (k, (_, value)) in assignments.iter_mut().enumerate() {
            projection.push(std::mem::replace(value, BoundExpr::Column(width + k)));
        }
        projection.extend((view_width..view_width + other_width).map(BoundExpr::Column));
        let joined = Some(Box::new(target.joined_read(others, filter, projection)));
        let returning = target.returning(returning);
        let view_check = target.view_check();
        let merge_action = false; // MERGE into a view is refused, as PostgreSQL
        Ok(UpdatePlan {
            table,
            filter: None,
            assignments,
            enforce_typmod,
            changes_key,
            returning,
            joined,
            view_check,
            merge_action,
        })
    }

    /// `DELETE FROM view ...`: the DELETE of its table's rows the view shows.
    pub(super) fn plan_view_delete(&mut self, delete: &ast::Delete, view: &View) -> Result<DeletePlan> {
        let target = self.view_target(view, Verb::Delete, false)?;
        let width = target.width();
        let mut scope = target.scope(delete.alias.as_deref().unwrap_or(&view.name))?;
        let view_width = scope.width();
        let (others, other_width) = self.plan_from_items(&delete.using, &mut scope)?;
        let filter = self.bind_filter(delete.filter.as_ref(), &scope)?;
        let returning = self.bind_returning_in(&delete.returning, &scope)?;
        let projection = (0..width).chain(view_width..view_width + other_width).map(BoundExpr::Column).collect();
        let joined = Some(Box::new(target.joined_read(others, filter, projection)));
        let returning = target.returning(returning);
        Ok(DeletePlan { table: target.table.clone(), filter: None, returning, joined, merge_action: false })
    }
}

/// How many columns an INSERT's query gives, as far as its text tells (a `*` counts as many as there
/// may be).
fn select_width(query: &ast::Query) -> usize {
    match &query.body {
        ast::QueryBody::Select(select) if select.projection.iter().all(|i| matches!(i, SelectItem::Expr { .. })) => {
            select.projection.len()
        }
        ast::QueryBody::Values(rows) => rows.first().map_or(0, Vec::len),
        _ => usize::MAX,
    }
}
