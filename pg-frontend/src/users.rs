//! The users file: who may connect, with which SCRAM-SHA-256 secret and which role.
//!
//! One user per line, `name:role:SCRAM-SHA-256$<iterations>:<salt>$<salted password>`
//! (salt and salted password in base64). Blank lines and lines starting with `#` are
//! ignored. Only the salted password (PBKDF2 of the password) is stored, never the
//! password; it still lets a holder log in, so keep the file private like a key file.
//! `omnigraph-server passwd NAME ROLE` prints a line for a password read from stdin.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac};

/// PostgreSQL's default SCRAM iteration count; every secret in a file uses it.
pub const SCRAM_ITERATIONS: usize = 4096;

/// What a user may do: the roles of the SQL layer, which decides from a statement's
/// plan what it needs.
pub use datafusion_omnigraph::Role;

/// The role named in a users file.
pub fn parse_role(name: &str) -> Result<Role, UsersError> {
    Role::from_name(name).ok_or_else(|| UsersError::UnknownRole(name.to_string()))
}

/// A user's stored SCRAM secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramSecret {
    pub salt: Vec<u8>,
    pub salted_password: Vec<u8>,
}

impl fmt::Debug for ScramSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ScramSecret(..)")
    }
}

impl ScramSecret {
    /// A secret for `password` with a fresh random salt.
    pub fn generate(password: &str) -> Result<ScramSecret, UsersError> {
        let mut salt = vec![0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| UsersError::Random)?;
        let salted_password =
            pgwire::api::auth::sasl::scram::gen_salted_password(password, &salt, SCRAM_ITERATIONS);
        Ok(ScramSecret {
            salt,
            salted_password,
        })
    }

    fn parse(text: &str) -> Result<ScramSecret, String> {
        let rest = text
            .strip_prefix("SCRAM-SHA-256$")
            .ok_or("the secret must start with SCRAM-SHA-256$")?;
        let (iterations, rest) = rest.split_once(':').ok_or("expected <iterations>:")?;
        let iterations: usize = iterations
            .parse()
            .map_err(|_| format!("bad iteration count '{iterations}'"))?;
        if iterations != SCRAM_ITERATIONS {
            return Err(format!(
                "iteration count {iterations}: this server uses {SCRAM_ITERATIONS}"
            ));
        }
        let (salt, salted) = rest.split_once('$').ok_or("expected <salt>$<key>")?;
        let decode = |part: &str| {
            BASE64
                .decode(part)
                .map_err(|e| format!("bad base64 '{part}': {e}"))
        };
        Ok(ScramSecret {
            salt: decode(salt)?,
            salted_password: decode(salted)?,
        })
    }
}

impl fmt::Display for ScramSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${SCRAM_ITERATIONS}:{}${}",
            BASE64.encode(&self.salt),
            BASE64.encode(&self.salted_password)
        )
    }
}

/// One line of the users file.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub secret: ScramSecret,
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.name, self.role, self.secret)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read users file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("users file line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("unknown role '{0}' (roles: read, write, admin)")]
    UnknownRole(String),
    #[error("invalid user name '{0}': use letters, digits, '_', '-' and '.'")]
    InvalidName(String),
    #[error("the system random number generator failed")]
    Random,
}

/// The users allowed to connect.
#[derive(Debug, Clone)]
pub struct Users {
    users: HashMap<String, User>,
    /// Keys the made-up secrets of unknown users (see [`Users::mock_secret`]). Derived
    /// from every salted password in the file, so it is as secret as the file and the same
    /// after a restart: an unknown user's salt never changes while real salts stay put.
    mock_key: hmac::Key,
}

pub fn validate_user_name(name: &str) -> Result<(), UsersError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(UsersError::InvalidName(name.to_string()))
    }
}

impl Users {
    pub fn load(path: &str) -> Result<Users, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.to_string(),
            source,
        })?;
        Users::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Users, UsersError> {
        let mut users = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| UsersError::Line {
                line: i + 1,
                message,
            };
            let mut parts = line.splitn(3, ':');
            let (Some(name), Some(role), Some(secret)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad("expected name:role:secret".to_string()));
            };
            validate_user_name(name).map_err(|e| bad(e.to_string()))?;
            let role = parse_role(role).map_err(|e| bad(e.to_string()))?;
            let secret = ScramSecret::parse(secret).map_err(bad)?;
            let user = User {
                name: name.to_string(),
                role,
                secret,
            };
            if users.insert(name.to_string(), user).is_some() {
                return Err(bad(format!("user '{name}' is listed twice")));
            }
        }
        let mock_key = mock_key(&users);
        Ok(Users { users, mock_key })
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }

    /// A secret for a user who is not in the file, the same for a name every time, so
    /// the SCRAM exchange of an unknown user looks like that of a known one (with a
    /// stable salt) and fails only where a wrong password does, as in PostgreSQL.
    pub fn mock_secret(&self, name: &str) -> ScramSecret {
        let derive = |purpose: &str| {
            let mut context = hmac::Context::with_key(&self.mock_key);
            context.update(purpose.as_bytes());
            context.update(&[0]);
            context.update(name.as_bytes());
            context.sign().as_ref().to_vec()
        };
        let mut salt = derive("salt");
        salt.truncate(MOCK_SALT_LEN);
        ScramSecret {
            salt,
            salted_password: derive("salted password"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Every user with its role, by name.
    pub fn roles(&self) -> Vec<(String, Role)> {
        let mut roles: Vec<(String, Role)> = self
            .users
            .values()
            .map(|u| (u.name.clone(), u.role))
            .collect();
        roles.sort();
        roles
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }
}

/// The length of the salts [`ScramSecret::generate`] makes, so made-up ones look alike.
const MOCK_SALT_LEN: usize = 16;

fn mock_key(users: &HashMap<String, User>) -> hmac::Key {
    let mut names: Vec<&String> = users.keys().collect();
    names.sort();
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(b"omnigraph mock SCRAM key");
    for name in names {
        let secret = &users[name].secret;
        for part in [name.as_bytes(), &secret.salt, &secret.salted_password] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
    }
    hmac::Key::new(hmac::HMAC_SHA256, context.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_line_parses_back() {
        let user = User {
            name: "ana".to_string(),
            role: Role::Write,
            secret: ScramSecret::generate("s3cret").unwrap(),
        };
        let users = Users::parse(&format!("# comment\n\n{user}\n")).unwrap();
        let parsed = users.get("ana").unwrap();
        assert_eq!(parsed.role, Role::Write);
        assert_eq!(parsed.secret, user.secret);
        assert!(!user.to_string().contains("s3cret"));
    }

    #[test]
    fn bad_lines_name_their_line() {
        let err = Users::parse("a:read:SCRAM-SHA-256$4096:AAAA$AAAA\nb:root:x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "users file line 2: unknown role 'root' (roles: read, write, admin)"
        );
        let err = Users::parse("a:read:plain\n").unwrap_err();
        assert!(err.to_string().contains("SCRAM-SHA-256$"), "{err}");
        let err = Users::parse("a:read:SCRAM-SHA-256$10:AAAA$AAAA\n").unwrap_err();
        assert!(err.to_string().contains("4096"), "{err}");
    }

    #[test]
    fn mock_secrets_are_stable_per_name_and_keyed_by_the_file() {
        let line = |name: &str| {
            let secret = ScramSecret::generate("pw").unwrap();
            format!("{name}:read:{secret}\n")
        };
        let ana = Users::parse(&line("ana")).unwrap();
        let ghost = ana.mock_secret("ghost");
        assert_eq!(ghost, ana.mock_secret("ghost"));
        assert_eq!(ghost.salt.len(), ana.get("ana").unwrap().secret.salt.len());
        assert_eq!(ghost.salted_password.len(), 32);
        assert_ne!(ghost, ana.mock_secret("phantom"));
        // Another file, another key: the salts cannot be computed without the secrets.
        assert_ne!(
            ghost,
            Users::parse(&line("ana")).unwrap().mock_secret("ghost")
        );
    }
}
