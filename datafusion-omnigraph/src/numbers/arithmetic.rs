//! `+`, `-`, `*`, `/` (and `%` of floats) of integers and floats, checked as PostgreSQL checks them: an
//! integer result outside its type and a float that overflows (or underflows to zero)
//! from finite operands are errors, and so is a float divided by zero.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Datum};
use datafusion::arrow::compute::kernels::numeric;
use std::ops::{BitAnd, BitXor};

use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
};
use datafusion::arrow::error::ArrowError;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::{IntegerType, NumericError};

/// One checked operator over two operands of the same integer or float type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CheckedArithmetic {
    op: Operator,
    name: &'static str,
    signature: Signature,
}

impl CheckedArithmetic {
    /// The checked function for `op`, if it is one PostgreSQL checks.
    pub fn udf(op: Operator) -> Option<Arc<ScalarUDF>> {
        let name = match op {
            Operator::Plus => "pg_checked_add",
            Operator::Minus => "pg_checked_subtract",
            Operator::Multiply => "pg_checked_multiply",
            Operator::Divide => "pg_checked_divide",
            Operator::Modulo => "pg_checked_modulo",
            _ => return None,
        };
        Some(Arc::new(ScalarUDF::new_from_impl(CheckedArithmetic {
            op,
            name,
            signature: Signature::any(2, Volatility::Immutable),
        })))
    }

    /// Whether operands of `data_type` go through this function.
    pub fn checks(op: Operator, data_type: &DataType) -> bool {
        match data_type {
            DataType::Float32 | DataType::Float64 => {
                matches!(
                    op,
                    Operator::Plus
                        | Operator::Minus
                        | Operator::Multiply
                        | Operator::Divide
                        | Operator::Modulo
                )
            }
            // Integer division overflows only on MIN / -1, which Arrow reports; checked
            // here so the error names the type.
            t if IntegerType::of(t).is_some() => {
                matches!(
                    op,
                    Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide
                )
            }
            _ => false,
        }
    }
}

impl ScalarUDFImpl for CheckedArithmetic {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [left, right] = args.args.as_slice() else {
            return exec_err!("{} takes two arguments", self.name);
        };
        let scalar = matches!(
            (left, right),
            (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_))
        );
        let result = match left.data_type() {
            DataType::Float64 => self.float::<Float64Type>(left, right)?,
            DataType::Float32 => self.float::<Float32Type>(left, right)?,
            t => self.integer(IntegerType::of(&t), left, right)?,
        };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

fn datum(value: &ColumnarValue) -> Result<Box<dyn Datum>> {
    Ok(match value {
        ColumnarValue::Array(a) => Box::new(a.clone()),
        ColumnarValue::Scalar(s) => Box::new(s.to_scalar()?),
    })
}

impl CheckedArithmetic {
    fn kernel(&self, left: &dyn Datum, right: &dyn Datum) -> Result<ArrayRef, ArrowError> {
        match self.op {
            Operator::Plus => numeric::add(left, right),
            Operator::Minus => numeric::sub(left, right),
            Operator::Multiply => numeric::mul(left, right),
            Operator::Modulo => numeric::rem(left, right),
            _ => numeric::div(left, right),
        }
    }

    fn integer(
        &self,
        integer: Option<IntegerType>,
        left: &ColumnarValue,
        right: &ColumnarValue,
    ) -> Result<ArrayRef> {
        if let Some(result) = self.wrapping_sum_without_overflow(left, right)? {
            return Ok(result);
        }
        let (l, r) = (datum(left)?, datum(right)?);
        match self.kernel(l.as_ref(), r.as_ref()) {
            Ok(result) => Ok(result),
            Err(ArrowError::ArithmeticOverflow(_)) if integer.is_some() => {
                Err(NumericError::IntegerOutOfRange(integer.unwrap_or(IntegerType::Bigint)).into())
            }
            Err(ArrowError::DivideByZero) => Err(NumericError::DivisionByZero.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `+` and `-` of null-free integer columns the fast way: Arrow's wrapping kernel,
    /// then one pass of sign tests over the values (an overflow flips the result's sign
    /// against both operands of `+`, or against `a` where `a` and `b` differ for `-`).
    /// `None` when that does not apply or something overflowed: the checked kernel then
    /// decides, and names the error.
    fn wrapping_sum_without_overflow(
        &self,
        left: &ColumnarValue,
        right: &ColumnarValue,
    ) -> Result<Option<ArrayRef>> {
        let rows = match (left, right) {
            (ColumnarValue::Array(a), _) | (_, ColumnarValue::Array(a)) => a.len(),
            _ => return Ok(None),
        };
        let (l, r) = (left.to_array(rows)?, right.to_array(rows)?);
        if l.null_count() > 0 || r.null_count() > 0 {
            return Ok(None);
        }
        let (l, r) = (&l, &r);
        let wrapped = match self.op {
            Operator::Plus => numeric::add_wrapping(l, r)?,
            Operator::Minus => numeric::sub_wrapping(l, r)?,
            _ => return Ok(None),
        };
        let plus = self.op == Operator::Plus;
        let overflowed = match l.data_type() {
            DataType::Int64 => overflowed::<Int64Type>(l, r, &wrapped, plus),
            DataType::Int32 => overflowed::<Int32Type>(l, r, &wrapped, plus),
            DataType::Int16 => overflowed::<Int16Type>(l, r, &wrapped, plus),
            _ => true,
        };
        Ok((!overflowed).then_some(wrapped))
    }

    /// Arrow's float kernels never fail; PostgreSQL's `float8_div`, `float8_mul`, ...
    /// check the result against the operands.
    fn float<T>(&self, left: &ColumnarValue, right: &ColumnarValue) -> Result<ArrayRef>
    where
        T: datafusion::arrow::datatypes::ArrowPrimitiveType,
        T::Native: Into<f64>,
    {
        let rows = match (left, right) {
            (ColumnarValue::Array(a), _) | (_, ColumnarValue::Array(a)) => a.len(),
            _ => 1,
        };
        let (l, r) = (left.to_array(rows)?, right.to_array(rows)?);
        let result = self.kernel(&l, &r)?;
        let (lv, rv, out) = (
            l.as_primitive::<T>(),
            r.as_primitive::<T>(),
            result.as_primitive::<T>(),
        );
        // Most batches hold only finite, nonzero results and no zero divisor: one
        // pass over the raw values (nulls' slots included) clears them.
        let suspicious = |v: &T::Native| {
            let v: f64 = (*v).into();
            !v.is_finite() || v == 0.0
        };
        let divides = matches!(self.op, Operator::Divide | Operator::Modulo);
        let zero_divisor = divides && rv.values().iter().any(|b| Into::<f64>::into(*b) == 0.0);
        if !zero_divisor && !out.values().iter().any(suspicious) {
            return Ok(result);
        }
        for i in 0..rows {
            if out.is_null(i) {
                continue;
            }
            let (a, b, c): (f64, f64, f64) =
                (lv.value(i).into(), rv.value(i).into(), out.value(i).into());
            if divides && b == 0.0 {
                return Err(NumericError::DivisionByZero.into());
            }
            if c.is_infinite() && a.is_finite() && b.is_finite() {
                return Err(NumericError::FloatOverflow.into());
            }
            let vanished = match self.op {
                Operator::Multiply => a != 0.0 && b != 0.0,
                Operator::Divide => a != 0.0 && b.is_finite(),
                _ => false,
            };
            if c == 0.0 && vanished {
                return Err(NumericError::FloatUnderflow.into());
            }
        }
        Ok(result)
    }
}

fn overflowed<T>(left: &ArrayRef, right: &ArrayRef, result: &ArrayRef, plus: bool) -> bool
where
    T: ArrowPrimitiveType,
    T::Native: BitXor<Output = T::Native> + BitAnd<Output = T::Native> + Default + PartialOrd,
{
    let zero = T::Native::default();
    let (a, b, c) = (
        left.as_primitive::<T>().values(),
        right.as_primitive::<T>().values(),
        result.as_primitive::<T>().values(),
    );
    a.iter().zip(b.iter()).zip(c.iter()).any(|((&a, &b), &c)| {
        let flipped = if plus {
            (a ^ c) & (b ^ c)
        } else {
            (a ^ b) & (a ^ c)
        };
        flipped < zero
    })
}
