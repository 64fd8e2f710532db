//! Who and where the connection is: `version()`, `current_database()`, the user
//! functions, `pg_is_in_recovery()`.

use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "version",
        build: |name, _| constant(name, version_text()),
    },
    CatalogFunction {
        name: "current_database",
        build: |name, connection| constant(name, connection.database.clone()),
    },
    CatalogFunction {
        name: "session_user",
        build: user,
    },
    CatalogFunction {
        name: "current_user",
        build: user,
    },
    CatalogFunction {
        name: "user",
        build: user,
    },
    CatalogFunction {
        name: "pg_is_in_recovery",
        build: in_recovery,
    },
    CatalogFunction {
        name: "pg_get_userbyid",
        build: owner_name,
    },
];

/// `pg_get_userbyid(oid)` for an OID of any integer type: every object is owned by the
/// bootstrap superuser `postgres` (as `pg_class.relowner` and the others say), but the
/// schema `public`, owned by `pg_database_owner` as in PostgreSQL 15.
fn owner_name(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    super::any_arguments(name, DataType::Utf8, |args| {
        let Some(oids) = args.first() else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
                "postgres".to_string(),
            ))));
        };
        let oids = arrow::compute::cast(&oids.to_array(1)?, &DataType::Int64)?;
        let oids = oids
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .ok_or_else(|| DataFusionError::Execution("pg_get_userbyid takes an oid".into()))?;
        let owners: arrow::array::StringArray = oids
            .iter()
            .map(|oid| {
                oid.map(|oid| match oid {
                    DATABASE_OWNER => "pg_database_owner",
                    _ => "postgres",
                })
            })
            .collect();
        Ok(match args.first() {
            Some(ColumnarValue::Scalar(_)) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&owners, 0)?)
            }
            _ => ColumnarValue::Array(Arc::new(owners)),
        })
    })
}

const DATABASE_OWNER: i64 = crate::catalog_keys::DATABASE_OWNER_ROLE as i64;

/// The text `version()` returns: PostgreSQL-shaped, as SQLAlchemy and others parse it.
pub fn version_text() -> String {
    format!(
        "PostgreSQL {} (OmniGraph SQL {}) on {}-linux, compiled by rustc, 64-bit",
        crate::server::SERVER_VERSION,
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

/// The connection's user, under each of the names PostgreSQL gives it (no role is ever
/// assumed, so the session and current user are the same).
fn user(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    constant(name, connection.user.clone())
}

/// A function of no arguments answering `value`.
fn constant(name: &str, value: String) -> ScalarUDF {
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
}

/// The server is never a standby.
fn in_recovery(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(false))))
        }),
    )
}
