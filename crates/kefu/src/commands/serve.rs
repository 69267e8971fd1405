//! `kefu serve`: the web UI and API, the background jobs (unless this node runs none), and a
//! graceful stop on Ctrl-C or SIGTERM.

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::open_app;
use anyhow::{Context, Result};
use kefu_app::jobs::{JobRegistry, WorkerOptions, standard_schedule};
use std::net::SocketAddr;
use std::time::Instant;

pub(crate) async fn run(cfg: Config, args: ServeArgs) -> Result<()> {
    let started = Instant::now();
    let listen = args.listen.clone().unwrap_or_else(|| cfg.listen.clone());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address like 127.0.0.1:8080"))?;
    let app = open_app(&cfg).await?;
    if args.demo {
        match super::demo::load_if_empty(&app).await? {
            Some(s) => tracing::info!(admin = %s.admin_email, password = s.password, "demo data loaded"),
            None => tracing::info!("the database is not empty: demo data not loaded"),
        }
    }
    // A calendar that runs out of holidays is said at start (and daily, by the scheduler).
    if let Err(e) = app.log_calendar_gaps().await {
        tracing::warn!(error = %e, "calendar coverage not checked");
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut background = vec![];
    if cfg.worker && !args.no_worker {
        let worker_id = format!("{}-{}", hostname(), std::process::id());
        let (a, rx) = (app.clone(), stop_rx.clone());
        background.push(tokio::spawn(async move {
            a.run_worker(JobRegistry::standard(), WorkerOptions::new(worker_id), rx)
                .await
        }));
    }
    if cfg.scheduler && !args.no_scheduler {
        let (a, rx) = (app.clone(), stop_rx.clone());
        let mail_in = app.config.mail_in.is_some();
        background.push(tokio::spawn(async move {
            a.run_scheduler(standard_schedule(mail_in), rx).await
        }));
    }
    let metrics_addr: Option<SocketAddr> = cfg
        .metrics_listen
        .as_deref()
        .map(|m| {
            m.parse()
                .with_context(|| format!("metrics_listen {m:?} is not an address like 127.0.0.1:9090"))
        })
        .transpose()?;
    let (router, metrics_router) = kefu_web::routers(
        app.clone(),
        kefu_web::WebConfig {
            cookie_secure: cfg.cookie_secure,
            body_limit: cfg.body_limit_bytes,
            trust_forwarded_for: cfg.trust_forwarded_for,
            forwarded_hops: cfg.forwarded_hops,
            metrics_token: cfg.metrics_token.clone().filter(|t| !t.is_empty()),
            metrics_on_main: metrics_addr.is_none(),
        },
    );
    if let Some(maddr) = metrics_addr {
        let l = tokio::net::TcpListener::bind(maddr)
            .await
            .with_context(|| format!("cannot listen on {maddr} (metrics_listen)"))?;
        let mut rx = stop_rx.clone();
        background.push(tokio::spawn(async move {
            let served = axum::serve(l, metrics_router)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        }));
        tracing::info!(addr = %maddr, "metrics are served apart");
    }
    tracing::info!(%addr, backend = app.backend(), startup_ms = started.elapsed().as_millis() as u64, "kefu is serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await
        .context("server failed")?;
    let _ = stop_tx.send(true);
    for b in background {
        let _ = b.await;
    }
    app.close().await;
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "kefu".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
