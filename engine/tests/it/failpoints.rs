//! One test per crash window of the write path: crash (panic) at the window, reopen the
//! graph read-write (which runs the recovery sweep), and check all or nothing.

use omnigraph_engine::failpoints::{self, arm, disarm};
use omnigraph_engine::{Error, Graph, LoadMode, recovery};

use crate::common::*;

/// The `fail` registry is process-global: failpoint tests run one at a time, and each
/// point fires only for the graph the test armed.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A load touching two tables (`knows` commits before `person`).
const CAROL: &str = r#"{"type":"Person","data":{"name":"carol","age":3}}
{"edge":"Knows","from":"alice","to":"carol"}"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Old,
    New,
}

/// Runs the CAROL load on `branch` with `point` set to `action`; returns how it ended.
async fn load_with_fault(
    graph: &Graph,
    branch: &str,
    point: &str,
    action: &str,
) -> Result<(), String> {
    fail::cfg(point, action).unwrap();
    arm(graph.root());
    let g = graph.clone();
    let b = branch.to_string();
    let joined =
        tokio::spawn(async move { g.load_ndjson(&b, CAROL, LoadMode::Append, &opts()).await })
            .await;
    fail::remove(point);
    disarm(graph.root());
    match joined {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(join) => {
            assert!(join.is_panic(), "{join}");
            Err("crashed".to_string())
        }
    }
}

async fn assert_state(graph: &Graph, branch: &str, expect: Expect) {
    let people = ids(graph, branch, "person").await;
    let knows = graph
        .snapshot(branch)
        .await
        .unwrap()
        .count_rows("knows")
        .await
        .unwrap();
    match expect {
        Expect::Old => {
            assert_eq!(people, ["alice", "bob"]);
            assert_eq!(knows, 1);
        }
        Expect::New => {
            assert_eq!(people, ["alice", "bob", "carol"]);
            assert_eq!(knows, 2);
        }
    }
    assert!(recovery::pending_sidecars(graph).await.unwrap().is_empty());
}

/// After recovery the graph takes further writes on every touched table.
async fn assert_writable(graph: &Graph, branch: &str) {
    let input = r#"{"type":"Person","data":{"name":"zed"}}
{"edge":"Knows","from":"zed","to":"alice"}"#;
    graph
        .load_ndjson(branch, input, LoadMode::Append, &opts())
        .await
        .unwrap();
    assert!(
        ids(graph, branch, "person")
            .await
            .contains(&"zed".to_string())
    );
}

async fn crash_and_reopen(point: &str, action: &str, branch: &str, expect: Expect) {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    if branch != "main" {
        graph.create_branch(branch, None).await.unwrap();
    }
    let outcome = load_with_fault(&graph, branch, point, action).await;
    assert!(outcome.is_err(), "{point}: the fault must stop the load");
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_state(&graph, branch, expect).await;
    let main_expect = if branch == "main" {
        expect
    } else {
        Expect::Old
    };
    assert_state(&graph, "main", main_expect).await;
    assert_writable(&graph, branch).await;
}

#[tokio::test]
async fn crash_after_sidecar_rolls_back() {
    crash_and_reopen(
        failpoints::COMMIT_AFTER_SIDECAR,
        "panic",
        "main",
        Expect::Old,
    )
    .await;
}

#[tokio::test]
async fn crash_after_some_tables_committed_rolls_back() {
    crash_and_reopen(failpoints::COMMIT_AFTER_TABLE, "panic", "main", Expect::Old).await;
}

#[tokio::test]
async fn crash_before_publish_rolls_forward() {
    crash_and_reopen(
        failpoints::COMMIT_BEFORE_PUBLISH,
        "panic",
        "main",
        Expect::New,
    )
    .await;
}

#[tokio::test]
async fn crash_after_publish_keeps_the_commit() {
    crash_and_reopen(
        failpoints::COMMIT_AFTER_PUBLISH,
        "panic",
        "main",
        Expect::New,
    )
    .await;
}

#[tokio::test]
async fn crash_midway_on_a_branch_rolls_back_only_the_branch() {
    crash_and_reopen(
        failpoints::COMMIT_AFTER_TABLE,
        "panic",
        "feature",
        Expect::Old,
    )
    .await;
}

#[tokio::test]
async fn crash_before_publish_on_a_branch_rolls_forward() {
    crash_and_reopen(
        failpoints::COMMIT_BEFORE_PUBLISH,
        "panic",
        "feature",
        Expect::New,
    )
    .await;
}

#[tokio::test]
async fn an_error_midway_rolls_back_inline_without_a_reopen() {
    let _serial = SERIAL.lock().await;
    let (_dir, graph) = loaded_graph().await;
    let outcome = load_with_fault(&graph, "main", failpoints::COMMIT_AFTER_TABLE, "return").await;
    assert!(outcome.unwrap_err().contains("injected"));
    assert_state(&graph, "main", Expect::Old).await;
    assert_writable(&graph, "main").await;
}

#[tokio::test]
async fn a_crash_during_roll_back_is_finished_by_the_next_open() {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    let root = graph.root().to_string();
    load_with_fault(&graph, "main", failpoints::COMMIT_AFTER_TABLE, "panic")
        .await
        .unwrap_err();
    drop(graph);
    // The first recovery restores the committed table and crashes before publishing.
    fail::cfg(failpoints::RECOVERY_BEFORE_PUBLISH, "panic").unwrap();
    arm(&root);
    let r = root.clone();
    let crashed = tokio::spawn(async move { Graph::open(&r).await.map(|_| ()) }).await;
    fail::remove(failpoints::RECOVERY_BEFORE_PUBLISH);
    disarm(&root);
    assert!(crashed.unwrap_err().is_panic());
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_state(&graph, "main", Expect::Old).await;
    assert_writable(&graph, "main").await;
}

#[tokio::test]
async fn an_interrupted_schema_apply_is_all_or_nothing() {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    let root = graph.root().to_string();
    let migrated = format!("{SOCIAL}\nnode City {{ name: String @key }}\n")
        .replace("age: I32?", "age: I32?, nickname: String?")
        .replace(
            "node Company { name: String @key }",
            "node Company { name: String @key, founded: I32? }",
        );
    fail::cfg(failpoints::COMMIT_AFTER_TABLE, "panic").unwrap();
    arm(&root);
    let g = graph.clone();
    let m = migrated.clone();
    let crashed =
        tokio::spawn(async move { g.apply_schema("main", &m, &opts()).await.map(|_| ()) }).await;
    fail::remove(failpoints::COMMIT_AFTER_TABLE);
    disarm(&root);
    assert!(crashed.unwrap_err().is_panic());
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert!(snap.schema().node("City").is_none());
    let person = snap.arrow_schema("person").unwrap();
    assert!(person.field_with_name("nickname").is_err());
    // Retrying the apply works and the data survived.
    graph
        .apply_schema("main", &migrated, &opts())
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
    let err = graph
        .apply_schema("main", "node Q {}", &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SchemaChange(_)));
}

/// A merge touching two tables, one of them in two steps (alice's update is a delete and
/// an append): main and `feature` both changed since the base.
async fn merge_setup() -> (tempfile::TempDir, Graph) {
    let (dir, graph) = loaded_graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let theirs = r#"{"type":"Person","data":{"name":"alice","age":31}}
{"type":"Person","data":{"name":"erin","age":5}}
{"edge":"Knows","from":"bob","to":"erin"}"#;
    graph
        .load_ndjson("feature", theirs, LoadMode::Merge, &opts())
        .await
        .unwrap();
    graph
        .load_ndjson("main", &person_line("dan", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    (dir, graph)
}

async fn assert_merge_state(graph: &Graph, merged: bool) {
    let people = ids(graph, "main", "person").await;
    let knows = graph
        .snapshot("main")
        .await
        .unwrap()
        .count_rows("knows")
        .await
        .unwrap();
    if merged {
        assert_eq!(people, ["alice", "bob", "dan", "erin"]);
        assert_eq!(knows, 2);
    } else {
        assert_eq!(people, ["alice", "bob", "dan"]);
        assert_eq!(knows, 1);
    }
    assert!(recovery::pending_sidecars(graph).await.unwrap().is_empty());
}

async fn merge_crash_and_reopen(point: &str, action: &str, merged: bool) {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = merge_setup().await;
    fail::cfg(point, action).unwrap();
    arm(graph.root());
    let g = graph.clone();
    let joined = tokio::spawn(async move { g.merge("feature", "main", &opts()).await }).await;
    fail::remove(point);
    disarm(graph.root());
    assert!(joined.is_err(), "{point}: the crash must stop the merge");
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_merge_state(&graph, merged).await;
    // Whatever happened, merging again finishes the job and the graph stays writable.
    let again = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(
        again.kind,
        if merged {
            omnigraph_engine::MergeKind::UpToDate
        } else {
            omnigraph_engine::MergeKind::Merged
        }
    );
    assert_merge_state(&graph, true).await;
    assert_writable(&graph, "main").await;
}

#[tokio::test]
async fn a_merge_crashing_after_its_sidecar_rolls_back() {
    merge_crash_and_reopen(failpoints::COMMIT_AFTER_SIDECAR, "panic", false).await;
}

#[tokio::test]
async fn a_merge_crashing_between_steps_of_one_table_rolls_back() {
    merge_crash_and_reopen(failpoints::COMMIT_AFTER_STEP, "1*off->panic", false).await;
}

#[tokio::test]
async fn a_merge_crashing_before_its_publish_rolls_forward() {
    merge_crash_and_reopen(failpoints::COMMIT_BEFORE_PUBLISH, "panic", true).await;
}

#[tokio::test]
async fn a_merge_crashing_after_its_publish_keeps_the_merge() {
    merge_crash_and_reopen(failpoints::COMMIT_AFTER_PUBLISH, "panic", true).await;
}

#[tokio::test]
async fn a_merge_failing_midway_rolls_back_inline() {
    let _serial = SERIAL.lock().await;
    let (_dir, graph) = merge_setup().await;
    fail::cfg(failpoints::COMMIT_AFTER_STEP, "2*off->return").unwrap();
    arm(graph.root());
    let result = graph.merge("feature", "main", &opts()).await;
    fail::remove(failpoints::COMMIT_AFTER_STEP);
    disarm(graph.root());
    assert!(result.unwrap_err().to_string().contains("injected"));
    assert_merge_state(&graph, false).await;
    graph.merge("feature", "main", &opts()).await.unwrap();
    assert_merge_state(&graph, true).await;
}

#[tokio::test]
async fn a_failed_merge_restores_a_table_it_was_adopting() {
    let _serial = SERIAL.lock().await;
    let (_dir, graph) = loaded_graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let schema = format!("{SOCIAL}node City {{ name: String @key }}\n");
    graph
        .apply_schema("feature", &schema, &opts())
        .await
        .unwrap();
    graph
        .load_ndjson(
            "feature",
            r#"{"type":"City","data":{"name":"rome"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    graph
        .load_ndjson("main", &person_line("dan", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    // The first step (the adopted city table's rows) commits, then the merge fails.
    fail::cfg(failpoints::COMMIT_AFTER_STEP, "return").unwrap();
    arm(graph.root());
    let result = graph.merge("feature", "main", &opts()).await;
    fail::remove(failpoints::COMMIT_AFTER_STEP);
    disarm(graph.root());
    assert!(result.unwrap_err().to_string().contains("injected"));
    assert!(graph.snapshot("main").await.unwrap().table("city").is_err());
    graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(ids(&graph, "main", "city").await, ["rome"]);
    graph
        .load_ndjson(
            "main",
            r#"{"type":"City","data":{"name":"oslo"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "city").await, ["oslo", "rome"]);
}

#[tokio::test]
async fn a_cascading_delete_crashing_after_one_table_rolls_back() {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    // Deleting bob also deletes the knows edge: two tables, `knows` commits first.
    fail::cfg(failpoints::COMMIT_AFTER_TABLE, "panic").unwrap();
    arm(graph.root());
    let g = graph.clone();
    let joined = tokio::spawn(async move {
        g.delete_ids("main", "person", &["bob".into()], &opts())
            .await
    })
    .await;
    fail::remove(failpoints::COMMIT_AFTER_TABLE);
    disarm(graph.root());
    assert!(joined.is_err());
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_state(&graph, "main", Expect::Old).await;
    graph
        .delete_ids("main", "person", &["bob".into()], &opts())
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "person").await, ["alice"]);
    assert_eq!(ids(&graph, "main", "knows").await.len(), 0);
}

#[tokio::test]
async fn a_transaction_commit_crashing_before_its_publish_rolls_forward() {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    let private = graph.create_transaction_branch("main").await.unwrap();
    graph
        .load_ndjson(&private, CAROL, LoadMode::Append, &opts())
        .await
        .unwrap();
    fail::cfg(failpoints::COMMIT_BEFORE_PUBLISH, "panic").unwrap();
    arm(graph.root());
    let (g, p) = (graph.clone(), private.clone());
    let joined = tokio::spawn(async move {
        g.merge_with(
            &p,
            "main",
            omnigraph_engine::MergeStyle::Transaction,
            &opts(),
        )
        .await
    })
    .await;
    fail::remove(failpoints::COMMIT_BEFORE_PUBLISH);
    disarm(graph.root());
    assert!(joined.is_err());
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_state(&graph, "main", Expect::New).await;
    let commits = graph.commits("main").await.unwrap();
    assert_eq!(
        commits.last().unwrap().parents.len(),
        1,
        "a squashed commit"
    );
}

/// A crash after a load's index segments are built, before the index version commits,
/// rolls the load back: the table reads its old rows and pins its old index list, and the
/// next large load indexes its rows.
#[tokio::test]
async fn a_crash_between_the_data_and_index_steps_rolls_back() {
    use omnigraph_engine::write::indexes::INDEX_TAIL_ROWS;
    let _serial = SERIAL.lock().await;
    let (dir, graph) = loaded_graph().await;
    let before = graph.snapshot("main").await.unwrap();
    let old_indexes = crate::indexes::index_names(&before.dataset("person").await.unwrap()).await;
    let mut big = String::new();
    for i in 0..INDEX_TAIL_ROWS as usize + 10 {
        big.push_str(&person_line(&format!("x{i}"), 1));
        big.push('\n');
    }
    fail::cfg(failpoints::COMMIT_AFTER_INDEX_BUILD, "panic").unwrap();
    arm(graph.root());
    let g = graph.clone();
    let input = big.clone();
    let joined = tokio::spawn(async move {
        g.load_ndjson("main", &input, LoadMode::Append, &opts())
            .await
    })
    .await;
    fail::remove(failpoints::COMMIT_AFTER_INDEX_BUILD);
    disarm(graph.root());
    assert!(joined.unwrap_err().is_panic());
    drop(graph);

    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_state(&graph, "main", Expect::Old).await;
    let snap = graph.snapshot("main").await.unwrap();
    let ds = snap.dataset("person").await.unwrap();
    assert_eq!(crate::indexes::index_names(&ds).await, old_indexes);
    let filters = ["id = 'alice'", "id = 'x5'", "email IS NULL"].map(str::to_string);
    crate::indexes::assert_index_answers(&snap, "person", &filters).await;

    graph
        .load_ndjson("main", &big, LoadMode::Append, &opts())
        .await
        .unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(
        snap.count_rows("person").await.unwrap(),
        INDEX_TAIL_ROWS + 12
    );
    crate::indexes::assert_index_answers(&snap, "person", &filters).await;
    let ds = snap.dataset("person").await.unwrap();
    let mut scan = ds.scan();
    scan.filter("id = 'x5'").unwrap();
    assert!(
        scan.explain_plan(true)
            .await
            .unwrap()
            .contains("ScalarIndexQuery")
    );
}

/// `CREATE INDEX` and `DROP INDEX` crashing in each window of their commit: before the
/// index version commits the schema and the table stay as they were; once every table is
/// at its planned version the reopen rolls forward to the new schema and index list. The
/// table reads the same rows through whichever index it pins.
#[tokio::test]
async fn an_index_ddl_crash_leaves_the_old_or_the_new_index() {
    use omnigraph_engine::IndexDefinition;
    let _serial = SERIAL.lock().await;
    let (dir, mut graph) = loaded_graph().await;
    let path = dir.path().to_str().unwrap().to_string();
    let def = IndexDefinition {
        name: None,
        table: "person".into(),
        column: "age".into(),
        method: None,
        metric: None,
    };
    let has_age_index = |graph: Graph| async move {
        let snap = graph.snapshot("main").await.unwrap();
        let names = crate::indexes::index_names(&snap.dataset("person").await.unwrap()).await;
        let filters = ["age = 30", "age > 20", "id = 'bob'"].map(str::to_string);
        crate::indexes::assert_index_answers(&snap, "person", &filters).await;
        let declared = snap.schema().source.contains("@index");
        let built = names.contains(&"person_age_idx".to_string());
        assert_eq!(declared, built, "schema and table agree: {names:?}");
        built
    };
    for (point, create, expect_index) in [
        (failpoints::COMMIT_AFTER_INDEX_BUILD, true, false),
        (failpoints::COMMIT_BEFORE_PUBLISH, true, true),
        (failpoints::COMMIT_AFTER_INDEX_BUILD, false, true),
        (failpoints::COMMIT_BEFORE_PUBLISH, false, false),
    ] {
        fail::cfg(point, "panic").unwrap();
        arm(graph.root());
        let (g, d) = (graph.clone(), def.clone());
        let joined = tokio::spawn(async move {
            if create {
                g.create_index("main", &d, false, &opts()).await.map(drop)
            } else {
                g.drop_index("main", "person_age_idx", false, &opts())
                    .await
                    .map(drop)
            }
        })
        .await;
        fail::remove(point);
        disarm(graph.root());
        assert!(joined.unwrap_err().is_panic(), "{point}");
        drop(graph);
        graph = Graph::open(&path).await.unwrap();
        assert_eq!(
            has_age_index(graph.clone()).await,
            expect_index,
            "{point} {create}"
        );
        assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
    }
    // Each case starts where the one before left the graph; the last leaves no index.
    graph
        .create_index("main", &def, false, &opts())
        .await
        .unwrap();
    assert!(has_age_index(graph.clone()).await);
}

/// A graph with fragments and history to compact and clean: loaded, then eight
/// single-row commits and a delete.
async fn maintenance_setup() -> (tempfile::TempDir, Graph) {
    let (dir, graph) = loaded_graph().await;
    for i in 0..8 {
        graph
            .load_ndjson(
                "main",
                &person_line(&format!("m{i}"), i),
                LoadMode::Merge,
                &opts(),
            )
            .await
            .unwrap();
    }
    graph
        .delete_ids("main", "person", &["m2".to_string()], &opts())
        .await
        .unwrap();
    (dir, graph)
}

/// What main reads: person ids and the knows count.
async fn main_reads(graph: &Graph) -> (Vec<String>, u64) {
    let knows = graph
        .snapshot("main")
        .await
        .unwrap()
        .count_rows("knows")
        .await
        .unwrap();
    (ids(graph, "main", "person").await, knows)
}

/// Crashes optimize at `point`, reopens, and checks that main reads as before, whether
/// the compaction landed (`compacted`), and that optimize then completes.
async fn optimize_crash_and_reopen(point: &str, action: &str, compacted: bool) {
    let _serial = SERIAL.lock().await;
    let (dir, graph) = maintenance_setup().await;
    let before = main_reads(&graph).await;
    let fragments = |g: Graph| async move {
        let s = g.snapshot("main").await.unwrap();
        s.dataset("person").await.unwrap().manifest.fragments.len()
    };
    let fragments_before = fragments(graph.clone()).await;
    fail::cfg(point, action).unwrap();
    arm(graph.root());
    let g = graph.clone();
    let joined = tokio::spawn(async move { g.optimize("main", None, &opts()).await }).await;
    fail::remove(point);
    disarm(graph.root());
    assert!(
        joined
            .as_ref()
            .map_or_else(|j| j.is_panic(), |r| r.is_err()),
        "{point}: the fault must stop optimize"
    );
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert!(recovery::pending_sidecars(&graph).await.unwrap().is_empty());
    assert_eq!(main_reads(&graph).await, before, "{point}");
    let now = fragments(graph.clone()).await;
    if compacted {
        assert_eq!(now, 1, "{point}");
    } else {
        assert_eq!(now, fragments_before, "{point}");
    }
    graph.optimize("main", None, &opts()).await.unwrap();
    assert_eq!(fragments(graph.clone()).await, 1);
    assert_eq!(main_reads(&graph).await, before);
    assert_writable(&graph, "main").await;
}

#[tokio::test]
async fn optimize_crashing_after_writing_its_files_changes_nothing() {
    optimize_crash_and_reopen(failpoints::OPTIMIZE_AFTER_REWRITE, "panic", false).await;
}

#[tokio::test]
async fn optimize_crashing_after_its_sidecar_rolls_back() {
    optimize_crash_and_reopen(failpoints::COMMIT_AFTER_SIDECAR, "panic", false).await;
}

#[tokio::test]
async fn optimize_crashing_after_its_rewrite_rolls_back() {
    optimize_crash_and_reopen(failpoints::COMMIT_AFTER_STEP, "panic", false).await;
}

#[tokio::test]
async fn optimize_crashing_after_its_index_build_rolls_back() {
    optimize_crash_and_reopen(failpoints::COMMIT_AFTER_INDEX_BUILD, "panic", false).await;
}

#[tokio::test]
async fn optimize_crashing_before_its_publish_rolls_forward() {
    optimize_crash_and_reopen(failpoints::COMMIT_BEFORE_PUBLISH, "panic", true).await;
}

#[tokio::test]
async fn optimize_failing_midway_rolls_back_inline() {
    optimize_crash_and_reopen(failpoints::COMMIT_AFTER_STEP, "return", false).await;
}

/// Crashes cleanup at `point`, reopens, and checks that the head and every version
/// still listed read whole, and that cleanup then completes.
async fn cleanup_crash_and_reopen(point: &str) {
    use omnigraph_engine::CleanupPolicy;
    let _serial = SERIAL.lock().await;
    let (dir, graph) = maintenance_setup().await;
    graph.optimize("main", None, &opts()).await.unwrap();
    let before = main_reads(&graph).await;
    let policy = CleanupPolicy {
        keep_versions: Some(2),
        older_than: None,
    };
    fail::cfg(point, "panic").unwrap();
    arm(graph.root());
    let (g, p) = (graph.clone(), policy.clone());
    let joined = tokio::spawn(async move { g.cleanup(&p).await }).await;
    fail::remove(point);
    disarm(graph.root());
    assert!(joined.unwrap_err().is_panic(), "{point}");
    drop(graph);
    let graph = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    let every_version = |g: Graph| async move {
        let head = g.snapshot("main").await.unwrap().version();
        let mut readable = 0;
        for v in 1..=head {
            match g.snapshot_at_version("main", v).await {
                Ok(s) => {
                    let tables: Vec<String> =
                        s.schema().tables().map(|t| t.table().to_string()).collect();
                    for t in tables {
                        s.read_all(&t).await.unwrap();
                    }
                    readable += 1;
                }
                Err(Error::VersionRemoved { .. }) => {}
                Err(e) => panic!("{v}: {e}"),
            }
        }
        readable
    };
    every_version(graph.clone()).await;
    assert_eq!(main_reads(&graph).await, before, "{point}");
    graph.cleanup(&policy).await.unwrap();
    assert_eq!(every_version(graph.clone()).await, 2);
    assert_eq!(main_reads(&graph).await, before);
    assert_writable(&graph, "main").await;
}

#[tokio::test]
async fn cleanup_crashing_after_removing_graph_versions_leaves_readable_versions() {
    cleanup_crash_and_reopen(failpoints::CLEANUP_AFTER_MANIFEST).await;
}

#[tokio::test]
async fn cleanup_crashing_after_a_table_leaves_readable_versions() {
    cleanup_crash_and_reopen(failpoints::CLEANUP_AFTER_TABLE).await;
}
