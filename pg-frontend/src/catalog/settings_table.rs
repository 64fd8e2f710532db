//! `pg_settings`, read from the connection's own parameters.

use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field};
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::Result as DFResult;
use datafusion::datasource::TableType;

use crate::connection::{PgSettings, display_name};

/// `pg_settings`: the connection's run-time parameters as they are now (`SET` changes
/// them), one row each.
#[derive(Debug)]
pub struct SettingsTable(pub Arc<Mutex<PgSettings>>);

impl SettingsTable {
    fn columns() -> SchemaRef {
        static COLUMNS: OnceLock<SchemaRef> = OnceLock::new();
        COLUMNS.get_or_init(SettingsTable::build_columns).clone()
    }

    fn build_columns() -> SchemaRef {
        let text = |name: &str| Field::new(name, DataType::Utf8, true);
        Arc::new(arrow::datatypes::Schema::new(vec![
            text("name"),
            text("setting"),
            text("unit"),
            text("category"),
            text("short_desc"),
            text("extra_desc"),
            text("context"),
            text("vartype"),
            text("source"),
            text("min_val"),
            text("max_val"),
            text("enumvals"),
            text("boot_val"),
            text("reset_val"),
            text("sourcefile"),
            Field::new("sourceline", DataType::Int32, true),
            Field::new("pending_restart", DataType::Boolean, true),
        ]))
    }
}

#[async_trait]
impl TableProvider for SettingsTable {
    fn schema(&self) -> SchemaRef {
        SettingsTable::columns()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn datafusion::catalog::Session,
        projection: Option<&Vec<usize>>,
        _filters: &[datafusion::logical_expr::Expr],
        _limit: Option<usize>,
    ) -> DFResult<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        let schema = SettingsTable::columns();
        let mut rows: Vec<(String, String)> = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .all()
            .map(|(name, value)| (display_name(name).to_string(), value.clone()))
            .collect();
        rows.sort();
        let count = rows.len();
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
        ];
        for field in schema.fields().iter().skip(2) {
            columns.push(arrow::array::new_null_array(field.data_type(), count));
        }
        let batch = arrow::record_batch::RecordBatch::try_new(schema.clone(), columns)?;
        let plan: Arc<dyn datafusion::physical_plan::ExecutionPlan> =
            datafusion::datasource::memory::MemorySourceConfig::try_new_exec(
                &[vec![batch]],
                schema,
                projection.cloned(),
            )?;
        Ok(plan)
    }
}
