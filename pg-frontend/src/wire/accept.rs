//! Accepting connections. No accept error ends the server: the common one under attack is
//! running out of file descriptors (EMFILE, ENFILE), which a flood of idle connections
//! causes and which passes as soon as some of them close. On such an error the loop
//! pauses, since the socket waiting in the backlog stays there and accepting again at
//! once would only spin on the same error; other errors concern one connection, and the
//! next one is accepted at once. Errors are logged, at most once a second.

use std::io;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

/// How long to wait for descriptors or memory to come back before accepting again.
const RESOURCE_PAUSE: Duration = Duration::from_millis(50);
const LOG_INTERVAL: Duration = Duration::from_secs(1);

pub struct Acceptor {
    listener: TcpListener,
    last_logged: Option<Instant>,
    /// Errors not logged since the last one that was.
    unlogged: u64,
}

impl Acceptor {
    pub fn new(listener: TcpListener) -> Self {
        Acceptor {
            listener,
            last_logged: None,
            unlogged: 0,
        }
    }

    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// The next connection; errors on the way are logged and waited out.
    pub async fn accept(&mut self) -> TcpStream {
        loop {
            match self.listener.accept().await {
                Ok((socket, _)) => return socket,
                Err(error) => {
                    self.log(&error);
                    if is_out_of_resources(&error) {
                        tokio::time::sleep(RESOURCE_PAUSE).await;
                    }
                }
            }
        }
    }

    fn log(&mut self, error: &io::Error) {
        let now = Instant::now();
        if self
            .last_logged
            .is_some_and(|last| now.duration_since(last) < LOG_INTERVAL)
        {
            self.unlogged += 1;
            return;
        }
        if self.unlogged > 0 {
            eprintln!(
                "omnigraph-server: could not accept new connection: {error} (and {} more errors)",
                self.unlogged
            );
        } else {
            eprintln!("omnigraph-server: could not accept new connection: {error}");
        }
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}

fn is_out_of_resources(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}
