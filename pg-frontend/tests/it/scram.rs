//! SCRAM-SHA-256 against a hostile client: a raw socket and a SCRAM client written here,
//! so that every message can be tampered with (tokio-postgres only sends correct ones).

use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use omnigraph_pg::users::{Role, ScramSecret, User};
use ring::{digest, hmac, pbkdf2};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{TestServer, start};

const USER: &str = "ann";
const PASSWORD: &str = "ann-pw";
const SASL: i32 = 10;
const SASL_CONTINUE: i32 = 11;
const SASL_FINAL: i32 = 12;
const AUTHENTICATION_OK: i32 = 0;

fn users_file(dir: &Path) -> PathBuf {
    let path = dir.join("users");
    let user = User {
        name: USER.to_string(),
        role: Role::Read,
        secret: ScramSecret::generate(PASSWORD).unwrap(),
    };
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "{user}").unwrap();
    path
}

/// One backend message.
#[derive(Debug)]
struct Backend {
    kind: u8,
    body: Vec<u8>,
}

impl Backend {
    fn auth_code(&self) -> Option<i32> {
        (self.kind == b'R').then(|| i32::from_be_bytes(self.body[..4].try_into().unwrap()))
    }

    /// A field of an ErrorResponse: `C` the SQLSTATE, `M` the message, `S` the severity.
    fn field(&self, code: u8) -> Option<String> {
        let mut fields = self.body.split(|&b| b == 0);
        fields.find_map(|f| match f.split_first() {
            Some((&c, value)) if c == code => Some(String::from_utf8_lossy(value).into_owned()),
            _ => None,
        })
    }
}

/// A connection speaking the protocol byte by byte.
struct Wire {
    stream: TcpStream,
}

impl Wire {
    async fn connect(server: &TestServer, user: &str) -> Wire {
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let mut wire = Wire { stream };
        let mut body = 196608i32.to_be_bytes().to_vec();
        for part in ["user", user, "database", "demo", ""] {
            body.extend_from_slice(part.as_bytes());
            body.push(0);
        }
        let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        wire.stream.write_all(&packet).await.unwrap();
        let offer = wire.read().await.expect("an authentication request");
        assert_eq!(offer.auth_code(), Some(SASL), "{offer:?}");
        assert_eq!(
            &offer.body[4..],
            b"SCRAM-SHA-256\0\0",
            "only SCRAM-SHA-256 is offered"
        );
        wire
    }

    async fn send(&mut self, kind: u8, body: &[u8]) {
        let mut packet = vec![kind];
        packet.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        packet.extend_from_slice(body);
        // The server may already have closed the connection; the reads tell.
        let _ = self.stream.write_all(&packet).await;
    }

    async fn send_initial(&mut self, client_first: &str) {
        self.send(
            b'p',
            &initial_response("SCRAM-SHA-256", client_first.as_bytes()),
        )
        .await;
    }

    /// The next message, or None once the server closed the connection.
    async fn read(&mut self) -> Option<Backend> {
        let read = async {
            let mut header = [0u8; 5];
            self.stream.read_exact(&mut header).await.ok()?;
            let len = i32::from_be_bytes(header[1..].try_into().unwrap()) as usize;
            let mut body = vec![0u8; len - 4];
            self.stream.read_exact(&mut body).await.ok()?;
            Some(Backend {
                kind: header[0],
                body,
            })
        };
        tokio::time::timeout(Duration::from_secs(30), read)
            .await
            .expect("the server answers or closes within 30 s")
    }

    /// The data of the next message, which must be the authentication request `code`.
    async fn expect_auth(&mut self, code: i32) -> String {
        let message = self.read().await.expect("an authentication message");
        assert_eq!(message.auth_code(), Some(code), "{message:?}");
        String::from_utf8(message.body[4..].to_vec()).unwrap()
    }

    /// The server refuses: an ErrorResponse, never a successful authentication, then the
    /// connection closes. Returns the ErrorResponse.
    async fn expect_refused(&mut self) -> Backend {
        let mut error = None;
        while let Some(message) = self.read().await {
            assert!(
                !matches!(message.auth_code(), Some(AUTHENTICATION_OK | SASL_FINAL)),
                "authentication must fail: {message:?}"
            );
            if message.kind == b'E' && error.is_none() {
                error = Some(message);
            }
        }
        error.expect("an ErrorResponse before the connection closes")
    }
}

/// A SASLInitialResponse body.
fn initial_response(mechanism: &str, data: &[u8]) -> Vec<u8> {
    let mut body = mechanism.as_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(&(data.len() as i32).to_be_bytes());
    body.extend_from_slice(data);
    body
}

/// The parts of a server-first message.
struct ServerFirst {
    text: String,
    nonce: String,
    salt: Vec<u8>,
    iterations: u32,
}

fn parse_server_first(text: String) -> ServerFirst {
    let attribute = |name: &str| {
        text.split(',')
            .find_map(|a| a.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_string()
    };
    let nonce = attribute("r=");
    let salt = BASE64.decode(attribute("s=")).unwrap();
    let iterations = attribute("i=").parse().unwrap();
    ServerFirst {
        nonce,
        salt,
        iterations,
        text,
    }
}

/// The client's side of the computation: the proof for `auth_message`, and the server
/// signature the server must answer with.
fn proof(password: &str, server_first: &ServerFirst, auth_message: &str) -> (String, String) {
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(server_first.iterations).unwrap(),
        &server_first.salt,
        password.as_bytes(),
        &mut salted,
    );
    let salted = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&salted, b"Client Key");
    let stored_key = digest::digest(&digest::SHA256, client_key.as_ref());
    let signature = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, stored_key.as_ref()),
        auth_message.as_bytes(),
    );
    let proof: Vec<u8> = client_key
        .as_ref()
        .iter()
        .zip(signature.as_ref())
        .map(|(k, s)| k ^ s)
        .collect();
    let server_key = hmac::sign(&salted, b"Server Key");
    let server_signature = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, server_key.as_ref()),
        auth_message.as_bytes(),
    );
    (BASE64.encode(proof), BASE64.encode(server_signature))
}

/// A SCRAM exchange up to the client-final message, whose parts the test may change.
struct Exchange {
    wire: Wire,
    client_first_bare: String,
    server_first: ServerFirst,
}

const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

impl Exchange {
    /// Connects as `user` and sends a client-first message with the gs2 header `gs2`.
    async fn start(server: &TestServer, user: &str, gs2: &str) -> Exchange {
        let mut wire = Wire::connect(server, user).await;
        let client_first_bare = format!("n=,r={CLIENT_NONCE}");
        wire.send_initial(&format!("{gs2}{client_first_bare}"))
            .await;
        let server_first = parse_server_first(wire.expect_auth(SASL_CONTINUE).await);
        Exchange {
            wire,
            client_first_bare,
            server_first,
        }
    }

    /// Sends a client-final message of `channel_binding` and `nonce` with the proof
    /// `password` gives; returns the server signature the server must send.
    async fn finish(&mut self, channel_binding: &str, nonce: &str, password: &str) -> String {
        let without_proof = format!("c={channel_binding},r={nonce}");
        let auth_message = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first.text
        );
        let (proof, server_signature) = proof(password, &self.server_first, &auth_message);
        self.wire
            .send(b'p', format!("{without_proof},p={proof}").as_bytes())
            .await;
        server_signature
    }

    fn nonce(&self) -> String {
        self.server_first.nonce.clone()
    }
}

fn base64(text: &str) -> String {
    BASE64.encode(text)
}

async fn log_in(server: &TestServer, gs2: &str) -> Wire {
    let mut exchange = Exchange::start(server, USER, gs2).await;
    let nonce = exchange.nonce();
    let expected = exchange.finish(&base64(gs2), &nonce, PASSWORD).await;
    let server_final = exchange.wire.expect_auth(SASL_FINAL).await;
    assert_eq!(server_final, format!("v={expected}"));
    exchange.wire.expect_auth(AUTHENTICATION_OK).await;
    exchange.wire
}

/// Logs in and runs a query.
async fn assert_serves(server: &TestServer, gs2: &str) {
    let mut wire = log_in(server, gs2).await;
    while let Some(message) = wire.read().await {
        if message.kind == b'Z' {
            break;
        }
    }
    wire.send(b'Q', b"SELECT 41 + 1\0").await;
    let mut kinds = Vec::new();
    loop {
        let message = wire.read().await.expect("an answer to the query");
        kinds.push(message.kind);
        if message.kind == b'D' {
            assert!(message.body.ends_with(b"42"), "{message:?}");
        }
        if message.kind == b'Z' {
            break;
        }
    }
    assert_eq!(kinds, b"TDCZ");
}

fn assert_auth_failed(error: &Backend, user: &str) {
    assert_eq!(error.field(b'S').as_deref(), Some("FATAL"));
    assert_eq!(error.field(b'C').as_deref(), Some("28P01"), "{error:?}");
    assert_eq!(
        error.field(b'M'),
        Some(format!(
            "password authentication failed for user \"{user}\""
        ))
    );
}

fn assert_refused(error: &Backend) {
    let code = error.field(b'C').unwrap_or_default();
    assert!(code == "28P01" || code == "08P01", "{error:?}");
    assert_eq!(error.field(b'S').as_deref(), Some("FATAL"));
}

#[tokio::test]
async fn a_correct_exchange_logs_in_with_or_without_the_y_flag() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    assert_serves(&server, "n,,").await;
    // `y`: the client supports channel binding but thinks the server does not, which is
    // so: only SCRAM-SHA-256 is offered.
    assert_serves(&server, "y,,").await;
}

#[tokio::test]
async fn a_client_final_nonce_that_is_not_the_servers_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    let tampered: [fn(&str) -> String; 4] = [
        // The client's own nonce only: a replayed exchange does not extend the server's.
        |_| CLIENT_NONCE.to_string(),
        |_| format!("{CLIENT_NONCE}AAAAAAAAAAAAAAAAAAAAAAAA"),
        // The server's nonce with its last character changed (to one it is not).
        |nonce| {
            let (kept, last) = nonce.split_at(nonce.len() - 1);
            format!("{kept}{}", if last == "x" { 'y' } else { 'x' })
        },
        |nonce| format!("{nonce}x"),
    ];
    for tamper in tampered {
        let mut exchange = Exchange::start(&server, USER, "n,,").await;
        let nonce = tamper(&exchange.nonce());
        // The proof is right for what is sent: only the nonce check can refuse it.
        exchange.finish("biws", &nonce, PASSWORD).await;
        assert_refused(&exchange.wire.expect_refused().await);
    }
    assert_serves(&server, "n,,").await;
}

#[tokio::test]
async fn channel_binding_is_refused_as_none_was_offered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;

    // Client-first asking for channel binding.
    let mut wire = Wire::connect(&server, USER).await;
    wire.send_initial("p=tls-server-end-point,,n=,r=abc").await;
    let error = wire.expect_refused().await;
    assert_eq!(error.field(b'C').as_deref(), Some("08P01"), "{error:?}");

    // Client-final claiming channel binding after a client-first without it.
    for claimed in ["p=tls-server-end-point,,", "p=tls-unique,,"] {
        let mut exchange = Exchange::start(&server, USER, "n,,").await;
        let nonce = exchange.nonce();
        let binding = format!("{}AAAA", base64(claimed));
        exchange.finish(&binding, &nonce, PASSWORD).await;
        assert_refused(&exchange.wire.expect_refused().await);
    }
}

#[tokio::test]
async fn a_channel_binding_attribute_not_matching_the_gs2_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    for (gs2, binding) in [
        ("n,,", base64("y,,")),
        ("y,,", base64("n,,")),
        ("n,,", String::new()),
        ("n,,", "biws=".to_string()),
        ("n,,", "not base64!".to_string()),
    ] {
        let mut exchange = Exchange::start(&server, USER, gs2).await;
        let nonce = exchange.nonce();
        exchange.finish(&binding, &nonce, PASSWORD).await;
        assert_refused(&exchange.wire.expect_refused().await);
    }
}

#[tokio::test]
async fn a_wrong_proof_is_28p01_naming_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    let mut exchange = Exchange::start(&server, USER, "n,,").await;
    let nonce = exchange.nonce();
    exchange.finish("biws", &nonce, "wrong").await;
    assert_auth_failed(&exchange.wire.expect_refused().await, USER);
}

#[tokio::test]
async fn an_unknown_user_fails_where_and_as_a_wrong_password_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    let mut salts = Vec::new();
    for _ in 0..2 {
        let mut exchange = Exchange::start(&server, "ghost", "n,,").await;
        let known = Exchange::start(&server, USER, "n,,").await;
        let (ghost, real) = (&exchange.server_first, &known.server_first);
        assert_eq!(ghost.iterations, real.iterations);
        assert_eq!(ghost.salt.len(), real.salt.len());
        assert!(ghost.nonce.starts_with(CLIENT_NONCE));
        assert_eq!(ghost.nonce.len(), real.nonce.len());
        salts.push(ghost.salt.clone());
        let nonce = exchange.nonce();
        exchange.finish("biws", &nonce, PASSWORD).await;
        assert_auth_failed(&exchange.wire.expect_refused().await, "ghost");
    }
    assert_eq!(salts[0], salts[1], "an unknown user's salt is stable");
    // Another unknown user has another salt, as another real user would.
    let other = Exchange::start(&server, "phantom", "n,,").await;
    assert_ne!(other.server_first.salt, salts[0]);
}

#[tokio::test]
async fn malformed_messages_are_refused_without_harming_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    let mut length_too_long = b"SCRAM-SHA-256\0".to_vec();
    length_too_long.extend_from_slice(&100i32.to_be_bytes());
    length_too_long.extend_from_slice(b"n,,n=,r=abc");
    let mut length_negative = b"SCRAM-SHA-256\0".to_vec();
    length_negative.extend_from_slice(&(-5i32).to_be_bytes());
    length_negative.extend_from_slice(b"n,,n=,r=abc");
    // PostgreSQL's SQLSTATEs: 08P01 protocol_violation, 0A000 for features it lacks.
    let first_messages: Vec<(Vec<u8>, &str)> = vec![
        // A cleartext PasswordMessage.
        (format!("{PASSWORD}\0").into_bytes(), "08P01"),
        (Vec::new(), "08P01"),
        (b"SCRAM-SHA-256".to_vec(), "08P01"),
        (b"SCRAM-SHA-256\0\0\0".to_vec(), "08P01"),
        (length_too_long, "08P01"),
        (length_negative, "08P01"),
        (
            initial_response("SCRAM-SHA-256-PLUS", b"p=tls-server-end-point,,n=,r=abc"),
            "08P01",
        ),
        (initial_response("PLAIN", b"\0ann\0ann-pw"), "08P01"),
        (initial_response("SCRAM-SHA-256", b""), "08P01"),
        (initial_response("SCRAM-SHA-256", b"n,,"), "08P01"),
        (initial_response("SCRAM-SHA-256", b"n,,n="), "08P01"),
        (initial_response("SCRAM-SHA-256", b"n,,n=,r="), "08P01"),
        (
            initial_response("SCRAM-SHA-256", b"n,,n=,r=a\x01b"),
            "08P01",
        ),
        (
            initial_response("SCRAM-SHA-256", b"n,,n=,r=\xff\xfe"),
            "08P01",
        ),
        (initial_response("SCRAM-SHA-256", b"x,,n=,r=abc"), "08P01"),
        (initial_response("SCRAM-SHA-256", b"n,,n=,r=abc\0"), "08P01"),
        (
            initial_response("SCRAM-SHA-256", b"n,a=boss,n=,r=abc"),
            "0A000",
        ),
        (
            initial_response("SCRAM-SHA-256", b"n,,m=ext,n=,r=abc"),
            "0A000",
        ),
    ];
    for (message, code) in &first_messages {
        let mut wire = Wire::connect(&server, USER).await;
        wire.send(b'p', message).await;
        let error = wire.expect_refused().await;
        assert_eq!(error.field(b'S').as_deref(), Some("FATAL"));
        assert_eq!(
            error.field(b'C').as_deref(),
            Some(*code),
            "{message:?}: {error:?}"
        );
    }
    let mut wire = Wire::connect(&server, USER).await;
    wire.send_initial("n,,n=,r=").await;
    let error = wire.expect_refused().await;
    assert_eq!(
        error.field(b'M').as_deref(),
        Some("malformed SCRAM message")
    );
    assert!(error.field(b'D').is_some(), "a detail says how: {error:?}");

    let final_messages: Vec<Vec<u8>> = vec![
        b"\xff\xfe".to_vec(),
        Vec::new(),
        b"c=biws".to_vec(),
        b"c=biws,r=x".to_vec(),
        b"c=biws,p=AAAA".to_vec(),
        b"r=x,c=biws,p=AAAA".to_vec(),
        b"c=biws,r=x,p=not-base64".to_vec(),
        b"c=biws,r=x,p=AAAA".to_vec(),
        // A cleartext PasswordMessage.
        format!("{PASSWORD}\0").into_bytes(),
    ];
    for message in &final_messages {
        let mut exchange = Exchange::start(&server, USER, "n,,").await;
        exchange.wire.send(b'p', message).await;
        assert_refused(&exchange.wire.expect_refused().await);
    }

    // A query before authenticating is a protocol violation too.
    let mut wire = Wire::connect(&server, USER).await;
    wire.send(b'Q', b"SELECT 1\0").await;
    wire.expect_refused().await;

    assert_serves(&server, "n,,").await;
}
