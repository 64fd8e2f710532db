//! The catalog: schema `public` (the session's branch), one schema per branch, and
//! schema `omnigraph` with the system tables.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::error::DataFusionError;

use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, to_df};
use crate::provider::{GraphTable, SnapshotSource};
use crate::system_tables;

pub const PUBLIC_SCHEMA: &str = "public";
pub const SYSTEM_SCHEMA: &str = "omnigraph";

/// Schema names SQL gives a meaning of its own: no branch or node/edge type may take them.
pub const RESERVED_SCHEMAS: [&str; 4] = [
    PUBLIC_SCHEMA,
    SYSTEM_SCHEMA,
    "pg_catalog",
    "information_schema",
];

/// The graph's catalog. Schemas it does not own (registered by an embedding application)
/// are kept in `others`.
#[derive(Debug)]
pub struct GraphCatalog {
    ctx: Arc<GraphContext>,
    others: Option<Arc<dyn CatalogProvider>>,
}

impl GraphCatalog {
    pub fn new(ctx: Arc<GraphContext>, others: Option<Arc<dyn CatalogProvider>>) -> Self {
        GraphCatalog { ctx, others }
    }
}

impl CatalogProvider for GraphCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names = vec![PUBLIC_SCHEMA.to_string(), SYSTEM_SCHEMA.to_string()];
        names.extend(self.ctx.cached_branch_names());
        if let Some(o) = &self.others {
            for n in o.schema_names() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        match name {
            PUBLIC_SCHEMA => Some(Arc::new(BranchSchema {
                ctx: self.ctx.clone(),
                selector: SnapshotSelector::Current,
            })),
            SYSTEM_SCHEMA => Some(Arc::new(system_tables::SystemSchema::new(self.ctx.clone()))),
            other => {
                if let Some(s) = self.others.as_ref().and_then(|o| o.schema(other)) {
                    return Some(s);
                }
                // Inside a transaction its branch's schema shows the transaction's state.
                if let Some((target, private)) = self.ctx.transaction_branches()
                    && other == target
                {
                    return Some(Arc::new(BranchSchema {
                        ctx: self.ctx.clone(),
                        selector: SnapshotSelector::Branch(private),
                    }));
                }
                // Any well-formed branch name: a branch created by another session since the
                // last refresh must resolve too; an unknown one fails with "unknown branch".
                let is_branch = other == omnigraph_engine::MAIN_BRANCH
                    || self.ctx.graph().validate_branch_name(other).is_ok();
                is_branch.then(|| -> Arc<dyn SchemaProvider> {
                    Arc::new(BranchSchema {
                        ctx: self.ctx.clone(),
                        selector: SnapshotSelector::Branch(other.to_string()),
                    })
                })
            }
        }
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> DfResult<Option<Arc<dyn SchemaProvider>>> {
        match &self.others {
            Some(o) if name != PUBLIC_SCHEMA && name != SYSTEM_SCHEMA => {
                o.register_schema(name, schema)
            }
            _ => Err(DataFusionError::Plan(format!(
                "schema '{name}' belongs to the graph and cannot be replaced"
            ))),
        }
    }
}

/// The graph tables of one branch (or of the session's current branch).
#[derive(Debug)]
pub struct BranchSchema {
    ctx: Arc<GraphContext>,
    selector: SnapshotSelector,
}

#[async_trait]
impl SchemaProvider for BranchSchema {
    fn table_names(&self) -> Vec<String> {
        let ctx = self.ctx.clone();
        let selector = self.selector.clone();
        crate::blocking::block_on(async move {
            match ctx.resolve(&selector).await {
                Ok(s) => s.schema().tables().map(|t| t.table().to_string()).collect(),
                Err(_) => Vec::new(),
            }
        })
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let snapshot = self.ctx.resolve(&self.selector).await.map_err(to_df)?;
        if snapshot.schema().table(name).is_none() {
            return Ok(None);
        }
        let table = GraphTable::try_new(
            self.ctx.clone(),
            SnapshotSource::Statement(self.selector.clone()),
            &snapshot,
            name,
        )
        .await
        .map_err(to_df)?;
        Ok(Some(Arc::new(table)))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.table_names()
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name))
    }

    fn register_table(
        &self,
        name: String,
        _table: Arc<dyn TableProvider>,
    ) -> DfResult<Option<Arc<dyn TableProvider>>> {
        Err(DataFusionError::NotImplemented(format!(
            "creating table or view \"{name}\": a branch's tables are the node and edge types \
             of its schema; add one with CALL apply_schema(...)"
        )))
    }
}
