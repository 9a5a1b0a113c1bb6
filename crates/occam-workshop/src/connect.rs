//! How the workshop's clients open connections: TLS as `PGSSLMODE` says (libpq's `require` semantics: the
//! channel is encrypted, the server's certificate is not verified, so occam's self-signed one is
//! accepted), and the password from `PGPASSWORD` or, without one, a fresh DSQL IAM auth token per
//! connection (as the talk's helper gets from the AWS SDK, and `aws dsql generate-db-connect-admin-auth-token`
//! prints), signed with occam's SigV4 code from the usual AWS credential sources.

use std::sync::Arc;

use anyhow::Context;
use occam::auth::sigv4::Credentials;
use occam::auth::token;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Signs a DSQL auth token for each new connection (tokens expire; a pool outlives one).
#[derive(Clone)]
pub struct IamToken {
    /// The host name signed into the token (the endpoint's).
    pub hostname: String,
    /// The region of the credential scope.
    pub region: String,
    /// An admin token (`DbConnectAdmin`, for the `admin` role) or not (`DbConnect`).
    pub admin: bool,
    pub credentials: Credentials,
}

impl IamToken {
    /// A token valid for [`token::DEFAULT_EXPIRES_IN_SECS`] from now.
    pub fn generate(&self) -> String {
        token::generate(
            &self.hostname,
            &self.region,
            self.admin,
            token::DEFAULT_EXPIRES_IN_SECS,
            &self.credentials,
            chrono::Utc::now(),
        )
    }
}

/// The region for an endpoint's tokens: `AWS_REGION`, `AWS_DEFAULT_REGION`, the region in a DSQL endpoint
/// name (`<id>.dsql.<region>.on.aws`), else `us-east-1`.
pub fn region_for(hostname: &str, var: impl Fn(&str) -> Option<String>) -> String {
    if let Some(region) = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")) {
        return region;
    }
    let labels: Vec<&str> = hostname.split('.').collect();
    if let Some(i) = labels.iter().position(|l| *l == "dsql") {
        if labels.get(i + 2..) == Some(&["on", "aws"][..]) {
            return labels[i + 1].to_owned();
        }
    }
    "us-east-1".to_owned()
}

impl From<Config> for Connector {
    fn from(config: Config) -> Connector {
        Connector::new(config)
    }
}

/// Connection settings plus what tokio-postgres' `Config` cannot hold: the TLS client and the token signer.
#[derive(Clone)]
pub struct Connector {
    config: Config,
    tls: MakeRustlsConnect,
    iam: Option<IamToken>,
}

impl Connector {
    /// Connects with `config` (its password, its `ssl_mode`: TLS is tried unless it is `Disable`).
    pub fn new(config: Config) -> Connector {
        Connector { config, tls: MakeRustlsConnect::new(tls_client_config()), iam: None }
    }

    /// Uses a fresh IAM auth token as the password of each connection.
    pub fn with_iam_token(mut self, iam: IamToken) -> Connector {
        self.iam = Some(iam);
        self
    }

    /// The same endpoint as role `user` (an IAM token then is an admin token only for `admin`).
    pub fn for_user(&self, user: &str) -> Connector {
        let mut connector = self.clone();
        connector.config.user(user);
        if let Some(iam) = &mut connector.iam {
            iam.admin = user == "admin";
        }
        connector
    }

    /// The same endpoint with run-time parameters every connection sets at startup (libpq's `options`,
    /// `-c name=value`).
    pub fn with_startup_options(mut self, options: &str) -> Connector {
        self.config.options(options);
        self
    }

    /// The settings (without the token).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether passwords are IAM tokens.
    pub fn iam(&self) -> Option<&IamToken> {
        self.iam.as_ref()
    }

    /// Opens a connection; its I/O runs on a spawned task until the client is dropped.
    pub async fn connect(&self) -> Result<Client, tokio_postgres::Error> {
        let (client, connection) = match &self.iam {
            Some(iam) => {
                let mut config = self.config.clone();
                config.password(iam.generate());
                config.connect(self.tls.clone()).await?
            }
            None => self.config.connect(self.tls.clone()).await?,
        };
        tokio::spawn(async move {
            // Ends when the client is dropped or the server goes away; either way the client sees it.
            let _ = connection.await;
        });
        Ok(client)
    }
}

/// `PGSSLMODE` as tokio-postgres' mode: `disable`; `allow` and `prefer` (the default) try TLS and fall back to
/// plaintext; `require` insists on TLS. The `verify-*` modes are refused: the workshop does not check
/// certificates.
pub fn ssl_mode(value: Option<&str>) -> anyhow::Result<SslMode> {
    match value {
        Some("disable") => Ok(SslMode::Disable),
        None | Some("allow" | "prefer") => Ok(SslMode::Prefer),
        Some("require") => Ok(SslMode::Require),
        Some(mode) => anyhow::bail!(
            "PGSSLMODE={mode} is not supported: occam-workshop encrypts without verifying the server's \
             certificate (use PGSSLMODE=require)"
        ),
    }
}

/// A rustls client that accepts any server certificate, as libpq's `sslmode=require`.
pub fn tls_client_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth()
}

/// Checks the handshake's signatures (the server holds the certificate's key) but not who signed the
/// certificate or which names it is for.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The endpoint named by `var` (the environment: see [`crate::local::endpoint_from_env`]), if any.
pub fn endpoint_from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<Connector>> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty());
    let Some(host) = var("CLUSTER_ENDPOINT").or_else(|| var("PGHOST")) else {
        return Ok(None);
    };
    let mut config = Config::new();
    config.host(&host);
    let port = match var("PGPORT") {
        Some(port) => port.parse::<u16>().with_context(|| format!("PGPORT={port} is not a port"))?,
        None => 5432,
    };
    config.port(port);
    let user = var("PGUSER").unwrap_or_else(|| "admin".to_owned());
    config.user(&user);
    config.dbname(var("PGDATABASE").as_deref().unwrap_or("postgres"));
    config.ssl_mode(ssl_mode(var("PGSSLMODE").as_deref())?);
    config.application_name("occam-workshop");
    match var("PGPASSWORD") {
        Some(password) => {
            config.password(password);
            Ok(Some(Connector::new(config)))
        }
        None => {
            let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(access_key_id), Some(secret_access_key)) => {
                    Credentials { access_key_id, secret_access_key, session_token: var("AWS_SESSION_TOKEN") }
                }
                _ => token::load_credentials(None, None).map_err(|err| {
                    anyhow::anyhow!("no PGPASSWORD, and no AWS credentials to sign an IAM auth token with: {err}")
                })?,
            };
            let iam = IamToken { region: region_for(&host, var), hostname: host, admin: user == "admin", credentials };
            Ok(Some(Connector::new(config).with_iam_token(iam)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        let none = |_: &str| None;
        assert_eq!(region_for("abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws", none), "eu-west-1");
        assert_eq!(region_for("127.0.0.1", none), "us-east-1");
        assert_eq!(
            region_for("x.dsql.eu-west-1.on.aws", |n: &str| (n == "AWS_REGION").then(|| "ap-south-1".into())),
            "ap-south-1"
        );
    }

    #[test]
    fn ssl_modes() {
        assert_eq!(ssl_mode(None).unwrap(), SslMode::Prefer);
        assert_eq!(ssl_mode(Some("require")).unwrap(), SslMode::Require);
        assert_eq!(ssl_mode(Some("disable")).unwrap(), SslMode::Disable);
        assert!(ssl_mode(Some("verify-full")).is_err());
    }

    #[test]
    fn a_password_or_a_token() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert!(endpoint_from_vars(vars(&[])).unwrap().is_none());
        let c = endpoint_from_vars(vars(&[("PGHOST", "h"), ("PGPASSWORD", "p")])).unwrap().unwrap();
        assert!(c.iam().is_none());
        assert_eq!(c.config().get_password(), Some(&b"p"[..]));
        let c = endpoint_from_vars(vars(&[
            ("CLUSTER_ENDPOINT", "id.dsql.us-west-2.on.aws"),
            ("PGUSER", "myapp"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]))
        .unwrap()
        .unwrap();
        let iam = c.iam().expect("a token signer");
        assert_eq!(
            (iam.hostname.as_str(), iam.region.as_str(), iam.admin),
            ("id.dsql.us-west-2.on.aws", "us-west-2", false)
        );
        let verifier = token::TokenVerifier { credentials: iam.credentials.clone(), region: Some("us-west-2".into()) };
        verifier.verify(&iam.generate(), false, chrono::Utc::now()).expect("a valid DbConnect token");
    }
}
