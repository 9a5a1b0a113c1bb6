//! Comments (`COMMENT ON ... IS 'text'`): one catalog row per commented object, keyed the way
//! PostgreSQL's `pg_description` is: the object's oid, the oid of the catalog it lives in (`pg_class` for
//! relations), and a sub-id (a column's `attnum`, else 0).
//!
//! ```text
//!   key    table_prefix(0, 30) ++ encode(classoid, objoid, objsubid)     value  the text (UTF-8)
//! ```
//! The catalog does not know oids: the session resolves `COMMENT ON`'s object to its key (`sql::system`)
//! and the system catalogs read the comments back by the same key. Relation oids are never reused, so the
//! comment of a dropped object is simply never shown again (`pg_description` lists only live objects).

use std::collections::HashMap;

use crate::error::Result;
use crate::storage::keycode::{encode_key, table_prefix};
use crate::storage::prefix_range;
use crate::txn::Transaction;
use crate::types::Value;

/// What a comment describes, as `pg_description` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommentKey {
    pub classoid: u32,
    pub objoid: u32,
    pub objsubid: i32,
}

fn prefix() -> Vec<u8> {
    table_prefix(0, 30)
}

fn storage_key(key: CommentKey) -> Vec<u8> {
    encode_key(
        &prefix(),
        &[Value::Int(key.classoid.into()), Value::Int(key.objoid.into()), Value::Int(key.objsubid.into())],
    )
}

/// Sets (Some) or removes (None, `IS NULL`, or an empty text, as PostgreSQL) the comment of `key`.
pub fn set(txn: &mut Transaction, key: CommentKey, text: Option<&str>) {
    match text.filter(|t| !t.is_empty()) {
        Some(text) => txn.put(storage_key(key), text.as_bytes().to_vec()),
        None => txn.delete(storage_key(key)),
    }
}

/// Every comment visible to `txn`.
pub fn load(txn: &Transaction) -> Result<HashMap<CommentKey, String>> {
    let (start, end) = prefix_range(&prefix());
    let mut out = HashMap::new();
    for entry in txn.scan(start, end, false) {
        let (key, value) = entry?;
        let mut input = &key[prefix().len()..];
        let mut next = || -> Result<i64> {
            match crate::storage::keycode::decode_value(&mut input, &crate::types::DataType::Int8, false)? {
                Value::Int(n) => Ok(n),
                _ => Err(crate::error::Error::internal("corrupt comment key")),
            }
        };
        let key = CommentKey { classoid: next()? as u32, objoid: next()? as u32, objsubid: next()? as i32 };
        out.insert(key, String::from_utf8_lossy(&value).into_owned());
    }
    Ok(out)
}
