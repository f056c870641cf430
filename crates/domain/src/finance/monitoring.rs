//! Direct-payment alerts: money building up, spend on things not in the
//! plan, spend above an item's yearly amount, and nothing spent for weeks.
//! An alert asks for a conversation with the family; it decides nothing.
//!
//! "A week of payments" is the plan's yearly direct payment divided by 52,
//! rounded down to the penny. With no direct payment in the plan (a yearly
//! amount of zero) there is no week of payments to measure against, so the
//! balance and no-spend alerts are not raised; spend is still checked
//! against the plan, since spend against a plan that pays nothing is worth a
//! look.

use crate::code_list;
use crate::finance::budget::{Payee, annual_amounts};
use crate::finance::dp_audit::long_date;
use crate::finance::settings::Monitoring;
use crate::finance::statement::ChildMoney;
use crate::money::Pence;
use crate::pathway::content::PlanContent;
use jiff::Span;
use jiff::civil::Date;

/// Spend against one item of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpend {
    pub key: String,
    pub name: String,
    /// What the plan gives the item in a year.
    pub annual: Pence,
    pub spent: Pence,
}

/// What is known about a child's direct payment, for the alerts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirectPaymentPicture {
    /// The plan's yearly direct payment.
    pub annual_direct_payment: Pence,
    /// Money in the family's account: paid in less spent.
    pub balance: Pence,
    pub first_paid_on: Option<Date>,
    pub last_spend_on: Option<Date>,
    /// Spend put against no item of the plan, and on how many lines.
    pub unplanned_spend: Pence,
    pub unplanned_lines: u64,
    /// The plan's items, in the plan's order.
    pub items: Vec<ItemSpend>,
}

impl DirectPaymentPicture {
    /// The picture from a child's money in the year and their current plan.
    pub fn of(money: &ChildMoney, plan: Option<&PlanContent>) -> DirectPaymentPicture {
        let family =
            plan.map(annual_amounts).into_iter().flatten().filter(|((_, _, payee), _)| *payee == Payee::Family);
        let dp = money.direct_payment;
        DirectPaymentPicture {
            annual_direct_payment: Pence::checked_sum(family.map(|(_, amount)| amount)).unwrap_or(Pence::ZERO),
            balance: dp.map_or(Pence::ZERO, |d| d.balance),
            first_paid_on: dp.and_then(|d| d.first_paid_on),
            last_spend_on: dp.and_then(|d| d.last_spend_on),
            unplanned_spend: money.not_in_plan,
            unplanned_lines: money.not_in_plan_lines,
            items: (money.streams.iter().flat_map(|s| &s.items))
                .map(|i| ItemSpend { key: i.key.clone(), name: i.what.clone(), annual: i.annual, spent: i.spent })
                .collect(),
        }
    }
}

code_list!(
    /// Why a direct payment needs a closer look.
    AlertKind, "alert" {
        BalanceHigh = "balance_high", "Money building up in the account";
        SpendNotInPlan = "spend_not_in_plan", "Spend on things not in the plan";
        SpendAboveItem = "spend_above_item", "Spend above an item's yearly amount";
        NoSpend = "no_spend", "Nothing spent for weeks";
    }
);

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// The plan item, for spend above an item's yearly amount.
    pub item_key: Option<String>,
    /// What the alert is about: the balance (money building up, or sitting
    /// unspent), the spend not in the plan, or the spend above the item's
    /// yearly amount.
    pub amount: Pence,
    pub message: String,
}

/// A week of payments: the yearly amount divided by 52, rounded down.
pub fn weekly_payment(annual: Pence) -> Pence {
    Pence::new(annual.pence().max(0) / 52)
}

/// The alerts for a direct payment as of `today`, in the order of
/// [`AlertKind::ALL`] (items in the plan's order).
pub fn alerts(picture: &DirectPaymentPicture, rules: &Monitoring, today: Date) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let paying = picture.annual_direct_payment > Pence::ZERO;
    let weekly = weekly_payment(picture.annual_direct_payment);
    let limit = Pence::new(weekly.pence().saturating_mul(i64::from(rules.balance_above_weeks)));
    if paying && picture.balance > limit {
        alerts.push(Alert {
            kind: AlertKind::BalanceHigh,
            item_key: None,
            amount: picture.balance,
            message: format!(
                "The balance of {} is more than {} of payments ({limit}).",
                picture.balance,
                weeks(rules.balance_above_weeks)
            ),
        });
    }
    if picture.unplanned_spend > Pence::ZERO {
        let lines = match picture.unplanned_lines {
            0 => String::new(),
            1 => " (1 line)".to_owned(),
            n => format!(" ({n} lines)"),
        };
        alerts.push(Alert {
            kind: AlertKind::SpendNotInPlan,
            item_key: None,
            amount: picture.unplanned_spend,
            message: format!("{} was spent on things not in the plan{lines}.", picture.unplanned_spend),
        });
    }
    for item in picture.items.iter().filter(|i| i.spent > i.annual) {
        let over = Pence::new(item.spent.pence().saturating_sub(item.annual.pence()));
        alerts.push(Alert {
            kind: AlertKind::SpendAboveItem,
            item_key: Some(item.key.clone()),
            amount: over,
            message: format!(
                "{} was spent on {}: {over} more than its yearly amount of {}.",
                item.spent, item.name, item.annual
            ),
        });
    }
    if let (true, Some(first)) = (paying, picture.first_paid_on) {
        // Spend dated before the first payment does not restart the clock:
        // nothing can be expected of a family before money arrives.
        let since = picture.last_spend_on.map_or(first, |last| last.max(first));
        let quiet_until = Span::new()
            .try_days(i64::from(rules.no_spend_weeks) * 7)
            .ok()
            .and_then(|s| since.checked_add(s).ok())
            .unwrap_or(Date::MAX);
        if quiet_until < today {
            let from = if picture.last_spend_on.is_some_and(|l| l >= first) {
                long_date(since)
            } else {
                format!("the first payment on {}", long_date(since))
            };
            alerts.push(Alert {
                kind: AlertKind::NoSpend,
                item_key: None,
                amount: picture.balance,
                message: format!(
                    "Nothing has been spent since {from}: more than {}. The balance is {}.",
                    weeks(rules.no_spend_weeks),
                    picture.balance
                ),
            });
        }
    }
    alerts
}

fn weeks(n: u32) -> String {
    if n == 1 { "1 week".to_owned() } else { format!("{n} weeks") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const RULES: Monitoring = Monitoring { balance_above_weeks: 8, no_spend_weeks: 8 };
    const TODAY: Date = date(2026, 11, 2);

    /// £5,200 a year: £100.00 a week, so 8 weeks is £800.00. Spent last
    /// week, nothing over the plan.
    fn picture() -> DirectPaymentPicture {
        DirectPaymentPicture {
            annual_direct_payment: Pence::from_pounds(5_200),
            balance: Pence::from_pounds(300),
            first_paid_on: Some(date(2026, 4, 1)),
            last_spend_on: Some(date(2026, 10, 26)),
            unplanned_spend: Pence::ZERO,
            unplanned_lines: 0,
            items: vec![
                ItemSpend {
                    key: "item-1".into(),
                    name: "Personal assistant".into(),
                    annual: Pence::from_pounds(4_000),
                    spent: Pence::from_pounds(2_000),
                },
                ItemSpend {
                    key: "item-2".into(),
                    name: "Short breaks".into(),
                    annual: Pence::from_pounds(1_200),
                    spent: Pence::from_pounds(600),
                },
            ],
        }
    }

    fn kinds(p: &DirectPaymentPicture, today: Date) -> Vec<AlertKind> {
        alerts(p, &RULES, today).iter().map(|a| a.kind).collect()
    }

    #[test]
    fn a_direct_payment_used_as_planned_raises_nothing() {
        assert_eq!(alerts(&picture(), &RULES, TODAY), []);
        assert_eq!(alerts(&DirectPaymentPicture::default(), &RULES, TODAY), [], "no direct payment at all");
    }

    #[test]
    fn a_week_of_payments_is_a_52nd_of_the_year_rounded_down() {
        assert_eq!(weekly_payment(Pence::from_pounds(5_200)), Pence::from_pounds(100));
        assert_eq!(weekly_payment(Pence::new(10_051)), Pence::new(193), "£100.51 / 52 = £1.9328…");
        assert_eq!(weekly_payment(Pence::new(51)), Pence::ZERO);
        assert_eq!(weekly_payment(Pence::new(-5_200)), Pence::ZERO);
    }

    #[test]
    fn a_balance_above_the_weeks_of_payments_is_flagged() {
        let at = DirectPaymentPicture { balance: Pence::from_pounds(800), ..picture() };
        assert_eq!(kinds(&at, TODAY), [], "exactly 8 weeks");
        let below = DirectPaymentPicture { balance: Pence::new(79_999), ..picture() };
        assert_eq!(kinds(&below, TODAY), []);
        let above = DirectPaymentPicture { balance: Pence::new(80_001), ..picture() };
        let a = alerts(&above, &RULES, TODAY);
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].kind, a[0].amount, a[0].item_key.as_deref()),
            (AlertKind::BalanceHigh, Pence::new(80_001), None)
        );
        assert_eq!(a[0].message, "The balance of £800.01 is more than 8 weeks of payments (£800.00).");
        let one_week = Monitoring { balance_above_weeks: 1, ..RULES };
        let a = alerts(&DirectPaymentPicture { balance: Pence::new(10_001), ..picture() }, &one_week, TODAY);
        assert_eq!(a[0].message, "The balance of £100.01 is more than 1 week of payments (£100.00).");
    }

    #[test]
    fn with_no_direct_payment_in_the_plan_only_spend_is_checked() {
        let ended = DirectPaymentPicture {
            annual_direct_payment: Pence::ZERO,
            balance: Pence::from_pounds(2_000),
            last_spend_on: Some(date(2026, 1, 1)),
            unplanned_spend: Pence::new(1),
            unplanned_lines: 1,
            ..picture()
        };
        assert_eq!(kinds(&ended, TODAY), [AlertKind::SpendNotInPlan]);
    }

    #[test]
    fn spend_not_in_the_plan_is_one_alert_with_the_total() {
        let one = DirectPaymentPicture { unplanned_spend: Pence::new(1), unplanned_lines: 1, ..picture() };
        let a = alerts(&one, &RULES, TODAY);
        assert_eq!((a[0].kind, a[0].amount), (AlertKind::SpendNotInPlan, Pence::new(1)));
        assert_eq!(a[0].message, "£0.01 was spent on things not in the plan (1 line).");
        let many = DirectPaymentPicture { unplanned_spend: Pence::new(123_456), unplanned_lines: 14, ..picture() };
        assert_eq!(
            alerts(&many, &RULES, TODAY)[0].message,
            "£1,234.56 was spent on things not in the plan (14 lines)."
        );
        let uncounted = DirectPaymentPicture { unplanned_spend: Pence::new(500), ..picture() };
        assert_eq!(alerts(&uncounted, &RULES, TODAY)[0].message, "£5.00 was spent on things not in the plan.");
        let refunded = DirectPaymentPicture { unplanned_spend: Pence::new(-500), unplanned_lines: 2, ..picture() };
        assert_eq!(kinds(&refunded, TODAY), [], "refunds more than the spend");
    }

    #[test]
    fn spend_above_an_items_yearly_amount_is_flagged_per_item_with_the_excess() {
        let mut p = picture();
        p.items[0].spent = p.items[0].annual;
        assert_eq!(kinds(&p, TODAY), [], "exactly the yearly amount");
        p.items[0].spent = Pence::new(p.items[0].annual.pence() - 1);
        assert_eq!(kinds(&p, TODAY), []);
        p.items[0].spent = Pence::new(p.items[0].annual.pence() + 1);
        p.items[1].spent = Pence::new(135_000);
        let a = alerts(&p, &RULES, TODAY);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].item_key.as_deref(), a[0].amount), (Some("item-1"), Pence::new(1)));
        assert_eq!((a[1].item_key.as_deref(), a[1].amount), (Some("item-2"), Pence::from_pounds(150)));
        assert_eq!(
            a[1].message,
            "£1,350.00 was spent on Short breaks: £150.00 more than its yearly amount of £1,200.00."
        );
    }

    #[test]
    fn no_spend_for_more_than_the_weeks_is_flagged() {
        // The last spend 56 days (8 weeks) before today: not yet.
        let at = DirectPaymentPicture { last_spend_on: Some(date(2026, 9, 7)), ..picture() };
        assert_eq!(kinds(&at, TODAY), []);
        let below = DirectPaymentPicture { last_spend_on: Some(date(2026, 9, 8)), ..picture() };
        assert_eq!(kinds(&below, TODAY), []);
        let above = DirectPaymentPicture { last_spend_on: Some(date(2026, 9, 6)), ..picture() };
        let a = alerts(&above, &RULES, TODAY);
        assert_eq!((a[0].kind, a[0].amount), (AlertKind::NoSpend, Pence::from_pounds(300)));
        assert_eq!(
            a[0].message,
            "Nothing has been spent since 6 September 2026: more than 8 weeks. The balance is £300.00."
        );
    }

    #[test]
    fn with_no_spend_yet_the_weeks_run_from_the_first_payment() {
        let never = |first| DirectPaymentPicture { first_paid_on: Some(first), last_spend_on: None, ..picture() };
        assert_eq!(kinds(&never(date(2026, 9, 7)), TODAY), []);
        let a = alerts(&never(date(2026, 9, 6)), &RULES, TODAY);
        assert_eq!(
            a[0].message,
            "Nothing has been spent since the first payment on 6 September 2026: more than 8 weeks. The balance is £300.00."
        );
        // Spend before the money arrived does not count against the family.
        let early = DirectPaymentPicture { last_spend_on: Some(date(2026, 1, 1)), ..never(date(2026, 9, 7)) };
        assert_eq!(kinds(&early, TODAY), []);
        let not_paid = DirectPaymentPicture { first_paid_on: None, last_spend_on: None, ..picture() };
        assert_eq!(kinds(&not_paid, TODAY), [], "nothing paid in yet");
    }

    #[test]
    fn every_alert_at_once_comes_in_a_stable_order() {
        let mut p = DirectPaymentPicture {
            balance: Pence::from_pounds(5_000),
            last_spend_on: Some(date(2026, 1, 1)),
            unplanned_spend: Pence::from_pounds(20),
            unplanned_lines: 2,
            ..picture()
        };
        p.items[1].spent = Pence::from_pounds(1_300);
        p.items[0].spent = Pence::from_pounds(4_100);
        let a = alerts(&p, &RULES, TODAY);
        let got: Vec<(AlertKind, Option<&str>)> = a.iter().map(|a| (a.kind, a.item_key.as_deref())).collect();
        assert_eq!(
            got,
            [
                (AlertKind::BalanceHigh, None),
                (AlertKind::SpendNotInPlan, None),
                (AlertKind::SpendAboveItem, Some("item-1")),
                (AlertKind::SpendAboveItem, Some("item-2")),
                (AlertKind::NoSpend, None),
            ]
        );
        assert_eq!(alerts(&p, &RULES, TODAY), a);
        assert_eq!(AlertKind::parse("no_spend"), Ok(AlertKind::NoSpend));
        assert_eq!(AlertKind::BalanceHigh.label(), "Money building up in the account");
    }

    proptest! {
        #[test]
        fn the_balance_alert_is_exactly_the_rule(annual in 0i64..100_000_000, balance in -1_000_000i64..100_000_000, weeks in 1u32..=52) {
            let p = DirectPaymentPicture {
                annual_direct_payment: Pence::new(annual),
                balance: Pence::new(balance),
                ..DirectPaymentPicture::default()
            };
            let rules = Monitoring { balance_above_weeks: weeks, no_spend_weeks: 8 };
            let flagged = alerts(&p, &rules, TODAY).iter().any(|a| a.kind == AlertKind::BalanceHigh);
            prop_assert_eq!(flagged, annual > 0 && balance > annual / 52 * i64::from(weeks));
        }

        #[test]
        fn alerts_never_panic(
            annual in any::<i64>(), balance in any::<i64>(), unplanned in any::<i64>(),
            spent in any::<i64>(), item_annual in any::<i64>(), weeks in any::<u32>(), days in -5_000i64..5_000,
        ) {
            let first = TODAY.checked_add(Span::new().days(days)).unwrap();
            let p = DirectPaymentPicture {
                annual_direct_payment: Pence::new(annual),
                balance: Pence::new(balance),
                first_paid_on: Some(first),
                last_spend_on: None,
                unplanned_spend: Pence::new(unplanned),
                unplanned_lines: 1,
                items: vec![ItemSpend { key: "k".into(), name: "n".into(), annual: Pence::new(item_annual), spent: Pence::new(spent) }],
            };
            let rules = Monitoring { balance_above_weeks: weeks, no_spend_weeks: weeks };
            for a in alerts(&p, &rules, TODAY) {
                prop_assert!(a.amount >= Pence::ZERO || a.kind == AlertKind::NoSpend);
            }
        }
    }
}
