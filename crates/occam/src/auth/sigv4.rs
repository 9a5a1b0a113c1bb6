//! AWS Signature Version 4 for presigned URLs (query-string authentication), generic over the service,
//! host and path, so the same code signs DSQL auth tokens and checks AWS's published S3 example.
//!
//! ```text
//!   canonical request   GET \n <path> \n <sorted, URI-encoded query without X-Amz-Signature> \n
//!                       host:<host> \n \n host \n <payload hash>
//!   string to sign      AWS4-HMAC-SHA256 \n <yyyymmddThhmmssZ> \n <yyyymmdd>/<region>/<service>/aws4_request \n
//!                       hex(sha256(canonical request))
//!   signing key         HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request"
//!   signature           hex(HMAC(signing key, string to sign))
//! ```

use chrono::{DateTime, Utc};
use ring::{digest, hmac};

/// The only algorithm name SigV4 uses.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The hex SHA-256 of an empty body: what non-S3 presigners (botocore's `SigV4QueryAuth`, the Rust SDK)
/// put in the canonical request of a GET.
pub const EMPTY_PAYLOAD_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// What S3 presigned URLs put there instead.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The timestamp format of `X-Amz-Date`.
pub const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// An access key pair, with the session token of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    // The secret and the session token never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// What a presigned request is for: everything but the credentials and the time.
#[derive(Debug, Clone)]
pub struct PresignRequest<'a> {
    pub host: &'a str,
    pub path: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// Parameters of the request itself (e.g. `Action`), unencoded.
    pub params: Vec<(String, String)>,
    pub expires_in_secs: u64,
    pub payload_hash: &'a str,
}

/// Signs `request` at time `now`, returning the query string to append after `?`. Its parameters come in
/// the order botocore (and so the AWS CLI) prints them: the request's own, then the SigV4 ones with the
/// session token last, then `X-Amz-Signature`; the signature itself covers them sorted.
pub fn presign(request: &PresignRequest<'_>, credentials: &Credentials, now: DateTime<Utc>) -> String {
    let amz_date = now.format(AMZ_DATE_FORMAT).to_string();
    let scope = credential_scope(&amz_date[..8], request.region, request.service);
    let mut params = request.params.clone();
    params.push(("X-Amz-Algorithm".into(), ALGORITHM.into()));
    params.push(("X-Amz-Credential".into(), format!("{}/{scope}", credentials.access_key_id)));
    params.push(("X-Amz-Date".into(), amz_date.clone()));
    params.push(("X-Amz-Expires".into(), request.expires_in_secs.to_string()));
    params.push(("X-Amz-SignedHeaders".into(), "host".into()));
    if let Some(token) = &credentials.session_token {
        params.push(("X-Amz-Security-Token".into(), token.clone()));
    }
    let signature = signature(
        &credentials.secret_access_key,
        &amz_date,
        &scope,
        request.region,
        request.service,
        &canonical_request(request.path, &canonical_query(&params), request.host, request.payload_hash),
    );
    let printed: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v))).collect();
    format!("{}&X-Amz-Signature={signature}", printed.join("&"))
}

/// `<yyyymmdd>/<region>/<service>/aws4_request`.
pub fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

/// The canonical request of a presigned GET that signs only the `host` header.
pub fn canonical_request(path: &str, canonical_query: &str, host: &str, payload_hash: &str) -> String {
    format!("GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\n{payload_hash}")
}

/// The hex signature of `canonical_request` (see the module diagram).
pub fn signature(
    secret_access_key: &str,
    amz_date: &str,
    scope: &str,
    region: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    let request_hash = hex(digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref());
    let string_to_sign = format!("{ALGORITHM}\n{amz_date}\n{scope}\n{request_hash}");
    let date = &amz_date[..8.min(amz_date.len())];
    let mut key = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    hex(&hmac_sha256(&key, string_to_sign.as_bytes()))
}

/// Parameters sorted by encoded name then value, each URI-encoded, joined with `&`.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (uri_encode(k), uri_encode(v))).collect();
    encoded.sort();
    encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// SigV4's URI encoding: everything but the RFC 3986 unreserved characters as `%XX` (upper-case hex).
pub fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref().to_vec()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two signatures without leaking where they differ through timing.
pub fn signatures_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// AWS's documented presigned-URL example (S3 "Authenticating Requests: Using Query Parameters").
    #[test]
    fn s3_presigned_url_known_answer() {
        let credentials = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let request = PresignRequest {
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            region: "us-east-1",
            service: "s3",
            params: Vec::new(),
            expires_in_secs: 86400,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap();
        let query = presign(&request, &credentials, now);
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F\
             aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&\
             X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved_characters() {
        assert_eq!(uri_encode("a-b_c.d~e/f+g=h i"), "a-b_c.d~e%2Ff%2Bg%3Dh%20i");
    }
}
