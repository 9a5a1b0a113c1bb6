//! A differential SQL fuzzer: random queries over a fixed schema (`generate.rs`) run on an occam server
//! and on a real PostgreSQL, and every difference in results or error class is reported. It is the
//! engine of `bench/fuzz_sql.sh [MINUTES] [SEED]`, which starts both servers; CI runs that for a minute
//! at a fixed seed.
//!
//! Both servers are asked over the simple query protocol, so both format values as text, and the answers
//! are compared as text: in order when the query's ORDER BY fixes the order, else as multisets. Outcomes:
//!
//! ```text
//!   match              same rows, or both failed with the same SQLSTATE class
//!   wrong answer       both ran, the rows differ                               (fails the run)
//!   error mismatch     one side failed, or both with different classes        (fails the run)
//!   occam crash        occam closed the connection or did not answer          (fails the run)
//!   float rounding     the rows differ only in float8 columns, by rounding     (reported)
//!   equal numbers, other text   the rows differ only in how equal numbers print (`3` / `3.00`,
//!                      `-0` / `0`): which one DISTINCT, UNION or GROUP BY keeps,
//!                      or which of two tied rows sorts first, is not fixed   (reported)
//!   occam unsupported  occam refused with 0A000 what PostgreSQL ran           (reported)
//!   occam timeout      occam hit statement_timeout where PostgreSQL did not   (reported)
//!   skipped            PostgreSQL itself timed out                            (counted)
//! ```
//!
//! Query number I of seed S is always the same query: `--seed S --start I --count 1` runs it again, and
//! `--print` only prints it.
//!
//!   cargo run --release -p occam-server --example fuzz_sql -- \
//!     --occam "host=127.0.0.1 port=5477 user=admin password=x dbname=postgres" \
//!     --postgres "host=127.0.0.1 port=5499 user=postgres dbname=fuzzsql" --seconds 60 --seed 1

mod generate;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use generate::{Generator, Ty};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Each statement's limit on both servers (`statement_timeout`), and how long the fuzzer waits for an
/// answer before it counts the server as hung.
const STATEMENT_TIMEOUT: &str = "5s";
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);
/// Rows of each side printed with a difference.
const ROWS_SHOWN: usize = 12;

#[derive(Parser)]
#[command(about = "Differential SQL fuzzer: random queries on occam and PostgreSQL, every difference reported")]
struct Args {
    /// libpq-style connection string of the occam server.
    #[arg(long, default_value = "host=127.0.0.1 port=5477 user=admin password=x dbname=postgres")]
    occam: String,
    /// libpq-style connection string of the PostgreSQL server (a database with the C collation: occam
    /// compares text bytewise).
    #[arg(long, default_value = "host=127.0.0.1 port=5499 user=postgres dbname=fuzzsql")]
    postgres: String,
    /// The seed (default: from the clock; printed either way).
    #[arg(long)]
    seed: Option<u64>,
    /// The first iteration to run.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// At most this many queries (default: until --seconds pass).
    #[arg(long)]
    count: Option<u64>,
    /// How long to run.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Where every difference is written.
    #[arg(long, default_value = "fuzz_sql_report.txt")]
    report: PathBuf,
    /// Differences of each category printed in full on stdout (all of them go to the report).
    #[arg(long, default_value_t = 5)]
    show: usize,
    /// Leave the schema as it is (it was created by an earlier run).
    #[arg(long)]
    no_setup: bool,
    /// occam runs in DSQL mode: its secondary indexes are not created (DSQL builds them asynchronously;
    /// they change no result).
    #[arg(long)]
    occam_dsql: bool,
    /// Print the queries instead of running them.
    #[arg(long)]
    print: bool,
}

/// What one server answered.
#[derive(Debug, Clone)]
enum Answer {
    Rows(Vec<Vec<Option<String>>>),
    Error {
        code: String,
        message: String,
    },
    /// The connection broke or the server did not answer in time.
    Lost(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Match,
    WrongAnswer,
    ErrorMismatch,
    OccamCrash,
    FloatRounding,
    Representation,
    OccamUnsupported,
    OccamTimeout,
    Skipped,
}

impl Outcome {
    const ALL: [Outcome; 9] = [
        Outcome::Match,
        Outcome::WrongAnswer,
        Outcome::ErrorMismatch,
        Outcome::OccamCrash,
        Outcome::FloatRounding,
        Outcome::Representation,
        Outcome::OccamUnsupported,
        Outcome::OccamTimeout,
        Outcome::Skipped,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Match => "match",
            Outcome::WrongAnswer => "wrong answer",
            Outcome::ErrorMismatch => "error mismatch",
            Outcome::OccamCrash => "occam crash",
            Outcome::FloatRounding => "float rounding",
            Outcome::Representation => "equal numbers, other text",
            Outcome::OccamUnsupported => "occam unsupported (0A000)",
            Outcome::OccamTimeout => "occam timeout",
            Outcome::Skipped => "skipped (PostgreSQL timed out)",
        }
    }

    fn fails_run(self) -> bool {
        matches!(self, Outcome::WrongAnswer | Outcome::ErrorMismatch | Outcome::OccamCrash)
    }
}

async fn connect(conn: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(conn, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client.simple_query(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'")).await?;
    Ok(client)
}

async fn ask(client: &Client, sql: &str) -> Answer {
    match tokio::time::timeout(CLIENT_TIMEOUT, client.simple_query(sql)).await {
        Err(_) => Answer::Lost(format!("no answer in {}s", CLIENT_TIMEOUT.as_secs())),
        Ok(Ok(messages)) => {
            let rows = messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => {
                        Some((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect())
                    }
                    _ => None,
                })
                .collect();
            Answer::Rows(rows)
        }
        Ok(Err(err)) => match err.as_db_error() {
            Some(db) => Answer::Error { code: db.code().code().to_string(), message: db.message().to_string() },
            None if client.is_closed() => Answer::Lost(err.to_string()),
            None => Answer::Error { code: "client".into(), message: err.to_string() },
        },
    }
}

/// The two answers' outcome. `types` are the output columns' kinds (float8 columns may differ by
/// rounding); `ordered` whether row order counts.
fn judge(occam: &Answer, pg: &Answer, types: &[Ty], ordered: bool) -> Outcome {
    match (occam, pg) {
        (Answer::Lost(_), _) => Outcome::OccamCrash,
        (_, Answer::Lost(_)) => Outcome::Skipped,
        (_, Answer::Error { code, .. }) if code == "57014" => Outcome::Skipped,
        (Answer::Error { code, .. }, _) if code == "57014" => Outcome::OccamTimeout,
        (Answer::Error { code: a, .. }, Answer::Error { code: b, .. }) if a.get(..2) == b.get(..2) => Outcome::Match,
        (Answer::Error { code, .. }, _) if code == "0A000" => Outcome::OccamUnsupported,
        (Answer::Error { .. }, _) | (_, Answer::Error { .. }) => Outcome::ErrorMismatch,
        (Answer::Rows(a), Answer::Rows(b)) => {
            let arrange = |rows: &[Vec<Option<String>>], normal: bool| {
                let mut rows: Vec<Vec<Option<String>>> = if normal {
                    rows.iter().map(|row| row.iter().map(|c| c.as_deref().map(normalize_number)).collect()).collect()
                } else {
                    rows.to_vec()
                };
                if !ordered {
                    rows.sort();
                }
                rows
            };
            if arrange(a, false) == arrange(b, false) {
                return Outcome::Match;
            }
            let (a, b) = (arrange(a, true), arrange(b, true));
            if a == b {
                Outcome::Representation
            } else if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| rows_close(x, y, types)) {
                Outcome::FloatRounding
            } else {
                Outcome::WrongAnswer
            }
        }
    }
}

/// A number's text without trailing fraction zeros and the sign of zero: `3.00` and `3`, `-0` and `0`
/// are equal values, and which of them DISTINCT, UNION or GROUP BY keeps, or a sort puts first, is not
/// fixed. Other text is left as it is.
fn normalize_number(cell: &str) -> String {
    if cell.parse::<f64>().is_err() || cell.contains(['e', 'E', 'n', 'N', 'i', 'I']) {
        return cell.to_string();
    }
    let mut text = cell.to_string();
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if text == "-0" {
        text = "0".into();
    }
    text
}

/// Equal rows, but for float8 cells that differ only in their last digits.
fn rows_close(a: &[Option<String>], b: &[Option<String>], types: &[Ty]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).enumerate().all(|(i, (x, y))| {
            x == y
                || (types.get(i) == Some(&Ty::Float)
                    && match (x.as_deref().map(str::parse::<f64>), y.as_deref().map(str::parse::<f64>)) {
                        (Some(Ok(x)), Some(Ok(y))) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                        _ => false,
                    })
        })
}

fn show(answer: &Answer) -> String {
    match answer {
        Answer::Lost(why) => format!("connection lost: {why}\n"),
        Answer::Error { code, message } => format!("ERROR {code}: {message}\n"),
        Answer::Rows(rows) => {
            let mut out = format!("{} rows\n", rows.len());
            for row in rows.iter().take(ROWS_SHOWN) {
                let cells: Vec<&str> = row.iter().map(|c| c.as_deref().unwrap_or("NULL")).collect();
                let _ = writeln!(out, "  {}", cells.join(" | "));
            }
            if rows.len() > ROWS_SHOWN {
                let _ = writeln!(out, "  ...");
            }
            out
        }
    }
}

/// Where two row sets differ: the first differing position (in order) or the rows only one side has
/// (as multisets).
fn row_difference(occam: &Answer, pg: &Answer, ordered: bool) -> String {
    let (Answer::Rows(a), Answer::Rows(b)) = (occam, pg) else {
        return String::new();
    };
    let line = |row: &Vec<Option<String>>| {
        let cells: Vec<&str> = row.iter().map(|c| c.as_deref().unwrap_or("NULL")).collect();
        format!("  {}\n", cells.join(" | "))
    };
    let mut out = String::new();
    if ordered {
        if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            let _ = writeln!(out, "-- first difference at row {}:", i + 1);
            out.push_str(&a.get(i).map(line).unwrap_or_else(|| "  (none)\n".into()));
            out.push_str(&b.get(i).map(line).unwrap_or_else(|| "  (none)\n".into()));
        }
        return out;
    }
    let mut only_pg: Vec<&Vec<Option<String>>> = b.iter().collect();
    let mut only_occam = Vec::new();
    for row in a {
        match only_pg.iter().position(|r| *r == row) {
            Some(i) => {
                only_pg.swap_remove(i);
            }
            None => only_occam.push(row),
        }
    }
    for (label, rows) in [("occam", only_occam), ("postgres", only_pg)] {
        let _ = writeln!(out, "-- only in {label}: {} rows", rows.len());
        for row in rows.iter().take(ROWS_SHOWN) {
            out.push_str(&line(row));
        }
    }
    out
}

/// A short key grouping differences of one kind in the summary: the error codes and occam's message
/// with numbers and quoted names blanked.
fn signature(occam: &Answer, pg: &Answer) -> String {
    let side = |answer: &Answer| match answer {
        Answer::Rows(_) => "rows".to_string(),
        Answer::Lost(_) => "lost".to_string(),
        Answer::Error { code, message } => {
            let mut text: String = message.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
            text.truncate(70);
            format!("{code} {text}")
        }
    };
    format!("occam: {} / pg: {}", side(occam), side(pg))
}

async fn setup(client: &Client, statements: &[String], side: &str) -> anyhow::Result<()> {
    for statement in statements {
        client
            .simple_query(statement)
            .await
            .map_err(|err| anyhow::anyhow!("{side}: setup statement failed: {statement}: {err}"))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
            % 1_000_000_000
    });
    let last = args.count.map(|count| args.start + count);
    if args.print {
        for iteration in args.start..last.unwrap_or(args.start + 20) {
            let query = Generator::new(seed, iteration).query();
            println!(
                "-- seed {seed} iteration {iteration}{}\n{};",
                if query.ordered { " (ordered)" } else { "" },
                query.sql
            );
        }
        return Ok(());
    }

    let mut occam = connect(&args.occam).await.map_err(|e| anyhow::anyhow!("cannot connect to occam: {e}"))?;
    let pg = connect(&args.postgres).await.map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
    if let Answer::Rows(rows) = ask(&pg, "SHOW lc_collate").await {
        let collation = rows.first().and_then(|r| r[0].clone()).unwrap_or_default();
        if !matches!(collation.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8") {
            eprintln!("warning: PostgreSQL's database collation is {collation}; occam compares text bytewise (C)");
        }
    }
    if !args.no_setup {
        setup(&pg, &generate::schema(true), "PostgreSQL").await?;
        setup(&occam, &generate::schema(!args.occam_dsql), "occam").await?;
    }

    let mut report = std::fs::File::create(&args.report)?;
    writeln!(report, "fuzz_sql seed {seed}: every difference between occam and PostgreSQL\n")?;
    let mut counts: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut signatures: BTreeMap<(Outcome, String), u64> = BTreeMap::new();
    let started = Instant::now();
    let deadline = Duration::from_secs_f64(args.seconds);
    println!("fuzz_sql: seed {seed}, report in {}", args.report.display());
    let mut iteration = args.start;
    loop {
        // Whichever comes first: --count queries or --seconds.
        if last.is_some_and(|last| iteration >= last) || started.elapsed() >= deadline {
            break;
        }
        let query = Generator::new(seed, iteration).query();
        let pg_answer = ask(&pg, &query.sql).await;
        let occam_answer = ask(&occam, &query.sql).await;
        let outcome = judge(&occam_answer, &pg_answer, &query.types, query.ordered);
        *counts.entry(outcome).or_default() += 1;
        if outcome != Outcome::Match && outcome != Outcome::Skipped {
            let signature = match outcome {
                Outcome::WrongAnswer | Outcome::FloatRounding | Outcome::Representation => outcome.label().to_string(),
                _ => signature(&occam_answer, &pg_answer),
            };
            let seen = signatures.entry((outcome, signature)).or_default();
            *seen += 1;
            let text = format!(
                "=== {} (seed {seed}, iteration {iteration}{}; replay: --seed {seed} --start {iteration} --count 1)\n{};\n-- occam: {}-- postgres: {}{}\n",
                outcome.label(),
                if query.ordered { ", compared in order" } else { ", compared as multisets" },
                query.sql,
                show(&occam_answer),
                show(&pg_answer),
                row_difference(&occam_answer, &pg_answer, query.ordered),
            );
            report.write_all(text.as_bytes())?;
            let shown = counts[&outcome];
            if shown as usize <= args.show && *seen <= 2 {
                print!("{text}");
            }
        }
        if let Answer::Lost(why) = &occam_answer {
            eprintln!("occam lost at iteration {iteration} ({why}); reconnecting");
            occam = match connect(&args.occam).await {
                Ok(client) => client,
                Err(err) => {
                    eprintln!("cannot reconnect to occam: {err}; stopping");
                    iteration += 1;
                    break;
                }
            };
        }
        iteration += 1;
    }

    let ran = iteration - args.start;
    let mut summary = format!(
        "\nfuzz_sql summary: seed {seed}, iterations {}..{iteration}, {ran} queries in {:.0}s\n",
        args.start,
        started.elapsed().as_secs_f64()
    );
    for outcome in Outcome::ALL {
        let _ = writeln!(summary, "  {:<32} {}", outcome.label(), counts.get(&outcome).copied().unwrap_or(0));
    }
    if !signatures.is_empty() {
        let _ = writeln!(summary, "differences by kind:");
        for ((outcome, signature), count) in &signatures {
            let _ = writeln!(summary, "  {count:>6}  [{}] {signature}", outcome.label());
        }
    }
    print!("{summary}");
    report.write_all(summary.as_bytes())?;
    let failed: u64 = counts.iter().filter(|(o, _)| o.fails_run()).map(|(_, n)| n).sum();
    if failed > 0 {
        println!(
            "fuzz_sql: {failed} differences (wrong answers, error mismatches, crashes); see {}",
            args.report.display()
        );
        std::process::exit(1);
    }
    Ok(())
}
