//! Embedding OmniGraph in your own DataFusion session.
//!
//! ```sh
//! cargo run -p datafusion-omnigraph --example embed
//! ```

use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use omnigraph_engine::{Graph, LoadMode, WriteOptions};

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::TempDir::new()?;
    let graph = Graph::create(dir.path().to_str().expect("utf-8 path"))
        .await
        .map_err(datafusion_omnigraph::to_df)?;
    let opts = WriteOptions::default();
    graph
        .apply_schema(
            "main",
            "node Person { name: String @key, age: I32? }\nedge Knows: Person -> Person",
            &opts,
        )
        .await
        .map_err(datafusion_omnigraph::to_df)?;
    graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"alice","age":30}}
{"type":"Person","data":{"name":"bob","age":25}}
{"edge":"Knows","from":"alice","to":"bob"}"#,
            LoadMode::Append,
            &opts,
        )
        .await
        .map_err(datafusion_omnigraph::to_df)?;

    // One call installs the graph's catalog, time travel and procedures.
    let ctx = SessionContext::new();
    datafusion_omnigraph::register(&ctx, graph).await?;

    ctx.sql("SELECT a.name, b.name AS knows FROM knows k JOIN person a ON k.src = a.id JOIN person b ON k.dst = b.id")
        .await?
        .show()
        .await?;
    ctx.sql("SELECT * FROM create_branch('experiment')")
        .await?
        .show()
        .await?;
    ctx.sql("SELECT name, head_version FROM omnigraph.branches")
        .await?
        .show()
        .await?;
    Ok(())
}
