//! Customer pages: the list with search, the new-customer form, and the customer archive
//! (客户档案): profile, place in the channel tree, contacts with their social-style guidance
//! cards (seed 001), and the timeline of purchases.

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
use kefu_core::Language;
use kefu_core::customer::{GuidanceCard, Subkind};
use kefu_core::page::{PageRequest, split_page};
use kefu_core::search::parse_query;
use kefu_store::{Contact, Customer, CustomerFilter, Purchase};
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
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

pub async fn list(State(state): State<WebState>, caller: Caller, Query(q): Query<ListQuery>) -> Response {
    let id = &caller.1;
    let t = id.tr();
    let text = q.q.clone().unwrap_or_default();
    let (customers, next_cursor, searched) = if !text.trim().is_empty() {
        match state.app.store.search_customers(&parse_query(&text), 50).await {
            Ok(c) => (c, None, true),
            Err(e) => return super::error_page(id, e.into()),
        }
    } else {
        let page = match PageRequest::parse(None, q.cursor.as_deref()) {
            Ok(p) => p,
            Err(e) => return super::error_page(id, e.into()),
        };
        match state
            .app
            .store
            .list_customers(CustomerFilter {
                after: page.after,
                limit: page.limit + 1,
                ..Default::default()
            })
            .await
        {
            Ok(c) => {
                let (c, next) = split_page(c, page.limit, |c| c.id);
                (c, next, false)
            }
            Err(e) => return super::error_page(id, e.into()),
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
    })
}

#[derive(Template)]
#[template(path = "customer_form.html")]
pub struct FormPage {
    pub page: Chrome,
    pub values: FormValues,
    pub parents: Vec<Customer>,
    pub errors: Vec<(String, String)>,
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
}

async fn form(
    state: &WebState,
    caller: &Caller,
    values: FormValues,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    // Intermediate customers to buy through (the first 200; a search-as-you-type picker can come later).
    let parents = state
        .app
        .store
        .list_customers(CustomerFilter {
            after: 0,
            limit: 200,
            kind: Some(kefu_core::customer::CustomerKind::Intermediate),
            ..Default::default()
        })
        .await
        .unwrap_or_default();
    render_status(
        status,
        FormPage {
            page: Chrome::new(&caller.1, "/customers", "customers.new"),
            values,
            parents,
            errors,
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
    form(&state, &caller, values, vec![], StatusCode::OK).await
}

pub async fn create(State(state): State<WebState>, caller: Caller, axum::Form(v): axum::Form<FormValues>) -> Response {
    let t = caller.1.tr();
    let parent_id = match v.parent_id.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return form(
                    &state,
                    &caller,
                    v,
                    vec![("parent_id".into(), t.t("customers.bad_parent").into())],
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
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
        ..Default::default()
    };
    match state.app.create_customer(&caller.actor(), input).await {
        Ok(c) => done(&format!("/customers/{}", c.id), "customer_created"),
        Err(AppError::Invalid(i)) => {
            let errors = field_errors(&t, i);
            form(&state, &caller, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => super::error_page(&caller.1, e),
    }
}

pub struct ContactView {
    pub c: Contact,
    pub card: Option<GuidanceCard>,
}

pub struct PurchaseView {
    pub p: Purchase,
    pub amount: String,
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
    pub purchases: Vec<PurchaseView>,
    pub created: String,
    pub can_have_customers: bool,
}

pub async fn archive(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Response {
    let ident = &caller.1;
    let t = ident.tr();
    let store = &state.app.store;
    let c = match store.get_customer(id).await {
        Ok(c) => c,
        Err(e) => return super::error_page(ident, e.into()),
    };
    let (upstream, counts, contacts, purchases) = match tokio::try_join!(
        store.customer_ancestors(id),
        store.subtree_counts(id),
        store.list_contacts(id),
        store.list_purchases(id, 100)
    ) {
        Ok(x) => x,
        Err(e) => return super::error_page(ident, e.into()),
    };
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
    let tz = time_zone(&state).await;
    render(ArchivePage {
        page: Chrome::new(ident, "/customers", "customers.archive").with_flash(q.done.as_deref()),
        kind: t.t(kind_key(&c)),
        can_have_customers: c.kind == kefu_core::customer::CustomerKind::Intermediate,
        created: fmt_time(c.created_at, &tz),
        upstream,
        downstream,
        contacts: contacts
            .into_iter()
            .map(|k| ContactView {
                card: k.social_style.map(|s| s.card(zh)),
                c: k,
            })
            .collect(),
        purchases: purchases
            .into_iter()
            .map(|p| PurchaseView {
                amount: format!("{} {}", kefu_core::customer::format_amount(p.amount_minor), p.currency),
                p,
            })
            .collect(),
        c,
    })
}
