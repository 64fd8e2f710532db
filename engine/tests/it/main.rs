//! Engine integration tests: real Lance datasets in temporary directories.
#![recursion_limit = "256"]

mod branches;
mod common;
mod concurrency;
mod delete;
mod disk_full;
#[cfg(feature = "failpoints")]
mod failpoints;
mod history;
mod indexes;
mod load;
mod maintenance;
mod merge;
mod pattern;
mod schema;
mod snapshot;
mod topology;
