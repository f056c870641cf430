//! The OpenAPI 3.1 description, built from the route list itself.

use crate::api::ApiRoute;
use serde_json::{Value, json};

/// An operation: summary, parameters, request body and success response,
/// plus the problem responses every operation can give.
pub(crate) fn op(summary: &str, parameters: Vec<Value>, request: Option<Value>, success: (String, Value)) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(success.0, success.1);
    for (code, why) in [
        ("400", "The request could not be read"),
        ("401", "Not signed in, or the session has ended"),
        ("403", "The caller's role does not allow this (or a second factor is needed)"),
        ("404", "No such record (or not one the caller may see)"),
        ("409", "A conflict: a stale version, or a duplicate"),
        ("413", "The request body is too large"),
        ("415", "The request body is not JSON"),
        ("422", "What was entered has problems, listed per field"),
    ] {
        responses.insert(code.into(), json!({ "description": why, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }));
    }
    let mut operation = json!({ "summary": summary, "parameters": parameters, "responses": responses });
    if let Some(body) = request {
        operation["requestBody"] = body;
    }
    operation
}

/// The success response: `schema` names a component, or `text`/`object`.
pub(crate) fn ok(schema: &str, description: &str) -> (String, Value) {
    let content = match schema {
        "text" => json!({ "text/plain": { "schema": { "type": "string" } } }),
        "object" => json!({ "application/json": { "schema": { "type": "object" } } }),
        "html" => json!({ "text/html": { "schema": { "type": "string" } } }),
        // A file someone sent (a receipt): one of the kinds Allot accepts.
        "file" => {
            let binary = json!({ "schema": { "type": "string", "format": "binary" } });
            json!({ "application/pdf": binary, "image/jpeg": binary, "image/png": binary })
        }
        "empty" => json!({}),
        name => json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } }),
    };
    let code = if description.contains("(201)") { "201" } else { "200" };
    (code.into(), json!({ "description": description, "content": content }))
}

pub(crate) fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

pub(crate) fn toml_body() -> Value {
    json!({ "required": true, "content": { "application/toml": { "schema": { "type": "string", "description": "The policy file (see policies/README.md)" } } } })
}

pub(crate) fn id_param() -> Vec<Value> {
    vec![json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } })]
}

pub(crate) fn page_params() -> Vec<Value> {
    let p = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema });
    let codes = |all: Vec<&str>| json!({ "type": "string", "enum": all });
    vec![
        p(
            "primary_need",
            "Only children with this primary need (SEN2 code)",
            codes(allot_domain::PrimaryNeed::ALL.iter().map(|n| n.code()).collect()),
        ),
        p(
            "ehc_plan_status",
            "Only children at this point of the EHC process",
            codes(allot_domain::EhcPlanStatus::ALL.iter().map(|n| n.code()).collect()),
        ),
        p(
            "lead_professional",
            "Only this professional's current caseload",
            json!({ "type": "string", "format": "uuid" }),
        ),
        p("q", "Words that must all appear in the name or reference", json!({ "type": "string", "maxLength": 200 })),
        p("sort", "Order of the list", codes(allot_domain::paging::ChildSort::ALL.iter().map(|n| n.code()).collect())),
        p(
            "limit",
            "Rows per page",
            json!({ "type": "integer", "minimum": 1, "maximum": allot_domain::paging::PAGE_SIZE_MAX, "default": allot_domain::paging::PAGE_SIZE_DEFAULT }),
        ),
        p("cursor", "The next_cursor of the previous page", json!({ "type": "string" })),
    ]
}

fn text(description: &str) -> Value {
    json!({ "type": ["string", "null"], "description": description })
}

fn schemas() -> Value {
    let codes = |all: Vec<&str>| json!({ "type": ["string", "null"], "enum": all.into_iter().map(Value::from).chain([Value::Null]).collect::<Vec<_>>() });
    let child_form = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["reference", "legal_given_names", "legal_family_name", "date_of_birth", "sex"],
        "properties": {
            "reference": text("The area's own case reference: 1–40 letters, digits, - / _ ."),
            "legal_given_names": text("Legal given names"),
            "legal_family_name": text("Legal family name"),
            "preferred_name": text("The name the child likes to be called"),
            "date_of_birth": { "type": ["string", "null"], "format": "date", "description": "YYYY-MM-DD; the child must be 0–25" },
            "sex": codes(allot_domain::Sex::ALL.iter().map(|s| s.code()).collect()),
            "upn": text("Unique Pupil Number, 13 characters with a valid check letter"),
            "nhs_number": text("NHS number, 10 digits with a valid check digit; spaces allowed"),
            "address": text("Home address lines, without the postcode"),
            "postcode": text("UK postcode"),
            "address_protected": { "type": ["boolean", "null"], "description": "The address and postcode are shown only to roles that need them" },
            "primary_need": codes(allot_domain::PrimaryNeed::ALL.iter().map(|n| n.code()).collect()),
            "ehc_plan_status": codes(allot_domain::EhcPlanStatus::ALL.iter().map(|n| n.code()).collect()),
        }
    });
    let mut child_update = child_form.clone();
    child_update["properties"]["version"] =
        json!({ "type": "integer", "minimum": 1, "description": "The version the record was read at" });
    child_update["required"].as_array_mut().expect("array").push("version".into());
    let list = |item: &str| json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } } } });
    let object = |description: &str| json!({ "type": "object", "description": description });
    json!({
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
                "errors": { "type": "array", "items": { "type": "object", "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } }
            }
        },
        "ChildForm": child_form,
        "ChildUpdate": child_update,
        "Child": object("A child's record as the caller may see it; protected fields the caller may not see are null and named in `withheld`."),
        "ChildPage": { "type": "object", "properties": {
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/Child" } },
            "limit": { "type": "integer" },
            "next_cursor": { "type": ["string", "null"] }
        } },
        "FamilyMemberForm": { "type": "object", "additionalProperties": false, "required": ["name", "relationship", "contact_by"], "properties": {
            "name": text("Full name"),
            "relationship": codes(allot_domain::family::Relationship::ALL.iter().map(|r| r.code()).collect()),
            "parental_responsibility": { "type": ["boolean", "null"] },
            "contact_by": codes(allot_domain::family::ContactMethod::ALL.iter().map(|r| r.code()).collect()),
            "email": text("Needed when contact_by is email"),
            "phone": text("Needed when contact_by is phone or text_message"),
        } },
        "FamilyMember": object("A family member or contact"),
        "FamilyMemberList": list("FamilyMember"),
        "ConsentForm": { "type": "object", "additionalProperties": false, "required": ["given_by", "organisation_id", "shares", "given_on"], "properties": {
            "given_by": text("`young_person` (aged 16 or over) or the id of a family member with parental responsibility"),
            "organisation_id": text("The organisation the information may be shared with"),
            "shares": codes(allot_domain::consent::SharedInformation::ALL.iter().map(|s| s.code()).collect()),
            "given_on": { "type": ["string", "null"], "format": "date" },
        } },
        "Consent": object("A consent, with when and by whom it was withdrawn, and whether it is active now"),
        "ConsentList": list("Consent"),
        "LeadAssignmentForm": { "type": "object", "additionalProperties": false, "required": ["professional_id", "reason"], "properties": {
            "professional_id": text("The professional who takes over the case"),
            "reason": text("Why the case is moving"),
        } },
        "LeadAssignment": object("A spell as lead professional: from, until (null while current), who assigned it and why"),
        "LeadAssignmentList": list("LeadAssignment"),
        "ChangeList": list("Change"),
        "Change": object("One change: when, who, what and which fields"),
        "QuestionnaireForm": { "type": "object", "additionalProperties": false, "properties": {
            "answers": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Question id → the chosen option's id" },
            "on": { "type": ["string", "null"], "format": "date", "description": "The calculation date; today if left out" },
            "current": { "type": ["object", "null"], "additionalProperties": { "type": "string" }, "description": "Stream id → the current annual amount in pounds, for transitional protection" },
        } },
        "Allocation": object("A completed questionnaire: the policy (id, version, content hash), answers, date, per-stream points, band, amounts in pence, and a plain-English explanation"),
        "AllocationList": list("Allocation"),
        "Policy": object("A published allocation policy"),
        "PolicyList": list("Policy"),
        "OrganisationList": list("Organisation"),
        "Organisation": object("An organisation in the area"),
        "SignInForm": { "type": "object", "additionalProperties": false, "required": ["username", "password"], "properties": {
            "username": text("User name (usually an email address)"),
            "password": text("Password"),
            "code": text("The 6-digit code from an authenticator app: required for staff and providers"),
        } },
        "ConfirmForm": { "type": "object", "additionalProperties": false, "required": ["code"], "properties": {
            "code": text("The 6-digit code from an authenticator app"),
        } },
        "Session": object("Who is signed in, the CSRF token to send with changes made with the cookie, when the session ends (expires_at) and when to warn (warn_at); on sign-in, the token for API clients"),
        "UserForm": { "type": "object", "additionalProperties": false, "required": ["username", "name", "role"], "properties": {
            "username": text("What they sign in with: 3–254 letters, digits, . _ - + @"),
            "name": text("Their name"),
            "role": codes(allot_domain::Role::ALL.iter().map(|r| r.code()).collect()),
            "organisation_id": text("Who employs them (not for families)"),
            "professional_id": text("For caseworkers: the professional record that holds their cases"),
            "teams": { "type": ["array", "null"], "items": { "type": "string" }, "description": "Teams they work in or manage" },
            "children": { "type": ["array", "null"], "items": { "type": "string" }, "description": "For parents and young people: the children they are linked to" },
        } },
        "User": object("A user: name, role, organisation, teams, linked children, whether disabled and whether a second factor is set up"),
        "UserList": list("User"),
        "NewUser": object("A user with their temporary password and, for staff, the authenticator secret and otpauth URI, shown this once"),
        "ReasonForm": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": {
            "reason": text("Why: kept in the audit trail"),
        } },
        "InvolvementForm": { "type": "object", "additionalProperties": false, "required": ["organisation_id", "kind", "from"], "properties": {
            "organisation_id": text("The organisation"),
            "kind": codes(allot_domain::access::InvolvementKind::ALL.iter().map(|k| k.code()).collect()),
            "from": { "type": ["string", "null"], "format": "date" },
        } },
        "EndInvolvementForm": { "type": "object", "additionalProperties": false, "required": ["until"], "properties": {
            "until": { "type": ["string", "null"], "format": "date", "description": "The first day it no longer applies" },
        } },
        "Involvement": object("An organisation's involvement with a child, from and until"),
        "InvolvementList": list("Involvement"),
        "AuditEntry": object("One entry of the audit trail: sequence number, when, who, their role, which child, what, the outcome"),
        "AuditEntryList": { "type": "object", "properties": {
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEntry" } },
            "next_after": { "type": ["integer", "null"], "description": "Pass as ?after= for the next page" },
        } },
        "AuditCheck": object("Whether the audit trail is whole, the problems found, and the latest checkpoint (seq, hash)"),
        "SubjectAccess": object("Everything held about one child"),
        "ProfessionalList": list("Professional"),
        "PathwayEventForm": object("kind (step_moved, ehc_request_received, decided_to_assess, decided_not_to_assess, draft_plan_sent, final_plan_issued, twenty_week_exception, annual_review_held, budget_requested, budget_not_wanted, first_direct_payment, direct_payment_review_held, young_person_consented), on (date), step (for step_moved), reason"),
        "SavePlanForm": object("based_on ({version, row_version} as read, or null for a first plan) and plan: outcomes, real_wealth, items, contingency, keeping_safe, over_reasons"),
        "BasedOn": object("version and row_version, as read"),
        "DecisionForm": object("version, decision (approve, decline, return; or co_sign, risk_countersign), reason, signed_for (staff recording a paper signature)"),
        "ReviewRequestForm": object("received_on, plan_version (optional), what_is_challenged"),
        "ReviewAnswerForm": object("id, row_version, on, outcome (decision_changed or decision_stands), reasons"),
        "PersonalAssistantForm": object("name, employed_by, dbs_certificate (12 digits), dbs_issued_on, update_service, renewal_due (3 years after issue if left out)"),
        "PersonalAssistantUpdate": object("id and row_version of the assistant, and the PersonalAssistantForm fields"),
        "ConcernForm": object("raised_on, summary, blocks_direct_payment"),
        "CloseForm": object("id, row_version, on, reason"),
        "RiskForm": object("description, owner, review_on"),
        "GateExceptionForm": object("gate (safeguarding, young_person_consent, personal_assistant_dbs), subject (the concern or assistant), reason"),
        "Professional": object("A professional who can hold cases"),
        "SpendItemForm": object("format (generic, prepaid_card, provider_invoice), source (the provider, for invoices), transaction_id, item_key (null takes the line off its item), remember (merchant, category or reference: put lines like it there too)"),
        "OverspendForm": object("id (your UUID for it: sending it again records it once), stream, route, year (like 2026-27), amount (pounds), item (optional), reason"),
        "StartAuditForm": object("on (the day the audit starts)"),
        "AuditEventForm": object("kind (evidence_received, findings_recorded, notice_sent, family_responded, closed) and on; evidence and note; findings, proposed_recovery (pounds) and reasons; response_by; agreed and response; outcome"),
        "RecoveryForm": object("on and amount (pounds): at most the surplus, and only after the notice's response date or the family's agreement"),
        "RunForm": object("date: the Bacs processing day"),
        "BankDetailsProposal": object("account (dp/<child id> or org/<organisation id>), sort_code (6 digits), account_number (8 digits), account_name, reason"),
        "BankDetailsDecision": object("account, seq (of the proposal) and confirm (true to confirm, false to reject)"),
    })
}

/// The whole document.
pub(crate) fn document(routes: &[ApiRoute]) -> Value {
    let mut paths = serde_json::Map::new();
    for route in routes.iter().filter(|r| !r.is_page()) {
        let mut item = serde_json::Map::new();
        for (method, guard, operation) in &route.operations {
            let mut operation = operation.clone();
            operation["x-allot-access"] = Value::String(guard.describe());
            item.insert((*method).to_owned(), operation);
        }
        paths.insert(route.path.to_owned(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Allot API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Personal budgets for children and young people with SEND. Money is in pence; dates are YYYY-MM-DD; errors are application/problem+json. When the service holds several areas, name one with the Allot-Area header.",
        },
        "paths": paths,
        "components": { "schemas": schemas() },
    })
}
