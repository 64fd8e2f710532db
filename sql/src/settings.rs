//! `SET`, `SHOW` and `RESET` of the `omnigraph.*` settings, which the session checks
//! before they change ([`OmniGraphOptions`] holds them in the session's configuration):
//! a branch must exist, an as-of ref must resolve, neither may change inside a
//! transaction.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Value};
use datafusion_omnigraph::OmniGraphOptions;
use datafusion_omnigraph::context::SessionSettings;
use datafusion_omnigraph::context::{
    DEFAULT_AUTO_OPTIMIZE_FRAGMENTS, DEFAULT_MAX_WRITE_ROWS, DEFAULT_STATEMENT_MEMORY_LIMIT,
};
use omnigraph_engine::MAIN_BRANCH;

use crate::access_mode::is_access_mode_setting;
use crate::error::{ErrorKind, Result, SqlError};
use crate::result::StatementResult;
use crate::session::Session;

/// Whether `name` is one of the session's own settings (`omnigraph.*`, and the access
/// mode of its transactions, see [`crate::access_mode`]).
pub fn is_graph_setting(name: &str) -> bool {
    name.strip_prefix("omnigraph.").is_some() || is_access_mode_setting(name)
}

/// The one-column schema `SHOW name` answers with.
pub fn show_schema(name: &str) -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]))
}

fn unknown_setting(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::UndefinedObject,
        format!(
            "unrecognized configuration parameter \"{name}\" (known: {})",
            OmniGraphOptions::names().join(", ")
        ),
    )
}

/// The vector search knob `name` of `options` (`omnigraph.nprobes`, `ef_search`,
/// `refine_factor`: non-negative integers, 0 meaning Lance's default).
fn search_knob<'a>(options: &'a mut SessionSettings, name: &str) -> Option<&'a mut u64> {
    match name {
        "omnigraph.nprobes" => Some(&mut options.nprobes),
        "omnigraph.ef_search" => Some(&mut options.ef_search),
        "omnigraph.refine_factor" => Some(&mut options.refine_factor),
        _ => None,
    }
}

fn fixed_in_transaction(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::ActiveTransaction,
        format!("{name} cannot change inside a transaction"),
    )
}

/// The text of a `SET` value: a string or number literal, or a bare identifier.
fn setting_value(name: &str, values: &[SqlExpr]) -> Result<String> {
    let [expr] = values else {
        return Err(SqlError::new(
            ErrorKind::Syntax,
            format!("SET {name} takes one value"),
        ));
    };
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(s.clone()),
            Value::Number(n, _) => Ok(n.clone()),
            other => Ok(other.to_string()),
        },
        SqlExpr::Identifier(i) => Ok(i.value.clone()),
        SqlExpr::CompoundIdentifier(parts) => Ok(parts
            .iter()
            .map(|i| i.value.clone())
            .collect::<Vec<_>>()
            .join(".")),
        other => Err(SqlError::new(
            ErrorKind::Syntax,
            format!("SET value must be a literal or a name, got {other}"),
        )),
    }
}

impl Session {
    /// `SET omnigraph.name = value`.
    pub(crate) async fn set_graph_setting(
        &self,
        name: &str,
        values: &[SqlExpr],
    ) -> Result<StatementResult> {
        let value = setting_value(name, values)?;
        self.set_graph_setting_text(name, &value).await?;
        Ok(StatementResult::command("SET"))
    }

    /// Sets the `omnigraph.*` setting `name` to the text `value` (as `SET` does, with
    /// its checks and errors): for settings given at connect (`-c omnigraph.branch=b`).
    pub async fn set_graph_setting_text(&self, name: &str, value: &str) -> Result<()> {
        let value = value.to_string();
        let graph = self.graph_context();
        match name {
            "omnigraph.branch" | "omnigraph.as_of" if self.in_transaction() => {
                return Err(fixed_in_transaction(name));
            }
            "omnigraph.branch" => self.set_branch(&value).await?,
            "omnigraph.as_of" => {
                let branch = graph.settings().branch;
                graph.graph().snapshot_at_text(&branch, &value).await?;
                graph.update_settings(|s| s.as_of = Some(value));
            }
            "omnigraph.commit_message" => graph.update_settings(|s| s.commit_message = Some(value)),
            name if is_access_mode_setting(name) => self.set_access_mode(name, &value)?,
            "omnigraph.max_write_rows" => {
                let rows: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::InvalidParameter,
                            format!(
                                "omnigraph.max_write_rows must be a positive integer, got '{value}'"
                            ),
                        )
                    })?;
                graph.update_settings(|s| s.max_write_rows = rows);
            }
            "omnigraph.auto_optimize" => {
                let on = crate::access_mode::boolean(name, &value)?;
                graph.update_settings(|s| s.auto_optimize = on);
            }
            "omnigraph.auto_optimize_fragments" => {
                let fragments: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n >= 2)
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::InvalidParameter,
                            format!(
                                "omnigraph.auto_optimize_fragments must be an integer of at least 2, got '{value}'"
                            ),
                        )
                    })?;
                graph.update_settings(|s| s.auto_optimize_fragments = fragments);
            }
            "omnigraph.statement_memory_limit" => {
                let bytes = crate::memory::parse_memory(name, &value)?;
                graph.update_settings(|s| s.statement_memory_limit = bytes);
                self.apply_memory_limit(bytes);
            }
            name if search_knob(&mut SessionSettings::default(), name).is_some() => {
                let n: u64 = value.trim().parse().map_err(|_| {
                    SqlError::new(
                        ErrorKind::InvalidParameter,
                        format!("{name} must be a non-negative integer, got '{value}'"),
                    )
                })?;
                graph.update_settings(|s| {
                    *search_knob(s, name).expect("matched a knob") = n;
                });
            }
            other => return Err(unknown_setting(other)),
        }
        Ok(())
    }

    /// Bounds the session's pool by `bytes`. A sort reserves memory for merging what it
    /// spilled before it spills (DataFusion's 10 MB by default): at most a quarter of the
    /// limit, so a small limit still leaves the sort room to spill.
    fn apply_memory_limit(&self, bytes: u64) {
        self.memory().set_limit(bytes);
        let state = self.context().state_ref();
        let mut state = state.write();
        let execution = &mut state.config_mut().options_mut().execution;
        execution.sort_spill_reservation_bytes =
            usize::try_from((bytes / 4).min(10 << 20)).unwrap_or(10 << 20);
    }

    /// `SHOW omnigraph.name`.
    pub(crate) fn show_graph_setting(&self, name: &str) -> Result<StatementResult> {
        let s = self.settings();
        let value = match name {
            "omnigraph.branch" => Some(s.branch),
            "omnigraph.as_of" => s.as_of,
            "omnigraph.commit_message" => s.commit_message,
            "omnigraph.max_write_rows" => Some(s.max_write_rows.to_string()),
            "omnigraph.auto_optimize" => Some(crate::access_mode::on_off(s.auto_optimize)),
            "omnigraph.auto_optimize_fragments" => Some(s.auto_optimize_fragments.to_string()),
            "omnigraph.statement_memory_limit" => {
                Some(crate::memory::show_memory(s.statement_memory_limit))
            }
            name if is_access_mode_setting(name) => Some(self.show_access_mode(name)),
            name => match search_knob(&mut s.clone(), name) {
                Some(n) => Some(n.to_string()),
                None => return Err(unknown_setting(name)),
            },
        };
        let schema = show_schema(name);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![value]))],
        )
        .map_err(|e| SqlError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(StatementResult {
            schema,
            batches: vec![batch],
            tag: "SHOW".to_string(),
            notices: vec![],
        })
    }

    /// `RESET omnigraph.name`.
    pub(crate) fn reset_graph_setting(&self, name: &str) -> Result<StatementResult> {
        if self.in_transaction() && matches!(name, "omnigraph.branch" | "omnigraph.as_of") {
            return Err(fixed_in_transaction(name));
        }
        let graph = self.graph_context();
        match name {
            "omnigraph.branch" => graph.update_settings(|s| s.branch = MAIN_BRANCH.to_string()),
            "omnigraph.as_of" => graph.update_settings(|s| s.as_of = None),
            "omnigraph.commit_message" => graph.update_settings(|s| s.commit_message = None),
            "omnigraph.max_write_rows" => {
                graph.update_settings(|s| s.max_write_rows = DEFAULT_MAX_WRITE_ROWS)
            }
            "omnigraph.auto_optimize" => graph.update_settings(|s| s.auto_optimize = true),
            "omnigraph.auto_optimize_fragments" => graph
                .update_settings(|s| s.auto_optimize_fragments = DEFAULT_AUTO_OPTIMIZE_FRAGMENTS),
            "omnigraph.statement_memory_limit" => {
                graph
                    .update_settings(|s| s.statement_memory_limit = DEFAULT_STATEMENT_MEMORY_LIMIT);
                self.apply_memory_limit(DEFAULT_STATEMENT_MEMORY_LIMIT);
            }
            name if is_access_mode_setting(name) => self.set_access_mode(name, "off")?,
            name if search_knob(&mut SessionSettings::default(), name).is_some() => graph
                .update_settings(|s| {
                    *search_knob(s, name).expect("matched a knob") = 0;
                }),
            other => return Err(unknown_setting(other)),
        }
        Ok(StatementResult::command("RESET"))
    }
}
