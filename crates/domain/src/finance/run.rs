//! A payment run: the reserved instalments due by a day, paid in one Bacs
//! file (one credit per payee, however many instalments it gathers) with a
//! journal for the council's ledger (one line per instalment). A payee
//! without confirmed bank details is held back, with the reason, until a
//! later run.

use crate::finance::bacs::{BacsError, BacsPayment, FileNumber, Originator, standard18};
use crate::finance::bank::BankDetails;
use crate::finance::ledger::{AccountKey, Transfer};
use crate::ids::TransferId;
use crate::money::Pence;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Who a payee account pays, as the run needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    /// Their confirmed bank details, if any.
    pub bank: Option<BankDetails>,
    /// What they see on their bank statement (cut to 18 Bacs characters).
    pub reference: String,
}

/// An instalment a run could not pay, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    pub transfer: TransferId,
    pub amount: Pence,
    pub reason: String,
}

/// What a run pays and the files it produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFiles {
    /// The instalments paid, in the journal's order.
    pub paid: Vec<TransferId>,
    /// How many credits the Bacs file makes (one per payee).
    pub credits: usize,
    pub total: Pence,
    pub bacs: String,
    pub journal: String,
}

/// The journal's columns, one line per instalment.
pub const JOURNAL_HEADER: &str =
    "run,processing_day,transfer_id,budget_account,payee_account,stream,route,year,item,amount,reference";

/// Quotes a CSV field when it needs it.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A run as prepared: what it pays (`None` when nothing can be paid) and
/// what it holds back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub files: Option<RunFiles>,
    pub held: Vec<Held>,
}

/// Prepares run `number` for `day` from the instalments `due` (reserved,
/// unresolved, dated on or before `day`).
pub fn prepare(
    number: i64,
    day: Date,
    originator: &Originator,
    due: &[Transfer],
    payees: &BTreeMap<AccountKey, Payee>,
) -> Result<Prepared, BacsError> {
    let mut by_payee: BTreeMap<&AccountKey, Vec<&Transfer>> = BTreeMap::new();
    let mut held = Vec::new();
    for t in due {
        match payees.get(&t.credit) {
            Some(Payee { bank: Some(_), .. }) => by_payee.entry(&t.credit).or_default().push(t),
            _ => held.push(Held {
                transfer: t.id,
                amount: t.amount,
                reason: "there are no confirmed bank details for the payee".into(),
            }),
        }
    }
    if by_payee.is_empty() {
        return Ok(Prepared { files: None, held });
    }
    let mut payments = Vec::new();
    let mut paid = Vec::new();
    let mut journal = format!("{JOURNAL_HEADER}\n");
    let mut total = Pence::ZERO;
    for (account, transfers) in &by_payee {
        let payee = &payees[*account];
        let amount = Pence::checked_sum(transfers.iter().map(|t| t.amount)).ok_or(BacsError::TotalTooLarge)?;
        total = total.checked_add(amount).ok_or(BacsError::TotalTooLarge)?;
        payments.push(BacsPayment {
            to: payee.bank.clone().expect("only payees with bank details"),
            amount,
            reference: payee.reference.clone(),
        });
        for t in transfers {
            paid.push(t.id);
            let (stream, route, year) = match &t.debit {
                AccountKey::Budget { stream, route, year, .. } => {
                    (stream.clone(), route.code().to_owned(), year.to_string())
                }
                _ => Default::default(),
            };
            let fields = [
                number.to_string(),
                day.to_string(),
                t.id.to_string(),
                t.debit.to_string(),
                t.credit.to_string(),
                stream,
                route,
                year,
                t.item.clone().unwrap_or_default(),
                t.amount.to_decimal_string(),
                t.reference.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv(f)).collect();
            journal.push_str(&line.join(","));
            journal.push('\n');
        }
    }
    let file_number = FileNumber::new(u16::try_from((number - 1).rem_euclid(999) + 1).expect("1 to 999"))?;
    let bacs = standard18(originator, day, file_number, &payments)?;
    Ok(Prepared { files: Some(RunFiles { paid, credits: payments.len(), total, bacs, journal }), held })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FinancialYear;
    use crate::finance::bacs::ServiceUserNumber;
    use crate::finance::bank::{AccountName, AccountNumber, BankDetailsForm, SortCode};
    use crate::finance::ledger::{Phase, TransferKind};
    use crate::ids::{ChildId, OrganisationId};
    use crate::pathway::plan::ManagementRoute;
    use jiff::civil::date;

    fn originator() -> Originator {
        Originator {
            service_user_number: ServiceUserNumber::parse("123456").unwrap(),
            sort_code: SortCode::parse("30-94-30").unwrap(),
            account_number: AccountNumber::parse("00733445").unwrap(),
            name: AccountName::parse("Allot Demo Council").unwrap(),
        }
    }

    fn bank(sort: &str, account: &str, name: &str) -> BankDetails {
        BankDetailsForm {
            sort_code: Some(sort.into()),
            account_number: Some(account.into()),
            account_name: Some(name.into()),
        }
        .parse()
        .unwrap()
    }

    fn instalment(n: u8, child: ChildId, stream: &str, payee: AccountKey, pence: i64) -> Transfer {
        Transfer {
            id: TransferId::from_bytes([n; 16]),
            debit: AccountKey::Budget {
                child,
                stream: stream.into(),
                route: ManagementRoute::DirectPayment,
                year: FinancialYear::starting(2026),
            },
            credit: payee,
            amount: Pence::new(pence),
            kind: TransferKind::Payment,
            phase: Phase::Pending,
            item: None,
            on: date(2026, 11, 20),
            reference: format!("Payment {n}, plan version 1"),
        }
    }

    #[test]
    fn a_run_pays_each_payee_once_holds_those_without_bank_details_and_journals_every_instalment() {
        let (a, b, c) = (ChildId::from_bytes([1; 16]), ChildId::from_bytes([2; 16]), ChildId::from_bytes([3; 16]));
        let org = AccountKey::Organisation { organisation: OrganisationId::from_bytes([9; 16]) };
        let family_a = AccountKey::DirectPayment { child: a };
        let family_c = AccountKey::DirectPayment { child: c };
        let due = vec![
            instalment(1, a, "social_care", family_a.clone(), 76_924),
            instalment(2, a, "health", family_a.clone(), 10_001),
            instalment(3, b, "education", org.clone(), 25_000),
            instalment(4, c, "social_care", family_c.clone(), 5_000),
        ];
        let payees = BTreeMap::from([
            (
                family_a,
                Payee { bank: Some(bank("11-22-33", "12345678", "Mrs A O'Brien")), reference: "DP ALT-000001".into() },
            ),
            (
                org,
                Payee { bank: Some(bank("40-11-60", "87654321", "Bright Days Care")), reference: "ALLOT RUN 7".into() },
            ),
            (family_c, Payee { bank: None, reference: "DP ALT-000003".into() }),
        ]);
        let prepared = prepare(7, date(2026, 11, 23), &originator(), &due, &payees).unwrap();
        let run = prepared.files.unwrap();
        assert_eq!(run.total, Pence::new(111_925));
        assert_eq!(run.credits, 2);
        assert_eq!(run.paid.len(), 3);
        assert_eq!(
            prepared.held,
            vec![Held {
                transfer: due[3].id,
                amount: Pence::new(5_000),
                reason: "there are no confirmed bank details for the payee".into()
            }]
        );
        let lines: Vec<&str> = run.bacs.lines().collect();
        assert_eq!(lines.len(), 5, "UHL1, two credits, the contra, UTL1");
        let family = lines.iter().find(|l| l.starts_with("112233")).unwrap();
        assert_eq!(&family[6..14], "12345678");
        assert_eq!(&family[15..17], "99");
        assert_eq!(&family[35..46], "00000086925", "two instalments in one credit");
        assert_eq!(family[64..82].trim_end(), "DP ALT-000001");
        assert_eq!(family[82..100].trim_end(), "MRS A OBRIEN");
        let contra = lines.iter().find(|l| &l[15..17] == "17").unwrap();
        assert_eq!(&contra[35..46], "00000111925");
        assert_eq!(&lines[0][37..40], "007", "the file number follows the run number");
        let journal: Vec<&str> = run.journal.lines().collect();
        assert_eq!(journal[0], JOURNAL_HEADER);
        assert_eq!(journal.len(), 4);
        assert!(
            journal[1].ends_with(",social_care,direct_payment,2026-27,,769.24,\"Payment 1, plan version 1\""),
            "{}",
            journal[1]
        );
    }

    #[test]
    fn nothing_to_pay_is_no_run() {
        let child = ChildId::from_bytes([1; 16]);
        let family = AccountKey::DirectPayment { child };
        let due = vec![instalment(1, child, "social_care", family, 100)];
        let unpaid = prepare(1, date(2026, 11, 23), &originator(), &due, &BTreeMap::new()).unwrap();
        assert_eq!((unpaid.files, unpaid.held.len()), (None, 1));
        let empty = prepare(1, date(2026, 11, 23), &originator(), &[], &BTreeMap::new()).unwrap();
        assert_eq!((empty.files, empty.held.len()), (None, 0));
    }
}

crate::code_list!(
    /// Where a payment run stands.
    RunStatus, "payment run status" {
        /// Its file is ready; nothing has been paid yet.
        Prepared = "prepared", "Prepared, waiting for release";
        /// Released by a finance officer: its instalments are paid.
        Released = "released", "Released";
        /// Cancelled before release: its instalments wait for a later run.
        Cancelled = "cancelled", "Cancelled";
    }
);
