//! The store conformance suite on SQLite: a fresh database file per test.

use kefu_store::conformance::DynStore;
use kefu_store_sqlite::SqliteStore;
use std::future::Future;
use std::sync::Arc;

async fn fresh() -> (DynStore, impl Future<Output = ()>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let store = SqliteStore::open(&url, 4).await.expect("open");
    (Arc::new(store) as DynStore, async move { drop(dir) })
}

kefu_store::conformance_tests!(fresh);
