//! One path pattern as its match node carries it: labels resolved to tables, variables
//! to output slots, element filters to the inputs (or id lists) that evaluate them.

use omnigraph_engine::Direction;
use omnigraph_engine::pattern::{PathMode, Selector};

/// Where an element's filter is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Candidates {
    /// Any element of the tables.
    Any,
    /// The ids (and, for several tables, labels) the match node's input `n` returns.
    Input(usize),
    /// The ids the match node's id list `n` evaluates to (`x.id = $1`, `x.id IN (...)`).
    Ids(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpecFactor {
    Node {
        slot: Option<u16>,
        tables: Vec<String>,
        candidates: Candidates,
    },
    Edge {
        slot: Option<u16>,
        tables: Vec<String>,
        direction: Direction,
        candidates: Candidates,
    },
    /// The factors up to the matching `EndRepeat` are repeated.
    BeginRepeat {
        min: u32,
        max: Option<u32>,
    },
    EndRepeat,
}

/// What a slot binds, and so which columns it has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotSpec {
    pub variable: String,
    /// Tables the element may be in; with more than one, the slot has a label column.
    pub tables: Vec<String>,
    /// Whether the match node outputs the element: the query reads the variable, or
    /// another path pattern shares it. Otherwise it is only bound during the search.
    pub output: bool,
}

impl SlotSpec {
    pub fn labelled(&self) -> bool {
        self.tables.len() > 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathSpec {
    pub factors: Vec<SpecFactor>,
    pub slots: Vec<SlotSpec>,
    /// The path variable's name, when the pattern has one.
    pub path_variable: Option<String>,
    pub selector: Selector,
    pub mode: PathMode,
    /// Pairs of slots that bind different elements of one table (`WHERE x.id <> y.id`),
    /// checked as matches are found rather than by a filter over their ids.
    pub distinct: Vec<(u16, u16)>,
}

impl PartialOrd for PathSpec {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self == other).then_some(std::cmp::Ordering::Equal)
    }
}

/// Column names of a match node's output: a slot's id and label, a path's parts. The
/// `#` keeps them apart from any name a query can write unquoted.
pub fn id_column(variable: &str) -> String {
    format!("{variable}#id")
}

pub fn label_column(variable: &str) -> String {
    format!("{variable}#label")
}

pub fn path_length_column(variable: &str) -> String {
    format!("{variable}#length")
}

pub fn path_vertices_column(variable: &str) -> String {
    format!("{variable}#vertices")
}

pub fn path_edges_column(variable: &str) -> String {
    format!("{variable}#edges")
}
