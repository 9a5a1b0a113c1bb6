//! The `occam` binary as an operator uses it: help text, clear failures for a busy port or an unusable
//! data directory, and a real `psql` session against a started server (psql's Ctrl-C included).

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Server, OCCAM, PSQL};

fn occam(args: &[&str]) -> Output {
    Command::new(OCCAM).args(args).env("RUST_LOG", "warn").output().expect("run occam")
}

#[test]
fn help_describes_the_serve_command() {
    let output = occam(&["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("serve"), "{text}");

    let output = occam(&["serve", "--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for option in ["--listen", "--data-dir", "--in-memory", "127.0.0.1:5432", "./occam-data"] {
        assert!(text.contains(option), "missing {option} in {text}");
    }
}

#[test]
fn busy_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let output = occam(&["serve", "--in-memory", "--listen", &address]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("error: cannot listen on {address}: address already in use");
    assert!(stderr.lines().any(|line| line == expected), "stderr: {stderr}");
}

#[test]
fn a_file_is_not_a_data_directory() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let path = file.path().to_str().expect("utf-8 path");
    let output = occam(&["serve", "--listen", "127.0.0.1:0", "--data-dir", path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("error: cannot use data directory {path}: not a directory");
    assert!(stderr.lines().any(|line| line == expected), "stderr: {stderr}");
}

#[test]
fn psql_runs_a_multi_statement_query() {
    let server = Server::start(&["--in-memory"]);
    let output = Command::new(PSQL)
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "admin", "-d", "postgres"])
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        // DSQL keeps DDL and DML in separate transactions: the table comes first, on its own.
        .args(["-c", "CREATE TABLE cli_accounts (id int PRIMARY KEY, owner text)"])
        .args([
            "-c",
            "INSERT INTO cli_accounts VALUES (1, 'ada'), (2, 'grace'); \
             SELECT id, owner FROM cli_accounts ORDER BY id",
        ])
        .env("PGPASSWORD", "anything")
        .env("PGCONNECT_TIMEOUT", "30")
        .output()
        .expect("run psql");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "psql failed: {stderr}");
    assert!(stdout.contains("1|ada\n2|grace"), "stdout: {stdout}");
}

/// Notices and warnings reach psql as PostgreSQL's NoticeResponse (psql prints them on stderr, in the
/// words PostgreSQL 15 uses), and the statements still succeed.
#[test]
fn psql_prints_notices_and_warnings() {
    let server = Server::start(&["--in-memory", "--compat", "postgres"]);
    let output = server.psql(&[
        "DROP TABLE IF EXISTS nowhere",
        "CREATE TABLE noted (id int PRIMARY KEY)",
        "CREATE TABLE IF NOT EXISTS noted (id int PRIMARY KEY)",
        "COMMIT",
        "CREATE SCHEMA staging",
        "CREATE TABLE staging.a (id int); CREATE TABLE staging.b (id int)",
        "DROP SCHEMA staging CASCADE",
        "DROP SEQUENCE IF EXISTS nothing",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "psql failed: {stderr}");
    for expected in [
        "NOTICE:  table \"nowhere\" does not exist, skipping",
        "NOTICE:  relation \"noted\" already exists, skipping",
        "WARNING:  there is no transaction in progress",
        "NOTICE:  drop cascades to 2 other objects\nDETAIL:  drop cascades to table staging.a\ndrop cascades to table staging.b",
        "NOTICE:  sequence \"nothing\" does not exist, skipping",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in psql's stderr:\n{stderr}");
    }
}

/// psql's Ctrl-C: SIGINT makes psql send a CancelRequest, which cancels the running statement (57014).
/// psql is interrupted only once it is connected (the server's `occam_connections` gauge says so; a SIGINT
/// before psql installs its handler would end it), then again and again until it ends: a cancel that
/// reaches the server before the query runs is dropped, as in PostgreSQL. A psql that ended without the
/// server's cancel error (interrupted before its query was sent) is started again.
#[test]
fn psql_ctrl_c_cancels_the_running_statement() {
    let metrics_port = common::free_port();
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let server = Server::start(&["--in-memory", "--metrics-listen", &metrics_listen]);
    let connections = || -> f64 {
        let response = http_get(metrics_port, "/metrics");
        let line = response.lines().find(|line| line.starts_with("occam_connections ")).expect("the gauge");
        line.rsplit(' ').next().and_then(|value| value.parse().ok()).expect("a number")
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let pause = || {
        assert!(Instant::now() < deadline, "psql's Ctrl-C never cancelled the statement");
        // Polling interval; every loop below ends on what it observes, not on time.
        std::thread::sleep(Duration::from_millis(20));
    };
    loop {
        let mut psql = Command::new(PSQL)
            .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "admin", "-d", "postgres", "-X"])
            .args(["-c", "SELECT count(*) FROM generate_series(1, 100000000000)"])
            .env("PGPASSWORD", "anything")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        while connections() < 1.0 && psql.try_wait().expect("poll psql").is_none() {
            pause();
        }
        let pid = psql.id().to_string();
        while psql.try_wait().expect("poll psql").is_none() {
            Command::new("kill").args(["-INT", &pid]).status().expect("kill -INT");
            pause();
        }
        let output = psql.wait_with_output().expect("psql output");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("canceling statement due to user request") {
            assert!(!output.status.success(), "psql reports the error: {stderr}");
            break;
        }
        assert!(Instant::now() < deadline, "psql's Ctrl-C never cancelled the statement: {stderr}");
        while connections() > 0.0 {
            pause();
        }
    }
    // The server serves on.
    let output = server.psql(&["SELECT 41 + 1"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "42");
}

#[test]
fn data_directory_is_created() {
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("nested").join("data");
    let server = Server::start(&["--data-dir", dir.to_str().expect("utf-8 path")]);
    assert!(dir.is_dir());
    drop(server);
}

#[test]
fn a_data_directory_in_use_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_str().expect("utf-8 path");
    let server = Server::start(&["--data-dir", path]);
    let output = occam(&["serve", "--listen", "127.0.0.1:0", "--data-dir", path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "error: cannot open database: data directory {path} is in use by another occam process (pid {})",
        server.child.id()
    );
    assert!(stderr.lines().any(|line| line == expected), "stderr: {stderr}");
}

#[test]
fn a_data_directory_of_another_format_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_str().expect("utf-8 path");
    std::fs::write(dir.path().join("occam.format"), "99\n").expect("write format file");
    let output = occam(&["serve", "--listen", "127.0.0.1:0", "--data-dir", path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "error: cannot open database: data directory {path} has format version 99, but this occam {} reads \
         format version 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(stderr.lines().any(|line| line == expected), "stderr: {stderr}");
}

/// `GET path` on `port`, returning the whole HTTP response.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the metrics port");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn metrics_are_served_in_the_prometheus_format() {
    let metrics_port = common::free_port();
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let server = Server::start(&["--in-memory", "--metrics-listen", &metrics_listen]);
    let output = server.psql(&[
        "CREATE TABLE t (id INT PRIMARY KEY, v INT)",
        "INSERT INTO t VALUES (1, 1), (2, 2)",
        "UPDATE t SET v = v + 1",
        "SELECT sum(v) FROM t",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let response = http_get(metrics_port, "/metrics");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let value = |name: &str| -> f64 {
        let line = response.lines().find(|line| line.starts_with(&format!("{name} "))).unwrap_or_else(|| {
            panic!("no {name} in {response}");
        });
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("occam_commits_total") >= 3.0);
    assert!(value("occam_commit_latency_seconds_count") >= 3.0);
    assert!(value("occam_statements_total") >= 4.0);
    // psql's, and the harness's readiness probe.
    assert!(value("occam_connections_opened_total") >= 1.0);
    for name in [
        "occam_connections",
        "occam_gc_passes_total",
        "occam_gc_dead_versions_removed_total",
        "occam_gc_bytes_reclaimed_total",
        "occam_gc_lag_commits",
        "occam_oldest_snapshot_age_seconds",
    ] {
        value(name);
    }
    assert!(http_get(metrics_port, "/other").starts_with("HTTP/1.1 404 Not Found\r\n"));
}

/// `occam serve --inject-conflicts commit:next`: every session's first COMMIT that changes rows fails with
/// an injected 40001, as an unmodified application under test would see it; a bad spec is refused at start.
#[test]
fn conflicts_are_injected_server_wide() {
    let output = occam(&["serve", "--in-memory", "--listen", "127.0.0.1:0", "--inject-conflicts", "sometimes"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value for parameter \"occam.inject_conflicts\": \"sometimes\""), "{stderr}");

    let server = Server::start(&["--in-memory", "--compat", "postgres", "--inject-conflicts", "commit:next"]);
    let setup = server.psql(&["CREATE TABLE injected (id int PRIMARY KEY)"]);
    assert!(setup.status.success(), "{}", String::from_utf8_lossy(&setup.stderr));
    // One psql session: its first insert fails (ON_ERROR_STOP is off for this run), its second commits.
    let output = Command::new(PSQL)
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "admin", "-d", "postgres", "-X", "-A", "-t"])
        .args(["-c", "SHOW occam.inject_conflicts"])
        .args(["-c", "INSERT INTO injected VALUES (1)", "-c", "INSERT INTO injected VALUES (2)"])
        .args(["-c", "SELECT string_agg(id::text, ',') FROM injected"])
        .env("PGPASSWORD", "anything")
        .output()
        .expect("run psql");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["commit:next", "INSERT 0 1", "2"], "{stdout}{stderr}");
    assert!(stderr.contains("(OC000)") && stderr.contains("Injected by occam.inject_conflicts"), "{stderr}");
}
