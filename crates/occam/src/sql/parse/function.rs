//! `CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql` and `DROP FUNCTION`, translated to occam's AST. Aurora
//! DSQL runs SQL-language functions only; occam runs scalar ones whose body is one expression
//! (`RETURN expr`, `AS 'SELECT expr'`), which the binder expands where they are called (PostgreSQL inlines
//! such functions too). Other languages, set-returning functions, OUT parameters, defaults and bodies
//! that read tables are refused with 0A000.

use sqlparser::ast as sp;

use super::expr::fold_ident;
use super::{unsupported, Translator};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, CreateFunction, FunctionSignature, QueryBody, SelectItem, Statement};

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
            Some(sp::FunctionReturnType::DataType(data_type)) => self.data_type(data_type)?,
            Some(sp::FunctionReturnType::SetOf(_)) => return Err(unsupported("set-returning SQL functions")),
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
        let body = match &create.function_body {
            Some(sp::CreateFunctionBody::Return(expr)) => self.expr(expr)?,
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
                body_expression(&text)?
            }
            None => return Err(Error::new(sqlstate::INVALID_FUNCTION_DEFINITION, "no function body specified")),
            Some(_) => return Err(unsupported("this form of function body (use RETURN expr or AS 'SELECT expr')")),
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
            body_sql: crate::sql::parse::expression_to_sql(&body),
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

/// The expression of a body `SELECT expr` (one statement, one column, no FROM or other clause).
fn body_expression(text: &str) -> Result<ast::Expr> {
    let statements = crate::sql::parse::parse(text)?;
    let query = match statements.as_slice() {
        [Statement::Query(query)] => query,
        [] => return Err(unsupported("an empty function body")),
        [_] => return Err(unsupported("SQL functions whose body is not a SELECT")),
        _ => return Err(unsupported("SQL functions of several statements")),
    };
    let reads_nothing =
        query.with.is_empty() && query.order_by.is_empty() && query.limit.is_none() && query.offset.is_none();
    if let QueryBody::Select(select) = &query.body {
        let plain = select.from.is_empty()
            && select.filter.is_none()
            && select.group_by.is_empty()
            && select.having.is_none()
            && !select.distinct
            && select.distinct_on.is_empty();
        if let ([SelectItem::Expr { expr, .. }], true, true) = (select.projection.as_slice(), plain, reads_nothing) {
            return Ok(expr.clone());
        }
        if select.projection.len() > 1 {
            return Err(Error::new(
                sqlstate::INVALID_FUNCTION_DEFINITION,
                "return type mismatch in function declared to return a single column",
            ));
        }
    }
    Err(unsupported("SQL functions whose body reads tables (occam expands a function's one expression)"))
}
