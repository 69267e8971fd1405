//! Clients that hang up mid-request: the work they started finishes, and no PostgreSQL connection
//! is left idle in a transaction (sqlx 0.9.0 leaves a cancelled `begin()` so: sqlx #4385).

mod common;

use kefu_app::testing::store::{NewUser, Store};
use kefu_core::Role;
use sqlx::Connection;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_clients_leave_no_connection_idle_in_transaction() {
    let (url, name) = kefu_app::testing::postgres::testing::create_database().await;
    let store: Arc<dyn Store> = Arc::new(kefu_app::testing::postgres::PostgresStore::open(&url, 8).await.unwrap());
    let app = common::app_on(store).await;
    let hash = kefu_app::auth::hash_password(common::PASSWORD).await.unwrap();
    app.store()
        .create_user(NewUser {
            password_hash: Some(hash),
            ..common::new_user("a@example.com", "A", Role::Admin)
        })
        .await
        .unwrap();
    let router = common::router(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });

    let pre = "p".repeat(40);
    let body = format!("csrf={pre}&email=a%40example.com&password=correct+horse+battery");
    let n = 25;
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nCookie: kefu_csrf={pre}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        // Hang up while the server verifies the password and writes the session.
        drop(s);
    }
    // Wait until the server is quiet: the session count stops changing (bounded: 30 s).
    let mut admin = sqlx::PgConnection::connect(&kefu_app::testing::postgres::testing::admin_url())
        .await
        .unwrap();
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (mut last, mut stable) = (-1i64, 0);
    for _ in 0..300 {
        let now: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(&mut db)
            .await
            .unwrap();
        stable = if now == last { stable + 1 } else { 0 };
        last = now;
        if stable >= 15 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A request whose body the server had read ran to the end although its client was gone.
    // (One cut off before its body was read never started; hyper drops such a body.)
    assert!(last >= 1, "no cut-off login completed");
    assert!(last <= n);
    db.close().await.unwrap();
    let idle_in_tx: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
    )
    .bind(&name)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(idle_in_tx, 0);
    admin.close().await.unwrap();
    app.store().close().await;
    kefu_app::testing::postgres::testing::drop_database(&name).await;
}
