//! `Shell`: one session and where its results are printed.

use std::time::Instant;

use omnigraph_sql::{ErrorKind, Session, SqlError};

use crate::output::Output;

pub struct Shell {
    pub session: Session,
    pub output: Output,
}

impl Shell {
    /// Runs `sql`, printing each statement's result; stops at the first error.
    pub async fn run(&self, sql: &str) -> Result<(), SqlError> {
        for statement in Session::parse(sql)? {
            let started = Instant::now();
            let result = self.session.execute_statement(statement).await?;
            self.output.print(&result, started).map_err(|e| {
                SqlError::new(ErrorKind::Io, format!("could not write the result: {e}"))
            })?;
        }
        Ok(())
    }
}

pub fn print_error(e: &SqlError) {
    eprintln!("ERROR:  {} (SQLSTATE {})", e.message, e.sqlstate());
}
