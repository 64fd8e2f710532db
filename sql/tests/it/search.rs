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
