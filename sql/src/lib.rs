//! OmniGraph SQL sessions: statement routing over the DataFusion extension, shared by
//! the `omnigraph-sql` shell and the Postgres server.

pub mod demo;
pub mod error;
pub mod session;
mod transaction;

pub use error::{ErrorKind, Result, SqlError};
pub use session::{SETTINGS, Session, StatementResult};
