//! `occam token` and `occam serve --auth iam` as an operator uses them: a token printed by the binary is
//! accepted by a server given the same credentials (environment or credentials file), over TLS with the
//! self-signed certificate the server writes into its data directory, with psql and tokio-postgres.

use std::process::{Command, Output};

mod common;
use common::{Server, OCCAM, PSQL};
const ACCESS_KEY: &str = "AKIAOCCAMCLITEST0001";
const SECRET_KEY: &str = "cli/secret+key";

/// `occam` with test credentials in the environment and nothing else of AWS's.
fn occam_command(args: &[&str]) -> Command {
    let mut command = Command::new(OCCAM);
    command
        .args(args)
        .env("RUST_LOG", "warn")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE");
    command
}

fn occam(args: &[&str]) -> Output {
    occam_command(args).output().expect("run occam")
}

fn token(args: &[&str]) -> String {
    let output = occam(&[&["token"], args].concat());
    assert!(output.status.success(), "occam token failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8").trim_end().to_owned()
}

/// `occam serve <extra>` with the test credentials, ready for connections.
fn start_server(extra: &[&str]) -> Server {
    Server::start_with(occam_command(&[]), common::free_port(), extra)
}

fn psql(port: u16, password: &str, sql: &str) -> Output {
    Command::new(PSQL)
        .args(["-h", "localhost", "-p", &port.to_string(), "-U", "admin", "-d", "postgres", "-X", "-A", "-t"])
        .args(["-c", sql])
        .env("PGPASSWORD", password)
        .env("PGSSLMODE", "require")
        .env("PGCONNECT_TIMEOUT", "30")
        .output()
        .expect("run psql")
}

#[test]
fn token_looks_like_the_aws_cli_output() {
    let admin = token(&["--hostname", "abc.dsql.eu-west-1.on.aws", "--admin", "--region", "eu-west-1"]);
    let prefix = format!(
        "abc.dsql.eu-west-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY}%2F"
    );
    assert!(admin.starts_with(&prefix), "{admin}");
    for part in [
        "%2Feu-west-1%2Fdsql%2Faws4_request&X-Amz-Date=",
        "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=",
    ] {
        assert!(admin.contains(part), "{admin}");
    }
    let other = token(&["--hostname", "h", "--expires-in", "60"]);
    assert!(other.starts_with("h/?Action=DbConnect&") && other.contains("&X-Amz-Expires=60&"), "{other}");
}

#[test]
fn token_without_credentials_is_a_clear_error() {
    let output = Command::new(OCCAM)
        .args(["token", "--hostname", "h", "--aws-credentials-file", "/nonexistent/credentials"])
        .output()
        .expect("run occam");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: no AWS credentials: cannot read /nonexistent/credentials"), "{stderr}");
}

#[test]
fn psql_connects_with_a_token_over_tls() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let server = start_server(&["--data-dir", dir, "--auth", "iam", "--require-tls"]);
    let admin_token = token(&["--hostname", "localhost", "--admin"]);
    let output = psql(server.port, &admin_token, "SELECT 'token accepted'");
    assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "token accepted");

    let output = psql(server.port, &admin_token.replace("Action=DbConnectAdmin", "Action=DbConnect"), "SELECT 1");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FATAL:  unable to accept connection, access denied"), "{stderr}");

    // The certificate was generated into the data directory and is reused by the next start.
    let cert = std::fs::read(data.path().join("server.crt")).expect("server.crt");
    assert!(data.path().join("server.key").exists());
    drop(server);
    let server = start_server(&["--data-dir", dir, "--auth", "iam"]);
    assert_eq!(std::fs::read(data.path().join("server.crt")).expect("server.crt"), cert);
    let output = psql(server.port, &admin_token, "SELECT 1");
    assert!(output.status.success(), "psql failed: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn credentials_file_and_profile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("credentials");
    std::fs::write(&file, "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n\n[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = c\n").expect("write");
    let file = file.to_str().expect("utf-8 path");
    let default = token(&["--hostname", "h", "--aws-credentials-file", file]);
    assert!(default.contains("X-Amz-Credential=AKIADEFAULT%2F"), "{default}");
    let ci = token(&["--hostname", "h", "--aws-credentials-file", file, "--aws-profile", "ci"]);
    assert!(ci.contains("X-Amz-Credential=AKIACI%2F"), "{ci}");
}

#[test]
fn iam_server_without_credentials_does_not_start() {
    let output = Command::new(OCCAM)
        .args(["serve", "--in-memory", "--listen", "127.0.0.1:0", "--auth", "iam"])
        .args(["--aws-credentials-file", "/nonexistent/credentials"])
        .output()
        .expect("run occam");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: no AWS credentials: cannot read /nonexistent/credentials"), "{stderr}");
}
