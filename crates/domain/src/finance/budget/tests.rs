use super::*;
use crate::finance::fixtures::{item, plan};
use crate::finance::ledger::{Applied, Ledger, verify};
use jiff::civil::date;
use proptest::prelude::*;

fn fy(start: i16) -> FinancialYear {
    FinancialYear::starting(start)
}

#[test]
fn a_part_year_budget_is_pro_rata_by_days_rounded_half_up_to_the_penny() {
    // £10,000 for 100 of 365 days is £2,739.7260… → £2,739.73.
    assert_eq!(pro_rata(Pence::new(1_000_000), 100, fy(2026)), Pence::new(273_973));
    // Exactly half a penny rounds up: 73 × 5 / 365 = 1.0 … use 1p × 183 / 366 = 0.5p → 1p.
    assert_eq!(pro_rata(Pence::new(1), 183, fy(2027)), Pence::new(1));
    assert_eq!(pro_rata(Pence::new(1), 182, fy(2027)), Pence::ZERO);
    // A whole year is the annual amount, in a leap year too.
    assert_eq!(pro_rata(Pence::new(1_234_567), 365, fy(2026)), Pence::new(1_234_567));
    assert_eq!(pro_rata(Pence::new(1_234_567), 366, fy(2027)), Pence::new(1_234_567));
    assert_eq!(pro_rata(Pence::new(1_234_567), 0, fy(2026)), Pence::ZERO);
}

#[test]
fn four_weekly_payments_come_thirteen_times_a_year_and_monthly_twelve() {
    let year = fy(2026);
    let four = payment_dates(PaymentSchedule::FourWeekly, year.first_day(), year.last_day());
    assert_eq!(four.len(), 13);
    assert_eq!((four[0], four[1], four[12]), (date(2026, 4, 1), date(2026, 4, 29), date(2027, 3, 3)));
    let monthly = payment_dates(PaymentSchedule::Monthly, year.first_day(), year.last_day());
    assert_eq!(monthly.len(), 12);
    assert_eq!(monthly[11], date(2027, 3, 1));
    let from_31st = payment_dates(PaymentSchedule::Monthly, date(2027, 1, 31), year.last_day());
    assert_eq!(from_31st, vec![date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]);
}

#[test]
fn instalments_add_up_exactly_with_the_spare_pence_on_the_first() {
    let year = fy(2026);
    let split = instalments(Pence::new(1_000_000), PaymentSchedule::FourWeekly, year.first_day(), year.last_day());
    // £10,000 / 13 = £769.2307… → £769.23 each, and the first takes the 1p left.
    assert_eq!(split[0], Instalment { number: 1, due: date(2026, 4, 1), amount: Pence::new(76_924) });
    assert!(split[1..].iter().all(|i| i.amount == Pence::new(76_923)));
    assert_eq!(Pence::checked_sum(split.iter().map(|i| i.amount)), Some(Pence::new(1_000_000)));
    let monthly = instalments(Pence::new(100_011), PaymentSchedule::Monthly, year.first_day(), year.last_day());
    assert_eq!(monthly[0].amount, Pence::new(8_337));
    assert_eq!(monthly[1].amount, Pence::new(8_334));
    assert!(instalments(Pence::new(5), PaymentSchedule::Monthly, date(2027, 4, 1), year.last_day()).is_empty());
}

#[test]
fn the_contingency_goes_with_the_direct_payment_of_its_stream_or_stays_with_the_council() {
    let org = OrganisationId::from_bytes([4; 16]);
    let content = plan(
        vec![
            item("item-1", "social_care", ManagementRoute::DirectPayment, 100, None),
            item("item-2", "education", ManagementRoute::Isf, 50, Some(org)),
        ],
        Some(("social_care", 50_000)),
    );
    let amounts = annual_amounts(&content);
    assert_eq!(amounts[&("social_care".into(), ManagementRoute::DirectPayment, Payee::Family)], Pence::new(570_000));
    let isf = Payee::IsfHolder { organisation: org, item: "item-2".into() };
    assert_eq!(amounts[&("education".into(), ManagementRoute::Isf, isf)], Pence::new(260_000));
    let elsewhere = plan(content.items.clone(), Some(("health", 10_000)));
    assert_eq!(
        annual_amounts(&elsewhere)[&("health".into(), ManagementRoute::CouncilManaged, Payee::OnInvoice)],
        Pence::new(10_000)
    );
}

#[test]
fn a_plan_agreed_part_way_through_the_year_gets_a_pro_rata_budget_and_schedule() {
    let child = ChildId::from_bytes([1; 16]);
    let content = plan(vec![item("item-1", "social_care", ManagementRoute::DirectPayment, 200, None)], None);
    let agreed = [AgreedPlan { version: 1, agreed_on: date(2026, 10, 1), content: &content }];
    let money = year_money(child, &agreed, None, fy(2026));
    // £10,400 a year for 182 days (1 October to 31 March) of 365.
    assert_eq!(money.budgets.len(), 1);
    assert_eq!(money.budgets[0].amount, Pence::new(518_575));
    assert_eq!(money.budgets[0].on, date(2026, 10, 1));
    // Four-weekly from 1 October: 7 payments to 31 March.
    assert_eq!(money.instalments.len(), 7);
    let total = Pence::checked_sum(money.instalments.iter().map(|t| t.amount)).unwrap();
    assert_eq!(total, Pence::new(518_575));
    assert_eq!(money.instalments[0].amount, Pence::new(74_083));
    assert_eq!(money.instalments[6].on, date(2027, 3, 18));
    assert!(
        money.instalments.iter().all(|t| t.phase == Phase::Pending && t.credit == AccountKey::DirectPayment { child })
    );
    // The next year is a whole year.
    let next = year_money(child, &agreed, None, fy(2027));
    assert_eq!(next.budgets[0].amount, Pence::new(1_040_000));
    assert_eq!(next.instalments.len(), 13);
    assert_eq!(next.instalments[0].on, date(2027, 4, 1));
}

#[test]
fn working_the_money_out_again_gives_the_same_ids() {
    let child = ChildId::from_bytes([1; 16]);
    let content = plan(vec![item("item-1", "social_care", ManagementRoute::DirectPayment, 200, None)], None);
    let agreed = [AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &content }];
    let a = year_money(child, &agreed, None, fy(2026));
    let b = year_money(child, &agreed, None, fy(2026));
    assert_eq!(a.budgets, b.budgets);
    assert_eq!(a.instalments, b.instalments);
    let other = year_money(ChildId::from_bytes([2; 16]), &agreed, None, fy(2026));
    assert_ne!(a.budgets[0].id, other.budgets[0].id);
}

#[test]
fn a_replaced_plan_gives_back_the_rest_of_its_budget_and_stops_its_payments() {
    let child = ChildId::from_bytes([1; 16]);
    let first = plan(vec![item("item-1", "social_care", ManagementRoute::DirectPayment, 100, None)], None);
    let second = plan(vec![item("item-1", "social_care", ManagementRoute::DirectPayment, 150, None)], None);
    let agreed = [
        AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &first },
        AgreedPlan { version: 2, agreed_on: date(2026, 7, 1), content: &second },
    ];
    let money = year_money(child, &agreed, None, fy(2026));
    let kinds: Vec<(TransferKind, Pence, Date)> = money.budgets.iter().map(|t| (t.kind, t.amount, t.on)).collect();
    assert_eq!(
        kinds,
        vec![
            (TransferKind::Budget, Pence::new(520_000), date(2026, 4, 1)),
            // 1 July to 31 March is 274 days: £5,200 × 274 / 365 = £3,903.56.
            (TransferKind::Reduction, Pence::new(390_356), date(2026, 7, 1)),
            // £7,800 × 274 / 365 = £5,855.34.
            (TransferKind::Budget, Pence::new(585_534), date(2026, 7, 1)),
        ]
    );
    let first_payments: Vec<Date> =
        money.instalments.iter().filter(|t| t.reference.contains("version 1")).map(|t| t.on).collect();
    assert_eq!(first_payments, vec![date(2026, 4, 1), date(2026, 4, 29), date(2026, 5, 27), date(2026, 6, 24)]);

    // On the ledger: the old plan's reserved payments after the change are
    // voided by the store before the reduction; what was paid stays paid.
    let mut ledger = Ledger::default();
    let old = year_money(child, &agreed[..1], None, fy(2026));
    for t in old.budgets.iter().chain(&old.instalments) {
        assert_eq!(ledger.apply(t), Ok(Applied::Created));
    }
    for (n, t) in old.instalments.iter().enumerate().filter(|(_, t)| t.on > date(2026, 6, 30)) {
        let void = Transfer::void(TransferId::derived(&format!("void {n}")), t, date(2026, 7, 1), "replaced");
        assert_eq!(ledger.apply(&void), Ok(Applied::Created));
    }
    for t in &money.budgets {
        let applied = if t.kind == TransferKind::Reduction { ledger.take_back(t) } else { ledger.apply(t) };
        assert!(applied.is_ok(), "{t:?}");
    }
    let budget = AccountKey::Budget {
        child,
        stream: "social_care".into(),
        route: ManagementRoute::DirectPayment,
        year: fy(2026),
    };
    // Four payments of £400 (£5,200 / 13) were reserved before July: the
    // old plan kept £1,296.44 by days but £1,600 was committed, so only
    // £3,600 could be taken back, not £3,903.56.
    let reduction = ledger.created().find(|t| t.kind == TransferKind::Reduction).unwrap();
    assert_eq!(reduction.amount, Pence::new(360_000));
    assert_eq!(ledger.balances(&budget).available(), Pence::new(585_534));
    assert_eq!(ledger.take_back(&money.budgets[1]), Ok(Applied::AlreadyExists));
    assert!(verify(ledger.accounts(), ledger.created()).is_empty());
}

#[test]
fn a_closed_case_stops_its_money_at_the_closure() {
    let child = ChildId::from_bytes([1; 16]);
    let content = plan(vec![item("item-1", "social_care", ManagementRoute::DirectPayment, 100, None)], None);
    let agreed = [AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &content }];
    let money = year_money(child, &agreed, Some(date(2026, 5, 1)), fy(2026));
    assert_eq!(money.instalments.len(), 2, "1 and 29 April");
    assert_eq!(money.budgets[1].kind, TransferKind::Reduction);
    assert!(year_money(child, &agreed, Some(date(2026, 5, 1)), fy(2027)).budgets.is_empty());
}

#[test]
fn isf_money_is_paid_to_the_holder_item_by_item() {
    let child = ChildId::from_bytes([1; 16]);
    let org = OrganisationId::from_bytes([4; 16]);
    let content = PlanContent {
        payment_schedule: PaymentSchedule::Monthly,
        ..plan(
            vec![
                item("item-1", "education", ManagementRoute::Isf, 30, Some(org)),
                item("item-2", "education", ManagementRoute::CouncilManaged, 30, None),
            ],
            None,
        )
    };
    let agreed = [AgreedPlan { version: 1, agreed_on: date(2026, 4, 1), content: &content }];
    let money = year_money(child, &agreed, None, fy(2026));
    assert_eq!(money.instalments.len(), 12);
    assert!(money.instalments.iter().all(|t| t.credit == AccountKey::Organisation { organisation: org }));
    assert!(money.instalments.iter().all(|t| t.item.as_deref() == Some("item-1")));
    assert_eq!(money.instalments[0].amount, Pence::new(13_000));
    // The council-managed item has a budget but no schedule.
    assert_eq!(money.budgets.len(), 2);
}

proptest! {
    #[test]
    fn a_schedule_always_adds_up_to_its_amount(pence in 0i64..100_000_000, monthly in any::<bool>(), start in 0i32..365) {
        let year = fy(2026);
        let from = year.first_day().checked_add(start.days()).unwrap();
        let schedule = if monthly { PaymentSchedule::Monthly } else { PaymentSchedule::FourWeekly };
        let split = instalments(Pence::new(pence), schedule, from, year.last_day());
        prop_assert!(!split.is_empty());
        prop_assert_eq!(Pence::checked_sum(split.iter().map(|i| i.amount)), Some(Pence::new(pence)));
        let rest = split[1..].iter().map(|i| i.amount).max().unwrap_or(split[0].amount);
        prop_assert!(split[0].amount >= rest && split[0].amount.pence() - rest.pence() < i64::try_from(split.len()).unwrap());
    }

    /// Pro-rata is exact: within half a penny of the true fraction, and the
    /// parts of a year split at any day add up to within a penny.
    #[test]
    fn pro_rata_is_the_exact_fraction_rounded_half_up(annual in 0i64..1_000_000_000, days in 0i32..=365, leap in any::<bool>()) {
        let year = if leap { fy(2027) } else { fy(2026) };
        let p = i128::from(pro_rata(Pence::new(annual), days, year).pence());
        let exact_twice = 2 * i128::from(annual) * i128::from(days);
        let in_year = i128::from(year.days());
        // |p − a·d/y| ≤ ½, and exactly ½ rounds up.
        prop_assert!((2 * p * in_year - exact_twice).abs() <= in_year);
        prop_assert!(2 * p * in_year - exact_twice > -in_year);
    }
}
