//! datafusion-pg-catalog functions that read their arguments as `Utf8` arrays only.

use std::sync::Arc;

use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result as DFResult;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

/// Functions that panic on a text argument of another Arrow string type: `parse_ident`,
/// which `'name'::regclass` becomes, gets a `Utf8View` in a `PREPARE`d statement (pg_dump
/// prepares one such).
pub const UTF8_ONLY: [&str; 1] = ["parse_ident"];

/// `udf` with its string arguments cast to `Utf8` before it reads them.
pub fn with_utf8_arguments(udf: ScalarUDF) -> ScalarUDF {
    ScalarUDF::new_from_impl(Utf8Arguments { inner: udf })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Utf8Arguments {
    inner: ScalarUDF,
}

fn is_other_string(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8View | DataType::LargeUtf8)
}

impl ScalarUDFImpl for Utf8Arguments {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> DFResult<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DFResult<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        for (arg, field) in args.args.iter_mut().zip(args.arg_fields.iter_mut()) {
            if is_other_string(&arg.data_type()) {
                *arg = match arg {
                    ColumnarValue::Array(array) => {
                        ColumnarValue::Array(cast(array, &DataType::Utf8)?)
                    }
                    ColumnarValue::Scalar(scalar) => {
                        ColumnarValue::Scalar(scalar.cast_to(&DataType::Utf8)?)
                    }
                };
                *field = Arc::new(field.as_ref().clone().with_data_type(DataType::Utf8));
            }
        }
        self.inner.invoke_with_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> DFResult<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }
}
