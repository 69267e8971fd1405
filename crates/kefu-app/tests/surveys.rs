//! Surveys on both databases: the seeded item bank, creating surveys, links, partial and final
//! answers, the statistics folded in the answer's transaction agreeing with kefu-core's report
//! from the raw answers, one final answer per token, expired and unknown tokens, bad answers
//! changing nothing, opt-out, and the single-score kinds.

mod common;

use kefu_app::surveys::{Answers, LinkRequest, SurveyInput};
use kefu_app::{Actor, App, AppError};
use kefu_core::Role;
use kefu_core::rfm::ValueTier;
use kefu_core::stats::sampling::SeededRng;
use kefu_core::stats::servqual_report;
use kefu_store::NewSurveyLink;
use serde_json::Value;
use std::collections::BTreeMap;

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::common::on_sqlite(4, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::common::on_postgres(8, super::$name).await;
                }
            )*
        }
    };
}

on_both!(
    item_bank_and_survey_design,
    folded_statistics_equal_the_raw_report,
    partial_then_final_once,
    expired_unknown_and_opted_out_tokens,
    bad_answers_change_nothing,
    single_score_kinds,
    import_rebuild_and_segments,
    concurrent_answers_each_get_their_outcome,
    benchmark_against_a_competitor,
);

use common::actor;

async fn customer(app: &App, name: &str) -> i64 {
    app.create_customer(
        &Actor::Cli,
        kefu_app::customers::CustomerInput {
            name: name.into(),
            kind: "end".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn servqual_input() -> SurveyInput {
    SurveyInput {
        kind: "servqual".into(),
        title: "2026 年度服务质量调查".into(),
        importance: true,
        overall: true,
        comment: true,
        weights: Some(
            [
                ("tangibles", 10),
                ("reliability", 30),
                ("responsiveness", 20),
                ("assurance", 20),
                ("empathy", 20),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        ),
        ..Default::default()
    }
}

fn random_answers(rng: &mut SeededRng, codes: &[String], dims: &[&str]) -> Answers {
    let mut a = Answers::default();
    for c in codes {
        // About one answer in ten is missing, more often on E.
        if rng.below(10) != 0 {
            a.expectation.insert(c.clone(), 3 + rng.below(5) as u8);
        }
        if rng.below(12) != 0 {
            a.perception.insert(c.clone(), 1 + rng.below(7) as u8);
        }
    }
    if rng.below(3) != 0 {
        let mut left = 100u32;
        let mut w = BTreeMap::new();
        for (i, d) in dims.iter().enumerate() {
            let v = if i + 1 == dims.len() {
                left
            } else {
                rng.below(u64::from(left) + 1) as u32
            };
            left -= v;
            w.insert((*d).to_owned(), v);
        }
        a.allocation = Some(w);
    }
    if rng.below(4) != 0 {
        a.overall = Some(1 + rng.below(7) as u8);
    }
    a
}

/// Every number in `a` within 1e-9 relative of `b`'s; everything else equal.
fn assert_close(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300) || x == y,
                "{path}: {x} vs {y}"
            );
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: keys differ: {x:?} vs {y:?}");
            for (k, v) in x {
                assert_close(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths differ");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                assert_close(v, w, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

async fn item_bank_and_survey_design(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let agent = actor(&app, Role::Agent).await;
    let (dims, items) = app.item_bank(&manager).await.unwrap();
    assert_eq!(
        dims.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
    );
    assert_eq!(dims[0].name_zh, "有形性");
    assert_eq!(items.len(), 22);
    assert_eq!(items[0].code, "Q1");
    assert_eq!(
        items[0].expectation_en,
        "Excellent [type] companies will have modern-looking equipment."
    );
    assert_eq!(
        items[1].perception_en,
        "XYZ's physical facilities are visually appealing."
    );
    assert_eq!(items[21].perception_zh, "XYZ 的员工了解您的具体需求。");
    let counts: Vec<usize> = dims
        .iter()
        .map(|d| items.iter().filter(|i| i.dimension == d.code).count())
        .collect();
    assert_eq!(counts, [4, 5, 4, 4, 5]);
    assert!(matches!(app.item_bank(&agent).await, Err(AppError::Forbidden)));

    // Edit wording; add a dimension and an item.
    let edited = app
        .update_bank_item(
            &manager,
            "Q1",
            kefu_store::BankItemPatch {
                perception_zh: Some("华东家电拥有现代化的设备。".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.perception_zh, "华东家电拥有现代化的设备。");
    assert_eq!(edited.perception_en, "XYZ has modern-looking equipment.");
    let e = app
        .update_bank_item(
            &manager,
            "Q1",
            kefu_store::BankItemPatch {
                perception_en: Some("  ".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    app.add_survey_dimension(
        &manager,
        kefu_app::surveys::DimensionInput {
            code: "delivery".into(),
            name_zh: "送货".into(),
            name_en: "Delivery".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let item = kefu_app::surveys::BankItemInput {
        code: "D1".into(),
        dimension: "delivery".into(),
        expectation_zh: "优秀企业准时送货。".into(),
        expectation_en: "Excellent companies deliver on time.".into(),
        perception_zh: "XYZ 准时送货。".into(),
        perception_en: "XYZ delivers on time.".into(),
    };
    app.add_bank_item(&manager, item.clone()).await.unwrap();
    assert!(matches!(
        app.add_bank_item(&manager, item.clone()).await,
        Err(AppError::Conflict(_))
    ));
    let e = app
        .add_bank_item(
            &manager,
            kefu_app::surveys::BankItemInput {
                code: "X1".into(),
                dimension: "nowhere".into(),
                ..item
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");

    // The default survey asks the 22 standard items (the bank may hold more).
    let v = app
        .create_survey(
            &manager,
            SurveyInput {
                items: Some((1..=22).map(|i| format!("Q{i}")).collect()),
                ..servqual_input()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.items.len(), 22);
    assert_eq!(v.layout(), kefu_core::stats::ServqualLayout::standard());
    assert_eq!(v.weight_vec(), Some(vec![10, 30, 20, 20, 20]));
    let all = app
        .create_survey(
            &manager,
            SurveyInput {
                weights: None,
                ..servqual_input()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 23, "without a list, the whole bank");

    // Bad designs: clear errors, nothing created.
    let before = app.list_surveys(&manager).await.unwrap().len();
    let mut bad_weights = servqual_input();
    bad_weights.items = Some((1..=22).map(|i| format!("Q{i}")).collect());
    bad_weights.weights.as_mut().unwrap().insert("empathy".into(), 25);
    for input in [
        bad_weights,
        SurveyInput {
            kind: "poll".into(),
            ..servqual_input()
        },
        SurveyInput {
            title: " ".into(),
            ..servqual_input()
        },
        SurveyInput {
            items: Some(vec!["Q1".into(), "Q99".into()]),
            weights: None,
            ..servqual_input()
        },
    ] {
        let e = app.create_survey(&manager, input).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    assert!(matches!(
        app.create_survey(&agent, servqual_input()).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(app.list_surveys(&manager).await.unwrap().len(), before);
}

async fn folded_statistics_equal_the_raw_report(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app.create_survey(&manager, servqual_input()).await.unwrap();
    let layout = view.layout();
    let codes = layout.items.clone();
    let dims: Vec<&str> = layout.dimensions.iter().map(|d| d.code.as_str()).collect();
    let mut ids = vec![];
    for i in 0..30 {
        ids.push(customer(&app, &format!("客户{i}")).await);
    }
    // A and B tiers for the segment breakdown.
    let tiers: Vec<(i64, ValueTier)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, if i % 3 == 0 { ValueTier::A } else { ValueTier::B }))
        .collect();
    app.store().set_value_tiers(&tiers).await.unwrap();
    let links = app
        .make_survey_links(
            &manager,
            view.survey.id,
            LinkRequest {
                customer_ids: ids.clone(),
                expires_in_days: Some(7),
                language: None,
                count: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(links.len(), 30);
    assert!(links.iter().all(|l| l.link.language == "zh-CN" && l.token.len() >= 20));
    let mut rng = SeededRng::new(2026);
    let mut raw_all = vec![];
    let mut raw_a = vec![];
    for (i, l) in links.iter().enumerate() {
        let a = random_answers(&mut rng, &codes, &dims);
        app.answer_survey(&l.token, a.clone(), "服务不错", true).await.unwrap();
        raw_all.push(view.servqual_response(&a));
        if i % 3 == 0 {
            raw_a.push(view.servqual_response(&a));
        }
    }
    let weights = view.weight_vec();
    for (segment, raw) in [("all", &raw_all), ("tier:A", &raw_a)] {
        let folded = app
            .survey_report(&manager, view.survey.id, Some(segment), None, None)
            .await
            .unwrap();
        assert_eq!(folded.n_responses, raw.len() as u64);
        let expected = servqual_report(&layout, raw, weights.as_deref()).unwrap();
        assert_close(
            &serde_json::to_value(folded.servqual.as_ref().unwrap()).unwrap(),
            &serde_json::to_value(&expected).unwrap(),
            segment,
        );
    }
    // The stored raw answers say the same.
    let stored: Vec<_> = app
        .store()
        .final_responses(view.survey.id)
        .await
        .unwrap()
        .iter()
        .map(|r| view.servqual_response(&serde_json::from_str(&r.answers).unwrap()))
        .collect();
    assert_eq!(stored, raw_all);
    // The JSON report has the documented fields.
    let r = app
        .survey_report(&manager, view.survey.id, None, Some("2000-01"), Some("2999-12"))
        .await
        .unwrap()
        .to_json();
    assert_eq!(r["n_responses"], 30);
    assert_eq!(r["items"][0]["code"], "Q1");
    assert!(r["items"][0]["gap_ci95"].is_array());
    assert_eq!(r["dimensions"][1]["code"], "reliability");
    for f in [
        "alpha_p",
        "alpha_p_ci95",
        "alpha_e",
        "alpha_p_std",
        "item_total_p",
        "alpha_if_deleted_p",
    ] {
        assert!(r["dimensions"][0].get(f).is_some(), "{f}");
    }
    for f in [
        "unweighted",
        "weighted_manager",
        "weighted_respondent",
        "n_weighted_respondent",
        "mean_item_gap",
    ] {
        assert!(r["servqual"].get(f).is_some(), "{f}");
    }
    assert_eq!(r["ipa"].as_array().unwrap().len(), 5);
    assert!(r["notes"].is_array());
    // A period range with no answers: zero responses, nulls with notes, no panic.
    let empty = app
        .survey_report(&manager, view.survey.id, None, Some("2000-01"), Some("2000-12"))
        .await
        .unwrap()
        .to_json();
    assert_eq!(empty["n_responses"], 0);
    check_schema(&empty);
    assert!(empty["servqual"]["unweighted"].is_null());
    assert!(!empty["notes"].as_array().unwrap().is_empty());
    for (seg, from) in [("colour:x", None), ("all", Some("2026-13"))] {
        let e = app
            .survey_report(&manager, view.survey.id, Some(seg), from, None)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    let agent = actor(&app, Role::Agent).await;
    assert!(matches!(
        app.survey_report(&agent, view.survey.id, None, None, None).await,
        Err(AppError::Forbidden)
    ));
    let (list, n) = app.list_surveys(&manager).await.unwrap().remove(0);
    assert_eq!((list.id, n), (view.survey.id, 30));
    // A backup restores the surveys, their answers and statistics: the same report.
    let before = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap()
        .to_json();
    let dump = app.store().dump().await.unwrap();
    for t in [
        "survey_bank_items",
        "surveys",
        "survey_links",
        "survey_responses",
        "survey_stats",
    ] {
        assert!(
            dump.tables.iter().any(|d| d.name == t && !d.rows.is_empty()),
            "{t} is in the backup"
        );
    }
    app.store().restore(&dump).await.unwrap();
    let after = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap()
        .to_json();
    assert_eq!(before, after);
}

async fn partial_then_final_once(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app.create_survey(&manager, servqual_input()).await.unwrap();
    let c = customer(&app, "王芳").await;
    let link = app
        .make_survey_links(
            &manager,
            view.survey.id,
            LinkRequest {
                customer_ids: vec![c],
                expires_in_days: None,
                language: Some("en".into()),
                count: None,
            },
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(link.link.language, "en");
    let mut a = Answers::default();
    a.expectation.insert("Q1".into(), 7);
    a.perception.insert("Q1".into(), 5);
    // A partial allocation may not add up yet.
    a.allocation = Some([("tangibles".to_owned(), 40)].into_iter().collect());
    app.answer_survey(&link.token, a.clone(), "", false).await.unwrap();
    let ls = app.survey_for_token(&link.token).await.unwrap();
    assert!(!ls.answered());
    let (saved, answers) = ls.response.unwrap();
    assert!(saved.partial);
    assert_eq!(answers, a);
    let report = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(report.n_responses, 0, "a partial answer is not counted");

    // The final answer must add up to 100.
    let e = app.answer_survey(&link.token, a.clone(), "", true).await.unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    a.allocation = Some(
        [
            ("tangibles", 40),
            ("reliability", 20),
            ("responsiveness", 20),
            ("assurance", 10),
            ("empathy", 10),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    a.overall = Some(6);
    app.answer_survey(&link.token, a.clone(), "Fast and friendly", true)
        .await
        .unwrap();
    let ls = app.survey_for_token(&link.token).await.unwrap();
    assert!(ls.answered());
    assert!(!ls.response.as_ref().unwrap().0.partial);
    // A second final, or a partial after it: refused, nothing changes.
    for final_ in [true, false] {
        let e = app
            .answer_survey(&link.token, Answers::default(), "again", final_)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    }
    let report = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(report.n_responses, 1);
    let sq = report.servqual.unwrap();
    assert_eq!(sq.items[0].gap_mean, Some(-2.0));
    let comments = app.survey_comments(&manager, view.survey.id, 10).await.unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].0, "Fast and friendly");
    // Its customer's tier ("none" without purchases) has its own segment.
    let tier = app
        .survey_report(&manager, view.survey.id, Some("tier=none"), None, None)
        .await
        .unwrap();
    assert_eq!(tier.n_responses, 1);
}

async fn expired_unknown_and_opted_out_tokens(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app.create_survey(&manager, servqual_input()).await.unwrap();
    let now = kefu_app::now_ms();
    app.store()
        .create_survey_links(&[NewSurveyLink {
            survey_id: view.survey.id,
            token_hash: kefu_app::auth::sha256_hex("expired-token-expired-token"),
            customer_id: None,
            contact_id: None,
            ticket_id: None,
            language: "zh-CN".into(),
            expires_at: now - 1,
            campaign_id: None,
            user_id: None,
            now: now - 10,
        }])
        .await
        .unwrap();
    let mut a = Answers::default();
    a.perception.insert("Q2".into(), 4);
    for token in ["expired-token-expired-token", "no-such-token", ""] {
        assert!(
            matches!(app.survey_for_token(token).await, Err(AppError::NotFound)),
            "{token}"
        );
        assert!(
            matches!(
                app.answer_survey(token, a.clone(), "", true).await,
                Err(AppError::NotFound)
            ),
            "{token}"
        );
    }
    assert!(matches!(
        app.opt_out_survey("no-such-token").await,
        Err(AppError::NotFound)
    ));

    let link = app
        .make_survey_links(&manager, view.survey.id, LinkRequest::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(link.link.customer_id, None);
    let out = app.opt_out_survey(&link.token).await.unwrap();
    assert!(out.opted_out_at.is_some());
    let again = app.opt_out_survey(&link.token).await.unwrap();
    assert_eq!(again.opted_out_at, out.opted_out_at, "the first opt-out stands");
    let e = app.answer_survey(&link.token, a, "", true).await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    let report = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(report.n_responses, 0);
}

async fn bad_answers_change_nothing(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app
        .create_survey(
            &manager,
            SurveyInput {
                importance: false,
                overall: false,
                comment: false,
                ..servqual_input()
            },
        )
        .await
        .unwrap();
    let link = app
        .make_survey_links(&manager, view.survey.id, LinkRequest::default())
        .await
        .unwrap()
        .remove(0);
    let base = || {
        let mut a = Answers::default();
        a.expectation.insert("Q1".into(), 6);
        a.perception.insert("Q1".into(), 5);
        a
    };
    let mut cases: Vec<(Answers, &str)> = vec![];
    let mut a = base();
    a.perception.insert("Q2".into(), 8);
    cases.push((a, ""));
    let mut a = base();
    a.expectation.insert("Q3".into(), 0);
    cases.push((a, ""));
    let mut a = base();
    a.perception.insert("Q99".into(), 3);
    cases.push((a, ""));
    let mut a = base();
    a.overall = Some(5);
    cases.push((a, ""));
    let mut a = base();
    a.allocation = Some([("tangibles".to_owned(), 100)].into_iter().collect());
    cases.push((a, ""));
    let mut a = base();
    a.score = Some(3);
    cases.push((a, ""));
    cases.push((base(), "a comment on a survey that takes none"));
    cases.push((Answers::default(), ""));
    for (a, comment) in cases {
        for final_ in [true, false] {
            if a.is_empty() && !final_ {
                continue;
            }
            let e = app.answer_survey(&link.token, a.clone(), comment, final_).await;
            assert!(matches!(e, Err(AppError::Invalid(_))), "{a:?} {final_}: {e:?}");
        }
    }
    assert!(app.survey_for_token(&link.token).await.unwrap().response.is_none());
    let n = app
        .store()
        .survey_stats(view.survey.id, "all", None, None)
        .await
        .unwrap();
    assert!(n.is_empty(), "no statistics were touched");
    // The link still takes a good answer.
    app.answer_survey(&link.token, base(), "", true).await.unwrap();
}

async fn single_score_kinds(app: App) {
    let manager = actor(&app, Role::Manager).await;
    for (kind, answers, bad) in [
        ("nps", vec![10u8, 9, 9, 8, 7, 6, 3, 0, 10, 5], 11u8),
        ("csat", vec![5, 4, 4, 3, 2, 1, 5], 0),
        ("ces", vec![7, 6, 5, 5, 3, 2], 8),
    ] {
        let view = app
            .create_survey(
                &manager,
                SurveyInput {
                    kind: kind.into(),
                    title: format!("{kind} 调查"),
                    comment: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(view.items.is_empty());
        let links = app
            .make_survey_links(&manager, view.survey.id, LinkRequest::default())
            .await
            .unwrap();
        let e = app
            .answer_survey(
                &links[0].token,
                Answers {
                    score: Some(bad),
                    ..Default::default()
                },
                "",
                true,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{kind}: {e:?}");
        for s in &answers {
            let l = app
                .make_survey_links(&manager, view.survey.id, LinkRequest::default())
                .await
                .unwrap()
                .remove(0);
            let a = Answers {
                score: Some(*s),
                ..Default::default()
            };
            app.answer_survey(&l.token, a, "", true).await.unwrap();
        }
        let r = app
            .survey_report(&manager, view.survey.id, None, None, None)
            .await
            .unwrap();
        assert_eq!(r.n_responses, answers.len() as u64);
        let json = r.to_json();
        check_schema(&json);
        use kefu_core::stats::scales;
        match kind {
            "nps" => {
                let raw = scales::nps(&answers).unwrap();
                assert_eq!(r.nps.unwrap(), raw);
                assert!(json["nps_ci95"].is_array() && json["nps_se"].is_number());
            }
            "csat" => {
                assert_eq!(r.csat.unwrap(), scales::csat(&answers).unwrap());
                assert!(json["csat_ci95"].is_array());
            }
            _ => {
                let raw = scales::ces(&answers).unwrap();
                let got = r.ces.unwrap();
                assert_eq!(got.n, raw.n);
                assert!((got.ces_mean.unwrap() - raw.ces_mean.unwrap()).abs() < 1e-12);
                assert!(json["ces_mean"].is_number() && json["ces_ci95"].is_array());
            }
        }
    }
}

/// A CSV of answers in the import's columns (`E_Q1`…, `P_Q1`…, `W_…`, `overall`, `comment`).
fn answers_csv(rows: &[(String, Answers, &str)], codes: &[String], dims: &[&str]) -> String {
    let mut header = vec!["respondent".to_owned()];
    header.extend(codes.iter().map(|c| format!("E_{c}")));
    header.extend(codes.iter().map(|c| format!("P_{c}")));
    header.extend(dims.iter().map(|d| format!("W_{d}")));
    header.extend(["overall".to_owned(), "comment".to_owned()]);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for (who, a, comment) in rows {
        let mut line = vec![who.clone()];
        let cell = |m: &BTreeMap<String, u8>, c: &String| m.get(c).map(|v| v.to_string()).unwrap_or_default();
        line.extend(codes.iter().map(|c| cell(&a.expectation, c)));
        line.extend(codes.iter().map(|c| cell(&a.perception, c)));
        line.extend(
            dims.iter()
                .map(|d| a.allocation.as_ref().map(|w| w[*d].to_string()).unwrap_or_default()),
        );
        line.push(a.overall.map(|o| o.to_string()).unwrap_or_default());
        line.push((*comment).to_owned());
        w.write_record(&line).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn no_progress(_: u64, _: u64) {}

async fn import_rebuild_and_segments(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app
        .create_survey(
            &manager,
            SurveyInput {
                slug: Some("q4-2026".into()),
                items: Some((1..=22).map(|i| format!("Q{i}")).collect()),
                ..servqual_input()
            },
        )
        .await
        .unwrap();
    assert_eq!(view.survey.slug, "q4-2026");
    assert_eq!(app.survey_id_of(&manager, "q4-2026").await.unwrap(), view.survey.id);
    assert_eq!(
        app.survey_id_of(&manager, &view.survey.id.to_string()).await.unwrap(),
        view.survey.id
    );
    assert!(matches!(
        app.survey_id_of(&manager, "nope").await,
        Err(AppError::NotFound)
    ));
    let layout = view.layout();
    let codes = layout.items.clone();
    let dims: Vec<&str> = layout.dimensions.iter().map(|d| d.code.as_str()).collect();
    let mut rng = SeededRng::new(77);
    let rows: Vec<(String, Answers, &str)> = (0..150)
        .map(|i| {
            let mut a = random_answers(&mut rng, &codes, &dims);
            if a.perception.is_empty() && a.expectation.is_empty() {
                a.perception.insert("Q1".into(), 4);
            }
            (format!("r{i}"), a, if i % 7 == 0 { "等太久了" } else { "" })
        })
        .collect();
    let csv = answers_csv(&rows, &codes, &dims);
    let report = app
        .import_survey_responses(
            &manager,
            "q4-2026",
            std::io::Cursor::new(csv.clone()),
            false,
            &no_progress,
        )
        .await
        .unwrap();
    assert!(!report.aborted, "{:?}", report.rejected);
    assert_eq!((report.rows, report.inserted), (150, 150));
    let raw: Vec<_> = rows.iter().map(|(_, a, _)| view.servqual_response(a)).collect();
    let expected = servqual_report(&layout, &raw, view.weight_vec().as_deref()).unwrap();
    let folded = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(folded.n_responses, 150);
    check_schema(&folded.to_json());
    assert_close(
        &serde_json::to_value(folded.servqual.as_ref().unwrap()).unwrap(),
        &serde_json::to_value(&expected).unwrap(),
        "imported",
    );
    assert_eq!(
        app.survey_comments(&manager, view.survey.id, 100).await.unwrap().len(),
        22
    );
    // The three lowest items, lowest first, each with the comments of those who rated it low.
    let low = app.lowest_items(&manager, &folded, 3).await.unwrap();
    assert_eq!(low.len(), 3);
    assert!(low[0].score <= low[1].score && low[1].score <= low[2].score);
    let lowest_gap = folded
        .servqual
        .as_ref()
        .unwrap()
        .items
        .iter()
        .filter_map(|i| i.gap_mean)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(low[0].score, lowest_gap);
    for l in &low {
        let said_low = rows
            .iter()
            .filter(|(_, a, c)| {
                !c.is_empty()
                    && matches!((a.expectation.get(&l.code), a.perception.get(&l.code)), (Some(e), Some(p)) if p < e)
            })
            .count();
        assert_eq!(l.comments.len(), said_low.min(5), "{}", l.code);
        assert!(l.comments.iter().all(|c| c == "等太久了"));
    }

    // Answers through links join them; the customer's attributes make segments.
    let c = app
        .create_customer(
            &Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: "华东客户".into(),
                kind: "end".into(),
                region: "华东".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let link = app
        .make_survey_links(
            &manager,
            view.survey.id,
            LinkRequest {
                customer_ids: vec![c.id],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut a = random_answers(&mut rng, &codes, &dims);
    a.perception.insert("Q1".into(), 2);
    app.answer_survey(&link[0].token, a, "", true).await.unwrap();
    let region = app
        .survey_report(&manager, view.survey.id, Some("region=华东"), None, None)
        .await
        .unwrap();
    assert_eq!(region.n_responses, 1);
    assert_eq!(
        app.survey_report(&manager, view.survey.id, Some("kind:end"), None, None)
            .await
            .unwrap()
            .n_responses,
        1
    );
    for bad in ["colour=red", "tier=Z", "region=", "agent=bob"] {
        let e = app
            .survey_report(&manager, view.survey.id, Some(bad), None, None)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{bad}: {e:?}");
    }

    // Rebuilding from the raw answers gives the same statistics, exactly.
    let before = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap()
        .to_json();
    let before_region = app
        .survey_report(&manager, view.survey.id, Some("region=华东"), None, None)
        .await
        .unwrap()
        .to_json();
    struct Nothing;
    impl kefu_store::StatsBuilder for Nothing {
        fn add(&mut self, _: &kefu_store::SurveyResponse) -> Result<(), String> {
            Ok(())
        }
        fn finish(&mut self) -> Result<Vec<kefu_store::StatsRow>, String> {
            Ok(vec![])
        }
    }
    // (Wipe the statistics first, so that the rebuild is seen to make them.)
    assert_eq!(
        app.store()
            .rebuild_survey_stats(view.survey.id, &mut Nothing, 0)
            .await
            .unwrap(),
        151
    );
    assert_eq!(
        app.survey_report(&manager, view.survey.id, None, None, None)
            .await
            .unwrap()
            .n_responses,
        0
    );
    assert_eq!(app.rebuild_survey_stats(&manager, "q4-2026").await.unwrap(), 151);
    assert_eq!(
        app.survey_report(&manager, view.survey.id, None, None, None)
            .await
            .unwrap()
            .to_json(),
        before
    );
    assert_eq!(
        app.survey_report(&manager, view.survey.id, Some("region=华东"), None, None)
            .await
            .unwrap()
            .to_json(),
        before_region
    );

    // Bad files change nothing and name the row and column.
    let count = || async { app.store().final_responses(view.survey.id).await.unwrap().len() };
    let n0 = count().await;
    let line = |who: &str, cells: &[(&str, &str)]| -> String {
        let header =
            "respondent,E_Q1,P_Q1,P_Q2,W_tangibles,W_reliability,W_responsiveness,W_assurance,W_empathy,overall";
        let cols: Vec<&str> = header.split(',').collect();
        let mut row = vec![String::new(); cols.len()];
        row[0] = who.to_owned();
        for (k, v) in cells {
            row[cols.iter().position(|c| c == k).unwrap()] = (*v).to_owned();
        }
        format!("{header}\n{}\nok1,5,6,6,,,,,,4\n", row.join(","))
    };
    let cases: Vec<(String, &str, &str)> = vec![
        (line("x1", &[("P_Q1", "8")]), "P_Q1", "not a whole number from 1 to 7"),
        (
            line("x2", &[("E_Q1", "abc"), ("P_Q1", "3")]),
            "E_Q1",
            "not a whole number",
        ),
        (
            line("x3", &[("P_Q1", "3"), ("W_tangibles", "50"), ("W_reliability", "50")]),
            "W_responsiveness",
            "partly given",
        ),
        (
            line(
                "x4",
                &[
                    ("P_Q1", "3"),
                    ("W_tangibles", "20"),
                    ("W_reliability", "20"),
                    ("W_responsiveness", "20"),
                    ("W_assurance", "20"),
                    ("W_empathy", "30"),
                ],
            ),
            "W_tangibles",
            "add up to 100, not 110",
        ),
        (
            line("r3", &[("P_Q1", "3")]),
            "respondent",
            "answered this survey already",
        ),
        (line("ok1", &[("P_Q1", "3")]), "respondent", "also on row 2"),
        (line("", &[("P_Q1", "3")]), "respondent", "required"),
        (line("x5", &[]), "P_", "at least one item"),
        (line("x6", &[("P_Q1", "3"), ("overall", "9")]), "overall", "1 to 7"),
    ];
    for (file, column, says) in cases {
        let r = app
            .import_survey_responses(
                &manager,
                "q4-2026",
                std::io::Cursor::new(file.clone()),
                false,
                &no_progress,
            )
            .await
            .unwrap();
        assert!(r.aborted, "{file}");
        let e = &r.rejected[0];
        assert!(
            e.column.contains(column) && e.message.contains(says),
            "{file}: {e:?}, wanted {column} / {says}"
        );
        assert!(e.row == 2 || e.row == 3, "{e:?}");
        assert_eq!(r.inserted, 0);
        assert_eq!(count().await, n0, "{file}");
    }
    // A Windows file (CRLF) names the same rows.
    let r = app
        .import_survey_responses(
            &manager,
            "q4-2026",
            std::io::Cursor::new("respondent,P_Q1\r\nw1,3\r\nw2,9\r\n"),
            false,
            &no_progress,
        )
        .await
        .unwrap();
    assert_eq!((r.rejected[0].row, r.rejected[0].column.as_str()), (3, "P_Q1"));
    let e = app
        .import_survey_responses(
            &manager,
            "q4-2026",
            std::io::Cursor::new("respondent,P_Q1,colour\nz,3,red\n"),
            false,
            &no_progress,
        )
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("colour"), "{e:?}");
    assert!(matches!(
        app.import_survey_responses(
            &manager,
            "nope",
            std::io::Cursor::new("respondent\n"),
            false,
            &no_progress
        )
        .await,
        Err(AppError::NotFound)
    ));
    assert_eq!(count().await, n0);
    // With skip_bad_rows: the good row goes in, the bad one comes back with its reason.
    let r = app
        .import_survey_responses(
            &manager,
            "q4-2026",
            std::io::Cursor::new(line("x9", &[("P_Q1", "0")])),
            true,
            &no_progress,
        )
        .await
        .unwrap();
    assert_eq!((r.inserted, r.rejected_rows.len(), r.aborted), (1, 1, false));
    assert_eq!(r.rejected_rows[0].0, 2);
    assert_eq!(count().await, n0 + 1);
    assert_eq!(
        app.survey_report(&manager, view.survey.id, None, None, None)
            .await
            .unwrap()
            .n_responses,
        152
    );
    // An agent may not import.
    let agent = actor(&app, Role::Agent).await;
    assert!(matches!(
        app.import_survey_responses(&agent, "q4-2026", std::io::Cursor::new(csv), false, &no_progress)
            .await,
        Err(AppError::Forbidden)
    ));
}

/// Checks a report against docs/survey-report.schema.json (the keywords that file uses: $ref, type,
/// enum, required, properties, additionalProperties, items, minItems, maxItems).
fn check_schema(report: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../../docs/survey-report.schema.json")).unwrap();
    fn check(v: &Value, s: &Value, root: &Value, path: &str) {
        if let Some(r) = s["$ref"].as_str() {
            let name = r.strip_prefix("#/$defs/").unwrap();
            return check(v, &root["$defs"][name], root, path);
        }
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = |t: &Value| {
            let t = t.as_str().unwrap();
            t == kind || (t == "number" && kind == "integer")
        };
        match &s["type"] {
            Value::Array(ts) => assert!(ts.iter().any(fits), "{path}: {kind} is not one of {ts:?}"),
            t @ Value::String(_) => assert!(fits(t), "{path}: {kind} is not {t}"),
            _ => {}
        }
        if let Some(e) = s["enum"].as_array() {
            assert!(e.contains(v), "{path}: {v} is not one of {e:?}");
        }
        if let Value::Object(m) = v {
            for r in s["required"].as_array().into_iter().flatten() {
                assert!(m.contains_key(r.as_str().unwrap()), "{path}: {r} is missing");
            }
            for (k, x) in m {
                let p = format!("{path}.{k}");
                match (&s["properties"][k], &s["additionalProperties"]) {
                    (Value::Null, Value::Bool(false)) => panic!("{p} is not in the schema"),
                    (Value::Null, Value::Object(_)) => check(x, &s["additionalProperties"], root, &p),
                    (Value::Null, _) => {}
                    (sub, _) => check(x, sub, root, &p),
                }
            }
        }
        if let Value::Array(a) = v {
            if let Some(n) = s["minItems"].as_u64() {
                assert!(a.len() as u64 >= n, "{path}: fewer than {n} items");
            }
            if let Some(n) = s["maxItems"].as_u64() {
                assert!(a.len() as u64 <= n, "{path}: more than {n} items");
            }
            if s["items"].is_object() {
                for (i, x) in a.iter().enumerate() {
                    check(x, &s["items"], root, &format!("{path}[{i}]"));
                }
            }
        }
    }
    check(report, &schema, &schema, "report");
}

/// Answers given at the same time are written together; each respondent still gets their own
/// outcome (a token answered twice in one batch: one success, one conflict), and the statistics
/// count every taken answer once.
async fn concurrent_answers_each_get_their_outcome(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let view = app.create_survey(&manager, servqual_input()).await.unwrap();
    let links = app
        .make_survey_links(
            &manager,
            view.survey.id,
            LinkRequest {
                count: Some(40),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let layout = view.layout();
    let codes = layout.items.clone();
    let dims: Vec<&str> = layout.dimensions.iter().map(|d| d.code.as_str()).collect();
    let mut rng = SeededRng::new(9);
    let mut tasks = tokio::task::JoinSet::new();
    let mut raw = BTreeMap::new();
    for (i, l) in links.iter().enumerate() {
        // Every fourth token is answered twice, at once.
        let copies = if i % 4 == 0 { 2 } else { 1 };
        let mut a = random_answers(&mut rng, &codes, &dims);
        a.perception.insert("Q1".into(), 1 + (i % 7) as u8);
        raw.insert(l.token.clone(), a.clone());
        for _ in 0..copies {
            let (app, token, a) = (app.clone(), l.token.clone(), a.clone());
            tasks.spawn(async move { (token.clone(), app.answer_survey(&token, a, "", true).await) });
        }
    }
    let mut ok: BTreeMap<String, usize> = BTreeMap::new();
    let mut conflicts = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (token, Ok(resp)) => {
                assert!(!resp.partial);
                *ok.entry(token).or_default() += 1;
            }
            (_, Err(AppError::Conflict(_))) => conflicts += 1,
            (_, Err(e)) => panic!("{e:?}"),
        }
    }
    assert_eq!(ok.len(), 40, "every token answered");
    assert!(ok.values().all(|n| *n == 1), "once each");
    assert_eq!(conflicts, 10);
    let report = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    assert_eq!(report.n_responses, 40);
    let expected: Vec<_> = raw.values().map(|a| view.servqual_response(a)).collect();
    let expected = servqual_report(&layout, &expected, view.weight_vec().as_deref()).unwrap();
    assert_close(
        &serde_json::to_value(report.servqual.as_ref().unwrap()).unwrap(),
        &serde_json::to_value(&expected).unwrap(),
        "concurrent",
    );
}

/// Benchmarking: the competitor's C beside our P per item and dimension, from links and from an
/// import, agreeing with the paired differences computed from the raw answers, rebuilt exactly.
async fn benchmark_against_a_competitor(app: App) {
    let manager = actor(&app, Role::Manager).await;
    let e = app
        .create_survey(
            &manager,
            SurveyInput {
                kind: "nps".into(),
                title: "x".into(),
                competitor: Some("海尔".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    let view = app
        .create_survey(
            &manager,
            SurveyInput {
                slug: Some("bench".into()),
                competitor: Some("海尔".into()),
                items: Some((1..=22).map(|i| format!("Q{i}")).collect()),
                ..servqual_input()
            },
        )
        .await
        .unwrap();
    let layout = view.layout();
    let codes = layout.items.clone();
    let dims: Vec<&str> = layout.dimensions.iter().map(|d| d.code.as_str()).collect();
    let links = app
        .make_survey_links(
            &manager,
            view.survey.id,
            LinkRequest {
                count: Some(12),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut rng = SeededRng::new(31);
    let mut all = vec![];
    for l in &links {
        let mut a = random_answers(&mut rng, &codes, &dims);
        for c in &codes {
            if rng.below(6) != 0 {
                a.competitor.insert(c.clone(), 1 + rng.below(7) as u8);
            }
        }
        app.answer_survey(&l.token, a.clone(), "", true).await.unwrap();
        all.push(a);
    }
    // Plus three imported respondents with C_ columns.
    let mut header = vec!["respondent".to_owned()];
    header.extend(codes.iter().map(|c| format!("P_{c}")));
    header.extend(codes.iter().map(|c| format!("C_{c}")));
    let mut csv = header.join(",") + "\n";
    for r in 0..3u8 {
        let mut a = Answers::default();
        let mut line = vec![format!("imp{r}")];
        for (j, c) in codes.iter().enumerate() {
            let p = 1 + (j as u8 + r) % 7;
            a.perception.insert(c.clone(), p);
            line.push(p.to_string());
        }
        for (j, c) in codes.iter().enumerate() {
            if (j + r as usize).is_multiple_of(4) {
                line.push(String::new());
            } else {
                let v = 1 + (j as u8 * 3 + r) % 7;
                a.competitor.insert(c.clone(), v);
                line.push(v.to_string());
            }
        }
        csv += &(line.join(",") + "\n");
        all.push(a);
    }
    let rep = app
        .import_survey_responses(&manager, "bench", std::io::Cursor::new(csv), false, &no_progress)
        .await
        .unwrap();
    assert_eq!((rep.inserted, rep.aborted), (3, false), "{:?}", rep.rejected);

    let report = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap();
    let json = report.to_json();
    check_schema(&json);
    assert_eq!(json["competitor"]["name"], "海尔");
    let (_, c) = report.competitor.as_ref().unwrap();
    // Item by item and dimension by dimension, the paired differences of the raw answers.
    let close = |a: Option<f64>, b: Option<f64>, what: &str| match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{what}: {a} vs {b}"),
        (a, b) => assert_eq!(a, b, "{what}"),
    };
    for (j, code) in codes.iter().enumerate() {
        let cs: Vec<f64> = all
            .iter()
            .filter_map(|a| a.competitor.get(code).map(|&v| f64::from(v)))
            .collect();
        let diffs: Vec<f64> = all
            .iter()
            .filter_map(|a| Some(f64::from(*a.perception.get(code)?) - f64::from(*a.competitor.get(code)?)))
            .collect();
        let want = kefu_core::stats::descriptive::summarize(&diffs);
        assert_eq!(c.items[j].n, cs.len() as u64);
        close(c.items[j].c_mean, kefu_core::stats::descriptive::mean(&cs), code);
        close(c.items[j].p_minus_c.mean, want.mean, code);
        close(c.items[j].p_minus_c.ci95.map(|i| i.lo), want.ci95.map(|i| i.lo), code);
    }
    for (di, d) in layout.dimensions.iter().enumerate() {
        let score = |m: &BTreeMap<String, u8>| {
            let v: Vec<f64> = d
                .items
                .iter()
                .filter_map(|&j| m.get(&codes[j]).map(|&x| f64::from(x)))
                .collect();
            kefu_core::stats::descriptive::mean(&v)
        };
        let diffs: Vec<f64> = all
            .iter()
            .filter_map(|a| Some(score(&a.perception)? - score(&a.competitor)?))
            .collect();
        let want = kefu_core::stats::descriptive::summarize(&diffs);
        close(c.dimensions[di].p_minus_c.mean, want.mean, &d.code);
        close(c.dimensions[di].p_minus_c.sd, want.sd, &d.code);
    }
    // Rebuilt from the raw answers: the same, exactly.
    app.rebuild_survey_stats(&manager, "bench").await.unwrap();
    let again = app
        .survey_report(&manager, view.survey.id, None, None, None)
        .await
        .unwrap()
        .to_json();
    assert_eq!(again, json);
    // A competitor rating on a survey without a competitor, or out of the scale, is refused.
    let plain = app.create_survey(&manager, servqual_input()).await.unwrap();
    let token = app
        .make_survey_links(&manager, plain.survey.id, LinkRequest::default())
        .await
        .unwrap()
        .remove(0)
        .token;
    let mut a = Answers::default();
    a.perception.insert("Q1".into(), 3);
    a.competitor.insert("Q1".into(), 3);
    assert!(matches!(
        app.answer_survey(&token, a, "", true).await,
        Err(AppError::Invalid(_))
    ));
    let mut a = Answers::default();
    a.perception.insert("Q1".into(), 3);
    a.competitor.insert("Q1".into(), 8);
    let fresh = app
        .make_survey_links(&manager, view.survey.id, LinkRequest::default())
        .await
        .unwrap()
        .remove(0)
        .token;
    assert!(matches!(
        app.answer_survey(&fresh, a, "", true).await,
        Err(AppError::Invalid(_))
    ));
}
