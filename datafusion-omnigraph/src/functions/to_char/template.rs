//! PostgreSQL's `to_char` template patterns for dates and timestamps (`YYYY-MM-DD`,
//! `HH24:MI:SS.MS`, `FMMonth`, `"text"`, ...), where DataFusion's `to_char` reads chrono's
//! `%Y-%m-%d` and copies PostgreSQL's patterns through unchanged.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// One template pattern; each case of a name (`MON`, `Mon`, `mon`) is its own entry.
#[derive(Clone, Copy)]
pub(super) enum Pattern {
    Year4,
    Year3,
    Year2,
    Year1,
    Month,
    MonthName(Case),
    MonthAbbrev(Case),
    DayOfMonth,
    DayOfYear,
    DayOfWeek,
    DayName(Case),
    DayAbbrev(Case),
    Hour12,
    Hour24,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Meridiem { upper: bool, dotted: bool },
    Zone { upper: bool },
    IsoYear,
    IsoWeek,
    IsoDayOfWeek,
    IsoDayOfYear,
    WeekOfYear,
    WeekOfMonth,
    Quarter,
    Century,
    JulianDay,
    SecondsOfDay,
}

#[derive(Clone, Copy)]
pub(super) enum Case {
    Upper,
    Capitalized,
    Lower,
}

/// The patterns, longest first where one begins another (`HH24` before `HH`, `DDD`
/// before `DD` and `D`, `MONTH` before `MON`), as PostgreSQL matches them.
pub(super) const PATTERNS: &[(&str, Pattern)] = &[
    ("IYYY", Pattern::IsoYear),
    ("iyyy", Pattern::IsoYear),
    ("IDDD", Pattern::IsoDayOfYear),
    ("iddd", Pattern::IsoDayOfYear),
    ("ID", Pattern::IsoDayOfWeek),
    ("id", Pattern::IsoDayOfWeek),
    ("IW", Pattern::IsoWeek),
    ("iw", Pattern::IsoWeek),
    ("WW", Pattern::WeekOfYear),
    ("ww", Pattern::WeekOfYear),
    ("W", Pattern::WeekOfMonth),
    ("w", Pattern::WeekOfMonth),
    ("Q", Pattern::Quarter),
    ("q", Pattern::Quarter),
    ("CC", Pattern::Century),
    ("cc", Pattern::Century),
    ("J", Pattern::JulianDay),
    ("j", Pattern::JulianDay),
    ("SSSS", Pattern::SecondsOfDay),
    ("ssss", Pattern::SecondsOfDay),
    ("YYYY", Pattern::Year4),
    ("yyyy", Pattern::Year4),
    ("YYY", Pattern::Year3),
    ("yyy", Pattern::Year3),
    ("YY", Pattern::Year2),
    ("yy", Pattern::Year2),
    ("Y", Pattern::Year1),
    ("y", Pattern::Year1),
    ("MONTH", Pattern::MonthName(Case::Upper)),
    ("Month", Pattern::MonthName(Case::Capitalized)),
    ("month", Pattern::MonthName(Case::Lower)),
    ("MON", Pattern::MonthAbbrev(Case::Upper)),
    ("Mon", Pattern::MonthAbbrev(Case::Capitalized)),
    ("mon", Pattern::MonthAbbrev(Case::Lower)),
    ("MM", Pattern::Month),
    ("mm", Pattern::Month),
    ("MS", Pattern::Millisecond),
    ("ms", Pattern::Millisecond),
    ("MI", Pattern::Minute),
    ("mi", Pattern::Minute),
    ("DAY", Pattern::DayName(Case::Upper)),
    ("Day", Pattern::DayName(Case::Capitalized)),
    ("day", Pattern::DayName(Case::Lower)),
    ("DY", Pattern::DayAbbrev(Case::Upper)),
    ("Dy", Pattern::DayAbbrev(Case::Capitalized)),
    ("dy", Pattern::DayAbbrev(Case::Lower)),
    ("DDD", Pattern::DayOfYear),
    ("ddd", Pattern::DayOfYear),
    ("DD", Pattern::DayOfMonth),
    ("dd", Pattern::DayOfMonth),
    ("D", Pattern::DayOfWeek),
    ("d", Pattern::DayOfWeek),
    ("HH24", Pattern::Hour24),
    ("hh24", Pattern::Hour24),
    ("HH12", Pattern::Hour12),
    ("hh12", Pattern::Hour12),
    ("HH", Pattern::Hour12),
    ("hh", Pattern::Hour12),
    ("SS", Pattern::Second),
    ("ss", Pattern::Second),
    ("US", Pattern::Microsecond),
    ("us", Pattern::Microsecond),
    (
        "A.M.",
        Pattern::Meridiem {
            upper: true,
            dotted: true,
        },
    ),
    (
        "a.m.",
        Pattern::Meridiem {
            upper: false,
            dotted: true,
        },
    ),
    (
        "P.M.",
        Pattern::Meridiem {
            upper: true,
            dotted: true,
        },
    ),
    (
        "p.m.",
        Pattern::Meridiem {
            upper: false,
            dotted: true,
        },
    ),
    (
        "AM",
        Pattern::Meridiem {
            upper: true,
            dotted: false,
        },
    ),
    (
        "am",
        Pattern::Meridiem {
            upper: false,
            dotted: false,
        },
    ),
    (
        "PM",
        Pattern::Meridiem {
            upper: true,
            dotted: false,
        },
    ),
    (
        "pm",
        Pattern::Meridiem {
            upper: false,
            dotted: false,
        },
    ),
    ("TZ", Pattern::Zone { upper: true }),
    ("tz", Pattern::Zone { upper: false }),
];

pub(super) const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
pub(super) const DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
/// Names are blank-padded to the longest (`September`, `Wednesday`) unless `FM`.
const NAME_WIDTH: usize = 9;

/// `at` formatted by the PostgreSQL template `template`; `zone` is the time zone's
/// abbreviation (`None` for a timestamp without time zone: `TZ` writes nothing).
pub fn format(at: NaiveDateTime, zone: Option<&str>, template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        let (fill_mode, after_fm) = match rest.strip_prefix("FM").or(rest.strip_prefix("fm")) {
            Some(after) => (true, after),
            None => (false, rest),
        };
        if let Some((name, pattern)) = PATTERNS.iter().find(|(name, _)| after_fm.starts_with(name))
        {
            out.push_str(&field(at, zone, *pattern, fill_mode));
            rest = &after_fm[name.len()..];
            continue;
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            rest = literal(quoted, &mut out);
            continue;
        }
        if let Some(escaped) = rest.strip_prefix('\\').and_then(|r| r.chars().next()) {
            out.push(escaped);
            rest = &rest[1 + escaped.len_utf8()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Copies a `"quoted"` literal (`\"` is a quote inside it); returns what follows it.
fn literal<'a>(mut quoted: &'a str, out: &mut String) -> &'a str {
    while let Some(c) = quoted.chars().next() {
        quoted = &quoted[c.len_utf8()..];
        match c {
            '"' => return quoted,
            '\\' if quoted.starts_with('"') => {
                out.push('"');
                quoted = &quoted[1..];
            }
            c => out.push(c),
        }
    }
    quoted
}

fn field(at: NaiveDateTime, zone: Option<&str>, pattern: Pattern, fill_mode: bool) -> String {
    let number = |value: i64, width: usize| match fill_mode {
        true => value.to_string(),
        false => format!("{value:0width$}"),
    };
    let name = |name: &str, case: Case| {
        let cased = match case {
            Case::Upper => name.to_uppercase(),
            Case::Lower => name.to_string(),
            Case::Capitalized => name[..1].to_uppercase() + &name[1..],
        };
        match fill_mode {
            true => cased,
            false => format!("{cased:<NAME_WIDTH$}"),
        }
    };
    let abbreviated = |name: &str, case: Case| match case {
        Case::Upper => name[..3].to_uppercase(),
        Case::Lower => name[..3].to_string(),
        Case::Capitalized => name[..1].to_uppercase() + &name[1..3],
    };
    let year = i64::from(at.year());
    let month = at.month0() as usize;
    let weekday = at.weekday().num_days_from_sunday() as usize;
    let hour12 = match at.hour() % 12 {
        0 => 12,
        h => h,
    };
    match pattern {
        Pattern::Year4 => number(year, 4),
        Pattern::Year3 => number(year % 1000, 3),
        Pattern::Year2 => number(year % 100, 2),
        Pattern::Year1 => number(year % 10, 1),
        Pattern::Month => number(month as i64 + 1, 2),
        Pattern::MonthName(case) => name(MONTHS[month], case),
        Pattern::MonthAbbrev(case) => abbreviated(MONTHS[month], case),
        Pattern::DayOfMonth => number(at.day().into(), 2),
        Pattern::DayOfYear => number(at.ordinal().into(), 3),
        Pattern::DayOfWeek => (weekday + 1).to_string(),
        Pattern::DayName(case) => name(DAYS[weekday], case),
        Pattern::DayAbbrev(case) => abbreviated(DAYS[weekday], case),
        Pattern::Hour12 => number(hour12.into(), 2),
        Pattern::Hour24 => number(at.hour().into(), 2),
        Pattern::Minute => number(at.minute().into(), 2),
        Pattern::Second => number(at.second().into(), 2),
        Pattern::Millisecond => number((at.nanosecond() / 1_000_000).into(), 3),
        Pattern::Microsecond => number((at.nanosecond() / 1_000).into(), 6),
        Pattern::Meridiem { upper, dotted } => {
            let text = match (at.hour() < 12, dotted) {
                (true, false) => "am",
                (false, false) => "pm",
                (true, true) => "a.m.",
                (false, true) => "p.m.",
            };
            match upper {
                true => text.to_uppercase(),
                false => text.to_string(),
            }
        }
        Pattern::IsoYear => number(at.iso_week().year().into(), 4),
        Pattern::IsoWeek => number(at.iso_week().week().into(), 2),
        Pattern::IsoDayOfWeek => at.weekday().number_from_monday().to_string(),
        Pattern::IsoDayOfYear => {
            let week = i64::from(at.iso_week().week());
            let day = i64::from(at.weekday().number_from_monday());
            number((week - 1) * 7 + day, 3)
        }
        Pattern::WeekOfYear => number(i64::from(at.ordinal0() / 7 + 1), 2),
        Pattern::WeekOfMonth => (at.day0() / 7 + 1).to_string(),
        Pattern::Quarter => (month / 3 + 1).to_string(),
        Pattern::Century => {
            let century = match year > 0 {
                true => (year + 99) / 100,
                false => -((99 - year) / 100),
            };
            number(century, 2)
        }
        // Days since 4714-11-24 BC (proleptic Gregorian), the Julian day number.
        Pattern::JulianDay => (i64::from(at.date().num_days_from_ce()) + 1_721_425).to_string(),
        Pattern::SecondsOfDay => at.num_seconds_from_midnight().to_string(),
        Pattern::Zone { upper } => match (zone, upper) {
            (None, _) => String::new(),
            (Some(zone), true) => zone.to_uppercase(),
            (Some(zone), false) => zone.to_lowercase(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    /// Each expected text is PostgreSQL 15's answer (psql, `TimeZone` UTC).
    #[test]
    fn templates_format_as_postgresql_formats_them() {
        let afternoon = at("2024-03-05 14:07:09.123456");
        assert_eq!(
            format(afternoon, None, "YYYY-MM-DD HH24:MI:SS.MS US"),
            "2024-03-05 14:07:09.123 123456"
        );
        let morning = at("2024-03-05 04:07:09.0");
        assert_eq!(
            format(
                morning,
                None,
                "YY Y YYY MON Mon mon Month| MONTH| FMMonth| DD D DDD HH HH12 am PM A.M. Day| \
                 DY Dy FMDD FMHH12 \"quoted YYYY\" TZ|"
            ),
            "24 4 024 MAR Mar mar March    | MARCH    | March| 05 3 065 04 04 am AM A.M. \
             Tuesday  | TUE Tue 5 4 quoted YYYY |"
        );
        assert_eq!(
            format(at("2024-12-31 00:00:00.0"), None, "YYYY-MM-DD DDD D"),
            "2024-12-31 366 3"
        );
        assert_eq!(
            format(at("2024-03-05 00:07:09.0"), Some("UTC"), "HH12:MI AM TZ tz"),
            "12:07 AM UTC utc"
        );
        assert_eq!(
            format(at("0005-01-02 00:00:00.0"), None, "YYYY FMYYYY FMMM/FMDD"),
            "0005 5 1/2"
        );
    }

    /// Quarters, ISO and plain weeks, centuries, Julian days (PostgreSQL 15's answers).
    #[test]
    fn week_and_quarter_patterns_format_as_postgresql_formats_them() {
        assert_eq!(
            format(
                at("2024-03-05 00:00:00"),
                None,
                "Q IW IYYY ID IDDD WW W CC J SSSS"
            ),
            "1 10 2024 2 065 10 1 21 2460375 0"
        );
        assert_eq!(
            format(
                at("2021-01-01 00:00:00"),
                None,
                "Q IW IYYY ID IDDD WW W CC J"
            ),
            "1 53 2020 5 369 01 1 21 2459216"
        );
        assert_eq!(
            format(at("2024-03-05 14:07:09"), None, "SSSS FMIW FMCC"),
            "50829 10 21"
        );
    }
}
