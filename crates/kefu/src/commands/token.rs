//! `kefu token create`: an API token for a user; prints only the token.

use crate::cli::{Format, TokenCommand};
use crate::commands::{app_err, find_user};
use anyhow::Result;
use kefu_app::{Actor, App};

pub(crate) async fn run(app: &App, command: TokenCommand, format: Format) -> Result<()> {
    let cli = Actor::Cli;
    let TokenCommand::Create { user, name } = command;
    let u = find_user(app, &user).await?;
    let (token, plain) = app.create_token(&cli, u.id, &name).await.map_err(app_err)?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"id": token.id, "user": u.email, "name": token.name, "token": plain})
        ),
        Format::Text => println!("{plain}"),
    }
    Ok(())
}
