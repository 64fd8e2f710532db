//! SQL behaviour through `omnigraph_sql::Session`, and the `omnigraph-sql` binary.
#![recursion_limit = "256"]

mod common;
mod routing;
mod shell;
mod transactions;
mod writes;
