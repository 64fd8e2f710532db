//! `text_match(column, query [, mode])` and `text_score(column, query [, mode])`: full-text
//! search as a predicate and a score. `WHERE text_match(body, 'graph database')` keeps the
//! rows whose `body` matches on its inverted index, and `text_score(body, 'graph
//! database')` is their BM25 score, for `SELECT` and `ORDER BY`. Neither is computed row
//! by row: [`crate::text_scan::FullTextScans`] answers them with one search of the index,
//! so `text_match` must be a condition of a `WHERE` (alone or joined by `AND`) on one
//! graph table's column, with a constant query, and `text_score` needs that `text_match`
//! (same column, query and mode). Anywhere else calling them is an error (0A000).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::errors::FunctionError;
use crate::error::to_df;

pub const MATCH: &str = "text_match";
pub const SCORE: &str = "text_score";

pub fn functions() -> Vec<ScalarUDF> {
    [(MATCH, DataType::Boolean), (SCORE, DataType::Float64)]
        .into_iter()
        .map(|(name, returns)| {
            ScalarUDF::new_from_impl(TextPredicate {
                name,
                returns,
                signature: Signature::user_defined(Volatility::Immutable),
            })
        })
        .collect()
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TextPredicate {
    name: &'static str,
    returns: DataType,
    signature: Signature,
}

impl ScalarUDFImpl for TextPredicate {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Text keeps its type (a cast would hide the column from the search rewrite);
        // anything else is refused by name in `return_type`.
        Ok(arg_types
            .iter()
            .map(|t| {
                if t == &DataType::Null {
                    DataType::Utf8
                } else {
                    t.clone()
                }
            })
            .collect())
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !(2..=3).contains(&arg_types.len()) || !arg_types.iter().all(is_text) {
            let types: Vec<String> = arg_types.iter().map(ToString::to_string).collect();
            return Err(FunctionError::UndefinedFunction(format!(
                "{}({})",
                self.name,
                types.join(", ")
            ))
            .into());
        }
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // A NULL query matches nothing, as NULL compares.
        if let Some(ColumnarValue::Scalar(query)) = args.args.get(1)
            && query.is_null()
        {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(&self.returns)?));
        }
        let what = if self.name == MATCH {
            "text_match() is answered by the column's full-text index: use it as a condition of WHERE (alone or joined by AND) on a column of one table, with a constant query"
        } else {
            "text_score() is the score of a text_match() on the same column, query and mode in the WHERE of the same table"
        };
        Err(to_df(omnigraph_engine::Error::NotSupported(what.into())))
    }
}
