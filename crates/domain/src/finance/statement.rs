//! What a child's money comes to in a financial year, per funding stream
//! and management route: the budget, what is reserved, paid and spent, what
//! is left, how much of the contingency was used, and the spend against
//! each item of the plan. Worked out from the ledger's transfers and the
//! spend imported from statements and invoices, so it is always up to date.
//!
//! The council's ledger says what was paid; a statement says what the
//! family spent. Money in on a statement (the council's payment as the
//! bank shows it, a refund) is listed for the family but never counted as
//! paid: what the council paid is the ledger's business.

use crate::dates::FinancialYear;
use crate::finance::budget::contingency_route;
use crate::finance::ledger::{AccountKey, Phase, Transfer, TransferKind};
use crate::ids::{ChildId, TransferId};
use crate::money::Pence;
use crate::pathway::content::PlanContent;
use crate::pathway::plan::ManagementRoute;
use jiff::civil::Date;
use std::collections::{BTreeMap, HashSet};

/// Spend in the year on one plan item (or on none), from statements or
/// from invoices: the sums of the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendTotal {
    /// The item the lines were put against; `None` while a person has yet
    /// to decide.
    pub item_key: Option<String>,
    /// Lines from providers' invoices (not from the family's account).
    pub invoiced: bool,
    /// Money out, as a positive amount, and on how many lines.
    pub out: Pence,
    pub out_lines: u64,
    /// Money in (refunds, credits), as a positive amount.
    pub money_in: Pence,
    /// The day of the latest money out, if any.
    pub last_out: Option<Date>,
}

/// One plan item's spend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemMoney {
    pub key: String,
    pub what: String,
    /// What the plan gives the item for a whole year.
    pub annual: Pence,
    pub spent: Pence,
}

/// A child's money for one stream and route in the year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamMoney {
    pub stream: String,
    pub route: ManagementRoute,
    #[serde(flatten)]
    pub figures: BudgetFigures,
    /// Not yet paid or reserved: `budget − paid − committed`.
    pub left: Pence,
    /// Spent against this stream's and route's items.
    pub spent: Pence,
    /// The plan's contingency, if this stream and route hold it.
    pub contingency: Pence,
    /// Spend above items' annual amounts, up to the contingency.
    pub contingency_used: Pence,
    pub items: Vec<ItemMoney>,
}

/// What a budget (or a sum of budgets) comes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BudgetFigures {
    /// Set up from agreed plans, plus approved overspends, less reductions.
    pub budget: Pence,
    /// Reserved for payments not yet made.
    pub committed: Pence,
    /// Paid to the family or the provider.
    pub paid: Pence,
}

impl BudgetFigures {
    /// Counts a transfer that debits a budget account (or, with `credit`,
    /// credits it); `resolved` holds the pending transfers since posted or
    /// voided, which no longer count as reserved.
    pub fn count(&mut self, t: &Transfer, credit: bool, resolved: &HashSet<TransferId>) {
        match (t.kind, t.phase.moves_money()) {
            (TransferKind::Payment, true) if credit => sub(&mut self.paid, t.amount),
            (TransferKind::Payment, true) => add(&mut self.paid, t.amount),
            (TransferKind::Payment, false) if t.phase == Phase::Pending && !resolved.contains(&t.id) => {
                add(&mut self.committed, t.amount)
            }
            (TransferKind::Payment | TransferKind::Recovery, _) => {}
            (_, true) if credit => add(&mut self.budget, t.amount),
            (_, true) => sub(&mut self.budget, t.amount),
            (_, false) => {}
        }
    }

    /// Adds another budget's figures to these.
    pub fn add(&mut self, other: &BudgetFigures) {
        add(&mut self.budget, other.budget);
        add(&mut self.committed, other.committed);
        add(&mut self.paid, other.paid);
    }

    /// Not yet paid or reserved.
    pub fn left(&self) -> Pence {
        Pence::new(self.budget.pence() - self.paid.pence() - self.committed.pence())
    }
}

/// The pending transfers that have been posted or voided.
pub fn resolved(transfers: &[Transfer]) -> HashSet<TransferId> {
    transfers
        .iter()
        .filter_map(|t| match t.phase {
            Phase::Post(p) | Phase::Void(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// The family's direct-payment account, over its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DirectPaymentAccount {
    /// Paid in by the council, less money recovered.
    pub paid_in: Pence,
    /// Money out on the account's statements.
    pub spent: Pence,
    /// `paid_in − spent`: what should be in the account.
    pub balance: Pence,
    pub first_paid_on: Option<Date>,
    pub last_spend_on: Option<Date>,
}

/// What a child's money comes to in a year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildMoney {
    pub year: FinancialYear,
    pub streams: Vec<StreamMoney>,
    /// Present once the council has paid a direct payment.
    pub direct_payment: Option<DirectPaymentAccount>,
    /// Money out not against an item of the current plan: not yet put
    /// against one, or against an item the plan no longer has.
    pub not_in_plan: Pence,
    pub not_in_plan_lines: u64,
    /// Money in on statements and credits on invoices (refunds, top-ups).
    pub other_money_in: Pence,
}

fn add(total: &mut Pence, amount: Pence) {
    *total = total.checked_add(amount).expect("a child's money is bounded");
}

fn sub(total: &mut Pence, amount: Pence) {
    *total = total.checked_sub(amount).expect("a child's money is bounded");
}

/// Works out a child's money in `year` from `plan` (their current agreed
/// plan, if any), every transfer of theirs, the year's spend totals, and
/// the direct-payment account's spend and dates over its whole life.
pub fn child_money(
    child: ChildId,
    year: FinancialYear,
    plan: Option<&PlanContent>,
    transfers: &[Transfer],
    spend: &[SpendTotal],
    dp_spend: (Pence, Option<Date>),
) -> ChildMoney {
    let resolved = resolved(transfers);
    let mut rows: BTreeMap<(String, ManagementRoute), StreamMoney> = BTreeMap::new();
    let mut dp = DirectPaymentAccount {
        paid_in: Pence::ZERO,
        spent: dp_spend.0,
        balance: Pence::ZERO,
        first_paid_on: None,
        last_spend_on: dp_spend.1,
    };
    let mut dp_paid = false;
    let this_budget = |key: &AccountKey| match key {
        AccountKey::Budget { child: c, stream, route, year: y } if *c == child && *y == year => {
            Some((stream.clone(), *route))
        }
        _ => None,
    };
    for t in transfers {
        for (key, credit) in [(&t.debit, false), (&t.credit, true)] {
            if let Some((stream, route)) = this_budget(key) {
                row(&mut rows, &stream, route).figures.count(t, credit, &resolved);
            }
            if *key == (AccountKey::DirectPayment { child }) && t.phase.moves_money() {
                dp_paid = true;
                if credit {
                    add(&mut dp.paid_in, t.amount);
                    if t.kind == TransferKind::Payment {
                        dp.first_paid_on = Some(dp.first_paid_on.map_or(t.on, |d| d.min(t.on)));
                    }
                } else {
                    sub(&mut dp.paid_in, t.amount);
                }
            }
        }
    }

    let mut spent_by_item: BTreeMap<&str, Pence> = BTreeMap::new();
    let mut not_in_plan = Pence::ZERO;
    let mut not_in_plan_lines = 0;
    let mut other_money_in = Pence::ZERO;
    let items = plan.map_or(&[][..], |p| &p.items[..]);
    for s in spend {
        add(&mut other_money_in, s.money_in);
        match s.item_key.as_deref().filter(|k| items.iter().any(|i| i.key == *k)) {
            Some(key) => add(spent_by_item.entry(key).or_default(), s.out),
            None => {
                add(&mut not_in_plan, s.out);
                not_in_plan_lines += s.out_lines;
            }
        }
    }
    for item in items {
        let i = &item.item;
        let r = row(&mut rows, &i.stream, i.route);
        let spent = spent_by_item.get(item.key.as_str()).copied().unwrap_or_default();
        add(&mut r.spent, spent);
        r.items.push(ItemMoney { key: item.key.clone(), what: i.what.clone(), annual: i.annual_cost(), spent });
    }
    if let Some((p, c)) = plan.and_then(|p| Some((p, p.contingency.as_ref()?))) {
        let route = contingency_route(p, &c.stream);
        let r = row(&mut rows, &c.stream, route);
        r.contingency = c.amount;
        let above: i64 = r.items.iter().map(|i| (i.spent.pence() - i.annual.pence()).max(0)).sum();
        r.contingency_used = Pence::new(above.min(c.amount.pence()));
    }
    for r in rows.values_mut() {
        r.left = r.figures.left();
    }
    dp.balance = Pence::new(dp.paid_in.pence() - dp.spent.pence());
    ChildMoney {
        year,
        streams: rows.into_values().collect(),
        direct_payment: (dp_paid || dp.spent > Pence::ZERO).then_some(dp),
        not_in_plan,
        not_in_plan_lines,
        other_money_in,
    }
}

/// The row for a stream and route, made empty the first time.
fn row<'a>(
    rows: &'a mut BTreeMap<(String, ManagementRoute), StreamMoney>,
    stream: &str,
    route: ManagementRoute,
) -> &'a mut StreamMoney {
    rows.entry((stream.to_owned(), route)).or_insert_with(|| StreamMoney {
        stream: stream.to_owned(),
        route,
        figures: BudgetFigures::default(),
        left: Pence::ZERO,
        spent: Pence::ZERO,
        contingency: Pence::ZERO,
        contingency_used: Pence::ZERO,
        items: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
