//! Files on tickets: photos of a broken product, invoices, a video of the noise. They come with
//! e-mail, from the portal, the public follow page, agents and the API.
//!
//! Every file is checked before anything is written: a size limit (`attachment_max_bytes`, default
//! 10 MiB), a safe file name (no directories, no control characters, at most 200 characters), and
//! the content-type rule of inbound mail ([`kefu_mail::ContentTypeRule`]: no HTML, SVG, scripts or
//! executables). The bytes go into the database (base64, so backups stay JSON) or, with
//! `attachments_dir` set, into that directory under their SHA-256 (written to a temporary name and
//! renamed, so a half-written file is never served).
//!
//! A file is internal (the staff's) or shared with the customer, chosen when it is attached:
//! the staff's files are internal unless they share them; what a customer sends (the portal, the
//! API, e-mail) is shared. A customer sees the shared files of the tickets they see, never one on
//! an internal note (docs/roles.md).

use crate::{Actor, App, AppError, AppResult};
use base64::Engine;
use kefu_core::{Invalid, Role};
use kefu_mail::ContentTypeRule;
use kefu_store::{Attachment, MessageKind, NewAttachment};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The longest file name kept, in characters.
const MAX_FILENAME_CHARS: usize = 200;

/// A file as it arrives.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub filename: String,
    /// As the sender declared it; parameters are dropped.
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub content_id: Option<String>,
    pub inline: bool,
}

/// Who sees a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// The staff only: the default for the staff's files.
    #[default]
    Internal,
    /// The customer too.
    Shared,
}

impl Visibility {
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "internal" => Ok(Visibility::Internal),
            "shared" => Ok(Visibility::Shared),
            other => Err(Invalid::one(
                "visibility",
                "unknown_visibility",
                format!("unknown visibility {other:?}; use internal or shared"),
            )),
        }
    }
}

/// Where attachment bytes are kept and what is taken.
#[derive(Debug, Clone)]
pub struct AttachmentPolicy {
    pub max_bytes: u64,
    pub rule: ContentTypeRule,
    /// `None`: in the database.
    pub dir: Option<PathBuf>,
}

impl Default for AttachmentPolicy {
    fn default() -> Self {
        AttachmentPolicy {
            max_bytes: 10 << 20,
            rule: ContentTypeRule::default(),
            dir: None,
        }
    }
}

/// A file name safe to store and to offer for download: the last path segment, control
/// characters and the characters Windows forbids replaced, trimmed, shortened.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let short: String = trimmed.chars().take(MAX_FILENAME_CHARS).collect();
    if short.is_empty() { "file".to_owned() } else { short }
}

/// `type/subtype` in lower case without parameters; `application/octet-stream` when missing or malformed.
pub fn clean_content_type(ct: &str) -> String {
    let t = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ok = t.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.' | b'+' | b'-' | b'_'))
    });
    if ok { t } else { "application/octet-stream".to_owned() }
}

/// Checks one upload against the policy: the error names the file and says why.
pub fn check_upload(policy: &AttachmentPolicy, u: &Upload) -> Result<(String, String), Invalid> {
    let filename = safe_filename(&u.filename);
    let content_type = clean_content_type(&u.content_type);
    if u.bytes.is_empty() {
        return Err(Invalid::one("file", "empty_file", format!("{filename} is empty")));
    }
    if u.bytes.len() as u64 > policy.max_bytes {
        return Err(Invalid::one(
            "file",
            "file_too_large",
            format!(
                "{filename} has {} bytes; the limit is {} bytes",
                u.bytes.len(),
                policy.max_bytes
            ),
        ));
    }
    policy
        .rule
        .check(&content_type, &filename)
        .map_err(|why| Invalid::one("file", "file_type_refused", format!("{filename}: {why}")))?;
    Ok((filename, content_type))
}

/// A stored file that cannot be read back (a server-side fault, answered 500).
fn broken(what: String) -> AppError {
    AppError::Store(kefu_store::StoreError::Data(what))
}

fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(sha)
}

impl App {
    /// Adds files to a ticket (and to one of its messages), all or none. Staff may attach to any
    /// ticket they see, internal unless `visibility` shares them; a customer to their own tickets,
    /// not to internal notes, and its files are shared (`None` takes these defaults).
    pub async fn attach(
        &self,
        actor: &Actor,
        ticket_id: i64,
        message_id: Option<i64>,
        visibility: Option<Visibility>,
        uploads: Vec<Upload>,
    ) -> AppResult<Vec<Attachment>> {
        let t = self.visible_ticket(actor, ticket_id).await?;
        if actor.role() == Role::Technician {
            return Err(AppError::Forbidden);
        }
        let visibility = match (actor.sees_staff_fields(), visibility) {
            (true, v) => v.unwrap_or_default(),
            (false, None | Some(Visibility::Shared)) => Visibility::Shared,
            (false, Some(Visibility::Internal)) => {
                return Err(Invalid::one(
                    "visibility",
                    "staff_only",
                    "a customer's files are shared with the service staff",
                )
                .into());
            }
        };
        if let Some(m) = message_id {
            let messages = self.store.ticket_messages(t.id).await?;
            let msg = messages.iter().find(|x| x.id == m).ok_or_else(|| {
                Invalid::one(
                    "message_id",
                    "unknown_message",
                    format!("no message {m} on this ticket"),
                )
            })?;
            if actor.role() == Role::Customer && msg.kind == MessageKind::Internal {
                return Err(AppError::NotFound);
            }
            if msg.kind == MessageKind::Internal && visibility == Visibility::Shared {
                return Err(Invalid::one(
                    "visibility",
                    "internal_note",
                    "a file on an internal note stays internal",
                )
                .into());
            }
        }
        self.store_files(t.id, message_id, actor.user_id(), visibility, uploads)
            .await
    }

    /// Checks and stores files without an actor check (e-mail in).
    pub(crate) async fn store_files(
        &self,
        ticket_id: i64,
        message_id: Option<i64>,
        uploaded_by: Option<i64>,
        visibility: Visibility,
        uploads: Vec<Upload>,
    ) -> AppResult<Vec<Attachment>> {
        let policy = &self.config.attachments;
        // Every file is checked before any is written.
        let mut checked = Vec::with_capacity(uploads.len());
        for u in &uploads {
            checked.push(check_upload(policy, u)?);
        }
        let now = self.now();
        let mut files = Vec::with_capacity(uploads.len());
        for (u, (filename, content_type)) in uploads.into_iter().zip(checked) {
            let sha = hex::encode(Sha256::digest(&u.bytes));
            let data_base64 = match &policy.dir {
                None => Some(base64::engine::general_purpose::STANDARD.encode(&u.bytes)),
                Some(dir) => {
                    write_blob(dir, &sha, u.bytes.clone()).await?;
                    None
                }
            };
            files.push(NewAttachment {
                ticket_id,
                message_id,
                filename,
                content_type,
                size: u.bytes.len() as i64,
                sha256: sha,
                content_id: u.content_id.filter(|c| c.len() <= 200),
                inline: u.inline,
                shared: visibility == Visibility::Shared,
                data_base64,
                uploaded_by,
                now,
            });
        }
        Ok(self.store.add_attachments(&files).await?)
    }

    /// The files of a ticket the caller sees (a customer: the shared ones, none on internal notes).
    pub async fn ticket_attachments(&self, actor: &Actor, ticket_id: i64) -> AppResult<Vec<Attachment>> {
        let t = self.visible_ticket(actor, ticket_id).await?;
        self.attachments_for(actor, &t).await
    }

    /// [`Self::ticket_attachments`] of a ticket already checked to be visible to the actor.
    pub(crate) async fn attachments_for(&self, actor: &Actor, t: &kefu_store::Ticket) -> AppResult<Vec<Attachment>> {
        let mut files = self.store.attachments_of(t.id).await?;
        if actor.role() == Role::Customer {
            let internal: Vec<i64> = self
                .store
                .ticket_messages(t.id)
                .await?
                .into_iter()
                .filter(|m| m.kind == MessageKind::Internal)
                .map(|m| m.id)
                .collect();
            files.retain(|f| f.shared && f.message_id.is_none_or(|m| !internal.contains(&m)));
        }
        Ok(files)
    }

    /// One file and its bytes, if the caller may see it.
    pub async fn attachment_content(&self, actor: &Actor, id: i64) -> AppResult<(Attachment, Vec<u8>)> {
        let a = self.store.attachment(id).await?;
        let visible = self.ticket_attachments(actor, a.ticket_id).await?;
        if !visible.iter().any(|f| f.id == id) {
            return Err(AppError::NotFound);
        }
        self.attachment_bytes(a).await
    }

    /// The bytes of a file, checked against its SHA-256.
    pub(crate) async fn attachment_bytes(&self, a: Attachment) -> AppResult<(Attachment, Vec<u8>)> {
        let bytes = match self.store.attachment_data(a.id).await? {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|e| broken(format!("attachment {}: {e}", a.id)))?,
            None => {
                let dir = self.config.attachments.dir.as_ref().ok_or_else(|| {
                    broken(format!(
                        "attachment {} is kept in a directory, and attachments_dir is not set",
                        a.id
                    ))
                })?;
                let path = blob_path(dir, &a.sha256);
                tokio::fs::read(&path)
                    .await
                    .map_err(|e| broken(format!("attachment {}: {}: {e}", a.id, path.display())))?
            }
        };
        if hex::encode(Sha256::digest(&bytes)) != a.sha256 {
            return Err(broken(format!("attachment {} does not match its SHA-256", a.id)));
        }
        Ok((a, bytes))
    }
}

async fn write_blob(dir: &Path, sha: &str, bytes: Vec<u8>) -> AppResult<()> {
    let path = blob_path(dir, sha);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(());
    }
    let parent = path.parent().expect("a blob path has a parent").to_owned();
    let io = |e: std::io::Error| broken(format!("attachments_dir {}: {e}", parent.display()));
    tokio::fs::create_dir_all(&parent).await.map_err(io)?;
    let tmp = parent.join(format!("{sha}.{}.tmp", rand::random::<u64>()));
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\Users\\王芳\\发票.pdf"), "发票.pdf");
        assert_eq!(safe_filename("a\u{0}b\r\n.jpg"), "a_b__.jpg");
        assert_eq!(safe_filename("..hidden"), "hidden");
        assert_eq!(safe_filename("  "), "file");
        assert_eq!(safe_filename(&"长".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn content_types_are_cleaned() {
        assert_eq!(clean_content_type("Image/JPEG; name=x"), "image/jpeg");
        assert_eq!(clean_content_type(""), "application/octet-stream");
        assert_eq!(clean_content_type("text/html\r\nX-Evil: 1"), "application/octet-stream");
    }

    #[test]
    fn uploads_are_checked() {
        let policy = AttachmentPolicy {
            max_bytes: 10,
            ..Default::default()
        };
        let up = |name: &str, ct: &str, n: usize| Upload {
            filename: name.into(),
            content_type: ct.into(),
            bytes: vec![1; n],
            ..Default::default()
        };
        assert_eq!(
            check_upload(&policy, &up("照片.jpg", "image/jpeg", 10)).unwrap(),
            ("照片.jpg".to_owned(), "image/jpeg".to_owned())
        );
        let code = |r: Result<_, Invalid>| r.unwrap_err().errors[0].code;
        assert_eq!(
            code(check_upload(&policy, &up("a.jpg", "image/jpeg", 11))),
            "file_too_large"
        );
        assert_eq!(code(check_upload(&policy, &up("a.jpg", "image/jpeg", 0))), "empty_file");
        assert_eq!(
            code(check_upload(&policy, &up("a.svg", "image/svg+xml", 5))),
            "file_type_refused"
        );
        assert_eq!(
            code(check_upload(&policy, &up("setup.exe", "application/octet-stream", 5))),
            "file_type_refused"
        );
        assert_eq!(
            code(check_upload(&policy, &up("x.html", "text/html", 5))),
            "file_type_refused"
        );
    }
}
