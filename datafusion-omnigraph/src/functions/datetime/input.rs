//! Text read as a `date` or `timestamp` the way PostgreSQL's input functions read it
//! (`DateStyle = ISO, MDY`, `TimeZone = UTC`): `2024-03-05`, `2024-03-05 14:07:09.5+02`,
//! `2024-03-05T14:07:09Z`, `20240305`, `03/05/2024`, `March 5, 2024`, `5 Mar 2024 BC`,
//! `epoch`, `today`. Text that is no date is 22007; a field out of range (`2023-02-29`)
//! is 22008. Arrow's parser reports both as one cast error, and refuses most of these
//! forms.

use chrono::{Datelike, Timelike, Utc};

use super::calendar::{MICROS_PER_DAY, MICROS_PER_SECOND, checked_days};
use super::error::DatetimeError;

/// A date and time of day read from text, and the zone offset it named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeText {
    /// Days since 1970-01-01.
    pub days: i64,
    /// Microseconds since midnight (up to a whole day, for `24:00:00`).
    pub micros: i64,
    /// Seconds east of UTC, when the text named a zone.
    pub offset: Option<i64>,
}

impl DateTimeText {
    /// Microseconds since the epoch: in UTC when `zoned` (the named offset applied, the
    /// session's zone is UTC), else the local time as written (a zone is ignored, as
    /// PostgreSQL ignores it for `timestamp without time zone`).
    pub fn epoch_micros(&self, zoned: bool) -> Option<i64> {
        let local = self
            .days
            .checked_mul(MICROS_PER_DAY)?
            .checked_add(self.micros)?;
        match (zoned, self.offset) {
            (true, Some(offset)) => local.checked_sub(offset * MICROS_PER_SECOND),
            _ => Some(local),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Number(String),
    Word(String),
    Symbol(char),
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            out.push(Token::Number(digits));
        } else if c.is_ascii_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphabetic()) {
                word.push(d.to_ascii_lowercase());
                chars.next();
            }
            out.push(Token::Word(word));
        } else if c.is_whitespace() || c == ',' {
            chars.next();
        } else if matches!(c, '-' | '/' | ':' | '.' | '+') {
            out.push(Token::Symbol(c));
            chars.next();
        } else {
            return None;
        }
    }
    Some(out)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_NAMES: [&str; 12] = [
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

/// The month (1-12) a word names (`mar`, `march`, `sept`).
pub fn month_of_word(word: &str) -> Option<u32> {
    let word = word.to_ascii_lowercase();
    let index = MONTHS
        .iter()
        .position(|m| *m == word)
        .or_else(|| MONTH_NAMES.iter().position(|m| *m == word))
        .or_else(|| (word == "sept").then_some(8))?;
    Some(index as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    DAYS.iter().any(|d| word.starts_with(d))
}

struct Reader<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self, ahead: usize) -> Option<&'a Token> {
        self.tokens.get(self.at + ahead)
    }

    fn number(&mut self) -> Option<&'a str> {
        match self.peek(0)? {
            Token::Number(n) => {
                self.at += 1;
                Some(n)
            }
            _ => None,
        }
    }

    fn symbol(&mut self, c: char) -> bool {
        if self.peek(0) == Some(&Token::Symbol(c)) {
            self.at += 1;
            return true;
        }
        false
    }

    fn word(&mut self, w: &str) -> bool {
        if matches!(self.peek(0), Some(Token::Word(x)) if x == w) {
            self.at += 1;
            return true;
        }
        false
    }

    fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }
}

/// What the text said, before its fields are checked.
#[derive(Default)]
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    offset: Option<i64>,
    bc: bool,
}

fn parse_number(digits: &str) -> Option<i64> {
    if digits.len() > 9 {
        return None;
    }
    digits.parse().ok()
}

/// Year, month and day from numbers written `first sep second sep third`: year first when
/// the first has three digits or more, else month, day, year (`DateStyle` MDY).
fn numeric_date(first: &str, second: &str, third: &str) -> Option<(i64, i64, i64)> {
    let (a, b, c) = (
        parse_number(first)?,
        parse_number(second)?,
        parse_number(third)?,
    );
    Some(if first.len() >= 3 {
        (a, b, c)
    } else {
        (two_digit_year(third, c), a, b)
    })
}

/// A two-digit year as PostgreSQL reads it: 70-99 are 19xx, 00-69 are 20xx.
fn two_digit_year(digits: &str, year: i64) -> i64 {
    match digits.len() {
        1 | 2 if year < 70 => 2000 + year,
        1 | 2 => 1900 + year,
        _ => year,
    }
}

fn read_date(r: &mut Reader, f: &mut Fields) -> Option<()> {
    // A weekday name before the date is allowed and ignored.
    if let Some(Token::Word(w)) = r.peek(0)
        && is_weekday(w)
        && month_of_word(w).is_none()
    {
        r.at += 1;
    }
    match (r.peek(0)?, r.peek(1), r.peek(2), r.peek(3)) {
        (
            Token::Number(a),
            Some(Token::Symbol(s1 @ ('-' | '/' | '.'))),
            Some(Token::Number(b)),
            Some(Token::Symbol(s2)),
        ) if s1 == s2 => {
            let Some(Token::Number(c)) = r.peek(4) else {
                return None;
            };
            let (y, m, d) = numeric_date(a, b, c)?;
            (f.year, f.month, f.day) = (y, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
            r.at += 5;
        }
        (Token::Number(a), Some(Token::Symbol('-')), Some(Token::Word(m)), _) => {
            // 05-Mar-2024
            let month = month_of_word(m)?;
            r.at += 3;
            r.symbol('-');
            let year = r.number()?;
            f.day = u32::try_from(parse_number(a)?).ok()?;
            f.month = month;
            f.year = two_digit_year(year, parse_number(year)?);
        }
        (Token::Number(a), _, _, _) if a.len() == 8 => {
            f.year = parse_number(&a[..4])?;
            f.month = a[4..6].parse().ok()?;
            f.day = a[6..].parse().ok()?;
            r.at += 1;
        }
        _ => read_named_month_date(r, f)?,
    }
    if r.word("bc") {
        f.bc = true;
    } else {
        r.word("ad");
    }
    Some(())
}

/// `March 5 2024`, `5 March 2024`, `Mar 5, 2024`, `2024 Mar 5`.
fn read_named_month_date(r: &mut Reader, f: &mut Fields) -> Option<()> {
    let mut month = None;
    let mut numbers: Vec<&str> = Vec::new();
    while let Some(token) = r.peek(0) {
        match token {
            Token::Word(w) if month.is_none() && month_of_word(w).is_some() => {
                month = month_of_word(w);
            }
            Token::Number(n) if numbers.len() < 2 && r.peek(1) != Some(&Token::Symbol(':')) => {
                numbers.push(n)
            }
            _ => break,
        }
        r.at += 1;
    }
    let [first, second] = numbers.as_slice() else {
        return None;
    };
    f.month = month?;
    let (day, year) = if first.len() >= 3 {
        (second, first)
    } else {
        (first, second)
    };
    f.day = u32::try_from(parse_number(day)?).ok()?;
    f.year = two_digit_year(year, parse_number(year)?);
    Some(())
}

fn read_time(r: &mut Reader, f: &mut Fields) -> Option<()> {
    f.hour = parse_number(r.number()?)?;
    if !r.symbol(':') {
        return None;
    }
    f.minute = parse_number(r.number()?)?;
    if r.symbol(':') {
        f.second = parse_number(r.number()?)?;
        if r.symbol('.') {
            f.micros = fraction_micros(r.number()?)?;
        }
    }
    if r.word("pm") {
        if !(1..=12).contains(&f.hour) {
            f.hour = 99;
        } else if f.hour < 12 {
            f.hour += 12;
        }
    } else if r.word("am") {
        if !(1..=12).contains(&f.hour) {
            f.hour = 99;
        } else if f.hour == 12 {
            f.hour = 0;
        }
    }
    Some(())
}

/// The microseconds a fraction's digits (after the point) stand for, rounded.
fn fraction_micros(digits: &str) -> Option<i64> {
    let mut padded: String = digits.chars().take(7).collect();
    while padded.len() < 7 {
        padded.push('0');
    }
    let tenths: i64 = padded.parse().ok()?;
    Some((tenths + 5) / 10)
}

fn read_zone(r: &mut Reader, f: &mut Fields) -> Option<()> {
    if r.word("z") || r.word("utc") || r.word("gmt") {
        f.offset = Some(0);
        return Some(());
    }
    let sign = match r.peek(0) {
        Some(Token::Symbol('+')) => 1,
        Some(Token::Symbol('-')) => -1,
        _ => return Some(()),
    };
    r.at += 1;
    let digits = r.number()?;
    let (hours, mut minutes) = match digits.len() {
        1 | 2 => (parse_number(digits)?, 0),
        4 => (parse_number(&digits[..2])?, parse_number(&digits[2..])?),
        _ => return None,
    };
    if r.symbol(':') {
        minutes = parse_number(r.number()?)?;
    }
    if hours > 15 || minutes > 59 {
        return None;
    }
    f.offset = Some(sign * (hours * 3600 + minutes * 60));
    Some(())
}

/// Reads `text` as a date with an optional time of day and zone. `type_name` names the
/// type in errors (`date`, `timestamp without time zone`, ...).
pub fn parse_date_time(text: &str, type_name: &'static str) -> Result<DateTimeText, DatetimeError> {
    let invalid = || DatetimeError::InvalidFormat {
        type_name,
        value: text.to_string(),
    };
    let trimmed = text.trim().to_ascii_lowercase();
    if let Some(special) = special_value(&trimmed, type_name, text)? {
        return Ok(special);
    }
    let tokens = tokens(&trimmed).ok_or_else(invalid)?;
    let mut r = Reader {
        tokens: &tokens,
        at: 0,
    };
    let mut f = Fields::default();
    read_date(&mut r, &mut f).ok_or_else(invalid)?;
    r.word("t");
    if !r.done() {
        read_time(&mut r, &mut f).ok_or_else(invalid)?;
        read_zone(&mut r, &mut f).ok_or_else(invalid)?;
        if r.word("bc") {
            f.bc = true;
        }
    }
    if !r.done() {
        return Err(invalid());
    }
    checked(&f, text)
}

fn checked(f: &Fields, text: &str) -> Result<DateTimeText, DatetimeError> {
    let overflow =
        || DatetimeError::FieldOverflow(format!("date/time field value out of range: \"{text}\""));
    if f.year == 0 {
        return Err(overflow());
    }
    let year = if f.bc { 1 - f.year } else { f.year };
    let days = checked_days(year, f.month, f.day).ok_or_else(overflow)?;
    let whole_day = f.hour == 24 && f.minute == 0 && f.second == 0 && f.micros == 0;
    if !(0..24).contains(&f.hour) && !whole_day
        || !(0..60).contains(&f.minute)
        || !(0..=60).contains(&f.second)
    {
        return Err(overflow());
    }
    if !(-4713..=5_874_897).contains(&year) {
        return Err(DatetimeError::FieldOverflow(format!(
            "date out of range: \"{text}\""
        )));
    }
    let micros = ((f.hour * 60 + f.minute) * 60 + f.second) * MICROS_PER_SECOND + f.micros;
    Ok(DateTimeText {
        days,
        micros,
        offset: f.offset,
    })
}

/// `epoch`, `today`, `now`, ..., and the infinities a `timestamp` here cannot hold.
fn special_value(
    lower: &str,
    type_name: &'static str,
    text: &str,
) -> Result<Option<DateTimeText>, DatetimeError> {
    let now = Utc::now();
    let today = super::calendar::days_from_civil(i64::from(now.year()), now.month(), now.day());
    let at_midnight = |days| DateTimeText {
        days,
        micros: 0,
        offset: Some(0),
    };
    Ok(Some(match lower {
        "epoch" => at_midnight(0),
        "today" => at_midnight(today),
        "tomorrow" => at_midnight(today + 1),
        "yesterday" => at_midnight(today - 1),
        "now" => DateTimeText {
            days: today,
            micros: i64::from(now.num_seconds_from_midnight()) * MICROS_PER_SECOND
                + i64::from(now.nanosecond() / 1000),
            offset: Some(0),
        },
        "infinity" | "+infinity" | "-infinity" => {
            return Err(DatetimeError::NotSupported(format!(
                "{type_name} value \"{text}\" is not supported: infinite dates and timestamps cannot be stored"
            )));
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::datetime::calendar::days_from_civil;

    fn read(text: &str) -> Result<DateTimeText, DatetimeError> {
        parse_date_time(text, "timestamp without time zone")
    }

    fn at(y: i64, m: u32, d: u32, h: i64, mi: i64, s: i64, us: i64) -> (i64, i64) {
        (
            days_from_civil(y, m, d),
            ((h * 60 + mi) * 60 + s) * MICROS_PER_SECOND + us,
        )
    }

    #[test]
    fn postgres_forms() {
        let parts = |t: &str| {
            let v = read(t).unwrap();
            (v.days, v.micros)
        };
        assert_eq!(parts("2024-03-05"), at(2024, 3, 5, 0, 0, 0, 0));
        assert_eq!(
            parts(" 2024-03-05 14:07:09.5 "),
            at(2024, 3, 5, 14, 7, 9, 500_000)
        );
        assert_eq!(parts("2024-03-05T14:07"), at(2024, 3, 5, 14, 7, 0, 0));
        assert_eq!(parts("20240305"), at(2024, 3, 5, 0, 0, 0, 0));
        assert_eq!(parts("03/05/2024"), at(2024, 3, 5, 0, 0, 0, 0));
        assert_eq!(parts("March 5, 2024"), at(2024, 3, 5, 0, 0, 0, 0));
        assert_eq!(parts("5 Mar 2024 2:30 pm"), at(2024, 3, 5, 14, 30, 0, 0));
        assert_eq!(parts("05-Mar-2024"), at(2024, 3, 5, 0, 0, 0, 0));
        assert_eq!(parts("0044-03-15 BC"), at(-43, 3, 15, 0, 0, 0, 0));
        assert_eq!(
            parts("2024-01-01 10:00:00.123456789"),
            at(2024, 1, 1, 10, 0, 0, 123_457)
        );
        let zoned = read("2024-01-02 03:04:05+02").unwrap();
        assert_eq!(zoned.offset, Some(7200));
        assert_eq!(
            read("2024-01-02 03:04:05-05:30").unwrap().offset,
            Some(-19_800)
        );
        assert_eq!(read("2024-01-02 03:04:05Z").unwrap().offset, Some(0));
    }

    #[test]
    fn refusals_have_postgres_classes() {
        assert!(matches!(
            read("not a date"),
            Err(DatetimeError::InvalidFormat { .. })
        ));
        assert!(matches!(
            read("2024-03"),
            Err(DatetimeError::InvalidFormat { .. })
        ));
        assert!(matches!(
            read("2023-02-29"),
            Err(DatetimeError::FieldOverflow(_))
        ));
        assert!(matches!(
            read("2024-13-01"),
            Err(DatetimeError::FieldOverflow(_))
        ));
        assert!(matches!(
            read("2024-01-01 25:00"),
            Err(DatetimeError::FieldOverflow(_))
        ));
        assert!(matches!(
            read("infinity"),
            Err(DatetimeError::NotSupported(_))
        ));
    }
}
