//! OmniGraph SQL sessions: the statement pipeline over the DataFusion extension, shared
//! by the `omnigraph-sql` shell and the Postgres server.
//!
//! A statement's walk: [`statement::parse`] (one parser, one dialect) gives a
//! [`ParsedStatement`] whose [`StatementKind`] routes it once; [`Session::run`] handles
//! transactions and `omnigraph.*` settings itself and plans everything else with
//! DataFusion on a copy of the session state that carries the statement's own context,
//! checks the role the plan needs, and runs it.
// The statement router's async state machines (a session inside the shell's loop) nest
// deeper than the default query depth when their layout is computed for test builds.
#![recursion_limit = "256"]

pub mod access_mode;
mod array_syntax;
mod binding;
pub mod column_name;
pub mod copy_binary;
pub mod copy_from;
mod cte_columns;
pub mod cursor;
mod datetime_syntax;
mod ddl;
pub mod demo;
mod describe;
pub mod error;
mod explain;
mod fetch_first;
pub mod memory;
pub mod names;
pub mod nesting;
mod on_conflict;
mod operator_syntax;
mod output_names;
mod plan_cache;
mod procedure_arguments;
mod query_rules;
mod references;
pub mod result;
mod returning;
pub mod session;
pub mod settings;
pub mod statement;
mod syntax;
mod syntax_passes;
mod transaction;
mod vector_values;
mod yielding;

pub use describe::Description;
pub use error::{ErrorKind, Result, SqlError};
pub use result::{RowStream, StatementOutput, StatementResult};
pub use session::Session;
pub use statement::{ParsedStatement, Setting, StatementKind, TransactionControl};

/// The `omnigraph.*` settings `SET`, `SHOW` and `RESET` understand.
pub fn setting_names() -> Vec<String> {
    datafusion_omnigraph::OmniGraphOptions::names()
}
