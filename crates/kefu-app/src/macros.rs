//! Macros (canned replies) in both languages, and saved views of the ticket queue.
//!
//! A macro's text may hold placeholders, filled in for the ticket it is used on: `{customer}` (the
//! contact's or customer's name), `{reference}`, `{subject}` and `{agent}` (who sends it). Its
//! optional actions — a status to move to, tags to add — are applied with the reply, all through the
//! ordinary checked use cases, so the workflow and the activity log apply as if done by hand.

use crate::tickets::{Addition, TicketView};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::ticket::Status;
use kefu_core::{Invalid, Language};
use kefu_store::{Macro, SavedView};

/// A macro as a manager writes it.
#[derive(Debug, Clone, Default)]
pub struct MacroInput {
    pub title_en: String,
    pub title_zh: String,
    pub body_en: String,
    pub body_zh: String,
    /// A status to move the ticket to after the reply.
    pub status: Option<String>,
    pub tags: Vec<String>,
}

/// Fills a macro's placeholders; unknown `{...}` are left as they are.
pub fn render(text: &str, customer: &str, reference: &str, subject: &str, agent: &str) -> String {
    text.replace("{customer}", customer)
        .replace("{reference}", reference)
        .replace("{subject}", subject)
        .replace("{agent}", agent)
}

/// The macro's text in `lang` (the other language when that one is empty).
pub fn body_in(m: &Macro, lang: Language) -> &str {
    match lang {
        Language::ZhCn if !m.body_zh.trim().is_empty() => &m.body_zh,
        Language::En if !m.body_en.trim().is_empty() => &m.body_en,
        Language::ZhCn => &m.body_en,
        Language::En => &m.body_zh,
    }
}

impl App {
    pub async fn macros(&self, actor: &Actor) -> AppResult<Vec<Macro>> {
        actor.require(kefu_core::roles::DESK)?;
        // Kept for a few seconds: every ticket page offers them (a change here empties it).
        if let Some(kept) = crate::tickets::fresh(&self.macro_cache).await {
            return Ok(kept.as_ref().clone());
        }
        let all = self.store.macros().await?;
        *self.macro_cache.write().await = Some((std::time::Instant::now(), std::sync::Arc::new(all.clone())));
        Ok(all)
    }

    /// Creates (`id` `None`) or replaces a macro (managers and admins).
    pub async fn save_macro(&self, actor: &Actor, id: Option<i64>, input: MacroInput) -> AppResult<Macro> {
        actor.require(kefu_core::roles::MANAGERS)?;
        for (field, v, max) in [
            ("title_en", &input.title_en, 200),
            ("title_zh", &input.title_zh, 200),
            ("body_en", &input.body_en, 20_000),
            ("body_zh", &input.body_zh, 20_000),
        ] {
            kefu_core::text::check_text(field, v, max)?;
        }
        let status = input
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Status::parse)
            .transpose()?;
        let tags = crate::customers::clean_tags(&input.tags)?;
        let now = self.now();
        let m = Macro {
            id: id.unwrap_or(0),
            title_en: input.title_en.trim().to_owned(),
            title_zh: input.title_zh.trim().to_owned(),
            body_en: input.body_en.trim().to_owned(),
            body_zh: input.body_zh.trim().to_owned(),
            actions: serde_json::json!({"status": status.map(|s| s.as_str()), "tags": tags}),
            created_by: actor.user_id(),
            created_at: now,
            updated_at: now,
        };
        let saved = self.store.save_macro(&m).await?;
        *self.macro_cache.write().await = None;
        self.audit(
            actor,
            "macro.save",
            format!("macro:{}", saved.id),
            serde_json::json!({"title_en": saved.title_en}),
        )
        .await?;
        Ok(saved)
    }

    pub async fn delete_macro(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require(kefu_core::roles::MANAGERS)?;
        self.store.delete_macro(id).await?;
        *self.macro_cache.write().await = None;
        self.audit(actor, "macro.delete", format!("macro:{id}"), serde_json::json!({}))
            .await
    }

    /// A macro's text for a ticket: in the ticket's language, placeholders filled.
    pub async fn macro_text(&self, actor: &Actor, ticket_id: i64, macro_id: i64) -> AppResult<String> {
        actor.require(kefu_core::roles::DESK)?;
        let m = self.find_macro(macro_id).await?;
        self.fill_macro(actor, ticket_id, &m).await
    }

    async fn find_macro(&self, id: i64) -> AppResult<Macro> {
        self.store
            .macros()
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(AppError::NotFound)
    }

    /// `m`'s text for a ticket the actor sees.
    async fn fill_macro(&self, actor: &Actor, ticket_id: i64, m: &Macro) -> AppResult<String> {
        let t = self.get_ticket(actor, ticket_id).await?;
        let customer = match t.ticket.contact_id {
            Some(c) => self.store.get_contact(c).await.map(|c| c.name).unwrap_or_default(),
            None => String::new(),
        };
        let customer = if customer.is_empty() {
            self.store
                .get_customer(t.ticket.customer_id)
                .await
                .map(|c| c.name)
                .unwrap_or_default()
        } else {
            customer
        };
        let agent = match actor {
            Actor::User { user, .. } => user.name.clone(),
            _ => String::new(),
        };
        Ok(render(
            body_in(m, t.ticket.language),
            &customer,
            &t.reference.to_string(),
            &t.ticket.subject,
            &agent,
        ))
    }

    /// Replies with a macro and applies its actions (tags, then status).
    pub async fn apply_macro(&self, actor: &Actor, ticket_id: i64, macro_id: i64) -> AppResult<TicketView> {
        actor.require(kefu_core::roles::DESK)?;
        let m = self.find_macro(macro_id).await?;
        let text = self.fill_macro(actor, ticket_id, &m).await?;
        let (view, _) = self
            .add_to_ticket(actor, ticket_id, Addition::Reply { body: text })
            .await?;
        let mut view = view;
        let tags: Vec<String> = m.actions["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if !tags.is_empty() {
            let mut all = view.ticket.tags.clone();
            for t in tags {
                if !all.contains(&t) {
                    all.push(t);
                }
            }
            let edit = crate::ticket_edit::TicketEdit {
                tags: Some(all),
                ..Default::default()
            };
            view = self.edit_ticket(actor, ticket_id, edit).await?;
        }
        if let Some(s) = m.actions["status"].as_str()
            && s != view.ticket.status.as_str()
        {
            view = self.set_ticket_status(actor, ticket_id, s).await?;
        }
        Ok(view)
    }

    /// The caller's saved queue views and the shared ones.
    pub async fn saved_views(&self, actor: &Actor) -> AppResult<Vec<SavedView>> {
        actor.require(kefu_core::roles::DESK)?;
        let user = actor.user_id().ok_or(AppError::Forbidden)?;
        Ok(self.store.saved_views(user).await?)
    }

    /// Saves a view of the queue (`query` is the queue page's query string); a shared one is for
    /// managers and admins to make.
    pub async fn save_view(&self, actor: &Actor, name: &str, query: &str, shared: bool) -> AppResult<SavedView> {
        actor.require(kefu_core::roles::DESK)?;
        if shared {
            actor.require(kefu_core::roles::MANAGERS)?;
        }
        let name = kefu_core::text::check_text("name", name, 100)?;
        let name = name.as_str();
        let query = query.trim().trim_start_matches('?');
        let ok = query.len() <= 1_000
            && query
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"=&%_-.+".contains(&b));
        if !ok {
            return Err(Invalid::one(
                "query",
                "invalid_query",
                "a view is the queue's query string, such as status=open&mine=1",
            )
            .into());
        }
        let user_id = if shared {
            None
        } else {
            Some(actor.user_id().ok_or(AppError::Forbidden)?)
        };
        Ok(self
            .store
            .create_saved_view(&SavedView {
                id: 0,
                user_id,
                name: name.to_owned(),
                query: query.to_owned(),
                created_at: self.now(),
            })
            .await?)
    }

    /// Deletes one of the caller's views (a shared one: managers and admins).
    pub async fn delete_view(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require(kefu_core::roles::DESK)?;
        let mine = self.store.delete_saved_view(id, actor.user_id()).await;
        match mine {
            Err(kefu_store::StoreError::NotFound) if actor.role().manages() => {
                Ok(self.store.delete_saved_view(id, None).await?)
            }
            other => Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            render(
                "{customer}您好，关于 {reference}（{subject}）：{agent} 将跟进。{unknown}",
                "王芳",
                "KF-2026-000001",
                "空调",
                "李娜"
            ),
            "王芳您好，关于 KF-2026-000001（空调）：李娜 将跟进。{unknown}"
        );
    }

    #[test]
    fn the_other_language_stands_in() {
        let m = Macro {
            id: 1,
            title_en: "t".into(),
            title_zh: "t".into(),
            body_en: "Hello".into(),
            body_zh: " ".into(),
            actions: serde_json::json!({}),
            created_by: None,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(body_in(&m, Language::ZhCn), "Hello");
        assert_eq!(body_in(&m, Language::En), "Hello");
    }
}
