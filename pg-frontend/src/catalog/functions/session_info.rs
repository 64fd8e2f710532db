//! Who and where the connection is: `version()`, `current_database()`, the user
//! functions, `pg_is_in_recovery()`.

use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
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
/// bootstrap superuser `postgres` (as `pg_class.relowner` and the others say).
fn owner_name(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    super::any_arguments(name, DataType::Utf8, |args| {
        Ok(match args.first() {
            Some(ColumnarValue::Array(oids)) => {
                let owners: arrow::array::StringArray = (0..oids.len())
                    .map(|i| (!oids.is_null(i)).then_some("postgres"))
                    .collect();
                ColumnarValue::Array(Arc::new(owners))
            }
            Some(ColumnarValue::Scalar(oid)) if oid.is_null() => {
                ColumnarValue::Scalar(ScalarValue::Utf8(None))
            }
            _ => ColumnarValue::Scalar(ScalarValue::Utf8(Some("postgres".to_string()))),
        })
    })
}

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
