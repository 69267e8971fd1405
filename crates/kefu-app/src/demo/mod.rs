//! Demo data: a believable bilingual organisation — a home-appliance maker with a service centre —
//! with departments, staff of every role and customer accounts, dated across the two years up to
//! today. Deterministic for a given size (seeded), so screenshots and tests can rely on it.
//! Later capabilities extend it (customers' records, tickets, surveys, visits), each in a file
//! of its own here: the accounts, the channel network (small, and large in bulk), the tickets;
//! this module says what a size holds and loads them in order.

mod accounts;
mod names;
mod network;
mod network_bulk;
mod quality;
mod quality_bulk;
mod tickets;

pub use network_bulk::NetworkPlan;
pub use quality::{CHANGE_DAYS_AGO, QualitySummary};

use crate::{App, AppError, AppResult};
use kefu_core::time::DAY_MS;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Every demo account's password (documented in the README; demo databases are not for production).
pub const DEMO_PASSWORD: &str = "kefu-demo-2026";
pub const DEMO_DOMAIN: &str = "kefu.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    Small,
    Large,
    Customers(u32),
}

impl DemoSize {
    pub fn parse(s: &str) -> Option<DemoSize> {
        match s {
            "small" => Some(DemoSize::Small),
            "large" => Some(DemoSize::Large),
            n => n.parse().ok().filter(|n| *n <= 1_000_000).map(DemoSize::Customers),
        }
    }
    /// Consumers in the demo channel network (`Large` has its own plan: [`NetworkPlan::LARGE`]).
    fn consumers(self) -> usize {
        match self {
            DemoSize::Small => 150,
            DemoSize::Large => 2_000,
            DemoSize::Customers(n) => (n as usize).min(2_000),
        }
    }

    /// Demo tickets (the large size writes its million in bulk, see `tickets`).
    fn tickets(self) -> usize {
        match self {
            DemoSize::Small => 400,
            DemoSize::Large => 1_000_000,
            DemoSize::Customers(n) => (n as usize).min(5_000),
        }
    }

    /// SERVQUAL answers in each of the last twelve months (and the size of the other surveys).
    fn answers_per_month(self) -> usize {
        match self {
            DemoSize::Small => 30,
            DemoSize::Large => 60,
            DemoSize::Customers(n) => (n as usize / 10).clamp(5, 60),
        }
    }

    fn customers(self) -> u32 {
        match self {
            DemoSize::Small => 40,
            DemoSize::Large => 5_000,
            DemoSize::Customers(n) => n,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoSummary {
    pub departments: usize,
    pub staff: usize,
    pub customers: u32,
    /// Customer records in the channel network (agents, wholesalers, retailers, consumers).
    pub network: usize,
    pub purchases: usize,
    pub tickets: usize,
    /// Surveys and their answers over the last year.
    pub quality: QualitySummary,
    pub admin_email: String,
    pub password: &'static str,
}

/// Why a demo load refused: the demo is made up, and mixed into real data it could not be told apart.
pub const DEMO_NEEDS_EMPTY: &str = "the database is not empty; demo data goes only into an empty database";

impl App {
    /// Loads the demo organisation into an empty database; `progress(done, total)` is called as
    /// it goes. A database with data in it is refused ([`DEMO_NEEDS_EMPTY`]) and left as it is.
    pub async fn load_demo(&self, size: DemoSize, progress: &(dyn Fn(u64, u64) + Sync)) -> AppResult<DemoSummary> {
        self.load_demo_if_empty(size, progress)
            .await?
            .ok_or_else(|| AppError::Refused(DEMO_NEEDS_EMPTY.to_owned()))
    }

    /// Loads the demo if the database is empty (`kefu serve --demo`, which serves either way);
    /// `None` when it is not, and nothing was loaded.
    pub async fn load_demo_if_empty(
        &self,
        size: DemoSize,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<Option<DemoSummary>> {
        if !self.store.is_empty().await? {
            return Ok(None);
        }
        self.write_demo(size, progress).await.map(Some)
    }

    /// Writes the demo organisation (the database was found empty).
    async fn write_demo(&self, size: DemoSize, progress: &(dyn Fn(u64, u64) + Sync)) -> AppResult<DemoSummary> {
        let mut rng = StdRng::seed_from_u64(0x6b65_6675);
        let now = self.now();
        let start = now - 730 * DAY_MS;
        let customers = size.customers();
        let (departments, staff) = self.load_demo_accounts(&mut rng, customers, start, progress).await?;
        let (network, purchases) = match size {
            DemoSize::Large => self.load_demo_network_bulk(&NetworkPlan::LARGE, now, progress).await?,
            _ => {
                self.load_demo_network(&mut rng, size.consumers(), now, progress)
                    .await?
            }
        };
        let tickets = match size {
            DemoSize::Large => {
                self.load_demo_tickets_bulk(&mut rng, size.tickets(), now, progress)
                    .await?
            }
            _ => self.load_demo_tickets(&mut rng, size.tickets(), now, progress).await?,
        };
        // Every ticket's figures into the ticket facts, as one pass over the load.
        self.fold_ticket_facts(|n| progress(n, tickets as u64)).await?;
        if size == DemoSize::Large {
            // The bulk load ends with a sweep, as a running installation would have swept: the
            // open tickets' marks, and the breaches they have earned, in the facts.
            self.sweep_demo(now).await?;
        }
        self.load_demo_portal_account().await?;
        let mut quality = self
            .load_demo_quality(&mut rng, size.answers_per_month(), now, progress)
            .await?;
        if size == DemoSize::Large {
            let total = quality_bulk::LARGE_ANSWERS;
            quality.answers += self
                .load_demo_answers_bulk(&mut rng, quality.answers, total, now, progress)
                .await?;
        }
        Ok(DemoSummary {
            quality,
            network,
            purchases,
            tickets,
            departments,
            staff,
            customers,
            admin_email: format!("admin@{DEMO_DOMAIN}"),
            password: DEMO_PASSWORD,
        })
    }
}
