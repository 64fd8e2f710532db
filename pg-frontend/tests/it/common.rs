use std::net::SocketAddr;
use std::path::PathBuf;

use omnigraph_pg::{ConnectionLimits, Server, ServerConfig};
use tokio_postgres::{Client, NoTls};

/// A server on an ephemeral loopback port, serving a data directory in a temp dir.
pub struct TestServer {
    pub addr: SocketAddr,
    pub _data: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(users: Option<PathBuf>) -> TestServer {
    start_with_limits(users, ConnectionLimits::default()).await
}

pub async fn start_with_limits(users: Option<PathBuf>, limits: ConnectionLimits) -> TestServer {
    start_on(tempfile::tempdir().unwrap(), users, limits).await
}

/// A server on the data directory `data` (a small disk, say).
pub async fn start_on(
    data: tempfile::TempDir,
    users: Option<PathBuf>,
    limits: ConnectionLimits,
) -> TestServer {
    let server = Server::bind(ServerConfig {
        data_dir: data.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        users,
        tls_cert: None,
        tls_key: None,
        limits,
        log: Default::default(),
    })
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = server.serve().await;
    });
    TestServer {
        addr,
        _data: data,
        task,
    }
}

impl TestServer {
    pub fn url(&self, user: &str, database: &str) -> String {
        format!(
            "host={} port={} user={user} dbname={database}",
            self.addr.ip(),
            self.addr.port()
        )
    }

    pub async fn try_connect(
        &self,
        user: &str,
        password: Option<&str>,
        database: &str,
    ) -> Result<Client, tokio_postgres::Error> {
        let mut url = self.url(user, database);
        if let Some(p) = password {
            url.push_str(&format!(" password={p}"));
        }
        let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    pub async fn connect(&self, database: &str) -> Client {
        self.try_connect("tester", None, database).await.unwrap()
    }
}

/// The SQLSTATE of a failed statement.
pub fn sqlstate(err: &tokio_postgres::Error) -> String {
    err.code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| format!("no SQLSTATE: {err}"))
}
