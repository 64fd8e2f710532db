//! Server-side cursors, as PostgreSQL has them: `DECLARE name [BINARY] [NO SCROLL]
//! CURSOR [WITH[OUT] HOLD] FOR query`, `FETCH`/`MOVE [NEXT | FORWARD [n | ALL] | ALL |
//! n] {FROM | IN} name`, `CLOSE name | ALL`. A cursor holds its query's row stream, so a
//! `FETCH` of 100 rows reads about 100 rows (a batch) of a query of any size. Cursors
//! only move forward (`SCROLL` is refused). Like PostgreSQL, a cursor lives until the
//! end of its transaction; one `WITH HOLD` outlives it, its remaining rows read when the
//! transaction commits (at once outside a transaction), and one declared in a
//! transaction that rolls back is closed.

use std::collections::{HashMap, VecDeque};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CloseCursor, Declare, DeclareType, FetchDirection, Query, Statement, Value,
};
use futures::StreamExt;

use crate::error::{ErrorKind, Result, SqlError};
use crate::names::normalized;
use crate::result::{StatementOutput, StatementResult};
use crate::session::Session;
use crate::statement::{ParsedStatement, StatementKind};

/// A cursor statement.
#[derive(Debug, Clone)]
pub enum CursorCommand {
    Declare {
        name: String,
        query: Box<Query>,
        hold: bool,
    },
    /// `FETCH` (`skip`: `MOVE`, which moves without returning the rows).
    Fetch {
        name: String,
        count: Count,
        skip: bool,
    },
    /// `CLOSE name`; `None`: `CLOSE ALL`.
    Close(Option<String>),
}

/// How many rows a `FETCH` or `MOVE` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Rows(u64),
    All,
}

fn count_value(value: &Value) -> Result<i64> {
    match value {
        Value::Number(n, _) => n
            .parse()
            .map_err(|_| SqlError::new(ErrorKind::Syntax, format!("invalid FETCH count {n}"))),
        other => Err(SqlError::new(
            ErrorKind::Syntax,
            format!("invalid FETCH count {other}"),
        )),
    }
}

fn forward_only() -> SqlError {
    SqlError::new(
        ErrorKind::ObjectNotInPrerequisiteState,
        "cursor can only scan forward",
    )
    .with_hint("Cursors here move forward only: FETCH NEXT, FORWARD n, FORWARD ALL, ALL or n.")
}

/// The rows a direction asks for; backward and absolute moves are refused.
fn count(direction: &FetchDirection) -> Result<Count> {
    let forward = |n: i64| match n {
        n if n < 0 => Err(forward_only()),
        n => Ok(Count::Rows(n as u64)),
    };
    match direction {
        FetchDirection::Next | FetchDirection::Forward { limit: None } => Ok(Count::Rows(1)),
        FetchDirection::All | FetchDirection::ForwardAll => Ok(Count::All),
        FetchDirection::Count { limit } | FetchDirection::Forward { limit: Some(limit) } => {
            forward(count_value(&limit.value)?)
        }
        _ => Err(forward_only()),
    }
}

/// The cursor command `statement` is, if it is one (`is_move`: it was written `MOVE`).
pub(crate) fn cursor_command(
    statement: &Statement,
    is_move: bool,
) -> Result<Option<CursorCommand>> {
    Ok(Some(match statement {
        Statement::Declare { stmts } => {
            let [declare] = stmts.as_slice() else {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    "DECLARE one cursor at a time",
                ));
            };
            declaration(declare)?
        }
        Statement::Fetch {
            name, direction, ..
        } => CursorCommand::Fetch {
            name: normalized(name),
            count: count(direction)?,
            skip: is_move,
        },
        Statement::Close { cursor } => CursorCommand::Close(match cursor {
            CloseCursor::All => None,
            CloseCursor::Specific { name } => Some(normalized(name)),
        }),
        _ => return Ok(None),
    }))
}

fn declaration(declare: &Declare) -> Result<CursorCommand> {
    let (Some(DeclareType::Cursor), [name], Some(query)) = (
        &declare.declare_type,
        declare.names.as_slice(),
        &declare.for_query,
    ) else {
        return Err(SqlError::new(
            ErrorKind::Syntax,
            "DECLARE takes a cursor: DECLARE name CURSOR FOR query",
        ));
    };
    if declare.scroll == Some(true) {
        return Err(SqlError::new(
            ErrorKind::NotSupported,
            "SCROLL cursors are not supported: cursors move forward only (NO SCROLL)",
        ));
    }
    Ok(CursorCommand::Declare {
        name: normalized(name),
        query: query.clone(),
        hold: declare.hold == Some(true),
    })
}

/// Where a cursor's rows come from.
enum Rows {
    Stream(SendableRecordBatchStream),
    /// Read to the end (a `WITH HOLD` cursor after its transaction).
    Held(VecDeque<RecordBatch>),
}

/// An open cursor.
pub(crate) struct Cursor {
    schema: SchemaRef,
    rows: Rows,
    /// The rest of a batch a `FETCH` took part of.
    pending: Option<RecordBatch>,
    /// Declared `WITH HOLD`.
    hold: bool,
    /// Declared in the open transaction (closed if it rolls back).
    in_transaction: bool,
}

impl Cursor {
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if let Some(batch) = self.pending.take() {
            return Ok(Some(batch));
        }
        match &mut self.rows {
            Rows::Stream(stream) => Ok(stream.next().await.transpose()?),
            Rows::Held(batches) => Ok(batches.pop_front()),
        }
    }

    /// Up to `count` rows from where the cursor stands.
    async fn take(&mut self, count: Count) -> Result<Vec<RecordBatch>> {
        let mut wanted = match count {
            Count::Rows(n) => n as usize,
            Count::All => usize::MAX,
        };
        let mut out = Vec::new();
        while wanted > 0 {
            let Some(batch) = self.next_batch().await? else {
                break;
            };
            if batch.num_rows() > wanted {
                out.push(batch.slice(0, wanted));
                self.pending = Some(batch.slice(wanted, batch.num_rows() - wanted));
                break;
            }
            wanted -= batch.num_rows();
            out.push(batch);
        }
        Ok(out)
    }

    /// Reads the rest of the rows, so the cursor outlives its transaction's snapshot.
    async fn hold(&mut self) -> Result<()> {
        let rows = self.take(Count::All).await?;
        self.rows = Rows::Held(rows.into());
        self.pending = None;
        self.in_transaction = false;
        Ok(())
    }
}

/// The open cursors of a session, by name.
#[derive(Default)]
pub(crate) struct Cursors(std::sync::Mutex<HashMap<String, Cursor>>);

impl Cursors {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cursor>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, name: &str) -> Result<Cursor> {
        self.lock().remove(name).ok_or_else(|| missing(name))
    }

    /// The columns of cursor `name`.
    pub(crate) fn schema(&self, name: &str) -> Option<SchemaRef> {
        self.lock().get(name).map(|c| c.schema.clone())
    }
}

fn missing(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::InvalidCursorName,
        format!("cursor \"{name}\" does not exist"),
    )
}

impl Session {
    /// The columns of the open cursor `name` (PostgreSQL describes a cursor as a portal).
    pub fn cursor_columns(&self, name: &str) -> Option<SchemaRef> {
        self.cursors().schema(name)
    }

    /// Runs a cursor statement.
    pub(crate) async fn run_cursor(
        &self,
        command: &CursorCommand,
        params: &[datafusion::scalar::ScalarValue],
    ) -> Result<StatementResult> {
        match command {
            CursorCommand::Declare { name, query, hold } => {
                self.declare(name, query, *hold, params).await
            }
            CursorCommand::Fetch { name, count, skip } => {
                let mut cursor = self.cursors().take(name)?;
                let taken = cursor.take(*count).await;
                let schema = cursor.schema.clone();
                self.cursors().lock().insert(name.clone(), cursor);
                let batches = taken?;
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                Ok(match skip {
                    true => StatementResult::command(&format!("MOVE {rows}")),
                    false => StatementResult {
                        schema,
                        batches,
                        tag: format!("FETCH {rows}"),
                        notices: vec![],
                    },
                })
            }
            CursorCommand::Close(Some(name)) => {
                self.cursors().take(name)?;
                Ok(StatementResult::command("CLOSE CURSOR"))
            }
            CursorCommand::Close(None) => {
                self.cursors().lock().clear();
                Ok(StatementResult::command("CLOSE CURSOR ALL"))
            }
        }
    }

    async fn declare(
        &self,
        name: &str,
        query: &Query,
        hold: bool,
        params: &[datafusion::scalar::ScalarValue],
    ) -> Result<StatementResult> {
        let in_transaction = self.in_transaction();
        if !in_transaction && !hold {
            return Err(SqlError::new(
                ErrorKind::NoActiveTransaction,
                "DECLARE CURSOR can only be used in transaction blocks",
            ));
        }
        if self.cursors().lock().contains_key(name) {
            return Err(SqlError::new(
                ErrorKind::DuplicateCursor,
                format!("cursor \"{name}\" already exists"),
            ));
        }
        let ast = DFStatement::Statement(Box::new(Statement::Query(Box::new(query.clone()))));
        let statement = ParsedStatement::new(ast)?;
        if !matches!(statement.kind, StatementKind::Query) {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "DECLARE CURSOR takes a query",
            ));
        }
        let output = Box::pin(self.run(statement, params.to_vec())).await?;
        let StatementOutput::Rows(rows) = output else {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "DECLARE CURSOR takes a query",
            ));
        };
        let mut cursor = Cursor {
            schema: rows.schema,
            rows: Rows::Stream(rows.stream),
            pending: None,
            hold,
            in_transaction,
        };
        if !in_transaction {
            cursor.hold().await?;
        }
        self.cursors().lock().insert(name.to_string(), cursor);
        Ok(StatementResult::command("DECLARE CURSOR"))
    }

    /// At the end of a transaction: a commit keeps the `WITH HOLD` cursors (reading
    /// their rows now) and closes the others; a rollback also closes the `WITH HOLD`
    /// cursors it declared.
    pub(crate) async fn end_transaction_cursors(&self, committed: bool) -> Result<()> {
        let open: Vec<(String, Cursor)> = self.cursors().lock().drain().collect();
        let mut kept = Vec::new();
        let mut failure = None;
        for (name, mut cursor) in open {
            let keep = cursor.hold && (committed || !cursor.in_transaction);
            if !keep {
                continue;
            }
            if cursor.in_transaction
                && let Err(e) = cursor.hold().await
            {
                failure.get_or_insert(e);
                continue;
            }
            kept.push((name, cursor));
        }
        self.cursors().lock().extend(kept);
        failure.map_or(Ok(()), Err)
    }
}
