#![recursion_limit = "256"]

//! `omnigraph-bench`: reproducible benchmarks of OmniGraph SQL.
//!
//! ```text
//! cargo run --release -p omnigraph-benches -- load [--edges N] [--nodes N]
//! cargo run --release -p omnigraph-benches -- scan [--rows N] [--reps N]
//! cargo run --release -p omnigraph-benches -- traverse [--scale S] [--reps N]
//! cargo run --release -p omnigraph-benches -- merge [--rows N] [--changes N] [--reps N]
//! cargo run --release -p omnigraph-benches -- writes [--rows N] [--inserts N]
//! cargo run --release -p omnigraph-benches -- maintenance [--inserts N] [--rows N] [--fragments N] [--reps N]
//! cargo run --release -p omnigraph-benches -- server [--rows N] [--queries N] [--reps N]
//! cargo run --release -p omnigraph-benches -- generate --scale S [--seed N] --out DIR
//! cargo run --release -p omnigraph-benches -- engine --data DIR --graph DIR [--reps N] [--history 10,100,1000,10000]
//! ```
//!
//! `generate` and `engine` are our side of the comparison with peer engines that
//! `benches/peers/run.py` drives (see `peers.rs`).
//!
//! `load` generates a deterministic Person/Knows graph as NDJSON (seeded), loads it into a
//! fresh graph in one commit, and reports rows per second.
//!
//! `scan` loads N Person rows, then times the same filtered aggregate through SQL on our
//! table provider and as a hand-written raw Lance scan, reporting the median of `reps`.
//!
//! `traverse` generates an R-MAT graph (Graph500 parameters A=0.57, B=C=0.19, edge
//! factor 16, seeded, vertices relabelled by a seeded permutation) with 2^S nodes, loads
//! it, and reports index build time and medians of 1-hop, 2-hop distinct, 3-hop distinct,
//! full reachability and shortest path over fixed start nodes, through the engine API and
//! through SQL.
//!
//! `writes` loads N Person rows, then times single-row `INSERT` statements through SQL
//! (each its own graph commit; median and p95) and one `INSERT INTO company SELECT` of
//! the N rows (rows per second), integrity checks included.
//!
//! `maintenance` measures what automatic maintenance, `cleanup` and `optimize` leave of
//! a long history (see `maintenance.rs`).
//!
//! `server` runs `omnigraph-server` and a PostgreSQL cluster (apt `postgresql-15`) on the
//! same N Person rows and compares a `SELECT 1` round trip, a prepared point lookup and
//! text streaming over the wire (see `server.rs`).
//!
//! `merge` loads N Person rows on `main`, then per repetition creates a branch, changes
//! `changes` rows on it (half updates of existing rows, half inserts), and times
//! `merge_conflicts`, a fast-forward merge, and (with one unrelated write on `main`
//! first) a three-way merge, each into a fresh branch of the same state.

mod ingest;
mod maintenance;
mod peers;
mod postgres;
mod server;

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
const CITIES: [&str; 8] = [
    "paris", "berlin", "tokyo", "lima", "oslo", "rome", "cairo", "quito",
];

fn arg(args: &[String], flag: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("numeric flag value"))
        .unwrap_or(default)
}

/// Person row `i` (name, age, city), drawing from `rng`: the same rows for every engine.
fn person_row(rng: &mut SplitMix, i: u64) -> (String, u64, &'static str) {
    let age = 18 + rng.next() % 70;
    let city = CITIES[(rng.next() % CITIES.len() as u64) as usize];
    (format!("p{i}"), age, city)
}

fn write_social_ndjson(
    path: &std::path::Path,
    nodes: u64,
    edges: u64,
    seed: u64,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut rng = SplitMix(seed);
    for i in 0..nodes {
        let (name, age, city) = person_row(&mut rng, i);
        writeln!(
            out,
            r#"{{"type":"Person","data":{{"name":"{name}","age":{age},"city":"{city}"}}}}"#
        )?;
    }
    for _ in 0..edges {
        let (s, d) = (rng.next() % nodes, rng.next() % nodes);
        let year = 2000 + rng.next() % 24;
        writeln!(
            out,
            r#"{{"edge":"Knows","from":"p{s}","to":"p{d}","data":{{"since":"{year}-01-01"}}}}"#
        )?;
    }
    out.flush()
}

/// A graph in a temporary directory with `schema` and `rows` seeded Person rows (one load).
async fn people_graph(rows: u64, seed: u64, schema: &str) -> (tempfile::TempDir, Graph) {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let input = dir.path().join("people.ndjson");
    write_social_ndjson(&input, rows, 0, seed).expect("write input");
    let graph = Graph::create(dir.path().join("graph").to_str().expect("utf-8 path"))
        .await
        .expect("create graph");
    let opts = WriteOptions::default();
    graph
        .apply_schema("main", schema, &opts)
        .await
        .expect("schema");
    graph
        .load_file(
            "main",
            input.to_str().expect("utf-8 path"),
            LoadMode::Append,
            &opts,
        )
        .await
        .expect("load");
    (dir, graph)
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
    graph
        .apply_schema("main", SCHEMA, &opts)
        .await
        .expect("schema");
    let start = Instant::now();
    let summary = graph
        .load_file(
            "main",
            input.to_str().expect("utf-8 path"),
            LoadMode::Append,
            &opts,
        )
        .await
        .expect("load");
    let secs = start.elapsed().as_secs_f64();
    let rows = summary.nodes + summary.edges;
    println!(
        "load: {} nodes + {} edges ({:.1} MB NDJSON) in {secs:.2} s",
        summary.nodes,
        summary.edges,
        size as f64 / 1e6
    );
    println!(
        "load: {:.0} rows/s ({:.0} edges/s)",
        rows as f64 / secs,
        summary.edges as f64 / secs
    );
}

/// R-MAT edges (Graph500 parameters), vertex ids relabelled by a seeded permutation.
fn rmat_edges(scale: u32, edge_factor: u64, seed: u64) -> Vec<(u64, u64)> {
    let n = 1u64 << scale;
    let m = n * edge_factor;
    let mut rng = SplitMix(seed);
    let unit = |r: &mut SplitMix| (r.next() >> 11) as f64 / (1u64 << 53) as f64;
    let (a, b, c) = (0.57, 0.19, 0.19);
    let mut perm: Vec<u64> = (0..n).collect();
    for i in (1..n as usize).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        perm.swap(i, j);
    }
    let mut edges = Vec::with_capacity(m as usize);
    for _ in 0..m {
        let (mut s, mut d) = (0u64, 0u64);
        for bit in (0..scale).rev() {
            let r = unit(&mut rng);
            let (si, di) = if r < a {
                (0, 0)
            } else if r < a + b {
                (0, 1)
            } else if r < a + b + c {
                (1, 0)
            } else {
                (1, 1)
            };
            s |= si << bit;
            d |= di << bit;
        }
        edges.push((perm[s as usize], perm[d as usize]));
    }
    edges
}

async fn bench_traverse(args: &[String]) {
    use omnigraph_engine::Direction;

    let scale = arg(args, "--scale", 16) as u32;
    let reps = arg(args, "--reps", 5) as usize;
    let n = 1u64 << scale;
    let dir = tempfile::TempDir::new().expect("temp dir");
    let input = dir.path().join("rmat.ndjson");
    let gen_start = Instant::now();
    let edges = rmat_edges(scale, 16, 2024);
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input).expect("create input"));
        for i in 0..n {
            writeln!(out, r#"{{"type":"Person","data":{{"name":"p{i}"}}}}"#).expect("write");
        }
        for (s, d) in &edges {
            writeln!(out, r#"{{"edge":"Knows","from":"p{s}","to":"p{d}"}}"#).expect("write");
        }
        out.flush().expect("flush");
    }
    println!(
        "traverse: R-MAT scale {scale}: {n} nodes, {} edges (generated in {:.1}s)",
        edges.len(),
        gen_start.elapsed().as_secs_f64()
    );
    drop(edges);
    let graph = Graph::create(dir.path().join("graph").to_str().expect("utf-8 path"))
        .await
        .expect("create graph");
    let opts = WriteOptions::default();
    graph
        .apply_schema("main", SCHEMA, &opts)
        .await
        .expect("schema");
    let load_start = Instant::now();
    graph
        .load_file(
            "main",
            input.to_str().expect("utf-8 path"),
            LoadMode::Append,
            &opts,
        )
        .await
        .expect("load");
    println!(
        "traverse: loaded in {:.1}s",
        load_start.elapsed().as_secs_f64()
    );
    std::fs::remove_file(&input).ok();

    let snapshot = graph.snapshot("main").await.expect("snapshot");
    let build_start = Instant::now();
    let topology = snapshot.topology("knows").await.expect("topology");
    let build_secs = build_start.elapsed().as_secs_f64();
    snapshot.node_ids("person").await.expect("node ids");
    println!(
        "traverse: index build {:.1} ms ({} MB)",
        build_secs * 1e3,
        topology.memory_size() / (1 << 20)
    );

    // Fixed start nodes: the first ids (in permuted order) that have out-edges.
    let mut starts = Vec::new();
    let mut i = 0u64;
    while starts.len() < 8 && i < n {
        let id = format!("p{i}");
        if let Some(o) = topology.ordinal(&id) {
            let mut deg = 0;
            topology.for_each_neighbor(o, Direction::Out, |_, _| deg += 1);
            if deg > 0 {
                starts.push(o);
            }
        }
        i += 1;
    }
    let per_start = |f: &dyn Fn(u32) -> usize| -> (f64, usize) {
        let mut times = Vec::new();
        let mut check = 0;
        for _ in 0..reps {
            for &s in &starts {
                let t = Instant::now();
                check = f(s);
                times.push(t.elapsed().as_secs_f64());
            }
        }
        times.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        (times[times.len() / 2], check)
    };
    let report = |name: &str, (secs, check): (f64, usize)| {
        println!(
            "traverse: {name:<22} median {:>9.3} ms   (last result size {check})",
            secs * 1e3
        )
    };
    report(
        "1-hop",
        per_start(&|s| {
            let mut k = 0;
            topology.for_each_neighbor(s, Direction::Out, |_, _| k += 1);
            k
        }),
    );
    report(
        "2-hop distinct",
        per_start(&|s| topology.traverse(s, 1, 2, Direction::Out).len()),
    );
    report(
        "3-hop distinct",
        per_start(&|s| topology.traverse(s, 1, 3, Direction::Out).len()),
    );
    report(
        "full reachability",
        per_start(&|s| topology.traverse(s, 1, u32::MAX, Direction::Out).len()),
    );
    let targets: Vec<u32> = starts.iter().rev().copied().collect();
    let mut sp_times = Vec::new();
    let mut sp_len = 0;
    for _ in 0..reps {
        for (s, t) in starts.iter().zip(&targets) {
            let start = Instant::now();
            sp_len = topology
                .shortest_path(*s, *t, None, Direction::Out)
                .map(|p| p.len())
                .unwrap_or(0);
            sp_times.push(start.elapsed().as_secs_f64());
        }
    }
    sp_times.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    report("shortest path", (sp_times[sp_times.len() / 2], sp_len));

    // The same walks through SQL (planning + snapshot + operator + Arrow output).
    let ctx = datafusion::prelude::SessionContext::new();
    datafusion_omnigraph::register(&ctx, graph.clone())
        .await
        .expect("register");
    let start_id = topology.node_id(starts[0]).to_string();
    let target_id = topology.node_id(targets[0]).to_string();
    for (name, sql) in [
        (
            "SQL 1-hop",
            format!("SELECT count(*) FROM neighbors('knows', '{start_id}')"),
        ),
        (
            "SQL 2-hop distinct",
            format!("SELECT count(*) FROM traverse('knows', '{start_id}', 2)"),
        ),
        (
            "SQL 3-hop distinct",
            format!("SELECT count(*) FROM traverse('knows', '{start_id}', 3)"),
        ),
        (
            "SQL full reachability",
            format!("SELECT count(*) FROM traverse('knows', '{start_id}', 1000000)"),
        ),
        (
            "SQL shortest path",
            format!("SELECT count(*) FROM shortest_path('knows', '{start_id}', '{target_id}')"),
        ),
    ] {
        let (secs, _) = median(reps.max(3), || async {
            let b = ctx
                .sql(&sql)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run");
            format!("{}", b.iter().map(|b| b.num_rows()).sum::<usize>())
        })
        .await;
        println!("traverse: {name:<22} median {:>9.3} ms", secs * 1e3);
    }
}

/// Median seconds of `reps` runs of `f`, which returns a checksum to compare engines.
async fn median<F, Fut>(reps: usize, mut f: F) -> (f64, String)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let mut times = Vec::with_capacity(reps);
    let mut answer = String::new();
    for _ in 0..reps {
        let start = Instant::now();
        answer = f().await;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).expect("finite times"));
    (times[times.len() / 2], answer)
}

async fn bench_scan(args: &[String]) {
    use datafusion::arrow::array::{Array, Int32Array, StringArray};
    use futures::TryStreamExt;

    let rows = arg(args, "--rows", 1_000_000);
    let reps = arg(args, "--reps", 5) as usize;
    let (_dir, graph) = people_graph(rows, 7, SCHEMA).await;

    let ctx = datafusion::prelude::SessionContext::new();
    datafusion_omnigraph::register(&ctx, graph.clone())
        .await
        .expect("register");
    let sql = "SELECT city, count(*) AS n, sum(age) AS total FROM person WHERE age > 40 GROUP BY city ORDER BY city";
    let (sql_secs, sql_answer) = median(reps, || async {
        let batches = ctx
            .sql(sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let mut out = Vec::new();
        for b in &batches {
            let city = b
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("city");
            let n = b
                .column(1)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .expect("n");
            let total = b
                .column(2)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .expect("sum");
            for i in 0..b.num_rows() {
                out.push(format!(
                    "{}:{}:{}",
                    city.value(i),
                    n.value(i),
                    total.value(i)
                ));
            }
        }
        out.join(",")
    })
    .await;

    let snapshot = graph.snapshot("main").await.expect("snapshot");
    let dataset = snapshot.dataset("person").await.expect("dataset");
    let (raw_secs, raw_answer) = median(reps, || async {
        let mut scanner = dataset.scan();
        scanner.project(&["city", "age"]).expect("project");
        scanner.filter("age > 40").expect("filter");
        let mut stream = scanner.try_into_stream().await.expect("scan");
        let mut groups: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        while let Some(b) = stream.try_next().await.expect("batch") {
            let city = b
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("city");
            let age = b
                .column(1)
                .as_any()
                .downcast_ref::<Int32Array>()
                .expect("age");
            for i in 0..b.num_rows() {
                if city.is_valid(i) {
                    let g = groups.entry(city.value(i).to_string()).or_default();
                    g.0 += 1;
                    g.1 += age.value(i) as i64;
                }
            }
        }
        groups
            .iter()
            .map(|(c, (n, t))| format!("{c}:{n}:{t}"))
            .collect::<Vec<_>>()
            .join(",")
    })
    .await;
    assert_eq!(sql_answer, raw_answer, "SQL and raw scan disagree");
    println!("scan: {rows} Person rows, filtered aggregate, median of {reps}");
    println!(
        "scan: SQL provider  {:>8.1} ms  {:>12.0} rows/s",
        sql_secs * 1e3,
        rows as f64 / sql_secs
    );
    println!(
        "scan: raw Lance     {:>8.1} ms  {:>12.0} rows/s",
        raw_secs * 1e3,
        rows as f64 / raw_secs
    );
    println!("scan: ratio provider/raw = {:.2}", sql_secs / raw_secs);
}

async fn bench_merge(args: &[String]) {
    let rows = arg(args, "--rows", 1_000_000);
    let changes = arg(args, "--changes", 10);
    let reps = arg(args, "--reps", 5) as usize;
    let (_dir, graph) = people_graph(rows, 11, SCHEMA).await;
    let opts = WriteOptions::default();

    let mut conflicts_times = Vec::new();
    let mut ff_times = Vec::new();
    let mut merged_times = Vec::new();
    for rep in 0..reps {
        let mut text = String::new();
        for j in 0..changes {
            if j % 2 == 0 {
                let k = (rep as u64 * 7919 + j * 104_729) % rows;
                text.push_str(&format!(
                    "{{\"type\":\"Person\",\"data\":{{\"name\":\"p{k}\",\"age\":{},\"city\":\"bench\"}}}}\n",
                    rep
                ));
            } else {
                text.push_str(&format!(
                    "{{\"type\":\"Person\",\"data\":{{\"name\":\"new{rep}_{j}\",\"age\":1}}}}\n"
                ));
            }
        }
        let feature = format!("feature{rep}");
        graph.create_branch(&feature, None).await.expect("branch");
        graph
            .load_ndjson(&feature, &text, LoadMode::Merge, &opts)
            .await
            .expect("change on the branch");

        // A fast-forward into a copy of main.
        let ff_target = format!("ff{rep}");
        graph.create_branch(&ff_target, None).await.expect("branch");
        let start = Instant::now();
        let out = graph
            .merge(&feature, &ff_target, &opts)
            .await
            .expect("merge");
        ff_times.push(start.elapsed().as_secs_f64());
        assert_eq!(out.kind, omnigraph_engine::MergeKind::FastForward);

        // A three-way merge into main after an unrelated write there.
        graph
            .load_ndjson(
                "main",
                &format!("{{\"type\":\"Person\",\"data\":{{\"name\":\"main{rep}\"}}}}"),
                LoadMode::Merge,
                &opts,
            )
            .await
            .expect("write on main");
        let start = Instant::now();
        let found = graph.merge_conflicts(&feature, "main").await.expect("plan");
        conflicts_times.push(start.elapsed().as_secs_f64());
        assert!(found.is_empty());
        let start = Instant::now();
        let out = graph.merge(&feature, "main", &opts).await.expect("merge");
        merged_times.push(start.elapsed().as_secs_f64());
        assert_eq!(out.kind, omnigraph_engine::MergeKind::Merged);
        let written: u64 = out.changes.values().map(|c| c.0 + c.1 + c.2).sum();
        assert_eq!(
            written, changes,
            "the merge writes exactly the changed rows"
        );
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        v[v.len() / 2] * 1e3
    };
    println!("merge: {changes} changed rows on a {rows}-row table, median of {reps}");
    println!(
        "merge: merge_conflicts (plan only) {:>8.1} ms",
        med(conflicts_times)
    );
    println!(
        "merge: fast-forward merge         {:>8.1} ms",
        med(ff_times)
    );
    println!(
        "merge: three-way merge            {:>8.1} ms",
        med(merged_times)
    );
}

async fn bench_writes(args: &[String]) {
    let rows = arg(args, "--rows", 1_000_000);
    let inserts = arg(args, "--inserts", 50) as usize;
    let schema = format!("{SCHEMA}node Company {{ name: String @key, size: I32? }}\n");
    let (_dir, graph) = people_graph(rows, 5, &schema).await;
    let ctx = datafusion::prelude::SessionContext::new();
    datafusion_omnigraph::register(&ctx, graph.clone())
        .await
        .expect("register");
    let run = |sql: String| {
        let ctx = ctx.clone();
        async move {
            ctx.sql(&sql)
                .await
                .expect("plan")
                .collect()
                .await
                .expect("run")
        }
    };
    // Point lookups by primary key and by the key column (answered by an index when the
    // table has one), median of `inserts` lookups of different rows.
    for column in ["id", "name"] {
        let mut times = Vec::with_capacity(inserts);
        for i in 0..inserts as u64 {
            let key = (i * 7919) % rows;
            let sql = format!("SELECT * FROM person WHERE {column} = 'p{key}'");
            let start = Instant::now();
            let out = run(sql).await;
            times.push(start.elapsed().as_secs_f64() * 1e3);
            assert_eq!(out.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
        }
        times.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        println!(
            "writes: point lookup by {column} in a {rows}-row table, {inserts} statements: median {:.2} ms",
            times[times.len() / 2]
        );
    }
    let mut times = Vec::with_capacity(inserts);
    for i in 0..inserts {
        let sql = format!("INSERT INTO person (name, age, city) VALUES ('new{i}', 30, 'oslo')");
        let start = Instant::now();
        run(sql).await;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let p95 = times[((times.len() * 95) / 100).min(times.len() - 1)];
    println!(
        "writes: single-row INSERT into a {rows}-row table, {inserts} statements: median {:.1} ms, p95 {p95:.1} ms",
        times[times.len() / 2]
    );
    let start = Instant::now();
    run("INSERT INTO company (name, size) SELECT name, age FROM person".to_string()).await;
    let secs = start.elapsed().as_secs_f64();
    let copied = rows + inserts as u64;
    let check = graph
        .snapshot("main")
        .await
        .expect("snapshot")
        .count_rows("company")
        .await
        .expect("count");
    assert_eq!(check, copied, "every row copied");
    println!(
        "writes: INSERT ... SELECT of {copied} rows in {secs:.2} s: {:.0} rows/s",
        copied as f64 / secs
    );
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") => bench_load(&args).await,
        Some("scan") => bench_scan(&args).await,
        Some("traverse") => bench_traverse(&args).await,
        Some("merge") => bench_merge(&args).await,
        Some("writes") => bench_writes(&args).await,
        Some("maintenance") => maintenance::bench_maintenance(&args).await,
        Some("server") => server::bench_server(&args).await,
        Some("serve") => server::serve(&args).await,
        Some("copy") => server::bench_copy(&args).await,
        Some("ingest") => ingest::bench_ingest(&args).await,
        Some("ingest-run") => ingest::ingest_run(&args).await,
        Some("generate") => peers::generate(&args),
        Some("engine") => peers::engine(&args).await,
        _ => {
            eprintln!(
                "usage: omnigraph-bench load [--edges N] [--nodes N] | scan [--rows N] [--reps N] | traverse [--scale S] [--reps N] | merge [--rows N] [--changes N] [--reps N] | writes [--rows N] [--inserts N] | maintenance [--inserts N] [--rows N] [--fragments N] [--reps N] | server [--rows N] [--queries N] [--reps N] | copy [--rows N] | ingest [--scale S] [--data DIR]"
            );
            std::process::exit(2);
        }
    }
}
