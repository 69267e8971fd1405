//! `GET /api/v1/dashboards/manager` on both databases: the period's ticket figures as the ticket
//! API's own records count them, one segment at a time, for every staff role; bad parameters
//! refused as problems naming them.

mod common;

use axum::http::StatusCode;
use common::Harness;
use kefu_core::Role;
use serde_json::{Value, json};

on_both_databases!(dashboard_api, primary_survey_form);

fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn get(h: &Harness, token: &str, query: &str) -> (StatusCode, Value) {
    let (res, text) = h
        .api("GET", &format!("/api/v1/dashboards/manager?{query}"), Some(token), None)
        .await;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (res.status(), body)
}

async fn dashboard_api(h: &Harness) {
    // Wednesday 16 September 2026, 10:00 in Shanghai.
    let clock = kefu_app::clock::ManualClock::at(at("2026-09-16T02:00:00Z"));
    let h = h.with_clock(clock.clone());
    let manager = h.token(Role::Manager).await;
    let customer = h.end_customer(&manager, "王芳").await;
    let mut ids = vec![];
    for channel in ["phone", "phone", "email"] {
        let t = h
            .file_ticket(
                &manager,
                json!({"customer_id": customer, "kind": "complaint", "subject": "漏水", "body": "热水器漏水",
                       "channel": channel}),
            )
            .await;
        ids.push(t["id"].as_i64().unwrap());
    }
    // One first reply, 30 minutes in.
    clock.set(at("2026-09-16T02:30:00Z"));
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{}/messages", ids[0]),
            Some(&manager),
            Some(&json!({"kind": "reply", "body": "已安排师傅。"}).to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");

    // The ticket API's own list, counted by channel: what the dashboard must say.
    let (_, text) = h.api("GET", "/api/v1/tickets?limit=100", Some(&manager), None).await;
    let listed: Value = serde_json::from_str(&text).unwrap();
    let mut by_channel = serde_json::Map::new();
    for t in listed["items"].as_array().unwrap() {
        let c = t["channel"].as_str().unwrap().to_owned();
        let n = by_channel.get(&c).and_then(Value::as_i64).unwrap_or(0);
        by_channel.insert(c, json!(n + 1));
    }
    let (status, d) = get(&h, &manager, "from=2026-09-16&to=2026-09-16").await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["tickets"]["created"], 3);
    assert_eq!(d["tickets"]["by_channel"], Value::Object(by_channel));
    assert_eq!(d["segment"], "all");
    assert_eq!(d["survey_months"], json!(["2026-09", "2026-09"]));
    let first = d["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"] == "first_response")
        .unwrap();
    assert_eq!((first["met"].as_i64(), first["breached"].as_i64()), (Some(1), Some(0)));
    assert_eq!(first["attainment"], 1.0);
    assert_eq!(d["first_response_minutes"]["n"], 1);
    // 30 minutes, as the histogram keeps it: within 1 %.
    let p50 = d["first_response_minutes"]["p50"].as_f64().unwrap();
    assert!((p50 - 30.0).abs() <= 0.3, "{p50}");
    assert!(d["nps"].is_null(), "no survey yet: {d}");
    // Three complaints, as seed 001 counts them: 3 × 1,825 people; no CSAT, no happy reach.
    assert_eq!(d["word_of_mouth"]["complaints"], 3);
    assert_eq!(d["word_of_mouth"]["unhappy_reach"], 3 * 1825);
    assert!(d["word_of_mouth"]["happy_reach"].is_null(), "{d}");
    // The queue now: the three are open, none past due or due within the hour at 10:30; the
    // trend has the one day's month.
    assert_eq!(d["queue"]["open"], 3, "{d}");
    let quadrants = d["queue"]["by_quadrant"].as_object().unwrap();
    assert_eq!(quadrants.len(), 4);
    assert_eq!(quadrants.values().filter_map(Value::as_u64).sum::<u64>(), 3);
    assert_eq!(
        (d["queue"]["breached"].as_u64(), d["queue"]["due_within_hour"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(d["times_trend"].as_array().unwrap().len(), 1);
    assert_eq!(d["times_trend"][0]["part"], "2026-09");
    assert_eq!(d["times_trend"][0]["first_response_minutes"]["n"], 1);
    // At 11:30 the two unanswered first replies (due at 12:00) are due within the hour; at 12:05
    // they are past due. The queue is of now, whatever the period asked.
    clock.set(at("2026-09-16T03:30:00Z"));
    let (_, d) = get(&h, &manager, "from=2026-08-01&to=2026-09-30").await;
    assert_eq!(
        (d["queue"]["breached"].as_u64(), d["queue"]["due_within_hour"].as_u64()),
        (Some(0), Some(2)),
        "{d}"
    );
    let parts: Vec<&str> = (d["times_trend"].as_array().unwrap().iter())
        .map(|p| p["part"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["2026-08", "2026-09"]);
    assert_eq!(d["times_trend"][0]["first_response_minutes"]["n"], 0);
    clock.set(at("2026-09-16T04:05:00Z"));
    let (_, d) = get(&h, &manager, "from=2000-01-01&to=2000-01-01").await;
    assert_eq!(
        (d["queue"]["breached"].as_u64(), d["queue"]["due_within_hour"].as_u64()),
        (Some(2), Some(0)),
        "{d}"
    );
    clock.set(at("2026-09-16T02:30:00Z"));
    // Another day, the whole month, a segment, decades: each its own figures.
    let (_, d) = get(&h, &manager, "from=2026-09-17&to=2026-09-30").await;
    assert_eq!(d["tickets"]["created"], 0);
    let (_, d) = get(&h, &manager, "from=2026-09-01&to=2026-09-30&segment=channel:phone").await;
    assert_eq!(d["tickets"]["created"], 2);
    assert_eq!(d["tickets"]["by_channel"], json!({"phone": 2}));
    let (status, d) = get(&h, &manager, "from=1990-01-01&to=2049-12-31").await;
    assert_eq!((status, d["tickets"]["created"].as_i64()), (StatusCode::OK, Some(3)));
    // Agents and technicians read it too (counts only); customers may not.
    for role in [Role::Agent, Role::Technician] {
        let (status, d) = get(&h, &h.token(role).await, "from=2026-09-16&to=2026-09-16").await;
        assert_eq!(
            (status, d["tickets"]["created"].as_i64()),
            (StatusCode::OK, Some(3)),
            "{role:?}"
        );
    }
    let (status, _) = get(&h, &h.token(Role::Customer).await, "from=2026-09-16&to=2026-09-16").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The page: the manager's home is the dashboard; an agent's /dashboard shows the same figures
    // without links to the survey reports it may not open; a bad date is said on the page.
    let (cookie, _) = h.session(Role::Manager).await;
    let (res, page) = h.get_page("/?from=2026-09-16&to=2026-09-16", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"dashboard-filter\"") && page.contains("id=\"sla-attainment\""),
        "{page}"
    );
    assert!(page.contains("<strong>3</strong>"), "three filed: {page}");
    assert!(
        page.contains("id=\"queue-now\"") && page.contains("id=\"times-trend\""),
        "{page}"
    );
    // Its figures download as CSV and XLSX.
    let (res, csv) = h
        .get_page("/dashboard/download?from=2026-09-16&to=2026-09-16&format=csv", &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        csv.contains("tickets.created,3\n") && csv.contains("tickets.by_channel.phone,2\n"),
        "{csv}"
    );
    let (res, xlsx) = h.get_page("/dashboard/download?format=xlsx", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(xlsx.starts_with("PK"));
    let (res, _) = h
        .get_page("/dashboard/download?from=2026-09-16&to=2026-09-15&format=csv", &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (cookie, _) = h.session(Role::Agent).await;
    let (res, page) = h
        .get_page(
            "/dashboard?from=2026-09-16&to=2026-09-16&segment=channel:phone",
            &cookie,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("<strong>2</strong>"), "two phone tickets: {page}");
    assert!(!page.contains("href=\"/surveys/"), "{page}");
    let (res, page) = h.get_page("/dashboard?from=2026-02-30&to=2026-03-01", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("data-field=\"from\"") && !page.contains("id=\"ticket-figures\""),
        "{page}"
    );
    // Bad parameters: 422 naming each.
    for (query, field) in [
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-03-01&to=next-week", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("from=2026-03-01&to=2026-03-02&segment=colour:red", "segment"),
        ("from=2026-03-01&to=2026-03-02&segment=tier:", "segment"),
        ("from=2026-03-01", "query"),
        ("from=2026-03-01&to=2026-03-02&colour=red", "query"),
    ] {
        let (status, p) = get(&h, &manager, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
}

/// The survey page's form picks the kind's primary survey for the dashboard's headline: a bad
/// choice is 422, an agent may not, and unpicking brings back the default.
async fn primary_survey_form(h: &Harness) {
    let manager = h.token(Role::Manager).await;
    let mut ids = vec![];
    for slug in ["csat-old", "csat-new"] {
        let body = format!(r#"{{"title": "{slug}", "slug": "{slug}", "kind": "csat"}}"#);
        let (res, out) = h.api("POST", "/api/v1/surveys", Some(&manager), Some(&body)).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{out}");
        ids.push(serde_json::from_str::<Value>(&out).unwrap()["id"].as_i64().unwrap());
    }
    let (cookie, csrf) = h.session(Role::Manager).await;
    let (res, page) = h.get_page(&format!("/surveys/{}", ids[0]), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"primary-survey\"") && page.contains("name=\"primary\" value=\"1\""),
        "{page}"
    );
    let (res, _) = h
        .post_form(
            &format!("/surveys/{}/primary", ids[0]),
            &cookie,
            format!("csrf={csrf}&primary=1"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/surveys/{}?done=survey_primary", ids[0]).as_str()
    );
    // Picked, though it has no answer yet: the headline reads it, with no figure until it has.
    let (_, page) = h.get_page(&format!("/surveys/{}", ids[0]), &cookie).await;
    assert!(page.contains("name=\"primary\" value=\"0\""), "{page}");
    let (_, d) = get(h, &manager, "from=2026-01-01&to=2026-12-31").await;
    assert_eq!(
        (d["csat"]["survey_id"].as_i64(), d["csat"]["n"].as_u64()),
        (Some(ids[0]), Some(0)),
        "{d}"
    );
    for (who, body, status) in [
        (Role::Manager, "primary=2", StatusCode::UNPROCESSABLE_ENTITY),
        (Role::Agent, "primary=1", StatusCode::FORBIDDEN),
    ] {
        let (cookie, csrf) = h.session(who).await;
        let (res, _) = h
            .post_form(
                &format!("/surveys/{}/primary", ids[1]),
                &cookie,
                format!("csrf={csrf}&{body}"),
            )
            .await;
        assert_eq!(res.status(), status, "{who:?} {body}");
    }
    let (res, _) = h
        .post_form(
            &format!("/surveys/{}/primary", ids[0]),
            &cookie,
            format!("csrf={csrf}&primary=0"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&format!("/surveys/{}", ids[0]), &cookie).await;
    assert!(page.contains("name=\"primary\" value=\"1\""), "{page}");
    // The report's figures download for the filters shown; a bad format or month is refused.
    assert!(
        page.contains(&format!("/surveys/{}/download?segment=", ids[0])),
        "{page}"
    );
    let (res, csv) = h
        .get_page(&format!("/surveys/{}/download?format=csv&segment=all", ids[0]), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(csv.contains("n_responses,0\n") && csv.contains("kind,csat\n"), "{csv}");
    let (res, xlsx) = h
        .get_page(&format!("/surveys/{}/download?format=xlsx", ids[0]), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(xlsx.starts_with("PK"));
    for bad in ["format=pdf", "format=csv&from=2026-13", "format=csv&segment=colour:red"] {
        let (res, _) = h
            .get_page(&format!("/surveys/{}/download?{bad}", ids[0]), &cookie)
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (cookie, _) = h.session(Role::Agent).await;
    let (res, _) = h
        .get_page(&format!("/surveys/{}/download?format=csv", ids[0]), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
