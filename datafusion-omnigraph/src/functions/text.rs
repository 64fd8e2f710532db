//! String functions as PostgreSQL 15 answers them in the C locale this server presents:
//! `upper`/`lower`/`initcap` change ASCII letters only, `to_hex` of a negative `integer`
//! is 32 bits wide, `chr(0)` and negative `substr` lengths are errors, `quote_nullable`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Int32Type, Int64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::errors::FunctionError;
use super::registry::{Guard, Guarded, Renamed, argument, result};

/// The string functions, to register over DataFusion's.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        StringMap::udf(LetterCase::Upper),
        StringMap::udf(LetterCase::Lower),
        StringMap::udf(LetterCase::Initcap),
        ScalarUDF::new_from_impl(ToHex {
            signature: Signature::user_defined(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(QuoteNullable {
            signature: Signature::any(1, Volatility::Immutable),
        }),
        Guarded::udf(datafusion::functions::string::chr(), TextGuard::Chr),
        Guarded::udf(
            datafusion::functions::unicode::lpad(),
            TextGuard::PaddedLength,
        ),
        Guarded::udf(
            datafusion::functions::unicode::rpad(),
            TextGuard::PaddedLength,
        ),
        Guarded::udf(
            datafusion::functions::string::repeat(),
            TextGuard::RepeatedLength,
        ),
        substr(),
    ]
}

/// DataFusion's `substr` refusing a negative length, without its alias `substring`
/// (PostgreSQL's `substring` also takes a pattern: [`super::regex::substring`]).
pub(crate) fn substr() -> ScalarUDF {
    let unaliased = Renamed::udf("substr", datafusion::functions::unicode::substr());
    Guarded::udf(Arc::new(unaliased), TextGuard::Substr)
}

/// PostgreSQL's `initcap`: the first letter of each run of letters and digits upper
/// case, the others lower case (ASCII only, as in the C locale).
fn initcap(text: &str) -> String {
    let mut in_word = false;
    text.chars()
        .map(|c| {
            let out = match in_word {
                true => c.to_ascii_lowercase(),
                false => c.to_ascii_uppercase(),
            };
            in_word = c.is_alphanumeric();
            out
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LetterCase {
    Upper,
    Lower,
    Initcap,
}

impl LetterCase {
    fn apply(self, text: &str) -> String {
        match self {
            LetterCase::Upper => text.to_ascii_uppercase(),
            LetterCase::Lower => text.to_ascii_lowercase(),
            LetterCase::Initcap => initcap(text),
        }
    }
}

/// `upper`, `lower` or `initcap`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct StringMap {
    case: LetterCase,
    signature: Signature,
}

impl StringMap {
    fn udf(case: LetterCase) -> ScalarUDF {
        ScalarUDF::new_from_impl(StringMap {
            case,
            signature: Signature::string(1, Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for StringMap {
    fn name(&self) -> &str {
        match self.case {
            LetterCase::Upper => "upper",
            LetterCase::Lower => "lower",
            LetterCase::Initcap => "initcap",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = argument(&args, 0, &DataType::Utf8)?;
        let out: StringArray = values
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(|v| self.case.apply(v)))
            .collect();
        result(&args.args, Arc::new(out))
    }
}

/// `to_hex(integer)` and `to_hex(bigint)`: a negative value in its type's two's
/// complement (`to_hex(-1)` is `ffffffff`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToHex {
    signature: Signature,
}

impl ScalarUDFImpl for ToHex {
    fn name(&self) -> &str {
        "to_hex"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [
                DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::UInt8
                | DataType::UInt16,
            ] => Ok(vec![DataType::Int32]),
            [t] if t.is_integer() || t.is_null() => Ok(vec![DataType::Int64]),
            _ => plan_err!("function to_hex({arg_types:?}) does not exist"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = args.args[0].to_array(args.number_rows)?;
        let out: StringArray = match values.data_type() {
            DataType::Int32 => values
                .as_primitive::<Int32Type>()
                .iter()
                .map(|v| v.map(|v| format!("{:x}", v as u32)))
                .collect(),
            _ => argument(&args, 0, &DataType::Int64)?
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(|v| format!("{:x}", v as u64)))
                .collect(),
        };
        result(&args.args, Arc::new(out))
    }
}

/// `quote_nullable(value)`: `NULL` for a null, else the value as a quoted literal.
#[derive(Debug, PartialEq, Eq, Hash)]
struct QuoteNullable {
    signature: Signature,
}

/// PostgreSQL's `quote_literal`: quotes doubled, and with a backslash in the text,
/// backslashes doubled in an `E'...'` string.
fn quote_literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    match text.contains('\\') {
        true => format!("E'{}'", quoted.replace('\\', "\\\\")),
        false => format!("'{quoted}'"),
    }
}

impl ScalarUDFImpl for QuoteNullable {
    fn name(&self) -> &str {
        "quote_nullable"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = argument(&args, 0, &DataType::Utf8)?;
        let out: StringArray = values
            .as_string::<i32>()
            .iter()
            .map(|v| Some(v.map_or_else(|| "NULL".to_string(), quote_literal)))
            .collect();
        result(&args.args, Arc::new(out))
    }
}

/// The integers of argument `index`, if it is one of integers.
fn integers(args: &[ColumnarValue], index: usize) -> Result<Option<Vec<Option<i64>>>> {
    let Some(value) = args.get(index) else {
        return Ok(None);
    };
    if !value.data_type().is_integer() {
        return Ok(None);
    }
    let values: ArrayRef = datafusion::arrow::compute::cast(&value.to_array(1)?, &DataType::Int64)?;
    Ok(Some(values.as_primitive::<Int64Type>().iter().collect()))
}

/// The arguments `chr`, `substr`, `lpad`/`rpad` and `repeat` refuse.
#[derive(Debug, PartialEq, Eq, Hash)]
enum TextGuard {
    Chr,
    Substr,
    PaddedLength,
    RepeatedLength,
}

/// The longest value PostgreSQL allocates (`MaxAllocSize`, 1 GB less a byte) less its
/// 4-byte header: no text result may be longer.
const MAX_TEXT_BYTES: i64 = 0x3fff_ffff - 4;

/// The most characters `lpad`/`rpad` may be asked for: PostgreSQL sizes their result for
/// characters of up to 4 bytes.
const MAX_PADDED_CHARACTERS: i64 = i32::MAX as i64 / 4;

impl Guard for TextGuard {
    fn check(&self, args: &[ColumnarValue]) -> Result<()> {
        match self {
            TextGuard::Chr => check_chr(args),
            TextGuard::Substr => check_substr(args),
            TextGuard::PaddedLength => check_padded_length(args),
            TextGuard::RepeatedLength => check_repeated_length(args),
        }
    }
}

fn check_chr(args: &[ColumnarValue]) -> Result<()> {
    for code in integers(args, 0)?.unwrap_or_default().into_iter().flatten() {
        if code == 0 {
            return Err(FunctionError::NullCharacter.into());
        }
        if code > 0x10FFFF {
            return Err(FunctionError::CharacterTooLarge.into());
        }
    }
    Ok(())
}

fn check_padded_length(args: &[ColumnarValue]) -> Result<()> {
    let too_long = integers(args, 1)?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .any(|n| n > MAX_PADDED_CHARACTERS);
    match too_long {
        true => Err(FunctionError::RequestedLengthTooLarge.into()),
        false => Ok(()),
    }
}

fn check_repeated_length(args: &[ColumnarValue]) -> Result<()> {
    let Some(counts) = integers(args, 1)? else {
        return Ok(());
    };
    let Some(text) = args.first() else {
        return Ok(());
    };
    let rows = counts.len().max(match text {
        ColumnarValue::Array(a) => a.len(),
        ColumnarValue::Scalar(_) => 1,
    });
    let text = datafusion::arrow::compute::cast(&text.to_array(rows)?, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    for row in 0..rows {
        let count = counts[if counts.len() == 1 { 0 } else { row }];
        let (Some(count), true) = (count, text.is_valid(row)) else {
            continue;
        };
        let bytes = (text.value(row).len() as i64).saturating_mul(count.max(0));
        if bytes > MAX_TEXT_BYTES {
            return Err(FunctionError::RequestedLengthTooLarge.into());
        }
    }
    Ok(())
}

fn check_substr(args: &[ColumnarValue]) -> Result<()> {
    let negative = integers(args, 2)?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .any(|n| n < 0);
    match negative {
        true => Err(FunctionError::NegativeSubstringLength.into()),
        false => Ok(()),
    }
}
