//! The sufficient statistics of a survey × segment × month (stored as JSON, merged by reports),
//! and the segments an answer is counted under.

use super::view::{Answers, SurveyView};
use kefu_core::Invalid;
use kefu_core::SurveyKind;
use kefu_core::stats::ServqualAccumulator;
use kefu_core::stats::competitor::CompetitorSums;
use kefu_core::stats::scales::AnswerCounts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The sufficient statistics of one survey × segment × period (stored as JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum SurveyAccumulator {
    Servqual(ServqualAccumulator),
    /// servqual / servperf with a competitor rated beside us.
    Benchmarked(ServqualAccumulator, CompetitorSums),
    /// csat / nps / ces: counts of each answer.
    Scale(AnswerCounts),
    /// custom: counts per item.
    Custom(BTreeMap<String, AnswerCounts>),
}

impl SurveyAccumulator {
    pub fn new(view: &SurveyView) -> Result<SurveyAccumulator, Invalid> {
        Ok(match view.survey.kind {
            SurveyKind::Servqual | SurveyKind::Servperf if view.benchmarked() => {
                let layout = view.layout();
                SurveyAccumulator::Benchmarked(ServqualAccumulator::new(layout.clone())?, CompetitorSums::new(&layout))
            }
            SurveyKind::Servqual | SurveyKind::Servperf => {
                SurveyAccumulator::Servqual(ServqualAccumulator::new(view.layout())?)
            }
            SurveyKind::Custom => SurveyAccumulator::Custom(BTreeMap::new()),
            SurveyKind::Csat | SurveyKind::Nps | SurveyKind::Ces => SurveyAccumulator::Scale(AnswerCounts::default()),
        })
    }

    pub fn add(&mut self, view: &SurveyView, a: &Answers) -> Result<(), Invalid> {
        match self {
            SurveyAccumulator::Servqual(acc) => acc.add(&view.servqual_response(a)),
            SurveyAccumulator::Benchmarked(acc, c) => {
                let r = view.servqual_response(a);
                acc.add(&r)?;
                // The competitor answers were checked with the rest (`check_answers`).
                c.add(&acc.layout, &r.perception, &view.competitor_answers(a))
            }
            SurveyAccumulator::Scale(c) => {
                c.add(i64::from(a.score.unwrap_or(0)));
                Ok(())
            }
            SurveyAccumulator::Custom(m) => {
                for (code, v) in &a.perception {
                    m.entry(code.clone()).or_default().add(i64::from(*v));
                }
                Ok(())
            }
        }
    }

    /// How many answers the statistics hold (for custom surveys: the most any item has).
    pub fn respondents(&self) -> u64 {
        match self {
            SurveyAccumulator::Servqual(s) | SurveyAccumulator::Benchmarked(s, _) => s.n_respondents,
            SurveyAccumulator::Scale(c) => c.n(),
            SurveyAccumulator::Custom(m) => m.values().map(AnswerCounts::n).max().unwrap_or(0),
        }
    }

    pub fn merge(&mut self, o: &SurveyAccumulator) -> Result<(), Invalid> {
        match (self, o) {
            (SurveyAccumulator::Servqual(a), SurveyAccumulator::Servqual(b)) => a.merge(b),
            (SurveyAccumulator::Benchmarked(a, ca), SurveyAccumulator::Benchmarked(b, cb)) => {
                ca.merge(cb);
                a.merge(b)
            }
            (SurveyAccumulator::Scale(a), SurveyAccumulator::Scale(b)) => {
                a.merge(b);
                Ok(())
            }
            (SurveyAccumulator::Custom(a), SurveyAccumulator::Custom(b)) => {
                for (k, v) in b {
                    a.entry(k.clone()).or_default().merge(v);
                }
                Ok(())
            }
            _ => Err(Invalid::one("accumulator", "mismatch", "statistics of different kinds")),
        }
    }
}

/// The attributes a report can be cut by, frozen on each answer when it is given (the period is
/// the month, chosen with `from` / `to`).
pub const SEGMENT_FIELDS: [&str; 9] = [
    "tier",
    "kind",
    "region",
    "channel",
    "product",
    "product_category",
    "department",
    "agent",
    "role",
];

/// A segment as the report takes it: `all`, or `<field>:<value>` (`<field>=<value>` too) with a
/// field of [`SEGMENT_FIELDS`]: `tier:A`, `region=华东`, `channel:email`, `agent:12`.
pub fn parse_segment(s: Option<&str>) -> Result<String, Invalid> {
    let s = s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("all");
    if s == "all" || s == "staff" {
        return Ok(s.into());
    }
    let bad = |why: &str| {
        Invalid::one(
            "segment",
            "unknown_segment",
            format!(
                "{why}: a segment is all or <field>=<value>, field one of {}",
                SEGMENT_FIELDS.join(", ")
            ),
        )
    };
    let (field, value) = s.split_once([':', '=']).ok_or_else(|| bad("no field"))?;
    let (field, value) = (field.trim(), value.trim());
    if value.is_empty() || value.chars().count() > 100 {
        return Err(bad("no value"));
    }
    let value = match field {
        "tier" => kefu_core::rfm::ValueTier::parse(value)
            .ok_or_else(|| bad("tier is A to E or none"))?
            .as_str()
            .to_owned(),
        "kind" => match value {
            "end" | "intermediate" | "internal" => value.to_owned(),
            _ => return Err(bad("kind is end, intermediate or internal")),
        },
        "agent" => value.parse::<i64>().map_err(|_| bad("agent is a user id"))?.to_string(),
        "department" => value
            .parse::<i64>()
            .map_err(|_| bad("department is a department id"))?
            .to_string(),
        "region" | "channel" | "product" | "product_category" => value.to_owned(),
        "role" => match value {
            "admin" | "manager" | "agent" | "technician" => value.to_owned(),
            _ => return Err(bad("role is admin, manager, agent or technician")),
        },
        _ => return Err(bad(&format!("unknown field {field:?}"))),
    };
    Ok(format!("{field}:{value}"))
}

/// The statistics rows (segment, period) an answer with these frozen attributes folds into:
/// `all` — or `staff` for a staff member's answer (an employee survey, the managers' view of
/// Gap 1), which no customer figure may count — and `<field>:<value>` for each segment field it has.
pub fn stats_keys(segment: &Value) -> Vec<(String, String)> {
    let period = segment["period"].as_str().unwrap_or("1970-01").to_owned();
    let staff = segment["role"].as_str().is_some_and(|r| !r.is_empty());
    let mut keys = vec![(if staff { "staff" } else { "all" }.to_owned(), period.clone())];
    for f in SEGMENT_FIELDS {
        let v = match &segment[f] {
            Value::String(v) if !v.is_empty() => v.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        keys.push((format!("{f}:{v}"), period.clone()));
    }
    // A ticket's answer also counts under "<segment>|sla:met" or "…|sla:breached", for the
    // dissatisfaction causes of every segment.
    if let Some(sla) = segment["sla"].as_str().filter(|s| matches!(*s, "met" | "breached")) {
        let with: Vec<(String, String)> = keys
            .iter()
            .map(|(k, p)| (format!("{k}|sla:{sla}"), p.clone()))
            .collect();
        keys.extend(with);
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_staff_answer_counts_apart_from_the_customers() {
        let keys = stats_keys(&json!({"role": "manager", "period": "2026-12"}));
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["staff", "role:manager"]);
        assert_eq!(parse_segment(Some("staff")).unwrap(), "staff");
        assert_eq!(parse_segment(Some("department=7")).unwrap(), "department:7");
        assert!(parse_segment(Some("department=x")).is_err());
    }

    #[test]
    fn a_ticket_answer_also_counts_under_its_sla_outcome() {
        let keys = stats_keys(&json!({"tier": "A", "channel": "email", "sla": "breached", "period": "2026-12"}));
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "all",
                "tier:A",
                "channel:email",
                "all|sla:breached",
                "tier:A|sla:breached",
                "channel:email|sla:breached"
            ]
        );
        assert!(keys.iter().all(|(_, p)| p == "2026-12"));
        assert_eq!(stats_keys(&json!({"period": "2026-12"})).len(), 1);
    }
}
