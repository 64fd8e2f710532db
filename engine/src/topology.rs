//! The traversal topology of an edge table: CSR (outgoing) and CSC (incoming) adjacency
//! over dense node ordinals, built from the `id`/`src`/`dst` columns of one pinned table
//! version, and the walks that run on it.
//!
//! Derived state: rebuilt from the table whenever it is not cached, keyed by the table's
//! (path, Lance branch, version), so it can never be stale.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::str::FromStr;

use arrow_array::builder::StringBuilder;
use arrow_array::{Array, RecordBatch, StringArray};

use crate::error::{Error, Result};
use crate::storage::string_column;

/// Which way edges are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `src` → `dst`.
    Out,
    /// `dst` → `src`.
    In,
    /// Either way.
    Both,
}

impl Direction {
    pub fn reverse(self) -> Direction {
        match self {
            Direction::Out => Direction::In,
            Direction::In => Direction::Out,
            Direction::Both => Direction::Both,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Out => "out",
            Direction::In => "in",
            Direction::Both => "both",
        }
    }
}

impl FromStr for Direction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "out" | "outgoing" => Ok(Direction::Out),
            "in" | "incoming" => Ok(Direction::In),
            "both" | "any" => Ok(Direction::Both),
            _ => Err(Error::InvalidArgument(format!(
                "invalid direction '{s}' (expected 'out', 'in' or 'both')"
            ))),
        }
    }
}

/// Which endpoint column a node of an edge table appears in. Nodes of an edge table
/// between two different node types are numbered per side, so a `Person` and a
/// `Company` with the same id text stay two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Src = 0,
    Dst = 1,
}

/// Sorted text ids (optionally with a side) with binary-search lookup; one string buffer,
/// no per-id allocation.
#[derive(Debug)]
pub struct IdIndex {
    ids: StringArray,
    /// Side of each id; empty when every id is on one side.
    sides: Vec<u8>,
    /// Positions into `ids`, sorted by (id, side).
    sorted: Vec<u32>,
}

impl IdIndex {
    fn new(ids: StringArray) -> IdIndex {
        Self::with_sides(ids, Vec::new())
    }

    fn with_sides(ids: StringArray, sides: Vec<u8>) -> IdIndex {
        let mut sorted: Vec<u32> = (0..ids.len() as u32).collect();
        let side = |i: u32| sides.get(i as usize).copied().unwrap_or(0);
        sorted.sort_unstable_by(|a, b| {
            (ids.value(*a as usize), side(*a)).cmp(&(ids.value(*b as usize), side(*b)))
        });
        IdIndex { ids, sides, sorted }
    }

    fn side(&self, position: u32) -> u8 {
        self.sides.get(position as usize).copied().unwrap_or(0)
    }

    /// Position of `id` on `side`.
    fn position_on(&self, id: &str, side: u8) -> Option<u32> {
        self.sorted
            .binary_search_by(|p| (self.ids.value(*p as usize), self.side(*p)).cmp(&(id, side)))
            .ok()
            .map(|i| self.sorted[i])
    }

    /// Builds the index of every id in `batches`' first column (a node table's `id`).
    pub fn from_id_batches(batches: &[RecordBatch]) -> Result<IdIndex> {
        let total: usize = batches.iter().map(|b| b.num_rows()).sum();
        let bytes: usize = batches
            .iter()
            .map(|b| b.column(0).get_buffer_memory_size())
            .sum();
        let mut builder = StringBuilder::with_capacity(total, bytes);
        for b in batches {
            let col = string_column(b, 0)?;
            for i in 0..col.len() {
                builder.append_value(col.value(i));
            }
        }
        Ok(IdIndex::new(builder.finish()))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Position of `id` (on any side), if present.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.position_on(id, 0).or_else(|| self.position_on(id, 1))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.position(id).is_some()
    }

    pub fn id(&self, position: u32) -> &str {
        self.ids.value(position as usize)
    }

    /// Approximate heap size in bytes.
    pub fn memory_size(&self) -> usize {
        self.ids.get_buffer_memory_size() + self.sorted.len() * 4 + self.sides.len()
    }
}

/// One direction of adjacency in compressed sparse row form.
#[derive(Debug, Default)]
struct Adjacency {
    /// `offsets[n]..offsets[n + 1]` indexes `targets`/`edges` for node ordinal `n`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    /// Edge row of each adjacency entry.
    edges: Vec<u32>,
}

impl Adjacency {
    /// Counting sort of (from, to) pairs by `from`; entries keep input order within a node.
    fn build(nodes: usize, from: &[u32], to: &[u32]) -> Adjacency {
        let mut offsets = vec![0u32; nodes + 1];
        for &f in from {
            offsets[f as usize + 1] += 1;
        }
        for i in 0..nodes {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut targets = vec![0u32; from.len()];
        let mut edges = vec![0u32; from.len()];
        for (row, (&f, &t)) in from.iter().zip(to).enumerate() {
            let slot = cursor[f as usize] as usize;
            targets[slot] = t;
            edges[slot] = row as u32;
            cursor[f as usize] += 1;
        }
        Adjacency {
            offsets,
            targets,
            edges,
        }
    }

    #[inline]
    fn range(&self, node: u32) -> std::ops::Range<usize> {
        self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize
    }
}

/// CSR + CSC of one edge table version.
#[derive(Debug)]
pub struct Topology {
    nodes: IdIndex,
    out: Adjacency,
    inc: Adjacency,
    edge_ids: StringArray,
}

/// One step of a path: the node reached and the edge used (none for the start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    pub node: u32,
    pub edge: Option<u32>,
}

impl Topology {
    /// Builds the topology from batches with columns (`id`, `src`, `dst`). With
    /// `separate_sides` (an edge type between two different node types) a `src` id and a
    /// `dst` id with the same text are different nodes.
    pub fn from_batches(batches: &[RecordBatch], separate_sides: bool) -> Result<Topology> {
        let edges: usize = batches.iter().map(|b| b.num_rows()).sum();
        if edges >= u32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "edge table has {edges} rows; the topology index supports up to {}",
                u32::MAX - 1
            )));
        }
        let mut ordinal: HashMap<(&str, u8), u32, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(edges.min(1 << 24) / 2 + 16, Default::default());
        let mut node_ids = StringBuilder::new();
        let mut sides: Vec<u8> = Vec::new();
        let mut src = Vec::with_capacity(edges);
        let mut dst = Vec::with_capacity(edges);
        let mut edge_ids = StringBuilder::with_capacity(edges, edges * 26);
        for b in batches {
            let (ids, s, d) = (
                string_column(b, 0)?,
                string_column(b, 1)?,
                string_column(b, 2)?,
            );
            for i in 0..b.num_rows() {
                edge_ids.append_value(ids.value(i));
                for (value, side, out) in [(s.value(i), 0u8, &mut src), (d.value(i), 1u8, &mut dst)]
                {
                    let side = if separate_sides { side } else { 0 };
                    let next = ordinal.len() as u32;
                    let o = *ordinal.entry((value, side)).or_insert_with(|| {
                        node_ids.append_value(value);
                        if separate_sides {
                            sides.push(side);
                        }
                        next
                    });
                    out.push(o);
                }
            }
        }
        let n = ordinal.len();
        drop(ordinal);
        Ok(Topology {
            nodes: IdIndex::with_sides(node_ids.finish(), sides),
            out: Adjacency::build(n, &src, &dst),
            inc: Adjacency::build(n, &dst, &src),
            edge_ids: edge_ids.finish(),
        })
    }

    /// Number of nodes with at least one edge.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edge_ids.len()
    }

    /// The ordinal of node `id`; on an edge type between two node types, the `src`-side
    /// node first.
    pub fn ordinal(&self, id: &str) -> Option<u32> {
        self.nodes.position(id)
    }

    /// The ordinal of node `id` as it appears on `side`.
    pub fn ordinal_on(&self, id: &str, side: Side) -> Option<u32> {
        if self.nodes.sides.is_empty() {
            self.nodes.position_on(id, 0)
        } else {
            self.nodes.position_on(id, side as u8)
        }
    }

    pub fn node_id(&self, ordinal: u32) -> &str {
        self.nodes.id(ordinal)
    }

    /// The endpoint column node `ordinal` was found in (`Src` when sides are not kept
    /// apart).
    pub fn side_of(&self, ordinal: u32) -> Side {
        if self.nodes.side(ordinal) == 0 {
            Side::Src
        } else {
            Side::Dst
        }
    }

    pub fn edge_id(&self, row: u32) -> &str {
        self.edge_ids.value(row as usize)
    }

    /// Approximate heap size in bytes (for the cache's memory bound).
    pub fn memory_size(&self) -> usize {
        let adj = |a: &Adjacency| (a.offsets.len() + a.targets.len() + a.edges.len()) * 4;
        self.nodes.memory_size()
            + adj(&self.out)
            + adj(&self.inc)
            + self.edge_ids.get_buffer_memory_size()
    }

    /// Calls `f(neighbor, edge_row)` for every edge at `node` in `dir`. With `Both`, a
    /// self-loop is reported once.
    #[inline]
    pub fn for_each_neighbor(&self, node: u32, dir: Direction, mut f: impl FnMut(u32, u32)) {
        if matches!(dir, Direction::Out | Direction::Both) {
            for i in self.out.range(node) {
                f(self.out.targets[i], self.out.edges[i]);
            }
        }
        if matches!(dir, Direction::In | Direction::Both) {
            for i in self.inc.range(node) {
                let t = self.inc.targets[i];
                if dir == Direction::Both && t == node {
                    continue;
                }
                f(t, self.inc.edges[i]);
            }
        }
    }

    /// Every node whose shortest distance from `start` is in `min_depth..=max_depth`, with
    /// that distance, in BFS order.
    pub fn traverse(
        &self,
        start: u32,
        min_depth: u32,
        max_depth: u32,
        dir: Direction,
    ) -> Vec<(u32, u32)> {
        let mut visited = vec![0u64; self.node_count().div_ceil(64)];
        let mark = |v: &mut Vec<u64>, n: u32| -> bool {
            let (w, b) = ((n / 64) as usize, n % 64);
            let fresh = v[w] & (1 << b) == 0;
            v[w] |= 1 << b;
            fresh
        };
        mark(&mut visited, start);
        let mut out = Vec::new();
        if min_depth == 0 {
            out.push((start, 0));
        }
        let mut frontier = vec![start];
        let mut next = Vec::new();
        let mut depth = 0;
        while !frontier.is_empty() && depth < max_depth {
            depth += 1;
            for &n in &frontier {
                self.for_each_neighbor(n, dir, |m, _| {
                    if mark(&mut visited, m) {
                        next.push(m);
                    }
                });
            }
            if depth >= min_depth {
                out.extend(next.iter().map(|&m| (m, depth)));
            }
            std::mem::swap(&mut frontier, &mut next);
            next.clear();
        }
        out
    }

    /// A shortest path from `from` to `to` (bidirectional BFS), at most `max_depth` edges.
    /// Step 0 is `from`; `None` when unreachable within the bound.
    pub fn shortest_path(
        &self,
        from: u32,
        to: u32,
        max_depth: Option<u32>,
        dir: Direction,
    ) -> Option<Vec<PathStep>> {
        if from == to {
            return Some(vec![PathStep {
                node: from,
                edge: None,
            }]);
        }
        let limit = max_depth.unwrap_or(u32::MAX);
        // node → (parent, edge, distance) for each side.
        let mut fwd: HashMap<u32, (u32, u32, u32)> = HashMap::from([(from, (from, u32::MAX, 0))]);
        let mut bwd: HashMap<u32, (u32, u32, u32)> = HashMap::from([(to, (to, u32::MAX, 0))]);
        let mut fwd_frontier = vec![from];
        let mut bwd_frontier = vec![to];
        let (mut fwd_depth, mut bwd_depth) = (0u32, 0u32);
        while !fwd_frontier.is_empty() && !bwd_frontier.is_empty() && fwd_depth + bwd_depth < limit
        {
            let forward = fwd_frontier.len() <= bwd_frontier.len();
            let (frontier, seen, other, side_dir) = if forward {
                (&mut fwd_frontier, &mut fwd, &bwd, dir)
            } else {
                (&mut bwd_frontier, &mut bwd, &fwd, dir.reverse())
            };
            let depth = if forward {
                fwd_depth += 1;
                fwd_depth
            } else {
                bwd_depth += 1;
                bwd_depth
            };
            let mut next = Vec::new();
            // The best meeting on this level: (total length, meeting node).
            let mut best: Option<(u32, u32)> = None;
            for &n in frontier.iter() {
                self.for_each_neighbor(n, side_dir, |m, e| {
                    if let std::collections::hash_map::Entry::Vacant(slot) = seen.entry(m) {
                        slot.insert((n, e, depth));
                        next.push(m);
                    }
                    if let Some(&(_, _, d)) = other.get(&m) {
                        let own = seen[&m].2;
                        let total = own + d;
                        if best.is_none_or(|(t, node)| (total, m).cmp(&(t, node)) == Ordering::Less)
                        {
                            best = Some((total, m));
                        }
                    }
                });
            }
            if let Some((total, meet)) = best {
                if total > limit {
                    return None;
                }
                return Some(self.join_path(meet, &fwd, &bwd));
            }
            *frontier = next;
        }
        None
    }

    fn join_path(
        &self,
        meet: u32,
        fwd: &HashMap<u32, (u32, u32, u32)>,
        bwd: &HashMap<u32, (u32, u32, u32)>,
    ) -> Vec<PathStep> {
        // Walk back to the start on the forward side.
        let mut head = Vec::new();
        let mut n = meet;
        while let Some(&(parent, edge, d)) = fwd.get(&n) {
            if d == 0 {
                break;
            }
            head.push(PathStep {
                node: n,
                edge: Some(edge),
            });
            n = parent;
        }
        head.push(PathStep {
            node: n,
            edge: None,
        });
        head.reverse();
        // Walk forward to the target on the backward side.
        let mut n = meet;
        while let Some(&(parent, edge, d)) = bwd.get(&n) {
            if d == 0 {
                break;
            }
            head.push(PathStep {
                node: parent,
                edge: Some(edge),
            });
            n = parent;
        }
        head
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn topo(edges: &[(&str, &str)]) -> Topology {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("src", DataType::Utf8, false),
            Field::new("dst", DataType::Utf8, false),
        ]));
        let ids: Vec<String> = (0..edges.len()).map(|i| format!("e{i}")).collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(StringArray::from(
                    edges.iter().map(|e| e.0).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    edges.iter().map(|e| e.1).collect::<Vec<_>>(),
                )),
            ],
        )
        .unwrap();
        Topology::from_batches(&[batch], false).unwrap()
    }

    fn names(t: &Topology, v: &[(u32, u32)]) -> Vec<(String, u32)> {
        let mut out: Vec<_> = v
            .iter()
            .map(|(n, d)| (t.node_id(*n).to_string(), *d))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn traverse_reports_shortest_depths_once() {
        let t = topo(&[
            ("a", "b"),
            ("b", "c"),
            ("a", "c"),
            ("c", "a"),
            ("c", "c"),
            ("d", "e"),
        ]);
        let a = t.ordinal("a").unwrap();
        assert_eq!(
            names(&t, &t.traverse(a, 1, 5, Direction::Out)),
            [("b".into(), 1), ("c".into(), 1)]
        );
        assert_eq!(
            names(&t, &t.traverse(a, 0, 0, Direction::Out)),
            [("a".into(), 0)]
        );
        let e = t.ordinal("e").unwrap();
        assert_eq!(
            names(&t, &t.traverse(e, 1, 3, Direction::In)),
            [("d".into(), 1)]
        );
        assert!(t.traverse(e, 1, 3, Direction::Out).is_empty());
    }

    #[test]
    fn shortest_paths_are_shortest_and_respect_bounds() {
        let t = topo(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "d"),
            ("a", "x"),
            ("x", "d"),
            ("d", "e"),
        ]);
        let (a, e) = (t.ordinal("a").unwrap(), t.ordinal("e").unwrap());
        let p = t.shortest_path(a, e, None, Direction::Out).unwrap();
        let nodes: Vec<&str> = p.iter().map(|s| t.node_id(s.node)).collect();
        assert_eq!(nodes, ["a", "x", "d", "e"]);
        assert_eq!(p[0].edge, None);
        assert_eq!(t.edge_id(p[1].edge.unwrap()), "e3");
        assert!(t.shortest_path(a, e, Some(2), Direction::Out).is_none());
        assert!(t.shortest_path(e, a, None, Direction::Out).is_none());
        assert_eq!(t.shortest_path(e, a, None, Direction::In).unwrap().len(), 4);
        assert_eq!(
            t.shortest_path(a, a, None, Direction::Out).unwrap().len(),
            1
        );
    }

    #[test]
    fn two_node_types_with_the_same_id_text_stay_apart() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("src", DataType::Utf8, false),
            Field::new("dst", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["e0", "e1"])),
                Arc::new(StringArray::from(vec!["alice", "acme"])),
                Arc::new(StringArray::from(vec!["acme", "x"])),
            ],
        )
        .unwrap();
        let t = Topology::from_batches(&[batch], true).unwrap();
        let alice = t.ordinal_on("alice", Side::Src).unwrap();
        // Person 'acme' (a src) and Company 'acme' (a dst) are different nodes.
        assert_ne!(
            t.ordinal_on("acme", Side::Src),
            t.ordinal_on("acme", Side::Dst)
        );
        assert_eq!(
            names(&t, &t.traverse(alice, 1, 5, Direction::Out)),
            [("acme".into(), 1)]
        );
    }

    #[test]
    fn directions_parse_strictly() {
        assert_eq!("OUT".parse::<Direction>().unwrap(), Direction::Out);
        assert!("sideways".parse::<Direction>().is_err());
    }
}
