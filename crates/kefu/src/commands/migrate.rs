//! `kefu migrate`: creates or upgrades the schema (opening the database did) and says where it stands.

use crate::cli::Format;
use crate::commands::app_err;
use anyhow::Result;
use kefu_app::App;

pub(crate) async fn run(app: &App, format: Format) -> Result<()> {
    let s = app.schema_status().await.map_err(app_err)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string(&s)?),
        Format::Text => println!("schema current: {} migration(s) applied", s.applied.len()),
    }
    Ok(())
}
