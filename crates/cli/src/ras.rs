//! `allot ras …`: check, evaluate and simulate allocation policies on files.

use crate::ras_files::{RESULTS_HEADER, read_answers, read_current, read_policy, write_results};
use allot_domain::Pence;
use allot_domain::ras::calc::{evaluate, explain};
use allot_domain::ras::simulate::simulate;
use allot_domain::ras::{CurrentAmounts, Policy};
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use jiff::civil::Date;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum RasCommand {
    /// Check a policy file and summarise it.
    Check {
        /// The policy file (TOML).
        policy: PathBuf,
    },
    /// Work out every child's indicative budget from an answers file.
    Evaluate {
        #[arg(long)]
        policy: PathBuf,
        /// Answers: child_id,date_of_birth,<question ids…>.
        #[arg(long)]
        answers: PathBuf,
        /// Current amounts: child_id,stream_id,annual_amount.
        #[arg(long)]
        current: Option<PathBuf>,
        /// The calculation date (YYYY-MM-DD); today in England if left out.
        #[arg(long)]
        on: Option<String>,
        /// Where to write the results CSV; - for standard output.
        #[arg(long, default_value = "-")]
        output: String,
        /// Print this child's full explanation in plain English instead.
        #[arg(long, value_name = "CHILD_ID")]
        explain: Option<String>,
    },
    /// Model what a new policy would change for every child.
    Simulate {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        to: PathBuf,
        /// Answers to the --from policy's questions; without it, each child's
        /// latest questionnaire in the database (and their current amounts).
        #[arg(long)]
        answers: Option<PathBuf>,
        #[arg(long, requires = "answers")]
        current: Option<PathBuf>,
        /// The area, when the database holds several (without --answers).
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        on: Option<String>,
        #[arg(long, value_enum, default_value_t = SimulateFormat::Table)]
        format: SimulateFormat,
        /// Also print, on standard error, how long reading took and the
        /// in-memory simulation's median over 7 more runs.
        #[arg(long)]
        timings: bool,
    },
    /// Fit band amounts to what children's current packages cost, report the
    /// fit, and write a proposed policy whose amounts never fall as points rise.
    Calibrate {
        #[arg(long)]
        policy: PathBuf,
        #[arg(long)]
        answers: PathBuf,
        /// What each child's package costs now: child_id,stream_id,annual_amount.
        #[arg(long)]
        costs: PathBuf,
        #[arg(long)]
        on: Option<String>,
        /// Where to write the proposed policy.
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimulateFormat {
    Table,
    Json,
}

fn calculation_date(on: Option<&str>) -> Result<Date> {
    match on {
        Some(text) => allot_domain::dates::parse_date(text).map_err(|e| anyhow::anyhow!("--on: {e}")),
        None => Ok(allot_domain::dates::date_in_england(jiff::Timestamp::now())),
    }
}

fn stream_ids(policies: &[&Policy]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for p in policies {
        for s in &p.streams {
            if !ids.contains(&s.id) {
                ids.push(s.id.clone());
            }
        }
    }
    ids
}

pub async fn run(command: RasCommand, database_url: &str) -> Result<()> {
    match command {
        RasCommand::Check { policy } => check(&read_policy(&policy)?),
        RasCommand::Evaluate { policy, answers, current, on, output, explain: explain_child } => {
            let on = calculation_date(on.as_deref())?;
            let policy = read_policy(&policy)?;
            let answers = read_answers(&answers, &policy)?;
            let current = match current {
                Some(path) => read_current(&path, &answers, &stream_ids(&[&policy]))?,
                None => CurrentAmounts::default(),
            };
            let columns = current.columns_for(&policy);
            if let Some(id) = explain_child {
                let i = answers
                    .iter()
                    .position(|c| c.child_id == id)
                    .with_context(|| format!("child {id} is not in the answers file"))?;
                let allocation = evaluate(&policy, &answers[i], on, &current.for_child(i, &columns))?;
                print!("{}", explain(&policy, &answers[i], &allocation, on));
                return Ok(());
            }
            // Everything is worked out before anything is written, so a
            // child who cannot be evaluated leaves no half-written file.
            // Halves of the file are worked out on separate threads (this
            // machine has two cores) and joined in order.
            let half = answers.len().div_ceil(2).max(1);
            let parts = std::thread::scope(|scope| {
                let workers: Vec<_> = answers
                    .chunks(half)
                    .enumerate()
                    .map(|(part, chunk)| {
                        let (policy, current, columns) = (&policy, &current, &columns);
                        scope.spawn(move || -> Result<Vec<u8>> {
                            let mut buffer = Vec::with_capacity(chunk.len() * policy.streams.len() * 64);
                            for (j, child) in chunk.iter().enumerate() {
                                let allocation =
                                    evaluate(policy, child, on, &current.for_child(part * half + j, columns))?;
                                write_results(&mut buffer, policy, child, &allocation)?;
                            }
                            Ok(buffer)
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().expect("evaluation thread")).collect::<Result<Vec<_>>>()
            })?;
            let mut sink: Box<dyn Write> = if output == "-" {
                Box::new(std::io::stdout().lock())
            } else {
                Box::new(std::fs::File::create(&output).with_context(|| format!("cannot write {output}"))?)
            };
            sink.write_all(RESULTS_HEADER.as_bytes())?;
            for part in parts {
                sink.write_all(&part)?;
            }
            sink.flush()?;
            Ok(())
        }
        RasCommand::Calibrate { policy, answers, costs, on, output } => {
            let on = calculation_date(on.as_deref())?;
            let policy = read_policy(&policy)?;
            let answers = read_answers(&answers, &policy)?;
            let costs = read_current(&costs, &answers, &stream_ids(&[&policy]))?;
            let columns = costs.columns_for(&policy);
            let by_child: Vec<_> = (0..answers.len()).map(|i| costs.for_child(i, &columns)).collect();
            let result = allot_domain::ras::calibrate::calibrate(&policy, &answers, &by_child, on)?;
            std::fs::write(&output, result.proposed.to_toml())
                .with_context(|| format!("cannot write {}", output.display()))?;
            for s in &result.streams {
                println!("Stream {}: {} children with a cost", s.stream_id, s.after.children);
                for (label, fit) in [("now", &s.before), ("proposed", &s.after)] {
                    println!(
                        "  {label:<9} R² {:.3}, mean absolute error {}, mean absolute percentage error {:.1}%",
                        fit.r_squared,
                        Pence::new(fit.mean_absolute_error_pence),
                        fit.mean_absolute_percentage_error
                    );
                }
                for (band, old, new, n) in &s.bands {
                    println!("  {band:<24} {:>12} → {:>12}  ({n} children)", old.to_string(), new.to_string());
                }
            }
            println!(
                "Proposed policy {} {} written to {}.",
                result.proposed.id,
                result.proposed.version,
                output.display()
            );
            Ok(())
        }
        RasCommand::Simulate { from, to, answers, current, area, on, format, timings } => {
            let started = std::time::Instant::now();
            let on = calculation_date(on.as_deref())?;
            let (from, to) = (read_policy(&from)?, read_policy(&to)?);
            let (answers, current) = match answers {
                Some(path) => {
                    let answers = read_answers(&path, &from)?;
                    let current = match current {
                        Some(path) => read_current(&path, &answers, &stream_ids(&[&from, &to]))?,
                        None => CurrentAmounts::default(),
                    };
                    (answers, current)
                }
                None => from_database(database_url, area.as_deref(), &from, &to).await?,
            };
            let read = started.elapsed();
            let result = simulate(&from, &to, &answers, &current, on)?;
            if timings {
                // The in-memory steps again, timed several times (one run on
                // a shared machine says little): the current policy worked
                // out once for everyone, then the what-if comparison, which
                // the what-if page repeats each time an amount changes.
                let median = |mut runs: Vec<u128>| {
                    runs.sort_unstable();
                    format!(
                        "median {:.1} ms (min {:.1}, max {:.1})",
                        runs[3] as f64 / 1e3,
                        runs[0] as f64 / 1e3,
                        runs[6] as f64 / 1e3
                    )
                };
                let mut baseline_runs = Vec::new();
                let mut compare_runs = Vec::new();
                for _ in 0..7 {
                    let t = std::time::Instant::now();
                    let baseline = allot_domain::ras::simulate::Baseline::new(&from, &answers, &current, on)?;
                    baseline_runs.push(t.elapsed().as_micros());
                    let t = std::time::Instant::now();
                    let again = baseline.compare(&to)?;
                    compare_runs.push(t.elapsed().as_micros());
                    assert_eq!(again, result, "simulation is deterministic");
                }
                eprintln!("read {} children in {} ms", answers.len(), read.as_millis());
                eprintln!(
                    "in memory, over 7 runs: current policy for everyone {}; what-if comparison {}",
                    median(baseline_runs),
                    median(compare_runs)
                );
            }
            match format {
                SimulateFormat::Json => println!("{}", serde_json::to_string_pretty(&result)?),
                SimulateFormat::Table => print_simulation(&result, &to),
            }
            Ok(())
        }
    }
}

fn check(policy: &Policy) -> Result<()> {
    println!("{} — {} (version {}), in effect from {}", policy.id, policy.title, policy.version, policy.effective_from);
    println!("content hash (SHA-256): {}", policy.content_hash);
    let ranges = policy.points_range();
    for (stream, (lo, hi)) in policy.streams.iter().zip(ranges) {
        println!();
        println!(
            "Stream {} — {} ({}): eligible from {} points; contingency {}%; at most {}% less at once",
            stream.id,
            stream.name,
            stream.agency.label(),
            stream.eligibility_min_points,
            stream.contingency,
            stream.max_reduction
        );
        println!("  points possible: {lo} to {hi}");
        for band in &stream.bands {
            let range = match band.max_points {
                Some(max) => format!("{}–{}", band.min_points, max),
                None => format!("{}+", band.min_points),
            };
            println!("  {range:>9} points  {:<24} {:>12}", band.name, band.amount.to_string());
        }
        for a in &stream.age_factors {
            println!("  ages {}–{}: × {}", a.min_age, a.max_age, a.factor);
        }
    }
    println!();
    let optional = policy.questions.iter().filter(|q| q.optional).count();
    println!("{} questions ({} optional):", policy.questions.len(), optional);
    let mut domains: Vec<(&str, usize)> = Vec::new();
    for q in &policy.questions {
        match domains.iter_mut().find(|(d, _)| *d == q.domain) {
            Some((_, n)) => *n += 1,
            None => domains.push((&q.domain, 1)),
        }
    }
    for (domain, n) in domains {
        println!("  {domain}: {n}");
    }
    if policy.streams.iter().any(|s| s.bands.is_empty()) {
        bail!("a stream has no bands");
    }
    Ok(())
}

fn print_simulation(result: &allot_domain::ras::simulate::Simulation, to: &Policy) {
    let money = |p: i64| Pence::new(p).to_string();
    println!(
        "What would change moving from {} to {}, on {}, for {} children",
        result.from, result.to, result.on, result.children
    );
    println!();
    println!(
        "{:<22} {:>16} {:>16} {:>16} {:>16} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "stream",
        "old indicative",
        "old protected",
        "new indicative",
        "new protected",
        "gain",
        "lose",
        "same",
        "now elig.",
        "no longer"
    );
    let name = |id: &str| to.streams.iter().find(|s| s.id == id).map_or(id.to_owned(), |s| s.name.clone());
    let rows = result
        .streams
        .iter()
        .map(|(id, s)| (name(id), s))
        .chain(std::iter::once(("All streams".to_owned(), &result.total)));
    for (label, s) in rows {
        println!(
            "{label:<32} {:>16} {:>16} {:>16} {:>16} {:>8} {:>8} {:>8} {:>9} {:>9}",
            money(s.old_indicative_pence),
            money(s.old_protected_pence),
            money(s.new_indicative_pence),
            money(s.new_protected_pence),
            s.gain,
            s.lose,
            s.same,
            s.become_eligible,
            s.stop_being_eligible
        );
    }
    println!();
    println!("Change in each child's integrated budget:");
    let widest = result.histogram.iter().map(|b| b.children).max().unwrap_or(1).max(1);
    for bin in &result.histogram {
        let bar = "#".repeat(((bin.children * 40).div_ceil(widest)) as usize);
        println!("  {:<26} {:>8}  {bar}", bin.label, bin.children);
    }
    if !result.largest.is_empty() {
        println!();
        println!("Largest changes:");
        for c in &result.largest {
            println!(
                "  {:<16} {:>14} → {:>14}  ({}{})",
                c.child_id,
                money(c.old_pence),
                money(c.new_pence),
                if c.change_pence > 0 { "+" } else { "" },
                money(c.change_pence)
            );
        }
    }
}

/// Each child's latest questionnaire in the database, as answers to `from`,
/// with the current amounts recorded beside it.
async fn from_database(
    database_url: &str,
    area: Option<&str>,
    from: &Policy,
    to: &Policy,
) -> Result<(Vec<allot_domain::ras::ChildAnswers>, CurrentAmounts)> {
    use allot_store::Store;
    let store = crate::connect_migrated(database_url).await?;
    let area = crate::choose_area(&store, area).await?;
    let latest = store.latest_allocations(area.id).await?;
    let (answers, current) = allot_domain::ras::simulate::population(from, stream_ids(&[from, to]), &latest)?;
    if answers.is_empty() {
        bail!("no child in area {} has a completed allocation questionnaire", area.code);
    }
    let detail = serde_json::json!({ "children": answers.len(), "from": from.version, "to": to.version });
    crate::record_cli_read(&store, area.id, None, "simulate", detail).await?;
    Ok((answers, current))
}
