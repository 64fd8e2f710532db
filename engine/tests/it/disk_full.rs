//! A full disk during a write: the write fails with the operating system's "no space"
//! error, commits nothing (every branch reads as before, in this process and after a
//! reopen), and with space again the same write succeeds whole.
//!
//! The graph lives on a small tmpfs. A ballast file leaves a chosen number of bytes
//! free, so one write runs out of space at a different step each attempt: in a data
//! file, an index, a Lance manifest, the recovery sidecar or the graph manifest.

use std::collections::BTreeMap;
use std::path::Path;

use omnigraph_engine::testing::SmallDisk;
use omnigraph_engine::{CleanupPolicy, Error, Graph, LoadMode};
use tempfile::TempDir;

use crate::common::*;

/// Bytes left free before successive attempts: none, then from one page up, each step
/// half again the last, so the attempts run out of space at different steps of a write.
fn free_steps() -> Vec<u64> {
    let mut steps: Vec<u64> = vec![0, 4 << 10];
    while *steps.last().unwrap() < 4 << 20 {
        let next = steps.last().unwrap() * 3 / 2;
        steps.push(next.div_ceil(4096) * 4096);
    }
    steps
}

/// The writes under test, each set up by `prepare` on a fresh graph.
#[derive(Debug, Clone, Copy)]
enum Write {
    /// Nodes and edges of several tables in one load.
    Load,
    /// A new node type and a new property.
    SchemaChange,
    /// A branch's rows, updates and a delete merged into main.
    Merge,
    /// A node and its edges removed together.
    CascadingDelete,
    /// Many small commits compacted into one.
    Optimize,
    /// Old versions removed.
    Cleanup,
}

fn people(from: usize, to: usize) -> String {
    let mut lines = String::new();
    for i in from..to {
        lines.push_str(&person_line(&format!("p{i}"), i as i32));
        lines.push('\n');
        if i > from {
            lines.push_str(&format!(
                "{{\"edge\":\"Knows\",\"from\":\"p{i}\",\"to\":\"p{}\"}}\n",
                i - 1
            ));
        }
    }
    lines
}

async fn prepare(graph: &Graph, write: Write) {
    graph.apply_schema("main", SOCIAL, &opts()).await.unwrap();
    graph
        .load_ndjson("main", PEOPLE, LoadMode::Append, &opts())
        .await
        .unwrap();
    match write {
        Write::Load | Write::SchemaChange | Write::CascadingDelete => {
            let lines = people(0, 40);
            graph
                .load_ndjson("main", &lines, LoadMode::Append, &opts())
                .await
                .unwrap();
        }
        Write::Merge => {
            graph.create_branch("feature", None).await.unwrap();
            graph
                .load_ndjson("feature", &people(0, 60), LoadMode::Merge, &opts())
                .await
                .unwrap();
            graph
                .load_ndjson("feature", &person_line("bob", 26), LoadMode::Merge, &opts())
                .await
                .unwrap();
            graph
                .delete_ids("feature", "person", &["p7".to_string()], &opts())
                .await
                .unwrap();
        }
        Write::Optimize | Write::Cleanup => {
            for i in 0..16 {
                graph
                    .load_ndjson("main", &people(i * 5, i * 5 + 5), LoadMode::Merge, &opts())
                    .await
                    .unwrap();
            }
        }
    }
}

async fn run(graph: &Graph, write: Write) -> Result<(), Error> {
    match write {
        Write::Load => {
            graph
                .load_ndjson("main", &people(100, 400), LoadMode::Append, &opts())
                .await?;
        }
        Write::SchemaChange => {
            let schema = format!(
                "{SOCIAL}node City {{ name: String @key, population: I64? }}\n\
                 edge LivesIn: Person -> City\n"
            )
            .replace(
                "email: String? @unique",
                "email: String? @unique, nickname: String?",
            );
            graph.apply_schema("main", &schema, &opts()).await?;
        }
        Write::Merge => {
            graph.merge("feature", "main", &opts()).await?;
        }
        Write::CascadingDelete => {
            let ids: Vec<String> = (5..25).map(|i| format!("p{i}")).collect();
            graph.delete_ids("main", "person", &ids, &opts()).await?;
        }
        Write::Optimize => {
            graph.optimize("main", None, &opts()).await?;
        }
        Write::Cleanup => {
            graph
                .cleanup(&CleanupPolicy {
                    keep_versions: Some(2),
                    older_than: None,
                })
                .await?;
        }
    }
    Ok(())
}

type Heads = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// What the head of every branch reads, without the `skipped` columns.
async fn heads(graph: &Graph, skipped: &[&str]) -> Heads {
    let mut out = Heads::new();
    for branch in graph.branch_names().await.unwrap() {
        let snapshot = graph.snapshot(&branch).await.unwrap();
        out.insert(branch, contents_except(&snapshot, skipped).await);
    }
    out
}

/// What `write` leaves on a disk with room: what a run on the small disk must end at.
async fn expected_after(write: Write) -> Heads {
    let dir = TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    prepare(&graph, write).await;
    run(&graph, write).await.unwrap();
    heads(&graph, &["id"]).await
}

fn is_disk_full(err: &Error) -> bool {
    err.io_cause()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
}

/// Runs `write` with less and less of the disk full until it succeeds; every failed
/// attempt must be a "no space" error that changed nothing.
async fn fails_whole_or_succeeds_whole(write: Write) {
    let dir = TempDir::new().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path(), 48 << 20) else {
        return;
    };
    let root = dir.path().join("graph").to_str().unwrap().to_string();
    let graph = Graph::create(&root).await.unwrap();
    prepare(&graph, write).await;
    let before = heads(&graph, &[]).await;
    let mut failures = Vec::new();
    let steps = free_steps();
    let mut undo_pending = 0;
    for &free in &steps {
        disk.leave_free(free);
        let outcome = run(&graph, write).await;
        disk.free_all();
        match outcome {
            Ok(()) => break,
            Err(e) => {
                assert!(
                    is_disk_full(&e),
                    "{write:?} with {free} bytes free: not a disk-full error: {e}"
                );
                assert_eq!(heads(&graph, &[]).await, before, "{write:?}, {free} free");
                let reopened = Graph::open(&root).await.unwrap();
                assert_eq!(
                    heads(&reopened, &[]).await,
                    before,
                    "{write:?} reopened after failing with {free} bytes free"
                );
                undo_pending += usize::from(matches!(e, Error::UndoPending { .. }));
                failures.push(free);
            }
        }
    }
    // Cleanup only removes files, so a full disk need not stop it: it is how space is
    // won back.
    assert!(
        failures.first() == Some(&0) || matches!(write, Write::Cleanup),
        "{write:?} succeeded on a full disk"
    );
    if failures.len() == steps.len() {
        run(&graph, write).await.unwrap();
    }
    eprintln!(
        "{write:?} failed cleanly with {failures:?} bytes free ({undo_pending} left its undo for later)"
    );
    let expected = expected_after(write).await;
    assert_eq!(heads(&graph, &["id"]).await, expected, "{write:?}");
    let reopened = Graph::open(&root).await.unwrap();
    assert_eq!(
        heads(&reopened, &["id"]).await,
        expected,
        "{write:?} reopened"
    );
    drop((graph, reopened));
    assert!(Path::new(&root).exists());
}

#[tokio::test]
async fn a_load_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::Load).await;
}

#[tokio::test]
async fn a_schema_change_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::SchemaChange).await;
}

#[tokio::test]
async fn a_merge_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::Merge).await;
}

#[tokio::test]
async fn a_cascading_delete_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::CascadingDelete).await;
}

#[tokio::test]
async fn optimize_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::Optimize).await;
}

#[tokio::test]
async fn cleanup_on_a_full_disk_fails_whole() {
    fails_whole_or_succeeds_whole(Write::Cleanup).await;
}
