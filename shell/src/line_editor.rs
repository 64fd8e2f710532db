//! The line editor's helper: datafusion-cli's highlighting, hints and completion, with a
//! validator that knows when one of our statements is complete.

use std::borrow::Cow;

use datafusion_cli::helper::CliHelper;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

/// datafusion-cli's helper, with a validator that accepts our statements (`CALL`, version
/// clauses): a statement is complete once it ends with `;` outside quotes.
pub struct ReplHelper(pub CliHelper);

fn ends_statement(input: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let mut last_significant = None;
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if !single && !double && c == '-' && chars.get(i) == Some(&'-') {
            // A `--` comment runs to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        if !c.is_whitespace() {
            last_significant = Some((c, single || double));
        }
    }
    matches!(last_significant, Some((';', false)))
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input().trim();
        if input.is_empty() || input.starts_with('\\') || ends_statement(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        self.0.highlight(line, pos)
    }
    fn highlight_char(&self, line: &str, pos: usize, kind: CmdKind) -> bool {
        self.0.highlight_char(line, pos, kind)
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.0.hint(line, pos, ctx)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        self.0.complete(line, pos, ctx)
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::ends_statement;

    #[test]
    fn a_statement_ends_at_a_semicolon_outside_quotes_and_comments() {
        assert!(ends_statement("SELECT 1;"));
        assert!(ends_statement("CALL create_branch('b');  \n"));
        assert!(ends_statement("SELECT 1; -- done"));
        assert!(!ends_statement("SELECT 1"));
        assert!(!ends_statement("SELECT 'a;"));
        assert!(!ends_statement("SELECT \"a;"));
        assert!(!ends_statement("SELECT 1 -- not yet;"));
        assert!(ends_statement("SELECT 'it''s';"));
    }
}
