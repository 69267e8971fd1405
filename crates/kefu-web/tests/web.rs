//! The web surface, through the real router on a real database (both kinds): the route × role
//! matrix generated from the route table, the XSS corpus on every page, and the behaviour of
//! login, CSRF, the API's errors and pagination.

mod common;

use axum::http::{Method, StatusCode, header};
use common::{Harness, enc};
use kefu_core::Role;
use kefu_web::{Access, route_table};

on_both_databases!(
    route_role_matrix,
    xss_corpus_is_inert_on_every_page,
    login_logout_and_lockout,
    redirects_after_login_and_language_stay_on_site,
    invitations_check_the_token_first_and_are_rate_limited,
    csrf_is_required_on_every_form,
    api_errors_are_problems_and_change_nothing,
    api_pagination_walks_every_user,
    operations_endpoints,
    customers_api,
    portal_scope_merge_and_record_changes,
    deleted_customers_read_as_gone_and_cut_their_portal_users_off,
    tickets_api,
    ticket_pages,
    public_form_and_follow_link,
    attachments_api,
    resolution_categories_and_incidents,
    commitments_api_and_page,
    macros_and_saved_views,
    customer_portal_pages,
    surveys_api,
    survey_answer_page_and_report,
    customers_downstream_pages,
    service_levels_api,
    service_levels_page,
    webhook_events_come_from_every_entry_point,
    full_width_input_is_found_by_its_ascii_form,
    customers_see_a_customer_facing_view,
    public_links_are_rate_limited,
    calendar_gaps_warn_until_the_year_is_imported,
    known_details_on_the_public_form_wait_for_confirmation,
    another_customers_records_answer_404,
    tickets_about_a_purchase_route_by_its_category,
    nul_characters_are_refused,
    due_instants_are_counted_on_the_calendar,
    homes_say_what_each_role_has,
);

/// Fills `{id}`-style parameters with a record of the right kind that the caller does not own.
async fn concrete_path(h: &Harness, path: &str) -> String {
    let dept = h
        .app
        .store()
        .list_departments()
        .await
        .unwrap()
        .into_iter()
        .find(|d| !d.is_default)
        .map(|d| d.id);
    let dept = match dept {
        Some(d) => d,
        None => h.app.store().create_department("Matrix dept", 0).await.unwrap().id,
    };
    let hooks = h.app.store().list_webhooks().await.unwrap();
    let hook = match hooks.first() {
        Some(w) => w.id,
        None => {
            h.app
                .create_webhook(
                    &kefu_app::Actor::Cli,
                    "https://hooks.example.com/matrix",
                    vec!["ping".into()],
                    "",
                )
                .await
                .unwrap()
                .id
        }
    };
    let other_user = h.user(Role::Customer).id;
    path.replace("/admin/departments/{id}", &format!("/admin/departments/{dept}"))
        .replace("/admin/webhooks/{id}", &format!("/admin/webhooks/{hook}"))
        .replace("{id}", &other_user.to_string())
        .replace("{file}", "missing.css")
        .replace("{name}", "matrix")
}

async fn route_role_matrix(h: &Harness) {
    let table = route_table();
    assert!(table.len() > 30);
    let mut checked = 0;
    for (def, _) in &table {
        // Logging out ends the session the other rows use; it is covered by its own test.
        if def.path == "/logout" {
            continue;
        }
        for role in [
            None,
            Some(Role::Admin),
            Some(Role::Manager),
            Some(Role::Agent),
            Some(Role::Technician),
            Some(Role::Customer),
        ] {
            let path = concrete_path(h, def.path).await;
            let is_api = def.path.starts_with("/api/v1/");
            let (res, body) = if is_api {
                let token = match role {
                    Some(r) => Some(h.token(r).await),
                    None => None,
                };
                let body = (def.method != Method::GET).then_some("{}");
                h.api(def.method.as_str(), &path, token.as_deref(), body).await
            } else {
                let (cookie, csrf) = match role {
                    Some(r) => h.session(r).await,
                    None => (String::new(), String::new()),
                };
                if def.method == Method::GET {
                    h.get_page(&path, &cookie).await
                } else {
                    // A valid CSRF value, so that what is tested is access, not CSRF.
                    let cookie = if role.is_none() {
                        format!("kefu_csrf={}", "p".repeat(40))
                    } else {
                        cookie
                    };
                    let csrf = if role.is_none() { "p".repeat(40) } else { csrf };
                    h.post_form(&path, &cookie, format!("csrf={csrf}&to=en")).await
                }
            };
            let st = res.status();
            let ctx = format!(
                "{} {} as {:?}: {} {}",
                def.method,
                path,
                role,
                st,
                body.chars().take(200).collect::<String>()
            );
            let to_login = res
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/login"));
            assert!(!st.is_server_error(), "a server error: {ctx}");
            // What docs/roles.md says, not what the router says of itself.
            let allowed = match documented(&def.method, def.path).expect("every route is documented") {
                None => true,
                Some(roles) => role.is_some_and(|r| roles.contains(&r)),
            };
            if allowed {
                assert!(
                    st != StatusCode::UNAUTHORIZED && st != StatusCode::FORBIDDEN && !to_login,
                    "allowed but refused: {ctx}"
                );
            } else if role.is_none() {
                if is_api || def.access == Access::Public {
                    assert_eq!(st, StatusCode::UNAUTHORIZED, "{ctx}");
                } else {
                    assert!(
                        st == StatusCode::SEE_OTHER && to_login,
                        "anonymous must be sent to the login: {ctx}"
                    );
                }
            } else {
                assert_eq!(st, StatusCode::FORBIDDEN, "{ctx}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 6 * 30, "checked {checked}");

    // A record outside the caller's scope answers 404, never 403: an agent asking for another user.
    let t = h.token(Role::Agent).await;
    let other = h.user(Role::Customer).id;
    let (res, body) = h.api("GET", &format!("/api/v1/users/{other}"), Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{body}");
    let (res, _) = h.api("GET", "/api/v1/users/987654321", Some(&t), None).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a missing record looks the same as one out of scope"
    );
    let own = h.user(Role::Agent).id;
    let (res, _) = h.api("GET", &format!("/api/v1/users/{own}"), Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::OK, "everyone sees themselves");
}

const CORPUS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "'><svg onload=alert(3)>",
    "</textarea><script>alert(4)</script>",
    "<a href=\"javascript:alert(5)\">x</a>",
];

async fn xss_corpus_is_inert_on_every_page(h: &Harness) {
    let actor = kefu_app::Actor::Cli;
    for (i, p) in CORPUS.iter().enumerate() {
        h.app
            .create_user(
                &actor,
                kefu_app::accounts::CreateUser {
                    email: format!("x{i}@example.com"),
                    name: Some(format!("王芳 {p}")),
                    role: Role::Agent,
                    password: None,
                    language: None,
                    departments: vec![],
                },
            )
            .await
            .unwrap();
        h.app.create_department(&actor, &format!("部门 {p}")).await.unwrap();
        h.app
            .create_webhook(
                &actor,
                &format!("https://hooks.example.com/{i}?q={}", enc(p)),
                vec!["ping".into()],
                p,
            )
            .await
            .unwrap();
        let parent = h
            .app
            .create_customer(
                &actor,
                kefu_app::customers::CustomerInput {
                    name: format!("代理 {p}"),
                    kind: "intermediate".into(),
                    region: p.to_string(),
                    notes: p.to_string(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        h.app
            .create_customer(
                &actor,
                kefu_app::customers::CustomerInput {
                    name: format!("客户 {p}"),
                    kind: "end".into(),
                    parent_id: Some(parent.id),
                    tags: vec![p.chars().take(50).collect()],
                    notes: p.to_string(),
                    email: Some(format!("x{i}@example.com")),
                    social_style: Some("analytical".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    // Surveys whose title and comments carry the corpus.
    for p in CORPUS {
        let v = h
            .app
            .create_survey(
                &actor,
                kefu_app::surveys::SurveyInput {
                    kind: "csat".into(),
                    title: format!("调查 {p}"),
                    comment: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let link = h
            .app
            .make_survey_links(&actor, v.survey.id, kefu_app::surveys::LinkRequest::default())
            .await
            .unwrap()
            .remove(0);
        let a = kefu_app::surveys::Answers {
            score: Some(4),
            ..Default::default()
        };
        h.app.answer_survey(&link.token, a, p, true).await.unwrap();
    }
    // Tickets whose subject and first message carry the corpus, for one of those customers.
    let hostile_customer = h
        .app
        .store()
        .search_customers(&kefu_core::search::parse_query("客户"), None, 1)
        .await
        .unwrap()
        .remove(0)
        .id;
    let mut tickets = vec![];
    for p in CORPUS {
        let v = h
            .app
            .create_ticket(
                &actor,
                kefu_app::tickets::TicketInput {
                    customer_id: hostile_customer,
                    kind: "complaint".into(),
                    subject: format!("工单 {p}"),
                    body: p.to_string(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tickets.push(v.ticket.id);
    }
    let surveys = h.app.store().list_surveys().await.unwrap();
    let mut pages = 0;
    let mut not_rendered = vec![];
    for role in [Role::Admin, Role::Manager] {
        let (cookie, _) = h.session(role).await;
        for (def, _) in route_table() {
            // Pages only: not the API, files (downloads too), a link's token page (no such
            // token) or the login (a signed-in user is sent home).
            if def.method != Method::GET
                || !def.access.allows(Some(role))
                || def.path.starts_with("/api/")
                || def.path.starts_with("/assets/")
                || def.path.starts_with("/attachments/")
                || def.path.ends_with("/download")
                || def.path.contains("{token}")
                || def.path == "/login"
            {
                continue;
            }
            let mut paths = vec![concrete_path(h, def.path).await];
            if def.path.contains("{id}") {
                // Also the records that carry the hostile text.
                let users = h
                    .app
                    .store()
                    .list_users(kefu_app::testing::store::UserFilter {
                        after: 0,
                        limit: 200,
                        role: None,
                    })
                    .await
                    .unwrap();
                let hooks = h.app.store().list_webhooks().await.unwrap();
                let customers = h
                    .app
                    .store()
                    .list_customers(kefu_app::testing::store::CustomerFilter {
                        after: 0,
                        limit: 200,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                paths = match def.path {
                    "/admin/users/{id}" => users
                        .iter()
                        .filter(|u| u.name.contains('<'))
                        .map(|u| format!("/admin/users/{}", u.id))
                        .collect(),
                    "/admin/webhooks/{id}" => hooks.iter().map(|w| format!("/admin/webhooks/{}", w.id)).collect(),
                    "/customers/{id}" => customers.iter().map(|c| format!("/customers/{}", c.id)).collect(),
                    "/surveys/{id}" => surveys.iter().map(|(v, _)| format!("/surveys/{}", v.id)).collect(),
                    "/tickets/{id}" => tickets.iter().map(|t| format!("/tickets/{t}")).collect(),
                    _ => paths,
                };
            }
            if def.path == "/tickets/new" {
                paths = vec![format!("/tickets/new?customer_id={hostile_customer}")];
            }
            for path in paths {
                let (res, body) = h.get_page(&path, &cookie).await;
                // Every page of the sweep must render: one that does not would be skipped
                // unseen. Pages named by a token or a record of another kind are left out above.
                if res.status() != StatusCode::OK {
                    not_rendered.push(format!("{path} as {role:?}: {}", res.status()));
                    continue;
                }
                pages += 1;
                for p in CORPUS {
                    assert!(!body.contains(p), "{path} as {role:?} shows {p:?} unescaped");
                }
                assert!(!body.contains("<script>alert"), "{path}");
                assert!(
                    !body.contains("onerror=alert") || body.contains("onerror=alert") && !body.contains("<img src=x"),
                    "{path}"
                );
            }
        }
    }
    assert!(
        not_rendered.is_empty(),
        "pages that did not render:\n{}",
        not_rendered.join("\n")
    );
    assert!(pages >= 10, "only {pages} pages rendered");
    let (cookie, _) = h.session(Role::Admin).await;
    let (_, users) = h.get_page("/admin/users", &cookie).await;
    assert!(
        users.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || users.contains("&#60;script&#62;"),
        "the text is shown, escaped"
    );
    // The customer archive shows hostile text escaped, with the contact's guidance card.
    let hostile = h
        .app
        .store()
        .search_customers(&kefu_core::search::parse_query("客户 script"), None, 10)
        .await
        .unwrap();
    assert!(!hostile.is_empty());
    let (res, archive) = h.get_page(&format!("/customers/{}", hostile[0].id), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(archive.contains("Analytical"), "the guidance card is shown");
    assert!(
        archive.contains("alert(1)") && !archive.contains("<script>alert"),
        "the text is shown, escaped"
    );
    let (_, list) = h.get_page(&format!("/customers?q={}", enc("客户")), &cookie).await;
    assert!(list.contains("alert(1)") && !list.contains("<script>alert"));
    // The audit log shows the hostile names as text too (its detail is JSON).
    let (_, audit) = h.get_page("/admin/audit", &cookie).await;
    assert!(audit.contains("user.create") && !audit.contains("<script>alert"));
}

/// `next` after signing in and after switching the language is a path on this site, whatever
/// encoding or control character a link smuggles in (a browser drops tabs: `/\t/evil` is `//evil`).
async fn redirects_after_login_and_language_stay_on_site(h: &Harness) {
    let bypasses = [
        "/%09/evil.example",
        "/%0A/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
    ];
    let location = |res: &axum::http::Response<()>| {
        res.headers()
            .get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (cookie, csrf) = h.session(Role::Agent).await;
    for next in bypasses {
        let (res, _) = h.get_page(&format!("/login?next={next}"), &cookie).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&res), "/", "signed in, GET /login?next={next}");
        let (res, _) = h
            .post_form("/lang", &cookie, format!("csrf={csrf}&to=en&next={next}"))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&res), "/", "POST /lang next={next}");
    }
    let (res, _) = h.get_page("/login?next=/tickets%3Fstatus%3Dopen", &cookie).await;
    assert_eq!(location(&res), "/tickets?status=open", "a local path is kept");

    // Signing in with the form: the same rule.
    let (res, _) = h.get_page("/login", "").await;
    let pre = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("kefu_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let pre_val = pre.trim_start_matches("kefu_csrf=").to_owned();
    let (res, _) = h
        .post_form(
            "/login",
            &pre,
            format!(
                "csrf={pre_val}&email={}&password={}&next=%2F%09%2Fevil.example",
                enc("manager@example.com"),
                enc("correct horse battery")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/", "POST /login with next=/<tab>/evil.example");
}

/// A made-up invitation token is refused before its password is looked at (and hashed): a short
/// password gets 404, not the policy's 422. Five tries in the window from one address, then 429.
async fn invitations_check_the_token_first_and_are_rate_limited(h: &Harness) {
    let pre = "p".repeat(40);
    let cookie = format!("kefu_csrf={pre}");
    for i in 0..kefu_app::public::POSTS_PER_WINDOW {
        let (res, page) = h
            .post_form(
                &format!("/invite/made-up-{i}"),
                &cookie,
                format!("csrf={pre}&password=short&confirm=short"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{page}");
    }
    let (res, _) = h
        .post_form(
            "/invite/made-up-again",
            &cookie,
            format!("csrf={pre}&password=short&confirm=short"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get(header::RETRY_AFTER).is_some());
}

async fn login_logout_and_lockout(h: &Harness) {
    // The login page is in the browser's language and sets the pre-session CSRF cookie.
    let (res, body) = h
        .send(
            axum::http::Request::get("/login")
                .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9")
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body.contains("<html lang=\"zh-CN\">") && body.contains("登录"));
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let set = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let pre = set.iter().find(|c| c.starts_with("kefu_csrf=")).unwrap();
    let pre_val = pre
        .trim_start_matches("kefu_csrf=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(pre.contains("HttpOnly") && pre.contains("SameSite=Lax"));
    let (_, body) = h
        .send(
            axum::http::Request::get("/login")
                .header(header::ACCEPT_LANGUAGE, "en-US,en")
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert!(body.contains("<html lang=\"en\">"));

    let cookie = format!("kefu_csrf={pre_val}");
    let login = |email: &str, pw: &str| format!("csrf={pre_val}&email={}&password={}", enc(email), enc(pw));
    // A refused sign-in changes nothing but the throttle's own counts (its tables and the
    // account's count of failures): no session, no other account change, no audit entry.
    let throttle = ["login_failures", "rate_limits", "users.failed_logins"];
    let before = h.rows_except(&throttle).await;
    let (res, body) = h
        .post_form("/login", &cookie, login("agent@example.com", "wrong password!"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(body.contains("role=\"alert\""));
    let (res, _) = h
        .post_form("/login", &cookie, login("nobody@example.com", "whatever password"))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "an unknown user looks like a wrong password"
    );
    let (res, _) = h
        .post_form("/login", "", login("agent@example.com", "correct horse battery"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF cookie, no login");
    Harness::assert_unchanged(&before, &h.rows_except(&throttle).await, "refused sign-ins");

    let (res, _) = h
        .post_form("/login", &cookie, login("agent@example.com", "correct horse battery"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("kefu_session="))
        .unwrap()
        .to_owned();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    let s_cookie = session.split(';').next().unwrap().to_owned();
    let (res, body) = h.get_page("/", &s_cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body.contains("id=\"logout-form\""));
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (res, _) = h.post_form("/logout", &s_cookie, format!("csrf={csrf}")).await;
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/login");
    let (res, _) = h.get_page("/", &s_cookie).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the session ended in the database");

    // Five failures from one address slow that address down for the account: even the right
    // password waits, told at once by a 429 with Retry-After, on the page as in the answer.
    // Nothing else changes but the owner's notice being queued (a job).
    let before = h
        .rows_except(&["login_failures", "rate_limits", "users.failed_logins", "jobs"])
        .await;
    for _ in 0..5 {
        let (res, _) = h
            .post_form("/login", &cookie, login("technician@example.com", "wrong wrong wrong"))
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let (res, body) = h
        .post_form(
            "/login",
            &cookie,
            login("technician@example.com", "correct horse battery"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(body.contains("role=\"alert\""), "{body}");
    Harness::assert_unchanged(
        &before,
        &h.rows_except(&["login_failures", "rate_limits", "users.failed_logins", "jobs"])
            .await,
        "slowed sign-ins",
    );
    // …and nothing more: the account is not locked, so its owner signs in from elsewhere.
    let technician = h.app.store().get_user(h.user(Role::Technician).id).await.unwrap();
    assert!(technician.locked_until.is_none());
    assert!(
        h.app
            .login(
                "technician@example.com",
                "correct horse battery",
                Some("203.0.113.7"),
                None
            )
            .await
            .is_ok(),
        "the owner, elsewhere"
    );

    // A disabled user cannot log in.
    h.app
        .disable_user(&kefu_app::Actor::Cli, h.user(Role::Manager).id)
        .await
        .unwrap();
    let before = h.rows_except(&throttle).await;
    let (res, _) = h
        .post_form("/login", &cookie, login("manager@example.com", "correct horse battery"))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    Harness::assert_unchanged(&before, &h.rows_except(&throttle).await, "a disabled user's sign-in");
}

async fn csrf_is_required_on_every_form(h: &Harness) {
    let (cookie, csrf) = h.session(Role::Admin).await;
    let before = h.app.store().list_departments().await.unwrap().len();
    let rows = h.rows_except(&["sessions"]).await;
    for body in ["name=NoToken".to_owned(), "csrf=wrong&name=BadToken".to_owned()] {
        let (res, _) = h.post_form("/admin/departments", &cookie, body).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    // A cross-site origin is refused even with the right token.
    let (res, _) = h
        .send(
            axum::http::Request::post("/admin/departments")
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, "https://evil.example")
                .header(header::HOST, "kefu.example.com")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("csrf={csrf}&name=Evil").into())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    Harness::assert_unchanged(
        &rows,
        &h.rows_except(&["sessions"]).await,
        "forms without a good CSRF token or origin",
    );
    let (res, _) = h
        .post_form(
            "/admin/departments",
            &cookie,
            format!("csrf={csrf}&name={}", enc("维修部")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.app.store().list_departments().await.unwrap().len(), before + 1);

    // Creating a user from the form; a short password is a clear error that changes nothing.
    let users = h.app.store().count_users().await.unwrap();
    let rows = h.rows_except(&["sessions"]).await;
    let (res, body) = h
        .post_form(
            "/admin/users",
            &cookie,
            format!("csrf={csrf}&email=new%40example.com&name=x&role=agent&password=short"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("role=\"alert\""));
    Harness::assert_unchanged(
        &rows,
        &h.rows_except(&["sessions"]).await,
        "a user form with a short password",
    );
    let (res, _) = h
        .post_form(
            "/admin/users",
            &cookie,
            format!("csrf={csrf}&email=new%40example.com&name=x&role=agent&password=long+enough+pass"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (res, _) = h
        .post_form(
            "/admin/users",
            &cookie,
            format!("csrf={csrf}&email=NEW%40example.com&name=x&role=agent"),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "the same address in other case is the same account"
    );
    assert_eq!(
        h.app.store().count_users().await.unwrap(),
        users + 1,
        "one account made"
    );
}

async fn api_errors_are_problems_and_change_nothing(h: &Harness) {
    let t = h.token(Role::Admin).await;
    let users = h.app.store().count_users().await.unwrap();
    let cases: &[(&str, StatusCode)] = &[
        ("{not json", StatusCode::BAD_REQUEST),
        (
            "{\"email\": \"a@example.com\", \"role\": \"agent\", \"shoe_size\": 42}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "{\"email\": \"not an email\", \"role\": \"agent\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "{\"email\": \"a@example.com\", \"role\": \"root\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "{\"email\": \"a@example.com\", \"role\": \"agent\", \"password\": \"short\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "{\"email\": \"admin@example.com\", \"role\": \"agent\"}",
            StatusCode::CONFLICT,
        ),
    ];
    for (body, want) in cases {
        let (res, text) = h.api("POST", "/api/v1/users", Some(&t), Some(body)).await;
        assert_eq!(res.status(), *want, "{body}: {text}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
        let p: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(p["status"], want.as_u16());
        assert!(p["type"].as_str().unwrap().starts_with("https://"));
    }
    let big = format!(
        "{{\"email\": \"a@example.com\", \"role\": \"agent\", \"name\": \"{}\"}}",
        "x".repeat(100_000)
    );
    let (res, _) = h.api("POST", "/api/v1/users", Some(&t), Some(&big)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        h.app.store().count_users().await.unwrap(),
        users,
        "no bad request changed anything"
    );

    let (res, text) = h.api("POST", "/api/v1/users", Some(&t), Some("{\"email\": \"Li.Lei@Example.com\", \"role\": \"agent\", \"name\": \"李雷\", \"password\": \"twelve chars!\"}")).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let u: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (u["email"].as_str(), u["role"].as_str()),
        (Some("li.lei@example.com"), Some("agent"))
    );
    assert_eq!(
        u["departments"][0]["is_default"], true,
        "agents join the default department"
    );
    assert!(u.get("password_hash").is_none());

    let (res, _) = h.api("GET", "/api/v1/me", Some("kefu_not-a-real-token"), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, _) = h.api("GET", "/api/v1/me", None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, text) = h.api("DELETE", "/api/v1/me", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{text}");
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/problem+json"
    );
    let (res, text) = h.api("GET", "/api/v1/no/such/route", Some(&t), None).await;
    assert_eq!(
        (
            res.status(),
            res.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap()
        ),
        (StatusCode::NOT_FOUND, "application/problem+json"),
        "{text}"
    );
    let (res, text) = h.api("GET", "/api/v1/me", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = serde_json::from_str(&text).unwrap();
    for k in ["id", "email", "name", "role", "language", "departments"] {
        assert!(me.get(k).is_some(), "/me lacks {k}");
    }
    let (res, _) = h
        .api(
            "PATCH",
            &format!("/api/v1/users/{}", h.user(Role::Admin).id),
            Some(&t),
            Some("{\"disabled\": true}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "an admin cannot disable themselves");
}

async fn api_pagination_walks_every_user(h: &Harness) {
    for i in 0..23 {
        h.app
            .store()
            .create_user(common::new_user(
                format!("p{i}@example.com"),
                format!("P{i}"),
                Role::Customer,
            ))
            .await
            .unwrap();
    }
    let t = h.token(Role::Manager).await;
    let mut seen = vec![];
    let mut cursor = String::new();
    loop {
        let (res, text) = h
            .api("GET", &format!("/api/v1/users?limit=7&cursor={cursor}"), Some(&t), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{text}");
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|u| u["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!((seen.len(), dedup.len()), (28, 28));
    for bad in ["limit=0", "limit=9999", "cursor=zzz", "limit=abc", "bogus=1"] {
        let (res, text) = h.api("GET", &format!("/api/v1/users?{bad}"), Some(&t), None).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
    }
}

async fn operations_endpoints(h: &Harness) {
    let (res, body) = h.api("GET", "/healthz", None, None).await;
    assert_eq!((res.status(), body.as_str()), (StatusCode::OK, "ok"));
    let (res, body) = h.api("GET", "/readyz", None, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    let (res, body) = h.api("GET", "/api/openapi.json", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    for p in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/departments",
        "/api/v1/webhooks",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    // Every API route in the table is in the document.
    for (def, _) in route_table() {
        if def.path.starts_with("/api/v1/") {
            let m = def.method.as_str().to_lowercase();
            assert!(
                doc["paths"][def.path].get(&m).is_some(),
                "OpenAPI lacks {} {}",
                def.method,
                def.path
            );
        }
    }
    h.api("GET", "/api/v1/me", None, None).await;
    let (res, body) = h.api("GET", "/metrics", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        "served as the OpenMetrics it is"
    );
    assert!(
        body.contains("# TYPE kefu_http_requests counter") && body.ends_with("# EOF\n"),
        "{body}"
    );
    assert!(
        body.contains("kefu_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"}"),
        "{body}"
    );
    assert!(body.contains("kefu_http_request_duration_seconds_bucket"));
    assert!(body.contains("kefu_db_pool_max_connections"));
    assert!(body.contains("kefu_jobs{status=\"queued\"}"));
}

/// Five failed logins, a different `X-Forwarded-For` each (`xff(i)`), at 3 attempts a minute: the
/// statuses.
async fn logins_with_forwarded_for(trust: bool, xff: impl Fn(u32) -> String) -> Vec<StatusCode> {
    let h = common::sqlite().await;
    // The limit counts per clock minute: the clock stands at the first second of one, so that the
    // five fall in it.
    let minute = kefu_app::clock::ManualClock::at(1_796_000_400_000);
    let app = kefu_app::App::new(
        h.app.store().clone(),
        kefu_app::AppConfig {
            login_attempts_per_minute: 3,
            ..Default::default()
        },
    )
    .with_clock(minute);
    let router = kefu_web::router(
        app,
        kefu_web::WebConfig {
            cookie_secure: Some(false),
            body_limit: 65536,
            trust_forwarded_for: trust,
            forwarded_hops: 1,
            ..Default::default()
        },
    );
    let pre = "p".repeat(40);
    let mut statuses = vec![];
    for i in 0..5 {
        let req = axum::http::Request::post("/login")
            .header(header::COOKIE, format!("kefu_csrf={pre}"))
            .header("x-forwarded-for", xff(i))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!(
                "csrf={pre}&email=nobody%40example.com&password=whatever+password"
            )))
            .unwrap();
        use tower::ServiceExt;
        statuses.push(router.clone().oneshot(req).await.unwrap().status());
    }
    h.finish().await;
    statuses
}

fn limited(statuses: &[StatusCode]) -> usize {
    statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count()
}

/// Without a trusted proxy, X-Forwarded-For is ignored: rotating it does not dodge the login limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_not_trusted_by_default() {
    let statuses = logins_with_forwarded_for(false, |i| format!("198.51.100.{i}")).await;
    assert_eq!(limited(&statuses), 2, "{statuses:?}");
}

/// Behind one trusted proxy, the client is the entry the proxy appended (the rightmost): what the
/// client wrote to the left of it does not dodge the login limit, and a new real address does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_trusts_only_what_the_proxy_appended() {
    let statuses = logins_with_forwarded_for(true, |i| format!("198.51.100.{i}, 203.0.113.9")).await;
    assert_eq!(
        limited(&statuses),
        2,
        "the client's own entries are not believed: {statuses:?}"
    );
    let statuses = logins_with_forwarded_for(true, |i| format!("203.0.113.9, 198.51.100.{i}")).await;
    assert_eq!(
        limited(&statuses),
        0,
        "five real addresses, one attempt each: {statuses:?}"
    );
}

/// Behind a reverse proxy that rewrites `Host` (nginx's default), a form posted from the public
/// address passes the origin check when `public_url` names it, and a cross-site one still fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_behind_a_proxy_are_checked_against_public_url() {
    let h = common::sqlite().await;
    let (cookie, csrf) = h.session(Role::Admin).await;
    let post = |public_url: Option<&str>, origin: &str, name: &str| {
        let app = kefu_app::App::new(
            h.app.store().clone(),
            kefu_app::AppConfig {
                public_url: public_url.map(str::to_owned),
                ..Default::default()
            },
        );
        let req = axum::http::Request::post("/admin/departments")
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, origin)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("csrf={csrf}&name={}", enc(name))))
            .unwrap();
        async move {
            use tower::ServiceExt;
            common::router(app).oneshot(req).await.unwrap().status()
        }
    };
    let count = || async { h.app.store().list_departments().await.unwrap().len() };
    let before = count().await;
    let public = Some("https://kefu.example.com");
    assert_eq!(
        post(None, "https://kefu.example.com", "未设置").await,
        StatusCode::FORBIDDEN,
        "without public_url the proxy's public origin is foreign"
    );
    assert_eq!(
        post(public, "https://evil.example", "跨站").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(count().await, before, "refused forms changed nothing");
    assert_eq!(
        post(public, "https://kefu.example.com", "售后部").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(count().await, before + 1);
    h.finish().await;
}

async fn customers_api(h: &Harness) {
    let t = h.token(Role::Agent).await;
    let post = |body: serde_json::Value| {
        let t = t.clone();
        async move {
            h.api("POST", "/api/v1/customers", Some(&t), Some(&body.to_string()))
                .await
        }
    };
    let (res, text) = post(serde_json::json!({"name": "华东总代理", "kind": "intermediate", "subkind": "agent"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let top: serde_json::Value = serde_json::from_str(&text).unwrap();
    let top_id = top["id"].as_i64().unwrap();
    let (_, text) = post(serde_json::json!({"name": "观前街门店", "kind": "intermediate", "parent_id": top_id})).await;
    let shop_id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (res, text) = post(serde_json::json!({"name": "客户王芳 <script>alert(1)</script>", "kind": "end", "parent_id": shop_id, "phone": "138-0013-8000", "external_id": "C-1"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let person: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (person["value_tier"].as_str(), person["parent_id"].as_i64()),
        (Some("none"), Some(shop_id))
    );

    // Bad input: a clear 4xx, nothing created.
    let before = h.app.store().count_customers().await.unwrap();
    for (body, want) in [
        (
            serde_json::json!({"name": "x", "kind": "vip"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!({"name": "x", "kind": "end", "colour": "red"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!({"name": "x", "kind": "end", "phone": "call me maybe"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!({"name": "x", "kind": "end", "parent_id": person["id"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            serde_json::json!({"name": "x", "kind": "end", "external_id": "C-1"}),
            StatusCode::CONFLICT,
        ),
    ] {
        let (res, text) = post(body.clone()).await;
        assert_eq!(res.status(), want, "{body}: {text}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
    assert_eq!(h.app.store().count_customers().await.unwrap(), before);

    // A parent change that would loop: 409 with a type ending /cycle, and nothing changes.
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/customers/{top_id}"),
            Some(&t),
            Some(&format!("{{\"parent_id\": {shop_id}, \"name\": \"改名\"}}")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "{text}");
    let p: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("/cycle"), "{text}");
    assert_eq!(
        h.app.store().get_customer(top_id).await.unwrap().name,
        "华东总代理",
        "the refused change changed nothing"
    );
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/customers/{shop_id}"),
            Some(&t),
            Some("{\"parent_id\": null, \"tags\": [\"旗舰店\"]}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let shop: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (shop["parent_id"].is_null(), shop["tags"][0].as_str()),
        (true, Some("旗舰店"))
    );

    // Search by a two-character word inside running text, and the tree position.
    let (res, text) = h
        .api("GET", &format!("/api/v1/customers?q={}", enc("王芳")), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let page: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], person["id"]);
    assert!(page.get("next_cursor").is_some());
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{}/tree", person["id"]),
            Some(&t),
            None,
        )
        .await;
    let tree: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(tree["upstream"].as_array().unwrap().len(), 1, "{text}");
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop_id}/tree"), Some(&t), None)
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["downstream_counts"]["end"],
        1
    );

    // Contacts and purchases.
    let pid = person["id"].as_i64().unwrap();
    let (res, text) = h
        .api("POST", &format!("/api/v1/customers/{pid}/contacts"), Some(&t), Some(r#"{"name": "王芳的丈夫", "phone": "+86 139 0000 0000", "social_style": "dominant", "is_primary": true}"#))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{pid}/contacts"), Some(&t), None)
        .await;
    let contacts: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            contacts.as_array().unwrap().len(),
            contacts[0]["name"].as_str(),
            contacts[0]["is_primary"].as_bool()
        ),
        (2, Some("王芳的丈夫"), Some(true))
    );
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{pid}/contacts"),
            Some(&t),
            Some(r#"{"name": "x", "email": "not-an-email"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let buy = |body: String| {
        let t = t.clone();
        async move {
            h.api(
                "POST",
                &format!("/api/v1/customers/{pid}/purchases"),
                Some(&t),
                Some(&body),
            )
            .await
        }
    };
    let (res, text) = buy(format!(r#"{{"external_id": "P-1", "date": "2026-01-15", "amount": "2999.00", "sku": "BCD-215", "seller_id": {shop_id}}}"#)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let (res, text) = buy(r#"{"external_id": "P-1", "date": "2026-01-16", "amount": 2899.5}"#.to_owned()).await;
    assert_eq!(res.status(), StatusCode::OK, "the same external id updates: {text}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["amount"],
        "2899.50"
    );
    for (body, field) in [
        (
            r#"{"external_id": "P-2", "date": "2999-01-01", "amount": "1"}"#.to_owned(),
            "date",
        ),
        (
            r#"{"external_id": "P-2", "date": "yesterday", "amount": "1"}"#.to_owned(),
            "date",
        ),
        (
            r#"{"external_id": "P-2", "date": "2026-01-01", "amount": "-5"}"#.to_owned(),
            "amount",
        ),
        (
            r#"{"external_id": "P-2", "date": "2026-01-01", "amount": "1.234"}"#.to_owned(),
            "amount",
        ),
        (
            r#"{"external_id": "P-2", "date": "2026-01-01", "amount": "1", "currency": "RMB1"}"#.to_owned(),
            "currency",
        ),
        (
            format!(r#"{{"external_id": "P-2", "date": "2026-01-01", "amount": "1", "seller_id": {pid}}}"#),
            "seller_id",
        ),
    ] {
        let (res, text) = buy(body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["errors"][0]["field"],
            field,
            "{body}"
        );
    }
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{pid}/purchases"), Some(&t), None)
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1,
        "bad purchases were not recorded"
    );

    // Agents may not delete; managers may (soft).
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/customers/{}", person["id"]), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let m = h.token(Role::Manager).await;
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/customers/{}", person["id"]), Some(&m), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers?q={}", enc("王芳")), Some(&t), None)
        .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Portal accounts and what a customer user sees (docs/roles.md#scope: its record, or its subtree;
/// anything else is 404), contact and purchase changes, duplicates and merge with its audit entry.
async fn portal_scope_merge_and_record_changes(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let create = |body: serde_json::Value| {
        let t = agent.clone();
        async move {
            let (res, text) = h
                .api("POST", "/api/v1/customers", Some(&t), Some(&body.to_string()))
                .await;
            assert_eq!(res.status(), StatusCode::CREATED, "{text}");
            json(&text)["id"].as_i64().unwrap()
        }
    };
    let top = create(serde_json::json!({"name": "总代理", "kind": "intermediate"})).await;
    let shop = create(
        serde_json::json!({"name": "门店", "kind": "intermediate", "parent_id": top, "email": "shop@example.com"}),
    )
    .await;
    let buyer =
        create(serde_json::json!({"name": "顾客王芳", "kind": "end", "parent_id": shop, "phone": "13800138000"})).await;
    let outsider = create(serde_json::json!({"name": "别家王芳", "kind": "end", "phone": "+86 138 0013 8000"})).await;

    // A portal account by invitation for the shop's contact.
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}/contacts"), Some(&agent), None)
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some("{}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let account = json(&text);
    let path = account["invite_path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/invite/").unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some("{}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "one account per contact: {text}");
    let (res, page) = h.get_page(&path, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("invite-form"));
    assert!(
        h.app.accept_invitation(token, "short", None).await.is_err(),
        "the password policy holds"
    );
    let user = h
        .app
        .accept_invitation(token, "a long enough password", None)
        .await
        .unwrap();
    assert!(
        h.app
            .accept_invitation(token, "a long enough password", None)
            .await
            .is_err(),
        "used once"
    );
    assert_eq!(user.role, Role::Customer);
    for p in [path.as_str(), "/invite/not-a-token"] {
        let (res, page) = h.get_page(p, "").await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{p}: a used or unknown link is not found"
        );
        assert!(!page.contains("invite-form"), "{p}");
    }

    // The account-manager select offers the staff, not the portal user.
    let (cookie, _) = h.session(Role::Agent).await;
    let (_, form) = h.get_page(&format!("/customers/{shop}/edit"), &cookie).await;
    let select = form
        .split("<select id=\"account_manager_id\"")
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .expect("the account-manager select");
    for role in [Role::Admin, Role::Manager, Role::Agent] {
        let id = h.user(role).id;
        assert!(
            select.contains(&format!("value=\"{id}\"")),
            "{role:?} is offered: {select}"
        );
    }
    assert!(!select.contains(&format!("value=\"{}\"", user.id)), "{select}");
    let (_, plain) = h
        .app
        .create_token(&kefu_app::Actor::Cli, user.id, "portal test")
        .await
        .unwrap();

    // The shop's user sees the shop and what is beneath it, and nothing else.
    let (_, text) = h.api("GET", "/api/v1/customers", Some(&plain), None).await;
    let ids: Vec<i64> = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![shop, buyer]);
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers?q={}", enc("王芳")),
            Some(&plain),
            None,
        )
        .await;
    let ids: Vec<i64> = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![buyer], "search stays in scope");
    for p in [
        format!("/api/v1/customers/{outsider}"),
        format!("/api/v1/customers/{top}"),
        format!("/api/v1/customers/{outsider}/contacts"),
        format!("/api/v1/customers/{top}/purchases"),
        format!("/api/v1/channel-tree?parent={top}"),
    ] {
        let (res, _) = h.api("GET", &p, Some(&plain), None).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }
    let (res, text) = h
        .api("GET", &format!("/api/v1/customers/{buyer}/tree"), Some(&plain), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let up: Vec<i64> = json(&text)["upstream"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(up, vec![shop], "the chain above its own record is hidden");
    let (_, text) = h.api("GET", "/api/v1/channel-tree", Some(&plain), None).await;
    assert_eq!(json(&text)[0]["customer"]["id"].as_i64(), Some(shop));
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&plain),
            Some(r#"{"name":"x","kind":"end"}"#),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "customers do not write customer records"
    );
    let tech = h.token(Role::Technician).await;
    let (res, _) = h
        .api("GET", &format!("/api/v1/customers/{buyer}"), Some(&tech), None)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a technician sees customers of its visits only"
    );

    // Contacts and purchases: PATCH checks like POST; delete is for managers.
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{buyer}/contacts"),
            Some(&agent),
            None,
        )
        .await;
    let k = json(&text)[0]["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/contacts/{k}"),
            Some(&agent),
            Some(r#"{"email":"not mail"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/contacts/{k}"),
            Some(&agent),
            Some(r#"{"social_style":"expressive","role":"<b>老板</b>"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(json(&text)["social_style"].as_str(), Some("expressive"));
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{buyer}/purchases"),
            Some(&agent),
            Some(r#"{"external_id":"PO-1","date":"2026-01-05","amount":"99.50"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let po = json(&text)["id"].as_i64().unwrap();
    for bad in [
        r#"{"amount":"-1"}"#,
        r#"{"date":"2999-01-01"}"#,
        r#"{"seller_id": 999999}"#,
    ] {
        let (res, text) = h
            .api("PATCH", &format!("/api/v1/purchases/{po}"), Some(&agent), Some(bad))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
    }
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/purchases/{po}"),
            Some(&agent),
            Some(&format!(r#"{{"amount": 120, "seller_id": {shop}}}"#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(
        (json(&text)["amount"].as_str(), json(&text)["seller_id"].as_i64()),
        (Some("120.00"), Some(shop))
    );
    let (res, _) = h
        .api("GET", &format!("/api/v1/purchases/{po}"), Some(&plain), None)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the shop's user reads purchases beneath it"
    );
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/purchases/{po}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/purchases/{po}"), Some(&manager), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (res, _) = h
        .api("GET", &format!("/api/v1/purchases/{po}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/contacts/{contact}"), Some(&manager), None)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a contact with a portal account stays"
    );

    // Duplicates: the same phone, written two ways; merge records itself in the audit log.
    let (_, text) = h.api("GET", "/api/v1/customers/duplicates", Some(&agent), None).await;
    let pairs = json(&text);
    assert_eq!(pairs.as_array().unwrap().len(), 1, "{text}");
    assert_eq!(
        (pairs[0]["first"]["id"].as_i64(), pairs[0]["second"]["id"].as_i64()),
        (Some(buyer), Some(outsider))
    );
    // The duplicate has a ticket of its own: the merge carries it to the record that stays.
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&agent),
            Some(&format!(
                r#"{{"customer_id": {outsider}, "kind": "inquiry", "subject": "保修", "body": "保修多久？"}}"#
            )),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let carried = json(&text)["id"].as_i64().unwrap();
    let tickets_of = |customer: i64| {
        let agent = agent.clone();
        async move {
            let (_, text) = h
                .api(
                    "GET",
                    &format!("/api/v1/tickets?customer_id={customer}"),
                    Some(&agent),
                    None,
                )
                .await;
            json(&text)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    let buyer_before = tickets_of(buyer).await;
    assert_eq!(tickets_of(outsider).await, vec![carried]);
    let merge = format!(r#"{{"into": {buyer}}}"#);
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{outsider}/merge"),
            Some(&agent),
            Some(&merge),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "agents do not merge");
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{outsider}/merge"),
            Some(&manager),
            Some(&format!(r#"{{"into": {shop}}}"#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "two kinds: {text}");
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{outsider}/merge"),
            Some(&manager),
            Some(&merge),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    // The merged record is gone from reads (404, as any deleted record); managers find it in the
    // deleted list, pointing at the record that kept its data.
    let (res, _) = h
        .api("GET", &format!("/api/v1/customers/{outsider}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, text) = h
        .api("GET", "/api/v1/customers?deleted=true", Some(&manager), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let gone = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_i64() == Some(outsider))
        .cloned()
        .expect("the merged record is in the deleted list");
    assert_eq!(
        (gone["deleted"].as_bool(), gone["merged_into"].as_i64()),
        (Some(true), Some(buyer))
    );
    let buyer_after = tickets_of(buyer).await;
    assert_eq!(buyer_after.len(), buyer_before.len() + 1, "{buyer_after:?}");
    assert!(buyer_after.contains(&carried) && tickets_of(outsider).await.is_empty());
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{carried}"), Some(&agent), None)
        .await;
    assert_eq!(json(&text)["customer_id"].as_i64(), Some(buyer), "{text}");
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{buyer}/contacts"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(json(&text).as_array().unwrap().len(), 2, "the contacts moved");
    let audit = h.app.store().list_audit(0, 5).await.unwrap();
    let entry = audit
        .iter()
        .find(|a| a.action == "customer.merge")
        .expect("merge audited");
    assert_eq!(entry.detail["from"].as_i64(), Some(outsider));
    let (_, text) = h.api("GET", "/api/v1/customers/duplicates", Some(&agent), None).await;
    assert!(json(&text).as_array().unwrap().is_empty());
    // Restore brings a deleted record back.
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{outsider}/restore"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = h
        .api("GET", &format!("/api/v1/customers/{outsider}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "restored, it reads again");
}

/// A deleted customer answers 404 to every read (managers list it with `deleted=true` to restore
/// it), and the portal users who speak for it are cut off at once (session, API token, sign-in);
/// restoring it lets them sign in again.
async fn deleted_customers_read_as_gone_and_cut_their_portal_users_off(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"西城经销商","kind":"intermediate","email":"dealer@example.com"}"#),
        )
        .await;
    let dealer = json(&text)["id"].as_i64().unwrap();
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{dealer}/contacts"),
            Some(&agent),
            None,
        )
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let password = "dealer's long password";
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some(&serde_json::json!({ "password": password }).to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let user_id = json(&text)["user_id"].as_i64().unwrap();
    let body =
        serde_json::json!({"customer_id": dealer, "kind": "complaint", "subject": "缺货", "body": "三台空调未到"});
    let (_, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    let ticket = json(&text)["id"].as_i64().unwrap();
    let (_, plain) = h
        .app
        .create_token(&kefu_app::Actor::Cli, user_id, "dealer")
        .await
        .unwrap();
    let (cookie, _) = h.session_of(user_id).await;
    let page = format!("/my/requests/{ticket}");
    let api = format!("/api/v1/tickets/{ticket}");
    let (res, _) = h.get_page(&page, &cookie).await;
    assert_eq!(res.status(), StatusCode::OK, "before the delete");
    let (res, _) = h.api("GET", &api, Some(&plain), None).await;
    assert_eq!(res.status(), StatusCode::OK, "before the delete");
    assert!(h.app.login("dealer@example.com", password, None, None).await.is_ok());

    let (res, text) = h
        .api("DELETE", &format!("/api/v1/customers/{dealer}"), Some(&manager), None)
        .await;
    assert!(res.status().is_success(), "{text}");
    let (res, _) = h.get_page(&page, &cookie).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the session is over: back to sign-in"
    );
    assert!(res.headers()[header::LOCATION].to_str().unwrap().starts_with("/login"));
    let (res, _) = h.api("GET", &api, Some(&plain), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the token no longer works");
    let (res, _) = h.api("GET", "/api/v1/customers", Some(&plain), None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        matches!(
            h.app.login("dealer@example.com", password, None, None).await,
            Err(kefu_app::AppError::Disabled)
        ),
        "no new sign-in"
    );
    // The deleted record itself reads as gone; managers find it in the deleted list to restore it.
    for p in [
        format!("/api/v1/customers/{dealer}"),
        format!("/api/v1/customers/{dealer}/contacts"),
        format!("/api/v1/customers/{dealer}/tree"),
    ] {
        for t in [&agent, &manager] {
            let (res, _) = h.api("GET", &p, Some(t), None).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
        }
    }
    let listed = |t: String, q: &'static str| async move {
        let (res, text) = h.api("GET", &format!("/api/v1/customers{q}"), Some(&t), None).await;
        (res.status(), text)
    };
    let (status, text) = listed(manager.clone(), "?deleted=true").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&dealer), "{text}");
    let (_, text) = listed(manager.clone(), "").await;
    assert!(!text.contains("西城经销商"), "not in the usual list");
    let (status, _) = listed(agent.clone(), "?deleted=true").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not restore");
    let (status, _) = listed(manager.clone(), "?deleted=maybe").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (manager_cookie, _) = h.session(Role::Manager).await;
    let (res, page) = h.get_page("/customers?deleted=1", &manager_cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("西城经销商"), "the deleted list page");
    let (res, page) = h.get_page(&format!("/customers/{dealer}"), &manager_cookie).await;
    assert_eq!(res.status(), StatusCode::OK, "a manager opens it to restore it");
    assert!(page.contains(&format!("/customers/{dealer}/restore")));
    let (agent_cookie, _) = h.session(Role::Agent).await;
    let (res, _) = h.get_page(&format!("/customers/{dealer}"), &agent_cookie).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{dealer}/restore"),
            Some(&manager),
            None,
        )
        .await;
    assert!(res.status().is_success(), "{text}");
    let (res, _) = h.api("GET", &api, Some(&plain), None).await;
    assert_eq!(res.status(), StatusCode::OK, "restored");
    let (res, _) = h
        .api("GET", &format!("/api/v1/customers/{dealer}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "restored, it reads again");
    assert!(h.app.login("dealer@example.com", password, None, None).await.is_ok());
}

/// Tickets through the API: filing with an SLA from the default policy, search in Chinese and
/// English, replies, notes, calls and the workflow, the customer's view, and bad input.
async fn tickets_api(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"北京朝阳门店","kind":"intermediate","email":"cy@example.com"}"#),
        )
        .await;
    let shop = json(&text)["id"].as_i64().unwrap();
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"别的客户","kind":"end"}"#),
        )
        .await;
    let other = json(&text)["id"].as_i64().unwrap();

    let body = serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "空调不制冷 <script>x</script>",
        "body": "买了三天的空调不制冷，客户很生气。The compressor is silent.", "priority": "high"});
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let t = json(&text);
    let id = t["id"].as_i64().unwrap();
    let reference = t["reference"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with("KF-") && reference.ends_with(&format!("{id:06}")),
        "{reference}"
    );
    assert_eq!(
        (t["status"].as_str(), t["priority"].as_str()),
        (Some("new"), Some("high"))
    );
    assert_eq!(t["sla"]["policy"].as_str(), Some("default"));
    assert_eq!(t["sla"]["first_response"]["target_minutes"].as_i64(), Some(120));
    // The due instant, exactly: 120 business minutes of the default policy's calendar after the
    // ticket was filed.
    let policies = h.app.store().sla_policies().await.unwrap();
    let default = policies.iter().find(|p| p.is_default).unwrap();
    let calendar = h
        .app
        .store()
        .calendars()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == default.calendar_id)
        .unwrap();
    let cal = kefu_core::calendar::BusinessCalendar::from_toml(&calendar.toml).unwrap();
    let filed = jiff::Timestamp::from_millisecond(t["created_at"].as_i64().unwrap()).unwrap();
    let due: jiff::Timestamp = t["sla"]["first_response"]["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, cal.add_business_minutes(filed, 120).unwrap(), "{text}");
    // Just filed, its first reply is not due yet, whatever the hour: running.
    assert_eq!(t["sla"]["first_response"]["state"].as_str(), Some("running"), "{text}");
    assert_eq!(t["sla"]["next_response"]["state"].as_str(), Some("none"));

    // Found by the next request, by a two-character Chinese word and by an English word.
    for q in ["制冷", "compressor", "朝阳"] {
        let (_, text) = h
            .api("GET", &format!("/api/v1/tickets?q={}", enc(q)), Some(&agent), None)
            .await;
        let ids: Vec<i64> = json(&text)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![id], "{q}");
    }
    let (res, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");

    // Bad input: a clear 422, nothing filed.
    let (_, text) = h.api("GET", "/api/v1/tickets", Some(&manager), None).await;
    let before = json(&text)["items"].as_array().unwrap().len();
    for bad in [
        serde_json::json!({"customer_id": shop, "kind": "rant", "subject": "x", "body": "y"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": " ", "body": "y"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "x", "body": ""}),
        serde_json::json!({"customer_id": 999_999, "kind": "complaint", "subject": "x", "body": "y"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "x", "body": "y", "priority": "asap"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "x", "body": "y", "channel": "fax"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "x", "body": "y", "colour": "red"}),
        serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "x", "body": "y", "on_behalf_of_id": other}),
    ] {
        let (res, text) = h
            .api("POST", "/api/v1/tickets", Some(&agent), Some(&bad.to_string()))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
    let (_, text) = h.api("GET", "/api/v1/tickets", Some(&manager), None).await;
    assert_eq!(
        json(&text)["items"].as_array().unwrap().len(),
        before,
        "bad tickets were not filed"
    );

    // The agent replies: the ticket opens and the first response is met.
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&agent),
            Some(r#"{"body":"您好，我们明天上门检查。"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let after = json(&text);
    assert_eq!(after["ticket"]["status"].as_str(), Some("open"));
    // Replied seconds after filing, 120 business minutes ahead of the due instant: met.
    assert_eq!(
        after["ticket"]["sla"]["first_response"]["state"].as_str(),
        Some("met"),
        "{text}"
    );
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&agent),
            Some(r#"{"kind":"note","body":"内部：客户是VIP"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&agent),
            Some(r#"{"kind":"call","body":"电话确认时间","direction":"outbound","duration_seconds":95}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["message"]["call_seconds"].as_i64(), Some(95));
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&agent),
            Some(r#"{"kind":"call","body":"x","duration_seconds":-5}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Pending pauses the resolution clock; a forbidden move is refused and changes nothing.
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            Some(&agent),
            Some(r#"{"status":"pending"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(
        json(&text)["sla"]["resolution"]["state"].as_str(),
        Some("paused"),
        "{text}"
    );
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            Some(&agent),
            Some(r#"{"status":"new"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(json(&text)["status"].as_str(), Some("pending"));

    // The shop's portal user: sees its ticket without the internal note, replies, and its reply
    // reopens the pending ticket; another customer's ticket is 404.
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}/contacts"), Some(&agent), None)
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let (_, portal) = h.portal_user(&agent, contact).await;
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{id}/messages"), Some(&portal), None)
        .await;
    let kinds: Vec<String> = json(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(!kinds.iter().any(|k| k == "internal"), "{kinds:?}");
    assert_eq!(kinds.len(), 3);
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&portal),
            Some(r#"{"body":"明天下午可以。"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["ticket"]["status"].as_str(), Some("open"));
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&portal),
            Some(r#"{"kind":"note","body":"x"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "customers write no notes");
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            Some(&portal),
            Some(r#"{"status":"closed"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&agent),
            Some(
                &serde_json::json!({"customer_id": other, "kind": "inquiry", "subject": "别家", "body": "问"})
                    .to_string(),
            ),
        )
        .await;
    let theirs = json(&text)["id"].as_i64().unwrap();
    let (res, _) = h
        .api("GET", &format!("/api/v1/tickets/{theirs}"), Some(&portal), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, text) = h.api("GET", "/api/v1/tickets", Some(&portal), None).await;
    let ids: Vec<i64> = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![id]);
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&portal),
            Some(
                &serde_json::json!({"customer_id": shop, "kind": "request", "subject": "安装", "body": "请安排安装"})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["channel"].as_str(), Some("portal"));
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&portal),
            Some(
                &serde_json::json!({"customer_id": other, "kind": "request", "subject": "x", "body": "y"}).to_string(),
            ),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not for a customer outside its scope"
    );

    // Resolve; the activity log has every change, old -> new.
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            Some(&agent),
            Some(r#"{"status":"resolved"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(
        json(&text)["sla"]["resolution"]["state"].as_str(),
        Some("met"),
        "{text}"
    );
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{id}/activity"), Some(&agent), None)
        .await;
    let log: Vec<String> = json(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}:{}->{}",
                a["field"].as_str().unwrap(),
                a["old_value"].as_str().unwrap_or("-"),
                a["new_value"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        log,
        vec![
            "created:-->new",
            "status:new->open",
            "status:open->pending",
            "status:pending->open",
            "status:open->resolved"
        ]
    );
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&manager),
            Some(&format!(r#"{{"assignee_id": {}}}"#, h.user(Role::Customer).id)),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "tickets go to staff: {text}"
    );
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&manager),
            Some(&format!(
                r#"{{"assignee_id": {}, "priority": "urgent"}}"#,
                h.user(Role::Agent).id
            )),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(json(&text)["priority"].as_str(), Some("urgent"));
}

/// An agent files a ticket from a phone call, replies, logs a note and resolves it on the pages;
/// the customer's words stay text.
async fn ticket_pages(h: &Harness) {
    let (cookie, csrf) = h.session(Role::Agent).await;
    let agent = h.token(Role::Agent).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"张伟","kind":"end"}"#),
        )
        .await;
    let customer = json(&text)["id"].as_i64().unwrap();
    let (res, page) = h.get_page("/tickets", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("ticket-filters"));
    let (res, page) = h
        .get_page(&format!("/tickets/new?customer_id={customer}"), &cookie)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("张伟"));
    let before = h.rows_except(&["sessions"]).await;
    let (res, page) = h
        .post_form(
            "/tickets",
            &cookie,
            format!("csrf={csrf}&customer_id={customer}&kind=complaint&priority=normal&channel=phone&subject=&body=x"),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an empty subject shows the form again"
    );
    assert!(page.contains("data-field=\"subject\""));
    Harness::assert_unchanged(
        &before,
        &h.rows_except(&["sessions"]).await,
        "a ticket form without a subject",
    );
    let subject = enc("热水器漏水 <img src=x onerror=alert(1)>");
    let (res, _) = h
        .post_form(
            "/tickets",
            &cookie,
            format!("csrf={csrf}&customer_id={customer}&kind=complaint&priority=high&channel=phone&subject={subject}&body={}", enc("客户来电：热水器底部漏水")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res
        .headers()
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let path = to.split('?').next().unwrap().to_owned();
    let (res, page) = h.get_page(&to, &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("热水器漏水") && !page.contains("<img src=x"),
        "escaped: {page}"
    );
    assert!(page.contains("KF-"));
    for body in [
        format!("csrf={csrf}&kind=reply&body={}", enc("已安排师傅明天上门")),
        format!("csrf={csrf}&kind=note&body={}", enc("内部：保修期内")),
        format!(
            "csrf={csrf}&kind=call&direction=outbound&minutes=2&body={}",
            enc("确认上门时间")
        ),
    ] {
        let (res, _) = h.post_form(&format!("{path}/messages"), &cookie, body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let before = h.rows_except(&["sessions"]).await;
    let (res, page) = h
        .post_form(
            &format!("{path}/messages"),
            &cookie,
            format!("csrf={csrf}&kind=reply&body="),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"body\""));
    Harness::assert_unchanged(&before, &h.rows_except(&["sessions"]).await, "an empty reply");
    let (res, _) = h
        .post_form(
            &format!("{path}/status"),
            &cookie,
            format!("csrf={csrf}&status=resolved"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&path, &cookie).await;
    assert!(page.contains("已安排师傅明天上门") && page.contains("内部：保修期内") && page.contains("确认上门时间"));
    let (_, page) = h.get_page("/tickets?status=resolved&view=quadrants", &cookie).await;
    assert!(page.contains("quadrant"));
}

/// The public complaint form, as someone without an account: the honeypot, validation, the
/// customer found by phone however it is written, the follow link, and the rate limit.
async fn public_form_and_follow_link(h: &Harness) {
    use kefu_app::Actor;
    use kefu_app::testing::store::TicketFilter;
    use kefu_app::tickets::Addition;
    let pre = "p".repeat(40);
    let cookie = format!("kefu_csrf={pre}");
    let all = || async {
        h.app
            .store()
            .list_tickets(&TicketFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
    };
    let form = |name: &str, phone: &str, extra: &str| {
        format!(
            "csrf={pre}&name={}&phone={}&email=&kind=complaint&subject={}&body={}{extra}",
            enc(name),
            enc(phone),
            enc("热水器漏水"),
            enc("<script>alert(1)</script> 安装后第二天就漏水了")
        )
    };

    let (res, page) = h.get_page("/complaint?touchpoint=%E5%89%8D%E5%8F%B0&tag=vip", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("complaint-form") && page.contains("name=\"website\""));
    assert!(
        page.contains("value=\"前台\""),
        "the touchpoint rides in a hidden field"
    );

    // The honeypot: the same thank-you page, nothing filed.
    let (res, page) = h
        .post_form(
            "/complaint",
            &cookie,
            form("Robot", "13800138000", "&website=http%3A%2F%2Fspam"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!page.contains("follow-link"));
    assert!(all().await.is_empty(), "a robot files nothing");

    // A bad phone, then neither phone nor e-mail: the form again with the error, nothing filed.
    let before = h.rows_except(&["sessions", "rate_limits"]).await;
    let (res, page) = h.post_form("/complaint", &cookie, form("张三", "12ab", "")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"phone\"") && page.contains("complaint-form"));
    assert!(page.contains("value=\"张三\""), "what was typed is kept");
    Harness::assert_unchanged(
        &before,
        &h.rows_except(&["sessions", "rate_limits"]).await,
        "a complaint with a bad phone",
    );
    let (res, page) = h
        .post_form(
            "/complaint",
            &cookie,
            format!("csrf={pre}&name=x&kind=complaint&subject=s&body=b&email=not-an-email"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"email\""));
    assert!(all().await.is_empty());

    // A good post files a ticket for a new customer; the follow link is on the thank-you page.
    let (res, page) = h
        .post_form("/complaint", &cookie, form("张三", "138 0013 8000", ""))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{page}");
    assert!(page.contains("KF-"));
    let token = page
        .split("href=\"/follow/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let tickets = all().await;
    assert_eq!(tickets.len(), 1);
    let first = &tickets[0];
    assert_eq!(first.channel.as_str(), "web_form");
    let customer = h.app.store().get_customer(first.customer_id).await.unwrap();
    assert_eq!(customer.name, "张三");
    assert!(first.contact_id.is_some());

    // The same phone written differently goes to the same customer.
    let (res, _) = h
        .post_form("/complaint", &cookie, form("张三丰", "+86 138-0013-8000", ""))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let tickets = all().await;
    assert_eq!(tickets.len(), 2);
    assert!(tickets.iter().all(|t| t.customer_id == customer.id), "one customer");

    // The follow page: the agent's reply, never the internal note; text escaped.
    h.app
        .add_to_ticket(
            &Actor::Cli,
            first.id,
            Addition::Reply {
                body: "师傅明天上门".into(),
            },
        )
        .await
        .unwrap();
    h.app
        .add_to_ticket(
            &Actor::Cli,
            first.id,
            Addition::Note {
                body: "内部备注：老客户".into(),
            },
        )
        .await
        .unwrap();
    let follow = format!("/follow/{token}");
    let (res, page) = h.get_page(&follow, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("师傅明天上门"));
    assert!(!page.contains("内部备注"), "no internal notes");
    assert!(
        !page.contains("<script>alert(1)") && page.contains("alert(1)"),
        "escaped, still shown"
    );
    // The customer replies to a resolved ticket: it reopens.
    h.app
        .set_ticket_status(&Actor::Cli, first.id, "resolved")
        .await
        .unwrap();
    let (res, _) = h
        .post_form(&follow, &cookie, format!("csrf={pre}&body={}", enc("还是漏水")))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t = h.app.store().get_ticket(first.id).await.unwrap();
    assert_ne!(t.status.as_str(), "resolved", "a reply reopens it");
    let (_, page) = h.get_page(&follow, "").await;
    assert!(page.contains("还是漏水"));
    let before = h.rows_except(&["sessions", "rate_limits"]).await;
    let (res, _) = h.post_form(&follow, &cookie, format!("csrf={pre}&body=")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an empty reply");
    Harness::assert_unchanged(
        &before,
        &h.rows_except(&["sessions", "rate_limits"]).await,
        "an empty reply on the follow page",
    );

    for p in ["/follow/not-a-token", "/follow/x"] {
        let (res, page) = h.get_page(p, "").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
        assert!(!page.contains("follow-form"));
    }
    let (res, _) = h
        .post_form("/follow/not-a-token", &cookie, format!("csrf={pre}&body=x"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Over the limit (5 posts per address per 10 minutes): 429, nothing filed.
    let mut limited = false;
    for _ in 0..6 {
        let (res, _) = h.post_form("/complaint", &cookie, format!("csrf={pre}&name=")).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the rate limit answers 429");
    let (res, page) = h
        .post_form("/complaint", &cookie, form("李四", "13900139000", ""))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("10") || page.contains("minutes") || page.contains("分钟"));
    assert_eq!(all().await.len(), 2, "nothing filed over the limit");

    // The QR code: staff only, an SVG of the form's address.
    let (manager, _) = h.session(Role::Manager).await;
    let (res, svg) = h.get_page("/qr.svg?touchpoint=%E5%89%8D%E5%8F%B0", &manager).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(svg.contains("<svg"));
    let (res, _) = h.get_page("/qr.svg?touchpoint=x", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "anonymous is sent to the login");
}

async fn upload(
    h: &Harness,
    token: &str,
    ticket: i64,
    name: &str,
    ct: &str,
    bytes: Vec<u8>,
) -> (axum::http::Response<()>, String) {
    h.send(
        axum::http::Request::post(format!("/api/v1/tickets/{ticket}/attachments?filename={}", enc(name)))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(axum::body::Body::from(bytes))
            .unwrap(),
    )
    .await
}

async fn attachments_api(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let customer = h.token(Role::Customer).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"王芳","kind":"end"}"#),
        )
        .await;
    let c = json(&text)["id"].as_i64().unwrap();
    let body = serde_json::json!({"customer_id": c, "kind": "complaint", "subject": "外壳裂了", "body": "见照片"});
    let (_, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    let t = json(&text)["id"].as_i64().unwrap();

    // A PDF with a Chinese name: stored, listed, downloaded as a file that runs nothing.
    let pdf = "%PDF-1.4 发票 <script>alert(1)</script>".as_bytes().to_vec();
    let (res, text) = upload(h, &agent, t, "发票.pdf", "application/pdf", pdf.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let a = json(&text);
    assert_eq!(
        (a["filename"].as_str(), a["size"].as_i64()),
        (Some("发票.pdf"), Some(pdf.len() as i64))
    );
    let url = a["url"].as_str().unwrap().to_owned();
    let (res, got) = h
        .send(
            axum::http::Request::get(&url)
                .header(header::AUTHORIZATION, format!("Bearer {agent}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(got.as_bytes(), pdf.as_slice());
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/octet-stream");
    let disposition = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''%E5%8F%91"),
        "{disposition}"
    );
    assert!(
        res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    // A photo is shown in place.
    let (res, text) = upload(
        h,
        &agent,
        t,
        "A&B <img src=x onerror=alert(1)>裂缝.png",
        "image/png",
        vec![0x89, b'P', b'N', b'G'],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let png = json(&text)["id"].as_i64().unwrap();
    let (res, _) = h
        .send(
            axum::http::Request::get(format!("/api/v1/attachments/{png}"))
                .header(header::AUTHORIZATION, format!("Bearer {agent}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
    assert!(
        res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );

    // Refused, with a problem and nothing stored: SVG, an executable, no name, too large.
    for (name, ct, n) in [
        ("x.svg", "image/svg+xml", 10),
        ("setup.exe", "application/octet-stream", 10),
        ("", "image/png", 10),
    ] {
        let (res, text) = upload(h, &agent, t, name, ct, vec![1; n]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}: {text}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
    let max = h.app.config.attachments.max_bytes as usize;
    let (res, text) = upload(h, &agent, t, "big.zip", "application/zip", vec![0; max + 1]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (res, _) = upload(h, &agent, t, "huge.zip", "application/zip", vec![0; max + (1 << 20)]).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{t}/attachments"), Some(&agent), None)
        .await;
    assert_eq!(json(&text).as_array().unwrap().len(), 2, "{text}");

    // Another customer sees neither the list nor the file.
    let (res, _) = h
        .api(
            "GET",
            &format!("/api/v1/tickets/{t}/attachments"),
            Some(&customer),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, _) = h
        .send(
            axum::http::Request::get(&url)
                .header(header::AUTHORIZATION, format!("Bearer {customer}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The ticket page lists them, names escaped.
    let (cookie, _) = h.session(Role::Agent).await;
    let (_, page) = h.get_page(&format!("/tickets/{t}"), &cookie).await;
    assert!(page.contains(&format!("href=\"/attachments/{png}\"")), "{page}");
    assert!(page.contains("A&#38;B _img src=x onerror=alert(1)_裂缝.png"), "{page}");
    assert!(!page.contains("<img src=x"));
    assert!(page.contains(">4 B<"), "sizes in bytes for small files");
    let (res, _) = h.get_page(&format!("/attachments/{png}"), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK, "signed in, the page's link works");

    // An agent attaches a file from the ticket page: a multipart form with the CSRF token as a part.
    let (cookie, csrf) = h.session(Role::Agent).await;
    let upload = |csrf: Option<String>, name: &str, content_type: &str, bytes: &[u8]| {
        let b = "----kefu-test-boundary";
        let mut body = Vec::new();
        if let Some(c) = csrf {
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{c}\r\n").bytes());
        }
        body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").bytes());
        body.extend_from_slice(bytes);
        body.extend(format!("\r\n--{b}--\r\n").bytes());
        axum::http::Request::post(format!("/tickets/{t}/attachments"))
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    // Only an upload route takes a large multipart body; any other form keeps the general limit.
    let big = {
        let mut r = upload(
            Some(csrf.clone()),
            "big.pdf",
            "application/pdf",
            &vec![b'x'; 100 * 1024],
        );
        *r.uri_mut() = format!("/tickets/{t}/messages").parse().unwrap();
        r
    };
    let (res, _) = h.send(big).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let before = h.app.store().attachments_of(t).await.unwrap().len();
    let (res, _) = h
        .send(upload(None, "维修单.pdf", "application/pdf", b"%PDF-1.4 x"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no token, no upload");
    let (res, page) = h
        .send(upload(
            Some(csrf.clone()),
            "page.html",
            "text/html",
            b"<script>alert(1)</script>",
        ))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("data-field=\"file\""),
        "the refusal is shown on the page: {page}"
    );
    let (res, page) = h
        .send(upload(Some(csrf.clone()), "", "application/octet-stream", b""))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert_eq!(
        h.app.store().attachments_of(t).await.unwrap().len(),
        before,
        "refusals store nothing"
    );
    let (res, _) = h
        .send(upload(
            Some(csrf.clone()),
            "维修单.pdf",
            "application/pdf",
            b"%PDF-1.4 x",
        ))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A photo of several MiB goes through the page as well (past axum's default 2 MiB).
    let mut photo = b"\x89PNG\r\n\x1a\n".to_vec();
    photo.resize(3 << 20, 7);
    let (res, page) = h.send(upload(Some(csrf), "现场照片.png", "image/png", &photo)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
    assert_eq!(
        h.app.store().attachments_of(t).await.unwrap().last().unwrap().size,
        3 << 20
    );
    let (_, page) = h.get_page(&format!("/tickets/{t}"), &cookie).await;
    assert!(page.contains("维修单.pdf"), "listed on the ticket: {page}");
    assert_eq!(h.app.store().attachments_of(t).await.unwrap().len(), before + 2);

    // The staff's files are internal unless shared when attached; the
    // customer sees the shared ones only.
    let b = "----kefu-share-boundary";
    let (cookie, csrf2) = h.session(Role::Agent).await;
    let shared_form = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf2}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"保修卡.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 card\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"share\"\r\n\r\n1\r\n--{b}--\r\n"
    );
    let (res, page) = h
        .send(
            axum::http::Request::post(format!("/tickets/{t}/attachments"))
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
                .body(axum::body::Body::from(shared_form))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
    let (res, text) = h
        .send(
            axum::http::Request::post(format!(
                "/api/v1/tickets/{t}/attachments?filename={}&visibility=shared",
                enc("说明书.pdf")
            ))
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, "application/pdf")
            .body(axum::body::Body::from("%PDF-1.4 manual"))
            .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["visibility"].as_str(), Some("shared"));
    let shared_api = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .send(
            axum::http::Request::post(format!(
                "/api/v1/tickets/{t}/attachments?filename=x.pdf&visibility=public"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, "application/pdf")
            .body(axum::body::Body::from("%PDF"))
            .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(json(&text)["errors"][0]["field"].as_str(), Some("visibility"));
    let (_, page) = h.get_page(&format!("/tickets/{t}"), &cookie).await;
    assert!(page.contains("id=\"attach-share\""), "the page offers to share: {page}");

    // The ticket's customer, through the portal: only the two shared files.
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{c}/contacts"),
            Some(&agent),
            Some(r#"{"name":"王芳","email":"wangfang.files@example.com"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let contact = json(&text)["id"].as_i64().unwrap();
    let (_, portal) = h.portal_user(&agent, contact).await;
    let (res, text) = h
        .api("GET", &format!("/api/v1/tickets/{t}/attachments"), Some(&portal), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let mut names: Vec<String> = json(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["保修卡.pdf", "说明书.pdf"], "{text}");
    let get = |id: i64, token: String| {
        axum::http::Request::get(format!("/api/v1/attachments/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (res, _) = h.send(get(png, portal.clone())).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "an internal file is not the customer's"
    );
    let (res, _) = h.send(get(shared_api, portal.clone())).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The customer's own upload is shared; it may not make one internal.
    let (res, text) = crate::upload(h, &portal, t, "我的照片.png", "image/png", vec![0x89, b'P', b'N', b'G']).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["visibility"].as_str(), Some("shared"));
    let before = h.app.store().attachments_of(t).await.unwrap().len();
    let (res, text) = h
        .send(
            axum::http::Request::post(format!(
                "/api/v1/tickets/{t}/attachments?filename=y.png&visibility=internal"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {portal}"))
            .header(header::CONTENT_TYPE, "image/png")
            .body(axum::body::Body::from(vec![0x89, b'P', b'N', b'G']))
            .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(h.app.store().attachments_of(t).await.unwrap().len(), before);
}

async fn resolution_categories_and_incidents(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"华北电力","kind":"end"}"#),
        )
        .await;
    let c = json(&text)["id"].as_i64().unwrap();

    // Categories: managers grow the tree; agents read it; bad input changes nothing.
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/categories",
            Some(&manager),
            Some(r#"{"name_en":"Air conditioners","name_zh":"空调"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let ac = json(&text)["id"].as_i64().unwrap();
    let body = format!(r#"{{"parent_id":{ac},"name_en":"Not cooling","name_zh":"不制冷"}}"#);
    let (_, text) = h.api("POST", "/api/v1/categories", Some(&manager), Some(&body)).await;
    let cooling = json(&text)["id"].as_i64().unwrap();
    let (res, _) = h.api("POST", "/api/v1/categories", Some(&manager), Some(&body)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "the same name twice at one place");
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/categories",
            Some(&agent),
            Some(r#"{"name_en":"X","name_zh":"X"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/categories",
            Some(&manager),
            Some(r#"{"parent_id":999999,"name_en":"","name_zh":"x"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (_, text) = h.api("GET", "/api/v1/categories", Some(&agent), None).await;
    assert_eq!(json(&text).as_array().unwrap().len(), 2);

    // A complaint, categorised and resolved with a root cause and compensation.
    let body = serde_json::json!({"customer_id": c, "kind": "complaint", "subject": "空调不制冷", "body": "三天了", "category_id": cooling});
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let t = json(&text)["id"].as_i64().unwrap();
    assert_eq!(json(&text)["category_id"].as_i64(), Some(cooling));
    let patch = r#"{"root_cause":"product_defect","remedy":{"code":"compensation","amount_minor":20000},"tags":["维修"],"classification":{"phase":"after_sale","place":"on_site"}}"#;
    let (res, text) = h
        .api("PATCH", &format!("/api/v1/tickets/{t}"), Some(&agent), Some(patch))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let v = json(&text);
    assert_eq!(
        (
            v["root_cause"].as_str(),
            v["remedy"].as_str(),
            v["compensation_minor"].as_i64()
        ),
        (Some("product_defect"), Some("compensation"), Some(20_000))
    );
    assert_eq!(v["classification"]["place"].as_str(), Some("on_site"));
    // Refused wholesale: compensation without an amount, an unknown cause, an unknown category.
    for bad in [
        r#"{"remedy":{"code":"compensation"},"subject":"changed"}"#,
        r#"{"root_cause":"bad_luck","subject":"changed"}"#,
        r#"{"category_id":999999,"subject":"changed"}"#,
    ] {
        let (res, text) = h
            .api("PATCH", &format!("/api/v1/tickets/{t}"), Some(&agent), Some(bad))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
    }
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{t}"), Some(&agent), None).await;
    assert_eq!(json(&text)["subject"].as_str(), Some("空调不制冷"), "nothing changed");
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{t}/activity"), Some(&agent), None)
        .await;
    assert!(text.contains("root_cause") && text.contains("compensation"), "{text}");
    // The page form: remedy refund of 199.50 yuan.
    let (cookie, csrf) = h.session(Role::Agent).await;
    let (res, _) = h
        .post_form(
            &format!("/tickets/{t}/resolution"),
            &cookie,
            format!("csrf={csrf}&root_cause=logistics&remedy=refund&amount=199.50"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{t}"), Some(&agent), None).await;
    assert_eq!(json(&text)["compensation_minor"].as_i64(), Some(19_950));
    let before = h.rows_except(&["sessions"]).await;
    let (res, page) = h
        .post_form(
            &format!("/tickets/{t}/resolution"),
            &cookie,
            format!("csrf={csrf}&remedy=apology&amount=5"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"amount\""), "the error names the amount");
    Harness::assert_unchanged(
        &before,
        &h.rows_except(&["sessions"]).await,
        "a resolution with a bad amount",
    );
    // Not an incident: no recovery log.
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{t}/recovery-steps"),
            Some(&agent),
            Some(r#"{"body":"x"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An incident: its recovery log, shared with the customer as a page, then revoked.
    let body =
        serde_json::json!({"customer_id": c, "kind": "incident", "subject": "城东片区停电", "body": "变电站故障"});
    let (_, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    let inc = json(&text)["id"].as_i64().unwrap();
    for step in ["抢修队已出发", "已切换备用线路 <script>alert(1)</script>"] {
        let b = serde_json::json!({"body": step}).to_string();
        let (res, text) = h
            .api(
                "POST",
                &format!("/api/v1/tickets/{inc}/recovery-steps"),
                Some(&agent),
                Some(&b),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    }
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{inc}/recovery-steps"),
            Some(&agent),
            Some(r#"{"body":"x","at":99999999999999}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a step in the future");
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/tickets/{inc}/recovery-steps"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(json(&text).as_array().unwrap().len(), 2);
    let (res, text) = h
        .api("POST", &format!("/api/v1/tickets/{inc}/share"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let link = json(&text)["path"].as_str().unwrap().to_owned();
    let (res, page) = h.get_page(&link, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("抢修队已出发") && page.contains("城东片区停电"));
    assert!(page.contains("已切换备用线路 &#60;script&#62;") && !page.contains("<script>alert"));
    assert!(!page.contains("变电站故障"), "the conversation is not shared");
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/tickets/{inc}/share"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (res, _) = h.get_page(&link, "").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a revoked link");
    // From the page: a step and a new link.
    let (res, _) = h
        .post_form(
            &format!("/tickets/{inc}/steps"),
            &cookie,
            format!("csrf={csrf}&body=%E5%B7%B2%E6%81%A2%E5%A4%8D%E4%BE%9B%E7%94%B5"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (res, page) = h
        .post_form(&format!("/tickets/{inc}/share"), &cookie, format!("csrf={csrf}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let start = page.find("/incident/").expect("the new link is shown");
    let link: String = page[start..].chars().take_while(|c| *c != '<').collect();
    let (res, page) = h.get_page(&link, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("已恢复供电"));
}

async fn commitments_api_and_page(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let promise = r#"{"title_en":"Complaints: first reply within 2 working hours","title_zh":"投诉 2 个工作小时内首次答复","metric":"first_response","kind":"complaint","within_minutes":120,"target_percent":90,"published":true}"#;
    let (res, text) = h
        .api("POST", "/api/v1/commitments", Some(&manager), Some(promise))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let id = json(&text)["id"].as_i64().unwrap();
    let hidden = r#"{"title_en":"Draft <b>promise</b>","title_zh":"草稿","metric":"resolution","within_minutes":1350,"target_percent":80}"#;
    let (res, _) = h.api("POST", "/api/v1/commitments", Some(&manager), Some(hidden)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for bad in [
        promise.replace("\"target_percent\":90", "\"target_percent\":0"),
        promise.replace("\"within_minutes\":120", "\"within_minutes\":0"),
        promise.replace("first_response", "next_week"),
        promise.replace("\"kind\":\"complaint\"", "\"kind\":\"rant\""),
    ] {
        let (res, text) = h.api("POST", "/api/v1/commitments", Some(&manager), Some(&bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
    }
    let (res, _) = h.api("POST", "/api/v1/commitments", Some(&agent), Some(promise)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = h
        .api("PUT", "/api/v1/commitments/999999", Some(&manager), Some(promise))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Two complaints: one answered at once (met), one not yet (still running, or missed if filed
    // out of hours and due later — never met), and an inquiry that the promise does not cover.
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"赵敏","kind":"end"}"#),
        )
        .await;
    let c = json(&text)["id"].as_i64().unwrap();
    let mut ids = vec![];
    for kind in ["complaint", "complaint", "inquiry"] {
        let body = serde_json::json!({"customer_id": c, "kind": kind, "subject": "s", "body": "b"}).to_string();
        let (_, text) = h.api("POST", "/api/v1/tickets", Some(&agent), Some(&body)).await;
        ids.push(json(&text)["id"].as_i64().unwrap());
    }
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{}/messages", ids[0]),
            Some(&agent),
            Some(r#"{"kind":"reply","body":"马上处理"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, text) = h.api("GET", "/api/v1/commitments", Some(&agent), None).await;
    let all = json(&text);
    let first = all
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"].as_i64() == Some(id))
        .unwrap()
        .clone();
    let a = &first["attainment"];
    assert_eq!(a["met"].as_u64(), Some(1), "{text}");
    assert_eq!(
        a["met"].as_u64().unwrap() + a["missed"].as_u64().unwrap() + a["running"].as_u64().unwrap(),
        2,
        "the inquiry is not counted"
    );

    // The public page: published promises only, escaped, with their share.
    let (res, page) = h.get_page("/commitments", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("投诉 2 个工作小时内首次答复") || page.contains("Complaints: first reply within 2 working hours")
    );
    assert!(
        !page.contains("Draft") && !page.contains("草稿"),
        "unpublished promises stay hidden"
    );
    assert!(page.contains("%"), "{page}");
    assert!(page.contains("(n = 1)"), "{page}");
    // The public page is measured at most once a minute, not per request…
    let (res, _) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{}/messages", ids[1]),
            Some(&agent),
            Some(r#"{"kind":"reply","body":"已安排"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, page) = h.get_page("/commitments", "").await;
    assert!(page.contains("(n = 1)"), "the kept figures: {page}");
    // …and at once after a manager changes a commitment.
    let (res, text) = h
        .api(
            "PUT",
            &format!("/api/v1/commitments/{id}"),
            Some(&manager),
            Some(promise),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let (_, page) = h.get_page("/commitments", "").await;
    assert!(page.contains("(n = 2)"), "measured again: {page}");
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/commitments/{id}"), Some(&manager), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, page) = h.get_page("/commitments", "").await;
    assert!(page.contains("id=\"no-commitments\""), "the empty state explains");
}

async fn macros_and_saved_views(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let manager = h.token(Role::Manager).await;
    let body = r#"{"title_en":"Visit booked","title_zh":"已预约上门","body_en":"Dear {customer}, about {reference}: a technician will call you.","body_zh":"{customer}您好，关于 {reference}：师傅会先给您打电话。<b>谢谢</b>","status":"pending","tags":["上门"]}"#;
    let (res, text) = h.api("POST", "/api/v1/macros", Some(&manager), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let m = json(&text)["id"].as_i64().unwrap();
    let (res, _) = h.api("POST", "/api/v1/macros", Some(&agent), Some(body)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/macros",
            Some(&manager),
            Some(&body.replace("\"pending\"", "\"sleeping\"")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "an unknown status");

    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"孙丽","kind":"end"}"#),
        )
        .await;
    let c = json(&text)["id"].as_i64().unwrap();
    let t = serde_json::json!({"customer_id": c, "kind": "request", "subject": "安装", "body": "请安排", "language": "zh-CN"});
    let (_, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&t.to_string()))
        .await;
    let t = json(&text)["id"].as_i64().unwrap();
    let reference = json(&text)["reference"].as_str().unwrap().to_owned();

    // On the page, the macro fills the reply box (escaped) in the ticket's language.
    let (cookie, _) = h.session(Role::Agent).await;
    let (res, page) = h.get_page(&format!("/tickets/{t}?macro={m}"), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains(&format!(
            "孙丽您好，关于 {reference}：师傅会先给您打电话。&#60;b&#62;谢谢"
        )),
        "{page}"
    );
    // Through the API it is sent, with its actions: the tag and the status.
    let (res, text) = h
        .api("POST", &format!("/api/v1/tickets/{t}/macros/{m}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let v = json(&text);
    assert_eq!(v["status"].as_str(), Some("pending"));
    assert!(v["tags"].as_array().unwrap().iter().any(|x| x == "上门"));
    let (_, text) = h
        .api("GET", &format!("/api/v1/tickets/{t}/messages"), Some(&agent), None)
        .await;
    assert!(text.contains("师傅会先给您打电话"), "{text}");

    // Saved views: mine, a shared one from a manager, refused ones.
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/views",
            Some(&agent),
            Some(r#"{"name":"我的待处理","query":"status=pending&mine=1"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let mine = json(&text)["id"].as_i64().unwrap();
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/views",
            Some(&agent),
            Some(r#"{"name":"x","query":"status=open","shared":true}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "agents do not share views");
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/views",
            Some(&agent),
            Some(r#"{"name":"x","query":"a=<script>"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/views",
            Some(&manager),
            Some(r#"{"name":"全部投诉","query":"status=all","shared":true}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, text) = h.api("GET", "/api/v1/views", Some(&agent), None).await;
    assert_eq!(json(&text).as_array().unwrap().len(), 2, "{text}");
    let (_, page) = h.get_page("/tickets", &cookie).await;
    assert!(
        page.contains("href=\"/tickets?status=pending&#38;mine=1\"")
            || page.contains("href=\"/tickets?status=pending&amp;mine=1\""),
        "{page}"
    );
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/views/{mine}"), Some(&manager), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another's private view");
    let (res, _) = h
        .api("DELETE", &format!("/api/v1/views/{mine}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

async fn customer_portal_pages(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    // A retailer with a portal account, a consumer beneath it, and a stranger.
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"东城门店","kind":"intermediate","email":"shop@example.cn"}"#),
        )
        .await;
    let shop = json(&text)["id"].as_i64().unwrap();
    let body = format!(r#"{{"name":"刘洋","kind":"end","parent_id":{shop}}}"#);
    let (_, text) = h.api("POST", "/api/v1/customers", Some(&agent), Some(&body)).await;
    let consumer = json(&text)["id"].as_i64().unwrap();
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"陌生人","kind":"end"}"#),
        )
        .await;
    let stranger = json(&text)["id"].as_i64().unwrap();
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}/contacts"), Some(&agent), None)
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some(r#"{"password":"a long enough password"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let user = json(&text)["user_id"].as_i64().unwrap();
    let mut ids = vec![];
    for (c, subject) in [(consumer, "为刘洋报修 <i>x</i>"), (stranger, "别人的事")] {
        let b = serde_json::json!({"customer_id": c, "kind": "request", "subject": subject, "body": "b"}).to_string();
        let (_, text) = h.api("POST", "/api/v1/tickets", Some(&agent), Some(&b)).await;
        ids.push(json(&text)["id"].as_i64().unwrap());
    }
    h.app
        .add_to_ticket(
            &kefu_app::Actor::Cli,
            ids[0],
            kefu_app::tickets::Addition::Note {
                body: "内部备注".into(),
            },
        )
        .await
        .unwrap();

    let (cookie, csrf) = h.session_of(user).await;
    let (res, _) = h.get_page("/", &cookie).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "home is the list of requests");
    let (res, page) = h.get_page("/my/requests", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("为刘洋报修 &#60;i&#62;x"),
        "the consumer's request is the shop's to see: {page}"
    );
    assert!(!page.contains("别人的事"));
    let (res, page) = h.get_page(&format!("/my/requests/{}", ids[0]), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!page.contains("内部备注"), "internal notes stay internal");
    let (res, _) = h.get_page(&format!("/my/requests/{}", ids[1]), &cookie).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A new request, and an answer; a bad one changes nothing; staff pages stay closed.
    let (res, _) = h
        .post_form("/my/requests", &cookie, format!("csrf={csrf}&kind=complaint&subject=%E9%80%81%E8%B4%A7%E5%A4%AA%E6%85%A2&body=%E4%B8%89%E5%A4%A9%E4%BA%86"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let (_, page) = h.get_page(&location, &cookie).await;
    assert!(page.contains("送货太慢"), "{page}");
    let (res, page) = h
        .post_form(
            "/my/requests",
            &cookie,
            format!("csrf={csrf}&kind=complaint&subject=&body=x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"subject\""));
    let (res, _) = h
        .post_form(
            &format!("/my/requests/{}", ids[0]),
            &cookie,
            format!("csrf={csrf}&body=%E8%B0%A2%E8%B0%A2"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (res, _) = h
        .post_form(&format!("/my/requests/{}", ids[0]), &cookie, "body=x".into())
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/tickets/{}/messages", ids[0]),
            Some(&agent),
            None,
        )
        .await;
    assert!(text.contains("谢谢"));
    let (res, _) = h.get_page("/tickets", &cookie).await;
    assert_ne!(res.status(), StatusCode::OK, "the agent queue is not for customers");
}

/// A SERVQUAL survey through the API: create (bad designs refused, nothing created), read, links,
/// the item bank, and the report's JSON.
async fn surveys_api(h: &Harness) {
    let t = h.token(Role::Manager).await;
    let body = r#"{"title": "2026 年度服务质量调查", "importance": true, "overall": true,
        "weights": {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}}"#;
    let (res, out) = h.api("POST", "/api/v1/surveys", Some(&t), Some(body)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = s["id"].as_i64().unwrap();
    assert_eq!(s["kind"], "servqual");
    assert_eq!(s["items"].as_array().unwrap().len(), 22);
    assert_eq!(s["items"][4]["dimension"], "reliability");
    assert_eq!(s["weights"]["reliability"], 30);

    for bad in [
        r#"{"title": "x", "weights": {"tangibles": 50, "reliability": 60}}"#,
        r#"{"title": "x", "kind": "poll"}"#,
        r#"{"title": "x", "colour": "red"}"#,
        r#"{"title": ""}"#,
    ] {
        let (res, out) = h.api("POST", "/api/v1/surveys", Some(&t), Some(bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {out}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json", "{bad}");
    }
    let (res, out) = h.api("GET", "/api/v1/surveys", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "bad designs created nothing"
    );
    assert_eq!(list["items"][0]["answered"], 0);
    let agent = h.token(Role::Agent).await;
    let (res, _) = h.api("GET", "/api/v1/surveys", Some(&agent), None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = h.api("GET", "/api/v1/surveys/987654", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, out) = h.api("GET", &format!("/api/v1/surveys/{id}"), Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");

    // Links for customers; an unknown customer makes none.
    let c = h
        .app
        .create_customer(
            &kefu_app::Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: "王芳".into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (res, out) = h
        .api(
            "POST",
            &format!("/api/v1/surveys/{id}/links"),
            Some(&t),
            Some(&format!(r#"{{"customer_ids": [{}, 987654]}}"#, c.id)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert!(out.contains("customer_ids[1]"), "{out}");
    let (res, out) = h
        .api(
            "POST",
            &format!("/api/v1/surveys/{id}/links"),
            Some(&t),
            Some(&format!(r#"{{"customer_ids": [{}], "expires_in_days": 7}}"#, c.id)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    let link = &links["links"][0];
    assert_eq!(link["customer_id"], c.id);
    assert_eq!(link["language"], "zh-CN");
    let token = link["token"].as_str().unwrap();
    assert_eq!(link["path"], format!("/s/{token}"));

    // The respondent's side of the API: no sign-in, the token is the credential.
    let asked_path = format!("/api/v1/survey-answers/{token}");
    let (res, out) = h.api("GET", &asked_path, None, None).await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let asked: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (asked["language"].as_str(), asked["answered"].as_bool()),
        (Some("zh-CN"), Some(false))
    );
    assert_eq!(asked["items"].as_array().unwrap().len(), 22);
    assert_eq!(asked["dimensions"]["tangibles"], "有形性");
    assert!(asked["items"][0]["expectation"].as_str().unwrap().contains("现代化"));
    let mut e = serde_json::Map::new();
    let mut p = serde_json::Map::new();
    for i in 1..=22 {
        e.insert(format!("Q{i}"), 7.into());
        p.insert(format!("Q{i}"), (if i % 2 == 0 { 5 } else { 6 }).into());
    }
    for (bad, status) in [
        (
            r#"{"answers": {"perception": {"Q1": 9}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            r#"{"answers": {"perception": {"Q99": 3}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (r#"{"answers": {}, "colour": 1}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"answers": {"allocation": {"tangibles": 30}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (res, out) = h.api("POST", &asked_path, None, Some(bad)).await;
        assert_eq!(res.status(), status, "{bad}: {out}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json", "{bad}");
    }
    let partial = serde_json::json!({"answers": {"perception": {"Q1": 4}}, "final": false}).to_string();
    let (res, out) = h.api("POST", &asked_path, None, Some(&partial)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    assert!(out.contains("\"partial\":true"), "{out}");
    let (_, out) = h.api("GET", &asked_path, None, None).await;
    assert!(out.contains("\"saved\":{\"perception\":{\"Q1\":4}}"), "{out}");
    let full = serde_json::json!({"answers": {"expectation": e, "perception": p}, "comment": "<script>x</script>"})
        .to_string();
    let (res, out) = h.api("POST", &asked_path, None, Some(&full)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let (res, _) = h.api("POST", &asked_path, None, Some(&full)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "one final answer per token");
    let (res, _) = h
        .api("POST", "/api/v1/survey-answers/not-a-token", None, Some(&full))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A campaign over the API: created with its plan, run, its links as JSON and CSV.
    let (res, out) = h
        .api(
            "POST",
            &format!("/api/v1/surveys/{id}/campaigns"),
            Some(&t),
            Some(r#"{"name": "回访", "sample_size": 5, "fatigue_days": 0, "invite_by_email": false}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cid = created["campaign"]["id"].as_i64().unwrap();
    assert!(created["plan"]["eligible"].as_u64().unwrap() >= 1, "{out}");
    for bad in [
        r#"{"name": "x", "sample_size": 5, "margin": 0.05}"#,
        r#"{"name": "x", "recurrence": "weekly"}"#,
        r#"{"name": "x", "frame": {"tiers": ["Z"]}}"#,
        r#"{"name": "x", "colour": "red"}"#,
    ] {
        let (res, out) = h
            .api("POST", &format!("/api/v1/surveys/{id}/campaigns"), Some(&t), Some(bad))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {out}");
    }
    let (res, out) = h
        .api("POST", &format!("/api/v1/campaigns/{cid}/run"), Some(&t), Some("{}"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let ran: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ran["run"], 1);
    let n = ran["links"].as_u64().unwrap();
    assert!(n >= 1);
    // The run hands its links out once; the list read later has no URLs (kefu keeps hashes).
    assert_eq!(ran["items"].as_array().unwrap().len() as u64, n, "{out}");
    let first_url = ran["items"][0]["url"].as_str().unwrap().to_owned();
    assert!(first_url.starts_with("/s/"), "{out}");
    let (res, out) = h
        .api("GET", &format!("/api/v1/campaigns/{cid}/links"), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let l: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(l["items"].as_array().unwrap().len() as u64, n);
    assert_eq!(l["items"][0]["url"].as_str(), Some(""), "{out}");
    // Issued again: a new URL, and the one handed out before no longer opens.
    let (res, out) = h
        .api("POST", &format!("/api/v1/campaigns/{cid}/links"), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let new_url = json(&out)["items"][0]["url"].as_str().unwrap().to_owned();
    assert!(new_url.starts_with("/s/") && new_url != first_url, "{out}");
    let old_token = first_url.trim_start_matches("/s/");
    let (res, _) = h
        .api("GET", &format!("/api/v1/survey-answers/{old_token}"), None, None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the old link stopped working");
    let new_token = new_url.trim_start_matches("/s/");
    let (res, out) = h
        .api("GET", &format!("/api/v1/survey-answers/{new_token}"), None, None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let (res, out) = h
        .api(
            "GET",
            &format!("/api/v1/campaigns/{cid}/links?format=csv&run=1"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(out.starts_with("\u{feff}run,customer_external_id"), "{out}");
    let (res, _) = h
        .api(
            "GET",
            &format!("/api/v1/campaigns/{cid}/links?format=pdf"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (res, _) = h.api("GET", "/api/v1/campaigns/987654", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, _) = h
        .api("GET", &format!("/api/v1/campaigns/{cid}"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let slug = s["slug"].as_str().unwrap().to_owned();
    assert_eq!(slug, format!("survey-{id}"));
    let (res, out) = h
        .api("GET", &format!("/api/v1/surveys/{slug}/report"), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    assert!(out.contains("\"n_responses\":1"), "{out}");
    let (res, out) = h
        .api("GET", &format!("/api/v1/surveys/{id}/report"), Some(&t), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["n_responses"], 1);
    assert_eq!(r["items"][0]["code"], "Q1");
    assert_eq!(r["items"][0]["gap_mean"], -1.0);
    assert!(r["items"][0]["gap_ci95"].is_null(), "one respondent: no interval");
    assert_eq!(r["dimensions"][0]["code"], "tangibles");
    // 0.1 × −1.5 + 0.3 × −1.4 + 0.2 × (−1.5 − 1.5 − 1.6)
    assert!(
        (r["servqual"]["weighted_manager"].as_f64().unwrap() + 1.49).abs() < 1e-12,
        "{out}"
    );
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["field"].as_str().unwrap().contains("alpha_p")),
        "{out}"
    );
    let (res, _) = h
        .api(
            "GET",
            &format!("/api/v1/surveys/{id}/report?segment=colour:red"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (res, out) = h
        .api(
            "GET",
            &format!("/api/v1/surveys/{id}/report?segment=tier:none&from=2000-01"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    assert_eq!(r["trend"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(r["trend"][0]["n"], 1);

    // The lowest items with what the respondent said beside them.
    let (res, out) = h
        .api(
            "GET",
            &format!("/api/v1/surveys/{slug}/lowest-items?n=2"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    let low: serde_json::Value = serde_json::from_str(&out).unwrap();
    let low = low["items"].as_array().unwrap();
    assert_eq!(low.len(), 2, "{out}");
    assert!(low[0]["score"].as_f64().unwrap() <= low[1]["score"].as_f64().unwrap());
    assert_eq!(low[0]["comments"][0], "<script>x</script>", "{out}");
    for bad in ["n=0", "n=23", "n=x", "colour=red"] {
        let (res, out) = h
            .api(
                "GET",
                &format!("/api/v1/surveys/{id}/lowest-items?{bad}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {out}");
    }
    let (res, _) = h
        .api("GET", &format!("/api/v1/surveys/{id}/lowest-items"), Some(&agent), None)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The item bank: read, edit wording (all or nothing).
    let (res, out) = h.api("GET", "/api/v1/survey-items", Some(&t), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let bank: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(bank["items"].as_array().unwrap().len(), 22);
    assert_eq!(bank["dimensions"][4]["name_zh"], "移情性");
    let (res, _) = h
        .api(
            "PATCH",
            "/api/v1/survey-items",
            Some(&t),
            Some(r#"{"items": [{"code": "Q1", "perception_en": "Changed"}, {"code": "Q99", "perception_en": "x"}]}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, out) = h.api("GET", "/api/v1/survey-items", Some(&t), None).await;
    assert!(!out.contains("Changed"), "nothing changed");
    // An over-long wording is `too_long`, an empty one `required`, each naming its item; neither
    // lets the good edit before it through.
    for (bad, code) in [("长".repeat(501), "too_long"), ("  ".to_owned(), "required")] {
        let body = serde_json::json!({"items": [{"code": "Q1", "perception_en": "Changed"},
            {"code": "Q2", "perception_zh": bad}]});
        let (res, text) = h
            .api("PATCH", "/api/v1/survey-items", Some(&t), Some(&body.to_string()))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        let problem = json(&text);
        assert_eq!(problem["errors"][0]["code"].as_str(), Some(code), "{text}");
        assert_eq!(
            problem["errors"][0]["field"].as_str(),
            Some("items[1].perception_zh"),
            "{text}"
        );
        let (_, out) = h.api("GET", "/api/v1/survey-items", Some(&t), None).await;
        assert!(!out.contains("Changed"), "nothing changed");
    }
    let (res, out) = h
        .api(
            "PATCH",
            "/api/v1/survey-items",
            Some(&t),
            Some(r#"{"items": [{"code": "Q1", "perception_en": "XYZ has up-to-date equipment."}]}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{out}");
    assert!(out.contains("XYZ has up-to-date equipment."));
}

/// The public answer page: the link's language and the switch, CSRF, partial save, a bad answer,
/// the final answer and a second one refused, opt-out, unknown and expired tokens; the staff list and
/// report pages in both languages with a hostile comment shown escaped.
async fn survey_answer_page_and_report(h: &Harness) {
    let manager = kefu_app::Actor::Cli;
    let view = h
        .app
        .create_survey(
            &manager,
            kefu_app::surveys::SurveyInput {
                kind: "servqual".into(),
                title: "服务质量调查 <b>2026</b>".into(),
                importance: true,
                overall: true,
                comment: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = view.survey.id;
    let make = || async {
        h.app
            .make_survey_links(&manager, id, kefu_app::surveys::LinkRequest::default())
            .await
            .unwrap()
            .remove(0)
            .token
    };
    let token = make().await;
    let pre = "p".repeat(40);
    let cookie = format!("kefu_csrf={pre}");
    let path = format!("/s/{token}");

    // The link's language (zh-CN), the placeholders filled, the CSRF value.
    let (res, page) = h.get_page(&path, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("survey-form") && page.contains("name=\"csrf\""));
    assert!(page.contains("优秀的企业拥有现代化的设备。"), "zh-CN wording");
    assert!(page.contains("name=\"e_Q22\"") && page.contains("name=\"p_Q22\"") && page.contains("name=\"w_empathy\""));
    assert!(
        page.contains("2026") && !page.contains("<b>2026"),
        "the title is escaped"
    );
    // A first visit: the form carries the same value as the cookie it is given.
    let set: Vec<String> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|c| {
            c.to_str()
                .ok()?
                .strip_prefix("kefu_csrf=")?
                .split(';')
                .next()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(set.len(), 1, "a pre-session CSRF cookie");
    assert!(
        page.contains(&format!("name=\"csrf\" value=\"{}\"", set[0])),
        "the form and the cookie agree"
    );
    // The respondent switched to English.
    let (_, page) = h.get_page(&path, &format!("{cookie}; kefu_lang=en")).await;
    assert!(
        page.contains("Excellent companies will have modern-looking equipment."),
        "en wording"
    );

    // Without the CSRF value: refused, nothing saved.
    let (res, _) = h.post_form(&path, &cookie, "action=save&e_Q1=7".into()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = h.post_form(&path, "", format!("csrf={pre}&action=save&e_Q1=7")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "the cookie half is missing");
    assert!(h.app.survey_for_token(&token).await.unwrap().response.is_none());

    // A partial save, kept.
    let (res, _) = h
        .post_form(
            &path,
            &cookie,
            format!("csrf={pre}&action=save&e_Q1=7&p_Q1=5&w_tangibles=30"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&format!("{path}?done=survey_saved"), &cookie).await;
    assert!(
        page.contains("value=\"7\" checked") && page.contains("value=\"30\""),
        "the saved answers are shown"
    );
    assert!(page.contains("role=\"status\""), "the saved message");

    // Bad answers: the form again with the error; nothing final.
    for bad in ["p_Q2=9", "p_Q2=abc", "w_tangibles=50&w_empathy=20"] {
        let (res, page) = h
            .post_form(&path, &cookie, format!("csrf={pre}&action=submit&e_Q1=7&p_Q1=5&{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(page.contains("role=\"alert\"") && page.contains("survey-form"), "{bad}");
    }
    assert!(!h.app.survey_for_token(&token).await.unwrap().answered());

    // The final answer, with a hostile comment.
    let mut form = format!(
        "csrf={pre}&action=submit&overall=6&comment={}",
        enc("<script>alert(1)</script> 太慢了")
    );
    for i in 1..=22 {
        form.push_str(&format!("&e_Q{i}=7&p_Q{i}={}", 3 + i % 4));
    }
    for (d, w) in [
        ("tangibles", 10),
        ("reliability", 30),
        ("responsiveness", 20),
        ("assurance", 20),
        ("empathy", 20),
    ] {
        form.push_str(&format!("&w_{d}={w}"));
    }
    let (res, out) = h.post_form(&path, &cookie, form.clone()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{out}");
    let (_, page) = h.get_page(&path, &cookie).await;
    assert!(page.contains("data-state=\"thanks\""));
    let (res, _) = h.post_form(&path, &cookie, form).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "one final answer per token");

    // Opt-out: a GET only asks; the POST (with CSRF) records it.
    let other = make().await;
    let (res, page) = h.get_page(&format!("/s/{other}/opt-out"), &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("opt-out-form"));
    let (res, _) = h
        .post_form(&format!("/s/{other}/opt-out"), &cookie, String::new())
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, page) = h
        .post_form(&format!("/s/{other}/opt-out"), &cookie, format!("csrf={pre}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("data-state=\"opted_out\""));
    let (_, page) = h.get_page(&format!("/s/{other}"), &cookie).await;
    assert!(page.contains("data-state=\"opted_out\""));

    // Unknown and expired tokens: not found.
    let now = kefu_app::now_ms();
    h.app
        .store()
        .create_survey_links(&[kefu_app::testing::store::NewSurveyLink {
            survey_id: id,
            token_hash: kefu_app::auth::sha256_hex("expired-token-expired-token"),
            customer_id: None,
            contact_id: None,
            ticket_id: None,
            language: "en".into(),
            expires_at: now - 1,
            campaign_id: None,
            user_id: None,
            now: now - 10,
        }])
        .await
        .unwrap();
    for t in ["no-such-token", "expired-token-expired-token"] {
        let (res, _) = h.get_page(&format!("/s/{t}"), "").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{t}");
        let (res, _) = h
            .post_form(&format!("/s/{t}"), &cookie, format!("csrf={pre}&action=submit&p_Q1=5"))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{t}");
    }

    // The staff pages, in both languages; the hostile comment is text.
    for (lang, heading) in [("en", "Dimensions"), ("zh-CN", "维度")] {
        let (session, _) = h.session(Role::Manager).await;
        let c = format!("{session}; kefu_lang={lang}");
        let (res, list) = h.get_page("/surveys", &c).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(list.contains(&format!("/surveys/{id}")) && list.contains("2026") && !list.contains("<b>2026"));
        let (res, report) = h.get_page(&format!("/surveys/{id}"), &c).await;
        assert_eq!(res.status(), StatusCode::OK, "{report}");
        assert!(report.contains(heading), "{lang}");
        assert!(report.contains("id=\"n-responses\">1<"));
        assert!(report.contains("data-dimension=\"empathy\"") && report.contains("data-item=\"Q22\""));
        assert!(
            report.contains("alert(1)") && !report.contains("<script>alert"),
            "escaped"
        );
        assert!(!report.contains("<b>2026"));
        // The charts: the gap bars with intervals, the month's trend row.
        assert!(report.contains("<svg id=\"gap-chart\""), "the gap chart");
        assert_eq!(report.matches("opacity=\"0.8\"").count(), 5, "a bar per dimension");
        assert!(report.contains("id=\"trend\""), "the trend table");
        assert!(report.contains("id=\"lowest\""), "the lowest items");
    }
    let (session, _) = h.session(Role::Agent).await;
    let (res, _) = h.get_page(&format!("/surveys/{id}"), &session).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A manager creates a survey and makes links from the pages.
    let (session, csrf) = h.session(Role::Manager).await;
    let before = h.app.store().list_surveys().await.unwrap().len();
    let (res, page) = h
        .post_form("/surveys", &session, format!("csrf={csrf}&title=&kind=servqual"))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"title\""));
    assert_eq!(h.app.store().list_surveys().await.unwrap().len(), before);
    let (res, _) = h
        .post_form(
            "/surveys",
            &session,
            format!(
                "csrf={csrf}&title={}&kind=servqual&language=en&importance=1&overall=1&competitor={}",
                enc("门店回访"),
                enc("海尔 <b>")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.contains("done=survey_created"), "{to}");
    let new_id = h.app.store().list_surveys().await.unwrap()[0].0.id;
    let (res, page) = h.get_page(&to, &session).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("survey-links-form"));
    let (res, page) = h
        .post_form(
            &format!("/surveys/{new_id}/links"),
            &session,
            format!("csrf={csrf}&count=3&customer_ids=&expires_in_days=7&language="),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{page}");
    assert_eq!(page.matches("class=\"survey-link\"").count(), 3);
    let first = page
        .split("class=\"survey-link\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (res, answer) = h.get_page(first, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        answer.contains("Excellent companies will have modern-looking equipment."),
        "the survey's language"
    );
    assert!(
        answer.contains("id=\"competitor\"") && answer.contains("海尔 &#60;b&#62; has modern-looking equipment."),
        "the competitor's battery, its name escaped"
    );
    // Answered through the page with the competitor's ratings: the report shows the benchmark.
    let pre = "q".repeat(40);
    let mut form = format!("csrf={pre}&action=submit");
    for i in 1..=22 {
        form.push_str(&format!("&e_Q{i}=7&p_Q{i}=5&c_Q{i}=4"));
    }
    let (res, body) = h.post_form(first, &format!("kefu_csrf={pre}"), form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{body}");
    let (_, report) = h.get_page(&format!("/surveys/{new_id}"), &session).await;
    assert!(report.contains("id=\"benchmark\""), "the benchmark table");
    assert!(
        report.contains("<svg id=\"benchmark-chart\"") && report.contains("fill=\"#2e7d32\" opacity=\"0.8\"><title>"),
        "the P − C chart, a positive bar"
    );
    assert!(
        report.contains("<td class=\"num\">4.00</td><td class=\"num\">1.00</td>"),
        "C 4, P − C 1"
    );

    // Campaigns from the pages: the calculator, a bad campaign kept with its error, one created,
    // run, paused, and its links downloaded as CSV.
    for i in 0..3 {
        h.app
            .create_customer(
                &kefu_app::Actor::Cli,
                kefu_app::customers::CustomerInput {
                    name: format!("回访客户{i} <i>"),
                    kind: "end".into(),
                    phone: Some(format!("1380013800{i}")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let path = format!("/surveys/{new_id}/campaigns");
    let (res, page) = h.get_page(&format!("{path}?rate=50"), &session).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"sample-sizes\"") && page.contains("value=\"50\""),
        "{page}"
    );
    assert!(page.contains("class=\"empty\""), "an empty state that explains");
    let (res, page) = h
        .post_form(
            &path,
            &session,
            format!("csrf={csrf}&name={}&mode=margin&margin=&recurrence=once", enc("回访")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-field=\"margin\""), "{page}");
    assert!(page.contains("value=\"回访\""), "the form keeps what was typed");
    let (res, _) = h
        .post_form(
            &path,
            &session,
            format!(
                "csrf={csrf}&name={}&kind=end&mode=size&sample_size=2&response_rate=40&fatigue_days=0&expires_in_days=7&recurrence=once",
                enc("门店回访 <b>")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&format!("{path}?done=campaign_created"), &session).await;
    assert!(
        page.contains("门店回访 &#60;b&#62;") && !page.contains("门店回访 <b>"),
        "escaped"
    );
    let cid = h.app.store().list_campaigns(Some(new_id)).await.unwrap()[0].id;
    let (res, run_csv) = h
        .post_form(
            &format!("/surveys/campaigns/{cid}/run"),
            &session,
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "the run answers with its link list");
    assert_eq!(run_csv.lines().count(), 3, "{run_csv}");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let (res, csv) = h
        .post_form(
            &format!("/surveys/campaigns/{cid}/links.csv"),
            &session,
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(csv.lines().count(), 3, "a header and two links: {csv}");
    assert!(csv.contains("回访客户") && csv.contains(",/s/"), "{csv}");
    let urls = |csv: &str| -> Vec<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(7).unwrap().to_owned())
            .collect()
    };
    assert!(
        urls(&csv).iter().zip(urls(&run_csv)).all(|(a, b)| *a != b),
        "issued again: new links ({csv} vs {run_csv})"
    );
    let (res, _) = h
        .post_form(
            &format!("/surveys/campaigns/{cid}/status"),
            &session,
            format!("csrf={csrf}&active=0"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.app.store().get_campaign(cid).await.unwrap().status, "paused");
    let (res, _) = h
        .post_form(&format!("/surveys/campaigns/{cid}/run"), &session, "csrf=wrong".into())
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "CSRF");
    let (agent, _) = h.session(Role::Agent).await;
    let (res, _) = h.get_page(&path, &agent).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn customers_downstream_pages(h: &Harness) {
    let t = h.token(Role::Agent).await;
    let create = |body: serde_json::Value| {
        let t = t.clone();
        async move {
            let (res, text) = h
                .api("POST", "/api/v1/customers", Some(&t), Some(&body.to_string()))
                .await;
            assert_eq!(res.status(), StatusCode::CREATED, "{text}");
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
                .as_i64()
                .unwrap()
        }
    };
    let agent = create(serde_json::json!({"name": "华南总代理", "kind": "intermediate"})).await;
    let shop = create(serde_json::json!({"name": "广州门店", "kind": "intermediate", "parent_id": agent})).await;
    let mut people = vec![];
    for i in 0..5 {
        people.push(create(serde_json::json!({"name": format!("顾客{i}"), "kind": "end", "parent_id": shop})).await);
    }
    let get = |path: String| {
        let t = t.clone();
        async move {
            let (res, text) = h.api("GET", &path, Some(&t), None).await;
            (res.status(), serde_json::from_str::<serde_json::Value>(&text).unwrap())
        }
    };
    // End customers under the agent, two at a time, by id, through the cursor.
    let mut seen = vec![];
    let mut path = format!("/api/v1/customers/{agent}/downstream?kind=end&limit=2");
    loop {
        let (status, page) = get(path.clone()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/customers/{agent}/downstream?kind=end&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, people);
    let (_, page) = get(format!("/api/v1/customers/{agent}/downstream?kind=intermediate")).await;
    assert_eq!(page["items"][0]["id"].as_i64(), Some(shop));
    let (_, page) = get(format!("/api/v1/customers/{agent}/downstream")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 6);
    let (_, page) = get(format!("/api/v1/customers/{}/downstream", people[0])).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    for (path, want) in [
        (
            format!("/api/v1/customers/{agent}/downstream?kind=vip"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/api/v1/customers/{agent}/downstream?cursor=nope"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/api/v1/customers/{agent}/downstream?limit=0"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/api/v1/customers/{agent}/downstream?sort=name"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/api/v1/customers/999999/downstream".to_owned(), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(get(path.clone()).await.0, want, "{path}");
    }
}

/// Calendars, SLA policies and routing rules through the API: checked whole (nothing changes on an
/// error), used by the next ticket, and for managers only.
async fn service_levels_api(h: &Harness) {
    let admin = h.token(Role::Admin).await;
    let manager = h.token(Role::Manager).await;
    let agent = h.token(Role::Agent).await;
    // A calendar from its file; broken files are refused and change nothing.
    let shop = "time_zone = \"Asia/Shanghai\"\nholidays = [\"2026-10-01\"]\n[week]\nmon = [\"09:00-12:00\", \"13:00-18:00\"]\nsat = [\"10:00-16:00\"]\n";
    let put_calendar = |token: String, name: &'static str, body: String| async move {
        h.send(
            axum::http::Request::builder()
                .method("PUT")
                .uri(format!("/api/v1/calendars/{name}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/toml")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await
    };
    let (res, text) = put_calendar(manager.clone(), "shop-hours", shop.into()).await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let calendar = json(&text)["id"].as_i64().unwrap();
    for bad in [
        shop.replace("Asia/Shanghai", "Mars/Olympus"),
        shop.replace("13:00-18:00", "11:00-18:00"),
        shop.replace("2026-10-01", "2026-13-01"),
        "time_zone = ".into(),
    ] {
        let (res, text) = put_calendar(manager.clone(), "shop-hours", bad.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
        assert!(
            json(&text)["errors"][0]["field"].is_string(),
            "the field is named: {text}"
        );
    }
    let (res, _) = put_calendar(manager.clone(), "bad%20name", shop.into()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (res, _) = put_calendar(agent.clone(), "shop-hours", shop.into()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, text) = h.api("GET", "/api/v1/calendars", Some(&manager), None).await;
    let list = json(&text);
    assert_eq!(list["items"][0]["is_default"], true, "{text}");
    let mine = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "shop-hours")
        .unwrap();
    assert_eq!(mine["toml"], shop, "the last good file is kept");

    // A policy for urgent complaints on that calendar.
    let policy = format!(
        r#"{{"name": "紧急投诉", "scope": {{"kind": "complaint", "priority": "urgent"}}, "targets": {{"first_response_minutes": 30, "resolution_minutes": 480}}, "calendar_id": {calendar}, "dimension": "reliability", "raise_priority_on_breach": true}}"#
    );
    let (res, text) = h
        .api("POST", "/api/v1/sla-policies", Some(&manager), Some(&policy))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let p = json(&text);
    let policy_id = p["id"].as_i64().unwrap();
    assert_eq!(p["targets"]["warn_share"], 0.8);
    assert_eq!(p["raise_priority_on_breach"], true);
    let (res, _) = h
        .api("POST", "/api/v1/sla-policies", Some(&manager), Some(&policy))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "a name in use");
    for (bad, field) in [
        (
            policy.replace("\"first_response_minutes\": 30", "\"first_response_minutes\": 0"),
            "first_response_minutes",
        ),
        (
            policy.replace(
                "\"resolution_minutes\": 480",
                "\"resolution_minutes\": 480, \"warn_share\": 1.5",
            ),
            "warn_share",
        ),
        (policy.replace("reliability", "speed"), "dimension"),
        (
            policy.replace(&format!("\"calendar_id\": {calendar}"), "\"calendar_id\": 999999"),
            "calendar_id",
        ),
        (policy.replace("紧急投诉", " "), "name"),
        (policy.replace("\"kind\": \"complaint\"", "\"kind\": \"rant\""), ""),
        (policy.replace("\"dimension\"", "\"colour\""), ""),
    ] {
        let (res, text) = h.api("POST", "/api/v1/sla-policies", Some(&manager), Some(&bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
        assert!(text.contains(field), "{field}: {text}");
    }
    let (res, _) = h.api("POST", "/api/v1/sla-policies", Some(&agent), Some(&policy)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, text) = h.api("GET", "/api/v1/sla-policies", Some(&manager), None).await;
    assert_eq!(
        json(&text)["items"].as_array().unwrap().len(),
        2,
        "the default and the new one: {text}"
    );

    // Routing: phone tickets to a department of their own, high priority, tagged.
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/departments",
            Some(&admin),
            Some(r#"{"name": "热线组"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let hotline = json(&text)["id"].as_i64().unwrap();
    let rules = format!(
        r#"{{"items": [{{"name": "电话来的", "conditions": {{"channel": ["phone"]}}, "actions": {{"department": {hotline}, "priority": "high", "tags": ["热线"]}}}}]}}"#
    );
    let (res, text) = h
        .api("PUT", "/api/v1/routing-rules", Some(&manager), Some(&rules))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    for (bad, field) in [
        (
            rules.replace(&format!("\"department\": {hotline}"), "\"department\": 999999"),
            "rules[0].actions.department",
        ),
        (rules.replace("\"channel\": [\"phone\"]", "\"channel\": [\"fax\"]"), ""),
        (rules.replace("\"tags\"", "\"labels\""), ""),
        (
            rules.replace(
                "\"conditions\": {\"channel\": [\"phone\"]}",
                "\"conditions\": {\"category\": [999999]}",
            ),
            "rules[0].conditions.category",
        ),
    ] {
        let (res, text) = h.api("PUT", "/api/v1/routing-rules", Some(&manager), Some(&bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {text}");
        assert!(text.contains(field), "{field}: {text}");
    }
    let (_, text) = h.api("GET", "/api/v1/routing-rules", Some(&manager), None).await;
    assert_eq!(
        json(&text)["items"][0]["actions"]["department"],
        hotline,
        "unchanged: {text}"
    );
    let (res, _) = h.api("PUT", "/api/v1/routing-rules", Some(&agent), Some(&rules)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The next tickets follow both.
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&manager),
            Some(r#"{"name": "陈静", "kind": "end"}"#),
        )
        .await;
    let customer = json(&text)["id"].as_i64().unwrap();
    let file = |extra: &str| {
        format!(
            r#"{{"customer_id": {customer}, "kind": "complaint", "subject": "热水器坏了", "body": "不出热水"{extra}}}"#
        )
    };
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&manager),
            Some(&file(r#", "priority": "urgent""#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let t = json(&text);
    assert_eq!(t["sla"]["policy"], "紧急投诉", "{text}");
    assert_eq!(t["sla"]["first_response"]["target_minutes"], 30);
    assert_eq!(t["sla"]["next_response"]["state"], "none", "no next-response promise");
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&manager),
            Some(&file(r#", "channel": "phone""#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let t = json(&text);
    assert_eq!(t["department_id"], hotline, "{text}");
    assert_eq!(t["priority"], "high");
    assert!(t["tags"].as_array().unwrap().iter().any(|x| x == "热线"), "{text}");

    // A policy that measures tickets, and the default, stay; an unused one goes.
    let (res, text) = h
        .api(
            "DELETE",
            &format!("/api/v1/sla-policies/{policy_id}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "{text}");
    let (_, text) = h.api("GET", "/api/v1/sla-policies", Some(&manager), None).await;
    let default = json(&text)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_default"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (res, _) = h
        .api(
            "DELETE",
            &format!("/api/v1/sla-policies/{default}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let unused = policy
        .replace("紧急投诉", "备用")
        .replace("\"kind\": \"complaint\"", "\"kind\": \"praise\"");
    let (_, text) = h
        .api("POST", "/api/v1/sla-policies", Some(&manager), Some(&unused))
        .await;
    let unused = json(&text)["id"].as_i64().unwrap();
    let changed = r#"{"name": "备用", "targets": {"resolution_minutes": 60}}"#;
    let (res, text) = h
        .api(
            "PUT",
            &format!("/api/v1/sla-policies/{unused}"),
            Some(&manager),
            Some(changed),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert!(json(&text)["targets"]["first_response_minutes"].is_null());
    let (res, _) = h
        .api("PUT", "/api/v1/sla-policies/999999", Some(&manager), Some(changed))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (res, _) = h
        .api(
            "DELETE",
            &format!("/api/v1/sla-policies/{unused}"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

/// The service levels page: a manager adds a routing rule and a policy through the forms, a refused
/// form comes back with what was typed and its error, the rules reorder, and agents may not enter.
async fn service_levels_page(h: &Harness) {
    let (cookie, csrf) = h.session(Role::Manager).await;
    let (res, page) = h.get_page("/admin/service-levels", &cookie).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"policy-table\"") && page.contains("china-2026"),
        "the default policy and calendar"
    );
    assert!(page.contains("id=\"rule-form\""));
    let (agent_cookie, _) = h.session(Role::Agent).await;
    let (res, _) = h.get_page("/admin/service-levels", &agent_cookie).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Two rules from the form (check boxes repeat their name); hostile names stay text.
    for (name, extra) in [
        (
            "<script>alert(1)</script>电话投诉",
            "&kind=complaint&kind=request&channel=phone&priority=high&tags=%E7%83%AD%E7%BA%BF",
        ),
        ("邮件", "&channel=email&assign=round_robin"),
    ] {
        let body = format!("csrf={csrf}&name={}{extra}", enc(name));
        let (res, text) = h.post_form("/admin/service-levels/rules", &cookie, body).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{text}");
    }
    let rules = h.app.list_routing_rules(&kefu_app::Actor::Cli).await.unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].conditions.kind.len(), 2);
    assert_eq!(rules[0].actions.tags, vec!["热线".to_owned()]);
    let (_, page) = h.get_page("/admin/service-levels?done=rule_added", &cookie).await;
    assert!(!page.contains("<script>alert(1)"), "escaped");
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;电话投诉"));
    // Down with the first: the e-mail rule is tried first now.
    let (res, _) = h
        .post_form(
            "/admin/service-levels/rules/0/move",
            &cookie,
            format!("csrf={csrf}&to=down"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let rules = h.app.list_routing_rules(&kefu_app::Actor::Cli).await.unwrap();
    assert_eq!(rules[0].name, "邮件");
    let (res, _) = h
        .post_form(
            "/admin/service-levels/rules/1/move",
            &cookie,
            format!("csrf={csrf}&to=down"),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the last cannot go down"
    );
    // A rule naming a department that does not exist: refused, the form keeps its ticks.
    let (res, page) = h
        .post_form(
            "/admin/service-levels/rules",
            &cookie,
            format!("csrf={csrf}&name=x&channel=qr&department=999999"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("rules[2].actions.department"), "the error names the rule");
    assert!(page.contains("name=\"channel\" value=\"qr\" checked"), "kept");
    assert_eq!(h.app.list_routing_rules(&kefu_app::Actor::Cli).await.unwrap().len(), 2);
    let (res, _) = h
        .post_form("/admin/service-levels/rules/0/delete", &cookie, format!("csrf={csrf}"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(h.app.list_routing_rules(&kefu_app::Actor::Cli).await.unwrap().len(), 1);

    // A policy from the form, then changed through its edit form.
    let form = format!(
        "csrf={csrf}&name=%E5%A4%A7%E5%AE%A2%E6%88%B7&tier=A&first_response_minutes=60&next_response_minutes=&resolution_minutes=600&warn_percent=75&dimension=assurance&raise_priority_on_breach=on"
    );
    let (res, text) = h
        .post_form("/admin/service-levels/policies", &cookie, form.clone())
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{text}");
    let policies = h.app.list_sla_policies(&kefu_app::Actor::Cli).await.unwrap();
    let p = policies.iter().find(|p| p.name == "大客户").unwrap();
    assert_eq!(p.targets.first_response_minutes, Some(60));
    assert_eq!(p.targets.next_response_minutes, None);
    assert!((p.targets.warn_share - 0.75).abs() < 1e-12);
    assert_eq!(p.scope.tier, Some(kefu_core::rfm::ValueTier::A));
    let (_, page) = h
        .get_page(&format!("/admin/service-levels?edit={}", p.id), &cookie)
        .await;
    assert!(page.contains(&format!("action=\"/admin/service-levels/policies/{}\"", p.id)));
    assert!(page.contains(
        "name=\"first_response_minutes\" type=\"number\" inputmode=\"numeric\" min=\"1\" step=\"1\" value=\"60\""
    ));
    let (res, _) = h
        .post_form(
            &format!("/admin/service-levels/policies/{}", p.id),
            &cookie,
            form.replace("first_response_minutes=60", "first_response_minutes=45"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let policies = h.app.list_sla_policies(&kefu_app::Actor::Cli).await.unwrap();
    assert_eq!(
        policies
            .iter()
            .find(|p| p.name == "大客户")
            .unwrap()
            .targets
            .first_response_minutes,
        Some(45)
    );
    // Refused: a target of zero and a name in use; nothing changes and the values stay.
    let (res, page) = h
        .post_form(
            "/admin/service-levels/policies",
            &cookie,
            form.replace("first_response_minutes=60", "first_response_minutes=0")
                .replace("%E5%A4%A7%E5%AE%A2%E6%88%B7", "x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("first_response_minutes"), "named");
    let (res, _) = h.post_form("/admin/service-levels/policies", &cookie, form).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        h.app.list_sla_policies(&kefu_app::Actor::Cli).await.unwrap().len(),
        policies.len()
    );

    // A calendar: a bad file comes back in the text area with its error; a good one is saved.
    let bad = "time_zone = \"Asia/Nowhere\"\n[week]\nmon = [\"09:00-17:00\"]\n";
    let (res, page) = h
        .post_form(
            "/admin/service-levels/calendars",
            &cookie,
            format!("csrf={csrf}&name=night-shift&toml={}", enc(bad)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Asia/Nowhere"), "the file is kept");
    let good = bad.replace("Asia/Nowhere", "Asia/Urumqi");
    let (res, _) = h
        .post_form(
            "/admin/service-levels/calendars",
            &cookie,
            format!("csrf={csrf}&name=night-shift&toml={}", enc(&good)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page("/admin/service-levels?done=calendar_saved", &cookie).await;
    assert!(page.contains("night-shift") && page.contains("Asia/Urumqi"));
}

/// A real receiver on loopback that keeps what it is sent and answers 500 to the first delivery of
/// each `webhook-id` (so every event is also retried once) and 204 after.
async fn hook_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    let got: std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>> = Default::default();
    let g = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let g = g.clone();
            async move {
                let mut all = g.lock().unwrap();
                let seen = all.iter().any(|(h, _)| h["webhook-id"] == headers["webhook-id"]);
                all.push((headers, body));
                if seen {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

/// Ticket, survey and user events are sent by the actions that cause them, whichever entry point
/// acted (the API, the staff pages, the answer API), each delivery under one `webhook-id` across
/// its retries, signed over that id.
async fn webhook_events_come_from_every_entry_point(h: &Harness) {
    use kefu_app::jobs::{JobRegistry, WorkerOptions};
    let (url, got) = hook_receiver().await;
    // The worker: on loopback, so private addresses are allowed; quick retries.
    let worker = kefu_app::App::new(
        h.app.store().clone(),
        kefu_app::AppConfig {
            webhook_allow_private: true,
            job_retry_base_ms: 10,
            ..kefu_app::AppConfig::default()
        },
    );
    let hook = worker
        .create_webhook(&kefu_app::Actor::Cli, &url, vec!["*".into()], "every event")
        .await
        .unwrap();
    let admin = h.token(Role::Admin).await;
    let agent = h.token(Role::Agent).await;
    let (cookie, csrf) = h.session(Role::Admin).await;

    // ticket.created through the API; ticket.updated through the API (a status, then a priority).
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"海淀门店","kind":"end"}"#),
        )
        .await;
    let customer = json(&text)["id"].as_i64().unwrap();
    let body = serde_json::json!({"customer_id": customer, "kind": "complaint", "subject": "洗衣机漏水",
        "body": "漏了一地水", "priority": "normal"});
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let ticket = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{ticket}/status"),
            Some(&agent),
            Some(r#"{"status":"open"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{ticket}"),
            Some(&agent),
            Some(r#"{"priority":"urgent"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    // A note changes none of status, assignee and priority: no event.
    let (res, _) = h
        .post_form(
            &format!("/tickets/{ticket}/messages"),
            &cookie,
            format!("csrf={csrf}&kind=note&body={}", enc("已联系客户")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A ticket filed from the staff page, and resolved there.
    let (res, body) = h
        .post_form(
            "/tickets",
            &cookie,
            format!(
                "csrf={csrf}&customer_id={customer}&kind=request&priority=normal&subject={}&body={}&channel=phone",
                enc("上门安装"),
                enc("客户来电预约安装")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{body}");
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let paged: i64 = location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (res, _) = h
        .post_form(
            &format!("/tickets/{paged}/status"),
            &cookie,
            format!("csrf={csrf}&status=resolved"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // survey.answered through the answer API (a draft sends nothing).
    let (_, out) = h
        .api("POST", "/api/v1/surveys", Some(&admin), Some(r#"{"title": "回访"}"#))
        .await;
    let survey = json(&out)["id"].as_i64().unwrap();
    let (res, out) = h
        .api(
            "POST",
            &format!("/api/v1/surveys/{survey}/links"),
            Some(&admin),
            Some(&format!(r#"{{"customer_ids": [{customer}]}}"#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let token = json(&out)["links"][0]["token"].as_str().unwrap().to_owned();
    let mut e = serde_json::Map::new();
    let mut p = serde_json::Map::new();
    for i in 1..=22 {
        e.insert(format!("Q{i}"), 7.into());
        p.insert(format!("Q{i}"), 5.into());
    }
    let path = format!("/api/v1/survey-answers/{token}");
    let draft = serde_json::json!({"answers": {"perception": {"Q1": 4}}, "final": false}).to_string();
    let (res, _) = h.api("POST", &path, None, Some(&draft)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let full = serde_json::json!({"answers": {"expectation": e, "perception": p}, "comment": "师傅很准时"}).to_string();
    let (res, out) = h.api("POST", &path, None, Some(&full)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");

    // user.created through the API and through /admin/users.
    let (res, out) = h
        .api(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(r#"{"email":"hook-api@example.com","role":"agent"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{out}");
    let (res, _) = h
        .post_form(
            "/admin/users",
            &cookie,
            format!(
                "csrf={csrf}&email=hook-page%40example.com&name={}&role=technician",
                enc("李师傅")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Deliver: every job fails once at the receiver and succeeds on its retry.
    let reg = JobRegistry::standard();
    let opts = WorkerOptions::new("hooks".into());
    let mut idle = 0;
    while idle < 50 {
        if worker.run_one_job(&reg, &opts).await.unwrap() {
            idle = 0;
        } else {
            idle += 1;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    let got = got.lock().unwrap().clone();
    let mut events: Vec<(String, serde_json::Value)> = vec![];
    let mut ids = std::collections::HashMap::<String, usize>::new();
    for (headers, body) in &got {
        let id = headers["webhook-id"].to_str().unwrap().to_owned();
        let ts: i64 = headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
        assert_eq!(
            headers["webhook-signature"].to_str().unwrap(),
            kefu_app::webhooks::sign_standard(&hook.secret, &id, ts, body.as_bytes()),
            "signed over its id, timestamp and body"
        );
        *ids.entry(id.clone()).or_default() += 1;
        if ids[&id] == 1 {
            let v = json(body);
            events.push((v["event"].as_str().unwrap().to_owned(), v["data"].clone()));
        }
    }
    assert!(
        ids.values().all(|n| *n == 2),
        "each delivery tried twice under one id: {ids:?}"
    );
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "ticket.created",
            "ticket.updated",
            "ticket.updated",
            "ticket.created",
            "ticket.updated",
            "survey.answered",
            "user.created",
            "user.created"
        ],
        "one event per change that matters, in order"
    );
    let data = |i: usize| &events[i].1;
    assert_eq!(
        (data(0)["ticket"]["id"].as_i64(), data(0)["ticket"]["subject"].as_str()),
        (Some(ticket), Some("洗衣机漏水"))
    );
    assert_eq!(
        data(1)["changes"],
        serde_json::json!({"status": {"from": "new", "to": "open"}})
    );
    assert_eq!(
        data(2)["changes"],
        serde_json::json!({"priority": {"from": "normal", "to": "urgent"}})
    );
    assert_eq!(
        (data(3)["ticket"]["id"].as_i64(), data(3)["ticket"]["channel"].as_str()),
        (Some(paged), Some("phone"))
    );
    assert_eq!(data(4)["changes"]["status"]["to"], "resolved");
    assert_eq!(
        (
            data(5)["response"]["customer_id"].as_i64(),
            data(5)["response"]["comment"].as_str()
        ),
        (Some(customer), Some("师傅很准时"))
    );
    assert_eq!(data(5)["response"]["answers"]["perception"]["Q3"], 5);
    assert_eq!(
        (
            data(6)["email"].as_str(),
            data(7)["email"].as_str(),
            data(7)["role"].as_str()
        ),
        (
            Some("hook-api@example.com"),
            Some("hook-page@example.com"),
            Some("technician")
        )
    );
}

/// Letters and digits typed full-width (as a Chinese input method gives them) are indexed and
/// matched as their ASCII forms: a ticket, a search and a contact's phone.
async fn full_width_input_is_found_by_its_ascii_form(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"赵敏","kind":"end"}"#),
        )
        .await;
    let customer = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{customer}/contacts"),
            Some(&agent),
            Some(r#"{"name": "赵敏", "phone": "１３９－０００１－２２３３"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let body = serde_json::json!({"customer_id": customer, "kind": "complaint",
        "subject": "冰箱ＢＣＤ－２１５不制冷", "body": "型号ＢＣＤ－２１５，买了两周"});
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&body.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let id = json(&text)["id"].as_i64().unwrap();
    for q in ["BCD-215", "bcd", "ＢＣＤ", "２１５"] {
        let (_, text) = h
            .api("GET", &format!("/api/v1/tickets?q={}", enc(q)), Some(&agent), None)
            .await;
        let ids: Vec<i64> = json(&text)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![id], "{q}");
    }
    for q in ["13900012233", "１３９０００１２２３３"] {
        let (_, text) = h
            .api("GET", &format!("/api/v1/customers?q={}", enc(q)), Some(&agent), None)
            .await;
        let ids: Vec<i64> = json(&text)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![customer], "{q}");
    }
}

/// A customer reads its record without the staff's fields (notes, tags, value
/// tier, account manager, contacts' social style) and cannot set the staff's fields of a ticket.
async fn customers_see_a_customer_facing_view(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(
                &serde_json::json!({"name": "苏州观前街门店", "kind": "end", "tags": ["难缠"],
                    "notes": "上次投诉时态度激烈"})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let shop = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{shop}/contacts"),
            Some(&agent),
            Some(r#"{"name":"王芳","email":"wangfang@example.com","social_style":"dominant"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let contact = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some(r#"{"password":"a long enough password"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let user_id = json(&text)["user_id"].as_i64().unwrap();
    let (_, portal) = h.app.create_token(&kefu_app::Actor::Cli, user_id, "t").await.unwrap();

    // Staff read every field; the customer reads none of the staff's.
    let staff_fields = ["notes", "tags", "value_tier", "account_manager_id"];
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}"), Some(&agent), None)
        .await;
    let as_agent = json(&text);
    assert_eq!(as_agent["notes"].as_str(), Some("上次投诉时态度激烈"));
    for f in staff_fields {
        assert!(as_agent.get(f).is_some(), "agents read {f}: {text}");
    }
    let (res, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}"), Some(&portal), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let as_customer = json(&text);
    assert_eq!(as_customer["name"].as_str(), Some("苏州观前街门店"));
    for f in staff_fields {
        assert!(as_customer.get(f).is_none(), "a customer must not read {f}: {text}");
    }
    assert!(!text.contains("态度激烈") && !text.contains("难缠"), "{text}");
    let (_, text) = h.api("GET", "/api/v1/customers", Some(&portal), None).await;
    assert!(!text.contains("态度激烈") && !text.contains("value_tier"), "{text}");
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{shop}/contacts"), Some(&agent), None)
        .await;
    assert_eq!(json(&text)[0]["social_style"].as_str(), Some("dominant"));
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{shop}/contacts"),
            Some(&portal),
            None,
        )
        .await;
    assert_eq!(json(&text)[0]["name"].as_str(), Some("王芳"));
    assert!(json(&text)[0].get("social_style").is_none(), "{text}");
    let (_, text) = h
        .api("GET", &format!("/api/v1/contacts/{contact}"), Some(&portal), None)
        .await;
    assert!(!text.contains("social_style"), "{text}");

    // Filing: each staff field is refused with 422 naming it, and nothing is filed.
    let count = || async {
        let (_, text) = h.api("GET", "/api/v1/tickets?limit=100", Some(&agent), None).await;
        json(&text)["items"].as_array().unwrap().len()
    };
    let before = count().await;
    let base = serde_json::json!({"customer_id": shop, "kind": "complaint", "subject": "热水器漏水", "body": "装好第二天就漏水"});
    for (field, value) in [
        ("priority", serde_json::json!("urgent")),
        ("channel", serde_json::json!("phone")),
        ("tags", serde_json::json!(["vip"])),
        ("kind", serde_json::json!("incident")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (res, text) = h
            .api("POST", "/api/v1/tickets", Some(&portal), Some(&body.to_string()))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}: {text}");
        let problem = json(&text);
        assert_eq!(problem["errors"][0]["field"].as_str(), Some(field), "{text}");
        assert_eq!(problem["errors"][0]["code"].as_str(), Some("staff_only"), "{text}");
    }
    assert_eq!(count().await, before, "a refused filing files nothing");
    // Staff may set them; a plain customer filing is accepted.
    let mut staff_body = base.clone();
    staff_body["priority"] = serde_json::json!("urgent");
    staff_body["channel"] = serde_json::json!("phone");
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&agent), Some(&staff_body.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let (res, text) = h
        .api("POST", "/api/v1/tickets", Some(&portal), Some(&base.to_string()))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(json(&text)["channel"].as_str(), Some("portal"), "{text}");
    assert_eq!(count().await, before + 2);
}

/// A `tracing` writer into a shared buffer: what the request logs would say.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Tokens in URL paths (follow, survey, invitation and incident links) never
/// reach the logs, even at the debug level: the request's span names the route.
#[tokio::test(flavor = "current_thread")]
async fn tokens_in_paths_stay_out_of_the_logs() {
    let h = common::sqlite().await;
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let secret = "SeCrEtToKeN0123456789abcdefXYZ";
    for path in [
        format!("/s/{secret}"),
        format!("/follow/{secret}"),
        format!("/invite/{secret}"),
        format!("/incident/{secret}"),
        format!("/api/v1/survey-answers/{secret}"),
    ] {
        let (res, _) = h.get_page(&path, "").await;
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }
    let (res, _) = h
        .send(
            axum::http::Request::post(format!("/s/{secret}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("x=1"))
                .unwrap(),
        )
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    drop(guard);
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("route=/s/{token}"), "the route is logged: {logs}");
    assert!(logs.contains("route=/follow/{token}"), "{logs}");
    assert!(!logs.contains(secret), "a token reached the logs:\n{logs}");
    h.finish().await;
}

/// Survey answers (page and API) and the follow page are counted per client
/// address; past the budget they answer 429 with `Retry-After`, before any token is looked up.
async fn public_links_are_rate_limited(h: &Harness) {
    let budget = kefu_app::public::READS_PER_WINDOW;
    for i in 0..budget {
        let (res, text) = h
            .api(
                "POST",
                &format!("/api/v1/survey-answers/made-up-{i}"),
                None,
                Some(r#"{"answers":{"score":5},"final":true}"#),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{i}: {text}");
    }
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/survey-answers/made-up-last",
            None,
            Some(r#"{"answers":{"score":5},"final":true}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    // The answer page counts with the API: the same address is over its budget there too.
    let (res, page) = h
        .send(
            axum::http::Request::post("/s/made-up-page")
                .header(header::COOKIE, format!("kefu_csrf={}", "p".repeat(40)))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "csrf={}&score=5&final=1",
                    "p".repeat(40)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(res.headers().contains_key(header::RETRY_AFTER));

    for i in 0..budget {
        let (res, _) = h.get_page(&format!("/follow/made-up-{i}"), "").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{i}");
    }
    let (res, page) = h.get_page("/follow/made-up-last", "").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(
        page.contains("分钟") || page.contains("minute"),
        "the page says when to come back: {page}"
    );
}

/// A method kefu does not answer is 405 (not a CSRF 403), on pages and in the
/// API, and leaves no series in the metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_methods_answer_405_and_add_no_metrics() {
    let h = common::sqlite().await;
    for (method, path) in [
        ("TRACE", "/tickets"),
        ("TRACE", "/api/v1/tickets"),
        ("FROBNICATE", "/api/v1/tickets"),
        ("CONNECT", "/login"),
    ] {
        let (res, text) = h
            .send(
                axum::http::Request::builder()
                    .method(axum::http::Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {text}");
        assert!(res.headers().contains_key(header::ALLOW), "{method} {path}");
        if path.starts_with("/api/") {
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
        }
    }
    let (res, metrics) = h.get_page("/metrics", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !metrics.contains("TRACE") && !metrics.contains("FROBNICATE") && !metrics.contains("CONNECT"),
        "{metrics}"
    );
    h.finish().await;
}

/// `/metrics` can be closed by a token, or moved to a listener of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_closed() {
    use tower::ServiceExt;
    let h = common::sqlite().await;
    let get = |auth: Option<&str>| {
        let mut r = axum::http::Request::get("/metrics");
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(axum::body::Body::empty()).unwrap()
    };
    let (main, apart) = kefu_web::routers(
        h.app.clone(),
        kefu_web::WebConfig {
            metrics_token: Some("m-0123456789".into()),
            ..Default::default()
        },
    );
    let res = main.clone().oneshot(get(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = main.clone().oneshot(get(Some("Bearer wrong"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = main.clone().oneshot(get(Some("Bearer m-0123456789"))).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = apart.clone().oneshot(get(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the token holds apart too");

    let (main, apart) = kefu_web::routers(
        h.app.clone(),
        kefu_web::WebConfig {
            metrics_on_main: false,
            ..Default::default()
        },
    );
    let res = main.oneshot(get(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "moved off the main listener");
    let res = apart.oneshot(get(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    h.finish().await;
}

/// A calendar in use that does not know the next 60 days' holidays is shown to
/// admins and managers as a banner and in `/readyz`; importing the missing years on the
/// service-levels page (a holiday-cn file) puts it right.
async fn calendar_gaps_warn_until_the_year_is_imported(h: &Harness) {
    // The default calendar, reduced to 2020's holidays: it runs out whatever today is.
    let old = "time_zone = \"Asia/Shanghai\"\nholidays = [\"2020-10-01\"]\n[week]\nmon = [\"09:00-18:00\"]\n\
        tue = [\"09:00-18:00\"]\nwed = [\"09:00-18:00\"]\nthu = [\"09:00-18:00\"]\nfri = [\"09:00-18:00\"]\n";
    h.app
        .save_calendar(&kefu_app::Actor::Cli, "china-2026", old)
        .await
        .unwrap();
    let (manager, csrf) = h.session(Role::Manager).await;
    let (agent, _) = h.session(Role::Agent).await;
    let (_, page) = h.get_page("/", &manager).await;
    assert!(page.contains("class=\"warn calendar-warning\""), "{page}");
    assert!(page.contains("china-2026"), "{page}");
    let (_, page) = h.get_page("/", &agent).await;
    assert!(!page.contains("calendar-warning"), "agents set no standards");
    let (res, text) = h.get_page("/readyz", "").await;
    assert_eq!(res.status(), StatusCode::OK, "a warning, still ready: {text}");
    assert!(
        json(&text)["calendars"].as_str().unwrap().contains("china-2026"),
        "{text}"
    );

    // Import the years the next 60 days fall in, from the page.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .date();
    let later = today.checked_add(jiff::Span::new().days(60)).unwrap();
    let mut years = vec![today.year()];
    if later.year() != today.year() {
        years.push(later.year());
    }
    let post = |file: String| {
        let b = "----kefu-calendar-boundary";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"calendar\"\r\n\r\nchina-2026\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"holidays.json\"\r\n\
             Content-Type: application/json\r\n\r\n{file}\r\n--{b}--\r\n"
        );
        axum::http::Request::post("/admin/service-levels/calendars/import")
            .header(header::COOKIE, &manager)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}"))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let file = |y: i16| {
        format!(
            r#"{{"year": {y}, "days": [{{"name": "元旦", "date": "{y}-01-01", "isOffDay": true}},
            {{"name": "调休", "date": "{y}-10-10", "isOffDay": false}}]}}"#
        )
    };
    // A file with a day outside its year is refused on the page, naming it; nothing changes.
    let (res, page) = h.send(post(file(2031).replace("2031-10-10", "2032-10-10"))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("2032-10-10"), "{page}");
    assert!(!h.app.calendar_gaps().await.unwrap().is_empty());
    for y in years {
        let (res, page) = h.send(post(file(y))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
    }
    let (_, page) = h.get_page("/", &manager).await;
    assert!(!page.contains("calendar-warning"), "{page}");
    let (_, text) = h.get_page("/readyz", "").await;
    assert_eq!(json(&text)["calendars"].as_str(), Some("ok"), "{text}");
    let (_, page) = h.get_page("/admin/service-levels", &manager).await;
    assert!(page.contains("id=\"calendar-import-form\""), "{page}");
    assert!(page.contains("2020-10-01"), "the other years stay: {page}");
}

/// The public form filed with a known contact's e-mail proves nothing: the
/// filer's follow link shows their own messages and the status but no staff reply, the ticket is
/// kept out of the customer's portal and archive, and the ticket page says so — until an agent
/// confirms after a call. A requester who matches nobody is unaffected.
async fn known_details_on_the_public_form_wait_for_confirmation(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let (res, text) = h
        .api(
            "POST",
            "/api/v1/customers",
            Some(&agent),
            Some(r#"{"name":"王芳","kind":"end","email":"wangfang.real@example.com"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let customer = json(&text)["id"].as_i64().unwrap();
    let (_, text) = h
        .api(
            "GET",
            &format!("/api/v1/customers/{customer}/contacts"),
            Some(&agent),
            None,
        )
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let (_, portal) = h.portal_user(&agent, contact).await;

    let pre = "p".repeat(40);
    let cookie = format!("kefu_csrf={pre}");
    let file = |email: &str, body: &str| {
        format!(
            "csrf={pre}&name={}&phone=&email={}&kind=complaint&subject={}&body={}",
            enc("冒名者"),
            enc(email),
            enc("订单问题"),
            enc(body)
        )
    };
    let follow_of = |page: &str| {
        page.split("href=\"/follow/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned()
    };
    // Filed with her address: the done page is as for anyone.
    let (res, page) = h
        .post_form("/complaint", &cookie, file("wangfang.real@example.com", "我的订单呢"))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{page}");
    let token = follow_of(&page);
    let t = h
        .app
        .store()
        .ticket_by_follow_token(&kefu_app::auth::sha256_hex(&token))
        .await
        .unwrap();
    assert_eq!(t.customer_id, customer);
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{}/messages", t.id),
            Some(&agent),
            Some(r#"{"kind":"reply","body":"您的订单 8848 已发往杭州市西湖区"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");

    // Until confirmed: no staff reply on the follow link, nothing in the portal or the archive,
    // and the agent is told.
    let follow = format!("/follow/{token}");
    let (res, page) = h.get_page(&follow, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(page.contains("我的订单呢"), "the filer's own message: {page}");
    assert!(
        !page.contains("8848"),
        "no staff reply for an unconfirmed requester: {page}"
    );
    let (res, _) = h
        .api("GET", &format!("/api/v1/tickets/{}", t.id), Some(&portal), None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, text) = h.api("GET", "/api/v1/tickets", Some(&portal), None).await;
    assert!(json(&text)["items"].as_array().unwrap().is_empty(), "{text}");
    let (agent_cookie, csrf) = h.session(Role::Agent).await;
    let reference = h
        .app
        .get_ticket(&kefu_app::Actor::Cli, t.id)
        .await
        .unwrap()
        .reference
        .to_string();
    let (_, page) = h.get_page(&format!("/customers/{customer}"), &agent_cookie).await;
    assert!(!page.contains(&reference), "not in the archive yet: {page}");
    let (_, page) = h.get_page(&format!("/tickets/{}", t.id), &agent_cookie).await;
    assert!(page.contains("id=\"requester-unconfirmed\""), "{page}");

    // The agent calls her and confirms: now it is hers.
    let (res, _) = h
        .post_form(
            &format!("/tickets/{}/confirm-requester", t.id),
            &agent_cookie,
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = h.get_page(&follow, "").await;
    assert!(page.contains("8848"), "{page}");
    let (res, _) = h
        .api("GET", &format!("/api/v1/tickets/{}", t.id), Some(&portal), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, page) = h.get_page(&format!("/customers/{customer}"), &agent_cookie).await;
    assert!(page.contains(&reference), "{page}");
    let (_, page) = h.get_page(&format!("/tickets/{}", t.id), &agent_cookie).await;
    assert!(!page.contains("id=\"requester-unconfirmed\""));
    let (res, _) = h
        .post_form(
            &format!("/tickets/{}/confirm-requester", t.id),
            &agent_cookie,
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "confirmed once");

    // Someone new: unaffected, replies show at once.
    let (_, page) = h
        .post_form("/complaint", &cookie, file("new.person@example.com", "第一次来"))
        .await;
    let token = follow_of(&page);
    let t = h
        .app
        .store()
        .ticket_by_follow_token(&kefu_app::auth::sha256_hex(&token))
        .await
        .unwrap();
    h.api(
        "POST",
        &format!("/api/v1/tickets/{}/messages", t.id),
        Some(&agent),
        Some(r#"{"kind":"reply","body":"欢迎您"}"#),
    )
    .await;
    let (_, page) = h.get_page(&format!("/follow/{token}"), "").await;
    assert!(page.contains("欢迎您"), "{page}");
}

/// docs/roles.md as data: every route with the roles that may use it (A admin, M manager, G agent,
/// T technician, C customer; `anyone` includes the signed-out). The router must match it row for
/// row; a change of access is a change of this table and of docs/roles.md together.
const DOCUMENTED_ACCESS: &str = "
GET    /healthz                                    anyone
GET    /readyz                                     anyone
GET    /metrics                                    anyone
GET    /api/openapi.json                           anyone
GET    /assets/{file}                              anyone
GET    /login                                      anyone
POST   /login                                      anyone
POST   /logout                                     AMGTC
POST   /lang                                       anyone
GET    /                                           AMGTC
GET    /dashboard                                  AMGT
GET    /dashboard/download                         AMGT
GET    /gaps                                       AMGT
GET    /gaps/download                              AMGT
POST   /gaps/diagnosis                             AM
GET    /account                                    AMGTC
GET    /my/requests                                C
POST   /my/requests                                C
GET    /my/requests/{id}                           C
POST   /my/requests/{id}                           C
POST   /account/password                           AMGTC
POST   /account/language                           AMGTC
GET    /customers                                  AMG
GET    /customers/new                              AMG
POST   /customers                                  AMG
GET    /customers/{id}                             AMG
GET    /customers/{id}/edit                        AMG
POST   /customers/{id}/edit                        AMG
POST   /customers/{id}/delete                      AM
POST   /customers/{id}/restore                     AM
POST   /customers/{id}/merge                       AM
POST   /customers/{id}/contacts                    AMG
POST   /contacts/{id}/portal                       AMG
GET    /customers/tree                             AMG
GET    /customers/duplicates                       AMG
GET    /invite/{token}                             anyone
POST   /invite/{token}                             anyone
GET    /complaint                                  anyone
POST   /complaint                                  anyone
GET    /follow/{token}                             anyone
GET    /confirm/{token}                            anyone
POST   /confirm/{token}                            anyone
GET    /s/{token}                                  anyone
POST   /s/{token}                                  anyone
GET    /s/{token}/opt-out                          anyone
POST   /s/{token}/opt-out                          anyone
GET    /surveys                                    AM
POST   /surveys                                    AM
POST   /surveys/{id}/links                         AM
POST   /surveys/{id}/primary                       AM
GET    /surveys/{id}/download                      AM
GET    /surveys/{id}                               AM
GET    /surveys/{id}/campaigns                     AM
POST   /surveys/{id}/campaigns                     AM
POST   /surveys/campaigns/{id}/run                 AM
POST   /surveys/campaigns/{id}/status              AM
POST   /surveys/campaigns/{id}/links.csv           AM
POST   /follow/{token}                             anyone
GET    /qr.svg                                     AM
GET    /tickets                                    AMG
GET    /tickets/new                                AMG
GET    /tickets/download                           AMG
POST   /tickets                                    AMG
GET    /tickets/{id}                               AMG
POST   /tickets/{id}/messages                      AMG
POST   /tickets/{id}/status                        AMG
POST   /tickets/{id}/resolution                    AMG
POST   /tickets/{id}/attachments                   AMG
POST   /tickets/{id}/confirm-requester             AMG
POST   /tickets/{id}/purchase                      AMG
POST   /tickets/{id}/fields                        AMG
POST   /tickets/{id}/steps                         AMG
POST   /tickets/{id}/share                         AMG
GET    /admin/users                                AM
GET    /admin/users/download                       AM
GET    /admin/users/new                            A
POST   /admin/users                                A
GET    /admin/users/{id}                           AM
POST   /admin/users/{id}                           A
POST   /admin/users/{id}/password                  A
GET    /admin/departments                          A
POST   /admin/departments                          A
POST   /admin/departments/{id}                     A
POST   /admin/departments/{id}/delete              A
GET    /admin/service-levels                       AM
POST   /admin/service-levels/calendars             AM
POST   /admin/service-levels/calendars/import      AM
POST   /admin/service-levels/commitments           AM
POST   /admin/service-levels/policies              AM
POST   /admin/service-levels/policies/{id}         AM
POST   /admin/service-levels/policies/{id}/delete  AM
POST   /admin/service-levels/rules                 AM
POST   /admin/service-levels/rules/{index}/move    AM
POST   /admin/service-levels/rules/{index}/delete  AM
GET    /admin/audit                                A
GET    /admin/audit/download                       A
GET    /admin/webhooks                             A
POST   /admin/webhooks                             A
GET    /admin/webhooks/{id}                        A
POST   /admin/webhooks/{id}/ping                   A
POST   /admin/webhooks/{id}/active                 A
POST   /admin/webhooks/{id}/delete                 A
GET    /api/v1/me                                  AMGTC
GET    /api/v1/users                               AM
POST   /api/v1/users                               A
GET    /api/v1/users/{id}                          AMGTC
PATCH  /api/v1/users/{id}                          A
GET    /api/v1/departments                         AMGT
POST   /api/v1/departments                         A
GET    /api/v1/webhooks                            A
POST   /api/v1/webhooks                            A
GET    /api/v1/audit                               A
GET    /api/v1/customers                           AMGTC
POST   /api/v1/customers                           AMG
GET    /api/v1/customers/{id}                      AMGTC
PATCH  /api/v1/customers/{id}                      AMG
DELETE /api/v1/customers/{id}                      AM
GET    /api/v1/customers/{id}/tree                 AMGTC
GET    /api/v1/customers/{id}/downstream           AMGTC
GET    /api/v1/customers/{id}/contacts             AMGTC
POST   /api/v1/customers/{id}/contacts             AMG
GET    /api/v1/customers/{id}/purchases            AMGTC
POST   /api/v1/customers/{id}/purchases            AMG
POST   /api/v1/customers/{id}/restore              AM
POST   /api/v1/customers/{id}/merge                AM
GET    /api/v1/customers/duplicates                AMG
POST   /api/v1/tickets                             AMGC
GET    /api/v1/tickets                             AMGC
GET    /api/v1/tickets/{id}                        AMGC
PATCH  /api/v1/tickets/{id}                        AMG
GET    /api/v1/tickets/{id}/messages               AMGC
POST   /api/v1/tickets/{id}/messages               AMGC
POST   /api/v1/tickets/{id}/status                 AMG
GET    /api/v1/tickets/{id}/activity               AMG
GET    /api/v1/tickets/{id}/notifications          AMG
POST   /api/v1/tickets/{id}/attachments            AMGC
GET    /api/v1/tickets/{id}/attachments            AMGC
GET    /attachments/{id}                           AMGC
GET    /api/v1/categories                          AMGC
POST   /api/v1/categories                          AM
GET    /api/v1/tickets/{id}/recovery-steps         AMGC
POST   /api/v1/tickets/{id}/recovery-steps         AMG
POST   /api/v1/tickets/{id}/share                  AMG
DELETE /api/v1/tickets/{id}/share                  AMG
GET    /api/v1/calendars                           AMG
PUT    /api/v1/calendars/{name}                    AM
GET    /api/v1/sla-policies                        AMG
POST   /api/v1/sla-policies                        AM
PUT    /api/v1/sla-policies/{id}                   AM
DELETE /api/v1/sla-policies/{id}                   AM
GET    /api/v1/routing-rules                       AMG
PUT    /api/v1/routing-rules                       AM
GET    /api/v1/commitments                         AMG
POST   /api/v1/commitments                         AM
PUT    /api/v1/commitments/{id}                    AM
DELETE /api/v1/commitments/{id}                    AM
GET    /api/v1/macros                              AMG
POST   /api/v1/macros                              AM
PUT    /api/v1/macros/{id}                         AM
DELETE /api/v1/macros/{id}                         AM
POST   /api/v1/tickets/{id}/macros/{macro_id}      AMG
GET    /api/v1/views                               AMG
POST   /api/v1/views                               AMG
DELETE /api/v1/views/{id}                          AMG
POST   /tickets/views                              AMG
POST   /tickets/views/{id}/delete                  AMG
GET    /commitments                                anyone
GET    /incident/{token}                           anyone
GET    /api/v1/attachments/{id}                    AMGC
GET    /api/v1/surveys                             AM
POST   /api/v1/surveys                             AM
GET    /api/v1/surveys/{id}                        AM
POST   /api/v1/surveys/{id}/links                  AM
POST   /api/v1/surveys/{id}/campaigns              AM
GET    /api/v1/surveys/{id}/campaigns              AM
GET    /api/v1/campaigns/{id}                      AM
POST   /api/v1/campaigns/{id}/run                  AM
GET    /api/v1/campaigns/{id}/links                AM
POST   /api/v1/campaigns/{id}/links                AM
GET    /api/v1/survey-answers/{token}              anyone
POST   /api/v1/survey-answers/{token}              anyone
GET    /api/v1/dashboards/manager                  AMGT
GET    /api/v1/gaps                                AMGT
GET    /api/v1/surveys/{id}/report                 AM
GET    /api/v1/surveys/{id}/lowest-items           AM
GET    /api/v1/survey-items                        AM
PATCH  /api/v1/survey-items                        AM
POST   /api/v1/survey-items                        AM
POST   /api/v1/survey-dimensions                   AM
GET    /api/v1/channel-tree                        AMGTC
GET    /api/v1/contacts/{id}                       AMGTC
PATCH  /api/v1/contacts/{id}                       AMG
DELETE /api/v1/contacts/{id}                       AM
POST   /api/v1/contacts/{id}/portal-account        AMG
GET    /api/v1/purchases/{id}                      AMGTC
PATCH  /api/v1/purchases/{id}                      AMG
DELETE /api/v1/purchases/{id}                      AM
";

/// The documented roles of a route, or `None` when the table does not list it.
fn documented(method: &Method, path: &str) -> Option<Option<Vec<Role>>> {
    DOCUMENTED_ACCESS.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        let (m, p, who) = (parts.next()?, parts.next()?, parts.next()?);
        (m == method.as_str() && p == path).then(|| {
            (who != "anyone").then(|| {
                who.chars()
                    .map(|c| match c {
                        'A' => Role::Admin,
                        'M' => Role::Manager,
                        'G' => Role::Agent,
                        'T' => Role::Technician,
                        'C' => Role::Customer,
                        other => panic!("unknown role letter {other:?} in DOCUMENTED_ACCESS"),
                    })
                    .collect()
            })
        })
    })
}

/// The router and the documented role table list the same routes with the
/// same roles.
#[test]
fn the_router_matches_the_documented_role_table() {
    let table = route_table();
    let mut mismatched = vec![];
    for (def, _) in &table {
        let documented = documented(&def.method, def.path);
        let Some(roles) = documented else {
            mismatched.push(format!("{} {} is not in the documented table", def.method, def.path));
            continue;
        };
        for role in [
            None,
            Some(Role::Admin),
            Some(Role::Manager),
            Some(Role::Agent),
            Some(Role::Technician),
            Some(Role::Customer),
        ] {
            let doc = match (&roles, role) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(list), Some(r)) => list.contains(&r),
            };
            if doc != def.access.allows(role) {
                mismatched.push(format!(
                    "{} {} as {role:?}: documented {doc}, routed {}",
                    def.method, def.path, !doc
                ));
            }
        }
    }
    let listed = DOCUMENTED_ACCESS.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(
        listed,
        table.len(),
        "the documented table lists routes the router does not have"
    );
    assert!(mismatched.is_empty(), "{}", mismatched.join("\n"));
}

/// A customer user calling every route that takes an id, with the id of
/// another customer's record (of the kind the route names), gets 404 — as if it did not exist.
async fn another_customers_records_answer_404(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let agent = agent.as_str();
    let mut ids = vec![];
    for name in ["别家客户", "自家"] {
        let body = serde_json::json!({"name": name, "kind": "end", "email": format!("c{}@example.com", ids.len())});
        let (res, text) = h
            .api("POST", "/api/v1/customers", Some(agent), Some(&body.to_string()))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{text}");
        let id = json(&text)["id"].as_i64().unwrap();
        let (_, text) = h
            .api("GET", &format!("/api/v1/customers/{id}/contacts"), Some(agent), None)
            .await;
        ids.push((id, json(&text)[0]["id"].as_i64().unwrap()));
    }
    let [(other, their_contact), (_, my_contact)] = ids[..] else {
        unreachable!()
    };
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/customers/{other}/purchases"),
            Some(agent),
            Some(r#"{"external_id": "P-404", "date": "2026-05-01", "amount": "3999.00", "sku": "热水器"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let purchase = json(&text)["id"].as_i64().unwrap();
    let body =
        serde_json::json!({"customer_id": other, "kind": "complaint", "subject": "别家的事", "body": "与你无关"});
    let (_, text) = h
        .api("POST", "/api/v1/tickets", Some(agent), Some(&body.to_string()))
        .await;
    let ticket = json(&text)["id"].as_i64().unwrap();
    let (res, text) = h
        .send(
            axum::http::Request::post(format!(
                "/api/v1/tickets/{ticket}/attachments?filename=a.png&visibility=shared"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {agent}"))
            .header(header::CONTENT_TYPE, "image/png")
            .body(axum::body::Body::from(vec![0x89, b'P', b'N', b'G']))
            .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let attachment = json(&text)["id"].as_i64().unwrap();
    let staff_user = h.user(Role::Agent).id;

    // Mine: a portal user of the other customer, signed in by token and by session.
    let (me, token) = h.portal_user(agent, my_contact).await;
    let (cookie, csrf) = h.session_of(me).await;

    let mut checked = 0;
    for (def, _) in &route_table() {
        let Some(Some(roles)) = documented(&def.method, def.path) else {
            continue;
        };
        if !def.path.contains("{id}") || !roles.contains(&Role::Customer) {
            continue;
        }
        let id = if def.path.starts_with("/api/v1/users/") {
            staff_user
        } else if def.path.starts_with("/api/v1/customers/") {
            other
        } else if def.path.starts_with("/api/v1/contacts/") {
            their_contact
        } else if def.path.starts_with("/api/v1/purchases/") {
            purchase
        } else if def.path.contains("attachments/{id}") && !def.path.contains("tickets") {
            attachment
        } else {
            ticket
        };
        let mut path = def.path.replace("{id}", &id.to_string());
        if def.method == Method::POST && def.path.ends_with("/attachments") {
            path.push_str("?filename=a.png");
        }
        let (res, text) = if def.path.starts_with("/api/") {
            let body = (def.method != Method::GET).then_some(r#"{"body":"x"}"#);
            h.api(def.method.as_str(), &path, Some(&token), body).await
        } else if def.method == Method::GET {
            h.get_page(&path, &cookie).await
        } else {
            h.post_form(&path, &cookie, format!("csrf={csrf}&body=x")).await
        };
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{} {path}: {text}", def.method);
        checked += 1;
    }
    assert!(checked >= 15, "checked {checked}");
}

/// The product a ticket is about is the customer's purchase; routing by the
/// purchase's product category matches tickets filed through the API and the portal.
async fn tickets_about_a_purchase_route_by_its_category(h: &Harness) {
    let admin = h.token(Role::Admin).await;
    let manager = h.token(Role::Manager).await;
    let agent = h.token(Role::Agent).await;
    let (_, text) = h
        .api(
            "POST",
            "/api/v1/departments",
            Some(&admin),
            Some(r#"{"name": "热水器组"}"#),
        )
        .await;
    let heaters = json(&text)["id"].as_i64().unwrap();
    let rules = format!(
        r#"{{"items": [{{"name": "热水器", "conditions": {{"product_category": ["热水器"]}}, "actions": {{"department": {heaters}, "tags": ["heater"]}}}}]}}"#
    );
    let (res, text) = h
        .api("PUT", "/api/v1/routing-rules", Some(&manager), Some(&rules))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    let (res, _) = h
        .api(
            "PUT",
            "/api/v1/routing-rules",
            Some(&manager),
            Some(r#"{"items": [{"name": "旧", "conditions": {"product": [7]}, "actions": {"priority": "low"}}]}"#),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "product ids are no condition any more"
    );

    let mut customers = vec![];
    for (name, sku, category) in [("赵敏", "JSQ24", "热水器"), ("周芷若", "KFR-35", "空调")] {
        let body = serde_json::json!({"name": name, "kind": "end", "email": format!("{sku}@example.com")});
        let (_, text) = h
            .api("POST", "/api/v1/customers", Some(&agent), Some(&body.to_string()))
            .await;
        let c = json(&text)["id"].as_i64().unwrap();
        let body = serde_json::json!({"external_id": format!("P-{sku}"), "date": "2026-03-08", "amount": "1999.00",
            "sku": sku, "product_name": format!("{category} {sku}"), "category": category, "serial": "SN-1"});
        let (res, text) = h
            .api(
                "POST",
                &format!("/api/v1/customers/{c}/purchases"),
                Some(&agent),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{text}");
        customers.push((c, json(&text)["id"].as_i64().unwrap()));
    }
    let [(zhao, heater), (zhou, aircon)] = customers[..] else {
        unreachable!()
    };
    let file = |customer: i64, purchase: Option<i64>| {
        let body = serde_json::json!({"customer_id": customer, "kind": "complaint", "subject": "不出热水",
            "body": "开了半小时还是冷水", "purchase_id": purchase})
        .to_string();
        let agent = agent.clone();
        async move { h.api("POST", "/api/v1/tickets", Some(&agent), Some(&body)).await }
    };
    let (res, text) = file(zhao, Some(heater)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let t = json(&text);
    assert_eq!(t["purchase_id"].as_i64(), Some(heater));
    assert_eq!(t["product"].as_str(), Some("热水器 JSQ24"));
    assert_eq!(
        t["department_id"].as_i64(),
        Some(heaters),
        "routed by the purchase's category: {text}"
    );
    assert!(t["tags"].as_array().unwrap().iter().any(|x| x == "heater"), "{text}");
    let (_, text) = file(zhou, Some(aircon)).await;
    assert_ne!(json(&text)["department_id"].as_i64(), Some(heaters), "another category");
    let (_, text) = file(zhao, None).await;
    assert_ne!(
        json(&text)["department_id"].as_i64(),
        Some(heaters),
        "no purchase, no match"
    );
    let id = json(&text)["id"].as_i64().unwrap();

    // Another customer's purchase is refused, naming the field; nothing is filed.
    let count = || async {
        let (_, text) = h.api("GET", "/api/v1/tickets?limit=100", Some(&agent), None).await;
        json(&text)["items"].as_array().unwrap().len()
    };
    let before = count().await;
    let (res, text) = file(zhao, Some(aircon)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(json(&text)["errors"][0]["field"].as_str(), Some("purchase_id"));
    assert_eq!(count().await, before);
    let (res, _) = h
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&agent),
            Some(&serde_json::json!({"customer_id": zhao, "kind": "complaint", "subject": "s", "body": "b", "product": "随便写"}).to_string()),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "product is read-only");

    // Set and clear it later; the page offers the customer's purchases.
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&agent),
            Some(&format!(r#"{{"purchase_id": {heater}}}"#)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(json(&text)["product"].as_str(), Some("热水器 JSQ24"));
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&agent),
            Some(r#"{"purchase_id": null}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    assert_eq!(
        (json(&text)["purchase_id"].as_i64(), json(&text)["product"].as_str()),
        (None, Some(""))
    );
    let (cookie, _) = h.session(Role::Agent).await;
    let (_, page) = h.get_page(&format!("/tickets/{id}"), &cookie).await;
    assert!(
        page.contains("id=\"purchase-form\"") && page.contains("热水器 JSQ24"),
        "{page}"
    );

    // The portal: a customer chooses among its own purchases.
    let (_, text) = h
        .api("GET", &format!("/api/v1/customers/{zhao}/contacts"), Some(&agent), None)
        .await;
    let contact = json(&text)[0]["id"].as_i64().unwrap();
    let (_, text) = h
        .api(
            "POST",
            &format!("/api/v1/contacts/{contact}/portal-account"),
            Some(&agent),
            Some(r#"{"password":"a long enough password"}"#),
        )
        .await;
    let user = json(&text)["user_id"].as_i64().unwrap();
    let (portal, csrf) = h.session_of(user).await;
    let (_, page) = h.get_page("/my/requests", &portal).await;
    assert!(
        page.contains("name=\"purchase\"") && page.contains("热水器 JSQ24"),
        "{page}"
    );
    assert!(!page.contains("KFR-35"), "only its own purchases: {page}");
    let (res, page) = h
        .post_form(
            "/my/requests",
            &portal,
            format!(
                "csrf={csrf}&kind=complaint&subject={}&body={}&purchase={heater}",
                enc("还是冷水"),
                enc("师傅来过了")
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
    let location = res.headers()[header::LOCATION].to_str().unwrap();
    let mine: i64 = location
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let t = h.app.store().get_ticket(mine).await.unwrap();
    assert_eq!((t.purchase_id, t.department_id), (Some(heater), heaters));
    let (res, _) = h
        .post_form(
            "/my/requests",
            &portal,
            format!("csrf={csrf}&kind=complaint&subject=x&body=y&purchase={aircon}"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "not its purchase");
}

/// Found by schemathesis: a NUL character in any text is refused with 422 on
/// both databases (PostgreSQL cannot store one: it was a 500 there), and nothing is written.
async fn nul_characters_are_refused(h: &Harness) {
    let admin = h.token(Role::Admin).await;
    let customers = h.app.store().count_customers().await.unwrap();
    for (path, body) in [
        ("/api/v1/categories", r#"{"name_en": "a\u0000b", "name_zh": "分类"}"#),
        ("/api/v1/customers", r#"{"name": "王\u0000芳", "kind": "end"}"#),
        (
            "/api/v1/survey-items",
            r#"{"dimension": "responsiveness", "code": "Q99", "expectation_en": "\u0000K", "expectation_zh": "期望", "perception_en": "p", "perception_zh": "感知"}"#,
        ),
    ] {
        let (res, text) = h.api("POST", path, Some(&admin), Some(body)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}: {text}");
    }
    assert_eq!(h.app.store().count_customers().await.unwrap(), customers);
    // A purchase's one-line texts, recorded or changed (PostgreSQL cannot store a NUL: it was a 500).
    let buyer = h.end_customer(&admin, "买家").await;
    let purchases = format!("/api/v1/customers/{buyer}/purchases");
    let good = r#"{"external_id": "P-NUL", "date": "2026-01-05", "amount": "10.00", "sku": "S1"}"#;
    let (res, text) = h.api("POST", &purchases, Some(&admin), Some(good)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    let id = json(&text)["id"].as_i64().unwrap();
    let bad = r#"{"external_id": "P-NUL2", "date": "2026-01-05", "amount": "10.00", "sku": "a\u0000b"}"#;
    let (res, text) = h.api("POST", &purchases, Some(&admin), Some(bad)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let (res, text) = h
        .api(
            "PATCH",
            &format!("/api/v1/purchases/{id}"),
            Some(&admin),
            Some(r#"{"product_name": "冰箱\u0000"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(json(&text)["errors"][0]["field"], "product_name", "{text}");
}

/// Filed at a chosen instant, a ticket's due instants are the ones counted by hand on the default
/// calendar (china-2026, 09:00–12:00 and 13:30–18:00 on working days, Asia/Shanghai), and its
/// targets change state as the clock passes them.
///
/// Filed Wednesday 30 September 2026 at 17:00 local time: the first response's 120 business
/// minutes are 60 that day, none over the National Day holidays (1–7 October), and 60 on Thursday
/// 8 October: due 10:00 local. The resolution's 1,350 minutes are 60 + 450 (8 October) + 450
/// (Friday 9) + 390 on Saturday 10 October, a make-up working day (调休): 180 before lunch and
/// 210 after 13:30, due 17:00 local.
async fn due_instants_are_counted_on_the_calendar(h: &Harness) {
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let clock = kefu_app::clock::ManualClock::at(at("2026-09-30T09:00:00Z"));
    let h = h.with_clock(clock.clone());
    let agent = h.token(Role::Agent).await;
    let customer = h.end_customer(&agent, "国庆前的客户").await;
    let body = serde_json::json!({"customer_id": customer, "kind": "complaint", "subject": "节前报修",
        "body": "洗衣机不转了", "priority": "normal"});
    let t = h.file_ticket(&agent, body).await;
    let text = t.to_string();
    let id = t["id"].as_i64().unwrap();
    assert_eq!(
        t["created_at"].as_i64(),
        Some(at("2026-09-30T09:00:00Z")),
        "filed by the app's clock"
    );
    let sla = &t["sla"];
    assert_eq!(
        sla["first_response"]["due_at"].as_str(),
        Some("2026-10-08T02:00:00Z"),
        "{text}"
    );
    assert_eq!(
        sla["resolution"]["due_at"].as_str(),
        Some("2026-10-10T09:00:00Z"),
        "{text}"
    );
    assert_eq!(sla["first_response"]["state"].as_str(), Some("running"), "{text}");
    assert_eq!(sla["next_response"]["state"].as_str(), Some("none"), "{text}");

    let state = |text: &str, target: &str| json(text)["sla"][target]["state"].as_str().map(str::to_owned);
    // One minute before the first response is due, mid-holiday time has not counted: still running.
    clock.set(at("2026-10-08T01:59:00Z"));
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(state(&text, "first_response").as_deref(), Some("running"), "{text}");
    // One second after: breached, while the resolution still runs.
    clock.set(at("2026-10-08T02:00:01Z"));
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(state(&text, "first_response").as_deref(), Some("breached"), "{text}");
    assert_eq!(state(&text, "resolution").as_deref(), Some("running"), "{text}");
    // A reply now stops the first-response clock late: it stays breached.
    let (res, text) = h
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&agent),
            Some(r#"{"body":"您好，今天安排师傅上门。"}"#),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{text}");
    assert_eq!(
        json(&text)["ticket"]["sla"]["first_response"]["state"].as_str(),
        Some("breached"),
        "{text}"
    );
    // The resolution is breached the moment its due instant passes on the make-up Saturday.
    clock.set(at("2026-10-10T08:59:59Z"));
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(state(&text, "resolution").as_deref(), Some("running"), "{text}");
    clock.set(at("2026-10-10T09:00:01Z"));
    let (_, text) = h.api("GET", &format!("/api/v1/tickets/{id}"), Some(&agent), None).await;
    assert_eq!(state(&text, "resolution").as_deref(), Some("breached"), "{text}");
}

/// An agent's home shows their own desk (open tickets by quadrant, SLA risks, rating) in the
/// user's language; a technician's says what kefu offers them today, not visits it cannot make.
async fn homes_say_what_each_role_has(h: &Harness) {
    let agent = h.token(Role::Agent).await;
    let customer = h.end_customer(&agent, "李雷").await;
    let body = serde_json::json!({"customer_id": customer, "kind": "complaint", "subject": "空调漏水",
        "body": "客户来电", "channel": "phone"});
    h.file_ticket(&agent, body).await;
    let (cookie, _) = h.session(Role::Agent).await;
    let (res, page) = h
        .send(
            axum::http::Request::get("/")
                .header(header::COOKIE, &cookie)
                .header(header::ACCEPT_LANGUAGE, "zh-CN")
                .body(Default::default())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        page.contains("id=\"my-desk\"") && page.contains("我的未结工单: 1"),
        "{page}"
    );
    assert!(
        page.contains("<strong>1</strong> 不紧急但重要") || page.contains("<strong>1</strong> 紧急又重要"),
        "{page}"
    );
    assert!(page.contains("还没有收到答卷的满意度"), "{page}");
    let (cookie, _) = h.session(Role::Technician).await;
    let (_, page) = h.get_page("/", &cookie).await;
    assert!(
        page.contains("href=\"/commitments\"") && !page.contains("id=\"my-desk\""),
        "{page}"
    );
    assert!(!page.contains("will appear here"), "no promise of visits: {page}");
    // A manager's home has the quality headlines, and says so when no survey has answers.
    let (cookie, _) = h.session(Role::Manager).await;
    let (_, page) = h.get_page("/", &cookie).await;
    assert!(
        page.contains("id=\"quality\"") && page.contains("kefu survey import"),
        "{page}"
    );
}
