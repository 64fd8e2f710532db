//! DDL on a graph. Its tables are the node and edge types of its schema, so `CREATE
//! TABLE` (and `CREATE TABLE AS`, pandas' `to_sql` to a new table), `CREATE VIEW`, `ALTER
//! TABLE` and `DROP TABLE`/`DROP VIEW` answer 0A000 with a hint naming what does; they are
//! refused from the plan, after the role check, so a user without the role for DDL still
//! gets 42501 first, as in PostgreSQL. `CREATE INDEX` and `DROP INDEX` edit the schema's
//! `@index` annotations: each is a call of the `create_index`/`drop_index` procedure,
//! built from its syntax, so it is planned, privileged and transacted as that call is.

use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::sql::sqlparser::ast::{
    CreateIndex, Expr, FunctionArg, FunctionArgExpr, IndexOption, IndexType, ObjectName, Value,
};

use crate::error::{ErrorKind, Result, SqlError};
use crate::names;
use crate::statement::Call;

/// What to do instead, for every statement refused here.
const HINT: &str = "A graph's tables are the node and edge types of its schema: add types and \
                    properties with CALL apply_schema('<schema>') (see docs/sql-reference.md, \
                    Procedures), write rows with INSERT, UPDATE, DELETE or CALL load(...), and \
                    name a query with WITH instead of a view.";

fn refused(what: String) -> SqlError {
    SqlError::new(
        ErrorKind::NotSupported,
        format!("{what} is not supported: tables are defined by the graph schema"),
    )
    .with_hint(HINT)
}

/// What indexes can be, for the forms of `CREATE INDEX` that are refused.
const INDEX_HINT: &str = "An index covers one property of a node or edge type: CREATE INDEX \
                          [IF NOT EXISTS] [name] ON table [USING btree|bitmap|labellist] \
                          (column). Every table's id, every edge's src and dst, and every @key \
                          and @unique property are indexed already (see docs/sql-reference.md, \
                          Indexes).";

fn index_refused(what: &str) -> SqlError {
    SqlError::new(ErrorKind::NotSupported, format!("{what} is not supported")).with_hint(INDEX_HINT)
}

fn text(value: String) -> FunctionArg {
    FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::value(
        Value::SingleQuotedString(value),
    )))
}

fn optional_text(value: Option<String>) -> FunctionArg {
    match value {
        Some(v) => text(v),
        None => FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::value(Value::Null))),
    }
}

fn boolean(value: bool) -> FunctionArg {
    FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::value(Value::Boolean(value))))
}

/// The relation a name in `CREATE INDEX`/`DROP INDEX` stands for: `name` or
/// `public.name` (the session's branch is its `public`; another branch's schema is
/// written on by switching to it).
fn unqualified(name: &ObjectName, what: &str) -> Result<String> {
    let mut parts = names::object_parts(name);
    match parts.len() {
        1 => Ok(parts.remove(0)),
        2 if parts[0] == "public" => Ok(parts.remove(1)),
        _ => Err(SqlError::new(
            ErrorKind::NotSupported,
            format!(
                "{what} {name}: indexes are created and dropped on the session's branch (schema public); SET omnigraph.branch to work on another branch"
            ),
        )),
    }
}

fn method_name(using: &IndexType) -> String {
    match using {
        IndexType::Custom(ident) => names::normalized(ident),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// `CREATE INDEX [IF NOT EXISTS] [name] ON table [USING method] (column [opclass])` as a
/// call of `create_index(table, column, name, method, if_not_exists, opclass)`.
pub(crate) fn create_index_call(index: &CreateIndex) -> Result<Call> {
    let refused = |what: &str| Err(index_refused(what));
    if index.unique {
        return Err(index_refused("CREATE UNIQUE INDEX").with_hint(
            "A unique index is declared by marking the property @unique when its type is \
             created (see docs/sql-reference.md, Schema language).",
        ));
    }
    if index.columns.len() != 1 {
        return refused("an index on several columns");
    }
    if !index.include.is_empty() {
        return refused("INCLUDE in an index");
    }
    if index.predicate.is_some() {
        return refused("a partial index (WHERE)");
    }
    if !index.with.is_empty() {
        return refused("storage parameters of an index (WITH)");
    }
    if index.nulls_distinct == Some(false) {
        return refused("NULLS NOT DISTINCT");
    }
    let key = &index.columns[0];
    let opclass = key.operator_class.as_ref().map(|ops| {
        names::object_parts(ops)
            .pop()
            .expect("an operator class has a name")
    });
    let column = match &key.column.expr {
        Expr::Identifier(ident) => names::normalized(ident),
        _ => return refused("an index on an expression"),
    };
    let table = unqualified(&index.table_name, "CREATE INDEX ON")?;
    let name = match &index.name {
        Some(name) => Some(unqualified(name, "CREATE INDEX")?),
        None => None,
    };
    let using = index.using.as_ref().or_else(|| {
        index.index_options.iter().find_map(|o| match o {
            IndexOption::Using(t) => Some(t),
            IndexOption::Comment(_) => None,
        })
    });
    Ok(Call {
        procedure: procedure("create_index"),
        args: vec![
            text(table),
            text(column),
            optional_text(name),
            optional_text(using.map(method_name)),
            boolean(index.if_not_exists),
            optional_text(opclass),
        ],
        command: Some("CREATE INDEX"),
    })
}

/// `DROP INDEX [IF EXISTS] name` as a call of `drop_index(name, if_exists)`.
pub(crate) fn drop_index_call(names: &[ObjectName], if_exists: bool) -> Result<Call> {
    let [name] = names else {
        return Err(index_refused(
            "DROP INDEX of several indexes in one statement",
        ));
    };
    Ok(Call {
        procedure: procedure("drop_index"),
        args: vec![text(unqualified(name, "DROP INDEX")?), boolean(if_exists)],
        command: Some("DROP INDEX"),
    })
}

fn procedure(name: &str) -> &'static datafusion_omnigraph::ProcedureSpec {
    datafusion_omnigraph::procedure(name).expect("the index procedures are listed")
}

/// Refuses `plan` if it is DDL that cannot work on a graph.
pub(crate) fn refuse_graph_ddl(plan: &LogicalPlan) -> Result<()> {
    let LogicalPlan::Ddl(ddl) = plan else {
        return Ok(());
    };
    match ddl {
        DdlStatement::CreateMemoryTable(t)
            if matches!(t.input.as_ref(), LogicalPlan::EmptyRelation(_)) =>
        {
            Err(refused(format!("CREATE TABLE {}", t.name)))
        }
        DdlStatement::CreateMemoryTable(t) => Err(refused(format!("CREATE TABLE {} AS", t.name))),
        DdlStatement::CreateView(v) => Err(refused(format!("CREATE VIEW {}", v.name))),
        DdlStatement::DropTable(t) => Err(refused(format!("DROP TABLE {}", t.name))),
        DdlStatement::DropView(v) => Err(refused(format!("DROP VIEW {}", v.name))),
        _ => Ok(()),
    }
}

/// `DROP TABLE a, b` (or views): DataFusion plans one object per statement.
pub(crate) fn drop_several(kind: &str, names: &[ObjectName]) -> SqlError {
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    refused(format!("DROP {kind} {}", names.join(", ")))
}

/// `ALTER TABLE`, which DataFusion does not plan.
pub(crate) fn alter_table() -> SqlError {
    refused("ALTER TABLE".to_string())
}
