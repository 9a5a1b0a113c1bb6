//! Roles, table ownership, privileges and Aurora DSQL's IAM mappings, stored as catalog rows.
//!
//! Like table definitions (see `catalog`), these are keys in the transactional key space written through the
//! statement's own [`Transaction`], so CREATE ROLE, GRANT and `AWS IAM GRANT` are transactional, take part in
//! OCC and become visible to every session when the database reloads its catalog after the DDL commit.
//!
//! ```text
//!   key  table_prefix(0, 100) ++ encode(role name)                value  oid, login flag, SCRAM verifier
//!   key  table_prefix(0, 101)                                     value  next oid (u32 big-endian)
//!   key  table_prefix(0, 102) ++ encode(table id)                 value  owner role name
//!   key  table_prefix(0, 103) ++ encode(grantee, object)          value  privilege bits
//!   key  table_prefix(0, 104) ++ encode(role name, arn)           value  mapping oid, grantor role name
//! ```
//! `object` is `table:<id>` or `schema:<name>`; grants and ownership follow a table's (never reused) id, so a
//! table dropped and created again under the same name starts without grants, as in PostgreSQL.
//!
//! The built-in `admin` role is not stored: it always exists, may log in, owns everything and holds every
//! privilege. A session opened for a name that is no role at all (through the in-process API or the
//! embeddable `wire::serve`, which accept any user name) is treated as the administrator too; the `occam`
//! server's authenticators refuse such names before a session exists (they ask
//! [`crate::Database::role_login`]).

use std::collections::HashMap;

use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::{AccessStatement, GrantObjects, Privilege, RoleOption};
use crate::storage::keycode::{decode_value, encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::{DataType, Row, Value};

pub use crate::database::ADMIN_ROLE;
/// The oid shown for `admin` (PostgreSQL's bootstrap superuser has oid 10).
pub const ADMIN_ROLE_OID: u32 = 10;
/// The first oid handed to created roles and IAM mappings (PostgreSQL's first user oid).
const FIRST_USER_OID: u32 = 16384;
/// The pseudo-role every role belongs to (`GRANT ... TO PUBLIC`).
pub const PUBLIC_ROLE: &str = "public";

const ROLES: u32 = 100;
const OID_COUNTER: u32 = 101;
const OWNERS: u32 = 102;
const GRANTS: u32 = 103;
const IAM_MAPPINGS: u32 = 104;

/// A role created with CREATE ROLE / CREATE USER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub oid: u32,
    pub login: bool,
    /// SCRAM-SHA-256 verifier of a role created WITH PASSWORD (the password itself is never stored).
    pub password_verifier: Option<String>,
    /// Run-time parameters its sessions start with (`ALTER ROLE name SET parameter = value`), by name.
    pub config: Vec<(String, String)>,
}

/// One `AWS IAM GRANT role TO 'arn'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamMapping {
    pub oid: u32,
    pub arn: String,
    pub role: String,
    pub grantor: String,
}

/// The roles part of a catalog snapshot.
#[derive(Debug, Clone, Default)]
pub struct RoleCatalog {
    roles: HashMap<String, Role>,
    /// Table id -> owner role name.
    owners: HashMap<u32, String>,
    /// (grantee, object key) -> privilege bits.
    grants: HashMap<(String, String), u8>,
    /// In key order: by role name, then ARN.
    iam_mappings: Vec<IamMapping>,
}

fn privilege_bit(privilege: Privilege) -> u8 {
    match privilege {
        Privilege::Select => 1,
        Privilege::Insert => 2,
        Privilege::Update => 4,
        Privilege::Delete => 8,
        Privilege::Usage => 16,
        Privilege::Create => 32,
    }
}

fn table_object(table_id: u32) -> String {
    format!("table:{table_id}")
}

fn schema_object(schema: &str) -> String {
    format!("schema:{schema}")
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn role_key(name: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, ROLES), &[text(name)])
}

fn owner_key(table_id: u32) -> Vec<u8> {
    encode_key(&table_prefix(0, OWNERS), &[Value::Int(table_id as i64)])
}

fn grant_key(grantee: &str, object: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, GRANTS), &[text(grantee), text(object)])
}

fn iam_key(role: &str, arn: &str) -> Vec<u8> {
    encode_key(&table_prefix(0, IAM_MAPPINGS), &[text(role), text(arn)])
}

impl RoleCatalog {
    /// Reads every role, owner, grant and IAM mapping visible to `txn`.
    pub fn load(txn: &Transaction) -> Result<RoleCatalog> {
        let mut catalog = RoleCatalog::default();
        for role in scan_roles(txn)? {
            catalog.roles.insert(role.name.clone(), role);
        }
        for (key, value) in scan(txn, OWNERS)? {
            let mut input = key.as_slice();
            let id = int_component(&mut input)?;
            catalog.owners.insert(id, decode_string(&value)?);
        }
        for (key, value) in scan(txn, GRANTS)? {
            let mut input = key.as_slice();
            let grantee = text_component(&mut input)?;
            let object = text_component(&mut input)?;
            let bits = *value.first().ok_or_else(corrupt)?;
            catalog.grants.insert((grantee, object), bits);
        }
        catalog.iam_mappings = scan_iam(txn)?;
        Ok(catalog)
    }

    /// The run-time parameters sessions of role `name` start with (`ALTER ROLE ... SET`).
    pub fn settings_of(&self, name: &str) -> Vec<(String, String)> {
        self.roles.get(name).map(|role| role.config.clone()).unwrap_or_default()
    }

    /// The created role `name` (not `admin`).
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Whether `name` is a role (`admin` included).
    pub fn exists(&self, name: &str) -> bool {
        name == ADMIN_ROLE || self.roles.contains_key(name)
    }

    /// The oid of role `name` (`admin` included).
    pub fn oid(&self, name: &str) -> Option<u32> {
        if name == ADMIN_ROLE {
            Some(ADMIN_ROLE_OID)
        } else {
            self.roles.get(name).map(|r| r.oid)
        }
    }

    /// Every created role (not `admin`), in no particular order.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The privileges granted on table `table_id`: (grantee, privileges) per grantee with any, by grantee.
    pub fn table_grants(&self, table_id: u32) -> Vec<(String, Vec<Privilege>)> {
        self.object_grants(&table_object(table_id))
    }

    /// The privileges granted on schema `schema`, as [`RoleCatalog::table_grants`].
    pub fn schema_grants(&self, schema: &str) -> Vec<(String, Vec<Privilege>)> {
        self.object_grants(&schema_object(schema))
    }

    fn object_grants(&self, object: &str) -> Vec<(String, Vec<Privilege>)> {
        let all = [
            Privilege::Select,
            Privilege::Insert,
            Privilege::Update,
            Privilege::Delete,
            Privilege::Usage,
            Privilege::Create,
        ];
        let mut grants: Vec<(String, Vec<Privilege>)> = self
            .grants
            .iter()
            .filter(|((_, granted), bits)| granted == object && **bits != 0)
            .map(|((grantee, _), bits)| {
                (grantee.clone(), all.into_iter().filter(|p| bits & privilege_bit(*p) != 0).collect())
            })
            .collect();
        grants.sort();
        grants
    }

    /// The IAM ARNs mapped to role `name`.
    pub fn iam_arns(&self, name: &str) -> Vec<String> {
        self.iam_mappings.iter().filter(|m| m.role == name).map(|m| m.arn.clone()).collect()
    }

    /// Every IAM mapping, ordered by role name, then ARN.
    pub fn iam_mappings(&self) -> &[IamMapping] {
        &self.iam_mappings
    }

    /// The role that owns table `table_id`, if recorded.
    pub fn table_owner(&self, table_id: u32) -> Option<&str> {
        self.owners.get(&table_id).map(String::as_str)
    }

    fn granted(&self, role: &str, object: &str, privilege: Privilege) -> bool {
        let bit = privilege_bit(privilege);
        [role, PUBLIC_ROLE]
            .iter()
            .any(|grantee| self.grants.get(&(grantee.to_string(), object.to_string())).is_some_and(|b| b & bit != 0))
    }

    /// Whether non-administrator `role` holds `privilege` on table `table_id` (as its owner or by a grant).
    pub fn has_table_privilege(&self, role: &str, table_id: u32, privilege: Privilege) -> bool {
        self.table_owner(table_id) == Some(role) || self.granted(role, &table_object(table_id), privilege)
    }

    /// Whether non-administrator `role` holds `privilege` on schema `schema`. USAGE on `public` belongs to
    /// every role, as PostgreSQL 15 grants it to PUBLIC; CREATE must be granted.
    pub fn has_schema_privilege(&self, role: &str, schema: &str, privilege: Privilege) -> bool {
        (privilege == Privilege::Usage && schema == crate::catalog::PUBLIC_SCHEMA)
            || self.granted(role, &schema_object(schema), privilege)
    }

    /// Descriptions of what role `name` owns or holds privileges on, among tables that still exist
    /// (`owner of table t`, `privileges for table t`), for DROP ROLE's dependency error.
    fn dependents(&self, name: &str, table_name: &dyn Fn(u32) -> Option<String>) -> Vec<String> {
        let mut owned: Vec<String> = self
            .owners
            .iter()
            .filter(|(_, owner)| owner.as_str() == name)
            .filter_map(|(id, _)| table_name(*id))
            .map(|table| format!("owner of table {table}"))
            .collect();
        owned.sort();
        let mut privileges: Vec<String> = self
            .grants
            .iter()
            .filter(|((grantee, _), bits)| grantee == name && **bits != 0)
            .filter_map(|((_, object), _)| {
                if let Some(id) = object.strip_prefix("table:") {
                    let table = table_name(id.parse().ok()?)?;
                    Some(format!("privileges for table {table}"))
                } else {
                    object.strip_prefix("schema:").map(|schema| format!("privileges for schema {schema}"))
                }
            })
            .collect();
        privileges.sort();
        owned.extend(privileges);
        owned
    }
}

fn corrupt() -> Error {
    Error::internal("corrupt role catalog row")
}

fn scan(txn: &Transaction, kind: u32) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let prefix = table_prefix(0, kind);
    let (start, end) = prefix_range(&prefix);
    let mut rows = Vec::new();
    for entry in txn.scan(start, end, false) {
        let (key, value) = entry?;
        rows.push((key[prefix.len()..].to_vec(), value.to_vec()));
    }
    Ok(rows)
}

fn text_component(input: &mut &[u8]) -> Result<String> {
    match decode_value(input, &DataType::Text, false)? {
        Value::Text(s) => Ok(s),
        _ => Err(corrupt()),
    }
}

fn int_component(input: &mut &[u8]) -> Result<u32> {
    match decode_value(input, &DataType::Int8, false)? {
        Value::Int(id) => u32::try_from(id).map_err(|_| corrupt()),
        _ => Err(corrupt()),
    }
}

// ---- row values: u32 big-endian numbers and length-prefixed strings ----

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn take_u32(input: &mut &[u8]) -> Result<u32> {
    if input.len() < 4 {
        return Err(corrupt());
    }
    let (head, rest) = input.split_at(4);
    *input = rest;
    Ok(u32::from_be_bytes(head.try_into().map_err(|_| corrupt())?))
}

fn take_str(input: &mut &[u8]) -> Result<String> {
    let len = take_u32(input)? as usize;
    if input.len() < len {
        return Err(corrupt());
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    String::from_utf8(head.to_vec()).map_err(|_| corrupt())
}

fn decode_string(value: &[u8]) -> Result<String> {
    let mut input = value;
    take_str(&mut input)
}

fn encode_role(role: &Role) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&role.oid.to_be_bytes());
    let has_config = !role.config.is_empty();
    out.push(role.login as u8 | ((role.password_verifier.is_some() as u8) << 1) | ((has_config as u8) << 2));
    if let Some(verifier) = &role.password_verifier {
        put_str(&mut out, verifier);
    }
    if has_config {
        out.extend_from_slice(&(role.config.len() as u32).to_be_bytes());
        for (name, value) in &role.config {
            put_str(&mut out, name);
            put_str(&mut out, value);
        }
    }
    out
}

fn scan_roles(txn: &Transaction) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for (key, value) in scan(txn, ROLES)? {
        let name = text_component(&mut key.as_slice())?;
        let mut input = value.as_slice();
        let oid = take_u32(&mut input)?;
        let (&flags, rest) = input.split_first().ok_or_else(corrupt)?;
        input = rest;
        let password_verifier = if flags & 2 != 0 { Some(take_str(&mut input)?) } else { None };
        let mut config = Vec::new();
        if flags & 4 != 0 {
            for _ in 0..take_u32(&mut input)? {
                config.push((take_str(&mut input)?, take_str(&mut input)?));
            }
        }
        roles.push(Role { name, oid, login: flags & 1 != 0, password_verifier, config });
    }
    Ok(roles)
}

fn scan_iam(txn: &Transaction) -> Result<Vec<IamMapping>> {
    let mut mappings = Vec::new();
    for (key, value) in scan(txn, IAM_MAPPINGS)? {
        let mut input = key.as_slice();
        let role = text_component(&mut input)?;
        let arn = text_component(&mut input)?;
        let mut value = value.as_slice();
        let oid = take_u32(&mut value)?;
        let grantor = take_str(&mut value)?;
        mappings.push(IamMapping { oid, arn, role, grantor });
    }
    Ok(mappings)
}

/// Hands out the next oid for a role or an IAM mapping. Writing the counter makes concurrent role DDL
/// conflict at COMMIT (40001), as concurrent CREATE TABLEs do on the table id counter.
fn next_oid(txn: &mut Transaction) -> Result<u32> {
    let key = table_prefix(0, OID_COUNTER);
    let oid = match txn.get(&key)? {
        Some(bytes) => take_u32(&mut bytes.as_slice())?,
        None => FIRST_USER_OID,
    };
    let next = oid.checked_add(1).ok_or_else(|| Error::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "out of oids"))?;
    txn.put(key, next.to_be_bytes().to_vec());
    Ok(oid)
}

fn role_exists(txn: &Transaction, name: &str) -> Result<bool> {
    Ok(name == ADMIN_ROLE || txn.get(&role_key(name))?.is_some())
}

fn undefined_role(name: &str) -> Error {
    Error::new(sqlstate::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist"))
}

fn permission_denied(message: impl Into<String>) -> Error {
    Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, message)
}

/// Who runs a role or privilege statement.
pub struct Actor<'a> {
    /// The session's role name.
    pub role: &'a str,
    /// Whether the session has the administrator's rights.
    pub superuser: bool,
}

/// Records `owner` as the owner of the table `name` just created in `txn`.
pub fn record_owner(txn: &mut Transaction, table_id: u32, owner: &str) {
    let mut value = Vec::with_capacity(owner.len() + 4);
    put_str(&mut value, owner);
    txn.put(owner_key(table_id), value);
}

/// Executes a role or privilege statement inside `txn`, checking the actor's rights against `catalog` (the
/// snapshot the statement was planned against). Returns the command tag.
pub fn execute(
    txn: &mut Transaction,
    catalog: &crate::catalog::Catalog,
    statement: &AccessStatement,
    actor: &Actor,
) -> Result<&'static str> {
    match statement {
        AccessStatement::CreateRole { name, login, password } => {
            if !actor.superuser {
                return Err(permission_denied("permission denied to create role"));
            }
            if role_exists(txn, name)? {
                return Err(Error::new(sqlstate::DUPLICATE_OBJECT, format!("role \"{name}\" already exists")));
            }
            let password_verifier = password.as_deref().map(crate::auth::scram::verifier_for);
            let role =
                Role { name: name.clone(), oid: next_oid(txn)?, login: *login, password_verifier, config: Vec::new() };
            txn.put(role_key(name), encode_role(&role));
            Ok("CREATE ROLE")
        }
        AccessStatement::AlterRoleSet { name, parameter, value } => {
            alter_role_set(txn, catalog, name, parameter.as_deref(), value.as_deref(), actor)?;
            Ok("ALTER ROLE")
        }
        AccessStatement::AlterRole { name, options } => {
            alter_role(txn, catalog, name, options, actor)?;
            Ok("ALTER ROLE")
        }
        AccessStatement::DropRole { names, if_exists } => {
            if !actor.superuser {
                return Err(permission_denied("permission denied to drop role"));
            }
            drop_roles(txn, catalog, names, *if_exists, actor)?;
            Ok("DROP ROLE")
        }
        AccessStatement::Grant { revoke, privileges, objects, grantees } => {
            grant(txn, catalog, *revoke, privileges, objects, grantees, actor)?;
            Ok(if *revoke { "REVOKE" } else { "GRANT" })
        }
        AccessStatement::IamGrant { revoke, role, arn } => {
            iam_grant(txn, *revoke, role, arn, actor)?;
            Ok(if *revoke { "AWS IAM REVOKE" } else { "AWS IAM GRANT" })
        }
    }
}

/// `ALTER ROLE name SET parameter = value` (`value` None: `RESET parameter`; `parameter` None: `RESET ALL`):
/// the role's sessions start with it, under the startup message's values (as PostgreSQL orders them). A role
/// may change its own; the administrator any role's.
fn alter_role_set(
    txn: &mut Transaction,
    catalog: &crate::catalog::Catalog,
    name: &str,
    parameter: Option<&str>,
    value: Option<&str>,
    actor: &Actor,
) -> Result<()> {
    if !actor.superuser && actor.role != name {
        return Err(permission_denied("permission denied to alter role"));
    }
    if name == ADMIN_ROLE {
        return Err(Error::unsupported("ALTER ROLE admin SET (the built-in role's defaults are fixed)"));
    }
    let mut role = catalog.roles.role(name).cloned().ok_or_else(|| undefined_role(name))?;
    match (parameter, value) {
        (None, _) => role.config.clear(),
        (Some(parameter), None) => role.config.retain(|(n, _)| !n.eq_ignore_ascii_case(parameter)),
        (Some(parameter), Some(value)) => {
            let (parameter, value) = crate::settings::check_default(parameter, value)?;
            role.config.retain(|(n, _)| *n != parameter);
            role.config.push((parameter, value));
            role.config.sort();
        }
    }
    txn.put(role_key(name), encode_role(&role));
    Ok(())
}

/// `ALTER ROLE name [WITH] option ...`: LOGIN / NOLOGIN and PASSWORD change the role; the attributes occam
/// does not keep (SUPERUSER, CREATEDB, ...), CONNECTION LIMIT and VALID UNTIL are accepted where they state
/// what the role already is (`admin` has every attribute, other roles none but INHERIT; no connection limit,
/// no expiry), as the `ALTER ROLE` lines of pg_dumpall's output do, and refused otherwise (0A000). As in
/// PostgreSQL a role may change its own password; everything else needs `admin`.
fn alter_role(
    txn: &mut Transaction,
    catalog: &crate::catalog::Catalog,
    name: &str,
    options: &[RoleOption],
    actor: &Actor,
) -> Result<()> {
    let own_password = actor.role == name && options.iter().all(|o| matches!(o, RoleOption::Password(_)));
    if !actor.superuser && !own_password {
        return Err(permission_denied("permission denied to alter role"));
    }
    let admin = name == ADMIN_ROLE;
    let mut role = match catalog.roles.role(name) {
        Some(role) => Some(role.clone()),
        None if admin => None,
        None => return Err(undefined_role(name)),
    };
    for option in options {
        let refused = match option {
            RoleOption::Attribute(attribute, granted) => {
                let has = admin || attribute == "INHERIT";
                (*granted != has).then(|| format!("{}{attribute}", if *granted { "" } else { "NO" }))
            }
            RoleOption::ConnectionLimit(limit) => (*limit != -1).then(|| format!("CONNECTION LIMIT {limit}")),
            RoleOption::ValidUntil(until) => (until != "infinity").then(|| format!("VALID UNTIL '{until}'")),
            RoleOption::Login(login) => match role.as_mut() {
                Some(role) => {
                    role.login = *login;
                    None
                }
                None => (!*login).then(|| "NOLOGIN".to_string()),
            },
            RoleOption::Password(password) => match role.as_mut() {
                Some(role) => {
                    role.password_verifier = password.as_deref().map(crate::auth::scram::verifier_for);
                    None
                }
                None => Some("PASSWORD".to_string()),
            },
        };
        if let Some(option) = refused {
            return Err(Error::unsupported(format!("role option {option} is not supported for role \"{name}\"")));
        }
    }
    if let Some(role) = role {
        txn.put(role_key(name), encode_role(&role));
    }
    Ok(())
}

fn drop_roles(
    txn: &mut Transaction,
    catalog: &crate::catalog::Catalog,
    names: &[String],
    if_exists: bool,
    actor: &Actor,
) -> Result<()> {
    let table_name = |id: u32| catalog.tables().find(|t| t.id == id).map(|t| t.name.clone());
    for name in names {
        if name == actor.role {
            return Err(Error::new("55006", "current user cannot be dropped"));
        }
        if name == ADMIN_ROLE {
            return Err(Error::new(
                "2BP01",
                format!("cannot drop role {name} because it is required by the database system"),
            ));
        }
        if txn.get(&role_key(name))?.is_none() {
            // PostgreSQL notices "role ... does not exist, skipping" under IF EXISTS.
            if if_exists {
                continue;
            }
            return Err(undefined_role(name));
        }
        let dependents = catalog.roles.dependents(name, &table_name);
        if !dependents.is_empty() {
            return Err(Error::new(
                "2BP01",
                format!("role \"{name}\" cannot be dropped because some objects depend on it"),
            )
            .with_detail(dependents.join("\n")));
        }
        txn.delete(role_key(name));
        // A dropped role's IAM mappings go with it.
        for mapping in scan_iam(txn)? {
            if &mapping.role == name {
                txn.delete(iam_key(&mapping.role, &mapping.arn));
            }
        }
    }
    Ok(())
}

fn grant(
    txn: &mut Transaction,
    catalog: &crate::catalog::Catalog,
    revoke: bool,
    privileges: &[Privilege],
    objects: &GrantObjects,
    grantees: &[String],
    actor: &Actor,
) -> Result<()> {
    let owns = |table_id: u32| actor.superuser || catalog.roles.table_owner(table_id) == Some(actor.role);
    let check_schema = |schema: &str| {
        if catalog.schema_exists(schema) {
            Ok(())
        } else {
            Err(Error::new("3F000", format!("schema \"{schema}\" does not exist")))
        }
    };
    let mut targets = Vec::new();
    match objects {
        GrantObjects::Tables(names) => {
            for name in names {
                // GRANT ... ON [TABLE] names tables and views alike, as in PostgreSQL.
                let (id, kind, table_name) = match catalog.find_view(name) {
                    Some(view) => (view.id, "view", view.name.as_str()),
                    None => {
                        let table = catalog.table(name)?;
                        (table.id, "table", table.name.as_str())
                    }
                };
                if !owns(id) {
                    return Err(permission_denied(format!("permission denied for {kind} {table_name}")));
                }
                targets.push(table_object(id));
            }
        }
        GrantObjects::AllTablesInSchemas(schemas) => {
            for schema in schemas {
                check_schema(schema)?;
            }
            let mut tables: Vec<_> = catalog.tables().filter(|t| schemas.contains(&t.schema)).collect();
            tables.sort_by(|a, b| a.name.cmp(&b.name));
            for table in tables {
                if !owns(table.id) {
                    return Err(permission_denied(format!("permission denied for table {}", table.name)));
                }
                targets.push(table_object(table.id));
            }
        }
        GrantObjects::Schemas(schemas) => {
            for schema in schemas {
                check_schema(schema)?;
                // The public schema belongs to the administrator, the others to their owners.
                if !actor.superuser && catalog.schema_owner(schema) != Some(actor.role) {
                    return Err(permission_denied(format!("permission denied for schema {schema}")));
                }
                targets.push(schema_object(schema));
            }
        }
    }
    for grantee in grantees {
        if grantee != PUBLIC_ROLE && !role_exists(txn, grantee)? {
            return Err(undefined_role(grantee));
        }
    }
    let bits = privileges.iter().fold(0u8, |bits, p| bits | privilege_bit(*p));
    for grantee in grantees {
        for object in &targets {
            let key = grant_key(grantee, object);
            let old = txn.get(&key)?.and_then(|v| v.first().copied()).unwrap_or(0);
            let new = if revoke { old & !bits } else { old | bits };
            if new == old {
                continue;
            }
            if new == 0 {
                txn.delete(key);
            } else {
                txn.put(key, vec![new]);
            }
        }
    }
    Ok(())
}

/// `AWS IAM GRANT role TO 'arn'` maps an IAM principal to a role; granting an existing mapping again and
/// revoking a missing one change nothing (as PostgreSQL's GRANT / REVOKE of privileges).
fn iam_grant(txn: &mut Transaction, revoke: bool, role: &str, arn: &str, actor: &Actor) -> Result<()> {
    if !actor.superuser {
        return Err(permission_denied(format!(
            "permission denied to {} role \"{role}\"",
            if revoke { "revoke" } else { "grant" }
        )));
    }
    if !role_exists(txn, role)? {
        return Err(undefined_role(role));
    }
    let valid = arn.starts_with("arn:") && arn.split(':').nth(2) == Some("iam") && arn.split(':').count() == 6;
    if !valid {
        return Err(Error::new(sqlstate::INVALID_PARAMETER_VALUE, format!("invalid IAM principal ARN: \"{arn}\"")));
    }
    let key = iam_key(role, arn);
    let exists = txn.get(&key)?.is_some();
    if revoke {
        if exists {
            txn.delete(key);
        }
    } else if !exists {
        let mut value = Vec::with_capacity(8 + actor.role.len());
        value.extend_from_slice(&next_oid(txn)?.to_be_bytes());
        put_str(&mut value, if actor.superuser { ADMIN_ROLE } else { actor.role });
        txn.put(key, value);
    }
    Ok(())
}

/// The columns of `sys.iam_pg_role_mappings` (a system relation, see `sql::system`). occam has no `oid` or
/// `name` type: the oid columns are `bigint` (every oid fits) and the role names `text`.
pub const SYS_IAM_PG_ROLE_MAPPINGS_COLUMNS: &[(&str, DataType)] = &[
    ("iam_oid", DataType::Int8),
    ("arn", DataType::Text),
    ("pg_role_oid", DataType::Int8),
    ("pg_role_name", DataType::Text),
    ("grantor_pg_role_oid", DataType::Int8),
    ("grantor_pg_role_name", DataType::Text),
];

/// The rows of `sys.iam_pg_role_mappings` as of `txn`'s snapshot, ordered by role name, then ARN.
pub fn sys_iam_pg_role_mappings_rows(txn: &Transaction) -> Result<Vec<Row>> {
    let oids: HashMap<String, u32> = scan_roles(txn)?.into_iter().map(|role| (role.name, role.oid)).collect();
    let oid = |name: &str| match name {
        ADMIN_ROLE => Value::Int(ADMIN_ROLE_OID as i64),
        _ => oids.get(name).map_or(Value::Null, |oid| Value::Int(*oid as i64)),
    };
    Ok(scan_iam(txn)?
        .into_iter()
        .map(|m| {
            vec![
                Value::Int(m.oid as i64),
                Value::Text(m.arn),
                oid(&m.role),
                Value::Text(m.role),
                oid(&m.grantor),
                Value::Text(m.grantor),
            ]
        })
        .collect())
}
