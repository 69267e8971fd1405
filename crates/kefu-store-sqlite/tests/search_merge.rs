//! The search indexes merge their segments in the background, not inside request commits.

use kefu_store::{Admin, Tickets};
use kefu_store_sqlite::SqliteStore;
use std::time::{Duration, Instant};

#[tokio::test]
async fn search_segments_are_merged_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.db");
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()), 2)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let probe = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let automerge: i64 = sqlx::query_scalar("SELECT v FROM ticket_search_config WHERE k = 'automerge'")
        .fetch_one(&probe)
        .await
        .unwrap();
    assert_eq!(automerge, 0, "commits do not merge");
    // Fifteen transactions, fifteen small segments (below FTS5's crisis merge at sixteen).
    for id in 1..=15 {
        let terms = kefu_core::search::analyze(&format!("空调不制冷 compressor {id}"));
        store.index_tickets(&[(id, terms)]).await.unwrap();
    }
    let pages = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ticket_search_data")
            .fetch_one(&probe)
            .await
            .unwrap()
    };
    // A deadline, not a measure: the merger runs every 100 ms and merges a level of 4 or more.
    let started = Instant::now();
    while pages().await > 8 {
        assert!(started.elapsed() < Duration::from_secs(20), "no merge in 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let found = store
        .search_tickets(
            &kefu_core::search::parse_query("空调"),
            &kefu_store::TicketFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await;
    // No ticket rows exist, so nothing is listed; the index itself answers without error.
    assert!(found.unwrap().is_empty());
    probe.close().await;
    store.close().await;
}
