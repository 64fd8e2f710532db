//! Array parameters (`WHERE id = ANY($1)` with `$1` an `int4[]` or a `text[]`) as Arrow
//! lists. Text-format arrays are read with PostgreSQL's `array_in` rules (quotes,
//! backslash escapes, unquoted `NULL`) and their elements cast to the element type;
//! binary-format arrays are read by postgres-types through pgwire.

use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, StringArray};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::scalar::ScalarValue;
use datafusion_omnigraph::types::array_text::parse_text_array;
use pgwire::api::Type;
use pgwire::api::portal::Portal;

/// The Arrow type of the elements of PostgreSQL array type `ty`; `None` when `ty` is not
/// an array type read here.
pub fn element_type(ty: &Type) -> Option<DataType> {
    Some(match *ty {
        Type::BOOL_ARRAY => DataType::Boolean,
        Type::INT2_ARRAY => DataType::Int16,
        Type::INT4_ARRAY => DataType::Int32,
        Type::INT8_ARRAY | Type::OID_ARRAY => DataType::Int64,
        Type::FLOAT4_ARRAY => DataType::Float32,
        Type::FLOAT8_ARRAY | Type::NUMERIC_ARRAY => DataType::Float64,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY | Type::NAME_ARRAY => {
            DataType::Utf8
        }
        Type::DATE_ARRAY => DataType::Date32,
        Type::TIMESTAMP_ARRAY => DataType::Timestamp(TimeUnit::Microsecond, None),
        Type::TIMESTAMPTZ_ARRAY => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
        }
        _ => return None,
    })
}

/// The list value of array parameter `i`, of PostgreSQL type `ty` with elements of
/// `element`; `ScalarValue::Null` for a NULL.
pub fn read<S: Clone>(
    portal: &Portal<S>,
    i: usize,
    ty: &Type,
    element: &DataType,
) -> Result<ScalarValue, String> {
    let Some(Some(bytes)) = portal.parameters.get(i) else {
        return Ok(ScalarValue::Null);
    };
    let values: ArrayRef = if portal.parameter_format.is_binary(i) {
        binary_elements(portal, i, ty, element)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let strings = StringArray::from(parse_text_array(text)?);
        let strict = CastOptions {
            safe: false,
            ..Default::default()
        };
        cast_with_options(&strings, element, &strict).map_err(|e| e.to_string())?
    };
    Ok(list_value(values))
}

fn list_value(values: ArrayRef) -> ScalarValue {
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
}

fn binary_elements<S: Clone>(
    portal: &Portal<S>,
    i: usize,
    ty: &Type,
    element: &DataType,
) -> Result<ArrayRef, String> {
    use arrow::array::{
        BooleanArray, Date32Array, Float32Array, Float64Array, Int16Array, Int32Array, Int64Array,
        TimestampMicrosecondArray,
    };
    macro_rules! get {
        ($t:ty) => {
            portal
                .parameter::<Vec<Option<$t>>>(i, ty)
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
        };
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    Ok(match (ty, element) {
        (_, DataType::Boolean) => Arc::new(BooleanArray::from(get!(bool))),
        (_, DataType::Int16) => Arc::new(Int16Array::from(get!(i16))),
        (_, DataType::Int32) => Arc::new(Int32Array::from(get!(i32))),
        (&Type::OID_ARRAY, _) => {
            let oids = get!(u32);
            Arc::new(Int64Array::from_iter(
                oids.into_iter().map(|o| o.map(i64::from)),
            ))
        }
        (_, DataType::Int64) => Arc::new(Int64Array::from(get!(i64))),
        (_, DataType::Float32) => Arc::new(Float32Array::from(get!(f32))),
        (&Type::NUMERIC_ARRAY, _) => {
            let numbers = get!(rust_decimal::Decimal);
            Arc::new(Float64Array::from_iter(numbers.into_iter().map(|n| {
                n.map(|n| rust_decimal::prelude::ToPrimitive::to_f64(&n).unwrap_or(f64::NAN))
            })))
        }
        (_, DataType::Float64) => Arc::new(Float64Array::from(get!(f64))),
        (_, DataType::Utf8) => Arc::new(StringArray::from(get!(String))),
        (_, DataType::Date32) => {
            let days = get!(chrono::NaiveDate);
            Arc::new(Date32Array::from_iter(
                days.into_iter()
                    .map(|d| d.map(|d| (d - epoch).num_days() as i32)),
            ))
        }
        (&Type::TIMESTAMPTZ_ARRAY, _) => {
            let times = get!(chrono::DateTime<chrono::FixedOffset>);
            Arc::new(
                TimestampMicrosecondArray::from_iter(
                    times.into_iter().map(|t| t.map(|t| t.timestamp_micros())),
                )
                .with_timezone("+00:00"),
            )
        }
        (_, DataType::Timestamp(_, _)) => {
            let times = get!(chrono::NaiveDateTime);
            Arc::new(TimestampMicrosecondArray::from_iter(
                times
                    .into_iter()
                    .map(|t| t.map(|t| t.and_utc().timestamp_micros())),
            ))
        }
        (_, other) => return Err(format!("binary arrays of {other}")),
    })
}
