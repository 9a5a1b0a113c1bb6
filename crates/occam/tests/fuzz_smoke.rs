//! The fuzzing targets (`occam::fuzz_targets`) on stable Rust: each target runs over its committed corpus
//! (`fuzz/corpus/<target>/`, every crash found so far among it) and then over random mutations of it for a
//! while, with a fixed seed unless told otherwise:
//!
//! ```text
//!   OCCAM_FUZZ_SECONDS   seconds of mutations per target (default 2)
//!   OCCAM_FUZZ_SEED      the random seed (default fixed, so CI runs the same inputs every time)
//!   OCCAM_FUZZ_TARGETS   comma-separated targets to run (default all)
//! ```
//!
//! `bench/fuzz.sh` runs this in a loop with random seeds where cargo-fuzz is not installed. Before an input
//! runs it is written to `target/fuzz-smoke/<target>.last`, so an input that aborts the process (which no
//! test can catch: a stack overflow, an abort) is left behind to reproduce with; one that panics anywhere,
//! even where the server catches the panic and only closes the connection, is saved as
//! `target/fuzz-smoke/crash-<target>-<seed>-<n>` and fails the test.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Set by the panic hook: a panic the code under test caught itself still counts.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Longest input the mutator makes.
const MAX_LEN: usize = 4096;

/// Pieces the mutator splices in: SQL words and the values that tend to sit at edges.
const DICTIONARY: &[&str] = &[
    "SELECT ",
    " FROM ",
    " WHERE ",
    " GROUP BY ",
    " ORDER BY ",
    " LIMIT ",
    " OFFSET ",
    " UNION ALL ",
    " JOIN ",
    " LEFT JOIN ",
    " ON ",
    " AND ",
    " OR ",
    " NOT ",
    " IN (",
    " EXISTS (",
    " IS NULL",
    " CASE WHEN ",
    " THEN ",
    " ELSE ",
    " END",
    " AS ",
    " DISTINCT ",
    " HAVING ",
    "count(*)",
    "sum(",
    "avg(",
    "min(",
    "max(",
    "::int",
    "::text",
    "::numeric",
    "::float8",
    "::date",
    "::timestamptz",
    "::bytea",
    "::uuid",
    "::varchar(3)",
    "::char(2)",
    "::int2",
    "generate_series(1, 10)",
    "repeat('x', ",
    "lpad(",
    "substr(",
    "accounts",
    "transfers",
    "pairs",
    "id",
    "balance",
    "amount",
    "payer_id",
    "created_at",
    "INSERT INTO accounts VALUES (",
    "UPDATE accounts SET balance = ",
    "DELETE FROM transfers",
    "BEGIN;",
    "COMMIT;",
    "ROLLBACK;",
    "FOR UPDATE",
    "EXPLAIN ANALYZE ",
    "PREPARE p AS ",
    "EXECUTE p",
    "SET ",
    "SHOW ",
    "$1",
    "'",
    "\"",
    "(",
    ")",
    ",",
    ";",
    "0",
    "-1",
    "1e308",
    "-1e-308",
    "NaN",
    "Infinity",
    "9223372036854775807",
    "-9223372036854775808",
    "2147483648",
    "32768",
    "99999999999999999999999999999",
    "0.000000000000000000000000001",
    "'\\x00ff'",
    "'2024-02-29'",
    "'294277-01-01'",
    "'4713-01-01 BC'",
    "'00000000-0000-0000-0000-000000000000'",
    "NULL",
    "true",
    "||",
    "%",
    "/",
    "^",
    "<=",
    "<>",
    "LIKE '%_'",
    "ILIKE ",
    "BETWEEN ",
    "COALESCE(",
    "NULLIF(",
];

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|value| value.trim().parse().ok())
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target)
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-smoke");
    std::fs::create_dir_all(&dir).expect("create target/fuzz-smoke");
    dir
}

fn load_corpus(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(corpus_dir(target)) {
        Ok(entries) => entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files.into_iter().filter_map(|path| std::fs::read(path).ok()).collect()
}

/// One to four random edits of `input`, sometimes with a piece of another corpus entry.
fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let at = if out.is_empty() { 0 } else { rng.gen_range(0..=out.len()) };
        match rng.gen_range(0..8) {
            0 if !out.is_empty() => {
                let i = rng.gen_range(0..out.len());
                out[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if !out.is_empty() => {
                let i = rng.gen_range(0..out.len());
                out[i] = rng.gen();
            }
            2 => {
                let count = rng.gen_range(1..=8);
                let bytes: Vec<u8> = (0..count).map(|_| rng.gen()).collect();
                out.splice(at..at, bytes);
            }
            3 if !out.is_empty() => {
                let end = (at + rng.gen_range(1..=16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            4 if !out.is_empty() => {
                let start = rng.gen_range(0..out.len());
                let end = (start + rng.gen_range(1..=32)).min(out.len());
                let piece = out[start..end].to_vec();
                out.splice(at..at, piece);
            }
            5 if !corpus.is_empty() => {
                let other = &corpus[rng.gen_range(0..corpus.len())];
                if !other.is_empty() {
                    let start = rng.gen_range(0..other.len());
                    let end = (start + rng.gen_range(1..=64)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            _ => {
                let word = DICTIONARY[rng.gen_range(0..DICTIONARY.len())];
                out.splice(at..at, word.bytes());
            }
        }
    }
    out.truncate(MAX_LEN);
    out
}

/// Runs one input; the input if it panicked.
fn run_one(name: &str, target: fn(&[u8]), input: &[u8], last: &Path) -> Option<Vec<u8>> {
    std::fs::write(last, input).expect("write the last input");
    PANICKED.store(false, Ordering::SeqCst);
    let outcome = catch_unwind(AssertUnwindSafe(|| target(input)));
    if std::env::var_os("OCCAM_FUZZ_FAIL_FAST").is_some() && (outcome.is_err() || PANICKED.load(Ordering::SeqCst)) {
        std::process::exit(3);
    }
    if outcome.is_err() || PANICKED.load(Ordering::SeqCst) {
        eprintln!("fuzz target {name} panicked on {} bytes: {:?}", input.len(), String::from_utf8_lossy(input));
        return Some(input.to_vec());
    }
    None
}

#[test]
fn fuzz_targets_survive_corpus_and_mutations() {
    occam::fuzz_targets::install_panic_hook(|| PANICKED.store(true, Ordering::SeqCst));
    let seconds = env_number("OCCAM_FUZZ_SECONDS").unwrap_or(2);
    let seed = env_number("OCCAM_FUZZ_SEED").unwrap_or(0x0cca_3f22);
    let only = std::env::var("OCCAM_FUZZ_TARGETS").ok();
    let work = work_dir();
    let mut crashes = Vec::new();
    for &(name, target) in occam::fuzz_targets::TARGETS {
        if only.as_deref().is_some_and(|only| !only.split(',').any(|t| t.trim() == name)) {
            continue;
        }
        let last = work.join(format!("{name}.last"));
        let corpus = load_corpus(name);
        assert!(!corpus.is_empty() || only.is_some(), "no corpus for {name} in {}", corpus_dir(name).display());
        let mut runs = 0usize;
        for input in &corpus {
            runs += 1;
            crashes.extend(run_one(name, target, input, &last).map(|input| (name, input)));
        }
        let mut rng = StdRng::seed_from_u64(seed ^ name.len() as u64);
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            let base = if corpus.is_empty() { Vec::new() } else { corpus[rng.gen_range(0..corpus.len())].clone() };
            let input = mutate(&mut rng, &base, &corpus);
            runs += 1;
            crashes.extend(run_one(name, target, &input, &last).map(|input| (name, input)));
        }
        eprintln!("fuzz target {name}: {} corpus inputs, {runs} runs in all (seed {seed})", corpus.len());
    }
    for (n, (name, input)) in crashes.iter().enumerate() {
        let path = work.join(format!("crash-{name}-{seed}-{n}"));
        std::fs::write(&path, input).expect("save the crash");
        eprintln!("saved {}", path.display());
    }
    assert!(crashes.is_empty(), "{} inputs crashed a fuzz target (saved under {})", crashes.len(), work.display());
}
