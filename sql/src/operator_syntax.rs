//! PostgreSQL syntax DataFusion's planner refuses but means a function or a plain
//! literal, rewritten in the syntax tree before planning: prefix `~x` (bitwise not) as
//! the function `bitwise_not(x)`, and a `U&'...'` literal (the parser has already
//! decoded its escapes) as the string it spells, and `LIKE p ESCAPE 'c'` with an escape
//! other than backslash (DataFusion's only one) as `LIKE like_escape(p, 'c')`, as
//! PostgreSQL itself plans it: a literal pattern is written again with backslashes here,
//! any other is rewritten when it runs; and pgvector's distance operators (`<->`, `<=>`,
//! `<#>`, `<+>`) as its distance functions. Output names are taken before this.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, UnaryOperator, Value, VisitMut, VisitorMut,
};
use datafusion_omnigraph::functions::like_escape::{escape_character, with_backslash_escapes};
use datafusion_omnigraph::functions::vector;
use datafusion_omnigraph::syntax_builders::function_call as call;

/// Rewrites the operators and literals of `statement` the planner does not know.
pub fn with_planned_operators(statement: &mut DFStatement) {
    struct Operators;
    impl VisitorMut for Operators {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            rewrite(expr);
            ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Operators);
    }
}

fn rewrite(expr: &mut Expr) {
    match expr {
        Expr::UnaryOp {
            op: UnaryOperator::BitwiseNot,
            expr: operand,
        } => {
            let operand = std::mem::replace(operand.as_mut(), Expr::value(Value::Null));
            *expr = call("bitwise_not", vec![operand]);
        }
        Expr::Value(value) => {
            if let Value::UnicodeStringLiteral(text) = &value.value {
                value.value = Value::SingleQuotedString(text.clone());
            }
        }
        Expr::Like {
            pattern,
            escape_char,
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char,
            ..
        } => {
            if let Some(Value::SingleQuotedString(escape)) = escape_char.as_ref().map(|e| &e.value)
                && escape != "\\"
            {
                **pattern = backslash_pattern(pattern, escape);
                *escape_char = None;
            }
        }
        Expr::BinaryOp { left, op, right } => {
            let operator = match op {
                BinaryOperator::LtDashGt => "<->",
                // PostgreSQL has no `<=>` of its own (DataFusion reads it as MySQL's
                // null-safe equality): it is pgvector's cosine distance.
                BinaryOperator::Spaceship => "<=>",
                BinaryOperator::Custom(c) => c.as_str(),
                _ => return,
            };
            if let Some(function) = vector::operator_function(operator) {
                let left = std::mem::replace(left.as_mut(), Expr::value(Value::Null));
                let right = std::mem::replace(right.as_mut(), Expr::value(Value::Null));
                *expr = call(function, vec![left, right]);
            }
        }
        _ => {}
    }
}

/// `pattern` written with backslash escapes instead of `escape`.
fn backslash_pattern(pattern: &Expr, escape: &str) -> Expr {
    let text = |s: String| Expr::value(Value::SingleQuotedString(s));
    if let Expr::Value(written) = pattern
        && let Value::SingleQuotedString(written) = &written.value
        && let Ok(escape) = escape_character(escape)
    {
        return text(with_backslash_escapes(written, escape));
    }
    call(
        "like_escape",
        vec![pattern.clone(), text(escape.to_string())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

    #[test]
    fn bitwise_not_and_unicode_literals_become_plain_syntax() {
        let mut statement = DFStatement::Statement(Box::new(
            datafusion::sql::sqlparser::parser::Parser::parse_sql(
                &PostgreSqlDialect {},
                r"SELECT ~5, ~(~x), U&'\0041', n LIKE 'pg!_%' ESCAPE '!', n LIKE $1 || '%' ESCAPE '/'",
            )
            .unwrap()
            .remove(0),
        ));
        with_planned_operators(&mut statement);
        assert_eq!(
            statement.to_string(),
            "SELECT bitwise_not(5), bitwise_not((bitwise_not(x))), 'A', n LIKE 'pg\\_%', \
             n LIKE like_escape($1 || '%', '/')"
        );
    }
}
