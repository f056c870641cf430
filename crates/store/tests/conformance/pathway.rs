//! The pathway's storage: delegation versions, events guarded by their
//! count, plan versions frozen on submission, decisions, case records.

use super::{area_with_staff, child, stamp};
use allot_domain::Pence;
use allot_domain::access::Role;
use allot_domain::ids::UserId;
use allot_domain::pathway::casework::{CaseRecord, ConcernForm, RiskForm};
use allot_domain::pathway::content::{OutcomeForm, PlanForm};
use allot_domain::pathway::delegation::DelegationPolicy;
use allot_domain::pathway::plan::SupportItemForm;
use allot_domain::pathway::record::{EventForm, PathwayState, PathwayStep};
use allot_domain::pathway::signoff::{Decider, DecisionForm, PlanStatus, Submission};
use allot_store::testing::TestDatabase;
use allot_store::{Store, StoreError, on_both_engines};
use jiff::civil::date;

on_both_engines!(
    delegation_policies_are_numbered_per_area_and_kept_exactly,
    pathway_events_are_appended_in_order_and_a_stale_writer_is_refused,
    a_plan_is_edited_as_a_draft_frozen_on_submission_and_agreed_by_decisions,
    case_records_are_updated_only_from_the_version_read_and_never_across_areas,
);

const POLICY: &str = "[[limit]]\nrole = \"team_manager\"\nmax_annual_amount = \"5000.00\"\n\
    [[limit]]\nrole = \"head_of_service\"\n[nhs]\nrole = \"nhs_budget_lead\"\n";

async fn delegation_policies_are_numbered_per_area_and_kept_exactly(db: TestDatabase) {
    let store = db.store().await;
    let (a, _, _) = area_with_staff(&store, "E06000001").await;
    let (b, _, _) = area_with_staff(&store, "E06000002").await;
    let policy = DelegationPolicy::parse(POLICY).unwrap();
    assert_eq!(store.publish_delegation(a, &policy, POLICY, &stamp("commissioner")).await.unwrap().version, 1);
    assert_eq!(store.publish_delegation(a, &policy, POLICY, &stamp("commissioner")).await.unwrap().version, 2);
    assert_eq!(store.publish_delegation(b, &policy, POLICY, &stamp("commissioner")).await.unwrap().version, 1);
    let kept = store.delegation_policies(a).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[1].content, POLICY);
    assert_eq!(kept[1].policy, policy);
}

async fn pathway_events_are_appended_in_order_and_a_stale_writer_is_refused(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, _) = area_with_staff(&store, "E06000001").await;
    let c = store.create_child(area, &child("A-1", "Ada", "Ng", "2012-05-01"), &stamp("asha")).await.unwrap().id;
    let today = date(2026, 11, 22);
    let request =
        EventForm { kind: Some("ehc_request_received".into()), on: Some("2026-09-01".into()), ..Default::default() }
            .parse(&[], today)
            .unwrap();
    store.record_pathway_event(area, c, 0, &request, &stamp("asha")).await.unwrap();
    let again = store.record_pathway_event(area, c, 0, &request, &stamp("ben")).await.unwrap_err();
    assert!(matches!(again, StoreError::VersionConflict { expected: 0, current: 1 }), "{again:?}");
    let events: Vec<_> = store.pathway_events(area, Some(c)).await.unwrap().into_iter().map(|e| e.event).collect();
    assert_eq!(events, [request]);
    let state = PathwayState::from_events(&events);
    assert_eq!(state.ehc.unwrap().clock.final_plan_due, date(2027, 1, 19));
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(matches!(
        store.record_pathway_event(other, c, 1, &events[0], &stamp("x")).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.pathway_events(other, None).await.unwrap().is_empty());
}

pub(crate) fn plan(cost: &str) -> PlanForm {
    PlanForm {
        outcomes: vec![OutcomeForm {
            area: Some("friends_and_community".into()),
            wanted: Some("Swim with friends".into()),
            how_we_will_know: Some("Goes every week".into()),
        }],
        items: vec![SupportItemForm {
            what: Some("Swimming club".into()),
            provided_by: Some("Leisure centre".into()),
            unit_cost: Some(cost.into()),
            units: Some("1".into()),
            frequency: Some("weekly".into()),
            stream: Some("social_care".into()),
            route: Some("direct_payment".into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn a_plan_is_edited_as_a_draft_frozen_on_submission_and_agreed_by_decisions(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, _) = area_with_staff(&store, "E06000001").await;
    let c = store.create_child(area, &child("A-1", "Ada", "Ng", "2012-05-01"), &stamp("asha")).await.unwrap().id;
    let streams = vec!["social_care".to_owned()];
    let (asha, tm, mum) = (UserId::new(), UserId::new(), UserId::new());
    let first = plan("10.00").parse(&[], &streams).unwrap();
    assert!(matches!(
        store.save_plan_draft(area, c, Some((1, 1)), &first, asha, &stamp("asha")).await,
        Err(StoreError::VersionConflict { .. })
    ));
    let v1 = store.save_plan_draft(area, c, None, &first, asha, &stamp("asha")).await.unwrap();
    assert_eq!((v1.version, v1.row_version, v1.status), (1, 1, PlanStatus::Draft));
    let edited = plan("12.50").parse(&v1.content.keys(), &streams).unwrap();
    let v1 = store.save_plan_draft(area, c, Some((1, 1)), &edited, asha, &stamp("asha")).await.unwrap();
    assert_eq!((v1.version, v1.row_version), (1, 2), "a draft is edited in place");
    assert_eq!(v1.content.totals().total, Pence::new(65_000));
    let stale = store.save_plan_draft(area, c, Some((1, 1)), &first, asha, &stamp("ben")).await.unwrap_err();
    assert!(matches!(stale, StoreError::VersionConflict { expected: 1, current: 2 }), "{stale:?}");
    let policy = DelegationPolicy::parse(POLICY).unwrap();
    let submission = Submission {
        by: asha,
        at: jiff::Timestamp::now(),
        delegation_version: 1,
        required: policy.approvers(Pence::new(65_000), Pence::ZERO),
        council_total: Pence::new(65_000),
        health_total: Pence::ZERO,
        indicative: [("social_care".to_owned(), Pence::new(70_000))].into(),
    };
    let v1 = store.submit_plan(area, c, (1, 2), &submission, &stamp("asha")).await.unwrap();
    assert_eq!(v1.status, PlanStatus::Submitted);
    assert_eq!(v1.submission.as_ref().unwrap().indicative["social_care"], Pence::new(70_000));
    let decide = |who: UserId, role: Role, decision: &str| {
        let form = DecisionForm { version: Some(1), decision: Some(decision.into()), ..Default::default() };
        (form, Decider { user: who, name: role.label().into(), role })
    };
    let (form, by) = decide(tm, Role::TeamManager, "approve");
    let (d, status) = v1.decide(&form, &policy, &by, jiff::Timestamp::now()).unwrap();
    let v1 = store.decide_plan(area, c, (1, v1.row_version), &d, status, &stamp("tm")).await.unwrap();
    assert_eq!((v1.status, v1.decisions.len()), (PlanStatus::Approved, 1));
    let (form, by) = decide(mum, Role::ParentCarer, "co_sign");
    let (d, status) = v1.decide(&form, &policy, &by, jiff::Timestamp::now()).unwrap();
    let v1 = store.decide_plan(area, c, (1, v1.row_version), &d, status, &stamp("mum")).await.unwrap();
    assert_eq!(v1.status, PlanStatus::Agreed);
    assert_eq!(v1.signoff().unwrap().approvals, [(Role::TeamManager, tm)]);
    // A change now makes version 2; version 1 stays as it was.
    let v2 = store.save_plan_draft(area, c, Some((1, v1.row_version)), &edited, asha, &stamp("asha")).await.unwrap();
    assert_eq!((v2.version, v2.status), (2, PlanStatus::Draft));
    let all = store.plan_versions(area, Some(c)).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], v1);
    // The pathway moved on by itself: support plan, then plan agreed.
    let steps: Vec<_> =
        store.pathway_events(area, Some(c)).await.unwrap().into_iter().filter_map(|e| e.event.step).collect();
    assert_eq!(steps, [PathwayStep::SupportPlan, PathwayStep::PlanAgreed]);
    let history = store.child_changes(area, c).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|c| c.action.as_str()).collect();
    for action in ["save_draft", "submit", "approve", "co_sign", "step_moved"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
}

async fn case_records_are_updated_only_from_the_version_read_and_never_across_areas(db: TestDatabase) {
    let store = db.store().await;
    let (area, _, _) = area_with_staff(&store, "E06000001").await;
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    let c = store.create_child(area, &child("A-1", "Ada", "Ng", "2012-05-01"), &stamp("asha")).await.unwrap().id;
    let today = date(2026, 11, 22);
    let concern = ConcernForm {
        raised_on: Some("2026-11-01".into()),
        summary: Some("Bruising".into()),
        blocks_direct_payment: Some(true),
    }
    .parse(c, today)
    .unwrap();
    let record = CaseRecord::Concern(concern.clone());
    let saved = store.save_case_record(area, &record, None, None, &stamp("asha")).await.unwrap();
    assert_eq!(saved.row_version, 1);
    assert!(matches!(
        store.save_case_record(area, &record, None, None, &stamp("asha")).await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(matches!(store.save_case_record(other, &record, None, None, &stamp("x")).await, Err(StoreError::NotFound)));
    let mut closed = concern.clone();
    closed.closed = Some(allot_domain::pathway::casework::Closure { on: today, reason: "Explained by sport".into() });
    let saved = store
        .save_case_record(area, &CaseRecord::Concern(closed.clone()), Some(1), Some("Explained by sport"), &stamp("tm"))
        .await
        .unwrap();
    assert_eq!(saved.row_version, 2);
    let stale = store.save_case_record(area, &CaseRecord::Concern(concern), Some(1), None, &stamp("ben")).await;
    assert!(matches!(stale, Err(StoreError::VersionConflict { expected: 1, current: 2 })));
    let area_risk = RiskForm {
        description: Some("Provider market".into()),
        owner: Some("Head of service".into()),
        review_on: Some("2027-01-01".into()),
    }
    .parse(None)
    .unwrap();
    store.save_case_record(area, &CaseRecord::Risk(area_risk), None, None, &stamp("hos")).await.unwrap();
    assert_eq!(store.case_records(area, Some(c)).await.unwrap().len(), 1);
    assert_eq!(store.case_records(area, None).await.unwrap().len(), 2);
    assert!(store.case_records(other, None).await.unwrap().is_empty());
    assert_eq!(store.case_records(area, Some(c)).await.unwrap()[0].record, CaseRecord::Concern(closed));
}
