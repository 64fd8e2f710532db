//! `bitwise_not(x)`: PostgreSQL's prefix `~` on integers (the SQL layer plans `~x` as
//! this call), keeping the operand's type as `int2not`/`int4not`/`int8not` do.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::kernels::bitwise;
use datafusion::arrow::datatypes::{DataType, Int8Type, Int16Type, Int32Type, Int64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::registry::result;

pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(BitwiseNot {
        signature: Signature::user_defined(Volatility::Immutable),
    })]
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct BitwiseNot {
    signature: Signature,
}

impl ScalarUDFImpl for BitwiseNot {
    fn name(&self) -> &str {
        "bitwise_not"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t @ (DataType::Int16 | DataType::Int32 | DataType::Int64)] => Ok(vec![t.clone()]),
            [DataType::Int8 | DataType::UInt8] => Ok(vec![DataType::Int16]),
            [DataType::UInt16] => Ok(vec![DataType::Int32]),
            [DataType::UInt32 | DataType::UInt64 | DataType::Null] => Ok(vec![DataType::Int64]),
            [t] => plan_err!("operator does not exist: ~ {t}"),
            _ => plan_err!("~ takes one operand"),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = args.args[0].to_array(args.number_rows)?;
        let out: ArrayRef = match values.data_type() {
            DataType::Int8 => Arc::new(bitwise::bitwise_not(values.as_primitive::<Int8Type>())?),
            DataType::Int16 => Arc::new(bitwise::bitwise_not(values.as_primitive::<Int16Type>())?),
            DataType::Int32 => Arc::new(bitwise::bitwise_not(values.as_primitive::<Int32Type>())?),
            DataType::Int64 => Arc::new(bitwise::bitwise_not(values.as_primitive::<Int64Type>())?),
            other => return plan_err!("operator does not exist: ~ {other}"),
        };
        result(&args.args, out)
    }
}
