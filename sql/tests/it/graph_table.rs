//! `GRAPH_TABLE (... MATCH ... COLUMNS ...)`: patterns answered on the topology index,
//! checked against hand-written answers and, on seeded random graphs with cycles,
//! self-loops and parallel edges, against a brute-force enumeration of walks.

use std::collections::BTreeMap;

use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_engine::{Graph, WriteOptions};
use omnigraph_sql::Session;

use crate::common::*;

const SCHEMA: &str = "\
node Person  { name: String @key, age: I32? }
node Company { name: String @key }
edge Knows:   Person -> Person { since: I32? }
edge WorksAt: Person -> Company
";

async fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().join("social").to_str().unwrap())
        .await
        .unwrap();
    graph
        .apply_schema("main", SCHEMA, &WriteOptions::default())
        .await
        .unwrap();
    let s = Session::new(graph).await.unwrap();
    (dir, s)
}

/// Every row of `sql`, each as its values' text joined by `|`, sorted.
async fn rows(s: &Session, sql: &str) -> Vec<String> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(move |i| {
                b.columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(i) {
                            "NULL".to_string()
                        } else {
                            array_value_to_string(c, i).unwrap()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
        })
        .collect();
    out.sort();
    out
}

async fn small_social() -> (tempfile::TempDir, Session) {
    let (dir, s) = session().await;
    s.execute(
        "INSERT INTO person (name, age) VALUES ('ann', 30), ('bob', 25), ('cat', 41), ('dan', 19), ('eve', 52); \
         INSERT INTO company (name) VALUES ('acme'), ('globex'); \
         INSERT INTO knows (src, dst, since) VALUES ('ann', 'bob', 2001), ('bob', 'cat', 2002), \
             ('cat', 'ann', 2003), ('cat', 'dan', 2004), ('dan', 'dan', 2005); \
         INSERT INTO works_at (src, dst) VALUES ('ann', 'acme'), ('cat', 'globex'), ('dan', 'acme')",
    )
    .await
    .unwrap();
    (dir, s)
}

#[tokio::test]
async fn one_hop_patterns_read_labels_properties_and_directions() {
    let (_dir, s) = small_social().await;
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (a:Person WHERE a.name = 'cat')-[k:Knows]->(b) \
             COLUMNS (a.name AS a, b.name, b.age, k.since))"
        )
        .await,
        ["cat|ann|30|2003", "cat|dan|19|2004"]
    );
    // Unquoted variables and properties fold to lower case, as column names do.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (A:Person WHERE A.Name = 'cat')-[K:Knows]->(B {AGE: 19}) \
             COLUMNS (A.NAME AS a, b.Name, K.since, ELEMENT_ID(a) = a.id AS same))"
        )
        .await,
        ["cat|dan|2004|true"]
    );
    // Variables and a path variable the query does not read still match.
    assert_eq!(
        rows(
            &s,
            "SELECT count(*), min(one) FROM GRAPH_TABLE (social MATCH p = (a WHERE a.name = 'cat')-[k:Knows]->(b) COLUMNS (1 AS one))"
        )
        .await,
        ["2|1"]
    );
    // Either direction, an edge label given as the table name, any case.
    assert_eq!(
        rows(
            &s,
            "SELECT name FROM GRAPH_TABLE (social MATCH (a IS person WHERE a.name = 'ann')-[:KNOWS]-(b) COLUMNS (b.name)) g"
        )
        .await,
        ["bob", "cat"]
    );
    // Left-pointing, abbreviated, and a property map.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (a {name: 'dan'})<-(b) COLUMNS (b.name AS who))"
        )
        .await,
        ["cat", "dan"]
    );
    // Across two edge types, with a filter on the far end and the graph's WHERE.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (p:Person)-[:Knows]->(f:Person)-[:WorksAt]->(c:Company WHERE c.name = 'acme') \
             WHERE p.age > f.age COLUMNS (p.name AS p, f.name AS f, element_id(c) AS c))"
        )
        .await,
        ["cat|ann|acme", "cat|dan|acme"]
    );
    // A one-table node filter is checked on the table's cached columns, not by a scan.
    let plan = rows(
        &s,
        "EXPLAIN SELECT * FROM GRAPH_TABLE (social MATCH (p:Person)-[:WorksAt]->(c:Company WHERE c.name = 'acme') COLUMNS (p.name))",
    )
    .await
    .join("\n");
    assert!(plan.contains("checks=[company: name@0 = acme]"), "{plan}");
    // Label alternation: the label column tells the tables apart.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (a WHERE a.name = 'cat')-[]->(x:Person|Company) COLUMNS (x.name))"
        )
        .await,
        ["ann", "dan", "globex"]
    );
}

#[tokio::test]
async fn graph_tables_compose_with_sql_and_parameters() {
    let (_dir, s) = small_social().await;
    assert_eq!(
        rows(
            &s,
            "WITH f AS (SELECT * FROM GRAPH_TABLE (social MATCH (a)-[:Knows]->(b) COLUMNS (a.name AS a, b.name AS b))) \
             SELECT f.a, count(*) FROM f JOIN person p ON p.name = f.b WHERE p.age < 40 GROUP BY f.a"
        )
        .await,
        ["ann|1", "cat|2", "dan|1"]
    );
    let result = s
        .execute_with_params(
            "SELECT b FROM GRAPH_TABLE (social MATCH (a WHERE a.id = $1)-[:Knows]->{1,2}(x) COLUMNS (x.id AS b)) ORDER BY b",
            vec![datafusion::common::ScalarValue::Utf8(Some("ann".into()))],
        )
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&result.batches)
        .unwrap()
        .to_string();
    assert!(
        text.contains("bob") && text.contains("cat") && !text.contains("dan"),
        "{text}"
    );
}

#[tokio::test]
async fn quantifiers_selectors_and_path_variables() {
    let (_dir, s) = small_social().await;
    // Walks of 1 to 3 knows edges from ann: each walk a row.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH p = (a WHERE a.name = 'ann')-[:Knows]->{1,3}(b) \
             COLUMNS (b.name, path_length(p) AS n, vertices(p) AS v))"
        )
        .await,
        ["ann|3|[ann, bob, cat, ann]", "bob|1|[ann, bob]", "cat|2|[ann, bob, cat]", "dan|3|[ann, bob, cat, dan]"]
    );
    // Unbounded needs a selector or a mode.
    assert_eq!(
        err(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (a)-[:Knows]->+(b) COLUMNS (b.name))"
        )
        .await
        .kind
        .sqlstate(),
        "42601"
    );
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH ANY SHORTEST (a WHERE a.name = 'ann')-[:Knows]->+(b) COLUMNS (b.name, b.age))"
        )
        .await,
        ["ann|30", "bob|25", "cat|41", "dan|19"]
    );
    // `a.id <> b.id` keeps the two apart during the match (the start is not reached).
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH ANY SHORTEST (a WHERE a.name = 'ann')-[:Knows]->+(b) \
             WHERE b.id <> a.id AND b.age > 20 COLUMNS (b.name))"
        )
        .await,
        ["bob", "cat"]
    );
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH p = ACYCLIC (a WHERE a.name = 'dan')<-[:Knows]-*(b) COLUMNS (b.name, path_length(p) AS n))"
        )
        .await,
        ["ann|3", "bob|2", "cat|1", "dan|0"]
    );
    // A parenthesised sub-path with its own condition, repeated.
    assert_eq!(
        rows(
            &s,
            "SELECT * FROM GRAPH_TABLE (social MATCH (a WHERE a.name = 'ann')((x)-[k:Knows]->(y) WHERE k.since < 2004){2}(b) COLUMNS (b.name))"
        )
        .await,
        ["cat"]
    );
}

#[tokio::test]
async fn errors_name_what_is_wrong() {
    let (_dir, s) = small_social().await;
    for (sql, state) in [
        (
            "SELECT * FROM GRAPH_TABLE (nograph MATCH (a) COLUMNS (a.name))",
            "42704",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a:Robot) COLUMNS (a.name))",
            "42704",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a:Knows) COLUMNS (a.name))",
            "42809",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a)-[e:Person]->(b) COLUMNS (a.name))",
            "42809",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a:Person) COLUMNS (a.nope))",
            "42703",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a)-[a]->(b) COLUMNS (b.name))",
            "42712",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a) COLUMNS (a.name, a.name))",
            "42701",
        ),
        (
            "SELECT * FROM GRAPH_TABLE (social MATCH (a)~[e]~(b) COLUMNS (a.name))",
            "42601",
        ),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.kind.sqlstate(), state, "{sql}: {e}");
    }
}

/// A seeded random multigraph: (src, dst) pairs over `n` persons.
fn random_edges(seed: u64, n: usize, m: usize) -> Vec<(usize, usize)> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..m)
        .map(|_| ((next() % n as u64) as usize, (next() % n as u64) as usize))
        .collect()
}

/// A walk: its edges (rows) and its nodes.
type Walk = (Vec<usize>, Vec<usize>);

/// A graph of `n` persons `p0..` (age = number) and `m` seeded random knows edges
/// between them, and the edges as (src, dst) numbers.
async fn random_social(
    seed: u64,
    n: usize,
    m: usize,
) -> (tempfile::TempDir, Session, Vec<(usize, usize)>) {
    let (dir, s) = session().await;
    let edges = random_edges(seed, n, m);
    let people: Vec<String> = (0..n).map(|i| format!("('p{i}', {i})")).collect();
    let knows: Vec<String> = edges
        .iter()
        .map(|(a, b)| format!("('p{a}', 'p{b}')"))
        .collect();
    s.execute(&format!(
        "INSERT INTO person (name, age) VALUES {}; INSERT INTO knows (src, dst) VALUES {}",
        people.join(", "),
        knows.join(", ")
    ))
    .await
    .unwrap();
    (dir, s, edges)
}

/// The edge pattern's two halves for a direction (1 out, -1 in, 0 either).
fn arrow(dir: i32) -> (&'static str, &'static str) {
    match dir {
        1 => ("-", "->"),
        -1 => ("<-", "-"),
        _ => ("-", "-"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Walk,
    Trail,
    Acyclic,
    Simple,
}

/// Every walk from each node of `min..=max` edges (following `dir`: 1 out, -1 in, 0
/// both), as (edge rows, nodes).
fn walks(edges: &[(usize, usize)], n: usize, min: usize, max: usize, dir: i32) -> Vec<Walk> {
    let mut out = Vec::new();
    fn extend(
        edges: &[(usize, usize)],
        dir: i32,
        min: usize,
        max: usize,
        path: &mut Walk,
        out: &mut Vec<Walk>,
    ) {
        if path.0.len() >= min {
            out.push(path.clone());
        }
        if path.0.len() == max {
            return;
        }
        let at = *path.1.last().unwrap();
        for (row, &(s, d)) in edges.iter().enumerate() {
            let mut next = Vec::new();
            if dir >= 0 && s == at {
                next.push(d);
            }
            if dir <= 0 && d == at && !(dir == 0 && s == at) {
                next.push(s);
            }
            for to in next {
                path.0.push(row);
                path.1.push(to);
                extend(edges, dir, min, max, path, out);
                path.0.pop();
                path.1.pop();
            }
        }
    }
    for start in 0..n {
        extend(edges, dir, min, max, &mut (vec![], vec![start]), &mut out);
    }
    out
}

fn allowed(mode: Mode, path: &Walk) -> bool {
    let distinct = |v: &[usize]| {
        let mut s = v.to_vec();
        s.sort();
        s.dedup();
        s.len() == v.len()
    };
    match mode {
        Mode::Walk => true,
        Mode::Trail => distinct(&path.0),
        Mode::Acyclic => distinct(&path.1),
        Mode::Simple => {
            let nodes = &path.1;
            let closed = nodes.len() > 1 && nodes[0] == nodes[nodes.len() - 1];
            distinct(if closed {
                &nodes[..nodes.len() - 1]
            } else {
                nodes
            })
        }
    }
}

#[tokio::test]
async fn patterns_agree_with_brute_force_enumeration_on_random_graphs() {
    for seed in [1u64, 7, 42] {
        let n = 7;
        let (_dir, s, edges) = random_social(seed, n, 14).await;
        for dir in [1, -1, 0] {
            let (l, r) = arrow(dir);
            for (prefix, mode, min, max) in [
                ("", Mode::Walk, 1, 3),
                ("", Mode::Walk, 0, 2),
                ("TRAIL", Mode::Trail, 1, 4),
                ("ACYCLIC", Mode::Acyclic, 0, 4),
                ("SIMPLE", Mode::Simple, 1, 4),
                ("ANY SHORTEST", Mode::Walk, 1, 3),
                ("ALL SHORTEST", Mode::Walk, 1, 3),
                ("SHORTEST 2", Mode::Walk, 1, 3),
                ("ALL SHORTEST TRAIL", Mode::Trail, 1, 4),
            ] {
                // A filter on the last node: checked after the search without a selector,
                // before it with one.
                for end_filter in [false, true] {
                    let end = if end_filter {
                        " WHERE b.age % 3 <> 1"
                    } else {
                        ""
                    };
                    let sql = format!(
                        "SELECT * FROM GRAPH_TABLE (social MATCH p = {prefix} (a){l}[k:Knows]{r}{{{min},{max}}}(b{end}) \
                     COLUMNS (a.age AS a, b.age AS b, path_length(p) AS n, edges(p) AS e))"
                    );
                    let got = rows(&s, &sql).await;
                    let mut candidates: Vec<_> = walks(&edges, n, min, max, dir)
                        .into_iter()
                        .filter(|p| allowed(mode, p))
                        .filter(|p| !end_filter || p.1.last().unwrap() % 3 != 1)
                        .collect();
                    // Per (start, end): the selector's paths.
                    let mut by_ends: BTreeMap<(usize, usize), Vec<Walk>> = BTreeMap::new();
                    for p in candidates.drain(..) {
                        by_ends
                            .entry((p.1[0], *p.1.last().unwrap()))
                            .or_default()
                            .push(p);
                    }
                    let mut expected_lengths: Vec<String> = Vec::new();
                    for ((a, b), mut paths) in by_ends {
                        paths.sort_by_key(|p| p.0.len());
                        let shortest = paths[0].0.len();
                        let keep: Vec<_> = match prefix {
                            "ANY SHORTEST" => paths.into_iter().take(1).collect(),
                            "SHORTEST 2" => paths.into_iter().take(2).collect(),
                            p if p.starts_with("ALL SHORTEST") => paths
                                .into_iter()
                                .take_while(|p| p.0.len() == shortest)
                                .collect(),
                            _ => paths,
                        };
                        for p in keep {
                            expected_lengths.push(format!("{a}|{b}|{}", p.0.len()));
                        }
                    }
                    // Rows: (a, b, length) always; the edges exactly where the selector fixes
                    // them (every path kept).
                    let mut got_lengths: Vec<String> = got
                        .iter()
                        .map(|r| r.splitn(4, '|').take(3).collect::<Vec<_>>().join("|"))
                        .collect();
                    got_lengths.sort();
                    expected_lengths.sort();
                    assert_eq!(got_lengths, expected_lengths, "seed {seed}: {sql}");
                }
            }
        }
    }
}

#[tokio::test]
async fn shortest_reachability_agrees_with_brute_force_on_random_graphs() {
    for seed in [3u64, 11] {
        let n = 7;
        let (_dir, s, edges) = random_social(seed, n, 12).await;
        for dir in [1, -1, 0] {
            let (l, r) = arrow(dir);
            for (min, max) in [
                (0, Some(2)),
                (1, Some(1)),
                (1, Some(3)),
                (1, None),
                (0, None),
            ] {
                let quantifier = match max {
                    Some(m) => format!("{{{min},{m}}}"),
                    None => format!("{{{min},}}"),
                };
                // Every walk of up to n edges decides reachability and the shortest length.
                let limit = max.unwrap_or(n);
                let mut shortest: BTreeMap<(usize, usize), usize> = BTreeMap::new();
                for w in walks(&edges, n, min, limit, dir) {
                    let key = (w.1[0], *w.1.last().unwrap());
                    let len = w.0.len();
                    shortest
                        .entry(key)
                        .and_modify(|l| *l = (*l).min(len))
                        .or_insert(len);
                }
                let expected: Vec<String> =
                    shortest.keys().map(|(a, b)| format!("{a}|{b}")).collect();
                let sql = format!(
                    "SELECT * FROM GRAPH_TABLE (social MATCH ANY SHORTEST (a){l}[:Knows]{r}{quantifier}(b) \
                     COLUMNS (a.age AS a, b.age AS b))"
                );
                assert_eq!(rows(&s, &sql).await, expected, "seed {seed}: {sql}");
                // To one given end, with the path: its length is the shortest.
                let expected: Vec<String> = shortest
                    .iter()
                    .filter(|((_, b), _)| *b == 3)
                    .map(|((a, b), len)| format!("{a}|{b}|{len}"))
                    .collect();
                let sql = format!(
                    "SELECT * FROM GRAPH_TABLE (social MATCH p = ANY SHORTEST (a){l}[:Knows]{r}{quantifier}(b WHERE b.age = 3) \
                     COLUMNS (a.age AS a, b.age AS b, path_length(p) AS n))"
                );
                assert_eq!(rows(&s, &sql).await, expected, "seed {seed}: {sql}");
            }
        }
    }
}

#[tokio::test]
async fn patterns_read_the_branch_and_version_the_tables_read() {
    let (_dir, s) = small_social().await;
    let count = "SELECT count(*) FROM GRAPH_TABLE (social MATCH (a WHERE a.name = 'dan')-[:Knows]->(b) COLUMNS (b.name))";
    let before = rows(
        &s,
        "SELECT head_version FROM omnigraph.branches WHERE name = 'main'",
    )
    .await;
    s.execute("CALL create_branch('feature')").await.unwrap();
    s.execute("INSERT INTO \"feature\".knows (src, dst) VALUES ('dan', 'eve'), ('dan', 'ann')")
        .await
        .unwrap();
    s.execute("INSERT INTO knows (src, dst) VALUES ('dan', 'bob')")
        .await
        .unwrap();
    // main: dan knows dan and bob; feature: dan, eve, ann; the older version: dan only.
    assert_eq!(rows(&s, count).await, ["2"]);
    let at = |reference: &str| {
        format!(
            "SELECT count(*) FROM GRAPH_TABLE (social FOR SYSTEM_TIME AS OF {reference} \
             MATCH (a WHERE a.name = 'dan')-[:Knows]->(b) COLUMNS (b.name))"
        )
    };
    assert_eq!(rows(&s, &at("'feature'")).await, ["3"]);
    assert_eq!(rows(&s, &at(&before[0])).await, ["1"]);
    // One statement, two versions of the pattern: what the branch added.
    assert_eq!(
        rows(
            &s,
            "SELECT b FROM GRAPH_TABLE (social FOR SYSTEM_TIME AS OF 'feature' MATCH (a WHERE a.name = 'dan')-[:Knows]->(x) COLUMNS (x.name AS b)) \
                 EXCEPT SELECT b FROM GRAPH_TABLE (social MATCH (a WHERE a.name = 'dan')-[:Knows]->(x) COLUMNS (x.name AS b))"
        )
        .await,
        ["ann", "eve"]
    );
    // The session's branch and as-of setting apply as they do to tables.
    s.execute("SET omnigraph.branch = 'feature'").await.unwrap();
    assert_eq!(rows(&s, count).await, ["3"]);
    s.execute("SET omnigraph.branch = 'main'").await.unwrap();
    s.execute(&format!("SET omnigraph.as_of = '{}'", before[0]))
        .await
        .unwrap();
    assert_eq!(rows(&s, count).await, ["1"]);
}
