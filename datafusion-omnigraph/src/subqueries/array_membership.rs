//! `x = ANY (array)` with PostgreSQL's NULL rules. DataFusion plans it as `array_has`,
//! which answers false when no element equals `x`, where PostgreSQL answers NULL if an
//! element is null (`1 = ANY (ARRAY[2, NULL])`). The other quantified array comparisons
//! are planned by DataFusion with the NULL rules, or rewritten into them before planning.
//!
//! A condition of `WHERE` is left as it is: there NULL and false both drop the row, and
//! `array_has` of a constant array becomes an `IN` list the scan can use.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::{conjunction, split_conjunction_owned};
use datafusion::logical_expr::{
    ColumnarValue, Expr, Filter, LogicalPlan, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility, lit, when,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::counts::null_boolean;

#[derive(Debug, Default)]
pub struct ArrayMembership;

impl AnalyzerRule for ArrayMembership {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Filter(filter) => {
                let conditions = split_conjunction_owned(filter.predicate.clone())
                    .into_iter()
                    .map(|condition| match is_array_has(&condition) {
                        true => Ok(Transformed::no(condition)),
                        false => condition.transform_up(three_valued),
                    })
                    .collect::<Result<Vec<_>>>()?;
                if !conditions.iter().any(|c| c.transformed) {
                    return Ok(Transformed::no(LogicalPlan::Filter(filter)));
                }
                let predicate = conjunction(conditions.into_iter().map(|c| c.data))
                    .unwrap_or_else(|| lit(true));
                Filter::try_new(predicate, filter.input)
                    .map(|f| Transformed::yes(LogicalPlan::Filter(f)))
            }
            other => {
                let names = NamePreserver::new(&other);
                let rewritten = other.map_expressions(|expr| {
                    let name = names.save(&expr);
                    Ok(expr
                        .transform_up(three_valued)?
                        .update_data(|e| name.restore(e)))
                })?;
                match rewritten.transformed {
                    true => rewritten.map_data(|plan| plan.recompute_schema()),
                    false => Ok(rewritten),
                }
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_array_membership"
    }
}

fn is_array_has(expr: &Expr) -> bool {
    matches!(expr, Expr::ScalarFunction(f) if f.name() == "array_has" && f.args.len() == 2)
}

/// `array_has(a, x)` as `array_has(a, x) OR (NULL if a has a null element else false)`:
/// true when an element equals `x`, NULL when none does but one is null.
fn three_valued(expr: Expr) -> Result<Transformed<Expr>> {
    if !is_array_has(&expr) {
        return Ok(Transformed::no(expr));
    }
    let Expr::ScalarFunction(ScalarFunction { args, .. }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let has_null = Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(ScalarUDF::new_from_impl(ArrayHasNull {
            signature: Signature::any(1, Volatility::Immutable),
        })),
        vec![args[0].clone()],
    ));
    let unknown = when(has_null, null_boolean()).otherwise(lit(false))?;
    Ok(Transformed::yes(expr.or(unknown)))
}

/// Whether an array has a null element (NULL for a null array).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayHasNull {
    signature: Signature,
}

impl ScalarUDFImpl for ArrayHasNull {
    fn name(&self) -> &str {
        "array_has_null"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::AsArray;
        let [value] = args.args.as_slice() else {
            return exec_err!("array_has_null takes one argument");
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let arrays = value.to_array(args.number_rows.max(1))?;
        let element_nulls = |row: usize| match arrays.data_type() {
            DataType::List(_) => arrays.as_list::<i32>().value(row).null_count() > 0,
            DataType::LargeList(_) => arrays.as_list::<i64>().value(row).null_count() > 0,
            DataType::FixedSizeList(..) => arrays.as_fixed_size_list().value(row).null_count() > 0,
            _ => false,
        };
        let out: BooleanArray = (0..arrays.len())
            .map(|row| (!arrays.is_null(row)).then(|| element_nulls(row)))
            .collect();
        let out: Arc<dyn Array> = Arc::new(out);
        Ok(match scalar {
            true => ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?),
            false => ColumnarValue::Array(out),
        })
    }
}
