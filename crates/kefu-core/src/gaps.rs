//! The five-gap model (docs/statistics.md#five-gaps; seed 003): the causes of each gap a manager
//! ticks when diagnosing it, and the rules the gap page applies to the figures.
//!
//! - Gap 1, customers' expectations vs management's view of them: the managers' E (the same
//!   survey's expectation battery, answered through a staff campaign) minus the customers' E.
//! - Gap 2, management's view vs the service standards: for each dimension, the standards that
//!   serve it (SLA targets and commitments) beside the weight customers give it.
//! - Gap 3, the standards vs the service delivered: those standards' attainment.
//! - Gap 4, the service delivered vs what was promised outside: the commitments' attainment.
//! - Gap 5, customers' expectations vs their perceptions: P − E.

use crate::error::Invalid;
use serde::Serialize;

/// One cause on the checklist of a gap (or, for Gap 5, a consequence to look for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GapCause {
    pub gap: u8,
    pub code: &'static str,
    pub en: &'static str,
    pub zh: &'static str,
}

impl GapCause {
    pub fn text(&self, lang: crate::Language) -> &'static str {
        match lang {
            crate::Language::ZhCn => self.zh,
            crate::Language::En => self.en,
        }
    }
}

const fn cause(gap: u8, key: &'static str, en: &'static str, zh: &'static str) -> GapCause {
    GapCause { gap, code: key, en, zh }
}

/// Seed 003's causes of each gap, in its order.
pub static CAUSES: &[GapCause] = &[
    cause(
        1,
        "market_research",
        "Market research: what we know of customers' needs is inaccurate, misread or was never analysed",
        "市场调查：市场研究和需求分析的信息不准确；对客户期望的解释不准确；没有进行有效的客户需求分析",
    ),
    cause(
        1,
        "upward_communication",
        "Upward communication: what front-line staff learn from customers is distorted or lost on its way to management",
        "向上沟通：从与客户接触的层次向管理者传递的信息失真或丧失",
    ),
    cause(
        1,
        "management_layers",
        "Layers of management: too many levels block or change what customer contact reveals",
        "管理层次：臃肿的组织层次阻碍或改变了在客户接触中产生的信息",
    ),
    cause(
        2,
        "product_over_service",
        "Quality management favours new products over service",
        "质量管理偏重新产品的研究和开发，不重视服务",
    ),
    cause(
        2,
        "no_clear_goals",
        "No clear goals: those who serve do not know what service management wants delivered",
        "组织无明确目标：服务提供者不了解管理者希望传递的服务是什么",
    ),
    cause(
        2,
        "no_top_support",
        "The service quality plan lacks top management's support",
        "服务质量的计划得不到最高管理层的支持",
    ),
    cause(
        3,
        "standards_too_hard",
        "The standards are too complex or too strict for staff to meet",
        "标准太复杂或太苛刻，员工根本无法达标",
    ),
    cause(
        3,
        "staff_disagree",
        "Staff disagree with the standards and resist them",
        "员工对标准有不同意见，形成抵触情绪",
    ),
    cause(
        3,
        "culture_conflict",
        "The standards conflict with the existing culture and cannot be applied",
        "标准与现有的企业文化发生冲突，无法执行",
    ),
    cause(
        3,
        "weak_supervision",
        "Service operations are disorganised: applying and supervising the standards is weak",
        "服务生产管理混乱，标准的执行与监督不力",
    ),
    cause(
        3,
        "no_internal_marketing",
        "Too little internal marketing: staff do not understand or support the standards",
        "内部营销不充分或根本不开展，标准得不到员工的理解与支持",
    ),
    cause(
        3,
        "systems_unhelpful",
        "Technology and systems do not help staff work to the standards",
        "技术和系统没有按照标准为工作提供便利",
    ),
    cause(
        4,
        "horizontal_communication",
        "Horizontal communication: what is promised outside and what operations deliver are not coordinated",
        "水平沟通问题：对外宣传与实际服务部门之间沟通不足",
    ),
    cause(
        4,
        "overpromising",
        "A tendency to exaggerate and promise too much",
        "有故意夸大其词、承诺太多的倾向",
    ),
    cause(
        5,
        "poor_word_of_mouth",
        "Customers judge the quality poorly and word of mouth turns bad",
        "客户形成消极的质量评价，口碑不佳",
    ),
    cause(5, "image_damage", "The firm's image suffers", "对企业形象的消极影响"),
    cause(
        5,
        "lost_business",
        "Customers and business are lost",
        "丧失客户，丧失业务",
    ),
];

/// The gaps' names, 1 to 5.
pub const GAP_NAMES: [(&str, &str); 5] = [
    (
        "Gap 1: customers' expectations vs management's view of them",
        "差距 1：客户期望与管理者认识的差距",
    ),
    (
        "Gap 2: management's view vs the service standards",
        "差距 2：管理者认识与服务质量标准的差距",
    ),
    (
        "Gap 3: the standards vs the service delivered",
        "差距 3：服务质量标准与实际传递的服务的差距",
    ),
    (
        "Gap 4: the service delivered vs what was promised",
        "差距 4：实际传递的服务与对外承诺的差距",
    ),
    (
        "Gap 5: customers' expectations vs their perceptions (P − E)",
        "差距 5：客户期望与实际感知的差距（P − E）",
    ),
];

/// The cause `code` of gap `gap`, or a refusal naming the field.
pub fn check_cause(gap: i64, code: &str) -> Result<&'static GapCause, Invalid> {
    CAUSES
        .iter()
        .find(|c| i64::from(c.gap) == gap && c.code == code)
        .ok_or_else(|| Invalid::one("cause", "unknown_cause", format!("gap {gap} has no cause {code:?}")))
}

/// The longest note on a cause, in characters.
pub const NOTE_MAX: usize = 2_000;

/// Gap 2's flag: which dimensions customers weight highly — at least the mean weight of the
/// dimensions (with five, 20 of the 100 points) — given each dimension's importance (`None`
/// where it is not known, never flagged).
pub fn weighted_highly(importance: &[Option<f64>]) -> Vec<bool> {
    let known: Vec<f64> = importance.iter().flatten().copied().collect();
    let Some(mean) = crate::stats::descriptive::mean(&known) else {
        return vec![false; importance.len()];
    };
    importance
        .iter()
        .map(|i| i.is_some_and(|i| i + 1e-12 >= mean))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::descriptive::{TailHistogram, summarize, welch_difference};

    #[test]
    fn every_cause_is_known_and_unique() {
        for c in CAUSES {
            assert!(std::ptr::eq(check_cause(i64::from(c.gap), c.code).unwrap(), c));
            assert!(!c.en.is_empty() && !c.zh.is_empty());
        }
        let mut codes: Vec<_> = CAUSES.iter().map(|c| c.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CAUSES.len());
        assert_eq!(check_cause(2, "market_research").unwrap_err().errors[0].field, "cause");
        assert!(check_cause(6, "lost_business").is_err());
        for gap in 1..=5 {
            assert!(CAUSES.iter().any(|c| c.gap == gap));
        }
    }

    #[test]
    fn the_welch_interval_agrees_with_scipy() {
        // scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval()
        let a = summarize(&[5.0, 6.0, 6.0, 7.0, 5.0, 4.0, 6.0]);
        let b = summarize(&[6.0, 7.0, 7.0, 6.0, 7.0, 7.0, 6.0, 7.0, 5.0, 7.0]);
        let (d, ci) = welch_difference(&a, &b);
        let ci = ci.unwrap();
        assert!((d.unwrap() - (39.0 / 7.0 - 6.5)).abs() < 1e-12);
        assert!((ci.lo - -1.8859554202010216).abs() < 1e-9, "{}", ci.lo);
        assert!((ci.hi - 0.02881256305816393).abs() < 1e-9, "{}", ci.hi);
        let one = summarize(&[5.0]);
        assert_eq!(welch_difference(&one, &b).1, None, "n < 2 has no interval");
        assert_eq!(welch_difference(&summarize(&[]), &b), (None, None));
    }

    #[test]
    fn dimensions_weighted_at_least_the_mean_are_flagged() {
        let w = weighted_highly(&[Some(10.0), Some(32.0), Some(24.0), Some(19.0), Some(15.0)]);
        assert_eq!(w, [false, true, true, false, false]);
        assert_eq!(weighted_highly(&[None, None]), [false, false]);
        assert_eq!(weighted_highly(&[Some(20.0), None, Some(20.0)]), [true, false, true]);
    }

    #[test]
    fn at_most_counts_the_values_up_to_a_bound() {
        let mut h = TailHistogram::default();
        for v in [0.0, 30.0, 60.0, 119.0, 120.0, 125.0, 300.0] {
            h.add(v);
        }
        assert_eq!(h.at_most(120.0), 5);
        assert_eq!(h.at_most(0.0), 1);
        assert_eq!(h.at_most(1e9), 7);
        assert_eq!(h.at_most(-1.0), 0);
    }
}
