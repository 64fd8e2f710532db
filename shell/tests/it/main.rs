//! The `omnigraph-sql` binary, run as a process.

mod shell;
