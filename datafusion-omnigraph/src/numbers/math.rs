//! DataFusion's math functions, checked as PostgreSQL checks them: `sqrt` of a negative
//! number, the logarithm of zero or of a negative number, `abs` of the smallest integer,
//! `exp`/`power` overflowing, `power` of zero to a negative power or of a negative number
//! to a fractional one, and `round`/`trunc` to more places than an `integer` holds are
//! errors, not NaN, infinity or an internal error.
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
    Power,
    DecimalPlaces,
}

const CHECKED: &[(&str, Check)] = &[
    ("sqrt", Check::SquareRoot),
    ("ln", Check::Logarithm),
    ("log", Check::Logarithm),
    ("log10", Check::Logarithm),
    ("log2", Check::Logarithm),
    ("abs", Check::AbsoluteValue),
    ("exp", Check::FiniteResult),
    ("power", Check::Power),
    ("round", Check::DecimalPlaces),
    ("trunc", Check::DecimalPlaces),
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

/// `round(x, n)` and `trunc(x, n)` take `n` as an `integer`: 22003 past its range.
fn check_decimal_places(places: &ColumnarValue) -> Result<()> {
    let places = places.to_array(1)?;
    if !places.data_type().is_integer() {
        return Ok(());
    }
    let places = cast(&places, &DataType::Int64)?;
    let outside = places
        .as_primitive::<Int64Type>()
        .iter()
        .flatten()
        .any(|n| i32::try_from(n).is_err());
    match outside {
        true => Err(NumericError::IntegerOutOfRange(IntegerType::Integer).into()),
        false => Ok(()),
    }
}

/// `power(0, y)` with `y < 0`, and `power(x, y)` with `x < 0` and `y` not a whole
/// number: 2201F, as in PostgreSQL.
fn check_power(args: &[ColumnarValue]) -> Result<()> {
    let [base, exponent] = args else {
        return Ok(());
    };
    let (Some(bases), Some(exponents)) = (as_floats(base)?, as_floats(exponent)?) else {
        return Ok(());
    };
    let rows = bases.len().max(exponents.len());
    let (bases, exponents) = (
        bases.as_primitive::<Float64Type>(),
        exponents.as_primitive::<Float64Type>(),
    );
    let at = |values: &datafusion::arrow::array::Float64Array, row: usize| {
        let row = if values.len() == 1 { 0 } else { row };
        values.is_valid(row).then(|| values.value(row))
    };
    for row in 0..rows {
        let (Some(x), Some(y)) = (at(bases, row), at(exponents, row)) else {
            continue;
        };
        if x == 0.0 && y < 0.0 {
            return Err(NumericError::ZeroToNegativePower.into());
        }
        if x < 0.0 && y.is_finite() && y.fract() != 0.0 {
            return Err(NumericError::NegativeToFractionalPower.into());
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
        // A constant number of places decides the result's type, so it is checked here,
        // before DataFusion's `round` refuses it as an internal error.
        if self.check == Check::DecimalPlaces
            && let Some(Some(places)) = args.scalar_arguments.get(1)
        {
            check_decimal_places(&ColumnarValue::Scalar((*places).clone()))?;
        }
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
            Check::Power => check_power(&args.args)?,
            Check::DecimalPlaces => {
                if let Some(places) = args.args.get(1) {
                    check_decimal_places(places)?
                }
            }
            Check::FiniteResult => {}
        }
        if !matches!(self.check, Check::FiniteResult | Check::Power) {
            return self.inner.invoke_with_args(args);
        }
        let arguments = args.args.clone();
        let result = self.inner.invoke_with_args(args)?;
        check_finite_result(&arguments, &result)?;
        Ok(result)
    }
}
