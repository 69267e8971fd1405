//! The `kefu` command as an operator runs it: results on stdout, errors on stderr with a non-zero
//! exit, and bad input that changes nothing.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kefu(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(args)
        .arg("--database-url")
        .arg(db)
        .env_remove("KEFU_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run kefu")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "kefu failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "kefu should have failed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

#[test]
fn users_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    let out = ok(&kefu(
        &db,
        &[
            "user",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            "correct horse battery",
            "--role",
            "admin",
            "--name",
            "老板",
        ],
    ));
    assert!(out.contains("boss@example.com"), "{out}");
    let e = err(&kefu(
        &db,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
            "--role",
            "agent",
        ],
    ));
    assert!(e.contains("password") && e.contains("12"), "{e}");
    let e = err(&kefu(
        &db,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "long enough pass",
            "--role",
            "wizard",
        ],
    ));
    assert!(e.contains("role"), "{e}");
    let e = err(&kefu(
        &db,
        &[
            "user",
            "create",
            "--email",
            "boss@example.com",
            "--password",
            "long enough pass",
            "--role",
            "agent",
        ],
    ));
    assert!(e.contains("exists"), "{e}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args([
            "--database-url",
            &db,
            "user",
            "create",
            "--email",
            "agent@example.com",
            "--password-stdin",
            "--role",
            "agent",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("一个很长很长的中文密码短语\n".as_bytes())
        .unwrap();
    ok(&child.wait_with_output().unwrap());

    let list: serde_json::Value = serde_json::from_str(&ok(&kefu(&db, &["user", "list", "--format", "json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "the rejected users were not created");
    let token = ok(&kefu(&db, &["token", "create", "--user", "boss@example.com"]));
    let token = token.strip_suffix('\n').unwrap();
    assert!(
        token.starts_with("kefu_") && token.len() == 48 && !token.contains(char::is_whitespace),
        "only the token: {token:?}"
    );
    let e = err(&kefu(&db, &["token", "create", "--user", "nobody@example.com"]));
    assert!(e.contains("no user"), "{e}");
    ok(&kefu(&db, &["user", "disable", "--email", "agent@example.com"]));
    ok(&kefu(
        &db,
        &[
            "user",
            "set-password",
            "--email",
            "agent@example.com",
            "--password",
            "another long password",
        ],
    ));
    let list: serde_json::Value = serde_json::from_str(&ok(&kefu(
        &db,
        &["user", "list", "--role", "agent", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(list[0]["disabled"], true);
    // Global options also go before the subcommand.
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["--database-url", &db, "--format", "json", "migrate"])
        .output()
        .unwrap();
    assert!(ok(&o).contains("applied"));
}

#[test]
fn config_masks_secrets_and_opens_no_database() {
    let o = kefu("postgres://kefu:s3cret@127.0.0.1:1/nowhere", &["config"]);
    let out = ok(&o);
    assert!(
        out.contains("postgres://kefu:***@127.0.0.1:1/nowhere") && !out.contains("s3cret"),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kefu.toml");
    std::fs::write(&cfg, "listen = \"0.0.0.0:9000\"\npassword_min_chars = 16\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["config", "--format", "json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(
        (v["listen"].as_str(), v["password_min_chars"].as_i64()),
        (Some("0.0.0.0:9000"), Some(16))
    );
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["config"])
        .env("KEFU_PASSWORD_MIN_CHARS", "20")
        .output()
        .unwrap();
    assert!(ok(&o).contains("password_min_chars = 20"));
    std::fs::write(&cfg, "lissten = 1\n").unwrap();
    let e = err(&Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap());
    assert!(e.contains("lissten"), "an unknown key is named: {e}");
}

#[test]
fn bad_databases_are_refused_clearly() {
    let e = err(&kefu("postgres://postgres@127.0.0.1:1/none", &["migrate"]));
    assert!(e.contains("cannot connect to PostgreSQL"), "{e}");
    let e = err(&kefu("mysql://x@y/z", &["migrate"]));
    assert!(e.contains("unsupported database URL"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.db");
    std::fs::write(
        &path,
        b"this is not a database at all, just some text that is long enough to look like a header....",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = err(&kefu(&format!("sqlite://{}", path.display()), &["migrate"]));
    assert!(e.contains("corrupt") || e.contains("not a kefu SQLite database"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file was not touched");

    // A database migrated by a newer kefu: refused by every command, serve included.
    let db = sqlite_url(&dir, "newer.db");
    ok(&kefu(&db, &["migrate"]));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (99990101000000, 'from the future', '2030-01-01', TRUE, x'00', 0)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
    let e = err(&kefu(&db, &["serve", "--listen", "127.0.0.1:0"]));
    assert!(e.contains("newer than this kefu"), "{e}");
}

#[test]
fn backup_and_restore_across_databases() {
    let dir = tempfile::tempdir().unwrap();
    let src = sqlite_url(&dir, "src.db");
    let out = ok(&kefu(&src, &["demo", "--size", "30"]));
    assert!(out.contains("admin@kefu.example"), "{out}");
    let e = err(&kefu(&src, &["demo"]));
    assert!(e.contains("not empty"), "{e}");
    let file = dir.path().join("backup.json");
    let out = ok(&kefu(&src, &["backup", file.to_str().unwrap()]));
    assert!(out.contains("rows"), "{out}");
    let users = ok(&kefu(&src, &["user", "list", "--format", "json"]));

    // Onto an empty SQLite database, and onto an empty PostgreSQL database.
    let dst = sqlite_url(&dir, "dst.db");
    ok(&kefu(&dst, &["restore", file.to_str().unwrap()]));
    assert_eq!(ok(&kefu(&dst, &["user", "list", "--format", "json"])), users);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pg, name) = rt.block_on(kefu_store_postgres::testing::create_database());
    ok(&kefu(&pg, &["restore", file.to_str().unwrap()]));
    assert_eq!(
        ok(&kefu(&pg, &["user", "list", "--format", "json"])),
        users,
        "SQLite → PostgreSQL keeps every user"
    );
    // Logging in works on the restored copy: the token of a restored user authenticates.
    ok(&kefu(&pg, &["token", "create", "--user", "admin@kefu.example"]));

    // A non-empty database is refused without --force; with it, replaced.
    ok(&kefu(
        &dst,
        &["user", "create", "--email", "extra@example.com", "--role", "customer"],
    ));
    let e = err(&kefu(&dst, &["restore", file.to_str().unwrap()]));
    assert!(e.contains("--force"), "{e}");
    assert!(
        ok(&kefu(&dst, &["user", "list"])).contains("extra@example.com"),
        "the refused restore changed nothing"
    );
    ok(&kefu(&dst, &["restore", "--force", file.to_str().unwrap()]));
    assert_eq!(ok(&kefu(&dst, &["user", "list", "--format", "json"])), users);

    // Not a backup: refused, nothing changed.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let e = err(&kefu(&dst, &["restore", "--force", junk.to_str().unwrap()]));
    assert!(e.contains("not a kefu backup"), "{e}");
    assert_eq!(ok(&kefu(&dst, &["user", "list", "--format", "json"])), users);
    rt.block_on(kefu_store_postgres::testing::drop_database(&name));
}

#[test]
fn foreign_kefu_variables_do_not_break_start_up() {
    let o = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(["config", "--format", "json"])
        .env("KEFU_SOMETHING_ELSE", "1")
        .env("KEFU_LISTEN", "127.0.0.1:9999")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(v["listen"], "127.0.0.1:9999", "known variables still apply");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("KEFU_SOMETHING_ELSE"),
        "the stray one is named in a warning"
    );
}

#[test]
fn sla_due_uses_the_shipped_calendar_and_opens_no_database() {
    let cal = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calendars/china-2026.toml");
    // No database is opened: an unreachable database URL does not matter.
    let due = |from: &str, minutes: &str| {
        kefu(
            "postgres://nobody@127.0.0.1:1/none",
            &["sla", "due", "--calendar", cal, "--from", from, "--minutes", minutes],
        )
    };
    assert_eq!(
        ok(&due("2026-09-30T17:00:00+08:00", "120")),
        "2026-10-08T10:00:00+08:00\n"
    );
    assert_eq!(
        ok(&due("2026-10-09T17:00:00+08:00", "120")),
        "2026-10-10T10:00:00+08:00\n",
        "a make-up Saturday is worked"
    );
    assert_eq!(
        ok(&due("2026-11-23T09:00:00+08:00", "180")),
        "2026-11-23T12:00:00+08:00\n",
        "a range's end is that end"
    );
    let e = err(&due("yesterday", "10"));
    assert!(e.contains("RFC 3339"), "{e}");
    let e = err(&due("2026-09-30T17:00:00+08:00", "-5"));
    assert!(e.contains("negative"), "{e}");
    let e = err(&kefu(
        "sqlite://x",
        &[
            "sla",
            "due",
            "--calendar",
            "/nonexistent.toml",
            "--from",
            "2026-09-30T17:00:00+08:00",
            "--minutes",
            "1",
        ],
    ));
    assert!(e.contains("cannot read the calendar"), "{e}");
}

#[test]
fn csv_imports_report_rows_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "\u{feff}external_id,name,kind,subkind,parent_external_id,phone\nA1,华东总代理,intermediate,agent,,\nC1,王芳,end,,A1,138-0013-8000\nC2,,end,,,\nC3,李雷,end,,,call me\n").unwrap();
    let e = err(&kefu(&db, &["import", "customers", customers.to_str().unwrap()]));
    assert!(
        e.contains("nothing imported") && e.contains("row 4, column name") && e.contains("row 5, column phone"),
        "{e}"
    );
    assert!(e.contains("customers.csv"), "the file is named: {e}");
    let out = ok(&kefu(
        &db,
        &["import", "customers", customers.to_str().unwrap(), "--skip-bad-rows"],
    ));
    assert!(out.contains("4 rows: 2 imported, 0 updated, 2 rejected"), "{out}");
    let rejects = std::fs::read_to_string(dir.path().join("customers.csv.rejected.csv")).unwrap();
    assert!(
        rejects.starts_with("row,external_id,name,kind,subkind,parent_external_id,phone,error_column,error"),
        "{rejects}"
    );
    assert!(rejects.contains("5,C3,李雷,end,,,call me,phone,"), "{rejects}");

    let purchases = dir.path().join("purchases.csv");
    // GB18030, as Excel in China saves CSV.
    let (gb, _, _) = encoding_rs::GB18030.encode("external_id,customer_external_id,date,amount,seller_external_id\nP1,C1,2026-01-15,2999.00,A1\nP2,C1,2026-02-01,599,\n");
    std::fs::write(&purchases, &*gb).unwrap();
    let out = ok(&kefu(
        &db,
        &["import", "purchases", purchases.to_str().unwrap(), "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["inserted"].as_u64(), v["updated"].as_u64()),
        (Some(2), Some(0)),
        "{out}"
    );
    let out = ok(&kefu(&db, &["import", "purchases", purchases.to_str().unwrap()]));
    assert!(out.contains("0 imported, 2 updated"), "a re-import updates: {out}");
    let e = err(&kefu(&db, &["import", "purchases", "/nonexistent.csv"]));
    assert!(e.contains("cannot read"), "{e}");
}
