//! Bacs Standard 18 payment files: how a council pays direct payments into
//! families' bank accounts in one run, submitted through Bacstel-IP.
//!
//! # Layout
//!
//! Bacs publishes Standard 18 only to its service users, so the layout here
//! comes from public descriptions of it: the field-by-field notes in
//! `tracey-stobbs/bacs-file-data-generator` (`docs/FileFormats/BacsStandard.md`:
//! UHL1, data, contra and UTL1 columns) and
//! `tracey-stobbs/ddcms-direct-file-generator`
//! (`documentation/FileFormats/Bacs18PaymentLines.md`: the 100-character
//! daily record and the character set); FinchContext's "Build a Bacs
//! Standard 18 payment file" and FinDock's "Bacs Direct Debit collection
//! file" (record order and widths); MYOB's "Settings of the BACS HSBC file"
//! (one contra carrying the total of the payments); and Oracle's JD Edwards
//! UK notes (80-character labels, 100-character credit and contra records,
//! dates as `bYYDDD`). Where they differ it is over multi-day files (106
//! characters, a processing day on every record), which this is not, and
//! over what fills the contra's narrative (47–64): blank, `CONTRA` or the
//! council's name; the council's name is used here. This is a
//! single-processing-day ("DAILY") file:
//!
//! ```text
//! UHL1 user header label (80)
//! one credit record per payment (100), transaction code 99
//! one contra record (100), transaction code 17: debits the council's account by the total
//! UTL1 user trailer label (80)
//! ```
//!
//! Columns, 1-based inclusive (the `0..6`-style ranges in the tests are the
//! same columns, 0-based and half-open):
//!
//! ```text
//! Payment and contra records (100)
//!   1–6    destination sort code
//!   7–14   destination account number
//!   15     destination account type, '0'
//!   16–17  transaction code: '99' credit, '17' the contra's debit
//!   18–23  originating sort code
//!   24–31  originating account number
//!   32–35  free format, 4 spaces
//!   36–46  amount in pence, zero-filled to 11 digits
//!   47–64  service user's (the council's) name; the contra's narrative
//!   65–82  reference; 'CONTRA' on the contra
//!   83–100 destination account name; the contra's is the council's name
//! UHL1 (80)
//!   1–4    'UHL1'
//!   5–10   processing day, ' YYDDD' (a space, the year's last 2 digits, the day of the year)
//!   11–20  identifying number of receiving party, '999999' and 4 spaces
//!   21–22  currency code, '00' (sterling)
//!   23–28  country code, '000000'
//!   29–37  work code, '1 DAILY  '
//!   38–40  file number, '001'–'999'
//!   41–47  reserved, spaces
//!   48–54  audit print identifier, spaces (none asked for)
//!   55–80  reserved, spaces
//! UTL1 (80)
//!   1–4    'UTL1'
//!   5–17   debit value total in pence (13 digits)
//!   18–30  credit value total in pence (13 digits)
//!   31–37  debit item count (7 digits)
//!   38–44  credit item count (7 digits)
//!   45–80  reserved and service user's own use, spaces
//! ```
//!
//! The volume and file labels of a full Standard 18 exchange (VOL1, HDR1,
//! HDR2, EOF1, EOF2), which carry the service user number, are not
//! written: this file runs from UHL1 to UTL1. Whether the council's
//! Bacs-approved submission software wants them too is to be checked before
//! the first live run. The contra's debit counts in UTL1 beside the
//! credits, so the debit and credit totals are equal, as they must be.

use std::fmt;

use jiff::civil::Date;

use super::bank::{AccountName, AccountNumber, BankDetails, SortCode};
use crate::money::Pence;

/// The width of every name and reference field in a Bacs record.
pub const NAME_WIDTH: usize = 18;
/// The width of a payment or contra record.
pub const RECORD_WIDTH: usize = 100;
/// The width of the UHL1 and UTL1 labels.
pub const LABEL_WIDTH: usize = 80;
/// The most one record can carry: 11 digits of pence (£999,999,999.99).
pub const MAX_AMOUNT: Pence = Pence::new(99_999_999_999);
/// The most payments one file can count: UTL1's 7-digit credit count.
pub const MAX_PAYMENTS: usize = 9_999_999;

/// What a contra record carries in its reference field, so Bacs (and the
/// council's bank statement) can tell it from a payment.
const CONTRA: &str = "CONTRA";

/// Why a payment file cannot be written. Each names the payment (counting
/// from 1, in the order given) so finance staff can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacsError {
    #[error("there are no payments to put in the file")]
    NoPayments,
    #[error("a Bacs file can hold at most 9,999,999 payments, and this run has {0}: split it into several files")]
    TooManyPayments(usize),
    #[error("payment {payment}: the amount must be more than £0.00, and it is {amount}")]
    AmountNotPositive { payment: usize, amount: Pence },
    #[error("payment {payment}: {amount} is more than Bacs carries in one payment (£999,999,999.99)")]
    AmountTooLarge { payment: usize, amount: Pence },
    #[error("the payments add up to more than one Bacs file can balance (£999,999,999.99): split the run")]
    TotalTooLarge,
    #[error("payment {payment}: the reference needs at least one letter or digit")]
    NoReference { payment: usize },
    #[error("payment {payment}: the reference cannot be CONTRA, which Bacs keeps for the balancing record")]
    ContraReference { payment: usize },
    #[error("a Bacs file number is from 1 to 999, not {0}")]
    FileNumber(u16),
}

/// A service user number (SUN): the six digits Bacs gives an organisation
/// that submits payment files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceUserNumber([u8; 6]);

impl ServiceUserNumber {
    /// Parses a service user number: exactly six digits.
    pub fn parse(input: &str) -> Result<ServiceUserNumber, &'static str> {
        match <[u8; 6]>::try_from(input.trim().as_bytes()) {
            Ok(d) if d.iter().all(u8::is_ascii_digit) => Ok(ServiceUserNumber(d)),
            _ => Err("enter a service user number like 123456 — 6 digits"),
        }
    }

    /// The six digits.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

impl fmt::Display for ServiceUserNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digits())
    }
}

/// A file's number among those submitted for the same processing day,
/// 1–999 (UHL1 has three digits for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileNumber(u16);

impl FileNumber {
    /// The first (usually the only) file of the day.
    pub const FIRST: FileNumber = FileNumber(1);

    /// A file number, if it is 1–999.
    pub fn new(n: u16) -> Result<FileNumber, BacsError> {
        if (1..=999).contains(&n) { Ok(FileNumber(n)) } else { Err(BacsError::FileNumber(n)) }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// Who pays: the council's Bacs identity and the account the run is drawn
/// from. The service user number travels with it because the submission
/// is made under it, although the records written here do not carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    pub service_user_number: ServiceUserNumber,
    pub sort_code: SortCode,
    pub account_number: AccountNumber,
    /// The council's name as its bank holds it (at most 18 Bacs characters).
    pub name: AccountName,
}

/// One payment in a run: a credit to `to`. The reference is what the
/// family sees on their statement; it is written in Bacs characters and
/// cut to 18.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacsPayment {
    pub to: BankDetails,
    pub amount: Pence,
    pub reference: String,
}

/// Text as Bacs can carry it: upper case A–Z, 0–9, space, full stop,
/// ampersand, slash and hyphen. Accented Latin letters lose their accents
/// (`Siân` → `SIAN`, `ß` → `SS`), apostrophes are dropped (`O'Brien` →
/// `OBRIEN`), dashes become hyphens, and anything else becomes a space;
/// runs of spaces are collapsed and the ends trimmed. Not cut to a width.
pub fn bacs_characters(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut space = false;
    for c in input.chars() {
        match fold(c) {
            Folded::Drop => {}
            Folded::Space => space = !out.is_empty(),
            Folded::Text(text) => {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push_str(text);
            }
        }
    }
    out
}

enum Folded {
    Text(&'static str),
    Space,
    Drop,
}

/// One character in the Bacs set: the letters with diacritics of Latin-1
/// and Latin Extended-A (the names English councils meet, Welsh included)
/// are folded by hand, as the domain has no Unicode tables.
fn fold(c: char) -> Folded {
    const SET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.&/-";
    if let Some(i) = SET.find(c.to_ascii_uppercase()).filter(|_| c.is_ascii()) {
        return Folded::Text(&SET[i..=i]);
    }
    let text = match c {
        '\'' | '’' | '‘' | '`' | '´' | 'ʼ' | '\u{300}'..='\u{36f}' => return Folded::Drop,
        '‐' | '‑' | '‒' | '–' | '—' | '−' => "-",
        'À'..='Å' | 'à'..='å' | 'Ā'..='ą' => "A",
        'Æ' | 'æ' => "AE",
        'Ç' | 'ç' | 'Ć'..='č' => "C",
        'Ð' | 'ð' | 'Ď'..='đ' => "D",
        'È'..='Ë' | 'è'..='ë' | 'Ē'..='ě' => "E",
        'Ĝ'..='ģ' => "G",
        'Ĥ'..='ħ' => "H",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ'..='ı' => "I",
        'Ĳ' | 'ĳ' => "IJ",
        'Ĵ' | 'ĵ' => "J",
        'Ķ'..='ĸ' => "K",
        'Ĺ'..='ł' => "L",
        'Ñ' | 'ñ' | 'Ń'..='ŋ' => "N",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō'..='ő' => "O",
        'Œ' | 'œ' => "OE",
        'Ŕ'..='ř' => "R",
        'ß' => "SS",
        'Ś'..='š' | 'Ș' | 'ș' => "S",
        'Ţ'..='ŧ' | 'Ț' | 'ț' => "T",
        'Þ' | 'þ' => "TH",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ũ'..='ų' => "U",
        'Ŵ' | 'ŵ' => "W",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ'..='Ÿ' => "Y",
        'Ź'..='ž' => "Z",
        _ => return Folded::Space,
    };
    Folded::Text(text)
}

/// A day in Bacs's "Julian" form: a space, the year's last two digits and
/// the day of the year (`2026-11-23` → ` 26327`, `2028-12-31` → ` 28366`).
pub fn julian_day(day: Date) -> String {
    format!(" {:02}{:03}", i32::from(day.year()).rem_euclid(100), day.day_of_year())
}

/// `text` in Bacs characters, cut or space-padded to exactly `width`.
fn alpha(text: &str, width: usize) -> String {
    let text = bacs_characters(text);
    format!("{:<width$.width$}", text)
}

/// One payment or contra record, from the council's account; `amount` is
/// already checked to fit.
fn record(
    code: &str,
    to_sort: &SortCode,
    to_account: &AccountNumber,
    to_name: &str,
    from: &Originator,
    amount: Pence,
    reference: &str,
) -> String {
    let line = format!(
        "{}{}0{code}{}{}    {:011}{}{}{}",
        to_sort.digits(),
        to_account.digits(),
        from.sort_code.digits(),
        from.account_number.digits(),
        amount.pence(),
        alpha(from.name.bacs(), NAME_WIDTH),
        alpha(reference, NAME_WIDTH),
        alpha(to_name, NAME_WIDTH),
    );
    debug_assert_eq!(line.len(), RECORD_WIDTH);
    line
}

/// Writes a single-processing-day Bacs Standard 18 file paying each of
/// `payments` from `originator`'s account, balanced by one contra record.
/// Lines end with `\n`. Every amount must be more than zero and fit 11
/// digits of pence, and so must their total (the contra carries it).
pub fn standard18(
    originator: &Originator,
    processing_day: Date,
    file_number: FileNumber,
    payments: &[BacsPayment],
) -> Result<String, BacsError> {
    if payments.is_empty() {
        return Err(BacsError::NoPayments);
    }
    if payments.len() > MAX_PAYMENTS {
        return Err(BacsError::TooManyPayments(payments.len()));
    }
    let mut total = Pence::ZERO;
    for (i, p) in payments.iter().enumerate() {
        let payment = i + 1;
        if p.amount <= Pence::ZERO {
            return Err(BacsError::AmountNotPositive { payment, amount: p.amount });
        }
        if p.amount > MAX_AMOUNT {
            return Err(BacsError::AmountTooLarge { payment, amount: p.amount });
        }
        match bacs_characters(&p.reference) {
            r if r.is_empty() => return Err(BacsError::NoReference { payment }),
            r if r == CONTRA => return Err(BacsError::ContraReference { payment }),
            _ => {}
        }
        total = total.checked_add(p.amount).filter(|t| *t <= MAX_AMOUNT).ok_or(BacsError::TotalTooLarge)?;
    }

    let mut lines = Vec::with_capacity(payments.len() + 3);
    let header = [
        "UHL1",
        &julian_day(processing_day),
        "999999    ", // receiving party: Bacs itself
        "00",         // currency: sterling
        "000000",     // country code
        "1 DAILY  ",  // work code: one processing day
        &format!("{:03}", file_number.get()),
    ]
    .concat();
    lines.push(format!("{header:<LABEL_WIDTH$}"));
    for p in payments {
        let to = &p.to;
        lines.push(record(
            "99",
            &to.sort_code,
            &to.account_number,
            to.account_name.bacs(),
            originator,
            p.amount,
            &p.reference,
        ));
    }
    let (sort, account, council) = (&originator.sort_code, &originator.account_number, originator.name.bacs());
    lines.push(record("17", sort, account, council, originator, total, CONTRA));
    let trailer = format!("UTL1{:013}{:013}{:07}{:07}", total.pence(), total.pence(), 1, payments.len());
    lines.push(format!("{trailer:<LABEL_WIDTH$}"));

    let mut file = lines.join("\n");
    file.push('\n');
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finance::bank::BankDetailsForm;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn details(sort_code: &str, account_number: &str, name: &str) -> BankDetails {
        BankDetailsForm {
            sort_code: Some(sort_code.to_owned()),
            account_number: Some(account_number.to_owned()),
            account_name: Some(name.to_owned()),
        }
        .parse()
        .unwrap()
    }

    fn council() -> Originator {
        Originator {
            service_user_number: ServiceUserNumber::parse("123456").unwrap(),
            sort_code: SortCode::parse("20-00-00").unwrap(),
            account_number: AccountNumber::parse("55779911").unwrap(),
            name: AccountName::parse("Anytown Council").unwrap(),
        }
    }

    fn pay(to: BankDetails, pence: i64, reference: &str) -> BacsPayment {
        BacsPayment { to, amount: Pence::new(pence), reference: reference.to_owned() }
    }

    fn run() -> Vec<BacsPayment> {
        vec![
            pay(details("30-94-30", "00733445", "Siân O'Brien"), 45_000, "DP Nov 2026 child 1"),
            pay(details("40 05 15", "87654321", "Zoë d'Ávila-Núñez"), 12_345, "Direct payment: respite, November 2026"),
            pay(details("601613", "31926819", "mr & mrs j. smith"), 250_000, "dp/1234"),
        ]
    }

    fn lines(file: &str) -> Vec<&str> {
        assert!(file.ends_with('\n'), "the file ends with a newline");
        file.strip_suffix('\n').unwrap().split('\n').collect()
    }

    #[test]
    fn the_file_is_a_header_the_credits_a_contra_and_a_trailer() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &run()).unwrap();
        assert_eq!(
            lines(&file),
            [
                "UHL1 26327999999    000000001 DAILY  001                                        ",
                "3094300073344509920000055779911    00000045000ANYTOWN COUNCIL   DP NOV 2026 CHILD SIAN OBRIEN       ",
                "4005158765432109920000055779911    00000012345ANYTOWN COUNCIL   DIRECT PAYMENT RESZOE DAVILA-NUNEZ  ",
                "6016133192681909920000055779911    00000250000ANYTOWN COUNCIL   DP/1234           MR & MRS J. SMITH ",
                "2000005577991101720000055779911    00000307345ANYTOWN COUNCIL   CONTRA            ANYTOWN COUNCIL   ",
                "UTL10000000307345000000030734500000010000003                                    ",
            ]
        );
    }

    #[test]
    fn every_field_of_a_credit_record_is_in_its_columns() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &run()).unwrap();
        let line = lines(&file)[2];
        assert_eq!(line.len(), 100);
        assert_eq!(&line[0..6], "400515", "destination sort code");
        assert_eq!(&line[6..14], "87654321", "destination account number");
        assert_eq!(&line[14..15], "0", "destination account type");
        assert_eq!(&line[15..17], "99", "transaction code: credit");
        assert_eq!(&line[17..23], "200000", "originating sort code");
        assert_eq!(&line[23..31], "55779911", "originating account number");
        assert_eq!(&line[31..35], "    ", "free format");
        assert_eq!(&line[35..46], "00000012345", "amount in pence");
        assert_eq!(&line[46..64], "ANYTOWN COUNCIL   ", "service user's name");
        assert_eq!(&line[64..82], "DIRECT PAYMENT RES", "reference, cut to 18");
        assert_eq!(&line[82..100], "ZOE DAVILA-NUNEZ  ", "beneficiary's name, accents and apostrophe gone");
    }

    #[test]
    fn names_and_references_are_written_in_bacs_characters() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &run()).unwrap();
        let l = lines(&file);
        assert_eq!(&l[1][82..100], "SIAN OBRIEN       ");
        assert_eq!(&l[1][64..82], "DP NOV 2026 CHILD ", "a long reference is cut at 18, trailing space kept");
        assert_eq!(&l[3][82..100], "MR & MRS J. SMITH ", "lower case raised; & and . kept");
        assert_eq!(&l[3][64..82], "DP/1234           ", "a short reference is padded");
        assert_eq!(&l[3][35..46], "00000250000");
    }

    #[test]
    fn the_contra_record_balances_the_run() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &run()[..2]).unwrap();
        let contra = lines(&file)[3];
        assert_eq!(contra.len(), 100);
        assert_eq!(&contra[0..6], "200000", "the council's own sort code");
        assert_eq!(&contra[6..14], "55779911", "the council's own account");
        assert_eq!(&contra[14..15], "0");
        assert_eq!(&contra[15..17], "17", "a debit");
        assert_eq!(&contra[17..31], "20000055779911");
        assert_eq!(&contra[31..35], "    ");
        assert_eq!(&contra[35..46], "00000057345", "45,000 + 12,345");
        assert_eq!(&contra[46..64], "ANYTOWN COUNCIL   ");
        assert_eq!(&contra[64..82], "CONTRA            ");
        assert_eq!(&contra[82..100], "ANYTOWN COUNCIL   ");
    }

    #[test]
    fn the_trailer_counts_and_totals_both_sides() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &run()[..2]).unwrap();
        let utl1 = *lines(&file).last().unwrap();
        assert_eq!(utl1.len(), 80);
        assert_eq!(&utl1[0..4], "UTL1");
        assert_eq!(&utl1[4..17], "0000000057345", "debit value total: the contra");
        assert_eq!(&utl1[17..30], "0000000057345", "credit value total: the payments");
        assert_eq!(&utl1[30..37], "0000001", "debit item count: the contra");
        assert_eq!(&utl1[37..44], "0000002", "credit item count");
        assert_eq!(&utl1[44..80], " ".repeat(36));
    }

    #[test]
    fn the_header_names_the_day_the_work_and_the_file() {
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::new(42).unwrap(), &run()).unwrap();
        let uhl1 = lines(&file)[0];
        assert_eq!(uhl1.len(), 80);
        assert_eq!(&uhl1[0..4], "UHL1");
        assert_eq!(&uhl1[4..10], " 26327", "processing day");
        assert_eq!(&uhl1[10..20], "999999    ", "receiving party");
        assert_eq!(&uhl1[20..22], "00", "currency: sterling");
        assert_eq!(&uhl1[22..28], "000000", "country code");
        assert_eq!(&uhl1[28..37], "1 DAILY  ", "work code");
        assert_eq!(&uhl1[37..40], "042", "file number");
        assert_eq!(&uhl1[40..80], " ".repeat(40));
    }

    #[test]
    fn the_julian_day_counts_from_the_first_of_january() {
        assert_eq!(julian_day(date(2026, 11, 23)), " 26327");
        assert_eq!(julian_day(date(2026, 1, 1)), " 26001");
        assert_eq!(julian_day(date(2028, 1, 1)), " 28001");
        assert_eq!(julian_day(date(2028, 2, 29)), " 28060");
        assert_eq!(julian_day(date(2028, 12, 31)), " 28366", "a leap year's last day");
        assert_eq!(julian_day(date(2027, 12, 31)), " 27365");
        assert_eq!(julian_day(date(2100, 3, 1)), " 00060", "2100 is not a leap year");
        let file = standard18(&council(), date(2028, 12, 31), FileNumber::FIRST, &run()).unwrap();
        assert_eq!(&file[4..10], " 28366");
    }

    #[test]
    fn bacs_characters_are_upper_case_letters_digits_and_five_marks() {
        assert_eq!(bacs_characters("O'Neill-Brown & Co. 1/2"), "ONEILL-BROWN & CO. 1/2");
        assert_eq!(bacs_characters("  Gwenllïan   ap Rhŷs "), "GWENLLIAN AP RHYS");
        assert_eq!(bacs_characters("Straße Øresund Æthelred Łódź"), "STRASSE ORESUND AETHELRED LODZ");
        assert_eq!(bacs_characters("Ms. Ng, (carer) #2; £50 @ 5%"), "MS. NG CARER 2 50 5");
        assert_eq!(bacs_characters("e\u{301}toile — “quoted”"), "ETOILE - QUOTED");
        assert_eq!(bacs_characters("Ștefan Țurcanu"), "STEFAN TURCANU");
        assert_eq!(bacs_characters("Ελένη"), "");
        assert_eq!(bacs_characters(""), "");
    }

    #[test]
    fn an_empty_run_is_refused() {
        assert_eq!(standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &[]), Err(BacsError::NoPayments));
        assert_eq!(BacsError::NoPayments.to_string(), "there are no payments to put in the file");
    }

    #[test]
    fn a_payment_of_nothing_or_less_is_refused() {
        let mut payments = run();
        payments[1].amount = Pence::ZERO;
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(err, BacsError::AmountNotPositive { payment: 2, amount: Pence::ZERO });
        assert_eq!(err.to_string(), "payment 2: the amount must be more than £0.00, and it is £0.00");
        payments[1].amount = Pence::new(-500);
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(err.to_string(), "payment 2: the amount must be more than £0.00, and it is -£5.00");
    }

    #[test]
    fn amounts_beyond_eleven_digits_are_refused() {
        let mut payments = run();
        payments[0].amount = Pence::new(100_000_000_000);
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(
            err.to_string(),
            "payment 1: £1,000,000,000.00 is more than Bacs carries in one payment (£999,999,999.99)"
        );
        // Each fits, but the contra could not carry their total.
        let mut payments = run();
        payments[0].amount = MAX_AMOUNT;
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(err, BacsError::TotalTooLarge);
    }

    #[test]
    fn the_largest_amount_fits_its_eleven_digits_exactly() {
        let payments = [pay(details("309430", "00733445", "A Khan"), MAX_AMOUNT.pence(), "DP")];
        let file = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap();
        let l = lines(&file);
        assert_eq!(&l[1][35..46], "99999999999");
        assert_eq!(&l[2][35..46], "99999999999");
        assert_eq!(&l[3][4..30], "00999999999990099999999999");
    }

    #[test]
    fn a_reference_needs_something_bacs_can_carry_and_cannot_be_contra() {
        let mut payments = run();
        payments[2].reference = " ''' ".to_owned();
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(err.to_string(), "payment 3: the reference needs at least one letter or digit");
        payments[2].reference = "Contra".to_owned();
        let err = standard18(&council(), date(2026, 11, 23), FileNumber::FIRST, &payments).unwrap_err();
        assert_eq!(err, BacsError::ContraReference { payment: 3 });
    }

    #[test]
    fn a_file_number_is_from_1_to_999() {
        assert_eq!(FileNumber::new(0), Err(BacsError::FileNumber(0)));
        assert_eq!(FileNumber::new(1000).unwrap_err().to_string(), "a Bacs file number is from 1 to 999, not 1000");
        assert_eq!(FileNumber::new(999).unwrap().get(), 999);
    }

    #[test]
    fn a_service_user_number_is_six_digits() {
        assert_eq!(ServiceUserNumber::parse(" 123456 ").unwrap().to_string(), "123456");
        for text in ["", "12345", "1234567", "12345A", "12 3456"] {
            assert_eq!(
                ServiceUserNumber::parse(text),
                Err("enter a service user number like 123456 — 6 digits"),
                "{text:?}"
            );
        }
    }

    fn payment_strategy() -> impl Strategy<Value = BacsPayment> {
        ("[0-9]{6}", "[0-9]{8}", "[A-Za-z][A-Za-z' ]{0,16}", 1i64..10_000_000, "R[A-Za-z0-9 /.-]{0,29}")
            .prop_map(|(sort, account, name, pence, reference)| pay(details(&sort, &account, &name), pence, &reference))
    }

    proptest! {
        #[test]
        fn any_run_has_exact_widths_and_balances(
            payments in proptest::collection::vec(payment_strategy(), 1..50),
            day in 0i32..3653,
        ) {
            let processing_day = date(2026, 1, 1).checked_add(jiff::Span::new().days(day)).unwrap();
            let file = standard18(&council(), processing_day, FileNumber::FIRST, &payments).unwrap();
            let l = lines(&file);
            prop_assert_eq!(l.len(), payments.len() + 3);
            prop_assert_eq!(l[0].len(), 80);
            prop_assert_eq!(l[l.len() - 1].len(), 80);
            prop_assert!(l[1..l.len() - 1].iter().all(|r| r.len() == 100));
            prop_assert!(l.iter().all(|r| r.bytes().all(|b| b.is_ascii_uppercase()
                || b.is_ascii_digit()
                || b" .&/-".contains(&b))));

            let sum: i64 = payments.iter().map(|p| p.amount.pence()).sum();
            let credits: i64 = l[1..=payments.len()].iter().map(|r| r[35..46].parse::<i64>().unwrap()).sum();
            prop_assert_eq!(credits, sum);
            prop_assert!(l[1..=payments.len()].iter().all(|r| &r[15..17] == "99"));
            let contra = l[payments.len() + 1];
            prop_assert_eq!(&contra[15..17], "17");
            prop_assert_eq!(contra[35..46].parse::<i64>().unwrap(), sum);
            prop_assert_eq!(&contra[64..82], "CONTRA            ");

            let utl1 = l[payments.len() + 2];
            prop_assert_eq!(&utl1[0..4], "UTL1");
            prop_assert_eq!(utl1[4..17].parse::<i64>().unwrap(), sum);
            prop_assert_eq!(utl1[17..30].parse::<i64>().unwrap(), sum);
            prop_assert_eq!(utl1[30..37].parse::<usize>().unwrap(), 1);
            prop_assert_eq!(utl1[37..44].parse::<usize>().unwrap(), payments.len());
            prop_assert_eq!(l[0][4..10].to_owned(), julian_day(processing_day));
        }
    }
}
