//! `kefu user`: create, list, disable users and set their passwords.

use crate::cli::{Format, PasswordArgs, UserCommand};
use crate::commands::{app_err, find_user};
use anyhow::{Context, Result, anyhow, bail};
use kefu_app::accounts::CreateUser;
use kefu_app::model::UserFilter;
use kefu_app::{Actor, App};
use kefu_core::Role;
use std::io::Read;

pub(crate) async fn run(app: &App, command: UserCommand, format: Format) -> Result<()> {
    let cli = Actor::Cli;
    match command {
        UserCommand::Create {
            email,
            password,
            role,
            name,
            departments,
        } => {
            let role: Role = role.parse().map_err(|e: kefu_core::Invalid| app_err(e.into()))?;
            let password = if password.password.is_some() || password.password_stdin {
                Some(read_password(password)?)
            } else {
                None
            };
            let all = app.list_departments(&cli).await.map_err(app_err)?;
            let mut ids = vec![];
            for d in departments {
                let found = all
                    .iter()
                    .find(|x| x.name == d || x.id.to_string() == d)
                    .ok_or_else(|| anyhow!("no department {d:?}"))?;
                ids.push(found.id);
            }
            let u = app
                .create_user(
                    &cli,
                    CreateUser {
                        email,
                        name,
                        role,
                        password,
                        language: None,
                        departments: ids,
                    },
                )
                .await
                .map_err(app_err)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&u)?),
                Format::Text => println!("created user {} ({}, id {})", u.email, u.role, u.id),
            }
        }
        UserCommand::List { role } => {
            let role = role
                .map(|r| r.parse::<Role>())
                .transpose()
                .map_err(|e| app_err(e.into()))?;
            let mut after = 0;
            let mut all = vec![];
            loop {
                let page = app
                    .list_users(
                        &cli,
                        UserFilter {
                            after,
                            limit: 200,
                            role,
                        },
                    )
                    .await
                    .map_err(app_err)?;
                let Some(last) = page.last() else { break };
                after = last.id;
                all.extend(page);
            }
            match format {
                Format::Json => println!("{}", serde_json::to_string(&all)?),
                Format::Text => {
                    for u in all {
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            u.id,
                            u.email,
                            u.role,
                            if u.disabled { "disabled" } else { "active" },
                            u.name
                        );
                    }
                }
            }
        }
        UserCommand::Disable { email } => {
            let u = find_user(app, &email).await?;
            let u = app.disable_user(&cli, u.id).await.map_err(app_err)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&u)?),
                Format::Text => println!("disabled {}", u.email),
            }
        }
        UserCommand::SetPassword { email, password } => {
            let pw = read_password(password)?;
            let u = find_user(app, &email).await?;
            app.set_password(&cli, u.id, &pw).await.map_err(app_err)?;
            if format == Format::Json {
                println!("{}", serde_json::json!({"email": u.email, "password_set": true}));
            } else {
                println!("password set for {}", u.email);
            }
        }
    }
    Ok(())
}

fn read_password(
    PasswordArgs {
        password,
        password_stdin,
    }: PasswordArgs,
) -> Result<String> {
    if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the password from standard input")?;
        let line = s.lines().next().unwrap_or("").to_owned();
        if line.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(line);
    }
    password.ok_or_else(|| anyhow!("give --password or --password-stdin"))
}
