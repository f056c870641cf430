//! `allot users …`, `allot audit …` and `allot sar export`: people, the
//! audit trail and subject access, from the command line.

use crate::{choose_area, cli_actor, connect_migrated};
use allot_domain::audit::Checkpoint;
use allot_domain::user::{UserForm, Username};
use allot_domain::{ChildReference, Stamp};
use allot_store::{SqlStore, Store};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. Prints their temporary password and, for staff, the
    /// authenticator set-up, once: hand them over securely.
    Add {
        /// What they sign in with (usually their email address).
        username: String,
        #[arg(long)]
        name: String,
        /// parent_carer, young_person, caseworker, team_manager, group_manager, head_of_service,
        /// nhs_budget_lead, finance_officer, school_senco, provider_staff, commissioner, auditor, administrator.
        #[arg(long)]
        role: String,
        /// The organisation that employs them (its id).
        #[arg(long)]
        organisation: Option<String>,
        /// For caseworkers: the professional record that holds their cases.
        #[arg(long)]
        professional: Option<String>,
        /// A team they work in or manage (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
        /// For families: a child's reference (repeat for several).
        #[arg(long = "child")]
        children: Vec<String>,
        #[arg(long)]
        area: Option<String>,
    },
    /// List the users of an area.
    List {
        #[arg(long)]
        area: Option<String>,
    },
    /// Give a user a new temporary password and authenticator set-up,
    /// ending their sessions.
    Reset {
        username: String,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Disable a user, ending their sessions at once.
    Disable {
        username: String,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check each area's audit trail is whole and unchanged; with
    /// checkpoints exported earlier, also that nothing was cut off its end.
    Verify {
        /// A checkpoint file written by `allot audit checkpoint` (repeat for several).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// Print each area's latest checkpoint (area, entry number, hash) as
    /// JSON: keep it somewhere the database's administrators cannot change.
    Checkpoint,
    /// Who has looked at, changed or been refused a child's record.
    Child {
        /// The child's reference.
        reference: String,
        #[arg(long)]
        area: Option<String>,
    },
}

async fn user_by_name(store: &SqlStore, username: &str) -> Result<allot_domain::user::User> {
    let name = Username::parse(username).map_err(anyhow::Error::msg)?;
    Ok(store.user_for_sign_in(&name).await?.with_context(|| format!("there is no user {name}"))?.0)
}

fn print_handover(user: &allot_domain::user::User, password: &str, credentials: &allot_store::Credentials) {
    println!("User {} ({}) is ready.", user.details.username, user.details.role.label());
    println!("Temporary password: {password}");
    if let Some(secret) = &credentials.totp_secret {
        println!("Authenticator secret: {}", secret.to_base32());
        println!("Authenticator address: {}", secret.provisioning_uri("Allot", user.details.username.as_str()));
    }
    println!("Hand these over securely; they are not shown again.");
}

pub async fn users(command: UsersCommand, database_url: &str) -> Result<ExitCode> {
    let store = connect_migrated(database_url).await?;
    let stamp = Stamp::now(cli_actor());
    match command {
        UsersCommand::Add { username, name, role, organisation, professional, teams, children, area } => {
            let area = choose_area(&store, area.as_deref()).await?;
            let mut child_ids = Vec::new();
            for reference in &children {
                let r = ChildReference::parse(reference).map_err(anyhow::Error::msg)?;
                let child =
                    store.child_by_reference(area.id, &r).await?.with_context(|| format!("there is no child {r}"))?;
                child_ids.push(child.id.to_string());
            }
            let form = UserForm {
                username: Some(username),
                name: Some(name),
                role: Some(role),
                organisation_id: organisation,
                professional_id: professional,
                teams: Some(teams),
                children: Some(child_ids),
            };
            let details = form.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let (credentials, password) = allot_web::new_credentials(details.role.needs_second_factor());
            let user = store.create_user(area.id, &details, &credentials, &stamp).await?;
            print_handover(&user, &password, &credentials);
        }
        UsersCommand::List { area } => {
            let area = choose_area(&store, area.as_deref()).await?;
            for u in store.users(area.id).await? {
                let d = &u.details;
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{state}", d.username, d.name, d.role);
            }
        }
        UsersCommand::Reset { username, reason } => {
            let user = user_by_name(&store, &username).await?;
            let (credentials, password) = allot_web::new_credentials(user.details.role.needs_second_factor());
            store.set_credentials(user.area_id, user.id, &credentials, &reason, &stamp).await?;
            print_handover(&user, &password, &credentials);
        }
        UsersCommand::Disable { username, reason } => {
            let user = user_by_name(&store, &username).await?;
            store.set_user_disabled(user.area_id, user.id, true, &reason, &stamp).await?;
            println!("User {} is disabled; their sessions have ended.", user.details.username);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A checkpoint as exported: which area, and where its chain had reached.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct AreaCheckpoint {
    area: String,
    #[serde(flatten)]
    checkpoint: Checkpoint,
}

pub async fn audit(command: AuditCommand, database_url: &str) -> Result<ExitCode> {
    let store = connect_migrated(database_url).await?;
    match command {
        AuditCommand::Verify { checkpoints } => {
            let mut kept: Vec<AreaCheckpoint> = Vec::new();
            for path in &checkpoints {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                let file: Vec<AreaCheckpoint> = serde_json::from_str(&text).with_context(|| {
                    format!("{} is not a checkpoint file from `allot audit checkpoint`", path.display())
                })?;
                kept.extend(file);
            }
            let mut problems = 0;
            for area in store.areas().await? {
                let mine = kept.iter().filter(|c| c.area == area.code.as_str()).map(|c| c.checkpoint.clone()).collect();
                let found = store.verify_audit(area.id, mine).await?;
                for p in &found {
                    println!("problem: area {}: {p}", area.code);
                }
                problems += found.len();
            }
            if problems > 0 {
                println!(
                    "{problems} problem{} found: the audit trail has been changed.",
                    if problems == 1 { "" } else { "s" }
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("The audit trail is whole: no entry has been changed, removed, added or moved.");
        }
        AuditCommand::Checkpoint => {
            let mut out = Vec::new();
            for area in store.areas().await? {
                if let Some(checkpoint) = store.audit_checkpoint(area.id).await? {
                    out.push(AreaCheckpoint { area: area.code.to_string(), checkpoint });
                }
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        AuditCommand::Child { reference, area } => {
            let area = choose_area(&store, area.as_deref()).await?;
            let r = ChildReference::parse(&reference).map_err(anyhow::Error::msg)?;
            let child =
                store.child_by_reference(area.id, &r).await?.with_context(|| format!("there is no child {r}"))?;
            crate::record_cli_read(&store, area.id, Some(child.id), "read_access_log", serde_json::json!({})).await?;
            // One write per page, not per line: a long history prints fast.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut after = 0;
            loop {
                let page = store.audit_entries(area.id, Some(child.id), after, 10_000).await?;
                for s in &page {
                    let e = &s.entry;
                    writeln!(out, "{}\t{}\t{}\t{}\t{}\t{}", e.at, e.actor, e.role, e.action, e.entity, e.outcome)?;
                }
                match page.last() {
                    Some(last) if page.len() == 10_000 => after = last.seq,
                    _ => break,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `allot sar export CHILD --out DIR`: everything held about one child, as
/// JSON and as a page a person can read.
pub async fn sar_export(database_url: &str, reference: &str, area: Option<&str>, out: &PathBuf) -> Result<ExitCode> {
    let store = connect_migrated(database_url).await?;
    let area = choose_area(&store, area).await?;
    let r = ChildReference::parse(reference).map_err(anyhow::Error::msg)?;
    let Some(child) = store.child_by_reference(area.id, &r).await? else { bail!("there is no child {r}") };
    let (json, html) = allot_web::subject_access_bundle(&store, area.id, child.id).await?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let base = out.join(format!("subject-access-{}", r.as_str().replace('/', "-")));
    std::fs::write(base.with_extension("json"), serde_json::to_string_pretty(&json)?)?;
    std::fs::write(base.with_extension("html"), html)?;
    // The export itself is a look at the record.
    crate::record_cli_read(&store, area.id, Some(child.id), "subject_access_export", serde_json::json!({})).await?;
    println!("Wrote {0}.json and {0}.html.", base.display());
    Ok(ExitCode::SUCCESS)
}
