//! What a full-text search asks of a text column's inverted index (Lance's, BM25), shared
//! by `text_search(...)` and the `text_match` / `text_score` predicate: the query modes and
//! the check that the column is indexed text.
//!
//! Modes: `match` (default: any term, BM25 over the terms), `all` (every term),
//! `phrase` (the terms adjacent, in order) and `fuzzy` (any term, each matching indexed
//! terms within a Levenshtein distance: 0 for terms of up to 2 letters, 1 up to 5, else
//! 2, Lance's automatic fuzziness, taken for the query's longest term).

use std::fmt;

use omnigraph_engine::IndexError;
use omnigraph_engine::lance_index::scalar::inverted::query::{
    FtsQuery, MatchQuery, Operator, PhraseQuery,
};
use omnigraph_engine::schema::{IndexMethod, PropType, TableDef};
use omnigraph_engine::write::indexes::required_indexes;

use crate::error::{DfResult, to_df};
use crate::functions::args::invalid;

/// The column of a Lance full-text search's output holding each row's BM25 score.
pub const SCORE_COLUMN: &str = "_score";

/// How the query's terms match a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextMode {
    #[default]
    Match,
    All,
    Phrase,
    Fuzzy,
}

impl TextMode {
    /// The mode named `text` (any case), for `function`'s error.
    pub fn parse(function: &str, text: &str) -> DfResult<TextMode> {
        Ok(match text.to_ascii_lowercase().as_str() {
            "match" => TextMode::Match,
            "all" => TextMode::All,
            "phrase" => TextMode::Phrase,
            "fuzzy" => TextMode::Fuzzy,
            other => {
                return Err(invalid(format!(
                    "{function}(): unknown mode '{other}' (expected match, all, phrase or fuzzy)"
                )));
            }
        })
    }
}

impl fmt::Display for TextMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextMode::Match => "match",
            TextMode::All => "all",
            TextMode::Phrase => "phrase",
            TextMode::Fuzzy => "fuzzy",
        })
    }
}

/// Lance's query for `terms` in `column`, matched as `mode` says.
pub fn fts_query(column: &str, terms: &str, mode: TextMode) -> FtsQuery {
    let column = Some(column.to_string());
    let terms = terms.to_string();
    match mode {
        TextMode::Match => MatchQuery::new(terms).with_column(column).into(),
        TextMode::All => MatchQuery::new(terms)
            .with_column(column)
            .with_operator(Operator::And)
            .into(),
        TextMode::Fuzzy => {
            let distance = terms
                .split_whitespace()
                .map(MatchQuery::auto_fuzziness)
                .max()
                .unwrap_or(0);
            MatchQuery::new(terms)
                .with_column(column)
                .with_fuzziness(Some(distance))
                .into()
        }
        TextMode::Phrase => PhraseQuery::new(terms).with_column(column).into(),
    }
}

/// Refuses a search of `column` of `def` unless it is a text property with a full-text
/// index (SQLSTATE 42703 for no such column, 22023 for another type, 55000 for no index).
pub fn require_text_index(function: &str, def: TableDef<'_>, column: &str) -> DfResult<()> {
    let property = def
        .properties()
        .iter()
        .find(|p| p.column == column)
        .ok_or_else(|| {
            to_df(
                IndexError::UnknownColumn {
                    table: def.table().to_string(),
                    column: column.to_string(),
                }
                .into(),
            )
        })?;
    if property.ty != PropType::String {
        return Err(invalid(format!(
            "{function}(): column \"{column}\" is {}, not text",
            property.ty
        )));
    }
    let indexed = required_indexes(def)
        .iter()
        .any(|spec| spec.column == column && spec.method == IndexMethod::Inverted);
    if !indexed {
        return Err(to_df(
            IndexError::NoTextIndex {
                table: def.table().to_string(),
                column: column.to_string(),
            }
            .into(),
        ));
    }
    Ok(())
}
