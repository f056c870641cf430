//! People who sign in, and the rules their accounts follow.

use crate::access::{Role, Viewer};
use crate::ids::{AreaId, ChildId, OrganisationId, ProfessionalId, UserId};
use crate::invalid::Invalid;
use crate::text::Name;

/// What someone signs in with: a lower-case email address or user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Parses a user name: 3–254 letters, digits or `.`, `_`, `-`, `+`, `@`,
    /// compared without regard to case.
    pub fn parse(input: &str) -> Result<Username, &'static str> {
        let s = input.trim().to_lowercase();
        let ok = |c: char| c.is_ascii_alphanumeric() || "._-+@".contains(c);
        if !(3..=254).contains(&s.len()) || !s.chars().all(ok) {
            return Err("a user name is 3 to 254 letters, digits, '.', '_', '-', '+' or '@'");
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new user, as supplied.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserForm {
    pub username: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub organisation_id: Option<String>,
    pub professional_id: Option<String>,
    pub teams: Option<Vec<String>>,
    pub children: Option<Vec<String>>,
}

/// A user's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetails {
    pub username: Username,
    pub name: Name,
    pub role: Role,
    /// Who employs them (none for families).
    pub organisation_id: Option<OrganisationId>,
    /// For caseworkers: the professional record that holds their cases.
    pub professional_id: Option<ProfessionalId>,
    /// The teams they work in or manage.
    pub teams: Vec<Name>,
    /// For families: the children they are linked to.
    pub children: Vec<ChildId>,
}

impl UserForm {
    /// Checks the form. (That the organisation is of the right kind, and
    /// the children exist, the store checks against its records.)
    pub fn parse(&self) -> Result<UserDetails, Invalid> {
        let mut inv = Invalid::default();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let username = inv.check("username", Username::parse(self.username.as_deref().unwrap_or("")));
        let name = inv.check("name", Name::parse(self.name.as_deref().unwrap_or("")));
        let role = inv.check("role", Role::parse(self.role.as_deref().unwrap_or("")));
        let organisation_id =
            text(&self.organisation_id).and_then(|o| inv.check("organisation_id", o.parse::<OrganisationId>()));
        let professional_id =
            text(&self.professional_id).and_then(|p| inv.check("professional_id", p.parse::<ProfessionalId>()));
        let mut teams = vec![];
        for t in self.teams.iter().flatten() {
            if let Some(t) = inv.check("teams", Name::parse(t)) {
                teams.push(t);
            }
        }
        let mut children = vec![];
        for c in self.children.iter().flatten() {
            if let Some(c) = inv.check("children", c.parse::<ChildId>()) {
                children.push(c);
            }
        }
        if let Some(role) = role {
            if role.is_family() {
                if text(&self.organisation_id).is_some() {
                    inv.push("organisation_id", "a family member is not employed by an organisation in Allot");
                }
                match (role, children.len()) {
                    (_, 0) => inv.push("children", "link a parent or young person to at least one child"),
                    (Role::YoungPerson, n) if n > 1 => {
                        inv.push("children", "a young person is linked to their own record only")
                    }
                    _ => {}
                }
            } else {
                if text(&self.organisation_id).is_none() {
                    inv.push("organisation_id", "choose the organisation they work for");
                }
                if !children.is_empty() {
                    inv.push("children", "only a parent, carer or young person is linked to children");
                }
            }
            if role.works_in_teams() && teams.is_empty() && self.teams.iter().flatten().count() == 0 {
                inv.push("teams", "name the team or teams they work in or manage");
            }
            if professional_id.is_some() && role != Role::Caseworker {
                inv.push("professional_id", "only a caseworker is linked to a professional record");
            }
        }
        inv.finish(|| UserDetails {
            username: username.expect("checked"),
            name: name.expect("checked"),
            role: role.expect("checked"),
            organisation_id,
            professional_id,
            teams,
            children,
        })
    }
}

/// A user as stored (their password and second factor stay in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub area_id: AreaId,
    pub details: UserDetails,
    /// A disabled user cannot sign in, and their sessions have ended.
    pub disabled: bool,
    /// Whether they have set up a second factor.
    pub has_second_factor: bool,
}

impl User {
    /// The user as the access policy sees them.
    pub fn viewer(&self) -> Viewer {
        let d = &self.details;
        Viewer {
            user: self.id,
            role: d.role,
            organisation: d.organisation_id,
            professional: d.professional_id,
            teams: d.teams.clone(),
            children: d.children.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(role: &str) -> UserForm {
        UserForm {
            username: Some(" A.Jones@Wyvern.example ".into()),
            name: Some("Alex Jones".into()),
            role: Some(role.into()),
            organisation_id: Some(OrganisationId::new().to_string()),
            teams: Some(vec!["North".into()]),
            ..UserForm::default()
        }
    }

    #[test]
    fn a_caseworker_needs_an_organisation_and_a_team() {
        let d = form("caseworker").parse().unwrap();
        assert_eq!(d.username.as_str(), "a.jones@wyvern.example");
        let e = UserForm { teams: None, organisation_id: None, ..form("caseworker") }.parse().unwrap_err();
        assert_eq!(e.fields(), ["organisation_id", "teams"]);
    }

    #[test]
    fn a_parent_is_linked_to_children_not_to_an_organisation() {
        let e = form("parent_carer").parse().unwrap_err();
        assert_eq!(e.fields(), ["organisation_id", "children"]);
        let ok = UserForm {
            organisation_id: None,
            children: Some(vec![ChildId::new().to_string()]),
            ..form("parent_carer")
        };
        assert_eq!(ok.parse().unwrap().children.len(), 1);
        let two = vec![ChildId::new().to_string(), ChildId::new().to_string()];
        let yp = UserForm { organisation_id: None, children: Some(two), ..form("young_person") };
        assert_eq!(yp.parse().unwrap_err().fields(), ["children"]);
    }

    #[test]
    fn bad_values_are_named() {
        let e = UserForm { username: Some("a b".into()), role: Some("king".into()), ..UserForm::default() }
            .parse()
            .unwrap_err();
        assert_eq!(e.fields(), ["username", "name", "role"]);
    }
}
