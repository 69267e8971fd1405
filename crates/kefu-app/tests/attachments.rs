//! Attachments on both databases and in a directory: stored whole or not at all, read back
//! checked against their SHA-256, and taken from e-mail with the message.

mod common;

use kefu_app::attachments::{AttachmentPolicy, Upload};
use kefu_app::customers::CustomerInput;
use kefu_app::mail::IngestOutcome;
use kefu_app::tickets::TicketInput;
use kefu_app::{Actor, App, AppConfig, AppError};
use kefu_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

fn up(name: &str, ct: &str, bytes: &[u8]) -> Upload {
    Upload {
        filename: name.into(),
        content_type: ct.into(),
        bytes: bytes.to_vec(),
        ..Default::default()
    }
}

async fn ticket(app: &App) -> i64 {
    let c = app
        .create_customer(
            &Actor::Cli,
            CustomerInput {
                name: "王芳".into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.create_ticket(
        &Actor::Cli,
        TicketInput {
            customer_id: c.id,
            kind: "complaint".into(),
            subject: "外壳裂了".into(),
            body: "见附件".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .ticket
    .id
}

async fn scenario(store: Arc<dyn Store>, dir: Option<PathBuf>) {
    let app = App::new(
        store,
        AppConfig {
            attachments: AttachmentPolicy {
                max_bytes: 1 << 20,
                dir: dir.clone(),
                ..Default::default()
            },
            ..AppConfig::default()
        },
    );
    let t = ticket(&app).await;
    let photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    let stored = app
        .attach(
            &Actor::Cli,
            t,
            None,
            None,
            vec![
                up("裂缝.jpg", "image/jpeg", &photo),
                up("发票.pdf", "application/pdf", b"%PDF"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].in_database, dir.is_none());
    let (a, bytes) = app.attachment_content(&Actor::Cli, stored[0].id).await.unwrap();
    assert_eq!((a.filename.as_str(), bytes), ("裂缝.jpg", photo.clone()));
    if let Some(d) = &dir {
        let sha = &stored[0].sha256;
        assert!(d.join(&sha[..2]).join(sha).is_file(), "the bytes are in the directory");
        // A file changed on disk behind kefu's back is refused, not served.
        std::fs::write(d.join(&sha[..2]).join(sha), b"tampered").unwrap();
        assert!(matches!(
            app.attachment_content(&Actor::Cli, stored[0].id).await,
            Err(AppError::Store(_))
        ));
    }

    // One bad file refuses the lot.
    let before = app.store().attachments_of(t).await.unwrap().len();
    let e = app
        .attach(
            &Actor::Cli,
            t,
            None,
            None,
            vec![
                up("ok.png", "image/png", b"png"),
                up("evil.html", "text/html", b"<script>"),
            ],
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("evil.html"), "{e}");
    let e = app
        .attach(
            &Actor::Cli,
            t,
            None,
            None,
            vec![up("big.zip", "application/zip", &vec![0; (1 << 20) + 1])],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e}");
    assert!(matches!(
        app.attach(
            &Actor::Cli,
            t,
            Some(999_999),
            None,
            vec![up("a.png", "image/png", b"x")]
        )
        .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        app.store().attachments_of(t).await.unwrap().len(),
        before,
        "nothing was stored"
    );

    // E-mail: the picture comes with the message.
    let raw = "From: 李雷 <lilei@example.cn>\r\nTo: support@kefu.example\r\nSubject: 投诉：外壳破损\r\n\
        Message-ID: <with-photo@example.cn>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: 8bit\r\n\r\n外壳破损，见照片。\r\n--b1\r\nContent-Type: image/jpeg; name=\"photo.jpg\"\r\n\
        Content-Disposition: attachment; filename=\"photo.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AABAgM=\r\n--b1--\r\n";
    let v = match app.ingest_mail(raw.as_bytes()).await.unwrap() {
        IngestOutcome::Created(v) => v,
        other => panic!("{}", other.describe()),
    };
    let files = app.store().attachments_of(v.ticket.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let first = app.store().ticket_messages(v.ticket.id).await.unwrap()[0].id;
    assert_eq!(
        (files[0].filename.as_str(), files[0].message_id),
        ("photo.jpg", Some(first))
    );
    assert!(files[0].shared, "a customer's mailed file is shared");
    assert!(!stored[0].shared, "the staff's files are internal by default");
    let (_, bytes) = app.attachment_content(&Actor::Cli, files[0].id).await.unwrap();
    assert_eq!(bytes, vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 3]);
}

#[tokio::test]
async fn attachments_on_sqlite_in_the_database() {
    let db = common::TestDb::sqlite(2).await;
    scenario(db.store.clone(), None).await;
}

#[tokio::test]
async fn attachments_on_sqlite_in_a_directory() {
    let db = common::TestDb::sqlite(2).await;
    scenario(db.store.clone(), Some(db.dir().join("files"))).await;
}

#[tokio::test]
async fn attachments_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    scenario(db.store.clone(), None).await;
    db.finish().await;
}
