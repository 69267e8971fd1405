//! Survey campaigns on both databases, with invitations sent to a real SMTP peer (aiosmtpd on
//! loopback): the sample frame, a sample by size and by margin, the fatigue rule across runs and
//! campaigns, opt-outs, replayable draws, the link list, monthly recurrence, the survey asked after
//! a resolved ticket, and bad campaigns refused.

mod common;

use kefu_app::customers::CustomerInput;
use kefu_app::notify::MailOut;
use kefu_app::survey_campaigns::{CampaignFrame, CampaignInput};
use kefu_app::surveys::{Answers, SurveyInput};
use kefu_app::tickets::TicketInput;
use kefu_app::{Actor, App, AppConfig, AppError};
use kefu_core::rfm::ValueTier;
use kefu_core::stats::sampling::sample_size_proportion;
use kefu_mail::sink::Sink;
use kefu_mail::{InboundLimits, parse_inbound};
use kefu_store::Store;
use std::collections::HashSet;
use std::sync::Arc;

async fn run_jobs(app: &App) -> usize {
    common::run_jobs(app, 500).await
}

async fn scenario(store: Arc<dyn Store>) {
    let sink = Sink::start();
    let out = MailOut::new(
        &sink.url(),
        "华东家电客服 <support@kefu.example>",
        Some("https://kefu.example/"),
    )
    .unwrap();
    let app = App::new(
        store,
        AppConfig {
            mail_out: Some(out),
            ..AppConfig::default()
        },
    );
    let cli = Actor::Cli;
    // 30 end customers: 10 of tier A in 华东 (with an e-mail address, 5 of them in English), 20 of
    // tier B in 华北 (no address).
    let mut ids = vec![];
    let mut tiers = vec![];
    for i in 0..30 {
        let a = i < 10;
        let c = app
            .create_customer(
                &cli,
                CustomerInput {
                    name: format!("客户{i}"),
                    kind: "end".into(),
                    region: if a { "华东" } else { "华北" }.into(),
                    email: a.then(|| format!("c{i}@example.cn")),
                    phone: (!a).then(|| format!("1380013{i:04}")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        if a && i % 2 == 1 {
            let contact = app.store().list_contacts(c.id).await.unwrap().remove(0);
            app.store()
                .update_contact(
                    contact.id,
                    kefu_store::ContactPatch {
                        language: Some(Some(kefu_core::Language::En)),
                        ..Default::default()
                    },
                    0,
                )
                .await
                .unwrap();
        }
        ids.push(c.id);
        tiers.push((c.id, if a { ValueTier::A } else { ValueTier::B }));
    }
    app.store().set_value_tiers(&tiers).await.unwrap();
    let survey = app
        .create_survey(
            &cli,
            SurveyInput {
                slug: Some("q4".into()),
                kind: "csat".into(),
                title: "四季度满意度".into(),
                comment: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // Bad campaigns: clear errors, nothing created.
    let base = || CampaignInput {
        name: "A 类客户".into(),
        ..Default::default()
    };
    for bad in [
        CampaignInput {
            sample_size: Some(5),
            margin: Some(0.05),
            ..base()
        },
        CampaignInput {
            margin: Some(1.5),
            ..base()
        },
        CampaignInput {
            recurrence: Some("weekly".into()),
            ..base()
        },
        CampaignInput {
            frame: CampaignFrame {
                tiers: vec!["F".into()],
                ..Default::default()
            },
            ..base()
        },
        CampaignInput {
            response_rate: Some(0.0),
            margin: Some(0.1),
            ..base()
        },
        CampaignInput {
            name: " ".into(),
            ..base()
        },
    ] {
        let e = app.create_campaign(&cli, "q4", bad).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    assert!(matches!(
        app.create_campaign(&cli, "nope", base()).await,
        Err(AppError::NotFound)
    ));
    assert!(app.list_campaigns(&cli, None).await.unwrap().is_empty());

    // By size, in tier A: 4 a run; the fatigue rule keeps anyone from being asked twice.
    let c = app
        .create_campaign(
            &cli,
            "q4",
            CampaignInput {
                frame: CampaignFrame {
                    tiers: vec!["A".into()],
                    ..Default::default()
                },
                sample_size: Some(4),
                seed: Some(2026),
                ..base()
            },
        )
        .await
        .unwrap();
    let plan = app.campaign_plan(&cli, c.id).await.unwrap();
    assert_eq!((plan.frame, plan.eligible, plan.invitations), (10, 10, 4));
    let r1 = app.run_campaign(&cli, c.id).await.unwrap();
    assert_eq!((r1.run, r1.links, r1.emailed), (1, 4, 4));
    let r2 = app.run_campaign(&cli, c.id).await.unwrap();
    assert_eq!((r2.run, r2.plan.excluded_recent, r2.links), (2, 4, 4));
    let r3 = app.run_campaign(&cli, c.id).await.unwrap();
    assert_eq!((r3.plan.eligible, r3.links), (2, 2), "the last two in the frame");
    let r4 = app.run_campaign(&cli, c.id).await.unwrap();
    assert_eq!(r4.links, 0, "everyone was asked");
    let links = app.campaign_links(&cli, c.id, None).await.unwrap();
    assert_eq!(links.len(), 10);
    let asked: HashSet<i64> = links.iter().filter_map(|l| l.link.customer_id).collect();
    assert_eq!(asked, ids[..10].iter().copied().collect(), "each A customer once");
    assert_eq!(app.campaign_links(&cli, c.id, Some(1)).await.unwrap().len(), 4);
    // The run hands out its links once, with what an SMS tool needs; the language is the
    // contact's. kefu keeps no plain token.
    assert!(links.iter().all(|l| l.token.is_none()), "only hashes are kept");
    assert_eq!(r1.issued.len(), 4);
    assert!(r1.issued.iter().all(|l| l.token.is_some() && l.link.run == Some(1)));
    let l = &r1.issued[0];
    assert!(l.token.is_some() && l.customer_name.as_deref().unwrap().starts_with("客户"));
    assert!(l.email.as_deref().unwrap().ends_with("@example.cn"));
    let english = links.iter().filter(|l| l.link.language == "en").count();
    assert_eq!(english, 5);

    // The invitations go out by mail, in each contact's language, with the answer and opt-out links.
    assert_eq!(run_jobs(&app).await, 10);
    assert_eq!(sink.filed(), 10);
    let mut seen_en = false;
    for i in 1..=10 {
        let (raw, _) = sink.message(i);
        let m = parse_inbound(&raw, &InboundLimits::default()).unwrap();
        let text = m.text.clone();
        assert!(text.contains("https://kefu.example/s/"), "{text}");
        assert!(text.contains("/opt-out"), "{text}");
        if m.subject.starts_with("Your opinion") {
            seen_en = true;
            assert!(text.contains("Answer by"), "{text}");
        } else {
            assert_eq!(m.subject, "邀请您参加：四季度满意度");
        }
    }
    assert!(seen_en);
    // A token from the list answers the survey.
    let token = r1.issued[0].token.clone().unwrap();
    app.answer_survey(
        &token,
        Answers {
            score: Some(5),
            ..Default::default()
        },
        "",
        true,
    )
    .await
    .unwrap();

    // Another campaign without fatigue: an opted-out customer is never asked again.
    let token = r1.issued[1].token.clone().unwrap();
    let opted = r1.issued[1].link.customer_id.unwrap();
    app.opt_out_survey(&token).await.unwrap();

    // Downloading the list again issues new tokens for the open links only; the old ones stop working.
    let again = app.reissue_campaign_links(&cli, c.id, Some(1)).await.unwrap();
    let with_token: Vec<bool> = again.iter().map(|l| l.token.is_some()).collect();
    assert_eq!(
        with_token,
        [false, false, true, true],
        "answered and opted out keep none"
    );
    let old = r1.issued[2].token.clone().unwrap();
    assert!(
        app.survey_for_token(&old).await.is_err(),
        "the old token no longer opens"
    );
    let new = again[2].token.clone().unwrap();
    assert_ne!(new, old);
    assert!(app.survey_for_token(&new).await.is_ok());
    let all = app
        .create_campaign(
            &cli,
            "q4",
            CampaignInput {
                name: "全部客户".into(),
                margin: Some(0.1),
                response_rate: Some(0.5),
                fatigue_days: Some(0),
                invite_by_email: Some(false),
                seed: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let plan = app.campaign_plan(&cli, all.id).await.unwrap();
    assert_eq!((plan.frame, plan.excluded_opted_out, plan.excluded_recent), (30, 1, 0));
    assert_eq!(plan.eligible, 29);
    let needed = sample_size_proportion(0.1, None, Some(29)).unwrap();
    assert_eq!(plan.answers_needed, Some(needed));
    assert_eq!(plan.invitations, (needed * 2).min(29));
    let run = app.run_campaign(&cli, all.id).await.unwrap();
    assert_eq!((run.links, run.emailed), (plan.invitations, 0));
    let drawn: Vec<i64> = app
        .campaign_links(&cli, all.id, Some(1))
        .await
        .unwrap()
        .iter()
        .filter_map(|l| l.link.customer_id)
        .collect();
    assert!(!drawn.contains(&opted));
    assert_eq!(run_jobs(&app).await, 0, "no invitations by mail for this one");

    // Monthly: due at once, then not until a month after its last run.
    let monthly = app
        .create_campaign(
            &cli,
            "q4",
            CampaignInput {
                name: "每月".into(),
                sample_size: Some(3),
                fatigue_days: Some(0),
                recurrence: Some("monthly".into()),
                invite_by_email: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let now = kefu_app::now_ms();
    assert_eq!(app.run_due_campaigns(now).await.unwrap(), 1);
    assert_eq!(app.run_due_campaigns(now).await.unwrap(), 0);
    assert_eq!(app.run_due_campaigns(now + 32 * 86_400_000).await.unwrap(), 1);
    app.set_campaign_status(&cli, monthly.id, false).await.unwrap();
    assert_eq!(app.run_due_campaigns(now + 70 * 86_400_000).await.unwrap(), 0, "paused");

    // After a resolved ticket: its customer is asked once, through the job.
    let after = app
        .create_campaign(
            &cli,
            "q4",
            CampaignInput {
                name: "结单回访".into(),
                recurrence: Some("ticket_resolved".into()),
                fatigue_days: Some(0),
                frame: CampaignFrame {
                    regions: vec!["华北".into()],
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        app.run_campaign(&cli, after.id).await,
        Err(AppError::Refused(_))
    ));
    let customer = ids[20];
    let t = app
        .create_ticket(
            &cli,
            TicketInput {
                customer_id: customer,
                kind: "request".into(),
                subject: "上门安装".into(),
                body: "请安排师傅".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.set_ticket_status(&cli, t.ticket.id, "open").await.unwrap();
    app.set_ticket_status(&cli, t.ticket.id, "resolved").await.unwrap();
    run_jobs(&app).await;
    let links = app.campaign_links(&cli, after.id, None).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(
        (links[0].link.ticket_id, links[0].link.customer_id),
        (Some(t.ticket.id), Some(customer))
    );
    assert_eq!(app.survey_resolved_ticket(t.ticket.id).await.unwrap(), 0, "asked once");
    // The customer is dissatisfied; the ticket met its targets: "value not perceived".
    let before = app
        .survey_report(&cli, survey.survey.id, None, None, None)
        .await
        .unwrap();
    // The link went out by mail; the manager's list issues it anew for another channel.
    let token = app.reissue_campaign_links(&cli, after.id, None).await.unwrap()[0]
        .token
        .clone()
        .unwrap();
    app.answer_survey(
        &token,
        Answers {
            score: Some(1),
            ..Default::default()
        },
        "",
        true,
    )
    .await
    .unwrap();
    let r = app
        .survey_report(&cli, survey.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(r.n_responses, before.n_responses + 1);
    let causes = r.dissatisfaction.as_ref().expect("an answer about a ticket");
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].code, "overall");
    assert_eq!(causes[0].dissatisfied, 1);
    assert_eq!(causes[0].value_not_perceived.count, 1);
    assert_eq!(causes[0].value_below_expectation.count, 0);
    let region = app
        .survey_report(&cli, survey.survey.id, Some("region=华北"), None, None)
        .await
        .unwrap();
    assert_eq!(region.dissatisfaction.unwrap()[0].dissatisfied, 1, "per segment too");
    let json = r.to_json();
    assert_eq!(
        json["dissatisfaction"][0]["value_not_perceived"]["ci95"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Rebuilt from the raw answers: the same.
    app.rebuild_survey_stats(&cli, "q4").await.unwrap();
    assert_eq!(
        app.survey_report(&cli, survey.survey.id, None, None, None)
            .await
            .unwrap()
            .to_json(),
        json
    );
    // A customer outside the frame (华东) is not asked.
    let t2 = app
        .create_ticket(
            &cli,
            TicketInput {
                customer_id: ids[3],
                kind: "request".into(),
                subject: "维修".into(),
                body: "坏了".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(app.survey_resolved_ticket(t2.ticket.id).await.unwrap(), 0);

    // Managers only.
    let agent = common::actor(&app, kefu_core::Role::Agent).await;
    assert!(matches!(app.run_campaign(&agent, c.id).await, Err(AppError::Forbidden)));
    assert!(matches!(
        app.campaign_links(&agent, c.id, None).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(survey.survey.slug, "q4");

    // An employee survey: staff of the chosen roles are the frame (the internal customers).
    common::staff(&app, "tech@example.com", "师傅", kefu_core::Role::Technician).await;
    for bad in [
        CampaignInput {
            name: "x".into(),
            frame: CampaignFrame {
                audience: Some("staff".into()),
                tiers: vec!["A".into()],
                ..Default::default()
            },
            ..Default::default()
        },
        CampaignInput {
            name: "x".into(),
            frame: CampaignFrame {
                audience: Some("staff".into()),
                ..Default::default()
            },
            recurrence: Some("ticket_resolved".into()),
            ..Default::default()
        },
        CampaignInput {
            name: "x".into(),
            frame: CampaignFrame {
                roles: vec!["agent".into()],
                ..Default::default()
            },
            ..Default::default()
        },
        CampaignInput {
            name: "x".into(),
            frame: CampaignFrame {
                audience: Some("staff".into()),
                roles: vec!["customer".into()],
                ..Default::default()
            },
            ..Default::default()
        },
    ] {
        let e = app.create_campaign(&cli, "q4", bad).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    let staff = app
        .create_campaign(
            &cli,
            "q4",
            CampaignInput {
                name: "员工满意度".into(),
                frame: CampaignFrame {
                    audience: Some("staff".into()),
                    roles: vec!["agent".into()],
                    ..Default::default()
                },
                fatigue_days: Some(30),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    run_jobs(&app).await;
    let plan = app.campaign_plan(&cli, staff.id).await.unwrap();
    assert_eq!((plan.frame, plan.eligible), (1, 1), "the one agent, not the technician");
    let run = app.run_campaign(&cli, staff.id).await.unwrap();
    assert_eq!((run.links, run.emailed), (1, 1));
    let mailed = sink.filed();
    assert_eq!(run_jobs(&app).await, 1);
    let (raw, envelope) = sink.message(mailed + 1);
    assert!(envelope.contains("agent@example.com"), "{envelope}");
    let m = parse_inbound(&raw, &InboundLimits::default()).unwrap();
    assert!(m.text.contains("https://kefu.example/s/"), "{}", m.text);
    let l = run.issued.into_iter().next().unwrap();
    assert_eq!(l.customer_name.as_deref(), Some("agent"));
    assert_eq!(l.email.as_deref(), Some("agent@example.com"));
    app.answer_survey(
        &l.token.unwrap(),
        Answers {
            score: Some(4),
            ..Default::default()
        },
        "",
        true,
    )
    .await
    .unwrap();
    let by_role = app
        .survey_report(&cli, survey.survey.id, Some("role=agent"), None, None)
        .await
        .unwrap();
    assert_eq!(by_role.n_responses, 1);
    // Asked within the fatigue window: not again.
    assert_eq!(app.campaign_plan(&cli, staff.id).await.unwrap().excluded_recent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_on_sqlite() {
    let db = common::TestDb::sqlite(4).await;
    scenario(db.store.clone()).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_on_postgres() {
    let db = common::TestDb::postgres(8).await;
    scenario(db.store.clone()).await;
    db.finish().await;
}
