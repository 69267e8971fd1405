//! What operators and probes ask of a running node: is the database reachable and migrated
//! (`/readyz`), how busy is its pool, how many jobs wait (`/metrics`).

use crate::{App, AppResult};
use kefu_store::{JobStatus, PoolStats};

/// The answer of a readiness probe, in words an operator reads.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// `ok`, or why the database cannot be reached.
    pub database: String,
    /// `current`, the migrations pending or unknown, or why they cannot be read.
    pub schema: String,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database == "ok" && self.schema == "current"
    }
}

impl App {
    /// Pings the database and compares its migrations with this build's.
    pub async fn readiness(&self) -> Readiness {
        let database = match self.store.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        let schema = match self.store.schema_status().await {
            Ok(s) if s.is_current() => "current".to_owned(),
            Ok(s) => format!("pending {:?}, unknown {:?}", s.pending, s.unknown),
            Err(e) => e.to_string(),
        };
        Readiness { database, schema }
    }

    /// The connection pool's size, idle connections and limit.
    pub fn pool_stats(&self) -> PoolStats {
        self.store.pool_stats()
    }

    /// How many jobs are in each state.
    pub async fn job_counts(&self) -> AppResult<Vec<(JobStatus, i64)>> {
        Ok(self.store.job_counts().await?)
    }

    /// Which database kind the store is (`sqlite` or `postgres`).
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }
}
