//! Decoding ticket, message and SLA policy rows.

use crate::portable::rows::{DbRow, data, get};
use kefu_store::*;

fn code<T>(row: &DbRow, col: &str, parse: fn(&str) -> Result<T, kefu_core::Invalid>) -> StoreResult<Option<T>> {
    let v: Option<String> = get(row, col)?;
    v.as_deref().map(parse).transpose().map_err(data)
}
fn req<T>(row: &DbRow, col: &str, parse: fn(&str) -> Result<T, kefu_core::Invalid>) -> StoreResult<T> {
    code(row, col, parse)?.ok_or_else(|| data(format!("{col} is empty")))
}

pub fn ticket(row: &DbRow) -> StoreResult<Ticket> {
    use kefu_core::ticket::*;
    let language: String = get(row, "language")?;
    let tags: String = get(row, "tags")?;
    let tier: String = get(row, "customer_tier")?;
    Ok(Ticket {
        id: get(row, "id")?,
        kind: req(row, "kind", Kind::parse)?,
        status: req(row, "status", Status::parse)?,
        priority: req(row, "priority", Priority::parse)?,
        channel: req(row, "channel", Channel::parse)?,
        language: kefu_core::Language::parse(&language).ok_or_else(|| data(format!("language {language:?}")))?,
        subject: get(row, "subject")?,
        customer_id: get(row, "customer_id")?,
        contact_id: get(row, "contact_id")?,
        on_behalf_of_id: get(row, "on_behalf_of_id")?,
        department_id: get(row, "department_id")?,
        assignee_id: get(row, "assignee_id")?,
        created_by: get(row, "created_by")?,
        category_id: get(row, "category_id")?,
        purchase_id: get(row, "purchase_id")?,
        product: get(row, "product")?,
        touchpoint: get(row, "touchpoint")?,
        classification: Classification {
            phase: code(row, "phase", Phase::parse)?,
            nature: code(row, "nature", Nature::parse)?,
            place: code(row, "place", Place::parse)?,
            fee: code(row, "fee", Fee::parse)?,
            frequency: code(row, "frequency", Frequency::parse)?,
        },
        tags: serde_json::from_str(&tags).map_err(data)?,
        customer_tier: kefu_core::rfm::ValueTier::parse(&tier).ok_or_else(|| data(format!("tier {tier:?}")))?,
        sla_policy_id: get(row, "sla_policy_id")?,
        sla_next_check_at: get(row, "sla_next_check_at")?,
        sla_urgent_at: get(row, "sla_urgent_at")?,
        sla_due_at: get(row, "sla_due_at")?,
        root_cause: get(row, "root_cause")?,
        remedy: code(row, "remedy", Remedy::parse)?,
        compensation_minor: get(row, "compensation_minor")?,
        merged_into: get(row, "merged_into")?,
        resolved_at: get(row, "resolved_at")?,
        closed_at: get(row, "closed_at")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub fn message(row: &DbRow) -> StoreResult<TicketMessage> {
    let kind: String = get(row, "kind")?;
    let author: String = get(row, "author_kind")?;
    Ok(TicketMessage {
        id: get(row, "id")?,
        ticket_id: get(row, "ticket_id")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| data(format!("message kind {kind:?}")))?,
        author_kind: AuthorKind::parse(&author).ok_or_else(|| data(format!("author {author:?}")))?,
        author_user_id: get(row, "author_user_id")?,
        author_contact_id: get(row, "author_contact_id")?,
        body: get(row, "body")?,
        body_html: get(row, "body_html")?,
        channel: req(row, "channel", kefu_core::ticket::Channel::parse)?,
        call_direction: get(row, "call_direction")?,
        call_seconds: get(row, "call_seconds")?,
        message_id: get(row, "message_id")?,
        created_at: get(row, "created_at")?,
    })
}

pub fn policy(row: &DbRow) -> StoreResult<SlaPolicy> {
    use kefu_core::ticket::*;
    let tier: Option<String> = get(row, "tier")?;
    let escalation: String = get(row, "escalation")?;
    Ok(SlaPolicy {
        id: get(row, "id")?,
        name: get(row, "name")?,
        scope: kefu_core::sla::PolicyScope {
            kind: code(row, "kind", Kind::parse)?,
            priority: code(row, "priority", Priority::parse)?,
            tier: tier
                .as_deref()
                .map(|t| kefu_core::rfm::ValueTier::parse(t).ok_or_else(|| data(format!("tier {t:?}"))))
                .transpose()?,
        },
        targets: kefu_core::sla::SlaTargets {
            first_response_minutes: get(row, "first_response_minutes")?,
            next_response_minutes: get(row, "next_response_minutes")?,
            resolution_minutes: get(row, "resolution_minutes")?,
            warn_share: get(row, "warn_share")?,
        },
        dimension: get(row, "dimension")?,
        resolution_dimension: get(row, "resolution_dimension")?,
        calendar_id: get(row, "calendar_id")?,
        escalation: serde_json::from_str(&escalation).map_err(data)?,
        is_default: get(row, "is_default")?,
    })
}

/// An attachment row: id, ticket, message, file name, content type, size, SHA-256, content id,
/// inline, whether its data is in the database (the tenth column, `data IS NOT NULL`), uploaded
/// by, created at, shared.
pub fn attachment(row: &DbRow) -> StoreResult<Attachment> {
    Ok(Attachment {
        id: get(row, "id")?,
        ticket_id: get(row, "ticket_id")?,
        message_id: get(row, "message_id")?,
        filename: get(row, "filename")?,
        content_type: get(row, "content_type")?,
        size: get(row, "size")?,
        sha256: get(row, "sha256")?,
        content_id: get(row, "content_id")?,
        inline: get(row, "inline")?,
        shared: get(row, "shared")?,
        in_database: sqlx::Row::try_get(row, 9).map_err(crate::portable::db_err)?,
        uploaded_by: get(row, "uploaded_by")?,
        created_at: get(row, "created_at")?,
    })
}
