//! Creating and additively migrating a graph's schema, as one commit.

use std::sync::Arc;

use arrow_schema::{Field, Schema};

use super::commit::{self, CommitOutcome, CommitRequest, StagedTable, TableAction};
use super::{WriteOptions, indexes, prepare_table};
use crate::error::Result;
use crate::graph::Graph;
use crate::manifest::TableEntry;
use crate::schema::{
    Migration, arrow_type, parse_schema_reserving, plan_migration, table_arrow_schema,
};
use crate::storage;

/// What applying a schema did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaApplyOutcome {
    /// `None` when the schema was already exactly this text.
    pub commit: Option<CommitOutcome>,
    pub migration: Migration,
}

impl Graph {
    /// Creates the schema of `branch` or migrates it additively to `source`.
    ///
    /// New types get new tables; new nullable properties become all-null columns; any
    /// other change is refused with the reason. Everything lands in one commit.
    pub async fn apply_schema(
        &self,
        branch: &str,
        source: &str,
        opts: &WriteOptions,
    ) -> Result<SchemaApplyOutcome> {
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        let new = parse_schema_reserving(source, &self.reserved_names())?;
        let migration = plan_migration(snapshot.schema(), &new)?;
        if migration.is_empty() && snapshot.schema().source == source {
            return Ok(SchemaApplyOutcome {
                commit: None,
                migration,
            });
        }

        let mut tables = Vec::new();
        for name in &migration.new_tables {
            let def = new
                .table(name)
                .expect("planned tables exist in the new schema");
            let dir = match def.kind() {
                crate::schema::TableKind::Node => "nodes",
                crate::schema::TableKind::Edge => "edges",
            };
            // A fresh path per creation: a dataset left by an interrupted apply is never
            // reused, so it cannot leak rows into a later table of the same name.
            let path = format!(
                "{dir}/{name}-{}.lance",
                ulid::Ulid::new().to_string().to_ascii_lowercase()
            );
            let mut dataset = storage::create_empty_dataset(
                self.session(),
                &self.table_uri(&path),
                table_arrow_schema(def),
            )
            .await?;
            indexes::create_on_new(&mut dataset, &indexes::required_indexes(def)).await?;
            tables.push(StagedTable {
                entry: TableEntry {
                    name: name.clone(),
                    kind: def.kind(),
                    path,
                    version: dataset.version_id(),
                    lance_branch: None,
                },
                dataset: Arc::new(dataset),
                forked: false,
                action: TableAction::Created,
            });
        }
        for (name, props) in &migration.new_columns {
            let prepared = prepare_table(&snapshot, name).await?;
            let fields: Vec<Field> = props
                .iter()
                .map(|p| Field::new(&p.column, arrow_type(&p.ty), true))
                .collect();
            tables.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::AddColumns(Arc::new(Schema::new(fields))),
            });
        }
        // A table whose indexes change gets an index step (planned by the commit, which
        // brings every table it touches to the indexes the new schema declares).
        for name in &migration.reindexed_tables {
            if migration.new_columns.contains_key(name) {
                continue;
            }
            let prepared = prepare_table(&snapshot, name).await?;
            tables.push(StagedTable {
                entry: prepared.entry,
                dataset: prepared.dataset,
                forked: prepared.forked,
                action: TableAction::Steps(Vec::new()),
            });
        }
        let message = opts.message.clone().unwrap_or_else(|| {
            if snapshot.schema().is_empty() {
                "apply schema".to_string()
            } else {
                format!(
                    "migrate schema: {} new tables, {} tables with new columns, {} tables with changed indexes",
                    migration.new_tables.len(),
                    migration.new_columns.len(),
                    migration.reindexed_tables.len()
                )
            }
        });
        let outcome = commit::commit(
            self,
            CommitRequest {
                kind: "schema_apply",
                branch: branch.to_string(),
                base_version: snapshot.version(),
                tables,
                schema_source: Some(source.to_string()),
                actor: opts.actor.clone(),
                message,
                history: Default::default(),
            },
        )
        .await?;
        Ok(SchemaApplyOutcome {
            commit: Some(outcome),
            migration,
        })
    }
}
