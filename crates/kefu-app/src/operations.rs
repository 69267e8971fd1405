//! Operating the installation: which database it runs on, where its schema stands, and closing
//! it at shutdown — what the binary's startup and `kefu migrate` ask of the store, as use cases —
//! and what probes ask of a running node: is the database reachable and migrated (`/readyz`), how
//! busy is its pool, how many jobs wait (`/metrics`).

use crate::{App, AppResult};
use kefu_store::{JobStatus, PoolStats, SchemaStatus};

/// The answer of a readiness probe, in words an operator reads.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// `ok`, or why the database cannot be reached.
    pub database: String,
    /// `current`, the migrations pending or unknown, or why they cannot be read.
    pub schema: String,
    /// `ok`, or the calendars in use that do not know the next 60 days' holidays (a warning: kefu
    /// is still ready).
    pub calendars: String,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database == "ok" && self.schema == "current"
    }
}

impl App {
    /// The database kefu runs on: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Applied, pending and unknown (newer) migrations.
    pub async fn schema_status(&self) -> AppResult<SchemaStatus> {
        Ok(self.store.schema_status().await?)
    }

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
        let calendars = if database == "ok" && schema == "current" {
            match self.calendar_gaps().await {
                Ok(gaps) if gaps.is_empty() => "ok".to_owned(),
                Ok(gaps) => gaps.iter().map(|g| g.describe()).collect::<Vec<_>>().join("; "),
                Err(e) => e.to_string(),
            }
        } else {
            "not checked".to_owned()
        };
        Readiness {
            database,
            schema,
            calendars,
        }
    }

    /// The connection pool's size, idle connections and limit.
    pub fn pool_stats(&self) -> PoolStats {
        self.store.pool_stats()
    }

    /// How many jobs are in each state.
    pub async fn job_counts(&self) -> AppResult<Vec<(JobStatus, i64)>> {
        Ok(self.store.job_counts().await?)
    }

    /// Closes the database's pools, letting queries in flight finish (at shutdown, after the
    /// last use case).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
