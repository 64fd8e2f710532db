//! Parsing `GRAPH_TABLE (...)`'s body with sqlparser's parser: the pattern syntax here,
//! every SQL expression in it (element `WHERE`, property values, `COLUMNS`) by sqlparser.
//!
//! Edge arrows arrive as whatever operator tokens the PostgreSQL tokenizer makes of them
//! (`->`, `<->`, `->*`, `-`, `<` ...), so they are read as characters: a token of arrow
//! characters is taken apart and consumed a character at a time.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

use super::ast::{
    EdgeDirection, ElementPattern, GraphTable, LabelExpr, OutputColumn, PathFactor, PathMode,
    PathPattern, Quantifier, Selector,
};

/// The word that opens a graph table.
pub const GRAPH_TABLE: &str = "graph_table";

/// True when `parser` stands just after `GRAPH_TABLE (` and before `<graph> MATCH` or
/// `<graph> FOR`: where the dialect hands the body to [`parse_graph_table`].
pub fn at_graph_table_body(parser: &Parser) -> bool {
    // Just after the last token consumed.
    let mut index = parser.get_current_index() + 1;
    let previous = |index: &mut usize| -> Option<Token> {
        while *index > 0 {
            *index -= 1;
            let token = &parser.token_at(*index).token;
            if !matches!(token, Token::Whitespace(_)) {
                return Some(token.clone());
            }
        }
        None
    };
    if previous(&mut index) != Some(Token::LParen) {
        return false;
    }
    let opens = matches!(previous(&mut index),
        Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(GRAPH_TABLE));
    opens
        && matches!(parser.peek_nth_token_ref(1).token,
            Token::Word(ref w) if matches!(w.keyword, Keyword::MATCH | Keyword::FOR))
}

/// Parses `<graph> [FOR SYSTEM_TIME AS OF <ref>] MATCH <patterns> [WHERE <cond>]
/// COLUMNS (<columns>)`, leaving the closing parenthesis to the caller.
pub fn parse_graph_table(parser: &mut Parser) -> Result<GraphTable, ParserError> {
    PatternParser::new(parser).graph_table()
}

struct PatternParser<'p, 'a> {
    parser: &'p mut Parser<'a>,
    /// Arrow characters of a token taken apart and not yet consumed.
    pending: Vec<char>,
}

/// The characters edge arrows and quantifiers are made of.
fn arrow_characters(token: &Token) -> Option<Vec<char>> {
    let text = match token {
        Token::Word(_)
        | Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::Placeholder(_)
        | Token::EOF => return None,
        other => other.to_string(),
    };
    (!text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, '-' | '<' | '>' | '~' | '*' | '+' | '?')))
    .then(|| text.chars().collect())
}

fn word_is(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

fn error<T>(message: impl Into<String>) -> Result<T, ParserError> {
    Err(ParserError::ParserError(message.into()))
}

impl<'p, 'a> PatternParser<'p, 'a> {
    fn new(parser: &'p mut Parser<'a>) -> Self {
        PatternParser {
            parser,
            pending: Vec::new(),
        }
    }

    fn peek(&self) -> &Token {
        &self.parser.peek_token_ref().token
    }

    fn peek_nth(&self, n: usize) -> &Token {
        &self.parser.peek_nth_token_ref(n).token
    }

    fn peek_word(&self, word: &str) -> bool {
        self.pending.is_empty() && word_is(self.peek(), word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek_word(word) {
            self.parser.next_token();
            return true;
        }
        false
    }

    fn eat(&mut self, token: &Token) -> bool {
        self.pending.is_empty() && self.parser.consume_token(token)
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), ParserError> {
        if self.eat(token) {
            return Ok(());
        }
        self.found(what)
    }

    fn found<T>(&self, expected: &str) -> Result<T, ParserError> {
        if let Some(c) = self.pending.first() {
            return error(format!(
                "Expected: {expected}, found: {c} in a graph pattern"
            ));
        }
        self.parser.expected(expected, self.parser.peek_token())
    }

    /// The next arrow character, taking the next token apart if it is made of them.
    fn peek_char(&mut self) -> Option<char> {
        if self.pending.is_empty()
            && let Some(chars) = arrow_characters(self.peek())
        {
            self.parser.next_token();
            self.pending = chars;
        }
        self.pending.first().copied()
    }

    fn eat_char(&mut self, c: char) -> bool {
        if self.peek_char() == Some(c) {
            self.pending.remove(0);
            return true;
        }
        false
    }

    fn expect_char(&mut self, c: char, what: &str) -> Result<(), ParserError> {
        if self.eat_char(c) {
            return Ok(());
        }
        self.found(what)
    }

    fn graph_table(&mut self) -> Result<GraphTable, ParserError> {
        let graph = self.parser.parse_identifier()?;
        let as_of = if self
            .parser
            .parse_keywords(&[Keyword::FOR, Keyword::SYSTEM_TIME])
        {
            self.parser.expect_keywords(&[Keyword::AS, Keyword::OF])?;
            // A literal: an expression would read on into MATCH.
            Some(Expr::Value(self.parser.parse_value()?))
        } else {
            None
        };
        self.parser.expect_keyword_is(Keyword::MATCH)?;
        let mut paths = vec![self.path_pattern()?];
        while self.eat(&Token::Comma) {
            paths.push(self.path_pattern()?);
        }
        if self.peek_word("keep") {
            return error("KEEP is not supported: put the selector before each path pattern");
        }
        let filter = if self.pending.is_empty() && self.parser.parse_keyword(Keyword::WHERE) {
            Some(self.parser.parse_expr()?)
        } else {
            None
        };
        if !self.eat_word("columns") {
            return self.found("COLUMNS");
        }
        self.expect(&Token::LParen, "(")?;
        let mut columns = Vec::new();
        loop {
            let expr = self.parser.parse_expr()?;
            let aliased =
                self.parser.parse_keyword(Keyword::AS) || matches!(self.peek(), Token::Word(_));
            let alias = if aliased {
                Some(self.parser.parse_identifier()?)
            } else {
                None
            };
            columns.push(OutputColumn { expr, alias });
            if !self.eat(&Token::Comma) {
                break;
            }
        }
        self.expect(&Token::RParen, ")")?;
        Ok(GraphTable {
            graph,
            as_of,
            paths,
            filter,
            columns,
        })
    }

    fn path_pattern(&mut self) -> Result<PathPattern, ParserError> {
        let variable = if matches!(self.peek(), Token::Word(_)) && self.peek_nth(1) == &Token::Eq {
            let name = self.parser.parse_identifier()?;
            self.parser.next_token();
            Some(name)
        } else {
            None
        };
        let selector = self.selector()?;
        let mode = self.mode();
        let path = self.path(false)?;
        Ok(PathPattern {
            variable,
            selector,
            mode,
            path,
        })
    }

    fn count(&mut self, what: &str) -> Result<u64, ParserError> {
        let count = self.parser.parse_literal_uint()?;
        if count == 0 {
            return error(format!("{what} needs a count of at least 1"));
        }
        Ok(count)
    }

    fn selector(&mut self) -> Result<Selector, ParserError> {
        if self.peek_word("any") {
            self.parser.next_token();
            if self.eat_word("shortest") {
                return Ok(Selector::AnyShortest);
            }
            if matches!(self.peek(), Token::Number(..)) {
                return Ok(Selector::Any(self.count("ANY")?));
            }
            return Ok(Selector::Any(1));
        }
        if self.peek_word("all") {
            self.parser.next_token();
            if self.eat_word("shortest") {
                return Ok(Selector::AllShortest);
            }
            return Ok(Selector::All);
        }
        if self.eat_word("shortest") {
            let k = self.count("SHORTEST")?;
            if self.peek_word("group") || self.peek_word("groups") {
                return error("SHORTEST k GROUP is not supported (use ALL SHORTEST or SHORTEST k)");
            }
            return Ok(Selector::Shortest(k));
        }
        Ok(Selector::All)
    }

    fn mode(&mut self) -> PathMode {
        let mode = [
            ("walk", PathMode::Walk),
            ("trail", PathMode::Trail),
            ("acyclic", PathMode::Acyclic),
            ("simple", PathMode::Simple),
        ]
        .into_iter()
        .find(|(word, _)| self.peek_word(word));
        let Some((_, mode)) = mode else {
            return PathMode::Walk;
        };
        self.parser.next_token();
        if !self.eat_word("path") {
            self.eat_word("paths");
        }
        mode
    }

    /// Path factors up to what ends a path: `,`, `WHERE`, `COLUMNS` or a closing bracket.
    fn path(&mut self, grouped: bool) -> Result<Vec<PathFactor>, ParserError> {
        let mut factors = Vec::new();
        loop {
            if self.pending.is_empty() {
                match self.peek() {
                    Token::LParen if self.opens_group() => {
                        self.parser.next_token();
                        factors.push(self.group(Token::RParen)?);
                        continue;
                    }
                    Token::LParen => {
                        self.parser.next_token();
                        let element = self.element(Token::RParen)?;
                        if self.pending.is_empty() && self.starts_quantifier() {
                            return error(
                                "a node pattern cannot be quantified (quantify an edge or a parenthesised path)",
                            );
                        }
                        factors.push(PathFactor::Node(element));
                        continue;
                    }
                    Token::LBracket => {
                        self.parser.next_token();
                        factors.push(self.group(Token::RBracket)?);
                        continue;
                    }
                    _ => {}
                }
            }
            match self.peek_char() {
                Some('-' | '<') => factors.push(self.edge()?),
                Some('~') => {
                    return error(
                        "undirected edge patterns (~) are not supported: the graph's edges are directed (use - for either direction)",
                    );
                }
                _ => break,
            }
        }
        if factors.is_empty() {
            return self.found(if grouped {
                "a path pattern"
            } else {
                "a path pattern such as (a)-[e]->(b)"
            });
        }
        if self.pending.is_empty() && self.peek() == &Token::Pipe {
            return error("path pattern alternation (|) is not supported");
        }
        Ok(factors)
    }

    /// After `(`: a parenthesised path (another bracket, an arrow, or `p =`) rather than a
    /// node pattern.
    fn opens_group(&self) -> bool {
        let next = self.peek_nth(1);
        matches!(next, Token::LParen | Token::LBracket)
            || arrow_characters(next).is_some_and(|c| matches!(c[0], '-' | '<' | '~'))
            || (matches!(next, Token::Word(_)) && self.peek_nth(2) == &Token::Eq)
    }

    fn group(&mut self, close: Token) -> Result<PathFactor, ParserError> {
        if matches!(self.peek(), Token::Word(_)) && self.peek_nth(1) == &Token::Eq {
            return error("path variables are only allowed before a whole path pattern");
        }
        if self.selector()? != Selector::All || self.mode() != PathMode::Walk {
            return error(
                "a selector or path mode inside a parenthesised path is not supported: put it before the path pattern",
            );
        }
        let path = self.path(true)?;
        let filter = if self.pending.is_empty() && self.parser.parse_keyword(Keyword::WHERE) {
            Some(self.parser.parse_expr()?)
        } else {
            None
        };
        self.expect(&close, &close.to_string())?;
        let quantifier = self.quantifier()?;
        Ok(PathFactor::Group {
            path,
            filter,
            quantifier,
        })
    }

    fn starts_quantifier(&self) -> bool {
        matches!(self.peek(), Token::LBrace)
            || arrow_characters(self.peek()).is_some_and(|c| matches!(c[0], '*' | '+' | '?'))
    }

    /// `[-|<-] [ element ] [-|->]` or an abbreviation (`->`, `<-`, `-`, `<->`).
    fn edge(&mut self) -> Result<PathFactor, ParserError> {
        let left = self.eat_char('<');
        self.expect_char('-', "- of an edge pattern")?;
        let element = if self.pending.is_empty() && self.eat(&Token::LBracket) {
            let element = self.element(Token::RBracket)?;
            if self.peek_char() == Some('~') {
                return error("undirected edge patterns (~) are not supported");
            }
            self.expect_char('-', "- after ]")?;
            element
        } else {
            ElementPattern::default()
        };
        let right = self.eat_char('>');
        let direction = match (left, right) {
            (false, true) => EdgeDirection::Right,
            (true, false) => EdgeDirection::Left,
            _ => EdgeDirection::Either,
        };
        let quantifier = self.quantifier()?;
        Ok(PathFactor::Edge {
            element,
            direction,
            quantifier,
        })
    }

    fn quantifier(&mut self) -> Result<Option<Quantifier>, ParserError> {
        let short = match self.peek_char() {
            Some('*') => Some((0, None)),
            Some('+') => Some((1, None)),
            Some('?') => Some((0, Some(1))),
            _ => None,
        };
        if let Some((min, max)) = short {
            self.pending.remove(0);
            return Ok(Some(Quantifier { min, max }));
        }
        if !self.eat(&Token::LBrace) {
            return Ok(None);
        }
        let bound = |p: &mut Self| -> Result<u32, ParserError> {
            let n = p.parser.parse_literal_uint()?;
            u32::try_from(n).or_else(|_| error(format!("quantifier bound {n} is too large")))
        };
        let min = if self.peek() == &Token::Comma {
            0
        } else {
            bound(self)?
        };
        let max = if self.eat(&Token::Comma) {
            if self.peek() == &Token::RBrace {
                None
            } else {
                Some(bound(self)?)
            }
        } else {
            Some(min)
        };
        self.expect(&Token::RBrace, "}")?;
        if let Some(max) = max {
            if max < min {
                return error(format!(
                    "quantifier {{{min},{max}}}: the upper bound is below the lower"
                ));
            }
            if max == 0 {
                return error("quantifier upper bound must be at least 1");
            }
        }
        Ok(Some(Quantifier { min, max }))
    }

    /// `[var] [:labels | IS labels] [{k: v, ...}] [WHERE cond]` up to `close`.
    fn element(&mut self, close: Token) -> Result<ElementPattern, ParserError> {
        let mut element = ElementPattern::default();
        if let Token::Word(w) = self.peek()
            && !matches!(w.keyword, Keyword::IS | Keyword::WHERE)
        {
            element.variable = Some(self.parser.parse_identifier()?);
        }
        if self.eat(&Token::Colon)
            || (self.pending.is_empty() && self.parser.parse_keyword(Keyword::IS))
        {
            element.labels = self.label_expr()?;
        }
        if self.eat(&Token::LBrace) {
            loop {
                let key = self.parser.parse_identifier()?;
                self.expect(&Token::Colon, ":")?;
                let value = self.parser.parse_expr()?;
                element.properties.push((key, value));
                if !self.eat(&Token::Comma) {
                    break;
                }
            }
            self.expect(&Token::RBrace, "}")?;
        }
        if self.pending.is_empty() && self.parser.parse_keyword(Keyword::WHERE) {
            element.filter = Some(self.parser.parse_expr()?);
        }
        self.expect(&close, &close.to_string())?;
        Ok(element)
    }

    fn label_expr(&mut self) -> Result<LabelExpr, ParserError> {
        let mut names = Vec::new();
        let mut any = false;
        loop {
            match self.peek() {
                Token::Mod => {
                    self.parser.next_token();
                    any = true;
                }
                Token::LParen => {
                    self.parser.next_token();
                    match self.label_expr()? {
                        LabelExpr::Any => any = true,
                        LabelExpr::OneOf(inner) => names.extend(inner),
                    }
                    self.expect(&Token::RParen, ")")?;
                }
                Token::ExclamationMark => {
                    return error("label negation (!) is not supported: list the labels with |");
                }
                Token::Word(_) => names.push(self.parser.parse_identifier()?),
                _ => return self.found("a label"),
            }
            match self.peek() {
                Token::Pipe => {
                    self.parser.next_token();
                }
                Token::Ampersand => {
                    return error(
                        "label conjunction (&) is not supported: an element has one label",
                    );
                }
                _ => break,
            }
        }
        Ok(if any {
            LabelExpr::Any
        } else {
            LabelExpr::OneOf(names)
        })
    }
}

#[cfg(test)]
pub(crate) fn parse_for_test(sql: &str) -> Result<GraphTable, ParserError> {
    use crate::dialect::OmniGraphDialect;
    let dialect = OmniGraphDialect::default();
    let mut parser = Parser::new(&dialect).try_with_sql(sql)?;
    parse_graph_table(&mut parser)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(sql: &str) -> GraphTable {
        parse_for_test(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    #[test]
    fn edges_in_every_direction_and_quantifier_form() {
        let g = parse(
            "g MATCH (a:Person|Company WHERE a.x = 1)-[e:knows]->(b)<-[f IS knows]-(c)-(d)<->(e2)<-(f2)->{1,3}(h)-[]->*(i)->+(j)-[x]-?(k)-{2}(l)-[]-{,4}(m) COLUMNS (a.x AS ax, b.name)",
        );
        let p = &g.paths[0].path;
        let edges: Vec<(EdgeDirection, Option<Quantifier>)> = p
            .iter()
            .filter_map(|f| match f {
                PathFactor::Edge {
                    direction,
                    quantifier,
                    ..
                } => Some((*direction, *quantifier)),
                _ => None,
            })
            .collect();
        let q = |min, max| Some(Quantifier { min, max });
        use EdgeDirection::*;
        assert_eq!(
            edges,
            vec![
                (Right, None),
                (Left, None),
                (Either, None),
                (Either, None),
                (Left, None),
                (Right, q(1, Some(3))),
                (Right, q(0, None)),
                (Right, q(1, None)),
                (Either, q(0, Some(1))),
                (Either, q(2, Some(2))),
                (Either, q(0, Some(4))),
            ]
        );
        assert_eq!(g.columns.len(), 2);
        assert_eq!(g.columns[0].alias.as_ref().unwrap().value, "ax");
        let PathFactor::Node(a) = &p[0] else { panic!() };
        assert_eq!(a.variable.as_ref().unwrap().value, "a");
        assert!(matches!(&a.labels, LabelExpr::OneOf(l) if l.len() == 2));
        assert!(a.filter.is_some());
    }

    #[test]
    fn prefixes_groups_and_property_maps() {
        let g = parse(
            "social FOR SYSTEM_TIME AS OF 'feature' MATCH p = ANY SHORTEST TRAIL PATH (a {name: 'x', age: $1})((x)-[:knows]->(y) WHERE x.age < y.age){1,3}(b:%), SHORTEST 3 (b)-[]->(c) WHERE a.age > 3 COLUMNS (path_length(p))",
        );
        assert!(g.as_of.is_some());
        assert_eq!(g.paths.len(), 2);
        assert_eq!(g.paths[0].selector, Selector::AnyShortest);
        assert_eq!(g.paths[0].mode, PathMode::Trail);
        assert_eq!(g.paths[0].variable.as_ref().unwrap().value, "p");
        assert_eq!(g.paths[1].selector, Selector::Shortest(3));
        let PathFactor::Node(a) = &g.paths[0].path[0] else {
            panic!()
        };
        assert_eq!(a.properties.len(), 2);
        assert!(matches!(
            &g.paths[0].path[1],
            PathFactor::Group { path, filter: Some(_), quantifier: Some(Quantifier { min: 1, max: Some(3) }) } if path.len() == 3
        ));
        assert!(g.filter.is_some());
    }

    #[test]
    fn unsupported_and_malformed_patterns_are_errors() {
        for bad in [
            "g MATCH (a)~[e]~(b) COLUMNS (a.id)",
            "g MATCH (a:!Person) COLUMNS (a.id)",
            "g MATCH (a){2} COLUMNS (a.id)",
            "g MATCH (a)-[e]->{3,1}(b) COLUMNS (a.id)",
            "g MATCH (a)-[e]->(b)",
            "g MATCH COLUMNS (a.id)",
            "g MATCH (a)-[e]->(b) KEEP ANY COLUMNS (a.id)",
            "g MATCH SHORTEST 0 (a)-[e]->(b) COLUMNS (a.id)",
        ] {
            assert!(parse_for_test(bad).is_err(), "{bad} parsed");
        }
    }
}
