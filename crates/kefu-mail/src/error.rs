//! The one error type of the crate: every refusal names what is wrong, for a log line or a bounce text.

use thiserror::Error;

/// Everything that can go wrong reading or sending mail.
///
/// Inbound variants describe the message (the caller should refuse it and change nothing); outbound variants
/// split into [`MailError::SendTemporary`] (retry with back-off) and [`MailError::SendPermanent`] (give up).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailError {
    /// The raw message is larger than [`crate::InboundLimits::max_message_bytes`].
    #[error("message is {size} bytes, over the limit of {limit} bytes")]
    MessageTooLarge { size: u64, limit: u64 },
    /// The input has no header block at all (empty, or not an RFC 5322 message).
    #[error("not an e-mail message: {0}")]
    NotAMessage(String),
    /// A header that must be there is missing or unusable (`From` without an address, ...).
    #[error("header {header}: {detail}")]
    BadHeader { header: &'static str, detail: String },
    /// The MIME structure cannot be trusted (missing or unmatched boundary, truncated multipart, undecodable part).
    #[error("broken MIME in {part}: {detail}")]
    BrokenMime { part: String, detail: String },
    /// One attachment is larger than [`crate::InboundLimits::max_attachment_bytes`].
    #[error("attachment {filename:?} is {size} bytes, over the limit of {limit} bytes")]
    AttachmentTooLarge { filename: String, size: u64, limit: u64 },
    /// All attachments together are larger than [`crate::InboundLimits::max_total_attachment_bytes`].
    #[error("attachments total {total} bytes, over the limit of {limit} bytes")]
    AttachmentsTooLarge { total: u64, limit: u64 },
    /// More attachments than [`crate::InboundLimits::max_attachments`].
    #[error("{count} attachments, over the limit of {limit}")]
    TooManyAttachments { count: usize, limit: usize },
    /// The attachment's content type or file name is refused by [`crate::ContentTypeRule`].
    #[error("attachment {filename:?} ({content_type}) is not accepted: {reason}")]
    AttachmentRefused {
        filename: String,
        content_type: String,
        reason: String,
    },
    /// The SMTP URL or sender configuration is unusable (the text never contains the password).
    #[error("SMTP configuration: {0}")]
    Config(String),
    /// The IMAP URL is unusable (the text never contains the password).
    #[error("IMAP configuration: {0}")]
    ImapConfig(String),
    /// Polling the IMAP mailbox failed: no connection, login or mailbox refused, no answer in time.
    #[error("IMAP poll failed: {0}")]
    Fetch(String),
    /// An outbound message cannot be built (bad address, bad Message-ID, ...).
    #[error("cannot build message: {0}")]
    Build(String),
    /// Sending failed in a way worth retrying later: a 4xx reply, the server is down or slow, TLS trouble.
    #[error("temporary SMTP failure{}: {detail}", code_text(*.code))]
    SendTemporary { code: Option<u16>, detail: String },
    /// Sending failed for good: a 5xx reply (unknown recipient, message refused). Do not retry this message.
    #[error("permanent SMTP failure{}: {detail}", code_text(*.code))]
    SendPermanent { code: Option<u16>, detail: String },
}

fn code_text(code: Option<u16>) -> String {
    code.map(|c| format!(" ({c})")).unwrap_or_default()
}

impl MailError {
    /// True when a send job should back off and try again.
    pub fn is_temporary(&self) -> bool {
        matches!(self, MailError::SendTemporary { .. })
    }

    /// True when a send job should give up on this message (and tell someone).
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::SendPermanent { .. })
    }
}
