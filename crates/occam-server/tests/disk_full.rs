//! A full disk, for real: a small tmpfs mounted by the test (only as root; elsewhere the tests say so and
//! pass). `occam serve` refuses to start on a disk without room, and a running server fails commits with
//! PostgreSQL's `53100 could not extend file: No space left on device` while the disk is full, keeps
//! everything acknowledged, and commits again once space is freed, without a restart.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{free_port, Server, OCCAM};
use tokio_postgres::NoTls;

/// occam's free-space reserve (`storage::disk::MIN_FREE_BYTES`), in MiB.
const RESERVE_MIB: u64 = 256;

/// A tmpfs of `mib` MiB, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// None when this process may not mount (not root, or no tmpfs).
    fn mount(mib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|output| output.status.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}

#[test]
fn a_disk_without_room_is_refused_at_start() {
    let Some(disk) = Tmpfs::mount(RESERVE_MIB / 2) else { return };
    let data_dir = disk.path().join("data");
    let output = Command::new(OCCAM)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run occam");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "error: cannot open database: cannot use data directory {}: no space left on device (",
        data_dir.display()
    );
    let line = stderr.lines().find(|line| line.starts_with(&expected));
    assert!(line.is_some_and(|line| line.ends_with(&format!(" MiB free, occam needs {RESERVE_MIB} MiB)"))), "{stderr}");
}

async fn insert(client: &tokio_postgres::Client, id: i32) -> Result<(), tokio_postgres::Error> {
    client.execute("INSERT INTO t (id, payload) VALUES ($1, repeat('x', 100))", &[&id]).await.map(|_| ())
}

/// Inserts with increasing ids until `done` says the outcome is the expected one (the server measures free
/// space at most every 100 ms, so the first inserts after a change may still see the old state).
async fn insert_until(
    client: &tokio_postgres::Client,
    next_id: &mut i32,
    done: impl Fn(&Result<(), tokio_postgres::Error>) -> bool,
) -> Result<(), tokio_postgres::Error> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        *next_id += 1;
        let outcome = insert(client, *next_id).await;
        if done(&outcome) {
            return outcome;
        }
        assert!(Instant::now() < deadline, "the server never reached the expected state: {outcome:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_fail_with_53100_while_the_disk_is_full_and_resume_after() {
    let Some(disk) = Tmpfs::mount(RESERVE_MIB + 64) else { return };
    let data_dir: PathBuf = disk.path().join("data");
    let port = free_port();
    let _server = Server::start_with(
        Command::new(OCCAM),
        port,
        &["--data-dir", data_dir.to_str().unwrap(), "--compat", "postgres"],
    );
    let (client, connection) =
        tokio_postgres::connect(&format!("host=127.0.0.1 port={port} user=admin password=x dbname=postgres"), NoTls)
            .await
            .expect("connect");
    tokio::spawn(connection);
    client.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, payload TEXT)").await.unwrap();
    let mut next_id = 0;
    insert_until(&client, &mut next_id, |outcome| outcome.is_ok()).await.unwrap();
    let acknowledged_before = next_id;

    // Fill the disk to below the reserve with a ballast file.
    let ballast = disk.path().join("ballast");
    let free_mib = {
        let output = Command::new("df").args(["-m", "--output=avail"]).arg(disk.path()).output().unwrap();
        String::from_utf8_lossy(&output.stdout).lines().nth(1).unwrap().trim().parse::<u64>().unwrap()
    };
    std::fs::write(&ballast, vec![0u8; ((free_mib - RESERVE_MIB + 8) << 20) as usize]).unwrap();
    let err = insert_until(&client, &mut next_id, |outcome| outcome.is_err()).await.unwrap_err();
    let db_error = err.as_db_error().expect("a database error");
    assert_eq!(db_error.code().code(), "53100");
    assert_eq!(db_error.message(), "could not extend file: No space left on device");
    // Inserts before it may still have succeeded (the server measures free space every 100 ms).
    let refused_id = next_id;
    let count: i64 = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(count, refused_id as i64 - 1, "reads work and every acknowledged row is there");

    // Space freed: commits succeed again, same server, same connection.
    std::fs::remove_file(&ballast).unwrap();
    insert_until(&client, &mut next_id, |outcome| outcome.is_ok()).await.unwrap();
    let ids: Vec<i32> =
        client.query("SELECT id FROM t ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert!(ids.iter().take(refused_id as usize - 1).copied().eq(1..refused_id));
    assert!(acknowledged_before < refused_id);
    assert!(!ids.contains(&refused_id), "a refused commit left nothing");
    assert_eq!(ids.last(), Some(&next_id));
}
