//! E-mail in (docs/mail.md): one raw RFC 5322 message becomes a new ticket or a customer's reply on
//! an existing one (`kefu mail ingest`).
//!
//! The rules, in order:
//! 1. The message is parsed and checked by `kefu-mail` ([`kefu_mail::parse_inbound`]); a broken or
//!    oversize message is refused ([`AppError::Refused`]) and nothing is written.
//! 2. A bounce or auto-reply ([`kefu_mail::InboundMail::automatic`]) is ignored: answering it would
//!    start a mail loop, and it is not the customer speaking.
//! 3. A message whose Message-ID is stored already is a re-delivery: [`IngestOutcome::Duplicate`].
//! 4. Threading ([`kefu_mail::thread`]): the ids of In-Reply-To and References are looked up among
//!    the stored messages' Message-IDs, then a `KF-YYYY-NNNNNN` reference in the subject (its year
//!    must match the ticket's). A ticket found either way takes the message only when the sender is a
//!    contact of the ticket's customer (or of the end customer it was filed for): headers are free
//!    text, and a forged In-Reply-To must not let a stranger write into someone else's ticket. Such a
//!    message, or one naming a ticket closed for good, opens a new ticket instead.
//! 5. A new ticket belongs to the sender's customer: the oldest live contact with the sender's
//!    address, else a new end customer whose name (and primary contact's) is the display name, or
//!    the address's local part. Its kind is `complaint` when the subject says so (`投诉`, or
//!    `complaint` in any case), else `inquiry`; its language is zh-CN when subject or text has a
//!    CJK character, else en; channel `email`.
//!
//! The stored body is the text part (or text derived from the HTML); the HTML, sanitised, goes in
//! `body_html`. Attachments (inline images too) are checked against the attachment policy before
//! anything is written — one refused file refuses the message — and stored with the message.

use crate::attachments::{Upload, check_upload};
use crate::customers::CustomerInput;
use crate::tickets::{TicketInput, TicketView, stale};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::ticket::{Channel, OnCustomerMessage, Workflow};
use kefu_mail::{InboundLimits, InboundMail, thread_key};
use kefu_store::{AuthorKind, Contact, MessageKind, NewMessage, Ticket, TicketChange};

/// The periodic job that polls the IMAP mailbox ([`App::poll_mail`]), when one is configured.
pub const POLL_KIND: &str = "mail.poll";

/// Most messages one poll takes (the rest wait for the next minute).
const POLL_MAX: usize = 200;

/// Longest subject and body kept (the ticket's own limits).
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_BODY_CHARS: usize = 100_000;

/// What became of one inbound message.
#[derive(Debug, Clone)]
pub enum IngestOutcome {
    /// A new ticket was filed.
    Created(TicketView),
    /// The message was added to this ticket as the customer's reply.
    Appended(TicketView),
    /// Not taken (bounce, auto-reply, bulk mail); the reason says why. Nothing was written.
    Ignored(String),
    /// This Message-ID is stored already (on this ticket): nothing was written.
    Duplicate { ticket_id: i64 },
}

impl IngestOutcome {
    /// One line for the log or the CLI: `created KF-2026-000123`, `appended to KF-...`, ...
    pub fn describe(&self) -> String {
        match self {
            IngestOutcome::Created(v) => format!("created {}", v.reference),
            IngestOutcome::Appended(v) => format!("appended to {}", v.reference),
            IngestOutcome::Ignored(reason) => format!("ignored: {reason}"),
            IngestOutcome::Duplicate { ticket_id } => format!("duplicate: already on ticket {ticket_id}"),
        }
    }
}

/// `complaint` when the subject says so, else `inquiry`.
fn kind_of(subject: &str) -> &'static str {
    if subject.contains("投诉") || subject.to_lowercase().contains("complaint") {
        "complaint"
    } else {
        "inquiry"
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// `zh-CN` when the text has a Chinese character, else `en`.
fn language_of(text: &str) -> &'static str {
    if text.chars().any(is_cjk) { "zh-CN" } else { "en" }
}

fn clip(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn refused(e: kefu_mail::MailError) -> AppError {
    AppError::Refused(format!("message refused, nothing stored: {e}"))
}

impl App {
    /// The limits inbound mail is read and parsed with (from [`crate::AppConfig`]).
    pub fn mail_limits(&self) -> InboundLimits {
        InboundLimits {
            max_message_bytes: self.config.mail_max_message_bytes,
            ..InboundLimits::default()
        }
    }

    /// Polls the configured IMAP mailbox once (see [`kefu_mail::imap`]): each unseen message is
    /// ingested as `kefu mail ingest` would; a refused one (broken, oversize, a refused attachment)
    /// is flagged in the mailbox for a person and not fetched again; trouble on our side (the
    /// database) leaves it unseen and ends the pass, to be taken next time. `None` when no mailbox
    /// is configured.
    pub async fn poll_mail(&self) -> AppResult<Option<kefu_mail::PollReport>> {
        let Some(url) = &self.config.mail_in else {
            return Ok(None);
        };
        let report = kefu_mail::imap::poll(url, POLL_MAX, |raw| {
            let app = self.clone();
            async move {
                match app.ingest_mail(&raw).await {
                    Ok(outcome) => {
                        tracing::info!(outcome = %outcome.describe(), "mail polled");
                        kefu_mail::Disposition::Taken
                    }
                    // The database: the message waits, unseen, for the next poll.
                    Err(e @ AppError::Store(_)) => {
                        tracing::error!(error = %e, "polled mail not stored; left unseen for the next poll");
                        kefu_mail::Disposition::Stop
                    }
                    // Anything else is about this message, and would be again next time.
                    Err(e) => {
                        tracing::warn!(reason = %e, "polled mail refused; flagged in the mailbox");
                        kefu_mail::Disposition::Refused
                    }
                }
            }
        })
        .await
        .map_err(|e| AppError::Refused(e.to_string()))?;
        Ok(Some(report))
    }

    /// Takes one raw inbound message: files it as a new ticket, adds it to the ticket it answers,
    /// or ignores it (see the module documentation for the rules).
    pub async fn ingest_mail(&self, raw: &[u8]) -> AppResult<IngestOutcome> {
        let mail = kefu_mail::parse_inbound(raw, &self.mail_limits()).map_err(refused)?;
        if let Some(auto) = &mail.automatic {
            return Ok(IngestOutcome::Ignored(format!("automatic message ({})", auto.reason)));
        }
        if let Some(id) = &mail.message_id
            && let Some(t) = self.ticket_of_message_id(id).await?
        {
            return Ok(IngestOutcome::Duplicate { ticket_id: t.id });
        }
        let uploads: Vec<Upload> = mail
            .attachments
            .iter()
            .map(|a| Upload {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                bytes: a.bytes.clone(),
                content_id: a.content_id.clone(),
                inline: a.inline,
            })
            .collect();
        for u in &uploads {
            check_upload(&self.config.attachments, u)
                .map_err(|e| AppError::Refused(format!("message refused, nothing stored: {e}")))?;
        }
        let result = match self.thread_of(&mail).await? {
            Some((ticket, contact)) => match self.append_mail(&ticket, &contact, &mail).await? {
                Some(view) => Ok(IngestOutcome::Appended(view)),
                None => self.file_mail(&mail).await.map(IngestOutcome::Created),
            },
            None => self.file_mail(&mail).await.map(IngestOutcome::Created),
        };
        if let Ok(IngestOutcome::Appended(v) | IngestOutcome::Created(v)) = &result
            && !uploads.is_empty()
        {
            // The message this mail became (by its Message-ID, else the ticket's newest).
            let messages = self.store.ticket_messages(v.ticket.id).await?;
            let msg = messages
                .iter()
                .rev()
                .find(|m| m.message_id.is_some() && m.message_id == mail.message_id)
                .or(messages.last())
                .map(|m| m.id);
            // A customer's mail: its files are shared, as the mail itself.
            self.store_files(v.ticket.id, msg, None, crate::attachments::Visibility::Shared, uploads)
                .await?;
        }
        match (result, &mail.message_id) {
            // The same message delivered twice at once: the unique Message-ID let one through.
            (Err(AppError::Conflict(m)), Some(id)) => match self.ticket_of_message_id(id).await? {
                Some(t) => Ok(IngestOutcome::Duplicate { ticket_id: t.id }),
                None => Err(AppError::Conflict(m)),
            },
            (r, _) => r,
        }
    }

    async fn ticket_of_message_id(&self, id: &str) -> AppResult<Option<Ticket>> {
        match self.store.ticket_by_message_id(id).await {
            Ok(t) => Ok(Some(t)),
            Err(kefu_store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The ticket the message answers and the sender's contact on it, if both hold.
    async fn thread_of(&self, mail: &InboundMail) -> AppResult<Option<(Ticket, Contact)>> {
        let hint = thread_key(mail);
        let mut found = None;
        for id in hint.candidate_message_ids() {
            if let Some(t) = self.ticket_of_message_id(id).await? {
                found = Some(t);
                break;
            }
        }
        if found.is_none()
            && let Some(r) = hint.reference_in_subject
        {
            match self.store.get_ticket(r.number).await {
                Ok(t) => {
                    let view = self.view_tickets(vec![t]).await?.remove(0);
                    if view.reference.year == r.year {
                        found = Some(view.ticket);
                    }
                }
                Err(kefu_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let Some(ticket) = found else { return Ok(None) };
        let mut contacts = self.store.list_contacts(ticket.customer_id).await?;
        if let Some(b) = ticket.on_behalf_of_id {
            contacts.extend(self.store.list_contacts(b).await?);
        }
        if !hint.sender_is_contact(contacts.iter().map(|c| c.email.as_str())) {
            tracing::info!(
                ticket = ticket.id,
                "mail names a ticket but its sender is no contact of it: new ticket"
            );
            return Ok(None);
        }
        let contact = contacts
            .into_iter()
            .find(|c| c.email.trim().eq_ignore_ascii_case(hint.sender.as_str()))
            .expect("sender_is_contact found it");
        Ok(Some((ticket, contact)))
    }

    /// Adds the message to the ticket as the customer's reply (the workflow decides the status: a
    /// resolved ticket reopens). `None` when the ticket is closed for good and takes no more.
    async fn append_mail(&self, t: &Ticket, contact: &Contact, mail: &InboundMail) -> AppResult<Option<TicketView>> {
        let closed_at = t.closed_at.and_then(|c| jiff::Timestamp::from_millisecond(c).ok());
        let mut change = TicketChange {
            expect_status: Some(t.status),
            ..Default::default()
        };
        match Workflow::default().on_customer_message(t.status, closed_at, self.now_ts()) {
            OnCustomerMessage::Keep => {}
            OnCustomerMessage::MoveTo(s, _) => change.status = Some(s).filter(|s| *s != t.status),
            OnCustomerMessage::FollowUp => return Ok(None),
        }
        let message = NewMessage {
            kind: MessageKind::Public,
            author_kind: AuthorKind::Customer,
            author_user_id: None,
            author_contact_id: Some(contact.id),
            body: body_of(mail),
            body_html: mail.html.clone(),
            channel: Channel::Email,
            call_direction: None,
            call_seconds: None,
            message_id: mail.message_id.clone(),
        };
        let (view, _) = self.apply(&Actor::Cli, t, change, Some(message)).await.map_err(stale)?;
        Ok(Some(view))
    }

    /// Files the message as a new ticket of the sender's customer.
    async fn file_mail(&self, mail: &InboundMail) -> AppResult<TicketView> {
        let contact = self.sender_contact(mail).await?;
        let subject = match clip(&mail.subject, MAX_SUBJECT_CHARS) {
            s if s.is_empty() => "(no subject)".to_owned(),
            s => s,
        };
        let body = body_of(mail);
        self.create_ticket(
            &Actor::Cli,
            TicketInput {
                customer_id: contact.customer_id,
                contact_id: Some(contact.id),
                kind: kind_of(&subject).into(),
                language: Some(language_of(&format!("{subject} {body}")).into()),
                channel: Some(Channel::Email.as_str().into()),
                subject,
                body,
                body_html: mail.html.clone(),
                message_id: mail.message_id.clone(),
                ..Default::default()
            },
        )
        .await
    }

    /// The oldest live contact with the sender's address, or a new end customer with it as primary contact.
    async fn sender_contact(&self, mail: &InboundMail) -> AppResult<Contact> {
        let email = mail.from.address.as_str();
        if let Some(c) = self.store.find_contacts("", email).await?.into_iter().next() {
            return Ok(c);
        }
        let name = mail
            .from
            .name
            .as_deref()
            .map(|n| clip(n, 100))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
        let customer = self
            .create_customer(
                &Actor::Cli,
                CustomerInput {
                    name,
                    kind: "end".into(),
                    email: Some(email.to_owned()),
                    ..Default::default()
                },
            )
            .await?;
        self.store
            .list_contacts(customer.id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Refused("the new customer has no contact".into()))
    }
}

/// The text part, clipped; a message with no text at all says so.
fn body_of(mail: &InboundMail) -> String {
    match clip(&mail.text, MAX_BODY_CHARS) {
        b if b.is_empty() => "(no text)".to_owned(),
        b => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_and_language_are_guessed_from_the_text() {
        assert_eq!(kind_of("关于屏幕的投诉"), "complaint");
        assert_eq!(kind_of("Formal COMPLAINT about delivery"), "complaint");
        assert_eq!(kind_of("咨询保修"), "inquiry");
        assert_eq!(language_of("Screen broken 屏幕坏了"), "zh-CN");
        assert_eq!(language_of("Screen broken"), "en");
    }
}
