//! DataFusion's math functions, checked as PostgreSQL checks them: `sqrt` of a negative
//! number, the logarithm of zero or of a negative number, `abs` of the smallest integer
//! and `exp`/`power` overflowing are errors, not NaN, infinity or an internal error.
//! Each checked function keeps its name, signature and implementation.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int16Type, Int32Type, Int64Type};
use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};
use datafusion::prelude::SessionContext;

use super::{IntegerType, NumericError};

/// What PostgreSQL refuses for a function.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Check {
    SquareRoot,
    Logarithm,
    AbsoluteValue,
    FiniteResult,
}

const CHECKED: &[(&str, Check)] = &[
    ("sqrt", Check::SquareRoot),
    ("ln", Check::Logarithm),
    ("log", Check::Logarithm),
    ("log10", Check::Logarithm),
    ("log2", Check::Logarithm),
    ("abs", Check::AbsoluteValue),
    ("exp", Check::FiniteResult),
    ("power", Check::FiniteResult),
];

/// The checked versions of the context's math functions, to register over them.
pub fn checked_functions(ctx: &SessionContext) -> Result<Vec<ScalarUDF>> {
    let mut out = Vec::new();
    for (name, check) in CHECKED {
        if let Ok(inner) = ctx.udf(name) {
            out.push(ScalarUDF::new_from_impl(CheckedFunction {
                inner,
                check: *check,
            }));
        }
    }
    Ok(out)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedFunction {
    inner: Arc<ScalarUDF>,
    check: Check,
}

/// The numeric argument as floats, to compare with zero.
fn as_floats(value: &ColumnarValue) -> Result<Option<ArrayRef>> {
    let array = value.to_array(1)?;
    if !array.data_type().is_numeric() {
        return Ok(None);
    }
    Ok(Some(cast(&array, &DataType::Float64)?))
}

fn check_logarithm_or_root(check: Check, args: &[ColumnarValue]) -> Result<()> {
    for arg in args {
        let Some(values) = as_floats(arg)? else {
            continue;
        };
        for v in values.as_primitive::<Float64Type>().iter().flatten() {
            match check {
                Check::SquareRoot if v < 0.0 => {
                    return Err(NumericError::SquareRootOfNegative.into());
                }
                Check::Logarithm if v == 0.0 => return Err(NumericError::LogarithmOfZero.into()),
                Check::Logarithm if v < 0.0 => {
                    return Err(NumericError::LogarithmOfNegative.into());
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn check_absolute_value(args: &[ColumnarValue]) -> Result<()> {
    let Some(arg) = args.first() else {
        return Ok(());
    };
    let array = arg.to_array(1)?;
    let Some(integer) = IntegerType::of(array.data_type()) else {
        return Ok(());
    };
    let smallest = match array.data_type() {
        DataType::Int16 => array
            .as_primitive::<Int16Type>()
            .iter()
            .flatten()
            .any(|v| v == i16::MIN),
        DataType::Int32 => array
            .as_primitive::<Int32Type>()
            .iter()
            .flatten()
            .any(|v| v == i32::MIN),
        _ => array
            .as_primitive::<Int64Type>()
            .iter()
            .flatten()
            .any(|v| v == i64::MIN),
    };
    if smallest {
        return Err(NumericError::IntegerOutOfRange(integer).into());
    }
    Ok(())
}

/// Infinity from finite arguments is an overflow.
fn check_finite_result(args: &[ColumnarValue], result: &ColumnarValue) -> Result<()> {
    let Some(result) = as_floats(result)? else {
        return Ok(());
    };
    let result = result.as_primitive::<Float64Type>();
    let args = args
        .iter()
        .map(|a| as_floats(a).map(|f| f.map(|f| (f.len(), f))))
        .collect::<Result<Vec<_>>>()?;
    for i in 0..result.len() {
        if result.is_null(i) || !result.value(i).is_infinite() {
            continue;
        }
        let finite_args = args.iter().flatten().all(|(len, values)| {
            let row = if *len == 1 { 0 } else { i };
            values.as_primitive::<Float64Type>().value(row).is_finite()
        });
        if finite_args {
            return Err(NumericError::FloatOverflow.into());
        }
    }
    Ok(())
}

impl ScalarUDFImpl for CheckedFunction {
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
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match self.check {
            Check::SquareRoot | Check::Logarithm => {
                check_logarithm_or_root(self.check, &args.args)?
            }
            Check::AbsoluteValue => check_absolute_value(&args.args)?,
            Check::FiniteResult => {}
        }
        if self.check != Check::FiniteResult {
            return self.inner.invoke_with_args(args);
        }
        let arguments = args.args.clone();
        let result = self.inner.invoke_with_args(args)?;
        check_finite_result(&arguments, &result)?;
        Ok(result)
    }
}
