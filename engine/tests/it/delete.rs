//! Deleting by id: cascades to incident edges, one commit, `@card` minimums kept.

use omnigraph_engine::{Error, Graph, IntegrityViolation, LoadMode};

use crate::common::*;

#[tokio::test]
async fn deleting_nodes_takes_their_edges_in_one_commit() {
    let (_dir, graph) = loaded_graph().await;
    let before = graph.commits("main").await.unwrap().len();
    let out = graph
        .delete_ids("main", "person", &["bob".into(), "nobody".into()], &opts())
        .await
        .unwrap();
    assert_eq!(out.tables.get("person"), Some(&1));
    assert_eq!(out.tables.get("knows"), Some(&1));
    assert_eq!(graph.commits("main").await.unwrap().len(), before + 1);
    assert_eq!(ids(&graph, "main", "person").await, ["alice"]);
    let none = graph
        .delete_ids("main", "person", &["nobody".into()], &opts())
        .await
        .unwrap();
    assert!(none.commit.is_none(), "nothing matched, nothing committed");
}

#[tokio::test]
async fn card_minimums_hold_for_the_nodes_that_stay() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    let schema = "node Person { name: String @key }\nnode Company { name: String @key }\nedge WorksAt: Person -> Company @card(1..2)\n";
    graph.apply_schema("main", schema, &opts()).await.unwrap();
    let data = r#"{"type":"Person","data":{"name":"ann"}}
{"type":"Company","data":{"name":"acme"}}
{"type":"Company","data":{"name":"globex"}}
{"edge":"WorksAt","from":"ann","to":"acme"}
{"edge":"WorksAt","from":"ann","to":"globex"}"#;
    graph
        .load_ndjson("main", data, LoadMode::Append, &opts())
        .await
        .unwrap();
    // Losing one of two jobs keeps ann at the minimum; losing both does not.
    graph
        .delete_ids("main", "company", &["globex".into()], &opts())
        .await
        .unwrap();
    let err = graph
        .delete_ids("main", "company", &["acme".into()], &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Integrity(IntegrityViolation::Cardinality {
                count: 0,
                min: 1,
                ..
            })
        ),
        "{err}"
    );
    // Deleting ann herself takes her edges along: nobody is left below the minimum.
    graph
        .delete_ids("main", "person", &["ann".into()], &opts())
        .await
        .unwrap();
    assert!(ids(&graph, "main", "works_at").await.is_empty());
}
