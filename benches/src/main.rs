//! `omnigraph-bench`: reproducible benchmarks of OmniGraph SQL.
//!
//! ```text
//! cargo run --release -p omnigraph-benches -- load [--edges N] [--nodes N]
//! ```
//!
//! `load` generates a deterministic Person/Knows graph as NDJSON (seeded), loads it into a
//! fresh graph in one commit, and reports rows per second.

use std::io::Write;
use std::time::Instant;

use omnigraph_engine::{Graph, LoadMode, WriteOptions};

/// A small deterministic generator (SplitMix64), so every run loads the same graph.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const SCHEMA: &str = "node Person { name: String @key, age: I32?, city: String? }\n\
                      edge Knows: Person -> Person { since: Date? }\n";
const CITIES: [&str; 8] = ["paris", "berlin", "tokyo", "lima", "oslo", "rome", "cairo", "quito"];

fn arg(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("numeric flag value"))
        .unwrap_or(default)
}

fn write_social_ndjson(path: &std::path::Path, nodes: u64, edges: u64, seed: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut rng = SplitMix(seed);
    for i in 0..nodes {
        let age = 18 + rng.next() % 70;
        let city = CITIES[(rng.next() % CITIES.len() as u64) as usize];
        writeln!(out, r#"{{"type":"Person","data":{{"name":"p{i}","age":{age},"city":"{city}"}}}}"#)?;
    }
    for _ in 0..edges {
        let (s, d) = (rng.next() % nodes, rng.next() % nodes);
        let year = 2000 + rng.next() % 24;
        writeln!(out, r#"{{"edge":"Knows","from":"p{s}","to":"p{d}","data":{{"since":"{year}-01-01"}}}}"#)?;
    }
    out.flush()
}

async fn bench_load(args: &[String]) {
    let edges = arg(args, "--edges", 1_000_000);
    let nodes = arg(args, "--nodes", edges / 16);
    let dir = tempfile::TempDir::new().expect("temp dir");
    let input = dir.path().join("social.ndjson");
    write_social_ndjson(&input, nodes, edges, 42).expect("write input");
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let graph = Graph::create(dir.path().join("graph").to_str().expect("utf-8 path"))
        .await
        .expect("create graph");
    let opts = WriteOptions::default();
    graph.apply_schema("main", SCHEMA, &opts).await.expect("schema");
    let start = Instant::now();
    let summary = graph
        .load_file("main", input.to_str().expect("utf-8 path"), LoadMode::Append, &opts)
        .await
        .expect("load");
    let secs = start.elapsed().as_secs_f64();
    let rows = summary.nodes + summary.edges;
    println!("load: {} nodes + {} edges ({:.1} MB NDJSON) in {secs:.2} s", summary.nodes, summary.edges, size as f64 / 1e6);
    println!("load: {:.0} rows/s ({:.0} edges/s)", rows as f64 / secs, summary.edges as f64 / secs);
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") => bench_load(&args).await,
        _ => {
            eprintln!("usage: omnigraph-bench load [--edges N] [--nodes N]");
            std::process::exit(2);
        }
    }
}
