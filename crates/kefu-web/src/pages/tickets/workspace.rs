//! The agent's workspace beside a ticket's thread, as Zendesk and Zammad agents expect a side
//! panel: the customer's archive in brief — value tier, the channel chain above it, the
//! social-style guidance of its contacts (SPEC A2), its other recent tickets, its last survey
//! answer — and the ticket's fields edited in place (`POST /tickets/{id}/fields`). On a phone the
//! panel folds below the thread (the stylesheet's `.ticket-layout`).

use crate::WebState;
use crate::auth::Caller;
use crate::pages::fmt_time;
use kefu_app::AppError;
use kefu_app::model::Customer;
use kefu_app::tickets::TicketView;
use kefu_core::customer::GuidanceCard;
use kefu_core::i18n::Tr;
use kefu_core::ticket::{Classification, Fee, Frequency, Nature, Phase, Place, Priority};
use kefu_core::{Language, SurveyKind};

/// One classification axis as a select: (field name, label, options (code, label, chosen)).
pub struct Axis {
    pub name: &'static str,
    pub label: &'static str,
    pub options: Vec<(&'static str, &'static str, bool)>,
}

pub struct Workspace {
    pub customer: Customer,
    pub kind: &'static str,
    /// The chain above the customer, the top first.
    pub upstream: Vec<Customer>,
    /// Each contact's guidance card: (contact, card).
    pub cards: Vec<(String, GuidanceCard)>,
    /// The customer's other tickets, newest first: (id, reference, subject, status).
    pub recent: Vec<(i64, String, String, &'static str)>,
    /// The last answer: (survey title, what it came to, when).
    pub last_answer: Option<(String, String, String)>,
    pub assignees: Vec<(i64, String, bool)>,
    pub priorities: Vec<(&'static str, &'static str, bool)>,
    /// Categories as `parent › child`: (id, label, chosen).
    pub categories: Vec<(i64, String, bool)>,
    pub axes: Vec<Axis>,
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    chosen: Option<T>,
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str, bool)> {
    all.iter().map(|&v| (code(v), label(v), chosen == Some(v))).collect()
}

/// The five classification axes (SPEC B: phase, nature, place, fee, frequency) as selects.
pub fn axes(c: &Classification, t: &Tr) -> Vec<Axis> {
    let lang = t.lang;
    vec![
        Axis {
            name: "phase",
            label: t.t("tickets.axis_phase"),
            options: options(Phase::ALL, c.phase, Phase::as_str, |v| v.label(lang)),
        },
        Axis {
            name: "nature",
            label: t.t("tickets.axis_nature"),
            options: options(Nature::ALL, c.nature, Nature::as_str, |v| v.label(lang)),
        },
        Axis {
            name: "place",
            label: t.t("tickets.axis_place"),
            options: options(Place::ALL, c.place, Place::as_str, |v| v.label(lang)),
        },
        Axis {
            name: "fee",
            label: t.t("tickets.axis_fee"),
            options: options(Fee::ALL, c.fee, Fee::as_str, |v| v.label(lang)),
        },
        Axis {
            name: "frequency",
            label: t.t("tickets.axis_frequency"),
            options: options(Frequency::ALL, c.frequency, Frequency::as_str, |v| v.label(lang)),
        },
    ]
}

/// What an answer came to, worded for its kind.
pub(crate) fn answer_text(kind: SurveyKind, score: Option<f64>, t: &Tr) -> String {
    match score {
        None => "—".to_owned(),
        Some(s) => match kind {
            SurveyKind::Nps => format!("{s:.0} / 10"),
            SurveyKind::Csat => format!("{s:.0} / 5"),
            SurveyKind::Ces => format!("{s:.0} / 7"),
            SurveyKind::Servqual => format!("{} {s:+.2}", t.t("tickets.workspace_gap")),
            _ => format!("{s:.2} / 7"),
        },
    }
}

/// The workspace of a ticket the caller has just been allowed to read, for its customer.
pub async fn workspace(
    state: &WebState,
    caller: &Caller,
    view: &TicketView,
    customer: Customer,
    brief: kefu_app::customers::CustomerBrief,
) -> Result<Workspace, AppError> {
    let t = caller.identity.tr();
    let lang = t.lang;
    let zh = lang == Language::ZhCn;
    let actor = caller.actor();
    let app = &state.app;
    let (assignees, categories) = tokio::try_join!(app.assignees(&actor), app.categories())?;
    let tz = crate::pages::time_zone(state).await;
    let name_of = |id: i64| {
        categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| if zh { c.name_zh.clone() } else { c.name_en.clone() })
    };
    let mut categories: Vec<(i64, String, bool)> = (categories.iter())
        .map(|c| {
            let own = if zh { c.name_zh.clone() } else { c.name_en.clone() };
            let label = match c.parent_id.and_then(name_of) {
                Some(parent) => format!("{parent} › {own}"),
                None => own,
            };
            (c.id, label, view.ticket.category_id == Some(c.id))
        })
        .collect();
    categories.sort_by(|a, b| a.1.cmp(&b.1));
    let kind = t.t(crate::pages::customers::kind_key(&customer));
    Ok(Workspace {
        kind,
        upstream: brief.upstream,
        cards: (brief.contacts.into_iter())
            .filter_map(|c| Some((c.name.clone(), c.social_style?.card(zh))))
            .collect(),
        recent: (brief.tickets.into_iter())
            .filter(|(t, _)| t.id != view.ticket.id)
            .take(5)
            .map(|(t, r)| (t.id, r.to_string(), t.subject, t.status.label(lang)))
            .collect(),
        last_answer: (brief.last_answer).map(|a| (a.title, answer_text(a.kind, a.score, &t), fmt_time(a.at, &tz))),
        assignees: (assignees.iter())
            .map(|(id, name)| (*id, name.clone(), view.ticket.assignee_id == Some(*id)))
            .collect(),
        priorities: options(Priority::ALL, Some(view.ticket.priority), Priority::as_str, |p| {
            p.label(lang)
        }),
        categories,
        axes: axes(&view.ticket.classification, &t),
        customer,
    })
}
