//! The pattern search (`omnigraph_engine::pattern`) against brute-force walk
//! enumeration on random graphs with self-loops, parallel edges and cycles: every walk
//! (bounded), and the selectors' paths per (start, end) over walks.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use omnigraph_engine::pattern::{
    EdgeTable, EdgeTest, EndpointPositions, NodeTable, NodeTest, PathMode, PatternGraph,
    ProgramBuilder, Selector, match_paths,
};
use omnigraph_engine::{Direction, IdIndex, Topology};
use proptest::prelude::*;

fn strings(values: impl Iterator<Item = String>) -> Arc<StringArray> {
    Arc::new(StringArray::from(values.collect::<Vec<_>>()))
}

/// One node table `n0..n{n-1}` and one edge table over it.
fn graph(n: usize, edges: &[(usize, usize)]) -> PatternGraph {
    let ids = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)])),
        vec![strings((0..n).map(|i| format!("n{i}")))],
    )
    .unwrap();
    let ids = Arc::new(IdIndex::from_id_batches(&[ids]).unwrap());
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("src", DataType::Utf8, false),
        Field::new("dst", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            strings((0..edges.len()).map(|i| format!("e{i}"))),
            strings(edges.iter().map(|e| format!("n{}", e.0))),
            strings(edges.iter().map(|e| format!("n{}", e.1))),
        ],
    )
    .unwrap();
    let topology = Arc::new(Topology::from_batches(&[batch], false).unwrap());
    let endpoints = Arc::new(EndpointPositions::build(&topology, &ids, &ids, true).unwrap());
    PatternGraph {
        nodes: vec![NodeTable {
            name: "node".into(),
            ids,
        }],
        edges: vec![EdgeTable {
            name: "edge".into(),
            topology,
            endpoints,
            src: 0,
            dst: 0,
        }],
    }
}

/// Walks of `min..=max` edges out of each node: (start, end, edge rows).
fn walks(
    n: usize,
    edges: &[(usize, usize)],
    min: usize,
    max: usize,
) -> Vec<(usize, usize, Vec<usize>)> {
    let mut out = Vec::new();
    let mut stack: Vec<(usize, usize, Vec<usize>)> = (0..n).map(|s| (s, s, Vec::new())).collect();
    while let Some((start, at, path)) = stack.pop() {
        if path.len() >= min {
            out.push((start, at, path.clone()));
        }
        if path.len() < max {
            for (row, &(s, d)) in edges.iter().enumerate() {
                if s == at {
                    let mut next = path.clone();
                    next.push(row);
                    stack.push((start, d, next));
                }
            }
        }
    }
    out
}

/// `(a)-[]->{min,max}(b)` with `selector`, as (start, end, edge rows) sorted.
fn search(
    graph: &PatternGraph,
    n: usize,
    min: u32,
    max: u32,
    selector: Selector,
) -> Vec<(usize, usize, Vec<usize>)> {
    let mut builder = ProgramBuilder::new();
    builder.node(NodeTest {
        slot: Some(0),
        ..NodeTest::default()
    });
    builder.begin_repeat(min, Some(max)).unwrap();
    builder.edge(EdgeTest {
        slot: None,
        tables: vec![0],
        direction: Direction::Out,
        allowed: None,
    });
    builder.end_repeat().unwrap();
    builder.node(NodeTest {
        slot: Some(1),
        ..NodeTest::default()
    });
    let program = builder.finish(selector, PathMode::Walk, 2).unwrap();
    let starts = graph.all_nodes(&[]);
    let mut out = Vec::new();
    let number = |id: &str| id[1..].parse::<usize>().unwrap();
    match_paths(graph, &program, &starts, true, &mut |_bindings, path| {
        let path = path.expect("a path was asked for");
        let (first, last) = (path.nodes[0], *path.nodes.last().unwrap());
        out.push((
            number(graph.node_id(first)),
            number(graph.node_id(last)),
            path.edges
                .iter()
                .map(|e| number(graph.edge_id(*e)))
                .collect(),
        ));
        Ok(())
    })
    .unwrap();
    let _ = n;
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn selectors_over_walks_agree_with_enumeration(
        n in 2usize..7,
        raw in proptest::collection::vec((0usize..7, 0usize..7), 0..14),
        min in 0u32..2,
        extra in 0u32..3,
    ) {
        let edges: Vec<(usize, usize)> = raw.into_iter().map(|(s, d)| (s % n, d % n)).collect();
        let max = min + extra;
        let g = graph(n, &edges);
        let mut all = walks(n, &edges, min as usize, max as usize);
        all.sort();
        prop_assert_eq!(search(&g, n, min, max, Selector::All), all.clone());
        let mut by_ends: BTreeMap<(usize, usize), Vec<Vec<usize>>> = BTreeMap::new();
        for (s, e, p) in all {
            by_ends.entry((s, e)).or_default().push(p);
        }
        // ALL SHORTEST: exactly the walks of the shortest length per pair.
        let mut expected = Vec::new();
        for ((s, e), paths) in &by_ends {
            let shortest = paths.iter().map(Vec::len).min().unwrap();
            expected.extend(paths.iter().filter(|p| p.len() == shortest).map(|p| (*s, *e, p.clone())));
        }
        expected.sort();
        prop_assert_eq!(search(&g, n, min, max, Selector::AllShortest), expected);
        // SHORTEST 2 and ANY SHORTEST: real walks, with the k smallest lengths per pair.
        for (selector, k) in [(Selector::Shortest(2), 2), (Selector::AnyShortest, 1)] {
            let found = search(&g, n, min, max, selector);
            let mut lengths: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
            for (s, e, p) in &found {
                prop_assert!(by_ends[&(*s, *e)].contains(p));
                lengths.entry((*s, *e)).or_default().push(p.len());
            }
            for ((s, e), paths) in &by_ends {
                let mut want: Vec<usize> = paths.iter().map(Vec::len).collect();
                want.sort();
                want.truncate(k);
                let mut got = lengths.remove(&(*s, *e)).unwrap_or_default();
                got.sort();
                prop_assert_eq!(got, want, "pair {:?}", (s, e));
            }
        }
    }
}
