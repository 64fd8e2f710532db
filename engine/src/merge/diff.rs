//! Net diffs of a table between two refs.

use arrow_schema::SchemaRef;

use crate::changes::{RowChange, RowReader, net_changes};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::schema::table_arrow_schema;
use crate::snapshot::Snapshot;

impl Graph {
    /// Net changes of table `table` from `from_ref` to `to_ref` (refs read on
    /// `current_branch`), with the columns of the table at `to_ref`.
    pub async fn diff(
        &self,
        current_branch: &str,
        table: &str,
        from_ref: &str,
        to_ref: &str,
    ) -> Result<(SchemaRef, Vec<RowChange>)> {
        let from = self.snapshot_at_text(current_branch, from_ref).await?;
        let to = self.snapshot_at_text(current_branch, to_ref).await?;
        let def = to
            .schema()
            .table(table)
            .or_else(|| from.schema().table(table))
            .ok_or_else(|| Error::UnknownTable(table.to_string()))?;
        let name = def.table().to_string();
        let columns = table_arrow_schema(def);
        let entry = |s: &Snapshot| s.table_entries().find(|e| e.name == name).cloned();
        let reader = RowReader::new(columns.clone());
        let changes = net_changes(
            self.table_store(),
            &reader,
            entry(&from).as_ref(),
            entry(&to).as_ref(),
        )
        .await?;
        Ok((columns, changes))
    }
}
