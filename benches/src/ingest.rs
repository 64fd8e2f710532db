//! `omnigraph-bench ingest --scale S [--data DIR]`: the peers benchmark's R-MAT graph
//! (2^S persons, ~16 × 2^S knows edges) loaded into a fresh graph in one commit, keys and
//! integrity checked, four ways: `CALL load` of the CSV files, of Parquet files of the
//! same rows, of the NDJSON file, and `COPY ... FROM STDIN` of the CSV files over the wire
//! (one transaction); against DuckDB loading the same CSVs (the peers' load: read_csv into
//! tables with a primary key, and an index on `knows(src)`). Each way runs in a process of
//! its own, so its peak RSS is its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures::SinkExt;
use omnigraph_engine::{Graph, WriteOptions};
use serde_json::{Value, json};

use crate::server::{connect, peak_rss_mb, spawn_ours};
use crate::{arg, peers};

const WAYS: [&str; 4] = ["csv", "parquet", "ndjson", "copy"];

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The CSV files in a directory of their own, and the same rows as Parquet files in
/// another, for `CALL load` of a directory.
fn prepare(data: &Path) {
    let csv = data.join("csv");
    let parquet = data.join("parquet");
    for dir in [&csv, &parquet] {
        std::fs::create_dir_all(dir).expect("create directory");
    }
    let types = [
        (
            "person",
            vec![
                ("name", arrow_schema::DataType::Utf8),
                ("age", arrow_schema::DataType::Int32),
                ("city", arrow_schema::DataType::Utf8),
            ],
        ),
        (
            "knows",
            vec![
                ("src", arrow_schema::DataType::Utf8),
                ("dst", arrow_schema::DataType::Utf8),
                ("since", arrow_schema::DataType::Date32),
            ],
        ),
    ];
    for (name, columns) in types {
        let source = data.join(format!("{name}.csv"));
        let linked = csv.join(format!("{name}.csv"));
        if !linked.exists() {
            std::fs::hard_link(&source, &linked).expect("link the CSV file");
        }
        let target = parquet.join(format!("{name}.parquet"));
        if target.exists() {
            continue;
        }
        let schema = Arc::new(arrow_schema::Schema::new(
            columns
                .iter()
                .map(|(c, t)| arrow_schema::Field::new(*c, t.clone(), true))
                .collect::<Vec<_>>(),
        ));
        let reader = arrow_csv::ReaderBuilder::new(schema.clone())
            .with_header(true)
            .with_batch_size(65_536)
            .build(std::fs::File::open(&source).expect("open CSV"))
            .expect("CSV reader");
        let file = std::fs::File::create(&target).expect("create Parquet file");
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("Parquet writer");
        for batch in reader {
            writer
                .write(&batch.expect("CSV batch"))
                .expect("write Parquet");
        }
        writer.close().expect("close Parquet");
    }
}

pub async fn bench_ingest(args: &[String]) {
    let scale = arg(args, "--scale", 20);
    let kept;
    let data = match flag(args, "--data") {
        Some(dir) => PathBuf::from(dir),
        None => {
            kept = tempfile::TempDir::new().expect("temp dir");
            kept.path().to_path_buf()
        }
    };
    if !data.join("knows.csv").exists() {
        peers::generate(&[
            "generate".into(),
            "--scale".into(),
            scale.to_string(),
            "--out".into(),
            data.display().to_string(),
        ]);
    }
    prepare(&data);
    let me = std::env::current_exe().expect("own path");
    let mut results = Vec::new();
    for way in WAYS {
        let out = std::process::Command::new(&me)
            .args(["ingest-run", "--how", way, "--data"])
            .arg(&data)
            .output()
            .expect("run one way");
        assert!(
            out.status.success(),
            "ingest {way} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(
            out.stdout
                .split(|b| *b == b'\n')
                .rfind(|l| !l.is_empty())
                .expect("a report"),
        )
        .expect("a JSON report");
        eprintln!("ingest: {way}: {report}");
        results.push((way, report));
    }
    let duckdb = duckdb_load(&data);
    let persons = results[0].1["nodes"].as_u64().unwrap_or_default();
    let knows = results[0].1["edges"].as_u64().unwrap_or_default();
    for (way, report) in &results {
        assert_eq!(
            (report["nodes"].as_u64(), report["edges"].as_u64()),
            (Some(persons), Some(knows)),
            "{way} loaded other rows"
        );
    }
    println!("ingest: scale {scale}: {persons} persons, {knows} knows edges, one commit each");
    println!("| way | seconds | × DuckDB | peak RSS |");
    println!("|-----|---------|----------|----------|");
    for (way, report) in &results {
        let seconds = report["seconds"].as_f64().unwrap_or_default();
        println!(
            "| {} | {seconds:.2} | {:.2} | {} MB |",
            describe(way),
            seconds / duckdb,
            report["peak_mb"]
        );
    }
    println!("| DuckDB read_csv (peers' load) | {duckdb:.2} | 1.00 | — |");
}

fn describe(way: &str) -> &'static str {
    match way {
        "csv" => "`CALL load` of CSV files",
        "parquet" => "`CALL load` of Parquet files",
        "ndjson" => "`CALL load` of NDJSON",
        "copy" => "`COPY FROM STDIN` CSV over the wire (a commit per table)",
        _ => "`COPY FROM STDIN` CSV over the wire (one transaction)",
    }
}

/// DuckDB's load of the CSVs, as the peers benchmark times it (seconds).
fn duckdb_load(data: &Path) -> f64 {
    let python = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/omnigraph-sql/bench-venv/bin/python")
    });
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
    let script = "import sys, time, duckdb\n\
        sys.path.insert(0, sys.argv[1])\n\
        import run_duckdb\n\
        con = duckdb.connect()\n\
        start = time.perf_counter()\n\
        run_duckdb.load(con, sys.argv[2])\n\
        print(time.perf_counter() - start)\n";
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&peers)
        .arg(data)
        .output()
        .expect("run DuckDB (the peers' Python environment)");
    assert!(
        out.status.success(),
        "DuckDB load failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The last word: DuckDB may draw a progress bar on stdout before it.
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .and_then(|s| s.parse().ok())
        .expect("DuckDB's seconds")
}

/// One way, in this process: prints `{"seconds", "peak_mb", "nodes", "edges"}`.
pub async fn ingest_run(args: &[String]) {
    let way = flag(args, "--how").expect("--how");
    let data = PathBuf::from(flag(args, "--data").expect("--data"));
    let schema = std::fs::read_to_string(data.join("schema.txt")).expect("schema.txt");
    let dir = tempfile::TempDir::new().expect("temp dir");
    let graph_dir = dir.path().join("graph");
    let graph = Graph::create(graph_dir.to_str().expect("path"))
        .await
        .expect("create graph");
    let opts = WriteOptions::default();
    graph
        .apply_schema("main", &schema, &opts)
        .await
        .expect("schema");
    let (seconds, peak_mb) = if let Some(in_transaction) = match way.as_str() {
        "copy" => Some(false),
        "copy-tx" => Some(true),
        _ => None,
    } {
        drop(graph);
        copy_over_the_wire(dir.path(), &data, in_transaction).await
    } else {
        let path = match way.as_str() {
            "csv" => data.join("csv"),
            "parquet" => data.join("parquet"),
            _ => data.join("graph.ndjson"),
        };
        let started = Instant::now();
        graph
            .load_path(
                "main",
                path.to_str().expect("path"),
                omnigraph_engine::LoadMode::Append,
                None,
                &opts,
            )
            .await
            .expect("load");
        (
            started.elapsed().as_secs_f64(),
            peak_rss_mb(std::process::id()),
        )
    };
    let graph = Graph::open(graph_dir.to_str().expect("path"))
        .await
        .expect("open graph");
    let snapshot = graph.snapshot("main").await.expect("snapshot");
    let nodes = snapshot.count_rows("person").await.expect("count persons");
    let edges = snapshot.count_rows("knows").await.expect("count knows");
    println!(
        "{}",
        json!({"seconds": seconds, "peak_mb": peak_mb, "nodes": nodes, "edges": edges})
    );
}

/// Both CSV files copied over the wire, each `COPY` its own commit or both in one
/// transaction; (seconds, server peak MB).
async fn copy_over_the_wire(data_dir: &Path, data: &Path, in_transaction: bool) -> (f64, u64) {
    let server = spawn_ours(data_dir);
    let client = connect(&format!(
        "host=127.0.0.1 port={} user=bench dbname=graph",
        server.port
    ))
    .await;
    let started = Instant::now();
    if in_transaction {
        client.batch_execute("BEGIN").await.expect("begin");
    }
    for (table, columns) in [("person", "name, age, city"), ("knows", "src, dst, since")] {
        let sink = client
            .copy_in(&format!(
                "COPY {table} ({columns}) FROM STDIN (FORMAT csv, HEADER)"
            ))
            .await
            .expect("copy in");
        futures::pin_mut!(sink);
        let bytes = std::fs::read(data.join(format!("{table}.csv"))).expect("read CSV");
        for chunk in bytes.chunks(1 << 20) {
            sink.send(bytes::Bytes::copy_from_slice(chunk))
                .await
                .expect("send");
        }
        sink.finish().await.expect("copy");
        eprintln!(
            "ingest: {table} copied at {:.1} s, server RSS peak {} MB",
            started.elapsed().as_secs_f64(),
            peak_rss_mb(server.child.id())
        );
    }
    if in_transaction {
        client.batch_execute("COMMIT").await.expect("commit");
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb(server.child.id());
    (seconds, peak)
}
