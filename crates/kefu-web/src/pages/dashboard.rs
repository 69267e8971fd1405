//! The manager's dashboard (the home page of managers and admins; `/dashboard` for every staff
//! role): a period of days and one segment chosen in a form, the survey kinds' headline figures
//! over the whole months the period touches, and the period's ticket figures from the kept
//! ticket facts — SLA attainment by policy and target, response and resolution p50 / p90 / p99,
//! reopen and first-contact rates, tickets by channel, category, touchpoint and product.

use super::home::{HeadlineView, headline_view};
use super::{Chrome, render};
use crate::WebState;
use crate::auth::Caller;
use crate::form::enc;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use kefu_app::dashboard::{Period, TailFigure, TicketFigures};
use kefu_app::figure_table::TableFormat;
use kefu_core::i18n::Tr;
use kefu_core::rfm::ValueTier;
use kefu_core::ticket::Channel;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    from: Option<String>,
    to: Option<String>,
    segment: Option<String>,
    /// `csv` or `xlsx` (the download only).
    format: Option<String>,
}

/// The dashboard as a page shows it.
pub struct DashboardView {
    pub from: String,
    pub to: String,
    pub segment: String,
    /// The segments the form offers: (value, label).
    pub segments: Vec<(String, String)>,
    /// What was wrong with the period or segment asked for (nothing is computed then).
    pub errors: Vec<(String, String)>,
    /// What the survey figures cover.
    pub covers: String,
    pub headlines: Vec<HeadlineView>,
    /// Whether the caller may open the survey reports behind the headlines (managers, admins).
    pub reports: bool,
    /// The word-of-mouth estimate, worded.
    pub word_of_mouth: Vec<String>,
    /// The download's address without its format: `/dashboard/download?from=…&to=…&segment=…`.
    pub download: String,
    pub tickets: Option<TicketsView>,
    pub queue: Option<QueueView>,
}

/// The queue now, worded: open tickets, per quadrant (label, count), breached, due within the hour.
pub struct QueueView {
    pub open: u64,
    pub quadrants: Vec<(&'static str, u64)>,
    pub breached: u64,
    pub due_soon: u64,
}

/// The ticket half, worded.
pub struct TicketsView {
    pub created: i64,
    pub resolved: i64,
    pub reopen_rate: String,
    pub fcr_rate: String,
    /// (policy, target, met, breached, attainment)
    pub sla: Vec<(String, &'static str, i64, i64, String)>,
    /// (what, n, p50, p90, p99)
    pub times: Vec<(&'static str, u64, String, String, String)>,
    /// Each breakdown that has tickets.
    pub breakdowns: Vec<Breakdown>,
    /// The times per month (or year): (part, first response n, p50, p90, p99, resolution n, p50,
    /// p90, p99).
    pub trend: Vec<TrendRow>,
    /// The p90 of each measure over the parts, as SVG lines: (chart, caption, id of its table,
    /// its rows).
    pub trend_charts: Vec<TrendChart>,
}

/// A trend chart: (SVG, caption, id of its table, its (part, value) rows).
pub type TrendChart = (String, &'static str, &'static str, Vec<(String, String)>);

/// A part of the period's times, worded.
pub type TrendRow = (String, u64, String, String, String, u64, String, String, String);

/// Tickets filed by one field: (table id, heading, (label, tickets) most first).
pub type Breakdown = (&'static str, &'static str, Vec<(String, i64)>);

fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn minutes(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{v:.0}"))
}

fn times_row(label: &'static str, f: &TailFigure) -> (&'static str, u64, String, String, String) {
    (label, f.n, minutes(f.p50), minutes(f.p90), minutes(f.p99))
}

/// Builds the dashboard for the caller and the query; an error reading the records is returned,
/// bad input is worded in the view.
pub async fn build(state: &WebState, caller: &Caller, q: DashboardQuery) -> Result<DashboardView, kefu_app::AppError> {
    let t = caller.identity.tr();
    let actor = caller.actor();
    let default = state.app.default_period().await;
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let from = given(&q.from).unwrap_or_else(|| default.from.to_string());
    let to = given(&q.to).unwrap_or_else(|| default.to.to_string());
    let segment = given(&q.segment).unwrap_or_else(|| "all".to_owned());
    let departments = state.app.list_departments(&actor).await?;
    let mut segments = vec![("all".to_owned(), t.t("dashboard.segment_all").to_owned())];
    for tier in ValueTier::ALL {
        segments.push((
            format!("tier:{}", tier.as_str()),
            t.f("dashboard.segment_tier", &[("tier", &tier.as_str())]),
        ));
    }
    for c in Channel::ALL {
        segments.push((
            format!("channel:{}", c.as_str()),
            format!("{} · {}", t.t("dashboard.channel"), c.label(t.lang)),
        ));
    }
    for d in &departments {
        segments.push((
            format!("department:{}", d.id),
            format!("{} · {}", t.t("dashboard.department"), d.name),
        ));
    }
    if !segments.iter().any(|(v, _)| *v == segment) {
        // A segment typed into the address (region:…, agent:…): offered as it is.
        segments.push((segment.clone(), segment.clone()));
    }
    let mut view = DashboardView {
        from,
        to,
        segment,
        segments,
        errors: vec![],
        covers: String::new(),
        headlines: vec![],
        reports: caller.user.role.manages(),
        word_of_mouth: vec![],
        tickets: None,
        queue: None,
        download: String::new(),
    };
    view.download = format!(
        "/dashboard/download?from={}&to={}&segment={}",
        enc(&view.from),
        enc(&view.to),
        enc(&view.segment)
    );
    let period =
        Period::parse(&view.from, &view.to).and_then(|p| kefu_app::dashboard::check_segment(&view.segment).map(|_| p));
    let period = match period {
        Ok(p) => p,
        Err(e) => {
            view.errors = super::account::field_errors(&t, e);
            return Ok(view);
        }
    };
    let d = state.app.manager_dashboard(&actor, period, &view.segment).await?;
    view.covers = t.f(
        "dashboard.covers",
        &[("from", &d.survey_months.0), ("to", &d.survey_months.1)],
    );
    view.headlines = d
        .quality
        .into_iter()
        .enumerate()
        .map(|(n, h)| headline_view(h, t, n))
        .collect();
    let w = d.word_of_mouth;
    view.word_of_mouth.push(t.f(
        "dashboard.wom_unhappy",
        &[("complaints", &w.complaints), ("reach", &w.unhappy_reach)],
    ));
    if let (Some(satisfied), Some(reach)) = (w.satisfied, w.happy_reach) {
        view.word_of_mouth
            .push(t.f("dashboard.wom_happy", &[("satisfied", &satisfied), ("reach", &reach)]));
    }
    view.queue = Some(QueueView {
        open: d.queue.open,
        quadrants: (d.queue.quadrants.iter()).map(|(q, n)| (q.label(t.lang), *n)).collect(),
        breached: d.queue.breached,
        due_soon: d.queue.due_within_hour,
    });
    let policies = state.app.sla_setup().await?;
    let categories = state.app.categories().await?;
    let mut tickets = tickets_view(d.tickets, t, &policies, &categories);
    trend_view(&mut tickets, &d.times_trend, t);
    view.tickets = Some(tickets);
    Ok(view)
}

/// The times trend of the ticket half: its table, and a p90 line per measure when there are two
/// parts or more.
fn trend_view(v: &mut TicketsView, trend: &[kefu_app::dashboard::TimesIn], t: Tr) {
    v.trend = trend
        .iter()
        .map(|p| {
            let (f, r) = (&p.first_response_minutes, &p.resolution_minutes);
            (
                p.part.clone(),
                f.n,
                minutes(f.p50),
                minutes(f.p90),
                minutes(f.p99),
                r.n,
                minutes(r.p50),
                minutes(r.p90),
                minutes(r.p99),
            )
        })
        .collect();
    if trend.len() < 2 {
        return;
    }
    for (id, key, pick) in [
        (
            "first-response-p90",
            "dashboard.trend_first_response",
            (|p: &kefu_app::dashboard::TimesIn| p.first_response_minutes.p90) as fn(&_) -> Option<f64>,
        ),
        ("resolution-p90", "dashboard.trend_resolution", |p| {
            p.resolution_minutes.p90
        }),
    ] {
        let points: Vec<(String, Option<f64>)> = trend.iter().map(|p| (p.part.clone(), pick(p))).collect();
        let rows = points.iter().map(|(part, v)| (part.clone(), minutes(*v))).collect();
        v.trend_charts
            .push((crate::charts::trend_line(id, &points, t.t(key)), t.t(key), id, rows));
    }
}

fn tickets_view(
    f: TicketFigures,
    t: Tr,
    setup: &kefu_app::tickets::SlaSetup,
    categories: &[kefu_app::model::Category],
) -> TicketsView {
    let target_label = |target: &str| match target {
        "first_response" => t.t("dashboard.first_response"),
        "next_response" => t.t("dashboard.next_response"),
        _ => t.t("dashboard.resolution"),
    };
    let sla = f
        .sla
        .iter()
        .map(|s| {
            let name = setup
                .policy(Some(s.policy_id))
                .map(|p| p.name.clone())
                .unwrap_or_else(|_| s.policy_id.to_string());
            (name, target_label(&s.target), s.met, s.breached, pct(s.attainment))
        })
        .collect();
    let category_name = |id: &str| {
        categories
            .iter()
            .find(|c| c.id.to_string() == id)
            .map(|c| {
                if t.lang == kefu_core::Language::ZhCn {
                    c.name_zh.clone()
                } else {
                    c.name_en.clone()
                }
            })
            .unwrap_or_else(|| id.to_owned())
    };
    let sorted = |m: &std::collections::BTreeMap<String, i64>, label: &dyn Fn(&str) -> String| {
        let mut v: Vec<(String, i64)> = m.iter().map(|(k, n)| (label(k), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    let channel_label = |c: &str| Channel::parse(c).map_or(c.to_owned(), |c| c.label(t.lang).to_owned());
    let same = |s: &str| s.to_owned();
    let breakdowns = [
        (
            "by-channel",
            "dashboard.by_channel",
            sorted(&f.by_channel, &channel_label),
        ),
        (
            "by-category",
            "dashboard.by_category",
            sorted(&f.by_category, &category_name),
        ),
        (
            "by-touchpoint",
            "dashboard.by_touchpoint",
            sorted(&f.by_touchpoint, &same),
        ),
        (
            "by-product",
            "dashboard.by_product",
            sorted(&f.by_product_category, &same),
        ),
    ]
    .into_iter()
    .filter(|(_, _, v)| !v.is_empty())
    .map(|(id, k, v)| (id, t.t(k), v))
    .collect();
    TicketsView {
        created: f.created,
        resolved: f.resolved,
        reopen_rate: pct(f.reopen_rate),
        fcr_rate: pct(f.fcr_rate),
        sla,
        times: vec![
            times_row(t.t("dashboard.first_response"), &f.first_response_minutes),
            times_row(t.t("dashboard.resolution"), &f.resolution_minutes),
        ],
        breakdowns,
        trend: vec![],
        trend_charts: vec![],
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub page: Chrome,
    pub dashboard: Option<DashboardView>,
}

/// `/dashboard`: the dashboard on a page of its own, for every staff role.
pub async fn show(State(state): State<WebState>, caller: Caller, Query(q): Query<DashboardQuery>) -> Response {
    match build(&state, &caller, q).await {
        Ok(d) => render(DashboardPage {
            page: Chrome::new(&caller.identity, "/dashboard", "nav.dashboard"),
            dashboard: Some(d),
        }),
        Err(e) => super::error_page(&caller.identity, e),
    }
}

/// `/dashboard/download?format=csv|xlsx&from=…&to=…&segment=…`: the dashboard's figures as
/// `GET /api/v1/dashboards/manager` gives them, one `figure,value` row each, audited.
pub async fn download(State(state): State<WebState>, caller: Caller, Query(q): Query<DashboardQuery>) -> Response {
    let actor = caller.actor();
    let result: Result<_, kefu_app::AppError> = async {
        let format = TableFormat::parse(q.format.as_deref().unwrap_or("csv"))?;
        let default = state.app.default_period().await;
        let given = |v: &Option<String>, or: jiff::civil::Date| {
            (v.as_deref().map(str::trim).filter(|s| !s.is_empty())).map_or_else(|| or.to_string(), str::to_owned)
        };
        let period = Period::parse(&given(&q.from, default.from), &given(&q.to, default.to))?;
        let segment = q
            .segment
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("all");
        let dto = crate::DashboardDto::from(state.app.manager_dashboard(&actor, period, segment).await?);
        let json = serde_json::to_value(&dto).map_err(|e| kefu_app::AppError::Refused(e.to_string()))?;
        let bytes = (state.app)
            .download_figures(&actor, "dashboard", &json, &dto.title(), "dashboard", format)
            .await?;
        Ok((
            bytes,
            format,
            format!("kefu-dashboard-{}-{}.{}", period.from, period.to, format.extension()),
        ))
    }
    .await;
    match result {
        Ok((bytes, format, name)) => crate::download::attachment(bytes, format.content_type(), &name),
        Err(e) => super::error_page(&caller.identity, e),
    }
}
