use std::collections::BTreeMap;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use omnigraph_engine::{Graph, LoadMode, Snapshot, WriteOptions};
use tempfile::TempDir;

pub const SOCIAL: &str = "\
node Person  { name: String @key, age: I32?, email: String? @unique }
node Company { name: String @key }
edge Knows:   Person -> Person  { since: Date? }
edge WorksAt: Person -> Company @card(0..1)
";

pub const PEOPLE: &str = r#"{"type":"Person","data":{"name":"alice","age":30}}
{"type":"Person","data":{"name":"bob","age":25}}
{"type":"Company","data":{"name":"acme"}}
{"edge":"Knows","from":"alice","to":"bob","data":{"since":"2020-01-01"}}
{"edge":"WorksAt","from":"alice","to":"acme"}
"#;

pub fn opts() -> WriteOptions {
    WriteOptions::default()
}

/// A new graph with the social schema in a fresh temporary directory.
pub async fn social_graph() -> (TempDir, Graph) {
    let dir = TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    graph.apply_schema("main", SOCIAL, &opts()).await.unwrap();
    (dir, graph)
}

/// The social graph with `PEOPLE` loaded.
pub async fn loaded_graph() -> (TempDir, Graph) {
    let (dir, graph) = social_graph().await;
    graph
        .load_ndjson("main", PEOPLE, LoadMode::Append, &opts())
        .await
        .unwrap();
    (dir, graph)
}

/// Sorted values of string column `column` over `batches`.
pub fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let col = b.column_by_name(column).expect("column exists");
        let col = col
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("string column");
        for i in 0..col.len() {
            out.push(if col.is_null(i) {
                "<null>".to_string()
            } else {
                col.value(i).to_string()
            });
        }
    }
    out.sort();
    out
}

/// Sorted ids of `table` on `branch` at its head.
pub async fn ids(graph: &Graph, branch: &str, table: &str) -> Vec<String> {
    let snap = graph.snapshot(branch).await.unwrap();
    strings(&snap.read_all(table).await.unwrap(), "id")
}

pub fn person_line(name: &str, age: i32) -> String {
    format!(r#"{{"type":"Person","data":{{"name":"{name}","age":{age}}}}}"#)
}

/// A deterministic stream of numbers (SplitMix64) for property tests' seeded histories.
pub struct Mix(pub u64);

impl Mix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Every table of a snapshot as sorted rows of text.
pub async fn contents(snapshot: &Snapshot) -> BTreeMap<String, Vec<String>> {
    contents_except(snapshot, &[]).await
}

/// Every table of a snapshot as sorted rows of text, without the columns `skipped` names
/// (generated edge ids, say, when two runs of one workload are compared).
pub async fn contents_except(
    snapshot: &Snapshot,
    skipped: &[&str],
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let names: Vec<String> = snapshot
        .schema()
        .tables()
        .map(|t| t.table().to_string())
        .collect();
    for name in names {
        let mut rows = Vec::new();
        for batch in snapshot.read_all(&name).await.unwrap() {
            let options = FormatOptions::default().with_null("<null>");
            let formatters: Vec<ArrayFormatter> = batch
                .schema()
                .fields()
                .iter()
                .zip(batch.columns())
                .filter(|(field, _)| !skipped.contains(&field.name().as_str()))
                .map(|(_, c)| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
                .collect();
            for i in 0..batch.num_rows() {
                let row: Vec<String> = formatters.iter().map(|f| f.value(i).to_string()).collect();
                rows.push(row.join(","));
            }
        }
        rows.sort();
        out.insert(name, rows);
    }
    out
}
