use omnigraph_engine::{Error, Graph, LoadMode};

use crate::common::*;

#[tokio::test]
async fn a_write_on_a_branch_is_invisible_on_main_and_other_branches() {
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("feature", None).await.unwrap();
    graph.create_branch("other", None).await.unwrap();
    graph
        .load_ndjson(
            "feature",
            &person_line("carol", 1),
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(
        ids(&graph, "feature", "person").await,
        ["alice", "bob", "carol"]
    );
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
    assert_eq!(ids(&graph, "other", "person").await, ["alice", "bob"]);
    graph
        .load_ndjson("main", &person_line("dan", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        ids(&graph, "feature", "person").await,
        ["alice", "bob", "carol"]
    );
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob", "dan"]);
}

#[tokio::test]
async fn tables_fork_lazily_on_first_write() {
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let snap = graph.snapshot("feature").await.unwrap();
    assert!(
        snap.table_entries().all(|e| e.lance_branch.is_none()),
        "nothing forked yet"
    );
    graph
        .load_ndjson(
            "feature",
            &person_line("carol", 1),
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    let snap = graph.snapshot("feature").await.unwrap();
    for e in snap.table_entries() {
        let forked = e
            .lance_branch
            .as_deref()
            .is_some_and(|b| b.starts_with("feature/fork-"));
        assert_eq!(
            forked,
            e.name == "person",
            "{}: {:?}",
            e.name,
            e.lance_branch
        );
    }
}

#[tokio::test]
async fn branches_are_listed_created_from_refs_and_deleted() {
    let (_dir, graph) = loaded_graph().await;
    let v_loaded = graph.snapshot("main").await.unwrap().version();
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    let info = graph
        .create_branch("old", Some(&v_loaded.to_string()))
        .await
        .unwrap();
    assert_eq!(
        info.created_from.as_deref(),
        Some(format!("main@{v_loaded}").as_str())
    );
    assert_eq!(ids(&graph, "old", "person").await, ["alice", "bob"]);
    graph.create_branch("team/x", Some("old")).await.unwrap();
    let names: Vec<_> = graph
        .branches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["main", "old", "team/x"]);

    let err = graph.delete_branch("old").await.unwrap_err();
    assert!(err.to_string().contains("team/x"), "{err}");
    graph.delete_branch("team/x").await.unwrap();
    graph.delete_branch("old").await.unwrap();
    let names: Vec<_> = graph
        .branches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["main"]);
    assert!(matches!(
        graph.snapshot("old").await.unwrap_err(),
        Error::UnknownBranch(_)
    ));
}

#[tokio::test]
async fn a_deleted_branch_can_be_recreated_fresh() {
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("f", None).await.unwrap();
    graph
        .load_ndjson("f", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    graph.delete_branch("f").await.unwrap();
    // Same name, same fork version, different content: nothing cached may leak through.
    graph.create_branch("f", None).await.unwrap();
    assert_eq!(ids(&graph, "f", "person").await, ["alice", "bob"]);
    graph
        .load_ndjson(
            "f",
            r#"{"type":"Company","data":{"name":"initech"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&graph, "f", "person").await, ["alice", "bob"]);
    assert_eq!(ids(&graph, "f", "company").await, ["acme", "initech"]);
    graph
        .load_ndjson("f", &person_line("erin", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(ids(&graph, "f", "person").await, ["alice", "bob", "erin"]);
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
}

#[tokio::test]
async fn concurrent_first_writes_on_a_branch_never_destroy_each_other() {
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("f", None).await.unwrap();
    let (a, b, o) = (person_line("carol", 1), person_line("dave", 2), opts());
    let (ra, rb) = tokio::join!(
        graph.load_ndjson("f", &a, LoadMode::Append, &o),
        graph.load_ndjson("f", &b, LoadMode::Append, &o),
    );
    let people = ids(&graph, "f", "person").await;
    assert_eq!(
        people.contains(&"carol".to_string()),
        ra.is_ok(),
        "{ra:?} {people:?}"
    );
    assert_eq!(
        people.contains(&"dave".to_string()),
        rb.is_ok(),
        "{rb:?} {people:?}"
    );
    assert!(ra.is_ok() || rb.is_ok());
    // Whatever lost, the branch keeps taking writes.
    graph
        .load_ndjson("f", &person_line("erin", 3), LoadMode::Append, &o)
        .await
        .unwrap();
}

#[tokio::test]
async fn branch_names_are_validated() {
    let (_dir, graph) = loaded_graph().await;
    // The schema names of the SQL layer, reserved as it reserves them.
    graph.reserve_names(["public", "omnigraph", "pg_catalog", "information_schema"]);
    for bad in [
        "",
        "main",
        "public",
        "a b",
        "x..y",
        "/x",
        "x/",
        "omnigraph",
        "a;b",
    ] {
        let err = graph.create_branch(bad, None).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidBranchName { .. } | Error::BranchExists(_)
            ),
            "{bad}: {err}"
        );
    }
    graph.create_branch("dup", None).await.unwrap();
    assert!(matches!(
        graph.create_branch("dup", None).await.unwrap_err(),
        Error::BranchExists(_)
    ));
    assert!(matches!(
        graph.delete_branch("main").await.unwrap_err(),
        Error::CannotDeleteMain
    ));
    assert!(matches!(
        graph.delete_branch("nope").await.unwrap_err(),
        Error::UnknownBranch(_)
    ));
    assert!(matches!(
        graph
            .create_branch("x", Some("no-such-ref"))
            .await
            .unwrap_err(),
        Error::UnknownRef(_)
    ));
}

#[tokio::test]
async fn reserved_names_are_refused_as_branch_and_type_names() {
    let (_dir, graph) = loaded_graph().await;
    assert!(omnigraph_engine::validate_branch_name("omnigraph").is_ok());
    graph.create_branch("public", None).await.unwrap();

    graph.reserve_names(["Omnigraph", "pg_catalog"]);
    graph.reserve_names(["omnigraph"]);
    assert_eq!(graph.reserved_names(), ["omnigraph", "pg_catalog"]);
    let clone = graph.clone();
    for name in ["omnigraph", "OmniGraph", "PG_CATALOG"] {
        assert!(
            matches!(
                clone.create_branch(name, None).await.unwrap_err(),
                Error::InvalidBranchName { .. }
            ),
            "{name}"
        );
        assert!(graph.validate_branch_name(name).is_err(), "{name}");
    }
    graph.validate_branch_name("feature").unwrap();

    let schema = format!("{SOCIAL}node PgCatalog {{ name: String @key }}\n");
    let err = graph
        .apply_schema("main", &schema, &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SchemaParse { .. }), "{err}");
    assert!(err.to_string().contains("reserved"), "{err}");
}

#[tokio::test]
async fn branches_survive_reopen() {
    let (dir, graph) = loaded_graph().await;
    graph.create_branch("feature", None).await.unwrap();
    graph
        .load_ndjson(
            "feature",
            &person_line("carol", 1),
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_eq!(
        ids(&graph, "feature", "person").await,
        ["alice", "bob", "carol"]
    );
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
}
