//! CSV imports on both databases: all or nothing, skipping bad rows, GB18030, re-imports.

mod common;

use kefu_app::App;
use kefu_core::search::parse_query;

const CUSTOMERS: &str = "external_id,name,kind,subkind,parent_external_id,phone,email,region,tags,social_style,notes
C3,客户王芳投诉,end,,R1,138-0013-8000,wang.fang@example.com,华东,vip;老客户,analytical,
R1,观前街门店,intermediate,retailer,W1,,,华东,,,
W1,苏州一级批发,intermediate,wholesaler_l1,A1,,,华东,,,
A1,华东总代理,intermediate,agent,,,,华东,,,
";

fn no_progress(_: u64, _: u64) {}

#[tokio::test]
async fn a_clean_file_imports_parents_first_and_a_reimport_updates_on_sqlite() {
    common::on_sqlite(2, |app| async move {
        a_clean_file_imports_parents_first_and_a_reimport_updates(&app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_file_imports_parents_first_and_a_reimport_updates_on_postgres() {
    common::on_postgres(4, |app| async move {
        a_clean_file_imports_parents_first_and_a_reimport_updates(&app).await
    })
    .await;
}

async fn a_clean_file_imports_parents_first_and_a_reimport_updates(app: &App) {
    let r = app
        .import_customers(CUSTOMERS.as_bytes(), false, &no_progress)
        .await
        .unwrap();
    assert_eq!(
        (r.rows, r.inserted, r.updated, r.rejected.len(), r.aborted),
        (4, 4, 0, 0, false)
    );
    let c3 = app.store().get_customer_by_external_id("C3").await.unwrap();
    assert_eq!(app.store().customer_ancestors(c3.id).await.unwrap().len(), 3);
    assert_eq!(
        app.store()
            .search_customers(&parse_query("王芳"), None, 10)
            .await
            .unwrap()[0]
            .id,
        c3.id,
        "imported rows are searchable"
    );
    let r = app
        .import_customers(
            CUSTOMERS.replace("客户王芳投诉", "王芳").as_bytes(),
            false,
            &no_progress,
        )
        .await
        .unwrap();
    assert_eq!((r.inserted, r.updated), (0, 4), "a re-import updates by external_id");
    assert_eq!(app.store().get_customer(c3.id).await.unwrap().name, "王芳");
    assert_eq!(app.store().count_customers().await.unwrap(), 4);
}

#[tokio::test]
async fn a_bad_row_means_nothing_is_imported_unless_bad_rows_are_skipped_on_sqlite() {
    common::on_sqlite(2, |app| async move {
        a_bad_row_means_nothing_is_imported_unless_bad_rows_are_skipped(&app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_row_means_nothing_is_imported_unless_bad_rows_are_skipped_on_postgres() {
    common::on_postgres(4, |app| async move {
        a_bad_row_means_nothing_is_imported_unless_bad_rows_are_skipped(&app).await
    })
    .await;
}

async fn a_bad_row_means_nothing_is_imported_unless_bad_rows_are_skipped(app: &App) {
    let bad = format!(
        "{CUSTOMERS}C4,,end,,,,,,,,\nC5,张伟,end,,C3,,,,,,\nC6,李雷,end,,,call me,,,,,\nC7,赵敏,end,,,,not-an-email,,,,\nC3,重复,end,,,,,,,,\n"
    );
    let r = app.import_customers(bad.as_bytes(), false, &no_progress).await.unwrap();
    assert!(r.aborted);
    let found: Vec<(usize, &str)> = r.rejected.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        found,
        vec![
            (6, "name"),
            (7, "parent_external_id"),
            (8, "phone"),
            (9, "email"),
            (10, "external_id")
        ]
    );
    assert_eq!(app.store().count_customers().await.unwrap(), 0, "all or nothing");

    let r = app.import_customers(bad.as_bytes(), true, &no_progress).await.unwrap();
    assert!(!r.aborted);
    assert_eq!(
        (r.inserted, r.rejected.len(), r.rejected_rows.len()),
        (4, 5, 5),
        "exactly the bad rows are left out"
    );
    assert_eq!(app.store().count_customers().await.unwrap(), 4);
}

#[tokio::test]
async fn gb18030_files_and_purchases_on_sqlite() {
    common::on_sqlite(2, |app| async move { gb18030_files_and_purchases(&app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gb18030_files_and_purchases_on_postgres() {
    common::on_postgres(4, |app| async move { gb18030_files_and_purchases(&app).await }).await;
}

async fn gb18030_files_and_purchases(app: &App) {
    let (gb, _, _) = encoding_rs::GB18030.encode(CUSTOMERS);
    let r = app.import_customers(&gb, false, &no_progress).await.unwrap();
    assert_eq!(r.inserted, 4, "{:?}", r.rejected);
    assert_eq!(
        app.store().get_customer_by_external_id("A1").await.unwrap().name,
        "华东总代理"
    );

    let purchases =
        "external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id
P1,C3,2025-03-01,2999.00,CNY,BCD-215,冰箱,refrigerator,SN1,R1
P2,C3,2026-01-15,599,,M1-L213,微波炉,microwave,SN2,
P3,C3,2999-01-01,1,CNY,,,,,
P4,C3,2026-01-15,-5,CNY,,,,,
P5,NOBODY,2026-01-15,5,CNY,,,,,
P6,C3,2026-01-15,5,CNY,,,,,C3
";
    let r = app
        .import_purchases(purchases.as_bytes(), false, &no_progress)
        .await
        .unwrap();
    assert!(r.aborted);
    let found: Vec<(usize, &str)> = r.rejected.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert_eq!(
        found,
        vec![
            (4, "date"),
            (5, "amount"),
            (6, "customer_external_id"),
            (7, "seller_external_id")
        ]
    );
    let c3 = app.store().get_customer_by_external_id("C3").await.unwrap();
    assert!(app.store().list_purchases(c3.id, 10).await.unwrap().is_empty());
    let r = app
        .import_purchases(purchases.as_bytes(), true, &no_progress)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.rejected.len()), (2, 4));
    let ps = app.store().list_purchases(c3.id, 10).await.unwrap();
    assert_eq!(
        ps.iter()
            .map(|p| (p.external_id.as_str(), p.amount_minor))
            .collect::<Vec<_>>(),
        vec![("P2", 59_900), ("P1", 299_900)]
    );
}

/// A purchase file of `n` rows for customer C3 sold by R1, with `extra` lines appended.
fn many_purchases(n: usize, extra: &str) -> String {
    let mut f = String::from("external_id,customer_external_id,date,amount,sku,product_name,seller_external_id\n");
    for i in 0..n {
        f.push_str(&format!(
            "P{i},C3,2025-{:02}-01,{}.50,BCD-215,冰箱,R1\n",
            1 + i % 12,
            100 + i % 7
        ));
    }
    f.push_str(extra);
    f
}

/// Files of several batches (the app checks 20,000 rows at a time; SQLite writes 256 per
/// statement, PostgreSQL 5,000): a bad row far down undoes what earlier batches wrote.
async fn large_files_are_all_or_nothing_across_batches(app: &App) {
    app.import_customers(CUSTOMERS.as_bytes(), false, &no_progress)
        .await
        .unwrap();
    let c3 = app.store().get_customer_by_external_id("C3").await.unwrap();
    let rows = std::sync::Mutex::new(vec![]);
    let progress = |done: u64, total: u64| rows.lock().unwrap().push((done, total));
    let bad = many_purchases(25_000, "P7,C3,2025-01-01,1,,,\nQ1,C3,2025-01-01,-1,,,\n");
    let r = app.import_purchases(bad.as_bytes(), false, &progress).await.unwrap();
    assert!(r.aborted);
    assert_eq!(
        r.rejected
            .iter()
            .map(|e| (e.row, e.column.as_str()))
            .collect::<Vec<_>>(),
        vec![(25_002, "external_id"), (25_003, "amount")]
    );
    assert!(
        r.rejected[0].message.contains("also on row 9"),
        "{}",
        r.rejected[0].message
    );
    assert!(
        app.store().list_purchases(c3.id, 10).await.unwrap().is_empty(),
        "nothing written"
    );
    assert_eq!(rows.lock().unwrap().last(), Some(&(25_002, 25_002)));

    let r = app.import_purchases(bad.as_bytes(), true, &no_progress).await.unwrap();
    assert_eq!(
        (r.rows, r.inserted, r.updated, r.rejected_rows.len()),
        (25_002, 25_000, 0, 2)
    );
    assert_eq!(r.rejected_rows[1].1[0], "Q1", "the rejected rows as read");
    let rfm = app.store().rfm_rows().await.unwrap();
    assert_eq!((rfm[0].customer_id, rfm[0].purchases), (c3.id, 25_000));
    let sum: i64 = (0..25_000).map(|i| (100 + i % 7) * 100 + 50).sum();
    assert_eq!(rfm[0].amount_minor, sum);

    // A re-import changes rows by external id; a streamed GB18030 file reads the same.
    let again = many_purchases(21_000, "").replace("冰箱", "冰柜");
    let (gb, _, _) = encoding_rs::GB18030.encode(&again);
    let r = app.import_purchases(&gb, false, &no_progress).await.unwrap();
    assert_eq!((r.inserted, r.updated), (0, 21_000), "{:?}", r.rejected.first());
    let all = app.store().list_purchases(c3.id, 100_000).await.unwrap();
    let name = |ext: &str| {
        all.iter()
            .find(|p| p.external_id == ext)
            .map(|p| p.product_name.clone())
    };
    assert_eq!(
        (name("P0"), name("P20999"), name("P21000")),
        (Some("冰柜".into()), Some("冰柜".into()), Some("冰箱".into()))
    );
    assert_eq!(app.store().rfm_rows().await.unwrap()[0].purchases, 25_000);
}

#[tokio::test]
async fn large_files_are_all_or_nothing_across_batches_sqlite() {
    common::on_sqlite(2, |app| async move {
        large_files_are_all_or_nothing_across_batches(&app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_files_are_all_or_nothing_across_batches_postgres() {
    common::on_postgres(4, |app| async move {
        large_files_are_all_or_nothing_across_batches(&app).await
    })
    .await;
}

/// An exported purchase file re-imports as it was: the `'` the export puts before a cell that
/// starts like a formula comes off (the streamed purchase reader had lost this).
#[tokio::test]
async fn purchase_cells_lose_the_export_formula_guard_on_sqlite() {
    common::on_sqlite(2, |app| async move {
        purchase_cells_lose_the_export_formula_guard(&app).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_cells_lose_the_export_formula_guard_on_postgres() {
    common::on_postgres(4, |app| async move {
        purchase_cells_lose_the_export_formula_guard(&app).await
    })
    .await;
}

async fn purchase_cells_lose_the_export_formula_guard(app: &App) {
    app.import_customers(CUSTOMERS.as_bytes(), false, &no_progress)
        .await
        .unwrap();
    let purchases = "external_id,customer_external_id,date,amount,sku,product_name,serial
'-P1,C3,2025-03-01,10,'=SKU,'+冰箱,'plain
";
    let r = app
        .import_purchases(purchases.as_bytes(), false, &no_progress)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.rejected.len()), (1, 0), "{:?}", r.rejected);
    let c3 = app.store().get_customer_by_external_id("C3").await.unwrap();
    let p = &app.store().list_purchases(c3.id, 10).await.unwrap()[0];
    assert_eq!(
        (
            p.external_id.as_str(),
            p.sku.as_str(),
            p.product_name.as_str(),
            p.serial.as_str()
        ),
        ("-P1", "=SKU", "+冰箱", "'plain")
    );
}
