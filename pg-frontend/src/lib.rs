//! The Postgres-wire server of OmniGraph SQL: pgwire with our own handlers, one SQL
//! [`omnigraph_sql::Session`] per connection, Arrow results encoded by arrow-pg, and
//! `pg_catalog` from datafusion-pg-catalog.
// The handlers' async state machines nest deeper than the default query depth.
#![recursion_limit = "256"]

pub mod array_param;
pub mod binary_array;
pub mod catalog;
pub mod catalog_keys;
pub mod connection;
pub mod connection_threads;
pub mod copy;
pub mod copy_in;
pub mod copy_out;
pub mod encode;
pub mod errors;
pub mod execution;
pub mod handler;
pub mod hooks;
pub mod information_schema;
pub mod outcome;
pub mod params;
pub mod pgvector;
pub mod prepared;
pub mod registry;
pub mod rewrite;
pub mod scram;
pub mod server;
pub mod server_log;
pub mod startup;
pub mod stop;
pub mod text_format;
pub mod users;
pub mod wire;

pub use server::{Server, ServerConfig, ServerError};
pub use server_log::LogSettings;
pub use wire::admission::ConnectionLimits;
