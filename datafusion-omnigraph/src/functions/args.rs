//! Literal arguments of table functions.

use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;

use crate::error::{DfResult, to_df};

/// An argument error (SQLSTATE 22023 over SQL).
pub(crate) fn invalid(message: String) -> datafusion::error::DataFusionError {
    to_df(omnigraph_engine::Error::InvalidArgument(message))
}

/// The text of a string or integer literal (integers in decimal, so a version number can
/// be written as `3` or `'3'`); `None` for anything else.
pub(crate) fn literal_text(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        ScalarValue::Int64(Some(n)) => Some(n.to_string()),
        ScalarValue::Int32(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt64(Some(n)) => Some(n.to_string()),
        _ => None,
    }
}

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
            return Err(invalid(format!(
                "{function}() takes {expected} arguments, got {}",
                exprs.len()
            )));
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
        let function = self.function;
        match &self.exprs[i] {
            Expr::Literal(v, _) => match literal_text(v) {
                Some(text) => Ok(text),
                None if v.is_null() => {
                    Err(invalid(format!("{function}(): {name} must not be NULL")))
                }
                None => Err(invalid(format!(
                    "{function}(): {name} must be a string literal, got {v:?}"
                ))),
            },
            other => Err(invalid(format!(
                "{function}(): {name} must be a literal, got {other}"
            ))),
        }
    }

    pub fn opt_text(&self, i: usize, name: &str) -> DfResult<Option<String>> {
        if i < self.exprs.len() {
            self.text(i, name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Argument `i` as text, `None` when absent or `NULL`.
    pub fn nullable_text(&self, i: usize, name: &str) -> DfResult<Option<String>> {
        match self.exprs.get(i) {
            None => Ok(None),
            Some(Expr::Literal(v, _)) if v.is_null() => Ok(None),
            Some(_) => self.text(i, name).map(Some),
        }
    }

    /// Argument `i` as a boolean (`true`/`false` or their text), `None` when absent.
    pub fn opt_bool(&self, i: usize, name: &str) -> DfResult<Option<bool>> {
        let function = self.function;
        match self.exprs.get(i) {
            None => Ok(None),
            Some(Expr::Literal(ScalarValue::Boolean(Some(b)), _)) => Ok(Some(*b)),
            Some(Expr::Literal(v, _)) => match literal_text(v).as_deref() {
                Some("true") => Ok(Some(true)),
                Some("false") => Ok(Some(false)),
                _ => Err(invalid(format!(
                    "{function}(): {name} must be true or false, got {v:?}"
                ))),
            },
            Some(other) => Err(invalid(format!(
                "{function}(): {name} must be a literal, got {other}"
            ))),
        }
    }

    /// Argument `i` as a non-negative integer, `None` when absent or `NULL`.
    pub fn nullable_u64(&self, i: usize, name: &str) -> DfResult<Option<u64>> {
        let function = self.function;
        match self.exprs.get(i) {
            None => Ok(None),
            Some(Expr::Literal(v, _)) if v.is_null() => Ok(None),
            Some(Expr::Literal(v, _)) => match literal_text(v).map(|t| t.parse::<u64>()) {
                Some(Ok(n)) => Ok(Some(n)),
                _ => Err(invalid(format!(
                    "{function}(): {name} must be a non-negative integer, got {v}"
                ))),
            },
            Some(other) => Err(invalid(format!(
                "{function}(): {name} must be a literal, got {other}"
            ))),
        }
    }

    /// Argument `i` as a non-negative interval (`interval '7 days'`, or its text), `None`
    /// when absent or `NULL`. A month counts 30 days, as PostgreSQL's interval arithmetic
    /// on epochs does.
    pub fn nullable_interval(&self, i: usize, name: &str) -> DfResult<Option<std::time::Duration>> {
        let function = self.function;
        let value = match self.exprs.get(i) {
            None => return Ok(None),
            Some(Expr::Literal(v, _)) if v.is_null() => return Ok(None),
            Some(Expr::Literal(v, _)) => v.clone(),
            Some(Expr::Cast(cast)) => match cast.expr.as_ref() {
                Expr::Literal(v, _) => v.clone(),
                other => {
                    return Err(invalid(format!(
                        "{function}(): {name} must be a literal, got {other}"
                    )));
                }
            },
            Some(other) => {
                return Err(invalid(format!(
                    "{function}(): {name} must be a literal, got {other}"
                )));
            }
        };
        let bad = || {
            invalid(format!(
                "{function}(): {name} must be a non-negative interval, got {value}"
            ))
        };
        let (months, days, nanos): (i64, i64, i128) = match &value {
            ScalarValue::IntervalMonthDayNano(Some(v)) => {
                (v.months.into(), v.days.into(), v.nanoseconds.into())
            }
            ScalarValue::IntervalDayTime(Some(v)) => {
                (0, v.days.into(), i128::from(v.milliseconds) * 1_000_000)
            }
            ScalarValue::IntervalYearMonth(Some(m)) => ((*m).into(), 0, 0),
            other => match literal_text(other) {
                Some(text) => {
                    let v = datafusion::arrow::compute::kernels::cast_utils::parse_interval_month_day_nano(&text)
                        .map_err(|_| bad())?;
                    (v.months.into(), v.days.into(), v.nanoseconds.into())
                }
                None => return Err(bad()),
            },
        };
        let total = (i128::from(months) * 30 + i128::from(days)) * 86_400 * 1_000_000_000 + nanos;
        if total < 0 {
            return Err(bad());
        }
        Ok(Some(std::time::Duration::from_nanos(
            u64::try_from(total).unwrap_or(u64::MAX),
        )))
    }
}
