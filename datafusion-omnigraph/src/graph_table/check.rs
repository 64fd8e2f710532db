//! [`NodeCheck`]: a node filter of a pattern evaluated on the table's cached columns
//! instead of by running its query. The filter's query (`SELECT id FROM t WHERE ...`,
//! planned and optimised with the statement, its parameters bound) is read back into
//! its predicate; the match node evaluates it by position over the whole table, or
//! only over the nodes a search reached.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::execution::SessionState;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use omnigraph_engine::Snapshot;

use crate::error::{DfResult, to_df};

/// A filter on one node table's columns.
pub struct NodeCheck {
    pub table: String,
    /// The columns the predicate reads, in the order of `schema`.
    schema: SchemaRef,
    predicate: Arc<dyn PhysicalExpr>,
}

impl fmt::Debug for NodeCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.table, self.predicate)
    }
}

impl NodeCheck {
    /// The check an element filter's optimised query amounts to, when it is the ids of
    /// one table's rows that pass filters (no join, limit or subquery).
    pub fn from_plan(plan: &LogicalPlan, state: &SessionState) -> DfResult<Option<NodeCheck>> {
        let mut node = plan;
        if let LogicalPlan::Projection(p) = node {
            let [expr] = p.expr.as_slice() else {
                return Ok(None);
            };
            let column = match expr {
                Expr::Alias(a) => &*a.expr,
                other => other,
            };
            if !matches!(column, Expr::Column(c) if c.name == "id") {
                return Ok(None);
            }
            node = &p.input;
        }
        let mut predicates: Vec<Expr> = Vec::new();
        let scan = loop {
            match node {
                LogicalPlan::Filter(f) => {
                    predicates.push(f.predicate.clone());
                    node = &f.input;
                }
                LogicalPlan::SubqueryAlias(a) => node = &a.input,
                LogicalPlan::TableScan(scan) if scan.fetch.is_none() => break scan,
                _ => return Ok(None),
            }
        };
        predicates.extend(scan.filters.iter().cloned());
        // Qualifiers differ above and below the alias; within one table names suffice.
        let predicates = predicates
            .into_iter()
            .map(|p| {
                p.transform(|e| match e {
                    Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(
                        c.name,
                    )))),
                    other => Ok(Transformed::no(other)),
                })
                .map(|t| t.data)
            })
            .collect::<DfResult<Vec<_>>>()?;
        let Some(predicate) = conjunction(predicates) else {
            return Ok(None);
        };
        let read = predicate.column_refs();
        let table_schema = scan.source.schema();
        let fields: Vec<Field> = table_schema
            .fields()
            .iter()
            .filter(|f| read.iter().any(|c| c.name == *f.name()))
            .map(|f| f.as_ref().clone())
            .collect();
        if fields.len() != read.len() {
            return Ok(None);
        }
        let schema = Arc::new(Schema::new(fields));
        let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
        let predicate = state.create_physical_expr(predicate, &df_schema)?;
        Ok(Some(NodeCheck {
            table: scan.table_name.table().to_string(),
            schema,
            predicate,
        }))
    }

    /// The columns the predicate reads, whole, from the snapshot's column cache.
    pub async fn load(self: &Arc<Self>, snapshot: &Snapshot) -> DfResult<LoadedCheck> {
        let mut columns = Vec::new();
        for field in self.schema.fields() {
            let array = snapshot
                .column(&self.table, field.name())
                .await
                .map_err(to_df)?;
            columns.push(if array.data_type() == field.data_type() {
                (*array).clone()
            } else {
                cast(array.as_ref(), field.data_type())?
            });
        }
        Ok(LoadedCheck {
            check: self.clone(),
            columns,
        })
    }
}

/// A check with its columns in memory.
pub struct LoadedCheck {
    check: Arc<NodeCheck>,
    columns: Vec<ArrayRef>,
}

impl LoadedCheck {
    pub fn table(&self) -> &str {
        &self.check.table
    }

    /// Whether each of the table's `rows` rows passes (NULL does not).
    pub fn evaluate_all(&self, rows: usize) -> DfResult<BooleanArray> {
        self.evaluate(self.columns.clone(), rows)
    }

    /// Whether each of `positions` passes.
    pub fn evaluate_at(&self, positions: &[u32]) -> DfResult<BooleanArray> {
        let indices = UInt32Array::from(positions.to_vec());
        let columns = self
            .columns
            .iter()
            .map(|c| take(c.as_ref(), &indices, None))
            .collect::<Result<Vec<_>, _>>()?;
        self.evaluate(columns, positions.len())
    }

    fn evaluate(&self, columns: Vec<ArrayRef>, rows: usize) -> DfResult<BooleanArray> {
        let batch = RecordBatch::try_new_with_options(
            self.check.schema.clone(),
            columns,
            &datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )?;
        let result = self.check.predicate.evaluate(&batch)?.into_array(rows)?;
        let result = result
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| {
                crate::functions::args::invalid("a filter that is not boolean".into())
            })?;
        // NULL is not true.
        Ok(match result.nulls() {
            Some(_) => datafusion::arrow::compute::prep_null_mask_filter(result),
            None => result.clone(),
        })
    }
}
