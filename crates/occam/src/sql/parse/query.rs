//! Queries: SELECT / VALUES with ORDER BY, LIMIT / OFFSET / FETCH FIRST, UNION / INTERSECT / EXCEPT, and
//! the FROM items occam knows (tables, set-returning functions, subqueries, cross-joined by commas or
//! joined with [INNER | LEFT | RIGHT | FULL | CROSS | NATURAL] JOIN, nested in parentheses), WITH lists of
//! common table expressions (WITH RECURSIVE too), `LATERAL` before a subquery or a function (a function
//! reads the FROM items before it anyway).

use sqlparser::ast as sp;

use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{
    self, Expr, JoinConstraint, JoinKind, ObjectName, OrderByExpr, Query, QueryBody, Select, SelectItem, SetOperator,
    TableAlias, TableRef,
};

impl Translator<'_> {
    pub(super) fn query(&self, query: &sp::Query) -> Result<Query> {
        crate::stack::check()?;
        let with = self.with_list(query.with.as_ref())?;
        let locking = self.locking(&query.locks)?;
        if query.for_clause.is_some() || query.settings.is_some() || query.format_clause.is_some() {
            return Err(unsupported("this query clause"));
        }
        if !query.pipe_operators.is_empty() {
            return Err(unsupported("pipe operators"));
        }
        let order_by = match &query.order_by {
            None => Vec::new(),
            Some(order_by) => {
                if order_by.interpolate.is_some() {
                    return Err(unsupported("ORDER BY ... INTERPOLATE"));
                }
                match &order_by.kind {
                    sp::OrderByKind::Expressions(exprs) => {
                        exprs.iter().map(|e| self.order_by_expr(e)).collect::<Result<_>>()?
                    }
                    sp::OrderByKind::All(_) => return Err(unsupported("ORDER BY ALL")),
                }
            }
        };
        let (mut limit, offset) = match &query.limit_clause {
            None => (None, None),
            Some(sp::LimitClause::LimitOffset { limit, offset, limit_by }) => {
                if !limit_by.is_empty() {
                    return Err(unsupported("LIMIT BY"));
                }
                let limit = limit.as_ref().map(|e| self.expr(e)).transpose()?;
                let offset = offset.as_ref().map(|o| self.expr(&o.value)).transpose()?;
                (limit, offset)
            }
            Some(sp::LimitClause::OffsetCommaLimit { offset, .. }) => {
                let err = Error::syntax("LIMIT #,# syntax is not supported")
                    .with_hint("Use separate LIMIT and OFFSET clauses.");
                return Err(self.at(err, sp::Spanned::span(offset).start));
            }
        };
        if let Some(fetch) = &query.fetch {
            if fetch.with_ties || fetch.percent {
                return Err(unsupported("FETCH FIRST ... WITH TIES / PERCENT"));
            }
            if limit.is_some() {
                return Err(Error::syntax("multiple limit clauses not allowed"));
            }
            // `FETCH FIRST ROW ONLY` means one row.
            limit = Some(match &fetch.quantity {
                Some(quantity) => self.expr(quantity)?,
                None => Expr::Literal(ast::Literal::Number(crate::types::Value::Int(1), crate::types::DataType::Int4)),
            });
        }
        let body = match query.body.as_ref() {
            sp::SetExpr::Query(inner) => {
                // `(SELECT ...) ORDER BY ...`: the parentheses add nothing unless both levels sort or limit.
                let mut inner = self.query(inner)?;
                let outer_has_clauses = !order_by.is_empty() || limit.is_some() || offset.is_some();
                let inner_has_clauses = !inner.order_by.is_empty() || inner.limit.is_some() || inner.offset.is_some();
                if outer_has_clauses && inner_has_clauses {
                    return Err(unsupported("ORDER BY / LIMIT on both a parenthesized query and its enclosing query"));
                }
                if outer_has_clauses {
                    inner.order_by = order_by;
                    inner.limit = limit;
                    inner.offset = offset;
                }
                // `WITH x AS (...) (SELECT ...)`: the outer names come first.
                let mut names = with;
                names.append(&mut inner.with);
                inner.with = names;
                return Ok(inner);
            }
            other => self.query_body(other)?,
        };
        Ok(Query { with, body, order_by, limit, offset, locking })
    }

    /// A WITH list's common table expressions (a data-modifying one keeps its statement).
    pub(super) fn with_list(&self, with: Option<&sp::With>) -> Result<Vec<ast::CommonTableExpr>> {
        let Some(with) = with else { return Ok(Vec::new()) };
        with.cte_tables
            .iter()
            .map(|cte| {
                if cte.from.is_some() {
                    return Err(unsupported("WITH ... FROM"));
                }
                // [NOT] MATERIALIZED is a hint: every reference is planned as a subquery.
                let (query, modifying) = match self.modifying_query(&cte.query)? {
                    Some(statement) => (Box::new(Query::empty()), Some(Box::new(statement))),
                    None => (Box::new(self.query(&cte.query)?), None),
                };
                Ok(ast::CommonTableExpr {
                    alias: self.table_alias(&cte.alias)?,
                    query,
                    modifying,
                    recursive: with.recursive,
                })
            })
            .collect()
    }

    /// A query's locking clauses. `OF table` is accepted and every table of the query is locked; `NOWAIT`
    /// is accepted (occam never waits for a lock); `SKIP LOCKED` and several clauses of different
    /// strengths are refused.
    fn locking(&self, locks: &[sp::LockClause]) -> Result<Option<ast::LockStrength>> {
        if locks.is_empty() {
            return Ok(None);
        }
        let strengths = self.source.next_lock_strengths(locks.len());
        if locks.iter().any(|lock| matches!(lock.nonblock, Some(sp::NonBlock::SkipLocked))) {
            return Err(unsupported("SKIP LOCKED"));
        }
        match strengths.as_slice() {
            [first, rest @ ..] if rest.iter().all(|s| s == first) => Ok(Some(*first)),
            _ => Err(unsupported("several locking clauses of different strengths")),
        }
    }

    fn query_body(&self, body: &sp::SetExpr) -> Result<QueryBody> {
        crate::stack::check()?;
        match body {
            sp::SetExpr::Select(select) => Ok(QueryBody::Select(Box::new(self.select(select)?))),
            sp::SetExpr::Values(values) => Ok(QueryBody::Values(self.values_rows(values)?)),
            sp::SetExpr::SetOperation { op, set_quantifier, left, right } => {
                let op = match op {
                    sp::SetOperator::Union => SetOperator::Union,
                    sp::SetOperator::Intersect => SetOperator::Intersect,
                    sp::SetOperator::Except => SetOperator::Except,
                    sp::SetOperator::Minus => return Err(unsupported("MINUS")),
                };
                let all = match set_quantifier {
                    sp::SetQuantifier::All => true,
                    sp::SetQuantifier::Distinct | sp::SetQuantifier::None => false,
                    other => return Err(unsupported(format!("{} {other}", op.name()))),
                };
                Ok(QueryBody::SetOperation {
                    op,
                    all,
                    left: Box::new(self.set_operand(left)?),
                    right: Box::new(self.set_operand(right)?),
                })
            }
            sp::SetExpr::Query(_) => Err(unsupported("a nested query here")),
            sp::SetExpr::Table(_) => Err(unsupported("TABLE name")),
            other => Err(unsupported(format!("`{other}` as a query"))),
        }
    }

    /// One side of a set operation: a parenthesised query keeps its own ORDER BY / LIMIT.
    fn set_operand(&self, operand: &sp::SetExpr) -> Result<Query> {
        match operand {
            sp::SetExpr::Query(query) => self.query(query),
            other => Ok(Query {
                with: Vec::new(),
                body: self.query_body(other)?,
                order_by: Vec::new(),
                limit: None,
                offset: None,
                locking: None,
            }),
        }
    }

    /// `VALUES (...), (...)` rows; all rows must have the same length, as in PostgreSQL.
    pub(super) fn values_rows(&self, values: &sp::Values) -> Result<Vec<Vec<Expr>>> {
        let rows: Vec<Vec<Expr>> = values.rows.iter().map(|row| self.exprs(&row.content)).collect::<Result<_>>()?;
        check_row_lengths(values)?;
        Ok(rows)
    }

    fn select(&self, select: &sp::Select) -> Result<Select> {
        let inlined;
        let select = if select.named_window.is_empty() {
            select
        } else {
            inlined = inline_named_windows(select)?;
            &inlined
        };
        let (distinct, distinct_on) = match &select.distinct {
            None | Some(sp::Distinct::All) => (false, Vec::new()),
            Some(sp::Distinct::Distinct) => (true, Vec::new()),
            Some(sp::Distinct::On(exprs)) => (false, self.exprs(exprs)?),
        };
        if select.top.is_some() {
            return Err(unsupported("TOP"));
        }
        if select.into.is_some() {
            return Err(unsupported("SELECT INTO"));
        }
        if select.exclude.is_some() || !select.lateral_views.is_empty() || select.prewhere.is_some() {
            return Err(unsupported("this SELECT clause"));
        }
        if !select.connect_by.is_empty() || !select.cluster_by.is_empty() || !select.distribute_by.is_empty() {
            return Err(unsupported("this SELECT clause"));
        }
        if !select.sort_by.is_empty() || select.qualify.is_some() || select.value_table_mode.is_some() {
            return Err(unsupported("this SELECT clause"));
        }
        let (group_by, grouping_sets) = match &select.group_by {
            sp::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(unsupported("GROUP BY ... WITH ROLLUP / CUBE / TOTALS"));
                }
                self.group_by(exprs)?
            }
            sp::GroupByExpr::All(_) => return Err(unsupported("GROUP BY ALL")),
        };
        Ok(Select {
            distinct,
            distinct_on,
            projection: self.select_items(&select.projection)?,
            from: select.from.iter().map(|t| self.table_with_joins(t)).collect::<Result<_>>()?,
            filter: select.selection.as_ref().map(|e| self.expr(e)).transpose()?,
            group_by,
            grouping_sets,
            having: select.having.as_ref().map(|e| self.expr(e)).transpose()?,
        })
    }

    /// GROUP BY's items: their distinct expressions and, when an item is `GROUPING SETS (...)`, `ROLLUP
    /// (...)` or `CUBE (...)`, the grouping sets as indices into them. Items combine as PostgreSQL combines
    /// them: every set of one item with every set of the next (`GROUP BY a, ROLLUP (b)` is `(a, b), (a)`).
    fn group_by(&self, items: &[sp::Expr]) -> Result<(Vec<Expr>, Vec<Vec<usize>>)> {
        let mut exprs: Vec<Expr> = Vec::new();
        let index_of = |expr: &sp::Expr, exprs: &mut Vec<Expr>| -> Result<usize> {
            let translated = self.expr(expr)?;
            let key = super::strip_positions(&translated);
            match exprs.iter().position(|e| super::strip_positions(e) == key) {
                Some(i) => Ok(i),
                None => {
                    exprs.push(translated);
                    Ok(exprs.len() - 1)
                }
            }
        };
        let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
        let mut any_sets = false;
        for item in items {
            let item_sets: Vec<Vec<usize>> = match item {
                sp::Expr::Rollup(lists) | sp::Expr::Cube(lists) | sp::Expr::GroupingSets(lists) => {
                    any_sets = true;
                    let lists: Vec<Vec<usize>> = lists
                        .iter()
                        .map(|list| list.iter().map(|e| index_of(e, &mut exprs)).collect::<Result<_>>())
                        .collect::<Result<_>>()?;
                    match item {
                        // ROLLUP (a, b): (a, b), (a), ().
                        sp::Expr::Rollup(_) => (0..=lists.len()).rev().map(|n| lists[..n].concat()).collect(),
                        // CUBE (a, b): every subset, the largest first.
                        sp::Expr::Cube(_) => {
                            if lists.len() > 12 {
                                return Err(Error::new(
                                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                                    "CUBE is limited to 12 elements",
                                ));
                            }
                            let mut subsets: Vec<Vec<usize>> = (0..1usize << lists.len())
                                .rev()
                                .map(|mask| {
                                    (0..lists.len())
                                        .filter(|i| mask >> (lists.len() - 1 - i) & 1 == 1)
                                        .flat_map(|i| lists[i].clone())
                                        .collect()
                                })
                                .collect();
                            subsets.sort_by_key(|s: &Vec<usize>| std::cmp::Reverse(s.len()));
                            subsets
                        }
                        _ => lists,
                    }
                }
                plain => vec![vec![index_of(plain, &mut exprs)?]],
            };
            sets = sets
                .iter()
                .flat_map(|prefix| item_sets.iter().map(move |set| [prefix.clone(), set.clone()].concat()))
                .collect();
        }
        if !any_sets {
            return Ok((exprs, Vec::new()));
        }
        for set in &mut sets {
            let mut seen = Vec::new();
            set.retain(|i| {
                if seen.contains(i) {
                    false
                } else {
                    seen.push(*i);
                    true
                }
            });
        }
        if sets.len() > 4096 {
            return Err(Error::new(sqlstate::STATEMENT_TOO_COMPLEX, "too many grouping sets present (maximum 4096)"));
        }
        Ok((exprs, sets))
    }

    /// Select-list (and RETURNING) items.
    pub(super) fn select_items(&self, items: &[sp::SelectItem]) -> Result<Vec<SelectItem>> {
        items
            .iter()
            .map(|item| {
                Ok(match item {
                    sp::SelectItem::UnnamedExpr(expr) => SelectItem::Expr { expr: self.expr(expr)?, alias: None },
                    sp::SelectItem::ExprWithAlias { expr, alias } => {
                        SelectItem::Expr { expr: self.expr(expr)?, alias: Some(fold_ident(alias)) }
                    }
                    sp::SelectItem::Wildcard(options) => {
                        self.check_plain_wildcard(options)?;
                        SelectItem::Wildcard
                    }
                    sp::SelectItem::QualifiedWildcard(kind, options) => {
                        self.check_plain_wildcard(options)?;
                        match kind {
                            sp::SelectItemQualifiedWildcardKind::ObjectName(name) => {
                                // `schema.t.*` names the table by its last part, like column references.
                                SelectItem::QualifiedWildcard(self.object_name(name)?.name)
                            }
                            sp::SelectItemQualifiedWildcardKind::Expr(_) => {
                                return Err(unsupported("(expression).*"));
                            }
                        }
                    }
                    sp::SelectItem::ExprWithAliases { .. } => return Err(unsupported("several aliases for one item")),
                })
            })
            .collect()
    }

    /// The select-list `*` without BigQuery/Snowflake options (EXCEPT, REPLACE, ...). sqlparser's PostgreSQL
    /// dialect accepts `* alias`, which PostgreSQL does not: `SELECT * FORM t` is a syntax error at `FORM`.
    fn check_plain_wildcard(&self, options: &sp::WildcardAdditionalOptions) -> Result<()> {
        if let Some(alias) = &options.opt_alias {
            let err = Error::syntax(format!("syntax error at or near \"{}\"", alias.value));
            return Err(self.at(err, alias.span.start));
        }
        let plain = options.opt_ilike.is_none()
            && options.opt_exclude.is_none()
            && options.opt_except.is_none()
            && options.opt_replace.is_none()
            && options.opt_rename.is_none();
        if plain {
            Ok(())
        } else {
            Err(unsupported("options on *"))
        }
    }

    pub(super) fn order_by_expr(&self, order: &sp::OrderByExpr) -> Result<OrderByExpr> {
        if order.with_fill.is_some() {
            return Err(unsupported("ORDER BY ... WITH FILL"));
        }
        let descending = match &order.options.sort {
            None | Some(sp::OrderBySort::Asc) => false,
            Some(sp::OrderBySort::Desc) => true,
            Some(sp::OrderBySort::Using(_)) => return Err(unsupported("ORDER BY ... USING")),
        };
        Ok(OrderByExpr { expr: self.expr(&order.expr)?, descending, nulls_first: order.options.nulls_first })
    }

    /// A FROM item with its joins, which associate to the left: `a JOIN b ON .. JOIN c ON ..` is
    /// `(a JOIN b ON ..) JOIN c ON ..`.
    pub(super) fn table_with_joins(&self, table: &sp::TableWithJoins) -> Result<TableRef> {
        let mut item = self.table_factor(&table.relation)?;
        for join in &table.joins {
            let at = sp::Spanned::span(&join.relation).start;
            if join.global {
                return Err(self.at(unsupported("GLOBAL JOIN"), at));
            }
            let (kind, constraint) = match &join.join_operator {
                sp::JoinOperator::Join(c) | sp::JoinOperator::Inner(c) => (JoinKind::Inner, c),
                sp::JoinOperator::Left(c) | sp::JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
                sp::JoinOperator::Right(c) | sp::JoinOperator::RightOuter(c) => (JoinKind::Right, c),
                sp::JoinOperator::FullOuter(c) => (JoinKind::Full, c),
                sp::JoinOperator::CrossJoin(c) => (JoinKind::Cross, c),
                _ => return Err(self.at(unsupported("this kind of JOIN"), at)),
            };
            let constraint = match constraint {
                sp::JoinConstraint::On(expr) if kind != JoinKind::Cross => JoinConstraint::On(self.expr(expr)?),
                sp::JoinConstraint::Using(names) if kind != JoinKind::Cross => JoinConstraint::Using(
                    names
                        .iter()
                        .map(|name| match name.0.as_slice() {
                            [sp::ObjectNamePart::Identifier(ident)] => Ok(fold_ident(ident)),
                            _ => Err(Error::syntax(format!("syntax error at or near \"{name}\""))),
                        })
                        .collect::<Result<_>>()?,
                ),
                sp::JoinConstraint::Natural if kind != JoinKind::Cross => JoinConstraint::Natural,
                sp::JoinConstraint::None if kind == JoinKind::Cross => JoinConstraint::None,
                // PostgreSQL's grammar has no JOIN without ON / USING, nor CROSS JOIN with one.
                _ => return Err(self.at(Error::syntax("syntax error in JOIN clause"), at)),
            };
            item = TableRef::Join {
                left: Box::new(item),
                right: Box::new(self.table_factor(&join.relation)?),
                kind,
                constraint,
            };
        }
        Ok(item)
    }

    pub(super) fn table_factor(&self, factor: &sp::TableFactor) -> Result<TableRef> {
        crate::stack::check()?;
        match factor {
            sp::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                if sample.is_some() {
                    return Err(Error::unsupported("TABLESAMPLE clause not supported"));
                }
                let function = name.0.last().and_then(|part| part.as_ident()).map(fold_ident);
                if args.is_some() && function.as_deref() == Some("pg_partition_ancestors") {
                    return self.partition_ancestors(alias.as_ref(), *with_ordinality);
                }
                if *with_ordinality {
                    return Err(unsupported("WITH ORDINALITY"));
                }
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || !index_hints.is_empty()
                {
                    return Err(unsupported("this table reference syntax"));
                }
                let alias = alias.as_ref().map(|a| self.table_alias(a)).transpose()?;
                match args {
                    None => Ok(TableRef::Table { name: self.object_name(name)?, alias }),
                    Some(function_args) => {
                        if function_args.settings.is_some() {
                            return Err(unsupported("SETTINGS"));
                        }
                        self.function_in_from(name, &function_args.args, alias)
                    }
                }
            }
            sp::TableFactor::Derived { lateral, subquery, alias, sample } => {
                if sample.is_some() {
                    return Err(Error::unsupported("TABLESAMPLE clause not supported"));
                }
                Ok(TableRef::Subquery {
                    query: Box::new(self.query(subquery)?),
                    alias: alias.as_ref().map(|a| self.table_alias(a)).transpose()?,
                    lateral: *lateral,
                })
            }
            // `FROM (t)` and `FROM (a JOIN b ON ..)`: parentheses only group.
            sp::TableFactor::NestedJoin { table_with_joins, alias: None } => self.table_with_joins(table_with_joins),
            sp::TableFactor::NestedJoin { .. } => Err(unsupported("an alias on a parenthesized JOIN")),
            // `LATERAL f(...)`: a function in FROM may read the items before it anyway (as in PostgreSQL).
            sp::TableFactor::Function { lateral: true, name, args, with_ordinality: false, alias } => {
                let alias = alias.as_ref().map(|a| self.table_alias(a)).transpose()?;
                self.function_in_from(name, args, alias)
            }
            sp::TableFactor::Function { lateral: true, .. } => Err(unsupported("LATERAL")),
            sp::TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality: false, .. } => {
                Ok(TableRef::Function {
                    name: "unnest".into(),
                    args: self.exprs(array_exprs)?,
                    alias: alias.as_ref().map(|a| self.table_alias(a)).transpose()?,
                })
            }
            sp::TableFactor::UNNEST { .. } => Err(unsupported("UNNEST ... WITH OFFSET / WITH ORDINALITY")),
            other => Err(unsupported(format!("`{other}` in FROM"))),
        }
    }

    /// `pg_partition_ancestors(rel) [WITH ORDINALITY]` in FROM (psql's `\d` asks for a table's triggers
    /// with it): occam has no partitions, and PostgreSQL lists no ancestors of a relation that is not one, so
    /// it is a derived table of no rows (`relid regclass` [, `depth bigint`]).
    fn partition_ancestors(&self, alias: Option<&sp::TableAlias>, with_ordinality: bool) -> Result<TableRef> {
        let sql = if with_ordinality {
            "SELECT NULL::regclass AS relid, NULL::bigint AS depth WHERE false"
        } else {
            "SELECT NULL::regclass AS pg_partition_ancestors WHERE false"
        };
        let alias = match alias {
            Some(alias) => self.table_alias(alias)?,
            None => TableAlias { name: "pg_partition_ancestors".into(), columns: Vec::new() },
        };
        Ok(TableRef::Subquery { query: Box::new(super::parse_query(sql)?), alias: Some(alias), lateral: false })
    }

    /// A set-returning function in FROM (`generate_series(1, 3) AS g`); `pg_catalog.` is its own schema.
    fn function_in_from(
        &self,
        name: &sp::ObjectName,
        args: &[sp::FunctionArg],
        alias: Option<TableAlias>,
    ) -> Result<TableRef> {
        let function_name = self.object_name(name)?;
        let name = match function_name.schema {
            None => function_name.name,
            Some(schema) if schema == "pg_catalog" => function_name.name,
            Some(schema) => format!("{schema}.{}", function_name.name),
        };
        let args = args
            .iter()
            .map(|arg| match arg {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(expr)) => self.expr(expr),
                _ => Err(unsupported("this argument of a function in FROM")),
            })
            .collect::<Result<_>>()?;
        Ok(TableRef::Function { name, args, alias })
    }

    fn table_alias(&self, alias: &sp::TableAlias) -> Result<TableAlias> {
        if alias.at.is_some() {
            return Err(unsupported("this alias syntax"));
        }
        let columns = alias
            .columns
            .iter()
            .map(|column| match column.data_type {
                None => Ok(fold_ident(&column.name)),
                Some(_) => Err(unsupported("column definition lists")),
            })
            .collect::<Result<_>>()?;
        Ok(TableAlias { name: fold_ident(&alias.name), columns })
    }

    /// `name` or `schema.name`; `catalog.schema.name` is refused as PostgreSQL does for other databases.
    pub(super) fn object_name(&self, name: &sp::ObjectName) -> Result<ObjectName> {
        let mut parts = Vec::with_capacity(name.0.len());
        for part in &name.0 {
            match part {
                sp::ObjectNamePart::Identifier(ident) => parts.push(fold_ident(ident)),
                sp::ObjectNamePart::Function(_) => return Err(unsupported(format!("the name {name}"))),
            }
        }
        match parts.len() {
            1 => Ok(ObjectName { schema: None, name: parts.remove(0) }),
            2 => {
                let name = parts.remove(1);
                Ok(ObjectName { schema: Some(parts.remove(0)), name })
            }
            _ => Err(Error::unsupported(format!("cross-database references are not implemented: {}", parts.join(".")))),
        }
    }
}

/// `VALUES lists must all be the same length` (42601), as in PostgreSQL.
pub(super) fn check_row_lengths(values: &sp::Values) -> Result<()> {
    let Some(first) = values.rows.first() else { return Ok(()) };
    for row in &values.rows[1..] {
        if row.content.len() != first.content.len() {
            return Err(Error::syntax("VALUES lists must all be the same length"));
        }
    }
    Ok(())
}

/// `SELECT ... OVER w ... WINDOW w AS (...)`: the select list's window references replaced by the windows
/// they name, as PostgreSQL resolves them. `OVER (w ORDER BY x)` copies `w`'s PARTITION BY (and ORDER BY
/// when it adds none); a definition may build on an earlier one the same way.
fn inline_named_windows(select: &sp::Select) -> Result<sp::Select> {
    use std::ops::ControlFlow;
    let mut named: Vec<(String, sp::WindowSpec)> = Vec::new();
    for sp::NamedWindowDefinition(name, definition) in &select.named_window {
        let name = fold_ident(name);
        if named.iter().any(|(n, _)| *n == name) {
            return Err(Error::new(sqlstate::WINDOWING_ERROR, format!("window \"{name}\" is already defined")));
        }
        let spec = match definition {
            sp::NamedWindowExpr::NamedWindow(other) => resolve_window(&named, &window_named(other))?,
            sp::NamedWindowExpr::WindowSpec(spec) => resolve_window(&named, spec)?,
        };
        named.push((name, spec));
    }
    let mut select = select.clone();
    select.named_window.clear();
    let mut failure = None;
    let _ = sp::visit_expressions_mut(&mut select.projection, |expr| {
        if let sp::Expr::Function(function) = expr {
            let resolved = match &function.over {
                Some(sp::WindowType::NamedWindow(name)) => Some(resolve_window(&named, &window_named(name))),
                Some(sp::WindowType::WindowSpec(spec)) if spec.window_name.is_some() => {
                    Some(resolve_window(&named, spec))
                }
                _ => None,
            };
            match resolved {
                Some(Ok(spec)) => function.over = Some(sp::WindowType::WindowSpec(spec)),
                Some(Err(err)) => {
                    failure = Some(err);
                    return ControlFlow::Break(());
                }
                None => {}
            }
        }
        ControlFlow::Continue(())
    });
    match failure {
        Some(err) => Err(err),
        None => Ok(select),
    }
}

/// `OVER w`: the window `w` as it was defined.
fn window_named(name: &sp::Ident) -> sp::WindowSpec {
    sp::WindowSpec {
        window_name: Some(name.clone()),
        partition_by: Vec::new(),
        order_by: Vec::new(),
        window_frame: None,
    }
}

/// A window specification with its base window (`w` in `(w ORDER BY x)`) merged in, by PostgreSQL's rules.
fn resolve_window(named: &[(String, sp::WindowSpec)], spec: &sp::WindowSpec) -> Result<sp::WindowSpec> {
    let Some(base_name) = &spec.window_name else { return Ok(spec.clone()) };
    let name = fold_ident(base_name);
    let base = named
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, spec)| spec)
        .ok_or_else(|| Error::new(sqlstate::UNDEFINED_OBJECT, format!("window \"{name}\" does not exist")))?;
    let plain_reference = spec.partition_by.is_empty() && spec.order_by.is_empty() && spec.window_frame.is_none();
    if plain_reference {
        return Ok(base.clone());
    }
    let windowing = |message: String| Err(Error::new(sqlstate::WINDOWING_ERROR, message));
    if !spec.partition_by.is_empty() {
        return windowing(format!("cannot override PARTITION BY clause of window \"{name}\""));
    }
    if !spec.order_by.is_empty() && !base.order_by.is_empty() {
        return windowing(format!("cannot override ORDER BY clause of window \"{name}\""));
    }
    if base.window_frame.is_some() {
        return windowing(format!("cannot copy window \"{name}\" because it has a frame clause"));
    }
    Ok(sp::WindowSpec {
        window_name: None,
        partition_by: base.partition_by.clone(),
        order_by: if spec.order_by.is_empty() { base.order_by.clone() } else { spec.order_by.clone() },
        window_frame: spec.window_frame.clone(),
    })
}
