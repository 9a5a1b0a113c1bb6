//! `pg_catalog`: PostgreSQL's catalog tables and system views, generated at scan time from occam's
//! catalog (tables, columns, indexes), roles, statistics and the session's settings.
//!
//! Each relation has PostgreSQL 15's oid, column names and column types (types occam does not have are
//! shown as the nearest one it has: `xid` as `oid`, `anyarray` as `text`). What occam has
//! no notion of (triggers, rules, policies, publications, inheritance, extensions, sequences, views) is
//! an empty relation with the right columns, so clients' catalog queries run and find nothing. Columns
//! about PostgreSQL's storage (pages, toast, frozen xids, statistics targets) hold PostgreSQL's values
//! for a fresh relation.

use super::names::PSEUDO_TYPES;
use super::rows::{self, int_array, owner_oid, Class};
use super::{names, oids, RelationKind, Schema, SystemContext, SystemRelation};
use crate::error::{sqlstate, Error, Result};
use crate::sql::ast::Privilege;
use crate::types::{ArrayElement, DataType, RegKind, Row, Value};

const PG: Schema = Schema::PgCatalog;

/// A `pg_catalog` table with PostgreSQL's oid.
macro_rules! table {
    ($($arg:tt)*) => {
        relation!(PG, Table, $($arg)*)
    };
}

/// A `pg_catalog` view with PostgreSQL 15's oid.
macro_rules! view {
    ($($arg:tt)*) => {
        relation!(PG, View, $($arg)*)
    };
}

/// Every `pg_catalog` relation.
#[rustfmt::skip]
pub static RELATIONS: &[SystemRelation] = &[
    table!("pg_namespace", 2615, &[("oid", DataType::Oid), ("nspname", DataType::Name), ("nspowner", DataType::Oid), ("nspacl", DataType::Array(ArrayElement::ACLITEM))], pg_namespace),
    table!("pg_class", 1259, &[("oid", DataType::Oid), ("relname", DataType::Name), ("relnamespace", DataType::Oid), ("reltype", DataType::Oid), ("reloftype", DataType::Oid), ("relowner", DataType::Oid), ("relam", DataType::Oid), ("relfilenode", DataType::Oid), ("reltablespace", DataType::Oid), ("relpages", DataType::Int4), ("reltuples", DataType::Float4), ("relallvisible", DataType::Int4), ("reltoastrelid", DataType::Oid), ("relhasindex", DataType::Bool), ("relisshared", DataType::Bool), ("relpersistence", DataType::InternalChar), ("relkind", DataType::InternalChar), ("relnatts", DataType::Int2), ("relchecks", DataType::Int2), ("relhasrules", DataType::Bool), ("relhastriggers", DataType::Bool), ("relhassubclass", DataType::Bool), ("relrowsecurity", DataType::Bool), ("relforcerowsecurity", DataType::Bool), ("relispopulated", DataType::Bool), ("relreplident", DataType::InternalChar), ("relispartition", DataType::Bool), ("relrewrite", DataType::Oid), ("relfrozenxid", DataType::Oid), ("relminmxid", DataType::Oid), ("relacl", DataType::Array(ArrayElement::ACLITEM)), ("reloptions", DataType::Array(ArrayElement::TEXT)), ("relpartbound", DataType::NodeTree)], pg_class),
    table!("pg_attribute", 1249, &[("attrelid", DataType::Oid), ("attname", DataType::Name), ("atttypid", DataType::Oid), ("attstattarget", DataType::Int4), ("attlen", DataType::Int2), ("attnum", DataType::Int2), ("attndims", DataType::Int4), ("attcacheoff", DataType::Int4), ("atttypmod", DataType::Int4), ("attbyval", DataType::Bool), ("attalign", DataType::InternalChar), ("attstorage", DataType::InternalChar), ("attcompression", DataType::InternalChar), ("attnotnull", DataType::Bool), ("atthasdef", DataType::Bool), ("atthasmissing", DataType::Bool), ("attidentity", DataType::InternalChar), ("attgenerated", DataType::InternalChar), ("attisdropped", DataType::Bool), ("attislocal", DataType::Bool), ("attinhcount", DataType::Int4), ("attcollation", DataType::Oid), ("attacl", DataType::Array(ArrayElement::ACLITEM)), ("attoptions", DataType::Array(ArrayElement::TEXT)), ("attfdwoptions", DataType::Array(ArrayElement::TEXT)), ("attmissingval", DataType::Text)], pg_attribute),
    table!("pg_type", 1247, &[("oid", DataType::Oid), ("typname", DataType::Name), ("typnamespace", DataType::Oid), ("typowner", DataType::Oid), ("typlen", DataType::Int2), ("typbyval", DataType::Bool), ("typtype", DataType::InternalChar), ("typcategory", DataType::InternalChar), ("typispreferred", DataType::Bool), ("typisdefined", DataType::Bool), ("typdelim", DataType::InternalChar), ("typrelid", DataType::Oid), ("typsubscript", DataType::Reg(RegKind::Proc)), ("typelem", DataType::Oid), ("typarray", DataType::Oid), ("typinput", DataType::Reg(RegKind::Proc)), ("typoutput", DataType::Reg(RegKind::Proc)), ("typreceive", DataType::Reg(RegKind::Proc)), ("typsend", DataType::Reg(RegKind::Proc)), ("typmodin", DataType::Reg(RegKind::Proc)), ("typmodout", DataType::Reg(RegKind::Proc)), ("typanalyze", DataType::Reg(RegKind::Proc)), ("typalign", DataType::InternalChar), ("typstorage", DataType::InternalChar), ("typnotnull", DataType::Bool), ("typbasetype", DataType::Oid), ("typtypmod", DataType::Int4), ("typndims", DataType::Int4), ("typcollation", DataType::Oid), ("typdefaultbin", DataType::NodeTree), ("typdefault", DataType::Text), ("typacl", DataType::Array(ArrayElement::ACLITEM))], pg_type),
    table!("pg_index", 2610, &[("indexrelid", DataType::Oid), ("indrelid", DataType::Oid), ("indnatts", DataType::Int2), ("indnkeyatts", DataType::Int2), ("indisunique", DataType::Bool), ("indnullsnotdistinct", DataType::Bool), ("indisprimary", DataType::Bool), ("indisexclusion", DataType::Bool), ("indimmediate", DataType::Bool), ("indisclustered", DataType::Bool), ("indisvalid", DataType::Bool), ("indcheckxmin", DataType::Bool), ("indisready", DataType::Bool), ("indislive", DataType::Bool), ("indisreplident", DataType::Bool), ("indkey", DataType::Int2Vector), ("indcollation", DataType::OidVector), ("indclass", DataType::OidVector), ("indoption", DataType::Int2Vector), ("indexprs", DataType::NodeTree), ("indpred", DataType::NodeTree)], pg_index),
    table!("pg_constraint", 2606, &[("oid", DataType::Oid), ("conname", DataType::Name), ("connamespace", DataType::Oid), ("contype", DataType::InternalChar), ("condeferrable", DataType::Bool), ("condeferred", DataType::Bool), ("convalidated", DataType::Bool), ("conrelid", DataType::Oid), ("contypid", DataType::Oid), ("conindid", DataType::Oid), ("conparentid", DataType::Oid), ("confrelid", DataType::Oid), ("confupdtype", DataType::InternalChar), ("confdeltype", DataType::InternalChar), ("confmatchtype", DataType::InternalChar), ("conislocal", DataType::Bool), ("coninhcount", DataType::Int4), ("connoinherit", DataType::Bool), ("conkey", DataType::Array(ArrayElement::INT2)), ("confkey", DataType::Array(ArrayElement::INT2)), ("conpfeqop", DataType::Array(ArrayElement::OID)), ("conppeqop", DataType::Array(ArrayElement::OID)), ("conffeqop", DataType::Array(ArrayElement::OID)), ("confdelsetcols", DataType::Array(ArrayElement::INT2)), ("conexclop", DataType::Array(ArrayElement::OID)), ("conbin", DataType::NodeTree)], pg_constraint),
    table!("pg_attrdef", 2604, &[("oid", DataType::Oid), ("adrelid", DataType::Oid), ("adnum", DataType::Int2), ("adbin", DataType::NodeTree)], pg_attrdef),
    table!("pg_am", 2601, &[("oid", DataType::Oid), ("amname", DataType::Name), ("amhandler", DataType::Reg(RegKind::Proc)), ("amtype", DataType::InternalChar)], pg_am),
    table!("pg_proc", 1255, &[("oid", DataType::Oid), ("proname", DataType::Name), ("pronamespace", DataType::Oid), ("proowner", DataType::Oid), ("prolang", DataType::Oid), ("procost", DataType::Float4), ("prorows", DataType::Float4), ("provariadic", DataType::Oid), ("prosupport", DataType::Reg(RegKind::Proc)), ("prokind", DataType::InternalChar), ("prosecdef", DataType::Bool), ("proleakproof", DataType::Bool), ("proisstrict", DataType::Bool), ("proretset", DataType::Bool), ("provolatile", DataType::InternalChar), ("proparallel", DataType::InternalChar), ("pronargs", DataType::Int2), ("pronargdefaults", DataType::Int2), ("prorettype", DataType::Oid), ("proargtypes", DataType::OidVector), ("proallargtypes", DataType::Array(ArrayElement::OID)), ("proargmodes", DataType::Array(ArrayElement::INTERNAL_CHAR)), ("proargnames", DataType::Array(ArrayElement::TEXT)), ("proargdefaults", DataType::NodeTree), ("protrftypes", DataType::Array(ArrayElement::OID)), ("prosrc", DataType::Text), ("probin", DataType::Text), ("prosqlbody", DataType::NodeTree), ("proconfig", DataType::Array(ArrayElement::TEXT)), ("proacl", DataType::Array(ArrayElement::ACLITEM))], pg_proc),
    table!("pg_description", 2609, &[("objoid", DataType::Oid), ("classoid", DataType::Oid), ("objsubid", DataType::Int4), ("description", DataType::Text)], pg_description),
    table!("pg_shdescription", 2396, &[("objoid", DataType::Oid), ("classoid", DataType::Oid), ("description", DataType::Text)], super::no_rows),
    table!("pg_auth_members", 1261, &[("roleid", DataType::Oid), ("member", DataType::Oid), ("grantor", DataType::Oid), ("admin_option", DataType::Bool)], super::no_rows),
    SystemRelation {
        schema: PG,
        name: "pg_database",
        oid: 1262,
        kind: RelationKind::Table,
        columns: &[("oid", DataType::Oid), ("datname", DataType::Name), ("datdba", DataType::Oid), ("encoding", DataType::Int4), ("datlocprovider", DataType::InternalChar), ("datistemplate", DataType::Bool), ("datallowconn", DataType::Bool), ("datconnlimit", DataType::Int4), ("datfrozenxid", DataType::Oid), ("datminmxid", DataType::Oid), ("dattablespace", DataType::Oid), ("datcollate", DataType::Text), ("datctype", DataType::Text), ("daticulocale", DataType::Text), ("datcollversion", DataType::Text), ("datacl", DataType::Array(ArrayElement::ACLITEM))],
        rows: pg_database,
        postgres_only: true,
    },
    SystemRelation {
        schema: PG,
        name: "pg_authid",
        oid: 1260,
        kind: RelationKind::Table,
        columns: &[("oid", DataType::Oid), ("rolname", DataType::Name), ("rolsuper", DataType::Bool), ("rolinherit", DataType::Bool), ("rolcreaterole", DataType::Bool), ("rolcreatedb", DataType::Bool), ("rolcanlogin", DataType::Bool), ("rolreplication", DataType::Bool), ("rolbypassrls", DataType::Bool), ("rolconnlimit", DataType::Int4), ("rolpassword", DataType::Text), ("rolvaliduntil", DataType::Timestamptz)],
        rows: pg_authid,
        postgres_only: true,
    },
    table!("pg_extension", 3079, &[("oid", DataType::Oid), ("extname", DataType::Name), ("extowner", DataType::Oid), ("extnamespace", DataType::Oid), ("extrelocatable", DataType::Bool), ("extversion", DataType::Text), ("extconfig", DataType::Array(ArrayElement::OID)), ("extcondition", DataType::Array(ArrayElement::TEXT))], pg_extension),
    table!("pg_sequence", 2224, &[("seqrelid", DataType::Oid), ("seqtypid", DataType::Oid), ("seqstart", DataType::Int8), ("seqincrement", DataType::Int8), ("seqmax", DataType::Int8), ("seqmin", DataType::Int8), ("seqcache", DataType::Int8), ("seqcycle", DataType::Bool)], super::sequences::pg_sequence),
    table!("pg_collation", 3456, &[("oid", DataType::Oid), ("collname", DataType::Name), ("collnamespace", DataType::Oid), ("collowner", DataType::Oid), ("collprovider", DataType::InternalChar), ("collisdeterministic", DataType::Bool), ("collencoding", DataType::Int4), ("collcollate", DataType::Text), ("collctype", DataType::Text), ("colliculocale", DataType::Text), ("collversion", DataType::Text)], pg_collation),
    table!("pg_inherits", 2611, &[("inhrelid", DataType::Oid), ("inhparent", DataType::Oid), ("inhseqno", DataType::Int4), ("inhdetachpending", DataType::Bool)], super::no_rows),
    table!("pg_policy", 3256, &[("oid", DataType::Oid), ("polname", DataType::Name), ("polrelid", DataType::Oid), ("polcmd", DataType::InternalChar), ("polpermissive", DataType::Bool), ("polroles", DataType::Array(ArrayElement::OID)), ("polqual", DataType::NodeTree), ("polwithcheck", DataType::NodeTree)], super::no_rows),
    table!("pg_statistic_ext", 3381, &[("oid", DataType::Oid), ("stxrelid", DataType::Oid), ("stxname", DataType::Name), ("stxnamespace", DataType::Oid), ("stxowner", DataType::Oid), ("stxstattarget", DataType::Int4), ("stxkeys", DataType::Int2Vector), ("stxkind", DataType::Array(ArrayElement::INTERNAL_CHAR)), ("stxexprs", DataType::NodeTree)], super::no_rows),
    table!("pg_publication", 6104, &[("oid", DataType::Oid), ("pubname", DataType::Name), ("pubowner", DataType::Oid), ("puballtables", DataType::Bool), ("pubinsert", DataType::Bool), ("pubupdate", DataType::Bool), ("pubdelete", DataType::Bool), ("pubtruncate", DataType::Bool), ("pubviaroot", DataType::Bool)], super::no_rows),
    table!("pg_publication_namespace", 6237, &[("oid", DataType::Oid), ("pnpubid", DataType::Oid), ("pnnspid", DataType::Oid)], super::no_rows),
    table!("pg_publication_rel", 6106, &[("oid", DataType::Oid), ("prpubid", DataType::Oid), ("prrelid", DataType::Oid), ("prqual", DataType::NodeTree), ("prattrs", DataType::Int2Vector)], super::no_rows),
    table!("pg_trigger", 2620, &[("oid", DataType::Oid), ("tgrelid", DataType::Oid), ("tgparentid", DataType::Oid), ("tgname", DataType::Name), ("tgfoid", DataType::Oid), ("tgtype", DataType::Int2), ("tgenabled", DataType::InternalChar), ("tgisinternal", DataType::Bool), ("tgconstrrelid", DataType::Oid), ("tgconstrindid", DataType::Oid), ("tgconstraint", DataType::Oid), ("tgdeferrable", DataType::Bool), ("tginitdeferred", DataType::Bool), ("tgnargs", DataType::Int2), ("tgattr", DataType::Int2Vector), ("tgargs", DataType::Bytea), ("tgqual", DataType::NodeTree), ("tgoldtable", DataType::Name), ("tgnewtable", DataType::Name)], super::no_rows),
    table!("pg_rewrite", 2618, &[("oid", DataType::Oid), ("rulename", DataType::Name), ("ev_class", DataType::Oid), ("ev_type", DataType::InternalChar), ("ev_enabled", DataType::InternalChar), ("is_instead", DataType::Bool), ("ev_qual", DataType::NodeTree), ("ev_action", DataType::NodeTree)], pg_rewrite),
    table!("pg_depend", 2608, &[("classid", DataType::Oid), ("objid", DataType::Oid), ("objsubid", DataType::Int4), ("refclassid", DataType::Oid), ("refobjid", DataType::Oid), ("refobjsubid", DataType::Int4), ("deptype", DataType::InternalChar)], pg_depend),
    table!("pg_enum", 3501, &[("oid", DataType::Oid), ("enumtypid", DataType::Oid), ("enumsortorder", DataType::Float4), ("enumlabel", DataType::Name)], super::no_rows),
    table!("pg_range", 3541, &[("rngtypid", DataType::Oid), ("rngsubtype", DataType::Oid), ("rngmultitypid", DataType::Oid), ("rngcollation", DataType::Oid), ("rngsubopc", DataType::Oid), ("rngcanonical", DataType::Reg(RegKind::Proc)), ("rngsubdiff", DataType::Reg(RegKind::Proc))], super::no_rows),
    table!("pg_opclass", 2616, &[("oid", DataType::Oid), ("opcmethod", DataType::Oid), ("opcname", DataType::Name), ("opcnamespace", DataType::Oid), ("opcowner", DataType::Oid), ("opcfamily", DataType::Oid), ("opcintype", DataType::Oid), ("opcdefault", DataType::Bool), ("opckeytype", DataType::Oid)], pg_opclass),
    table!("pg_operator", 2617, &[("oid", DataType::Oid), ("oprname", DataType::Name), ("oprnamespace", DataType::Oid), ("oprowner", DataType::Oid), ("oprkind", DataType::InternalChar), ("oprcanmerge", DataType::Bool), ("oprcanhash", DataType::Bool), ("oprleft", DataType::Oid), ("oprright", DataType::Oid), ("oprresult", DataType::Oid), ("oprcom", DataType::Oid), ("oprnegate", DataType::Oid), ("oprcode", DataType::Reg(RegKind::Proc)), ("oprrest", DataType::Reg(RegKind::Proc)), ("oprjoin", DataType::Reg(RegKind::Proc))], super::no_rows),
    table!("pg_tablespace", 1213, &[("oid", DataType::Oid), ("spcname", DataType::Name), ("spcowner", DataType::Oid), ("spcacl", DataType::Array(ArrayElement::ACLITEM)), ("spcoptions", DataType::Array(ArrayElement::TEXT))], pg_tablespace),
    table!("pg_cast", 2605, &[("oid", DataType::Oid), ("castsource", DataType::Oid), ("casttarget", DataType::Oid), ("castfunc", DataType::Oid), ("castcontext", DataType::InternalChar), ("castmethod", DataType::InternalChar)], super::no_rows),
    table!("pg_language", 2612, &[("oid", DataType::Oid), ("lanname", DataType::Name), ("lanowner", DataType::Oid), ("lanispl", DataType::Bool), ("lanpltrusted", DataType::Bool), ("lanplcallfoid", DataType::Oid), ("laninline", DataType::Oid), ("lanvalidator", DataType::Oid), ("lanacl", DataType::Array(ArrayElement::ACLITEM))], pg_language),
    table!("pg_event_trigger", 3466, &[("oid", DataType::Oid), ("evtname", DataType::Name), ("evtevent", DataType::Name), ("evtowner", DataType::Oid), ("evtfoid", DataType::Oid), ("evtenabled", DataType::InternalChar), ("evttags", DataType::Array(ArrayElement::TEXT))], super::no_rows),
    table!("pg_foreign_table", 3118, &[("ftrelid", DataType::Oid), ("ftserver", DataType::Oid), ("ftoptions", DataType::Array(ArrayElement::TEXT))], super::no_rows),
    // What pg_dump reads and occam has none of (privileges at initdb, text search, foreign data, ...).
    table!("pg_init_privs", 3394, &[("objoid", DataType::Oid), ("classoid", DataType::Oid), ("objsubid", DataType::Int4), ("privtype", DataType::InternalChar), ("initprivs", DataType::Array(ArrayElement::ACLITEM))], super::no_rows),
    table!("pg_transform", 3576, &[("oid", DataType::Oid), ("trftype", DataType::Oid), ("trflang", DataType::Oid), ("trffromsql", DataType::Reg(RegKind::Proc)), ("trftosql", DataType::Reg(RegKind::Proc))], super::no_rows),
    table!("pg_opfamily", 2753, &[("oid", DataType::Oid), ("opfmethod", DataType::Oid), ("opfname", DataType::Name), ("opfnamespace", DataType::Oid), ("opfowner", DataType::Oid)], super::no_rows),
    table!("pg_ts_parser", 3601, &[("oid", DataType::Oid), ("prsname", DataType::Name), ("prsnamespace", DataType::Oid), ("prsstart", DataType::Reg(RegKind::Proc)), ("prstoken", DataType::Reg(RegKind::Proc)), ("prsend", DataType::Reg(RegKind::Proc)), ("prsheadline", DataType::Reg(RegKind::Proc)), ("prslextype", DataType::Reg(RegKind::Proc))], super::no_rows),
    table!("pg_ts_template", 3764, &[("oid", DataType::Oid), ("tmplname", DataType::Name), ("tmplnamespace", DataType::Oid), ("tmplinit", DataType::Reg(RegKind::Proc)), ("tmpllexize", DataType::Reg(RegKind::Proc))], super::no_rows),
    table!("pg_ts_dict", 3600, &[("oid", DataType::Oid), ("dictname", DataType::Name), ("dictnamespace", DataType::Oid), ("dictowner", DataType::Oid), ("dicttemplate", DataType::Oid), ("dictinitoption", DataType::Text)], super::no_rows),
    table!("pg_ts_config", 3602, &[("oid", DataType::Oid), ("cfgname", DataType::Name), ("cfgnamespace", DataType::Oid), ("cfgowner", DataType::Oid), ("cfgparser", DataType::Oid)], super::no_rows),
    table!("pg_foreign_data_wrapper", 2328, &[("oid", DataType::Oid), ("fdwname", DataType::Name), ("fdwowner", DataType::Oid), ("fdwhandler", DataType::Oid), ("fdwvalidator", DataType::Oid), ("fdwacl", DataType::Array(ArrayElement::ACLITEM)), ("fdwoptions", DataType::Array(ArrayElement::TEXT))], super::no_rows),
    table!("pg_foreign_server", 1417, &[("oid", DataType::Oid), ("srvname", DataType::Name), ("srvowner", DataType::Oid), ("srvfdw", DataType::Oid), ("srvtype", DataType::Text), ("srvversion", DataType::Text), ("srvacl", DataType::Array(ArrayElement::ACLITEM)), ("srvoptions", DataType::Array(ArrayElement::TEXT))], super::no_rows),
    table!("pg_default_acl", 826, &[("oid", DataType::Oid), ("defaclrole", DataType::Oid), ("defaclnamespace", DataType::Oid), ("defaclobjtype", DataType::InternalChar), ("defaclacl", DataType::Array(ArrayElement::ACLITEM))], super::no_rows),
    table!("pg_conversion", 2607, &[("oid", DataType::Oid), ("conname", DataType::Name), ("connamespace", DataType::Oid), ("conowner", DataType::Oid), ("conforencoding", DataType::Int4), ("contoencoding", DataType::Int4), ("conproc", DataType::Reg(RegKind::Proc)), ("condefault", DataType::Bool)], super::no_rows),
    table!("pg_partitioned_table", 3350, &[("partrelid", DataType::Oid), ("partstrat", DataType::InternalChar), ("partnatts", DataType::Int2), ("partdefid", DataType::Oid), ("partattrs", DataType::Int2Vector), ("partclass", DataType::OidVector), ("partcollation", DataType::OidVector), ("partexprs", DataType::NodeTree)], super::no_rows),
    table!("pg_subscription", 6100, &[("oid", DataType::Oid), ("subdbid", DataType::Oid), ("subskiplsn", DataType::Text), ("subname", DataType::Name), ("subowner", DataType::Oid), ("subenabled", DataType::Bool), ("subbinary", DataType::Bool), ("substream", DataType::Bool), ("subtwophasestate", DataType::InternalChar), ("subdisableonerr", DataType::Bool), ("subconninfo", DataType::Text), ("subslotname", DataType::Name), ("subsynccommit", DataType::Text), ("subpublications", DataType::Array(ArrayElement::TEXT))], super::no_rows),
    table!("pg_largeobject_metadata", 2995, &[("oid", DataType::Oid), ("lomowner", DataType::Oid), ("lomacl", DataType::Array(ArrayElement::ACLITEM))], super::no_rows),
    table!("pg_amop", 2602, &[("oid", DataType::Oid), ("amopfamily", DataType::Oid), ("amoplefttype", DataType::Oid), ("amoprighttype", DataType::Oid), ("amopstrategy", DataType::Int2), ("amoppurpose", DataType::InternalChar), ("amopopr", DataType::Oid), ("amopmethod", DataType::Oid), ("amopsortfamily", DataType::Oid)], super::no_rows),
    table!("pg_amproc", 2603, &[("oid", DataType::Oid), ("amprocfamily", DataType::Oid), ("amproclefttype", DataType::Oid), ("amprocrighttype", DataType::Oid), ("amprocnum", DataType::Int2), ("amproc", DataType::Reg(RegKind::Proc))], super::no_rows),
    view!("pg_seclabels", 12099, &[("objoid", DataType::Oid), ("classoid", DataType::Oid), ("objsubid", DataType::Int4), ("objtype", DataType::Text), ("objnamespace", DataType::Oid), ("objname", DataType::Text), ("provider", DataType::Text), ("label", DataType::Text)], super::no_rows),
    table!("pg_shseclabel", 3592, &[("objoid", DataType::Oid), ("classoid", DataType::Oid), ("provider", DataType::Text), ("label", DataType::Text)], super::no_rows),
    table!("pg_db_role_setting", 2964, &[("setdatabase", DataType::Oid), ("setrole", DataType::Oid), ("setconfig", DataType::Array(ArrayElement::TEXT))], pg_db_role_setting),
    table!("pg_parameter_acl", 6243, &[("oid", DataType::Oid), ("parname", DataType::Text), ("paracl", DataType::Array(ArrayElement::ACLITEM))], super::no_rows),
    view!("pg_roles", 12000, &[("rolname", DataType::Name), ("rolsuper", DataType::Bool), ("rolinherit", DataType::Bool), ("rolcreaterole", DataType::Bool), ("rolcreatedb", DataType::Bool), ("rolcanlogin", DataType::Bool), ("rolreplication", DataType::Bool), ("rolconnlimit", DataType::Int4), ("rolpassword", DataType::Text), ("rolvaliduntil", DataType::Timestamptz), ("rolbypassrls", DataType::Bool), ("rolconfig", DataType::Array(ArrayElement::TEXT)), ("oid", DataType::Oid)], pg_roles),
    view!("pg_user", 12014, &[("usename", DataType::Name), ("usesysid", DataType::Oid), ("usecreatedb", DataType::Bool), ("usesuper", DataType::Bool), ("userepl", DataType::Bool), ("usebypassrls", DataType::Bool), ("passwd", DataType::Text), ("valuntil", DataType::Timestamptz), ("useconfig", DataType::Array(ArrayElement::TEXT))], pg_user),
    view!("pg_settings", 12104, &[("name", DataType::Text), ("setting", DataType::Text), ("unit", DataType::Text), ("category", DataType::Text), ("short_desc", DataType::Text), ("extra_desc", DataType::Text), ("context", DataType::Text), ("vartype", DataType::Text), ("source", DataType::Text), ("min_val", DataType::Text), ("max_val", DataType::Text), ("enumvals", DataType::Array(ArrayElement::TEXT)), ("boot_val", DataType::Text), ("reset_val", DataType::Text), ("sourcefile", DataType::Text), ("sourceline", DataType::Int4), ("pending_restart", DataType::Bool)], pg_settings),
    view!("pg_indexes", 12043, &[("schemaname", DataType::Name), ("tablename", DataType::Name), ("indexname", DataType::Name), ("tablespace", DataType::Name), ("indexdef", DataType::Text)], pg_indexes),
    view!("pg_tables", 12033, &[("schemaname", DataType::Name), ("tablename", DataType::Name), ("tableowner", DataType::Name), ("tablespace", DataType::Name), ("hasindexes", DataType::Bool), ("hasrules", DataType::Bool), ("hastriggers", DataType::Bool), ("rowsecurity", DataType::Bool)], pg_tables),
    view!("pg_views", 12028, &[("schemaname", DataType::Name), ("viewname", DataType::Name), ("viewowner", DataType::Name), ("definition", DataType::Text)], pg_views),
    view!("pg_matviews", 12038, &[("schemaname", DataType::Name), ("matviewname", DataType::Name), ("matviewowner", DataType::Name), ("tablespace", DataType::Name), ("hasindexes", DataType::Bool), ("ispopulated", DataType::Bool), ("definition", DataType::Text)], pg_matviews),
    view!("pg_sequences", 12048, &[("schemaname", DataType::Name), ("sequencename", DataType::Name), ("sequenceowner", DataType::Name), ("data_type", DataType::Reg(RegKind::Type)), ("start_value", DataType::Int8), ("min_value", DataType::Int8), ("max_value", DataType::Int8), ("increment_by", DataType::Int8), ("cycle", DataType::Bool), ("cache_size", DataType::Int8), ("last_value", DataType::Int8)], super::sequences::pg_sequences),
    view!("pg_stat_activity", 12222, &[("datid", DataType::Oid), ("datname", DataType::Name), ("pid", DataType::Int4), ("leader_pid", DataType::Int4), ("usesysid", DataType::Oid), ("usename", DataType::Name), ("application_name", DataType::Text), ("client_addr", DataType::Text), ("client_hostname", DataType::Text), ("client_port", DataType::Int4), ("backend_start", DataType::Timestamptz), ("xact_start", DataType::Timestamptz), ("query_start", DataType::Timestamptz), ("state_change", DataType::Timestamptz), ("wait_event_type", DataType::Text), ("wait_event", DataType::Text), ("state", DataType::Text), ("backend_xid", DataType::Oid), ("backend_xmin", DataType::Oid), ("query_id", DataType::Int8), ("query", DataType::Text), ("backend_type", DataType::Text)], pg_stat_activity),
    view!("pg_stat_user_tables", 12161, &[("relid", DataType::Oid), ("schemaname", DataType::Name), ("relname", DataType::Name), ("seq_scan", DataType::Int8), ("seq_tup_read", DataType::Int8), ("idx_scan", DataType::Int8), ("idx_tup_fetch", DataType::Int8), ("n_tup_ins", DataType::Int8), ("n_tup_upd", DataType::Int8), ("n_tup_del", DataType::Int8), ("n_tup_hot_upd", DataType::Int8), ("n_live_tup", DataType::Int8), ("n_dead_tup", DataType::Int8), ("n_mod_since_analyze", DataType::Int8), ("n_ins_since_vacuum", DataType::Int8), ("last_vacuum", DataType::Timestamptz), ("last_autovacuum", DataType::Timestamptz), ("last_analyze", DataType::Timestamptz), ("last_autoanalyze", DataType::Timestamptz), ("vacuum_count", DataType::Int8), ("autovacuum_count", DataType::Int8), ("analyze_count", DataType::Int8), ("autoanalyze_count", DataType::Int8)], pg_stat_user_tables),
    view!("pg_policies", 12018, &[("schemaname", DataType::Name), ("tablename", DataType::Name), ("policyname", DataType::Name), ("permissive", DataType::Text), ("roles", DataType::Array(ArrayElement::NAME)), ("cmd", DataType::Text), ("qual", DataType::Text), ("with_check", DataType::Text)], super::no_rows),
    view!("pg_stat_user_indexes", 12192, &[("relid", DataType::Oid), ("indexrelid", DataType::Oid), ("schemaname", DataType::Name), ("relname", DataType::Name), ("indexrelname", DataType::Name), ("idx_scan", DataType::Int8), ("idx_tup_read", DataType::Int8), ("idx_tup_fetch", DataType::Int8)], pg_stat_user_indexes),
    view!("pg_stats", 12053, &[("schemaname", DataType::Name), ("tablename", DataType::Name), ("attname", DataType::Name), ("inherited", DataType::Bool), ("null_frac", DataType::Float4), ("avg_width", DataType::Int4), ("n_distinct", DataType::Float4), ("most_common_vals", DataType::Text), ("most_common_freqs", DataType::Array(ArrayElement::FLOAT4)), ("histogram_bounds", DataType::Text), ("correlation", DataType::Float4), ("most_common_elems", DataType::Text), ("most_common_elem_freqs", DataType::Array(ArrayElement::FLOAT4)), ("elem_count_histogram", DataType::Array(ArrayElement::FLOAT4))], pg_stats),
    view!("pg_locks", 12073, &[("locktype", DataType::Text), ("database", DataType::Oid), ("relation", DataType::Oid), ("page", DataType::Int4), ("tuple", DataType::Int2), ("virtualxid", DataType::Text), ("transactionid", DataType::Oid), ("classid", DataType::Oid), ("objid", DataType::Oid), ("objsubid", DataType::Int2), ("virtualtransaction", DataType::Text), ("pid", DataType::Int4), ("mode", DataType::Text), ("granted", DataType::Bool), ("fastpath", DataType::Bool), ("waitstart", DataType::Timestamptz)], super::no_rows),
];

/// The views and materialized views, with their definitions' ids and what they read: one `_RETURN` rule
/// each in `pg_rewrite`.
fn stored_queries(catalog: &crate::catalog::Catalog) -> Vec<(u32, &crate::catalog::views::View)> {
    let mut queries: Vec<(u32, &crate::catalog::views::View)> = catalog.views().map(|v| (v.id, &**v)).collect();
    for table in rows::tables(catalog) {
        if let Some(definition) = catalog.materialized_definition(table) {
            queries.push((table.id, &**definition));
        }
    }
    queries.sort_by_key(|(id, _)| *id);
    queries
}

/// Each view's and materialized view's `_RETURN` rule (what pg_dump reads to order a view after what it
/// reads, through `pg_depend`).
fn pg_rewrite(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(stored_queries(ctx.catalog())
        .into_iter()
        .map(|(id, _)| {
            ctx.row()
                .set("oid", oids::rewrite_rule(id))
                .set("rulename", "_RETURN")
                .set("ev_class", oids::table(id))
                .set("ev_type", "1")
                .set("ev_enabled", "O")
                .set("is_instead", true)
                .set("ev_qual", "<>")
                .finish()
        })
        .collect())
}

/// The dependencies pg_dump orders its output by: a sequence owned by a column (`a`, `i` for an identity
/// column's), a view's `_RETURN` rule on its view (`i`) and on the relations its query reads (`n`).
fn pg_depend(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    let class = oids::PG_CLASS_RELATION;
    // `classid`'s object `objid` depends on `refclassid`'s object `refobjid` (column `refobjsubid`).
    let dependency = |classid: u32, objid: u32, refclassid: u32, refobjid: u32, refobjsubid: i16, deptype: &str| {
        ctx.row()
            .set("classid", classid)
            .set("objid", objid)
            .set("objsubid", 0i64)
            .set("refclassid", refclassid)
            .set("refobjid", refobjid)
            .set("refobjsubid", refobjsubid as i64)
            .set("deptype", deptype)
            .finish()
    };
    // The `sys` schema and its relations are members of the built-in extension `occam_sys` (`e`).
    let (extension_class, extension) = (oids::PG_EXTENSION_RELATION, oids::SYS_EXTENSION);
    let mut out =
        vec![dependency(oids::PG_NAMESPACE_RELATION, oids::SYS_NAMESPACE, extension_class, extension, 0, "e")];
    for relation in super::relations(catalog).filter(|r| r.schema == Schema::Sys) {
        out.push(dependency(class, relation.oid, extension_class, extension, 0, "e"));
    }
    for sequence in rows::sequences(catalog) {
        let Some((table_id, column)) = sequence.owned_by else { continue };
        let Some(table) = catalog.tables().find(|t| t.id == table_id) else { continue };
        let Some(attnum) = table.attnum(column) else { continue };
        let deptype = if table.columns[column].identity.is_some() { "i" } else { "a" };
        out.push(dependency(class, oids::table(sequence.id), class, oids::table(table_id), attnum, deptype));
    }
    // A column default calling nextval on a sequence depends on it (pg_dump then sets a serial column's
    // default after creating the sequence it owns).
    let sequences = rows::sequences(catalog);
    for table in rows::tables(catalog) {
        for attribute in rows::table_attributes(table) {
            let Some(default) = attribute.column.and_then(|c| c.default_sql.as_deref()) else { continue };
            for sequence in sequences.iter().filter(|s| default.contains(&format!("'{}'", s.regclass_text()))) {
                let attrdef = oids::column_default(table.id, attribute.attnum);
                out.push(dependency(oids::PG_ATTRDEF_RELATION, attrdef, class, oids::table(sequence.id), 0, "n"));
            }
        }
    }
    for (id, query) in stored_queries(catalog) {
        let rule = oids::rewrite_rule(id);
        out.push(dependency(oids::PG_REWRITE_RELATION, rule, class, oids::table(id), 0, "i"));
        for &read in &query.depends_on {
            out.push(dependency(oids::PG_REWRITE_RELATION, rule, class, oids::table(read), 0, "n"));
        }
    }
    Ok(out)
}

/// One built-in extension, `occam_sys`: the `sys` schema and its relations (as PostgreSQL's plpgsql is
/// one). pg_dump dumps neither a built-in extension nor its members, so a dump holds the user's schemas only.
fn pg_extension(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(vec![ctx
        .row()
        .set("oid", oids::SYS_EXTENSION)
        .set("extname", "occam_sys")
        .set("extowner", crate::roles::ADMIN_ROLE_OID)
        .set("extnamespace", oids::SYS_NAMESPACE)
        .set("extrelocatable", false)
        .set("extversion", "1.0")
        .finish()])
}

/// `pg_catalog`, `public`, `information_schema`, `sys` and the user's schemas.
fn pg_namespace(ctx: &SystemContext) -> Result<Vec<Row>> {
    let admin = crate::roles::ADMIN_ROLE_OID;
    let mut schemas =
        vec![(oids::PG_CATALOG_NAMESPACE, "pg_catalog", admin), (oids::PUBLIC_NAMESPACE, "public", admin)];
    schemas.extend([Schema::InformationSchema, Schema::Sys].map(|s| (s.oid(), s.name(), admin)));
    for schema in ctx.catalog().schemas.values() {
        let owner = ctx.catalog().roles.oid(&schema.owner).unwrap_or(admin);
        schemas.push((oids::table(schema.id), schema.name.as_str(), owner));
    }
    schemas.sort();
    Ok(schemas
        .into_iter()
        .map(|(oid, name, owner)| {
            ctx.row()
                .set("oid", oid)
                .set("nspname", name)
                .set("nspowner", owner)
                .set("nspacl", schema_acl(ctx, name))
                .finish()
        })
        .collect())
}

/// One privilege's letter in an `aclitem` (`r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `U` USAGE,
/// `C` CREATE).
fn privilege_letter(privilege: Privilege) -> char {
    match privilege {
        Privilege::Select => 'r',
        Privilege::Insert => 'a',
        Privilege::Update => 'w',
        Privilege::Delete => 'd',
        Privilege::Usage => 'U',
        Privilege::Create => 'C',
    }
}

/// An `aclitem[]` from an owner's full privileges and the grants: NULL when nothing was granted (PostgreSQL's
/// "default privileges"), else `{owner=arwdDxt/owner,grantee=r/owner}`. occam does not record grantors; the
/// owner is shown as the grantor.
fn acl(owner: &str, owner_privileges: &str, grants: Vec<(String, Vec<Privilege>)>) -> Value {
    if grants.is_empty() {
        return Value::Null;
    }
    let mut items = vec![Value::Text(format!("{owner}={owner_privileges}/{owner}"))];
    for (grantee, privileges) in grants {
        let grantee = if grantee == crate::roles::PUBLIC_ROLE { String::new() } else { grantee };
        let letters: String = privileges.into_iter().map(privilege_letter).collect();
        items.push(Value::Text(format!("{grantee}={letters}/{owner}")));
    }
    Value::Array(items)
}

fn table_acl(ctx: &SystemContext, class: &Class) -> Value {
    let Some(id) = class.owner_id() else { return Value::Null };
    let catalog = ctx.catalog();
    let owner = catalog.roles.table_owner(id).unwrap_or(crate::roles::ADMIN_ROLE);
    acl(owner, "arwdDxt", catalog.roles.table_grants(id))
}

/// A schema's `nspacl`. Every role may use `public` (PostgreSQL 15's `=U` there, which occam's privilege
/// checks grant implicitly), so its ACL always shows that grant.
fn schema_acl(ctx: &SystemContext, schema: &str) -> Value {
    let mut grants = ctx.catalog().roles.schema_grants(schema);
    if schema == crate::catalog::PUBLIC_SCHEMA {
        match grants.iter_mut().find(|(grantee, _)| grantee == crate::roles::PUBLIC_ROLE) {
            Some((_, privileges)) if !privileges.contains(&Privilege::Usage) => privileges.insert(0, Privilege::Usage),
            Some(_) => {}
            None => grants.insert(0, (crate::roles::PUBLIC_ROLE.to_string(), vec![Privilege::Usage])),
        }
    }
    acl(crate::roles::ADMIN_ROLE, "UC", grants)
}

/// `reltuples`: the table's row estimate (the last ANALYZE plus the changes since), -1 when nothing is
/// known, as PostgreSQL 14+ shows a never-analyzed table; an index has its table's estimate, 0 when
/// unknown (PostgreSQL counts an index's entries when it builds it).
fn row_estimate(ctx: &SystemContext, class: &Class) -> f64 {
    let estimate = class.table().and_then(|table| ctx.database().and_then(|db| db.estimated_row_count(table.id)));
    match (class, estimate) {
        (_, Some(rows)) => rows.round(),
        (Class::PrimaryKey(_) | Class::Index(..), None) => 0.0,
        (_, None) => -1.0,
    }
}

fn pg_class(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    Ok(rows::classes(catalog)
        .iter()
        .map(|class| {
            let relam = match class {
                Class::Table(_) => oids::HEAP_AM,
                Class::PrimaryKey(_) | Class::Index(..) => oids::BTREE_AM,
                Class::System(relation) if relation.kind == RelationKind::Table => oids::HEAP_AM,
                Class::View(_) | Class::System(_) | Class::Sequence(_) => 0,
            };
            let has_index = match class {
                Class::Table(table) => !table.has_hidden_key() || !table.indexes.is_empty(),
                _ => false,
            };
            // PostgreSQL counts a table's CHECK constraints, and enforces foreign keys (either side) with
            // triggers: psql shows those sections only when these say so.
            let (checks, has_triggers) = match class {
                Class::Table(table) => {
                    (table.checks.len() as i16, !table.foreign_keys.is_empty() || !table.referenced_by.is_empty())
                }
                _ => (0, false),
            };
            let storage = !matches!(class, Class::View(_))
                && !matches!(class, Class::System(relation) if relation.kind == RelationKind::View);
            ctx.row()
                .set("oid", class.oid())
                .set("relname", class.name())
                .set("relnamespace", class.namespace(ctx.catalog()))
                .set("relowner", owner_oid(catalog, class))
                .set("relam", relam)
                .set("relfilenode", if storage { class.oid() } else { 0 })
                .set("reltuples", row_estimate(ctx, class))
                .set("relhasindex", has_index)
                .set(
                    "relpersistence",
                    if crate::catalog::schemas::is_temporary(class.schema_name()) { "t" } else { "p" },
                )
                .set("relkind", class.relkind())
                .set("relnatts", class.attributes().len() as i16)
                .set("relchecks", checks)
                .set("relhastriggers", has_triggers)
                .set("relispopulated", !matches!(class, Class::Table(table) if !table.populated))
                .set("relreplident", if matches!(class, Class::Table(_)) { "d" } else { "n" })
                .set("relacl", table_acl(ctx, class))
                .set("reloptions", relation_options(class))
                .finish()
        })
        .collect())
}

/// `reloptions`: a view's `check_option=local|cascaded`, as PostgreSQL stores it; NULL for the rest.
fn relation_options(class: &Class) -> Value {
    match class {
        Class::View(view) => match view.check_option {
            Some(option) => Value::Array(vec![Value::Text(format!("check_option={}", option.name()))]),
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

/// `attstorage` / `attalign` / `attbyval` as PostgreSQL sets them for a column of `data_type`.
fn storage_of(data_type: &DataType) -> (&'static str, &'static str, bool) {
    let length = data_type.type_size();
    let align = match (length, data_type) {
        (_, DataType::Name | DataType::Uuid) => "c",
        (1, _) => "c",
        (2, _) => "s",
        (8, _) | (_, DataType::Interval) => "d",
        (_, DataType::Array(element)) if matches!(element.data_type().type_size(), 8 | 16) => "d",
        _ => "i",
    };
    let storage = match data_type {
        DataType::Numeric(_) => "m",
        _ if length == -1 && !matches!(data_type, DataType::Int2Vector | DataType::OidVector) => "x",
        _ => "p",
    };
    (storage, align, matches!(length, 1 | 2 | 4 | 8))
}

/// The collation of a column of `data_type`: `default` for the string types (and arrays of them), `C`
/// for `name`.
fn collation_of(data_type: &DataType) -> u32 {
    match data_type {
        DataType::Name => oids::C_COLLATION,
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::NodeTree => oids::DEFAULT_COLLATION,
        DataType::Array(element) => collation_of(&element.data_type()),
        _ => 0,
    }
}

fn pg_attribute(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for class in rows::classes(ctx.catalog()) {
        let is_table = matches!(class, Class::Table(_));
        for attribute in class.attributes() {
            let data_type = attribute.data_type;
            let (storage, align, by_value) = storage_of(&data_type);
            let has_default = is_table && attribute.column.is_some_and(|c| c.default_sql.is_some());
            out.push(
                ctx.row()
                    .set("attrelid", class.oid())
                    .set("attname", attribute.name)
                    .set("atttypid", data_type.oid())
                    .set("attstattarget", -1)
                    .set("attlen", data_type.type_size())
                    .set("attnum", attribute.attnum)
                    .set(
                        "attndims",
                        if data_type.is_array() && !matches!(data_type, DataType::Int2Vector | DataType::OidVector) {
                            1
                        } else {
                            0
                        },
                    )
                    .set("attcacheoff", -1)
                    .set("atttypmod", data_type.typmod())
                    .set("attbyval", by_value)
                    .set("attalign", align)
                    .set("attstorage", storage)
                    .set("attcompression", "")
                    .set("attnotnull", attribute.not_null)
                    .set("atthasdef", has_default)
                    .set("attidentity", if is_table { super::sequences::attidentity(attribute.column) } else { "" })
                    .set("attgenerated", "")
                    .set("attislocal", true)
                    .set("attcollation", collation_of(&data_type))
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// A `pg_type` row for each built-in type and its array type, and for the pseudo-types functions use.
fn pg_type(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut types: Vec<DataType> = Vec::new();
    for data_type in DataType::BUILTINS {
        types.push(*data_type);
        types.extend(data_type.array_of());
    }
    types.sort_by_key(DataType::oid);
    types.dedup_by_key(|t| t.oid());
    let mut out: Vec<(u32, Row)> = types
        .iter()
        .map(|data_type| {
            let (storage, align, by_value) = storage_of(data_type);
            let is_array = matches!(data_type, DataType::Array(_));
            let element = match data_type {
                DataType::Name => DataType::InternalChar.oid(),
                other => other.element().map_or(0, |e| e.oid()),
            };
            let row = ctx
                .row()
                .set("oid", data_type.oid())
                .set("typname", data_type.internal_name())
                .set("typnamespace", oids::PG_CATALOG_NAMESPACE)
                .set("typowner", crate::roles::ADMIN_ROLE_OID)
                .set("typlen", data_type.type_size())
                .set("typbyval", by_value)
                .set("typtype", if *data_type == DataType::Unknown { "p" } else { "b" })
                .set("typcategory", data_type.category().to_string())
                .set(
                    "typispreferred",
                    matches!(
                        data_type,
                        DataType::Bool
                            | DataType::Text
                            | DataType::Oid
                            | DataType::Float8
                            | DataType::Timestamptz
                            | DataType::Interval
                    ),
                )
                .set("typisdefined", true)
                .set("typdelim", ",")
                .set("typelem", element)
                .set("typarray", data_type.array_oid().unwrap_or(0))
                .set(
                    "typalign",
                    match data_type {
                        DataType::Unknown => "c",
                        _ if is_array && align != "d" => "i",
                        _ => align,
                    },
                )
                .set("typstorage", storage)
                .set("typtypmod", -1)
                .set("typcollation", collation_of(data_type))
                .finish();
            (data_type.oid(), row)
        })
        .collect();
    for (oid, name) in PSEUDO_TYPES {
        let row = ctx
            .row()
            .set("oid", *oid)
            .set("typname", name.trim_matches('"'))
            .set("typnamespace", oids::PG_CATALOG_NAMESPACE)
            .set("typowner", crate::roles::ADMIN_ROLE_OID)
            .set("typlen", if *oid == 2249 || *oid == 2277 { -1i16 } else { 4 })
            .set("typtype", "p")
            .set("typcategory", "P")
            .set("typisdefined", true)
            .set("typdelim", ",")
            .set("typalign", "i")
            .set("typstorage", "p")
            .set("typtypmod", -1)
            .finish();
        out.push((*oid, row));
    }
    out.sort_by_key(|(oid, _)| *oid);
    Ok(out.into_iter().map(|(_, row)| row).collect())
}

/// `indoption` bits: 1 = DESC, 2 = NULLS FIRST (PostgreSQL's INDOPTION_DESC / INDOPTION_NULLS_FIRST).
fn index_option(descending: bool, nulls_first: Option<bool>) -> i64 {
    let nulls_first = nulls_first.unwrap_or(descending);
    (descending as i64) | ((nulls_first as i64) << 1)
}

/// PostgreSQL 15's default B-tree operator classes of the types an index key can have: (oid, name, input
/// type oid, family oid), as `pg_opclass` holds them (varchar keys use `text_ops`, as in PG).
const BTREE_OPCLASSES: &[(u32, &str, u32, u32)] = &[
    (1978, "int4_ops", 23, 1976),
    (1979, "int2_ops", 21, 1976),
    (1981, "oid_ops", 26, 1989),
    (3122, "date_ops", 1082, 434),
    (3123, "float8_ops", 701, 1970),
    (3124, "int8_ops", 20, 1976),
    (3125, "numeric_ops", 1700, 1988),
    (3126, "text_ops", 25, 1994),
    (3127, "timestamptz_ops", 1184, 434),
    (3128, "timestamp_ops", 1114, 434),
    (10000, "array_ops", 2277, 397),
    (10003, "bool_ops", 16, 424),
    (10004, "bpchar_ops", 1042, 426),
    (10006, "bytea_ops", 17, 428),
    (10007, "char_ops", 18, 429),
    (10012, "float4_ops", 700, 1970),
    (10022, "interval_ops", 1186, 1982),
    (10028, "name_ops", 19, 1994),
    (10038, "time_ops", 1083, 1996),
    (10041, "timetz_ops", 1266, 2000),
    (10065, "uuid_ops", 2950, 2968),
    (10088, "jsonb_ops", 3802, 4033),
];

/// The default B-tree operator class of a key of type `data_type` (`pg_index.indclass`).
fn default_btree_opclass(data_type: &DataType) -> Option<u32> {
    let type_oid = match data_type {
        DataType::Array(_) => 2277,
        DataType::Varchar(_) => 25,
        other => other.oid(),
    };
    BTREE_OPCLASSES.iter().find(|(_, _, input, _)| *input == type_oid).map(|(oid, ..)| *oid)
}

fn pg_opclass(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(BTREE_OPCLASSES
        .iter()
        .map(|&(oid, name, input, family)| {
            ctx.row()
                .set("oid", oid)
                .set("opcmethod", oids::BTREE_AM)
                .set("opcname", name)
                .set("opcnamespace", oids::PG_CATALOG_NAMESPACE)
                .set("opcowner", crate::roles::ADMIN_ROLE_OID)
                .set("opcfamily", family)
                .set("opcintype", input)
                .set("opcdefault", true)
                // name_ops stores its keys as cstring, as PG.
                .set("opckeytype", if name == "name_ops" { 2275u32 } else { 0 })
                .finish()
        })
        .collect())
}

fn pg_index(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for class in rows::classes(ctx.catalog()) {
        let (Some(table), Some((columns, key_count))) = (class.table(), class.index_columns()) else { continue };
        let key = &columns[..key_count];
        let predicate = match &class {
            Class::Index(_, index) => index.predicate_sql.clone(),
            _ => None,
        };
        // PostgreSQL stores a node tree; occam the expressions' SQL (NULL when there are none, as PG).
        let expressions: Vec<&str> = key
            .iter()
            .filter_map(|c| match &c.key {
                crate::catalog::IndexKey::Expression(expression) => Some(expression.sql.as_str()),
                crate::catalog::IndexKey::Column(_) => None,
            })
            .collect();
        let expressions = (!expressions.is_empty()).then(|| expressions.join(", "));
        out.push(
            ctx.row()
                .set("indexrelid", class.oid())
                .set("indrelid", oids::table(table.id))
                .set("indnatts", columns.len() as i16)
                .set("indnkeyatts", key_count as i16)
                .set("indisunique", class.is_unique_index())
                .set("indnullsnotdistinct", matches!(&class, Class::Index(_, index) if index.nulls_not_distinct))
                .set("indisprimary", matches!(class, Class::PrimaryKey(_)))
                .set("indimmediate", true)
                .set("indisvalid", class.is_valid_index())
                .set("indisready", true)
                .set("indislive", true)
                .set(
                    "indkey",
                    int_array(
                        columns
                            .iter()
                            .map(|c| c.table_column().and_then(|c| rows::attnum(table, c)).unwrap_or(0) as i64),
                    ),
                )
                .set("indcollation", int_array(key.iter().map(|c| collation_of(&c.data_type(table)) as i64)))
                .set(
                    "indclass",
                    int_array(key.iter().map(|c| default_btree_opclass(&c.data_type(table)).unwrap_or(0) as i64)),
                )
                .set("indoption", int_array(key.iter().map(|c| index_option(c.descending, c.nulls_first))))
                .set("indexprs", expressions.map(Value::Text))
                .set("indpred", predicate.map(Value::Text))
                .finish(),
        );
    }
    Ok(out)
}

/// A table's primary key (`p`), UNIQUE (`u`) and CHECK (`c`) constraints. `conbin` of a CHECK holds its
/// expression as occam's SQL (as `adbin` does), so `pg_get_expr(conbin, conrelid)` prints it.
fn pg_constraint(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for table in rows::tables(ctx.catalog()) {
        let attnums =
            |columns: Vec<usize>| int_array(columns.into_iter().map(|c| rows::attnum(table, c).unwrap_or(0) as i64));
        let constraint = |oid: u32, name: &str, kind: &str| {
            ctx.row()
                .set("condeferrable", false)
                .set("condeferred", false)
                .set("confrelid", 0u32)
                .set("contypid", 0u32)
                .set("conparentid", 0u32)
                .set("coninhcount", 0)
                .set("oid", oid)
                .set("conname", name.to_string())
                .set("connamespace", names::namespace_oid(ctx.catalog(), &table.schema).unwrap_or(0))
                .set("contype", kind.to_string())
                .set("conrelid", oids::table(table.id))
                .set("confupdtype", " ")
                .set("confdeltype", " ")
                .set("confmatchtype", " ")
                .set("conislocal", true)
        };
        if !table.has_hidden_key() {
            out.push(
                constraint(oids::primary_key_constraint(table.id), &table.primary_key_name(), "p")
                    .set("convalidated", true)
                    .set("conindid", oids::primary_key_index(table.id))
                    .set("connoinherit", true)
                    .set("conkey", attnums(table.primary_key.clone()))
                    .finish(),
            );
        }
        for index in table.indexes.iter().filter(|i| i.constraint) {
            out.push(
                constraint(oids::unique_constraint(index.id), &index.name, "u")
                    .set("convalidated", true)
                    .set("conindid", oids::secondary_index(index.id))
                    .set("connoinherit", true)
                    .set("conkey", attnums(index.key_table_columns().unwrap_or_default()))
                    .finish(),
            );
        }
        for (position, check) in table.checks.iter().enumerate() {
            let mut used = Vec::new();
            check.expr.mark_columns(&mut used);
            out.push(
                constraint(oids::check_constraint(table.id, position), &check.name, "c")
                    .set("convalidated", check.validated)
                    .set("conindid", 0u32)
                    .set("connoinherit", false)
                    .set("conkey", attnums((0..used.len()).filter(|&c| used[c]).collect()))
                    .set("conbin", Value::Text(check.sql.clone()))
                    .finish(),
            );
        }
        for (position, key) in table.foreign_keys.iter().enumerate() {
            let Some(parent) = ctx.catalog().table_by_id(key.parent_id) else { continue };
            // The parent's index that makes the referenced columns unique.
            let same_set = |columns: &[usize]| {
                columns.len() == key.parent_columns.len() && columns.iter().all(|c| key.parent_columns.contains(c))
            };
            let index = if !parent.has_hidden_key() && same_set(&parent.primary_key) {
                oids::primary_key_index(parent.id)
            } else {
                parent
                    .indexes
                    .iter()
                    .find(|i| i.unique && i.key_table_columns().is_some_and(|columns| same_set(&columns)))
                    .map_or(0, |i| oids::secondary_index(i.id))
            };
            let parent_attnums = key.parent_columns.iter().map(|&c| rows::attnum(parent, c).unwrap_or(0) as i64);
            out.push(
                constraint(oids::foreign_key(table.id, position), &key.name, "f")
                    .set("condeferrable", key.deferrable)
                    .set("condeferred", key.initially_deferred)
                    .set("convalidated", key.validated)
                    .set("conindid", index)
                    .set("confrelid", oids::table(parent.id))
                    .set("confupdtype", key.on_update.code())
                    .set("confdeltype", key.on_delete.code())
                    .set("confmatchtype", if key.match_full { "f" } else { "s" })
                    .set("connoinherit", true)
                    .set("conkey", attnums(key.columns.clone()))
                    .set("confkey", int_array(parent_attnums))
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// Column defaults. `adbin` holds the default as occam's SQL cast to the column's type (PostgreSQL stores
/// a node tree); `pg_get_expr(adbin, adrelid)` prints it as PostgreSQL would.
fn pg_attrdef(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for table in rows::tables(ctx.catalog()) {
        for attribute in rows::table_attributes(table) {
            let Some(column) = attribute.column else { continue };
            let Some(default) = &column.default_sql else { continue };
            out.push(
                ctx.row()
                    .set("oid", oids::column_default(table.id, attribute.attnum))
                    .set("adrelid", oids::table(table.id))
                    .set("adnum", attribute.attnum)
                    .set("adbin", super::deparse::default_node_tree(default, &column.data_type))
                    .finish(),
            );
        }
    }
    Ok(out)
}

/// `heap` for tables and `btree` (Aurora DSQL: `btree_index`) for indexes.
fn pg_am(ctx: &SystemContext) -> Result<Vec<Row>> {
    let index_am = ctx.catalog().system.index_access_method;
    Ok(vec![
        ctx.row().set("oid", oids::HEAP_AM).set("amname", "heap").set("amtype", "t").finish(),
        ctx.row().set("oid", oids::BTREE_AM).set("amname", index_am).set("amtype", "i").finish(),
    ])
}

fn pg_proc(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut rows = builtin_procs(ctx);
    rows.extend(user_functions(ctx.catalog()).into_iter().map(|f| user_proc(ctx, f)));
    Ok(rows)
}

/// The SQL functions of the catalog, by name and then oid (as `\df` would sort them anyway).
pub(super) fn user_functions(catalog: &crate::catalog::Catalog) -> Vec<&crate::catalog::functions::SqlFunction> {
    let mut functions: Vec<_> = catalog.functions.values().flatten().map(|f| f.as_ref()).collect();
    functions.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    functions
}

/// A SQL function's `pg_proc` row, as PostgreSQL 15 has it for `CREATE FUNCTION ... LANGUAGE sql`.
fn user_proc(ctx: &SystemContext, function: &crate::catalog::functions::SqlFunction) -> Row {
    use crate::sql::ast::FunctionReturns;
    let in_types = function.params.iter().map(|(_, t)| t.oid() as i64);
    let (result, set, out): (u32, bool, &[(String, DataType)]) = match &function.returns {
        FunctionReturns::Scalar(data_type) => (data_type.oid(), false, &[]),
        FunctionReturns::SetOf(data_type) => (data_type.oid(), true, &[]),
        // occam's tables have no row types in pg_type: `record` stands for it.
        FunctionReturns::SetOfTable(_) => (oids::RECORD_TYPE, true, &[]),
        FunctionReturns::Table(columns) => (oids::RECORD_TYPE, true, columns),
    };
    let named = function.params.iter().any(|(name, _)| name.is_some()) || !out.is_empty();
    let names = named.then(|| {
        let inputs = function.params.iter().map(|(name, _)| Value::Text(name.clone().unwrap_or_default()));
        Value::Array(inputs.chain(out.iter().map(|(name, _)| Value::Text(name.clone()))).collect())
    });
    let (all_types, modes) = if out.is_empty() {
        (None, None)
    } else {
        let all = in_types.clone().chain(out.iter().map(|(_, t)| t.oid() as i64));
        let modes = function.params.iter().map(|_| "i").chain(out.iter().map(|_| "t"));
        (Some(int_array(all)), Some(Value::Array(modes.map(|m| Value::Text(m.to_string())).collect())))
    };
    ctx.row()
        .set("oid", oids::function(function.id))
        .set("proname", function.name.as_str())
        .set("pronamespace", oids::PUBLIC_NAMESPACE)
        .set("proowner", crate::roles::ADMIN_ROLE_OID)
        .set("prolang", oids::SQL_LANGUAGE)
        .set("procost", 100.0)
        .set("prorows", if set { 1000.0 } else { 0.0 })
        .set("provariadic", 0u32)
        .set("prokind", "f")
        .set("prosecdef", false)
        .set("proleakproof", false)
        .set("proisstrict", function.strict)
        .set("proretset", set)
        .set("provolatile", function.volatility.to_string())
        .set("proparallel", "u")
        .set("pronargs", function.params.len() as i16)
        .set("pronargdefaults", 0i16)
        .set("prorettype", result)
        .set("proargtypes", int_array(in_types))
        .set("proallargtypes", all_types)
        .set("proargmodes", modes)
        .set("proargnames", names)
        // A SQL-standard body is kept parsed by PostgreSQL (`pg_get_function_sqlbody`), its prosrc empty.
        .set("prosrc", if function.sql_standard { "" } else { function.source.as_str() })
        .finish()
}

/// The built-in functions' `pg_proc` rows.
fn builtin_procs(ctx: &SystemContext) -> Vec<Row> {
    super::builtin_functions::FUNCTIONS
        .iter()
        .map(|f| {
            ctx.row()
                .set("oid", f.oid)
                .set("proname", f.name)
                .set("pronamespace", oids::PG_CATALOG_NAMESPACE)
                .set("proowner", crate::roles::ADMIN_ROLE_OID)
                .set("prolang", oids::INTERNAL_LANGUAGE)
                .set("procost", 1.0)
                .set("prorows", if f.returns_set { 1000.0 } else { 0.0 })
                .set("provariadic", f.variadic)
                .set("prokind", f.kind.to_string())
                .set("proisstrict", true)
                .set("proretset", f.returns_set)
                .set("provolatile", "s")
                .set("proparallel", "s")
                .set("pronargs", f.args.len() as i16)
                .set("prorettype", f.result)
                .set("proargtypes", int_array(f.args.iter().map(|a| *a as i64)))
                .set("prosrc", f.name)
                .finish()
        })
        .collect()
}

/// The one database, `postgres` (PostgreSQL mode only).
fn pg_database(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(vec![ctx
        .row()
        .set("oid", oids::POSTGRES_DATABASE)
        .set("datname", "postgres")
        .set("datdba", crate::roles::ADMIN_ROLE_OID)
        .set("encoding", 6)
        .set("datlocprovider", "c")
        .set("datallowconn", true)
        .set("datconnlimit", -1)
        .set("dattablespace", oids::DEFAULT_TABLESPACE)
        .set("datcollate", "C")
        .set("datctype", "C")
        .finish()])
}

fn pg_collation(ctx: &SystemContext) -> Result<Vec<Row>> {
    let collation = |oid: u32, name: &str, provider: &str, collate: Option<&str>| {
        ctx.row()
            .set("oid", oid)
            .set("collname", name)
            .set("collnamespace", oids::PG_CATALOG_NAMESPACE)
            .set("collowner", crate::roles::ADMIN_ROLE_OID)
            .set("collprovider", provider)
            .set("collisdeterministic", true)
            .set("collencoding", -1)
            .set("collcollate", collate)
            .set("collctype", collate)
            .finish()
    };
    Ok(vec![
        collation(oids::DEFAULT_COLLATION, "default", "d", None),
        collation(oids::C_COLLATION, "C", "c", Some("C")),
    ])
}

fn pg_tablespace(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(vec![ctx
        .row()
        .set("oid", oids::DEFAULT_TABLESPACE)
        .set("spcname", "pg_default")
        .set("spcowner", crate::roles::ADMIN_ROLE_OID)
        .finish()])
}

fn pg_language(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(vec![
        ctx.row()
            .set("oid", oids::INTERNAL_LANGUAGE)
            .set("lanname", "internal")
            .set("lanowner", crate::roles::ADMIN_ROLE_OID)
            .finish(),
        ctx.row()
            .set("oid", oids::SQL_LANGUAGE)
            .set("lanname", "sql")
            .set("lanowner", crate::roles::ADMIN_ROLE_OID)
            .set("lanpltrusted", true)
            .finish(),
    ])
}

/// (name, oid, superuser, can log in) of every role: `admin` and the created ones, by oid.
fn all_roles(ctx: &SystemContext) -> Vec<(String, u32, bool, bool)> {
    let mut roles = vec![(crate::roles::ADMIN_ROLE.to_string(), crate::roles::ADMIN_ROLE_OID, true, true)];
    roles.extend(ctx.catalog().roles.roles().map(|r| (r.name.clone(), r.oid, false, r.login)));
    roles.sort_by_key(|r| r.1);
    roles
}

/// `rolconfig`: the role's `ALTER ROLE ... SET` defaults as `name=value` texts, NULL without any.
fn role_config(ctx: &SystemContext, role: &str) -> Value {
    let config = ctx.catalog().roles.settings_of(role);
    if config.is_empty() {
        return Value::Null;
    }
    Value::Array(config.into_iter().map(|(name, value)| Value::Text(format!("{name}={value}"))).collect())
}

/// The attribute columns `pg_roles` and `pg_authid` share: `admin` has every attribute, other roles only
/// INHERIT, and LOGIN when they were given it; no connection limit.
fn with_role_attributes(row: super::RowBuilder, superuser: bool, login: bool) -> super::RowBuilder {
    row.set("rolsuper", superuser)
        .set("rolinherit", true)
        .set("rolcreaterole", superuser)
        .set("rolcreatedb", superuser)
        .set("rolcanlogin", login)
        .set("rolreplication", superuser)
        .set("rolbypassrls", superuser)
        .set("rolconnlimit", -1)
}

fn pg_roles(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(all_roles(ctx)
        .into_iter()
        .map(|(name, oid, superuser, login)| {
            with_role_attributes(ctx.row(), superuser, login)
                .set("rolconfig", role_config(ctx, &name))
                .set("rolname", name)
                .set("rolpassword", "********")
                .set("oid", oid)
                .finish()
        })
        .collect())
}

/// The roles with their password verifiers (postgres mode; Aurora DSQL has no `pg_authid`). As in
/// PostgreSQL only a superuser (`admin`) may read it; pg_dumpall reads it to dump the roles.
fn pg_authid(ctx: &SystemContext) -> Result<Vec<Row>> {
    let superuser = ctx.functions.session.as_ref().is_none_or(|s| s.get("is_superuser").is_some_and(|on| on == "on"));
    if !superuser {
        return Err(Error::new(sqlstate::INSUFFICIENT_PRIVILEGE, "permission denied for table pg_authid"));
    }
    Ok(all_roles(ctx)
        .into_iter()
        .map(|(name, oid, superuser, login)| {
            let verifier = ctx.catalog().roles.role(&name).and_then(|r| r.password_verifier.clone());
            with_role_attributes(ctx.row(), superuser, login)
                .set("oid", oid)
                .set("rolname", name)
                .set("rolpassword", verifier.map_or(Value::Null, Value::Text))
                .finish()
        })
        .collect())
}

/// Each role's `ALTER ROLE ... SET` defaults (for every database: `setdatabase` 0), as pg_dumpall reads them.
fn pg_db_role_setting(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(all_roles(ctx)
        .into_iter()
        .filter_map(|(name, oid, _, _)| {
            let config = role_config(ctx, &name);
            (!config.is_null())
                .then(|| ctx.row().set("setdatabase", 0u32).set("setrole", oid).set("setconfig", config).finish())
        })
        .collect())
}

fn pg_user(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(all_roles(ctx)
        .into_iter()
        .filter(|(_, _, _, login)| *login)
        .map(|(name, oid, superuser, _)| {
            ctx.row()
                .set("usename", name)
                .set("usesysid", oid)
                .set("usecreatedb", superuser)
                .set("usesuper", superuser)
                .set("userepl", superuser)
                .set("usebypassrls", superuser)
                .set("passwd", "********")
                .finish()
        })
        .collect())
}

/// The session's parameters: every parameter occam knows with its current value.
fn pg_settings(ctx: &SystemContext) -> Result<Vec<Row>> {
    let Some(session) = ctx.functions.session.as_ref() else { return Ok(Vec::new()) };
    Ok(crate::settings::known_parameters(session)
        .into_iter()
        .map(|parameter| {
            let vartype = if matches!(parameter.value.as_str(), "on" | "off") { "bool" } else { "string" };
            ctx.row()
                .set("name", parameter.name)
                .set("setting", parameter.value)
                .set("category", "Ungrouped")
                .set("context", if parameter.read_only { "internal" } else { "user" })
                .set("vartype", vartype)
                .set("source", if parameter.is_default { "default" } else { "session" })
                .set("boot_val", parameter.default.clone())
                .set("reset_val", parameter.default)
                .set("pending_restart", false)
                .finish()
        })
        .collect())
}

fn pg_indexes(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    Ok(rows::classes(catalog)
        .iter()
        .filter(|class| class.index_columns().is_some())
        .map(|class| {
            let table = class.table().expect("an index has a table");
            ctx.row()
                .set("schemaname", class.schema_name())
                .set("tablename", table.name.clone())
                .set("indexname", class.name())
                .set("indexdef", super::deparse::index_definition(catalog, class, false))
                .finish()
        })
        .collect())
}

fn pg_tables(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    Ok(rows::classes(catalog)
        .iter()
        .filter(|class| class.relkind() == "r")
        .map(|class| {
            let owner = owner_oid(catalog, class);
            ctx.row()
                .set("schemaname", class.schema_name())
                .set("tablename", class.name())
                .set("tableowner", super::names::role_name(catalog, owner))
                .set("tablespace", Value::Null)
                .set("hasindexes", matches!(class, Class::Table(t) if !t.has_hidden_key() || !t.indexes.is_empty()))
                .set("hasrules", false)
                .set("hastriggers", false)
                .set("rowsecurity", false)
                .finish()
        })
        .collect())
}

fn pg_matviews(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    Ok(rows::classes(catalog)
        .iter()
        .filter_map(|class| {
            let Class::Table(table) = class else { return None };
            let definition = catalog.materialized_definition(table)?;
            Some(
                ctx.row()
                    .set("schemaname", class.schema_name())
                    .set("matviewname", table.name.clone())
                    .set("matviewowner", super::names::role_name(catalog, owner_oid(catalog, class)))
                    .set("tablespace", Value::Null)
                    .set("hasindexes", !table.indexes.is_empty())
                    .set("ispopulated", table.populated)
                    .set("definition", super::deparse::view_definition(catalog, definition))
                    .finish(),
            )
        })
        .collect())
}

fn pg_views(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    Ok(rows::classes(catalog)
        .iter()
        .filter_map(|class| match class {
            Class::View(view) => Some(
                ctx.row()
                    .set("schemaname", class.schema_name())
                    .set("viewname", view.name.clone())
                    .set("viewowner", super::names::role_name(catalog, owner_oid(catalog, class)))
                    .set("definition", super::deparse::view_definition(catalog, view))
                    .finish(),
            ),
            _ => None,
        })
        .collect())
}

/// The server's open connections (this server process's backends), this session's with its state.
fn pg_stat_activity(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    let own = ctx.functions.session.as_ref();
    Ok(crate::settings::live_backends()
        .into_iter()
        .map(|backend| {
            let mine = own.is_some_and(|s| s.backend_pid() == backend.pid);
            let row = ctx
                .row()
                .set("datid", oids::POSTGRES_DATABASE)
                .set("datname", "postgres")
                .set("pid", backend.pid)
                .set("leader_pid", Value::Null)
                .set("usesysid", catalog.roles.oid(&backend.user).map_or(Value::Null, Value::from))
                .set("usename", backend.user)
                .set("backend_start", Value::Timestamptz(backend.started))
                .set("backend_xid", Value::Null)
                .set("backend_xmin", Value::Null)
                .set("query_id", Value::Null)
                .set("backend_type", "client backend");
            match (mine, own) {
                (true, Some(session)) => row
                    .set("application_name", session.get("application_name").unwrap_or_default())
                    .set("xact_start", Value::Timestamptz(ctx.functions.transaction_timestamp))
                    .set("query_start", Value::Timestamptz(ctx.functions.statement_timestamp))
                    .set("state_change", Value::Timestamptz(ctx.functions.statement_timestamp))
                    .set("state", "active"),
                _ => row,
            }
            .finish()
        })
        .collect())
}

fn pg_stat_user_tables(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for table in rows::tables(ctx.catalog()) {
        let statistics = crate::statistics::read(ctx.txn, table.id)?;
        let estimate = ctx.database().and_then(|db| db.estimated_row_count(table.id));
        out.push(
            ctx.row()
                .set("relid", oids::table(table.id))
                .set("schemaname", table.schema.clone())
                .set("relname", table.name.clone())
                .set("seq_scan", 0i64)
                .set("seq_tup_read", 0i64)
                .set("idx_scan", 0i64)
                .set("idx_tup_fetch", 0i64)
                .set("n_live_tup", estimate.map_or(0, |rows| rows.round() as i64))
                .set("n_dead_tup", 0i64)
                .set("analyze_count", statistics.is_some() as i64)
                .set("autoanalyze_count", 0i64)
                .set("vacuum_count", 0i64)
                .set("autovacuum_count", 0i64)
                .finish(),
        );
    }
    Ok(out)
}

/// Every index of a user table (primary keys too, as PG), with PostgreSQL's counters at zero (occam counts
/// no index scans).
fn pg_stat_user_indexes(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(rows::classes(ctx.catalog())
        .iter()
        .filter(|class| class.index_columns().is_some())
        .filter_map(|class| {
            let table = class.table()?;
            Some(
                ctx.row()
                    .set("relid", oids::table(table.id))
                    .set("indexrelid", class.oid())
                    .set("schemaname", class.schema_name())
                    .set("relname", table.name.clone())
                    .set("indexrelname", class.name())
                    .set("idx_scan", 0i64)
                    .set("idx_tup_read", 0i64)
                    .set("idx_tup_fetch", 0i64)
                    .finish(),
            )
        })
        .collect())
}

/// What ANALYZE gathered, one row per analyzed column (as `sys.table_statistics`, in `pg_stats`' shape).
fn pg_stats(ctx: &SystemContext) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for table in rows::tables(ctx.catalog()) {
        let Some(statistics) = crate::statistics::read(ctx.txn, table.id)? else { continue };
        for column in &statistics.columns {
            let data_type =
                table.columns.iter().find(|c| c.name == column.name).map_or(DataType::Text, |c| c.data_type);
            let array_text = |values: &mut dyn Iterator<Item = &Value>| {
                let values: Vec<Value> = values.cloned().collect();
                if values.is_empty() {
                    Value::Null
                } else {
                    Value::Text(crate::types::text::format(
                        &Value::Array(values),
                        &data_type.array_of().unwrap_or(DataType::Array(ArrayElement::TEXT)),
                    ))
                }
            };
            let frequencies: Vec<Value> =
                column.most_common.iter().map(|(_, f)| Value::Float(*f as f32 as f64)).collect();
            out.push(
                ctx.row()
                    .set("schemaname", table.schema.clone())
                    .set("tablename", table.name.clone())
                    .set("attname", column.name.clone())
                    .set("inherited", false)
                    .set("null_frac", column.null_fraction)
                    .set("avg_width", column.average_width.round() as i32)
                    .set("n_distinct", column.n_distinct)
                    .set("most_common_vals", array_text(&mut column.most_common.iter().map(|(v, _)| v)))
                    .set(
                        "most_common_freqs",
                        if frequencies.is_empty() { Value::Null } else { Value::Array(frequencies) },
                    )
                    .set("histogram_bounds", array_text(&mut column.histogram.iter()))
                    .set("correlation", column.correlation)
                    .finish(),
            );
        }
    }
    Ok(out)
}

fn pg_description(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(super::comments::descriptions(ctx.catalog())
        .into_iter()
        .map(|(key, text)| {
            ctx.row()
                .set("objoid", key.objoid)
                .set("classoid", key.classoid)
                .set("objsubid", key.objsubid)
                .set("description", text.to_string())
                .finish()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_are_unique_and_rows_fit_columns() {
        let mut names: Vec<&str> = RELATIONS.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RELATIONS.len());
    }
}
