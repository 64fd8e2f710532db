//! `pg_stat_progress_copy`: the `COPY ... FROM`s and loads running on this connection's
//! graph, from any connection, as PostgreSQL lists its running `COPY`s (one row each,
//! counted as they go). `pid` numbers the writes; `relid` is the written table's
//! `pg_class` OID.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, col, lit};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use datafusion_omnigraph::pg_type::with_pg_type;
use omnigraph_engine::Graph;

#[derive(Debug)]
pub struct CopyProgressTable {
    pub database: String,
    pub graph: Graph,
}

fn schema() -> SchemaRef {
    let name = |n: &str| with_pg_type(Field::new(n, DataType::Utf8, true), "name");
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let int = |n: &str| Field::new(n, DataType::Int32, true);
    let oid = |n: &str| with_pg_type(Field::new(n, DataType::Int32, true), "oid");
    let big = |n: &str| Field::new(n, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        int("pid"),
        oid("datid"),
        name("datname"),
        oid("relid"),
        text("command"),
        text("type"),
        big("bytes_processed"),
        big("bytes_total"),
        big("tuples_processed"),
        big("tuples_excluded"),
    ]))
}

/// The `pg_class` OIDs of the tables named in `names`.
async fn relation_oids(state: &dyn Session, names: Vec<String>) -> Result<HashMap<String, i32>> {
    let mut oids = HashMap::new();
    let Some(state) = state.as_any().downcast_ref::<SessionState>() else {
        return Ok(oids);
    };
    if names.is_empty() {
        return Ok(oids);
    }
    let ctx = SessionContext::new_with_state(state.clone());
    let listed: Vec<Expr> = names.into_iter().map(lit).collect();
    let batches = ctx
        .table("pg_catalog.pg_class")
        .await?
        .filter(col("relname").in_list(listed, false))?
        .select(vec![col("oid"), col("relname")])?
        .collect()
        .await?;
    for batch in batches {
        let oids_column = arrow::compute::cast(batch.column(0), &DataType::Int32)?;
        let oid_values = oids_column
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("cast to Int32");
        let names_column = arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
        let relnames = names_column
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8");
        for i in 0..batch.num_rows() {
            oids.entry(relnames.value(i).to_string())
                .or_insert(oid_values.value(i));
        }
    }
    Ok(oids)
}

#[async_trait]
impl TableProvider for CopyProgressTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = schema();
        let running = self.graph.running_copies();
        let relations: Vec<String> = running.iter().map(|c| c.relation()).collect();
        let oids = relation_oids(state, relations.clone()).await?;
        let n = running.len();
        let big = |f: &dyn Fn(&omnigraph_engine::CopyProgress) -> u64| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(
                running.iter().map(|c| f(c) as i64),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_iter_values(
                running.iter().map(|c| c.id as i32),
            )),
            Arc::new(Int32Array::from(vec![None; n])),
            Arc::new(StringArray::from(vec![self.database.as_str(); n])),
            Arc::new(Int32Array::from_iter(
                relations.iter().map(|r| oids.get(r).copied()),
            )),
            Arc::new(StringArray::from(vec!["COPY FROM"; n])),
            Arc::new(StringArray::from_iter_values(
                running.iter().map(|c| c.source.as_str()),
            )),
            big(&|c| c.bytes_processed()),
            big(&|c| c.bytes_total()),
            big(&|c| c.tuples_processed()),
            big(&|c| c.tuples_excluded()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        let plan: Arc<dyn ExecutionPlan> =
            MemorySourceConfig::try_new_exec(&[vec![batch]], schema, projection.cloned())?;
        Ok(plan)
    }
}
