//! The RAS's files: policies, answers and current amounts in; results out.
//! Every reader is all or nothing and names each problem as
//! `FILE:LINE: field: what is wrong`.

use allot_domain::Pence;
use allot_domain::dates::parse_date;
use allot_domain::ras::{Allocation, ChildAnswers, CurrentAmounts, Policy};
use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io::Write;
use std::path::Path;

/// FNV-1a: the standard library's hasher resists attackers choosing keys,
/// which a council's own file does not need, and was a fifth of the time of
/// `allot ras evaluate` at 640,000 children.
#[derive(Debug, Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let start = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        self.0 = bytes.iter().fold(start, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;

/// The most problems listed from one file; the count of the rest is given.
const MAX_LISTED: usize = 1000;

/// Problems found in a file.
#[derive(Debug, Default)]
pub struct FileProblems(pub Vec<String>);

impl FileProblems {
    fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    /// Fails with every problem listed (up to a limit), if there are any.
    pub fn check(&self, file: &str) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut message = String::new();
        for p in self.0.iter().take(MAX_LISTED) {
            message.push_str(p);
            message.push('\n');
        }
        if self.0.len() > MAX_LISTED {
            message.push_str(&format!("… and {} more\n", self.0.len() - MAX_LISTED));
        }
        message.push_str(&format!(
            "{file}: {} problem{} to correct; nothing was used from it",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        ));
        bail!(message)
    }
}

pub fn read(path: &Path) -> Result<(String, Vec<u8>)> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    Ok((name, bytes))
}

/// Reads and checks a policy file.
pub fn read_policy(path: &Path) -> Result<Policy> {
    let (name, bytes) = read(path)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
    Policy::parse(&text).or_else(|errors| {
        FileProblems(errors.iter().map(|e| e.in_file(&name)).collect()).check(&name)?;
        unreachable!("a failed parse has problems")
    })
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    csv::ReaderBuilder::new().has_headers(true).from_reader(bytes)
}

/// Reads an answers file for `policy`: `child_id,date_of_birth,<question ids…>`.
pub fn read_answers(path: &Path, policy: &Policy) -> Result<Vec<ChildAnswers>> {
    let (name, bytes) = read(path)?;
    let mut problems = FileProblems::default();
    let mut reader = csv_reader(&bytes);
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}:1: the header row cannot be read"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.len() < 2 || headers[0] != "child_id" || headers[1] != "date_of_birth" {
        problems.push(format!("{name}:1: the first two columns must be child_id and date_of_birth"));
    }
    // For each column after the first two: its question's index and option ids.
    let mut columns: Vec<(usize, FastMap<&[u8], usize>)> = Vec::new();
    let mut seen = HashSet::new();
    for h in headers.iter().skip(2) {
        match policy.question_index(h) {
            None => problems.push(format!("{name}:1: {h}: not a question of policy {} {}", policy.id, policy.version)),
            Some(_) if !seen.insert(h.clone()) => problems.push(format!("{name}:1: {h}: this column appears twice")),
            Some(q) => columns
                .push((q, policy.questions[q].options.iter().enumerate().map(|(i, o)| (o.id.as_bytes(), i)).collect())),
        }
    }
    for q in &policy.questions {
        if !q.optional && !seen.contains(&q.id) {
            problems.push(format!("{name}:1: {}: this question must be answered, so its column is required", q.id));
        }
    }
    if !problems.0.is_empty() {
        problems.check(&name)?;
    }
    let mut children = Vec::new();
    let mut ids = FastSet::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("{name}:{line}: the row cannot be read: {e}"));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let text = |i: usize| std::str::from_utf8(record.get(i).unwrap_or_default()).unwrap_or("").trim();
        let child_id = text(0).to_owned();
        if child_id.is_empty() || child_id.len() > 64 {
            problems.push(format!("{name}:{line}: child_id: enter the child's id (at most 64 characters)"));
        } else if !ids.insert(child_id.clone()) {
            problems.push(format!("{name}:{line}: child_id: {child_id} appears more than once"));
        }
        let date_of_birth = match parse_date(text(1)) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{name}:{line}: date_of_birth: {e}"));
                continue;
            }
        };
        let mut choices = vec![None; policy.questions.len()];
        let mut blank = vec![true; policy.questions.len()];
        for (c, (q, options)) in columns.iter().enumerate() {
            let cell = record.get(c + 2).unwrap_or_default().trim_ascii();
            if cell.is_empty() {
                continue;
            }
            blank[*q] = false;
            match options.get(cell) {
                Some(&o) => choices[*q] = Some(o),
                None => {
                    let question = &policy.questions[*q];
                    let valid: Vec<&str> = question.options.iter().map(|o| o.id.as_str()).collect();
                    problems.push(format!(
                        "{name}:{line}: {}: {:?} is not an option (the options are {})",
                        question.id,
                        String::from_utf8_lossy(cell),
                        valid.join(", ")
                    ));
                }
            }
        }
        for (q, question) in policy.questions.iter().enumerate() {
            if !question.optional && blank[q] {
                problems.push(format!(
                    "{name}:{line}: {}: child {child_id} has no answer, and this question must be answered",
                    question.id
                ));
            }
        }
        children.push(ChildAnswers { child_id, date_of_birth, choices });
    }
    problems.check(&name)?;
    Ok(children)
}

/// Reads current amounts (`child_id,stream_id,annual_amount`) for the
/// children in `answers`. `streams` are the stream ids the file may name.
pub fn read_current(path: &Path, answers: &[ChildAnswers], streams: &[String]) -> Result<CurrentAmounts> {
    let (name, bytes) = read(path)?;
    let mut problems = FileProblems::default();
    let mut reader = csv_reader(&bytes);
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}:1: the header row cannot be read"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers != ["child_id", "stream_id", "annual_amount"] {
        problems.push(format!("{name}:1: the columns must be child_id, stream_id, annual_amount"));
        problems.check(&name)?;
    }
    let child_row: FastMap<&str, usize> = answers.iter().enumerate().map(|(i, c)| (c.child_id.as_str(), i)).collect();
    let mut current = CurrentAmounts::new(streams.to_vec(), answers.len());
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("{name}:{line}: the row cannot be read: {e}"));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let (child, stream, amount) = (record[0].trim(), record[1].trim(), record[2].trim());
        let row = child_row.get(child);
        if row.is_none() {
            problems.push(format!("{name}:{line}: child_id: {child} is not in the answers file"));
        }
        let column = streams.iter().position(|s| s == stream);
        if column.is_none() {
            problems.push(format!(
                "{name}:{line}: stream_id: {stream:?} is not a stream of the policy (the streams are {})",
                streams.join(", ")
            ));
        }
        let amount = match Pence::parse(amount) {
            Ok(a) if a >= Pence::ZERO && a <= Pence::INPUT_MAX => Some(a),
            Ok(_) => {
                problems.push(format!("{name}:{line}: annual_amount: must be from £0 to {}", Pence::INPUT_MAX));
                None
            }
            Err(e) => {
                problems.push(format!("{name}:{line}: annual_amount: {e}"));
                None
            }
        };
        if let (Some(&r), Some(c), Some(a)) = (row, column, amount)
            && current.set(r, c, a).is_some()
        {
            problems.push(format!("{name}:{line}: {child} already has a current amount for {stream}"));
        }
    }
    problems.check(&name)?;
    Ok(current)
}

/// The results file's header.
pub const RESULTS_HEADER: &str = "child_id,stream_id,eligible,points,band,base_amount,age_factor,indicative_amount,current_amount,protected_amount\n";

/// Writes one child's rows of the results file.
pub fn write_results(
    out: &mut impl Write,
    policy: &Policy,
    child: &ChildAnswers,
    allocation: &Allocation,
) -> std::io::Result<()> {
    // Written piece by piece: formatting each row into new strings was a
    // large share of the time at national scale.
    let pounds = |out: &mut dyn Write, p: Pence| {
        let v = p.pence();
        write!(out, "{}{}.{:02}", if v < 0 { "-" } else { "" }, v.unsigned_abs() / 100, v.unsigned_abs() % 100)
    };
    let id = csv_field(&child.child_id);
    for (stream, a) in policy.streams.iter().zip(&allocation.streams) {
        write!(out, "{id},{},{},{},", stream.id, a.eligible, a.points)?;
        if let Some(b) = a.band {
            out.write_all(csv_field(&stream.bands[b].name).as_bytes())?;
            out.write_all(b",")?;
            pounds(out, a.base)?;
            write!(out, ",{},", a.factor)?;
        } else {
            out.write_all(b",,,")?;
        }
        pounds(out, a.indicative)?;
        out.write_all(b",")?;
        if let Some(c) = a.current {
            pounds(out, c)?;
        }
        out.write_all(b",")?;
        pounds(out, a.protected)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Quotes a CSV field if it needs it.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}
