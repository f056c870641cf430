use super::*;
use crate::finance::budget::{AgreedPlan, year_money};
use crate::finance::fixtures::{item, plan};
use crate::finance::ledger::{Applied, Ledger};
use crate::ids::TransferId;
use jiff::civil::date;

fn year() -> FinancialYear {
    FinancialYear::starting(2026)
}

fn school() -> OrganisationId {
    OrganisationId::from_bytes([4; 16])
}

/// Two children, each with a £100-a-week direct payment for social care
/// (£5,200 a year) and a £50-a-week ISF for education held by the school
/// (£2,600), agreed on 1 April; every instalment due by `paid_to` is paid.
fn area(paid_to: Date) -> (Vec<ChildId>, Ledger) {
    let children = vec![ChildId::from_bytes([1; 16]), ChildId::from_bytes([2; 16])];
    let content = plan(
        vec![
            item("item-1", "social_care", ManagementRoute::DirectPayment, 100, None),
            item("item-2", "education", ManagementRoute::Isf, 50, Some(school())),
        ],
        None,
    );
    let mut ledger = Ledger::default();
    for child in &children {
        let agreed = [AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &content }];
        let money = year_money(*child, &agreed, None, year());
        for t in money.budgets.iter().chain(&money.instalments) {
            assert_eq!(ledger.apply(t), Ok(Applied::Created));
        }
        for t in money.instalments.iter().filter(|t| t.on <= paid_to) {
            let post = Transfer::post(TransferId::derived(&format!("post/{}", t.id)), t, t.on);
            assert_eq!(ledger.apply(&post), Ok(Applied::Created));
        }
    }
    (children, ledger)
}

fn transfers(ledger: &Ledger) -> Vec<Transfer> {
    ledger.transfers().cloned().collect()
}

#[test]
fn the_area_sees_each_stream_and_route_budgeted_reserved_and_paid_by_month_to_the_penny() {
    // Paid to the end of May, four-weekly on 1 April, 29 April and 27 May
    // (13 a year): £400 each for the direct payment, £200 for the ISF.
    let (_, ledger) = area(date(2026, 5, 31));
    let report = area_spend(&transfers(&ledger), year());
    let rows: Vec<_> = report
        .streams
        .iter()
        .map(|s| (s.stream.as_str(), s.route, s.figures.budget, s.figures.paid, s.figures.committed, s.children))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("education", ManagementRoute::Isf, Pence::new(520_000), Pence::new(120_000), Pence::new(400_000), 2),
            (
                "social_care",
                ManagementRoute::DirectPayment,
                Pence::new(1_040_000),
                Pence::new(240_000),
                Pence::new(800_000),
                2
            ),
        ]
    );
    let dp = &report.streams[1];
    assert_eq!(dp.paid_by_month.len(), 12, "every month of the year is listed");
    assert_eq!(dp.paid_by_month["2026-04"], Pence::new(160_000), "two instalments each in April");
    assert_eq!(dp.paid_by_month["2026-05"], Pence::new(80_000));
    assert_eq!(dp.paid_by_month["2027-03"], Pence::ZERO);
    assert_eq!(report.paid_by_month["2026-04"], Pence::new(160_000 + 80_000));
    assert_eq!(report.total.paid, Pence::new(360_000));
    assert_eq!(report.left, Pence::ZERO, "the whole year is paid or reserved");
    // Another year has nothing in it.
    let next = area_spend(&transfers(&ledger), year().next());
    assert!(next.streams.is_empty() && next.total == BudgetFigures::default());
}

#[test]
fn a_reversed_payment_and_a_recovery_show_in_the_month_they_happen() {
    let (children, mut ledger) = area(date(2026, 4, 30));
    let paid: Transfer = ledger
        .transfers()
        .find(|t| matches!(t.phase, Phase::Post(_)) && t.credit == AccountKey::DirectPayment { child: children[0] })
        .cloned()
        .unwrap();
    let reversal = Transfer::reversal(TransferId::new(), &paid, date(2026, 6, 3), "paid twice by mistake");
    assert_eq!(ledger.apply(&reversal), Ok(Applied::Created));
    let recovery = Transfer {
        id: TransferId::new(),
        debit: AccountKey::DirectPayment { child: children[1] },
        credit: AccountKey::Recovered { year: year() },
        amount: Pence::new(12_345),
        kind: TransferKind::Recovery,
        phase: Phase::Posted,
        item: None,
        on: date(2026, 9, 1),
        reference: "Audit: unspent".into(),
    };
    assert_eq!(ledger.apply(&recovery), Ok(Applied::Created));
    let report = area_spend(&transfers(&ledger), year());
    let dp = report.streams.iter().find(|s| s.route == ManagementRoute::DirectPayment).unwrap();
    assert_eq!(dp.paid_by_month["2026-06"], Pence::new(-40_000), "the reversal is in June");
    assert_eq!(dp.figures.paid, Pence::new(4 * 40_000 - 40_000));
    assert_eq!(report.recovered, Pence::new(12_345));
}

#[test]
fn a_school_sees_what_it_was_paid_and_has_still_to_come_per_child_and_item() {
    let (children, ledger) = area(date(2026, 5, 31));
    let report = organisation_payments(&transfers(&ledger), year(), Some(ManagementRoute::Isf));
    assert_eq!(report.len(), 1);
    let school_report = &report[0];
    assert_eq!(school_report.organisation, school());
    assert_eq!((school_report.paid, school_report.committed), (Pence::new(120_000), Pence::new(400_000)));
    assert_eq!(school_report.children.iter().map(|c| c.child).collect::<Vec<_>>(), children);
    let first = &school_report.children[0];
    assert_eq!(first.items.len(), 1);
    let item = &first.items[0];
    assert_eq!(
        (item.item.as_deref(), item.stream.as_str(), item.paid, item.committed),
        (Some("item-2"), "education", Pence::new(60_000), Pence::new(200_000))
    );
    assert_eq!(first.paid.checked_add(first.committed), Some(Pence::new(260_000)), "the item's whole year");
    // Direct payments go to families, not organisations.
    assert!(organisation_payments(&transfers(&ledger), year(), Some(ManagementRoute::DirectPayment)).is_empty());
    assert_eq!(organisation_payments(&transfers(&ledger), year(), None), report);
}
