//! Customers and the channel network: kinds, intermediate subkinds, the channel tree's cycle rule,
//! phone numbers, and the four social styles with their guidance cards.

use crate::error::Invalid;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerKind {
    /// An end consumer.
    End,
    /// An agent, wholesaler or retailer that also reports for its own customers.
    Intermediate,
    /// An internal department, served as a customer.
    Internal,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::End => "end",
            CustomerKind::Intermediate => "intermediate",
            CustomerKind::Internal => "internal",
        }
    }
    pub fn parse(s: &str) -> Result<CustomerKind, Invalid> {
        match s.trim() {
            "end" => Ok(CustomerKind::End),
            "intermediate" => Ok(CustomerKind::Intermediate),
            "internal" => Ok(CustomerKind::Internal),
            other => Err(Invalid::one(
                "kind",
                "unknown_kind",
                format!("kind must be end, intermediate or internal, not {other:?}"),
            )),
        }
    }
}

/// The intermediate customer's place in the channel (manufacturer → agents → wholesalers → retailers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subkind {
    Agent,
    WholesalerL1,
    WholesalerL2,
    Retailer,
    Other,
}

impl Subkind {
    pub const ALL: [Subkind; 5] = [
        Subkind::Agent,
        Subkind::WholesalerL1,
        Subkind::WholesalerL2,
        Subkind::Retailer,
        Subkind::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Subkind::Agent => "agent",
            Subkind::WholesalerL1 => "wholesaler_l1",
            Subkind::WholesalerL2 => "wholesaler_l2",
            Subkind::Retailer => "retailer",
            Subkind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Result<Subkind, Invalid> {
        Subkind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::one(
                    "subkind",
                    "unknown_subkind",
                    format!("subkind must be agent, wholesaler_l1, wholesaler_l2, retailer or other, not {s:?}"),
                )
            })
    }
}

/// Whether making `new_parent` the parent of `child` would close a loop in the channel tree.
/// `parent_of` walks the current tree upwards; a walk longer than `max_depth` counts as a loop
/// (it can only come from data that already loops).
pub fn would_create_cycle(
    child: i64,
    new_parent: i64,
    max_depth: usize,
    mut parent_of: impl FnMut(i64) -> Option<i64>,
) -> bool {
    let mut at = Some(new_parent);
    for _ in 0..=max_depth {
        match at {
            None => return false,
            Some(id) if id == child => return true,
            Some(id) => at = parent_of(id),
        }
    }
    true
}

/// A phone number in a canonical form for matching duplicates: digits only, with mainland China's
/// `+86`/`0086` prefix dropped from mobile numbers and a leading `+` kept for other countries.
/// Full-width digits and signs (１３８－００１３…, ＋８６) count as their ASCII forms (NFKC).
pub fn normalize_phone(raw: &str) -> Result<String, Invalid> {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = raw.nfkc().collect();
    let s = folded.trim();
    let bad = || Invalid::one("phone", "invalid_phone", format!("not a phone number: {s:?}"));
    if s.chars().any(|c| !(c.is_ascii_digit() || " -+()./".contains(c))) {
        return Err(bad());
    }
    let plus = s.starts_with('+');
    let mut digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits.strip_prefix("0086") {
        digits = format!("86{rest}");
    }
    let international = plus || s.starts_with("00");
    if (international || digits.len() == 13) && digits.starts_with("86") && digits.len() == 13 {
        digits = digits[2..].to_owned();
        return if digits.len() >= 5 { Ok(digits) } else { Err(bad()) };
    }
    if !(5..=15).contains(&digits.len()) {
        return Err(bad());
    }
    Ok(if international {
        format!("+{}", digits.trim_start_matches("00"))
    } else {
        digits
    })
}

/// "2999", "2999.5", "2999.00" → 299_900 minor units; negative, malformed or more than two
/// decimals is an error.
pub fn parse_amount(s: &str) -> Result<i64, Invalid> {
    let bad = || {
        Invalid::one(
            "amount",
            "invalid_amount",
            format!("{s:?} is not an amount such as 2999.00"),
        )
    };
    let t = s.trim();
    if t.starts_with('-') {
        return Err(Invalid::one(
            "amount",
            "negative_amount",
            "the amount must not be negative",
        ));
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(bad());
    }
    let w: i64 = whole.parse().map_err(|_| bad())?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(w * 100 + f)
}

/// Minor units as decimal text with two places: 299_950 → "2999.50".
pub fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).abs(), (minor % 100).abs())
}

/// The four social styles (表达度 × 情感度: assertiveness × responsiveness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocialStyle {
    /// 支配型
    Dominant,
    /// 表达型
    Expressive,
    /// 和蔼型
    Amiable,
    /// 分析型
    Analytical,
}

/// What an agent should know about a contact of this style, in one language.
#[derive(Debug, Clone, Serialize)]
pub struct GuidanceCard {
    pub style: &'static str,
    pub traits: &'static [&'static str],
    pub needs: &'static [&'static str],
    pub fears: &'static [&'static str],
    pub approach: &'static str,
}

impl SocialStyle {
    pub const ALL: [SocialStyle; 4] = [
        SocialStyle::Dominant,
        SocialStyle::Expressive,
        SocialStyle::Amiable,
        SocialStyle::Analytical,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SocialStyle::Dominant => "dominant",
            SocialStyle::Expressive => "expressive",
            SocialStyle::Amiable => "amiable",
            SocialStyle::Analytical => "analytical",
        }
    }
    pub fn parse(s: &str) -> Result<SocialStyle, Invalid> {
        SocialStyle::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::one(
                    "social_style",
                    "unknown_social_style",
                    format!("social_style must be dominant, expressive, amiable or analytical, not {s:?}"),
                )
            })
    }

    /// The guidance card, in Chinese (`zh = true`) or English: traits, needs and fears.
    pub fn card(self, zh: bool) -> GuidanceCard {
        match (self, zh) {
            (SocialStyle::Dominant, true) => GuidanceCard {
                style: "支配型",
                traits: &[
                    "发号施令，喜欢控制局面",
                    "不能容忍错误",
                    "不在乎别人的情绪和建议",
                    "决策者、冒险家，是有目的的听众",
                    "冷静独立，以自我为中心",
                ],
                needs: &["直接的回答", "大量的新想法", "事实"],
                fears: &["犯错误", "没有结果"],
                approach: "开门见山，先给结论和可选方案，用事实说话，让对方做决定；不要绕弯子或推诿。",
            },
            (SocialStyle::Dominant, false) => GuidanceCard {
                style: "Dominant",
                traits: &[
                    "Gives orders, likes to be in control",
                    "Does not tolerate mistakes",
                    "Pays little heed to others' feelings or advice",
                    "A decision-maker and risk-taker; listens with a purpose",
                    "Cool, independent, self-centred",
                ],
                needs: &["Direct answers", "Plenty of new ideas", "Facts"],
                fears: &["Making mistakes", "Getting no result"],
                approach: "Lead with the outcome and the options, back them with facts, and let them decide. No hedging, no runaround.",
            },
            (SocialStyle::Expressive, true) => GuidanceCard {
                style: "表达型",
                traits: &[
                    "充满激情，有创造力，理想化",
                    "重感情，乐观，喜欢参与",
                    "追求乐趣，乐于让别人开心",
                    "通常没有条理",
                    "嗓门大，话多",
                ],
                needs: &["公众的认可", "民主的关系", "表达自己的自由", "有人帮助实现创意"],
                fears: &["失去大家的赞同"],
                approach: "热情回应，让对方把话说完并表示认可；把要点和下一步写下来发给对方，帮他落实。",
            },
            (SocialStyle::Expressive, false) => GuidanceCard {
                style: "Expressive",
                traits: &[
                    "Enthusiastic, creative, idealistic",
                    "Emotional, optimistic, likes to take part",
                    "Seeks fun and likes to please",
                    "Often disorganised",
                    "Loud and talkative",
                ],
                needs: &[
                    "Public recognition",
                    "A relationship of equals",
                    "Freedom to express themselves",
                    "Someone to help make their ideas happen",
                ],
                fears: &["Losing others' approval"],
                approach: "Respond warmly, let them talk and acknowledge them; then put the key points and next steps in writing for them.",
            },
            (SocialStyle::Amiable, true) => GuidanceCard {
                style: "和蔼型",
                traits: &[
                    "善于保持人际关系，忠诚，关心别人",
                    "待人热心、耐心",
                    "不喜欢采取主动",
                    "非常出色的听众，决策迟缓",
                    "不喜欢人际间的矛盾",
                ],
                needs: &["安全感", "真诚的赞赏", "传统的方式和程序"],
                fears: &["失去安全感"],
                approach: "语气真诚平和，按部就班说明流程和保障，主动跟进进度；不要催促对方立刻决定。",
            },
            (SocialStyle::Amiable, false) => GuidanceCard {
                style: "Amiable",
                traits: &[
                    "Keeps relationships, loyal, caring",
                    "Warm and patient with people",
                    "Does not like to take the initiative",
                    "An excellent listener; slow to decide",
                    "Dislikes conflict between people",
                ],
                needs: &["Security", "Sincere appreciation", "Familiar ways and procedures"],
                fears: &["Losing security"],
                approach: "Be sincere and calm, explain the procedure and the guarantees step by step, and follow up yourself. Do not press for a quick decision.",
            },
            (SocialStyle::Analytical, true) => GuidanceCard {
                style: "分析型",
                traits: &[
                    "天生喜欢分析，会问许多细节问题",
                    "敏感，喜欢较大的个人空间",
                    "事事追求准确完美，喜欢条理",
                    "决策非常谨慎，依赖材料和数据",
                ],
                needs: &["安全感", "不希望有突然的改变", "希望被别人重视"],
                fears: &["批评", "混乱局面", "没有清楚的条理", "新的措施方法"],
                approach: "给出准确、有条理的书面信息（数据、条款、时间表），提前说明任何变化，认真回答每个细节问题。",
            },
            (SocialStyle::Analytical, false) => GuidanceCard {
                style: "Analytical",
                traits: &[
                    "Analyses by nature and asks about details",
                    "Sensitive; wants personal space",
                    "Wants everything exact and orderly",
                    "Decides very carefully, relying on documents and data",
                ],
                needs: &["Security", "No sudden changes", "To be taken seriously"],
                fears: &["Criticism", "Chaos", "No clear order", "New, untried measures"],
                approach: "Give precise, orderly written information (data, terms, timelines), announce any change in advance, and answer every detailed question.",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn amounts_parse_and_format() {
        assert_eq!(format_amount(299_950), "2999.50");
        assert_eq!(format_amount(7), "0.07");
        assert_eq!(format_amount(-150), "-1.50");
        assert_eq!(parse_amount("2999").unwrap(), 299_900);
        assert_eq!(parse_amount("2999.5").unwrap(), 299_950);
        assert_eq!(parse_amount(" 0.07 ").unwrap(), 7);
        for bad in ["", "-1", "1.234", "1,000", "abc", "1e5", ".5", "9999999999999"] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_amount("-3").unwrap_err().errors[0].code, "negative_amount");
    }

    #[test]
    fn cycles_are_found() {
        // 1 ← 2 ← 3 (3's parent is 2, 2's parent is 1)
        let parents: HashMap<i64, i64> = [(2, 1), (3, 2)].into();
        let p = |id: i64| parents.get(&id).copied();
        assert!(would_create_cycle(1, 3, 100, p), "1 under 3 closes 1→3→2→1");
        assert!(would_create_cycle(2, 2, 100, p), "own parent");
        assert!(!would_create_cycle(3, 1, 100, p));
        assert!(!would_create_cycle(4, 3, 100, p));
        let looped: HashMap<i64, i64> = [(5, 6), (6, 5)].into();
        assert!(
            would_create_cycle(9, 5, 10, |id| looped.get(&id).copied()),
            "an existing loop is not walked forever"
        );
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(normalize_phone("138-0013-8000").unwrap(), "13800138000");
        assert_eq!(normalize_phone("+86 138 0013 8000").unwrap(), "13800138000");
        assert_eq!(normalize_phone("0086 13800138000").unwrap(), "13800138000");
        assert_eq!(normalize_phone("(010) 6552-9988").unwrap(), "01065529988");
        assert_eq!(normalize_phone("+44 20 7946 0958").unwrap(), "+442079460958");
        // Typed with a Chinese input method: full-width digits, signs, brackets and spaces.
        assert_eq!(normalize_phone("１３８－００１３－８０００").unwrap(), "13800138000");
        assert_eq!(
            normalize_phone("＋８６\u{3000}１３８００１３８０００").unwrap(),
            "13800138000"
        );
        assert_eq!(normalize_phone("（０１０）６５５２－９９８８").unwrap(), "01065529988");
        for bad in ["", "abc", "12", "138<script>", "1234567890123456789"] {
            assert!(normalize_phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_style_has_a_card_in_both_languages() {
        for s in SocialStyle::ALL {
            for zh in [true, false] {
                let c = s.card(zh);
                assert!(!c.traits.is_empty() && !c.needs.is_empty() && !c.fears.is_empty() && !c.approach.is_empty());
            }
            assert_eq!(SocialStyle::parse(s.as_str()).unwrap(), s);
        }
        assert!(SocialStyle::parse("grumpy").is_err());
        assert_eq!(CustomerKind::parse("intermediate").unwrap(), CustomerKind::Intermediate);
        assert_eq!(Subkind::parse("wholesaler_l2").unwrap(), Subkind::WholesalerL2);
        assert!(Subkind::parse("distributor").is_err());
    }
}
