//! The ticket page's record (`App::ticket_record`) on the small demo, on both databases: one
//! access check and one read of each kind, yet the same as the use cases read one by one — the
//! SLA clock replayed from the thread and activity it read equals the clock of `get_ticket`; the
//! purchases, the customer's brief and the authors' names equal their own use cases'.

mod common;

use kefu_app::App;
use kefu_app::demo::DemoSize;
use kefu_core::Role;

#[tokio::test]
async fn ticket_record_on_sqlite() {
    common::on_sqlite(2, |app| async move { ticket_record(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_record_on_postgres() {
    common::on_postgres(4, |app| async move { ticket_record(app).await }).await;
}

async fn ticket_record(app: App) {
    app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    let clock = kefu_app::clock::ManualClock::at(app.now());
    let app = app.with_clock(clock);
    let manager = common::actor(&app, Role::Manager).await;
    let (views, _) = common::tickets_and_sweeps(&app).await;
    assert_eq!(views.len(), 400);
    let mut with_authors = 0;
    for v in &views {
        let id = v.ticket.id;
        let r = app.ticket_record(&manager, id).await.unwrap();
        let alone = app.get_ticket(&manager, id).await.unwrap();
        assert_eq!(format!("{:?}", r.view.sla), format!("{:?}", alone.sla), "ticket {id}");
        assert_eq!(r.view.quadrant, alone.quadrant, "ticket {id}");
        assert_eq!(r.messages, app.ticket_messages(&manager, id).await.unwrap());
        let authors: Vec<i64> = r.messages.iter().filter_map(|m| m.author_user_id).collect();
        let names = app.message_author_names(&manager, id, &authors).await.unwrap();
        assert_eq!(r.author_names, names, "ticket {id}");
        with_authors += usize::from(!names.is_empty());
        let purchases = app
            .purchases_of(&manager, v.ticket.customer_id, kefu_app::tickets::RECORD_PURCHASES)
            .await
            .unwrap_or_default();
        if r.customer.deleted_at.is_none() {
            assert_eq!(r.purchases, purchases, "ticket {id}");
        }
        let brief = r.brief.unwrap();
        let alone = app
            .customer_brief(&manager, v.ticket.customer_id, kefu_app::tickets::RECORD_RECENT)
            .await
            .unwrap();
        let ids = |b: &kefu_app::customers::CustomerBrief| b.tickets.iter().map(|(t, _)| t.id).collect::<Vec<_>>();
        assert_eq!(ids(&brief), ids(&alone), "ticket {id}");
        assert_eq!(brief.contacts, alone.contacts);
        assert_eq!(
            brief.upstream.iter().map(|c| c.id).collect::<Vec<_>>(),
            alone.upstream.iter().map(|c| c.id).collect::<Vec<_>>()
        );
    }
    assert!(with_authors > 100, "the demo's agents answered: {with_authors}");
}
