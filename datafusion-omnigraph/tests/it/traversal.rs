use omnigraph_engine::{LoadMode, WriteOptions};

use crate::common::*;

#[tokio::test]
async fn neighbors_traverse_and_shortest_path() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT start_id, node_id FROM neighbors('knows', 'alice')",
    )
    .await;
    assert!(t.contains("| alice    | bob     |"), "{t}");
    let t = table(
        &f.ctx,
        "SELECT node_id FROM neighbors('knows', 'bob', 'in')",
    )
    .await;
    assert!(t.contains("alice") && !t.contains("carol"), "{t}");
    let t = table(
        &f.ctx,
        "SELECT node_id FROM neighbors('knows', 'bob', 'both') ORDER BY node_id",
    )
    .await;
    assert!(t.contains("alice") && t.contains("carol"), "{t}");
    let t = table(
        &f.ctx,
        "SELECT node_id, depth FROM traverse('knows', 'alice', 3) ORDER BY depth",
    )
    .await;
    assert_eq!(
        lines(&t)[3..5],
        [
            "| bob     | 1     |".to_string(),
            "| carol   | 2     |".to_string()
        ],
        "{t}"
    );
    let t = table(
        &f.ctx,
        "SELECT node_id, depth FROM traverse('knows', 'alice', 3, 0) ORDER BY depth",
    )
    .await;
    assert!(t.contains("| alice   | 0     |"), "{t}");
    let t = table(&f.ctx, "SELECT step, node_id, edge_id IS NULL AS first FROM shortest_path('knows', 'alice', 'carol') ORDER BY step").await;
    assert_eq!(
        lines(&t)[3..6],
        [
            "| 0    | alice   | true  |".to_string(),
            "| 1    | bob     | false |".to_string(),
            "| 2    | carol   | false |".to_string(),
        ],
        "{t}"
    );
    assert!(
        rows(
            &f.ctx,
            "SELECT * FROM shortest_path('knows', 'carol', 'alice')"
        )
        .await
        .iter()
        .all(|b| b.num_rows() == 0)
    );
    assert!(
        rows(
            &f.ctx,
            "SELECT * FROM shortest_path('knows', 'alice', 'carol', 1)"
        )
        .await
        .iter()
        .all(|b| b.num_rows() == 0)
    );
    let t = table(
        &f.ctx,
        "SELECT count(*) AS n FROM shortest_path('knows', 'alice', 'alice')",
    )
    .await;
    assert!(t.contains("| 1 |"), "{t}");
}

#[tokio::test]
async fn traversals_join_with_node_tables() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT p.name, p.city, t.depth FROM traverse('knows', 'alice', 2) t JOIN person p ON p.id = t.node_id ORDER BY t.depth",
    )
    .await;
    assert!(t.contains("| carol | oslo  | 2     |"), "{t}");
}

#[tokio::test]
async fn set_at_a_time_expansion_from_a_query() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT start_id, node_id, depth FROM traverse_from('knows', 'SELECT id FROM person WHERE city = ''paris''', 2) ORDER BY start_id, depth",
    )
    .await;
    assert_eq!(
        lines(&t)[3..6],
        [
            "| alice    | bob     | 1     |".to_string(),
            "| alice    | carol   | 2     |".to_string(),
            "| bob      | carol   | 1     |".to_string(),
        ],
        "{t}"
    );
    let t = table(
        &f.ctx,
        "SELECT count(*) AS n FROM neighbors_of('knows', 'SELECT id FROM person', 'both')",
    )
    .await;
    assert!(t.contains("| 4 |"), "each edge seen from both ends: {t}");
    let plan = table(
        &f.ctx,
        "EXPLAIN SELECT * FROM traverse_from('knows', 'SELECT id FROM person WHERE age > 26', 2)",
    )
    .await;
    assert!(
        plan.contains("TraversalExec") && plan.contains("LanceRead"),
        "{plan}"
    );
}

#[tokio::test]
async fn unknown_tables_ids_and_directions_are_errors() {
    let f = fixture().await;
    for (sql, needle) in [
        (
            "SELECT * FROM neighbors('robots', 'alice')",
            "unknown table 'robots'",
        ),
        ("SELECT * FROM neighbors('person', 'alice')", "node table"),
        (
            "SELECT * FROM neighbors('knows', 'nobody')",
            "node 'nobody' does not exist",
        ),
        (
            "SELECT * FROM neighbors('knows', 'alice', 'sideways')",
            "invalid direction",
        ),
        ("SELECT * FROM traverse('knows', 'alice', -1)", "max_depth"),
        (
            "SELECT * FROM traverse('knows', 'alice', 1, 2)",
            "min_depth 2 is greater",
        ),
        (
            "SELECT * FROM shortest_path('knows', 'alice', 'ghost')",
            "node 'ghost' does not exist",
        ),
    ] {
        let e = error(&f.ctx, sql).await;
        assert!(e.contains(needle), "{sql}: {e}");
    }
    // A node that exists but has no edges is not an error: it has no neighbours.
    f.graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"loner"}}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        rows(&f.ctx, "SELECT * FROM neighbors('knows', 'loner')")
            .await
            .iter()
            .all(|b| b.num_rows() == 0)
    );
}

#[tokio::test]
async fn traversals_read_the_session_branch_and_as_of() {
    let f = fixture().await;
    let before = f.graph.snapshot("main").await.unwrap().version();
    rows(&f.ctx, "SELECT * FROM create_branch('f')").await;
    f.graph
        .load_ndjson(
            "f",
            r#"{"edge":"Knows","from":"carol","to":"alice"}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    let n = |sql: &'static str| {
        let ctx = f.ctx.clone();
        async move { table(&ctx, sql).await }
    };
    assert!(
        n("SELECT count(*) AS n FROM neighbors('knows', 'carol')")
            .await
            .contains("| 0 |")
    );
    f.graph_ctx.update_settings(|s| s.branch = "f".into());
    assert!(
        n("SELECT count(*) AS n FROM neighbors('knows', 'carol')")
            .await
            .contains("| 1 |")
    );
    f.graph_ctx.update_settings(|s| {
        s.branch = "main".into();
        s.as_of = Some(before.to_string());
    });
    f.graph
        .load_ndjson(
            "main",
            r#"{"edge":"Knows","from":"carol","to":"bob"}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        n("SELECT count(*) AS n FROM neighbors('knows', 'carol')")
            .await
            .contains("| 0 |")
    );
    f.graph_ctx.update_settings(|s| s.as_of = None);
    assert!(
        n("SELECT count(*) AS n FROM neighbors('knows', 'carol')")
            .await
            .contains("| 1 |")
    );
}
