//! Procedures as table functions: `apply_schema`, `create_index`, `drop_index`, `load`,
//! `create_branch`, `delete_branch`, `merge` and `merge_conflicts`.
//!
//! Planning a procedure only checks its arguments; the effect runs when the plan is
//! executed, once per execution — never at planning or `EXPLAIN`.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use futures::future::BoxFuture;
use omnigraph_engine::schema::{IndexMethod, VectorMetric};
use omnigraph_engine::{IndexDefinition, IndexError, LoadMode};

use super::args::Args;
use crate::context::GraphContext;
use crate::error::{DfResult, to_df};
use crate::privilege::Role;
use crate::statement_context::StatementContext;

/// What a procedure does when it runs, which decides where it may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads the graph only (allowed on an `omnigraph.as_of` session).
    Reads,
    /// Writes a commit to the session's branch.
    WritesBranch,
    /// Creates, deletes or moves branch heads; not inside a transaction, which would
    /// have to roll back what other sessions already see.
    MovesBranches,
    /// Rewrites or removes storage without changing what any kept version reads; like
    /// PostgreSQL's `VACUUM`, not inside a transaction.
    Maintains,
}

/// One procedure: the single table that routing, privilege checks, the catalog's list of
/// functions and the documentation read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcedureSpec {
    pub name: &'static str,
    /// The arguments, as the SQL reference writes them.
    pub signature: &'static str,
    /// The least role that may call it.
    pub role: Role,
    pub effect: Effect,
    /// One line for the reference.
    pub doc: &'static str,
}

/// Every procedure, in documentation order.
pub const PROCEDURES: &[ProcedureSpec] = &[
    ProcedureSpec {
        name: "apply_schema",
        signature: "(text)",
        role: Role::Admin,
        effect: Effect::WritesBranch,
        doc: "create or additively migrate the schema, one commit",
    },
    ProcedureSpec {
        name: "create_index",
        signature: "(table, column [, name [, method [, if_not_exists [, opclass]]]])",
        // Edits the schema (the property's @index), as CREATE INDEX does.
        role: Role::Admin,
        effect: Effect::WritesBranch,
        doc: "index a property (marks it @index and builds the index), one commit",
    },
    ProcedureSpec {
        name: "drop_index",
        signature: "(name [, if_exists])",
        role: Role::Admin,
        effect: Effect::WritesBranch,
        doc: "drop an index that @index declared, one commit",
    },
    ProcedureSpec {
        name: "load",
        signature: "(path [, mode [, type]])",
        // Reads files of the server's file system.
        role: Role::Admin,
        effect: Effect::WritesBranch,
        doc: "load NDJSON, CSV or Parquet files (a file, a directory or a glob) on the machine running the engine, one commit",
    },
    ProcedureSpec {
        name: "create_branch",
        signature: "(name [, from_ref])",
        role: Role::Write,
        effect: Effect::MovesBranches,
        doc: "new branch of the whole graph",
    },
    ProcedureSpec {
        name: "delete_branch",
        signature: "(name)",
        role: Role::Write,
        effect: Effect::MovesBranches,
        doc: "drop a branch",
    },
    ProcedureSpec {
        name: "merge",
        signature: "(source [, target])",
        role: Role::Write,
        effect: Effect::MovesBranches,
        doc: "three-way merge of branch source into target, one commit",
    },
    ProcedureSpec {
        name: "merge_conflicts",
        signature: "(source [, target])",
        role: Role::Read,
        effect: Effect::Reads,
        doc: "the conflicts merge would hit now, without merging",
    },
    ProcedureSpec {
        name: "optimize",
        signature: "([table [, ...]])",
        role: Role::Write,
        effect: Effect::Maintains,
        doc: "compact tables and the manifest and bring indexes up to date, one commit whose data is unchanged",
    },
    ProcedureSpec {
        name: "cleanup",
        signature: "([keep_versions [, older_than]])",
        // Removes history every user could read.
        role: Role::Admin,
        effect: Effect::Maintains,
        doc: "remove versions the policy lets go and every file, fork and table no kept version reaches",
    },
];

impl ProcedureSpec {
    /// The parameter names, in order, as the signature writes them (for calls in named
    /// notation, `name => value`).
    pub fn parameters(&self) -> Vec<&'static str> {
        self.signature
            .split(['(', ')', '[', ']', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "...")
            .collect()
    }
}

/// The procedure named `name` (already normalised: unquoted names are lower case).
pub fn procedure(name: &str) -> Option<&'static ProcedureSpec> {
    PROCEDURES.iter().find(|p| p.name == name)
}

/// A procedure call with its arguments checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcedureCall {
    ApplySchema {
        source: String,
    },
    CreateIndex {
        definition: IndexDefinition,
        if_not_exists: bool,
    },
    DropIndex {
        name: String,
        if_exists: bool,
    },
    Load {
        path: String,
        mode: LoadMode,
        /// The node or edge type of CSV and Parquet rows (else each file's name says).
        table: Option<String>,
    },
    CreateBranch {
        name: String,
        from: Option<String>,
    },
    DeleteBranch {
        name: String,
    },
    /// `target` defaults to the session's branch.
    Merge {
        source: String,
        target: Option<String>,
    },
    MergeConflicts {
        source: String,
        target: Option<String>,
    },
    /// Every table when `tables` is empty.
    Optimize {
        tables: Vec<String>,
    },
    Cleanup {
        keep_versions: Option<u64>,
        older_than: Option<std::time::Duration>,
    },
}

impl ProcedureCall {
    /// Parses a call of procedure `name` with literal arguments `exprs`.
    pub fn parse(name: &str, exprs: &[Expr]) -> DfResult<ProcedureCall> {
        Ok(match name {
            "apply_schema" => {
                let a = Args::new(name, exprs, 1, 1)?;
                ProcedureCall::ApplySchema {
                    source: a.text(0, "schema")?,
                }
            }
            "create_index" => {
                let a = Args::new(name, exprs, 2, 6)?;
                let method = match a.nullable_text(3, "method")? {
                    Some(m) => Some(
                        IndexMethod::from_name(&m)
                            .ok_or_else(|| to_df(IndexError::UnknownMethod(m).into()))?,
                    ),
                    None => None,
                };
                let metric = match a.nullable_text(5, "opclass")? {
                    Some(ops) => Some(VectorMetric::from_ops_name(&ops).ok_or_else(|| {
                        let method = method.map_or("hnsw".to_string(), |m| m.to_string());
                        to_df(IndexError::UnknownOperatorClass { ops, method }.into())
                    })?),
                    None => None,
                };
                ProcedureCall::CreateIndex {
                    definition: IndexDefinition {
                        table: a.text(0, "table")?,
                        column: a.text(1, "column")?,
                        name: a.nullable_text(2, "name")?,
                        method,
                        metric,
                    },
                    if_not_exists: a.opt_bool(4, "if_not_exists")?.unwrap_or(false),
                }
            }
            "drop_index" => {
                let a = Args::new(name, exprs, 1, 2)?;
                ProcedureCall::DropIndex {
                    name: a.text(0, "name")?,
                    if_exists: a.opt_bool(1, "if_exists")?.unwrap_or(false),
                }
            }
            "load" => {
                let a = Args::new(name, exprs, 1, 3)?;
                let mode = match a.opt_text(1, "mode")? {
                    Some(m) => m.parse::<LoadMode>().map_err(to_df)?,
                    None => LoadMode::Merge,
                };
                ProcedureCall::Load {
                    path: a.text(0, "path")?,
                    mode,
                    table: a.opt_text(2, "type")?,
                }
            }
            "create_branch" => {
                let a = Args::new(name, exprs, 1, 2)?;
                ProcedureCall::CreateBranch {
                    name: a.text(0, "name")?,
                    from: a.opt_text(1, "from_ref")?,
                }
            }
            "delete_branch" => {
                let a = Args::new(name, exprs, 1, 1)?;
                ProcedureCall::DeleteBranch {
                    name: a.text(0, "name")?,
                }
            }
            "merge" | "merge_conflicts" => {
                let a = Args::new(name, exprs, 1, 2)?;
                let source = a.text(0, "source")?;
                let target = a.opt_text(1, "target")?;
                if name == "merge" {
                    ProcedureCall::Merge { source, target }
                } else {
                    ProcedureCall::MergeConflicts { source, target }
                }
            }
            "optimize" => {
                let a = Args::new(name, exprs, 0, usize::MAX)?;
                let mut tables = Vec::new();
                for i in 0..a.len() {
                    tables.extend(a.nullable_text(i, "table")?);
                }
                ProcedureCall::Optimize { tables }
            }
            "cleanup" => {
                let a = Args::new(name, exprs, 0, 2)?;
                let keep_versions = a.nullable_u64(0, "keep_versions")?;
                let older_than = a.nullable_interval(1, "older_than")?;
                if keep_versions.is_none() && older_than.is_none() {
                    return Err(super::args::invalid(
                        "cleanup() needs keep_versions => n or older_than => interval".into(),
                    ));
                }
                ProcedureCall::Cleanup {
                    keep_versions,
                    older_than,
                }
            }
            other => return datafusion::common::internal_err!("unknown procedure '{other}'"),
        })
    }

    /// The procedure's entry in [`PROCEDURES`].
    pub fn spec(&self) -> &'static ProcedureSpec {
        procedure(self.name()).expect("every call is of a listed procedure")
    }

    pub fn name(&self) -> &'static str {
        match self {
            ProcedureCall::ApplySchema { .. } => "apply_schema",
            ProcedureCall::CreateIndex { .. } => "create_index",
            ProcedureCall::DropIndex { .. } => "drop_index",
            ProcedureCall::Load { .. } => "load",
            ProcedureCall::CreateBranch { .. } => "create_branch",
            ProcedureCall::DeleteBranch { .. } => "delete_branch",
            ProcedureCall::Merge { .. } => "merge",
            ProcedureCall::MergeConflicts { .. } => "merge_conflicts",
            ProcedureCall::Optimize { .. } => "optimize",
            ProcedureCall::Cleanup { .. } => "cleanup",
        }
    }

    /// The columns the procedure returns (one row).
    pub fn schema(&self) -> SchemaRef {
        let text = |n: &str| Field::new(n, DataType::Utf8, true);
        let num = |n: &str| Field::new(n, DataType::UInt64, true);
        Arc::new(Schema::new(match self {
            ProcedureCall::ApplySchema { .. } => {
                vec![
                    text("commit_id"),
                    num("version"),
                    text("new_tables"),
                    text("altered_tables"),
                ]
            }
            ProcedureCall::CreateIndex { .. } | ProcedureCall::DropIndex { .. } => vec![
                text("index_name"),
                text("table_name"),
                text("commit_id"),
                num("version"),
            ],
            ProcedureCall::Load { .. } => {
                vec![
                    num("nodes"),
                    num("edges"),
                    text("commit_id"),
                    num("version"),
                ]
            }
            ProcedureCall::CreateBranch { .. } => vec![text("branch"), text("created_from")],
            ProcedureCall::DeleteBranch { .. } => vec![text("branch")],
            ProcedureCall::Merge { .. } => vec![
                text("outcome"),
                text("commit_id"),
                num("version"),
                text("base_commit"),
                num("inserted"),
                num("updated"),
                num("deleted"),
            ],
            ProcedureCall::Optimize { .. } => vec![
                Field::new("table_name", DataType::Utf8, false),
                Field::new("fragments_before", DataType::UInt64, false),
                Field::new("fragments_after", DataType::UInt64, false),
                Field::new("rows", DataType::UInt64, false),
                text("commit_id"),
                num("version"),
            ],
            ProcedureCall::Cleanup { .. } => vec![
                Field::new("graph_versions_removed", DataType::UInt64, false),
                Field::new("table_versions_removed", DataType::UInt64, false),
                Field::new("forks_removed", DataType::UInt64, false),
                Field::new("tables_removed", DataType::UInt64, false),
                Field::new("files_removed", DataType::UInt64, false),
                Field::new("bytes_removed", DataType::UInt64, false),
            ],
            ProcedureCall::MergeConflicts { .. } => vec![
                Field::new("table_name", DataType::Utf8, false),
                Field::new("id", DataType::Utf8, false),
                Field::new("kind", DataType::Utf8, false),
                Field::new("detail", DataType::Utf8, false),
                text("base"),
                text("ours"),
                text("theirs"),
            ],
        }))
    }

    /// Performs the effect and returns the result row.
    pub async fn run(
        &self,
        ctx: &GraphContext,
        statement: Option<&StatementContext>,
    ) -> omnigraph_engine::Result<RecordBatch> {
        let effect = self.spec().effect;
        if effect != Effect::Reads {
            ctx.require_writable()?;
        }
        if matches!(effect, Effect::MovesBranches | Effect::Maintains) {
            ctx.require_no_transaction(self.name())?;
        }
        let graph = ctx.graph();
        let branch = ctx.branch();
        let opts = ctx.write_options(statement);
        let text = |v: Option<String>| -> ArrayRef { Arc::new(StringArray::from(vec![v])) };
        let num = |v: Option<u64>| -> ArrayRef { Arc::new(UInt64Array::from(vec![v])) };
        let columns = match self {
            ProcedureCall::ApplySchema { source } => {
                let out = graph.apply_schema(&branch, source, &opts).await?;
                let altered: Vec<&str> = out
                    .migration
                    .new_columns
                    .keys()
                    .map(String::as_str)
                    .collect();
                vec![
                    text(out.commit.as_ref().map(|c| c.commit_id.clone())),
                    num(out.commit.as_ref().map(|c| c.graph_version)),
                    text(Some(out.migration.new_tables.join(","))),
                    text(Some(altered.join(","))),
                ]
            }
            ProcedureCall::CreateIndex {
                definition,
                if_not_exists,
            } => {
                let out = graph
                    .create_index(&branch, definition, *if_not_exists, &opts)
                    .await?;
                index_ddl_row(out, statement)
            }
            ProcedureCall::DropIndex { name, if_exists } => {
                let out = graph.drop_index(&branch, name, *if_exists, &opts).await?;
                index_ddl_row(out, statement)
            }
            ProcedureCall::Load { path, mode, table } => {
                let out = graph
                    .load_path(&branch, path, *mode, table.as_deref(), &opts)
                    .await?;
                vec![
                    num(Some(out.nodes)),
                    num(Some(out.edges)),
                    text(out.commit.as_ref().map(|c| c.commit_id.clone())),
                    num(out.commit.as_ref().map(|c| c.graph_version)),
                ]
            }
            ProcedureCall::CreateBranch { name, from } => {
                let info = graph
                    .create_branch_on(name, from.as_deref(), &branch)
                    .await?;
                ctx.refresh_branches().await?;
                vec![text(Some(info.name)), text(info.created_from)]
            }
            ProcedureCall::DeleteBranch { name } => {
                if ctx.branch() == *name {
                    return Err(omnigraph_engine::Error::InvalidArgument(format!(
                        "cannot delete branch '{name}': it is this session's current branch"
                    )));
                }
                graph.delete_branch(name).await?;
                ctx.refresh_branches().await?;
                vec![text(Some(name.clone()))]
            }
            ProcedureCall::Merge { source, target } => {
                let target = target.clone().unwrap_or_else(|| branch.clone());
                let out = graph.merge(source, &target, &opts).await?;
                let total =
                    |pick: fn(&(u64, u64, u64)) -> u64| out.changes.values().map(pick).sum();
                vec![
                    text(Some(out.kind.as_str().to_string())),
                    text(out.commit_id.clone()),
                    num(Some(out.graph_version)),
                    text(out.base_commit.clone()),
                    num(Some(total(|c| c.0))),
                    num(Some(total(|c| c.1))),
                    num(Some(total(|c| c.2))),
                ]
            }
            ProcedureCall::Optimize { tables } => {
                let selection = (!tables.is_empty()).then_some(tables.as_slice());
                let out = Box::pin(graph.optimize(&branch, selection, &opts)).await?;
                let rows = out.tables.len();
                let commit = out.commit.as_ref();
                vec![
                    Arc::new(StringArray::from_iter_values(
                        out.tables.iter().map(|t| t.table.clone()),
                    )) as ArrayRef,
                    Arc::new(UInt64Array::from_iter_values(
                        out.tables.iter().map(|t| t.fragments_before),
                    )),
                    Arc::new(UInt64Array::from_iter_values(
                        out.tables.iter().map(|t| t.fragments_after),
                    )),
                    Arc::new(UInt64Array::from_iter_values(
                        out.tables.iter().map(|t| t.rows),
                    )),
                    Arc::new(StringArray::from(vec![
                        commit.map(|c| c.commit_id.clone());
                        rows
                    ])),
                    Arc::new(UInt64Array::from(vec![
                        commit.map(|c| c.graph_version);
                        rows
                    ])),
                ]
            }
            ProcedureCall::Cleanup {
                keep_versions,
                older_than,
            } => {
                let policy = omnigraph_engine::CleanupPolicy {
                    keep_versions: *keep_versions,
                    older_than: *older_than,
                };
                let out = Box::pin(graph.cleanup(&policy)).await?;
                ctx.refresh_branches().await?;
                if let (false, Some(statement)) = (out.swept_unreferenced, statement) {
                    statement.add_notice(
                        "writes were in flight: files they may still need were kept; run cleanup again later to remove leftovers of failed writes".to_string(),
                    );
                }
                [
                    out.graph_versions_removed,
                    out.table_versions_removed,
                    out.forks_removed,
                    out.datasets_removed,
                    out.files_removed,
                    out.bytes_removed,
                ]
                .into_iter()
                .map(|n| Arc::new(UInt64Array::from(vec![n])) as ArrayRef)
                .collect()
            }
            ProcedureCall::MergeConflicts { source, target } => {
                let target = target.clone().unwrap_or_else(|| branch.clone());
                let conflicts = graph.merge_conflicts(source, &target).await?;
                let column =
                    |f: fn(&omnigraph_engine::MergeConflict) -> Option<String>| -> ArrayRef {
                        Arc::new(StringArray::from(
                            conflicts.iter().map(f).collect::<Vec<_>>(),
                        ))
                    };
                vec![
                    column(|c| Some(c.table.clone())),
                    column(|c| Some(c.id.clone())),
                    column(|c| Some(c.kind.as_str().to_string())),
                    column(|c| Some(c.detail.clone())),
                    column(|c| c.base.clone()),
                    column(|c| c.ours.clone()),
                    column(|c| c.theirs.clone()),
                ]
            }
        };
        Ok(RecordBatch::try_new(self.schema(), columns)?)
    }
}

/// The row of `create_index`/`drop_index`; an `IF [NOT] EXISTS` that did nothing says so
/// in a notice, as PostgreSQL does.
fn index_ddl_row(
    out: omnigraph_engine::IndexDdlOutcome,
    statement: Option<&StatementContext>,
) -> Vec<ArrayRef> {
    if let (Some(skipped), Some(statement)) = (&out.skipped, statement) {
        statement.add_notice(skipped.clone());
    }
    vec![
        Arc::new(StringArray::from(vec![Some(out.index)])),
        Arc::new(StringArray::from(vec![out.table])),
        Arc::new(StringArray::from(vec![
            out.commit.as_ref().map(|c| c.commit_id.clone()),
        ])),
        Arc::new(UInt64Array::from(vec![
            out.commit.as_ref().map(|c| c.graph_version),
        ])),
    ]
}

/// The table function of one procedure.
#[derive(Debug)]
pub struct ProcedureFunction {
    ctx: Arc<GraphContext>,
    name: &'static str,
}

impl ProcedureFunction {
    pub fn new(ctx: Arc<GraphContext>, name: &'static str) -> Self {
        ProcedureFunction { ctx, name }
    }
}

impl TableFunctionImpl for ProcedureFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let call = ProcedureCall::parse(self.name, args.exprs())?;
        Ok(Arc::new(ProcedureTable::new(self.ctx.clone(), call)))
    }
}

/// A procedure call as a table: scanning it yields the plan that performs it. However
/// often the plan refers to it (a CTE used twice is copied), the effect runs once per
/// planned call: every copy shares one result cell.
#[derive(Debug)]
pub struct ProcedureTable {
    ctx: Arc<GraphContext>,
    call: ProcedureCall,
    result: Arc<tokio::sync::OnceCell<RecordBatch>>,
}

impl ProcedureTable {
    pub fn new(ctx: Arc<GraphContext>, call: ProcedureCall) -> Self {
        ProcedureTable {
            ctx,
            call,
            result: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The procedure this table calls.
    pub fn spec(&self) -> &'static ProcedureSpec {
        self.call.spec()
    }
}

#[async_trait]
impl TableProvider for ProcedureTable {
    fn schema(&self) -> SchemaRef {
        self.call.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(ProcedureExec::new(
            self.ctx.clone(),
            self.call.clone(),
            self.result.clone(),
            projection.cloned(),
        )?))
    }
}

/// Runs a procedure when executed and yields its result row.
pub struct ProcedureExec {
    ctx: Arc<GraphContext>,
    call: ProcedureCall,
    result: Arc<tokio::sync::OnceCell<RecordBatch>>,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for ProcedureExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcedureExec")
            .field("call", &self.call)
            .finish()
    }
}

impl ProcedureExec {
    fn new(
        ctx: Arc<GraphContext>,
        call: ProcedureCall,
        result: Arc<tokio::sync::OnceCell<RecordBatch>>,
        projection: Option<Vec<usize>>,
    ) -> DfResult<Self> {
        let properties = super::leaf_properties(call.schema(), &projection, EmissionType::Final)?;
        Ok(ProcedureExec {
            ctx,
            call,
            result,
            projection,
            properties,
        })
    }
}

impl DisplayAs for ProcedureExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcedureExec: {}", self.call.name())
    }
}

impl ExecutionPlan for ProcedureExec {
    fn name(&self) -> &str {
        "ProcedureExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let ctx = self.ctx.clone();
        let statement = StatementContext::of_task(&context);
        let call = self.call.clone();
        let result = self.result.clone();
        let projection = self.projection.clone();
        let effect: BoxFuture<'static, DfResult<RecordBatch>> = Box::pin(async move {
            let batch = result
                .get_or_try_init(|| async {
                    call.run(&ctx, statement.as_deref()).await.map_err(to_df)
                })
                .await?
                .clone();
            match projection {
                Some(p) => Ok(batch.project(&p)?),
                None => Ok(batch),
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.properties.eq_properties.schema().clone(),
            futures::stream::once(effect),
        )))
    }
}
