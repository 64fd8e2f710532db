//! `justify_hours`, `justify_days`, `justify_interval` and `age`, as PostgreSQL computes
//! them (DataFusion has none of them).

use std::sync::Arc;

use chrono::{Datelike, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, IntervalMonthDayNanoArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Int64Type, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::calendar::{
    MICROS_PER_DAY, NANOS_PER_MICRO, civil_from_days, days_from_civil, days_in_month,
};
use crate::functions::registry::{argument, result};

const INTERVAL: DataType = DataType::Interval(IntervalUnit::MonthDayNano);
const MICROS: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);
const DAYS_PER_MONTH: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    JustifyHours,
    JustifyDays,
    JustifyInterval,
    /// `age(a, b)`, and `age(a)` from midnight today.
    Age,
}

/// The interval functions, to register.
pub fn functions() -> Vec<ScalarUDF> {
    [
        Kind::JustifyHours,
        Kind::JustifyDays,
        Kind::JustifyInterval,
        Kind::Age,
    ]
    .into_iter()
    .map(|kind| {
        // `age(a)` reads today's date.
        let volatility = match kind {
            Kind::Age => Volatility::Stable,
            _ => Volatility::Immutable,
        };
        ScalarUDF::new_from_impl(IntervalFunction {
            kind,
            signature: Signature::user_defined(volatility),
        })
    })
    .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct IntervalFunction {
    kind: Kind,
    signature: Signature,
}

/// An interval as PostgreSQL holds it: months, days, microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub months: i64,
    pub days: i64,
    pub micros: i64,
}

impl Span {
    fn of(v: IntervalMonthDayNano) -> Span {
        Span {
            months: i64::from(v.months),
            days: i64::from(v.days),
            micros: v.nanoseconds / NANOS_PER_MICRO,
        }
    }

    fn arrow(self) -> IntervalMonthDayNano {
        IntervalMonthDayNano::new(
            self.months as i32,
            self.days as i32,
            self.micros * NANOS_PER_MICRO,
        )
    }
}

/// Whole days of the time part moved into the days, the signs of both made to agree.
pub fn justify_hours(mut s: Span) -> Span {
    let whole_days = s.micros / MICROS_PER_DAY;
    s.micros -= whole_days * MICROS_PER_DAY;
    s.days += whole_days;
    if s.days > 0 && s.micros < 0 {
        s.micros += MICROS_PER_DAY;
        s.days -= 1;
    } else if s.days < 0 && s.micros > 0 {
        s.micros -= MICROS_PER_DAY;
        s.days += 1;
    }
    s
}

/// Every 30 days moved into a month, the signs of both made to agree.
pub fn justify_days(mut s: Span) -> Span {
    let whole_months = s.days / DAYS_PER_MONTH;
    s.days -= whole_months * DAYS_PER_MONTH;
    s.months += whole_months;
    if s.months > 0 && s.days < 0 {
        s.days += DAYS_PER_MONTH;
        s.months -= 1;
    } else if s.months < 0 && s.days > 0 {
        s.days -= DAYS_PER_MONTH;
        s.months += 1;
    }
    s
}

/// Both justifications, with the signs of all three parts made to agree.
pub fn justify_interval(mut s: Span) -> Span {
    if (s.days > 0 && s.micros > 0) || (s.days < 0 && s.micros < 0) {
        let whole_months = s.days / DAYS_PER_MONTH;
        s.days -= whole_months * DAYS_PER_MONTH;
        s.months += whole_months;
    }
    let whole_days = s.micros / MICROS_PER_DAY;
    s.micros -= whole_days * MICROS_PER_DAY;
    s.days += whole_days;
    let whole_months = s.days / DAYS_PER_MONTH;
    s.days -= whole_months * DAYS_PER_MONTH;
    s.months += whole_months;
    if s.months > 0 && (s.days < 0 || (s.days == 0 && s.micros < 0)) {
        s.days += DAYS_PER_MONTH;
        s.months -= 1;
    } else if s.months < 0 && (s.days > 0 || (s.days == 0 && s.micros > 0)) {
        s.days -= DAYS_PER_MONTH;
        s.months += 1;
    }
    if s.days > 0 && s.micros < 0 {
        s.micros += MICROS_PER_DAY;
        s.days -= 1;
    } else if s.days < 0 && s.micros > 0 {
        s.micros -= MICROS_PER_DAY;
        s.days += 1;
    }
    s
}

/// A timestamp's calendar fields: year, month, day, microseconds of the day.
fn civil(micros: i64) -> (i64, i64, i64, i64) {
    let (y, m, d) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
    (
        y,
        i64::from(m),
        i64::from(d),
        micros.rem_euclid(MICROS_PER_DAY),
    )
}

/// `a - b` in years, months, days and time, as PostgreSQL's `age` subtracts fields and
/// borrows from the larger ones (a month borrowed is as long as the earlier timestamp's
/// month).
pub fn age(a: i64, b: i64) -> Span {
    let (later, earlier) = if a < b { (b, a) } else { (a, b) };
    let (y1, m1, d1, t1) = civil(later);
    let (y2, m2, d2, t2) = civil(earlier);
    let mut time = t1 - t2;
    let mut day = d1 - d2;
    let mut month = m1 - m2;
    let mut year = y1 - y2;
    if time < 0 {
        time += MICROS_PER_DAY;
        day -= 1;
    }
    while day < 0 {
        day += i64::from(days_in_month(y2, m2 as u32));
        month -= 1;
    }
    while month < 0 {
        month += 12;
        year -= 1;
    }
    let span = Span {
        months: year * 12 + month,
        days: day,
        micros: time,
    };
    if a < b {
        Span {
            months: -span.months,
            days: -span.days,
            micros: -span.micros,
        }
    } else {
        span
    }
}

fn today_micros() -> i64 {
    let now = Utc::now();
    days_from_civil(i64::from(now.year()), now.month(), now.day()) * MICROS_PER_DAY
}

impl ScalarUDFImpl for IntervalFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::JustifyHours => "justify_hours",
            Kind::JustifyDays => "justify_days",
            Kind::JustifyInterval => "justify_interval",
            Kind::Age => "age",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match (self.kind, arg_types.len()) {
            (Kind::Age, 1 | 2) => Ok(vec![MICROS; arg_types.len()]),
            (Kind::Age, _) => plan_err!("function age() takes one or two timestamps"),
            (_, 1) => Ok(vec![INTERVAL]),
            _ => plan_err!("function {}() takes one interval", self.name()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(INTERVAL)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let out: IntervalMonthDayNanoArray = match self.kind {
            Kind::Age => {
                let stamps = (0..args.args.len())
                    .map(|i| cast(&argument(&args, i, &MICROS)?, &DataType::Int64))
                    .collect::<Result<Vec<ArrayRef>, _>>()?;
                let today = today_micros();
                let rows = args.number_rows.max(1);
                (0..rows)
                    .map(|row| {
                        let value = |i: usize| {
                            let a = stamps[i].as_primitive::<Int64Type>();
                            (!a.is_null(row)).then(|| a.value(row))
                        };
                        let (a, b) = match stamps.len() {
                            1 => (Some(today), value(0)),
                            _ => (value(0), value(1)),
                        };
                        Some(age(a?, b?).arrow())
                    })
                    .collect()
            }
            kind => {
                let spans = argument(&args, 0, &INTERVAL)?;
                spans
                    .as_primitive::<IntervalMonthDayNanoType>()
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            let span = Span::of(v);
                            match kind {
                                Kind::JustifyHours => justify_hours(span),
                                Kind::JustifyDays => justify_days(span),
                                _ => justify_interval(span),
                            }
                            .arrow()
                        })
                    })
                    .collect()
            }
        };
        let out: ArrayRef = Arc::new(out);
        result(&args.args, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    fn span(months: i64, days: i64, micros: i64) -> Span {
        Span {
            months,
            days,
            micros,
        }
    }

    fn at(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * MICROS_PER_DAY
    }

    /// PostgreSQL 15's answers.
    #[test]
    fn justify_and_age_as_postgresql() {
        assert_eq!(justify_hours(span(0, 0, 50 * HOUR)), span(0, 2, 2 * HOUR));
        assert_eq!(justify_days(span(0, 35, 0)), span(1, 5, 0));
        assert_eq!(justify_interval(span(1, -1, HOUR)), span(0, 29, HOUR));
        // age('2024-03-15', '2020-01-01') = 4 years 2 mons 14 days
        assert_eq!(age(at(2024, 3, 15), at(2020, 1, 1)), span(50, 14, 0));
        // age('2024-03-01', '2024-01-31') = 1 mon 1 day
        assert_eq!(age(at(2024, 3, 1), at(2024, 1, 31)), span(1, 1, 0));
        assert_eq!(age(at(2020, 1, 1), at(2024, 3, 15)), span(-50, -14, 0));
    }
}
