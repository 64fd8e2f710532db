//! Installing PostgreSQL's versions of functions over DataFusion's.
//!
//! A session's function registry maps every name *and alias* of a function to it.
//! Registering an override under a name leaves the replaced function reachable under its
//! aliases (DataFusion's `to_char` stays as `date_format`), and a state rebuilt from the
//! registry (`SessionStateBuilder::new_from_existing`, which datafusion-pg-catalog's
//! setup does) registers every function again in hash-map order: the stale one then
//! takes its name back in some processes and not in others. So an override first removes
//! the function it replaces with all its aliases, and the registry holds one function per
//! name.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// Registers `udfs` in `ctx`, each in place of the function of the same name (and of
/// every alias of that function), so that no replaced function is left to come back.
pub fn register_overrides(ctx: &SessionContext, udfs: impl IntoIterator<Item = ScalarUDF>) {
    for udf in udfs {
        ctx.deregister_udf(udf.name());
        for alias in udf.aliases() {
            ctx.deregister_udf(alias);
        }
        ctx.register_udf(udf);
    }
}

/// A DataFusion function under PostgreSQL's name for it (`array_remove_all` answers as
/// `array_remove`, `signum` as `sign`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Renamed {
    name: &'static str,
    inner: Arc<ScalarUDF>,
}

impl Renamed {
    pub fn udf(name: &'static str, inner: Arc<ScalarUDF>) -> ScalarUDF {
        ScalarUDF::new_from_impl(Renamed { name, inner })
    }
}

impl ScalarUDFImpl for Renamed {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.inner().coerce_types(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.inner().documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }
}

/// What a [`Guarded`] function checks its arguments for.
pub trait Guard:
    std::fmt::Debug + PartialEq + Eq + std::hash::Hash + Send + Sync + 'static
{
    fn check(&self, args: &[ColumnarValue]) -> Result<()>;
}

/// A DataFusion function that first refuses, as PostgreSQL does, arguments it would
/// answer differently (`chr(0)`, `substr` with a negative length).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Guarded<G: Guard> {
    inner: Arc<ScalarUDF>,
    guard: G,
}

impl<G: Guard> Guarded<G> {
    pub fn udf(inner: Arc<ScalarUDF>, guard: G) -> ScalarUDF {
        ScalarUDF::new_from_impl(Guarded { inner, guard })
    }
}

impl<G: Guard> ScalarUDFImpl for Guarded<G> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.inner().coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.inner().documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.guard.check(&args.args)?;
        self.inner.invoke_with_args(args)
    }
}

/// The rows of a function's result: `values`, as a scalar when every argument was one.
pub(crate) fn result(
    args: &[ColumnarValue],
    values: datafusion::arrow::array::ArrayRef,
) -> Result<ColumnarValue> {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        return Ok(ColumnarValue::Scalar(
            datafusion::common::ScalarValue::try_from_array(&values, 0)?,
        ));
    }
    Ok(ColumnarValue::Array(values))
}

/// Argument `index` as an array of `rows` values of `data_type`.
pub(crate) fn argument(
    args: &ScalarFunctionArgs,
    index: usize,
    data_type: &DataType,
) -> Result<datafusion::arrow::array::ArrayRef> {
    let Some(value) = args.args.get(index) else {
        return datafusion::common::exec_err!("missing argument {}", index + 1);
    };
    Ok(datafusion::arrow::compute::cast(
        &value.to_array(args.number_rows)?,
        data_type,
    )?)
}
