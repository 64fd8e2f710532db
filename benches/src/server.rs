//! `server`: the Postgres-wire server against PostgreSQL on the same rows, in one run.
//!
//! Both servers hold the same seeded Person rows and run as their own processes on
//! loopback (ours is this binary re-executed as `serve`); one tokio-postgres client
//! measures, for each, a `SELECT 1` round trip (simple protocol), a prepared point lookup
//! by key (extended protocol, fresh key each time), text streaming of every row (simple
//! protocol), and prepared autocommit writes by key: single-row `INSERT`, `UPDATE ...
//! WHERE key = $1` and `DELETE ... WHERE key = $1`. Answers (and the table after the
//! writes) are compared before times are reported.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::postgres::PgCluster;
use crate::{SCHEMA, SplitMix, arg, people_graph, person_row};

/// Our server as a child process; killed when dropped.
pub(crate) struct ChildServer {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn_ours(data_dir: &std::path::Path) -> ChildServer {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .arg("serve")
        .arg(data_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start omnigraph-server");
    let stdout = child.stdout.take().expect("child stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read port");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected server output {line:?}"));
    ChildServer { child, port }
}

/// Our server on the graph under `data_dir`, and a client of it.
async fn start_ours(data_dir: &std::path::Path) -> (ChildServer, Client) {
    let server = spawn_ours(data_dir);
    let conninfo = format!(
        "host=127.0.0.1 port={} user=bench dbname=graph",
        server.port
    );
    let client = connect(&conninfo).await;
    (server, client)
}

/// A PostgreSQL 15 of the run's own; the run (`bench`) stops when there is none.
fn postgres_or_exit(bench: &str) -> PgCluster {
    PgCluster::start().unwrap_or_else(|e| {
        eprintln!("{bench}: PostgreSQL unavailable ({e}); install postgresql-15");
        std::process::exit(1);
    })
}

/// The `serve DIR` mode: our server on a free loopback port, printing `port N`.
pub async fn serve(args: &[String]) {
    let data_dir = args.get(1).expect("serve DATA_DIR");
    let server = omnigraph_pg::Server::bind(omnigraph_pg::ServerConfig {
        data_dir: data_dir.into(),
        listen: "127.0.0.1:0".parse().expect("address"),
        demo: false,
        users: None,
        tls_cert: None,
        tls_key: None,
        limits: omnigraph_pg::ConnectionLimits::default(),
        log: omnigraph_pg::LogSettings::default(),
    })
    .await
    .expect("bind");
    println!("port {}", server.local_addr().expect("address").port());
    server.serve().await.expect("serve");
}

pub(crate) async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {conninfo}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

struct Timings {
    micros: Vec<f64>,
}

impl Timings {
    fn new(mut micros: Vec<f64>) -> Timings {
        micros.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        Timings { micros }
    }
    fn median(&self) -> f64 {
        self.micros[self.micros.len() / 2]
    }
    fn p95(&self) -> f64 {
        self.micros[(self.micros.len() * 95 / 100).min(self.micros.len() - 1)]
    }
}

struct Results {
    round_trip: Timings,
    lookup: Timings,
    lookup_answers: Vec<String>,
    streamed_rows: u64,
    stream_rows_per_sec: f64,
    insert: Timings,
    update: Timings,
    delete: Timings,
    /// `count(*)` and `sum(age)` of the table after the writes.
    after_writes: String,
}

/// Prepared autocommit writes by key, `writes` of each: inserts of new keys, updates of
/// existing ones, deletes of half the inserted ones.
async fn write_workload(client: &Client, rows: u64, writes: usize) -> (Timings, Timings, Timings) {
    let insert = client
        .prepare("INSERT INTO person (name, age, city) VALUES ($1, $2, $3)")
        .await
        .expect("prepare insert");
    let update = client
        .prepare("UPDATE person SET age = $2 WHERE name = $1")
        .await
        .expect("prepare update");
    let delete = client
        .prepare("DELETE FROM person WHERE name = $1")
        .await
        .expect("prepare delete");
    let mut times = Vec::with_capacity(writes);
    for i in 0..writes {
        let (name, age, city) = (format!("w{i}"), i as i32, "Writeville".to_string());
        let start = Instant::now();
        let n = client
            .execute(&insert, &[&name, &age, &city])
            .await
            .expect("insert");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(n, 1);
    }
    let inserted = Timings::new(times);
    let mut keys = SplitMix(7);
    let mut times = Vec::with_capacity(writes);
    for i in 0..writes {
        let key = format!("p{}", keys.next() % rows);
        let age = 1000 + i as i32;
        let start = Instant::now();
        let n = client
            .execute(&update, &[&key, &age])
            .await
            .expect("update");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(n, 1);
    }
    let updated = Timings::new(times);
    let mut times = Vec::with_capacity(writes);
    for i in (0..writes).step_by(2) {
        let key = format!("w{i}");
        let start = Instant::now();
        let n = client.execute(&delete, &[&key]).await.expect("delete");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(n, 1);
    }
    (inserted, updated, Timings::new(times))
}

async fn workload(
    client: &Client,
    rows: u64,
    queries: usize,
    stream_reps: usize,
    writes: usize,
) -> Results {
    for _ in 0..100 {
        client.simple_query("SELECT 1").await.expect("warm up");
    }
    let mut times = Vec::with_capacity(queries);
    for _ in 0..queries {
        let start = Instant::now();
        let messages = client.simple_query("SELECT 1").await.expect("SELECT 1");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        assert!(
            messages
                .iter()
                .any(|m| matches!(m, SimpleQueryMessage::Row(r) if r.get(0) == Some("1"))),
            "SELECT 1 answers 1"
        );
    }
    let round_trip = Timings::new(times);

    let lookup = client
        .prepare("SELECT name, age, city FROM person WHERE name = $1")
        .await
        .expect("prepare lookup");
    let mut keys = SplitMix(99);
    let mut times = Vec::with_capacity(queries);
    let mut lookup_answers = Vec::with_capacity(queries);
    for _ in 0..queries {
        let key = format!("p{}", keys.next() % rows);
        let start = Instant::now();
        let row = client.query_one(&lookup, &[&key]).await.expect("lookup");
        times.push(start.elapsed().as_secs_f64() * 1e6);
        let age: Option<i32> = row.get(1);
        let city: Option<String> = row.get(2);
        lookup_answers.push(format!("{key}:{age:?}:{city:?}"));
    }
    let lookup = Timings::new(times);

    let mut secs = Vec::with_capacity(stream_reps);
    let mut streamed_rows = 0;
    for _ in 0..stream_reps {
        let start = Instant::now();
        let stream = client
            .simple_query_raw("SELECT name, age, city FROM person")
            .await
            .expect("stream");
        futures::pin_mut!(stream);
        let mut count = 0u64;
        while let Some(message) = stream.next().await {
            if let SimpleQueryMessage::Row(_) = message.expect("row") {
                count += 1;
            }
        }
        secs.push(start.elapsed().as_secs_f64());
        streamed_rows = count;
    }
    secs.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let stream_rows_per_sec = streamed_rows as f64 / secs[secs.len() / 2];
    let (insert, update, delete) = write_workload(client, rows, writes).await;
    let after = client
        .query_one("SELECT count(*), sum(age)::bigint FROM person", &[])
        .await
        .expect("count after writes");
    let after_writes = format!(
        "{}:{:?}",
        after.get::<_, i64>(0),
        after.get::<_, Option<i64>>(1)
    );
    Results {
        round_trip,
        lookup,
        lookup_answers,
        streamed_rows,
        stream_rows_per_sec,
        insert,
        update,
        delete,
        after_writes,
    }
}

async fn load_postgres(client: &Client, rows: u64, seed: u64) {
    client
        .batch_execute(
            "CREATE TABLE person (name text PRIMARY KEY, age int, city text) WITH (fillfactor = 100)",
        )
        .await
        .expect("create table");
    copy_people(client, rows, seed).await;
    client
        .batch_execute("VACUUM ANALYZE person")
        .await
        .expect("analyze");
}

/// `COPY person (name, age, city) FROM STDIN` of the seeded Person rows, in 1 MB
/// messages; the rows the server reports.
pub(crate) async fn copy_people(client: &Client, rows: u64, seed: u64) -> u64 {
    let sink = client
        .copy_in("COPY person (name, age, city) FROM STDIN")
        .await
        .expect("copy in");
    futures::pin_mut!(sink);
    let mut rng = SplitMix(seed);
    let mut chunk = String::with_capacity(1 << 20);
    for i in 0..rows {
        let (name, age, city) = person_row(&mut rng, i);
        chunk.push_str(&format!("{name}\t{age}\t{city}\n"));
        if chunk.len() > (1 << 20) - 256 {
            sink.send(bytes::Bytes::from(std::mem::take(&mut chunk)))
                .await
                .expect("copy chunk");
        }
    }
    sink.send(bytes::Bytes::from(chunk))
        .await
        .expect("copy chunk");
    sink.finish().await.expect("copy done")
}

/// `copy`: `COPY ... FROM STDIN` of the same Person rows into our server (an empty
/// graph) and into PostgreSQL (a table with a primary key), one run; the rows are
/// compared, then the times and our server's peak resident memory reported.
pub async fn bench_copy(args: &[String]) {
    let rows = arg(args, "--rows", 1_000_000);
    let seed = 11;
    let (dir, graph) = people_graph(0, seed, SCHEMA).await;
    drop(graph);
    let (ours_server, ours) = start_ours(dir.path()).await;
    let started = Instant::now();
    let copied = copy_people(&ours, rows, seed).await;
    let ours_time = started.elapsed().as_secs_f64();
    let check = "SELECT count(*)::text || ' ' || sum(age)::text FROM person";
    let ours_check: String = ours.query_one(check, &[]).await.expect("check").get(0);
    let peak = peak_rss_mb(ours_server.child.id());
    drop(ours);
    drop(ours_server);
    assert_eq!(copied, rows, "ours copied every row");

    let cluster = postgres_or_exit("copy");
    let pg = connect(&cluster.conninfo()).await;
    pg.batch_execute("CREATE TABLE person (name text PRIMARY KEY, age int, city text)")
        .await
        .expect("create table");
    let started = Instant::now();
    copy_people(&pg, rows, seed).await;
    let pg_time = started.elapsed().as_secs_f64();
    let pg_check: String = pg.query_one(check, &[]).await.expect("check").get(0);
    assert_eq!(ours_check, pg_check, "the copied rows differ");

    println!(
        "copy: {rows} Person rows, text format, 1 MB messages; {}",
        cluster.version
    );
    println!(
        "copy: omnigraph {ours_time:.2} s, PostgreSQL {pg_time:.2} s, ratio {:.2}; omnigraph peak RSS {peak} MB",
        ours_time / pg_time
    );
}

/// The peak resident memory of process `pid` (VmHWM), in MB.
pub(crate) fn peak_rss_mb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

pub async fn bench_server(args: &[String]) {
    let rows = arg(args, "--rows", 1_000_000);
    let queries = arg(args, "--queries", 5000) as usize;
    let stream_reps = arg(args, "--reps", 3) as usize;
    let writes = arg(args, "--writes", 200) as usize;
    let seed = 11;

    let (dir, graph) = people_graph(rows, seed, SCHEMA).await;
    drop(graph);
    let (ours_server, ours) = start_ours(dir.path()).await;
    let ours_results = workload(&ours, rows, queries, stream_reps, writes).await;
    drop(ours);
    drop(ours_server);

    let cluster = postgres_or_exit("server");
    let pg = connect(&cluster.conninfo()).await;
    load_postgres(&pg, rows, seed).await;
    let pg_results = workload(&pg, rows, queries, stream_reps, writes).await;

    assert_eq!(ours_results.streamed_rows, rows, "ours streamed every row");
    assert_eq!(
        pg_results.streamed_rows, rows,
        "PostgreSQL streamed every row"
    );
    assert_eq!(
        ours_results.lookup_answers, pg_results.lookup_answers,
        "point lookups disagree"
    );
    assert_eq!(
        ours_results.after_writes, pg_results.after_writes,
        "the tables differ after the writes"
    );

    println!(
        "server: {rows} Person rows; {queries} queries per latency row; median of {stream_reps} streams; {}",
        cluster.version
    );
    println!(
        "server: {:<28} {:>12} {:>12} {:>8}",
        "workload", "omnigraph", "postgresql", "ratio"
    );
    let latency = |name: &str, ours: &Timings, pg: &Timings| {
        println!(
            "server: {:<28} {:>9.0} µs {:>9.0} µs {:>8.2}",
            format!("{name} median"),
            ours.median(),
            pg.median(),
            ours.median() / pg.median()
        );
        println!(
            "server: {:<28} {:>9.0} µs {:>9.0} µs {:>8.2}",
            format!("{name} p95"),
            ours.p95(),
            pg.p95(),
            ours.p95() / pg.p95()
        );
    };
    latency(
        "SELECT 1 round trip",
        &ours_results.round_trip,
        &pg_results.round_trip,
    );
    latency(
        "prepared point lookup",
        &ours_results.lookup,
        &pg_results.lookup,
    );
    latency("prepared INSERT", &ours_results.insert, &pg_results.insert);
    latency(
        "prepared UPDATE by key",
        &ours_results.update,
        &pg_results.update,
    );
    latency(
        "prepared DELETE by key",
        &ours_results.delete,
        &pg_results.delete,
    );
    println!(
        "server: {:<28} {:>12.0} {:>12.0} {:>8.2}",
        "text streaming rows/s",
        ours_results.stream_rows_per_sec,
        pg_results.stream_rows_per_sec,
        pg_results.stream_rows_per_sec / ours_results.stream_rows_per_sec
    );
}
