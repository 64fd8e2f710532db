//! Unit tests of the SCRAM messages and exchange.

use super::*;

fn initial(mechanism: &str, length: i32, data: &[u8]) -> Vec<u8> {
    let mut body = mechanism.as_bytes().to_vec();
    body.push(0);
    body.extend_from_slice(&length.to_be_bytes());
    body.extend_from_slice(data);
    body
}

#[test]
fn sasl_initial_response_framing() {
    let data = b"n,,n=,r=abc";
    assert_eq!(
        parse_initial_response(&initial(SCRAM_SHA_256, 11, data)),
        Ok(Some(&data[..]))
    );
    assert_eq!(
        parse_initial_response(&initial(SCRAM_SHA_256, -1, b"")),
        Ok(None)
    );
    for bad in [
        initial(SCRAM_SHA_256, 12, data),
        initial(SCRAM_SHA_256, 10, data),
        initial(SCRAM_SHA_256, -5, data),
        initial(SCRAM_SHA_256, -1, data),
        b"SCRAM-SHA-256\0\0\0".to_vec(),
        b"SCRAM-SHA-256".to_vec(),
        Vec::new(),
    ] {
        assert_eq!(
            parse_initial_response(&bad),
            Err(ScramError::BadFraming),
            "{bad:?}"
        );
    }
    for other in ["SCRAM-SHA-256-PLUS", "PLAIN", "secret-password"] {
        assert_eq!(
            parse_initial_response(&initial(other, 3, b"abc")),
            Err(ScramError::InvalidMechanism)
        );
    }
    assert_eq!(
        parse_initial_response(b"secret-password\0"),
        Err(ScramError::InvalidMechanism)
    );
}

#[test]
fn client_first_grammar() {
    assert_eq!(
        parse_client_first("n,,n=,r=fyko+d2lbbFgONRv9qkxdawL"),
        Ok(ClientFirst {
            gs2_header: "n,,",
            bare: "n=,r=fyko+d2lbbFgONRv9qkxdawL",
            nonce: "fyko+d2lbbFgONRv9qkxdawL",
        })
    );
    let first = parse_client_first("y,,n=user,r=abc,x=ext").unwrap();
    assert_eq!((first.gs2_header, first.nonce), ("y,,", "abc"));
    assert_eq!(
        parse_client_first("n,a=boss,n=,r=abc"),
        Err(ScramError::AuthorizationIdentity)
    );
    assert_eq!(
        parse_client_first("n,,m=x,n=,r=abc"),
        Err(ScramError::MandatoryExtension)
    );
    for bad in [
        "p=tls-server-end-point,,n=,r=abc",
        "x,,n=,r=abc",
        "n",
        "n,",
        "n,,",
        "n,,n=",
        "n,,r=abc",
        "n,,n=,r=",
        "n,,n=,r=a b",
        "n,,n=,r=abc,r=again",
        "n,,n=,r=abc,garbage",
        "n,x,n=,r=abc",
    ] {
        assert!(
            matches!(parse_client_first(bad), Err(ScramError::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn client_final_grammar() {
    let proof = BASE64.encode([7u8; 32]);
    let text = format!("c=biws,r=abcdef,p={proof}");
    assert_eq!(
        parse_client_final(&text),
        Ok(ClientFinal {
            channel_binding: "biws",
            nonce: "abcdef",
            without_proof: "c=biws,r=abcdef",
            proof: vec![7u8; 32],
        })
    );
    for bad in [
        "c=biws,r=abc".to_string(),
        format!("r=abc,c=biws,p={proof}"),
        format!("c=biws,p={proof}"),
        format!("c=biws,r=abc,p={proof},x=y"),
        format!("c=biws,r=abc,p=x,p={proof}"),
        "c=biws,r=abc,p=AAAA".to_string(),
        "c=biws,r=abc,p=not base64".to_string(),
        "c=biws,r=abc,p=".to_string(),
    ] {
        assert!(
            matches!(parse_client_final(&bad), Err(ScramError::Malformed(_))),
            "{bad}"
        );
    }
}

#[test]
fn messages_must_be_text() {
    assert!(message_text(b"").is_err());
    assert!(message_text(b"n,,n=,r=a\0b").is_err());
    assert!(message_text(b"n,,n=,r=\xff").is_err());
    assert_eq!(message_text(b"n,,n=,r=a"), Ok("n,,n=,r=a"));
}

/// The client's computation, from RFC 7677's example written against our keys.
fn client_proof(secret: &ScramSecret, auth_message: &str) -> Vec<u8> {
    let salted = hmac::Key::new(hmac::HMAC_SHA256, &secret.salted_password);
    let client_key = hmac::sign(&salted, b"Client Key");
    let stored = digest::digest(&digest::SHA256, client_key.as_ref());
    let signature = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, stored.as_ref()),
        auth_message.as_bytes(),
    );
    client_key
        .as_ref()
        .iter()
        .zip(signature.as_ref())
        .map(|(k, s)| k ^ s)
        .collect()
}

fn users() -> Users {
    let secret = ScramSecret::generate("pw").unwrap();
    Users::parse(&format!("ann:read:{secret}\n")).unwrap()
}

/// Runs an exchange to client-final; returns the reply and the expected signature.
fn run(user: &str, tamper: impl Fn(&mut String)) -> Result<ScramReply, ScramError> {
    let users = users();
    let mut exchange = ScramExchange::new(user, &users);
    let bare = "n=,r=clientnonce";
    let client_first = format!("n,,{bare}");
    let first = initial(
        SCRAM_SHA_256,
        client_first.len() as i32,
        client_first.as_bytes(),
    );
    let ScramReply::Continue(server_first) = exchange.receive(&first)? else {
        panic!("server-first expected");
    };
    let server_first = String::from_utf8(server_first).unwrap();
    let nonce = server_first[2..].split(',').next().unwrap();
    assert!(nonce.starts_with("clientnonce") && nonce.len() > "clientnonce".len());
    let mut without_proof = format!("c=biws,r={nonce}");
    tamper(&mut without_proof);
    let secret = match users.get(user) {
        Some(known) => known.secret.clone(),
        None => users.mock_secret(user),
    };
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let proof = BASE64.encode(client_proof(&secret, &auth_message));
    let reply = exchange.receive(format!("{without_proof},p={proof}").as_bytes());
    assert_eq!(exchange.receive(b"more"), Err(ScramError::Unexpected));
    reply
}

#[test]
fn an_exchange_checks_binding_nonce_and_proof() {
    let Ok(ScramReply::Final(server_final)) = run("ann", |_| {}) else {
        panic!("the exchange succeeds");
    };
    assert!(server_final.starts_with(b"v="));
    assert_eq!(
        run("ann", |m| *m = m.replace("biws", "eSws")),
        Err(ScramError::ChannelBindingMismatch)
    );
    assert_eq!(run("ann", |m| m.push('x')), Err(ScramError::NonceMismatch));
    assert_eq!(
        run("ann", |m| *m = "c=biws,r=clientnonce".to_string()),
        Err(ScramError::NonceMismatch)
    );
    // An unknown user with the proof of the made-up secret still fails.
    assert_eq!(
        run("ghost", |_| {}),
        Err(ScramError::AuthenticationFailed("ghost".to_string()))
    );
}

#[test]
fn a_wrong_proof_fails_authentication() {
    let users = users();
    let mut exchange = ScramExchange::new("ann", &users);
    let first = initial(SCRAM_SHA_256, -1, b"");
    assert_eq!(
        exchange.receive(&first),
        Ok(ScramReply::Continue(Vec::new()))
    );
    let ScramReply::Continue(server_first) = exchange.receive(b"n,,n=,r=abc").unwrap() else {
        panic!("server-first expected");
    };
    let server_first = String::from_utf8(server_first).unwrap();
    let nonce = server_first[2..].split(',').next().unwrap();
    let proof = BASE64.encode([0u8; 32]);
    assert_eq!(
        exchange.receive(format!("c=biws,r={nonce},p={proof}").as_bytes()),
        Err(ScramError::AuthenticationFailed("ann".to_string()))
    );
}

/// The example exchange of RFC 7677 section 3: user "user", password "pencil".
#[test]
fn the_rfc_7677_example_verifies() {
    let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
    let mut salted_password = vec![0u8; 32];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(4096).unwrap(),
        &salt,
        b"pencil",
        &mut salted_password,
    );
    let keys = Keys::new(&ScramSecret {
        salt,
        salted_password,
    });
    let nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    let auth_message = format!(
        "n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    );
    let proof = BASE64
        .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        .unwrap();
    assert!(keys.proof_holds(&auth_message, &proof));
    assert_eq!(
        BASE64.encode(keys.server_signature(&auth_message).as_ref()),
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    );
    let mut wrong = proof.clone();
    wrong[0] ^= 1;
    assert!(!keys.proof_holds(&auth_message, &wrong));
    assert!(!keys.proof_holds(&auth_message, &proof[..31]));
}
