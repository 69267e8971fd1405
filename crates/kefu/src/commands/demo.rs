//! `kefu demo`: loads the demo organisation into an empty database (`kefu serve --demo` too).

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::App;
use kefu_app::demo::{DemoSize, DemoSummary};

pub(crate) async fn run(app: &App, size: &str, format: Format) -> Result<()> {
    let size = DemoSize::parse(size)
        .ok_or_else(|| anyhow!("--size must be small, large or a number of customers up to 1000000, not {size:?}"))?;
    let bar = progress_bar()?;
    let b = bar.clone();
    let loaded = app
        .load_demo(size, &move |done, total| {
            b.set_length(total);
            b.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    let summary = loaded.map_err(app_err)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&summary)?),
        Format::Text => println!(
            "demo loaded: {} departments, {} staff, {} customer accounts, {} customers in the channel network with {} purchases, {} tickets, {} surveys with {} answers; log in as {} with password {}",
            summary.departments,
            summary.staff,
            summary.customers,
            summary.network,
            summary.purchases,
            summary.tickets,
            summary.quality.surveys,
            summary.quality.answers,
            summary.admin_email,
            summary.password
        ),
    }
    Ok(())
}

/// `kefu serve --demo`: the small demo if the database is empty; `None` when it is not.
pub(crate) async fn load_if_empty(app: &App) -> Result<Option<DemoSummary>> {
    let bar = progress_bar()?;
    let b = bar.clone();
    let loaded = app
        .load_demo_if_empty(DemoSize::Small, &move |done, total| {
            b.set_length(total);
            b.set_position(done);
        })
        .await;
    bar.finish_and_clear();
    loaded.map_err(app_err)
}

fn progress_bar() -> Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message("loading demo data");
    Ok(bar)
}
