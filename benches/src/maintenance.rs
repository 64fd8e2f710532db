//! `maintenance`: what a long history costs after automatic maintenance, `cleanup` and
//! `optimize`, each against the same rows loaded in one commit.
//!
//! 1. `--inserts N` single-row autocommit `INSERT`s through a SQL session with default
//!    settings (automatic maintenance on), then the same N rows loaded in one commit into
//!    another graph: the median full scan of each, and each graph's size on disk (the
//!    inserted one before and after `CALL cleanup(keep_versions => 10)`).
//! 2. `--rows R` rows written as `--fragments F` commits (no automatic maintenance), then
//!    `CALL optimize()` timed while another task keeps running point lookups and full
//!    counts: their latency before and during the optimize shows reads are not blocked.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use omnigraph_engine::{Graph, LoadMode, WriteOptions};
use omnigraph_sql::Session;

use crate::{SCHEMA, SplitMix, arg, person_row};

fn disk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("dir entry");
        let meta = entry.metadata().expect("metadata");
        total += if meta.is_dir() {
            disk_bytes(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

async fn run(session: &Session, sql: &str) -> Vec<datafusion::arrow::array::RecordBatch> {
    session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The first row of `sql`'s result as text, columns joined by ", ".
async fn first_row(session: &Session, sql: &str) -> String {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let batches = run(session, sql).await;
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else {
        return String::new();
    };
    batch
        .columns()
        .iter()
        .map(|c| {
            ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default())
                .map(|f| f.value(0).to_string())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Median milliseconds of `reps` runs of `sql`.
async fn median_ms(session: &Session, sql: &str, reps: usize) -> f64 {
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        run(session, sql).await;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    times[times.len() / 2]
}

fn person_lines(range: std::ops::Range<u64>, seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed);
    range
        .map(|i| {
            let (name, age, city) = person_row(&mut rng, i);
            format!(r#"{{"type":"Person","data":{{"name":"{name}","age":{age},"city":"{city}"}}}}"#)
        })
        .collect()
}

async fn new_graph(dir: &Path, name: &str) -> Graph {
    let graph = Graph::create(dir.join(name).to_str().expect("utf-8 path"))
        .await
        .expect("create graph");
    graph
        .apply_schema("main", SCHEMA, &WriteOptions::default())
        .await
        .expect("schema");
    graph
}

pub async fn bench_maintenance(args: &[String]) {
    let inserts = arg(args, "--inserts", 10_000);
    let rows = arg(args, "--rows", 1_000_000);
    let fragments = arg(args, "--fragments", 1_000).max(1);
    let reps = arg(args, "--reps", 5) as usize;
    let dir = tempfile::TempDir::new().expect("temp dir");
    let scan = "SELECT count(*), sum(age), count(DISTINCT city) FROM person";

    // 1. Many small commits against one load.
    let inserted = new_graph(dir.path(), "inserted").await;
    let session = Session::new(inserted.clone()).await.expect("session");
    let mut rng = SplitMix(42);
    let started = Instant::now();
    for i in 0..inserts {
        let (name, age, city) = person_row(&mut rng, i);
        run(
            &session,
            &format!("INSERT INTO person (name, age, city) VALUES ('{name}', {age}, '{city}')"),
        )
        .await;
    }
    let insert_secs = started.elapsed().as_secs_f64();
    let loaded = new_graph(dir.path(), "loaded").await;
    loaded
        .load_ndjson(
            "main",
            &person_lines(0..inserts, 42).join("\n"),
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .expect("load");
    let loaded_session = Session::new(loaded.clone()).await.expect("session");
    let fragments_now = first_row(
        &session,
        "SELECT fragments FROM omnigraph.tables WHERE table_name = 'person'",
    )
    .await;
    let inserted_scan = median_ms(&session, scan, reps).await;
    let loaded_scan = median_ms(&loaded_session, scan, reps).await;
    let inserted_bytes = disk_bytes(&dir.path().join("inserted"));
    let started = Instant::now();
    run(&session, "CALL cleanup(keep_versions => 10)").await;
    let cleanup_secs = started.elapsed().as_secs_f64();
    let cleaned_bytes = disk_bytes(&dir.path().join("inserted"));
    let loaded_bytes = disk_bytes(&dir.path().join("loaded"));
    println!(
        "maintenance: {inserts} single-row INSERTs in {insert_secs:.1} s ({:.2} ms each, automatic maintenance on); person has {} fragments",
        insert_secs * 1e3 / inserts as f64,
        fragments_now
    );
    println!(
        "maintenance: full scan median {inserted_scan:.2} ms against {loaded_scan:.2} ms loaded in one commit: {:.2}x",
        inserted_scan / loaded_scan
    );
    println!(
        "maintenance: on disk {:.1} MB before cleanup, {:.1} MB after cleanup(keep_versions => 10) ({cleanup_secs:.1} s), {:.1} MB loaded in one commit: {:.2}x",
        inserted_bytes as f64 / 1e6,
        cleaned_bytes as f64 / 1e6,
        loaded_bytes as f64 / 1e6,
        cleaned_bytes as f64 / loaded_bytes as f64
    );
    drop(session);
    drop(loaded_session);

    // 2. optimize of a fragmented table while reads go on.
    let big = new_graph(dir.path(), "fragmented").await;
    let per_commit = rows / fragments;
    let started = Instant::now();
    for f in 0..fragments {
        let lines = person_lines(f * per_commit..(f + 1) * per_commit, 7 + f);
        big.load_ndjson(
            "main",
            &lines.join("\n"),
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .expect("load");
    }
    println!(
        "maintenance: {} rows written as {fragments} commits in {:.1} s",
        per_commit * fragments,
        started.elapsed().as_secs_f64()
    );
    let session = Arc::new(Session::new(big.clone()).await.expect("session"));
    let lookup = "SELECT age FROM person WHERE name = 'p4242'";
    let count = "SELECT count(*) FROM person";
    let lookup_before = median_ms(&session, lookup, reps * 4).await;
    let count_before = median_ms(&session, count, reps).await;
    let optimizing = Arc::new(AtomicBool::new(true));
    let reader = {
        let (session, optimizing) = (session.clone(), optimizing.clone());
        tokio::spawn(async move {
            let (mut lookups, mut counts) = (Vec::new(), Vec::new());
            while optimizing.load(Ordering::Relaxed) {
                let start = Instant::now();
                run(&session, lookup).await;
                lookups.push(start.elapsed().as_secs_f64() * 1e3);
                let start = Instant::now();
                run(&session, count).await;
                counts.push(start.elapsed().as_secs_f64() * 1e3);
            }
            (lookups, counts)
        })
    };
    let writer = Session::new(big.clone()).await.expect("session");
    let started = Instant::now();
    let out = first_row(
        &writer,
        "SELECT fragments_before, fragments_after FROM optimize('person')",
    )
    .await;
    let optimize_secs = started.elapsed().as_secs_f64();
    optimizing.store(false, Ordering::Relaxed);
    let (mut lookups, mut counts) = reader.await.expect("reader");
    lookups.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    counts.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let worst = |v: &[f64]| v.last().copied().unwrap_or(0.0);
    let middle = |v: &[f64]| v.get(v.len() / 2).copied().unwrap_or(0.0);
    println!(
        "maintenance: optimize() of {} rows in {fragments} fragments took {optimize_secs:.2} s (fragments before, after: {out})",
        per_commit * fragments
    );
    println!(
        "maintenance: during it, {} lookups median {:.2} ms (max {:.2}; {lookup_before:.2} before) and {} full counts median {:.2} ms (max {:.2}; {count_before:.2} before)",
        lookups.len(),
        middle(&lookups),
        worst(&lookups),
        counts.len(),
        middle(&counts),
        worst(&counts)
    );
    let lookup_after = median_ms(&session, lookup, reps * 4).await;
    let count_after = median_ms(&session, count, reps).await;
    println!(
        "maintenance: after it, lookup median {lookup_after:.2} ms, full count median {count_after:.2} ms"
    );
}
