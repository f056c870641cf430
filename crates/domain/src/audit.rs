//! The audit trail: every read of a child's record, every change and every
//! refused attempt, as a hash chain.
//!
//! Each entry's hash covers its sequence number, its content and the
//! previous entry's hash, so changing any byte, deleting, inserting or
//! reordering entries breaks the chain from that point on. Truncating the
//! end is caught by comparing with a checkpoint (the latest sequence number
//! and hash) exported earlier.

use crate::code_list;
use crate::ids::ChildId;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

code_list!(
    /// Whether what was attempted was allowed.
    Outcome, "outcome" {
        Allowed = "allowed", "Allowed";
        Refused = "refused", "Refused";
    }
);

/// One thing someone did or tried to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    /// Who: a user's username, or a named process such as `cli:ops`.
    pub actor: String,
    /// The role they acted in (`system` for processes).
    pub role: String,
    /// The child the entry is about, if any.
    pub child_id: Option<ChildId>,
    /// What kind of record, and which one.
    pub entity: String,
    pub entity_id: String,
    /// `read`, `create`, `update`, `sign_in`…
    pub action: String,
    pub outcome: Outcome,
    /// More detail, as JSON text (never a child's name or notes: the trail
    /// says who looked, not what they saw).
    pub detail: String,
}

/// An entry in its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SealedEntry {
    /// 1, 2, 3… within the area, with no gaps.
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The "previous hash" of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of entry `seq` after `prev_hash`: SHA-256, in lower-case hex,
/// over each field prefixed with its length (so no two different entries
/// encode the same).
pub fn chain_hash(seq: i64, prev_hash: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let child = e.child_id.map(|c| c.to_string()).unwrap_or_default();
    let at = e.at.as_millisecond().to_string();
    let seq = seq.to_string();
    let fields: [&str; 11] = [
        &seq,
        prev_hash,
        &at,
        &e.actor,
        &e.role,
        &child,
        &e.entity,
        &e.entity_id,
        &e.action,
        e.outcome.code(),
        &e.detail,
    ];
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals `entry` as the one after `head` (`(seq, hash)` of the last entry,
/// or `None` for the first).
pub fn seal(head: Option<(i64, &str)>, entry: AuditEntry) -> SealedEntry {
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash.to_owned()),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = chain_hash(seq, &prev_hash, &entry);
    SealedEntry { seq, entry, prev_hash, hash }
}

/// The latest sequence number and hash of an area's chain: exported now
/// and then, so that later truncation can be detected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

/// Checks a chain entry by entry, in sequence order.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    next_seq: i64,
    prev_hash: String,
    checkpoints: Vec<Checkpoint>,
    problems: Vec<String>,
}

/// Stop listing problems after this many: one break usually explains the
/// rest.
const MAX_PROBLEMS: usize = 20;

impl ChainCheck {
    /// A check that will also confirm each of `checkpoints` is in the chain.
    pub fn new(checkpoints: Vec<Checkpoint>) -> ChainCheck {
        ChainCheck { next_seq: 1, prev_hash: GENESIS_HASH.to_owned(), checkpoints, problems: vec![] }
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }

    /// Takes the next stored entry.
    pub fn push(&mut self, s: &SealedEntry) {
        if s.seq != self.next_seq {
            self.problem(format!("entry {} is out of place: expected entry {}", s.seq, self.next_seq));
        }
        if s.prev_hash != self.prev_hash {
            self.problem(format!(
                "entry {} does not follow the entry before it (an entry was removed, added or moved)",
                s.seq
            ));
        }
        if chain_hash(s.seq, &s.prev_hash, &s.entry) != s.hash {
            self.problem(format!("entry {} has been changed since it was written", s.seq));
        }
        self.checkpoints.retain(|c| !(c.seq == s.seq && c.hash == s.hash));
        self.next_seq = s.seq + 1;
        self.prev_hash = s.hash.clone();
    }

    /// Every problem found; empty when the chain is whole.
    pub fn finish(mut self, head: Option<&Checkpoint>) -> Vec<String> {
        let last = Checkpoint { seq: self.next_seq - 1, hash: self.prev_hash.clone() };
        if let Some(head) = head
            && *head != last
        {
            self.problem(format!(
                "the chain's recorded head is entry {}, but the last entry is {}",
                head.seq, last.seq
            ));
        }
        for c in std::mem::take(&mut self.checkpoints) {
            self.problem(format!(
                "checkpoint at entry {} is not in the chain (entries were removed or changed)",
                c.seq
            ));
        }
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(i: i64) -> AuditEntry {
        AuditEntry {
            at: Timestamp::from_millisecond(1_800_000_000_000 + i).unwrap(),
            actor: format!("user{i}"),
            role: "caseworker".into(),
            child_id: Some(ChildId::from_bytes([i as u8; 16])),
            entity: "child".into(),
            entity_id: format!("c{i}"),
            action: "read".into(),
            outcome: Outcome::Allowed,
            detail: "{}".into(),
        }
    }

    fn chain(n: i64) -> Vec<SealedEntry> {
        let mut out: Vec<SealedEntry> = vec![];
        for i in 0..n {
            let head = out.last().map(|s| (s.seq, s.hash.as_str()));
            let sealed = seal(head, entry(i));
            out.push(sealed);
        }
        out
    }

    fn check(entries: &[SealedEntry], checkpoints: Vec<Checkpoint>) -> Vec<String> {
        let mut c = ChainCheck::new(checkpoints);
        for e in entries {
            c.push(e);
        }
        c.finish(None)
    }

    #[test]
    fn a_whole_chain_checks_clean() {
        let entries = chain(5);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[4].seq, 5);
        let cp = Checkpoint { seq: 3, hash: entries[2].hash.clone() };
        assert_eq!(check(&entries, vec![cp]), Vec::<String>::new());
    }

    #[test]
    fn the_hash_is_stable() {
        // Checked independently (Python hashlib over the same length-prefixed
        // fields): if this changes, every stored chain stops verifying.
        assert_eq!(
            chain_hash(1, GENESIS_HASH, &entry(0)),
            "c09735653548f58dd5ba2c6509f6bdd7690d561a4285b05bd95b1d10d466b3e3"
        );
        assert_ne!(chain_hash(1, GENESIS_HASH, &entry(0)), chain_hash(2, GENESIS_HASH, &entry(0)));
    }

    #[test]
    fn truncation_is_caught_by_a_checkpoint() {
        let entries = chain(5);
        let cp = Checkpoint { seq: 5, hash: entries[4].hash.clone() };
        assert_eq!(check(&entries[..4], vec![cp.clone()]).len(), 1);
        assert!(check(&entries, vec![cp]).is_empty());
    }

    proptest! {
        /// Any change to any field of any entry is caught.
        #[test]
        fn any_changed_byte_is_caught(n in 1i64..8, which in 0usize..8, field in 0usize..6) {
            let mut entries = chain(n);
            let i = which % entries.len();
            let e = &mut entries[i].entry;
            match field {
                0 => e.actor.push('x'),
                1 => e.role = "auditor".into(),
                2 => e.child_id = None,
                3 => e.action = "update".into(),
                4 => e.outcome = Outcome::Refused,
                _ => e.at = e.at.checked_add(jiff::SignedDuration::from_millis(1)).unwrap(),
            }
            prop_assert!(!check(&entries, vec![]).is_empty());
        }

        /// Deleting, duplicating or swapping entries is caught.
        #[test]
        fn removed_added_or_moved_entries_are_caught(n in 2i64..8, a in 0usize..8, b in 0usize..8, how in 0usize..3) {
            let mut entries = chain(n);
            let len = entries.len();
            let (a, b) = (a % len, b % len);
            match how {
                0 if a + 1 < len => { entries.remove(a); }
                0 => { entries.remove(0); }
                1 => { let copy = entries[a].clone(); entries.insert(b, copy); }
                _ => { let b = if a == b { (a + 1) % len } else { b }; entries.swap(a, b); }
            }
            prop_assert!(!check(&entries, vec![]).is_empty());
        }
    }
}
