//! Receipts a family sends for what they bought with the direct payment:
//! the evidence an audit asks for, sent when it suits the family rather
//! than all at once when a letter arrives. Each is kept exactly as sent.

use crate::code_list;
use crate::ids::{ChildId, ReceiptId};
use crate::invalid::Invalid;
use crate::money::Pence;
use crate::pathway::casework::date;
use crate::text::required_text;
use jiff::Timestamp;
use jiff::civil::Date;

/// The largest file accepted: a phone photo of a till receipt fits easily.
pub const MAX_RECEIPT_BYTES: usize = 5 * 1024 * 1024;
const MAX_WHAT: usize = 200;
const MAX_NAME: usize = 100;

code_list!(
    /// The kinds of file a receipt may be, known by their first bytes (not
    /// by the name or what the browser says).
    ReceiptKind, "file type" {
        Pdf = "application/pdf", "PDF";
        Jpeg = "image/jpeg", "JPEG photo";
        Png = "image/png", "PNG image";
    }
);

impl ReceiptKind {
    fn of(bytes: &[u8]) -> Option<ReceiptKind> {
        if bytes.starts_with(b"%PDF-") {
            Some(ReceiptKind::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ReceiptKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ReceiptKind::Png)
        } else {
            None
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ReceiptKind::Pdf => "pdf",
            ReceiptKind::Jpeg => "jpg",
            ReceiptKind::Png => "png",
        }
    }
}

/// The file of a receipt, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFile {
    /// The name it had on the sender's device, without any folders and in
    /// plain ASCII letters, digits and punctuation, safe to offer back in a
    /// download's header.
    pub name: String,
    pub kind: ReceiptKind,
    pub bytes: Vec<u8>,
}

impl ReceiptFile {
    /// Checks a file as it arrived; problems are reported against `file`.
    pub fn parse(name: &str, bytes: Vec<u8>) -> Result<ReceiptFile, Invalid> {
        if bytes.is_empty() {
            return Err(Invalid::one("file", "choose the receipt to send"));
        }
        if bytes.len() > MAX_RECEIPT_BYTES {
            return Err(Invalid::one("file", "the file must be smaller than 5 MB"));
        }
        let kind = ReceiptKind::of(&bytes)
            .ok_or_else(|| Invalid::one("file", "the file must be a PDF, a JPEG photo or a PNG image"))?;
        let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
        let mut safe: String = base
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')'))
            .take(MAX_NAME)
            .collect::<String>()
            .trim()
            .trim_start_matches('.')
            .to_owned();
        if safe.is_empty() {
            safe = format!("receipt.{}", kind.extension());
        }
        Ok(ReceiptFile { name: safe, kind, bytes })
    }
}

/// What a receipt is for, as a person sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptForm {
    pub spent_on: Option<String>,
    pub amount: Option<String>,
    pub what: Option<String>,
    /// The plan item it was for, by key; empty when the sender is not sure.
    pub item: Option<String>,
}

/// What a receipt is for, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptDetails {
    pub spent_on: Date,
    pub amount: Pence,
    pub what: String,
    pub item_key: Option<String>,
}

impl ReceiptForm {
    /// Checks the form: a day not after `today`, an amount above nothing,
    /// what was bought, and (if given) one of `item_keys`, the child's plan
    /// items.
    pub fn parse(&self, today: Date, item_keys: &[&str]) -> Result<ReceiptDetails, Invalid> {
        let mut inv = Invalid::default();
        let spent_on = date(&mut inv, "spent_on", &self.spent_on, today);
        let amount = match self.amount.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => {
                inv.push("amount", "enter how much was spent");
                None
            }
            Some(raw) => match Pence::parse(raw) {
                Ok(p) if p.pence() <= 0 => {
                    inv.push("amount", "the amount must be more than £0.00");
                    None
                }
                Ok(p) if p > Pence::INPUT_MAX => {
                    inv.push("amount", format!("the amount must be no more than {}", Pence::INPUT_MAX));
                    None
                }
                other => inv.check("amount", other),
            },
        };
        let what = required_text(&mut inv, "what", self.what.as_deref(), MAX_WHAT, "say what was bought");
        let item_key = self.item.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(key) = &item_key
            && !item_keys.contains(&key.as_str())
        {
            inv.push("item", "choose a part of the plan, or \"Not sure\"");
        }
        inv.finish(|| ReceiptDetails {
            spent_on: spent_on.expect("checked"),
            amount: amount.expect("checked"),
            what,
            item_key,
        })
    }
}

/// A receipt as kept: what it is for, and who sent it when (the file is
/// read on its own, only when someone opens it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub child_id: ChildId,
    #[serde(flatten)]
    pub details: ReceiptDetails,
    pub file_name: String,
    pub kind: ReceiptKind,
    pub size_bytes: u64,
    pub sent_by: String,
    pub sent_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    fn form(spent_on: &str, amount: &str, what: &str, item: &str) -> ReceiptForm {
        ReceiptForm {
            spent_on: Some(spent_on.into()),
            amount: Some(amount.into()),
            what: Some(what.into()),
            item: Some(item.into()),
        }
    }

    const TODAY: Date = d(2026, 11, 22);

    #[test]
    fn a_receipt_is_for_a_day_an_amount_to_the_penny_and_a_part_of_the_plan() {
        let r = form("2026-11-21", "£1,234.5", " Swimming lessons ", "item-1").parse(TODAY, &["item-1"]).unwrap();
        assert_eq!(
            r,
            ReceiptDetails {
                spent_on: d(2026, 11, 21),
                amount: Pence::new(123_450),
                what: "Swimming lessons".into(),
                item_key: Some("item-1".into())
            }
        );
        let unsure = form("2026-11-22", "0.01", "Bus fare", " ").parse(TODAY, &[]).unwrap();
        assert_eq!((unsure.amount, unsure.item_key), (Pence::new(1), None));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let e = form("2026-11-23", "0", "", "someone-elses").parse(TODAY, &["item-1"]).unwrap_err();
        assert_eq!(e.fields(), ["spent_on", "amount", "what", "item"]);
        assert_eq!(e.0[0].message, "cannot be in the future");
        assert_eq!(e.0[1].message, "the amount must be more than £0.00");
        for (amount, field_message) in [
            ("12.345", "at most 2 decimal places"),
            ("-5", "more than £0.00"),
            ("twelve", "like 1234.56"),
            ("", "enter how much was spent"),
            ("10000001", "no more than £10,000,000.00"),
        ] {
            let e = form("2026-11-01", amount, "x", "").parse(TODAY, &[]).unwrap_err();
            assert_eq!(e.fields(), ["amount"], "{amount}");
            assert!(e.0[0].message.contains(field_message), "{amount}: {}", e.0[0].message);
        }
        let e = ReceiptForm::default().parse(TODAY, &[]).unwrap_err();
        assert_eq!(e.fields(), ["spent_on", "amount", "what"]);
    }

    #[test]
    fn a_file_is_known_by_its_first_bytes_not_its_name() {
        let pdf = ReceiptFile::parse("C:\\Users\\me\\till receipt.PDF", b"%PDF-1.7 rest".to_vec()).unwrap();
        assert_eq!((pdf.name.as_str(), pdf.kind), ("till receipt.PDF", ReceiptKind::Pdf));
        let photo = ReceiptFile::parse("/tmp/../IMG_0001.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2]).unwrap();
        assert_eq!((photo.name.as_str(), photo.kind), ("IMG_0001.jpg", ReceiptKind::Jpeg));
        let png = ReceiptFile::parse("<script>.png", b"\x89PNG\r\n\x1a\nIHDR".to_vec()).unwrap();
        assert_eq!((png.name.as_str(), png.kind), ("script.png", ReceiptKind::Png));
        assert_eq!(ReceiptFile::parse("...", b"%PDF-".to_vec()).unwrap().name, "receipt.pdf");
        assert_eq!(ReceiptFile::parse("café\"\r\n.pdf", b"%PDF-".to_vec()).unwrap().name, "caf.pdf");
        let renamed = ReceiptFile::parse("receipt.pdf", b"MZ\x90\x00 a program".to_vec()).unwrap_err();
        assert_eq!(renamed.0[0].message, "the file must be a PDF, a JPEG photo or a PNG image");
        assert_eq!(ReceiptFile::parse("a.pdf", vec![]).unwrap_err().0[0].message, "choose the receipt to send");
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_RECEIPT_BYTES + 1, b' ');
        assert_eq!(ReceiptFile::parse("a.pdf", big.clone()).unwrap_err().fields(), ["file"]);
        big.truncate(MAX_RECEIPT_BYTES);
        assert!(ReceiptFile::parse("a.pdf", big).is_ok(), "exactly 5 MB is accepted");
    }
}
