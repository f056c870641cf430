//! GOV.UK Frontend's components, ported from the package's Nunjucks
//! templates to Rust. Each renders the same HTML as the template for the
//! options it supports: the tests below compare every fixture of the
//! package (`fixtures/`, copied by `assets/vendor.sh`) whose options a
//! component supports, after folding whitespace.

use maud::{Markup, Render, html};

/// Text (escaped) or HTML (already safe): the components' `text`/`html`.
#[derive(Debug, Clone)]
pub enum Content {
    Text(String),
    Html(Markup),
}

impl Render for Content {
    fn render_to(&self, buffer: &mut String) {
        match self {
            Content::Text(t) => t.render_to(buffer),
            Content::Html(h) => buffer.push_str(&h.0),
        }
    }
}

impl From<&str> for Content {
    fn from(t: &str) -> Content {
        Content::Text(t.to_owned())
    }
}

impl From<String> for Content {
    fn from(t: String) -> Content {
        Content::Text(t)
    }
}

impl From<Markup> for Content {
    fn from(h: Markup) -> Content {
        Content::Html(h)
    }
}

/// `base` followed by any extra classes.
fn classes(base: &str, extra: &Option<String>) -> String {
    match extra.as_deref().filter(|c| !c.is_empty()) {
        Some(extra) => format!("{base} {extra}"),
        None => base.to_owned(),
    }
}

/// The link that lets keyboard users skip to the page's content.
#[derive(Debug, Clone)]
pub struct SkipLink {
    pub href: String,
    pub text: Content,
}

impl Render for SkipLink {
    fn render(&self) -> Markup {
        html! { a href=(self.href) class="govuk-skip-link" data-module="govuk-skip-link" { (self.text) } }
    }
}

/// "Back" to the previous page.
#[derive(Debug, Clone, Default)]
pub struct BackLink {
    pub href: String,
    pub text: Option<Content>,
}

impl Render for BackLink {
    fn render(&self) -> Markup {
        let href = if self.href.is_empty() { "#" } else { &self.href };
        html! { a href=(href) class="govuk-back-link" { @if let Some(t) = &self.text { (t) } @else { "Back" } } }
    }
}

/// A status, like "Overdue" or "Agreed".
#[derive(Debug, Clone)]
pub struct Tag {
    pub text: Content,
    /// A colour, like `govuk-tag--red`.
    pub classes: Option<String>,
}

impl Render for Tag {
    fn render(&self) -> Markup {
        html! { strong class=(classes("govuk-tag", &self.classes)) { (self.text) } }
    }
}

/// Text set apart from what is around it: a quotation, an example, a
/// reminder.
#[derive(Debug, Clone)]
pub struct InsetText {
    pub id: Option<String>,
    pub content: Content,
    pub classes: Option<String>,
}

impl Render for InsetText {
    fn render(&self) -> Markup {
        html! { div id=[&self.id] class=(classes("govuk-inset-text", &self.classes)) { (self.content) } }
    }
}

/// A warning someone must not miss.
#[derive(Debug, Clone)]
pub struct WarningText {
    pub text: Content,
    /// Read by screen readers in place of the "!" icon.
    pub icon_fallback_text: Option<String>,
}

impl Render for WarningText {
    fn render(&self) -> Markup {
        html! {
            div class="govuk-warning-text" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { (self.icon_fallback_text.as_deref().unwrap_or("Warning")) }
                    (self.text)
                }
            }
        }
    }
}

/// One problem in an error summary, linking to its field.
#[derive(Debug, Clone)]
pub struct ErrorLink {
    pub href: Option<String>,
    pub text: Content,
}

/// "There is a problem" at the top of a page, listing each error.
#[derive(Debug, Clone)]
pub struct ErrorSummary {
    pub title: Content,
    pub description: Option<Content>,
    pub errors: Vec<ErrorLink>,
}

impl Render for ErrorSummary {
    fn render(&self) -> Markup {
        html! {
            div class="govuk-error-summary" data-module="govuk-error-summary" {
                div role="alert" {
                    h2 class="govuk-error-summary__title" { (self.title) }
                    div class="govuk-error-summary__body" {
                        @if let Some(d) = &self.description { p { (d) } }
                        @if !self.errors.is_empty() {
                            ul class="govuk-list govuk-error-summary__list" {
                                @for e in &self.errors {
                                    li { @if let Some(href) = &e.href { a href=(href) { (e.text) } } @else { (e.text) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A field's error, shown above it.
#[derive(Debug, Clone)]
pub struct ErrorMessage {
    pub id: Option<String>,
    pub text: Content,
    /// "Error" unless set; empty for none.
    pub visually_hidden_text: Option<String>,
}

impl Render for ErrorMessage {
    fn render(&self) -> Markup {
        let hidden = self.visually_hidden_text.as_deref().unwrap_or("Error");
        html! {
            p id=[&self.id] class="govuk-error-message" {
                @if !hidden.is_empty() { span class="govuk-visually-hidden" { (hidden) ":" } " " }
                (self.text)
            }
        }
    }
}

/// Help text for a field.
#[derive(Debug, Clone)]
pub struct Hint {
    pub id: Option<String>,
    pub text: Content,
}

impl Render for Hint {
    fn render(&self) -> Markup {
        html! { div id=[&self.id] class="govuk-hint" { (self.text) } }
    }
}

/// A field's label; as the page's heading when the page asks one question.
#[derive(Debug, Clone)]
pub struct Label {
    pub text: Content,
    pub for_id: Option<String>,
    pub classes: Option<String>,
    pub is_page_heading: bool,
}

impl Label {
    pub fn new(text: impl Into<Content>) -> Label {
        Label { text: text.into(), for_id: None, classes: None, is_page_heading: false }
    }
}

impl Render for Label {
    fn render(&self) -> Markup {
        let label = html! { label class=(classes("govuk-label", &self.classes)) for=[&self.for_id] { (self.text) } };
        if self.is_page_heading {
            html! { h1 class="govuk-label-wrapper" { (label) } }
        } else {
            label
        }
    }
}

/// The ids of a field's hint and error, and the `aria-describedby` that
/// names whichever it has.
struct Described {
    hint_id: Option<String>,
    error_id: Option<String>,
    by: Option<String>,
}

impl Described {
    fn new(id: &str, hint: &Option<Content>, error: &Option<Content>) -> Described {
        let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
        let error_id = error.as_ref().map(|_| format!("{id}-error"));
        let ids: Vec<&str> = [&hint_id, &error_id].into_iter().flatten().map(String::as_str).collect();
        let by = (!ids.is_empty()).then(|| ids.join(" "));
        Described { hint_id, error_id, by }
    }

    /// The hint and the error, in that order, as every field shows them.
    fn render(&self, hint: &Option<Content>, error: &Option<Content>) -> Markup {
        html! {
            @if let Some(hint) = hint { (Hint { id: self.hint_id.clone(), text: hint.clone() }) }
            @if let Some(error) = error {
                (ErrorMessage { id: self.error_id.clone(), text: error.clone(), visually_hidden_text: None })
            }
        }
    }
}

/// The group around one field; red-edged when it has an error.
fn form_group(has_error: bool, inner: Markup) -> Markup {
    html! { div class={ "govuk-form-group" @if has_error { " govuk-form-group--error" } } { (inner) } }
}

/// A field's label, pointing at the field.
fn label_for(label: &Option<Label>, id: &str) -> Option<Label> {
    label.as_ref().map(|l| Label { for_id: Some(id.to_owned()), ..l.clone() })
}

/// A one-line text field, with its label, hint and error.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub id: Option<String>,
    pub name: String,
    pub label: Option<Label>,
    pub hint: Option<Content>,
    pub error: Option<Content>,
    pub value: Option<String>,
    /// `text` unless set (`password`, `email`, `tel`…).
    pub input_type: Option<String>,
    /// Widths, like `govuk-input--width-10`.
    pub classes: Option<String>,
    pub spellcheck: Option<bool>,
    pub autocomplete: Option<String>,
    pub inputmode: Option<String>,
    /// Shown before the field, like "£".
    pub prefix: Option<Content>,
    pub suffix: Option<Content>,
}

impl Render for Input {
    fn render(&self) -> Markup {
        let id = self.id.clone().unwrap_or_else(|| self.name.clone());
        let d = Described::new(&id, &self.hint, &self.error);
        let mut class = classes("govuk-input", &self.classes);
        if self.error.is_some() {
            class.push_str(" govuk-input--error");
        }
        let input = html! {
            input class=(class) id=(id) name=(self.name) type=(self.input_type.as_deref().unwrap_or("text"))
                spellcheck=[self.spellcheck] value=[&self.value] aria-describedby=[&d.by]
                autocomplete=[&self.autocomplete] inputmode=[&self.inputmode];
        };
        form_group(
            self.error.is_some(),
            html! {
                @if let Some(label) = label_for(&self.label, &id) { (label) }
                (d.render(&self.hint, &self.error))
                @if self.prefix.is_some() || self.suffix.is_some() {
                    div class="govuk-input__wrapper" {
                        @if let Some(p) = &self.prefix { div class="govuk-input__prefix" aria-hidden="true" { (p) } }
                        (input)
                        @if let Some(s) = &self.suffix { div class="govuk-input__suffix" aria-hidden="true" { (s) } }
                    }
                } @else {
                    (input)
                }
            },
        )
    }
}

/// A field for choosing a file. Browsers never fill it in again, so a form
/// sent back with errors asks for the file again.
#[derive(Debug, Clone, Default)]
pub struct FileUpload {
    pub id: Option<String>,
    pub name: String,
    pub label: Option<Label>,
    pub hint: Option<Content>,
    pub error: Option<Content>,
    /// The kinds of file the chooser offers, like `.pdf,.jpg`.
    pub accept: Option<String>,
    /// The enhanced drop zone GOV.UK Frontend's script adds.
    pub javascript: bool,
}

impl Render for FileUpload {
    fn render(&self) -> Markup {
        let id = self.id.clone().unwrap_or_else(|| self.name.clone());
        let d = Described::new(&id, &self.hint, &self.error);
        let input = html! {
            input class={ "govuk-file-upload" @if self.error.is_some() { " govuk-file-upload--error" } } id=(id)
                name=(self.name) type="file" aria-describedby=[&d.by] accept=[&self.accept];
        };
        form_group(
            self.error.is_some(),
            html! {
                @if let Some(label) = label_for(&self.label, &id) { (label) }
                (d.render(&self.hint, &self.error))
                @if self.javascript {
                    div class="govuk-file-upload-wrapper" data-module="govuk-file-upload" { (input) }
                } @else {
                    (input)
                }
            },
        )
    }
}

/// A field for a few lines of text.
#[derive(Debug, Clone, Default)]
pub struct Textarea {
    pub id: Option<String>,
    pub name: String,
    pub label: Option<Label>,
    pub hint: Option<Content>,
    pub error: Option<Content>,
    pub value: Option<String>,
    /// 5 unless set.
    pub rows: Option<u32>,
    pub autocomplete: Option<String>,
}

impl Render for Textarea {
    fn render(&self) -> Markup {
        let id = self.id.clone().unwrap_or_else(|| self.name.clone());
        let d = Described::new(&id, &self.hint, &self.error);
        form_group(
            self.error.is_some(),
            html! {
                @if let Some(label) = label_for(&self.label, &id) { (label) }
                (d.render(&self.hint, &self.error))
                textarea class={ "govuk-textarea" @if self.error.is_some() { " govuk-textarea--error" } } id=(id)
                    name=(self.name) rows=(self.rows.unwrap_or(5)) aria-describedby=[&d.by]
                    autocomplete=[&self.autocomplete] { (self.value.as_deref().unwrap_or_default()) }
            },
        )
    }
}

/// One choice of a select or of radios.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub text: Content,
    pub hint: Option<Content>,
}

impl Choice {
    pub fn new(value: impl Into<String>, text: impl Into<Content>) -> Choice {
        Choice { value: value.into(), text: text.into(), hint: None }
    }
}

/// A drop-down list (for long lists of codes; radios are better for few).
#[derive(Debug, Clone, Default)]
pub struct Select {
    pub id: Option<String>,
    pub name: String,
    pub label: Option<Label>,
    pub hint: Option<Content>,
    pub error: Option<Content>,
    pub items: Vec<Choice>,
    /// The chosen value.
    pub value: Option<String>,
}

impl Render for Select {
    fn render(&self) -> Markup {
        let id = self.id.clone().unwrap_or_else(|| self.name.clone());
        let d = Described::new(&id, &self.hint, &self.error);
        form_group(
            self.error.is_some(),
            html! {
                @if let Some(label) = label_for(&self.label, &id) { (label) }
                (d.render(&self.hint, &self.error))
                select class={ "govuk-select" @if self.error.is_some() { " govuk-select--error" } } id=(id) name=(self.name)
                    aria-describedby=[&d.by] {
                    @for item in &self.items {
                        option value=(item.value) selected[self.value.as_deref() == Some(item.value.as_str())] { (item.text) }
                    }
                }
            },
        )
    }
}

/// The question a group of fields answers together.
#[derive(Debug, Clone)]
pub struct Legend {
    pub text: Content,
    /// `govuk-fieldset__legend--m` and so on.
    pub classes: Option<String>,
    pub is_page_heading: bool,
}

impl Legend {
    pub fn new(text: impl Into<Content>) -> Legend {
        Legend { text: text.into(), classes: None, is_page_heading: false }
    }
}

/// Choose one.
#[derive(Debug, Clone, Default)]
pub struct Radios {
    /// The first radio's id (and the prefix of the others'); `name` unless set.
    pub id_prefix: Option<String>,
    pub name: String,
    pub legend: Option<Legend>,
    pub hint: Option<Content>,
    pub error: Option<Content>,
    pub items: Vec<Choice>,
    /// The chosen value.
    pub value: Option<String>,
    /// `govuk-radios--inline`, `govuk-radios--small`.
    pub classes: Option<String>,
}

impl Render for Radios {
    fn render(&self) -> Markup {
        let prefix = self.id_prefix.clone().unwrap_or_else(|| self.name.clone());
        let d = Described::new(&prefix, &self.hint, &self.error);
        let radios = html! {
            (d.render(&self.hint, &self.error))
            div class=(classes("govuk-radios", &self.classes)) data-module="govuk-radios" {
                @for (i, item) in self.items.iter().enumerate() {
                    @let item_id = if i == 0 { prefix.clone() } else { format!("{prefix}-{}", i + 1) };
                    @let hint_id = item.hint.as_ref().map(|_| format!("{item_id}-item-hint"));
                    div class="govuk-radios__item" {
                        input class="govuk-radios__input" id=(item_id) name=(self.name) type="radio" value=(item.value)
                            checked[self.value.as_deref() == Some(item.value.as_str())] aria-describedby=[&hint_id];
                        (Label { text: item.text.clone(), for_id: Some(item_id.clone()), classes: Some("govuk-radios__label".into()), is_page_heading: false })
                        @if let Some(hint) = &item.hint {
                            div id=[&hint_id] class="govuk-hint govuk-radios__hint" { (hint) }
                        }
                    }
                }
            }
        };
        form_group(
            self.error.is_some(),
            match &self.legend {
                Some(legend) => html! {
                    fieldset class="govuk-fieldset" aria-describedby=[&d.by] {
                        legend class=(classes("govuk-fieldset__legend", &legend.classes)) {
                            @if legend.is_page_heading { h1 class="govuk-fieldset__heading" { (legend.text) } } @else { (legend.text) }
                        }
                        (radios)
                    }
                },
                None => radios,
            },
        )
    }
}

/// A message at the top of a page: what just happened ("Success") or
/// something important.
#[derive(Debug, Clone, Default)]
pub struct NotificationBanner {
    /// Plain text is shown as the banner's heading; HTML as it is.
    pub content: Option<Content>,
    /// A success says what the person just did, and is announced at once.
    pub success: bool,
    pub title: Option<Content>,
    pub title_id: Option<String>,
    pub classes: Option<String>,
    pub role: Option<String>,
    pub disable_auto_focus: Option<bool>,
}

impl Render for NotificationBanner {
    fn render(&self) -> Markup {
        let mut class = classes("govuk-notification-banner", &self.classes);
        if self.success {
            class = class.replacen(
                "govuk-notification-banner",
                "govuk-notification-banner govuk-notification-banner--success",
                1,
            );
        }
        let role = self.role.as_deref().unwrap_or(if self.success { "alert" } else { "region" });
        let title_id = self.title_id.as_deref().unwrap_or("govuk-notification-banner-title");
        let default_title = Content::Text(if self.success { "Success" } else { "Important" }.into());
        html! {
            div class=(class) role=(role) aria-labelledby=(title_id) data-module="govuk-notification-banner"
                data-disable-auto-focus=[self.disable_auto_focus] {
                div class="govuk-notification-banner__header" {
                    h2 class="govuk-notification-banner__title" id=(title_id) { (self.title.as_ref().unwrap_or(&default_title)) }
                }
                div class="govuk-notification-banner__content" {
                    @match &self.content {
                        Some(Content::Text(t)) => p class="govuk-notification-banner__heading" { (t) },
                        Some(html) => (html),
                        None => {},
                    }
                }
            }
        }
    }
}

/// A button, or a link that looks like one.
#[derive(Debug, Clone, Default)]
pub struct Button {
    pub text: Option<Content>,
    /// A link styled as a button, rather than a form's button.
    pub href: Option<String>,
    pub name: Option<String>,
    pub value: Option<String>,
    /// `submit` unless set.
    pub button_type: Option<String>,
    /// `govuk-button--secondary`, `govuk-button--warning`.
    pub classes: Option<String>,
    pub prevent_double_click: Option<bool>,
    pub id: Option<String>,
}

impl Render for Button {
    fn render(&self) -> Markup {
        let class = classes("govuk-button", &self.classes);
        let text = self.text.clone().unwrap_or(Content::Text(String::new()));
        match &self.href {
            Some(href) => html! {
                a href=(href) role="button" draggable="false" class=(class) data-module="govuk-button" id=[&self.id] { (text) }
            },
            None => html! {
                button type=(self.button_type.as_deref().unwrap_or("submit")) value=[&self.value] name=[&self.name]
                    data-prevent-double-click=[self.prevent_double_click] class=(class) data-module="govuk-button"
                    id=[&self.id] { (text) }
            },
        }
    }
}

/// A link at the end of a summary list's row ("Change").
#[derive(Debug, Clone)]
pub struct RowAction {
    pub href: String,
    pub text: Content,
    /// What it changes, for screen readers ("name").
    pub visually_hidden_text: Option<String>,
}

/// One row of a summary list.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub key: Content,
    pub value: Content,
    pub actions: Vec<RowAction>,
}

impl SummaryRow {
    pub fn new(key: impl Into<Content>, value: impl Into<Content>) -> SummaryRow {
        SummaryRow { key: key.into(), value: value.into(), actions: Vec::new() }
    }
}

/// Facts as keys and values ("check your answers", a record's summary).
#[derive(Debug, Clone, Default)]
pub struct SummaryList {
    pub rows: Vec<SummaryRow>,
    pub classes: Option<String>,
}

impl Render for SummaryList {
    fn render(&self) -> Markup {
        let any_actions = self.rows.iter().any(|r| !r.actions.is_empty());
        let link = |a: &RowAction| {
            html! {
                a class="govuk-link" href=(a.href) {
                    (a.text)
                    @if let Some(h) = a.visually_hidden_text.as_ref().filter(|h| !h.is_empty()) { span class="govuk-visually-hidden" { " " (h) } }
                }
            }
        };
        html! {
            dl class=(classes("govuk-summary-list", &self.classes)) {
                @for row in &self.rows {
                    div class={ "govuk-summary-list__row" @if any_actions && row.actions.is_empty() { " govuk-summary-list__row--no-actions" } } {
                        dt class="govuk-summary-list__key" { (row.key) }
                        dd class="govuk-summary-list__value" { (row.value) }
                        @if !row.actions.is_empty() {
                            dd class="govuk-summary-list__actions" {
                                @if let [only] = row.actions.as_slice() { (link(only)) } @else {
                                    ul class="govuk-summary-list__actions-list" {
                                        @for a in &row.actions { li class="govuk-summary-list__actions-list-item" { (link(a)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One cell of a table.
#[derive(Debug, Clone)]
pub struct Cell {
    pub content: Content,
    /// `numeric` right-aligns amounts.
    pub format: Option<String>,
    pub colspan: Option<u32>,
}

impl Cell {
    pub fn new(content: impl Into<Content>) -> Cell {
        Cell { content: content.into(), format: None, colspan: None }
    }
    /// A right-aligned number or amount.
    pub fn numeric(content: impl Into<Content>) -> Cell {
        Cell { format: Some("numeric".into()), ..Cell::new(content) }
    }
}

/// A table of data, with a caption that says what it is.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: Option<String>,
    /// `govuk-table__caption--m` and so on.
    pub caption_classes: Option<String>,
    pub head: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    pub first_cell_is_header: bool,
}

impl Render for Table {
    fn render(&self) -> Markup {
        let with_format = |base: &str, format: &Option<String>| match format {
            Some(f) => format!("{base} {base}--{f}"),
            None => base.to_owned(),
        };
        html! {
            table class="govuk-table" {
                @if let Some(caption) = &self.caption {
                    caption class=(classes("govuk-table__caption", &self.caption_classes)) { (caption) }
                }
                @if !self.head.is_empty() {
                    thead class="govuk-table__head" {
                        tr class="govuk-table__row" {
                            @for h in &self.head {
                                th scope="col" class=(with_format("govuk-table__header", &h.format)) colspan=[h.colspan] { (h.content) }
                            }
                        }
                    }
                }
                tbody class="govuk-table__body" {
                    @for row in &self.rows {
                        tr class="govuk-table__row" {
                            @for (i, cell) in row.iter().enumerate() {
                                @if i == 0 && self.first_cell_is_header {
                                    th scope="row" class="govuk-table__header" colspan=[cell.colspan] { (cell.content) }
                                } @else {
                                    td class=(with_format("govuk-table__cell", &cell.format)) colspan=[cell.colspan] { (cell.content) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each component against the package's own fixtures. A fixture is
    //! compared when every option it sets is one the port supports; the
    //! counts at the end make sure most are.

    use super::*;
    use maud::PreEscaped;
    use serde_json::Value;

    /// Whitespace-insensitive form of some HTML: runs of whitespace become
    /// one space, and none is kept next to a tag.
    fn fold(html: &str) -> String {
        let spaced = html.split_whitespace().collect::<Vec<_>>().join(" ");
        spaced.replace("> ", ">").replace(" <", "<").replace("&#39;", "'").replace(" >", ">")
    }

    /// The fixtures of one component: `(name, options, html)`.
    fn fixtures(component: &str) -> Vec<(String, Value, String)> {
        let text = match component {
            "back-link" => include_str!("fixtures/back-link.json"),
            "button" => include_str!("fixtures/button.json"),
            "error-message" => include_str!("fixtures/error-message.json"),
            "error-summary" => include_str!("fixtures/error-summary.json"),
            "hint" => include_str!("fixtures/hint.json"),
            "input" => include_str!("fixtures/input.json"),
            "inset-text" => include_str!("fixtures/inset-text.json"),
            "label" => include_str!("fixtures/label.json"),
            "skip-link" => include_str!("fixtures/skip-link.json"),
            "summary-list" => include_str!("fixtures/summary-list.json"),
            "table" => include_str!("fixtures/table.json"),
            "radios" => include_str!("fixtures/radios.json"),
            "select" => include_str!("fixtures/select.json"),
            "textarea" => include_str!("fixtures/textarea.json"),
            "tag" => include_str!("fixtures/tag.json"),
            "warning-text" => include_str!("fixtures/warning-text.json"),
            "notification-banner" => include_str!("fixtures/notification-banner.json"),
            "file-upload" => include_str!("fixtures/file-upload.json"),
            other => panic!("no fixtures for {other}"),
        };
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["fixtures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (f["name"].as_str().unwrap().to_owned(), f["options"].clone(), f["html"].as_str().unwrap().to_owned())
            })
            .collect()
    }

    /// Options the port reads, as a checker that every key is among them.
    fn only(options: &Value, keys: &[&str]) -> bool {
        options.as_object().is_some_and(|o| o.keys().all(|k| keys.contains(&k.as_str())))
    }

    fn label_of(l: &Value) -> Option<Label> {
        content(l, "text", "html").map(|text| Label {
            text,
            for_id: None,
            classes: s(&l["classes"]),
            is_page_heading: l["isPageHeading"].as_bool().unwrap_or(false),
        })
    }

    fn s(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// `text`/`html` of an options object (or of `prefix` named keys).
    fn content(o: &Value, text: &str, html: &str) -> Option<Content> {
        match (s(&o[html]).filter(|h| !h.is_empty()), s(&o[text])) {
            (Some(h), _) => Some(Content::Html(PreEscaped(h))),
            (None, Some(t)) => Some(Content::Text(t)),
            _ => None,
        }
    }

    /// Renders every supported fixture of `component` with `build`, which
    /// returns `None` for options the port does not support; asserts each
    /// matches and returns how many were compared.
    fn check(component: &str, build: impl Fn(&Value) -> Option<Markup>) -> usize {
        let mut compared = 0;
        let mut failures = Vec::new();
        for (name, options, expected) in fixtures(component) {
            let Some(ours) = build(&options) else { continue };
            compared += 1;
            if fold(&ours.0) != fold(&expected) {
                failures.push(format!("{component} / {name}\n  ours: {}\n  want: {}", fold(&ours.0), fold(&expected)));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        compared
    }

    #[test]
    fn the_ported_components_match_govuk_frontends_fixtures() {
        let counts = [
            (
                "skip-link",
                check("skip-link", |o| {
                    only(o, &["href", "text", "html"]).then(|| {
                        SkipLink {
                            href: s(&o["href"]).filter(|h| !h.is_empty()).unwrap_or("#content".into()),
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                        }
                        .render()
                    })
                }),
            ),
            (
                "back-link",
                check("back-link", |o| {
                    only(o, &["href", "text", "html"]).then(|| {
                        BackLink { href: s(&o["href"]).unwrap_or_default(), text: content(o, "text", "html") }.render()
                    })
                }),
            ),
            (
                "tag",
                check("tag", |o| {
                    only(o, &["text", "html", "classes"]).then(|| {
                        Tag {
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                            classes: s(&o["classes"]),
                        }
                        .render()
                    })
                }),
            ),
            (
                "inset-text",
                check("inset-text", |o| {
                    only(o, &["text", "html", "id", "classes"]).then(|| {
                        InsetText {
                            id: s(&o["id"]),
                            content: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                            classes: s(&o["classes"]),
                        }
                        .render()
                    })
                }),
            ),
            (
                "warning-text",
                check("warning-text", |o| {
                    only(o, &["text", "html", "iconFallbackText"]).then(|| {
                        WarningText {
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                            icon_fallback_text: s(&o["iconFallbackText"]).filter(|t| !t.is_empty()),
                        }
                        .render()
                    })
                }),
            ),
            (
                "error-summary",
                check("error-summary", |o| {
                    let list_ok = o["errorList"]
                        .as_array()
                        .is_none_or(|items| items.iter().all(|i| only(i, &["href", "text", "html"])));
                    (only(o, &["titleText", "titleHtml", "descriptionText", "descriptionHtml", "errorList"]) && list_ok)
                        .then(|| {
                            ErrorSummary {
                                title: content(o, "titleText", "titleHtml").unwrap_or(Content::Text(String::new())),
                                description: content(o, "descriptionText", "descriptionHtml"),
                                errors: o["errorList"]
                                    .as_array()
                                    .map(|items| {
                                        items
                                            .iter()
                                            .map(|i| ErrorLink {
                                                href: s(&i["href"]),
                                                text: content(i, "text", "html")
                                                    .unwrap_or(Content::Text(String::new())),
                                            })
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            }
                            .render()
                        })
                }),
            ),
            (
                "error-message",
                check("error-message", |o| {
                    only(o, &["text", "html", "id", "visuallyHiddenText"]).then(|| {
                        ErrorMessage {
                            id: s(&o["id"]),
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                            visually_hidden_text: match &o["visuallyHiddenText"] {
                                Value::Bool(false) => Some(String::new()),
                                v => s(v),
                            },
                        }
                        .render()
                    })
                }),
            ),
            (
                "hint",
                check("hint", |o| {
                    only(o, &["text", "html", "id"]).then(|| {
                        Hint {
                            id: s(&o["id"]),
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                        }
                        .render()
                    })
                }),
            ),
            (
                "label",
                check("label", |o| {
                    (only(o, &["text", "html", "for", "classes", "isPageHeading"])
                        && content(o, "text", "html").is_some())
                    .then(|| {
                        Label {
                            text: content(o, "text", "html").unwrap_or(Content::Text(String::new())),
                            for_id: s(&o["for"]),
                            classes: s(&o["classes"]),
                            is_page_heading: o["isPageHeading"].as_bool().unwrap_or(false),
                        }
                        .render()
                    })
                }),
            ),
            (
                "input",
                check("input", |o| {
                    let label_ok = only(&o["label"], &["text", "html", "classes", "isPageHeading"]);
                    let part_ok = |k: &str| o[k].is_null() || only(&o[k], &["text", "html"]);
                    let ok = only(
                        o,
                        &[
                            "id",
                            "name",
                            "label",
                            "hint",
                            "errorMessage",
                            "value",
                            "type",
                            "classes",
                            "spellcheck",
                            "autocomplete",
                            "inputmode",
                            "prefix",
                            "suffix",
                        ],
                    ) && label_ok
                        && ["hint", "errorMessage", "prefix", "suffix"].into_iter().all(part_ok);
                    ok.then(|| {
                        let l = &o["label"];
                        Input {
                            id: s(&o["id"]),
                            name: s(&o["name"]).unwrap_or_default(),
                            label: content(l, "text", "html").map(|text| Label {
                                text,
                                for_id: None,
                                classes: s(&l["classes"]),
                                is_page_heading: l["isPageHeading"].as_bool().unwrap_or(false),
                            }),
                            hint: content(&o["hint"], "text", "html"),
                            error: content(&o["errorMessage"], "text", "html"),
                            value: s(&o["value"]),
                            input_type: s(&o["type"]),
                            classes: s(&o["classes"]),
                            spellcheck: o["spellcheck"].as_bool(),
                            autocomplete: s(&o["autocomplete"]),
                            inputmode: s(&o["inputmode"]),
                            prefix: content(&o["prefix"], "text", "html"),
                            suffix: content(&o["suffix"], "text", "html"),
                        }
                        .render()
                    })
                }),
            ),
            (
                "button",
                check("button", |o| {
                    only(o, &["text", "html", "href", "name", "value", "type", "classes", "preventDoubleClick", "id"])
                        .then(|| {
                            Button {
                                text: content(o, "text", "html"),
                                href: s(&o["href"]),
                                name: s(&o["name"]),
                                value: s(&o["value"]),
                                button_type: s(&o["type"]),
                                classes: s(&o["classes"]),
                                prevent_double_click: o["preventDoubleClick"].as_bool(),
                                id: s(&o["id"]),
                            }
                            .render()
                        })
                }),
            ),
            (
                "summary-list",
                check("summary-list", |o| {
                    let rows = o["rows"].as_array()?;
                    let rows_ok = rows.iter().all(|r| {
                        only(r, &["key", "value", "actions"])
                            && only(&r["key"], &["text", "html"])
                            && only(&r["value"], &["text", "html"])
                            && (r["actions"].is_null()
                                || (only(&r["actions"], &["items"])
                                    && r["actions"]["items"].as_array().is_some_and(|items| {
                                        items.iter().all(|a| only(a, &["href", "text", "html", "visuallyHiddenText"]))
                                    })))
                    });
                    (only(o, &["rows", "classes"]) && rows_ok).then(|| {
                        SummaryList {
                            classes: s(&o["classes"]),
                            rows: rows
                                .iter()
                                .map(|r| SummaryRow {
                                    key: content(&r["key"], "text", "html").unwrap_or(Content::Text(String::new())),
                                    value: content(&r["value"], "text", "html").unwrap_or(Content::Text(String::new())),
                                    actions: r["actions"]["items"]
                                        .as_array()
                                        .map(|items| {
                                            items
                                                .iter()
                                                .map(|a| RowAction {
                                                    href: s(&a["href"]).unwrap_or_default(),
                                                    text: content(a, "text", "html")
                                                        .unwrap_or(Content::Text(String::new())),
                                                    visually_hidden_text: s(&a["visuallyHiddenText"]),
                                                })
                                                .collect()
                                        })
                                        .unwrap_or_default(),
                                })
                                .collect(),
                        }
                        .render()
                    })
                }),
            ),
            (
                "table",
                check("table", |o| {
                    let cell_ok = |c: &Value| only(c, &["text", "html", "format", "colspan"]);
                    let head_ok = o["head"].as_array().is_none_or(|h| h.iter().all(cell_ok));
                    let rows = o["rows"].as_array()?;
                    let rows_ok = rows.iter().all(|r| r.as_array().is_some_and(|cells| cells.iter().all(cell_ok)));
                    let cell = |c: &Value| Cell {
                        content: content(c, "text", "html").unwrap_or(Content::Text(String::new())),
                        format: s(&c["format"]),
                        colspan: c["colspan"].as_u64().map(|n| n as u32),
                    };
                    (only(o, &["caption", "captionClasses", "head", "rows", "firstCellIsHeader"]) && head_ok && rows_ok)
                        .then(|| {
                            Table {
                                caption: s(&o["caption"]),
                                caption_classes: s(&o["captionClasses"]),
                                head: o["head"].as_array().map(|h| h.iter().map(cell).collect()).unwrap_or_default(),
                                rows: rows.iter().map(|r| r.as_array().unwrap().iter().map(cell).collect()).collect(),
                                first_cell_is_header: o["firstCellIsHeader"].as_bool().unwrap_or(false),
                            }
                            .render()
                        })
                }),
            ),
            (
                "textarea",
                check("textarea", |o| {
                    let label_ok = only(&o["label"], &["text", "html", "classes", "isPageHeading"]);
                    let parts_ok =
                        ["hint", "errorMessage"].into_iter().all(|k| o[k].is_null() || only(&o[k], &["text", "html"]));
                    (only(o, &["id", "name", "label", "hint", "errorMessage", "value", "rows", "autocomplete"])
                        && label_ok
                        && parts_ok)
                        .then(|| {
                            Textarea {
                                id: s(&o["id"]),
                                name: s(&o["name"]).unwrap_or_default(),
                                label: label_of(&o["label"]),
                                hint: content(&o["hint"], "text", "html"),
                                error: content(&o["errorMessage"], "text", "html"),
                                value: s(&o["value"]),
                                rows: o["rows"].as_u64().map(|r| r as u32),
                                autocomplete: s(&o["autocomplete"]),
                            }
                            .render()
                        })
                }),
            ),
            (
                "select",
                check("select", |o| {
                    let label_ok = only(&o["label"], &["text", "html", "classes", "isPageHeading"]);
                    let parts_ok =
                        ["hint", "errorMessage"].into_iter().all(|k| o[k].is_null() || only(&o[k], &["text", "html"]));
                    let items = o["items"].as_array()?;
                    let items_ok = items.iter().all(|i| {
                        only(i, &["value", "text", "selected"]) && s(&i["value"]).is_some() && i["selected"] != false
                    });
                    // `selected` on an item is the same as the select's value.
                    let selected = items.iter().find(|i| i["selected"] == true).and_then(|i| s(&i["value"]));
                    (only(o, &["id", "name", "label", "hint", "errorMessage", "items", "value"])
                        && label_ok
                        && parts_ok
                        && items_ok)
                        .then(|| {
                            Select {
                                id: s(&o["id"]),
                                name: s(&o["name"]).unwrap_or_default(),
                                label: label_of(&o["label"]),
                                hint: content(&o["hint"], "text", "html"),
                                error: content(&o["errorMessage"], "text", "html"),
                                items: items
                                    .iter()
                                    .map(|i| Choice::new(s(&i["value"]).unwrap(), s(&i["text"]).unwrap_or_default()))
                                    .collect(),
                                value: s(&o["value"]).or(selected.clone()),
                            }
                            .render()
                        })
                }),
            ),
            (
                "notification-banner",
                check("notification-banner", |o| {
                    let kind_ok = o["type"].is_null() || o["type"] == "success";
                    (only(
                        o,
                        &[
                            "text",
                            "html",
                            "type",
                            "titleText",
                            "titleHtml",
                            "titleId",
                            "classes",
                            "role",
                            "disableAutoFocus",
                        ],
                    ) && kind_ok)
                        .then(|| {
                            NotificationBanner {
                                content: content(o, "text", "html"),
                                success: o["type"] == "success",
                                title: content(o, "titleText", "titleHtml"),
                                title_id: s(&o["titleId"]),
                                classes: s(&o["classes"]),
                                role: s(&o["role"]),
                                disable_auto_focus: o["disableAutoFocus"].as_bool(),
                            }
                            .render()
                        })
                }),
            ),
            (
                "file-upload",
                check("file-upload", |o| {
                    let part_ok = |k: &str| o[k].is_null() || only(&o[k], &["text", "html"]);
                    let attributes_ok = o["attributes"].is_null() || only(&o["attributes"], &["accept"]);
                    (only(o, &["id", "name", "label", "hint", "errorMessage", "attributes", "javascript"])
                        && only(&o["label"], &["text", "html", "classes", "isPageHeading"])
                        && attributes_ok
                        && ["hint", "errorMessage"].into_iter().all(part_ok))
                    .then(|| {
                        FileUpload {
                            id: s(&o["id"]),
                            name: s(&o["name"]).unwrap_or_default(),
                            label: label_of(&o["label"]),
                            hint: content(&o["hint"], "text", "html"),
                            error: content(&o["errorMessage"], "text", "html"),
                            accept: s(&o["attributes"]["accept"]),
                            javascript: o["javascript"].as_bool().unwrap_or(false),
                        }
                        .render()
                    })
                }),
            ),
            (
                "radios",
                check("radios", |o| {
                    let f = &o["fieldset"];
                    let fieldset_ok = f.is_null()
                        || (only(f, &["legend"]) && only(&f["legend"], &["text", "html", "classes", "isPageHeading"]));
                    let parts_ok =
                        ["hint", "errorMessage"].into_iter().all(|k| o[k].is_null() || only(&o[k], &["text", "html"]));
                    let items = o["items"].as_array()?;
                    let items_ok = items.iter().all(|i| {
                        only(i, &["value", "text", "html", "hint"])
                            && i["value"].is_string()
                            && (i["hint"].is_null() || only(&i["hint"], &["text", "html"]))
                    });
                    (only(o, &["idPrefix", "name", "fieldset", "hint", "errorMessage", "items", "value", "classes"])
                        && fieldset_ok
                        && parts_ok
                        && items_ok)
                        .then(|| {
                            Radios {
                                id_prefix: s(&o["idPrefix"]),
                                name: s(&o["name"]).unwrap_or_default(),
                                legend: content(&f["legend"], "text", "html").map(|text| Legend {
                                    text,
                                    classes: s(&f["legend"]["classes"]),
                                    is_page_heading: f["legend"]["isPageHeading"].as_bool().unwrap_or(false),
                                }),
                                hint: content(&o["hint"], "text", "html"),
                                error: content(&o["errorMessage"], "text", "html"),
                                items: items
                                    .iter()
                                    .map(|i| Choice {
                                        value: s(&i["value"]).unwrap(),
                                        text: content(i, "text", "html").unwrap_or(Content::Text(String::new())),
                                        hint: content(&i["hint"], "text", "html"),
                                    })
                                    .collect(),
                                value: s(&o["value"]),
                                classes: s(&o["classes"]),
                            }
                            .render()
                        })
                }),
            ),
        ];
        // Every component is compared several times, and most fixtures
        // overall are in reach of the port (the rest use options Allot has
        // no use for, like custom attributes, disabled options or cards).
        let (mut all_compared, mut all) = (0, 0);
        for (component, compared) in counts {
            let total = fixtures(component).len();
            eprintln!("{component}: {compared} of {total} fixtures compared");
            assert!(compared >= 3, "{component}: only {compared} of {total} fixtures compared");
            (all_compared, all) = (all_compared + compared, all + total);
        }
        assert!(all_compared * 2 >= all, "only {all_compared} of {all} fixtures compared");
    }
}
