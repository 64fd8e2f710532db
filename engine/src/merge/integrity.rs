//! Integrity of a merge result: orphan edges, `@unique` and `@card`, checked for what the
//! merge writes against the target's rows, before anything is written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow_array::Array;
use arrow_schema::{DataType, Field, Schema};
use futures::TryStreamExt;
use lance::deps::datafusion::scalar::ScalarValue;

use super::conflict::{ConflictKind, MergeConflict};
use super::entity::TableMerge;
use crate::changes::{RowReader, row_json};
use crate::error::Result;
use crate::graph::Graph;
use crate::manifest::TableEntry;
use crate::schema::GraphSchema;
use crate::snapshot::Snapshot;
use crate::storage::{id_in_filter, string_column};

fn text(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => Some(s.clone()),
        _ => None,
    }
}

struct Checker<'a> {
    graph: &'a Graph,
    target: &'a Snapshot,
    tables: HashMap<&'a str, &'a TableMerge>,
    conflicts: &'a mut Vec<MergeConflict>,
}

impl<'a> Checker<'a> {
    fn plan(&self, table: &str) -> Option<&'a TableMerge> {
        self.tables.get(table).copied()
    }

    /// The version of `table` the merge writes onto: the target's, or the one it adopts.
    fn ours(&self, table: &str) -> Option<TableEntry> {
        match self.plan(table).and_then(|p| p.ours.clone()) {
            Some(entry) => Some(entry),
            None => self
                .target
                .table_entries()
                .find(|e| e.name == table)
                .cloned(),
        }
    }

    /// Which of `ids` exist in node table `table` after the merge.
    async fn existing(&self, table: &str, ids: &HashSet<String>) -> Result<HashSet<String>> {
        let plan = self.plan(table);
        let mut found = HashSet::new();
        let mut lookup = HashSet::new();
        for id in ids {
            match plan {
                Some(p) if p.upserts.contains_key(id) => {
                    found.insert(id.clone());
                }
                Some(p) if p.removed.contains(id) => {}
                _ => {
                    lookup.insert(id.clone());
                }
            }
        }
        if let (Some(entry), false) = (self.ours(table), lookup.is_empty()) {
            let reader = RowReader::new(Arc::new(Schema::new(vec![Field::new(
                "id",
                DataType::Utf8,
                false,
            )])));
            let dataset = self.graph.table_dataset(&entry).await?;
            found.extend(reader.by_ids(&dataset, &lookup).await?.into_keys());
        }
        Ok(found)
    }

    fn push(&mut self, table: &str, id: &str, kind: ConflictKind, detail: String) {
        self.conflicts.push(MergeConflict {
            table: table.to_string(),
            id: id.to_string(),
            kind,
            detail,
            base: None,
            ours: None,
            theirs: None,
        });
    }

    /// Edges the merge writes must have both endpoints after it.
    async fn written_edge_endpoints(&mut self, schema: &GraphSchema) -> Result<()> {
        for edge in schema.edges.values() {
            let Some(plan) = self.plan(&edge.table) else {
                continue;
            };
            if plan.upserts.is_empty() {
                continue;
            }
            let columns = plan.columns.clone();
            let rows: Vec<(String, String, String, String)> = plan
                .upserts
                .iter()
                .filter_map(|(id, row)| {
                    Some((
                        id.clone(),
                        text(&row[1])?,
                        text(&row[2])?,
                        row_json(&columns, row).to_string(),
                    ))
                })
                .collect();
            for (endpoint, node_table) in [("src", &edge.src_table), ("dst", &edge.dst_table)] {
                let ids: HashSet<String> = rows
                    .iter()
                    .map(|r| if endpoint == "src" { &r.1 } else { &r.2 }.clone())
                    .collect();
                let found = self.existing(node_table, &ids).await?;
                for (id, src, dst, json) in &rows {
                    let end = if endpoint == "src" { src } else { dst };
                    if !found.contains(end) {
                        self.conflicts.push(MergeConflict {
                            table: edge.table.clone(),
                            id: id.clone(),
                            kind: ConflictKind::OrphanEdge,
                            detail: format!(
                                "{endpoint} '{end}' is not in {node_table} after the merge (deleted on the target)"
                            ),
                            base: None,
                            ours: None,
                            theirs: Some(json.clone()),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Nodes the merge deletes must not keep edges the target has.
    async fn deleted_node_edges(&mut self, schema: &GraphSchema) -> Result<()> {
        for edge in schema.edges.values() {
            let Some(entry) = self.ours(&edge.table) else {
                continue;
            };
            let edge_plan_removed = self.plan(&edge.table).map(|p| p.removed.clone());
            for (endpoint, node_table) in [("src", &edge.src_table), ("dst", &edge.dst_table)] {
                let Some(node_plan) = self.plan(node_table) else {
                    continue;
                };
                if node_plan.deleted.is_empty() {
                    continue;
                }
                let deleted: Vec<String> = node_plan.deleted.iter().cloned().collect();
                let dataset = self.graph.table_dataset(&entry).await?;
                let mut orphans = Vec::new();
                for chunk in deleted.chunks(1024) {
                    let mut scanner = dataset.scan();
                    scanner.project(&["id", endpoint])?;
                    scanner.filter(&id_in_filter(endpoint, chunk.iter().map(String::as_str)))?;
                    let mut stream = scanner.try_into_stream().await?;
                    while let Some(batch) = stream.try_next().await? {
                        let ids = string_column(&batch, 0)?;
                        let ends = string_column(&batch, 1)?;
                        for i in 0..ids.len() {
                            let id = ids.value(i);
                            if edge_plan_removed.as_ref().is_some_and(|r| r.contains(id)) {
                                continue;
                            }
                            orphans.push((id.to_string(), ends.value(i).to_string()));
                        }
                    }
                }
                for (id, end) in orphans {
                    self.push(
                        &edge.table,
                        &id,
                        ConflictKind::OrphanEdge,
                        format!(
                            "{endpoint} '{end}' was deleted on the source; the target has this edge"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Values of `@unique` properties the merge writes must stay unique.
    async fn unique_values(&mut self, schema: &GraphSchema) -> Result<()> {
        for def in schema.tables() {
            let Some(plan) = self.plan(def.table()) else {
                continue;
            };
            if plan.upserts.is_empty() {
                continue;
            }
            for prop in def.properties().iter().filter(|p| p.unique) {
                let Some(index) = plan.columns.index_of(&prop.column).ok() else {
                    continue;
                };
                let mut written: HashMap<&ScalarValue, &String> = HashMap::new();
                let mut clashes: Vec<(String, String)> = Vec::new();
                for (id, row) in &plan.upserts {
                    let value = &row[index];
                    if value.is_null() {
                        continue;
                    }
                    if let Some(other) = written.insert(value, id) {
                        clashes.push((id.clone(), format!("{value} (also written for '{other}')")));
                    }
                }
                if let Some(entry) = self.ours(def.table()) {
                    let dataset = self.graph.table_dataset(&entry).await?;
                    let present = dataset.schema().field(&prop.column).is_some();
                    if present {
                        let mut scanner = dataset.scan();
                        scanner.project(&["id", prop.column.as_str()])?;
                        let mut stream = scanner.try_into_stream().await?;
                        while let Some(batch) = stream.try_next().await? {
                            let ids = string_column(&batch, 0)?;
                            let values = batch.column(1);
                            for i in 0..ids.len() {
                                let id = ids.value(i);
                                if values.is_null(i) || plan.removed.contains(id) {
                                    continue;
                                }
                                let value = ScalarValue::try_from_array(values, i)?;
                                if let Some(writer) = written.get(&value) {
                                    clashes.push((
                                        (*writer).clone(),
                                        format!("{value} (the target's '{id}' has it)"),
                                    ));
                                }
                            }
                        }
                    }
                }
                for (id, detail) in clashes {
                    self.push(
                        def.table(),
                        &id,
                        ConflictKind::UniqueViolation,
                        format!("{}.{} = {detail}", def.table(), prop.column),
                    );
                }
            }
        }
        Ok(())
    }

    /// Source nodes whose edges the merge changes must keep `@card`.
    async fn cardinality(&mut self, schema: &GraphSchema) -> Result<()> {
        for edge in schema.edges.values() {
            let Some(card) = edge.cardinality else {
                continue;
            };
            let Some(plan) = self.plan(&edge.table) else {
                continue;
            };
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for row in plan.upserts.values() {
                if let Some(src) = text(&row[1]) {
                    *counts.entry(src).or_default() += 1;
                }
            }
            for change in &plan.applied {
                if let Some(src) = change.before.as_ref().and_then(|r| text(&r[1])) {
                    counts.entry(src).or_default();
                }
            }
            if counts.is_empty() {
                continue;
            }
            if let Some(entry) = self.ours(&edge.table) {
                let dataset = self.graph.table_dataset(&entry).await?;
                let srcs: Vec<String> = counts.keys().cloned().collect();
                for chunk in srcs.chunks(1024) {
                    let mut scanner = dataset.scan();
                    scanner.project(&["id", "src"])?;
                    scanner.filter(&id_in_filter("src", chunk.iter().map(String::as_str)))?;
                    let mut stream = scanner.try_into_stream().await?;
                    while let Some(batch) = stream.try_next().await? {
                        let ids = string_column(&batch, 0)?;
                        let src = string_column(&batch, 1)?;
                        for i in 0..ids.len() {
                            if !plan.removed.contains(ids.value(i))
                                && let Some(c) = counts.get_mut(src.value(i))
                            {
                                *c += 1;
                            }
                        }
                    }
                }
            }
            let srcs: HashSet<String> = counts.keys().cloned().collect();
            let alive = self.existing(&edge.src_table, &srcs).await?;
            for (src, count) in counts {
                if !alive.contains(&src) {
                    continue;
                }
                if count < card.min || card.max.is_some_and(|m| count > m) {
                    let max = card.max.map(|m| m.to_string()).unwrap_or_default();
                    self.push(
                        &edge.table,
                        &src,
                        ConflictKind::CardinalityViolation,
                        format!(
                            "'{src}' would have {count} {} edges; @card({}..{max})",
                            edge.table, card.min
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Adds the integrity conflicts of applying `tables` to `target` to `conflicts`.
pub(crate) async fn check(
    graph: &Graph,
    target: &Snapshot,
    schema: &GraphSchema,
    tables: &[TableMerge],
    conflicts: &mut Vec<MergeConflict>,
) -> Result<()> {
    let mut checker = Checker {
        graph,
        target,
        tables: tables.iter().map(|t| (t.name.as_str(), t)).collect(),
        conflicts,
    };
    checker.written_edge_endpoints(schema).await?;
    checker.deleted_node_edges(schema).await?;
    checker.unique_values(schema).await?;
    checker.cardinality(schema).await?;
    Ok(())
}
