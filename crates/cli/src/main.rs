//! `allot`: the one binary. Serves the application and runs the
//! operations around it. A thin shell: it parses arguments, calls the store
//! and the domain, and prints.

#![forbid(unsafe_code)]

mod children_csv;
mod delegation;
mod demo;
mod money;
mod people;
mod progress;
mod ras;
mod ras_files;
mod spend;

use allot_domain::finance::spend::StatementFormat;
use allot_domain::{Actor, AreaCode, Name, Stamp};
use allot_store::{DatabaseUrl, SqlStore, Store};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Allot: personal budgets for children and young people with SEND.
#[derive(Debug, Parser)]
#[command(name = "allot", version, about, long_about = None)]
struct Cli {
    /// Where the data lives: sqlite://PATH (default) or postgres://USER@HOST/DATABASE.
    #[arg(long, global = true, env = "ALLOT_DATABASE_URL", default_value = DatabaseUrl::DEFAULT)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web service (migrating the database first).
    Serve {
        /// The address and port to listen on.
        #[arg(long, env = "ALLOT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        oidc: OidcArgs,
    },
    /// Create (or refresh) the demo area, then serve it.
    Demo {
        /// How many children with EHC plans the demo area holds.
        #[arg(long, default_value_t = allot_demo::DEFAULT_CHILDREN)]
        children: u32,
        /// The same seed always makes the same area.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// The address and port to listen on.
        #[arg(long, env = "ALLOT_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Create the demo area and stop, without serving it.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        oidc: OidcArgs,
    },
    /// Bring the database's schema up to date.
    Migrate,
    /// Check the database's invariants; exits non-zero naming each problem.
    Verify,
    /// Local areas (tenants).
    #[command(subcommand)]
    Areas(AreasCommand),
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export records to a file or standard output.
    #[command(subcommand)]
    Export(ExportCommand),
    /// The resource allocation system: check, evaluate and simulate policies.
    #[command(subcommand)]
    Ras(ras::RasCommand),
    /// Delegated authority: check and publish who may sign off how much.
    #[command(subcommand)]
    Delegation(delegation::DelegationCommand),
    /// The area's finance settings: its bank account, alert thresholds, audits.
    #[command(subcommand)]
    Finance(money::FinanceCommand),
    /// Payment runs: the Bacs file and journal of the payments due.
    #[command(subcommand)]
    Payments(money::PaymentsCommand),
    /// People who sign in: add, list, reset, disable.
    #[command(subcommand)]
    Users(people::UsersCommand),
    /// The audit trail: verify it, export a checkpoint, see who looked at a child's record.
    #[command(subcommand)]
    Audit(people::AuditCommand),
    /// Subject access requests.
    #[command(subcommand)]
    Sar(SarCommand),
}

/// Sign-in for council staff through the council's identity provider
/// (OpenID Connect). Off unless the issuer is set.
#[derive(Debug, clap::Args)]
struct OidcArgs {
    /// The identity provider's issuer, exactly as it states it.
    #[arg(long, env = "ALLOT_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// Allot's client id at the identity provider.
    #[arg(long, env = "ALLOT_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// Allot's client secret (set it in the environment, not on the command line).
    #[arg(long, env = "ALLOT_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// Allot's callback address as registered: https://ALLOT-HOST/auth/oidc/callback.
    #[arg(long, env = "ALLOT_OIDC_REDIRECT_URI")]
    oidc_redirect_uri: Option<String>,
}

impl OidcArgs {
    fn config(self) -> Result<Option<allot_web::OidcConfig>> {
        let Some(issuer) = self.oidc_issuer else { return Ok(None) };
        let need = |v: Option<String>, name: &str| {
            v.filter(|s| !s.trim().is_empty())
                .with_context(|| format!("ALLOT_OIDC_ISSUER is set, so {name} must be set too"))
        };
        Ok(Some(allot_web::OidcConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: need(self.oidc_client_id, "ALLOT_OIDC_CLIENT_ID")?,
            client_secret: need(self.oidc_client_secret, "ALLOT_OIDC_CLIENT_SECRET")?,
            redirect_uri: need(self.oidc_redirect_uri, "ALLOT_OIDC_REDIRECT_URI")?,
        }))
    }
}

#[derive(Debug, Subcommand)]
enum SarCommand {
    /// Everything held about one child, as JSON and a readable HTML page.
    Export {
        /// The child's reference.
        reference: String,
        /// The folder to write the two files into.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        area: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AreasCommand {
    /// Add a local area.
    Add {
        /// The area's code, such as its ONS code E06000023.
        code: String,
        /// The council's name.
        name: String,
    },
    /// List the areas in the database.
    List,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import children from CSV (columns in the README). All or nothing:
    /// any bad row rejects the whole file. Rows match existing children on
    /// `reference`, so importing the same file again changes nothing.
    Children {
        /// The CSV file.
        file: PathBuf,
        /// The area's code (needed when the database holds several areas).
        #[arg(long)]
        area: Option<String>,
    },
    /// Import spend: a statement of direct-payment accounts or a prepaid
    /// card export, or providers' invoice lines (the formats are in the
    /// README). All or nothing: every bad line and field is listed and
    /// nothing is written. A transaction seen before is skipped and counted,
    /// so importing the same file again is safe.
    Statement {
        /// The CSV file.
        file: PathBuf,
        /// generic, prepaid_card or provider_invoice.
        #[arg(long, value_parser = |s: &str| StatementFormat::parse(s))]
        format: StatementFormat,
        /// The area's code (needed when the database holds several areas).
        #[arg(long)]
        area: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Export children, in the same CSV columns the import reads (or JSON).
    Children {
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// The area's code (needed when the database holds several areas).
        #[arg(long)]
        area: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Include protected addresses (left blank otherwise).
        #[arg(long)]
        include_protected: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error; `ALLOT_LOG` sets the level (default `info`).
fn init_logging() {
    let level = std::env::var("ALLOT_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).with_target(false).init();
}

/// Who the command acts as, for the change log.
fn cli_actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Actor::parse(&format!("cli:{user}")).unwrap_or_else(|_| Actor::parse("cli").expect("valid actor"))
}

/// Records in the audit trail that the command line showed children's
/// records (changes are recorded by the store as they are made).
async fn record_cli_read(
    store: &SqlStore,
    area: allot_domain::AreaId,
    child: Option<allot_domain::ChildId>,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let entry = allot_domain::audit::AuditEntry {
        at: jiff::Timestamp::now(),
        actor: cli_actor().to_string(),
        role: "system".into(),
        child_id: child,
        entity: if child.is_some() { "child" } else { "area" }.into(),
        entity_id: child.map_or(area.to_string(), |c| c.to_string()),
        action: action.into(),
        outcome: allot_domain::audit::Outcome::Allowed,
        detail: detail.to_string(),
    };
    store.record_audit(area, vec![entry]).await?;
    Ok(())
}

async fn connect(url: &str) -> Result<SqlStore> {
    let url = DatabaseUrl::parse(url)?;
    SqlStore::connect(&url).await.with_context(|| format!("cannot open the database at {}", url.redacted()))
}

async fn connect_migrated(url: &str) -> Result<SqlStore> {
    let store = connect(url).await?;
    store.migrate().await.context("cannot bring the database schema up to date")?;
    Ok(store)
}

/// The area a command works on: the one named, or the only one there is.
async fn choose_area(store: &SqlStore, code: Option<&str>) -> Result<allot_domain::organisation::Area> {
    match code {
        Some(code) => {
            let code = AreaCode::parse(code).map_err(anyhow::Error::msg)?;
            store
                .area_by_code(&code)
                .await?
                .with_context(|| format!("there is no area with code {code}: see `allot areas list`"))
        }
        None => {
            let mut areas = store.areas().await?;
            match areas.len() {
                1 => Ok(areas.remove(0)),
                0 => bail!("the database has no areas yet: add one with `allot areas add CODE NAME`"),
                n => bail!("the database holds {n} areas: choose one with --area CODE"),
            }
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Ras(command) => ras::run(command, &cli.database_url).await?,
        Command::Delegation(command) => delegation::run(command, &cli.database_url).await?,
        Command::Finance(command) => money::finance(command, &cli.database_url).await?,
        Command::Payments(command) => money::payments(command, &cli.database_url).await?,
        Command::Users(command) => return people::users(command, &cli.database_url).await,
        Command::Audit(command) => return people::audit(command, &cli.database_url).await,
        Command::Sar(SarCommand::Export { reference, out, area }) => {
            return people::sar_export(&cli.database_url, &reference, area.as_deref(), &out).await;
        }
        Command::Serve { listen, oidc } => {
            let oidc = oidc.config()?;
            let store = connect_migrated(&cli.database_url).await?;
            serve(store, listen, oidc).await?;
        }
        Command::Demo { children, seed, listen, no_serve, oidc } => {
            let oidc = oidc.config()?;
            let store = connect_migrated(&cli.database_url).await?;
            demo::create(&store, children, seed).await?;
            if !no_serve {
                serve(store, listen, oidc).await?;
            }
        }
        Command::Migrate => {
            let store = connect(&cli.database_url).await?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("The database schema is already up to date.");
            } else {
                println!("Applied {}.", applied.join(", "));
            }
        }
        Command::Verify => {
            let store = connect(&cli.database_url).await?;
            store.ready().await?;
            let problems = store.verify().await?;
            if problems.is_empty() {
                println!("Verified: no problems found.");
            } else {
                for p in &problems {
                    println!("problem: {p}");
                }
                println!("{} problem{} found.", problems.len(), if problems.len() == 1 { "" } else { "s" });
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Areas(AreasCommand::Add { code, name }) => {
            let store = connect_migrated(&cli.database_url).await?;
            let code = AreaCode::parse(&code).map_err(anyhow::Error::msg)?;
            let name = Name::parse(&name).map_err(anyhow::Error::msg)?;
            let area = store.create_area(&code, &name, &Stamp::now(cli_actor())).await?;
            println!("Added area {} ({}).", area.code, area.name);
        }
        Command::Areas(AreasCommand::List) => {
            let store = connect_migrated(&cli.database_url).await?;
            for area in store.areas().await? {
                println!("{}\t{}\t{} children", area.code, area.name, store.count_children(area.id).await?);
            }
        }
        Command::Import(ImportCommand::Children { file, area }) => {
            let store = connect_migrated(&cli.database_url).await?;
            let area = choose_area(&store, area.as_deref()).await?;
            return children_csv::import(&store, area.id, &file, &Stamp::now(cli_actor())).await;
        }
        Command::Import(ImportCommand::Statement { file, format, area }) => {
            let store = connect_migrated(&cli.database_url).await?;
            let area = choose_area(&store, area.as_deref()).await?;
            return spend::import(&store, area.id, &file, format, &Stamp::now(cli_actor())).await;
        }
        Command::Export(ExportCommand::Children { format, area, output, include_protected }) => {
            let store = connect_migrated(&cli.database_url).await?;
            let area = choose_area(&store, area.as_deref()).await?;
            let out: Box<dyn std::io::Write> = match &output {
                Some(path) => {
                    Box::new(std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?)
                }
                None => Box::new(std::io::stdout().lock()),
            };
            let n = children_csv::export(&store, area.id, matches!(format, ExportFormat::Json), include_protected, out)
                .await?;
            let detail = serde_json::json!({ "children": n, "include_protected": include_protected });
            record_cli_read(&store, area.id, None, "export_children", detail).await?;
            if output.is_some() {
                eprintln!("Exported {n} children.");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(store: SqlStore, listen: SocketAddr, oidc: Option<allot_web::OidcConfig>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    println!("Allot is running at http://{address}/ (sign in: POST /api/v1/session)");
    println!("  API description: http://{address}/api/openapi.json");
    println!("  The published allocation policy: http://{address}/policy");
    println!("  Health: http://{address}/healthz and http://{address}/readyz");
    println!("Press Ctrl-C to stop.");
    let store: Arc<dyn Store> = Arc::new(store);
    if let Some(oidc) = &oidc {
        println!("  Council staff can sign in through {} at http://{address}/auth/oidc/start", oidc.issuer);
    }
    allot_web::serve(listener, store, oidc).await.context("the web service stopped")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// How each command reaches children's records. The command line has no
    /// sign-in: it is for whoever runs the service and holds the database URL,
    /// so every command is theirs, and those that show or change children's
    /// records leave an entry in the audit trail as `cli:USER`. A test checks
    /// every command is listed here, as the route matrix does for the API.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Records {
        /// Touches no child's record.
        None,
        /// Shows children's records (recorded as a read).
        Shows,
        /// Changes children's records (recorded change by change).
        Changes,
    }

    const COMMAND_RECORDS: &[(&str, Records)] = &[
        ("serve", Records::None),
        ("demo", Records::Changes),
        ("migrate", Records::None),
        ("verify", Records::None),
        ("areas add", Records::None),
        ("areas list", Records::None),
        ("import children", Records::Changes),
        ("import statement", Records::Changes),
        ("export children", Records::Shows),
        ("ras check", Records::None),
        ("ras evaluate", Records::None),
        ("ras simulate", Records::Shows),
        ("ras calibrate", Records::None),
        ("delegation check", Records::None),
        ("delegation publish", Records::None),
        ("finance check", Records::None),
        ("finance publish", Records::None),
        ("payments run", Records::Changes),
        ("payments list", Records::None),
        ("users add", Records::Changes),
        ("users list", Records::None),
        ("users reset", Records::None),
        ("users disable", Records::None),
        ("audit verify", Records::None),
        ("audit checkpoint", Records::None),
        ("audit child", Records::Shows),
        ("sar export", Records::Shows),
    ];

    fn leaves(command: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let mut subcommands = command.get_subcommands().filter(|c| c.get_name() != "help").peekable();
        if subcommands.peek().is_none() {
            out.push(prefix.trim().to_owned());
        }
        for sub in subcommands {
            leaves(sub, &format!("{prefix} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_command_says_how_it_reaches_childrens_records() {
        let mut commands = Vec::new();
        leaves(&Cli::command(), "", &mut commands);
        for c in &commands {
            assert!(COMMAND_RECORDS.iter().any(|(name, _)| name == c), "`allot {c}` is missing from COMMAND_RECORDS");
        }
        for (name, _) in COMMAND_RECORDS {
            assert!(
                commands.contains(&(*name).to_owned()),
                "COMMAND_RECORDS names `allot {name}`, which does not exist"
            );
        }
    }
}
