//! Window functions as PostgreSQL refuses their arguments: `ntile` of zero or fewer
//! buckets is 22014 (DataFusion's is an untyped execution error).

use std::sync::Arc;

use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{
    ExpressionArgs, PartitionEvaluatorArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::{
    Documentation, LimitEffect, PartitionEvaluator, ReversedUDWF, Signature, WindowUDF,
    WindowUDFImpl,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;

use super::errors::FunctionError;

/// The window functions, to register over DataFusion's.
pub fn window_functions() -> Vec<WindowUDF> {
    vec![WindowUDF::new_from_impl(Ntile {
        inner: datafusion::functions_window::ntile::ntile_udwf(),
    })]
}

/// DataFusion's `ntile`, refusing a literal bucket count below one first.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Ntile {
    inner: Arc<WindowUDF>,
}

fn check_buckets(args: &[Arc<dyn PhysicalExpr>]) -> Result<()> {
    let Some(literal) = args.first().and_then(|a| a.downcast_ref::<Literal>()) else {
        return Ok(());
    };
    let value = literal.value();
    if value.is_null() || !value.data_type().is_integer() {
        return Ok(());
    }
    match value.cast_to(&DataType::Int64)? {
        ScalarValue::Int64(Some(n)) if n <= 0 => Err(FunctionError::NtileNotPositive.into()),
        _ => Ok(()),
    }
}

impl WindowUDFImpl for Ntile {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn expressions(&self, expr_args: ExpressionArgs) -> Vec<Arc<dyn PhysicalExpr>> {
        self.inner.expressions(expr_args)
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        check_buckets(args.input_exprs())?;
        self.inner.partition_evaluator_factory(args)
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        self.inner.field(field_args)
    }

    fn sort_options(&self) -> Option<SortOptions> {
        self.inner.sort_options()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn reverse_expr(&self) -> ReversedUDWF {
        ReversedUDWF::NotSupported
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn limit_effect(&self, args: &[Arc<dyn PhysicalExpr>]) -> LimitEffect {
        self.inner.inner().limit_effect(args)
    }
}
