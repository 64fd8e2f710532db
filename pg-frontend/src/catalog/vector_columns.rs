//! `pg_attribute` rows of `Vector(n)` properties as pgvector types them: `atttypid` the
//! `vector` type, `atttypmod` the dimensions, so `format_type` (psql's `\d`, drivers'
//! reflection) says `vector(n)`. datafusion-pg-catalog types a fixed-size list it does
//! not know as `text`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, RecordBatch};
use arrow::datatypes::DataType;
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionState;

use super::GRAPH_CATALOG;
use crate::pgvector::{VECTOR_OID, is_vector_data_type};

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name}")))
}

/// The graph tables' relations of `classes` (`pg_class` rows), by OID: schema and name.
fn graph_relations(
    classes: &RecordBatch,
    namespaces: &RecordBatch,
) -> Result<HashMap<i32, (String, String)>> {
    let nsp_oids = column::<Int32Array>(namespaces, "oid")?;
    let nsp_names = column::<arrow::array::StringArray>(namespaces, "nspname")?;
    let schema_names: HashMap<i32, &str> = (0..namespaces.num_rows())
        .filter(|&i| nsp_oids.is_valid(i) && nsp_names.is_valid(i))
        .map(|i| (nsp_oids.value(i), nsp_names.value(i)))
        .filter(|(_, name)| !matches!(*name, "pg_catalog" | "information_schema"))
        .collect();
    let oids = column::<Int32Array>(classes, "oid")?;
    let names = column::<arrow::array::StringArray>(classes, "relname")?;
    let schemas = column::<Int32Array>(classes, "relnamespace")?;
    Ok((0..classes.num_rows())
        .filter(|&i| oids.is_valid(i) && names.is_valid(i) && schemas.is_valid(i))
        .filter_map(|i| {
            let schema = schema_names.get(&schemas.value(i))?;
            Some((
                oids.value(i),
                (schema.to_string(), names.value(i).to_string()),
            ))
        })
        .collect())
}

/// `batch` (`pg_attribute` rows) with its vector columns typed `vector(n)`.
pub(super) async fn typed_as_vectors(
    batch: RecordBatch,
    classes: &RecordBatch,
    namespaces: &RecordBatch,
    state: &dyn Session,
) -> Result<RecordBatch> {
    let Some(catalog) = state
        .as_any()
        .downcast_ref::<SessionState>()
        .and_then(|s| s.catalog_list().catalog(GRAPH_CATALOG))
    else {
        return Ok(batch);
    };
    let relations = graph_relations(classes, namespaces)?;
    // Each relation's vector columns: name and dimensions.
    let mut vectors: HashMap<i32, HashMap<String, i32>> = HashMap::new();
    for (oid, (schema, table)) in &relations {
        let Some(provider) = catalog.schema(schema) else {
            continue;
        };
        let Some(table) = provider.table(table).await? else {
            continue;
        };
        let columns: HashMap<String, i32> = table
            .schema()
            .fields()
            .iter()
            .filter(|f| is_vector_data_type(f.data_type()))
            .filter_map(|f| match f.data_type() {
                DataType::FixedSizeList(_, n) => Some((f.name().clone(), *n)),
                _ => None,
            })
            .collect();
        if !columns.is_empty() {
            vectors.insert(*oid, columns);
        }
    }
    if vectors.is_empty() {
        return Ok(batch);
    }
    let relids = column::<Int32Array>(&batch, "attrelid")?;
    let names = column::<arrow::array::StringArray>(&batch, "attname")?;
    let types = column::<Int32Array>(&batch, "atttypid")?;
    let typmods = column::<Int32Array>(&batch, "atttypmod")?;
    let dims = |i: usize| {
        vectors
            .get(&relids.value(i))
            .and_then(|columns| columns.get(names.value(i)))
            .copied()
    };
    let rows = 0..batch.num_rows();
    let new_types: Int32Array = rows
        .clone()
        .map(|i| match dims(i) {
            Some(_) => Some(VECTOR_OID as i32),
            None => types.is_valid(i).then(|| types.value(i)),
        })
        .collect();
    let new_typmods: Int32Array = rows
        .map(|i| dims(i).or_else(|| typmods.is_valid(i).then(|| typmods.value(i))))
        .collect();
    let schema = batch.schema();
    let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
    arrays[schema.index_of("atttypid")?] = Arc::new(new_types);
    arrays[schema.index_of("atttypmod")?] = Arc::new(new_typmods);
    Ok(RecordBatch::try_new(schema, arrays)?)
}
