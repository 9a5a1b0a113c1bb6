//! The catalog relations about sequences (`pg_sequence`, `pg_sequences`, `information_schema.sequences`)
//! and what identity columns show elsewhere (`attidentity`, `is_identity`, `pg_get_serial_sequence`).

use std::sync::Arc;

use super::rows::sequences as all_sequences;
use super::{oids, SystemContext};
use crate::catalog::{Catalog, ColumnInfo, Identity, Table};
use crate::error::Result;
use crate::sequences::Sequence;
use crate::types::{Row, Value};

/// The sequence a table's column owns (an identity or serial column's), if any.
pub fn owned_sequence<'c>(catalog: &'c Catalog, table: &Table, column: &ColumnInfo) -> Option<&'c Arc<Sequence>> {
    let index = table.columns.iter().position(|c| std::ptr::eq(c, column))?;
    catalog.sequences().find(|s| s.owned_by == Some((table.id, index)))
}

/// `pg_attribute.attidentity`: `a` (ALWAYS), `d` (BY DEFAULT) or empty.
pub fn attidentity(column: Option<&ColumnInfo>) -> &'static str {
    match column.and_then(|c| c.identity) {
        Some(Identity::Always) => "a",
        Some(Identity::ByDefault) => "d",
        None => "",
    }
}

fn last_value(ctx: &SystemContext, sequence: &Sequence) -> Result<Value> {
    let Some(database) = ctx.database() else { return Ok(Value::Null) };
    let storage = database.txn_manager().storage().as_ref();
    Ok(database.sequences().last_value(storage, sequence)?.map_or(Value::Null, Value::Int))
}

pub(super) fn pg_sequence(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(all_sequences(ctx.catalog())
        .into_iter()
        .map(|s| {
            ctx.row()
                .set("seqrelid", oids::table(s.id))
                .set("seqtypid", s.data_type.oid())
                .set("seqstart", s.start)
                .set("seqincrement", s.increment)
                .set("seqmax", s.max_value)
                .set("seqmin", s.min_value)
                .set("seqcache", s.cache)
                .set("seqcycle", s.cycle)
                .finish()
        })
        .collect())
}

pub(super) fn pg_sequences(ctx: &SystemContext) -> Result<Vec<Row>> {
    let catalog = ctx.catalog();
    let mut out = Vec::new();
    for s in all_sequences(catalog) {
        let owner = s
            .owned_by
            .and_then(|(table, _)| catalog.roles.table_owner(table))
            .unwrap_or(crate::roles::ADMIN_ROLE)
            .to_string();
        out.push(
            ctx.row()
                .set("schemaname", s.schema.clone())
                .set("sequencename", s.name.clone())
                .set("sequenceowner", owner)
                .set("data_type", s.data_type.oid())
                .set("start_value", s.start)
                .set("min_value", s.min_value)
                .set("max_value", s.max_value)
                .set("increment_by", s.increment)
                .set("cycle", s.cycle)
                .set("cache_size", s.cache)
                .set("last_value", last_value(ctx, s)?)
                .finish(),
        );
    }
    Ok(out)
}

pub(super) fn information_schema_sequences(ctx: &SystemContext) -> Result<Vec<Row>> {
    Ok(all_sequences(ctx.catalog())
        .into_iter()
        .map(|s| {
            let precision = match s.data_type {
                crate::types::DataType::Int2 => 16,
                crate::types::DataType::Int4 => 32,
                _ => 64,
            };
            ctx.row()
                .set("sequence_catalog", "postgres")
                .set("sequence_schema", s.schema.clone())
                .set("sequence_name", s.name.clone())
                .set("data_type", s.data_type.name())
                .set("numeric_precision", precision)
                .set("numeric_precision_radix", 2)
                .set("numeric_scale", 0)
                .set("start_value", s.start.to_string())
                .set("minimum_value", s.min_value.to_string())
                .set("maximum_value", s.max_value.to_string())
                .set("increment", s.increment.to_string())
                .set("cycle_option", if s.cycle { "YES" } else { "NO" })
                .finish()
        })
        .collect())
}
