//! Polling a real IMAP server (Dovecot on loopback, `kefu_mail::sink_imap`), and the IMAP URL's rules.

use kefu_mail::imap::poll;
use kefu_mail::sink_imap::Mailbox;
use kefu_mail::{Disposition, ImapUrl, MailError, TlsMode};
use std::sync::{Arc, Mutex};

fn message(n: usize) -> Vec<u8> {
    format!("From: Wang <wang@example.com>\r\nTo: kefu@example.com\r\nSubject: test {n}\r\nMessage-ID: <m{n}@example.com>\r\n\r\nbody {n}\r\n").into_bytes()
}

#[tokio::test]
async fn a_poll_takes_unseen_mail_oldest_first_and_marks_what_became_of_it() {
    let mut mb = Mailbox::start();
    let names: Vec<String> = (1..=3).map(|n| mb.deliver(&message(n))).collect();
    let url = ImapUrl::parse(&mb.url()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    // The first is taken, the second refused, the third stops the pass (the database is down).
    let report = poll(&url, 10, move |raw| {
        let s = s.clone();
        async move {
            let text = String::from_utf8(raw).unwrap();
            let mut s = s.lock().unwrap();
            s.push(text.lines().find(|l| l.starts_with("Subject:")).unwrap().to_owned());
            match s.len() {
                1 => Disposition::Taken,
                2 => Disposition::Refused,
                _ => Disposition::Stop,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(report.unseen, 3);
    assert_eq!((report.taken, report.refused, report.stopped), (1, 1, true));
    assert_eq!(
        *seen.lock().unwrap(),
        ["Subject: test 1", "Subject: test 2", "Subject: test 3"]
    );
    assert_eq!(mb.flags(&names[0]), "S");
    assert_eq!(mb.flags(&names[1]), "FS");
    assert_eq!(mb.flags(&names[2]), "", "left unseen for the next poll");
    // The next poll finds only the third; `max` bounds a pass.
    mb.deliver(&message(4));
    let taken = Arc::new(Mutex::new(0));
    let t = taken.clone();
    let report = poll(&url, 1, move |_| {
        let t = t.clone();
        async move {
            *t.lock().unwrap() += 1;
            Disposition::Taken
        }
    })
    .await
    .unwrap();
    assert_eq!((report.unseen, report.taken, report.stopped), (2, 1, false));
    assert_eq!(mb.flags(&names[2]), "S");
}

#[tokio::test]
async fn a_wrong_password_or_mailbox_is_a_clear_error() {
    let mb = Mailbox::start();
    let bad = ImapUrl::parse(&mb.url().replace("secret", "wrong")).unwrap();
    let e = poll(&bad, 10, |_| async { Disposition::Taken }).await.unwrap_err();
    assert!(matches!(&e, MailError::Fetch(m) if m.contains("login as kefu")), "{e}");
    assert!(!e.to_string().contains("wrong"), "the password is never shown: {e}");
    let missing = ImapUrl::parse(&mb.url().replace("/INBOX", "/Nowhere")).unwrap();
    let e = poll(&missing, 10, |_| async { Disposition::Taken }).await.unwrap_err();
    assert!(e.to_string().contains("select Nowhere"), "{e}");
    let closed = ImapUrl::parse(&format!(
        "imap://kefu:secret@127.0.0.1:{}/?tls=none&timeout=2",
        kefu_mail::sink::free_port()
    ))
    .unwrap();
    let e = poll(&closed, 10, |_| async { Disposition::Taken }).await.unwrap_err();
    assert!(e.to_string().contains("connect"), "{e}");
}

#[test]
fn imap_urls_default_per_tls_mode_and_never_show_the_password() {
    let u = ImapUrl::parse("imaps://support%40example.com:p%40ss@imap.example.com").unwrap();
    assert_eq!((u.port, u.tls, u.mailbox.as_str()), (993, TlsMode::Tls, "INBOX"));
    assert_eq!(u.username, "support@example.com");
    assert_eq!(
        u.to_string(),
        "imaps://support%40example%2Ecom:***@imap.example.com:993/INBOX?tls=tls&timeout=30"
    );
    assert!(!format!("{u:?}").contains("p@ss"));
    let u = ImapUrl::parse("imap://u:p@mail.example.com/Support").unwrap();
    assert_eq!((u.port, u.tls, u.mailbox.as_str()), (143, TlsMode::StartTls, "Support"));
    for (url, says) in [
        ("imap://mail.example.com/INBOX", "user name and password"),
        ("imap://u:p@mail.example.com/?tls=none", "in clear"),
        ("imaps://u:p@mail.example.com/?tls=none", "always TLS"),
        ("pop3://u:p@mail.example.com/", "use imap:// or imaps://"),
        ("imap://u:p@mail.example.com/a/b", "one mailbox name"),
        ("imap://u:p@mail.example.com/?tsl=none", "unknown parameter"),
    ] {
        let e = ImapUrl::parse(url).unwrap_err();
        assert!(matches!(e, MailError::ImapConfig(_)), "{url}: {e}");
        assert!(e.to_string().contains(says), "{url}: {e}");
    }
}
