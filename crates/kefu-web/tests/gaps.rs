//! `GET /api/v1/gaps` and the `/gaps` page on both databases: a SERVQUAL survey's five gaps keyed
//! by dimension code, for every staff role; bad parameters refused as problems naming them; the
//! checklist ticked by a manager, refused to an agent, and a bad one changing nothing.

mod common;

use axum::http::StatusCode;
use common::{Harness, enc};
use kefu_core::Role;
use serde_json::{Value, json};

on_both_databases!(gaps_api_and_page);

async fn get(h: &Harness, token: &str, query: &str) -> (StatusCode, Value) {
    let (res, text) = h.api("GET", &format!("/api/v1/gaps?{query}"), Some(token), None).await;
    (res.status(), serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn gaps_api_and_page(h: &Harness) {
    let manager = h.token(Role::Manager).await;
    // No SERVQUAL survey with answers yet: the default has nothing to be about.
    let (status, p) = get(h, &manager, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "survey");

    let (_, out) = h
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&manager),
            Some(r#"{"title": "服务质量 2026", "importance": true}"#),
        )
        .await;
    let survey = serde_json::from_str::<Value>(&out).unwrap()["id"].as_i64().unwrap();
    let (res, out) = h
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&manager),
            Some(r#"{"title": "推荐意愿", "kind": "nps"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let nps = serde_json::from_str::<Value>(&out).unwrap()["id"].as_i64().unwrap();

    // Two customers answer: E 7 and 5 on every item, P 5 and 4, the 100 points 20 each.
    for (name, e, p) in [("王芳", 7, 5), ("李强", 5, 4)] {
        let customer = h.end_customer(&manager, name).await;
        let (res, out) = h
            .api(
                "POST",
                &format!("/api/v1/surveys/{survey}/links"),
                Some(&manager),
                Some(&json!({"customer_ids": [customer]}).to_string()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{out}");
        let token = serde_json::from_str::<Value>(&out).unwrap()["links"][0]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let items = |v: i64| {
            (1..=22)
                .map(|i| (format!("Q{i}"), json!(v)))
                .collect::<serde_json::Map<_, _>>()
        };
        let dims = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"];
        let points: serde_json::Map<_, _> = dims.iter().map(|d| (d.to_string(), json!(20))).collect();
        let body = json!({"answers": {"expectation": items(e), "perception": items(p), "allocation": points}});
        let (res, out) = h
            .api(
                "POST",
                &format!("/api/v1/survey-answers/{token}"),
                None,
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    }

    // The default is now that survey; every gap is keyed by the five dimension codes.
    let (status, g) = get(h, &manager, "").await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["survey_id"], survey);
    assert!(g["from"].is_null() && g["survey_months"].is_null(), "{g}");
    for gap in ["gap2", "gap3", "gap4", "gap5"] {
        let keys: Vec<&String> = g[gap].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["assurance", "empathy", "reliability", "responsiveness", "tangibles"],
            "{gap}"
        );
    }
    assert_eq!(g["gap1"]["n_customers"], 2);
    assert_eq!(g["gap1"]["n_management"], 0, "no staff answered");
    assert_eq!(g["gap1"]["items"]["Q1"]["customers_e"], 6.0);
    assert!(g["gap1"]["items"]["Q1"]["difference"].is_null(), "no management view");
    // Gap 5 is P − E: (5 − 7 + 4 − 5) / 2.
    assert_eq!(g["gap5"]["reliability"]["gap_mean"], -1.5);
    assert_eq!(g["gap5"]["reliability"]["n"], 2);
    // Equal weights: every dimension is weighted highly (at the mean), and none has a standard
    // unless an SLA policy serves it.
    for (dim, d) in g["gap2"].as_object().unwrap() {
        assert_eq!(d["importance"], 20.0, "{dim}");
        let flagged = d["standards"].as_array().unwrap().is_empty();
        assert_eq!(d["flagged"], flagged, "{dim}: {d}");
    }
    // The same by slug and by id, over a period, decades and future days included.
    let slug = g["slug"].as_str().unwrap().to_owned();
    let (status, by_slug) = get(h, &manager, &format!("survey={}", enc(&slug))).await;
    assert_eq!((status, &by_slug["gap5"]), (StatusCode::OK, &g["gap5"]));
    let (status, wide) = get(h, &manager, &format!("survey={survey}&from=1990-01-01&to=2049-12-31")).await;
    assert_eq!(status, StatusCode::OK, "{wide}");
    assert_eq!(wide["survey_months"], json!(["1990-01", "2049-12"]));
    assert_eq!(wide["gap5"]["reliability"]["gap_mean"], -1.5);
    let (_, past) = get(h, &manager, &format!("survey={survey}&from=1990-01-01&to=1990-12-31")).await;
    assert_eq!(past["gap5"]["reliability"]["n"], 0, "{past}");

    // Bad parameters: 422 naming each, nothing computed.
    for (query, field) in [
        ("survey=no-such-survey".to_owned(), "survey"),
        (format!("survey={nps}"), "survey"),
        (format!("survey={survey}&from=2026-02-30&to=2026-03-01"), "from"),
        (format!("survey={survey}&from=2026-03-01&to=next-week"), "to"),
        (format!("survey={survey}&from=2026-03-02&to=2026-03-01"), "from"),
        (format!("survey={survey}&from=2026-03-01"), "to"),
        (format!("survey={survey}&colour=red"), "query"),
    ] {
        let (status, p) = get(h, &manager, &query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    // Management's view: a staff campaign's link asks the manager only the expectations; an answer
    // with perceptions is refused; the expectations count in Gap 1 and in no customer figure.
    let cli = kefu_app::Actor::Cli;
    let campaign = h
        .app
        .create_campaign(
            &cli,
            &survey.to_string(),
            kefu_app::survey_campaigns::CampaignInput {
                name: "管理层视角".into(),
                frame: kefu_app::survey_campaigns::CampaignFrame {
                    audience: Some("staff".into()),
                    roles: vec!["manager".into()],
                    ..Default::default()
                },
                fatigue_days: Some(0),
                invite_by_email: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let run = h.app.run_campaign(&cli, campaign.id).await.unwrap();
    assert_eq!(run.issued.len(), 1, "the one manager");
    let token = run.issued[0].token.clone().unwrap();
    let answer = format!("/api/v1/survey-answers/{token}");
    let (_, asked) = h.api("GET", &answer, None, None).await;
    let asked: Value = serde_json::from_str(&asked).unwrap();
    assert_eq!(
        (asked["expectations_only"].as_bool(), asked["importance"].as_bool()),
        (Some(true), Some(false))
    );
    let (cookie_m, _) = h.session(Role::Manager).await;
    let (_, page) = h.get_page(&format!("/s/{token}"), &cookie_m).await;
    assert!(
        page.contains("id=\"management-view\"") && page.contains("name=\"e_Q1\"") && !page.contains("name=\"p_Q1\""),
        "{page}"
    );
    let items = |v: i64| {
        (1..=22)
            .map(|i| (format!("Q{i}"), json!(v)))
            .collect::<serde_json::Map<_, _>>()
    };
    let with_p = json!({"answers": {"expectation": items(4), "perception": items(4)}});
    let (res, out) = h.api("POST", &answer, None, Some(&with_p.to_string())).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert!(out.contains("\"perception\""), "{out}");
    let (res, out) = h
        .api(
            "POST",
            &answer,
            None,
            Some(&json!({"answers": {"expectation": items(4)}}).to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let (_, g) = get(h, &manager, &format!("survey={survey}")).await;
    assert_eq!(
        (g["gap1"]["n_management"].as_u64(), g["gap1"]["n_customers"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        g["gap1"]["items"]["Q1"]["difference"], -2.0,
        "4 against the customers' 6"
    );
    assert_eq!(
        g["gap5"]["reliability"]["n"], 2,
        "no customer figure counts the manager"
    );

    // Every staff role reads it; customers may not.
    for role in [Role::Agent, Role::Technician, Role::Admin] {
        let (status, _) = get(h, &h.token(role).await, "").await;
        assert_eq!(status, StatusCode::OK, "{role:?}");
    }
    let (status, _) = get(h, &h.token(Role::Customer).await, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The page: a manager ticks a cause with a hostile note; it is kept with the period and
    // shown escaped; a bad cause changes nothing; an agent reads the page but may not tick.
    let cause = kefu_core::gaps::CAUSES.iter().find(|c| c.gap == 3).unwrap().code;
    let (cookie, csrf) = h.session(Role::Manager).await;
    let page_path = format!("/gaps?survey={survey}&from=2026-01-01&to=2026-06-30");
    let (res, page) = h.get_page(&page_path, &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"gaps-diagnosis\"") && page.contains(&format!("name=\"check:3:{cause}\"")),
        "{page}"
    );
    let note = "<script>alert(1)</script> 标准没有落实";
    let form = format!(
        "csrf={csrf}&survey={survey}&from=2026-01-01&to=2026-06-30&check:3:{cause}=1&note:3:{cause}={}",
        enc(note)
    );
    let (res, _) = h.post_form("/gaps/diagnosis", &cookie, form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&page_path, &cookie).await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62; 标准没有落实") && !page.contains("<script>alert(1)"),
        "{page}"
    );
    let (_, g) = get(h, &manager, &format!("survey={survey}&from=2026-01-01&to=2026-06-30")).await;
    assert_eq!(
        g["checklist"],
        json!([{"gap": 3, "cause": cause, "checked": true, "note": note}])
    );
    let (_, all) = get(h, &manager, &format!("survey={survey}")).await;
    assert_eq!(all["checklist"], json!([]), "kept with its period only");
    let bad =
        format!("csrf={csrf}&survey={survey}&from=2026-01-01&to=2026-06-30&check:3:{cause}=1&check:2:no_such_cause=1");
    let (res, _) = h.post_form("/gaps/diagnosis", &cookie, bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, again) = get(h, &manager, &format!("survey={survey}&from=2026-01-01&to=2026-06-30")).await;
    assert_eq!(
        again["checklist"], g["checklist"],
        "a refused checklist changes nothing"
    );
    // A bad date is said on the page, in the user's language.
    let (res, page) = h
        .get_page(&format!("/gaps?survey={survey}&from=2026-02-30&to=2026-03-01"), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("data-field=\"from\""), "{page}");

    // The page's figures download as CSV and XLSX, audited; another format is refused.
    let (res, csv) = h
        .get_page(&format!("/gaps/download?survey={survey}&format=csv"), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        csv.starts_with("\u{feff}figure,value\n") && csv.contains("gap5.reliability.gap_mean,-1.5\n"),
        "{csv}"
    );
    let (res, xlsx) = h
        .get_page(
            &format!("/gaps/download?survey={survey}&from=2026-01-01&to=2026-06-30&format=xlsx"),
            &cookie,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(".xlsx") && xlsx.starts_with("PK"));
    let (res, _) = h
        .get_page(&format!("/gaps/download?survey={survey}&format=pdf"), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, audit) = h
        .api("GET", "/api/v1/audit", Some(&h.token(Role::Admin).await), None)
        .await;
    assert_eq!(audit.matches("\"gaps.download\"").count(), 2, "{audit}");

    let (cookie, csrf) = h.session(Role::Agent).await;
    let (res, page) = h.get_page(&page_path, &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("标准没有落实") && page.contains("disabled"),
        "read only: {page}"
    );
    let form = format!("csrf={csrf}&survey={survey}&from=2026-01-01&to=2026-06-30");
    let (res, _) = h.post_form("/gaps/diagnosis", &cookie, form).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, again) = get(h, &manager, &format!("survey={survey}&from=2026-01-01&to=2026-06-30")).await;
    assert_eq!(again["checklist"], g["checklist"], "the agent changed nothing");
}
