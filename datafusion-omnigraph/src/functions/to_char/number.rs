//! PostgreSQL's `to_char` templates for numbers (`9999.99`, `FM9,999.00`, `S999`,
//! `999PR`, `000`, ...) in the C locale: `D` is `.`, `G` is `,` and `L` a space.

use datafusion::common::{Result, not_impl_err};

/// A number to format, as the types that reach `to_char` hold it.
#[derive(Clone, Copy)]
pub enum Number {
    Integer(i64),
    /// Rounded as the decimal it prints as, half away from zero: DataFusion holds
    /// PostgreSQL's `numeric` literals (`1234.5`) as floats. (A `float8` in PostgreSQL
    /// rounds its binary value, so `1.25::float8` gives `1.2` there and `1.3` here.)
    Float(f64),
    /// Unscaled value and scale; rounded half away from zero, as `numeric` rounds.
    Decimal(i128, i8),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Digit {
        zero: bool,
    },
    Point,
    Group,
    /// `S`: `+` or `-`.
    Sign,
    /// `PR`: a negative number in angle brackets.
    Brackets,
    /// `MI`: `-` for a negative number, else a space.
    Minus,
    /// `PL`: `+` for a positive number, else a space.
    Plus,
    /// `SG`: `+` or `-`, where it stands.
    PlacedSign,
    /// `L`: the currency symbol, a space in the C locale.
    Currency,
    /// `TH`/`th`: the ordinal suffix of the integer part.
    Ordinal {
        upper: bool,
    },
    Text(String),
}

/// The template's patterns, longest first; each in both cases as PostgreSQL accepts.
const PATTERNS: &[(&str, Option<Token>)] = &[
    ("FM", None),
    ("PR", Some(Token::Brackets)),
    ("MI", Some(Token::Minus)),
    ("PL", Some(Token::Plus)),
    ("SG", Some(Token::PlacedSign)),
    ("TH", Some(Token::Ordinal { upper: true })),
    ("th", Some(Token::Ordinal { upper: false })),
    ("9", Some(Token::Digit { zero: false })),
    ("0", Some(Token::Digit { zero: true })),
    (".", Some(Token::Point)),
    ("D", Some(Token::Point)),
    (",", Some(Token::Group)),
    ("G", Some(Token::Group)),
    ("S", Some(Token::Sign)),
    ("L", Some(Token::Currency)),
];

/// Patterns PostgreSQL has that this formatter does not (yet) write.
const UNSUPPORTED: &[&str] = &["EEEE", "RN", "V", "B", "C", "E", "SP"];

struct Template {
    tokens: Vec<Token>,
    fill_mode: bool,
}

fn parse(template: &str) -> Result<Template> {
    let mut tokens = Vec::new();
    let mut fill_mode = false;
    let mut rest = template;
    'next: while let Some(c) = rest.chars().next() {
        if c == '"' {
            let quoted = &rest[1..];
            let end = quoted.find('"').unwrap_or(quoted.len());
            tokens.push(Token::Text(quoted[..end].to_string()));
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        for (pattern, token) in PATTERNS {
            let head = rest.get(..pattern.len());
            let matches = match token {
                // `TH` and `th` write the suffix in their own case.
                Some(Token::Ordinal { .. }) => rest.starts_with(pattern),
                _ => head.is_some_and(|h| h.eq_ignore_ascii_case(pattern)),
            };
            if matches {
                match token {
                    Some(token) => tokens.push(token.clone()),
                    None => fill_mode = true,
                }
                rest = &rest[pattern.len()..];
                continue 'next;
            }
        }
        if let Some(pattern) = UNSUPPORTED.iter().find(|p| {
            rest.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        }) {
            return not_impl_err!("to_char of a number with the {pattern} pattern");
        }
        tokens.push(Token::Text(c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    Ok(Template { tokens, fill_mode })
}

/// The sign and the digits of `number` before and after the point, with `post` digits
/// after it.
fn digits(number: Number, post: usize) -> (bool, String, String) {
    let text = match number {
        Number::Integer(n) => {
            let mut text = n.unsigned_abs().to_string();
            if post > 0 {
                text.push('.');
                text.push_str(&"0".repeat(post));
            }
            text
        }
        Number::Float(f) => {
            let text = format!("{}", f.abs());
            let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
            let digits = format!("{int}{frac}");
            match digits.parse::<i128>() {
                Ok(unscaled) if frac.len() <= 38 => {
                    return digits_of_decimal(f < 0.0, unscaled, frac.len() as i32, post);
                }
                _ => format!("{:.*}", post, f.abs()),
            }
        }
        Number::Decimal(unscaled, scale) => {
            return digits_of_decimal(unscaled < 0, unscaled, i32::from(scale), post);
        }
    };
    let negative = match number {
        Number::Integer(n) => n < 0,
        Number::Float(f) => f < 0.0,
        Number::Decimal(n, _) => n < 0,
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    (negative, int.to_string(), frac.to_string())
}

/// The digits of `unscaled` × 10^-`scale` rounded half away from zero to `post`
/// fractional digits.
fn digits_of_decimal(
    negative: bool,
    unscaled: i128,
    scale: i32,
    post: usize,
) -> (bool, String, String) {
    let magnitude = unscaled.unsigned_abs();
    let shift = scale - post as i32;
    let rounded = if shift > 0 {
        let divisor = 10u128.checked_pow(shift as u32).unwrap_or(u128::MAX);
        let (q, r) = (magnitude / divisor, magnitude % divisor);
        if r >= divisor - r { q + 1 } else { q }
    } else {
        magnitude.saturating_mul(10u128.saturating_pow((-shift) as u32))
    };
    let text = format!("{:0>width$}", rounded, width = post + 1);
    let (int, frac) = text.split_at(text.len() - post);
    (negative, int.to_string(), frac.to_string())
}

fn ordinal(int: &str, upper: bool) -> &'static str {
    let n: u64 = int.parse().unwrap_or(0);
    let suffix = match (n % 100, n % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    match (upper, suffix) {
        (false, s) => s,
        (true, "st") => "ST",
        (true, "nd") => "ND",
        (true, "rd") => "RD",
        (true, _) => "TH",
    }
}

/// `number` formatted by `template` as PostgreSQL's `to_char(numeric, text)` does.
pub fn format(number: Number, template: &str) -> Result<String> {
    let Template { tokens, fill_mode } = parse(template)?;
    let point = tokens.iter().position(|t| *t == Token::Point);
    let is_digit = |t: &Token| matches!(t, Token::Digit { .. });
    let before_point = |i: usize| point.is_none_or(|p| i < p);
    let pre = (0..tokens.len())
        .filter(|&i| is_digit(&tokens[i]) && before_point(i))
        .count();
    let post = (0..tokens.len())
        .filter(|&i| is_digit(&tokens[i]) && !before_point(i))
        .count();
    // Leading zeros print from the first `0` of the integer part on.
    let zero_start = tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| is_digit(t) && before_point(*i))
        .position(|(_, t)| *t == Token::Digit { zero: true });
    let (negative, mut int, frac) = digits(number, post);
    // A zero integer part prints no digit where the template has a point.
    if int == "0" && point.is_some() {
        int.clear();
    }
    let overflow = int.len() > pre;
    // Fill mode drops the fraction's trailing zeros that stand at `9`s.
    let frac_tokens: Vec<&Token> = (0..tokens.len())
        .filter(|&i| is_digit(&tokens[i]) && !before_point(i))
        .map(|i| &tokens[i])
        .collect();
    let mut frac_kept = frac.len();
    if fill_mode {
        while frac_kept > 0
            && frac.as_bytes()[frac_kept - 1] == b'0'
            && *frac_tokens[frac_kept - 1] == (Token::Digit { zero: false })
        {
            frac_kept -= 1;
        }
        if int.is_empty() && frac_kept == 0 && zero_start.is_none() {
            int = "0".to_string();
        }
    }
    let explicit_sign = tokens.iter().any(|t| {
        matches!(
            t,
            Token::Sign | Token::Brackets | Token::Minus | Token::Plus | Token::PlacedSign
        )
    });
    let first_digit = tokens.iter().position(is_digit);
    let mut out = String::new();
    // Where the number's first character went: a sign that is not placed by its
    // pattern goes there.
    let mut number_at: Option<usize> = None;
    let mut anchored: Option<&str> = None;
    let mut closing = "";
    let mut seen_int = 0;
    let mut seen_frac = 0;
    let blank = |out: &mut String| {
        if !fill_mode {
            out.push(' ');
        }
    };
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Digit { .. } if before_point(i) => {
                let position = seen_int;
                seen_int += 1;
                let first_of_number = pre.saturating_sub(int.len());
                if overflow {
                    number_at.get_or_insert(out.len());
                    out.push('#');
                } else if position >= first_of_number {
                    number_at.get_or_insert(out.len());
                    out.push_str(&int[position - first_of_number..=position - first_of_number]);
                } else if zero_start.is_some_and(|z| position >= z) {
                    number_at.get_or_insert(out.len());
                    out.push('0');
                } else {
                    blank(&mut out);
                }
            }
            Token::Digit { .. } => {
                let position = seen_frac;
                seen_frac += 1;
                if overflow {
                    out.push('#');
                } else if position < frac_kept {
                    out.push_str(&frac[position..=position]);
                }
            }
            Token::Point => {
                number_at.get_or_insert(out.len());
                out.push('.');
            }
            Token::Group => match number_at {
                Some(_) => out.push(','),
                None => blank(&mut out),
            },
            Token::Sign if first_digit.is_none_or(|d| i < d) => {
                anchored = Some(if negative { "-" } else { "+" });
            }
            Token::Sign | Token::PlacedSign => out.push(if negative { '-' } else { '+' }),
            Token::Brackets => {
                anchored = match (negative, fill_mode) {
                    (true, _) => Some("<"),
                    (false, false) => Some(" "),
                    (false, true) => None,
                };
                closing = match (negative, fill_mode) {
                    (true, _) => ">",
                    (false, false) => " ",
                    (false, true) => "",
                };
            }
            Token::Minus => match (negative, fill_mode) {
                (true, _) => out.push('-'),
                (false, false) => out.push(' '),
                (false, true) => {}
            },
            Token::Plus => match (negative, fill_mode) {
                (false, _) => out.push('+'),
                (true, false) => out.push(' '),
                (true, true) => {}
            },
            Token::Currency => out.push(' '),
            Token::Ordinal { upper } => {
                if !overflow {
                    out.push_str(ordinal(&int, *upper));
                }
            }
            Token::Text(text) => out.push_str(text),
        }
    }
    if !explicit_sign {
        anchored = match (negative, fill_mode) {
            (true, _) => Some("-"),
            (false, false) => Some(" "),
            (false, true) => None,
        };
    }
    if let Some(sign) = anchored {
        let at = number_at.unwrap_or(out.len());
        out.insert_str(at, sign);
    }
    out.push_str(closing);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PostgreSQL 15's answers (psql, C locale).
    #[test]
    fn numbers_format_as_postgresql_formats_them() {
        let cases: &[(Number, &str, &str)] = &[
            (Number::Float(1234.5), "9999.99", " 1234.50"),
            (Number::Float(-1234.5), "9999.99", "-1234.50"),
            (Number::Float(1234.5), "9,999.99", " 1,234.50"),
            (Number::Float(-1234.5), "9,999.99", "-1,234.50"),
            (Number::Integer(5), "9,999", "     5"),
            (Number::Integer(-5), "9,999", "    -5"),
            (Number::Integer(12345), "999", " ###"),
            (Number::Float(1.5), "FM9.99", "1.5"),
            (Number::Float(1.5), "FM9.00", "1.50"),
            (Number::Float(-1.5), "FM9.99", "-1.5"),
            (Number::Integer(-12), "S999", " -12"),
            (Number::Integer(12), "S999", " +12"),
            (Number::Integer(12), "999S", " 12+"),
            (Number::Integer(-12), "999PR", " <12>"),
            (Number::Integer(12), "999PR", "  12 "),
            (Number::Integer(-5), "FM999PR", "<5>"),
            (Number::Integer(12), "FM999PR", "12"),
            (Number::Integer(12), "L999", "   12"),
            (Number::Integer(-12), "999MI", " 12-"),
            (Number::Integer(12), "999MI", " 12 "),
            (Number::Integer(-12), "FM999MI", "12-"),
            (Number::Integer(-12), "MI999", "- 12"),
            (Number::Float(1234.5), "9G999D99", " 1,234.50"),
            (Number::Integer(0), "9.99", "  .00"),
            (Number::Integer(0), "FM9.99", "0."),
            (Number::Integer(0), "FM9.00", ".00"),
            (Number::Integer(0), "999", "   0"),
            (Number::Float(0.5), "0.99", " 0.50"),
            (Number::Float(-0.5), "9.99", " -.50"),
            (Number::Float(0.5), "FM9.99", ".5"),
            (Number::Integer(12), "FM999", "12"),
            (Number::Integer(42), "000", " 042"),
            (Number::Integer(-42), "000", "-042"),
            (Number::Integer(42), "FM000", "042"),
            (Number::Integer(12), "0999", " 0012"),
            (Number::Integer(12), "9099", "  012"),
            (Number::Integer(-12), "0999", "-0012"),
            (Number::Float(1234567.891), "FM9,999,999.00", "1,234,567.89"),
            (Number::Float(1234.5), "\"n=\"9999", "n= 1235"),
            (Number::Integer(12), "FMS999", "+12"),
            (Number::Integer(3), "9th", " 3rd"),
            (Number::Integer(11), "99TH", " 11TH"),
            (Number::Float(9.999), "9.99", " #.##"),
            (Number::Integer(12), "9 9", " 1 2"),
            (Number::Decimal(125, 2), "9.9", " 1.3"),
            (Number::Decimal(-123456, 3), "FM999.00", "-123.46"),
        ];
        for (number, template, expected) in cases {
            assert_eq!(
                format(*number, template).unwrap(),
                *expected,
                "to_char(.., '{template}')"
            );
        }
    }
}
