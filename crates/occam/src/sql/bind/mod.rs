//! The binder: an `ast::Statement` bound against a catalog snapshot into a [`PlannedStatement`] (the bound
//! query tree of `sql::plan`).
//!
//! Binding resolves every name (tables -> `Arc<Table>`, columns -> positions in the row the executor will
//! hold), types every expression with the rules of `sql::scalar` and `sql::functions` and inserts the casts
//! they call for, so the optimizer and executor never look at names or types again. `$n` parameters get
//! their types from context as PostgreSQL infers them (the other side of a comparison or arithmetic, the
//! INSERT target column, `SET col = $1`, LIMIT/OFFSET); client-declared types win and anything still unknown
//! at the end is `text`. How rows are found (keys, indexes, join algorithms) is the optimizer's business.

use std::sync::Arc;

use crate::catalog::functions::SqlFunction;
mod view_dml;

use crate::catalog::views::ViewDefinition;
use crate::catalog::{Catalog, Table};
use crate::error::{sqlstate, Error, Result};
use crate::session::{Column, ColumnOrigin};
use crate::sql::ast::{
    self, BinaryOperator, Expr, FunctionBody, FunctionReturns, Literal, SelectItem, TableRef, UnaryOperator,
};
use crate::sql::functions;
use crate::sql::parse::strip_positions;
use crate::sql::plan::*;
use crate::sql::scalar::{self, BinaryOp};
use crate::types::{ArrayElement, DataType, RecordShape, Value};

/// Plans `statement` against `catalog`. `declared[i]` is the client's type for `$i+1` (`Unknown` = infer).
pub fn plan_statement(
    catalog: &Catalog,
    statement: &ast::Statement,
    declared: &[DataType],
) -> Result<PlannedStatement> {
    plan_statement_as(catalog, statement, declared, None)
}

/// [`plan_statement`] for a session of role `user`, which `current_user` and friends return.
pub fn plan_statement_as(
    catalog: &Catalog,
    statement: &ast::Statement,
    declared: &[DataType],
    user: Option<&str>,
) -> Result<PlannedStatement> {
    plan_statement_reading(catalog, statement, declared, user, true)
}

/// [`plan_statement_as`]; `reads_rows` false for a statement that will not run (plain EXPLAIN), which may
/// then name a materialized view that is not populated (see `Binder::reads_rows`).
fn plan_statement_reading(
    catalog: &Catalog,
    statement: &ast::Statement,
    declared: &[DataType],
    user: Option<&str>,
    reads_rows: bool,
) -> Result<PlannedStatement> {
    if let ast::Statement::Merge(rewritten) = statement {
        refuse_merge_into_view(catalog, rewritten)?;
        let inner = plan_statement_reading(catalog, rewritten, declared, user, reads_rows)?;
        return Ok(PlannedStatement {
            plan: Plan::Merge(Box::new(inner.plan)),
            param_types: inner.param_types,
            columns: empty_columns(),
            catalog_version: catalog.version,
        });
    }
    if let ast::Statement::Explain { options, statement: inner } = statement {
        // EXPLAIN binds (and so refuses) its statement exactly as running it would.
        if matches!(inner.as_ref(), ast::Statement::Merge(_)) {
            return Err(Error::unsupported("EXPLAIN MERGE"));
        }
        let inner = plan_statement_reading(catalog, inner, declared, user, options.analyze)?;
        if matches!(inner.plan, Plan::WithModifying { .. })
            && (options.analyze || options.format != ast::ExplainFormat::Text)
        {
            return Err(Error::unsupported(
                "EXPLAIN ANALYZE or FORMAT JSON of a statement with a data-modifying WITH query is not supported yet",
            ));
        }
        let columns = Arc::from(vec![Column { name: "QUERY PLAN".into(), data_type: DataType::Text, origin: None }]);
        return Ok(PlannedStatement {
            plan: Plan::Explain { options: *options, inner: Box::new(inner.plan) },
            param_types: inner.param_types,
            columns,
            catalog_version: catalog.version,
        });
    }
    let mut binder = Binder::new(catalog, declared);
    binder.session_user = user.map(str::to_string);
    binder.reads_rows = reads_rows;
    // The statement's own WITH list may hold data-modifying statements.
    binder.top_level_with = true;
    let (plan, columns) = match statement {
        ast::Statement::Query(query) => {
            let mut plan = binder.plan_query(query)?;
            names_for_output(&mut plan);
            let columns = plan.columns.clone();
            (Plan::Query(plan), columns)
        }
        ast::Statement::Copy(copy) => (binder.plan_copy(copy)?, empty_columns()),
        ast::Statement::Insert(_) | ast::Statement::Update(_) | ast::Statement::Delete(_) => {
            let plan = binder.plan_modification(statement)?;
            let columns = match &plan {
                Plan::Insert(InsertPlan { returning, .. })
                | Plan::Update(UpdatePlan { returning, .. })
                | Plan::Delete(DeletePlan { returning, .. }) => returning_columns(returning),
                _ => empty_columns(),
            };
            (plan, columns)
        }
        ast::Statement::CreateTable(create) => (Plan::CreateTable(create.clone()), empty_columns()),
        ast::Statement::DropTable { names, if_exists, cascade } => {
            (Plan::DropTable { names: names.clone(), if_exists: *if_exists, cascade: *cascade }, empty_columns())
        }
        ast::Statement::CreateView(create) => (Plan::CreateView(binder.plan_create_view(create)?), empty_columns()),
        ast::Statement::CreateTableAs(create) => (binder.plan_create_table_as(create)?, empty_columns()),
        ast::Statement::RefreshMaterializedView { name, concurrently, with_data } => {
            (binder.plan_refresh(name, *concurrently, *with_data)?, empty_columns())
        }
        ast::Statement::DropMaterializedView { names, if_exists, cascade } => (
            Plan::DropMaterializedView { names: names.clone(), if_exists: *if_exists, cascade: *cascade },
            empty_columns(),
        ),
        ast::Statement::CreateFunction(create) => {
            // The body must bind over the parameters and give the return type (checked again where used).
            binder.check_function_body(&crate::catalog::functions::definition(create, 0))?;
            (Plan::CreateFunction(create.clone()), empty_columns())
        }
        ast::Statement::DropFunction { functions, if_exists } => {
            (Plan::DropFunction { functions: functions.clone(), if_exists: *if_exists }, empty_columns())
        }
        ast::Statement::CommentOnFunction { function, text } => {
            let key = crate::sql::system::comments::function_comment_target(catalog, function)?;
            (Plan::Comment { key, text: text.clone() }, empty_columns())
        }
        ast::Statement::Comment { object, name, column, text } => {
            let key = crate::sql::system::comment_target(catalog, *object, name, column.as_deref())?;
            (Plan::Comment { key, text: text.clone() }, empty_columns())
        }
        ast::Statement::Schema(statement) => (Plan::Schema(statement.clone()), empty_columns()),
        ast::Statement::DropView { names, if_exists, cascade } => {
            (Plan::DropView { names: names.clone(), if_exists: *if_exists, cascade: *cascade }, empty_columns())
        }
        ast::Statement::CreateIndex(create) => {
            // Only an ASYNC build answers with its job id; a synchronous one (PostgreSQL mode) just a tag.
            let columns = if create.asynchronous { job_id_column() } else { empty_columns() };
            (Plan::CreateIndex(create.clone()), columns)
        }
        ast::Statement::DropIndex { names, if_exists } => {
            (Plan::DropIndex { names: names.clone(), if_exists: *if_exists }, empty_columns())
        }
        ast::Statement::Call { name, args } => {
            let columns =
                Arc::from(vec![Column { name: "wait_for_job".into(), data_type: DataType::Bool, origin: None }]);
            (Plan::WaitForJob { job_id: binder.bind_wait_for_job(name, args)? }, columns)
        }
        ast::Statement::Truncate { names, restart_identity } => {
            let truncated = |name: &ast::ObjectName| {
                // A view, or a materialized view (whose rows are a table), is no table to empty, as in PG.
                match catalog.find_view(name).or_else(|| catalog.find_materialized(name)) {
                    Some(view) => {
                        Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("\"{}\" is not a table", view.name)))
                    }
                    None => catalog.table(name).cloned(),
                }
            };
            let tables = names.iter().map(truncated).collect::<Result<_>>()?;
            (Plan::Truncate { tables, restart_identity: *restart_identity }, empty_columns())
        }
        ast::Statement::Access(access) => (Plan::Access(access.clone()), empty_columns()),
        ast::Statement::Sequence(statement) => (Plan::Sequence(statement.clone()), empty_columns()),
        ast::Statement::AlterTable(alter) => {
            // DSQL's ALTER TABLE ASYNC answers with its job's id.
            let columns = if alter.asynchronous { job_id_column() } else { empty_columns() };
            (Plan::AlterTable(alter.clone()), columns)
        }
        ast::Statement::Analyze { table, columns } => {
            let tables = match table {
                Some(name) => vec![analyze_target(catalog, name, columns)?],
                None => every_table(catalog),
            };
            (Plan::Analyze { tables, vacuum: false }, empty_columns())
        }
        ast::Statement::Vacuum { analyze, tables } => {
            let mut targets = Vec::with_capacity(tables.len());
            for (name, columns) in tables {
                targets.push(analyze_target(catalog, name, columns)?);
            }
            if tables.is_empty() {
                targets = every_table(catalog);
            }
            // Without ANALYZE there is nothing to do: the tables were only checked.
            (Plan::Analyze { tables: if *analyze { targets } else { Vec::new() }, vacuum: true }, empty_columns())
        }
        other => return Err(Error::internal(format!("statement is not planned: {other:?}"))),
    };
    let plan = binder.with_modifying_ctes(plan);
    let param_types = binder.params.iter().map(|t| if *t == DataType::Unknown { DataType::Text } else { *t }).collect();
    Ok(PlannedStatement { plan, param_types, columns, catalog_version: catalog.version })
}

/// A query's `regclass`, `regtype`, ... result columns leave it as the objects' names (the types' output
/// functions, which need the catalog), typed `text` (PostgreSQL's RowDescription says `regclass`; the
/// text is the same in the text format, and the binary format then carries the name, not the oid).
/// ORDER BY on such a column still sorts by oid, as in PostgreSQL.
/// The type a COPY column is written as: an untyped literal as text, as the protocol sends it.
/// MERGE writes tables only (PostgreSQL 15 does not rewrite it for views): `0A000`, as PostgreSQL, when
/// the target of the rewritten MERGE's actions is a view.
fn refuse_merge_into_view(catalog: &Catalog, rewritten: &ast::Statement) -> Result<()> {
    let with = match rewritten {
        ast::Statement::Query(query) => &query.with,
        ast::Statement::Insert(insert) => &insert.with,
        ast::Statement::Update(update) => &update.with,
        ast::Statement::Delete(delete) => &delete.with,
        _ => return Ok(()),
    };
    let targets = with.iter().filter_map(|cte| match cte.modifying.as_deref() {
        Some(ast::Statement::Insert(insert)) => Some(&insert.table),
        Some(ast::Statement::Update(update)) => Some(&update.table),
        Some(ast::Statement::Delete(delete)) => Some(&delete.table),
        _ => None,
    });
    for target in targets {
        if let Some(view) = catalog.find_view(target) {
            return Err(Error::unsupported(format!("cannot execute MERGE on relation \"{}\"", view.name))
                .with_detail("This operation is not supported for views."));
        }
    }
    Ok(())
}

fn copy_type(data_type: DataType) -> DataType {
    match data_type {
        DataType::Unknown => DataType::Text,
        other => other,
    }
}

/// Marks the columns that FORCE_QUOTE, FORCE_NOT_NULL and FORCE_NULL name; each must be one COPY copies
/// (42P10 otherwise, as in PostgreSQL).
fn mark_copy_columns(
    columns: &mut [crate::sql::copy::CopyColumn],
    names: &[String],
    options: &crate::sql::copy::CopyOptions,
) -> Result<()> {
    use crate::sql::copy::ForceQuote;
    let position = |option: &str, name: &String| {
        names.iter().position(|n| n == name).ok_or_else(|| {
            Error::new(sqlstate::INVALID_COLUMN_REFERENCE, format!("{option} column \"{name}\" not referenced by COPY"))
        })
    };
    match &options.force_quote {
        ForceQuote::None => {}
        ForceQuote::All => columns.iter_mut().for_each(|c| c.force_quote = true),
        ForceQuote::Columns(list) => {
            for name in list {
                columns[position("FORCE_QUOTE", name)?].force_quote = true;
            }
        }
    }
    for name in &options.force_not_null {
        columns[position("FORCE_NOT_NULL", name)?].force_not_null = true;
    }
    for name in &options.force_null {
        columns[position("FORCE_NULL", name)?].force_null = true;
    }
    Ok(())
}

fn names_for_output(plan: &mut QueryPlan) {
    let mut columns = plan.columns.to_vec();
    let mut changed = false;
    for (i, column) in columns.iter_mut().enumerate().take(plan.visible) {
        let from = column.data_type;
        if !matches!(from, DataType::Reg(_)) {
            continue;
        }
        let original = plan.projection[i].clone();
        if !plan.distinct {
            for k in 0..plan.order_by.len() {
                if plan.order_by[k].column == i {
                    plan.projection.push(original.clone());
                    plan.order_by[k].column = plan.projection.len() - 1;
                }
            }
        }
        plan.projection[i] = BoundExpr::Cast { expr: Box::new(original), from, to: DataType::Text };
        column.data_type = DataType::Text;
        changed = true;
    }
    if changed {
        plan.columns = Arc::from(columns);
    }
}

/// Binds a condition over one row of `table` (a partial index's WHERE): 42804 unless boolean.
pub fn bind_table_predicate(table: &Table, expr: &Expr) -> Result<BoundExpr> {
    let catalog = Catalog::default();
    let mut binder = Binder::new(&catalog, &[]);
    let scope = Binder::table_scope(table, None)?;
    binder.bind_filter(Some(expr), &scope)?.ok_or_else(|| Error::internal("no predicate"))
}

/// How deep SQL function bodies may call SQL functions (a function that calls itself ends here).
const MAX_FUNCTION_NESTING: usize = 32;

/// Binds a SQL function's expression body over its parameters (parameter i is `Column(i)`, by name or as
/// `$i + 1`), cast to the return type: 42P13 as PostgreSQL when it cannot be. A body with subqueries is
/// not expanded in place (see `Binder::sql_function_call`).
fn expand_sql_function(
    catalog: &Catalog,
    depth: usize,
    name: &str,
    params: &[(Option<String>, DataType)],
    body: &Expr,
    returns: DataType,
) -> Result<BoundExpr> {
    let types: Vec<DataType> = params.iter().map(|(_, t)| *t).collect();
    let mut binder = Binder::new(catalog, &types);
    binder.function_body = Some(depth);
    binder.clause = "SQL function bodies";
    let scope = parameter_scope(name, params)?;
    let (bound, from) = binder.bind_expr(body, &scope).map_err(outside_statement_text)?;
    let return_mismatch = || {
        Error::new(
            sqlstate::INVALID_FUNCTION_DEFINITION,
            format!("return type mismatch in function declared to return {}", returns.name()),
        )
        .with_detail(format!("Actual return type is {}.", from.name()))
    };
    if from != DataType::Unknown && !scalar::can_assign(&from, &returns) {
        return Err(return_mismatch());
    }
    binder.coerce(bound, from, returns)
}

/// A set-returning function call in a select list.
#[derive(Debug, Clone, PartialEq)]
enum SelectListCall {
    /// A built-in one over its arguments (which read the FROM row).
    Builtin(TableFunction, Vec<BoundExpr>),
    /// A SQL function's rows, reading the FROM row as their outer row (see `Binder::function_rows`).
    Sql(Box<QueryPlan>),
}

/// A select list's `unnest` / `generate_subscripts` calls, which run in lockstep (see
/// `Binder::bind_zipped_call`): each distinct call once, in the order met.
struct ZippedCalls {
    calls: Vec<Expr>,
    /// The zipped rows' column types, once planned.
    column_types: Option<Vec<DataType>>,
}

impl ZippedCalls {
    fn is_zipped(name: &str) -> bool {
        matches!(name, "unnest" | "generate_subscripts")
    }

    /// The calls in a select list (not those in its subqueries, which are their select lists' own); None
    /// when it has none.
    fn of_select_list(items: &[SelectItem]) -> Option<ZippedCalls> {
        let mut calls = Vec::new();
        for item in items {
            if let SelectItem::Expr { expr, .. } = item {
                collect_zipped_calls(expr, &mut calls);
            }
        }
        (!calls.is_empty()).then_some(ZippedCalls { calls, column_types: None })
    }

    fn position(&self, call: &Expr) -> Option<usize> {
        self.calls.iter().position(|c| c == call)
    }

    /// The lateral query that yields the calls' rows, one column per call.
    fn query(&self) -> Result<ast::Query> {
        let function =
            |name: &str, args: Vec<Expr>| Expr::Function { name: name.into(), args, distinct: false, star: false };
        let number = |n: i64| Expr::Literal(Literal::Number(Value::Int(n), DataType::Int4));
        let binary = |op, left, right| Expr::Binary { op, left: Box::new(left), right: Box::new(right) };
        let index = Expr::Column { table: Some("occam_zip".into()), name: "i".into() };
        // The subscript the index stands for: the array's lower bound (0 for int2vector / oidvector) on.
        let subscript = |array: &Expr, dimension: Expr| {
            let lower = function("array_lower", vec![array.clone(), dimension]);
            binary(ast::BinaryOperator::Minus, binary(ast::BinaryOperator::Plus, lower, index.clone()), number(1))
        };
        let mut counts = Vec::new();
        let mut projection = Vec::new();
        for (i, call) in self.calls.iter().enumerate() {
            let Expr::Function { name, args, .. } = call else { unreachable!("collected calls are functions") };
            let (count, value) = match (name.as_str(), args.as_slice()) {
                ("unnest", [array]) => (
                    function("cardinality", vec![array.clone()]),
                    Expr::Subscript { expr: Box::new(array.clone()), index: Box::new(subscript(array, number(1))) },
                ),
                ("generate_subscripts", [array, dimension]) => {
                    let length = function("array_length", vec![array.clone(), dimension.clone()]);
                    let within = binary(ast::BinaryOperator::LtEq, index.clone(), length.clone());
                    let value = Expr::Case {
                        operand: None,
                        branches: vec![(within, subscript(array, dimension.clone()))],
                        else_result: None,
                    };
                    (length, value)
                }
                ("unnest", _) => return Err(Error::unsupported("unnest with more than one argument is not supported")),
                (name, args) => {
                    return Err(Error::new(
                        sqlstate::UNDEFINED_FUNCTION,
                        format!("function {name} with {} arguments is not supported", args.len()),
                    ))
                }
            };
            counts.push(function("coalesce", vec![count, number(0)]));
            projection.push(SelectItem::Expr { expr: value, alias: Some(format!("zip{i}")) });
        }
        let select = ast::Select {
            grouping_sets: Vec::new(),
            distinct: false,
            distinct_on: Vec::new(),
            projection,
            from: vec![TableRef::Function {
                name: "generate_series".into(),
                args: vec![number(1), function("greatest", counts)],
                alias: Some(ast::TableAlias { name: "occam_zip".into(), columns: vec!["i".into()] }),
            }],
            filter: None,
            group_by: Vec::new(),
            having: None,
        };
        Ok(ast::Query::of_select(select))
    }
}

/// Adds the `unnest` / `generate_subscripts` calls in `expr` (outside its subqueries, and not nested in
/// one another's arguments) to `calls`, each distinct call once.
fn collect_zipped_calls(expr: &Expr, calls: &mut Vec<Expr>) {
    let mut collect = |e: &Expr| collect_zipped_calls(e, calls);
    match expr {
        Expr::Function { name, .. } if ZippedCalls::is_zipped(name) => {
            let call = strip_positions(expr);
            if !calls.contains(&call) {
                calls.push(call);
            }
        }
        Expr::Function { args, .. } => args.iter().for_each(collect),
        Expr::Literal(_) | Expr::Column { .. } | Expr::Parameter(_) => {}
        Expr::Binary { left, right, .. } => {
            collect(left);
            collect(right);
        }
        Expr::And(operands) | Expr::Or(operands) | Expr::Array(operands) => operands.iter().for_each(collect),
        Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => collect(expr),
        Expr::Positioned { expr, .. } | Expr::InSubquery { expr, .. } | Expr::FieldSelect { expr, .. } => collect(expr),
        Expr::InList { expr, list, .. } => {
            collect(expr);
            list.iter().for_each(collect);
        }
        Expr::Between { expr, low, high, .. } => {
            collect(expr);
            collect(low);
            collect(high);
        }
        Expr::Case { operand, branches, else_result } => {
            operand.as_deref().into_iter().chain(else_result.as_deref()).for_each(&mut collect);
            for (when, then) in branches {
                collect(when);
                collect(then);
            }
        }
        Expr::AnyAll { expr, array: other, .. } | Expr::Subscript { expr, index: other } => {
            collect(expr);
            collect(other);
        }
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::OrderedAggregate(_) | Expr::Window(_) => {}
    }
}

/// The parameters of a SQL function as a FROM item named after the function (`fname.param`), unnamed
/// ones as `$n`.
fn parameter_scope(function_name: &str, params: &[(Option<String>, DataType)]) -> Result<Scope> {
    let columns = params
        .iter()
        .enumerate()
        .map(|(i, (param, data_type))| ScopeColumn {
            name: param.clone().unwrap_or_else(|| format!("${}", i + 1)),
            data_type: *data_type,
            hidden: false,
            origin: None,
        })
        .collect();
    let mut scope = Scope::default();
    scope.push(Some(function_name.to_string()), columns)?;
    Ok(scope)
}

/// An error in a function body, whose text positions are not the statement's.
fn outside_statement_text(mut err: Error) -> Error {
    err.position = None;
    err
}

/// A SQL function call's value, NULL without evaluating the body when the function is STRICT and an
/// argument is NULL.
fn strict_call(function: &SqlFunction, args: &[BoundExpr], value: BoundExpr) -> BoundExpr {
    if !function.strict || args.is_empty() {
        return value;
    }
    let any_null =
        BoundExpr::Or(args.iter().map(|a| BoundExpr::IsNull { expr: Box::new(a.clone()), negated: false }).collect());
    BoundExpr::Case { branches: vec![(any_null, BoundExpr::Literal(Value::Null))], else_result: Some(Box::new(value)) }
}

/// An expression moved one query level in (into a subquery of the query it was bound in): its row's
/// columns become outer references. 0A000 for window and select-list function results (placeholders
/// placed after the row once the query is bound).
fn one_level_in(expr: &BoundExpr) -> Result<BoundExpr> {
    if expr.any(|e| matches!(e, BoundExpr::Column(c) if *c >= SELECT_LIST_FUNCTIONS)) {
        return Err(Error::unsupported(
            "a window function or a set-returning function as an argument of a query-bodied SQL function",
        ));
    }
    Ok(expr.moved_in(1))
}

/// Checks a function body's result columns (`found`) against the declared ones: 42P13 with PostgreSQL's
/// details.
fn check_function_result(function: &SqlFunction, declared: &[(String, DataType)], found: &[DataType]) -> Result<()> {
    let mismatch = |detail: String| {
        Error::new(
            sqlstate::INVALID_FUNCTION_DEFINITION,
            format!("return type mismatch in function declared to return {}", function.returns.type_name()),
        )
        .with_detail(detail)
    };
    let one_column = matches!(function.returns, FunctionReturns::Scalar(_) | FunctionReturns::SetOf(_));
    if one_column {
        let [from] = found else { return Err(mismatch("Final statement must return exactly one column.".into())) };
        if *from != DataType::Unknown && !scalar::can_assign(from, &declared[0].1) {
            return Err(mismatch(format!("Actual return type is {}.", from.name())));
        }
        return Ok(());
    }
    if found.len() > declared.len() {
        return Err(mismatch("Final statement returns too many columns.".into()));
    }
    if found.len() < declared.len() {
        return Err(mismatch("Final statement returns too few columns.".into()));
    }
    for (i, (from, (_, to))) in found.iter().zip(declared).enumerate() {
        if *from != DataType::Unknown && !scalar::can_assign(from, to) {
            return Err(mismatch(format!(
                "Final statement returns {} instead of {} at column {}.",
                from.name(),
                to.name(),
                i + 1
            )));
        }
    }
    Ok(())
}

/// Binds an expression index column over one row of `table`: its bound form and type. As PostgreSQL, no
/// aggregates (42803) or window functions (42P20), and only immutable functions
/// (`42P17 functions in index expression must be marked IMMUTABLE`); subqueries are refused by the parser.
pub fn bind_index_expression(table: &Table, expr: &Expr) -> Result<(BoundExpr, DataType)> {
    let catalog = Catalog::default();
    let mut binder = Binder::new(&catalog, &[]);
    binder.clause = "index expressions";
    let scope = Binder::table_scope(table, None)?;
    let (bound, data_type) = binder.bind_expr(expr, &scope)?;
    if !is_immutable(&bound) {
        return Err(Error::new(
            sqlstate::INVALID_OBJECT_DEFINITION,
            "functions in index expression must be marked IMMUTABLE",
        ));
    }
    if data_type == DataType::Unknown {
        // An untyped literal keys as text, as PostgreSQL resolves it.
        return Ok((binder.coerce(bound, DataType::Unknown, DataType::Text)?, DataType::Text));
    }
    Ok((bound, data_type))
}

/// Whether an expression gives the same value for the same inputs in every transaction and session
/// (PostgreSQL's immutable): neither volatile nor reading the transaction's clock or the session's time
/// zone.
pub fn is_immutable(expr: &BoundExpr) -> bool {
    use crate::sql::functions::ScalarFunction as F;
    !is_volatile(expr) && !expr.any(|e| {
        reads_session_zone(e)
            || matches!(
                e,
                BoundExpr::Function { function, .. }
                    if matches!(function.function, F::Now | F::CurrentDate | F::LocalTimestamp | F::StatementTimestamp)
            )
    })
}

/// Whether this node (not its operands) depends on the session's time zone (`types::zone`): a cast to or
/// from timestamptz, `timestamptz ± interval`, or a date/time function's fields of a timestamptz (PG's
/// stable functions; `AT TIME ZONE` and `date_bin` name their zone or need none).
fn reads_session_zone(expr: &BoundExpr) -> bool {
    use crate::sql::datetime::DateTimeFunction as D;
    use crate::sql::functions::ScalarFunction as F;
    let tz = DataType::Timestamptz;
    match expr {
        BoundExpr::Cast { from, to, .. } => (*from == tz) != (*to == tz),
        BoundExpr::Binary { sig, .. } => {
            (sig.left == tz && sig.right == DataType::Interval) || (sig.left == DataType::Interval && sig.right == tz)
        }
        BoundExpr::Function { function, .. } => {
            matches!(function.function, F::DateTime(d) if !matches!(d, D::Timezone | D::DateBin | D::IsFinite | D::ToTimestampEpoch))
                && (function.arg_types.contains(&tz) || function.result_type == tz)
        }
        _ => false,
    }
}

/// The clause name of a CHECK constraint's expression, for "aggregate functions are not allowed in check
/// constraints" (and the refusal of subqueries there).
const CHECK_CLAUSE: &str = "check constraints";

/// Binds a CHECK constraint's expression over one row of `table` (columns qualified by `scope`), as
/// PostgreSQL allows it: no subquery (0A000), aggregate (42803) or window function (42P20), boolean (42804).
pub fn bind_check_constraint(table: &Table, scope: &str, expr: &Expr) -> Result<BoundExpr> {
    let catalog = Catalog::default();
    let mut binder = Binder::new(&catalog, &[]);
    let scope = Binder::table_scope(table, Some(scope))?;
    binder.clause = CHECK_CLAUSE;
    let (bound, data_type) = binder.bind_expr(expr, &scope)?;
    binder.coerce_bool(bound, data_type, "CHECK")
}

/// Checks a column DEFAULT at CREATE TABLE / ALTER TABLE: it must bind without columns (relation names in
/// it, as in `nextval('s')`, are looked up in `catalog`) and be assignable to the column. Returns it bound
/// and cast to the column's type (ALTER TABLE ADD COLUMN evaluates it for the rows already stored).
pub fn check_default(catalog: &Catalog, default: &Expr, column: &str, data_type: &DataType) -> Result<BoundExpr> {
    let mut binder = Binder::new(catalog, &[]);
    binder.clause = "DEFAULT expressions";
    let (bound, from) = binder.bind_expr(default, &Scope::default())?;
    if !bound.subqueries().is_empty() {
        // Only a SQL function whose body is a query gets here (the parser refuses subqueries).
        return Err(Error::unsupported("a DEFAULT expression that calls a SQL function whose body reads tables"));
    }
    if !scalar::can_assign(&from, data_type) {
        return Err(Error::datatype_mismatch(format!(
            "column \"{column}\" is of type {} but default expression is of type {}",
            data_type.name(),
            from.name()
        ))
        .with_hint("You will need to rewrite or cast the expression."));
    }
    binder.coerce(bound, from, *data_type)
}

/// Whether an expression gives a new value each time it is evaluated (PostgreSQL's volatile functions:
/// `random()`, `gen_random_uuid()`, `clock_timestamp()`, `nextval`, `setval`).
pub fn is_volatile(expr: &BoundExpr) -> bool {
    use crate::sql::functions::ScalarFunction as F;
    expr.any(|e| {
        matches!(
            e,
            BoundExpr::Function { function, .. }
                if matches!(function.function, F::Random | F::GenRandomUuid | F::ClockTimestamp | F::Sequence(_))
        )
    })
}

/// 428C9 for an explicit value given to a `GENERATED ALWAYS AS IDENTITY` column (by INSERT without
/// `OVERRIDING SYSTEM VALUE`, or by UPDATE).
fn identity_always_error(column: &str, update: bool) -> Error {
    let message = if update {
        format!("column \"{column}\" can only be updated to DEFAULT")
    } else {
        format!("cannot insert a non-DEFAULT value into column \"{column}\"")
    };
    let err = Error::new("428C9", message)
        .with_detail(format!("Column \"{column}\" is an identity column defined as GENERATED ALWAYS."));
    if update {
        err
    } else {
        err.with_hint("Use OVERRIDING SYSTEM VALUE to override.")
    }
}

/// The one `job_id` column of what DSQL's ASYNC statements return.
fn job_id_column() -> Arc<[Column]> {
    Arc::from(vec![Column { name: "job_id".into(), data_type: DataType::Text, origin: None }])
}

fn empty_columns() -> Arc<[Column]> {
    Arc::from(Vec::new())
}

fn returning_columns(returning: &Option<Returning>) -> Arc<[Column]> {
    returning.as_ref().map(|r| r.columns.clone()).unwrap_or_else(empty_columns)
}

/// Whether values of `data_type` carry a modifier that assignment must enforce.
fn has_typmod(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Varchar(Some(_)) | DataType::Char(_) | DataType::Numeric(Some(_)))
}

// ---- scopes: the columns visible to an expression ----

#[derive(Debug, Clone)]
struct ScopeColumn {
    name: String,
    data_type: DataType,
    hidden: bool,
    /// The table column it is, for result columns that reference it directly.
    origin: Option<ColumnOrigin>,
}

#[derive(Debug, Clone)]
struct ScopeItem {
    /// The FROM item's name (alias or table name); None for an unnamed subquery or the merged columns of a
    /// JOIN ... USING.
    name: Option<String>,
    columns: Vec<ScopeColumn>,
    offset: usize,
    /// Columns merged away by JOIN ... USING / NATURAL JOIN: reachable only qualified (`a.id`, `a.*`), not
    /// by a bare name or a bare `*`, which see the merged column instead.
    merged: Vec<usize>,
    /// How many of the last columns are system columns (a catalog table's `tableoid`, `xmin`, ...):
    /// reachable by name, left out of `*` and NATURAL JOIN, as PostgreSQL's.
    system_columns: usize,
}

impl ScopeItem {
    /// Whether column `i` is one of the item's system columns.
    fn is_system_column(&self, i: usize) -> bool {
        i >= self.columns.len() - self.system_columns
    }
}

/// The FROM items of one query level. Items are in `*` expansion order; each knows where its columns sit in
/// the row (a USING join's merged columns come first in `*` but last in the row).
#[derive(Debug, Clone, Default)]
struct Scope {
    items: Vec<ScopeItem>,
    /// Who may read it from the `outer` stack.
    visibility: Visibility,
}

/// Whether a scope on the binder's `outer` stack may be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Visibility {
    /// An enclosing query's row (a correlated subquery's outer references).
    #[default]
    Enclosing,
    /// The FROM items before the item being bound, at the same query level (PostgreSQL's lateral-only
    /// namespace entries): readable only from inside a LATERAL item, `active` while one is bound. At run
    /// time the item is the right side of a lateral join, which runs it with the left row as outer row.
    Lateral { active: bool },
}

/// Why FROM items that exist cannot be read where binding is (for PostgreSQL's errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unreachable {
    /// The items before a FROM item without LATERAL: `42P01 invalid reference to FROM-clause entry`.
    NotLateral,
    /// The left side of a RIGHT or FULL join, for a LATERAL item on its right: `42P10`.
    JoinType,
    /// The target of UPDATE / DELETE, for a LATERAL item of its FROM / USING: `42P10`.
    DmlTarget,
}

impl Unreachable {
    /// The error for a reference to FROM item `table` (through column `column` when unqualified).
    fn error(self, table: &str, column: Option<&str>) -> Error {
        let hint = format!(
            "There is an entry for table \"{table}\", but it cannot be referenced from this part of the query."
        );
        let invalid = format!("invalid reference to FROM-clause entry for table \"{table}\"");
        match (self, column) {
            (Unreachable::NotLateral, Some(column)) => Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("column \"{column}\" does not exist"),
            )
            .with_hint(format!(
                "There is a column named \"{column}\" in table \"{table}\", but it cannot be referenced from this part of the query."
            )),
            (Unreachable::NotLateral, None) => Error::new(sqlstate::UNDEFINED_TABLE, invalid).with_hint(hint),
            (Unreachable::JoinType, _) => Error::new(sqlstate::INVALID_COLUMN_REFERENCE, invalid)
                .with_detail("The combining JOIN type must be INNER or LEFT for a LATERAL reference."),
            (Unreachable::DmlTarget, _) => Error::new(sqlstate::INVALID_COLUMN_REFERENCE, invalid).with_hint(hint),
        }
    }
}

impl Scope {
    fn width(&self) -> usize {
        self.items.iter().map(|i| i.offset + i.columns.len()).max().unwrap_or(0)
    }

    fn push(&mut self, name: Option<String>, columns: Vec<ScopeColumn>) -> Result<()> {
        let offset = self.width();
        self.push_item(ScopeItem { name, columns, offset, merged: Vec::new(), system_columns: 0 })
    }

    /// Pushes an item whose last `system_columns` columns are system columns.
    fn push_with_system_columns(
        &mut self,
        name: Option<String>,
        columns: Vec<ScopeColumn>,
        system_columns: usize,
    ) -> Result<()> {
        let offset = self.width();
        self.push_item(ScopeItem { name, columns, offset, merged: Vec::new(), system_columns })
    }

    fn push_item(&mut self, item: ScopeItem) -> Result<()> {
        if let Some(name) = &item.name {
            if self.items.iter().any(|i| i.name.as_ref() == Some(name)) {
                return Err(Error::new("42712", format!("table name \"{name}\" specified more than once")));
            }
        }
        self.items.push(item);
        Ok(())
    }

    /// Adds the items of `other`, whose row is appended to this scope's row.
    fn append(&mut self, other: Scope) -> Result<()> {
        let shift = self.width();
        for mut item in other.items {
            item.offset += shift;
            self.push_item(item)?;
        }
        Ok(())
    }

    /// Row positions and types of the columns a bare `name` may mean.
    fn unqualified(&self, name: &str) -> Vec<(usize, DataType)> {
        let mut found = Vec::new();
        for item in &self.items {
            for (i, column) in item.columns.iter().enumerate() {
                if !column.hidden && column.name == name && !item.merged.contains(&i) {
                    found.push((item.offset + i, column.data_type));
                }
            }
        }
        found
    }

    /// Hides the column at row position `position` from bare names (it was merged by USING).
    fn merge_away(&mut self, position: usize) {
        for item in &mut self.items {
            if position >= item.offset && position < item.offset + item.columns.len() {
                item.merged.push(position - item.offset);
            }
        }
    }

    fn has_item(&self, name: &str) -> bool {
        self.items.iter().any(|i| i.name.as_deref() == Some(name))
    }

    /// The name of the item that has a (visible) column `name`, if any.
    fn item_with_column(&self, name: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.columns.iter().any(|c| !c.hidden && c.name == name))
            .and_then(|i| i.name.as_deref())
    }

    /// The items whose columns start at row position `start` or later, as a scope whose row starts there.
    fn since(&self, start: usize) -> Scope {
        let items = self
            .items
            .iter()
            .filter(|i| i.offset >= start)
            .map(|i| ScopeItem { offset: i.offset - start, ..i.clone() })
            .collect();
        Scope { items, visibility: Visibility::Enclosing }
    }

    /// Finds a column: Ok(None) if it is not in this scope, 42702 if it is ambiguous.
    /// The table column at row position `index`, if it is one.
    fn origin_of(&self, index: usize) -> Option<ColumnOrigin> {
        self.items
            .iter()
            .find(|item| (item.offset..item.offset + item.columns.len()).contains(&index))
            .and_then(|item| item.columns[index - item.offset].origin)
    }

    fn resolve(&self, table: Option<&str>, name: &str) -> Result<Option<(usize, DataType)>> {
        let mut found = None;
        for item in &self.items {
            if let Some(table) = table {
                if item.name.as_deref() != Some(table) {
                    continue;
                }
            }
            for (i, column) in item.columns.iter().enumerate() {
                if !column.hidden && column.name == name && (table.is_some() || !item.merged.contains(&i)) {
                    if found.is_some() {
                        return Err(Error::new(
                            sqlstate::AMBIGUOUS_COLUMN,
                            format!("column reference \"{name}\" is ambiguous"),
                        ));
                    }
                    found = Some((item.offset + i, column.data_type));
                }
            }
        }
        Ok(found)
    }
}

fn table_scope_columns(table: &Table, alias: Option<&ast::TableAlias>) -> Vec<ScopeColumn> {
    let renames = alias.map(|a| a.columns.as_slice()).unwrap_or(&[]);
    let mut visible_index = 0;
    table
        .columns
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let mut name = c.name.clone();
            let mut origin = None;
            if !c.hidden {
                if let Some(rename) = renames.get(visible_index) {
                    name = rename.clone();
                }
                visible_index += 1;
                origin = table.attnum(index).map(|number| ColumnOrigin::new(table.id, number));
            }
            ScopeColumn { name, data_type: c.data_type, hidden: c.hidden, origin }
        })
        .collect()
}

// ---- the binder ----

/// A set-returning function's result columns: default names and types.
type TableFunctionColumns = Vec<(&'static str, DataType)>;

/// GROUP BY state while binding the expressions evaluated after aggregation.
#[derive(Debug)]
struct Grouping {
    /// GROUPING SETS / ROLLUP / CUBE (indices into the group expressions); empty for a plain GROUP BY.
    sets: Vec<Vec<usize>>,
    group_asts: Vec<Expr>,
    group_bound: Vec<(BoundExpr, DataType)>,
    aggregates: Vec<AggregateCall>,
    aggregate_asts: Vec<Expr>,
    aggregate_types: Vec<DataType>,
}

/// An INSERT's column list as column positions (`resolve` finds one; 42701 for a column named twice).
fn insert_targets(names: &[String], resolve: impl Fn(&str) -> Result<usize>) -> Result<Vec<usize>> {
    let mut targets = Vec::with_capacity(names.len());
    for name in names {
        let index = resolve(name)?;
        if targets.contains(&index) {
            return Err(Error::new(sqlstate::DUPLICATE_COLUMN, format!("column \"{name}\" specified more than once")));
        }
        targets.push(index);
    }
    Ok(targets)
}

struct Binder<'c> {
    catalog: &'c Catalog,
    params: Vec<DataType>,
    /// Scopes of enclosing queries (innermost last), for correlated subqueries.
    outer: Vec<Scope>,
    /// For each entry of `outer`: the GROUP BY expressions when that query is grouped (its subqueries see
    /// the aggregated row, whose first columns are the group keys), else None.
    outer_groups: Vec<Option<Vec<BoundExpr>>>,
    /// The outermost entry of `outer` a column reference resolved to since it was last reset (a WITH
    /// query reads an enclosing query's columns only when its references reach below where it was
    /// defined; its own nested subqueries' references to its own columns do not).
    lowest_outer_level: usize,
    outer_refs: usize,
    next_subquery_id: usize,
    /// Numbers `WITH RECURSIVE` work tables within the statement.
    next_work_table_id: usize,
    /// Whether the statement runs the queries it binds (false for CREATE VIEW and `WITH NO DATA`): reading
    /// a materialized view that is not populated is then `55000`, as PostgreSQL when it opens one.
    reads_rows: bool,
    /// Ids of the tables and views the statement's FROM items named so far (a view's dependencies).
    referenced_relations: Vec<u32>,
    /// The views being expanded (innermost last), to catch a view that reads itself.
    expanding_views: Vec<u32>,
    /// Set while binding expressions evaluated after aggregation.
    grouping: Option<Grouping>,
    in_aggregate: bool,
    /// The clause being bound, for "aggregate functions are not allowed in WHERE".
    clause: &'static str,
    /// Set while planning one side of a set operation: its select list keeps untyped literals `unknown` so
    /// that the set operation can type them from the other side (`SELECT 1 UNION SELECT '2'` is integer).
    set_operand: bool,
    /// Whether the select list being bound may leave `unknown` outputs (see `set_operand`).
    keep_unknown_outputs: bool,
    /// The session's role, for `current_user` / `session_user` / `current_role` (None: not known).
    session_user: Option<String>,
    /// The window function calls of the select list being bound (Some while they are allowed: in the
    /// select list and ORDER BY); each binds to a placeholder column `WINDOW_RESULTS + i`, moved behind the
    /// row once its width is known.
    windows: Option<Vec<WindowCall>>,
    /// Set while binding a window call's arguments (window calls cannot nest).
    in_window: bool,
    /// The set-returning function calls of the select list being bound (None where they are not allowed);
    /// each binds to a placeholder column `SELECT_LIST_FUNCTIONS + i`, placed after the FROM row.
    select_list_functions: Option<Vec<SelectListCall>>,
    /// The `unnest(array)` / `generate_subscripts(array, dim)` calls of the select list being bound (see
    /// `Binder::bind_zipped_call`), and once the first is met, their zipped rows' plan (its column types).
    zipped_calls: Option<ZippedCalls>,
    /// The WITH names in scope (innermost last); each reference binds the named query again, as a FROM
    /// subquery (PostgreSQL inlines a common table expression referenced once; occam inlines every one).
    common_tables: Vec<CommonTable>,
    /// In a SQL function's body: `$n` is parameter n, column n - 1 of the body's scope (see
    /// `expand_sql_function`), and how deep function bodies nest here.
    function_body: Option<usize>,
    /// FROM items that exist but cannot be read from where binding is (innermost last): only for the
    /// errors PostgreSQL gives for a reference to them.
    unreachable: Vec<(Scope, Unreachable)>,
    /// The length of `outer` when the FROM list being bound began: its `Visibility::Lateral` entries from
    /// here on are the items before the current one, which a LATERAL item may read.
    lateral_base: usize,
    /// Set until the statement's first WITH list is bound: its own, the only one (PostgreSQL's "top
    /// level") where data-modifying statements may stand.
    top_level_with: bool,
    /// The statement's data-modifying WITH queries, in the order written, each with the ids of those it
    /// reads.
    modifying_ctes: Vec<(ModifyingCte, Vec<usize>)>,
    /// The ids of the data-modifying WITH queries referenced since this was last taken.
    modifying_reads: Vec<usize>,
}

/// A common table expression in scope.
#[derive(Clone)]
struct CommonTable {
    cte: ast::CommonTableExpr,
    /// How many enclosing query scopes there were where it was defined.
    outer_depth: usize,
    /// Set while its own query is bound (`WITH RECURSIVE`): what a reference to itself means there.
    self_reference: Option<SelfReference>,
    /// A data-modifying statement's: its work table id and RETURNING columns (None without RETURNING).
    modifying: Option<(usize, Option<Vec<ScopeColumn>>)>,
}

/// A `WITH RECURSIVE` query's reference to itself, by where it appears.
#[derive(Clone)]
enum SelfReference {
    /// Not allowed here (in the non-recursive term, or in a query without a recursive term): the error.
    Refused(&'static str),
    /// In the recursive term: the previous round's rows, `Source::WorkTable { id }`; `uses` counts the
    /// references (PostgreSQL allows one).
    WorkTable { id: usize, columns: Vec<ScopeColumn>, uses: usize },
}

impl<'c> Binder<'c> {
    fn new(catalog: &'c Catalog, declared: &[DataType]) -> Self {
        Binder {
            catalog,
            params: declared.to_vec(),
            outer: Vec::new(),
            outer_groups: Vec::new(),
            lowest_outer_level: usize::MAX,
            outer_refs: 0,
            next_subquery_id: 0,
            reads_rows: true,
            next_work_table_id: 0,
            referenced_relations: Vec::new(),
            expanding_views: Vec::new(),
            grouping: None,
            in_aggregate: false,
            clause: "WHERE",
            set_operand: false,
            keep_unknown_outputs: false,
            session_user: None,
            windows: None,
            in_window: false,
            select_list_functions: None,
            zipped_calls: None,
            common_tables: Vec::new(),
            function_body: None,
            unreachable: Vec::new(),
            lateral_base: 0,
            top_level_with: false,
            modifying_ctes: Vec::new(),
            modifying_reads: Vec::new(),
        }
    }

    // ---- statements ----

    fn plan_insert(&mut self, insert: &ast::Insert) -> Result<InsertPlan> {
        if let Some(view) = self.catalog.find_view(&insert.table) {
            return self.plan_view_insert(insert, &view.clone());
        }
        let table = self.modified_table(&insert.table)?;
        let targets: Vec<usize> = if insert.columns.is_empty() {
            table.visible_columns().map(|(i, _)| i).collect()
        } else {
            insert_targets(&insert.columns, |name| {
                table.column_index(name).ok_or_else(|| {
                    Error::new(
                        sqlstate::UNDEFINED_COLUMN,
                        format!("column \"{name}\" of relation \"{}\" does not exist", table.name),
                    )
                })
            })?
        };
        let column_list = !insert.columns.is_empty();
        self.plan_insert_into(insert, table, targets, column_list)
    }

    /// INSERT of `insert`'s source into `targets` (table columns) of `table`; `column_list`: whether the
    /// statement named its columns (without a list, missing trailing values are DEFAULT).
    fn plan_insert_into(
        &mut self,
        insert: &ast::Insert,
        table: Arc<Table>,
        targets: Vec<usize>,
        column_list: bool,
    ) -> Result<InsertPlan> {
        self.clause = "VALUES";
        let identity_always = |target: usize| table.columns[target].identity == Some(crate::catalog::Identity::Always);
        let source = match &insert.source {
            ast::InsertSource::Values(rows) => {
                let mut bound_rows = Vec::with_capacity(rows.len());
                for row in rows {
                    for (value, &target) in row.iter().zip(&targets) {
                        if value.is_some() && identity_always(target) && insert.overriding.is_none() {
                            return Err(identity_always_error(&table.columns[target].name, false));
                        }
                    }
                    // OVERRIDING USER VALUE: the identity columns take their sequence's value.
                    let row: Vec<Option<Expr>> = row
                        .iter()
                        .zip(&targets)
                        .map(|(value, &target)| {
                            let user_value = insert.overriding == Some(ast::Overriding::UserValue);
                            if user_value && table.columns[target].identity.is_some() {
                                None
                            } else {
                                value.clone()
                            }
                        })
                        .chain(row.iter().skip(targets.len()).cloned())
                        .collect();
                    let row = &row;
                    if row.len() > targets.len() {
                        return Err(Error::syntax("INSERT has more expressions than target columns"));
                    }
                    if row.len() < targets.len() && column_list {
                        return Err(Error::syntax("INSERT has more target columns than expressions"));
                    }
                    let mut bound = Vec::with_capacity(row.len());
                    for (value, &target) in row.iter().zip(&targets) {
                        bound.push(match value {
                            Some(expr) => Some(self.bind_assignment(expr, &table, target, &Scope::default())?),
                            None => None,
                        });
                    }
                    // Missing trailing values (no column list) are DEFAULT, as in PostgreSQL.
                    bound.resize(targets.len(), None);
                    bound_rows.push(bound);
                }
                InsertSource::Values(bound_rows)
            }
            ast::InsertSource::DefaultValues => InsertSource::Values(vec![vec![None; targets.len()]]),
            ast::InsertSource::Query(query) => {
                if let Some(&target) = targets.iter().find(|&&t| identity_always(t)) {
                    if insert.overriding.is_none() {
                        return Err(identity_always_error(&table.columns[target].name, false));
                    }
                }
                let query = self.plan_query(query)?;
                if query.visible > targets.len() {
                    return Err(Error::syntax("INSERT has more expressions than target columns"));
                }
                if query.visible < targets.len() && column_list {
                    return Err(Error::syntax("INSERT has more target columns than expressions"));
                }
                let mut casts = Vec::with_capacity(query.visible);
                for (column, &target) in query.columns.iter().zip(&targets) {
                    let to = table.columns[target].data_type;
                    let from = column.data_type;
                    check_assignable(&from, &table.columns[target].name, &to)?;
                    casts.push(if from == to || from == DataType::Unknown && to == DataType::Text {
                        None
                    } else {
                        Some((from, to))
                    });
                }
                InsertSource::Query { query: Box::new(query), casts }
            }
        };
        let defaults = self.bind_defaults(&table)?;
        let on_conflict = insert.on_conflict.as_ref().map(|c| self.plan_on_conflict(c, &table)).transpose()?;
        let returning = self.bind_returning(&insert.returning, &table, None)?;
        let enforce_typmod = table.columns.iter().map(|c| has_typmod(&c.data_type)).collect();
        Ok(InsertPlan { table, targets, source, defaults, enforce_typmod, on_conflict, returning, view_check: None })
    }

    /// ON CONFLICT: the arbiter the target names (the primary key or a valid unique index over the same
    /// columns; every one of them for DO NOTHING without a target), and DO UPDATE bound over the existing
    /// row and `excluded`.
    fn plan_on_conflict(&mut self, on_conflict: &ast::OnConflict, table: &Table) -> Result<ConflictPlan> {
        use crate::catalog::IndexState;
        let no_match = || {
            Error::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "there is no unique or exclusion constraint matching the ON CONFLICT specification",
            )
        };
        let unique_indexes =
            table.indexes.iter().filter(|i| i.unique && i.state == IndexState::Valid && i.predicate.is_none());
        let arbiters = match &on_conflict.target {
            None if on_conflict.update.is_some() => {
                return Err(Error::syntax("ON CONFLICT DO UPDATE requires inference specification or constraint name")
                    .with_hint("For example, ON CONFLICT (column_name)."))
            }
            None => {
                let mut all = Vec::new();
                if !table.has_hidden_key() {
                    all.push(Arbiter::PrimaryKey);
                }
                all.extend(unique_indexes.map(|i| Arbiter::UniqueIndex(i.id)));
                all
            }
            Some(ast::ConflictTarget::Columns(names)) => {
                let mut columns = Vec::with_capacity(names.len());
                for name in names {
                    let index = table.column_index(name).ok_or_else(|| {
                        Error::new(sqlstate::UNDEFINED_COLUMN, format!("column \"{name}\" does not exist"))
                    })?;
                    if !columns.contains(&index) {
                        columns.push(index);
                    }
                }
                let same = |key: &[usize]| key.len() == columns.len() && key.iter().all(|c| columns.contains(c));
                if !table.has_hidden_key() && same(&table.primary_key) {
                    vec![Arbiter::PrimaryKey]
                } else {
                    let index = unique_indexes
                        .into_iter()
                        .find(|i| {
                            i.columns
                                .iter()
                                .map(|c| c.table_column())
                                .collect::<Option<Vec<_>>>()
                                .is_some_and(|columns| same(&columns))
                        })
                        .ok_or_else(no_match)?;
                    vec![Arbiter::UniqueIndex(index.id)]
                }
            }
            Some(ast::ConflictTarget::Constraint(name)) => {
                if !table.has_hidden_key() && *name == table.primary_key_name() {
                    vec![Arbiter::PrimaryKey]
                } else if let Some(index) = table.indexes.iter().find(|i| i.constraint && i.name == *name) {
                    vec![Arbiter::UniqueIndex(index.id)]
                } else {
                    return Err(Error::new(
                        sqlstate::UNDEFINED_OBJECT,
                        format!("constraint \"{name}\" for table \"{}\" does not exist", table.name),
                    ));
                }
            }
        };
        let update = match &on_conflict.update {
            None => None,
            Some(update) => {
                let mut scope = Scope::default();
                scope.push(Some(table.name.clone()), table_scope_columns(table, None))?;
                scope.push(Some("excluded".to_string()), table_scope_columns(table, None))?;
                self.clause = "UPDATE";
                let assignments = self.bind_assignments(&update.assignments, table, &scope)?;
                let filter = self.bind_filter(update.filter.as_ref(), &scope)?;
                Some(ConflictUpdatePlan { assignments, filter })
            }
        };
        Ok(ConflictPlan { arbiters, update })
    }

    fn bind_defaults(&mut self, table: &Table) -> Result<Vec<Option<BoundExpr>>> {
        self.clause = "DEFAULT expressions";
        table
            .columns
            .iter()
            .map(|column| match &column.default {
                Some(expr) => {
                    let (bound, from) = self.bind_expr(expr, &Scope::default())?;
                    Ok(Some(self.coerce(bound, from, column.data_type)?))
                }
                None => Ok(None),
            })
            .collect()
    }

    /// Binds a value assigned to column `target` (INSERT value, UPDATE SET): 42804 unless assignable.
    fn bind_assignment(&mut self, expr: &Expr, table: &Table, target: usize, scope: &Scope) -> Result<BoundExpr> {
        let column = &table.columns[target];
        let (bound, from) = self.bind_expr(expr, scope)?;
        check_assignable(&from, &column.name, &column.data_type)?;
        self.coerce(bound, from, column.data_type)
    }

    /// `CALL name(args)`: only `sys.wait_for_job(text)` exists.
    fn bind_wait_for_job(&mut self, name: &ast::ObjectName, args: &[Expr]) -> Result<BoundExpr> {
        let is_wait = name.name == "wait_for_job" && name.schema.as_deref().is_none_or(|s| s == "sys");
        let [arg] = args else {
            let types = vec!["unknown"; args.len()].join(", ");
            return Err(Error::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("procedure {}({types}) does not exist", crate::catalog::display_name(name)),
            ));
        };
        if !is_wait {
            return Err(Error::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("procedure {}(unknown) does not exist", crate::catalog::display_name(name)),
            ));
        }
        self.clause = "CALL";
        let (bound, data_type) = self.bind_expr(arg, &Scope::default())?;
        self.coerce(bound, data_type, DataType::Text)
    }

    fn table_scope(table: &Table, alias: Option<&str>) -> Result<Scope> {
        let mut scope = Scope::default();
        scope.push(Some(alias.unwrap_or(&table.name).to_string()), table_scope_columns(table, None))?;
        Ok(scope)
    }

    fn bind_returning(
        &mut self,
        items: &[SelectItem],
        table: &Table,
        alias: Option<&str>,
    ) -> Result<Option<Returning>> {
        self.bind_returning_in(items, &Self::table_scope(table, alias)?)
    }

    /// RETURNING over `scope`: the target table's row, followed by the columns of UPDATE's FROM or DELETE's
    /// USING items when there are some.
    fn bind_returning_in(&mut self, items: &[SelectItem], scope: &Scope) -> Result<Option<Returning>> {
        if items.is_empty() {
            return Ok(None);
        }
        self.clause = "RETURNING";
        let (projection, columns) = self.bind_projection(items, scope)?;
        Ok(Some(Returning { projection, columns: Arc::from(columns), view: None }))
    }

    /// FROM items (a SELECT's, UPDATE's FROM, DELETE's USING), added to `scope` after what it holds: their
    /// sources and the number of columns they add.
    fn plan_from_items(&mut self, items: &[TableRef], scope: &mut Scope) -> Result<(Vec<Source>, usize)> {
        let start = scope.width();
        let saved_base = std::mem::replace(&mut self.lateral_base, self.outer.len());
        let planned = self.plan_from_list(items, scope, start);
        self.lateral_base = saved_base;
        planned.map(|sources| (sources, scope.width() - start))
    }

    fn plan_from_list(&mut self, items: &[TableRef], scope: &mut Scope, start: usize) -> Result<Vec<Source>> {
        // An UPDATE's or DELETE's target (what `scope` holds before `start`) is no FROM item: the items
        // cannot read it.
        let target = (start > 0).then(|| scope.clone());
        let mut sources = Vec::with_capacity(items.len());
        for item in items {
            // A function reads the items before it when its arguments name them (PostgreSQL's implicit
            // LATERAL): it then expands each of their rows. (Not past an UPDATE's or DELETE's target, which
            // is no FROM item.)
            if let TableRef::Function { name, args, alias } = item {
                if name != "unnest" && !self.is_sql_function_item(name) && !sources.is_empty() && start == 0 {
                    let (function, args, item_scope) = self.function_item(name, args, alias.as_ref(), scope)?;
                    let reads_preceding = args.iter().any(|a| a.any(|e| matches!(e, BoundExpr::Column(_))));
                    let input = reads_preceding.then(|| match sources.len() {
                        1 => sources.pop().expect("one source"),
                        _ => Source::Cross(std::mem::take(&mut sources)),
                    });
                    scope.append(item_scope)?;
                    sources.push(Source::Function { input: input.map(Box::new), function, args });
                    continue;
                }
            }
            let refused = if is_lateral(item) { Unreachable::DmlTarget } else { Unreachable::NotLateral };
            let unreachable: Vec<(Scope, Unreachable)> = target.iter().map(|t| (t.clone(), refused)).collect();
            let left_width = scope.width() - start;
            let (source, item_scope, lateral) = if sources.is_empty() {
                let (source, item_scope) = self.with_unreachable(unreachable, |b| b.plan_table_ref(item))?;
                (source, item_scope, false)
            } else {
                self.plan_item_after(item, scope.since(start), true, unreachable)?
            };
            let right_width = item_scope.width();
            scope.append(item_scope)?;
            if !lateral {
                sources.push(source);
                continue;
            }
            let left = match sources.len() {
                1 => sources.pop().expect("one source"),
                _ => Source::Cross(std::mem::take(&mut sources)),
            };
            sources.push(Source::Join(Box::new(JoinPlan {
                kind: ast::JoinKind::Cross,
                left,
                right: source,
                left_width,
                right_width,
                condition: None,
                merged: Vec::new(),
                lateral: true,
            })));
        }
        Ok(sources)
    }

    /// A FROM item after `preceding` (the items before it in a FROM list, or a join's left side): a LATERAL
    /// item that reads them (`lateral_allowed`: not on the right of a RIGHT or FULL join) is bound with them
    /// as its outer row and runs once per row of them (true); anything else is bound on its own, unable to
    /// read them. `unreachable`: more items it cannot read.
    fn plan_item_after(
        &mut self,
        item: &TableRef,
        preceding: Scope,
        lateral_allowed: bool,
        mut unreachable: Vec<(Scope, Unreachable)>,
    ) -> Result<(Source, Scope, bool)> {
        let lateral = is_lateral(item);
        if lateral && lateral_allowed {
            let planned = self.with_unreachable(unreachable.clone(), |b| {
                b.outer.push(Scope { visibility: Visibility::Lateral { active: false }, ..preceding.clone() });
                b.outer_groups.push(None);
                let planned = b.plan_table_ref(item);
                b.outer.pop();
                b.outer_groups.pop();
                planned
            })?;
            if planned.0.reads_outer_level(1) {
                return Ok((planned.0, planned.1, true));
            }
            // It reads nothing before it after all: bound again without the level it did not use.
        }
        let refused = if lateral && !lateral_allowed { Unreachable::JoinType } else { Unreachable::NotLateral };
        unreachable.push((preceding, refused));
        let (source, scope) = self.with_unreachable(unreachable, |b| b.plan_table_ref(item))?;
        Ok((source, scope, false))
    }

    /// Runs `bind` with `scopes` unreachable (see `Binder::unreachable`).
    fn with_unreachable<T>(
        &mut self,
        scopes: Vec<(Scope, Unreachable)>,
        bind: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let depth = self.unreachable.len();
        self.unreachable.extend(scopes);
        let result = bind(self);
        self.unreachable.truncate(depth);
        result
    }

    /// Runs `bind` (a LATERAL item's query or function arguments) with the FROM items before the item
    /// readable (see `Visibility::Lateral`).
    fn as_lateral<T>(&mut self, bind: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let inactive = Visibility::Lateral { active: false };
        let activated: Vec<usize> =
            (self.lateral_base..self.outer.len()).filter(|&i| self.outer[i].visibility == inactive).collect();
        for &i in &activated {
            self.outer[i].visibility = Visibility::Lateral { active: true };
        }
        let result = bind(self);
        for &i in &activated {
            self.outer[i].visibility = inactive;
        }
        result
    }

    /// The read that finds the rows an UPDATE ... FROM or DELETE ... USING changes: the target table joined
    /// with the other items under the WHERE condition, producing `projection` per matching combination.
    fn joined_read(
        table: &Arc<Table>,
        alias: Option<&str>,
        others: Vec<Source>,
        filter: Option<BoundExpr>,
        projection: Vec<BoundExpr>,
    ) -> Box<QueryPlan> {
        let mut sources = vec![Source::Table { table: table.clone(), alias: alias.map(str::to_string) }];
        sources.extend(others);
        let columns = projection
            .iter()
            .map(|_| Column { name: "?column?".to_string(), data_type: DataType::Unknown, origin: None })
            .collect();
        Box::new(QueryPlan { filter, ..QueryPlan::over(Source::Cross(sources), projection, columns) })
    }

    /// `SET column = value | DEFAULT, ...` of UPDATE and ON CONFLICT DO UPDATE: (column, value cast to its
    /// type), values bound against `scope`.
    fn bind_assignments(
        &mut self,
        assignments: &[(String, Option<Expr>)],
        table: &Table,
        scope: &Scope,
    ) -> Result<Vec<(usize, BoundExpr)>> {
        let mut bound_assignments: Vec<(usize, BoundExpr)> = Vec::with_capacity(assignments.len());
        for (name, value) in assignments {
            let index = table.column_index(name).ok_or_else(|| {
                Error::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{name}\" of relation \"{}\" does not exist", table.name),
                )
            })?;
            if bound_assignments.iter().any(|(i, _)| *i == index) {
                return Err(Error::syntax(format!("multiple assignments to same column \"{name}\"")));
            }
            let bound = match value {
                Some(_) if table.columns[index].identity == Some(crate::catalog::Identity::Always) => {
                    return Err(identity_always_error(name, true));
                }
                Some(expr) => self.bind_assignment(expr, table, index, scope)?,
                None => match &table.columns[index].default {
                    Some(expr) => {
                        let (bound, from) = self.bind_expr(expr, &Scope::default())?;
                        self.coerce(bound, from, table.columns[index].data_type)?
                    }
                    None => BoundExpr::Literal(Value::Null),
                },
            };
            bound_assignments.push((index, bound));
        }
        Ok(bound_assignments)
    }

    /// `COPY`: FROM binds the INSERT of the copied columns, TO the query of them (or the query given).
    fn plan_copy(&mut self, copy: &ast::Copy) -> Result<Plan> {
        use crate::sql::copy::CopyColumn;
        let options = copy.options.clone();
        let (name, column_names) = match &copy.relation {
            ast::CopyRelation::Query(query) => {
                let mut query = self.plan_query(query)?;
                names_for_output(&mut query);
                let mut columns: Vec<CopyColumn> = query.columns[..query.visible]
                    .iter()
                    .map(|c| CopyColumn::new(c.name.clone(), copy_type(c.data_type)))
                    .collect();
                let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
                mark_copy_columns(&mut columns, &names, &options)?;
                return Ok(Plan::CopyTo(CopyToPlan { query, columns, options }));
            }
            ast::CopyRelation::Table { name, columns } => (name, columns),
        };
        let direction = if copy.is_from { "to" } else { "from" };
        let wrong_kind = |kind: &str, relation: &str| {
            Error::new(sqlstate::WRONG_OBJECT_TYPE, format!("cannot copy {direction} {kind} \"{relation}\""))
        };
        if let Some(view) = self.catalog.find_view(name) {
            let hint = if copy.is_from {
                "To enable copying to a view, provide an INSTEAD OF INSERT trigger."
            } else {
                "Try the COPY (SELECT ...) TO variant."
            };
            return Err(wrong_kind("view", &view.name).with_hint(hint));
        }
        if let Some(view) = self.catalog.find_materialized(name) {
            let err = wrong_kind("materialized view", &view.name);
            return Err(if copy.is_from { err } else { err.with_hint("Try the COPY (SELECT ...) TO variant.") });
        }
        if let Some(sequence) = self.catalog.sequence_named(name)? {
            return Err(wrong_kind("sequence", &sequence.name));
        }
        let table = self.catalog.table(name)?.clone();
        // The column list is checked as an INSERT's is (42703, 42701), for TO as well.
        let insert = ast::Insert {
            with: Vec::new(),
            table: name.clone(),
            columns: column_names.clone(),
            source: ast::InsertSource::Values(Vec::new()),
            overriding: Some(ast::Overriding::SystemValue),
            on_conflict: None,
            returning: Vec::new(),
        };
        let insert = self.plan_insert(&insert)?;
        let mut columns: Vec<CopyColumn> = insert
            .targets
            .iter()
            .map(|&i| CopyColumn::new(table.columns[i].name.clone(), table.columns[i].data_type))
            .collect();
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        mark_copy_columns(&mut columns, &names, &options)?;
        if copy.is_from {
            return Ok(Plan::CopyFrom(CopyFromPlan { insert, columns, options }));
        }
        let list = names.iter().map(|n| crate::sql::system::names::quote_ident(n)).collect::<Vec<_>>().join(", ");
        let schema = crate::sql::system::names::quote_ident(&table.schema);
        let sql = format!("SELECT {list} FROM {schema}.{}", crate::sql::system::names::quote_ident(&table.name));
        let query = self.plan_query(&crate::sql::parse::parse_query(&sql)?)?;
        Ok(Plan::CopyTo(CopyToPlan { query, columns, options }))
    }

    /// The table an INSERT, UPDATE or DELETE writes (a view's are bound by `view_dml`).
    fn modified_table(&self, name: &ast::ObjectName) -> Result<Arc<Table>> {
        if let Some(view) = self.catalog.find_materialized(name) {
            return Err(Error::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("cannot change materialized view \"{}\"", view.name),
            ));
        }
        Ok(self.catalog.table(name)?.clone())
    }

    /// `CREATE [OR REPLACE] VIEW`: its query is bound (so it is valid now), its columns named, and the
    /// tables and views it reads recorded; a replaced view must keep its columns' names and types, as
    /// PostgreSQL requires.
    fn plan_create_view(&mut self, create: &ast::CreateView) -> Result<ViewDefinition> {
        // A view may read a materialized view that is not populated: reading the view is the error.
        self.reads_rows = false;
        let (definition, _) = self.define_view(create, "CREATE VIEW specifies more column names than columns")?;
        if create.check_option.is_some() {
            if let Some(reason) = crate::sql::updatable::refusal(self.catalog, &create.query) {
                return Err(Error::unsupported("WITH CHECK OPTION is supported only on automatically updatable views")
                    .with_hint(reason));
            }
        }
        Ok(definition)
    }

    /// A view's definition from `CREATE VIEW` (see `plan_create_view`), with its bound query.
    /// `too_many_names`: the error for more column names than the query has columns (CREATE VIEW words it
    /// differently from CREATE TABLE AS, as PostgreSQL).
    fn define_view(&mut self, create: &ast::CreateView, too_many_names: &str) -> Result<(ViewDefinition, QueryPlan)> {
        self.catalog.check_schema_of(&create.name)?;
        self.referenced_relations.clear();
        let plan = self.plan_query(&create.query)?;
        let mut depends_on = std::mem::take(&mut self.referenced_relations);
        depends_on.sort_unstable();
        depends_on.dedup();
        if create.columns.len() > plan.visible {
            return Err(Error::syntax(too_many_names));
        }
        let columns: Vec<(String, DataType)> = plan.columns[..plan.visible]
            .iter()
            .enumerate()
            .map(|(i, c)| (create.columns.get(i).cloned().unwrap_or_else(|| c.name.clone()), c.data_type))
            .collect();
        for (i, (name, data_type)) in columns.iter().enumerate() {
            if let DataType::Record(_) = data_type {
                // A view's or table's column needs a real type (PostgreSQL's "pseudo-type record").
                return Err(Error::new(
                    sqlstate::INVALID_TABLE_DEFINITION,
                    format!("column \"{name}\" has pseudo-type {}", data_type.name()),
                ));
            }
            if columns[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(Error::new(
                    sqlstate::DUPLICATE_COLUMN,
                    format!("column \"{name}\" specified more than once"),
                ));
            }
        }
        if let Some(existing) = self.catalog.find_view(&create.name).filter(|_| create.or_replace).cloned() {
            let old = self.plan_view(&existing)?;
            if columns.len() < old.visible {
                return Err(Error::new(sqlstate::INVALID_TABLE_DEFINITION, "cannot drop columns from view"));
            }
            for (i, (name, data_type)) in columns.iter().enumerate().take(old.visible) {
                let old_name = existing.columns.get(i).map_or(&old.columns[i].name, |(name, _)| name);
                if old_name != name {
                    return Err(Error::new(
                        sqlstate::INVALID_TABLE_DEFINITION,
                        format!("cannot change name of view column \"{old_name}\" to \"{name}\""),
                    )
                    .with_hint("Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead."));
                }
                let old_type = old.columns[i].data_type;
                if old_type != *data_type {
                    let spell = |t: DataType| {
                        crate::sql::system::names::format_type(t.oid(), Some(t.typmod()).filter(|&m| m >= 0))
                    };
                    return Err(Error::new(
                        sqlstate::INVALID_TABLE_DEFINITION,
                        format!(
                            "cannot change data type of view column \"{name}\" from {} to {}",
                            spell(old_type),
                            spell(*data_type)
                        ),
                    ));
                }
            }
        }
        let definition = ViewDefinition {
            name: create.name.clone(),
            // An untyped literal's column is text, as PostgreSQL resolves it.
            columns: columns
                .into_iter()
                .map(|(name, t)| (name, if t == DataType::Unknown { DataType::Text } else { t }))
                .collect(),
            sql: create.sql.clone(),
            depends_on,
            or_replace: create.or_replace,
            check_option: create.check_option,
        };
        Ok((definition, plan))
    }

    /// `CREATE TABLE ... AS query` / `CREATE MATERIALIZED VIEW ... AS query`: a table whose columns are
    /// the query's (renamed by a column list), typed as the query's (an untyped literal's as text).
    fn plan_create_table_as(&mut self, create: &ast::CreateTableAs) -> Result<Plan> {
        // `WITH NO DATA` does not run the query.
        self.reads_rows = create.with_data;
        let (definition, query) = self.define_view(
            &ast::CreateView {
                name: create.name.clone(),
                or_replace: false,
                columns: create.columns.clone(),
                query: create.query.clone(),
                sql: create.sql.clone(),
                check_option: None,
            },
            "too many column names were specified",
        )?;
        let mut columns = Vec::with_capacity(definition.columns.len());
        for (name, data_type) in &definition.columns {
            if !data_type.is_storable() {
                return Err(Error::unsupported(format!("datatype {} not supported", data_type.name())));
            }
            columns.push(ast::ColumnDef {
                name: name.clone(),
                data_type: *data_type,
                not_null: false,
                default: None,
                identity: None,
                serial: false,
            });
        }
        let table = ast::CreateTable {
            name: create.name.clone(),
            if_not_exists: create.if_not_exists,
            temporary: create.temporary,
            columns,
            primary_key: Vec::new(),
            constraints: Vec::new(),
            storage_parameters: Vec::new(),
        };
        Ok(Plan::CreateTableAs {
            create: table,
            query: Box::new(query),
            materialized: create.materialized.then_some(definition),
            with_data: create.with_data,
        })
    }

    /// `REFRESH MATERIALIZED VIEW name`: its stored query bound again (not run `WITH NO DATA`, so then it
    /// may read materialized views that are not populated).
    fn plan_refresh(&mut self, name: &ast::ObjectName, concurrently: bool, with_data: bool) -> Result<Plan> {
        let Some(definition) = self.catalog.find_materialized(name).cloned() else {
            return Err(match self.catalog.find_table_named(name)? {
                Some(_) => Error::unsupported(format!("\"{}\" is not a materialized view", name.name)),
                None => Error::undefined_table(&crate::catalog::display_name(name)),
            });
        };
        let table = self.catalog.table(name)?.clone();
        self.reads_rows = with_data;
        let mut query = self.plan_view(&definition)?;
        // The stored query's columns may have changed type since; the table's types decide.
        for (i, column) in table.visible_columns().map(|(_, c)| c).enumerate().take(query.visible) {
            let from = query.columns[i].data_type;
            if from != column.data_type {
                let expr = std::mem::replace(&mut query.projection[i], BoundExpr::Literal(Value::Null));
                query.projection[i] = self.coerce(expr, from, column.data_type)?;
            }
        }
        Ok(Plan::RefreshMaterializedView { table, query: Box::new(query), concurrently, with_data })
    }

    /// A view's query bound where a FROM item names it: on its own, seeing none of the statement's WITH
    /// names or enclosing queries, with as many columns as the view was created with (a `*` in it does
    /// not grow when its table does, as in PostgreSQL).
    fn plan_view(&mut self, view: &crate::catalog::views::View) -> Result<QueryPlan> {
        let mut plan = self.in_view(view, |b| b.plan_query(&view.query))?;
        if plan.visible > view.columns.len() {
            plan.visible = view.columns.len();
            plan.columns = plan.columns[..plan.visible].iter().cloned().collect();
        }
        Ok(plan)
    }

    /// Runs `bind` on (part of) `view`'s query where the view's query is bound: on its own, seeing none of
    /// the statement's WITH names or enclosing queries; a view that reads itself is `42P17`.
    fn in_view<T>(
        &mut self,
        view: &crate::catalog::views::View,
        bind: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if self.expanding_views.contains(&view.id) {
            return Err(Error::new(
                sqlstate::INVALID_OBJECT_DEFINITION,
                format!("infinite recursion detected in rules for relation \"{}\"", view.name),
            ));
        }
        self.expanding_views.push(view.id);
        let common_tables = std::mem::take(&mut self.common_tables);
        let outer = std::mem::take(&mut self.outer);
        let outer_groups = std::mem::take(&mut self.outer_groups);
        let outer_refs = self.outer_refs;
        let grouping = self.grouping.take();
        let windows = self.windows.take();
        // Its names are looked up as when it was created (PostgreSQL binds them then).
        let bound = crate::catalog::schemas::with_search_path(view.search_path.clone(), || bind(self));
        self.common_tables = common_tables;
        self.outer = outer;
        self.outer_groups = outer_groups;
        self.outer_refs = outer_refs;
        self.grouping = grouping;
        self.windows = windows;
        self.expanding_views.pop();
        bound
    }

    fn plan_update(&mut self, update: &ast::Update) -> Result<UpdatePlan> {
        if let Some(view) = self.catalog.find_view(&update.table) {
            return self.plan_view_update(update, &view.clone());
        }
        let table = self.modified_table(&update.table)?;
        let alias = update.alias.as_deref();
        let mut scope = Self::table_scope(&table, alias)?;
        let (others, other_width) = self.plan_from_items(&update.from, &mut scope)?;
        self.clause = "UPDATE";
        let mut assignments = self.bind_assignments(&update.assignments, &table, &scope)?;
        let mut filter = self.bind_filter(update.filter.as_ref(), &scope)?;
        let changes_key = assignments.iter().any(|(i, _)| table.primary_key.contains(i));
        let returning = self.bind_returning_in(&update.returning, &scope)?;
        let enforce_typmod = table.columns.iter().map(|c| has_typmod(&c.data_type)).collect();
        let joined = if others.is_empty() {
            None
        } else {
            // The joined read computes the new values: its row is the table's row, the assignments' values
            // (which the assignments then just pick up), the FROM items' columns.
            let width = table.columns.len();
            let mut projection: Vec<BoundExpr> = (0..width).map(BoundExpr::Column).collect();
            for (k, (_, value)) in assignments.iter_mut().enumerate() {
                projection.push(std::mem::replace(value, BoundExpr::Column(width + k)));
            }
            projection.extend((width..width + other_width).map(BoundExpr::Column));
            Some(Self::joined_read(&table, alias, others, filter.take(), projection))
        };
        let merge_action = update.merge_action;
        Ok(UpdatePlan {
            table,
            filter,
            assignments,
            enforce_typmod,
            changes_key,
            returning,
            joined,
            view_check: None,
            merge_action,
        })
    }

    fn plan_delete(&mut self, delete: &ast::Delete) -> Result<DeletePlan> {
        if let Some(view) = self.catalog.find_view(&delete.table) {
            return self.plan_view_delete(delete, &view.clone());
        }
        let table = self.modified_table(&delete.table)?;
        let alias = delete.alias.as_deref();
        let mut scope = Self::table_scope(&table, alias)?;
        let (others, other_width) = self.plan_from_items(&delete.using, &mut scope)?;
        let mut filter = self.bind_filter(delete.filter.as_ref(), &scope)?;
        let returning = self.bind_returning_in(&delete.returning, &scope)?;
        let joined = if others.is_empty() {
            None
        } else {
            let projection = (0..table.columns.len() + other_width).map(BoundExpr::Column).collect();
            Some(Self::joined_read(&table, alias, others, filter.take(), projection))
        };
        Ok(DeletePlan { table, filter, returning, joined, merge_action: delete.merge_action })
    }

    fn bind_filter(&mut self, filter: Option<&Expr>, scope: &Scope) -> Result<Option<BoundExpr>> {
        let Some(filter) = filter else { return Ok(None) };
        self.clause = "WHERE";
        let (bound, data_type) = self.bind_expr(filter, scope)?;
        Ok(Some(self.coerce_bool(bound, data_type, "WHERE")?))
    }

    /// Coerces a condition to boolean: 42804 `argument of WHERE must be type boolean, not type integer`.
    fn coerce_bool(&mut self, expr: BoundExpr, data_type: DataType, what: &str) -> Result<BoundExpr> {
        match data_type {
            DataType::Bool => Ok(expr),
            DataType::Unknown => self.coerce(expr, data_type, DataType::Bool),
            other => Err(Error::datatype_mismatch(format!(
                "argument of {what} must be type boolean, not type {}",
                other.name()
            ))),
        }
    }

    // ---- queries ----

    fn plan_query(&mut self, query: &ast::Query) -> Result<QueryPlan> {
        crate::stack::check()?;
        let scope = self.common_tables.len();
        let planned = self.plan_with(&query.with).and_then(|()| self.plan_query_body(query));
        self.common_tables.truncate(scope);
        planned
    }

    /// Brings a WITH list's names into scope, checking each query once where it is defined (PostgreSQL
    /// reports an error in a query nothing references, too).
    fn plan_with(&mut self, with: &[ast::CommonTableExpr]) -> Result<()> {
        let top_level = std::mem::take(&mut self.top_level_with);
        let scope = self.common_tables.len();
        for cte in with {
            let name = &cte.alias.name;
            if self.common_tables[scope..].iter().any(|t| &t.cte.alias.name == name) {
                return Err(Error::new(
                    sqlstate::DUPLICATE_ALIAS,
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
            if let Some(statement) = &cte.modifying {
                if !top_level {
                    return Err(Error::unsupported(
                        "WITH clause containing a data-modifying statement must be at the top level",
                    ));
                }
                let modifying = self.plan_modifying_cte(cte, statement)?;
                self.common_tables.push(CommonTable {
                    cte: cte.clone(),
                    outer_depth: self.outer.len(),
                    self_reference: None,
                    modifying: Some(modifying),
                });
                continue;
            }
            let saved_grouping = self.grouping.take();
            let plan = self.plan_cte_query(cte);
            self.grouping = saved_grouping;
            let plan = plan?;
            if cte.alias.columns.len() > plan.visible {
                return Err(Error::new(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    format!(
                        "WITH query \"{name}\" has {} columns available but {} columns specified",
                        plan.visible,
                        cte.alias.columns.len()
                    ),
                ));
            }
            self.common_tables.push(CommonTable {
                cte: cte.clone(),
                outer_depth: self.outer.len(),
                self_reference: None,
                modifying: None,
            });
        }
        Ok(())
    }

    /// `name AS (INSERT / UPDATE / DELETE ...)`: the statement bound on its own (it sees the WITH names
    /// before it), kept to run once; returns its work table id and RETURNING columns.
    fn plan_modifying_cte(
        &mut self,
        cte: &ast::CommonTableExpr,
        statement: &ast::Statement,
    ) -> Result<(usize, Option<Vec<ScopeColumn>>)> {
        let outer_reads = std::mem::take(&mut self.modifying_reads);
        let planned = if cte.recursive {
            self.with_self_reference(cte, SelfReference::Refused(MODIFYING_RECURSION), |b| {
                b.plan_modification(statement)
            })
            .0
        } else {
            self.plan_modification(statement)
        };
        let reads = std::mem::replace(&mut self.modifying_reads, outer_reads);
        let plan = planned?;
        let returning = match &plan {
            Plan::Insert(InsertPlan { returning, .. })
            | Plan::Update(UpdatePlan { returning, .. })
            | Plan::Delete(DeletePlan { returning, .. }) => returning,
            _ => return Err(Error::internal("a data-modifying WITH query is no INSERT, UPDATE or DELETE")),
        };
        let columns: Option<Vec<ScopeColumn>> = returning.as_ref().map(|r| {
            r.columns
                .iter()
                .map(|c| ScopeColumn { name: c.name.clone(), data_type: c.data_type, hidden: false, origin: None })
                .collect()
        });
        let available = columns.as_ref().map_or(0, Vec::len);
        if cte.alias.columns.len() > available {
            return Err(Error::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                format!(
                    "WITH query \"{}\" has {available} columns available but {} columns specified",
                    cte.alias.name,
                    cte.alias.columns.len()
                ),
            ));
        }
        let id = self.next_work_table_id;
        self.next_work_table_id += 1;
        let modifying = ModifyingCte { id, name: cte.alias.name.clone(), plan: Box::new(plan), before: false };
        self.modifying_ctes.push((modifying, reads));
        Ok((id, columns))
    }

    /// INSERT, UPDATE or DELETE with the names of its WITH list in scope.
    fn plan_modification(&mut self, statement: &ast::Statement) -> Result<Plan> {
        let scope = self.common_tables.len();
        let planned = (|| {
            Ok(match statement {
                ast::Statement::Insert(insert) => {
                    self.plan_with(&insert.with)?;
                    Plan::Insert(self.plan_insert(insert)?)
                }
                ast::Statement::Update(update) => {
                    self.plan_with(&update.with)?;
                    Plan::Update(self.plan_update(update)?)
                }
                ast::Statement::Delete(delete) => {
                    self.plan_with(&delete.with)?;
                    Plan::Delete(self.plan_delete(delete)?)
                }
                _ => return Err(Error::internal("not INSERT, UPDATE or DELETE")),
            })
        })();
        self.common_tables.truncate(scope);
        planned
    }

    /// The statement's plan, wrapped with its data-modifying WITH queries when it has some: those the
    /// main statement reads (directly, or through other WITH queries) run before it, the rest after.
    fn with_modifying_ctes(&mut self, plan: Plan) -> Plan {
        if self.modifying_ctes.is_empty() {
            return plan;
        }
        let mut parts = std::mem::take(&mut self.modifying_ctes);
        let mut pending = std::mem::take(&mut self.modifying_reads);
        while let Some(id) = pending.pop() {
            if let Some((cte, reads)) = parts.iter_mut().find(|(cte, _)| cte.id == id) {
                if !cte.before {
                    cte.before = true;
                    pending.extend(reads.iter().copied());
                }
            }
        }
        Plan::WithModifying { ctes: parts.into_iter().map(|(cte, _)| cte).collect(), main: Box::new(plan) }
    }

    /// A FROM item naming a data-modifying WITH query: its RETURNING rows.
    fn plan_modifying_reference(&mut self, index: usize, alias: Option<&ast::TableAlias>) -> Result<(Source, Scope)> {
        let entry = &self.common_tables[index];
        let name = entry.cte.alias.name.clone();
        let Some((id, Some(columns))) = entry.modifying.clone() else {
            return Err(Error::unsupported(format!("WITH query \"{name}\" does not have a RETURNING clause")));
        };
        let names = columns.iter().map(|c| c.name.clone()).collect();
        let names = renamed_by_alias(renamed_by_alias(names, Some(&entry.cte.alias)), alias);
        let columns: Vec<ScopeColumn> =
            columns.into_iter().zip(&names).map(|(c, name)| ScopeColumn { name: name.clone(), ..c }).collect();
        self.modifying_reads.push(id);
        let mut scope = Scope::default();
        scope.push(Some(alias.map_or_else(|| name.clone(), |a| a.name.clone())), columns)?;
        Ok((Source::WorkTable { id, modifying: true, name, columns: names }, scope))
    }

    /// A common table expression's query; in a `WITH RECURSIVE` list one of the form `non-recursive term
    /// UNION [ALL] recursive term` whose recursive term reads the query's own name is a recursive union.
    fn plan_cte_query(&mut self, cte: &ast::CommonTableExpr) -> Result<QueryPlan> {
        let query = &cte.query;
        if !cte.recursive {
            return self.plan_query(query);
        }
        let ast::QueryBody::SetOperation { op: ast::SetOperator::Union, all, left, right } = &query.body else {
            return self
                .with_self_reference(cte, SelfReference::Refused(NOT_RECURSIVE_FORM), |b| b.plan_query(query))
                .0;
        };
        let scope = self.common_tables.len();
        let planned = self.plan_with(&query.with).and_then(|()| self.plan_recursive_union(cte, *all, left, right));
        self.common_tables.truncate(scope);
        match planned? {
            Some(plan) => Ok(plan),
            // The recursive term does not read the query after all: an ordinary UNION.
            None => self.plan_query(query),
        }
    }

    /// `WITH RECURSIVE name AS (left UNION [ALL] right)`: None when `right` does not read `name`.
    fn plan_recursive_union(
        &mut self,
        cte: &ast::CommonTableExpr,
        all: bool,
        left: &ast::Query,
        right: &ast::Query,
    ) -> Result<Option<QueryPlan>> {
        let name = &cte.alias.name;
        let recursion_error = |message: String| Error::new(sqlstate::INVALID_RECURSION, message);
        for (present, clause) in [
            (!cte.query.order_by.is_empty(), "ORDER BY"),
            (cte.query.limit.is_some(), "LIMIT"),
            (cte.query.offset.is_some(), "OFFSET"),
            (cte.query.locking.is_some(), "FOR UPDATE/SHARE"),
        ] {
            if present {
                return Err(Error::unsupported(format!("{clause} in a recursive query is not implemented")));
            }
        }
        let anchor =
            self.with_self_reference(cte, SelfReference::Refused(IN_NON_RECURSIVE_TERM), |b| b.plan_query(left)).0?;
        let columns = derived_columns(&anchor, &cte.alias.columns)
            .into_iter()
            .map(|column| ScopeColumn { origin: None, ..column })
            .collect();
        let id = self.next_work_table_id;
        self.next_work_table_id += 1;
        // Bound as a set operand: its untyped literals take the non-recursive term's types.
        let (recursive, reference) =
            self.with_self_reference(cte, SelfReference::WorkTable { id, columns, uses: 0 }, |b| {
                b.set_operand = true;
                let plan = b.plan_query(right);
                b.set_operand = false;
                plan
            });
        let mut recursive = recursive?;
        if !matches!(reference, SelfReference::WorkTable { uses: 1.., .. }) {
            return Ok(None);
        }
        if anchor.visible != recursive.visible {
            return Err(Error::syntax("each UNION query must have the same number of columns"));
        }
        if recursive.aggregate.is_some() {
            return Err(recursion_error(
                "aggregate functions are not allowed in a recursive query's recursive term".into(),
            ));
        }
        if !recursive.windows.is_empty() {
            return Err(recursion_error(
                "window functions are not allowed in a recursive query's recursive term".into(),
            ));
        }
        // The non-recursive term decides the types; the recursive term's rows are cast to them.
        for i in 0..anchor.visible {
            let (want, got) = (anchor.columns[i].data_type, recursive.columns[i].data_type);
            if want == got {
                continue;
            }
            if got != DataType::Unknown && scalar::common_type(&want, &got) != Some(want) {
                let overall = scalar::common_type(&want, &got).map_or_else(|| got.name(), |t| t.name());
                return Err(Error::datatype_mismatch(format!(
                    "recursive query \"{name}\" column {} has type {} in non-recursive term but type {overall} overall",
                    i + 1,
                    want.name(),
                ))
                .with_hint("Cast the output of the non-recursive term to the correct type."));
            }
            let expr = std::mem::replace(&mut recursive.projection[i], BoundExpr::Literal(Value::Null));
            recursive.projection[i] = self.coerce(expr, got, want)?;
            let mut columns = recursive.columns.to_vec();
            columns[i].data_type = want;
            recursive.columns = Arc::from(columns);
        }
        let width = anchor.visible;
        let columns: Arc<[Column]> =
            anchor.columns[..width].iter().map(|c| Column { origin: None, ..c.clone() }).collect();
        let source =
            Source::RecursiveUnion { work_table: id, all, anchor: Box::new(anchor), recursive: Box::new(recursive) };
        Ok(Some(QueryPlan::over(source, (0..width).map(BoundExpr::Column).collect(), columns)))
    }

    /// Runs `bind` with `cte`'s own name in scope meaning `reference`; returns what `bind` returned and the
    /// reference as it was left (with its use count).
    fn with_self_reference<T>(
        &mut self,
        cte: &ast::CommonTableExpr,
        reference: SelfReference,
        bind: impl FnOnce(&mut Self) -> Result<T>,
    ) -> (Result<T>, SelfReference) {
        let depth = self.common_tables.len();
        self.common_tables.push(CommonTable {
            cte: cte.clone(),
            outer_depth: self.outer.len(),
            self_reference: Some(reference),
            modifying: None,
        });
        let result = bind(self);
        self.common_tables.truncate(depth + 1);
        let entry = self.common_tables.pop().expect("pushed above");
        (result, entry.self_reference.expect("set above"))
    }

    /// A FROM item naming a `WITH RECURSIVE` query inside its own definition: the work table, or the
    /// error PostgreSQL gives for a reference where it cannot be.
    fn plan_self_reference(&mut self, index: usize, alias: Option<&ast::TableAlias>) -> Result<(Source, Scope)> {
        let outer_depth = self.outer.len();
        let entry = &mut self.common_tables[index];
        let name = entry.cte.alias.name.clone();
        let recursion_error = |what: &str| Error::new(sqlstate::INVALID_RECURSION, what.replace("{name}", &name));
        let (id, columns) = match entry.self_reference.as_mut().expect("a self reference") {
            SelfReference::Refused(message) => return Err(recursion_error(message)),
            SelfReference::WorkTable { .. } if entry.outer_depth != outer_depth => {
                return Err(recursion_error(
                    "recursive reference to query \"{name}\" must not appear within a subquery",
                ))
            }
            SelfReference::WorkTable { id, columns, uses } => {
                *uses += 1;
                if *uses > 1 {
                    return Err(recursion_error(
                        "recursive reference to query \"{name}\" must not appear more than once",
                    ));
                }
                (*id, columns.clone())
            }
        };
        let renames = alias.map(|a| a.columns.as_slice()).unwrap_or(&[]);
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(i, column)| ScopeColumn { name: renames.get(i).cloned().unwrap_or(column.name), ..column })
            .collect::<Vec<_>>();
        let names = columns.iter().map(|c| c.name.clone()).collect();
        let mut scope = Scope::default();
        let item_name = alias.map_or_else(|| name.clone(), |a| a.name.clone());
        scope.push(Some(item_name.clone()), columns)?;
        Ok((Source::WorkTable { id, modifying: false, name: item_name, columns: names }, scope))
    }

    /// The common table expression a FROM item names, if any (the innermost of that name).
    fn common_table(&self, name: &ast::ObjectName) -> Option<usize> {
        if name.schema.is_some() {
            return None;
        }
        self.common_tables.iter().rposition(|t| t.cte.alias.name == name.name)
    }

    /// A reference to the common table expression at `index`: its query bound again as a FROM subquery,
    /// seeing only the names defined before it.
    fn plan_common_table(&mut self, index: usize) -> Result<QueryPlan> {
        let entry = self.common_tables[index].clone();
        let later = self.common_tables.split_off(index);
        let deeper = self.outer.split_off(entry.outer_depth.min(self.outer.len()));
        let deeper_groups = self.outer_groups.split_off(entry.outer_depth.min(self.outer_groups.len()));
        let saved_lowest = std::mem::replace(&mut self.lowest_outer_level, usize::MAX);
        let saved_grouping = self.grouping.take();
        let plan = self.plan_cte_query(&entry.cte);
        self.grouping = saved_grouping;
        let reached = self.lowest_outer_level;
        self.lowest_outer_level = saved_lowest.min(reached);
        self.outer.extend(deeper.iter().cloned());
        self.outer_groups.extend(deeper_groups);
        self.common_tables.extend(later);
        let plan = plan?;
        // Its outer references count levels from where it was defined, not from here.
        if !deeper.is_empty() && reached < entry.outer_depth {
            return Err(Error::unsupported(format!(
                "WITH query \"{}\" that reads an enclosing query's columns, referenced from a nested subquery, \
                 is not supported yet",
                entry.cte.alias.name
            )));
        }
        Ok(plan)
    }

    fn plan_query_body(&mut self, query: &ast::Query) -> Result<QueryPlan> {
        let set_operand = std::mem::take(&mut self.set_operand);
        match &query.body {
            ast::QueryBody::Values(rows) => self.plan_values(rows, query),
            ast::QueryBody::Select(select) => self.plan_select(select, query, set_operand),
            ast::QueryBody::SetOperation { op, all, left, right } => {
                self.plan_set_operation(*op, *all, left, right, query)
            }
        }
    }

    /// `left UNION / INTERSECT / EXCEPT [ALL] right` with the enclosing query's ORDER BY / LIMIT / OFFSET.
    fn plan_set_operation(
        &mut self,
        op: ast::SetOperator,
        all: bool,
        left: &ast::Query,
        right: &ast::Query,
        query: &ast::Query,
    ) -> Result<QueryPlan> {
        let op_name = op.name();
        self.set_operand = true;
        let left = self.plan_query(left);
        self.set_operand = false;
        let mut left = left?;
        self.set_operand = true;
        let right = self.plan_query(right);
        self.set_operand = false;
        let mut right = right?;
        if left.visible != right.visible {
            return Err(Error::syntax(format!("each {op_name} query must have the same number of columns")));
        }
        let mut columns = Vec::with_capacity(left.visible);
        for i in 0..left.visible {
            let (left_type, right_type) = (left.columns[i].data_type, right.columns[i].data_type);
            let mut common = scalar::common_type(&left_type, &right_type).ok_or_else(|| {
                Error::datatype_mismatch(format!(
                    "{op_name} types {} and {} cannot be matched",
                    left_type.name(),
                    right_type.name()
                ))
            })?;
            if common == DataType::Unknown {
                common = DataType::Text;
            }
            for (side, from) in [(&mut left, left_type), (&mut right, right_type)] {
                if from != common {
                    let expr = std::mem::replace(&mut side.projection[i], BoundExpr::Literal(Value::Null));
                    side.projection[i] = self.coerce(expr, from, common)?;
                    let mut side_columns = side.columns.to_vec();
                    side_columns[i].data_type = common;
                    side.columns = Arc::from(side_columns);
                }
            }
            columns.push(Column { name: left.columns[i].name.clone(), data_type: common, origin: None });
        }
        self.clause = "ORDER BY";
        let mut order_by = Vec::with_capacity(query.order_by.len());
        for item in &query.order_by {
            let column = match strip_position(&item.expr) {
                Expr::Literal(Literal::Number(Value::Int(n), _)) => {
                    if *n < 1 || *n as usize > columns.len() {
                        return Err(Error::new(
                            sqlstate::INVALID_COLUMN_REFERENCE,
                            format!("ORDER BY position {n} is not in select list"),
                        ));
                    }
                    *n as usize - 1
                }
                Expr::Column { table: None, name } => match columns.iter().position(|c| &c.name == name) {
                    Some(position) => position,
                    None => return Err(Error::undefined_column(name)),
                },
                _ => {
                    return Err(Error::unsupported("invalid UNION/INTERSECT/EXCEPT ORDER BY clause")
                        .with_detail("Only result column names can be used, not expressions or functions.")
                        .with_hint(
                            "Add the expression/function to every SELECT, or move the UNION into a FROM clause.",
                        ))
                }
            };
            order_by.push(SortKey {
                column,
                descending: item.descending,
                nulls_first: item.nulls_first.unwrap_or(item.descending),
            });
        }
        let limit = self.bind_limit(query.limit.as_ref(), "LIMIT")?;
        let offset = self.bind_limit(query.offset.as_ref(), "OFFSET")?;
        let width = columns.len();
        if let Some(lock) = query.locking {
            return Err(Error::unsupported(format!("{} is not allowed with UNION/INTERSECT/EXCEPT", lock.sql())));
        }
        let source = Source::SetOperation { op, all, left: Box::new(left), right: Box::new(right) };
        let projection = (0..width).map(BoundExpr::Column).collect();
        Ok(QueryPlan { order_by, limit, offset, ..QueryPlan::over(source, projection, Arc::from(columns)) })
    }

    fn plan_values(&mut self, rows: &[Vec<Expr>], query: &ast::Query) -> Result<QueryPlan> {
        self.clause = "VALUES";
        let width = rows.first().map(|r| r.len()).unwrap_or(0);
        let mut bound_rows = Vec::with_capacity(rows.len());
        let mut types = vec![DataType::Unknown; width];
        for row in rows {
            if row.len() != width {
                return Err(Error::syntax("VALUES lists must all be the same length"));
            }
            let mut bound_row = Vec::with_capacity(width);
            for (i, expr) in row.iter().enumerate() {
                let (bound, data_type) = self.bind_expr(expr, &Scope::default())?;
                types[i] = scalar::common_type(&types[i], &data_type).ok_or_else(|| {
                    Error::datatype_mismatch(format!(
                        "VALUES types {} and {} cannot be matched",
                        types[i].name(),
                        data_type.name()
                    ))
                })?;
                bound_row.push((bound, data_type));
            }
            bound_rows.push(bound_row);
        }
        let types: Vec<DataType> =
            types.into_iter().map(|t| if t == DataType::Unknown { DataType::Text } else { t }).collect();
        let mut source_rows = Vec::with_capacity(bound_rows.len());
        for row in bound_rows {
            let mut coerced = Vec::with_capacity(width);
            for (i, (bound, from)) in row.into_iter().enumerate() {
                coerced.push(self.coerce(bound, from, types[i])?);
            }
            source_rows.push(coerced);
        }
        let mut scope = Scope::default();
        let columns: Vec<ScopeColumn> = types
            .iter()
            .enumerate()
            .map(|(i, t)| ScopeColumn { name: format!("column{}", i + 1), data_type: *t, hidden: false, origin: None })
            .collect();
        scope.push(Some("*VALUES*".into()), columns)?;
        let items: Vec<SelectItem> = vec![SelectItem::Wildcard];
        self.finish_query(Source::Values(source_rows), scope, None, &items, &[], &[], None, false, &[], query, false)
    }

    fn plan_select(&mut self, select: &ast::Select, query: &ast::Query, set_operand: bool) -> Result<QueryPlan> {
        let (source, scope) = self.plan_from(select)?;
        let filter = self.bind_filter(select.filter.as_ref(), &scope)?;
        self.finish_query(
            source,
            scope,
            filter,
            &select.projection,
            &select.group_by,
            &select.grouping_sets,
            select.having.as_ref(),
            select.distinct,
            &select.distinct_on,
            query,
            set_operand,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_query(
        &mut self,
        source: Source,
        scope: Scope,
        filter: Option<BoundExpr>,
        items: &[SelectItem],
        group_by: &[Expr],
        grouping_sets: &[Vec<usize>],
        having: Option<&Expr>,
        distinct: bool,
        distinct_on: &[Expr],
        query: &ast::Query,
        keep_unknown_outputs: bool,
    ) -> Result<QueryPlan> {
        let grouped = !group_by.is_empty()
            || having.is_some()
            || items.iter().any(|i| matches!(i, SelectItem::Expr { expr, .. } if contains_aggregate(expr)))
            || query.order_by.iter().any(|o| contains_aggregate(&o.expr));
        let saved_grouping = self.grouping.take();
        if grouped {
            self.clause = "GROUP BY";
            let mut grouping = Grouping {
                sets: grouping_sets.to_vec(),
                group_asts: Vec::new(),
                group_bound: Vec::new(),
                aggregates: Vec::new(),
                aggregate_asts: Vec::new(),
                aggregate_types: Vec::new(),
            };
            for expr in group_by {
                let expr = self.resolve_group_reference(expr, items, &scope)?;
                let bound = self.bind_expr(&expr, &scope)?;
                crate::sql::json::check_equality(&bound.1)?;
                grouping.group_asts.push(strip_positions(&expr));
                grouping.group_bound.push(bound);
            }
            self.grouping = Some(grouping);
        }
        self.clause = "SELECT";
        let saved_windows = self.windows.replace(Vec::new());
        let saved_keep = std::mem::replace(&mut self.keep_unknown_outputs, keep_unknown_outputs);
        let saved_functions = std::mem::replace(&mut self.select_list_functions, (!grouped).then(Vec::new));
        let zipped = (!grouped).then(|| ZippedCalls::of_select_list(items)).flatten();
        let saved_zipped = std::mem::replace(&mut self.zipped_calls, zipped);
        let projected = self.bind_projection(items, &scope);
        self.zipped_calls = saved_zipped;
        let select_list_functions =
            std::mem::replace(&mut self.select_list_functions, saved_functions).unwrap_or_default();
        self.keep_unknown_outputs = saved_keep;
        let (mut projection, columns) = match projected {
            Ok(projected) => projected,
            Err(err) => {
                self.windows = saved_windows;
                return Err(err);
            }
        };
        let visible = projection.len();
        // A set-returning function in the select list reads each FROM row (PostgreSQL's ProjectSet): the
        // FROM source becomes its input, and its column follows the FROM row.
        let mut source = source;
        if !select_list_functions.is_empty() {
            if select_list_functions.len() > 1 || self.windows.as_ref().is_some_and(|w| !w.is_empty()) {
                self.windows = saved_windows;
                return Err(Error::unsupported(
                    "more than one set-returning function, or one with window functions, in a select list",
                ));
            }
            let width = scope.width();
            // The one call's columns (several for zipped calls) follow the FROM row.
            let place = |c: usize| {
                if (SELECT_LIST_FUNCTIONS..WINDOW_RESULTS).contains(&c) {
                    width + (c - SELECT_LIST_FUNCTIONS)
                } else {
                    c
                }
            };
            for expr in &mut projection {
                *expr = expr.map_columns(&place);
            }
            source = match select_list_functions.into_iter().next().expect("one call") {
                SelectListCall::Builtin(function, args) => {
                    let input = (!matches!(source, Source::Single)).then(|| Box::new(source));
                    Source::Function { input, function, args }
                }
                // A SQL function's rows: its query run for each FROM row, which it reads as its outer row.
                SelectListCall::Sql(rows) => Source::Join(Box::new(JoinPlan {
                    kind: ast::JoinKind::Cross,
                    left: source,
                    right_width: rows.columns.len(),
                    right: Source::Subquery(rows),
                    left_width: width,
                    condition: None,
                    merged: Vec::new(),
                    lateral: true,
                })),
            };
        }
        if distinct {
            if let Some(err) = columns.iter().find_map(|c| crate::sql::json::check_equality(&c.data_type).err()) {
                self.windows = saved_windows;
                return Err(err);
            }
        }
        let windows_so_far = self.windows.take();
        let having = match having {
            Some(expr) => {
                self.clause = "HAVING";
                let (bound, data_type) = self.bind_expr(expr, &scope)?;
                Some(self.coerce_bool(bound, data_type, "HAVING")?)
            }
            None => None,
        };
        self.windows = windows_so_far;
        self.clause = "ORDER BY";
        let mut order_by = Vec::with_capacity(query.order_by.len());
        for item in &query.order_by {
            let column = match self.bind_sort_key(&item.expr, &columns, &mut projection, &scope, distinct) {
                Ok(column) => column,
                Err(err) => {
                    self.windows = saved_windows;
                    return Err(err);
                }
            };
            order_by.push(SortKey {
                column,
                descending: item.descending,
                nulls_first: item.nulls_first.unwrap_or(item.descending),
            });
        }
        let mut on_columns = Vec::with_capacity(distinct_on.len());
        for expr in distinct_on {
            // An ORDER BY key written the same is the same column (binding it again would give a subquery
            // in it another identity).
            let stripped = strip_positions(expr);
            if let Some(k) = query.order_by.iter().position(|o| strip_positions(&o.expr) == stripped) {
                on_columns.push(order_by[k].column);
                continue;
            }
            match self.bind_sort_key(expr, &columns, &mut projection, &scope, false) {
                Ok(column) => on_columns.push(column),
                Err(err) => {
                    self.windows = saved_windows;
                    return Err(err);
                }
            }
        }
        // PostgreSQL: the leading ORDER BY keys must be DISTINCT ON's expressions (in any order), so that
        // "the first row of each group" is well defined.
        if order_by.iter().take(on_columns.len()).any(|key| !on_columns.contains(&key.column)) {
            self.windows = saved_windows;
            return Err(Error::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
            ));
        }
        let windows = std::mem::replace(&mut self.windows, saved_windows).unwrap_or_default();
        if !windows.is_empty() {
            // The window results follow the row they are computed over: the FROM row, or after grouping the
            // group keys and aggregates.
            let row_width = match &self.grouping {
                Some(grouping) => grouping.group_bound.len() + grouping.aggregates.len(),
                None => scope.width(),
            };
            let place = |c: usize| if c >= WINDOW_RESULTS { row_width + (c - WINDOW_RESULTS) } else { c };
            for expr in &mut projection {
                *expr = expr.map_columns(&place);
            }
        }
        let aggregate = match self.grouping.take() {
            Some(grouping) => Some(AggregatePlan {
                group_by: grouping.group_bound.into_iter().map(|(e, _)| e).collect(),
                grouping_sets: grouping.sets,
                aggregates: grouping.aggregates,
                having,
            }),
            None => None,
        };
        self.grouping = saved_grouping;
        self.clause = "LIMIT";
        let limit = self.bind_limit(query.limit.as_ref(), "LIMIT")?;
        let offset = self.bind_limit(query.offset.as_ref(), "OFFSET")?;
        if let Some(lock) = query.locking {
            // PostgreSQL's CheckSelectLocking, in its order.
            let refusal = if distinct || !on_columns.is_empty() {
                Some("DISTINCT clause")
            } else if aggregate.as_ref().is_some_and(|a| !a.group_by.is_empty()) {
                Some("GROUP BY clause")
            } else if aggregate.is_some() {
                Some("aggregate functions")
            } else {
                None
            };
            if let Some(what) = refusal {
                return Err(Error::unsupported(format!("{} is not allowed with {what}", lock.sql())));
            }
        }
        Ok(QueryPlan {
            source,
            filter,
            aggregate,
            projection,
            visible,
            distinct,
            order_by,
            limit,
            offset,
            columns: Arc::from(columns),
            windows,
            distinct_on: on_columns,
            locking: query.locking,
        })
    }

    fn bind_limit(&mut self, expr: Option<&Expr>, what: &'static str) -> Result<Option<BoundExpr>> {
        let Some(expr) = expr else { return Ok(None) };
        self.clause = what;
        let (bound, from) = self.bind_expr(expr, &Scope::default())?;
        if !(from.is_integer() || from == DataType::Unknown || from.is_numeric_family()) {
            return Err(Error::datatype_mismatch(format!(
                "argument of {what} must be type bigint, not type {}",
                from.name()
            )));
        }
        Ok(Some(self.coerce(bound, from, DataType::Int8)?))
    }

    /// GROUP BY 1 and GROUP BY output_alias refer to select-list items, as in PostgreSQL.
    fn resolve_group_reference(&mut self, expr: &Expr, items: &[SelectItem], scope: &Scope) -> Result<Expr> {
        match strip_position(expr) {
            Expr::Literal(Literal::Number(Value::Int(n), _)) => {
                let index = *n as usize;
                match items.get(index.wrapping_sub(1)) {
                    Some(SelectItem::Expr { expr, .. }) if *n >= 1 => Ok(expr.clone()),
                    _ => Err(Error::new(
                        sqlstate::INVALID_COLUMN_REFERENCE,
                        format!("GROUP BY position {n} is not in select list"),
                    )),
                }
            }
            Expr::Column { table: None, name } if scope.resolve(None, name)?.is_none() => {
                for item in items {
                    if let SelectItem::Expr { expr, alias: Some(alias) } = item {
                        if alias == name {
                            return Ok(expr.clone());
                        }
                    }
                }
                Ok(expr.clone())
            }
            _ => Ok(expr.clone()),
        }
    }

    /// Binds one ORDER BY key to a column of the projected row, adding a hidden column when needed.
    fn bind_sort_key(
        &mut self,
        expr: &Expr,
        columns: &[Column],
        projection: &mut Vec<BoundExpr>,
        scope: &Scope,
        distinct: bool,
    ) -> Result<usize> {
        match strip_position(expr) {
            Expr::Literal(Literal::Number(Value::Int(n), _)) => {
                if *n >= 1 && (*n as usize) <= columns.len() {
                    crate::sql::json::check_ordering(&columns[*n as usize - 1].data_type)?;
                    return Ok(*n as usize - 1);
                }
                return Err(Error::new(
                    sqlstate::INVALID_COLUMN_REFERENCE,
                    format!("ORDER BY position {n} is not in select list"),
                ));
            }
            Expr::Column { table: None, name } => {
                let matches: Vec<usize> =
                    columns.iter().enumerate().filter(|(_, c)| &c.name == name).map(|(i, _)| i).collect();
                if matches.len() > 1 {
                    // Several output columns share the name: fine if they are the same expression.
                    let first = &projection[matches[0]];
                    if matches.iter().any(|&i| &projection[i] != first) {
                        return Err(Error::new(
                            sqlstate::AMBIGUOUS_COLUMN,
                            format!("ORDER BY \"{name}\" is ambiguous"),
                        ));
                    }
                }
                if let Some(&first) = matches.first() {
                    crate::sql::json::check_ordering(&columns[first].data_type)?;
                    return Ok(first);
                }
            }
            _ => {}
        }
        let (bound, data_type) = self.bind_expr(expr, scope)?;
        crate::sql::json::check_ordering(&data_type)?;
        if let Some(position) = projection.iter().position(|p| *p == bound) {
            return Ok(position);
        }
        if distinct {
            return Err(Error::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
            ));
        }
        projection.push(bound);
        Ok(projection.len() - 1)
    }

    /// Binds a select list (or RETURNING list), expanding `*`.
    fn bind_projection(&mut self, items: &[SelectItem], scope: &Scope) -> Result<(Vec<BoundExpr>, Vec<Column>)> {
        let mut projection = Vec::with_capacity(items.len());
        let mut columns = Vec::with_capacity(items.len());
        for item in items {
            match item {
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => {
                    let qualifier = match item {
                        SelectItem::QualifiedWildcard(name) => {
                            if !scope.has_item(name) {
                                return Err(Error::new(
                                    sqlstate::UNDEFINED_TABLE,
                                    format!("missing FROM-clause entry for table \"{name}\""),
                                ));
                            }
                            Some(name.as_str())
                        }
                        _ => None,
                    };
                    if qualifier.is_none() && scope.items.is_empty() {
                        return Err(Error::syntax("SELECT * with no tables specified is not valid"));
                    }
                    for scope_item in &scope.items {
                        if qualifier.is_some() && scope_item.name.as_deref() != qualifier {
                            continue;
                        }
                        for (i, column) in scope_item.columns.iter().enumerate() {
                            if column.hidden
                                || scope_item.is_system_column(i)
                                || (qualifier.is_none() && scope_item.merged.contains(&i))
                            {
                                continue;
                            }
                            let index = scope_item.offset + i;
                            let display = match &scope_item.name {
                                Some(item) => format!("{item}.{}", column.name),
                                None => column.name.clone(),
                            };
                            let bound = self.map_input_column(index, column.data_type, &display)?;
                            projection.push(bound);
                            columns.push(Column {
                                name: column.name.clone(),
                                data_type: column.data_type,
                                origin: column.origin,
                            });
                        }
                    }
                }
                SelectItem::Expr { expr, alias } => {
                    let keep_unknown = std::mem::take(&mut self.keep_unknown_outputs);
                    let bound = self.bind_expr(expr, scope);
                    self.keep_unknown_outputs = keep_unknown;
                    let (bound, data_type) = bound?;
                    let (bound, data_type) = if data_type == DataType::Unknown && !keep_unknown {
                        (self.coerce(bound, data_type, DataType::Text)?, DataType::Text)
                    } else {
                        (bound, data_type)
                    };
                    let name = alias.clone().unwrap_or_else(|| column_name(expr).0);
                    // A plain column reference keeps its table column's identity (RowDescription).
                    let origin = match strip_position(expr) {
                        Expr::Column { table, name } => {
                            scope.resolve(table.as_deref(), name)?.and_then(|(index, _)| scope.origin_of(index))
                        }
                        _ => None,
                    };
                    projection.push(bound);
                    columns.push(Column { name, data_type, origin });
                }
            }
        }
        Ok((projection, columns))
    }

    /// A column of the current query's input row, mapped through GROUP BY when grouping.
    fn map_input_column(&mut self, index: usize, data_type: DataType, display: &str) -> Result<BoundExpr> {
        match &self.grouping {
            Some(grouping) if !self.in_aggregate => {
                match grouping.group_bound.iter().position(|(g, _)| *g == BoundExpr::Column(index)) {
                    Some(position) => Ok(BoundExpr::Column(position)),
                    None => Err(Error::new(
                        sqlstate::GROUPING_ERROR,
                        format!(
                            "column \"{display}\" must appear in the GROUP BY clause or be used in an aggregate function"
                        ),
                    )),
                }
            }
            _ => {
                let _ = data_type;
                Ok(BoundExpr::Column(index))
            }
        }
    }

    fn plan_from(&mut self, select: &ast::Select) -> Result<(Source, Scope)> {
        let mut scope = Scope::default();
        let (mut sources, _) = self.plan_from_items(&select.from, &mut scope)?;
        let source = match sources.len() {
            0 => Source::Single,
            1 => sources.pop().expect("one source"),
            _ => Source::Cross(sources),
        };
        Ok((source, scope))
    }

    /// One FROM item (possibly a join tree): its rows and a scope whose row starts at 0.
    fn plan_table_ref(&mut self, item: &TableRef) -> Result<(Source, Scope)> {
        crate::stack::check()?;
        let mut scope = Scope::default();
        let source = match item {
            TableRef::Join { left, right, kind, constraint } => return self.plan_join(left, right, *kind, constraint),
            TableRef::Table { name, alias }
                if crate::sql::system::resolve(self.catalog, name.schema.as_deref(), &name.name).is_some() =>
            {
                let relation = crate::sql::system::resolve(self.catalog, name.schema.as_deref(), &name.name)
                    .expect("checked by the guard")?;
                let renames = alias.as_ref().map(|a| a.columns.as_slice()).unwrap_or(&[]);
                let columns = relation
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (column, data_type))| ScopeColumn {
                        name: renames.get(i).cloned().unwrap_or_else(|| column.to_string()),
                        data_type: *data_type,
                        hidden: false,
                        origin: None,
                    })
                    .chain(relation.system_columns().iter().map(|(column, data_type)| ScopeColumn {
                        name: column.to_string(),
                        data_type: *data_type,
                        hidden: false,
                        origin: None,
                    }))
                    .collect();
                let item_name = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| relation.name.to_string());
                scope.push_with_system_columns(Some(item_name), columns, relation.system_columns().len())?;
                Source::System(relation)
            }
            TableRef::Table { name, alias } if self.common_table(name).is_some() => {
                let index = self.common_table(name).expect("checked above");
                if self.common_tables[index].self_reference.is_some() {
                    return self.plan_self_reference(index, alias.as_ref());
                }
                if self.common_tables[index].modifying.is_some() {
                    return self.plan_modifying_reference(index, alias.as_ref());
                }
                let plan = self.plan_common_table(index)?;
                let renames = renamed_by_alias(self.common_tables[index].cte.alias.columns.clone(), alias.as_ref());
                let item_name = alias.as_ref().map_or_else(|| name.name.clone(), |a| a.name.clone());
                scope.push(Some(item_name), derived_columns(&plan, &renames))?;
                Source::Subquery(Box::new(plan))
            }
            TableRef::Table { name, alias } if self.catalog.find_view(name).is_some() => {
                let view = self.catalog.find_view(name).expect("checked above").clone();
                self.referenced_relations.push(view.id);
                let plan = self.plan_view(&view)?;
                let names = view.columns.iter().map(|(name, _)| name.clone()).collect();
                let renames = renamed_by_alias(names, alias.as_ref());
                let item_name = alias.as_ref().map_or_else(|| view.name.clone(), |a| a.name.clone());
                scope.push(Some(item_name), derived_columns(&plan, &renames))?;
                Source::Subquery(Box::new(plan))
            }
            TableRef::Table { name, alias } if matches!(self.catalog.sequence_named(name), Ok(Some(_))) => {
                let sequence = self.catalog.sequence_named(name)?.expect("checked by the guard").clone();
                let function = TableFunction::SequenceState;
                let types = [DataType::Int8, DataType::Int8, DataType::Bool];
                let renames = alias.as_ref().map(|a| a.columns.as_slice()).unwrap_or(&[]);
                let columns = function
                    .column_names()
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (column, data_type))| ScopeColumn {
                        name: renames.get(i).cloned().unwrap_or_else(|| column.to_string()),
                        data_type,
                        hidden: false,
                        origin: None,
                    })
                    .collect();
                let item_name = alias.as_ref().map_or_else(|| sequence.name.clone(), |a| a.name.clone());
                scope.push(Some(item_name), columns)?;
                let oid = BoundExpr::Literal(Value::Int(crate::sql::system::oids::table(sequence.id) as i64));
                Source::Function { input: None, function, args: vec![oid] }
            }
            TableRef::Table { name, alias } => {
                let table = self.catalog.table(name)?.clone();
                if table.materialized && !table.populated && self.reads_rows {
                    return Err(Error::new(
                        sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        format!("materialized view \"{}\" has not been populated", table.name),
                    )
                    .with_hint("Use the REFRESH MATERIALIZED VIEW command."));
                }
                self.referenced_relations.push(table.id);
                let item_name = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| table.name.clone());
                scope.push(Some(item_name), table_scope_columns(&table, alias.as_ref()))?;
                Source::Table { table, alias: alias.as_ref().map(|a| a.name.clone()) }
            }
            TableRef::Function { name, args, alias } if ZippedCalls::is_zipped(name) => {
                return self.plan_zipped_item(name, args, alias.as_ref());
            }
            TableRef::Function { name, args, alias } if self.is_sql_function_item(name) => {
                return self.as_lateral(|b| b.plan_sql_function_item(name, args, alias.as_ref()));
            }
            // A function in FROM may read the items before it (PostgreSQL's implicit LATERAL).
            TableRef::Function { name, args, alias } => {
                let (function, args, item_scope) =
                    self.as_lateral(|b| b.function_item(name, args, alias.as_ref(), &Scope::default()))?;
                return Ok((Source::Function { input: None, function, args }, item_scope));
            }
            TableRef::Subquery { query, alias, lateral } => {
                let saved_grouping = self.grouping.take();
                let plan = if *lateral { self.as_lateral(|b| b.plan_query(query)) } else { self.plan_query(query) };
                self.grouping = saved_grouping;
                let plan = plan?;
                let renames = alias.as_ref().map(|a| a.columns.as_slice()).unwrap_or(&[]);
                scope.push(alias.as_ref().map(|a| a.name.clone()), derived_columns(&plan, renames))?;
                Source::Subquery(Box::new(plan))
            }
        };
        Ok((source, scope))
    }

    /// `left JOIN right ...`: the joined row is the left row, then the right row, then the columns merged by
    /// USING / NATURAL (which `*` lists first, as PostgreSQL does).
    fn plan_join(
        &mut self,
        left: &TableRef,
        right: &TableRef,
        kind: ast::JoinKind,
        constraint: &ast::JoinConstraint,
    ) -> Result<(Source, Scope)> {
        let (left, left_scope) = self.plan_table_ref(left)?;
        let lateral_allowed = !matches!(kind, ast::JoinKind::Right | ast::JoinKind::Full);
        let (right, right_scope, lateral) =
            self.plan_item_after(right, left_scope.clone(), lateral_allowed, Vec::new())?;
        let left_width = left_scope.width();
        let right_width = right_scope.width();
        let mut scope = left_scope.clone();
        scope.append(right_scope.clone())?;
        let using = match constraint {
            ast::JoinConstraint::Using(names) => {
                for (i, name) in names.iter().enumerate() {
                    if names[..i].contains(name) {
                        return Err(Error::new(
                            sqlstate::DUPLICATE_COLUMN,
                            format!("column \"{name}\" appears more than once in USING clause"),
                        ));
                    }
                }
                names.clone()
            }
            ast::JoinConstraint::Natural => {
                let mut names: Vec<String> = Vec::new();
                for item in &left_scope.items {
                    for (i, column) in item.columns.iter().enumerate() {
                        let visible = !column.hidden && !item.merged.contains(&i) && !item.is_system_column(i);
                        if visible && !names.contains(&column.name) && !right_scope.unqualified(&column.name).is_empty()
                        {
                            names.push(column.name.clone());
                        }
                    }
                }
                names
            }
            ast::JoinConstraint::On(_) | ast::JoinConstraint::None => Vec::new(),
        };
        let mut condition = None;
        let mut merged = Vec::with_capacity(using.len());
        let mut merged_columns = Vec::with_capacity(using.len());
        for name in &using {
            let side = |found: Vec<(usize, DataType)>, which: &str| match found.as_slice() {
                [one] => Ok(*one),
                [] => Err(Error::new(
                    sqlstate::UNDEFINED_COLUMN,
                    format!("column \"{name}\" specified in USING clause does not exist in {which} table"),
                )),
                _ => Err(Error::new(
                    sqlstate::AMBIGUOUS_COLUMN,
                    format!("common column name \"{name}\" appears more than once in {which} table"),
                )),
            };
            let (left_index, left_type) = side(left_scope.unqualified(name), "left")?;
            let (right_index, right_type) = side(right_scope.unqualified(name), "right")?;
            let right_index = right_index + left_width;
            let (left_col, right_col) = (BoundExpr::Column(left_index), BoundExpr::Column(right_index));
            let sig = scalar::binary_signature(BinaryOp::Eq, &left_type, &right_type)?;
            let equal = BoundExpr::Binary {
                op: BinaryOp::Eq,
                sig,
                left: Box::new(self.coerce(left_col.clone(), left_type, sig.left)?),
                right: Box::new(self.coerce(right_col.clone(), right_type, sig.right)?),
            };
            condition = Some(match condition {
                None => equal,
                Some(BoundExpr::And(mut previous)) => {
                    previous.push(equal);
                    BoundExpr::And(previous)
                }
                Some(previous) => BoundExpr::And(vec![previous, equal]),
            });
            let common = scalar::common_type(&left_type, &right_type).ok_or_else(|| {
                Error::datatype_mismatch(format!(
                    "JOIN/USING types {} and {} cannot be matched",
                    left_type.name(),
                    right_type.name()
                ))
            })?;
            let left_value = self.coerce(left_col, left_type, common)?;
            let right_value = self.coerce(right_col, right_type, common)?;
            merged.push(match kind {
                ast::JoinKind::Inner
                | ast::JoinKind::Left
                | ast::JoinKind::Cross
                | ast::JoinKind::Semi
                | ast::JoinKind::Anti => left_value,
                ast::JoinKind::Right => right_value,
                // COALESCE(left, right): whichever side the row has.
                ast::JoinKind::Full => BoundExpr::Case {
                    branches: vec![(
                        BoundExpr::IsNull { expr: Box::new(left_value.clone()), negated: true },
                        left_value,
                    )],
                    else_result: Some(Box::new(right_value)),
                },
            });
            merged_columns.push(ScopeColumn { name: name.clone(), data_type: common, hidden: false, origin: None });
            scope.merge_away(left_index);
            scope.merge_away(right_index);
        }
        if let ast::JoinConstraint::On(expr) = constraint {
            let saved_clause = std::mem::replace(&mut self.clause, "JOIN conditions");
            let bound = self.bind_expr(expr, &scope);
            self.clause = saved_clause;
            let (bound, data_type) = bound?;
            condition = Some(self.coerce_bool(bound, data_type, "JOIN/ON")?);
        }
        if !merged.is_empty() {
            let offset = left_width + right_width;
            scope.items.insert(
                0,
                ScopeItem { name: None, columns: merged_columns, offset, merged: Vec::new(), system_columns: 0 },
            );
        }
        let source =
            Source::Join(Box::new(JoinPlan { kind, left, right, left_width, right_width, condition, merged, lateral }));
        Ok((source, scope))
    }

    /// `unnest(array)` or `generate_subscripts(array, dim)` in FROM: the rows of the one call, as a lateral
    /// subquery (the one a select list's calls run in, `ZippedCalls::query`). Its column is named after
    /// the alias's column, else the alias, else the function, as PostgreSQL names it.
    fn plan_zipped_item(
        &mut self,
        name: &str,
        args: &[Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Source, Scope)> {
        let call = Expr::Function { name: name.to_string(), args: args.to_vec(), distinct: false, star: false };
        self.as_lateral(|b| b.check_zipped_arguments(name, args, &Scope::default()))?;
        let query = ZippedCalls { calls: vec![call], column_types: None }.query()?;
        let relation = alias.map_or(name.to_string(), |a| a.name.clone());
        let column = alias.map(|a| a.columns.first().cloned().unwrap_or_else(|| a.name.clone()));
        let alias = ast::TableAlias { name: relation, columns: vec![column.unwrap_or_else(|| name.to_string())] };
        self.plan_table_ref(&TableRef::Subquery { query: Box::new(query), alias: Some(alias), lateral: true })
    }

    /// 42883 `function unnest(integer) does not exist` for a call whose first argument is not an array
    /// (before its rewrite would report the functions it is made of).
    fn check_zipped_arguments(&mut self, name: &str, args: &[Expr], scope: &Scope) -> Result<()> {
        let Some(array) = args.first() else { return Ok(()) };
        let clause = self.clause;
        let bound = self.bind_expr(array, scope);
        self.clause = clause;
        let (_, array_type) = bound?;
        if array_type.element().is_none() && array_type != DataType::Unknown {
            let mut types = vec![array_type];
            for arg in &args[1..] {
                types.push(self.bind_expr(arg, scope)?.1);
            }
            self.clause = clause;
            return Err(functions::function_does_not_exist(name, &types));
        }
        Ok(())
    }

    /// A set-returning function in the select list (`SELECT jsonb_array_elements(doc) FROM t`): planned as
    /// the function reading each FROM row, as `FROM t, jsonb_array_elements(t.doc)`. It binds to a
    /// placeholder column (the same call twice to the same one), which `finish_query` places after the row.
    fn bind_select_list_function(&mut self, name: &str, args: &[Expr], scope: &Scope) -> Result<(BoundExpr, DataType)> {
        if self.select_list_functions.is_none() || self.in_aggregate || self.in_window {
            return Err(Error::unsupported(
                "set-returning functions are only supported in FROM and in the select list of a query without aggregates",
            ));
        }
        let clause = self.clause;
        let planned = self.plan_table_function(name, args, scope);
        self.clause = clause;
        let (function, args, columns, _) = planned?;
        if let [(_, data_type)] = columns[..] {
            return Ok((self.add_select_list_call(SelectListCall::Builtin(function, args)), data_type));
        }
        // Several columns: the row as one record value, as PostgreSQL gives it (`(key,value)`).
        let Some(shape) = RecordShape::of(&columns) else {
            return Err(Error::unsupported(format!("{name} in the select list (a record per row)")));
        };
        let BoundExpr::Column(placeholder) = self.add_select_list_call(SelectListCall::Builtin(function, args)) else {
            return Err(Error::internal("a select-list call's placeholder"));
        };
        let fields = shape.fields();
        let construct = functions::ResolvedScalar {
            function: functions::ScalarFunction::Array(crate::sql::arrays::ArrayFunction::Construct),
            arg_types: fields.iter().map(|(_, data_type)| *data_type).collect(),
            result_type: DataType::Record(shape),
        };
        let args = (0..fields.len()).map(|i| BoundExpr::Column(placeholder + i)).collect();
        Ok((BoundExpr::Function { function: construct, args }, DataType::Record(shape)))
    }

    /// `(record).field`: a field of a record value (a column of a subquery that selected a set-returning
    /// function's row, as pgjdbc's `(result.KEYS).x`).
    fn bind_record_field(&mut self, record: &Expr, field: &str, scope: &Scope) -> Result<(BoundExpr, DataType)> {
        let clause = self.clause;
        let (bound, data_type) = match (self.bind_expr(record, scope), strip_position(record)) {
            // `(t).col` of a FROM item `t` that has no column `t`: its column, as PostgreSQL reads it.
            (Err(err), Expr::Column { table: None, name }) if err.code == sqlstate::UNDEFINED_COLUMN => {
                self.clause = clause;
                let column = Expr::Column { table: Some(name.clone()), name: field.to_string() };
                return self.bind_expr(&column, scope).map_err(|second| match second.code {
                    sqlstate::UNDEFINED_TABLE => err,
                    _ => second,
                });
            }
            (bound, _) => bound?,
        };
        let DataType::Record(shape) = data_type else {
            return Err(Error::new(
                sqlstate::WRONG_OBJECT_TYPE,
                format!("column notation .{field} applied to type {}, which is not a composite type", data_type.name()),
            ));
        };
        let fields = shape.fields();
        let Some(index) = fields.iter().position(|(name, _)| *name == field) else {
            return Err(Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("could not identify column \"{field}\" in record data type"),
            ));
        };
        let select = functions::ResolvedScalar {
            function: functions::ScalarFunction::Array(crate::sql::arrays::ArrayFunction::Field(index as u8)),
            arg_types: vec![data_type],
            result_type: fields[index].1,
        };
        Ok((BoundExpr::Function { function: select, args: vec![bound] }, fields[index].1))
    }

    /// `unnest(array)` or `generate_subscripts(array, dim)` in the select list (SQLAlchemy's reflection
    /// queries: `SELECT unnest(indkey) AS attnum, generate_subscripts(indkey, 1) AS ord FROM pg_index ...`).
    /// PostgreSQL's ProjectSet runs a select list's set-returning calls in lockstep, as many rows per FROM
    /// row as the longest gives, the shorter NULL-padded. The select list's calls of these two are planned
    /// together as one lateral subquery over that row, which yields one column per call:
    /// `SELECT (a)[array_lower(a, 1) + i - 1], CASE WHEN i <= array_length(b, d) THEN array_lower(b, d) + i
    /// - 1 END, ... FROM generate_series(1, greatest(coalesce(cardinality(a), 0), ...)) AS zip(i)`.
    fn bind_zipped_call(&mut self, name: &str, args: &[Expr], scope: &Scope) -> Result<(BoundExpr, DataType)> {
        let call = strip_positions(&Expr::Function {
            name: name.to_string(),
            args: args.to_vec(),
            distinct: false,
            star: false,
        });
        let allowed = self.select_list_functions.is_some() && !self.in_aggregate && !self.in_window;
        let Some(position) = self.zipped_calls.as_ref().filter(|_| allowed).and_then(|z| z.position(&call)) else {
            return Err(Error::unsupported(
                "set-returning functions are only supported in FROM and in the select list of a query without aggregates",
            ));
        };
        self.check_zipped_arguments(name, args, scope)?;
        let zipped = self.zipped_calls.as_ref().expect("found the call");
        let types = match &zipped.column_types {
            Some(types) => types.clone(),
            None => {
                let query = zipped.query()?;
                let clause = self.clause;
                let rows = self.plan_subquery(&query, scope);
                self.clause = clause;
                let rows = rows?.plan;
                let types: Vec<DataType> = rows.columns.iter().map(|c| c.data_type).collect();
                self.zipped_calls.as_mut().expect("found the call").column_types = Some(types.clone());
                let first = self.add_select_list_call(SelectListCall::Sql(Box::new(rows)));
                if first != BoundExpr::Column(SELECT_LIST_FUNCTIONS) {
                    return Err(Error::unsupported(
                        "more than one set-returning function, or one with window functions, in a select list",
                    ));
                }
                types
            }
        };
        Ok((BoundExpr::Column(SELECT_LIST_FUNCTIONS + position), types[position]))
    }

    /// `(f(args)).field` in the select list: the field's column of a set-returning function's row, the
    /// function planned as [`Binder::bind_select_list_function`] plans a one-column one.
    fn bind_select_list_field(
        &mut self,
        name: &str,
        args: &[Expr],
        field: &str,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        if self.select_list_functions.is_none() || self.in_aggregate || self.in_window {
            return Err(Error::unsupported("a field selection outside a select list"));
        }
        let clause = self.clause;
        let planned = self.plan_table_function(name, args, scope);
        self.clause = clause;
        let (function, args, columns, _) = planned?;
        let Some(position) = columns.iter().position(|(column, _)| *column == field) else {
            return Err(Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("could not identify column \"{field}\" in record data type"),
            ));
        };
        let data_type = columns[position].1;
        let BoundExpr::Column(placeholder) = self.add_select_list_call(SelectListCall::Builtin(function, args)) else {
            return Err(Error::internal("a select-list call's placeholder"));
        };
        Ok((BoundExpr::Column(placeholder + position), data_type))
    }

    /// The placeholder column of a set-returning call in the select list (the same call twice: the same).
    fn add_select_list_call(&mut self, call: SelectListCall) -> BoundExpr {
        let calls = self.select_list_functions.as_mut().expect("checked by the caller");
        let index = calls.iter().position(|c| *c == call).unwrap_or_else(|| {
            calls.push(call);
            calls.len() - 1
        });
        BoundExpr::Column(SELECT_LIST_FUNCTIONS + index)
    }

    /// A set-returning function FROM item: the function, its bound arguments (which may read the FROM items
    /// before it, in `preceding`) and its scope (columns named by the alias, else by the function).
    fn function_item(
        &mut self,
        name: &str,
        args: &[Expr],
        alias: Option<&ast::TableAlias>,
        preceding: &Scope,
    ) -> Result<(TableFunction, Vec<BoundExpr>, Scope)> {
        let (function, args, columns, column_takes_alias) = self.plan_table_function(name, args, preceding)?;
        let renames = alias.map(|a| a.columns.as_slice()).unwrap_or(&[]);
        let scope_columns = columns
            .into_iter()
            .enumerate()
            .map(|(i, (default_name, data_type))| {
                let name = match (renames.get(i), alias) {
                    (Some(rename), _) => rename.clone(),
                    (None, Some(alias)) if column_takes_alias => alias.name.clone(),
                    _ => default_name.to_string(),
                };
                ScopeColumn { name, data_type, hidden: false, origin: None }
            })
            .collect();
        let mut scope = Scope::default();
        scope.push(Some(alias.map_or_else(|| name.to_string(), |a| a.name.clone())), scope_columns)?;
        Ok((function, args, scope))
    }

    /// A set-returning function in FROM: the function, its arguments, its columns (default names and types),
    /// and whether its one column is named after the FROM item's alias (a function without named output
    /// columns).
    fn plan_table_function(
        &mut self,
        name: &str,
        args: &[Expr],
        preceding: &Scope,
    ) -> Result<(TableFunction, Vec<BoundExpr>, TableFunctionColumns, bool)> {
        if name == "generate_series" {
            let (args, data_type) = self.plan_series(args, preceding)?;
            return Ok((TableFunction::Series, args, vec![("generate_series", data_type)], true));
        }
        self.clause = "FROM";
        let mut bound = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let (expr, data_type) = self.bind_expr(arg, preceding)?;
            bound.push(expr);
            types.push(data_type);
        }
        if name == "information_schema._pg_expandarray" {
            let ([arg], [array]) = (bound.as_slice(), types.as_slice()) else {
                return Err(functions::function_does_not_exist(name, &types));
            };
            let Some(element) = array.element() else { return Err(functions::function_does_not_exist(name, &types)) };
            let columns = vec![("x", element), ("n", DataType::Int4)];
            return Ok((TableFunction::ExpandArray, vec![arg.clone()], columns, false));
        }
        if name == "pg_options_to_table" {
            let [arg] = bound.as_slice() else { return Err(functions::function_does_not_exist(name, &types)) };
            let text_array = DataType::Array(ArrayElement::TEXT);
            let arg = self.coerce(arg.clone(), types[0], text_array)?;
            let columns = vec![("option_name", DataType::Text), ("option_value", DataType::Text)];
            return Ok((TableFunction::Options, vec![arg], columns, false));
        }
        let Some(resolved) = crate::sql::json::JsonTable::resolve(name, &types) else {
            if functions::resolve_scalar(name, &types).is_ok() {
                return Err(Error::unsupported(format!("the scalar function {name} in FROM")));
            }
            return Err(functions::function_does_not_exist(name, &types));
        };
        let (function, input) = resolved?;
        let arg = self.coerce(bound.remove(0), types[0], input)?;
        let columns = function.column_names().iter().copied().zip(function.column_types()).collect();
        Ok((TableFunction::Json(function), vec![arg], columns, function.column_takes_alias()))
    }

    fn plan_series(&mut self, args: &[Expr], preceding: &Scope) -> Result<(Vec<BoundExpr>, DataType)> {
        self.clause = "FROM";
        if args.len() < 2 || args.len() > 3 {
            return Err(Error::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("function generate_series with {} arguments does not exist", args.len()),
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for arg in args {
            bound.push(self.bind_expr(arg, preceding)?);
        }
        let not_found = |bound: &[(BoundExpr, DataType)]| {
            let types: Vec<DataType> = bound.iter().map(|(_, t)| *t).collect();
            crate::sql::functions::function_does_not_exist("generate_series", &types)
        };
        // start and stop of one type; the step of that type, or an interval for timestamps.
        let mut data_type = scalar::common_type(&bound[0].1, &bound[1].1).ok_or_else(|| not_found(&bound))?;
        // Dates, and untyped bounds with an interval step, go to timestamptz as in PostgreSQL.
        let interval_step = bound.get(2).is_some_and(|(_, t)| *t == DataType::Interval);
        if data_type == DataType::Date || data_type == DataType::Unknown && interval_step {
            data_type = DataType::Timestamptz;
        }
        let step_type = if matches!(data_type, DataType::Timestamp | DataType::Timestamptz) {
            match bound.get(2).map(|(_, t)| *t) {
                Some(DataType::Interval | DataType::Unknown) => DataType::Interval,
                _ => return Err(not_found(&bound)),
            }
        } else {
            if let Some((_, step)) = bound.get(2) {
                data_type = scalar::common_type(&data_type, step).ok_or_else(|| not_found(&bound))?;
            }
            data_type = match data_type {
                DataType::Unknown | DataType::Int2 => DataType::Int4,
                DataType::Numeric(_) => DataType::Numeric(None),
                t if t.is_integer() => t,
                _ => return Err(not_found(&bound)),
            };
            data_type
        };
        let mut coerced = Vec::with_capacity(bound.len());
        for (i, (expr, from)) in bound.into_iter().enumerate() {
            coerced.push(self.coerce(expr, from, if i == 2 { step_type } else { data_type })?);
        }
        Ok((coerced, data_type))
    }

    // ---- expressions ----

    fn bind_expr(&mut self, expr: &Expr, scope: &Scope) -> Result<(BoundExpr, DataType)> {
        crate::stack::check()?;
        if let Some(grouping) = &self.grouping {
            if !self.in_aggregate && !grouping.group_asts.is_empty() {
                let stripped = strip_positions(expr);
                if let Some(i) = grouping.group_asts.iter().position(|g| *g == stripped) {
                    return Ok((BoundExpr::Column(i), grouping.group_bound[i].1));
                }
            }
        }
        match expr {
            Expr::Literal(literal) => Ok(match literal {
                Literal::Null => (BoundExpr::Literal(Value::Null), DataType::Unknown),
                Literal::Bool(b) => (BoundExpr::Literal(Value::Bool(*b)), DataType::Bool),
                Literal::Number(value, data_type) => (BoundExpr::Literal(value.clone()), *data_type),
                Literal::String(s) => (BoundExpr::Literal(Value::Text(s.clone())), DataType::Unknown),
            }),
            Expr::Column { table, name } => self.bind_column(table.as_deref(), name, scope),
            Expr::Parameter(n) if self.function_body.is_some() => match self.params.get(n.wrapping_sub(1)) {
                // An expression body: the parameters are the row; a query body: they are the outermost row.
                Some(data_type) if self.outer.is_empty() => Ok((BoundExpr::Column(n - 1), *data_type)),
                Some(data_type) => {
                    self.outer_refs += 1;
                    self.lowest_outer_level = 0;
                    Ok((BoundExpr::OuterColumn { depth: self.outer.len(), index: n - 1 }, *data_type))
                }
                None => Err(Error::new(sqlstate::UNDEFINED_PARAMETER, format!("there is no parameter ${n}"))),
            },
            Expr::Parameter(n) => {
                if *n == 0 || *n > 65535 {
                    return Err(Error::new(sqlstate::UNDEFINED_PARAMETER, format!("there is no parameter ${n}")));
                }
                if self.params.len() < *n {
                    self.params.resize(*n, DataType::Unknown);
                }
                Ok((BoundExpr::Parameter(n - 1), self.params[n - 1]))
            }
            Expr::Binary { op, left, right } => self.bind_binary(*op, left, right, scope),
            Expr::And(operands) | Expr::Or(operands) => {
                let and = matches!(expr, Expr::And(_));
                let mut bound = Vec::with_capacity(operands.len());
                for operand in operands {
                    let (operand, data_type) = self.bind_expr(operand, scope)?;
                    bound.push(self.coerce_bool(operand, data_type, if and { "AND" } else { "OR" })?);
                }
                Ok((if and { BoundExpr::And(bound) } else { BoundExpr::Or(bound) }, DataType::Bool))
            }
            Expr::Unary { op, expr: inner } => {
                let (bound, data_type) = self.bind_expr(inner, scope)?;
                match op {
                    UnaryOperator::Not => {
                        let bound = self.coerce_bool(bound, data_type, "NOT")?;
                        Ok((BoundExpr::Not(Box::new(bound)), DataType::Bool))
                    }
                    UnaryOperator::Plus => Ok((bound, data_type)),
                    UnaryOperator::Minus => {
                        let (bound, data_type) = if data_type == DataType::Unknown {
                            (self.coerce(bound, data_type, DataType::Numeric(None))?, DataType::Numeric(None))
                        } else {
                            (bound, data_type)
                        };
                        if !data_type.is_numeric_family() && data_type != DataType::Interval {
                            return Err(Error::new(
                                sqlstate::UNDEFINED_FUNCTION,
                                format!("operator does not exist: - {}", data_type.name()),
                            )
                            .with_hint(
                                "No operator matches the given name and argument type. You might need to add an explicit type cast.",
                            ));
                        }
                        if let BoundExpr::Literal(value) = &bound {
                            return Ok((BoundExpr::Literal(scalar::negate(value, &data_type)?), data_type));
                        }
                        Ok((BoundExpr::Negate { expr: Box::new(bound), data_type }, data_type))
                    }
                }
            }
            Expr::IsNull { expr: inner, negated } => {
                let (bound, _) = self.bind_expr(inner, scope)?;
                Ok((BoundExpr::IsNull { expr: Box::new(bound), negated: *negated }, DataType::Bool))
            }
            Expr::InList { expr: inner, list, negated } => {
                let (bound, data_type) = self.bind_expr(inner, scope)?;
                let mut common = data_type;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let (item_bound, item_type) = self.bind_expr(item, scope)?;
                    common = match scalar::common_type(&common, &item_type) {
                        Some(t) => t,
                        None => scalar::binary_signature(BinaryOp::Eq, &common, &item_type)?.left,
                    };
                    items.push((item_bound, item_type));
                }
                if common == DataType::Unknown {
                    common = DataType::Text;
                }
                let bound = self.coerce(bound, data_type, common)?;
                let mut list = Vec::with_capacity(items.len());
                for (item, item_type) in items {
                    list.push(self.coerce(item, item_type, common)?);
                }
                Ok((BoundExpr::InList { expr: Box::new(bound), list, negated: *negated }, DataType::Bool))
            }
            Expr::Between { expr: inner, low, high, negated } => {
                let rewritten = Expr::And(vec![
                    Expr::Binary { op: BinaryOperator::GtEq, left: inner.clone(), right: low.clone() },
                    Expr::Binary { op: BinaryOperator::LtEq, left: inner.clone(), right: high.clone() },
                ]);
                let (bound, data_type) = self.bind_expr(&rewritten, scope)?;
                if *negated {
                    Ok((BoundExpr::Not(Box::new(bound)), data_type))
                } else {
                    Ok((bound, data_type))
                }
            }
            Expr::Case { operand, branches, else_result } => {
                self.bind_case(operand.as_deref(), branches, else_result.as_deref(), scope)
            }
            Expr::Cast { expr: inner, data_type: to } if matches!(strip_position(inner), Expr::Array(items) if items.is_empty()) =>
            {
                // `ARRAY[]::integer[]`: the cast gives the empty array its type.
                if !to.is_array() {
                    return Err(Error::new(
                        sqlstate::CANNOT_COERCE,
                        format!("cannot cast type text[] to {}", to.name()),
                    ));
                }
                Ok((BoundExpr::Literal(Value::Array(Vec::new())), *to))
            }
            Expr::Cast { expr: inner, data_type: to } => {
                let (bound, from) = self.bind_expr(inner, scope)?;
                if from != DataType::Unknown && from != *to && !scalar::can_cast(&from, to) {
                    return Err(Error::new(
                        sqlstate::CANNOT_COERCE,
                        format!("cannot cast type {} to {}", from.name(), to.name()),
                    ));
                }
                if let DataType::Varchar(Some(length)) = to {
                    // An explicit cast to varchar(n) truncates (only assignment raises 22001).
                    let unbounded = self.coerce(bound, from, DataType::Varchar(None))?;
                    let truncated = match unbounded {
                        BoundExpr::Literal(Value::Text(s)) => {
                            BoundExpr::Literal(Value::Text(s.chars().take(*length as usize).collect()))
                        }
                        other => BoundExpr::TruncateText { expr: Box::new(other), length: *length as usize },
                    };
                    return Ok((truncated, *to));
                }
                Ok((self.coerce(bound, from, *to)?, *to))
            }
            Expr::Function { name, args, distinct, star } => self.bind_function(name, args, *distinct, *star, scope),
            Expr::OrderedAggregate(call) => self.bind_aggregate(call, false, scope),
            Expr::Window(call) => self.bind_window(call, scope),
            Expr::Subquery(query) => {
                let subquery = self.plan_subquery(query, scope)?;
                if subquery.plan.visible != 1 {
                    return Err(Error::syntax("subquery must return only one column"));
                }
                let data_type = subquery.plan.columns[0].data_type;
                Ok((BoundExpr::Subquery(Box::new(subquery)), data_type))
            }
            Expr::Exists { query, negated } => {
                let subquery = self.plan_subquery(query, scope)?;
                Ok((BoundExpr::Exists { subquery: Box::new(subquery), negated: *negated }, DataType::Bool))
            }
            Expr::InSubquery { expr: inner, query, negated } => {
                let (bound, data_type) = self.bind_expr(inner, scope)?;
                let subquery = self.plan_subquery(query, scope)?;
                if subquery.plan.visible != 1 {
                    return Err(Error::syntax("subquery has too many columns"));
                }
                let sub_type = subquery.plan.columns[0].data_type;
                let sig = scalar::binary_signature(BinaryOp::Eq, &data_type, &sub_type)?;
                let bound = self.coerce(bound, data_type, sig.left)?;
                Ok((
                    BoundExpr::InSubquery {
                        expr: Box::new(bound),
                        subquery: Box::new(subquery),
                        sig,
                        negated: *negated,
                    },
                    DataType::Bool,
                ))
            }
            Expr::Positioned { expr: inner, position } => {
                self.bind_expr(inner, scope)
                    .map_err(|e| if e.position.is_none() { e.with_position(*position) } else { e })
            }
            Expr::Array(items) => {
                let mut bound = Vec::with_capacity(items.len());
                let mut types = Vec::with_capacity(items.len());
                for item in items {
                    let (expr, data_type) = self.bind_expr(item, scope)?;
                    bound.push(expr);
                    types.push(data_type);
                }
                let function = crate::sql::arrays::resolve_construct(&types)?;
                self.call(function, bound, types)
            }
            Expr::FieldSelect { expr: inner, field } => match strip_position(inner) {
                Expr::Function { name, args, distinct: false, star: false } if is_table_function(name) => {
                    self.bind_select_list_field(name, args, field, scope)
                }
                _ => self.bind_record_field(inner, field, scope),
            },
            Expr::Subscript { expr: inner, index } => {
                let (array, array_type) = self.bind_expr(inner, scope)?;
                let (index, index_type) = self.bind_expr(index, scope)?;
                let function = if array_type == DataType::Jsonb {
                    crate::sql::json::resolve_subscript(&index_type)?
                } else {
                    crate::sql::arrays::resolve_subscript(&array_type, &index_type)?
                };
                self.call(function, vec![array, index], vec![array_type, index_type])
            }
            Expr::AnyAll { expr: inner, op, array, all } => {
                let (left, left_type) = self.bind_expr(inner, scope)?;
                let (right, mut right_type) = self.bind_expr(array, scope)?;
                if right_type == DataType::Unknown {
                    // `x = ANY ('{1,2}')`: the literal is an array of the left side's type.
                    let element = if left_type == DataType::Unknown { DataType::Text } else { left_type };
                    right_type = element.array_of().unwrap_or(DataType::Array(ArrayElement::TEXT));
                    let right = self.coerce(right, DataType::Unknown, right_type)?;
                    return self.bind_any_all(*op, *all, left, left_type, right, right_type);
                }
                self.bind_any_all(*op, *all, left, left_type, right, right_type)
            }
        }
    }

    /// A resolved function applied to bound arguments, each coerced to the type it takes.
    fn call(
        &mut self,
        function: functions::ResolvedScalar,
        args: Vec<BoundExpr>,
        types: Vec<DataType>,
    ) -> Result<(BoundExpr, DataType)> {
        let mut coerced = Vec::with_capacity(args.len());
        for (i, (expr, from)) in args.into_iter().zip(types).enumerate() {
            let to = function.arg_types.get(i).copied().unwrap_or(from);
            coerced.push(self.coerce(expr, from, to)?);
        }
        let result_type = function.result_type;
        Ok((BoundExpr::Function { function, args: coerced }, result_type))
    }

    fn bind_any_all(
        &mut self,
        op: BinaryOperator,
        all: bool,
        left: BoundExpr,
        left_type: DataType,
        right: BoundExpr,
        right_type: DataType,
    ) -> Result<(BoundExpr, DataType)> {
        let (scalar_op, negate) = match op {
            BinaryOperator::Eq => (BinaryOp::Eq, false),
            BinaryOperator::NotEq => (BinaryOp::NotEq, false),
            BinaryOperator::Lt => (BinaryOp::Lt, false),
            BinaryOperator::LtEq => (BinaryOp::LtEq, false),
            BinaryOperator::Gt => (BinaryOp::Gt, false),
            BinaryOperator::GtEq => (BinaryOp::GtEq, false),
            BinaryOperator::Like => (BinaryOp::Like, false),
            BinaryOperator::ILike => (BinaryOp::ILike, false),
            BinaryOperator::NotLike => (BinaryOp::Like, true),
            BinaryOperator::NotILike => (BinaryOp::ILike, true),
            other => return Err(Error::unsupported(format!("operator {other:?} with ANY/ALL is not supported"))),
        };
        // `x NOT LIKE ANY (a)` is `NOT (x LIKE ALL (a))`.
        let all = if negate { !all } else { all };
        let function = crate::sql::arrays::resolve_any_all(scalar_op, all, &left_type, &right_type)?;
        let (bound, data_type) = self.call(function, vec![left, right], vec![left_type, right_type])?;
        Ok(if negate { (BoundExpr::Not(Box::new(bound)), data_type) } else { (bound, data_type) })
    }

    fn bind_column(&mut self, table: Option<&str>, name: &str, scope: &Scope) -> Result<(BoundExpr, DataType)> {
        if let Some((index, data_type)) = scope.resolve(table, name)? {
            let display = match scope.items.iter().find(|i| index >= i.offset && index < i.offset + i.columns.len()) {
                Some(ScopeItem { name: Some(item), .. }) => format!("{item}.{name}"),
                _ => name.to_string(),
            };
            return Ok((self.map_input_column(index, data_type, &display)?, data_type));
        }
        for (depth, outer) in self.outer.iter().rev().enumerate() {
            if outer.visibility == (Visibility::Lateral { active: false }) {
                continue;
            }
            if let Some((index, data_type)) = outer.resolve(table, name)? {
                let level = self.outer.len() - 1 - depth;
                self.lowest_outer_level = self.lowest_outer_level.min(level);
                let index = match self.outer_groups.get(level).and_then(Option::as_ref) {
                    None => index,
                    Some(groups) => match groups.iter().position(|g| *g == BoundExpr::Column(index)) {
                        Some(position) => position,
                        None => {
                            let item =
                                outer.items.iter().find(|i| index >= i.offset && index < i.offset + i.columns.len());
                            let display = match item.and_then(|i| i.name.as_deref()) {
                                Some(item) => format!("{item}.{name}"),
                                None => name.to_string(),
                            };
                            return Err(Error::new(
                                sqlstate::GROUPING_ERROR,
                                format!("subquery uses ungrouped column \"{display}\" from outer query"),
                            ));
                        }
                    },
                };
                self.outer_refs += 1;
                return Ok((BoundExpr::OuterColumn { depth: depth + 1, index }, data_type));
            }
        }
        let reachable = |s: &Scope| s.visibility != (Visibility::Lateral { active: false });
        let visible_item =
            table.is_some_and(|t| scope.has_item(t) || self.outer.iter().any(|s| reachable(s) && s.has_item(t)));
        if !visible_item {
            if let Some(err) = self.unreachable_error(table, name) {
                return Err(err);
            }
        }
        match table {
            Some(t) => {
                if visible_item {
                    Err(Error::new(sqlstate::UNDEFINED_COLUMN, format!("column {t}.{name} does not exist")))
                } else {
                    Err(Error::new(sqlstate::UNDEFINED_TABLE, format!("missing FROM-clause entry for table \"{t}\"")))
                }
            }
            None => Err(Error::undefined_column(name)),
        }
    }

    /// PostgreSQL's error for a reference to a FROM item that exists but cannot be read from here.
    fn unreachable_error(&self, table: Option<&str>, name: &str) -> Option<Error> {
        let inactive = self
            .outer
            .iter()
            .rev()
            .filter(|s| s.visibility == Visibility::Lateral { active: false })
            .map(|s| (s, Unreachable::NotLateral));
        let candidates = self.unreachable.iter().rev().map(|(s, why)| (s, *why)).chain(inactive);
        for (scope, why) in candidates {
            match table {
                Some(t) if scope.has_item(t) => return Some(why.error(t, None)),
                None => {
                    if let Some(item) = scope.item_with_column(name) {
                        return Some(why.error(item, Some(name)));
                    }
                }
                Some(_) => {}
            }
        }
        None
    }

    fn bind_binary(
        &mut self,
        op: BinaryOperator,
        left: &Expr,
        right: &Expr,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        let (l, lt) = self.bind_expr(left, scope)?;
        let (r, rt) = self.bind_expr(right, scope)?;
        if let Some(function) = crate::sql::json::resolve_operator(op, &lt, &rt) {
            // `a <@ b` is `b @> a`.
            return if op == BinaryOperator::ContainedBy {
                self.call(function?, vec![r, l], vec![rt, lt])
            } else {
                self.call(function?, vec![l, r], vec![lt, rt])
            };
        }
        if let BinaryOperator::RegexMatch
        | BinaryOperator::NotRegexMatch
        | BinaryOperator::RegexIMatch
        | BinaryOperator::NotRegexIMatch = op
        {
            let stringish = |t: &DataType| t.is_text_like() || *t == DataType::Unknown;
            if !stringish(&lt) || !stringish(&rt) {
                let symbol = match op {
                    BinaryOperator::RegexMatch => "~",
                    BinaryOperator::NotRegexMatch => "!~",
                    BinaryOperator::RegexIMatch => "~*",
                    _ => "!~*",
                };
                return Err(Error::new(
                    sqlstate::UNDEFINED_FUNCTION,
                    format!("operator does not exist: {} {symbol} {}", lt.name(), rt.name()),
                )
                .with_hint(
                    "No operator matches the given name and argument types. You might need to add explicit type casts.",
                ));
            }
            let case_insensitive = matches!(op, BinaryOperator::RegexIMatch | BinaryOperator::NotRegexIMatch);
            let function = crate::sql::regex::resolve_operator(case_insensitive);
            let (bound, data_type) = self.call(function, vec![l, r], vec![lt, rt])?;
            let negated = matches!(op, BinaryOperator::NotRegexMatch | BinaryOperator::NotRegexIMatch);
            return Ok(if negated { (BoundExpr::Not(Box::new(bound)), data_type) } else { (bound, data_type) });
        }
        if op == BinaryOperator::Concat {
            if let Some(function) = crate::sql::arrays::resolve_concat(&lt, &rt) {
                return self.call(function?, vec![l, r], vec![lt, rt]);
            }
        }
        let (scalar_op, negate) = match op {
            BinaryOperator::Plus => (BinaryOp::Add, false),
            BinaryOperator::Minus => (BinaryOp::Sub, false),
            BinaryOperator::Multiply => (BinaryOp::Mul, false),
            BinaryOperator::Divide => (BinaryOp::Div, false),
            BinaryOperator::Modulo => (BinaryOp::Mod, false),
            BinaryOperator::Pow => (BinaryOp::Pow, false),
            BinaryOperator::BitAnd => (BinaryOp::BitAnd, false),
            BinaryOperator::BitOr => (BinaryOp::BitOr, false),
            BinaryOperator::BitXor => (BinaryOp::BitXor, false),
            BinaryOperator::ShiftLeft => (BinaryOp::ShiftLeft, false),
            BinaryOperator::ShiftRight => (BinaryOp::ShiftRight, false),
            BinaryOperator::Eq => (BinaryOp::Eq, false),
            BinaryOperator::NotEq => (BinaryOp::NotEq, false),
            BinaryOperator::Lt => (BinaryOp::Lt, false),
            BinaryOperator::LtEq => (BinaryOp::LtEq, false),
            BinaryOperator::Gt => (BinaryOp::Gt, false),
            BinaryOperator::GtEq => (BinaryOp::GtEq, false),
            BinaryOperator::Concat => (BinaryOp::Concat, false),
            BinaryOperator::Like => (BinaryOp::Like, false),
            BinaryOperator::NotLike => (BinaryOp::Like, true),
            BinaryOperator::ILike => (BinaryOp::ILike, false),
            BinaryOperator::NotILike => (BinaryOp::ILike, true),
            BinaryOperator::RegexMatch
            | BinaryOperator::NotRegexMatch
            | BinaryOperator::RegexIMatch
            | BinaryOperator::NotRegexIMatch
            | BinaryOperator::Arrow
            | BinaryOperator::LongArrow
            | BinaryOperator::HashArrow
            | BinaryOperator::HashLongArrow
            | BinaryOperator::Contains
            | BinaryOperator::ContainedBy
            | BinaryOperator::Question
            | BinaryOperator::QuestionAnd
            | BinaryOperator::QuestionPipe
            | BinaryOperator::HashMinus => unreachable!("bound above"),
        };
        let sig = scalar::binary_signature(scalar_op, &lt, &rt)?;
        let l = self.coerce(l, lt, sig.left)?;
        let r = self.coerce(r, rt, sig.right)?;
        let bound = BoundExpr::Binary { op: scalar_op, sig, left: Box::new(l), right: Box::new(r) };
        if negate {
            Ok((BoundExpr::Not(Box::new(bound)), sig.result))
        } else {
            Ok((bound, sig.result))
        }
    }

    fn bind_case(
        &mut self,
        operand: Option<&Expr>,
        branches: &[(Expr, Expr)],
        else_result: Option<&Expr>,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        let mut conditions = Vec::with_capacity(branches.len());
        let mut results = Vec::with_capacity(branches.len() + 1);
        // PostgreSQL unifies the ELSE result first, then the branches in order (which its error message shows).
        let else_bound = match else_result {
            Some(expr) => Some(self.bind_expr(expr, scope)?),
            None => None,
        };
        let mut common = else_bound.as_ref().map(|(_, t)| *t).unwrap_or(DataType::Unknown);
        for (when, then) in branches {
            let condition = match operand {
                Some(operand) => Expr::Binary {
                    op: BinaryOperator::Eq,
                    left: Box::new(operand.clone()),
                    right: Box::new(when.clone()),
                },
                None => when.clone(),
            };
            let (bound, data_type) = self.bind_expr(&condition, scope)?;
            conditions.push(self.coerce_bool(bound, data_type, "CASE/WHEN")?);
            let (result, result_type) = self.bind_expr(then, scope)?;
            common = unify_case(&common, &result_type)?;
            results.push((result, result_type));
        }
        if common == DataType::Unknown {
            common = DataType::Text;
        }
        let mut bound_branches = Vec::with_capacity(conditions.len());
        for (condition, (result, result_type)) in conditions.into_iter().zip(results) {
            bound_branches.push((condition, self.coerce(result, result_type, common)?));
        }
        let else_result = match else_bound {
            Some((bound, data_type)) => Some(Box::new(self.coerce(bound, data_type, common)?)),
            None => None,
        };
        Ok((BoundExpr::Case { branches: bound_branches, else_result }, common))
    }

    fn bind_function(
        &mut self,
        name: &str,
        args: &[Expr],
        distinct: bool,
        star: bool,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        if name == "grouping" {
            return self.bind_grouping(args);
        }
        if functions::is_aggregate(name) {
            let call = ast::OrderedAggregate {
                name: name.to_string(),
                args: args.to_vec(),
                distinct,
                order_by: Vec::new(),
                within_group: false,
            };
            return self.bind_aggregate(&call, star, scope);
        }
        if is_table_function(name) {
            return self.bind_select_list_function(name, args, scope);
        }
        if ZippedCalls::is_zipped(name) {
            return self.bind_zipped_call(name, args, scope);
        }
        if name == "pg_partition_ancestors" && args.len() == 1 {
            // occam has no partitions, and PostgreSQL lists no ancestors of a relation that is not one
            // (psql's `\d` asks, for "Referenced by:"): an empty series of regclass.
            self.bind_expr(&args[0], scope)?;
            let number = |n: i64| Expr::Literal(ast::Literal::Number(Value::Int(n), DataType::Int4));
            let (empty, from) = self.bind_select_list_function("generate_series", &[number(1), number(0)], scope)?;
            let regclass = DataType::Reg(crate::types::RegKind::Class);
            return Ok((BoundExpr::Cast { expr: Box::new(empty), from, to: regclass }, regclass));
        }
        if name == "sys.wait_for_job" {
            // A procedure (run with CALL), as in DSQL; 42809 is PostgreSQL's wrong_object_type.
            return Err(Error::new(sqlstate::WRONG_OBJECT_TYPE, "sys.wait_for_job(text) is a procedure"));
        }
        if let Some(constant) = self.environment_function(name, args)? {
            return Ok(constant);
        }
        let mut bound = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            let (expr, data_type) = self.bind_expr(arg, scope)?;
            bound.push(expr);
            types.push(data_type);
        }
        let function = match functions::resolve_scalar(name, &types) {
            Err(err) if err.code == sqlstate::UNDEFINED_FUNCTION => {
                // pg_catalog's functions come first, as PostgreSQL's search_path puts them; then the user's.
                return self.sql_function_call(name, bound, types)?.ok_or(err);
            }
            resolved => resolved?,
        };
        self.call(function, bound, types)
    }

    /// A call of a SQL function (`CREATE FUNCTION ... LANGUAGE sql`) in an expression; None when no function
    /// of that name takes the arguments. An expression body is expanded in place over the arguments (cast
    /// to the parameters' types); a query body becomes a scalar subquery giving its first row's value (NULL
    /// without rows), as PostgreSQL's SQL functions do.
    fn sql_function_call(
        &mut self,
        name: &str,
        args: Vec<BoundExpr>,
        types: Vec<DataType>,
    ) -> Result<Option<(BoundExpr, DataType)>> {
        let Some(function) = self.resolve_sql_function(name, &types) else { return Ok(None) };
        let depth = self.function_nesting(&function)?;
        let coerced = self.function_arguments(&function, args, types)?;
        let Some(returns) = function.returns.scalar() else {
            return self.select_list_sql_function(&function, coerced, depth).map(Some);
        };
        let inline = match &function.body {
            FunctionBody::Expr(body) => {
                let bound = expand_sql_function(self.catalog, depth, &function.name, &function.params, body, returns)?;
                bound.subqueries().is_empty().then_some(bound)
            }
            FunctionBody::Query(_) => None,
        };
        let value = match inline {
            Some(body) => body.replace_columns(&|i| coerced[i].clone()),
            None => {
                // The arguments are evaluated inside the subquery, one level below where they were bound.
                let inner = coerced.iter().map(one_level_in).collect::<Result<Vec<_>>>()?;
                let mut plan = self.function_rows(&function, inner, depth)?;
                plan.limit = Some(BoundExpr::Literal(Value::Int(1)));
                // Run again for each row when the arguments read it, or when the function is VOLATILE
                // (PostgreSQL's default: evaluated at every call, `random()` in the body included).
                let reads_row = |a: &BoundExpr| {
                    a.any(|e| matches!(e, BoundExpr::Column(_) | BoundExpr::OuterColumn { .. }))
                        || a.subqueries().iter().any(|s| s.correlated)
                };
                let correlated = function.volatility == 'v' || coerced.iter().any(reads_row);
                let id = self.next_subquery_id;
                self.next_subquery_id += 1;
                BoundExpr::Subquery(Box::new(SubqueryPlan { id, plan, correlated }))
            }
        };
        Ok(Some((strict_call(&function, &coerced, value), returns)))
    }

    /// A set-returning SQL function called in the select list (`SELECT ids(t.x) FROM t`): its rows for each
    /// FROM row, placed after it as a lateral join (PostgreSQL's ProjectSet: a row for which it returns
    /// none is gone). One column only (a row type has no value in occam).
    fn select_list_sql_function(
        &mut self,
        function: &SqlFunction,
        args: Vec<BoundExpr>,
        depth: usize,
    ) -> Result<(BoundExpr, DataType)> {
        let FunctionReturns::SetOf(data_type) = function.returns else {
            return Err(Error::unsupported(format!(
                "{} in an expression (a record per row: call it in FROM)",
                function.signature()
            )));
        };
        if self.select_list_functions.is_none() || self.in_aggregate || self.in_window {
            return Err(Error::unsupported(
                "set-returning functions are only supported in FROM and in the select list of a query without aggregates",
            ));
        }
        let inner = args.iter().map(one_level_in).collect::<Result<Vec<_>>>()?;
        let rows = self.function_rows(function, inner, depth)?;
        Ok((self.add_select_list_call(SelectListCall::Sql(Box::new(rows))), data_type))
    }

    /// The SQL function `name` that takes arguments of `types` (with PostgreSQL's implicit casts): the one
    /// whose parameter types match the arguments exactly in most places.
    fn resolve_sql_function(&self, name: &str, types: &[DataType]) -> Option<Arc<SqlFunction>> {
        let accepts = scalar::can_cast_implicitly;
        self.catalog
            .functions
            .get(name)?
            .iter()
            .filter(|f| f.params.len() == types.len() && f.params.iter().zip(types).all(|((_, p), t)| accepts(t, p)))
            .max_by_key(|f| f.params.iter().zip(types).filter(|((_, p), t)| p == *t).count())
            .cloned()
    }

    /// A call's arguments (of types `types`) cast to `function`'s parameter types.
    fn function_arguments(
        &mut self,
        function: &SqlFunction,
        args: Vec<BoundExpr>,
        types: Vec<DataType>,
    ) -> Result<Vec<BoundExpr>> {
        let mut coerced = Vec::with_capacity(args.len());
        for ((arg, from), (_, to)) in args.into_iter().zip(types).zip(&function.params) {
            coerced.push(self.coerce(arg, from, *to)?);
        }
        Ok(coerced)
    }

    /// How deep `function`'s body is bound (one more than here): 54001 past `MAX_FUNCTION_NESTING`, where a
    /// function that calls itself ends.
    fn function_nesting(&self, function: &SqlFunction) -> Result<usize> {
        let depth = self.function_body.unwrap_or(0);
        if depth >= MAX_FUNCTION_NESTING {
            return Err(Error::new(sqlstate::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded").with_detail(
                format!("SQL function \"{}\" nests more than {MAX_FUNCTION_NESTING} deep.", function.name),
            ));
        }
        Ok(depth + 1)
    }

    /// The query of a function body that is not expanded in place (an expression body with subqueries is
    /// `SELECT expr`).
    fn function_query(function: &SqlFunction) -> std::borrow::Cow<'_, ast::Query> {
        match &function.body {
            FunctionBody::Query(query) => std::borrow::Cow::Borrowed(query.as_ref()),
            FunctionBody::Expr(expr) => std::borrow::Cow::Owned(crate::sql::parse::select_of(expr.clone())),
        }
    }

    /// Checks a function being created as PostgreSQL does: its body binds over the parameters, and gives
    /// what the function returns (42P13).
    fn check_function_body(&mut self, function: &SqlFunction) -> Result<()> {
        if let (FunctionBody::Expr(body), Some(returns)) = (&function.body, function.returns.scalar()) {
            let bound = expand_sql_function(self.catalog, 1, &function.name, &function.params, body, returns)?;
            if bound.subqueries().is_empty() {
                return Ok(());
            }
        }
        let args = function.params.iter().map(|_| BoundExpr::Literal(Value::Null)).collect();
        self.function_rows(function, args, 1).map(|_| ())
    }

    /// The rows a call of a query-bodied function gives: its body, bound with the parameters as its outer
    /// row, run once over the arguments (which must read nothing of the level they stand in but outer
    /// rows), its columns cast to the declared result columns (42P13 as PostgreSQL where they cannot be).
    fn function_rows(&mut self, function: &SqlFunction, args: Vec<BoundExpr>, depth: usize) -> Result<QueryPlan> {
        let query = Self::function_query(function);
        let body = self.plan_function_query(function, &query, depth)?;
        let declared = self.function_columns(function)?;
        let arity = args.len();
        let found: Vec<DataType> = body.columns.iter().map(|c| c.data_type).collect();
        check_function_result(function, &declared, &found)?;
        let source = if arity == 0 {
            Source::Subquery(Box::new(body))
        } else {
            Source::Join(Box::new(JoinPlan {
                kind: ast::JoinKind::Cross,
                left: Source::Values(vec![args]),
                right_width: found.len(),
                right: Source::Subquery(Box::new(body)),
                left_width: arity,
                condition: None,
                merged: Vec::new(),
                lateral: true,
            }))
        };
        let mut projection = Vec::with_capacity(declared.len());
        let mut columns = Vec::with_capacity(declared.len());
        for (i, ((name, to), from)) in declared.into_iter().zip(found).enumerate() {
            projection.push(self.coerce(BoundExpr::Column(arity + i), from, to)?);
            columns.push(Column { name, data_type: to, origin: None });
        }
        let mut plan = QueryPlan::over(source, projection, Arc::from(columns));
        if function.strict && arity > 0 {
            // STRICT: no rows for a NULL argument.
            let present = (0..arity).map(|i| BoundExpr::IsNull { expr: Box::new(BoundExpr::Column(i)), negated: true });
            plan.filter = Some(BoundExpr::And(present.collect()));
        }
        Ok(plan)
    }

    /// A function body's query, bound on its own (it sees no name of the query that calls it) with the
    /// parameters as its outer row, by name (also `fname.param`) or as `$n`; a column of the body's own
    /// FROM items wins over a parameter of the same name, as in PostgreSQL.
    fn plan_function_query(&mut self, function: &SqlFunction, query: &ast::Query, depth: usize) -> Result<QueryPlan> {
        let mut binder = Binder::new(self.catalog, &function.param_types());
        binder.function_body = Some(depth);
        binder.clause = "SQL function bodies";
        binder.session_user = self.session_user.clone();
        binder.reads_rows = self.reads_rows;
        binder.next_subquery_id = self.next_subquery_id;
        binder.next_work_table_id = self.next_work_table_id;
        binder.outer.push(parameter_scope(&function.name, &function.params)?);
        binder.outer_groups.push(None);
        let plan = binder.plan_query(query).map_err(outside_statement_text);
        self.next_subquery_id = binder.next_subquery_id;
        self.next_work_table_id = binder.next_work_table_id;
        plan
    }

    /// The columns a set-returning function gives, names and types (a scalar one: its value, named after
    /// the function).
    fn function_columns(&self, function: &SqlFunction) -> Result<Vec<(String, DataType)>> {
        Ok(match &function.returns {
            FunctionReturns::Scalar(data_type) | FunctionReturns::SetOf(data_type) => {
                vec![(function.name.clone(), *data_type)]
            }
            FunctionReturns::Table(columns) => columns.clone(),
            FunctionReturns::SetOfTable(name) => {
                let Some(table) = self.catalog.find_table(name) else {
                    return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist")));
                };
                table.visible_columns().map(|(_, c)| (c.name.clone(), c.data_type)).collect()
            }
        })
    }

    /// A SQL function in FROM (`FROM f(1)`, also after other items, whose columns its arguments may read:
    /// PostgreSQL's implicit LATERAL): a set-returning one's rows, a scalar one's one row. Its columns are
    /// named as declared (one column: after the function, or the alias), renamed by the alias's list.
    fn plan_sql_function_item(
        &mut self,
        name: &str,
        args: &[Expr],
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Source, Scope)> {
        let saved_clause = std::mem::replace(&mut self.clause, "FROM");
        let mut bound = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for arg in args {
            match self.bind_expr(arg, &Scope::default()) {
                Ok((expr, data_type)) => {
                    bound.push(expr);
                    types.push(data_type);
                }
                Err(err) => {
                    self.clause = saved_clause;
                    return Err(err);
                }
            }
        }
        self.clause = saved_clause;
        let Some(function) = self.resolve_sql_function(name, &types) else {
            return Err(functions::function_does_not_exist(name, &types));
        };
        let (source, mut columns) = match function.returns.scalar() {
            Some(_) => {
                let (value, data_type) = self.sql_function_call(name, bound, types)?.expect("resolved above");
                (Source::Values(vec![vec![value]]), vec![(function.name.clone(), data_type)])
            }
            None => {
                let depth = self.function_nesting(&function)?;
                let coerced = self.function_arguments(&function, bound, types)?;
                let plan = self.function_rows(&function, coerced, depth)?;
                let columns = plan.columns.iter().map(|c| (c.name.clone(), c.data_type)).collect();
                (Source::Subquery(Box::new(plan)), columns)
            }
        };
        if let (Some(alias), [(only, _)]) = (alias, columns.as_mut_slice()) {
            *only = alias.name.clone();
        }
        let names = renamed_by_alias(columns.iter().map(|(n, _)| n.clone()).collect(), alias);
        let scope_columns = names
            .into_iter()
            .zip(columns)
            .map(|(name, (_, data_type))| ScopeColumn { name, data_type, hidden: false, origin: None })
            .collect();
        let mut scope = Scope::default();
        scope.push(Some(alias.map_or_else(|| function.name.clone(), |a| a.name.clone())), scope_columns)?;
        Ok((source, scope))
    }

    /// Whether `name` in FROM is a SQL function (a built-in set-returning function of the name wins).
    fn is_sql_function_item(&self, name: &str) -> bool {
        name != "generate_series"
            && name != "unnest"
            && crate::sql::json::JsonTable::resolve(name, &[]).is_none()
            && self.catalog.functions.contains_key(name)
    }

    /// Functions answered from the server's fixed environment, folded to constants at plan time.
    fn environment_function(&mut self, name: &str, args: &[Expr]) -> Result<Option<(BoundExpr, DataType)>> {
        let text = |s: &str| Some((BoundExpr::Literal(Value::Text(s.to_string())), DataType::Text));
        Ok(match (name, args) {
            ("current_database", []) => text("postgres"),
            ("current_user" | "session_user" | "current_role" | "user", []) if self.session_user.is_some() => {
                text(self.session_user.as_deref().unwrap_or_default())
            }
            _ => None,
        })
    }

    /// An aggregate call, plain (`order_by` empty) or ordered: `agg(x ORDER BY ...)`, or an ordered-set
    /// aggregate `agg(direct args) WITHIN GROUP (ORDER BY x)`.
    fn bind_aggregate(
        &mut self,
        call: &ast::OrderedAggregate,
        star: bool,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        let ast::OrderedAggregate { name, args, distinct, order_by, within_group } = call;
        let (name, distinct, within_group) = (name.as_str(), *distinct, *within_group);
        if self.in_aggregate {
            return Err(Error::new(sqlstate::GROUPING_ERROR, "aggregate function calls cannot be nested"));
        }
        if self.grouping.is_none() {
            return Err(Error::new(
                sqlstate::GROUPING_ERROR,
                format!("aggregate functions are not allowed in {}", self.clause),
            ));
        }
        let call_ast = strip_positions(&if order_by.is_empty() {
            Expr::Function { name: name.to_string(), args: args.to_vec(), distinct, star }
        } else {
            Expr::OrderedAggregate(Box::new(call.clone()))
        });
        if within_group != functions::is_ordered_set_aggregate(name) {
            // PostgreSQL finds no function of that name taking the arguments and ordering columns given.
            let exprs = args.iter().chain(order_by.iter().map(|o| &o.expr));
            let types = self.argument_types(exprs, scope)?;
            return Err(functions::function_does_not_exist(name, &types));
        }
        if let Some(grouping) = &self.grouping {
            if let Some(i) = grouping.aggregate_asts.iter().position(|a| *a == call_ast) {
                return Ok((BoundExpr::Column(grouping.group_bound.len() + i), grouping.aggregate_types[i]));
            }
        }
        if within_group {
            return self.bind_ordered_set_aggregate(call, call_ast, scope);
        }
        self.in_aggregate = true;
        let arg = if star {
            Ok(None)
        } else if name == "string_agg" && args.len() == 2 {
            self.bind_string_agg_args(args, scope).map(Some)
        } else if matches!(name, "json_object_agg" | "jsonb_object_agg") && args.len() == 2 {
            self.bind_object_agg_args(name, args, scope).map(Some)
        } else if args.len() == 1 {
            self.bind_expr(&args[0], scope).map(Some)
        } else {
            Err(Error::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("function {name} with {} arguments does not exist", args.len()),
            ))
        };
        let order = self.bind_aggregate_order(order_by, scope);
        self.in_aggregate = false;
        let (arg, order) = (arg?, order?);
        if distinct
            && !order.is_empty()
            && order_by.iter().any(|o| !args.iter().any(|a| strip_positions(a) == strip_positions(&o.expr)))
        {
            return Err(Error::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            ));
        }
        let aggregate = functions::resolve_aggregate(name, arg.as_ref().map(|(_, t)| t), distinct)?;
        let arg = match arg {
            Some((expr, from)) => {
                let to = aggregate.arg_type.unwrap_or(from);
                Some(self.coerce(expr, from, to)?)
            }
            None => None,
        };
        Ok(self.add_aggregate(AggregateCall { aggregate, arg, order_by: order, grouping: Vec::new() }, call_ast))
    }

    /// `GROUPING(a, b)`: per grouping set, a bit per argument (the first the highest), set when the argument
    /// is not grouped in that set. Evaluated with the aggregates (see `AggregateCall::grouping`).
    fn bind_grouping(&mut self, args: &[Expr]) -> Result<(BoundExpr, DataType)> {
        let not_here = |what: &str| Error::new(sqlstate::GROUPING_ERROR, what.to_string());
        let Some(grouping) = &self.grouping else {
            return Err(not_here(&format!("grouping operations are not allowed in {}", self.clause)));
        };
        if self.in_aggregate {
            return Err(not_here("aggregate function calls cannot contain grouping operations"));
        }
        if args.is_empty() || args.len() > 31 {
            return Err(Error::syntax("GROUPING must have fewer than 32 arguments"));
        }
        let mut positions = Vec::with_capacity(args.len());
        for arg in args {
            let stripped = strip_positions(arg);
            match grouping.group_asts.iter().position(|g| *g == stripped) {
                Some(i) => positions.push(i),
                None => {
                    return Err(not_here(
                        "arguments to GROUPING must be grouping expressions of the associated query level",
                    ))
                }
            }
        }
        let call_ast = strip_positions(&Expr::Function {
            name: "grouping".into(),
            args: args.to_vec(),
            distinct: false,
            star: false,
        });
        let aggregate = functions::grouping_aggregate();
        Ok(self
            .add_aggregate(AggregateCall { aggregate, arg: None, order_by: Vec::new(), grouping: positions }, call_ast))
    }

    /// Registers an aggregate call of the query being grouped; the column its result will be in.
    fn add_aggregate(&mut self, call: AggregateCall, call_ast: Expr) -> (BoundExpr, DataType) {
        let result_type = call.aggregate.result_type;
        let grouping = self.grouping.as_mut().expect("checked by the caller");
        grouping.aggregates.push(call);
        grouping.aggregate_asts.push(call_ast);
        grouping.aggregate_types.push(result_type);
        (BoundExpr::Column(grouping.group_bound.len() + grouping.aggregates.len() - 1), result_type)
    }

    /// The types of an aggregate call's arguments (for its "does not exist" error).
    fn argument_types<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>, scope: &Scope) -> Result<Vec<DataType>> {
        self.in_aggregate = true;
        let types = exprs.map(|e| self.bind_expr(e, scope).map(|(_, t)| t)).collect();
        self.in_aggregate = false;
        types
    }

    /// An aggregate's ORDER BY, bound against its input rows.
    fn bind_aggregate_order(&mut self, order_by: &[ast::OrderByExpr], scope: &Scope) -> Result<Vec<WindowOrder>> {
        order_by
            .iter()
            .map(|item| {
                let (expr, _) = self.bind_expr(&item.expr, scope)?;
                Ok(WindowOrder {
                    expr,
                    descending: item.descending,
                    nulls_first: item.nulls_first.unwrap_or(item.descending),
                })
            })
            .collect()
    }

    /// `percentile_cont(f) / percentile_disc(f) / mode() WITHIN GROUP (ORDER BY x)`: `x` is the
    /// aggregated value; the fraction must be a constant.
    fn bind_ordered_set_aggregate(
        &mut self,
        call: &ast::OrderedAggregate,
        call_ast: Expr,
        scope: &Scope,
    ) -> Result<(BoundExpr, DataType)> {
        let [item] = call.order_by.as_slice() else {
            return Err(Error::new(
                sqlstate::UNDEFINED_FUNCTION,
                format!("function {}() with {} ordering columns does not exist", call.name, call.order_by.len()),
            ));
        };
        let fraction = match call.args.as_slice() {
            [] => None,
            [fraction] => match literal_number(fraction) {
                Some(f) => Some(f),
                None => {
                    return Err(Error::unsupported(format!(
                        "{} with a fraction that is not a constant number",
                        call.name
                    )))
                }
            },
            _ => return Err(functions::function_does_not_exist(&call.name, &[])),
        };
        self.in_aggregate = true;
        let bound = self.bind_expr(&item.expr, scope);
        self.in_aggregate = false;
        let (expr, from) = bound?;
        let aggregate = match functions::resolve_ordered_set_aggregate(&call.name, &from, fraction) {
            Err(err) if err.code == sqlstate::UNDEFINED_FUNCTION => {
                let types = self.argument_types(call.args.iter().chain([&item.expr]), scope)?;
                return Err(functions::function_does_not_exist(&call.name, &types));
            }
            resolved => resolved?,
        };
        let to = aggregate.arg_type.unwrap_or(from);
        let expr = self.coerce(expr, from, to)?;
        let order = vec![WindowOrder {
            expr: expr.clone(),
            descending: item.descending,
            nulls_first: item.nulls_first.unwrap_or(item.descending),
        }];
        Ok(self.add_aggregate(
            AggregateCall { aggregate, arg: Some(expr), order_by: order, grouping: Vec::new() },
            call_ast,
        ))
    }

    /// A window function call: bound over the row after aggregation, collected in `windows`, and
    /// replaced by a placeholder column for its result.
    fn bind_window(&mut self, call: &ast::WindowCall, scope: &Scope) -> Result<(BoundExpr, DataType)> {
        let windowing_error = |message: String| Error::new(sqlstate::WINDOWING_ERROR, message);
        if self.windows.is_none() {
            return Err(windowing_error(format!("window functions are not allowed in {}", self.clause)));
        }
        if self.in_window || self.in_aggregate {
            return Err(if self.in_aggregate {
                Error::new(sqlstate::GROUPING_ERROR, "aggregate function calls cannot contain window function calls")
            } else {
                windowing_error("window function calls cannot be nested".to_string())
            });
        }
        self.in_window = true;
        let bound = self.bind_window_parts(call, scope);
        self.in_window = false;
        let (function, args, partition_by, order_by, result_type) = bound?;
        let frame = call.frame.unwrap_or(ast::WindowFrame {
            rows: false,
            start: ast::FrameBound::UnboundedPreceding,
            end: ast::FrameBound::CurrentRow,
        });
        let windows = self.windows.as_mut().expect("checked above");
        windows.push(WindowCall { function, args, partition_by, order_by, frame, result_type });
        Ok((BoundExpr::Column(WINDOW_RESULTS + windows.len() - 1), result_type))
    }

    #[allow(clippy::type_complexity)]
    fn bind_window_parts(
        &mut self,
        call: &ast::WindowCall,
        scope: &Scope,
    ) -> Result<(WindowFunction, Vec<BoundExpr>, Vec<BoundExpr>, Vec<WindowOrder>, DataType)> {
        let mut partition_by = Vec::with_capacity(call.partition_by.len());
        for expr in &call.partition_by {
            partition_by.push(self.bind_expr(expr, scope)?.0);
        }
        let mut order_by = Vec::with_capacity(call.order_by.len());
        for item in &call.order_by {
            let expr = self.bind_expr(&item.expr, scope)?.0;
            order_by.push(WindowOrder {
                expr,
                descending: item.descending,
                nulls_first: item.nulls_first.unwrap_or(item.descending),
            });
        }
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.bind_expr(arg, scope)?);
        }
        let name = call.name.as_str();
        let signature = args.iter().map(|(_, t)| t.name()).collect::<Vec<_>>().join(", ");
        let wrong_arguments = || {
            Error::new(sqlstate::UNDEFINED_FUNCTION, format!("function {name}({signature}) does not exist")).with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
        };
        use WindowFunction as W;
        let ranking = match name {
            "row_number" => Some((W::RowNumber, DataType::Int8)),
            "rank" => Some((W::Rank, DataType::Int8)),
            "dense_rank" => Some((W::DenseRank, DataType::Int8)),
            "percent_rank" => Some((W::PercentRank, DataType::Float8)),
            "cume_dist" => Some((W::CumeDist, DataType::Float8)),
            _ => None,
        };
        if let Some((function, result_type)) = ranking {
            if !args.is_empty() || call.star {
                return Err(wrong_arguments());
            }
            return Ok((function, Vec::new(), partition_by, order_by, result_type));
        }
        let int_arg = |binder: &mut Self, arg: (BoundExpr, DataType)| -> Result<BoundExpr> {
            if !arg.1.is_integer() && arg.1 != DataType::Unknown {
                return Err(wrong_arguments());
            }
            binder.coerce(arg.0, arg.1, DataType::Int8)
        };
        let mut args = args.into_iter();
        match (name, args.len()) {
            ("ntile", 1) => {
                let buckets = int_arg(self, args.next().expect("one"))?;
                Ok((W::Ntile, vec![buckets], partition_by, order_by, DataType::Int4))
            }
            ("lag" | "lead", 1..=3) => {
                let (value, value_type) = args.next().expect("one");
                let mut bound = vec![value];
                if let Some(offset) = args.next() {
                    bound.push(int_arg(self, offset)?);
                }
                if let Some((default, default_type)) = args.next() {
                    bound.push(self.coerce(default, default_type, value_type)?);
                }
                let function = if name == "lag" { W::Lag } else { W::Lead };
                Ok((function, bound, partition_by, order_by, value_type))
            }
            ("first_value" | "last_value", 1) => {
                let (value, value_type) = args.next().expect("one");
                let function = if name == "first_value" { W::FirstValue } else { W::LastValue };
                Ok((function, vec![value], partition_by, order_by, value_type))
            }
            ("nth_value", 2) => {
                let (value, value_type) = args.next().expect("two");
                let n = int_arg(self, args.next().expect("two"))?;
                Ok((W::NthValue, vec![value, n], partition_by, order_by, value_type))
            }
            (_, count) if functions::is_aggregate(name) && (count == 1 || (call.star && count == 0)) => {
                let arg = args.next();
                let aggregate = functions::resolve_aggregate(name, arg.as_ref().map(|(_, t)| t), false)?;
                let args = match arg {
                    Some((expr, from)) => vec![self.coerce(expr, from, aggregate.arg_type.unwrap_or(from))?],
                    None => Vec::new(),
                };
                let result_type = aggregate.result_type;
                Ok((W::Aggregate(aggregate), args, partition_by, order_by, result_type))
            }
            _ => Err(wrong_arguments()),
        }
    }

    /// `string_agg(value, delimiter)`'s two arguments as the one argument an aggregate call has: the text
    /// pair `ARRAY[value, delimiter]` (see `functions::AggregateFunction::StringAgg`).
    fn bind_string_agg_args(&mut self, args: &[Expr], scope: &Scope) -> Result<(BoundExpr, DataType)> {
        let mut bound = Vec::with_capacity(2);
        let mut types = Vec::with_capacity(2);
        for arg in args {
            let (expr, data_type) = self.bind_expr(arg, scope)?;
            bound.push(expr);
            types.push(data_type);
        }
        if !types.iter().all(|t| t.is_text_like() || *t == DataType::Unknown) {
            return Err(functions::function_does_not_exist("string_agg", &types));
        }
        let mut pair = crate::sql::arrays::resolve_construct(&[DataType::Text, DataType::Text])?;
        pair.arg_types = vec![DataType::Text, DataType::Text];
        self.call(pair, bound, types)
    }

    /// `json[b]_object_agg(key, value)`'s two arguments as one: the pair `json[b]_build_array(key, value)`
    /// (see `sql::json::ObjectAgg`).
    fn bind_object_agg_args(&mut self, name: &str, args: &[Expr], scope: &Scope) -> Result<(BoundExpr, DataType)> {
        let mut bound = Vec::with_capacity(2);
        let mut types = Vec::with_capacity(2);
        for arg in args {
            let (expr, data_type) = self.bind_expr(arg, scope)?;
            bound.push(expr);
            types.push(data_type);
        }
        let builder = if name == "json_object_agg" { "json_build_array" } else { "jsonb_build_array" };
        let pair = crate::sql::json::resolve(builder, &types).unwrap_or_else(|| Err(Error::internal(builder)))?;
        self.call(pair, bound, types)
    }

    fn plan_subquery(&mut self, query: &ast::Query, scope: &Scope) -> Result<SubqueryPlan> {
        if self.clause == CHECK_CLAUSE {
            return Err(Error::unsupported("cannot use subquery in check constraint"));
        }
        // After aggregation the current row is no longer the FROM row: a grouped query offers its
        // subqueries the columns it groups by, at their places among the group keys (PostgreSQL's
        // "subquery uses ungrouped column" for the others). Inside an aggregate's argument nothing is
        // offered (an empty scope keeps the depth numbering right).
        let (visible, groups) = match &self.grouping {
            None => (scope.clone(), None),
            Some(_) if self.in_aggregate => (Scope::default(), None),
            Some(grouping) => (scope.clone(), Some(grouping.group_bound.iter().map(|(g, _)| g.clone()).collect())),
        };
        self.outer.push(visible);
        self.outer_groups.push(groups);
        let saved_grouping = self.grouping.take();
        let saved_in_aggregate = std::mem::replace(&mut self.in_aggregate, false);
        let saved_windows = self.windows.take();
        let saved_in_window = std::mem::replace(&mut self.in_window, false);
        let saved_functions = self.select_list_functions.take();
        let saved_zipped = self.zipped_calls.take();
        let saved_clause = self.clause;
        let refs_before = self.outer_refs;
        let plan = self.plan_query(query);
        self.outer.pop();
        self.outer_groups.pop();
        self.grouping = saved_grouping;
        self.in_aggregate = saved_in_aggregate;
        self.windows = saved_windows;
        self.in_window = saved_in_window;
        self.select_list_functions = saved_functions;
        self.zipped_calls = saved_zipped;
        self.clause = saved_clause;
        let plan = plan?;
        let id = self.next_subquery_id;
        self.next_subquery_id += 1;
        Ok(SubqueryPlan { id, plan, correlated: self.outer_refs > refs_before })
    }

    /// Converts `expr` of type `from` to `to`: infers an untyped parameter's type, parses an untyped
    /// literal, folds casts of constants, and otherwise wraps a runtime cast.
    fn coerce(&mut self, expr: BoundExpr, from: DataType, to: DataType) -> Result<BoundExpr> {
        if to == DataType::Unknown || from == to {
            return Ok(expr);
        }
        match expr {
            // A name for a reg* type needs the catalog, which reading the parameter's bytes has not: the
            // parameter is text, cast when the statement runs (`$1::regtype`, psycopg's TypeInfo).
            BoundExpr::Parameter(i) if self.params[i] == DataType::Unknown && matches!(to, DataType::Reg(_)) => {
                self.params[i] = DataType::Text;
                Ok(BoundExpr::Cast { expr: Box::new(expr), from: DataType::Text, to })
            }
            BoundExpr::Parameter(i) if self.params[i] == DataType::Unknown => {
                self.params[i] = to;
                Ok(expr)
            }
            BoundExpr::Literal(Value::Null) => Ok(expr),
            BoundExpr::Literal(Value::Text(s)) if from == DataType::Unknown => match to {
                // `'orders'::regclass`: looked up now, as PostgreSQL folds the constant when planning.
                DataType::Reg(kind) => {
                    let oid = crate::sql::system::names::reg_input(self.catalog, kind, &s)?;
                    Ok(BoundExpr::Literal(Value::Int(oid as i64)))
                }
                // `'{int,int8}'::regtype[]` (drizzle-kit's introspection): each element looked up likewise.
                DataType::Array(element) if matches!(element.data_type(), DataType::Reg(_)) => {
                    let DataType::Reg(kind) = element.data_type() else { unreachable!("matched above") };
                    let text_array = DataType::Text.array_of().expect("text has an array type");
                    let Value::Array(names) = crate::types::text::parse(&s, &text_array)? else {
                        unreachable!("an array type parses to an array")
                    };
                    let oids = names
                        .into_iter()
                        .map(|name| match name {
                            Value::Text(name) => crate::sql::system::names::reg_input(self.catalog, kind, &name)
                                .map(|oid| Value::Int(oid as i64)),
                            other => Ok(other),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok(BoundExpr::Literal(Value::Array(oids)))
                }
                _ => Ok(BoundExpr::Literal(crate::types::text::parse(&s, &to)?)),
            },
            BoundExpr::Literal(Value::Text(s)) if from.is_text_like() && matches!(to, DataType::Reg(_)) => {
                let DataType::Reg(kind) = to else { unreachable!("matched above") };
                let oid = crate::sql::system::names::reg_input(self.catalog, kind, &s)?;
                Ok(BoundExpr::Literal(Value::Int(oid as i64)))
            }
            // A reg* value's name needs the catalog and the session's search path: cast when run.
            BoundExpr::Literal(value) if matches!(from, DataType::Reg(_)) && !to.is_oid() => {
                Ok(BoundExpr::Cast { expr: Box::new(BoundExpr::Literal(value)), from, to })
            }
            // A cast that reads the session time zone runs with the statement (a prepared statement may
            // run in another zone), as PostgreSQL's stable casts; an untyped literal was read above.
            BoundExpr::Literal(value) if (from == DataType::Timestamptz) != (to == DataType::Timestamptz) => {
                Ok(BoundExpr::Cast { expr: Box::new(BoundExpr::Literal(value)), from, to })
            }
            BoundExpr::Literal(value) => Ok(BoundExpr::Literal(scalar::cast(value, &from, &to)?)),
            other => {
                let from = if from == DataType::Unknown { DataType::Text } else { from };
                if from == to {
                    return Ok(other);
                }
                Ok(BoundExpr::Cast { expr: Box::new(other), from, to })
            }
        }
    }
}

/// Whether a FROM item is or holds a LATERAL item (a LATERAL subquery, or a function, which PostgreSQL
/// treats as LATERAL), which may read the items before it.
fn is_lateral(item: &TableRef) -> bool {
    match item {
        TableRef::Subquery { lateral, .. } => *lateral,
        TableRef::Function { .. } => true,
        TableRef::Join { left, right, .. } => is_lateral(left) || is_lateral(right),
        TableRef::Table { .. } => false,
    }
}

fn check_assignable(from: &DataType, column: &str, to: &DataType) -> Result<()> {
    if *from == DataType::Unknown || from == to || scalar::can_assign(from, to) {
        return Ok(());
    }
    Err(Error::datatype_mismatch(format!(
        "column \"{column}\" is of type {} but expression is of type {}",
        to.name(),
        from.name()
    ))
    .with_hint("You will need to rewrite or cast the expression."))
}

fn unify_case(a: &DataType, b: &DataType) -> Result<DataType> {
    scalar::common_type(a, b)
        .ok_or_else(|| Error::datatype_mismatch(format!("CASE types {} and {} cannot be matched", a.name(), b.name())))
}

fn strip_position(expr: &Expr) -> &Expr {
    match expr {
        Expr::Positioned { expr, .. } => strip_position(expr),
        other => other,
    }
}

/// Whether `name` is a set-returning function that `Binder::plan_table_function` plans (in FROM, or in a
/// select list as a placeholder column).
fn is_table_function(name: &str) -> bool {
    matches!(name, "generate_series" | "information_schema._pg_expandarray" | "pg_options_to_table")
        || crate::sql::json::JsonTable::resolve(name, &[]).is_some()
}

/// Whether `expr` calls an aggregate at this query level (subqueries are their own level).
fn contains_aggregate(expr: &Expr) -> bool {
    match expr {
        // GROUPING(...) makes a query grouped as an aggregate does.
        Expr::Function { name, args, .. } => {
            functions::is_aggregate(name) || name == "grouping" || args.iter().any(contains_aggregate)
        }
        Expr::Literal(_) | Expr::Column { .. } | Expr::Parameter(_) => false,
        Expr::Binary { left, right, .. } => contains_aggregate(left) || contains_aggregate(right),
        Expr::And(operands) | Expr::Or(operands) => operands.iter().any(contains_aggregate),
        Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => contains_aggregate(expr),
        Expr::Positioned { expr, .. } | Expr::FieldSelect { expr, .. } => contains_aggregate(expr),
        Expr::InList { expr, list, .. } => contains_aggregate(expr) || list.iter().any(contains_aggregate),
        Expr::Between { expr, low, high, .. } => {
            contains_aggregate(expr) || contains_aggregate(low) || contains_aggregate(high)
        }
        Expr::Case { operand, branches, else_result } => {
            operand.as_deref().is_some_and(contains_aggregate)
                || branches.iter().any(|(w, t)| contains_aggregate(w) || contains_aggregate(t))
                || else_result.as_deref().is_some_and(contains_aggregate)
        }
        Expr::Subquery(_) | Expr::Exists { .. } => false,
        Expr::InSubquery { expr, .. } => contains_aggregate(expr),
        Expr::OrderedAggregate(_) => true,
        // The window's own arguments and keys are evaluated after aggregation: their aggregates group.
        Expr::Window(call) => {
            call.args.iter().chain(&call.partition_by).any(contains_aggregate)
                || call.order_by.iter().any(|o| contains_aggregate(&o.expr))
        }
        Expr::AnyAll { expr, array: other, .. } | Expr::Subscript { expr, index: other } => {
            contains_aggregate(expr) || contains_aggregate(other)
        }
        Expr::Array(items) => items.iter().any(contains_aggregate),
    }
}

/// PostgreSQL's name for an output column without an alias, with its "strength" (2 = a real name, 1 = a
/// type or keyword name, 0 = `?column?`), following FigureColname.
pub fn column_name(expr: &Expr) -> (String, u8) {
    match expr {
        Expr::Column { name, .. } => (name.clone(), 2),
        Expr::Function { name, .. } => (name.clone(), 2),
        Expr::Window(call) => (call.name.clone(), 2),
        Expr::OrderedAggregate(call) => (call.name.clone(), 2),
        Expr::Positioned { expr, .. } => column_name(expr),
        Expr::Cast { expr, data_type } => {
            let inner = column_name(expr);
            if inner.1 > 1 {
                inner
            } else {
                // An array type is named by its element (`'{1}'::int[]` is `int4`), as PostgreSQL.
                let named = match data_type {
                    DataType::Array(element) => element.data_type(),
                    other => *other,
                };
                (internal_type_name(&named).to_string(), 1)
            }
        }
        Expr::Case { .. } => ("case".to_string(), 1),
        Expr::Array(_) => ("array".to_string(), 1),
        Expr::Subscript { expr, .. } => column_name(expr),
        Expr::FieldSelect { field, .. } => (field.clone(), 2),
        Expr::Exists { .. } => ("exists".to_string(), 2),
        Expr::Subquery(query) => match &query.body {
            ast::QueryBody::Select(select) => match select.projection.first() {
                Some(SelectItem::Expr { alias: Some(alias), .. }) => (alias.clone(), 2),
                Some(SelectItem::Expr { expr, .. }) => column_name(expr),
                _ => ("?column?".to_string(), 0),
            },
            _ => ("?column?".to_string(), 0),
        },
        _ => ("?column?".to_string(), 0),
    }
}

/// PostgreSQL's internal type name (`int4`, `bpchar`), which names a cast's output column.
pub fn internal_type_name(data_type: &DataType) -> &'static str {
    data_type.internal_name()
}

/// The scope columns of a subquery in FROM: its output columns, the first ones renamed by `renames`.
/// A derived table's column names (`names`, possibly fewer than its columns) with the FROM item's alias
/// column list applied over them in order.
fn renamed_by_alias(mut names: Vec<String>, alias: Option<&ast::TableAlias>) -> Vec<String> {
    for (i, rename) in alias.iter().flat_map(|a| a.columns.iter()).enumerate() {
        match names.get_mut(i) {
            Some(slot) => *slot = rename.clone(),
            None => names.push(rename.clone()),
        }
    }
    names
}

fn derived_columns(plan: &QueryPlan, renames: &[String]) -> Vec<ScopeColumn> {
    plan.columns
        .iter()
        .enumerate()
        .map(|(i, c)| ScopeColumn {
            name: renames.get(i).cloned().unwrap_or_else(|| c.name.clone()),
            data_type: c.data_type,
            hidden: false,
            origin: c.origin,
        })
        .collect()
}

/// Where a `WITH RECURSIVE` query may not read itself ("{name}" is its name).
const IN_NON_RECURSIVE_TERM: &str =
    "recursive reference to query \"{name}\" must not appear within its non-recursive term";
const NOT_RECURSIVE_FORM: &str =
    "recursive query \"{name}\" does not have the form non-recursive-term UNION [ALL] recursive-term";
const MODIFYING_RECURSION: &str = "recursive query \"{name}\" must not contain data-modifying statements";

/// Where window results are numbered while a select list is bound (far beyond any row): see
/// `Binder::windows`.
const WINDOW_RESULTS: usize = 1 << 40;

/// The value of a numeric literal (looking through positions, casts and a minus sign).
fn literal_number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Positioned { expr, .. } | Expr::Cast { expr, .. } => literal_number(expr),
        Expr::Literal(Literal::Number(value, _)) => match value {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Numeric(d) => d.to_string().parse().ok(),
            _ => None,
        },
        Expr::Unary { op: ast::UnaryOperator::Minus, expr } => literal_number(expr).map(|f| -f),
        _ => None,
    }
}

/// Where a select list's set-returning function results are numbered while it is bound (below the window
/// results): see `Binder::select_list_functions`.
const SELECT_LIST_FUNCTIONS: usize = 1 << 39;

/// The table `ANALYZE name (columns)` names, its columns checked (42P01, 42703 as PostgreSQL).
fn analyze_target(catalog: &Catalog, name: &ast::ObjectName, columns: &[String]) -> Result<Arc<Table>> {
    let table = catalog.table(name)?;
    for column in columns {
        if table.column_index(column).is_none() {
            return Err(Error::new(
                sqlstate::UNDEFINED_COLUMN,
                format!("column \"{column}\" of relation \"{}\" does not exist", table.name),
            ));
        }
    }
    Ok(table.clone())
}

/// Every table, by name (what ANALYZE and VACUUM without a name process).
fn every_table(catalog: &Catalog) -> Vec<Arc<Table>> {
    let mut tables: Vec<Arc<Table>> = catalog.tables().cloned().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables
}
