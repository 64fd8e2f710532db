//! The fields `extract` and `date_part` read from dates, timestamps, times and
//! intervals, computed as PostgreSQL computes them: each as an integer scaled by the
//! field's number of decimal places (`second` is microseconds with six places, so
//! `extract` keeps the fraction PostgreSQL keeps).

use super::calendar::{MICROS_PER_DAY, MICROS_PER_SECOND, civil_from_days, days_from_civil};
use super::error::DatetimeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Millennium,
    Century,
    Decade,
    Year,
    IsoYear,
    Quarter,
    Month,
    Week,
    Day,
    DayOfWeek,
    IsoDayOfWeek,
    DayOfYear,
    Hour,
    Minute,
    Second,
    Milliseconds,
    Microseconds,
    Epoch,
    Julian,
    Timezone,
    TimezoneHour,
    TimezoneMinute,
}

/// PostgreSQL's names of each unit, with their plurals and abbreviations.
const UNIT_NAMES: &[(Unit, &[&str])] = &[
    (
        Unit::Millennium,
        &["millennium", "millennia", "mil", "mils", "millenniums"],
    ),
    (
        Unit::Century,
        &["century", "centuries", "c", "cent", "cents"],
    ),
    (Unit::Decade, &["decade", "decades", "dec", "decs"]),
    (Unit::Year, &["year", "years", "y", "yr", "yrs"]),
    (Unit::IsoYear, &["isoyear"]),
    (Unit::Quarter, &["quarter", "qtr"]),
    (Unit::Month, &["month", "months", "mon", "mons"]),
    (Unit::Week, &["week", "weeks", "w"]),
    (Unit::Day, &["day", "days", "d"]),
    (Unit::DayOfWeek, &["dow"]),
    (Unit::IsoDayOfWeek, &["isodow"]),
    (Unit::DayOfYear, &["doy"]),
    (Unit::Hour, &["hour", "hours", "h", "hr", "hrs"]),
    (Unit::Minute, &["minute", "minutes", "m", "min", "mins"]),
    (Unit::Second, &["second", "seconds", "s", "sec", "secs"]),
    (
        Unit::Milliseconds,
        &[
            "millisecond",
            "milliseconds",
            "ms",
            "msec",
            "msecs",
            "msecond",
            "mseconds",
        ],
    ),
    (
        Unit::Microseconds,
        &[
            "microsecond",
            "microseconds",
            "us",
            "usec",
            "usecs",
            "usecond",
            "useconds",
        ],
    ),
    (Unit::Epoch, &["epoch"]),
    (Unit::Julian, &["julian", "j"]),
    (Unit::Timezone, &["timezone"]),
    (Unit::TimezoneHour, &["timezone_h", "timezone_hour"]),
    (Unit::TimezoneMinute, &["timezone_m", "timezone_minute"]),
];

/// What a field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Date,
    Timestamp { zoned: bool },
    Time,
    Interval,
}

impl Source {
    fn type_name(self) -> &'static str {
        match self {
            Source::Date => "date",
            Source::Timestamp { zoned: true } => "timestamp with time zone",
            Source::Timestamp { zoned: false } => "timestamp without time zone",
            Source::Time => "time without time zone",
            Source::Interval => "interval",
        }
    }
}

/// The unit `name` spells for `source`: 22023 for a name PostgreSQL does not know,
/// 0A000 for a unit `source` has not.
pub fn unit(name: &str, source: Source) -> Result<Unit, DatetimeError> {
    let lower = name.trim().to_ascii_lowercase();
    let found = UNIT_NAMES
        .iter()
        .find(|(_, names)| names.contains(&lower.as_str()))
        .map(|(unit, _)| *unit)
        .ok_or_else(|| DatetimeError::UnitNotRecognized {
            unit: lower.clone(),
            type_name: source.type_name().to_string(),
        })?;
    use Unit::*;
    let supported = match source {
        Source::Date => !matches!(
            found,
            Hour | Minute
                | Second
                | Milliseconds
                | Microseconds
                | Timezone
                | TimezoneHour
                | TimezoneMinute
        ),
        Source::Timestamp { zoned } => {
            zoned || !matches!(found, Timezone | TimezoneHour | TimezoneMinute)
        }
        Source::Time => matches!(
            found,
            Hour | Minute | Second | Milliseconds | Microseconds | Epoch
        ),
        Source::Interval => !matches!(
            found,
            Week | DayOfWeek
                | IsoDayOfWeek
                | DayOfYear
                | IsoYear
                | Julian
                | Timezone
                | TimezoneHour
                | TimezoneMinute
        ),
    };
    if !supported {
        return Err(DatetimeError::NotSupported(format!(
            "unit \"{lower}\" not supported for type {}",
            source.type_name()
        )));
    }
    Ok(found)
}

/// The decimal places of `unit`'s value read from `source` (`extract` answers a
/// `numeric` of this scale).
pub fn scale(unit: Unit, source: Source) -> i8 {
    match (unit, source) {
        (Unit::Epoch, Source::Date) => 0,
        (Unit::Second | Unit::Epoch, _) => 6,
        (Unit::Milliseconds, _) => 3,
        _ => 0,
    }
}

/// A value fields are read from.
#[derive(Debug, Clone, Copy)]
pub enum Value {
    /// A date or timestamp: microseconds since 1970-01-01 00:00 (in UTC when zoned).
    Stamp(i64),
    /// A time of day in microseconds.
    Time(i64),
    Interval {
        months: i64,
        days: i64,
        micros: i64,
    },
}

/// `unit` of `value`, scaled by [`scale`]`(unit, source)`.
pub fn field(unit: Unit, source: Source, value: Value) -> i128 {
    let scaled = match value {
        Value::Stamp(micros) => stamp_field(unit, source, micros),
        Value::Time(micros) => time_field(unit, micros),
        Value::Interval {
            months,
            days,
            micros,
        } => interval_field(unit, months, days, micros),
    };
    i128::from(scaled)
}

fn second_fields(unit: Unit, micros_of_minute: i64) -> Option<i64> {
    match unit {
        Unit::Second | Unit::Milliseconds | Unit::Microseconds => Some(micros_of_minute),
        _ => None,
    }
}

fn year_fields(unit: Unit, year: i64) -> Option<i64> {
    Some(match unit {
        Unit::Year => year,
        Unit::Decade if year >= 0 => year / 10,
        Unit::Decade => -((8 - (year - 1)) / 10),
        Unit::Century if year > 0 => (year + 99) / 100,
        Unit::Century => -((99 - (year - 1)) / 100),
        Unit::Millennium if year > 0 => (year + 999) / 1000,
        Unit::Millennium => -((999 - (year - 1)) / 1000),
        _ => return None,
    })
}

fn stamp_field(unit: Unit, source: Source, micros: i64) -> i64 {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1 BC is year 0 in the proleptic calendar; PostgreSQL's fields count it as -1.
    let pg_year = if year <= 0 { year - 1 } else { year };
    if let Some(v) = second_fields(unit, of_day % 60_000_000) {
        return v;
    }
    let calendar_year = if matches!(unit, Unit::Year) {
        pg_year
    } else {
        year
    };
    if let Some(v) = year_fields(unit, calendar_year) {
        return v;
    }
    let dow = (days + 4).rem_euclid(7);
    let isodow = if dow == 0 { 7 } else { dow };
    let iso_thursday = days - isodow + 4;
    let iso_year = civil_from_days(iso_thursday).0;
    match unit {
        Unit::IsoYear => iso_year,
        Unit::Quarter => (i64::from(month) - 1) / 3 + 1,
        Unit::Month => i64::from(month),
        Unit::Week => (iso_thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1,
        Unit::Day => i64::from(day),
        Unit::DayOfWeek => dow,
        Unit::IsoDayOfWeek => isodow,
        Unit::DayOfYear => days - days_from_civil(year, 1, 1) + 1,
        Unit::Hour => of_day / 3_600_000_000,
        Unit::Minute => of_day / 60_000_000 % 60,
        Unit::Epoch if source == Source::Date => days * 86_400,
        Unit::Epoch => micros,
        Unit::Julian => days + 2_440_588,
        _ => 0,
    }
}

fn time_field(unit: Unit, micros: i64) -> i64 {
    if let Some(v) = second_fields(unit, micros % 60_000_000) {
        return v;
    }
    match unit {
        Unit::Hour => micros / 3_600_000_000,
        Unit::Minute => micros / 60_000_000 % 60,
        _ => micros,
    }
}

fn interval_field(unit: Unit, months: i64, days: i64, micros: i64) -> i64 {
    if let Some(v) = second_fields(unit, micros % 60_000_000) {
        return v;
    }
    if let Some(v) = year_fields(unit, months / 12).filter(|_| unit != Unit::Year) {
        // An interval's decade, century and millennium truncate its years.
        return match unit {
            Unit::Decade => months / 12 / 10,
            Unit::Century => months / 12 / 100,
            Unit::Millennium => months / 12 / 1000,
            _ => v,
        };
    }
    match unit {
        Unit::Year => months / 12,
        Unit::Quarter => (months % 12) / 3 + 1,
        Unit::Month => months % 12,
        Unit::Day => days,
        Unit::Hour => micros / 3_600_000_000,
        Unit::Minute => micros / 60_000_000 % 60,
        // 365.25 days a year, 30 days a month, as PostgreSQL's interval epoch counts.
        _ => {
            let seconds = 31_557_600 * (months / 12) + 2_592_000 * (months % 12) + 86_400 * days;
            seconds * MICROS_PER_SECOND + micros
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(y: i64, m: u32, d: u32, micros_of_day: i64) -> Value {
        Value::Stamp(days_from_civil(y, m, d) * MICROS_PER_DAY + micros_of_day)
    }

    #[test]
    fn fields_as_postgres_reads_them() {
        let ts = Source::Timestamp { zoned: false };
        let v = stamp(2024, 1, 1, 1_500_000);
        assert_eq!(field(Unit::Second, ts, v), 1_500_000);
        assert_eq!(scale(Unit::Second, ts), 6);
        assert_eq!(
            field(Unit::Epoch, ts, stamp(2024, 1, 1, 0)),
            1_704_067_200_000_000
        );
        let date = stamp(2024, 3, 15, 0);
        assert_eq!(field(Unit::DayOfWeek, Source::Date, date), 5);
        assert_eq!(field(Unit::DayOfYear, Source::Date, date), 75);
        assert_eq!(field(Unit::Week, Source::Date, stamp(2024, 1, 1, 0)), 1);
        assert_eq!(field(Unit::Week, Source::Date, stamp(2021, 1, 1, 0)), 53);
        assert_eq!(
            field(Unit::IsoYear, Source::Date, stamp(2021, 1, 1, 0)),
            2020
        );
        assert_eq!(field(Unit::Quarter, Source::Date, stamp(2024, 8, 1, 0)), 3);
        assert_eq!(field(Unit::Century, Source::Date, stamp(2000, 1, 1, 0)), 20);
        assert_eq!(field(Unit::Century, Source::Date, stamp(2001, 1, 1, 0)), 21);
        let iv = Value::Interval {
            months: 0,
            days: 1,
            micros: 3_600_000_000,
        };
        assert_eq!(field(Unit::Epoch, Source::Interval, iv), 90_000_000_000);
        assert!(matches!(
            unit("fortnight", Source::Date),
            Err(DatetimeError::UnitNotRecognized { .. })
        ));
        assert!(matches!(
            unit("hour", Source::Date),
            Err(DatetimeError::NotSupported(_))
        ));
    }
}
