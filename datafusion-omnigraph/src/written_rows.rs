//! The rows an `INSERT` wrote, read back from the graph version it committed: the
//! engine derives ids (from keys, or new ones) and an `ON CONFLICT DO UPDATE` keeps
//! columns of the existing row, so only the committed rows are what `RETURNING` shows.

use std::collections::HashMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::interleave;
use futures::TryStreamExt;
use omnigraph_engine::{Error as EngineError, Graph, Result};

/// Ids looked up per filtered scan.
const IDS_PER_SCAN: usize = 1024;

/// The rows of `table` with `ids`, as of graph version `version` of `branch`, in the
/// order of `ids`.
pub(crate) async fn rows_with_ids(
    graph: &Graph,
    branch: &str,
    version: u64,
    table: &str,
    ids: &[String],
) -> Result<Vec<RecordBatch>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let snapshot = graph.snapshot_at_version(branch, version).await?;
    let schema = snapshot.arrow_schema(table)?;
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let id_column = schema
        .index_of("id")
        .map_err(|e| EngineError::Corrupt(e.to_string()))?;
    let mut batches = Vec::new();
    for chunk in ids.chunks(IDS_PER_SCAN) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let mut stream = snapshot
            .stream_columns_matching(table, &columns, "id", &chunk)
            .await?;
        while let Some(batch) = stream.try_next().await? {
            batches.push(batch);
        }
    }
    let mut position: HashMap<&str, (usize, usize)> = HashMap::with_capacity(ids.len());
    for (b, batch) in batches.iter().enumerate() {
        let found = omnigraph_engine::storage::string_column(batch, id_column)?;
        for row in 0..batch.num_rows() {
            position.insert(found.value(row), (b, row));
        }
    }
    let order = ids
        .iter()
        .map(|id| {
            position.get(id.as_str()).copied().ok_or_else(|| {
                EngineError::Corrupt(format!("row '{id}' of {table} is missing after its insert"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let arrow = |e: datafusion::arrow::error::ArrowError| EngineError::Corrupt(e.to_string());
    let mut out_columns = Vec::with_capacity(columns.len());
    for c in 0..columns.len() {
        let arrays: Vec<_> = batches.iter().map(|b| b.column(c).as_ref()).collect();
        out_columns.push(interleave(&arrays, &order).map_err(arrow)?);
    }
    let schema = batches[0].schema();
    Ok(vec![
        RecordBatch::try_new(schema, out_columns).map_err(arrow)?,
    ])
}
