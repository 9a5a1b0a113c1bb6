//! Which views PostgreSQL updates automatically (its rewriter's `view_query_is_auto_updatable` and
//! `view_cols_are_auto_updatable`), judged on the view's query as written: one SELECT from one table or
//! updatable view, without DISTINCT, GROUP BY, HAVING, WITH, set operations, LIMIT / OFFSET, aggregates,
//! window functions or set-returning functions. The binder refuses INSERT / UPDATE / DELETE on any other
//! view with the reason [`refusal`] gives (`bind::view_dml` writes through the updatable ones), and
//! `information_schema.views` / `tables` / `columns` report [`updatable_columns`].

use crate::catalog::views::View;
use crate::catalog::Catalog;
use crate::sql::ast::{self, Expr, ObjectName, QueryBody, SelectItem, TableRef};
use crate::sql::functions;

/// The reason every view whose query is not one table or view read on its own gives.
pub const NOT_SINGLE_RELATION: &str =
    "Views that do not select from a single table or view are not automatically updatable.";

/// The reason a view none of whose columns is a column of its base relation gives for INSERT and UPDATE.
pub const NO_UPDATABLE_COLUMNS: &str = "Views that have no updatable columns are not automatically updatable.";

/// The reason a view column that is an expression gives for INSERT and UPDATE of it.
pub const EXPRESSION_COLUMN: &str = "View columns that are not columns of their base relation are not updatable.";

/// Why a view with query `query` is not automatically updatable, as PostgreSQL's DETAIL words it (its
/// checks in its order); None if it is, as far as its shape goes (its columns are judged per statement).
pub fn refusal(catalog: &Catalog, query: &ast::Query) -> Option<&'static str> {
    let select = match &query.body {
        QueryBody::Select(select) => Some(select),
        _ => None,
    };
    if let Some(select) = select {
        if select.distinct || !select.distinct_on.is_empty() {
            return Some("Views containing DISTINCT are not automatically updatable.");
        }
        if !select.group_by.is_empty() || !select.grouping_sets.is_empty() {
            return Some("Views containing GROUP BY are not automatically updatable.");
        }
        if select.having.is_some() {
            return Some("Views containing HAVING are not automatically updatable.");
        }
    }
    if !query.with.is_empty() {
        return Some("Views containing WITH are not automatically updatable.");
    }
    if matches!(query.body, QueryBody::SetOperation { .. }) {
        return Some("Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.");
    }
    if query.limit.is_some() || query.offset.is_some() {
        return Some("Views containing LIMIT or OFFSET are not automatically updatable.");
    }
    // VALUES reads no table.
    let Some(select) = select else { return Some(NOT_SINGLE_RELATION) };
    let items: Vec<&Expr> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::Expr { expr, .. } => Some(expr),
            _ => None,
        })
        .collect();
    let calls = |predicate: &dyn Fn(&Expr) -> bool| items.iter().any(|e| e.any_at_level(&|e| predicate(e)));
    if calls(&|e| match e {
        Expr::Function { name, .. } => functions::is_aggregate(name) || name == "grouping",
        Expr::OrderedAggregate(_) => true,
        _ => false,
    }) {
        return Some("Views that return aggregate functions are not automatically updatable.");
    }
    if calls(&|e| matches!(e, Expr::Window(_))) {
        return Some("Views that return window functions are not automatically updatable.");
    }
    if calls(&|e| matches!(e, Expr::Function { name, .. } if is_set_returning(name))) {
        return Some("Views that return set-returning functions are not automatically updatable.");
    }
    match base_relation(catalog, query) {
        Some(_) => None,
        None => Some(NOT_SINGLE_RELATION),
    }
}

/// Whether `name` in a select list is a set-returning function.
fn is_set_returning(name: &str) -> bool {
    name == "generate_series" || name == "unnest" || crate::sql::json::JsonTable::resolve(name, &[]).is_some()
}

/// A view's one FROM item, when it is a table or a view (a catalog relation or a materialized view is
/// neither, as for PostgreSQL).
pub enum BaseRelation<'c> {
    Table(&'c std::sync::Arc<crate::catalog::Table>),
    View(&'c View),
}

/// The one table or view `query` reads, if its FROM list is exactly that.
pub fn base_relation<'c>(catalog: &'c Catalog, query: &ast::Query) -> Option<BaseRelation<'c>> {
    let QueryBody::Select(select) = &query.body else { return None };
    let [TableRef::Table { name, .. }] = select.from.as_slice() else { return None };
    relation(catalog, name)
}

fn relation<'c>(catalog: &'c Catalog, name: &ObjectName) -> Option<BaseRelation<'c>> {
    if crate::sql::system::resolve(catalog, name.schema.as_deref(), &name.name).is_some()
        || catalog.find_materialized(name).is_some()
    {
        return None;
    }
    if let Some(view) = catalog.find_view(name) {
        return Some(BaseRelation::View(view));
    }
    match name.schema.as_deref() {
        None | Some(crate::catalog::PUBLIC_SCHEMA) => catalog.find_table(&name.name).map(BaseRelation::Table),
        Some(_) => None,
    }
}

/// Per column of `view`: whether INSERT and UPDATE may write it (a plain column of an updatable base
/// relation, through the views below). All false when the view is not automatically updatable.
pub fn updatable_columns(catalog: &Catalog, view: &View) -> Vec<bool> {
    updatable_columns_at(catalog, view, 0)
}

fn updatable_columns_at(catalog: &Catalog, view: &View, depth: usize) -> Vec<bool> {
    let none = vec![false; view.columns.len()];
    // A view that reads itself (through OR REPLACE) fails when used; it updates nothing.
    if depth > 32 || refusal(catalog, &view.query).is_some() {
        return none;
    }
    let (QueryBody::Select(select), Some(base)) = (&view.query.body, base_relation(catalog, &view.query)) else {
        return none;
    };
    let [TableRef::Table { alias, .. }] = select.from.as_slice() else { return none };
    // The base relation's column names as the view's query sees them (renamed by its alias), each with
    // whether it may be written.
    let (names, writable): (Vec<String>, Vec<bool>) = match base {
        BaseRelation::Table(table) => {
            table.visible_columns().map(|(_, c)| c.name.clone()).zip(std::iter::repeat(true)).unzip()
        }
        BaseRelation::View(inner) => (
            inner.columns.iter().map(|(name, _)| name.clone()).collect(),
            updatable_columns_at(catalog, inner, depth + 1),
        ),
    };
    let renames = alias.as_ref().map(|a| a.columns.as_slice()).unwrap_or(&[]);
    let names: Vec<&String> = names.iter().enumerate().map(|(i, n)| renames.get(i).unwrap_or(n)).collect();
    let mut out = Vec::with_capacity(view.columns.len());
    for item in &select.projection {
        match item {
            SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => out.extend(&writable),
            SelectItem::Expr { expr, .. } => {
                let mut expr = expr;
                while let Expr::Positioned { expr: inner, .. } = expr {
                    expr = inner;
                }
                let column = match expr {
                    Expr::Column { name, .. } => names.iter().position(|n| *n == name),
                    _ => None,
                };
                out.push(column.is_some_and(|c| writable[c]));
            }
        }
    }
    out.resize(view.columns.len(), false);
    out
}
