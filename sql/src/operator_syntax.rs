//! PostgreSQL syntax DataFusion's planner refuses but means a function or a plain
//! literal, rewritten in the syntax tree before planning: prefix `~x` (bitwise not) as
//! the function `bitwise_not(x)`, and a `U&'...'` literal (the parser has already
//! decoded its escapes) as the string it spells. Output names are taken before this.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, UnaryOperator, Value, VisitMut, VisitorMut,
};

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
            *expr = call("bitwise_not", operand);
        }
        Expr::Value(value) => {
            if let Value::UnicodeStringLiteral(text) = &value.value {
                value.value = Value::SingleQuotedString(text.clone());
            }
        }
        _ => {}
    }
}

fn call(name: &str, arg: Expr) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))],
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
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
                r"SELECT ~5, ~(~x), U&'\0041'",
            )
            .unwrap()
            .remove(0),
        ));
        with_planned_operators(&mut statement);
        assert_eq!(
            statement.to_string(),
            "SELECT bitwise_not(5), bitwise_not((bitwise_not(x))), 'A'"
        );
    }
}
