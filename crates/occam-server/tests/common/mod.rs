//! The harness shared by the tests that run the real `occam` binary: a free port, a started server that is
//! killed when dropped, and psql against it.
#![allow(dead_code)] // each test file uses a different subset

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const OCCAM: &str = env!("CARGO_BIN_EXE_occam");
/// psql is a prerequisite of these tests (`.ci/run` installs it).
pub const PSQL: &str = "/usr/bin/psql";

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("free port").port()
}

/// A client of the server on `port` as `admin`, its connection driven by a spawned task.
pub async fn connect(port: u16) -> tokio_postgres::Client {
    let config = format!("host=127.0.0.1 port={port} user=admin password=x dbname=postgres");
    let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// A running `occam serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Server {
    /// `occam serve --listen 127.0.0.1:<free port> <extra>`, ready for connections.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with(Command::new(OCCAM), free_port(), extra)
    }

    /// `occam serve --data-dir <data_dir>` on `port` (a restart after a kill reuses both).
    pub fn start_on_disk(data_dir: &std::path::Path, port: u16) -> Server {
        let data_dir = data_dir.to_str().expect("utf-8 path");
        Server::start_with(Command::new(OCCAM), port, &["--data-dir", data_dir])
    }

    /// Runs `command` (the `occam` binary with the caller's environment) as `serve --listen
    /// 127.0.0.1:<port> <extra>` and waits until it accepts connections.
    pub fn start_with(mut command: Command, port: u16, extra: &[&str]) -> Server {
        let listen = format!("127.0.0.1:{port}");
        let child = command
            .args(["serve", "--listen", &listen])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn occam");
        let mut server = Server { child, port };
        server.wait_until_ready();
        server
    }

    /// Polls a TCP connect until the server accepts (or exits, or a generous deadline passes).
    fn wait_until_ready(&mut self) {
        let address: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("poll child") {
                panic!("occam exited before accepting connections: {status}");
            }
            assert!(Instant::now() < deadline, "occam did not accept connections on port {}", self.port);
            // Polling interval, not a wait for readiness: the loop ends as soon as a connect succeeds.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs each `-c` command with psql as `admin` (stopping at the first error), tuples only.
    pub fn psql(&self, commands: &[&str]) -> Output {
        let mut command = Command::new(PSQL);
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "admin", "-d", "postgres"]);
        command.args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"]);
        for sql in commands {
            command.args(["-c", sql]);
        }
        command.env("PGPASSWORD", "anything").env("PGCONNECT_TIMEOUT", "30").output().expect("run psql")
    }

    /// Kills the process at once (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL 15 cluster in a temporary directory, stopped when dropped.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    /// PostgreSQL's binaries: `pg_config --bindir`, else Debian's PostgreSQL 15 location.
    pub fn binaries() -> Option<PathBuf> {
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        from_pg_config
            .into_iter()
            .chain([PathBuf::from("/usr/lib/postgresql/15/bin")])
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    }

    /// Runs a PostgreSQL program (as the `postgres` user when the test runs as root: initdb refuses root).
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let binary = self.bin.join(program);
        let mut command = if self.as_postgres_user {
            let mut line = vec![binary.to_string_lossy().into_owned()];
            line.extend(args.iter().map(|a| a.to_string()));
            let quoted: Vec<String> = line.iter().map(|part| format!("'{}'", part.replace('\'', "'\\''"))).collect();
            let mut su = Command::new("su");
            su.args(["postgres", "-s", "/bin/sh", "-c", &quoted.join(" ")]);
            su
        } else {
            let mut direct = Command::new(binary);
            direct.args(args);
            direct
        };
        let output = command.stdin(Stdio::null()).output().map_err(|err| format!("{program}: {err}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Initializes and starts a cluster, or says why it cannot.
    pub fn start() -> Result<Postgres, String> {
        let bin = Postgres::binaries().ok_or("no PostgreSQL binaries (pg_config --bindir)")?;
        let uid = Command::new("id").arg("-u").output().map_err(|err| format!("id -u: {err}"))?;
        let as_postgres_user = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let dir = tempfile::Builder::new().prefix("occam-postgres-").tempdir().map_err(|e| e.to_string())?;
        if as_postgres_user {
            let status = Command::new("chown").args(["postgres", &dir.path().to_string_lossy()]).status();
            if !status.is_ok_and(|s| s.success()) {
                return Err("cannot hand the cluster directory to the postgres user".into());
            }
        }
        let postgres = Postgres { bin, port: free_port(), dir, as_postgres_user };
        let data = postgres.dir.path().join("data");
        let data = data.to_string_lossy();
        postgres.run("initdb", &["-D", &data, "-U", "admin", "--auth=trust", "--locale=C", "--encoding=UTF8"])?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            postgres.port,
            postgres.dir.path().display()
        );
        let log = postgres.dir.path().join("log");
        postgres.run("pg_ctl", &["-D", &data, "-o", &options, "-l", &log.to_string_lossy(), "-w", "start"])?;
        Ok(postgres)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self.run("pg_ctl", &["-D", &data.to_string_lossy(), "-m", "immediate", "stop"]);
    }
}
