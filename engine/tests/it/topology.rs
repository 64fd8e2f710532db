//! Differential tests of the topology walks against a plain reference BFS, on random
//! graphs with self-loops, multi-edges, cycles and disconnected parts.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use omnigraph_engine::{Direction, LoadMode, Topology};
use proptest::prelude::*;

use crate::common::*;

fn build(n: usize, edges: &[(usize, usize)]) -> Topology {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("src", DataType::Utf8, false),
        Field::new("dst", DataType::Utf8, false),
    ]));
    let _ = n;
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(
                (0..edges.len())
                    .map(|i| format!("e{i}"))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                edges
                    .iter()
                    .map(|e| format!("n{}", e.0))
                    .collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                edges
                    .iter()
                    .map(|e| format!("n{}", e.1))
                    .collect::<Vec<_>>(),
            )),
        ],
    )
    .unwrap();
    // Split into two batches to exercise multi-batch builds.
    let half = batch.num_rows() / 2;
    Topology::from_batches(
        &[
            batch.slice(0, half),
            batch.slice(half, batch.num_rows() - half),
        ],
        false,
    )
    .unwrap()
}

/// Reference: distances from `start` by textbook BFS over adjacency lists.
fn reference_distances(
    edges: &[(usize, usize)],
    start: usize,
    dir: Direction,
) -> BTreeMap<usize, u32> {
    let mut adj: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(s, d) in edges {
        if matches!(dir, Direction::Out | Direction::Both) {
            adj.entry(s).or_default().push(d);
        }
        if matches!(dir, Direction::In | Direction::Both) {
            adj.entry(d).or_default().push(s);
        }
    }
    let mut dist = BTreeMap::from([(start, 0u32)]);
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for &m in adj.get(&n).map(|v| v.as_slice()).unwrap_or(&[]) {
            if !dist.contains_key(&m) {
                dist.insert(m, dist[&n] + 1);
                queue.push_back(m);
            }
        }
    }
    dist
}

fn graphs() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
    (1usize..25).prop_flat_map(|n| (Just(n), prop::collection::vec((0..n, 0..n), 0..70)))
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::Out),
        Just(Direction::In),
        Just(Direction::Both)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn traverse_matches_reference_bfs((n, edges) in graphs(), start in 0usize..25, min in 0u32..3, extra in 0u32..4, dir in direction()) {
        let t = build(n, &edges);
        let start = start % n;
        let max = min + extra;
        let expected: BTreeSet<(String, u32)> = reference_distances(&edges, start, dir)
            .into_iter()
            .filter(|(_, d)| *d >= min && *d <= max)
            .map(|(node, d)| (format!("n{node}"), d))
            .collect();
        let got: Vec<(String, u32)> = match t.ordinal(&format!("n{start}")) {
            Some(s) => t.traverse(s, min, max, dir).into_iter().map(|(o, d)| (t.node_id(o).to_string(), d)).collect(),
            // A node with no edges only reaches itself.
            None => if min == 0 { vec![(format!("n{start}"), 0)] } else { vec![] },
        };
        let got_set: BTreeSet<_> = got.iter().cloned().collect();
        prop_assert_eq!(got.len(), got_set.len(), "each node once");
        prop_assert_eq!(got_set, expected);
    }

    #[test]
    fn shortest_paths_have_reference_length_and_are_real((n, edges) in graphs(), a in 0usize..25, b in 0usize..25, bound in prop::option::of(0u32..6), dir in direction()) {
        let t = build(n, &edges);
        let (a, b) = (a % n, b % n);
        let dist = reference_distances(&edges, a, dir).get(&b).copied();
        let expected = dist.filter(|d| bound.is_none_or(|m| *d <= m));
        let got = match (t.ordinal(&format!("n{a}")), t.ordinal(&format!("n{b}"))) {
            (Some(x), Some(y)) => t.shortest_path(x, y, bound, dir),
            _ => None,
        };
        if a == b {
            // The start alone, whether or not it has edges.
            prop_assert!(expected == Some(0));
            if let Some(p) = &got { prop_assert_eq!(p.len(), 1); }
            return Ok(());
        }
        prop_assert_eq!(got.as_ref().map(|p| p.len() as u32 - 1), expected);
        if let Some(path) = got {
            prop_assert_eq!(t.node_id(path[0].node), format!("n{a}"));
            prop_assert_eq!(t.node_id(path.last().unwrap().node), format!("n{b}"));
            for w in path.windows(2) {
                let e: usize = t.edge_id(w[1].edge.unwrap())[1..].parse().unwrap();
                let (s, d) = edges[e];
                let (from, to) = (t.node_id(w[0].node).to_string(), t.node_id(w[1].node).to_string());
                let (s, d) = (format!("n{s}"), format!("n{d}"));
                let ok = match dir {
                    Direction::Out => from == s && to == d,
                    Direction::In => from == d && to == s,
                    Direction::Both => (from == s && to == d) || (from == d && to == s),
                };
                prop_assert!(ok, "step {} -> {} does not follow edge e{}", from, to, e);
            }
        }
    }
}

#[tokio::test]
async fn topologies_follow_branches_and_versions_and_are_cached() {
    let (_dir, graph) = loaded_graph().await;
    let main_v = graph.snapshot("main").await.unwrap();
    graph.create_branch("f", None).await.unwrap();
    graph
        .load_ndjson(
            "f",
            r#"{"edge":"Knows","from":"bob","to":"alice"}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    let on_branch = graph
        .snapshot("f")
        .await
        .unwrap()
        .topology("knows")
        .await
        .unwrap();
    let on_main = graph
        .snapshot("main")
        .await
        .unwrap()
        .topology("knows")
        .await
        .unwrap();
    assert_eq!(on_branch.edge_count(), 2);
    assert_eq!(on_main.edge_count(), 1);
    let again = main_v.topology("knows").await.unwrap();
    assert!(
        Arc::ptr_eq(&on_main, &again),
        "same version, same cached topology"
    );
    assert_eq!(graph.cached_topologies(), 2);
    let err = main_v.topology("person").await.unwrap_err();
    assert!(err.to_string().contains("node table"), "{err}");
    // Concurrent first requests build once.
    graph
        .load_ndjson(
            "main",
            r#"{"edge":"Knows","from":"bob","to":"alice"}"#,
            LoadMode::Append,
            &opts(),
        )
        .await
        .unwrap();
    let s = graph.snapshot("main").await.unwrap();
    let (x, y) = tokio::join!(s.topology("knows"), s.topology("knows"));
    assert!(Arc::ptr_eq(&x.unwrap(), &y.unwrap()));
}
