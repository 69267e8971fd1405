//! The ticket facts on both databases (docs/statistics.md#ticket-facts): kept current by every
//! write — filing, replies, status changes, reassignment, the SLA sweep's breaches — each figure
//! on the day it settled and under the agent who had the ticket then; and `kefu stats rebuild`
//! gives exactly the rows the writes kept.

mod common;

use kefu_app::App;
use kefu_app::clock::ManualClock;
use kefu_app::tickets::{Addition, TicketInput};
use kefu_core::Role;
use kefu_core::facts::{Grain, bin_figure};
use std::collections::BTreeMap;
use std::sync::Arc;

#[tokio::test]
async fn ticket_facts_on_sqlite() {
    common::on_sqlite(2, |app| async move { ticket_facts(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_facts_on_postgres() {
    common::on_postgres(4, |app| async move { ticket_facts(app).await }).await;
}

fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// Every non-zero fact row, `(segment, grain, period, kind, figure) → value`.
async fn fact_rows(app: &App) -> BTreeMap<(String, String, String, String, String), i64> {
    let dump = app.store().dump().await.unwrap();
    let table = dump.tables.iter().find(|t| t.name == "ticket_facts").unwrap();
    let col = |name: &str| table.columns.iter().position(|c| c == name).unwrap();
    let text = |r: &[serde_json::Value], name: &str| r[col(name)].as_str().unwrap().to_owned();
    table
        .rows
        .iter()
        .map(|r| {
            (
                (
                    text(r, "segment"),
                    text(r, "grain"),
                    text(r, "period"),
                    text(r, "kind"),
                    text(r, "figure"),
                ),
                r[col("value")].as_i64().unwrap(),
            )
        })
        .filter(|(_, v)| *v != 0)
        .collect()
}

/// One segment's figures on one day, summed over kinds.
async fn day(app: &App, segment: &str, d: &str) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for (_, figure, v) in app
        .store()
        .ticket_fact_sums(segment, &[(Grain::Day, d.into(), d.into())])
        .await
        .unwrap()
    {
        *out.entry(figure).or_default() += v;
    }
    out.retain(|_, v| *v != 0);
    out
}

async fn ticket_facts(app: App) {
    // Wednesday 16 September 2026, 10:00 in Shanghai.
    let clock: Arc<ManualClock> = ManualClock::at(at("2026-09-16T02:00:00Z"));
    let app = app.with_clock(clock.clone());
    let agent = common::actor(&app, Role::Agent).await;
    let agent_id = agent.user_id().unwrap();
    let manager = common::actor(&app, Role::Manager).await;
    let customer = common::end_customer(&app, "王芳").await;
    let policy = app.sla_setup().await.unwrap().policy(None).unwrap().id;
    let file = |subject: &str, channel: &str| TicketInput {
        customer_id: customer.id,
        kind: "complaint".into(),
        subject: subject.into(),
        body: "热水器漏水".into(),
        channel: Some(channel.into()),
        touchpoint: "安装".into(),
        ..Default::default()
    };
    // A: a call the agent took (assigned to them), answered within 30 minutes.
    let a = app.create_ticket(&agent, file("A", "phone")).await.unwrap().ticket.id;
    // B: from the web form, nobody's.
    let b = app
        .create_ticket(&manager, file("B", "web_form"))
        .await
        .unwrap()
        .ticket
        .id;
    clock.set(at("2026-09-16T02:30:00Z"));
    let reply = |s: &str| Addition::Reply { body: s.into() };
    app.add_to_ticket(&agent, a, reply("已安排师傅。")).await.unwrap();

    let today = day(&app, "all", "2026-09-16").await;
    assert_eq!(today.get("created"), Some(&2));
    assert_eq!(today.get(&format!("sla:{policy}:first_response:met")), Some(&1));
    assert_eq!(today.get(&bin_figure("frt", 30)), Some(&1));
    let mine = day(&app, &format!("agent:{agent_id}"), "2026-09-16").await;
    assert_eq!(mine.get("created"), Some(&1), "{mine:?}");
    assert_eq!(day(&app, "channel:phone", "2026-09-16").await.get("created"), Some(&1));
    assert_eq!(
        day(&app, "touchpoint:安装", "2026-09-16").await.get("created"),
        Some(&2)
    );

    // 12:05: B's first reply (due 12:00) is late; it counts once the sweep marks it.
    clock.set(at("2026-09-16T04:05:00Z"));
    let breached = format!("sla:{policy}:first_response:breached");
    assert_eq!(day(&app, "all", "2026-09-16").await.get(&breached), None);
    app.sweep_escalations(app.now()).await.unwrap();
    assert_eq!(day(&app, "all", "2026-09-16").await.get(&breached), Some(&1));
    // B then goes to the agent, who answers late: still one breach, and not the agent's: it
    // settled (at 12:00) while B was nobody's.
    app.assign_ticket(&manager, b, Some(Some(agent_id)), None, None)
        .await
        .unwrap();
    app.add_to_ticket(&agent, b, reply("抱歉久等。")).await.unwrap();
    let all = day(&app, "all", "2026-09-16").await;
    assert_eq!(all.get(&breached), Some(&1), "{all:?}");
    let mine = day(&app, &format!("agent:{agent_id}"), "2026-09-16").await;
    assert_eq!(mine.get(&breached), None, "{mine:?}");

    // A is resolved at 14:00 (first contact), reopened on Thursday, resolved again on Friday: its resolution moves to Friday and is no longer first-contact.
    clock.set(at("2026-09-16T06:00:00Z"));
    app.set_ticket_status(&agent, a, "resolved").await.unwrap();
    let wed = day(&app, "all", "2026-09-16").await;
    assert_eq!((wed.get("resolved"), wed.get("fcr")), (Some(&1), Some(&1)), "{wed:?}");
    clock.set(at("2026-09-17T02:00:00Z"));
    app.add_to_ticket(
        &agent,
        a,
        Addition::Note {
            body: "客户来电：仍漏水".into(),
        },
    )
    .await
    .unwrap();
    app.set_ticket_status(&agent, a, "open").await.unwrap();
    let wed = day(&app, "all", "2026-09-16").await;
    assert_eq!((wed.get("resolved"), wed.get("fcr")), (None, None), "{wed:?}");
    clock.set(at("2026-09-18T02:00:00Z"));
    app.set_ticket_status(&agent, a, "resolved").await.unwrap();
    let fri = day(&app, "all", "2026-09-18").await;
    assert_eq!(fri.get("resolved"), Some(&1));
    assert_eq!(fri.get("reopened"), Some(&1));
    assert_eq!(fri.get("fcr"), None);
    // The month's rollup holds the days' sums.
    let month = app
        .store()
        .ticket_fact_sums("all", &[(Grain::Month, "2026-09".into(), "2026-09".into())])
        .await
        .unwrap();
    let created: i64 = month.iter().filter(|(_, f, _)| f == "created").map(|(_, _, v)| v).sum();
    assert_eq!(created, 2);

    // The rebuild counts every ticket again from its history: the same rows.
    let kept = fact_rows(&app).await;
    assert!(kept.len() > 50, "{}", kept.len());
    let n = app.rebuild_ticket_facts(|_| {}).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(fact_rows(&app).await, kept);
}
