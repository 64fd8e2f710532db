//! pgvector's vector functions over `Vector(n)` properties (Arrow `FixedSizeList` of
//! `Float32`), float arrays (`ARRAY[1, 2, 3]`) and vector text (`'[1,2,3]'`):
//! `l2_distance` (`<->`), `cosine_distance` (`<=>`), `inner_product`,
//! `vector_negative_inner_product` (`<#>`), `l1_distance` (`<+>`), `vector_dims` and
//! `vector_norm`. Sums are accumulated in `f32` in element order, as pgvector does, so
//! results agree with it to the last bit.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, Float32Array, Float64Array, Int32Array,
    ListArray, OffsetSizeTrait,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float32Type};
use datafusion::common::Result;
use datafusion::common::tree_node::Transformed;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TryCast, Volatility,
};

use super::errors::FunctionError;
use super::registry::result;
use crate::pg_type::{pg_type_of, with_pg_type};

pub fn functions() -> Vec<ScalarUDF> {
    let binary = |name, measure| {
        ScalarUDF::new_from_impl(Distance {
            name,
            measure,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    };
    vec![
        binary("l2_distance", Measure::L2),
        binary("cosine_distance", Measure::Cosine),
        binary("inner_product", Measure::InnerProduct),
        binary(
            "vector_negative_inner_product",
            Measure::NegativeInnerProduct,
        ),
        binary("l1_distance", Measure::L1),
        ScalarUDF::new_from_impl(VectorProperty {
            name: "vector_dims",
            signature: Signature::user_defined(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(VectorProperty {
            name: "vector_norm",
            signature: Signature::user_defined(Volatility::Immutable),
        }),
    ]
}

/// The function a pgvector operator stands for.
pub fn operator_function(operator: &str) -> Option<&'static str> {
    match operator {
        "<->" => Some("l2_distance"),
        "<=>" => Some("cosine_distance"),
        "<#>" => Some("vector_negative_inner_product"),
        "<+>" => Some("l1_distance"),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Measure {
    L2,
    Cosine,
    InnerProduct,
    NegativeInnerProduct,
    L1,
}

impl Measure {
    fn apply(self, a: &[f32], b: &[f32]) -> f64 {
        match self {
            Measure::L2 => {
                let mut sum = 0f32;
                for (x, y) in a.iter().zip(b) {
                    let d = x - y;
                    sum += d * d;
                }
                (sum as f64).sqrt()
            }
            Measure::Cosine => {
                let (mut dot, mut na, mut nb) = (0f32, 0f32, 0f32);
                for (x, y) in a.iter().zip(b) {
                    dot += x * y;
                    na += x * x;
                    nb += y * y;
                }
                let similarity = dot as f64 / ((na as f64) * (nb as f64)).sqrt();
                if similarity.is_nan() {
                    f64::NAN
                } else {
                    1.0 - similarity.clamp(-1.0, 1.0)
                }
            }
            Measure::InnerProduct | Measure::NegativeInnerProduct => {
                let mut dot = 0f32;
                for (x, y) in a.iter().zip(b) {
                    dot += x * y;
                }
                if self == Measure::InnerProduct {
                    dot as f64
                } else {
                    -(dot as f64)
                }
            }
            Measure::L1 => {
                let mut sum = 0f32;
                for (x, y) in a.iter().zip(b) {
                    sum += (x - y).abs();
                }
                sum as f64
            }
        }
    }
}

/// 42883: no function `name` takes `args`.
fn undefined(name: &str, args: &[DataType]) -> datafusion::error::DataFusionError {
    let types: Vec<String> = args.iter().map(|t| t.to_string()).collect();
    FunctionError::UndefinedFunction(format!("{name}({})", types.join(", "))).into()
}

/// What an argument may be: a vector column, a float array, or vector text.
fn accepts(t: &DataType) -> bool {
    match t {
        DataType::FixedSizeList(f, _) | DataType::List(f) | DataType::LargeList(f) => {
            f.data_type().is_numeric() || f.data_type() == &DataType::Null
        }
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => true,
        _ => false,
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Distance {
    name: &'static str,
    measure: Measure,
    signature: Signature,
}

impl ScalarUDFImpl for Distance {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Arguments are taken as they are; `return_type` refuses the wrong ones with a
        // typed error (DataFusion turns a coercion error into text).
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [a, b] if accepts(a) && accepts(b) => Ok(DataType::Float64),
            _ => Err(undefined(self.name, args)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let a = Vectors::of(&args.args[0], rows)?;
        let b = Vectors::of(&args.args[1], rows)?;
        let n = if scalar { 1 } else { rows };
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            out.push(match (a.get(row), b.get(row)) {
                (Some(x), Some(y)) => {
                    if x.len() != y.len() {
                        return Err(
                            FunctionError::DifferentVectorDimensions(x.len(), y.len()).into()
                        );
                    }
                    Some(self.measure.apply(x, y))
                }
                _ => None,
            });
        }
        result(&args.args, Arc::new(Float64Array::from(out)))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct VectorProperty {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for VectorProperty {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [a] if accepts(a) => Ok(if self.name == "vector_dims" {
                DataType::Int32
            } else {
                DataType::Float64
            }),
            _ => Err(undefined(self.name, args)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let v = Vectors::of(&args.args[0], args.number_rows)?;
        let n = if scalar { 1 } else { args.number_rows };
        let array: ArrayRef = if self.name == "vector_dims" {
            Arc::new(Int32Array::from_iter(
                (0..n).map(|row| v.get(row).map(|x| x.len() as i32)),
            ))
        } else {
            Arc::new(Float64Array::from_iter((0..n).map(|row| {
                v.get(row).map(|x| {
                    x.iter()
                        .map(|e| (*e as f64) * (*e as f64))
                        .sum::<f64>()
                        .sqrt()
                })
            })))
        };
        result(&args.args, array)
    }
}

/// An argument's vectors, row by row: the elements as `f32` and where each row's are.
struct Vectors {
    values: Vec<f32>,
    /// Row `i`'s elements are `values[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    nulls: Option<NullBuffer>,
    /// One value for every row.
    scalar: bool,
}

impl Vectors {
    fn of(arg: &ColumnarValue, rows: usize) -> Result<Vectors> {
        match arg {
            ColumnarValue::Scalar(s) => {
                let mut v = Vectors::of_array(&s.to_array_of_size(1)?)?;
                v.scalar = true;
                Ok(v)
            }
            ColumnarValue::Array(a) => {
                debug_assert_eq!(a.len(), rows);
                Vectors::of_array(a)
            }
        }
    }

    fn of_array(array: &ArrayRef) -> Result<Vectors> {
        let nulls = array.logical_nulls();
        match array.data_type() {
            DataType::FixedSizeList(_, dim) => {
                let list = array.as_fixed_size_list();
                let dim = *dim as usize;
                let values = float_values(list.values())?;
                let offsets: Vec<usize> = (0..=list.len())
                    .map(|i| list.value_offset(0) as usize + i * dim)
                    .collect();
                no_null_elements(list.values(), &offsets, nulls.as_ref())?;
                Ok(Vectors {
                    values,
                    offsets,
                    nulls,
                    scalar: false,
                })
            }
            DataType::List(_) => Self::of_list(array.as_list::<i32>(), nulls),
            DataType::LargeList(_) => Self::of_list(array.as_list::<i64>(), nulls),
            DataType::Null => Ok(Vectors {
                values: Vec::new(),
                offsets: vec![0; array.len() + 1],
                nulls: Some(NullBuffer::new_null(array.len())),
                scalar: false,
            }),
            _ => {
                let text = cast(array, &DataType::Utf8)?;
                let text = text.as_string::<i32>();
                let mut values = Vec::new();
                let mut offsets = vec![0];
                for i in 0..text.len() {
                    if text.is_valid(i) {
                        parse_vector(text.value(i), &mut values)?;
                    }
                    offsets.push(values.len());
                }
                Ok(Vectors {
                    values,
                    offsets,
                    nulls,
                    scalar: false,
                })
            }
        }
    }

    fn of_list<O: OffsetSizeTrait>(
        list: &datafusion::arrow::array::GenericListArray<O>,
        nulls: Option<NullBuffer>,
    ) -> Result<Vectors> {
        let offsets: Vec<usize> = list.value_offsets().iter().map(|o| o.as_usize()).collect();
        no_null_elements(list.values(), &offsets, nulls.as_ref())?;
        Ok(Vectors {
            values: float_values(list.values())?,
            offsets,
            nulls,
            scalar: false,
        })
    }

    fn get(&self, row: usize) -> Option<&[f32]> {
        let row = if self.scalar { 0 } else { row };
        if self.nulls.as_ref().is_some_and(|n| n.is_null(row)) {
            return None;
        }
        Some(&self.values[self.offsets[row]..self.offsets[row + 1]])
    }
}

/// The elements of a list's values as `f32`.
fn float_values(values: &ArrayRef) -> Result<Vec<f32>> {
    let floats = cast(values, &DataType::Float32)?;
    Ok(floats.as_primitive::<Float32Type>().values().to_vec())
}

/// Refuses a NULL element in a row that is not NULL itself, as pgvector does (a NULL
/// row's slots may hold anything).
fn no_null_elements(
    values: &ArrayRef,
    offsets: &[usize],
    nulls: Option<&NullBuffer>,
) -> Result<()> {
    if values.null_count() == 0 {
        return Ok(());
    }
    for row in 0..offsets.len().saturating_sub(1) {
        if nulls.is_some_and(|n| n.is_null(row)) {
            continue;
        }
        if (offsets[row]..offsets[row + 1]).any(|i| values.is_null(i)) {
            return Err(FunctionError::NullInVector.into());
        }
    }
    Ok(())
}

/// The vector a constant holds (a list of numbers or vector text), if it is one.
pub fn constant_vector(value: &datafusion::common::ScalarValue) -> Option<Vec<f32>> {
    if value.is_null() {
        return None;
    }
    let vectors = Vectors::of_array(&value.to_array_of_size(1).ok()?).ok()?;
    vectors.get(0).map(<[f32]>::to_vec)
}

/// The elements of vector text (`[1, 2.5, -3e2]`), refused as a cast to `vector` refuses
/// them.
pub fn parse_vector_text(text: &str) -> Result<Vec<f32>> {
    let mut out = Vec::new();
    parse_vector(text, &mut out)?;
    Ok(out)
}

/// pgvector's text form: `[1, 2.5, -3e2]`.
fn parse_vector(text: &str, out: &mut Vec<f32>) -> Result<()> {
    let invalid = || FunctionError::InvalidInput {
        type_name: "vector",
        value: text.to_string(),
    };
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(invalid)?;
    if inner.trim().is_empty() {
        return Err(FunctionError::EmptyVector.into());
    }
    for part in inner.split(',') {
        let value: f32 = part.trim().parse().map_err(|_| invalid())?;
        if !value.is_finite() {
            return Err(FunctionError::NonFiniteInVector(value.is_nan()).into());
        }
        out.push(value);
    }
    Ok(())
}

/// The type a cast to `vector` (a list of `float4`) or `vector(n)` (a `Vector(n)`
/// property's type) gives, tagged `vector` so that [`rewrite_cast`] finds it.
pub fn vector_field(dims: Option<i32>) -> FieldRef {
    let element = Arc::new(Field::new_list_field(DataType::Float32, true));
    let data_type = match dims {
        Some(n) => DataType::FixedSizeList(element, n),
        None => DataType::List(element),
    };
    Arc::new(with_pg_type(Field::new("", data_type, true), "vector"))
}

/// A cast to `vector` or `vector(n)` as pgvector's input: vector text, an array or a
/// vector, its length checked against `n`.
pub fn rewrite_cast(expr: Expr) -> Transformed<Expr> {
    let (inner, field) = match &expr {
        Expr::Cast(Cast { expr, field }) | Expr::TryCast(TryCast { expr, field })
            if pg_type_of(field) == Some("vector") =>
        {
            (expr.as_ref().clone(), field.clone())
        }
        _ => return Transformed::no(expr),
    };
    let dims = match field.data_type() {
        DataType::FixedSizeList(_, n) => Some(*n),
        _ => None,
    };
    let udf = ScalarUDF::new_from_impl(VectorCast {
        dims,
        signature: Signature::any(1, Volatility::Immutable),
    });
    Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(udf),
        vec![inner],
    )))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct VectorCast {
    dims: Option<i32>,
    signature: Signature,
}

impl ScalarUDFImpl for VectorCast {
    fn name(&self) -> &str {
        "vector"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        match args {
            [a] if accepts(a) => Ok(vector_field(self.dims).data_type().clone()),
            _ => Err(undefined("vector", args)),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        self.return_type(&types)?;
        Ok(vector_field(self.dims))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let rows = if scalar { 1 } else { args.number_rows };
        let v = Vectors::of(&args.args[0], rows)?;
        let mut values = Vec::new();
        let mut offsets = vec![0i32];
        let mut valid = Vec::with_capacity(rows);
        for row in 0..rows {
            match v.get(row) {
                Some(x) => {
                    if x.is_empty() {
                        return Err(FunctionError::EmptyVector.into());
                    }
                    if let Some(n) = self.dims
                        && x.len() != n as usize
                    {
                        return Err(
                            FunctionError::ExpectedVectorDimensions(n as usize, x.len()).into()
                        );
                    }
                    if let Some(bad) = x.iter().find(|e| !e.is_finite()) {
                        return Err(FunctionError::NonFiniteInVector(bad.is_nan()).into());
                    }
                    values.extend_from_slice(x);
                    valid.push(true);
                }
                None => {
                    if let Some(n) = self.dims {
                        values.extend(std::iter::repeat_n(0f32, n as usize));
                    }
                    valid.push(false);
                }
            }
            offsets.push(values.len() as i32);
        }
        let element = Arc::new(Field::new_list_field(DataType::Float32, true));
        let values = Arc::new(Float32Array::from(values));
        let nulls = Some(NullBuffer::from(valid));
        let array: ArrayRef = match self.dims {
            Some(n) => Arc::new(FixedSizeListArray::try_new(element, n, values, nulls)?),
            None => Arc::new(ListArray::try_new(
                element,
                OffsetBuffer::new(offsets.into()),
                values,
                nulls,
            )?),
        };
        result(&args.args, array)
    }
}
