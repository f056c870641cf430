//! `allot import statement`: a statement of direct-payment accounts, a
//! prepaid card export or a provider's invoice lines. The file is read and
//! checked on a thread of its own while the store writes what has been
//! read, so a file of millions of lines streams through; all of it is
//! imported or none of it.

use crate::children_csv::not_imported;
use allot_domain::finance::spend::{Columns, SpendRecord, StatementFormat};
use allot_domain::invalid::LineError;
use allot_domain::{AreaId, Stamp};
use allot_store::{SpendChunk, SqlStore, Store, StoreError};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;
use tokio::sync::mpsc;

/// Lines sent to the store at a time.
const CHUNK_LINES: usize = 20_000;

/// Reads `path` line by line, sending checked lines to `tx` in chunks and,
/// at the end, every problem found. A header that is wrong stops at once.
fn read_file(path: &Path, format: StatementFormat, tx: mpsc::Sender<SpendChunk>) -> Result<(), Vec<LineError>> {
    let file =
        std::fs::File::open(path).map_err(|e| vec![LineError::new(0, "file", format!("cannot be read: {e}"))])?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut record = csv::StringRecord::new();
    let unreadable =
        |line: u64, e: csv::Error| LineError::new(line, "line", format!("cannot be read as CSV text: {e}"));
    let header: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(str::to_owned).collect(),
        Ok(false) => return Err(vec![LineError::new(1, "header", "the file is empty: it needs a header row")]),
        Err(e) => return Err(vec![unreadable(1, e)]),
    };
    let columns = Columns::from_header(format, &header.iter().map(String::as_str).collect::<Vec<_>>())
        .map_err(|invalid| LineError::all(1, invalid).collect::<Vec<_>>())?;
    let mut problems = Vec::new();
    let mut chunk = Vec::with_capacity(CHUNK_LINES);
    let mut lines = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                lines += 1;
                let line = record.position().map_or(0, |p| p.line());
                match columns.line_with(|i| record.get(i)) {
                    Ok(spend) => chunk.push(SpendRecord::new(line, &spend)),
                    Err(invalid) => problems.extend(LineError::all(line, invalid)),
                }
            }
            Err(e) => {
                lines += 1;
                problems.push(unreadable(e.position().map_or(0, |p| p.line()), e));
            }
        }
        if chunk.len() == CHUNK_LINES {
            // The store stopped listening: it has failed and will say why.
            if tx.blocking_send(SpendChunk::Lines(std::mem::take(&mut chunk))).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(SpendChunk::Lines(chunk));
    }
    let _ = tx.blocking_send(SpendChunk::End { lines, problems });
    Ok(())
}

pub async fn import(
    store: &SqlStore,
    area: AreaId,
    path: &Path,
    format: StatementFormat,
    stamp: &Stamp,
) -> Result<ExitCode> {
    let name = path.display().to_string();
    let (tx, rx) = mpsc::channel(2);
    let file = path.to_owned();
    let reading = tokio::task::spawn_blocking(move || read_file(&file, format, tx));
    let imported = store.import_spend(area, format, &name, rx, stamp).await;
    let read = reading.await.context("reading the file failed")?;
    match (read, imported) {
        (Err(problems), _) | (_, Err(StoreError::Lines(problems))) => {
            let problems: Vec<String> = problems.iter().map(|p| format!("{name}:{p}")).collect();
            Ok(not_imported(&name, &problems))
        }
        (Ok(()), Err(e)) => Err(e).with_context(|| format!("{name} was not imported; nothing was changed")),
        (Ok(()), Ok(done)) => {
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
