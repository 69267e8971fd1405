//! Mail out against a real SMTP peer (aiosmtpd on loopback), on both databases: the confirmation
//! with its follow link, a customer's answer to it threading back, an agent's reply, a status
//! change, a recipient the server refuses, a ticket without an address, an SLA breach for the
//! assignee, and a portal invitation.

mod common;

use kefu_app::customers::CustomerInput;
use kefu_app::jobs::{JobRegistry, WorkerOptions};
use kefu_app::mail::IngestOutcome;
use kefu_app::notify::MailOut;
use kefu_app::portal::PortalCredential;
use kefu_app::public::PublicTicketInput;
use kefu_app::tickets::{Addition, TicketInput};
use kefu_app::{Actor, App, AppConfig};
use kefu_mail::sink::Sink;
use kefu_mail::{InboundLimits, InboundMail, parse_inbound};
use kefu_store::Store;
use std::sync::Arc;

fn app(store: Arc<dyn Store>, sink: &Sink) -> App {
    let out = MailOut::new(
        &sink.url(),
        "华东家电客服 <support@kefu.example>",
        Some("https://kefu.example/"),
    )
    .unwrap();
    App::new(
        store,
        AppConfig {
            mail_out: Some(out),
            // Retries at once, so that a test can watch one.
            job_retry_base_ms: 0,
            ..AppConfig::default()
        },
    )
}

/// Runs every due job; the number run.
async fn run_jobs(app: &App) -> usize {
    common::run_jobs(app, 100).await
}

/// A new end customer (`email` or, when it has no `@`, a phone number) and a ticket of theirs: (customer, ticket).
async fn file_for(app: &App, name: &str, address: &str, subject: &str, language: &str) -> (i64, i64) {
    let (email, phone) = if address.contains('@') {
        (Some(address.to_owned()), None)
    } else {
        (None, Some(address.to_owned()))
    };
    let c = app
        .create_customer(
            &Actor::Cli,
            CustomerInput {
                name: name.into(),
                kind: "end".into(),
                email,
                phone,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let t = app
        .create_ticket(
            &Actor::Cli,
            TicketInput {
                customer_id: c.id,
                kind: "inquiry".into(),
                subject: subject.into(),
                body: format!("{subject}?"),
                language: Some(language.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (c.id, t.ticket.id)
}

fn read(sink: &Sink, n: usize) -> (InboundMail, String) {
    let (raw, _envelope) = sink.message(n);
    (
        parse_inbound(&raw, &InboundLimits::default()).unwrap(),
        String::from_utf8(raw).unwrap(),
    )
}

async fn scenario(store: Arc<dyn Store>) {
    let sink = Sink::start();
    let app = app(store, &sink);
    app.store()
        .set_setting("organisation", &serde_json::json!({"name": "华东家电"}), 0)
        .await
        .unwrap();

    // 1. The public form: a confirmation in Chinese with the reference and the follow link.
    let filed = app
        .file_public_ticket(
            PublicTicketInput {
                name: "王芳".into(),
                email: "wangfang@example.cn".into(),
                kind: "complaint".into(),
                subject: "空调不制冷".into(),
                body: "新买的空调开了一晚上还是不冷。".into(),
                language: Some("zh-CN".into()),
                ..Default::default()
            },
            Some("192.0.2.1"),
        )
        .await
        .unwrap()
        .unwrap();
    let t = filed.view.ticket.id;
    let reference = filed.view.reference.to_string();
    assert_eq!(run_jobs(&app).await, 1);
    let (mail, raw) = read(&sink, 1);
    assert_eq!(mail.subject, format!("[{reference}] 我们已收到您的投诉：空调不制冷"));
    assert!(mail.text.starts_with("王芳您好："), "{}", mail.text);
    assert!(mail.text.contains(&format!("编号 {reference}")));
    assert!(
        mail.text
            .contains(&format!("https://kefu.example/follow/{}", filed.follow_token)),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("前首次答复您"),
        "the first-reply promise: {}",
        mail.text
    );
    assert!(raw.contains("Auto-Submitted: auto-generated"));
    assert!(raw.contains("Content-Language: zh-CN"));
    let log = app.store().notifications_of(t).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].event.as_str(), log[0].status.as_str()),
        ("ticket.created", "sent")
    );
    assert_eq!(log[0].recipient, "wangfang@example.cn");
    let confirmation_id = log[0].message_id.clone().unwrap();
    assert_eq!(mail.message_id.as_deref(), Some(confirmation_id.as_str()));

    // 2. She answers the confirmation: it threads by its Message-ID onto her ticket.
    let answer = format!(
        "From: 王芳 <wangfang@example.cn>\r\nTo: support@kefu.example\r\nSubject: Re: 您的投诉\r\n\
         Message-ID: <answer-1@example.cn>\r\nIn-Reply-To: <{confirmation_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n补充：型号是 KFR-35GW。\r\n"
    );
    match app.ingest_mail(answer.as_bytes()).await.unwrap() {
        IngestOutcome::Appended(v) => assert_eq!(v.ticket.id, t),
        other => panic!("expected the answer on {reference}, got {}", other.describe()),
    }

    // 3. An agent replies: the mail answers her last e-mail and carries the reply.
    app.add_to_ticket(
        &Actor::Cli,
        t,
        Addition::Reply {
            body: "师傅明天上午 9 点上门检查。".into(),
        },
    )
    .await
    .unwrap();
    // An internal note is not mailed.
    app.add_to_ticket(
        &Actor::Cli,
        t,
        Addition::Note {
            body: "内部：可能是冷媒不足".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    let (reply, raw) = read(&sink, 2);
    assert_eq!(reply.subject, format!("[{reference}] 回复：空调不制冷"));
    assert!(reply.text.contains("师傅明天上午 9 点上门检查。"));
    assert!(!reply.text.contains("冷媒"));
    assert_eq!(
        reply.in_reply_to.first().map(String::as_str),
        Some("answer-1@example.cn")
    );
    assert!(
        reply.references.iter().any(|r| r == &confirmation_id),
        "the thread includes our confirmation: {:?}",
        reply.references
    );
    assert!(
        !raw.contains("Auto-Submitted"),
        "a person's reply is not auto-submitted"
    );

    // 4. Resolved: she hears how to reopen it.
    app.set_ticket_status(&Actor::Cli, t, "resolved").await.unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    let (resolved, _) = read(&sink, 3);
    assert!(
        resolved.subject.starts_with(&format!("[{reference}] ")),
        "{}",
        resolved.subject
    );
    assert!(resolved.text.contains("已解决"), "{}", resolved.text);
    assert_eq!(app.store().notifications_of(t).await.unwrap().len(), 3);

    // 5. An English customer whose server refuses the address: logged as failed, not retried.
    let (bounce, t2) = file_for(&app, "John Smith", "reject@example.com", "Spare filter", "en").await;
    assert_eq!(run_jobs(&app).await, 1);
    let log = app.store().notifications_of(t2).await.unwrap();
    assert_eq!(log[0].status, "failed");
    assert!(log[0].detail.contains("550"), "{}", log[0].detail);
    assert_eq!(sink.filed(), 3, "nothing more was accepted");

    // 6. No e-mail address (phone only): skipped, and said so.
    let (_, t3) = file_for(&app, "李雷", "13800138000", "上门安装", "zh-CN").await;
    assert_eq!(run_jobs(&app).await, 1);
    let log = app.store().notifications_of(t3).await.unwrap();
    assert_eq!(
        (log[0].status.as_str(), log[0].detail.as_str()),
        ("skipped", "no e-mail address")
    );

    // 7. A temporary failure is retried by the worker, and logged only when it is over.
    let (_, t4) = file_for(&app, "张伟", "tempfail@example.com", "保修期", "zh-CN").await;
    let reg = JobRegistry::standard();
    let opts = WorkerOptions::new("test".into());
    assert!(app.run_one_job(&reg, &opts).await.unwrap());
    assert!(
        app.store().notifications_of(t4).await.unwrap().is_empty(),
        "not logged while it may still go out"
    );
    // The retries run out (8 attempts by default) and the last one logs the failure.
    run_jobs(&app).await;
    let log = app.store().notifications_of(t4).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, "failed");
    assert!(log[0].detail.contains("451"), "{}", log[0].detail);

    // 8. A portal invitation goes to the contact by e-mail.
    let contact = app.store().list_contacts(bounce).await.unwrap()[0].id;
    app.store()
        .update_contact(
            contact,
            kefu_store::ContactPatch {
                email: Some("john@example.com".into()),
                language: Some(Some(kefu_core::Language::En)),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    let (_, token) = app
        .create_portal_account(&Actor::Cli, contact, PortalCredential::Invitation)
        .await
        .unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    let (invite, raw) = read(&sink, 4);
    assert_eq!(invite.subject, "Your invitation to the 华东家电 customer portal");
    assert!(
        invite
            .text
            .contains(&format!("https://kefu.example/invite/{}", token.unwrap())),
        "{}",
        invite.text
    );
    assert!(raw.contains("Content-Language: en"));

    // 8b. Now a portal user, he is sent to his request in the portal, not to the staff page.
    app.add_to_ticket(
        &Actor::Cli,
        t2,
        Addition::Reply {
            body: "The filter ships today.".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(run_jobs(&app).await, 1);
    let (reply, _) = read(&sink, 5);
    assert!(
        reply.text.contains(&format!("https://kefu.example/my/requests/{t2}")) && !reply.text.contains("/tickets/"),
        "{}",
        reply.text
    );

    // 9. The phone-only ticket goes unanswered for weeks: its assignee hears of each breach.
    let agent = app
        .store()
        .create_user(kefu_store::NewUser {
            email: "agent@kefu.example".into(),
            name: "Li Na".into(),
            role: kefu_core::Role::Agent,
            language: Some(kefu_core::Language::En),
            password_hash: None,
            departments: vec![],
            now: 1,
        })
        .await
        .unwrap();
    app.assign_ticket(&Actor::Cli, t3, Some(Some(agent.id)), None, None)
        .await
        .unwrap();
    let report = app
        .sweep_escalations(kefu_app::now_ms() + 40 * 86_400_000)
        .await
        .unwrap();
    assert!(report.breaches >= 1, "{report:?}");
    assert_eq!(run_jobs(&app).await, report.breaches);
    let (breach, _) = read(&sink, 6);
    assert!(
        breach.subject.contains("SLA breached (first response): 上门安装"),
        "{}",
        breach.subject
    );
    assert!(breach.text.contains(&format!("https://kefu.example/tickets/{}", t3)));
}

#[tokio::test]
async fn notifications_on_sqlite() {
    let db = common::TestDb::sqlite(2).await;
    scenario(db.store.clone()).await;
}

#[tokio::test]
async fn notifications_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    scenario(db.store.clone()).await;
    db.finish().await;
}

#[tokio::test]
async fn nothing_is_enqueued_without_smtp() {
    let (app, _db) = common::sqlite_app().await;
    file_for(&app, "王芳", "wangfang@example.cn", "问题", "zh-CN").await;
    assert_eq!(run_jobs(&app).await, 0);
}

/// A complaint filed on the public form with a known contact's address mails
/// that address a confirmation — the reference and a link, nothing the filer typed — instead of
/// the usual receipt; the link confirms once.
async fn known_address_is_asked_to_confirm(store: Arc<dyn Store>) {
    let sink = Sink::start();
    let app = app(store, &sink);
    file_for(&app, "王芳", "wangfang@example.cn", "旧工单", "zh-CN").await;
    let before = sink.filed();
    run_jobs(&app).await;
    let receipts = sink.filed() - before;
    let filed = app
        .file_public_ticket(
            PublicTicketInput {
                name: "冒名者".into(),
                email: "wangfang@example.cn".into(),
                kind: "complaint".into(),
                subject: "点击领奖 http://spam.example".into(),
                body: "恭喜中奖，请访问 http://spam.example".into(),
                language: Some("zh-CN".into()),
                ..Default::default()
            },
            Some("192.0.2.9"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(filed.unconfirmed);
    assert_eq!(run_jobs(&app).await, 1, "one mail: the confirmation, not the receipt");
    let (mail, _) = read(&sink, before + receipts + 1);
    let reference = filed.view.reference.to_string();
    assert_eq!(mail.subject, format!("[{reference}] 请确认您的请求"));
    assert!(
        !mail.text.contains("spam") && !mail.text.contains("中奖"),
        "nothing the filer typed: {}",
        mail.text
    );
    let token = mail
        .text
        .split("https://kefu.example/confirm/")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the confirmation link")
        .to_owned();
    let (_, messages) = app.followed_ticket(&filed.follow_token).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        app.confirm_requester_by_link(&token, None).await.unwrap().to_string(),
        reference
    );
    assert!(matches!(
        app.confirm_requester_by_link(&token, None).await,
        Err(kefu_app::AppError::NotFound)
    ));
    assert!(!app.store().requester_unconfirmed(filed.view.ticket.id).await.unwrap());
}

#[tokio::test]
async fn known_address_is_asked_to_confirm_on_sqlite() {
    let db = common::TestDb::sqlite(2).await;
    known_address_is_asked_to_confirm(db.store.clone()).await;
}

#[tokio::test]
async fn known_address_is_asked_to_confirm_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    known_address_is_asked_to_confirm(db.store.clone()).await;
    db.finish().await;
}
