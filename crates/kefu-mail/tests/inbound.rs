//! parse_inbound on messages shaped like what real clients send (fixtures/*.eml, written by make_fixtures.py),
//! and on the bad input a mailbox gets: broken MIME, huge attachments, script in HTML, no From.

use kefu_core::ticket::Reference;
use kefu_mail::{AutoKind, ContentTypeRule, InboundLimits, MailError, parse_inbound, read_message, thread_key};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Result<kefu_mail::InboundMail, MailError> {
    parse_inbound(&fixture(name), &InboundLimits::default())
}

#[test]
fn outlook_gbk_reply_decodes_chinese_and_threads() {
    let mail = parse("outlook-gbk.eml").unwrap();
    assert_eq!(mail.from.address.as_str(), "zhang.zhe@example.cn");
    // 喆 is GBK, not GB2312: a label-faithful GB2312 decoder would garble the name.
    assert_eq!(mail.from.name.as_deref(), Some("张喆"));
    assert_eq!(mail.subject, "答复: [KF-2026-000123] 空调不制冷，已经三天了");
    assert_eq!(mail.to.len(), 1);
    assert_eq!(mail.to[0].name.as_deref(), Some("客服中心"));
    assert_eq!(
        mail.cc.iter().map(|a| a.address.as_str()).collect::<Vec<_>>(),
        ["lina@example.cn"],
        "the unusable Cc address is left out"
    );
    assert_eq!(
        mail.message_id.as_deref(),
        Some("TYZPR06MB4878A1B2C3D4E5F6A7B8C9D0E1F2@TYZPR06MB4878.apcprd06.prod.outlook.com")
    );
    assert_eq!(mail.in_reply_to, ["kefu.KF-2026-000123.5e1c0a9b7d3f2e11@kefu.example"]);
    assert_eq!(mail.references, ["kefu.KF-2026-000123.5e1c0a9b7d3f2e11@kefu.example"]);
    assert_eq!(mail.date.unwrap().to_string(), "2026-03-10T01:14:58Z");
    assert!(
        mail.text.contains("空调还是不制冷，师傅说要换压缩机。我是张喆"),
        "{}",
        mail.text
    );
    assert!(mail.text.ends_with("朱镕"), "{:?}", mail.text);
    assert!(!mail.text.contains('\r'));
    let html = mail.html.as_deref().unwrap();
    assert!(html.contains("师傅说要换压缩机"), "{html}");
    assert!(!html.contains("<meta"), "{html}");
    assert!(mail.attachments.is_empty());
    assert!(mail.automatic.is_none());

    let hint = thread_key(&mail);
    assert_eq!(
        hint.reference_in_subject,
        Some(Reference::parse("KF-2026-000123").unwrap())
    );
    assert_eq!(
        hint.candidate_message_ids(),
        ["kefu.KF-2026-000123.5e1c0a9b7d3f2e11@kefu.example"]
    );
    assert!(hint.sender_is_contact(["someone@else.cn", " Zhang.Zhe@example.cn "]));
    assert!(!hint.sender_is_contact(["zhangzhe@example.cn"]));
}

#[test]
fn foxmail_related_with_inline_image_and_rfc2231_filename() {
    let mail = parse("foxmail-related.eml").unwrap();
    assert_eq!(mail.from.name.as_deref(), Some("王芳"));
    assert_eq!(mail.subject, "洗衣机显示E21故障码");
    assert_eq!(
        mail.text,
        "你好，\n\n洗衣机显示 E21 故障码，截图见下。发票也附上了。\n\n王芳"
    );
    let html = mail.html.as_deref().unwrap();
    assert!(
        html.contains(r#"src="cid:_Foxmail.1@3f2e1d0c-aaaa-bbbb-cccc-000000000001""#),
        "inline images stay: {html}"
    );
    assert!(!html.contains("<style") && !html.contains("font-family"), "{html}");

    assert_eq!(mail.attachments.len(), 2, "{:?}", mail.attachments);
    let image = &mail.attachments[0];
    assert_eq!(image.content_type, "image/png");
    assert_eq!(
        image.content_id.as_deref(),
        Some("_Foxmail.1@3f2e1d0c-aaaa-bbbb-cccc-000000000001")
    );
    assert!(image.inline);
    assert!(image.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let pdf = &mail.attachments[1];
    assert_eq!(pdf.filename, "发票-2026年3月.pdf");
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(!pdf.inline);
    assert!(pdf.bytes.starts_with(b"%PDF-1.4"));
}

#[test]
fn html_only_message_is_sanitised_and_gets_a_text_body() {
    let mail = parse("html-only-script.eml").unwrap();
    let html = mail.html.as_deref().unwrap();
    for bad in [
        "<script",
        "alert",
        "onerror",
        "onload",
        "javascript:",
        "tracker.example.net",
        "data:",
        "<form",
        "<input",
        "<iframe",
        "/admin/delete",
        "<style",
    ] {
        assert!(!html.contains(bad), "{bad:?} survived sanitising: {html}");
    }
    assert!(html.contains("<b>#8812</b>"), "{html}");
    assert!(
        html.contains(r#"<a href="https://shop.example.com/orders/8812" rel="noopener noreferrer nofollow">order</a>"#),
        "{html}"
    );
    assert!(
        mail.text.contains("Hello, my order #8812 never arrived."),
        "{:?}",
        mail.text
    );
    assert!(!mail.text.contains("document.location"), "{:?}", mail.text);
}

#[test]
fn remote_images_only_when_allowed() {
    let limits = InboundLimits {
        allow_remote_images: true,
        ..InboundLimits::default()
    };
    let mail = parse_inbound(&fixture("html-only-script.eml"), &limits).unwrap();
    let html = mail.html.unwrap();
    assert!(html.contains("https://tracker.example.net/pixel.gif?u=42"), "{html}");
    assert!(!html.contains("onerror") && !html.contains("data:"), "{html}");
}

#[test]
fn raw_8bit_gbk_headers_are_read_as_gb18030() {
    let mail = parse("raw-gbk-headers.eml").unwrap();
    assert_eq!(mail.from.name.as_deref(), Some("陈静"));
    assert_eq!(mail.subject, "退货申请 KF-2026-000456");
    assert_eq!(mail.text, "申请退货，订单号 20260314001。");
    assert_eq!(thread_key(&mail).reference_in_subject.unwrap().number, 456);
    // The same with bare LF line ends, as a message saved on Unix has them.
    let lf: Vec<u8> = fixture("raw-gbk-headers.eml")
        .split(|&b| b == b'\r')
        .flatten()
        .copied()
        .collect();
    let mail = parse_inbound(&lf, &InboundLimits::default()).unwrap();
    assert_eq!(mail.subject, "退货申请 KF-2026-000456");
    assert_eq!(mail.text, "申请退货，订单号 20260314001。");
}

#[test]
fn auto_reply_is_flagged() {
    let mail = parse("auto-reply.eml").unwrap();
    assert_eq!(mail.subject, "自动回复: [KF-2026-000123] 我们已收到您的投诉");
    assert_eq!(mail.text, "您好，我正在休假，3月20日回来后再回复您的邮件。");
    let auto = mail.automatic.as_ref().unwrap();
    assert_eq!(auto.kind, AutoKind::AutoReply);
    assert_eq!(auto.reason, "Auto-Submitted: auto-replied");
    assert!(mail.is_automatic());
}

#[test]
fn bounce_is_flagged_with_the_undelivered_message_id() {
    let mail = parse("bounce.eml").unwrap();
    let auto = mail.automatic.as_ref().unwrap();
    assert_eq!(auto.kind, AutoKind::Bounce);
    assert!(auto.reason.contains("multipart/report"), "{}", auto.reason);
    assert_eq!(
        auto.original_message_id.as_deref(),
        Some("kefu.KF-2026-000123.77ee66dd55cc44bb@kefu.example")
    );
    assert!(mail.text.contains("User unknown"), "{}", mail.text);
}

#[test]
fn single_header_markers_are_each_detected() {
    let cases = [
        ("From: MAILER-DAEMON@mx.example.com\r\n", AutoKind::Bounce),
        (
            "From: a@example.com\r\nAuto-Submitted: auto-generated\r\n",
            AutoKind::AutoReply,
        ),
        ("From: a@example.com\r\nX-Autoreply: yes\r\n", AutoKind::AutoReply),
        ("From: a@example.com\r\nPrecedence: auto_reply\r\n", AutoKind::AutoReply),
        ("From: a@example.com\r\nPrecedence: bulk\r\n", AutoKind::Bulk),
        ("From: a@example.com\r\nReturn-Path: <>\r\n", AutoKind::AutoReply),
        ("From: a@example.com\r\nList-Id: <news.example.com>\r\n", AutoKind::Bulk),
    ];
    for (headers, kind) in cases {
        let raw = format!("{headers}Subject: x\r\n\r\nbody\r\n");
        let mail = parse_inbound(raw.as_bytes(), &InboundLimits::default()).unwrap();
        assert_eq!(mail.automatic.map(|a| a.kind), Some(kind), "{headers}");
    }
    let human = "From: a@example.com\r\nAuto-Submitted: no\r\nPrecedence: normal\r\nSubject: x\r\n\r\nbody\r\n";
    let mail = parse_inbound(human.as_bytes(), &InboundLimits::default()).unwrap();
    assert_eq!(mail.automatic, None);
}

#[test]
fn broken_mime_is_refused_with_the_part_named() {
    let e = parse("broken-boundary.eml").unwrap_err();
    assert!(
        matches!(&e, MailError::BrokenMime { detail, .. } if detail.contains("declared-boundary")),
        "{e}"
    );
    let e = parse("truncated-multipart.eml").unwrap_err();
    assert!(matches!(&e, MailError::BrokenMime { .. }), "{e}");
    assert!(e.to_string().contains("--b1--"), "{e}");

    let no_boundary = "From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n";
    let e = parse_inbound(no_boundary.as_bytes(), &InboundLimits::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "broken MIME in the message body (multipart/mixed): multipart without a boundary parameter"
    );
}

#[test]
fn missing_or_unusable_from_is_refused() {
    let e = parse("missing-from.eml").unwrap_err();
    assert_eq!(e.to_string(), "header From: missing");
    let e = parse_inbound(
        b"From: Zhang San\r\nSubject: x\r\n\r\nhi\r\n",
        &InboundLimits::default(),
    )
    .unwrap_err();
    assert!(matches!(e, MailError::BadHeader { header: "From", .. }), "{e}");
}

#[test]
fn empty_and_headerless_input_is_not_a_message() {
    for raw in [&b""[..], b"\r\n\r\n", b"just some words\r\n"] {
        let e = parse_inbound(raw, &InboundLimits::default()).unwrap_err();
        assert!(
            matches!(e, MailError::NotAMessage(_) | MailError::BadHeader { .. }),
            "{raw:?}: {e}"
        );
    }
}

/// The attachment bytes of [`with_attachment`]: a 57-byte block repeated (57 bytes are one 76-character base64 line).
fn pattern(size: usize) -> Vec<u8> {
    let block: Vec<u8> = (0..57).map(|i| (i * 7 + 3) as u8).collect();
    let mut data = block.repeat(size / 57);
    data.extend_from_slice(&block[..size % 57]);
    data
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let v = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(v >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// A message with one attachment of `size` bytes of [`pattern`], base64 in 76-character lines as clients send it.
fn with_attachment(size: usize, content_type: &str, filename: &str) -> Vec<u8> {
    let data = pattern(size);
    let line = format!("{}\r\n", base64(&data[..57.min(size)]));
    let mut b64 = line.repeat(size / 57);
    b64.push_str(&base64(&data[size / 57 * 57..]));
    format!(
        "From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n\
         --zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attachment\r\n\
         --zz\r\nContent-Type: {content_type}; name=\"{filename}\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{filename}\"\r\n\r\n{b64}\r\n--zz--\r\n"
    )
    .into_bytes()
}

#[test]
fn huge_attachment_is_refused_by_name_and_size() {
    let limits = InboundLimits::default();
    let raw = with_attachment(12 * 1024 * 1024, "application/pdf", "scan.pdf");
    let e = parse_inbound(&raw, &limits).unwrap_err();
    assert_eq!(
        e,
        MailError::AttachmentTooLarge {
            filename: "scan.pdf".into(),
            size: 12 * 1024 * 1024,
            limit: 10 * 1024 * 1024
        }
    );
    // At the limit is fine, and the bytes come back exactly.
    let raw = with_attachment(10 * 1024 * 1024, "application/pdf", "scan.pdf");
    let mail = parse_inbound(&raw, &limits).unwrap();
    assert_eq!(mail.attachments[0].bytes, pattern(10 * 1024 * 1024));
}

#[test]
fn oversize_message_is_refused_before_parsing_and_when_read() {
    let limits = InboundLimits {
        max_message_bytes: 64 * 1024,
        ..InboundLimits::default()
    };
    let raw = with_attachment(100 * 1024, "application/pdf", "scan.pdf");
    let e = parse_inbound(&raw, &limits).unwrap_err();
    assert!(matches!(e, MailError::MessageTooLarge { limit: 65536, .. }), "{e}");
    let e = read_message(&raw[..], &limits).unwrap_err();
    assert_eq!(
        e,
        MailError::MessageTooLarge {
            size: 65537,
            limit: 65536
        },
        "read_message stops one byte past the limit"
    );
    let small = fixture("auto-reply.eml");
    assert_eq!(read_message(&small[..], &limits).unwrap(), small);
}

#[test]
fn total_attachment_size_and_count_are_limited() {
    let limits = InboundLimits {
        max_attachment_bytes: 1000,
        max_total_attachment_bytes: 1500,
        ..InboundLimits::default()
    };
    let raw = fixture("foxmail-related.eml");
    let mail = parse_inbound(&raw, &limits).unwrap();
    assert_eq!(mail.attachments.len(), 2);
    let tight = InboundLimits {
        max_total_attachment_bytes: 100,
        ..limits.clone()
    };
    assert!(matches!(
        parse_inbound(&raw, &tight).unwrap_err(),
        MailError::AttachmentsTooLarge { limit: 100, .. }
    ));
    let one = InboundLimits {
        max_attachments: 1,
        ..limits
    };
    assert_eq!(
        parse_inbound(&raw, &one).unwrap_err(),
        MailError::TooManyAttachments { count: 2, limit: 1 }
    );
}

#[test]
fn attachment_types_follow_the_allow_deny_rule() {
    let limits = InboundLimits::default();
    for (ct, name) in [
        ("application/x-msdownload", "setup.exe"),
        ("application/octet-stream", "invoice.pdf.exe"),
        ("image/svg+xml", "logo.svg"),
        ("text/html", "page.htm"),
    ] {
        let e = parse_inbound(&with_attachment(10, ct, name), &limits).unwrap_err();
        assert!(
            matches!(&e, MailError::AttachmentRefused { filename, .. } if filename == name),
            "{ct} {name}: {e}"
        );
    }
    for (ct, name) in [
        ("image/jpeg", "photo.jpg"),
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "报价单.xlsx",
        ),
        ("application/octet-stream", "log.bin"),
    ] {
        parse_inbound(&with_attachment(10, ct, name), &limits).unwrap_or_else(|e| panic!("{ct} {name}: {e}"));
    }
    let only_pdf = ContentTypeRule {
        allow: vec!["application/pdf".into()],
        deny: vec![],
        deny_extensions: vec![],
    };
    assert!(only_pdf.check("application/PDF; name=x", "x.pdf").is_ok());
    assert_eq!(
        only_pdf.check("image/png", "x.png").unwrap_err(),
        "type image/png is not in the allowed list"
    );
}

#[test]
fn attachment_file_names_are_made_safe() {
    let mail = parse_inbound(
        &with_attachment(10, "application/pdf", "../../etc/passwd.pdf"),
        &InboundLimits::default(),
    )
    .unwrap();
    assert_eq!(mail.attachments[0].filename, "passwd.pdf");
    let mail = parse_inbound(&with_attachment(10, "image/png", ""), &InboundLimits::default()).unwrap();
    assert_eq!(mail.attachments[0].filename, "attachment-1.png");
}

#[test]
fn forged_in_reply_to_is_exposed_not_trusted() {
    // A stranger copies the In-Reply-To of someone else's ticket: the ids match, the sender does not, and the
    // app, following the documented rule, must not append it to that ticket.
    let raw = "From: stranger@evil.example\r\nSubject: Re: your ticket\r\n\
               In-Reply-To: <kefu.KF-2026-000123.5e1c0a9b7d3f2e11@kefu.example>\r\n\r\nlet me in\r\n";
    let mail = parse_inbound(raw.as_bytes(), &InboundLimits::default()).unwrap();
    let hint = thread_key(&mail);
    assert_eq!(
        hint.candidate_message_ids(),
        ["kefu.KF-2026-000123.5e1c0a9b7d3f2e11@kefu.example"]
    );
    assert!(!hint.sender_is_contact(["zhang.zhe@example.cn"]));
    assert_eq!(hint.sender.as_str(), "stranger@evil.example");
}

#[test]
fn message_ids_are_normalised_and_bounded() {
    let refs: String = (0..150).map(|i| format!("<r{i}@x.example> ")).collect();
    let raw = format!(
        "From: a@example.com\r\nMessage-ID:   <Abc.123@Host.Example>  \r\nIn-Reply-To: <r149@x.example> <r149@x.example>\r\n\
         References: {refs}\r\nSubject: =?UTF-8?Q?multi?=\r\n =?UTF-8?B?6KGM?=\r\n\r\nbody\r\n"
    );
    let mail = parse_inbound(raw.as_bytes(), &InboundLimits::default()).unwrap();
    assert_eq!(mail.message_id.as_deref(), Some("Abc.123@Host.Example"));
    assert_eq!(mail.in_reply_to, ["r149@x.example"]);
    assert_eq!(mail.references.len(), 100);
    assert_eq!(mail.references[0], "r50@x.example");
    assert_eq!(mail.subject, "multi行");
    let hint = thread_key(&mail);
    let ids = hint.candidate_message_ids();
    assert_eq!(ids[0], "r149@x.example");
    assert_eq!(ids[1], "r148@x.example");
    assert_eq!(ids.len(), 100);
}

#[test]
fn no_input_makes_it_panic() {
    // Every fixture cut at every 97th byte: each prefix is refused or parsed, never a panic.
    for name in [
        "outlook-gbk.eml",
        "foxmail-related.eml",
        "bounce.eml",
        "html-only-script.eml",
        "truncated-multipart.eml",
    ] {
        let raw = fixture(name);
        for end in (0..raw.len()).step_by(97) {
            let _ = parse_inbound(&raw[..end], &InboundLimits::default());
        }
    }
}
