//! Planning `GRAPH_TABLE (...)`: labels to tables, variables to the columns of one
//! [`GraphMatchNode`] per path pattern (joined on the variables they share), element
//! filters to the queries those nodes read their candidates from, and the properties the
//! `WHERE` and `COLUMNS` read to joins with the elements' tables.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{Column, DFSchema, JoinType, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, LogicalPlanBuilder, lit, utils::conjunction,
};
use datafusion::sql::sqlparser::ast::{
    self as sql, BinaryOperator, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    TableFactor, Visit, VisitMut, Visitor, VisitorMut,
};
use omnigraph_engine::schema::{GraphSchema, TableDef, TableKind};
use omnigraph_engine::{Direction, Snapshot};

use super::ast::{
    EdgeDirection, ElementPattern, GraphTable, LabelExpr, PathFactor, PathMode, PathPattern,
    Selector,
};
use super::encoding;
use super::error::GraphTableError;
use super::node::{GraphMatchNode, GraphVersion};
use super::parser::GRAPH_TABLE;
use super::spec::{
    Candidates, PathSpec, SlotSpec, SpecFactor, id_column, label_column, path_edges_column,
    path_length_column, path_vertices_column,
};
use crate::blocking::block_on;
use crate::catalog::PUBLIC_SCHEMA;
use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, to_df};
use crate::functions::args::{invalid, literal_text};
use crate::provider::{GraphTable as GraphTableProvider, SnapshotSource};

/// The column of a labelled element's table name in its property join.
const LABEL: &str = "#label";

#[derive(Debug)]
pub struct GraphTablePlanner {
    ctx: Arc<GraphContext>,
}

impl GraphTablePlanner {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        GraphTablePlanner { ctx }
    }
}

/// The graph table a table factor holds, if it is one.
fn graph_table_of(relation: &TableFactor) -> DfResult<Option<GraphTable>> {
    let TableFactor::Table {
        name,
        args: Some(args),
        version: None,
        ..
    } = relation
    else {
        return Ok(None);
    };
    let is_graph_table = name.0.len() == 1
        && name.0[0]
            .as_ident()
            .is_some_and(|i| i.value.eq_ignore_ascii_case(GRAPH_TABLE));
    let [FunctionArg::Unnamed(FunctionArgExpr::Expr(expr))] = args.args.as_slice() else {
        return Ok(None);
    };
    if !is_graph_table {
        return Ok(None);
    }
    encoding::from_expr(expr).map_err(invalid)
}

impl RelationPlanner for GraphTablePlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> DfResult<RelationPlanning> {
        let Some(table) = graph_table_of(&relation)? else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        let TableFactor::Table { alias, .. } = relation else {
            unreachable!("a graph table is a table factor");
        };
        let plan = Planning::new(&self.ctx, context, &table)?.plan(table)?;
        Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
            plan, alias,
        ))))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Edge,
}

impl Kind {
    fn table_kind(self) -> TableKind {
        match self {
            Kind::Node => TableKind::Node,
            Kind::Edge => TableKind::Edge,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Edge => "edge",
        }
    }
}

/// A variable of the pattern that stands for one element (outside any quantifier).
#[derive(Debug)]
struct Variable {
    kind: Kind,
    tables: Vec<String>,
    /// Conditions on this element alone (element `WHERE`, property maps, the
    /// graph table's `WHERE` conjuncts that read only it).
    conditions: Vec<sql::Expr>,
    /// (path pattern, slot) of each pattern it is bound in.
    slots: Vec<(usize, u16)>,
}

/// An element inside a quantifier: its own tables and conditions, tested per iteration.
#[derive(Debug)]
struct GroupElement {
    name: String,
    tables: Vec<String>,
    conditions: Vec<sql::Expr>,
}

struct Planning<'c, 'p> {
    ctx: &'c Arc<GraphContext>,
    context: &'p mut dyn RelationPlannerContext,
    version: GraphVersion,
    snapshot: Snapshot,
    variables: BTreeMap<String, Variable>,
    /// Path variables: name → path pattern.
    paths: BTreeMap<String, usize>,
    /// Variables of elements inside quantifiers.
    group_names: BTreeSet<String>,
    /// Element and path variables the match nodes output (see [`SlotSpec::output`]).
    outputs: BTreeSet<String>,
    /// Per path pattern, the slot pairs `WHERE x.id <> y.id` keeps apart.
    distinct: BTreeMap<usize, Vec<(u16, u16)>>,
    anonymous: usize,
}

/// The names of an expression's column qualifiers and bare identifiers.
fn referenced_names(expr: &sql::Expr) -> (BTreeSet<String>, bool) {
    struct Names {
        names: BTreeSet<String>,
        complex: bool,
    }
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &sql::Expr) -> std::ops::ControlFlow<()> {
            match expr {
                sql::Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                    self.names.insert(parts[0].value.clone());
                }
                sql::Expr::Identifier(i) => {
                    self.names.insert(i.value.clone());
                }
                sql::Expr::Subquery(_)
                | sql::Expr::Exists { .. }
                | sql::Expr::InSubquery { .. } => self.complex = true,
                _ => {}
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut v = Names {
        names: BTreeSet::new(),
        complex: false,
    };
    let _ = expr.visit(&mut v);
    (v.names, v.complex)
}

fn conjuncts(expr: sql::Expr, out: &mut Vec<sql::Expr>) {
    match expr {
        sql::Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(*left, out);
            conjuncts(*right, out);
        }
        sql::Expr::Nested(inner)
            if matches!(
                *inner,
                sql::Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                }
            ) =>
        {
            conjuncts(*inner, out)
        }
        other => out.push(other),
    }
}

fn quoted(name: &str) -> Ident {
    Ident::with_quote('"', name)
}

impl<'c, 'p> Planning<'c, 'p> {
    fn new(
        ctx: &'c Arc<GraphContext>,
        context: &'p mut dyn RelationPlannerContext,
        table: &GraphTable,
    ) -> DfResult<Self> {
        let graph = context.normalize_ident(table.graph.clone());
        let known = ctx.property_graph_names();
        if !known.iter().any(|k| k.eq_ignore_ascii_case(&graph)) {
            return Err(GraphTableError::UnknownGraph { name: graph, known }.into_df());
        }
        let version = match &table.as_of {
            None => GraphVersion::Current,
            Some(expr) => {
                let value = context.sql_to_expr(expr.clone(), &DFSchema::empty())?;
                let reference = match &value {
                    Expr::Literal(v, _) => literal_text(v),
                    Expr::Cast(c) => match c.expr.as_ref() {
                        Expr::Literal(v, _) => literal_text(v),
                        _ => None,
                    },
                    _ => None,
                }
                .ok_or_else(|| {
                    invalid(format!(
                        "GRAPH_TABLE's AS OF needs a literal (a branch, commit id, version or timestamp), got {value}"
                    ))
                })?;
                GraphVersion::At {
                    branch: ctx.branch(),
                    reference,
                }
            }
        };
        let snapshot = {
            let ctx = ctx.clone();
            let version = version.clone();
            block_on(async move {
                match version {
                    GraphVersion::Current => ctx.resolve(&SnapshotSelector::Current).await,
                    GraphVersion::At { branch, reference } => {
                        ctx.graph().snapshot_at_text(&branch, &reference).await
                    }
                }
            })
            .map_err(to_df)?
        };
        Ok(Planning {
            ctx,
            context,
            version,
            snapshot,
            variables: BTreeMap::new(),
            paths: BTreeMap::new(),
            group_names: BTreeSet::new(),
            outputs: BTreeSet::new(),
            distinct: BTreeMap::new(),
            anonymous: 0,
        })
    }

    fn schema(&self) -> &GraphSchema {
        self.snapshot.schema()
    }

    /// The tables of `kind` a label expression admits.
    fn resolve_labels(&self, labels: &LabelExpr, kind: Kind) -> DfResult<Vec<String>> {
        let schema = self.schema();
        let matches = |def: &TableDef, label: &str| {
            def.declared_name().eq_ignore_ascii_case(label)
                || def.table().eq_ignore_ascii_case(label)
        };
        match labels {
            LabelExpr::Any => Ok(schema
                .tables()
                .filter(|t| t.kind() == kind.table_kind())
                .map(|t| t.table().to_string())
                .collect()),
            LabelExpr::OneOf(names) => {
                let mut tables = Vec::new();
                for name in names {
                    let found = schema.tables().find(|t| matches(t, &name.value));
                    match found {
                        Some(t) if t.kind() == kind.table_kind() => {
                            if !tables.iter().any(|x| x == t.table()) {
                                tables.push(t.table().to_string());
                            }
                        }
                        Some(_) => {
                            return Err(GraphTableError::WrongLabelKind {
                                label: name.value.clone(),
                                expected: kind.label(),
                            }
                            .into_df());
                        }
                        None => {
                            return Err(GraphTableError::UnknownLabel(name.value.clone()).into_df());
                        }
                    }
                }
                Ok(tables)
            }
        }
    }

    fn variable_name(&mut self, element: &ElementPattern) -> (String, bool) {
        match &element.variable {
            Some(v) => (self.context.normalize_ident(v.clone()), true),
            None => {
                self.anonymous += 1;
                (format!("#{}", self.anonymous), false)
            }
        }
    }

    /// An element's own conditions: its property map and `WHERE`.
    fn element_conditions(&self, name: &str, element: &ElementPattern) -> Vec<sql::Expr> {
        let mut out = Vec::new();
        for (key, value) in &element.properties {
            out.push(sql::Expr::BinaryOp {
                left: Box::new(sql::Expr::CompoundIdentifier(vec![
                    quoted(name),
                    key.clone(),
                ])),
                op: BinaryOperator::Eq,
                right: Box::new(value.clone()),
            });
        }
        if let Some(filter) = &element.filter {
            conjuncts(filter.clone(), &mut out);
        }
        out
    }

    /// `table` with every identifier in its expressions written normalised and quoted
    /// (`A.Name` is `"a"."name"`), so that variables and properties are compared by the
    /// names they stand for however a query spells them.
    fn normalize_identifiers(&self, mut table: GraphTable) -> GraphTable {
        struct Normalize<'a>(&'a dyn RelationPlannerContext);
        impl VisitorMut for Normalize<'_> {
            type Break = ();
            fn post_visit_expr(&mut self, expr: &mut sql::Expr) -> std::ops::ControlFlow<()> {
                match expr {
                    sql::Expr::Identifier(i) => *i = quoted(&self.0.normalize_ident(i.clone())),
                    sql::Expr::CompoundIdentifier(parts) => {
                        for i in parts {
                            *i = quoted(&self.0.normalize_ident(i.clone()));
                        }
                    }
                    _ => {}
                }
                std::ops::ControlFlow::Continue(())
            }
        }
        fn factors(path: &mut [PathFactor], visitor: &mut Normalize) {
            for factor in path {
                let (element, filter) = match factor {
                    PathFactor::Node(e) | PathFactor::Edge { element: e, .. } => {
                        for (key, value) in &mut e.properties {
                            *key = quoted(&visitor.0.normalize_ident(key.clone()));
                            let _ = VisitMut::visit(value, visitor);
                        }
                        (None, e.filter.as_mut())
                    }
                    PathFactor::Group { path, filter, .. } => (Some(path), filter.as_mut()),
                };
                if let Some(path) = element {
                    factors(path, visitor);
                }
                if let Some(filter) = filter {
                    let _ = VisitMut::visit(filter, visitor);
                }
            }
        }
        let mut visitor = Normalize(&*self.context);
        for path in &mut table.paths {
            factors(&mut path.path, &mut visitor);
        }
        if let Some(filter) = &mut table.filter {
            let _ = VisitMut::visit(filter, &mut visitor);
        }
        for c in &mut table.columns {
            let _ = VisitMut::visit(&mut c.expr, &mut visitor);
        }
        table
    }

    fn plan(mut self, table: GraphTable) -> DfResult<LogicalPlan> {
        let table = self.normalize_identifiers(table);
        let mut global: Vec<sql::Expr> = Vec::new();
        if let Some(filter) = table.filter.clone() {
            conjuncts(filter, &mut global);
        }
        for (i, path) in table.paths.iter().enumerate() {
            if let Some(v) = &path.variable {
                let name = self.context.normalize_ident(v.clone());
                if self.paths.insert(name.clone(), i).is_some() {
                    return Err(GraphTableError::ConflictingVariable(name).into_df());
                }
            }
            let unbounded = has_unbounded(&path.path);
            if unbounded && path.selector == Selector::All && path.mode == PathMode::Walk {
                return Err(GraphTableError::UnboundedPaths.into_df());
            }
        }
        let mut specs = Vec::new();
        let mut groups: Vec<Vec<GroupElement>> = Vec::new();
        for (i, path) in table.paths.iter().enumerate() {
            let mut factors = Vec::new();
            let mut group_elements = Vec::new();
            self.path_factors(
                i,
                &path.path,
                false,
                &mut factors,
                &mut group_elements,
                &mut global,
            )?;
            specs.push(factors);
            groups.push(group_elements);
        }
        for name in self.paths.keys() {
            if self.variables.contains_key(name) {
                return Err(GraphTableError::ConflictingVariable(name.clone()).into_df());
            }
        }
        // Global conjuncts that read one element alone become its conditions.
        let mut remaining = Vec::new();
        for conjunct in global {
            let (names, complex) = referenced_names(&conjunct);
            let vars: Vec<&String> = names
                .iter()
                .filter(|n| self.variables.contains_key(*n) || self.paths.contains_key(*n))
                .collect();
            match vars.as_slice() {
                [only] if !complex && self.variables.contains_key(*only) => {
                    let name = (*only).clone();
                    self.variables
                        .get_mut(&name)
                        .expect("checked")
                        .conditions
                        .push(conjunct);
                }
                _ => remaining.push(conjunct),
            }
        }
        self.narrow_endpoints(&specs);
        remaining.retain(|c| !self.keep_apart(c));
        for expr in table.columns.iter().map(|c| &c.expr).chain(&remaining) {
            self.outputs.extend(referenced_names(expr).0);
        }
        for (name, v) in &self.variables {
            if v.slots.iter().any(|(p, _)| *p != v.slots[0].0) {
                self.outputs.insert(name.clone());
            }
        }

        // One match node per path pattern.
        let mut plan: Option<LogicalPlan> = None;
        let mut id_columns: BTreeMap<String, (String, bool)> = BTreeMap::new();
        for (i, path) in table.paths.iter().enumerate() {
            let node = self.match_node(i, path, &specs[i], &groups[i])?;
            let qualifier = match_qualifier(i);
            let mut on: (Vec<Column>, Vec<Column>) = (Vec::new(), Vec::new());
            for slot in &node.spec.slots {
                match id_columns.get(&slot.variable) {
                    Some((q, labelled)) => {
                        on.0.push(Column::new(Some(q.clone()), id_column(&slot.variable)));
                        on.1.push(Column::new(
                            Some(qualifier.clone()),
                            id_column(&slot.variable),
                        ));
                        if *labelled && slot.labelled() {
                            on.0.push(Column::new(Some(q.clone()), label_column(&slot.variable)));
                            on.1.push(Column::new(
                                Some(qualifier.clone()),
                                label_column(&slot.variable),
                            ));
                        }
                    }
                    None => {
                        id_columns
                            .insert(slot.variable.clone(), (qualifier.clone(), slot.labelled()));
                    }
                }
            }
            let next = LogicalPlan::Extension(Extension {
                node: Arc::new(node),
            });
            plan = Some(match plan {
                None => next,
                Some(left) if on.0.is_empty() => {
                    LogicalPlanBuilder::from(left).cross_join(next)?.build()?
                }
                Some(left) => LogicalPlanBuilder::from(left)
                    .join(next, JoinType::Inner, on, None)?
                    .build()?,
            });
        }
        let mut plan = plan.ok_or_else(|| invalid("GRAPH_TABLE needs a path pattern".into()))?;

        // Rewrite element ids and path functions to the match columns, and join the
        // tables of the elements whose properties are read.
        let mut columns: Vec<(sql::Expr, String)> = Vec::new();
        let mut names = BTreeSet::new();
        for c in &table.columns {
            let name = match &c.alias {
                Some(a) => self.context.normalize_ident(a.clone()),
                None => default_column_name(&c.expr),
            };
            if !names.insert(name.clone()) {
                return Err(GraphTableError::DuplicateColumn(name).into_df());
            }
            columns.push((c.expr.clone(), name));
        }
        let mut rewrite = ElementReferences {
            group_names: &self.group_names,
            variables: &self.variables,
            paths: &self.paths,
            id_columns: &id_columns,
            properties: BTreeMap::new(),
            error: None,
        };
        for (expr, _) in &mut columns {
            let _ = Visit::visit(&*expr, &mut rewrite);
        }
        for expr in &mut remaining {
            let _ = Visit::visit(&*expr, &mut rewrite);
        }
        if let Some(e) = rewrite.error.take() {
            return Err(e);
        }
        let properties = std::mem::take(&mut rewrite.properties);
        for (variable, props) in &properties {
            plan = self.join_properties(plan, variable, props, &id_columns)?;
        }
        let mut columns_expr = Vec::new();
        for (mut expr, name) in columns {
            let _ = VisitMut::visit(
                &mut expr,
                &mut RewriteIds {
                    variables: &self.variables,
                    paths: &self.paths,
                    id_columns: &id_columns,
                },
            );
            columns_expr.push((expr, name));
        }
        for expr in &mut remaining {
            let _ = VisitMut::visit(
                expr,
                &mut RewriteIds {
                    variables: &self.variables,
                    paths: &self.paths,
                    id_columns: &id_columns,
                },
            );
        }
        if let Some(filter) = conjunction(
            remaining
                .into_iter()
                .map(|c| self.context.sql_to_expr(c, plan.schema()))
                .collect::<DfResult<Vec<_>>>()?,
        ) {
            plan = LogicalPlanBuilder::from(plan).filter(filter)?.build()?;
        }
        let projection = columns_expr
            .into_iter()
            .map(|(expr, name)| Ok(self.context.sql_to_expr(expr, plan.schema())?.alias(name)))
            .collect::<DfResult<Vec<_>>>()?;
        LogicalPlanBuilder::from(plan).project(projection)?.build()
    }

    /// Takes `x.id <> y.id` over two elements of one table bound in one path pattern as
    /// a constraint of its match (which then need not output either id for it).
    fn keep_apart(&mut self, conjunct: &sql::Expr) -> bool {
        let sql::Expr::BinaryOp {
            left,
            op: BinaryOperator::NotEq,
            right,
        } = conjunct
        else {
            return false;
        };
        let id_of = |e: &sql::Expr| match e {
            sql::Expr::CompoundIdentifier(parts) if parts.len() == 2 && parts[1].value == "id" => {
                self.variables.get(&parts[0].value)
            }
            _ => None,
        };
        let (Some(x), Some(y)) = (id_of(left), id_of(right)) else {
            return false;
        };
        if x.tables.len() != 1 || x.tables != y.tables || x.kind != y.kind {
            return false;
        }
        let Some((path, sx, sy)) = x.slots.iter().find_map(|(p, sx)| {
            y.slots
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, sy)| (*p, *sx, *sy))
        }) else {
            return false;
        };
        self.distinct.entry(path).or_default().push((sx, sy));
        true
    }

    /// Flattens a path's factors into spec factors, declaring its variables.
    #[allow(clippy::too_many_arguments)]
    fn path_factors(
        &mut self,
        path_index: usize,
        factors: &[PathFactor],
        quantified: bool,
        out: &mut Vec<SpecFactor>,
        groups: &mut Vec<GroupElement>,
        global: &mut Vec<sql::Expr>,
    ) -> DfResult<()> {
        // A path starts at a node.
        if out.is_empty() && !matches!(factors.first(), Some(PathFactor::Node(_))) {
            out.push(SpecFactor::Node {
                slot: None,
                tables: Vec::new(),
                candidates: Candidates::Any,
            });
            groups.push(GroupElement {
                name: String::new(),
                tables: Vec::new(),
                conditions: Vec::new(),
            });
        }
        for factor in factors {
            match factor {
                PathFactor::Node(element) => {
                    let f =
                        self.element(path_index, element, Kind::Node, quantified, groups, global)?;
                    out.push(f);
                }
                PathFactor::Edge {
                    element,
                    direction,
                    quantifier,
                } => {
                    let inner = quantified || quantifier.is_some();
                    let f = self.element(path_index, element, Kind::Edge, inner, groups, global)?;
                    let SpecFactor::Edge {
                        slot,
                        tables,
                        candidates,
                        ..
                    } = f
                    else {
                        unreachable!("an edge element");
                    };
                    let edge = SpecFactor::Edge {
                        slot,
                        tables,
                        direction: match direction {
                            EdgeDirection::Right => Direction::Out,
                            EdgeDirection::Left => Direction::In,
                            EdgeDirection::Either => Direction::Both,
                        },
                        candidates,
                    };
                    match quantifier {
                        Some(q) => {
                            out.push(SpecFactor::BeginRepeat {
                                min: q.min,
                                max: q.max,
                            });
                            out.push(edge);
                            out.push(SpecFactor::EndRepeat);
                        }
                        None => out.push(edge),
                    }
                }
                PathFactor::Group {
                    path,
                    filter,
                    quantifier,
                } => {
                    let inner = quantified || quantifier.is_some();
                    let first_group = groups.len();
                    if let Some(q) = quantifier {
                        out.push(SpecFactor::BeginRepeat {
                            min: q.min,
                            max: q.max,
                        });
                    }
                    let mut body_global = Vec::new();
                    self.path_factors(path_index, path, inner, out, groups, &mut body_global)?;
                    if let Some(filter) = filter {
                        conjuncts(filter.clone(), &mut body_global);
                    }
                    if inner {
                        // A quantified group's WHERE holds per iteration: only conditions
                        // on one of its elements can be.
                        for c in body_global {
                            let (names, complex) = referenced_names(&c);
                            let target = groups[first_group..]
                                .iter_mut()
                                .filter(|g| names.contains(&g.name))
                                .collect::<Vec<_>>();
                            match (target.len(), complex) {
                                (1, false) if names.len() == 1 => {
                                    let g = target.into_iter().next().expect("one");
                                    g.conditions.push(c);
                                }
                                _ => {
                                    return Err(GraphTableError::NotSupported(format!(
                                        "a condition inside a quantified path that reads more than one of its elements ({c})"
                                    ))
                                    .into_df());
                                }
                            }
                        }
                    } else {
                        global.extend(body_global);
                    }
                    if quantifier.is_some() {
                        out.push(SpecFactor::EndRepeat);
                    }
                }
            }
        }
        Ok(())
    }

    /// Declares an element's variable and returns its spec factor (candidates resolved
    /// later, once every condition is known: marked `Any` here).
    #[allow(clippy::too_many_arguments)]
    fn element(
        &mut self,
        path_index: usize,
        element: &ElementPattern,
        kind: Kind,
        quantified: bool,
        groups: &mut Vec<GroupElement>,
        global: &mut Vec<sql::Expr>,
    ) -> DfResult<SpecFactor> {
        let tables = self.resolve_labels(&element.labels, kind)?;
        let (name, named) = self.variable_name(element);
        let conditions = self.element_conditions(&name, element);
        let slot = if quantified || !named {
            if quantified && named {
                self.group_names.insert(name.clone());
            }
            if named && self.variables.contains_key(&name) {
                return Err(GraphTableError::NotSupported(format!(
                    "variable \"{name}\" both inside and outside a quantified path"
                ))
                .into_df());
            }
            for c in &conditions {
                let (names, complex) = referenced_names(c);
                if complex
                    || names.iter().any(|n| {
                        *n != name
                            && (self.variables.contains_key(n)
                                || groups.iter().any(|g| g.name == *n))
                    })
                {
                    return Err(GraphTableError::NotSupported(format!(
                        "a condition on an element inside a quantified path that reads other elements ({c})"
                    ))
                    .into_df());
                }
            }
            groups.push(GroupElement {
                name: name.clone(),
                tables: tables.clone(),
                conditions,
            });
            // No slot: `match_node` pairs the factors without one with `groups`, in order.
            None
        } else {
            let (own, others): (Vec<_>, Vec<_>) = conditions.into_iter().partition(|c| {
                let (names, complex) = referenced_names(c);
                !complex
                    && names
                        .iter()
                        .all(|n| *n == name || !self.is_variable_name(n))
            });
            global.extend(others);
            let variable = self.variables.entry(name.clone()).or_insert(Variable {
                kind,
                tables: tables.clone(),
                conditions: Vec::new(),
                slots: Vec::new(),
            });
            if variable.kind != kind {
                return Err(GraphTableError::ConflictingVariable(name).into_df());
            }
            variable.tables.retain(|t| tables.contains(t));
            variable.conditions.extend(own);
            let slot_index = match variable.slots.iter().find(|(p, _)| *p == path_index) {
                Some((_, s)) => *s,
                None => {
                    let next = self
                        .variables
                        .values()
                        .flat_map(|v| v.slots.iter())
                        .filter(|(p, _)| *p == path_index)
                        .count() as u16;
                    let variable = self.variables.get_mut(&name).expect("declared");
                    variable.slots.push((path_index, next));
                    next
                }
            };
            Some(slot_index)
        };
        Ok(match kind {
            Kind::Node => SpecFactor::Node {
                slot,
                tables,
                candidates: Candidates::Any,
            },
            Kind::Edge => SpecFactor::Edge {
                slot,
                tables,
                direction: Direction::Out,
                candidates: Candidates::Any,
            },
        })
    }

    fn is_variable_name(&self, name: &str) -> bool {
        self.variables.contains_key(name) || self.paths.contains_key(name)
    }

    /// Narrows node variables next to an edge to the edge's endpoint tables, so a
    /// variable without a label has the one label its edges allow.
    fn narrow_endpoints(&mut self, specs: &[Vec<SpecFactor>]) {
        let schema = self.snapshot.schema().clone();
        let endpoints = |tables: &[String], direction: Direction, before_edge: bool| {
            let mut out = BTreeSet::new();
            for e in tables.iter().filter_map(|t| schema.edge(t)) {
                let (from, to) = (e.src_table.clone(), e.dst_table.clone());
                match (direction, before_edge) {
                    (Direction::Out, true) | (Direction::In, false) => {
                        out.insert(from);
                    }
                    (Direction::Out, false) | (Direction::In, true) => {
                        out.insert(to);
                    }
                    (Direction::Both, _) => {
                        out.insert(from);
                        out.insert(to);
                    }
                }
            }
            out
        };
        for (path, factors) in specs.iter().enumerate() {
            for (i, f) in factors.iter().enumerate() {
                let SpecFactor::Node {
                    slot: Some(slot), ..
                } = f
                else {
                    continue;
                };
                let mut allowed: Vec<BTreeSet<String>> = Vec::new();
                if let Some((tables, direction)) = edge_after(factors, i) {
                    allowed.push(endpoints(tables, direction, true));
                }
                if let Some((tables, direction)) = edge_before(factors, i) {
                    allowed.push(endpoints(tables, direction, false));
                }
                if let Some(v) = self
                    .variables
                    .values_mut()
                    .find(|v| v.slots.contains(&(path, *slot)))
                {
                    for a in allowed {
                        v.tables.retain(|t| a.contains(t));
                    }
                }
            }
        }
    }

    /// The match node of path pattern `index`.
    fn match_node(
        &mut self,
        index: usize,
        path: &PathPattern,
        factors: &[SpecFactor],
        groups: &[GroupElement],
    ) -> DfResult<GraphMatchNode> {
        let mut slots: Vec<(u16, String)> = self
            .variables
            .iter()
            .flat_map(|(name, v)| {
                v.slots
                    .iter()
                    .filter(|(p, _)| *p == index)
                    .map(move |(_, s)| (*s, name.clone()))
            })
            .collect();
        slots.sort();
        let slot_specs: Vec<SlotSpec> = slots
            .iter()
            .map(|(_, name)| SlotSpec {
                variable: name.clone(),
                tables: self.variables[name].tables.clone(),
                output: self.outputs.contains(name),
            })
            .collect();
        let mut inputs = Vec::new();
        let mut id_lists = Vec::new();
        let mut resolved = Vec::new();
        let mut group_iter = groups.iter();
        for f in factors {
            let f = match f {
                SpecFactor::Node { slot, .. } | SpecFactor::Edge { slot, .. } => {
                    let (name, tables, conditions) = match slot {
                        Some(s) => {
                            let name = &slots[*s as usize].1;
                            let v = &self.variables[name];
                            (name.clone(), v.tables.clone(), v.conditions.clone())
                        }
                        // Elements without a slot, in order.
                        None => {
                            let g = group_iter
                                .next()
                                .expect("a group element per element without a slot");
                            (g.name.clone(), g.tables.clone(), g.conditions.clone())
                        }
                    };
                    let candidates =
                        self.candidates(&name, &tables, &conditions, &mut inputs, &mut id_lists)?;
                    match f {
                        SpecFactor::Node { slot, .. } => SpecFactor::Node {
                            slot: *slot,
                            tables,
                            candidates,
                        },
                        SpecFactor::Edge {
                            slot, direction, ..
                        } => SpecFactor::Edge {
                            slot: *slot,
                            tables,
                            direction: *direction,
                            candidates,
                        },
                        _ => unreachable!(),
                    }
                }
                other => other.clone(),
            };
            resolved.push(f);
        }
        let spec = PathSpec {
            factors: resolved,
            slots: slot_specs,
            path_variable: path
                .variable
                .as_ref()
                .map(|v| self.context.normalize_ident(v.clone()))
                .filter(|v| self.outputs.contains(v)),
            selector: path.selector,
            mode: path.mode,
            distinct: self.distinct.get(&index).cloned().unwrap_or_default(),
        };
        let qualifier = match_qualifier(index);
        let mut fields = Vec::new();
        for s in spec.slots.iter().filter(|s| s.output) {
            fields.push(Field::new(id_column(&s.variable), DataType::Utf8, true));
            if s.labelled() {
                fields.push(Field::new(label_column(&s.variable), DataType::Utf8, true));
            }
        }
        if let Some(p) = &spec.path_variable {
            let list = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
            fields.push(Field::new(path_length_column(p), DataType::Int64, true));
            fields.push(Field::new(path_vertices_column(p), list.clone(), true));
            fields.push(Field::new(path_edges_column(p), list, true));
        }
        let schema = DFSchema::try_from_qualified_schema(qualifier, &Schema::new(fields))?;
        Ok(GraphMatchNode {
            version: self.version.clone(),
            spec: Arc::new(spec),
            inputs,
            id_lists,
            schema: Arc::new(schema),
        })
    }

    /// A scan of `table` (at the graph table's version) under `alias`.
    fn scan(&mut self, table: &str, alias: &str) -> DfResult<LogicalPlan> {
        let source = match &self.version {
            GraphVersion::Current => SnapshotSource::Statement(SnapshotSelector::Current),
            GraphVersion::At { .. } => SnapshotSource::Fixed(self.snapshot.clone()),
        };
        let (ctx, snapshot, name) = (self.ctx.clone(), self.snapshot.clone(), table.to_string());
        let provider =
            block_on(
                async move { GraphTableProvider::try_new(ctx, source, &snapshot, &name).await },
            )
            .map_err(to_df)?;
        let plan = LogicalPlanBuilder::scan(
            TableReference::partial(PUBLIC_SCHEMA, table),
            provider_as_source(Arc::new(provider)),
            None,
        )?;
        plan.alias(alias)?.build()
    }

    /// Where an element's candidates come from: nothing to check, an id list, or a query.
    fn candidates(
        &mut self,
        name: &str,
        tables: &[String],
        conditions: &[sql::Expr],
        inputs: &mut Vec<LogicalPlan>,
        id_lists: &mut Vec<Vec<Expr>>,
    ) -> DfResult<Candidates> {
        if conditions.is_empty() {
            return Ok(Candidates::Any);
        }
        if let Some(values) = id_values(name, conditions) {
            let list = values
                .into_iter()
                .map(|v| self.context.sql_to_expr(v, &DFSchema::empty()))
                .collect::<DfResult<Vec<_>>>()?;
            id_lists.push(list);
            return Ok(Candidates::Ids(id_lists.len() - 1));
        }
        // A table without a property the conditions read has no element that meets them.
        let read = properties_read(name, conditions);
        let schema = self.snapshot.schema().clone();
        let has_all = |table: &String| {
            schema.table(table).is_some_and(|def| {
                read.iter().all(|p| {
                    p == "id"
                        || def.property(p).is_some()
                        || (def.kind() == TableKind::Edge && (p == "src" || p == "dst"))
                })
            })
        };
        let mut readable: Vec<&String> = tables.iter().filter(|t| has_all(t)).collect();
        if readable.is_empty() {
            // Planned anyway, so the unknown property is reported as such.
            readable = tables.iter().take(1).collect();
        }
        let mut plans = Vec::new();
        for table in readable {
            let scan = self.scan(table, name)?;
            let filter = conjunction(
                conditions
                    .iter()
                    .map(|c| self.context.sql_to_expr(c.clone(), scan.schema()))
                    .collect::<DfResult<Vec<_>>>()?,
            )
            .expect("conditions");
            let mut projection = vec![Expr::Column(Column::new(Some(name), "id")).alias("id")];
            if tables.len() > 1 {
                projection.push(lit(table.clone()).alias(LABEL));
            }
            plans.push(
                LogicalPlanBuilder::from(scan)
                    .filter(filter)?
                    .project(projection)?
                    .build()?,
            );
        }
        let mut plans = plans.into_iter();
        let mut plan = LogicalPlanBuilder::from(plans.next().expect("an element has a table"));
        for p in plans {
            plan = plan.union(p)?;
        }
        inputs.push(plan.build()?);
        Ok(Candidates::Input(inputs.len() - 1))
    }

    /// Joins `plan` with the tables of `variable` for the properties `props`.
    fn join_properties(
        &mut self,
        plan: LogicalPlan,
        variable: &str,
        props: &BTreeSet<String>,
        id_columns: &BTreeMap<String, (String, bool)>,
    ) -> DfResult<LogicalPlan> {
        let v = &self.variables[variable];
        let tables = v.tables.clone();
        let (qualifier, labelled) = id_columns[variable].clone();
        let right = if tables.len() == 1 {
            self.scan(&tables[0], variable)?
        } else {
            // Every table's rows with the properties read: NULL where a table lacks one.
            let schema = self.snapshot.schema().clone();
            let mut types: BTreeMap<String, DataType> = BTreeMap::new();
            for t in &tables {
                let arrow = omnigraph_engine::schema::table_arrow_schema(
                    schema.table(t).expect("resolved"),
                );
                for p in props {
                    if let Ok(f) = arrow.field_with_name(p) {
                        types
                            .entry(p.clone())
                            .or_insert_with(|| f.data_type().clone());
                    }
                }
            }
            let mut union: Option<LogicalPlanBuilder> = None;
            for t in &tables {
                let scan = self.scan(t, "#t")?;
                let mut projection = vec![
                    Expr::Column(Column::new(Some("#t"), "id")).alias("id"),
                    lit(t.clone()).alias(LABEL),
                ];
                for p in props {
                    let has = scan.schema().has_column_with_unqualified_name(p);
                    projection.push(if has {
                        Expr::Column(Column::new(Some("#t"), p.clone())).alias(p.clone())
                    } else {
                        let ty = types.get(p).cloned().unwrap_or(DataType::Null);
                        Expr::Literal(datafusion::common::ScalarValue::try_from(&ty)?, None)
                            .alias(p.clone())
                    });
                }
                let one = LogicalPlanBuilder::from(scan)
                    .project(projection)?
                    .build()?;
                union = Some(match union {
                    None => LogicalPlanBuilder::from(one),
                    Some(u) => u.union(one)?,
                });
            }
            union.expect("tables").alias(variable)?.build()?
        };
        let mut left_keys = vec![Column::new(Some(qualifier.clone()), id_column(variable))];
        let mut right_keys = vec![Column::new(Some(variable), "id")];
        if labelled && tables.len() > 1 {
            left_keys.push(Column::new(Some(qualifier), label_column(variable)));
            right_keys.push(Column::new(Some(variable), LABEL));
        }
        LogicalPlanBuilder::from(plan)
            .join(right, JoinType::Inner, (left_keys, right_keys), None)?
            .build()
    }
}

/// The edge a node at `i` is left by: the next factor, or the first of a repetition
/// that runs at least once.
fn edge_after(factors: &[SpecFactor], i: usize) -> Option<(&[String], Direction)> {
    match factors.get(i + 1)? {
        SpecFactor::Edge {
            tables, direction, ..
        } => Some((tables, *direction)),
        SpecFactor::BeginRepeat { min, .. } if *min >= 1 => match factors.get(i + 2)? {
            SpecFactor::Edge {
                tables, direction, ..
            } => Some((tables, *direction)),
            _ => None,
        },
        _ => None,
    }
}

/// The edge a node at `i` is reached by: the factor before, or the last of a repetition
/// (of one edge) that runs at least once.
fn edge_before(factors: &[SpecFactor], i: usize) -> Option<(&[String], Direction)> {
    match factors.get(i.checked_sub(1)?)? {
        SpecFactor::Edge {
            tables, direction, ..
        } => Some((tables, *direction)),
        SpecFactor::EndRepeat => match (
            factors.get(i.checked_sub(3)?)?,
            factors.get(i.checked_sub(2)?)?,
        ) {
            (
                SpecFactor::BeginRepeat { min, .. },
                SpecFactor::Edge {
                    tables, direction, ..
                },
            ) if *min >= 1 => Some((tables, *direction)),
            _ => None,
        },
        _ => None,
    }
}

fn match_qualifier(index: usize) -> String {
    format!("#m{index}")
}

fn has_unbounded(factors: &[PathFactor]) -> bool {
    factors.iter().any(|f| match f {
        PathFactor::Node(_) => false,
        PathFactor::Edge { quantifier, .. } => quantifier.is_some_and(|q| q.max.is_none()),
        PathFactor::Group {
            path, quantifier, ..
        } => quantifier.is_some_and(|q| q.max.is_none()) || has_unbounded(path),
    })
}

/// The properties of element `name` that `conditions` read.
fn properties_read(name: &str, conditions: &[sql::Expr]) -> BTreeSet<String> {
    struct Read<'n> {
        name: &'n str,
        out: BTreeSet<String>,
    }
    impl Visitor for Read<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &sql::Expr) -> std::ops::ControlFlow<()> {
            if let sql::Expr::CompoundIdentifier(parts) = expr
                && parts.len() == 2
                && parts[0].value == self.name
            {
                self.out.insert(parts[1].value.to_ascii_lowercase());
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut read = Read {
        name,
        out: BTreeSet::new(),
    };
    for c in conditions {
        let _ = Visit::visit(c, &mut read);
    }
    read.out
}

/// `x.id = v` or `x.id IN (v, ...)` alone, with constant values: the ids themselves.
fn id_values(name: &str, conditions: &[sql::Expr]) -> Option<Vec<sql::Expr>> {
    let [condition] = conditions else {
        return None;
    };
    let is_id = |e: &sql::Expr| {
        matches!(e, sql::Expr::CompoundIdentifier(parts)
            if parts.len() == 2 && parts[0].value == name && parts[1].value.eq_ignore_ascii_case("id"))
    };
    let constant = |e: &sql::Expr| {
        let (names, complex) = referenced_names(e);
        names.is_empty() && !complex
    };
    match condition {
        sql::Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            if is_id(left) && constant(right) {
                Some(vec![(**right).clone()])
            } else if is_id(right) && constant(left) {
                Some(vec![(**left).clone()])
            } else {
                None
            }
        }
        sql::Expr::InList {
            expr,
            list,
            negated: false,
        } if is_id(expr) && list.iter().all(constant) => Some(list.clone()),
        _ => None,
    }
}

/// A column's name when `COLUMNS` gives none: a property's name, a function's name.
fn default_column_name(expr: &sql::Expr) -> String {
    match expr {
        sql::Expr::CompoundIdentifier(parts) => parts
            .last()
            .map(|p| p.value.to_ascii_lowercase())
            .unwrap_or_default(),
        sql::Expr::Identifier(i) => i.value.to_ascii_lowercase(),
        sql::Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_ascii_lowercase())
            .unwrap_or_else(|| "?column?".into()),
        sql::Expr::Cast { expr, .. } | sql::Expr::Nested(expr) => default_column_name(expr),
        _ => "?column?".into(),
    }
}

/// Finds the properties each variable's references read (`x.p` other than `x.id`).
struct ElementReferences<'a> {
    group_names: &'a BTreeSet<String>,
    variables: &'a BTreeMap<String, Variable>,
    paths: &'a BTreeMap<String, usize>,
    id_columns: &'a BTreeMap<String, (String, bool)>,
    properties: BTreeMap<String, BTreeSet<String>>,
    error: Option<datafusion::error::DataFusionError>,
}

impl Visitor for ElementReferences<'_> {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &sql::Expr) -> std::ops::ControlFlow<()> {
        if let sql::Expr::CompoundIdentifier(parts) = expr
            && parts.len() == 2
        {
            let (var, prop) = (&parts[0].value, &parts[1].value);
            if self.variables.contains_key(var) {
                if !self.id_columns.contains_key(var) {
                    self.error = Some(
                        GraphTableError::NotSupported(format!(
                            "reading \"{var}\", an element inside a quantified path, outside it"
                        ))
                        .into_df(),
                    );
                } else if !prop.eq_ignore_ascii_case("id") {
                    self.properties
                        .entry(var.clone())
                        .or_default()
                        .insert(prop.clone());
                }
            } else if self.group_names.contains(var) {
                self.error = Some(
                    GraphTableError::NotSupported(format!(
                        "reading \"{var}\", an element inside a quantified path, outside it (use vertices() or edges() of a path variable)"
                    ))
                    .into_df(),
                );
            } else if self.paths.contains_key(var) {
                self.error = Some(invalid(format!(
                    "\"{var}\" is a path variable: read it with path_length({var}), vertices({var}) or edges({var})"
                )));
            }
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// Rewrites `x.id` and `element_id(x)` to the match column of `x`, and `path_length(p)`,
/// `vertices(p)`, `edges(p)` to the path's columns.
struct RewriteIds<'a> {
    variables: &'a BTreeMap<String, Variable>,
    paths: &'a BTreeMap<String, usize>,
    id_columns: &'a BTreeMap<String, (String, bool)>,
}

impl VisitorMut for RewriteIds<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, expr: &mut sql::Expr) -> std::ops::ControlFlow<()> {
        let column =
            |q: &str, c: String| sql::Expr::CompoundIdentifier(vec![quoted(q), quoted(&c)]);
        match expr {
            sql::Expr::CompoundIdentifier(parts)
                if parts.len() == 2 && parts[1].value.eq_ignore_ascii_case("id") =>
            {
                if let Some((q, _)) = self.id_columns.get(&parts[0].value) {
                    *expr = column(q, id_column(&parts[0].value));
                }
            }
            sql::Expr::Function(f) => {
                let name = f
                    .name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.to_ascii_lowercase())
                    .unwrap_or_default();
                let FunctionArguments::List(list) = &f.args else {
                    return std::ops::ControlFlow::Continue(());
                };
                let [FunctionArg::Unnamed(FunctionArgExpr::Expr(sql::Expr::Identifier(arg)))] =
                    list.args.as_slice()
                else {
                    return std::ops::ControlFlow::Continue(());
                };
                let arg = arg.value.clone();
                match name.as_str() {
                    "element_id" if self.variables.contains_key(&arg) => {
                        if let Some((q, _)) = self.id_columns.get(&arg) {
                            *expr = column(q, id_column(&arg));
                        }
                    }
                    "path_length" | "vertices" | "edges" => {
                        if let Some(index) = self.paths.get(&arg) {
                            let q = match_qualifier(*index);
                            *expr = column(
                                &q,
                                match name.as_str() {
                                    "path_length" => path_length_column(&arg),
                                    "vertices" => path_vertices_column(&arg),
                                    _ => path_edges_column(&arg),
                                },
                            );
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        std::ops::ControlFlow::Continue(())
    }
}
