//! Authentication, TLS and the connection limit over the wire, with tokio-postgres as the client: DSQL auth
//! tokens (`--auth iam`), SCRAM-SHA-256 (`--auth password`), the "local" mode's role check, TLS with the
//! self-signed certificate, `--require-tls` and `--max-connections`. Each test starts
//! `occam::wire::serve_with_options` in-process on 127.0.0.1:0.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{Duration, Utc};
use occam::auth::scram;
use occam::auth::sigv4::Credentials;
use occam::auth::token::{self, TokenVerifier};
use occam::database::RoleLogin;
use occam::wire::{self, IamAuth, LocalAuth, LoginRoles, PasswordAuth, ServerOptions};
use occam::Database;
use tokio::net::TcpListener;
use tokio_postgres::{Client, NoTls};
use tokio_rustls::rustls;

/// A fixed role table (the catalog's roles are another module's business).
struct Roles(HashMap<String, RoleLogin>);

impl LoginRoles for Roles {
    fn role_login(&self, name: &str) -> Option<RoleLogin> {
        self.0.get(name).cloned()
    }
}

fn role(is_admin: bool, password: Option<&str>, iam_arns: &[&str]) -> RoleLogin {
    RoleLogin {
        can_login: true,
        is_admin,
        password_verifier: password.map(scram::make_verifier),
        iam_arns: iam_arns.iter().map(|arn| arn.to_string()).collect(),
    }
}

fn roles() -> Arc<Roles> {
    Arc::new(Roles(HashMap::from([
        ("admin".to_owned(), role(true, None, &[])),
        ("app".to_owned(), role(false, Some("s3cret pass"), &["arn:aws:iam::123456789012:role/App"])),
        ("unmapped".to_owned(), role(false, None, &[])),
        ("nologin".to_owned(), RoleLogin { can_login: false, ..role(false, Some("x"), &["arn:x"]) }),
    ])))
}

fn server_credentials() -> Credentials {
    Credentials {
        access_key_id: "AKIAOCCAMTEST0000001".into(),
        secret_access_key: "occam/secret/for+tests".into(),
        session_token: None,
    }
}

async fn start(options: ServerOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(wire::serve_with_options(listener, Database::open_in_memory(), options));
    addr
}

async fn start_iam() -> SocketAddr {
    let verifier = TokenVerifier { credentials: server_credentials(), region: None };
    start(ServerOptions { authenticator: Arc::new(IamAuth { roles: roles(), verifier }), ..Default::default() }).await
}

async fn connect(addr: SocketAddr, user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(addr.port()).user(user).password(password).dbname("postgres");
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The server's FATAL as `SQLSTATE message [hint]`.
fn fatal(result: Result<Client, tokio_postgres::Error>) -> (String, String, Option<String>) {
    let err = match result {
        Ok(_) => panic!("the connection was accepted"),
        Err(err) => err,
    };
    let db = err.as_db_error().unwrap_or_else(|| panic!("expected a server error, got {err:?}"));
    assert_eq!(db.severity(), "FATAL");
    (db.code().code().to_owned(), db.message().to_owned(), db.hint().map(str::to_owned))
}

fn token_for(admin: bool, credentials: &Credentials) -> String {
    token::generate("127.0.0.1", "us-east-1", admin, 900, credentials, Utc::now())
}

const ACCESS_DENIED: &str = "unable to accept connection, access denied";

#[tokio::test]
async fn iam_token_is_accepted() {
    let addr = start_iam().await;
    let client = connect(addr, "admin", &token_for(true, &server_credentials())).await.expect("admin connects");
    let row = client.query_one("SELECT 1 + 1", &[]).await.expect("query");
    assert_eq!(row.get::<_, i32>(0), 2);
    connect(addr, "app", &token_for(false, &server_credentials())).await.expect("mapped role connects");
}

#[tokio::test]
async fn tampered_iam_token_is_refused() {
    let addr = start_iam().await;
    let mut token = token_for(true, &server_credentials());
    let last = token.pop().expect("non-empty");
    token.push(if last == '0' { '1' } else { '0' });
    assert_eq!(fatal(connect(addr, "admin", &token).await), ("28000".into(), ACCESS_DENIED.into(), None));
}

#[tokio::test]
async fn expired_iam_token_is_refused_with_hint() {
    let addr = start_iam().await;
    let signed_at = Utc::now() - Duration::seconds(901);
    let token = token::generate("127.0.0.1", "us-east-1", true, 900, &server_credentials(), signed_at);
    assert_eq!(
        fatal(connect(addr, "admin", &token).await),
        ("28000".into(), ACCESS_DENIED.into(), Some("Signature expired".into()))
    );
}

#[tokio::test]
async fn iam_token_with_the_wrong_secret_is_refused() {
    let addr = start_iam().await;
    let wrong = Credentials { secret_access_key: "not-the-secret".into(), ..server_credentials() };
    assert_eq!(
        fatal(connect(addr, "admin", &token_for(true, &wrong)).await),
        ("28000".into(), ACCESS_DENIED.into(), None)
    );
}

#[tokio::test]
async fn iam_token_action_must_match_the_role() {
    let addr = start_iam().await;
    let connect_token = token_for(false, &server_credentials());
    assert_eq!(fatal(connect(addr, "admin", &connect_token).await), ("28000".into(), ACCESS_DENIED.into(), None));
    let admin_token = token_for(true, &server_credentials());
    assert_eq!(fatal(connect(addr, "app", &admin_token).await), ("28000".into(), ACCESS_DENIED.into(), None));
}

#[tokio::test]
async fn iam_needs_a_mapped_login_role() {
    let addr = start_iam().await;
    let token = token_for(false, &server_credentials());
    assert_eq!(fatal(connect(addr, "unmapped", &token).await), ("28000".into(), ACCESS_DENIED.into(), None));
    assert_eq!(
        fatal(connect(addr, "ghost", &token).await),
        ("28000".into(), "role \"ghost\" does not exist".into(), None)
    );
    assert_eq!(
        fatal(connect(addr, "nologin", &token).await),
        ("28000".into(), "role \"nologin\" is not permitted to log in".into(), None)
    );
}

#[tokio::test]
async fn scram_login_and_wrong_password() {
    let addr =
        start(ServerOptions { authenticator: Arc::new(PasswordAuth { roles: roles() }), ..Default::default() }).await;
    let client = connect(addr, "app", "s3cret pass").await.expect("right password");
    client.simple_query("SELECT 1").await.expect("query");
    let expected =
        |user: &str| ("28P01".to_owned(), format!("password authentication failed for user \"{user}\""), None);
    assert_eq!(fatal(connect(addr, "app", "wrong").await), expected("app"));
    // No password set, or no such role: the same answer, as in PostgreSQL.
    assert_eq!(fatal(connect(addr, "admin", "anything").await), expected("admin"));
    assert_eq!(fatal(connect(addr, "ghost", "anything").await), expected("ghost"));
    assert_eq!(
        fatal(connect(addr, "nologin", "x").await),
        ("28000".into(), "role \"nologin\" is not permitted to log in".into(), None)
    );
}

#[tokio::test]
async fn local_mode_needs_an_existing_role() {
    let addr =
        start(ServerOptions { authenticator: Arc::new(LocalAuth { roles: roles() }), ..Default::default() }).await;
    connect(addr, "app", "any password").await.expect("existing role");
    assert_eq!(
        fatal(connect(addr, "ghost", "x").await),
        ("28000".into(), "role \"ghost\" does not exist".into(), None)
    );
}

/// A TLS server with a fresh self-signed certificate, and a client config that trusts exactly it.
fn tls_pair() -> (wire::ServerTls, rustls::ClientConfig) {
    let (cert_pem, key_pem) = wire::tls::self_signed_pem().expect("certificate");
    let acceptor = wire::tls::acceptor_from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).expect("acceptor");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    (acceptor, client)
}

async fn connect_tls(addr: SocketAddr, client_config: rustls::ClientConfig) -> Result<Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config.host("localhost").port(addr.port()).user("admin").password("x").dbname("postgres");
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    let (client, connection) = config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(client_config)).await?;
    tokio::spawn(connection);
    Ok(client)
}

#[tokio::test]
async fn tls_connection_with_sslmode_require() {
    let (acceptor, client_config) = tls_pair();
    let addr = start(ServerOptions { tls: Some(acceptor), require_tls: true, ..Default::default() }).await;
    let client = connect_tls(addr, client_config).await.expect("TLS connect");
    let rows = client.query("SELECT 'over tls'", &[]).await.expect("query");
    assert_eq!(rows[0].get::<_, &str>(0), "over tls");
}

#[tokio::test]
async fn scram_with_channel_binding_over_tls() {
    let (tls, client_config) = tls_pair();
    let authenticator = Arc::new(PasswordAuth { roles: roles() });
    let addr = start(ServerOptions { authenticator, tls: Some(tls), ..Default::default() }).await;
    let mut config = tokio_postgres::Config::new();
    config.host("localhost").port(addr.port()).user("app").password("s3cret pass").dbname("postgres");
    config.ssl_mode(tokio_postgres::config::SslMode::Require);
    config.channel_binding(tokio_postgres::config::ChannelBinding::Require);
    let tls_connect = tokio_postgres_rustls::MakeRustlsConnect::new(client_config.clone());
    let (client, connection) = config.connect(tls_connect).await.expect("SCRAM-SHA-256-PLUS login");
    tokio::spawn(connection);
    client.simple_query("SELECT 1").await.expect("query");
    config.password("wrong");
    let refused = config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(client_config)).await;
    let err = refused.err().expect("wrong password refused");
    assert_eq!(err.as_db_error().map(|db| db.code().code()), Some("28P01"));
}

#[tokio::test]
async fn require_tls_refuses_plaintext() {
    let (acceptor, _) = tls_pair();
    let addr = start(ServerOptions { tls: Some(acceptor), require_tls: true, ..Default::default() }).await;
    let (code, message, _) = fatal(connect(addr, "admin", "x").await);
    assert_eq!((code.as_str(), message.as_str()), ("28000", "unable to accept connection, TLS is required"));
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused() {
    let addr = start(ServerOptions { max_connections: 2, ..Default::default() }).await;
    let first = connect(addr, "admin", "x").await.expect("first");
    let second = connect(addr, "admin", "x").await.expect("second");
    assert_eq!(
        fatal(connect(addr, "admin", "x").await),
        ("53300".into(), "sorry, too many clients already".into(), None)
    );
    first.simple_query("SELECT 1").await.expect("first still works");
    second.simple_query("SELECT 1").await.expect("second still works");
}
