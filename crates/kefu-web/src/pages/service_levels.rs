//! The service levels page for managers (`/admin/service-levels`): business calendars (their
//! TOML file), SLA policies with targets in business minutes, and the routing rules in the order
//! they are tried. Everything goes through the same checks as the API; a refused form is shown
//! again with what was typed and each error beside its section.

use super::{Chrome, done, render_status};
use crate::WebState;
use crate::auth::Caller;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use kefu_app::AppError;
use kefu_app::service_levels::PolicyInput;
use kefu_core::Invalid;
use kefu_core::customer::CustomerKind;
use kefu_core::lang::Language;
use kefu_core::rfm::ValueTier;
use kefu_core::routing::{Actions, Assign, Conditions, RoutingRule};
use kefu_core::sla::{PolicyScope, SlaTargets};
use kefu_core::ticket::{Channel, Kind, Priority};
use serde::Deserialize;

/// The fields of a submitted form, in order (a name may repeat: check boxes).
#[derive(Default, Clone)]
pub struct Values(Vec<(String, String)>);

impl Values {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// Whether field `name` is `value` (its first occurrence).
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == value
    }
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
    fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub struct CalendarRow {
    pub name: String,
    pub is_default: bool,
    pub toml: String,
}

pub struct PolicyRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub first: String,
    pub next: String,
    pub resolution: String,
    pub warn: String,
    pub dimension: String,
    pub calendar: String,
    pub on_breach: String,
    pub is_default: bool,
}

pub struct RuleRow {
    pub index: usize,
    pub name: String,
    pub conditions: String,
    pub actions: String,
}

type Options = Vec<(String, String)>;

#[derive(Template)]
#[template(path = "service_levels.html")]
pub struct ServiceLevelsPage {
    pub page: Chrome,
    pub calendars: Vec<CalendarRow>,
    pub policies: Vec<PolicyRow>,
    pub rules: Vec<RuleRow>,
    pub kinds: Options,
    pub priorities: Options,
    pub tiers: Options,
    pub channels: Options,
    pub languages: Options,
    pub customer_kinds: Options,
    pub dimensions: Options,
    pub calendar_options: Options,
    pub departments: Options,
    pub agents: Options,
    pub categories: Options,
    /// Where the policy form posts: a new policy, or the one being edited.
    pub policy_action: String,
    pub editing: bool,
    pub calendar: Values,
    pub policy: Values,
    pub rule: Values,
    /// The section the errors belong to: calendar, policy, rule, commitment, or none.
    pub section: &'static str,
    pub errors: Vec<(String, String)>,
    /// The public commitments with how well each is kept: (title, promise, published, share).
    pub commitments: Vec<CommitmentRow>,
    pub commitment: Values,
}

/// A commitment as the page lists it.
pub struct CommitmentRow {
    pub title: String,
    pub promise: String,
    pub published: bool,
    pub share: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
    edit: Option<i64>,
}

fn options<T: Copy>(all: &[T], f: impl Fn(T) -> (&'static str, &'static str)) -> Options {
    all.iter()
        .map(|x| {
            let (code, label) = f(*x);
            (code.to_owned(), label.to_owned())
        })
        .collect()
}

const CUSTOMER_KINDS: [CustomerKind; 3] = [CustomerKind::End, CustomerKind::Intermediate, CustomerKind::Internal];

fn customer_kind_key(k: CustomerKind) -> &'static str {
    match k {
        CustomerKind::End => "customers.kind_end",
        CustomerKind::Intermediate => "customers.kind_intermediate",
        CustomerKind::Internal => "customers.kind_internal",
    }
}

/// A policy's stored values as the form shows them.
fn policy_values(p: &kefu_app::model::SlaPolicy) -> Values {
    let n = |v: Option<i64>| v.map(|m| m.to_string()).unwrap_or_default();
    let mut v = vec![
        ("name".to_owned(), p.name.clone()),
        (
            "kind".into(),
            p.scope.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ),
        (
            "priority".into(),
            p.scope.priority.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ),
        (
            "tier".into(),
            p.scope.tier.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ),
        ("first_response_minutes".into(), n(p.targets.first_response_minutes)),
        ("next_response_minutes".into(), n(p.targets.next_response_minutes)),
        ("resolution_minutes".into(), n(p.targets.resolution_minutes)),
        (
            "warn_percent".into(),
            format!("{}", (p.targets.warn_share * 100.0).round()),
        ),
        ("dimension".into(), p.dimension.clone()),
        ("resolution_dimension".into(), p.resolution_dimension.clone()),
        ("calendar_id".into(), p.calendar_id.to_string()),
        ("reassign_to".into(), n(p.escalation["reassign_to"].as_i64())),
    ];
    if p.escalation["raise_priority_on_breach"].as_bool().unwrap_or(false) {
        v.push(("raise_priority_on_breach".into(), "on".into()));
    }
    Values(v)
}

struct Extra {
    calendar: Values,
    policy: Option<Values>,
    rule: Values,
    commitment: Values,
    section: &'static str,
    errors: Vec<(String, String)>,
}

async fn page(
    state: &WebState,
    caller: &Caller,
    edit: Option<i64>,
    extra: Extra,
    status: StatusCode,
    done_code: Option<&str>,
) -> Response {
    let actor = caller.actor();
    let t = caller.identity.tr();
    let lang = t.lang;
    let (calendars, policies, rules, dims, departments, categories, agents) =
        match state.app.service_levels(&actor).await {
            Ok(l) => (
                l.calendars,
                l.policies,
                l.rules,
                l.dimensions,
                l.departments,
                l.categories,
                l.agents,
            ),
            Err(e) => return super::error_page(&caller.identity, e),
        };
    let commitments = match state.app.commitments(&actor).await {
        Ok(c) => c
            .into_iter()
            .map(|(c, a)| CommitmentRow {
                title: if lang == Language::ZhCn { c.title_zh } else { c.title_en },
                promise: t.f(
                    "service.commitment_promise",
                    &[
                        ("target", &c.target_percent),
                        ("metric", &c.metric.label(lang)),
                        ("minutes", &c.within_minutes),
                    ],
                ),
                published: c.published,
                share: a
                    .share
                    .map(|s| format!("{:.1} %", s * 100.0))
                    .unwrap_or_else(|| "—".into()),
            })
            .collect(),
        Err(e) => return super::error_page(&caller.identity, e),
    };
    let kind_label = |k: Kind| k.label(lang).to_owned();
    let any = t.t("service.any");
    let calendar_name = |id: i64| {
        calendars
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let dimension_name = |code: &str| {
        dims.iter()
            .find(|d| d.code == code)
            .map(|d| {
                if lang == Language::ZhCn {
                    d.name_zh.clone()
                } else {
                    d.name_en.clone()
                }
            })
            .unwrap_or_else(|| code.to_owned())
    };
    let minutes = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_else(|| "—".into());
    let user_name = |id: i64| {
        agents
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let policy_rows = policies
        .iter()
        .map(|p| {
            let mut on_breach = vec![];
            if p.escalation["raise_priority_on_breach"].as_bool().unwrap_or(false) {
                on_breach.push(t.t("service.raise_priority").to_owned());
            }
            if let Some(u) = p.escalation["reassign_to"].as_i64() {
                on_breach.push(format!("{} {}", t.t("service.reassign_to"), user_name(u)));
            }
            PolicyRow {
                id: p.id,
                name: p.name.clone(),
                scope: [
                    p.scope.kind.map(kind_label).unwrap_or_else(|| any.to_owned()),
                    p.scope
                        .priority
                        .map(|x| x.label(lang).to_owned())
                        .unwrap_or_else(|| any.to_owned()),
                    p.scope
                        .tier
                        .map(|x| x.as_str().to_owned())
                        .unwrap_or_else(|| any.to_owned()),
                ]
                .join(" × "),
                first: minutes(p.targets.first_response_minutes),
                next: minutes(p.targets.next_response_minutes),
                resolution: minutes(p.targets.resolution_minutes),
                warn: format!("{} %", (p.targets.warn_share * 100.0).round()),
                dimension: format!(
                    "{} / {}",
                    dimension_name(&p.dimension),
                    dimension_name(&p.resolution_dimension)
                ),
                calendar: calendar_name(p.calendar_id),
                on_breach: if on_breach.is_empty() {
                    "—".into()
                } else {
                    on_breach.join("; ")
                },
                is_default: p.is_default,
            }
        })
        .collect();
    let dept_name = |id: i64| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let category_name = |id: i64| {
        categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| {
                if lang == Language::ZhCn {
                    c.name_zh.clone()
                } else {
                    c.name_en.clone()
                }
            })
            .unwrap_or_else(|| format!("#{id}"))
    };
    let rule_rows = rules
        .iter()
        .enumerate()
        .map(|(index, r)| {
            let c = &r.conditions;
            let mut parts: Vec<String> = vec![];
            let mut part = |key: &str, values: Vec<String>| {
                if !values.is_empty() {
                    parts.push(format!("{}: {}", t.t(key), values.join(", ")));
                }
            };
            part(
                "tickets.kind",
                c.kind.iter().map(|k| k.label(lang).to_owned()).collect(),
            );
            part(
                "tickets.channel",
                c.channel.iter().map(|k| k.label(lang).to_owned()).collect(),
            );
            part(
                "service.language",
                c.language.iter().map(|l| l.code().to_owned()).collect(),
            );
            part("customers.tier", c.tier.iter().map(|x| x.as_str().to_owned()).collect());
            part(
                "customers.kind",
                c.customer_kind
                    .iter()
                    .map(|k| t.t(customer_kind_key(*k)).to_owned())
                    .collect(),
            );
            part(
                "service.category",
                c.category.iter().map(|x| category_name(*x)).collect(),
            );
            part("service.product_category", c.product_category.clone());
            let conditions = if parts.is_empty() {
                t.t("service.every_ticket").to_owned()
            } else {
                parts.join("; ")
            };
            let a = &r.actions;
            let mut acts = vec![format!(
                "{}: {}",
                t.t("service.department"),
                a.department
                    .map(dept_name)
                    .unwrap_or_else(|| t.t("service.default_department").to_owned())
            )];
            match a.assign {
                Some(Assign::User { user_id }) => {
                    acts.push(format!("{}: {}", t.t("service.assign"), user_name(user_id)))
                }
                Some(Assign::RoundRobin) => {
                    acts.push(format!("{}: {}", t.t("service.assign"), t.t("service.round_robin")))
                }
                Some(Assign::LeastLoaded) => {
                    acts.push(format!("{}: {}", t.t("service.assign"), t.t("service.least_loaded")))
                }
                None => {}
            }
            if let Some(p) = a.priority {
                acts.push(format!("{}: {}", t.t("tickets.priority"), p.label(lang)));
            }
            if !a.tags.is_empty() {
                acts.push(format!("{}: {}", t.t("customers.tags"), a.tags.join(", ")));
            }
            RuleRow {
                index,
                name: r.name.clone(),
                conditions,
                actions: acts.join("; "),
            }
        })
        .collect();
    let editing = edit.and_then(|id| policies.iter().find(|p| p.id == id));
    let policy = extra
        .policy
        .or_else(|| editing.map(policy_values))
        .unwrap_or_else(|| Values(vec![("warn_percent".into(), "80".into())]));
    render_status(
        status,
        ServiceLevelsPage {
            page: Chrome::new(&caller.identity, "/admin/service-levels", "service.title").with_flash(done_code),
            calendars: calendars
                .iter()
                .map(|c| CalendarRow {
                    name: c.name.clone(),
                    is_default: c.is_default,
                    toml: c.toml.clone(),
                })
                .collect(),
            policies: policy_rows,
            rules: rule_rows,
            kinds: options(Kind::ALL, |k| (k.as_str(), k.label(lang))),
            priorities: options(Priority::ALL, |k| (k.as_str(), k.label(lang))),
            tiers: options(&ValueTier::ALL, |k| (k.as_str(), k.as_str())),
            channels: options(Channel::ALL, |k| (k.as_str(), k.label(lang))),
            languages: options(&Language::ALL, |k| (k.code(), k.code())),
            customer_kinds: options(&CUSTOMER_KINDS, |k| (k.as_str(), t.t(customer_kind_key(k)))),
            dimensions: dims.iter().map(|d| (d.code.clone(), dimension_name(&d.code))).collect(),
            calendar_options: calendars.iter().map(|c| (c.id.to_string(), c.name.clone())).collect(),
            departments: departments.iter().map(|d| (d.id.to_string(), d.name.clone())).collect(),
            agents: agents
                .iter()
                .filter(|u| !u.disabled)
                .map(|u| (u.id.to_string(), u.name.clone()))
                .collect(),
            categories: categories
                .iter()
                .map(|c| (c.id.to_string(), category_name(c.id)))
                .collect(),
            policy_action: match editing {
                Some(p) => format!("/admin/service-levels/policies/{}", p.id),
                None => "/admin/service-levels/policies".into(),
            },
            editing: editing.is_some(),
            calendar: extra.calendar,
            policy,
            rule: extra.rule,
            section: extra.section,
            errors: extra.errors,
            commitments,
            commitment: extra.commitment,
        },
    )
}

/// Creates a public commitment from the page (managers): a promise on an SLA metric, published
/// on `/commitments` when ticked.
pub async fn save_commitment(
    State(state): State<WebState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let v = Values(fields);
    let number = |field: &str| v.get(field).trim().parse::<i64>().unwrap_or(0);
    let input = kefu_app::commitments::CommitmentInput {
        title_en: v.get("title_en").to_owned(),
        title_zh: v.get("title_zh").to_owned(),
        metric: v.get("metric").to_owned(),
        kind: Some(v.get("kind").to_owned()).filter(|k| !k.is_empty()),
        within_minutes: number("within_minutes"),
        target_percent: number("target_percent"),
        dimension: Some(v.get("dimension").to_owned()).filter(|d| !d.is_empty()),
        published: v.get("published") == "1",
        position: 0,
    };
    match state.app.save_commitment(&caller.actor(), None, input).await {
        Ok(_) => done("/admin/service-levels", "commitment_saved"),
        Err(e) => {
            let extra = Extra {
                commitment: v,
                section: "commitment",
                ..no_extra()
            };
            refused(&state, &caller, e, extra, None).await
        }
    }
}

fn no_extra() -> Extra {
    Extra {
        calendar: Values::default(),
        policy: None,
        rule: Values::default(),
        commitment: Values::default(),
        section: "none",
        errors: vec![],
    }
}

pub async fn show(State(state): State<WebState>, caller: Caller, Query(q): Query<ShowQuery>) -> Response {
    page(&state, &caller, q.edit, no_extra(), StatusCode::OK, q.done.as_deref()).await
}

/// The page again with a refused form's errors, or the error page.
async fn refused(state: &WebState, caller: &Caller, e: AppError, mut extra: Extra, edit: Option<i64>) -> Response {
    let t = caller.identity.tr();
    let (status, errors) = match e {
        AppError::Invalid(i) => (StatusCode::UNPROCESSABLE_ENTITY, super::account::field_errors(&t, i)),
        AppError::Conflict(m) | AppError::Refused(m) => (StatusCode::CONFLICT, vec![(String::new(), m)]),
        other => return super::error_page(&caller.identity, other),
    };
    extra.errors = errors;
    page(state, caller, edit, extra, status, None).await
}

pub async fn save_calendar(
    State(state): State<WebState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let v = Values(fields);
    match state
        .app
        .save_calendar(&caller.actor(), v.get("name"), v.get("toml"))
        .await
    {
        Ok(_) => done("/admin/service-levels", "calendar_saved"),
        Err(e) => {
            let extra = Extra {
                calendar: v,
                section: "calendar",
                ..no_extra()
            };
            refused(&state, &caller, e, extra, None).await
        }
    }
}

/// Imports a year of holidays into a calendar (a multipart form: `calendar`, the file as `file`,
/// holiday-cn JSON or iCalendar; and the `csrf` token the CSRF layer checked).
pub async fn import_calendar(
    State(state): State<WebState>,
    caller: Caller,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (mut name, mut file) = (String::new(), None);
    if let Ok(mut form) = form {
        while let Ok(Some(field)) = form.next_field().await {
            match field.name() {
                Some("calendar") => name = field.text().await.unwrap_or_default(),
                Some("file") => file = field.bytes().await.ok(),
                _ => {}
            }
        }
    }
    let result = match file.filter(|f| !f.is_empty()) {
        None => Err(AppError::Invalid(Invalid::one(
            "file",
            "required",
            "choose the year's holiday file",
        ))),
        Some(bytes) => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => state.app.import_calendar_year(&caller.actor(), &name, &text).await,
            Err(_) => Err(AppError::Invalid(Invalid::one(
                "file",
                "not_utf8",
                "the file is not UTF-8 text",
            ))),
        },
    };
    match result {
        Ok(_) => done("/admin/service-levels", "calendar_imported"),
        Err(e) => {
            let extra = Extra {
                section: "calendar",
                ..no_extra()
            };
            refused(&state, &caller, e, extra, None).await
        }
    }
}

/// A number field: empty is none, anything else must be a whole number.
fn whole(v: &Values, field: &str) -> Result<Option<i64>, Invalid> {
    match v.get(field).trim() {
        "" => Ok(None),
        s => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Invalid::one(field, "not_a_number", format!("{field} must be a whole number"))),
    }
}

fn policy_input(v: &Values) -> Result<PolicyInput, Invalid> {
    let code = |field: &str| Some(v.get(field)).filter(|s| !s.is_empty());
    let warn = match v.get("warn_percent").trim() {
        "" => 80.0,
        s => s.parse::<f64>().map_err(|_| {
            Invalid::one(
                "warn_share",
                "not_a_number",
                "the warning share is a percentage, 1 to 99",
            )
        })?,
    };
    Ok(PolicyInput {
        name: v.get("name").to_owned(),
        scope: PolicyScope {
            kind: code("kind").map(Kind::parse).transpose()?,
            priority: code("priority").map(Priority::parse).transpose()?,
            tier: code("tier")
                .map(|t| {
                    ValueTier::parse(t).ok_or_else(|| Invalid::one("tier", "unknown_tier", "tier is A to E or none"))
                })
                .transpose()?,
        },
        targets: SlaTargets {
            first_response_minutes: whole(v, "first_response_minutes")?,
            next_response_minutes: whole(v, "next_response_minutes")?,
            resolution_minutes: whole(v, "resolution_minutes")?,
            warn_share: warn / 100.0,
        },
        dimension: v.get("dimension").to_owned(),
        resolution_dimension: v.get("resolution_dimension").to_owned(),
        calendar_id: whole(v, "calendar_id")?,
        raise_priority_on_breach: v.has("raise_priority_on_breach", "on"),
        reassign_to: whole(v, "reassign_to")?,
    })
}

async fn save_policy_form(
    state: &WebState,
    caller: &Caller,
    id: Option<i64>,
    fields: Vec<(String, String)>,
) -> Response {
    let v = Values(fields);
    let saved = match policy_input(&v) {
        Ok(input) => state.app.save_sla_policy(&caller.actor(), id, input).await,
        Err(i) => Err(AppError::Invalid(i)),
    };
    match saved {
        Ok(_) => done("/admin/service-levels", "policy_saved"),
        Err(e) => {
            let extra = Extra {
                policy: Some(v),
                section: "policy",
                ..no_extra()
            };
            refused(state, caller, e, extra, id).await
        }
    }
}

pub async fn create_policy(
    State(state): State<WebState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    save_policy_form(&state, &caller, None, fields).await
}

pub async fn update_policy(
    State(state): State<WebState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    save_policy_form(&state, &caller, Some(id), fields).await
}

pub async fn delete_policy(State(state): State<WebState>, caller: Caller, Path(id): Path<i64>) -> Response {
    match state.app.delete_sla_policy(&caller.actor(), id).await {
        Ok(()) => done("/admin/service-levels", "policy_deleted"),
        Err(e) => {
            let extra = Extra {
                section: "policy",
                ..no_extra()
            };
            refused(&state, &caller, e, extra, None).await
        }
    }
}

/// The values of a list field (check boxes) parsed as codes.
fn codes<T>(v: &Values, field: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, Invalid> {
    v.all(field)
        .map(|s| {
            parse(s).ok_or_else(|| Invalid::one(field, "unknown_value", format!("{field}: {s:?} is not a choice")))
        })
        .collect()
}

fn rule_of(v: &Values) -> Result<RoutingRule, Invalid> {
    let assign = match v.get("assign") {
        "" => None,
        "round_robin" => Some(Assign::RoundRobin),
        "least_loaded" => Some(Assign::LeastLoaded),
        s => Some(Assign::User {
            user_id: s
                .strip_prefix("user:")
                .and_then(|u| u.parse().ok())
                .ok_or_else(|| Invalid::one("assign", "unknown_value", "choose how to assign"))?,
        }),
    };
    Ok(RoutingRule {
        name: v.get("name").trim().to_owned(),
        conditions: Conditions {
            kind: codes(v, "kind", |s| Kind::parse(s).ok())?,
            category: codes(v, "category", |s| s.parse().ok())?,
            product_category: v
                .get("product_category")
                .split([',', ';', '，', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            channel: codes(v, "channel", |s| Channel::parse(s).ok())?,
            language: codes(v, "language", Language::parse)?,
            tier: codes(v, "tier", ValueTier::parse)?,
            customer_kind: codes(v, "customer_kind", |s| CustomerKind::parse(s).ok())?,
        },
        actions: Actions {
            department: whole(v, "department")?,
            assign,
            priority: Some(v.get("priority"))
                .filter(|s| !s.is_empty())
                .map(Priority::parse)
                .transpose()?,
            tags: v
                .get("tags")
                .split([',', ';', '，', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        },
    })
}

/// Replaces the rules with `f` applied to them; errors come back on the rule form.
async fn change_rules(
    state: &WebState,
    caller: &Caller,
    form: Values,
    f: impl FnOnce(Vec<RoutingRule>) -> Result<Vec<RoutingRule>, Invalid>,
    code: &str,
) -> Response {
    let actor = caller.actor();
    let r = match state.app.list_routing_rules(&actor).await {
        Ok(rules) => match f(rules) {
            Ok(rules) => state.app.set_routing_rules(&actor, rules).await.map(|_| ()),
            Err(i) => Err(AppError::Invalid(i)),
        },
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => done("/admin/service-levels", code),
        Err(e) => {
            let extra = Extra {
                rule: form,
                section: "rule",
                ..no_extra()
            };
            refused(state, caller, e, extra, None).await
        }
    }
}

pub async fn add_rule(
    State(state): State<WebState>,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let v = Values(fields);
    let rule = rule_of(&v);
    change_rules(
        &state,
        &caller,
        v,
        |mut rules| {
            rules.push(rule?);
            Ok(rules)
        },
        "rule_added",
    )
    .await
}

#[derive(Deserialize)]
pub struct MoveForm {
    to: String,
}

pub async fn move_rule(
    State(state): State<WebState>,
    caller: Caller,
    Path(index): Path<usize>,
    Form(f): Form<MoveForm>,
) -> Response {
    change_rules(
        &state,
        &caller,
        Values::default(),
        |mut rules| {
            let other = match f.to.as_str() {
                "up" => index.checked_sub(1),
                "down" => Some(index + 1),
                _ => None,
            };
            match other {
                Some(o) if index < rules.len() && o < rules.len() => rules.swap(index, o),
                _ => return Err(Invalid::one("rule", "cannot_move", "that rule cannot move there")),
            }
            Ok(rules)
        },
        "rules_saved",
    )
    .await
}

pub async fn delete_rule(State(state): State<WebState>, caller: Caller, Path(index): Path<usize>) -> Response {
    change_rules(
        &state,
        &caller,
        Values::default(),
        |mut rules| {
            if index >= rules.len() {
                return Err(Invalid::one("rule", "no_such_rule", "that rule is gone already"));
            }
            rules.remove(index);
            Ok(rules)
        },
        "rules_saved",
    )
    .await
}
