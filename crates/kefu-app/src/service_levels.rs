//! Service levels as managers set them (docs/tickets.md#service-levels-and-routing): business
//! calendars (TOML, the format of docs/calendars.md), SLA policies per kind × priority × customer
//! tier with their targets in business minutes, and the ordered routing rules. Every change is
//! checked whole before anything is written, recorded in the audit log, and drops the cached SLA
//! setup so the next ticket uses it.

use crate::{Actor, App, AppError, AppResult};
use kefu_core::calendar::BusinessCalendar;
use kefu_core::routing::RoutingRule;
use kefu_core::sla::{PolicyScope, SlaTargets};
use kefu_core::{FieldError, Invalid, Role, roles};
use kefu_store::{Category, Department, SlaPolicy, StoredCalendar, SurveyDimension, User, UserFilter};

/// The most routing rules a desk may have (the list is read for every new ticket).
pub const MAX_RULES: usize = 200;
/// The longest target: a year of business minutes is far beyond any promise.
const MAX_TARGET_MINUTES: i64 = 525_600;

/// The most agents the routing form offers to hand tickets to.
const ROUTING_AGENTS: u32 = 1000;

/// Everything the service-levels page shows and its forms choose from.
#[derive(Debug, Clone)]
pub struct ServiceLevels {
    pub calendars: Vec<StoredCalendar>,
    pub policies: Vec<SlaPolicy>,
    pub rules: Vec<RoutingRule>,
    /// The SERVQUAL dimensions a policy may say it serves.
    pub dimensions: Vec<SurveyDimension>,
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
    /// Agents a rule or a breach may hand a ticket to.
    pub agents: Vec<User>,
}

/// An SLA policy as a manager writes it.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    pub name: String,
    pub scope: PolicyScope,
    pub targets: SlaTargets,
    /// The SERVQUAL dimension (code) its first and next response serve; `responsiveness` when
    /// empty.
    pub dimension: String,
    /// The dimension its resolution serves; `reliability` when empty.
    pub resolution_dimension: String,
    /// The calendar's id; the default calendar when unset.
    pub calendar_id: Option<i64>,
    pub raise_priority_on_breach: bool,
    /// An agent to hand a breached ticket to.
    pub reassign_to: Option<i64>,
}

/// The errors of a form, gathered before any is reported.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
        });
    }
}

/// A calendar's name: 1–64 letters, digits, `-` and `_`.
fn check_calendar_name(name: &str) -> Result<String, Invalid> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 64 || !n.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err(Invalid::one(
            "name",
            "invalid_name",
            "a calendar's name is 1 to 64 letters, digits, - and _",
        ));
    }
    Ok(n.to_owned())
}

impl App {
    /// The business calendars, the default first.
    /// The service levels and the choices their forms offer (managers and admins).
    pub async fn service_levels(&self, actor: &Actor) -> AppResult<ServiceLevels> {
        actor.require(roles::MANAGERS)?;
        let agents = UserFilter {
            after: 0,
            limit: ROUTING_AGENTS,
            role: Some(Role::Agent),
        };
        let (calendars, policies, rules, dimensions, departments, categories, agents) = tokio::try_join!(
            self.list_calendars(actor),
            self.list_sla_policies(actor),
            self.list_routing_rules(actor),
            async { Ok(self.store.survey_dimensions().await?) },
            async { Ok(self.store.list_departments().await?) },
            async { Ok(self.store.categories().await?) },
            async { Ok(self.store.list_users(agents).await?) },
        )?;
        Ok(ServiceLevels {
            calendars,
            policies,
            rules,
            dimensions,
            departments,
            categories,
            agents,
        })
    }

    pub async fn list_calendars(&self, actor: &Actor) -> AppResult<Vec<StoredCalendar>> {
        // Agents read the standards they work to (docs/roles.md); managers change them.
        actor.require(roles::DESK)?;
        let mut c = self.store.calendars().await?;
        c.sort_by_key(|c| (!c.is_default, c.id));
        Ok(c)
    }

    /// Creates the calendar `name` or replaces its rules with `toml`, checked first (unknown
    /// time zone, overlapping or reversed ranges, bad dates: nothing is written).
    pub async fn save_calendar(&self, actor: &Actor, name: &str, toml: &str) -> AppResult<StoredCalendar> {
        actor.require(roles::MANAGERS)?;
        let name = check_calendar_name(name)?;
        if toml.len() > 256 * 1024 {
            return Err(Invalid::one("calendar", "too_large", "a calendar file is at most 256 KiB").into());
        }
        BusinessCalendar::from_toml(toml)?;
        let saved = self.store.save_calendar(&name, toml, self.now()).await?;
        self.audit(
            actor,
            "calendar.save",
            format!("calendar:{}", saved.id),
            serde_json::json!({"name": saved.name}),
        )
        .await?;
        self.forget_sla_setup().await;
        Ok(saved)
    }

    pub async fn list_sla_policies(&self, actor: &Actor) -> AppResult<Vec<SlaPolicy>> {
        // Agents read the standards they work to (docs/roles.md); managers change them.
        actor.require(roles::DESK)?;
        Ok(self.store.sla_policies().await?)
    }

    /// Creates (`id` `None`) or changes an SLA policy. Tickets already filed keep their policy and
    /// are measured by its new targets from their history.
    pub async fn save_sla_policy(&self, actor: &Actor, id: Option<i64>, input: PolicyInput) -> AppResult<SlaPolicy> {
        actor.require(roles::MANAGERS)?;
        let mut errors = Errors::default();
        let name = match kefu_core::text::check_text("name", &input.name, 100) {
            Ok(n) => n,
            Err(e) => {
                errors.0.extend(e.errors);
                String::new()
            }
        };
        let t = input.targets;
        for (field, v) in [
            ("first_response_minutes", t.first_response_minutes),
            ("next_response_minutes", t.next_response_minutes),
            ("resolution_minutes", t.resolution_minutes),
        ] {
            if let Some(m) = v
                && !(1..=MAX_TARGET_MINUTES).contains(&m)
            {
                errors.push(
                    field,
                    "out_of_range",
                    format!("{field} is 1 to {MAX_TARGET_MINUTES} business minutes, or empty for no promise"),
                );
            }
        }
        if !(t.warn_share > 0.0 && t.warn_share < 1.0) {
            errors.push(
                "warn_share",
                "out_of_range",
                "the warning comes after a share of the time between 0 and 1 (0.8: at 80 %)",
            );
        }
        let dimensions = self.store.survey_dimensions().await?;
        let mut dimension_of = |field: &str, value: &str, default: &str| {
            let d = match value.trim() {
                "" => default.to_owned(),
                d => d.to_owned(),
            };
            if !dimensions.iter().any(|x| x.code == d) {
                errors.push(field, "unknown_dimension", format!("no SERVQUAL dimension {d:?}"));
            }
            d
        };
        let dimension = dimension_of("dimension", &input.dimension, "responsiveness");
        let resolution_dimension = dimension_of("resolution_dimension", &input.resolution_dimension, "reliability");
        let calendars = self.store.calendars().await?;
        let calendar_id = match input.calendar_id {
            Some(c) if calendars.iter().any(|x| x.id == c) => c,
            Some(c) => {
                errors.push("calendar_id", "unknown_calendar", format!("no calendar {c}"));
                0
            }
            None => calendars.iter().find(|c| c.is_default).map(|c| c.id).unwrap_or(0),
        };
        if let Some(u) = input.reassign_to {
            match self.store.get_user(u).await {
                Ok(user) if user.role == Role::Agent && !user.disabled => {}
                _ => errors.push("reassign_to", "unknown_agent", format!("no active agent {u}")),
            }
        }
        if !errors.0.is_empty() {
            return Err(Invalid { errors: errors.0 }.into());
        }
        let mut escalation = serde_json::json!({"raise_priority_on_breach": input.raise_priority_on_breach});
        if let Some(u) = input.reassign_to {
            escalation["reassign_to"] = u.into();
        }
        let policy = SlaPolicy {
            id: id.unwrap_or(0),
            name: name.to_owned(),
            scope: input.scope,
            targets: t,
            dimension,
            resolution_dimension,
            calendar_id,
            escalation,
            is_default: false,
        };
        let saved = self.store.save_sla_policy(&policy, self.now()).await?;
        self.audit(
            actor,
            "sla_policy.save",
            format!("sla_policy:{}", saved.id),
            serde_json::json!({"name": saved.name, "targets": saved.targets}),
        )
        .await?;
        self.forget_sla_setup().await;
        Ok(saved)
    }

    /// Deletes a policy no ticket is measured by (the default stays).
    pub async fn delete_sla_policy(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require(roles::MANAGERS)?;
        self.store.delete_sla_policy(id).await?;
        self.audit(
            actor,
            "sla_policy.delete",
            format!("sla_policy:{id}"),
            serde_json::json!({}),
        )
        .await?;
        self.forget_sla_setup().await;
        Ok(())
    }

    /// The routing rules in the order they are tried.
    pub async fn list_routing_rules(&self, actor: &Actor) -> AppResult<Vec<RoutingRule>> {
        // Agents read the standards they work to (docs/roles.md); managers change them.
        actor.require(roles::DESK)?;
        Ok(self
            .store
            .routing_rules()
            .await?
            .into_iter()
            .filter_map(|(_, json)| serde_json::from_str(&json).ok())
            .collect())
    }

    /// Replaces the routing rules with `rules`, in order. Each is checked (its values, and that its
    /// departments, agents and categories exist); an error names the rule as `rules[i].field`.
    pub async fn set_routing_rules(&self, actor: &Actor, rules: Vec<RoutingRule>) -> AppResult<Vec<RoutingRule>> {
        actor.require(roles::MANAGERS)?;
        if rules.len() > MAX_RULES {
            return Err(Invalid::one("rules", "too_many", format!("at most {MAX_RULES} routing rules")).into());
        }
        let departments = self.store.list_departments().await?;
        let categories = self.store.categories().await?;
        let mut errors = Errors::default();
        let mut stored = Vec::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            let at = |f: &str| format!("rules[{i}].{f}");
            if let Err(inv) = r.validate() {
                for e in inv.errors {
                    errors.push(&at(&e.field), e.code, e.message);
                }
            }
            if let Some(d) = r.actions.department
                && !departments.iter().any(|x| x.id == d)
            {
                errors.push(
                    &at("actions.department"),
                    "unknown_department",
                    format!("no department {d}"),
                );
            }
            if let Some(kefu_core::routing::Assign::User { user_id }) = r.actions.assign {
                match self.store.get_user(user_id).await {
                    Ok(u) if u.role == Role::Agent && !u.disabled => {}
                    _ => errors.push(
                        &at("actions.assign"),
                        "unknown_agent",
                        format!("no active agent {user_id}"),
                    ),
                }
            }
            for c in &r.conditions.category {
                if !categories.iter().any(|x| x.id == *c) {
                    errors.push(
                        &at("conditions.category"),
                        "unknown_category",
                        format!("no category {c}"),
                    );
                }
            }
            stored.push(serde_json::to_string(r).map_err(|e| AppError::Refused(e.to_string()))?);
        }
        if !errors.0.is_empty() {
            return Err(Invalid { errors: errors.0 }.into());
        }
        self.store.replace_routing_rules(&stored, self.now()).await?;
        self.forget_desk().await;
        self.audit(
            actor,
            "routing.replace",
            "routing_rules".to_owned(),
            serde_json::json!({"rules": rules.len()}),
        )
        .await?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_names() {
        assert_eq!(check_calendar_name(" china-2027 ").unwrap(), "china-2027");
        assert!(check_calendar_name("华东_工作日").is_ok());
        for bad in ["", "a b", "x/y", &"x".repeat(65)] {
            assert!(check_calendar_name(bad).is_err(), "{bad}");
        }
    }
}
