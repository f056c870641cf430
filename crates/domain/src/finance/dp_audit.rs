//! The audit of a child's direct payment, done fairly.
//!
//! An audit is a list of dated events (started, evidence received, findings
//! recorded, a notice sent, the family's answer, money recovered, closed),
//! and where it stands is worked out from them, like a child's pathway
//! record. The rules that make it fair are all here:
//!
//! - nothing is recovered until the family has been sent a notice with what
//!   was found, the amount, the reasons and a date to respond by, and that
//!   date has passed or they have agreed;
//! - a family that disagrees is heard: recovery then needs new findings
//!   (which answer what they said) and a new notice, or the audit closes;
//! - new findings void any notice already sent, so what is recovered is
//!   always what the family was told;
//! - the money the plan sets aside as contingency, and money already owed
//!   for support, is not surplus, so it is never recovered.
//!
//! The rules that depend on the day an event is recorded (nothing in the
//! future, the least notice period, the surplus at the time) are checked
//! when it is recorded ([`AuditState::check`]). Reading stored events back
//! ([`AuditState::from_events`]) checks only their order, so a change to the
//! area's settings never breaks an audit already under way.

use crate::code_list;
use crate::finance::settings::AuditRules;
use crate::invalid::Invalid;
use crate::money::Pence;
use crate::text::{optional_text, required_text};
use jiff::Span;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::fmt;

/// The longest findings, reasons or response accepted.
const MAX_TEXT: usize = 4_000;

/// A date as a letter writes it: `1 May 2026`.
pub(crate) fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// `d` plus `months`. jiff moves a day the month lacks back to the month's
/// last day (31 January + 1 month is 28 or 29 February), so an audit is
/// never due later than the rule says.
fn plus_months(d: Date, months: u32) -> Date {
    Span::new().try_months(months).ok().and_then(|s| d.checked_add(s).ok()).unwrap_or(Date::MAX)
}

/// When the next audit is due: within `first_within_months` of the first
/// payment, then `every_months` after the last audit was completed.
pub fn next_audit_due(first_payment: Date, last_completed: Option<Date>, rules: &AuditRules) -> Date {
    match last_completed {
        None => plus_months(first_payment, rules.first_within_months),
        Some(last) => plus_months(last, rules.every_months),
    }
}

/// The most that may be recovered: the balance less the plan's contingency
/// and less what is already owed or due before the next payment, never
/// below zero. A negative contingency or amount due counts as none, so it
/// can never make the surplus larger.
pub fn surplus(balance: Pence, contingency: Pence, due_before_next_payment: Pence) -> Pence {
    let held_back = [contingency, due_before_next_payment].map(|p| p.pence().max(0));
    Pence::new(balance.pence().saturating_sub(held_back[0]).saturating_sub(held_back[1]).max(0))
}

code_list!(
    /// What an audit asks the family for.
    Evidence, "evidence" {
        Statements = "statements", "Bank statements for the direct-payment account";
        Receipts = "receipts", "Receipts and invoices";
        Payroll = "payroll", "Payroll records for personal assistants";
    }
);

code_list!(
    /// Where an audit has got to.
    AuditStep, "audit step" {
        Started = "started", "Started";
        GatheringEvidence = "gathering_evidence", "Gathering evidence";
        FindingsRecorded = "findings_recorded", "Findings recorded";
        NoticeSent = "notice_sent", "Notice sent to the family";
        Recovered = "recovered", "Unspent money recovered";
        Closed = "closed", "Closed";
    }
);

/// What happened in an audit. Who recorded it, and when, the store keeps
/// beside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditEvent {
    Started {
        on: Date,
    },
    EvidenceReceived {
        evidence: Evidence,
        on: Date,
        note: Option<String>,
    },
    /// What the audit found, and what it proposes to recover (may be zero).
    FindingsRecorded {
        on: Date,
        findings: String,
        proposed_recovery: Pence,
        /// Required when something is to be recovered: the family is told them.
        reasons: Option<String>,
    },
    /// The notice (see [`notice_letter`]) and the last day to respond.
    NoticeSent {
        on: Date,
        response_by: Date,
    },
    FamilyResponded {
        on: Date,
        agreed: bool,
        response: String,
    },
    RecoveryPosted {
        on: Date,
        amount: Pence,
    },
    Closed {
        on: Date,
        outcome: String,
    },
}

/// What happened next in an audit, as a person sends it: raw text, with
/// amounts in pounds. Starting an audit has a form of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEventForm {
    /// `evidence_received`, `findings_recorded`, `notice_sent`,
    /// `family_responded`, `recovery_posted` or `closed`.
    pub kind: Option<String>,
    pub on: Option<String>,
    /// For `evidence_received`: `statements`, `receipts` or `payroll`.
    pub evidence: Option<String>,
    pub note: Option<String>,
    /// For `findings_recorded`: what was found, the amount proposed for
    /// recovery (pounds; 0 for none) and the reasons the family is told.
    pub findings: Option<String>,
    pub proposed_recovery: Option<String>,
    pub reasons: Option<String>,
    /// For `notice_sent`: the last day the family may respond.
    pub response_by: Option<String>,
    /// For `family_responded`: whether they agreed, and what they said.
    pub agreed: Option<bool>,
    pub response: Option<String>,
    /// For `recovery_posted`: the amount (pounds).
    pub amount: Option<String>,
    /// For `closed`: how it ended.
    pub outcome: Option<String>,
}

impl AuditEventForm {
    /// Checks the fields the kind needs; whether the event may happen now
    /// is [`AuditState::check`]'s business.
    pub fn parse(&self) -> Result<AuditEvent, Invalid> {
        let mut inv = Invalid::default();
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").to_owned();
        // A missing date is reported; the placeholder never leaves.
        let on = inv.check("on", crate::dates::parse_date(&text(&self.on))).unwrap_or(Date::MIN);
        let event = match self.kind.as_deref().unwrap_or("") {
            "evidence_received" => {
                let evidence = inv.check("evidence", Evidence::parse(&text(&self.evidence)));
                let note = inv.check("note", optional_text(self.note.as_deref(), 2_000)).flatten();
                evidence.map(|evidence| AuditEvent::EvidenceReceived { evidence, on, note })
            }
            "findings_recorded" => {
                let findings =
                    required_text(&mut inv, "findings", self.findings.as_deref(), 4_000, "say what the audit found");
                let reasons = inv.check("reasons", optional_text(self.reasons.as_deref(), 4_000)).flatten();
                inv.check("proposed_recovery", Pence::parse(&text(&self.proposed_recovery)))
                    .map(|proposed_recovery| AuditEvent::FindingsRecorded { on, findings, proposed_recovery, reasons })
            }
            "notice_sent" => inv
                .check("response_by", crate::dates::parse_date(&text(&self.response_by)))
                .map(|response_by| AuditEvent::NoticeSent { on, response_by }),
            "family_responded" => {
                let response =
                    required_text(&mut inv, "response", self.response.as_deref(), 4_000, "say what the family said");
                inv.check("agreed", self.agreed.ok_or("say whether the family agreed"))
                    .map(|agreed| AuditEvent::FamilyResponded { on, agreed, response })
            }
            "recovery_posted" => inv
                .check("amount", Pence::parse(&text(&self.amount)))
                .map(|amount| AuditEvent::RecoveryPosted { on, amount }),
            "closed" => {
                let outcome = required_text(&mut inv, "outcome", self.outcome.as_deref(), 4_000, "say how it ended");
                Some(AuditEvent::Closed { on, outcome })
            }
            _ => {
                inv.push(
                    "kind",
                    "choose evidence_received, findings_recorded, notice_sent, family_responded, recovery_posted or closed",
                );
                None
            }
        };
        inv.finish(|| event.expect("checked"))
    }
}

impl AuditEvent {
    /// The day it happened.
    pub fn on(&self) -> Date {
        match self {
            AuditEvent::Started { on }
            | AuditEvent::EvidenceReceived { on, .. }
            | AuditEvent::FindingsRecorded { on, .. }
            | AuditEvent::NoticeSent { on, .. }
            | AuditEvent::FamilyResponded { on, .. }
            | AuditEvent::RecoveryPosted { on, .. }
            | AuditEvent::Closed { on, .. } => *on,
        }
    }
}

/// A piece of evidence received: when (the latest), and any note.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Received {
    pub on: Date,
    pub note: Option<String>,
}

/// The evidence checklist: which of [`Evidence::ALL`] has been received.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Checklist(BTreeMap<Evidence, Received>);

impl Checklist {
    /// When `evidence` was last received, if it was.
    pub fn received(&self, evidence: Evidence) -> Option<&Received> {
        self.0.get(&evidence)
    }

    /// What has not been received yet, in checklist order.
    pub fn missing(&self) -> Vec<Evidence> {
        Evidence::ALL.iter().copied().filter(|e| !self.0.contains_key(e)).collect()
    }
}

/// The current findings, and the notice sent about them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Findings {
    pub on: Date,
    pub text: String,
    pub proposed_recovery: Pence,
    pub reasons: Option<String>,
    /// The notice of these findings; new findings void it.
    pub notice: Option<Notice>,
}

impl Findings {
    /// The notice about these findings to `child`'s family, giving them
    /// until `response_by` (the date of the notice sent, or one proposed).
    pub fn letter(&self, child: &str, response_by: Date) -> String {
        notice_letter(
            child,
            &self.text,
            self.proposed_recovery,
            self.reasons.as_deref().unwrap_or_default(),
            response_by,
        )
    }
}

/// A notice sent to the family, and their answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    pub sent_on: Date,
    pub response_by: Date,
    /// The family's latest answer: a family may change their mind.
    pub response: Option<Response>,
}

/// The family's answer to a notice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Response {
    pub on: Date,
    pub agreed: bool,
    pub text: String,
}

/// Money recovered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    pub on: Date,
    pub amount: Pence,
}

/// How an audit ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub on: Date,
    pub text: String,
}

/// Where an audit stands, worked out from its events. Built only by
/// [`AuditState::start`], [`AuditState::from_events`] and
/// [`AuditState::check`], so it always follows the rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditState {
    started_on: Date,
    evidence: Checklist,
    findings: Option<Findings>,
    recovered: Option<Recovered>,
    closed: Option<Outcome>,
    /// The latest event's date: nothing may be dated before it.
    #[serde(skip)]
    last_on: Date,
}

impl AuditState {
    /// Starts an audit on `on`.
    pub fn start(on: Date, today: Date) -> Result<AuditState, Invalid> {
        if on > today {
            return Err(Invalid::one("on", "cannot be in the future"));
        }
        Ok(AuditState::new(on))
    }

    fn new(on: Date) -> AuditState {
        AuditState {
            started_on: on,
            evidence: Checklist::default(),
            findings: None,
            recovered: None,
            closed: None,
            last_on: on,
        }
    }

    /// Folds stored events, in the order they were recorded, checking their
    /// order (problems are named `events[i].field`).
    pub fn from_events(events: &[AuditEvent]) -> Result<AuditState, Invalid> {
        let Some((AuditEvent::Started { on }, rest)) = events.split_first() else {
            return Err(Invalid::one("events[0].kind", "an audit begins with a started event"));
        };
        let mut state = AuditState::new(*on);
        for (i, event) in rest.iter().enumerate() {
            state.apply(event).map_err(|inv| {
                let mut named = Invalid::default();
                for e in inv.0 {
                    named.push(&format!("events[{}].{}", i + 1, e.field), e.message);
                }
                named
            })?;
        }
        Ok(state)
    }

    /// Checks a new event, recorded on `today`, against the audit so far and
    /// the area's rules: `surplus` is what may be recovered today (see
    /// [`surplus`]). Every problem is reported, by field; the state after the
    /// event if there are none.
    pub fn check(
        &self,
        event: &AuditEvent,
        today: Date,
        surplus: Pence,
        rules: &AuditRules,
    ) -> Result<AuditState, Invalid> {
        let mut next = self.clone();
        let mut inv = next.apply(event).err().unwrap_or_default();
        if event.on() > today {
            inv.push("on", "cannot be in the future");
        }
        let not_surplus = || {
            if surplus > Pence::ZERO {
                format!(
                    "at most {surplus} can be recovered: the balance less the plan's contingency and what is already owed (contingency money is not surplus)"
                )
            } else {
                "there is no surplus to recover: what is left is the plan's contingency or already owed (contingency money is not surplus)".to_owned()
            }
        };
        match event {
            AuditEvent::NoticeSent { on, response_by } => {
                let earliest = crate::dates::plus_days(*on, i64::from(rules.notice_days));
                if *response_by < earliest {
                    inv.push(
                        "response_by",
                        format!(
                            "the family must have at least {} days to respond: give them until {} or later",
                            rules.notice_days,
                            long_date(earliest)
                        ),
                    );
                }
            }
            AuditEvent::FindingsRecorded { proposed_recovery, .. } if *proposed_recovery > surplus => {
                inv.push("proposed_recovery", not_surplus());
            }
            AuditEvent::RecoveryPosted { amount, .. } if *amount > surplus => inv.push("amount", not_surplus()),
            _ => {}
        }
        inv.finish(|| next)
    }

    /// Checks `event`'s order and content and, if it passes, folds it in.
    /// Nothing changes when it fails.
    fn apply(&mut self, event: &AuditEvent) -> Result<(), Invalid> {
        if let Some(c) = &self.closed {
            return Err(Invalid::one("kind", format!("the audit was closed on {}", long_date(c.on))));
        }
        let mut inv = Invalid::default();
        let on = event.on();
        if on < self.last_on {
            inv.push("on", format!("cannot be before the audit's last event ({})", long_date(self.last_on)));
        }
        if let Err(message) = self.allows(event) {
            inv.push("kind", message);
        }
        match event {
            AuditEvent::Started { .. } => {}
            AuditEvent::EvidenceReceived { evidence, note, .. } => {
                let note = inv.check("note", optional_text(note.as_deref(), MAX_TEXT)).flatten();
                if inv.0.is_empty() {
                    self.evidence.0.insert(*evidence, Received { on, note });
                }
            }
            AuditEvent::FindingsRecorded { findings, proposed_recovery, reasons, .. } => {
                let text = required_text(&mut inv, "findings", Some(findings), MAX_TEXT, "say what the audit found");
                if *proposed_recovery < Pence::ZERO {
                    inv.push("proposed_recovery", "cannot be less than £0.00");
                }
                let reasons = inv.check("reasons", optional_text(reasons.as_deref(), MAX_TEXT)).flatten();
                if *proposed_recovery > Pence::ZERO && reasons.is_none() {
                    inv.push("reasons", "say why the money should be recovered: the family is told the reasons");
                }
                if inv.0.is_empty() {
                    // New findings replace the old, and void any notice of them.
                    self.findings =
                        Some(Findings { on, text, proposed_recovery: *proposed_recovery, reasons, notice: None });
                }
            }
            AuditEvent::NoticeSent { response_by, .. } => {
                if *response_by <= on {
                    inv.push("response_by", "must be after the day the notice is sent");
                }
                if let (true, Some(f)) = (inv.0.is_empty(), &mut self.findings) {
                    f.notice = Some(Notice { sent_on: on, response_by: *response_by, response: None });
                }
            }
            AuditEvent::FamilyResponded { agreed, response, .. } => {
                let text =
                    required_text(&mut inv, "response", Some(response), MAX_TEXT, "write down what the family said");
                if let (true, Some(n)) = (inv.0.is_empty(), self.findings.as_mut().and_then(|f| f.notice.as_mut())) {
                    n.response = Some(Response { on, agreed: *agreed, text });
                }
            }
            AuditEvent::RecoveryPosted { amount, .. } => {
                if *amount <= Pence::ZERO {
                    inv.push("amount", "must be more than £0.00");
                }
                if let Some(f) = &self.findings
                    && *amount > f.proposed_recovery
                {
                    inv.push("amount", format!("cannot be more than the {} the notice proposed", f.proposed_recovery));
                }
                if inv.0.is_empty() {
                    self.recovered = Some(Recovered { on, amount: *amount });
                }
            }
            AuditEvent::Closed { outcome, .. } => {
                let text = required_text(&mut inv, "outcome", Some(outcome), MAX_TEXT, "say how the audit ended");
                if inv.0.is_empty() {
                    self.closed = Some(Outcome { on, text });
                }
            }
        }
        inv.finish(|| ())?;
        self.last_on = on;
        Ok(())
    }

    /// Whether `event` follows from where the audit is (a closed audit is
    /// refused before this); the error says what is out of order.
    fn allows(&self, event: &AuditEvent) -> Result<(), String> {
        let notice = self.notice();
        match event {
            AuditEvent::Started { .. } => Err("the audit has already started".into()),
            AuditEvent::RecoveryPosted { on, .. } => {
                may_post_recovery(self, *on).map(|_| ()).map_err(|b| b.to_string())
            }
            AuditEvent::Closed { .. } => Ok(()),
            _ if self.recovered.is_some() => Err("the money has been recovered: only closing the audit is left".into()),
            AuditEvent::EvidenceReceived { .. } | AuditEvent::FindingsRecorded { .. } => Ok(()),
            AuditEvent::NoticeSent { response_by, .. } => match (&self.findings, notice) {
                (None, _) => Err("record the findings first: the notice tells the family what was found".into()),
                (Some(f), _) if f.proposed_recovery <= Pence::ZERO => {
                    Err("the findings propose nothing to recover, so there is nothing to give notice of".into())
                }
                (_, Some(Notice { response: Some(_), .. })) => {
                    Err("the family has answered this notice: record new findings to send another".into())
                }
                // A notice sent again (a lost letter) never gives the family less time.
                (_, Some(n)) if *response_by < n.response_by => Err(format!(
                    "the family was already given until {}: a new notice cannot give them less time",
                    long_date(n.response_by)
                )),
                _ => Ok(()),
            },
            AuditEvent::FamilyResponded { .. } => match notice {
                None => Err("send the family a notice first".into()),
                Some(_) => Ok(()),
            },
        }
    }

    /// Where the audit has got to.
    pub fn step(&self) -> AuditStep {
        if self.closed.is_some() {
            AuditStep::Closed
        } else if self.recovered.is_some() {
            AuditStep::Recovered
        } else if self.notice().is_some() {
            AuditStep::NoticeSent
        } else if self.findings.is_some() {
            AuditStep::FindingsRecorded
        } else if !self.evidence.0.is_empty() {
            AuditStep::GatheringEvidence
        } else {
            AuditStep::Started
        }
    }

    pub fn started_on(&self) -> Date {
        self.started_on
    }

    pub fn evidence(&self) -> &Checklist {
        &self.evidence
    }

    /// The current findings (the latest recorded).
    pub fn findings(&self) -> Option<&Findings> {
        self.findings.as_ref()
    }

    /// The notice of the current findings, if one was sent.
    pub fn notice(&self) -> Option<&Notice> {
        self.findings.as_ref().and_then(|f| f.notice.as_ref())
    }

    pub fn recovered(&self) -> Option<&Recovered> {
        self.recovered.as_ref()
    }

    /// How and when the audit ended: the date to give [`next_audit_due`].
    pub fn closed(&self) -> Option<&Outcome> {
        self.closed.as_ref()
    }
}

/// Why money cannot be recovered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryBlocked {
    NoFindings,
    NothingToRecover,
    NoNoticeSent,
    WaitingForFamily {
        until: Date,
    },
    /// The family disagreed: they must be heard, with new findings and a
    /// new notice, before anything is recovered.
    FamilyDisagreed {
        on: Date,
    },
    AlreadyRecovered {
        on: Date,
        amount: Pence,
    },
    Closed {
        on: Date,
    },
}

impl fmt::Display for RecoveryBlocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecoveryBlocked::NoFindings => f.write_str("record the audit's findings first"),
            RecoveryBlocked::NothingToRecover => f.write_str("the findings propose nothing to recover"),
            RecoveryBlocked::NoNoticeSent => {
                f.write_str("send the family a notice with the reasons and a date to respond by first")
            }
            RecoveryBlocked::WaitingForFamily { until } => write!(
                f,
                "the family has until {} to respond to the notice: nothing can be recovered before then unless they agree",
                long_date(*until)
            ),
            RecoveryBlocked::FamilyDisagreed { on } => write!(
                f,
                "the family disagreed on {}: record new findings that answer what they said and send a new notice, or close the audit",
                long_date(*on)
            ),
            RecoveryBlocked::AlreadyRecovered { on, amount } => {
                write!(f, "{amount} was already recovered on {}", long_date(*on))
            }
            RecoveryBlocked::Closed { on } => write!(f, "the audit was closed on {}", long_date(*on)),
        }
    }
}

impl std::error::Error for RecoveryBlocked {}

/// The amount that may be recovered on `today`: only when the findings
/// propose one, the family was sent a notice of them with the reasons and a
/// date to respond by, and that date has passed or they agreed.
pub fn may_post_recovery(state: &AuditState, today: Date) -> Result<Pence, RecoveryBlocked> {
    if let Some(c) = &state.closed {
        return Err(RecoveryBlocked::Closed { on: c.on });
    }
    if let Some(r) = &state.recovered {
        return Err(RecoveryBlocked::AlreadyRecovered { on: r.on, amount: r.amount });
    }
    let findings = state.findings.as_ref().ok_or(RecoveryBlocked::NoFindings)?;
    if findings.proposed_recovery <= Pence::ZERO {
        return Err(RecoveryBlocked::NothingToRecover);
    }
    let notice = findings.notice.as_ref().ok_or(RecoveryBlocked::NoNoticeSent)?;
    match &notice.response {
        Some(Response { agreed: true, .. }) => Ok(findings.proposed_recovery),
        Some(Response { agreed: false, on, .. }) => Err(RecoveryBlocked::FamilyDisagreed { on: *on }),
        // The response date is the last day to answer: recovery from the day after.
        None if today > notice.response_by => Ok(findings.proposed_recovery),
        None => Err(RecoveryBlocked::WaitingForFamily { until: notice.response_by }),
    }
}

/// The notice a family is sent: what was found, how much is to be
/// recovered and why, by when to respond and how.
pub fn notice_letter(child: &str, findings: &str, amount: Pence, reasons: &str, response_by: Date) -> String {
    let by = long_date(response_by);
    format!(
        "Direct payment audit for {child}\n\
         \n\
         We have checked how {child}'s direct payment has been spent.\n\
         \n\
         What we found:\n{findings}\n\
         \n\
         We propose to take back {amount} of unspent money, because:\n{reasons}\n\
         \n\
         We will not take back the money the plan sets aside for contingencies, \
         or money you already owe for support.\n\
         \n\
         Please tell us by {by} whether you agree. If you do not agree, tell us why, \
         and send any statements, receipts or payroll records we have not seen. \
         You can reply by letter, by email or by phone to your direct payments officer.\n\
         \n\
         We will not take any money back before {by} unless you tell us you agree. \
         If you disagree, we will look again and write to you before anything is taken back.\n"
    )
}

#[cfg(test)]
mod tests;
