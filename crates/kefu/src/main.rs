//! `kefu`: one binary for the server and every operator command. This file starts it: the
//! configuration, logging, the runtime and the database; `cli.rs` says what the command line
//! takes and `commands/` what each command does.

mod cli;
mod commands;
mod config;

/// mimalloc instead of glibc's malloc: the server allocates and frees across threads all the time
/// (SQLite's worker threads hand rows to the request tasks); on the queue benchmark
/// (bench/issue4.sh) it served 15-22 % more pages a second (bench/README.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use cli::{Cli, Command, SlaCommand};
use commands::ExitWith;
use config::Config;
use kefu_app::App;
use kefu_store::{Store, StoreError};
use std::sync::Arc;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.downcast_ref::<ExitWith>().map_or(1, |x| x.code)
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<()> {
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(u) = &cli.database_url {
        cfg.database_url = Some(u.clone());
    }
    init_logging(&cfg);
    for var in Config::unknown_env() {
        tracing::warn!(%var, "ignoring an environment variable that is not a kefu setting");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let output = cli.output()?;
    rt.block_on(async move {
        match cli.command {
            Command::Config => commands::config::run(&cfg, output.format),
            Command::Sla(SlaCommand::Due {
                calendar,
                from,
                minutes,
            }) => commands::sla::due(&calendar, &from, minutes, output.format),
            Command::Serve(args) => commands::serve::run(cfg, args).await,
            command => {
                let app = open_app(&cfg).await?;
                let r = commands::run(&app, command, output).await;
                app.close().await;
                r
            }
        }
    })
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_store(cfg: &Config) -> Result<Arc<dyn Store>> {
    let url = cfg.database_url();
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(kefu_store_postgres::PostgresStore::open(&url, cfg.db_max_connections).await?)
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        Arc::new(kefu_store_sqlite::SqliteStore::open(&url, 4).await?)
    } else {
        bail!(
            "unsupported database URL {:?}: use sqlite:///path/kefu.db or postgres://user@host/db",
            kefu_store_postgres::redact(&url)
        );
    };
    store.migrate().await.map_err(|e| match e {
        e @ StoreError::SchemaTooNew { .. } => anyhow!("{e}"),
        other => anyhow!("cannot migrate the database: {other}"),
    })?;
    Ok(store)
}

pub(crate) async fn open_app(cfg: &Config) -> Result<App> {
    let app = App::new(open_store(cfg).await?, cfg.app_config());
    // Tickets the facts do not count yet (those of an installation from before them): counted
    // once, here, before anything reads the dashboard.
    commands::stats::fold_unfolded(&app).await?;
    Ok(app)
}
