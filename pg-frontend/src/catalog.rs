//! What Postgres clients look up besides our tables: `pg_catalog` (from
//! datafusion-pg-catalog, computed from the session's catalog so every branch schema and
//! graph table appears) and the functions drivers and BI tools call at connect, answered
//! for this connection (its database, user and settings).

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use omnigraph_sql::Session;

use crate::connection::PgSettings;

/// The text `version()` returns: PostgreSQL-shaped, as SQLAlchemy and others parse it.
pub fn version_text() -> String {
    format!(
        "PostgreSQL {} (OmniGraph SQL {}) on {}-linux, compiled by rustc, 64-bit",
        crate::server::SERVER_VERSION,
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// Installs `pg_catalog` and the connection's functions into `session`.
pub fn install(session: &Session, database: &str, user: &str, settings: Arc<Mutex<PgSettings>>) {
    let ctx = session.context();
    if let Err(e) = datafusion_pg_catalog::setup_pg_catalog(ctx, "omnigraph", EmptyContextProvider)
    {
        eprintln!("omnigraph-server: pg_catalog unavailable: {e}");
    }
    let constant = |name: &str, value: String| {
        create_udf(
            name,
            vec![],
            DataType::Utf8,
            Volatility::Stable,
            Arc::new(move |_: &[ColumnarValue]| {
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                    value.clone(),
                ))))
            }),
        )
    };
    ctx.register_udf(constant("version", version_text()));
    ctx.register_udf(constant("current_database", database.to_string()));
    ctx.register_udf(constant("session_user", user.to_string()));
    ctx.register_udf(constant("current_user", user.to_string()));
    ctx.register_udf(constant("user", user.to_string()));
    let read = settings.clone();
    ctx.register_udf(create_udf(
        "current_setting",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let names = ColumnarValue::values_to_arrays(args)?;
            let names = names[0]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Execution("current_setting takes text".into()))?;
            let settings = read.lock().unwrap_or_else(|p| p.into_inner());
            let values = names
                .iter()
                .map(|name| match name {
                    None => Ok(None),
                    Some(n) => {
                        let n = n.to_ascii_lowercase();
                        match settings.get(&n) {
                            Some(v) => Ok(Some(v.to_string())),
                            None if n.starts_with("omnigraph.") => Ok(None),
                            None => Err(DataFusionError::Execution(format!(
                                "unrecognized configuration parameter \"{n}\""
                            ))),
                        }
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let array: ArrayRef = Arc::new(StringArray::from(values));
            Ok(ColumnarValue::Array(array))
        }),
    ));
    // Descriptions and index definitions: our tables have none.
    for (name, inputs) in [
        ("col_description", vec![DataType::Int64, DataType::Int64]),
        ("obj_description", vec![DataType::Int64, DataType::Utf8]),
        ("shobj_description", vec![DataType::Int64, DataType::Utf8]),
        ("pg_get_indexdef", vec![DataType::Int64]),
        ("pg_get_viewdef", vec![DataType::Int64]),
        ("pg_get_function_result", vec![DataType::Int64]),
        ("pg_get_function_arguments", vec![DataType::Int64]),
        ("pg_get_function_identity_arguments", vec![DataType::Int64]),
    ] {
        ctx.register_udf(create_udf(
            name,
            inputs,
            DataType::Utf8,
            Volatility::Stable,
            Arc::new(|_: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))),
        ));
    }
    for name in ["pg_type_is_visible", "pg_function_is_visible"] {
        ctx.register_udf(create_udf(
            name,
            vec![DataType::Int64],
            DataType::Boolean,
            Volatility::Stable,
            Arc::new(|args: &[ColumnarValue]| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                let all_true: ArrayRef = Arc::new(BooleanArray::from(vec![true; arrays[0].len()]));
                Ok(ColumnarValue::Array(all_true))
            }),
        ));
    }
    ctx.register_udf(create_udf(
        "pg_is_in_recovery",
        vec![],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(false))))
        }),
    ));
    // Graph tables live in Lance datasets whose size the catalog does not track.
    for name in ["pg_table_size", "pg_indexes_size"] {
        ctx.register_udf(create_udf(
            name,
            vec![DataType::Int64],
            DataType::Int64,
            Volatility::Stable,
            Arc::new(|_: &[ColumnarValue]| Ok(ColumnarValue::Scalar(ScalarValue::Int64(Some(0))))),
        ));
    }
    ctx.register_udf(create_udf(
        "pg_size_pretty",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let sizes = arrays[0]
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .ok_or_else(|| DataFusionError::Execution("pg_size_pretty takes bigint".into()))?;
            let values: StringArray = sizes.iter().map(|s| s.map(size_pretty)).collect();
            Ok(ColumnarValue::Array(Arc::new(values)))
        }),
    ));
}

/// PostgreSQL's `pg_size_pretty`: bytes up to 10 kB, then kB, MB, GB, TB, rounded.
pub fn size_pretty(bytes: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 10.0 * 1024.0 - 0.5 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", value.round() as i64, units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(123), "123 bytes");
        assert_eq!(size_pretty(10 * 1024), "10 kB");
        assert_eq!(size_pretty(5 * 1024 * 1024 * 1024), "5120 MB");
    }
}
