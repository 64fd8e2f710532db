use omnigraph_engine::{LoadMode, WriteOptions};

use crate::common::*;

#[tokio::test]
async fn a_statement_keeps_its_snapshot_while_a_concurrent_load_commits() {
    let f = fixture().await;
    // Two scans of one table in one statement: both are planned (and pinned) before the
    // load commits, and both still read the old version when executed after it.
    let df = f
        .ctx
        .sql("SELECT (SELECT count(*) FROM person) AS a, (SELECT count(*) FROM person p2 WHERE p2.age >= 0) AS b")
        .await
        .unwrap();
    let plan = df.create_physical_plan().await.unwrap();
    f.graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"zoe","age":9}}
{"type":"Person","data":{"name":"yan","age":19}}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let batches = datafusion::physical_plan::collect(plan, f.ctx.task_ctx())
        .await
        .unwrap();
    let t = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(t.contains("| 3 | 2 |") || t.contains("| 3 | 3 |"), "{t}");
    assert!(!t.contains('5'), "neither scan may see the new rows: {t}");
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 5 |")
    );
}

#[tokio::test]
async fn a_running_query_streams_from_its_snapshot() {
    let f = fixture().await;
    let mut stream = f
        .ctx
        .sql("SELECT name FROM person")
        .await
        .unwrap()
        .execute_stream()
        .await
        .unwrap();
    f.graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"zoe","age":9}}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let mut n = 0;
    use futures::StreamExt;
    while let Some(batch) = stream.next().await {
        n += batch.unwrap().num_rows();
    }
    assert_eq!(n, 3);
}
