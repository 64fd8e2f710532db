//! Literals with a decimal point are `numeric` (DataFusion's `parse_float_as_decimal`,
//! set by [`crate::register_context`]). A literal whose exponent puts it beyond an Arrow
//! decimal (`1e308`, `1e-308`) would then fail to plan; it is read as `double precision`
//! instead, which is what such literals are cast to in practice.

use datafusion::sql::sqlparser::ast::{CastKind, DataType, Expr, Value};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

/// The largest decimal exponent read as a decimal.
const LARGEST_DECIMAL_EXPONENT: i64 = 38;

/// A dialect's `parse_prefix` for such a number: `CAST('1e308' AS double precision)`.
pub fn parse_float_beyond_decimal(parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
    let token = parser.peek_token();
    let Token::Number(text, _) = &token.token else {
        return None;
    };
    let exponent: i64 = text.split_once(['e', 'E'])?.1.parse().ok()?;
    if exponent.abs() <= LARGEST_DECIMAL_EXPONENT {
        return None;
    }
    parser.next_token();
    Some(Ok(Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(Expr::Value(
            Value::SingleQuotedString(text.clone()).with_empty_span(),
        )),
        data_type: DataType::DoublePrecision,
        array: false,
        format: None,
    }))
}
