//! Seeded, bounded fuzzing of the server: SQL statements generated from a grammar over
//! the demo graph's tables and mutated from valid ones, and protocol frames of every
//! frontend message type with truncated, oversized and random contents. Every input gets
//! a response with a SQLSTATE or a clean disconnect: no panic, no hang, no XX000, the
//! server keeps serving other connections and its memory comes back.
//!
//! `OMNIGRAPH_FUZZ_CASES` scales the number of cases (default what CI runs);
//! `OMNIGRAPH_FUZZ_SEED` picks the seed. A failure names the seed and the input.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{TestServer, start};
use crate::raw_client::startup_packet;

/// A small seeded generator (splitmix64): the same seed gives the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("OMNIGRAPH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_206)
}

fn cases(default: usize) -> usize {
    std::env::var("OMNIGRAPH_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Int,
    Text,
    Bool,
    Date,
    Float,
}

const TYPES: [Ty; 5] = [Ty::Int, Ty::Text, Ty::Bool, Ty::Date, Ty::Float];

struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
}

const TABLES: &[Table] = &[
    Table {
        name: "person",
        columns: &[("name", Ty::Text), ("age", Ty::Int), ("city", Ty::Text)],
    },
    Table {
        name: "company",
        columns: &[("name", Ty::Text), ("industry", Ty::Text)],
    },
    Table {
        name: "knows",
        columns: &[("src", Ty::Text), ("dst", Ty::Text), ("since", Ty::Date)],
    },
    Table {
        name: "works_at",
        columns: &[("src", Ty::Text), ("dst", Ty::Text), ("role", Ty::Text)],
    },
];

/// Statements from a grammar over the demo graph: queries of every clause, writes (on a
/// branch of the fuzzer's own), settings and transaction control; some mistakes on
/// purpose (wrong types, unknown names, bad arguments).
struct Grammar<'r> {
    rng: &'r mut Rng,
}

impl Grammar<'_> {
    fn literal(&mut self, ty: Ty) -> String {
        let r = &mut *self.rng;
        match ty {
            Ty::Int => r
                .pick(&[
                    "0",
                    "1",
                    "-1",
                    "42",
                    "2147483647",
                    "-2147483648",
                    "9223372036854775807",
                    "NULL",
                ])
                .to_string(),
            Ty::Text => r
                .pick(&[
                    "'x'",
                    "''",
                    "'alice.smith'",
                    "'Oslo'",
                    "'%a%'",
                    "'ÿ€𝄞'",
                    "NULL",
                    "'2024-01-01'",
                    "'12'",
                ])
                .to_string(),
            Ty::Bool => r.pick(&["true", "false", "NULL"]).to_string(),
            Ty::Date => r
                .pick(&[
                    "DATE '2020-01-01'",
                    "DATE '1999-12-31'",
                    "now()::date",
                    "NULL::date",
                ])
                .to_string(),
            Ty::Float => r
                .pick(&[
                    "1.5",
                    "-0.0",
                    "1e300",
                    "'NaN'::float8",
                    "0.1::real",
                    "3.14::numeric",
                ])
                .to_string(),
        }
    }

    fn column(&mut self, table: &Table, alias: &str, ty: Ty) -> Option<String> {
        let matching: Vec<_> = table.columns.iter().filter(|(_, t)| *t == ty).collect();
        if matching.is_empty() {
            return None;
        }
        let (name, _) = self.rng.pick(&matching);
        Some(format!("{alias}.{name}"))
    }

    fn expr(&mut self, ty: Ty, scope: &[(&Table, String)], depth: usize) -> String {
        if depth == 0 || self.rng.chance(30) {
            if !scope.is_empty() && self.rng.chance(60) {
                let (table, alias) = &scope[self.rng.below(scope.len())];
                if let Some(c) = self.column(table, alias, ty) {
                    return c;
                }
            }
            return self.literal(ty);
        }
        let d = depth - 1;
        match (ty, self.rng.below(8)) {
            (Ty::Int, 0) => format!(
                "({} + {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Int, 1) => format!(
                "({} * {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Int, 2) => format!(
                "({} / {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Int, 3) => format!("length({})", self.expr(Ty::Text, scope, d)),
            (Ty::Int, 4) => format!("abs({})", self.expr(Ty::Int, scope, d)),
            (Ty::Int, 5) => format!(
                "({} % {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Int, 6) => format!(
                "coalesce({}, {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Int, _) => format!("CAST({} AS integer)", self.expr_any(scope, d)),
            (Ty::Text, 0) => format!(
                "({} || {})",
                self.expr(Ty::Text, scope, d),
                self.expr_any(scope, d)
            ),
            (Ty::Text, 1) => format!("upper({})", self.expr(Ty::Text, scope, d)),
            (Ty::Text, 2) => format!(
                "substr({}, {}, {})",
                self.expr(Ty::Text, scope, d),
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Text, 3) => format!(
                "lpad({}, {}, 'ab')",
                self.expr(Ty::Text, scope, d),
                self.rng.below(40)
            ),
            (Ty::Text, 4) => format!(
                "regexp_replace({}, {}, 'z')",
                self.expr(Ty::Text, scope, d),
                self.rng.pick(&["'a+'", "'('", "'[a-'", "'.*'"])
            ),
            (Ty::Text, 5) => format!("to_char({}, 'YYYY-MM-DD')", self.expr(Ty::Date, scope, d)),
            (Ty::Text, 6) => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.expr(Ty::Bool, scope, d),
                self.expr(Ty::Text, scope, d),
                self.expr(Ty::Text, scope, d)
            ),
            (Ty::Text, _) => format!("CAST({} AS text)", self.expr_any(scope, d)),
            (Ty::Bool, 0) => format!(
                "({} AND {})",
                self.expr(Ty::Bool, scope, d),
                self.expr(Ty::Bool, scope, d)
            ),
            (Ty::Bool, 1) => format!(
                "({} OR {})",
                self.expr(Ty::Bool, scope, d),
                self.expr(Ty::Bool, scope, d)
            ),
            (Ty::Bool, 2) => format!("NOT {}", self.expr(Ty::Bool, scope, d)),
            (Ty::Bool, 3) => {
                let t = *self.rng.pick(&TYPES);
                let op = *self.rng.pick(&["=", "<>", "<", ">=", "IS DISTINCT FROM"]);
                format!(
                    "({} {op} {})",
                    self.expr(t, scope, d),
                    self.expr(t, scope, d)
                )
            }
            (Ty::Bool, 4) => format!(
                "({} LIKE {})",
                self.expr(Ty::Text, scope, d),
                self.expr(Ty::Text, scope, d)
            ),
            (Ty::Bool, 5) => format!("({} IS NULL)", self.expr_any(scope, d)),
            (Ty::Bool, 6) => format!(
                "({} IN ({}, {}))",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Bool, _) => format!("EXISTS ({})", self.query(d)),
            (Ty::Date, 0) => format!(
                "({} + {})",
                self.expr(Ty::Date, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Date, 1) => format!(
                "date_trunc('month', {})::date",
                self.expr(Ty::Date, scope, d)
            ),
            (Ty::Date, 2) => format!(
                "make_date({}, {}, {})",
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Date, _) => format!("CAST({} AS date)", self.expr(Ty::Text, scope, d)),
            (Ty::Float, 0) => format!("sqrt({})", self.expr(Ty::Float, scope, d)),
            (Ty::Float, 1) => format!("ln({})", self.expr(Ty::Float, scope, d)),
            (Ty::Float, 2) => format!(
                "({} / {})",
                self.expr(Ty::Float, scope, d),
                self.expr(Ty::Float, scope, d)
            ),
            (Ty::Float, 3) => format!(
                "power({}, {})",
                self.expr(Ty::Float, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Float, 4) => format!(
                "round({}::numeric, {})",
                self.expr(Ty::Float, scope, d),
                self.expr(Ty::Int, scope, d)
            ),
            (Ty::Float, _) => format!("CAST({} AS double precision)", self.expr_any(scope, d)),
        }
    }

    fn expr_any(&mut self, scope: &[(&Table, String)], depth: usize) -> String {
        let ty = *self.rng.pick(&TYPES);
        self.expr(ty, scope, depth)
    }

    fn aggregate(&mut self, scope: &[(&Table, String)]) -> String {
        let ty = *self.rng.pick(&TYPES);
        let arg = self.expr(ty, scope, 1);
        match self.rng.below(9) {
            0 => "count(*)".to_string(),
            1 => format!("count(DISTINCT {arg})"),
            2 => format!("min({arg})"),
            3 => format!("max({arg})"),
            4 => format!("sum({})", self.expr(Ty::Int, scope, 1)),
            5 => format!("avg({})", self.expr(Ty::Float, scope, 1)),
            6 => format!(
                "string_agg({}, ',' ORDER BY {arg})",
                self.expr(Ty::Text, scope, 1)
            ),
            7 => format!("array_agg({arg} ORDER BY {arg})"),
            _ => format!(
                "array_agg(DISTINCT {arg} ORDER BY {})",
                self.expr(ty, scope, 1)
            ),
        }
    }

    fn query(&mut self, depth: usize) -> String {
        let first = self.rng.pick(TABLES);
        let mut scope = vec![(first, "t0".to_string())];
        let mut from = format!("{} AS t0", first.name);
        if self.rng.chance(40) {
            let second = self.rng.pick(TABLES);
            let join = *self
                .rng
                .pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"]);
            scope.push((second, "t1".to_string()));
            let on = self.expr(Ty::Bool, &scope, 1);
            from.push_str(&format!(" {join} {} AS t1 ON {on}", second.name));
        }
        let grouped = self.rng.chance(30);
        let mut select = Vec::new();
        let mut group_by = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let ty = *self.rng.pick(&TYPES);
            let e = self.expr(ty, &scope, depth.min(2));
            if grouped {
                group_by.push(e.clone());
            }
            select.push(e);
        }
        if grouped {
            select.push(self.aggregate(&scope));
        }
        if self.rng.chance(15) {
            select.push(format!(
                "row_number() OVER (ORDER BY {})",
                self.expr(Ty::Int, &scope, 1)
            ));
        }
        let mut sql = format!("SELECT {} FROM {from}", select.join(", "));
        if self.rng.chance(50) {
            sql.push_str(&format!(
                " WHERE {}",
                self.expr(Ty::Bool, &scope, depth.min(2))
            ));
        }
        if grouped {
            sql.push_str(&format!(" GROUP BY {}", group_by.join(", ")));
            if self.rng.chance(30) {
                sql.push_str(&format!(
                    " HAVING {}",
                    self.aggregate(&scope).replace("count(*)", "count(*) > 0")
                ));
            }
        }
        if self.rng.chance(40) {
            sql.push_str(&format!(
                " ORDER BY {}",
                1 + self.rng.below(select.len() + 1)
            ));
        }
        if self.rng.chance(30) {
            sql.push_str(&format!(" LIMIT {}", self.literal(Ty::Int)));
        }
        if self.rng.chance(15) {
            sql.push_str(&format!(" OFFSET {}", self.literal(Ty::Int)));
        }
        if depth > 0 && self.rng.chance(10) {
            let op = *self
                .rng
                .pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT ALL"]);
            sql = format!("({sql}) {op} ({})", self.query(depth - 1));
        }
        sql
    }

    fn write(&mut self) -> String {
        let table = self.rng.pick(&TABLES[..2]);
        let scope = [(table, table.name.to_string())];
        let target = format!("fuzz.{}", table.name);
        match self.rng.below(5) {
            0 => format!(
                "INSERT INTO {target} (name) VALUES ({}), ({})",
                self.expr(Ty::Text, &[], 1),
                self.expr(Ty::Text, &[], 1)
            ),
            1 => format!(
                "UPDATE {target} SET {} = {} WHERE {}",
                table.columns[1 + self.rng.below(table.columns.len() - 1)].0,
                self.expr_any(&[], 1),
                self.expr(Ty::Bool, &scope, 1)
            ),
            2 => format!(
                "DELETE FROM {target} WHERE {}",
                self.expr(Ty::Bool, &scope, 1)
            ),
            3 => format!(
                "INSERT INTO {target} (name) VALUES ({}) ON CONFLICT (name) DO NOTHING",
                self.expr(Ty::Text, &[], 1)
            ),
            _ => format!("INSERT INTO {target} (name) {}", self.query(0)),
        }
    }

    fn statement(&mut self) -> String {
        match self.rng.below(20) {
            0..=11 => self.query(2),
            12..=14 => self.write(),
            15 => format!("EXPLAIN {}", self.query(1)),
            16 => format!("WITH c AS ({}) SELECT * FROM c", self.query(1)),
            17 => self
                .rng
                .pick(&[
                    "SET statement_timeout = 'x'",
                    "SET omnigraph.branch = 'nosuch'",
                    "SET omnigraph.statement_memory_limit = '1kB'",
                    "SHOW nosuch",
                    "RESET ALL",
                    "BEGIN",
                    "COMMIT",
                    "ROLLBACK",
                    "SAVEPOINT s",
                    "ROLLBACK TO s",
                    "DECLARE c CURSOR FOR SELECT 1",
                    "FETCH 5 FROM c",
                    "CLOSE c",
                ])
                .to_string(),
            18 => self
                .rng
                .pick(&[
                    "CALL nosuch()",
                    "CALL merge('nosuch', 'main')",
                    "CALL create_branch('')",
                    "SELECT * FROM neighbors('knows', NULL)",
                    "SELECT * FROM traverse('knows', 'alice.smith', -1)",
                    "SELECT * FROM diff('main', 'nosuch')",
                    "SELECT * FROM as_of('person', 'x')",
                    "SELECT * FROM person FOR SYSTEM_TIME AS OF 'yesterday'",
                    "CREATE TABLE t (x int)",
                    "DROP TABLE person",
                    "COPY (SELECT 1) TO STDOUT (FORMAT nosuch)",
                    "SELECT * FROM generate_series(1, 0, 0)",
                    "SELECT 'abc'::int",
                    "SELECT ARRAY[1,2][5]",
                    "SELECT '{1,2'::int[]",
                    "SELECT 1::regclass",
                    "SELECT repeat('x', -1)",
                    "SELECT nth_value(age, 0) OVER () FROM person",
                    "SELECT ntile(0) OVER () FROM person",
                    "SELECT percentile_disc(2) WITHIN GROUP (ORDER BY age) FROM person",
                ])
                .to_string(),
            _ => format!("SELECT {}", self.expr_any(&[], 3)),
        }
    }
}

/// A valid statement broken the ways a typo or a hostile client breaks one.
fn mutate(rng: &mut Rng, sql: &str) -> String {
    let tokens: Vec<&str> = sql.split_inclusive([' ', '(', ')', ',']).collect();
    if tokens.is_empty() {
        return sql.to_string();
    }
    let mut out: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    let at = rng.below(out.len());
    match rng.below(7) {
        0 => {
            out.remove(at);
        }
        1 => {
            let t = out[at].clone();
            out.insert(at, t);
        }
        2 => {
            let other = rng.below(out.len());
            out.swap(at, other);
        }
        3 => out.insert(
            at,
            rng.pick(&[
                "( ", ") ", ", ", "'", "\"", "SELECT ", "FROM ", "WHERE ", "NULL ", "$1 ", "::",
                "[", "]", "* ", "; ", "-- ", "/* ", "\\", "\u{0}", "E'\\x",
            ])
            .to_string(),
        ),
        4 => out.truncate(at.max(1)),
        5 => {
            let cut = rng.below(sql.len().max(1));
            let mut cut = cut;
            while !sql.is_char_boundary(cut) {
                cut -= 1;
            }
            return sql[..cut].to_string();
        }
        _ => {
            out[at] = rng
                .pick(&[
                    "9999999999999999999999 ",
                    "-0 ",
                    "'\u{FFFD}' ",
                    "1e99999 ",
                    "x.y.z.w ",
                ])
                .to_string()
        }
    }
    out.concat()
}

/// Internal errors the fuzzer finds that are known gaps (`docs/known-gaps.md`): a
/// failure whose statement contains the first text and whose message the second is
/// reported, not failed.
const KNOWN_XX000: &[(&str, &str, &str)] = &[];

/// SQLSTATE counts of a run.
#[derive(Default)]
struct Tally {
    states: BTreeMap<String, usize>,
    failures: Vec<String>,
    known: usize,
}

impl Tally {
    /// Records one statement's outcome; `false` when the connection is lost.
    fn record(&mut self, sql: &str, result: Result<(), tokio_postgres::Error>) -> bool {
        let e = match result {
            Ok(()) => {
                *self.states.entry("00000".into()).or_default() += 1;
                return true;
            }
            Err(e) => e,
        };
        let Some(db) = e.as_db_error() else {
            if e.is_closed() {
                self.failures
                    .push(format!("lost the connection on {sql:?}: {e:?}"));
                return false;
            }
            // The driver refused to send it (a NUL inside the text): nothing reached the
            // server.
            return true;
        };
        let code = db.code().code().to_string();
        if code == "XX000" {
            let known = KNOWN_XX000
                .iter()
                .find(|(shape, message, _)| sql.contains(shape) && db.message().contains(message));
            match known {
                Some((_, _, reason)) => {
                    self.known += 1;
                    println!("known gap ({reason}): {sql:?}");
                }
                None => self
                    .failures
                    .push(format!("XX000 for {sql:?}: {}", db.message())),
            }
        }
        *self.states.entry(code).or_default() += 1;
        true
    }
}

async fn fuzz_connection(server: &TestServer) -> tokio_postgres::Client {
    let client = server.connect("demo").await;
    client
        .batch_execute("SET statement_timeout = '5s'")
        .await
        .unwrap();
    client
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_and_mutated_sql_always_gets_a_sqlstate_and_never_xx000() {
    let seed = seed();
    let mut rng = Rng(seed);
    let server = start(None).await;
    let setup = server.connect("demo").await;
    setup
        .batch_execute("CALL create_branch('fuzz')")
        .await
        .unwrap();
    let mut client = fuzz_connection(&server).await;
    let mut tally = Tally::default();
    let total = cases(1200);
    for case in 0..total {
        let generated = Grammar { rng: &mut rng }.statement();
        let sql = if case % 3 == 2 {
            mutate(&mut rng, &generated)
        } else {
            generated
        };
        let extended = rng.chance(40);
        let run = async {
            if extended {
                client.query(sql.as_str(), &[]).await.map(|_| ())
            } else {
                client.simple_query(&sql).await.map(|_| ())
            }
        };
        let result = match tokio::time::timeout(Duration::from_secs(30), run).await {
            Ok(result) => result,
            Err(_) => {
                tally.failures.push(format!("no answer in 30 s to {sql:?}"));
                client = fuzz_connection(&server).await;
                continue;
            }
        };
        let failed_transaction =
            matches!(&result, Err(e) if e.code().is_some_and(|c| c.code() == "25P02"));
        if !tally.record(&sql, result) {
            client = fuzz_connection(&server).await;
        } else if failed_transaction {
            let _ = client.batch_execute("ROLLBACK").await;
        }
    }
    // The server serves as before.
    let one: i32 = setup.query_one("SELECT 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    println!(
        "sql fuzz (seed {seed}): {total} statements, {} known gaps, SQLSTATEs {:?}",
        tally.known, tally.states
    );
    assert!(
        tally.failures.is_empty(),
        "seed {seed}: {} failures:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
}

/// One frontend message, well-formed or not, of any type.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    let types = b"QPBDECSHFXdcfpZ?\0";
    let message_type = *rng.pick(types);
    let mut body: Vec<u8> = match message_type {
        b'Q' => format!(
            "{}\0",
            rng.pick(&["SELECT 1", "SELECT $1", "", "BEGIN; SELECT 1/0"])
        )
        .into_bytes(),
        b'P' => [&b"s\0SELECT $1::int\0"[..], &[0, 1, 0, 0, 0, 23]].concat(),
        b'B' => [&b"\0s\0"[..], &[0, 1, 0, 0, 0, 1, 0, 0, 0, 1, b'7', 0, 0]].concat(),
        b'D' | b'C' => vec![*rng.pick(b"SPX"), b's', 0],
        b'E' => vec![0, 0, 0, 0, 0],
        b'F' => vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        b'd' => b"1\t2\n".to_vec(),
        _ => Vec::new(),
    };
    match rng.below(6) {
        0 => body.truncate(rng.below(body.len() + 1)),
        1 => body.extend((0..rng.below(64)).map(|_| rng.next() as u8)),
        2 => {
            for _ in 0..rng.below(4) {
                let at = rng.below(body.len().max(1));
                if at < body.len() {
                    body[at] = rng.next() as u8;
                }
            }
        }
        _ => {}
    }
    let declared = match rng.below(8) {
        0 => rng.next() as i32,
        1 => body.len() as i32 + 4 + rng.below(16) as i32,
        2 => (body.len() as i32 + 4).saturating_sub(1 + rng.below(4) as i32),
        3 => i32::MAX,
        _ => body.len() as i32 + 4,
    };
    let mut frame = vec![message_type];
    frame.extend(declared.to_be_bytes());
    frame.extend(body);
    frame
}

/// Databases a startup packet may name: the graph, none that exists, a branch, none.
const DATABASES: [&str; 4] = ["demo", "nosuch", "demo@main", ""];

/// Bytes a client might send first: a startup packet (sometimes broken), an SSL or GSS
/// request, a cancel request, or noise.
fn random_opening(rng: &mut Rng) -> Vec<u8> {
    let mut packet = match rng.below(6) {
        0 => vec![0, 0, 0, 8, 4, 210, 22, 47],
        1 => vec![0, 0, 0, 8, 4, 210, 22, 48],
        2 => vec![0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 1, 0, 0, 0, 2],
        3 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
        _ => {
            let database = *rng.pick::<&str>(&DATABASES);
            startup_packet("tester", database)
        }
    };
    if rng.chance(30) && packet.len() > 4 {
        let cut = 1 + rng.below(packet.len() - 1);
        packet.truncate(cut);
    }
    if rng.chance(10) && packet.len() >= 4 {
        packet[..4].copy_from_slice(&(rng.next() as i32).to_be_bytes());
    }
    packet
}

/// Sends `bytes`, closes the sending side and reads until the server closes: returns
/// whether it closed within the deadline.
async fn send_and_wait_for_close(server: &TestServer, bytes: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect(server.addr).await else {
        return false;
    };
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut sink = vec![0u8; 64 << 10];
    let read_all = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read_all)
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_protocol_frames_get_an_answer_or_a_clean_close_and_memory_comes_back() {
    crate::hostile::count_connection_panics();
    let seed = seed();
    let mut rng = Rng(seed ^ 0xF4A3);
    let server = start(None).await;
    let checker = server.connect("demo").await;
    // Warm up what every connection allocates once, then take the baseline.
    for _ in 0..20 {
        send_and_wait_for_close(&server, &startup_packet("tester", "demo")).await;
    }
    let baseline = rss_bytes();
    let total = cases(400);
    let mut hung = Vec::new();
    for case in 0..total {
        let mut bytes = if rng.chance(25) {
            random_opening(&mut rng)
        } else {
            startup_packet("tester", "demo")
        };
        for _ in 0..1 + rng.below(4) {
            bytes.extend(random_frame(&mut rng));
        }
        if !send_and_wait_for_close(&server, &bytes).await {
            hung.push(format!("case {case}: {bytes:?}"));
        }
        if case % 50 == 49 {
            let one: i32 = checker
                .query_one("SELECT 1::int", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(one, 1, "the server stopped serving after case {case}");
        }
    }
    assert!(
        hung.is_empty(),
        "seed {seed}: not closed:\n{}",
        hung.join("\n")
    );
    assert_eq!(
        crate::hostile::connection_panics(),
        0,
        "seed {seed}: a connection task panicked"
    );
    // Give freed buffers back to the allocator before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let grown = rss_bytes().saturating_sub(baseline);
    println!(
        "frame fuzz (seed {seed}): {total} connections, resident memory {} MB over the baseline",
        grown >> 20
    );
    assert!(
        grown < 256 << 20,
        "seed {seed}: resident memory grew by {} MB",
        grown >> 20
    );
}
