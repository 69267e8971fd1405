//! `kefu`: one binary for the server and every operator command.

mod config;
mod survey;

/// mimalloc instead of glibc's malloc: the server allocates and frees across threads all the time
/// (SQLite's worker threads hand rows to the request tasks); on the issue 4 queue benchmark it
/// served 15-22 % more pages a second (bench/README.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use config::Config;
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::accounts::CreateUser;
use kefu_app::demo::DemoSize;
use kefu_app::jobs::{JobRegistry, WorkerOptions, standard_schedule};
use kefu_app::{Actor, App, AppError};
use kefu_core::Role;
use kefu_store::{Store, StoreError, UserFilter};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu (客服): a self-hosted customer service quality platform"
)]
struct Cli {
    /// Database: sqlite:///path/kefu.db or postgres://user@host/db (default: kefu.db in data_dir)
    #[arg(long, global = true, env = "KEFU_DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (TOML)
    #[arg(long, global = true, env = "KEFU_CONFIG")]
    config: Option<PathBuf>,
    /// Output format: text or json for a command's result; csv or xlsx for `kefu export` and `kefu survey report`
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Text,
    Json,
    Csv,
    Xlsx,
}

/// The format of a command's result (`kefu export` takes csv or xlsx instead).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and API (and run background jobs)
    Serve(ServeArgs),
    /// Create or upgrade the database schema
    Migrate,
    /// Print the effective configuration, secrets masked
    Config,
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load demo data into an empty database
    Demo {
        /// small, large, or a number of customer accounts
        #[arg(long, default_value = "small")]
        size: String,
    },
    /// Service-level tools
    #[command(subcommand)]
    Sla(SlaCommand),
    /// Import customers or purchases from a CSV file (UTF-8 or GB18030; see docs/import.md)
    Import {
        #[arg(value_enum)]
        what: ImportKind,
        file: PathBuf,
        /// Import the good rows and write the bad ones, with their reasons, to --rejects
        #[arg(long)]
        skip_bad_rows: bool,
        /// Where --skip-bad-rows writes the rejected rows (default: FILE.rejected.csv)
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Export customers or purchases in the import's columns, as CSV (default) or xlsx (see docs/export.md)
    Export {
        #[arg(value_enum)]
        what: ImportKind,
        /// The file to write (default: stdout; xlsx needs a file or a redirect)
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// CSV without the UTF-8 byte-order mark (which Excel needs to read Chinese text)
        #[arg(long)]
        no_bom: bool,
    },
    /// Surveys: create, import answers, report, rebuild statistics (see docs/surveys.md)
    #[command(subcommand)]
    Survey(survey::SurveyCommand),
    /// E-mail in (see docs/mail.md)
    #[command(subcommand)]
    Mail(MailCommand),
    /// Write an online, consistent backup of the whole database to a file
    Backup { file: PathBuf },
    /// Restore a backup (refuses a non-empty database without --force)
    Restore {
        file: PathBuf,
        /// Replace everything in a database that is not empty
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080)
    #[arg(long)]
    listen: Option<String>,
    /// Load demo data first if the database is empty
    #[arg(long)]
    demo: bool,
    /// Serve requests but run no background jobs on this node
    #[arg(long)]
    no_worker: bool,
    /// Enqueue no periodic jobs from this node
    #[arg(long)]
    no_scheduler: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        /// Department name or id (repeatable); agents without one join the default department
        #[arg(long = "department")]
        departments: Vec<String>,
    },
    /// List users
    List {
        #[arg(long)]
        role: Option<String>,
    },
    /// Disable a user and end their sessions
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Set a user's password and end their sessions
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ImportKind {
    Customers,
    Purchases,
}

#[derive(Subcommand)]
enum MailCommand {
    /// Read one RFC 5322 message on standard input and file it as a ticket or a reply (for Postfix
    /// `| kefu mail ingest` or fetchmail's mda); exits non-zero, storing nothing, when the message is refused
    Ingest,
    /// Poll the IMAP mailbox of `imap_url` once, as `kefu serve` does every minute: each unseen
    /// message is ingested and marked seen; a refused one is also flagged and left for a person
    Poll,
}

#[derive(Subcommand)]
enum SlaCommand {
    /// Run one escalation sweep now (what the `tickets.escalate` job does every minute) and print
    /// what it did and how long it took
    Sweep,
    /// Print the instant N business minutes after a start instant, by a calendar file
    Due {
        /// Calendar file (TOML): time_zone, holidays, workdays, workday_hours, [week]
        #[arg(long)]
        calendar: PathBuf,
        /// Start instant, RFC 3339 (2026-09-30T17:00:00+08:00)
        #[arg(long)]
        from: String,
        /// Business minutes
        #[arg(long, allow_negative_numbers = true)]
        minutes: i64,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; prints only the token
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.downcast_ref::<ExitWith>().map_or(1, |x| x.code)
        }
    };
    std::process::exit(code);
}

/// An error that ends the process with a given status (`kefu mail ingest` speaks sysexits.h to the mail server).
#[derive(Debug)]
struct ExitWith {
    code: i32,
    message: String,
}

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExitWith {}

/// sysexits.h: the input was bad (the mail server bounces the message).
const EX_DATAERR: i32 = 65;
/// sysexits.h: try again later (the mail server keeps the message and retries).
const EX_TEMPFAIL: i32 = 75;

async fn mail_ingest(app: &App, format: Format) -> Result<()> {
    let refused = |message: String| ExitWith {
        code: EX_DATAERR,
        message,
    };
    let raw = kefu_mail::read_message(std::io::stdin().lock(), &app.mail_limits())
        .map_err(|e| refused(format!("message refused, nothing stored: {e}")))?;
    let outcome = app.ingest_mail(&raw).await.map_err(|e| match e {
        AppError::Refused(m) => refused(m),
        AppError::Invalid(_) => refused(format!("message refused, nothing stored: {}", app_err(e))),
        other => ExitWith {
            code: EX_TEMPFAIL,
            message: format!("message not stored, try again later: {other}"),
        },
    })?;
    match format {
        Format::Json => println!("{}", ingest_json(&outcome)),
        Format::Text => println!("{}", outcome.describe()),
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(u) = &cli.database_url {
        cfg.database_url = Some(u.clone());
    }
    init_logging(&cfg);
    for var in Config::unknown_env() {
        tracing::warn!(%var, "ignoring an environment variable that is not a kefu setting");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let is_export = matches!(cli.command, Command::Export { .. });
    let format_arg = cli.format;
    let (format, xlsx) = match (cli.format, is_export) {
        // `kefu survey` checks its own formats (its report takes all four).
        (_, false) if matches!(cli.command, Command::Survey(_)) => (Format::Text, false),
        (FormatArg::Text, _) => (Format::Text, false),
        (FormatArg::Json, false) => (Format::Json, false),
        (FormatArg::Json, true) => bail!("kefu export writes --format csv or xlsx, not json"),
        (FormatArg::Csv, true) => (Format::Text, false),
        (FormatArg::Xlsx, true) => (Format::Text, true),
        (FormatArg::Csv | FormatArg::Xlsx, false) => {
            bail!("--format csv and xlsx are for kefu export; use text or json")
        }
    };
    rt.block_on(async move {
        match cli.command {
            Command::Config => print_config(&cfg, format),
            Command::Sla(SlaCommand::Due {
                calendar,
                from,
                minutes,
            }) => sla_due(&calendar, &from, minutes, format),
            Command::Serve(args) => serve(cfg, args).await,
            Command::Survey(c) => {
                let app = open_app(&cfg).await?;
                let r = survey::run(&app, c, format_arg).await;
                app.store.close().await;
                r
            }
            Command::Export { what, output, no_bom } => {
                let app = open_app(&cfg).await?;
                let r = export(&app, what, xlsx, output, !no_bom).await;
                app.store.close().await;
                r
            }
            command => {
                let app = open_app(&cfg).await?;
                let r = run_command(&app, command, format).await;
                app.store.close().await;
                r
            }
        }
    })
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn print_config(cfg: &Config, format: Format) -> Result<()> {
    let masked = cfg.masked();
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&masked)?),
        Format::Text => print!("{}", toml::to_string_pretty(&masked)?),
    }
    Ok(())
}

async fn open_store(cfg: &Config) -> Result<Arc<dyn Store>> {
    let url = cfg.database_url();
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(kefu_store_postgres::PostgresStore::open(&url, cfg.db_max_connections).await?)
    } else if url.starts_with("sqlite:") || !url.contains("://") {
        Arc::new(kefu_store_sqlite::SqliteStore::open(&url, 4).await?)
    } else {
        bail!(
            "unsupported database URL {:?}: use sqlite:///path/kefu.db or postgres://user@host/db",
            kefu_store_postgres::redact(&url)
        );
    };
    store.migrate().await.map_err(|e| match e {
        e @ StoreError::SchemaTooNew { .. } => anyhow!("{e}"),
        other => anyhow!("cannot migrate the database: {other}"),
    })?;
    Ok(store)
}

async fn open_app(cfg: &Config) -> Result<App> {
    Ok(App::new(open_store(cfg).await?, cfg.app_config()))
}

fn read_password(password: Option<String>, stdin: bool) -> Result<String> {
    if stdin {
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

async fn find_user(app: &App, email: &str) -> Result<kefu_store::User> {
    app.find_user_by_email(email).await.map_err(|e| match e {
        AppError::NotFound => anyhow!("no user with e-mail {email}"),
        other => app_err(other),
    })
}

fn ingest_json(o: &kefu_app::mail::IngestOutcome) -> serde_json::Value {
    use kefu_app::mail::IngestOutcome;
    match o {
        IngestOutcome::Created(v) => {
            serde_json::json!({"outcome": "created", "ticket_id": v.ticket.id, "reference": v.reference.to_string()})
        }
        IngestOutcome::Appended(v) => {
            serde_json::json!({"outcome": "appended", "ticket_id": v.ticket.id, "reference": v.reference.to_string()})
        }
        IngestOutcome::Ignored(reason) => serde_json::json!({"outcome": "ignored", "reason": reason}),
        IngestOutcome::Duplicate { ticket_id } => serde_json::json!({"outcome": "duplicate", "ticket_id": ticket_id}),
    }
}

async fn run_command(app: &App, command: Command, format: Format) -> Result<()> {
    let cli = Actor::Cli;
    match command {
        Command::Sla(SlaCommand::Sweep) => {
            let started = std::time::Instant::now();
            let r = app.sweep_escalations(kefu_app::now_ms()).await.map_err(app_err)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"tickets": r.tickets, "warnings": r.warnings, "breaches": r.breaches, "ms": ms})
                ),
                Format::Text => println!(
                    "swept {} ticket(s): {} warning(s), {} breach(es) in {ms:.0} ms",
                    r.tickets, r.warnings, r.breaches
                ),
            }
        }
        Command::Migrate => {
            let s = app.store.schema_status().await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&s)?),
                Format::Text => println!("schema current: {} migration(s) applied", s.applied.len()),
            }
        }
        Command::User(UserCommand::Create {
            email,
            password,
            password_stdin,
            role,
            name,
            departments,
        }) => {
            let role: Role = role.parse().map_err(|e: kefu_core::Invalid| app_err(e.into()))?;
            let password = if password.is_some() || password_stdin {
                Some(read_password(password, password_stdin)?)
            } else {
                None
            };
            let all = app.store.list_departments().await?;
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
        Command::User(UserCommand::List { role }) => {
            let role = role
                .map(|r| r.parse::<Role>())
                .transpose()
                .map_err(|e| app_err(e.into()))?;
            let mut after = 0;
            let mut all = vec![];
            loop {
                let page = app
                    .store
                    .list_users(UserFilter {
                        after,
                        limit: 200,
                        role,
                    })
                    .await?;
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
        Command::User(UserCommand::Disable { email }) => {
            let u = find_user(app, &email).await?;
            let u = app.disable_user(&cli, u.id).await.map_err(app_err)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&u)?),
                Format::Text => println!("disabled {}", u.email),
            }
        }
        Command::User(UserCommand::SetPassword {
            email,
            password,
            password_stdin,
        }) => {
            let pw = read_password(password, password_stdin)?;
            let u = find_user(app, &email).await?;
            app.set_password(&cli, u.id, &pw).await.map_err(app_err)?;
            if format == Format::Json {
                println!("{}", serde_json::json!({"email": u.email, "password_set": true}));
            } else {
                println!("password set for {}", u.email);
            }
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            let u = find_user(app, &user).await?;
            let (token, plain) = app.create_token(&cli, u.id, &name).await.map_err(app_err)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"id": token.id, "user": u.email, "name": token.name, "token": plain})
                ),
                Format::Text => println!("{plain}"),
            }
        }
        Command::Demo { size } => {
            let size = DemoSize::parse(&size).ok_or_else(|| {
                anyhow!("--size must be small, large or a number of customers up to 1000000, not {size:?}")
            })?;
            if !app.store.is_empty().await? {
                bail!("the database is not empty; demo data goes only into an empty database");
            }
            let summary = load_demo(app, size).await?;
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
        }
        Command::Import {
            what,
            file,
            skip_bad_rows,
            rejects,
        } => import(app, what, &file, skip_bad_rows, rejects, format).await?,
        Command::Mail(MailCommand::Ingest) => mail_ingest(app, format).await?,
        Command::Mail(MailCommand::Poll) => {
            let Some(r) = app.poll_mail().await.map_err(app_err)? else {
                bail!("no mailbox to poll: set imap_url (e.g. imaps://user:password@imap.example.com/INBOX)");
            };
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"unseen": r.unseen, "taken": r.taken, "refused": r.refused, "stopped": r.stopped})
                ),
                Format::Text => println!(
                    "{} unseen: {} taken, {} refused (flagged in the mailbox){}",
                    r.unseen,
                    r.taken,
                    r.refused,
                    if r.stopped {
                        "; stopped early, the rest waits for the next poll"
                    } else {
                        ""
                    }
                ),
            }
        }
        Command::Backup { file } => {
            let started = Instant::now();
            let s = app.backup_to(&file).await.map_err(app_err)?;
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
        }
        Command::Restore { file, force } => {
            let s = app.restore_from(&file, force).await.map_err(app_err)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&s)?),
                Format::Text => println!(
                    "restored {} rows in {} tables from {}",
                    s.rows,
                    s.tables,
                    file.display()
                ),
            }
        }
        Command::Serve(_) | Command::Config | Command::Sla(_) | Command::Export { .. } | Command::Survey(_) => {
            unreachable!("handled in run")
        }
    }
    Ok(())
}

async fn import(
    app: &App,
    what: ImportKind,
    file: &std::path::Path,
    skip_bad_rows: bool,
    rejects: Option<PathBuf>,
    format: Format,
) -> Result<()> {
    // Streamed, not read whole: a purchase file of a million rows stays out of memory.
    let src = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bar = progress_bar()?;
    let b = bar.clone();
    let progress = move |done: u64, total: u64| {
        b.set_length(total);
        b.set_position(done);
    };
    let report = match what {
        ImportKind::Customers => app.import_customers_from(src, skip_bad_rows, &progress).await,
        ImportKind::Purchases => app.import_purchases_from(src, skip_bad_rows, &progress).await,
    }
    .map_err(|e| anyhow!("{}: {}", file.display(), app_err(e)))?;
    bar.finish_and_clear();
    finish_import(&report, file, rejects, format)
}

/// The progress bar of an import.
pub(crate) fn progress_bar() -> Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({per_sec})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message("checking");
    Ok(bar)
}

/// Reports an import: its errors when it imported nothing, else its counts, and the rejected
/// rows with their reasons in a file of their own.
pub(crate) fn finish_import(
    report: &kefu_app::import::ImportReport,
    file: &std::path::Path,
    rejects: Option<PathBuf>,
    format: Format,
) -> Result<()> {
    if report.aborted {
        let shown: Vec<String> = report
            .rejected
            .iter()
            .take(20)
            .map(|e| format!("  {}: {e}", file.display()))
            .collect();
        let more = report.rejected.len().saturating_sub(20);
        bail!(
            "nothing imported: {} of {} rows have errors\n{}{}\n(fix them, or pass --skip-bad-rows to import the good rows)",
            report
                .rejected
                .iter()
                .map(|e| e.row)
                .collect::<std::collections::HashSet<_>>()
                .len(),
            report.rows,
            shown.join("\n"),
            if more > 0 {
                format!("\n  … and {more} more")
            } else {
                String::new()
            }
        );
    }
    let mut rejects_file = None;
    if !report.rejected_rows.is_empty() {
        let path = rejects.unwrap_or_else(|| {
            let mut p = file.as_os_str().to_owned();
            p.push(".rejected.csv");
            PathBuf::from(p)
        });
        let mut w = csv::Writer::from_path(&path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut header = vec!["row".to_owned()];
        header.extend(report.header.iter().cloned());
        header.extend(["error_column".to_owned(), "error".to_owned()]);
        w.write_record(&header)?;
        for (row, cells) in &report.rejected_rows {
            let reasons: Vec<&kefu_app::import::RowError> = report.rejected.iter().filter(|e| e.row == *row).collect();
            let mut line = vec![row.to_string()];
            line.extend(cells.iter().cloned());
            line.push(reasons.iter().map(|e| e.column.as_str()).collect::<Vec<_>>().join("; "));
            line.push(
                reasons
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            w.write_record(&line)?;
        }
        w.flush().with_context(|| format!("cannot write {}", path.display()))?;
        rejects_file = Some(path);
    }
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"rows": report.rows, "inserted": report.inserted, "updated": report.updated, "rejected": report.rejected, "rejects_file": rejects_file})
        ),
        Format::Text => {
            println!(
                "{} rows: {} imported, {} updated, {} rejected",
                report.rows,
                report.inserted,
                report.updated,
                report.rejected_rows.len()
            );
            if let Some(p) = rejects_file {
                println!("rejected rows with their reasons: {}", p.display());
            }
        }
    }
    Ok(())
}

/// Where `kefu export` writes: CSV streams to stdout; everything else is written to a temporary
/// file first, then renamed into place (or, for stdout and special files, copied), so a failed
/// export leaves no half-written file behind.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    StreamToStdout,
    StdoutViaTemp,
    /// Renamed into place.
    File(PathBuf),
    /// Not a regular file (a FIFO, /dev/stdout): copied into.
    Special(PathBuf),
}

fn export_destination(output: Option<PathBuf>, xlsx: bool, stdout_is_terminal: bool) -> Result<Destination> {
    Ok(match output {
        None if xlsx && stdout_is_terminal => bail!(
            "an xlsx file is binary and stdout is a terminal: give --output FILE.xlsx (or redirect stdout to a file)"
        ),
        None if xlsx => Destination::StdoutViaTemp,
        None => Destination::StreamToStdout,
        Some(p) if std::fs::metadata(&p).is_ok_and(|m| !m.is_file()) => {
            if p.is_dir() {
                bail!("{} is a directory: give --output a file name", p.display());
            }
            Destination::Special(p)
        }
        Some(p) => Destination::File(p),
    })
}

async fn export(app: &App, what: ImportKind, xlsx: bool, output: Option<PathBuf>, bom: bool) -> Result<()> {
    use kefu_app::export::{CsvSink, Entity, XlsxSink};
    use std::io::{IsTerminal, Write};
    let started = Instant::now();
    let entity = match what {
        ImportKind::Customers => Entity::Customers,
        ImportKind::Purchases => Entity::Purchases,
    };
    let dest = export_destination(output, xlsx, std::io::stdout().is_terminal())?;
    let shown = match &dest {
        Destination::File(p) | Destination::Special(p) => p.display().to_string(),
        _ => "stdout".to_owned(),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message(format!("exporting {}", entity.name()));
    let b = bar.clone();
    let progress = move |done: u64, total: u64| {
        b.set_length(total);
        b.set_position(done);
    };
    let cannot = |e: std::io::Error| anyhow!("cannot write {shown}: {e}");
    let mut tmp = match &dest {
        Destination::StreamToStdout => None,
        Destination::File(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !dir.is_dir() {
                bail!("cannot write {shown}: there is no directory {}", dir.display());
            }
            let mut b = tempfile::Builder::new();
            b.prefix(".kefu-export-");
            // As a new file would be (the umask applies), not tempfile's private 0600.
            #[cfg(unix)]
            b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
            Some(b.tempfile_in(dir).map_err(cannot)?)
        }
        _ => Some(tempfile::NamedTempFile::new().map_err(cannot)?),
    };
    let summary = if xlsx {
        let mut sink = XlsxSink::new(entity).map_err(cannot)?;
        let s = app.export(entity, &mut sink, &progress).await.map_err(app_err)?;
        bar.set_message("compressing the xlsx file");
        let file = tmp.as_mut().expect("xlsx goes through a temporary file").as_file_mut();
        sink.save_to(std::io::BufWriter::new(file)).map_err(cannot)?;
        s
    } else {
        let out: Box<dyn Write> = match tmp.as_mut() {
            Some(t) => Box::new(std::io::BufWriter::with_capacity(256 * 1024, t.as_file_mut())),
            None => Box::new(std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout())),
        };
        let mut sink = CsvSink::new(out, entity, bom).map_err(cannot)?;
        let s = app.export(entity, &mut sink, &progress).await.map_err(app_err)?;
        sink.finish().and_then(|mut w| w.flush()).map_err(cannot)?;
        s
    };
    bar.finish_and_clear();
    match (dest, tmp) {
        (Destination::File(p), Some(t)) => {
            t.as_file().sync_all().map_err(cannot)?;
            t.persist(&p).map_err(|e| cannot(e.error))?;
        }
        (Destination::StdoutViaTemp, Some(mut t)) => {
            copy_out(t.as_file_mut(), std::io::stdout().lock()).map_err(cannot)?
        }
        (Destination::Special(p), Some(mut t)) => {
            let to = std::fs::OpenOptions::new().write(true).open(&p).map_err(cannot)?;
            copy_out(t.as_file_mut(), to).map_err(cannot)?;
        }
        _ => {}
    }
    if summary.assigned_external_ids > 0 {
        eprintln!(
            "note: {} customer(s) had no external_id and now have {}<id> (see docs/export.md)",
            summary.assigned_external_ids,
            kefu_app::export::EXTERNAL_ID_PREFIX
        );
    }
    let secs = started.elapsed().as_secs_f64();
    let line = format!(
        "exported {} {} to {shown} in {secs:.1} s ({:.0} rows/s)",
        summary.rows,
        entity.name(),
        summary.rows as f64 / secs.max(1e-3)
    );
    // The summary goes where the data does not.
    if shown == "stdout" {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

fn copy_out(from: &mut std::fs::File, mut to: impl std::io::Write) -> std::io::Result<()> {
    use std::io::Seek;
    from.rewind()?;
    std::io::copy(from, &mut to)?;
    to.flush()
}

/// `kefu sla due`: the business-time clock the SLAs use, on a calendar file; opens no database.
fn sla_due(calendar: &std::path::Path, from: &str, minutes: i64, format: Format) -> Result<()> {
    let src = std::fs::read_to_string(calendar)
        .with_context(|| format!("cannot read the calendar {}", calendar.display()))?;
    let cal = kefu_core::calendar::BusinessCalendar::from_toml(&src)
        .map_err(|e| anyhow!("{}: {}", calendar.display(), app_err(e.into())))?;
    let start: jiff::Timestamp = from
        .parse()
        .map_err(|e| anyhow!("--from {from:?} is not an RFC 3339 instant such as 2026-09-30T17:00:00+08:00: {e}"))?;
    let due = cal
        .add_business_minutes(start, minutes)
        .map_err(|e| app_err(e.into()))?;
    match format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"due": cal.format(due), "time_zone": cal.time_zone_name})
        ),
        Format::Text => println!("{}", cal.format(due)),
    }
    Ok(())
}

async fn load_demo(app: &App, size: DemoSize) -> Result<kefu_app::demo::DemoSummary> {
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

async fn serve(cfg: Config, args: ServeArgs) -> Result<()> {
    let started = Instant::now();
    let listen = args.listen.clone().unwrap_or_else(|| cfg.listen.clone());
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address like 127.0.0.1:8080"))?;
    let app = open_app(&cfg).await?;
    if args.demo {
        if app.store.is_empty().await? {
            let s = load_demo(&app, DemoSize::Small).await?;
            tracing::info!(admin = %s.admin_email, password = s.password, "demo data loaded");
        } else {
            tracing::info!("the database is not empty: demo data not loaded");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut background = vec![];
    if cfg.worker && !args.no_worker {
        let worker_id = format!("{}-{}", hostname(), std::process::id());
        let (a, rx) = (app.clone(), stop_rx.clone());
        background.push(tokio::spawn(async move {
            a.run_worker(JobRegistry::standard(), WorkerOptions::new(worker_id), rx)
                .await
        }));
    }
    if cfg.scheduler && !args.no_scheduler {
        let (a, rx) = (app.clone(), stop_rx.clone());
        let mail_in = app.config.mail_in.is_some();
        background.push(tokio::spawn(async move {
            a.run_scheduler(standard_schedule(mail_in), rx).await
        }));
    }
    let router = kefu_web::router(
        app.clone(),
        kefu_web::WebConfig {
            cookie_secure: cfg.cookie_secure,
            body_limit: cfg.body_limit_bytes,
            trust_forwarded_for: cfg.trust_forwarded_for,
        },
    );
    tracing::info!(%addr, backend = app.store.backend(), startup_ms = started.elapsed().as_millis() as u64, "kefu is serving");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await
        .context("server failed")?;
    let _ = stop_tx.send(true);
    for b in background {
        let _ = b.await;
    }
    app.store.close().await;
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "kefu".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_destinations() {
        let e = export_destination(None, true, true).unwrap_err().to_string();
        assert!(e.contains("--output") && e.contains("terminal"), "{e}");
        assert_eq!(
            export_destination(None, true, false).unwrap(),
            Destination::StdoutViaTemp
        );
        assert_eq!(
            export_destination(None, false, true).unwrap(),
            Destination::StreamToStdout
        );
        assert_eq!(
            export_destination(Some("/tmp/new.xlsx".into()), true, true).unwrap(),
            Destination::File("/tmp/new.xlsx".into())
        );
        assert_eq!(
            export_destination(Some("/dev/null".into()), false, false).unwrap(),
            Destination::Special("/dev/null".into()),
            "a device is written into, never replaced"
        );
        assert!(export_destination(Some("/tmp".into()), false, false).is_err());
    }
}
