//! The public complaint / request form: anyone files a ticket without an account and follows it
//! through a private link. The customer is found by phone or e-mail (the oldest live contact), else
//! created as an end customer. Spam is kept out by a honeypot field and a per-address rate limit;
//! the follow link's token is random and only its hash is stored.

use crate::auth::{random_secret, sha256_hex};
use crate::customers::{CustomerInput, clean_tags};
use crate::tickets::{TicketInput, TicketView};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::customer::normalize_phone;
use kefu_core::text::check_text;
use kefu_core::ticket::Channel;
use kefu_core::{Email, Invalid};
use kefu_store::{MessageKind, StoreError, TicketMessage};

/// Who acts for the public form in the activity log.
pub const PUBLIC_FORM: Actor = Actor::System("public form");

/// Posts allowed per client address per window (new tickets, and replies, counted apart).
pub const POSTS_PER_WINDOW: u32 = 5;
/// Survey answers (each page saved counts) and follow-page views allowed per client address per
/// window: a survey of several pages, or a customer reloading the page, stays far below it; a
/// robot trying tokens does not.
pub const READS_PER_WINDOW: u32 = 60;
pub const WINDOW_MS: i64 = 10 * 60_000;

/// What a client address without an account is counted for, each apart, per [`WINDOW_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicAction {
    /// A ticket filed through the public form.
    Filing,
    /// A reply through a follow link.
    FollowReply,
    /// A look at a follow link's page.
    FollowView,
    /// A password set with an invitation.
    Invitation,
    /// An answer (or a saved page of one) through a survey link, on the page or the API.
    SurveyAnswer,
}

impl PublicAction {
    fn key(self) -> &'static str {
        match self {
            PublicAction::Filing => "public_form",
            PublicAction::FollowReply => "follow_reply",
            PublicAction::FollowView => "follow_view",
            PublicAction::Invitation => "invitation",
            PublicAction::SurveyAnswer => "survey_answer",
        }
    }

    /// How many a client address may do per window.
    pub fn per_window(self) -> u32 {
        match self {
            PublicAction::Filing | PublicAction::FollowReply | PublicAction::Invitation => POSTS_PER_WINDOW,
            PublicAction::FollowView | PublicAction::SurveyAnswer => READS_PER_WINDOW,
        }
    }
}

/// What the public form sends.
#[derive(Debug, Clone, Default)]
pub struct PublicTicketInput {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub language: Option<String>,
    pub touchpoint: String,
    pub tag: String,
    /// Opened from a QR code.
    pub via_qr: bool,
    /// The honeypot field people never see; a robot fills it.
    pub honeypot: String,
}

/// A filed ticket and the plain follow token (shown once, never stored).
#[derive(Debug, Clone)]
pub struct Filed {
    pub view: TicketView,
    pub follow_token: String,
    /// Filed with a known contact's address or phone: it waits for them to confirm.
    pub unconfirmed: bool,
}

/// The checked pre-tags a QR code or link carries.
pub fn check_pretags(touchpoint: &str, tag: &str) -> Result<(String, Vec<String>), Invalid> {
    let touchpoint = touchpoint.trim();
    kefu_core::text::check_optional_text("touchpoint", touchpoint, 200)?;
    Ok((touchpoint.to_owned(), clean_tags(&[tag.to_owned()])?))
}

impl App {
    /// Counts `action` from `ip`; `RateLimited` (with the seconds until the window ends) once the
    /// address is over the action's budget.
    pub async fn public_rate_limit(&self, action: PublicAction, ip: Option<&str>) -> AppResult<()> {
        let now = self.now();
        let window = now - now.rem_euclid(WINDOW_MS);
        let hits = self
            .store
            .rate_limit_hit(&format!("{}:{}", action.key(), ip.unwrap_or("unknown")), window)
            .await?;
        if hits > action.per_window() {
            return Err(AppError::RateLimited {
                retry_after_s: ((window + WINDOW_MS - now) / 1000).max(1) as u64,
            });
        }
        Ok(())
    }

    /// Files a ticket from the public form. `Ok(None)` when the honeypot was filled: the robot
    /// is told it worked, and nothing is written.
    pub async fn file_public_ticket(&self, input: PublicTicketInput, ip: Option<&str>) -> AppResult<Option<Filed>> {
        self.public_rate_limit(PublicAction::Filing, ip).await?;
        if !input.honeypot.trim().is_empty() {
            return Ok(None);
        }
        let name = check_text("name", &input.name, 100)?;
        let name = name.as_str();
        let phone = input.phone.trim();
        let email = input.email.trim();
        if phone.is_empty() && email.is_empty() {
            return Err(Invalid::one("phone", "contact_required", "give a phone number or an e-mail address").into());
        }
        let phone_norm = if phone.is_empty() {
            String::new()
        } else {
            normalize_phone(phone)?
        };
        let email = if email.is_empty() {
            String::new()
        } else {
            Email::parse(email)?.to_string()
        };
        let (touchpoint, tags) = check_pretags(&input.touchpoint, &input.tag)?;
        // Check the ticket's own fields before a customer is created for it.
        kefu_core::ticket::Kind::parse(&input.kind)?;
        for (field, v, max) in [("subject", &input.subject, 300), ("body", &input.body, 100_000)] {
            check_text(field, v, max)?;
        }
        let actor = PUBLIC_FORM;
        let known = self.store.find_contacts(&phone_norm, &email).await?.into_iter().next();
        // Typing a known contact's address or phone proves nothing: the ticket waits for them
        // to confirm (docs/tickets.md#the-public-form).
        let unconfirmed = known.is_some();
        let contact = match known {
            Some(c) => c,
            None => {
                let customer = self
                    .create_customer(
                        &actor,
                        CustomerInput {
                            name: name.to_owned(),
                            kind: "end".into(),
                            phone: Some(phone.to_owned()).filter(|p| !p.is_empty()),
                            email: Some(email.clone()).filter(|e| !e.is_empty()),
                            ..Default::default()
                        },
                    )
                    .await?;
                self.store
                    .find_contacts(&phone_norm, &email)
                    .await?
                    .into_iter()
                    .find(|c| c.customer_id == customer.id)
                    .ok_or(AppError::NotFound)?
            }
        };
        let follow_token = random_secret();
        let view = self
            .create_ticket(
                &actor,
                TicketInput {
                    customer_id: contact.customer_id,
                    contact_id: Some(contact.id),
                    kind: input.kind,
                    subject: input.subject,
                    body: input.body,
                    channel: Some(
                        if input.via_qr { Channel::Qr } else { Channel::WebForm }
                            .as_str()
                            .to_owned(),
                    ),
                    language: input.language,
                    touchpoint,
                    tags,
                    follow_token: Some(follow_token.clone()),
                    requester_unconfirmed: unconfirmed,
                    ..Default::default()
                },
            )
            .await?;
        if unconfirmed {
            // The address on file is asked; a contact with a phone only waits for an agent's call.
            let mail_to = !contact.email.trim().is_empty();
            let token = random_secret();
            self.store
                .open_requester_confirmation(
                    view.ticket.id,
                    mail_to.then(|| sha256_hex(&token)).as_deref(),
                    self.now(),
                )
                .await?;
            if mail_to {
                self.notify(crate::notify::Notice::ConfirmRequester {
                    ticket_id: view.ticket.id,
                    token,
                })
                .await;
            }
        }
        Ok(Some(Filed {
            view,
            follow_token,
            unconfirmed,
        }))
    }

    /// Whether a ticket's requester is still unconfirmed (staff see it on the ticket page).
    pub async fn requester_unconfirmed(&self, actor: &Actor, ticket_id: i64) -> AppResult<bool> {
        let t = self.visible_ticket(actor, ticket_id).await?;
        Ok(self.store.requester_unconfirmed(t.id).await?)
    }

    /// The owner of the address on file confirms a complaint through the mailed link: the
    /// ticket's reference. An unknown or used link is `NotFound`.
    pub async fn confirm_requester_by_link(
        &self,
        token: &str,
        ip: Option<&str>,
    ) -> AppResult<kefu_core::ticket::Reference> {
        self.public_rate_limit(PublicAction::FollowReply, ip).await?;
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let id = self
            .store
            .confirm_requester_by_token(&sha256_hex(token), self.now())
            .await?
            .ok_or(AppError::NotFound)?;
        let t = self.store.get_ticket(id).await?;
        self.audit(
            &PUBLIC_FORM,
            "ticket.requester_confirmed",
            format!("ticket:{id}"),
            serde_json::json!({"customer_id": t.customer_id, "by": "mailed link"}),
        )
        .await?;
        Ok(self.view_tickets(vec![t]).await?.remove(0).reference)
    }

    /// An agent confirms the requester after a call (the only way for a phone-only match).
    pub async fn confirm_requester(&self, actor: &Actor, ticket_id: i64) -> AppResult<()> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        let t = self.visible_ticket(actor, ticket_id).await?;
        if !self.store.confirm_requester(t.id, actor.user_id(), self.now()).await? {
            return Err(AppError::Conflict("the requester is already confirmed".into()));
        }
        self.audit(
            actor,
            "ticket.requester_confirmed",
            format!("ticket:{}", t.id),
            serde_json::json!({"customer_id": t.customer_id}),
        )
        .await?;
        Ok(())
    }

    /// The ticket behind a follow token and its public conversation (never internal notes).
    pub async fn followed_ticket(&self, token: &str) -> AppResult<(TicketView, Vec<TicketMessage>)> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let t = match self.store.ticket_by_follow_token(&sha256_hex(token)).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let mut messages = self.store.ticket_messages(t.id).await?;
        messages.retain(|m| m.kind != MessageKind::Internal);
        // Until the requester is confirmed, the filer sees their own messages and the status:
        // replies written to the real customer are not theirs to read.
        if self.store.requester_unconfirmed(t.id).await? {
            messages.retain(|m| m.author_kind == kefu_store::AuthorKind::Customer);
        }
        Ok((self.view_tickets(vec![t]).await?.remove(0), messages))
    }

    /// The customer replies through the follow link (rate-limited per address).
    pub async fn reply_followed_ticket(&self, token: &str, body: &str, ip: Option<&str>) -> AppResult<TicketView> {
        self.public_rate_limit(PublicAction::FollowReply, ip).await?;
        let (view, _) = self.followed_ticket(token).await?;
        let contact = view.ticket.contact_id;
        let (view, _) = self
            .customer_message(&PUBLIC_FORM, &view.ticket, body, Channel::WebForm, contact)
            .await?;
        Ok(view)
    }
}
