//! The SQL dialect: PostgreSQL plus table version clauses (`FOR SYSTEM_TIME AS OF`).
//!
//! sqlparser parses version clauses only for dialects that ask for them; PostgreSQL does
//! not, so this wraps it, delegating everything PostgreSQL customises. It also parses
//! `REPLACE INTO` (MySQL's upsert, which DataFusion plans as an insert that replaces the
//! rows of existing keys), PostgreSQL's `ABORT` (a synonym of `ROLLBACK`),
//! `BETWEEN SYMMETRIC` (sqlparser knows only the plain `BETWEEN`) and operators written
//! `OPERATOR(pg_catalog.=)` (as the plain operators).

use datafusion::sql::sqlparser::ast::{BinaryOperator, Expr, Statement};
use datafusion::sql::sqlparser::dialect::{Dialect, PostgreSqlDialect, Precedence};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

#[derive(Debug, Clone, Copy)]
pub struct OmniGraphDialect {
    postgres: PostgreSqlDialect,
    table_versions: bool,
}

impl Default for OmniGraphDialect {
    fn default() -> Self {
        OmniGraphDialect {
            postgres: PostgreSqlDialect {},
            table_versions: true,
        }
    }
}

impl OmniGraphDialect {
    /// The dialect without table version clauses: sqlparser reads a table alias `at`,
    /// `before` or `changes` as the start of one (pg_dump writes `pg_attribute at`), so
    /// a statement that fails to parse is read again with this one.
    pub fn without_table_versions() -> Self {
        OmniGraphDialect {
            table_versions: false,
            ..OmniGraphDialect::default()
        }
    }
}

/// Whether the next tokens are `<`, `+`, `>` written together: pgvector's `<+>` (L1
/// distance), which the tokenizer splits (PostgreSQL reads any run of operator characters
/// as one operator).
fn at_l1_operator(parser: &Parser) -> bool {
    let tokens = [0, 1, 2].map(|i| parser.peek_nth_token_ref(i));
    matches!(
        [&tokens[0].token, &tokens[1].token, &tokens[2].token],
        [Token::Lt, Token::Plus, Token::Gt]
    ) && tokens[0].span.end == tokens[1].span.start
        && tokens[1].span.end == tokens[2].span.start
}

fn is_keyword(token: &Token, keyword: Keyword) -> bool {
    matches!(token, Token::Word(w) if w.keyword == keyword)
}

impl Dialect for OmniGraphDialect {
    fn dialect(&self) -> std::any::TypeId {
        self.postgres.dialect()
    }
    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        let first = parser.peek_nth_token_ref(0).token.clone();
        if is_keyword(&first, Keyword::REPLACE)
            && is_keyword(&parser.peek_nth_token_ref(1).token, Keyword::INTO)
        {
            let replace = parser.next_token();
            return Some(parser.parse_insert(replace).map(|mut statement| {
                if let Statement::Insert(insert) = &mut statement {
                    insert.replace_into = true;
                }
                statement
            }));
        }
        if is_keyword(&first, Keyword::ABORT) {
            parser.next_token();
            return Some(parser.parse_rollback());
        }
        None
    }
    fn supports_table_versioning(&self) -> bool {
        self.table_versions
    }
    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        _precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if let Some(qualified) = qualified_operator(parser) {
            return Some(self.parse_qualified_operator(parser, expr.clone(), qualified));
        }
        if at_l1_operator(parser) {
            for _ in 0..3 {
                parser.next_token();
            }
            let precedence = self.prec_value(Precedence::PgOther);
            return Some(
                parser
                    .parse_subexpr(precedence)
                    .map(|right| Expr::BinaryOp {
                        left: Box::new(expr.clone()),
                        op: BinaryOperator::Custom("<+>".into()),
                        right: Box::new(right),
                    }),
            );
        }
        let negated = is_keyword(&parser.peek_nth_token_ref(0).token, Keyword::NOT);
        let at = usize::from(negated);
        let symmetric = is_keyword(&parser.peek_nth_token_ref(at).token, Keyword::BETWEEN)
            && is_keyword(&parser.peek_nth_token_ref(at + 1).token, Keyword::SYMMETRIC);
        if !symmetric {
            return None;
        }
        for _ in 0..at + 2 {
            parser.next_token();
        }
        Some(between_symmetric(
            parser,
            expr.clone(),
            negated,
            self.prec_value(Precedence::Between),
        ))
    }
    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.postgres.identifier_quote_style(identifier)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.postgres.is_delimited_identifier_start(ch)
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.postgres.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.postgres.is_identifier_part(ch)
    }
    fn is_reserved_for_identifier(&self, kw: Keyword) -> bool {
        self.postgres.is_reserved_for_identifier(kw)
    }
    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.postgres.is_custom_operator_part(ch)
    }
    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if crate::graph_table::parser::at_graph_table_body(parser) {
            return Some(
                crate::graph_table::parser::parse_graph_table(parser)
                    .map(|table| crate::graph_table::encoding::to_expr(&table)),
            );
        }
        crate::numbers::decimal_literals::parse_float_beyond_decimal(parser)
            .or_else(|| self.postgres.parse_prefix(parser))
    }
    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        if at_l1_operator(parser) {
            return Some(Ok(self.prec_value(Precedence::PgOther)));
        }
        self.postgres.get_next_precedence(parser)
    }
    fn prec_value(&self, prec: Precedence) -> u8 {
        self.postgres.prec_value(prec)
    }
    fn supports_unicode_string_literal(&self) -> bool {
        self.postgres.supports_unicode_string_literal()
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        self.postgres.supports_filter_during_aggregation()
    }
    fn supports_group_by_expr(&self) -> bool {
        self.postgres.supports_group_by_expr()
    }
    fn allow_extract_custom(&self) -> bool {
        self.postgres.allow_extract_custom()
    }
    fn allow_extract_single_quotes(&self) -> bool {
        self.postgres.allow_extract_single_quotes()
    }
    fn supports_create_index_with_clause(&self) -> bool {
        self.postgres.supports_create_index_with_clause()
    }
    fn supports_explain_with_utility_options(&self) -> bool {
        self.postgres.supports_explain_with_utility_options()
    }
    fn supports_listen_notify(&self) -> bool {
        self.postgres.supports_listen_notify()
    }
    fn supports_factorial_operator(&self) -> bool {
        self.postgres.supports_factorial_operator()
    }
    fn supports_bitwise_shift_operators(&self) -> bool {
        self.postgres.supports_bitwise_shift_operators()
    }
    fn supports_comment_on(&self) -> bool {
        self.postgres.supports_comment_on()
    }
    fn supports_load_extension(&self) -> bool {
        self.postgres.supports_load_extension()
    }
    fn supports_named_fn_args_with_colon_operator(&self) -> bool {
        self.postgres.supports_named_fn_args_with_colon_operator()
    }
    fn supports_named_fn_args_with_expr_name(&self) -> bool {
        self.postgres.supports_named_fn_args_with_expr_name()
    }
    fn supports_empty_projections(&self) -> bool {
        self.postgres.supports_empty_projections()
    }
    fn supports_nested_comments(&self) -> bool {
        self.postgres.supports_nested_comments()
    }
    fn supports_string_escape_constant(&self) -> bool {
        self.postgres.supports_string_escape_constant()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        self.postgres.supports_numeric_literal_underscores()
    }
    fn supports_array_typedef_with_brackets(&self) -> bool {
        self.postgres.supports_array_typedef_with_brackets()
    }
    fn supports_geometric_types(&self) -> bool {
        self.postgres.supports_geometric_types()
    }
    fn supports_set_names(&self) -> bool {
        self.postgres.supports_set_names()
    }
    fn supports_alter_column_type_using(&self) -> bool {
        self.postgres.supports_alter_column_type_using()
    }
    fn supports_notnull_operator(&self) -> bool {
        self.postgres.supports_notnull_operator()
    }
    fn supports_interval_options(&self) -> bool {
        self.postgres.supports_interval_options()
    }
    fn supports_insert_table_alias(&self) -> bool {
        self.postgres.supports_insert_table_alias()
    }
    fn supports_create_table_like_parenthesized(&self) -> bool {
        self.postgres.supports_create_table_like_parenthesized()
    }
    fn supports_select_wildcard_with_alias(&self) -> bool {
        self.postgres.supports_select_wildcard_with_alias()
    }
    fn supports_comma_separated_trim(&self) -> bool {
        self.postgres.supports_comma_separated_trim()
    }
    fn supports_xml_expressions(&self) -> bool {
        self.postgres.supports_xml_expressions()
    }
    fn supports_comment_optimizer_hint(&self) -> bool {
        self.postgres.supports_comment_optimizer_hint()
    }
}

/// The plain operator a qualified `OPERATOR(pg_catalog.=)` (or unqualified
/// `OPERATOR(=)`) ahead names, and how many tokens it takes. pg_dump and psql qualify
/// every operator they write; sqlparser reads them as custom operators, which it refuses
/// before `ANY`/`ALL` and DataFusion cannot plan.
fn qualified_operator(parser: &Parser) -> Option<(BinaryOperator, Precedence, usize)> {
    let token = |n: usize| &parser.peek_nth_token_ref(n).token;
    if !is_keyword(token(0), Keyword::OPERATOR) || token(1) != &Token::LParen {
        return None;
    }
    let at = match token(2) {
        Token::Word(w)
            if w.value.eq_ignore_ascii_case("pg_catalog") && token(3) == &Token::Period =>
        {
            4
        }
        _ => 2,
    };
    if token(at + 1) != &Token::RParen {
        return None;
    }
    let (op, precedence) = match token(at) {
        Token::Eq => (BinaryOperator::Eq, Precedence::Eq),
        Token::Neq => (BinaryOperator::NotEq, Precedence::Eq),
        Token::Lt => (BinaryOperator::Lt, Precedence::Eq),
        Token::Gt => (BinaryOperator::Gt, Precedence::Eq),
        Token::LtEq => (BinaryOperator::LtEq, Precedence::Eq),
        Token::GtEq => (BinaryOperator::GtEq, Precedence::Eq),
        Token::Tilde => (BinaryOperator::PGRegexMatch, Precedence::Like),
        Token::TildeAsterisk => (BinaryOperator::PGRegexIMatch, Precedence::Like),
        Token::ExclamationMarkTilde => (BinaryOperator::PGRegexNotMatch, Precedence::Like),
        Token::ExclamationMarkTildeAsterisk => (BinaryOperator::PGRegexNotIMatch, Precedence::Like),
        Token::DoubleTilde => (BinaryOperator::PGLikeMatch, Precedence::Like),
        Token::DoubleTildeAsterisk => (BinaryOperator::PGILikeMatch, Precedence::Like),
        Token::ExclamationMarkDoubleTilde => (BinaryOperator::PGNotLikeMatch, Precedence::Like),
        Token::ExclamationMarkDoubleTildeAsterisk => {
            (BinaryOperator::PGNotILikeMatch, Precedence::Like)
        }
        Token::Plus => (BinaryOperator::Plus, Precedence::PlusMinus),
        Token::Minus => (BinaryOperator::Minus, Precedence::PlusMinus),
        Token::Mul => (BinaryOperator::Multiply, Precedence::MulDivModOp),
        Token::Div => (BinaryOperator::Divide, Precedence::MulDivModOp),
        Token::Mod => (BinaryOperator::Modulo, Precedence::MulDivModOp),
        Token::StringConcat => (BinaryOperator::StringConcat, Precedence::PgOther),
        _ => return None,
    };
    Some((op, precedence, at + 2))
}

impl OmniGraphDialect {
    /// `expr OPERATOR(pg_catalog.op) right` as `expr op right`, and before `ANY`, `ALL`
    /// or `SOME` as the comparison with an array or subquery.
    fn parse_qualified_operator(
        &self,
        parser: &mut Parser,
        expr: Expr,
        (op, precedence, tokens): (BinaryOperator, Precedence, usize),
    ) -> Result<Expr, ParserError> {
        for _ in 0..tokens {
            parser.next_token();
        }
        let precedence = self.prec_value(precedence);
        let Some(keyword) =
            parser.parse_one_of_keywords(&[Keyword::ANY, Keyword::ALL, Keyword::SOME])
        else {
            return Ok(Expr::BinaryOp {
                left: Box::new(expr),
                op,
                right: Box::new(parser.parse_subexpr(precedence)?),
            });
        };
        parser.expect_token(&Token::LParen)?;
        let right = if matches!(
            parser.peek_token_ref().token,
            Token::Word(ref w) if matches!(w.keyword, Keyword::SELECT | Keyword::WITH)
        ) {
            Expr::Subquery(parser.parse_query()?)
        } else {
            parser.parse_expr()?
        };
        parser.expect_token(&Token::RParen)?;
        Ok(match keyword {
            Keyword::ALL => Expr::AllOp {
                left: Box::new(expr),
                compare_op: op,
                right: Box::new(right),
            },
            _ => Expr::AnyOp {
                left: Box::new(expr),
                compare_op: op,
                right: Box::new(right),
                is_some: keyword == Keyword::SOME,
            },
        })
    }
}

/// `x BETWEEN SYMMETRIC a AND b` (the keywords consumed): `x` between the bounds in
/// either order, `(x BETWEEN a AND b OR x BETWEEN b AND a)`; negated, in neither.
fn between_symmetric(
    parser: &mut Parser,
    expr: Expr,
    negated: bool,
    precedence: u8,
) -> Result<Expr, ParserError> {
    let low = parser.parse_subexpr(precedence)?;
    parser.expect_keyword_is(Keyword::AND)?;
    let high = parser.parse_subexpr(precedence)?;
    let between = |low: &Expr, high: &Expr| Expr::Between {
        expr: Box::new(expr.clone()),
        negated,
        low: Box::new(low.clone()),
        high: Box::new(high.clone()),
    };
    let op = if negated {
        BinaryOperator::And
    } else {
        BinaryOperator::Or
    };
    Ok(Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(between(&low, &high)),
        op,
        right: Box::new(between(&high, &low)),
    })))
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::DFParser;

    use super::OmniGraphDialect;

    #[test]
    fn qualified_operators_read_as_plain_ones() {
        let sql = "SELECT 1 FROM t WHERE a OPERATOR(pg_catalog.=) ANY (array['r', 'v']) \
                   AND b OPERATOR(pg_catalog.~) '^(x)$' AND c OPERATOR(=) 1 + 2";
        let stmts = DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default()).unwrap();
        assert_eq!(
            stmts[0].to_string(),
            "SELECT 1 FROM t WHERE a = ANY(ARRAY['r', 'v']) AND b ~ '^(x)$' AND c = 1 + 2"
        );
    }

    #[test]
    fn version_clauses_parse() {
        let sql = "SELECT * FROM person FOR SYSTEM_TIME AS OF '2024-01-01' AS p WHERE p.age > 3";
        let stmts = DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default()).unwrap();
        assert!(
            stmts[0].to_string().contains("FOR SYSTEM_TIME AS OF"),
            "{}",
            stmts[0]
        );
        DFParser::parse_sql_with_dialect(
            "SELECT 'a' || 'b', x::int FROM t",
            &OmniGraphDialect::default(),
        )
        .unwrap();
    }

    #[test]
    fn replace_into_is_an_insert_that_replaces_and_abort_rolls_back() {
        use datafusion::sql::parser::Statement as DFStatement;
        use datafusion::sql::sqlparser::ast::Statement;
        let stmts = DFParser::parse_sql_with_dialect(
            "REPLACE INTO person (name) VALUES ('a'); ABORT",
            &OmniGraphDialect::default(),
        )
        .unwrap();
        assert!(matches!(
            &stmts[0],
            DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Insert(i) if i.replace_into)
        ));
        assert!(matches!(
            &stmts[1],
            DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Rollback { savepoint: None, .. })
        ));
    }

    #[test]
    fn without_table_versions_a_table_alias_may_be_at() {
        let sql = "SELECT at.attname FROM pg_attribute at LEFT JOIN t ON true LIMIT 1";
        assert!(DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default()).is_err());
        DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::without_table_versions()).unwrap();
    }
}
