//! The server over the wire, with tokio-postgres as the client. Client libraries of
//! other languages are exercised by the suites under the repository's `tests/`.

// Async state machines around the server nest deeper than the default query depth.
#![recursion_limit = "256"]

mod common;
mod raw_client;

mod auth;
mod concurrency;
mod fuzz;
mod hostile;
mod limits;
mod pgbench;
mod privileges;
mod protocol;
mod psql;
mod scram;
mod server_log;
mod streaming;
