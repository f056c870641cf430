//! The records a case keeps besides the plan: personal assistants and their
//! DBS checks, safeguarding concerns, risks, the family's requests for a
//! decision to be reviewed, and the exceptions managers record to lift a
//! gate. Also the gates themselves: when a direct payment, or paying a
//! personal assistant, is blocked.

use crate::code_list;
use crate::dates::{age_on, parse_date};
use crate::ids::{ChildId, ConcernId, GateExceptionId, PersonalAssistantId, ReviewRequestId, RiskId};
use crate::invalid::Invalid;
use crate::pathway::content::PlanItem;
use crate::pathway::plan::ManagementRoute;
use crate::pathway::record::{DueItem, DueKind};
use crate::text::{Name, required_text};
use jiff::Span;
use jiff::civil::Date;

/// A DBS check is renewed this many years after issue unless a renewal
/// date is given.
pub const DBS_RENEWAL_YEARS: i64 = 3;
/// The council answers a request for a review within this many calendar days.
pub const REVIEW_ANSWER_DAYS: i64 = 28;
const MAX_TEXT: usize = 2_000;

fn text(inv: &mut Invalid, field: &str, value: &Option<String>, missing: &str) -> String {
    required_text(inv, field, value.as_deref(), MAX_TEXT, missing)
}

/// A date a person typed that cannot be after `today`.
pub(crate) fn date(inv: &mut Invalid, field: &str, value: &Option<String>, today: Date) -> Option<Date> {
    let d = inv.check(field, parse_date(value.as_deref().unwrap_or("")))?;
    if d > today {
        inv.push(field, "cannot be in the future");
    }
    Some(d)
}

/// How something was closed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Closure {
    pub on: Date,
    pub reason: String,
}

/// A closing note as a person sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureForm {
    pub on: Option<String>,
    pub reason: Option<String>,
}

impl ClosureForm {
    pub fn parse(&self, not_before: Date, today: Date) -> Result<Closure, Invalid> {
        let mut inv = Invalid::default();
        let on = date(&mut inv, "on", &self.on, today);
        if let Some(on) = on
            && on < not_before
        {
            inv.push("on", format!("cannot be before {not_before}"));
        }
        let reason = text(&mut inv, "reason", &self.reason, "say why");
        inv.finish(|| Closure { on: on.expect("checked"), reason })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonalAssistant {
    pub id: PersonalAssistantId,
    pub child_id: ChildId,
    pub name: Name,
    pub employed_by: String,
    /// The 12-digit DBS certificate number.
    pub dbs_certificate: String,
    pub dbs_issued_on: Date,
    pub update_service: bool,
    pub renewal_due: Date,
}

impl PersonalAssistant {
    /// A check is current until its renewal date (on that day it is due).
    pub fn dbs_current(&self, today: Date) -> bool {
        today < self.renewal_due
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalAssistantForm {
    pub name: Option<String>,
    pub employed_by: Option<String>,
    pub dbs_certificate: Option<String>,
    pub dbs_issued_on: Option<String>,
    pub update_service: Option<bool>,
    /// Defaults to three years after issue.
    pub renewal_due: Option<String>,
}

impl PersonalAssistantForm {
    pub fn parse(&self, child_id: ChildId, today: Date) -> Result<PersonalAssistant, Invalid> {
        let mut inv = Invalid::default();
        let name = inv.check("name", Name::parse(self.name.as_deref().unwrap_or("")));
        let employed_by = text(&mut inv, "employed_by", &self.employed_by, "say who employs them (usually the family)");
        let cert: String =
            self.dbs_certificate.as_deref().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        if cert.len() != 12 || !cert.bytes().all(|b| b.is_ascii_digit()) {
            inv.push("dbs_certificate", "a DBS certificate number is 12 digits");
        }
        let issued = date(&mut inv, "dbs_issued_on", &self.dbs_issued_on, today);
        let renewal = match self.renewal_due.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => inv.check("renewal_due", parse_date(s)),
            None => issued.map(|d| d.checked_add(Span::new().years(DBS_RENEWAL_YEARS)).expect("dates in range")),
        };
        if let (Some(i), Some(r)) = (issued, renewal)
            && r <= i
        {
            inv.push("renewal_due", "must be after the date the certificate was issued");
        }
        inv.finish(|| PersonalAssistant {
            id: PersonalAssistantId::new(),
            child_id,
            name: name.expect("checked"),
            employed_by,
            dbs_certificate: cert,
            dbs_issued_on: issued.expect("checked"),
            update_service: self.update_service.unwrap_or(false),
            renewal_due: renewal.expect("checked"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Concern {
    pub id: ConcernId,
    pub child_id: ChildId,
    pub raised_on: Date,
    pub summary: String,
    /// Whether, while open, it stops a direct payment being chosen.
    pub blocks_direct_payment: bool,
    pub closed: Option<Closure>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcernForm {
    pub raised_on: Option<String>,
    pub summary: Option<String>,
    pub blocks_direct_payment: Option<bool>,
}

impl ConcernForm {
    pub fn parse(&self, child_id: ChildId, today: Date) -> Result<Concern, Invalid> {
        let mut inv = Invalid::default();
        let raised_on = date(&mut inv, "raised_on", &self.raised_on, today);
        let summary = text(&mut inv, "summary", &self.summary, "describe the concern");
        let blocks = inv
            .check("blocks_direct_payment", self.blocks_direct_payment.ok_or("say whether it stops a direct payment"));
        inv.finish(|| Concern {
            id: ConcernId::new(),
            child_id,
            raised_on: raised_on.expect("checked"),
            summary,
            blocks_direct_payment: blocks.expect("checked"),
            closed: None,
        })
    }
}

/// A risk on a child's risk register, or the area's (no child).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Risk {
    pub id: RiskId,
    pub child_id: Option<ChildId>,
    pub description: String,
    pub owner: String,
    pub review_on: Date,
    pub closed: Option<Closure>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskForm {
    pub description: Option<String>,
    pub owner: Option<String>,
    pub review_on: Option<String>,
}

impl RiskForm {
    pub fn parse(&self, child_id: Option<ChildId>) -> Result<Risk, Invalid> {
        let mut inv = Invalid::default();
        let description = text(&mut inv, "description", &self.description, "describe the risk");
        let owner = text(&mut inv, "owner", &self.owner, "say who owns the risk");
        let review_on = inv.check("review_on", parse_date(self.review_on.as_deref().unwrap_or("")));
        inv.finish(|| Risk {
            id: RiskId::new(),
            child_id,
            description,
            owner,
            review_on: review_on.expect("checked"),
            closed: None,
        })
    }
}

code_list!(
    /// The answer to a request for a review.
    ReviewOutcome, "review outcome" {
        DecisionChanged = "decision_changed", "The decision was changed";
        DecisionStands = "decision_stands", "The decision stands";
    }
);

/// A family's request for a decision to be reviewed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewRequest {
    pub id: ReviewRequestId,
    pub child_id: ChildId,
    pub received_on: Date,
    /// The plan version whose decision is challenged, if it is one.
    pub plan_version: Option<i64>,
    pub what_is_challenged: String,
    pub answer_due: Date,
    pub answer: Option<ReviewAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewAnswer {
    pub on: Date,
    pub outcome: ReviewOutcome,
    pub reasons: String,
}

/// The date by which a request received on `received` must be answered.
pub fn review_answer_due(received: Date) -> Date {
    received.checked_add(Span::new().days(REVIEW_ANSWER_DAYS)).expect("dates in range")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequestForm {
    pub received_on: Option<String>,
    pub plan_version: Option<i64>,
    pub what_is_challenged: Option<String>,
}

impl ReviewRequestForm {
    pub fn parse(&self, child_id: ChildId, today: Date) -> Result<ReviewRequest, Invalid> {
        let mut inv = Invalid::default();
        let received_on = date(&mut inv, "received_on", &self.received_on, today);
        let what = text(&mut inv, "what_is_challenged", &self.what_is_challenged, "say which decision and why");
        inv.finish(|| {
            let received_on = received_on.expect("checked");
            ReviewRequest {
                id: ReviewRequestId::new(),
                child_id,
                received_on,
                plan_version: self.plan_version,
                what_is_challenged: what,
                answer_due: review_answer_due(received_on),
                answer: None,
            }
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswerForm {
    pub on: Option<String>,
    pub outcome: Option<String>,
    pub reasons: Option<String>,
}

impl ReviewAnswerForm {
    pub fn parse(&self, request: &ReviewRequest, today: Date) -> Result<ReviewAnswer, Invalid> {
        let mut inv = Invalid::default();
        if request.answer.is_some() {
            inv.push("outcome", "this request has been answered already");
        }
        let on = date(&mut inv, "on", &self.on, today);
        if let Some(on) = on
            && on < request.received_on
        {
            inv.push("on", format!("cannot be before the request was received ({})", request.received_on));
        }
        let outcome = inv.check("outcome", ReviewOutcome::parse(self.outcome.as_deref().unwrap_or("")));
        let reasons = text(&mut inv, "reasons", &self.reasons, "give the reasons for the answer");
        inv.finish(|| ReviewAnswer { on: on.expect("checked"), outcome: outcome.expect("checked"), reasons })
    }
}

code_list!(
    /// What can stop a direct payment or a payment to a personal assistant.
    Gate, "gate" {
        Safeguarding = "safeguarding", "An open safeguarding concern stops a direct payment";
        YoungPersonConsent = "young_person_consent", "A young person aged 16 or 17 has not consented to a direct payment";
        PersonalAssistantDbs = "personal_assistant_dbs", "The personal assistant has no current DBS check";
    }
);

/// A manager's decision to lift a gate, with reasons. `subject` is the
/// concern or personal assistant it is about (none for a young person's
/// consent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GateException {
    pub id: GateExceptionId,
    pub child_id: ChildId,
    pub gate: Gate,
    pub subject: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateExceptionForm {
    pub gate: Option<String>,
    pub subject: Option<String>,
    pub reason: Option<String>,
}

impl GateExceptionForm {
    /// Checks the exception against the child's records: the subject must
    /// be one of the child's concerns or personal assistants.
    pub fn parse(&self, child_id: ChildId, records: &CaseRecords) -> Result<GateException, Invalid> {
        let mut inv = Invalid::default();
        let gate = inv.check("gate", Gate::parse(self.gate.as_deref().unwrap_or("")));
        let subject = self.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let known = match (gate, &subject) {
            (Some(Gate::Safeguarding), Some(s)) => records.concerns.iter().any(|c| c.id.to_string() == *s),
            (Some(Gate::PersonalAssistantDbs), Some(s)) => records.assistants.iter().any(|a| a.id.to_string() == *s),
            (Some(Gate::YoungPersonConsent), None) => true,
            (None, _) => true,
            _ => false,
        };
        if !known {
            inv.push(
                "subject",
                "name the child's concern or personal assistant this lifts (none for a young person's consent)",
            );
        }
        let reason = text(&mut inv, "reason", &self.reason, "say why the gate can be lifted");
        inv.finish(|| GateException {
            id: GateExceptionId::new(),
            child_id,
            gate: gate.expect("checked"),
            subject,
            reason,
        })
    }
}

/// One stored case record, of whichever kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseRecord {
    PersonalAssistant(PersonalAssistant),
    Concern(Concern),
    Risk(Risk),
    ReviewRequest(ReviewRequest),
    GateException(GateException),
}

impl CaseRecord {
    pub fn id(&self) -> String {
        match self {
            CaseRecord::PersonalAssistant(r) => r.id.to_string(),
            CaseRecord::Concern(r) => r.id.to_string(),
            CaseRecord::Risk(r) => r.id.to_string(),
            CaseRecord::ReviewRequest(r) => r.id.to_string(),
            CaseRecord::GateException(r) => r.id.to_string(),
        }
    }

    /// The child it belongs to; `None` for a risk on the area's register.
    pub fn child_id(&self) -> Option<ChildId> {
        match self {
            CaseRecord::PersonalAssistant(r) => Some(r.child_id),
            CaseRecord::Concern(r) => Some(r.child_id),
            CaseRecord::Risk(r) => r.child_id,
            CaseRecord::ReviewRequest(r) => Some(r.child_id),
            CaseRecord::GateException(r) => Some(r.child_id),
        }
    }

    /// The stable name of its kind.
    pub fn kind(&self) -> &'static str {
        match self {
            CaseRecord::PersonalAssistant(_) => "personal_assistant",
            CaseRecord::Concern(_) => "concern",
            CaseRecord::Risk(_) => "risk",
            CaseRecord::ReviewRequest(_) => "review_request",
            CaseRecord::GateException(_) => "gate_exception",
        }
    }
}

/// Everything a child's case keeps besides the plan and the pathway.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CaseRecords {
    pub assistants: Vec<PersonalAssistant>,
    pub concerns: Vec<Concern>,
    pub risks: Vec<Risk>,
    pub review_requests: Vec<ReviewRequest>,
    pub exceptions: Vec<GateException>,
}

impl CaseRecords {
    /// Sorts stored records into their kinds.
    pub fn from_records(records: impl IntoIterator<Item = CaseRecord>) -> CaseRecords {
        let mut c = CaseRecords::default();
        for r in records {
            match r {
                CaseRecord::PersonalAssistant(r) => c.assistants.push(r),
                CaseRecord::Concern(r) => c.concerns.push(r),
                CaseRecord::Risk(r) => c.risks.push(r),
                CaseRecord::ReviewRequest(r) => c.review_requests.push(r),
                CaseRecord::GateException(r) => c.exceptions.push(r),
            }
        }
        c
    }

    fn lifted(&self, gate: Gate, subject: Option<&str>) -> bool {
        self.exceptions.iter().any(|e| e.gate == gate && e.subject.as_deref() == subject)
    }

    /// Why items cannot be paid as planned, by item field, as of `today`
    /// for a child born on `date_of_birth`. Empty: nothing blocks them.
    pub fn blocked(
        &self,
        items: &[PlanItem],
        date_of_birth: Date,
        young_person_consented: bool,
        today: Date,
    ) -> Invalid {
        let mut inv = Invalid::default();
        let open_concern = self.concerns.iter().find(|c| {
            c.closed.is_none() && c.blocks_direct_payment && !self.lifted(Gate::Safeguarding, Some(&c.id.to_string()))
        });
        let age = age_on(date_of_birth, today);
        let needs_consent =
            matches!(age, Some(16 | 17)) && !young_person_consented && !self.lifted(Gate::YoungPersonConsent, None);
        for (i, PlanItem { item, .. }) in items.iter().enumerate() {
            if item.route == ManagementRoute::DirectPayment {
                if let Some(c) = open_concern {
                    inv.push(
                        &format!("items[{i}].route"),
                        format!(
                            "a direct payment cannot be chosen while the safeguarding concern raised on {} is open: a manager can lift this with reasons",
                            c.raised_on
                        ),
                    );
                }
                if needs_consent {
                    inv.push(
                        &format!("items[{i}].route"),
                        "the young person is 16 or 17 and has not consented to a direct payment: record their consent, or a manager can lift this with reasons",
                    );
                }
            }
            if let Some(pa) = item.personal_assistant {
                match self.assistants.iter().find(|a| a.id == pa) {
                    None => inv.push(&format!("items[{i}].personal_assistant"), "not one of this child's personal assistants"),
                    Some(a) if !a.dbs_current(today) && !self.lifted(Gate::PersonalAssistantDbs, Some(&pa.to_string())) => {
                        inv.push(
                            &format!("items[{i}].personal_assistant"),
                            format!(
                                "{}'s DBS check needed renewing by {}: record the new check, or a manager can record an exception with reasons",
                                a.name.as_str(),
                                a.renewal_due
                            ),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
        inv
    }

    /// The case's own deadlines: answers to review requests, DBS renewals
    /// and risk reviews.
    pub fn due(&self, today: Date) -> Vec<DueItem> {
        let mut due = Vec::new();
        for r in self.review_requests.iter().filter(|r| r.answer.is_none()) {
            due.push(DueItem::new(DueKind::ReviewRequestAnswer, r.answer_due, r.what_is_challenged.clone(), today));
        }
        for a in &self.assistants {
            due.push(DueItem::new(DueKind::DbsRenewal, a.renewal_due, a.name.as_str(), today));
        }
        for r in self.risks.iter().filter(|r| r.closed.is_none()) {
            due.push(DueItem::new(DueKind::RiskReview, r.review_on, r.description.clone(), today));
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Pence;
    use crate::pathway::plan::{Frequency, SupportItem};
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 22);

    fn dp_item(pa: Option<PersonalAssistantId>) -> PlanItem {
        PlanItem {
            key: "item-1".into(),
            item: SupportItem {
                what: "Personal assistant".into(),
                provided_by: "PA".into(),
                unit_cost: Pence::new(1_500),
                units_hundredths: 300,
                frequency: Frequency::Weekly,
                stream: "social_care".into(),
                route: ManagementRoute::DirectPayment,
                isf_holder: None,
                provider: None,
                personal_assistant: pa,
            },
        }
    }

    fn assistant(child: ChildId, issued: &str) -> PersonalAssistant {
        PersonalAssistantForm {
            name: Some("Jo Bloggs".into()),
            employed_by: Some("Mrs Okafor".into()),
            dbs_certificate: Some("0012 3456 7890".into()),
            dbs_issued_on: Some(issued.into()),
            ..Default::default()
        }
        .parse(child, TODAY)
        .unwrap()
    }

    #[test]
    fn a_dbs_check_lasts_three_years_by_default_and_is_due_on_the_renewal_date() {
        let child = ChildId::new();
        let a = assistant(child, "2023-11-22");
        assert_eq!(a.renewal_due, date(2026, 11, 22));
        assert!(!a.dbs_current(TODAY) && a.dbs_current(date(2026, 11, 21)));
        let leap = assistant(child, "2024-02-29");
        assert_eq!(leap.renewal_due, date(2027, 2, 28));
        let bad = PersonalAssistantForm {
            dbs_certificate: Some("12345".into()),
            renewal_due: Some("2020-01-01".into()),
            dbs_issued_on: Some("2021-01-01".into()),
            ..Default::default()
        };
        assert_eq!(
            bad.parse(child, TODAY).unwrap_err().fields(),
            ["name", "employed_by", "dbs_certificate", "renewal_due"]
        );
    }

    #[test]
    fn an_open_concern_blocks_a_direct_payment_until_closed_or_lifted() {
        let child = ChildId::new();
        let concern = ConcernForm {
            raised_on: Some("2026-10-01".into()),
            summary: Some("Concern".into()),
            blocks_direct_payment: Some(true),
        }
        .parse(child, TODAY)
        .unwrap();
        let mut records = CaseRecords { concerns: vec![concern.clone()], ..Default::default() };
        let born = date(2015, 1, 1);
        assert_eq!(records.blocked(&[dp_item(None)], born, false, TODAY).fields(), ["items[0].route"]);
        let lift = GateExceptionForm {
            gate: Some("safeguarding".into()),
            subject: Some(concern.id.to_string()),
            reason: Some("Agreed at strategy meeting".into()),
        };
        records.exceptions.push(lift.parse(child, &records).unwrap());
        assert!(records.blocked(&[dp_item(None)], born, false, TODAY).0.is_empty());
        let wrong = GateExceptionForm { subject: Some(ConcernId::new().to_string()), ..lift };
        assert_eq!(wrong.parse(child, &records).unwrap_err().fields(), ["subject"]);
        let non_blocking = Concern { blocks_direct_payment: false, ..concern };
        let records = CaseRecords { concerns: vec![non_blocking], ..Default::default() };
        assert!(records.blocked(&[dp_item(None)], born, false, TODAY).0.is_empty());
    }

    #[test]
    fn a_young_person_of_16_or_17_must_consent_to_a_direct_payment() {
        let records = CaseRecords::default();
        let items = [dp_item(None)];
        let sixteen_today = date(2010, 11, 22);
        assert_eq!(records.blocked(&items, sixteen_today, false, TODAY).fields(), ["items[0].route"]);
        assert!(records.blocked(&items, sixteen_today, true, TODAY).0.is_empty(), "consent recorded");
        assert!(records.blocked(&items, date(2010, 11, 23), false, TODAY).0.is_empty(), "still 15");
        assert!(records.blocked(&items, date(2008, 11, 22), false, TODAY).0.is_empty(), "18 today");
        assert!(records.blocked(&items, date(2008, 11, 23), false, TODAY).0.len() == 1, "17 until tomorrow");
    }

    #[test]
    fn paying_a_personal_assistant_needs_a_current_dbs_check_or_an_exception() {
        let child = ChildId::new();
        let pa = assistant(child, "2023-11-22");
        let mut records = CaseRecords { assistants: vec![pa.clone()], ..Default::default() };
        let born = date(2015, 1, 1);
        let e = records.blocked(&[dp_item(Some(pa.id))], born, false, TODAY);
        assert_eq!(e.fields(), ["items[0].personal_assistant"]);
        assert!(e.to_string().contains("2026-11-22"));
        assert_eq!(records.due(TODAY)[0].kind, DueKind::DbsRenewal);
        let exception = GateExceptionForm {
            gate: Some("personal_assistant_dbs".into()),
            subject: Some(pa.id.to_string()),
            reason: Some("Renewal applied for".into()),
        };
        records.exceptions.push(exception.parse(child, &records).unwrap());
        assert!(records.blocked(&[dp_item(Some(pa.id))], born, false, TODAY).0.is_empty());
        let stranger = records.blocked(&[dp_item(Some(PersonalAssistantId::new()))], born, false, TODAY);
        assert_eq!(stranger.fields(), ["items[0].personal_assistant"]);
    }

    #[test]
    fn stored_records_read_back_by_kind() {
        let child = ChildId::new();
        let record = CaseRecord::PersonalAssistant(assistant(child, "2025-01-01"));
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.starts_with(r#"{"kind":"personal_assistant""#), "{json}");
        assert_eq!(serde_json::from_str::<CaseRecord>(&json).unwrap(), record);
        assert_eq!(record.kind(), "personal_assistant");
        let bad = json.replace("Jo Bloggs", "");
        assert!(serde_json::from_str::<CaseRecord>(&bad).is_err(), "a blank name does not read back");
        assert_eq!(CaseRecords::from_records([record]).assistants.len(), 1);
    }

    #[test]
    fn a_review_request_is_answered_within_28_days_once_with_reasons() {
        let child = ChildId::new();
        let form = ReviewRequestForm {
            received_on: Some("2026-02-01".into()),
            plan_version: Some(2),
            what_is_challenged: Some("The amount for short breaks".into()),
        };
        let mut request = form.parse(child, TODAY).unwrap();
        assert_eq!(request.answer_due, date(2026, 3, 1));
        let records = CaseRecords { review_requests: vec![request.clone()], ..Default::default() };
        assert_eq!(records.due(TODAY)[0].urgency, crate::pathway::clocks::Urgency::Overdue);
        let early =
            ReviewAnswerForm { on: Some("2026-01-31".into()), outcome: Some("decision_stands".into()), reasons: None };
        assert_eq!(early.parse(&request, TODAY).unwrap_err().fields(), ["on", "reasons"]);
        let answer = ReviewAnswerForm {
            on: Some("2026-02-20".into()),
            outcome: Some("decision_changed".into()),
            reasons: Some("More hours agreed".into()),
        };
        request.answer = Some(answer.parse(&request, TODAY).unwrap());
        assert_eq!(answer.parse(&request, TODAY).unwrap_err().fields(), ["outcome"]);
    }
}
