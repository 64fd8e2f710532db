//! `optimize` and `cleanup`: compaction leaves every read unchanged, cleanup removes only
//! what no kept version reaches, and a removed version is a clear error.

use std::collections::BTreeMap;
use std::path::Path;

use omnigraph_engine::{CleanupPolicy, Error, Graph, LoadMode};

use crate::common::*;

type Reads = BTreeMap<(String, u64), BTreeMap<String, Vec<String>>>;

/// What every version of every branch reads now.
async fn every_read(graph: &Graph) -> Reads {
    let mut reads = Reads::new();
    for branch in graph.branch_names().await.unwrap() {
        let head = graph.snapshot(&branch).await.unwrap().version();
        for version in 1..=head {
            if let Ok(snapshot) = graph.snapshot_at_version(&branch, version).await {
                reads.insert((branch.clone(), version), contents(&snapshot).await);
            }
        }
    }
    reads
}

/// Each version read before reads the same now, or is a removed version whose error
/// names a readable oldest version. Returns how many read the same.
async fn assert_reads_unchanged(graph: &Graph, before: &Reads) -> usize {
    let mut same = 0;
    for ((branch, version), expected) in before {
        match graph.snapshot_at_version(branch, *version).await {
            Ok(snapshot) => {
                assert_eq!(&contents(&snapshot).await, expected, "{branch}@{version}");
                same += 1;
            }
            Err(Error::VersionRemoved { oldest, .. }) => {
                assert_ne!(oldest, *version, "{branch}@{version}");
                graph.snapshot_at_version(branch, oldest).await.unwrap();
            }
            Err(e) => panic!("{branch}@{version}: {e}"),
        }
    }
    same
}

async fn fragments(graph: &Graph, branch: &str, table: &str) -> usize {
    let snapshot = graph.snapshot(branch).await.unwrap();
    snapshot
        .dataset(table)
        .await
        .unwrap()
        .manifest
        .fragments
        .len()
}

/// Every index segment of `table` together covers every fragment.
async fn indexes_cover_everything(graph: &Graph, branch: &str, table: &str) {
    use omnigraph_engine::lance::index::DatasetIndexExt;
    let ds = graph
        .snapshot(branch)
        .await
        .unwrap()
        .dataset(table)
        .await
        .unwrap();
    let indices = ds.load_indices().await.unwrap();
    let mut names: Vec<&str> = indices.iter().map(|i| i.name.as_str()).collect();
    names.dedup();
    assert!(!names.is_empty());
    for name in names {
        let covered: std::collections::BTreeSet<u32> = indices
            .iter()
            .filter(|i| i.name == name)
            .flat_map(|i| i.fragment_bitmap.iter().flat_map(|b| b.iter()))
            .collect();
        for f in ds.manifest.fragments.iter() {
            assert!(
                covered.contains(&(f.id as u32)),
                "{table}.{name} misses fragment {}",
                f.id
            );
        }
    }
}

async fn insert_person(graph: &Graph, branch: &str, name: &str, age: i32) {
    graph
        .load_ndjson(branch, &person_line(name, age), LoadMode::Merge, &opts())
        .await
        .unwrap();
}

fn disk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() {
            disk_bytes(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// A graph with a history of small commits on main and on a branch forked midway.
async fn small_commits() -> (tempfile::TempDir, Graph) {
    let (dir, graph) = loaded_graph().await;
    for i in 0..12 {
        insert_person(&graph, "main", &format!("p{i}"), i).await;
    }
    graph.create_branch("feature", None).await.unwrap();
    for i in 0..3 {
        insert_person(&graph, "feature", &format!("f{i}"), 50 + i).await;
    }
    // Updates and deletes leave deletion vectors for compaction to drop.
    insert_person(&graph, "main", "p3", 99).await;
    graph
        .delete_ids("main", "person", &["p5".to_string()], &opts())
        .await
        .unwrap();
    insert_person(&graph, "main", "p12", 12).await;
    (dir, graph)
}

#[tokio::test]
async fn optimize_compacts_tables_and_manifest_and_every_version_reads_the_same() {
    let (_dir, graph) = small_commits().await;
    let before = every_read(&graph).await;
    let head_before = contents(&graph.snapshot("main").await.unwrap()).await;
    assert!(fragments(&graph, "main", "person").await > 10);

    let out = graph.optimize("main", None, &opts()).await.unwrap();
    assert!(out.commit.is_some());
    let person = out.tables.iter().find(|t| t.table == "person").unwrap();
    assert!(person.fragments_before > 10, "{person:?}");
    assert_eq!(person.fragments_after, 1);
    assert_eq!(person.rows, 14, "alice, bob and p0..p12 but p5");
    assert!(out.manifest_fragments_before > 10);
    assert_eq!(out.manifest_fragments_after, 1);
    assert_eq!(fragments(&graph, "main", "person").await, 1);

    assert_eq!(
        contents(&graph.snapshot("main").await.unwrap()).await,
        head_before
    );
    assert_eq!(assert_reads_unchanged(&graph, &before).await, before.len());
    indexes_cover_everything(&graph, "main", "person").await;
    let snapshot = graph.snapshot("main").await.unwrap();
    let found = snapshot.ids_where("person", "name", ["p7"]).await.unwrap();
    assert_eq!(found.len(), 1);

    // Nothing left to do: no commit.
    let again = graph.optimize("main", None, &opts()).await.unwrap();
    assert_eq!(again.commit, None);

    // A branch forked before the compaction merges as it would have: its rows join main,
    // and none of main's rewritten rows reads as deleted.
    let merged = graph.merge("feature", "main", &opts()).await.unwrap();
    let (inserted, updated, deleted) = merged.changes["person"];
    assert_eq!((inserted, updated, deleted), (3, 0, 0), "{merged:?}");
    let people = ids(&graph, "main", "person").await;
    assert_eq!(people.len(), 17);
    assert!(people.contains(&"f2".to_string()) && people.contains(&"p3".to_string()));
}

#[tokio::test]
async fn optimize_on_a_branch_compacts_only_what_the_branch_wrote() {
    let (_dir, graph) = small_commits().await;
    let main_before = fragments(&graph, "main", "person").await;
    let out = graph.optimize("feature", None, &opts()).await.unwrap();
    let person = out.tables.iter().find(|t| t.table == "person").unwrap();
    assert_eq!(person.fragments_after, 1);
    assert!(
        out.tables.iter().all(|t| t.table != "company"),
        "main's data, read in place"
    );
    assert_eq!(fragments(&graph, "main", "person").await, main_before);
    let people = ids(&graph, "feature", "person").await;
    assert!(people.contains(&"f0".to_string()) && people.contains(&"p4".to_string()));
    // Merging the compacted branch back finds exactly its three new rows.
    let merged = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(merged.changes["person"], (3, 0, 0));
}

#[tokio::test]
async fn optimize_of_an_unknown_table_is_an_error() {
    let (_dir, graph) = loaded_graph().await;
    let err = graph
        .optimize("main", Some(&["nosuch".to_string()]), &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnknownTable(_)), "{err}");
}

#[tokio::test]
async fn writes_racing_optimize_are_never_lost() {
    let (_dir, graph) = small_commits().await;
    let writer = graph.clone();
    let writes = tokio::spawn(async move {
        for i in 0..8 {
            let _turn = writer.statement_turn().await;
            writer
                .load_ndjson(
                    "main",
                    &person_line(&format!("w{i}"), i),
                    LoadMode::Merge,
                    &opts(),
                )
                .await
                .unwrap();
        }
    });
    graph.optimize("main", None, &opts()).await.unwrap();
    writes.await.unwrap();
    let people = ids(&graph, "main", "person").await;
    for i in 0..8 {
        assert!(people.contains(&format!("w{i}")), "w{i} lost: {people:?}");
    }
    assert_eq!(people.len(), 14 + 8);
}

#[tokio::test]
async fn cleanup_keeps_what_kept_versions_read_and_removed_versions_are_clear_errors() {
    let (dir, graph) = small_commits().await;
    graph.optimize("main", None, &opts()).await.unwrap();
    let before = every_read(&graph).await;
    let bytes_before = disk_bytes(dir.path());

    let out = graph
        .cleanup(&CleanupPolicy {
            keep_versions: Some(2),
            older_than: None,
        })
        .await
        .unwrap();
    assert!(out.graph_versions_removed > 10, "{out:?}");
    assert!(out.table_versions_removed > 10, "{out:?}");
    assert!(out.swept_unreferenced);
    assert!(out.bytes_removed > 0);
    let bytes_after = disk_bytes(dir.path());
    assert!(
        bytes_after < bytes_before,
        "{bytes_after} >= {bytes_before}"
    );

    // Kept: the two newest versions of each branch and the merge base of the two.
    let same = assert_reads_unchanged(&graph, &before).await;
    assert!(
        same >= 4 && same < before.len(),
        "{same} of {}",
        before.len()
    );
    let head = graph.snapshot("main").await.unwrap().version();
    graph.snapshot_at_version("main", head - 1).await.unwrap();
    let err = graph.snapshot_at_version("main", 3).await.unwrap_err();
    assert!(
        matches!(err, Error::VersionRemoved { version: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("oldest readable version"), "{err}");

    // The full history is still listed; the branch still merges.
    assert!(graph.commits("main").await.unwrap().len() > 15);
    let merged = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(merged.changes["person"], (3, 0, 0));

    // A second cleanup finds nothing more to remove of what it kept.
    let again = graph
        .cleanup(&CleanupPolicy {
            keep_versions: Some(100),
            older_than: None,
        })
        .await
        .unwrap();
    assert_eq!(again.graph_versions_removed, 0, "{again:?}");
}

#[tokio::test]
async fn cleanup_by_age_keeps_recent_versions() {
    let (_dir, graph) = small_commits().await;
    let before = every_read(&graph).await;
    let out = graph
        .cleanup(&CleanupPolicy {
            keep_versions: None,
            older_than: Some(std::time::Duration::from_secs(3600)),
        })
        .await
        .unwrap();
    assert_eq!(out.graph_versions_removed, 0, "everything is recent");
    assert_eq!(assert_reads_unchanged(&graph, &before).await, before.len());
    let err = graph.cleanup(&CleanupPolicy::default()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[tokio::test]
async fn cleanup_removes_unreferenced_forks_datasets_and_files() {
    let (dir, graph) = small_commits().await;
    let snapshot = graph.snapshot("main").await.unwrap();
    let (_, person) = snapshot.table("person").unwrap();
    let person_dir = dir.path().join(&person.path);
    // A fork a lost race left behind, a file of a failed load, and the dataset of a table
    // that no version has.
    let mut handle = (*snapshot.dataset("person").await.unwrap()).clone();
    handle
        .create_branch(
            "feature/fork-01J0000000000000000000000",
            ("main", person.version),
            None,
        )
        .await
        .unwrap();
    let leftover = person_dir
        .join("data")
        .join("leftover-of-a-failed-load.lance");
    std::fs::write(&leftover, vec![7u8; 4096]).unwrap();
    let ghost = dir
        .path()
        .join("nodes")
        .join("ghost-01J0000000000000000000000.lance");
    std::fs::create_dir_all(ghost.join("data")).unwrap();
    std::fs::write(ghost.join("data").join("x.lance"), b"x").unwrap();
    let before = every_read(&graph).await;

    let out = graph
        .cleanup(&CleanupPolicy {
            keep_versions: Some(1000),
            older_than: None,
        })
        .await
        .unwrap();
    assert_eq!(out.forks_removed, 1, "{out:?}");
    assert_eq!(out.datasets_removed, 1, "{out:?}");
    assert!(!leftover.exists());
    assert!(!ghost.exists());
    assert_eq!(assert_reads_unchanged(&graph, &before).await, before.len());
    // The branch's own fork is referenced and stays.
    insert_person(&graph, "feature", "f9", 1).await;
}

#[tokio::test]
async fn a_reader_holding_an_old_version_keeps_it_through_cleanup() {
    let (_dir, graph) = small_commits().await;
    let old = graph.snapshot("main").await.unwrap();
    let expected = contents(&old).await;
    for i in 0..4 {
        insert_person(&graph, "main", &format!("n{i}"), i).await;
    }
    graph
        .cleanup(&CleanupPolicy {
            keep_versions: Some(1),
            older_than: None,
        })
        .await
        .unwrap();
    assert_eq!(contents(&old).await, expected);
    graph
        .snapshot_at_version("main", old.version())
        .await
        .unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 3,
        rng_seed: proptest::test_runner::RngSeed::Fixed(18),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Whatever history of writes, deletes, branches, merges and transactions came
    /// before, optimize and cleanup change no read of a kept version, and every other
    /// version is a clear error.
    #[test]
    fn optimize_and_cleanup_keep_every_kept_read(seed in 0u64..u64::MAX) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let mut mix = Mix(seed);
            let (_dir, graph) = loaded_graph().await;
            let mut branches = vec!["main".to_string()];
            for round in 0..14 {
                let branch = branches[mix.below(branches.len() as u64) as usize].clone();
                match mix.below(6) {
                    0 | 1 => {
                        let n = 1 + mix.below(3);
                        let rows: Vec<String> = (0..n)
                            .map(|_| person_line(&format!("q{}", mix.below(30)), mix.below(90) as i32))
                            .collect();
                        graph.load_ndjson(&branch, &rows.join("\n"), LoadMode::Merge, &opts()).await.unwrap();
                    }
                    2 => {
                        let id = format!("q{}", mix.below(30));
                        let _ = graph.delete_ids(&branch, "person", &[id], &opts()).await;
                    }
                    3 => {
                        let name = format!("b{round}");
                        graph.create_branch(&name, Some(&branch)).await.unwrap();
                        branches.push(name);
                    }
                    4 if branch != "main" => {
                        let _ = graph.merge(&branch, "main", &opts()).await;
                    }
                    _ => {
                        let tx = graph.create_transaction_branch(&branch).await.unwrap();
                        graph
                            .load_ndjson(&tx, &person_line(&format!("t{round}"), 1), LoadMode::Merge, &opts())
                            .await
                            .unwrap();
                        graph.merge(&tx, &branch, &opts()).await.unwrap();
                        graph.delete_branch(&tx).await.unwrap();
                    }
                }
                if mix.below(4) == 0 {
                    graph.optimize(&branch, None, &opts()).await.unwrap();
                }
            }
            let before = every_read(&graph).await;
            for branch in &branches {
                graph.optimize(branch, None, &opts()).await.unwrap();
            }
            assert_eq!(assert_reads_unchanged(&graph, &before).await, before.len());
            let mut conflicts = Vec::new();
            for branch in branches.iter().filter(|b| *b != "main") {
                conflicts.push(graph.merge_conflicts(branch, "main").await.unwrap());
            }
            let keep = 1 + mix.below(3);
            graph
                .cleanup(&CleanupPolicy { keep_versions: Some(keep), older_than: None })
                .await
                .unwrap();
            assert_reads_unchanged(&graph, &before).await;
            // Every branch still finds its merge base with main: the same conflicts as
            // before cleanup, and a merge that either lands or reports them.
            for (branch, before) in branches.iter().filter(|b| *b != "main").zip(&conflicts) {
                assert_eq!(&graph.merge_conflicts(branch, "main").await.unwrap(), before);
            }
            for branch in branches.iter().filter(|b| *b != "main") {
                match graph.merge(branch, "main", &opts()).await {
                    Ok(_) | Err(Error::MergeConflicts(_)) => {}
                    Err(e) => panic!("{branch}: {e}"),
                }
            }
            contents(&graph.snapshot("main").await.unwrap()).await;
        });
    }
}

#[tokio::test]
async fn automatic_maintenance_folds_new_fragments_and_leaves_a_branch_its_parents() {
    let (_dir, graph) = loaded_graph().await;
    for i in 0..12 {
        insert_person(&graph, "main", &format!("a{i}"), i).await;
        graph.auto_optimize("main", 4, &opts()).await.unwrap();
        assert!(fragments(&graph, "main", "person").await < 8, "after {i}");
    }
    assert_eq!(ids(&graph, "main", "person").await.len(), 14);
    // Below the threshold: nothing to do.
    let quiet = graph.auto_optimize("main", 1000, &opts()).await.unwrap();
    assert!(quiet.is_none());

    // A branch's inherited fragments and manifest are main's to fold: one write on the
    // branch does not make it rewrite them.
    for i in 0..3 {
        insert_person(&graph, "main", &format!("b{i}"), i).await;
    }
    graph.create_branch("side", None).await.unwrap();
    insert_person(&graph, "side", "s0", 1).await;
    let inherited = fragments(&graph, "side", "person").await;
    assert!(inherited >= 4, "{inherited}");
    let out = graph.auto_optimize("side", 4, &opts()).await.unwrap();
    assert!(out.is_none(), "{out:?}");
    for i in 1..6 {
        insert_person(&graph, "side", &format!("s{i}"), i).await;
    }
    let out = graph.auto_optimize("side", 4, &opts()).await.unwrap();
    assert!(out.is_some());
    assert_eq!(ids(&graph, "side", "person").await.len(), 17 + 6);
    let merged = graph.merge("side", "main", &opts()).await.unwrap();
    assert_eq!(merged.changes["person"], (6, 0, 0));
}
