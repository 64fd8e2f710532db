//! PostgreSQL's text output of the values whose text arrow-pg writes differently from a
//! PostgreSQL 15 server with `DateStyle = ISO`, `IntervalStyle = postgres` and
//! `extra_float_digits = 1` (the defaults drivers see): timestamps and times with their
//! fraction trimmed, intervals as `1 year 2 mons 3 days 04:05:06`, floats as `Infinity`
//! and in shortest round-trip form (`1e+20`), arrays with PostgreSQL's quoting and as
//! many dimensions as they nest. Everything else keeps arrow-pg's text.

use std::fmt::Write;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Float16Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, IntervalUnit, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, Timelike};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Why a value has no PostgreSQL text.
#[derive(Debug, PartialEq)]
pub enum TextError {
    /// PostgreSQL's arrays are rectangular; a list of lists of different lengths is not one.
    RaggedArray,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextError::RaggedArray => write!(
                f,
                "multidimensional arrays must have array expressions with matching dimensions"
            ),
        }
    }
}

/// Whether values of `data_type` are written here rather than by arrow-pg.
pub fn writes(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Timestamp(_, _)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Interval(_)
            | DataType::Duration(_)
            | DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(_, _)
    )
}

/// The text of the non-null list at `row` of `array` as PostgreSQL writes a vector type
/// (`int2vector`, `oidvector`): its elements separated by spaces, without braces.
pub fn vector_text(array: &dyn Array, row: usize) -> Result<String, TextError> {
    let list = array.as_list::<i32>().value(row);
    let mut out = String::new();
    for i in 0..list.len() {
        if i > 0 {
            out.push(' ');
        }
        write_value(&mut out, list.as_ref(), i)?;
    }
    Ok(out)
}

/// The text of the non-null value at `row` of `array`.
pub fn text(array: &dyn Array, row: usize) -> Result<String, TextError> {
    let mut out = String::new();
    write_value(&mut out, array, row)?;
    Ok(out)
}

fn write_value(out: &mut String, array: &dyn Array, row: usize) -> Result<(), TextError> {
    match array.data_type() {
        DataType::Boolean => out.push(if array.as_boolean().value(row) {
            't'
        } else {
            'f'
        }),
        DataType::Int8 => push(out, array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => push(out, array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => push(out, array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => push(out, array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => push(out, array.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => push(out, array.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => push(out, array.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => push(out, array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float16 => {
            let v = array.as_primitive::<Float16Type>().value(row);
            out.push_str(&float4(v.to_f32()));
        }
        DataType::Float32 => out.push_str(&float4(array.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => out.push_str(&float8(array.as_primitive::<Float64Type>().value(row))),
        DataType::Utf8 => out.push_str(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => out.push_str(array.as_string::<i64>().value(row)),
        DataType::Utf8View => out.push_str(array.as_string_view().value(row)),
        DataType::Binary => bytea(out, array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => bytea(out, array.as_binary::<i64>().value(row)),
        DataType::BinaryView => bytea(out, array.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => bytea(out, array.as_fixed_size_binary().value(row)),
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>().value(row);
            date(out, epoch_date() + chrono::Duration::days(days as i64));
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(row);
            date(out, epoch_date() + chrono::Duration::milliseconds(ms));
        }
        DataType::Timestamp(unit, zone) => {
            let micros = timestamp_micros(array, *unit, row);
            timestamp(out, micros, zone.as_deref());
        }
        DataType::Time32(_) | DataType::Time64(_) => time(out, time_micros(array, row)),
        DataType::Interval(_) => {
            let (months, days, micros) = interval_parts(array, row);
            interval(out, months, days, micros);
        }
        DataType::Duration(unit) => {
            // A duration comes from subtracting timestamps; PostgreSQL's `timestamp -
            // timestamp` carries whole days into the day field (justify_hours).
            let micros = duration_micros(array, *unit, row);
            interval(out, 0, micros / MICROS_PER_DAY, micros % MICROS_PER_DAY);
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            array_text(out, array, row)?
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let key = dict.normalized_keys()[row];
            write_value(out, dict.values().as_ref(), key)?
        }
        _ => display(out, array, row),
    }
    Ok(())
}

fn push(out: &mut String, value: impl std::fmt::Display) {
    let _ = write!(out, "{value}");
}

fn display(out: &mut String, array: &dyn Array, row: usize) {
    if let Ok(formatter) = ArrayFormatter::try_new(array, &FormatOptions::default()) {
        let _ = write!(out, "{}", formatter.value(row));
    }
}

fn bytea(out: &mut String, bytes: &[u8]) {
    out.push_str("\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

fn epoch_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date")
}

/// The elements of list `array`'s value at `row`.
fn list_values(array: &dyn Array, row: usize) -> arrow::array::ArrayRef {
    match array.data_type() {
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        DataType::FixedSizeList(_, _) => array.as_fixed_size_list().value(row),
        _ => array.as_list::<i32>().value(row),
    }
}

fn is_list(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

/// `{a,b}`, `{{1,2},{3,4}}`: elements quoted as `array_out` quotes them, sub-arrays of one
/// length each.
fn array_text(out: &mut String, array: &dyn Array, row: usize) -> Result<(), TextError> {
    let values = list_values(array, row);
    if is_list(values.data_type()) {
        let mut length = None;
        for i in 0..values.len() {
            let inner = if values.is_null(i) {
                None
            } else {
                Some(list_values(values.as_ref(), i).len())
            };
            if length.is_some_and(|l| l != inner) {
                return Err(TextError::RaggedArray);
            }
            length = Some(inner);
        }
    }
    out.push('{');
    for i in 0..values.len() {
        if i > 0 {
            out.push(',');
        }
        if values.is_null(i) {
            out.push_str("NULL");
        } else if is_list(values.data_type()) {
            array_text(out, values.as_ref(), i)?;
        } else {
            let mut element = String::new();
            write_value(&mut element, values.as_ref(), i)?;
            array_element(out, &element);
        }
    }
    out.push('}');
    Ok(())
}

fn array_element(out: &mut String, element: &str) {
    let quote = element.is_empty()
        || element.eq_ignore_ascii_case("NULL")
        || element.bytes().any(|b| {
            matches!(
                b,
                b'{' | b'}' | b',' | b'"' | b'\\' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
            )
        });
    if !quote {
        out.push_str(element);
        return;
    }
    out.push('"');
    for c in element.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// `float4out` and `float8out`, shared with casts to text.
pub use datafusion_omnigraph::numbers::float_text::{float4, float8};

/// Nanoseconds to microseconds, rounded half away from zero as PostgreSQL rounds input.
fn round_nanos(nanos: i64) -> i64 {
    let micros = nanos / 1000;
    let rest = nanos % 1000;
    if rest >= 500 {
        micros + 1
    } else if rest <= -500 {
        micros - 1
    } else {
        micros
    }
}

fn timestamp_micros(array: &dyn Array, unit: TimeUnit, row: usize) -> i64 {
    use arrow::datatypes::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    match unit {
        TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(row) * 1_000_000,
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(row) * 1000,
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row),
        TimeUnit::Nanosecond => {
            round_nanos(array.as_primitive::<TimestampNanosecondType>().value(row))
        }
    }
}

fn duration_micros(array: &dyn Array, unit: TimeUnit, row: usize) -> i64 {
    match unit {
        TimeUnit::Second => array.as_primitive::<DurationSecondType>().value(row) * 1_000_000,
        TimeUnit::Millisecond => array.as_primitive::<DurationMillisecondType>().value(row) * 1000,
        TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(row),
        TimeUnit::Nanosecond => {
            round_nanos(array.as_primitive::<DurationNanosecondType>().value(row))
        }
    }
}

fn time_micros(array: &dyn Array, row: usize) -> i64 {
    match array.data_type() {
        DataType::Time32(TimeUnit::Second) => {
            array.as_primitive::<Time32SecondType>().value(row) as i64 * 1_000_000
        }
        DataType::Time32(_) => {
            array.as_primitive::<Time32MillisecondType>().value(row) as i64 * 1000
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            array.as_primitive::<Time64MicrosecondType>().value(row)
        }
        _ => round_nanos(array.as_primitive::<Time64NanosecondType>().value(row)),
    }
}

fn interval_parts(array: &dyn Array, row: usize) -> (i64, i64, i64) {
    use arrow::datatypes::{IntervalDayTimeType, IntervalMonthDayNanoType, IntervalYearMonthType};
    match array.data_type() {
        DataType::Interval(IntervalUnit::YearMonth) => (
            array.as_primitive::<IntervalYearMonthType>().value(row) as i64,
            0,
            0,
        ),
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(row);
            (0, v.days as i64, v.milliseconds as i64 * 1000)
        }
        _ => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            (v.months as i64, v.days as i64, round_nanos(v.nanoseconds))
        }
    }
}

/// `2024-01-02`, with years before 1 written as PostgreSQL writes them (`0044-03-15 BC`).
fn date(out: &mut String, day: NaiveDate) {
    let (year, bc) = pg_year(day.year());
    let _ = write!(out, "{year:04}-{:02}-{:02}", day.month(), day.day());
    if bc {
        out.push_str(" BC");
    }
}

fn pg_year(year: i32) -> (i32, bool) {
    if year <= 0 {
        (1 - year, true)
    } else {
        (year, false)
    }
}

/// `2024-01-02 03:04:05.5`, and `+00` (the zone's offset) for a timestamp with a zone.
fn timestamp(out: &mut String, micros: i64, zone: Option<&str>) {
    let offset = zone.and_then(zone_offset);
    let seconds = micros.div_euclid(MICROS_PER_SECOND);
    let fraction = micros.rem_euclid(MICROS_PER_SECOND);
    let Some(utc) = DateTime::from_timestamp(seconds, 0) else {
        let _ = write!(out, "{micros}");
        return;
    };
    let local: NaiveDateTime = match &offset {
        Some(o) => utc.with_timezone(o).naive_local(),
        None => utc.naive_utc(),
    };
    let (year, bc) = pg_year(local.year());
    let _ = write!(
        out,
        "{year:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    fraction_digits(out, fraction);
    if let Some(o) = offset {
        let total = o.local_minus_utc();
        let sign = if total < 0 { '-' } else { '+' };
        let total = total.abs();
        let _ = write!(out, "{sign}{:02}", total / 3600);
        if total % 3600 != 0 {
            let _ = write!(out, ":{:02}", total % 3600 / 60);
        }
        if total % 60 != 0 {
            let _ = write!(out, ":{:02}", total % 60);
        }
    }
    if bc {
        out.push_str(" BC");
    }
}

/// The offset of the zone a timestamp column is shown in; named zones other than UTC are
/// shown in UTC, as the server's `TimeZone` is UTC.
fn zone_offset(zone: &str) -> Option<FixedOffset> {
    let utc = FixedOffset::east_opt(0);
    if zone.eq_ignore_ascii_case("utc") || zone.eq_ignore_ascii_case("z") {
        return utc;
    }
    let (sign, rest) = match zone.as_bytes().first() {
        Some(b'+') => (1, &zone[1..]),
        Some(b'-') => (-1, &zone[1..]),
        _ => return utc,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * seconds)
        .or(utc)
        .map(|o| o.fix())
}

/// `.5` for half a second: six digits with trailing zeros dropped, nothing for none.
fn fraction_digits(out: &mut String, micros: i64) {
    if micros == 0 {
        return;
    }
    let digits = format!("{:06}", micros.abs());
    out.push('.');
    out.push_str(digits.trim_end_matches('0'));
}

/// `13:45:00`, `13:45:00.25`.
fn time(out: &mut String, micros: i64) {
    let seconds = micros / MICROS_PER_SECOND;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    );
    fraction_digits(out, micros % MICROS_PER_SECOND);
}

/// `IntervalStyle = postgres`: `1 year 2 mons 3 days 04:05:06`, `-00:00:01`, `00:00:00`.
fn interval(out: &mut String, months: i64, days: i64, micros: i64) {
    let mut nothing_yet = true;
    let mut after_negative = false;
    for (value, unit) in [(months / 12, "year"), (months % 12, "mon"), (days, "day")] {
        if value == 0 {
            continue;
        }
        let _ = write!(
            out,
            "{}{}{value} {unit}{}",
            if nothing_yet { "" } else { " " },
            if after_negative && value > 0 { "+" } else { "" },
            if value != 1 { "s" } else { "" }
        );
        after_negative = value < 0;
        nothing_yet = false;
    }
    if nothing_yet || micros != 0 {
        let sign = if micros < 0 {
            "-"
        } else if after_negative {
            "+"
        } else {
            ""
        };
        let magnitude = micros.unsigned_abs();
        let seconds = magnitude / MICROS_PER_SECOND as u64;
        let _ = write!(
            out,
            "{}{sign}{:02}:{:02}:{:02}",
            if nothing_yet { "" } else { " " },
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        );
        fraction_digits(out, (magnitude % MICROS_PER_SECOND as u64) as i64);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, DurationMicrosecondArray, Float64Array, IntervalMonthDayNanoArray, ListArray,
        StringArray, Time64MicrosecondArray, TimestampMicrosecondArray, TimestampNanosecondArray,
    };
    use arrow::datatypes::{Field, IntervalMonthDayNano};

    use super::*;

    fn first(array: ArrayRef) -> String {
        text(array.as_ref(), 0).unwrap()
    }

    #[test]
    fn floats_as_postgres_writes_them() {
        let cases = [
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e-5, "1e-05"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (-0.0, "-0"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(float8(value), expected, "{value}");
        }
        assert_eq!(float4(1234567.0), "1.234567e+06");
        assert_eq!(float4(123456.0), "123456");
        assert_eq!(float4(0.1), "0.1");
    }

    #[test]
    fn timestamps_trim_their_fraction() {
        let ts = |micros: i64, zone: Option<&str>| {
            let a = TimestampMicrosecondArray::from(vec![micros]).with_timezone_opt(zone);
            first(Arc::new(a))
        };
        assert_eq!(ts(1_704_164_645_000_000, None), "2024-01-02 03:04:05");
        assert_eq!(ts(1_704_164_645_500_000, None), "2024-01-02 03:04:05.5");
        assert_eq!(
            ts(1_704_164_645_000_000, Some("+00:00")),
            "2024-01-02 03:04:05+00"
        );
        assert_eq!(
            ts(1_704_164_645_000_000, Some("UTC")),
            "2024-01-02 03:04:05+00"
        );
        assert_eq!(
            ts(1_704_164_645_000_000, Some("+05:30")),
            "2024-01-02 08:34:05+05:30"
        );
        assert_eq!(ts(-62_167_219_200_000_000, None), "0001-01-01 00:00:00 BC");
        let nanos = TimestampNanosecondArray::from(vec![1_704_103_200_123_456_789]);
        assert_eq!(first(Arc::new(nanos)), "2024-01-01 10:00:00.123457");
        let time = Time64MicrosecondArray::from(vec![(13 * 3600 + 45 * 60) * 1_000_000]);
        assert_eq!(first(Arc::new(time)), "13:45:00");
    }

    #[test]
    fn intervals_in_postgres_style() {
        let iv = |months, days, nanos| {
            let a = IntervalMonthDayNanoArray::from(vec![IntervalMonthDayNano::new(
                months, days, nanos,
            )]);
            first(Arc::new(a))
        };
        let hms = |h: i64, m: i64, s: i64| (h * 3600 + m * 60 + s) * 1_000_000_000;
        assert_eq!(iv(14, 3, hms(4, 5, 6)), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv(0, 0, -1_000_000_000), "-00:00:01");
        assert_eq!(iv(0, 0, 0), "00:00:00");
        assert_eq!(iv(1, 0, 0), "1 mon");
        assert_eq!(iv(0, -1, hms(1, 0, 0)), "-1 days +01:00:00");
        assert_eq!(iv(-14, 0, 0), "-1 years -2 mons");
        assert_eq!(iv(0, 1, 500_000_000), "1 day 00:00:00.5");
        let duration = DurationMicrosecondArray::from(vec![684 * 3600 * 1_000_000]);
        assert_eq!(first(Arc::new(duration)), "28 days 12:00:00");
    }

    #[test]
    fn arrays_quote_and_nest() {
        let ints =
            ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1), None])]);
        assert_eq!(first(Arc::new(ints)), "{1,NULL}");
        let strings = StringArray::from(vec!["a,b", "c", "", "null", "say \"hi\""]);
        let list = ListArray::new(
            Arc::new(Field::new_list_field(DataType::Utf8, true)),
            arrow::buffer::OffsetBuffer::from_lengths([5]),
            Arc::new(strings),
            None,
        );
        assert_eq!(first(Arc::new(list)), r#"{"a,b",c,"","null","say \"hi\""}"#);
        let inner = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(3), Some(4)]),
        ]);
        let nested = |inner: ListArray| {
            ListArray::new(
                Arc::new(Field::new_list_field(inner.data_type().clone(), true)),
                arrow::buffer::OffsetBuffer::from_lengths([2]),
                Arc::new(inner),
                None,
            )
        };
        assert_eq!(first(Arc::new(nested(inner))), "{{1,2},{3,4}}");
        let ragged = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1)]),
            Some(vec![Some(3), Some(4)]),
        ]);
        assert_eq!(text(&nested(ragged), 0), Err(TextError::RaggedArray));
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![f64::INFINITY]));
        assert_eq!(first(floats), "Infinity");
    }
}
