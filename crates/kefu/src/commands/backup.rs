//! `kefu backup`: an online, consistent backup of the whole database to a file.

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::Result;
use kefu_app::App;
use std::path::Path;
use std::time::Instant;

pub(crate) async fn run(app: &App, file: &Path, format: Format) -> Result<()> {
    let started = Instant::now();
    let s = app.backup_to(file).await.map_err(app_err)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&s)?),
        Format::Text => println!(
            "backed up {} rows in {} tables to {} ({} bytes, {:.1} s)",
            s.rows,
            s.tables,
            file.display(),
            s.bytes,
            started.elapsed().as_secs_f64()
        ),
    }
    Ok(())
}
