use arrow_array::{RecordBatch, StringArray};
use omnigraph_engine::{Error, IntegrityViolation, LoadMode};

use crate::common::*;

fn root_violation(err: &Error) -> Option<&IntegrityViolation> {
    match err.root() {
        Error::Integrity(v) => Some(v),
        _ => None,
    }
}

fn line_of(err: &Error) -> Option<u64> {
    match err {
        Error::AtLine { line, .. } => Some(*line),
        _ => None,
    }
}

#[tokio::test]
async fn append_load_writes_nodes_and_edges_in_one_commit() {
    let (_dir, graph) = social_graph().await;
    let before = graph.snapshot("main").await.unwrap().version();
    let out = graph
        .load_ndjson("main", PEOPLE, LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!((out.nodes, out.edges), (3, 2));
    let commit = out.commit.unwrap();
    assert_eq!(commit.graph_version, before + 1);
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.head_commit(), Some(commit.commit_id.as_str()));
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
    let knows = snap.read_all("knows").await.unwrap();
    assert_eq!(strings(&knows, "src"), ["alice"]);
    assert_eq!(strings(&knows, "dst"), ["bob"]);
}

#[tokio::test]
async fn a_failed_load_leaves_the_snapshot_intact_and_the_next_write_succeeds() {
    let (_dir, graph) = loaded_graph().await;
    let before = graph.snapshot("main").await.unwrap();
    let bad = format!(
        "{}\n{}\n{{\"type\":\"Person\",\"data\":{{\"name\":\"x\",\"age\":\"old\"}}}}\n",
        person_line("carol", 1),
        person_line("dave", 2)
    );
    let err = graph
        .load_ndjson("main", &bad, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert_eq!(line_of(&err), Some(3), "{err}");
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::InvalidValue { .. })
        ),
        "{err}"
    );
    let after = graph.snapshot("main").await.unwrap();
    assert_eq!(after.version(), before.version());
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
    graph
        .load_ndjson("main", &person_line("carol", 1), LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol"]
    );
}

#[tokio::test]
async fn malformed_lines_fail_with_their_line_number() {
    let (_dir, graph) = social_graph().await;
    for (input, line, needle) in [
        (
            "{\"type\":\"Person\",\"data\":{\"name\":\"a\"}}\nnot json",
            2,
            "invalid JSON",
        ),
        (
            "\n\n{\"type\":\"Robot\",\"data\":{}}",
            3,
            "unknown node type",
        ),
        ("{\"edge\":\"Knows\",\"from\":\"a\"}", 1, "missing \"to\""),
        (
            "{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"shoe\":4}}",
            1,
            "unknown property",
        ),
        (
            "{\"type\":\"Person\",\"data\":{\"age\":4}}",
            1,
            "missing required property person.name",
        ),
        (
            "{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"age\":3000000000}}",
            1,
            "out of range",
        ),
        ("[1,2]", 1, "expected a JSON object"),
    ] {
        let err = graph
            .load_ndjson("main", input, LoadMode::Append, &opts())
            .await
            .unwrap_err();
        assert_eq!(line_of(&err), Some(line), "{input}: {err}");
        assert!(err.to_string().contains(needle), "{input}: {err}");
    }
    assert!(ids(&graph, "main", "person").await.is_empty());
}

#[tokio::test]
async fn append_refuses_duplicate_keys_in_the_load_and_in_the_graph() {
    let (_dir, graph) = loaded_graph().await;
    let err = graph
        .load_ndjson("main", &person_line("alice", 3), LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::DuplicateKey { .. })
        ),
        "{err}"
    );
    let twice = format!("{}\n{}", person_line("zed", 1), person_line("zed", 2));
    let err = graph
        .load_ndjson("main", &twice, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert_eq!(line_of(&err), Some(2), "{err}");
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::DuplicateKey { .. })
        ),
        "{err}"
    );
}

#[tokio::test]
async fn edges_need_existing_endpoints() {
    let (_dir, graph) = loaded_graph().await;
    let input = "{\"edge\":\"Knows\",\"from\":\"alice\",\"to\":\"bob\"}\n{\"edge\":\"Knows\",\"from\":\"alice\",\"to\":\"nobody\"}";
    let err = graph
        .load_ndjson("main", input, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert_eq!(line_of(&err), Some(2), "{err}");
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::MissingEndpoint { .. })
        ),
        "{err}"
    );
    // Endpoints written earlier in the same load count.
    let input = format!(
        "{}\n{{\"edge\":\"Knows\",\"from\":\"carol\",\"to\":\"alice\"}}",
        person_line("carol", 5)
    );
    graph
        .load_ndjson("main", &input, LoadMode::Append, &opts())
        .await
        .unwrap();
}

#[tokio::test]
async fn unique_properties_are_enforced_against_the_graph_and_the_load() {
    let (_dir, graph) = social_graph().await;
    let a = r#"{"type":"Person","data":{"name":"a","email":"x@example.com"}}"#;
    graph
        .load_ndjson("main", a, LoadMode::Append, &opts())
        .await
        .unwrap();
    let b = r#"{"type":"Person","data":{"name":"b","email":"x@example.com"}}"#;
    let err = graph
        .load_ndjson("main", b, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::UniqueViolation { .. })
        ),
        "{err}"
    );
    let both = r#"{"type":"Person","data":{"name":"c","email":"y@example.com"}}
{"type":"Person","data":{"name":"d","email":"y@example.com"}}"#;
    let err = graph
        .load_ndjson("main", both, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::UniqueViolation { .. })
        ),
        "{err}"
    );
    // Upserting the row that holds the value keeps it unique.
    let same = r#"{"type":"Person","data":{"name":"a","email":"x@example.com","age":9}}"#;
    graph
        .load_ndjson("main", same, LoadMode::Merge, &opts())
        .await
        .unwrap();
}

#[tokio::test]
async fn cardinality_is_enforced() {
    let (_dir, graph) = loaded_graph().await;
    let second_job = r#"{"type":"Company","data":{"name":"globex"}}
{"edge":"WorksAt","from":"alice","to":"globex"}"#;
    let err = graph
        .load_ndjson("main", second_job, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::Cardinality { .. })
        ),
        "{err}"
    );
    let bobs_job = r#"{"edge":"WorksAt","from":"bob","to":"acme"}"#;
    graph
        .load_ndjson("main", bobs_job, LoadMode::Append, &opts())
        .await
        .unwrap();
}

#[tokio::test]
async fn merge_upserts_nodes_and_matches_keyless_edges_by_endpoints() {
    let (_dir, graph) = loaded_graph().await;
    let input = r#"{"type":"Person","data":{"name":"alice","age":31}}
{"type":"Person","data":{"name":"carol","age":40}}
{"edge":"Knows","from":"alice","to":"bob","data":{"since":"2021-06-01"}}"#;
    graph
        .load_ndjson("main", input, LoadMode::Merge, &opts())
        .await
        .unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol"]
    );
    let knows = snap.read_all("knows").await.unwrap();
    assert_eq!(
        knows.iter().map(|b| b.num_rows()).sum::<usize>(),
        1,
        "edge upserted, not duplicated"
    );
    // Loading the same file again in merge mode changes nothing in row counts.
    graph
        .load_ndjson("main", input, LoadMode::Merge, &opts())
        .await
        .unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.count_rows("person").await.unwrap(), 3);
    assert_eq!(snap.count_rows("knows").await.unwrap(), 1);
}

#[tokio::test]
async fn overwrite_replaces_the_tables_in_the_input() {
    let (_dir, graph) = loaded_graph().await;
    // Replacing people without alice would orphan alice's edges: refused.
    let err = graph
        .load_ndjson(
            "main",
            &person_line("bob", 26),
            LoadMode::Overwrite,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::MissingEndpoint { .. })
        ),
        "{err}"
    );
    let input = format!(
        "{}\n{}\n{}\n{{\"edge\":\"Knows\",\"from\":\"zoe\",\"to\":\"yan\"}}",
        person_line("zoe", 1),
        person_line("yan", 2),
        person_line("alice", 3)
    );
    graph
        .load_ndjson("main", &input, LoadMode::Overwrite, &opts())
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "yan", "zoe"]);
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.count_rows("knows").await.unwrap(), 1);
    assert_eq!(
        snap.count_rows("works_at").await.unwrap(),
        1,
        "tables not in the input are kept"
    );
}

#[tokio::test]
async fn every_type_loads_and_round_trips() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = omnigraph_engine::Graph::create(dir.path().to_str().unwrap())
        .await
        .unwrap();
    graph
        .apply_schema(
            "main",
            "node T @key(a, b) { a: String, b: I64, c: Bool?, d: U32?, e: U64?, f: F32?, g: F64?, \
             h: Date?, i: DateTime?, j: [String]?, k: enum(red, green)?, l: Vector(3)?, m: Blob? }",
            &opts(),
        )
        .await
        .unwrap();
    let row = r#"{"type":"T","data":{"a":"x|y","b":7,"c":true,"d":1,"e":2,"f":1.5,"g":2.5,"h":"2024-02-29","i":"2024-02-29T10:00:00Z","j":["p",null,"q"],"k":"red","l":[1,2,3],"m":"bytes"}}"#;
    graph
        .load_ndjson("main", row, LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(ids(&graph, "main", "t").await, ["x\\|y|7"]);
    let bad_enum = r#"{"type":"T","data":{"a":"z","b":1,"k":"blue"}}"#;
    let err = graph
        .load_ndjson("main", bad_enum, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not one of"), "{err}");
    let bad_vec = r#"{"type":"T","data":{"a":"z","b":1,"l":[1,2]}}"#;
    let err = graph
        .load_ndjson("main", bad_vec, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("vector of 3"), "{err}");
}

#[tokio::test]
async fn large_loads_stream_in_batches_and_commit_once() {
    let (_dir, graph) = social_graph().await;
    let mut input = String::new();
    for i in 0..20_000 {
        input.push_str(&person_line(&format!("p{i}"), i % 90));
        input.push('\n');
    }
    for i in 0..20_000 {
        input.push_str(&format!(
            "{{\"edge\":\"Knows\",\"from\":\"p{i}\",\"to\":\"p{}\"}}\n",
            (i * 7 + 1) % 20_000
        ));
    }
    let before = graph.commits("main").await.unwrap().len();
    let out = graph
        .load_ndjson("main", &input, LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!((out.nodes, out.edges), (20_000, 20_000));
    assert_eq!(graph.commits("main").await.unwrap().len(), before + 1);
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.count_rows("person").await.unwrap(), 20_000);
    assert_eq!(snap.count_rows("knows").await.unwrap(), 20_000);
}

#[tokio::test]
async fn loading_without_a_schema_or_with_a_bad_mode_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = omnigraph_engine::Graph::create(dir.path().to_str().unwrap())
        .await
        .unwrap();
    let err = graph
        .load_ndjson("main", PEOPLE, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoSchema), "{err}");
    assert!("replace".parse::<LoadMode>().is_err());
    assert_eq!("MERGE".parse::<LoadMode>().unwrap(), LoadMode::Merge);
}

#[tokio::test]
async fn keys_are_compared_by_value_not_by_spelling() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = omnigraph_engine::Graph::create(dir.path().to_str().unwrap())
        .await
        .unwrap();
    graph
        .apply_schema(
            "main",
            "node Event { at: DateTime @key }\nnode Day { d: Date @key }",
            &opts(),
        )
        .await
        .unwrap();
    graph
        .load_ndjson(
            "main",
            r#"{"type":"Event","data":{"at":"2024-01-01T00:00:00Z"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    let same_instant = r#"{"type":"Event","data":{"at":"2024-01-01T01:00:00+01:00"}}"#;
    let err = graph
        .load_ndjson("main", same_instant, LoadMode::Append, &opts())
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::DuplicateKey { .. })
        ),
        "{err}"
    );
    assert_eq!(ids(&graph, "main", "event").await, ["2024-01-01T00:00:00Z"]);
}

#[tokio::test]
async fn merge_refuses_the_same_keyless_edge_twice_in_one_load() {
    let (_dir, graph) = loaded_graph().await;
    for input in [
        "{\"edge\":\"Knows\",\"from\":\"alice\",\"to\":\"bob\"}\n{\"edge\":\"Knows\",\"from\":\"alice\",\"to\":\"bob\"}",
        "{\"edge\":\"Knows\",\"from\":\"bob\",\"to\":\"alice\"}\n{\"edge\":\"Knows\",\"from\":\"bob\",\"to\":\"alice\"}",
    ] {
        let err = graph
            .load_ndjson("main", input, LoadMode::Merge, &opts())
            .await
            .unwrap_err();
        assert_eq!(line_of(&err), Some(2), "{err}");
    }
}

#[tokio::test]
async fn out_of_range_and_doubly_given_values_are_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = omnigraph_engine::Graph::create(dir.path().to_str().unwrap())
        .await
        .unwrap();
    graph
        .apply_schema(
            "main",
            "node M { k: String @key, ratio: F32?, firstName: String? }",
            &opts(),
        )
        .await
        .unwrap();
    let err = graph
        .load_ndjson(
            "main",
            r#"{"type":"M","data":{"k":"a","ratio":1e300}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    let err = graph
        .load_ndjson(
            "main",
            r#"{"type":"M","data":{"k":"a","firstName":"x","first_name":"y"}}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("given twice"), "{err}");
}

/// A merge load finds existing keyless edges by their source (through the `src` index)
/// for its first sources, and by one read of the table past them: either way an edge
/// already there is updated, not added again.
#[tokio::test]
async fn merge_matches_keyless_edges_however_many_sources_the_load_names() {
    let (_dir, graph) = social_graph().await;
    let n = 1500;
    let mut people = String::new();
    let mut edges = String::new();
    for i in 0..n {
        people.push_str(&person_line(&format!("p{i}"), 1));
        people.push('\n');
        edges.push_str(&format!(
            "{{\"edge\":\"Knows\",\"from\":\"p{i}\",\"to\":\"p{}\"}}\n",
            (i + 1) % n
        ));
    }
    graph
        .load_ndjson("main", &people, LoadMode::Append, &opts())
        .await
        .unwrap();
    graph
        .load_ndjson("main", &edges, LoadMode::Append, &opts())
        .await
        .unwrap();
    // The same pairs with a property, plus one new pair per source: n updated, n added.
    let mut again = String::new();
    for i in 0..n {
        again.push_str(&format!(
            "{{\"edge\":\"Knows\",\"from\":\"p{i}\",\"to\":\"p{}\",\"data\":{{\"since\":\"2020-01-01\"}}}}\n",
            (i + 1) % n
        ));
        again.push_str(&format!(
            "{{\"edge\":\"Knows\",\"from\":\"p{i}\",\"to\":\"p{}\"}}\n",
            (i + 2) % n
        ));
    }
    graph
        .load_ndjson("main", &again, LoadMode::Merge, &opts())
        .await
        .unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.count_rows("knows").await.unwrap(), 2 * n as u64);
    // A small merge afterwards (the index path only) updates in place too.
    graph
        .load_ndjson(
            "main",
            "{\"edge\":\"Knows\",\"from\":\"p7\",\"to\":\"p9\",\"data\":{\"since\":\"2021-01-01\"}}\n",
            LoadMode::Merge,
            &opts(),
        )
        .await
        .unwrap();
    let snap = graph.snapshot("main").await.unwrap();
    assert_eq!(snap.count_rows("knows").await.unwrap(), 2 * n as u64);
}

/// The social graph's rows as CSV and Parquet files in `dir`: person.csv, company.csv,
/// knows.csv (endpoints as `from`/`to`) and works_at-0001.parquet.
fn social_files(dir: &std::path::Path) {
    use std::sync::Arc;
    std::fs::write(
        dir.join("person.csv"),
        "name,age,email\nalice,30,a@x\nbob,25,\n\"carol, jr\",41,c@x\n",
    )
    .unwrap();
    std::fs::write(dir.join("company.csv"), "name\nacme\n").unwrap();
    std::fs::write(
        dir.join("knows.csv"),
        "from,to,since\nalice,bob,2020-01-01\nbob,\"carol, jr\",\n",
    )
    .unwrap();
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("src", arrow_schema::DataType::Utf8, false),
        arrow_schema::Field::new("dst", arrow_schema::DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["alice", "bob"])),
            Arc::new(StringArray::from(vec!["acme", "acme"])),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(dir.join("works_at-0001.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[tokio::test]
async fn csv_and_parquet_files_load_by_file_name_in_one_commit() {
    let (_dir, graph) = social_graph().await;
    let files = tempfile::TempDir::new().unwrap();
    social_files(files.path());
    let before = graph.snapshot("main").await.unwrap().version();
    let out = graph
        .load_path(
            "main",
            files.path().to_str().unwrap(),
            LoadMode::Append,
            None,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!((out.nodes, out.edges), (4, 4));
    assert_eq!(out.commit.unwrap().graph_version, before + 1);
    assert_eq!(
        ids(&graph, "main", "person").await,
        ["alice", "bob", "carol, jr"]
    );
    // The same rows as NDJSON give the same tables (edge ids aside: they are new).
    let (_other, same) = social_graph().await;
    let lines = r#"{"type":"Person","data":{"name":"alice","age":30,"email":"a@x"}}
{"type":"Person","data":{"name":"bob","age":25}}
{"type":"Person","data":{"name":"carol, jr","age":41,"email":"c@x"}}
{"type":"Company","data":{"name":"acme"}}
{"edge":"Knows","from":"alice","to":"bob","data":{"since":"2020-01-01"}}
{"edge":"Knows","from":"bob","to":"carol, jr"}
{"edge":"WorksAt","from":"alice","to":"acme"}
{"edge":"WorksAt","from":"bob","to":"acme"}"#;
    same.load_ndjson("main", lines, LoadMode::Append, &opts())
        .await
        .unwrap();
    assert_eq!(
        contents_except(&graph.snapshot("main").await.unwrap(), &["id"]).await,
        contents_except(&same.snapshot("main").await.unwrap(), &["id"]).await
    );

    // A glob, and a type given for a file whose name does not say it.
    let (_dir, graph) = social_graph().await;
    std::fs::copy(
        files.path().join("person.csv"),
        files.path().join("staff.csv"),
    )
    .unwrap();
    let err = graph
        .load_path(
            "main",
            files.path().join("staff.csv").to_str().unwrap(),
            LoadMode::Append,
            None,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("which node or edge type"), "{err}");
    graph
        .load_path(
            "main",
            files.path().join("staff.csv").to_str().unwrap(),
            LoadMode::Append,
            Some("Person"),
            &opts(),
        )
        .await
        .unwrap();
    let out = graph
        .load_path(
            "main",
            files.path().join("c*.csv").to_str().unwrap(),
            LoadMode::Append,
            None,
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(out.tables.keys().collect::<Vec<_>>(), ["company"]);
}

#[tokio::test]
async fn a_bad_file_writes_nothing_and_names_its_line() {
    let (_dir, graph) = loaded_graph().await;
    let before = graph.snapshot("main").await.unwrap().version();
    let files = tempfile::TempDir::new().unwrap();
    social_files(files.path());
    let load = |path: std::path::PathBuf| {
        let graph = graph.clone();
        async move {
            graph
                .load_path(
                    "main",
                    path.to_str().unwrap(),
                    LoadMode::Merge,
                    None,
                    &opts(),
                )
                .await
                .unwrap_err()
        }
    };
    // A value of the wrong type, in one of several files: the file and line are named.
    std::fs::write(
        files.path().join("person.csv"),
        "name,age\ndave,4\nerin,old\n",
    )
    .unwrap();
    let err = load(files.path().to_path_buf()).await;
    let text = err.to_string();
    assert!(text.contains("person.csv"), "{text}");
    // An edge to a node that is nowhere.
    std::fs::write(files.path().join("person.csv"), "name\ndave\n").unwrap();
    std::fs::write(files.path().join("knows.csv"), "src,dst\ndave,nobody\n").unwrap();
    let err = load(files.path().to_path_buf()).await;
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::MissingEndpoint { .. })
        ),
        "{err}"
    );
    // A column the type does not have.
    std::fs::write(
        files.path().join("knows.csv"),
        "src,dst,weight\ndave,bob,1\n",
    )
    .unwrap();
    let err = load(files.path().to_path_buf()).await;
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::UnknownProperty { .. })
        ),
        "{err}"
    );
    // The same key twice across batches of one file.
    let rows: String = (0..20_000).map(|i| format!("p{}\n", i % 15_000)).collect();
    let only = tempfile::TempDir::new().unwrap();
    std::fs::write(only.path().join("person.csv"), format!("name\n{rows}")).unwrap();
    let err = graph
        .load_path(
            "main",
            only.path().join("person.csv").to_str().unwrap(),
            LoadMode::Append,
            None,
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(line_of(&err), Some(15_002), "{err}");
    assert!(err.to_string().contains("also on line 2"), "{err}");
    assert_eq!(graph.snapshot("main").await.unwrap().version(), before);
    assert_eq!(ids(&graph, "main", "person").await, ["alice", "bob"]);
}

#[tokio::test]
async fn inserted_batches_get_the_ids_loaded_lines_get() {
    use std::sync::Arc;
    // Keys of every key type, one graph loaded from lines and one from batches.
    async fn keyed_graph() -> (tempfile::TempDir, omnigraph_engine::Graph) {
        let dir = tempfile::TempDir::new().unwrap();
        let graph = omnigraph_engine::Graph::create(dir.path().to_str().unwrap())
            .await
            .unwrap();
        graph
            .apply_schema(
                "main",
                "node Event { at: DateTime @key, n: I64 }\nnode Day { d: Date @key, ok: Bool? }\nedge Next: Day -> Day { k: I32 @key }",
                &opts(),
            )
            .await
            .unwrap();
        (dir, graph)
    }
    let (_dir, graph) = keyed_graph().await;
    let lines = r#"{"type":"Event","data":{"at":"2024-01-01T00:00:00.5Z","n":1}}
{"type":"Day","data":{"d":"2024-02-29"}}
{"type":"Day","data":{"d":"2024-03-01"}}
{"edge":"Next","from":"2024-02-29","to":"2024-03-01","data":{"k":7}}"#;
    graph
        .load_ndjson("main", lines, LoadMode::Append, &opts())
        .await
        .unwrap();
    let mut loaded = Vec::new();
    for t in ["event", "day", "next"] {
        loaded.push(ids(&graph, "main", t).await);
    }
    let (_dir2, inserted) = keyed_graph().await;
    let utc = arrow_array::TimestampMicrosecondArray::from(vec![1_704_067_200_500_000i64])
        .with_timezone("UTC");
    let event = RecordBatch::try_from_iter(vec![
        ("at", Arc::new(utc) as arrow_array::ArrayRef),
        ("n", Arc::new(arrow_array::Int64Array::from(vec![1]))),
    ])
    .unwrap();
    let day = RecordBatch::try_from_iter(vec![(
        "d",
        Arc::new(arrow_array::Date32Array::from(vec![19_782, 19_783])) as arrow_array::ArrayRef,
    )])
    .unwrap();
    let next = RecordBatch::try_from_iter(vec![
        (
            "src",
            Arc::new(StringArray::from(vec!["2024-02-29"])) as arrow_array::ArrayRef,
        ),
        ("dst", Arc::new(StringArray::from(vec!["2024-03-01"]))),
        ("k", Arc::new(arrow_array::Int32Array::from(vec![7]))),
    ])
    .unwrap();
    for (table, batch) in [("event", event), ("day", day.clone()), ("next", next)] {
        inserted
            .insert_batches(
                "main",
                table,
                &[batch],
                omnigraph_engine::InsertMode::Insert,
                &opts(),
            )
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    for t in ["event", "day", "next"] {
        got.push(ids(&inserted, "main", t).await);
    }
    assert_eq!(got, loaded);
    // The same key again is a duplicate; a required property left out is missing.
    let err = inserted
        .insert_batches(
            "main",
            "day",
            &[day],
            omnigraph_engine::InsertMode::Insert,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::DuplicateKey { .. })
        ),
        "{err}"
    );
    let no_n = RecordBatch::try_from_iter(vec![(
        "at",
        Arc::new(arrow_array::TimestampMicrosecondArray::from(vec![5i64]).with_timezone("UTC"))
            as arrow_array::ArrayRef,
    )])
    .unwrap();
    let err = inserted
        .insert_batches(
            "main",
            "event",
            &[no_n],
            omnigraph_engine::InsertMode::Insert,
            &opts(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            root_violation(&err),
            Some(IntegrityViolation::MissingProperty { .. })
        ),
        "{err}"
    );
}
