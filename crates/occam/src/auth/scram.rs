//! SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL uses it: stored verifiers and the server side of the
//! exchange.

/// The verifier PostgreSQL stores for `password` (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
/// base64 fields), computed with a fresh random salt. Roles created `WITH PASSWORD` keep only this.
pub fn make_verifier(_password: &str) -> String {
    todo!("auth helper")
}
