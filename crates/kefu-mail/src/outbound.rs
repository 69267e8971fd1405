//! Outbound mail: what a notification or an agent's reply is, and how it becomes RFC 5322 bytes.

use kefu_core::{Email, Language};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use rand::RngExt;

use crate::MailError;
use crate::inbound::{MailAddress, clean_line, normalize_message_id};

/// Outbound References are cut to the newest this many ids (the first one, the thread root, is always kept):
/// enough for any client to thread, short enough for any server to accept.
const MAX_OUTBOUND_REFERENCES: usize = 20;

/// One message to one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMail {
    pub to: MailAddress,
    /// Any language; encoded as RFC 2047 UTF-8 when it is not ASCII. Line breaks become spaces.
    pub subject: String,
    /// The text/plain part (always sent).
    pub text: String,
    /// An HTML alternative, written by our own templates (never customer HTML).
    pub html: Option<String>,
    /// This message's id without `<>`, from [`new_message_id`]; store it with the ticket so that replies thread.
    pub message_id: String,
    /// The id of the message this answers (the customer's last mail), without `<>`.
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first, without `<>`.
    pub references: Vec<String>,
    /// Sent as `Content-Language`.
    pub lang: Language,
    /// `true` for notifications (sends `Auto-Submitted: auto-generated`, RFC 3834, so that well-behaved
    /// auto-responders do not answer them); `false` for a reply an agent wrote.
    pub auto_submitted: bool,
}

/// A new Message-ID for a message about `ticket` (its reference or id), without the angle brackets:
/// `kefu.{ticket}.{random}@{domain}`, the random part 64 bits in hex. In the header it is written
/// `<kefu.KF-2026-000123.9f86d081884c7d65@example.com>`.
pub fn new_message_id(ticket: &str, domain: &str) -> Result<String, MailError> {
    let ticket_ok = !ticket.is_empty()
        && ticket.len() <= 64
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ticket_ok {
        return Err(MailError::Build(format!(
            "{ticket:?} cannot be part of a Message-ID (letters, digits, - and _ only)"
        )));
    }
    if !is_domain(domain) {
        return Err(MailError::Build(format!("{domain:?} is not a domain name")));
    }
    let random: u64 = rand::rng().random();
    Ok(format!("kefu.{ticket}.{random:016x}@{}", domain.to_ascii_lowercase()))
}

/// Parses a configured sender such as `客服中心 <support@example.com>` or `support@example.com`.
pub fn parse_mailbox(s: &str) -> Result<MailAddress, MailError> {
    let mailbox: Mailbox = s
        .trim()
        .parse()
        .map_err(|e| MailError::Build(format!("{s:?} is not a mailbox: {e}")))?;
    let address =
        Email::parse(mailbox.email.as_ref()).map_err(|_| MailError::Build(format!("{s:?} is not a mailbox")))?;
    Ok(MailAddress {
        address,
        name: mailbox.name.filter(|n| !n.trim().is_empty()),
    })
}

pub(crate) fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn to_mailbox(m: &MailAddress) -> Result<Mailbox, MailError> {
    let address = m
        .address
        .as_str()
        .parse()
        .map_err(|e| MailError::Build(format!("{} is not an address lettre accepts: {e}", m.address)))?;
    Ok(Mailbox::new(m.name.as_deref().map(clean_line), address))
}

fn bracketed(field: &str, id: &str) -> Result<String, MailError> {
    let bare = normalize_message_id(id).filter(|i| i.is_ascii() && i.contains('@'));
    bare.map(|i| format!("<{i}>"))
        .ok_or_else(|| MailError::Build(format!("{field} {id:?} is not a message id")))
}

/// Builds the lettre message (headers, envelope and MIME body) for `mail` sent from `from`.
pub(crate) fn build_message(mail: &OutboundMail, from: &MailAddress) -> Result<Message, MailError> {
    let mut builder = Message::builder()
        .from(to_mailbox(from)?)
        .to(to_mailbox(&mail.to)?)
        .subject(clean_line(&mail.subject))
        .message_id(Some(bracketed("Message-ID", &mail.message_id)?))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            mail.lang.code().to_string(),
        ));
    if let Some(id) = &mail.in_reply_to {
        builder = builder.in_reply_to(bracketed("In-Reply-To", id)?);
    }
    let mut refs = mail
        .references
        .iter()
        .map(|id| bracketed("References", id))
        .collect::<Result<Vec<_>, _>>()?;
    if refs.len() > MAX_OUTBOUND_REFERENCES {
        refs.drain(1..refs.len() - (MAX_OUTBOUND_REFERENCES - 1));
    }
    if !refs.is_empty() {
        builder = builder.references(refs.join(" "));
    }
    if mail.auto_submitted {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
    }
    let built = match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone())),
        None => builder.singlepart(SinglePart::plain(mail.text.clone())),
    };
    built.map_err(|e| MailError::Build(e.to_string()))
}

/// The message as it goes on the wire (for a copy in the ticket, or a test).
pub fn render(mail: &OutboundMail, from: &MailAddress) -> Result<Vec<u8>, MailError> {
    Ok(build_message(mail, from)?.formatted())
}
