//! Changing a ticket's fields (staff): assignment, department, priority, kind, subject, category,
//! product, tags, the five classification axes, and the resolution — root cause and remedy (with
//! the amount of a refund or compensation). One checked change, one transaction, every field
//! logged in the activity log; a kind or priority change re-selects the SLA policy and the clock
//! replays against it.

use crate::tickets::{TicketView, stale};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::ticket::{Classification, Kind, Priority, Remedy, RootCause};
use kefu_store::TicketChange;

/// What to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TicketEdit {
    /// A user, or `Some(None)` to unassign.
    pub assignee_id: Option<Option<i64>>,
    pub department_id: Option<i64>,
    pub priority: Option<String>,
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub category_id: Option<Option<i64>>,
    /// The purchase the ticket is about (`Some(None)` clears it); the product's name follows it.
    pub purchase_id: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    /// Where the customer met the service (a line of at most 200 characters; empty clears it).
    pub touchpoint: Option<String>,
    pub classification: Option<Classification>,
    /// A [`RootCause`] code, or `Some(None)` to clear it.
    pub root_cause: Option<Option<String>>,
    /// A [`Remedy`] code with its amount in minor units (refund: optional; compensation: required),
    /// or `Some(None)` to clear both.
    pub remedy: Option<Option<(String, Option<i64>)>>,
}

impl App {
    /// Applies a [`TicketEdit`] (staff only). Nothing changes when any field is refused.
    pub async fn edit_ticket(&self, actor: &Actor, id: i64, edit: TicketEdit) -> AppResult<TicketView> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        let t = self.visible_ticket(actor, id).await?;
        let mut change = TicketChange::default();
        if let Some(Some(u)) = edit.assignee_id {
            let user = self
                .store
                .get_user(u)
                .await
                .map_err(|_| Invalid::one("assignee_id", "unknown_user", format!("no user {u}")))?;
            if user.disabled || !user.role.works_the_desk() {
                return Err(Invalid::one("assignee_id", "not_staff", "tickets are assigned to enabled staff").into());
            }
        }
        change.assignee_id = edit.assignee_id;
        if let Some(d) = edit.department_id {
            self.store
                .get_department(d)
                .await
                .map_err(|_| Invalid::one("department_id", "unknown_department", format!("no department {d}")))?;
            change.department_id = Some(d);
        }
        change.priority = edit.priority.as_deref().map(Priority::parse).transpose()?;
        change.kind = edit.kind.as_deref().map(Kind::parse).transpose()?;
        if let Some(s) = &edit.subject {
            change.subject = Some(kefu_core::text::check_text("subject", s, 300)?);
        }
        if let Some(Some(c)) = edit.category_id
            && !self.store.categories().await?.iter().any(|x| x.id == c)
        {
            return Err(Invalid::one("category_id", "unknown_category", format!("no category {c}")).into());
        }
        change.category_id = edit.category_id;
        change.purchase = match edit.purchase_id {
            None => None,
            Some(None) => Some((None, String::new())),
            Some(Some(p)) => {
                let p = self.purchase_for(p, t.customer_id, t.on_behalf_of_id).await?;
                Some((Some(p.id), p.product_name))
            }
        };
        change.tags = edit.tags.map(|t| crate::customers::clean_tags(&t)).transpose()?;
        if let Some(tp) = &edit.touchpoint {
            let tp = kefu_core::text::check_optional_text("touchpoint", tp, 200)?;
            if tp.chars().any(char::is_control) {
                return Err(Invalid::one(
                    "touchpoint",
                    "control_chars",
                    "touchpoint must not contain control characters",
                )
                .into());
            }
            change.touchpoint = Some(tp);
        }
        change.classification = edit.classification;
        change.root_cause = edit
            .root_cause
            .map(|r| {
                r.as_deref()
                    .map(|c| RootCause::parse(c).map(|r| r.as_str().to_owned()))
                    .transpose()
            })
            .transpose()?;
        if let Some(r) = edit.remedy {
            match r {
                None => {
                    change.remedy = Some(None);
                    change.compensation_minor = Some(None);
                }
                Some((code, amount)) => {
                    let remedy = Remedy::parse(&code)?;
                    remedy.check_amount(amount)?;
                    change.remedy = Some(Some(remedy));
                    change.compensation_minor = Some(amount);
                }
            }
        }
        if change.kind.is_some() || change.priority.is_some() {
            // The policy follows kind × priority × tier; the clock replays against the new one.
            let setup = self.sla_setup().await?;
            let policy = setup.select(
                change.kind.unwrap_or(t.kind),
                change.priority.unwrap_or(t.priority),
                t.customer_tier,
            )?;
            change.sla_policy_id = Some(Some(policy.id));
        }
        Ok(self.apply(actor, &t, change, None).await.map_err(stale)?.0)
    }
}
