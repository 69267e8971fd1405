//! The campaigns of a survey (admins and managers): the sample size calculator, the campaigns with
//! who their next run would ask, a form to create one, run it, pause or resume it, and the link
//! list as CSV for an SMS or messaging tool.

use super::Chrome;
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::survey_campaigns::{CampaignFrame, CampaignInput, RECURRENCES, link_rows, links_csv};
use kefu_core::Invalid;
use kefu_core::stats::sampling::{invitations_needed, sample_size_proportion};
use serde::Deserialize;

/// The response rate the calculator assumes unless told (SMS and e-mail surveys in China often get
/// less; the page lets the manager change it).
const DEFAULT_RATE_PERCENT: f64 = 30.0;

pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub recurrence: String,
    pub active: bool,
    pub status: String,
    pub runs: i64,
    pub last_run: String,
    pub eligible: u64,
    pub invitations: u64,
    pub needed: String,
}

pub struct CalculatorRow {
    pub margin: String,
    pub needed: u64,
    pub invitations: u64,
}

/// The create form as typed (kept on an error).
#[derive(Default)]
pub struct CampaignValues {
    pub name: String,
    /// customers | staff
    pub audience: String,
    pub roles: Vec<String>,
    pub kinds: Vec<String>,
    pub tiers: Vec<String>,
    pub regions: String,
    pub tags: String,
    pub mode: String,
    pub sample_size: String,
    pub margin: String,
    pub response_rate: String,
    pub fatigue_days: String,
    pub expires_in_days: String,
    pub recurrence: String,
    pub invite_by_email: bool,
}

#[derive(Template)]
#[template(path = "survey_campaigns.html")]
pub struct CampaignsPage {
    pub page: Chrome,
    pub id: i64,
    pub title: String,
    pub population: u64,
    pub rate: String,
    pub calculator: Vec<CalculatorRow>,
    pub campaigns: Vec<CampaignRow>,
    pub values: CampaignValues,
    pub errors: Vec<(String, String)>,
    pub recurrences: Vec<(&'static str, &'static str)>,
    pub tiers: Vec<&'static str>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub roles: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    rate: String,
    done: Option<String>,
}

fn recurrence_key(r: &str) -> &'static str {
    match r {
        "monthly" => "campaign.monthly",
        "quarterly" => "campaign.quarterly",
        "ticket_resolved" => "campaign.ticket_resolved",
        _ => "campaign.once",
    }
}

async fn page(
    state: &WebState,
    c: &Caller,
    survey_id: i64,
    rate: Option<f64>,
    (values, errors): (CampaignValues, Vec<(String, String)>),
    done: Option<&str>,
    status: StatusCode,
) -> Response {
    let id = &c.identity;
    let actor = c.actor();
    let t = id.tr();
    let view = match state.app.get_survey(&actor, survey_id).await {
        Ok(v) => v,
        Err(e) => return super::error_page(id, e),
    };
    let (population, list) = match state.app.campaigns_overview(&actor, survey_id, 90).await {
        Ok(o) => o,
        Err(e) => return super::error_page(id, e),
    };
    let rate = rate.filter(|r| *r > 0.0 && *r <= 100.0).unwrap_or(DEFAULT_RATE_PERCENT);
    let margins: &[f64] = if population == 0 { &[] } else { &[3.0, 5.0, 10.0] };
    let calculator = margins
        .iter()
        .filter_map(|m: &f64| {
            let needed = sample_size_proportion(m / 100.0, None, Some(population.max(1))).ok()?;
            let invitations = invitations_needed(needed, rate / 100.0).ok()?.min(population);
            Some(CalculatorRow {
                margin: format!("±{m:.0}"),
                needed,
                invitations,
            })
        })
        .collect();
    let tz = super::time_zone(state).await;
    let mut campaigns = Vec::with_capacity(list.len());
    for (k, plan) in list {
        campaigns.push(CampaignRow {
            id: k.id,
            recurrence: t.t(recurrence_key(&k.recurrence)).to_owned(),
            active: k.status == "active",
            status: t
                .t(if k.status == "active" {
                    "campaign.active"
                } else {
                    "campaign.paused"
                })
                .to_owned(),
            runs: k.runs,
            last_run: k.last_run_at.map(|at| super::fmt_time(at, &tz)).unwrap_or_default(),
            eligible: plan.eligible,
            invitations: plan.invitations,
            needed: plan.answers_needed.map(|n| n.to_string()).unwrap_or_default(),
            name: k.name,
        });
    }
    let mut values = values;
    if values.recurrence.is_empty() {
        values.recurrence = "once".into();
        values.mode = "size".into();
        values.fatigue_days = "90".into();
        values.expires_in_days = "30".into();
        values.response_rate = format!("{DEFAULT_RATE_PERCENT:.0}");
        values.invite_by_email = true;
    }
    super::render_status(
        status,
        CampaignsPage {
            page: Chrome::new(id, "/surveys", "campaign.title").with_flash(done),
            id: survey_id,
            title: view.survey.title,
            population,
            rate: format!("{rate:.0}"),
            calculator,
            campaigns,
            values,
            errors,
            recurrences: RECURRENCES.iter().map(|r| (*r, t.t(recurrence_key(r)))).collect(),
            tiers: vec!["A", "B", "C", "D", "E", "none"],
            roles: vec![
                ("admin", t.t("role.admin")),
                ("manager", t.t("role.manager")),
                ("agent", t.t("role.agent")),
                ("technician", t.t("role.technician")),
            ],
            kinds: vec![
                ("end", t.t("customers.kind_end")),
                ("intermediate", t.t("customers.kind_intermediate")),
                ("internal", t.t("customers.kind_internal")),
            ],
        },
    )
}

pub async fn list(
    State(state): State<WebState>,
    c: Caller,
    Path(survey_id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Response {
    let rate = q.rate.trim().parse::<f64>().ok();
    page(
        &state,
        &c,
        survey_id,
        rate,
        (CampaignValues::default(), vec![]),
        q.done.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// The form's fields: repeated checkboxes come as repeated keys.
fn values_of(fields: &[(String, String)]) -> CampaignValues {
    let one = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let all = |k: &str| fields.iter().filter(|(f, _)| f == k).map(|(_, v)| v.clone()).collect();
    CampaignValues {
        name: one("name"),
        audience: one("audience"),
        roles: all("role"),
        kinds: all("kind"),
        tiers: all("tier"),
        regions: one("regions"),
        tags: one("tags"),
        mode: one("mode"),
        sample_size: one("sample_size"),
        margin: one("margin"),
        response_rate: one("response_rate"),
        fatigue_days: one("fatigue_days"),
        expires_in_days: one("expires_in_days"),
        recurrence: one("recurrence"),
        invite_by_email: !one("invite_by_email").is_empty(),
    }
}

fn input_of(v: &CampaignValues) -> Result<CampaignInput, Invalid> {
    fn number<T: std::str::FromStr>(field: &str, s: &str) -> Result<Option<T>, Invalid> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<T>()
            .map(Some)
            .map_err(|_| Invalid::one(field, "not_a_number", format!("{field}: {s:?} is not a number")))
    }
    let list = |s: &str| -> Vec<String> {
        s.split([',', '，', ';', '；'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let by_margin = v.mode == "margin";
    Ok(CampaignInput {
        name: v.name.clone(),
        frame: CampaignFrame {
            audience: Some(v.audience.clone()).filter(|a| a == "staff"),
            roles: v.roles.clone(),
            kinds: v.kinds.clone(),
            tiers: v.tiers.clone(),
            regions: list(&v.regions),
            tags: list(&v.tags),
        },
        sample_size: if by_margin {
            None
        } else {
            Some(
                number::<u64>("sample_size", &v.sample_size)?
                    .ok_or_else(|| Invalid::one("sample_size", "required", "give the sample size"))?,
            )
        },
        margin: if by_margin {
            Some(
                number::<f64>("margin", &v.margin)?
                    .ok_or_else(|| Invalid::one("margin", "required", "give the margin of error"))?
                    / 100.0,
            )
        } else {
            None
        },
        response_rate: number::<f64>("response_rate", &v.response_rate)?.map(|r| r / 100.0),
        fatigue_days: number("fatigue_days", &v.fatigue_days)?,
        expires_in_days: number("expires_in_days", &v.expires_in_days)?,
        recurrence: Some(v.recurrence.clone()).filter(|r| !r.is_empty()),
        invite_by_email: Some(v.invite_by_email),
        seed: None,
    })
}

pub async fn create(
    State(state): State<WebState>,
    c: Caller,
    Path(survey_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = values_of(&fields);
    let created = match input_of(&values) {
        Ok(input) => {
            state
                .app
                .create_campaign(&c.actor(), &survey_id.to_string(), input)
                .await
        }
        Err(i) => Err(AppError::Invalid(i)),
    };
    match created {
        Ok(_) => super::done(&format!("/surveys/{survey_id}/campaigns"), "campaign_created"),
        Err(AppError::Invalid(i)) => {
            let errors = super::account::field_errors(&c.identity.tr(), i);
            page(
                &state,
                &c,
                survey_id,
                None,
                (values, errors),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => super::error_page(&c.identity, e),
    }
}

/// Runs a campaign and answers with the run's link list (CSV): kefu keeps only the links'
/// hashes, so this download is the one copy of them (docs/surveys.md).
pub async fn run(State(state): State<WebState>, c: Caller, Path(campaign_id): Path<i64>) -> Response {
    match state.app.run_campaign(&c.actor(), campaign_id).await {
        Ok(r) => {
            let name = format!("campaign-{campaign_id}-run-{}-links.csv", r.run);
            link_list(&state, &c, &r.issued, &name).await
        }
        Err(e) => super::error_page(&c.identity, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    active: String,
}

pub async fn set_status(
    State(state): State<WebState>,
    c: Caller,
    Path(campaign_id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    match state
        .app
        .set_campaign_status(&c.actor(), campaign_id, f.active == "1")
        .await
    {
        Ok(k) => super::done(&format!("/surveys/{}/campaigns", k.survey_id), "campaign_saved"),
        Err(e) => super::error_page(&c.identity, e),
    }
}

/// Issues the campaign's open links again and answers with the list (CSV): the links sent
/// before for them stop working.
pub async fn links(State(state): State<WebState>, c: Caller, Path(campaign_id): Path<i64>) -> Response {
    match state.app.reissue_campaign_links(&c.actor(), campaign_id, None).await {
        Ok(links) => link_list(&state, &c, &links, &format!("campaign-{campaign_id}-links.csv")).await,
        Err(e) => super::error_page(&c.identity, e),
    }
}

async fn link_list(state: &WebState, c: &Caller, links: &[kefu_app::model::CampaignLink], name: &str) -> Response {
    let rows = link_rows(
        links,
        state.app.config.public_url.as_deref(),
        &super::time_zone(state).await,
    );
    match links_csv(&rows) {
        Ok(body) => crate::download::attachment(body, "text/csv; charset=utf-8", name),
        Err(e) => super::error_page(&c.identity, AppError::Refused(e.to_string())),
    }
}
