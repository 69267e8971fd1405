//! Mail out (docs/mail.md#mail-out-notifications): a customer hears, by e-mail in their language,
//! that their ticket was received, that an agent replied, and when its status changes (waiting on
//! them, resolved, closed, reopened); staff hear of SLA breaches on their tickets; a portal user
//! gets their invitation link.
//!
//! The use case that made the change enqueues a `mail.notify` job after it committed, only when
//! SMTP is configured ([`MailOut`]). The job composes the mail (pure: [`compose`]), sends it over
//! SMTP and records the outcome in the ticket's notification log: `sent`, `failed` (a 5xx, or a
//! temporary failure on the job's last attempt), or `skipped` (no e-mail address). A temporary
//! failure (4xx, connection trouble) fails the job so that the worker retries it with back-off.
//!
//! Threading: the subject carries the ticket reference `[KF-2026-000123]`, and the Message-ID of
//! every sent mail is stored, so a customer's answer to any notification lands on its ticket
//! (`kefu mail ingest`). A reply notification answers the customer's last e-mail (In-Reply-To).
//!
//! The follow link of a ticket filed through the public form is in the confirmation only: its
//! token is stored hashed, so it travels once, in the job's payload.

use crate::{App, AppError, AppResult};
use kefu_core::Language;
use kefu_core::i18n::Tr;
use kefu_core::sla::Metric;
use kefu_core::ticket::{Kind, Reference, Status};
use kefu_mail::{MailAddress, OutboundMail, SmtpSender, new_message_id, parse_mailbox};
use kefu_store::{AuthorKind, Job, MessageKind, NewJob, Notification};
use serde::{Deserialize, Serialize};

/// The job that sends one notification.
pub const NOTIFY_KIND: &str = "mail.notify";

/// Where mail goes out: the SMTP server and sender, and the address links in mail point at.
#[derive(Debug, Clone)]
pub struct MailOut {
    pub sender: SmtpSender,
    /// `https://kefu.example.com` (no trailing slash): the start of the links in mail; without it
    /// mail carries no links.
    pub public_url: Option<String>,
}

impl MailOut {
    /// Checks the configured SMTP URL, sender and public URL; the error names the bad one.
    pub fn new(smtp_url: &str, mail_from: &str, public_url: Option<&str>) -> Result<MailOut, String> {
        let from = parse_mailbox(mail_from).map_err(|e| format!("mail_from: {e}"))?;
        let sender = SmtpSender::new(smtp_url, from).map_err(|e| format!("smtp_url: {e}"))?;
        let public_url = match public_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => {
                let parsed = url::Url::parse(u).map_err(|e| format!("public_url {u:?}: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(format!("public_url {u:?}: give an http:// or https:// address"));
                }
                Some(u.trim_end_matches('/').to_owned())
            }
        };
        Ok(MailOut { sender, public_url })
    }

    /// The domain of the sender's address: the right-hand side of our Message-IDs.
    fn domain(&self) -> String {
        let a = self.sender.from_address().address.as_str();
        a.rsplit('@').next().unwrap_or("localhost").to_owned()
    }
}

/// What to tell, as the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum Notice {
    /// A ticket was filed; `follow_token` for the public form's link.
    #[serde(rename = "ticket.created")]
    Created {
        ticket_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        follow_token: Option<String>,
    },
    /// An agent replied (the message's row id).
    #[serde(rename = "ticket.reply")]
    Reply { ticket_id: i64, message_id: i64 },
    /// The ticket's status changed to `status`.
    #[serde(rename = "ticket.status")]
    Status { ticket_id: i64, status: Status },
    /// An SLA target was breached.
    #[serde(rename = "sla.breach")]
    Breach { ticket_id: i64, metric: Metric },
    /// The public form was filed with a known contact's address: the contact is asked, by its
    /// reference and a link alone (no text the filer chose), to confirm that it was them.
    #[serde(rename = "ticket.confirm_requester")]
    ConfirmRequester { ticket_id: i64, token: String },
    /// A portal user's invitation link.
    #[serde(rename = "invitation")]
    Invitation { user_id: i64, token: String },
    /// A survey campaign's invitation: the link and its plain token.
    #[serde(rename = "survey.invitation")]
    SurveyInvitation { link_id: i64, token: String },
    /// Sign-ins to a user's account keep failing from an address: kefu slows them down and tells
    /// the owner.
    #[serde(rename = "login.failures")]
    LoginFailures {
        user_id: i64,
        ip: Option<String>,
        failures: u32,
    },
}

impl Notice {
    pub fn event(&self) -> &'static str {
        match self {
            Notice::Created { .. } => "ticket.created",
            Notice::ConfirmRequester { .. } => "ticket.confirm_requester",
            Notice::Reply { .. } => "ticket.reply",
            Notice::Status { .. } => "ticket.status",
            Notice::Breach { .. } => "sla.breach",
            Notice::Invitation { .. } => "invitation",
            Notice::SurveyInvitation { .. } => "survey.invitation",
            Notice::LoginFailures { .. } => "login.failures",
        }
    }

    fn ticket_id(&self) -> Option<i64> {
        match self {
            Notice::Created { ticket_id, .. }
            | Notice::ConfirmRequester { ticket_id, .. }
            | Notice::Reply { ticket_id, .. }
            | Notice::Status { ticket_id, .. }
            | Notice::Breach { ticket_id, .. } => Some(*ticket_id),
            Notice::Invitation { .. } | Notice::SurveyInvitation { .. } | Notice::LoginFailures { .. } => None,
        }
    }
}

/// Whether a move to `to` (from `from`) is news to the customer: waiting on them, resolved,
/// closed, or reopened. `new → open` is housekeeping.
pub fn status_is_news(from: Status, to: Status) -> bool {
    match to {
        Status::Pending | Status::Resolved | Status::Closed => from != to,
        Status::Open => matches!(from, Status::Resolved | Status::Closed),
        Status::New => false,
    }
}

/// The facts a notification is written from (read by the job, then composed without I/O).
#[derive(Debug, Clone)]
pub struct Facts {
    pub lang: Language,
    /// The organisation's name, the mail's signature.
    pub organisation: String,
    /// Whom it greets.
    pub name: String,
    pub reference: Option<Reference>,
    pub kind: Option<Kind>,
    pub subject: String,
    /// The first reply's due time, in the organisation's zone, `YYYY-MM-DD HH:MM`.
    pub first_reply_due: Option<String>,
    /// The agent's reply text (for a reply).
    pub body: String,
    /// An absolute link, when a public URL is configured.
    pub link: Option<String>,
    /// Days a resolved ticket can be reopened by answering.
    pub reopen_days: i64,
}

/// A composed notification: subject and text/plain body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub text: String,
}

/// Writes a notification in the reader's language, from the `mail.*` texts of the locale files
/// (`kefu_core::i18n`).
pub fn compose(notice: &Notice, f: &Facts) -> Composed {
    let tr = Tr::new(f.lang);
    // English writes a kind or a target in running text in lower case; Chinese has no case.
    let in_text = |label: &str| match f.lang {
        Language::En => label.to_lowercase(),
        Language::ZhCn => label.to_owned(),
    };
    let tag = f.reference.map(|r| format!("[{r}] ")).unwrap_or_default();
    let kind = in_text(f.kind.map(|k| k.label(f.lang)).unwrap_or(""));
    let reference = f.reference.map(|r| r.to_string()).unwrap_or_default();
    let organisation = f.organisation.as_str();
    let subject = f.subject.as_str();
    let mut lines: Vec<String> = vec![tr.f("mail.greeting", &[("name", &f.name)]), String::new()];
    let answer_hint = tr.t("mail.answer_hint");
    let subject = match notice {
        Notice::Created { .. } => {
            lines.push(tr.f("mail.created_received", &[("kind", &kind), ("reference", &reference)]));
            if let Some(due) = &f.first_reply_due {
                lines.push(tr.f("mail.created_due", &[("due", due)]));
            }
            if let Some(link) = &f.link {
                lines.push(tr.f("mail.created_follow", &[("link", link)]));
            }
            lines.push(answer_hint.to_owned());
            let s = tr.f("mail.created_subject", &[("kind", &kind), ("subject", &subject)]);
            format!("{tag}{s}")
        }
        // Only the reference and the link: nothing the filer typed reaches the address on file.
        Notice::ConfirmRequester { .. } => {
            lines.push(tr.f(
                "mail.confirm_line",
                &[("reference", &reference), ("organisation", &organisation)],
            ));
            match &f.link {
                Some(link) => lines.push(tr.f("mail.confirm_link", &[("link", link)])),
                None => lines.push(tr.t("mail.confirm_no_link").to_owned()),
            }
            lines.push(tr.t("mail.confirm_ignore").to_owned());
            format!("{tag}{}", tr.t("mail.confirm_subject"))
        }
        Notice::Reply { .. } => {
            lines.push(f.body.clone());
            lines.push(String::new());
            lines.push(answer_hint.to_owned());
            if let Some(link) = &f.link {
                lines.push(link.clone());
            }
            format!("{tag}{}", tr.f("mail.reply_subject", &[("subject", &subject)]))
        }
        Notice::Status { status, .. } => {
            let key = match status {
                Status::Pending => "mail.status_pending",
                Status::Resolved => "mail.status_resolved",
                Status::Closed => "mail.status_closed",
                Status::Open | Status::New => "mail.status_reopened",
            };
            lines.push(tr.f(
                key,
                &[("kind", &kind), ("reference", &reference), ("days", &f.reopen_days)],
            ));
            if let Some(link) = &f.link {
                lines.push(link.clone());
            }
            let label = status.label(f.lang);
            let s = tr.f("mail.status_subject", &[("status", &label), ("subject", &subject)]);
            format!("{tag}{s}")
        }
        Notice::Breach { metric, .. } => {
            let target = in_text(metric.label(f.lang));
            lines.push(tr.f(
                "mail.breach_line",
                &[("reference", &reference), ("subject", &subject), ("target", &target)],
            ));
            if let Some(link) = &f.link {
                lines.push(link.clone());
            }
            let s = tr.f("mail.breach_subject", &[("target", &target), ("subject", &subject)]);
            format!("{tag}{s}")
        }
        Notice::Invitation { .. } => {
            lines.push(tr.f("mail.invitation_line", &[("organisation", &organisation)]));
            match &f.link {
                Some(link) => lines.push(tr.f("mail.invitation_link", &[("link", link)])),
                None => lines.push(tr.t("mail.invitation_no_link").to_owned()),
            }
            tr.f("mail.invitation_subject", &[("organisation", &organisation)])
        }
        // For failed sign-ins the facts carry: `body` the address they came from, `subject` how
        // many failed.
        Notice::LoginFailures { .. } => {
            let from = if f.body.is_empty() {
                tr.t("mail.login_failures_unknown").to_owned()
            } else {
                f.body.clone()
            };
            lines.push(tr.f(
                "mail.login_failures_line",
                &[
                    ("organisation", &organisation),
                    ("failures", &subject),
                    ("address", &from),
                ],
            ));
            lines.push(tr.t("mail.login_failures_advice").to_owned());
            tr.f("mail.login_failures_subject", &[("organisation", &organisation)])
        }
        // For a survey invitation the facts carry: `subject` the survey's title, `link` the answer
        // page, `body` the opt-out page, `first_reply_due` the day the link expires.
        Notice::SurveyInvitation { .. } => {
            let expires = f.first_reply_due.clone().unwrap_or_default();
            lines.push(tr.f(
                "mail.survey_line",
                &[("organisation", &organisation), ("title", &subject)],
            ));
            if let Some(link) = &f.link {
                lines.push(tr.f("mail.survey_link", &[("expires", &expires), ("link", link)]));
            }
            if !f.body.is_empty() {
                lines.push(tr.f("mail.survey_opt_out", &[("link", &f.body)]));
            }
            tr.f("mail.survey_subject", &[("title", &subject)])
        }
    };
    lines.push(String::new());
    lines.push(tr.f("mail.signature", &[("organisation", &organisation)]));
    Composed {
        subject,
        text: lines.join("\n"),
    }
}

/// Who gets it, and the thread it continues.
struct Addressed {
    to: Option<MailAddress>,
    recipient: String,
    facts: Facts,
    in_reply_to: Option<String>,
    references: Vec<String>,
}

impl App {
    /// Enqueues a notification when mail out is configured. Called after the change committed:
    /// a failure to enqueue is logged, never undoes the change.
    pub async fn notify(&self, notice: Notice) {
        if self.config.mail_out.is_none() {
            return;
        }
        let payload = match serde_json::to_value(&notice) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "notification not enqueued");
                return;
            }
        };
        let now = self.now();
        let job = NewJob {
            kind: NOTIFY_KIND.into(),
            payload,
            run_at: now,
            max_attempts: self.config.job_max_attempts,
            unique_key: None,
            now,
        };
        if let Err(e) = self.store.enqueue(job).await {
            tracing::error!(error = %e, event = notice.event(), "notification not enqueued");
        }
    }

    /// The `mail.notify` job: composes, sends and logs one notification.
    pub async fn send_notice(&self, job: &Job) -> Result<(), String> {
        let Some(out) = self.config.mail_out.clone() else {
            // Configured off since it was enqueued: nothing to send with.
            return Ok(());
        };
        let notice: Notice =
            serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad notification payload: {e}"))?;
        let a = match self.address(&notice, &out).await {
            Ok(a) => a,
            // The ticket or user is gone: nothing to tell.
            Err(AppError::NotFound) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let composed = compose(&notice, &a.facts);
        let mut record = Notification {
            id: 0,
            ticket_id: notice.ticket_id(),
            event: notice.event().into(),
            recipient: a.recipient.clone(),
            language: a.facts.lang,
            subject: composed.subject.clone(),
            message_id: None,
            status: "skipped".into(),
            detail: String::new(),
            created_at: self.now(),
        };
        let Some(to) = a.to else {
            record.detail = "no e-mail address".into();
            self.store
                .record_notification(&record)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(());
        };
        let thread = a
            .facts
            .reference
            .map(|r| r.to_string())
            .unwrap_or_else(|| "notice".into());
        let message_id = new_message_id(&thread, &out.domain()).map_err(|e| e.to_string())?;
        let mail = OutboundMail {
            to,
            subject: composed.subject,
            text: composed.text,
            html: None,
            message_id: message_id.clone(),
            in_reply_to: a.in_reply_to,
            references: a.references,
            lang: a.facts.lang,
            auto_submitted: !matches!(notice, Notice::Reply { .. }),
        };
        let outcome = out.sender.send(&mail).await;
        record.created_at = self.now();
        match outcome {
            Ok(()) => {
                record.status = "sent".into();
                record.message_id = Some(message_id);
            }
            Err(e) if e.is_temporary() && job.attempts < job.max_attempts => {
                tracing::warn!(error = %e, "notification not sent yet; retrying");
                return Err(e.to_string());
            }
            Err(e) => {
                tracing::warn!(error = %e, "notification failed for good");
                record.status = "failed".into();
                record.detail = e.to_string();
            }
        }
        self.store
            .record_notification(&record)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn address(&self, notice: &Notice, out: &MailOut) -> AppResult<Addressed> {
        let org = self.organisation().await;
        let organisation = org["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("kefu")
            .to_owned();
        let link = |path: String| out.public_url.as_ref().map(|base| format!("{base}{path}"));
        // Mail to a user's account address: an invitation, or failed sign-ins (subject: how many;
        // body: from where).
        let to_user = match notice {
            Notice::Invitation { user_id, token } => Some((
                *user_id,
                String::new(),
                String::new(),
                link(crate::links::invitation(token)),
            )),
            Notice::LoginFailures { user_id, ip, failures } => {
                Some((*user_id, failures.to_string(), ip.clone().unwrap_or_default(), None))
            }
            _ => None,
        };
        if let Some((user_id, subject, body, link)) = to_user {
            let user = self.store.get_user(user_id).await?;
            return Ok(Addressed {
                to: kefu_core::Email::parse(&user.email).ok().map(|address| MailAddress {
                    address,
                    name: Some(user.name.clone()).filter(|n| !n.is_empty()),
                }),
                recipient: user.email.clone(),
                facts: Facts {
                    lang: user.language.unwrap_or(Language::ZhCn),
                    organisation,
                    name: user.name,
                    reference: None,
                    kind: None,
                    subject,
                    first_reply_due: None,
                    body,
                    link,
                    reopen_days: 0,
                },
                in_reply_to: None,
                references: vec![],
            });
        }
        if let Notice::SurveyInvitation { link_id, token } = notice {
            let l = self.store.get_survey_link(*link_id).await?;
            let survey = self.store.get_survey(l.survey_id).await?;
            // A customer's contact, or (employee surveys) a staff member.
            let (email, name) = match (l.contact_id, l.user_id) {
                (Some(id), _) => {
                    let c = self.store.get_contact(id).await?;
                    (c.email, c.name)
                }
                (None, Some(id)) => {
                    let u = self.store.get_user(id).await?;
                    (u.email, u.name)
                }
                (None, None) => (String::new(), String::new()),
            };
            let lang = Language::parse(&l.language).unwrap_or(Language::ZhCn);
            let tz = self.time_zone().await;
            let expires = jiff::Timestamp::from_millisecond(l.expires_at)
                .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d").to_string())
                .unwrap_or_default();
            return Ok(Addressed {
                to: kefu_core::Email::parse(&email).ok().map(|address| MailAddress {
                    address,
                    name: Some(name.clone()).filter(|n| !n.is_empty()),
                }),
                recipient: email,
                facts: Facts {
                    lang,
                    organisation,
                    name,
                    reference: None,
                    kind: None,
                    subject: survey.title,
                    first_reply_due: Some(expires),
                    body: link(crate::links::survey_opt_out(token)).unwrap_or_default(),
                    link: link(crate::links::survey_answer(token)),
                    reopen_days: 0,
                },
                in_reply_to: None,
                references: vec![],
            });
        }
        let ticket_id = notice.ticket_id().ok_or(AppError::NotFound)?;
        let view = self
            .view_tickets(vec![self.store.get_ticket(ticket_id).await?])
            .await?
            .remove(0);
        let t = &view.ticket;
        let messages = self.store.ticket_messages(t.id).await?;
        let mut facts = Facts {
            lang: t.language,
            organisation,
            name: String::new(),
            reference: Some(view.reference),
            kind: Some(t.kind),
            subject: t.subject.clone(),
            first_reply_due: None,
            body: String::new(),
            link: None,
            reopen_days: i64::from(kefu_core::ticket::Workflow::default().closed_reopen_days),
        };
        if let Notice::Breach { .. } = notice {
            // Staff: the assignee (in their own language), else nobody to tell by mail.
            let user = match t.assignee_id {
                Some(u) => Some(self.store.get_user(u).await?),
                None => None,
            };
            facts.link = link(crate::links::ticket(t.id));
            return Ok(match user {
                Some(u) => {
                    facts.lang = u.language.unwrap_or(facts.lang);
                    facts.name = u.name.clone();
                    Addressed {
                        to: kefu_core::Email::parse(&u.email).ok().map(|address| MailAddress {
                            address,
                            name: Some(u.name.clone()).filter(|n| !n.is_empty()),
                        }),
                        recipient: u.email,
                        facts,
                        in_reply_to: None,
                        references: vec![],
                    }
                }
                None => Addressed {
                    to: None,
                    recipient: String::new(),
                    facts,
                    in_reply_to: None,
                    references: vec![],
                },
            });
        }
        // The customer: the ticket's contact, else the customer's primary contact.
        let contact = match t.contact_id {
            Some(c) => self.store.get_contact(c).await.ok(),
            None => None,
        };
        let contact = match contact {
            Some(c) => Some(c),
            None => {
                let all = self.store.list_contacts(t.customer_id).await?;
                all.iter().find(|c| c.is_primary).or(all.first()).cloned()
            }
        };
        let customer_name = self
            .store
            .get_customer(t.customer_id)
            .await
            .map(|c| c.name)
            .unwrap_or_default();
        let (email, name) = match &contact {
            Some(c) => {
                if let Some(l) = c.language {
                    facts.lang = l;
                }
                (
                    c.email.clone(),
                    if c.name.is_empty() {
                        customer_name
                    } else {
                        c.name.clone()
                    },
                )
            }
            None => (String::new(), customer_name),
        };
        facts.name = name.clone();
        // The e-mails of this thread so far: the customer's and ours.
        let mut references: Vec<String> = messages.iter().filter_map(|m| m.message_id.clone()).collect();
        for n in self.store.notifications_of(t.id).await? {
            if let Some(id) = n.message_id
                && !references.contains(&id)
            {
                references.push(id);
            }
        }
        let in_reply_to = messages
            .iter()
            .rev()
            .find(|m| m.author_kind == AuthorKind::Customer && m.message_id.is_some())
            .and_then(|m| m.message_id.clone());
        match notice {
            Notice::Created { follow_token, .. } => {
                facts.link = follow_token.as_ref().and_then(|tok| link(crate::links::follow(tok)));
                if let Some(due) = view.sla.first_response.due_at {
                    let tz = self.time_zone().await;
                    facts.first_reply_due = Some(due.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string());
                }
            }
            Notice::ConfirmRequester { token, .. } => {
                facts.link = link(crate::links::confirm_requester(token));
            }
            Notice::Reply { message_id, .. } => {
                let m = messages
                    .iter()
                    .find(|m| m.id == *message_id && m.kind == MessageKind::Public)
                    .ok_or(AppError::NotFound)?;
                facts.body = m.body.clone();
            }
            _ => {}
        }
        if facts.link.is_none()
            && let Some(c) = &contact
            && self
                .store
                .portal_accounts_of(t.customer_id)
                .await?
                .iter()
                .any(|a| a.contact_id == c.id && a.live)
        {
            // A portal user follows their tickets in the portal (the staff page would answer 403).
            facts.link = link(crate::links::my_request(t.id));
        }
        Ok(Addressed {
            to: kefu_core::Email::parse(&email).ok().map(|address| MailAddress {
                address,
                name: Some(name).filter(|n| !n.is_empty()),
            }),
            recipient: email,
            facts,
            in_reply_to,
            references,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(lang: Language) -> Facts {
        Facts {
            lang,
            organisation: "华东家电".into(),
            name: "王芳".into(),
            reference: Some(Reference::parse("KF-2026-000123").unwrap()),
            kind: Some(Kind::Complaint),
            subject: "空调不制冷".into(),
            first_reply_due: Some("2026-11-24 10:30".into()),
            body: "师傅明天上午上门。".into(),
            link: Some("https://kefu.example/follow/abc".into()),
            reopen_days: 14,
        }
    }

    #[test]
    fn confirmation_in_chinese_and_english() {
        let n = Notice::Created {
            ticket_id: 1,
            follow_token: Some("abc".into()),
        };
        let zh = compose(&n, &facts(Language::ZhCn));
        assert_eq!(zh.subject, "[KF-2026-000123] 我们已收到您的投诉：空调不制冷");
        assert!(zh.text.starts_with("王芳您好："), "{}", zh.text);
        assert!(zh.text.contains("编号 KF-2026-000123"));
        assert!(zh.text.contains("2026-11-24 10:30 前首次答复"));
        assert!(zh.text.contains("https://kefu.example/follow/abc"));
        assert!(zh.text.ends_with("华东家电客服中心"));
        let en = compose(&n, &facts(Language::En));
        assert_eq!(
            en.subject,
            "[KF-2026-000123] We have received your complaint: 空调不制冷"
        );
        assert!(en.text.contains("by 2026-11-24 10:30"));
    }

    #[test]
    fn reply_status_breach_and_invitation() {
        let f = facts(Language::ZhCn);
        let r = compose(
            &Notice::Reply {
                ticket_id: 1,
                message_id: 2,
            },
            &f,
        );
        assert_eq!(r.subject, "[KF-2026-000123] 回复：空调不制冷");
        assert!(r.text.contains("师傅明天上午上门。"));
        let s = compose(
            &Notice::Status {
                ticket_id: 1,
                status: Status::Resolved,
            },
            &f,
        );
        assert!(s.text.contains("14 天内"), "{}", s.text);
        assert!(s.subject.starts_with("[KF-2026-000123] "));
        let b = compose(
            &Notice::Breach {
                ticket_id: 1,
                metric: Metric::FirstResponse,
            },
            &facts(Language::En),
        );
        assert_eq!(b.subject, "[KF-2026-000123] SLA breached (first response): 空调不制冷");
        let mut inv = facts(Language::ZhCn);
        inv.reference = None;
        inv.link = Some("https://kefu.example/invite/tok".into());
        let i = compose(
            &Notice::Invitation {
                user_id: 1,
                token: "tok".into(),
            },
            &inv,
        );
        assert_eq!(i.subject, "华东家电客服门户邀请");
        assert!(i.text.contains("https://kefu.example/invite/tok"));
    }

    #[test]
    fn which_status_changes_are_news() {
        assert!(status_is_news(Status::Open, Status::Resolved));
        assert!(status_is_news(Status::Open, Status::Pending));
        assert!(status_is_news(Status::Resolved, Status::Open));
        assert!(!status_is_news(Status::New, Status::Open));
        assert!(!status_is_news(Status::Pending, Status::Open));
    }

    #[test]
    fn payload_round_trips() {
        let n = Notice::Status {
            ticket_id: 7,
            status: Status::Pending,
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"event": "ticket.status", "ticket_id": 7, "status": "pending"})
        );
        assert_eq!(serde_json::from_value::<Notice>(v).unwrap(), n);
    }

    #[test]
    fn mail_out_checks_its_settings() {
        assert!(
            MailOut::new(
                "smtp://127.0.0.1:25?tls=none",
                "客服 <kf@example.com>",
                Some("https://x.example/")
            )
            .is_ok()
        );
        let e = MailOut::new("smtp://127.0.0.1:25?tls=none", "not a mailbox", None).unwrap_err();
        assert!(e.starts_with("mail_from"), "{e}");
        let e = MailOut::new("ftp://x", "kf@example.com", None).unwrap_err();
        assert!(e.starts_with("smtp_url"), "{e}");
        let e = MailOut::new(
            "smtp://127.0.0.1:25?tls=none",
            "kf@example.com",
            Some("javascript:alert(1)"),
        )
        .unwrap_err();
        assert!(e.starts_with("public_url"), "{e}");
    }
}
