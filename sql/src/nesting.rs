//! How deeply a statement nests. The parser bounds its own recursion (54001 past it),
//! but the chains it builds in a loop (`a + b + ...`, `x OR y OR ...`, `... UNION ALL
//! ...`) nest as deep as they are long, and planning, running and even dropping such a
//! tree recurse once per level. Chains of an associative operation (`AND`, `OR`, `UNION
//! [ALL]`, `INTERSECT [ALL]`) are regrouped into balanced trees, keeping their operands'
//! order, as PostgreSQL flattens `AND`/`OR` lists: ten thousand `OR`s nest 14 deep. A
//! statement that still nests deeper than [`MAX_NESTING`] is refused with 54001 `stack
//! depth limit exceeded`, as PostgreSQL refuses one that would overrun its stack, and its
//! tree is taken apart level by level rather than dropped in one recursion.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Query, SetExpr, SetOperator, SetQuantifier, Value, Values, Visit,
    VisitMut, Visitor, VisitorMut,
};

use crate::error::{ErrorKind, Result, SqlError};

/// The deepest a statement may nest: expressions inside expressions, queries inside
/// queries, set operations inside set operations, all counted together. PostgreSQL's
/// default stack takes two to five thousand levels of `+`; DataFusion names, simplifies
/// and evaluates an expression recursively, in time that grows faster than its depth
/// (a 250-level sum of columns plans in 3 s in a debug build, a 500-level one in 29 s)
/// and with about 5 kB of stack per level in a debug build. 256 levels plan in seconds
/// and fit a 2 MB thread; DataFusion's own parser default is 50.
pub const MAX_NESTING: usize = 256;

/// The error PostgreSQL gives for a statement nesting too deep for its stack.
pub fn too_deep() -> SqlError {
    SqlError::new(
        ErrorKind::StackDepthExceeded,
        format!(
            "stack depth limit exceeded: the statement nests more than {MAX_NESTING} levels of expressions or queries"
        ),
    )
}

/// Regroups `statement`'s associative chains, then refuses it if it still nests deeper
/// than [`MAX_NESTING`], leaving it emptied (so the caller drops it shallow).
pub(crate) fn check(statement: &mut DFStatement) -> Result<()> {
    balance(statement);
    if depth(statement) <= MAX_NESTING {
        return Ok(());
    }
    dismantle(statement);
    Err(too_deep())
}

fn balance(statement: &mut DFStatement) {
    visit_roots_mut(statement, &mut Balancer);
}

/// Runs `visitor` over the SQL a statement holds: the statement, the one `EXPLAIN`
/// explains, or the query `COPY` copies.
fn visit_roots_mut<V: VisitorMut>(statement: &mut DFStatement, visitor: &mut V) {
    match statement {
        DFStatement::Statement(s) => {
            let _ = VisitMut::visit(s.as_mut(), visitor);
        }
        DFStatement::Explain(explain) => visit_roots_mut(&mut explain.statement, visitor),
        DFStatement::CopyTo(copy) => {
            if let CopyToSource::Query(query) = &mut copy.source {
                let _ = VisitMut::visit(query.as_mut(), visitor);
            }
        }
        _ => {}
    }
}

/// Regroups chains before the traversal descends into them, so it never walks one.
struct Balancer;

impl VisitorMut for Balancer {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::BinaryOp {
            op: op @ (BinaryOperator::And | BinaryOperator::Or),
            ..
        } = expr
        {
            let op = op.clone();
            let chain = std::mem::replace(expr, Expr::value(Value::Null));
            let operands = expression_operands(chain, &op);
            *expr = balanced(operands, &|left, right| Expr::BinaryOp {
                left: Box::new(left),
                op: op.clone(),
                right: Box::new(right),
            });
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::SetOperation {
            op: op @ (SetOperator::Union | SetOperator::Intersect),
            set_quantifier,
            ..
        } = query.body.as_ref()
        {
            let (op, quantifier) = (*op, *set_quantifier);
            let chain = std::mem::replace(query.body.as_mut(), empty_body());
            let operands = set_operands(chain, op, quantifier);
            *query.body = balanced(operands, &|left, right| SetExpr::SetOperation {
                op,
                set_quantifier: quantifier,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        ControlFlow::Continue(())
    }
}

/// The operands of a chain of `op`, left to right, found without recursion.
fn expression_operands(chain: Expr, op: &BinaryOperator) -> Vec<Expr> {
    let mut operands = Vec::new();
    let mut pending = vec![chain];
    while let Some(e) = pending.pop() {
        match e {
            Expr::BinaryOp { left, op: o, right } if o == *op => {
                pending.push(*right);
                pending.push(*left);
            }
            other => operands.push(other),
        }
    }
    operands
}

fn set_operands(chain: SetExpr, op: SetOperator, quantifier: SetQuantifier) -> Vec<SetExpr> {
    let mut operands = Vec::new();
    let mut pending = vec![chain];
    while let Some(e) = pending.pop() {
        match e {
            SetExpr::SetOperation {
                op: o,
                set_quantifier: q,
                left,
                right,
            } if o == op && q == quantifier => {
                pending.push(*right);
                pending.push(*left);
            }
            other => operands.push(other),
        }
    }
    operands
}

/// `operands` joined by `join` into a tree of depth log2(n), in their order.
fn balanced<T>(mut operands: Vec<T>, join: &dyn Fn(T, T) -> T) -> T {
    if operands.len() == 1 {
        return operands.pop().expect("one operand");
    }
    let right = operands.split_off(operands.len() / 2);
    join(balanced(operands, join), balanced(right, join))
}

/// How deeply `statement` nests, counted up to just past [`MAX_NESTING`].
fn depth(statement: &DFStatement) -> usize {
    let mut visitor = Depth::default();
    match statement {
        DFStatement::Statement(s) => {
            let _ = Visit::visit(s.as_ref(), &mut visitor);
        }
        DFStatement::Explain(explain) => return depth(&explain.statement) + 1,
        DFStatement::CopyTo(copy) => {
            if let CopyToSource::Query(query) = &copy.source {
                let _ = Visit::visit(query.as_ref(), &mut visitor);
            }
        }
        _ => {}
    }
    visitor.deepest
}

#[derive(Default)]
struct Depth {
    current: usize,
    deepest: usize,
    /// What each open query added: one level, and the set operations of its body.
    queries: Vec<usize>,
}

impl Depth {
    fn enter(&mut self, levels: usize) -> ControlFlow<()> {
        self.current += levels;
        self.deepest = self.deepest.max(self.current);
        match self.deepest > MAX_NESTING {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    }
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let levels = 1 + set_operation_depth(&query.body);
        self.queries.push(levels);
        self.enter(levels)
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.current -= self.queries.pop().unwrap_or(0);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.enter(1)
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<()> {
        self.current -= 1;
        ControlFlow::Continue(())
    }
}

/// How many set operations nest in `body` (its queries count on their own).
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 0)];
    while let Some((node, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if let SetExpr::SetOperation { left, right, .. } = node {
            pending.push((left, depth + 1));
            pending.push((right, depth + 1));
        }
    }
    deepest
}

/// Empties `statement` a level at a time: every expression and set operation is
/// emptied after its children (the traversal grows its stack as it needs), so what is
/// finally dropped is shallow.
fn dismantle(statement: &mut DFStatement) {
    visit_roots_mut(statement, &mut Emptier);
}

struct Emptier;

fn empty_body() -> SetExpr {
    SetExpr::Values(Values {
        explicit_row: false,
        value_keyword: false,
        rows: Vec::new(),
    })
}

impl VisitorMut for Emptier {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        *expr = Expr::value(Value::Null);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let mut pending = vec![std::mem::replace(query.body.as_mut(), empty_body())];
        while let Some(node) = pending.pop() {
            if let SetExpr::SetOperation {
                mut left,
                mut right,
                ..
            } = node
            {
                pending.push(std::mem::replace(left.as_mut(), empty_body()));
                pending.push(std::mem::replace(right.as_mut(), empty_body()));
            }
        }
        ControlFlow::Continue(())
    }
}
