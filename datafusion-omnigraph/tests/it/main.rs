//! SQL behaviour through a plain DataFusion `SessionContext` (the embedding path).
#![recursion_limit = "256"]

mod common;
mod merge;
mod procedures;
mod queries;
mod snapshots;
mod time_travel;
mod traversal;
mod writes;
