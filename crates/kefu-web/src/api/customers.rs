//! `/api/v1/customers`: create, read, change (including the channel-tree parent), soft delete,
//! search, and the tree position. Stable for scripts: `POST` takes at least `{name, kind}` and
//! answers 201 with `id`; a parent change that would loop answers 409 with a type ending `/cycle`.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::customers::CustomerInput;
use kefu_app::model::{Customer, CustomerFilter, CustomerPatch};
use kefu_core::customer::{CustomerKind, Subkind};
use kefu_core::page::{PageRequest, split_page};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// A customer record. `tags`, `account_manager_id`, `notes` and `value_tier` are the staff's:
/// they are absent when a customer user reads its own record (docs/roles.md).
#[derive(Serialize, ToSchema)]
pub struct CustomerDto {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: String,
    /// end | intermediate | internal
    pub kind: String,
    /// agent | wholesaler_l1 | wholesaler_l2 | retailer | other (intermediate customers)
    pub subkind: Option<String>,
    pub is_organisation: bool,
    pub parent_id: Option<i64>,
    pub region: String,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub account_manager_id: Option<Option<i64>>,
    /// Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A (best) … E by RFM quintile, or none without purchases. Staff only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_tier: Option<String>,
    pub deleted: bool,
    /// Set when this record was merged into another: the id of the one that kept its data.
    pub merged_into: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CustomerDto {
    /// The record as `caller` may read it: the staff's fields only for staff.
    pub fn seen_by(c: Customer, caller: &Caller) -> Self {
        let staff = caller.actor().sees_staff_fields();
        CustomerDto {
            id: c.id,
            external_id: c.external_id,
            name: c.name,
            kind: c.kind.as_str().to_owned(),
            subkind: c.subkind.map(|s| s.as_str().to_owned()),
            is_organisation: c.is_organisation,
            parent_id: c.parent_id,
            region: c.region,
            tags: staff.then_some(c.tags),
            account_manager_id: staff.then_some(c.account_manager_id),
            notes: staff.then_some(c.notes),
            value_tier: staff.then(|| c.value_tier.as_str().to_owned()),
            deleted: c.deleted_at.is_some(),
            merged_into: c.merged_into,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Free text: names, phones, e-mails, tags; Chinese words of any length are found inside running text.
    q: Option<String>,
    kind: Option<String>,
    /// A–E or none
    tier: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    /// `true`: only deleted customers, to restore (admins and managers; 403 for others).
    deleted: Option<bool>,
}

/// Customers, by id; with `q`, those matching every word of it. A customer user sees its own
/// record and, for an intermediate customer, those beneath it. A deleted customer is listed only
/// with `deleted=true`.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = CustomerPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    let actor = caller.actor();
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    if let Some(text) =
        q.q.as_deref()
            .filter(|t| !t.trim().is_empty() && q.deleted != Some(true))
    {
        // Search answers one page of the best matches (by id); no cursor.
        let found = state.app.search_customers(&actor, text, page.limit).await?;
        return Ok(Json(CustomerPage {
            items: found.into_iter().map(|c| CustomerDto::seen_by(c, &caller)).collect(),
            next_cursor: None,
        }));
    }
    let kind = q.kind.as_deref().map(CustomerKind::parse).transpose()?;
    let tier = match q.tier.as_deref() {
        None => None,
        Some(t) => Some(
            kefu_core::rfm::ValueTier::parse(t)
                .ok_or_else(|| kefu_core::Invalid::one("tier", "unknown_tier", "tier must be A, B, C, D, E or none"))?,
        ),
    };
    let rows = state
        .app
        .list_customers(
            &actor,
            CustomerFilter {
                after: page.after,
                limit: page.limit + 1,
                kind,
                tier,
                deleted_only: q.deleted.unwrap_or(false),
                ..Default::default()
            },
        )
        .await?;
    let (rows, next_cursor) = split_page(rows, page.limit, |c| c.id);
    Ok(Json(CustomerPage {
        items: rows.into_iter().map(|c| CustomerDto::seen_by(c, &caller)).collect(),
        next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    /// end | intermediate | internal
    kind: String,
    subkind: Option<String>,
    #[serde(default)]
    is_organisation: bool,
    parent_id: Option<i64>,
    phone: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    tags: Vec<String>,
    account_manager_id: Option<i64>,
    #[serde(default)]
    notes: String,
    /// dominant | expressive | amiable | analytical (of the primary contact)
    social_style: Option<String>,
}

/// Creates a customer (admins, managers, agents).
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), request_body = CreateBody,
    responses((status = 201, body = CustomerDto), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let c = state
        .app
        .create_customer(
            &caller.actor(),
            CustomerInput {
                external_id: b.external_id,
                name: b.name,
                kind: b.kind,
                subkind: b.subkind,
                is_organisation: b.is_organisation,
                parent_id: b.parent_id,
                region: b.region,
                tags: b.tags,
                account_manager_id: b.account_manager_id,
                notes: b.notes,
                phone: b.phone,
                email: b.email,
                social_style: b.social_style,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CustomerDto::seen_by(c, &caller))).into_response())
}

/// A customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = CustomerDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CustomerDto>, ApiError> {
    let c = state.app.visible_customer(&caller.actor(), id).await?;
    Ok(Json(CustomerDto::seen_by(c, &caller)))
}

/// `null` and absent differ: `"parent_id": null` moves to the top; no `parent_id` leaves it.
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    name: Option<String>,
    kind: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    subkind: Option<Option<String>>,
    is_organisation: Option<bool>,
    /// Another intermediate customer to buy through, or null for none. A loop answers 409 `/cycle`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    parent_id: Option<Option<i64>>,
    region: Option<String>,
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    account_manager_id: Option<Option<i64>>,
    notes: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    external_id: Option<Option<String>>,
}

/// Changes a customer's fields, and its place in the channel tree.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = PatchBody,
    responses((status = 200, body = CustomerDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "type …/cycle: the parent is the customer itself or beneath it", content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PatchBody>,
) -> Result<Json<CustomerDto>, ApiError> {
    let actor = caller.actor();
    let kind = b.kind.as_deref().map(CustomerKind::parse).transpose()?;
    let subkind = match b.subkind {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => Some(Some(Subkind::parse(&s)?)),
    };
    let c = state
        .app
        .change_customer(
            &actor,
            id,
            CustomerPatch {
                parent_id: b.parent_id,
                name: b.name,
                kind,
                subkind,
                is_organisation: b.is_organisation,
                region: b.region,
                tags: b.tags,
                account_manager_id: b.account_manager_id,
                notes: b.notes,
                external_id: b.external_id,
            },
        )
        .await?;
    Ok(Json(CustomerDto::seen_by(c, &caller)))
}

/// Soft-deletes a customer (admins and managers); it can be restored.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.set_customer_deleted(&caller.actor(), id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores a soft-deleted customer (admins and managers).
#[utoipa::path(post, path = "/api/v1/customers/{id}/restore", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = CustomerDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn restore(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CustomerDto>, ApiError> {
    let c = state.app.set_customer_deleted(&caller.actor(), id, false).await?;
    Ok(Json(CustomerDto::seen_by(c, &caller)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The customer that keeps the data; the one in the path is merged into it and soft-deleted.
    into: i64,
}

/// Merges this customer into another (admins and managers): contacts, purchases and the customers
/// beneath move over, the merged record is soft-deleted with `merged_into` set, and the audit log
/// records it. Two kinds, a deleted record or a merge into its own subtree are refused.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = MergeBody,
    responses((status = 200, body = CustomerDto, description = "the customer that kept the data"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn merge(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MergeBody>,
) -> Result<Json<CustomerDto>, ApiError> {
    let c = state.app.merge_customers(&caller.actor(), id, b.into).await?;
    Ok(Json(CustomerDto::seen_by(c, &caller)))
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateDto {
    /// `phone` or `email`
    pub reason: String,
    /// The shared normalised phone or e-mail.
    pub value: String,
    pub first: CustomerDto,
    pub second: CustomerDto,
}

/// Probable duplicates: pairs of live customers whose contacts share a phone or e-mail.
#[utoipa::path(get, path = "/api/v1/customers/duplicates", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Vec<DuplicateDto>)))]
pub async fn duplicates(State(state): State<WebState>, caller: Caller) -> Result<Json<Vec<DuplicateDto>>, ApiError> {
    let pairs = state.app.duplicates(&caller.actor(), 200).await?;
    Ok(Json(
        pairs
            .into_iter()
            .map(|(p, a, b)| DuplicateDto {
                reason: p.reason,
                value: p.value,
                first: CustomerDto::seen_by(a, &caller),
                second: CustomerDto::seen_by(b, &caller),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TreeNodeDto {
    pub customer: CustomerDto,
    /// Customers beneath it, at any depth.
    pub beneath: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChannelTreeQuery {
    /// Whose direct customers to list; absent: the top of the tree.
    parent: Option<i64>,
    /// Position of the first row (by name).
    #[param(value_type = Option<u64>)]
    offset: Option<u32>,
    limit: Option<u32>,
}

/// One level of the channel tree: the direct customers of `parent` (or the top-level customers)
/// with how many are beneath each.
#[utoipa::path(get, path = "/api/v1/channel-tree", tag = "customers", security(("bearer" = [])), params(ChannelTreeQuery),
    responses((status = 200, body = Vec<TreeNodeDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn channel_tree(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChannelTreeQuery>,
) -> Result<Json<Vec<TreeNodeDto>>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let nodes = state
        .app
        .channel_tree(&caller.actor(), q.parent, q.offset.unwrap_or(0), limit)
        .await?;
    Ok(Json(
        nodes
            .into_iter()
            .map(|n| TreeNodeDto {
                customer: CustomerDto::seen_by(n.customer, &caller),
                beneath: n.beneath,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TreeDto {
    /// From the top of the tree down to the direct parent.
    pub upstream: Vec<CustomerDto>,
    /// Customers beneath, at any depth, by kind.
    pub downstream_counts: std::collections::BTreeMap<String, i64>,
}

/// Where a customer stands in the channel tree.
#[utoipa::path(get, path = "/api/v1/customers/{id}/tree", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = TreeDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn tree(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TreeDto>, ApiError> {
    let chain = state.app.customer_chain(&caller.actor(), id).await?;
    Ok(Json(TreeDto {
        upstream: chain
            .upstream
            .into_iter()
            .map(|c| CustomerDto::seen_by(c, &caller))
            .collect(),
        downstream_counts: chain.downstream_counts.into_iter().collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownstreamQuery {
    /// end | intermediate | internal: only customers of this kind
    kind: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Customers beneath this one in the channel tree, at any depth, by id, a page at a time; with
/// `kind=end`, the end customers who buy through it.
#[utoipa::path(get, path = "/api/v1/customers/{id}/downstream", tag = "customers", security(("bearer" = [])), params(("id" = i64, Path), DownstreamQuery),
    responses((status = 200, body = CustomerPage), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn downstream(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DownstreamQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let kind = q.kind.as_deref().map(CustomerKind::parse).transpose()?;
    // A customer user sees only what is beneath its own record (404 otherwise, as for `tree`).
    let rows = state
        .app
        .downstream_customers(&caller.actor(), id, kind, page.after, page.limit + 1)
        .await?;
    let (rows, next_cursor) = split_page(rows, page.limit, |c| c.id);
    Ok(Json(CustomerPage {
        items: rows.into_iter().map(|c| CustomerDto::seen_by(c, &caller)).collect(),
        next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ContactDto {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub role: String,
    pub language: Option<String>,
    pub preferred_channel: String,
    /// dominant | expressive | amiable | analytical; staff only (absent for customer users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub social_style: Option<String>,
    pub is_primary: bool,
}

impl ContactDto {
    /// The contact as `caller` may read it: its social style (a staff's judgement) only for staff.
    pub fn seen_by(c: kefu_app::model::Contact, caller: &Caller) -> Self {
        let staff = caller.actor().sees_staff_fields();
        ContactDto {
            id: c.id,
            customer_id: c.customer_id,
            name: c.name,
            phone: c.phone,
            email: c.email,
            role: c.role,
            language: c.language.map(|l| l.code().to_owned()),
            preferred_channel: c.preferred_channel,
            social_style: c.social_style.filter(|_| staff).map(|s| s.as_str().to_owned()),
            is_primary: c.is_primary,
        }
    }
}

/// A customer's contacts, the primary first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Vec<ContactDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_contacts(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ContactDto>>, ApiError> {
    Ok(Json(
        state
            .app
            .contacts_of(&caller.actor(), id)
            .await?
            .into_iter()
            .map(|c| ContactDto::seen_by(c, &caller))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    #[serde(default)]
    role: String,
    /// zh-CN | en
    language: Option<String>,
    #[serde(default)]
    preferred_channel: String,
    social_style: Option<String>,
    #[serde(default)]
    is_primary: bool,
}

/// Adds a contact to a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = ContactBody,
    responses((status = 201, body = ContactDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_contact(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ContactBody>,
) -> Result<Response, ApiError> {
    let c = state
        .app
        .add_contact(
            &caller.actor(),
            id,
            kefu_app::customers::ContactInput {
                name: b.name,
                phone: b.phone,
                email: b.email,
                role: b.role,
                language: b.language,
                preferred_channel: b.preferred_channel,
                social_style: b.social_style,
                is_primary: b.is_primary,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(ContactDto::seen_by(c, &caller))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseDto {
    pub id: i64,
    pub external_id: String,
    pub customer_id: i64,
    /// YYYY-MM-DD
    pub date: String,
    /// Decimal text, two places: "2999.00"
    pub amount: String,
    pub currency: String,
    pub sku: String,
    pub product_name: String,
    pub category: String,
    pub serial: String,
    pub seller_id: Option<i64>,
}

impl From<kefu_app::model::Purchase> for PurchaseDto {
    fn from(p: kefu_app::model::Purchase) -> Self {
        PurchaseDto {
            id: p.id,
            external_id: p.external_id,
            customer_id: p.customer_id,
            date: p.purchased_on,
            amount: kefu_core::customer::format_amount(p.amount_minor),
            currency: p.currency,
            sku: p.sku,
            product_name: p.product_name,
            category: p.category,
            serial: p.serial,
            seller_id: p.seller_id,
        }
    }
}

/// A customer's purchases, newest first (up to 500).
#[utoipa::path(get, path = "/api/v1/customers/{id}/purchases", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = Vec<PurchaseDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_purchases(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<PurchaseDto>>, ApiError> {
    Ok(Json(
        state
            .app
            .purchases_of(&caller.actor(), id, 500)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseBody {
    /// The ERP's id: posting the same one again updates the purchase.
    external_id: String,
    /// YYYY-MM-DD, not in the future
    date: String,
    /// Decimal text or number, not negative: "2999.00"
    #[schema(value_type = String)]
    amount: serde_json::Value,
    currency: Option<String>,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    product_name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    serial: String,
    /// The intermediate customer that sold it.
    seller_id: Option<i64>,
}

/// Records a purchase (201), or updates the one with the same `external_id` (200).
#[utoipa::path(post, path = "/api/v1/customers/{id}/purchases", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = PurchaseBody,
    responses((status = 201, body = PurchaseDto), (status = 200, body = PurchaseDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record_purchase(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PurchaseBody>,
) -> Result<Response, ApiError> {
    let amount = amount_text(&b.amount)?;
    let (p, created) = state
        .app
        .record_purchase(
            &caller.actor(),
            id,
            kefu_app::customers::PurchaseInput {
                external_id: b.external_id,
                purchased_on: b.date,
                amount,
                currency: b.currency,
                sku: b.sku,
                product_name: b.product_name,
                category: b.category,
                serial: b.serial,
                seller_id: b.seller_id,
            },
        )
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(PurchaseDto::from(p))).into_response())
}

/// A contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = ContactDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_contact(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ContactDto>, ApiError> {
    let c = state.app.contact(&caller.actor(), id).await?;
    Ok(Json(ContactDto::seen_by(c, &caller)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatchBody {
    name: Option<String>,
    /// An empty string clears it.
    phone: Option<String>,
    /// An empty string clears it.
    email: Option<String>,
    role: Option<String>,
    /// zh-CN | en | null
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    language: Option<Option<String>>,
    preferred_channel: Option<String>,
    /// dominant | expressive | amiable | analytical | null
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    social_style: Option<Option<String>>,
    /// true makes it the customer's primary contact.
    is_primary: Option<bool>,
}

/// Changes a contact.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = ContactPatchBody,
    responses((status = 200, body = ContactDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn patch_contact(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ContactPatchBody>,
) -> Result<Json<ContactDto>, ApiError> {
    let c = state
        .app
        .change_contact(
            &caller.actor(),
            id,
            kefu_app::customers::ContactChange {
                name: b.name,
                phone: b.phone,
                email: b.email,
                role: b.role,
                language: b.language,
                preferred_channel: b.preferred_channel,
                social_style: b.social_style,
                is_primary: b.is_primary,
            },
        )
        .await?;
    Ok(Json(ContactDto::seen_by(c, &caller)))
}

/// Soft-deletes a contact (admins and managers). A contact with a portal account answers 409.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_contact(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_contact(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalAccountBody {
    /// A password for the account now; without it, an invitation link is made instead.
    password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PortalAccountDto {
    pub user_id: i64,
    pub email: String,
    pub contact_id: i64,
    pub customer_id: i64,
    /// The one-time link (valid 7 days) the customer opens to choose a password; only when invited.
    pub invite_path: Option<String>,
}

/// Creates a portal account (a customer-role user) for a contact with an e-mail address.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/portal-account", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = PortalAccountBody,
    responses((status = 201, body = PortalAccountDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_portal_account(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PortalAccountBody>,
) -> Result<Response, ApiError> {
    let credential = match b.password {
        Some(p) => kefu_app::portal::PortalCredential::Password(p),
        None => kefu_app::portal::PortalCredential::Invitation,
    };
    let (a, token) = state.app.create_portal_account(&caller.actor(), id, credential).await?;
    let dto = PortalAccountDto {
        user_id: a.user.id,
        email: a.user.email,
        contact_id: a.contact_id,
        customer_id: a.customer_id,
        invite_path: token.map(|t| kefu_app::links::invitation(&t)),
    };
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

/// A purchase.
#[utoipa::path(get, path = "/api/v1/purchases/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = PurchaseDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_purchase(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PurchaseDto>, ApiError> {
    Ok(Json(state.app.purchase(&caller.actor(), id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchasePatchBody {
    external_id: Option<String>,
    date: Option<String>,
    #[schema(value_type = Option<String>)]
    amount: Option<serde_json::Value>,
    currency: Option<String>,
    sku: Option<String>,
    product_name: Option<String>,
    category: Option<String>,
    serial: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    seller_id: Option<Option<i64>>,
}

/// A JSON number is taken by its exact text, so 2999.5 is 2999.50 and no float rounding creeps in.
fn amount_text(v: &serde_json::Value) -> Result<String, kefu_core::Invalid> {
    match v {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(kefu_core::Invalid::one(
            "amount",
            "invalid_amount",
            "amount must be a number or decimal text",
        )),
    }
}

/// Changes a purchase; the result is checked as a new one would be.
#[utoipa::path(patch, path = "/api/v1/purchases/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])), request_body = PurchasePatchBody,
    responses((status = 200, body = PurchaseDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn patch_purchase(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<PurchasePatchBody>,
) -> Result<Json<PurchaseDto>, ApiError> {
    let p = state
        .app
        .change_purchase(
            &caller.actor(),
            id,
            kefu_app::customers::PurchaseChange {
                external_id: b.external_id,
                purchased_on: b.date,
                amount: b.amount.as_ref().map(amount_text).transpose()?,
                currency: b.currency,
                sku: b.sku,
                product_name: b.product_name,
                category: b.category,
                serial: b.serial,
                seller_id: b.seller_id,
            },
        )
        .await?;
    Ok(Json(p.into()))
}

/// Soft-deletes a purchase (admins and managers).
#[utoipa::path(delete, path = "/api/v1/purchases/{id}", params(("id" = i64, Path)), tag = "customers", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_purchase(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_purchase(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
