//! `allot import statement`: a statement of direct-payment accounts, a
//! prepaid card export or a provider's invoice lines, imported whole or not
//! at all by [`allot_store::import_statement`].

use crate::children_csv::not_imported;
use allot_domain::finance::spend::StatementFormat;
use allot_domain::{AreaId, Stamp};
use allot_store::{SqlStore, StoreError, import_statement};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub async fn import(
    store: &SqlStore,
    area: AreaId,
    path: &Path,
    format: StatementFormat,
    stamp: &Stamp,
) -> Result<ExitCode> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("{name} cannot be read"))?;
    match import_statement(store, area, format, &name, file, stamp).await {
        Err(StoreError::Lines(problems)) => {
            let problems: Vec<String> = problems.iter().map(|p| format!("{name}:{p}")).collect();
            Ok(not_imported(&name, &problems))
        }
        Err(e) => Err(e).with_context(|| format!("{name} was not imported; nothing was changed")),
        Ok(done) => {
            println!(
                "Imported {name}: {} lines; {} new, {} seen before (skipped); {} put against plan items, {} left for a person.",
                done.lines,
                done.added,
                done.seen_before,
                done.matched,
                done.added - done.matched
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
