//! `kefu restore`: a backup back into the database (a non-empty one only with --force).

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::Result;
use kefu_app::App;
use std::path::Path;

pub(crate) async fn run(app: &App, file: &Path, force: bool, format: Format) -> Result<()> {
    let s = app.restore_from(file, force).await.map_err(app_err)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&s)?),
        Format::Text => println!(
            "restored {} rows in {} tables from {}",
            s.rows,
            s.tables,
            file.display()
        ),
    }
    Ok(())
}
