//! Expressions, index definitions and constraint definitions printed as PostgreSQL's `ruleutils.c`
//! prints them (`pg_get_expr`, `pg_get_indexdef`, `pg_get_constraintdef`, `pg_indexes.indexdef`), so
//! psql's `\d` and ORMs' reflection read the same text from occam as from PostgreSQL.
//!
//! occam stores a DEFAULT or a partial index's WHERE as SQL text; here that text is parsed and printed
//! again with PostgreSQL's conventions: a constant coerced to a column's type carries the type
//! (`'new'::text`, `'-1'::integer`, `100::numeric`), a `varchar` compared as text is shown relabelled
//! (`e::text`), `IN (...)` is `= ANY (ARRAY[...])`, `BETWEEN` is two comparisons, and the non-pretty form
//! parenthesizes every operator (`((a >= 1) AND (a <= 10))`). The catalogs' "node trees" (`adbin`,
//! `indpred`) hold such text, so `pg_get_expr` is a re-print and never loses information.

use super::names::{format_type, quote_ident};
use super::rows::Class;
use crate::catalog::{Catalog, IndexKey, IndexKeyColumn, Table};
use crate::sql::ast::{BinaryOperator, Expr, Literal, UnaryOperator};
use crate::sql::scalar::{self, BinaryOp};
use crate::types::{DataType, Value};

/// A printed expression with the type PostgreSQL would give it.
struct Printed {
    text: String,
    data_type: DataType,
    /// An untyped string literal (PostgreSQL's `unknown` constant), still to be coerced.
    unknown_literal: Option<String>,
    /// Needs parentheses to be an operand (an operator expression in pretty mode).
    compound: bool,
}

impl Printed {
    fn plain(text: String, data_type: DataType) -> Printed {
        Printed { text, data_type, unknown_literal: None, compound: false }
    }
}

/// Where column names resolve: a table's columns (or none, for a DEFAULT).
struct Env<'a> {
    table: Option<&'a Table>,
    pretty: bool,
}

/// `pg_get_expr(text, relation, pretty)`: `text` (occam's SQL, or what an earlier print produced) printed as
/// PostgreSQL would, columns resolved in `table`. Text that does not parse is returned as it is.
pub fn print_expression(text: &str, table: Option<&Table>, pretty: bool) -> String {
    match crate::sql::parse::parse_expression(text) {
        Ok(expr) => print_top(&expr, &Env { table, pretty }),
        Err(_) => text.to_string(),
    }
}

/// The `adbin` of a column DEFAULT: the default as PostgreSQL shows it, coerced to the column's type the
/// way PostgreSQL stores it (an untyped literal becomes a constant of that type; other coercions are
/// implicit and not shown).
pub fn default_node_tree(default_sql: &str, column_type: &DataType) -> String {
    let Ok(expr) = crate::sql::parse::parse_expression(default_sql) else { return default_sql.to_string() };
    let env = Env { table: None, pretty: true };
    let printed = print(&expr, &env);
    if let Some(text) = &printed.unknown_literal {
        return const_text(&Value::Text(text.clone()), column_type, true);
    }
    printed.text
}

fn print_top(expr: &Expr, env: &Env) -> String {
    print(expr, env).text
}

/// A constant of `data_type` whose text form is `value`'s, as `get_const_expr` prints it: int4 and
/// float-looking numerics bare (a negative int4 quoted and labelled), booleans as `true` / `false`, every
/// other type quoted with `::type` (`label` false leaves the label off where PostgreSQL would).
fn const_text(value: &Value, data_type: &DataType, label: bool) -> String {
    let text = match value {
        Value::Text(s) => s.clone(),
        other => crate::types::text::format(other, data_type),
    };
    let quoted = format!("'{}'", text.replace('\'', "''"));
    // A constant's type carries no modifier (the coercion to varchar(10) is a separate, implicit step).
    let typed = |q: String| if label { format!("{q}::{}", format_type(data_type.oid(), None)) } else { q };
    match data_type {
        DataType::Int4 => {
            if text.starts_with('-') {
                typed(quoted)
            } else {
                text
            }
        }
        DataType::Numeric(_) => {
            if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['.', 'e', 'E']) {
                text
            } else {
                typed(quoted)
            }
        }
        DataType::Bool => match text.as_str() {
            "t" | "true" => "true".to_string(),
            _ => "false".to_string(),
        },
        DataType::Unknown => quoted,
        _ => typed(quoted),
    }
}

/// An operator as PostgreSQL's ruleutils prints it: the LIKE family by its operator names (`~~`, ...),
/// the rest as SQL writes them.
fn operator_symbol(op: BinaryOperator) -> &'static str {
    match op {
        BinaryOperator::Like => "~~",
        BinaryOperator::NotLike => "!~~",
        BinaryOperator::ILike => "~~*",
        BinaryOperator::NotILike => "!~~*",
        other => other.sql(),
    }
}

fn scalar_op(op: BinaryOperator) -> BinaryOp {
    match op {
        BinaryOperator::Plus => BinaryOp::Add,
        BinaryOperator::Minus => BinaryOp::Sub,
        BinaryOperator::Multiply => BinaryOp::Mul,
        BinaryOperator::Divide => BinaryOp::Div,
        BinaryOperator::Modulo => BinaryOp::Mod,
        BinaryOperator::Pow => BinaryOp::Pow,
        BinaryOperator::Eq => BinaryOp::Eq,
        BinaryOperator::NotEq => BinaryOp::NotEq,
        BinaryOperator::Lt => BinaryOp::Lt,
        BinaryOperator::LtEq => BinaryOp::LtEq,
        BinaryOperator::Gt => BinaryOp::Gt,
        BinaryOperator::GtEq => BinaryOp::GtEq,
        BinaryOperator::Concat => BinaryOp::Concat,
        BinaryOperator::BitAnd => BinaryOp::BitAnd,
        BinaryOperator::BitOr => BinaryOp::BitOr,
        BinaryOperator::BitXor => BinaryOp::BitXor,
        BinaryOperator::ShiftLeft => BinaryOp::ShiftLeft,
        BinaryOperator::ShiftRight => BinaryOp::ShiftRight,
        _ => BinaryOp::Like,
    }
}

/// The operand type PostgreSQL's operator for `left op right` takes on each side, given occam's
/// resolution `sig`: PostgreSQL has cross-type operators within the integer family, float4/float8 and the
/// date/time types, so only a side that needs a real conversion (an integer to numeric, a number to
/// float8, a varchar to text) is shown converted.
fn postgres_operand(own: &DataType, other: &DataType, occam: &DataType) -> DataType {
    let integer = |t: &DataType| t.is_integer();
    let float = |t: &DataType| matches!(t, DataType::Float4 | DataType::Float8);
    let datetime = |t: &DataType| matches!(t, DataType::Date | DataType::Timestamp | DataType::Timestamptz);
    match (own, other) {
        (DataType::Unknown, _) => match other {
            DataType::Varchar(_) | DataType::Name => DataType::Text,
            DataType::Char(_) => DataType::Char(1),
            DataType::Unknown => DataType::Text,
            t => *t,
        },
        (a, b) if integer(a) && integer(b) => *a,
        (a, b) if float(a) && (float(b) || b.is_numeric_family()) => *a,
        (a, b) if datetime(a) && datetime(b) => *a,
        (a, b) if float(b) && !float(a) && a.is_numeric_family() => DataType::Float8,
        (a, DataType::Unknown) => match a {
            DataType::Varchar(_) => DataType::Text,
            t => *t,
        },
        (DataType::Varchar(_), _) => DataType::Text,
        (DataType::Char(_), DataType::Char(_)) => *own,
        _ => match occam {
            DataType::Numeric(_) => DataType::Numeric(None),
            t => *t,
        },
    }
}

/// `printed` converted to `target` the way PostgreSQL shows it: an untyped literal as a constant of the
/// type, a constant or expression with a visible cast (`100::numeric`, `(e)::text` unpretty).
fn coerce(printed: Printed, target: &DataType, env: &Env) -> String {
    if let Some(text) = &printed.unknown_literal {
        return const_text(&Value::Text(text.clone()), target, true);
    }
    let same = match (printed.data_type, target) {
        (DataType::Numeric(_), DataType::Numeric(_)) => true,
        (DataType::Char(_), DataType::Char(_)) => true,
        (a, b) => a == *b,
    };
    if same {
        return printed.text;
    }
    let type_name = format_type(target.oid(), None);
    if env.pretty && !printed.compound {
        format!("{}::{type_name}", printed.text)
    } else {
        format!("({})::{type_name}", printed.text)
    }
}

fn column_type(env: &Env, name: &str) -> DataType {
    env.table.and_then(|t| t.column_index(name).map(|i| t.columns[i].data_type)).unwrap_or(DataType::Unknown)
}

/// Wraps an operator expression: always in unpretty mode, for operands in pretty mode.
fn operator_text(text: String, env: &Env) -> Printed {
    let text = if env.pretty { text } else { format!("({text})") };
    Printed { text, data_type: DataType::Bool, unknown_literal: None, compound: env.pretty }
}

fn operand(printed: Printed, env: &Env) -> String {
    if env.pretty && printed.compound {
        format!("({})", printed.text)
    } else {
        printed.text
    }
}

fn print(expr: &Expr, env: &Env) -> Printed {
    match expr {
        Expr::Positioned { expr, .. } => print(expr, env),
        Expr::Literal(Literal::Null) => Printed::plain("NULL".into(), DataType::Unknown),
        Expr::Literal(Literal::Bool(b)) => Printed::plain(b.to_string(), DataType::Bool),
        Expr::Literal(Literal::String(s)) => Printed {
            text: format!("'{}'", s.replace('\'', "''")),
            data_type: DataType::Unknown,
            unknown_literal: Some(s.clone()),
            compound: false,
        },
        Expr::Literal(Literal::Number(value, data_type)) => Printed {
            text: const_text(value, data_type, true),
            data_type: *data_type,
            unknown_literal: None,
            compound: false,
        },
        Expr::Column { name, .. } => Printed::plain(quote_ident(name), column_type(env, name)),
        // Typed where the row names it (a SQL function's unnamed parameter is its column `$n`).
        Expr::Parameter(n) => Printed::plain(format!("${n}"), column_type(env, &format!("${n}"))),
        Expr::Cast { expr, data_type } => {
            let inner = print(expr, env);
            if let Some(text) = &inner.unknown_literal {
                return Printed {
                    text: const_text(&Value::Text(text.clone()), data_type, true),
                    data_type: *data_type,
                    unknown_literal: None,
                    compound: false,
                };
            }
            let text = coerce(inner, data_type, env);
            Printed::plain(text, *data_type)
        }
        Expr::Binary { op, left, right } => {
            let (l, r) = (print(left, env), print(right, env));
            let sig = scalar::binary_signature(scalar_op(*op), &l.data_type, &r.data_type).ok();
            let result = sig.map_or(DataType::Unknown, |s| s.result);
            let (lt, rt) = (l.data_type, r.data_type);
            let (left_target, right_target) = match sig {
                Some(sig) => (postgres_operand(&lt, &rt, &sig.left), postgres_operand(&rt, &lt, &sig.right)),
                None => (lt, rt),
            };
            let is_like = matches!(
                op,
                BinaryOperator::Like | BinaryOperator::NotLike | BinaryOperator::ILike | BinaryOperator::NotILike
            ) || matches!(
                op,
                BinaryOperator::RegexMatch
                    | BinaryOperator::NotRegexMatch
                    | BinaryOperator::RegexIMatch
                    | BinaryOperator::NotRegexIMatch
            );
            // `'x' || 1`: PostgreSQL's textanycat / anytextcat, the literal text, the other side as it is.
            let concat_with_text = |known: &DataType| {
                *op == BinaryOperator::Concat
                    && !matches!(
                        known,
                        DataType::Unknown
                            | DataType::Text
                            | DataType::Varchar(_)
                            | DataType::Char(_)
                            | DataType::Name
                            | DataType::Array(_)
                            | DataType::Json
                            | DataType::Jsonb
                    )
            };
            let (left_target, right_target) = if is_like {
                (text_for_match(&lt), text_for_match(&rt))
            } else if lt == DataType::Unknown && concat_with_text(&rt) {
                (DataType::Text, rt)
            } else if rt == DataType::Unknown && concat_with_text(&lt) {
                (lt, DataType::Text)
            } else {
                (left_target, right_target)
            };
            let lhs = wrap_operand(coerce_keep(l, &left_target, env), env);
            let rhs = wrap_operand(coerce_keep(r, &right_target, env), env);
            let mut printed = operator_text(format!("{lhs} {} {rhs}", operator_symbol(*op)), env);
            printed.data_type = result;
            printed
        }
        Expr::And(operands) | Expr::Or(operands) => {
            let word = if matches!(expr, Expr::And(_)) { " AND " } else { " OR " };
            let parts: Vec<String> = operands
                .iter()
                .map(|o| {
                    let printed = print(o, env);
                    let nested_other =
                        matches!((expr, strip(o)), (Expr::And(_), Expr::Or(_)) | (Expr::Or(_), Expr::And(_)));
                    if env.pretty && nested_other {
                        format!("({})", printed.text)
                    } else {
                        printed.text
                    }
                })
                .collect();
            operator_text(parts.join(word), env)
        }
        Expr::Unary { op: UnaryOperator::Not, expr: inner } => {
            let printed = print(inner, env);
            operator_text(format!("NOT {}", operand(printed, env)), env)
        }
        Expr::Unary { op: UnaryOperator::Minus, expr: inner } => {
            let printed = print(inner, env);
            let data_type = printed.data_type;
            let mut out = operator_text(format!("- {}", operand(printed, env)), env);
            out.data_type = data_type;
            out
        }
        Expr::Unary { op: UnaryOperator::Plus, expr: inner } => print(inner, env),
        Expr::IsNull { expr: inner, negated } => {
            let printed = print(inner, env);
            let word = if *negated { "IS NOT NULL" } else { "IS NULL" };
            operator_text(format!("{} {word}", operand(printed, env)), env)
        }
        Expr::InList { expr: inner, list, negated } => {
            let printed = print(inner, env);
            let target = match printed.data_type {
                DataType::Varchar(_) | DataType::Unknown => DataType::Text,
                t => t,
            };
            let items: Vec<String> = list.iter().map(|item| coerce(print(item, env), &target, env)).collect();
            let lhs = wrap_operand(coerce_keep(printed, &target, env), env);
            let op = if *negated { "<> ALL" } else { "= ANY" };
            operator_text(format!("{lhs} {op} (ARRAY[{}])", items.join(", ")), env)
        }
        Expr::Between { expr: inner, low, high, negated } => {
            let rewritten = Expr::And(vec![
                Expr::Binary { op: BinaryOperator::GtEq, left: inner.clone(), right: low.clone() },
                Expr::Binary { op: BinaryOperator::LtEq, left: inner.clone(), right: high.clone() },
            ]);
            let printed = print(&rewritten, env);
            if *negated {
                operator_text(format!("NOT ({})", printed.text), env)
            } else {
                printed
            }
        }
        Expr::Function { name, args, distinct, star } => {
            if args.is_empty() && !*star {
                if let Some(keyword) = bare_function(name) {
                    return Printed::plain(keyword.to_string(), function_type(name, &[]));
                }
            }
            let printed: Vec<Printed> = args.iter().map(|a| print(a, env)).collect();
            let types: Vec<DataType> = printed.iter().map(|p| p.data_type).collect();
            let resolved = crate::sql::functions::resolve_scalar(name, &types).ok();
            let texts: Vec<String> = printed
                .into_iter()
                .enumerate()
                .map(|(i, p)| match resolved.as_ref().and_then(|r| r.arg_types.get(i)) {
                    Some(t) if p.unknown_literal.is_some() => coerce(p, t, env),
                    _ => p.text,
                })
                .collect();
            let arguments = if *star { "*".to_string() } else { texts.join(", ") };
            let distinct = if *distinct { "DISTINCT " } else { "" };
            Printed::plain(
                format!("{name}({distinct}{arguments})"),
                resolved.map_or(DataType::Unknown, |r| r.result_type),
            )
        }
        Expr::Case { .. }
        | Expr::Subquery(_)
        | Expr::Window(_)
        | Expr::OrderedAggregate(_)
        | Expr::Exists { .. }
        | Expr::InSubquery { .. }
        | Expr::AnyAll { .. }
        | Expr::Array(_)
        | Expr::Subscript { .. }
        | Expr::FieldSelect { .. } => Printed::plain(crate::sql::parse::expression_to_sql(expr), DataType::Unknown),
    }
}

fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Positioned { expr, .. } => strip(expr),
        other => other,
    }
}

/// LIKE and regular expressions compare text: a `varchar` or `name` operand is shown relabelled.
fn text_for_match(t: &DataType) -> DataType {
    match t {
        DataType::Char(_) => DataType::Char(1),
        _ => DataType::Text,
    }
}

/// As [`coerce`], keeping what it knew about the operand being compound.
fn coerce_keep(printed: Printed, target: &DataType, env: &Env) -> Printed {
    let compound = printed.compound;
    let unchanged = printed.unknown_literal.is_none()
        && match (printed.data_type, target) {
            (DataType::Numeric(_), DataType::Numeric(_)) | (DataType::Char(_), DataType::Char(_)) => true,
            (a, b) => a == *b,
        };
    let data_type = *target;
    let text = coerce(printed, target, env);
    Printed { text, data_type, unknown_literal: None, compound: compound && unchanged }
}

fn wrap_operand(printed: Printed, env: &Env) -> String {
    operand(printed, env)
}

/// SQL's functions without parentheses, which PostgreSQL prints as key words.
fn bare_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "current_timestamp" => "CURRENT_TIMESTAMP",
        "current_date" => "CURRENT_DATE",
        "localtimestamp" => "LOCALTIMESTAMP",
        "current_user" => "CURRENT_USER",
        "session_user" => "SESSION_USER",
        "current_role" => "CURRENT_ROLE",
        _ => return None,
    })
}

fn function_type(name: &str, args: &[DataType]) -> DataType {
    crate::sql::functions::resolve_scalar(name, args).map_or(DataType::Unknown, |r| r.result_type)
}

/// `pg_get_indexdef(index)`: `CREATE [UNIQUE] INDEX name ON [public.]table USING btree (cols) [INCLUDE
/// (cols)] [WHERE pred]`, the table qualified unless `pretty` (and visible), the access method named as
/// this database's `pg_am` names it.
pub fn index_definition(catalog: &Catalog, class: &Class, pretty: bool) -> String {
    let (Some(table), Some((columns, key_count))) = (class.table(), class.index_columns()) else {
        return String::new();
    };
    let key: Vec<String> = columns[..key_count]
        .iter()
        .map(|c| {
            let mut text = key_column_definition(table, c, pretty);
            if c.descending {
                text.push_str(" DESC");
                if c.nulls_first == Some(false) {
                    text.push_str(" NULLS LAST");
                }
            } else if c.nulls_first == Some(true) {
                text.push_str(" NULLS FIRST");
            }
            text
        })
        .collect();
    let include: Vec<String> = columns[key_count..].iter().map(|c| key_column_definition(table, c, pretty)).collect();
    let table_name = if pretty {
        quote_ident(&table.name)
    } else {
        format!("{}.{}", quote_ident(&table.schema), quote_ident(&table.name))
    };
    let mut text = format!(
        "CREATE {}INDEX {} ON {table_name} USING {} ({})",
        if class.is_unique_index() { "UNIQUE " } else { "" },
        quote_ident(&class.name()),
        catalog.system.index_access_method,
        key.join(", ")
    );
    if !include.is_empty() {
        text.push_str(&format!(" INCLUDE ({})", include.join(", ")));
    }
    if let Class::Index(_, index) = class {
        if index.nulls_not_distinct {
            text.push_str(" NULLS NOT DISTINCT");
        }
        if let Some(predicate) = &index.predicate_sql {
            text.push_str(" WHERE ");
            text.push_str(&print_expression(predicate, Some(table), pretty));
        }
    }
    text
}

/// `pg_get_indexdef(index, column, pretty)` for column `column` (1-based, key then INCLUDE columns).
pub fn index_column_definition(class: &Class, column: usize) -> Option<String> {
    let table = class.table()?;
    let (columns, _) = class.index_columns()?;
    let index_column = columns.get(column.checked_sub(1)?)?;
    Some(key_column_definition(table, index_column, true))
}

/// One index column as `pg_get_indexdef` prints it: the quoted column name, or the expression (in
/// parentheses unless it is a function call, as PostgreSQL prints it).
fn key_column_definition(table: &Table, column: &IndexKeyColumn, pretty: bool) -> String {
    match &column.key {
        IndexKey::Column(c) => quote_ident(&table.columns[*c].name),
        IndexKey::Expression(expression) => {
            let text = print_expression(&expression.sql, Some(table), pretty);
            let is_call = text.ends_with(')')
                && text.split('(').next().is_some_and(|name| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '"')
                });
            if is_call {
                text
            } else {
                format!("({text})")
            }
        }
    }
}

/// `pg_get_constraintdef(oid)` of a table's primary key: `PRIMARY KEY (a, b)`.
pub fn primary_key_definition(table: &Table) -> String {
    let columns: Vec<String> = table.primary_key.iter().map(|&c| quote_ident(&table.columns[c].name)).collect();
    format!("PRIMARY KEY ({})", columns.join(", "))
}

/// `pg_get_constraintdef(oid, pretty)` of one of occam's constraints (None: no such constraint):
/// `PRIMARY KEY (a)`, `UNIQUE (a, b)`, `CHECK ((a > 0))` (pretty: `CHECK (a > 0)`), `... NOT VALID`.
pub fn constraint_definition(catalog: &Catalog, oid: u32, pretty: bool) -> Option<String> {
    use super::oids::ConstraintOid;
    let table_of = |id: u32| catalog.tables().find(|t| t.id == id);
    match super::oids::constraint(oid) {
        ConstraintOid::PrimaryKey(id) => {
            table_of(id).filter(|t| !t.has_hidden_key()).map(|t| primary_key_definition(t))
        }
        ConstraintOid::Check { table_id, position } => {
            let table = table_of(table_id)?;
            let check = table.checks.get(position)?;
            let mut text = format!("CHECK ({})", print_expression(&check.sql, Some(table), pretty));
            if !check.validated {
                text.push_str(" NOT VALID");
            }
            Some(text)
        }
        ConstraintOid::Unique(index_id) => {
            let index = catalog.indexes().find(|i| i.id == index_id && i.constraint)?;
            let table = table_of(index.table_id)?;
            let columns: Vec<String> = index.columns.iter().map(|c| quote_ident(&c.describe(table))).collect();
            let nulls = if index.nulls_not_distinct { " NULLS NOT DISTINCT" } else { "" };
            Some(format!("UNIQUE{nulls} ({})", columns.join(", ")))
        }
        ConstraintOid::ForeignKey { table_id, position } => {
            let table = table_of(table_id)?;
            let key = table.foreign_keys.get(position)?;
            let parent = table_of(key.parent_id)?;
            // The parent qualified when the reader's search_path would not find it (pg_dump reads with an
            // empty one).
            let parent_name = super::names::reg_output(
                catalog,
                &crate::catalog::schemas::search_path(),
                crate::types::RegKind::Class,
                super::oids::table(parent.id),
            );
            Some(foreign_key_definition(table, key, parent, &parent_name))
        }
        ConstraintOid::Other => None,
    }
}

/// `FOREIGN KEY (a) REFERENCES p(id) ON DELETE CASCADE`, as `pg_get_constraintdef` prints it (the
/// defaults, NO ACTION and MATCH SIMPLE, left out).
pub fn foreign_key_definition(
    table: &Table,
    key: &crate::catalog::ForeignKey,
    parent: &Table,
    parent_name: &str,
) -> String {
    use crate::sql::ast::ReferentialAction;
    let names = |table: &Table, columns: &[usize]| -> String {
        columns.iter().map(|&c| quote_ident(&table.columns[c].name)).collect::<Vec<_>>().join(", ")
    };
    let mut text = format!(
        "FOREIGN KEY ({}) REFERENCES {}({})",
        names(table, &key.columns),
        parent_name,
        names(parent, &key.parent_columns)
    );
    if key.match_full {
        text.push_str(" MATCH FULL");
    }
    if key.on_update != ReferentialAction::NoAction {
        text.push_str(&format!(" ON UPDATE {}", key.on_update.sql()));
    }
    if key.on_delete != ReferentialAction::NoAction {
        text.push_str(&format!(" ON DELETE {}", key.on_delete.sql()));
    }
    if key.deferrable {
        text.push_str(" DEFERRABLE");
    }
    if key.initially_deferred {
        text.push_str(" INITIALLY DEFERRED");
    }
    if !key.validated {
        text.push_str(" NOT VALID");
    }
    text
}

/// `pg_get_viewdef` / `pg_views.definition`: the view's query as it was written, in PostgreSQL's frame
/// (a leading space, a closing semicolon) though not re-printed in PostgreSQL's layout.
///
/// A relation the query names without a schema is qualified when the reader's `search_path` would not
/// find it in the schema the view's own `search_path` found it in, as PostgreSQL prints it.
pub fn view_definition(catalog: &Catalog, view: &crate::catalog::views::View) -> String {
    use crate::catalog::schemas::{search_path, with_search_path};
    use crate::sql::ast::ObjectName;
    let reader_path = search_path();
    let schema_of = |name: &str| {
        let unqualified = ObjectName::unqualified(name);
        let found = with_search_path(view.search_path.clone(), || catalog.relation_schema(&unqualified)).ok()??;
        let seen = with_search_path(reader_path.clone(), || catalog.relation_schema(&unqualified)).ok().flatten();
        (seen.as_deref() != Some(found.as_str())).then(|| quote_ident(&found))
    };
    let sql = crate::sql::parse::qualify_relations_in_query(&view.sql, &schema_of).unwrap_or_else(|_| view.sql.clone());
    format!(" {sql};")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        use crate::catalog::ColumnInfo;
        let column = |name: &str, data_type| ColumnInfo::new(name, data_type);
        Table::new(
            1,
            "dp".into(),
            vec![
                column("a", DataType::Int4),
                column("b", DataType::Int8),
                column("c", DataType::Numeric(Some((10, 2)))),
                column("d", DataType::Text),
                column("e", DataType::Varchar(Some(10))),
                column("g", DataType::Bool),
                column("h", DataType::Date),
                column("i", DataType::Float4),
                column("k", DataType::Char(3)),
            ],
            vec![0],
        )
    }

    #[test]
    fn predicates_print_as_postgres() {
        let t = table();
        let check = |sql: &str, pretty: &str, plain: &str| {
            assert_eq!(print_expression(sql, Some(&t), true), pretty, "{sql}");
            assert_eq!(print_expression(sql, Some(&t), false), plain, "{sql}");
        };
        check("a > 100", "a > 100", "(a > 100)");
        check("c > 100", "c > 100::numeric", "(c > (100)::numeric)");
        check("d = 'x' and a is not null", "d = 'x'::text AND a IS NOT NULL", "((d = 'x'::text) AND (a IS NOT NULL))");
        check("b < 5 or g", "b < 5 OR g", "((b < 5) OR g)");
        check("c > 1.5", "c > 1.5", "(c > 1.5)");
        check("i > 1", "i > 1::double precision", "(i > (1)::double precision)");
        check("e like 'a%'", "e::text ~~ 'a%'::text", "((e)::text ~~ 'a%'::text)");
        check("a in (1,2,3)", "a = ANY (ARRAY[1, 2, 3])", "(a = ANY (ARRAY[1, 2, 3]))");
        check("h > '2020-01-01'", "h > '2020-01-01'::date", "(h > '2020-01-01'::date)");
        check("not g", "NOT g", "(NOT g)");
        check("a between 1 and 10", "a >= 1 AND a <= 10", "((a >= 1) AND (a <= 10))");
        check("k = 'ab'", "k = 'ab'::bpchar", "(k = 'ab'::bpchar)");
    }

    #[test]
    fn defaults_print_as_postgres() {
        assert_eq!(default_node_tree("-1", &DataType::Int4), "'-1'::integer");
        assert_eq!(default_node_tree("0", &DataType::Int8), "0");
        assert_eq!(default_node_tree("1.5", &DataType::Numeric(None)), "1.5");
        assert_eq!(default_node_tree("'x'", &DataType::Text), "'x'::text");
        assert_eq!(default_node_tree("'y'", &DataType::Varchar(Some(10))), "'y'::character varying");
        assert_eq!(default_node_tree("now()", &DataType::Timestamptz), "now()");
        assert_eq!(default_node_tree("current_timestamp", &DataType::Timestamp), "CURRENT_TIMESTAMP");
        assert_eq!(default_node_tree("true", &DataType::Bool), "true");
        assert_eq!(default_node_tree("(1 + 2)", &DataType::Int4), "1 + 2");
        assert_eq!(default_node_tree("upper('a')", &DataType::Text), "upper('a'::text)");
        assert_eq!(default_node_tree("'7'", &DataType::Int4), "7");
        assert_eq!(print_expression("'-1'::integer", None, true), "'-1'::integer");
        assert_eq!(print_expression("1 + 2", None, false), "(1 + 2)");
    }
}
