//! `/api/v1/tickets`: file, read, list and search tickets; replies, notes and calls; status
//! changes through the workflow; assignment. Stable for scripts: `POST /api/v1/tickets` takes at
//! least `{customer_id, kind, subject, body}` and answers 201 with `id`, `reference` and `sla`.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_app::model::{TicketFilter, TicketMessage};
use kefu_app::tickets::{Addition, TicketInput, TicketView};
use kefu_core::Invalid;
use kefu_core::page::{PageRequest, split_page};
use kefu_core::ticket::{Kind, Priority, Status};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TicketDto {
    pub id: i64,
    /// KF-2026-000123
    pub reference: String,
    /// complaint | request | inquiry | suggestion | praise | incident
    pub kind: String,
    /// new | open | pending | resolved | closed
    pub status: String,
    /// low | normal | high | urgent
    pub priority: String,
    /// web_form | portal | email | phone | api | qr | agent
    pub channel: String,
    pub language: String,
    pub subject: String,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub on_behalf_of_id: Option<i64>,
    pub department_id: i64,
    pub assignee_id: Option<i64>,
    pub tags: Vec<String>,
    /// The customer's purchase the ticket is about.
    pub purchase_id: Option<i64>,
    /// The purchase's product name (read-only: set `purchase_id`).
    pub product: String,
    #[schema(value_type = Object)]
    pub classification: kefu_core::ticket::Classification,
    /// urgent_important | important_not_urgent | urgent_not_important | neither (for the queue only)
    pub quadrant: String,
    /// `{policy, first_response, next_response, resolution}`, each `{target_minutes, due_at, state,
    /// remaining_business_minutes, warn}`; state running | paused | met | breached | none.
    #[schema(value_type = Object)]
    pub sla: kefu_core::sla::SlaStatus,
    pub category_id: Option<i64>,
    pub touchpoint: String,
    /// product_defect | installation | logistics | staff_attitude | communication | process | policy |
    /// third_party | customer_use | unknown
    pub root_cause: Option<String>,
    /// apology | repair | exchange | refund | compensation
    pub remedy: Option<String>,
    /// The refund or compensation, in minor units (fen).
    pub compensation_minor: Option<i64>,
    /// Resolved at the first contact; null until resolved.
    pub first_contact_resolution: Option<bool>,
    pub reopen_count: u32,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<TicketView> for TicketDto {
    fn from(v: TicketView) -> Self {
        let t = v.ticket;
        TicketDto {
            id: t.id,
            reference: v.reference.to_string(),
            kind: t.kind.as_str().into(),
            status: t.status.as_str().into(),
            priority: t.priority.as_str().into(),
            channel: t.channel.as_str().into(),
            language: t.language.code().into(),
            subject: t.subject,
            customer_id: t.customer_id,
            contact_id: t.contact_id,
            on_behalf_of_id: t.on_behalf_of_id,
            department_id: t.department_id,
            assignee_id: t.assignee_id,
            tags: t.tags,
            purchase_id: t.purchase_id,
            product: t.product,
            classification: t.classification,
            quadrant: v.quadrant.as_str().into(),
            sla: v.sla,
            category_id: t.category_id,
            touchpoint: t.touchpoint,
            root_cause: t.root_cause,
            remedy: t.remedy.map(|r| r.as_str().to_owned()),
            compensation_minor: t.compensation_minor,
            first_contact_resolution: v.first_contact_resolution,
            reopen_count: v.reopen_count,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketBody {
    customer_id: i64,
    kind: String,
    subject: String,
    body: String,
    channel: Option<String>,
    priority: Option<String>,
    /// zh-CN | en (default zh-CN)
    language: Option<String>,
    contact_id: Option<i64>,
    /// The end customer an intermediate customer files this for.
    on_behalf_of_id: Option<i64>,
    /// The customer's purchase the ticket is about (its product's name and category follow it).
    purchase_id: Option<i64>,
    #[serde(default)]
    touchpoint: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    classification: kefu_core::ticket::Classification,
    /// A category id (see `GET /api/v1/categories`).
    category_id: Option<i64>,
}

/// Files a ticket (staff for any customer; a customer user for its own record or subtree).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])), request_body = CreateTicketBody,
    responses((status = 201, body = TicketDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateTicketBody>,
) -> Result<Response, ApiError> {
    let v = state
        .app
        .create_ticket(
            &caller.actor(),
            TicketInput {
                customer_id: b.customer_id,
                contact_id: b.contact_id,
                on_behalf_of_id: b.on_behalf_of_id,
                kind: b.kind,
                subject: b.subject,
                body: b.body,
                channel: b.channel,
                priority: b.priority,
                language: b.language,
                purchase_id: b.purchase_id,
                touchpoint: b.touchpoint,
                tags: b.tags,
                classification: b.classification,
                category_id: b.category_id,
                ..Default::default()
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(TicketDto::from(v))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TicketQuery {
    /// Free text over subjects, messages and customer names, Chinese or English.
    q: Option<String>,
    /// One status, or several separated by commas.
    status: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    assignee_id: Option<i64>,
    department_id: Option<i64>,
    customer_id: Option<i64>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Tickets the caller may see, newest first; with `q`, those matching every word of it.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])), params(TicketQuery),
    responses((status = 200, body = TicketPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<WebState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<TicketPage>, ApiError> {
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref())?;
    let statuses = Status::parse_list(q.status.as_deref().unwrap_or(""))?;
    let filter = TicketFilter {
        before: page.after,
        limit: page.limit + 1,
        statuses,
        kind: q.kind.as_deref().map(Kind::parse).transpose()?,
        priority: q.priority.as_deref().map(Priority::parse).transpose()?,
        assignee_id: q.assignee_id,
        department_id: q.department_id,
        customer_id: q.customer_id,
        ..Default::default()
    };
    let actor = caller.actor();
    let rows = match q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(text) => state.app.search_tickets(&actor, text, filter).await?,
        None => state.app.list_tickets(&actor, filter).await?,
    };
    let (rows, next_cursor) = split_page(rows, page.limit, |v| v.ticket.id);
    Ok(Json(TicketPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// A ticket with its SLA now.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = TicketDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketDto>, ApiError> {
    Ok(Json(state.app.get_ticket(&caller.actor(), id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct MessageDto {
    pub id: i64,
    /// public | internal | call
    pub kind: String,
    /// agent | customer | system
    pub author_kind: String,
    pub author_user_id: Option<i64>,
    pub body: String,
    pub channel: String,
    pub call_direction: Option<String>,
    pub call_seconds: Option<i64>,
    pub created_at: i64,
}

impl From<TicketMessage> for MessageDto {
    fn from(m: TicketMessage) -> Self {
        MessageDto {
            id: m.id,
            kind: m.kind.as_str().into(),
            author_kind: m.author_kind.as_str().into(),
            author_user_id: m.author_user_id,
            body: m.body,
            channel: m.channel.as_str().into(),
            call_direction: m.call_direction,
            call_seconds: m.call_seconds,
            created_at: m.created_at,
        }
    }
}

/// The conversation, oldest first (a customer never sees internal notes).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/messages", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<MessageDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn messages(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MessageDto>>, ApiError> {
    let m = state.app.ticket_messages(&caller.actor(), id).await?;
    Ok(Json(m.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// reply (the customer sees it) | note (internal) | call (a logged phone call)
    #[serde(default = "reply")]
    kind: String,
    body: String,
    /// For calls: inbound | outbound
    direction: Option<String>,
    /// For calls.
    duration_seconds: Option<i64>,
}

fn reply() -> String {
    "reply".into()
}

#[derive(Serialize, ToSchema)]
pub struct AddedDto {
    pub message: MessageDto,
    pub ticket: TicketDto,
}

/// Adds a reply, an internal note or a call log; the status follows the workflow.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = MessageBody,
    responses((status = 201, body = AddedDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_message(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let addition = match b.kind.as_str() {
        "reply" => Addition::Reply { body: b.body },
        "note" => Addition::Note { body: b.body },
        "call" => Addition::Call {
            body: b.body,
            inbound: match b.direction.as_deref() {
                Some("inbound") | None => true,
                Some("outbound") => false,
                Some(other) => {
                    return Err(Invalid::one(
                        "direction",
                        "unknown_direction",
                        format!("direction must be inbound or outbound, not {other:?}"),
                    )
                    .into());
                }
            },
            seconds: b.duration_seconds.unwrap_or(0),
        },
        other => {
            return Err(Invalid::one(
                "kind",
                "unknown_kind",
                format!("kind must be reply, note or call, not {other:?}"),
            )
            .into());
        }
    };
    let (v, m) = state.app.add_to_ticket(&caller.actor(), id, addition).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedDto {
            message: m.into(),
            ticket: v.into(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// new | open | pending | resolved | closed; a move the workflow forbids answers 422.
    status: String,
}

/// Moves a ticket through the workflow (staff).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/status", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = StatusBody,
    responses((status = 200, body = TicketDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_status(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<TicketDto>, ApiError> {
    Ok(Json(
        state
            .app
            .set_ticket_status(&caller.actor(), id, &b.status)
            .await?
            .into(),
    ))
}

fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A remedy with its amount.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemedyBody {
    /// apology | repair | exchange | refund | compensation
    code: String,
    /// Minor units (fen): optional for a refund, required for compensation, none otherwise.
    amount_minor: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatchBody {
    /// A user id, or null to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    assignee_id: Option<Option<i64>>,
    department_id: Option<i64>,
    /// low | normal | high | urgent (may select another SLA policy)
    priority: Option<String>,
    /// complaint | request | inquiry | suggestion | praise | incident (may select another SLA policy)
    kind: Option<String>,
    subject: Option<String>,
    /// A category id, or null for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    category_id: Option<Option<i64>>,
    /// A purchase of the ticket's customer, or null for none; the product's name follows it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    purchase_id: Option<Option<i64>>,
    tags: Option<Vec<String>>,
    /// Where the customer met the service: one line, at most 200 characters; "" clears it.
    touchpoint: Option<String>,
    /// `{phase, nature, place, fee, frequency}`; the whole set is replaced.
    #[schema(value_type = Option<Object>)]
    classification: Option<kefu_core::ticket::Classification>,
    /// A root-cause code, or null to clear it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    root_cause: Option<Option<String>>,
    /// `{code, amount_minor}`, or null to clear the remedy.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RemedyBody>)]
    remedy: Option<Option<RemedyBody>>,
}

/// Changes a ticket's fields (staff): assignment, department, priority, kind, subject, category,
/// purchase, tags, touchpoint, classification, root cause and remedy. All or nothing; each change is logged.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = TicketPatchBody,
    responses((status = 200, body = TicketDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn patch(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TicketPatchBody>,
) -> Result<Json<TicketDto>, ApiError> {
    let edit = kefu_app::ticket_edit::TicketEdit {
        assignee_id: b.assignee_id,
        department_id: b.department_id,
        priority: b.priority,
        kind: b.kind,
        subject: b.subject,
        category_id: b.category_id,
        purchase_id: b.purchase_id,
        tags: b.tags,
        touchpoint: b.touchpoint,
        classification: b.classification,
        root_cause: b.root_cause,
        remedy: b.remedy.map(|r| r.map(|r| (r.code, r.amount_minor))),
    };
    let v = state.app.edit_ticket(&caller.actor(), id, edit).await?;
    Ok(Json(v.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ActivityDto {
    pub at: i64,
    pub actor: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// The ticket's append-only activity log (staff).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/activity", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<ActivityDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn activity(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ActivityDto>>, ApiError> {
    let rows = state.app.ticket_activity(&caller.actor(), id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| ActivityDto {
                at: a.at,
                actor: a.actor,
                field: a.field,
                old_value: a.old_value,
                new_value: a.new_value,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: i64,
    /// `ticket.created`, `ticket.reply`, `ticket.status`, `sla.breach`.
    pub event: String,
    pub recipient: String,
    pub language: String,
    pub subject: String,
    pub message_id: Option<String>,
    /// `sent`, `failed` or `skipped`.
    pub status: String,
    pub detail: String,
    pub at: i64,
}

/// The mail kefu sent about the ticket (staff): what, to whom, and whether it went out.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/notifications", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<NotificationDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn notifications(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let rows = state.app.ticket_notifications(&caller.actor(), id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                event: n.event,
                recipient: n.recipient,
                language: n.language.code().to_owned(),
                subject: n.subject,
                message_id: n.message_id,
                status: n.status,
                detail: n.detail,
                at: n.created_at,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CategoryDto {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name_en: String,
    pub name_zh: String,
}

/// The category tree, flat (each node names its parent).
#[utoipa::path(get, path = "/api/v1/categories", tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<CategoryDto>)))]
pub async fn categories(State(state): State<WebState>) -> Result<Json<Vec<CategoryDto>>, ApiError> {
    let all = state.app.categories().await?;
    Ok(Json(
        all.into_iter()
            .map(|c| CategoryDto {
                id: c.id,
                parent_id: c.parent_id,
                name_en: c.name_en,
                name_zh: c.name_zh,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    parent_id: Option<i64>,
    name_en: String,
    name_zh: String,
}

/// Adds a category (managers and admins).
#[utoipa::path(post, path = "/api/v1/categories", tag = "tickets", security(("bearer" = [])), request_body = CategoryBody,
    responses((status = 201, body = CategoryDto), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_category(
    State(state): State<WebState>,
    caller: Caller,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Result<Response, ApiError> {
    let c = state
        .app
        .create_category(&caller.actor(), b.parent_id, &b.name_en, &b.name_zh)
        .await?;
    let dto = CategoryDto {
        id: c.id,
        parent_id: c.parent_id,
        name_en: c.name_en,
        name_zh: c.name_zh,
    };
    Ok((StatusCode::CREATED, Json(dto)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct StepDto {
    pub id: i64,
    /// When the step was taken (UTC milliseconds).
    pub at: i64,
    pub body: String,
    pub author_user_id: Option<i64>,
}

fn step_dto(s: kefu_app::model::IncidentStep) -> StepDto {
    StepDto {
        id: s.id,
        at: s.at,
        body: s.body,
        author_user_id: s.author_user_id,
    }
}

/// An incident's recovery log, in the order the steps were taken.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/recovery-steps", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<StepDto>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn recovery_steps(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StepDto>>, ApiError> {
    let steps = state.app.incident_steps(&caller.actor(), id).await?;
    Ok(Json(steps.into_iter().map(step_dto).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    body: String,
    /// When it was done (UTC milliseconds); now when left out.
    at: Option<i64>,
}

/// Writes a step into an incident's recovery log (staff).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/recovery-steps", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])), request_body = StepBody,
    responses((status = 201, body = StepDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_recovery_step(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StepBody>,
) -> Result<Response, ApiError> {
    let step = state.app.add_incident_step(&caller.actor(), id, &b.body, b.at).await?;
    Ok((StatusCode::CREATED, Json(step_dto(step))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ShareDto {
    /// The private page of the recovery log, e.g. `/incident/3q2...`; shown once.
    pub path: String,
}

/// A new private link to an incident's recovery log for the customer (staff).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/share", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 201, body = ShareDto), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn share(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let token = state.app.share_incident(&caller.actor(), id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ShareDto {
            path: format!("/incident/{token}"),
        }),
    )
        .into_response())
}

/// Revokes every link to an incident's recovery log (staff).
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/share", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn unshare(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    state.app.revoke_incident_shares(&caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
