//! A client that writes protocol bytes by hand, for what no driver would send.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any answer takes; a test that waits this long has failed.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

pub struct RawClient {
    stream: TcpStream,
}

/// A backend message: its type byte and body.
#[derive(Debug)]
pub struct Backend {
    pub message_type: u8,
    pub body: Vec<u8>,
}

impl Backend {
    /// An ErrorResponse's severity, SQLSTATE and message.
    pub fn error(&self) -> Option<(String, String, String)> {
        if self.message_type != b'E' {
            return None;
        }
        let field = |code: u8| {
            self.body
                .split(|b| *b == 0)
                .find(|f| f.first() == Some(&code))
                .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
                .unwrap_or_default()
        };
        Some((field(b'S'), field(b'C'), field(b'M')))
    }
}

/// A typed frontend message.
pub fn message(message_type: u8, body: &[u8]) -> Vec<u8> {
    let mut frame = vec![message_type];
    frame.extend((body.len() as i32 + 4).to_be_bytes());
    frame.extend(body);
    frame
}

/// A startup packet for protocol 3.0.
pub fn startup_packet(user: &str, database: &str) -> Vec<u8> {
    let mut body = 196_608i32.to_be_bytes().to_vec();
    for (name, value) in [("user", user), ("database", database)] {
        body.extend(name.as_bytes());
        body.push(0);
        body.extend(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = (body.len() as i32 + 4).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> RawClient {
        RawClient {
            stream: TcpStream::connect(addr).await.unwrap(),
        }
    }

    /// Connected and started up (trust mode) on `database`, ready for queries.
    pub async fn started(addr: SocketAddr, database: &str) -> RawClient {
        let mut client = RawClient::connect(addr).await;
        client.send(&startup_packet("tester", database)).await;
        loop {
            let answer = client.next().await.expect("the server answers the startup");
            assert_eq!(answer.error(), None, "startup failed");
            if answer.message_type == b'Z' {
                return client;
            }
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next backend message, `None` once the server closed the connection.
    pub async fn next(&mut self) -> Option<Backend> {
        tokio::time::timeout(ANSWER_TIMEOUT, self.read_message())
            .await
            .expect("the server neither answered nor closed the connection")
    }

    async fn read_message(&mut self) -> Option<Backend> {
        let mut header = [0u8; 5];
        // A reset after the server's last message counts as the end, like a close.
        self.stream.read_exact(&mut header).await.ok()?;
        let length = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let mut body = vec![0u8; (length - 4) as usize];
        self.stream.read_exact(&mut body).await.ok()?;
        Some(Backend {
            message_type: header[0],
            body,
        })
    }

    /// Every message until the server closes the connection.
    pub async fn until_closed(&mut self) -> Vec<Backend> {
        let mut messages = Vec::new();
        while let Some(message) = self.next().await {
            messages.push(message);
        }
        messages
    }
}
