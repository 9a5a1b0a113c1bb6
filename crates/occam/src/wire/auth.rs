//! Client authentication during startup: which challenge the server sends and how it checks the answer.
//!
//! The connection drives an [`AuthExchange`] step by step: the exchange returns the next
//! `Authentication*` message to send (or its verdict), the connection relays the client's reply (a
//! `PasswordMessage`, `SASLInitialResponse` or `SASLResponse`, all message type `p`) back into it. One-shot
//! schemes (a cleartext password, an IAM auth token passed as the password) take one round; SCRAM-SHA-256
//! takes two and fits the same shape. The default "local" mode accepts any password, which is what a
//! developer database on localhost wants.
//!
//! ```text
//!   connection                        exchange
//!      start(user, database) ───────▶  first step: Challenge(AuthenticationCleartextPassword)
//!      client's 'p' message   ───────▶  respond(): Accept | Reject(error) | Challenge(next message)
//! ```

use pgwire::messages::startup::{Authentication, PasswordMessageFamily};

use crate::error::{sqlstate, Error};

/// What the connection does next in an authentication exchange.
#[derive(Debug)]
pub enum AuthStep {
    /// Send this message to the client and feed its reply to [`AuthExchange::respond`].
    Challenge(Authentication),
    /// The client is authenticated; the connection sends AuthenticationOk.
    Accept,
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
    /// Starts the exchange for `user` connecting to `database`.
    fn start(&self, user: &str, database: &str) -> Box<dyn AuthExchange>;
}

/// The "local" mode: asks for a cleartext password (so clients that always send one, like the DSQL
/// tooling with its auth token, behave as against the real service) and accepts any value.
#[derive(Debug, Default, Clone, Copy)]
pub struct AcceptAnyPassword;

impl Authenticator for AcceptAnyPassword {
    fn start(&self, _user: &str, _database: &str) -> Box<dyn AuthExchange> {
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
