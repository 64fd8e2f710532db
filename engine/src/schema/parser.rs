//! Parser for the `.pg` schema language.
//!
//! ```text
//! node Person  { name: String @key, age: I32?, email: String? @unique }
//! edge WorksAt: Person -> Company @card(0..1) { since: Date? }
//! ```

use std::collections::{BTreeMap, HashSet};

use super::lexer::{Tok, Token, describe, tokenize};
use super::model::{
    Cardinality, EdgeType, GraphSchema, IndexDecl, IndexMethod, NodeType, PropType, Property,
    VectorMetric,
};
use super::names::snake_case;
use crate::error::{Error, Result};

/// Column names every table carries; properties may not use them.
pub const RESERVED_COLUMNS: [&str; 3] = ["id", "src", "dst"];

/// Type-level annotations: `@key(...)` names with their tokens, and `@card`.
type TypeAnnotations = (Vec<(String, Token)>, Option<Cardinality>);

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

/// A type declaration before cross-type validation, with positions for errors.
struct RawProperty {
    prop: Property,
    key: bool,
    line: usize,
    col: usize,
    /// Byte offset just past the property's last token.
    end: usize,
    /// Byte range of its `@index...` annotation.
    index_span: Option<std::ops::Range<usize>>,
}

/// Where a property sits in the schema text, for edits that keep the rest of the text.
#[derive(Debug, Clone)]
pub(super) struct PropertySpan {
    pub table: String,
    pub column: String,
    pub line: usize,
    pub col: usize,
    /// Byte offset just past the property's last token.
    pub end: usize,
    /// Byte range of its `@index...` annotation.
    pub index: Option<std::ops::Range<usize>>,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    /// Byte offset just past the last token consumed.
    fn consumed_end(&self) -> usize {
        self.tokens[self.pos.saturating_sub(1)].end
    }

    /// `@index`'s optional arguments: `(name)`, `(using m)` or `(name using m)`.
    fn parse_index_decl(&mut self, ty: &PropType) -> Result<IndexDecl> {
        let mut decl = IndexDecl::default();
        if !self.eat_punct('(') {
            return Ok(decl);
        }
        let is_using =
            |t: &Token| matches!(&t.tok, Tok::Ident(w) if w.eq_ignore_ascii_case("using"));
        let next_is_ident =
            |p: &Parser| matches!(p.tokens.get(p.pos + 1).map(|t| &t.tok), Some(Tok::Ident(_)));
        if !(is_using(self.peek()) && next_is_ident(self)) {
            decl.name = Some(self.expect_ident("index name")?.0);
        }
        if is_using(self.peek()) {
            self.next();
            let (method, mt) = self.expect_ident("index method")?;
            let Some(m) = IndexMethod::from_name(&method) else {
                let known: Vec<&str> = IndexMethod::ALL.iter().map(|m| m.as_str()).collect();
                return Err(Self::error_at(
                    &mt,
                    format!(
                        "unknown index method '{method}' (expected {})",
                        known.join(", ")
                    ),
                ));
            };
            if !m.supports(ty) {
                return Err(Self::error_at(
                    &mt,
                    format!("index method {m} cannot index a column of type {ty}"),
                ));
            }
            decl.method = Some(m);
            if m.is_vector()
                && let Tok::Ident(ops) = &self.peek().tok
            {
                let ops = ops.clone();
                let ot = self.next();
                decl.metric = Some(VectorMetric::from_ops_name(&ops).ok_or_else(|| {
                    Self::error_at(
                        &ot,
                        format!(
                            "unknown operator class '{ops}' (expected vector_l2_ops, vector_cosine_ops or vector_ip_ops)"
                        ),
                    )
                })?);
            }
        }
        self.expect_punct(')')?;
        Ok(decl)
    }

    fn error_at(tok: &Token, message: impl Into<String>) -> Error {
        Error::SchemaParse {
            line: tok.line,
            column: tok.col,
            message: message.into(),
        }
    }

    fn expect_punct(&mut self, c: char) -> Result<Token> {
        let t = self.next();
        if t.tok == Tok::Punct(c) {
            Ok(t)
        } else {
            Err(Self::error_at(
                &t,
                format!("expected '{c}', found {}", describe(&t.tok)),
            ))
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek().tok == Tok::Punct(c) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_ident(&mut self, what: &str) -> Result<(String, Token)> {
        let t = self.next();
        match &t.tok {
            Tok::Ident(s) => Ok((s.clone(), t.clone())),
            other => Err(Self::error_at(
                &t,
                format!("expected {what}, found {}", describe(other)),
            )),
        }
    }

    fn expect_int(&mut self, what: &str) -> Result<u64> {
        let t = self.next();
        match t.tok {
            Tok::Int(n) => Ok(n),
            ref other => Err(Self::error_at(
                &t,
                format!("expected {what}, found {}", describe(other)),
            )),
        }
    }

    fn parse_type(&mut self) -> Result<PropType> {
        let t = self.next();
        match &t.tok {
            Tok::Punct('[') => {
                if self.peek().tok == Tok::Punct('[') {
                    let nested = self.peek().clone();
                    return Err(Self::error_at(&nested, "nested lists are not supported"));
                }
                let inner = self.parse_type()?;
                if matches!(inner, PropType::List(_)) {
                    return Err(Self::error_at(&t, "nested lists are not supported"));
                }
                self.expect_punct(']')?;
                Ok(PropType::List(Box::new(inner)))
            }
            Tok::Ident(name) => match name.as_str() {
                "String" => Ok(PropType::String),
                "Bool" => Ok(PropType::Bool),
                "I32" => Ok(PropType::I32),
                "I64" => Ok(PropType::I64),
                "U32" => Ok(PropType::U32),
                "U64" => Ok(PropType::U64),
                "F32" => Ok(PropType::F32),
                "F64" => Ok(PropType::F64),
                "Date" => Ok(PropType::Date),
                "DateTime" => Ok(PropType::DateTime),
                "Blob" => Ok(PropType::Blob),
                "Vector" => {
                    self.expect_punct('(')?;
                    let n = self.expect_int("vector dimension")?;
                    if n == 0 || n > 65_536 {
                        return Err(Self::error_at(
                            &t,
                            format!("vector dimension {n} must be between 1 and 65536"),
                        ));
                    }
                    self.expect_punct(')')?;
                    Ok(PropType::Vector(n as u32))
                }
                "enum" => {
                    self.expect_punct('(')?;
                    let mut values = Vec::new();
                    loop {
                        let (v, vt) = self.expect_ident("enum value")?;
                        if values.contains(&v) {
                            return Err(Self::error_at(&vt, format!("duplicate enum value '{v}'")));
                        }
                        values.push(v);
                        if self.eat_punct(')') {
                            break;
                        }
                        self.expect_punct(',')?;
                    }
                    Ok(PropType::Enum(values))
                }
                other => Err(Self::error_at(
                    &t,
                    format!(
                        "unknown type '{other}' (expected String, Bool, I32, I64, U32, U64, F32, F64, Date, DateTime, [T], enum(...), Vector(n) or Blob)"
                    ),
                )),
            },
            other => Err(Self::error_at(
                &t,
                format!("expected a type, found {}", describe(other)),
            )),
        }
    }

    fn parse_property(&mut self) -> Result<RawProperty> {
        let (name, nt) = self.expect_ident("property name")?;
        let column = snake_case(&name);
        if RESERVED_COLUMNS.contains(&column.as_str()) {
            return Err(Self::error_at(
                &nt,
                format!("property name '{name}' is reserved (id, src and dst are system columns)"),
            ));
        }
        self.expect_punct(':')?;
        let ty = self.parse_type()?;
        let nullable = self.eat_punct('?');
        let mut prop = Property {
            declared_name: name,
            column,
            ty,
            nullable,
            unique: false,
            index: None,
        };
        let mut key = false;
        let mut index_span = None;
        while self.peek().tok == Tok::At {
            let at_sign = self.next();
            let (ann, at) = self.expect_ident("annotation name")?;
            match ann.as_str() {
                "key" => key = true,
                "unique" => prop.unique = true,
                "index" => {
                    if prop.index.is_some() {
                        return Err(Self::error_at(&at, "@index is given twice"));
                    }
                    prop.index = Some(self.parse_index_decl(&prop.ty)?);
                    index_span = Some(at_sign.start..self.consumed_end());
                }
                "card" => {
                    return Err(Self::error_at(
                        &at,
                        "@card belongs on an edge type, not on a property",
                    ));
                }
                other => {
                    return Err(Self::error_at(
                        &at,
                        format!(
                            "unknown property annotation '@{other}' (expected @key, @unique or @index)"
                        ),
                    ));
                }
            }
        }
        if key && prop.nullable {
            return Err(Self::error_at(
                &nt,
                format!("key property '{}' cannot be nullable", prop.declared_name),
            ));
        }
        if key && !is_key_type(&prop.ty) {
            return Err(Self::error_at(
                &nt,
                format!(
                    "key property '{}' cannot have type {}",
                    prop.declared_name, prop.ty
                ),
            ));
        }
        if prop.index.is_some() && !crate::write::indexes::indexable(&prop.ty) {
            return Err(Self::error_at(
                &nt,
                format!(
                    "property '{}' of type {} cannot have @index (floats, vectors and blobs are not indexable)",
                    prop.declared_name, prop.ty
                ),
            ));
        }
        Ok(RawProperty {
            prop,
            key,
            line: nt.line,
            col: nt.col,
            end: self.consumed_end(),
            index_span,
        })
    }

    fn parse_body(&mut self) -> Result<Vec<RawProperty>> {
        self.expect_punct('{')?;
        let mut props: Vec<RawProperty> = Vec::new();
        loop {
            if self.eat_punct('}') {
                break;
            }
            let p = self.parse_property()?;
            if let Some(dup) = props.iter().find(|q| q.prop.column == p.prop.column) {
                return Err(Error::SchemaParse {
                    line: p.line,
                    column: p.col,
                    message: format!(
                        "property '{}' is declared twice (first at line {})",
                        p.prop.declared_name, dup.line
                    ),
                });
            }
            props.push(p);
            if self.eat_punct(',') || self.eat_punct(';') {
                continue;
            }
            if self.peek().tok != Tok::Punct('}') && !matches!(self.peek().tok, Tok::Ident(_)) {
                let t = self.peek().clone();
                return Err(Self::error_at(
                    &t,
                    format!("expected ',' or '}}', found {}", describe(&t.tok)),
                ));
            }
        }
        Ok(props)
    }

    /// Parses `@key(a, b)` after a type name; returns the named properties.
    fn parse_type_annotations(&mut self, edge: bool) -> Result<TypeAnnotations> {
        let mut key = Vec::new();
        let mut card = None;
        while self.peek().tok == Tok::At {
            self.next();
            let (ann, at) = self.expect_ident("annotation name")?;
            match ann.as_str() {
                "key" => {
                    self.expect_punct('(')?;
                    loop {
                        key.push(self.expect_ident("key property name")?);
                        if self.eat_punct(')') {
                            break;
                        }
                        self.expect_punct(',')?;
                    }
                }
                "card" if edge => {
                    self.expect_punct('(')?;
                    let min = self.expect_int("minimum cardinality")?;
                    let dd = self.next();
                    if dd.tok != Tok::DotDot {
                        return Err(Self::error_at(
                            &dd,
                            format!("expected '..', found {}", describe(&dd.tok)),
                        ));
                    }
                    let max = match self.peek().tok {
                        Tok::Int(_) => Some(self.expect_int("maximum cardinality")?),
                        _ => None,
                    };
                    self.expect_punct(')')?;
                    if let Some(max) = max
                        && max < min
                    {
                        return Err(Self::error_at(
                            &at,
                            format!("@card({min}..{max}): maximum is below minimum"),
                        ));
                    }
                    card = Some(Cardinality { min, max });
                }
                other => {
                    let expected = if edge {
                        "@key(...) or @card(min..max)"
                    } else {
                        "@key(...)"
                    };
                    return Err(Self::error_at(
                        &at,
                        format!("unknown type annotation '@{other}' (expected {expected})"),
                    ));
                }
            }
        }
        Ok((key, card))
    }
}

/// Types a key may have: exact scalars whose text form is canonical (no floats, lists,
/// vectors or blobs).
fn is_key_type(ty: &PropType) -> bool {
    !matches!(
        ty,
        PropType::List(_) | PropType::Vector(_) | PropType::Blob | PropType::F32 | PropType::F64
    )
}

fn resolve_key(
    props: &[RawProperty],
    type_key: Vec<(String, Token)>,
    type_name: &str,
) -> Result<Vec<String>> {
    let prop_key: Vec<String> = props
        .iter()
        .filter(|p| p.key)
        .map(|p| p.prop.column.clone())
        .collect();
    if !type_key.is_empty() && !prop_key.is_empty() {
        let t = &type_key[0].1;
        return Err(Parser::error_at(
            t,
            format!(
                "type '{type_name}' declares its key both with @key(...) and on properties; use one"
            ),
        ));
    }
    if prop_key.is_empty() {
        let mut cols = Vec::new();
        for (name, tok) in type_key {
            let col = snake_case(&name);
            let Some(p) = props.iter().find(|p| p.prop.column == col) else {
                return Err(Parser::error_at(
                    &tok,
                    format!("key property '{name}' is not declared on '{type_name}'"),
                ));
            };
            if p.prop.nullable {
                return Err(Parser::error_at(
                    &tok,
                    format!("key property '{name}' cannot be nullable"),
                ));
            }
            if !is_key_type(&p.prop.ty) {
                return Err(Parser::error_at(
                    &tok,
                    format!("key property '{name}' cannot have type {}", p.prop.ty),
                ));
            }
            if cols.contains(&col) {
                return Err(Parser::error_at(
                    &tok,
                    format!("key property '{name}' listed twice"),
                ));
            }
            cols.push(col);
        }
        Ok(cols)
    } else {
        Ok(prop_key)
    }
}

/// Parses and validates schema text.
pub fn parse_schema(source: &str) -> Result<GraphSchema> {
    parse_schema_reserving(source, &[])
}

/// [`parse_schema`], refusing also the types whose table name is one of `reserved_tables`
/// (compared case-insensitively): names the layer above the engine keeps for itself.
pub fn parse_schema_reserving(source: &str, reserved_tables: &[String]) -> Result<GraphSchema> {
    parse_with_spans(source, reserved_tables).map(|(schema, _)| schema)
}

/// The schema of `source` with where each property sits in the text.
pub(super) fn parse_with_spans(
    source: &str,
    reserved_tables: &[String],
) -> Result<(GraphSchema, Vec<PropertySpan>)> {
    let tokens = tokenize(source)?;
    let mut spans: Vec<PropertySpan> = Vec::new();
    let mut record_spans = |table: &str, props: &[RawProperty]| {
        spans.extend(props.iter().map(|r| PropertySpan {
            table: table.to_string(),
            column: r.prop.column.clone(),
            line: r.line,
            col: r.col,
            end: r.end,
            index: r.index_span.clone(),
        }))
    };
    let mut p = Parser { tokens, pos: 0 };
    let mut nodes: BTreeMap<String, NodeType> = BTreeMap::new();
    let mut edges_raw: Vec<(EdgeType, Token, Token, String, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();

    loop {
        let t = p.next();
        let kw = match &t.tok {
            Tok::Eof => break,
            Tok::Ident(s) if s == "node" || s == "edge" => s.clone(),
            other => {
                return Err(Parser::error_at(
                    &t,
                    format!("expected 'node' or 'edge', found {}", describe(other)),
                ));
            }
        };
        let (name, name_tok) = p.expect_ident("type name")?;
        let table = snake_case(&name);
        if table.starts_with('_')
            || reserved_tables
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&table))
        {
            return Err(Parser::error_at(
                &name_tok,
                format!("type name '{name}' is reserved"),
            ));
        }
        if !seen.insert(table.clone()) {
            return Err(Parser::error_at(
                &name_tok,
                format!(
                    "type '{name}' is declared twice (table names must be unique across node and edge types)"
                ),
            ));
        }
        if kw == "node" {
            let (type_key, _) = p.parse_type_annotations(false)?;
            let props = p.parse_body()?;
            let key = resolve_key(&props, type_key, &name)?;
            record_spans(&table, &props);
            nodes.insert(
                table.clone(),
                NodeType {
                    declared_name: name,
                    table,
                    properties: props.into_iter().map(|r| r.prop).collect(),
                    key,
                },
            );
        } else {
            p.expect_punct(':')?;
            let (src, src_tok) = p.expect_ident("source node type")?;
            let arrow = p.next();
            if arrow.tok != Tok::Arrow {
                return Err(Parser::error_at(
                    &arrow,
                    format!("expected '->', found {}", describe(&arrow.tok)),
                ));
            }
            let (dst, dst_tok) = p.expect_ident("destination node type")?;
            let (type_key, card) = p.parse_type_annotations(true)?;
            let props = if p.peek().tok == Tok::Punct('{') {
                p.parse_body()?
            } else {
                Vec::new()
            };
            let key = resolve_key(&props, type_key, &name)?;
            record_spans(&table, &props);
            edges_raw.push((
                EdgeType {
                    declared_name: name,
                    table,
                    src_table: String::new(),
                    dst_table: String::new(),
                    properties: props.into_iter().map(|r| r.prop).collect(),
                    key,
                    cardinality: card,
                },
                src_tok,
                dst_tok,
                src,
                dst,
            ));
        }
        p.eat_punct(';');
    }

    let mut edges = BTreeMap::new();
    for (mut edge, src_tok, dst_tok, src, dst) in edges_raw {
        for (endpoint, tok, slot) in [
            (&src, &src_tok, &mut edge.src_table),
            (&dst, &dst_tok, &mut edge.dst_table),
        ] {
            let endpoint_table = snake_case(endpoint);
            if !nodes.contains_key(&endpoint_table) {
                return Err(Parser::error_at(
                    tok,
                    format!(
                        "edge '{}' refers to unknown node type '{endpoint}'",
                        edge.declared_name
                    ),
                ));
            }
            *slot = endpoint_table;
        }
        edges.insert(edge.table.clone(), edge);
    }

    let schema = GraphSchema {
        source: source.to_string(),
        nodes,
        edges,
    };
    check_index_names(&schema, &spans)?;
    Ok((schema, spans))
}

/// A name given to an index is unique in the schema (PostgreSQL: in a namespace, among
/// tables and indexes alike), and a `@key` or `@unique` property, indexed under its system
/// name, takes no named or typed `@index`. (Derived names are not checked: a schema that
/// derives one name twice was accepted before names could be given.)
fn check_index_names(schema: &GraphSchema, spans: &[PropertySpan]) -> Result<()> {
    let at = |table: &str, column: &str, message: String| {
        let span = spans
            .iter()
            .find(|s| s.table == table && s.column == column);
        Error::SchemaParse {
            line: span.map_or(0, |s| s.line),
            column: span.map_or(0, |s| s.col),
            message,
        }
    };
    let tables: HashSet<&str> = schema.tables().map(|d| d.table()).collect();
    let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for def in schema.tables() {
        for spec in crate::write::indexes::required_indexes(def) {
            owners
                .entry(spec.name)
                .or_default()
                .push(format!("{}.{}", def.table(), spec.column));
        }
    }
    for def in schema.tables() {
        let t = def.table();
        for p in def.properties() {
            let Some(decl) = &p.index else { continue };
            let system = p.unique || def.key().contains(&p.column);
            if system && (decl.name.is_some() || decl.method.is_some()) {
                return Err(at(
                    t,
                    &p.column,
                    format!(
                        "property '{}' is a key or @unique and indexed under its system name; it takes no named or typed @index",
                        p.declared_name
                    ),
                ));
            }
            let Some(name) = &decl.name else { continue };
            if tables.contains(name.as_str()) {
                return Err(at(
                    t,
                    &p.column,
                    format!("index name '{name}' is the name of a table"),
                ));
            }
            if let Some(other) = owners
                .get(name)
                .into_iter()
                .flatten()
                .find(|o| **o != format!("{t}.{}", p.column))
            {
                return Err(at(
                    t,
                    &p.column,
                    format!("index name '{name}' is already the name of the index of {other}"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_example() {
        let s = parse_schema(
            "node Person  { name: String @key, age: I32?, email: String? @unique }\n\
             node Company { name: String @key }\n\
             edge Knows:   Person -> Person  { since: Date? }\n\
             edge WorksAt: Person -> Company @card(0..1)\n",
        )
        .unwrap();
        assert_eq!(s.nodes["person"].key, vec!["name"]);
        assert!(s.nodes["person"].properties[2].unique);
        let works = &s.edges["works_at"];
        assert_eq!(works.src_table, "person");
        assert_eq!(works.dst_table, "company");
        assert_eq!(
            works.cardinality,
            Some(Cardinality {
                min: 0,
                max: Some(1)
            })
        );
    }

    #[test]
    fn parses_every_type() {
        let s = parse_schema(
            "node T @key(a, b) { a: String, b: I64, c: Bool?, d: U32?, e: U64?, f: F32?, g: F64?, \
             h: Date?, i: DateTime?, j: [String]?, k: enum(red, green)?, l: Vector(3)?, m: Blob?, createdAt: I32? @index }",
        )
        .unwrap();
        let t = &s.nodes["t"];
        assert_eq!(t.key, vec!["a", "b"]);
        assert_eq!(t.properties.last().unwrap().column, "created_at");
        assert_eq!(
            t.properties[10].ty,
            PropType::Enum(vec!["red".into(), "green".into()])
        );
        assert_eq!(t.properties[11].ty, PropType::Vector(3));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = parse_schema("node A { x: String }\nnode B { y: Strin }").unwrap_err();
        match err {
            Error::SchemaParse {
                line,
                column,
                message,
            } => {
                assert_eq!((line, column), (2, 13));
                assert!(message.contains("unknown type 'Strin'"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn only_reserved_type_names_are_refused() {
        parse_schema("node Omnigraph {}").unwrap();
        let reserved = ["omnigraph".to_string()];
        let err = parse_schema_reserving("node A {}\nnode Omnigraph {}", &reserved).unwrap_err();
        assert!(
            matches!(
                err,
                Error::SchemaParse {
                    line: 2,
                    column: 6,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn reserved_and_invalid_declarations_are_refused() {
        let host_names =
            ["public", "omnigraph", "pg_catalog", "information_schema"].map(String::from);
        for (src, needle) in [
            ("node A { id: String }", "reserved"),
            ("node A { src: String }", "reserved"),
            ("node A { x: String? @key }", "cannot be nullable"),
            ("edge E: A -> B", "unknown node type 'A'"),
            ("node A {} node A {}", "declared twice"),
            ("node A { x: String, x: I32 }", "declared twice"),
            ("node A {} edge E: A -> A @card(3..1)", "below minimum"),
            ("node Omnigraph {}", "reserved"),
            ("node A { x: String @wat }", "unknown property annotation"),
            ("node A { x: F64 @key }", "cannot have type F64"),
            (
                "node A @key(x) { x: [String] }",
                "cannot have type [String]",
            ),
            ("node A { x: [[String]] }", "nested lists"),
        ] {
            let err = parse_schema_reserving(src, &host_names)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{src}: {err}");
        }
    }

    #[test]
    fn index_annotations_take_a_name_and_a_method() {
        let s = parse_schema(
            "node P { a: I32? @index, b: I32? @index(by_b), c: Bool? @index(using btree), \
             d: [String]? @index(tags using labellist), e: String @key @index }",
        )
        .unwrap();
        let decl = |i: usize| s.nodes["p"].properties[i].index.clone().unwrap();
        assert_eq!(decl(0), IndexDecl::default());
        assert_eq!(decl(1).name.as_deref(), Some("by_b"));
        assert_eq!(decl(2).method, Some(IndexMethod::BTree));
        assert_eq!(
            decl(3),
            IndexDecl {
                name: Some("tags".into()),
                method: Some(IndexMethod::LabelList),
                metric: None,
            }
        );
        for (src, needle) in [
            (
                "node P { a: I32? @index(using hash) }",
                "unknown index method 'hash'",
            ),
            (
                "node P { a: I32? @index(using labellist) }",
                "cannot index a column of type I32",
            ),
            (
                "node P { a: [I32]? @index(using btree) }",
                "cannot index a column of type [I32]",
            ),
            ("node P { a: I32? @index @index }", "@index is given twice"),
            (
                "node P { a: I32? @index(x), b: I32? @index(x) }",
                "already the name",
            ),
            ("node P { a: I32? @index(p_pkey) }", "already the name"),
            ("node P { a: I32? @index(q) }\nnode Q {}", "name of a table"),
            (
                "node P { a: String @key @index(k) }",
                "takes no named or typed @index",
            ),
            ("node P { a: I32? @index(x y) }", "expected ')'"),
        ] {
            let err = parse_schema(src).unwrap_err().to_string();
            assert!(err.contains(needle), "{src}: {err}");
        }
    }
}
