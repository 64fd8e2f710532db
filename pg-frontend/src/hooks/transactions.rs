//! `BEGIN`, `COMMIT` and `ROLLBACK` run in the SQL session; the protocol's transaction
//! status follows from the outcome (in a transaction, idle).

use async_trait::async_trait;
use datafusion::scalar::ScalarValue;
use omnigraph_sql::{
    Description, ParsedStatement, SqlError, StatementKind, StatementOutput,
    TransactionControl as Control,
};

use super::StatementHook;
use crate::connection::Connection;
use crate::outcome::Outcome;

pub struct TransactionControl;

#[async_trait]
impl StatementHook for TransactionControl {
    fn describe(
        &self,
        _connection: &Connection,
        statement: &ParsedStatement,
    ) -> Option<Description> {
        matches!(statement.kind, StatementKind::Transaction(_)).then(|| {
            (
                vec![],
                std::sync::Arc::new(arrow::datatypes::Schema::empty()),
            )
        })
    }

    async fn run(
        &self,
        connection: &Connection,
        statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        let StatementKind::Transaction(control) = &statement.kind else {
            return None;
        };
        let starts = matches!(control, Control::Begin(_));
        let ends = matches!(control, Control::Commit | Control::Rollback);
        let session = match connection.session() {
            Ok(session) => session,
            Err(e) => return Some(Err(e)),
        };
        let output = session.run(statement.clone(), vec![]).await;
        let result = match output {
            Ok(StatementOutput::Done(result)) => result,
            Ok(StatementOutput::Rows(rows)) => {
                return Some(Ok(Outcome::Rows {
                    schema: rows.schema,
                    stream: rows.stream,
                    tag: None,
                }));
            }
            Err(e) => return Some(Err(e)),
        };
        connection.push_notices(result.notices);
        Some(Ok(if starts {
            Outcome::TransactionStart
        } else if ends {
            Outcome::TransactionEnd(result.tag)
        } else {
            Outcome::Command(result.tag)
        }))
    }
}
