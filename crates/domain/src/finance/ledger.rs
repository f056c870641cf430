//! The budget ledger, modelled on TigerBeetle's accounts and transfers.
//!
//! Money lives in accounts (a child's budget for a stream, route and year;
//! the area's funding for a stream and year; the family's direct-payment
//! account; a provider or school; money recovered). It moves only by
//! transfers, which are never changed: a mistake is put right by a new
//! transfer that names the one it reverses. Committing money is two-phase
//! where it fits: a pending transfer reserves it, then one later transfer
//! posts it (the payment) or voids it (the commitment was cancelled).
//!
//! Each transfer carries an id chosen by whoever sends it, so sending the
//! same transfer twice is a harmless "already exists"; the same id with
//! different fields is an error. A budget account is never overdrawn: more
//! money for a budget is itself a transfer (an approved overspend), made by
//! someone with the authority, with reasons.

use crate::code_list;
use crate::dates::FinancialYear;
use crate::ids::{ChildId, OrganisationId, TransferId};
use crate::money::Pence;
use crate::pathway::plan::ManagementRoute;
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What an account holds money for. Its text form is its id in storage,
/// so an account exists from the first transfer that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKey {
    /// The area's money for a funding stream in a financial year; budgets
    /// are drawn from it.
    Funding { stream: String, year: FinancialYear },
    /// A child's budget for one stream, route and year.
    Budget { child: ChildId, stream: String, route: ManagementRoute, year: FinancialYear },
    /// The family's direct-payment account: what the council has paid them.
    DirectPayment { child: ChildId },
    /// A provider or school, paid for an ISF or a commissioned service.
    Organisation { organisation: OrganisationId },
    /// Direct-payment money recovered in a year.
    Recovered { year: FinancialYear },
}

impl AccountKey {
    /// A budget account can never be overdrawn.
    pub fn must_not_overdraw(&self) -> bool {
        matches!(self, AccountKey::Budget { .. })
    }

    /// The child whose money this is, if it is one child's.
    pub fn child(&self) -> Option<ChildId> {
        match self {
            AccountKey::Budget { child, .. } | AccountKey::DirectPayment { child } => Some(*child),
            _ => None,
        }
    }

    /// The kind of account, as a code: `funding`, `budget`, `dp`, `org`,
    /// `recovered`.
    pub fn kind(&self) -> &'static str {
        match self {
            AccountKey::Funding { .. } => "funding",
            AccountKey::Budget { .. } => "budget",
            AccountKey::DirectPayment { .. } => "dp",
            AccountKey::Organisation { .. } => "org",
            AccountKey::Recovered { .. } => "recovered",
        }
    }

    /// Parses the text form (`budget/<child>/<stream>/<route>/2026-27`…).
    pub fn parse(input: &str) -> Result<AccountKey, String> {
        let bad = || format!("{input:?} is not an account");
        let parts: Vec<&str> = input.split('/').collect();
        let year = |s: &str| s.parse::<FinancialYear>().map_err(|_| bad());
        let stream = |s: &str| {
            let ok =
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b));
            if ok { Ok(s.to_owned()) } else { Err(bad()) }
        };
        match parts.as_slice() {
            ["funding", s, y] => Ok(AccountKey::Funding { stream: stream(s)?, year: year(y)? }),
            ["budget", c, s, r, y] => Ok(AccountKey::Budget {
                child: c.parse().map_err(|_| bad())?,
                stream: stream(s)?,
                route: ManagementRoute::parse(r).map_err(|_| bad())?,
                year: year(y)?,
            }),
            ["dp", c] => Ok(AccountKey::DirectPayment { child: c.parse().map_err(|_| bad())? }),
            ["org", o] => Ok(AccountKey::Organisation { organisation: o.parse().map_err(|_| bad())? }),
            ["recovered", y] => Ok(AccountKey::Recovered { year: year(y)? }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountKey::Funding { stream, year } => write!(f, "funding/{stream}/{year}"),
            AccountKey::Budget { child, stream, route, year } => {
                write!(f, "budget/{child}/{stream}/{}/{year}", route.code())
            }
            AccountKey::DirectPayment { child } => write!(f, "dp/{child}"),
            AccountKey::Organisation { organisation } => write!(f, "org/{organisation}"),
            AccountKey::Recovered { year } => write!(f, "recovered/{year}"),
        }
    }
}

impl serde::Serialize for AccountKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for AccountKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AccountKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An account's running totals. A budget's credits are the money put into
/// it; its debits the money paid (posted) or reserved (pending) out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Balances {
    pub debits_pending: Pence,
    pub debits_posted: Pence,
    pub credits_pending: Pence,
    pub credits_posted: Pence,
}

impl Balances {
    /// What a budget can still pay out: what was put in, less what was
    /// paid and what is reserved.
    pub fn available(&self) -> Pence {
        Pence::new(self.credits_posted.pence() - self.debits_posted.pence() - self.debits_pending.pence())
    }

    /// Posted credits less posted debits: what a family's or provider's
    /// account has been paid, net of recoveries and reversals.
    pub fn posted_net(&self) -> Pence {
        Pence::new(self.credits_posted.pence() - self.debits_posted.pence())
    }
}

code_list!(
    /// What a transfer is for.
    TransferKind, "transfer kind" {
        /// A budget set up from an agreed plan.
        Budget = "budget", "Budget set up";
        /// More money for a budget than the plan gave it, approved with reasons.
        Overspend = "overspend", "Overspend approved";
        /// A budget reduced (a new plan replaced the old one).
        Reduction = "reduction", "Budget reduced";
        /// Money paid to a family or a provider.
        Payment = "payment", "Payment";
        /// Unspent direct-payment money recovered, after notice.
        Recovery = "recovery", "Recovery of unspent money";
    }
);

/// Where a transfer stands in the two phases, or what it corrects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "phase", content = "of", rename_all = "snake_case")]
pub enum Phase {
    /// Moves the money at once.
    Posted,
    /// Reserves the money until a later transfer posts or voids it.
    Pending,
    /// Moves the money a pending transfer reserved.
    Post(TransferId),
    /// Releases the money a pending transfer reserved.
    Void(TransferId),
    /// Puts back the money a posted transfer moved.
    Reversal(TransferId),
}

impl Phase {
    /// Whether a transfer in this phase moves money (rather than reserving
    /// it, or releasing a reservation).
    pub fn moves_money(self) -> bool {
        matches!(self, Phase::Posted | Phase::Post(_) | Phase::Reversal(_))
    }

    /// The stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Phase::Posted => "posted",
            Phase::Pending => "pending",
            Phase::Post(_) => "post",
            Phase::Void(_) => "void",
            Phase::Reversal(_) => "reversal",
        }
    }

    /// The transfer this one resolves or reverses.
    pub fn target(self) -> Option<TransferId> {
        match self {
            Phase::Posted | Phase::Pending => None,
            Phase::Post(t) | Phase::Void(t) | Phase::Reversal(t) => Some(t),
        }
    }

    /// Rebuilds a phase from its stored code and target.
    pub fn from_parts(code: &str, target: Option<TransferId>) -> Result<Phase, String> {
        match (code, target) {
            ("posted", None) => Ok(Phase::Posted),
            ("pending", None) => Ok(Phase::Pending),
            ("post", Some(t)) => Ok(Phase::Post(t)),
            ("void", Some(t)) => Ok(Phase::Void(t)),
            ("reversal", Some(t)) => Ok(Phase::Reversal(t)),
            _ => Err(format!("phase {code:?} with target {target:?} is not a phase")),
        }
    }
}

/// One movement of money, as sent. Who sent it and when are kept beside it
/// by the store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    pub debit: AccountKey,
    pub credit: AccountKey,
    pub amount: Pence,
    pub kind: TransferKind,
    pub phase: Phase,
    /// The plan item the money is for, when it is for one.
    pub item: Option<String>,
    /// The day the money moves (an instalment's due date).
    pub on: Date,
    /// Why, in words: shown on statements and in the audit trail.
    pub reference: String,
}

impl Transfer {
    /// The transfer that posts `pending` in full.
    pub fn post(id: TransferId, pending: &Transfer, on: Date) -> Transfer {
        Transfer { id, phase: Phase::Post(pending.id), on, ..pending.clone() }
    }

    /// The transfer that voids `pending`, with the reason.
    pub fn void(id: TransferId, pending: &Transfer, on: Date, reason: &str) -> Transfer {
        Transfer { id, phase: Phase::Void(pending.id), on, reference: reason.to_owned(), ..pending.clone() }
    }

    /// The transfer that reverses `original` in full, with the reason.
    pub fn reversal(id: TransferId, original: &Transfer, on: Date, reason: &str) -> Transfer {
        Transfer {
            id,
            debit: original.credit.clone(),
            credit: original.debit.clone(),
            phase: Phase::Reversal(original.id),
            on,
            reference: reason.to_owned(),
            ..original.clone()
        }
    }

    /// The child whose money this is, if it is one child's.
    pub fn child(&self) -> Option<ChildId> {
        self.debit.child().or_else(|| self.credit.child())
    }
}

/// An overspend as a manager sends it: which of the child's budgets, how
/// much more (pounds) and why. `id` is the caller's own id for it, so
/// sending it twice records it once.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverspendForm {
    pub id: Option<String>,
    pub stream: Option<String>,
    pub route: Option<String>,
    /// The financial year, like `2026-27`.
    pub year: Option<String>,
    pub amount: Option<String>,
    /// The plan item it is for, if one.
    pub item: Option<String>,
    pub reason: Option<String>,
}

impl OverspendForm {
    /// The transfer that gives budget more money from the stream's funding,
    /// dated `today`. It must be one of the child's `budgets`: an
    /// overspend tops up a budget, it does not make one.
    pub fn parse(&self, child: ChildId, budgets: &[AccountKey], today: Date) -> Result<Transfer, crate::Invalid> {
        let mut inv = crate::Invalid::default();
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").trim().to_owned();
        let id = match self.id.as_deref().map(str::trim) {
            None | Some("") => Some(TransferId::new()),
            Some(raw) => inv.check("id", raw.parse::<TransferId>().map_err(|_| "must be a UUID")),
        };
        let route = inv.check("route", ManagementRoute::parse(&text(&self.route)));
        let year = inv.check("year", text(&self.year).parse::<FinancialYear>());
        let amount = inv.check(
            "amount",
            Pence::parse(&text(&self.amount)).map_err(|e| e.to_string()).and_then(|a| {
                if a > Pence::ZERO && a <= Pence::INPUT_MAX { Ok(a) } else { Err("must be more than £0".to_owned()) }
            }),
        );
        let reason = crate::text::required_text(&mut inv, "reason", self.reason.as_deref(), 2_000, "say why");
        let item = inv.check("item", crate::text::optional_text(self.item.as_deref(), 100)).flatten();
        let stream = text(&self.stream);
        let budget = match (route, year) {
            (Some(route), Some(year)) => {
                let key = AccountKey::Budget { child, stream: stream.clone(), route, year };
                if !budgets.contains(&key) {
                    inv.push(
                        "stream",
                        format!(
                            "the child has no {stream:?} budget paid by {} in {year}",
                            route.label().to_lowercase()
                        ),
                    );
                }
                Some((key, year))
            }
            _ => None,
        };
        inv.finish(|| {
            let (credit, year) = budget.expect("checked");
            Transfer {
                id: id.expect("checked"),
                debit: AccountKey::Funding { stream, year },
                credit,
                amount: amount.expect("checked"),
                kind: TransferKind::Overspend,
                phase: Phase::Posted,
                item,
                on: today,
                reference: reason,
            }
        })
    }
}

/// Why a transfer was refused. Nothing is changed by a refused transfer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("a transfer with this id already exists with different details")]
    ExistsWithDifferentFields,
    #[error("the amount must be more than £0.00")]
    AmountMustBePositive,
    #[error("a transfer must be between two different accounts")]
    SameAccount,
    #[error("there is no transfer {0}")]
    TargetNotFound(TransferId),
    #[error("transfer {0} is not pending, so it cannot be posted or voided")]
    NotPending(TransferId),
    #[error("transfer {0} was already posted or voided")]
    AlreadyResolved(TransferId),
    #[error("transfer {0} cannot be reversed: only money that moved can be put back")]
    NotReversible(TransferId),
    #[error("transfer {0} was already reversed")]
    AlreadyReversed(TransferId),
    #[error("the transfer does not match the one it resolves or reverses")]
    DiffersFromTarget,
    #[error("the budget has {available} left, so {amount} would overdraw it (an overspend needs approval first)")]
    WouldOverdraw { available: Pence, amount: Pence },
    #[error("the amount is too large")]
    Overflow,
}

/// What happened to a transfer that was not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Created,
    /// The same transfer was sent before; nothing changed.
    AlreadyExists,
}

/// A working set of the ledger: the accounts and transfers a batch of new
/// transfers touches (or the whole ledger, in tests). Applying a transfer
/// checks every rule against what is loaded and then changes the balances;
/// the store loads what a batch needs, applies it here and writes back what
/// changed, so there is one set of rules.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    accounts: BTreeMap<AccountKey, Balances>,
    transfers: HashMap<TransferId, Transfer>,
    /// Transfer → the transfer that resolved or reversed it.
    settled: HashMap<TransferId, TransferId>,
    /// Transfers created by `apply`, in order.
    created: Vec<TransferId>,
}

impl Ledger {
    /// Loads an account's stored balances.
    pub fn load_account(&mut self, key: AccountKey, balances: Balances) {
        self.accounts.insert(key, balances);
    }

    /// Loads a stored transfer (and what it settles).
    pub fn load_transfer(&mut self, transfer: Transfer) {
        if let Some(target) = transfer.phase.target() {
            self.settled.insert(target, transfer.id);
        }
        self.transfers.insert(transfer.id, transfer);
    }

    /// An account's balances (zero if it has never been used).
    pub fn balances(&self, key: &AccountKey) -> Balances {
        self.accounts.get(key).copied().unwrap_or_default()
    }

    /// Every account loaded or touched, with its balances.
    pub fn accounts(&self) -> impl Iterator<Item = (&AccountKey, &Balances)> {
        self.accounts.iter()
    }

    /// A loaded transfer.
    pub fn transfer(&self, id: TransferId) -> Option<&Transfer> {
        self.transfers.get(&id)
    }

    /// Every loaded or created transfer, in no particular order.
    pub fn transfers(&self) -> impl Iterator<Item = &Transfer> {
        self.transfers.values()
    }

    /// Whether a transfer has been posted, voided or reversed.
    pub fn is_settled(&self, id: TransferId) -> bool {
        self.settled.contains_key(&id)
    }

    /// The transfers `apply` created, in order.
    pub fn created(&self) -> impl Iterator<Item = &Transfer> {
        self.created.iter().map(|id| &self.transfers[id])
    }

    /// Checks `t` against the rules and, if it passes, applies it.
    pub fn apply(&mut self, t: &Transfer) -> Result<Applied, TransferError> {
        if let Some(existing) = self.transfers.get(&t.id) {
            return if existing == t {
                Ok(Applied::AlreadyExists)
            } else {
                Err(TransferError::ExistsWithDifferentFields)
            };
        }
        if t.amount <= Pence::ZERO {
            return Err(TransferError::AmountMustBePositive);
        }
        if t.debit == t.credit {
            return Err(TransferError::SameAccount);
        }
        if let Some(target_id) = t.phase.target() {
            let target = self.transfers.get(&target_id).ok_or(TransferError::TargetNotFound(target_id))?;
            let resolves = matches!(t.phase, Phase::Post(_) | Phase::Void(_));
            if resolves {
                if target.phase != Phase::Pending {
                    return Err(TransferError::NotPending(target_id));
                }
                if self.settled.contains_key(&target_id) {
                    return Err(TransferError::AlreadyResolved(target_id));
                }
                if (&target.debit, &target.credit, target.amount) != (&t.debit, &t.credit, t.amount) {
                    return Err(TransferError::DiffersFromTarget);
                }
            } else {
                if !matches!(target.phase, Phase::Posted | Phase::Post(_)) {
                    return Err(TransferError::NotReversible(target_id));
                }
                if self.settled.contains_key(&target_id) {
                    return Err(TransferError::AlreadyReversed(target_id));
                }
                if (&target.credit, &target.debit, target.amount) != (&t.debit, &t.credit, t.amount) {
                    return Err(TransferError::DiffersFromTarget);
                }
            }
        }
        let mut debit = self.balances(&t.debit);
        let mut credit = self.balances(&t.credit);
        if t.debit.must_not_overdraw() && matches!(t.phase, Phase::Posted | Phase::Pending | Phase::Reversal(_)) {
            let available = debit.available();
            if available < t.amount {
                return Err(TransferError::WouldOverdraw { available, amount: t.amount });
            }
        }
        effect(t.phase, t.amount, &mut debit, &mut credit).ok_or(TransferError::Overflow)?;
        self.accounts.insert(t.debit.clone(), debit);
        self.accounts.insert(t.credit.clone(), credit);
        if let Some(target) = t.phase.target() {
            self.settled.insert(target, t.id);
        }
        self.transfers.insert(t.id, t.clone());
        self.created.push(t.id);
        Ok(Applied::Created)
    }
}

impl Ledger {
    /// Takes money back from a budget (a reduction when a plan is
    /// replaced), but never more than is unpaid and unreserved: money
    /// already paid in advance stays paid. Worked out again later, the same
    /// reduction is already there, whatever it came to.
    pub fn take_back(&mut self, t: &Transfer) -> Result<Applied, TransferError> {
        if self.transfers.contains_key(&t.id) {
            return Ok(Applied::AlreadyExists);
        }
        let amount = t.amount.min(self.balances(&t.debit).available());
        if amount <= Pence::ZERO {
            return Ok(Applied::AlreadyExists);
        }
        self.apply(&Transfer { amount, ..t.clone() })
    }
}

/// How a transfer changes its two accounts' balances; `None` on overflow.
fn effect(phase: Phase, amount: Pence, debit: &mut Balances, credit: &mut Balances) -> Option<()> {
    let add = |x: &mut Pence, by: Pence| -> Option<()> {
        *x = x.checked_add(by)?;
        Some(())
    };
    let minus = Pence::new(-amount.pence());
    match phase {
        Phase::Posted | Phase::Reversal(_) => {
            add(&mut debit.debits_posted, amount)?;
            add(&mut credit.credits_posted, amount)
        }
        Phase::Pending => {
            add(&mut debit.debits_pending, amount)?;
            add(&mut credit.credits_pending, amount)
        }
        Phase::Post(_) => {
            add(&mut debit.debits_pending, minus)?;
            add(&mut debit.debits_posted, amount)?;
            add(&mut credit.credits_pending, minus)?;
            add(&mut credit.credits_posted, amount)
        }
        Phase::Void(_) => {
            add(&mut debit.debits_pending, minus)?;
            add(&mut credit.credits_pending, minus)
        }
    }
}

/// The ledger's invariants, checked over every account and transfer: all
/// debits equal all credits (posted and pending), every account's balances
/// equal the sum of its transfers, no pending transfer is resolved twice
/// and none reversed twice, and nothing resolves or reverses a transfer
/// that is missing or of the wrong phase. Each problem is one sentence.
pub fn verify<'a>(
    accounts: impl IntoIterator<Item = (&'a AccountKey, &'a Balances)>,
    transfers: impl IntoIterator<Item = &'a Transfer>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut summed: BTreeMap<&AccountKey, Balances> = BTreeMap::new();
    let mut phases: HashMap<TransferId, Phase> = HashMap::new();
    let mut targets: HashMap<TransferId, Vec<(TransferId, Phase)>> = HashMap::new();
    for t in transfers {
        let mut debit = summed.get(&t.debit).copied().unwrap_or_default();
        let mut credit = summed.get(&t.credit).copied().unwrap_or_default();
        if effect(t.phase, t.amount, &mut debit, &mut credit).is_none() {
            problems.push(format!("transfer {} overflows its accounts", t.id));
        }
        summed.insert(&t.debit, debit);
        summed.insert(&t.credit, credit);
        if phases.insert(t.id, t.phase).is_some() {
            problems.push(format!("transfer {} is recorded twice", t.id));
        }
        if let Some(target) = t.phase.target() {
            targets.entry(target).or_default().push((t.id, t.phase));
        }
    }
    for (target, by) in &targets {
        if by.len() > 1 {
            let ids: Vec<String> = by.iter().map(|(id, _)| id.to_string()).collect();
            problems.push(format!(
                "transfer {target} is resolved or reversed {} times (by {})",
                by.len(),
                ids.join(", ")
            ));
        }
        for (id, phase) in by {
            let ok = match (phases.get(target), phase) {
                (None, _) => false,
                (Some(Phase::Pending), Phase::Post(_) | Phase::Void(_)) => true,
                (Some(Phase::Posted | Phase::Post(_)), Phase::Reversal(_)) => true,
                _ => false,
            };
            if !ok {
                problems.push(format!("transfer {id} {} transfer {target}, which it cannot", phase.code()));
            }
        }
    }
    let mut stored_keys = std::collections::BTreeSet::new();
    let mut totals = Balances::default();
    for (key, balances) in accounts {
        stored_keys.insert(key);
        let expected = summed.get(key).copied().unwrap_or_default();
        for (what, held, summed) in [
            ("pending debits", balances.debits_pending, expected.debits_pending),
            ("posted debits", balances.debits_posted, expected.debits_posted),
            ("pending credits", balances.credits_pending, expected.credits_pending),
            ("posted credits", balances.credits_posted, expected.credits_posted),
        ] {
            if held != summed {
                problems.push(format!("account {key} holds {what} of {held} but its transfers add up to {summed}"));
            }
        }
        for (total, part) in [
            (&mut totals.debits_pending, balances.debits_pending),
            (&mut totals.debits_posted, balances.debits_posted),
            (&mut totals.credits_pending, balances.credits_pending),
            (&mut totals.credits_posted, balances.credits_posted),
        ] {
            *total = Pence::new(total.pence().saturating_add(part.pence()));
        }
    }
    for key in summed.keys() {
        if !stored_keys.contains(key) {
            problems.push(format!("account {key} has transfers but no balances"));
        }
    }
    if totals.debits_posted != totals.credits_posted {
        problems.push(format!(
            "posted debits {} do not equal posted credits {}",
            totals.debits_posted, totals.credits_posted
        ));
    }
    if totals.debits_pending != totals.credits_pending {
        problems.push(format!(
            "pending debits {} do not equal pending credits {}",
            totals.debits_pending, totals.credits_pending
        ));
    }
    problems
}

#[cfg(test)]
mod tests;
