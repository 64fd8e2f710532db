//! What Postgres clients look up besides our tables: `pg_catalog` (from
//! datafusion-pg-catalog, computed from the session's catalog so every branch schema and
//! graph table appears) and the functions drivers and BI tools call at connect, answered
//! for this connection (its database, user and settings).

mod database_catalogs;
pub mod functions;
mod roles;
mod settings_table;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::{PgCatalogSchemaProvider, PgCatalogStaticTables};
use omnigraph_sql::Session;

use crate::catalog_keys::RelationSchemas;
use crate::connection::PgSettings;
use database_catalogs::DatabaseCatalogs;
use functions::{ConnectionFacts, catalog_functions};
use roles::UserRoles;
use settings_table::SettingsTable;

pub use functions::session_info::version_text;
pub use functions::sizes::size_pretty;

/// The DataFusion catalog that holds the graph's schemas.
const GRAPH_CATALOG: &str = "omnigraph";

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

/// Installs `pg_catalog` and the connection's functions into `session`.
pub fn install(
    session: &Session,
    database: &str,
    user: &str,
    roles: Vec<(String, crate::users::Role)>,
    settings: Arc<Mutex<PgSettings>>,
) {
    let ctx = session.context();
    let relation_schemas = RelationSchemas::default();
    let provider = || {
        datafusion_pg_catalog::setup_pg_catalog(ctx, GRAPH_CATALOG, EmptyContextProvider)?;
        // pg_catalog's setup replaced the session's type planner; ours goes back in front.
        datafusion_omnigraph::types::type_planner::install(ctx);
        let tables = static_tables().map_err(Box::new)?;
        let catalogs = DatabaseCatalogs {
            inner: ctx.state().catalog_list().clone(),
            database: database.to_string(),
        };
        let pg_catalog =
            PgCatalogSchemaProvider::try_new(catalogs, tables, UserRoles(Arc::new(roles)))
                .map_err(Box::new)?;
        let pg_catalog = crate::catalog_keys::KeyedPgCatalog::new(
            Arc::new(pg_catalog),
            ctx.state().catalog_list().clone(),
            GRAPH_CATALOG,
            relation_schemas.clone(),
            HashMap::from([(
                "pg_settings".to_string(),
                Arc::new(SettingsTable(settings.clone())) as Arc<dyn TableProvider>,
            )]),
        );
        if let Some(catalog) = ctx.catalog(GRAPH_CATALOG) {
            catalog
                .register_schema("pg_catalog", Arc::new(pg_catalog))
                .map_err(Box::new)?;
            // DataFusion answers `information_schema` itself while its flag is set; with
            // it unset the name resolves to this schema (which serves `SHOW TABLES` too).
            let information_schema = crate::information_schema::PgInformationSchema::new(
                ctx.state().catalog_list().clone(),
                GRAPH_CATALOG,
                database,
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
        graph_root: session.graph_context().graph().root().to_string(),
    };
    for function in catalog_functions() {
        ctx.register_udf((function.build)(function.name, &connection));
    }
}
