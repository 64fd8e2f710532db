//! `pg_catalog` as it names the connection's database: the graph's DataFusion catalog
//! under the database's name.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::CatalogProviderList;
use datafusion::common::Result as DFResult;
use datafusion::datasource::TableType;
use datafusion_pg_catalog::pg_catalog::catalog_info::CatalogInfo;

use datafusion_omnigraph::GraphContext;

use super::{GRAPH_CATALOG, listed_schemas};

/// The session's catalogs as `pg_catalog` shows them: the graph's catalog under the
/// database's name, so `pg_database` lists the database `current_database()` names (DBeaver
/// and others look their database up by it).
#[derive(Debug, Clone)]
pub struct DatabaseCatalogs {
    pub inner: Arc<dyn CatalogProviderList>,
    pub database: String,
    pub graph: Arc<GraphContext>,
    /// The data directory's other graphs: listed in `pg_database` (`psql -l`), with no
    /// schemas seen from this connection.
    pub other_databases: Vec<String>,
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
        let mut names: Vec<String> = CatalogProviderList::catalog_names(self.inner.as_ref())
            .into_iter()
            .map(|n| {
                if n == GRAPH_CATALOG {
                    self.database.clone()
                } else {
                    n
                }
            })
            .collect();
        let own_graph = self.database.split('@').next().unwrap_or_default();
        for other in &self.other_databases {
            if other != own_graph && !names.contains(other) {
                names.push(other.clone());
            }
        }
        Ok(names)
    }

    async fn schema_names(&self, catalog: &str) -> DFResult<Option<Vec<String>>> {
        let names = CatalogInfo::schema_names(&self.inner, self.inner_name(catalog)).await?;
        Ok(if catalog == self.database {
            names.map(|names| listed_schemas(&self.graph, names))
        } else {
            names
        })
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
