//! Date and time syntax DataFusion's planner reads unlike PostgreSQL, given to it in a
//! form it reads as PostgreSQL does:
//! - an `INTERVAL '...'` literal's text as PostgreSQL reads it (`'1 year 2 months 3 days
//!   04:05:06'`, which Arrow's interval parser refuses), rewritten to words Arrow reads
//!   back exactly;
//! - `make_interval(days => 10)`: DataFusion binds named arguments only when every
//!   parameter before them is given, so the ones left out are given as 0;
//! - `(s1, e1) OVERLAPS (s2, e2)` (DataFusion cannot plan the pairs), as the comparisons
//!   PostgreSQL's `overlaps` makes: each period from its earlier end to its later one (an
//!   interval as the second element is the period's length); periods that start together
//!   overlap, else the later start must come before the other period's end.

use std::ops::ControlFlow;

use datafusion::arrow::datatypes::IntervalMonthDayNano;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, CaseWhen, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgOperator, FunctionArguments, Interval, TimezoneInfo, UnaryOperator, Value, VisitMut,
    VisitorMut,
};
use datafusion_omnigraph::functions::datetime::interval_input::{arrow_text, parse_interval};

use crate::names;
use datafusion_omnigraph::syntax_builders::function_call as call;

const MAKE_INTERVAL_PARAMETERS: [&str; 7] =
    ["years", "months", "weeks", "days", "hours", "mins", "secs"];

/// Rewrites `statement`'s interval literals and `make_interval` calls.
pub fn with_postgres_datetime_syntax(statement: &mut DFStatement) {
    struct Rewrite;
    impl VisitorMut for Rewrite {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            // DataFusion negates an interval literal by writing a `-` before its text,
            // which negates only the first of the words it is rewritten to: the literal
            // is negated here instead.
            if let Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } = expr
                && let Expr::Interval(interval) = inner.as_mut()
                && negate_interval_text(interval)
            {
                *expr = Expr::Interval(interval.clone());
            }
            ControlFlow::Continue(())
        }

        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            match expr {
                Expr::Interval(interval) => interval_text(interval),
                Expr::Function(function) => make_interval_arguments(function),
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Overlaps,
                    right,
                } => {
                    if let (Expr::Tuple(first), Expr::Tuple(second)) =
                        (left.as_ref(), right.as_ref())
                        && let ([s1, e1], [s2, e2]) = (first.as_slice(), second.as_slice())
                    {
                        *expr = overlaps((s1, e1), (s2, e2));
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Rewrite);
    }
}

fn interval_text(interval: &mut Interval) {
    if interval.leading_field.is_some() {
        return;
    }
    let Expr::Value(value) = interval.value.as_mut() else {
        return;
    };
    let Value::SingleQuotedString(text) = &mut value.value else {
        return;
    };
    // Text PostgreSQL refuses stays as written, for DataFusion to refuse.
    if let Ok(parsed) = parse_interval(text) {
        *text = arrow_text(parsed);
    }
}

/// Writes `interval`'s text negated, in Arrow's words; false when it is not PostgreSQL
/// interval text.
fn negate_interval_text(interval: &mut Interval) -> bool {
    if interval.leading_field.is_some() {
        return false;
    }
    let Expr::Value(value) = interval.value.as_mut() else {
        return false;
    };
    let Value::SingleQuotedString(text) = &mut value.value else {
        return false;
    };
    let Ok(parsed) = parse_interval(text) else {
        return false;
    };
    *text = arrow_text(IntervalMonthDayNano::new(
        -parsed.months,
        -parsed.days,
        -parsed.nanoseconds,
    ));
    true
}

fn make_interval_arguments(function: &mut Function) {
    if names::object_name(&function.name) != "make_interval" {
        return;
    }
    let FunctionArguments::List(list) = &mut function.args else {
        return;
    };
    // A parameter's name, however the dialect parsed `name => value`.
    let parameter = |arg: &FunctionArg| match arg {
        FunctionArg::Named { name, .. } => Some(name.value.clone()),
        FunctionArg::ExprNamed {
            name: Expr::Identifier(name),
            ..
        } => Some(name.value.clone()),
        _ => None,
    };
    if list.args.iter().all(|a| parameter(a).is_none()) {
        return;
    }
    let mut positional: Vec<Option<FunctionArgExpr>> = vec![None; MAKE_INTERVAL_PARAMETERS.len()];
    for (i, arg) in list.args.iter().enumerate() {
        let (slot, value) = match arg {
            FunctionArg::Named {
                arg: value,
                operator,
                ..
            }
            | FunctionArg::ExprNamed {
                arg: value,
                operator,
                ..
            } if matches!(
                operator,
                FunctionArgOperator::RightArrow | FunctionArgOperator::Assignment
            ) =>
            {
                let Some(name) = parameter(arg) else {
                    return;
                };
                let slot = MAKE_INTERVAL_PARAMETERS
                    .iter()
                    .position(|p| p.eq_ignore_ascii_case(&name));
                (slot, value)
            }
            FunctionArg::Unnamed(value) => (Some(i), value),
            // Anything else is DataFusion's to refuse.
            _ => return,
        };
        let Some(slot) = slot.filter(|s| positional[*s].is_none()) else {
            return;
        };
        positional[slot] = Some(value.clone());
    }
    let last = positional.iter().rposition(Option::is_some).unwrap_or(0);
    list.args = positional
        .into_iter()
        .take(last + 1)
        .map(|arg| {
            FunctionArg::Unnamed(arg.unwrap_or_else(|| {
                FunctionArgExpr::Expr(Expr::value(Value::Number("0".into(), false)))
            }))
        })
        .collect();
}

fn binary(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    }
}

fn as_timestamp(expr: Expr) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type: DataType::Timestamp(None, TimezoneInfo::None),
        array: false,
        format: None,
    }
}

/// A period's earlier and later ends. With an interval for its length, both ends are
/// timestamps (a date plus an interval is one).
fn period(start: &Expr, end: &Expr) -> (Expr, Expr) {
    let (start, end) = match end {
        Expr::Interval(_) => (
            as_timestamp(start.clone()),
            as_timestamp(binary(start.clone(), BinaryOperator::Plus, end.clone())),
        ),
        other => (start.clone(), other.clone()),
    };
    (
        call("least", vec![start.clone(), end.clone()]),
        call("greatest", vec![start, end]),
    )
}

fn overlaps(first: (&Expr, &Expr), second: (&Expr, &Expr)) -> Expr {
    let (s1, e1) = period(first.0, first.1);
    let (s2, e2) = period(second.0, second.1);
    let when = |condition, result| CaseWhen { condition, result };
    Expr::Case {
        case_token: AttachedToken::empty(),
        end_token: AttachedToken::empty(),
        operand: None,
        conditions: vec![
            when(
                binary(s1.clone(), BinaryOperator::Gt, s2.clone()),
                binary(s1.clone(), BinaryOperator::Lt, e2),
            ),
            when(
                binary(s1.clone(), BinaryOperator::Lt, s2.clone()),
                binary(s2.clone(), BinaryOperator::Lt, e1),
            ),
            when(
                binary(s1, BinaryOperator::Eq, s2),
                Expr::value(Value::Boolean(true)),
            ),
        ],
        else_result: Some(Box::new(Expr::value(Value::Null))),
    }
}
