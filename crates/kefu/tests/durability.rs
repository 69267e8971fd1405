//! Durability: `kefu serve` is killed with SIGKILL again and again while
//! tickets are being filed through the API; after a restart, every ticket kefu acknowledged (a
//! 201 with its id) is there, on SQLite and on PostgreSQL. Bounded: a few rounds of about a second.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUNDS: usize = 4;

fn kefu(db: &str, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(args)
        .arg("--database-url")
        .arg(db)
        .env_remove("KEFU_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run kefu");
    assert!(
        o.status.success(),
        "kefu {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 request: the status and the body, or `None` when the connection failed (the
/// server is down or was killed mid-answer).
fn request(port: u16, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    Some((status, out.split_once("\r\n\r\n")?.1.to_owned()))
}

fn serve(db: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args([
            "serve",
            "--no-worker",
            "--no-scheduler",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--database-url")
        .arg(db)
        .env_remove("KEFU_DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kefu serve")
}

fn wait_up(port: u16) {
    let start = Instant::now();
    while request(port, "GET", "/healthz", "-", "").is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "kefu serve did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scenario(db: &str) {
    kefu(
        db,
        &[
            "user",
            "create",
            "--email",
            "admin@kefu.example",
            "--role",
            "admin",
            "--password",
            "correct horse battery",
        ],
    );
    let token = kefu(db, &["token", "create", "--user", "admin@kefu.example"])
        .trim()
        .to_owned();
    let port = free_port();
    let mut child = serve(db, port);
    wait_up(port);
    let (status, body) = request(
        port,
        "POST",
        "/api/v1/customers",
        &token,
        r#"{"name":"王芳","kind":"end"}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let customer: i64 = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();

    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let mut killed_mid_request = 0;
    for round in 0..ROUNDS {
        if round > 0 {
            child = serve(db, port);
            wait_up(port);
        }
        // Two clients file tickets as fast as they are answered…
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..2)
            .map(|c| {
                let (stop, acknowledged, token) = (stop.clone(), acknowledged.clone(), token.clone());
                std::thread::spawn(move || {
                    let mut failed = 0;
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i += 1;
                        let body = serde_json::json!({"customer_id": customer, "kind": "complaint",
                            "subject": format!("第 {round} 轮 {c}-{i}"), "body": "热水器漏水"})
                        .to_string();
                        // Acknowledged: a 201 whose answer arrived whole, with the ticket's id.
                        let answer = request(port, "POST", "/api/v1/tickets", &token, &body);
                        let id = answer
                            .as_ref()
                            .filter(|(s, _)| *s == 201)
                            .and_then(|(_, a)| serde_json::from_str::<serde_json::Value>(a).ok()?["id"].as_i64());
                        match (id, answer) {
                            (Some(id), _) => acknowledged.lock().unwrap().push(id),
                            (None, Some((status, a))) if (400..500).contains(&status) => panic!("{status}: {a}"),
                            (None, _) => failed += 1,
                        }
                    }
                    failed
                })
            })
            .collect();
        // …until the server is killed without warning, mid-stream.
        std::thread::sleep(Duration::from_millis(400 + 150 * round as u64));
        child.kill().unwrap();
        child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            killed_mid_request += c.join().unwrap();
        }
    }

    // After a restart, every acknowledged ticket is there.
    let mut child = serve(db, port);
    wait_up(port);
    let ids = acknowledged.lock().unwrap().clone();
    assert!(ids.len() >= ROUNDS, "tickets were filed in every round: {}", ids.len());
    let mut missing = vec![];
    for id in &ids {
        match request(port, "GET", &format!("/api/v1/tickets/{id}"), &token, "") {
            Some((200, _)) => {}
            other => missing.push((*id, other.map(|(s, _)| s))),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    eprintln!(
        "{} acknowledged tickets survived {ROUNDS} kills ({killed_mid_request} requests refused or cut off)",
        ids.len()
    );
}

#[test]
fn acknowledged_tickets_survive_sigkill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    scenario(&format!("sqlite://{}", dir.path().join("k.db").display()));
}

#[test]
fn acknowledged_tickets_survive_sigkill_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(kefu_store_postgres::testing::create_database());
    scenario(&url);
    rt.block_on(kefu_store_postgres::testing::drop_database(&name));
}
