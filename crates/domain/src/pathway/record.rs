//! A child's pathway record: dated events (a step moved, an EHC request
//! received, a draft sent, a review held…), from which the current step,
//! the statutory clock and every due date are worked out. The events are
//! the record; everything else is a pure function of them.

use crate::code_list;
use crate::dates::parse_date;
use crate::invalid::Invalid;
use crate::pathway::clocks::{self, EhcClock, Transitions, Urgency, urgency};
use crate::text::optional_text;
use jiff::civil::Date;

code_list!(
    /// The seven steps of the pathway.
    PathwayStep, "pathway step" {
        NeedIdentified = "need_identified", "Need identified";
        IndicativeBudget = "indicative_budget", "Indicative budget";
        SupportPlan = "support_plan", "Support plan";
        PlanAgreed = "plan_agreed", "Plan agreed";
        MoneyOrganised = "money_organised", "Money organised";
        LivingLife = "living_life", "Living life";
        Review = "review", "Review";
    }
);

code_list!(
    /// What happened on a child's pathway.
    EventKind, "event" {
        StepMoved = "step_moved", "Moved to a step of the pathway";
        EhcRequestReceived = "ehc_request_received", "Request for an EHC needs assessment received";
        DecidedToAssess = "decided_to_assess", "Decided to carry out an EHC needs assessment";
        DecidedNotToAssess = "decided_not_to_assess", "Decided not to carry out an EHC needs assessment";
        DraftPlanSent = "draft_plan_sent", "Draft EHC plan sent to the family";
        FinalPlanIssued = "final_plan_issued", "Final EHC plan issued";
        TwentyWeekException = "twenty_week_exception", "Exception to the 20-week limit";
        AnnualReviewHeld = "annual_review_held", "Annual review held";
        BudgetRequested = "budget_requested", "The family asked for a personal budget";
        BudgetNotWanted = "budget_not_wanted", "The family does not want a personal budget: the council arranges the support";
        FirstDirectPayment = "first_direct_payment", "First direct payment made";
        DirectPaymentReviewHeld = "direct_payment_review_held", "Direct payment review held";
        YoungPersonConsented = "young_person_consented", "The young person consented to a direct payment";
    }
);

impl EventKind {
    /// Events that must say why.
    fn needs_reason(self) -> bool {
        matches!(self, EventKind::DecidedNotToAssess | EventKind::TwentyWeekException)
    }
}

/// An event as a person sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventForm {
    pub kind: Option<String>,
    pub on: Option<String>,
    /// For `step_moved`: the step moved to.
    pub step: Option<String>,
    pub reason: Option<String>,
}

/// A checked event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathwayEvent {
    pub kind: EventKind,
    pub on: Date,
    pub step: Option<PathwayStep>,
    pub reason: Option<String>,
}

impl PathwayEvent {
    pub fn step_moved(step: PathwayStep, on: Date, reason: &str) -> PathwayEvent {
        PathwayEvent { kind: EventKind::StepMoved, on, step: Some(step), reason: Some(reason.to_owned()) }
    }
}

impl EventForm {
    /// Checks the event on its own and against the child's earlier events
    /// (a decision needs a request before it, a final plan a draft…);
    /// nothing may be dated after `today`.
    pub fn parse(&self, earlier: &[PathwayEvent], today: Date) -> Result<PathwayEvent, Invalid> {
        let mut inv = Invalid::default();
        let kind = inv.check("kind", EventKind::parse(self.kind.as_deref().unwrap_or("")));
        let on = inv.check("on", parse_date(self.on.as_deref().unwrap_or("")));
        let reason = inv.check("reason", optional_text(self.reason.as_deref(), 2_000)).flatten();
        let step = match (kind, self.step.as_deref()) {
            (Some(EventKind::StepMoved), s) => inv.check("step", PathwayStep::parse(s.unwrap_or(""))),
            (_, Some(s)) if !s.trim().is_empty() => {
                inv.push("step", "only a step_moved event names a step");
                None
            }
            _ => None,
        };
        if let Some(on) = on
            && on > today
        {
            inv.push("on", "cannot be in the future");
        }
        if let (Some(kind), None) = (kind, &reason)
            && kind.needs_reason()
        {
            inv.push("reason", "say why");
        }
        if let (Some(kind), Some(on)) = (kind, on) {
            let state = PathwayState::from_events(earlier);
            if let Err(message) = state.allows(kind, on) {
                inv.push("on", message);
            }
        }
        inv.finish(|| PathwayEvent { kind: kind.expect("checked"), on: on.expect("checked"), step, reason })
    }
}

/// Where a request for an EHC needs assessment has got to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EhcProgress {
    pub clock: EhcClock,
    /// When the decision whether to assess was made, and whether to assess.
    pub decided: Option<(Date, bool)>,
    pub draft_sent: Option<Date>,
    /// The last day of the family's comment period on the draft.
    pub comments_close: Option<Date>,
    pub final_issued: Option<Date>,
    pub exception: Option<String>,
}

impl EhcProgress {
    /// Whether the final plan was issued within 20 weeks (once issued).
    pub fn issued_in_time(&self) -> Option<bool> {
        self.final_issued.map(|d| self.clock.issued_in_time(d))
    }
}

/// Everything worked out from a child's events.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PathwayState {
    pub step: Option<PathwayStep>,
    /// The latest request for an assessment, and where it has got to.
    pub ehc: Option<EhcProgress>,
    /// Every final plan issued, earliest first: its clock, when, and
    /// whether an exception to the 20-week limit was recorded.
    pub finals_issued: Vec<(EhcClock, Date, bool)>,
    pub last_annual_review: Option<Date>,
    /// The family's answer about a personal budget: when, and whether they want one.
    pub budget_request: Option<(Date, bool)>,
    pub first_direct_payment: Option<Date>,
    pub last_direct_payment_review: Option<Date>,
    pub young_person_consented: Option<Date>,
}

impl PathwayState {
    /// Folds the events, in the order they were recorded.
    pub fn from_events(events: &[PathwayEvent]) -> PathwayState {
        let mut s = PathwayState::default();
        for e in events {
            match e.kind {
                EventKind::StepMoved => s.step = e.step,
                EventKind::EhcRequestReceived => {
                    s.ehc = Some(EhcProgress {
                        clock: EhcClock::from_request(e.on),
                        decided: None,
                        draft_sent: None,
                        comments_close: None,
                        final_issued: None,
                        exception: None,
                    })
                }
                EventKind::DecidedToAssess | EventKind::DecidedNotToAssess => {
                    if let Some(ehc) = &mut s.ehc {
                        ehc.decided = Some((e.on, e.kind == EventKind::DecidedToAssess));
                    }
                }
                EventKind::DraftPlanSent => {
                    if let Some(ehc) = &mut s.ehc {
                        ehc.draft_sent = Some(e.on);
                        ehc.comments_close = Some(clocks::comments_close(e.on));
                    }
                }
                EventKind::FinalPlanIssued => {
                    if let Some(ehc) = &mut s.ehc {
                        ehc.final_issued = Some(e.on);
                        s.finals_issued.push((ehc.clock, e.on, ehc.exception.is_some()));
                    }
                }
                EventKind::TwentyWeekException => {
                    if let Some(ehc) = &mut s.ehc {
                        ehc.exception = e.reason.clone();
                    }
                }
                EventKind::AnnualReviewHeld => s.last_annual_review = Some(e.on),
                EventKind::BudgetRequested => s.budget_request = Some((e.on, true)),
                EventKind::BudgetNotWanted => s.budget_request = Some((e.on, false)),
                EventKind::FirstDirectPayment => s.first_direct_payment = Some(e.on),
                EventKind::DirectPaymentReviewHeld => s.last_direct_payment_review = Some(e.on),
                EventKind::YoungPersonConsented => s.young_person_consented = Some(e.on),
            }
        }
        s
    }

    /// Whether `kind` on `on` follows from where the pathway is; the error
    /// says what is out of order.
    fn allows(&self, kind: EventKind, on: Date) -> Result<(), String> {
        let ehc = self.ehc.as_ref();
        let after = |earlier: Option<Date>, what: &str| match earlier {
            Some(d) if on < d => Err(format!("cannot be before the {what} ({d})")),
            _ => Ok(()),
        };
        match kind {
            EventKind::DecidedToAssess | EventKind::DecidedNotToAssess => match ehc {
                None => Err("record the request for an assessment first".into()),
                Some(e) if e.decided.is_some() => Err("the decision whether to assess is already recorded".into()),
                Some(e) => after(Some(e.clock.request_received), "request"),
            },
            EventKind::DraftPlanSent => match ehc {
                Some(EhcProgress { decided: Some((d, true)), final_issued: None, .. }) => {
                    after(Some(*d), "decision to assess")
                }
                Some(EhcProgress { final_issued: Some(_), .. }) => Err("the final plan is already issued".into()),
                _ => Err("a draft plan follows a decision to assess".into()),
            },
            EventKind::FinalPlanIssued => match ehc {
                Some(EhcProgress { draft_sent: Some(d), final_issued: None, .. }) => {
                    let earliest = clocks::earliest_final_after_draft(*d);
                    if on < earliest {
                        Err(format!(
                            "the family has until {} to comment on the draft: the earliest is {earliest}",
                            clocks::comments_close(*d)
                        ))
                    } else {
                        Ok(())
                    }
                }
                Some(EhcProgress { final_issued: Some(_), .. }) => Err("the final plan is already issued".into()),
                _ => Err("send the family the draft plan first".into()),
            },
            EventKind::TwentyWeekException => match ehc {
                Some(e) if e.decided.is_some_and(|(_, assess)| !assess) => {
                    Err("the council decided not to assess".into())
                }
                Some(e) => after(Some(e.clock.request_received), "request"),
                None => Err("record the request for an assessment first".into()),
            },
            EventKind::AnnualReviewHeld => match self.finals_issued.last() {
                None => Err("an annual review follows a final EHC plan".into()),
                Some((_, d, _)) => after(Some(*d), "final plan"),
            },
            EventKind::DirectPaymentReviewHeld => match self.first_direct_payment {
                None => Err("a direct payment review follows the first direct payment".into()),
                d => after(d, "first direct payment"),
            },
            EventKind::EhcRequestReceived => match ehc {
                Some(e) if e.final_issued.is_none() && e.decided.is_none_or(|(_, assess)| assess) => {
                    Err("a request is already open: finish it first".into())
                }
                Some(e) => after(Some(e.clock.request_received), "previous request"),
                None => Ok(()),
            },
            EventKind::StepMoved
            | EventKind::BudgetRequested
            | EventKind::BudgetNotWanted
            | EventKind::FirstDirectPayment
            | EventKind::YoungPersonConsented => Ok(()),
        }
    }

    /// A family that said it does not want a personal budget still gets the
    /// support, arranged by the council or the NHS: no direct payment or
    /// individual service fund until they ask for one.
    pub fn route_problems(&self, items: &[crate::pathway::content::PlanItem]) -> Invalid {
        use crate::pathway::plan::ManagementRoute;
        let mut inv = Invalid::default();
        if let Some((on, false)) = self.budget_request {
            for (i, item) in items.iter().enumerate() {
                if matches!(item.item.route, ManagementRoute::DirectPayment | ManagementRoute::Isf) {
                    inv.push(
                        &format!("items[{i}].route"),
                        format!("the family said on {on} that they do not want a personal budget: the council or the NHS arranges this support"),
                    );
                }
            }
        }
        inv
    }

    /// The pathway's deadlines still open: what is due, and by when.
    pub fn due(&self) -> Vec<(DueKind, Date)> {
        let mut due = Vec::new();
        if let Some(e) = &self.ehc {
            match e.decided {
                None => due.push((DueKind::DecisionToAssess, e.clock.decision_due)),
                Some((_, true)) if e.final_issued.is_none() => due.push((DueKind::FinalPlan, e.clock.final_plan_due)),
                _ => {}
            }
        }
        let reviewed_from = self.finals_issued.last().map(|(_, d, _)| *d).max(self.last_annual_review);
        if let Some(from) = reviewed_from {
            due.push((DueKind::AnnualReview, clocks::annual_review_due(from)));
        }
        if let Some(first) = self.first_direct_payment
            && self.last_direct_payment_review.is_none_or(|r| r < first)
        {
            due.push((DueKind::FirstDirectPaymentReview, clocks::first_dp_review_due(first)));
        }
        due
    }
}

code_list!(
    /// Something with a date by which it must be done.
    DueKind, "due item" {
        DecisionToAssess = "decision_to_assess", "Decide whether to carry out an EHC needs assessment";
        FinalPlan = "final_plan", "Issue the final EHC plan";
        AnnualReview = "annual_review", "Hold the annual review";
        FirstDirectPaymentReview = "first_direct_payment_review", "Review the direct payment (first review)";
        ReviewRequestAnswer = "review_request_answer", "Answer the family's request for a review";
        DbsRenewal = "dbs_renewal", "Renew a personal assistant's DBS check";
        RiskReview = "risk_review", "Review a risk";
    }
);

code_list!(
    /// Something coming up that people should plan for.
    FlagKind, "flag" {
        PreparingForAdulthood = "preparing_for_adulthood", "Preparing for adulthood: include it in every review";
        AdultServices = "adult_services", "Turns 18: move to adult services";
        PlanEnds = "plan_ends", "Turns 25: the EHC plan ends";
    }
);

/// The transition flags raised for a child born on `date_of_birth`, as of
/// `today`, each with the date it is about.
pub fn flags(date_of_birth: Date, today: Date) -> Vec<(FlagKind, Date)> {
    let t = Transitions::for_birth(date_of_birth);
    let mut flags = Vec::new();
    if today >= t.preparing_for_adulthood_from && today < t.plan_ends_on {
        flags.push((FlagKind::PreparingForAdulthood, t.preparing_for_adulthood_from));
    }
    if today >= t.adult_services_flag_from && today < t.adult_services_on {
        flags.push((FlagKind::AdultServices, t.adult_services_on));
    }
    if today >= t.plan_end_flag_from && today < t.plan_ends_on {
        flags.push((FlagKind::PlanEnds, t.plan_ends_on));
    }
    flags
}

/// One line of a worklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DueItem {
    pub kind: DueKind,
    pub due: Date,
    pub urgency: Urgency,
    /// What it is about, in words (the risk, the assistant's name…).
    pub about: String,
}

impl DueItem {
    pub fn new(kind: DueKind, due: Date, about: impl Into<String>, today: Date) -> DueItem {
        DueItem { kind, due, urgency: urgency(due, today), about: about.into() }
    }
}

/// Everything due on a child's case as of `today`: the pathway's
/// deadlines and the case records' (review answers, DBS renewals, risk
/// reviews), soonest first.
pub fn all_due(state: &PathwayState, records: &crate::pathway::casework::CaseRecords, today: Date) -> Vec<DueItem> {
    let mut due: Vec<DueItem> =
        state.due().into_iter().map(|(kind, date)| DueItem::new(kind, date, kind.label(), today)).collect();
    due.extend(records.due(today));
    due.sort_by_key(|d| (d.due, d.kind));
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn event(kind: &str, on: &str) -> EventForm {
        EventForm { kind: Some(kind.into()), on: Some(on.into()), ..Default::default() }
    }

    fn record(forms: &[EventForm], today: Date) -> Result<Vec<PathwayEvent>, Invalid> {
        let mut events = Vec::new();
        for f in forms {
            events.push(f.parse(&events, today)?);
        }
        Ok(events)
    }

    const TODAY: Date = date(2026, 11, 22);

    #[test]
    fn the_statutory_clock_runs_from_the_request_and_stops_at_the_final_plan() {
        let mut events = record(&[event("ehc_request_received", "2026-01-31")], TODAY).unwrap();
        let s = PathwayState::from_events(&events);
        assert_eq!(s.due(), [(DueKind::DecisionToAssess, date(2026, 3, 14))]);
        events.push(event("decided_to_assess", "2026-03-14").parse(&events, TODAY).unwrap());
        assert_eq!(PathwayState::from_events(&events).due(), [(DueKind::FinalPlan, date(2026, 6, 20))]);
        events.push(event("draft_plan_sent", "2026-05-01").parse(&events, TODAY).unwrap());
        let too_soon = event("final_plan_issued", "2026-05-16").parse(&events, TODAY).unwrap_err();
        assert!(too_soon.to_string().contains("until 2026-05-16"), "{too_soon}");
        events.push(event("final_plan_issued", "2026-05-17").parse(&events, TODAY).unwrap());
        let s = PathwayState::from_events(&events);
        assert_eq!(s.ehc.as_ref().unwrap().issued_in_time(), Some(true));
        assert_eq!(s.due(), [(DueKind::AnnualReview, date(2027, 5, 17))]);
    }

    #[test]
    fn events_out_of_order_or_in_the_future_are_refused_by_field() {
        let e = event("decided_to_assess", "2026-03-01").parse(&[], TODAY).unwrap_err();
        assert_eq!(e.fields(), ["on"]);
        assert!(e.to_string().contains("request for an assessment first"));
        let events = record(&[event("ehc_request_received", "2026-03-01")], TODAY).unwrap();
        assert!(event("decided_to_assess", "2026-02-28").parse(&events, TODAY).is_err(), "before the request");
        assert_eq!(event("ehc_request_received", "2026-11-23").parse(&[], TODAY).unwrap_err().fields(), ["on"]);
        assert_eq!(
            event("decided_not_to_assess", "2026-03-02").parse(&events, TODAY).unwrap_err().fields(),
            ["reason"]
        );
        assert!(
            event("ehc_request_received", "2026-03-05").parse(&events, TODAY).is_err(),
            "one open request at a time"
        );
        let e = EventForm { step: Some("review".into()), ..event("annual_review_held", "2026-03-01") }
            .parse(&events, TODAY);
        assert_eq!(e.unwrap_err().fields(), ["step", "on"]);
        assert_eq!(event("step_moved", "2026-03-01").parse(&events, TODAY).unwrap_err().fields(), ["step"]);
    }

    #[test]
    fn a_decision_not_to_assess_stops_the_clock() {
        let mut events = record(&[event("ehc_request_received", "2026-03-01")], TODAY).unwrap();
        let no = EventForm {
            reason: Some("Needs met at SEN support".into()),
            ..event("decided_not_to_assess", "2026-04-01")
        };
        events.push(no.parse(&events, TODAY).unwrap());
        assert!(PathwayState::from_events(&events).due().is_empty());
        assert!(event("ehc_request_received", "2026-06-01").parse(&events, TODAY).is_ok(), "the family may ask again");
    }

    #[test]
    fn annual_reviews_run_from_the_latest_final_plan_or_review_and_the_first_dp_review_from_the_first_payment() {
        let events = record(
            &[
                event("ehc_request_received", "2025-01-06"),
                event("decided_to_assess", "2025-02-10"),
                event("draft_plan_sent", "2025-04-01"),
                event("final_plan_issued", "2025-04-30"),
                event("annual_review_held", "2026-02-28"),
                event("first_direct_payment", "2025-11-30"),
            ],
            TODAY,
        )
        .unwrap();
        let s = PathwayState::from_events(&events);
        assert_eq!(
            s.due(),
            [(DueKind::AnnualReview, date(2027, 2, 28)), (DueKind::FirstDirectPaymentReview, date(2026, 2, 28))]
        );
        let mut reviewed = events.clone();
        reviewed.push(event("direct_payment_review_held", "2026-02-20").parse(&events, TODAY).unwrap());
        assert_eq!(PathwayState::from_events(&reviewed).due().len(), 1);
        assert!(event("direct_payment_review_held", "2025-11-29").parse(&events, TODAY).is_err());
    }

    #[test]
    fn transitions_are_flagged_from_the_right_day_and_no_longer_after() {
        let born = date(2008, 12, 1);
        assert_eq!(flags(born, date(2022, 8, 31)), []);
        assert_eq!(flags(born, date(2022, 9, 1)), [(FlagKind::PreparingForAdulthood, date(2022, 9, 1))]);
        assert_eq!(flags(born, date(2025, 12, 1)).len(), 2, "a year before 18");
        assert_eq!(flags(born, date(2026, 12, 1)).len(), 1, "18 today: moved");
        assert_eq!(flags(born, date(2032, 12, 1)).len(), 2, "a year before 25");
        assert_eq!(flags(born, date(2033, 12, 1)), [], "the plan has ended");
    }

    #[test]
    fn a_family_that_wants_no_personal_budget_gets_council_arranged_support() {
        use crate::pathway::content::PlanItem;
        use crate::pathway::plan::{Frequency, ManagementRoute, SupportItem};
        let item = |route| PlanItem {
            key: "item-1".into(),
            item: SupportItem {
                what: "Short breaks".into(),
                provided_by: "Bright Days".into(),
                unit_cost: crate::money::Pence::new(100),
                units_hundredths: 100,
                frequency: Frequency::Weekly,
                stream: "social_care".into(),
                route,
                isf_holder: None,
                provider: None,
                personal_assistant: None,
            },
        };
        let items = [item(ManagementRoute::CouncilManaged), item(ManagementRoute::DirectPayment)];
        let declined = record(&[event("budget_not_wanted", "2026-10-01")], TODAY).unwrap();
        assert_eq!(PathwayState::from_events(&declined).route_problems(&items).fields(), ["items[1].route"]);
        let mut asked = declined.clone();
        asked.push(event("budget_requested", "2026-11-01").parse(&declined, TODAY).unwrap());
        assert!(PathwayState::from_events(&asked).route_problems(&items).0.is_empty(), "they changed their mind");
        assert!(PathwayState::default().route_problems(&items).0.is_empty());
    }

    #[test]
    fn stored_events_read_back_and_the_latest_step_is_current() {
        let e = PathwayEvent::step_moved(PathwayStep::SupportPlan, TODAY, "Plan started");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<PathwayEvent>(&json).unwrap(), e);
        let s = PathwayState::from_events(&[PathwayEvent::step_moved(PathwayStep::IndicativeBudget, TODAY, "x"), e]);
        assert_eq!(s.step, Some(PathwayStep::SupportPlan));
    }
}
