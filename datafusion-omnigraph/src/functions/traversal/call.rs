//! A traversal call's arguments, parsed once when the function is called.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;
use omnigraph_engine::Direction;

use crate::error::{DfResult, to_df};
use crate::functions::args::{Args, invalid};

/// Names of the traversal functions.
pub const TRAVERSAL_FUNCTIONS: [&str; 5] = [
    "neighbors",
    "traverse",
    "shortest_path",
    "neighbors_of",
    "traverse_from",
];

/// What a traversal computes for each start node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    Neighbors {
        direction: Direction,
    },
    Traverse {
        min_depth: u32,
        max_depth: u32,
        direction: Direction,
    },
    ShortestPath {
        to: String,
        max_depth: Option<u32>,
        direction: Direction,
    },
}

/// Where start nodes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Starts {
    Id(String),
    /// A query whose first column holds start ids.
    Query(String),
}

fn depth_arg(exprs: &[Expr], i: usize, name: &str, function: &str) -> DfResult<u32> {
    match &exprs[i] {
        Expr::Literal(ScalarValue::Int64(Some(n)), _) if *n >= 0 && *n <= u32::MAX as i64 => {
            Ok(*n as u32)
        }
        Expr::Literal(ScalarValue::Int64(Some(n)), _) => Err(invalid(format!(
            "{function}(): {name} must be >= 0, got {n}"
        ))),
        other => Err(invalid(format!(
            "{function}(): {name} must be a non-negative integer literal, got {other}"
        ))),
    }
}

fn direction_arg(args: &Args, i: usize) -> DfResult<Direction> {
    match args.opt_text(i, "direction")? {
        Some(d) => d.parse::<Direction>().map_err(to_df),
        None => Ok(Direction::Out),
    }
}

/// A parsed traversal call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraversalCall {
    pub function: &'static str,
    pub edge_table: String,
    pub starts: Starts,
    pub walk: Walk,
}

impl TraversalCall {
    pub fn parse(function: &'static str, exprs: &[Expr]) -> DfResult<TraversalCall> {
        let (min, max) = match function {
            "neighbors" | "neighbors_of" => (2, 3),
            "traverse" | "traverse_from" => (3, 5),
            "shortest_path" => (3, 5),
            other => {
                return datafusion::common::internal_err!("unknown traversal function '{other}'");
            }
        };
        let a = Args::new(function, exprs, min, max)?;
        let edge_table = a.text(0, "edge_table")?;
        let start = a.text(
            1,
            if function.ends_with("_of") || function.ends_with("_from") {
                "start_query"
            } else {
                "start_id"
            },
        )?;
        let starts = match function {
            "neighbors_of" | "traverse_from" => Starts::Query(start),
            _ => Starts::Id(start),
        };
        let walk = match function {
            "neighbors" | "neighbors_of" => Walk::Neighbors {
                direction: direction_arg(&a, 2)?,
            },
            "traverse" | "traverse_from" => {
                let max_depth = depth_arg(exprs, 2, "max_depth", function)?;
                let min_depth = if a.len() > 3 {
                    depth_arg(exprs, 3, "min_depth", function)?
                } else {
                    1
                };
                if min_depth > max_depth {
                    return Err(invalid(format!(
                        "{function}(): min_depth {min_depth} is greater than max_depth {max_depth}"
                    )));
                }
                Walk::Traverse {
                    min_depth,
                    max_depth,
                    direction: direction_arg(&a, 4)?,
                }
            }
            _ => Walk::ShortestPath {
                to: a.text(2, "to_id")?,
                max_depth: if a.len() > 3 {
                    Some(depth_arg(exprs, 3, "max_depth", function)?)
                } else {
                    None
                },
                direction: direction_arg(&a, 4)?,
            },
        };
        Ok(TraversalCall {
            function,
            edge_table,
            starts,
            walk,
        })
    }

    pub fn schema(&self) -> SchemaRef {
        let text = |n: &str, nullable: bool| Field::new(n, DataType::Utf8, nullable);
        let int = |n: &str| Field::new(n, DataType::Int32, false);
        let with_start = matches!(self.starts, Starts::Query(_));
        let fields = match (&self.walk, with_start) {
            (Walk::Neighbors { .. }, _) => vec![
                text("start_id", false),
                text("node_id", false),
                text("edge_id", false),
            ],
            (Walk::Traverse { .. }, false) => vec![text("node_id", false), int("depth")],
            (Walk::Traverse { .. }, true) => vec![
                text("start_id", false),
                text("node_id", false),
                int("depth"),
            ],
            (Walk::ShortestPath { .. }, _) => {
                vec![int("step"), text("node_id", false), text("edge_id", true)]
            }
        };
        Arc::new(Schema::new(fields))
    }
}
