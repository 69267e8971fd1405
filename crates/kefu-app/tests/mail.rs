//! E-mail in on both databases: new tickets, threading by Message-ID and subject reference, forged
//! replies, auto-replies, re-delivery, broken MIME and hostile HTML.

mod common;

use kefu_app::mail::IngestOutcome;
use kefu_app::tickets::Addition;
use kefu_app::{Actor, App, AppConfig, AppError};
use kefu_core::ticket::{Channel, Kind, Status};
use kefu_store::{AuthorKind, TicketFilter};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../kefu-mail/tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn message(from: &str, subject: &str, id: &str, in_reply_to: Option<&str>, body: &str) -> Vec<u8> {
    let reply = in_reply_to
        .map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\r\nTo: support@kefu.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{reply}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn ticket_count(app: &App) -> usize {
    let filter = TicketFilter {
        limit: 1000,
        ..Default::default()
    };
    app.store().list_tickets(&filter).await.unwrap().len()
}

fn created(o: IngestOutcome) -> kefu_app::tickets::TicketView {
    match o {
        IngestOutcome::Created(v) => v,
        other => panic!("expected a new ticket, got {}", other.describe()),
    }
}

fn appended(o: IngestOutcome) -> kefu_app::tickets::TicketView {
    match o {
        IngestOutcome::Appended(v) => v,
        other => panic!("expected an appended reply, got {}", other.describe()),
    }
}

async fn scenario(app: &App) {
    // A new Chinese message from Outlook in GB2312/GBK: a new customer and a new ticket. Its
    // In-Reply-To and subject name a ticket that does not exist here, so they thread nowhere.
    let first = created(app.ingest_mail(&fixture("outlook-gbk.eml")).await.unwrap());
    let t = &first.ticket;
    assert_eq!(t.channel, Channel::Email);
    assert_eq!(t.kind, Kind::Inquiry);
    assert_eq!(t.language.code(), "zh-CN");
    assert!(t.subject.contains("空调不制冷"), "{}", t.subject);
    let contacts = app.store().find_contacts("", "zhang.zhe@example.cn").await.unwrap();
    assert_eq!(contacts.len(), 1, "the sender became a customer with one contact");
    assert_eq!(t.customer_id, contacts[0].customer_id);
    assert_eq!(t.contact_id, Some(contacts[0].id));
    let customer = app.store().get_customer(t.customer_id).await.unwrap();
    assert_eq!(customer.name, "张喆");
    let msgs = app.store().ticket_messages(t.id).await.unwrap();
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].body.contains("空调"), "{}", msgs[0].body);
    let first_id = "TYZPR06MB4878A1B2C3D4E5F6A7B8C9D0E1F2@TYZPR06MB4878.apcprd06.prod.outlook.com";
    assert_eq!(msgs[0].message_id.as_deref(), Some(first_id));

    // Re-delivery of the same message: a duplicate, nothing written.
    match app.ingest_mail(&fixture("outlook-gbk.eml")).await.unwrap() {
        IngestOutcome::Duplicate { ticket_id } => assert_eq!(ticket_id, t.id),
        other => panic!("expected a duplicate, got {}", other.describe()),
    }
    assert_eq!(ticket_count(app).await, 1);

    // A reply to the first message's Message-ID from the same address (any case) appends.
    let reply = message(
        "张喆 <ZHANG.ZHE@example.cn>",
        "Re: 空调",
        "reply-1@example.cn",
        Some(first_id),
        "今天还是不制冷。",
    );
    let v = appended(app.ingest_mail(&reply).await.unwrap());
    assert_eq!(v.ticket.id, t.id);
    let msgs = app.store().ticket_messages(t.id).await.unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].author_kind, AuthorKind::Customer);
    assert_eq!(msgs[1].channel, Channel::Email);
    assert_eq!(msgs[1].author_contact_id, Some(contacts[0].id));
    assert_eq!(msgs[1].body, "今天还是不制冷。");

    // The same reply from another address is a forged or forwarded reply: a ticket of its own.
    let forged = message(
        "Mallory <mallory@evil.example>",
        "Re: refund",
        "forged-1@evil.example",
        Some(first_id),
        "please send the refund to me",
    );
    let other = created(app.ingest_mail(&forged).await.unwrap());
    assert_ne!(other.ticket.id, t.id);
    assert_ne!(other.ticket.customer_id, t.customer_id);
    assert_eq!(other.ticket.language.code(), "en");
    assert_eq!(
        app.store().ticket_messages(t.id).await.unwrap().len(),
        2,
        "nothing added to the victim's ticket"
    );

    // A reference in the subject threads (after the agent resolved the ticket: the reply reopens it).
    app.add_to_ticket(
        &Actor::Cli,
        t.id,
        Addition::Reply {
            body: "已安排上门".into(),
        },
    )
    .await
    .unwrap();
    app.set_ticket_status(&Actor::Cli, t.id, "resolved").await.unwrap();
    let by_ref = message(
        "zhang.zhe@example.cn",
        &format!("Re: [{}] 还是不行", first.reference),
        "reply-2@example.cn",
        None,
        "师傅走了以后又坏了。",
    );
    let v = appended(app.ingest_mail(&by_ref).await.unwrap());
    assert_eq!(v.ticket.id, t.id);
    assert_eq!(
        v.ticket.status,
        Status::Open,
        "a customer's reply reopens a resolved ticket"
    );
    // The same number with another year is not this ticket.
    let wrong_year = format!("KF-{}-{:06}", first.reference.year - 1, t.id);
    let stale = message(
        "zhang.zhe@example.cn",
        &format!("Re: [{wrong_year}] 投诉"),
        "reply-3@example.cn",
        None,
        "旧单号",
    );
    let v = created(app.ingest_mail(&stale).await.unwrap());
    assert_ne!(v.ticket.id, t.id);
    assert_eq!(v.ticket.kind, Kind::Complaint, "投诉 in the subject makes a complaint");
    assert_eq!(
        v.ticket.customer_id, t.customer_id,
        "a known sender files for its own customer"
    );

    // An auto-reply is ignored and writes nothing.
    let before = ticket_count(app).await;
    match app.ingest_mail(&fixture("auto-reply.eml")).await.unwrap() {
        IngestOutcome::Ignored(reason) => assert!(reason.contains("automatic"), "{reason}"),
        other => panic!("expected ignored, got {}", other.describe()),
    }
    assert!(
        app.store()
            .find_contacts("", "12345678@qq.com")
            .await
            .unwrap()
            .is_empty()
    );

    // Broken MIME fails with a clear error and writes nothing.
    for f in ["broken-boundary.eml", "truncated-multipart.eml"] {
        match app.ingest_mail(&fixture(f)).await {
            Err(AppError::Refused(m)) => assert!(m.contains("MIME"), "{f}: {m}"),
            other => panic!("{f}: expected a refusal, got {:?}", other.map(|o| o.describe())),
        }
    }
    assert!(
        app.store()
            .find_contacts("", "someone@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(ticket_count(app).await, before);

    // HTML with script is stored sanitised, its text as the body.
    let v = created(app.ingest_mail(&fixture("html-only-script.eml")).await.unwrap());
    let m = &app.store().ticket_messages(v.ticket.id).await.unwrap()[0];
    assert!(m.body.contains("never arrived"), "{}", m.body);
    let html = m.body_html.as_deref().expect("the HTML is kept");
    assert!(html.contains("never arrived"), "{html}");
    for bad in [
        "<script",
        "onload",
        "onerror",
        "javascript:",
        "<form",
        "<iframe",
        "tracker.example.net",
    ] {
        assert!(!html.contains(bad), "{bad} survived: {html}");
    }
}

#[tokio::test]
async fn mail_on_sqlite() {
    let (app, _db) = common::sqlite_app().await;
    scenario(&app).await;
}

#[tokio::test]
async fn mail_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    scenario(&db.app(AppConfig::default())).await;
    db.finish().await;
}

#[tokio::test]
async fn an_oversize_message_is_refused() {
    let db = common::TestDb::sqlite(2).await;
    let app = db.app(AppConfig {
        mail_max_message_bytes: 1000,
        ..AppConfig::default()
    });
    let big = message("a@example.com", "big", "big-1@example.com", None, &"x".repeat(2000));
    match app.ingest_mail(&big).await {
        Err(AppError::Refused(m)) => assert!(m.contains("over the limit"), "{m}"),
        other => panic!("expected a refusal, got {:?}", other.map(|o| o.describe())),
    }
    assert_eq!(ticket_count(&app).await, 0);
}

/// The IMAP poll against a real Dovecot: new mail becomes tickets, a reply threads, a broken
/// message is flagged in the mailbox and stores nothing, and nothing is taken twice.
#[tokio::test]
async fn mail_polled_from_an_imap_mailbox() {
    let mut mailbox = kefu_mail::sink_imap::Mailbox::start();
    let (none, db) = common::sqlite_app().await;
    assert!(
        none.poll_mail().await.unwrap().is_none(),
        "no mailbox configured: no poll"
    );
    let app = db.app(AppConfig {
        mail_in: Some(kefu_mail::ImapUrl::parse(&mailbox.url()).unwrap()),
        ..AppConfig::default()
    });
    let new = mailbox.deliver(&message(
        "王芳 <wang@example.com>",
        "投诉：空调漏水",
        "first@example.com",
        None,
        "空调漏水三天了",
    ));
    let broken = mailbox.deliver(&fixture("broken-boundary.eml"));
    let r = app.poll_mail().await.unwrap().unwrap();
    assert_eq!((r.unseen, r.taken, r.refused, r.stopped), (2, 1, 1, false));
    assert_eq!(
        (mailbox.flags(&new).as_str(), mailbox.flags(&broken).as_str()),
        ("S", "FS")
    );
    assert_eq!(ticket_count(&app).await, 1, "the broken message stored nothing");
    let tickets = app
        .store()
        .list_tickets(&TicketFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((tickets[0].kind, tickets[0].channel), (Kind::Complaint, Channel::Email));
    // The customer's answer threads onto the ticket; a second poll takes nothing again.
    mailbox.deliver(&message(
        "王芳 <wang@example.com>",
        "Re: 投诉：空调漏水",
        "second@example.com",
        Some("first@example.com"),
        "还是漏水",
    ));
    let r = app.poll_mail().await.unwrap().unwrap();
    assert_eq!((r.unseen, r.taken, r.refused), (1, 1, 0));
    assert_eq!(ticket_count(&app).await, 1);
    assert_eq!(app.store().ticket_messages(tickets[0].id).await.unwrap().len(), 2);
    let r = app.poll_mail().await.unwrap().unwrap();
    assert_eq!((r.unseen, r.taken), (0, 0));
}
