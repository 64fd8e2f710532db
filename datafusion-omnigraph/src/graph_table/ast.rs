//! The parsed form of `GRAPH_TABLE (g MATCH ... COLUMNS (...))`: SQL/PGQ's graph
//! pattern, with the SQL expressions it holds kept as sqlparser expressions.

use datafusion::sql::sqlparser::ast::{Expr, Ident};

/// One `GRAPH_TABLE (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphTable {
    /// The property graph: the database's (or the embedding's) name.
    pub graph: Ident,
    /// `FOR SYSTEM_TIME AS OF <ref>` after the graph name: the graph at another branch
    /// or commit.
    pub as_of: Option<Expr>,
    /// The comma-separated path patterns, joined on the variables they share.
    pub paths: Vec<PathPattern>,
    /// The `WHERE` after the patterns.
    pub filter: Option<Expr>,
    pub columns: Vec<OutputColumn>,
}

/// One item of `COLUMNS (...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputColumn {
    pub expr: Expr,
    pub alias: Option<Ident>,
}

/// `[p =] [selector] [mode] path`.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPattern {
    pub variable: Option<Ident>,
    pub selector: Selector,
    pub mode: PathMode,
    pub path: Vec<PathFactor>,
}

/// Which matching paths are kept, per pair of end points, and which qualify at all:
/// the engine's own.
pub use omnigraph_engine::pattern::{PathMode, Selector};

/// An element of a path, with its quantifier.
#[derive(Debug, Clone, PartialEq)]
pub enum PathFactor {
    Node(ElementPattern),
    Edge {
        element: ElementPattern,
        direction: EdgeDirection,
        quantifier: Option<Quantifier>,
    },
    /// A parenthesised sub-path: `((a)-[e]->(b) WHERE ...){m,n}`.
    Group {
        path: Vec<PathFactor>,
        filter: Option<Expr>,
        quantifier: Option<Quantifier>,
    },
}

/// What is inside `(...)` or `[...]`: variable, label expression, property map, `WHERE`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementPattern {
    pub variable: Option<Ident>,
    pub labels: LabelExpr,
    pub properties: Vec<(Ident, Expr)>,
    pub filter: Option<Expr>,
}

/// A label expression: no label or `%` for any, else alternatives `a|b`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum LabelExpr {
    #[default]
    Any,
    OneOf(Vec<Ident>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeDirection {
    /// `-[]->`, `->`.
    Right,
    /// `<-[]-`, `<-`.
    Left,
    /// `-[]-`, `-`, `<-[]->`, `<->`: either way.
    Either,
}

/// `{m,n}`, `{m,}`, `{m}`, `*`, `+`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantifier {
    pub min: u32,
    pub max: Option<u32>,
}
