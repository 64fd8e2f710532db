//! `EXPLAIN` as PostgreSQL answers it: one `QUERY PLAN` column, a row per line of the
//! plan (`FORMAT JSON`: one `json` row). PostgreSQL's option list `EXPLAIN (ANALYZE,
//! VERBOSE, COSTS OFF, BUFFERS, FORMAT JSON, ...) statement` is parsed here; DataFusion
//! plans the statement and produces the plan text. As in PostgreSQL, `EXPLAIN` runs
//! nothing and `EXPLAIN ANALYZE` runs the statement: a write commits (or, in a
//! transaction, stays in it) exactly as the statement alone would.

use std::sync::Arc;

use datafusion::arrow::array::{Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::{DFParser, ExplainStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::Token;
use datafusion_omnigraph::pg_type::with_pg_type;

use crate::error::{ErrorKind, Result, SqlError};
use crate::result::StatementResult;

/// How the plan is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// The one column `EXPLAIN` answers with.
pub fn query_plan_schema(format: ExplainFormat) -> SchemaRef {
    let field = Field::new("QUERY PLAN", DataType::Utf8, false);
    let field = match format {
        ExplainFormat::Text => field,
        ExplainFormat::Json => with_pg_type(field, "json"),
    };
    Arc::new(Schema::new(vec![field]))
}

/// Whether the parser stands at `EXPLAIN (`, PostgreSQL's option list.
pub(crate) fn at_option_list(parser: &DFParser) -> bool {
    let p = &parser.parser;
    matches!(&p.peek_nth_token_ref(0).token, Token::Word(w) if w.keyword == Keyword::EXPLAIN)
        && p.peek_nth_token_ref(1).token == Token::LParen
}

fn syntax(message: String) -> SqlError {
    SqlError::new(ErrorKind::Syntax, message)
}

/// An option's boolean value: omitted (true), `TRUE`/`FALSE`, `ON`/`OFF`, `1`/`0`.
fn boolean_value(parser: &mut DFParser, option: &str) -> Result<bool> {
    let token = parser.parser.peek_token();
    let value = match &token.token {
        Token::Comma | Token::RParen => return Ok(true),
        Token::Word(w) => w.value.to_ascii_lowercase(),
        Token::Number(n, _) => n.clone(),
        Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
        other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
    };
    parser.parser.next_token();
    match value.as_str() {
        "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(SqlError::new(
            ErrorKind::InvalidParameter,
            format!("{option} requires a Boolean value"),
        )),
    }
}

/// Parses `EXPLAIN (option [value], ...) statement`.
pub(crate) fn parse_option_list(parser: &mut DFParser) -> Result<(DFStatement, ExplainFormat)> {
    parser.parser.next_token(); // EXPLAIN
    parser.parser.next_token(); // (
    let (mut analyze, mut verbose, mut timing) = (false, false, None);
    let mut format = ExplainFormat::Text;
    loop {
        let token = parser.parser.next_token();
        let option = match &token.token {
            Token::Word(w) => w.value.to_ascii_lowercase(),
            other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
        };
        match option.as_str() {
            "analyze" => analyze = boolean_value(parser, &option)?,
            "verbose" => verbose = boolean_value(parser, &option)?,
            "timing" => timing = Some(boolean_value(parser, &option)?),
            // Accepted; our plans have no costs, buffers, WAL or settings to show.
            "costs" | "buffers" | "settings" | "wal" | "summary" => {
                boolean_value(parser, &option)?;
            }
            "format" => {
                let value = parser.parser.next_token();
                let name = match &value.token {
                    Token::Word(w) => w.value.to_ascii_lowercase(),
                    Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
                    other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
                };
                format = match name.as_str() {
                    "text" => ExplainFormat::Text,
                    "json" => ExplainFormat::Json,
                    "xml" | "yaml" => {
                        return Err(SqlError::new(
                            ErrorKind::NotSupported,
                            format!(
                                "EXPLAIN FORMAT {} is not supported (TEXT and JSON are)",
                                name.to_uppercase()
                            ),
                        ));
                    }
                    _ => {
                        return Err(SqlError::new(
                            ErrorKind::InvalidParameter,
                            format!("unrecognized value for EXPLAIN option \"format\": \"{name}\""),
                        ));
                    }
                };
            }
            _ => return Err(syntax(format!("unrecognized EXPLAIN option \"{option}\""))),
        }
        let next = parser.parser.next_token();
        match next.token {
            Token::Comma => continue,
            Token::RParen => break,
            other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
        }
    }
    if timing == Some(true) && !analyze {
        return Err(SqlError::new(
            ErrorKind::InvalidParameter,
            "EXPLAIN option TIMING requires ANALYZE",
        ));
    }
    let statement = parser.parse_statement().map_err(SqlError::from)?;
    let explain = ExplainStatement {
        analyze,
        verbose,
        format: None,
        statement: Box::new(statement),
    };
    Ok((DFStatement::Explain(explain), format))
}

/// The statement an `EXPLAIN` plan explains.
fn explained(plan: &LogicalPlan) -> Option<&LogicalPlan> {
    match plan {
        LogicalPlan::Explain(e) => Some(e.plan.as_ref()),
        LogicalPlan::Analyze(a) => Some(a.input.as_ref()),
        _ => None,
    }
}

/// The lines of DataFusion's `(plan_type, plan)` rows that PostgreSQL would show: the
/// physical plan (with its metrics under `ANALYZE`); with `VERBOSE`, every stage under
/// its name.
fn plan_lines(batches: &[RecordBatch], verbose: bool) -> Vec<String> {
    let mut stages: Vec<(String, String)> = Vec::new();
    for batch in batches {
        let column = |i: usize| {
            batch
                .column(i)
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
        };
        let (Some(kinds), Some(plans)) = (column(0), column(1)) else {
            continue;
        };
        for row in 0..batch.num_rows() {
            if !kinds.is_null(row) && !plans.is_null(row) {
                stages.push((kinds.value(row).to_string(), plans.value(row).to_string()));
            }
        }
    }
    let physical: Vec<&(String, String)> = stages
        .iter()
        .filter(|(kind, _)| kind == "physical_plan")
        .collect();
    let shown: Vec<&(String, String)> = match (verbose, physical.is_empty()) {
        (false, false) => physical,
        _ => stages.iter().collect(),
    };
    let mut lines = Vec::new();
    for (kind, plan) in &shown {
        if verbose && shown.len() > 1 {
            lines.push(format!("{kind}:"));
        }
        let indent = if verbose && shown.len() > 1 { "  " } else { "" };
        lines.extend(
            plan.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("{indent}{}", l.trim_end())),
        );
    }
    lines
}

/// `EXPLAIN`'s answer: `plan` was planned from the statement and `batches` are what
/// running it gave (DataFusion's explain rows).
pub(crate) fn postgres_explain(
    state: &SessionState,
    plan: &LogicalPlan,
    batches: &[RecordBatch],
    format: ExplainFormat,
) -> Result<StatementResult> {
    let verbose = match plan {
        LogicalPlan::Explain(e) => e.verbose,
        LogicalPlan::Analyze(a) => a.verbose,
        _ => false,
    };
    let lines = match (format, explained(plan)) {
        (ExplainFormat::Json, Some(input)) => {
            let optimized = state.optimize(input).ok();
            let shown = optimized.as_ref().unwrap_or(input);
            vec![shown.display_pg_json().to_string()]
        }
        _ => plan_lines(batches, verbose),
    };
    let schema = query_plan_schema(format);
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(lines))])
        .map_err(|e| SqlError::new(ErrorKind::Internal, e.to_string()))?;
    Ok(StatementResult {
        schema,
        batches: vec![batch],
        tag: "EXPLAIN".to_string(),
        notices: vec![],
    })
}
