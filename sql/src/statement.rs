//! The parsed form of a statement. One parser with one dialect ([`OmniGraphDialect`])
//! turns text into [`ParsedStatement`]s: the syntax tree plus what the statement is
//! ([`StatementKind`]), decided once. The shell, the server (which keeps it in its
//! prepared statements and portals) and embedders route by the kind; nothing is turned
//! back into text to be parsed again.

use datafusion::sql::parser::{DFParserBuilder, ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    CopySource, CopyTarget, Expr as SqlExpr, FunctionArg, FunctionArguments, Ident, ObjectName,
    ObjectType, Query, Set, Statement, TransactionMode,
};
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;
use datafusion_omnigraph::{OmniGraphDialect, ProcedureSpec};

pub use crate::cursor::CursorCommand;
use crate::error::{ErrorKind, Result, SqlError};
pub use crate::explain::ExplainFormat;
use crate::names;

/// One parsed statement: its syntax and what it is.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    pub kind: StatementKind,
    /// The syntax DataFusion plans (for `CALL` and `COPY`, see their kinds).
    pub ast: DFStatement,
}

/// What a statement is, which decides where it is routed.
#[derive(Debug, Clone)]
pub enum StatementKind {
    /// A query: `SELECT`, `VALUES`, `WITH`, `SHOW TABLES` ... (planned by DataFusion; a
    /// procedure called in `FROM` is found in the plan).
    Query,
    /// `EXPLAIN [ANALYZE] [VERBOSE] statement` or `EXPLAIN (options) statement`: a query
    /// whose rows are the plan, shown as PostgreSQL shows it ([`crate::explain`]).
    Explain(ExplainFormat),
    /// `INSERT`, `UPDATE`, `DELETE` (`REPLACE INTO` is an `INSERT` that replaces).
    Write,
    /// `CALL p(args)`: a procedure, run as `SELECT * FROM p(args)`.
    Call(Call),
    /// `SET`, `SHOW`, `RESET` of a setting.
    Setting(Setting),
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, savepoints.
    Transaction(TransactionControl),
    /// `DECLARE ... CURSOR`, `FETCH`, `MOVE`, `CLOSE`.
    Cursor(CursorCommand),
    /// `COPY ... TO STDOUT` / `FROM STDIN`: rows to or from the client.
    Copy(Box<Copy>),
    /// Anything else DataFusion plans: DDL of the session, `COPY ... TO 'file'`, ...
    Other,
}

/// A `CALL` of a known procedure, or a statement that is one (`CREATE INDEX`).
#[derive(Debug, Clone)]
pub struct Call {
    pub procedure: &'static ProcedureSpec,
    pub args: Vec<FunctionArg>,
    /// The statement the call stands for, whose command tag it answers with and no rows;
    /// `None` for `CALL` itself.
    pub command: Option<&'static str>,
}

/// `SET`, `SHOW` and `RESET`; names are lower case, dotted (`omnigraph.branch`).
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// `SET name = value[, ...]` (`SET TIME ZONE v` is `SET timezone = v`).
    Set {
        name: String,
        values: Vec<SqlExpr>,
    },
    Show(String),
    ShowAll,
    Reset(String),
    /// Accepted for compatibility and without effect: `SET NAMES`, `DISCARD`,
    /// `DEALLOCATE` ...
    Ignored,
}

impl Setting {
    /// The setting's name, if it names one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Setting::Set { name, .. } | Setting::Show(name) | Setting::Reset(name) => Some(name),
            Setting::ShowAll | Setting::Ignored => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TransactionControl {
    Begin(Vec<TransactionMode>),
    Commit,
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
    /// `SET TRANSACTION modes` (`session`: `SET SESSION CHARACTERISTICS AS TRANSACTION`).
    SetCharacteristics {
        modes: Vec<TransactionMode>,
        session: bool,
    },
}

/// `COPY`: the rows of `query` go to the client (or, `from_client`, come from it).
#[derive(Debug, Clone)]
pub struct Copy {
    /// The `COPY` statement as parsed (options, target).
    pub statement: Statement,
    /// `COPY (query) TO` or `COPY table [(columns)] TO` as the query it copies.
    pub query: Option<DFStatement>,
}

impl Copy {
    /// Whether the copy reads or writes a file on the server, or runs a program there,
    /// rather than exchanging rows with the client.
    pub fn touches_server_files(&self) -> bool {
        matches!(
            self.statement,
            Statement::Copy {
                target: CopyTarget::File { .. } | CopyTarget::Program { .. },
                ..
            }
        )
    }
}

/// Parses `sql` (one or more statements separated by `;`). Text that does not parse is
/// read again without table version clauses, whose keywords PostgreSQL lets a table
/// alias be (see [`OmniGraphDialect::without_table_versions`]); the first error stands.
pub fn parse(sql: &str) -> Result<Vec<ParsedStatement>> {
    parse_with(sql, &OmniGraphDialect::default()).or_else(|error| {
        parse_with(sql, &OmniGraphDialect::without_table_versions()).map_err(|_| error)
    })
}

fn parse_with(sql: &str, dialect: &OmniGraphDialect) -> Result<Vec<ParsedStatement>> {
    let mut parser = DFParserBuilder::new(sql)
        .with_dialect(dialect)
        // Parenthesised expressions and subqueries nest as deep as PostgreSQL lets them
        // (the parser grows its stack as it recurses); `nesting` bounds the rest.
        .with_recursion_limit(crate::nesting::MAX_NESTING)
        .build()
        .map_err(SqlError::from)?;
    let mut statements = Vec::new();
    let mut expecting_delimiter = false;
    loop {
        while parser.parser.consume_token(&Token::SemiColon) {
            expecting_delimiter = false;
        }
        if parser.parser.peek_token_ref().token == Token::EOF {
            break;
        }
        if expecting_delimiter {
            let found = parser.parser.peek_token();
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!("Expected: end of statement, found: {found}"),
            ));
        }
        if crate::explain::at_option_list(&parser) {
            let (mut ast, format) = crate::explain::parse_option_list(&mut parser)?;
            crate::nesting::check(&mut ast)?;
            statements.push(ParsedStatement {
                kind: StatementKind::Explain(format),
                ast,
            });
            expecting_delimiter = true;
            continue;
        }
        if at_move(&parser.parser) {
            parser.parser.next_token();
            let fetch = parser.parser.parse_fetch_statement()?;
            let command = crate::cursor::cursor_command(&fetch, true)?;
            statements.push(ParsedStatement {
                kind: StatementKind::Cursor(command.expect("a FETCH is a cursor command")),
                ast: DFStatement::Statement(Box::new(fetch)),
            });
            expecting_delimiter = true;
            continue;
        }
        let mut ast = if copies_with_client(&parser.parser) {
            DFStatement::Statement(Box::new(parser.parser.parse_statement()?))
        } else {
            parser.parse_statement().map_err(SqlError::from)?
        };
        crate::nesting::check(&mut ast)?;
        statements.push(ParsedStatement::new(ast)?);
        expecting_delimiter = true;
    }
    Ok(statements)
}

/// Parses `sql`, which must be exactly one statement.
pub fn parse_one(sql: &str) -> Result<ParsedStatement> {
    let mut statements = parse(sql)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(SqlError::new(
            ErrorKind::Syntax,
            format!("cannot insert multiple commands into a prepared statement (got {n})"),
        )),
    }
}

/// Whether the parser stands at `MOVE`, which is `FETCH` without the rows (not a
/// keyword of the SQL parser).
fn at_move(parser: &Parser) -> bool {
    matches!(&parser.peek_token_ref().token, Token::Word(w) if w.value.eq_ignore_ascii_case("move"))
}

/// Whether the parser stands at a `COPY` whose rows go to or come from the client
/// (`TO STDOUT`, `FROM STDIN`, PostgreSQL's grammar) rather than DataFusion's `COPY ...
/// TO 'file'`.
fn copies_with_client(parser: &Parser) -> bool {
    let word = |n: usize| match &parser.peek_nth_token_ref(n).token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    };
    if word(0) != Some(Keyword::COPY) {
        return false;
    }
    // Past the source: a parenthesised query, or a table name with optional columns.
    let mut n = 1;
    let mut depth = 0usize;
    loop {
        match &parser.peek_nth_token_ref(n).token {
            Token::EOF => return false,
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 && matches!(w.keyword, Keyword::TO | Keyword::FROM) => {
                break;
            }
            _ => {}
        }
        n += 1;
    }
    let from = word(n) == Some(Keyword::FROM);
    from || !matches!(
        parser.peek_nth_token_ref(n + 1).token,
        Token::SingleQuotedString(_)
    )
}

impl ParsedStatement {
    /// Classifies a parsed statement.
    pub fn new(ast: DFStatement) -> Result<ParsedStatement> {
        let kind = match &ast {
            DFStatement::Statement(s) => classify(s)?,
            DFStatement::Explain(_) => StatementKind::Explain(ExplainFormat::Text),
            DFStatement::Reset(ResetStatement::Variable(name)) => {
                StatementKind::Setting(Setting::Reset(names::setting_name(&name.0)))
            }
            _ => StatementKind::Other,
        };
        Ok(ParsedStatement { kind, ast })
    }

    /// The statement as a query, for the kinds that are run as one.
    pub fn is_query(&self) -> bool {
        matches!(self.kind, StatementKind::Query | StatementKind::Explain(_))
    }

    /// Whether the statement may change how later statements are planned: settings, DDL,
    /// procedures (`apply_schema`) and transaction control (inside a transaction, a
    /// branch's schema names its private branch) may; queries and writes do not (a plan
    /// reads each table at its statement's version).
    pub fn may_change_plans(&self) -> bool {
        matches!(
            self.kind,
            StatementKind::Setting(_)
                | StatementKind::Call(_)
                | StatementKind::Other
                | StatementKind::Transaction(_)
        )
    }

    /// The inner sqlparser statement, if it is one.
    pub fn sql_statement(&self) -> Option<&Statement> {
        match &self.ast {
            DFStatement::Statement(s) => Some(s),
            _ => None,
        }
    }

    pub fn sql_statement_mut(&mut self) -> Option<&mut Statement> {
        match &mut self.ast {
            DFStatement::Statement(s) => Some(s),
            _ => None,
        }
    }
}

fn classify(statement: &Statement) -> Result<StatementKind> {
    Ok(match statement {
        Statement::Query(_)
        | Statement::Explain { .. }
        | Statement::ExplainTable { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowCreate { .. } => StatementKind::Query,
        Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) => {
            StatementKind::Write
        }
        Statement::Call(function) => StatementKind::Call(call(function)?),
        Statement::Declare { .. } | Statement::Fetch { .. } | Statement::Close { .. } => {
            match crate::cursor::cursor_command(statement, false)? {
                Some(command) => StatementKind::Cursor(command),
                None => StatementKind::Other,
            }
        }
        Statement::Set(set) => StatementKind::Setting(match set {
            Set::SingleAssignment {
                variable, values, ..
            } => Setting::Set {
                name: names::setting_name(&variable.0),
                values: values.clone(),
            },
            Set::SetTimeZone { value, .. } => Setting::Set {
                name: "timezone".to_string(),
                values: vec![value.clone()],
            },
            Set::SetTransaction { modes, session, .. } => {
                return Ok(StatementKind::Transaction(
                    TransactionControl::SetCharacteristics {
                        modes: modes.clone(),
                        session: *session,
                    },
                ));
            }
            _ => Setting::Ignored,
        }),
        Statement::ShowVariable { variable } => {
            let name = names::dotted(variable);
            StatementKind::Setting(match name.as_str() {
                "all" => Setting::ShowAll,
                "transaction.isolation.level" => Setting::Show("transaction_isolation".into()),
                "time.zone" => Setting::Show("timezone".into()),
                _ => Setting::Show(name),
            })
        }
        Statement::Discard { .. } | Statement::Deallocate { .. } => {
            StatementKind::Setting(Setting::Ignored)
        }
        Statement::StartTransaction { modes, .. } => {
            StatementKind::Transaction(TransactionControl::Begin(modes.clone()))
        }
        Statement::Commit { .. } => StatementKind::Transaction(TransactionControl::Commit),
        Statement::Rollback {
            savepoint: None, ..
        } => StatementKind::Transaction(TransactionControl::Rollback),
        Statement::Rollback {
            savepoint: Some(name),
            ..
        } => StatementKind::Transaction(TransactionControl::RollbackTo(name.value.clone())),
        Statement::Savepoint { name } => {
            StatementKind::Transaction(TransactionControl::Savepoint(name.value.clone()))
        }
        Statement::ReleaseSavepoint { name } => {
            StatementKind::Transaction(TransactionControl::Release(name.value.clone()))
        }
        Statement::CreateDatabase { .. }
        | Statement::Drop {
            object_type: ObjectType::Database,
            ..
        } => return Err(graphs_are_directories()),
        Statement::AlterTable(_) => return Err(crate::ddl::alter_table()),
        Statement::CreateIndex(index) => StatementKind::Call(crate::ddl::create_index_call(index)?),
        Statement::Drop {
            object_type: ObjectType::Index,
            names,
            if_exists,
            ..
        } => StatementKind::Call(crate::ddl::drop_index_call(names, *if_exists)?),
        Statement::Drop {
            object_type: kind @ (ObjectType::Table | ObjectType::View),
            names,
            ..
        } if names.len() > 1 => return Err(crate::ddl::drop_several(&kind.to_string(), names)),
        Statement::Copy { source, to, .. } => StatementKind::Copy(Box::new(Copy {
            statement: statement.clone(),
            query: to.then(|| copied_query(source)),
        })),
        _ => StatementKind::Other,
    })
}

/// `CREATE DATABASE`/`DROP DATABASE`: a database is a graph, a directory the server
/// opens by name; SQL neither creates nor deletes one.
fn graphs_are_directories() -> SqlError {
    SqlError::new(
        ErrorKind::NotSupported,
        "CREATE DATABASE and DROP DATABASE are not supported: a database is a graph \
         directory; create one with `omnigraph-sql --graph DIR/name` (or the server's \
         --demo) and delete its directory to drop it",
    )
}

fn call(function: &datafusion::sql::sqlparser::ast::Function) -> Result<Call> {
    let name = names::object_name(&function.name);
    let procedure = datafusion_omnigraph::procedure(&name).ok_or_else(|| {
        let known: Vec<&str> = datafusion_omnigraph::PROCEDURES
            .iter()
            .map(|p| p.name)
            .collect();
        SqlError::new(
            ErrorKind::UndefinedFunction,
            format!(
                "procedure {name} does not exist (procedures: {})",
                known.join(", ")
            ),
        )
    })?;
    let args = match &function.args {
        FunctionArguments::None => vec![],
        FunctionArguments::List(list) => list.args.clone(),
        FunctionArguments::Subquery(_) => {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "CALL takes literal arguments",
            ));
        }
    };
    Ok(Call {
        procedure,
        args: crate::procedure_arguments::positional_arguments(procedure, args)?,
        command: None,
    })
}

/// The query whose rows `COPY source TO ...` copies.
fn copied_query(source: &CopySource) -> DFStatement {
    let query: Box<Query> = match source {
        CopySource::Query(query) => query.clone(),
        CopySource::Table {
            table_name,
            columns,
        } => crate::syntax::select_from_table(table_name.clone(), columns),
    };
    DFStatement::Statement(Box::new(Statement::Query(query)))
}

/// Whether a `COPY` target is the client.
pub fn copies_to_client(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Copy {
            target: CopyTarget::Stdout | CopyTarget::Stdin,
            ..
        }
    )
}

/// A `CALL`'s statement: `SELECT * FROM p(args)`.
pub fn call_as_query(call: &Call) -> DFStatement {
    let name = ObjectName::from(vec![Ident::new(call.procedure.name)]);
    DFStatement::Statement(Box::new(Statement::Query(
        crate::syntax::select_all_from_function(name, call.args.clone()),
    )))
}

impl ParsedStatement {
    /// Whether running the statement changes nothing, so stopping it half-way (a cancel,
    /// a timeout) loses nothing: a query that calls no procedure with an effect, `SHOW`,
    /// `EXPLAIN` without `ANALYZE`. Writes run to completion once started.
    pub fn only_reads(&self) -> bool {
        match &self.ast {
            DFStatement::Explain(explain) => !explain.analyze,
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::Query(_) => !calls_procedure_with_effect(s),
                Statement::ShowVariable { .. } => true,
                _ => false,
            },
            _ => false,
        }
    }
}

/// Whether `statement` calls, anywhere in `FROM`, a procedure that changes the graph.
fn calls_procedure_with_effect(statement: &Statement) -> bool {
    use datafusion::sql::sqlparser::ast::{TableFactor, Visit, Visitor};
    use datafusion_omnigraph::Effect;
    use std::ops::ControlFlow;

    struct Finder;
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            let name = match factor {
                TableFactor::Table {
                    name,
                    args: Some(_),
                    ..
                }
                | TableFactor::Function { name, .. } => name,
                _ => return ControlFlow::Continue(()),
            };
            let called = name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(names::normalized);
            match called.as_deref().and_then(datafusion_omnigraph::procedure) {
                Some(p) if p.effect != Effect::Reads => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    statement.visit(&mut Finder).is_break()
}
