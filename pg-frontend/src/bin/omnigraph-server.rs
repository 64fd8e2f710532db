//! `omnigraph-server`: the Postgres-wire server. See docs/server.md.
// The server loop's async state machine nests deeper than the default query depth.
#![recursion_limit = "256"]

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};
use omnigraph_pg::users::{ScramSecret, User, parse_role, validate_user_name};
use omnigraph_pg::{ConnectionLimits, LogSettings, Server, ServerConfig};

#[derive(Parser)]
#[command(
    name = "omnigraph-server",
    version,
    about = "OmniGraph SQL over the Postgres wire protocol"
)]
struct Args {
    /// Directory holding the graphs; each sub-directory is one graph (database).
    #[arg(long, default_value = "./omnigraph-data")]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5433")]
    listen: SocketAddr,
    /// Create graph `demo` with a small social dataset if it is missing.
    #[arg(long)]
    demo: bool,
    /// Users file (SCRAM-SHA-256 secrets and roles); without it only loopback is allowed
    /// and every local client is trusted as admin.
    #[arg(long)]
    users: Option<PathBuf>,
    /// TLS certificate chain (PEM).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Connections open at once, authenticated or not (PostgreSQL's max_connections);
    /// past it a client gets `FATAL 53300 sorry, too many clients already`.
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_connections: usize,
    /// Seconds a client may take to connect and authenticate (PostgreSQL's
    /// authentication_timeout); a connection still starting up after that is closed.
    #[arg(long, value_name = "SECONDS",
          default_value_t = ConnectionLimits::default().authentication_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    authentication_timeout: u64,
    /// Milliseconds a session may wait for its next statement outside a transaction
    /// before it is closed with `FATAL 57P05` (PostgreSQL's idle_session_timeout, the
    /// default of every session's setting); 0, the default, waits for ever.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    idle_session_timeout: u64,
    /// Milliseconds a session may wait for its next statement inside a transaction before
    /// it is closed with `FATAL 25P03`, its transaction rolled back (PostgreSQL's
    /// idle_in_transaction_session_timeout); 0, the default, waits for ever.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    idle_in_transaction_session_timeout: u64,
    /// Milliseconds the server waits for a client to take any of what it is sent (a
    /// client that stopped reading a result) before it closes the connection, ending
    /// the statement; 0 waits for ever.
    #[arg(long, value_name = "MS",
          default_value_t = ConnectionLimits::default().client_send_timeout.as_millis() as u64)]
    client_send_timeout: u64,
    /// Log each connection received and authorized (PostgreSQL's log_connections; off
    /// by default, as there). The log goes to standard error; errors are always logged.
    #[arg(long)]
    log_connections: bool,
    /// Log each session's end with its duration (PostgreSQL's log_disconnections).
    #[arg(long)]
    log_disconnections: bool,
    /// Log every statement that takes at least this many milliseconds, with its
    /// duration; 0 logs all, -1 none (PostgreSQL's log_min_duration_statement; an admin
    /// may change it for a session with SET).
    #[arg(long, value_name = "MS", default_value_t = -1, allow_negative_numbers = true,
          value_parser = clap::value_parser!(i64).range(-1..))]
    log_min_duration_statement: i64,
    /// The memory every session's statements may hold together (sorts, aggregates, joins,
    /// buffered rows), with a unit (`512MB`, `8GB`); past it an operator spills to
    /// temporary files or its statement fails with 53200. Default: half the machine's
    /// memory. Each statement is also bounded by its session's
    /// omnigraph.statement_memory_limit (default 1GB).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    memory_limit: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a users-file line for NAME with ROLE (read, write or admin); the password
    /// is read from standard input.
    Passwd { name: String, role: String },
}

fn parse_memory_limit(text: &str) -> Result<u64, String> {
    omnigraph_sql::memory::parse_memory("--memory-limit", text).map_err(|e| e.to_string())
}

fn passwd(name: &str, role: &str) -> Result<String, String> {
    validate_user_name(name).map_err(|e| e.to_string())?;
    let role = parse_role(role).map_err(|e| e.to_string())?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| e.to_string())?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("empty password on standard input".to_string());
    }
    let secret = ScramSecret::generate(password).map_err(|e| e.to_string())?;
    Ok(User {
        name: name.to_string(),
        role,
        secret,
    }
    .to_string())
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Passwd { name, role }) = &args.command {
        return match passwd(name, role) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("omnigraph-server passwd: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(bytes) = args.memory_limit {
        omnigraph_sql::memory::set_process_memory_limit(
            usize::try_from(bytes).unwrap_or(usize::MAX),
        );
    }
    let config = ServerConfig {
        data_dir: args.data_dir,
        listen: args.listen,
        demo: args.demo,
        users: args.users,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        limits: ConnectionLimits {
            max_connections: args.max_connections,
            authentication_timeout: Duration::from_secs(args.authentication_timeout),
            idle_session_timeout: Duration::from_millis(args.idle_session_timeout),
            idle_in_transaction_session_timeout: Duration::from_millis(
                args.idle_in_transaction_session_timeout,
            ),
            client_send_timeout: Duration::from_millis(args.client_send_timeout),
        },
        log: LogSettings {
            connections: args.log_connections,
            disconnections: args.log_disconnections,
            min_duration_statement: u64::try_from(args.log_min_duration_statement)
                .ok()
                .map(Duration::from_millis),
        },
    };
    let server = match Server::bind(config.clone()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("omnigraph-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = server
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    eprintln!(
        "omnigraph-server: listening on {addr}, data directory {}",
        config.data_dir.display()
    );
    if server.trusts_local_clients() {
        eprintln!(
            "omnigraph-server: no --users file: every local connection is trusted with the admin role (development mode)"
        );
    }
    tokio::select! {
        result = server.serve() => {
            if let Err(e) = result {
                eprintln!("omnigraph-server: {e}");
                return ExitCode::FAILURE;
            }
        }
        _ = tokio::signal::ctrl_c() => eprintln!("omnigraph-server: shutting down"),
    }
    ExitCode::SUCCESS
}
