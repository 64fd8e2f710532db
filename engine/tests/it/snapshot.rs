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

/// A head as the tests compare it: version, head commit and every table entry.
type Head = (u64, Option<String>, String);

async fn head_of(graph: &Graph, branch: &str) -> Head {
    let s = graph.snapshot(branch).await.unwrap();
    let entries = format!("{:?}", s.table_entries().collect::<Vec<_>>());
    (s.version(), s.head_commit().map(str::to_string), entries)
}

/// What a fresh handle reads from storage for the head of `branch`.
async fn head_as_read_back(dir: &std::path::Path, branch: &str) -> Head {
    let reader = Graph::open_with(dir.to_str().unwrap(), OpenMode::ReadOnly)
        .await
        .unwrap();
    head_of(&reader, branch).await
}

#[tokio::test]
async fn the_writer_knows_each_head_it_publishes_as_storage_has_it() {
    let (dir, graph) = loaded_graph().await;
    // Every kind of publish: appends, deletes (with a cascade), a schema change, a
    // branch's first write and a merge; each one builds on the state the last one left.
    for i in 0..12 {
        graph
            .load_ndjson(
                "main",
                &person_line(&format!("p{i}"), i),
                LoadMode::Append,
                &opts(),
            )
            .await
            .unwrap();
        if i % 4 == 3 {
            graph
                .delete_ids("main", "person", &[format!("p{}", i - 1)], &opts())
                .await
                .unwrap();
        }
        assert_eq!(
            head_of(&graph, "main").await,
            head_as_read_back(dir.path(), "main").await
        );
    }
    graph
        .delete_ids("main", "person", &["alice".to_string()], &opts())
        .await
        .unwrap();
    graph
        .apply_schema(
            "main",
            &format!("{SOCIAL}node Pet {{ name: String @key }}\n"),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(
        head_of(&graph, "main").await,
        head_as_read_back(dir.path(), "main").await
    );
    assert!(
        graph
            .snapshot("main")
            .await
            .unwrap()
            .schema()
            .table("pet")
            .is_some()
    );

    graph.create_branch("side", None).await.unwrap();
    graph
        .load_ndjson("side", &person_line("zed", 9), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        head_of(&graph, "side").await,
        head_as_read_back(dir.path(), "side").await
    );
    graph.merge("side", "main", &opts()).await.unwrap();
    assert_eq!(
        head_of(&graph, "main").await,
        head_as_read_back(dir.path(), "main").await
    );

    let mut people = ids(&graph, "main", "person").await;
    people.sort();
    let expected = [
        "bob", "p0", "p1", "p11", "p3", "p4", "p5", "p7", "p8", "p9", "zed",
    ];
    assert_eq!(people, expected);
    let reopened = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    let mut people = ids(&reopened, "main", "person").await;
    people.sort();
    assert_eq!(people, expected);
    assert_eq!(
        graph.commits("main").await.unwrap().len(),
        reopened.commits("main").await.unwrap().len()
    );
}
