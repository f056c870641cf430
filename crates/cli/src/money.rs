//! `allot finance` and `allot payments`: the area's finance settings and
//! payment runs (the Bacs file and the journal for the council's ledger).

use crate::ras_files::{FileProblems, read};
use crate::{choose_area, cli_actor, connect_migrated};
use allot_domain::Stamp;
use allot_domain::finance::settings::FinanceSettings;
use allot_store::Store;
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum FinanceCommand {
    /// Check a finance settings file.
    Check {
        /// The settings file (TOML).
        settings: PathBuf,
    },
    /// Publish finance settings as the area's next version.
    Publish {
        /// The settings file (TOML).
        settings: PathBuf,
        #[arg(long)]
        area: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Prepare a payment run of everything due on or before a day: writes
    /// the Bacs Standard 18 file and the journal (CSV). Running it again
    /// pays nothing twice. A finance officer releases the run in Allot.
    Run {
        /// The processing day, like 2026-11-23.
        #[arg(long)]
        date: jiff::civil::Date,
        /// Where to write the files (the current folder if not given).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[arg(long)]
        area: Option<String>,
    },
    /// List the area's payment runs, newest first.
    List {
        #[arg(long)]
        area: Option<String>,
    },
}

fn read_settings(path: &Path) -> Result<(FinanceSettings, String)> {
    let (name, bytes) = read(path)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
    match FinanceSettings::parse(&text) {
        Ok(settings) => Ok((settings, text)),
        Err(errors) => {
            FileProblems(errors.iter().map(|e| e.in_file(&name)).collect()).check(&name)?;
            unreachable!("a failed parse has problems")
        }
    }
}

fn describe(s: &FinanceSettings) {
    let o = &s.originator;
    println!("Payments are made from {} {} ({}).", o.sort_code, o.account_number, o.name.bacs());
    println!(
        "Alerts: a balance above {} weeks of payments; no spend for {} weeks.",
        s.monitoring.balance_above_weeks, s.monitoring.no_spend_weeks
    );
    println!(
        "Audits: the first within {} months, then every {} months; {} days' notice before any recovery.",
        s.audit.first_within_months, s.audit.every_months, s.audit.notice_days
    );
}

pub async fn finance(command: FinanceCommand, database_url: &str) -> Result<()> {
    match command {
        FinanceCommand::Check { settings } => describe(&read_settings(&settings)?.0),
        FinanceCommand::Publish { settings, area } => {
            let (settings, text) = read_settings(&settings)?;
            let store = connect_migrated(database_url).await?;
            let area = choose_area(&store, area.as_deref()).await?;
            let published = store.publish_finance_settings(area.id, &text, &Stamp::now(cli_actor())).await?;
            println!("Published finance settings version {} for {} ({}):", published.version, area.name, area.code);
            describe(&settings);
        }
    }
    Ok(())
}

pub async fn payments(command: PaymentsCommand, database_url: &str) -> Result<()> {
    let store = connect_migrated(database_url).await?;
    match command {
        PaymentsCommand::Run { date, out, area } => {
            let area = choose_area(&store, area.as_deref()).await?;
            let outcome = store.prepare_payment_run(area.id, date, &Stamp::now(cli_actor())).await?;
            for problem in &outcome.problems {
                println!("problem: {problem}");
            }
            for held in &outcome.held {
                println!("held: {} for transfer {}: {}", held.amount, held.transfer, held.reason);
            }
            let Some(run) = outcome.run else {
                println!("Nothing new is due on or before {date}: no run was prepared.");
                return Ok(());
            };
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let bacs = out.join(format!("bacs-{}-run-{}.txt", run.run_date, run.number));
            let journal = out.join(format!("journal-{}-run-{}.csv", run.run_date, run.number));
            std::fs::write(&bacs, &run.bacs).with_context(|| format!("cannot write {}", bacs.display()))?;
            std::fs::write(&journal, &run.journal).with_context(|| format!("cannot write {}", journal.display()))?;
            println!(
                "Prepared payment run {} for {}: {} payments, {} in all.",
                run.number, run.run_date, run.payments, run.total
            );
            println!("Bacs file: {}", bacs.display());
            println!("Journal: {}", journal.display());
            println!("A finance officer must release the run in Allot before the file is sent.");
        }
        PaymentsCommand::List { area } => {
            let area = choose_area(&store, area.as_deref()).await?;
            for run in store.payment_runs(area.id).await? {
                println!(
                    "run {} for {}: {} payments, {}; {}",
                    run.number,
                    run.run_date,
                    run.payments,
                    run.total,
                    run.status.label()
                );
            }
        }
    }
    Ok(())
}
