//! Inbound mail: one raw RFC 5322 message in, an [`InboundMail`] out, or a [`MailError`] that names what is wrong.
//!
//! The parse is liberal where mail clients are sloppy (legacy Chinese charsets, raw 8-bit headers) and strict
//! where a sloppy message could hurt us (broken MIME structure, oversize parts, refused attachment types).

use std::borrow::Cow;
use std::io::Read;

use jiff::Timestamp;
use kefu_core::Email;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use crate::MailError;
use crate::html::sanitize_html;

const MIB: u64 = 1024 * 1024;
/// Message-IDs longer than a header line may be are not ids but garbage.
const MAX_ID_LEN: usize = 998;
/// A References header with more ids than this is cut to its newest ids (threads this long are mail loops).
const MAX_REFERENCES: usize = 100;

/// What an inbound message may weigh and carry. [`Default`] suits a help desk; the app may load its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundLimits {
    /// The whole raw message, in bytes (default 25 MiB, what the large free mail providers let people send).
    pub max_message_bytes: u64,
    /// One attachment, decoded, in bytes (default 10 MiB).
    pub max_attachment_bytes: u64,
    /// All attachments together, decoded, in bytes (default 20 MiB).
    pub max_total_attachment_bytes: u64,
    /// How many attachments, inline images included (default 32).
    pub max_attachments: usize,
    /// Which attachment types are taken.
    pub content_types: ContentTypeRule,
    /// Keep `http(s)` image sources in the sanitised HTML. Off by default: a remote image is a tracking pixel
    /// that tells the sender when an agent opened the ticket, and it loads third-party content into our pages.
    pub allow_remote_images: bool,
}

impl Default for InboundLimits {
    fn default() -> Self {
        InboundLimits {
            max_message_bytes: 25 * MIB,
            max_attachment_bytes: 10 * MIB,
            max_total_attachment_bytes: 20 * MIB,
            max_attachments: 32,
            content_types: ContentTypeRule::default(),
            allow_remote_images: false,
        }
    }
}

/// The allow/deny rule for attachment content types and file names.
///
/// A pattern is a full type (`application/pdf`) or a prefix ending in `*` (`image/*`,
/// `application/vnd.openxmlformats-officedocument.*`); matching ignores case and parameters. An attachment is
/// taken when its type matches no `deny` pattern, matches an `allow` pattern (an empty `allow` list allows every
/// type) and its file name does not end in one of `deny_extensions`. The extension check exists because
/// clients label anything they do not know as `application/octet-stream`, which the default allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentTypeRule {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    /// Lower-case extensions without the dot (`exe`).
    pub deny_extensions: Vec<String>,
}

impl Default for ContentTypeRule {
    /// Pictures, sound, video, PDF, office documents (Microsoft, OpenDocument, WPS), OFD e-invoices (`application/ofd`),
    /// archives, plain text and CSV, forwarded mail and delivery reports; never SVG or HTML (script in a file we
    /// later serve), never executables or scripts by name.
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        ContentTypeRule {
            allow: s(&[
                "image/*",
                "audio/*",
                "video/*",
                "text/plain",
                "text/csv",
                "text/calendar",
                "text/rfc822-headers",
                "message/rfc822",
                "message/delivery-status",
                "message/disposition-notification",
                "application/pdf",
                "application/ofd",
                "application/xml",
                "text/xml",
                "application/json",
                "application/rtf",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.ms-powerpoint",
                "application/vnd.ms-outlook",
                "application/vnd.openxmlformats-officedocument.*",
                "application/vnd.oasis.opendocument.*",
                "application/wps-office.*",
                "application/kswps",
                "application/kset",
                "application/ksdps",
                "application/zip",
                "application/x-zip-compressed",
                "application/x-7z-compressed",
                "application/x-rar-compressed",
                "application/vnd.rar",
                "application/gzip",
                "application/x-tar",
                "application/octet-stream",
            ]),
            deny: s(&[
                "image/svg+xml",
                "text/html",
                "application/xhtml+xml",
                "application/javascript",
            ]),
            deny_extensions: s(&[
                "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "js", "jse", "vbs", "vbe", "wsf",
                "wsh", "hta", "ps1", "psm1", "jar", "lnk", "reg", "svg", "svgz", "htm", "html", "xhtml", "shtml",
            ]),
        }
    }
}

impl ContentTypeRule {
    /// `Err(reason)` when the rule refuses an attachment of this type and name.
    pub fn check(&self, content_type: &str, filename: &str) -> Result<(), String> {
        let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let matches = |pattern: &String| {
            let p = pattern.trim().to_ascii_lowercase();
            match p.strip_suffix('*') {
                Some(prefix) => ct.starts_with(prefix),
                None => ct == p,
            }
        };
        if let Some(p) = self.deny.iter().find(|p| matches(p)) {
            return Err(format!("type {ct} is denied by {p:?}"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(matches) {
            return Err(format!("type {ct} is not in the allowed list"));
        }
        if let Some((_, ext)) = filename.rsplit_once('.') {
            let ext = ext.trim().to_ascii_lowercase();
            if self.deny_extensions.contains(&ext) {
                return Err(format!("file extension .{ext} is denied"));
            }
        }
        Ok(())
    }
}

/// One mailbox from a header: the address (lower-cased, validated) and the display name if there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAddress {
    pub address: Email,
    pub name: Option<String>,
}

/// One attachment (or inline image) of an inbound message, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// A safe file name: no directories, no control characters; `attachment-N.bin` when the sender gave none.
    pub filename: String,
    /// `type/subtype`, lower case, no parameters.
    pub content_type: String,
    /// The `Content-ID` without `<>`, which the HTML body refers to as `cid:...`.
    pub content_id: Option<String>,
    /// Shown inside the body rather than offered as a download.
    pub inline: bool,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("content_id", &self.content_id)
            .field("inline", &self.inline)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .finish()
    }
}

/// Why a message was written by a machine rather than a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// A delivery failure report (`multipart/report; report-type=delivery-status`, `MAILER-DAEMON`).
    Bounce,
    /// An out-of-office or other automatic answer (`Auto-Submitted`, `X-Autoreply`, `Precedence: auto_reply`,
    /// an empty `Return-Path`, a read receipt).
    AutoReply,
    /// Mass mail (`Precedence: bulk|junk|list`, `List-Id`).
    Bulk,
}

/// The verdict of the loop detector: what kind of machine mail this is and the header that told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Automatic {
    pub kind: AutoKind,
    /// The evidence, e.g. `Auto-Submitted: auto-replied`, for the log.
    pub reason: String,
    /// For a bounce, the Message-ID of the message that could not be delivered, when the report quotes it;
    /// the app finds its own notification by it.
    pub original_message_id: Option<String>,
}

/// A parsed, checked inbound message. Text fields are UTF-8 whatever the sender's charset was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub from: MailAddress,
    pub reply_to: Option<MailAddress>,
    /// Mailboxes whose address is unusable are left out of `to` and `cc`.
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    /// Decoded, folding and control characters removed; empty when there was none.
    pub subject: String,
    /// All message ids are normalised without the angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    /// Oldest first, as in the header.
    pub references: Vec<String>,
    /// The `Date` header when it is a real date (senders' clocks lie; the app stores its own receive time too).
    pub date: Option<Timestamp>,
    /// The text body: the text/plain parts, or text derived from the HTML when the message has only HTML.
    pub text: String,
    /// The HTML body sanitised by ammonia (see [`crate::html`]), `None` when the message had no HTML part.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// `Some` for bounces, auto-replies and bulk mail: never answer these automatically (mail loops).
    pub automatic: Option<Automatic>,
}

impl InboundMail {
    /// True for bounces, auto-replies and bulk mail.
    pub fn is_automatic(&self) -> bool {
        self.automatic.is_some()
    }
}

/// Reads one raw message from `reader` (e.g. stdin for `kefu mail ingest`) without ever holding more than
/// `limits.max_message_bytes + 1` bytes: a larger message is refused with [`MailError::MessageTooLarge`].
pub fn read_message<R: Read>(reader: R, limits: &InboundLimits) -> Result<Vec<u8>, MailError> {
    let mut raw = Vec::new();
    reader
        .take(limits.max_message_bytes.saturating_add(1))
        .read_to_end(&mut raw)
        .map_err(|e| MailError::NotAMessage(format!("reading the message failed: {e}")))?;
    if raw.len() as u64 > limits.max_message_bytes {
        return Err(MailError::MessageTooLarge {
            size: raw.len() as u64,
            limit: limits.max_message_bytes,
        });
    }
    Ok(raw)
}

/// Parses and checks one raw RFC 5322 message. See the crate documentation for what is checked.
pub fn parse_inbound(raw: &[u8], limits: &InboundLimits) -> Result<InboundMail, MailError> {
    if raw.len() as u64 > limits.max_message_bytes {
        return Err(MailError::MessageTooLarge {
            size: raw.len() as u64,
            limit: limits.max_message_bytes,
        });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MailError::NotAMessage("the input is empty".into()));
    }
    let raw = utf8_header_block(raw);
    let message = MessageParser::default()
        .parse(raw.as_ref())
        .ok_or_else(|| MailError::NotAMessage("no header fields found".into()))?;
    if message.headers().is_empty() {
        return Err(MailError::NotAMessage("no header fields found".into()));
    }
    check_mime_structure(&message, raw.as_ref())?;

    let from = match message.from() {
        None => {
            return Err(MailError::BadHeader {
                header: "From",
                detail: "missing".into(),
            });
        }
        Some(a) => first_mailbox(a).map_err(|detail| MailError::BadHeader { header: "From", detail })?,
    };
    let reply_to = message.reply_to().and_then(|a| first_mailbox(a).ok());
    let to = message.to().map(all_mailboxes).unwrap_or_default();
    let cc = message.cc().map(all_mailboxes).unwrap_or_default();
    let subject = message.subject().map(clean_line).unwrap_or_default();
    let message_id = message.message_id().and_then(normalize_message_id);
    let in_reply_to = message_ids(message.in_reply_to());
    let mut references = message_ids(message.references());
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let date = message
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| Timestamp::from_second(d.to_timestamp()).ok());

    let text = body_text(&message);
    let html = body_html(&message).map(|h| sanitize_html(&h, limits.allow_remote_images));
    let attachments = attachments(&message, limits)?;
    let automatic = detect_automatic(&message, &from);

    Ok(InboundMail {
        from,
        reply_to,
        to,
        cc,
        subject,
        message_id,
        in_reply_to,
        references,
        date,
        text,
        html,
        attachments,
        automatic,
    })
}

/// Some Chinese clients and scripts put raw GBK bytes in headers instead of RFC 2047 encoded words. The top-level
/// header block is re-decoded as GB18030 (a superset of GB2312 and GBK that leaves ASCII alone) when it is not
/// valid UTF-8; the body keeps its bytes, as its parts declare their own charsets.
fn utf8_header_block(raw: &[u8]) -> Cow<'_, [u8]> {
    let end = header_end(raw);
    let head = &raw[..end];
    if std::str::from_utf8(head).is_ok() {
        return Cow::Borrowed(raw);
    }
    let (decoded, _, _) = encoding_rs::GB18030.decode(head);
    let mut out = Vec::with_capacity(raw.len() + decoded.len() / 2);
    out.extend_from_slice(decoded.as_bytes());
    out.extend_from_slice(&raw[end..]);
    Cow::Owned(out)
}

/// Where the header block ends: after the line end that precedes the first blank line (CRLF or bare LF).
fn header_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while let Some(off) = raw[i..].iter().position(|&b| b == b'\n') {
        let next = i + off + 1;
        if raw[next..].starts_with(b"\n") || raw[next..].starts_with(b"\r\n") {
            return next;
        }
        i = next;
    }
    raw.len()
}

/// Searches from the end: closing boundaries sit at the end of their multipart, after the (large) attachments.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// A name for a part in error messages: its position, type and file name.
fn describe_part(message: &Message<'_>, index: usize) -> String {
    let part = &message.parts[index];
    let ct = part_content_type(part);
    match part.attachment_name() {
        Some(name) => format!("part {index} ({ct}, {name:?})"),
        None if index == 0 => format!("the message body ({ct})"),
        None => format!("part {index} ({ct})"),
    }
}

/// mail-parser recovers what it can from a broken message; we refuse it instead, so that a truncated upload or a
/// hand-made message never lands half-read in a ticket.
fn check_mime_structure(message: &Message<'_>, raw: &[u8]) -> Result<(), MailError> {
    for (index, part) in message.parts.iter().enumerate() {
        let broken = |detail: String| MailError::BrokenMime {
            part: describe_part(message, index),
            detail,
        };
        let declared = part.content_type();
        let is_multipart = declared.is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"));
        if is_multipart {
            let boundary = declared.and_then(|c| c.attribute("boundary"));
            match (&part.body, boundary) {
                (_, None) => return Err(broken("multipart without a boundary parameter".into())),
                (PartType::Multipart(_), Some(b)) => {
                    let close = [b"--".as_slice(), b.as_bytes(), b"--"].concat();
                    if rfind(raw, &close).is_none() {
                        return Err(broken(format!(
                            "the closing boundary --{b}-- is missing (the message is truncated)"
                        )));
                    }
                }
                (_, Some(b)) => {
                    return Err(broken(format!("the boundary {b:?} never appears in the body")));
                }
            }
        }
        if part.is_encoding_problem {
            let encoding = part.content_transfer_encoding().unwrap_or("7bit");
            return Err(broken(format!(
                "the content cannot be decoded ({encoding}), or its part boundary is missing"
            )));
        }
    }
    Ok(())
}

fn part_content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match part.body {
            PartType::Text(_) => "text/plain".into(),
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            PartType::Multipart(_) => "multipart/mixed".into(),
            _ => "application/octet-stream".into(),
        },
    }
}

fn mailbox(name: Option<&str>, address: Option<&str>) -> Result<MailAddress, String> {
    let address = address
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or("has no address")?;
    let address = Email::parse(address).map_err(|_| format!("{address:?} is not an e-mail address"))?;
    let name = name
        .map(|n| clean_line(n.trim().trim_matches('"')))
        .filter(|n| !n.is_empty());
    Ok(MailAddress { address, name })
}

fn mailboxes<'a>(a: &'a Address<'a>) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    match a {
        Address::List(list) => list.iter().map(|x| (x.name.as_deref(), x.address.as_deref())).collect(),
        Address::Group(groups) => groups
            .iter()
            .flat_map(|g| g.addresses.iter().map(|x| (x.name.as_deref(), x.address.as_deref())))
            .collect(),
    }
}

fn first_mailbox(a: &Address<'_>) -> Result<MailAddress, String> {
    let all = mailboxes(a);
    let (name, address) = all.first().copied().ok_or("has no mailbox")?;
    mailbox(name, address)
}

fn all_mailboxes(a: &Address<'_>) -> Vec<MailAddress> {
    mailboxes(a)
        .into_iter()
        .filter_map(|(n, x)| mailbox(n, x).ok())
        .collect()
}

/// One line of header text: folding and control characters become single spaces.
pub(crate) fn clean_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `<abc@host>` and `abc@host` are the same id; an id with blanks, controls or no content is no id.
pub(crate) fn normalize_message_id(id: &str) -> Option<String> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    ok.then(|| id.to_string())
}

fn message_ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => vec![],
    };
    let mut out: Vec<String> = Vec::new();
    for id in raw.into_iter().filter_map(normalize_message_id) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Line ends as `\n`, no NULs, no trailing blank lines.
fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace(['\r', '\0'], "\n");
    s.trim_end().to_string()
}

fn body_text(message: &Message<'_>) -> String {
    let parts: Vec<String> = (0..message.text_body_count())
        .filter_map(|i| message.body_text(i))
        .map(|t| clean_text(&t))
        .filter(|t| !t.is_empty())
        .collect();
    parts.join("\n\n")
}

/// Only real text/html parts: mail-parser would otherwise offer an HTML rendering of a text-only message.
fn body_html(message: &Message<'_>) -> Option<String> {
    let parts: Vec<String> = message
        .html_bodies()
        .filter_map(|p| match &p.body {
            PartType::Html(h) => Some(h.to_string()),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// A file name with no directory part, no control characters and no leading dots, at most 200 characters.
fn safe_filename(name: Option<&str>, index: usize, content_type: &str) -> String {
    let base = name
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    let base = base.trim().trim_start_matches('.').trim();
    if base.is_empty() {
        let ext = match content_type {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            "application/pdf" => "pdf",
            "text/plain" => "txt",
            "message/rfc822" => "eml",
            _ => "bin",
        };
        return format!("attachment-{}.{ext}", index + 1);
    }
    base.chars().take(200).collect()
}

fn attachments(message: &Message<'_>, limits: &InboundLimits) -> Result<Vec<Attachment>, MailError> {
    let count = message.attachment_count();
    if count > limits.max_attachments {
        return Err(MailError::TooManyAttachments {
            count,
            limit: limits.max_attachments,
        });
    }
    let mut out = Vec::with_capacity(count);
    let mut total: u64 = 0;
    for (index, part) in message.attachments().enumerate() {
        let content_type = part_content_type(part);
        let filename = safe_filename(part.attachment_name(), index, &content_type);
        let bytes = part.contents();
        let size = bytes.len() as u64;
        if size > limits.max_attachment_bytes {
            return Err(MailError::AttachmentTooLarge {
                filename,
                size,
                limit: limits.max_attachment_bytes,
            });
        }
        total += size;
        if total > limits.max_total_attachment_bytes {
            return Err(MailError::AttachmentsTooLarge {
                total,
                limit: limits.max_total_attachment_bytes,
            });
        }
        if let Err(reason) = limits.content_types.check(&content_type, &filename) {
            return Err(MailError::AttachmentRefused {
                filename,
                content_type,
                reason,
            });
        }
        let inline = part
            .content_disposition()
            .map(|d| d.is_inline())
            .unwrap_or(part.content_id().is_some());
        out.push(Attachment {
            filename,
            content_type,
            content_id: part.content_id().and_then(normalize_message_id),
            inline,
            bytes: bytes.to_vec(),
        });
    }
    Ok(out)
}

fn header_text<'x>(message: &'x Message<'x>, name: &'x str) -> Option<&'x str> {
    message.header_raw(name).map(str::trim).filter(|v| !v.is_empty())
}

/// RFC 3834 and the common de-facto headers; the first rule that matches wins, bounces before auto-replies
/// before bulk, so a bounce is reported as a bounce even when it also carries `Auto-Submitted`.
fn detect_automatic(message: &Message<'_>, from: &MailAddress) -> Option<Automatic> {
    let auto = |kind, reason: String| {
        Some(Automatic {
            kind,
            reason,
            original_message_id: None,
        })
    };
    let root_type = message.parts.first().and_then(|p| p.content_type());
    if let Some(ct) = root_type.filter(|c| c.ctype().eq_ignore_ascii_case("multipart"))
        && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        let report_type = ct.attribute("report-type").unwrap_or("").to_ascii_lowercase();
        let kind = if report_type == "disposition-notification" {
            AutoKind::AutoReply
        } else {
            AutoKind::Bounce
        };
        return Some(Automatic {
            kind,
            reason: format!("Content-Type: multipart/report; report-type={report_type}"),
            original_message_id: reported_message_id(message),
        });
    }
    let local = from.address.as_str().split('@').next().unwrap_or("");
    if local.eq_ignore_ascii_case("mailer-daemon") {
        return Some(Automatic {
            kind: AutoKind::Bounce,
            reason: format!("From: {}", from.address),
            original_message_id: reported_message_id(message),
        });
    }
    if let Some(v) = header_text(message, "Auto-Submitted") {
        let token = v.split(';').next().unwrap_or("").trim();
        if !token.eq_ignore_ascii_case("no") {
            return auto(AutoKind::AutoReply, format!("Auto-Submitted: {token}"));
        }
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder"] {
        if let Some(v) = header_text(message, name) {
            return auto(AutoKind::AutoReply, format!("{name}: {v}"));
        }
    }
    if let Some(v) = header_text(message, "Precedence") {
        let v = v.to_ascii_lowercase();
        match v.as_str() {
            "auto_reply" => return auto(AutoKind::AutoReply, format!("Precedence: {v}")),
            "bulk" | "junk" | "list" => return auto(AutoKind::Bulk, format!("Precedence: {v}")),
            _ => {}
        }
    }
    if header_text(message, "Return-Path").is_some_and(|v| v == "<>") {
        return auto(AutoKind::AutoReply, "Return-Path: <> (null sender)".into());
    }
    if let Some(v) = header_text(message, "List-Id") {
        return auto(AutoKind::Bulk, format!("List-Id: {}", clean_line(v)));
    }
    None
}

/// The Message-ID of the undelivered message, from the report's `message/rfc822` or `text/rfc822-headers` part.
fn reported_message_id(message: &Message<'_>) -> Option<String> {
    message.parts.iter().skip(1).find_map(|part| match &part.body {
        PartType::Message(inner) => inner.message_id().and_then(normalize_message_id),
        PartType::Text(t) if part_content_type(part) == "text/rfc822-headers" => MessageParser::default()
            .parse_headers(t.as_bytes())
            .and_then(|m| m.message_id().and_then(normalize_message_id)),
        _ => None,
    })
}
