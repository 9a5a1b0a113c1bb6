//! Privilege checks: which privileges a statement needs, and whether a role holds them.
//!
//! Sessions of the administrator skip this; every other session checks each statement against the catalog
//! snapshot it was planned with, right before it runs (so a prepared statement is checked at every
//! execution, and a GRANT or REVOKE takes effect at the next statement of every session). The rules are
//! PostgreSQL's, at table granularity:
//!
//! ```text
//!   SELECT                      SELECT on every table read (FROM, joins, subqueries anywhere)
//!   INSERT                      INSERT on the target; SELECT on it with RETURNING; SELECT on tables read
//!   COPY                        FROM: INSERT on the table; TO: SELECT on the table, or what its query reads
//!   UPDATE                      UPDATE on the target; SELECT on it when a WHERE, a SET expression or
//!                               RETURNING reads its columns; SELECT on tables read
//!   DELETE                      DELETE on the target; SELECT on it with WHERE or RETURNING; tables read
//!   CREATE TABLE / VIEW / ...   CREATE on the schema it goes in (42501 permission denied for schema s)
//!   any use of a relation       USAGE on its schema (every role has it on public; owners on their own)
//!   DROP TABLE                  ownership                    (42501 must be owner of table t)
//!   CREATE INDEX / DROP INDEX   ownership of the table       (42501 must be owner of table t / index i)
//! ```
//! INSERT, UPDATE and DELETE on a view also need the view owner's privilege on the table (or view) below it,
//! which the view writes as its owner.
//! Role and privilege statements check their own rights when they run (`roles::execute`).

use crate::catalog::{Catalog, PUBLIC_SCHEMA};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{self, CommentObject, Expr, ObjectName, Privilege, QueryBody, SelectItem, Statement, TableRef};

/// Checks that non-administrator `role` may run `statement` (42501 otherwise).
pub fn check<'a>(catalog: &'a Catalog, role: &str, statement: &'a Statement) -> Result<()> {
    if let Statement::Explain { statement: inner, .. } | Statement::Merge(inner) = statement {
        // EXPLAIN needs what its statement needs (PostgreSQL checks them even without ANALYZE).
        return check(catalog, role, inner);
    }
    let mut needs = Needs { functions: Some(catalog), ..Needs::default() };
    match statement {
        Statement::Query(query) => needs.query(query),
        Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_) => needs.modification(statement),
        Statement::Copy(copy) => match &copy.relation {
            ast::CopyRelation::Table { name, .. } => {
                needs.push(name, if copy.is_from { Privilege::Insert } else { Privilege::Select })
            }
            ast::CopyRelation::Query(query) => needs.query(query),
        },
        // A temporary table needs no schema privilege (PostgreSQL's TEMP privilege belongs to PUBLIC).
        Statement::CreateTable(ast::CreateTable { name, temporary: None, .. })
        | Statement::CreateView(ast::CreateView { name, .. })
        | Statement::CreateTableAs(ast::CreateTableAs { name, temporary: None, .. })
        | Statement::Sequence(ast::SequenceStatement::Create { name, .. })
            if !may_create_in(catalog, role, name) =>
        {
            return Err(permission_denied(format!("permission denied for schema {}", creation_schema(catalog, name))));
        }
        Statement::CreateFunction(_) | Statement::DropFunction { .. } | Statement::CommentOnFunction { .. }
            if !catalog.roles.has_schema_privilege(role, PUBLIC_SCHEMA, Privilege::Create) =>
        {
            return Err(permission_denied(format!("permission denied for schema {PUBLIC_SCHEMA}")));
        }
        // A view's query reads as its owner: its creator must be able to read what it reads (stricter than
        // PostgreSQL, which checks the owner's privileges when the view is used).
        Statement::CreateView(create) => needs.query(&create.query),
        Statement::CreateTableAs(create) => needs.query(&create.query),
        Statement::RefreshMaterializedView { name, .. } => {
            if let Some(relation) = find(catalog, name) {
                if catalog.roles.table_owner(relation.id) != Some(role) {
                    return Err(permission_denied(format!("must be owner of materialized view {}", relation.name)));
                }
            }
        }
        Statement::DropTable { names, .. }
        | Statement::DropView { names, .. }
        | Statement::DropMaterializedView { names, .. } => {
            for name in names {
                if let Some(relation) = find(catalog, name) {
                    if catalog.roles.table_owner(relation.id) != Some(role) {
                        return Err(permission_denied(format!("must be owner of {} {}", relation.kind, relation.name)));
                    }
                }
            }
        }
        Statement::AlterTable(alter) => {
            if let Some(table) = find(catalog, &alter.name) {
                if catalog.roles.table_owner(table.id) != Some(role) {
                    return Err(permission_denied(format!("must be owner of table {}", table.name)));
                }
            }
        }
        Statement::CreateIndex(create) => {
            if let Some(table) = find(catalog, &create.table) {
                if catalog.roles.table_owner(table.id) != Some(role) {
                    return Err(permission_denied(format!("must be owner of table {}", table.name)));
                }
            }
        }
        Statement::Comment { object: CommentObject::Schema, name, .. } => {
            return Err(permission_denied(format!("must be owner of schema {}", name.name)));
        }
        Statement::Comment { object: CommentObject::Index, name, .. } => {
            if let Some(index) = catalog.index_named(name).ok().flatten() {
                if catalog.roles.table_owner(index.table_id) != Some(role) {
                    return Err(permission_denied(format!("must be owner of index {}", index.name)));
                }
            }
        }
        Statement::Comment { name, .. } => {
            if let Some(relation) = find(catalog, name) {
                if catalog.roles.table_owner(relation.id) != Some(role) {
                    return Err(permission_denied(format!("must be owner of relation {}", relation.name)));
                }
            }
        }
        Statement::DropIndex { names, .. } => {
            for name in names {
                if let Some(index) = catalog.index_named(name).ok().flatten() {
                    if catalog.roles.table_owner(index.table_id) != Some(role) {
                        return Err(permission_denied(format!("must be owner of index {}", index.name)));
                    }
                }
            }
        }
        _ => {}
    }
    for (name, privilege) in &needs.tables {
        if let Some(relation) = find(catalog, name) {
            if !catalog.has_schema_privilege(role, relation.schema, Privilege::Usage) {
                return Err(permission_denied(format!("permission denied for schema {}", relation.schema)));
            }
            if !catalog.roles.has_table_privilege(role, relation.id, *privilege) {
                return Err(permission_denied(format!("permission denied for {} {}", relation.kind, relation.name)));
            }
        }
        if let Some(view) = catalog.find_view(name) {
            check_written_through(catalog, view, *privilege)?;
        }
    }
    Ok(())
}

/// INSERT / UPDATE / DELETE on a view write its base table as the view's owner, as PostgreSQL: the owner
/// must hold the privilege there (and so on down a view over a view).
fn check_written_through(catalog: &Catalog, view: &crate::catalog::views::View, privilege: Privilege) -> Result<()> {
    use crate::sql::updatable::{base_relation, BaseRelation};
    if !matches!(privilege, Privilege::Insert | Privilege::Update | Privilege::Delete) {
        return Ok(());
    }
    let mut view = view;
    // A view that reads itself fails when it is bound; the depth only bounds the walk.
    for _ in 0..32 {
        let Some(owner) = catalog.roles.table_owner(view.id) else { return Ok(()) };
        if owner == crate::roles::ADMIN_ROLE {
            return Ok(());
        }
        let (id, name, kind, inner) = match base_relation(catalog, &view.query) {
            None => return Ok(()),
            Some(BaseRelation::Table(table)) => (table.id, &table.name, "table", None),
            Some(BaseRelation::View(inner)) => (inner.id, &inner.name, "view", Some(inner)),
        };
        if !catalog.roles.has_table_privilege(owner, id, privilege) {
            return Err(permission_denied(format!("permission denied for {kind} {name}")));
        }
        match inner {
            Some(inner) => view = inner,
            None => return Ok(()),
        }
    }
    Ok(())
}

fn permission_denied(message: String) -> Error {
    Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, message)
}

/// A table or view privileges are held on: its id and name.
struct Relation<'c> {
    id: u32,
    name: &'c str,
    schema: &'c str,
    kind: &'static str,
}

/// The schema a new relation `name` goes in: the one it names, else the first of the search path that
/// exists (an error about a missing schema comes when the statement runs).
fn creation_schema(catalog: &Catalog, name: &ObjectName) -> String {
    name.schema.clone().unwrap_or_else(|| {
        let path = crate::catalog::schemas::search_path();
        path.into_iter().find(|s| catalog.schema_exists(s)).unwrap_or_else(|| PUBLIC_SCHEMA.to_string())
    })
}

/// Whether `role` may create relation `name` in its schema (CREATE on it; a missing schema fails later).
fn may_create_in(catalog: &Catalog, role: &str, name: &ObjectName) -> bool {
    let schema = creation_schema(catalog, name);
    !catalog.schema_exists(&schema) || catalog.has_schema_privilege(role, &schema, Privilege::Create)
}

/// The catalog table or view `name` names, if any (system relations such as `sys.iam_pg_role_mappings`
/// and the `pg_catalog` / `information_schema` relations need no privilege, as PostgreSQL's catalogs are
/// readable by every role; names that do not resolve have already failed planning).
fn find<'c>(catalog: &'c Catalog, name: &ObjectName) -> Option<Relation<'c>> {
    match name.schema.as_deref() {
        // An unqualified `pg_class` is the catalog's, as the binder resolves it.
        None if crate::sql::system::resolve(catalog, None, &name.name).is_some() => None,
        _ => match catalog.find_table_named(name).ok().flatten() {
            Some(table) => Some(Relation { id: table.id, name: &table.name, schema: &table.schema, kind: "table" }),
            None => catalog.find_view(name).map(|view| Relation {
                id: view.id,
                name: &view.name,
                schema: &view.schema,
                kind: "view",
            }),
        },
    }
}

/// The privileges a statement needs, collected from its syntax tree.
#[derive(Default)]
struct Needs<'a> {
    /// (table, privilege), in the order PostgreSQL would check them (target first, then tables read).
    tables: Vec<(&'a ObjectName, Privilege)>,
    /// Whether an expression outside subqueries reads a column (UPDATE ... SET v = v + 1 needs SELECT).
    reads_columns: bool,
    /// The WITH names in scope: a FROM item of that name reads no table.
    common_tables: Vec<&'a str>,
    /// Where SQL functions called are found: their bodies read as the caller (PostgreSQL's SECURITY
    /// INVOKER), so what a body reads is needed too.
    functions: Option<&'a Catalog>,
    /// The SQL functions whose bodies were looked at (each once; a function may call itself).
    visited_functions: Vec<u32>,
}

impl<'a> Needs<'a> {
    fn push(&mut self, table: &'a ObjectName, privilege: Privilege) {
        if !self.tables.contains(&(table, privilege)) {
            self.tables.push((table, privilege));
        }
    }

    /// INSERT, UPDATE or DELETE (at the top, or in WITH), with its WITH list.
    fn modification(&mut self, statement: &'a Statement) {
        let scope = self.common_tables.len();
        let with = match statement {
            Statement::Insert(insert) => &insert.with,
            Statement::Update(update) => &update.with,
            Statement::Delete(delete) => &delete.with,
            _ => return,
        };
        self.with_list(with);
        match statement {
            Statement::Insert(insert) => {
                self.push(&insert.table, Privilege::Insert);
                if !insert.returning.is_empty() {
                    self.push(&insert.table, Privilege::Select);
                }
                // ON CONFLICT DO UPDATE updates, and reads the existing row (PostgreSQL asks for both).
                if let Some(update) = insert.on_conflict.as_ref().and_then(|c| c.update.as_ref()) {
                    self.push(&insert.table, Privilege::Update);
                    self.push(&insert.table, Privilege::Select);
                    update.assignments.iter().filter_map(|(_, e)| e.as_ref()).for_each(|e| self.expr(e));
                    update.filter.iter().for_each(|e| self.expr(e));
                }
                match &insert.source {
                    ast::InsertSource::Values(rows) => {
                        rows.iter().flatten().flatten().for_each(|e| self.expr(e));
                    }
                    ast::InsertSource::Query(query) => self.query(query),
                    ast::InsertSource::DefaultValues => {}
                }
                self.select_items(&insert.returning);
            }
            Statement::Update(update) => {
                self.push(&update.table, Privilege::Update);
                let before = self.reads_columns;
                self.reads_columns = false;
                update.assignments.iter().filter_map(|(_, e)| e.as_ref()).for_each(|e| self.expr(e));
                update.from.iter().for_each(|item| self.table_ref(item));
                if let Some(filter) = &update.filter {
                    self.expr(filter);
                }
                self.select_items(&update.returning);
                if self.reads_columns || update.filter.is_some() || !update.returning.is_empty() {
                    self.push(&update.table, Privilege::Select);
                }
                self.reads_columns = before;
            }
            Statement::Delete(delete) => {
                self.push(&delete.table, Privilege::Delete);
                if delete.filter.is_some() || !delete.returning.is_empty() {
                    self.push(&delete.table, Privilege::Select);
                }
                if let Some(filter) = &delete.filter {
                    self.expr(filter);
                }
                delete.using.iter().for_each(|item| self.table_ref(item));
                self.select_items(&delete.returning);
            }
            _ => {}
        }
        self.common_tables.truncate(scope);
    }

    /// A WITH list's queries (and data-modifying statements); their names stay in scope.
    fn with_list(&mut self, with: &'a [ast::CommonTableExpr]) {
        for cte in with {
            // Each body sees the names before it (a recursive one its own too); the query body sees them all.
            if cte.recursive {
                self.common_tables.push(&cte.alias.name);
            }
            match &cte.modifying {
                Some(statement) => self.modification(statement),
                None => self.query(&cte.query),
            }
            if !cte.recursive {
                self.common_tables.push(&cte.alias.name);
            }
        }
    }

    /// A query or subquery. Column reads inside it count as reads of the statement's target too: a
    /// correlated subquery may read it, and erring towards requiring SELECT is the safe side.
    fn query(&mut self, query: &'a ast::Query) {
        let scope = self.common_tables.len();
        self.with_list(&query.with);
        self.body(&query.body);
        for order in &query.order_by {
            self.expr(&order.expr);
        }
        for expr in query.limit.iter().chain(query.offset.iter()) {
            self.expr(expr);
        }
        self.common_tables.truncate(scope);
    }

    fn body(&mut self, body: &'a QueryBody) {
        match body {
            QueryBody::Select(select) => {
                for item in &select.from {
                    self.table_ref(item);
                }
                self.select_items(&select.projection);
                for expr in select
                    .filter
                    .iter()
                    .chain(select.group_by.iter())
                    .chain(select.having.iter())
                    .chain(select.distinct_on.iter())
                {
                    self.expr(expr);
                }
            }
            QueryBody::Values(rows) => rows.iter().flatten().for_each(|e| self.expr(e)),
            QueryBody::SetOperation { left, right, .. } => {
                self.query(left);
                self.query(right);
            }
        }
    }

    fn table_ref(&mut self, item: &'a TableRef) {
        match item {
            TableRef::Table { name, .. }
                if name.schema.is_none() && self.common_tables.contains(&name.name.as_str()) => {}
            TableRef::Table { name, .. } => self.push(name, Privilege::Select),
            TableRef::Function { name, args, .. } => {
                args.iter().for_each(|e| self.expr(e));
                self.function_bodies(name, args.len());
            }
            TableRef::Subquery { query, .. } => self.query(query),
            TableRef::Join { left, right, constraint, .. } => {
                self.table_ref(left);
                self.table_ref(right);
                if let ast::JoinConstraint::On(expr) = constraint {
                    self.expr(expr);
                }
            }
        }
    }

    /// What the bodies of the SQL functions `name` of `arity` parameters read (every such overload: which
    /// one a call resolves to is the binder's business), seen from no WITH list and reading no target.
    fn function_bodies(&mut self, name: &str, arity: usize) {
        let Some(catalog) = self.functions else { return };
        let Some(overloads) = catalog.functions.get(name) else { return };
        for function in overloads.iter().filter(|f| f.params.len() == arity) {
            if self.visited_functions.contains(&function.id) {
                continue;
            }
            self.visited_functions.push(function.id);
            let common_tables = std::mem::take(&mut self.common_tables);
            let reads_columns = self.reads_columns;
            match &function.body {
                ast::FunctionBody::Expr(expr) => self.expr(expr),
                ast::FunctionBody::Query(query) => self.query(query),
            }
            self.reads_columns = reads_columns;
            self.common_tables = common_tables;
        }
    }

    fn select_items(&mut self, items: &'a [SelectItem]) {
        for item in items {
            match item {
                SelectItem::Expr { expr, .. } => self.expr(expr),
                SelectItem::Wildcard | SelectItem::QualifiedWildcard(_) => self.reads_columns = true,
            }
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Literal(_) | Expr::Parameter(_) => {}
            Expr::Column { .. } => self.reads_columns = true,
            Expr::Binary { left, right, .. } => {
                self.expr(left);
                self.expr(right);
            }
            Expr::And(operands) | Expr::Or(operands) => operands.iter().for_each(|e| self.expr(e)),
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Positioned { expr, .. }
            | Expr::FieldSelect { expr, .. } => self.expr(expr),
            Expr::InList { expr, list, .. } => {
                self.expr(expr);
                list.iter().for_each(|e| self.expr(e));
            }
            Expr::Between { expr, low, high, .. } => {
                self.expr(expr);
                self.expr(low);
                self.expr(high);
            }
            Expr::Case { operand, branches, else_result } => {
                operand.iter().for_each(|e| self.expr(e));
                for (when, then) in branches {
                    self.expr(when);
                    self.expr(then);
                }
                else_result.iter().for_each(|e| self.expr(e));
            }
            Expr::Function { name, args, .. } => {
                args.iter().for_each(|e| self.expr(e));
                self.function_bodies(name, args.len());
            }
            Expr::Subquery(query) | Expr::Exists { query, .. } => self.query(query),
            Expr::Window(call) => {
                call.args.iter().chain(&call.partition_by).for_each(|e| self.expr(e));
                call.order_by.iter().for_each(|o| self.expr(&o.expr));
            }
            Expr::OrderedAggregate(call) => {
                call.args.iter().for_each(|e| self.expr(e));
                call.order_by.iter().for_each(|o| self.expr(&o.expr));
            }
            Expr::InSubquery { expr, query, .. } => {
                self.expr(expr);
                self.query(query);
            }
            Expr::AnyAll { expr, array, .. } | Expr::Subscript { expr, index: array } => {
                self.expr(expr);
                self.expr(array);
            }
            Expr::Array(items) => items.iter().for_each(|e| self.expr(e)),
        }
    }
}
