//! What Postgres clients look up besides our tables: `pg_catalog` (from
//! datafusion-pg-catalog, computed from the session's catalog so every branch schema and
//! graph table appears) and the functions drivers and BI tools call at connect, answered
//! for this connection (its database, user and settings).

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, BooleanArray, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::CatalogProviderList;
use datafusion::common::Result as DFResult;
use datafusion::datasource::TableType;
use datafusion_pg_catalog::pg_catalog::catalog_info::CatalogInfo;
use datafusion_pg_catalog::pg_catalog::context::{
    EmptyContextProvider, PgCatalogContextProvider, Role as PgRole,
};
use datafusion_pg_catalog::pg_catalog::{PgCatalogSchemaProvider, PgCatalogStaticTables};
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

/// The session's catalogs as `pg_catalog` shows them: the graph's catalog under the
/// database's name, so `pg_database` lists the database `current_database()` names (DBeaver
/// and others look their database up by it).
#[derive(Debug, Clone)]
struct DatabaseCatalogs {
    inner: Arc<dyn CatalogProviderList>,
    database: String,
}

impl DatabaseCatalogs {
    fn inner_name<'a>(&self, name: &'a str) -> &'a str {
        if name == self.database {
            GRAPH_CATALOG
        } else {
            name
        }
    }
}

#[async_trait]
impl CatalogInfo for DatabaseCatalogs {
    async fn catalog_names(&self) -> DFResult<Vec<String>> {
        Ok(CatalogProviderList::catalog_names(self.inner.as_ref())
            .into_iter()
            .map(|n| {
                if n == GRAPH_CATALOG {
                    self.database.clone()
                } else {
                    n
                }
            })
            .collect())
    }

    async fn schema_names(&self, catalog: &str) -> DFResult<Option<Vec<String>>> {
        CatalogInfo::schema_names(&self.inner, self.inner_name(catalog)).await
    }

    async fn table_names(&self, catalog: &str, schema: &str) -> DFResult<Option<Vec<String>>> {
        CatalogInfo::table_names(&self.inner, self.inner_name(catalog), schema).await
    }

    async fn table_schema(
        &self,
        catalog: &str,
        schema: &str,
        table: &str,
    ) -> DFResult<Option<SchemaRef>> {
        self.inner
            .table_schema(self.inner_name(catalog), schema, table)
            .await
    }

    async fn table_type(
        &self,
        catalog: &str,
        schema: &str,
        table: &str,
    ) -> DFResult<Option<TableType>> {
        self.inner
            .table_type(self.inner_name(catalog), schema, table)
            .await
    }
}

/// The users `pg_roles` lists: the users file's, or the one trusted user.
#[derive(Debug, Clone)]
struct UserRoles(Arc<Vec<(String, crate::users::Role)>>);

#[async_trait]
impl PgCatalogContextProvider for UserRoles {
    async fn roles(&self) -> Vec<String> {
        self.0.iter().map(|(name, _)| name.clone()).collect()
    }

    async fn role(&self, name: &str) -> Option<PgRole> {
        let (name, role) = self.0.iter().find(|(n, _)| n == name)?;
        let admin = *role == crate::users::Role::Admin;
        Some(PgRole {
            name: name.clone(),
            is_superuser: admin,
            can_login: true,
            can_create_db: false,
            can_create_role: false,
            can_create_user: false,
            can_replication: false,
            grants: vec![],
            inherited_roles: vec![],
        })
    }
}

/// The DataFusion catalog that holds the graph's schemas.
const GRAPH_CATALOG: &str = "omnigraph";

/// Installs `pg_catalog` and the connection's functions into `session`.
pub fn install(
    session: &Session,
    database: &str,
    user: &str,
    roles: Vec<(String, crate::users::Role)>,
    settings: Arc<Mutex<PgSettings>>,
) {
    let ctx = session.context();
    let provider = || {
        datafusion_pg_catalog::setup_pg_catalog(ctx, GRAPH_CATALOG, EmptyContextProvider)?;
        let tables = Arc::new(PgCatalogStaticTables::try_new().map_err(Box::new)?);
        let catalogs = DatabaseCatalogs {
            inner: ctx.state().catalog_list().clone(),
            database: database.to_string(),
        };
        let pg_catalog =
            PgCatalogSchemaProvider::try_new(catalogs, tables, UserRoles(Arc::new(roles)))
                .map_err(Box::new)?;
        if let Some(catalog) = ctx.catalog(GRAPH_CATALOG) {
            catalog
                .register_schema("pg_catalog", Arc::new(pg_catalog))
                .map_err(Box::new)?;
        }
        Ok::<_, Box<DataFusionError>>(())
    };
    if let Err(e) = provider() {
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
