//! Names as SQL means them: the one place identifiers are normalised. Unquoted
//! identifiers fold to lower case and quoted ones keep their case (relation, column and
//! procedure names); setting names are case-insensitive, as PostgreSQL's are.

use datafusion::sql::sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

/// An identifier as SQL means it.
pub fn normalized(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    }
}

/// The normalised parts of a qualified name.
pub fn object_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part.as_ident() {
            Some(ident) => normalized(ident),
            None => part.to_string(),
        })
        .collect()
}

/// A qualified name, normalised and joined by `.`.
pub fn object_name(name: &ObjectName) -> String {
    object_parts(name).join(".")
}

/// A setting's name (`omnigraph.branch`): its parts in lower case, joined by `.`.
pub fn setting_name(parts: &[ObjectNamePart]) -> String {
    parts
        .iter()
        .map(|part| match part.as_ident() {
            Some(ident) => ident.value.to_ascii_lowercase(),
            None => part.to_string().to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A name given as identifiers (`SHOW transaction isolation level`), lower case.
pub fn dotted(parts: &[Ident]) -> String {
    parts
        .iter()
        .map(|ident| ident.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// Aggregate functions PostgreSQL and DataFusion share, by name: an expression calling one
/// aggregates (the statement rewrites must not aggregate it again).
pub const AGGREGATE_FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "corr",
    "covar_pop",
    "covar_samp",
    "bit_and",
    "bit_or",
    "bit_xor",
    "median",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "regr_slope",
    "regr_intercept",
    "regr_count",
    "regr_r2",
    "regr_avgx",
    "regr_avgy",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
    "approx_distinct",
    "approx_median",
    "first_value",
    "last_value",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_names_fold_and_quoted_keep_their_case() {
        assert_eq!(normalized(&Ident::new("Person")), "person");
        assert_eq!(normalized(&Ident::with_quote('"', "Person")), "Person");
        let name = ObjectName::from(vec![Ident::new("Main"), Ident::with_quote('"', "T")]);
        assert_eq!(object_name(&name), "main.T");
        assert_eq!(setting_name(&name.0), "main.t");
    }
}
