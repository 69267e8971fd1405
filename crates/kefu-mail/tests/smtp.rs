//! SmtpSender against a real SMTP peer on loopback: Python's aiosmtpd with the handler in smtp_sink.py, which files
//! each accepted message. These tests fail (never skip) when python3 or aiosmtpd is missing: .ci/run installs it.

use kefu_core::Language;
use kefu_core::ticket::Reference;
use kefu_mail::sink::{Sink, free_port};
use kefu_mail::{
    AutoKind, InboundLimits, MailError, OutboundMail, SmtpSender, new_message_id, parse_inbound, parse_mailbox,
    thread_key,
};
use std::time::Duration;

fn sender(url: &str) -> SmtpSender {
    SmtpSender::new(url, parse_mailbox("客服中心 <support@kefu.example>").unwrap()).unwrap()
}

fn notification(to: &str) -> OutboundMail {
    OutboundMail {
        to: parse_mailbox(to).unwrap(),
        subject: "[KF-2026-000123] 我们已收到您的投诉：空调不制冷".into(),
        text: "王芳您好：\n\n我们已收到您的投诉，工单号 KF-2026-000123。工程师将在 2 个工作小时内联系您。\n\n客服中心"
            .into(),
        html: Some("<p>王芳您好：</p><p>我们已收到您的投诉，工单号 <b>KF-2026-000123</b>。</p>".into()),
        message_id: new_message_id("KF-2026-000123", "kefu.example").unwrap(),
        in_reply_to: Some("202603111403270891234@foxmail.com".into()),
        references: vec!["202603111403270891234@foxmail.com".into()],
        lang: Language::ZhCn,
        auto_submitted: true,
    }
}

#[tokio::test]
async fn chinese_notification_round_trips_through_a_real_smtp_server() {
    let sink = Sink::start();
    let sender = sender(&sink.url());
    let sent = notification("王芳 <wangfang@example.cn>");
    sender.send(&sent).await.unwrap();

    let (raw, envelope) = sink.message(1);
    assert!(
        envelope.contains(r#""mail_from": "support@kefu.example""#) && envelope.contains("wangfang@example.cn"),
        "{envelope}"
    );
    let head = String::from_utf8_lossy(&raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]).to_string();
    assert!(head.is_ascii(), "headers are 7-bit, Chinese as RFC 2047 words:\n{head}");
    assert!(head.contains("Auto-Submitted: auto-generated"), "{head}");
    assert!(head.contains("Content-Language: zh-CN"), "{head}");
    assert!(head.contains(&format!("Message-ID: <{}>", sent.message_id)), "{head}");
    assert!(
        sent.message_id.starts_with("kefu.KF-2026-000123."),
        "{}",
        sent.message_id
    );

    let got = parse_inbound(&raw, &InboundLimits::default()).unwrap();
    assert_eq!(got.subject, sent.subject);
    assert_eq!(got.text, sent.text);
    assert!(got.html.as_deref().unwrap().contains("<b>KF-2026-000123</b>"));
    assert_eq!(got.message_id.as_deref(), Some(sent.message_id.as_str()));
    assert_eq!(got.in_reply_to, ["202603111403270891234@foxmail.com"]);
    assert_eq!(got.references, ["202603111403270891234@foxmail.com"]);
    assert_eq!(got.from.name.as_deref(), Some("客服中心"));
    assert_eq!(got.from.address.as_str(), "support@kefu.example");
    assert_eq!(got.to[0].name.as_deref(), Some("王芳"));
    assert_eq!(got.to[0].address.as_str(), "wangfang@example.cn");
    assert!(got.date.is_some());
    // Were it to come back to our own inbox, our notification is recognised as machine mail: no loop.
    assert_eq!(got.automatic.as_ref().map(|a| a.kind), Some(AutoKind::AutoReply));
    assert_eq!(
        thread_key(&got).reference_in_subject,
        Some(Reference::parse("KF-2026-000123").unwrap())
    );

    // An agent's own reply: text only, not marked as automatic.
    let reply = OutboundMail {
        html: None,
        auto_submitted: false,
        subject: "Re: [KF-2026-000123] 空调不制冷".into(),
        message_id: new_message_id("KF-2026-000123", "kefu.example").unwrap(),
        ..notification("wangfang@example.cn")
    };
    assert_ne!(reply.message_id, sent.message_id);
    sender.send(&reply).await.unwrap();
    let (raw, _) = sink.message(2);
    let got = parse_inbound(&raw, &InboundLimits::default()).unwrap();
    assert_eq!(got.subject, reply.subject);
    assert_eq!(got.text, reply.text);
    assert_eq!(got.html, None);
    assert_eq!(got.automatic, None);
    assert_eq!(got.to[0].name, None);
}

#[tokio::test]
async fn rejected_recipient_is_permanent_and_a_full_mailbox_temporary() {
    let sink = Sink::start();
    let sender = sender(&sink.url());
    let e = sender.send(&notification("reject@example.cn")).await.unwrap_err();
    assert!(matches!(e, MailError::SendPermanent { code: Some(550), .. }), "{e}");
    assert!(e.is_permanent() && !e.is_temporary());
    assert!(e.to_string().contains("User unknown"), "{e}");

    let e = sender.send(&notification("tempfail@example.cn")).await.unwrap_err();
    assert!(matches!(e, MailError::SendTemporary { code: Some(451), .. }), "{e}");
    assert!(e.is_temporary());

    // The sink files nothing for either, and still takes the next good message.
    sender.send(&notification("ok@example.cn")).await.unwrap();
    let (_, envelope) = sink.message(1);
    assert!(envelope.contains("ok@example.cn"), "{envelope}");
    assert_eq!(sink.filed(), 1);
}

#[tokio::test]
async fn a_server_that_is_down_is_a_temporary_failure() {
    let port = free_port();
    let sender = sender(&format!("smtp://127.0.0.1:{port}?tls=none"));
    let e = sender.send(&notification("wangfang@example.cn")).await.unwrap_err();
    assert!(matches!(e, MailError::SendTemporary { code: None, .. }), "{e}");
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_temporary() {
    // Accepts the connection and says nothing, like a wedged relay or a firewall black hole.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let sender = sender(&format!("smtp://127.0.0.1:{port}?tls=none&timeout=1"));
    let e = sender.send(&notification("wangfang@example.cn")).await.unwrap_err();
    assert!(e.is_temporary(), "{e}");
    hold.abort();
}
