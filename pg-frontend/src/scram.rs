//! The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it.
//!
//! The client's messages are read from the raw bytes of its `p` messages, so nothing a
//! client sends can panic the connection: every malformed message is a [`ScramError`].
//! Only SCRAM-SHA-256 is offered, never SCRAM-SHA-256-PLUS, so a client asking for
//! channel binding is refused. The SCRAM user name is ignored (libpq sends `n=,`): the
//! user is the one of the startup packet. An unknown user gets a made-up secret and an
//! exchange that looks like any other but fails where a wrong password fails, so a client
//! cannot tell which users exist.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use omnigraph_sql::{ErrorKind, SqlError};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac};

use crate::users::{SCRAM_ITERATIONS, ScramSecret, Users};

/// The only SASL mechanism the server offers.
pub const SCRAM_SHA_256: &str = "SCRAM-SHA-256";

/// PostgreSQL's length of the server's part of the nonce, before base64.
const SERVER_NONCE_BYTES: usize = 18;

/// Why an exchange failed; PostgreSQL's texts and SQLSTATEs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    /// The framing of a SASL message is broken (a length or a terminator).
    #[error("invalid message format")]
    BadFraming,
    /// A SASL mechanism the server did not offer.
    #[error("client selected an invalid SASL authentication mechanism")]
    InvalidMechanism,
    /// A SCRAM message that does not follow the grammar of RFC 5802; the detail says how.
    #[error("malformed SCRAM message")]
    Malformed(String),
    /// The authorization identity of the gs2 header: PostgreSQL does not support one.
    #[error("client uses authorization identity, but it is not supported")]
    AuthorizationIdentity,
    /// A mandatory extension (`m=`): none is defined, so none is supported.
    #[error("client requires an unsupported SCRAM extension")]
    MandatoryExtension,
    /// The `c=` of client-final is not the gs2 header of client-first.
    #[error("unexpected SCRAM channel-binding attribute in client-final-message")]
    ChannelBindingMismatch,
    /// The nonce of client-final is not the one of server-first (a replay).
    #[error("invalid SCRAM response")]
    NonceMismatch,
    /// A wrong password, or a user who does not exist.
    #[error("password authentication failed for user \"{0}\"")]
    AuthenticationFailed(String),
    /// A message after the exchange ended.
    #[error("unexpected SASL message")]
    Unexpected,
    #[error("could not generate a random nonce")]
    Random,
}

impl ScramError {
    fn kind(&self) -> ErrorKind {
        match self {
            ScramError::AuthenticationFailed(_) => ErrorKind::InvalidPassword,
            ScramError::AuthorizationIdentity | ScramError::MandatoryExtension => {
                ErrorKind::NotSupported
            }
            ScramError::Random => ErrorKind::Internal,
            _ => ErrorKind::ProtocolViolation,
        }
    }

    /// PostgreSQL's DETAIL line of the error.
    pub fn detail(&self) -> Option<String> {
        match self {
            ScramError::Malformed(detail) => Some(detail.clone()),
            ScramError::NonceMismatch => Some("Nonce does not match.".to_string()),
            _ => None,
        }
    }

    pub fn to_sql_error(&self) -> SqlError {
        SqlError::new(self.kind(), self.to_string())
    }
}

fn malformed(detail: impl Into<String>) -> ScramError {
    ScramError::Malformed(detail.into())
}

/// What the server answers a message with.
#[derive(Debug, PartialEq, Eq)]
pub enum ScramReply {
    /// AuthenticationSASLContinue with this data: the exchange goes on.
    Continue(Vec<u8>),
    /// AuthenticationSASLFinal with this data: the client is authenticated.
    Final(Vec<u8>),
}

/// The keys the proof is checked with, derived from a salted password.
struct Keys {
    salt: Vec<u8>,
    stored_key: digest::Digest,
    server_key: hmac::Key,
}

impl Keys {
    fn new(secret: &ScramSecret) -> Keys {
        let salted_password = hmac::Key::new(hmac::HMAC_SHA256, &secret.salted_password);
        let client_key = hmac::sign(&salted_password, b"Client Key");
        let server_key = hmac::sign(&salted_password, b"Server Key");
        Keys {
            salt: secret.salt.clone(),
            stored_key: digest::digest(&digest::SHA256, client_key.as_ref()),
            server_key: hmac::Key::new(hmac::HMAC_SHA256, server_key.as_ref()),
        }
    }

    /// Whether `proof` proves knowledge of the client key: ClientKey = proof XOR
    /// HMAC(StoredKey, AuthMessage), and H(ClientKey) must be StoredKey.
    fn proof_holds(&self, auth_message: &str, proof: &[u8]) -> bool {
        let stored_key = self.stored_key.as_ref();
        let signature = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, stored_key),
            auth_message.as_bytes(),
        );
        if proof.len() != signature.as_ref().len() {
            return false;
        }
        let client_key: Vec<u8> = proof
            .iter()
            .zip(signature.as_ref())
            .map(|(p, s)| p ^ s)
            .collect();
        let candidate = digest::digest(&digest::SHA256, &client_key);
        // Compared as HMACs under a key the client does not know, which `hmac::verify`
        // does in constant time: the timing tells nothing about the stored key.
        let blind = hmac::Key::new(hmac::HMAC_SHA256, stored_key);
        hmac::verify(
            &blind,
            stored_key,
            hmac::sign(&blind, candidate.as_ref()).as_ref(),
        )
        .is_ok()
    }

    fn server_signature(&self, auth_message: &str) -> hmac::Tag {
        hmac::sign(&self.server_key, auth_message.as_bytes())
    }
}

/// Where an exchange is.
enum Stage {
    /// Waiting for SASLInitialResponse.
    Initial,
    /// SASLInitialResponse came without data: client-first comes in a SASLResponse.
    ClientFirstPending,
    /// Server-first sent, waiting for client-final.
    ServerFirstSent(ServerFirstSent),
    /// Finished or failed: any further message is refused.
    Over,
}

/// What client-final is checked against.
struct ServerFirstSent {
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

/// The SCRAM-SHA-256 exchange of one connection, fed the bodies of the client's `p`
/// messages.
pub struct ScramExchange {
    user: String,
    keys: Keys,
    /// The user does not exist: the exchange runs to the end and then fails.
    doomed: bool,
    stage: Stage,
}

impl ScramExchange {
    /// An exchange for `user` of the startup packet.
    pub fn new(user: &str, users: &Users) -> ScramExchange {
        let (secret, doomed) = match users.get(user) {
            Some(known) => (known.secret.clone(), false),
            None => (users.mock_secret(user), true),
        };
        ScramExchange {
            user: user.to_string(),
            keys: Keys::new(&secret),
            doomed,
            stage: Stage::Initial,
        }
    }

    /// Takes the body of the client's next `p` message (SASLInitialResponse first, then
    /// SASLResponse). After an error the exchange is over.
    pub fn receive(&mut self, body: &[u8]) -> Result<ScramReply, ScramError> {
        match std::mem::replace(&mut self.stage, Stage::Over) {
            Stage::Initial => match parse_initial_response(body)? {
                Some(client_first) => self.client_first(client_first),
                None => {
                    // As in PostgreSQL: an empty challenge, answered with client-first.
                    self.stage = Stage::ClientFirstPending;
                    Ok(ScramReply::Continue(Vec::new()))
                }
            },
            Stage::ClientFirstPending => self.client_first(body),
            Stage::ServerFirstSent(sent) => self.client_final(&sent, body),
            Stage::Over => Err(ScramError::Unexpected),
        }
    }

    fn client_first(&mut self, data: &[u8]) -> Result<ScramReply, ScramError> {
        let client_first = parse_client_first(message_text(data)?)?;
        let mut server_nonce = [0u8; SERVER_NONCE_BYTES];
        SystemRandom::new()
            .fill(&mut server_nonce)
            .map_err(|_| ScramError::Random)?;
        let nonce = format!("{}{}", client_first.nonce, BASE64.encode(server_nonce));
        let server_first = format!(
            "r={nonce},s={},i={SCRAM_ITERATIONS}",
            BASE64.encode(&self.keys.salt)
        );
        self.stage = Stage::ServerFirstSent(ServerFirstSent {
            gs2_header: client_first.gs2_header.to_string(),
            client_first_bare: client_first.bare.to_string(),
            server_first: server_first.clone(),
            nonce,
        });
        Ok(ScramReply::Continue(server_first.into_bytes()))
    }

    fn client_final(
        &mut self,
        sent: &ServerFirstSent,
        data: &[u8],
    ) -> Result<ScramReply, ScramError> {
        let client_final = parse_client_final(message_text(data)?)?;
        // Without channel binding `c=` is the gs2 header itself (`biws` for `n,,`):
        // anything else claims a binding the server never offered.
        if client_final.channel_binding != BASE64.encode(&sent.gs2_header) {
            return Err(ScramError::ChannelBindingMismatch);
        }
        if client_final.nonce != sent.nonce {
            return Err(ScramError::NonceMismatch);
        }
        let auth_message = format!(
            "{},{},{}",
            sent.client_first_bare, sent.server_first, client_final.without_proof
        );
        // The proof is checked for an unknown user too, so that the time taken does
        // not tell whether the user exists.
        let proof_holds = self.keys.proof_holds(&auth_message, &client_final.proof);
        if !proof_holds || self.doomed {
            return Err(ScramError::AuthenticationFailed(self.user.clone()));
        }
        let signature = self.keys.server_signature(&auth_message);
        Ok(ScramReply::Final(
            format!("v={}", BASE64.encode(signature.as_ref())).into_bytes(),
        ))
    }
}

/// The SCRAM message of SASLInitialResponse's body: the mechanism name (a C string), the
/// length of the data (-1 for none) and the data. `None` when the client sent no data.
fn parse_initial_response(body: &[u8]) -> Result<Option<&[u8]>, ScramError> {
    let nul = body
        .iter()
        .position(|&b| b == 0)
        .ok_or(ScramError::BadFraming)?;
    // Checked before the length, as PostgreSQL does: a cleartext PasswordMessage sent
    // instead ends here.
    if &body[..nul] != SCRAM_SHA_256.as_bytes() {
        return Err(ScramError::InvalidMechanism);
    }
    let (length, data) = body[nul + 1..]
        .split_first_chunk::<4>()
        .ok_or(ScramError::BadFraming)?;
    match i32::from_be_bytes(*length) {
        -1 if data.is_empty() => Ok(None),
        length if usize::try_from(length).is_ok_and(|n| n == data.len()) => Ok(Some(data)),
        _ => Err(ScramError::BadFraming),
    }
}

/// A SCRAM message as text: printable, with no NUL a C client would stop at.
fn message_text(data: &[u8]) -> Result<&str, ScramError> {
    if data.is_empty() {
        return Err(malformed("The message is empty."));
    }
    if data.contains(&0) {
        return Err(malformed("Message length does not match input length."));
    }
    std::str::from_utf8(data).map_err(|_| malformed("The message is not valid UTF-8."))
}

/// The value of attribute `name` (`name=value`).
fn attribute(part: Option<&str>, name: char) -> Result<&str, ScramError> {
    part.and_then(|part| part.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix('='))
        .ok_or_else(|| malformed(format!("Expected attribute \"{name}\".")))
}

/// An optional extension attribute: a letter, `=`, a value. `reserved` letters are the
/// message's own attributes, which may not repeat.
fn extension(part: &str, reserved: &[char]) -> Result<(), ScramError> {
    let mut chars = part.chars();
    match (chars.next(), chars.next()) {
        (Some(name), Some('=')) if name.is_ascii_alphabetic() && !reserved.contains(&name) => {
            Ok(())
        }
        _ => Err(malformed("Unexpected attribute.")),
    }
}

/// The parts of client-first the server keeps.
#[derive(Debug, PartialEq, Eq)]
struct ClientFirst<'a> {
    /// `n,,` or `y,,`, repeated base64-encoded in client-final's `c=`.
    gs2_header: &'a str,
    /// client-first-message-bare, a part of the AuthMessage.
    bare: &'a str,
    nonce: &'a str,
}

/// `gs2-cbind-flag "," [authzid] "," [reserved-mext ","] username "," nonce ["," extensions]`.
fn parse_client_first(text: &str) -> Result<ClientFirst<'_>, ScramError> {
    let (flag, rest) = text
        .split_once(',')
        .ok_or_else(|| malformed("Comma expected after the channel-binding flag."))?;
    match flag {
        // `y`: the client could bind but thinks the server cannot, which is so.
        "n" | "y" => {}
        _ if flag.starts_with("p=") => {
            return Err(malformed(
                "The client selected SCRAM-SHA-256 without channel binding, but the SCRAM \
                 message includes channel binding data.",
            ));
        }
        _ => {
            return Err(malformed("Unexpected channel-binding flag."));
        }
    }
    let (authzid, bare) = rest
        .split_once(',')
        .ok_or_else(|| malformed("Comma expected after the authorization identity."))?;
    if authzid.starts_with("a=") {
        return Err(ScramError::AuthorizationIdentity);
    }
    if !authzid.is_empty() {
        return Err(malformed("Unexpected attribute in the gs2 header."));
    }
    let gs2_header = &text[..text.len() - bare.len()];
    let mut parts = bare.split(',');
    let first = parts.next();
    if first.is_some_and(|p| p.starts_with("m=")) {
        return Err(ScramError::MandatoryExtension);
    }
    attribute(first, 'n')?;
    let nonce = attribute(parts.next(), 'r')?;
    if nonce.is_empty() || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed("The nonce is empty or not printable."));
    }
    for part in parts {
        extension(part, &['n', 'r', 'm'])?;
    }
    Ok(ClientFirst {
        gs2_header,
        bare,
        nonce,
    })
}

/// The parts of client-final.
#[derive(Debug, PartialEq, Eq)]
struct ClientFinal<'a> {
    channel_binding: &'a str,
    nonce: &'a str,
    /// client-final-message-without-proof, a part of the AuthMessage.
    without_proof: &'a str,
    proof: Vec<u8>,
}

/// `"c=" base64 "," "r=" nonce ["," extensions] "," "p=" base64`.
fn parse_client_final(text: &str) -> Result<ClientFinal<'_>, ScramError> {
    let (without_proof, proof) = text
        .rsplit_once(',')
        .ok_or_else(|| malformed("Expected attribute \"p\"."))?;
    let proof = attribute(Some(proof), 'p')?;
    let proof = BASE64
        .decode(proof)
        .ok()
        .filter(|p| p.len() == digest::SHA256_OUTPUT_LEN)
        .ok_or_else(|| malformed("Malformed proof in client-final-message."))?;
    let mut parts = without_proof.split(',');
    let channel_binding = attribute(parts.next(), 'c')?;
    let nonce = attribute(parts.next(), 'r')?;
    for part in parts {
        extension(part, &['c', 'r', 'p'])?;
    }
    Ok(ClientFinal {
        channel_binding,
        nonce,
        without_proof,
        proof,
    })
}

#[cfg(test)]
mod tests;
