//! The store conformance suite on PostgreSQL: a fresh database per test.

use kefu_store::conformance::DynStore;
use kefu_store_postgres::{PostgresStore, testing};
use std::future::Future;
use std::sync::Arc;

async fn fresh() -> (DynStore, impl Future<Output = ()>) {
    let (url, name) = testing::create_database().await;
    let store = PostgresStore::open(&url, 8).await.expect("open");
    (Arc::new(store) as DynStore, async move {
        testing::drop_database(&name).await
    })
}

kefu_store::conformance_tests!(fresh);
