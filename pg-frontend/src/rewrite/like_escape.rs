//! `LIKE 'pattern' ESCAPE 'c'` with an escape character other than backslash
//! (SQLAlchemy 2's schema listing: `nspname NOT LIKE 'pg!_%' ESCAPE '!'`), which
//! DataFusion refuses at execution: the same pattern written with backslash escapes.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Statement, Value, visit_expressions_mut};

use super::CatalogRewrite;
use super::ast::text;

pub struct LikeEscape;

impl CatalogRewrite for LikeEscape {
    fn name(&self) -> &'static str {
        "like_escape"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Like {
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                pattern,
                escape_char,
                ..
            } = expr
                && let Some(escape) = escape_char.as_ref().and_then(|e| single_char(&e.value))
                && escape != '\\'
                && let Expr::Value(written) = pattern.as_ref()
                && let Value::SingleQuotedString(written) = &written.value
                && let Some(rewritten) = with_backslash_escapes(written, escape)
            {
                **pattern = text(&rewritten);
                *escape_char = None;
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

fn single_char(value: &Value) -> Option<char> {
    let Value::SingleQuotedString(s) = value else {
        return None;
    };
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// `pattern` with `escape` as its escape character, written with backslash: what
/// `escape` escapes is backslash-escaped, and a backslash of its own is escaped too.
/// None for a pattern that ends in the escape character (PostgreSQL's error to report).
fn with_backslash_escapes(pattern: &str, escape: char) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            out.push('\\');
            out.push(chars.next()?);
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn other_escape_characters_become_backslashes() {
        assert_rewrites_to(
            &LikeEscape,
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg!_%' ESCAPE '!'",
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'",
        );
        assert_eq!(
            with_backslash_escapes("a\\b!!c", '!').as_deref(),
            Some("a\\\\b\\!c")
        );
        assert_eq!(with_backslash_escapes("abc!", '!'), None);
        let backslash = "SELECT 1 WHERE 'a' LIKE 'a\\_' ESCAPE '\\'";
        assert_rewrites_to(&LikeEscape, backslash, backslash);
    }
}
