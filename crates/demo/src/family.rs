//! Each child's family: one to three people, at least one of them with
//! parental responsibility while the child is under 18.

use crate::Context;
use crate::children::Kid;
use crate::lists::{FAMILY_NAMES, MEN, WOMEN, push_email_part};
use crate::rng::Rng;
use allot_domain::FamilyMemberId;
use allot_domain::family::{ContactMethod, FamilyMember, FamilyMemberDetails, Relationship};
use allot_domain::text::Name;

/// The domains reserved for examples (RFC 2606): mail to them goes nowhere.
const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

/// Who is in the family, before names and contact details.
struct Member {
    relationship: Relationship,
    parental_responsibility: bool,
    given: &'static str,
    family: &'static str,
}

/// Adds the child's family to `out`, and returns the family member who
/// gives consent for the child: the first one with parental responsibility.
pub fn generate(rng: &mut Rng, context: &Context, kid: &Kid, out: &mut Vec<FamilyMember>) -> Option<FamilyMemberId> {
    let Context { area, clock, actor } = context;
    let mut consenter = None;
    for member in household(rng, kid) {
        let id = FamilyMemberId::from_bytes(rng.id_bytes());
        // Parental responsibility ends at 18 (Children Act 1989, s.105).
        let parental_responsibility = member.parental_responsibility && kid.age < 18;
        if parental_responsibility && consenter.is_none() {
            consenter = Some(id);
        }
        let updated_days_ago = rng.between(1, kid.created_days_ago);
        let updated_at = clock.instant(rng, updated_days_ago).max(kid.created_at);
        out.push(FamilyMember {
            id,
            area_id: *area,
            child_id: kid.id,
            details: contact(rng, member, parental_responsibility),
            version: 1,
            updated_at,
            updated_by: actor.clone(),
        });
    }
    consenter
}

/// The people around a child, in the usual proportions: most live with
/// both parents or their mother; some with a step-parent, their father,
/// foster carers or a special guardian. Everyone but a step-parent, foster
/// carer or grandparent holds parental responsibility (apart from the 15%
/// of fathers who do not, having not been named on the birth certificate).
fn household(rng: &mut Rng, kid: &Kid) -> Vec<Member> {
    let member = |rng: &mut Rng, relationship, parental_responsibility, women: bool, same_name: f64| {
        let given = *rng.pick(if women { WOMEN } else { MEN });
        let family = if rng.chance(same_name) { kid.family_name } else { *rng.pick(FAMILY_NAMES) };
        Member { relationship, parental_responsibility, given, family }
    };
    use Relationship::*;
    let roll = rng.below(100);
    let mut people = match roll {
        0..55 => {
            let father_has_pr = rng.chance(0.85);
            vec![member(rng, Mother, true, true, 0.75), member(rng, Father, father_has_pr, false, 0.85)]
        }
        55..80 => vec![member(rng, Mother, true, true, 0.7)],
        80..87 => {
            let step_is_woman = rng.chance(0.2);
            vec![member(rng, Mother, true, true, 0.6), member(rng, StepParent, false, step_is_woman, 0.3)]
        }
        87..92 => vec![member(rng, Father, true, false, 0.9)],
        92..95 => {
            // A looked-after child: the mother keeps parental responsibility.
            let carer_is_woman = rng.chance(0.7);
            vec![member(rng, Mother, true, true, 0.7), member(rng, FosterCarer, false, carer_is_woman, 0.0)]
        }
        _ => {
            // Special guardians are often relatives (kinship care).
            let guardian_is_woman = rng.chance(0.75);
            vec![member(rng, SpecialGuardian, true, guardian_is_woman, 0.5)]
        }
    };
    if rng.chance(0.12) {
        let grandmother = rng.chance(0.7);
        people.push(member(rng, Grandparent, false, grandmother, 0.5));
    }
    people
}

/// Name and contact details: the chosen way of contact always has its
/// detail; many people give both an email address and a phone number.
/// Addresses use the reserved example domains, and phone numbers Ofcom's
/// drama ranges, so none can reach a real person.
fn contact(rng: &mut Rng, member: Member, parental_responsibility: bool) -> FamilyMemberDetails {
    let contact_by = match rng.below(100) {
        0..40 => ContactMethod::Email,
        40..70 => ContactMethod::TextMessage,
        70..90 => ContactMethod::Phone,
        _ => ContactMethod::Letter,
    };
    let email = (contact_by == ContactMethod::Email || rng.chance(0.6)).then(|| {
        let mut email = String::with_capacity(48);
        push_email_part(&mut email, member.given);
        email.push('.');
        push_email_part(&mut email, member.family);
        if rng.chance(0.5) {
            email.push_str(&rng.between(1, 99).to_string());
        }
        email.push('@');
        let domain = *rng.pick(EMAIL_DOMAINS);
        email.push_str(domain);
        email
    });
    let phone = match contact_by {
        ContactMethod::TextMessage => Some(mobile(rng)),
        ContactMethod::Phone => Some(if rng.chance(0.7) { mobile(rng) } else { landline(rng) }),
        _ => rng.chance(0.7).then(|| mobile(rng)),
    };
    FamilyMemberDetails {
        name: Name::parse(&format!("{} {}", member.given, member.family))
            .expect("the demo's names are short, printable text"),
        relationship: member.relationship,
        parental_responsibility,
        contact_by,
        email,
        phone,
    }
}

/// A mobile number in Ofcom's drama range 07700 900000–900999.
fn mobile(rng: &mut Rng) -> String {
    format!("07700 900{:03}", rng.below(1000))
}

/// A landline in Ofcom's drama range 01632 960000–960999.
fn landline(rng: &mut Rng) -> String {
    format!("01632 960{:03}", rng.below(1000))
}
