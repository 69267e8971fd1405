//! Survey campaigns (docs/surveys.md#campaigns; docs/statistics.md#sample-size): a sample frame
//! over customers, a random sample by size or by target margin of error (finite-population
//! correction, over the expected response rate), the fatigue rule (nobody asked twice within N
//! days, across all campaigns; nobody who opted out ever again), runs once, monthly, quarterly or
//! for every resolved ticket, tokenised links in each respondent's language, invitations by e-mail,
//! and the list of links for SMS or messaging tools. A run's draw is replayable: the campaign's
//! seed plus the run's number seed it.

use crate::auth::{random_secret, sha256_hex};
use crate::notify::Notice;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::stats::sampling::{invitations_needed, sample_indices, sample_size_proportion};
use kefu_core::{Invalid, Language};
use kefu_store::{Campaign, CampaignLink, FrameRow, NewCampaign, NewSurveyLink, StaffRow, StoreError, SurveyLink};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

pub use crate::campaign_link_list::{LINK_COLUMNS, link_rows, links_csv, links_xlsx};

/// The job that runs due recurring campaigns (hourly).
pub const CAMPAIGNS_KIND: &str = "surveys.campaigns";
/// The job that asks a resolved ticket's customer (enqueued when a ticket is resolved).
pub const TICKET_RESOLVED_KIND: &str = "surveys.ticket_resolved";
pub const RECURRENCES: [&str; 4] = ["once", "monthly", "quarterly", "ticket_resolved"];
const DAY_MS: i64 = 86_400_000;

/// Who a campaign may ask: customers of these kinds, tiers, regions and tags (an empty list: any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignFrame {
    /// `staff` asks employees (the internal customers) instead of customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Staff roles asked (admin, manager, agent, technician; empty: all staff).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// A customer with any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl CampaignFrame {
    fn check(mut self) -> Result<CampaignFrame, Invalid> {
        let clean = |v: Vec<String>| -> Vec<String> {
            let mut out: Vec<String> = v
                .into_iter()
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect();
            out.sort();
            out.dedup();
            out
        };
        self.audience = match self.audience.as_deref().map(str::trim) {
            None | Some("") | Some("customers") => None,
            Some("staff") => Some("staff".into()),
            Some(other) => {
                return Err(Invalid::one(
                    "frame.audience",
                    "unknown_audience",
                    format!("{other:?}: the audience is customers or staff"),
                ));
            }
        };
        self.roles = clean(self.roles);
        if let Some(r) = self
            .roles
            .iter()
            .find(|r| !matches!(r.as_str(), "admin" | "manager" | "agent" | "technician"))
        {
            return Err(Invalid::one(
                "frame.roles",
                "unknown_role",
                format!("{r:?}: a staff role is admin, manager, agent or technician"),
            ));
        }
        self.kinds = clean(self.kinds);
        self.tiers = clean(self.tiers);
        self.regions = clean(self.regions);
        self.tags = clean(self.tags);
        if let Some(k) = self
            .kinds
            .iter()
            .find(|k| !matches!(k.as_str(), "end" | "intermediate" | "internal"))
        {
            return Err(Invalid::one(
                "frame.kinds",
                "unknown_kind",
                format!("{k:?}: a kind is end, intermediate or internal"),
            ));
        }
        for t in &mut self.tiers {
            match kefu_core::rfm::ValueTier::parse(t) {
                Some(v) => *t = v.as_str().to_owned(),
                None => {
                    return Err(Invalid::one(
                        "frame.tiers",
                        "unknown_tier",
                        format!("{t:?}: a tier is A to E or none"),
                    ));
                }
            }
        }
        self.tiers.sort();
        self.tiers.dedup();
        let customer_filters =
            !(self.kinds.is_empty() && self.tiers.is_empty() && self.regions.is_empty() && self.tags.is_empty());
        if self.asks_staff() && customer_filters {
            return Err(Invalid::one(
                "frame",
                "conflict",
                "kinds, tiers, regions and tags choose customers: a staff survey chooses by role",
            ));
        }
        if !self.asks_staff() && !self.roles.is_empty() {
            return Err(Invalid::one(
                "frame.roles",
                "conflict",
                "roles choose staff: set the audience to staff",
            ));
        }
        for x in self.regions.iter().chain(&self.tags) {
            kefu_core::text::check_optional_text("frame", x, 100)?;
        }
        Ok(self)
    }

    /// Whether the campaign asks staff.
    pub fn asks_staff(&self) -> bool {
        self.audience.as_deref() == Some("staff")
    }

    /// Whether a customer is in the frame.
    pub fn admits(&self, c: &FrameRow) -> bool {
        let any = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        any(&self.kinds, &c.kind)
            && any(&self.tiers, &c.value_tier)
            && any(&self.regions, &c.region)
            && (self.tags.is_empty() || {
                let tags: Vec<String> = serde_json::from_str(&c.tags).unwrap_or_default();
                tags.iter().any(|t| self.tags.contains(t))
            })
    }
}

/// What creating a campaign takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    #[serde(default)]
    pub frame: CampaignFrame,
    /// Ask this many (at most the frame) ...
    pub sample_size: Option<u64>,
    /// ... or as many as a margin of error this wide needs (a proportion, 0.05 = ±5 points at 95 %).
    pub margin: Option<f64>,
    /// The share expected to answer, (0, 1] (default 1): invitations = n / rate.
    pub response_rate: Option<f64>,
    /// Nobody is asked twice within this many days, across all campaigns (default 90; 0 = off).
    pub fatigue_days: Option<u32>,
    /// Days a link stays open, 1–365 (default 30).
    pub expires_in_days: Option<u32>,
    /// once (default) | monthly | quarterly | ticket_resolved
    pub recurrence: Option<String>,
    /// Send each invitation by e-mail when the contact has an address and mail is set up (default true).
    pub invite_by_email: Option<bool>,
    /// The draw's seed (default: random); stored, so a run can be replayed.
    pub seed: Option<i64>,
}

/// Who a run would ask: the frame, who the fatigue rule and opt-outs take out, and the sample.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignPlan {
    pub frame: u64,
    pub excluded_recent: u64,
    pub excluded_opted_out: u64,
    pub eligible: u64,
    /// The answers the margin needs (with the finite-population correction), if a margin is set.
    pub answers_needed: Option<u64>,
    /// The invitations the run sends: the sample size, or answers needed / response rate, at most
    /// the eligible customers.
    pub invitations: u64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignRun {
    pub run: i64,
    pub plan: CampaignPlan,
    pub links: u64,
    pub emailed: u64,
    /// The run's links with their tokens: the only time they are handed out (docs/surveys.md).
    #[serde(skip)]
    pub issued: Vec<CampaignLink>,
}

/// Someone a campaign can ask: a customer (through a contact) or a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub customer_id: Option<i64>,
    pub user_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub language: Option<String>,
    pub email: Option<String>,
}

impl From<&FrameRow> for Member {
    fn from(r: &FrameRow) -> Member {
        Member {
            customer_id: Some(r.customer_id),
            user_id: None,
            contact_id: r.contact_id,
            language: r.language.clone(),
            email: r.email.clone(),
        }
    }
}

impl From<&StaffRow> for Member {
    fn from(r: &StaffRow) -> Member {
        Member {
            customer_id: None,
            user_id: Some(r.user_id),
            contact_id: None,
            language: r.language.clone(),
            email: Some(r.email.clone()).filter(|e| !e.is_empty()),
        }
    }
}

impl Member {
    /// The id the fatigue rule and opt-outs count by.
    fn key(&self) -> i64 {
        self.customer_id.or(self.user_id).unwrap_or(0)
    }
}

/// The sample a plan draws from the eligible rows, in draw order.
fn draw<'a>(eligible: &'a [&'a Member], n: u64, seed: i64, run: i64) -> Vec<&'a Member> {
    let seed = (seed as u64).wrapping_add((run as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    sample_indices(eligible.len(), n as usize, seed)
        .into_iter()
        .map(|i| eligible[i])
        .collect()
}

/// Who campaigns draw from, read once however many campaigns are planned from it: the
/// customers and staff, who opted out, and who was asked within each fatigue window.
#[derive(Default)]
struct Population {
    customers: Option<Vec<FrameRow>>,
    staff: Option<Vec<StaffRow>>,
    /// (staff?) -> ids that opted out.
    opted_out: std::collections::HashMap<bool, HashSet<i64>>,
    /// (staff?, fatigue days) -> ids asked within the window.
    recent: std::collections::HashMap<(bool, i64), HashSet<i64>>,
}

impl Population {
    async fn customers(&mut self, app: &App) -> AppResult<&Vec<FrameRow>> {
        if self.customers.is_none() {
            self.customers = Some(app.store.campaign_frame().await?);
        }
        Ok(self.customers.get_or_insert_with(Vec::new))
    }

    async fn staff(&mut self, app: &App) -> AppResult<&Vec<StaffRow>> {
        if self.staff.is_none() {
            self.staff = Some(app.store.staff_frame().await?);
        }
        Ok(self.staff.get_or_insert_with(Vec::new))
    }

    async fn opted_out(&mut self, app: &App, staff: bool) -> AppResult<&HashSet<i64>> {
        if let Entry::Vacant(e) = self.opted_out.entry(staff) {
            let ids = if staff {
                app.store.opted_out_users().await?
            } else {
                app.store.opted_out_customers().await?
            };
            e.insert(ids.into_iter().collect());
        }
        Ok(&self.opted_out[&staff])
    }

    async fn recent(&mut self, app: &App, staff: bool, fatigue_days: i64, now: i64) -> AppResult<&HashSet<i64>> {
        let key = (staff, fatigue_days);
        if let Entry::Vacant(e) = self.recent.entry(key) {
            let since = now - fatigue_days * DAY_MS;
            let ids = match (fatigue_days > 0, staff) {
                (false, _) => vec![],
                (true, true) => app.store.recently_surveyed_users(since).await?,
                (true, false) => app.store.recently_surveyed(since).await?,
            };
            e.insert(ids.into_iter().collect());
        }
        Ok(&self.recent[&key])
    }
}

impl App {
    pub async fn create_campaign(&self, actor: &Actor, survey: &str, input: CampaignInput) -> AppResult<Campaign> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let survey_id = self.survey_id_of(actor, survey).await?;
        let s = self.store.get_survey(survey_id).await?;
        if s.status != "open" {
            return Err(AppError::Refused(format!("the survey is {}, not open", s.status)));
        }
        let name = kefu_core::text::check_text("name", &input.name, 200)?;
        let frame = input.frame.check()?;
        let recurrence = input.recurrence.unwrap_or_else(|| "once".into());
        if !RECURRENCES.contains(&recurrence.as_str()) {
            return Err(Invalid::one(
                "recurrence",
                "unknown_recurrence",
                "recurrence is once, monthly, quarterly or ticket_resolved",
            )
            .into());
        }
        if frame.asks_staff() && recurrence == "ticket_resolved" {
            return Err(Invalid::one(
                "recurrence",
                "conflict",
                "a staff survey runs once, monthly or quarterly, not after tickets",
            )
            .into());
        }
        match (input.sample_size, input.margin) {
            (Some(_), Some(_)) => {
                return Err(Invalid::one("margin", "conflict", "give a sample size or a margin, not both").into());
            }
            (Some(0), _) => {
                return Err(Invalid::one("sample_size", "out_of_range", "the sample size is at least 1").into());
            }
            (_, Some(e)) => {
                sample_size_proportion(e, None, None)?;
            }
            _ => {}
        }
        let response_rate = input.response_rate.unwrap_or(1.0);
        invitations_needed(1, response_rate)?;
        let fatigue_days = input.fatigue_days.unwrap_or(90);
        if fatigue_days > 3650 {
            return Err(Invalid::one("fatigue_days", "out_of_range", "fatigue_days is 0 to 3650").into());
        }
        let expires_in_days = input.expires_in_days.unwrap_or(30);
        if !(1..=365).contains(&expires_in_days) {
            return Err(Invalid::one("expires_in_days", "out_of_range", "expires_in_days is 1 to 365").into());
        }
        let seed = input
            .seed
            .unwrap_or_else(|| i64::from_le_bytes(rand::random::<[u8; 8]>()) & i64::MAX);
        let c = self
            .store
            .create_campaign(NewCampaign {
                survey_id,
                name,
                frame: serde_json::to_string(&frame).map_err(|e| AppError::Refused(e.to_string()))?,
                sample_size: input.sample_size.map(|n| n.min(i64::MAX as u64) as i64),
                margin: input.margin,
                response_rate,
                seed,
                fatigue_days: i64::from(fatigue_days),
                expires_in_days: i64::from(expires_in_days),
                recurrence,
                invite_by_email: input.invite_by_email.unwrap_or(true),
                created_by: actor.user_id(),
                now: self.now(),
            })
            .await?;
        self.audit(
            actor,
            "survey.campaign.create",
            c.id.to_string(),
            json!({"survey_id": survey_id, "name": c.name, "recurrence": c.recurrence}),
        )
        .await?;
        Ok(c)
    }

    pub async fn get_campaign(&self, actor: &Actor, id: i64) -> AppResult<Campaign> {
        actor.require(kefu_core::roles::MANAGERS)?;
        Ok(self.store.get_campaign(id).await?)
    }

    pub async fn list_campaigns(&self, actor: &Actor, survey_id: Option<i64>) -> AppResult<Vec<Campaign>> {
        actor.require(kefu_core::roles::MANAGERS)?;
        Ok(self.store.list_campaigns(survey_id).await?)
    }

    /// Pauses or resumes a campaign (a paused one neither recurs nor follows resolved tickets).
    pub async fn set_campaign_status(&self, actor: &Actor, id: i64, active: bool) -> AppResult<Campaign> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let c = self
            .store
            .set_campaign_status(id, if active { "active" } else { "paused" }, self.now())
            .await?;
        self.audit(
            actor,
            "survey.campaign.status",
            id.to_string(),
            json!({"status": c.status}),
        )
        .await?;
        Ok(c)
    }

    /// A survey's campaigns with who each next run would ask, and how many customers a campaign
    /// over all of them could ask with a fatigue window of `fatigue_days` (the N of the sample size
    /// calculator). The frames are read once for all of them.
    pub async fn campaigns_overview(
        &self,
        actor: &Actor,
        survey_id: i64,
        fatigue_days: i64,
    ) -> AppResult<(u64, Vec<(Campaign, CampaignPlan)>)> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let now = self.now();
        let mut pop = Population::default();
        let everyone = Campaign {
            id: 0,
            survey_id,
            name: String::new(),
            frame: "{}".into(),
            sample_size: None,
            margin: None,
            response_rate: 1.0,
            seed: 0,
            fatigue_days: fatigue_days.max(0),
            expires_in_days: 30,
            recurrence: "once".into(),
            invite_by_email: false,
            status: "active".into(),
            runs: 0,
            last_run_at: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
        };
        let eligible = self.plan_of(&everyone, now, &mut pop).await?.0.eligible;
        let mut out = Vec::new();
        for c in self.store.list_campaigns(Some(survey_id)).await? {
            let (plan, _) = self.plan_of(&c, now, &mut pop).await?;
            out.push((c, plan));
        }
        Ok((eligible, out))
    }

    /// The frame, the exclusions and the sample a run would make now.
    pub async fn campaign_plan(&self, actor: &Actor, id: i64) -> AppResult<CampaignPlan> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let c = self.store.get_campaign(id).await?;
        let (plan, _) = self.plan_of(&c, self.now(), &mut Population::default()).await?;
        Ok(plan)
    }

    async fn plan_of(&self, c: &Campaign, now: i64, pop: &mut Population) -> AppResult<(CampaignPlan, Vec<Member>)> {
        let frame: CampaignFrame =
            serde_json::from_str(&c.frame).map_err(|e| AppError::Store(StoreError::Data(e.to_string())))?;
        let staff = frame.asks_staff();
        let rows: Vec<Member> = if staff {
            pop.staff(self)
                .await?
                .iter()
                .filter(|u| frame.roles.is_empty() || frame.roles.contains(&u.role))
                .map(Member::from)
                .collect()
        } else {
            pop.customers(self)
                .await?
                .iter()
                .filter(|r| frame.admits(r))
                .map(Member::from)
                .collect()
        };
        let recent = pop.recent(self, staff, c.fatigue_days, now).await?.clone();
        let opted_out = pop.opted_out(self, staff).await?.clone();
        let (mut excluded_recent, mut excluded_opted_out) = (0, 0);
        let eligible: Vec<Member> = rows
            .iter()
            .filter(|r| {
                if opted_out.contains(&r.key()) {
                    excluded_opted_out += 1;
                    false
                } else if recent.contains(&r.key()) {
                    excluded_recent += 1;
                    false
                } else {
                    true
                }
            })
            .cloned()
            .collect();
        let n_eligible = eligible.len() as u64;
        let answers_needed = c
            .margin
            .map(|e| sample_size_proportion(e, None, Some(n_eligible.max(1))))
            .transpose()?;
        let wanted = match (c.sample_size, answers_needed) {
            (Some(n), _) => n as u64,
            (None, Some(n)) => invitations_needed(n, c.response_rate)?,
            (None, None) => n_eligible,
        };
        Ok((
            CampaignPlan {
                frame: rows.len() as u64,
                excluded_recent,
                excluded_opted_out,
                eligible: n_eligible,
                answers_needed,
                invitations: wanted.min(n_eligible),
            },
            eligible,
        ))
    }

    /// Runs a campaign now: draws its sample, makes a link for each (in the contact's language, else
    /// the survey's), and invites by e-mail those with an address when mail is set up.
    pub async fn run_campaign(&self, actor: &Actor, id: i64) -> AppResult<CampaignRun> {
        actor.require(kefu_core::roles::MANAGERS)?;
        let c = self.store.get_campaign(id).await?;
        if c.recurrence == "ticket_resolved" {
            return Err(AppError::Refused(
                "this campaign asks each resolved ticket's customer; it has no runs of its own".into(),
            ));
        }
        let r = self.run_campaign_now(&c).await?;
        self.audit(
            actor,
            "survey.campaign.run",
            id.to_string(),
            json!({"run": r.run, "links": r.links, "emailed": r.emailed}),
        )
        .await?;
        Ok(r)
    }

    async fn run_campaign_now(&self, c: &Campaign) -> AppResult<CampaignRun> {
        let survey = self.store.get_survey(c.survey_id).await?;
        if survey.status != "open" {
            return Err(AppError::Refused(format!("the survey is {}, not open", survey.status)));
        }
        let now = self.now();
        let (plan, eligible) = self.plan_of(c, now, &mut Population::default()).await?;
        let refs: Vec<&Member> = eligible.iter().collect();
        let sample = draw(&refs, plan.invitations, c.seed, c.runs + 1);
        let default_lang = Language::parse(&survey.language).unwrap_or(Language::ZhCn);
        let mut tokens = Vec::with_capacity(sample.len());
        let rows: Vec<NewSurveyLink> = sample
            .iter()
            .map(|r| {
                let token = random_secret();
                let lang = r.language.as_deref().and_then(Language::parse).unwrap_or(default_lang);
                let row = NewSurveyLink {
                    survey_id: c.survey_id,
                    token_hash: sha256_hex(&token),
                    customer_id: r.customer_id,
                    contact_id: r.contact_id,
                    ticket_id: None,
                    language: lang.code().into(),
                    expires_at: now + c.expires_in_days * DAY_MS,
                    now,
                    campaign_id: Some(c.id),
                    user_id: r.user_id,
                };
                tokens.push(token);
                row
            })
            .collect();
        let (run, links) = self.store.record_campaign_run(c.id, &rows, now).await?;
        let emailed = self.invite_to_survey(c, &links, &tokens, &sample).await;
        let by_id: HashMap<i64, &String> = links.iter().map(|l| l.id).zip(&tokens).collect();
        let mut issued = self.store.campaign_links(c.id, Some(run)).await?;
        for l in &mut issued {
            l.token = by_id.get(&l.link.id).map(|t| (*t).clone());
        }
        Ok(CampaignRun {
            run,
            plan,
            links: links.len() as u64,
            emailed,
            issued,
        })
    }

    /// Enqueues an e-mail invitation for each link whose contact has an address (when the
    /// campaign invites by e-mail and mail out is set up with a public URL); returns how many.
    async fn invite_to_survey(&self, c: &Campaign, links: &[SurveyLink], tokens: &[String], rows: &[&Member]) -> u64 {
        // An invitation is only worth sending with a link the respondent can open: mail out needs
        // `public_url` for that (without it, hand out the link list instead).
        let reachable = self.config.mail_out.as_ref().is_some_and(|m| m.public_url.is_some());
        if !c.invite_by_email || !reachable {
            return 0;
        }
        let mut n = 0;
        for ((link, token), r) in links.iter().zip(tokens).zip(rows) {
            if r.email.is_some() {
                self.notify(Notice::SurveyInvitation {
                    link_id: link.id,
                    token: token.clone(),
                })
                .await;
                n += 1;
            }
        }
        n
    }

    /// The links of a campaign (one run, or all) with whom they are for and what became of them,
    /// without tokens: kefu keeps only their hashes.
    pub async fn campaign_links(&self, actor: &Actor, id: i64, run: Option<i64>) -> AppResult<Vec<CampaignLink>> {
        actor.require(kefu_core::roles::MANAGERS)?;
        self.store.get_campaign(id).await?;
        Ok(self.store.campaign_links(id, run).await?)
    }

    /// The list to send by SMS or a messaging tool, again: each link still open (not answered,
    /// not opted out, not expired) gets a new token, and the token sent before stops working.
    pub async fn reissue_campaign_links(
        &self,
        actor: &Actor,
        id: i64,
        run: Option<i64>,
    ) -> AppResult<Vec<CampaignLink>> {
        let mut links = self.campaign_links(actor, id, run).await?;
        let now = self.now();
        let mut hashes = Vec::new();
        for l in &mut links {
            let open = l.link.answered_at.is_none() && l.link.opted_out_at.is_none() && l.link.expires_at > now;
            if open {
                let token = random_secret();
                hashes.push((l.link.id, sha256_hex(&token)));
                l.token = Some(token);
            }
        }
        self.store.reissue_survey_links(&hashes).await?;
        self.audit(
            actor,
            "survey.campaign.links_reissued",
            id.to_string(),
            json!({"run": run, "links": hashes.len()}),
        )
        .await?;
        Ok(links)
    }

    /// The `surveys.campaigns` job: runs every active monthly or quarterly campaign whose period
    /// has come (a month or three after its last run; at once when it never ran).
    pub async fn run_due_campaigns(&self, now: i64) -> AppResult<u64> {
        let mut ran = 0;
        for c in self.store.list_campaigns(None).await? {
            let months = match c.recurrence.as_str() {
                "monthly" => 1,
                "quarterly" => 3,
                _ => continue,
            };
            if c.status != "active" {
                continue;
            }
            let due = match c.last_run_at {
                None => true,
                Some(last) => {
                    let tz = self.time_zone().await;
                    let last = jiff::Timestamp::from_millisecond(last)
                        .map_err(|e| AppError::Refused(e.to_string()))?
                        .to_zoned(tz);
                    let next = last
                        .checked_add(jiff::Span::new().months(months))
                        .map_err(|e| AppError::Refused(e.to_string()))?;
                    next.timestamp().as_millisecond() <= now
                }
            };
            if !due {
                continue;
            }
            match self.run_campaign_now(&c).await {
                Ok(r) => {
                    ran += 1;
                    tracing::info!(campaign = c.id, run = r.run, links = r.links, "survey campaign ran");
                }
                Err(e) => tracing::warn!(campaign = c.id, error = %e, "survey campaign did not run"),
            }
        }
        Ok(ran)
    }

    /// The `surveys.ticket_resolved` job: asks a resolved ticket's customer, through each active
    /// `ticket_resolved` campaign whose frame admits them and whom the fatigue rule lets be asked;
    /// a ticket is asked once.
    pub async fn survey_resolved_ticket(&self, ticket_id: i64) -> AppResult<u64> {
        let campaigns: Vec<Campaign> = self
            .store
            .list_campaigns(None)
            .await?
            .into_iter()
            .filter(|c| c.recurrence == "ticket_resolved" && c.status == "active")
            .filter(|c| {
                !serde_json::from_str::<CampaignFrame>(&c.frame)
                    .map(|f| f.asks_staff())
                    .unwrap_or(false)
            })
            .collect();
        if campaigns.is_empty() || self.store.ticket_has_survey_link(ticket_id).await? {
            return Ok(0);
        }
        let ticket = self.store.get_ticket(ticket_id).await?;
        let now = self.now();
        let opted_out: HashSet<i64> = self.store.opted_out_customers().await?.into_iter().collect();
        if opted_out.contains(&ticket.customer_id) {
            return Ok(0);
        }
        let Some(row) = self
            .store
            .campaign_frame()
            .await?
            .into_iter()
            .find(|r| r.customer_id == ticket.customer_id)
        else {
            return Ok(0);
        };
        let mut made = 0;
        for c in campaigns {
            let frame: CampaignFrame = serde_json::from_str(&c.frame).unwrap_or_default();
            if !frame.admits(&row) {
                continue;
            }
            if c.fatigue_days > 0
                && self
                    .store
                    .recently_surveyed(now - c.fatigue_days * DAY_MS)
                    .await?
                    .contains(&ticket.customer_id)
            {
                continue;
            }
            let survey = self.store.get_survey(c.survey_id).await?;
            if survey.status != "open" {
                continue;
            }
            let token = random_secret();
            let lang = row
                .language
                .as_deref()
                .and_then(Language::parse)
                .unwrap_or(ticket.language);
            let link = NewSurveyLink {
                survey_id: c.survey_id,
                token_hash: sha256_hex(&token),
                customer_id: Some(ticket.customer_id),
                contact_id: row.contact_id,
                ticket_id: Some(ticket.id),
                language: lang.code().into(),
                expires_at: now + c.expires_in_days * DAY_MS,
                now,
                campaign_id: Some(c.id),
                user_id: None,
            };
            let (_, links) = self.store.record_campaign_run(c.id, &[link], now).await?;
            self.invite_to_survey(&c, &links, &[token], &[&Member::from(&row)])
                .await;
            made += 1;
            // One survey a resolved ticket.
            break;
        }
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, kind: &str, tier: &str, region: &str, tags: &str) -> FrameRow {
        FrameRow {
            customer_id: id,
            external_id: None,
            name: format!("c{id}"),
            kind: kind.into(),
            value_tier: tier.into(),
            region: region.into(),
            tags: tags.into(),
            contact_id: None,
            contact_name: None,
            email: None,
            phone: None,
            language: None,
        }
    }

    #[test]
    fn a_frame_admits_by_kind_tier_region_and_any_tag() {
        let f = CampaignFrame {
            audience: None,
            roles: vec![],
            kinds: vec!["end".into()],
            tiers: vec!["a".into(), "B".into()],
            regions: vec![],
            tags: vec!["vip".into()],
        }
        .check()
        .unwrap();
        assert_eq!(f.tiers, ["A", "B"]);
        assert!(f.admits(&row(1, "end", "A", "华东", r#"["老客户","vip"]"#)));
        assert!(!f.admits(&row(2, "end", "C", "华东", r#"["vip"]"#)));
        assert!(!f.admits(&row(3, "intermediate", "A", "", r#"["vip"]"#)));
        assert!(!f.admits(&row(4, "end", "B", "", "[]")));
        assert!(CampaignFrame::default().admits(&row(5, "internal", "none", "", "[]")));
        let bad = CampaignFrame {
            tiers: vec!["F".into()],
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn a_draw_replays_from_the_seed_and_differs_between_runs() {
        let rows: Vec<FrameRow> = (0..100).map(|i| row(i, "end", "A", "", "[]")).collect();
        let members: Vec<Member> = rows.iter().map(Member::from).collect();
        let refs: Vec<&Member> = members.iter().collect();
        let ids = |run| draw(&refs, 10, 42, run).iter().map(|r| r.key()).collect::<Vec<_>>();
        assert_eq!(ids(1), ids(1));
        assert_ne!(ids(1), ids(2));
        let mut unique = ids(1);
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(draw(&refs, 500, 42, 1).len(), 100, "at most the frame");
    }
}
