use std::time::Duration;

use omnigraph_engine::{Error, GraphRef, LoadMode};

use crate::common::*;

#[tokio::test]
async fn the_commit_log_records_every_write() {
    let (_dir, graph) = loaded_graph().await;
    let mut o = opts();
    o.actor = "tester".into();
    o.message = Some("add carol".into());
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &o)
        .await
        .unwrap();
    let log = graph.commits("main").await.unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.actor, "tester");
    assert_eq!(last.message, "add carol");
    assert_eq!(last.branch, "main");
    assert_eq!(last.parents, vec![log[log.len() - 2].commit_id.clone()]);
    let versions: Vec<u64> = log.iter().map(|c| c.graph_version).collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(versions, sorted);
}

#[tokio::test]
async fn time_travel_by_commit_id_version_and_timestamp() {
    let (_dir, graph) = loaded_graph().await;
    let first = graph.snapshot("main").await.unwrap();
    let first_commit = first.head_commit().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();

    let by_commit = graph.snapshot_at_text("main", &first_commit).await.unwrap();
    let by_version = graph
        .snapshot_at_text("main", &first.version().to_string())
        .await
        .unwrap();
    let by_time = graph
        .snapshot_at_text("main", &between.to_rfc3339())
        .await
        .unwrap();
    for snap in [&by_commit, &by_version, &by_time] {
        assert_eq!(snap.version(), first.version());
        assert_eq!(
            strings(&snap.read_all("person").await.unwrap(), "id"),
            ["alice", "bob"]
        );
    }
    assert!(matches!(
        graph.parse_ref(&first_commit).await.unwrap(),
        GraphRef::Commit(_)
    ));
    assert!(matches!(
        graph.parse_ref("main").await.unwrap(),
        GraphRef::Branch(_)
    ));
    assert!(matches!(
        graph.parse_ref("2024-01-01").await.unwrap(),
        GraphRef::Timestamp(_)
    ));
}

#[tokio::test]
async fn unknown_refs_are_errors() {
    let (_dir, graph) = loaded_graph().await;
    for r in ["999", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "1999-01-01", "what"] {
        let err = graph.snapshot_at_text("main", r).await.unwrap_err();
        assert!(matches!(err, Error::UnknownRef(_)), "{r}: {err}");
    }
}

#[tokio::test]
async fn a_branch_reads_its_own_history_by_version() {
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("f", None).await.unwrap();
    let fork_version = graph.snapshot("f").await.unwrap().version();
    graph
        .load_ndjson("f", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    let back = graph
        .snapshot_at_text("f", &fork_version.to_string())
        .await
        .unwrap();
    assert_eq!(
        strings(&back.read_all("person").await.unwrap(), "id"),
        ["alice", "bob"]
    );
    let commits = graph.commits("f").await.unwrap();
    assert_eq!(commits.last().unwrap().branch, "f");
}

/// Commits are read incrementally per branch; a branch's list never takes in another
/// branch's later commits, whose manifest fragments may carry the same ids.
#[tokio::test]
async fn each_branch_lists_its_own_commits_as_both_move_on() {
    let (_dir, graph) = loaded_graph().await;
    let main_before = graph.commits("main").await.unwrap();
    graph.create_branch("b", None).await.unwrap();
    for i in 0..3 {
        let line = person_line(&format!("m{i}"), i);
        graph
            .load_ndjson("main", &line, LoadMode::Merge, &opts())
            .await
            .unwrap();
        let line = person_line(&format!("b{i}"), i);
        graph
            .load_ndjson("b", &line, LoadMode::Merge, &opts())
            .await
            .unwrap();
        let on_main = graph.commits("main").await.unwrap();
        let on_b = graph.commits("b").await.unwrap();
        assert_eq!(on_main.len(), main_before.len() + i as usize + 1);
        assert_eq!(on_b.len(), main_before.len() + i as usize + 1);
        assert!(
            on_b.iter()
                .all(|c| c.branch == "b" || main_before.contains(c))
        );
        assert!(on_main.iter().all(|c| c.branch == "main"));
    }
    graph.optimize("main", None, &opts()).await.unwrap();
    assert_eq!(
        graph.commits("main").await.unwrap().len(),
        main_before.len() + 4
    );
}
