//! Literal arguments of table functions.

use datafusion::common::plan_err;
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;

use crate::error::DfResult;

/// A table function's arguments, checked by name and position for clear errors.
pub struct Args<'a> {
    function: &'a str,
    exprs: &'a [Expr],
}

impl<'a> Args<'a> {
    pub fn new(function: &'a str, exprs: &'a [Expr], min: usize, max: usize) -> DfResult<Self> {
        if exprs.len() < min || exprs.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return plan_err!(
                "{function}() takes {expected} arguments, got {}",
                exprs.len()
            );
        }
        Ok(Args { function, exprs })
    }

    pub fn len(&self) -> usize {
        self.exprs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exprs.is_empty()
    }

    /// Argument `i` as text: string literals as they are, integers in decimal (so a
    /// version number can be written as `3` or `'3'`).
    pub fn text(&self, i: usize, name: &str) -> DfResult<String> {
        match &self.exprs[i] {
            Expr::Literal(v, _) => match v {
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)) => Ok(s.clone()),
                ScalarValue::Int64(Some(n)) => Ok(n.to_string()),
                ScalarValue::Int32(Some(n)) => Ok(n.to_string()),
                ScalarValue::UInt64(Some(n)) => Ok(n.to_string()),
                other if other.is_null() => {
                    plan_err!("{}(): {name} must not be NULL", self.function)
                }
                other => plan_err!(
                    "{}(): {name} must be a string literal, got {other:?}",
                    self.function
                ),
            },
            other => plan_err!("{}(): {name} must be a literal, got {other}", self.function),
        }
    }

    pub fn opt_text(&self, i: usize, name: &str) -> DfResult<Option<String>> {
        if i < self.exprs.len() {
            self.text(i, name).map(Some)
        } else {
            Ok(None)
        }
    }
}
