//! `pg_typeof(expr)`: the PostgreSQL type of its argument, as `regtype` (sent as the
//! type's name; see [`crate::pg_type`]).
//!
//! The answer depends on the argument's type before constant folding (`'a' || 1` is
//! `text`, the literal it folds to would be `unknown`), so an analyzer rule that runs
//! after type coercion replaces each call by its answer. The function itself only
//! answers calls planned without that rule.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, LogicalPlan, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::postgres_type_name;
use crate::expression_rewrite::rewrite_expressions;
use crate::pg_type::{PG_TYPE_KEY, with_pg_type};

pub const NAME: &str = "pg_typeof";

/// The type of an untyped string literal or NULL in PostgreSQL.
const UNKNOWN: &str = "unknown";

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgTypeof {
    signature: Signature,
}

pub fn pg_typeof() -> ScalarUDF {
    ScalarUDF::new_from_impl(PgTypeof {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

fn regtype_metadata() -> FieldMetadata {
    FieldMetadata::from(HashMap::from([(
        PG_TYPE_KEY.to_string(),
        "regtype".to_string(),
    )]))
}

impl ScalarUDFImpl for PgTypeof {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(with_pg_type(
            Field::new(NAME, DataType::Utf8, false),
            "regtype",
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(field) = args.arg_fields.first() else {
            return exec_err!("pg_typeof takes one argument");
        };
        let name = postgres_type_name(field).unwrap_or_else(|| UNKNOWN.to_string());
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name))))
    }
}

/// The PostgreSQL type name of `arg`: `unknown` for a string literal or NULL, whose
/// type PostgreSQL leaves open.
fn type_of(arg: &Expr, schema: &datafusion::common::DFSchema) -> Result<String> {
    if let Expr::Literal(ScalarValue::Utf8(_) | ScalarValue::Null, _) = arg {
        return Ok(UNKNOWN.to_string());
    }
    let (_, field) = arg.to_field(schema)?;
    Ok(postgres_type_name(&field).unwrap_or_else(|| UNKNOWN.to_string()))
}

/// Replaces `pg_typeof(x)` by the name of `x`'s type.
#[derive(Debug, Default)]
pub struct ResolvePgTypeof;

impl AnalyzerRule for ResolvePgTypeof {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        rewrite_expressions(plan, |e, schema| match e {
            Expr::ScalarFunction(f) if f.name() == NAME && f.args.len() == 1 => {
                let type_name = type_of(&f.args[0], schema)?;
                Ok(Transformed::yes(Expr::Literal(
                    ScalarValue::Utf8(Some(type_name)),
                    Some(regtype_metadata()),
                )))
            }
            other => Ok(Transformed::no(other)),
        })
    }

    fn name(&self) -> &str {
        "resolve_pg_typeof"
    }
}
