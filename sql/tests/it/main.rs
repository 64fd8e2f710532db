//! SQL behaviour through `omnigraph_sql::Session`.
#![recursion_limit = "256"]

mod arrays;
mod common;
mod datetime;
mod functions;
mod graph_table;
mod numbers;
mod queries;
mod routing;
mod search;
mod transactions;
mod types;
mod writes;
