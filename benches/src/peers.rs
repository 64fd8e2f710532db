//! Our side of the comparison with peer engines (`benches/peers/run.py` drives it).
//!
//! `generate` writes one seeded R-MAT Person/Knows graph in every format the engines
//! load (CSV for every engine; NDJSON too, for `omnigraph-bench ingest`) with the
//! workload's inputs; `engine` loads the CSV files into a fresh graph through SQL in this process and runs the shared workloads,
//! then the ones only a versioned graph has (as-of scans, branch + write + merge as the
//! history grows), printing one JSON report in the format every runner shares
//! (`benches/peers/README.md`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use datafusion::arrow::array::{Array, Float64Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;
use omnigraph_sql::{Session, StatementResult};
use serde_json::{Value, json};

use crate::{CITIES, SplitMix, arg, rmat_edges};

const PEER_SCHEMA: &str = "node Person { name: String @key, age: I32?, city: String? }\n\
                           edge Knows: Person -> Person { since: Date? }\n";
const EDGE_FACTOR: u64 = 16;
const START_COUNT: usize = 8;
const LOOKUP_KEYS: usize = 100;
const MIN_AGE: u64 = 30;
/// `fof_city`'s city (`FOF_CITY` of `benches/peers/common.py`).
const FOF_CITY: &str = "paris";
/// Commits made after the load before the as-of scan reads the loaded version.
const AS_OF_COMMITS: u64 = 100;

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// `generate --scale S [--seed N] --out DIR`.
pub fn generate(args: &[String]) {
    let scale = arg(args, "--scale", 16) as u32;
    let seed = arg(args, "--seed", 2024);
    let out = PathBuf::from(flag(args, "--out").expect("generate needs --out DIR"));
    std::fs::create_dir_all(&out).expect("create output directory");
    let started = Instant::now();
    let n = 1u64 << scale;

    let mut edges: Vec<(u64, u64)> = rmat_edges(scale, EDGE_FACTOR, seed)
        .into_iter()
        .filter(|(s, d)| s != d)
        .collect();
    edges.sort_unstable();
    edges.dedup();

    let mut rng = SplitMix(seed ^ 0x5EED);
    let people: Vec<(u64, &str)> = (0..n)
        .map(|_| {
            let age = 18 + rng.next() % 70;
            (age, CITIES[(rng.next() % CITIES.len() as u64) as usize])
        })
        .collect();
    let since: Vec<u64> = edges.iter().map(|_| 2000 + rng.next() % 24).collect();

    let file = |name: &str| {
        std::io::BufWriter::new(std::fs::File::create(out.join(name)).expect("create file"))
    };
    let mut ndjson = file("graph.ndjson");
    let mut person_csv = file("person.csv");
    let mut knows_csv = file("knows.csv");
    writeln!(person_csv, "name,age,city").expect("write");
    for (i, (age, city)) in people.iter().enumerate() {
        writeln!(
            ndjson,
            r#"{{"type":"Person","data":{{"name":"p{i}","age":{age},"city":"{city}"}}}}"#
        )
        .expect("write");
        writeln!(person_csv, "p{i},{age},{city}").expect("write");
    }
    writeln!(knows_csv, "src,dst,since").expect("write");
    for ((s, d), year) in edges.iter().zip(&since) {
        writeln!(
            ndjson,
            r#"{{"edge":"Knows","from":"p{s}","to":"p{d}","data":{{"since":"{year}-01-01"}}}}"#
        )
        .expect("write");
        writeln!(knows_csv, "p{s},p{d},{year}-01-01").expect("write");
    }
    for mut f in [ndjson, person_csv, knows_csv] {
        f.flush().expect("flush");
    }
    std::fs::write(out.join("schema.txt"), PEER_SCHEMA).expect("write schema");

    // Starts: the first nodes (by number) with an out-edge, so every walk goes somewhere.
    let mut has_out = vec![false; n as usize];
    for (s, _) in &edges {
        has_out[*s as usize] = true;
    }
    let starts: Vec<String> = (0..n)
        .filter(|i| has_out[*i as usize])
        .take(START_COUNT)
        .map(|i| format!("p{i}"))
        .collect();
    let pairs: Vec<[String; 2]> = starts
        .iter()
        .zip(starts.iter().rev())
        .map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let lookup_keys: Vec<String> = (0..LOOKUP_KEYS)
        .map(|_| format!("p{}", rng.next() % n))
        .collect();
    let workload = json!({
        "scale": scale,
        "seed": seed,
        "persons": n,
        "knows": edges.len(),
        "starts": starts,
        "pairs": pairs,
        "lookup_keys": lookup_keys,
        "min_age": MIN_AGE,
    });
    std::fs::write(
        out.join("workload.json"),
        serde_json::to_string_pretty(&workload).expect("json"),
    )
    .expect("write workload");
    eprintln!(
        "generate: scale {scale}: {n} persons, {} knows edges in {:.1}s",
        edges.len(),
        started.elapsed().as_secs_f64()
    );
}

/// One workload's report: the first run apart (cold), then every timed run.
struct Timed {
    cold_us: f64,
    times_us: Vec<f64>,
    answers: Vec<Value>,
}

impl Timed {
    fn json(&self) -> Value {
        json!({"cold_us": self.cold_us, "times_us": self.times_us, "answers": self.answers})
    }
}

/// Runs `run` over `inputs`: the first input once for the cold time, then `reps` rounds
/// over all of them; the answers are those of the last round.
async fn timed<I, F, Fut>(inputs: &[I], reps: usize, mut run: F) -> Timed
where
    F: FnMut(&I) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let started = Instant::now();
    run(&inputs[0]).await;
    let cold_us = micros(started);
    let mut times_us = Vec::new();
    let mut answers = Vec::new();
    for rep in 0..reps {
        for input in inputs {
            let started = Instant::now();
            let answer = run(input).await;
            times_us.push(micros(started));
            if rep + 1 == reps {
                answers.push(answer);
            }
        }
    }
    Timed {
        cold_us,
        times_us,
        answers,
    }
}

fn micros(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e6
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

async fn query(session: &Session, sql: &str) -> StatementResult {
    let mut results = session
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    results.pop().expect("one result")
}

/// Every row of a result as JSON arrays (integers, floats, text or null).
fn rows(result: &StatementResult) -> Vec<Value> {
    let mut out = Vec::new();
    for batch in &result.batches {
        let columns: Vec<Vec<Value>> = batch.columns().iter().map(|c| column_values(c)).collect();
        for row in 0..batch.num_rows() {
            out.push(Value::Array(
                columns.iter().map(|c| c[row].clone()).collect(),
            ));
        }
    }
    out
}

fn column_values(column: &dyn Array) -> Vec<Value> {
    let dt = column.data_type();
    if dt.is_integer() {
        let ints = cast(column, &DataType::Int64).expect("integer column");
        let ints = ints.as_any().downcast_ref::<Int64Array>().expect("int64");
        (0..ints.len())
            .map(|i| {
                if ints.is_null(i) {
                    Value::Null
                } else {
                    json!(ints.value(i))
                }
            })
            .collect()
    } else if dt.is_floating() || matches!(dt, DataType::Decimal128(..)) {
        let floats = cast(column, &DataType::Float64).expect("float column");
        let floats = floats
            .as_any()
            .downcast_ref::<Float64Array>()
            .expect("float64");
        (0..floats.len())
            .map(|i| {
                if floats.is_null(i) {
                    Value::Null
                } else {
                    json!((floats.value(i) * 1000.0).round() / 1000.0)
                }
            })
            .collect()
    } else {
        let text = cast(column, &DataType::Utf8).expect("text column");
        let text = text.as_any().downcast_ref::<StringArray>().expect("utf8");
        (0..text.len())
            .map(|i| {
                if text.is_null(i) {
                    Value::Null
                } else {
                    json!(text.value(i))
                }
            })
            .collect()
    }
}

/// The one value of a one-row, one-column result.
fn single(result: &StatementResult) -> Value {
    rows(result)
        .into_iter()
        .next()
        .and_then(|row| row.as_array().and_then(|r| r.first().cloned()))
        .unwrap_or(Value::Null)
}

/// The shortest-path workload's (from, to) pairs.
fn pairs(workload: &Value) -> Vec<(String, String)> {
    workload["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            (
                p[0].as_str().expect("pair").to_string(),
                p[1].as_str().expect("pair").to_string(),
            )
        })
        .collect()
}

fn strings(workload: &Value, key: &str) -> Vec<String> {
    workload[key]
        .as_array()
        .unwrap_or_else(|| panic!("workload.json lacks {key}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

/// `engine --data DIR --graph GRAPHDIR [--reps R] [--history 10,100,1000]`.
pub async fn engine(args: &[String]) {
    let data = PathBuf::from(flag(args, "--data").expect("engine needs --data DIR"));
    let graph = flag(args, "--graph").expect("engine needs --graph GRAPHDIR");
    let reps = arg(args, "--reps", 5) as usize;
    let history: Vec<u64> = flag(args, "--history")
        .unwrap_or_else(|| "10,100,1000,10000".to_string())
        .split(',')
        .map(|h| h.trim().parse().expect("--history takes numbers"))
        .collect();
    let workload: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("workload.json")).expect("read workload.json"),
    )
    .expect("workload.json");

    let session = Session::open(&graph).await.expect("open graph");
    let schema = std::fs::read_to_string(data.join("schema.txt")).expect("read schema");
    query(&session, &format!("CALL apply_schema({})", quoted(&schema))).await;
    // The peers load person.csv and knows.csv; so do we (each file's rows go to the type
    // it is named after).
    let csv = format!("{}/*.csv", absolute(&data));
    let started = Instant::now();
    query(&session, &format!("CALL load({}, 'append')", quoted(&csv))).await;
    let load_seconds = started.elapsed().as_secs_f64();

    let mut workloads = serde_json::Map::new();
    let shared = shared_workloads(&session, &workload, reps).await;
    for (name, timed) in graph_table_workloads(&session, &workload, reps).await {
        // Each GRAPH_TABLE form answers exactly what the function it mirrors answers.
        let mirrored = &shared
            .iter()
            .find(|(n, _)| format!("gt_{n}") == name)
            .expect("a mirrored workload")
            .1;
        assert_eq!(
            timed.answers, mirrored.answers,
            "{name} differs from its function"
        );
        workloads.insert(name, timed.json());
    }
    for (name, timed) in shared {
        workloads.insert(name.to_string(), timed.json());
    }
    for (name, timed) in versioned_workloads(&session, reps, &history).await {
        workloads.insert(name, timed.json());
    }
    let report = json!({
        "engine": "omnigraph (in-process)",
        "version": env!("CARGO_PKG_VERSION"),
        "load_seconds": load_seconds,
        "workloads": workloads,
        "notes": "SQL through omnigraph_sql::Session; the topology index is built by the first traversal (in its cold time)",
    });
    println!("{report}");
}

fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .expect("data file exists")
        .to_string_lossy()
        .into_owned()
}

async fn shared_workloads(
    session: &Session,
    workload: &Value,
    reps: usize,
) -> Vec<(&'static str, Timed)> {
    let starts = strings(workload, "starts");
    let keys = strings(workload, "lookup_keys");
    let pairs = pairs(workload);
    let min_age = workload["min_age"].as_u64().expect("min_age");
    let mut out = Vec::new();

    let lookup = "SELECT name, age, city FROM person WHERE name = $1";
    out.push((
        "point_lookup",
        timed(&keys, reps, |key| {
            let key = ScalarValue::Utf8(Some(key.clone()));
            async move {
                let result = session
                    .execute_with_params(lookup, vec![key])
                    .await
                    .expect("point lookup");
                rows(&result).into_iter().next().unwrap_or(Value::Null)
            }
        })
        .await,
    ));
    let count_of = |sql: String| async move { single(&query(session, &sql).await) };
    out.push((
        "one_hop",
        timed(&starts, reps, |s| {
            count_of(format!(
                "SELECT count(DISTINCT node_id) FROM neighbors('knows', {})",
                quoted(s)
            ))
        })
        .await,
    ));
    for (name, depth) in [
        ("two_hop", 2),
        ("three_hop", 3),
        ("reachability", 1_000_000),
    ] {
        out.push((
            name,
            timed(&starts, reps, |s| {
                count_of(format!(
                    "SELECT count(*) FROM traverse('knows', {}, {depth})",
                    quoted(s)
                ))
            })
            .await,
        ));
    }
    out.push((
        "shortest_path",
        timed(&pairs, reps, |(a, b)| {
            let sql = format!(
                "SELECT count(*) - 1 FROM shortest_path('knows', {}, {})",
                quoted(a),
                quoted(b)
            );
            async move {
                let hops = single(&query(session, &sql).await);
                if hops == json!(-1) { Value::Null } else { hops }
            }
        })
        .await,
    ));
    out.push((
        "fof_city",
        timed(&starts, reps, |s| {
            count_of(format!(
                "SELECT count(DISTINCT b) FROM GRAPH_TABLE (omnigraph \
                 MATCH (a:Person WHERE a.id = {})-[:Knows]->(:Person)-[:Knows]->(x:Person WHERE x.city = '{FOF_CITY}') \
                 WHERE x.id <> a.id COLUMNS (x.id AS b))",
                quoted(s)
            ))
        })
        .await,
    ));
    out.push((
        "scan_group",
        timed(&[()], reps, |_| async move {
            Value::Array(rows(
                &query(
                    session,
                    &format!(
                        "SELECT city, count(*), avg(age) FROM person WHERE age >= {min_age} \
                         GROUP BY city ORDER BY city"
                    ),
                )
                .await,
            ))
        })
        .await,
    ));
    out.push((
        "scan_sum",
        timed(&[()], reps, |_| scan_sum(session, "")).await,
    ));
    out
}

/// The traversal workloads written as `GRAPH_TABLE` patterns (ours only: `gt_` and the
/// name of the workload each mirrors, with the same answers).
async fn graph_table_workloads(
    session: &Session,
    workload: &Value,
    reps: usize,
) -> Vec<(String, Timed)> {
    let starts = strings(workload, "starts");
    let pairs = pairs(workload);
    let count_of = |sql: String| async move { single(&query(session, &sql).await) };
    let mut out = Vec::new();
    out.push((
        "gt_one_hop".to_string(),
        timed(&starts, reps, |s| {
            count_of(format!(
                "SELECT count(DISTINCT b) FROM GRAPH_TABLE (omnigraph \
                 MATCH (a WHERE a.id = {})-[:Knows]->(b) COLUMNS (b.id AS b))",
                quoted(s)
            ))
        })
        .await,
    ));
    for (name, quantifier) in [
        ("gt_two_hop", "{1,2}"),
        ("gt_three_hop", "{1,3}"),
        ("gt_reachability", "+"),
    ] {
        out.push((
            name.to_string(),
            timed(&starts, reps, |s| {
                count_of(format!(
                    "SELECT count(*) FROM GRAPH_TABLE (omnigraph \
                     MATCH ANY SHORTEST (a WHERE a.id = {})-[:Knows]->{quantifier}(b) \
                     WHERE b.id <> a.id COLUMNS (b.id AS b))",
                    quoted(s)
                ))
            })
            .await,
        ));
    }
    out.push((
        "gt_shortest_path".to_string(),
        timed(&pairs, reps, |(a, b)| {
            count_of(format!(
                "SELECT hops FROM GRAPH_TABLE (omnigraph \
                 MATCH p = ANY SHORTEST (a WHERE a.id = {})-[:Knows]->*(b WHERE b.id = {}) \
                 COLUMNS (path_length(p) AS hops))",
                quoted(a),
                quoted(b)
            ))
        })
        .await,
    ));
    out
}

async fn scan_sum(session: &Session, as_of: &str) -> Value {
    let result = query(
        session,
        &format!("SELECT count(*), sum(age) FROM person{as_of}"),
    )
    .await;
    rows(&result).into_iter().next().unwrap_or(Value::Null)
}

/// One commit on `main`: a single-row update.
async fn commit_one(session: &Session, n: u64) {
    query(
        session,
        &format!("UPDATE person SET age = age + 1 WHERE name = 'p{n}'"),
    )
    .await;
}

async fn commit_count(session: &Session) -> u64 {
    single(&query(session, "SELECT count(*) FROM omnigraph.commits").await)
        .as_u64()
        .expect("commit count")
}

/// The workloads only a versioned graph has; they write, so they run last.
async fn versioned_workloads(
    session: &Session,
    reps: usize,
    history: &[u64],
) -> Vec<(String, Timed)> {
    let mut out = Vec::new();
    let loaded = single(
        &query(
            session,
            "SELECT head_version FROM omnigraph.branches WHERE name = 'main'",
        )
        .await,
    );
    for n in 0..AS_OF_COMMITS {
        commit_one(session, n).await;
    }
    let as_of = format!(" FOR SYSTEM_TIME AS OF {loaded}");
    out.push((
        "as_of_scan".to_string(),
        timed(&[()], reps, |_| scan_sum(session, &as_of)).await,
    ));
    out.push((
        "latest_scan".to_string(),
        timed(&[()], reps, |_| scan_sum(session, "")).await,
    ));

    let mut written = AS_OF_COMMITS;
    // Counted once per level: reading the history costs more as it grows.
    let mut history_length = commit_count(session).await;
    for &commits in history {
        while history_length < commits {
            commit_one(session, written).await;
            written += 1;
            history_length += 1;
        }
        let cycles: Vec<usize> = (0..reps.max(1)).collect();
        let branches = std::sync::atomic::AtomicUsize::new(0);
        let timing = timed(&cycles, 1, |cycle| {
            let cycle = *cycle;
            let number = branches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let branch = format!("bm_{commits}_{number}");
            async move {
                query(session, &format!("CALL create_branch({})", quoted(&branch))).await;
                query(
                    session,
                    &format!(
                        "UPDATE \"{branch}\".person SET city = 'merged' WHERE name = 'p{cycle}'"
                    ),
                )
                .await;
                let merged = query(session, &format!("CALL merge({})", quoted(&branch))).await;
                rows(&merged)
                    .into_iter()
                    .next()
                    .and_then(|row| row.as_array().and_then(|r| r.first().cloned()))
                    .unwrap_or(Value::Null)
            }
        })
        .await;
        out.push((format!("branch_merge_{commits}"), timing));
        history_length = commit_count(session).await;
    }
    out
}
