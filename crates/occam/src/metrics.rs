//! Server metrics in the Prometheus exposition format, for `occam serve --metrics-listen ADDR`.
//!
//! Aurora DSQL shows its users CloudWatch metrics, not a VACUUM or a jobs list: commits and their latency
//! (`CommitLatency`), OCC conflicts (`OccConflicts`), connections, statements. occam counts the same here,
//! plus what its version garbage collector (`txn::gc`) did and how far it lags: dead versions and
//! tombstones removed, bytes reclaimed, the age of the oldest live snapshot (which holds the collector back)
//! and the commits since the horizon of its last pass. The transaction manager owns one [`Metrics`] and
//! records commits and conflicts; the wire layer records connections and the session statements; the
//! collector's counters are read from the transaction manager at each scrape ([`StorageCollector`]).
//! [`serve_metrics`] answers `GET /metrics` over plain HTTP/1.1; the encoding is prometheus-client's.

use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::txn::TxnManager;

/// The metrics of one database. Recording is lock-free; only a scrape takes the registry's lock.
pub struct Metrics {
    registry: Mutex<Registry>,
    commits: Counter,
    commit_failures: Counter,
    commit_latency: Histogram,
    conflicts: Family<Vec<(&'static str, &'static str)>, Counter>,
    table_conflicts: Family<Vec<(&'static str, String)>, Counter>,
    commits_after_conflict: Family<Vec<(&'static str, String)>, Counter>,
    connections_opened: Counter,
    connections_open: Gauge,
    statements: Counter,
    statement_errors: Counter,
    statement_latency: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Latency buckets from 100 µs to about 6.5 s.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let metrics = Metrics {
            registry: Mutex::new(Registry::with_prefix("occam")),
            commits: Counter::default(),
            commit_failures: Counter::default(),
            commit_latency: latency_buckets(),
            conflicts: Family::default(),
            table_conflicts: Family::default(),
            commits_after_conflict: Family::default(),
            connections_opened: Counter::default(),
            connections_open: Gauge::default(),
            statements: Counter::default(),
            statement_errors: Counter::default(),
            statement_latency: latency_buckets(),
        };
        {
            let mut registry = metrics.registry.lock();
            registry.register(
                "commits",
                "Commits made durable (DSQL: CommitLatency's sample count)",
                metrics.commits.clone(),
            );
            registry.register(
                "commit_failures",
                "Commits written that failed to become durable (a full disk, an I/O error)",
                metrics.commit_failures.clone(),
            );
            registry.register_with_unit(
                "commit_latency",
                "Time from COMMIT to durable (DSQL: CommitLatency)",
                Unit::Seconds,
                metrics.commit_latency.clone(),
            );
            registry.register(
                "occ_conflicts",
                "Commits refused with 40001, by DSQL code: OC000 data, OC001 schema (DSQL: OccConflicts)",
                metrics.conflicts.clone(),
            );
            registry.register(
                "occ_table_conflicts",
                "Commits refused with 40001 by table and DSQL code, injected ones marked (sys.occ_table_stats)",
                metrics.table_conflicts.clone(),
            );
            registry.register(
                "occ_commits_after_conflict",
                "Commits that succeeded right after their session's previous one failed with 40001 (retries), by table",
                metrics.commits_after_conflict.clone(),
            );
            registry.register("connections_opened", "Client connections accepted", metrics.connections_opened.clone());
            registry.register(
                "connections",
                "Client connections open (DSQL: ClientConnections)",
                metrics.connections_open.clone(),
            );
            registry.register("statements", "Statements executed", metrics.statements.clone());
            registry.register("statement_errors", "Statements that failed", metrics.statement_errors.clone());
            registry.register_with_unit(
                "statement_latency",
                "Time to execute a statement (a COMMIT's wait for durability not included)",
                Unit::Seconds,
                metrics.statement_latency.clone(),
            );
        }
        metrics
    }

    /// Adds the storage counters of `manager` (garbage collection, snapshots) to every scrape.
    pub fn register_storage(&self, manager: Weak<TxnManager>) {
        self.registry.lock().register_collector(Box::new(StorageCollector { manager }));
    }

    /// A commit that became durable (`durable`) or failed to, `latency` after COMMIT began.
    pub fn committed(&self, durable: bool, latency: Duration) {
        if durable {
            self.commits.inc();
            self.commit_latency.observe(latency.as_secs_f64());
        } else {
            self.commit_failures.inc();
        }
    }

    /// A commit refused by validation with `err` (40001 OC000 or OC001).
    pub fn conflict(&self, err: &crate::Error) {
        let code = if err.message.ends_with("(OC001)") { "OC001" } else { "OC000" };
        self.conflicts.get_or_create(&vec![("code", code)]).inc();
    }

    /// A conflict a COMMIT lost on `table` (real or injected), as `sys.occ_table_stats` counts it.
    pub fn table_conflict(&self, table: &str, code: &'static str, injected: bool) {
        let labels = vec![("table", table.to_string()), ("code", code.to_string()), ("injected", injected.to_string())];
        self.table_conflicts.get_or_create(&labels).inc();
    }

    /// A commit that succeeded right after its session's previous one lost a conflict, for each table it
    /// wrote.
    pub fn commit_after_conflict(&self, table: &str) {
        self.commits_after_conflict.get_or_create(&vec![("table", table.to_string())]).inc();
    }

    pub fn connection_opened(&self) {
        self.connections_opened.inc();
        self.connections_open.inc();
    }

    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    /// A statement that ran for `latency` and succeeded or not.
    pub fn statement(&self, ok: bool, latency: Duration) {
        self.statements.inc();
        if !ok {
            self.statement_errors.inc();
        }
        self.statement_latency.observe(latency.as_secs_f64());
    }

    /// Every metric in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry.lock())
            .expect("writing to a String cannot fail");
        text
    }
}

/// The garbage collector's counters and the snapshot horizon, read from the transaction manager.
struct StorageCollector {
    manager: Weak<TxnManager>,
}

impl std::fmt::Debug for StorageCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageCollector").finish_non_exhaustive()
    }
}

impl Collector for StorageCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(manager) = self.manager.upgrade() else { return Ok(()) };
        let gc = manager.gc_stats();
        let counters = [
            ("gc_versions_visited", "Stored versions the garbage collector looked at", &gc.versions_visited),
            (
                "gc_dead_versions_removed",
                "Row and index versions removed because a newer one hides them from every snapshot",
                &gc.dead_versions_removed,
            ),
            (
                "gc_tombstones_removed",
                "Deleted keys removed from storage with their tombstones",
                &gc.tombstones_removed,
            ),
            ("gc_lock_versions_removed", "Row-lock versions removed", &gc.lock_versions_removed),
            ("gc_bytes_reclaimed", "Key and value bytes the garbage collector removed", &gc.bytes_removed),
            ("gc_passes", "Garbage collection passes (over every key, or over one often updated range)", &gc.passes),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value.load(Relaxed));
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        let lag = manager.last_commit_ts().saturating_sub(gc.last_horizon.load(Relaxed));
        let gauges = [
            (
                "gc_lag_commits",
                "Commits since the horizon of the last completed garbage collection pass",
                lag as f64,
                None,
            ),
            (
                "oldest_snapshot_age",
                "How long the oldest live transaction's snapshot has been read (it holds garbage collection back)",
                manager.oldest_snapshot_age().as_secs_f64(),
                Some(Unit::Seconds),
            ),
        ];
        for (name, help, value, unit) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, unit.as_ref(), gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// Answers `GET /metrics` on `listener` with `metrics` (404 for other paths) until the process ends.
pub async fn serve_metrics(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) -> std::io::Result<()> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            // Only the request line matters; read until the end of the headers (small, bounded).
            let mut request = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let request_line = request.split(|&b| b == b'\r').next().unwrap_or_default();
            let mut parts = request_line.split(|&b| b == b' ');
            let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let (status, content_type, body) =
                if method == b"GET" && (path == b"/metrics" || path.starts_with(b"/metrics?")) {
                    ("200 OK", "application/openmetrics-text; version=1.0.0; charset=utf-8", metrics.encode())
                } else {
                    ("404 Not Found", "text/plain; charset=utf-8", "not found: try /metrics\n".to_string())
                };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Conflicts are counted by DSQL code, commits with their latency, in the exposition format.
    #[test]
    fn counts_conflicts_by_code_and_commits() {
        let metrics = Metrics::new();
        metrics.conflict(&crate::Error::serialization_failure());
        metrics.conflict(&crate::txn::schema_conflict());
        metrics.conflict(&crate::Error::serialization_failure());
        metrics.committed(true, Duration::from_millis(3));
        metrics.committed(false, Duration::from_millis(3));
        metrics.table_conflict("accounts", "OC000", false);
        metrics.table_conflict("accounts", "OC000", true);
        metrics.commit_after_conflict("accounts");
        let text = metrics.encode();
        for line in [
            "occam_occ_table_conflicts_total{table=\"accounts\",code=\"OC000\",injected=\"false\"} 1",
            "occam_occ_table_conflicts_total{table=\"accounts\",code=\"OC000\",injected=\"true\"} 1",
            "occam_occ_commits_after_conflict_total{table=\"accounts\"} 1",
            "occam_occ_conflicts_total{code=\"OC000\"} 2",
            "occam_occ_conflicts_total{code=\"OC001\"} 1",
            "occam_commits_total 1",
            "occam_commit_failures_total 1",
            "occam_commit_latency_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in {text}");
        }
    }
}
