//! `kefu demo`: loads the demo organisation into an empty database (`kefu serve --demo` too).

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::{Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::App;
use kefu_app::demo::DemoSize;

pub(crate) async fn run(app: &App, size: &str, format: Format) -> Result<()> {
    let size = DemoSize::parse(size)
        .ok_or_else(|| anyhow!("--size must be small, large or a number of customers up to 1000000, not {size:?}"))?;
    if !app.store.is_empty().await? {
        bail!("the database is not empty; demo data goes only into an empty database");
    }
    let summary = load(app, size).await?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&summary)?),
        Format::Text => println!(
            "demo loaded: {} departments, {} staff, {} customer accounts, {} customers in the channel network with {} purchases, {} tickets; log in as {} with password {}",
            summary.departments,
            summary.staff,
            summary.customers,
            summary.network,
            summary.purchases,
            summary.tickets,
            summary.admin_email,
            summary.password
        ),
    }
    Ok(())
}

/// Loads the demo with a progress bar.
pub(crate) async fn load(app: &App, size: DemoSize) -> Result<kefu_app::demo::DemoSummary> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message("loading demo data");
    let b = bar.clone();
    let summary = app
        .load_demo(size, &move |done, total| {
            b.set_length(total);
            b.set_position(done);
        })
        .await
        .map_err(app_err)?;
    bar.finish_and_clear();
    Ok(summary)
}
