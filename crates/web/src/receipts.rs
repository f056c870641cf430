//! Receipts over HTTP: a family (or whoever holds the case) sends a photo
//! or scan of a receipt with what it was for; money readers list them and
//! open each file. The API and the page read the same multipart form and
//! call the same [`send_receipt`].

use crate::api::{ApiRoute, parse_id};
use crate::caller::{Caller, Guard};
use crate::openapi::{id_param, ok, op};
use crate::upload::{FILE_FIELD, SentForm, read_form};
use crate::{AppState, Problem};
use allot_domain::access::Section;
use allot_domain::finance::receipt::{MAX_RECEIPT_BYTES, Receipt, ReceiptFile, ReceiptForm};
use allot_domain::finance::statement::ItemMoney;
use allot_domain::ids::{ChildId, ReceiptId};
use allot_domain::{FinancialYear, Invalid};
use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The largest receipt form: the file and a little for the other fields.
/// A file a little over the file limit still gets a field error.
pub const RECEIPT_FORM_LIMIT: usize = MAX_RECEIPT_BYTES + crate::upload::FORM_SLACK;

pub(crate) fn routes() -> Vec<ApiRoute> {
    let receipt_param =
        json!({ "name": "receipt", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } });
    let form = json!({ "required": true, "content": { "multipart/form-data": { "schema": {
        "type": "object", "required": ["spent_on", "amount", "what", FILE_FIELD],
        "properties": {
            "spent_on": { "type": "string", "format": "date" }, "amount": { "type": "string", "example": "37.50" },
            "what": { "type": "string" }, "item": { "type": "string", "description": "The plan item's key; empty when not sure" },
            FILE_FIELD: { "type": "string", "format": "binary", "description": "A PDF, JPEG or PNG, at most 5 MB" },
        } } } } });
    vec![
        ApiRoute {
            path: "/api/v1/children/{id}/receipts",
            handler: get(list).post(send).layer(DefaultBodyLimit::max(RECEIPT_FORM_LIMIT)),
            operations: vec![
                (
                    "get",
                    Guard::read(Section::Receipts),
                    op(
                        "The receipts sent for the child, latest spend first",
                        id_param(),
                        None,
                        ok("object", "The receipts"),
                    ),
                ),
                (
                    "post",
                    Guard::change(Section::Receipts),
                    op(
                        "Send a receipt: what was bought, when, for how much, and a photo or scan of it",
                        id_param(),
                        Some(form),
                        ok("object", "The receipt (201)"),
                    ),
                ),
            ],
        },
        ApiRoute {
            path: "/api/v1/children/{id}/receipts/{receipt}",
            handler: get(file),
            operations: vec![(
                "get",
                Guard::read(Section::Receipts),
                op(
                    "A receipt's file, exactly as sent",
                    [id_param(), vec![receipt_param]].concat(),
                    None,
                    ok("file", "The file"),
                ),
            )],
        },
    ]
}

/// The items of the child's agreed plan this year, which a receipt may be
/// for.
pub(crate) async fn plan_items(state: &AppState, caller: &Caller, child: ChildId) -> Result<Vec<ItemMoney>, Problem> {
    let money = state.store.child_money(caller.area, child, FinancialYear::containing(caller.today())).await?;
    Ok(money.streams.into_iter().flat_map(|s| s.items).collect())
}

/// Checks a sent receipt against the child's plan and keeps it. Every
/// problem, with the fields and the file, is reported at once.
pub(crate) async fn send_receipt(
    state: &AppState,
    caller: &Caller,
    child: ChildId,
    (fields, file): SentForm,
) -> Result<Receipt, Problem> {
    let items = plan_items(state, caller, child).await?;
    let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    let field = |name: &str| fields.get(name).cloned();
    let form =
        ReceiptForm { spent_on: field("spent_on"), amount: field("amount"), what: field("what"), item: field("item") };
    let details = form.parse(caller.today(), &keys);
    let file = match file {
        Some((name, bytes)) => ReceiptFile::parse(&name, bytes),
        None => Err(Invalid::one(FILE_FIELD, "choose the receipt to send")),
    };
    match (details, file) {
        (Ok(details), Ok(file)) => {
            Ok(state.store.add_receipt(caller.area, child, &details, &file, &caller.stamp()).await?)
        }
        (details, file) => {
            let mut all = details.err().unwrap_or_default();
            all.0.extend(file.err().unwrap_or_default().0);
            Err(all.into())
        }
    }
}

fn receipt_json(r: &Receipt, items: &[ItemMoney]) -> Value {
    let mut v = json!(r);
    v["item"] = json!(r.details.item_key.as_ref().and_then(|k| items.iter().find(|i| &i.key == k)).map(|i| &i.what));
    v["amount"] = json!(r.details.amount.to_string());
    v
}

async fn list(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let receipts = state.store.receipts(caller.area, child).await?;
    let items = plan_items(&state, &caller, child).await?;
    Ok(Json(json!({ "items": receipts.iter().map(|r| receipt_json(r, &items)).collect::<Vec<_>>() })))
}

async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let receipt = send_receipt(&state, &caller, child, read_form(multipart).await?).await?;
    let items = plan_items(&state, &caller, child).await?;
    Ok((StatusCode::CREATED, Json(receipt_json(&receipt, &items))).into_response())
}

async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, receipt)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let child = parse_id::<ChildId>(&id)?;
    let (r, bytes) = state.store.receipt_file(caller.area, child, parse_id::<ReceiptId>(&receipt)?).await?;
    // Always a download: a file someone sent is never shown as part of
    // Allot's own pages.
    Ok((
        [
            (header::CONTENT_TYPE, r.kind.code().to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", r.file_name)),
        ],
        bytes,
    )
        .into_response())
}
