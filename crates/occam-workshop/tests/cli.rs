//! The `occam-workshop` binary in zero-setup mode: each chapter runs against an occam it starts itself,
//! through the function it serves itself over HTTP, and prints the talk's output.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary with `tmp` as its temporary directory (where the default data directory lives) and no
/// database or function endpoint in the environment.
fn workshop_in(tmp: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_occam-workshop"))
        .args(args)
        .env("TMPDIR", tmp)
        .env_remove("CLUSTER_ENDPOINT")
        .env_remove("PGHOST")
        .env_remove("AWS_ENDPOINT_URL_LAMBDA")
        .output()
        .expect("run occam-workshop")
}

/// [`workshop_in`] a temporary directory of its own.
fn workshop(args: &[&str]) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    workshop_in(tmp.path(), args)
}

fn success(args: &[&str], output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn stdout_of(args: &[&str]) -> String {
    success(args, workshop(args))
}

#[test]
fn chapters_0_1_and_3_pass_and_share_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db");
    let data = data.to_str().unwrap();

    let out = stdout_of(&["--test-chapter", "0", "--data-dir", data]);
    assert!(out.contains("connected to DSQL successfully"), "{out}");
    assert!(out.contains("✅ Chapter 0 test PASSED"), "{out}");

    let out = stdout_of(&["--test-chapter", "1", "--data-dir", data]);
    assert!(out.contains(r#"with payload '{"payer_id":1,"payee_id":2,"amount":10}'"#), "{out}");
    assert!(out.contains("\"balance\": 90"), "{out}");
    assert!(out.contains("✅ Chapter 1 test PASSED\nPayer balance after transfer: 90"), "{out}");

    // The data directory is durable: chapter 3 sees chapter 1's transfer.
    let out = stdout_of(&["--test-chapter", "3", "--data-dir", data]);
    assert!(out.contains("\"balance\": 80"), "{out}");
    assert!(out.contains("Found 2 recent transactions:"), "{out}");
    assert!(out.contains("  1. ID: ") && out.contains(", Payer: 1, Payee: 2, Amount: 10, Time: "), "{out}");
    assert!(out.contains("✅ Chapter 3 test PASSED"), "{out}");
}

/// Without --data-dir the database lives in the temporary directory and is kept between runs, as the
/// talk's cluster is between chapters; the function logs in as `myapp`, the role the set-up creates.
#[test]
fn the_default_data_dir_is_kept_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--test-chapter", "1"];
    let output = workshop_in(tmp.path(), &args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let out = success(&args, output);
    assert!(out.contains("Payer balance after transfer: 90"), "{out}");
    assert!(stderr.contains("as role myapp"), "{stderr}");
    assert!(stderr.contains("role myapp (AWS IAM GRANT to arn:aws:iam::000000000000:role/"), "{stderr}");
    assert!(tmp.path().join("occam-workshop").is_dir());
    let out = success(&args, workshop_in(tmp.path(), &args));
    assert!(out.contains("Payer balance after transfer: 80"), "{out}");
}

/// Chapter 4 at a small scale: --setup-ch04's accounts, workers sharing the calls in flight.
#[test]
fn chapter_4_runs_workers_over_the_setup_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let chapter4 =
        ["--test-chapter", "4", "--accounts", "5000", "--calls", "2000", "--parallel", "200", "--workers", "4"];
    let output = workshop_in(tmp.path(), &chapter4);
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("account 5,000 does not exist: run --setup-ch04 first"), "{out}");

    let setup = ["--setup-ch04", "--accounts", "5000"];
    success(&setup, workshop_in(tmp.path(), &setup));
    let out = success(&chapter4, workshop_in(tmp.path(), &chapter4));
    for line in [
        "Testing Chapter 4: Extreme Stress Test - 2K Invocations (200 parallel x 10 iterations)",
        "Total invocations: 2,000",
        "Parallel requests per batch: 200",
        "Number of batches: 10",
        "Number of workers: 4",
        "Starting 4 workers...",
        "Each worker handles 50 parallel calls per iteration, for 10 iterations",
        "Created 4 worker(s)",
        "Total calls:        2,000",
        "Successful:         2,000 (100.00%)",
        "OCC Retry Statistics:",
        "✅ Chapter 4 test complete",
    ] {
        assert!(out.contains(line), "{line:?} missing from\n{out}");
    }
}

#[test]
fn chapter_2_prints_the_stats_block() {
    let out = stdout_of(&["--test-chapter", "2", "--calls", "400", "--parallel", "100"]);
    for line in [
        "Testing Chapter 2: Stress Test - 400 Invocations (100 parallel x 4 iterations)",
        "Total invocations: 400",
        "Number of batches: 4",
        "STATS",
        "Total calls:        400",
        "Successful:         400 (100.00%)",
        "Errors:             0 (0.00%)",
        "Throughput:",
        "  p50:",
        "  p99:",
        "OCC Retry Statistics:",
        "Transactions with retries:",
        "✅ Chapter 2 test complete",
    ] {
        assert!(out.contains(line), "{line:?} missing from\n{out}");
    }

    let out = stdout_of(&["--test-chapter", "2", "--calls", "200", "--parallel", "100", "--retries", "off"]);
    assert!(out.contains("Total calls:        200"), "{out}");
    assert!(!out.contains("OCC Retry Statistics:"), "{out}");
}

#[test]
fn unknown_chapters_fail() {
    let output = workshop(&["--test-chapter", "7"]);
    assert!(!output.status.success());
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("test FAILED: there is no chapter 7"), "{out}");
}

/// With PGHOST set the CLI is an ordinary client of that server (here an occam serving from the test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_from_the_environment() {
    let server = occam_workshop::local::LocalServer::start(None).await.unwrap();
    let port = server.addr.port().to_string();
    let run = |args: &'static [&'static str], sslmode: &'static str| {
        let port = port.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_occam-workshop"))
                .args(args)
                .env_remove("CLUSTER_ENDPOINT")
                .env_remove("AWS_ENDPOINT_URL_LAMBDA")
                .env("PGHOST", "127.0.0.1")
                .env("PGPORT", port)
                .env("PGUSER", "admin")
                .env("PGPASSWORD", "anything")
                .env("PGSSLMODE", sslmode)
                .output()
                .unwrap()
        })
    };
    let text = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();

    // Chapter 0 needs no table; chapter 1 fails until the schema exists.
    let output = run(&["--test-chapter", "0"], "prefer").await.unwrap();
    assert!(output.status.success() && text(&output).contains("✅ Chapter 0 test PASSED"), "{}", text(&output));
    let output = run(&["--test-chapter", "1"], "disable").await.unwrap();
    assert!(!output.status.success());
    assert!(text(&output).contains("test FAILED"), "{}", text(&output));

    let output = run(&["--test-chapter", "1", "--create-schema"], "prefer").await.unwrap();
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("Payer balance after transfer: 90"), "{}", text(&output));
    let output = run(&["--test-chapter", "1", "--create-schema"], "prefer").await.unwrap();
    assert!(text(&output).contains("Payer balance after transfer: 80"), "{}", text(&output));

    // PGSSLMODE=require against a server without TLS fails rather than silently downgrading.
    let output = run(&["--test-chapter", "0"], "require").await.unwrap();
    assert!(!output.status.success());
    assert!(text(&output).contains("test FAILED"), "{}", text(&output));
    let output = run(&["--test-chapter", "0"], "verify-full").await.unwrap();
    assert!(!output.status.success());
    assert!(text(&output).contains("PGSSLMODE=verify-full is not supported"), "{}", text(&output));
}

/// Runs the binary against `addr` with `env` (PGHOST, PGPORT, PGUSER set; no PGPASSWORD or AWS keys
/// unless `env` gives them; HOME pointed at an empty directory so that no ~/.aws/credentials is found).
async fn run_against(
    addr: std::net::SocketAddr,
    args: &'static [&'static str],
    env: Vec<(&'static str, String)>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_occam-workshop"));
        command.args(args).env("HOME", home.path());
        for name in [
            "CLUSTER_ENDPOINT",
            "PGPASSWORD",
            "PGSSLMODE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ENDPOINT_URL_LAMBDA",
        ] {
            command.env_remove(name);
        }
        command.env("PGHOST", "127.0.0.1").env("PGPORT", addr.port().to_string()).env("PGUSER", "admin");
        command.envs(env).output().unwrap()
    })
    .await
    .unwrap()
}

fn self_signed_tls() -> occam::wire::ServerTls {
    let (cert, key) = occam::wire::tls::self_signed_pem().unwrap();
    occam::wire::tls::acceptor_from_pem(cert.as_bytes(), key.as_bytes()).unwrap()
}

/// The talk's `PGSSLMODE=require` against an occam that requires TLS with a self-signed certificate (as DSQL
/// requires TLS): accepted without verification, as libpq's `require` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_against_a_tls_only_server() {
    let server = occam_workshop::local::LocalServer::start_with(None, |_| occam::wire::ServerOptions {
        tls: Some(self_signed_tls()),
        require_tls: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let text = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();
    let env = |mode: &str| vec![("PGPASSWORD", "x".to_owned()), ("PGSSLMODE", mode.to_owned())];

    let output = run_against(server.addr, &["--test-chapter", "1", "--create-schema"], env("require")).await;
    assert!(output.status.success(), "{}\n{}", text(&output), String::from_utf8_lossy(&output.stderr));
    assert!(text(&output).contains("Payer balance after transfer: 90"), "{}", text(&output));
    // prefer (the default) upgrades too; disable is refused by a server that requires TLS.
    let output = run_against(server.addr, &["--test-chapter", "0"], env("prefer")).await;
    assert!(output.status.success(), "{}", text(&output));
    let output = run_against(server.addr, &["--test-chapter", "0"], env("disable")).await;
    assert!(!output.status.success(), "{}", text(&output));
}

/// Without PGPASSWORD the CLI signs an admin auth token with the AWS credentials of the environment, as the
/// talk's `aws dsql generate-db-connect-admin-auth-token`; an occam with `--auth iam` checks it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_admin_token_from_aws_credentials() {
    let server_credentials = occam::auth::sigv4::Credentials {
        access_key_id: "AKIAOCCAMWORKSHOP001".into(),
        secret_access_key: "workshop/secret+key".into(),
        session_token: None,
    };
    let credentials = server_credentials.clone();
    let server = occam_workshop::local::LocalServer::start_with(None, move |database| {
        let verifier = occam::auth::token::TokenVerifier { credentials, region: None };
        occam::wire::ServerOptions {
            authenticator: std::sync::Arc::new(occam::wire::IamAuth {
                roles: std::sync::Arc::new(database.clone()),
                verifier,
            }),
            tls: Some(self_signed_tls()),
            require_tls: true,
            ..Default::default()
        }
    })
    .await
    .unwrap();
    let text = |output: &Output| String::from_utf8_lossy(&output.stdout).into_owned();
    let keys = |secret: &str| {
        vec![
            ("PGSSLMODE", "require".to_owned()),
            ("AWS_ACCESS_KEY_ID", server_credentials.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", secret.to_owned()),
        ]
    };

    let output =
        run_against(server.addr, &["--test-chapter", "1", "--create-schema"], keys("workshop/secret+key")).await;
    assert!(output.status.success(), "{}\n{}", text(&output), String::from_utf8_lossy(&output.stderr));
    assert!(text(&output).contains("Payer balance after transfer: 90"), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("with an IAM auth token"));

    // A token signed with the wrong secret is refused as DSQL refuses it.
    let output = run_against(server.addr, &["--test-chapter", "0"], keys("not-the-secret")).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("access denied"), "{}", text(&output));

    // No password and no credentials anywhere: a clear error.
    let output = run_against(server.addr, &["--test-chapter", "0"], vec![("PGSSLMODE", "require".to_owned())]).await;
    assert!(!output.status.success());
    assert!(text(&output).contains("no PGPASSWORD, and no AWS credentials"), "{}", text(&output));

    // The credentials file (~/.aws/credentials format) is a source too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(
        &file,
        "[default]\naws_access_key_id = AKIAOCCAMWORKSHOP001\naws_secret_access_key = workshop/secret+key\n",
    )
    .unwrap();
    let env = vec![("PGSSLMODE", "require".to_owned()), ("AWS_SHARED_CREDENTIALS_FILE", file.display().to_string())];
    let output = run_against(server.addr, &["--test-chapter", "0"], env).await;
    assert!(output.status.success(), "{}", text(&output));
}

/// `serve-function` over an in-process occam answers the Lambda Invoke API until killed.
#[test]
fn serve_function_subcommand() {
    use std::io::{BufRead, BufReader, Read, Write};
    /// Kills the server however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_occam-workshop"))
        .args(["serve-function", "--listen", "127.0.0.1:0", "--pool-size", "2"])
        .env("TMPDIR", tmp.path())
        .env_remove("CLUSTER_ENDPOINT")
        .env_remove("PGHOST")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start serve-function");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let _server = Server(child);
    let addr = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "serve-function exited before serving");
        if let Some(rest) = line.split_once("Serving the transfer function on http://").map(|(_, rest)| rest) {
            break rest.split_once(": ").unwrap().0.to_owned();
        }
    };
    let post = |path: &str, body: &str| {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let payload = r#"{"payer_id":1,"payee_id":2,"amount":10}"#;
    let response = post("/2015-03-31/functions/reinvent-dat401/invocations", payload);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#"{"balance":90,"#), "{response}");
    let response = post("/transfer", payload);
    assert!(response.contains(r#"{"balance":80,"#), "{response}");

    // The helper invokes the function AWS_ENDPOINT_URL_LAMBDA names instead of starting its own.
    let output = Command::new(env!("CARGO_BIN_EXE_occam-workshop"))
        .args(["--test-chapter", "0"])
        .env("TMPDIR", tmp.path().join("helper"))
        .env("AWS_ENDPOINT_URL_LAMBDA", format!("http://{addr}"))
        .env_remove("CLUSTER_ENDPOINT")
        .env_remove("PGHOST")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains(&format!("Invoking function 'reinvent-dat401' at http://{addr}\n")), "{out}");
    assert!(out.contains("✅ Chapter 0 test PASSED"), "{out}");
}

#[test]
fn nothing_to_do_is_an_error() {
    let output = workshop(&[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing to do"));
}

/// `--setup-ch04` grows `accounts` (here to 5,000) with parallel workers; a second run finds them.
#[test]
fn setup_ch04_inserts_the_missing_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db");
    let data = data.to_str().unwrap();
    let out = stdout_of(&["--setup-ch04", "--accounts", "5000", "--data-dir", data]);
    for line in [
        "Setting up Chapter 4: Creating 5K accounts",
        "Current account count: 1,000",
        "Inserting 4,000 more accounts to reach 5,000...",
        "Account insertion complete!",
        "✅ Chapter 4 setup complete",
    ] {
        assert!(out.contains(line), "{line:?} missing from\n{out}");
    }
    assert!(out.contains("  [Worker 1] Inserted accounts 1,001 to "), "{out}");
    let out = stdout_of(&["--setup-ch04", "--accounts", "5000", "--data-dir", data, "--test-chapter", "1"]);
    assert!(out.contains("Current account count: 5,000"), "{out}");
    assert!(out.contains("nothing to insert"), "{out}");
    assert!(out.contains("Payer balance after transfer: 90"), "{out}");
}
