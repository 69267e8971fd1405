//! kefu's use cases. Web handlers, CLI commands and job workers all call these; none of them
//! holds a rule of its own. Each use case checks its input with `kefu-core`, checks the actor's
//! role, changes the store, and writes the audit log where an admin acted.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod calendars;
mod campaign_link_list;
pub mod categories;
pub mod clock;
pub mod columns;
pub mod commitments;
pub mod customers;
pub mod dashboard;
pub mod demo;
mod error;
pub mod escalation;
pub mod export;
pub mod figure_table;
pub mod gaps;
pub mod import;
pub mod incidents;
pub mod jobs;
pub mod links;
pub mod macros;
pub mod mail;
pub mod model;
pub mod my_desk;
pub mod notify;
pub mod operations;
pub mod portal;
pub mod public;
pub mod service_levels;
pub mod survey_campaigns;
pub mod survey_data;
pub mod survey_report;
pub mod surveys;
pub mod tables;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ticket_edit;
pub mod ticket_facts;
pub mod ticket_history;
pub mod tickets;
pub mod webhooks;

pub use error::{AppError, AppResult};

use kefu_core::account::ThrottleRule;
use kefu_core::time::Millis;
use kefu_core::{PasswordPolicy, Role};
use kefu_store::{Store, User};
use std::sync::Arc;

/// Settings the use cases need (the binary fills them from the configuration).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub password_policy: PasswordPolicy,
    /// How failed sign-ins slow down, per account and address (the address alone: four times
    /// the free failures).
    pub login_throttle: ThrottleRule,
    /// A session ends after this long without a request.
    pub session_idle_ms: i64,
    /// ... and after this long in any case.
    pub session_absolute_ms: i64,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout_ms: u64,
    /// Webhooks may go to loopback, private and link-local addresses (off: only public ones).
    pub webhook_allow_private: bool,
    /// Attempts before a job is dead-lettered.
    pub job_max_attempts: u32,
    /// The first retry's delay; later ones double it (capped at an hour).
    pub job_retry_base_ms: i64,
    /// The largest inbound e-mail message taken, in bytes (`kefu mail ingest`).
    pub mail_max_message_bytes: u64,
    /// Mail out (notifications, invitations); `None` sends nothing.
    pub mail_out: Option<notify::MailOut>,
    /// Mail in by polling an IMAP mailbox (the `mail.poll` job, `kefu mail poll`); `None`: no poll.
    pub mail_in: Option<kefu_mail::ImapUrl>,
    /// The address kefu is reached at from outside (`https://kefu.example.com`, no trailing `/`),
    /// for links in lists and mail; `None`: links are relative.
    pub public_url: Option<String>,
    /// Ticket attachments: size and type limits, and where the bytes go.
    pub attachments: attachments::AttachmentPolicy,
    /// The coefficients of the dashboard's word-of-mouth estimate.
    pub word_of_mouth: dashboard::WordOfMouthRule,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            password_policy: PasswordPolicy::default(),
            login_throttle: ThrottleRule::default(),
            session_idle_ms: 8 * 3_600_000,
            session_absolute_ms: 7 * 86_400_000,
            login_attempts_per_minute: 10,
            webhook_timeout_ms: 10_000,
            webhook_allow_private: false,
            job_max_attempts: 8,
            job_retry_base_ms: 10_000,
            mail_max_message_bytes: kefu_mail::InboundLimits::default().max_message_bytes,
            mail_out: None,
            mail_in: None,
            public_url: None,
            attachments: attachments::AttachmentPolicy::default(),
            word_of_mouth: dashboard::WordOfMouthRule::default(),
        }
    }
}

/// The application: the store and the settings, cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    pub config: Arc<AppConfig>,
    sla_cache: tickets::Kept<tickets::SlaSetup>,
    desk_cache: tickets::Kept<tickets::Desk>,
    /// The active webhook endpoints ([`App::emit`]).
    webhook_cache: tickets::Kept<Vec<kefu_store::Webhook>>,
    /// The public commitments page's figures ([`App::published_commitments`]).
    published_cache: tickets::Kept<Vec<(kefu_store::Commitment, kefu_core::commitment::Attainment)>>,
    ticket_writer: Arc<std::sync::OnceLock<tickets::TicketWriter>>,
    answer_writer: Arc<std::sync::OnceLock<surveys::AnswerWriter>>,
    /// Survey id → its items and dimensions, fixed when the survey is created.
    survey_layouts: Arc<std::sync::Mutex<std::collections::HashMap<i64, SurveyParts>>>,
    /// Whom tickets may be assigned to ([`App::assignees`]).
    assignee_cache: tickets::Kept<Vec<(i64, String)>>,
    /// The category tree and the macros, which every ticket page offers ([`App::categories`],
    /// [`App::macros`]); a change through the app empties them at once.
    category_cache: tickets::Kept<Vec<kefu_store::Category>>,
    macro_cache: tickets::Kept<Vec<kefu_store::Macro>>,
    /// Sums of the settled past of the ticket facts ([`App::fact_sums`]).
    fact_cache: Arc<std::sync::Mutex<dashboard::FactCache>>,
    /// Parsed survey statistics of the kept months (`SurveyReport`'s `period_stats`).
    survey_stats_cache: Arc<std::sync::Mutex<surveys::SurveyStatsCache>>,
    /// Where the use cases read the time ([`App::now`]).
    clock: Arc<dyn clock::Clock>,
}

type SurveyParts = Arc<(Vec<kefu_store::SurveyItem>, Vec<kefu_store::SurveyDimension>)>;

impl App {
    pub fn new(store: Arc<dyn Store>, config: AppConfig) -> App {
        App {
            store,
            config: Arc::new(config),
            sla_cache: Arc::default(),
            desk_cache: Arc::default(),
            webhook_cache: Arc::default(),
            published_cache: Arc::default(),
            ticket_writer: Arc::default(),
            answer_writer: Arc::default(),
            survey_layouts: Arc::default(),
            assignee_cache: Arc::default(),
            category_cache: Arc::default(),
            macro_cache: Arc::default(),
            fact_cache: Arc::default(),
            survey_stats_cache: Arc::default(),
            clock: Arc::new(clock::SystemClock),
        }
    }

    /// The same app reading the time from `clock` (tests set it to a chosen instant).
    pub fn with_clock(mut self, clock: Arc<dyn clock::Clock>) -> App {
        self.clock = clock;
        self
    }

    /// Now, in UTC milliseconds, by the app's clock: every use case reads the time here.
    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    /// [`App::now`] as an instant.
    pub fn now_ts(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

/// Who is acting: a signed-in user, or the command line (an operator on the server).
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        user: User,
        ip: Option<String>,
    },
    Cli,
    /// kefu itself, on behalf of someone without an account (the public complaint form): the
    /// label says which entry point acted.
    System(&'static str),
}

impl Actor {
    pub fn role(&self) -> Role {
        match self {
            Actor::User { user, .. } => user.role,
            Actor::Cli | Actor::System(_) => Role::Admin,
        }
    }
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::User { user, .. } => Some(user.id),
            Actor::Cli | Actor::System(_) => None,
        }
    }
    pub fn label(&self) -> String {
        match self {
            Actor::User { user, .. } => user.email.clone(),
            Actor::Cli => "cli".to_owned(),
            Actor::System(label) => (*label).to_owned(),
        }
    }
    pub fn ip(&self) -> Option<String> {
        match self {
            Actor::User { ip, .. } => ip.clone(),
            Actor::Cli | Actor::System(_) => None,
        }
    }
    /// Fails with `Forbidden` unless the actor's role is one of `set` (the guards of
    /// docs/roles.md, each written once as a [`kefu_core::roles`] set).
    pub fn require(&self, set: kefu_core::RoleSet) -> AppResult<()> {
        if self.role().is_in(set) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the actor reads the staff's fields of customer records and tickets (notes, tags,
    /// value tier, account manager, social style; docs/roles.md): everyone but customer users.
    pub fn sees_staff_fields(&self) -> bool {
        self.role().is_in(kefu_core::roles::STAFF)
    }

    /// Fails with `Forbidden` unless the actor may administer users, departments, settings and webhooks.
    pub fn require_admin(&self) -> AppResult<()> {
        self.require(kefu_core::roles::ADMINS)
    }
}

impl App {
    /// The organisation's settings (name, time zone); `null` fields when not set.
    pub async fn organisation(&self) -> serde_json::Value {
        self.store
            .get_setting("organisation")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The organisation's time zone (Asia/Shanghai unless set): days and times are shown and
    /// counted in it.
    pub async fn time_zone(&self) -> jiff::tz::TimeZone {
        match self.desk().await {
            Ok(d) => d.time_zone.clone(),
            Err(_) => self.read_time_zone().await,
        }
    }

    /// The organisation's time zone from the settings, not kept.
    async fn read_time_zone(&self) -> jiff::tz::TimeZone {
        let org = self.organisation().await;
        jiff::tz::TimeZone::get(org["time_zone"].as_str().unwrap_or("Asia/Shanghai")).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// Now, in UTC milliseconds, by the system clock. Use cases read [`App::now`] instead.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
