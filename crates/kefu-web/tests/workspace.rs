//! The agent's workspace on the ticket page, on both databases: the customer in brief (tier, the
//! channel chain, the guidance card of its contact, its other tickets, its last survey answer) and
//! the ticket's fields edited in place — a bad value refused with nothing changed, a technician
//! refused —; the customer's timeline; and the record tables' downloads (the queue and its search,
//! users, the audit log) as CSV and XLSX, audited.

mod common;

use axum::http::StatusCode;
use common::{Harness, enc};
use kefu_core::Role;
use serde_json::{Value, json};

on_both_databases!(workspace_panel);

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

async fn workspace_panel(h: &Harness) {
    let manager = h.token(Role::Manager).await;
    let post = |path: &'static str, body: Value| {
        let manager = manager.clone();
        async move {
            let (res, text) = h.api("POST", path, Some(&manager), Some(&body.to_string())).await;
            assert_eq!(res.status(), StatusCode::CREATED, "{text}");
            json_of(&text)
        }
    };
    let dealer = post(
        "/api/v1/customers",
        json!({"name": "华东总代理 <b>", "kind": "intermediate", "subkind": "agent"}),
    )
    .await;
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&manager),
            Some(&json!({"name": "王芳", "kind": "end", "parent_id": dealer["id"]}).to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let customer = json_of(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{customer}/contacts"),
            Some(&manager),
            Some(r#"{"name": "王芳", "social_style": "analytical", "is_primary": true}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let earlier = h
        .file_ticket(
            &manager,
            json!({"customer_id": customer, "kind": "inquiry", "subject": "安装预约", "body": "什么时候上门？"}),
        )
        .await;
    let ticket = h
        .file_ticket(
            &manager,
            json!({"customer_id": customer, "kind": "complaint", "subject": "热水器漏水", "body": "漏水了"}),
        )
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let (cookie, csrf) = h.session(Role::Agent).await;
    let (res, page) = h.get_page(&format!("/tickets/{id}"), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"workspace\"") && page.contains("id=\"ws-tier\""),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "href=\"/customers/{}\">华东总代理 &#60;b&#62;</a>",
            dealer["id"]
        )),
        "the chain, escaped: {page}"
    );
    assert!(page.contains("ws-guidance"), "the contact's guidance card: {page}");
    assert!(
        page.contains(earlier["reference"].as_str().unwrap()),
        "the other ticket: {page}"
    );
    assert!(page.contains("id=\"ws-last-answer\""), "{page}");

    // The customer answers a CSAT survey: its last answer shows in the panel.
    let (_, out) = h
        .api(
            "POST",
            "/api/v1/surveys",
            Some(&manager),
            Some(r#"{"title": "满意度回访", "kind": "csat"}"#),
        )
        .await;
    let survey = json_of(&out)["id"].as_i64().unwrap();
    let (_, out) = h
        .api(
            "POST",
            &format!("/api/v1/surveys/{survey}/links"),
            Some(&manager),
            Some(&json!({"customer_ids": [customer]}).to_string()),
        )
        .await;
    let token = json_of(&out)["links"][0]["token"].as_str().unwrap().to_owned();
    let (res, out) = h
        .api(
            "POST",
            &format!("/api/v1/survey-answers/{token}"),
            None,
            Some(r#"{"answers": {"score": 4}}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let (_, page) = h.get_page(&format!("/tickets/{id}"), &cookie).await;
    assert!(
        page.contains("<strong>4 / 5</strong>") && page.contains("满意度回访"),
        "{page}"
    );

    // The customer's archive: one timeline, newest first — the answer, then the tickets.
    let (_, page) = h.get_page(&format!("/customers/{customer}"), &cookie).await;
    assert!(page.contains("id=\"timeline\""), "{page}");
    let answer_at = page.find("timeline-answer").expect("the answer");
    let ticket_at = page.find(ticket["reference"].as_str().unwrap()).expect("the ticket");
    let earlier_at = page
        .find(earlier["reference"].as_str().unwrap())
        .expect("the earlier ticket");
    assert!(answer_at < ticket_at && ticket_at < earlier_at, "newest first: {page}");

    // The fields, edited in place.
    let agent = h.user(Role::Agent).id;
    let touchpoint = "<b>门店</b> 柜台";
    let form_with = |phase: &str, touchpoint: &str| {
        format!(
            "csrf={csrf}&assignee={agent}&priority=urgent&category=&touchpoint={}&phase={}&nature=technical&place=on_site&fee=&frequency=",
            enc(touchpoint),
            enc(phase)
        )
    };
    let form = |phase: &str| form_with(phase, touchpoint);
    let (res, _) = h
        .post_form(&format!("/tickets/{id}/fields"), &cookie, form("after_sale"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(&manager), None)
        .await;
    let t = json_of(&text);
    assert_eq!(
        (t["priority"].as_str(), t["assignee_id"].as_i64()),
        (Some("urgent"), Some(agent))
    );
    assert_eq!(
        t["classification"],
        json!({"phase": "after_sale", "nature": "technical", "place": "on_site", "fee": null, "frequency": null})
    );
    assert_eq!(t["touchpoint"].as_str(), Some(touchpoint));
    let (_, page) = h.get_page(&format!("/tickets/{id}"), &cookie).await;
    assert!(page.contains("<option value=\"after_sale\" selected>"), "{page}");
    assert!(
        page.contains("&#60;b&#62;门店&#60;/b&#62; 柜台") && !page.contains("<b>门店"),
        "the touchpoint shown escaped: {page}"
    );
    // A touchpoint past 200 characters: 422 naming it, nothing changed.
    let (res, page) = h
        .post_form(
            &format!("/tickets/{id}/fields"),
            &cookie,
            form_with("after_sale", &"柜".repeat(201)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"touchpoint\""), "{page}");
    // A bad value: 422 on the page, nothing changed.
    let (res, page) = h
        .post_form(&format!("/tickets/{id}/fields"), &cookie, form("mid_sale"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"phase\""), "{page}");
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(&manager), None)
        .await;
    assert_eq!(json_of(&text)["classification"], t["classification"]);
    assert_eq!(json_of(&text)["touchpoint"], t["touchpoint"]);
    // A form without the touchpoint field leaves it as it is.
    let (res, _) = h
        .post_form(
            &format!("/tickets/{id}/fields"),
            &cookie,
            format!("csrf={csrf}&assignee={agent}&priority=urgent&category=&phase=after_sale&nature=technical"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(&manager), None)
        .await;
    assert_eq!(json_of(&text)["touchpoint"].as_str(), Some(touchpoint));
    // The queue downloads every ticket its filters find (not one page), as CSV and XLSX, audited.
    let (res, csv) = h.get_page("/tickets/download?status=all&format=csv", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].starts_with("\u{feff}reference,subject,kind,status"), "{csv}");
    assert_eq!(lines.len(), 3, "a header and the two tickets: {csv}");
    assert!(
        lines[1].contains("热水器漏水") && lines[1].contains(",urgent,"),
        "newest first: {csv}"
    );
    let (res, csv) = h
        .get_page(
            &format!("/tickets/download?status=all&q={}&format=csv", enc("安装")),
            &cookie,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        csv.trim_end().split("\r\n").count(),
        2,
        "the search's one ticket: {csv}"
    );
    let (res, xlsx) = h.get_page("/tickets/download?format=xlsx&status=all", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(xlsx.starts_with("PK"));
    let (res, _) = h.get_page("/tickets/download?format=pdf", &cookie).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, audit) = h
        .api("GET", "/api/v1/audit", Some(&h.token(Role::Admin).await), None)
        .await;
    assert_eq!(audit.matches("\"tickets.download\"").count(), 3, "{audit}");

    // Users (no password hash) and the audit log download too; the audit log only for admins.
    let (admin_cookie, _) = h.session(Role::Admin).await;
    let (res, csv) = h.get_page("/admin/users/download?format=csv", &admin_cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        csv.starts_with("\u{feff}id,email,name,role") && !csv.contains("argon2"),
        "{csv}"
    );
    let (res, csv) = h.get_page("/admin/audit/download", &admin_cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        csv.contains("tickets.download") && csv.contains("users.download"),
        "{csv}"
    );
    let (res, xlsx) = h.get_page("/admin/audit/download?format=xlsx", &admin_cookie).await;
    assert!(res.status() == StatusCode::OK && xlsx.starts_with("PK"));
    let (res, _) = h.get_page("/admin/audit/download", &cookie).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "an agent");

    // A technician works no desk.
    let (cookie, csrf) = h.session(Role::Technician).await;
    let (res, _) = h
        .post_form(
            &format!("/tickets/{id}/fields"),
            &cookie,
            format!("csrf={csrf}&priority=low"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
