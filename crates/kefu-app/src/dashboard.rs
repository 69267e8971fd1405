//! The manager's dashboard, ticket half (docs/statistics.md#ticket-facts): a period's ticket
//! figures for one segment, read from the kept ticket facts — whole months from the monthly
//! rollups, the days at either end from the daily rows — never by scanning tickets. The sums of
//! the settled past are kept per facts epoch ([`App::fact_sums`]). The queue now is counted from
//! the SLA marks kept on the open tickets (docs/statistics.md#queue-now).

use crate::{Actor, App, AppResult};
use kefu_core::Invalid;
use kefu_core::facts::{CREATED, FCR, FIRST_RESPONSE_BINS, Grain, REOPENED, RESOLUTION_BINS, RESOLVED, histogram};
use kefu_core::queue::{MarkCount, QueueNow, QueueRules};
use kefu_core::rfm::ValueTier;
use kefu_core::stats::descriptive::TailHistogram;
use kefu_core::ticket::Kind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Summed fact rows `(kind, figure, value)`.
pub type FactRows = Vec<(String, String, i64)>;

/// Sums of the settled past kept between requests: (segment, first day, last day) → (the facts'
/// epoch they were summed at, the rows).
pub(crate) type FactCache =
    std::collections::HashMap<(String, jiff::civil::Date, jiff::civil::Date), (i64, Arc<FactRows>)>;

/// At most this many sums are kept (each a few thousand rows; a dashboard keeps one for its
/// period and one per settled part of its trend); past it the cache starts afresh.
const FACT_CACHE_ENTRIES: usize = 400;

/// The fields a segment may name (`field:value`), besides `all`.
pub const SEGMENT_FIELDS: [&str; 7] = [
    "tier",
    "region",
    "channel",
    "department",
    "product_category",
    "agent",
    "touchpoint",
];

/// A period of whole days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
}

impl Period {
    /// The default period: the twelve months that end with `today`'s (today included).
    pub fn last_twelve_months(today: jiff::civil::Date) -> Period {
        let from = today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(11))
            .unwrap_or(today);
        Period { from, to: today }
    }

    /// Reads `from` and `to` (`YYYY-MM-DD`); a bad one is refused naming it.
    pub fn parse(from: &str, to: &str) -> Result<Period, Invalid> {
        let day = |field: &str, v: &str| {
            let v = v.trim();
            let shaped = v.len() == 10
                && v.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            shaped
                .then(|| v.parse::<jiff::civil::Date>().ok())
                .flatten()
                .ok_or_else(|| Invalid::one(field, "invalid_date", format!("{field} must be a date as YYYY-MM-DD")))
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        if from > to {
            return Err(Invalid::one("from", "from_after_to", "from must not be after to"));
        }
        Ok(Period { from, to })
    }

    /// The fact ranges that cover the period: its whole months from the rollups, the days at
    /// either end from the daily rows (at most three ranges).
    pub fn ranges(&self) -> Vec<(Grain, String, String)> {
        let month = |d: jiff::civil::Date| d.strftime("%Y-%m").to_string();
        let mut out: Vec<(Grain, String, String)> = Vec::new();
        let mut d = self.from;
        while d <= self.to {
            let last = d.last_of_month();
            if d.day() == 1 && last <= self.to {
                match out.last_mut() {
                    Some((Grain::Month, _, end)) => *end = month(d),
                    _ => out.push((Grain::Month, month(d), month(d))),
                }
            } else {
                out.push((Grain::Day, d.to_string(), last.min(self.to).to_string()));
            }
            match last.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        out
    }
}

/// Past this many months a trend goes by years.
pub const TREND_MONTHS_MAX: usize = 36;

impl Period {
    /// The parts a trend of the period shows: each month it touches (`YYYY-MM`), or each year
    /// (`YYYY`) past [`TREND_MONTHS_MAX`] months, each cut to the period's days.
    pub fn parts(&self) -> Vec<(String, Period)> {
        let months = (self.to.year() as i64 - self.from.year() as i64) * 12 + self.to.month() as i64
            - self.from.month() as i64
            + 1;
        let by_year = months > TREND_MONTHS_MAX as i64;
        let mut out = Vec::new();
        let mut d = self.from;
        while d <= self.to {
            let (label, last) = if by_year {
                (d.strftime("%Y").to_string(), d.last_of_year())
            } else {
                (d.strftime("%Y-%m").to_string(), d.last_of_month())
            };
            out.push((
                label,
                Period {
                    from: d,
                    to: last.min(self.to),
                },
            ));
            match last.tomorrow() {
                Ok(next) => d = next,
                Err(_) => break,
            }
        }
        out
    }

    /// The day patterns of the period for [`kefu_store::TicketFilter::fact_on`]: a whole month
    /// as `YYYY-MM-__`, the days at either end one by one.
    pub fn day_patterns(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (grain, first, last) in self.ranges() {
            match grain {
                Grain::Month => {
                    let mut m = format!("{first}-01").parse::<jiff::civil::Date>().ok();
                    while let Some(d) = m.filter(|d| d.strftime("%Y-%m").to_string() <= last) {
                        out.push(d.strftime("%Y-%m-__").to_string());
                        m = d.checked_add(jiff::Span::new().months(1)).ok();
                    }
                }
                Grain::Day => {
                    let mut day = first.parse::<jiff::civil::Date>().ok();
                    while let Some(d) = day.filter(|d| d.to_string() <= last) {
                        out.push(d.to_string());
                        day = d.tomorrow().ok();
                    }
                }
            }
        }
        out
    }
}

/// Checks a figure a drill-down names (`sla:3:resolution:breached`, `reopened`, …): lower-case
/// letters, digits, `_`, `-` and `:`, at most 100 characters.
pub fn check_figure(figure: &str) -> Result<String, Invalid> {
    let f = figure.trim();
    let ok = !f.is_empty()
        && f.len() <= 100
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-:".contains(&b));
    if ok {
        Ok(f.to_owned())
    } else {
        Err(Invalid::one(
            "fact",
            "unknown_figure",
            "fact names a figure such as sla:3:resolution:breached",
        ))
    }
}

/// Checks a segment: `all` or `field:value` with a known field and a value.
pub fn check_segment(segment: &str) -> Result<String, Invalid> {
    let s = segment.trim();
    if s == "all" {
        return Ok(s.to_owned());
    }
    match s.split_once(':') {
        Some((field, value)) if SEGMENT_FIELDS.contains(&field) && !value.trim().is_empty() => Ok(s.to_owned()),
        _ => Err(Invalid::one(
            "segment",
            "unknown_segment",
            format!(
                "segment must be all or field:value with field one of {}",
                SEGMENT_FIELDS.join(", ")
            ),
        )),
    }
}

/// Durations in business minutes: how many, and the percentiles (within 1 % of nearest rank).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailFigure {
    pub n: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

impl From<&TailHistogram> for TailFigure {
    fn from(h: &TailHistogram) -> TailFigure {
        TailFigure {
            n: h.n(),
            p50: h.percentile(50),
            p90: h.percentile(90),
            p99: h.percentile(99),
        }
    }
}

/// One policy's target: cycles met and breached in the period, and the share met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaFigure {
    pub policy_id: i64,
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    pub met: i64,
    pub breached: i64,
    pub attainment: Option<f64>,
}

/// A period's ticket figures for one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketFigures {
    pub created: i64,
    pub by_kind: BTreeMap<String, i64>,
    /// Channel code (as the ticket API spells it) → tickets created.
    pub by_channel: BTreeMap<String, i64>,
    /// Category id → tickets created in it (the leaf).
    pub by_category: BTreeMap<String, i64>,
    pub by_touchpoint: BTreeMap<String, i64>,
    pub by_product_category: BTreeMap<String, i64>,
    pub sla: Vec<SlaFigure>,
    pub first_response_minutes: TailFigure,
    pub resolution_minutes: TailFigure,
    pub resolved: i64,
    pub reopened: i64,
    pub first_contact_resolutions: i64,
    /// reopened / resolved.
    pub reopen_rate: Option<f64>,
    /// first-contact resolutions / resolved.
    pub fcr_rate: Option<f64>,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The figures from summed fact rows `(kind, figure, sum)`.
pub fn ticket_figures(rows: &[(String, String, i64)]) -> TicketFigures {
    let mut by_figure: BTreeMap<&str, i64> = BTreeMap::new();
    let mut by_kind = BTreeMap::new();
    for (kind, figure, v) in rows {
        *by_figure.entry(figure.as_str()).or_default() += v;
        if figure == CREATED {
            *by_kind.entry(kind.clone()).or_default() += v;
        }
    }
    by_kind.retain(|_, v| *v != 0);
    let breakdown = |field: &str| -> BTreeMap<String, i64> {
        by_figure
            .iter()
            .filter_map(|(f, v)| {
                let value = f.strip_prefix(field)?.strip_prefix(':')?;
                (*v != 0).then(|| (value.to_owned(), *v))
            })
            .collect()
    };
    let mut sla: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
    for (f, v) in &by_figure {
        let mut parts = f.split(':');
        if let (Some("sla"), Some(policy), Some(target), Some(outcome), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
            && let Ok(policy) = policy.parse()
        {
            let e = sla.entry((policy, target.to_owned())).or_default();
            match outcome {
                "met" => e.0 += v,
                "breached" => e.1 += v,
                _ => {}
            }
        }
    }
    let get = |f: &str| by_figure.get(f).copied().unwrap_or(0);
    let hist = |prefix: &str| histogram(prefix, by_figure.iter().map(|(f, v)| (*f, *v)));
    let resolved = get(RESOLVED);
    TicketFigures {
        created: get(CREATED),
        by_kind,
        by_channel: breakdown("channel"),
        by_category: breakdown("category"),
        by_touchpoint: breakdown("touchpoint"),
        by_product_category: breakdown("product_category"),
        sla: sla
            .into_iter()
            .filter(|(_, (m, b))| m + b > 0)
            .map(|((policy_id, target), (met, breached))| SlaFigure {
                policy_id,
                target,
                met,
                breached,
                attainment: share(met, met + breached),
            })
            .collect(),
        first_response_minutes: (&hist(FIRST_RESPONSE_BINS)).into(),
        resolution_minutes: (&hist(RESOLUTION_BINS)).into(),
        resolved,
        reopened: get(REOPENED),
        first_contact_resolutions: get(FCR),
        reopen_rate: share(get(REOPENED), resolved),
        fcr_rate: share(get(FCR), resolved),
    }
}

/// One part of a period (a month, or a year): the first-response and resolution times of the
/// tickets whose target settled on its days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimesIn {
    /// `YYYY-MM` or `YYYY`.
    pub part: String,
    pub first_response_minutes: TailFigure,
    pub resolution_minutes: TailFigure,
}

/// How far word of mouth carries (seed 001): whom one unhappy customer's story reaches (25 told,
/// 500 retold, 1,300 further: 1,825) and whom one satisfied customer tells (1 to 5: 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordOfMouthRule {
    pub unhappy: u32,
    pub happy: u32,
}

impl Default for WordOfMouthRule {
    fn default() -> Self {
        WordOfMouthRule {
            unhappy: 1825,
            happy: 3,
        }
    }
}

/// The word-of-mouth exposure of a period — an estimate, by [`WordOfMouthRule`]: complaints filed
/// times the unhappy reach, and satisfied CSAT answers times the happy one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WordOfMouth {
    pub complaints: i64,
    /// People who may have heard of bad service.
    pub unhappy_reach: i64,
    /// Satisfied answers of the CSAT headline (its share times its answers), when there is one.
    pub satisfied: Option<i64>,
    pub happy_reach: Option<i64>,
}

impl WordOfMouth {
    pub fn estimate(rule: WordOfMouthRule, complaints: i64, csat: Option<(u64, f64)>) -> WordOfMouth {
        let satisfied = csat.map(|(n, share)| (n as f64 * share).round() as i64);
        WordOfMouth {
            complaints,
            unhappy_reach: complaints.saturating_mul(i64::from(rule.unhappy)),
            satisfied,
            happy_reach: satisfied.map(|s| s.saturating_mul(i64::from(rule.happy))),
        }
    }
}

/// The manager's dashboard for a period and a segment: the ticket figures from the kept facts,
/// and each survey kind's figure over the whole months the period touches.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub period: Period,
    pub segment: String,
    /// The months the survey figures cover: `YYYY-MM`, first and last.
    pub survey_months: (String, String),
    pub tickets: TicketFigures,
    /// First-response and resolution times per month of the period (per year past
    /// [`TREND_MONTHS_MAX`] months).
    pub times_trend: Vec<TimesIn>,
    /// The open tickets of the segment now (not of the period).
    pub queue: QueueNow,
    pub quality: Vec<crate::surveys::Headline>,
    pub word_of_mouth: WordOfMouth,
}

impl App {
    /// The default period of the dashboard, in the organisation's time zone.
    pub async fn default_period(&self) -> Period {
        let tz = self.time_zone().await;
        Period::last_twelve_months(self.now_ts().to_zoned(tz).date())
    }

    /// The manager's dashboard (every staff role reads it: aggregates, no records).
    pub async fn manager_dashboard(&self, actor: &Actor, period: Period, segment: &str) -> AppResult<Dashboard> {
        if !actor.role().is_staff() {
            return Err(crate::AppError::Forbidden);
        }
        let segment = check_segment(segment)?;
        // The period and each part of its trend, with one read of the live days.
        let parts = period.parts();
        let mut periods = vec![period];
        periods.extend(parts.iter().map(|(_, p)| *p));
        let sums = self.fact_sums_each(&segment, &periods).await?;
        let tickets = ticket_figures(&sums[0]);
        let times_trend = (parts.into_iter().zip(&sums[1..]))
            .map(|((part, _), rows)| {
                let hist = |prefix: &str| histogram(prefix, rows.iter().map(|(_, f, v)| (f.as_str(), *v)));
                TimesIn {
                    part,
                    first_response_minutes: (&hist(FIRST_RESPONSE_BINS)).into(),
                    resolution_minutes: (&hist(RESOLUTION_BINS)).into(),
                }
            })
            .collect();
        let month = |d: jiff::civil::Date| d.strftime("%Y-%m").to_string();
        let survey_months = (month(period.from), month(period.to));
        let quality = self
            .quality_figures(&survey_months.0, Some(&survey_months.1), &segment)
            .await?;
        let csat = quality.iter().find_map(|h| {
            let c = h.report.csat.as_ref()?;
            Some((h.report.n_responses, c.csat?))
        });
        let complaints = tickets.by_kind.get("complaint").copied().unwrap_or(0);
        let word_of_mouth = WordOfMouth::estimate(self.config.word_of_mouth, complaints, csat);
        let queue = self.queue_now_of(&segment).await?;
        Ok(Dashboard {
            period,
            segment,
            survey_months,
            tickets,
            times_trend,
            queue,
            quality,
            word_of_mouth,
        })
    }

    /// A period's ticket figures for one segment (`all`, `tier:A`, `agent:12`, …). Every staff
    /// role may read them (docs/roles.md); customers may not. They are counts, no records.
    pub async fn ticket_figures(&self, actor: &Actor, period: Period, segment: &str) -> AppResult<TicketFigures> {
        if !actor.role().is_staff() {
            return Err(crate::AppError::Forbidden);
        }
        let segment = check_segment(segment)?;
        let rows = self.fact_sums(&segment, period).await?;
        Ok(ticket_figures(&rows))
    }

    /// The open tickets of a segment now, by quadrant, breached and due within the hour, counted
    /// from the marks kept on them (docs/statistics.md#queue-now). `agent:` is the assignee now.
    pub(crate) async fn queue_now_of(&self, segment: &str) -> AppResult<QueueNow> {
        let now = self.now_ts().as_millisecond();
        let rows = self.store.queue_marks(segment, now, now + 3_600_000).await?;
        let count = |v: i64| u64::try_from(v).unwrap_or(0);
        let counts: Vec<MarkCount> = rows
            .into_iter()
            .filter_map(|(kind, tier, open, urgent, breached, due_soon)| {
                Some(MarkCount {
                    kind: Kind::parse(&kind).ok()?,
                    tier: ValueTier::parse(&tier)?,
                    open: count(open),
                    urgent: count(urgent),
                    breached: count(breached),
                    due_soon: count(due_soon),
                })
            })
            .collect();
        Ok(QueueRules::default().queue_now(&counts))
    }

    /// The fact rows of a segment summed over a period ([`Self::fact_sums_each`]).
    pub(crate) async fn fact_sums(&self, segment: &str, period: Period) -> AppResult<Arc<FactRows>> {
        Ok(self.fact_sums_each(segment, &[period]).await?.remove(0))
    }

    /// The fact rows of a segment summed over each of several periods. The days before the
    /// settled boundary (`SETTLED_LAG_DAYS` before today, UTC) are summed once per facts epoch
    /// and kept — every write that changes one of them bumps the epoch in its transaction —; the
    /// days from the boundary on are read each time, once for all the periods
    /// (docs/statistics.md#ticket-facts, "Read fast").
    pub(crate) async fn fact_sums_each(&self, segment: &str, periods: &[Period]) -> AppResult<Vec<Arc<FactRows>>> {
        let boundary = kefu_core::facts::utc_day_before(crate::now_ms(), kefu_core::facts::SETTLED_LAG_DAYS);
        let Ok(boundary) = boundary.parse::<jiff::civil::Date>() else {
            let mut out = Vec::with_capacity(periods.len());
            for p in periods {
                out.push(Arc::new(self.store.ticket_fact_sums(segment, &p.ranges()).await?));
            }
            return Ok(out);
        };
        // The epoch is read before the sums: a write that lands in between is in them or bumps
        // the epoch past what they are kept under.
        let epoch = if periods.iter().any(|p| p.from < boundary) {
            self.store.ticket_facts_epoch().await?
        } else {
            0
        };
        let live = match periods.iter().filter(|p| p.to >= boundary).map(|p| p.to).max() {
            Some(last) => {
                (self.store)
                    .ticket_fact_days(segment, &boundary.to_string(), &last.to_string())
                    .await?
            }
            None => vec![],
        };
        let mut out = Vec::with_capacity(periods.len());
        for period in periods {
            let past = match period.from < boundary {
                true => Some(self.settled_sums(segment, *period, boundary, epoch).await?),
                false => None,
            };
            if period.to < boundary {
                out.push(past.unwrap_or_default());
                continue;
            }
            let (from, to) = (period.from.max(boundary).to_string(), period.to.to_string());
            let mut sums: BTreeMap<(&str, &str), i64> = BTreeMap::new();
            for (kind, figure, v) in past.iter().flat_map(|p| p.iter()) {
                *sums.entry((kind.as_str(), figure.as_str())).or_default() += v;
            }
            for (day, kind, figure, v) in &live {
                if *day >= from && *day <= to {
                    *sums.entry((kind.as_str(), figure.as_str())).or_default() += v;
                }
            }
            out.push(Arc::new(
                sums.into_iter()
                    .filter(|(_, v)| *v != 0)
                    .map(|((k, f), v)| (k.to_owned(), f.to_owned(), v))
                    .collect(),
            ));
        }
        Ok(out)
    }

    /// The sums of a period's days before `boundary`, kept under the facts `epoch`.
    async fn settled_sums(
        &self,
        segment: &str,
        period: Period,
        boundary: jiff::civil::Date,
        epoch: i64,
    ) -> AppResult<Arc<FactRows>> {
        let closed = Period {
            from: period.from,
            to: period.to.min(boundary.yesterday().unwrap_or(boundary)),
        };
        let key = (segment.to_owned(), closed.from, closed.to);
        let kept = (self.fact_cache.lock().ok())
            .and_then(|c| c.get(&key).filter(|(e, _)| *e == epoch).map(|(_, rows)| rows.clone()));
        if let Some(rows) = kept {
            return Ok(rows);
        }
        let rows = Arc::new(self.store.ticket_fact_sums(segment, &closed.ranges()).await?);
        if let Ok(mut c) = self.fact_cache.lock() {
            if c.len() >= FACT_CACHE_ENTRIES {
                c.clear();
            }
            c.insert(key, (epoch, rows.clone()));
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_reads_whole_months_from_the_rollups() {
        let p = Period::parse("2026-01-15", "2026-04-02").unwrap();
        assert_eq!(
            p.ranges(),
            vec![
                (Grain::Day, "2026-01-15".into(), "2026-01-31".into()),
                (Grain::Month, "2026-02".into(), "2026-03".into()),
                (Grain::Day, "2026-04-01".into(), "2026-04-02".into()),
            ]
        );
        let p = Period::parse("2016-01-01", "2036-12-31").unwrap();
        assert_eq!(p.ranges(), vec![(Grain::Month, "2016-01".into(), "2036-12".into())]);
        let p = Period::parse("2026-02-03", "2026-02-03").unwrap();
        assert_eq!(p.ranges(), vec![(Grain::Day, "2026-02-03".into(), "2026-02-03".into())]);
    }

    #[test]
    fn a_trend_goes_by_month_then_by_year() {
        let p = Period::parse("2026-01-15", "2026-03-02").unwrap();
        let parts: Vec<(String, String, String)> = (p.parts().into_iter())
            .map(|(l, d)| (l, d.from.to_string(), d.to.to_string()))
            .collect();
        assert_eq!(
            parts,
            [
                ("2026-01".into(), "2026-01-15".into(), "2026-01-31".into()),
                ("2026-02".into(), "2026-02-01".into(), "2026-02-28".into()),
                ("2026-03".into(), "2026-03-01".into(), "2026-03-02".into()),
            ]
        );
        assert_eq!(Period::parse("2024-01-01", "2026-12-31").unwrap().parts().len(), 36);
        let years = Period::parse("2016-06-01", "2036-12-31").unwrap().parts();
        assert_eq!(years.len(), 21);
        assert_eq!(
            (years[0].0.as_str(), years[0].1.from.to_string()),
            ("2016", "2016-06-01".into())
        );
        assert_eq!(years[20].1.to.to_string(), "2036-12-31");
        assert_eq!(Period::parse("2026-05-05", "2026-05-05").unwrap().parts().len(), 1);
    }

    #[test]
    fn a_period_drills_down_by_day_patterns() {
        let p = Period::parse("2026-01-30", "2026-03-01").unwrap();
        assert_eq!(
            p.day_patterns(),
            ["2026-01-30", "2026-01-31", "2026-02-__", "2026-03-01"]
        );
        assert!(check_figure("sla:3:first_response:breached").is_ok());
        assert!(check_figure("x%\"").is_err());
        assert!(check_figure("").is_err());
    }

    #[test]
    fn bad_periods_and_segments_name_their_parameter() {
        let field = |e: Invalid| e.errors[0].field.clone();
        assert_eq!(field(Period::parse("2026-13-01", "2026-12-01").unwrap_err()), "from");
        assert_eq!(field(Period::parse("2026-01-01", "yesterday").unwrap_err()), "to");
        assert_eq!(
            field(Period::parse("2026-01-01T10:00", "2026-02-01").unwrap_err()),
            "from"
        );
        assert_eq!(field(Period::parse("2026-1-01", "2026-02-01").unwrap_err()), "from");
        assert_eq!(field(Period::parse("2026-02-01", "2026-01-01").unwrap_err()), "from");
        assert_eq!(field(check_segment("colour:red").unwrap_err()), "segment");
        assert_eq!(field(check_segment("tier:").unwrap_err()), "segment");
        assert_eq!(check_segment("tier:A").unwrap(), "tier:A");
    }

    #[test]
    fn word_of_mouth_is_the_seeds_arithmetic() {
        let w = WordOfMouth::estimate(WordOfMouthRule::default(), 2, Some((90, 0.7)));
        assert_eq!(
            (w.unhappy_reach, w.satisfied, w.happy_reach),
            (3650, Some(63), Some(189))
        );
        assert_eq!(
            WordOfMouth::estimate(WordOfMouthRule::default(), 0, None).happy_reach,
            None
        );
    }

    #[test]
    fn figures_come_from_the_summed_rows() {
        let row = |k: &str, f: &str, v: i64| (k.to_owned(), f.to_owned(), v);
        let f = ticket_figures(&[
            row("complaint", "created", 3),
            row("request", "created", 1),
            row("complaint", "channel:phone", 2),
            row("request", "channel:phone", 1),
            row("complaint", "channel:web_form", 1),
            row("complaint", "sla:1:first_response:met", 3),
            row("request", "sla:1:first_response:breached", 1),
            row("complaint", "resolved", 2),
            row("complaint", "fcr", 1),
            row("complaint", "rt:300", 2),
        ]);
        assert_eq!(f.created, 4);
        assert_eq!(f.by_channel.get("phone"), Some(&3));
        assert_eq!(f.sla[0].attainment, Some(0.75));
        assert_eq!(f.fcr_rate, Some(0.5));
        assert_eq!(f.reopen_rate, Some(0.0));
        assert_eq!(f.resolution_minutes.n, 2);
        assert_eq!(f.first_response_minutes.p50, None);
    }
}
