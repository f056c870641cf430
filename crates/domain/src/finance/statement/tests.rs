use super::*;
use crate::finance::budget::{AgreedPlan, year_money};
use crate::finance::fixtures::{item, plan};
use crate::finance::ledger::{Applied, Ledger};
use crate::ids::{OrganisationId, TransferId};
use jiff::civil::date;

fn child() -> ChildId {
    ChildId::from_bytes([1; 16])
}

fn year() -> FinancialYear {
    FinancialYear::starting(2026)
}

/// Item 1: a £100-a-week direct payment for social care (£5,200 a year),
/// with the stream's £500 contingency; item 2: a £50-a-week ISF for
/// education (£2,600), agreed on 1 April, so the whole year is reserved.
fn agreed() -> (PlanContent, Vec<Transfer>) {
    let org = OrganisationId::from_bytes([4; 16]);
    let content = plan(
        vec![
            item("item-1", "social_care", ManagementRoute::DirectPayment, 100, None),
            item("item-2", "education", ManagementRoute::Isf, 50, Some(org)),
        ],
        Some(("social_care", 50_000)),
    );
    let money =
        year_money(child(), &[AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &content }], None, year());
    let mut ledger = Ledger::default();
    for t in money.budgets.iter().chain(&money.instalments) {
        assert_eq!(ledger.apply(t), Ok(Applied::Created));
    }
    // The first instalment of each is paid.
    let firsts: Vec<Transfer> = money.instalments.iter().filter(|t| t.on == date(2026, 4, 1)).cloned().collect();
    assert_eq!(firsts.len(), 2);
    for t in &firsts {
        let post = Transfer::post(TransferId::derived(&format!("post/{}", t.id)), t, t.on);
        assert_eq!(ledger.apply(&post), Ok(Applied::Created));
    }
    (content, ledger.transfers().cloned().collect())
}

fn total(item_key: Option<&str>, invoiced: bool, out: i64, money_in: i64) -> SpendTotal {
    SpendTotal {
        item_key: item_key.map(str::to_owned),
        invoiced,
        out: Pence::new(out),
        out_lines: u64::from(out > 0),
        money_in: Pence::new(money_in),
        last_out: None,
    }
}

#[test]
fn each_stream_shows_its_budget_reserved_paid_spent_and_left_to_the_penny() {
    let (content, transfers) = agreed();
    let spend = [
        total(Some("item-1"), false, 40_000, 0),
        total(Some("item-2"), true, 12_345, 0),
        total(None, false, 999, 2_500),
        total(Some("item-9"), false, 1_000, 0),
    ];
    let money =
        child_money(child(), year(), Some(&content), &transfers, &spend, (Pence::new(41_999), Some(date(2026, 4, 20))));
    assert_eq!(money.streams.len(), 2);
    let (education, social_care) = (&money.streams[0], &money.streams[1]);
    // £5,700 a year in 13 four-weekly payments: £438.46 each, the first £438.48.
    assert_eq!(
        (
            social_care.stream.as_str(),
            social_care.route,
            social_care.figures.budget,
            social_care.figures.paid,
            social_care.figures.committed
        ),
        ("social_care", ManagementRoute::DirectPayment, Pence::new(570_000), Pence::new(43_848), Pence::new(526_152))
    );
    assert_eq!(
        (social_care.left, social_care.spent, social_care.contingency),
        (Pence::ZERO, Pence::new(40_000), Pence::new(50_000))
    );
    assert_eq!(social_care.contingency_used, Pence::ZERO);
    assert_eq!(
        social_care.items,
        vec![ItemMoney {
            key: "item-1".into(),
            what: "Support".into(),
            annual: Pence::new(520_000),
            spent: Pence::new(40_000)
        }]
    );
    assert_eq!(
        (
            education.figures.budget,
            education.figures.paid,
            education.figures.committed,
            education.spent,
            education.contingency
        ),
        (Pence::new(260_000), Pence::new(20_000), Pence::new(240_000), Pence::new(12_345), Pence::ZERO)
    );
    // Unmatched spend and spend on an item the plan no longer has.
    assert_eq!(
        (money.not_in_plan, money.not_in_plan_lines, money.other_money_in),
        (Pence::new(1_999), 2, Pence::new(2_500))
    );
    assert_eq!(
        money.direct_payment,
        Some(DirectPaymentAccount {
            paid_in: Pence::new(43_848),
            spent: Pence::new(41_999),
            balance: Pence::new(1_849),
            first_paid_on: Some(date(2026, 4, 1)),
            last_spend_on: Some(date(2026, 4, 20)),
        })
    );
}

#[test]
fn spend_above_an_items_annual_amount_uses_the_contingency_up_to_its_amount() {
    let (content, transfers) = agreed();
    let money = |item_1: i64| {
        let spend = [total(Some("item-1"), false, item_1, 0)];
        child_money(child(), year(), Some(&content), &transfers, &spend, (Pence::ZERO, None)).streams[1]
            .contingency_used
    };
    assert_eq!(money(520_000), Pence::ZERO);
    assert_eq!(money(520_001), Pence::new(1));
    assert_eq!(money(570_000), Pence::new(50_000));
    assert_eq!(money(900_000), Pence::new(50_000));
}

#[test]
fn a_reversed_payment_is_no_longer_paid_and_leaves_the_familys_account() {
    let (content, mut transfers) = agreed();
    let paid = transfers
        .iter()
        .find(|t| matches!(t.phase, Phase::Post(_)) && t.credit == AccountKey::DirectPayment { child: child() })
        .unwrap()
        .clone();
    transfers.push(Transfer::reversal(
        TransferId::derived("reverse/1"),
        &paid,
        date(2026, 4, 2),
        "paid twice by mistake",
    ));
    let money = child_money(child(), year(), Some(&content), &transfers, &[], (Pence::ZERO, None));
    assert_eq!((money.streams[1].figures.paid, money.streams[1].left), (Pence::ZERO, Pence::new(43_848)));
    assert_eq!(money.direct_payment.unwrap().paid_in, Pence::ZERO);
}

#[test]
fn another_year_or_another_child_shows_nothing() {
    let (content, transfers) = agreed();
    let next = child_money(child(), year().next(), Some(&content), &transfers, &[], (Pence::ZERO, None));
    assert!(next.streams.iter().all(|s| s.figures.budget == Pence::ZERO && s.figures.paid == Pence::ZERO));
    let other = child_money(ChildId::from_bytes([2; 16]), year(), None, &transfers, &[], (Pence::ZERO, None));
    assert_eq!((other.streams.len(), other.direct_payment), (0, None));
}
