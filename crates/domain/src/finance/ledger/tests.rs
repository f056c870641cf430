use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn child() -> ChildId {
    ChildId::from_bytes([1; 16])
}

fn year() -> FinancialYear {
    FinancialYear::starting(2026)
}

fn funding() -> AccountKey {
    AccountKey::Funding { stream: "social_care".into(), year: year() }
}

fn budget() -> AccountKey {
    AccountKey::Budget {
        child: child(),
        stream: "social_care".into(),
        route: ManagementRoute::DirectPayment,
        year: year(),
    }
}

fn family() -> AccountKey {
    AccountKey::DirectPayment { child: child() }
}

fn transfer(n: u8, debit: AccountKey, credit: AccountKey, pence: i64, kind: TransferKind, phase: Phase) -> Transfer {
    Transfer {
        id: TransferId::from_bytes([n; 16]),
        debit,
        credit,
        amount: Pence::new(pence),
        kind,
        phase,
        item: None,
        on: date(2026, 4, 1),
        reference: format!("transfer {n}"),
    }
}

fn set_up(ledger: &mut Ledger, pence: i64) -> Transfer {
    let t = transfer(1, funding(), budget(), pence, TransferKind::Budget, Phase::Posted);
    assert_eq!(ledger.apply(&t), Ok(Applied::Created));
    t
}

#[test]
fn a_budget_set_up_and_paid_shows_to_the_penny_in_every_account() {
    let mut ledger = Ledger::default();
    set_up(&mut ledger, 1_234_567);
    let paid = transfer(2, budget(), family(), 94_967, TransferKind::Payment, Phase::Posted);
    assert_eq!(ledger.apply(&paid), Ok(Applied::Created));
    assert_eq!(ledger.balances(&budget()).available(), Pence::new(1_139_600));
    assert_eq!(ledger.balances(&family()).posted_net(), Pence::new(94_967));
    assert_eq!(ledger.balances(&funding()).debits_posted, Pence::new(1_234_567));
    assert!(verify(ledger.accounts(), ledger.created()).is_empty());
}

#[test]
fn sending_the_same_transfer_again_is_harmless_and_a_different_one_with_its_id_is_refused() {
    let mut ledger = Ledger::default();
    let t = set_up(&mut ledger, 10_000);
    assert_eq!(ledger.apply(&t), Ok(Applied::AlreadyExists));
    assert_eq!(ledger.balances(&budget()).available(), Pence::new(10_000), "nothing moved twice");
    let changed = Transfer { amount: Pence::new(10_001), ..t.clone() };
    assert_eq!(ledger.apply(&changed), Err(TransferError::ExistsWithDifferentFields));
    let renamed = Transfer { reference: "another reason".into(), ..t };
    assert_eq!(ledger.apply(&renamed), Err(TransferError::ExistsWithDifferentFields));
    assert_eq!(ledger.created().count(), 1);
}

#[test]
fn a_budget_is_never_overdrawn_until_an_overspend_is_approved() {
    let mut ledger = Ledger::default();
    set_up(&mut ledger, 10_000);
    let too_much = transfer(2, budget(), family(), 10_001, TransferKind::Payment, Phase::Posted);
    assert_eq!(
        ledger.apply(&too_much),
        Err(TransferError::WouldOverdraw { available: Pence::new(10_000), amount: Pence::new(10_001) })
    );
    let reserve = transfer(3, budget(), family(), 6_000, TransferKind::Payment, Phase::Pending);
    assert_eq!(ledger.apply(&reserve), Ok(Applied::Created));
    let second = transfer(4, budget(), family(), 4_001, TransferKind::Payment, Phase::Pending);
    assert!(matches!(ledger.apply(&second), Err(TransferError::WouldOverdraw { .. })), "reserved money counts");
    let overspend = transfer(5, funding(), budget(), 1, TransferKind::Overspend, Phase::Posted);
    assert_eq!(ledger.apply(&overspend), Ok(Applied::Created));
    assert_eq!(ledger.apply(&second), Ok(Applied::Created));
    assert_eq!(ledger.balances(&budget()).available(), Pence::ZERO);
    // The area's and the family's accounts may go either way.
    assert_eq!(ledger.balances(&funding()).posted_net(), Pence::new(-10_001));
}

#[test]
fn an_overspend_tops_up_one_of_the_childs_budgets_from_the_streams_funding() {
    let form = OverspendForm {
        id: Some("6f0c3a52-8a4e-4d51-9d0a-2d2b7c1e9a10".into()),
        stream: Some("social_care".into()),
        route: Some("direct_payment".into()),
        year: Some("2026-27".into()),
        amount: Some("£250.50".into()),
        item: None,
        reason: Some("Respite over the summer cost more than planned".into()),
    };
    let today = date(2026, 11, 22);
    let t = form.parse(child(), &[budget()], today).unwrap();
    assert_eq!(t.id.to_string(), "6f0c3a52-8a4e-4d51-9d0a-2d2b7c1e9a10", "the caller's id makes a retry harmless");
    assert_eq!((t.debit, t.credit), (funding(), budget()));
    assert_eq!((t.amount, t.kind, t.phase, t.on), (Pence::new(25_050), TransferKind::Overspend, Phase::Posted, today));
    assert_eq!(t.reference, "Respite over the summer cost more than planned");
    // Not one of the child's budgets: refused, naming the field.
    let education = OverspendForm { stream: Some("education".into()), ..form.clone() };
    assert_eq!(education.parse(child(), &[budget()], today).unwrap_err().fields(), vec!["stream"]);
    let bad = OverspendForm {
        id: Some("x".into()),
        route: Some("cash".into()),
        amount: Some("-5".into()),
        reason: None,
        ..form
    };
    assert_eq!(bad.parse(child(), &[budget()], today).unwrap_err().fields(), vec!["id", "route", "amount", "reason"]);
}

#[test]
fn a_pending_transfer_is_posted_or_voided_once_and_only_once() {
    let mut ledger = Ledger::default();
    set_up(&mut ledger, 50_000);
    let pending = transfer(2, budget(), family(), 20_000, TransferKind::Payment, Phase::Pending);
    ledger.apply(&pending).unwrap();
    assert_eq!(ledger.balances(&budget()).debits_pending, Pence::new(20_000));
    assert_eq!(ledger.balances(&family()).credits_pending, Pence::new(20_000));
    assert_eq!(ledger.balances(&family()).posted_net(), Pence::ZERO, "reserved money has not reached the family");

    let post = Transfer::post(TransferId::from_bytes([3; 16]), &pending, date(2026, 4, 2));
    assert_eq!(ledger.apply(&post), Ok(Applied::Created));
    let b = ledger.balances(&budget());
    assert_eq!(
        (b.debits_pending, b.debits_posted, b.available()),
        (Pence::ZERO, Pence::new(20_000), Pence::new(30_000))
    );
    assert_eq!(ledger.balances(&family()).posted_net(), Pence::new(20_000));

    assert_eq!(ledger.apply(&post), Ok(Applied::AlreadyExists), "the same post again is harmless");
    let post_again = Transfer::post(TransferId::from_bytes([4; 16]), &pending, date(2026, 4, 2));
    assert_eq!(ledger.apply(&post_again), Err(TransferError::AlreadyResolved(pending.id)));
    let void = Transfer::void(TransferId::from_bytes([5; 16]), &pending, date(2026, 4, 2), "cancelled");
    assert_eq!(ledger.apply(&void), Err(TransferError::AlreadyResolved(pending.id)));

    let other = transfer(6, budget(), family(), 5_000, TransferKind::Payment, Phase::Pending);
    ledger.apply(&other).unwrap();
    let void = Transfer::void(TransferId::from_bytes([7; 16]), &other, date(2026, 4, 2), "the family changed provider");
    assert_eq!(ledger.apply(&void), Ok(Applied::Created));
    assert_eq!(ledger.balances(&budget()).available(), Pence::new(30_000), "voiding gives the reserve back");
    assert_eq!(ledger.balances(&family()).credits_pending, Pence::ZERO);
    assert!(verify(ledger.accounts(), ledger.created()).is_empty());
}

#[test]
fn only_a_pending_transfer_can_be_posted_and_only_as_it_was_reserved() {
    let mut ledger = Ledger::default();
    let posted = set_up(&mut ledger, 50_000);
    let post = Transfer::post(TransferId::from_bytes([3; 16]), &posted, date(2026, 4, 2));
    assert_eq!(ledger.apply(&post), Err(TransferError::NotPending(posted.id)));
    let pending = transfer(4, budget(), family(), 20_000, TransferKind::Payment, Phase::Pending);
    ledger.apply(&pending).unwrap();
    let mut bigger = Transfer::post(TransferId::from_bytes([5; 16]), &pending, date(2026, 4, 2));
    bigger.amount = Pence::new(20_001);
    assert_eq!(ledger.apply(&bigger), Err(TransferError::DiffersFromTarget));
    let missing = Transfer { phase: Phase::Void(TransferId::from_bytes([9; 16])), ..pending.clone() };
    let missing = Transfer { id: TransferId::from_bytes([6; 16]), ..missing };
    assert_eq!(ledger.apply(&missing), Err(TransferError::TargetNotFound(TransferId::from_bytes([9; 16]))));
}

#[test]
fn a_correction_is_a_new_transfer_that_names_what_it_reverses_once() {
    let mut ledger = Ledger::default();
    set_up(&mut ledger, 50_000);
    let paid = transfer(2, budget(), family(), 12_345, TransferKind::Payment, Phase::Posted);
    ledger.apply(&paid).unwrap();
    let reversal =
        Transfer::reversal(TransferId::from_bytes([3; 16]), &paid, date(2026, 4, 3), "paid to the wrong account");
    assert_eq!((&reversal.debit, &reversal.credit), (&family(), &budget()));
    assert_eq!(ledger.apply(&reversal), Ok(Applied::Created));
    assert_eq!(ledger.balances(&budget()).available(), Pence::new(50_000));
    assert_eq!(ledger.balances(&family()).posted_net(), Pence::ZERO);
    let again = Transfer::reversal(TransferId::from_bytes([4; 16]), &paid, date(2026, 4, 3), "again");
    assert_eq!(ledger.apply(&again), Err(TransferError::AlreadyReversed(paid.id)));
    let pending = transfer(5, budget(), family(), 100, TransferKind::Payment, Phase::Pending);
    ledger.apply(&pending).unwrap();
    let bad = Transfer::reversal(TransferId::from_bytes([6; 16]), &pending, date(2026, 4, 3), "no");
    assert_eq!(ledger.apply(&bad), Err(TransferError::NotReversible(pending.id)));
    assert_eq!(ledger.transfer(paid.id), Some(&paid), "the original is never changed");
}

#[test]
fn amounts_must_be_positive_and_accounts_different() {
    let mut ledger = Ledger::default();
    assert_eq!(
        ledger.apply(&transfer(1, funding(), budget(), 0, TransferKind::Budget, Phase::Posted)),
        Err(TransferError::AmountMustBePositive)
    );
    assert_eq!(
        ledger.apply(&transfer(1, funding(), budget(), -5, TransferKind::Budget, Phase::Posted)),
        Err(TransferError::AmountMustBePositive)
    );
    assert_eq!(
        ledger.apply(&transfer(1, funding(), funding(), 5, TransferKind::Budget, Phase::Posted)),
        Err(TransferError::SameAccount)
    );
    assert_eq!(ledger.created().count(), 0);
}

#[test]
fn accounts_have_a_text_form_that_reads_back() {
    let org = OrganisationId::from_bytes([2; 16]);
    for key in [
        funding(),
        budget(),
        family(),
        AccountKey::Organisation { organisation: org },
        AccountKey::Recovered { year: year() },
    ] {
        assert_eq!(AccountKey::parse(&key.to_string()), Ok(key.clone()), "{key}");
    }
    assert_eq!(funding().to_string(), "funding/social_care/2026-27");
    assert_eq!(budget().to_string(), format!("budget/{}/social_care/direct_payment/2026-27", child()));
    for bad in ["", "budget", "funding/Social Care/2026-27", "dp/not-an-id", "recovered/2026", "org/1/2"] {
        assert!(AccountKey::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn verify_finds_a_balance_that_does_not_match_its_transfers_and_a_pending_resolved_twice() {
    let mut ledger = Ledger::default();
    set_up(&mut ledger, 50_000);
    let pending = transfer(2, budget(), family(), 1_000, TransferKind::Payment, Phase::Pending);
    ledger.apply(&pending).unwrap();
    let post = Transfer::post(TransferId::from_bytes([3; 16]), &pending, date(2026, 4, 2));
    ledger.apply(&post).unwrap();
    let transfers: Vec<Transfer> = ledger.created().cloned().collect();
    let mut accounts: Vec<(AccountKey, Balances)> = ledger.accounts().map(|(k, b)| (k.clone(), *b)).collect();
    assert!(verify(accounts.iter().map(|(k, b)| (k, b)), &transfers).is_empty());

    accounts[0].1.credits_posted = Pence::new(accounts[0].1.credits_posted.pence() + 1);
    let problems = verify(accounts.iter().map(|(k, b)| (k, b)), &transfers);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(
        problems[0],
        format!("account {} holds posted credits of £0.01 but its transfers add up to £0.00", accounts[0].0)
    );
    assert_eq!(problems[1], "posted debits £510.00 do not equal posted credits £510.01");

    let mut twice = transfers.clone();
    let void = Transfer::void(TransferId::from_bytes([4; 16]), &pending, date(2026, 4, 2), "x");
    twice.push(void);
    let ledger_accounts: Vec<(AccountKey, Balances)> = ledger.accounts().map(|(k, b)| (k.clone(), *b)).collect();
    let problems = verify(ledger_accounts.iter().map(|(k, b)| (k, b)), &twice);
    assert!(problems.iter().any(|p| p.contains("resolved or reversed 2 times")), "{problems:?}");
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    Commit(i64),
    Pay(i64),
    Post(usize),
    Void(usize),
    Reverse(usize),
    Retry(usize),
    Overspend(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..50_000).prop_map(Step::Commit),
        (1i64..50_000).prop_map(Step::Pay),
        any::<usize>().prop_map(Step::Post),
        any::<usize>().prop_map(Step::Void),
        any::<usize>().prop_map(Step::Reverse),
        any::<usize>().prop_map(Step::Retry),
        (1i64..20_000).prop_map(Step::Overspend),
    ]
}

proptest! {
    /// Whatever happens, in whatever order, with retries: debits equal
    /// credits, balances equal their transfers, no budget is overdrawn and
    /// no pending transfer is resolved twice.
    #[test]
    fn the_ledger_invariants_hold_under_any_history(steps in proptest::collection::vec(step(), 1..80)) {
        let mut ledger = Ledger::default();
        set_up(&mut ledger, 100_000);
        let mut sent: Vec<Transfer> = Vec::new();
        for (n, s) in steps.into_iter().enumerate() {
            let id = TransferId::derived(&n.to_string());
            let pick = |i: usize| (!sent.is_empty()).then(|| sent[i % sent.len()].clone());
            let t = match s {
                Step::Commit(p) => Some(Transfer { id, ..transfer(0, budget(), family(), p, TransferKind::Payment, Phase::Pending) }),
                Step::Pay(p) => Some(Transfer { id, ..transfer(0, budget(), family(), p, TransferKind::Payment, Phase::Posted) }),
                Step::Overspend(p) => Some(Transfer { id, ..transfer(0, funding(), budget(), p, TransferKind::Overspend, Phase::Posted) }),
                Step::Post(i) => pick(i).map(|p| Transfer::post(id, &p, p.on)),
                Step::Void(i) => pick(i).map(|p| Transfer::void(id, &p, p.on, "cancelled")),
                Step::Reverse(i) => pick(i).map(|p| Transfer::reversal(id, &p, p.on, "mistake")),
                Step::Retry(i) => pick(i),
            };
            let Some(t) = t else { continue };
            let before = ledger.clone();
            match ledger.apply(&t) {
                Ok(Applied::Created) => sent.push(t),
                Ok(Applied::AlreadyExists) => prop_assert_eq!(ledger.accounts().count(), before.accounts().count()),
                Err(_) => {
                    // A refused transfer changes nothing.
                    let same: Vec<_> = ledger.accounts().map(|(k, b)| (k.clone(), *b)).collect();
                    let was: Vec<_> = before.accounts().map(|(k, b)| (k.clone(), *b)).collect();
                    prop_assert_eq!(same, was);
                }
            }
            prop_assert!(ledger.balances(&budget()).available() >= Pence::ZERO);
        }
        let problems = verify(ledger.accounts(), ledger.created());
        prop_assert!(problems.is_empty(), "{:?}", problems);
    }
}
