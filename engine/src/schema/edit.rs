//! Edits of schema text that keep the rest of it as written (layout, comments, order):
//! `CREATE INDEX` and `DROP INDEX` change one property's `@index` annotation.

use super::model::IndexDecl;
use super::parser::parse_with_spans;
use crate::error::{Error, Result};

/// `source` with property `table.column`'s `@index` annotation set to `index` (or removed,
/// with `None`). The text is parsed again by the caller's schema apply, which validates it.
pub fn set_property_index(
    source: &str,
    table: &str,
    column: &str,
    index: Option<&IndexDecl>,
) -> Result<String> {
    let (_, spans) = parse_with_spans(source, &[])?;
    let span = spans
        .iter()
        .find(|s| s.table == table && s.column == column)
        .ok_or_else(|| {
            Error::InvalidArgument(format!("the schema declares no property {table}.{column}"))
        })?;
    let mut out = String::with_capacity(source.len() + 32);
    match (&span.index, index) {
        (Some(range), Some(decl)) => {
            out.push_str(&source[..range.start]);
            out.push_str(&decl.to_string());
            out.push_str(&source[range.end..]);
        }
        (Some(range), None) => {
            // The annotation and the blanks before it on its line.
            let start = source[..range.start].trim_end_matches([' ', '\t']).len();
            out.push_str(&source[..start]);
            out.push_str(&source[range.end..]);
        }
        (None, Some(decl)) => {
            out.push_str(&source[..span.end]);
            out.push(' ');
            out.push_str(&decl.to_string());
            out.push_str(&source[span.end..]);
        }
        (None, None) => out.push_str(source),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{IndexMethod, parse_schema};

    const SRC: &str = "# people\nnode Person {\n  name: String @key,\n  age: I32?, // years\n  tags: [String]? @index\n}\n";

    #[test]
    fn adds_changes_and_removes_an_index_keeping_the_text() {
        let decl = IndexDecl {
            name: Some("by_age".into()),
            method: Some(IndexMethod::Bitmap),
            metric: None,
        };
        let added = set_property_index(SRC, "person", "age", Some(&decl)).unwrap();
        assert_eq!(
            added,
            "# people\nnode Person {\n  name: String @key,\n  age: I32? @index(by_age using bitmap), // years\n  tags: [String]? @index\n}\n"
        );
        let parsed = parse_schema(&added).unwrap();
        assert_eq!(parsed.nodes["person"].properties[1].index, Some(decl));

        let renamed = set_property_index(
            &added,
            "person",
            "age",
            Some(&IndexDecl {
                name: None,
                method: None,
                metric: None,
            }),
        )
        .unwrap();
        assert!(renamed.contains("age: I32? @index, // years"), "{renamed}");

        let removed = set_property_index(&renamed, "person", "age", None).unwrap();
        assert_eq!(removed, SRC);
        let removed = set_property_index(SRC, "person", "tags", None).unwrap();
        assert!(removed.contains("tags: [String]?\n}"), "{removed}");
    }

    #[test]
    fn an_unknown_property_is_an_error() {
        assert!(set_property_index(SRC, "person", "nope", None).is_err());
        assert!(set_property_index(SRC, "company", "age", None).is_err());
    }
}
