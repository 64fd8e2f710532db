//! A path pattern compiled for matching: a small program of node tests, edge steps and
//! counted repetitions that a search runs from each start node.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::topology::Direction;

/// At most this many quantifiers in one path pattern (their counters are part of every
/// search state).
pub const MAX_REPEATS: usize = 8;

/// A node: its node table (an index into the pattern graph's node tables) and its
/// position in that table's id index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeRef {
    pub table: u16,
    pub position: u32,
}

/// An edge: its edge table and its row in that table's topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EdgeRef {
    pub table: u16,
    pub row: u32,
}

/// What a variable is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    Node(NodeRef),
    Edge(EdgeRef),
}

/// Which paths qualify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathMode {
    Walk,
    /// No repeated edge.
    Trail,
    /// No repeated node.
    Acyclic,
    /// No repeated node, except that the last may be the first.
    Simple,
}

/// Which qualifying paths are kept, per (first node, last node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    All,
    Any(u64),
    AnyShortest,
    AllShortest,
    Shortest(u64),
}

/// Nodes an element filter lets through: a bit per position of each node table, so a
/// filter true for most of a big table costs a bit per node, and a test one lookup.
#[derive(Debug, Default, Clone)]
pub struct NodeSet {
    /// (node table, bits by position).
    tables: Vec<(u16, Vec<u64>)>,
    len: usize,
}

impl NodeSet {
    pub fn insert(&mut self, node: NodeRef) {
        let bits = match self.tables.iter().position(|(t, _)| *t == node.table) {
            Some(i) => &mut self.tables[i].1,
            None => {
                self.tables.push((node.table, Vec::new()));
                &mut self.tables.last_mut().expect("pushed").1
            }
        };
        let (word, bit) = (node.position as usize / 64, node.position % 64);
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        if bits[word] & (1 << bit) == 0 {
            bits[word] |= 1 << bit;
            self.len += 1;
        }
    }

    #[inline]
    pub fn contains(&self, node: &NodeRef) -> bool {
        self.tables
            .iter()
            .find(|(t, _)| *t == node.table)
            .and_then(|(_, bits)| bits.get(node.position as usize / 64))
            .is_some_and(|word| word & (1 << (node.position % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The nodes, by table in insertion order and by position within a table.
    pub fn iter(&self) -> impl Iterator<Item = NodeRef> + '_ {
        self.tables.iter().flat_map(|(table, bits)| {
            bits.iter().enumerate().flat_map(move |(w, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    (rest != 0).then(|| {
                        let bit = rest.trailing_zeros();
                        rest &= rest - 1;
                        NodeRef {
                            table: *table,
                            position: (w * 64) as u32 + bit,
                        }
                    })
                })
            })
        })
    }
}

/// Edges an element filter lets through, by edge table and id.
#[derive(Debug, Default)]
pub struct EdgeSet {
    ids: HashMap<u16, HashSet<Box<str>, foldhash::fast::RandomState>>,
}

impl EdgeSet {
    pub fn insert(&mut self, table: u16, id: &str) {
        self.ids.entry(table).or_default().insert(id.into());
    }

    pub fn contains(&self, table: u16, id: &str) -> bool {
        self.ids.get(&table).is_some_and(|ids| ids.contains(id))
    }

    pub fn len(&self) -> usize {
        self.ids.values().map(|s| s.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A node pattern: the node tables it admits (empty: any), the nodes its filter lets
/// through (`None`: no filter), and the variable it binds.
#[derive(Debug, Clone, Default)]
pub struct NodeTest {
    pub slot: Option<u16>,
    pub tables: Vec<u16>,
    pub allowed: Option<Arc<NodeSet>>,
}

impl NodeTest {
    /// Tables and filter only: the variable is checked by the search.
    #[inline]
    pub(crate) fn admits(&self, node: NodeRef) -> bool {
        (self.tables.is_empty() || self.tables.contains(&node.table))
            && self.allowed.as_ref().is_none_or(|a| a.contains(&node))
    }
}

/// An edge pattern: the edge tables it follows, which way, the edges its filter lets
/// through, and the variable it binds.
#[derive(Debug, Clone)]
pub struct EdgeTest {
    pub slot: Option<u16>,
    pub tables: Vec<u16>,
    pub direction: Direction,
    pub allowed: Option<Arc<EdgeSet>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub min: u32,
    pub max: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Instr {
    /// Test the current node (and bind it).
    Node(u16),
    /// Move along an edge.
    Edge(u16),
    /// Start a repetition: its counter to zero.
    Enter(u8),
    /// Leave to `exit` (once the count reaches the minimum) or run the body once more
    /// (below the maximum).
    Loop {
        repeat: u8,
        exit: u32,
    },
    /// One more iteration done: back to the loop head.
    Next {
        repeat: u8,
        head: u32,
    },
    Accept,
}

/// A compiled path pattern.
#[derive(Debug, Clone)]
pub struct PathProgram {
    pub(crate) instrs: Vec<Instr>,
    pub(crate) node_tests: Vec<NodeTest>,
    pub(crate) edge_tests: Vec<EdgeTest>,
    pub(crate) repeats: Vec<Repeat>,
    pub mode: PathMode,
    pub selector: Selector,
    pub slots: usize,
}

impl PathProgram {
    /// The first node pattern: where the search starts.
    pub fn start_test(&self) -> &NodeTest {
        &self.node_tests[0]
    }

    /// Counter after one more iteration: unbounded repetitions count only up to their
    /// minimum, so states past it are one state.
    #[inline]
    pub(crate) fn advance(&self, repeat: usize, count: u32) -> u32 {
        let r = self.repeats[repeat];
        match r.max {
            Some(_) => count + 1,
            None => (count + 1).min(r.min),
        }
    }
}

/// Builds a [`PathProgram`] factor by factor: `node`, `edge`, and repetitions opened and
/// closed around their bodies.
#[derive(Debug, Default)]
pub struct ProgramBuilder {
    instrs: Vec<Instr>,
    node_tests: Vec<NodeTest>,
    edge_tests: Vec<EdgeTest>,
    repeats: Vec<Repeat>,
    /// Open repetitions: (repeat, pc of its loop head).
    open: Vec<(u8, u32)>,
}

impl ProgramBuilder {
    pub fn new() -> Self {
        ProgramBuilder::default()
    }

    pub fn node(&mut self, test: NodeTest) {
        self.node_tests.push(test);
        self.instrs
            .push(Instr::Node((self.node_tests.len() - 1) as u16));
    }

    pub fn edge(&mut self, test: EdgeTest) {
        self.edge_tests.push(test);
        self.instrs
            .push(Instr::Edge((self.edge_tests.len() - 1) as u16));
    }

    pub fn begin_repeat(&mut self, min: u32, max: Option<u32>) -> Result<()> {
        if self.repeats.len() == MAX_REPEATS {
            return Err(Error::InvalidArgument(format!(
                "a path pattern may have at most {MAX_REPEATS} quantifiers"
            )));
        }
        self.repeats.push(Repeat { min, max });
        let repeat = (self.repeats.len() - 1) as u8;
        self.instrs.push(Instr::Enter(repeat));
        self.instrs.push(Instr::Loop { repeat, exit: 0 });
        self.open.push((repeat, (self.instrs.len() - 1) as u32));
        Ok(())
    }

    pub fn end_repeat(&mut self) -> Result<()> {
        let Some((repeat, head)) = self.open.pop() else {
            return Err(Error::InvalidArgument("no quantified path to close".into()));
        };
        if min_edges(&self.instrs[head as usize + 1..], &self.repeats) == 0 {
            return Err(Error::InvalidArgument(
                "a quantified path pattern must contain an edge".into(),
            ));
        }
        self.instrs.push(Instr::Next { repeat, head });
        let exit = self.instrs.len() as u32;
        self.instrs[head as usize] = Instr::Loop { repeat, exit };
        Ok(())
    }

    pub fn finish(
        mut self,
        selector: Selector,
        mode: PathMode,
        slots: usize,
    ) -> Result<PathProgram> {
        if !self.open.is_empty() {
            return Err(Error::InvalidArgument("an unclosed quantified path".into()));
        }
        if !matches!(self.instrs.first(), Some(Instr::Node(_))) {
            return Err(Error::InvalidArgument(
                "a path pattern starts with a node pattern".into(),
            ));
        }
        if selector == Selector::All
            && mode == PathMode::Walk
            && self.repeats.iter().any(|r| r.max.is_none())
        {
            return Err(Error::InvalidArgument(
                "an unbounded quantifier needs a selector (ANY, ANY SHORTEST, ALL SHORTEST, SHORTEST k) or a path mode (TRAIL, ACYCLIC, SIMPLE)".into(),
            ));
        }
        self.instrs.push(Instr::Accept);
        Ok(PathProgram {
            instrs: self.instrs,
            node_tests: self.node_tests,
            edge_tests: self.edge_tests,
            repeats: self.repeats,
            mode,
            selector,
            slots,
        })
    }
}

/// The fewest edges a run of instructions takes (a repetition's body: its minimum
/// count times its body's).
fn min_edges(instrs: &[Instr], repeats: &[Repeat]) -> u64 {
    let mut total = 0u64;
    let mut i = 0;
    while i < instrs.len() {
        match instrs[i] {
            Instr::Edge(_) => total += 1,
            Instr::Loop { repeat, .. } => {
                // The body runs to the matching `Next`.
                let end = instrs[i + 1..]
                    .iter()
                    .position(|x| matches!(x, Instr::Next { repeat: r, .. } if *r == repeat))
                    .map(|p| i + 1 + p)
                    .unwrap_or(instrs.len());
                total += u64::from(repeats[repeat as usize].min)
                    * min_edges(&instrs[i + 1..end], repeats);
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    total
}
