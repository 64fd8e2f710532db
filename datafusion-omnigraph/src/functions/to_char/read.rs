//! Text read by a PostgreSQL template, for `to_date(text, template)` and
//! `to_timestamp(text, template)`: the patterns of [`super::template`] read their
//! fields (`DD Mon YYYY`, `YYYY-MM-DD HH24:MI:SS.US`, `HH12:MI AM`), a separator in the
//! template matches any one separator of the text, blanks are skipped. Fields left out
//! are the first of their kind (year 1, January, the 1st, midnight).

use super::template::{DAYS, MONTHS, PATTERNS, Pattern};
use crate::functions::datetime::DatetimeError;
use crate::functions::datetime::calendar::{MICROS_PER_SECOND, checked_days};
use crate::functions::datetime::input::DateTimeText;

#[derive(Default)]
struct Fields {
    year: Option<i64>,
    /// Digits of the year as written (`YY` 24 is 2024).
    year_digits: usize,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<i64>,
    hour: i64,
    twelve_hour: bool,
    pm: Option<bool>,
    minute: i64,
    second: i64,
    micros: i64,
    bc: bool,
}

/// `text` read by `template`.
pub fn read(text: &str, template: &str) -> Result<DateTimeText, DatetimeError> {
    let mut f = Fields::default();
    let mut input = text;
    let mut rest = template;
    while !rest.is_empty() {
        let after_fm = rest
            .strip_prefix("FM")
            .or(rest.strip_prefix("fm"))
            .unwrap_or(rest);
        if let Some((name, pattern)) = PATTERNS.iter().find(|(name, _)| after_fm.starts_with(name))
        {
            rest = &after_fm[name.len()..];
            let next_is_field = PATTERNS.iter().any(|(n, _)| rest.starts_with(n));
            input = input.trim_start();
            input = read_field(input, *pattern, name, next_is_field, &mut f)?;
            continue;
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            // A quoted literal skips as many characters of the text.
            let end = quoted.find('"').unwrap_or(quoted.len());
            let skip = quoted[..end].chars().count();
            input = input.get(char_offset(input, skip)..).unwrap_or("");
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        rest = &rest[c.len_utf8()..];
        if c.is_whitespace() {
            input = input.trim_start();
        } else if let Some(t) = input.chars().next()
            && !t.is_ascii_alphanumeric()
        {
            input = &input[t.len_utf8()..];
        }
    }
    checked(&f, text)
}

fn char_offset(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

fn invalid(value: &str, pattern: &str) -> DatetimeError {
    let shown: String = value.chars().take_while(|c| !c.is_whitespace()).collect();
    DatetimeError::TemplateMismatch(format!("invalid value \"{shown}\" for \"{pattern}\""))
}

/// Up to `width` digits (more, for a field not followed by another field), with a sign
/// for years.
fn number<'a>(
    input: &'a str,
    width: usize,
    greedy: bool,
    pattern: &str,
) -> Result<(i64, usize, &'a str), DatetimeError> {
    let (sign, digits_from) = match input.strip_prefix('-') {
        Some(after) => (-1, after),
        None => (1, input.strip_prefix('+').unwrap_or(input)),
    };
    let limit = if greedy { 9 } else { width };
    let count = digits_from
        .bytes()
        .take(limit)
        .take_while(u8::is_ascii_digit)
        .count();
    if count == 0 {
        return Err(invalid(input, pattern));
    }
    let value: i64 = digits_from[..count]
        .parse()
        .map_err(|_| invalid(input, pattern))?;
    Ok((sign * value, count, &digits_from[count..]))
}

/// The index of the name among `names` the text begins with (whole, or its first three
/// letters when `abbreviated`), and the text after it.
fn name<'a>(
    input: &'a str,
    names: &[&str],
    abbreviated: bool,
    pattern: &str,
) -> Result<(usize, &'a str), DatetimeError> {
    let lower = input.to_ascii_lowercase();
    for (i, n) in names.iter().enumerate() {
        let written = if abbreviated { &n[..3] } else { n };
        if lower.starts_with(written) {
            return Ok((i, &input[written.len()..]));
        }
    }
    Err(invalid(input, pattern))
}

fn read_field<'a>(
    input: &'a str,
    pattern: Pattern,
    pattern_name: &str,
    next_is_field: bool,
    f: &mut Fields,
) -> Result<&'a str, DatetimeError> {
    let greedy = !next_is_field;
    let int = |width: usize| number(input, width, greedy, pattern_name);
    Ok(match pattern {
        Pattern::Year4 | Pattern::IsoYear => {
            let (v, _, rest) = int(4)?;
            (f.year, f.year_digits) = (Some(v), 4);
            rest
        }
        Pattern::Year3 | Pattern::Year2 | Pattern::Year1 => {
            let width = match pattern {
                Pattern::Year3 => 3,
                Pattern::Year2 => 2,
                _ => 1,
            };
            let (v, digits, rest) = number(input, width, false, pattern_name)?;
            (f.year, f.year_digits) = (Some(v), digits);
            rest
        }
        Pattern::Month => {
            let (v, _, rest) = int(2)?;
            f.month = Some(u32::try_from(v).unwrap_or(0));
            rest
        }
        Pattern::MonthName(_) | Pattern::MonthAbbrev(_) => {
            let abbreviated = matches!(pattern, Pattern::MonthAbbrev(_));
            let (i, rest) = name(input, &MONTHS, abbreviated, pattern_name)?;
            f.month = Some(i as u32 + 1);
            rest
        }
        Pattern::DayName(_) | Pattern::DayAbbrev(_) => {
            let abbreviated = matches!(pattern, Pattern::DayAbbrev(_));
            name(input, &DAYS, abbreviated, pattern_name)?.1
        }
        Pattern::DayOfMonth => {
            let (v, _, rest) = int(2)?;
            f.day = Some(u32::try_from(v).unwrap_or(0));
            rest
        }
        Pattern::DayOfYear | Pattern::IsoDayOfYear => {
            let (v, _, rest) = int(3)?;
            f.day_of_year = Some(v);
            rest
        }
        Pattern::Hour24 | Pattern::Hour12 => {
            let (v, _, rest) = int(2)?;
            f.hour = v;
            f.twelve_hour = matches!(pattern, Pattern::Hour12);
            rest
        }
        Pattern::Minute => {
            let (v, _, rest) = int(2)?;
            f.minute = v;
            rest
        }
        Pattern::Second => {
            let (v, _, rest) = int(2)?;
            f.second = v;
            rest
        }
        Pattern::Millisecond | Pattern::Microsecond => {
            let width = if matches!(pattern, Pattern::Millisecond) {
                3
            } else {
                6
            };
            let (v, digits, rest) = int(width)?;
            // PostgreSQL reads the digits as a fraction of a second: `SS.MS` of `12.3`
            // is 300 milliseconds, not 3.
            f.micros = v * 10_i64.pow(6 - digits.min(6) as u32);
            rest
        }
        Pattern::Meridiem { dotted, .. } => {
            let lower = input.to_ascii_lowercase();
            let (am, pm) = if dotted {
                ("a.m.", "p.m.")
            } else {
                ("am", "pm")
            };
            if lower.starts_with(am) {
                f.pm = Some(false);
                &input[am.len()..]
            } else if lower.starts_with(pm) {
                f.pm = Some(true);
                &input[pm.len()..]
            } else {
                return Err(invalid(input, pattern_name));
            }
        }
        // Fields PostgreSQL reads but these dates do not need: read past their digits.
        Pattern::DayOfWeek
        | Pattern::IsoDayOfWeek
        | Pattern::IsoWeek
        | Pattern::WeekOfYear
        | Pattern::WeekOfMonth
        | Pattern::Quarter
        | Pattern::Century
        | Pattern::SecondsOfDay => int(2)?.2,
        Pattern::JulianDay => {
            let (v, _, rest) = number(input, 9, true, pattern_name)?;
            f.day_of_year = None;
            f.year = None;
            f.month = None;
            f.day = None;
            let days = v - 2_440_588;
            let (y, m, d) = crate::functions::datetime::calendar::civil_from_days(days);
            (f.year, f.month, f.day, f.year_digits) = (Some(y), Some(m), Some(d), 4);
            rest
        }
        Pattern::Zone { .. } => {
            return Err(DatetimeError::NotSupported(
                "formatting field \"TZ\" is only supported in to_char".to_string(),
            ));
        }
    })
}

fn checked(f: &Fields, text: &str) -> Result<DateTimeText, DatetimeError> {
    let overflow =
        || DatetimeError::FieldOverflow(format!("date/time field value out of range: \"{text}\""));
    let mut year = f.year.unwrap_or(1);
    if f.year_digits > 0 && f.year_digits <= 2 {
        year += if year < 70 { 2000 } else { 1900 };
    } else if f.year_digits == 3 {
        year += 2000;
    }
    if f.bc {
        year = 1 - year;
    }
    let days = match f.day_of_year {
        Some(doy) if f.month.is_none() && f.day.is_none() => {
            let first = checked_days(year, 1, 1).ok_or_else(overflow)?;
            first + doy - 1
        }
        _ => checked_days(year, f.month.unwrap_or(1), f.day.unwrap_or(1)).ok_or_else(overflow)?,
    };
    let mut hour = f.hour;
    if f.twelve_hour || f.pm.is_some() {
        if !(1..=12).contains(&hour) {
            return Err(DatetimeError::FieldOverflow(format!(
                "hour \"{hour}\" is invalid for the 12-hour clock"
            )));
        }
        hour %= 12;
        if f.pm == Some(true) {
            hour += 12;
        }
    }
    if !(0..24).contains(&hour) || !(0..60).contains(&f.minute) || !(0..60).contains(&f.second) {
        return Err(overflow());
    }
    Ok(DateTimeText {
        days,
        micros: ((hour * 60 + f.minute) * 60 + f.second) * MICROS_PER_SECOND + f.micros,
        offset: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::datetime::calendar::days_from_civil;

    #[test]
    fn templates_read_as_postgresql_reads_them() {
        let v = read("05 Mar 2024", "DD Mon YYYY").unwrap();
        assert_eq!((v.days, v.micros), (days_from_civil(2024, 3, 5), 0));
        let v = read("2024-03-05 14:07", "YYYY-MM-DD HH24:MI").unwrap();
        let hm = (14 * 60 + 7) * 60 * MICROS_PER_SECOND;
        assert_eq!((v.days, v.micros), (days_from_civil(2024, 3, 5), hm));
        let v = read("20240305", "YYYYMMDD").unwrap();
        assert_eq!(v.days, days_from_civil(2024, 3, 5));
        let v = read("2:07 PM", "HH12:MI AM").unwrap();
        assert_eq!(v.micros, hm);
        let v = read("March 5, 2024 10:00:00.25", "Month DD, YYYY HH24:MI:SS.MS").unwrap();
        assert_eq!(v.micros, 10 * 3600 * MICROS_PER_SECOND + 250_000);
        assert!(matches!(
            read("2023-02-29", "YYYY-MM-DD"),
            Err(DatetimeError::FieldOverflow(_))
        ));
        assert!(matches!(
            read("xx", "YYYY"),
            Err(DatetimeError::TemplateMismatch(_))
        ));
    }
}
