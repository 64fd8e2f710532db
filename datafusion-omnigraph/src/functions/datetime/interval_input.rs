//! Text read as an `interval` the way PostgreSQL reads it (`IntervalStyle = postgres`):
//! `1 year 2 months 3 days 04:05:06`, `-1 days +01:00:00` (what it writes), `1.5 days`,
//! `@ 2 hours ago`, a bare number of seconds. Arrow's parser refuses the time field and
//! `ago`, and carries fractions differently.

use datafusion::arrow::datatypes::IntervalMonthDayNano;

use super::calendar::{MICROS_PER_DAY, MICROS_PER_SECOND, NANOS_PER_MICRO};
use super::error::DatetimeError;

/// The parts PostgreSQL keeps: months, days, microseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Parts {
    months: i64,
    days: i64,
    micros: i64,
}

#[derive(Clone, Copy)]
enum Unit {
    Micro,
    Milli,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
    Century,
    Millennium,
}

fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micro,
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => Unit::Milli,
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Second,
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Minute,
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Hour,
        "day" | "days" | "d" => Unit::Day,
        "week" | "weeks" | "w" => Unit::Week,
        "month" | "months" | "mon" | "mons" => Unit::Month,
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Year,
        "decade" | "decades" | "dec" | "decs" => Unit::Decade,
        "century" | "centuries" | "c" | "cent" => Unit::Century,
        "millennium" | "millennia" | "mil" | "mils" => Unit::Millennium,
        _ => return None,
    })
}

fn round(v: f64) -> i64 {
    v.round_ties_even() as i64
}

/// Adds `value` of `unit`, its fraction carried down as PostgreSQL carries it (a month's
/// fraction to days of 30, a day's to time).
fn add(parts: &mut Parts, value: f64, unit: Unit) {
    let whole = value.trunc();
    let fraction = value - whole;
    let spill_days = |parts: &mut Parts, days: f64| {
        parts.days += days.trunc() as i64;
        parts.micros += round(days.fract() * MICROS_PER_DAY as f64);
    };
    match unit {
        Unit::Micro => parts.micros += round(value),
        Unit::Milli => parts.micros += round(value * 1e3),
        Unit::Second => parts.micros += round(value * 1e6),
        Unit::Minute => parts.micros += round(value * 60e6),
        Unit::Hour => parts.micros += round(value * 3600e6),
        Unit::Day => spill_days(parts, value),
        Unit::Week => spill_days(parts, value * 7.0),
        Unit::Month => {
            parts.months += whole as i64;
            spill_days(parts, fraction * 30.0);
        }
        Unit::Year | Unit::Decade | Unit::Century | Unit::Millennium => {
            let years = match unit {
                Unit::Year => 1,
                Unit::Decade => 10,
                Unit::Century => 100,
                _ => 1000,
            };
            parts.months += whole as i64 * 12 * years + round(fraction * 12.0 * years as f64);
        }
    }
}

/// `[+-]h:m[:s[.f]]` as microseconds, or `None` when `token` is no time field.
fn time_field(token: &str) -> Option<i64> {
    let (sign, body) = match token.as_bytes().first()? {
        b'-' => (-1, &token[1..]),
        b'+' => (1, &token[1..]),
        _ => (1, token),
    };
    let mut fields = body.split(':');
    let hours: i64 = fields.next()?.parse().ok()?;
    let minutes: i64 = fields.next()?.parse().ok()?;
    let seconds: f64 = match fields.next() {
        Some(s) => s.parse().ok()?,
        None => 0.0,
    };
    if fields.next().is_some() || !(0..60).contains(&minutes) || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    Some(sign * ((hours * 60 + minutes) * 60 * MICROS_PER_SECOND + round(seconds * 1e6)))
}

/// Reads `text` as PostgreSQL reads an interval.
pub fn parse_interval(text: &str) -> Result<IntervalMonthDayNano, DatetimeError> {
    let invalid = || DatetimeError::InvalidFormat {
        type_name: "interval",
        value: text.to_string(),
    };
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix('@').unwrap_or(&lower);
    // `1day` and `2hours` are a number and a unit.
    let mut words: Vec<String> = Vec::new();
    for word in lower.split_whitespace() {
        let split = word
            .find(|c: char| c.is_ascii_alphabetic())
            .filter(|&i| i > 0 && !word.contains(':'));
        match split {
            Some(i) => {
                words.push(word[..i].to_string());
                words.push(word[i..].to_string());
            }
            None => words.push(word.to_string()),
        }
    }
    let mut parts = Parts::default();
    let mut ago = false;
    let mut seen = false;
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        i += 1;
        if word == "ago" && i == words.len() {
            ago = true;
            continue;
        }
        if word.contains(':') {
            parts.micros += time_field(word).ok_or_else(invalid)?;
            seen = true;
            continue;
        }
        let value: f64 = word.parse().map_err(|_| invalid())?;
        if !value.is_finite() {
            return Err(invalid());
        }
        let unit = match words.get(i).and_then(|w| unit(w)) {
            Some(unit) => {
                i += 1;
                unit
            }
            None => Unit::Second,
        };
        add(&mut parts, value, unit);
        seen = true;
    }
    if !seen {
        return Err(invalid());
    }
    if ago {
        parts = Parts {
            months: -parts.months,
            days: -parts.days,
            micros: -parts.micros,
        };
    }
    let (Ok(months), Ok(days)) = (i32::try_from(parts.months), i32::try_from(parts.days)) else {
        return Err(DatetimeError::FieldOverflow(format!(
            "interval field value out of range: \"{text}\""
        )));
    };
    let nanos = parts.micros.checked_mul(NANOS_PER_MICRO).ok_or_else(|| {
        DatetimeError::FieldOverflow(format!("interval field value out of range: \"{text}\""))
    })?;
    Ok(IntervalMonthDayNano::new(months, days, nanos))
}

/// `interval` in words Arrow's interval parser reads back exactly.
pub fn arrow_text(interval: IntervalMonthDayNano) -> String {
    format!(
        "{} months {} days {} nanoseconds",
        interval.months, interval.days, interval.nanoseconds
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    #[test]
    fn postgres_interval_texts() {
        let iv = |m, d, n| IntervalMonthDayNano::new(m, d, n);
        let second = 1_000_000_000;
        assert_eq!(
            parse_interval("1 year 2 months 3 days 04:05:06").unwrap(),
            iv(14, 3, 4 * HOUR + 5 * 60 * second + 6 * second)
        );
        assert_eq!(
            parse_interval("-1 days +01:00:00").unwrap(),
            iv(0, -1, HOUR)
        );
        assert_eq!(parse_interval("1.5 days").unwrap(), iv(0, 1, 12 * HOUR));
        assert_eq!(parse_interval("1.5 months").unwrap(), iv(1, 15, 0));
        assert_eq!(
            parse_interval("@ 2 hours ago").unwrap(),
            iv(0, 0, -2 * HOUR)
        );
        assert_eq!(parse_interval("90").unwrap(), iv(0, 0, 90 * second));
        assert_eq!(parse_interval("1day").unwrap(), iv(0, 1, 0));
        assert!(matches!(
            parse_interval("soon"),
            Err(DatetimeError::InvalidFormat { .. })
        ));
    }
}
