//! Traversal table functions on the CSR topology index.
//!
//! | function | rows |
//! |----------|------|
//! | `neighbors(edge_table, start_id [, direction])` | `start_id, node_id, edge_id` |
//! | `traverse(edge_table, start_id, max_depth [, min_depth [, direction]])` | `node_id, depth` |
//! | `shortest_path(edge_table, from_id, to_id [, max_depth [, direction]])` | `step, node_id, edge_id` |
//! | `neighbors_of(edge_table, start_query [, direction])` | `start_id, node_id, edge_id` |
//! | `traverse_from(edge_table, start_query, max_depth [, min_depth [, direction]])` | `start_id, node_id, depth` |
//!
//! Every function is one operator, [`TraversalExec`], whose start nodes come either from
//! literal ids or from the first column of a query (set-at-a-time expansion).

mod call;
mod exec;
mod table;

pub use call::{Starts, TRAVERSAL_FUNCTIONS, TraversalCall, Walk};
pub use exec::TraversalExec;
pub use table::{TraversalFunction, TraversalTable};
