//! kefu's e-mail: one raw message in (`kefu mail ingest`, an IMAP/POP poll), notifications and replies out over
//! SMTP. No database and no ticket rules here: the app decides what a message means for a ticket; this crate
//! reads, checks and writes mail.
//!
//! # Inbound
//! ```text
//! read_message<R: Read>(reader: R, limits: &InboundLimits) -> Result<Vec<u8>, MailError>  // bounded read of stdin
//! parse_inbound(raw: &[u8], limits: &InboundLimits) -> Result<InboundMail, MailError>
//! thread_key(mail: &InboundMail) -> ThreadHint
//! ThreadHint::candidate_message_ids(&self) -> Vec<&str>
//! ThreadHint::sender_is_contact<'a>(&self, contacts: impl IntoIterator<Item = &'a str>) -> bool
//! sanitize_html(html: &str, allow_remote_images: bool) -> String
//! ```
//! [`InboundMail`] has `from`/`reply_to` ([`MailAddress`]: a validated, lower-cased [`kefu_core::Email`] and the
//! decoded display name), `to`, `cc`, `subject`, `message_id`, `in_reply_to`, `references` (ids without `<>`),
//! `date`, `text`, `html` (sanitised), `attachments` ([`Attachment`]: safe file name, content type, Content-ID,
//! inline flag, bytes) and `automatic` ([`Automatic`]: bounce, auto-reply or bulk, with the evidence and, for a
//! bounce, the Message-ID of the message that failed).
//!
//! What `parse_inbound` guarantees, each failure a [`MailError`] that names the header, part or file:
//! - Text in any charset mail-parser knows comes out as UTF-8: RFC 2047 words (`=?GB2312?B?...?=`,
//!   `=?GBK?Q?...?=`, `=?UTF-8?...?=`) and bodies in GB2312, GBK, GB18030, Big5, UTF-8, ... (GB2312 is read as
//!   GB18030, as Chinese clients label GBK text GB2312). Raw 8-bit GBK headers are read as GB18030.
//! - A missing or address-less `From` is refused; `To`/`Cc` keep only usable addresses.
//! - Broken MIME is refused, never half-read: a multipart without boundary, a boundary that never appears, a
//!   missing closing boundary (truncated message), a part whose transfer encoding cannot be decoded.
//! - Size: the raw message (default 25 MiB), each attachment (10 MiB), all attachments (20 MiB), their count (32);
//!   attachment types by [`ContentTypeRule`] (allow/deny patterns plus denied file extensions).
//! - HTML is sanitised with ammonia ([`html`]): no script, style, forms or event handlers, no `javascript:` or
//!   `data:` URLs, no relative URLs, and no remote images unless [`InboundLimits::allow_remote_images`]; inline
//!   `cid:` images stay, for the app to point at the stored attachment. `text` is the text/plain body, or text
//!   derived from the HTML when there is none.
//! - Loops: [`InboundMail::automatic`] is set for `multipart/report`, `MAILER-DAEMON`, `Auto-Submitted` (other than
//!   `no`), `X-Autoreply`/`X-Autorespond`, `Precedence: auto_reply|bulk|junk|list`, an empty `Return-Path` and
//!   `List-Id`. Never answer such a message automatically.
//!
//! Threading is decided by the app with the facts of [`ThreadHint`]; the rule (look up our own Message-IDs first,
//! then the `KF-YYYY-NNNNNN` reference in the subject, and append to a ticket only when the sender is its contact,
//! so a forged In-Reply-To cannot write into someone else's ticket) is in [`thread`].
//!
//! # Outbound
//! ```text
//! new_message_id(ticket: &str, domain: &str) -> Result<String, MailError>   // "kefu.{ticket}.{random}@{domain}"
//! parse_mailbox(s: &str) -> Result<MailAddress, MailError>                   // "客服中心 <support@example.com>"
//! render(mail: &OutboundMail, from: &MailAddress) -> Result<Vec<u8>, MailError>
//! SmtpUrl::parse(url: &str) -> Result<SmtpUrl, MailError>
//! SmtpSender::new(url: &str, from: MailAddress) -> Result<SmtpSender, MailError>
//! SmtpSender::send(&self, mail: &OutboundMail) -> impl Future<Output = Result<(), MailError>>
//! MailError::is_temporary(&self) -> bool / MailError::is_permanent(&self) -> bool
//! ```
//! [`OutboundMail`] has `to`, `subject`, `text`, `html`, `message_id`, `in_reply_to`, `references` (ids without
//! `<>`), `lang` (sent as `Content-Language`) and `auto_submitted` (`Auto-Submitted: auto-generated` for
//! notifications). Subjects and display names in Chinese are RFC 2047 UTF-8; bodies are UTF-8 (quoted-printable
//! or base64 as lettre sees fit). The SMTP URL is `smtp://user:pass@host:port?tls=none|starttls|tls&timeout=30`
//! (see [`SmtpUrl`]; the password is redacted in `Debug` and `Display`). A send job retries
//! [`MailError::SendTemporary`] (4xx, connection refused or lost, TLS trouble, timeout) with back-off and gives
//! up on [`MailError::SendPermanent`] (5xx such as `550` unknown recipient).

mod endpoint;
mod error;
pub mod html;
pub mod imap;
mod inbound;
mod outbound;
#[cfg(feature = "sink")]
pub mod sink;
#[cfg(feature = "sink")]
pub mod sink_imap;
mod smtp;
pub mod thread;

pub use error::MailError;
pub use html::sanitize_html;
pub use imap::{Disposition, ImapUrl, PollReport};
pub use inbound::{
    Attachment, AutoKind, Automatic, ContentTypeRule, InboundLimits, InboundMail, MailAddress, parse_inbound,
    read_message,
};
pub use outbound::{OutboundMail, new_message_id, parse_mailbox, render};
pub use smtp::{DEFAULT_TIMEOUT, SmtpSender, SmtpUrl, TlsMode};
pub use thread::{ThreadHint, thread_key};
