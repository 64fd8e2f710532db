//! Scalar subqueries (`SELECT (SELECT name FROM company)`) as PostgreSQL answers them:
//! a subquery with no rows is NULL, one with more than one row fails with 21000
//! cardinality_violation.
//!
//! DataFusion types the value as nullable only when the subquery's column is, so a
//! subquery of a `NOT NULL` column with no rows fails while building the result; and it
//! refuses more rows with an untyped execution error. For an uncorrelated subquery the
//! rule numbers its rows and reads its column through [`SingleValue`], which is nullable
//! and refuses a second row with [`SubqueryError::MoreThanOneRow`]. Correlated ones are
//! left to DataFusion's decorrelation, which joins them (nullable already).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, UInt64Type};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result, exec_err};
use datafusion::error::DataFusionError;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Subquery, Volatility,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

/// What PostgreSQL refuses about a subquery's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubqueryError {
    /// 21000: a subquery used as a value has more than one row.
    MoreThanOneRow,
}

impl fmt::Display for SubqueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubqueryError::MoreThanOneRow => {
                f.write_str("more than one row returned by a subquery used as an expression")
            }
        }
    }
}

impl std::error::Error for SubqueryError {}

impl From<SubqueryError> for DataFusionError {
    fn from(err: SubqueryError) -> Self {
        DataFusionError::External(Box::new(err))
    }
}

#[derive(Debug, Default)]
pub struct ScalarSubqueryValues;

impl AnalyzerRule for ScalarSubqueryValues {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let name = names.save(&expr);
                let rewritten = expr.transform_up(|expr| match expr {
                    Expr::ScalarSubquery(subquery) if is_uncorrelated(&subquery) => {
                        single_value(subquery).map(|s| Transformed::yes(Expr::ScalarSubquery(s)))
                    }
                    other => Ok(Transformed::no(other)),
                })?;
                Ok(rewritten.update_data(|e| name.restore(e)))
            })?;
            match rewritten.transformed {
                true => rewritten.map_data(|plan| plan.recompute_schema()),
                false => Ok(rewritten),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_scalar_subquery_values"
    }
}

fn is_uncorrelated(subquery: &Subquery) -> bool {
    subquery.outer_ref_columns.is_empty() && !subquery.subquery.contains_outer_reference()
}

/// `subquery` with its one column read through [`SingleValue`], with the rows numbered
/// unless the plan has at most one row anyway.
fn single_value(subquery: Subquery) -> Result<Subquery> {
    let plan = subquery.subquery.as_ref().clone();
    if plan.schema().fields().len() != 1 {
        return Ok(subquery);
    }
    let (qualifier, field) = plan.schema().qualified_field(0);
    let name = field.name().clone();
    let value = Expr::Column(Column::new(qualifier.cloned(), name.clone()));
    let at_most_one = plan.max_rows().is_some_and(|n| n <= 1);
    if at_most_one && field.is_nullable() {
        return Ok(subquery);
    }
    let (input, args) = match at_most_one {
        true => (plan, vec![value]),
        false => {
            let position = row_number();
            let position_column =
                Expr::Column(Column::from_name(position.schema_name().to_string()));
            let numbered = LogicalPlanBuilder::from(plan)
                .window(vec![position])?
                .build()?;
            (numbered, vec![value, position_column])
        }
    };
    let udf = Arc::new(ScalarUDF::new_from_impl(SingleValue {
        signature: Signature::any(args.len(), Volatility::Immutable),
    }));
    let read = Expr::ScalarFunction(ScalarFunction::new_udf(udf, args)).alias(name);
    let plan = LogicalPlanBuilder::from(input)
        .project(vec![read])?
        .build()?;
    Ok(Subquery {
        subquery: Arc::new(plan),
        ..subquery
    })
}

/// A scalar subquery's value, nullable; given the row numbers too, it refuses a row
/// past the first.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SingleValue {
    signature: Signature,
}

impl ScalarUDFImpl for SingleValue {
    fn name(&self) -> &str {
        "scalar_subquery_value"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => exec_err!("scalar_subquery_value takes a value"),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let Some(value) = args.arg_fields.first() else {
            return exec_err!("scalar_subquery_value takes a value");
        };
        Ok(Arc::new(
            Field::new(self.name(), value.data_type().clone(), true)
                .with_metadata(value.metadata().clone()),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if let Some(position) = args.args.get(1) {
            let positions = position.to_array(args.number_rows)?;
            let past_first = match positions.data_type() {
                DataType::UInt64 => positions
                    .as_primitive::<UInt64Type>()
                    .iter()
                    .any(|p| p.is_some_and(|p| p > 1)),
                DataType::Int64 => positions
                    .as_primitive::<Int64Type>()
                    .iter()
                    .any(|p| p.is_some_and(|p| p > 1)),
                _ => positions.len() > 1,
            };
            if past_first {
                return Err(SubqueryError::MoreThanOneRow.into());
            }
        }
        match args.args.first() {
            Some(value) => Ok(value.clone()),
            None => exec_err!("scalar_subquery_value takes a value"),
        }
    }
}
