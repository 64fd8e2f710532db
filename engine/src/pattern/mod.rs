//! Graph pattern matching on the topology index (SQL/PGQ's `MATCH`): a path pattern
//! compiled into a [`PathProgram`] and run from start nodes over the CSR/CSC of the edge
//! tables it names, with path modes and selectors. The SQL layer compiles patterns and
//! evaluates element filters into the node and edge sets the program tests against.

mod endpoints;
mod program;
mod search;

pub use endpoints::EndpointPositions;
pub use program::{
    EdgeRef, EdgeSet, EdgeTest, Element, MAX_REPEATS, NodeRef, NodeSet, NodeTest, PathMode,
    PathProgram, ProgramBuilder, Repeat, Selector,
};
pub use search::{
    EdgeTable, MAX_PATH_LENGTH, NodeTable, PathElements, PathRow, PatternGraph, RowSink,
    match_paths,
};
