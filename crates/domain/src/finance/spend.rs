//! Spend from statements and invoices: the layouts a direct-payment
//! account's statement, a prepaid card's export and a provider's invoice
//! lines come in, the checks on each line, and the rules that match money
//! spent to an item of the child's plan (leaving the rest for a person).
//!
//! An import runs line by line over millions of lines, so the work is
//! arranged for that: [`Columns`] finds each column once, from the header;
//! [`Columns::line`] borrows its text from the record instead of copying it
//! (it allocates only to report a problem, or to join an invoice's number
//! and line into one transaction id); and [`ItemMatcher`] normalises the
//! plan's names once per child, so matching a line is a few hash look-ups.

use crate::code_list;
use crate::invalid::Invalid;
use crate::money::{Pence, PenceError};
use crate::pathway::content::PlanItem;
use crate::pathway::plan::SupportItem;
use jiff::civil::Date;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

code_list!(
    /// The layout of a file of spend. The file's first row names the
    /// columns: in any order, in any mix of capitals and small letters,
    /// with spaces around a name ignored. Columns Allot does not use are
    /// ignored; a column the format needs that is missing stops the import.
    StatementFormat, "statement format" {
        /// `generic`: a statement of the direct-payment account in Allot's
        /// own layout, one line per transaction.
        ///
        /// | Column | What it holds | Example |
        /// |---|---|---|
        /// | `account` | The direct-payment account's reference: the child's reference in Allot (up to 40 characters). | `ALT-000123` |
        /// | `date` | The day the money moved, as year-month-day. | `2026-11-23` |
        /// | `amount` | Pounds and pence with a sign: negative is money out of the account (spend), positive is money in. | `-45.00` |
        /// | `description` | The payment's reference as the bank shows it. May be blank. | `PA wages item-3` |
        /// | `merchant` | Who was paid, or who paid in. May be blank. | `ABC Care Ltd` |
        /// | `transaction_id` | The bank's own id for the transaction. | `TX-000981` |
        /// | `category` | Optional column: the bank's category for the payment. May be blank. | `Leisure` |
        Generic = "generic", "Bank statement (Allot's layout)";
        /// `prepaid_card`: the transactions export of a prepaid card portal,
        /// one line per transaction.
        ///
        /// | Column | What it holds | Example |
        /// |---|---|---|
        /// | `Card Holder Reference` | The child's reference in Allot, as the card portal holds it (up to 40 characters). | `ALT-000123` |
        /// | `Transaction Date` | The day the money moved, as day/month/year. | `23/11/2026` |
        /// | `Merchant Name` | Who was paid, or who paid in. May be blank. | `Swim Club` |
        /// | `Merchant Category` | Optional column: the card scheme's category for the merchant. May be blank. | `Sports Clubs` |
        /// | `Debit` | Money out (spend), as a positive amount. Blank (or 0.00) on a credit. | `12.50` |
        /// | `Credit` | Money in (a load or a refund), as a positive amount. Blank (or 0.00) on a debit. | `250.00` |
        /// | `Transaction ID` | The portal's own id for the transaction. | `8812345` |
        /// | `Narrative` | The portal's description of the transaction. May be blank. | `Swimming lessons` |
        ///
        /// Each line has a debit or a credit, not both.
        PrepaidCard = "prepaid_card", "Prepaid card export";
        /// `provider_invoice`: a provider's invoices, one line per child and
        /// plan item charged for.
        ///
        /// | Column | What it holds | Example |
        /// |---|---|---|
        /// | `provider_reference` | The provider's reference, as the council knows it. | `PRV-0042` |
        /// | `invoice_number` | The invoice's number. | `INV-2026-118` |
        /// | `line` | The line's number on the invoice. | `2` |
        /// | `child_reference` | The child's reference in Allot (up to 40 characters). | `ALT-000123` |
        /// | `item_key` | The plan item the line charges for, as the plan shows it. | `item-3` |
        /// | `date` | The day the support was given, as year-month-day. | `2026-11-23` |
        /// | `amount` | The amount charged, in pounds and pence. A negative amount is a credit. | `45.00` |
        /// | `description` | What was provided. May be blank. | `Respite, 2 nights` |
        ///
        /// The invoice number and the line together are the transaction's
        /// id: `INV-2026-118/2`.
        ProviderInvoice = "provider_invoice", "Provider invoice lines";
    }
);

/// The longest account or child reference, and the longest item key.
const MAX_REFERENCE: usize = 40;
/// The longest transaction id or provider reference.
const MAX_ID: usize = 100;
/// The longest invoice number and invoice line number: joined with `/`
/// they make at most a [`MAX_ID`] transaction id.
const MAX_INVOICE_NUMBER: usize = 80;
const MAX_INVOICE_LINE: usize = 19;
/// The longest description, merchant or category.
const MAX_TEXT: usize = 500;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Account,
    Date,
    Amount,
    Debit,
    Credit,
    Description,
    Merchant,
    Category,
    TransactionId,
    InvoiceNumber,
    Line,
    ItemKey,
}
const ROLES: usize = 12;

/// One column of a format: its name in the header, what it holds, and
/// whether a file must have it.
#[derive(Debug)]
struct Column {
    name: &'static str,
    role: Role,
    required: bool,
}

const fn needs(name: &'static str, role: Role) -> Column {
    Column { name, role, required: true }
}

const fn may_have(name: &'static str, role: Role) -> Column {
    Column { name, role, required: false }
}

const GENERIC: [Column; 7] = [
    needs("account", Role::Account),
    needs("date", Role::Date),
    needs("amount", Role::Amount),
    needs("description", Role::Description),
    needs("merchant", Role::Merchant),
    needs("transaction_id", Role::TransactionId),
    may_have("category", Role::Category),
];

const PREPAID_CARD: [Column; 8] = [
    needs("Card Holder Reference", Role::Account),
    needs("Transaction Date", Role::Date),
    needs("Merchant Name", Role::Merchant),
    may_have("Merchant Category", Role::Category),
    needs("Debit", Role::Debit),
    needs("Credit", Role::Credit),
    needs("Transaction ID", Role::TransactionId),
    needs("Narrative", Role::Description),
];

const PROVIDER_INVOICE: [Column; 8] = [
    needs("provider_reference", Role::Merchant),
    needs("invoice_number", Role::InvoiceNumber),
    needs("line", Role::Line),
    needs("child_reference", Role::Account),
    needs("item_key", Role::ItemKey),
    needs("date", Role::Date),
    needs("amount", Role::Amount),
    needs("description", Role::Description),
];

impl StatementFormat {
    fn spec(self) -> &'static [Column] {
        match self {
            StatementFormat::Generic => &GENERIC,
            StatementFormat::PrepaidCard => &PREPAID_CARD,
            StatementFormat::ProviderInvoice => &PROVIDER_INVOICE,
        }
    }

    /// The name of the column holding the child's reference.
    pub fn account_column(self) -> &'static str {
        self.spec().iter().find(|c| c.role == Role::Account).map_or("account", |c| c.name)
    }

    /// The format's columns in their documented order, each with whether a
    /// file must have it.
    pub fn columns(self) -> impl Iterator<Item = (&'static str, bool)> {
        self.spec().iter().map(|c| (c.name, c.required))
    }
}

/// One line of spend, checked. Its text is borrowed from the record it was
/// read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendLine<'a> {
    /// The child's reference (an invoice's `child_reference`).
    pub account: &'a str,
    pub date: Date,
    /// Signed: negative is money out (spend, or an invoice's charge),
    /// positive is money in (or an invoice's credit). Never zero, and at
    /// most [`Pence::INPUT_MAX`] either way.
    pub amount: Pence,
    /// The reference or narrative; may be empty.
    pub description: &'a str,
    /// Who was paid; may be empty on a statement. For an invoice, the
    /// provider's reference (never empty).
    pub merchant: &'a str,
    /// The category, when the file has one and the line fills it in.
    pub category: Option<&'a str>,
    /// The statement's transaction id, or an invoice's `number/line`.
    pub transaction_id: Cow<'a, str>,
    /// The plan item an invoice line charges for; `None` on a statement.
    pub item_key: Option<&'a str>,
}

impl SpendLine<'_> {
    /// Whether the line is money out: spend, or an invoice's charge.
    pub fn is_spend(&self) -> bool {
        self.amount < Pence::ZERO
    }
}

/// A checked line kept whole to travel on: its text in one string (one
/// allocation per line, which counts over millions of lines), with the
/// number of the file line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendRecord {
    /// The file's line number (the header is line 1).
    pub line: u64,
    pub date: Date,
    pub amount: Pence,
    /// account, description, merchant, category, transaction id, item key,
    /// one after the other; `ends[i]` is where field `i` ends.
    text: String,
    ends: [u32; 6],
}

impl SpendRecord {
    /// Keeps `line` (from file line `number`).
    pub fn new(number: u64, line: &SpendLine<'_>) -> SpendRecord {
        let fields = [
            line.account,
            line.description,
            line.merchant,
            line.category.unwrap_or(""),
            &line.transaction_id,
            line.item_key.unwrap_or(""),
        ];
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0; 6];
        for (end, field) in ends.iter_mut().zip(fields) {
            text.push_str(field);
            // Each field is at most a few hundred characters.
            *end = u32::try_from(text.len()).expect("a line's fields are short");
        }
        SpendRecord { line: number, date: line.date, amount: line.amount, text, ends }
    }

    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The statement's transaction id, or an invoice's `number/line`.
    pub fn transaction_id(&self) -> &str {
        self.field(4)
    }

    /// The line again, borrowing from the record.
    pub fn as_line(&self) -> SpendLine<'_> {
        let s = |i| self.field(i);
        let non_empty = |i| Some(s(i)).filter(|f| !f.is_empty());
        SpendLine {
            account: s(0),
            date: self.date,
            amount: self.amount,
            description: s(1),
            merchant: s(2),
            category: non_empty(3),
            transaction_id: Cow::Borrowed(s(4)),
            item_key: non_empty(5),
        }
    }
}

impl<'a> SpendLine<'a> {
    /// Where the transaction id is unique: a statement's source is empty
    /// (its format's ids are the bank's or the card portal's own), an
    /// invoice's number and line are unique to the provider.
    pub fn source(&self) -> &'a str {
        if self.item_key.is_some() { self.merchant } else { "" }
    }
}

/// Where each column of a format is in a file, worked out once from its
/// header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    format: StatementFormat,
    /// The field index of each role's column, if the file has it.
    at: [Option<usize>; ROLES],
    /// The name of each role's column, to report problems against.
    names: [&'static str; ROLES],
}

impl Columns {
    /// Finds the format's columns in `header`: names are matched ignoring
    /// case and surrounding space (and a byte-order mark); columns may be in
    /// any order and extra ones are ignored. Each missing column, and each
    /// column named twice, is one error naming it.
    pub fn from_header(format: StatementFormat, header: &[&str]) -> Result<Columns, Invalid> {
        let mut inv = Invalid::default();
        let mut at = [None; ROLES];
        let mut names = [""; ROLES];
        for column in format.spec() {
            names[column.role as usize] = column.name;
            let same = |h: &&str| h.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(column.name);
            let mut found = header.iter().enumerate().filter(|(_, h)| same(h)).map(|(i, _)| i);
            match (found.next(), found.count()) {
                (None, _) if column.required => {
                    inv.push(column.name, format!("this column is missing (the {format} format needs it)"))
                }
                (None, _) => {}
                (Some(i), 0) => at[column.role as usize] = Some(i),
                (Some(_), more) => inv.push(column.name, format!("this column appears {} times: keep one", more + 1)),
            }
        }
        inv.finish(|| Columns { format, at, names })
    }

    /// The format the columns are of.
    pub fn format(&self) -> StatementFormat {
        self.format
    }

    /// Checks one record (its fields in file order), reporting every bad
    /// field at once against its column's name. A field the record is too
    /// short to have counts as blank.
    pub fn line<'a>(&self, record: &[&'a str]) -> Result<SpendLine<'a>, Invalid> {
        self.line_with(|i| record.get(i).copied())
    }

    /// The child reference a record names (trimmed; empty if it names
    /// none), read even when the record has other problems, so a file's
    /// references can all be checked at once.
    pub fn account<'a>(&self, field: impl Fn(usize) -> Option<&'a str>) -> &'a str {
        self.at[Role::Account as usize].and_then(field).map_or("", str::trim)
    }

    /// [`Columns::line`] over a record read through `field` (the field at an
    /// index, if there is one), so a caller can pass
    /// `|i| string_record.get(i)` and collect nothing.
    pub fn line_with<'a>(&self, field: impl Fn(usize) -> Option<&'a str>) -> Result<SpendLine<'a>, Invalid> {
        let get = |role: Role| self.at[role as usize].and_then(&field).map_or("", str::trim);
        let name = |role: Role| self.names[role as usize];
        let mut inv = Invalid::default();
        let format = self.format;
        let account_empty = match format {
            StatementFormat::Generic => "the account reference is empty",
            StatementFormat::PrepaidCard => "the card holder reference is empty",
            StatementFormat::ProviderInvoice => "the child reference is empty",
        };
        let account = required(&mut inv, name(Role::Account), get(Role::Account), account_empty, MAX_REFERENCE);
        let date = match format {
            StatementFormat::PrepaidCard => uk_date(get(Role::Date)),
            _ => iso_date(get(Role::Date)),
        };
        if date.is_none() {
            let example = match format {
                StatementFormat::PrepaidCard => "enter a date like 23/11/2026",
                _ => "enter a date like 2026-11-23",
            };
            inv.push(name(Role::Date), example);
        }
        let amount = match format {
            StatementFormat::Generic => {
                nonzero(&mut inv, name(Role::Amount), get(Role::Amount), "enter an amount like -12.50")
            }
            // A charge is money out.
            StatementFormat::ProviderInvoice => {
                nonzero(&mut inv, name(Role::Amount), get(Role::Amount), "enter the amount charged, like 45.00")
                    .map(|p| Pence::new(-p.pence()))
            }
            StatementFormat::PrepaidCard => debit_or_credit(
                &mut inv,
                (name(Role::Debit), get(Role::Debit)),
                (name(Role::Credit), get(Role::Credit)),
            ),
        };
        let description = text(&mut inv, name(Role::Description), get(Role::Description), MAX_TEXT);
        let merchant = match format {
            StatementFormat::ProviderInvoice => {
                required(&mut inv, name(Role::Merchant), get(Role::Merchant), "the provider reference is empty", MAX_ID)
            }
            _ => text(&mut inv, name(Role::Merchant), get(Role::Merchant), MAX_TEXT),
        };
        let category =
            Some(text(&mut inv, name(Role::Category), get(Role::Category), MAX_TEXT)).filter(|c| !c.is_empty());
        match format {
            StatementFormat::ProviderInvoice => {
                let number = required(
                    &mut inv,
                    name(Role::InvoiceNumber),
                    get(Role::InvoiceNumber),
                    "the invoice number is empty",
                    MAX_INVOICE_NUMBER,
                );
                let line =
                    required(&mut inv, name(Role::Line), get(Role::Line), "the line number is empty", MAX_INVOICE_LINE);
                let item_key = required(
                    &mut inv,
                    name(Role::ItemKey),
                    get(Role::ItemKey),
                    "the item key is empty: enter the plan item's key, like item-3",
                    MAX_REFERENCE,
                );
                inv.finish(|| SpendLine {
                    account,
                    date: date.expect("checked"),
                    amount: amount.expect("checked"),
                    description,
                    merchant,
                    category,
                    transaction_id: Cow::Owned(format!("{number}/{line}")),
                    item_key: Some(item_key),
                })
            }
            _ => {
                let transaction_id = required(
                    &mut inv,
                    name(Role::TransactionId),
                    get(Role::TransactionId),
                    "the transaction id is empty",
                    MAX_ID,
                );
                inv.finish(|| SpendLine {
                    account,
                    date: date.expect("checked"),
                    amount: amount.expect("checked"),
                    description,
                    merchant,
                    category,
                    transaction_id: Cow::Borrowed(transaction_id),
                    item_key: None,
                })
            }
        }
    }
}

/// Free text that may be empty: at most `max` characters, no control
/// characters.
fn text<'a>(inv: &mut Invalid, column: &str, value: &'a str, max: usize) -> &'a str {
    if value.len() > max && value.chars().count() > max {
        inv.push(column, format!("this can be at most {max} characters"));
    } else if has_control(value) {
        inv.push(column, "remove the control characters (such as tabs or line breaks)");
    }
    value
}

/// Text that must be filled in.
fn required<'a>(inv: &mut Invalid, column: &str, value: &'a str, empty: &str, max: usize) -> &'a str {
    if value.is_empty() {
        inv.push(column, empty);
        value
    } else {
        text(inv, column, value, max)
    }
}

/// Whether `s` has a control character. Every control character's UTF-8
/// starts with a byte below 0x20, 0x7F or 0xC2, so most text is settled by
/// one pass over its bytes.
fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && s.chars().any(char::is_control)
}

/// Up to four digits as a number.
fn number(digits: &[u8]) -> Option<i16> {
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + i16::from(d - b'0')))
}

/// A real date with a year from 1900 to 2999 (an earlier or later year is
/// a typing slip, not a transaction).
fn civil(year: i16, month: i16, day: i16) -> Option<Date> {
    if !(1900..=2999).contains(&year) {
        return None;
    }
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// `2026-11-23`.
fn iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    civil(number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?)
}

/// `23/11/2026` (or `3/1/2026`, as a spreadsheet may save it).
fn uk_date(s: &str) -> Option<Date> {
    let mut parts = s.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || day.len() > 2 || month.len() > 2 || year.len() != 4 {
        return None;
    }
    civil(number(year.as_bytes())?, number(month.as_bytes())?, number(day.as_bytes())?)
}

/// [`Pence::parse`], with the common plain form (`-12.50`, `7`) read
/// without the allocation `Pence::parse` makes; a property test holds the
/// two to the same answers.
fn parse_amount(s: &str) -> Result<Pence, PenceError> {
    plain_amount(s).map_or_else(|| Pence::parse(s), Ok)
}

/// `-?[0-9]{1,15}(\.[0-9]{1,2})?`, or `None` for anything else.
fn plain_amount(s: &str) -> Option<Pence> {
    let b = s.as_bytes();
    let (negative, b) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let (whole, fraction) = match b.iter().position(|&c| c == b'.') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    if whole.is_empty() || whole.len() > 15 || !digits(whole) {
        return None;
    }
    let value = |d: &[u8]| d.iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
    let pence_part = match fraction {
        None => 0,
        Some(f) if f.len() == 1 && digits(f) => value(f) * 10,
        Some(f) if f.len() == 2 && digits(f) => value(f),
        Some(_) => return None,
    };
    let pence = value(whole) * 100 + pence_part;
    Some(Pence::new(if negative { -pence } else { pence }))
}

fn too_large() -> String {
    format!("the amount is more than {}, the most Allot takes on one line", Pence::INPUT_MAX)
}

/// An amount within the input limit; `example` says what to enter when the
/// text is not an amount at all.
fn amount(inv: &mut Invalid, column: &str, value: &str, example: &str) -> Option<Pence> {
    match parse_amount(value) {
        Ok(p) if p.pence().unsigned_abs() > Pence::INPUT_MAX.pence().unsigned_abs() => {
            inv.push(column, too_large());
            None
        }
        Ok(p) => Some(p),
        Err(PenceError::TooLarge) => {
            inv.push(column, too_large());
            None
        }
        Err(e @ PenceError::TooManyDecimals) => {
            inv.push(column, e);
            None
        }
        Err(PenceError::Empty | PenceError::NotAnAmount) => {
            inv.push(column, example);
            None
        }
    }
}

/// An amount that is not zero.
fn nonzero(inv: &mut Invalid, column: &str, value: &str, example: &str) -> Option<Pence> {
    let p = amount(inv, column, value, example)?;
    if p == Pence::ZERO {
        inv.push(column, "the amount is £0.00: a line must move some money");
        return None;
    }
    Some(p)
}

/// A prepaid card's debit and credit columns: exactly one filled in, as a
/// positive amount (a zero counts as blank, as many portals fill the other
/// column with 0.00). A debit is money out.
fn debit_or_credit(inv: &mut Invalid, debit: (&str, &str), credit: (&str, &str)) -> Option<Pence> {
    let side = |inv: &mut Invalid, (column, value): (&str, &str), example: &str| {
        if value.is_empty() {
            return Some(Pence::ZERO);
        }
        let p = amount(inv, column, value, example)?;
        if p < Pence::ZERO {
            inv.push(column, format!("enter a positive amount, {}", example.trim_start_matches("enter an amount ")));
            return None;
        }
        Some(p)
    };
    let d = side(inv, debit, "enter an amount like 12.50");
    let c = side(inv, credit, "enter an amount like 250.00");
    match (d?, c?) {
        (d, Pence::ZERO) if d != Pence::ZERO => Some(Pence::new(-d.pence())),
        (Pence::ZERO, c) if c != Pence::ZERO => Some(c),
        (Pence::ZERO, Pence::ZERO) => {
            inv.push(debit.0, "a line needs a debit or a credit");
            None
        }
        _ => {
            inv.push(debit.0, "a line needs a debit or a credit, not both");
            None
        }
    }
}

code_list!(
    /// Why a line was matched to a plan item. The rules are tried in this
    /// order; see [`ItemMatcher`] for why.
    MatchRule, "match rule" {
        /// The invoice line names the item.
        Invoice = "invoice", "The invoice names the item";
        /// The payment's reference names the item, or has words a person
        /// taught Allot.
        Reference = "reference", "The reference names the item";
        /// Paid to the item's provider or personal assistant, or to a
        /// merchant a person taught Allot.
        Merchant = "merchant", "Paid to the item's provider";
        /// A category a person taught Allot.
        Category = "category", "A category a person taught Allot";
        /// The amount is what one item (and only one) costs each time.
        Amount = "amount", "The amount of one item";
    }
);

code_list!(
    /// The part of a line a learned rule reads.
    LearnedField, "learned rule field" {
        /// Who was paid: the rule's pattern must equal it (normalised).
        Merchant = "merchant", "Merchant";
        /// The line's category: the rule's pattern must equal it (normalised).
        Category = "category", "Category";
        /// The description: it must contain the rule's words, whole and in
        /// order.
        Reference = "reference", "Reference";
    }
);

/// A rule a person made when they put an unmatched line against an item
/// and ticked "remember this": lines like it go to that item from then on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LearnedRule {
    pub field: LearnedField,
    pub pattern: String,
    pub item_key: String,
}

/// The candidates a rule found: one item, or more than one (so the rule
/// cannot say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    One(usize),
    Several,
}

fn add(found: Option<Found>, item: usize) -> Option<Found> {
    match found {
        None => Some(Found::One(item)),
        Some(Found::One(i)) if i == item => found,
        Some(_) => Some(Found::Several),
    }
}

fn only(found: Option<Found>) -> Option<usize> {
    match found {
        Some(Found::One(i)) => Some(i),
        _ => None,
    }
}

fn note<K: Eq + Hash>(map: &mut HashMap<K, Found>, key: K, item: usize) {
    let entry = map.entry(key).or_insert(Found::One(item));
    *entry = add(Some(*entry), item).expect("some");
}

/// Matches one child's lines to the items of their current plan.
///
/// Only money out is matched: money in (a payment into the account, a
/// refund, an invoice's credit) is never spend, and is left for a person.
/// The rules are tried in order, from the one that says most plainly which
/// item a line is for to the one most likely to be a coincidence; the first
/// rule that points to exactly one item decides, and a rule that points to
/// more than one says nothing, so the next is tried:
///
/// 1. **invoice** — an invoice line names its item. It matches if the key
///    is one of the child's items, and otherwise stays unmatched (no other
///    rule is tried: the provider has said what the line is for).
/// 2. **reference** — the description names an item key as a whole word
///    (`item-3`, in any case), or contains the words of a learned reference
///    rule. Whoever paid wrote it about this very payment.
/// 3. **merchant** — who was paid, normalised, equals a learned merchant
///    rule (a person's decision comes first), or else an item's
///    `provided_by`, or one of its extra names (the provider organisation's
///    name, the personal assistant's name). A provider often delivers more
///    than one item, so this comes after the reference.
/// 4. **category** — the line's category, normalised, equals a learned
///    category rule. Categories are broad ("leisure"), so only a person's
///    rule uses them, and only after who was paid.
/// 5. **amount** — what was spent equals what exactly one item costs each
///    time (unit cost × units, rounded half up to the penny). Amounts
///    coincide, so this is the last resort, and two items that cost the
///    same match neither.
///
/// Names are compared normalised ([`normalise`]): "ABC Care Ltd." is
/// "abc care ltd" is "ABCCARE LTD". Learned rules for an item no longer in
/// the plan are ignored; a later rule for the same field and pattern
/// replaces an earlier one.
#[derive(Debug, Clone, Default)]
pub struct ItemMatcher {
    /// The plan's keys, as the plan spells them.
    keys: Vec<String>,
    /// Lower-case key → item.
    by_key: HashMap<String, usize>,
    /// Keys not of the form `item-N`, lower-case (searched for one by one;
    /// a plan's keys are all `item-N`, so this is usually empty).
    other_keys: Vec<(String, usize)>,
    /// Learned reference words (" words like this ") → item.
    learned_references: Vec<(String, usize)>,
    learned_merchants: HashMap<String, usize>,
    learned_categories: HashMap<String, usize>,
    /// Normalised provider and extra names → item(s).
    merchants: HashMap<String, Found>,
    /// Cost each time, in pence → item(s).
    amounts: HashMap<i64, Found>,
}

impl ItemMatcher {
    /// Builds the matcher for one child: `items` are their current plan's
    /// items, `extra_names` more names for an item (by its key: its provider
    /// organisation's name, its personal assistant's name), and `learned`
    /// the child's learned rules, oldest first.
    pub fn new(
        items: &[PlanItem],
        extra_names: &BTreeMap<String, Vec<String>>,
        learned: &[LearnedRule],
    ) -> ItemMatcher {
        let mut m = ItemMatcher::default();
        for (i, item) in items.iter().enumerate() {
            m.keys.push(item.key.clone());
            let lower = item.key.trim().to_lowercase();
            if !is_item_n(&lower) {
                m.other_keys.push((lower.clone(), i));
            }
            m.by_key.insert(lower, i);
            let extras = extra_names.get(&item.key).into_iter().flatten();
            for name in std::iter::once(&item.item.provided_by).chain(extras) {
                let n = normalise(name);
                if !n.is_empty() {
                    note(&mut m.merchants, n, i);
                }
            }
            if let Some(cost) = cost_each_time(&item.item) {
                note(&mut m.amounts, cost, i);
            }
        }
        let mut references = BTreeMap::new();
        for rule in learned {
            let Some(&i) = m.by_key.get(&rule.item_key.trim().to_lowercase()) else { continue };
            match rule.field {
                LearnedField::Merchant | LearnedField::Category => {
                    let n = normalise(&rule.pattern);
                    if n.is_empty() {
                        continue;
                    }
                    let map = if rule.field == LearnedField::Merchant {
                        &mut m.learned_merchants
                    } else {
                        &mut m.learned_categories
                    };
                    map.insert(n, i);
                }
                LearnedField::Reference => {
                    let w = words(&rule.pattern);
                    if !w.trim().is_empty() {
                        references.insert(w, i);
                    }
                }
            }
        }
        m.learned_references = references.into_iter().collect();
        m
    }

    /// The item `line` is for and the rule that says so, or `None` when no
    /// rule can tell (a person decides).
    pub fn match_line(&self, line: &SpendLine<'_>) -> Option<(&str, MatchRule)> {
        if !line.is_spend() {
            return None;
        }
        let (i, rule) = match line.item_key {
            Some(key) => (with_lower(key, |k| self.by_key.get(k).copied())?, MatchRule::Invoice),
            None => self
                .by_reference(line.description)
                .map(|i| (i, MatchRule::Reference))
                .or_else(|| self.by_merchant(line.merchant).map(|i| (i, MatchRule::Merchant)))
                .or_else(|| self.by_category(line.category?).map(|i| (i, MatchRule::Category)))
                .or_else(|| only(self.amounts.get(&-line.amount.pence()).copied()).map(|i| (i, MatchRule::Amount)))?,
        };
        Some((&self.keys[i], rule))
    }

    fn by_reference(&self, description: &str) -> Option<usize> {
        if description.is_empty() {
            return None;
        }
        let mut found = None;
        for_each_item_n(description, |key| {
            if let Some(&i) = self.by_key.get(key) {
                found = add(found, i);
            }
        });
        for (key, i) in &self.other_keys {
            if contains_word(description, key) {
                found = add(found, *i);
            }
        }
        if let Some(i) = only(found) {
            return Some(i);
        }
        if self.learned_references.is_empty() {
            return None;
        }
        with_words(description, |text| {
            let mut found = None;
            for (pattern, i) in &self.learned_references {
                if text.contains(pattern.as_str()) {
                    found = add(found, *i);
                }
            }
            only(found)
        })
    }

    fn by_merchant(&self, merchant: &str) -> Option<usize> {
        if merchant.is_empty() {
            return None;
        }
        with_normalised(merchant, |n| {
            if n.is_empty() {
                return None;
            }
            self.learned_merchants.get(n).copied().or_else(|| only(self.merchants.get(n).copied()))
        })
    }

    fn by_category(&self, category: &str) -> Option<usize> {
        if self.learned_categories.is_empty() {
            return None;
        }
        with_normalised(category, |n| self.learned_categories.get(n).copied())
    }
}

/// What an item costs each time it is bought: unit cost × units, rounded
/// half up to the penny (the rounding of [`SupportItem::annual_cost`]).
fn cost_each_time(item: &SupportItem) -> Option<i64> {
    let hundredths = i128::from(item.unit_cost.pence()) * i128::from(item.units_hundredths);
    let pence = i64::try_from((hundredths + 50).div_euclid(100)).ok()?;
    (pence > 0).then_some(pence)
}

/// Whether a lower-case key is `item-` and digits.
fn is_item_n(key: &str) -> bool {
    key.strip_prefix("item-").is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether byte `b` is part of a word (a letter or digit; any byte of a
/// non-ASCII character counts, so a word is never cut inside one).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Calls `f` with each `item-N` written as a whole word in `text` (in any
/// case), lower-cased.
fn for_each_item_n(text: &str, mut f: impl FnMut(&str)) {
    const PREFIX: &[u8] = b"item-";
    let b = text.as_bytes();
    let mut i = 0;
    while i + PREFIX.len() < b.len() {
        let starts_word = i == 0 || !word_byte(b[i - 1]);
        if !(starts_word && b[i..i + PREFIX.len()].eq_ignore_ascii_case(PREFIX)) {
            i += 1;
            continue;
        }
        let digits_from = i + PREFIX.len();
        let end = b[digits_from..].iter().position(|c| !c.is_ascii_digit()).map_or(b.len(), |n| digits_from + n);
        let whole = end == b.len() || !word_byte(b[end]);
        if end > digits_from && whole && end - i <= STACK {
            let mut key = Stack::default();
            key.bytes[..PREFIX.len()].copy_from_slice(PREFIX);
            key.bytes[PREFIX.len()..end - i].copy_from_slice(&b[digits_from..end]);
            key.len = end - i;
            f(key.as_str());
        }
        i = end.max(i + 1);
    }
}

/// Whether `text` has `needle` (lower-case) as a whole word, ignoring the
/// case of ASCII letters.
fn contains_word(text: &str, needle: &str) -> bool {
    let (b, n) = (text.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > b.len() {
        return false;
    }
    (0..=b.len() - n.len()).any(|i| {
        b[i..i + n.len()].eq_ignore_ascii_case(n)
            && (i == 0 || !word_byte(b[i - 1]))
            && (i + n.len() == b.len() || !word_byte(b[i + n.len()]))
    })
}

/// The form names are compared in: lower case, letters and digits only,
/// everything else (spaces, punctuation) left out, so that "ABC Care Ltd."
/// and "abc care ltd" (and "ABCCARE LTD") are the same. Learned merchant
/// and category patterns are stored and compared in this form.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalise_into(s, &mut out);
    out
}

/// The form references are compared in: the words (runs of letters and
/// digits) in lower case, each with one space either side, so that
/// containing " pa wages " means containing those whole words in order.
fn words(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    words_into(s, &mut out);
    out
}

/// Somewhere to write normalised text.
trait Sink {
    fn put(&mut self, c: char);
}

impl Sink for String {
    fn put(&mut self, c: char) {
        self.push(c);
    }
}

/// The longest ASCII text normalised on the stack rather than the heap.
const STACK: usize = 256;

/// A short ASCII string on the stack.
struct Stack {
    bytes: [u8; STACK],
    len: usize,
}

impl Default for Stack {
    fn default() -> Self {
        Stack { bytes: [0; STACK], len: 0 }
    }
}

impl Stack {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("only ASCII is written")
    }
}

impl Sink for Stack {
    fn put(&mut self, c: char) {
        self.bytes[self.len] = u8::try_from(c).expect("only ASCII is written");
        self.len += 1;
    }
}

fn normalise_into(s: &str, out: &mut impl Sink) {
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        c.to_lowercase().for_each(|l| out.put(l));
    }
}

fn words_into(s: &str, out: &mut impl Sink) {
    out.put(' ');
    let (mut started, mut gap) = (false, false);
    for c in s.chars() {
        if c.is_alphanumeric() {
            if gap {
                out.put(' ');
                gap = false;
            }
            c.to_lowercase().for_each(|l| out.put(l));
            started = true;
        } else if started {
            gap = true;
        }
    }
    out.put(' ');
}

/// Calls `f` with `s` written by `write`: on the stack when `s` is short
/// ASCII (which the writers keep ASCII and at most two bytes longer),
/// otherwise in a `String`.
fn with_written<R>(
    s: &str,
    write: fn(&str, &mut Stack),
    write_string: fn(&str, &mut String),
    f: impl FnOnce(&str) -> R,
) -> R {
    if s.is_ascii() && s.len() + 2 <= STACK {
        let mut out = Stack::default();
        write(s, &mut out);
        f(out.as_str())
    } else {
        let mut out = String::with_capacity(s.len() + 2);
        write_string(s, &mut out);
        f(&out)
    }
}

fn with_normalised<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    with_written(s, normalise_into, normalise_into, f)
}

fn with_words<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    with_written(s, words_into, words_into, f)
}

fn with_lower<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    fn lower_into(s: &str, out: &mut impl Sink) {
        s.trim().chars().flat_map(char::to_lowercase).for_each(|c| out.put(c));
    }
    with_written(s, lower_into, lower_into, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invalid::FieldError;
    use crate::pathway::plan::{Frequency, ManagementRoute};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn columns(format: StatementFormat, header: &str) -> Columns {
        Columns::from_header(format, &header.split(',').collect::<Vec<_>>()).unwrap()
    }

    fn errors(invalid: Invalid) -> Vec<(String, String)> {
        invalid.0.into_iter().map(|FieldError { field, message }| (field, message)).collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected.iter().map(|(f, m)| (f.to_string(), m.to_string())).collect()
    }

    const GENERIC_HEADER: &str = "account,date,amount,description,merchant,transaction_id,category";
    const PREPAID_HEADER: &str =
        "Card Holder Reference,Transaction Date,Merchant Name,Merchant Category,Debit,Credit,Transaction ID,Narrative";
    const INVOICE_HEADER: &str =
        "provider_reference,invoice_number,line,child_reference,item_key,date,amount,description";

    #[test]
    fn the_child_reference_is_read_from_a_line_with_other_problems() {
        let invoice = columns(StatementFormat::ProviderInvoice, INVOICE_HEADER);
        let record = ["PRV-42", "", "2", "  ALT-1 ", "item-3", "23/11/2026", "lots", ""];
        assert!(invoice.line(&record).is_err());
        assert_eq!(invoice.account(|i| record.get(i).copied()), "ALT-1");
        assert_eq!(invoice.account(|_| None), "", "a record too short to have it names none");
    }

    #[test]
    fn a_kept_record_gives_back_the_same_line_and_its_source() {
        let statement = columns(StatementFormat::Generic, GENERIC_HEADER)
            .line(&["ALT-1", "2026-11-23", "-12.50", "swim ✓", "Pool", "TX-1", "Leisure"])
            .unwrap();
        let kept = SpendRecord::new(7, &statement);
        assert_eq!((kept.line, kept.as_line()), (7, statement.clone()));
        assert_eq!(statement.source(), "");
        let invoice = columns(StatementFormat::ProviderInvoice, INVOICE_HEADER)
            .line(&["PRV-42", "INV-9", "2", "ALT-1", "item-3", "2026-11-23", "45.00", ""])
            .unwrap();
        let kept = SpendRecord::new(8, &invoice);
        assert_eq!(kept.as_line(), invoice);
        assert_eq!((invoice.source(), kept.as_line().transaction_id.as_ref()), ("PRV-42", "INV-9/2"));
        assert_eq!((invoice.category, invoice.description), (None, ""));
    }

    #[test]
    fn a_good_generic_line_parses_to_exact_values() {
        let cols = columns(StatementFormat::Generic, GENERIC_HEADER);
        let line =
            cols.line(&["ALT-000123", "2026-11-23", "-1234.5", " PA wages item-3 ", "ABC Care Ltd", "TX-981", ""]);
        assert_eq!(
            line,
            Ok(SpendLine {
                account: "ALT-000123",
                date: date(2026, 11, 23),
                amount: Pence::new(-123_450),
                description: "PA wages item-3",
                merchant: "ABC Care Ltd",
                category: None,
                transaction_id: Cow::Borrowed("TX-981"),
                item_key: None,
            })
        );
        let line = cols.line(&["ALT-000123", "2026-11-23", "£1,234.56", "", "", "TX-982", "Leisure"]).unwrap();
        assert_eq!((line.amount, line.category, line.description), (Pence::new(123_456), Some("Leisure"), ""));
        assert!(!line.is_spend());
    }

    #[test]
    fn a_good_prepaid_card_debit_is_money_out_and_a_credit_money_in() {
        let cols = columns(StatementFormat::PrepaidCard, PREPAID_HEADER);
        let line = cols.line(&[
            "ALT-000123",
            "23/11/2026",
            "Swim Club",
            "Sports Clubs",
            "12.50",
            "0.00",
            "8812345",
            "Swimming lessons",
        ]);
        assert_eq!(
            line,
            Ok(SpendLine {
                account: "ALT-000123",
                date: date(2026, 11, 23),
                amount: Pence::new(-1250),
                description: "Swimming lessons",
                merchant: "Swim Club",
                category: Some("Sports Clubs"),
                transaction_id: Cow::Borrowed("8812345"),
                item_key: None,
            })
        );
        let credit = cols.line(&["ALT-000123", "3/1/2027", "Council", "", "", "250", "8812346", "Load"]).unwrap();
        assert_eq!((credit.amount, credit.date, credit.category), (Pence::new(25_000), date(2027, 1, 3), None));
    }

    #[test]
    fn a_good_invoice_line_is_a_charge_with_its_item_and_an_id_of_number_and_line() {
        let cols = columns(StatementFormat::ProviderInvoice, INVOICE_HEADER);
        let line =
            cols.line(&["PRV-0042", "INV-2026-118", "2", "ALT-000123", "item-3", "2026-11-23", "45.00", "Respite"]);
        assert_eq!(
            line,
            Ok(SpendLine {
                account: "ALT-000123",
                date: date(2026, 11, 23),
                amount: Pence::new(-4500),
                description: "Respite",
                merchant: "PRV-0042",
                category: None,
                transaction_id: Cow::Owned("INV-2026-118/2".to_owned()),
                item_key: Some("item-3"),
            })
        );
        // A negative amount is a credit: money back.
        let credit =
            cols.line(&["PRV-0042", "INV-2026-119", "1", "ALT-000123", "item-3", "2026-11-30", "-10", ""]).unwrap();
        assert_eq!(credit.amount, Pence::new(1000));
    }

    #[test]
    fn headers_match_in_any_case_order_and_spacing_with_extra_columns_ignored() {
        let header = ["\u{feff}Extra", " TRANSACTION_ID ", "Merchant", "description", "Amount", "DATE", "account", "x"];
        let cols = Columns::from_header(StatementFormat::Generic, &header).unwrap();
        let line = cols.line(&["?", "T1", "Shop", "Thing", "-1", "2026-04-01", "ALT-1", "?"]).unwrap();
        assert_eq!(
            (line.account, line.date, line.amount, line.description, line.merchant, line.transaction_id.as_ref()),
            ("ALT-1", date(2026, 4, 1), Pence::new(-100), "Thing", "Shop", "T1")
        );
        assert_eq!(line.category, None);
        assert_eq!(
            StatementFormat::Generic.columns().collect::<Vec<_>>(),
            [
                ("account", true),
                ("date", true),
                ("amount", true),
                ("description", true),
                ("merchant", true),
                ("transaction_id", true),
                ("category", false)
            ]
        );
    }

    #[test]
    fn each_missing_or_doubled_column_is_one_error_naming_it() {
        let e =
            Columns::from_header(StatementFormat::Generic, &["account", "date", "amount", "merchant", "description"])
                .unwrap_err();
        assert_eq!(errors(e), pairs(&[("transaction_id", "this column is missing (the generic format needs it)")]));
        let e = Columns::from_header(
            StatementFormat::PrepaidCard,
            &["Card Holder Reference", "Debit", "debit", "DEBIT", "Credit", "Narrative"],
        )
        .unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("Transaction Date", "this column is missing (the prepaid_card format needs it)"),
                ("Merchant Name", "this column is missing (the prepaid_card format needs it)"),
                ("Debit", "this column appears 3 times: keep one"),
                ("Transaction ID", "this column is missing (the prepaid_card format needs it)"),
            ])
        );
    }

    #[test]
    fn every_bad_field_of_a_generic_line_is_reported_at_once_with_its_column() {
        let cols = columns(StatementFormat::Generic, GENERIC_HEADER);
        let long = "x".repeat(41);
        let e = cols.line(&[&long, "23/11/2026", "12.345", "tab\there", "", "", "ok"]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("account", "this can be at most 40 characters"),
                ("date", "enter a date like 2026-11-23"),
                ("amount", "an amount can have at most 2 decimal places (whole pence)"),
                ("description", "remove the control characters (such as tabs or line breaks)"),
                ("transaction_id", "the transaction id is empty"),
            ])
        );
        let e = cols.line(&["", "2026-02-30", "twelve", "", "", "T1"]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("account", "the account reference is empty"),
                ("date", "enter a date like 2026-11-23"),
                ("amount", "enter an amount like -12.50"),
            ])
        );
    }

    #[test]
    fn zero_and_over_the_limit_amounts_are_refused() {
        let cols = columns(StatementFormat::Generic, GENERIC_HEADER);
        let amount_error = |text: &str| cols.line(&["A", "2026-11-23", text, "", "", "T1"]).map(|l| l.amount);
        assert_eq!(
            amount_error("-0.00").map_err(errors),
            Err(pairs(&[("amount", "the amount is £0.00: a line must move some money")]))
        );
        let too_large = "the amount is more than £10,000,000.00, the most Allot takes on one line";
        assert_eq!(amount_error("-10000000.01").map_err(errors), Err(pairs(&[("amount", too_large)])));
        assert_eq!(amount_error("99999999999999999999").map_err(errors), Err(pairs(&[("amount", too_large)])));
        assert_eq!(amount_error("-10000000.00"), Ok(Pence::new(-1_000_000_000)));
        assert_eq!(amount_error("£10,000,000"), Ok(Pence::INPUT_MAX));
    }

    #[test]
    fn every_bad_field_of_a_prepaid_card_line_is_reported_at_once_with_its_column() {
        let cols = columns(StatementFormat::PrepaidCard, PREPAID_HEADER);
        let e = cols.line(&["", "2026-11-23", "Shop", "", "12.50", "3.00", "", ""]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("Card Holder Reference", "the card holder reference is empty"),
                ("Transaction Date", "enter a date like 23/11/2026"),
                ("Debit", "a line needs a debit or a credit, not both"),
                ("Transaction ID", "the transaction id is empty"),
            ])
        );
        let e = cols.line(&["ALT-1", "31/04/2026", "Shop", "", "", "0.00", "T1", ""]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("Transaction Date", "enter a date like 23/11/2026"),
                ("Debit", "a line needs a debit or a credit"),
            ])
        );
        let e = cols.line(&["ALT-1", "30/04/2026", "Shop", "", "-12.50", "abc", "T1", ""]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[("Debit", "enter a positive amount, like 12.50"), ("Credit", "enter an amount like 250.00")])
        );
    }

    #[test]
    fn every_bad_field_of_an_invoice_line_is_reported_at_once_with_its_column() {
        let cols = columns(StatementFormat::ProviderInvoice, INVOICE_HEADER);
        let e = cols.line(&["", "", "", "", "", "", "", ""]).unwrap_err();
        assert_eq!(
            errors(e),
            pairs(&[
                ("child_reference", "the child reference is empty"),
                ("date", "enter a date like 2026-11-23"),
                ("amount", "enter the amount charged, like 45.00"),
                ("provider_reference", "the provider reference is empty"),
                ("invoice_number", "the invoice number is empty"),
                ("line", "the line number is empty"),
                ("item_key", "the item key is empty: enter the plan item's key, like item-3"),
            ])
        );
        // A record shorter than the header: the missing fields are blank.
        let e = cols.line(&["PRV-1", "INV-1", "1", "ALT-1", "item-1", "2026-11-23"]).unwrap_err();
        assert_eq!(errors(e), pairs(&[("amount", "enter the amount charged, like 45.00")]));
    }

    fn item(key: &str, provided_by: &str, unit_cost: i64, units_hundredths: i64) -> PlanItem {
        PlanItem {
            key: key.to_owned(),
            item: SupportItem {
                what: "Support".to_owned(),
                provided_by: provided_by.to_owned(),
                unit_cost: Pence::new(unit_cost),
                units_hundredths,
                frequency: Frequency::Weekly,
                stream: "social_care".to_owned(),
                route: ManagementRoute::DirectPayment,
                isf_holder: None,
                provider: None,
                personal_assistant: None,
            },
        }
    }

    /// item-1 and item-4 share a provider; item-3 and item-4 share a cost.
    fn plan() -> Vec<PlanItem> {
        vec![
            item("item-1", "ABC Care Ltd.", 1550, 300),             // £46.50 each time
            item("item-2", "PA employed by the family", 1233, 250), // £30.825 → £30.83
            item("item-3", "Swim Club", 2000, 100),                 // £20.00
            item("item-4", "abc care ltd", 1000, 200),              // £20.00
        ]
    }

    fn extra() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([("item-2".to_owned(), vec!["Jo Bloggs".to_owned()])])
    }

    fn rule(field: LearnedField, pattern: &str, item_key: &str) -> LearnedRule {
        LearnedRule { field, pattern: pattern.to_owned(), item_key: item_key.to_owned() }
    }

    fn spend<'a>(description: &'a str, merchant: &'a str, category: Option<&'a str>, pence: i64) -> SpendLine<'a> {
        SpendLine {
            account: "ALT-000123",
            date: date(2026, 11, 23),
            amount: Pence::new(pence),
            description,
            merchant,
            category,
            transaction_id: Cow::Borrowed("T1"),
            item_key: None,
        }
    }

    #[test]
    fn names_are_compared_in_lower_case_letters_and_digits_only() {
        assert_eq!(normalise("ABC Care Ltd."), normalise("abc care ltd"));
        assert_eq!(normalise("ABC Care Ltd."), "abccareltd");
        assert_eq!(normalise("ABCCARE LTD"), "abccareltd");
        assert_eq!(normalise("Sainsbury's"), "sainsburys");
        assert_eq!(normalise("Café Ölé"), "caféölé");
        assert_eq!(words("  PA-wages, Nov. "), " pa wages nov ");
        assert_eq!(words("..."), "  ");
    }

    #[test]
    fn an_invoice_line_matches_the_item_it_names_and_only_that() {
        let m = ItemMatcher::new(&plan(), &extra(), &[]);
        let mut line = spend("item-1", "Swim Club", None, -2000);
        line.item_key = Some("ITEM-2");
        assert_eq!(m.match_line(&line), Some(("item-2", MatchRule::Invoice)));
        // An item not in the plan leaves the line for a person, whatever
        // else it says.
        line.item_key = Some("item-9");
        assert_eq!(m.match_line(&line), None);
    }

    #[test]
    fn a_reference_naming_an_item_key_as_a_whole_word_matches_it() {
        let m = ItemMatcher::new(&plan(), &extra(), &[]);
        assert_eq!(m.match_line(&spend("PA wages ITEM-2 Nov", "", None, -1)), Some(("item-2", MatchRule::Reference)));
        assert_eq!(m.match_line(&spend("ref:item-3.", "", None, -1)), Some(("item-3", MatchRule::Reference)));
        assert_eq!(m.match_line(&spend("item-3", "", None, -1)), Some(("item-3", MatchRule::Reference)));
        // Not whole words, not in the plan, or naming two items: no match.
        for description in ["item-30", "xitem-3", "item-3a", "item-", "item-9", "item-1 and item-2"] {
            assert_eq!(m.match_line(&spend(description, "", None, -1)), None, "{description}");
        }
    }

    #[test]
    fn a_learned_reference_matches_its_words_in_order() {
        let m = ItemMatcher::new(&plan(), &extra(), &[rule(LearnedField::Reference, "Jo B wages", "item-2")]);
        assert_eq!(m.match_line(&spend("SO JO-B WAGES 0411", "", None, -1)), Some(("item-2", MatchRule::Reference)));
        assert_eq!(m.match_line(&spend("SO JOB WAGES", "", None, -1)), None);
        assert_eq!(m.match_line(&spend("wages jo b", "", None, -1)), None);
    }

    #[test]
    fn a_merchant_matches_a_provider_an_extra_name_or_a_learned_merchant() {
        let m = ItemMatcher::new(&plan(), &extra(), &[]);
        assert_eq!(m.match_line(&spend("", "SWIM CLUB", None, -1)), Some(("item-3", MatchRule::Merchant)));
        assert_eq!(m.match_line(&spend("", "Jo  Bloggs", None, -1)), Some(("item-2", MatchRule::Merchant)));
        // ABC Care provides two items: the merchant alone cannot say which.
        assert_eq!(m.match_line(&spend("", "ABC CARE LTD", None, -1)), None);
        let m = ItemMatcher::new(&plan(), &extra(), &[rule(LearnedField::Merchant, "ABC Care Ltd", "item-4")]);
        assert_eq!(m.match_line(&spend("", "ABC CARE LTD", None, -1)), Some(("item-4", MatchRule::Merchant)));
    }

    #[test]
    fn a_learned_category_matches_its_category() {
        let learned = [rule(LearnedField::Category, "Sports Clubs", "item-3")];
        let m = ItemMatcher::new(&plan(), &extra(), &learned);
        assert_eq!(
            m.match_line(&spend("", "Leisure Ltd", Some("SPORTS CLUBS"), -1)),
            Some(("item-3", MatchRule::Category))
        );
        assert_eq!(m.match_line(&spend("", "Leisure Ltd", Some("Sports"), -1)), None);
        assert_eq!(m.match_line(&spend("", "Leisure Ltd", None, -1)), None);
    }

    #[test]
    fn an_amount_matches_the_one_item_that_costs_it_each_time() {
        let m = ItemMatcher::new(&plan(), &extra(), &[]);
        assert_eq!(m.match_line(&spend("", "Someone", None, -4650)), Some(("item-1", MatchRule::Amount)));
        // £12.33 × 2.5 = £30.825, rounded half up to £30.83.
        assert_eq!(m.match_line(&spend("", "", None, -3083)), Some(("item-2", MatchRule::Amount)));
        assert_eq!(m.match_line(&spend("", "", None, -3082)), None);
    }

    #[test]
    fn an_amount_two_items_share_stays_unmatched() {
        let m = ItemMatcher::new(&plan(), &extra(), &[]);
        assert_eq!(m.match_line(&spend("", "Someone", None, -2000)), None);
    }

    #[test]
    fn the_rules_are_tried_in_order_and_a_rule_that_cannot_decide_gives_way() {
        let learned = [
            rule(LearnedField::Merchant, "Corner Shop", "item-1"),
            rule(LearnedField::Category, "Groceries", "item-2"),
        ];
        let m = ItemMatcher::new(&plan(), &extra(), &learned);
        // Reference before merchant, category and amount.
        assert_eq!(
            m.match_line(&spend("item-4", "Corner Shop", Some("Groceries"), -3083)),
            Some(("item-4", MatchRule::Reference))
        );
        // Merchant before category and amount.
        assert_eq!(
            m.match_line(&spend("", "Corner Shop", Some("Groceries"), -3083)),
            Some(("item-1", MatchRule::Merchant))
        );
        // Category before amount.
        assert_eq!(
            m.match_line(&spend("", "Elsewhere", Some("Groceries"), -4650)),
            Some(("item-2", MatchRule::Category))
        );
        // An ambiguous merchant gives way to the amount.
        assert_eq!(m.match_line(&spend("", "ABC Care Ltd", None, -4650)), Some(("item-1", MatchRule::Amount)));
        // A reference naming two items gives way to the merchant.
        assert_eq!(m.match_line(&spend("item-1 item-3", "Swim Club", None, -1)), Some(("item-3", MatchRule::Merchant)));
        // A learned rule for an item no longer in the plan is ignored.
        let m = ItemMatcher::new(&plan(), &extra(), &[rule(LearnedField::Merchant, "Swim Club", "item-9")]);
        assert_eq!(m.match_line(&spend("", "Swim Club", None, -1)), Some(("item-3", MatchRule::Merchant)));
    }

    #[test]
    fn money_in_is_never_spend() {
        let learned = [rule(LearnedField::Merchant, "Council", "item-1")];
        let m = ItemMatcher::new(&plan(), &extra(), &learned);
        assert_eq!(m.match_line(&spend("item-1", "Council", None, 4650)), None);
        let mut credit = spend("", "", None, 1000);
        credit.item_key = Some("item-1");
        assert_eq!(m.match_line(&credit), None);
        // The same line as money out matches.
        assert_eq!(m.match_line(&spend("item-1", "Council", None, -4650)), Some(("item-1", MatchRule::Reference)));
    }

    #[test]
    fn a_later_learned_rule_replaces_an_earlier_one_for_the_same_pattern() {
        let learned = [
            rule(LearnedField::Merchant, "Corner Shop", "item-1"),
            rule(LearnedField::Merchant, "CORNER SHOP", "item-2"),
        ];
        let m = ItemMatcher::new(&plan(), &extra(), &learned);
        assert_eq!(m.match_line(&spend("", "Corner Shop", None, -1)), Some(("item-2", MatchRule::Merchant)));
    }

    proptest! {
        #[test]
        fn any_good_generic_line_round_trips(
            account in "[A-Z]{2,4}-[0-9]{1,10}",
            days in 0i64..(150 * 365),
            pence in prop_oneof![-1_000_000_000i64..=-1, 1i64..=1_000_000_000],
            grouped in any::<bool>(),
            description in "[ -~]{0,60}",
            merchant in "[ -~£é]{0,40}",
            id in "[A-Za-z0-9/-]{1,30}",
        ) {
            let day = date(1950, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            let amount = Pence::new(pence);
            let amount_text = if grouped { amount.to_string() } else { amount.to_decimal_string() };
            let fields = [account.clone(), day.to_string(), amount_text, description.clone(), merchant.clone(), id.clone()];
            let record: Vec<&str> = fields.iter().map(String::as_str).collect();
            let line = columns(StatementFormat::Generic, GENERIC_HEADER).line(&record).unwrap();
            prop_assert_eq!(line.amount, amount);
            prop_assert_eq!(line.date, day);
            prop_assert_eq!(line.account, account.as_str());
            prop_assert_eq!(line.description, description.trim());
            prop_assert_eq!(line.merchant, merchant.trim());
            prop_assert_eq!(line.transaction_id.as_ref(), id.as_str());
            prop_assert_eq!(line.is_spend(), pence < 0);
        }

        #[test]
        fn the_quick_amount_parse_agrees_with_pence_parse(
            text in "-?£?[0-9,]{0,20}(\\.[0-9]{0,3})?|[ -~]{0,12}|\\PC{0,8}",
        ) {
            prop_assert_eq!(parse_amount(&text), Pence::parse(&text));
        }

        #[test]
        fn the_quick_amount_parse_agrees_on_every_plain_amount(p in any::<i64>()) {
            let text = Pence::new(p).to_decimal_string();
            prop_assert_eq!(parse_amount(&text), Pence::parse(&text));
        }

        #[test]
        fn normalising_on_the_stack_agrees_with_normalising_on_the_heap(s in "[ -~]{0,300}|\\PC{0,20}") {
            prop_assert_eq!(with_normalised(&s, str::to_owned), normalise(&s));
            prop_assert_eq!(with_words(&s, str::to_owned), words(&s));
        }

        #[test]
        fn both_date_forms_read_every_date_in_range(days in 0i64..(1099 * 366)) {
            let Some(day) = date(1900, 1, 1).checked_add(jiff::Span::new().days(days)).ok().filter(|d| d.year() <= 2999)
            else { return Ok(()) };
            prop_assert_eq!(iso_date(&day.to_string()), Some(day));
            let uk = format!("{:02}/{:02}/{}", day.day(), day.month(), day.year());
            prop_assert_eq!(uk_date(&uk), Some(day));
        }
    }
}
