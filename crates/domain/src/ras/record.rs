//! Allocations as they are stored and shown: everything needed to explain
//! the result and to recompute it to the penny later.

use super::calc::{Allocation, ChildAnswers};
use super::policy::Policy;
use crate::Invalid;
use crate::ids::{AllocationId, AreaId, ChildId, RasPolicyId};
use crate::money::Pence;
use crate::text::Actor;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// A policy as published in an area. Never changed once published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPolicy {
    pub id: RasPolicyId,
    pub area_id: AreaId,
    pub policy: Policy,
    /// The file's exact text.
    pub content: String,
    pub published_at: Timestamp,
    pub published_by: Actor,
}

/// One stream's result, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamResult {
    pub stream_id: String,
    pub eligible: bool,
    pub points: u32,
    pub band: Option<String>,
    pub base_pence: i64,
    pub age_factor: String,
    pub indicative_pence: i64,
    pub current_pence: Option<i64>,
    pub protected_pence: i64,
}

/// A stored allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAllocation {
    pub id: AllocationId,
    pub area_id: AreaId,
    pub child_id: ChildId,
    pub policy: RasPolicyId,
    pub calculated_on: Date,
    /// Question id → option id.
    pub answers: BTreeMap<String, String>,
    /// Stream id → the current annual amount, where known.
    pub current: BTreeMap<String, Pence>,
    pub streams: Vec<StreamResult>,
    pub integrated: Pence,
    pub recorded_at: Timestamp,
    pub recorded_by: Actor,
}

impl Policy {
    /// Turns answers given by id into the policy's answer form, reporting
    /// every unknown question or option and every missing answer.
    pub fn answers_from_ids(
        &self,
        child_id: &str,
        date_of_birth: Date,
        answers: &BTreeMap<String, String>,
    ) -> Result<ChildAnswers, Invalid> {
        let mut inv = Invalid::default();
        for question_id in answers.keys() {
            if self.question_index(question_id).is_none() {
                inv.push(&format!("answers.{question_id}"), "is not a question of this policy");
            }
        }
        let mut choices = Vec::with_capacity(self.questions.len());
        for q in &self.questions {
            let field = format!("answers.{}", q.id);
            match answers.get(&q.id).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                None if q.optional => choices.push(None),
                None => {
                    inv.push(&field, "answer this question");
                    choices.push(None);
                }
                Some(option) => match q.options.iter().position(|o| o.id == option) {
                    Some(i) => choices.push(Some(i)),
                    None => {
                        let valid: Vec<&str> = q.options.iter().map(|o| o.id.as_str()).collect();
                        inv.push(&field, format!("{option:?} is not an option (the options are {})", valid.join(", ")));
                        choices.push(None);
                    }
                },
            }
        }
        inv.finish(|| ChildAnswers { child_id: child_id.to_owned(), date_of_birth, choices })
    }

    /// The answers by id (the stored form).
    pub fn answer_ids(&self, answers: &ChildAnswers) -> BTreeMap<String, String> {
        self.questions
            .iter()
            .zip(&answers.choices)
            .filter_map(|(q, c)| c.map(|i| (q.id.clone(), q.options[i].id.clone())))
            .collect()
    }

    /// Current amounts by stream id, in the policy's stream order.
    pub fn current_by_stream(&self, current: &BTreeMap<String, Pence>) -> Vec<Option<Pence>> {
        self.streams.iter().map(|s| current.get(&s.id).copied()).collect()
    }

    /// The result of `allocation` in its stored form.
    pub fn stream_results(&self, allocation: &Allocation) -> Vec<StreamResult> {
        self.streams
            .iter()
            .zip(&allocation.streams)
            .map(|(s, a)| StreamResult {
                stream_id: s.id.clone(),
                eligible: a.eligible,
                points: a.points,
                band: a.band.map(|b| s.bands[b].name.clone()),
                base_pence: a.base.pence(),
                age_factor: a.factor.to_string(),
                indicative_pence: a.indicative.pence(),
                current_pence: a.current.map(Pence::pence),
                protected_pence: a.protected.pence(),
            })
            .collect()
    }
}
