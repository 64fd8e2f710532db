//! `INSERT ... ON CONFLICT`: which conflicts a graph table can detect (those of its key)
//! and the insert mode a clause asks for. DataFusion does not plan the clause, so the
//! session takes it off the statement and hands the mode to the table provider through
//! the statement's context.

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Insert, Statement};
use datafusion_omnigraph::GraphContext;
use omnigraph_engine::InsertMode;

use crate::error::{ErrorKind, Result, SqlError};
use crate::names;

/// The `INSERT` of `ast` when it has a conflict clause.
pub(crate) fn conflict_insert(ast: &DFStatement) -> Option<&Insert> {
    match ast {
        DFStatement::Statement(statement) => match statement.as_ref() {
            Statement::Insert(insert) if insert.on.is_some() => Some(insert),
            _ => None,
        },
        _ => None,
    }
}

/// `insert` without its conflict clause: what DataFusion plans.
pub(crate) fn without_conflict_clause(insert: &Insert) -> DFStatement {
    let mut insert = insert.clone();
    insert.on = None;
    DFStatement::Statement(Box::new(Statement::Insert(insert)))
}

/// The snapshot an `INSERT` writes to (its branch's head, the transaction's private
/// branch within one) and the table it names there.
pub(crate) async fn insert_target(
    graph: &GraphContext,
    insert: &Insert,
) -> Result<(omnigraph_engine::Snapshot, String)> {
    use datafusion::sql::sqlparser::ast::TableObject;
    let not_supported = |what: &str| SqlError::new(ErrorKind::NotSupported, what.to_string());
    let TableObject::TableName(name) = &insert.table else {
        return Err(not_supported("INSERT INTO a table function"));
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident().map(names::normalized))
        .collect();
    let (branch, table) = match parts.as_slice() {
        [table] => (graph.settings().branch, table.clone()),
        [.., schema, table] if schema == datafusion_omnigraph::PUBLIC_SCHEMA => {
            (graph.settings().branch, table.clone())
        }
        [.., schema, table] => (schema.clone(), table.clone()),
        [] => return Err(not_supported("INSERT without a table")),
    };
    let branch = match graph.transaction_branches() {
        Some((target, private)) if branch == target => private,
        _ => branch,
    };
    Ok((graph.graph().snapshot(&branch).await?, table))
}

/// The insert mode an `ON CONFLICT` clause asks for. `DO UPDATE` must take every
/// non-key property from the new row (`SET col = EXCLUDED.col`): the row is replaced.
pub(crate) async fn insert_mode(graph: &GraphContext, insert: &Insert) -> Result<InsertMode> {
    use datafusion::sql::sqlparser::ast::{
        AssignmentTarget, ConflictTarget, OnConflictAction, OnInsert,
    };
    let not_supported = |what: &str| SqlError::new(ErrorKind::NotSupported, what.to_string());
    let Some(OnInsert::OnConflict(on_conflict)) = &insert.on else {
        return Err(not_supported("ON DUPLICATE KEY UPDATE; use ON CONFLICT"));
    };
    let (snapshot, table) = insert_target(graph, insert).await?;
    let (def, _) = snapshot.table(&table)?;
    // The conflict target must be the key: only key conflicts are detected.
    let key_columns: Vec<String> = match def {
        omnigraph_engine::schema::TableDef::Edge(_) => {
            let mut k = vec!["src".to_string(), "dst".to_string()];
            k.extend(def.key().iter().cloned());
            k
        }
        _ => def.key().to_vec(),
    };
    match &on_conflict.conflict_target {
        None => {}
        Some(ConflictTarget::Columns(columns)) => {
            let mut named: Vec<String> = columns.iter().map(names::normalized).collect();
            let mut key = key_columns.clone();
            named.sort();
            key.sort();
            let is_key = named == key || (named == ["id"] && !key.is_empty());
            if !is_key {
                return Err(not_supported(&format!(
                    "ON CONFLICT ({}): the conflict target must be the key of {} ({})",
                    named.join(", "),
                    def.table(),
                    key_columns.join(", ")
                )));
            }
        }
        Some(ConflictTarget::OnConstraint(c)) => {
            return Err(not_supported(&format!("ON CONFLICT ON CONSTRAINT {c}")));
        }
    }
    if def.key().is_empty() {
        return Err(not_supported(&format!(
            "ON CONFLICT on {}: the type has no key, so rows never conflict",
            def.table()
        )));
    }
    match &on_conflict.action {
        OnConflictAction::DoNothing => Ok(InsertMode::SkipExisting),
        OnConflictAction::DoUpdate(update) => {
            if update.selection.is_some() {
                return Err(not_supported("ON CONFLICT DO UPDATE ... WHERE"));
            }
            let mut listed = Vec::new();
            for a in &update.assignments {
                let AssignmentTarget::ColumnName(column) = &a.target else {
                    return Err(not_supported("ON CONFLICT DO UPDATE SET (a, b) = ..."));
                };
                let column = names::object_name(column);
                let takes_new_value = match &a.value {
                    SqlExpr::CompoundIdentifier(parts) => {
                        parts.len() == 2
                            && parts[0].value.eq_ignore_ascii_case("excluded")
                            && parts[1].value.eq_ignore_ascii_case(&column)
                    }
                    _ => false,
                };
                if !takes_new_value {
                    return Err(not_supported(&format!(
                        "ON CONFLICT DO UPDATE SET {column} = {}: only SET {column} = EXCLUDED.{column} is supported",
                        a.value
                    )));
                }
                listed.push(column);
            }
            if let Some(unknown) = listed
                .iter()
                .find(|c| def.property(c).is_none() || def.key().contains(*c))
            {
                return Err(not_supported(&format!(
                    "ON CONFLICT DO UPDATE SET {unknown}: not a non-key property of {}",
                    def.table()
                )));
            }
            Ok(InsertMode::UpsertColumns(listed))
        }
    }
}
