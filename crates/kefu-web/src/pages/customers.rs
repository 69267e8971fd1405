//! Customer pages: the list with search, the new and edit forms, the channel-tree browser, the
//! duplicates list with merge, and the customer archive (客户档案): profile, place in the channel tree,
//! contacts with their social-style guidance cards, portal accounts, and one dated timeline of its
//! tickets, purchases and survey answers, newest first.

use super::account::field_errors;
use super::{Chrome, done, fmt_time, render, render_status, time_zone};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::customers::CustomerInput;
use kefu_app::model::{Contact, Customer, CustomerFilter, CustomerPatch, PortalAccount, Purchase, User};
use kefu_core::Language;
use kefu_core::customer::{GuidanceCard, Subkind};
use kefu_core::page::{PageRequest, split_page};
use serde::Deserialize;

/// The label key of a kind or subkind.
pub fn kind_key(c: &Customer) -> &'static str {
    match (c.kind, c.subkind) {
        (kefu_core::customer::CustomerKind::End, _) => "customers.kind_end",
        (kefu_core::customer::CustomerKind::Internal, _) => "customers.kind_internal",
        (_, Some(Subkind::Agent)) => "customers.sub_agent",
        (_, Some(Subkind::WholesalerL1)) => "customers.sub_wholesaler_l1",
        (_, Some(Subkind::WholesalerL2)) => "customers.sub_wholesaler_l2",
        (_, Some(Subkind::Retailer)) => "customers.sub_retailer",
        _ => "customers.kind_intermediate",
    }
}

pub struct Row {
    pub c: Customer,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "customers.html")]
pub struct ListPage {
    pub page: Chrome,
    pub q: String,
    pub rows: Vec<Row>,
    pub next_cursor: Option<String>,
    pub searched: bool,
    /// The deleted list (`?deleted=1`), from which managers restore.
    pub deleted: bool,
    /// The caller may list and restore deleted customers.
    pub may_restore: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
    deleted: Option<String>,
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<ListQuery>) -> Response {
    let id = &caller.identity;
    let t = id.tr();
    let text = q.q.clone().unwrap_or_default();
    let deleted = q.deleted.as_deref() == Some("1");
    let (customers, next_cursor, searched) = if !text.trim().is_empty() && !deleted {
        match state.app.search_customers(&caller.actor(), &text, 50).await {
            Ok(c) => (c, None, true),
            Err(e) => return super::error_page(id, e),
        }
    } else {
        let page = match PageRequest::parse(None, q.cursor.as_deref()) {
            Ok(p) => p,
            Err(e) => return super::error_page(id, e.into()),
        };
        match state
            .app
            .list_customers(
                &caller.actor(),
                CustomerFilter {
                    after: page.after,
                    limit: page.limit + 1,
                    deleted_only: deleted,
                    ..Default::default()
                },
            )
            .await
        {
            Ok(c) => {
                let (c, next) = split_page(c, page.limit, |c| c.id);
                (c, next, false)
            }
            Err(e) => return super::error_page(id, e),
        }
    };
    let rows = customers
        .into_iter()
        .map(|c| Row {
            kind: t.t(kind_key(&c)),
            c,
        })
        .collect();
    render(ListPage {
        page: Chrome::new(id, "/customers", "customers.title").with_flash(q.done.as_deref()),
        q: text,
        rows,
        next_cursor,
        searched,
        deleted,
        may_restore: id.user.as_ref().is_some_and(|u| u.role.manages()),
    })
}

#[derive(Template)]
#[template(path = "customer_form.html")]
pub struct FormPage {
    pub page: Chrome,
    pub values: FormValues,
    pub parents: Vec<Customer>,
    pub managers: Vec<User>,
    pub errors: Vec<(String, String)>,
    /// The customer being edited; `None` for a new one.
    pub editing: Option<i64>,
}

#[derive(Deserialize, Default, Clone)]
pub struct FormValues {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub subkind: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub social_style: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub account_manager_id: String,
}

/// Errors to show on a form: (field, message).
type FieldErrors = Vec<(String, String)>;

impl FormValues {
    /// The parent and account manager the selects name.
    fn ids(&self, t: &crate::i18n::Tr) -> Result<(Option<i64>, Option<i64>), FieldErrors> {
        let parent = optional_id(&self.parent_id, "parent_id", t.t("customers.bad_parent"))?;
        let manager = optional_id(
            &self.account_manager_id,
            "account_manager_id",
            t.t("customers.bad_manager"),
        )?;
        Ok((parent, manager))
    }
}

/// A select's value: empty is none, anything but a number is an error on `field`.
fn optional_id(v: &str, field: &str, message: &str) -> Result<Option<i64>, FieldErrors> {
    match v.trim() {
        "" => Ok(None),
        x => x
            .parse::<i64>()
            .map(Some)
            .map_err(|_| vec![(field.to_owned(), message.to_owned())]),
    }
}

async fn form(
    state: &WebState,
    caller: &Caller,
    editing: Option<i64>,
    values: FormValues,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    // Intermediate customers to buy through (the first 200; a search-as-you-type picker can come later).
    let actor = caller.actor();
    let parents = state.app.list_customers(
        &actor,
        CustomerFilter {
            after: 0,
            limit: 200,
            kind: Some(kefu_core::customer::CustomerKind::Intermediate),
            ..Default::default()
        },
    );
    let (parents, managers) = match tokio::try_join!(parents, state.app.account_manager_choices(&actor)) {
        Ok(x) => x,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let parents = parents.into_iter().filter(|p| Some(p.id) != editing).collect();
    render_status(
        status,
        FormPage {
            page: Chrome::new(
                &caller.identity,
                "/customers",
                if editing.is_some() {
                    "customers.edit"
                } else {
                    "customers.new"
                },
            ),
            values,
            parents,
            managers,
            errors,
            editing,
        },
    )
}

#[derive(Deserialize)]
pub struct NewQuery {
    parent_id: Option<String>,
}

pub async fn new_form(State(state): State<WebState>, caller: Caller, Query(q): Query<NewQuery>) -> Response {
    let values = FormValues {
        kind: "end".into(),
        parent_id: q.parent_id.unwrap_or_default(),
        ..Default::default()
    };
    form(&state, &caller, None, values, vec![], StatusCode::OK).await
}

pub async fn create(State(state): State<WebState>, caller: Caller, axum::Form(v): axum::Form<FormValues>) -> Response {
    let t = caller.identity.tr();
    let ids = v.ids(&t);
    let (parent_id, account_manager_id) = match ids {
        Ok(x) => x,
        Err(errors) => return form(&state, &caller, None, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let input = CustomerInput {
        name: v.name.clone(),
        kind: v.kind.clone(),
        subkind: Some(v.subkind.clone()),
        is_organisation: v.kind != "end",
        parent_id,
        region: v.region.clone(),
        tags: v.tags.split([',', ';', '，', '；']).map(str::to_owned).collect(),
        notes: v.notes.clone(),
        phone: Some(v.phone.clone()),
        email: Some(v.email.clone()),
        social_style: Some(v.social_style.clone()),
        account_manager_id,
        ..Default::default()
    };
    match state.app.create_customer(&caller.actor(), input).await {
        Ok(c) => done(&format!("/customers/{}", c.id), "customer_created"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            form(&state, &caller, None, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub async fn edit_form(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    let c = match state.app.visible_customer(&caller.actor(), id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let values = FormValues {
        name: c.name,
        kind: c.kind.as_str().into(),
        subkind: c.subkind.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        parent_id: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        region: c.region,
        tags: c.tags.join(", "),
        notes: c.notes,
        account_manager_id: c.account_manager_id.map(|m| m.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    form(&state, &caller, Some(id), values, vec![], StatusCode::OK).await
}

pub async fn update(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(v): axum::Form<FormValues>,
) -> Response {
    let t = caller.identity.tr();
    let ids = v.ids(&t);
    let (parent_id, account_manager_id) = match ids {
        Ok(x) => x,
        Err(errors) => return form(&state, &caller, Some(id), v, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let kind = match kefu_core::customer::CustomerKind::parse(&v.kind) {
        Ok(k) => k,
        Err(i) => {
            let errors = field_errors(&t, i);
            return form(&state, &caller, Some(id), v, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let subkind = match v.subkind.trim() {
        "" => None,
        x => match Subkind::parse(x) {
            Ok(k) => Some(k),
            Err(i) => {
                let errors = field_errors(&t, i);
                return form(&state, &caller, Some(id), v, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let patch = CustomerPatch {
        parent_id: Some(parent_id),
        name: Some(v.name.clone()),
        kind: Some(kind),
        subkind: Some(subkind),
        is_organisation: Some(kind != kefu_core::customer::CustomerKind::End),
        region: Some(v.region.trim().to_owned()),
        tags: Some(v.tags.split([',', ';', '，', '；']).map(str::to_owned).collect()),
        account_manager_id: Some(account_manager_id),
        notes: Some(v.notes.trim().to_owned()),
        external_id: None,
    };
    match state.app.change_customer(&caller.actor(), id, patch).await {
        Ok(_) => done(&format!("/customers/{id}"), "customer_saved"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            form(&state, &caller, Some(id), v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Cycle) => {
            let errors = vec![("parent_id".to_owned(), t.t("customers.cycle").to_owned())];
            form(&state, &caller, Some(id), v, errors, StatusCode::CONFLICT).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// Soft-deletes (`/delete`) or restores (`/restore`) a customer.
pub async fn delete(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.set_customer_deleted(&caller.actor(), id, true).await {
        Ok(_) => done(&format!("/customers/{id}"), "customer_deleted"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub async fn restore(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.set_customer_deleted(&caller.actor(), id, false).await {
        Ok(_) => done(&format!("/customers/{id}"), "customer_restored"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    into: String,
}

/// Merges the customer in the path into the one named by the form.
pub async fn merge(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<MergeForm>,
) -> Response {
    let Ok(into) = f.into.trim().parse::<i64>() else {
        return super::error_page(&caller.identity, AppError::NotFound);
    };
    match state.app.merge_customers(&caller.actor(), id, into).await {
        Ok(c) => done(&format!("/customers/{}", c.id), "customers_merged"),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub struct DuplicateRow {
    pub reason: &'static str,
    pub value: String,
    pub first: Customer,
    pub second: Customer,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
pub struct DuplicatesPage {
    pub page: Chrome,
    pub rows: Vec<DuplicateRow>,
    pub may_merge: bool,
}

pub async fn duplicates(State(state): State<WebState>, caller: Caller) -> Response {
    let t = caller.identity.tr();
    match state.app.duplicates(&caller.actor(), 200).await {
        Ok(pairs) => render(DuplicatesPage {
            page: Chrome::new(&caller.identity, "/customers", "customers.duplicates"),
            rows: pairs
                .into_iter()
                .map(|(p, first, second)| DuplicateRow {
                    reason: t.t(if p.reason == "phone" {
                        "customers.phone"
                    } else {
                        "users.email"
                    }),
                    value: p.value,
                    first,
                    second,
                })
                .collect(),
            may_merge: may_delete(&caller.user),
        }),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

fn may_delete(u: &User) -> bool {
    kefu_app::customers::may_delete_customers(u.role)
}

pub struct TreeRow {
    pub c: Customer,
    pub kind: &'static str,
    pub beneath: i64,
}

#[derive(Template)]
#[template(path = "channel_tree.html")]
pub struct TreePage {
    pub page: Chrome,
    /// The customer whose direct customers are listed (and its chain), or none at the top.
    pub parent: Option<Customer>,
    pub upstream: Vec<Customer>,
    pub rows: Vec<TreeRow>,
    pub next_offset: Option<u32>,
}

#[derive(Deserialize)]
pub struct TreeQuery {
    parent: Option<String>,
    offset: Option<String>,
}

const TREE_PAGE: u32 = 100;

/// The channel-tree browser: one level at a time, each customer with how many are beneath it.
pub async fn tree(State(state): State<WebState>, caller: Caller, Query(q): Query<TreeQuery>) -> Response {
    let ident = &caller.identity;
    let t = ident.tr();
    let actor = caller.actor();
    let parent_id = match q.parent.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => match p.parse::<i64>() {
            Ok(p) => Some(p),
            Err(_) => return super::error_page(ident, AppError::NotFound),
        },
    };
    let offset = q
        .offset
        .as_deref()
        .and_then(|o| o.parse::<u32>().ok())
        .unwrap_or(0)
        .min(1_000_000);
    let nodes = match state.app.channel_tree(&actor, parent_id, offset, TREE_PAGE + 1).await {
        Ok(n) => n,
        Err(e) => return super::error_page(ident, e),
    };
    let (parent, upstream) = match parent_id {
        Some(p) => match tokio::try_join!(
            state.app.visible_customer(&actor, p),
            state.app.customer_chain(&actor, p)
        ) {
            Ok((c, chain)) => (Some(c), chain.upstream),
            Err(e) => return super::error_page(ident, e),
        },
        None => (None, vec![]),
    };
    let more = nodes.len() > TREE_PAGE as usize;
    let rows = nodes
        .into_iter()
        .take(TREE_PAGE as usize)
        .map(|n| TreeRow {
            kind: t.t(kind_key(&n.customer)),
            c: n.customer,
            beneath: n.beneath,
        })
        .collect();
    render(TreePage {
        page: Chrome::new(ident, "/customers", "customers.tree"),
        parent,
        upstream,
        rows,
        next_offset: more.then_some(offset + TREE_PAGE),
    })
}

#[derive(Deserialize, Default)]
pub struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    social_style: String,
    #[serde(default)]
    is_primary: Option<String>,
}

/// Adds a contact from the archive page; a bad field shows the archive again with the error.
pub async fn add_contact(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ContactForm>,
) -> Response {
    let input = kefu_app::customers::ContactInput {
        name: f.name,
        phone: Some(f.phone),
        email: Some(f.email),
        role: f.role,
        language: Some(f.language),
        preferred_channel: String::new(),
        social_style: Some(f.social_style),
        is_primary: f.is_primary.is_some(),
    };
    match state.app.add_contact(&caller.actor(), id, input).await {
        Ok(_) => done(&format!("/customers/{id}"), "contact_added"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&caller.identity.tr(), i);
            archive_page(&state, &caller, id, None, errors, None).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

#[derive(Deserialize)]
pub struct PortalForm {
    #[serde(default)]
    password: String,
}

/// Creates a portal account for a contact: with a password, or (empty) an invitation link that
/// the page shows once.
pub async fn create_portal_account(
    State(state): State<WebState>,
    caller: Caller,
    Path(contact_id): Path<i64>,
    axum::Form(f): axum::Form<PortalForm>,
) -> Response {
    let credential = if f.password.is_empty() {
        kefu_app::portal::PortalCredential::Invitation
    } else {
        kefu_app::portal::PortalCredential::Password(f.password)
    };
    let customer_id = match state.app.contact(&caller.actor(), contact_id).await {
        Ok(c) => c.customer_id,
        Err(e) => return super::error_page(&caller.identity, e),
    };
    match state
        .app
        .create_portal_account(&caller.actor(), contact_id, credential)
        .await
    {
        Ok((_, token)) => {
            archive_page(
                &state,
                &caller,
                customer_id,
                None,
                vec![],
                Some(token.map(|t| kefu_app::links::invitation(&t))),
            )
            .await
        }
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&caller.identity.tr(), i);
            archive_page(&state, &caller, customer_id, None, errors, None).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let errors = vec![("portal".into(), e.to_string())];
            archive_page(&state, &caller, customer_id, None, errors, None).await
        }
        Err(e) => super::error_page(&caller.identity, e),
    }
}

pub struct ContactView {
    pub c: Contact,
    pub card: Option<GuidanceCard>,
    /// Its portal account, if it has one.
    pub account: Option<PortalAccount>,
}

/// One dated entry of a customer's timeline.
pub struct TimelineEntry {
    /// `YYYY-MM-DD HH:MM` (a purchase: its day).
    pub at: String,
    /// When, in ms (a purchase: the start of its day): the order, newest first.
    pub key: i64,
    /// `ticket`, `purchase` or `answer`.
    pub what: &'static str,
    pub label: &'static str,
    pub link: Option<String>,
    /// The ticket's reference, the product, the survey.
    pub title: String,
    pub detail: String,
}

/// The customer's tickets, purchases and survey answers as one timeline, newest first.
fn timeline(
    tickets: Vec<kefu_app::tickets::TicketView>,
    purchases: Vec<Purchase>,
    answers: Vec<kefu_app::surveys::AnswerSummary>,
    t: &kefu_core::i18n::Tr,
    tz: &jiff::tz::TimeZone,
) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::new();
    for v in tickets {
        out.push(TimelineEntry {
            at: fmt_time(v.ticket.created_at, tz),
            key: v.ticket.created_at,
            what: "ticket",
            label: t.t("customers.timeline_ticket"),
            link: Some(kefu_app::links::ticket(v.ticket.id)),
            title: v.reference.to_string(),
            detail: format!("{} · {}", v.ticket.subject, v.ticket.status.label(t.lang)),
        });
    }
    for p in purchases {
        let amount = format!("{} {}", kefu_core::customer::format_amount(p.amount_minor), p.currency);
        let serial = if p.serial.is_empty() {
            String::new()
        } else {
            format!(" · {}", p.serial)
        };
        let day = (p.purchased_on.parse::<jiff::civil::Date>().ok())
            .and_then(|d| d.to_zoned(tz.clone()).ok())
            .map_or(0, |z| z.timestamp().as_millisecond());
        out.push(TimelineEntry {
            at: p.purchased_on.clone(),
            key: day,
            what: "purchase",
            label: t.t("customers.timeline_purchase"),
            link: None,
            title: format!("{} {}", p.product_name, p.sku),
            detail: format!("{amount}{serial}"),
        });
    }
    for a in answers {
        out.push(TimelineEntry {
            at: fmt_time(a.at, tz),
            key: a.at,
            what: "answer",
            label: t.t("customers.timeline_answer"),
            link: None,
            detail: super::tickets::answer_text(a.kind, a.score, t),
            title: a.title,
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.key));
    out
}

#[derive(Template)]
#[template(path = "customer.html")]
pub struct ArchivePage {
    pub page: Chrome,
    pub c: Customer,
    pub kind: &'static str,
    pub upstream: Vec<Customer>,
    pub downstream: Vec<(&'static str, i64)>,
    pub contacts: Vec<ContactView>,
    /// Tickets, purchases and survey answers, newest first.
    pub timeline: Vec<TimelineEntry>,
    pub created: String,
    pub can_have_customers: bool,
    pub manager: Option<User>,
    pub duplicates: Vec<Customer>,
    pub merged_into: Option<Customer>,
    pub may_delete: bool,
    pub errors: Vec<(String, String)>,
    /// Just created a portal account: `Some(Some(link))` for an invitation, `Some(None)` with a password.
    pub portal_created: Option<Option<String>>,
    /// Mail out is configured: an invitation link was e-mailed too.
    pub invite_mailed: bool,
}

pub async fn archive(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Response {
    archive_page(&state, &caller, id, q.done.as_deref(), vec![], None).await
}

async fn archive_page(
    state: &WebState,
    caller: &Caller,
    id: i64,
    flash: Option<&str>,
    errors: Vec<(String, String)>,
    portal_created: Option<Option<String>>,
) -> Response {
    let ident = &caller.identity;
    let t = ident.tr();
    let app = &state.app;
    let actor = caller.actor();
    let tickets = app.list_tickets(
        &actor,
        kefu_app::model::TicketFilter {
            limit: 20,
            customer_id: Some(id),
            ..Default::default()
        },
    );
    let answers = app.customer_answers(&actor, id, 20);
    let (archive, tickets, answers) = match tokio::try_join!(app.customer_archive(&actor, id), tickets, answers) {
        Ok(x) => x,
        Err(e) => return super::error_page(ident, e),
    };
    let kefu_app::customers::CustomerArchive {
        customer: c,
        chain,
        contacts,
        purchases,
        portal_accounts: accounts,
        duplicates,
        account_manager: manager,
        merged_into,
    } = archive;
    let (upstream, counts) = (chain.upstream, chain.downstream_counts);
    let zh = t.lang == Language::ZhCn;
    let downstream = counts
        .into_iter()
        .map(|(k, n)| {
            let key = match k.as_str() {
                "end" => "customers.kind_end",
                "internal" => "customers.kind_internal",
                _ => "customers.kind_intermediate",
            };
            (t.t(key), n)
        })
        .collect();
    let tz = time_zone(state).await;
    render(ArchivePage {
        timeline: timeline(tickets, purchases, answers, &t, &tz),
        page: Chrome::new(ident, "/customers", "customers.archive").with_flash(flash),
        kind: t.t(kind_key(&c)),
        can_have_customers: c.kind == kefu_core::customer::CustomerKind::Intermediate,
        created: fmt_time(c.created_at, &tz),
        upstream,
        downstream,
        contacts: contacts
            .into_iter()
            .map(|k| ContactView {
                card: k.social_style.map(|s| s.card(zh)),
                account: accounts.iter().find(|a| a.contact_id == k.id).cloned(),
                c: k,
            })
            .collect(),
        manager,
        duplicates,
        merged_into,
        may_delete: may_delete(&caller.user),
        errors,
        portal_created,
        invite_mailed: state.app.config.mail_out.is_some(),
        c,
    })
}
