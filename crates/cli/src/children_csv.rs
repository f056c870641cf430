//! Children in CSV: the import and export format.
//!
//! The columns are the API's field names (see the README): `reference`,
//! `legal_given_names`, `legal_family_name`, `date_of_birth` and `sex` are
//! required; `preferred_name`, `upn`, `nhs_number`, `address`, `postcode`,
//! `address_protected`, `primary_need` and `ehc_plan_status` may be left
//! out or blank. Rows match existing children on `reference`.

use allot_domain::child::{ChildDetails, ChildForm};
use allot_domain::paging::ChildQuery;
use allot_domain::{AreaId, Stamp};
use allot_store::{SqlStore, Store};
use anyhow::{Context, Result};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// Every column, in export order.
pub const COLUMNS: [&str; 13] = [
    "reference",
    "legal_given_names",
    "legal_family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "upn",
    "nhs_number",
    "address",
    "postcode",
    "address_protected",
    "primary_need",
    "ehc_plan_status",
];
const REQUIRED: [&str; 5] = ["reference", "legal_given_names", "legal_family_name", "date_of_birth", "sex"];
/// The largest file accepted: a limit on everything (about 2 million rows).
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

fn yes_no(text: &str) -> Result<Option<bool>, &'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "y" | "1" => Ok(Some(true)),
        "false" | "no" | "n" | "0" => Ok(Some(false)),
        _ => Err("enter true or false"),
    }
}

/// Parses a whole file. Either every row is good, or every problem is
/// returned as `FILE:LINE: field: what is wrong`.
pub fn parse(file: &str, bytes: &[u8], today: jiff::civil::Date) -> Result<Vec<ChildDetails>, Vec<String>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_owned()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![format!("{file}:1: the header row cannot be read: {e}")]),
    };
    let mut problems = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(format!("{file}:1: {h}: not a column Allot knows (the columns are {})", COLUMNS.join(", ")));
        }
    }
    for required in REQUIRED {
        if !headers.iter().any(|h| h == required) {
            problems.push(format!("{file}:1: {required}: this column is required"));
        }
    }
    let mut seen = HashSet::new();
    for (h, n) in headers.iter().map(|h| (h, headers.iter().filter(|x| *x == h).count())) {
        if n > 1 && seen.insert(h.clone()) {
            problems.push(format!("{file}:1: {h}: this column appears {n} times"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut children = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("{file}:{line}: the row cannot be read: {}", csv_error(&e)));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut form = ChildForm::default();
        for (h, value) in headers.iter().zip(record.iter()) {
            let text = Some(value.to_owned()).filter(|v| !v.trim().is_empty());
            match h.as_str() {
                "reference" => form.reference = text,
                "legal_given_names" => form.legal_given_names = text,
                "legal_family_name" => form.legal_family_name = text,
                "preferred_name" => form.preferred_name = text,
                "date_of_birth" => form.date_of_birth = text,
                "sex" => form.sex = text,
                "upn" => form.upn = text,
                "nhs_number" => form.nhs_number = text,
                "address" => form.address = text,
                "postcode" => form.postcode = text,
                "address_protected" => match yes_no(value) {
                    Ok(b) => form.address_protected = b,
                    Err(msg) => problems.push(format!("{file}:{line}: address_protected: {msg}")),
                },
                "primary_need" => form.primary_need = text,
                "ehc_plan_status" => form.ehc_plan_status = text,
                _ => unreachable!("headers were checked"),
            }
        }
        match form.parse(today) {
            Ok(details) => {
                let reference = details.reference.to_string();
                if let Some(first) = first_line_of.get(&reference) {
                    problems.push(format!("{file}:{line}: reference: {reference} also appears on line {first}"));
                } else {
                    first_line_of.insert(reference, line);
                    children.push(details);
                }
            }
            Err(invalid) => {
                problems.extend(invalid.0.into_iter().map(|e| format!("{file}:{line}: {}: {}", e.field, e.message)));
            }
        }
    }
    if problems.is_empty() { Ok(children) } else { Err(problems) }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("it has {len} fields but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "it is not valid UTF-8 text (save the file as CSV UTF-8)".to_owned(),
        _ => e.to_string(),
    }
}

/// Imports a file into `area`: all of it, or (on any problem) none of it.
/// Prints every problem of a file that was not imported (each already
/// `FILE:LINE: …`), and says nothing was changed.
pub fn not_imported(name: &str, problems: &[impl std::fmt::Display]) -> ExitCode {
    for p in problems {
        eprintln!("{p}");
    }
    eprintln!(
        "error: {name} was not imported: {} problem{} to correct. Nothing was changed.",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    ExitCode::FAILURE
}

pub async fn import(store: &SqlStore, area: AreaId, path: &Path, stamp: &Stamp) -> Result<ExitCode> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path).with_context(|| format!("cannot read {name}"))?.len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!("{name} is {size} bytes; the most Allot imports in one file is {MAX_FILE_BYTES} bytes: split it");
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let today = allot_domain::dates::date_in_england(stamp.at);
    match parse(&name, &bytes, today) {
        Err(problems) => Ok(not_imported(&name, &problems)),
        Ok(children) => {
            let s = store
                .import_children(area, &children, stamp)
                .await
                .with_context(|| format!("{name} was not imported; nothing was changed"))?;
            println!("Imported {name}: {} created, {} updated, {} unchanged.", s.created, s.updated, s.unchanged);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes every child in the area, in reference order; returns how many.
pub async fn export(
    store: &SqlStore,
    area: AreaId,
    json: bool,
    include_protected: bool,
    out: Box<dyn Write>,
) -> Result<u64> {
    let mut out = std::io::BufWriter::new(out);
    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now());
    let mut csv_out = (!json).then(|| csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()));
    match csv_out.as_mut() {
        Some(w) => w.write_record(COLUMNS)?,
        None => out.write_all(b"[")?,
    }
    let mut count = 0u64;
    let mut query = ChildQuery { limit: 500, ..ChildQuery::default() };
    loop {
        // The export is an operator's: the whole area.
        let everyone = allot_domain::access::ChildScope::Everyone;
        let page = store.list_children(area, &everyone, jiff::Timestamp::now(), &query).await?;
        for child in &page.items {
            match csv_out.as_mut() {
                Some(w) => {
                    let mut form = child.details.to_form();
                    if child.details.address_protected && !include_protected {
                        form.address = None;
                        form.postcode = None;
                    }
                    w.serialize(form)?;
                }
                None => {
                    out.write_all(if count == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut out, &child.view(include_protected, today))?;
                }
            }
            count += 1;
        }
        // Hand each page's CSV on, so memory stays flat however large the area.
        if let Some(w) = csv_out.as_mut() {
            w.flush()?;
            out.write_all(w.get_ref())?;
            *w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    if csv_out.is_none() {
        out.write_all(b"\n]\n")?;
    }
    out.flush()?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: jiff::civil::Date = date(2026, 11, 22);

    #[test]
    fn every_bad_row_is_named_with_its_line_and_field() {
        let file = "reference,legal_given_names,legal_family_name,date_of_birth,sex,upn,address_protected\n\
                    WV-1,Amara,Okafor,2014-09-23,female,,\n\
                    WV-2,Ben,,2014-02-30,male,A801200100101,maybe\n\
                    WV-3,Cara,Lee,2015-01-01,female\n\
                    WV-1,Dev,Patel,2013-05-05,male,,no\n";
        let problems = parse("kids.csv", file.as_bytes(), TODAY).unwrap_err();
        assert_eq!(
            problems,
            [
                "kids.csv:3: address_protected: enter true or false",
                "kids.csv:3: legal_family_name: enter the legal family name",
                "kids.csv:3: date_of_birth: enter a real date as YYYY-MM-DD, like 2014-09-23",
                "kids.csv:3: upn: the UPN's check letter does not match its digits: check it has been copied correctly",
                "kids.csv:4: the row cannot be read: it has 5 fields but the header has 7",
                "kids.csv:5: reference: WV-1 also appears on line 2",
            ]
        );
    }

    #[test]
    fn headers_are_checked_before_any_row() {
        let problems = parse("x.csv", b"reference,name,sex,sex\nA,B,C,D\n", TODAY).unwrap_err();
        assert_eq!(
            problems,
            [
                "x.csv:1: name: not a column Allot knows (the columns are reference, legal_given_names, legal_family_name, preferred_name, date_of_birth, sex, upn, nhs_number, address, postcode, address_protected, primary_need, ehc_plan_status)",
                "x.csv:1: legal_given_names: this column is required",
                "x.csv:1: legal_family_name: this column is required",
                "x.csv:1: date_of_birth: this column is required",
                "x.csv:1: sex: this column appears 2 times",
            ]
        );
    }

    #[test]
    fn a_good_file_with_a_byte_order_mark_and_crlf_parses() {
        let file = "\u{feff}reference,legal_given_names,legal_family_name,date_of_birth,sex,postcode\r\nWV-1,Amara,Okafor,2014-09-23,female,bs1 4dj\r\n";
        let children = parse("x.csv", file.as_bytes(), TODAY).unwrap();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].postcode.as_ref().unwrap().as_str(), "BS1 4DJ");
    }

    #[test]
    fn text_that_is_not_utf8_is_named() {
        let mut file = b"reference,legal_given_names,legal_family_name,date_of_birth,sex\nWV-1,Ren".to_vec();
        file.extend([0xE9, b'e']);
        file.extend(b",Okafor,2014-09-23,female\n");
        let problems = parse("x.csv", &file, TODAY).unwrap_err();
        assert_eq!(
            problems,
            ["x.csv:2: the row cannot be read: it is not valid UTF-8 text (save the file as CSV UTF-8)"]
        );
    }
}
