//! occam's own SQL syntax tree. `sql::parse` translates sqlparser's AST into this one, so the rest of the
//! engine never depends on the parser crate's types (an upgrade of sqlparser touches `parse` only).
//!
//! Names are unresolved here (the planner binds them against the catalog). Identifiers are already
//! case-folded as PostgreSQL does (unquoted -> lower case).

use crate::types::{DataType, Value};

/// One SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `BEGIN` / `START TRANSACTION`, with the isolation level it names (the rule table decides which
    /// levels run, see `compat`).
    Begin {
        isolation: Option<IsolationLevel>,
        /// `READ ONLY` (Some(true)) or `READ WRITE` (Some(false)); None: `default_transaction_read_only`.
        read_only: Option<bool>,
    },
    Commit,
    Rollback,
    /// `DECLARE name [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query`: `query` is a `Statement::Query`.
    DeclareCursor(Box<DeclareCursor>),
    /// `MERGE INTO ...`, as the statement it is rewritten into (`sql::parse::merge`): a query whose
    /// data-modifying WITH queries are the actions and which counts the rows they changed.
    Merge(Box<Statement>),
    /// `CREATE [OR REPLACE] FUNCTION ... LANGUAGE sql`.
    CreateFunction(CreateFunction),
    /// `DROP FUNCTION [IF EXISTS] name[(types)], ...`.
    DropFunction {
        functions: Vec<FunctionSignature>,
        if_exists: bool,
    },
    /// `COMMENT ON FUNCTION name[(types)] IS 'text' | NULL`.
    CommentOnFunction {
        function: FunctionSignature,
        text: Option<String>,
    },
    /// `COMMENT ON kind name IS 'text' | NULL` (`column`: the column of `COMMENT ON COLUMN t.c`).
    Comment {
        object: CommentObject,
        name: ObjectName,
        column: Option<String>,
        text: Option<String>,
    },
    /// `SAVEPOINT name`, `RELEASE [SAVEPOINT] name`, `ROLLBACK TO [SAVEPOINT] name`.
    Savepoint {
        action: SavepointAction,
        name: String,
    },
    CreateTable(CreateTable),
    DropTable {
        names: Vec<ObjectName>,
        if_exists: bool,
        /// CASCADE: the views that read a table are dropped with it.
        cascade: bool,
    },
    /// `CREATE [OR REPLACE] VIEW name [(columns)] AS query`.
    CreateView(CreateView),
    /// `CREATE TABLE name AS query` / `CREATE MATERIALIZED VIEW name AS query` (PostgreSQL mode).
    CreateTableAs(CreateTableAs),
    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]`.
    RefreshMaterializedView {
        name: ObjectName,
        concurrently: bool,
        /// False for `WITH NO DATA`.
        with_data: bool,
    },
    /// `DROP MATERIALIZED VIEW [IF EXISTS] name, ... [CASCADE]`.
    DropMaterializedView {
        names: Vec<ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    /// `CREATE SCHEMA` / `DROP SCHEMA`.
    Schema(SchemaStatement),
    /// `DROP VIEW [IF EXISTS] name, ... [CASCADE]`.
    DropView {
        names: Vec<ObjectName>,
        if_exists: bool,
        cascade: bool,
    },
    /// `CREATE [UNIQUE] INDEX ASYNC ...` (plain `CREATE INDEX` is refused while parsing, as in DSQL).
    CreateIndex(CreateIndex),
    /// `DROP INDEX [IF EXISTS] name, ...`.
    DropIndex {
        names: Vec<ObjectName>,
        if_exists: bool,
    },
    /// `CALL procedure(args)`: only `sys.wait_for_job(text)` exists.
    Call {
        name: ObjectName,
        args: Vec<Expr>,
    },
    Insert(Insert),
    /// `COPY table [(columns)] FROM STDIN / TO STDOUT`, `COPY (query) TO STDOUT`.
    Copy(Copy),
    Update(Update),
    Delete(Delete),
    Query(Box<Query>),
    /// `EXPLAIN [ANALYZE] [VERBOSE] statement` / `EXPLAIN (option [value], ...) statement`.
    Explain {
        options: ExplainOptions,
        statement: Box<Statement>,
    },
    /// `SET [LOCAL] name = value` / `SET name TO value`: accepted for client compatibility (drivers send
    /// them). `LOCAL`: until the end of the transaction.
    Set {
        name: String,
        value: String,
        local: bool,
    },
    /// `SHOW name`.
    Show {
        name: String,
    },
    /// `SET TRANSACTION ...` / `SET SESSION CHARACTERISTICS AS TRANSACTION ...` (refused in DSQL mode).
    SetTransaction {
        isolation: Option<IsolationLevel>,
        read_only: bool,
    },
    /// `TRUNCATE [TABLE] name, ...` (refused in DSQL mode, see `compat`).
    Truncate {
        names: Vec<ObjectName>,
        /// `RESTART IDENTITY`: the sequences of the tables' identity and serial columns start over.
        restart_identity: bool,
    },
    /// Roles and privileges: CREATE / DROP ROLE, GRANT / REVOKE, AWS IAM GRANT / REVOKE.
    Access(AccessStatement),
    /// `ANALYZE [table [(column, ...)]]`: submits an ANALYZE job per table (every table without a name).
    Analyze {
        table: Option<ObjectName>,
        columns: Vec<String>,
    },
    /// `VACUUM [options] [table [(column, ...)], ...]` (postgres mode): nothing to do for storage (old
    /// versions are collected in the background); with ANALYZE, submits its jobs as ANALYZE does.
    Vacuum {
        analyze: bool,
        tables: Vec<(ObjectName, Vec<String>)>,
    },
    /// Session housekeeping that drivers and connection pools send (`RESET`, `DISCARD`, `DEALLOCATE`, ...).
    Session(SessionCommand),
    /// CREATE / ALTER / DROP SEQUENCE (run by `sequences::execute`).
    Sequence(SequenceStatement),
    /// `ALTER TABLE name action, ...` (run by `alter_table::execute`).
    AlterTable(AlterTable),
}

/// A statement about sequences (DDL in Aurora DSQL's transaction rules).
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceStatement {
    /// `CREATE SEQUENCE [IF NOT EXISTS] name [options]`.
    Create { name: ObjectName, if_not_exists: bool, options: SequenceOptions },
    /// `ALTER SEQUENCE [IF EXISTS] name options`.
    Alter { name: ObjectName, if_exists: bool, options: SequenceOptions },
    /// `DROP SEQUENCE [IF EXISTS] name, ...`.
    Drop { names: Vec<ObjectName>, if_exists: bool },
}

/// The options of CREATE / ALTER SEQUENCE and of an identity column, as written (None: not given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SequenceOptions {
    /// `AS smallint | integer | bigint`.
    pub data_type: Option<DataType>,
    pub increment: Option<i64>,
    /// `MINVALUE n` (Some(Some(n))) or `NO MINVALUE` (Some(None)).
    pub min_value: Option<Option<i64>>,
    pub max_value: Option<Option<i64>>,
    pub start: Option<i64>,
    /// ALTER SEQUENCE's `RESTART [WITH n]` (Some(None): back to the start value).
    pub restart: Option<Option<i64>>,
    pub cache: Option<i64>,
    pub cycle: Option<bool>,
    /// `OWNED BY table.column` (Some(Some(..))) or `OWNED BY NONE` (Some(None)).
    pub owned_by: Option<Option<(ObjectName, String)>>,
    /// An identity column's `SEQUENCE NAME name` (pg_dump writes it): its sequence's name.
    pub sequence_name: Option<ObjectName>,
}

/// `GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(options)]` on a column.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySpec {
    /// ALWAYS (explicit values refused unless `OVERRIDING SYSTEM VALUE`) rather than BY DEFAULT.
    pub always: bool,
    pub options: SequenceOptions,
}

/// `ALTER TABLE [IF EXISTS] name action`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    pub name: ObjectName,
    pub if_exists: bool,
    /// Applied in order, all or nothing.
    pub actions: Vec<AlterTableAction>,
    /// DSQL's `ALTER TABLE ASYNC` (only for VALIDATE CONSTRAINT, which then runs as a job).
    pub asynchronous: bool,
}

/// One action of an ALTER TABLE.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// `ADD [CONSTRAINT name] PRIMARY KEY (columns)` on a table created without one.
    AddPrimaryKey {
        name: Option<String>,
        columns: Vec<String>,
    },
    AddColumn {
        column: ColumnDef,
        if_not_exists: bool,
    },
    DropColumn {
        name: String,
        if_exists: bool,
    },
    SetDefault {
        column: String,
        default: Option<Expr>,
    },
    SetNotNull {
        column: String,
        not_null: bool,
    },
    RenameTable {
        to: String,
    },
    /// `SET SCHEMA s`: the table, its indexes and the sequences it owns move to schema `s`.
    SetSchema {
        schema: String,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    /// `ALTER COLUMN c ADD GENERATED ... AS IDENTITY [(options)]`.
    AddIdentity {
        column: String,
        identity: IdentitySpec,
    },
    /// `ALTER COLUMN c SET GENERATED {ALWAYS | BY DEFAULT}`.
    SetGenerated {
        column: String,
        always: bool,
    },
    /// `ALTER COLUMN c DROP IDENTITY [IF EXISTS]`.
    DropIdentity {
        column: String,
        if_exists: bool,
    },
    /// `ALTER COLUMN c SET STORAGE {PLAIN | EXTERNAL | EXTENDED | MAIN | DEFAULT}`: accepted, changes
    /// nothing (occam stores every value inline).
    SetStorage {
        column: String,
    },
    /// `OWNER TO role` (None: `CURRENT_USER` / `CURRENT_ROLE` / `SESSION_USER`).
    OwnerTo {
        role: Option<String>,
    },
    /// `ADD [CONSTRAINT c] CHECK (...) | UNIQUE (...) | FOREIGN KEY ... [NOT VALID]`.
    AddConstraint(TableConstraint),
    /// `ADD [CONSTRAINT c] UNIQUE USING INDEX i`: the unique index becomes the constraint.
    AddUniqueUsingIndex {
        name: Option<String>,
        index: String,
    },
    /// `DROP CONSTRAINT [IF EXISTS] c [CASCADE]`.
    DropConstraint {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    /// `VALIDATE CONSTRAINT c`.
    ValidateConstraint {
        name: String,
    },
}

/// Statements that change only the session's own state, never the database.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionCommand {
    /// `RESET name`; `None` for `RESET ALL`.
    Reset(Option<String>),
    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP`.
    Discard(DiscardTarget),
    /// `DEALLOCATE [PREPARE] name`; `None` for `ALL`.
    Deallocate(Option<String>),
    /// `CLOSE name`; `None` for `CLOSE ALL`.
    Close(Option<String>),
    /// `FETCH [direction] [FROM | IN] name`, or `MOVE ...` (`move_only`: the cursor moves, no rows).
    Fetch { name: String, direction: crate::cursors::FetchDirection, move_only: bool },
    /// `UNLISTEN channel`; `None` for `UNLISTEN *`.
    Unlisten(Option<String>),
    /// `PREPARE name [(type, ...)] AS statement`.
    Prepare { name: String, param_types: Vec<DataType>, statement: Box<Statement> },
    /// `EXECUTE name [(argument, ...)]`. The arguments are kept as SQL text: they are cast to the
    /// statement's parameter types and evaluated when it runs.
    Execute { name: String, args: Vec<String> },
    /// `SET CONSTRAINTS {ALL | name, ...} {DEFERRED | IMMEDIATE}` (`names` None: ALL): when the deferrable
    /// constraints it names are checked, for the rest of the transaction.
    SetConstraints { names: Option<Vec<ObjectName>>, deferred: bool },
    /// `LOCK [TABLE] name, ... [IN mode MODE]`; `access_share` for `ACCESS SHARE` (any other mode, the
    /// default `ACCESS EXCLUSIVE` included, would exclude other transactions, which occam cannot do).
    Lock { tables: Vec<ObjectName>, access_share: bool },
}

/// A `DECLARE ... CURSOR` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclareCursor {
    pub name: String,
    pub query: Statement,
    /// `SCROLL` (Some(true)), `NO SCROLL` (Some(false)), neither (None).
    pub scroll: Option<bool>,
    /// `WITH HOLD`: the cursor outlives the transaction that declared it (once that commits).
    pub hold: bool,
}

/// What `DISCARD` discards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscardTarget {
    All,
    Plans,
    Sequences,
    Temp,
}

/// One option of `ALTER ROLE name [WITH] option ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum RoleOption {
    /// `LOGIN` / `NOLOGIN`.
    Login(bool),
    /// `[ENCRYPTED] PASSWORD 'text'` (a password or a SCRAM verifier), `PASSWORD NULL`.
    Password(Option<String>),
    /// A PostgreSQL role attribute occam does not keep (`SUPERUSER`, `NOCREATEDB`, `INHERIT`, ...): its
    /// name without `NO`, and whether it is granted.
    Attribute(String, bool),
    /// `CONNECTION LIMIT n`.
    ConnectionLimit(i64),
    /// `VALID UNTIL 'timestamp'`.
    ValidUntil(String),
}

/// A statement that changes roles, privileges or IAM mappings (DDL in Aurora DSQL's transaction rules).
#[derive(Debug, Clone, PartialEq)]
pub enum AccessStatement {
    /// `CREATE ROLE name [WITH] [LOGIN | NOLOGIN | PASSWORD 'x']` (`CREATE USER` implies LOGIN).
    CreateRole {
        name: String,
        login: bool,
        password: Option<String>,
    },
    /// `ALTER ROLE name SET parameter = value` / `RESET parameter` (value None) / `RESET ALL` (both None).
    AlterRoleSet {
        name: String,
        parameter: Option<String>,
        value: Option<String>,
    },
    /// `ALTER ROLE name [WITH] option ...` (what pg_dumpall writes after each `CREATE ROLE`).
    AlterRole {
        name: String,
        options: Vec<RoleOption>,
    },
    DropRole {
        names: Vec<String>,
        if_exists: bool,
    },
    /// `GRANT privileges ON objects TO grantees` (`revoke: false`) or `REVOKE ... FROM ...`.
    Grant {
        revoke: bool,
        privileges: Vec<Privilege>,
        objects: GrantObjects,
        grantees: Vec<String>,
    },
    /// `AWS IAM GRANT role TO 'arn'` (`revoke: false`) or `AWS IAM REVOKE role FROM 'arn'`.
    IamGrant {
        revoke: bool,
        role: String,
        arn: String,
    },
}

/// A privilege named in GRANT / REVOKE (`ALL` is expanded by the parser to the object kind's privileges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Usage,
    Create,
}

impl Privilege {
    pub fn name(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
        }
    }
}

/// What GRANT / REVOKE applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantObjects {
    Tables(Vec<ObjectName>),
    /// `ALL TABLES IN SCHEMA s, ...`: the tables that exist when the statement runs.
    AllTablesInSchemas(Vec<String>),
    Schemas(Vec<String>),
}

/// A possibly schema-qualified name (`public.accounts`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjectName {
    /// A name without a schema.
    pub fn unqualified(name: &str) -> ObjectName {
        ObjectName { schema: None, name: name.to_string() }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub name: ObjectName,
    pub if_not_exists: bool,
    /// `CREATE TEMP[ORARY] TABLE` (postgres mode) and what happens to it at COMMIT.
    pub temporary: Option<OnCommit>,
    pub columns: Vec<ColumnDef>,
    /// Column names of a table-level `PRIMARY KEY (...)`, or of the column marked `PRIMARY KEY`.
    pub primary_key: Vec<String>,
    /// The other constraints (column and table ones), in the order they are written.
    pub constraints: Vec<TableConstraint>,
    /// `WITH (fillfactor = 100, ...)`: PostgreSQL's heap storage parameters, checked and accepted in
    /// postgres mode (occam's storage has no use for them), refused in dsql mode.
    pub storage_parameters: Vec<(String, String)>,
}

/// A statement about a schema (planned as it is: `Plan::Schema`).
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaStatement {
    /// `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role]` (`CREATE SCHEMA AUTHORIZATION role` names
    /// it after the role).
    Create { name: String, if_not_exists: bool, authorization: Option<String> },
    /// `DROP SCHEMA [IF EXISTS] name, ... [CASCADE | RESTRICT]`.
    Drop { names: Vec<String>, if_exists: bool, cascade: bool },
    /// `ALTER SCHEMA name OWNER TO role` (None: the session's user, `CURRENT_USER` / `SESSION_USER`).
    OwnerTo { name: String, owner: Option<String> },
}

/// A temporary table's `ON COMMIT` behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCommit {
    PreserveRows,
    DeleteRows,
    Drop,
}

/// A CHECK or UNIQUE constraint of CREATE TABLE (a column's or the table's) or of ALTER TABLE ADD
/// CONSTRAINT.
#[derive(Debug, Clone, PartialEq)]
pub struct TableConstraint {
    /// None: PostgreSQL's generated name (`t_a_check`, `t_a_key`).
    pub name: Option<String>,
    pub kind: ConstraintKind,
    /// `NOT VALID` (ALTER TABLE ADD CONSTRAINT): enforced for new rows, the stored ones are not checked.
    pub not_valid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintKind {
    Check(Expr),
    Unique {
        columns: Vec<String>,
        /// `NULLS NOT DISTINCT`.
        nulls_not_distinct: bool,
    },
    ForeignKey(ForeignKeyDef),
}

/// `[FOREIGN KEY (columns)] REFERENCES parent [(columns)] [MATCH ...] [ON DELETE ...] [ON UPDATE ...]
/// [[NOT] DEFERRABLE] [INITIALLY ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyDef {
    pub columns: Vec<String>,
    pub parent: ObjectName,
    /// Empty: the parent's primary key.
    pub parent_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
    /// `MATCH FULL` (else PostgreSQL's default, `MATCH SIMPLE`).
    pub match_full: bool,
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// What a change of a referenced row does to the rows that reference it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ReferentialAction {
    /// `pg_constraint.confupdtype` / `confdeltype`.
    pub fn code(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "a",
            ReferentialAction::Restrict => "r",
            ReferentialAction::Cascade => "c",
            ReferentialAction::SetNull => "n",
            ReferentialAction::SetDefault => "d",
        }
    }

    pub fn from_code(code: u8) -> Option<ReferentialAction> {
        Some(match code {
            b'a' => ReferentialAction::NoAction,
            b'r' => ReferentialAction::Restrict,
            b'c' => ReferentialAction::Cascade,
            b'n' => ReferentialAction::SetNull,
            b'd' => ReferentialAction::SetDefault,
            _ => return None,
        })
    }

    /// As `pg_get_constraintdef` prints it.
    pub fn sql(self) -> &'static str {
        match self {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// `CREATE [UNIQUE] INDEX [ASYNC] [IF NOT EXISTS] [name] ON table (col [ASC|DESC] [NULLS FIRST|LAST], ...)
/// [INCLUDE (col, ...)] [WHERE predicate]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// None: PostgreSQL's generated name (`table_col_idx`).
    pub name: Option<String>,
    pub table: ObjectName,
    pub unique: bool,
    pub if_not_exists: bool,
    /// Built by a background job (DSQL's `ASYNC`); false would build it inside the statement.
    pub asynchronous: bool,
    pub columns: Vec<IndexColumn>,
    pub include: Vec<String>,
    pub predicate: Option<Expr>,
    /// `NULLS NOT DISTINCT`: a unique index treats NULLs as equal.
    pub nulls_not_distinct: bool,
}

/// One key column of an index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexColumn {
    pub key: IndexTarget,
    pub descending: bool,
    /// `NULLS FIRST` (Some(true)) / `NULLS LAST` (Some(false)); None = PostgreSQL's default.
    pub nulls_first: Option<bool>,
}

/// `CREATE [OR REPLACE] FUNCTION name(params) RETURNS type LANGUAGE sql ...`: a SQL function whose body is
/// one expression (`RETURN expr`, `AS 'SELECT expr'`) or one query (`AS 'SELECT ... FROM ...'`).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFunction {
    pub name: ObjectName,
    pub or_replace: bool,
    /// (name, type) per parameter.
    pub params: Vec<(Option<String>, DataType)>,
    pub returns: FunctionReturns,
    pub body: FunctionBody,
    /// The body as written: the AS string, or RETURN's expression as SQL text.
    pub source: String,
    /// A SQL-standard body (`RETURN expr`): PostgreSQL keeps it parsed (`prosqlbody`), not as `prosrc`.
    pub sql_standard: bool,
    /// `IMMUTABLE` / `STABLE` / `VOLATILE` as `pg_proc.provolatile` (`i`, `s`, `v`).
    pub volatility: char,
    /// `STRICT` / `RETURNS NULL ON NULL INPUT`.
    pub strict: bool,
}

/// What a SQL function returns.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionReturns {
    /// One value of the type.
    Scalar(DataType),
    /// `SETOF type`: rows of one column.
    SetOf(DataType),
    /// `SETOF table`: rows of a table's row type (its columns when the function is called).
    SetOfTable(String),
    /// `TABLE (name type, ...)`.
    Table(Vec<(String, DataType)>),
}

impl FunctionReturns {
    /// The type of a scalar function's value (None for a set-returning function).
    pub fn scalar(&self) -> Option<DataType> {
        match self {
            FunctionReturns::Scalar(data_type) => Some(*data_type),
            _ => None,
        }
    }

    /// The declared type as PostgreSQL's messages name it (`function declared to return integer`).
    pub fn type_name(&self) -> String {
        match self {
            FunctionReturns::Scalar(data_type) | FunctionReturns::SetOf(data_type) => data_type.name().to_string(),
            FunctionReturns::SetOfTable(table) => table.clone(),
            FunctionReturns::Table(_) => "record".to_string(),
        }
    }
}

/// A SQL function's body: one expression, expanded where the function is called, or one query, run as a
/// subquery over the arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionBody {
    Expr(Expr),
    Query(Box<Query>),
}

/// A function named by DROP FUNCTION: its name and, when given, its parameter types.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSignature {
    pub name: ObjectName,
    pub params: Option<Vec<DataType>>,
}

/// The kinds of object `COMMENT ON` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentObject {
    Table,
    View,
    MaterializedView,
    Index,
    Sequence,
    Column,
    Schema,
}

impl CommentObject {
    /// The kind with its article, as PostgreSQL's errors name it (`"t" is not a view`).
    pub fn noun(self) -> &'static str {
        match self {
            CommentObject::Table => "a table",
            CommentObject::View => "a view",
            CommentObject::MaterializedView => "a materialized view",
            CommentObject::Index => "an index",
            CommentObject::Sequence => "a sequence",
            CommentObject::Column => "a column",
            CommentObject::Schema => "a schema",
        }
    }
}

/// What a savepoint statement does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavepointAction {
    Define,
    Release,
    RollbackTo,
}

impl SavepointAction {
    /// The statement's keyword, as DSQL's refusal and PostgreSQL's errors name it.
    pub fn keyword(self) -> &'static str {
        match self {
            SavepointAction::Define => "SAVEPOINT",
            SavepointAction::Release => "RELEASE",
            SavepointAction::RollbackTo => "ROLLBACK TO",
        }
    }
}

/// What an index key column indexes: a column by name, or an expression (`(lower(email))`).
#[derive(Debug, Clone, PartialEq)]
pub enum IndexTarget {
    Column(String),
    Expression(Expr),
}

impl IndexTarget {
    /// The part of a generated index name this key gives (PostgreSQL's `ChooseIndexColumnNames`): the
    /// column's name, a function call's name, else `expr`.
    pub fn name_part(&self) -> String {
        let mut expr = match self {
            IndexTarget::Column(name) => return name.clone(),
            IndexTarget::Expression(expr) => expr,
        };
        while let Expr::Positioned { expr: inner, .. } = expr {
            expr = inner;
        }
        match expr {
            Expr::Function { name, .. } => name.clone(),
            _ => "expr".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    pub default: Option<Expr>,
    pub identity: Option<IdentitySpec>,
    /// Declared `serial` / `bigserial` / `smallserial` (`data_type` is the integer type): a sequence and a
    /// `nextval` default (refused in DSQL mode, as DSQL does not know the type).
    pub serial: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// `WITH ... INSERT / UPDATE / DELETE`: names visible in the whole statement.
    pub with: Vec<CommonTableExpr>,
    pub table: ObjectName,
    /// Explicit target columns; empty means all columns in table order.
    pub columns: Vec<String>,
    pub source: InsertSource,
    /// `OVERRIDING SYSTEM VALUE` / `OVERRIDING USER VALUE`.
    pub overriding: Option<Overriding>,
    pub on_conflict: Option<OnConflict>,
    pub returning: Vec<SelectItem>,
}

/// `COPY`: what is copied, which way, from or to where, and how the data is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub relation: CopyRelation,
    /// FROM (into the table) or TO (out of the table or query).
    pub is_from: bool,
    pub endpoint: CopyEndpoint,
    pub options: crate::sql::copy::CopyOptions,
}

/// What a COPY reads or writes.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyRelation {
    /// A table and its columns (empty: all, in table order).
    Table { name: ObjectName, columns: Vec<String> },
    /// `COPY (query) TO`.
    Query(Box<Query>),
}

/// Where COPY's data comes from or goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEndpoint {
    /// STDIN / STDOUT: the client, over the protocol's copy sub-protocol.
    Client,
    /// A file on the server.
    File(String),
    /// A program run on the server.
    Program(String),
}

/// INSERT's `OVERRIDING ... VALUE`: explicit values for an identity column are taken (SYSTEM, needed for
/// GENERATED ALWAYS) or ignored in favour of the sequence (USER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overriding {
    SystemValue,
    UserValue,
}

/// `ON CONFLICT [(columns) | ON CONSTRAINT name] DO NOTHING | DO UPDATE SET ... [WHERE ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    pub target: Option<ConflictTarget>,
    /// None: DO NOTHING.
    pub update: Option<ConflictUpdate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConflictTarget {
    Columns(Vec<String>),
    Constraint(String),
}

/// DO UPDATE's assignments (None = DEFAULT) and WHERE, over the existing row and `excluded`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictUpdate {
    pub assignments: Vec<(String, Option<Expr>)>,
    pub filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// `VALUES (...), (...)`; `None` items are `DEFAULT`.
    Values(Vec<Vec<Option<Expr>>>),
    Query(Box<Query>),
    DefaultValues,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// `WITH ... INSERT / UPDATE / DELETE`: names visible in the whole statement.
    pub with: Vec<CommonTableExpr>,
    pub table: ObjectName,
    pub alias: Option<String>,
    /// `SET column = expr` (`None` = DEFAULT).
    pub assignments: Vec<(String, Option<Expr>)>,
    /// `FROM item, ...`: other tables joined to the target (PostgreSQL's extension).
    pub from: Vec<TableRef>,
    pub filter: Option<Expr>,
    pub returning: Vec<SelectItem>,
    /// A MERGE action's: a target row the join finds more than once (or another action already changed)
    /// is `21000 MERGE command cannot affect row a second time`, as PostgreSQL.
    pub merge_action: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    /// `WITH ... INSERT / UPDATE / DELETE`: names visible in the whole statement.
    pub with: Vec<CommonTableExpr>,
    pub table: ObjectName,
    pub alias: Option<String>,
    /// `USING item, ...`: other tables joined to the target (PostgreSQL's extension).
    pub using: Vec<TableRef>,
    pub filter: Option<Expr>,
    pub returning: Vec<SelectItem>,
    /// A MERGE action's: a target row the join finds more than once (or another action already changed)
    /// is `21000 MERGE command cannot affect row a second time`, as PostgreSQL.
    pub merge_action: bool,
}

/// A query: a SELECT (or VALUES) with ORDER BY / LIMIT / OFFSET.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `WITH name [(columns)] AS [[NOT] MATERIALIZED] (query), ...` (non-recursive): names visible in
    /// `body` and in the later common table expressions of the list.
    pub with: Vec<CommonTableExpr>,
    pub body: QueryBody,
    pub order_by: Vec<OrderByExpr>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// `FOR UPDATE` / `FOR KEY SHARE` / ...: the rows read join the transaction's conflict set.
    pub locking: Option<LockStrength>,
}

impl Query {
    /// A query of just `select` (no WITH, ORDER BY, LIMIT or locking): what the parser and binder build
    /// when they rewrite a construct into a subquery.
    pub fn of_select(select: Select) -> Query {
        Query {
            with: Vec::new(),
            body: QueryBody::Select(Box::new(select)),
            order_by: Vec::new(),
            limit: None,
            offset: None,
            locking: None,
        }
    }

    /// `VALUES ()`-like nothing: the placeholder query of a data-modifying WITH query.
    pub fn empty() -> Query {
        Query {
            with: Vec::new(),
            body: QueryBody::Values(Vec::new()),
            order_by: Vec::new(),
            limit: None,
            offset: None,
            locking: None,
        }
    }
}

/// `name(args) OVER ([PARTITION BY ...] [ORDER BY ...] [frame])`.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub name: String,
    pub args: Vec<Expr>,
    /// `count(*) OVER ...`
    pub star: bool,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<OrderByExpr>,
    pub frame: Option<WindowFrame>,
}

/// `ROWS | RANGE BETWEEN start AND end` (RANGE only with UNBOUNDED and CURRENT ROW bounds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowFrame {
    pub rows: bool,
    pub start: FrameBound,
    pub end: FrameBound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(u64),
    CurrentRow,
    Following(u64),
    UnboundedFollowing,
}

/// `CREATE TABLE name AS query` or `CREATE MATERIALIZED VIEW name AS query`: a table made from the query's
/// rows; a materialized view also keeps the query for REFRESH.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTableAs {
    pub name: ObjectName,
    pub if_not_exists: bool,
    /// `CREATE TEMP TABLE ... AS` (see [`CreateTable::temporary`]).
    pub temporary: Option<OnCommit>,
    /// Column names given after the name (they rename the query's columns, in order).
    pub columns: Vec<String>,
    pub query: Box<Query>,
    /// The query as written (kept for a materialized view's REFRESH).
    pub sql: String,
    pub materialized: bool,
    /// False for `WITH NO DATA`: the table is created empty.
    pub with_data: bool,
}

/// See [`Expr::OrderedAggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedAggregate {
    pub name: String,
    /// The aggregated arguments, or an ordered-set aggregate's direct arguments (`percentile_cont(0.5)`).
    pub args: Vec<Expr>,
    pub distinct: bool,
    pub order_by: Vec<OrderByExpr>,
    /// `WITHIN GROUP (ORDER BY x)`: the ORDER BY's expression is what is aggregated.
    pub within_group: bool,
}

/// `CREATE [OR REPLACE] VIEW name [(columns)] AS query`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub name: ObjectName,
    pub or_replace: bool,
    /// Column names given after the view's name (they rename the query's columns, in order).
    pub columns: Vec<String>,
    pub query: Box<Query>,
    /// The query as written (what the catalog keeps and `pg_views.definition` shows).
    pub sql: String,
    /// `WITH [CASCADED | LOCAL] CHECK OPTION` (or `WITH (check_option = ...)`).
    pub check_option: Option<CheckOption>,
}

/// A view's `CHECK OPTION`: rows INSERT and UPDATE write through it must satisfy its WHERE (CASCADED: and
/// those of the views below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOption {
    Local,
    Cascaded,
}

impl CheckOption {
    /// As `information_schema.views.check_option` and `reloptions` spell it (upper case there).
    pub fn name(self) -> &'static str {
        match self {
            CheckOption::Local => "local",
            CheckOption::Cascaded => "cascaded",
        }
    }
}

/// One `name [(columns)] AS (query)` of a WITH clause.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonTableExpr {
    pub alias: TableAlias,
    pub query: Box<Query>,
    /// A data-modifying statement (`name AS (INSERT / UPDATE / DELETE ... [RETURNING ...])`): it runs once,
    /// to completion, and the name reads its RETURNING rows. Then `query` is an empty placeholder.
    pub modifying: Option<Box<Statement>>,
    /// Defined in a `WITH RECURSIVE` list: its query may read its own rows (`non-recursive term UNION
    /// [ALL] recursive term`).
    pub recursive: bool,
}

/// A transaction isolation level as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl IsolationLevel {
    /// The level as PostgreSQL spells it in SQL (`READ COMMITTED`).
    pub fn sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }

    /// Parses a `default_transaction_isolation` value (`'repeatable read'`, any case).
    pub fn from_setting(value: &str) -> Option<IsolationLevel> {
        let words: Vec<String> = value.split_whitespace().map(|w| w.to_ascii_uppercase()).collect();
        [Self::ReadUncommitted, Self::ReadCommitted, Self::RepeatableRead, Self::Serializable]
            .into_iter()
            .find(|level| level.sql() == words.join(" "))
    }
}

/// The strength of a locking clause (`SELECT ... FOR <strength>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStrength {
    Update,
    NoKeyUpdate,
    Share,
    KeyShare,
}

impl LockStrength {
    /// The clause as PostgreSQL names it in messages (`FOR UPDATE`).
    pub fn sql(self) -> &'static str {
        match self {
            LockStrength::Update => "FOR UPDATE",
            LockStrength::NoKeyUpdate => "FOR NO KEY UPDATE",
            LockStrength::Share => "FOR SHARE",
            LockStrength::KeyShare => "FOR KEY SHARE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryBody {
    Select(Box<Select>),
    Values(Vec<Vec<Expr>>),
    /// `left op [ALL] right`; the enclosing `Query` holds the ORDER BY / LIMIT that apply to the whole
    /// result, each side its own (a parenthesised side may sort and limit).
    SetOperation {
        op: SetOperator,
        /// `ALL` keeps duplicates; without it the result is distinct.
        all: bool,
        left: Box<Query>,
        right: Box<Query>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    /// `DISTINCT ON (exprs)`: the first row of each group of rows equal in `exprs` (ORDER BY decides which).
    pub distinct_on: Vec<Expr>,
    pub projection: Vec<SelectItem>,
    /// FROM items, cross-joined (an empty list is a single empty row, `SELECT 1`); each may be a join tree.
    pub from: Vec<TableRef>,
    pub filter: Option<Expr>,
    /// GROUP BY's distinct expressions.
    pub group_by: Vec<Expr>,
    /// `GROUPING SETS` / `ROLLUP` / `CUBE`: the grouping sets, each as indices into `group_by`, in the
    /// order PostgreSQL lists them; empty for a plain GROUP BY (one set of every expression).
    pub grouping_sets: Vec<Vec<usize>>,
    pub having: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    Union,
    Intersect,
    Except,
}

impl SetOperator {
    pub fn name(self) -> &'static str {
        match self {
            SetOperator::Union => "UNION",
            SetOperator::Intersect => "INTERSECT",
            SetOperator::Except => "EXCEPT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    /// `CROSS JOIN` (no constraint).
    Cross,
    /// Each left row that has a match, once (made by the optimizer from `EXISTS` / `IN (subquery)`; SQL
    /// has no syntax for it). Its rows are the left rows.
    Semi,
    /// Each left row that has no match (made by the optimizer from `NOT EXISTS`). Its rows are the left rows.
    Anti,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JoinConstraint {
    On(Expr),
    /// `USING (a, b)`: equality of the named columns, which appear once in the output.
    Using(Vec<String>),
    /// `NATURAL`: USING every column name the two sides share.
    Natural,
    /// `CROSS JOIN`.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`
    Wildcard,
    /// `t.*`
    QualifiedWildcard(String),
    Expr {
        expr: Expr,
        alias: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    Table {
        name: ObjectName,
        alias: Option<TableAlias>,
    },
    /// A set-returning function in FROM, e.g. `generate_series(1, 10) AS id`.
    Function {
        name: String,
        args: Vec<Expr>,
        alias: Option<TableAlias>,
    },
    /// `[LATERAL] (query) [AS alias]`: with LATERAL the query may read the FROM items before it.
    Subquery {
        query: Box<Query>,
        alias: Option<TableAlias>,
        lateral: bool,
    },
    /// `left [NATURAL] kind JOIN right [ON ... | USING (...)]`; joins associate to the left, so `left` is
    /// the deeper tree unless parentheses say otherwise.
    Join {
        left: Box<TableRef>,
        right: Box<TableRef>,
        kind: JoinKind,
        constraint: JoinConstraint,
    },
}

/// `AS alias (col1, col2)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableAlias {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderByExpr {
    pub expr: Expr,
    pub descending: bool,
    /// `NULLS FIRST` (Some(true)) / `NULLS LAST` (Some(false)); None = default (NULLS LAST for ASC,
    /// NULLS FIRST for DESC, as in PostgreSQL).
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOperator {
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
    /// `^` (exponentiation; left-associative in PostgreSQL).
    Pow,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `||`
    Concat,
    Like,
    NotLike,
    ILike,
    NotILike,
    /// `~`, `!~`, `~*`, `!~*`: POSIX regular expression match (case-insensitive with `*`).
    RegexMatch,
    NotRegexMatch,
    RegexIMatch,
    NotRegexIMatch,
    /// The json operators (`sql::json`): `->`, `->>`, `#>`, `#>>`, `@>`, `<@`, `?`, `?&`, `?|`, `#-`.
    Arrow,
    LongArrow,
    HashArrow,
    HashLongArrow,
    Contains,
    ContainedBy,
    Question,
    QuestionAnd,
    QuestionPipe,
    HashMinus,
    /// The integer bitwise operators `&`, `|`, `#` (xor), `<<`, `>>`.
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
}

impl BinaryOperator {
    /// The operator as SQL writes it (`LIKE`, `||`, `~*`, ...).
    pub fn sql(self) -> &'static str {
        match self {
            BinaryOperator::Plus => "+",
            BinaryOperator::Minus => "-",
            BinaryOperator::Multiply => "*",
            BinaryOperator::Divide => "/",
            BinaryOperator::Modulo => "%",
            BinaryOperator::Pow => "^",
            BinaryOperator::Eq => "=",
            BinaryOperator::NotEq => "<>",
            BinaryOperator::Lt => "<",
            BinaryOperator::LtEq => "<=",
            BinaryOperator::Gt => ">",
            BinaryOperator::GtEq => ">=",
            BinaryOperator::Concat => "||",
            BinaryOperator::Like => "LIKE",
            BinaryOperator::NotLike => "NOT LIKE",
            BinaryOperator::ILike => "ILIKE",
            BinaryOperator::NotILike => "NOT ILIKE",
            BinaryOperator::RegexMatch => "~",
            BinaryOperator::NotRegexMatch => "!~",
            BinaryOperator::RegexIMatch => "~*",
            BinaryOperator::NotRegexIMatch => "!~*",
            BinaryOperator::Arrow => "->",
            BinaryOperator::LongArrow => "->>",
            BinaryOperator::HashArrow => "#>",
            BinaryOperator::HashLongArrow => "#>>",
            BinaryOperator::Contains => "@>",
            BinaryOperator::ContainedBy => "<@",
            BinaryOperator::Question => "?",
            BinaryOperator::QuestionAnd => "?&",
            BinaryOperator::QuestionPipe => "?|",
            BinaryOperator::HashMinus => "#-",
            BinaryOperator::BitAnd => "&",
            BinaryOperator::BitOr => "|",
            BinaryOperator::BitXor => "#",
            BinaryOperator::ShiftLeft => "<<",
            BinaryOperator::ShiftRight => ">>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOperator {
    Not,
    Minus,
    Plus,
}

/// A scalar expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A constant. Numeric literals are `Int` when they fit in i64 (typed int4 if they fit in i32, else
    /// int8) or `Numeric` otherwise; string literals are `Text` with type `unknown` until context decides.
    Literal(Literal),
    /// A column reference: `col` or `table.col`.
    Column {
        table: Option<String>,
        name: String,
    },
    /// `$n` (1-based).
    Parameter(usize),
    Binary {
        op: BinaryOperator,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `a AND b AND ...`: one node for the whole chain (never nested AND directly under AND), so that an
    /// ORM's long filter needs no recursion depth.
    And(Vec<Expr>),
    /// `a OR b OR ...`, flat like [`Expr::And`].
    Or(Vec<Expr>),
    Unary {
        op: UnaryOperator,
        expr: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        else_result: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        data_type: DataType,
    },
    /// A function call, including aggregates (`count(*)` has `star = true` and no args).
    /// `CURRENT_TIMESTAMP` and friends without parentheses become calls by name (`current_timestamp`,
    /// `current_date`, `localtimestamp`) with no arguments.
    Function {
        name: String,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
    },
    /// A window function call `name(args) OVER (...)`.
    Window(Box<WindowCall>),
    /// An aggregate fed its input in order: `name(args ORDER BY ...)`, or an ordered-set aggregate
    /// `name(direct args) WITHIN GROUP (ORDER BY ...)`.
    OrderedAggregate(Box<OrderedAggregate>),
    /// A scalar subquery `(SELECT ...)`.
    Subquery(Box<Query>),
    Exists {
        query: Box<Query>,
        negated: bool,
    },
    InSubquery {
        expr: Box<Expr>,
        query: Box<Query>,
        negated: bool,
    },
    /// `expr op ANY (array)` (`SOME` too) or, with `all`, `expr op ALL (array)`.
    AnyAll {
        expr: Box<Expr>,
        op: BinaryOperator,
        array: Box<Expr>,
        all: bool,
    },
    /// `ARRAY[a, b, ...]`. (`ARRAY(subquery)` is translated into a subquery aggregating with `array_agg`.)
    Array(Vec<Expr>),
    /// `array[index]` (one subscript; `int2vector` / `oidvector` count from 0, arrays from 1).
    Subscript {
        expr: Box<Expr>,
        index: Box<Expr>,
    },
    /// `(expr).field`: a field of a set-returning function's row, in a select list
    /// (`(information_schema._pg_expandarray(indkey)).n`, as pgjdbc writes).
    FieldSelect {
        expr: Box<Expr>,
        field: String,
    },
    /// A syntax error position in the original text for errors raised while planning this expression,
    /// when known (1-based character offset).
    Positioned {
        expr: Box<Expr>,
        position: usize,
    },
}

impl Expr {
    /// The expressions directly inside this one at the same query level (a subquery's are its own level:
    /// only `InSubquery`'s left operand is here).
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Parameter(_) => Vec::new(),
            Expr::Subquery(_) | Expr::Exists { .. } => Vec::new(),
            Expr::Binary { left, right, .. } => vec![left, right],
            Expr::And(operands) | Expr::Or(operands) | Expr::Array(operands) => operands.iter().collect(),
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Positioned { expr, .. }
            | Expr::FieldSelect { expr, .. }
            | Expr::InSubquery { expr, .. } => vec![expr],
            Expr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
            Expr::Between { expr, low, high, .. } => vec![expr, low, high],
            Expr::Case { operand, branches, else_result } => operand
                .as_deref()
                .into_iter()
                .chain(branches.iter().flat_map(|(when, then)| [when, then]))
                .chain(else_result.as_deref())
                .collect(),
            Expr::Function { args, .. } => args.iter().collect(),
            Expr::Window(call) => {
                call.args.iter().chain(&call.partition_by).chain(call.order_by.iter().map(|o| &o.expr)).collect()
            }
            Expr::OrderedAggregate(call) => call.args.iter().chain(call.order_by.iter().map(|o| &o.expr)).collect(),
            Expr::AnyAll { expr, array: other, .. } | Expr::Subscript { expr, index: other } => vec![expr, other],
        }
    }

    /// Whether this expression or one inside it at the same query level satisfies `predicate`.
    pub fn any_at_level(&self, predicate: &impl Fn(&Expr) -> bool) -> bool {
        let mut pending = vec![self];
        while let Some(expr) = pending.pop() {
            if predicate(expr) {
                return true;
            }
            pending.extend(expr.children());
        }
        false
    }
}

/// EXPLAIN's options, as PostgreSQL's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExplainOptions {
    /// Run the statement and show actual rows and times.
    pub analyze: bool,
    pub verbose: bool,
    /// Show estimated costs (on unless `COSTS false`).
    pub costs: bool,
    /// Show times with ANALYZE (on unless `TIMING false`).
    pub timing: bool,
    /// Show `Planning Time` / `Execution Time` (with ANALYZE, unless `SUMMARY false`).
    pub summary: bool,
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// A numeric literal with its natural type (int4, int8 or numeric).
    Number(Value, DataType),
    /// A string literal (type `unknown` until context decides).
    String(String),
}
