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
fn csv_imports_report_rows_and_columns_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    csv_imports_report_rows_and_columns(&sqlite_url(&dir, "k.db"), &dir);
}

#[test]
fn csv_imports_report_rows_and_columns_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(kefu_store_postgres::testing::create_database());
    csv_imports_report_rows_and_columns(&url, &dir);
    rt.block_on(kefu_store_postgres::testing::drop_database(&name));
}

fn csv_imports_report_rows_and_columns(db: &str, dir: &tempfile::TempDir) {
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "\u{feff}external_id,name,kind,subkind,parent_external_id,phone\nA1,华东总代理,intermediate,agent,,\nC1,王芳,end,,A1,138-0013-8000\nC2,,end,,,\nC3,李雷,end,,,call me\n").unwrap();
    let e = err(&kefu(db, &["import", "customers", customers.to_str().unwrap()]));
    assert!(
        e.contains("nothing imported") && e.contains("row 4, column name") && e.contains("row 5, column phone"),
        "{e}"
    );
    assert!(e.contains("customers.csv"), "the file is named: {e}");
    let out = ok(&kefu(
        db,
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
        db,
        &["import", "purchases", purchases.to_str().unwrap(), "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["inserted"].as_u64(), v["updated"].as_u64()),
        (Some(2), Some(0)),
        "{out}"
    );
    let out = ok(&kefu(db, &["import", "purchases", purchases.to_str().unwrap()]));
    assert!(out.contains("0 imported, 2 updated"), "a re-import updates: {out}");
    let e = err(&kefu(db, &["import", "purchases", "/nonexistent.csv"]));
    assert!(e.contains("cannot read"), "{e}");
}

const EXPORT_CUSTOMERS: &str = "external_id,name,kind,subkind,parent_external_id,phone,email,region,tags,account_manager_email,social_style,notes
A1,华东总代理,intermediate,agent,,+86 21 6555 0101,agent@example.com,华东,一级渠道;重点,manager@example.com,dominant,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")\"
W1,苏州一级批发,intermediate,wholesaler_l1,A1,,,江苏,,,,\"两行
备注, 带逗号\"
R1,观前街门店,intermediate,retailer,W1,(0512) 6552-9988,,苏州,门店,,,'@店长
C1,王芳,end,,R1,138-0013-8000,wang.fang@example.com,苏州,vip;老客户,manager@example.com,analytical,'-先打电话
C2,\"Li, Lei\",end,,,,,,,,,
";
const EXPORT_PURCHASES: &str =
    "external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id
P1,C1,2025-03-01,2999.50,CNY,BCD-215,冰箱 \"双门\",refrigerator,SN-001,R1
P2,C2,2026-01-15,0.07,USD,'+SUM(1),微波炉,microwave,,
";

/// `kefu user create` sends `user.created` as the API does: the delivery waits in the job queue for
/// the workers of `kefu serve` (delivery itself is tested against a real receiver in kefu-web).
#[test]
fn user_create_queues_the_user_created_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // A documentation address: this test queues a delivery and never sends it.
        open_app(&db)
            .await
            .create_webhook(
                &kefu_app::Actor::Cli,
                "https://203.0.113.9/hook",
                vec!["user.created".into()],
                "",
            )
            .await
            .unwrap();
    });
    ok(&kefu(
        &db,
        &[
            "user",
            "create",
            "--email",
            "tech@example.com",
            "--role",
            "technician",
            "--name",
            "李师傅",
        ],
    ));
    let jobs = rt.block_on(async {
        let store = kefu_store_sqlite::SqliteStore::open(&db, 1).await.unwrap();
        kefu_store::Jobs::list_jobs(&store, None, 10).await.unwrap()
    });
    let deliveries: Vec<_> = jobs.iter().filter(|j| j.kind == "webhook.deliver").collect();
    assert_eq!(deliveries.len(), 1, "{jobs:?}");
    let body = &deliveries[0].payload["body"];
    assert_eq!(
        (
            body["event"].as_str(),
            body["data"]["email"].as_str(),
            body["data"]["role"].as_str()
        ),
        (Some("user.created"), Some("tech@example.com"), Some("technician"))
    );
}

async fn open_app(url: &str) -> kefu_app::App {
    let store: std::sync::Arc<dyn kefu_store::Store> = if url.starts_with("postgres") {
        std::sync::Arc::new(kefu_store_postgres::PostgresStore::open(url, 2).await.unwrap())
    } else {
        std::sync::Arc::new(kefu_store_sqlite::SqliteStore::open(url, 2).await.unwrap())
    };
    store.migrate().await.unwrap();
    kefu_app::App::new(store, kefu_app::AppConfig::default())
}

fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a UTF-8 byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// The xlsx sheet's cells as text (amounts as numbers printed with two decimals), and its formulas.
fn xlsx_rows(path: &std::path::Path, sheet: &str) -> (Vec<Vec<String>>, usize) {
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![sheet.to_owned()],
        "one sheet named after the entity"
    );
    let rows = book
        .worksheet_range(sheet)
        .unwrap()
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f:.2}"),
                    Data::Empty => String::new(),
                    other => panic!("unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect();
    let formulas = book
        .worksheet_formula(sheet)
        .unwrap()
        .used_cells()
        .filter(|(_, _, f)| !f.is_empty())
        .count();
    (rows, formulas)
}

/// Export, import into an empty database, export again: the same rows; re-import onto the source: nothing changes.
fn export_round_trip(db1: &str, db2: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    for db in [db1, db2] {
        ok(&kefu(
            db,
            &["user", "create", "--email", "manager@example.com", "--role", "manager"],
        ));
    }
    std::fs::write(path("in-customers.csv"), EXPORT_CUSTOMERS).unwrap();
    std::fs::write(path("in-purchases.csv"), EXPORT_PURCHASES).unwrap();
    ok(&kefu(db1, &["import", "customers", &path("in-customers.csv")]));
    ok(&kefu(db1, &["import", "purchases", &path("in-purchases.csv")]));
    // A customer made in the web UI has no external id; its notes really start with '=.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bare = rt.block_on(async {
        let app = open_app(db1).await;
        let r1 = app.store().get_customer_by_external_id("R1").await.unwrap();
        let c = app
            .create_customer(
                &kefu_app::Actor::Cli,
                kefu_app::customers::CustomerInput {
                    name: "无编号客户".into(),
                    kind: "end".into(),
                    parent_id: Some(r1.id),
                    notes: "'=以引号开头".into(),
                    tags: vec!["新".into()],
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        app.store().close().await;
        c.id
    });

    let o = kefu(db1, &["export", "customers"]);
    let customers = ok(&o).into_bytes();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("note: 1 customer(s) had no external_id") && stderr.contains("exported 6 customers to stdout"),
        "{stderr}"
    );
    let rows = records(&customers);
    assert_eq!(
        rows[0].join(","),
        EXPORT_CUSTOMERS.lines().next().unwrap(),
        "the import's columns"
    );
    let row = |ext: &str| rows.iter().find(|r| r[0] == ext).unwrap().clone();
    assert_eq!(
        row("A1")[11],
        "'=HYPERLINK(\"http://evil.example\",\"点我\")",
        "the import took the ' off, the export put it back"
    );
    assert_eq!(row("R1")[5], "(0512) 6552-9988", "a phone number is not guarded");
    assert_eq!(row("R1")[11], "'@店长");
    assert_eq!(row("C1")[8], "vip;老客户");
    assert_eq!(row("C1")[9], "manager@example.com");
    let bare_ext = format!("kefu-{bare}");
    assert_eq!(
        row(&bare_ext)[1..],
        ["无编号客户", "end", "", "R1", "", "", "", "新", "", "", "''=以引号开头"].map(String::from),
        "a customer without an external id is exported as kefu-<id>; text that began with '= gets one more '"
    );
    let purchases_file = path("purchases.csv");
    let out = ok(&kefu(db1, &["export", "purchases", "--output", &purchases_file]));
    assert!(
        out.starts_with(&format!("exported 2 purchases to {purchases_file} in ")),
        "{out}"
    );
    let purchases = std::fs::read(&purchases_file).unwrap();
    assert_eq!(
        records(&purchases)[1..],
        [
            "P1,C1,2025-03-01,2999.50,CNY,BCD-215,冰箱 \"双门\",refrigerator,SN-001,R1",
            "P2,C2,2026-01-15,0.07,USD,'+SUM(1),微波炉,microwave,,"
        ]
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
    );

    // Into an empty database (only the account manager exists): the same rows, the same tree.
    let customers_file = path("customers.csv");
    std::fs::write(&customers_file, &customers).unwrap();
    assert!(ok(&kefu(db2, &["import", "customers", &customers_file])).contains("6 rows: 6 imported, 0 updated"));
    assert!(ok(&kefu(db2, &["import", "purchases", &purchases_file])).contains("2 rows: 2 imported, 0 updated"));
    let again = ok(&kefu(db2, &["export", "customers"])).into_bytes();
    assert_eq!(sorted(records(&again)), sorted(records(&customers)));
    let again_file = path("again.csv");
    ok(&kefu(db2, &["export", "purchases", "-o", &again_file]));
    assert_eq!(records(&std::fs::read(&again_file).unwrap()), records(&purchases));
    rt.block_on(async {
        let app = open_app(db2).await;
        let c1 = app.store().get_customer_by_external_id("C1").await.unwrap();
        let chain: Vec<String> = app
            .store()
            .customer_ancestors(c1.id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(chain, ["华东总代理", "苏州一级批发", "观前街门店"]);
        let a1 = app.store().get_customer_by_external_id("A1").await.unwrap();
        assert_eq!(
            a1.notes, "=HYPERLINK(\"http://evil.example\",\"点我\")",
            "the guard came off"
        );
        let bare = app.store().get_customer_by_external_id(&bare_ext).await.unwrap();
        assert_eq!(bare.notes, "'=以引号开头", "exactly one ' came off");
        app.store().close().await;
    });

    // Onto the database it came from: every row updated to what it was, nothing added.
    assert!(ok(&kefu(db1, &["import", "customers", &customers_file])).contains("6 rows: 0 imported, 6 updated"));
    assert!(ok(&kefu(db1, &["import", "purchases", &purchases_file])).contains("2 rows: 0 imported, 2 updated"));
    let o = kefu(db1, &["export", "customers"]);
    assert_eq!(ok(&o).into_bytes(), customers, "the same file again");
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("note:"),
        "ids are given once"
    );

    // xlsx: the same cells as strings (no ' needed, no formulas), amounts as numbers.
    let xlsx = dir.path().join("customers.xlsx");
    ok(&kefu(
        db1,
        &["export", "customers", "--format", "xlsx", "-o", xlsx.to_str().unwrap()],
    ));
    let (cells, formulas) = xlsx_rows(&xlsx, "customers");
    let unguarded: Vec<Vec<String>> = records(&customers)
        .into_iter()
        .map(|r| r.iter().map(|c| kefu_app::export::unguard(c).to_owned()).collect())
        .collect();
    assert_eq!((cells, formulas), (unguarded, 0));
    let xlsx = dir.path().join("purchases.xlsx");
    ok(&kefu(
        db1,
        &[
            "export",
            "purchases",
            "--format",
            "xlsx",
            "--output",
            xlsx.to_str().unwrap(),
        ],
    ));
    let (cells, formulas) = xlsx_rows(&xlsx, "purchases");
    assert_eq!(
        (cells[2][3].as_str(), cells[2][5].as_str(), formulas),
        ("0.07", "+SUM(1)", 0)
    );
    // Piped, an xlsx goes to stdout.
    let o = kefu(db1, &["export", "purchases", "--format", "xlsx"]);
    assert!(o.status.success() && o.stdout.starts_with(b"PK\x03\x04"), "a zip file");
}

#[test]
fn export_round_trips_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    export_round_trip(&sqlite_url(&dir, "one.db"), &sqlite_url(&dir, "two.db"));
}

#[test]
fn export_round_trips_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (one, one_name) = rt.block_on(kefu_store_postgres::testing::create_database());
    let (two, two_name) = rt.block_on(kefu_store_postgres::testing::create_database());
    export_round_trip(&one, &two);
    rt.block_on(kefu_store_postgres::testing::drop_database(&one_name));
    rt.block_on(kefu_store_postgres::testing::drop_database(&two_name));
}

#[test]
fn export_refuses_bad_requests_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    let e = err(&kefu(&db, &["export", "customers", "--format", "json"]));
    assert!(e.contains("csv or xlsx"), "{e}");
    let e = err(&kefu(&db, &["user", "list", "--format", "xlsx"]));
    assert!(e.contains("for kefu export"), "{e}");
    let e = err(&kefu(&db, &["export", "customers", "-o", "/nonexistent/dir/c.csv"]));
    assert!(e.contains("/nonexistent/dir"), "{e}");
    let e = err(&kefu(&db, &["export", "customers", "-o", dir.path().to_str().unwrap()]));
    assert!(e.contains("is a directory"), "{e}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("k.db"))
        .collect();
    assert!(names.is_empty(), "no file left behind: {names:?}");
    // An empty table is a header alone.
    let out = ok(&kefu(&db, &["export", "purchases", "--no-bom"]));
    assert_eq!(
        out,
        "external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id\r\n"
    );
}

fn mail_ingest(db: &str, fixture: &str, json: bool) -> Output {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kefu-mail/tests/fixtures")
        .join(fixture);
    let mut args = vec!["--database-url", db, "mail", "ingest"];
    if json {
        args.extend(["--format", "json"]);
    }
    Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(args)
        .env_remove("KEFU_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .expect("run kefu")
}

#[test]
fn mail_ingest_files_tickets_and_refuses_broken_mail_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    mail_ingest_files_tickets_and_refuses_broken_mail(&sqlite_url(&dir, "k.db"), &dir);
}

#[test]
fn mail_ingest_files_tickets_and_refuses_broken_mail_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(kefu_store_postgres::testing::create_database());
    mail_ingest_files_tickets_and_refuses_broken_mail(&url, &dir);
    rt.block_on(kefu_store_postgres::testing::drop_database(&name));
}

fn mail_ingest_files_tickets_and_refuses_broken_mail(db: &str, _dir: &tempfile::TempDir) {
    let line = ok(&mail_ingest(db, "outlook-gbk.eml", false));
    assert!(
        line.starts_with("created KF-") && line.ends_with('\n') && line.lines().count() == 1,
        "{line}"
    );
    let again: serde_json::Value = serde_json::from_str(&ok(&mail_ingest(db, "outlook-gbk.eml", true))).unwrap();
    assert_eq!(again["outcome"], "duplicate", "{again}");
    let auto = ok(&mail_ingest(db, "auto-reply.eml", false));
    assert!(auto.starts_with("ignored: automatic message"), "{auto}");

    let o = mail_ingest(db, "broken-boundary.eml", false);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(65), "EX_DATAERR: the mail server bounces it");
    assert!(
        e.contains("message refused, nothing stored") && e.contains("MIME"),
        "{e}"
    );
    let o = mail_ingest(db, "missing-from.eml", false);
    assert_eq!(o.status.code(), Some(65), "{}", err(&o));
    // Nothing but the first message was stored.
    let tickets = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let app = open_app(db).await;
        let n = app
            .store()
            .list_tickets(&kefu_store::TicketFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .len();
        app.store().close().await;
        n
    });
    assert_eq!(tickets, 1);
}

/// `kefu survey`: create, import (all or nothing, then the good rows), report in every format
/// from the statistics, rebuild them to the same figures.
fn survey_commands(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&kefu(
        db,
        &[
            "survey",
            "create",
            "--slug",
            "q4-2026",
            "--name",
            "四季度服务质量",
            "--weights",
            "tangibles=10,reliability=30,responsiveness=20,assurance=20,empathy=20",
        ],
    ));
    assert!(out.contains("created survey q4-2026 (servqual, 22 items"), "{out}");
    let e = err(&kefu(db, &["survey", "create", "--slug", "q4-2026", "--name", "again"]));
    assert!(e.contains("slug exists"), "{e}");
    let e = err(&kefu(
        db,
        &[
            "survey",
            "create",
            "--slug",
            "x",
            "--name",
            "x",
            "--weights",
            "tangibles=100",
        ],
    ));
    assert!(e.contains("one weight for each dimension"), "{e}");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/servqual-answers.csv");
    // A bad row stops the whole file and names itself.
    let bad = dir.path().join("bad.csv");
    let mut text = std::fs::read_to_string(example).unwrap();
    text.push_str(&format!("R999,8{}\n", ",".repeat(50)));
    std::fs::write(&bad, &text).unwrap();
    let e = err(&kefu(db, &["survey", "import", "q4-2026", bad.to_str().unwrap()]));
    assert!(
        e.contains("nothing imported") && e.contains("row 14, column E_Q1"),
        "{e}"
    );
    let out = ok(&kefu(
        db,
        &["survey", "import", "q4-2026", bad.to_str().unwrap(), "--skip-bad-rows"],
    ));
    assert!(out.contains("13 rows: 12 imported, 0 updated, 1 rejected"), "{out}");
    assert!(dir.path().join("bad.csv.rejected.csv").exists());
    let e = err(&kefu(db, &["survey", "import", "q4-2026", example]));
    assert!(
        e.contains("row 2, column respondent") && e.contains("answered this survey already"),
        "{e}"
    );
    let e = err(&kefu(db, &["survey", "report", "nope"]));
    assert!(e.contains("no survey \"nope\""), "{e}");

    let json = ok(&kefu(db, &["survey", "report", "q4-2026", "--format", "json"]));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["n_responses"], 12);
    assert_eq!(r["items"].as_array().unwrap().len(), 22);
    assert!(r["servqual"]["weighted_manager"].is_number(), "{json}");
    let trend = r["trend"].as_array().unwrap();
    assert_eq!(
        trend.len(),
        1,
        "imported answers count in the month of the import: {json}"
    );
    assert_eq!(trend[0]["n"], 12);
    assert_eq!(trend[0]["value"], r["servqual"]["unweighted"], "one month is the whole");
    let text = ok(&kefu(db, &["survey", "report", "q4-2026"]));
    assert!(
        text.starts_with("四季度服务质量 (q4-2026, servqual) — segment all, all months\nresponses: 12\n"),
        "{text}"
    );
    assert!(text.contains("\ntrend by month:\n"), "{text}");
    assert!(
        text.contains("lowest-scoring items, with what those who rated them low said:"),
        "{text}"
    );
    let csv = ok(&kefu(db, &["survey", "report", "q4-2026", "--format", "csv"]));
    let unweighted = csv
        .lines()
        .find(|l| l.starts_with("summary,servqual.unweighted,"))
        .unwrap()
        .split(',')
        .nth(6)
        .unwrap()
        .parse::<f64>()
        .unwrap();
    assert_eq!(unweighted, r["servqual"]["unweighted"].as_f64().unwrap());
    assert_eq!(csv.lines().filter(|l| l.starts_with("item,")).count(), 22);
    let xlsx = dir.path().join("q4.xlsx");
    ok(&kefu(
        db,
        &[
            "survey",
            "report",
            "q4-2026",
            "--format",
            "xlsx",
            "-o",
            xlsx.to_str().unwrap(),
        ],
    ));
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Summary".to_owned(), "Dimensions and items".to_owned()]
    );
    assert_eq!(
        book.worksheet_range("Dimensions and items").unwrap().rows().count(),
        1 + 5 + 22
    );
    let e = err(&kefu(db, &["survey", "report", "q4-2026", "--segment", "colour=red"]));
    assert!(e.contains("segment"), "{e}");
    let e = err(&kefu(db, &["survey", "list", "--format", "csv"]));
    assert!(e.contains("use text or json"), "{e}");

    // A campaign over the example customers: planned, run, its links listed for an SMS tool.
    let customers = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/customers.csv");
    ok(&kefu(db, &["import", "customers", customers]));
    let out = ok(&kefu(
        db,
        &[
            "survey",
            "campaign",
            "create",
            "q4-2026",
            "--name",
            "回访",
            "--size",
            "3",
            "--no-email",
            "--seed",
            "7",
        ],
    ));
    assert!(out.starts_with("created campaign 1 (回访, once): frame "), "{out}");
    let e = err(&kefu(
        db,
        &[
            "survey", "campaign", "create", "q4-2026", "--name", "x", "--size", "3", "--margin", "0.05",
        ],
    ));
    assert!(e.contains("cannot be used with"), "{e}");
    let e = err(&kefu(
        db,
        &["survey", "campaign", "create", "q4-2026", "--name", "x", "--tier", "Z"],
    ));
    assert!(e.contains("a tier is A to E or none"), "{e}");
    let out = ok(&kefu(db, &["survey", "campaign", "run", "1"]));
    assert!(
        out.starts_with("run 1: 3 links made, 0 invitations sent by e-mail"),
        "{out}"
    );
    let csv = ok(&kefu(db, &["survey", "campaign", "links", "1"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("\u{feff}run,customer_external_id,customer,contact,phone,email,language,url"),
        "{csv}"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("1,") && lines[1].contains(",/s/"), "{csv}");
    let xlsx = dir.path().join("links.xlsx");
    ok(&kefu(
        db,
        &[
            "survey",
            "campaign",
            "links",
            "1",
            "--format",
            "xlsx",
            "-o",
            xlsx.to_str().unwrap(),
        ],
    ));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(book.worksheet_range("links").unwrap().rows().count(), 4);
    // Each download issues the open links again: kefu keeps no plain token to hand out twice.
    let again = ok(&kefu(db, &["survey", "campaign", "links", "1"]));
    let url = |line: &str| line.split(',').nth(7).unwrap().to_owned();
    assert!(url(again.lines().nth(1).unwrap()).starts_with("/s/"), "{again}");
    assert_ne!(
        url(again.lines().nth(1).unwrap()),
        url(lines[1]),
        "a new token each time"
    );
    let e = err(&kefu(db, &["survey", "campaign", "run", "999"]));
    assert!(e.contains("no campaign 999"), "{e}");
    let list = ok(&kefu(db, &["survey", "campaign", "list", "q4-2026"]));
    assert!(list.contains("1 runs") && list.contains("回访"), "{list}");
    // A run writes its own list with -o.
    let run_list = dir.path().join("run2.csv");
    ok(&kefu(
        db,
        &["survey", "campaign", "run", "1", "-o", run_list.to_str().unwrap()],
    ));
    let written = std::fs::read_to_string(&run_list).unwrap();
    assert!(written.starts_with("\u{feff}run,customer_external_id"), "{written}");

    let out = ok(&kefu(db, &["survey", "rebuild-stats", "q4-2026"]));
    assert!(out.contains("from 12 answers"), "{out}");
    assert_eq!(
        ok(&kefu(db, &["survey", "report", "q4-2026", "--format", "json"])),
        json
    );
    let list = ok(&kefu(db, &["survey", "list"]));
    assert!(list.contains("q4-2026") && list.contains("12 answers"), "{list}");
}

#[test]
fn survey_commands_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    survey_commands(&sqlite_url(&dir, "k.db"));
}

#[test]
fn survey_commands_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, name) = rt.block_on(kefu_store_postgres::testing::create_database());
    survey_commands(&url);
    rt.block_on(kefu_store_postgres::testing::drop_database(&name));
}

/// A free port on the loopback address (bound, then let go for kefu to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over plain HTTP/1.0: the status code and the body, or `None` while nothing listens.
fn http_get(port: u16, path: &str, auth: Option<&str>) -> Option<(u16, String)> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// `kefu serve` with `metrics_listen` and `metrics_token` set (as the environment sets them): the
/// metrics move to their own address behind the token, and the main listener answers 404 there.
#[test]
fn serve_moves_metrics_to_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    let (main, apart) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args([
            "serve",
            "--no-worker",
            "--no-scheduler",
            "--listen",
            &format!("127.0.0.1:{main}"),
        ])
        .arg("--database-url")
        .arg(&db)
        .env_remove("KEFU_DATABASE_URL")
        .env("KEFU_METRICS_LISTEN", format!("127.0.0.1:{apart}"))
        .env("KEFU_METRICS_TOKEN", "m-0123456789")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = None;
    for _ in 0..300 {
        up = http_get(main, "/healthz", None);
        if up.is_some() && http_get(apart, "/metrics", None).is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let results = (
        up.map(|(s, _)| s),
        http_get(main, "/metrics", None).map(|(s, _)| s),
        http_get(apart, "/metrics", None).map(|(s, _)| s),
        http_get(apart, "/metrics", Some("Bearer m-0123456789")),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(results.0, Some(200), "kefu serve came up");
    assert_eq!(results.1, Some(404), "no metrics on the main listener");
    assert_eq!(results.2, Some(401), "the token is asked for");
    let (status, body) = results.3.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("# EOF"), "{body}");
}

/// A holiday-cn file for `year`: New Year's Day and National Day off, a make-up Saturday worked.
fn holiday_cn(year: i16) -> String {
    format!(
        r#"{{"year": {year}, "papers": [], "days": [
            {{"name": "元旦", "date": "{year}-01-01", "isOffDay": true}},
            {{"name": "国庆节", "date": "{year}-10-01", "isOffDay": true}},
            {{"name": "国庆节", "date": "{year}-10-10", "isOffDay": false}}]}}"#
    )
}

/// `kefu calendar import` merges a year into a calendar, checked whole (a bad
/// file names its day and changes nothing), and `kefu calendar check` passes once the calendar
/// in use knows the next 60 days.
#[test]
fn calendar_import_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    // The years the next 60 days fall in, in the shipped calendar's zone.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let later = today.checked_add(jiff::Span::new().days(60)).unwrap();
    let mut years = vec![today.year()];
    if later.year() != today.year() {
        years.push(later.year());
    }
    for y in &years {
        let f = dir.path().join(format!("{y}.json"));
        std::fs::write(&f, holiday_cn(*y)).unwrap();
        let out = ok(&kefu(&db, &["calendar", "import", "china-2026", f.to_str().unwrap()]));
        assert!(
            out.starts_with(&format!(
                "{y}: 2 holidays and 1 make-up working days merged into calendar \"china-2026\""
            )),
            "{out}"
        );
    }
    let out = ok(&kefu(&db, &["calendar", "check"]));
    assert!(out.contains("knows the holidays of the next 60 days"), "{out}");

    // A day outside the file's year, or a day both off and on: refused, naming it; nothing changes.
    let before = ok(&kefu(&db, &["--format", "json", "calendar", "check"]));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, holiday_cn(2031).replace("2031-10-10", "2032-10-10")).unwrap();
    let e = err(&kefu(&db, &["calendar", "import", "china-2026", bad.to_str().unwrap()]));
    assert!(e.contains("bad.json") && e.contains("2032-10-10 is not in 2031"), "{e}");
    std::fs::write(&bad, holiday_cn(2031).replace("2031-10-10", "2031-10-01")).unwrap();
    let e = err(&kefu(&db, &["calendar", "import", "china-2026", bad.to_str().unwrap()]));
    assert!(e.contains("2031-10-01 is listed both"), "{e}");
    std::fs::write(&bad, holiday_cn(2031)).unwrap();
    let e = err(&kefu(&db, &["calendar", "import", "nowhere", bad.to_str().unwrap()]));
    assert!(e.contains("no calendar named \"nowhere\""), "{e}");
    assert_eq!(ok(&kefu(&db, &["--format", "json", "calendar", "check"])), before);
    let ics = dir.path().join("y.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20310101\r\nDTEND;VALUE=DATE:20310103\r\n\
         SUMMARY:元旦\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let out = ok(&kefu(&db, &["calendar", "import", "china-2026", ics.to_str().unwrap()]));
    assert!(out.starts_with("2031: 2 holidays and 0 make-up working days"), "{out}");
}

/// `kefu report dashboard` in every format on the demo, `kefu stats rebuild` leaving every figure as
/// it was, and bad periods and segments refused naming the flag.
#[test]
fn report_dashboard_and_stats_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir, "k.db");
    ok(&kefu(&db, &["demo", "--size", "30"]));
    let all = ["--from", "2000-01-01", "--to", "2099-12-31"];
    let report = |extra: &[&str]| {
        let mut args = vec!["report", "dashboard", "--format", "json"];
        args.extend_from_slice(&all);
        args.extend_from_slice(extra);
        serde_json::from_str::<serde_json::Value>(&ok(&kefu(&db, &args))).unwrap()
    };
    let before = report(&[]);
    let created = before["tickets"]["created"].as_i64().unwrap();
    assert!(created > 0, "{before}");
    let by_channel: i64 = before["tickets"]["by_channel"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(by_channel, created, "every ticket has its channel");
    assert!(
        before["sla"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["target"] == "resolution")
    );
    assert!(
        before["servqual"]["dimensions"]["reliability"]["gap"].is_number(),
        "{before}"
    );
    let phone = report(&["--segment", "channel:phone"]);
    assert_eq!(
        phone["tickets"]["created"], before["tickets"]["by_channel"]["phone"],
        "the phone segment holds the phone tickets"
    );
    // The rebuild counts every ticket again: the same figures.
    let rebuilt: serde_json::Value =
        serde_json::from_str(&ok(&kefu(&db, &["stats", "rebuild", "--format", "json"]))).unwrap();
    assert!(rebuilt["tickets"].as_i64().unwrap() >= created, "{rebuilt}");
    assert_eq!(report(&[]), before);
    // CSV and XLSX: one figure per row.
    let mut args = vec!["report", "dashboard", "--format", "csv"];
    args.extend_from_slice(&all);
    let csv = ok(&kefu(&db, &args));
    assert!(csv.starts_with("\u{feff}figure,value\n"), "{csv}");
    assert!(csv.contains(&format!("\ntickets.created,{created}\n")), "{csv}");
    let file = dir.path().join("dashboard.xlsx");
    let mut args = vec![
        "report",
        "dashboard",
        "--format",
        "xlsx",
        "--output",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(&all);
    ok(&kefu(&db, &args));
    let (rows, formulas) = xlsx_rows(&file, "Figures");
    assert_eq!(formulas, 0);
    assert!(
        rows.iter()
            .any(|r| r[0] == "tickets.created" && r[1] == format!("{created}.00")),
        "{rows:?}"
    );
    // Bad input, each named.
    for (flags, said) in [
        (vec!["--from", "2026-02-30", "--to", "2026-03-01"], "from"),
        (vec!["--from", "2026-03-02", "--to", "2026-03-01"], "from"),
        (
            vec!["--from", "2026-03-01", "--to", "2026-03-02", "--segment", "colour:red"],
            "segment",
        ),
    ] {
        let mut args = vec!["report", "dashboard"];
        args.extend_from_slice(&flags);
        let e = err(&kefu(&db, &args));
        assert!(e.contains(&format!("{said}:")), "{flags:?}: {e}");
    }
}
