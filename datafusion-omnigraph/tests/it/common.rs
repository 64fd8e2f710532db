use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use datafusion_omnigraph::GraphContext;
use omnigraph_engine::{Graph, LoadMode, WriteOptions};
use tempfile::TempDir;

pub const SCHEMA: &str = "\
node Person  { name: String @key, age: I32?, city: String? }
node Company { name: String @key }
edge Knows:   Person -> Person  { since: Date? }
edge WorksAt: Person -> Company @card(0..1)
";

pub const DATA: &str = r#"{"type":"Person","data":{"name":"alice","age":30,"city":"paris"}}
{"type":"Person","data":{"name":"bob","age":25,"city":"paris"}}
{"type":"Person","data":{"name":"carol","age":41,"city":"oslo"}}
{"type":"Company","data":{"name":"acme"}}
{"edge":"Knows","from":"alice","to":"bob","data":{"since":"2020-01-01"}}
{"edge":"Knows","from":"bob","to":"carol"}
{"edge":"WorksAt","from":"alice","to":"acme"}
"#;

pub struct Fixture {
    pub _dir: TempDir,
    pub graph: Graph,
    pub ctx: SessionContext,
    pub graph_ctx: Arc<GraphContext>,
}

pub async fn fixture() -> Fixture {
    let dir = TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    let opts = WriteOptions::default();
    graph.apply_schema("main", SCHEMA, &opts).await.unwrap();
    graph
        .load_ndjson("main", DATA, LoadMode::Append, &opts)
        .await
        .unwrap();
    let ctx = SessionContext::new();
    let graph_ctx = datafusion_omnigraph::register(&ctx, graph.clone())
        .await
        .unwrap();
    Fixture {
        _dir: dir,
        graph,
        ctx,
        graph_ctx,
    }
}

pub async fn rows(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

/// The result as pretty-printed lines (header, separators and rows).
pub async fn table(ctx: &SessionContext, sql: &str) -> String {
    pretty_format_batches(&rows(ctx, sql).await)
        .unwrap()
        .to_string()
}

pub async fn error(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error from {sql}"),
        },
    }
}

pub fn lines(t: &str) -> Vec<String> {
    t.lines().map(|l| l.to_string()).collect()
}
