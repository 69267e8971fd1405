//! `kefu stats rebuild`, and the fold of tickets the facts do not count yet when kefu opens a
//! database (docs/statistics.md#ticket-facts).

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::App;
use std::time::Instant;

fn progress_bar(len: u64, message: &'static str) -> Result<ProgressBar> {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} tickets ({per_sec}, {eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message(message);
    Ok(bar)
}

pub(crate) async fn rebuild(app: &App, format: Format) -> Result<()> {
    let started = Instant::now();
    let marked = app.reset_ticket_facts().await.map_err(app_err)?;
    let bar = progress_bar(marked, "counting tickets")?;
    let n = app
        .fold_ticket_facts(|done| bar.set_position(done))
        .await
        .map_err(app_err)?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    match format {
        Format::Text => println!("rebuilt the ticket facts from {n} tickets in {secs:.1} s"),
        Format::Json => println!("{}", serde_json::json!({"tickets": n, "seconds": secs})),
    }
    Ok(())
}

/// Counts the tickets not folded into the facts yet, with a progress bar when there are many.
pub(crate) async fn fold_unfolded(app: &App) -> Result<()> {
    let waiting = app.unfolded_ticket_count().await.map_err(app_err)?;
    if waiting == 0 {
        return Ok(());
    }
    let bar = progress_bar(waiting, "counting tickets into the ticket facts")?;
    if waiting < 10_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    app.fold_ticket_facts(|done| bar.set_position(done))
        .await
        .map_err(app_err)?;
    bar.finish_and_clear();
    Ok(())
}
