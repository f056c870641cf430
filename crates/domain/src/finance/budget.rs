//! From an agreed plan to money: the budget a plan sets up in each financial
//! year (pro-rata by days for a part year), the payment schedule of a
//! direct payment or an ISF, and the transfers that set budgets up and pay
//! instalments. Every amount is exact and every rounding named.
//!
//! A plan's money runs from the day it is agreed until the day before the
//! next version of the plan is agreed (or the case closes). Its budget for a
//! year is set up for the rest of that year when it is agreed; when a new
//! version replaces it, the part of its budget after the change is taken
//! back (a reduction), and its instalments from then on are never paid.

use crate::code_list;
use crate::dates::FinancialYear;
use crate::finance::ledger::{AccountKey, Phase, Transfer, TransferKind};
use crate::ids::{ChildId, OrganisationId, TransferId};
use crate::money::Pence;
use crate::pathway::content::PlanContent;
use crate::pathway::plan::ManagementRoute;
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::BTreeMap;

code_list!(
    /// How often a direct payment (or an ISF) is paid, always in advance.
    PaymentSchedule, "payment schedule" {
        FourWeekly = "four_weekly", "Every four weeks, in advance (13 a year)";
        Monthly = "monthly", "Every month, in advance (12 a year)";
    }
);

// `code_list!` fixes the derives, so the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for PaymentSchedule {
    fn default() -> Self {
        PaymentSchedule::FourWeekly
    }
}

/// `annual × days / days in the year`, rounded half-up to the penny (the
/// only rounding of a part-year budget). `annual` is never negative.
pub fn pro_rata(annual: Pence, days: i32, year: FinancialYear) -> Pence {
    let (annual, days, in_year) = (i128::from(annual.pence()), i128::from(days), i128::from(year.days()));
    // Half-up for non-negative amounts: floor((2·a·d + y) / 2y).
    let pence = (2 * annual * days + in_year) / (2 * in_year);
    Pence::new(i64::try_from(pence).expect("a pro-rata amount is smaller than the annual one"))
}

/// One payment of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Instalment {
    /// 1 for the first payment of the schedule in the year.
    pub number: u32,
    pub due: Date,
    pub amount: Pence,
}

impl PaymentSchedule {
    /// How many payments a whole year has.
    pub fn per_year(self) -> i32 {
        match self {
            PaymentSchedule::FourWeekly => 13,
            PaymentSchedule::Monthly => 12,
        }
    }
}

/// The schedule's payment dates from `from` to `to` (inclusive): every 28
/// days, or the same day each month (the last day of a shorter month); at
/// most 13 (or 12) in a year, since a fourteenth four-weekly date (31 March
/// in a year from 1 April) would pay for four weeks almost all in the next.
pub fn payment_dates(schedule: PaymentSchedule, from: Date, to: Date) -> Vec<Date> {
    let mut dates = Vec::new();
    for k in 0..schedule.per_year() {
        let next = match schedule {
            PaymentSchedule::FourWeekly => from.checked_add((28 * k).days()),
            // From the first date each time, so 31 January → 28 February → 31 March.
            PaymentSchedule::Monthly => from.checked_add(k.months()),
        };
        match next {
            Ok(d) if d <= to => dates.push(d),
            _ => break,
        }
    }
    dates
}

/// Splits `amount` over the schedule's dates from `from` to `to`: each
/// instalment is the amount divided by the count rounded down to the penny,
/// and the pence left over go on the first, so they add up exactly.
pub fn instalments(amount: Pence, schedule: PaymentSchedule, from: Date, to: Date) -> Vec<Instalment> {
    let dates = payment_dates(schedule, from, to);
    let Ok(count) = i64::try_from(dates.len()) else { return Vec::new() };
    if count == 0 {
        return Vec::new();
    }
    let each = amount.pence().div_euclid(count);
    let first = amount.pence() - each * (count - 1);
    dates
        .into_iter()
        .zip(1u32..)
        .map(|(due, number)| Instalment { number, due, amount: Pence::new(if number == 1 { first } else { each }) })
        .collect()
}

/// A version of a child's plan that was agreed, and on which day.
#[derive(Debug, Clone, Copy)]
pub struct AgreedPlan<'a> {
    pub version: i64,
    pub agreed_on: Date,
    pub content: &'a PlanContent,
}

/// Who a budget line pays.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Payee {
    /// The family's direct-payment account.
    Family,
    /// The organisation holding an ISF for one item.
    IsfHolder { organisation: OrganisationId, item: String },
    /// Nobody on a schedule: council- or NHS-managed money is paid against
    /// invoices.
    OnInvoice,
}

impl std::fmt::Display for Payee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Payee::Family => f.write_str("family"),
            Payee::IsfHolder { organisation, item } => write!(f, "isf/{organisation}/{item}"),
            Payee::OnInvoice => f.write_str("invoice"),
        }
    }
}

/// The annual amounts of one plan, per stream, route and payee, the
/// contingency with whoever [`contingency_route`] says holds it (a family
/// needs it to hand, say to cover a personal assistant's illness).
pub fn annual_amounts(content: &PlanContent) -> BTreeMap<(String, ManagementRoute, Payee), Pence> {
    let mut amounts: BTreeMap<(String, ManagementRoute, Payee), Pence> = BTreeMap::new();
    let mut add = |stream: &str, route: ManagementRoute, payee: Payee, amount: Pence| {
        let entry = amounts.entry((stream.to_owned(), route, payee)).or_default();
        *entry = entry.checked_add(amount).expect("plan amounts are bounded");
    };
    for item in &content.items {
        let i = &item.item;
        let payee = match (i.route, i.isf_holder) {
            (ManagementRoute::DirectPayment, _) => Payee::Family,
            (ManagementRoute::Isf, Some(organisation)) => Payee::IsfHolder { organisation, item: item.key.clone() },
            _ => Payee::OnInvoice,
        };
        add(&i.stream, i.route, payee, i.annual_cost());
    }
    if let Some(c) = &content.contingency {
        let route = contingency_route(content, &c.stream);
        let payee = if route == ManagementRoute::DirectPayment { Payee::Family } else { Payee::OnInvoice };
        add(&c.stream, route, payee, c.amount);
    }
    amounts
}

/// Who holds a plan's contingency for `stream`: the family, with the direct
/// payment, when the plan has direct-payment items in the stream; otherwise
/// the council.
pub fn contingency_route(content: &PlanContent, stream: &str) -> ManagementRoute {
    let dp = content.items.iter().any(|i| i.item.stream == stream && i.item.route == ManagementRoute::DirectPayment);
    if dp { ManagementRoute::DirectPayment } else { ManagementRoute::CouncilManaged }
}

/// The period a version's money runs in: from its agreement to the day
/// before the next agreed version (or the closure), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub until: Option<Date>,
}

impl Period {
    /// The days of `year` this period covers: first and last day, if any.
    pub fn within(self, year: FinancialYear) -> Option<(Date, Date)> {
        let from = self.from.max(year.first_day());
        let to = self.until.map_or(year.last_day(), |u| u.min(year.last_day()));
        (from <= to).then_some((from, to))
    }

    /// The same period, left open at its end.
    pub fn open(self) -> Period {
        Period { until: None, ..self }
    }
}

fn days(from: Date, to: Date) -> i32 {
    (to - from).get_days() + 1
}

/// The periods of each agreed version (`sorted` by agreement), the last one
/// ending the day before `closed` if the case closed.
fn periods(sorted: &[AgreedPlan<'_>], closed: Option<Date>) -> Vec<Period> {
    (0..sorted.len())
        .map(|i| {
            let next = sorted.get(i + 1).map(|p| p.agreed_on).or(closed);
            Period { from: sorted[i].agreed_on, until: next.map(|n| n.yesterday().expect("dates in range")) }
        })
        .collect()
}

/// Everything the ledger needs to hold for a child's agreed plans in one
/// financial year: the transfers that set up (and later reduce) its
/// budgets, and the instalments due to the family and ISF holders.
#[derive(Debug, Clone, Default)]
pub struct YearMoney {
    /// Budget set-ups and reductions, in order.
    pub budgets: Vec<Transfer>,
    /// Instalments, each a pending payment from a budget to its payee,
    /// dated when due; none after its plan was replaced.
    pub instalments: Vec<Transfer>,
}

/// The ledger's side of a child's agreed plans in `year`. Ids are derived
/// from what each transfer is (child, version, stream, route, payee, year,
/// instalment), so working this out again after a change gives the same ids
/// for the same money and recording them again is harmless.
pub fn year_money(child: ChildId, plans: &[AgreedPlan<'_>], closed: Option<Date>, year: FinancialYear) -> YearMoney {
    let mut sorted: Vec<AgreedPlan<'_>> = plans.to_vec();
    sorted.sort_by_key(|p| (p.agreed_on, p.version));
    let periods = periods(&sorted, closed);
    let mut money = YearMoney::default();
    for (plan, period) in sorted.iter().zip(periods) {
        let ended_before = period.until.is_some_and(|until| until < year.first_day());
        let Some((from, open_to)) = period.open().within(year).filter(|_| !ended_before) else { continue };
        let actual = period.within(year);
        for ((stream, route, payee), annual) in annual_amounts(plan.content) {
            let budget = AccountKey::Budget { child, stream: stream.clone(), route, year };
            let funding = AccountKey::Funding { stream: stream.clone(), year };
            let what = format!("{child}/{}/{stream}/{}/{payee}/{year}", plan.version, route.code());
            let set_up = pro_rata(annual, days(from, open_to), year);
            let kept = actual.map_or(Pence::ZERO, |(f, t)| pro_rata(annual, days(f, t), year));
            let item = match &payee {
                Payee::IsfHolder { item, .. } => Some(item.clone()),
                _ => None,
            };
            let transfer =
                |id: &str, debit: AccountKey, credit: AccountKey, amount, kind, on, reference: String| Transfer {
                    id: TransferId::derived(id),
                    debit,
                    credit,
                    amount,
                    kind,
                    phase: Phase::Posted,
                    item: item.clone(),
                    on,
                    reference,
                };
            if set_up > Pence::ZERO {
                money.budgets.push(transfer(
                    &format!("budget/{what}"),
                    funding.clone(),
                    budget.clone(),
                    set_up,
                    TransferKind::Budget,
                    from,
                    format!("Budget from plan version {} for {year}", plan.version),
                ));
            }
            let taken_back = Pence::new(set_up.pence() - kept.pence());
            if let (true, Some(until)) = (taken_back > Pence::ZERO, period.until) {
                let on = until.tomorrow().expect("dates in range");
                money.budgets.push(transfer(
                    &format!("reduction/{what}"),
                    budget.clone(),
                    funding,
                    taken_back,
                    TransferKind::Reduction,
                    on,
                    format!("Plan version {} replaced from {on}", plan.version),
                ));
            }
            let payee_account = match &payee {
                Payee::Family => AccountKey::DirectPayment { child },
                Payee::IsfHolder { organisation, .. } => AccountKey::Organisation { organisation: *organisation },
                Payee::OnInvoice => continue,
            };
            for i in instalments(set_up, plan.content.payment_schedule, from, open_to) {
                if period.until.is_some_and(|until| i.due > until) {
                    continue;
                }
                money.instalments.push(Transfer {
                    phase: Phase::Pending,
                    ..transfer(
                        &format!("instalment/{what}/{}", i.number),
                        budget.clone(),
                        payee_account.clone(),
                        i.amount,
                        TransferKind::Payment,
                        i.due,
                        format!("Payment {} of plan version {} for {year}", i.number, plan.version),
                    )
                });
            }
        }
    }
    money
}

#[cfg(test)]
mod tests;
