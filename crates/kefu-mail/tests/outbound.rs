//! Outbound without a network: the SMTP URL, Message-IDs and the rendered message.

use std::time::Duration;

use kefu_core::Language;
use kefu_mail::{
    InboundLimits, MailError, OutboundMail, SmtpSender, SmtpUrl, TlsMode, new_message_id, parse_inbound, parse_mailbox,
    render,
};

#[test]
fn smtp_url_parses_with_defaults_per_tls_mode() {
    let u = SmtpUrl::parse("smtp://relay.example.com").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.tls),
        ("relay.example.com", 587, TlsMode::StartTls)
    );
    assert_eq!(u.timeout, Duration::from_secs(30));
    let u = SmtpUrl::parse("smtps://user@smtp.exmail.qq.com").unwrap();
    assert_eq!(
        (u.port, u.tls, u.username.as_deref()),
        (465, TlsMode::Tls, Some("user"))
    );
    let u = SmtpUrl::parse("smtp://127.0.0.1?tls=none").unwrap();
    assert_eq!((u.port, u.tls), (25, TlsMode::None));
    let u =
        SmtpUrl::parse("smtp://kefu%40corp.example:p%40ss%3Aw0rd@mail.corp.example:2525?tls=tls&timeout=5").unwrap();
    assert_eq!(u.username.as_deref(), Some("kefu@corp.example"));
    assert!(u.has_password());
    assert_eq!((u.port, u.tls, u.timeout), (2525, TlsMode::Tls, Duration::from_secs(5)));
    let u = SmtpUrl::parse("smtp://[::1]:2525?tls=none").unwrap();
    assert_eq!(u.host, "::1");
}

#[test]
fn smtp_url_never_shows_the_password() {
    let url = "smtp://kefu:Sup3r-Secret@mail.example.com:587?tls=starttls";
    let u = SmtpUrl::parse(url).unwrap();
    assert_eq!(
        u.to_string(),
        "smtp://kefu:***@mail.example.com:587?tls=starttls&timeout=30"
    );
    let debug = format!("{u:?}");
    assert!(!debug.contains("Sup3r-Secret") && debug.contains("***"), "{debug}");
    let sender = SmtpSender::new(url, parse_mailbox("support@example.com").unwrap()).unwrap();
    let debug = format!("{sender:?}");
    assert!(!debug.contains("Sup3r-Secret"), "{debug}");
    let e = SmtpUrl::parse("smtp://kefu:Sup3r-Secret@mail.example.com?tls=bogus").unwrap_err();
    assert!(!e.to_string().contains("Sup3r-Secret"), "{e}");
}

#[test]
fn bad_smtp_urls_are_refused_with_the_reason() {
    for (url, expected) in [
        ("mail.example.com", "not a URL"),
        ("mail.example.com:25", "use smtp:// or smtps://"),
        ("http://mail.example.com", "use smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://mail.example.com?tsl=none", "unknown parameter \"tsl\""),
        ("smtp://mail.example.com?tls=ssl", "tls=\"ssl\""),
        ("smtps://mail.example.com?tls=none", "smtps:// is always TLS"),
        ("smtp://mail.example.com?timeout=0", "timeout=\"0\""),
        ("smtp://mail.example.com?timeout=abc", "timeout=\"abc\""),
        ("smtp://:secret@mail.example.com", "a password without a user name"),
        ("smtp://u:secret@mail.example.com?tls=none", "in clear"),
        ("smtp://mail.example.com/inbox", "unexpected path"),
        ("smtp://mail.example.com:0", "port 0"),
    ] {
        let e = SmtpUrl::parse(url).unwrap_err();
        assert!(matches!(e, MailError::Config(_)), "{url}: {e}");
        assert!(e.to_string().contains(expected), "{url}: {e}");
    }
    // A password in clear is fine to a relay on this machine.
    assert!(SmtpUrl::parse("smtp://u:p@localhost:25?tls=none").is_ok());
}

#[test]
fn message_ids_name_the_ticket_and_differ_each_time() {
    let a = new_message_id("KF-2026-000123", "Kefu.Example").unwrap();
    let b = new_message_id("KF-2026-000123", "kefu.example").unwrap();
    assert_ne!(a, b);
    let (local, domain) = a.split_once('@').unwrap();
    assert_eq!(domain, "kefu.example");
    let parts: Vec<&str> = local.split('.').collect();
    assert_eq!(parts.len(), 3, "{a}");
    assert_eq!((parts[0], parts[1]), ("kefu", "KF-2026-000123"));
    assert_eq!(parts[2].len(), 16);
    assert!(parts[2].bytes().all(|c| c.is_ascii_hexdigit()));
    for (ticket, domain) in [
        ("", "x.example"),
        ("a b", "x.example"),
        ("1>", "x.example"),
        ("1", ""),
        ("1", "a..b"),
    ] {
        assert!(new_message_id(ticket, domain).is_err(), "{ticket:?} {domain:?}");
    }
}

fn mail() -> OutboundMail {
    OutboundMail {
        to: parse_mailbox("\"Li, Na\" <lina@example.cn>").unwrap(),
        subject: "状态更新\r\nBcc: victim@example.com".into(),
        text: "Your ticket is resolved.".into(),
        html: None,
        message_id: "kefu.1.00000000000000ff@kefu.example".into(),
        in_reply_to: None,
        references: (0..30).map(|i| format!("<r{i}@x.example>")).collect(),
        lang: Language::En,
        auto_submitted: true,
    }
}

#[test]
fn rendered_message_parses_back_and_resists_header_injection() {
    let from = parse_mailbox("Support <support@kefu.example>").unwrap();
    let raw = render(&mail(), &from).unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(!text.contains("\r\nBcc:"), "{text}");
    let got = parse_inbound(&raw, &InboundLimits::default()).unwrap();
    assert_eq!(got.subject, "状态更新 Bcc: victim@example.com");
    assert_eq!(got.to[0].name.as_deref(), Some("Li, Na"));
    assert_eq!(got.message_id.as_deref(), Some("kefu.1.00000000000000ff@kefu.example"));
    // The thread root and the newest 19 ids.
    assert_eq!(got.references.len(), 20);
    assert_eq!(got.references[0], "r0@x.example");
    assert_eq!(got.references[1], "r11@x.example");
    assert_eq!(got.references[19], "r29@x.example");
    assert!(text.contains("Content-Language: en\r\n"), "{text}");
}

#[test]
fn bad_ids_in_outbound_mail_are_refused() {
    let from = parse_mailbox("support@kefu.example").unwrap();
    let bad = OutboundMail {
        in_reply_to: Some("not an id".into()),
        ..mail()
    };
    assert!(matches!(render(&bad, &from).unwrap_err(), MailError::Build(m) if m.contains("In-Reply-To")));
    let bad = OutboundMail {
        message_id: "<>".into(),
        ..mail()
    };
    assert!(matches!(render(&bad, &from).unwrap_err(), MailError::Build(m) if m.contains("Message-ID")));
    assert!(parse_mailbox("no address here").is_err());
    let named = parse_mailbox("客服中心 <Support@Kefu.Example>").unwrap();
    assert_eq!(named.name.as_deref(), Some("客服中心"));
    assert_eq!(named.address.as_str(), "support@kefu.example");
}
