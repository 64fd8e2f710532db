//! A parsed graph table carried inside sqlparser's AST, so the statement holds it from
//! parsing to planning: sqlparser has no table factor for `GRAPH_TABLE`, so the dialect
//! parses the body as the one argument of a table function `graph_table(...)`, encoded
//! as nested tuples tagged by what they hold. The SQL expressions inside stay themselves,
//! so the statement's syntax passes rewrite them like any other expression.

use datafusion::sql::sqlparser::ast::{Expr, Ident, Value};

use super::ast::{
    EdgeDirection, ElementPattern, GraphTable, LabelExpr, OutputColumn, PathFactor, PathMode,
    PathPattern, Quantifier, Selector,
};

fn text(value: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(value.to_string()))
}

fn number(n: u64) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

fn tuple(items: Vec<Expr>) -> Expr {
    Expr::Tuple(items)
}

fn tagged(tag: &str, mut items: Vec<Expr>) -> Expr {
    items.insert(0, text(tag));
    tuple(items)
}

fn optional(expr: Option<Expr>) -> Expr {
    tuple(expr.into_iter().collect())
}

fn ident(name: &Ident) -> Expr {
    Expr::Identifier(name.clone())
}

fn optional_ident(name: &Option<Ident>) -> Expr {
    optional(name.as_ref().map(ident))
}

fn quantifier(q: &Option<Quantifier>) -> Expr {
    optional(q.map(|q| {
        tuple(vec![
            number(q.min.into()),
            optional(q.max.map(|m| number(m.into()))),
        ])
    }))
}

fn element(e: &ElementPattern) -> Vec<Expr> {
    let labels = match &e.labels {
        LabelExpr::Any => optional(None),
        LabelExpr::OneOf(names) => optional(Some(tuple(names.iter().map(ident).collect()))),
    };
    let properties = e
        .properties
        .iter()
        .map(|(k, v)| tuple(vec![ident(k), v.clone()]))
        .collect();
    vec![
        optional_ident(&e.variable),
        labels,
        tuple(properties),
        optional(e.filter.clone()),
    ]
}

fn factors(path: &[PathFactor]) -> Expr {
    tuple(
        path.iter()
            .map(|f| match f {
                PathFactor::Node(e) => tagged("node", element(e)),
                PathFactor::Edge {
                    element: e,
                    direction,
                    quantifier: q,
                } => {
                    let mut items = element(e);
                    items.push(text(match direction {
                        EdgeDirection::Right => "right",
                        EdgeDirection::Left => "left",
                        EdgeDirection::Either => "either",
                    }));
                    items.push(quantifier(q));
                    tagged("edge", items)
                }
                PathFactor::Group {
                    path,
                    filter,
                    quantifier: q,
                } => tagged(
                    "group",
                    vec![factors(path), optional(filter.clone()), quantifier(q)],
                ),
            })
            .collect(),
    )
}

/// `graph_table`'s argument for `table`.
pub fn to_expr(table: &GraphTable) -> Expr {
    let paths = table
        .paths
        .iter()
        .map(|p| {
            let (selector, k) = match p.selector {
                Selector::All => ("all", 0),
                Selector::Any(k) => ("any", k),
                Selector::AnyShortest => ("any shortest", 1),
                Selector::AllShortest => ("all shortest", 0),
                Selector::Shortest(k) => ("shortest", k),
            };
            let mode = match p.mode {
                PathMode::Walk => "walk",
                PathMode::Trail => "trail",
                PathMode::Acyclic => "acyclic",
                PathMode::Simple => "simple",
            };
            tuple(vec![
                optional_ident(&p.variable),
                text(selector),
                number(k),
                text(mode),
                factors(&p.path),
            ])
        })
        .collect();
    let columns = table
        .columns
        .iter()
        .map(|c| tuple(vec![c.expr.clone(), optional_ident(&c.alias)]))
        .collect();
    tagged(
        "graph_table",
        vec![
            ident(&table.graph),
            optional(table.as_of.clone()),
            tuple(paths),
            optional(table.filter.clone()),
            tuple(columns),
        ],
    )
}

/// A malformed encoding: only a statement built by hand gets here.
fn malformed<T>(what: &str) -> Result<T, String> {
    Err(format!(
        "graph_table() takes a graph pattern (malformed {what})"
    ))
}

fn items<'e>(expr: &'e Expr, what: &str) -> Result<&'e [Expr], String> {
    match expr {
        Expr::Tuple(items) => Ok(items),
        _ => malformed(what),
    }
}

fn items_n<'e, const N: usize>(expr: &'e Expr, what: &str) -> Result<&'e [Expr; N], String> {
    items(expr, what)?.try_into().or_else(|_| malformed(what))
}

fn text_of<'e>(expr: &'e Expr, what: &str) -> Result<&'e str, String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Ok(s),
            _ => malformed(what),
        },
        _ => malformed(what),
    }
}

fn number_of(expr: &Expr, what: &str) -> Result<u64, String> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().or_else(|_| malformed(what)),
            _ => malformed(what),
        },
        _ => malformed(what),
    }
}

fn ident_of(expr: &Expr, what: &str) -> Result<Ident, String> {
    match expr {
        Expr::Identifier(i) => Ok(i.clone()),
        _ => malformed(what),
    }
}

fn optional_of<'e>(expr: &'e Expr, what: &str) -> Result<Option<&'e Expr>, String> {
    match items(expr, what)? {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => malformed(what),
    }
}

fn tagged_of<'e>(expr: &'e Expr, tag: &str) -> Result<Option<&'e [Expr]>, String> {
    let all = items(expr, tag)?;
    match all.split_first() {
        Some((first, rest)) if text_of(first, tag)? == tag => Ok(Some(rest)),
        _ => Ok(None),
    }
}

fn quantifier_of(expr: &Expr) -> Result<Option<Quantifier>, String> {
    let Some(q) = optional_of(expr, "quantifier")? else {
        return Ok(None);
    };
    let [min, max] = items_n::<2>(q, "quantifier")?;
    let bound = |e: &Expr| -> Result<u32, String> {
        u32::try_from(number_of(e, "quantifier")?).or_else(|_| malformed("quantifier"))
    };
    Ok(Some(Quantifier {
        min: bound(min)?,
        max: optional_of(max, "quantifier")?.map(bound).transpose()?,
    }))
}

fn element_of(items: &[Expr]) -> Result<ElementPattern, String> {
    let [variable, labels, properties, filter] = items else {
        return malformed("element");
    };
    let labels = match optional_of(labels, "labels")? {
        None => LabelExpr::Any,
        Some(names) => LabelExpr::OneOf(
            self::items(names, "labels")?
                .iter()
                .map(|n| ident_of(n, "label"))
                .collect::<Result<_, _>>()?,
        ),
    };
    let properties = self::items(properties, "properties")?
        .iter()
        .map(|p| {
            let [k, v] = items_n::<2>(p, "property")?;
            Ok((ident_of(k, "property")?, v.clone()))
        })
        .collect::<Result<_, String>>()?;
    Ok(ElementPattern {
        variable: optional_of(variable, "variable")?
            .map(|v| ident_of(v, "variable"))
            .transpose()?,
        labels,
        properties,
        filter: optional_of(filter, "filter")?.cloned(),
    })
}

fn factors_of(expr: &Expr) -> Result<Vec<PathFactor>, String> {
    items(expr, "path")?
        .iter()
        .map(|f| {
            if let Some(rest) = tagged_of(f, "node")? {
                return Ok(PathFactor::Node(element_of(rest)?));
            }
            if let Some(rest) = tagged_of(f, "edge")? {
                let (element, tail) = rest.split_at(rest.len().min(4));
                let [direction, q] = tail else {
                    return malformed("edge");
                };
                let direction = match text_of(direction, "direction")? {
                    "right" => EdgeDirection::Right,
                    "left" => EdgeDirection::Left,
                    "either" => EdgeDirection::Either,
                    _ => return malformed("direction"),
                };
                return Ok(PathFactor::Edge {
                    element: element_of(element)?,
                    direction,
                    quantifier: quantifier_of(q)?,
                });
            }
            if let Some(rest) = tagged_of(f, "group")? {
                let [path, filter, q] = rest else {
                    return malformed("group");
                };
                return Ok(PathFactor::Group {
                    path: factors_of(path)?,
                    filter: optional_of(filter, "filter")?.cloned(),
                    quantifier: quantifier_of(q)?,
                });
            }
            malformed("path factor")
        })
        .collect()
}

/// The graph table `graph_table`'s argument encodes, `None` if it is not one.
pub fn from_expr(expr: &Expr) -> Result<Option<GraphTable>, String> {
    let Expr::Tuple(_) = expr else {
        return Ok(None);
    };
    let Some(rest) = tagged_of(expr, "graph_table")? else {
        return Ok(None);
    };
    let [graph, as_of, paths, filter, columns] = rest else {
        return malformed("graph table");
    };
    let paths = items(paths, "paths")?
        .iter()
        .map(|p| {
            let [variable, selector, k, mode, path] = items_n::<5>(p, "path pattern")?;
            let k = number_of(k, "selector")?;
            let selector = match text_of(selector, "selector")? {
                "all" => Selector::All,
                "any" => Selector::Any(k),
                "any shortest" => Selector::AnyShortest,
                "all shortest" => Selector::AllShortest,
                "shortest" => Selector::Shortest(k),
                _ => return malformed("selector"),
            };
            let mode = match text_of(mode, "mode")? {
                "walk" => PathMode::Walk,
                "trail" => PathMode::Trail,
                "acyclic" => PathMode::Acyclic,
                "simple" => PathMode::Simple,
                _ => return malformed("mode"),
            };
            Ok(PathPattern {
                variable: optional_of(variable, "path variable")?
                    .map(|v| ident_of(v, "path variable"))
                    .transpose()?,
                selector,
                mode,
                path: factors_of(path)?,
            })
        })
        .collect::<Result<_, String>>()?;
    let columns = items(columns, "columns")?
        .iter()
        .map(|c| {
            let [expr, alias] = items_n::<2>(c, "column")?;
            Ok(OutputColumn {
                expr: expr.clone(),
                alias: optional_of(alias, "alias")?
                    .map(|a| ident_of(a, "alias"))
                    .transpose()?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Some(GraphTable {
        graph: ident_of(graph, "graph")?,
        as_of: optional_of(as_of, "as of")?.cloned(),
        paths,
        filter: optional_of(filter, "filter")?.cloned(),
        columns,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph_table::parser::parse_for_test;

    #[test]
    fn a_graph_table_survives_its_encoding() {
        for sql in [
            "g MATCH (a:Person WHERE a.age > 3)-[e:knows]->{1,3}(b {name: 'x'}) COLUMNS (a.name AS n, b.age)",
            "g FOR SYSTEM_TIME AS OF 3 MATCH p = ALL SHORTEST SIMPLE (a)((x)-[]-(y) WHERE x.v < y.v)*(b:%), SHORTEST 2 ACYCLIC (b)<-(c) WHERE a.v = $1 COLUMNS (path_length(p), vertices(p))",
            "g MATCH ANY 3 TRAIL (a IS A|B)-[IS k]-?(b) COLUMNS (element_id(a))",
        ] {
            let table = parse_for_test(sql).unwrap();
            assert_eq!(from_expr(&to_expr(&table)).unwrap(), Some(table), "{sql}");
        }
        assert_eq!(
            from_expr(&Expr::value(Value::Number("1".into(), false))),
            Ok(None)
        );
    }
}
