//! Who may see and change what: the access policy, as pure functions.
//!
//! A person's access to a child's record follows from their role and their
//! relationship to the child: a caseworker through the team that holds the
//! case, a family through being linked to the child, a school through a
//! placement the family consented to share with it, a provider through an
//! ISF or a commissioned service. The store works out the relationships
//! (`ChildFacts`) afresh on every request, so a change of access takes
//! effect on the very next one.

use crate::code_list;
use crate::ids::{ChildId, OrganisationId, ProfessionalId, UserId};
use crate::organisation::OrganisationKind;
use crate::text::Name;

code_list!(
    /// What a person does, which decides what they may do in Allot.
    Role, "role" {
        ParentCarer = "parent_carer", "Parent or carer";
        /// A young person aged 16 or over, for their own record.
        YoungPerson = "young_person", "Young person";
        /// A social worker, SEN caseworker or keyworker.
        Caseworker = "caseworker", "Caseworker";
        TeamManager = "team_manager", "Team manager";
        GroupManager = "group_manager", "Group manager";
        HeadOfService = "head_of_service", "Head of service";
        NhsBudgetLead = "nhs_budget_lead", "NHS budget lead";
        FinanceOfficer = "finance_officer", "Finance officer";
        SchoolSenco = "school_senco", "School SENCO";
        ProviderStaff = "provider_staff", "Provider staff";
        Commissioner = "commissioner", "Commissioner";
        /// Read-only; sees the audit trail.
        Auditor = "auditor", "Auditor";
        /// Users and configuration, not children's records.
        Administrator = "administrator", "Administrator";
    }
);

impl Role {
    /// A family role: linked to children rather than employed by an
    /// organisation.
    pub fn is_family(self) -> bool {
        matches!(self, Role::ParentCarer | Role::YoungPerson)
    }

    /// Staff and provider roles must sign in with a second factor.
    pub fn needs_second_factor(self) -> bool {
        !self.is_family()
    }

    /// The kind of organisation someone in this role works for.
    pub fn organisation_kind(self) -> Option<OrganisationKind> {
        match self {
            Role::ParentCarer | Role::YoungPerson => None,
            Role::NhsBudgetLead => Some(OrganisationKind::Nhs),
            Role::SchoolSenco => Some(OrganisationKind::School),
            Role::ProviderStaff => Some(OrganisationKind::Provider),
            _ => Some(OrganisationKind::Council),
        }
    }

    /// Roles whose access runs through the teams they work in or manage.
    pub fn works_in_teams(self) -> bool {
        matches!(self, Role::Caseworker | Role::TeamManager | Role::GroupManager)
    }
}

code_list!(
    /// How an organisation is involved with a child.
    InvolvementKind, "involvement" {
        SchoolPlacement = "school_placement", "Pupil placed at the school";
        IsfHolder = "isf_holder", "Holds an individual service fund";
        Commissioned = "commissioned", "Commissioned to support the child";
        HealthFunding = "health_funding", "NHS funding or involvement";
    }
);

/// A signed-in person, as the policy sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user: UserId,
    pub role: Role,
    pub organisation: Option<OrganisationId>,
    /// For caseworkers: the professional record that holds cases.
    pub professional: Option<ProfessionalId>,
    /// The teams someone works in or manages.
    pub teams: Vec<Name>,
    /// For families: the children they are linked to.
    pub children: Vec<ChildId>,
}

/// What is true now about one child, as far as access goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChildFacts {
    /// The team of the child's current lead professional.
    pub lead_team: Option<Name>,
    /// The child's age today, if their date of birth is known.
    pub age: Option<u32>,
    /// Organisations involved with the child now.
    pub involvements: Vec<(OrganisationId, InvolvementKind)>,
    /// Organisations the family (or young person) has an active consent
    /// to share information with.
    pub consented: Vec<OrganisationId>,
}

/// Which children someone may see: the policy in a form the store can
/// turn into a query, so a list shows exactly the children that
/// [`ChildScope::admits`] would let through one at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildScope {
    /// Every child in the area.
    Everyone,
    /// Children whose current lead professional is in one of these teams.
    LeadTeams(Vec<Name>),
    /// These children (a family's own).
    Linked { children: Vec<ChildId>, min_age: Option<u32> },
    /// Children the organisation is involved with in one of these ways,
    /// and, if `needs_consent`, whose family consented to share with it.
    Involved { organisation: OrganisationId, kinds: &'static [InvolvementKind], needs_consent: bool },
    /// No child.
    Nobody,
}

/// Whether a role reads any child's record at all: commissioners work
/// with the area's figures and administrators with its configuration.
pub fn reads_children(role: Role) -> bool {
    !matches!(role, Role::Commissioner | Role::Administrator)
}

/// A young person sees their own record from their 16th birthday.
pub const YOUNG_PERSON_MIN_AGE: u32 = 16;

impl ChildScope {
    /// The children `viewer` may see at all.
    pub fn of(viewer: &Viewer) -> ChildScope {
        let involved = |kinds, needs_consent| match viewer.organisation {
            Some(organisation) => ChildScope::Involved { organisation, kinds, needs_consent },
            None => ChildScope::Nobody,
        };
        match viewer.role {
            Role::ParentCarer => ChildScope::Linked { children: viewer.children.clone(), min_age: None },
            Role::YoungPerson => {
                ChildScope::Linked { children: viewer.children.clone(), min_age: Some(YOUNG_PERSON_MIN_AGE) }
            }
            Role::Caseworker | Role::TeamManager | Role::GroupManager => ChildScope::LeadTeams(viewer.teams.clone()),
            Role::HeadOfService | Role::FinanceOfficer | Role::Auditor => ChildScope::Everyone,
            Role::NhsBudgetLead => involved(&[InvolvementKind::HealthFunding], true),
            Role::SchoolSenco => involved(&[InvolvementKind::SchoolPlacement], true),
            Role::ProviderStaff => involved(&[InvolvementKind::IsfHolder, InvolvementKind::Commissioned], false),
            Role::Commissioner | Role::Administrator => ChildScope::Nobody,
        }
    }

    /// Whether the child `id`, of whom `facts` are true, is in scope.
    pub fn admits(&self, id: ChildId, facts: &ChildFacts) -> bool {
        match self {
            ChildScope::Everyone => true,
            ChildScope::LeadTeams(teams) => facts.lead_team.as_ref().is_some_and(|t| teams.contains(t)),
            ChildScope::Linked { children, min_age } => {
                children.contains(&id) && min_age.is_none_or(|min| facts.age.is_some_and(|age| age >= min))
            }
            ChildScope::Involved { organisation, kinds, needs_consent } => {
                facts.involvements.iter().any(|(o, k)| o == organisation && kinds.contains(k))
                    && (!needs_consent || facts.consented.contains(organisation))
            }
            ChildScope::Nobody => false,
        }
    }
}

code_list!(
    /// The parts of a child's record, each with its own readers.
    Section, "section" {
        /// Name, date of birth, needs, identifiers.
        Record = "record", "The child's record";
        /// Family members and how to contact them.
        Family = "family", "Family and contacts";
        Consent = "consent", "Consent to share";
        /// Who the lead professional is and has been.
        LeadProfessional = "lead_professional", "Lead professional";
        /// The allocation questionnaire, the indicative budget and how it
        /// was worked out.
        Budget = "budget", "Budget";
        /// Every change to the record: who, when, what.
        History = "history", "History of changes";
        /// Who has looked at the record.
        AccessLog = "access_log", "Who has looked at the record";
        /// Everything held about the child, for a subject access request.
        SubjectAccess = "subject_access", "Subject access export";
        /// The support plan, its versions, decisions and letters (a school
        /// or provider sees only its own items; finance only the money).
        Plan = "plan", "Support plan";
        /// The pathway's steps, statutory clocks, reviews and due dates,
        /// and the family's requests for a review.
        Pathway = "pathway", "Pathway and clocks";
        /// Safeguarding concerns, risks, personal assistants and their DBS
        /// checks, and exceptions to the gates.
        Casework = "casework", "Safeguarding, risks and personal assistants";
        /// Approving, declining or returning a plan; answering a request
        /// for a review.
        Signoff = "signoff", "Sign-off";
        /// Lifting a gate on a direct payment, with reasons.
        Gates = "gates", "Lifting a gate";
        /// Asking for a decision to be reviewed.
        Challenge = "challenge", "Asking for a review";
        /// Co-signing the plan and countersigning how the child keeps safe.
        CoSign = "co_sign", "Co-signing";
        /// The child's money: budgets, payments, spend and what is left,
        /// and direct-payment audits. Finance changes it (putting spend
        /// against items, audits) with those who hold the case.
        Money = "money", "Money";
        /// Receipts for what a direct payment bought: the family sends
        /// them, those who hold the case too; whoever reads the money
        /// reads them.
        Receipts = "receipts", "Receipts";
    }
);

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Change,
}

/// Whether `role` may do `op` on `section` of a child in its scope.
pub fn section_allowed(role: Role, section: Section, op: Op) -> bool {
    use Section::*;
    let manager = matches!(role, Role::TeamManager | Role::GroupManager | Role::HeadOfService);
    match (role, op) {
        (Role::ParentCarer | Role::YoungPerson, Op::Read) => {
            matches!(section, Record | Family | Consent | LeadProfessional | Budget | Plan | Pathway | Money | Receipts)
        }
        (Role::ParentCarer | Role::YoungPerson, Op::Change) => matches!(section, Challenge | CoSign | Receipts),
        (Role::Caseworker | Role::TeamManager | Role::GroupManager | Role::HeadOfService, Op::Read) => match section {
            AccessLog => role != Role::Caseworker,
            SubjectAccess => role == Role::HeadOfService,
            Signoff | Gates | Challenge | CoSign => false,
            _ => true,
        },
        (Role::Caseworker | Role::TeamManager | Role::GroupManager | Role::HeadOfService, Op::Change) => {
            match section {
                Record | Family | Consent | LeadProfessional | Budget | Plan | Pathway | Casework | Challenge
                | CoSign | Money | Receipts => true,
                Signoff | Gates => manager,
                History | AccessLog | SubjectAccess => false,
            }
        }
        (Role::NhsBudgetLead, Op::Read) => {
            matches!(section, Record | Consent | Budget | Plan | Pathway | Money | Receipts)
        }
        (Role::NhsBudgetLead, Op::Change) => section == Signoff,
        (Role::FinanceOfficer, Op::Read) => matches!(section, Record | Budget | Plan | Money | Receipts),
        (Role::FinanceOfficer, Op::Change) => section == Money,
        (Role::SchoolSenco, Op::Read) => matches!(section, Record | Budget | Plan),
        (Role::ProviderStaff, Op::Read) => matches!(section, Record | Plan),
        (Role::Auditor, Op::Read) => !matches!(section, SubjectAccess | Signoff | Gates | Challenge | CoSign),
        _ => false,
    }
}

/// Whether `role` may see protected fields (a protected address; later,
/// safeguarding notes and bank details): only those who hold the case.
pub fn sees_protected(role: Role) -> bool {
    matches!(role, Role::Caseworker | Role::TeamManager | Role::GroupManager | Role::HeadOfService)
}

/// Whether `viewer` may do `op` on `section` of child `id`.
pub fn may(viewer: &Viewer, id: ChildId, facts: &ChildFacts, section: Section, op: Op) -> bool {
    section_allowed(viewer.role, section, op) && ChildScope::of(viewer).admits(id, facts)
}

code_list!(
    /// What someone may do that is not about one child.
    AreaAction, "action" {
        /// List the children in their scope.
        ListChildren = "list_children", "List children";
        AddChild = "add_child", "Add a child";
        /// See the area's organisations and professionals.
        ViewDirectory = "view_directory", "See organisations and professionals";
        /// See the published allocation policies.
        ViewPolicies = "view_policies", "See allocation policies";
        PublishPolicy = "publish_policy", "Publish an allocation policy";
        ManageUsers = "manage_users", "Manage users";
        /// Verify the audit trail and export its checkpoint.
        AuditTrail = "audit_trail", "Check the audit trail";
        /// What is due and overdue across the children in their scope.
        Worklist = "worklist", "Worklist";
        /// Plans waiting for someone with their authority.
        Approvals = "approvals", "Approvals queue";
        /// Area figures: overdue counts, the 20-week figure, approvals,
        /// waiting times, plans over indicative amounts.
        Reports = "reports", "Area reports";
        /// See the area's risk register.
        ViewAreaRisks = "view_area_risks", "See the area's risk register";
        /// Add to or close risks on the area's risk register.
        ManageAreaRisks = "manage_area_risks", "Manage the area's risk register";
        /// Prepare, release and cancel payment runs and download their
        /// files; import statements; propose and confirm bank details.
        Payments = "payments", "Pay families and providers";
        /// Every family's direct-payment balance, alerts and next audit.
        WatchDirectPayments = "watch_direct_payments", "Watch over direct payments";
        /// Spend by stream, route and month across the area.
        MoneyReports = "money_reports", "Area money reports";
        /// What was paid to each provider and school (a provider or school
        /// sees only its own).
        OrganisationPayments = "organisation_payments", "Payments to providers and schools";
    }
);

/// Whether `role` may do `action`.
pub fn area_allowed(role: Role, action: AreaAction) -> bool {
    use AreaAction::*;
    let case_holder = matches!(role, Role::Caseworker | Role::TeamManager | Role::GroupManager | Role::HeadOfService);
    match action {
        ListChildren => reads_children(role),
        AddChild => case_holder,
        ViewDirectory => !role.is_family(),
        ViewPolicies => true,
        PublishPolicy => matches!(role, Role::Commissioner | Role::Administrator),
        ManageUsers => role == Role::Administrator,
        AuditTrail => role == Role::Auditor,
        Worklist => case_holder,
        Approvals => matches!(role, Role::TeamManager | Role::GroupManager | Role::HeadOfService | Role::NhsBudgetLead),
        Reports | ViewAreaRisks => {
            matches!(
                role,
                Role::TeamManager | Role::GroupManager | Role::HeadOfService | Role::Commissioner | Role::Auditor
            )
        }
        ManageAreaRisks => {
            matches!(role, Role::TeamManager | Role::GroupManager | Role::HeadOfService | Role::Commissioner)
        }
        Payments => role == Role::FinanceOfficer,
        WatchDirectPayments => {
            matches!(
                role,
                Role::FinanceOfficer | Role::TeamManager | Role::GroupManager | Role::HeadOfService | Role::Auditor
            )
        }
        MoneyReports => money_reader(role),
        OrganisationPayments => money_reader(role) || matches!(role, Role::SchoolSenco | Role::ProviderStaff),
    }
}

/// Who reads the area's money figures: finance, senior managers, the
/// commissioners and NHS partners who fund them, and audit.
fn money_reader(role: Role) -> bool {
    matches!(
        role,
        Role::FinanceOfficer
            | Role::GroupManager
            | Role::HeadOfService
            | Role::Commissioner
            | Role::NhsBudgetLead
            | Role::Auditor
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user: UserId::new(),
            role,
            organisation: Some(OrganisationId::from_bytes([7; 16])),
            professional: None,
            teams: vec![name("North")],
            children: vec![ChildId::from_bytes([1; 16])],
        }
    }

    #[test]
    fn a_family_sees_only_its_own_child() {
        let own = ChildId::from_bytes([1; 16]);
        let other = ChildId::from_bytes([2; 16]);
        let facts = ChildFacts { age: Some(9), ..ChildFacts::default() };
        let parent = viewer(Role::ParentCarer);
        assert!(may(&parent, own, &facts, Section::Budget, Op::Read));
        assert!(!may(&parent, other, &facts, Section::Record, Op::Read));
        assert!(!may(&parent, own, &facts, Section::Record, Op::Change));
        assert!(!may(&parent, own, &facts, Section::History, Op::Read));
    }

    #[test]
    fn a_young_person_sees_their_own_record_from_their_sixteenth_birthday() {
        let own = ChildId::from_bytes([1; 16]);
        let yp = viewer(Role::YoungPerson);
        let at = |age| ChildFacts { age: Some(age), ..ChildFacts::default() };
        assert!(!may(&yp, own, &at(15), Section::Record, Op::Read));
        assert!(may(&yp, own, &at(16), Section::Record, Op::Read));
        assert!(!may(&yp, own, &ChildFacts::default(), Section::Record, Op::Read), "no date of birth, no access");
    }

    #[test]
    fn a_caseworker_sees_their_teams_cases_and_no_others() {
        let child = ChildId::new();
        let cw = viewer(Role::Caseworker);
        let led_by = |team: &str| ChildFacts { lead_team: Some(name(team)), ..ChildFacts::default() };
        assert!(may(&cw, child, &led_by("North"), Section::Record, Op::Change));
        assert!(!may(&cw, child, &led_by("South"), Section::Record, Op::Read));
        assert!(!may(&cw, child, &ChildFacts::default(), Section::Record, Op::Read), "no lead professional");
        assert!(!may(&cw, child, &led_by("North"), Section::AccessLog, Op::Read));
        assert!(may(&viewer(Role::TeamManager), child, &led_by("North"), Section::AccessLog, Op::Read));
    }

    #[test]
    fn a_school_needs_a_placement_and_the_familys_consent() {
        let child = ChildId::new();
        let school = viewer(Role::SchoolSenco);
        let org = school.organisation.unwrap();
        let placed = ChildFacts { involvements: vec![(org, InvolvementKind::SchoolPlacement)], ..Default::default() };
        assert!(!may(&school, child, &placed, Section::Record, Op::Read), "placed, but no consent");
        let consented = ChildFacts { consented: vec![org], ..placed.clone() };
        assert!(may(&school, child, &consented, Section::Record, Op::Read));
        assert!(!may(&school, child, &consented, Section::Family, Op::Read));
        let elsewhere = ChildFacts {
            involvements: vec![(OrganisationId::new(), InvolvementKind::SchoolPlacement)],
            consented: vec![org],
            ..Default::default()
        };
        assert!(!may(&school, child, &elsewhere, Section::Record, Op::Read), "placed at another school");
    }

    #[test]
    fn a_provider_sees_only_children_it_holds_money_for_and_only_the_record() {
        let child = ChildId::new();
        let provider = viewer(Role::ProviderStaff);
        let org = provider.organisation.unwrap();
        let isf = ChildFacts { involvements: vec![(org, InvolvementKind::IsfHolder)], ..Default::default() };
        assert!(may(&provider, child, &isf, Section::Record, Op::Read));
        assert!(!may(&provider, child, &isf, Section::Family, Op::Read));
        assert!(!may(&provider, child, &isf, Section::Budget, Op::Read));
        let placement =
            ChildFacts { involvements: vec![(org, InvolvementKind::SchoolPlacement)], ..Default::default() };
        assert!(!may(&provider, child, &placement, Section::Record, Op::Read));
    }

    #[test]
    fn money_is_paid_by_finance_watched_by_managers_and_read_by_the_family() {
        // A family reads its own child's money; finance reads and
        // reconciles it; a school or provider never sees a child's account.
        for (role, read, change) in [
            (Role::ParentCarer, true, false),
            (Role::Caseworker, true, true),
            (Role::FinanceOfficer, true, true),
            (Role::NhsBudgetLead, true, false),
            (Role::Auditor, true, false),
            (Role::SchoolSenco, false, false),
            (Role::ProviderStaff, false, false),
        ] {
            assert_eq!(section_allowed(role, Section::Money, Op::Read), read, "{role} reads");
            assert_eq!(section_allowed(role, Section::Money, Op::Change), change, "{role} changes");
        }
        // Only finance pays; managers watch; a provider sees its own payments.
        assert!(area_allowed(Role::FinanceOfficer, AreaAction::Payments));
        assert!(!area_allowed(Role::HeadOfService, AreaAction::Payments));
        assert!(area_allowed(Role::TeamManager, AreaAction::WatchDirectPayments));
        assert!(!area_allowed(Role::Caseworker, AreaAction::WatchDirectPayments));
        assert!(area_allowed(Role::ProviderStaff, AreaAction::OrganisationPayments));
        assert!(!area_allowed(Role::ProviderStaff, AreaAction::MoneyReports));
        assert!(!area_allowed(Role::ParentCarer, AreaAction::OrganisationPayments));
    }

    #[test]
    fn the_nhs_sees_children_with_health_involvement_shared_by_consent() {
        let child = ChildId::new();
        let nhs = viewer(Role::NhsBudgetLead);
        let org = nhs.organisation.unwrap();
        let funded = ChildFacts { involvements: vec![(org, InvolvementKind::HealthFunding)], ..Default::default() };
        assert!(!may(&nhs, child, &funded, Section::Budget, Op::Read));
        let shared = ChildFacts { consented: vec![org], ..funded };
        assert!(may(&nhs, child, &shared, Section::Budget, Op::Read));
        assert!(!may(&nhs, child, &shared, Section::History, Op::Read));
    }

    #[test]
    fn administrators_and_commissioners_see_no_childs_record() {
        let everything = ChildFacts {
            lead_team: Some(name("North")),
            age: Some(17),
            involvements: InvolvementKind::ALL.iter().map(|k| (OrganisationId::from_bytes([7; 16]), *k)).collect(),
            consented: vec![OrganisationId::from_bytes([7; 16])],
        };
        for role in [Role::Administrator, Role::Commissioner] {
            for section in Section::ALL {
                assert!(!may(&viewer(role), ChildId::from_bytes([1; 16]), &everything, *section, Op::Read));
            }
            assert!(!area_allowed(role, AreaAction::ListChildren));
        }
        for role in Role::ALL {
            assert_eq!(reads_children(*role), ChildScope::of(&viewer(*role)) != ChildScope::Nobody, "{role}");
        }
        assert!(area_allowed(Role::Administrator, AreaAction::ManageUsers));
        assert!(!area_allowed(Role::HeadOfService, AreaAction::ManageUsers));
    }

    #[test]
    fn records_are_changed_only_by_those_who_hold_cases_and_finance_and_the_family_only_has_its_say() {
        for role in Role::ALL {
            let case_holder = sees_protected(*role);
            let manager = case_holder && *role != Role::Caseworker;
            for section in Section::ALL {
                let expected = match section {
                    Section::History | Section::AccessLog | Section::SubjectAccess => false,
                    Section::Signoff => manager || *role == Role::NhsBudgetLead,
                    Section::Gates => manager,
                    Section::Challenge | Section::CoSign | Section::Receipts => case_holder || role.is_family(),
                    Section::Money => case_holder || *role == Role::FinanceOfficer,
                    _ => case_holder,
                };
                assert_eq!(section_allowed(*role, *section, Op::Change), expected, "{role} changing {section}");
            }
        }
    }

    fn facts_strategy() -> impl Strategy<Value = ChildFacts> {
        let orgs = [OrganisationId::from_bytes([7; 16]), OrganisationId::from_bytes([8; 16])];
        let teams = ["North", "South"];
        (
            proptest::option::of(0usize..2),
            proptest::option::of(0u32..26),
            proptest::collection::vec((0usize..2, 0usize..InvolvementKind::ALL.len()), 0..4),
            proptest::collection::vec(0usize..2, 0..2),
        )
            .prop_map(move |(team, age, inv, cons)| ChildFacts {
                lead_team: team.map(|t| name(teams[t])),
                age,
                involvements: inv.into_iter().map(|(o, k)| (orgs[o], InvolvementKind::ALL[k])).collect(),
                consented: cons.into_iter().map(|o| orgs[o]).collect(),
            })
    }

    proptest! {
        /// Whatever is true of a child, nobody outside the scope reads any
        /// section, and a list (the scope) never shows a child whose record
        /// its own reader could not open.
        #[test]
        fn reading_any_section_needs_the_scope(facts in facts_strategy(), role in 0usize..Role::ALL.len(), own in any::<bool>()) {
            let v = viewer(Role::ALL[role]);
            let id = if own { ChildId::from_bytes([1; 16]) } else { ChildId::from_bytes([3; 16]) };
            let in_scope = ChildScope::of(&v).admits(id, &facts);
            for section in Section::ALL {
                if may(&v, id, &facts, *section, Op::Read) {
                    prop_assert!(in_scope);
                }
            }
            if in_scope {
                prop_assert!(may(&v, id, &facts, Section::Record, Op::Read));
            }
        }
    }
}
