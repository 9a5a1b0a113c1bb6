//! occam's AST back to SQL text, and removal of `Positioned` wrappers.
//!
//! The text is for storing column DEFAULT expressions and must be read back by [`super::parse_expression`]
//! into the same tree (without positions). Every operator is parenthesized, identifiers are quoted when
//! folding would change them or when they are keywords, and calls that `parse` produced from special syntax
//! (`extract`) are written back in that syntax.

use sqlparser::keywords::ALL_KEYWORDS;

use crate::sql::ast::{
    Expr, JoinConstraint, JoinKind, Literal, ObjectName, OrderByExpr, Query, QueryBody, Select, SelectItem,
    SetOperator, TableAlias, TableRef, UnaryOperator,
};
use crate::types::{DataType, Value};

/// Renders an expression back to SQL text that `parse_expression` accepts (used to store DEFAULTs).
pub fn expression_to_sql(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

/// Renders a query back to SQL text.
pub fn query_to_sql(query: &Query) -> String {
    let mut out = String::new();
    write_query(&mut out, query);
    out
}

/// Functions PostgreSQL calls without parentheses (`CURRENT_TIMESTAMP`); `parse` gives them no arguments.
const BARE_FUNCTIONS: &[&str] = &[
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "current_user",
    "session_user",
    "current_role",
    "current_catalog",
    "user",
];

/// Quotes an identifier unless it reads back unchanged without quotes.
pub(super) fn quote_ident(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    let keyword = ALL_KEYWORDS.binary_search(&name.to_ascii_uppercase().as_str()).is_ok();
    if simple && !keyword {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Quotes a function name only when PostgreSQL's grammar would not read it back as a call name.
fn quote_function_name(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if simple && !PG_RESERVED_WORDS.contains(&name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// PostgreSQL's reserved key words (which can never be function names without quotes).
const PG_RESERVED_WORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn write_list<T>(out: &mut String, items: &[T], mut write: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item);
    }
}

fn write_literal(out: &mut String, literal: &Literal) {
    match literal {
        Literal::Null => out.push_str("NULL"),
        Literal::Bool(true) => out.push_str("TRUE"),
        Literal::Bool(false) => out.push_str("FALSE"),
        Literal::String(text) => out.push_str(&quote_literal(text)),
        Literal::Number(value, data_type) => write_number(out, value, data_type),
    }
}

fn write_number(out: &mut String, value: &Value, data_type: &DataType) {
    let text = match value {
        Value::Int(n) => n.to_string(),
        Value::Numeric(d) => d.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f:?}"),
        Value::Float(f) => quote_literal(&f.to_string().replace("inf", "Infinity")),
        other => quote_literal(&format!("{other:?}")),
    };
    // Say the type when the text alone would read back as another one (a numeric without a decimal point,
    // an int8 that fits in int4, a float).
    let natural = match super::expr::number_literal(&text, false) {
        Ok(Literal::Number(_, natural)) => Some(natural),
        _ => None,
    };
    if natural.as_ref() == Some(data_type) {
        out.push_str(&text);
    } else {
        out.push_str(&format!("CAST({text} AS {data_type})"));
    }
}

fn write_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::Literal(literal) => write_literal(out, literal),
        Expr::Column { table, name } => {
            if let Some(table) = table {
                out.push_str(&quote_ident(table));
                out.push('.');
            }
            out.push_str(&quote_ident(name));
        }
        Expr::Parameter(n) => out.push_str(&format!("${n}")),
        Expr::Binary { op, left, right } => {
            out.push('(');
            write_expr(out, left);
            out.push(' ');
            out.push_str(op.sql());
            out.push(' ');
            write_expr(out, right);
            out.push(')');
        }
        Expr::And(operands) | Expr::Or(operands) => {
            let separator = if matches!(expr, Expr::And(_)) { " AND " } else { " OR " };
            out.push('(');
            for (i, operand) in operands.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                write_expr(out, operand);
            }
            out.push(')');
        }
        Expr::Unary { op, expr } => {
            out.push_str(match op {
                UnaryOperator::Not => "(NOT ",
                UnaryOperator::Minus => "(- ",
                UnaryOperator::Plus => "(+ ",
            });
            write_expr(out, expr);
            out.push(')');
        }
        Expr::IsNull { expr, negated } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(if *negated { " IS NOT NULL)" } else { " IS NULL)" });
        }
        Expr::InList { expr, list, negated } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_list(out, list, write_expr);
            out.push_str("))");
        }
        Expr::Between { expr, low, high, negated } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(if *negated { " NOT BETWEEN " } else { " BETWEEN " });
            write_expr(out, low);
            out.push_str(" AND ");
            write_expr(out, high);
            out.push(')');
        }
        Expr::Case { operand, branches, else_result } => {
            out.push_str("CASE");
            if let Some(operand) = operand {
                out.push(' ');
                write_expr(out, operand);
            }
            for (condition, result) in branches {
                out.push_str(" WHEN ");
                write_expr(out, condition);
                out.push_str(" THEN ");
                write_expr(out, result);
            }
            if let Some(otherwise) = else_result {
                out.push_str(" ELSE ");
                write_expr(out, otherwise);
            }
            out.push_str(" END");
        }
        Expr::Cast { expr, data_type } => {
            out.push_str("CAST(");
            write_expr(out, expr);
            out.push_str(&format!(" AS {data_type})"));
        }
        Expr::Function { name, args, distinct, star } => write_function(out, name, args, *distinct, *star),
        Expr::Window(call) => write_window(out, call),
        Expr::OrderedAggregate(call) => {
            let qualified: Vec<String> = call.name.split('.').map(quote_function_name).collect();
            out.push_str(&qualified.join("."));
            out.push('(');
            if call.distinct {
                out.push_str("DISTINCT ");
            }
            write_list(out, &call.args, write_expr);
            out.push_str(if call.within_group { ") WITHIN GROUP (ORDER BY " } else { " ORDER BY " });
            write_list(out, &call.order_by, write_order_by);
            out.push(')');
        }
        Expr::Subquery(query) => {
            out.push('(');
            write_query(out, query);
            out.push(')');
        }
        Expr::Exists { query, negated } => {
            out.push_str(if *negated { "(NOT EXISTS (" } else { "(EXISTS (" });
            write_query(out, query);
            out.push_str("))");
        }
        Expr::InSubquery { expr, query, negated } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(if *negated { " NOT IN (" } else { " IN (" });
            write_query(out, query);
            out.push_str("))");
        }
        Expr::AnyAll { expr, op, array, all } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(&format!(" {} {} (", op.sql(), if *all { "ALL" } else { "ANY" }));
            write_expr(out, array);
            out.push_str("))");
        }
        Expr::Array(items) => {
            out.push_str("ARRAY[");
            write_list(out, items, write_expr);
            out.push(']');
        }
        Expr::Subscript { expr, index } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(")[");
            write_expr(out, index);
            out.push(']');
        }
        Expr::Positioned { expr, .. } => write_expr(out, expr),
        Expr::FieldSelect { expr, field } => {
            out.push('(');
            write_expr(out, expr);
            out.push_str(").");
            out.push_str(&quote_ident(field));
        }
    }
}

fn write_window(out: &mut String, call: &crate::sql::ast::WindowCall) {
    use crate::sql::ast::FrameBound;
    write_function(out, &call.name, &call.args, false, call.star);
    out.push_str(" OVER (");
    let mut clauses = Vec::new();
    if !call.partition_by.is_empty() {
        let mut text = String::from("PARTITION BY ");
        write_list(&mut text, &call.partition_by, write_expr);
        clauses.push(text);
    }
    if !call.order_by.is_empty() {
        let mut text = String::from("ORDER BY ");
        write_list(&mut text, &call.order_by, write_order_by);
        clauses.push(text);
    }
    if let Some(frame) = &call.frame {
        let bound = |b: FrameBound| match b {
            FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
            FrameBound::Preceding(n) => format!("{n} PRECEDING"),
            FrameBound::CurrentRow => "CURRENT ROW".to_string(),
            FrameBound::Following(n) => format!("{n} FOLLOWING"),
            FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
        };
        let units = if frame.rows { "ROWS" } else { "RANGE" };
        clauses.push(format!("{units} BETWEEN {} AND {}", bound(frame.start), bound(frame.end)));
    }
    out.push_str(&clauses.join(" "));
    out.push(')');
}

fn write_function(out: &mut String, name: &str, args: &[Expr], distinct: bool, star: bool) {
    if args.is_empty() && !star && !distinct && BARE_FUNCTIONS.contains(&name) {
        out.push_str(&name.to_ascii_uppercase());
        return;
    }
    // `EXTRACT(field FROM x)` is special syntax in the parser; `extract('field', x)` would not read back.
    if let ("extract", [Expr::Literal(Literal::String(field)), source], false, false) = (name, args, distinct, star) {
        if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !field.is_empty() {
            out.push_str(&format!("EXTRACT({field} FROM "));
            write_expr(out, source);
            out.push(')');
            return;
        }
    }
    let qualified: Vec<String> = name.split('.').map(quote_function_name).collect();
    out.push_str(&qualified.join("."));
    out.push('(');
    if star {
        out.push('*');
    } else {
        if distinct {
            out.push_str("DISTINCT ");
        }
        write_list(out, args, write_expr);
    }
    out.push(')');
}

fn write_query(out: &mut String, query: &Query) {
    if !query.with.is_empty() {
        out.push_str("WITH ");
        write_list(out, &query.with, |out, cte| {
            out.push_str(&quote_ident(&cte.alias.name));
            if !cte.alias.columns.is_empty() {
                out.push('(');
                write_list(out, &cte.alias.columns, |out, c| out.push_str(&quote_ident(c)));
                out.push(')');
            }
            out.push_str(" AS (");
            write_query(out, &cte.query);
            out.push(')');
        });
        out.push(' ');
    }
    match &query.body {
        QueryBody::Select(select) => write_select(out, select),
        QueryBody::Values(rows) => {
            out.push_str("VALUES ");
            write_list(out, rows, |out, row| {
                out.push('(');
                write_list(out, row, write_expr);
                out.push(')');
            });
        }
        QueryBody::SetOperation { op, all, left, right } => {
            // Parentheses only where the grammar needs them: sqlparser refuses a parenthesised left operand
            // inside an expression's subquery (`((SELECT 1) UNION ...)`), which PostgreSQL accepts.
            write_set_operand(out, left, |inner| set_precedence(inner) < set_precedence(*op));
            out.push(' ');
            out.push_str(op.name());
            if *all {
                out.push_str(" ALL");
            }
            out.push(' ');
            write_set_operand(out, right, |inner| set_precedence(inner) <= set_precedence(*op));
        }
    }
    if !query.order_by.is_empty() {
        out.push_str(" ORDER BY ");
        write_list(out, &query.order_by, write_order_by);
    }
    if let Some(limit) = &query.limit {
        out.push_str(" LIMIT ");
        write_expr(out, limit);
    }
    if let Some(offset) = &query.offset {
        out.push_str(" OFFSET ");
        write_expr(out, offset);
    }
}

/// INTERSECT binds tighter than UNION and EXCEPT; all three associate to the left.
fn set_precedence(op: SetOperator) -> u8 {
    match op {
        SetOperator::Intersect => 2,
        SetOperator::Union | SetOperator::Except => 1,
    }
}

/// One side of a set operation, parenthesised when it has its own ORDER BY / LIMIT / OFFSET or when it is
/// a set operation that `needs_parentheses` says would otherwise regroup.
fn write_set_operand(out: &mut String, operand: &Query, needs_parentheses: impl Fn(SetOperator) -> bool) {
    let has_clauses = !operand.order_by.is_empty() || operand.limit.is_some() || operand.offset.is_some();
    let regroups = matches!(&operand.body, QueryBody::SetOperation { op, .. } if needs_parentheses(*op));
    if has_clauses || regroups {
        out.push('(');
        write_query(out, operand);
        out.push(')');
    } else {
        write_query(out, operand);
    }
}

fn write_order_by(out: &mut String, order: &OrderByExpr) {
    write_expr(out, &order.expr);
    if order.descending {
        out.push_str(" DESC");
    }
    match order.nulls_first {
        Some(true) => out.push_str(" NULLS FIRST"),
        Some(false) => out.push_str(" NULLS LAST"),
        None => {}
    }
}

fn write_select(out: &mut String, select: &Select) {
    out.push_str(if select.distinct { "SELECT DISTINCT " } else { "SELECT " });
    if !select.distinct_on.is_empty() {
        out.push_str("DISTINCT ON (");
        write_list(out, &select.distinct_on, write_expr);
        out.push_str(") ");
    }
    write_list(out, &select.projection, write_select_item);
    if !select.from.is_empty() {
        out.push_str(" FROM ");
        write_list(out, &select.from, write_table_ref);
    }
    if let Some(filter) = &select.filter {
        out.push_str(" WHERE ");
        write_expr(out, filter);
    }
    if !select.grouping_sets.is_empty() {
        out.push_str(" GROUP BY GROUPING SETS (");
        write_list(out, &select.grouping_sets, |out, set| {
            out.push('(');
            let exprs: Vec<&Expr> = set.iter().map(|&i| &select.group_by[i]).collect();
            write_list(out, &exprs, |out, e| write_expr(out, e));
            out.push(')');
        });
        out.push(')');
    } else if !select.group_by.is_empty() {
        out.push_str(" GROUP BY ");
        write_list(out, &select.group_by, write_expr);
    }
    if let Some(having) = &select.having {
        out.push_str(" HAVING ");
        write_expr(out, having);
    }
}

fn write_select_item(out: &mut String, item: &SelectItem) {
    match item {
        SelectItem::Wildcard => out.push('*'),
        SelectItem::QualifiedWildcard(table) => out.push_str(&format!("{}.*", quote_ident(table))),
        SelectItem::Expr { expr, alias } => {
            write_expr(out, expr);
            if let Some(alias) = alias {
                out.push_str(&format!(" AS {}", quote_ident(alias)));
            }
        }
    }
}

fn write_object_name(out: &mut String, name: &ObjectName) {
    if let Some(schema) = &name.schema {
        out.push_str(&quote_ident(schema));
        out.push('.');
    }
    out.push_str(&quote_ident(&name.name));
}

fn write_alias(out: &mut String, alias: &Option<TableAlias>) {
    if let Some(alias) = alias {
        out.push_str(&format!(" AS {}", quote_ident(&alias.name)));
        if !alias.columns.is_empty() {
            out.push('(');
            write_list(out, &alias.columns, |out, c| out.push_str(&quote_ident(c)));
            out.push(')');
        }
    }
}

fn write_table_ref(out: &mut String, table: &TableRef) {
    match table {
        TableRef::Table { name, alias } => {
            write_object_name(out, name);
            write_alias(out, alias);
        }
        TableRef::Function { name, args, alias } => {
            write_function(out, name, args, false, false);
            write_alias(out, alias);
        }
        TableRef::Subquery { query, alias, lateral } => {
            if *lateral {
                out.push_str("LATERAL ");
            }
            out.push('(');
            write_query(out, query);
            out.push(')');
            write_alias(out, alias);
        }
        TableRef::Join { left, right, kind, constraint } => {
            // Parenthesised so that a join on the right side, or an explicit grouping, reads back the same.
            out.push('(');
            write_table_ref(out, left);
            if matches!(constraint, JoinConstraint::Natural) {
                out.push_str(" NATURAL");
            }
            out.push_str(match kind {
                JoinKind::Inner => " JOIN ",
                JoinKind::Left => " LEFT JOIN ",
                JoinKind::Right => " RIGHT JOIN ",
                JoinKind::Full => " FULL JOIN ",
                JoinKind::Cross => " CROSS JOIN ",
                // Never parsed (the optimizer makes them from subqueries), so never rendered.
                JoinKind::Semi | JoinKind::Anti => " JOIN ",
            });
            write_table_ref(out, right);
            match constraint {
                JoinConstraint::On(condition) => {
                    out.push_str(" ON ");
                    write_expr(out, condition);
                }
                JoinConstraint::Using(columns) => {
                    out.push_str(" USING (");
                    write_list(out, columns, |out, c| out.push_str(&quote_ident(c)));
                    out.push(')');
                }
                JoinConstraint::Natural | JoinConstraint::None => {}
            }
            out.push(')');
        }
    }
}

/// The expression without `Positioned` wrappers, for structural comparison (GROUP BY items against the
/// select list, say) and for storage.
pub fn strip_positions(expr: &Expr) -> Expr {
    let mut expr = expr.clone();
    strip_expr(&mut expr);
    expr
}

/// The query without `Positioned` wrappers anywhere in it.
pub fn strip_positions_in_query(query: &Query) -> Query {
    let mut query = query.clone();
    strip_query(&mut query);
    query
}

/// The statement without `Positioned` wrappers (for tests comparing whole trees).
#[cfg(test)]
pub(super) fn strip_positions_in_statement(statement: &crate::sql::ast::Statement) -> crate::sql::ast::Statement {
    use crate::sql::ast::Statement;
    let mut statement = statement.clone();
    match &mut statement {
        Statement::Query(query) => strip_query(query),
        Statement::Insert(insert) => {
            match &mut insert.source {
                crate::sql::ast::InsertSource::Values(rows) => rows.iter_mut().flatten().flatten().for_each(strip_expr),
                crate::sql::ast::InsertSource::Query(query) => strip_query(query),
                crate::sql::ast::InsertSource::DefaultValues => {}
            }
            insert.returning.iter_mut().for_each(strip_select_item);
        }
        Statement::Update(update) => {
            update.assignments.iter_mut().filter_map(|(_, e)| e.as_mut()).for_each(strip_expr);
            update.filter.iter_mut().for_each(strip_expr);
            update.returning.iter_mut().for_each(strip_select_item);
        }
        Statement::Delete(delete) => {
            delete.filter.iter_mut().for_each(strip_expr);
            delete.returning.iter_mut().for_each(strip_select_item);
        }
        Statement::CreateTable(create) => {
            create.columns.iter_mut().filter_map(|c| c.default.as_mut()).for_each(strip_expr)
        }
        _ => {}
    }
    statement
}

fn strip_expr(expr: &mut Expr) {
    if let Expr::Positioned { expr: inner, .. } = expr {
        let mut inner = std::mem::replace(inner.as_mut(), Expr::Literal(Literal::Null));
        strip_expr(&mut inner);
        *expr = inner;
        return;
    }
    match expr {
        Expr::Literal(_) | Expr::Column { .. } | Expr::Parameter(_) | Expr::Positioned { .. } => {}
        Expr::Window(call) => {
            call.args.iter_mut().chain(call.partition_by.iter_mut()).for_each(strip_expr);
            call.order_by.iter_mut().for_each(|o| strip_expr(&mut o.expr));
        }
        Expr::OrderedAggregate(call) => {
            call.args.iter_mut().for_each(strip_expr);
            call.order_by.iter_mut().for_each(|o| strip_expr(&mut o.expr));
        }
        Expr::Binary { left, right, .. } => {
            strip_expr(left);
            strip_expr(right);
        }
        Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => strip_expr(expr),
        Expr::InList { expr, list, .. } => {
            strip_expr(expr);
            list.iter_mut().for_each(strip_expr);
        }
        Expr::Between { expr, low, high, .. } => {
            strip_expr(expr);
            strip_expr(low);
            strip_expr(high);
        }
        Expr::Case { operand, branches, else_result } => {
            operand.iter_mut().for_each(|e| strip_expr(e));
            for (condition, result) in branches {
                strip_expr(condition);
                strip_expr(result);
            }
            else_result.iter_mut().for_each(|e| strip_expr(e));
        }
        Expr::Function { args, .. } | Expr::And(args) | Expr::Or(args) => args.iter_mut().for_each(strip_expr),
        Expr::Subquery(query) | Expr::Exists { query, .. } => strip_query(query),
        Expr::InSubquery { expr, query, .. } => {
            strip_expr(expr);
            strip_query(query);
        }
        Expr::AnyAll { expr, array, .. } | Expr::Subscript { expr, index: array } => {
            strip_expr(expr);
            strip_expr(array);
        }
        Expr::Array(items) => items.iter_mut().for_each(strip_expr),
        Expr::FieldSelect { expr, .. } => strip_expr(expr),
    }
}

fn strip_select_item(item: &mut SelectItem) {
    if let SelectItem::Expr { expr, .. } = item {
        strip_expr(expr);
    }
}

fn strip_query(query: &mut Query) {
    query.with.iter_mut().for_each(|cte| strip_query(&mut cte.query));
    match &mut query.body {
        QueryBody::Select(select) => {
            select.projection.iter_mut().for_each(strip_select_item);
            select.from.iter_mut().for_each(strip_table_ref);
            select.filter.iter_mut().for_each(strip_expr);
            select.group_by.iter_mut().for_each(strip_expr);
            select.having.iter_mut().for_each(strip_expr);
            select.distinct_on.iter_mut().for_each(strip_expr);
        }
        QueryBody::Values(rows) => rows.iter_mut().flatten().for_each(strip_expr),
        QueryBody::SetOperation { left, right, .. } => {
            strip_query(left);
            strip_query(right);
        }
    }
    query.order_by.iter_mut().for_each(|o| strip_expr(&mut o.expr));
    query.limit.iter_mut().for_each(strip_expr);
    query.offset.iter_mut().for_each(strip_expr);
}

fn strip_table_ref(table: &mut TableRef) {
    match table {
        TableRef::Table { .. } => {}
        TableRef::Function { args, .. } => args.iter_mut().for_each(strip_expr),
        TableRef::Subquery { query, .. } => strip_query(query),
        TableRef::Join { left, right, constraint, .. } => {
            strip_table_ref(left);
            strip_table_ref(right);
            if let JoinConstraint::On(condition) = constraint {
                strip_expr(condition);
            }
        }
    }
}
