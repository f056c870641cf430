//! Receipts in pages: the family sends a photo or scan of a receipt for
//! something the direct payment bought, whenever suits them; everyone who
//! reads the child's money sees what was sent and can open each file.

use super::components::{Button, Cell, Choice, FileUpload, Input, Label, NotificationBanner, Select, Table};
use super::home::long_date;
use super::{Ctx, Fields, Frame, error_summary, field_error, refused, value};
use crate::api::parse_id;
use crate::caller::Caller;
use crate::receipts::{plan_items, send_receipt};
use crate::upload::{FILE_FIELD, read_form};
use crate::{AppState, Problem};
use allot_domain::access::{Op, Section, section_allowed};
use allot_domain::finance::receipt::Receipt;
use allot_domain::finance::statement::ItemMoney;
use allot_domain::{Child, ChildId, FieldError};
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

/// A file's size as people read it: 98 KB, 1.2 MB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 * 1024 => format!("{} KB", b.div_ceil(1024)),
        b => format!("{}.{} MB", b / (1024 * 1024), (b % (1024 * 1024)) * 10 / (1024 * 1024)),
    }
}

struct ReceiptsPage<'a> {
    child: &'a Child,
    receipts: &'a [Receipt],
    items: &'a [ItemMoney],
}

impl ReceiptsPage<'_> {
    fn render(&self, ctx: &Ctx, caller: &Caller, fields: &Fields, errors: &[FieldError], sent: bool) -> Markup {
        let id = self.child.id;
        let name = self.child.details.known_as();
        let item_name = |key: &Option<String>| {
            key.as_ref()
                .and_then(|k| self.items.iter().find(|i| &i.key == k))
                .map_or_else(|| "Not said".to_owned(), |i| i.what.clone())
        };
        let sends = section_allowed(caller.user.details.role, Section::Receipts, Op::Change);
        let mut frame = Frame::about(ctx, "Receipts", self.child);
        frame.has_errors = !errors.is_empty();
        frame.render(html! {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-two-thirds" {
                    @if sent {
                        (NotificationBanner { content: Some("Thank you: your receipt has been sent".into()), success: true, ..NotificationBanner::default() })
                    }
                    @if !errors.is_empty() { (error_summary(errors)) }
                    span class="govuk-caption-l" { (name) }
                    h1 class="govuk-heading-l" { "Receipts" }
                    p class="govuk-body" {
                        "Keep receipts for what the direct payment buys. You can send each one here when it suits you, "
                        "so you do not have to find them all if the council checks how the money was spent."
                    }
                    @if sends {
                        h2 class="govuk-heading-m" { "Send a receipt" }
                        @if !errors.is_empty() && errors.iter().all(|e| e.field != FILE_FIELD) {
                            p class="govuk-body" { "Choose the file again: for your security, files are not kept while something else needs correcting." }
                        }
                        form method="post" action={ "/children/" (id) "/receipts" } enctype="multipart/form-data" novalidate {
                            // First, so the page layer finds it before the file.
                            input type="hidden" name="csrf_token" value=(caller.session.csrf_token);
                            (FileUpload {
                                name: FILE_FIELD.into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("The receipt") }),
                                hint: Some("A photo or a scan: a PDF, JPEG or PNG, smaller than 5 MB.".into()),
                                error: field_error(errors, FILE_FIELD),
                                accept: Some(".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png".into()),
                                ..FileUpload::default()
                            })
                            (Input {
                                name: "spent_on".into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("When was it bought?") }),
                                hint: Some(format!("For example, {}", caller.today()).into()),
                                error: field_error(errors, "spent_on"),
                                value: value(fields, "spent_on"),
                                classes: Some("govuk-input--width-10".into()),
                                ..Input::default()
                            })
                            (Input {
                                name: "amount".into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("How much was it?") }),
                                error: field_error(errors, "amount"),
                                value: value(fields, "amount"),
                                classes: Some("govuk-input--width-5".into()),
                                spellcheck: Some(false),
                                inputmode: Some("decimal".into()),
                                prefix: Some("£".into()),
                                ..Input::default()
                            })
                            (Input {
                                name: "what".into(),
                                label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("What was bought?") }),
                                hint: Some("For example, swimming lessons for November".into()),
                                error: field_error(errors, "what"),
                                value: value(fields, "what"),
                                ..Input::default()
                            })
                            @if !self.items.is_empty() {
                                (Select {
                                    name: "item".into(),
                                    label: Some(Label { classes: Some("govuk-label--s".into()), ..Label::new("Which part of the plan was it for?") }),
                                    error: field_error(errors, "item"),
                                    items: std::iter::once(Choice::new("", "Not sure"))
                                        .chain(self.items.iter().map(|i| Choice::new(i.key.clone(), i.what.clone())))
                                        .collect(),
                                    value: value(fields, "item"),
                                    ..Select::default()
                                })
                            }
                            (Button { text: Some("Send the receipt".into()), prevent_double_click: Some(true), ..Button::default() })
                        }
                    }
                }
            }
            h2 class="govuk-heading-m" { "Receipts sent" }
            @if self.receipts.is_empty() {
                p class="govuk-body" { "No receipts have been sent yet." }
            } @else {
                (Table {
                    caption: None,
                    caption_classes: None,
                    head: vec![Cell::new("Bought on"), Cell::new("What"), Cell::new("Part of the plan"), Cell::numeric("Amount"), Cell::new("Receipt"), Cell::new("Sent")],
                    rows: self.receipts.iter().map(|r| vec![
                        Cell::new(long_date(r.details.spent_on)),
                        Cell::new(r.details.what.clone()),
                        Cell::new(item_name(&r.details.item_key)),
                        Cell::numeric(r.details.amount.to_string()),
                        Cell::new(html! {
                            a class="govuk-link" href={ "/api/v1/children/" (id) "/receipts/" (r.id) } download=(r.file_name) {
                                (r.file_name) span class="govuk-visually-hidden" { ", receipt for " (r.details.what) }
                            }
                            " (" (r.kind.label()) ", " (size(r.size_bytes)) ")"
                        }),
                        Cell::new(format!("{} by {}", long_date(allot_domain::dates::date_in_england(r.sent_at)), r.sent_by)),
                    ]).collect(),
                    first_cell_is_header: false,
                })
            }
        })
    }
}

pub(crate) async fn receipts(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Fields>,
) -> Result<Markup, Problem> {
    let child = state.store.child(caller.area, parse_id::<ChildId>(&id)?).await?;
    let receipts = state.store.receipts(caller.area, child.id).await?;
    let items = plan_items(&state, &caller, child.id).await?;
    let page = ReceiptsPage { child: &child, receipts: &receipts, items: &items };
    Ok(page.render(&ctx, &caller, &Fields::new(), &[], value(&q, "done").as_deref() == Some("sent")))
}

pub(crate) async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let child = state.store.child(caller.area, parse_id::<ChildId>(&id)?).await?;
    let form = read_form(multipart).await?;
    let fields = form.0.clone();
    Ok(match send_receipt(&state, &caller, child.id, form).await {
        Ok(_) => Redirect::to(&format!("/children/{}/receipts?done=sent", child.id)).into_response(),
        Err(problem) => {
            let receipts = state.store.receipts(caller.area, child.id).await?;
            let items = plan_items(&state, &caller, child.id).await?;
            let page = ReceiptsPage { child: &child, receipts: &receipts, items: &items };
            refused(|errors| page.render(&ctx, &caller, &fields, errors, false), problem)
        }
    })
}
