//! Who and where the connection is: `version()`, `current_database()`, the user
//! functions, `pg_is_in_recovery()`.

use std::sync::Arc;

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
];

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
