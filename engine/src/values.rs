//! Property values between JSON and Arrow: typed column building from JSON values with
//! per-value validation, the JSON of a stored value, and the date and time texts.

use std::sync::Arc;

use arrow_array::Array;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float32Builder, Float64Builder, Int32Builder, Int64Builder,
    LargeBinaryBuilder, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, FixedSizeListArray, Float32Array, ListArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, Field};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use lance::deps::datafusion::scalar::ScalarValue;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::schema::PropType;

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

/// Builds one Arrow column of a declared type from JSON values.
pub(crate) enum ColumnBuilder {
    Str(StringBuilder, Option<Vec<String>>),
    Bool(BooleanBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Date(Date32Builder),
    DateTime(TimestampMicrosecondBuilder),
    List {
        item_type: PropType,
        items: Box<ColumnBuilder>,
        offsets: Vec<i32>,
        valid: Vec<bool>,
    },
    Vector {
        dim: u32,
        values: Vec<f32>,
        valid: Vec<bool>,
    },
    Blob(LargeBinaryBuilder),
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, v: &Value) -> String {
    format!("expected {what}, found {}", type_name(v))
}

fn int_in_range<T: TryFrom<i128>>(v: &Value, what: &str) -> Result<T, String> {
    let n: i128 = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i as i128
            } else if let Some(u) = n.as_u64() {
                u as i128
            } else {
                return Err(format!("expected {what}, found the non-integer {n}"));
            }
        }
        other => return Err(expected(what, other)),
    };
    T::try_from(n).map_err(|_| format!("{n} is out of range for {what}"))
}

fn float(v: &Value, what: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{n} is not a valid {what}")),
        other => Err(expected(what, other)),
    }
}

/// A point in time written by a user: RFC 3339, `YYYY-MM-DD[ HH:MM[:SS[.f]]]` (UTC) or
/// `YYYY-MM-DD HH:MM:SS[.f]±HH[:MM]`.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(dt.with_timezone(&Utc));
    }
    None
}

/// Days since the Unix epoch for a `YYYY-MM-DD` string.
pub(crate) fn parse_date(text: &str) -> Result<i32, String> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date (expected YYYY-MM-DD)"))?;
    Ok((d - EPOCH).num_days() as i32)
}

/// Microseconds since the Unix epoch, UTC.
pub(crate) fn parse_datetime(text: &str) -> Result<i64, String> {
    if let Some(ts) = parse_timestamp(text) {
        return Ok(ts.timestamp_micros());
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .map(|n| n.and_utc().timestamp_micros())
        .map_err(|_| {
            format!("'{text}' is not a date-time (expected RFC 3339, e.g. 2024-01-31T12:00:00Z)")
        })
}

impl ColumnBuilder {
    pub(crate) fn new(ty: &PropType) -> ColumnBuilder {
        match ty {
            PropType::String => ColumnBuilder::Str(StringBuilder::new(), None),
            PropType::Enum(values) => {
                ColumnBuilder::Str(StringBuilder::new(), Some(values.clone()))
            }
            PropType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            PropType::I32 => ColumnBuilder::I32(Int32Builder::new()),
            PropType::I64 => ColumnBuilder::I64(Int64Builder::new()),
            PropType::U32 => ColumnBuilder::U32(UInt32Builder::new()),
            PropType::U64 => ColumnBuilder::U64(UInt64Builder::new()),
            PropType::F32 => ColumnBuilder::F32(Float32Builder::new()),
            PropType::F64 => ColumnBuilder::F64(Float64Builder::new()),
            PropType::Date => ColumnBuilder::Date(Date32Builder::new()),
            PropType::DateTime => ColumnBuilder::DateTime(TimestampMicrosecondBuilder::new()),
            PropType::List(inner) => ColumnBuilder::List {
                item_type: (**inner).clone(),
                items: Box::new(ColumnBuilder::new(inner)),
                offsets: vec![0],
                valid: Vec::new(),
            },
            PropType::Vector(dim) => ColumnBuilder::Vector {
                dim: *dim,
                values: Vec::new(),
                valid: Vec::new(),
            },
            PropType::Blob => ColumnBuilder::Blob(LargeBinaryBuilder::new()),
        }
    }

    pub(crate) fn append_null(&mut self) {
        match self {
            ColumnBuilder::Str(b, _) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::I32(b) => b.append_null(),
            ColumnBuilder::I64(b) => b.append_null(),
            ColumnBuilder::U32(b) => b.append_null(),
            ColumnBuilder::U64(b) => b.append_null(),
            ColumnBuilder::F32(b) => b.append_null(),
            ColumnBuilder::F64(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::DateTime(b) => b.append_null(),
            ColumnBuilder::List { offsets, valid, .. } => {
                offsets.push(*offsets.last().expect("offsets start at 0"));
                valid.push(false);
            }
            ColumnBuilder::Vector { dim, values, valid } => {
                values.extend(std::iter::repeat_n(0.0, *dim as usize));
                valid.push(false);
            }
            ColumnBuilder::Blob(b) => b.append_null(),
        }
    }

    /// Appends `v` (which must not be JSON null) or explains why it does not fit.
    pub(crate) fn append_json(&mut self, v: &Value) -> Result<(), String> {
        match self {
            ColumnBuilder::Str(b, allowed) => {
                let s = match v {
                    Value::String(s) => s,
                    other => return Err(expected("a string", other)),
                };
                if let Some(values) = allowed
                    && !values.iter().any(|a| a == s)
                {
                    return Err(format!("'{s}' is not one of {}", values.join(", ")));
                }
                b.append_value(s);
            }
            ColumnBuilder::Bool(b) => match v {
                Value::Bool(x) => b.append_value(*x),
                other => return Err(expected("a boolean", other)),
            },
            ColumnBuilder::I32(b) => b.append_value(int_in_range::<i32>(v, "an I32")?),
            ColumnBuilder::I64(b) => b.append_value(int_in_range::<i64>(v, "an I64")?),
            ColumnBuilder::U32(b) => b.append_value(int_in_range::<u32>(v, "a U32")?),
            ColumnBuilder::U64(b) => b.append_value(int_in_range::<u64>(v, "a U64")?),
            ColumnBuilder::F32(b) => {
                let x = float(v, "an F32")?;
                if x.is_finite() && !(x as f32).is_finite() {
                    return Err(format!("{x} is out of range for an F32"));
                }
                b.append_value(x as f32)
            }
            ColumnBuilder::F64(b) => b.append_value(float(v, "an F64")?),
            ColumnBuilder::Date(b) => match v {
                Value::String(s) => b.append_value(parse_date(s)?),
                other => return Err(expected("a date string (YYYY-MM-DD)", other)),
            },
            ColumnBuilder::DateTime(b) => match v {
                Value::String(s) => b.append_value(parse_datetime(s)?),
                other => return Err(expected("a date-time string", other)),
            },
            ColumnBuilder::List {
                items,
                offsets,
                valid,
                ..
            } => {
                let Value::Array(elements) = v else {
                    return Err(expected("an array", v));
                };
                for (i, e) in elements.iter().enumerate() {
                    if e.is_null() {
                        items.append_null();
                    } else {
                        items
                            .append_json(e)
                            .map_err(|m| format!("element {i}: {m}"))?;
                    }
                }
                let last = *offsets.last().expect("offsets start at 0");
                offsets.push(last + elements.len() as i32);
                valid.push(true);
            }
            ColumnBuilder::Vector { dim, values, valid } => {
                let Value::Array(elements) = v else {
                    return Err(expected("an array of numbers", v));
                };
                if elements.len() != *dim as usize {
                    return Err(format!(
                        "expected a vector of {dim} numbers, found {}",
                        elements.len()
                    ));
                }
                let mut row = Vec::with_capacity(elements.len());
                for e in elements {
                    row.push(float(e, "a number")? as f32);
                }
                values.extend(row);
                valid.push(true);
            }
            ColumnBuilder::Blob(b) => match v {
                Value::String(s) => b.append_value(s.as_bytes()),
                Value::Array(bytes) => {
                    let mut out = Vec::with_capacity(bytes.len());
                    for x in bytes {
                        out.push(int_in_range::<u8>(x, "a byte (0..255)")?);
                    }
                    b.append_value(out);
                }
                other => return Err(expected("a string or an array of bytes", other)),
            },
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Str(b, _) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::I32(b) => Arc::new(b.finish()),
            ColumnBuilder::I64(b) => Arc::new(b.finish()),
            ColumnBuilder::U32(b) => Arc::new(b.finish()),
            ColumnBuilder::U64(b) => Arc::new(b.finish()),
            ColumnBuilder::F32(b) => Arc::new(b.finish()),
            ColumnBuilder::F64(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::DateTime(b) => Arc::new(b.finish().with_timezone("UTC")),
            ColumnBuilder::List {
                item_type,
                items,
                offsets,
                valid,
            } => {
                let values = items.finish();
                let field = Arc::new(Field::new(
                    "item",
                    crate::schema::arrow_type(item_type),
                    true,
                ));
                let offs = std::mem::replace(offsets, vec![0]);
                let validity = std::mem::take(valid);
                let array = ListArray::new(
                    field,
                    OffsetBuffer::new(ScalarBuffer::from(offs)),
                    values,
                    Some(validity.into()),
                );
                Arc::new(array)
            }
            ColumnBuilder::Vector { dim, values, valid } => {
                let flat = Float32Array::from(std::mem::take(values));
                let field = Arc::new(Field::new("item", DataType::Float32, true));
                let validity = std::mem::take(valid);
                Arc::new(FixedSizeListArray::new(
                    field,
                    *dim as i32,
                    Arc::new(flat),
                    Some(validity.into()),
                ))
            }
            ColumnBuilder::Blob(b) => Arc::new(b.finish()),
        }
    }
}

/// A float as JSON; NaN and infinities are not property values.
fn finite(v: f64) -> Result<Value> {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| Error::BadInput(format!("{v} is not a valid property value")))
}

/// Value `i` of `array` as the JSON a load line would carry (the reverse of
/// [`ColumnBuilder::append_json`]): NaN and infinities are not property values.
pub(crate) fn json_value(array: &dyn Array, i: usize) -> Result<Value> {
    if array.is_null(i) {
        return Ok(Value::Null);
    }
    let scalar = ScalarValue::try_from_array(array, i)?;
    Ok(match scalar {
        ScalarValue::Boolean(Some(b)) => Value::Bool(b),
        ScalarValue::Int8(Some(v)) => v.into(),
        ScalarValue::Int16(Some(v)) => v.into(),
        ScalarValue::Int32(Some(v)) => v.into(),
        ScalarValue::Int64(Some(v)) => v.into(),
        ScalarValue::UInt8(Some(v)) => v.into(),
        ScalarValue::UInt16(Some(v)) => v.into(),
        ScalarValue::UInt32(Some(v)) => v.into(),
        ScalarValue::UInt64(Some(v)) => v.into(),
        ScalarValue::Float32(Some(v)) => finite(v as f64)?,
        ScalarValue::Float64(Some(v)) => finite(v)?,
        ScalarValue::Binary(Some(bytes)) | ScalarValue::LargeBinary(Some(bytes)) => {
            Value::Array(bytes.into_iter().map(Value::from).collect())
        }
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => Value::String(s),
        ScalarValue::Utf8View(Some(s)) => Value::String(s),
        ScalarValue::TimestampMicrosecond(Some(us), _) => {
            let ts = chrono::DateTime::from_timestamp_micros(us)
                .ok_or_else(|| Error::BadInput(format!("timestamp {us} µs is out of range")))?;
            Value::String(ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        ScalarValue::List(list) => {
            let values = list.value(0);
            let mut out = Vec::with_capacity(values.len());
            for j in 0..values.len() {
                out.push(json_value(values.as_ref(), j)?);
            }
            Value::Array(out)
        }
        ScalarValue::FixedSizeList(list) => {
            let values = list.value(0);
            let mut out = Vec::with_capacity(values.len());
            for j in 0..values.len() {
                out.push(json_value(values.as_ref(), j)?);
            }
            Value::Array(out)
        }
        // Dates and other types whose text form the loader parses.
        _ => Value::String(
            ArrayFormatter::try_new(array, &FormatOptions::default())?
                .value(i)
                .to_string(),
        ),
    })
}
