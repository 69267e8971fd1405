//! What each `kefu` command does, one file per command; this module hands a parsed command to
//! its file and holds what several commands share (error wording, finding a user by e-mail,
//! the exit status of a failed command).

pub(crate) mod backup;
pub(crate) mod calendar;
pub(crate) mod config;
pub(crate) mod demo;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod mail;
pub(crate) mod migrate;
pub(crate) mod report;
pub(crate) mod restore;
pub(crate) mod serve;
pub(crate) mod sla;
pub(crate) mod stats;
pub(crate) mod survey;
pub(crate) mod token;
pub(crate) mod user;

use crate::cli::{CalendarCommand, Command, MailCommand, Output, SlaCommand, StatsCommand};
use anyhow::{Result, anyhow};
use kefu_app::{App, AppError};

/// Runs a command that needs the database, on the app opened for it.
pub(crate) async fn run(app: &App, command: Command, output: Output) -> Result<()> {
    let format = output.format;
    match command {
        Command::Survey(c) => survey::run(app, c, output.asked).await,
        Command::Export {
            what,
            output: file,
            no_bom,
        } => export::run(app, what, output.xlsx, file, !no_bom).await,
        Command::Sla(SlaCommand::Sweep) => sla::sweep(app, format).await,
        Command::Calendar(CalendarCommand::Import { name, file }) => calendar::import(app, &name, &file, format).await,
        Command::Calendar(CalendarCommand::Check) => calendar::check(app, format).await,
        Command::Migrate => migrate::run(app, format).await,
        Command::Stats(StatsCommand::Rebuild) => stats::rebuild(app, format).await,
        Command::Report(c) => report::run(app, c, output.asked).await,
        Command::User(c) => user::run(app, c, format).await,
        Command::Token(c) => token::run(app, c, format).await,
        Command::Demo { size } => demo::run(app, &size, format).await,
        Command::Import {
            what,
            file,
            skip_bad_rows,
            rejects,
        } => import::run(app, what, &file, skip_bad_rows, rejects, format).await,
        Command::Mail(MailCommand::Ingest) => mail::ingest(app, format).await,
        Command::Mail(MailCommand::Poll) => mail::poll(app, format).await,
        Command::Backup { file } => backup::run(app, &file, format).await,
        Command::Restore { file, force } => restore::run(app, &file, force, format).await,
        Command::Serve(_) | Command::Config | Command::Sla(SlaCommand::Due { .. }) => {
            unreachable!("run without a database, in main")
        }
    }
}

/// An error that ends the process with a given status (`kefu mail ingest` speaks sysexits.h to the mail server).
#[derive(Debug)]
pub(crate) struct ExitWith {
    pub(crate) code: i32,
    pub(crate) message: String,
}

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExitWith {}

pub(crate) fn app_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(i) => anyhow!(
            "{}",
            i.errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow!("{other}"),
    }
}

pub(crate) async fn find_user(app: &App, email: &str) -> Result<kefu_app::model::User> {
    app.find_user_by_email(email).await.map_err(|e| match e {
        AppError::NotFound => anyhow!("no user with e-mail {email}"),
        other => app_err(other),
    })
}
