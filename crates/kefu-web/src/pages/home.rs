//! The home page of each role: what that role works on. The desk (admins, managers, agents) sees
//! the newest tickets waiting in its scope, or an empty state when none waits; managers and admins
//! also their dashboard (pages/dashboard.rs: the survey headlines and the period's ticket figures,
//! with a period and segment filter), an agent their
//! own open tickets by quadrant, SLA risks and rating; technicians an empty state that says what
//! they can do in kefu today.

use super::{Chrome, render};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kefu_core::Role;
use kefu_core::ticket::Status;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub page: Chrome,
    pub heading: &'static str,
    pub empty_title: &'static str,
    pub empty_body: &'static str,
    pub organisation: String,
    pub stats: Vec<(&'static str, i64)>,
    /// The desk's home: the newest tickets waiting in the caller's scope (id, reference, subject,
    /// status), and whether there are more than shown. Empty: nothing waits.
    pub waiting: Vec<(i64, String, String, &'static str)>,
    pub more_waiting: bool,
    pub works_desk: bool,
    /// An agent's own work: their open tickets by quadrant, SLA risks and rating.
    pub desk: Option<DeskView>,
    /// Managers' and admins' dashboard (their home is it); `None` for others.
    pub dashboard: Option<super::dashboard::DashboardView>,
}

/// One survey kind's headline as the home page shows it.
pub struct HeadlineView {
    pub kind: &'static str,
    pub survey_id: i64,
    pub title: String,
    pub value: String,
    pub interval: String,
    pub answers: String,
    /// The weakest dimensions with their gaps (SERVQUAL).
    pub weakest: Vec<(String, String)>,
    /// The trend as an SVG line (server-drawn), or empty.
    pub chart: String,
    /// The chart's numbers: (month, value as shown).
    pub chart_rows: Vec<(String, String)>,
    /// The id of the table of those numbers.
    pub chart_rows_id: String,
}

pub(crate) fn headline_view(h: kefu_app::surveys::Headline, t: kefu_core::i18n::Tr, n: usize) -> HeadlineView {
    use kefu_core::survey::SurveyKind;
    let r = &h.report;
    let kind = r.view.survey.kind;
    // CSAT is a share, shown in per cent; SERVQUAL a gap and CES a mean, with two decimals.
    let scale = |x: f64| if kind == SurveyKind::Csat { x * 100.0 } else { x };
    let show = |x: f64| match kind {
        SurveyKind::Csat => format!("{:.0} %", scale(x)),
        SurveyKind::Nps => format!("{x:+.0}"),
        _ => format!("{x:.2}"),
    };
    let (value, ci) = r.headline();
    let interval = ci.map_or(String::new(), |i| {
        t.f("home.quality.interval", &[("lo", &show(i.lo)), ("hi", &show(i.hi))])
    });
    let points: Vec<(String, Option<f64>)> = r.trend.iter().map(|p| (p.period.clone(), p.value.map(scale))).collect();
    let chart = if points.len() >= 2 {
        crate::charts::trend_line(&format!("headline-trend-{n}"), &points, t.t("survey.trend"))
    } else {
        String::new()
    };
    HeadlineView {
        kind: t.t(super::surveys::kind_key(kind)),
        survey_id: r.view.survey.id,
        title: r.view.survey.title.clone(),
        value: value.map_or("–".to_owned(), show),
        interval,
        answers: t.f("home.quality.answers", &[("n", &r.n_responses)]),
        weakest: (h.weakest.iter())
            .map(|(code, gap)| (r.view.dimension_name(code, t.lang), format!("{gap:.2}")))
            .collect(),
        chart_rows: if chart.is_empty() {
            vec![]
        } else {
            (r.trend.iter())
                .map(|p| (p.period.clone(), p.value.map_or("–".to_owned(), show)))
                .collect()
        },
        chart,
        chart_rows_id: format!("headline-trend-{n}-data"),
    }
}

/// An agent's own work as the home page shows it.
pub struct DeskView {
    pub open: u64,
    /// (quadrant label, open tickets in it)
    pub quadrants: Vec<(&'static str, u64)>,
    pub breached: u64,
    pub due_soon: u64,
    pub rating: String,
}

fn desk_view(d: kefu_app::my_desk::MyDesk, t: kefu_core::i18n::Tr) -> DeskView {
    use kefu_app::my_desk::{MIN_RATINGS, MyRating};
    let pct = |x: f64| format!("{:.0}", x * 100.0);
    let rating = match d.rating {
        MyRating::NoSurvey => t.t("home.agent.no_survey").to_owned(),
        MyRating::NotEnough { n } => t.f("home.agent.not_enough", &[("n", &n), ("min", &MIN_RATINGS)]),
        MyRating::Csat { n, csat, ci95, survey } => {
            let (lo, hi) = ci95.map_or(("–".to_owned(), "–".to_owned()), |i| (pct(i.lo), pct(i.hi)));
            t.f(
                "home.agent.csat",
                &[
                    ("csat", &pct(csat)),
                    ("lo", &lo),
                    ("hi", &hi),
                    ("n", &n),
                    ("survey", &survey),
                ],
            )
        }
    };
    DeskView {
        open: d.open,
        quadrants: d.quadrants.into_iter().map(|(q, n)| (q.label(t.lang), n)).collect(),
        breached: d.breached,
        due_soon: d.due_within_hour,
        rating,
    }
}

/// How many waiting tickets the home page lists.
const WAITING_SHOWN: u32 = 5;

pub async fn show(
    State(state): State<WebState>,
    caller: Caller,
    Query(q): Query<super::dashboard::DashboardQuery>,
) -> Response {
    let id = &caller.identity;
    if caller.user.role == Role::Customer {
        return super::portal::home();
    }
    let t = id.tr();
    let heading = match caller.user.role {
        Role::Admin => "home.admin.heading",
        Role::Manager => "home.manager.heading",
        Role::Agent => "home.agent.heading",
        Role::Technician => "home.technician.heading",
        Role::Customer => "home.customer.heading",
    };
    let organisation = super::organisation(&state).await["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut stats = vec![];
    if caller.user.role == Role::Admin {
        match state.app.admin_figures(&caller.actor()).await {
            Ok(f) => {
                stats.push((t.t("home.admin.users"), f.users));
                stats.push((t.t("home.admin.departments"), f.departments));
            }
            Err(e) => return super::error_page(id, e),
        }
    }
    // What waits in this person's scope, read from the queue itself: the page states nothing
    // the queue does not show.
    let works_desk = caller.user.role.works_the_desk();
    let (mut waiting, mut more_waiting) = (vec![], false);
    if works_desk {
        let filter = kefu_app::model::TicketFilter {
            limit: WAITING_SHOWN + 1,
            statuses: vec![Status::New, Status::Open, Status::Pending],
            ..Default::default()
        };
        match state.app.list_tickets(&caller.actor(), filter).await {
            Ok(views) => {
                more_waiting = views.len() > WAITING_SHOWN as usize;
                waiting = views
                    .into_iter()
                    .take(WAITING_SHOWN as usize)
                    .map(|v| {
                        (
                            v.ticket.id,
                            v.reference.to_string(),
                            v.ticket.subject.clone(),
                            v.ticket.status.label(id.lang),
                        )
                    })
                    .collect();
            }
            Err(e) => return super::error_page(id, e),
        }
    }
    let dashboard = if caller.user.role.manages() {
        match super::dashboard::build(&state, &caller, q).await {
            Ok(d) => Some(d),
            Err(e) => return super::error_page(id, e),
        }
    } else {
        None
    };
    let desk = if caller.user.role == Role::Agent {
        match state.app.my_desk(&caller.actor()).await {
            Ok(d) => Some(desk_view(d, t)),
            Err(e) => return super::error_page(id, e),
        }
    } else {
        None
    };
    let (title, body) = if works_desk {
        ("home.desk.empty_title", "home.desk.empty_body")
    } else {
        ("home.technician.empty_title", "home.technician.empty_body")
    };
    render(HomePage {
        page: Chrome::new(id, "/", "nav.home"),
        heading: t.t(heading),
        empty_title: t.t(title),
        empty_body: t.t(body),
        organisation,
        stats,
        waiting,
        more_waiting,
        works_desk,
        desk,
        dashboard,
    })
}
