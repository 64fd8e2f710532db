//! The demo social graph shipped with the repository (`sql/demo/`), used by
//! `omnigraph-sql --demo` and `omnigraph-server --demo`.

use omnigraph_engine::{Graph, LoadMode, Result, WriteOptions};

/// Schema of the demo graph.
pub const DEMO_SCHEMA: &str = include_str!("../demo/schema.pg");
/// Rows of the demo graph: 200 people, 20 companies, 500 `knows` and about 170 `works_at`.
pub const DEMO_DATA: &str = include_str!("../demo/social.ndjson");

/// Opens the graph at `path`, creating and loading the demo data if it has no schema yet.
pub async fn ensure_demo_graph(path: &str) -> Result<Graph> {
    let graph = Graph::open_or_create(path).await?;
    if graph
        .snapshot(omnigraph_engine::MAIN_BRANCH)
        .await?
        .schema()
        .is_empty()
    {
        let opts = WriteOptions {
            actor: "omnigraph-demo".to_string(),
            message: Some("demo schema".to_string()),
        };
        graph
            .apply_schema(omnigraph_engine::MAIN_BRANCH, DEMO_SCHEMA, &opts)
            .await?;
        let opts = WriteOptions {
            message: Some("demo data".to_string()),
            ..opts
        };
        graph
            .load_ndjson(
                omnigraph_engine::MAIN_BRANCH,
                DEMO_DATA,
                LoadMode::Append,
                &opts,
            )
            .await?;
    }
    Ok(graph)
}
