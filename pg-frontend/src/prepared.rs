//! Prepared statements of the extended protocol: parsed (and rewritten) once at Parse,
//! kept with what they were described as, and bound and run at Execute.

use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use async_trait::async_trait;
use pgwire::api::portal::Format;
use pgwire::api::results::{DescribeResponse, DescribeStatementResponse, FieldInfo};
use pgwire::api::stmt::QueryParser;
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;

use omnigraph_sql::{Description, ParsedStatement, SqlError};

use crate::connection::Connection;
use crate::errors::statement_error;
use crate::handler::QueryHandler;
use crate::{encode, hooks, params};

/// A prepared statement: parsed once, and what it was described as when prepared. It is
/// planned again at every execution, so it never reads a stale schema or branch.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `None` for an empty query (only `;` or comments).
    pub statement: Option<ParsedStatement>,
    /// The placeholder types and result columns when it was prepared (`None` if it could
    /// not be described then). Clients encode parameters and decode rows by these, so
    /// parameters are read with these types, and if a schema change alters the columns
    /// the statement fails (0A000, as PostgreSQL's "cached plan must not change result
    /// type") instead of sending rows the client misreads.
    pub described: Option<Described>,
}

#[derive(Debug, Clone)]
pub struct Described {
    pub params: Vec<Option<DataType>>,
    pub columns: SchemaRef,
}

impl Described {
    fn new((params, schema): Description) -> Described {
        Described {
            params,
            columns: encode::wire_schema(&schema),
        }
    }
}

/// Parses `sql` and applies the server's rewrites (see [`hooks`]).
pub fn parse(sql: &str) -> Result<Vec<ParsedStatement>, SqlError> {
    let mut statements = omnigraph_sql::statement::parse(sql)?;
    for statement in &mut statements {
        hooks::rewrite(statement);
    }
    Ok(statements)
}

/// A statement's Describe answer; unlike pgwire's, a statement with parameters and no
/// result columns answers NoData, as PostgreSQL does.
pub struct StatementDescription(pub DescribeStatementResponse);

impl DescribeResponse for StatementDescription {
    fn parameters(&self) -> Option<&[Type]> {
        Some(&self.0.parameters)
    }

    fn fields(&self) -> &[FieldInfo] {
        &self.0.fields
    }

    fn no_data() -> Self {
        StatementDescription(DescribeStatementResponse::no_data())
    }

    fn is_no_data(&self) -> bool {
        self.0.fields.is_empty()
    }
}

pub struct StatementParser {
    pub(crate) connection: Arc<Connection>,
}

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Prepared>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let failed = |e: SqlError| {
            self.connection.statement_failed();
            statement_error(&e)
        };
        let mut statements = parse(sql).map_err(failed)?;
        let mut statement = match statements.len() {
            0 => {
                return Ok(Prepared {
                    statement: None,
                    described: None,
                });
            }
            1 => statements.remove(0),
            n => {
                return Err(failed(SqlError::new(
                    omnigraph_sql::ErrorKind::Syntax,
                    format!("cannot insert multiple commands into a prepared statement (got {n})"),
                )));
            }
        };
        params::with_declared_types(&mut statement, types);
        let described = describe(&self.connection, &statement)
            .await
            .ok()
            .map(Described::new);
        Ok(Prepared {
            statement: Some(statement),
            described,
        })
    }

    fn get_parameter_types(&self, _stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(vec![])
    }

    fn get_result_schema(
        &self,
        _stmt: &Prepared,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(vec![])
    }
}

/// The parameter types and result columns of `statement`.
pub(crate) async fn describe(
    connection: &Connection,
    statement: &ParsedStatement,
) -> Result<Description, SqlError> {
    if let Some(description) = hooks::describe(connection, statement) {
        return Ok(description);
    }
    connection.session()?.describe_statement(statement).await
}

impl QueryHandler {
    /// What a prepared statement was described as, or a fresh description if it could
    /// not be described when prepared.
    pub(crate) async fn described(&self, prepared: &Prepared) -> Result<Described, SqlError> {
        match (&prepared.described, &prepared.statement) {
            (Some(described), _) => Ok(described.clone()),
            (None, Some(statement)) => describe(self.connection(), statement)
                .await
                .map(Described::new),
            (None, None) => Ok(Described::new((vec![], Arc::new(Schema::empty())))),
        }
    }
}

/// Whether a query's columns differ from those it was described with. A column described
/// without a type (`SELECT $1` before its parameter's type is known) was announced as
/// `unknown`, sent as text, so any type it gets later reads the same.
pub fn columns_changed(described: &SchemaRef, now: &SchemaRef) -> bool {
    if described.fields().is_empty() {
        return false;
    }
    described.fields().len() != now.fields().len()
        || described
            .fields()
            .iter()
            .zip(now.fields())
            .any(|(before, after)| {
                before.name() != after.name()
                    || (before.data_type() != &DataType::Null
                        && before.data_type() != after.data_type())
            })
}

pub fn described_params(declared: &[Option<Type>], inferred: &[Option<DataType>]) -> Vec<Type> {
    let n = declared.len().max(inferred.len());
    (0..n)
        .map(|i| {
            declared
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .unwrap_or_else(|| match inferred.get(i).cloned().flatten() {
                    Some(t) => params::pg_type(Some(&t)),
                    None => Type::TEXT,
                })
        })
        .collect()
}

/// Whether a prepared statement makes a failed transaction usable again.
pub fn rolls_back_to_savepoint(statement: Option<&ParsedStatement>) -> bool {
    matches!(
        statement.map(|s| &s.kind),
        Some(omnigraph_sql::StatementKind::Transaction(
            omnigraph_sql::TransactionControl::RollbackTo(_)
        ))
    )
}
