//! SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it: stored verifiers and the server side of the
//! exchange.
//!
//! ```text
//!   client-first   n,,n=<ignored user>,r=<client nonce>
//!   server-first   r=<client nonce><server nonce>,s=<salt b64>,i=<iterations>
//!   client-final   c=biws,r=<nonce>,p=<ClientProof b64>     (checked: H(ClientProof ^ HMAC(StoredKey, auth)) == StoredKey)
//!   server-final   v=<HMAC(ServerKey, auth) b64>
//! ```
//!
//! On TLS connections `SCRAM-SHA-256-PLUS` is offered too, with `tls-server-end-point` channel binding (the
//! hash of the server certificate, RFC 5929), as PostgreSQL does: the client's `c=` then carries the gs2
//! header followed by that hash, which ties the proof to this TLS session.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

/// The mechanism name announced in AuthenticationSASL.
pub const MECHANISM: &str = "SCRAM-SHA-256";
/// The channel-binding variant, offered on TLS connections.
pub const MECHANISM_PLUS: &str = "SCRAM-SHA-256-PLUS";
/// The only channel-binding type PostgreSQL (and so its clients) use.
const BINDING_TYPE: &str = "tls-server-end-point";
/// PostgreSQL's default `scram_iterations`.
pub const ITERATIONS: u32 = 4096;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 18;

/// What a role's `PASSWORD 'text'` stores: `text` itself when it already is a SCRAM-SHA-256 verifier (as
/// pg_dumpall writes them; PostgreSQL stores those as given), else the verifier of `text` as a password.
pub fn verifier_for(text: &str) -> String {
    match Verifier::parse(text) {
        Some(_) => text.to_string(),
        None => make_verifier(text),
    }
}

/// The verifier PostgreSQL stores for `password` (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
/// base64 fields), computed with a fresh random salt. Roles created `WITH PASSWORD` keep only this.
pub fn make_verifier(password: &str) -> String {
    let salt: [u8; SALT_LEN] = random_bytes();
    verifier_with_salt(password, &salt, ITERATIONS).to_string()
}

/// A parsed verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{MECHANISM}${}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(&self.stored_key),
            BASE64.encode(&self.server_key)
        )
    }
}

impl Verifier {
    /// Parses PostgreSQL's text form; `None` if it is not a SCRAM-SHA-256 verifier.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix(MECHANISM)?.strip_prefix('$')?;
        let (iterations_salt, keys) = rest.split_once('$')?;
        let (iterations, salt) = iterations_salt.split_once(':')?;
        let (stored_key, server_key) = keys.split_once(':')?;
        let verifier = Verifier {
            iterations: iterations.parse().ok().filter(|&i| i > 0)?,
            salt: BASE64.decode(salt).ok()?,
            stored_key: BASE64.decode(stored_key).ok()?,
            server_key: BASE64.decode(server_key).ok()?,
        };
        (verifier.stored_key.len() == 32 && verifier.server_key.len() == 32).then_some(verifier)
    }
}

/// The verifier of `password` with a given salt (deterministic, for tests and mock exchanges).
pub fn verifier_with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
    // PostgreSQL normalises with SASLprep and falls back to the raw bytes when that fails.
    let prepared = stringprep::saslprep(password).map(|p| p.into_owned()).unwrap_or_else(|_| password.to_owned());
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        std::num::NonZeroU32::new(iterations).expect("iterations > 0"),
        salt,
        prepared.as_bytes(),
        &mut salted,
    );
    let client_key = hmac_sha256(&salted, b"Client Key");
    Verifier {
        iterations,
        salt: salt.to_vec(),
        stored_key: digest::digest(&digest::SHA256, &client_key).as_ref().to_vec(),
        server_key: hmac_sha256(&salted, b"Server Key"),
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut bytes).expect("system random source");
    bytes
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScramError {
    /// The client's message does not follow the protocol (08P01 `malformed SCRAM message`, this as detail).
    Malformed(&'static str),
    /// The client picked a mechanism or channel-binding mode we did not offer (08P01, this as message).
    Negotiation(&'static str),
    /// The proof is wrong, or the role has no usable verifier (28P01 for the client).
    WrongPassword,
}

/// The server side of one SCRAM-SHA-256 exchange.
pub struct ServerExchange {
    /// `None` when the role has no verifier: the exchange runs against a mock one and always fails, so a
    /// client cannot tell a missing role or password from a wrong password (as PostgreSQL does).
    verifier: Option<Verifier>,
    mock: Verifier,
    /// The `tls-server-end-point` data of this connection; `None` in plaintext (PLUS not offered).
    channel_binding: Option<Vec<u8>>,
    state: State,
}

enum State {
    AwaitingClientFirst,
    /// `expected_binding` is what the client's `c=` must decode to: the gs2 header (+ binding data).
    AwaitingClientFinal {
        expected_binding: Vec<u8>,
        nonce: String,
        auth_prefix: String,
    },
    Done,
}

impl ServerExchange {
    /// An exchange against `verifier` (the role's stored text, if any); `channel_binding` is the
    /// connection's `tls-server-end-point` data when it is encrypted.
    pub fn new(verifier: Option<&str>, channel_binding: Option<Vec<u8>>) -> ServerExchange {
        let salt: [u8; SALT_LEN] = random_bytes();
        ServerExchange {
            verifier: verifier.and_then(Verifier::parse),
            mock: Verifier {
                iterations: ITERATIONS,
                salt: salt.to_vec(),
                stored_key: vec![0; 32],
                server_key: vec![0; 32],
            },
            channel_binding,
            state: State::AwaitingClientFirst,
        }
    }

    /// The mechanisms to announce, preferred first.
    pub fn mechanisms(&self) -> Vec<String> {
        match self.channel_binding {
            Some(_) => vec![MECHANISM_PLUS.to_owned(), MECHANISM.to_owned()],
            None => vec![MECHANISM.to_owned()],
        }
    }

    /// Takes client-first for the selected `mechanism`, returns server-first.
    pub fn client_first(&mut self, mechanism: &str, message: &[u8]) -> Result<String, ScramError> {
        let State::AwaitingClientFirst = self.state else { return Err(ScramError::Malformed("unexpected message")) };
        let plus = match mechanism {
            MECHANISM => false,
            MECHANISM_PLUS if self.channel_binding.is_some() => true,
            _ => return Err(ScramError::Negotiation("client selected an invalid SASL authentication mechanism")),
        };
        let message = std::str::from_utf8(message).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        // gs2-header: "p=tls-server-end-point,," (binding, with -PLUS only); "n,," (client cannot bind);
        // "y,," (client could bind but believes we cannot: a downgrade if we offered -PLUS).
        let plus_header = format!("p={BINDING_TYPE},,");
        let (gs2_header, bare) = if plus {
            let bare = message.strip_prefix(&plus_header).ok_or(ScramError::Negotiation(
                "channel binding is required with SCRAM-SHA-256-PLUS (tls-server-end-point only)",
            ))?;
            (plus_header.as_str(), bare)
        } else if let Some(bare) = message.strip_prefix("n,,") {
            ("n,,", bare)
        } else if let Some(bare) = message.strip_prefix("y,,") {
            if self.channel_binding.is_some() {
                return Err(ScramError::Negotiation("SCRAM channel binding negotiation error"));
            }
            ("y,,", bare)
        } else if message.starts_with("p=") {
            return Err(ScramError::Negotiation("channel binding is only possible with SCRAM-SHA-256-PLUS"));
        } else {
            return Err(ScramError::Malformed("invalid GS2 header"));
        };
        let mut expected_binding = gs2_header.as_bytes().to_vec();
        if plus {
            expected_binding.extend_from_slice(self.channel_binding.as_deref().unwrap_or_default());
        }
        let client_nonce = bare
            .split(',')
            .find_map(|attr| attr.strip_prefix("r="))
            .filter(|nonce| !nonce.is_empty() && nonce.bytes().all(|b| b.is_ascii_graphic() && b != b','))
            .ok_or(ScramError::Malformed("missing nonce"))?;
        if !bare.starts_with("n=") {
            return Err(ScramError::Malformed("expected user name attribute"));
        }
        let verifier = self.verifier.as_ref().unwrap_or(&self.mock);
        let nonce = format!("{client_nonce}{}", BASE64.encode(random_bytes::<NONCE_LEN>()));
        let server_first = format!("r={nonce},s={},i={}", BASE64.encode(&verifier.salt), verifier.iterations);
        self.state =
            State::AwaitingClientFinal { expected_binding, nonce, auth_prefix: format!("{bare},{server_first}") };
        Ok(server_first)
    }

    /// Takes client-final, returns server-final if the proof is right.
    pub fn client_final(&mut self, message: &[u8]) -> Result<String, ScramError> {
        let State::AwaitingClientFinal { expected_binding, nonce, auth_prefix } =
            std::mem::replace(&mut self.state, State::Done)
        else {
            return Err(ScramError::Malformed("unexpected message"));
        };
        let message = std::str::from_utf8(message).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (without_proof, proof) = message.rsplit_once(",p=").ok_or(ScramError::Malformed("missing proof"))?;
        let mut attrs = without_proof.split(',');
        let binding =
            attrs.next().and_then(|a| a.strip_prefix("c=")).ok_or(ScramError::Malformed("missing binding"))?;
        if BASE64.decode(binding).ok() != Some(expected_binding) {
            return Err(ScramError::Malformed("unexpected channel binding data"));
        }
        if attrs.next().and_then(|a| a.strip_prefix("r=")) != Some(nonce.as_str()) {
            return Err(ScramError::Malformed("nonce does not match"));
        }
        let proof = BASE64.decode(proof).map_err(|_| ScramError::Malformed("malformed proof"))?;
        let Some(verifier) = &self.verifier else { return Err(ScramError::WrongPassword) };
        if proof.len() != verifier.stored_key.len() {
            return Err(ScramError::Malformed("malformed proof"));
        }
        let auth_message = format!("{auth_prefix},{without_proof}");
        let client_signature = hmac_sha256(&verifier.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&client_signature).map(|(p, s)| p ^ s).collect();
        let derived = digest::digest(&digest::SHA256, &client_key);
        if !constant_time_eq(derived.as_ref(), &verifier.stored_key) {
            return Err(ScramError::WrongPassword);
        }
        let server_signature = hmac_sha256(&verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)))
    }
}

/// Compares two keys without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example: user "user", password "pencil", 4096 iterations.
    #[test]
    fn rfc7677_exchange() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let verifier = verifier_with_salt("pencil", &salt, 4096);
        let mut exchange = ServerExchange::new(Some(&verifier.to_string()), None);
        let server_first = exchange.client_first(MECHANISM, b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        // The RFC's server nonce is fixed; ours is random, so rebuild the client's proof for it.
        let nonce = server_first.split(',').next().unwrap().strip_prefix("r=").unwrap().to_owned();
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("n=user,r=rOprNGfwEbeRWgbNEkqO,{server_first},{without_proof}");
        let proof = client_proof("pencil", &salt, &auth);
        let server_final = exchange.client_final(format!("{without_proof},p={proof}").as_bytes()).unwrap();
        assert!(server_final.starts_with("v="));
    }

    /// The RFC's exact messages check the key derivation against its published proof.
    #[test]
    fn rfc7677_known_proof() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                    s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        assert_eq!(client_proof("pencil", &salt, auth), "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        let verifier = verifier_with_salt("pencil", &salt, 4096);
        let server_signature = hmac_sha256(&verifier.server_key, auth.as_bytes());
        assert_eq!(BASE64.encode(server_signature), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    #[test]
    fn wrong_password_and_missing_verifier_fail_the_same_way() {
        let salt = [7u8; 16];
        let verifier = verifier_with_salt("right", &salt, 4096).to_string();
        for stored in [Some(verifier.as_str()), None] {
            let mut exchange = ServerExchange::new(stored, None);
            let server_first = exchange.client_first(MECHANISM, b"n,,n=,r=abc").unwrap();
            let nonce = server_first.split(',').next().unwrap().strip_prefix("r=").unwrap().to_owned();
            let without_proof = format!("c=biws,r={nonce}");
            let auth = format!("n=,r=abc,{server_first},{without_proof}");
            let proof = client_proof("wrong", &salt, &auth);
            let outcome = exchange.client_final(format!("{without_proof},p={proof}").as_bytes());
            assert_eq!(outcome, Err(ScramError::WrongPassword));
        }
    }

    #[test]
    fn channel_binding_ties_the_proof_to_the_certificate() {
        let salt = [9u8; 16];
        let verifier = verifier_with_salt("pw", &salt, 4096).to_string();
        let cert_hash = vec![0xab; 32];
        let run = |mechanism: &str, header: &str, binding: &[u8]| {
            let mut exchange = ServerExchange::new(Some(&verifier), Some(cert_hash.clone()));
            let server_first = exchange.client_first(mechanism, format!("{header}n=,r=xyz").as_bytes())?;
            let nonce = server_first.split(',').next().unwrap().strip_prefix("r=").unwrap().to_owned();
            let c = BASE64.encode([header.as_bytes(), binding].concat());
            let without_proof = format!("c={c},r={nonce}");
            let auth = format!("n=,r=xyz,{server_first},{without_proof}");
            let proof = client_proof("pw", &salt, &auth);
            exchange.client_final(format!("{without_proof},p={proof}").as_bytes())
        };
        let plus = "p=tls-server-end-point,,";
        assert!(run(MECHANISM_PLUS, plus, &cert_hash).is_ok());
        assert!(matches!(run(MECHANISM_PLUS, plus, &[0xcd; 32]), Err(ScramError::Malformed(_))));
        assert!(run(MECHANISM, "n,,", b"").is_ok());
        assert!(matches!(run(MECHANISM, "y,,", b""), Err(ScramError::Negotiation(_))), "downgrade refused");
        let mut plaintext = ServerExchange::new(Some(&verifier), None);
        assert_eq!(plaintext.mechanisms(), vec![MECHANISM.to_owned()]);
        assert!(plaintext.client_first(MECHANISM_PLUS, b"p=tls-server-end-point,,n=,r=a").is_err());
    }

    #[test]
    fn verifier_format_round_trips() {
        let text = make_verifier("secret");
        assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
        let parsed = Verifier::parse(&text).unwrap();
        assert_eq!(parsed.salt.len(), 16);
        assert_eq!(parsed.to_string(), text);
        assert_ne!(make_verifier("secret"), text, "salts are random");
    }

    fn client_proof(password: &str, salt: &[u8], auth: &str) -> String {
        let mut salted = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            std::num::NonZeroU32::new(4096).unwrap(),
            salt,
            password.as_bytes(),
            &mut salted,
        );
        let client_key = hmac_sha256(&salted, b"Client Key");
        let stored_key = digest::digest(&digest::SHA256, &client_key);
        let signature = hmac_sha256(stored_key.as_ref(), auth.as_bytes());
        BASE64.encode(client_key.iter().zip(&signature).map(|(k, s)| k ^ s).collect::<Vec<u8>>())
    }
}
