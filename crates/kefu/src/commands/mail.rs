//! `kefu mail`: one message in from standard input (for the mail server), or one poll of the
//! IMAP mailbox. Ingest speaks sysexits.h: the mail server bounces on 65 and retries on 75.

use crate::cli::Format;
use crate::commands::{ExitWith, app_err};
use anyhow::{Result, bail};
use kefu_app::{App, AppError};

/// sysexits.h: the input was bad (the mail server bounces the message).
const EX_DATAERR: i32 = 65;
/// sysexits.h: try again later (the mail server keeps the message and retries).
const EX_TEMPFAIL: i32 = 75;

pub(crate) async fn ingest(app: &App, format: Format) -> Result<()> {
    let refused = |message: String| ExitWith {
        code: EX_DATAERR,
        message,
    };
    let raw = kefu_mail::read_message(std::io::stdin().lock(), &app.mail_limits())
        .map_err(|e| refused(format!("message refused, nothing stored: {e}")))?;
    let outcome = app.ingest_mail(&raw).await.map_err(|e| match e {
        AppError::Refused(m) => refused(m),
        AppError::Invalid(_) => refused(format!("message refused, nothing stored: {}", app_err(e))),
        other => ExitWith {
            code: EX_TEMPFAIL,
            message: format!("message not stored, try again later: {other}"),
        },
    })?;
    match format {
        Format::Json => println!("{}", ingest_json(&outcome)),
        Format::Text => println!("{}", outcome.describe()),
    }
    Ok(())
}

pub(crate) async fn poll(app: &App, format: Format) -> Result<()> {
    let Some(r) = app.poll_mail().await.map_err(app_err)? else {
        bail!("no mailbox to poll: set imap_url (e.g. imaps://user:password@imap.example.com/INBOX)");
    };
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"unseen": r.unseen, "taken": r.taken, "refused": r.refused, "stopped": r.stopped})
        ),
        Format::Text => println!(
            "{} unseen: {} taken, {} refused (flagged in the mailbox){}",
            r.unseen,
            r.taken,
            r.refused,
            if r.stopped {
                "; stopped early, the rest waits for the next poll"
            } else {
                ""
            }
        ),
    }
    Ok(())
}

fn ingest_json(o: &kefu_app::mail::IngestOutcome) -> serde_json::Value {
    use kefu_app::mail::IngestOutcome;
    match o {
        IngestOutcome::Created(v) => {
            serde_json::json!({"outcome": "created", "ticket_id": v.ticket.id, "reference": v.reference.to_string()})
        }
        IngestOutcome::Appended(v) => {
            serde_json::json!({"outcome": "appended", "ticket_id": v.ticket.id, "reference": v.reference.to_string()})
        }
        IngestOutcome::Ignored(reason) => serde_json::json!({"outcome": "ignored", "reason": reason}),
        IngestOutcome::Duplicate { ticket_id } => serde_json::json!({"outcome": "duplicate", "ticket_id": ticket_id}),
    }
}
