//! Aurora DSQL auth tokens: generating them as `aws dsql generate-db-connect[-admin]-auth-token` does, and
//! checking them at connect time, with one signer (see [`super::sigv4`]) for both.
//!
//! A token is a SigV4 presigned URL without its scheme, service `dsql`, path `/`:
//! `<host>/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=<AKID>%2F<date>%2F<region>
//! %2Fdsql%2Faws4_request&X-Amz-Date=<time>&X-Amz-Expires=900&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=..]
//! &X-Amz-Signature=<hex>`. The canonical request hashes an empty payload, as botocore's `SigV4QueryAuth`
//! and the Rust SDK do for this GET (only S3 presigns with `UNSIGNED-PAYLOAD`).
//!
//! The local server differs from the service in two deliberate ways: it accepts whatever host the token
//! names (it cannot know the name clients reach it by), and it knows one set of credentials, given to it at
//! start, instead of asking IAM who owns an access key.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::sigv4::{self, Credentials, PresignRequest, AMZ_DATE_FORMAT, EMPTY_PAYLOAD_HASH};

/// The SigV4 service name of DSQL's connect actions.
pub const SERVICE: &str = "dsql";
/// `Action` of a token for the `admin` role (IAM action `dsql:DbConnectAdmin`).
pub const ACTION_ADMIN: &str = "DbConnectAdmin";
/// `Action` of a token for any other role (IAM action `dsql:DbConnect`).
pub const ACTION_CONNECT: &str = "DbConnect";
/// The default lifetime, as the AWS CLI and SDKs use.
pub const DEFAULT_EXPIRES_IN_SECS: u64 = 900;
/// SigV4's longest presigned lifetime (one week).
pub const MAX_EXPIRES_IN_SECS: u64 = 604_800;
/// How far in the future a token's signing time may lie (client clock ahead of ours).
const MAX_CLOCK_SKEW_SECS: i64 = 900;

/// Generates a token for connecting to `host` as the admin role (`admin`) or any other role.
pub fn generate(
    host: &str,
    region: &str,
    admin: bool,
    expires_in_secs: u64,
    credentials: &Credentials,
    now: DateTime<Utc>,
) -> String {
    let action = if admin { ACTION_ADMIN } else { ACTION_CONNECT };
    let request = PresignRequest {
        host,
        path: "/",
        region,
        service: SERVICE,
        params: vec![("Action".into(), action.into())],
        expires_in_secs,
        payload_hash: EMPTY_PAYLOAD_HASH,
    };
    format!("{host}/?{}", sigv4::presign(&request, credentials, now))
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    /// Well-formed and correctly signed, but past `X-Amz-Date + X-Amz-Expires`.
    Expired,
    /// Anything else: malformed, wrong key, wrong signature, wrong action, wrong region. The reason is for
    /// the server log only; clients get the same message whatever it is.
    Invalid(String),
}

/// What the server checks tokens against.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    pub credentials: Credentials,
    /// When set, the token's credential scope must name this region; otherwise any region is accepted.
    pub region: Option<String>,
}

impl TokenVerifier {
    /// Checks `token` for a connection as the admin role (`admin == true`) or another role, at time `now`.
    pub fn verify(&self, token: &str, admin: bool, now: DateTime<Utc>) -> Result<(), TokenRejection> {
        let invalid = |reason: &str| Err(TokenRejection::Invalid(reason.to_owned()));
        let Some((host, rest)) = token.split_once('/') else { return invalid("no path") };
        let Some(query) = rest.strip_prefix('?') else { return invalid("path is not /") };
        if host.is_empty() {
            return invalid("no host");
        }
        let mut params = Vec::new();
        let mut signature = None;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(name), Some(value)) = (percent_decode(name), percent_decode(value)) else {
                return invalid("bad percent-encoding");
            };
            if name == "X-Amz-Signature" {
                if signature.replace(value).is_some() {
                    return invalid("two signatures");
                }
            } else {
                params.push((name, value));
            }
        }
        let Some(signature) = signature else { return invalid("no signature") };
        let single = |name: &str| -> Option<&str> {
            let mut values = params.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let first = values.next();
            if values.next().is_some() {
                None
            } else {
                first
            }
        };
        let expected_action = if admin { ACTION_ADMIN } else { ACTION_CONNECT };
        if single("Action") != Some(expected_action) {
            return invalid("wrong Action for this role");
        }
        if single("X-Amz-Algorithm") != Some(sigv4::ALGORITHM) {
            return invalid("unsupported algorithm");
        }
        if single("X-Amz-SignedHeaders") != Some("host") {
            return invalid("signed headers must be exactly host");
        }
        let Some(amz_date) = single("X-Amz-Date") else { return invalid("no X-Amz-Date") };
        let Ok(signed_at) = NaiveDateTime::parse_from_str(amz_date, AMZ_DATE_FORMAT) else {
            return invalid("malformed X-Amz-Date");
        };
        let signed_at = signed_at.and_utc();
        let Some(expires) = single("X-Amz-Expires").and_then(|e| e.parse::<u64>().ok()) else {
            return invalid("malformed X-Amz-Expires");
        };
        if expires == 0 || expires > MAX_EXPIRES_IN_SECS {
            return invalid("X-Amz-Expires out of range");
        }
        let Some(credential) = single("X-Amz-Credential") else { return invalid("no X-Amz-Credential") };
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, "aws4_request"] = scope[..] else {
            return invalid("malformed credential scope");
        };
        if access_key_id != self.credentials.access_key_id {
            return invalid("unknown access key");
        }
        if date != &amz_date[..8] || service != SERVICE {
            return invalid("credential scope does not match");
        }
        if self.region.as_deref().is_some_and(|expected| expected != region) {
            return invalid("wrong region");
        }
        if single("X-Amz-Security-Token") != self.credentials.session_token.as_deref() {
            return invalid("session token does not match");
        }
        let scope_text = sigv4::credential_scope(date, region, service);
        let canonical = sigv4::canonical_request("/", &sigv4::canonical_query(&params), host, EMPTY_PAYLOAD_HASH);
        let expected =
            sigv4::signature(&self.credentials.secret_access_key, amz_date, &scope_text, region, service, &canonical);
        if !sigv4::signatures_match(&expected, &signature) {
            return invalid("signature does not match");
        }
        if signed_at - now > Duration::seconds(MAX_CLOCK_SKEW_SECS) {
            return invalid("signed in the future");
        }
        if now > signed_at + Duration::seconds(expires as i64) {
            return Err(TokenRejection::Expired);
        }
        Ok(())
    }
}

/// Decodes `%XX` escapes (and nothing else: SigV4 query strings never use `+` for space).
fn percent_decode(text: &str) -> Option<String> {
    String::from_utf8(percent_encoding::percent_decode_str(text).collect()).ok()
}

/// Where credentials come from, as the AWS CLI looks: an explicit credentials file and profile; else the
/// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`); else the
/// shared credentials file (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`) with profile
/// `AWS_PROFILE` or `default`.
pub fn load_credentials(file: Option<&Path>, profile: Option<&str>) -> Result<Credentials, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    if file.is_none() && profile.is_none() {
        if let (Some(access_key_id), Some(secret_access_key)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
        {
            return Ok(Credentials { access_key_id, secret_access_key, session_token: env("AWS_SESSION_TOKEN") });
        }
    }
    let path = match file {
        Some(path) => path.to_path_buf(),
        None => match (env("AWS_SHARED_CREDENTIALS_FILE"), env("HOME")) {
            (Some(path), _) => PathBuf::from(path),
            (None, Some(home)) => Path::new(&home).join(".aws").join("credentials"),
            (None, None) => return Err("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into()),
        },
    };
    let profile = profile.map(str::to_owned).or_else(|| env("AWS_PROFILE")).unwrap_or_else(|| "default".into());
    let text = std::fs::read_to_string(&path)
        .map_err(|err| format!("no AWS credentials: cannot read {}: {err}", path.display()))?;
    parse_credentials_file(&text, &profile)
        .ok_or_else(|| format!("no AWS credentials for profile \"{profile}\" in {}", path.display()))
}

/// Reads one profile of a `~/.aws/credentials` style INI file.
pub fn parse_credentials_file(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_profile = false;
    let (mut access_key_id, mut secret_access_key, mut session_token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            in_profile = section == profile || section.strip_prefix("profile ").map(str::trim) == Some(profile);
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            let value = Some(value.trim().to_owned());
            match key.trim().to_ascii_lowercase().as_str() {
                "aws_access_key_id" => access_key_id = value,
                "aws_secret_access_key" => secret_access_key = value,
                "aws_session_token" => session_token = value,
                _ => {}
            }
        }
    }
    Some(Credentials { access_key_id: access_key_id?, secret_access_key: secret_access_key?, session_token })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier { credentials: credentials(), region: None }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    /// Byte-for-byte what botocore 1.43 (the AWS CLI's signer) prints for the same inputs, its clock frozen
    /// at 2026-11-21T12:00:00Z; both tokens also verify.
    #[test]
    fn tokens_match_botocore() {
        let admin = generate("abc.dsql.us-east-1.on.aws", "us-east-1", true, 900, &credentials(), at(0));
        assert_eq!(
            admin,
            "abc.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\
             AKIAIOSFODNN7EXAMPLE%2F20261121%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20261121T120000Z&\
             X-Amz-Expires=900&X-Amz-SignedHeaders=host&\
             X-Amz-Signature=19c4f2658bb50df734bfd9018216bb97b4b91e0583754532c82ad8d10be84bc0"
        );
        assert_eq!(verifier().verify(&admin, true, at(0)), Ok(()));

        let session = Credentials { session_token: Some("FQo/GZ+x=".into()), ..credentials() };
        let connect = generate("abc.dsql.us-east-1.on.aws", "us-east-1", false, 3600, &session, at(0));
        assert_eq!(
            connect,
            "abc.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\
             AKIAIOSFODNN7EXAMPLE%2F20261121%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20261121T120000Z&\
             X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FQo%2FGZ%2Bx%3D&\
             X-Amz-Signature=7f107b4203c3099528ff720de50bdbed19d000960cae378dfdd69f34960646b4"
        );
        let with_session = TokenVerifier { credentials: session, region: None };
        assert_eq!(with_session.verify(&connect, false, at(0)), Ok(()));
    }

    #[test]
    fn generated_tokens_verify_until_they_expire() {
        let token = generate("h", "eu-west-1", false, 60, &credentials(), at(0));
        assert_eq!(verifier().verify(&token, false, at(60)), Ok(()));
        assert_eq!(verifier().verify(&token, false, at(61)), Err(TokenRejection::Expired));
        assert!(matches!(verifier().verify(&token, true, at(0)), Err(TokenRejection::Invalid(_))));
        let pinned = TokenVerifier { region: Some("us-east-1".into()), ..verifier() };
        assert!(matches!(pinned.verify(&token, false, at(0)), Err(TokenRejection::Invalid(_))));
    }

    #[test]
    fn session_tokens_are_signed_and_checked() {
        let session = Credentials { session_token: Some("FQo/GZ+x=".into()), ..credentials() };
        let token = generate("h", "us-east-1", true, 900, &session, at(0));
        assert!(token.contains("&X-Amz-SignedHeaders=host&X-Amz-Security-Token=FQo%2FGZ%2Bx%3D&"), "{token}");
        let with_session = TokenVerifier { credentials: session, region: None };
        assert_eq!(with_session.verify(&token, true, at(0)), Ok(()));
        assert!(matches!(verifier().verify(&token, true, at(0)), Err(TokenRejection::Invalid(_))));
    }

    #[test]
    fn credentials_file_profiles() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = S\n\n[profile dev]\n\
                    aws_access_key_id=B\naws_secret_access_key=T\naws_session_token=X\n";
        let default = parse_credentials_file(text, "default").unwrap();
        assert_eq!((default.access_key_id.as_str(), default.session_token), ("A", None));
        let dev = parse_credentials_file(text, "dev").unwrap();
        assert_eq!((dev.access_key_id.as_str(), dev.session_token.as_deref()), ("B", Some("X")));
        assert!(parse_credentials_file(text, "missing").is_none());
    }
}
