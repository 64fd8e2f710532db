//! Three-way merge: the truth table of operations per entity, conflicts of every kind,
//! histories with several merges, time travel and reopen after merges, and diffs.

use omnigraph_engine::{
    ChangeKind, ConflictKind, Error, Graph, LoadMode, MergeKind, write::join_key_parts,
};

use crate::common::*;

const SCHEMA: &str = "\
node Person  { name: String @key, age: I32?, city: String?, email: String? @unique }
node Company { name: String @key }
edge Knows:   Person -> Person { kind: String @key, weight: I32? }
edge WorksAt: Person -> Company @card(0..1)
";

const SEED: &str = r#"{"type":"Person","data":{"name":"alice","age":30,"city":"paris"}}
{"type":"Person","data":{"name":"bob","age":25,"city":"oslo"}}
{"type":"Company","data":{"name":"acme"}}
{"type":"Company","data":{"name":"globex"}}
"#;

async fn graph() -> (tempfile::TempDir, Graph) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    graph.apply_schema("main", SCHEMA, &opts()).await.unwrap();
    load(&graph, "main", SEED).await;
    (dir, graph)
}

async fn load(graph: &Graph, branch: &str, text: &str) {
    graph
        .load_ndjson(branch, text, LoadMode::Merge, &opts())
        .await
        .unwrap();
}

fn person(name: &str, age: i32, city: &str) -> String {
    format!(r#"{{"type":"Person","data":{{"name":"{name}","age":{age},"city":"{city}"}}}}"#)
}

fn knows(from: &str, to: &str, weight: i32) -> String {
    format!(
        r#"{{"edge":"Knows","from":"{from}","to":"{to}","data":{{"kind":"friend","weight":{weight}}}}}"#
    )
}

/// The row of `id` in `table` on `branch` as "col=value" pairs (None: no such row).
async fn row(graph: &Graph, branch: &str, table: &str, id: &str) -> Option<String> {
    let snap = graph.snapshot(branch).await.unwrap();
    let batches = snap.read_all(table).await.unwrap();
    for b in &batches {
        let ids = b
            .column_by_name("id")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        for i in 0..b.num_rows() {
            if ids.value(i) == id {
                let mut parts = Vec::new();
                for (f, c) in b.schema().fields().iter().zip(b.columns()) {
                    let s = arrow_cast::display::array_value_to_string(c, i).unwrap();
                    parts.push(format!("{}={s}", f.name()));
                }
                return Some(parts.join(","));
            }
        }
    }
    None
}

/// One side's operation on the entity under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    None,
    Insert(i32),
    Update(i32),
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Outcome(MergeKind, Option<i32>),
    Conflict(ConflictKind),
}

/// The entity is either a person `x` (weight = age) or a knows edge alice->bob.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entity {
    Node,
    Edge,
}

impl Entity {
    fn table(&self) -> &'static str {
        match self {
            Entity::Node => "person",
            Entity::Edge => "knows",
        }
    }

    fn id(&self) -> String {
        match self {
            Entity::Node => "x".to_string(),
            Entity::Edge => join_key_parts(&["alice".into(), "bob".into(), "friend".into()]),
        }
    }

    fn line(&self, value: i32) -> String {
        match self {
            Entity::Node => person("x", value, "rome"),
            Entity::Edge => knows("alice", "bob", value),
        }
    }

    fn value_text(&self, value: i32) -> String {
        match self {
            Entity::Node => format!("age={value}"),
            Entity::Edge => format!("weight={value}"),
        }
    }
}

async fn apply(graph: &Graph, branch: &str, entity: Entity, op: Op) {
    match op {
        Op::None => {}
        Op::Insert(v) | Op::Update(v) => load(graph, branch, &entity.line(v)).await,
        Op::Delete => {
            graph
                .delete_ids(branch, entity.table(), &[entity.id()], &opts())
                .await
                .unwrap();
        }
    }
}

async fn run_cell(entity: Entity, exists: bool, ours: Op, theirs: Op, expect: Expect) {
    let (_dir, graph) = graph().await;
    if exists {
        apply(&graph, "main", entity, Op::Insert(1)).await;
    }
    graph.create_branch("feature", None).await.unwrap();
    apply(&graph, "main", entity, ours).await;
    apply(&graph, "feature", entity, theirs).await;
    let main_before = graph.snapshot("main").await.unwrap().version();
    let cell = format!("{entity:?} exists={exists} ours={ours:?} theirs={theirs:?}");
    let result = graph.merge("feature", "main", &opts()).await;
    match expect {
        Expect::Outcome(kind, value) => {
            let outcome = result.unwrap_or_else(|e| panic!("{cell}: {e}"));
            assert_eq!(outcome.kind, kind, "{cell}");
            let got = row(&graph, "main", entity.table(), &entity.id()).await;
            match value {
                None => assert_eq!(got, None, "{cell}"),
                Some(v) => {
                    let got = got.unwrap_or_else(|| panic!("{cell}: row missing"));
                    assert!(got.contains(&entity.value_text(v)), "{cell}: {got}");
                }
            }
            assert!(
                graph
                    .merge_conflicts("feature", "main")
                    .await
                    .unwrap()
                    .is_empty(),
                "{cell}"
            );
        }
        Expect::Conflict(kind) => {
            let conflicts = graph.merge_conflicts("feature", "main").await.unwrap();
            assert_eq!(
                conflicts.iter().map(|c| c.kind).collect::<Vec<_>>(),
                vec![kind],
                "{cell}: {conflicts:?}"
            );
            assert_eq!(conflicts[0].id, entity.id(), "{cell}");
            assert_eq!(conflicts[0].table, entity.table(), "{cell}");
            match result {
                Err(Error::MergeConflicts(listed)) => assert_eq!(listed, conflicts, "{cell}"),
                other => panic!("{cell}: expected conflicts, got {other:?}"),
            }
            assert_eq!(
                graph.snapshot("main").await.unwrap().version(),
                main_before,
                "{cell}: a failed merge publishes nothing"
            );
        }
    }
}

/// {none, insert, update, delete} x {none, insert, update, delete} per entity; cells that
/// cannot happen (an insert of an existing id, an update of a missing one) are left out.
fn truth_table() -> Vec<(bool, Op, Op, Expect)> {
    use ConflictKind::*;
    use Expect::*;
    use MergeKind::*;
    use Op::*;
    vec![
        // The entity is not in the base.
        (false, None, None, Outcome(UpToDate, Option::None)),
        (false, None, Insert(2), Outcome(FastForward, Some(2))),
        (false, Insert(2), None, Outcome(UpToDate, Some(2))),
        (false, Insert(2), Insert(2), Outcome(Merged, Some(2))),
        (false, Insert(2), Insert(3), Conflict(DivergentInsert)),
        // The entity is in the base (value 1).
        (true, None, None, Outcome(UpToDate, Some(1))),
        (true, None, Update(2), Outcome(FastForward, Some(2))),
        (true, None, Delete, Outcome(FastForward, Option::None)),
        (true, Update(2), None, Outcome(UpToDate, Some(2))),
        (true, Delete, None, Outcome(UpToDate, Option::None)),
        (true, Update(2), Update(2), Outcome(Merged, Some(2))),
        (true, Update(2), Update(3), Conflict(DivergentUpdate)),
        (true, Update(2), Delete, Conflict(DeleteUpdate)),
        (true, Delete, Update(2), Conflict(DeleteUpdate)),
        (true, Delete, Delete, Outcome(Merged, Option::None)),
    ]
}

#[tokio::test]
async fn truth_table_for_nodes() {
    for (exists, ours, theirs, expect) in truth_table() {
        run_cell(Entity::Node, exists, ours, theirs, expect).await;
    }
}

#[tokio::test]
async fn truth_table_for_edges() {
    for (exists, ours, theirs, expect) in truth_table() {
        run_cell(Entity::Edge, exists, ours, theirs, expect).await;
    }
}

#[tokio::test]
async fn changes_to_different_columns_of_one_row_merge() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "main", &person("alice", 31, "paris")).await;
    load(&graph, "feature", &person("alice", 30, "rome")).await;
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(outcome.changes.get("person"), Some(&(0, 1, 0)));
    let alice = row(&graph, "main", "person", "alice").await.unwrap();
    assert!(
        alice.contains("age=31") && alice.contains("city=rome"),
        "{alice}"
    );
}

#[tokio::test]
async fn an_edge_to_a_node_deleted_on_the_other_side_is_an_orphan() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    // The source deletes bob; the target adds an edge to bob.
    graph
        .delete_ids("feature", "person", &["bob".into()], &opts())
        .await
        .unwrap();
    load(&graph, "main", &knows("alice", "bob", 5)).await;
    let conflicts = graph.merge_conflicts("feature", "main").await.unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].kind, ConflictKind::OrphanEdge);
    assert_eq!(conflicts[0].table, "knows");

    // And the other way round: the source adds an edge to a node the target deleted.
    let (_dir2, graph) = self::graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &knows("alice", "bob", 5)).await;
    graph
        .delete_ids("main", "person", &["bob".into()], &opts())
        .await
        .unwrap();
    let conflicts = graph.merge_conflicts("feature", "main").await.unwrap();
    assert_eq!(
        conflicts.iter().map(|c| c.kind).collect::<Vec<_>>(),
        [ConflictKind::OrphanEdge]
    );
    assert!(
        conflicts[0]
            .theirs
            .as_deref()
            .unwrap()
            .contains("\"weight\":5")
    );
    assert!(matches!(
        graph.merge("feature", "main", &opts()).await,
        Err(Error::MergeConflicts(_))
    ));
}

#[tokio::test]
async fn a_node_deleted_on_one_side_takes_its_edges_along() {
    let (_dir, graph) = graph().await;
    load(&graph, "main", &knows("alice", "bob", 1)).await;
    graph.create_branch("feature", None).await.unwrap();
    graph
        .delete_ids("feature", "person", &["bob".into()], &opts())
        .await
        .unwrap();
    load(&graph, "main", &person("carol", 40, "lima")).await;
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "carol"]);
    assert!(ids(&graph, "main", "knows").await.is_empty());
}

#[tokio::test]
async fn unique_and_cardinality_violations_after_merge() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let with_email = |name: &str| {
        format!(r#"{{"type":"Person","data":{{"name":"{name}","email":"same@x.org"}}}}"#)
    };
    load(&graph, "main", &with_email("carol")).await;
    load(&graph, "feature", &with_email("dave")).await;
    let works = |company: &str| format!(r#"{{"edge":"WorksAt","from":"alice","to":"{company}"}}"#);
    load(&graph, "main", &works("acme")).await;
    load(&graph, "feature", &works("globex")).await;
    let conflicts = graph.merge_conflicts("feature", "main").await.unwrap();
    let kinds: Vec<(ConflictKind, &str, &str)> = conflicts
        .iter()
        .map(|c| (c.kind, c.table.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ConflictKind::UniqueViolation, "person", "dave"),
            (ConflictKind::CardinalityViolation, "works_at", "alice"),
        ]
    );
}

#[tokio::test]
async fn sequential_merges_with_writes_on_main_in_between() {
    let (_dir, graph) = graph().await;
    graph.create_branch("a", None).await.unwrap();
    graph.create_branch("b", None).await.unwrap();
    load(&graph, "a", &person("ann", 1, "x")).await;
    load(&graph, "main", &person("mia", 2, "y")).await;
    assert_eq!(
        graph.merge("a", "main", &opts()).await.unwrap().kind,
        MergeKind::Merged
    );
    load(&graph, "b", &person("ben", 3, "z")).await;
    load(&graph, "main", &person("max", 4, "w")).await;
    assert_eq!(
        graph.merge("b", "main", &opts()).await.unwrap().kind,
        MergeKind::Merged
    );
    // `a` keeps working and merges again: only its new change is merged.
    load(&graph, "a", &person("ann", 5, "x")).await;
    load(&graph, "main", &person("alice", 30, "lima")).await;
    let outcome = graph.merge("a", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(outcome.changes.get("person"), Some(&(0, 1, 0)));
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "ann", "ben", "bob", "max", "mia"]
    );
    assert!(
        row(&graph, "main", "person", "ann")
            .await
            .unwrap()
            .contains("age=5")
    );
    assert!(
        row(&graph, "main", "person", "alice")
            .await
            .unwrap()
            .contains("city=lima")
    );
    // Merging main back into `a` brings a up to date with everything.
    let back = graph.merge("main", "a", &opts()).await.unwrap();
    assert_eq!(back.kind, MergeKind::FastForward);
    assert_eq!(
        ids(&graph, "a", "person").await,
        ids(&graph, "main", "person").await
    );
}

#[tokio::test]
async fn merging_the_same_branch_twice_is_up_to_date() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("carol", 1, "x")).await;
    load(&graph, "main", &person("dan", 1, "x")).await;
    let first = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(first.kind, MergeKind::Merged);
    let version = graph.snapshot("main").await.unwrap().version();
    let second = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(second.kind, MergeKind::UpToDate);
    assert_eq!(second.commit_id, first.commit_id);
    assert_eq!(graph.snapshot("main").await.unwrap().version(), version);
}

#[tokio::test]
async fn fast_forward_moves_the_head_to_the_source_commit() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("carol", 1, "x")).await;
    let feature_head = graph
        .snapshot("feature")
        .await
        .unwrap()
        .head_commit()
        .unwrap()
        .to_string();
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::FastForward);
    assert_eq!(outcome.commit_id.as_deref(), Some(feature_head.as_str()));
    let main = graph.snapshot("main").await.unwrap();
    assert_eq!(main.head_commit(), Some(feature_head.as_str()));
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol"]
    );
    // Main's own tables took the change: deleting the branch leaves main intact.
    graph.delete_branch("feature").await.unwrap();
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol"]
    );
    load(&graph, "main", &person("dan", 1, "x")).await;
    assert_eq!(
        graph
            .snapshot("main")
            .await
            .unwrap()
            .count_rows("person")
            .await
            .unwrap(),
        4
    );
}

#[tokio::test]
async fn time_travel_through_merge_commits_and_reopen() {
    let (dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("carol", 1, "x")).await;
    load(&graph, "main", &person("dan", 1, "x")).await;
    let before = graph.snapshot("main").await.unwrap();
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    let merge_id = outcome.commit_id.clone().unwrap();
    let commits = graph.commits("main").await.unwrap();
    let merge = commits.iter().find(|c| c.commit_id == merge_id).unwrap();
    assert_eq!(merge.parents.len(), 2);
    assert_eq!(merge.parents[0], before.head_commit().unwrap());
    // The source's commits are part of main's history now.
    let feature_head = graph.snapshot("feature").await.unwrap();
    assert!(
        commits
            .iter()
            .any(|c| Some(c.commit_id.as_str()) == feature_head.head_commit())
    );

    let old = graph
        .snapshot_at_text("main", &before.version().to_string())
        .await
        .unwrap();
    assert_eq!(
        strings(&old.read_all("person").await.unwrap(), "id"),
        ["alice", "bob", "dan"]
    );
    let at_merge = graph.snapshot_at_text("main", &merge_id).await.unwrap();
    assert_eq!(
        strings(&at_merge.read_all("person").await.unwrap(), "id"),
        ["alice", "bob", "carol", "dan"]
    );
    drop(graph);
    let reopened = Graph::open(dir.path().to_str().unwrap()).await.unwrap();
    assert_eq!(
        ids(&reopened, "main", "person").await,
        ["alice", "bob", "carol", "dan"]
    );
    assert_eq!(
        reopened.snapshot("main").await.unwrap().head_commit(),
        Some(merge_id.as_str())
    );
    assert_eq!(
        reopened
            .merge("feature", "main", &opts())
            .await
            .unwrap()
            .kind,
        MergeKind::UpToDate
    );
}

#[tokio::test]
async fn a_schema_change_on_the_source_is_merged_with_its_data() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let extended = format!(
        "{SCHEMA}node City {{ name: String @key }}\nnode Person {{ name: String @key, age: I32?, city: String?, email: String? @unique, nick: String? }}\n"
    )
    .replace(
        "node Person  { name: String @key, age: I32?, city: String?, email: String? @unique }\n",
        "",
    );
    graph
        .apply_schema("feature", &extended, &opts())
        .await
        .unwrap();
    load(
        &graph,
        "feature",
        r#"{"type":"City","data":{"name":"rome"}}
{"type":"Person","data":{"name":"carol","nick":"caz"}}"#,
    )
    .await;
    load(&graph, "main", &person("dan", 1, "x")).await;
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    let main = graph.snapshot("main").await.unwrap();
    assert_eq!(main.schema().source, extended);
    assert_eq!(main.count_rows("city").await.unwrap(), 1);
    assert!(
        row(&graph, "main", "person", "carol")
            .await
            .unwrap()
            .contains("nick=caz")
    );
    assert!(
        row(&graph, "main", "person", "dan")
            .await
            .unwrap()
            .contains("nick=")
    );
    // Both sides changing the schema differently is refused.
    graph.create_branch("f2", None).await.unwrap();
    graph
        .apply_schema(
            "f2",
            &format!("{extended}node Tag {{ name: String @key }}\n"),
            &opts(),
        )
        .await
        .unwrap();
    graph
        .apply_schema(
            "main",
            &format!("{extended}node Pet {{ name: String @key }}\n"),
            &opts(),
        )
        .await
        .unwrap();
    assert!(matches!(
        graph.merge("f2", "main", &opts()).await,
        Err(Error::MergeRefused(_))
    ));
}

#[tokio::test]
async fn diff_reports_net_changes_between_refs() {
    let (_dir, graph) = graph().await;
    let start = graph.snapshot("main").await.unwrap().version().to_string();
    load(&graph, "main", &person("carol", 1, "x")).await;
    load(&graph, "main", &person("carol", 2, "x")).await;
    load(&graph, "main", &person("alice", 31, "paris")).await;
    graph
        .delete_ids("main", "person", &["bob".into()], &opts())
        .await
        .unwrap();
    let (columns, changes) = graph.diff("main", "person", &start, "main").await.unwrap();
    assert_eq!(columns.field(0).name(), "id");
    let summary: Vec<(String, ChangeKind)> =
        changes.iter().map(|c| (c.id.clone(), c.kind())).collect();
    assert_eq!(
        summary,
        [
            ("alice".to_string(), ChangeKind::Update),
            ("bob".to_string(), ChangeKind::Delete),
            ("carol".to_string(), ChangeKind::Insert),
        ]
    );
    let (_, none) = graph.diff("main", "person", "main", "main").await.unwrap();
    assert!(none.is_empty());
    assert!(matches!(
        graph.diff("main", "nope", &start, "main").await,
        Err(Error::UnknownTable(_))
    ));
}

#[tokio::test]
async fn merging_into_itself_or_an_unknown_branch_is_an_error() {
    let (_dir, graph) = graph().await;
    assert!(matches!(
        graph.merge("main", "main", &opts()).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        graph.merge("nope", "main", &opts()).await,
        Err(Error::UnknownBranch(_))
    ));
}

#[tokio::test]
async fn a_table_created_on_one_branch_is_adopted_once_with_its_later_columns() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    let with_city = format!("{SCHEMA}node City {{ name: String @key }}\n");
    graph
        .apply_schema("main", &with_city, &opts())
        .await
        .unwrap();
    load(&graph, "main", r#"{"type":"City","data":{"name":"rome"}}"#).await;
    load(&graph, "feature", &person("zoe", 9, "x")).await;
    // main's City rows arrive on the feature branch exactly once.
    assert_eq!(
        graph.merge("main", "feature", &opts()).await.unwrap().kind,
        MergeKind::Merged
    );
    assert_eq!(ids(&graph, "feature", "city").await, ["rome"]);
    assert_eq!(
        graph.merge("feature", "main", &opts()).await.unwrap().kind,
        MergeKind::FastForward
    );
    assert_eq!(ids(&graph, "main", "city").await, ["rome"]);
    assert!(
        ids(&graph, "main", "person")
            .await
            .contains(&"zoe".to_string())
    );

    // A type created on a branch and then given a new column comes with that column.
    graph.create_branch("tags", None).await.unwrap();
    let with_tag = format!("{with_city}node Tag {{ name: String @key }}\n");
    graph
        .apply_schema("tags", &with_tag, &opts())
        .await
        .unwrap();
    load(&graph, "tags", r#"{"type":"Tag","data":{"name":"a"}}"#).await;
    let with_tag_color = with_tag.replace(
        "node Tag { name: String @key }",
        "node Tag { name: String @key, color: String? }",
    );
    graph
        .apply_schema("tags", &with_tag_color, &opts())
        .await
        .unwrap();
    load(
        &graph,
        "tags",
        r#"{"type":"Tag","data":{"name":"b","color":"red"}}"#,
    )
    .await;
    load(&graph, "main", &person("yan", 1, "x")).await;
    let outcome = graph.merge("tags", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(ids(&graph, "main", "tag").await, ["a", "b"]);
    assert!(
        row(&graph, "main", "tag", "b")
            .await
            .unwrap()
            .contains("color=red")
    );
    // And main keeps writing the adopted table after the branch is gone.
    graph.delete_branch("tags").await.unwrap();
    load(&graph, "main", r#"{"type":"Tag","data":{"name":"c"}}"#).await;
    assert_eq!(ids(&graph, "main", "tag").await, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_branch_recreated_after_a_fast_forward_merges_against_the_right_base() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("f1", 1, "x")).await;
    assert_eq!(
        graph.merge("feature", "main", &opts()).await.unwrap().kind,
        MergeKind::FastForward
    );
    graph.delete_branch("feature").await.unwrap();
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("n1", 1, "x")).await;
    load(&graph, "feature", &person("n2", 1, "x")).await;
    load(&graph, "main", &person("m1", 1, "x")).await;
    let outcome = graph.merge("feature", "main", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "f1", "m1", "n1", "n2"]
    );
}

#[tokio::test]
async fn criss_cross_histories_merge() {
    let (_dir, graph) = graph().await;
    graph.create_branch("a", None).await.unwrap();
    graph.create_branch("b", None).await.unwrap();
    load(&graph, "a", &person("a1", 1, "x")).await;
    load(&graph, "b", &person("b1", 1, "x")).await;
    // Each merges the other's first commit: two best common ancestors from now on.
    graph.create_branch("a_snapshot", Some("a")).await.unwrap();
    assert_eq!(
        graph.merge("b", "a", &opts()).await.unwrap().kind,
        MergeKind::Merged
    );
    assert_eq!(
        graph.merge("a_snapshot", "b", &opts()).await.unwrap().kind,
        MergeKind::Merged
    );
    load(&graph, "a", &person("a2", 2, "x")).await;
    load(&graph, "b", &person("alice", 31, "paris")).await;
    let bases = graph.merge_base("a", "b").await.unwrap();
    assert!(bases.is_some());
    let outcome = graph.merge("b", "a", &opts()).await.unwrap();
    assert_eq!(outcome.kind, MergeKind::Merged);
    assert_eq!(
        ids(&graph, "a", "person").await,
        ["a1", "a2", "alice", "b1", "bob"]
    );
    assert!(
        row(&graph, "a", "person", "alice")
            .await
            .unwrap()
            .contains("age=31")
    );
}

#[tokio::test]
async fn time_travel_after_a_fast_forward_follows_the_targets_own_history() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("f1", 1, "x")).await;
    let f1 = graph.snapshot("feature").await.unwrap();
    let f1_id = f1.head_commit().unwrap().to_string();
    let f1_time = graph
        .commits("feature")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.commit_id == f1_id)
        .unwrap()
        .committed_at();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    graph.merge("feature", "main", &opts()).await.unwrap();
    // At the time feature made f1, main had not taken it yet.
    let then = graph
        .snapshot_at_text("main", &f1_time.to_rfc3339())
        .await
        .unwrap();
    assert_eq!(
        strings(&then.read_all("person").await.unwrap(), "id"),
        ["alice", "bob"]
    );
    // The commit id reads main's state after the fast-forward, even once feature is gone.
    graph.delete_branch("feature").await.unwrap();
    let at_f1 = graph.snapshot_at_text("main", &f1_id).await.unwrap();
    assert_eq!(
        strings(&at_f1.read_all("person").await.unwrap(), "id"),
        ["alice", "bob", "f1"]
    );
}

#[tokio::test]
async fn a_commit_id_never_reads_another_commits_state() {
    let (_dir, graph) = graph().await;
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("f1", 1, "x")).await;
    load(&graph, "main", &person("m1", 1, "x")).await;
    graph.merge("feature", "main", &opts()).await.unwrap();
    let f1_id = graph
        .snapshot("feature")
        .await
        .unwrap()
        .head_commit()
        .unwrap()
        .to_string();
    graph.delete_branch("feature").await.unwrap();
    graph.create_branch("feature", None).await.unwrap();
    load(&graph, "feature", &person("other", 1, "x")).await;
    // f1 was made on the old `feature`; the new one reuses its version numbers.
    assert!(matches!(
        graph.snapshot_at_text("main", &f1_id).await,
        Err(Error::UnknownRef(_))
    ));
}
