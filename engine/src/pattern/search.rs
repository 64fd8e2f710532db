//! Running a [`PathProgram`] on the topology index from start nodes.
//!
//! Every path (selector `ALL`), and every path under a restrictive mode, is enumerated
//! depth first. A selector over walks (`ANY SHORTEST`, `ALL SHORTEST`, `SHORTEST k`,
//! `ANY [k]`) searches breadth first over (program position, node, repetition counters):
//! a state is expanded once (`k` times for `k` paths), so unbounded quantifiers end on
//! any graph. Paths are kept as parent links in an arena (a trace) and only turned into
//! rows when emitted.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::pattern::endpoints::EndpointPositions;
use crate::pattern::program::{
    EdgeRef, EdgeTest, Element, Instr, MAX_REPEATS, NodeRef, NodeTest, PathMode, PathProgram,
    Selector,
};
use crate::topology::{Direction, IdIndex, Side, Topology};

/// Paths longer than this are refused rather than risking the stack of a depth-first
/// search.
pub const MAX_PATH_LENGTH: u32 = 10_000;

/// A node table as a pattern sees it.
#[derive(Debug, Clone)]
pub struct NodeTable {
    pub name: String,
    pub ids: Arc<IdIndex>,
}

/// An edge table as a pattern sees it: its topology and where its endpoints are.
#[derive(Debug, Clone)]
pub struct EdgeTable {
    pub name: String,
    pub topology: Arc<Topology>,
    pub endpoints: Arc<EndpointPositions>,
    /// Indexes of its `src` and `dst` node tables.
    pub src: u16,
    pub dst: u16,
}

/// The tables of one snapshot a pattern refers to by index.
#[derive(Debug, Clone, Default)]
pub struct PatternGraph {
    pub nodes: Vec<NodeTable>,
    pub edges: Vec<EdgeTable>,
}

impl PatternGraph {
    pub fn node_id(&self, node: NodeRef) -> &str {
        self.nodes[node.table as usize].ids.id(node.position)
    }

    pub fn edge_id(&self, edge: EdgeRef) -> &str {
        self.edges[edge.table as usize].topology.edge_id(edge.row)
    }

    /// The node with `id` in node table `table`.
    pub fn node(&self, table: u16, id: &str) -> Option<NodeRef> {
        let position = self.nodes.get(table as usize)?.ids.position(id)?;
        Some(NodeRef { table, position })
    }

    /// Every node of `tables` (all node tables when empty).
    pub fn all_nodes(&self, tables: &[u16]) -> Vec<NodeRef> {
        let tables: Vec<u16> = if tables.is_empty() {
            (0..self.nodes.len() as u16).collect()
        } else {
            tables.to_vec()
        };
        tables
            .into_iter()
            .flat_map(|table| {
                (0..self.nodes[table as usize].ids.len() as u32)
                    .map(move |position| NodeRef { table, position })
            })
            .collect()
    }

    /// Calls `f(edge, neighbor)` for every edge `test` admits at `node`.
    #[inline]
    fn for_each_step(&self, node: NodeRef, test: &EdgeTest, mut f: impl FnMut(EdgeRef, NodeRef)) {
        for &t in &test.tables {
            let table = &self.edges[t as usize];
            let mut visit = |ordinal: u32, dir: Direction, to_table: u16| {
                table.topology.for_each_neighbor(ordinal, dir, |m, row| {
                    let edge = EdgeRef { table: t, row };
                    if test
                        .allowed
                        .as_ref()
                        .is_some_and(|a| !a.contains(t, table.topology.edge_id(row)))
                    {
                        return;
                    }
                    if let Some(position) = table.endpoints.position(m) {
                        f(
                            edge,
                            NodeRef {
                                table: to_table,
                                position,
                            },
                        );
                    }
                });
            };
            if table.src == table.dst {
                if node.table == table.src
                    && let Some(o) = table.endpoints.ordinal(Side::Src, node.position)
                {
                    visit(o, test.direction, table.src);
                }
                continue;
            }
            if matches!(test.direction, Direction::Out | Direction::Both)
                && node.table == table.src
                && let Some(o) = table.endpoints.ordinal(Side::Src, node.position)
            {
                visit(o, Direction::Out, table.dst);
            }
            if matches!(test.direction, Direction::In | Direction::Both)
                && node.table == table.dst
                && let Some(o) = table.endpoints.ordinal(Side::Dst, node.position)
            {
                visit(o, Direction::In, table.src);
            }
        }
    }
}

/// One match: the variables' elements (by slot) and, when asked for, the whole path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRow {
    pub bindings: Vec<Option<Element>>,
    pub path: Option<PathElements>,
}

/// A path: its nodes, and the edges between them (one fewer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathElements {
    pub nodes: Vec<NodeRef>,
    pub edges: Vec<EdgeRef>,
}

const NO_ENTRY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
enum Step {
    Start(NodeRef),
    Edge(EdgeRef, NodeRef, Option<u16>),
    Bind(u16, NodeRef),
    /// Where the paths of one search state meet (`ALL SHORTEST`): its alternatives are
    /// the other paths of the same length to that state.
    Anchor,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    parent: u32,
    step: Step,
    /// Another entry for the same search state reached by a path of the same length
    /// (`ALL SHORTEST`).
    alternative: u32,
}

/// The search's paths as parent links.
#[derive(Debug, Default)]
struct Trace {
    entries: Vec<Entry>,
}

impl Trace {
    fn push(&mut self, parent: u32, step: Step) -> u32 {
        self.entries.push(Entry {
            parent,
            step,
            alternative: NO_ENTRY,
        });
        (self.entries.len() - 1) as u32
    }

    fn steps(&self, mut at: u32) -> impl Iterator<Item = &Step> {
        std::iter::from_fn(move || {
            if at == NO_ENTRY {
                return None;
            }
            let e = &self.entries[at as usize];
            at = e.parent;
            Some(&e.step)
        })
    }

    fn binding(&self, at: u32, slot: u16) -> Option<Element> {
        self.steps(at).find_map(|s| match *s {
            Step::Bind(s2, n) if s2 == slot => Some(Element::Node(n)),
            Step::Edge(e, _, Some(s2)) if s2 == slot => Some(Element::Edge(e)),
            _ => None,
        })
    }

    fn has_node(&self, at: u32, node: NodeRef) -> bool {
        self.steps(at).any(|s| match *s {
            Step::Start(n) | Step::Edge(_, n, _) => n == node,
            Step::Bind(..) | Step::Anchor => false,
        })
    }

    fn has_edge(&self, at: u32, edge: EdgeRef) -> bool {
        self.steps(at)
            .any(|s| matches!(*s, Step::Edge(e, _, _) if e == edge))
    }

    /// The row of the path ending at `at`; with `alternatives`, one per path the
    /// alternative links make of it.
    fn rows(
        &self,
        at: u32,
        slots: usize,
        want_path: bool,
        alternatives: bool,
        out: &mut Vec<PathRow>,
    ) {
        if !alternatives {
            out.push(self.row(self.steps(at).copied().collect(), slots, want_path));
            return;
        }
        let mut suffix = Vec::new();
        self.expand(at, &mut suffix, &mut |steps| {
            out.push(self.row(steps.iter().rev().copied().collect(), slots, want_path))
        });
    }

    /// Every path through the alternatives of `at` and its ancestors; `suffix` holds the
    /// steps after `at`, the last first, and each path is emitted start first.
    fn expand(&self, at: u32, suffix: &mut Vec<Step>, emit: &mut dyn FnMut(&[Step])) {
        if at == NO_ENTRY {
            let mut steps: Vec<Step> = suffix.clone();
            steps.reverse();
            emit(&steps);
            return;
        }
        let mut alt = at;
        while alt != NO_ENTRY {
            let e = self.entries[alt as usize];
            suffix.push(e.step);
            self.expand(e.parent, suffix, emit);
            suffix.pop();
            alt = e.alternative;
        }
    }

    /// A row from steps listed end first.
    fn row(&self, steps_end_first: Vec<Step>, slots: usize, want_path: bool) -> PathRow {
        let mut bindings = vec![None; slots];
        let mut path = PathElements::default();
        for step in steps_end_first.iter().rev() {
            match *step {
                Step::Start(n) => path.nodes.push(n),
                Step::Edge(e, n, slot) => {
                    path.edges.push(e);
                    path.nodes.push(n);
                    if let Some(s) = slot {
                        bindings[s as usize] = Some(Element::Edge(e));
                    }
                }
                Step::Bind(s, n) => bindings[s as usize] = Some(Element::Node(n)),
                Step::Anchor => {}
            }
        }
        PathRow {
            bindings,
            path: want_path.then_some(path),
        }
    }
}

type Counters = [u32; MAX_REPEATS];

#[derive(Debug, Clone, Copy)]
struct State {
    pc: u32,
    node: NodeRef,
    counters: Counters,
    entry: u32,
    length: u32,
}

/// Where matches go, one at a time: the variables' elements by slot, and the path when
/// one was asked for. Borrowed, so a row costs no allocation on the hot paths.
pub type RowSink<'a> = dyn FnMut(&[Option<Element>], Option<&PathElements>) -> Result<()> + 'a;

/// Runs `program` from each of `starts`, handing every match to `emit`.
pub fn match_paths(
    graph: &PatternGraph,
    program: &PathProgram,
    starts: &[NodeRef],
    want_path: bool,
    emit: &mut RowSink<'_>,
) -> Result<()> {
    let search = Search {
        graph,
        program,
        want_path,
    };
    let reach = reach_shape(graph, program);
    for &start in starts {
        if let Some(reach) = &reach
            && search.reach(start, reach, emit)?
        {
            continue;
        }
        let rows = match (program.selector, program.mode) {
            (Selector::All, _) => search.all(start)?.rows,
            (_, PathMode::Walk) => search.breadth_first(start)?.rows,
            _ => search.select(search.all(start)?).rows,
        };
        for row in &rows {
            emit(&row.bindings, row.path.as_ref())?;
        }
    }
    Ok(())
}

/// `ANY SHORTEST (a)-[:e]->{min,max}(b)` over one edge type between nodes of one type,
/// with no edge filter or variable: what the traversal functions answer, answered the
/// same way (a bitmap BFS, or a bidirectional BFS to a few given ends).
struct Reach {
    start: u16,
    edge: u16,
    end: u16,
    min: u32,
    max: Option<u32>,
}

fn reach_shape(graph: &PatternGraph, program: &PathProgram) -> Option<Reach> {
    let [
        Instr::Node(start),
        Instr::Enter(0),
        Instr::Loop { repeat: 0, exit: 5 },
        Instr::Edge(edge),
        Instr::Next { repeat: 0, head: 2 },
        Instr::Node(end),
        Instr::Accept,
    ] = program.instrs[..]
    else {
        return None;
    };
    let test = &program.edge_tests[edge as usize];
    let repeat = program.repeats[0];
    let (start_slot, end_slot) = (
        program.node_tests[start as usize].slot,
        program.node_tests[end as usize].slot,
    );
    let one_table = match test.tables[..] {
        [t] => graph.edges[t as usize].src == graph.edges[t as usize].dst,
        _ => false,
    };
    (matches!(program.selector, Selector::AnyShortest | Selector::Any(1))
        && program.mode == PathMode::Walk
        && repeat.min <= 1
        && test.allowed.is_none()
        && test.slot.is_none()
        && one_table
        && (start_slot.is_none() || start_slot != end_slot))
        .then_some(Reach {
            start,
            edge,
            end,
            min: repeat.min,
            max: repeat.max,
        })
}

/// Ends given this few are reached by a bidirectional search each.
const FEW_ENDS: usize = 16;

struct Search<'g> {
    graph: &'g PatternGraph,
    program: &'g PathProgram,
    want_path: bool,
}

/// Rows of one start, and the end node and length of each.
struct Found {
    rows: Vec<PathRow>,
    ends: Vec<(NodeRef, u32)>,
}

impl Search<'_> {
    /// Emits the rows of [`Reach`] from `start`; `false` (having emitted nothing) where
    /// the general search must answer: a path wanted to many ends, or a given end that
    /// is the start.
    fn reach(&self, start: NodeRef, reach: &Reach, emit: &mut RowSink<'_>) -> Result<bool> {
        let program = self.program;
        let (start_test, end_test) = (
            &program.node_tests[reach.start as usize],
            &program.node_tests[reach.end as usize],
        );
        let test = &program.edge_tests[reach.edge as usize];
        let table = &self.graph.edges[test.tables[0] as usize];
        if !start_test.admits(start) {
            return Ok(true);
        }
        let few_ends = end_test
            .allowed
            .as_ref()
            .filter(|a| a.len() <= FEW_ENDS)
            .map(|a| {
                let mut ends: Vec<NodeRef> = a.iter().collect();
                ends.sort_unstable();
                ends
            });
        match &few_ends {
            // A cycle back to the start: the general search finds it.
            Some(ends) if reach.min > 0 && ends.contains(&start) => return Ok(false),
            None if self.want_path => return Ok(false),
            _ => {}
        }
        let mut bindings = vec![None; program.slots];
        if let Some(s) = start_test.slot {
            bindings[s as usize] = Some(Element::Node(start));
        }
        let end_slot = end_test.slot.map(usize::from);
        let mut emit_end = |end: NodeRef, path: Option<&PathElements>| {
            if let Some(s) = end_slot {
                bindings[s] = Some(Element::Node(end));
            }
            emit(&bindings, path)
        };
        if reach.min == 0 && end_test.admits(start) {
            let path = PathElements {
                nodes: vec![start],
                edges: Vec::new(),
            };
            emit_end(start, self.want_path.then_some(&path))?;
        }
        let origin = if start.table == table.src {
            table.endpoints.ordinal(Side::Src, start.position)
        } else {
            None
        };
        let Some(origin) = origin else {
            return Ok(true);
        };
        let node = |ordinal: u32| {
            table.endpoints.position(ordinal).map(|position| NodeRef {
                table: table.src,
                position,
            })
        };
        if let Some(ends) = few_ends {
            for end in ends {
                if end == start {
                    continue;
                }
                let Some(target) = (end.table == table.src)
                    .then(|| table.endpoints.ordinal(Side::Src, end.position))
                    .flatten()
                else {
                    continue;
                };
                let Some(steps) =
                    table
                        .topology
                        .shortest_path(origin, target, reach.max, test.direction)
                else {
                    continue;
                };
                if steps.len() - 1 < reach.min as usize {
                    continue;
                }
                let path = self.want_path.then(|| PathElements {
                    nodes: steps.iter().filter_map(|s| node(s.node)).collect(),
                    edges: steps
                        .iter()
                        .filter_map(|s| s.edge)
                        .map(|row| EdgeRef {
                            table: test.tables[0],
                            row,
                        })
                        .collect(),
                });
                emit_end(end, path.as_ref())?;
            }
            return Ok(true);
        }
        // Breadth first on a bitmap; a way back to the start is a cycle through it.
        let topology = &table.topology;
        let mut visited = vec![0u64; topology.node_count().div_ceil(64)];
        let mut mark = |n: u32| -> bool {
            let (w, b) = ((n / 64) as usize, n % 64);
            let fresh = visited[w] & (1 << b) == 0;
            visited[w] |= 1 << b;
            fresh
        };
        mark(origin);
        let mut returns = false;
        let mut frontier = vec![origin];
        let mut next = Vec::new();
        let mut depth = 0u32;
        let max = reach.max.unwrap_or(u32::MAX);
        while !frontier.is_empty() && depth < max {
            depth += 1;
            for &n in &frontier {
                topology.for_each_neighbor(n, test.direction, |m, _| {
                    if m == origin {
                        returns = true;
                    }
                    if mark(m) {
                        next.push(m);
                    }
                });
            }
            for &m in &next {
                if let Some(end) = node(m)
                    && end_test.admits(end)
                {
                    emit_end(end, None)?;
                }
            }
            std::mem::swap(&mut frontier, &mut next);
            next.clear();
        }
        if returns && reach.min == 1 && end_test.admits(start) {
            emit_end(start, None)?;
        }
        Ok(true)
    }

    /// Where a repetition's bookkeeping at `state` leads, without moving: a counter set
    /// to zero (`Enter`), out of the loop and/or into its body (`Loop`), or back to the
    /// loop head one count up (`Next`).
    fn counter_steps(&self, state: &State) -> [Option<State>; 2] {
        let program = self.program;
        match program.instrs[state.pc as usize] {
            Instr::Enter(r) => {
                let mut counters = state.counters;
                counters[r as usize] = 0;
                [
                    Some(State {
                        pc: state.pc + 1,
                        counters,
                        ..*state
                    }),
                    None,
                ]
            }
            Instr::Loop { repeat, exit } => {
                let count = state.counters[repeat as usize];
                let r = program.repeats[repeat as usize];
                [
                    (count >= r.min).then_some(State { pc: exit, ..*state }),
                    r.max.is_none_or(|m| count < m).then_some(State {
                        pc: state.pc + 1,
                        ..*state
                    }),
                ]
            }
            Instr::Next { repeat, head } => {
                let mut counters = state.counters;
                counters[repeat as usize] =
                    program.advance(repeat as usize, counters[repeat as usize]);
                [
                    Some(State {
                        pc: head,
                        counters,
                        ..*state
                    }),
                    None,
                ]
            }
            _ => [None, None],
        }
    }

    /// Passes `test` at `state`: the entry after binding its variable, `None` if it fails.
    fn node_test(&self, trace: &mut Trace, test: &NodeTest, state: &State) -> Option<u32> {
        if !test.admits(state.node) {
            return None;
        }
        let Some(slot) = test.slot else {
            return Some(state.entry);
        };
        match trace.binding(state.entry, slot) {
            Some(bound) => (bound == Element::Node(state.node)).then_some(state.entry),
            None => Some(trace.push(state.entry, Step::Bind(slot, state.node))),
        }
    }

    /// The mode lets the path at `state` go on along `edge` to `to`.
    fn mode_allows(
        &self,
        trace: &Trace,
        state: &State,
        start: NodeRef,
        edge: EdgeRef,
        to: NodeRef,
    ) -> bool {
        match self.program.mode {
            PathMode::Walk => true,
            PathMode::Trail => !trace.has_edge(state.entry, edge),
            PathMode::Acyclic => !trace.has_node(state.entry, to),
            PathMode::Simple => {
                // Once back at the start the path is closed.
                !(state.length > 0 && state.node == start)
                    && (to == start || !trace.has_node(state.entry, to))
            }
        }
    }

    /// The edges `test` lets the path at `state` take (its mode and its edge variable
    /// agree), and the node each leads to.
    fn next_steps(
        &self,
        trace: &Trace,
        test: &EdgeTest,
        state: &State,
        start: NodeRef,
    ) -> Vec<(EdgeRef, NodeRef)> {
        let mut steps = Vec::new();
        self.graph
            .for_each_step(state.node, test, |e, m| steps.push((e, m)));
        steps.retain(|&(edge, to)| {
            self.mode_allows(trace, state, start, edge, to)
                && self.edge_slot(trace, test, state, edge)
        });
        steps
    }

    fn edge_slot(&self, trace: &Trace, test: &EdgeTest, state: &State, edge: EdgeRef) -> bool {
        match test.slot {
            Some(slot) => trace
                .binding(state.entry, slot)
                .is_none_or(|b| b == Element::Edge(edge)),
            None => true,
        }
    }

    /// Every path from `start` (depth first).
    fn all(&self, start: NodeRef) -> Result<Found> {
        let mut trace = Trace::default();
        let entry = trace.push(NO_ENTRY, Step::Start(start));
        let mut found = Found {
            rows: Vec::new(),
            ends: Vec::new(),
        };
        let state = State {
            pc: 0,
            node: start,
            counters: [0; MAX_REPEATS],
            entry,
            length: 0,
        };
        self.depth_first(&mut trace, start, state, &mut found)?;
        Ok(found)
    }

    fn depth_first(
        &self,
        trace: &mut Trace,
        start: NodeRef,
        state: State,
        found: &mut Found,
    ) -> Result<()> {
        let program = self.program;
        let mark = trace.entries.len();
        match program.instrs[state.pc as usize] {
            Instr::Node(t) => {
                if let Some(entry) = self.node_test(trace, &program.node_tests[t as usize], &state)
                {
                    self.depth_first(
                        trace,
                        start,
                        State {
                            pc: state.pc + 1,
                            entry,
                            ..state
                        },
                        found,
                    )?;
                }
            }
            Instr::Edge(t) => {
                if state.length >= MAX_PATH_LENGTH {
                    return Err(Error::LimitExceeded(format!(
                        "a path of the pattern grew past {MAX_PATH_LENGTH} edges"
                    )));
                }
                let test = &program.edge_tests[t as usize];
                for (edge, to) in self.next_steps(trace, test, &state, start) {
                    let entry = trace.push(state.entry, Step::Edge(edge, to, test.slot));
                    let next = State {
                        pc: state.pc + 1,
                        node: to,
                        entry,
                        length: state.length + 1,
                        ..state
                    };
                    self.depth_first(trace, start, next, found)?;
                    trace.entries.truncate(mark);
                }
            }
            Instr::Enter(_) | Instr::Loop { .. } | Instr::Next { .. } => {
                for next in self.counter_steps(&state).into_iter().flatten() {
                    self.depth_first(trace, start, next, found)?;
                }
            }
            Instr::Accept => {
                trace.rows(
                    state.entry,
                    program.slots,
                    self.want_path,
                    false,
                    &mut found.rows,
                );
                found.ends.push((state.node, state.length));
            }
        }
        trace.entries.truncate(mark);
        Ok(())
    }

    /// Applies the selector to every qualifying path of one start.
    fn select(&self, found: Found) -> Found {
        let mut by_end: HashMap<NodeRef, Vec<usize>> = HashMap::new();
        let mut order = Vec::new();
        for (i, (end, _)) in found.ends.iter().enumerate() {
            by_end
                .entry(*end)
                .or_insert_with(|| {
                    order.push(*end);
                    Vec::new()
                })
                .push(i);
        }
        let mut keep = Vec::new();
        for end in order {
            let mut paths = by_end.remove(&end).unwrap_or_default();
            // Stable: among equal lengths the order found.
            paths.sort_by_key(|&i| found.ends[i].1);
            let shortest = found.ends[paths[0]].1;
            let take = match self.program.selector {
                Selector::All => paths.len(),
                Selector::AllShortest => paths
                    .iter()
                    .take_while(|&&i| found.ends[i].1 == shortest)
                    .count(),
                Selector::AnyShortest => 1,
                Selector::Any(k) | Selector::Shortest(k) => {
                    usize::try_from(k).unwrap_or(usize::MAX).min(paths.len())
                }
            };
            keep.extend(paths.into_iter().take(take));
        }
        keep.sort_unstable();
        let mut rows: Vec<Option<PathRow>> = found.rows.into_iter().map(Some).collect();
        Found {
            ends: keep.iter().map(|&i| found.ends[i]).collect(),
            rows: keep.into_iter().filter_map(|i| rows[i].take()).collect(),
        }
    }

    /// A selector over walks: breadth first over (position, node, counters).
    fn breadth_first(&self, start: NodeRef) -> Result<Found> {
        let program = self.program;
        // Visits allowed per state, and paths kept per end node.
        let per_state = match program.selector {
            Selector::Shortest(k) | Selector::Any(k) => u32::try_from(k).unwrap_or(u32::MAX),
            _ => 1,
        };
        let all_shortest = program.selector == Selector::AllShortest;
        let mut trace = Trace::default();
        let entry = trace.push(NO_ENTRY, Step::Start(start));
        // (pc, node, counters) → (level, visits, first entry)
        let mut visited: HashMap<(u32, NodeRef, Counters), (u32, u32, u32)> = HashMap::new();
        // end node → (level of its first path, paths kept)
        let mut ends: HashMap<NodeRef, (u32, u32)> = HashMap::new();
        let mut found = Found {
            rows: Vec::new(),
            ends: Vec::new(),
        };
        let mut frontier = Vec::new();
        let initial = State {
            pc: 0,
            node: start,
            counters: [0; MAX_REPEATS],
            entry,
            length: 0,
        };
        let mut accepted = Vec::new();
        self.closure(
            &mut trace,
            initial,
            &mut visited,
            per_state,
            all_shortest,
            &mut frontier,
            &mut accepted,
        );
        let mut level = 0u32;
        loop {
            for state in accepted.drain(..) {
                let slot = ends.entry(state.node).or_insert((level, 0));
                let keep = match program.selector {
                    Selector::AllShortest => slot.0 == level,
                    _ => slot.1 < per_state,
                };
                if keep {
                    slot.1 += 1;
                    trace.rows(
                        state.entry,
                        program.slots,
                        self.want_path,
                        all_shortest,
                        &mut found.rows,
                    );
                    found.ends.push((state.node, level));
                }
            }
            if frontier.is_empty() {
                break;
            }
            level += 1;
            if level > MAX_PATH_LENGTH {
                return Err(Error::LimitExceeded(format!(
                    "a path of the pattern grew past {MAX_PATH_LENGTH} edges"
                )));
            }
            let current = std::mem::take(&mut frontier);
            for state in current {
                let Instr::Edge(t) = program.instrs[state.pc as usize] else {
                    unreachable!("the frontier holds edge steps");
                };
                let test = &program.edge_tests[t as usize];
                for (edge, to) in self.next_steps(&trace, test, &state, start) {
                    let entry = trace.push(state.entry, Step::Edge(edge, to, test.slot));
                    let next = State {
                        pc: state.pc + 1,
                        node: to,
                        entry,
                        length: level,
                        ..state
                    };
                    self.closure(
                        &mut trace,
                        next,
                        &mut visited,
                        per_state,
                        all_shortest,
                        &mut frontier,
                        &mut accepted,
                    );
                }
            }
        }
        Ok(found)
    }

    /// Follows the steps that do not move (tests, counters) from `state`, collecting the
    /// states about to take an edge (`frontier`, once per visit allowed) and accepted
    /// paths.
    #[allow(clippy::too_many_arguments)]
    fn closure(
        &self,
        trace: &mut Trace,
        state: State,
        visited: &mut HashMap<(u32, NodeRef, Counters), (u32, u32, u32)>,
        per_state: u32,
        all_shortest: bool,
        frontier: &mut Vec<State>,
        accepted: &mut Vec<State>,
    ) {
        let program = self.program;
        match program.instrs[state.pc as usize] {
            Instr::Node(t) => {
                if let Some(entry) = self.node_test(trace, &program.node_tests[t as usize], &state)
                {
                    self.closure(
                        trace,
                        State {
                            pc: state.pc + 1,
                            entry,
                            ..state
                        },
                        visited,
                        per_state,
                        all_shortest,
                        frontier,
                        accepted,
                    );
                }
            }
            Instr::Edge(_) => {
                let key = (state.pc, state.node, state.counters);
                match visited.get_mut(&key) {
                    None => {
                        let entry = if all_shortest {
                            trace.push(state.entry, Step::Anchor)
                        } else {
                            state.entry
                        };
                        visited.insert(key, (state.length, 1, entry));
                        frontier.push(State { entry, ..state });
                    }
                    Some((level, visits, first)) => {
                        if all_shortest {
                            if *level == state.length {
                                // Another path of the same length to the same state.
                                let alternative = trace.push(state.entry, Step::Anchor);
                                let mut at = *first;
                                while trace.entries[at as usize].alternative != NO_ENTRY {
                                    at = trace.entries[at as usize].alternative;
                                }
                                trace.entries[at as usize].alternative = alternative;
                            }
                        } else if *visits < per_state {
                            *visits += 1;
                            frontier.push(state);
                        }
                    }
                }
            }
            Instr::Enter(_) | Instr::Loop { .. } | Instr::Next { .. } => {
                for next in self.counter_steps(&state).into_iter().flatten() {
                    self.closure(
                        trace,
                        next,
                        visited,
                        per_state,
                        all_shortest,
                        frontier,
                        accepted,
                    );
                }
            }
            Instr::Accept => accepted.push(state),
        }
    }
}
