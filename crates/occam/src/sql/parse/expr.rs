//! Expressions, literals and type names: sqlparser's `Expr` / `DataType` -> occam's `ast::Expr` / `DataType`.
//!
//! Literal typing follows PostgreSQL: an integer literal is int4 if it fits, else int8, else numeric; a
//! literal with a decimal point or exponent is numeric. Unary minus on a numeric literal is folded into the
//! literal, so `-2147483648` is an int4 constant. PostgreSQL's special syntaxes become ordinary calls the
//! way PostgreSQL's own grammar rewrites them: `EXTRACT(f FROM x)` -> `extract('f', x)`,
//! `POSITION(a IN b)` -> `strpos(b, a)`, `SUBSTRING(x FROM a FOR b)` -> `substr(x, a, b)`,
//! `TRIM([LEADING|TRAILING|BOTH] [c] FROM x)` -> `ltrim` / `rtrim` / `btrim(x[, c])`.
//!
//! `x IS [NOT] TRUE|FALSE` and `a IS [NOT] DISTINCT FROM b` have no node of their own; they become CASE
//! expressions with the same results (`CASE WHEN x THEN true ELSE false END`, ...). The CASE keeps the
//! boolean check on `x`; IS DISTINCT FROM evaluates its operands more than once, which only matters for
//! volatile operands.

use sqlparser::ast as sp;
use sqlparser::tokenizer::Location;

use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, BinaryOperator, Expr, Literal, UnaryOperator};
use crate::types::{DataType, RegKind, Value};

/// PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// Case-folds an identifier as PostgreSQL does: unquoted ASCII letters to lower case, quoted kept as
/// written; both truncated to 63 bytes.
pub(super) fn fold_ident(ident: &sp::Ident) -> String {
    let mut name = if ident.quote_style.is_some() { ident.value.clone() } else { ident.value.to_ascii_lowercase() };
    if name.len() > MAX_IDENTIFIER_BYTES {
        let mut end = MAX_IDENTIFIER_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// Whether an expression is the bare keyword `DEFAULT` (sqlparser reads it as an identifier).
pub(super) fn is_default_keyword(expr: &sp::Expr) -> bool {
    matches!(expr, sp::Expr::Identifier(ident) if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("default"))
}

fn boolean(value: bool) -> Expr {
    Expr::Literal(Literal::Bool(value))
}

/// `CASE WHEN condition THEN then ELSE otherwise END`.
fn case_when(condition: Expr, then: Expr, otherwise: Expr) -> Expr {
    Expr::Case { operand: None, branches: vec![(condition, then)], else_result: Some(Box::new(otherwise)) }
}

fn not(expr: Expr) -> Expr {
    Expr::Unary { op: UnaryOperator::Not, expr: Box::new(expr) }
}

fn is_null(expr: Expr, negated: bool) -> Expr {
    Expr::IsNull { expr: Box::new(expr), negated }
}

impl Translator<'_> {
    /// Wraps a column reference or call in `Positioned` when its location is known.
    fn positioned(&self, expr: Expr, location: Location) -> Expr {
        match self.position(location) {
            Some(position) if self.record_positions => Expr::Positioned { expr: Box::new(expr), position },
            _ => expr,
        }
    }

    pub(super) fn exprs<'e>(&self, exprs: impl IntoIterator<Item = &'e sp::Expr>) -> Result<Vec<Expr>> {
        exprs.into_iter().map(|e| self.expr(e)).collect()
    }

    fn boxed(&self, expr: &sp::Expr) -> Result<Box<Expr>> {
        Ok(Box::new(self.expr(expr)?))
    }

    pub(super) fn expr(&self, expr: &sp::Expr) -> Result<Expr> {
        use sp::Expr as E;
        crate::stack::check()?;
        Ok(match expr {
            E::Identifier(ident) => {
                if is_default_keyword(expr) {
                    return Err(self.at(Error::syntax("DEFAULT is not allowed in this context"), ident.span.start));
                }
                // A reserved key word in PostgreSQL, a function without parentheses like CURRENT_USER; sqlparser
                // reads it as a name.
                if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("current_role") {
                    let call =
                        Expr::Function { name: "current_role".into(), args: Vec::new(), distinct: false, star: false };
                    return Ok(self.positioned(call, ident.span.start));
                }
                self.positioned(Expr::Column { table: None, name: fold_ident(ident) }, ident.span.start)
            }
            E::CompoundIdentifier(parts) => self.compound_column(parts)?,
            E::Nested(inner) => self.expr(inner)?,
            E::Value(value) => self.value(value, false)?,
            E::TypedString(typed) => {
                let text = string_value(&typed.value.value).ok_or_else(|| {
                    self.at(Error::syntax("syntax error: a typed literal needs a string"), typed.value.span.start)
                })?;
                let data_type = self.data_type(&typed.data_type).map_err(|e| self.at(e, typed.value.span.start))?;
                Expr::Cast { expr: Box::new(Expr::Literal(Literal::String(text))), data_type }
            }
            E::Cast { kind, expr, data_type, format } => {
                if !matches!(kind, sp::CastKind::Cast | sp::CastKind::DoubleColon) {
                    return Err(unsupported(format!("{kind:?}")));
                }
                if format.is_some() {
                    return Err(unsupported("CAST ... FORMAT"));
                }
                Expr::Cast { expr: self.boxed(expr)?, data_type: self.data_type(data_type)? }
            }
            E::UnaryOp { op, expr: operand } => self.unary(*op, operand)?,
            E::BinaryOp { op: op @ (sp::BinaryOperator::And | sp::BinaryOperator::Or), .. } => {
                let operands = self.exprs(logical_chain(expr, op))?;
                if *op == sp::BinaryOperator::And {
                    Expr::And(operands)
                } else {
                    Expr::Or(operands)
                }
            }
            E::BinaryOp { left, op, right } => match (row_fields(left), row_fields(right)) {
                (Some(lefts), Some(rights)) => self.row_comparison(binary_operator(op)?, &lefts, &rights)?,
                _ => Expr::Binary { op: binary_operator(op)?, left: self.boxed(left)?, right: self.boxed(right)? },
            },
            E::Like { negated, any, expr, pattern, escape_char } => {
                let op = if *negated { BinaryOperator::NotLike } else { BinaryOperator::Like };
                self.like(op, *any, expr, pattern, escape_char.as_deref())?
            }
            E::ILike { negated, any, expr, pattern, escape_char } => {
                let op = if *negated { BinaryOperator::NotILike } else { BinaryOperator::ILike };
                self.like(op, *any, expr, pattern, escape_char.as_deref())?
            }
            E::IsNull(inner) | E::IsUnknown(inner) => is_null(self.expr(inner)?, false),
            E::IsNotNull(inner) | E::IsNotUnknown(inner) => is_null(self.expr(inner)?, true),
            E::IsTrue(inner) => case_when(self.expr(inner)?, boolean(true), boolean(false)),
            E::IsNotTrue(inner) => case_when(self.expr(inner)?, boolean(false), boolean(true)),
            E::IsFalse(inner) => case_when(not(self.expr(inner)?), boolean(true), boolean(false)),
            E::IsNotFalse(inner) => case_when(not(self.expr(inner)?), boolean(false), boolean(true)),
            E::IsDistinctFrom(a, b) => self.is_distinct_from(a, b, true)?,
            E::IsNotDistinctFrom(a, b) => self.is_distinct_from(a, b, false)?,
            E::InList { expr, list, negated } => match row_fields(expr) {
                // `(a, b) IN ((1, 2), (3, 4))`: a row equal to any of the rows, as PostgreSQL (OR of the row
                // equalities, so NULLs give SQL's answer).
                Some(lefts) => {
                    let equalities = list
                        .iter()
                        .map(|item| {
                            let rights = row_fields(item)
                                .ok_or_else(|| Error::syntax("unequal number of entries in row expressions"))?;
                            self.row_comparison(BinaryOperator::Eq, &lefts, &rights)
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let any = Expr::Or(equalities);
                    if *negated {
                        not(any)
                    } else {
                        any
                    }
                }
                None => Expr::InList { expr: self.boxed(expr)?, list: self.exprs(list)?, negated: *negated },
            },
            E::InSubquery { expr, subquery, negated } => {
                Expr::InSubquery { expr: self.boxed(expr)?, query: Box::new(self.query(subquery)?), negated: *negated }
            }
            E::Between { expr, negated, low, high } => Expr::Between {
                expr: self.boxed(expr)?,
                low: self.boxed(low)?,
                high: self.boxed(high)?,
                negated: *negated,
            },
            E::Case { operand, conditions, else_result, .. } => Expr::Case {
                operand: operand.as_deref().map(|e| self.boxed(e)).transpose()?,
                branches: conditions
                    .iter()
                    .map(|when| Ok((self.expr(&when.condition)?, self.expr(&when.result)?)))
                    .collect::<Result<_>>()?,
                else_result: else_result.as_deref().map(|e| self.boxed(e)).transpose()?,
            },
            E::Exists { subquery, negated } => {
                Expr::Exists { query: Box::new(self.query(subquery)?), negated: *negated }
            }
            E::Subquery(query) => Expr::Subquery(Box::new(self.query(query)?)),
            E::Function(function) => self.function(function)?,
            E::Extract { field, expr, .. } => {
                let field = match field {
                    sp::DateTimeField::Custom(ident) => fold_ident(ident),
                    other => other.to_string().to_ascii_lowercase(),
                };
                self.call("extract", vec![Expr::Literal(Literal::String(field)), self.expr(expr)?])
            }
            E::Position { expr, r#in } => self.call("strpos", vec![self.expr(r#in)?, self.expr(expr)?]),
            E::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.expr(expr)?];
                match (substring_from, substring_for) {
                    (Some(from), Some(count)) => args.extend([self.expr(from)?, self.expr(count)?]),
                    (Some(from), None) => args.push(self.expr(from)?),
                    (None, Some(count)) => args.extend([number(1), self.expr(count)?]),
                    (None, None) => {}
                }
                self.call("substr", args)
            }
            E::Trim { trim_where, trim_what, expr, trim_characters } => {
                let name = match trim_where {
                    Some(sp::TrimWhereField::Leading) => "ltrim",
                    Some(sp::TrimWhereField::Trailing) => "rtrim",
                    Some(sp::TrimWhereField::Both) | None => "btrim",
                };
                let mut args = vec![self.expr(expr)?];
                if let Some(what) = trim_what {
                    args.push(self.expr(what)?);
                }
                if let Some(characters) = trim_characters {
                    args.extend(self.exprs(characters)?);
                }
                self.call(name, args)
            }
            E::Ceil { expr, field } => self.ceil_floor("ceil", expr, field)?,
            E::Floor { expr, field } => self.ceil_floor("floor", expr, field)?,
            E::Interval(interval) => self.interval_literal(interval)?,
            // `ts AT TIME ZONE zone` is PostgreSQL's `timezone(zone, ts)`.
            E::AtTimeZone { timestamp, time_zone } => {
                self.call("timezone", vec![self.expr(time_zone)?, self.expr(timestamp)?])
            }
            E::Collate { expr, collation } => {
                check_collation(collation)?;
                self.expr(expr)?
            }
            E::SimilarTo { .. } => return Err(unsupported("SIMILAR TO")),
            E::AnyOp { left, compare_op, right, .. } | E::AllOp { left, compare_op, right } => {
                if let E::Subquery(query) = strip_nested(right) {
                    // `x = ANY (SELECT ...)` is `x IN (SELECT ...)`; `x <> ALL (SELECT ...)` is NOT IN; other
                    // operators compare with the subquery's values gathered into an array, which has the
                    // same three-valued logic (a NULL among them makes a non-match unknown).
                    let negated = match (expr, compare_op) {
                        (E::AnyOp { .. }, sp::BinaryOperator::Eq) => false,
                        (E::AllOp { .. }, sp::BinaryOperator::NotEq) => true,
                        _ => {
                            return Ok(Expr::AnyAll {
                                expr: self.boxed(left)?,
                                op: binary_operator(compare_op)?,
                                array: Box::new(self.array_subquery(query)?),
                                all: matches!(expr, E::AllOp { .. }),
                            })
                        }
                    };
                    return Ok(Expr::InSubquery {
                        expr: self.boxed(left)?,
                        query: Box::new(self.query(query)?),
                        negated,
                    });
                }
                Expr::AnyAll {
                    expr: self.boxed(left)?,
                    op: binary_operator(compare_op)?,
                    array: self.boxed(right)?,
                    all: matches!(expr, E::AllOp { .. }),
                }
            }
            E::Tuple(_) => return Err(unsupported("a row constructor")),
            E::Array(array) => {
                if array.elem.iter().any(|e| matches!(strip_nested(e), E::Array(_))) {
                    return Err(Error::unsupported("multidimensional arrays are not supported"));
                }
                Expr::Array(self.exprs(&array.elem)?)
            }
            E::CompoundFieldAccess { root, access_chain } => {
                // `t.col[1]`: the chain holds the rest of the column's name, then the subscripts, applied in
                // order (`doc['a'][0]` on jsonb).
                // `(f(x)).field`: a field of a (set-returning) function's row.
                // `(col).field`, the column named in parentheses: a field of a record-valued column.
                let parenthesized = matches!(root.as_ref(), E::Nested(_));
                if let ([sp::AccessExpr::Dot(E::Identifier(field))], false) =
                    (access_chain.as_slice(), matches!(strip_nested(root), E::Identifier(_)) && !parenthesized)
                {
                    return Ok(Expr::FieldSelect { expr: self.boxed(root)?, field: fold_ident(field) });
                }
                let names = access_chain.iter().take_while(|a| matches!(a, sp::AccessExpr::Dot(_))).count();
                let (names, subscripts) = access_chain.split_at(names);
                let mut parts: Vec<sp::Ident> = match strip_nested(root) {
                    E::Identifier(ident) if !names.is_empty() => vec![ident.clone()],
                    _ if !names.is_empty() => return Err(unsupported("a field selection")),
                    _ => Vec::new(),
                };
                for name in names {
                    match name {
                        sp::AccessExpr::Dot(E::Identifier(ident)) => parts.push(ident.clone()),
                        _ => return Err(unsupported("a field selection")),
                    }
                }
                let mut value = if parts.is_empty() { self.expr(root)? } else { self.compound_column(&parts)? };
                if subscripts.is_empty() {
                    return Err(unsupported("a field selection"));
                }
                for subscript in subscripts {
                    value = match subscript {
                        sp::AccessExpr::Subscript(sp::Subscript::Index { index }) => {
                            Expr::Subscript { expr: Box::new(value), index: self.boxed(index)? }
                        }
                        sp::AccessExpr::Subscript(_) => return Err(unsupported("array slices")),
                        sp::AccessExpr::Dot(_) => return Err(unsupported("a field selection")),
                    };
                }
                value
            }
            E::GroupingSets(_) | E::Cube(_) | E::Rollup(_) => return Err(unsupported("GROUPING SETS / CUBE / ROLLUP")),
            E::Wildcard(_) | E::QualifiedWildcard(..) => return Err(unsupported("a * in this position")),
            other => return Err(unsupported(format!("the expression `{other}`"))),
        })
    }

    /// A row comparison `(a, b, ...) OP (x, y, ...)`, as PostgreSQL compares rows: `=` / `<>` pairwise,
    /// the orderings column by column from the left. An ordering becomes `a >= x AND (a > x OR (b, ...) >
    /// (y, ...))` (for `>`; the others alike), which has SQL's NULL semantics for row comparisons and whose
    /// first conjunct is a key range an index on (a, b, ...) can read (keyset pagination).
    fn row_comparison(&self, op: BinaryOperator, lefts: &[sp::Expr], rights: &[sp::Expr]) -> Result<Expr> {
        if lefts.len() != rights.len() || lefts.is_empty() {
            return Err(Error::syntax("unequal number of entries in row expressions"));
        }
        let lefts = self.exprs(lefts)?;
        let rights = self.exprs(rights)?;
        let pair = |op: BinaryOperator, l: &Expr, r: &Expr| Expr::Binary {
            op,
            left: Box::new(l.clone()),
            right: Box::new(r.clone()),
        };
        let pairs = || lefts.iter().zip(&rights);
        Ok(match op {
            BinaryOperator::Eq => Expr::And(pairs().map(|(l, r)| pair(BinaryOperator::Eq, l, r)).collect()),
            BinaryOperator::NotEq => Expr::Or(pairs().map(|(l, r)| pair(BinaryOperator::NotEq, l, r)).collect()),
            BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq => {
                let (strict, weak) = match op {
                    BinaryOperator::Lt | BinaryOperator::LtEq => (BinaryOperator::Lt, BinaryOperator::LtEq),
                    _ => (BinaryOperator::Gt, BinaryOperator::GtEq),
                };
                // Built from the last column outwards: the last pair uses `op` itself.
                let last = lefts.len() - 1;
                let mut expr = pair(op, &lefts[last], &rights[last]);
                for i in (0..last).rev() {
                    expr = Expr::And(vec![
                        pair(weak, &lefts[i], &rights[i]),
                        Expr::Or(vec![pair(strict, &lefts[i], &rights[i]), expr]),
                    ]);
                }
                expr
            }
            other => return Err(unsupported(format!("operator {other:?} on row constructors"))),
        })
    }

    /// `t.c`, and `s.t.c` (the schema is dropped: occam's column references carry the table only).
    fn compound_column(&self, parts: &[sp::Ident]) -> Result<Expr> {
        let location = parts.first().map_or(Location { line: 0, column: 0 }, |p| p.span.start);
        let (table, name) = match parts {
            [table, name] | [_, table, name] => (fold_ident(table), fold_ident(name)),
            _ => {
                let written: Vec<String> = parts.iter().map(fold_ident).collect();
                return Err(self.at(
                    Error::unsupported(format!("cross-database references are not implemented: {}", written.join("."))),
                    location,
                ));
            }
        };
        Ok(self.positioned(Expr::Column { table: Some(table), name }, location))
    }

    fn unary(&self, op: sp::UnaryOperator, operand: &sp::Expr) -> Result<Expr> {
        let op = match op {
            sp::UnaryOperator::Minus => {
                // Fold `-<number>` into the literal, so `-2147483648` is an int4 constant as in PostgreSQL.
                if let sp::Expr::Value(value) = strip_nested(operand) {
                    if matches!(value.value, sp::Value::Number(..)) {
                        return self.value(value, true);
                    }
                }
                UnaryOperator::Minus
            }
            sp::UnaryOperator::Plus => UnaryOperator::Plus,
            sp::UnaryOperator::Not => UnaryOperator::Not,
            other => return Err(unsupported(format!("operator {other}"))),
        };
        Ok(Expr::Unary { op, expr: self.boxed(operand)? })
    }

    /// `expr [NOT] [I]LIKE pattern [ESCAPE e]`; with an escape, the pattern is `like_escape(pattern, e)`,
    /// as PostgreSQL rewrites it.
    fn like(
        &self,
        op: BinaryOperator,
        any: bool,
        expr: &sp::Expr,
        pattern: &sp::Expr,
        escape: Option<&sp::Expr>,
    ) -> Result<Expr> {
        if any {
            return Err(unsupported("LIKE ANY"));
        }
        let pattern = match escape {
            Some(escape) => self.call("like_escape", vec![self.expr(pattern)?, self.expr(escape)?]),
            None => self.expr(pattern)?,
        };
        Ok(Expr::Binary { op, left: self.boxed(expr)?, right: Box::new(pattern) })
    }

    /// `a IS DISTINCT FROM b` = `CASE WHEN a IS NULL THEN b IS NOT NULL WHEN b IS NULL THEN true ELSE a <> b END`
    /// (and the negation for IS NOT DISTINCT FROM).
    fn is_distinct_from(&self, a: &sp::Expr, b: &sp::Expr, distinct: bool) -> Result<Expr> {
        let (a, b) = (self.expr(a)?, self.expr(b)?);
        let compare = if distinct { BinaryOperator::NotEq } else { BinaryOperator::Eq };
        Ok(Expr::Case {
            operand: None,
            branches: vec![
                (is_null(a.clone(), false), is_null(b.clone(), distinct)),
                (is_null(b.clone(), false), boolean(distinct)),
            ],
            else_result: Some(Box::new(Expr::Binary { op: compare, left: Box::new(a), right: Box::new(b) })),
        })
    }

    fn ceil_floor(&self, name: &str, expr: &sp::Expr, field: &sp::CeilFloorKind) -> Result<Expr> {
        match field {
            sp::CeilFloorKind::DateTimeField(sp::DateTimeField::NoDateTime) => {
                Ok(self.call(name, vec![self.expr(expr)?]))
            }
            _ => Err(unsupported(format!("{} with a unit or scale", name.to_ascii_uppercase()))),
        }
    }

    /// `ARRAY(subquery)`: `(SELECT coalesce(array_agg(c), '{}') FROM (subquery) AS s(c))`, the subquery's
    /// rows aggregated in the order it returns them, an empty array when it returns none (PostgreSQL's
    /// ARRAY sublink).
    fn array_subquery(&self, query: &sp::Query) -> Result<Expr> {
        use crate::sql::ast::{Query, Select, SelectItem, TableAlias, TableRef};
        let inner = self.query(query)?;
        let column = || Expr::Column { table: Some("array_subquery".into()), name: "element".into() };
        let aggregated = self.call("array_agg", vec![column()]);
        let value = self.call("coalesce", vec![aggregated, Expr::Literal(Literal::String("{}".into()))]);
        let select = Select {
            grouping_sets: Vec::new(),
            distinct: false,
            distinct_on: Vec::new(),
            projection: vec![SelectItem::Expr { expr: value, alias: Some("array".into()) }],
            from: vec![TableRef::Subquery {
                query: Box::new(inner),
                alias: Some(TableAlias { name: "array_subquery".into(), columns: vec!["element".into()] }),
                lateral: false,
            }],
            filter: None,
            group_by: Vec::new(),
            having: None,
        };
        Ok(Expr::Subquery(Box::new(Query::of_select(select))))
    }

    /// A call produced by rewriting special syntax (no position of its own).
    /// `INTERVAL '1 day'`, and `INTERVAL '3' DAY`: a bare number takes the qualifier's unit. (A qualifier
    /// on text with units of its own does not truncate it, unlike PostgreSQL.)
    fn interval_literal(&self, interval: &sp::Interval) -> Result<Expr> {
        let value = match (self.expr(&interval.value)?, &interval.leading_field) {
            (Expr::Literal(Literal::String(text)), Some(field)) if text.trim().parse::<f64>().is_ok() => {
                Expr::Literal(Literal::String(format!("{} {}", text.trim(), field.to_string().to_ascii_lowercase())))
            }
            (value, _) => value,
        };
        Ok(Expr::Cast { expr: Box::new(value), data_type: DataType::Interval })
    }

    fn call(&self, name: &str, args: Vec<Expr>) -> Expr {
        Expr::Function { name: name.to_string(), args, distinct: false, star: false }
    }

    fn function(&self, function: &sp::Function) -> Result<Expr> {
        let parts: Vec<&sp::Ident> = function
            .name
            .0
            .iter()
            .map(|part| match part {
                sp::ObjectNamePart::Identifier(ident) => Ok(ident),
                sp::ObjectNamePart::Function(_) => Err(unsupported("a function call in a name")),
            })
            .collect::<Result<_>>()?;
        let location = parts.first().map_or(Location { line: 0, column: 0 }, |ident| ident.span.start);
        let mut names: Vec<String> = parts.iter().map(|ident| fold_ident(ident)).collect();
        if names.len() > 1 && names[0] == "pg_catalog" {
            names.remove(0);
        }
        let name = names.join(".");
        if name == "array" && parts[0].quote_style.is_none() {
            if let sp::FunctionArguments::Subquery(query) = &function.args {
                return self.array_subquery(query);
            }
        }
        let refuse = |what: &str| Err(self.at(unsupported(format!("{what} (in a call of {name})")), location));
        // The select's WINDOW clause has been inlined (`query::inline_named_windows`): a name left is unknown.
        let undefined_window = |name: &sp::Ident| {
            Err(self.at(
                Error::new(sqlstate::UNDEFINED_OBJECT, format!("window \"{}\" does not exist", fold_ident(name))),
                location,
            ))
        };
        let over = match &function.over {
            None => None,
            Some(sp::WindowType::NamedWindow(name)) => return undefined_window(name),
            Some(sp::WindowType::WindowSpec(spec)) => {
                if let Some(name) = &spec.window_name {
                    return undefined_window(name);
                }
                Some(spec)
            }
        };
        if function.filter.is_some() && over.is_some() {
            return refuse("FILTER in a window function");
        }
        let mut order_by = function.within_group.iter().map(|o| self.order_by_expr(o)).collect::<Result<Vec<_>>>()?;
        let within_group = !order_by.is_empty();
        if within_group && over.is_some() {
            return refuse("WITHIN GROUP in a window function");
        }
        if function.null_treatment.is_some() {
            return refuse("IGNORE NULLS / RESPECT NULLS");
        }
        if !matches!(function.parameters, sp::FunctionArguments::None) {
            return refuse("parametric functions");
        }
        let (args, distinct, star) = match &function.args {
            // CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, ...: called by name, without arguments.
            sp::FunctionArguments::None => (Vec::new(), false, false),
            sp::FunctionArguments::Subquery(_) => return refuse("a subquery as the argument list"),
            sp::FunctionArguments::List(list) => {
                for clause in &list.clauses {
                    match clause {
                        sp::FunctionArgumentClause::OrderBy(items) if !within_group => {
                            order_by = items.iter().map(|o| self.order_by_expr(o)).collect::<Result<_>>()?;
                        }
                        _ => return refuse("this clause inside a call"),
                    }
                }
                let distinct = matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct));
                let mut args = Vec::new();
                let mut named = Vec::new();
                let mut star = false;
                for arg in &list.args {
                    match arg {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(expr)) if named.is_empty() => {
                            args.push(self.expr(expr)?)
                        }
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) if list.args.len() == 1 => star = true,
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(_)) => {
                            return Err(
                                self.at(Error::syntax("positional argument cannot follow named argument"), location)
                            )
                        }
                        sp::FunctionArg::Unnamed(_) => return refuse("a * argument"),
                        sp::FunctionArg::Named { name: parameter, arg: sp::FunctionArgExpr::Expr(expr), .. }
                        | sp::FunctionArg::ExprNamed {
                            name: sp::Expr::Identifier(parameter),
                            arg: sp::FunctionArgExpr::Expr(expr),
                            ..
                        } => named.push((fold_ident(parameter), self.expr(expr)?)),
                        _ => return refuse("this form of named arguments"),
                    }
                }
                if !named.is_empty() {
                    args = positional_arguments(&name, args, named).map_err(|e| self.at(e, location))?;
                }
                if star && distinct {
                    return Err(self.at(Error::syntax("syntax error at or near \"*\""), location));
                }
                (args, distinct, star)
            }
        };
        if !order_by.is_empty() {
            if over.is_some() {
                return refuse("ORDER BY inside a window function's call");
            }
            if function.filter.is_some() {
                return refuse("FILTER with an ordered aggregate");
            }
            let call = ast::OrderedAggregate { name, args, distinct, order_by, within_group };
            return Ok(self.positioned(Expr::OrderedAggregate(Box::new(call)), location));
        }
        if let Some(spec) = over {
            if distinct {
                return refuse("DISTINCT in a window function");
            }
            let call = ast::WindowCall {
                name,
                args,
                star,
                partition_by: self.exprs(&spec.partition_by)?,
                order_by: spec.order_by.iter().map(|o| self.order_by_expr(o)).collect::<Result<_>>()?,
                frame: spec.window_frame.as_ref().map(|f| self.window_frame(f)).transpose()?,
            };
            return Ok(self.positioned(Expr::Window(Box::new(call)), location));
        }
        let (args, star) = match &function.filter {
            None => (args, star),
            Some(filter) => {
                let filter = self.expr(filter)?;
                self.filtered_arguments(&name, args, star, filter).map_err(|e| self.at(e, location))?
            }
        };
        Ok(self.positioned(Expr::Function { name, args, distinct, star }, location))
    }

    /// `agg(x) FILTER (WHERE c)` as `agg(CASE WHEN c THEN x END)` (and `count(*)` as `count(CASE WHEN c
    /// THEN 1 END)`): the same for every aggregate that skips NULL inputs, which all but `array_agg` and the
    /// json aggregates do.
    fn filtered_arguments(
        &self,
        name: &str,
        mut args: Vec<Expr>,
        star: bool,
        filter: Expr,
    ) -> Result<(Vec<Expr>, bool)> {
        let when =
            |value: Expr| Expr::Case { operand: None, branches: vec![(filter.clone(), value)], else_result: None };
        match name {
            "array_agg" | "json_agg" | "jsonb_agg" | "json_object_agg" | "jsonb_object_agg" => {
                Err(unsupported(format!("FILTER with {name}")))
            }
            _ if !crate::sql::functions::is_aggregate(name) && name != "string_agg" => Err(Error::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("FILTER specified, but {name} is not an aggregate function"),
            )),
            _ if star => Ok((vec![when(Expr::Literal(Literal::Number(Value::Int(1), DataType::Int4)))], false)),
            _ if args.is_empty() => Err(unsupported("FILTER here")),
            _ => {
                let first = args.remove(0);
                args.insert(0, when(first));
                Ok((args, false))
            }
        }
    }

    /// A window frame: ROWS with any bounds, RANGE with UNBOUNDED / CURRENT ROW bounds (offsets in RANGE
    /// and GROUPS frames are refused).
    fn window_frame(&self, frame: &sp::WindowFrame) -> Result<ast::WindowFrame> {
        let rows = match frame.units {
            sp::WindowFrameUnits::Rows => true,
            sp::WindowFrameUnits::Range => false,
            sp::WindowFrameUnits::Groups => return Err(unsupported("GROUPS frames")),
        };
        let bound = |bound: &sp::WindowFrameBound| -> Result<ast::FrameBound> {
            let offset = |expr: &sp::Expr| -> Result<u64> {
                if !rows {
                    return Err(unsupported("RANGE frames with an offset"));
                }
                match self.expr(expr)? {
                    Expr::Literal(Literal::Number(crate::types::Value::Int(n), _)) if n >= 0 => Ok(n as u64),
                    Expr::Positioned { expr, .. } => match *expr {
                        Expr::Literal(Literal::Number(crate::types::Value::Int(n), _)) if n >= 0 => Ok(n as u64),
                        _ => Err(unsupported("a frame offset other than a non-negative integer constant")),
                    },
                    _ => Err(unsupported("a frame offset other than a non-negative integer constant")),
                }
            };
            Ok(match bound {
                sp::WindowFrameBound::CurrentRow => ast::FrameBound::CurrentRow,
                sp::WindowFrameBound::Preceding(None) => ast::FrameBound::UnboundedPreceding,
                sp::WindowFrameBound::Preceding(Some(n)) => ast::FrameBound::Preceding(offset(n)?),
                sp::WindowFrameBound::Following(None) => ast::FrameBound::UnboundedFollowing,
                sp::WindowFrameBound::Following(Some(n)) => ast::FrameBound::Following(offset(n)?),
            })
        };
        let start = bound(&frame.start_bound)?;
        let end = frame.end_bound.as_ref().map(bound).transpose()?.unwrap_or(ast::FrameBound::CurrentRow);
        if start == ast::FrameBound::UnboundedFollowing {
            return Err(Error::new(
                crate::error::sqlstate::WINDOWING_ERROR,
                "frame start cannot be UNBOUNDED FOLLOWING",
            ));
        }
        if end == ast::FrameBound::UnboundedPreceding {
            return Err(Error::new(crate::error::sqlstate::WINDOWING_ERROR, "frame end cannot be UNBOUNDED PRECEDING"));
        }
        Ok(ast::WindowFrame { rows, start, end })
    }

    /// A literal value; `negative` folds a preceding unary minus into a number.
    fn value(&self, value: &sp::ValueWithSpan, negative: bool) -> Result<Expr> {
        let location = value.span.start;
        let literal = match &value.value {
            sp::Value::Number(text, _) => number_literal(text, negative).map_err(|e| self.at(e, location))?,
            sp::Value::Boolean(b) => Literal::Bool(*b),
            sp::Value::Null => Literal::Null,
            sp::Value::Placeholder(text) => {
                let number = text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0);
                return match number {
                    Some(n) => Ok(Expr::Parameter(n)),
                    None => Err(self.at(
                        Error::new(sqlstate::UNDEFINED_PARAMETER, format!("there is no parameter {text}")),
                        location,
                    )),
                };
            }
            sp::Value::HexStringLiteral(_)
            | sp::Value::SingleQuotedByteStringLiteral(_)
            | sp::Value::DoubleQuotedByteStringLiteral(_) => {
                return Err(self.at(Error::unsupported("datatype bit not supported"), location));
            }
            other => match string_value(other) {
                Some(text) => Literal::String(text),
                None => return Err(self.at(unsupported(format!("the literal {other}")), location)),
            },
        };
        Ok(Expr::Literal(literal))
    }
}

/// Removes redundant parentheses.
/// The operands of a chain `a OP b OP c ...` of one logical operator, left to right, walked without
/// recursion (`depth` has rebuilt long chains as balanced trees of the operator; parentheses are kept).
fn logical_chain<'e>(expr: &'e sp::Expr, chain_op: &sp::BinaryOperator) -> Vec<&'e sp::Expr> {
    let mut operands = Vec::new();
    let mut pending = vec![expr];
    while let Some(node) = pending.pop() {
        match node {
            sp::Expr::BinaryOp { left, op, right } if op == chain_op => {
                pending.push(right);
                pending.push(left);
            }
            operand => operands.push(operand),
        }
    }
    operands
}

fn strip_nested(mut expr: &sp::Expr) -> &sp::Expr {
    while let sp::Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

/// The text of a string literal of any quoting style PostgreSQL has ('..', E'..', $$..$$, U&'..', N'..').
fn string_value(value: &sp::Value) -> Option<String> {
    match value {
        sp::Value::SingleQuotedString(s)
        | sp::Value::EscapedStringLiteral(s)
        | sp::Value::UnicodeStringLiteral(s)
        | sp::Value::NationalStringLiteral(s) => Some(s.clone()),
        sp::Value::DollarQuotedString(s) => Some(s.value.clone()),
        _ => None,
    }
}

/// A call with named arguments (`make_interval(days => 10)`) made positional, for the built-in functions
/// whose parameters have names; `make_interval`'s parameters default to 0 as in PostgreSQL.
fn positional_arguments(function: &str, mut args: Vec<Expr>, mut named: Vec<(String, Expr)>) -> Result<Vec<Expr>> {
    let (parameters, defaults): (&[&str], bool) = match function {
        "make_interval" => (&["years", "months", "weeks", "days", "hours", "mins", "secs"], true),
        "make_date" => (&["year", "month", "day"], false),
        "make_timestamp" => (&["year", "month", "mday", "hour", "min", "sec"], false),
        "make_timestamptz" => (&["year", "month", "mday", "hour", "min", "sec", "timezone"], false),
        _ => (&[], false),
    };
    let does_not_exist = |named: &[(String, Expr)]| {
        let names: Vec<String> = named.iter().map(|(name, _)| format!("{name} => ...")).collect();
        Error::new(sqlstate::UNDEFINED_FUNCTION, format!("function {function}({}) does not exist", names.join(", ")))
    };
    for parameter in parameters.iter().skip(args.len()) {
        match named.iter().position(|(name, _)| name == parameter) {
            Some(at) => args.push(named.remove(at).1),
            None if defaults => args.push(number(0)),
            // A parameter without a default may be left out only at the end (make_timestamptz's zone).
            None => break,
        }
    }
    if !named.is_empty() {
        return Err(does_not_exist(&named));
    }
    Ok(args)
}

fn number(n: i64) -> Expr {
    Expr::Literal(Literal::Number(Value::Int(n), DataType::Int4))
}

/// Types a numeric literal as PostgreSQL does: int4 if it fits, int8 if it fits, numeric otherwise.
pub(super) fn number_literal(text: &str, negative: bool) -> Result<Literal> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    let signed = if negative { format!("-{digits}") } else { digits };
    let unsigned = signed.trim_start_matches('-');
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = signed.parse::<i64>() {
            let data_type = if i32::try_from(n).is_ok() { DataType::Int4 } else { DataType::Int8 };
            return Ok(Literal::Number(Value::Int(n), data_type));
        }
    }
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let mantissa_ok = mantissa.bytes().any(|b| b.is_ascii_digit())
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().filter(|b| *b == b'.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    if !mantissa_ok || !exponent_ok {
        return Err(Error::syntax(format!("trailing junk after numeric literal at or near \"{text}\"")));
    }
    let value = crate::types::numeric::parse(&signed)?;
    Ok(Literal::Number(Value::Numeric(value), DataType::Numeric(None)))
}

fn binary_operator(op: &sp::BinaryOperator) -> Result<BinaryOperator> {
    use sp::BinaryOperator as B;
    Ok(match op {
        B::Plus => BinaryOperator::Plus,
        B::Minus => BinaryOperator::Minus,
        B::Multiply => BinaryOperator::Multiply,
        B::Divide => BinaryOperator::Divide,
        B::Modulo => BinaryOperator::Modulo,
        B::PGExp => BinaryOperator::Pow,
        B::Eq => BinaryOperator::Eq,
        B::NotEq => BinaryOperator::NotEq,
        B::Lt => BinaryOperator::Lt,
        B::LtEq => BinaryOperator::LtEq,
        B::Gt => BinaryOperator::Gt,
        B::GtEq => BinaryOperator::GtEq,
        B::StringConcat => BinaryOperator::Concat,
        B::PGRegexMatch => BinaryOperator::RegexMatch,
        B::PGRegexNotMatch => BinaryOperator::NotRegexMatch,
        B::PGRegexIMatch => BinaryOperator::RegexIMatch,
        B::PGRegexNotIMatch => BinaryOperator::NotRegexIMatch,
        B::PGLikeMatch => BinaryOperator::Like,
        B::PGNotLikeMatch => BinaryOperator::NotLike,
        B::PGILikeMatch => BinaryOperator::ILike,
        B::PGNotILikeMatch => BinaryOperator::NotILike,
        B::Arrow => BinaryOperator::Arrow,
        B::LongArrow => BinaryOperator::LongArrow,
        B::HashArrow => BinaryOperator::HashArrow,
        B::HashLongArrow => BinaryOperator::HashLongArrow,
        B::AtArrow => BinaryOperator::Contains,
        B::ArrowAt => BinaryOperator::ContainedBy,
        B::Question => BinaryOperator::Question,
        B::QuestionAnd => BinaryOperator::QuestionAnd,
        B::QuestionPipe => BinaryOperator::QuestionPipe,
        B::HashMinus => BinaryOperator::HashMinus,
        B::BitwiseAnd => BinaryOperator::BitAnd,
        B::BitwiseOr => BinaryOperator::BitOr,
        B::PGBitwiseXor => BinaryOperator::BitXor,
        B::PGBitwiseShiftLeft => BinaryOperator::ShiftLeft,
        B::PGBitwiseShiftRight => BinaryOperator::ShiftRight,
        // `OPERATOR(pg_catalog.~)`: the operator named, in the only schema operators live in.
        B::PGCustomBinaryOperator(parts) => {
            let (op, schema) = match parts.as_slice() {
                [op] => (op.as_str(), None),
                [schema, op] => (op.as_str(), Some(schema.as_str())),
                _ => return Err(unsupported(format!("operator {op}"))),
            };
            if schema.is_some_and(|s| !s.eq_ignore_ascii_case("pg_catalog")) {
                return Err(Error::new(
                    sqlstate::UNDEFINED_SCHEMA,
                    format!("schema \"{}\" does not exist", schema.unwrap_or_default()),
                ));
            }
            match op {
                "+" => BinaryOperator::Plus,
                "-" => BinaryOperator::Minus,
                "*" => BinaryOperator::Multiply,
                "/" => BinaryOperator::Divide,
                "%" => BinaryOperator::Modulo,
                "&" => BinaryOperator::BitAnd,
                "|" => BinaryOperator::BitOr,
                "#" => BinaryOperator::BitXor,
                "<<" => BinaryOperator::ShiftLeft,
                ">>" => BinaryOperator::ShiftRight,
                "^" => BinaryOperator::Pow,
                "=" => BinaryOperator::Eq,
                "<>" | "!=" => BinaryOperator::NotEq,
                "<" => BinaryOperator::Lt,
                "<=" => BinaryOperator::LtEq,
                ">" => BinaryOperator::Gt,
                ">=" => BinaryOperator::GtEq,
                "||" => BinaryOperator::Concat,
                "~~" => BinaryOperator::Like,
                "!~~" => BinaryOperator::NotLike,
                "~~*" => BinaryOperator::ILike,
                "!~~*" => BinaryOperator::NotILike,
                "~" => BinaryOperator::RegexMatch,
                "!~" => BinaryOperator::NotRegexMatch,
                "~*" => BinaryOperator::RegexIMatch,
                "!~*" => BinaryOperator::NotRegexIMatch,
                "->" => BinaryOperator::Arrow,
                "->>" => BinaryOperator::LongArrow,
                "#>" => BinaryOperator::HashArrow,
                "#>>" => BinaryOperator::HashLongArrow,
                "@>" => BinaryOperator::Contains,
                "<@" => BinaryOperator::ContainedBy,
                "?" => BinaryOperator::Question,
                "?&" => BinaryOperator::QuestionAnd,
                "?|" => BinaryOperator::QuestionPipe,
                "#-" => BinaryOperator::HashMinus,
                other => {
                    return Err(Error::new(
                        sqlstate::UNDEFINED_FUNCTION,
                        format!("operator does not exist: pg_catalog.{other}"),
                    ))
                }
            }
        }
        other => return Err(unsupported(format!("operator {other}"))),
    })
}

/// `COLLATE name`: occam compares text in the C collation only, which `default`, `C`, `POSIX` and
/// `ucs_basic` all are here; any other collation does not exist (42704, as PostgreSQL says it).
fn check_collation(collation: &sp::ObjectName) -> Result<()> {
    let parts: Vec<String> = collation
        .0
        .iter()
        .filter_map(|part| match part {
            sp::ObjectNamePart::Identifier(ident) => Some(fold_ident(ident)),
            sp::ObjectNamePart::Function(_) => None,
        })
        .collect();
    let (schema, name) = match parts.as_slice() {
        [name] => (None, name.as_str()),
        [schema, name] => (Some(schema.as_str()), name.as_str()),
        _ => (Some("?"), ""),
    };
    let schema_ok = schema.is_none_or(|s| s == "pg_catalog");
    if schema_ok && matches!(name, "default" | "C" | "POSIX" | "ucs_basic") {
        return Ok(());
    }
    Err(Error::new(
        sqlstate::UNDEFINED_OBJECT,
        format!("collation \"{}\" for encoding \"UTF8\" does not exist", parts.join(".")),
    ))
}

impl Translator<'_> {
    /// A type name. Supported types map to `DataType`; `serial` and unknown names are 42704 (as in Aurora
    /// DSQL); PostgreSQL types occam does not store are 0A000 `datatype interval not supported`.
    pub(super) fn data_type(&self, data_type: &sp::DataType) -> Result<DataType> {
        use sp::DataType as T;
        let no_modifier = |modifier: &Option<u64>, name: &str| match modifier {
            None => Ok(()),
            Some(_) => Err(Error::syntax(format!("type modifier is not allowed for type \"{name}\""))),
        };
        Ok(match data_type {
            T::SmallInt(m) | T::Int2(m) => {
                no_modifier(m, "int2")?;
                DataType::Int2
            }
            T::Int(m) | T::Integer(m) | T::Int4(m) => {
                no_modifier(m, "int4")?;
                DataType::Int4
            }
            T::BigInt(m) | T::Int8(m) => {
                no_modifier(m, "int8")?;
                DataType::Int8
            }
            T::Real | T::Float4 => DataType::Float4,
            T::DoublePrecision | T::Float8 => DataType::Float8,
            T::Float(info) => match info {
                sp::ExactNumberInfo::None => DataType::Float8,
                sp::ExactNumberInfo::Precision(0) => {
                    return Err(invalid_parameter("precision for type float must be at least 1 bit"))
                }
                sp::ExactNumberInfo::Precision(1..=24) => DataType::Float4,
                sp::ExactNumberInfo::Precision(25..=53) => DataType::Float8,
                sp::ExactNumberInfo::Precision(_) => {
                    return Err(invalid_parameter("precision for type float must be less than 54 bits"))
                }
                sp::ExactNumberInfo::PrecisionAndScale(..) => {
                    return Err(Error::syntax("syntax error at or near \",\""));
                }
            },
            T::Numeric(info) | T::Decimal(info) | T::Dec(info) => DataType::Numeric(numeric_modifiers(info)?),
            T::Text => DataType::Text,
            T::Varchar(length) | T::CharacterVarying(length) | T::CharVarying(length) => {
                DataType::Varchar(character_length(length, "varchar")?)
            }
            T::Char(length) | T::Character(length) => DataType::Char(character_length(length, "char")?.unwrap_or(1)),
            T::Bool | T::Boolean => DataType::Bool,
            T::Uuid => DataType::Uuid,
            T::Date => DataType::Date,
            T::Bytea => DataType::Bytea,
            // The precision (0..6) is accepted and ignored: occam keeps microseconds, as timestamp(6) does.
            T::Timestamp(_, sp::TimezoneInfo::None | sp::TimezoneInfo::WithoutTimeZone) => DataType::Timestamp,
            T::Timestamp(_, sp::TimezoneInfo::WithTimeZone | sp::TimezoneInfo::Tz) => DataType::Timestamptz,
            T::Interval { .. } => DataType::Interval,
            T::Custom(name, modifiers) => return self.custom_type(name, modifiers),
            T::Array(element) => {
                let element = match element {
                    sp::ArrayElemTypeDef::SquareBracket(t, _)
                    | sp::ArrayElemTypeDef::Qualified(t, _)
                    | sp::ArrayElemTypeDef::AngleBracket(t)
                    | sp::ArrayElemTypeDef::Parenthesis(t) => t,
                    sp::ArrayElemTypeDef::None => return Err(not_supported_type("array")),
                };
                let element_type = match self.data_type(element) {
                    Ok(t) => t,
                    Err(err) if err.code == sqlstate::UNDEFINED_OBJECT => return Err(err),
                    Err(_) => return Err(not_supported_type(&format!("{}[]", pg_name_of_unsupported(element)))),
                };
                // Arrays are values (catalog columns, ARRAY[...], parameters), not column types: CREATE
                // TABLE refuses them (`statement::column_type`).
                return element_type
                    .array_of()
                    .ok_or_else(|| not_supported_type(&format!("{}[]", element_type.name())));
            }
            T::JSON => DataType::Json,
            T::JSONB => DataType::Jsonb,
            T::Time(..)
            | T::Bit(_)
            | T::BitVarying(_)
            | T::VarBit(_)
            | T::TsVector
            | T::TsQuery
            | T::GeometricType(_) => return Err(not_supported_type(&pg_name_of_unsupported(data_type))),
            T::Regclass => DataType::Reg(crate::types::RegKind::Class),
            other => return Err(undefined_type(&other.to_string().to_ascii_lowercase())),
        })
    }

    fn custom_type(&self, name: &sp::ObjectName, modifiers: &[String]) -> Result<DataType> {
        let mut location = Location { line: 0, column: 0 };
        let mut parts = Vec::new();
        for part in &name.0 {
            match part {
                sp::ObjectNamePart::Identifier(ident) => {
                    if parts.is_empty() {
                        location = ident.span.start;
                    }
                    parts.push(fold_ident(ident));
                }
                sp::ObjectNamePart::Function(_) => return Err(undefined_type(&name.to_string())),
            }
        }
        if parts.len() == 2 && parts[0] == "pg_catalog" {
            parts.remove(0);
        }
        // `"char"` (quoted) is PostgreSQL's one-byte internal type; unquoted `char` is character(1).
        let quoted_char = matches!(name.0.last(), Some(sp::ObjectNamePart::Identifier(ident))
            if ident.quote_style.is_some() && ident.value == "char");
        let written = parts.join(".");
        let numbers =
            modifiers
                .iter()
                .map(|m| m.trim().parse::<u64>())
                .collect::<std::result::Result<Vec<u64>, _>>()
                .map_err(|_| self.at(Error::syntax(format!("invalid type modifier for type {written}")), location))?;
        let length = |name: &str| match numbers.as_slice() {
            [] => Ok(None),
            [n] => character_length(&Some(sp::CharacterLength::IntegerLength { length: *n, unit: None }), name),
            _ => Err(Error::syntax(format!("invalid type modifier for type {name}"))),
        };
        let plain = |data_type: DataType| {
            if numbers.is_empty() {
                Ok(data_type)
            } else {
                Err(Error::syntax(format!("type modifier is not allowed for type \"{written}\"")))
            }
        };
        // Quoted or schema-qualified spellings of built-in types (`"int4"`, `pg_catalog.int4`) come here too.
        let result = match written.as_str() {
            "int2" | "smallint" => plain(DataType::Int2),
            "int4" | "int" | "integer" => plain(DataType::Int4),
            "int8" | "bigint" => plain(DataType::Int8),
            "float4" | "real" => plain(DataType::Float4),
            "float8" => plain(DataType::Float8),
            "bool" | "boolean" => plain(DataType::Bool),
            "text" => plain(DataType::Text),
            "uuid" => plain(DataType::Uuid),
            "date" => plain(DataType::Date),
            "bytea" => plain(DataType::Bytea),
            "timestamp" => Ok(DataType::Timestamp),
            "timestamptz" => Ok(DataType::Timestamptz),
            "numeric" | "decimal" => match numbers.as_slice() {
                [] => Ok(DataType::Numeric(None)),
                [p] => numeric_modifiers(&sp::ExactNumberInfo::Precision(*p)).map(DataType::Numeric),
                [p, s] => {
                    numeric_modifiers(&sp::ExactNumberInfo::PrecisionAndScale(*p, *s as i64)).map(DataType::Numeric)
                }
                _ => Err(Error::syntax("invalid NUMERIC type modifier")),
            },
            "varchar" => length("varchar").map(DataType::Varchar),
            "bpchar" if numbers.is_empty() => Err(Error::unsupported("datatype bpchar without a length not supported")),
            "bpchar" | "char" if !quoted_char => length("bpchar").map(|n| DataType::Char(n.unwrap_or(1))),
            "unknown" => plain(DataType::Unknown),
            "char" if quoted_char => plain(DataType::InternalChar),
            "oid" => plain(DataType::Oid),
            "regclass" => plain(DataType::Reg(RegKind::Class)),
            "regtype" => plain(DataType::Reg(RegKind::Type)),
            "regproc" => plain(DataType::Reg(RegKind::Proc)),
            "regnamespace" => plain(DataType::Reg(RegKind::Namespace)),
            "regrole" => plain(DataType::Reg(RegKind::Role)),
            "name" => plain(DataType::Name),
            "int2vector" => plain(DataType::Int2Vector),
            "oidvector" => plain(DataType::OidVector),
            "aclitem" => plain(DataType::AclItem),
            "json" => plain(DataType::Json),
            "jsonb" => plain(DataType::Jsonb),
            "pg_node_tree" => plain(DataType::NodeTree),
            name if UNSUPPORTED_BUILTIN_TYPES.contains(&name) => Err(not_supported_type(canonical_name(name))),
            name => Err(undefined_type(name)),
        };
        result.map_err(|err| self.at(err, location))
    }
}

/// PostgreSQL built-in types occam does not store (Aurora DSQL refuses most of them as column types too).
const UNSUPPORTED_BUILTIN_TYPES: &[&str] = &[
    "money",
    "xml",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "tsvector",
    "tsquery",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "pg_lsn",
    "varbit",
    "bit",
    "json",
    "jsonb",
    "jsonpath",
    "time",
    "timetz",
    "interval",
    "txid_snapshot",
    "pg_snapshot",
    "xid",
    "xid8",
    "cid",
    "tid",
];

/// PostgreSQL's display name for a type name alias.
fn canonical_name(name: &str) -> &str {
    match name {
        "varbit" => "bit varying",
        "timetz" => "time with time zone",
        "time" => "time without time zone",
        other => other,
    }
}

/// PostgreSQL's display name of a type sqlparser knows but occam does not store.
fn pg_name_of_unsupported(data_type: &sp::DataType) -> String {
    use sp::DataType as T;
    match data_type {
        T::Time(_, sp::TimezoneInfo::WithTimeZone | sp::TimezoneInfo::Tz) => "time with time zone".into(),
        T::Time(..) => "time without time zone".into(),
        T::Bit(_) => "bit".into(),
        T::BitVarying(_) | T::VarBit(_) => "bit varying".into(),
        T::TsVector => "tsvector".into(),
        T::TsQuery => "tsquery".into(),
        T::Regclass => "regclass".into(),
        T::GeometricType(kind) => kind.to_string(),
        T::Custom(name, _) => name.to_string().to_ascii_lowercase(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

fn not_supported_type(name: &str) -> Error {
    Error::unsupported(format!("datatype {name} not supported"))
}

fn undefined_type(name: &str) -> Error {
    Error::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist"))
}

fn invalid_parameter(message: &str) -> Error {
    Error::new(sqlstate::INVALID_PARAMETER_VALUE, message)
}

/// numeric(p[, s]) modifiers with PostgreSQL's checks.
fn numeric_modifiers(info: &sp::ExactNumberInfo) -> Result<Option<(u32, i32)>> {
    let (precision, scale) = match *info {
        sp::ExactNumberInfo::None => return Ok(None),
        sp::ExactNumberInfo::Precision(p) => (p, 0),
        sp::ExactNumberInfo::PrecisionAndScale(p, s) => (p, s),
    };
    if !(1..=1000).contains(&precision) {
        return Err(invalid_parameter(&format!("NUMERIC precision {precision} must be between 1 and 1000")));
    }
    if !(-1000..=1000).contains(&scale) {
        return Err(invalid_parameter(&format!("NUMERIC scale {scale} must be between -1000 and 1000")));
    }
    Ok(Some((precision as u32, scale as i32)))
}

/// varchar(n) / char(n) length with PostgreSQL's bounds (1 .. 10485760).
fn character_length(length: &Option<sp::CharacterLength>, type_name: &str) -> Result<Option<u32>> {
    match length {
        None => Ok(None),
        Some(sp::CharacterLength::Max) => Err(Error::syntax("syntax error at or near \"max\"")),
        Some(sp::CharacterLength::IntegerLength { length, .. }) => {
            if *length < 1 {
                Err(invalid_parameter(&format!("length for type {type_name} must be at least 1")))
            } else if *length > 10_485_760 {
                Err(invalid_parameter(&format!("length for type {type_name} cannot exceed 10485760")))
            } else {
                Ok(Some(*length as u32))
            }
        }
    }
}

/// The fields of a row constructor, `(a, b)` or `ROW(a, b)`, looking through parentheses.
fn row_fields(expr: &sp::Expr) -> Option<Vec<sp::Expr>> {
    match strip_nested(expr) {
        sp::Expr::Tuple(fields) => Some(fields.clone()),
        sp::Expr::Function(function)
            if function.name.0.len() == 1
                && function.name.to_string().eq_ignore_ascii_case("row")
                && function.over.is_none()
                && function.filter.is_none() =>
        {
            let sp::FunctionArguments::List(list) = &function.args else { return None };
            list.args
                .iter()
                .map(|arg| match arg {
                    sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}
