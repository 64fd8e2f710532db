//! `information_schema`'s views of the graph tables' keys, from the same keys
//! `pg_constraint` lists (`catalog::graph_keys`): each table's primary key on `id`, each
//! edge table's foreign keys from `src` and `dst` to its endpoints' `id`.
//! SQLAlchemy, Metabase and ORMs' schema readers join these views.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use crate::catalog::graph_keys::KeySource;
use crate::catalog::key_definitions::{KeyDefinition, KeyKind, primary_key_name};

/// The views of keys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyView {
    TableConstraints,
    KeyColumnUsage,
    ReferentialConstraints,
    ConstraintColumnUsage,
}

impl KeyView {
    pub const ALL: [KeyView; 4] = [
        KeyView::TableConstraints,
        KeyView::KeyColumnUsage,
        KeyView::ReferentialConstraints,
        KeyView::ConstraintColumnUsage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyView::TableConstraints => "table_constraints",
            KeyView::KeyColumnUsage => "key_column_usage",
            KeyView::ReferentialConstraints => "referential_constraints",
            KeyView::ConstraintColumnUsage => "constraint_column_usage",
        }
    }

    pub fn named(name: &str) -> Option<KeyView> {
        KeyView::ALL
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(name))
    }

    fn schema(self) -> SchemaRef {
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        let int = |name: &str| Field::new(name, DataType::Int32, true);
        let constraint = || {
            vec![
                text("constraint_catalog"),
                text("constraint_schema"),
                text("constraint_name"),
            ]
        };
        let table = || {
            vec![
                text("table_catalog"),
                text("table_schema"),
                text("table_name"),
            ]
        };
        let fields = match self {
            KeyView::TableConstraints => [constraint(), table()]
                .concat()
                .into_iter()
                .chain([
                    text("constraint_type"),
                    text("is_deferrable"),
                    text("initially_deferred"),
                    text("enforced"),
                    text("nulls_distinct"),
                ])
                .collect(),
            KeyView::KeyColumnUsage => [constraint(), table()]
                .concat()
                .into_iter()
                .chain([
                    text("column_name"),
                    int("ordinal_position"),
                    int("position_in_unique_constraint"),
                ])
                .collect(),
            KeyView::ReferentialConstraints => constraint()
                .into_iter()
                .chain([
                    text("unique_constraint_catalog"),
                    text("unique_constraint_schema"),
                    text("unique_constraint_name"),
                    text("match_option"),
                    text("update_rule"),
                    text("delete_rule"),
                ])
                .collect(),
            KeyView::ConstraintColumnUsage => {
                [table(), vec![text("column_name")], constraint()].concat()
            }
        };
        Arc::new(Schema::new(fields))
    }
}

/// One constraint on a graph table.
struct Constraint {
    name: String,
    definition: KeyDefinition,
}

impl Constraint {
    fn column(&self) -> &str {
        match &self.definition.kind {
            KeyKind::PrimaryKey { column } | KeyKind::ForeignKey { column, .. } => column,
            KeyKind::PrimaryKeyIndex { column, .. } | KeyKind::Index { column, .. } => column,
        }
    }

    fn is_foreign(&self) -> bool {
        matches!(self.definition.kind, KeyKind::ForeignKey { .. })
    }
}

/// A view of keys, computed at each scan.
#[derive(Debug)]
pub struct KeyViewTable {
    view: KeyView,
    schema: SchemaRef,
    database: String,
    keys: KeySource,
}

impl KeyViewTable {
    pub fn new(view: KeyView, database: &str, keys: KeySource) -> KeyViewTable {
        KeyViewTable {
            view,
            schema: view.schema(),
            database: database.to_string(),
            keys,
        }
    }

    /// Every constraint, by schema, table and name.
    async fn constraints(&self, state: &dyn Session) -> Result<Vec<Constraint>> {
        self.keys.keys(state).await?;
        let mut constraints: Vec<Constraint> = self
            .keys
            .key_definitions_now()
            .into_values()
            .filter_map(|definition| {
                Some(Constraint {
                    name: definition.constraint_name()?,
                    definition,
                })
            })
            .collect();
        constraints.sort_by(|a, b| {
            (&a.definition.schema, &a.definition.table, &a.name).cmp(&(
                &b.definition.schema,
                &b.definition.table,
                &b.name,
            ))
        });
        Ok(constraints)
    }
}

/// The rows of `view` for `constraints`.
fn rows(view: KeyView, database: &str, constraints: &[Constraint]) -> Result<RecordBatch> {
    let rows: Vec<&Constraint> = match view {
        KeyView::ReferentialConstraints => constraints.iter().filter(|c| c.is_foreign()).collect(),
        _ => constraints.iter().collect(),
    };
    let text = |f: &dyn Fn(&Constraint) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(
            rows.iter().map(|c| f(c)).collect::<Vec<_>>(),
        ))
    };
    let int = |f: &dyn Fn(&Constraint) -> Option<i32>| -> ArrayRef {
        Arc::new(Int32Array::from(
            rows.iter().map(|c| f(c)).collect::<Vec<_>>(),
        ))
    };
    let fixed = |value: &str| text(&|_| Some(value.to_string()));
    let database = || fixed(database);
    let constraint = || {
        vec![
            database(),
            text(&|c| Some(c.definition.schema.clone())),
            text(&|c| Some(c.name.clone())),
        ]
    };
    let table = || {
        vec![
            database(),
            text(&|c| Some(c.definition.schema.clone())),
            text(&|c| Some(c.definition.table.clone())),
        ]
    };
    let columns: Vec<ArrayRef> = match view {
        KeyView::TableConstraints => [
            constraint(),
            table(),
            vec![
                text(&|c| {
                    Some(
                        if c.is_foreign() {
                            "FOREIGN KEY"
                        } else {
                            "PRIMARY KEY"
                        }
                        .into(),
                    )
                }),
                fixed("NO"),
                fixed("NO"),
                fixed("YES"),
                text(&|_| None),
            ],
        ]
        .concat(),
        KeyView::KeyColumnUsage => [
            constraint(),
            table(),
            vec![
                text(&|c| Some(c.column().to_string())),
                int(&|_| Some(1)),
                // The position of the referenced column in the referenced key.
                int(&|c| c.is_foreign().then_some(1)),
            ],
        ]
        .concat(),
        KeyView::ReferentialConstraints => [
            constraint(),
            vec![
                database(),
                text(&|c| match &c.definition.kind {
                    KeyKind::ForeignKey { target_schema, .. } => Some(target_schema.clone()),
                    _ => None,
                }),
                text(&|c| match &c.definition.kind {
                    KeyKind::ForeignKey { target_table, .. } => {
                        Some(primary_key_name(target_table))
                    }
                    _ => None,
                }),
                fixed("NONE"),
                fixed("NO ACTION"),
                fixed("NO ACTION"),
            ],
        ]
        .concat(),
        // A foreign key uses the columns it references, a primary key its own.
        KeyView::ConstraintColumnUsage => [
            vec![
                database(),
                text(&|c| match &c.definition.kind {
                    KeyKind::ForeignKey { target_schema, .. } => Some(target_schema.clone()),
                    _ => Some(c.definition.schema.clone()),
                }),
                text(&|c| match &c.definition.kind {
                    KeyKind::ForeignKey { target_table, .. } => Some(target_table.clone()),
                    _ => Some(c.definition.table.clone()),
                }),
                text(&|c| match &c.definition.kind {
                    KeyKind::ForeignKey { target_column, .. } => Some(target_column.clone()),
                    _ => Some(c.column().to_string()),
                }),
            ],
            constraint(),
        ]
        .concat(),
    };
    Ok(RecordBatch::try_new(view.schema(), columns)?)
}

#[async_trait]
impl TableProvider for KeyViewTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = rows(self.view, &self.database, &self.constraints(state).await?)?;
        let plan: Arc<dyn ExecutionPlan> = MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            self.schema.clone(),
            projection.cloned(),
        )?;
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraint(kind: KeyKind) -> Constraint {
        let definition = KeyDefinition {
            schema: "public".into(),
            table: "knows".into(),
            kind,
        };
        Constraint {
            name: definition.constraint_name().unwrap(),
            definition,
        }
    }

    #[test]
    fn foreign_keys_reference_their_target_primary_key() {
        let keys = [
            constraint(KeyKind::PrimaryKey {
                column: "id".into(),
            }),
            constraint(KeyKind::ForeignKey {
                column: "dst".into(),
                target_schema: "public".into(),
                target_table: "person".into(),
                target_column: "id".into(),
            }),
        ];
        assert_eq!(keys[1].name, "knows_dst_fkey");
        let text = |batch: &RecordBatch, column: &str, row: usize| {
            let array = batch.column_by_name(column).unwrap();
            let array = array.as_any().downcast_ref::<StringArray>().unwrap();
            array.is_valid(row).then(|| array.value(row).to_string())
        };
        use arrow::array::Array;
        let referential = rows(KeyView::ReferentialConstraints, "demo", &keys).unwrap();
        assert_eq!(referential.num_rows(), 1);
        assert_eq!(
            text(&referential, "unique_constraint_name", 0).as_deref(),
            Some("person_pkey")
        );
        let usage = rows(KeyView::ConstraintColumnUsage, "demo", &keys).unwrap();
        assert_eq!(text(&usage, "table_name", 0).as_deref(), Some("knows"));
        assert_eq!(text(&usage, "table_name", 1).as_deref(), Some("person"));
        let types = rows(KeyView::TableConstraints, "demo", &keys).unwrap();
        assert_eq!(
            text(&types, "constraint_type", 1).as_deref(),
            Some("FOREIGN KEY")
        );
    }
}
