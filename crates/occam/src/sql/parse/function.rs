//! `CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql` and `DROP FUNCTION`, translated to occam's AST. Aurora
//! DSQL runs SQL-language functions only; occam runs those whose body is one expression (`RETURN expr`,
//! `AS 'SELECT expr'`), which the binder expands where they are called (PostgreSQL inlines such functions
//! too), or one query (`AS 'SELECT ... FROM ...'`), which it runs as a subquery: scalar (the first row's
//! value) or set-returning (`RETURNS SETOF type | SETOF table | TABLE (...)`, read in FROM). Other
//! languages, OUT parameters, defaults, bodies of several statements and data-modifying bodies are
//! refused with 0A000.

use sqlparser::ast as sp;

use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{
    self, CreateFunction, FunctionBody, FunctionReturns, FunctionSignature, QueryBody, SelectItem, Statement,
};

impl Translator<'_> {
    pub(super) fn create_function(&self, create: &sp::CreateFunction) -> Result<Statement> {
        if create.temporary || create.or_alter || create.if_not_exists {
            return Err(unsupported(format!("{create}")));
        }
        let language = create.language.as_ref().map(fold_ident);
        let sql_standard_body = matches!(create.function_body, Some(sp::CreateFunctionBody::Return(_)));
        match language.as_deref() {
            Some("sql") => {}
            // A `RETURN expr` body is SQL whatever the LANGUAGE clause leaves unsaid.
            None if sql_standard_body => {}
            None => return Err(Error::new(sqlstate::INVALID_FUNCTION_DEFINITION, "no language specified")),
            Some("plpgsql") => return Err(unsupported("LANGUAGE plpgsql (Aurora DSQL runs SQL functions only)")),
            Some(other) => {
                return Err(Error::new(sqlstate::UNDEFINED_OBJECT, format!("language \"{other}\" does not exist")))
            }
        }
        let returns = match &create.return_type {
            Some(sp::FunctionReturnType::DataType(sp::DataType::Table(Some(columns)))) => FunctionReturns::Table(
                columns
                    .iter()
                    .map(|c| Ok((fold_ident(&c.name), self.data_type(&c.data_type)?)))
                    .collect::<Result<_>>()?,
            ),
            Some(sp::FunctionReturnType::DataType(data_type)) => match self.data_type(data_type) {
                Ok(data_type) => FunctionReturns::Scalar(data_type),
                Err(err) if err.code == sqlstate::UNDEFINED_OBJECT && matches!(data_type, sp::DataType::Custom(..)) => {
                    return Err(unsupported(format!("SQL functions returning a row type ({data_type})")))
                }
                Err(err) => return Err(err),
            },
            Some(sp::FunctionReturnType::SetOf(data_type)) => match self.data_type(data_type) {
                Ok(element) => FunctionReturns::SetOf(element),
                // `SETOF table`: a table's row type (the binder checks the table exists).
                Err(err) if err.code == sqlstate::UNDEFINED_OBJECT => match data_type {
                    sp::DataType::Custom(name, modifiers) if modifiers.is_empty() => {
                        let name = self.object_name(name)?;
                        if name.schema.as_deref().is_some_and(|s| s != crate::catalog::PUBLIC_SCHEMA) {
                            return Err(unsupported("SETOF a table outside schema public"));
                        }
                        FunctionReturns::SetOfTable(name.name)
                    }
                    _ => return Err(err),
                },
                Err(err) => return Err(err),
            },
            None => return Err(unsupported("a function without RETURNS")),
        };
        let mut params = Vec::new();
        for arg in create.args.iter().flatten() {
            if !matches!(arg.mode, None | Some(sp::ArgMode::In)) {
                return Err(unsupported("OUT and INOUT parameters"));
            }
            if arg.default_expr.is_some() {
                return Err(unsupported("parameter defaults"));
            }
            params.push((arg.name.as_ref().map(fold_ident), self.data_type(&arg.data_type)?));
        }
        let (body, source) = match &create.function_body {
            Some(sp::CreateFunctionBody::Return(expr)) => {
                let expr = self.expr(expr)?;
                let source = crate::sql::parse::expression_to_sql(&expr);
                let body = match returns {
                    FunctionReturns::Scalar(_) => FunctionBody::Expr(expr),
                    _ => FunctionBody::Query(Box::new(select_of(expr))),
                };
                (body, source)
            }
            Some(sp::CreateFunctionBody::AsBeforeOptions { body, link_symbol: None })
            | Some(sp::CreateFunctionBody::AsAfterOptions(body)) => {
                let text = match body {
                    sp::Expr::Value(value) => match &value.value {
                        sp::Value::SingleQuotedString(text) => text.clone(),
                        sp::Value::DollarQuotedString(quoted) => quoted.value.clone(),
                        _ => return Err(unsupported(format!("the function body {body}"))),
                    },
                    _ => return Err(unsupported(format!("the function body {body}"))),
                };
                (body_of(&text, &returns)?, text)
            }
            None => return Err(Error::new(sqlstate::INVALID_FUNCTION_DEFINITION, "no function body specified")),
            Some(_) => return Err(unsupported("this form of function body (use RETURN expr or AS 'query')")),
        };
        let volatility = match create.behavior {
            Some(sp::FunctionBehavior::Immutable) => 'i',
            Some(sp::FunctionBehavior::Stable) => 's',
            Some(sp::FunctionBehavior::Volatile) | None => 'v',
        };
        let strict = matches!(
            create.called_on_null,
            Some(sp::FunctionCalledOnNull::Strict | sp::FunctionCalledOnNull::ReturnsNullOnNullInput)
        );
        Ok(Statement::CreateFunction(CreateFunction {
            name: self.object_name(&create.name)?,
            or_replace: create.or_replace,
            params,
            returns,
            sql_standard: matches!(create.function_body, Some(sp::CreateFunctionBody::Return(_))),
            body,
            source,
            volatility,
            strict,
        }))
    }

    pub(super) fn drop_function(&self, drop: &sp::DropFunction) -> Result<Statement> {
        // CASCADE and RESTRICT are the same: nothing depends on a function (it is expanded where called).
        let mut functions = Vec::with_capacity(drop.func_desc.len());
        for desc in &drop.func_desc {
            let params = match &desc.args {
                None => None,
                Some(args) => Some(args.iter().map(|a| self.data_type(&a.data_type)).collect::<Result<Vec<_>>>()?),
            };
            functions.push(FunctionSignature { name: self.object_name(&desc.name)?, params });
        }
        Ok(Statement::DropFunction { functions, if_exists: drop.if_exists })
    }
}

/// A function body given as text (`AS '...'`): one query; a scalar function's `SELECT expr` without
/// FROM or other clauses is its expression (expanded where the function is called).
pub fn body_of(text: &str, returns: &FunctionReturns) -> Result<FunctionBody> {
    let statements = crate::sql::parse::parse(text)?;
    let query = match statements.as_slice() {
        [Statement::Query(query)] => query,
        [] => return Err(unsupported("an empty function body")),
        [Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)] => {
            return Err(unsupported("a SQL function body that modifies data"))
        }
        [_] => {
            return Err(Error::new(
                sqlstate::INVALID_FUNCTION_DEFINITION,
                format!("return type mismatch in function declared to return {}", returns.type_name()),
            )
            .with_detail("Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING."));
        }
        _ => return Err(unsupported("a SQL function body of several statements")),
    };
    let reads_nothing =
        query.with.is_empty() && query.order_by.is_empty() && query.limit.is_none() && query.offset.is_none();
    if let (QueryBody::Select(select), Some(_)) = (&query.body, returns.scalar()) {
        let plain = select.from.is_empty()
            && select.filter.is_none()
            && select.group_by.is_empty()
            && select.having.is_none()
            && !select.distinct
            && select.distinct_on.is_empty();
        if let ([SelectItem::Expr { expr, .. }], true, true) = (select.projection.as_slice(), plain, reads_nothing) {
            return Ok(FunctionBody::Expr(expr.clone()));
        }
    }
    Ok(FunctionBody::Query(query.clone()))
}

/// `SELECT expr`, as a query.
pub fn select_of(expr: ast::Expr) -> ast::Query {
    let select = ast::Select {
        grouping_sets: Vec::new(),
        distinct: false,
        distinct_on: Vec::new(),
        projection: vec![SelectItem::Expr { expr, alias: None }],
        from: Vec::new(),
        filter: None,
        group_by: Vec::new(),
        having: None,
    };
    ast::Query::of_select(select)
}
