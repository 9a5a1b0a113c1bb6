//! The stress tests of chapters 2 and 4: many transfers of 1 between random accounts, invoked by `workers`
//! independent workers that each keep their share of `parallel` invocations in flight per iteration, and the
//! talk's STATS block (plus p50/p99 of the execution times).
//!
//! Chapter 2 is one worker with 1,000 calls in flight for 10 iterations; chapter 4 is 50 workers with 200
//! each (10,000 in flight) for 100 iterations. Invocations go through [`Invoke`]: the function over HTTP
//! ([`crate::invoke::FunctionClient`], as the talk's helper calls its Lambda) or in-process.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;

use crate::transfer::{Request, Response, TransferFunction};

/// Something that invokes the transfer function: `Ok` with the function's result (business and database
/// errors included), `Err` with the reason an invocation failed without one.
pub trait Invoke: Clone + Send + Sync + 'static {
    /// One invocation.
    fn invoke(&self, request: Request) -> impl Future<Output = Result<Response, String>> + Send;

    /// An invoker for one more worker (its own HTTP connection, say).
    fn for_worker(&self) -> impl Future<Output = anyhow::Result<Self>> + Send;
}

impl Invoke for TransferFunction {
    async fn invoke(&self, request: Request) -> Result<Response, String> {
        TransferFunction::invoke(self, request).await.map_err(|err| err.to_string())
    }

    async fn for_worker(&self) -> anyhow::Result<Self> {
        Ok(self.clone())
    }
}

/// The shape of a stress run.
#[derive(Debug, Clone, Copy)]
pub struct StressConfig {
    /// Invocations in all (chapter 2: 10,000; chapter 4: 1,000,000).
    pub calls: usize,
    /// Invocations in flight at once over all workers, one batch (chapter 2: 1,000; chapter 4: 10,000).
    pub parallel: usize,
    /// Workers sharing the batch (chapter 2: 1; chapter 4: 50).
    pub workers: usize,
    /// Accounts to pick payer and payee from, `1..=accounts` (chapter 2: 1,000; chapter 4: 1,000,000).
    pub accounts: i32,
}

impl Default for StressConfig {
    fn default() -> Self {
        StressConfig::CHAPTER_2
    }
}

impl StressConfig {
    /// Chapter 2's run: 10,000 calls, 1,000 in flight, over the 1,000 accounts of chapter 1.
    pub const CHAPTER_2: StressConfig = StressConfig { calls: 10_000, parallel: 1_000, workers: 1, accounts: 1_000 };
    /// Chapter 4's run: 1,000,000 calls, 10,000 in flight in 50 workers, over a million accounts.
    pub const CHAPTER_4: StressConfig =
        StressConfig { calls: 1_000_000, parallel: 10_000, workers: 50, accounts: 1_000_000 };

    /// How many workers actually run (at least one, at most one per call in flight).
    pub fn worker_count(&self) -> usize {
        self.workers.clamp(1, self.parallel.max(1))
    }

    /// Invocations each worker keeps in flight per iteration.
    pub fn parallel_per_worker(&self) -> usize {
        self.parallel.max(1).div_ceil(self.worker_count())
    }

    /// How many batches (iterations) the run makes.
    pub fn batches(&self) -> usize {
        self.calls.div_ceil(self.parallel.max(1))
    }

    /// How many calls worker `worker` (0-based) makes: an even share, the first ones taking the remainder.
    fn calls_of_worker(&self, worker: usize) -> usize {
        let workers = self.worker_count();
        self.calls / workers + usize::from(worker < self.calls % workers)
    }
}

/// What a stress run observed.
pub struct Stats {
    pub total: u64,
    pub successful: u64,
    pub errors: u64,
    pub total_time: Duration,
    /// Execution time of each invocation in microseconds, for percentiles: the duration the function reports
    /// (as the talk's "Lambda Execution Times"), or the round trip of an invocation that failed.
    pub times_us: Histogram<u64>,
    /// The shortest, longest and summed execution times in microseconds (exact).
    pub min_us: u64,
    pub max_us: u64,
    pub sum_us: u64,
    pub total_retries: u64,
    pub max_retries: u32,
    pub calls_with_retries: u64,
    /// `message (code)` → how many invocations ended with it.
    pub error_breakdown: BTreeMap<String, u64>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            total: 0,
            successful: 0,
            errors: 0,
            total_time: Duration::ZERO,
            times_us: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            min_us: u64::MAX,
            max_us: 0,
            sum_us: 0,
            total_retries: 0,
            max_retries: 0,
            calls_with_retries: 0,
            error_breakdown: BTreeMap::new(),
        }
    }

    /// Counts one invocation's result; `round_trip` is how long the call took from the caller's side.
    pub fn record(&mut self, result: &Result<Response, String>, round_trip: Duration) {
        self.total += 1;
        let took = match result {
            Ok(response) => Duration::from_millis(response.duration),
            Err(_) => round_trip,
        };
        let us = (took.as_micros() as u64).max(1);
        self.times_us.saturating_record(us);
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
        self.sum_us += us;
        match result {
            Ok(response) => {
                self.total_retries += u64::from(response.retries);
                self.max_retries = self.max_retries.max(response.retries);
                if response.retries > 0 {
                    self.calls_with_retries += 1;
                }
                if response.is_success() {
                    self.successful += 1;
                } else {
                    self.errors += 1;
                    let message = response.error.clone().unwrap_or_default();
                    let key = match &response.error_code {
                        Some(code) => format!("{message} ({code})"),
                        None => message,
                    };
                    *self.error_breakdown.entry(key).or_default() += 1;
                }
            }
            Err(message) => {
                self.errors += 1;
                *self.error_breakdown.entry(format!("{message} (invocation failed)")).or_default() += 1;
            }
        }
    }

    /// Completed invocations per second.
    pub fn throughput(&self) -> f64 {
        self.total as f64 / self.total_time.as_secs_f64().max(1e-9)
    }

    fn percent(&self, n: u64) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / self.total as f64
        }
    }

    /// The STATS block as the talk prints it; the OCC retry statistics only when retries are on.
    pub fn render(&self, retries_on: bool) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let mut out = String::new();
        let rule = "=".repeat(60);
        let _ = writeln!(out, "{rule}\nSTATS\n{rule}");
        let _ = writeln!(out, "Total calls:        {}", thousands(self.total));
        let _ =
            writeln!(out, "Successful:         {} ({:.2}%)", thousands(self.successful), self.percent(self.successful));
        let _ = writeln!(out, "Errors:             {} ({:.2}%)", thousands(self.errors), self.percent(self.errors));
        let _ = writeln!(out);
        let _ = writeln!(out, "Total time:         {:.2}s", self.total_time.as_secs_f64());
        let _ = writeln!(out, "Throughput:         {:.0} calls/second", self.throughput());
        let _ = writeln!(out);
        let _ = writeln!(out, "Function Execution Times:");
        let h = &self.times_us;
        let (min, max, mean) = if self.total == 0 {
            (0, 0, 0.0)
        } else {
            (self.min_us, self.max_us, self.sum_us as f64 / self.total as f64)
        };
        let _ = writeln!(out, "  Min:                {:.2}ms", ms(min));
        let _ = writeln!(out, "  Max:                {:.2}ms", ms(max));
        let _ = writeln!(out, "  Avg:                {:.2}ms", mean / 1000.0);
        let _ = writeln!(out, "  p50:                {:.2}ms", ms(h.value_at_quantile(0.50)));
        let _ = writeln!(out, "  p99:                {:.2}ms", ms(h.value_at_quantile(0.99)));
        if retries_on {
            let _ = writeln!(out);
            let _ = writeln!(out, "OCC Retry Statistics:");
            let _ = writeln!(out, "  Total retries:      {}", thousands(self.total_retries));
            let _ = writeln!(out, "  Max retries:        {}", self.max_retries);
            let avg = if self.total == 0 { 0.0 } else { self.total_retries as f64 / self.total as f64 };
            let _ = writeln!(out, "  Avg retries/call:   {avg:.2}");
            let _ = writeln!(
                out,
                "  Transactions with retries: {} ({:.2}%)",
                thousands(self.calls_with_retries),
                self.percent(self.calls_with_retries)
            );
        }
        if !self.error_breakdown.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Error Breakdown:");
            let mut rows: Vec<_> = self.error_breakdown.iter().collect();
            rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (key, count) in rows {
                let _ = writeln!(out, "  {key}: {}", thousands(*count));
            }
        }
        out
    }
}

/// `10000` → `10,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A progress bar for `calls` invocations in the talk's shape:
/// `[100%]  10000/10000 calls |  935 calls/s | Success: 100.0% | 10.7s`.
pub fn progress_bar(calls: usize) -> ProgressBar {
    let bar = ProgressBar::new(calls as u64);
    bar.set_style(
        ProgressStyle::with_template("[{percent:>3}%] {pos:>6}/{len} calls | {msg}").expect("the template is valid"),
    );
    bar
}

/// Runs the stress test: [`StressConfig::worker_count`] workers, each making its share of the calls
/// [`StressConfig::parallel_per_worker`] at a time (an iteration waits for all its calls), every call a
/// transfer of 1 from a random account to another. Fails only if a worker cannot be set up.
pub async fn run<I: Invoke>(invoker: &I, config: StressConfig, bar: Option<&ProgressBar>) -> anyhow::Result<Stats> {
    let mut stats = Stats::new();
    let (results, mut received) = tokio::sync::mpsc::unbounded_channel();
    let mut workers = Vec::new();
    for worker in 0..config.worker_count() {
        let invoker = invoker.for_worker().await?;
        let results = results.clone();
        let calls = config.calls_of_worker(worker);
        workers.push(tokio::spawn(async move {
            let mut remaining = calls;
            while remaining > 0 {
                let batch = remaining.min(config.parallel_per_worker());
                remaining -= batch;
                let mut in_flight: FuturesUnordered<_> = random_transfers(batch, config.accounts)
                    .into_iter()
                    .map(|request| {
                        let invoker = &invoker;
                        async move {
                            let call_start = Instant::now();
                            let result = invoker.invoke(request).await;
                            (result, call_start.elapsed())
                        }
                    })
                    .collect();
                while let Some(outcome) = in_flight.next().await {
                    // The receiver outlives every worker.
                    let _ = results.send(outcome);
                }
            }
        }));
    }
    drop(results);
    let start = Instant::now();
    while let Some((result, took)) = received.recv().await {
        stats.record(&result, took);
        if let Some(bar) = bar {
            let elapsed = start.elapsed().as_secs_f64();
            bar.set_message(format!(
                "{:>5.0} calls/s | Success: {:>5.1}% | {:.1}s",
                stats.total as f64 / elapsed.max(1e-9),
                stats.percent(stats.successful),
                elapsed
            ));
            bar.inc(1);
        }
    }
    stats.total_time = start.elapsed();
    for worker in workers {
        worker.await?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(stats)
}

/// `n` transfers of 1 between two different random accounts of `1..=accounts`.
fn random_transfers(n: usize, accounts: i32) -> Vec<Request> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            let payer_id = rng.gen_range(1..=accounts);
            let mut payee_id = rng.gen_range(1..=accounts.max(2) - 1);
            if payee_id >= payer_id {
                payee_id += 1;
            }
            Request { payer_id, payee_id, amount: 1 }
        })
        .collect()
}

/// `10000` → `10K`, `1000000` → `1M`, as in the talk's titles; other numbers as they are.
pub fn short_count(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}K", n / 1_000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(balance: Option<i32>, error: Option<(&str, Option<&str>)>, retries: u32, duration: u64) -> Response {
        Response {
            balance,
            error: error.map(|(m, _)| m.to_string()),
            error_code: error.and_then(|(_, c)| c.map(str::to_string)),
            duration,
            retries,
        }
    }

    #[test]
    fn work_is_shared_among_workers() {
        let c4 = StressConfig::CHAPTER_4;
        assert_eq!((c4.worker_count(), c4.parallel_per_worker(), c4.batches()), (50, 200, 100));
        assert_eq!((0..50).map(|w| c4.calls_of_worker(w)).sum::<usize>(), 1_000_000);
        assert_eq!(c4.calls_of_worker(0), 20_000);
        let c2 = StressConfig::CHAPTER_2;
        assert_eq!((c2.worker_count(), c2.parallel_per_worker(), c2.batches()), (1, 1_000, 10));
        let odd = StressConfig { calls: 1_003, parallel: 10, workers: 3, accounts: 10 };
        assert_eq!((0..3).map(|w| odd.calls_of_worker(w)).collect::<Vec<_>>(), vec![335, 334, 334]);
        assert_eq!(odd.parallel_per_worker(), 4);
        // More workers than calls in flight: one worker per call in flight.
        assert_eq!(StressConfig { calls: 10, parallel: 2, workers: 50, accounts: 10 }.worker_count(), 2);
    }

    #[test]
    fn titles_abbreviate_counts() {
        assert_eq!(short_count(10_000), "10K");
        assert_eq!(short_count(1_000_000), "1M");
        assert_eq!(short_count(400), "400");
        assert_eq!(short_count(1_500), "1500");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn stats_count_and_render() {
        let mut stats = Stats::new();
        let conflict = ("change conflicts with another transaction, please retry: (OC000)", Some("40001"));
        // The function's own duration counts, not the round trip (which includes queueing in the caller).
        let round_trip = Duration::from_secs(9);
        stats.record(&Ok(response(Some(90), None, 0, 10)), round_trip);
        stats.record(&Ok(response(Some(80), None, 3, 30)), round_trip);
        stats.record(&Ok(response(None, Some(conflict), 0, 20)), round_trip);
        stats.record(&Ok(response(None, Some(conflict), 0, 20)), round_trip);
        stats.record(&Ok(response(None, Some(("Insufficient balance", None)), 1, 20)), round_trip);
        // A failed invocation has no duration of its own: its round trip counts.
        stats.record(&Err("connection closed".into()), Duration::from_millis(20));
        stats.total_time = Duration::from_secs(2);
        assert_eq!((stats.total, stats.successful, stats.errors), (6, 2, 4));
        assert_eq!((stats.total_retries, stats.max_retries, stats.calls_with_retries), (4, 3, 2));
        assert_eq!(stats.throughput(), 3.0);
        let report = stats.render(true);
        for line in [
            "Total calls:        6\n",
            "Successful:         2 (33.33%)\n",
            "Errors:             4 (66.67%)\n",
            "Total time:         2.00s\n",
            "Throughput:         3 calls/second\n",
            "  Min:                10.00ms\n",
            "  Max:                30.00ms\n",
            "  Avg:                20.00ms\n",
            "  p50:                20.0",
            "  p99:                30.0",
            "  Total retries:      4\n",
            "  Max retries:        3\n",
            "  Avg retries/call:   0.67\n",
            "  Transactions with retries: 2 (33.33%)\n",
            "Error Breakdown:\n  change conflicts with another transaction, please retry: (OC000) (40001): 2\n",
            "  Insufficient balance: 1\n",
            "  connection closed (invocation failed): 1\n",
        ] {
            assert!(report.contains(line), "{line:?} missing from\n{report}");
        }
        assert!(!stats.render(false).contains("OCC Retry Statistics"));
    }
}
