use omnigraph_engine::{Graph, LoadMode, OpenMode};

use crate::common::*;

#[tokio::test]
async fn a_reader_pinned_before_a_write_keeps_seeing_the_old_data() {
    let (_dir, graph) = loaded_graph().await;
    let pinned = graph.snapshot("main").await.unwrap();
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        strings(&pinned.read_all("person").await.unwrap(), "id"),
        ["alice", "bob"]
    );
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol"]
    );
}

#[tokio::test]
async fn repeat_snapshots_reuse_cached_state_and_handles() {
    let (_dir, graph) = loaded_graph().await;
    let a = graph.snapshot("main").await.unwrap();
    a.read_all("person").await.unwrap();
    let sizes = graph.cache_sizes();
    for _ in 0..5 {
        let s = graph.snapshot("main").await.unwrap();
        assert_eq!(s.version(), a.version());
        s.read_all("person").await.unwrap();
    }
    assert_eq!(
        graph.cache_sizes(),
        sizes,
        "no new states or dataset handles for the same version"
    );
    let d1 = a.dataset("person").await.unwrap();
    let d2 = graph
        .snapshot("main")
        .await
        .unwrap()
        .dataset("person")
        .await
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&d1, &d2));
}

#[tokio::test]
async fn a_second_handle_sees_commits_of_the_first() {
    let (dir, graph) = loaded_graph().await;
    let reader = Graph::open_with(dir.path().to_str().unwrap(), OpenMode::ReadOnly)
        .await
        .unwrap();
    assert_eq!(ids(&reader, "main", "person").await, ["alice", "bob"]);
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        ids(&reader, "main", "person").await,
        ["alice", "bob", "carol"]
    );
    let err = reader
        .load_ndjson("main", &person_line("dan", 1), LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, omnigraph_engine::Error::ReadOnly));
}

#[tokio::test]
async fn opening_a_missing_graph_or_creating_twice_fails_clearly() {
    let dir = tempfile::TempDir::new().unwrap();
    let root = dir.path().join("g");
    let err = Graph::open(root.to_str().unwrap()).await.unwrap_err();
    assert!(
        matches!(err, omnigraph_engine::Error::GraphNotFound(_)),
        "{err}"
    );
    Graph::create(root.to_str().unwrap()).await.unwrap();
    let err = Graph::create(root.to_str().unwrap()).await.unwrap_err();
    assert!(
        matches!(err, omnigraph_engine::Error::GraphExists(_)),
        "{err}"
    );
    let reopened = Graph::open(root.to_str().unwrap()).await.unwrap();
    assert!(reopened.snapshot("main").await.unwrap().schema().is_empty());
}

#[tokio::test]
async fn unknown_tables_are_errors() {
    let (_dir, graph) = loaded_graph().await;
    let snap = graph.snapshot("main").await.unwrap();
    let err = snap.dataset("robots").await.unwrap_err();
    assert!(
        matches!(err, omnigraph_engine::Error::UnknownTable(_)),
        "{err}"
    );
    // Lookup is case-insensitive and accepts declared names.
    snap.dataset("WorksAt").await.unwrap();
    snap.dataset("PERSON").await.unwrap();
}
