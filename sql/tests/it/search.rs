//! Search: pgvector's distance functions and operators on `Vector(n)` properties, and
//! exact nearest neighbours (`ORDER BY emb <-> q LIMIT k`) against brute force.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_engine::{Graph, LoadMode, WriteOptions};
use omnigraph_sql::Session;

use crate::common::err;

const DIMS: usize = 8;
const DOCS: usize = 300;

/// A deterministic generator (xorshift), so the data is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn vector(&mut self) -> Vec<f32> {
        (0..DIMS).map(|_| self.next()).collect()
    }
}

fn text(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// `DOCS` documents with a random `emb` (one in ten without) and a `topic` 0..5.
async fn documents() -> (tempfile::TempDir, Session, Vec<Option<Vec<f32>>>) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().join("docs").to_str().unwrap())
        .await
        .unwrap();
    let options = WriteOptions::default();
    graph
        .apply_schema(
            "main",
            &format!("node Doc {{ n: I64 @key, topic: I64, emb: Vector({DIMS})? }}"),
            &options,
        )
        .await
        .unwrap();
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut vectors = Vec::new();
    let mut lines = Vec::new();
    for n in 0..DOCS {
        let v = (n % 10 != 3).then(|| rng.vector());
        let emb = match &v {
            Some(v) => text(v),
            None => "null".into(),
        };
        lines.push(format!(
            r#"{{"type":"Doc","data":{{"n":{n},"topic":{},"emb":{emb}}}}}"#,
            n % 5
        ));
        vectors.push(v);
    }
    graph
        .load_ndjson("main", &lines.join("\n"), LoadMode::Append, &options)
        .await
        .unwrap();
    let s = Session::new(graph).await.unwrap();
    (dir, s, vectors)
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    1.0 - dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
}

fn l1(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| ((x - y) as f64).abs()).sum()
}

/// The `n` of the rows `sql` returns, in order.
async fn ns(s: &Session, sql: &str) -> Vec<i64> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| {
            let c = datafusion::arrow::compute::cast(b.column(0), &DataType::Int64).unwrap();
            c.as_primitive::<Int64Type>().values().to_vec()
        })
        .collect()
}

#[tokio::test]
async fn exact_nearest_neighbours_agree_with_brute_force() {
    let (_dir, s, vectors) = documents().await;
    let mut rng = Rng(0xfeed_0042);
    type Measure = fn(&[f32], &[f32]) -> f64;
    let measures: [(&str, Measure); 4] = [
        ("<->", l2),
        ("<=>", cosine),
        ("<#>", |a, b| -dot(a, b)),
        ("<+>", l1),
    ];
    for _ in 0..5 {
        let q = rng.vector();
        for (operator, measure) in measures {
            // Brute force: every document with a vector, by distance then n.
            let mut expected: Vec<(f64, i64)> = vectors
                .iter()
                .enumerate()
                .filter_map(|(n, v)| v.as_ref().map(|v| (measure(v, &q), n as i64)))
                .collect();
            expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let want: Vec<i64> = expected.iter().take(10).map(|(_, n)| *n).collect();
            let sql = format!(
                "SELECT n FROM doc WHERE emb IS NOT NULL ORDER BY emb {operator} '{}' LIMIT 10",
                text(&q)
            );
            assert_eq!(ns(&s, &sql).await, want, "{sql}");
            // With a filter: k rows whenever k match.
            let want: Vec<i64> = expected
                .iter()
                .filter(|(_, n)| n % 5 == 2)
                .take(10)
                .map(|(_, n)| *n)
                .collect();
            assert_eq!(want.len(), 10);
            let sql = format!(
                "SELECT n FROM doc WHERE topic = 2 AND emb IS NOT NULL ORDER BY emb {operator} '{}' LIMIT 10",
                text(&q)
            );
            assert_eq!(ns(&s, &sql).await, want, "{sql}");
        }
    }
}

#[tokio::test]
async fn distance_functions_compute_pgvector_s_values() {
    let (_dir, s, vectors) = documents().await;
    let q = [0.5f32, -0.25, 1.0, 0.0, 2.0, -1.5, 0.125, 3.0];
    let sql = format!(
        "SELECT n, l2_distance(emb, '{q}'), cosine_distance(emb, '{q}'), inner_product(emb, '{q}'), \
         vector_negative_inner_product(emb, '{q}'), l1_distance(emb, '{q}'), vector_dims(emb), vector_norm(emb), \
         emb <-> '{q}' FROM doc ORDER BY n",
        q = text(&q)
    );
    let batches = s.query(&sql).await.unwrap();
    let mut row = 0;
    for b in &batches {
        let f = |c: usize| b.column(c).as_primitive::<Float64Type>().clone();
        let (l2c, cos, ip, nip, l1c, norm, op) = (f(1), f(2), f(3), f(4), f(5), f(7), f(8));
        let dims = b.column(6).as_primitive::<Int32Type>().clone();
        for i in 0..b.num_rows() {
            match &vectors[row] {
                None => {
                    for c in 1..9 {
                        assert!(b.column(c).is_null(i), "row {row} column {c}");
                    }
                }
                Some(v) => {
                    let close = |got: f64, want: f64| {
                        assert!(
                            (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                            "row {row}: {got} vs {want}"
                        )
                    };
                    close(l2c.value(i), l2(v, &q));
                    close(cos.value(i), cosine(v, &q));
                    close(ip.value(i), dot(v, &q));
                    close(nip.value(i), -dot(v, &q));
                    close(l1c.value(i), l1(v, &q));
                    close(norm.value(i), dot(v, v).sqrt());
                    assert_eq!(op.value(i), l2c.value(i));
                    assert_eq!(dims.value(i), DIMS as i32);
                }
            }
            row += 1;
        }
    }
    assert_eq!(row, DOCS);

    // Literals: text, arrays; pgvector's answers.
    let batches = s
        .query(
            "SELECT '[1,2,3]' <-> '[4,6,3]', ARRAY[1,0] <=> ARRAY[0,1], \
             inner_product('[1,2]', ARRAY[3.5, 4]), '[1,2]' <#> '[3,4]', \
             '[1,-2]'<+>'[0,0]', vector_dims('[1, 2.5, -3e2]'), \
             vector_norm('[3,4]'), '[0,0]' <=> '[1,1]', l2_distance(NULL, '[1]')",
        )
        .await
        .unwrap();
    let values: Vec<String> = batches[0]
        .columns()
        .iter()
        .map(|c| {
            if c.is_null(0) {
                "NULL".into()
            } else {
                array_value_to_string(c, 0).unwrap()
            }
        })
        .collect();
    assert_eq!(
        values,
        [
            "5.0", "1.0", "11.5", "-11.0", "3.0", "3", "5.0", "NaN", "NULL"
        ]
    );
}

#[tokio::test]
async fn vector_mistakes_get_pgvector_s_errors() {
    let (_dir, s, _) = documents().await;
    for (sql, state, message) in [
        (
            "SELECT '[1,2]' <-> '[1,2,3]'",
            "22000",
            "different vector dimensions 2 and 3",
        ),
        (
            "SELECT emb <=> '[1,2]' FROM doc",
            "22000",
            "different vector dimensions 8 and 2",
        ),
        (
            "SELECT '[1,x]' <-> '[1,2]'",
            "22P02",
            "invalid input syntax for type vector: \"[1,x]\"",
        ),
        (
            "SELECT vector_dims('[]')",
            "22000",
            "vector must have at least 1 dimension",
        ),
        (
            "SELECT vector_dims('[1,NaN]')",
            "22000",
            "NaN not allowed in vector",
        ),
        (
            "SELECT ARRAY[1, NULL] <-> ARRAY[1, 2]",
            "22004",
            "array must not contain nulls",
        ),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
        assert!(e.to_string().contains(message), "{sql}: {e}");
    }
    // `< + >` apart is three operators, as in PostgreSQL.
    assert_eq!(err(&s, "SELECT 1 < + > 2").await.kind.sqlstate(), "42601");
    let e = err(&s, "SELECT l2_distance(1, 2)").await;
    assert_eq!(e.kind.sqlstate(), "42883", "{e}");
}

#[tokio::test]
async fn casts_to_vector_read_pgvector_s_text() {
    let (_dir, s, vectors) = documents().await;
    let first = |sql: &'static str| {
        let s = &s;
        async move {
            let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            let c = batches[0].column(0);
            if c.is_null(0) {
                "NULL".to_string()
            } else {
                array_value_to_string(c, 0).unwrap()
            }
        }
    };
    assert_eq!(
        first("SELECT '[1, 2.5, -3]'::vector").await,
        "[1.0, 2.5, -3.0]"
    );
    assert_eq!(
        first("SELECT CAST('[1,2]' AS vector(2))").await,
        "[1.0, 2.0]"
    );
    assert_eq!(
        first("SELECT ARRAY[1, 2, 3]::vector(3) <-> '[1,2,4]'::vector").await,
        "1.0"
    );
    assert_eq!(first("SELECT vector_dims(NULL::vector)").await, "NULL");
    // A cast of a `Vector(n)` column, and a vector written with a cast.
    let q = "[1,0,0,0,0,0,0,0]";
    let by_cast = ns(
        &s,
        &format!("SELECT n FROM doc WHERE emb IS NOT NULL ORDER BY emb::vector <=> '{q}'::vector({DIMS}) LIMIT 3"),
    )
    .await;
    let plain = ns(
        &s,
        &format!("SELECT n FROM doc WHERE emb IS NOT NULL ORDER BY emb <=> '{q}' LIMIT 3"),
    )
    .await;
    assert_eq!(by_cast, plain);
    s.execute(&format!(
        "INSERT INTO doc (n, topic, emb) VALUES (1000, 9, '{q}'::vector({DIMS}))"
    ))
    .await
    .unwrap();
    assert_eq!(
        ns(
            &s,
            &format!("SELECT n FROM doc ORDER BY emb <-> '{q}' LIMIT 1")
        )
        .await,
        [1000]
    );
    assert_eq!(vectors.len(), DOCS);
    // Vector text for a Vector column is a vector, as an untyped literal takes its
    // target's type in PostgreSQL; in any column order.
    s.execute(&format!(
        "INSERT INTO doc (topic, n, emb) VALUES (9, 1001, '{q}'), (9, 1002, NULL); \
         INSERT INTO doc (emb, n, topic) VALUES (' [0,1,0,0,0,0,0,0]', 1003, 9)"
    ))
    .await
    .unwrap();
    assert_eq!(
        ns(
            &s,
            "SELECT n FROM doc WHERE topic = 9 ORDER BY emb <-> '[0,1,0,0,0,0,0,0]', n LIMIT 4"
        )
        .await,
        [1003, 1000, 1001, 1002]
    );
    let e = err(
        &s,
        "INSERT INTO doc (n, topic, emb) VALUES (1004, 9, '[1,2]')",
    )
    .await;
    assert_eq!(e.kind.sqlstate(), "22000", "{e}");
    assert!(
        e.to_string().contains("expected 8 dimensions, not 2"),
        "{e}"
    );
    // Without the columns named: the table's own order (`id` first, derived from the key).
    let e = err(&s, "INSERT INTO doc VALUES (NULL, 1005, 9, '[1,2]')").await;
    assert_eq!(e.kind.sqlstate(), "22000", "{e}");
    for (sql, state, message) in [
        (
            "SELECT '[1,2]'::vector(3)",
            "22000",
            "expected 3 dimensions, not 2",
        ),
        (
            "SELECT '[1,2'::vector",
            "22P02",
            "invalid input syntax for type vector",
        ),
        (
            "SELECT '[]'::vector",
            "22000",
            "vector must have at least 1 dimension",
        ),
        (
            "SELECT '[1]'::vector(0)",
            "22023",
            "dimensions for type vector must be at least 1",
        ),
        (
            "SELECT ARRAY[1, NULL]::vector",
            "22004",
            "array must not contain nulls",
        ),
        ("SELECT 1::vector", "42883", "does not exist"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
        assert!(e.to_string().contains(message), "{sql}: {e}");
    }
}

/// `rows` documents `n` with a random 8-d `emb` and `topic = n % 5`, as NDJSON lines.
fn document_lines(rng: &mut Rng, range: std::ops::Range<usize>) -> (Vec<String>, Vec<Vec<f32>>) {
    let vectors: Vec<Vec<f32>> = range.clone().map(|_| rng.vector()).collect();
    let lines = range
        .zip(&vectors)
        .map(|(n, v)| {
            format!(
                r#"{{"type":"Doc","data":{{"n":{n},"topic":{},"emb":{}}}}}"#,
                n % 5,
                text(v)
            )
        })
        .collect();
    (lines, vectors)
}

/// The `k` nearest of `vectors` (by `measure`, then n) among those `keep` admits.
fn brute_force(
    vectors: &[(i64, Vec<f32>)],
    q: &[f32],
    measure: fn(&[f32], &[f32]) -> f64,
    keep: impl Fn(i64) -> bool,
    k: usize,
) -> Vec<i64> {
    let mut ranked: Vec<(f64, i64)> = vectors
        .iter()
        .filter(|(n, _)| keep(*n))
        .map(|(n, v)| (measure(v, q), *n))
        .collect();
    ranked.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ranked.into_iter().take(k).map(|(_, n)| n).collect()
}

async fn plan_text(s: &Session, sql: &str) -> String {
    let batches = s.query(&format!("EXPLAIN {sql}")).await.unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column(b.num_columns() - 1).as_string::<i32>().clone();
            (0..c.len()).map(move |i| c.value(i).to_string())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_vector_index_answers_top_k_with_filters_new_rows_and_time_travel() {
    const ROWS: usize = 6000;
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().join("docs").to_str().unwrap())
        .await
        .unwrap();
    let options = WriteOptions::default();
    graph
        .apply_schema(
            "main",
            &format!(
                "node Doc {{ n: I64 @key, topic: I64, emb: Vector({DIMS}) @index(doc_emb using ivf_pq vector_l2_ops) }}"
            ),
            &options,
        )
        .await
        .unwrap();
    let mut rng = Rng(0xa11_ce55);
    let (lines, vectors) = document_lines(&mut rng, 0..ROWS);
    graph
        .load_ndjson("main", &lines.join("\n"), LoadMode::Append, &options)
        .await
        .unwrap();
    let mut all: Vec<(i64, Vec<f32>)> = (0..ROWS as i64).zip(vectors).collect();
    let s = Session::new(graph).await.unwrap();
    let top = |q: &[f32], filter: &str, k: usize| {
        format!(
            "SELECT n FROM doc {filter} ORDER BY emb <-> '{}' LIMIT {k}",
            text(q)
        )
    };

    // The index answers `<->` (its metric) and not `<=>`, which stays exact.
    let q = rng.vector();
    let plan = plan_text(&s, &top(&q, "", 10)).await;
    assert!(plan.contains("ANNSubIndex: name=doc_emb"), "{plan}");
    let cosine_sql = format!("SELECT n FROM doc ORDER BY emb <=> '{}' LIMIT 10", text(&q));
    assert!(!plan_text(&s, &cosine_sql).await.contains("ANN"));
    let want = brute_force(&all, &q, cosine, |_| true, 10);
    assert_eq!(ns(&s, &cosine_sql).await, want);

    // Recall at the default settings, with and without a filter; a filter never leaves
    // fewer than k rows when k match, however few match.
    let mut found = 0;
    let mut total = 0;
    for _ in 0..10 {
        let q = rng.vector();
        for (filter, keep) in [
            ("", (|_| true) as fn(i64) -> bool),
            ("WHERE topic = 2", |n| n % 5 == 2),
        ] {
            let want = brute_force(&all, &q, l2, keep, 10);
            let got = ns(&s, &top(&q, filter, 10)).await;
            assert_eq!(got.len(), 10);
            assert!(got.iter().all(|n| keep(*n)), "{filter}: {got:?}");
            found += got.iter().filter(|n| want.contains(n)).count();
            total += want.len();
        }
        let got = ns(&s, &top(&q, "WHERE n IN (5, 17, 4000) OR n < 3", 10)).await;
        let want = brute_force(&all, &q, l2, |n| [5, 17, 4000].contains(&n) || n < 3, 10);
        assert_eq!(got, want);
    }
    let recall = found as f64 / total as f64;
    assert!(recall >= 0.95, "recall@10 {recall}");

    // OFFSET: the rows after the first ones.
    let q = rng.vector();
    let want = brute_force(&all, &q, l2, |_| true, 15);
    let got = ns(
        &s,
        &format!(
            "SELECT n FROM doc ORDER BY emb <-> '{}' LIMIT 5 OFFSET 10",
            text(&q)
        ),
    )
    .await;
    assert_eq!(got.len(), 5);
    assert!(got.iter().filter(|n| want[10..].contains(n)).count() >= 4);

    // Rows written after the index was built are found at once (scanned flat), deleted
    // ones are gone, and an earlier version answers as it was.
    let before = s
        .query("SELECT max(version) FROM omnigraph.commits")
        .await
        .unwrap();
    let before = array_value_to_string(before[0].column(0), 0).unwrap();
    let near: Vec<f32> = q.iter().map(|x| x + 1e-4).collect();
    s.execute(&format!(
        "INSERT INTO doc (n, topic, emb) VALUES (90001, 1, '{}'); DELETE FROM doc WHERE n = {}",
        text(&near),
        want[0]
    ))
    .await
    .unwrap();
    all.retain(|(n, _)| *n != want[0]);
    all.push((90001, near.clone()));
    let now = ns(&s, &top(&q, "", 3)).await;
    assert_eq!(now[0], 90001);
    assert!(!now.contains(&want[0]));
    let then = ns(
        &s,
        &format!(
            "SELECT n FROM doc FOR SYSTEM_TIME AS OF {before} ORDER BY emb <-> '{}' LIMIT 3",
            text(&q)
        ),
    )
    .await;
    assert_eq!(then[0], want[0]);
    assert!(!then.contains(&90001));

    // The search knobs are settings; a bad value is refused.
    s.execute("SET omnigraph.nprobes = 4; SET omnigraph.refine_factor = 2")
        .await
        .unwrap();
    assert_eq!(ns(&s, &top(&q, "", 10)).await.len(), 10);
    let e = err(&s, "SET omnigraph.ef_search = 'many'").await;
    assert_eq!(e.kind.sqlstate(), "22023", "{e}");
    s.execute("RESET omnigraph.nprobes; RESET omnigraph.refine_factor")
        .await
        .unwrap();

    // CREATE INDEX with an operator class, and its mistakes.
    s.execute("DROP INDEX doc_emb").await.unwrap();
    assert!(!plan_text(&s, &top(&q, "", 10)).await.contains("ANN"));
    s.execute("CREATE INDEX doc_emb_cos ON doc USING hnsw (emb vector_cosine_ops)")
        .await
        .unwrap();
    assert!(
        plan_text(&s, &cosine_sql)
            .await
            .contains("ANNSubIndex: name=doc_emb_cos")
    );
    assert_eq!(ns(&s, &cosine_sql).await.len(), 10);
    for (sql, state) in [
        (
            "CREATE INDEX x ON doc USING ivf_pq (emb vector_hamming_ops)",
            "42704",
        ),
        ("CREATE INDEX y ON doc USING hnsw (topic)", "42704"),
        ("CREATE INDEX z ON doc USING btree (topic, emb)", "0A000"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
    }
}

/// BM25 as Lance scores it (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))),
/// for `query`'s terms over `docs` (each a list of terms).
fn bm25(docs: &[Vec<&str>], query: &[&str]) -> Vec<f64> {
    let n = docs.len() as f64;
    let avg = docs.iter().map(Vec::len).sum::<usize>() as f64 / n;
    docs.iter()
        .map(|doc| {
            query
                .iter()
                .map(|t| {
                    let with = docs.iter().filter(|d| d.contains(t)).count() as f64;
                    let freq = doc.iter().filter(|w| *w == t).count() as f64;
                    if freq == 0.0 {
                        return 0.0;
                    }
                    let idf = (1.0 + (n - with + 0.5) / (with + 0.5)).ln();
                    let norm = 1.2 * (1.0 - 0.75 + 0.75 * doc.len() as f64 / avg);
                    idf * 2.2 * freq / (freq + norm)
                })
                .sum()
        })
        .collect()
}

/// `(n, score)` rows of `sql`, in order.
async fn scored(s: &Session, sql: &str) -> Vec<(i64, f64)> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| {
            let n = datafusion::arrow::compute::cast(b.column(0), &DataType::Int64).unwrap();
            let score = b.column(1).as_primitive::<Float64Type>().clone();
            let n = n.as_primitive::<Int64Type>().clone();
            (0..b.num_rows()).map(move |i| (n.value(i), score.value(i)))
        })
        .collect()
}

/// Words that are no stop words, each its own stem.
const WORDS: [&str; 6] = ["graph", "vector", "branch", "merge", "commit", "column"];

/// 40 notes `n` of 2 to 9 random `WORDS` in `body` (full-text indexed), `tag` `n % 2`;
/// with the notes' words.
async fn notes() -> (tempfile::TempDir, Session, Vec<Vec<&'static str>>) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().join("notes").to_str().unwrap())
        .await
        .unwrap();
    let options = WriteOptions::default();
    graph
        .apply_schema(
            "main",
            "node Note { n: I64 @key, tag: I64, body: String @index(using inverted), title: String? }",
            &options,
        )
        .await
        .unwrap();
    let mut rng = Rng(0x7e47_5ea7);
    let docs: Vec<Vec<&str>> = (0..40)
        .map(|_| {
            let len = 2 + (rng.next().abs() * 8.0) as usize;
            (0..len)
                .map(|_| WORDS[((rng.next() + 1.0) * 3.0) as usize % WORDS.len()])
                .collect()
        })
        .collect();
    let lines: Vec<String> = docs
        .iter()
        .enumerate()
        .map(|(n, d)| {
            format!(
                r#"{{"type":"Note","data":{{"n":{n},"tag":{},"body":"{}","title":"{}"}}}}"#,
                n % 2,
                d.join(" "),
                d[0]
            )
        })
        .collect();
    graph
        .load_ndjson("main", &lines.join("\n"), LoadMode::Append, &options)
        .await
        .unwrap();
    let s = Session::new(graph).await.unwrap();
    (dir, s, docs)
}

#[tokio::test]
async fn text_search_ranks_by_bm25_with_phrases_fuzzy_terms_and_rrf() {
    let (_dir, s, docs) = notes().await;
    let search = |query: &str, rest: &str| {
        format!(
            "SELECT note.n, t.score FROM text_search('note', 'body', '{query}'{rest}) t \
             JOIN note ON note.id = t.id ORDER BY t.score DESC, note.n"
        )
    };

    // Scores are BM25's, ranked best first; a document without the terms is not returned.
    let want = bm25(&docs, &["graph", "merge"]);
    let got = scored(&s, &search("Graph MERGE", "")).await;
    assert_eq!(got.len(), want.iter().filter(|w| **w > 0.0).count());
    for (n, score) in &got {
        let w = want[*n as usize];
        assert!(
            (score - w).abs() <= 1e-4 * w.max(1.0),
            "doc {n}: {score} vs {w}"
        );
    }
    assert!(got.windows(2).all(|p| p[0].1 >= p[1].1));
    // k: the best k.
    let top = scored(&s, &search("graph merge", ", 3")).await;
    assert_eq!(top, got[..3].to_vec());

    // Every term, a phrase, fuzzy terms.
    let has = |d: &Vec<&str>, w: &str| d.contains(&w);
    let all: Vec<i64> = scored(&s, &search("graph merge", ", NULL, 'all'"))
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut want_all: Vec<i64> = (0..docs.len() as i64)
        .filter(|n| has(&docs[*n as usize], "graph") && has(&docs[*n as usize], "merge"))
        .collect();
    let mut sorted_all = all.clone();
    sorted_all.sort();
    want_all.sort();
    assert_eq!(sorted_all, want_all);
    let phrase: Vec<i64> = scored(&s, &search("vector branch", ", NULL, 'phrase'"))
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut want_phrase: Vec<i64> = (0..docs.len() as i64)
        .filter(|n| {
            docs[*n as usize]
                .windows(2)
                .any(|w| w == ["vector", "branch"])
        })
        .collect();
    let mut sorted_phrase = phrase.clone();
    sorted_phrase.sort();
    want_phrase.sort();
    assert_eq!(sorted_phrase, want_phrase);
    assert!(!want_phrase.is_empty());
    let fuzzy = scored(&s, &search("comit", ", NULL, 'fuzzy'")).await;
    let with_commit = docs.iter().filter(|d| has(d, "commit")).count();
    assert_eq!(fuzzy.len(), with_commit);
    assert!(scored(&s, &search("comit", "")).await.is_empty());

    // A filter on the joined table, and rows written after the index (searched at once).
    let tagged = scored(
        &s,
        "SELECT note.n, t.score FROM text_search('note', 'body', 'graph') t JOIN note ON note.id = t.id WHERE note.tag = 1 ORDER BY t.score DESC",
    )
    .await;
    assert!(tagged.iter().all(|(n, _)| n % 2 == 1));
    s.execute("INSERT INTO note (n, tag, body) VALUES (100, 0, 'zebra zebra graph')")
        .await
        .unwrap();
    assert_eq!(scored(&s, &search("zebra", "")).await[0].0, 100);
    s.execute("DELETE FROM note WHERE n = 100").await.unwrap();
    assert!(scored(&s, &search("zebra", "")).await.is_empty());

    // Reciprocal rank fusion.
    let batches = s
        .query("SELECT rrf(1, 2), rrf(NULL, 1), rrf(3, 1, 0), rrf(NULL, NULL)")
        .await
        .unwrap();
    let value = |c: usize| batches[0].column(c).as_primitive::<Float64Type>().value(0);
    assert!((value(0) - (1.0 / 61.0 + 1.0 / 62.0)).abs() < 1e-12);
    assert!((value(1) - 1.0 / 61.0).abs() < 1e-12);
    assert!((value(2) - (1.0 / 3.0 + 1.0)).abs() < 1e-12);
    assert_eq!(value(3), 0.0);
    let fused = ns(
        &s,
        "WITH a AS (SELECT n, row_number() OVER (ORDER BY n) AS r FROM note WHERE n < 5), \
              b AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS r FROM note WHERE n < 3) \
         SELECT coalesce(a.n, b.n) FROM a FULL JOIN b ON a.n = b.n \
         ORDER BY rrf(a.r, b.r) DESC, 1 LIMIT 3",
    )
    .await;
    assert_eq!(fused, [0, 2, 1]);

    for (sql, state) in [
        ("SELECT * FROM text_search('note', 'nope', 'x')", "42703"),
        ("SELECT * FROM text_search('note', 'tag', 'x')", "22023"),
        ("SELECT * FROM text_search('nope', 'body', 'x')", "42P01"),
        ("SELECT * FROM text_search('note', 'body', 'x', 0)", "22023"),
        (
            "SELECT * FROM text_search('note', 'body', 'x', 5, 'regex')",
            "22023",
        ),
        ("SELECT rrf(0, 1)", "22023"),
        ("SELECT rrf('a', 1)", "42883"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
    }
    s.execute("DROP INDEX note_body_idx").await.unwrap();
    let e = err(&s, "SELECT * FROM text_search('note', 'body', 'x')").await;
    assert_eq!(e.kind.sqlstate(), "55000", "{e}");
}

/// The first column (an integer) of the rows of `sql`, in order.
async fn first_column(s: &Session, sql: &str) -> Vec<i64> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| {
            let n = datafusion::arrow::compute::cast(b.column(0), &DataType::Int64).unwrap();
            let n = n.as_primitive::<Int64Type>().clone();
            (0..b.num_rows()).map(move |i| n.value(i))
        })
        .collect()
}

#[tokio::test]
async fn text_match_filters_and_text_score_orders_as_text_search_ranks() {
    let (_dir, s, docs) = notes().await;
    let reference = scored(
        &s,
        "SELECT note.n, t.score FROM text_search('note', 'body', 'graph merge') t \
         JOIN note ON note.id = t.id ORDER BY t.score DESC, note.n",
    )
    .await;
    assert!(reference.len() > 5);
    let ranked: Vec<i64> = reference.iter().map(|(n, _)| *n).collect();

    // The score in the select list, in ORDER BY by position, alias and expression.
    for sql in [
        "SELECT n, text_score(body, 'graph merge') FROM note WHERE text_match(body, 'graph merge') ORDER BY 2 DESC, n",
        "SELECT n, text_score(body, 'graph merge') AS s FROM note WHERE text_match(body, 'graph merge') ORDER BY s DESC, n",
        "SELECT d.n, text_score(d.body, 'graph merge') FROM note d WHERE text_match(d.body, 'graph merge') ORDER BY text_score(d.body, 'graph merge') DESC, d.n",
        "SELECT n, text_score(body, 'graph merge') FROM note WHERE text_match(body, 'graph merge', 'match') ORDER BY 2 DESC, n",
    ] {
        let got = scored(&s, sql).await;
        assert_eq!(got.len(), reference.len(), "{sql}");
        for ((n, score), (want_n, want)) in got.iter().zip(&reference) {
            assert_eq!(n, want_n, "{sql}");
            assert!((score - want).abs() < 1e-9, "{sql}: {score} vs {want}");
        }
    }
    // Ordered by a score that is not selected; the best k from the index.
    let by_score = "SELECT n FROM note WHERE text_match(body, 'graph merge') ORDER BY text_score(body, 'graph merge') DESC";
    assert_eq!(first_column(&s, &format!("{by_score}, n")).await, ranked);
    let top: Vec<f64> = scored(
        &s,
        "SELECT n, text_score(body, 'graph merge') AS s FROM note WHERE text_match(body, 'graph merge') ORDER BY s DESC LIMIT 4",
    )
    .await
    .into_iter()
    .map(|(_, score)| score)
    .collect();
    let want: Vec<f64> = reference[..4].iter().map(|(_, score)| *score).collect();
    assert_eq!(top, want);
    assert_eq!(
        first_column(&s, &format!("{by_score} LIMIT 3 OFFSET 1"))
            .await
            .len(),
        3
    );

    // Other conditions: on the same table (prefiltered), on the score, a count, a join.
    let tagged = first_column(
        &s,
        "SELECT n FROM note WHERE text_match(body, 'graph') AND tag = 1 ORDER BY n",
    )
    .await;
    let want: Vec<i64> = (0..docs.len() as i64)
        .filter(|n| n % 2 == 1 && docs[*n as usize].contains(&"graph"))
        .collect();
    assert_eq!(tagged, want);
    let top_tagged = first_column(
        &s,
        "SELECT n FROM note WHERE text_match(body, 'graph') AND tag = 1 ORDER BY text_score(body, 'graph') DESC LIMIT 3",
    )
    .await;
    assert_eq!(top_tagged.len(), 3.min(want.len()));
    assert!(top_tagged.iter().all(|n| n % 2 == 1));
    let threshold = reference[2].1;
    let above = first_column(
        &s,
        &format!(
            "SELECT n FROM note WHERE text_match(body, 'graph merge') AND text_score(body, 'graph merge') >= {threshold} ORDER BY n"
        ),
    )
    .await;
    let mut want: Vec<i64> = reference
        .iter()
        .filter(|(_, score)| *score >= threshold)
        .map(|(n, _)| *n)
        .collect();
    want.sort();
    assert_eq!(above, want);
    let counted = s
        .query("SELECT count(*), sum(text_score(body, 'graph merge')) FROM note WHERE text_match(body, 'graph merge')")
        .await
        .unwrap();
    assert_eq!(
        counted[0].column(0).as_primitive::<Int64Type>().value(0),
        reference.len() as i64
    );
    let sum: f64 = reference.iter().map(|(_, score)| score).sum();
    assert!((counted[0].column(1).as_primitive::<Float64Type>().value(0) - sum).abs() < 1e-9);
    let joined = first_column(
        &s,
        "SELECT a.n FROM note a JOIN note b ON b.n = a.n + 1 \
         WHERE text_match(a.body, 'graph merge') AND b.tag = 0 \
         ORDER BY text_score(a.body, 'graph merge') DESC, a.n",
    )
    .await;
    let want: Vec<i64> = ranked
        .iter()
        .copied()
        .filter(|n| (*n as usize) + 1 < docs.len() && (n + 1) % 2 == 0)
        .collect();
    assert_eq!(joined, want);

    // Modes, as text_search's.
    for (mode, query) in [
        ("all", "graph merge"),
        ("phrase", "vector branch"),
        ("fuzzy", "comit"),
    ] {
        let want = first_column(
            &s,
            &format!(
                "SELECT note.n FROM text_search('note', 'body', '{query}', NULL, '{mode}') t JOIN note ON note.id = t.id ORDER BY note.n"
            ),
        )
        .await;
        let got = first_column(
            &s,
            &format!("SELECT n FROM note WHERE text_match(body, '{query}', '{mode}') ORDER BY n"),
        )
        .await;
        assert!(!want.is_empty(), "{mode}");
        assert_eq!(got, want, "{mode}");
    }
    // A NULL query matches nothing.
    assert!(
        first_column(&s, "SELECT n FROM note WHERE text_match(body, NULL)")
            .await
            .is_empty()
    );

    for (sql, state) in [
        (
            "SELECT n FROM note ORDER BY text_score(body, 'graph')",
            "0A000",
        ),
        (
            "SELECT n FROM note WHERE text_match(body, 'graph') OR tag = 1",
            "0A000",
        ),
        (
            "SELECT n FROM note WHERE text_match(body, 'graph') ORDER BY text_score(body, 'merge')",
            "0A000",
        ),
        ("SELECT n FROM note WHERE text_match(tag, 'x')", "42883"),
        (
            "SELECT n FROM note WHERE text_match(body, 'x', 'regex')",
            "22023",
        ),
        (
            "SELECT n FROM note WHERE text_match(title, 'graph')",
            "55000",
        ),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
    }

    // UPDATE and DELETE write the rows text_match keeps, and no others.
    let with_graph = |keep: bool| -> Vec<i64> {
        (0..20)
            .filter(|n| docs[*n as usize].contains(&"graph") == keep)
            .collect()
    };
    s.execute("UPDATE note SET tag = 9 WHERE text_match(body, 'graph') AND n < 20")
        .await
        .unwrap();
    assert_eq!(
        first_column(&s, "SELECT n FROM note WHERE tag = 9 ORDER BY n").await,
        with_graph(true)
    );
    s.execute("DELETE FROM note WHERE text_match(body, 'graph') AND n < 20")
        .await
        .unwrap();
    assert_eq!(
        first_column(&s, "SELECT n FROM note WHERE n < 20 ORDER BY n").await,
        with_graph(false)
    );
    // INSERT ... SELECT searches as a query does.
    s.execute(
        "INSERT INTO note (n, tag, body) SELECT n + 1000, 5, body FROM note WHERE text_match(body, 'merge')",
    )
    .await
    .unwrap();
    let kept = |n: i64| n >= 20 || !docs[n as usize].contains(&"graph");
    let want: Vec<i64> = (0..docs.len() as i64)
        .filter(|n| kept(*n) && docs[*n as usize].contains(&"merge"))
        .collect();
    assert_eq!(
        first_column(&s, "SELECT n - 1000 FROM note WHERE tag = 5 ORDER BY 1").await,
        want
    );
}
