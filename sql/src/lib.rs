//! OmniGraph SQL sessions: statement routing over the DataFusion extension, shared by
//! the `omnigraph-sql` shell and the Postgres server.
// The statement router's async state machines (a session inside the shell's loop) nest
// deeper than the default query depth when their layout is computed for test builds.
#![recursion_limit = "256"]

pub mod demo;
pub mod error;
mod plan_cache;
mod references;
pub mod session;
mod transaction;
mod yielding;

pub use error::{ErrorKind, Result, SqlError};
pub use session::{RowStream, SETTINGS, Session, StatementOutput, StatementResult};
