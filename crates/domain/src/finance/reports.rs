//! The area's money reports, worked out from the ledger's transfers: what
//! the budgets came to and what was paid, by funding stream, management
//! route and month; and what each provider or school was paid, per child
//! and plan item (a school holding individual service funds uses it for
//! its annual review reports).
//!
//! "Paid" is money that left a budget: to a family's direct-payment
//! account, or to a provider or school. What a family then spent is on
//! their statements, not here.

use crate::dates::FinancialYear;
use crate::finance::ledger::{AccountKey, Phase, Transfer, TransferKind};
use crate::finance::statement::{BudgetFigures, resolved};
use crate::ids::{ChildId, OrganisationId};
use crate::money::Pence;
use crate::pathway::plan::ManagementRoute;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// One stream and route across the area in a year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamRouteSpend {
    pub stream: String,
    pub route: ManagementRoute,
    #[serde(flatten)]
    pub figures: BudgetFigures,
    pub left: Pence,
    /// Children with a budget or a payment on this stream and route.
    pub children: usize,
    /// Paid in each month of the year, April first (`2026-04`), every
    /// month listed.
    pub paid_by_month: BTreeMap<String, Pence>,
}

/// The area's money in a year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AreaSpend {
    pub year: FinancialYear,
    pub streams: Vec<StreamRouteSpend>,
    #[serde(flatten)]
    pub total: BudgetFigures,
    pub left: Pence,
    /// Unspent direct-payment money recovered in the year.
    pub recovered: Pence,
    pub paid_by_month: BTreeMap<String, Pence>,
}

/// The month a day falls in, as `2026-04`.
fn month(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Every month of `year`, each with nothing in it.
fn months(year: FinancialYear) -> BTreeMap<String, Pence> {
    let mut day = year.first_day();
    let mut months = BTreeMap::new();
    while year.contains(day) {
        months.insert(month(day), Pence::ZERO);
        day = day.checked_add(jiff::Span::new().months(1)).expect("dates in range");
    }
    months
}

/// Adds `amount` (negative to take away) to a month.
fn add_to_month(months: &mut BTreeMap<String, Pence>, month: &str, amount: Pence) {
    let m = months.entry(month.to_owned()).or_default();
    *m = m.checked_add(amount).expect("an area's money is bounded");
}

/// The area's budgets and payments in `year`, from every transfer in the
/// area.
pub fn area_spend(transfers: &[Transfer], year: FinancialYear) -> AreaSpend {
    let resolved = resolved(transfers);
    let mut rows: BTreeMap<(String, ManagementRoute), (StreamRouteSpend, std::collections::BTreeSet<ChildId>)> =
        BTreeMap::new();
    let mut recovered = 0i64;
    for t in transfers {
        for (key, credit) in [(&t.debit, false), (&t.credit, true)] {
            match key {
                AccountKey::Budget { child, stream, route, year: y } if *y == year => {
                    let (row, children) = rows.entry((stream.clone(), *route)).or_insert_with(|| {
                        let row = StreamRouteSpend {
                            stream: stream.clone(),
                            route: *route,
                            figures: BudgetFigures::default(),
                            left: Pence::ZERO,
                            children: 0,
                            paid_by_month: months(year),
                        };
                        (row, Default::default())
                    });
                    children.insert(*child);
                    row.figures.count(t, credit, &resolved);
                    if t.kind == TransferKind::Payment && t.phase.moves_money() {
                        let sign = if credit { -1 } else { 1 };
                        add_to_month(&mut row.paid_by_month, &month(t.on), Pence::new(sign * t.amount.pence()));
                    }
                }
                AccountKey::Recovered { year: y } if *y == year && t.phase.moves_money() => {
                    recovered += if credit { t.amount.pence() } else { -t.amount.pence() };
                }
                _ => {}
            }
        }
    }
    let mut total = BudgetFigures::default();
    let mut paid_by_month = months(year);
    let streams: Vec<StreamRouteSpend> = rows
        .into_values()
        .map(|(mut row, children)| {
            row.children = children.len();
            row.left = row.figures.left();
            total.add(&row.figures);
            for (m, amount) in &row.paid_by_month {
                add_to_month(&mut paid_by_month, m, *amount);
            }
            row
        })
        .collect();
    AreaSpend { year, streams, left: total.left(), total, recovered: Pence::new(recovered), paid_by_month }
}

/// What an organisation was paid for one item of a child's plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemPayments {
    /// The plan item's key, if the payment named one.
    pub item: Option<String>,
    pub stream: String,
    pub route: ManagementRoute,
    pub paid: Pence,
    /// Reserved for payments still to come this year.
    pub committed: Pence,
}

/// What an organisation was paid for one child.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildPayments {
    pub child: ChildId,
    pub items: Vec<ItemPayments>,
    pub paid: Pence,
    pub committed: Pence,
}

/// What one provider or school was paid in a year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OrganisationPayments {
    pub organisation: OrganisationId,
    pub children: Vec<ChildPayments>,
    pub paid: Pence,
    pub committed: Pence,
}

/// What each organisation was paid (and has still to be paid) from
/// budgets of `year`, on `route` if one is given: per child and item.
pub fn organisation_payments(
    transfers: &[Transfer],
    year: FinancialYear,
    route: Option<ManagementRoute>,
) -> Vec<OrganisationPayments> {
    let resolved = resolved(transfers);
    type Key = (OrganisationId, ChildId, Option<String>, String, ManagementRoute);
    let mut lines: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for t in transfers.iter().filter(|t| t.kind == TransferKind::Payment) {
        // A payment debits a budget and credits the organisation; its
        // reversal does the opposite.
        let (budget, organisation, sign) = match (&t.debit, &t.credit) {
            (b @ AccountKey::Budget { .. }, AccountKey::Organisation { organisation }) => (b, *organisation, 1),
            (AccountKey::Organisation { organisation }, b @ AccountKey::Budget { .. }) => (b, *organisation, -1),
            _ => continue,
        };
        let AccountKey::Budget { child, stream, route: r, year: y } = budget else { continue };
        if *y != year || route.is_some_and(|wanted| wanted != *r) {
            continue;
        }
        let line = lines.entry((organisation, *child, t.item.clone(), stream.clone(), *r)).or_default();
        if t.phase.moves_money() {
            line.0 += sign * t.amount.pence();
        } else if t.phase == Phase::Pending && !resolved.contains(&t.id) {
            line.1 += t.amount.pence();
        }
    }
    let mut report: Vec<OrganisationPayments> = Vec::new();
    for ((organisation, child, item, stream, route), (paid, committed)) in lines {
        if report.last().is_none_or(|o| o.organisation != organisation) {
            report.push(OrganisationPayments {
                organisation,
                children: Vec::new(),
                paid: Pence::ZERO,
                committed: Pence::ZERO,
            });
        }
        let o = report.last_mut().expect("pushed");
        if o.children.last().is_none_or(|c| c.child != child) {
            o.children.push(ChildPayments { child, items: Vec::new(), paid: Pence::ZERO, committed: Pence::ZERO });
        }
        let c = o.children.last_mut().expect("pushed");
        let (paid, committed) = (Pence::new(paid), Pence::new(committed));
        c.items.push(ItemPayments { item, stream, route, paid, committed });
        for total in [&mut c.paid, &mut o.paid] {
            *total = total.checked_add(paid).expect("an area's money is bounded");
        }
        for total in [&mut c.committed, &mut o.committed] {
            *total = total.checked_add(committed).expect("an area's money is bounded");
        }
    }
    report
}

#[cfg(test)]
mod tests;
