//! The policy file: parsing, checking and the policy's types.

use crate::code_list;
use crate::money::Pence;
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use toml::Spanned;

code_list!(
    /// Which agency a funding stream's money comes from.
    Agency, "agency" {
        Council = "council", "Council";
        Nhs = "nhs", "NHS";
        Education = "education", "Education (high-needs funding)";
        Other = "other", "Other";
    }
);

/// The highest age a policy's age factors cover: EHC plans end at 25.
pub const MAX_AGE: u32 = 25;
/// Limits on a policy, so a typo cannot make a policy that takes minutes to
/// evaluate or a points total that overflows.
const MAX_QUESTIONS: usize = 200;
const MAX_OPTIONS: usize = 20;
/// The most funding streams a policy can have.
pub const MAX_STREAMS: usize = 20;
const MAX_POINTS_PER_OPTION: i64 = 10_000;

/// A percentage with at most two decimal places, from 0 to 100, held as
/// hundredths of a percent (basis points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// Hundredths of a percent: 5% is 500.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// Parses `"5"`, `"12.5"`, `"0.25"`.
    pub fn parse(input: &str) -> Result<Percent, String> {
        let bp = parse_scaled(input, 2).map_err(|e| format!("a percentage {e}"))?;
        if bp > 10_000 {
            return Err("a percentage must be from 0 to 100".to_owned());
        }
        Ok(Percent(bp as u32))
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&trim_scaled(i64::from(self.0), 2))
    }
}

/// An age factor: a positive decimal with at most four decimal places, held
/// in ten-thousandths (0.8 is 8000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Factor(u32);

impl Factor {
    /// The factor 1.
    pub const ONE: Factor = Factor(10_000);

    /// Ten-thousandths: 0.8 is 8000.
    pub fn ten_thousandths(self) -> u32 {
        self.0
    }

    /// Parses `"0.8"`, `"1.25"`; must be above 0 and at most 10.
    pub fn parse(input: &str) -> Result<Factor, String> {
        let v = parse_scaled(input, 4).map_err(|e| format!("a factor {e}"))?;
        if v == 0 || v > 100_000 {
            return Err("a factor must be above 0 and at most 10".to_owned());
        }
        Ok(Factor(v as u32))
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&trim_scaled(i64::from(self.0), 4))
    }
}

/// Parses a non-negative decimal string with at most `dp` decimal places
/// into an integer scaled by 10^dp. No signs, exponents or other float forms.
fn parse_scaled(input: &str, dp: usize) -> Result<i64, String> {
    let s = input.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (s.contains('.') && !digits(frac)) || whole.len() > 9 {
        return Err(format!("is written as a plain decimal, like \"5\" or \"0.8\" (not {s:?})"));
    }
    if frac.len() > dp {
        return Err(format!("can have at most {dp} decimal places"));
    }
    let scale = 10i64.pow(dp as u32);
    let frac_value: i64 =
        if frac.is_empty() { 0 } else { frac.parse::<i64>().unwrap_or(0) * 10i64.pow((dp - frac.len()) as u32) };
    Ok(whole.parse::<i64>().unwrap_or(0) * scale + frac_value)
}

/// Shows a scaled integer as a decimal without trailing zeros: 8000 at 4dp
/// is "0.8", 10000 is "1".
fn trim_scaled(v: i64, dp: u32) -> String {
    let scale = 10i64.pow(dp);
    let frac = format!("{:0width$}", v % scale, width = dp as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{}", v / scale) } else { format!("{}.{frac}", v / scale) }
}

/// A band: a range of points and the annual amount it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub name: String,
    pub min_points: u32,
    /// `None` for the last band, which is open-ended.
    pub max_points: Option<u32>,
    pub amount: Pence,
}

/// An age range and its factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeFactor {
    pub min_age: u32,
    pub max_age: u32,
    pub factor: Factor,
}

/// A funding stream and how its points become money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub id: String,
    pub name: String,
    pub agency: Agency,
    pub eligibility_min_points: u32,
    pub contingency: Percent,
    pub max_reduction: Percent,
    pub bands: Vec<Band>,
    /// Empty when the stream has no age factors (the factor is then 1).
    pub age_factors: Vec<AgeFactor>,
}

impl Stream {
    /// The band for `points`, if the points reach eligibility.
    pub fn band_for(&self, points: u32) -> Option<usize> {
        if points < self.eligibility_min_points {
            return None;
        }
        self.bands.iter().position(|b| points >= b.min_points && b.max_points.is_none_or(|max| points <= max))
    }

    /// The factor for a child of `age` whole years (1 without age factors).
    pub fn factor_for(&self, age: u32) -> Option<Factor> {
        if self.age_factors.is_empty() {
            return Some(Factor::ONE);
        }
        self.age_factors.iter().find(|a| a.min_age <= age && age <= a.max_age).map(|a| a.factor)
    }
}

/// One answer a question offers, and the points it scores per stream
/// (indexed like the policy's streams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOption {
    pub id: String,
    pub label: String,
    pub points: Vec<u32>,
}

/// A question of the allocation questionnaire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub domain: String,
    pub text: String,
    pub help: Option<String>,
    /// An optional question left unanswered scores 0.
    pub optional: bool,
    pub options: Vec<AnswerOption>,
}

/// A checked, immutable allocation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: String,
    pub version: String,
    pub title: String,
    pub effective_from: Date,
    pub streams: Vec<Stream>,
    pub questions: Vec<Question>,
    /// SHA-256 of the file's exact text: with id and version, names the
    /// policy a stored allocation was made under, so it can be recomputed.
    pub content_hash: String,
}

/// Something wrong with a policy file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub line: usize,
    pub message: String,
}

impl PolicyError {
    /// `FILE:LINE: message`.
    pub fn in_file(&self, file: &str) -> String {
        format!("{file}:{}: {}", self.line, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    policy: Spanned<RawHeader>,
    #[serde(default)]
    stream: Vec<Spanned<RawStream>>,
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    version: String,
    title: String,
    effective_from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStream {
    id: String,
    name: String,
    agency: String,
    eligibility_min_points: i64,
    contingency_percent: String,
    max_reduction_percent: String,
    #[serde(default)]
    band: Vec<Spanned<RawBand>>,
    #[serde(default)]
    age_factor: Vec<Spanned<RawAgeFactor>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    name: String,
    min_points: i64,
    max_points: Option<i64>,
    amount: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgeFactor {
    min_age: i64,
    max_age: i64,
    factor: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    domain: String,
    text: String,
    help: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    option: Vec<Spanned<RawOption>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: String,
    label: String,
    #[serde(default)]
    points: BTreeMap<String, i64>,
}

/// Collects problems with their lines (shared by every policy file:
/// allocation and delegation).
pub(crate) struct Problems<'t> {
    pub(crate) text: &'t str,
    pub(crate) list: Vec<PolicyError>,
}

impl<'t> Problems<'t> {
    pub(crate) fn new(text: &'t str) -> Problems<'t> {
        Problems { text, list: Vec::new() }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].bytes().filter(|b| *b == b'\n').count() + 1
    }

    /// The file could not be read as TOML at all.
    pub(crate) fn unreadable(text: &str, e: toml::de::Error) -> Vec<PolicyError> {
        let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1);
        vec![PolicyError { line, message: e.message().trim().to_owned() }]
    }

    pub(crate) fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.line_of(offset);
        self.list.push(PolicyError { line, message: message.into() });
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Policy {
    /// Parses and checks a policy file's text, reporting every problem.
    pub fn parse(text: &str) -> Result<Policy, Vec<PolicyError>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| Problems::unreadable(text, e))?;
        let mut p = Problems::new(text);
        let header_at = raw.policy.span().start;
        let header = raw.policy.into_inner();
        if !valid_id(&header.id) {
            p.at(header_at, "the policy id must be 1–64 lower-case letters, digits, '_' or '-'");
        }
        if header.version.trim().is_empty() || header.title.trim().is_empty() {
            p.at(header_at, "the policy needs a version and a title");
        }
        let effective_from = crate::dates::parse_date(&header.effective_from)
            .map_err(|e| p.at(header_at, format!("effective_from: {e}")))
            .ok();
        if raw.stream.is_empty() {
            p.at(header_at, "a policy needs at least one [[stream]]");
        }
        if raw.stream.len() > MAX_STREAMS || raw.question.len() > MAX_QUESTIONS {
            p.at(header_at, format!("a policy can have at most {MAX_STREAMS} streams and {MAX_QUESTIONS} questions"));
        }

        let mut streams = Vec::new();
        let mut stream_ids = HashSet::new();
        for s in raw.stream {
            let at = s.span().start;
            let s = s.into_inner();
            if !valid_id(&s.id) {
                p.at(at, format!("stream id {:?} must be lower-case letters, digits, '_' or '-'", s.id));
            }
            if !stream_ids.insert(s.id.clone()) {
                p.at(at, format!("stream id {:?} is used twice", s.id));
            }
            streams.push(check_stream(&mut p, at, s));
        }
        let stream_index: BTreeMap<&str, usize> = streams.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();

        let mut questions = Vec::new();
        let mut question_ids = HashSet::new();
        for q in raw.question {
            let at = q.span().start;
            let q = q.into_inner();
            if !valid_id(&q.id) {
                p.at(at, format!("question id {:?} must be lower-case letters, digits, '_' or '-'", q.id));
            }
            if !question_ids.insert(q.id.clone()) {
                p.at(at, format!("question id {:?} is used twice", q.id));
            }
            if q.text.trim().is_empty() || q.domain.trim().is_empty() {
                p.at(at, format!("question {:?} needs a domain and a text", q.id));
            }
            if q.option.is_empty() || q.option.len() > MAX_OPTIONS {
                p.at(at, format!("question {:?} needs 1 to {MAX_OPTIONS} options", q.id));
            }
            let mut option_ids = HashSet::new();
            let mut options = Vec::new();
            for o in q.option {
                let oat = o.span().start;
                let o = o.into_inner();
                if !valid_id(&o.id) {
                    p.at(oat, format!("option id {:?} must be lower-case letters, digits, '_' or '-'", o.id));
                }
                if !option_ids.insert(o.id.clone()) {
                    p.at(oat, format!("option id {:?} is used twice in question {:?}", o.id, q.id));
                }
                let mut points = vec![0u32; streams.len()];
                for (stream, value) in &o.points {
                    match stream_index.get(stream.as_str()) {
                        None => p.at(oat, format!("option {:?} of question {:?} gives points to {stream:?}, which is not a stream of this policy", o.id, q.id)),
                        Some(_) if *value < 0 => p.at(oat, format!("option {:?} of question {:?}: points cannot be negative", o.id, q.id)),
                        Some(_) if *value > MAX_POINTS_PER_OPTION => p.at(oat, format!("option {:?} of question {:?}: at most {MAX_POINTS_PER_OPTION} points", o.id, q.id)),
                        Some(&i) => points[i] = *value as u32,
                    }
                }
                options.push(AnswerOption { id: o.id, label: o.label, points });
            }
            questions.push(Question {
                id: q.id,
                domain: q.domain,
                text: q.text,
                help: q.help,
                optional: q.optional,
                options,
            });
        }
        if questions.is_empty() {
            p.at(header_at, "a policy needs at least one [[question]]");
        }
        if !p.list.is_empty() {
            p.list.sort_by_key(|e| e.line);
            return Err(p.list);
        }
        Ok(Policy {
            id: header.id,
            version: header.version,
            title: header.title,
            effective_from: effective_from.expect("checked"),
            streams,
            questions,
            content_hash: content_hash(text),
        })
    }

    /// The index of a stream by id.
    pub fn stream_index(&self, id: &str) -> Option<usize> {
        self.streams.iter().position(|s| s.id == id)
    }

    /// The index of a question by id.
    pub fn question_index(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }

    /// The fewest and most points each stream can score.
    pub fn points_range(&self) -> Vec<(u32, u32)> {
        (0..self.streams.len())
            .map(|s| {
                self.questions.iter().fold((0, 0), |(lo, hi), q| {
                    let pts = q.options.iter().map(|o| o.points[s]);
                    let min = if q.optional { 0 } else { pts.clone().min().unwrap_or(0) };
                    (lo + min, hi + pts.max().unwrap_or(0))
                })
            })
            .collect()
    }
}

/// SHA-256 of the text, in hex.
pub fn content_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn check_stream(p: &mut Problems<'_>, at: usize, s: RawStream) -> Stream {
    let agency =
        Agency::parse(&s.agency).map_err(|e| p.at(at, format!("stream {:?}: {e}", s.id))).unwrap_or(Agency::Other);
    let min = s.eligibility_min_points;
    if !(0..=i64::from(u32::MAX)).contains(&min) {
        p.at(at, format!("stream {:?}: eligibility_min_points cannot be negative", s.id));
    }
    let contingency = Percent::parse(&s.contingency_percent)
        .map_err(|e| p.at(at, format!("stream {:?}: contingency_percent: {e}", s.id)))
        .unwrap_or(Percent(0));
    let max_reduction = Percent::parse(&s.max_reduction_percent)
        .map_err(|e| p.at(at, format!("stream {:?}: max_reduction_percent: {e}", s.id)))
        .unwrap_or(Percent(0));
    if s.band.is_empty() {
        p.at(at, format!("stream {:?} has no bands", s.id));
    }
    let mut bands: Vec<Band> = Vec::new();
    let n = s.band.len();
    for (i, b) in s.band.into_iter().enumerate() {
        let bat = b.span().start;
        let b = b.into_inner();
        let what = format!("stream {:?} band {:?}", s.id, b.name);
        let expected_min = match bands.last() {
            None => min,
            Some(prev) => prev.max_points.map_or(-1, |m| i64::from(m) + 1),
        };
        if b.min_points != expected_min {
            let why = if i == 0 {
                "the first band must start at eligibility_min_points"
            } else {
                "each band must start at the previous band's max_points + 1 (no gap, no overlap)"
            };
            p.at(bat, format!("{what}: min_points is {} but {why} ({expected_min})", b.min_points));
        }
        match (b.max_points, i + 1 == n) {
            (Some(_), true) => p.at(bat, format!("{what}: the last band has no max_points (it is open-ended)")),
            (None, false) => p.at(bat, format!("{what}: only the last band can leave out max_points")),
            (Some(max), false) if max < b.min_points => p.at(bat, format!("{what}: max_points is below min_points")),
            _ => {}
        }
        let amount = match Pence::parse(&b.amount) {
            Ok(a) if a < Pence::ZERO => {
                p.at(bat, format!("{what}: amount cannot be negative"));
                Pence::ZERO
            }
            Ok(a) if a > Pence::INPUT_MAX => {
                p.at(bat, format!("{what}: amount can be at most {}", Pence::INPUT_MAX));
                Pence::ZERO
            }
            Ok(a) => a,
            Err(e) => {
                p.at(bat, format!("{what}: amount: {e}"));
                Pence::ZERO
            }
        };
        if let Some(prev) = bands.last()
            && amount < prev.amount
        {
            p.at(
                bat,
                format!(
                    "{what}: amount {amount} is less than the band below ({}): more need must never mean less money",
                    prev.amount
                ),
            );
        }
        let clamp = |v: i64| u32::try_from(v).unwrap_or(0);
        bands.push(Band { name: b.name, min_points: clamp(b.min_points), max_points: b.max_points.map(clamp), amount });
    }
    let mut age_factors: Vec<AgeFactor> = Vec::new();
    let mut next_age = 0i64;
    let factor_count = s.age_factor.len();
    for a in s.age_factor {
        let aat = a.span().start;
        let a = a.into_inner();
        if a.min_age != next_age || a.max_age < a.min_age {
            p.at(aat, format!("stream {:?}: age factors must run from 0 to {MAX_AGE} with no gap or overlap (this one should start at {next_age})", s.id));
        }
        next_age = a.max_age + 1;
        let factor =
            Factor::parse(&a.factor).map_err(|e| p.at(aat, format!("stream {:?}: {e}", s.id))).unwrap_or(Factor::ONE);
        age_factors.push(AgeFactor {
            min_age: a.min_age.clamp(0, 200) as u32,
            max_age: a.max_age.clamp(0, 200) as u32,
            factor,
        });
    }
    if factor_count > 0 && next_age != i64::from(MAX_AGE) + 1 {
        p.at(
            at,
            format!(
                "stream {:?}: age factors must cover every age from 0 to {MAX_AGE} (they end at {})",
                s.id,
                next_age - 1
            ),
        );
    }
    Stream {
        id: s.id,
        name: s.name,
        agency,
        eligibility_min_points: u32::try_from(min).unwrap_or(0),
        contingency,
        max_reduction,
        bands,
        age_factors,
    }
}
