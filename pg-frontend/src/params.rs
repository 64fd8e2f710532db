//! Bind parameters as DataFusion values. Each value is read in the type the client
//! declared (or, for undeclared ones, the type the statement implies), then cast to the
//! type the statement implies. A NULL keeps its position, typed when the type is known.

use arrow::datatypes::DataType;
use datafusion::scalar::ScalarValue;
use omnigraph_sql::{ErrorKind, SqlError};
use pgwire::api::Type;
use pgwire::api::portal::Portal;

use crate::encode::wire_type;

/// The Postgres type a parameter of `data_type` is described as.
pub fn pg_type(data_type: Option<&DataType>) -> Type {
    data_type
        .and_then(|t| arrow_pg::datatypes::into_pg_type(&wire_type(t)).ok())
        .unwrap_or(Type::UNKNOWN)
}

fn bad(index: usize, e: impl std::fmt::Display) -> SqlError {
    SqlError::new(
        ErrorKind::InvalidValue,
        format!("invalid value for parameter ${}: {e}", index + 1),
    )
}

/// The values of `portal`'s parameters; `inferred` are the statement's parameter types.
pub fn decode<S: Clone>(
    portal: &Portal<S>,
    inferred: &[Option<DataType>],
) -> Result<Vec<ScalarValue>, SqlError> {
    let declared = &portal.statement.parameter_types;
    (0..portal.parameter_len())
        .map(|i| {
            let target = inferred.get(i).cloned().flatten();
            let ty = declared
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .unwrap_or_else(|| match &target {
                    Some(t) => pg_type(Some(t)),
                    None => Type::TEXT,
                });
            let value = read(portal, i, &ty).map_err(|e| bad(i, e))?;
            match (value, &target) {
                (ScalarValue::Null, Some(t)) => ScalarValue::try_from(t).map_err(|e| bad(i, e)),
                (value, Some(t)) if value.data_type() != *t => {
                    value.cast_to(t).map_err(|e| bad(i, e))
                }
                (value, _) => Ok(value),
            }
        })
        .collect()
}

fn read<S: Clone>(portal: &Portal<S>, i: usize, ty: &Type) -> Result<ScalarValue, String> {
    macro_rules! get {
        ($t:ty) => {
            portal.parameter::<$t>(i, ty).map_err(|e| e.to_string())?
        };
    }
    let value = match *ty {
        Type::BOOL => get!(bool).map(|v| ScalarValue::Boolean(Some(v))),
        Type::INT2 => get!(i16).map(|v| ScalarValue::Int16(Some(v))),
        Type::INT4 => get!(i32).map(|v| ScalarValue::Int32(Some(v))),
        Type::INT8 => get!(i64).map(|v| ScalarValue::Int64(Some(v))),
        Type::OID => get!(u32).map(|v| ScalarValue::Int64(Some(v as i64))),
        Type::FLOAT4 => get!(f32).map(|v| ScalarValue::Float32(Some(v))),
        Type::FLOAT8 => get!(f64).map(|v| ScalarValue::Float64(Some(v))),
        Type::NUMERIC => get!(rust_decimal::Decimal).map(|v| {
            ScalarValue::Float64(Some(
                rust_decimal::prelude::ToPrimitive::to_f64(&v).unwrap_or(f64::NAN),
            ))
        }),
        Type::DATE => get!(chrono::NaiveDate).map(|d| {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
            ScalarValue::Date32(Some((d - epoch).num_days() as i32))
        }),
        Type::TIMESTAMP => get!(chrono::NaiveDateTime)
            .map(|t| ScalarValue::TimestampMicrosecond(Some(t.and_utc().timestamp_micros()), None)),
        Type::TIMESTAMPTZ => get!(chrono::DateTime<chrono::FixedOffset>).map(|t| {
            ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("+00:00".into()))
        }),
        Type::BYTEA => get!(Vec<u8>).map(|v| ScalarValue::Binary(Some(v))),
        Type::JSON | Type::JSONB => {
            get!(serde_json::Value).map(|v| ScalarValue::Utf8(Some(v.to_string())))
        }
        _ => get!(String).map(|v| ScalarValue::Utf8(Some(v))),
    };
    Ok(value.unwrap_or(ScalarValue::Null))
}
