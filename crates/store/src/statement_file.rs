//! Reading a statement file (CSV text) into an import: the one way both
//! the command line and an upload import spend. The file is read and
//! checked on a thread of its own while the store writes what has been
//! read, so a file of millions of lines streams through; all of it is
//! imported or none of it.

use crate::{SPEND_BATCH_LINES, SpendChunk, SpendImported, Store, StoreError, StoreResult};
use allot_domain::finance::spend::{Columns, SpendRecord, StatementFormat};
use allot_domain::invalid::LineError;
use allot_domain::{AreaId, Stamp};
use std::io::Read;
use tokio::sync::mpsc;

/// Reads `file` line by line, sending checked lines to `tx` in chunks and,
/// at the end, every problem found. A header that is wrong stops at once.
fn read_lines(file: impl Read, format: StatementFormat, tx: mpsc::Sender<SpendChunk>) -> Result<(), Vec<LineError>> {
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
    // Lines with problems whose child reference is still to be checked.
    let mut references = Vec::new();
    let mut chunk = Vec::with_capacity(SPEND_BATCH_LINES);
    let mut lines = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                lines += 1;
                let line = record.position().map_or(0, |p| p.line());
                match columns.line_with(|i| record.get(i)) {
                    Ok(spend) => chunk.push(SpendRecord::new(line, &spend)),
                    Err(invalid) => {
                        let before = problems.len();
                        problems.extend(LineError::all(line, invalid));
                        let account = columns.account(|i| record.get(i));
                        let account_bad = problems[before..].iter().any(|p| p.field == format.account_column());
                        if !account.is_empty() && !account_bad {
                            references.push((line, account.to_owned()));
                        }
                    }
                }
            }
            Err(e) => {
                lines += 1;
                problems.push(unreadable(e.position().map_or(0, |p| p.line()), e));
            }
        }
        if chunk.len() == SPEND_BATCH_LINES {
            // The store stopped listening: it has failed and will say why.
            if tx.blocking_send(SpendChunk::Lines(std::mem::take(&mut chunk))).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.blocking_send(SpendChunk::Lines(chunk));
    }
    let _ = tx.blocking_send(SpendChunk::End { lines, problems, references });
    Ok(())
}

/// Imports the statement `file` (named `name` in the record): every line or
/// none. A file with problems is refused with `StoreError::Lines`, naming
/// every bad line and field.
pub async fn import_statement(
    store: &dyn Store,
    area: AreaId,
    format: StatementFormat,
    name: &str,
    file: impl Read + Send + 'static,
    stamp: &Stamp,
) -> StoreResult<SpendImported> {
    let (tx, rx) = mpsc::channel(2);
    let reading = tokio::task::spawn_blocking(move || read_lines(file, format, tx));
    let imported = store.import_spend(area, format, name, rx, stamp).await;
    let read = reading.await.map_err(|e| StoreError::Refused(format!("reading {name} failed: {e}")))?;
    match (read, imported) {
        (Err(problems), _) => Err(StoreError::Lines(problems)),
        (Ok(()), result) => result,
    }
}
