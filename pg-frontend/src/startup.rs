//! Connection start: authentication (trust on loopback without a users file, otherwise
//! SCRAM-SHA-256), then the database (`graph` or `graph@branch`) is opened and the
//! connection's [`Session`] created before the client is told it may send queries, so a
//! bad password is 28P01 and an unknown database 3D000, both at connect as in PostgreSQL.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, METADATA_DATABASE, METADATA_USER, PgWireConnectionState, PidSecretKeyGenerator,
};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::{Authentication, PasswordMessageFamily};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::Mutex;

use omnigraph_sql::settings::is_graph_setting;
use omnigraph_sql::{ErrorKind, Session, SqlError};

use crate::connection::{Connection, may_set};
use crate::errors::{fatal, fatal_with_detail, protocol};
use crate::registry::DatabaseName;
use crate::scram::{SCRAM_SHA_256, ScramError, ScramExchange, ScramReply};
use crate::users::Role;

/// The startup handler of one connection.
pub struct Startup {
    connection: Arc<Connection>,
    /// The SCRAM exchange, from the startup packet on, when the server has a users file.
    scram: Mutex<Option<ScramExchange>>,
}

fn connecting_user<C: ClientInfo>(client: &C) -> String {
    client
        .metadata()
        .get(METADATA_USER)
        .cloned()
        .unwrap_or_default()
}

fn scram_error(err: &ScramError) -> PgWireError {
    fatal_with_detail(&err.to_sql_error(), err.detail())
}

impl Startup {
    pub fn new(connection: Arc<Connection>) -> Startup {
        Startup {
            connection,
            scram: Mutex::new(None),
        }
    }

    /// After authentication: opens the database, creates the session, and completes
    /// the startup with the parameters and the cancel key.
    async fn accept<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let server = self.connection.server();
        let user = connecting_user(client);
        let role = match &server.users {
            Some(users) => users
                .get(&user)
                .map(|u| u.role)
                .ok_or_else(|| scram_error(&ScramError::AuthenticationFailed(user.clone())))?,
            None => Role::Admin,
        };
        // As in PostgreSQL, the database defaults to the user name.
        let database = client
            .metadata()
            .get(METADATA_DATABASE)
            .cloned()
            .unwrap_or_else(|| user.clone());
        // A maintenance database stands for a graph: the session is that graph's.
        let database = match server.registry.graph_for(&database) {
            Some(graph) => graph,
            None => database,
        };
        let session = self
            .open_session(&database, &user)
            .await
            .map_err(|e| fatal(&e))?;
        let parameters = startup_parameters(client.metadata()).map_err(|e| fatal(&e))?;
        let (graph_settings, parameters): (Vec<_>, Vec<_>) = parameters
            .into_iter()
            .partition(|p| is_graph_setting(&p.name));
        // The branch first: an as-of ref is resolved on the session's branch.
        for parameter in graph_settings
            .iter()
            .filter(|p| p.name == "omnigraph.branch")
        {
            session
                .set_graph_setting_text(&parameter.name, &parameter.value)
                .await
                .map_err(|e| fatal(&e))?;
        }
        for parameter in graph_settings
            .iter()
            .filter(|p| p.name != "omnigraph.branch")
        {
            session
                .set_graph_setting_text(&parameter.name, &parameter.value)
                .await
                .map_err(|e| fatal(&e))?;
        }
        self.connection.start(session, user, role, database);
        {
            let mut settings = self.connection.settings();
            for parameter in parameters {
                let set = may_set(&parameter.name, role)
                    .and_then(|_| settings.set(&parameter.name, &parameter.value));
                // A parameter a driver sends of its own accord that we do not keep is
                // left out; one the user asked for with `-c` must take effect.
                if parameter.requested {
                    set.map_err(|e| fatal(&e))?;
                }
            }
            // The client knows what it sent; only later changes are reported.
            settings.take_changed();
        }

        // Cancel requests are served by our own signal (see `handler`), so reads stop
        // while they stream and writes are never dropped half-way.
        let (pid, secret_key) = server.pid_keys.generate(client);
        client.set_pid_and_secret_key(pid, secret_key.clone());
        server.register(pid, secret_key.to_bytes().to_vec(), &self.connection);
        finish_authentication(client, server.parameters.as_ref()).await
    }

    async fn open_session(&self, database: &str, user: &str) -> Result<Session, SqlError> {
        let name = DatabaseName::parse(database)?;
        let graph = self.connection.server().registry.open(&name.graph).await?;
        let session = Session::new(graph).await?;
        session.set_actor(user);
        if let Some(branch) = &name.branch {
            session.set_branch(branch).await.map_err(|_| {
                SqlError::new(
                    ErrorKind::UnknownGraph,
                    format!(
                        "database \"{database}\" does not exist: graph {} has no branch '{branch}'",
                        name.graph
                    ),
                )
            })?;
        }
        Ok(session)
    }
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                let Some(users) = &self.connection.server().users else {
                    return self.accept(client).await;
                };
                // The user is the one of the startup packet, as in PostgreSQL.
                let exchange = ScramExchange::new(&connecting_user(client), users);
                *self.scram.lock().await = Some(exchange);
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec![SCRAM_SHA_256.to_string()],
                    )))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let mut scram = self.scram.lock().await;
                // pgwire leaves `p` messages undecoded (only the receiver knows which
                // kind is due), and its decoders panic on short input: the exchange
                // reads the raw body itself.
                let (Some(exchange), PasswordMessageFamily::Raw(body)) = (scram.as_mut(), message)
                else {
                    return Err(fatal(&protocol("unexpected password message")));
                };
                match exchange.receive(&body).map_err(|e| scram_error(&e))? {
                    ScramReply::Continue(data) => {
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(data.into()),
                            ))
                            .await?;
                    }
                    ScramReply::Final(data) => {
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(data.into()),
                            ))
                            .await?;
                        drop(scram);
                        self.accept(client).await?;
                    }
                }
            }
            // PostgreSQL refuses anything but a SASL message while authenticating.
            _ if matches!(
                client.state(),
                PgWireConnectionState::AuthenticationInProgress
            ) =>
            {
                return Err(fatal(&protocol("expected SASL response")));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Run-time parameters a client sets in its startup packet: named ones
/// (`application_name`, `DateStyle`, ...) and `options` (`-c name=value`, libpq's
/// `PGOPTIONS`). Graph settings (`omnigraph.*`) among them are set on the session as
/// `SET` would, and fail the connection as `SET` would fail.
#[derive(Debug, PartialEq)]
struct StartupParameter {
    name: String,
    value: String,
    /// Given in `options` (`-c name=value`) rather than sent by the driver itself.
    requested: bool,
}

fn startup_parameters(
    metadata: &std::collections::HashMap<String, String>,
) -> Result<Vec<StartupParameter>, SqlError> {
    const NOT_SETTINGS: [&str; 4] = ["user", "database", "replication", "options"];
    let mut parameters: Vec<StartupParameter> = metadata
        .iter()
        .filter(|(name, _)| !NOT_SETTINGS.contains(&name.as_str()))
        .map(|(name, value)| StartupParameter {
            name: name.to_ascii_lowercase(),
            value: value.clone(),
            requested: false,
        })
        .collect();
    if let Some(options) = metadata.get("options") {
        let mut words = options.split_whitespace();
        while let Some(word) = words.next() {
            let assignment = match word {
                "-c" => words.next(),
                w => w.strip_prefix("-c").or_else(|| w.strip_prefix("--")),
            };
            let Some((name, value)) = assignment.and_then(|a| a.split_once('=')) else {
                return Err(SqlError::new(
                    ErrorKind::InvalidParameter,
                    format!("invalid startup option \"{word}\": use -c name=value"),
                ));
            };
            parameters.push(StartupParameter {
                name: name.to_ascii_lowercase().replace('-', "_"),
                value: value.to_string(),
                requested: true,
            });
        }
    }
    parameters.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_packet_parameters_and_options_become_settings() {
        let metadata = std::collections::HashMap::from([
            ("user".to_string(), "ann".to_string()),
            ("application_name".to_string(), "psql".to_string()),
            (
                "options".to_string(),
                "-c statement_timeout=300 -cDateStyle=ISO --search-path=public".to_string(),
            ),
        ]);
        let parameters: Vec<(String, String, bool)> = startup_parameters(&metadata)
            .unwrap()
            .into_iter()
            .map(|p| (p.name, p.value, p.requested))
            .collect();
        let expected = [
            ("application_name", "psql", false),
            ("datestyle", "ISO", true),
            ("search_path", "public", true),
            ("statement_timeout", "300", true),
        ]
        .map(|(n, v, r)| (n.to_string(), v.to_string(), r));
        assert_eq!(parameters, expected);
        let bad = std::collections::HashMap::from([("options".to_string(), "-x".to_string())]);
        assert!(startup_parameters(&bad).is_err());
    }
}
