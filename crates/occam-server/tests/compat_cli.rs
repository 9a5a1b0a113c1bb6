//! `occam serve --compat`: the default follows Aurora DSQL's rules, `--compat postgres` lifts them, and an
//! unknown mode is an operator error. Checked with a real `psql` against a started server.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const OCCAM: &str = env!("CARGO_BIN_EXE_occam");
const PSQL: &str = "/usr/bin/psql";

/// A running in-memory server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(OCCAM)
            .args(["serve", "--in-memory", "--listen", &listen])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn occam");
        let mut server = Server { child, port };
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(status) = server.child.try_wait().expect("poll child") {
                panic!("occam exited before accepting connections: {status}");
            }
            assert!(Instant::now() < deadline, "occam did not accept connections on port {port}");
            // Polling interval, not a wait for readiness: the loop ends as soon as a connect succeeds.
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Runs each `-c` command with psql (stopping at the first error).
    fn psql(&self, commands: &[&str]) -> Output {
        let mut command = Command::new(PSQL);
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "admin", "-d", "postgres"]);
        command.args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"]);
        for sql in commands {
            command.args(["-c", sql]);
        }
        command.env("PGPASSWORD", "anything").env("PGCONNECT_TIMEOUT", "30").output().expect("run psql")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_unknown_mode_is_refused() {
    let output = Command::new(OCCAM).args(["serve", "--in-memory", "--compat", "mysql"]).output().expect("run occam");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown compatibility mode"), "{stderr}");
}

#[test]
fn dsql_is_the_default_and_postgres_lifts_its_rules() {
    if !std::path::Path::new(PSQL).exists() {
        eprintln!("skipping: {PSQL} not installed");
        return;
    }
    // One query string is one implicit transaction: DDL with DML in it is refused in DSQL mode.
    let ddl_and_dml = "CREATE TABLE compat_t (id int PRIMARY KEY); INSERT INTO compat_t VALUES (1)";
    let dsql = Server::start(&[]);
    let output = dsql.psql(&[ddl_and_dml]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ddl and dml are not supported in the same transaction"), "{stderr}");

    let postgres = Server::start(&["--compat", "postgres"]);
    let output = postgres.psql(&[
        ddl_and_dml,
        "INSERT INTO compat_t VALUES (2)",
        "TRUNCATE compat_t",
        "SELECT count(*) FROM compat_t",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().last(), Some("0"), "{stdout}");
}
