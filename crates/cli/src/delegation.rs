//! `allot delegation`: check and publish the area's delegation policy.

use crate::ras_files::{FileProblems, read};
use crate::{choose_area, cli_actor, connect_migrated};
use allot_domain::Stamp;
use allot_domain::pathway::delegation::DelegationPolicy;
use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum DelegationCommand {
    /// Check a delegation policy file and say who signs off what.
    Check {
        /// The policy file (TOML).
        policy: PathBuf,
    },
    /// Publish a delegation policy as the area's next version (the latest
    /// is in force for plans submitted from now on).
    Publish {
        /// The policy file (TOML).
        policy: PathBuf,
        #[arg(long)]
        area: Option<String>,
    },
}

fn read_policy(path: &Path) -> Result<(DelegationPolicy, String)> {
    let (name, bytes) = read(path)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
    match DelegationPolicy::parse(&text) {
        Ok(policy) => Ok((policy, text)),
        Err(errors) => {
            FileProblems(errors.iter().map(|e| e.in_file(&name)).collect()).check(&name)?;
            unreachable!("a failed parse has problems")
        }
    }
}

fn describe(policy: &DelegationPolicy) {
    for limit in &policy.limits {
        match limit.max_annual {
            Some(max) => println!("{}: plans with up to {max} a year of council money", limit.role.label()),
            None => println!("{}: plans of any amount", limit.role.label()),
        }
    }
    println!("{}: any health-stream money, as well", policy.nhs_role.label());
}

pub async fn run(command: DelegationCommand, database_url: &str) -> Result<()> {
    match command {
        DelegationCommand::Check { policy } => {
            let (policy, _) = read_policy(&policy)?;
            describe(&policy);
        }
        DelegationCommand::Publish { policy, area } => {
            let (policy, text) = read_policy(&policy)?;
            let store = connect_migrated(database_url).await?;
            let area = choose_area(&store, area.as_deref()).await?;
            use allot_store::Store;
            let published = store.publish_delegation(area.id, &policy, &text, &Stamp::now(cli_actor())).await?;
            println!("Published delegation policy version {} for {} ({}):", published.version, area.name, area.code);
            describe(&policy);
        }
    }
    Ok(())
}
