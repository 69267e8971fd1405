//! Routing rules (docs/tickets.md#service-levels-and-routing): an ordered list, the first rule
//! whose conditions all hold decides the department, the assignee strategy, the priority and the
//! tags of a new ticket. A ticket no rule matches goes to the default department, unassigned. Also
//! the two ways of choosing an agent within a department, deterministic so every node picks the
//! same one.
//!
//! The stored form is JSON (or TOML) of [`RoutingRule`]:
//! ```json
//! {"name": "VIP complaints",
//!  "conditions": {"kind": ["complaint"], "tier": ["A", "B"], "category": [12]},
//!  "actions": {"department": 3, "assign": {"strategy": "least_loaded"}, "priority": "high", "tags": ["vip"]}}
//! ```
//! A condition is a list of accepted values; a missing or empty list accepts anything.

use crate::customer::CustomerKind;
use crate::error::Invalid;
use crate::lang::Language;
use crate::rfm::ValueTier;
use crate::ticket::{Channel, Kind, Priority};
use serde::{Deserialize, Serialize};

/// The most values one condition may list.
const MAX_VALUES: usize = 200;

/// What a rule looks at; each list accepts any of its values, an empty list accepts all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<Kind>,
    /// Category ids; a ticket matches when its category is one of them or lies below one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<i64>,
    /// The product category of the purchase the ticket is about (`热水器`, `Air conditioners`),
    /// as the purchase records it; a ticket about no purchase matches no such condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_category: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel: Vec<Channel>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<Language>,
    /// The customer's value tier (`none` for customers without purchases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier: Vec<ValueTier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_kind: Vec<CustomerKind>,
}

/// Who gets the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum Assign {
    /// This agent.
    User { user_id: i64 },
    /// The department's agents in turn.
    RoundRobin,
    /// The department's agent with the fewest open tickets.
    LeastLoaded,
}

/// What a matching rule does; unset actions leave the ticket's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// The department; the default department when unset.
    #[serde(default)]
    pub department: Option<i64>,
    /// How to pick the assignee among the department's agents; unassigned when unset.
    #[serde(default)]
    pub assign: Option<Assign>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Tags added to the ticket (cleaned like every tag list before they are stored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub name: String,
    #[serde(default)]
    pub conditions: Conditions,
    pub actions: Actions,
}

/// What routing knows of a new ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFacts<'a> {
    pub kind: Kind,
    /// The ticket's category and its ancestors, in any order (root first is usual); empty when
    /// uncategorised.
    pub category_path: &'a [i64],
    /// The product category of the ticket's purchase, if it is about one.
    pub product_category: Option<&'a str>,
    pub channel: Channel,
    pub language: Language,
    pub tier: ValueTier,
    pub customer_kind: CustomerKind,
}

fn accepts<T: PartialEq>(list: &[T], v: &T) -> bool {
    list.is_empty() || list.contains(v)
}

impl Conditions {
    /// Whether every condition holds for `t`.
    pub fn matches(&self, t: &TicketFacts<'_>) -> bool {
        accepts(&self.kind, &t.kind)
            && (self.category.is_empty() || t.category_path.iter().any(|c| self.category.contains(c)))
            && (self.product_category.is_empty()
                || t.product_category
                    .is_some_and(|p| self.product_category.iter().any(|c| c.trim() == p.trim())))
            && accepts(&self.channel, &t.channel)
            && accepts(&self.language, &t.language)
            && accepts(&self.tier, &t.tier)
            && accepts(&self.customer_kind, &t.customer_kind)
    }
}

impl RoutingRule {
    /// A name of 1–100 characters, a rule that does something, ids above zero, at most 200
    /// values per condition.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        let c = &self.conditions;
        let texts = std::iter::once(("name", &self.name))
            .chain(c.product_category.iter().map(|p| ("conditions.product_category", p)));
        for (field, text) in texts {
            if let Err(e) = crate::text::check_text(field, text, 100) {
                errors.extend(e.errors);
            }
        }
        let mut bad =
            |field: &str, code: &'static str, msg: String| errors.extend(Invalid::one(field, code, msg).errors);
        let a = &self.actions;
        if a.department.is_none() && a.assign.is_none() && a.priority.is_none() && a.tags.is_empty() {
            bad(
                "actions",
                "required",
                "a rule must set a department, an assignee, a priority or tags".into(),
            );
        }
        if c.category.iter().any(|&id| id <= 0) {
            bad(
                "conditions.category",
                "invalid_id",
                "ids are whole numbers above zero".into(),
            );
        }
        let lens = [
            ("conditions.kind", c.kind.len()),
            ("conditions.category", c.category.len()),
            ("conditions.product_category", c.product_category.len()),
            ("conditions.channel", c.channel.len()),
            ("conditions.language", c.language.len()),
            ("conditions.tier", c.tier.len()),
            ("conditions.customer_kind", c.customer_kind.len()),
        ];
        for (field, n) in lens {
            if n > MAX_VALUES {
                bad(field, "too_many", format!("at most {MAX_VALUES} values"));
            }
        }
        if a.department.is_some_and(|d| d <= 0) {
            bad(
                "actions.department",
                "invalid_id",
                "ids are whole numbers above zero".into(),
            );
        }
        if let Some(Assign::User { user_id }) = a.assign
            && user_id <= 0
        {
            bad(
                "actions.assign",
                "invalid_id",
                "ids are whole numbers above zero".into(),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid { errors })
        }
    }
}

/// The first rule (in the given order) whose conditions all hold, with its index.
pub fn first_match<'a>(rules: &'a [RoutingRule], t: &TicketFacts<'_>) -> Option<(usize, &'a RoutingRule)> {
    rules.iter().enumerate().find(|(_, r)| r.conditions.matches(t))
}

/// Round robin: the agent with the smallest id above the last one assigned, wrapping around to
/// the smallest. Keyed by id rather than position, so an agent joining or leaving does not reset
/// the turn. `None` without agents.
pub fn round_robin(agents: &[i64], last_assigned: Option<i64>) -> Option<i64> {
    let after = agents
        .iter()
        .copied()
        .filter(|&a| last_assigned.is_none_or(|l| a > l))
        .min();
    after.or_else(|| agents.iter().copied().min())
}

/// Least loaded: among `(agent, open tickets)`, one with the fewest; ties are taken in turn
/// after the last one assigned (as [`round_robin`]), so equal agents share new work.
pub fn least_loaded(agents: &[(i64, u32)], last_assigned: Option<i64>) -> Option<i64> {
    let fewest = agents.iter().map(|&(_, n)| n).min()?;
    let tied: Vec<i64> = agents.iter().filter(|&&(_, n)| n == fewest).map(|&(a, _)| a).collect();
    round_robin(&tied, last_assigned)
}

impl Assign {
    /// The assignee among the department's available `agents` with their open-ticket counts.
    /// A named user who is not among them (away, disabled, moved) gets nothing: the ticket stays
    /// unassigned in the department rather than going to someone who will not see it.
    pub fn pick(self, agents: &[(i64, u32)], last_assigned: Option<i64>) -> Option<i64> {
        match self {
            Assign::User { user_id } => agents.iter().any(|&(a, _)| a == user_id).then_some(user_id),
            Assign::RoundRobin => round_robin(&agents.iter().map(|&(a, _)| a).collect::<Vec<_>>(), last_assigned),
            Assign::LeastLoaded => least_loaded(agents, last_assigned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: Kind, category_path: &[i64]) -> TicketFacts<'_> {
        TicketFacts {
            kind,
            category_path,
            product_category: Some("热水器"),
            channel: Channel::Email,
            language: Language::ZhCn,
            tier: ValueTier::B,
            customer_kind: CustomerKind::End,
        }
    }

    fn rules() -> Vec<RoutingRule> {
        serde_json::from_str(
            r#"[
              {"name": "VIP complaints", "conditions": {"kind": ["complaint"], "tier": ["A", "B"]},
               "actions": {"department": 3, "assign": {"strategy": "least_loaded"}, "priority": "high", "tags": ["vip"]}},
              {"name": "Washing machines", "conditions": {"category": [10]},
               "actions": {"department": 4, "assign": {"strategy": "round_robin"}}},
              {"name": "English by phone", "conditions": {"language": ["en"], "channel": ["phone", "email"]},
               "actions": {"assign": {"strategy": "user", "user_id": 42}}},
              {"name": "Dealers", "conditions": {"customer_kind": ["intermediate"], "product_category": ["热水器", "空调"]},
               "actions": {"priority": "normal"}},
              {"name": "Everything else", "actions": {"tags": ["triage"]}}
            ]"#,
        )
        .unwrap()
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let r = rules();
        for rule in &r {
            rule.validate().unwrap();
        }
        let pick = |t: &TicketFacts<'_>| first_match(&r, t).map(|(i, _)| i);
        assert_eq!(pick(&facts(Kind::Complaint, &[1, 10, 11])), Some(0));
        // Category 11 lies below 10: the descendant matches.
        assert_eq!(pick(&facts(Kind::Inquiry, &[1, 10, 11])), Some(1));
        assert_eq!(pick(&facts(Kind::Inquiry, &[1, 12])), Some(4));
        let low_tier = TicketFacts {
            tier: ValueTier::E,
            ..facts(Kind::Complaint, &[])
        };
        assert_eq!(pick(&low_tier), Some(4));
        let english = TicketFacts {
            language: Language::En,
            channel: Channel::Phone,
            ..facts(Kind::Inquiry, &[])
        };
        assert_eq!(pick(&english), Some(2));
        let dealer = TicketFacts {
            customer_kind: CustomerKind::Intermediate,
            ..facts(Kind::Request, &[])
        };
        assert_eq!(pick(&dealer), Some(3));
        assert_eq!(
            pick(&TicketFacts {
                product_category: None,
                ..dealer
            }),
            Some(4),
            "a product condition needs a purchase"
        );
        assert_eq!(
            pick(&TicketFacts {
                product_category: Some("冰箱"),
                ..dealer
            }),
            Some(4),
            "another category"
        );
        assert_eq!(first_match(&[], &dealer), None);
        let (_, vip) = first_match(&r, &facts(Kind::Complaint, &[])).unwrap();
        assert_eq!(vip.actions.assign, Some(Assign::LeastLoaded));
        assert_eq!(vip.actions.priority, Some(Priority::High));
    }

    #[test]
    fn rules_round_trip_and_bad_rules_are_refused() {
        let r = rules();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Vec<RoutingRule>>(&json).unwrap(), r);
        assert!(
            !json.contains("\"product_category\":[]"),
            "empty conditions are left out: {json}"
        );
        for bad in [
            r#"{"name": "x", "conditions": {"kinds": ["complaint"]}, "actions": {"priority": "high"}}"#,
            r#"{"name": "x", "conditions": {"kind": ["complain"]}, "actions": {"priority": "high"}}"#,
            r#"{"name": "x", "actions": {"priority": "highest"}}"#,
            r#"{"name": "x", "actions": {"assign": {"strategy": "random"}}}"#,
            r#"{"name": "x", "actions": {"assign": {"strategy": "user"}}}"#,
            r#"{"name": "x"}"#,
            r#"{"name": "x", "actions": {}, "extra": 1}"#,
        ] {
            assert!(serde_json::from_str::<RoutingRule>(bad).is_err(), "{bad}");
        }
        let invalid = |json: &str| {
            serde_json::from_str::<RoutingRule>(json)
                .unwrap()
                .validate()
                .unwrap_err()
                .errors
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(invalid(r#"{"name": " ", "actions": {}}"#), vec!["name", "actions"]);
        assert_eq!(
            invalid(
                r#"{"name": "x", "conditions": {"category": [0]}, "actions": {"department": -1, "assign": {"strategy": "user", "user_id": 0}}}"#
            ),
            vec!["conditions.category", "actions.department", "actions.assign"]
        );
        let many = format!(
            r#"{{"name": "x", "conditions": {{"product_category": [{}]}}, "actions": {{"priority": "low"}}}}"#,
            (1..=201).map(|i| format!("\"c{i}\"")).collect::<Vec<_>>().join(",")
        );
        assert_eq!(invalid(&many), vec!["conditions.product_category"]);
        assert_eq!(
            invalid(r#"{"name": "x", "conditions": {"product_category": [" "]}, "actions": {"priority": "low"}}"#),
            vec!["conditions.product_category"]
        );
        assert!(
            serde_json::from_str::<RoutingRule>(
                r#"{"name": "x", "conditions": {"product": [7]}, "actions": {"priority": "low"}}"#
            )
            .is_err(),
            "product ids are gone"
        );
    }

    #[test]
    fn agents_are_picked_in_turn_or_by_load() {
        assert_eq!(round_robin(&[5, 2, 9], None), Some(2));
        assert_eq!(round_robin(&[5, 2, 9], Some(2)), Some(5));
        assert_eq!(round_robin(&[5, 2, 9], Some(5)), Some(9));
        assert_eq!(round_robin(&[5, 2, 9], Some(9)), Some(2));
        assert_eq!(round_robin(&[5, 2, 9], Some(6)), Some(9), "the last one left the team");
        assert_eq!(round_robin(&[], Some(6)), None);
        let loads = [(5, 3), (2, 1), (9, 1), (7, 4)];
        assert_eq!(least_loaded(&loads, None), Some(2));
        assert_eq!(least_loaded(&loads, Some(2)), Some(9), "ties take turns");
        assert_eq!(least_loaded(&loads, Some(9)), Some(2));
        assert_eq!(least_loaded(&[], None), None);
        assert_eq!(Assign::User { user_id: 7 }.pick(&loads, None), Some(7));
        assert_eq!(Assign::User { user_id: 8 }.pick(&loads, None), None, "not available");
        assert_eq!(Assign::RoundRobin.pick(&loads, Some(5)), Some(7));
        assert_eq!(Assign::LeastLoaded.pick(&loads, Some(5)), Some(9));
    }
}
