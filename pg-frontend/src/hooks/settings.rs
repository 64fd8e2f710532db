//! `SET`, `SHOW` and `RESET` of Postgres run-time parameters (`statement_timeout`,
//! `application_name`, `TimeZone`, ...), kept per connection ([`crate::connection::PgSettings`]).
//! `omnigraph.*`, `datafusion.*` and the transaction access-mode settings
//! (`default_transaction_read_only`, `transaction_read_only`) belong to the SQL session.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::scalar::ScalarValue;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Value};
use omnigraph_sql::{Description, ErrorKind, ParsedStatement, Setting, SqlError, StatementKind};

use super::StatementHook;
use crate::connection::{Connection, display_name, may_set, unknown};
use crate::outcome::Outcome;

pub struct PostgresSettings;

fn is_session_setting(name: &str) -> bool {
    omnigraph_sql::settings::is_graph_setting(name) || name.starts_with("datafusion.")
}

/// The Postgres parameter statement `statement` is, if it is one.
fn postgres_setting(statement: &ParsedStatement) -> Option<&Setting> {
    match &statement.kind {
        StatementKind::Setting(setting) => match setting.name() {
            Some(name) if is_session_setting(name) => None,
            _ => Some(setting),
        },
        _ => None,
    }
}

fn literal_text(expr: &SqlExpr) -> String {
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        SqlExpr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}

fn show_all_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("setting", DataType::Utf8, false),
    ]))
}

fn one_column(name: &str, values: Vec<String>) -> (SchemaRef, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(values))])
        .expect("one text column");
    (schema, vec![batch])
}

#[async_trait]
impl StatementHook for PostgresSettings {
    fn describe(
        &self,
        _connection: &Connection,
        statement: &ParsedStatement,
    ) -> Option<Description> {
        Some(match postgres_setting(statement)? {
            Setting::Show(name) => (vec![], one_column(display_name(name), vec![]).0),
            Setting::ShowAll => (vec![], show_all_schema()),
            _ => (vec![], Arc::new(Schema::empty())),
        })
    }

    async fn run(
        &self,
        connection: &Connection,
        statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        let setting = postgres_setting(statement)?;
        if let (Setting::Set { name, .. } | Setting::Reset(name), Some(identity)) =
            (setting, connection.identity())
            && let Err(e) = may_set(name, identity.role)
        {
            return Some(Err(e));
        }
        let mut settings = connection.settings();
        Some(match setting {
            Setting::Set { name, values } => {
                let value = values
                    .iter()
                    .map(literal_text)
                    .collect::<Vec<_>>()
                    .join(", ");
                settings
                    .set(name, &value)
                    .map(|_| Outcome::Command("SET".to_string()))
            }
            Setting::Reset(name) => settings
                .reset(name)
                .map(|_| Outcome::Command("RESET".to_string())),
            Setting::Ignored => Ok(Outcome::Command("SET".to_string())),
            Setting::Show(name) => settings
                .get(name)
                .ok_or_else(|| unknown(name))
                .map(|value| {
                    let (schema, batches) = one_column(display_name(name), vec![value.to_string()]);
                    Outcome::Batches {
                        schema,
                        batches,
                        tag: "SHOW".to_string(),
                    }
                }),
            Setting::ShowAll => {
                let (names, values): (Vec<String>, Vec<String>) =
                    settings.all().map(|(k, v)| (k.clone(), v.clone())).unzip();
                RecordBatch::try_new(
                    show_all_schema(),
                    vec![
                        Arc::new(StringArray::from(names)),
                        Arc::new(StringArray::from(values)),
                    ],
                )
                .map_err(|e| SqlError::new(ErrorKind::Internal, e.to_string()))
                .map(|batch| Outcome::Batches {
                    schema: show_all_schema(),
                    batches: vec![batch],
                    tag: "SHOW".to_string(),
                })
            }
        })
    }
}
