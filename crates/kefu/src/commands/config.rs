//! `kefu config`: the effective configuration, secrets masked.

use crate::cli::Format;
use crate::config::Config;
use anyhow::Result;

pub(crate) fn run(cfg: &Config, format: Format) -> Result<()> {
    let masked = cfg.masked();
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&masked)?),
        Format::Text => print!("{}", toml::to_string_pretty(&masked)?),
    }
    Ok(())
}
