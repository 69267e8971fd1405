//! The large demo's channel network, at a small scale, on both databases: the tree's shape, the
//! purchases, value tiers and search, all written through the bulk import path.

use kefu_app::demo::NetworkPlan;
mod common;

use kefu_app::App;
use kefu_core::search::parse_query;

const PLAN: NetworkPlan = NetworkPlan {
    agents: 2,
    customers_per_agent: 300,
    purchases: 30_000,
};

async fn network_is_built(app: &App) {
    let steps = std::sync::Mutex::new(vec![]);
    let progress = |done: u64, total: u64| steps.lock().unwrap().push((done, total));
    let (customers, purchases) = app
        .load_demo_network_bulk(&PLAN, kefu_app::now_ms(), &progress)
        .await
        .unwrap();
    assert_eq!((customers, purchases), (600, 30_000));
    assert_eq!(steps.lock().unwrap().last(), Some(&(30_600, 30_600)));
    assert_eq!(app.store().count_customers().await.unwrap(), 600);

    let agent = app.store().get_customer_by_external_id("DEMO-A01").await.unwrap();
    assert_eq!(agent.name, "华东总代理 East China Agency");
    assert_eq!(
        app.store().subtree_counts(agent.id).await.unwrap(),
        vec![("end".to_owned(), 187), ("intermediate".to_owned(), 112)]
    );
    let first = app
        .store()
        .subtree_customers(agent.id, Some(kefu_core::customer::CustomerKind::End), 0, 50)
        .await
        .unwrap();
    assert_eq!(first.len(), 50);
    // A consumer: four levels under its agent, with its primary contact, found by its name.
    let c = &first[0];
    let chain = app.store().customer_ancestors(c.id).await.unwrap();
    assert_eq!(
        chain.iter().map(|a| a.subkind.map(|s| s.as_str())).collect::<Vec<_>>(),
        vec![
            Some("agent"),
            Some("wholesaler_l1"),
            Some("wholesaler_l2"),
            Some("retailer")
        ]
    );
    let contacts = app.store().list_contacts(c.id).await.unwrap();
    assert!(
        contacts[0].is_primary && contacts[0].phone_norm.len() == 11,
        "{contacts:?}"
    );
    let found = app
        .store()
        .search_customers(&parse_query(&c.name), None, 500)
        .await
        .unwrap();
    assert!(found.iter().any(|f| f.id == c.id), "{} not found", c.name);
    // Purchases by consumers and retailers' stock orders, all with value tiers computed.
    let rfm = app.store().rfm_rows().await.unwrap();
    assert_eq!(rfm.iter().map(|r| r.purchases).sum::<i64>(), 30_000);
    let tiers: std::collections::HashSet<String> = app
        .store()
        .customers_by_ids(&rfm.iter().map(|r| r.customer_id).collect::<Vec<_>>())
        .await
        .unwrap()
        .iter()
        .map(|c| c.value_tier.as_str().to_owned())
        .collect();
    assert_eq!(tiers.len(), 5, "{tiers:?}");
    let bought = app.store().list_purchases(c.id, 100).await.unwrap();
    assert!(
        bought.iter().all(|p| p.seller_id == Some(chain[3].id)),
        "bought from its retailer"
    );
}

#[tokio::test]
async fn large_demo_network_on_sqlite() {
    common::on_sqlite(2, |app| async move { network_is_built(&app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_demo_network_on_postgres() {
    common::on_postgres(4, |app| async move { network_is_built(&app).await }).await;
}
