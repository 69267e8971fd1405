//! Background work: a worker loop that claims jobs from the database with a lease (so any number
//! of nodes share the queue and each job runs once), heartbeats while it works, retries failures
//! with backoff and dead-letters them after the maximum attempts; and a scheduler that enqueues
//! each tick of a periodic job once across all nodes (a unique key per tick).

use crate::App;
use kefu_core::jobs::{is_dead, period_tick, retry_delay_ms};
use kefu_store::{Job, NewJob};
use rand::RngExt;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
pub type JobHandler = Arc<dyn Fn(App, Job) -> JobFuture + Send + Sync>;

/// Job kinds and what runs them.
#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<String, JobHandler>,
}

impl JobRegistry {
    /// The handlers kefu itself provides.
    pub fn standard() -> JobRegistry {
        let mut r = JobRegistry::default();
        r.register(crate::webhooks::DELIVER_KIND, |app, job| {
            Box::pin(async move { app.deliver_webhook(&job).await })
        });
        r.register(crate::notify::NOTIFY_KIND, |app, job| {
            Box::pin(async move { app.send_notice(&job).await })
        });
        r.register(crate::survey_campaigns::CAMPAIGNS_KIND, |app, _job| {
            Box::pin(async move {
                app.run_due_campaigns(app.now())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        r.register(crate::survey_campaigns::TICKET_RESOLVED_KIND, |app, job| {
            Box::pin(async move {
                let id = job.payload["ticket_id"].as_i64().ok_or("no ticket_id")?;
                app.survey_resolved_ticket(id)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        r.register(crate::calendars::CHECK_KIND, |app, _job| {
            Box::pin(async move {
                app.log_calendar_gaps().await.map_err(|e| e.to_string())?;
                Ok(())
            })
        });
        r.register(MAINTENANCE_KIND, |app, _job| {
            Box::pin(async move { app.maintenance().await })
        });
        r.register(crate::escalation::ESCALATE_KIND, |app, _job| {
            Box::pin(async move {
                app.sweep_escalations(app.now())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        r.register(crate::mail::POLL_KIND, |app, _job| {
            Box::pin(async move { app.poll_mail().await.map(|_| ()).map_err(|e| e.to_string()) })
        });
        r.register(crate::customers::VALUE_TIERS_KIND, |app, _job| {
            Box::pin(async move {
                // Purchase dates are calendar dates in the organisation's zone.
                let today = app.now_ts().to_zoned(app.time_zone().await).date();
                app.recompute_value_tiers(today)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        });
        r
    }

    pub fn register(&mut self, kind: &str, f: impl Fn(App, Job) -> JobFuture + Send + Sync + 'static) {
        self.handlers.insert(kind.to_owned(), Arc::new(f));
    }

    pub fn get(&self, kind: &str) -> Option<&JobHandler> {
        self.handlers.get(kind)
    }
}

/// A job enqueued every `period_ms`.
#[derive(Debug, Clone)]
pub struct Periodic {
    pub name: &'static str,
    pub kind: &'static str,
    pub period_ms: i64,
}

pub const MAINTENANCE_KIND: &str = "maintenance";

/// The periodic jobs; the mailbox poll (every minute) only when `mail_in` is set.
pub fn standard_schedule(mail_in: bool) -> Vec<Periodic> {
    let mut s = vec![
        Periodic {
            name: "survey campaigns",
            kind: crate::survey_campaigns::CAMPAIGNS_KIND,
            period_ms: 3_600_000,
        },
        Periodic {
            name: "maintenance",
            kind: MAINTENANCE_KIND,
            period_ms: 3_600_000,
        },
        Periodic {
            name: "calendar check",
            kind: crate::calendars::CHECK_KIND,
            period_ms: 86_400_000,
        },
        Periodic {
            name: "escalations",
            kind: crate::escalation::ESCALATE_KIND,
            period_ms: 60_000,
        },
    ];
    if mail_in {
        s.push(Periodic {
            name: "mail poll",
            kind: crate::mail::POLL_KIND,
            period_ms: 60_000,
        });
    }
    s
}

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub worker_id: String,
    pub lease_ms: i64,
    pub idle_poll: Duration,
}

impl WorkerOptions {
    pub fn new(worker_id: String) -> WorkerOptions {
        WorkerOptions {
            worker_id,
            lease_ms: 60_000,
            idle_poll: Duration::from_millis(500),
        }
    }
}

impl App {
    /// Enqueues a job to run now.
    pub async fn enqueue(&self, kind: &str, payload: serde_json::Value) -> crate::AppResult<Option<i64>> {
        let now = self.now();
        Ok(self
            .store
            .enqueue(NewJob {
                kind: kind.into(),
                payload,
                run_at: now,
                max_attempts: self.config.job_max_attempts,
                unique_key: None,
                now,
            })
            .await?)
    }

    /// Claims and runs one due job; false when none was due.
    pub async fn run_one_job(&self, registry: &JobRegistry, opts: &WorkerOptions) -> Result<bool, crate::AppError> {
        let now = self.now();
        let Some(job) = self.store.claim_job(&opts.worker_id, now, opts.lease_ms).await? else {
            return Ok(false);
        };
        let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
        let _g = span.enter();
        if job.attempts > job.max_attempts {
            // A worker died holding it too often: give up rather than loop forever.
            self.store
                .fail_job(
                    job.id,
                    &opts.worker_id,
                    "lease expired after the last attempt",
                    None,
                    self.now(),
                )
                .await?;
            tracing::warn!("job dead-lettered after its lease ran out on the last attempt");
            return Ok(true);
        }
        let result = match registry.get(&job.kind) {
            None => Err(format!("no handler for job kind {:?} on this node", job.kind)),
            Some(handler) => {
                let heartbeat = {
                    let (app, id, worker, lease) = (self.clone(), job.id, opts.worker_id.clone(), opts.lease_ms);
                    tokio::spawn(async move {
                        loop {
                            tokio::time::sleep(Duration::from_millis((lease / 3).max(100) as u64)).await;
                            if !app
                                .store
                                .heartbeat_job(id, &worker, app.now() + lease)
                                .await
                                .unwrap_or(false)
                            {
                                break;
                            }
                        }
                    })
                };
                let r = handler(self.clone(), job.clone()).await;
                heartbeat.abort();
                r
            }
        };
        match result {
            Ok(()) => {
                self.store.complete_job(job.id, &opts.worker_id, self.now()).await?;
            }
            Err(e) => {
                let retry_at = (!is_dead(job.attempts, job.max_attempts)).then(|| {
                    self.now()
                        + retry_delay_ms(job.attempts, self.config.job_retry_base_ms, rand::rng().random::<f64>())
                });
                tracing::warn!(error = %e, retry_at, "job failed");
                self.store
                    .fail_job(job.id, &opts.worker_id, &e, retry_at, self.now())
                    .await?;
            }
        }
        Ok(true)
    }

    /// Runs jobs until `shutdown` turns true; finishes the job in hand first.
    pub async fn run_worker(&self, registry: JobRegistry, opts: WorkerOptions, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %opts.worker_id, "job worker started");
        while !*shutdown.borrow() {
            let ran = match self.run_one_job(&registry, &opts).await {
                Ok(ran) => ran,
                Err(e) => {
                    tracing::error!(error = %e, "job worker could not reach the queue");
                    false
                }
            };
            if !ran {
                tokio::select! {
                    _ = tokio::time::sleep(opts.idle_poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!(worker = %opts.worker_id, "job worker stopped");
    }

    /// Enqueues the tick of each periodic job that has come due; safe to call from every node.
    pub async fn schedule_due(
        &self,
        schedule: &[Periodic],
        last: &mut HashMap<&'static str, i64>,
    ) -> crate::AppResult<u32> {
        let now = self.now();
        let mut enqueued = 0;
        for p in schedule {
            let tick = period_tick(now, p.period_ms);
            if last.get(p.name) == Some(&tick) {
                continue;
            }
            let job = NewJob {
                kind: p.kind.into(),
                payload: serde_json::json!({"tick": tick}),
                run_at: tick,
                max_attempts: self.config.job_max_attempts,
                unique_key: Some(format!("{}@{tick}", p.name)),
                now,
            };
            if self.store.enqueue(job).await?.is_some() {
                enqueued += 1;
            }
            last.insert(p.name, tick);
        }
        Ok(enqueued)
    }

    pub async fn run_scheduler(&self, schedule: Vec<Periodic>, mut shutdown: watch::Receiver<bool>) {
        let mut last = HashMap::new();
        while !*shutdown.borrow() {
            if let Err(e) = self.schedule_due(&schedule, &mut last).await {
                tracing::error!(error = %e, "scheduler could not enqueue");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Hourly housekeeping: expired sessions, old rate-limit windows, finished jobs after a week.
    pub async fn maintenance(&self) -> Result<(), String> {
        let now = self.now();
        let s = self
            .store
            .purge_expired_sessions(now)
            .await
            .map_err(|e| e.to_string())?;
        let r = self
            .store
            .purge_rate_limits(now - 3_600_000)
            .await
            .map_err(|e| e.to_string())?;
        let j = self
            .store
            .purge_jobs(now - 7 * 86_400_000)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(sessions = s, rate_limits = r, jobs = j, "maintenance purged");
        Ok(())
    }
}
