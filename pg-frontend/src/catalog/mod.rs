//! What Postgres clients look up besides our tables: `pg_catalog` (from
//! datafusion-pg-catalog, computed from the session's catalog so every branch schema and
//! graph table appears) and the functions drivers and BI tools call at connect, answered
//! for this connection (its database, user and settings).

pub mod catalog_table_oids;
mod copy_progress;
mod database_catalogs;
pub(crate) mod dump_catalog;
pub mod functions;
pub(crate) mod graph_keys;
pub mod graph_routines;
pub mod key_definitions;
mod roles;
mod session_activity;
mod settings_table;
pub(crate) mod typed_tables;
mod vector_columns;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::execution::FunctionRegistry;
use datafusion_omnigraph::GraphContext;
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::{PgCatalogSchemaProvider, PgCatalogStaticTables};
use omnigraph_sql::Session;

use crate::catalog_keys::{KeyedPgCatalogSources, RelationSchemas};
use crate::connection::PgSettings;
use copy_progress::CopyProgressTable;
use database_catalogs::DatabaseCatalogs;
use functions::{ConnectionFacts, catalog_functions};
use key_definitions::KeyDefinitions;
use roles::UserRoles;
use session_activity::SessionActivity;
use settings_table::SettingsTable;

pub use functions::session_info::version_text;
pub use functions::sizes::size_pretty;

/// The DataFusion catalog that holds the graph's schemas.
const GRAPH_CATALOG: &str = "omnigraph";

/// The graph catalog's schema names as the catalog lists them: the session's branch is
/// listed as `public` only, not under its own name too (`main`), so each table appears
/// once in `pg_class` and `information_schema.tables`; other branches are schemas of
/// their own. The branch's schema still resolves by name.
pub(crate) fn listed_schemas(graph: &GraphContext, names: Vec<String>) -> Vec<String> {
    let own = graph.settings().branch;
    names.into_iter().filter(|name| *name != own).collect()
}

/// datafusion-pg-catalog's fixed tables (`pg_type`, `pg_proc`, ...): the same for every
/// connection, so decoded once per process.
fn static_tables() -> DFResult<Arc<PgCatalogStaticTables>> {
    static TABLES: OnceLock<Arc<PgCatalogStaticTables>> = OnceLock::new();
    if let Some(tables) = TABLES.get() {
        return Ok(tables.clone());
    }
    let tables = Arc::new(PgCatalogStaticTables::try_new()?);
    Ok(TABLES.get_or_init(|| tables).clone())
}

/// `pg_type`: datafusion-pg-catalog's rows and pgvector's `vector`.
fn pg_type_table() -> DFResult<Arc<dyn TableProvider>> {
    static TABLE: OnceLock<Arc<dyn TableProvider>> = OnceLock::new();
    if let Some(table) = TABLE.get() {
        return Ok(table.clone());
    }
    let fixed = static_tables()?;
    let batches = crate::pgvector::with_vector_row(fixed.pg_type.data())?;
    let table: Arc<dyn TableProvider> = Arc::new(datafusion::datasource::MemTable::try_new(
        fixed.pg_type.schema(),
        vec![batches],
    )?);
    Ok(TABLE.get_or_init(|| table).clone())
}

/// The OID of the `pg_type` row named `typname` (built-in types and `vector`).
pub(crate) fn type_oid_by_name(typname: &str) -> Option<i32> {
    static OIDS: OnceLock<HashMap<String, i32>> = OnceLock::new();
    let oids = OIDS.get_or_init(|| {
        let mut oids = HashMap::new();
        let Ok(fixed) = static_tables() else {
            return oids;
        };
        let Ok(batches) = crate::pgvector::with_vector_row(fixed.pg_type.data()) else {
            return oids;
        };
        for batch in &batches {
            let (Some(oid), Some(name)) =
                (batch.column_by_name("oid"), batch.column_by_name("typname"))
            else {
                continue;
            };
            let (Some(oid), Some(name)) = (
                oid.as_any().downcast_ref::<arrow::array::Int32Array>(),
                name.as_any().downcast_ref::<arrow::array::StringArray>(),
            ) else {
                continue;
            };
            for (oid, name) in oid.iter().zip(name.iter()) {
                if let (Some(oid), Some(name)) = (oid, name) {
                    oids.entry(name.to_string()).or_insert(oid);
                }
            }
        }
        oids
    });
    oids.get(typname).copied()
}

/// Installs `pg_catalog` and the connection's functions into `session`.
pub fn install(
    session: &Session,
    database: &str,
    user: &str,
    roles: Vec<(String, crate::users::Role)>,
    settings: Arc<Mutex<PgSettings>>,
    other_databases: Vec<String>,
) {
    let ctx = session.context();
    let relation_schemas = RelationSchemas::default();
    let key_definitions = KeyDefinitions::default();
    let provider = || {
        datafusion_pg_catalog::setup_pg_catalog(ctx, GRAPH_CATALOG, EmptyContextProvider)?;
        // pg_catalog's setup replaced the session's type planner; ours goes back in front.
        datafusion_omnigraph::types::type_planner::install(ctx);
        let tables = static_tables().map_err(Box::new)?;
        let catalogs = DatabaseCatalogs {
            inner: ctx.state().catalog_list().clone(),
            database: database.to_string(),
            graph: session.graph_context().clone(),
            other_databases: other_databases.clone(),
        };
        let pg_catalog =
            PgCatalogSchemaProvider::try_new(catalogs, tables, UserRoles(Arc::new(roles)))
                .map_err(Box::new)?;
        let pg_catalog = crate::catalog_keys::KeyedPgCatalog::new(
            Arc::new(pg_catalog),
            KeyedPgCatalogSources {
                catalogs: ctx.state().catalog_list().clone(),
                graph_catalog: GRAPH_CATALOG.to_string(),
                graph: session.graph_context().clone(),
                relation_schemas: relation_schemas.clone(),
                key_definitions: key_definitions.clone(),
                databases: std::iter::once(database.to_string())
                    .chain(other_databases.iter().cloned())
                    .collect(),
            },
            HashMap::from_iter(dump_catalog::empty_tables().into_iter().chain([
                ("pg_type".to_string(), pg_type_table().map_err(Box::new)?),
                (
                    "pg_settings".to_string(),
                    Arc::new(SettingsTable(settings.clone())) as Arc<dyn TableProvider>,
                ),
                (
                    "pg_stat_progress_copy".to_string(),
                    Arc::new(CopyProgressTable {
                        database: database.to_string(),
                        graph: session.graph_context().graph().clone(),
                    }) as Arc<dyn TableProvider>,
                ),
                (
                    "pg_stat_activity".to_string(),
                    Arc::new(SessionActivity {
                        database: database.to_string(),
                        user: user.to_string(),
                        settings: settings.clone(),
                    }) as Arc<dyn TableProvider>,
                ),
            ])),
        );
        let keyed = Arc::new(pg_catalog);
        let key_source = keyed.key_source();
        let pg_catalog = Arc::new(dump_catalog::DumpCatalog {
            unkeyed: keyed.unkeyed(),
            inner: keyed,
        });
        if let Some(catalog) = ctx.catalog(GRAPH_CATALOG) {
            catalog
                .register_schema("pg_catalog", pg_catalog.clone())
                .map_err(Box::new)?;
            // DataFusion answers `information_schema` itself while its flag is set; with
            // it unset the name resolves to this schema (which serves `SHOW TABLES` too).
            let information_schema = crate::information_schema::PgInformationSchema::new(
                ctx.state().catalog_list().clone(),
                GRAPH_CATALOG,
                database,
                session.graph_context().clone(),
                key_source,
            );
            catalog
                .register_schema(
                    crate::information_schema::INFORMATION_SCHEMA,
                    Arc::new(information_schema),
                )
                .map_err(Box::new)?;
            ctx.state_ref()
                .write()
                .config_mut()
                .options_mut()
                .catalog
                .information_schema = false;
        }
        Ok::<_, Box<DataFusionError>>(())
    };
    if let Err(e) = provider() {
        eprintln!("omnigraph-server: pg_catalog unavailable: {e}");
    }
    let connection = ConnectionFacts {
        database: database.to_string(),
        user: user.to_string(),
        settings,
        relation_schemas,
        key_definitions,
        graph_root: session.graph_context().graph().root().to_string(),
    };
    for function in catalog_functions() {
        ctx.register_udf((function.build)(function.name, &connection));
    }
    for name in functions::text_arguments::UTF8_ONLY {
        if let Ok(udf) = ctx.udf(name) {
            ctx.register_udf(functions::text_arguments::with_utf8_arguments(
                udf.as_ref().clone(),
            ));
        }
    }
    if let Ok(udf) = ctx.udf("format_type") {
        ctx.register_udf(functions::types::format_type_with_vector(
            udf.as_ref().clone(),
        ));
    }
    let tagged = functions::NAME_RESULTS
        .iter()
        .map(|name| (*name, "name"))
        .chain(
            functions::NAME_ARRAY_RESULTS
                .iter()
                .map(|name| (*name, "_name")),
        );
    for (name, pg_type) in tagged {
        if let Ok(udf) = ctx.udf(name) {
            ctx.register_udf(functions::with_result_type(udf.as_ref().clone(), pg_type));
        }
    }
}
