//! The server: listens, negotiates TLS, and serves each connection with its own handlers
//! and SQL session; graphs are shared between connections through the registry.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use pgwire::api::auth::DefaultServerParameterProvider;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::{PgWireServerHandlers, RandomPidSecretKeyGenerator};
use pgwire::messages::cancel::CancelRequest;
use tokio::net::TcpListener;

use crate::connection::Connection;
use crate::connection_threads;
use crate::handler::QueryHandler;
use crate::registry::GraphRegistry;
use crate::server_log::{LogSettings, ServerLog};
use crate::startup::Startup;
use crate::users::Users;
use crate::wire::accept::Acceptor;
use crate::wire::admission::{Admission, ConnectionLimits};
use crate::wire::serve_socket::{Deadlines, serve_socket};

/// The PostgreSQL version we answer as (drivers branch on it).
pub const SERVER_VERSION: &str = "15.0";
pub const SERVER_VERSION_NUM: &str = "150000";

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "refusing to listen on {0}: without --users every client is trusted as admin, so only loopback addresses are allowed"
    )]
    TrustOnNetwork(SocketAddr),
    #[error("--tls-cert and --tls-key go together")]
    TlsPair,
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    Users(#[from] crate::users::UsersError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("demo graph: {0}")]
    Demo(String),
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub demo: bool,
    pub users: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub limits: ConnectionLimits,
    pub log: LogSettings,
}

/// A connection's cancel key: its backend pid and secret.
type CancelKey = (i32, Vec<u8>);

/// What every connection shares.
pub struct ServerState {
    pub registry: GraphRegistry,
    pub users: Option<Arc<Users>>,
    pub parameters: Arc<DefaultServerParameterProvider>,
    pub pid_keys: RandomPidSecretKeyGenerator,
    pub log: Arc<ServerLog>,
    pub limits: ConnectionLimits,
    /// Live connections by their cancel key, for cancel requests.
    connections: Mutex<HashMap<CancelKey, Weak<Connection>>>,
}

impl ServerState {
    pub fn new(
        data_dir: PathBuf,
        users: Option<Users>,
        log: LogSettings,
        limits: ConnectionLimits,
    ) -> Arc<ServerState> {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.to_string();
        parameters.date_style = "ISO, MDY".to_string();
        parameters.time_zone = "UTC".to_string();
        Arc::new(ServerState {
            registry: GraphRegistry::new(data_dir),
            users: users.map(Arc::new),
            parameters: Arc::new(parameters),
            pid_keys: RandomPidSecretKeyGenerator::default(),
            log: ServerLog::new(log),
            limits,
            connections: Mutex::new(HashMap::new()),
        })
    }

    pub fn register(&self, pid: i32, key: Vec<u8>, connection: &Arc<Connection>) {
        let mut map = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, c| c.strong_count() > 0);
        map.insert((pid, key), Arc::downgrade(connection));
    }

    fn cancel(&self, pid: i32, key: Vec<u8>) {
        let connection = self
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(pid, key))
            .and_then(Weak::upgrade);
        if let Some(c) = connection {
            c.cancel();
        }
    }
}

/// The handlers of one connection.
struct ConnectionHandlers {
    startup: Arc<Startup>,
    query: Arc<QueryHandler>,
    copy: Arc<crate::copy_in::CopyInHandler>,
    cancel: Arc<Canceller>,
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.query.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.query.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn copy_handler(&self) -> Arc<impl pgwire::api::copy::CopyHandler> {
        self.copy.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancel.clone()
    }
}

struct Canceller {
    server: Arc<ServerState>,
}

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.server
            .cancel(request.pid, request.secret_key.to_bytes().to_vec());
    }
}

fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<pgwire::tokio::TlsAcceptor, ServerError> {
    use pgwire::tokio::tokio_rustls::rustls::ServerConfig as TlsConfig;
    use pgwire::tokio::tokio_rustls::rustls::pki_types::pem::PemObject;
    use pgwire::tokio::tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |e: &dyn std::fmt::Display| ServerError::Tls(e.to_string());
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| tls(&format!("{}: {e}", cert.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(&format!("{}: {e}", cert.display())))?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| tls(&format!("{}: {e}", key.display())))?;
    let provider = Arc::new(pgwire::tokio::tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = TlsConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(pgwire::tokio::TlsAcceptor::from(Arc::new(config)))
}

/// A bound, ready server.
pub struct Server {
    state: Arc<ServerState>,
    acceptor: Acceptor,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    admission: Arc<Admission>,
    limits: ConnectionLimits,
}

impl Server {
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        let users = match &config.users {
            Some(path) => Some(Users::load(&path.to_string_lossy())?),
            None if !is_loopback(&config.listen) => {
                return Err(ServerError::TrustOnNetwork(config.listen));
            }
            None => None,
        };
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
            (None, None) => None,
            _ => return Err(ServerError::TlsPair),
        };
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let state = ServerState::new(
            config.data_dir.clone(),
            users,
            config.log.clone(),
            config.limits,
        );
        if config.demo {
            let path = state.registry.graph_path("demo");
            let graph = omnigraph_sql::demo::ensure_demo_graph(&path.to_string_lossy())
                .await
                .map_err(|e| ServerError::Demo(e.to_string()))?;
            state.registry.insert("demo", graph).await;
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServerError::Listen {
                    addr: config.listen,
                    source,
                })?;
        Ok(Server {
            state,
            acceptor: Acceptor::new(listener),
            tls,
            admission: Admission::new(config.limits.max_connections),
            limits: config.limits,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.acceptor.listener().local_addr()
    }

    pub fn trusts_local_clients(&self) -> bool {
        self.state.users.is_none()
    }

    /// Serves connections until the task is dropped; accept errors are waited out (see
    /// [`Acceptor`]), so it does not return.
    pub async fn serve(mut self) -> std::io::Result<()> {
        loop {
            let socket = self.acceptor.accept().await;
            // Past the limit even for refused connections: closing it is the only answer.
            let Some(ticket) = self.admission.admit() else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            let connection = Connection::new(self.state.clone(), socket.peer_addr().ok());
            let log = connection.log().clone();
            let deadlines = Deadlines {
                authentication: self.limits.authentication_timeout,
                idle: {
                    let connection = connection.clone();
                    move || connection.idle_limit()
                },
                send: Some(self.limits.client_send_timeout).filter(|t| !t.is_zero()),
            };
            let handlers = ConnectionHandlers {
                startup: Arc::new(Startup::new(connection.clone())),
                copy: Arc::new(crate::copy_in::CopyInHandler {
                    connection: connection.clone(),
                }),
                query: Arc::new(QueryHandler::new(connection)),
                cancel: Arc::new(Canceller {
                    server: self.state.clone(),
                }),
            };
            let tls = self.tls.clone();
            // A socket that cannot be handed over is that client's loss, not the server's.
            let Ok(socket) = socket.into_std() else {
                continue;
            };
            connection_threads::spawn(async move {
                let Ok(socket) = tokio::net::TcpStream::from_std(socket) else {
                    return;
                };
                let _ = serve_socket(socket, tls, handlers, ticket, deadlines, &log).await;
            });
        }
    }
}
