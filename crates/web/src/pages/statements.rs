//! Statements and invoices in pages, for finance: import a file (all of it
//! or none), read every problem in a bad one by line and column, and look
//! back at what was imported.

use super::components::{
    BackLink, Button, Cell, Choice, Content, FileUpload, Label, Legend, NotificationBanner, Radios, Table,
};
use super::home::long_date;
use super::{Ctx, Fields, Frame, error_summary, field_error, value};
use crate::caller::Caller;
use crate::upload::{FILE_FIELD, read_form};
use crate::{AppState, Problem};
use allot_domain::dates::date_in_england;
use allot_domain::finance::spend::StatementFormat;
use allot_domain::invalid::LineError;
use allot_domain::{FieldError, Invalid};
use allot_store::{SpendImportRecord, SpendImported, StoreError, import_statement};
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

/// Imports shown to look back on.
const RECENT: u32 = 20;
/// Problems listed on the page; a file with more says how many in all.
const PROBLEMS_SHOWN: usize = 500;

/// "1 line", "2 lines".
fn lines(n: u64) -> String {
    if n == 1 { "1 line".into() } else { format!("{n} lines") }
}

/// What came of a file sent, to show above the form.
enum Outcome {
    Imported { file: String, imported: SpendImported },
    Problems { file: String, lines: Vec<LineError> },
}

fn page(
    ctx: &Ctx,
    caller: &Caller,
    recent: &[SpendImportRecord],
    fields: &Fields,
    errors: &[FieldError],
    outcome: Option<&Outcome>,
) -> Markup {
    let mut frame = Frame::new(ctx, "Statements and invoices");
    frame.has_errors = !errors.is_empty();
    frame.before_content = Some(html! { (BackLink { href: "/payments".into(), text: Some("Payment runs".into()) }) });
    frame.render(html! {
        @if let Some(Outcome::Imported { file, imported: i }) = outcome {
            (NotificationBanner {
                content: Some(Content::Html(html! {
                    h3 class="govuk-notification-banner__heading" { (file) " has been imported" }
                    p class="govuk-body" {
                        (lines(i.lines)) ": " (i.added) " new, " (i.seen_before) " imported before and skipped. "
                        (i.matched) " put against a part of a plan; " (i.added - i.matched) " waiting for someone to say what they were for."
                    }
                })),
                success: true,
                ..NotificationBanner::default()
            })
        }
        @if !errors.is_empty() { (error_summary(errors)) }
        h1 class="govuk-heading-l" { "Statements and invoices" }
        @if let Some(Outcome::Problems { file, lines }) = outcome {
            h2 class="govuk-heading-m" { "Problems in " (file) }
            p class="govuk-body" {
                "Nothing in the file was imported. Correct " @if lines.len() == 1 { "this line" } @else { "these lines" }
                " and send the whole file again: lines already imported are skipped."
            }
            (Table {
                caption: (lines.len() > PROBLEMS_SHOWN).then(|| format!("The first {PROBLEMS_SHOWN} of {} problems", lines.len())),
                caption_classes: Some("govuk-table__caption--s".into()),
                head: vec![Cell::numeric("Line"), Cell::new("Column"), Cell::new("Problem")],
                rows: lines.iter().take(PROBLEMS_SHOWN).map(|l| vec![Cell::numeric(l.line.to_string()), Cell::new(l.field.clone()), Cell::new(l.message.clone())]).collect(),
                first_cell_is_header: false,
            })
        }
        p class="govuk-body" {
            "Import a statement of a family's direct-payment account, a prepaid card export, or a provider's invoice lines. "
            "A file goes in whole or not at all, and a transaction imported before is never counted twice."
        }
        form method="post" action="/statements" enctype="multipart/form-data" novalidate {
            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
            (Radios {
                name: "format".into(),
                legend: Some(Legend { classes: Some("govuk-fieldset__legend--s".into()), ..Legend::new("What kind of file is it?") }),
                error: field_error(errors, "format"),
                items: StatementFormat::ALL.iter().map(|f| Choice::new(f.code(), f.label())).collect(),
                value: value(fields, "format"),
                ..Radios::default()
            })
            (FileUpload {
                name: FILE_FIELD.into(),
                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("The file") }),
                hint: Some("A CSV file, smaller than 50 MB. Larger files are imported with the command allot import statement.".into()),
                error: field_error(errors, FILE_FIELD),
                accept: Some(".csv,text/csv".into()),
                ..FileUpload::default()
            })
            (Button { text: Some("Import the file".into()), prevent_double_click: Some(true), ..Button::default() })
        }
        h2 class="govuk-heading-m" { "Imported lately" }
        @if recent.is_empty() {
            p class="govuk-body" { "Nothing has been imported yet." }
        } @else {
            (Table {
                caption: None,
                caption_classes: None,
                head: vec![Cell::new("When"), Cell::new("File"), Cell::numeric("Lines"), Cell::numeric("New"), Cell::numeric("Skipped"), Cell::numeric("Put against a plan"), Cell::new("By")],
                rows: recent.iter().map(|r| vec![
                    Cell::new(long_date(date_in_england(r.imported_at))),
                    Cell::new(Content::Html(html! { (r.file_name) br; span class="govuk-hint govuk-!-font-size-16" { (r.format.label()) } })),
                    Cell::numeric(r.lines.to_string()),
                    Cell::numeric(r.added.to_string()),
                    Cell::numeric(r.seen_before.to_string()),
                    Cell::numeric(r.matched.to_string()),
                    Cell::new(r.imported_by.clone()),
                ]).collect(),
                first_cell_is_header: false,
            })
        }
    })
}

pub(crate) async fn statements(State(state): State<AppState>, ctx: Ctx, caller: Caller) -> Result<Markup, Problem> {
    let recent = state.store.spend_imports(caller.area, RECENT).await?;
    Ok(page(&ctx, &caller, &recent, &Fields::new(), &[], None))
}

pub(crate) async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let (fields, file) = read_form(multipart).await?;
    let mut inv = Invalid::default();
    let format = inv.check("format", StatementFormat::parse(fields.get("format").map_or("", String::as_str)));
    if format.is_none() {
        inv.0.last_mut().expect("just pushed").message = "choose what kind of file it is".into();
    }
    let file = file.filter(|(_, bytes)| !bytes.is_empty());
    if file.is_none() {
        inv.push(FILE_FIELD, "choose the file to import");
    }
    let render = |outcome: Option<&Outcome>, errors: &[FieldError], recent: &[SpendImportRecord]| {
        page(&ctx, &caller, recent, &fields, errors, outcome)
    };
    let (Some(format), Some((name, bytes))) = (format, file) else {
        let recent = state.store.spend_imports(caller.area, RECENT).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(None, &inv.0, &recent)).into_response());
    };
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().chars().take(200).collect::<String>();
    let result = import_statement(
        state.store.as_ref(),
        caller.area,
        format,
        &name,
        std::io::Cursor::new(bytes),
        &caller.stamp(),
    )
    .await;
    let recent = state.store.spend_imports(caller.area, RECENT).await?;
    Ok(match result {
        Ok(imported) => render(Some(&Outcome::Imported { file: name, imported }), &[], &recent).into_response(),
        Err(StoreError::Lines(lines)) => {
            let summary = FieldError {
                field: FILE_FIELD.into(),
                message: format!(
                    "the file {name} has {} problem{}: nothing was imported",
                    lines.len(),
                    if lines.len() == 1 { "" } else { "s" }
                ),
            };
            let outcome = Outcome::Problems { file: name, lines };
            (StatusCode::UNPROCESSABLE_ENTITY, render(Some(&outcome), &[summary], &recent)).into_response()
        }
        Err(e) => return Err(e.into()),
    })
}
