//! Money's storage: budgets set up when a plan is agreed, reserved
//! instalments, payment runs that pay nothing twice (even two at once),
//! bank details that need a second person, and a ledger that balances.

use super::{area_with_staff, child, pathway::plan, stamp};
use allot_domain::access::Role;
use allot_domain::finance::bank::{BankChangeStatus, BankDetailsForm};
use allot_domain::finance::dp_audit::{AuditEvent, AuditStep};
use allot_domain::finance::ledger::{AccountKey, Applied, Phase, Transfer, TransferError, TransferKind};
use allot_domain::finance::monitoring::AlertKind;
use allot_domain::finance::receipt::{ReceiptFile, ReceiptForm, ReceiptKind};
use allot_domain::finance::run::RunStatus;
use allot_domain::finance::spend::{Columns, LearnedField, SpendRecord, StatementFormat};
use allot_domain::ids::{TransferId, UserId};
use allot_domain::invalid::LineError;
use allot_domain::pathway::delegation::DelegationPolicy;
use allot_domain::pathway::plan::ManagementRoute;
use allot_domain::pathway::record::{EventKind, PathwayStep};
use allot_domain::pathway::signoff::{Decider, DecisionForm, PlanStatus, Submission};
use allot_domain::{AreaId, ChildId, FinancialYear, Pence};
use allot_store::testing::TestDatabase;
use allot_store::{
    DpAudit, SPEND_BATCH_LINES, SpendChunk, SpendImported, SpendLineRef, SqlStore, Store, StoreError,
    import_statement as import_statement_file, on_both_engines,
};
use jiff::civil::date;

on_both_engines!(
    an_agreed_plan_sets_up_its_budget_and_a_run_pays_each_instalment_once,
    two_payment_runs_at_once_pay_nothing_twice,
    a_budget_is_not_overdrawn_without_an_approved_overspend,
    bank_details_change_only_when_a_second_person_confirms,
    spend_is_imported_once_matched_to_items_and_counted_in_the_childs_money,
    spend_recorded_before_accounts_were_numbered_is_kept_and_still_recognised,
    a_statement_of_many_batches_is_counted_exactly,
    a_direct_payment_is_watched_and_money_is_recovered_only_after_a_notice,
    a_receipt_is_kept_byte_for_byte_and_only_for_its_child,
);

const SETTINGS: &str = include_str!("../../../../policies/example-finance.toml");
const POLICY: &str = "[[limit]]\nrole = \"team_manager\"\nmax_annual_amount = \"5000.00\"\n\
    [[limit]]\nrole = \"head_of_service\"\n[nhs]\nrole = \"nhs_budget_lead\"\n";

/// An area with a child whose plan (£12.50 a week by direct payment, £650
/// a year) was agreed on 1 October 2026.
async fn agreed_child(store: &SqlStore, code: &str) -> (AreaId, ChildId) {
    let (area, _, _) = area_with_staff(store, code).await;
    let c = store.create_child(area, &child("A-1", "Ada", "Ng", "2012-05-01"), &stamp("asha")).await.unwrap().id;
    store.publish_finance_settings(area, SETTINGS, &stamp("finance")).await.unwrap();
    let streams = vec!["social_care".to_owned()];
    let asha = UserId::new();
    let v1 = store
        .save_plan_draft(area, c, None, &plan("12.50").parse(&[], &streams).unwrap(), asha, &stamp("asha"))
        .await
        .unwrap();
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
    let mut v1 = store.submit_plan(area, c, (1, v1.row_version), &submission, &stamp("asha")).await.unwrap();
    let first_october: jiff::Timestamp = "2026-10-01T10:00:00Z".parse().unwrap();
    for (role, decision) in [(Role::TeamManager, "approve"), (Role::ParentCarer, "co_sign")] {
        let form = DecisionForm { version: Some(1), decision: Some(decision.into()), ..Default::default() };
        let by = Decider { user: UserId::new(), name: role.label().into(), role };
        let (d, status) = v1.decide(&form, &policy, &by, first_october).unwrap();
        v1 = store.decide_plan(area, c, (1, v1.row_version), &d, status, &stamp(role.code())).await.unwrap();
    }
    assert_eq!(v1.status, PlanStatus::Agreed);
    (area, c)
}

fn budget(child: ChildId) -> AccountKey {
    AccountKey::Budget {
        child,
        stream: "social_care".into(),
        route: ManagementRoute::DirectPayment,
        year: FinancialYear::starting(2026),
    }
}

async fn confirmed_bank_details(store: &SqlStore, area: AreaId, child: ChildId) {
    let details = BankDetailsForm {
        sort_code: Some("11-22-33".into()),
        account_number: Some("12345678".into()),
        account_name: Some("Mrs N Ng".into()),
    }
    .parse()
    .unwrap();
    let account = AccountKey::DirectPayment { child };
    let proposed = store
        .propose_bank_details(area, &account, &details, "Direct payment agreement signed", &stamp("asha"))
        .await
        .unwrap();
    store.decide_bank_details(area, &account, proposed.seq, true, &stamp("finance")).await.unwrap();
}

async fn an_agreed_plan_sets_up_its_budget_and_a_run_pays_each_instalment_once(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    // £650 × 182 days (1 October to 31 March) / 365 = £324.1096 → £324.11,
    // in 7 four-weekly instalments: £46.31 first, then £46.30.
    let accounts = store.ledger_accounts(area, Some(c)).await.unwrap();
    let (_, b) = accounts.iter().find(|(k, _)| *k == budget(c)).unwrap();
    assert_eq!(b.credits_posted, Pence::new(32_411));
    assert_eq!(b.debits_pending, Pence::new(32_411), "the year's instalments are reserved");
    let transfers = store.transfers(area, Some(c)).await.unwrap();
    let instalments: Vec<(jiff::civil::Date, Pence)> = transfers
        .iter()
        .filter(|t| t.transfer.phase == Phase::Pending)
        .map(|t| (t.transfer.on, t.transfer.amount))
        .collect();
    assert_eq!(instalments.len(), 7);
    assert_eq!(instalments[0], (date(2026, 10, 1), Pence::new(4_631)));
    assert_eq!(instalments[6], (date(2027, 3, 18), Pence::new(4_630)));
    assert_eq!(transfers[0].recorded_by.as_str(), "parent_carer", "who agreed it set it up");

    // No bank details yet: nothing is paid, and the run says why.
    let none = store.prepare_payment_run(area, date(2026, 11, 1), &stamp("finance")).await.unwrap();
    assert!(none.run.is_none());
    assert_eq!(none.held.len(), 2);
    assert_eq!(none.held[0].reason, "there are no confirmed bank details for the payee");

    confirmed_bank_details(&store, area, c).await;
    let outcome = store.prepare_payment_run(area, date(2026, 11, 1), &stamp("finance")).await.unwrap();
    let run = outcome.run.unwrap();
    assert_eq!((run.number, run.payments, run.total, run.status), (1, 2, Pence::new(9_261), RunStatus::Prepared));
    let lines: Vec<&str> = run.bacs.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(&lines[1][0..14], "11223312345678");
    assert_eq!(&lines[1][35..46], "00000009261", "one credit for both instalments");
    assert_eq!(lines[1][64..82].trim_end(), "DP A-1");
    assert_eq!(&lines[2][15..17], "17");
    assert_eq!(run.journal.lines().count(), 3);

    // Asking again pays nothing twice.
    let again = store.prepare_payment_run(area, date(2026, 11, 1), &stamp("finance")).await.unwrap();
    assert!(again.run.is_none() && again.held.is_empty(), "{again:?}");

    // Nothing has moved until the run is released.
    let family = AccountKey::DirectPayment { child: c };
    let paid = |accounts: Vec<(AccountKey, allot_domain::finance::ledger::Balances)>| {
        accounts.into_iter().find(|(k, _)| *k == family).map(|(_, b)| b.posted_net()).unwrap_or_default()
    };
    assert_eq!(paid(store.ledger_accounts(area, Some(c)).await.unwrap()), Pence::ZERO);
    let released = store.release_payment_run(area, run.id, &stamp("finance2")).await.unwrap();
    assert_eq!((released.status, released.decided_by.unwrap().as_str()), (RunStatus::Released, "finance2"));
    assert_eq!(paid(store.ledger_accounts(area, Some(c)).await.unwrap()), Pence::new(9_261));
    let twice = store.release_payment_run(area, run.id, &stamp("finance2")).await.unwrap_err();
    assert!(matches!(twice, StoreError::Refused(_)), "{twice:?}");
    // The first direct payment is on the pathway, dated the processing
    // day (the first review runs from it), and the child has moved on.
    let first_payments = || async {
        let events = store.pathway_events(area, Some(c)).await.unwrap();
        let firsts: Vec<_> =
            events.iter().filter(|e| e.event.kind == EventKind::FirstDirectPayment).map(|e| e.event.on).collect();
        let step = events.iter().rev().find_map(|e| e.event.step);
        (firsts, step)
    };
    assert_eq!(first_payments().await, (vec![date(2026, 11, 1)], Some(PathwayStep::LivingLife)));

    // A cancelled run lets its instalments go to the next one.
    let december = store.prepare_payment_run(area, date(2026, 12, 1), &stamp("finance")).await.unwrap().run.unwrap();
    assert_eq!(december.total, Pence::new(4_630));
    store.cancel_payment_run(area, december.id, "Wrong processing day", &stamp("finance")).await.unwrap();
    let retried = store.prepare_payment_run(area, date(2026, 12, 1), &stamp("finance")).await.unwrap().run.unwrap();
    assert_eq!((retried.number, retried.total), (3, Pence::new(4_630)));
    store.release_payment_run(area, retried.id, &stamp("finance2")).await.unwrap();
    assert_eq!(first_payments().await.0, vec![date(2026, 11, 1)], "the first payment is recorded once");

    assert_eq!(store.verify_ledger(area).await.unwrap(), Vec::<String>::new());
    assert!(store.verify().await.unwrap().is_empty());
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(store.transfers(other, Some(c)).await.unwrap().is_empty());
    assert!(matches!(store.release_payment_run(other, run.id, &stamp("x")).await, Err(StoreError::NotFound)));
}

async fn two_payment_runs_at_once_pay_nothing_twice(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    confirmed_bank_details(&store, area, c).await;
    let day = date(2027, 1, 31);
    let (one, two) = (stamp("finance1"), stamp("finance2"));
    let (a, b) = tokio::join!(store.prepare_payment_run(area, day, &one), store.prepare_payment_run(area, day, &two));
    let runs: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().filter_map(|o| o.run).collect();
    assert_eq!(runs.len(), 1, "one run pays; the other finds nothing due");
    assert_eq!(runs[0].payments, 5, "1 Oct, 29 Oct, 26 Nov, 24 Dec, 21 Jan");
    for run in &runs {
        store.release_payment_run(area, run.id, &stamp("finance1")).await.unwrap();
    }
    let family = AccountKey::DirectPayment { child: c };
    let accounts = store.ledger_accounts(area, Some(c)).await.unwrap();
    let paid = accounts.iter().find(|(k, _)| *k == family).unwrap().1.posted_net();
    assert_eq!(paid, Pence::new(4_631 + 4 * 4_630));
    assert!(store.verify_ledger(area).await.unwrap().is_empty());
}

async fn a_budget_is_not_overdrawn_without_an_approved_overspend(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    let extra = Transfer {
        id: TransferId::new(),
        debit: budget(c),
        credit: AccountKey::DirectPayment { child: c },
        amount: Pence::new(5_000),
        kind: TransferKind::Payment,
        phase: Phase::Posted,
        item: None,
        on: date(2026, 11, 2),
        reference: "Emergency respite".into(),
    };
    let refused = store.record_transfer(area, &extra, &stamp("finance")).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::Ledger(TransferError::WouldOverdraw { available, .. }) if available == Pence::ZERO),
        "{refused:?}"
    );
    let overspend = Transfer {
        id: TransferId::new(),
        debit: AccountKey::Funding { stream: "social_care".into(), year: FinancialYear::starting(2026) },
        credit: budget(c),
        kind: TransferKind::Overspend,
        reference: "Approved: respite after a hospital stay".into(),
        ..extra.clone()
    };
    assert_eq!(store.record_transfer(area, &overspend, &stamp("manager")).await.unwrap(), Applied::Created);
    assert_eq!(store.record_transfer(area, &extra, &stamp("finance")).await.unwrap(), Applied::Created);
    assert_eq!(store.record_transfer(area, &extra, &stamp("finance")).await.unwrap(), Applied::AlreadyExists);
    let changed = Transfer { amount: Pence::new(5_001), ..extra };
    assert!(matches!(
        store.record_transfer(area, &changed, &stamp("finance")).await,
        Err(StoreError::Ledger(TransferError::ExistsWithDifferentFields))
    ));
    let history = store.child_changes(area, c).await.unwrap();
    let recorded: Vec<&str> = history.iter().filter(|h| h.entity == "transfer").map(|h| h.action.as_str()).collect();
    assert_eq!(recorded, ["record", "record"], "each money decision is in the child's history");
    assert!(store.verify_ledger(area).await.unwrap().is_empty());
}

async fn bank_details_change_only_when_a_second_person_confirms(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    let account = AccountKey::DirectPayment { child: c };
    let form = |account: &str| BankDetailsForm {
        sort_code: Some("11-22-33".into()),
        account_number: Some(account.into()),
        account_name: Some("Mrs N Ng".into()),
    };
    let first = form("12345678").parse().unwrap();
    let p = store.propose_bank_details(area, &account, &first, "New agreement", &stamp("asha")).await.unwrap();
    assert_eq!(p.status, BankChangeStatus::Proposed);
    let own = store.decide_bank_details(area, &account, p.seq, true, &stamp("asha")).await.unwrap_err();
    assert!(matches!(&own, StoreError::Refused(m) if m.contains("second person")), "{own:?}");
    store.decide_bank_details(area, &account, p.seq, true, &stamp("finance")).await.unwrap();
    let second = form("87654321").parse().unwrap();
    let p2 =
        store.propose_bank_details(area, &account, &second, "Family changed bank", &stamp("finance")).await.unwrap();
    let kept = store.bank_details(area, Some(&account)).await.unwrap();
    assert_eq!(kept[0].1.status, BankChangeStatus::Current, "the old details stay current until confirmed");
    store.decide_bank_details(area, &account, p2.seq, true, &stamp("asha")).await.unwrap();
    let kept = store.bank_details(area, None).await.unwrap();
    assert!(kept.iter().all(|(a, _)| *a == account), "the area's only payee");
    let statuses: Vec<_> = kept.iter().map(|(_, k)| (k.status, k.details.account_number.digits().to_owned())).collect();
    assert_eq!(
        statuses,
        [(BankChangeStatus::Replaced, "12345678".to_owned()), (BankChangeStatus::Current, "87654321".to_owned())]
    );
    assert!(store.decide_bank_details(area, &account, p2.seq, false, &stamp("ben")).await.is_err(), "decided once");
    // The audit trail never holds a full account number.
    let history = store.child_changes(area, c).await.unwrap();
    let text = serde_json::to_string(&history.iter().map(|h| h.detail.clone()).collect::<Vec<_>>()).unwrap();
    assert!(!text.contains("87654321") && text.contains("******21"), "{text}");
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(matches!(
        store.propose_bank_details(other, &account, &first, "x", &stamp("x")).await,
        Err(StoreError::NotFound)
    ));
}

const STATEMENT_HEADER: &str = "account,date,amount,description,merchant,transaction_id";

/// Sends `lines` (of the generic format, from line 2) to an import, as the
/// command line does, and ends it with `problems`.
async fn import_statement(
    store: &SqlStore,
    area: AreaId,
    lines: &[&str],
    problems: Vec<LineError>,
) -> Result<SpendImported, StoreError> {
    let header: Vec<&str> = STATEMENT_HEADER.split(',').collect();
    let columns = Columns::from_header(StatementFormat::Generic, &header).unwrap();
    let records = lines
        .iter()
        .zip(2..)
        .map(|(l, n)| SpendRecord::new(n, &columns.line(&l.split(',').collect::<Vec<_>>()).unwrap()))
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(SpendChunk::Lines(records)).await.unwrap();
    let lines = lines.len() as u64 + problems.len() as u64;
    tx.send(SpendChunk::End { lines, problems, references: Vec::new() }).await.unwrap();
    drop(tx);
    store.import_spend(area, StatementFormat::Generic, "statement.csv", rx, &stamp("finance")).await
}

/// A statement long enough to go in as several batches, through the real
/// file reader: a child first seen part way through, a transaction the file
/// repeats far apart, a file of exactly two batches, and (in a second file)
/// new lines scattered among ones seen before, so batches are partly new and
/// the last is short; every count stays exact.
async fn a_statement_of_many_batches_is_counted_exactly(db: TestDatabase) {
    let store = db.store().await;
    let (area, a1) = agreed_child(&store, "E06000001").await;
    let a2 = store.create_child(area, &child("A-2", "Bo", "Ng", "2014-02-01"), &stamp("asha")).await.unwrap().id;
    // A-1 throughout, A-2 from line 4002 on every other line; every third
    // A-1 line is a swim, which a rule puts against item-1.
    let line = |n: u32, tx: &str| {
        let (account, what) = match n {
            n if n >= 4002 && n % 2 == 0 => ("A-2", "Cinema trip,Odeon"),
            n if n % 3 == 0 => ("A-1", "Swim,LEISURE CENTRE"),
            _ => ("A-1", "Groceries,Tesco"),
        };
        format!("{account},2026-11-{:02},-1.{:02},{what},{tx}\n", 1 + n % 28, n % 100)
    };
    let last = 2 * SPEND_BATCH_LINES as u32 + 1;
    assert!(last > 5_000, "A-2 and the repeat come in the second batch");
    let mut first: Vec<String> = (2..=last).map(|n| line(n, &format!("TX-{n}"))).collect();
    first[5_000 - 2] = first[10 - 2].clone(); // line 5000 repeats line 10
    first[21 - 2] = line(21, "TX-11"); // a swim with line 11's (a grocery's) id
    // Every 97th line of the second file is followed by a new one.
    let second: Vec<String> = (2..=last)
        .flat_map(|n| {
            let seen = line(n, &format!("TX-{n}"));
            if n % 97 == 0 { vec![seen, line(n, &format!("NEW-{n}"))] } else { vec![seen] }
        })
        .collect();
    // What each import should count: (lines, added, seen before, matched),
    // a line being new when its account and transaction were not seen.
    let mut seen = std::collections::HashSet::new();
    let mut expected = |lines: &[String]| {
        let new: Vec<&String> = lines
            .iter()
            .filter(|l| {
                let fields: Vec<&str> = l.trim_end().split(',').collect();
                seen.insert((fields[0].to_owned(), fields[5].to_owned()))
            })
            .collect();
        let matched = new.iter().filter(|l| l.contains("Swim")).count() as u64;
        (lines.len() as u64, new.len() as u64, (lines.len() - new.len()) as u64, matched)
    };
    let year = FinancialYear::starting(2026);
    let mut recorded = 0;
    for lines in [&first, &second] {
        let text = format!("{STATEMENT_HEADER}\n{}", lines.concat());
        let file = std::io::Cursor::new(text);
        let done = import_statement_file(&store, area, StatementFormat::Generic, "s.csv", file, &stamp("finance"))
            .await
            .unwrap();
        let counts = expected(lines);
        assert_eq!((done.lines, done.added, done.seen_before, done.matched), counts);
        recorded += counts.1 as usize;
        let stored = store.child_spend(area, a1, year).await.unwrap().len()
            + store.child_spend(area, a2, year).await.unwrap().len();
        assert_eq!(stored, recorded);
    }
    let tx11 = store.child_spend(area, a1, year).await.unwrap().into_iter().find(|s| s.transaction_id == "TX-11");
    assert_eq!(tx11.map(|s| s.merchant), Some("Tesco".to_owned()), "a repeated id keeps its first line");
    // The second file's new lines: one after every 97th line, and line
    // 5000 of A-2 and 21 of A-1, which the first file had replaced with
    // repeats.
    assert_eq!(recorded, (last as usize - 3) + (last as usize / 97) + 2);
}

/// Migration 9 moved spend lines onto numbered accounts: lines recorded
/// before it keep every field, the import keeps its counts, and a statement
/// imported again after it still finds them seen before.
async fn spend_recorded_before_accounts_were_numbered_is_kept_and_still_recognised(db: TestDatabase) {
    db.migrate_to(8).await;
    let (area, child) = ("0f6c2a52-7a0e-4c57-9d3e-3c1f0b6d9a01", "5b1d7c3e-2f4a-4e8b-a6c9-1d2e3f4a5b60");
    let import = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    for sql in [
        format!(
            "INSERT INTO areas (id, code, name, created_at_ms, created_by) VALUES ('{area}', 'E06000009', 'Old', 1, 'x')"
        ),
        format!(
            "INSERT INTO audit_heads (area_id, seq, hash) VALUES ('{area}', 0, '{}')",
            allot_domain::audit::GENESIS_HASH
        ),
        format!(
            "INSERT INTO children (id, area_id, reference, legal_given_names, legal_family_name, sort_name, \
             date_of_birth, sex, address_protected, ehc_plan_status, version, created_at_ms, created_by, \
             updated_at_ms, updated_by) VALUES ('{child}', '{area}', 'A-1', 'Ada', 'Ng', 'ng ada', '2012-05-01', \
             'female', 0, 'no_plan', 1, 1, 'x', 1, 'x')"
        ),
        format!(
            "INSERT INTO spend_imports (area_id, id, format, file_name, lines, added, seen_before, matched, \
             imported_at_ms, imported_by) VALUES ('{area}', '{import}', 'generic', 'october.csv', 2, 2, 0, 1, \
             1790000000000, 'finance')"
        ),
        format!(
            "INSERT INTO spend_lines (area_id, child_id, format, source, transaction_id, on_date, amount_pence, \
             description, merchant, category, item_key, matched_by, import_id, import_line) VALUES \
             ('{area}', '{child}', 'generic', '', 'TX-1', '2026-10-02', -1250, 'Swim', 'LEISURE CENTRE', NULL, \
             'item-1', 'merchant', '{import}', 2), \
             ('{area}', '{child}', 'generic', '', 'TX-2', '2026-10-03', 9261, 'Direct payment', 'Council', 'income', \
             NULL, NULL, '{import}', 3)"
        ),
    ] {
        db.tamper(&sql).await;
    }
    let store = db.store().await;
    let (area, child): (AreaId, ChildId) = (area.parse().unwrap(), child.parse().unwrap());
    let imports = store.spend_imports(area, 10).await.unwrap();
    assert_eq!(imports.len(), 1);
    assert_eq!((imports[0].id.to_string().as_str(), imports[0].file_name.as_str()), (import, "october.csv"));
    assert_eq!((imports[0].lines, imports[0].added, imports[0].seen_before, imports[0].matched), (2, 2, 0, 1));
    let spend = store.child_spend(area, child, FinancialYear::starting(2026)).await.unwrap();
    let kept: Vec<_> = spend
        .iter()
        .map(|s| {
            (
                s.transaction_id.as_str(),
                s.date,
                s.amount,
                s.description.as_str(),
                s.category.as_deref(),
                s.item_key.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("TX-1", date(2026, 10, 2), Pence::new(-1_250), "Swim", None, Some("item-1")),
            ("TX-2", date(2026, 10, 3), Pence::new(9_261), "Direct payment", Some("income"), None),
        ]
    );
    let again =
        import_statement(&store, area, &["A-1,2026-10-02,-12.50,Swim,LEISURE CENTRE,TX-1"], vec![]).await.unwrap();
    assert_eq!((again.added, again.seen_before), (0, 1), "the line recorded before the migration is seen before");
    assert_eq!(store.child_spend(area, child, FinancialYear::starting(2026)).await.unwrap().len(), 2);
}

async fn spend_is_imported_once_matched_to_items_and_counted_in_the_childs_money(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    confirmed_bank_details(&store, area, c).await;
    let run = store.prepare_payment_run(area, date(2026, 11, 1), &stamp("finance")).await.unwrap().run.unwrap();
    store.release_payment_run(area, run.id, &stamp("finance2")).await.unwrap();
    let statement = [
        "A-1,2026-11-02,-12.50,Swim,LEISURE CENTRE,TX-1",
        "A-1,2026-11-03,-30.00,Cinema trip,Odeon,TX-2",
        "A-1,2026-11-04,92.61,Direct payment,Wyvern Vale Council,TX-3",
    ];
    let first = import_statement(&store, area, &statement, vec![]).await.unwrap();
    assert_eq!((first.lines, first.added, first.seen_before, first.matched), (3, 3, 0, 1));
    let again = import_statement(&store, area, &statement, vec![]).await.unwrap();
    assert_eq!((again.added, again.seen_before, again.matched), (0, 3, 0), "importing again adds nothing");
    let swim = "A-1,2026-11-06,-12.50,Swim,LEISURE CENTRE,TX-5";
    let repeated = import_statement(&store, area, &[swim, swim, statement[0]], vec![]).await.unwrap();
    assert_eq!((repeated.added, repeated.seen_before, repeated.matched), (1, 2, 1), "a file repeating itself");

    // A bad line anywhere, or a child the area does not have: nothing is written.
    let bad = import_statement(
        &store,
        area,
        &["A-1,2026-11-05,-1.00,x,y,TX-9", "B-404,2026-11-05,-1.00,x,y,TX-10"],
        vec![LineError::new(4, "date", "enter a date like 2026-11-23")],
    )
    .await
    .unwrap_err();
    let StoreError::Lines(problems) = bad else { panic!("{bad:?}") };
    let named: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        named,
        ["3: account: no child in this area has the reference B-404", "4: date: enter a date like 2026-11-23"]
    );
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(tx);
    let cut = store.import_spend(area, StatementFormat::Generic, "cut.csv", rx, &stamp("finance")).await;
    assert!(matches!(cut, Err(StoreError::Refused(_))), "{cut:?}");
    // Finance looks back: the three imports (newest first, though these
    // may share a millisecond), and none of the refused ones.
    let imports = store.spend_imports(area, 10).await.unwrap();
    let mut counts: Vec<(u64, u64, u64)> = imports.iter().map(|i| (i.added, i.seen_before, i.matched)).collect();
    counts.sort();
    assert_eq!(counts, [(0, 3, 0), (1, 2, 1), (3, 0, 1)]);
    assert!(imports.windows(2).all(|w| w[0].imported_at >= w[1].imported_at));
    let kept = imports.iter().find(|i| i.id == first.id).unwrap();
    assert_eq!((kept.file_name.as_str(), kept.imported_by.as_str(), kept.lines), ("statement.csv", "finance", 3));
    assert_eq!(store.spend_imports(area, 1).await.unwrap().len(), 1);
    let year = FinancialYear::starting(2026);
    let spend = store.child_spend(area, c, year).await.unwrap();
    assert_eq!(spend.len(), 4);
    assert_eq!((spend[0].item_key.as_deref(), spend[0].matched_by.as_deref()), (Some("item-1"), Some("merchant")));
    assert_eq!((spend[1].item_key.as_deref(), spend[1].amount), (None, Pence::new(-3_000)));

    // A person puts the cinema trip against the item and teaches Allot.
    let line = SpendLineRef { format: StatementFormat::Generic, source: String::new(), transaction_id: "TX-2".into() };
    let put = store
        .put_spend_against_item(area, c, &line, Some("item-1"), Some(LearnedField::Merchant), &stamp("asha"))
        .await
        .unwrap();
    assert_eq!((put.item_key.as_deref(), put.matched_by.as_deref()), (Some("item-1"), Some("person")));
    let missing = store.put_spend_against_item(area, c, &line, Some("item-7"), None, &stamp("asha")).await;
    assert!(matches!(missing, Err(StoreError::Refused(_))), "{missing:?}");
    let learned = import_statement(&store, area, &["A-1,2026-11-20,-5.00,Popcorn,ODEON,TX-4"], vec![]).await.unwrap();
    assert_eq!(learned.matched, 1, "lines like a person's are matched the same way");

    // Budget £324.11; paid £92.61; spent £12.50 + £30.00 + £12.50 + £5.00.
    let money = store.child_money(area, c, year).await.unwrap();
    let row = &money.streams[0];
    assert_eq!(
        (row.figures.budget, row.figures.paid, row.figures.committed, row.left),
        (Pence::new(32_411), Pence::new(9_261), Pence::new(23_150), Pence::ZERO)
    );
    assert_eq!(
        (row.spent, row.items[0].spent, row.items[0].annual),
        (Pence::new(6_000), Pence::new(6_000), Pence::new(65_000))
    );
    let dp = money.direct_payment.unwrap();
    assert_eq!((dp.paid_in, dp.spent, dp.balance), (Pence::new(9_261), Pence::new(6_000), Pence::new(3_261)));
    assert_eq!(
        (dp.first_paid_on, dp.last_spend_on),
        (Some(date(2026, 11, 1)), Some(date(2026, 11, 20))),
        "paid on the run's day"
    );
    assert_eq!((money.not_in_plan, money.other_money_in), (Pence::ZERO, Pence::new(9_261)));

    // Another area sees none of it.
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(matches!(store.child_spend(other, c, year).await, Err(StoreError::NotFound)));
    assert!(matches!(store.child_money(other, c, year).await, Err(StoreError::NotFound)));
    assert!(store.verify().await.unwrap().is_empty());
}

async fn a_direct_payment_is_watched_and_money_is_recovered_only_after_a_notice(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    confirmed_bank_details(&store, area, c).await;
    let run = store.prepare_payment_run(area, date(2026, 11, 1), &stamp("finance")).await.unwrap().run.unwrap();
    store.release_payment_run(area, run.id, &stamp("finance2")).await.unwrap();

    // £650 a year is £12.50 a week: £92.61 paid is under 8 weeks' worth,
    // but nothing spent for more than 8 weeks after the payment is noticed.
    let reviews = store.direct_payment_reviews(area, date(2027, 1, 10)).await.unwrap();
    assert_eq!(reviews.len(), 1);
    let review = &reviews[0];
    assert_eq!((review.reference.as_str(), review.balance), ("A-1", Pence::new(9_261)));
    let kinds: Vec<AlertKind> = review.alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AlertKind::NoSpend]);
    assert_eq!(review.audit_due, Some(date(2027, 2, 1)), "within 3 months of the first payment");
    assert!(store.direct_payment_reviews(area, date(2026, 12, 26)).await.unwrap()[0].alerts.is_empty());

    let today = allot_domain::dates::date_in_england(jiff::Timestamp::now());
    let audit = store.start_dp_audit(area, c, today, &stamp("finance")).await.unwrap();
    assert!(matches!(store.start_dp_audit(area, c, today, &stamp("finance")).await, Err(StoreError::Refused(_))));
    let record = |event: AuditEvent| {
        let store = &store;
        async move { store.record_dp_audit_event(area, audit.id, &event, &stamp("finance")).await }
    };
    // The audit's rules name the field at fault.
    let refused = |r: Result<DpAudit, StoreError>| match r {
        Err(StoreError::Invalid(why)) => why.to_string(),
        other => panic!("{other:?}"),
    };
    let findings = |pence: i64| AuditEvent::FindingsRecorded {
        on: today,
        findings: "No spend since the first payment".into(),
        proposed_recovery: Pence::new(pence),
        reasons: Some("The personal assistant has not started".into()),
    };
    assert!(refused(record(findings(9_262)).await).contains("at most £92.61"), "more than the balance");
    record(findings(5_000)).await.unwrap();
    let early = refused(record(AuditEvent::RecoveryPosted { on: today, amount: Pence::new(5_000) }).await);
    assert!(early.contains("send the family a notice"), "{early}");
    let short = today.checked_add(jiff::Span::new().days(27)).unwrap();
    let notice = |response_by| AuditEvent::NoticeSent { on: today, response_by };
    assert!(refused(record(notice(short)).await).contains("at least 28 days"));
    record(notice(today.checked_add(jiff::Span::new().days(28)).unwrap())).await.unwrap();
    let waiting = refused(record(AuditEvent::RecoveryPosted { on: today, amount: Pence::new(5_000) }).await);
    assert!(waiting.contains("nothing can be recovered before then unless they agree"), "{waiting}");
    let family = AccountKey::DirectPayment { child: c };
    let paid_in = |accounts: Vec<(AccountKey, allot_domain::finance::ledger::Balances)>| {
        accounts.into_iter().find(|(k, _)| *k == family).map(|(_, b)| b.posted_net()).unwrap()
    };
    assert_eq!(paid_in(store.ledger_accounts(area, Some(c)).await.unwrap()), Pence::new(9_261), "nothing moved");

    let agreed = AuditEvent::FamilyResponded { on: today, agreed: true, response: "Yes, that is fair".into() };
    record(agreed).await.unwrap();
    let done = record(AuditEvent::RecoveryPosted { on: today, amount: Pence::new(5_000) }).await.unwrap();
    assert_eq!((done.state.step(), done.events.len()), (AuditStep::Recovered, 5));
    assert_eq!(done.events[4].by.as_str(), "finance");
    assert_eq!(paid_in(store.ledger_accounts(area, Some(c)).await.unwrap()), Pence::new(4_261));
    assert_eq!(store.verify_ledger(area).await.unwrap(), Vec::<String>::new());
    assert_eq!(store.dp_audits(area, c).await.unwrap(), vec![done]);
    let (other, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(matches!(store.dp_audits(other, c).await, Err(StoreError::NotFound)));
    let closed = AuditEvent::Closed { on: today, outcome: "x".into() };
    let elsewhere = store.record_dp_audit_event(other, audit.id, &closed, &stamp("x")).await;
    assert!(matches!(elsewhere, Err(StoreError::NotFound)));
}

async fn a_receipt_is_kept_byte_for_byte_and_only_for_its_child(db: TestDatabase) {
    let store = db.store().await;
    let (area, c) = agreed_child(&store, "E06000001").await;
    let other = store.create_child(area, &child("A-2", "Bo", "Ng", "2013-05-01"), &stamp("asha")).await.unwrap().id;
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
    photo.extend((0..=255u8).cycle().take(100_000));
    let file = ReceiptFile::parse("IMG_0001.jpg", photo.clone()).unwrap();
    let details = ReceiptForm {
        spent_on: Some("2026-11-02".into()),
        amount: Some("37.50".into()),
        what: Some("Swimming lessons, November".into()),
        item: None,
    }
    .parse(date(2026, 11, 22), &[])
    .unwrap();
    let kept = store.add_receipt(area, c, &details, &file, &stamp("parent")).await.unwrap();
    assert_eq!(
        (kept.details.amount, kept.size_bytes, kept.kind, kept.file_name.as_str(), kept.sent_by.as_str()),
        (Pence::new(3_750), 100_004, ReceiptKind::Jpeg, "IMG_0001.jpg", "parent")
    );
    assert_eq!(store.receipts(area, c).await.unwrap(), vec![kept.clone()]);
    let (read, bytes) = store.receipt_file(area, c, kept.id).await.unwrap();
    assert_eq!((read, bytes), (kept.clone(), photo), "the file comes back exactly as sent");
    // Another child's address for it, or another area: not there.
    assert!(matches!(store.receipt_file(area, other, kept.id).await, Err(StoreError::NotFound)));
    assert!(store.receipts(area, other).await.unwrap().is_empty());
    let (elsewhere, _, _) = area_with_staff(&store, "E06000002").await;
    assert!(matches!(store.receipts(elsewhere, c).await, Err(StoreError::NotFound)));
    assert!(matches!(store.add_receipt(elsewhere, c, &details, &file, &stamp("x")).await, Err(StoreError::NotFound)));
    // Its sending is in the trail, without the file.
    let trail = store.audit_entries(area, Some(c), 0, 1000).await.unwrap();
    let sent = trail.iter().find(|e| e.entry.entity == "receipt").expect("the receipt in the trail");
    assert_eq!((sent.entry.action.as_str(), sent.entry.actor.as_str()), ("create", "parent"));
    assert!(sent.entry.detail.contains("\"amount_pence\":3750") && !sent.entry.detail.contains("Swimming"));
}
