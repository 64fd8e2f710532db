use crate::common::*;

#[tokio::test]
async fn filters_and_projection_reach_lance_and_explain_shows_them() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT name FROM person WHERE age > 26 ORDER BY name",
    )
    .await;
    assert!(
        t.contains("alice") && t.contains("carol") && !t.contains("bob"),
        "{t}"
    );
    let plan = table(&f.ctx, "EXPLAIN SELECT name FROM person WHERE age > 26").await;
    // The physical plan scans Lance with the predicate pushed and no FilterExec above it.
    let physical = plan.split("physical_plan").nth(1).unwrap_or_default();
    assert!(
        physical.contains("age > Int32(26)") || physical.contains("age > 26"),
        "{plan}"
    );
    assert!(!physical.contains("FilterExec"), "{plan}");
    // A predicate Lance is not trusted with stays in DataFusion.
    let plan = table(
        &f.ctx,
        "EXPLAIN SELECT name FROM person WHERE name LIKE 'a%'",
    )
    .await;
    assert!(
        plan.split("physical_plan")
            .nth(1)
            .unwrap()
            .contains("FilterExec"),
        "{plan}"
    );
}

#[tokio::test]
async fn limits_are_pushed_into_the_scan() {
    let f = fixture().await;
    let plan = table(&f.ctx, "EXPLAIN SELECT name FROM person LIMIT 2").await;
    assert!(
        plan.contains("limit=2") || plan.contains("fetch=2"),
        "{plan}"
    );
    assert_eq!(
        rows(&f.ctx, "SELECT name FROM person LIMIT 2")
            .await
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>(),
        2
    );
}

#[tokio::test]
async fn node_and_edge_tables_join() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT a.name AS who, b.name AS knows FROM knows k \
         JOIN person a ON k.src = a.id JOIN person b ON k.dst = b.id ORDER BY who",
    )
    .await;
    assert_eq!(
        lines(&t)[3..5],
        [
            "| alice | bob   |".to_string(),
            "| bob   | carol |".to_string()
        ],
        "{t}"
    );
}

#[tokio::test]
async fn aggregates_group_and_count() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "SELECT city, count(*) AS n, max(age) AS oldest FROM person GROUP BY city ORDER BY city",
    )
    .await;
    assert!(t.contains("| oslo  | 1 | 41     |"), "{t}");
    assert!(t.contains("| paris | 2 | 30     |"), "{t}");
}

#[tokio::test]
async fn system_tables_describe_the_graph() {
    let f = fixture().await;
    let t = table(&f.ctx, "SELECT table_name, kind, type_name, src_table, dst_table, row_count FROM omnigraph.tables ORDER BY table_name").await;
    assert!(
        t.contains("| works_at   | edge | WorksAt   | person    | company   | 1         |"),
        "{t}"
    );
    assert!(
        t.contains("| person     | node | Person    |           |           | 3         |"),
        "{t}"
    );
    let t = table(&f.ctx, "SELECT name, created_from FROM omnigraph.branches").await;
    assert!(t.contains("main"), "{t}");
    let t = table(&f.ctx, "SELECT count(*) AS n FROM omnigraph.commits").await;
    assert!(t.contains("| 3 |"), "create + schema + load: {t}");
    let t = table(&f.ctx, "SELECT source FROM omnigraph.schema").await;
    assert!(t.contains("node Person"), "{t}");
}

#[tokio::test]
async fn unknown_names_are_clear_errors() {
    let f = fixture().await;
    let e = error(&f.ctx, "SELECT * FROM robots").await;
    assert!(e.contains("robots") && e.contains("not found"), "{e}");
    let e = error(&f.ctx, "SELECT shoe_size FROM person").await;
    assert!(e.contains("shoe_size"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM nosuchbranch.person").await;
    assert!(e.contains("unknown branch 'nosuchbranch'"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM as_of('person', 'not-a-ref')").await;
    assert!(e.contains("unknown ref"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM as_of('robots', 'main')").await;
    assert!(e.contains("unknown table 'robots'"), "{e}");
}

#[tokio::test]
async fn the_session_branch_is_public_and_every_branch_is_a_schema() {
    let f = fixture().await;
    rows(&f.ctx, "SELECT * FROM create_branch('feature')").await;
    f.graph
        .load_ndjson(
            "feature",
            r#"{"type":"Person","data":{"name":"dan","age":5}}"#,
            omnigraph_engine::LoadMode::Append,
            &omnigraph_engine::WriteOptions::default(),
        )
        .await
        .unwrap();
    let count = |sql: &'static str| {
        let ctx = f.ctx.clone();
        async move { table(&ctx, sql).await }
    };
    assert!(
        count("SELECT count(*) AS n FROM feature.person")
            .await
            .contains("| 4 |")
    );
    assert!(
        count("SELECT count(*) AS n FROM main.person")
            .await
            .contains("| 3 |")
    );
    assert!(
        count("SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    f.graph_ctx.update_settings(|s| s.branch = "feature".into());
    assert!(
        count("SELECT count(*) AS n FROM person")
            .await
            .contains("| 4 |")
    );
    assert!(
        count("SELECT count(*) AS n FROM public.person")
            .await
            .contains("| 4 |")
    );
}
