use omnigraph_engine::{Error, Graph, LoadMode};

use crate::common::*;

#[tokio::test]
async fn apply_creates_one_table_per_type_in_one_commit() {
    let (_dir, graph) = social_graph().await;
    let snap = graph.snapshot("main").await.unwrap();
    let mut names: Vec<_> = snap.table_entries().map(|e| e.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["company", "knows", "person", "works_at"]);
    let commits = graph.commits("main").await.unwrap();
    assert_eq!(commits.len(), 2, "create graph + apply schema");
    assert_eq!(commits[1].graph_version, snap.version());
    let schema = snap.arrow_schema("knows").unwrap();
    let cols: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(cols, ["id", "src", "dst", "since"]);
}

#[tokio::test]
async fn reapplying_the_same_schema_is_a_no_op() {
    let (_dir, graph) = social_graph().await;
    let before = graph.snapshot("main").await.unwrap().version();
    let out = graph.apply_schema("main", SOCIAL, &opts()).await.unwrap();
    assert!(out.commit.is_none());
    assert_eq!(graph.snapshot("main").await.unwrap().version(), before);
}

#[tokio::test]
async fn additive_migration_adds_types_and_nullable_columns() {
    let (_dir, graph) = loaded_graph().await;
    let migrated = format!("{SOCIAL}\nnode City {{ name: String @key }}\n").replace(
        "email: String? @unique }",
        "email: String? @unique, nickname: String? }",
    );
    let out = graph
        .apply_schema("main", &migrated, &opts())
        .await
        .unwrap();
    assert_eq!(out.migration.new_tables, ["city"]);
    assert!(out.migration.new_columns.contains_key("person"));
    let snap = graph.snapshot("main").await.unwrap();
    let rows = snap.read_all("person").await.unwrap();
    assert_eq!(strings(&rows, "nickname"), ["<null>", "<null>"]);
    assert_eq!(strings(&rows, "id"), ["alice", "bob"]);
    graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"carol","nickname":"cc"}}
{"type":"City","data":{"name":"paris"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "city").await, ["paris"]);
    let rows = graph
        .snapshot("main")
        .await
        .unwrap()
        .read_all("person")
        .await
        .unwrap();
    assert_eq!(strings(&rows, "nickname"), ["<null>", "<null>", "cc"]);
}

#[tokio::test]
async fn refused_migrations_say_why_and_change_nothing() {
    let (_dir, graph) = loaded_graph().await;
    let before = graph.snapshot("main").await.unwrap().version();
    let required = SOCIAL.replace("age: I32?", "age: I32?, height: I32");
    let err = graph
        .apply_schema("main", &required, &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SchemaChange(_)), "{err}");
    assert!(err.to_string().contains("must be nullable"), "{err}");
    let dropped = SOCIAL.replace("node Company { name: String @key }", "");
    let err = graph
        .apply_schema("main", &dropped, &opts())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Company"), "{err}");
    assert_eq!(graph.snapshot("main").await.unwrap().version(), before);
}

#[tokio::test]
async fn schema_errors_carry_line_and_column() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    let err = graph
        .apply_schema(
            "main",
            "node A { x: String }\nedge E: A -> Missing",
            &opts(),
        )
        .await
        .unwrap_err();
    match err {
        Error::SchemaParse { line, column, .. } => assert_eq!((line, column), (2, 14)),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn the_schema_is_versioned_with_the_data() {
    let (_dir, graph) = social_graph().await;
    let v1 = graph.snapshot("main").await.unwrap().version();
    let migrated = format!("{SOCIAL}\nnode City {{ name: String @key }}\n");
    graph
        .apply_schema("main", &migrated, &opts())
        .await
        .unwrap();
    let old = graph.snapshot_at_version("main", v1).await.unwrap();
    assert!(old.schema().node("City").is_none());
    assert!(
        graph
            .snapshot("main")
            .await
            .unwrap()
            .schema()
            .node("City")
            .is_some()
    );
}
