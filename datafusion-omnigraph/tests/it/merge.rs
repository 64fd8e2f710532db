//! `merge`, `merge_conflicts` and `diff` through SQL.

use omnigraph_engine::{LoadMode, WriteOptions};

use crate::common::*;

async fn load(f: &Fixture, branch: &str, text: &str) {
    f.graph
        .load_ndjson(branch, text, LoadMode::Merge, &WriteOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn merge_procedure_reports_outcome_and_changes() {
    let f = fixture().await;
    table(&f.ctx, "SELECT * FROM create_branch('feature')").await;
    load(
        &f,
        "feature",
        r#"{"type":"Person","data":{"name":"dora","age":7}}"#,
    )
    .await;
    // Planning (EXPLAIN) does not merge.
    table(&f.ctx, "EXPLAIN SELECT * FROM merge('feature')").await;
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    let t = table(
        &f.ctx,
        "SELECT outcome, inserted, updated, deleted FROM merge('feature')",
    )
    .await;
    assert!(
        t.contains("| fast_forward | 1        | 0       | 0       |"),
        "{t}"
    );
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 4 |")
    );
    let t = table(&f.ctx, "SELECT outcome FROM merge('feature', 'main')").await;
    assert!(t.contains("| up_to_date |"), "{t}");

    // Both sides change: a merge commit with two parents.
    load(&f, "feature", r#"{"type":"Person","data":{"name":"erin"}}"#).await;
    load(&f, "main", r#"{"type":"Person","data":{"name":"fred"}}"#).await;
    let t = table(&f.ctx, "SELECT outcome, commit_id FROM merge('feature')").await;
    assert!(t.contains("| merged "), "{t}");
    let t = table(
        &f.ctx,
        "SELECT parent_ids LIKE '%,%' AS two_parents FROM omnigraph.commits \
         WHERE commit_id = (SELECT head_commit FROM omnigraph.branches WHERE name = 'main')",
    )
    .await;
    assert!(t.contains("| true        |"), "{t}");
}

#[tokio::test]
async fn merge_conflicts_lists_conflicts_and_merge_fails_with_them() {
    let f = fixture().await;
    table(&f.ctx, "SELECT * FROM create_branch('feature')").await;
    load(
        &f,
        "feature",
        r#"{"type":"Person","data":{"name":"alice","age":31,"city":"paris"}}"#,
    )
    .await;
    load(
        &f,
        "main",
        r#"{"type":"Person","data":{"name":"alice","age":32,"city":"paris"}}"#,
    )
    .await;
    let t = table(
        &f.ctx,
        "SELECT table_name, id, kind, ours, theirs FROM merge_conflicts('feature')",
    )
    .await;
    assert!(
        t.contains("| person     | alice | divergent_update |"),
        "{t}"
    );
    assert!(t.contains("\"age\":32") && t.contains("\"age\":31"), "{t}");
    let before = table(&f.ctx, "SELECT count(*) AS n FROM omnigraph.commits").await;
    let e = error(&f.ctx, "SELECT * FROM merge('feature')").await;
    assert!(e.contains("merge conflict: 1 conflicting entity"), "{e}");
    assert!(e.contains("divergent_update person 'alice'"), "{e}");
    assert_eq!(
        table(&f.ctx, "SELECT count(*) AS n FROM omnigraph.commits").await,
        before,
        "a failed merge publishes nothing"
    );
    let e = error(&f.ctx, "SELECT * FROM merge('nope')").await;
    assert!(e.contains("unknown branch 'nope'"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM merge()").await;
    assert!(e.contains("merge() takes 1 to 2 arguments"), "{e}");
}

#[tokio::test]
async fn diff_returns_net_changes_with_row_columns() {
    let f = fixture().await;
    let version = f.graph.snapshot("main").await.unwrap().version();
    load(
        &f,
        "main",
        r#"{"type":"Person","data":{"name":"dora","age":7}}"#,
    )
    .await;
    load(
        &f,
        "main",
        r#"{"type":"Person","data":{"name":"alice","age":31,"city":"paris"}}"#,
    )
    .await;
    let t = table(
        &f.ctx,
        &format!("SELECT change, id, age FROM diff('person', {version}, 'main') ORDER BY id"),
    )
    .await;
    assert!(t.contains("| update | alice | 31  |"), "{t}");
    assert!(t.contains("| insert | dora  | 7   |"), "{t}");
    assert_eq!(t.lines().count(), 6, "{t}");
    table(&f.ctx, "SELECT * FROM create_branch('feature')").await;
    load(
        &f,
        "feature",
        r#"{"edge":"Knows","from":"carol","to":"alice"}"#,
    )
    .await;
    let t = table(
        &f.ctx,
        "SELECT change, src, dst FROM diff('knows', 'main', 'feature')",
    )
    .await;
    assert!(t.contains("| insert | carol | alice |"), "{t}");
    let e = error(&f.ctx, "SELECT * FROM diff('nope', 'main', 'main')").await;
    assert!(e.contains("unknown table 'nope'"), "{e}");
}
