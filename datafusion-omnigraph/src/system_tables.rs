//! Schema `omnigraph`: `branches`, `commits`, `tables`, `schema`.
//!
//! Each table is materialized when a statement refers to it, from the same engine calls
//! the procedures use, so it always matches the graph at planning time.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{MemTable, SchemaProvider, TableProvider};
use omnigraph_engine::schema::TableDef;

use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, to_df};

pub const SYSTEM_TABLES: [&str; 4] = ["branches", "commits", "tables", "schema"];

#[derive(Debug)]
pub struct SystemSchema {
    ctx: Arc<GraphContext>,
}

impl SystemSchema {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        SystemSchema { ctx }
    }
}

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn u64f(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::UInt64, nullable)
}

fn strings<I: IntoIterator<Item = Option<String>>>(values: I) -> ArrayRef {
    Arc::new(StringArray::from_iter(values))
}

fn table(schema: SchemaRef, columns: Vec<ArrayRef>) -> DfResult<Arc<dyn TableProvider>> {
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

async fn branches(ctx: &GraphContext) -> DfResult<Arc<dyn TableProvider>> {
    let list = ctx.graph().branches().await.map_err(to_df)?;
    let schema = Arc::new(Schema::new(vec![
        utf8("name", false),
        utf8("head_commit", true),
        u64f("head_version", false),
        utf8("created_from", true),
    ]));
    table(
        schema,
        vec![
            strings(list.iter().map(|b| Some(b.name.clone()))),
            strings(list.iter().map(|b| b.head_commit.clone())),
            Arc::new(UInt64Array::from_iter_values(
                list.iter().map(|b| b.head_version),
            )),
            strings(list.iter().map(|b| b.created_from.clone())),
        ],
    )
}

async fn commits(ctx: &GraphContext) -> DfResult<Arc<dyn TableProvider>> {
    let branch = ctx.branch();
    let list = ctx.graph().commits(&branch).await.map_err(to_df)?;
    let schema = Arc::new(Schema::new(vec![
        utf8("commit_id", false),
        utf8("parent_ids", false),
        utf8("branch", false),
        u64f("version", false),
        utf8("actor", false),
        utf8("message", false),
        Field::new(
            "committed_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
    ]));
    table(
        schema,
        vec![
            strings(list.iter().map(|c| Some(c.commit_id.clone()))),
            strings(list.iter().map(|c| Some(c.parents.join(",")))),
            strings(list.iter().map(|c| Some(c.branch.clone()))),
            Arc::new(UInt64Array::from_iter_values(
                list.iter().map(|c| c.graph_version),
            )),
            strings(list.iter().map(|c| Some(c.actor.clone()))),
            strings(list.iter().map(|c| Some(c.message.clone()))),
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(
                    list.iter().map(|c| c.committed_at_micros),
                )
                .with_timezone("UTC"),
            ),
        ],
    )
}

async fn tables(ctx: &GraphContext) -> DfResult<Arc<dyn TableProvider>> {
    let snapshot = ctx
        .resolve(&SnapshotSelector::Current)
        .await
        .map_err(to_df)?;
    let schema = Arc::new(Schema::new(vec![
        utf8("table_name", false),
        utf8("kind", false),
        utf8("type_name", false),
        utf8("src_table", true),
        utf8("dst_table", true),
        u64f("row_count", false),
        u64f("version", false),
        u64f("fragments", false),
        u64f("deleted_rows", false),
        u64f("versions_kept", false),
        u64f("bytes", false),
    ]));
    /// One table's row.
    struct Row {
        name: String,
        kind: &'static str,
        type_name: String,
        src: Option<String>,
        dst: Option<String>,
        count: u64,
        version: u64,
        storage: omnigraph_engine::TableStorage,
    }
    let mut rows = Vec::new();
    for def in snapshot.schema().tables() {
        let (_, entry) = snapshot.table(def.table()).map_err(to_df)?;
        let (src, dst) = match def {
            TableDef::Edge(e) => (Some(e.src_table.clone()), Some(e.dst_table.clone())),
            TableDef::Node(_) => (None, None),
        };
        rows.push(Row {
            name: def.table().to_string(),
            kind: def.kind().as_str(),
            type_name: def.declared_name().to_string(),
            src,
            dst,
            count: snapshot.count_rows(def.table()).await.map_err(to_df)?,
            version: entry.version,
            storage: ctx.graph().table_storage(entry).await.map_err(to_df)?,
        });
    }
    let numbers = |f: fn(&Row) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(f)))
    };
    table(
        schema,
        vec![
            strings(rows.iter().map(|r| Some(r.name.clone()))),
            strings(rows.iter().map(|r| Some(r.kind.to_string()))),
            strings(rows.iter().map(|r| Some(r.type_name.clone()))),
            strings(rows.iter().map(|r| r.src.clone())),
            strings(rows.iter().map(|r| r.dst.clone())),
            numbers(|r| r.count),
            numbers(|r| r.version),
            numbers(|r| r.storage.fragments),
            numbers(|r| r.storage.deleted_rows),
            numbers(|r| r.storage.versions_kept),
            numbers(|r| r.storage.bytes),
        ],
    )
}

async fn schema_table(ctx: &GraphContext) -> DfResult<Arc<dyn TableProvider>> {
    let snapshot = ctx
        .resolve(&SnapshotSelector::Current)
        .await
        .map_err(to_df)?;
    let schema = Arc::new(Schema::new(vec![
        utf8("source", false),
        u64f("version", false),
    ]));
    table(
        schema,
        vec![
            strings([Some(snapshot.schema().source.clone())]),
            Arc::new(UInt64Array::from_iter_values([snapshot.version()])),
        ],
    )
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        SYSTEM_TABLES.iter().map(|s| s.to_string()).collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let provider = match name.to_ascii_lowercase().as_str() {
            "branches" => branches(&self.ctx).await?,
            "commits" => commits(&self.ctx).await?,
            "tables" => tables(&self.ctx).await?,
            "schema" => schema_table(&self.ctx).await?,
            _ => return Ok(None),
        };
        Ok(Some(provider))
    }

    fn table_exist(&self, name: &str) -> bool {
        SYSTEM_TABLES.contains(&name.to_ascii_lowercase().as_str())
    }
}
