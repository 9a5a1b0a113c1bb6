//! Client authentication during startup: which challenge the server sends and how it checks the answer.
//!
//! The connection drives an [`AuthExchange`] step by step: the exchange returns the next
//! `Authentication*` message to send (or its verdict), the connection relays the client's reply (a
//! `PasswordMessage`, `SASLInitialResponse` or `SASLResponse`, all message type `p`) back into it. One-shot
//! schemes (a cleartext password, an IAM auth token passed as the password) take one round; SCRAM-SHA-256
//! takes two and fits the same shape. The default "local" mode accepts any password, which is what a
//! developer database on localhost wants.
//!
//! | mode (`--auth`) | challenge | checked against |
//! |---|---|---|
//! | `local` ([`LocalAuth`]) | cleartext password, any value | the role exists and may log in |
//! | `iam` ([`IamAuth`]) | cleartext password = DSQL auth token | SigV4 signature with the server's credentials, expiry, `Action`, the role's IAM mappings |
//! | `password` ([`PasswordAuth`]) | SASL `SCRAM-SHA-256` | the role's stored verifier (`CREATE ROLE .. PASSWORD`) |
//!
//! ```text
//!   connection                        exchange
//!      start(user, database) ───────▶  first step: Challenge(AuthenticationCleartextPassword)
//!      client's 'p' message   ───────▶  respond(): Accept | Reject(error) | Challenge(next message)
//! ```

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use pgwire::messages::startup::{Authentication, PasswordMessageFamily};
use tracing::info;

use crate::auth::scram::{ScramError, ServerExchange};
use crate::auth::token::{TokenRejection, TokenVerifier};
use crate::database::{Database, RoleLogin};
use crate::error::{sqlstate, Error};

/// What the connection does next in an authentication exchange.
#[derive(Debug)]
pub enum AuthStep {
    /// Send this message to the client and feed its reply to [`AuthExchange::respond`].
    Challenge(Authentication),
    /// The client is authenticated; the connection sends AuthenticationOk.
    Accept,
    /// The client is authenticated; the connection sends this last message (SCRAM's server signature),
    /// then AuthenticationOk, without waiting for a reply.
    AcceptAfter(Authentication),
    /// Authentication failed; the connection sends this error as FATAL and closes.
    Reject(Error),
}

/// One client's authentication conversation.
pub trait AuthExchange: Send {
    /// The first step, taken right after the startup message.
    fn begin(&mut self) -> AuthStep;

    /// The client's reply to the last challenge (the raw `p` message; coerce it with
    /// `into_password`, `into_sasl_initial_response` or `into_sasl_response`).
    fn respond(&mut self, reply: PasswordMessageFamily) -> AuthStep;
}

/// Decides how clients prove who they are. One authenticator serves every connection of a server.
pub trait Authenticator: Send + Sync {
    /// Starts the exchange for `user` connecting to `database`. `channel_binding` is the connection's
    /// `tls-server-end-point` data (RFC 5929) when it is encrypted and the certificate allows it.
    fn start(&self, user: &str, database: &str, channel_binding: Option<&[u8]>) -> Box<dyn AuthExchange>;
}

/// The "local" mode: asks for a cleartext password (so clients that always send one, like the DSQL
/// tooling with its auth token, behave as against the real service) and accepts any value.
#[derive(Debug, Default, Clone, Copy)]
pub struct AcceptAnyPassword;

impl Authenticator for AcceptAnyPassword {
    fn start(&self, _user: &str, _database: &str, _channel_binding: Option<&[u8]>) -> Box<dyn AuthExchange> {
        Box::new(CleartextExchange { verify: |_password: &str| Ok(()) })
    }
}

/// A one-round cleartext password exchange; `verify` judges the password (or token).
pub struct CleartextExchange<F> {
    pub verify: F,
}

impl<F> AuthExchange for CleartextExchange<F>
where
    F: Fn(&str) -> Result<(), Error> + Send,
{
    fn begin(&mut self) -> AuthStep {
        AuthStep::Challenge(Authentication::CleartextPassword)
    }

    fn respond(&mut self, reply: PasswordMessageFamily) -> AuthStep {
        match reply.into_password() {
            Ok(password) => match (self.verify)(&password.password) {
                Ok(()) => AuthStep::Accept,
                Err(err) => AuthStep::Reject(err),
            },
            Err(_) => AuthStep::Reject(Error::protocol("expected password response")),
        }
    }
}

/// The error PostgreSQL sends for a wrong password (28P01), for verifiers to return.
pub fn password_failed(user: &str) -> Error {
    Error::new(sqlstate::INVALID_PASSWORD, format!("password authentication failed for user \"{user}\""))
}

/// DSQL's answer to any bad auth token (SQLSTATE 28000); an expired one gets the hint `Signature expired`.
pub fn access_denied() -> Error {
    Error::new(sqlstate::INVALID_AUTHORIZATION_SPECIFICATION, "unable to accept connection, access denied")
}

/// Where authenticators look roles up: the database, or a fixed table in tests.
pub trait LoginRoles: Send + Sync + 'static {
    fn role_login(&self, name: &str) -> Option<RoleLogin>;
}

impl LoginRoles for Database {
    fn role_login(&self, name: &str) -> Option<RoleLogin> {
        Database::role_login(self, name)
    }
}

/// The login facts of `user`, or the FATAL PostgreSQL sends for an unknown role or one without LOGIN.
fn login_role(roles: &dyn LoginRoles, user: &str) -> Result<RoleLogin, Error> {
    match roles.role_login(user) {
        None => {
            Err(Error::new(sqlstate::INVALID_AUTHORIZATION_SPECIFICATION, format!("role \"{user}\" does not exist")))
        }
        Some(role) if !role.can_login => Err(Error::new(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("role \"{user}\" is not permitted to log in"),
        )),
        Some(role) => Ok(role),
    }
}

/// An exchange that fails at once (unknown role in local mode).
struct Refused(Option<Error>);

impl AuthExchange for Refused {
    fn begin(&mut self) -> AuthStep {
        AuthStep::Reject(self.0.take().unwrap_or_else(|| Error::protocol("authentication already failed")))
    }
    fn respond(&mut self, _reply: PasswordMessageFamily) -> AuthStep {
        self.begin()
    }
}

/// `--auth local`: any password, but the role must exist and may log in.
#[derive(Clone)]
pub struct LocalAuth {
    pub roles: Arc<dyn LoginRoles>,
}

impl Authenticator for LocalAuth {
    fn start(&self, user: &str, database: &str, channel_binding: Option<&[u8]>) -> Box<dyn AuthExchange> {
        match login_role(self.roles.as_ref(), user) {
            Ok(_) => AcceptAnyPassword.start(user, database, channel_binding),
            Err(err) => Box::new(Refused(Some(err))),
        }
    }
}

/// `--auth iam`: the password is a DSQL auth token signed with the credentials the server was given.
/// `admin` needs an `Action=DbConnectAdmin` token; other roles a `DbConnect` token, LOGIN and at least one
/// `AWS IAM GRANT` mapping (the local server cannot tell which IAM principal owns an access key, so any
/// mapping admits the holder of the server's key).
pub struct IamAuth {
    pub roles: Arc<dyn LoginRoles>,
    pub verifier: TokenVerifier,
}

impl Authenticator for IamAuth {
    fn start(&self, user: &str, _database: &str, _channel_binding: Option<&[u8]>) -> Box<dyn AuthExchange> {
        let roles = self.roles.clone();
        let verifier = self.verifier.clone();
        let user = user.to_owned();
        Box::new(CleartextExchange {
            verify: move |token: &str| {
                let role = roles.role_login(&user);
                let admin = role.as_ref().is_some_and(|role| role.is_admin);
                match verifier.verify(token, admin, Utc::now()) {
                    Ok(()) => {}
                    Err(TokenRejection::Expired) => return Err(access_denied().with_hint("Signature expired")),
                    Err(TokenRejection::Invalid(reason)) => {
                        info!(%user, %reason, "IAM auth token refused");
                        return Err(access_denied());
                    }
                }
                let role = login_role(roles.as_ref(), &user)?;
                if !role.is_admin && role.iam_arns.is_empty() {
                    info!(%user, "IAM auth refused: the role has no AWS IAM GRANT mapping");
                    return Err(access_denied());
                }
                Ok(())
            },
        })
    }
}

/// `--auth password`: SCRAM-SHA-256 against the role's stored verifier. An unknown role, or one without a
/// password, fails exactly like a wrong password (28P01), as in PostgreSQL.
#[derive(Clone)]
pub struct PasswordAuth {
    pub roles: Arc<dyn LoginRoles>,
}

impl Authenticator for PasswordAuth {
    fn start(&self, user: &str, _database: &str, channel_binding: Option<&[u8]>) -> Box<dyn AuthExchange> {
        let role = self.roles.role_login(user);
        if role.as_ref().is_some_and(|role| !role.can_login) {
            return Box::new(Refused(login_role(self.roles.as_ref(), user).err()));
        }
        let verifier = role.and_then(|role| role.password_verifier);
        Box::new(ScramExchange {
            user: user.to_owned(),
            exchange: ServerExchange::new(verifier.as_deref(), channel_binding.map(<[u8]>::to_vec)),
            round: 0,
        })
    }
}

/// The two SASL rounds of SCRAM-SHA-256 over the PostgreSQL messages.
struct ScramExchange {
    user: String,
    exchange: ServerExchange,
    round: u8,
}

impl ScramExchange {
    fn failed(&self, err: ScramError) -> AuthStep {
        match err {
            ScramError::WrongPassword => AuthStep::Reject(password_failed(&self.user)),
            ScramError::Malformed(reason) => {
                AuthStep::Reject(Error::protocol("malformed SCRAM message").with_detail(reason))
            }
            ScramError::Negotiation(message) => AuthStep::Reject(Error::protocol(message)),
        }
    }
}

impl AuthExchange for ScramExchange {
    fn begin(&mut self) -> AuthStep {
        AuthStep::Challenge(Authentication::SASL(self.exchange.mechanisms()))
    }

    fn respond(&mut self, reply: PasswordMessageFamily) -> AuthStep {
        self.round += 1;
        if self.round == 1 {
            let initial = match reply.into_sasl_initial_response() {
                Ok(initial) => initial,
                Err(_) => return AuthStep::Reject(Error::protocol("expected SASL response")),
            };
            let data = initial.data.unwrap_or_default();
            match self.exchange.client_first(&initial.auth_method, &data) {
                Ok(server_first) => AuthStep::Challenge(Authentication::SASLContinue(Bytes::from(server_first))),
                Err(err) => self.failed(err),
            }
        } else {
            let response = match reply.into_sasl_response() {
                Ok(response) => response,
                Err(_) => return AuthStep::Reject(Error::protocol("expected SASL response")),
            };
            match self.exchange.client_final(&response.data) {
                Ok(server_final) => AuthStep::AcceptAfter(Authentication::SASLFinal(Bytes::from(server_final))),
                Err(err) => self.failed(err),
            }
        }
    }
}
