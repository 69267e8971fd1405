//! The command line: every subcommand, flag and help text `kefu` takes (clap's types). What
//! each command does is in `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "kefu",
    version,
    about = "kefu (客服): a self-hosted customer service quality platform"
)]
pub(crate) struct Cli {
    /// Database: sqlite:///path/kefu.db or postgres://user@host/db (default: kefu.db in data_dir)
    #[arg(long, global = true, env = "KEFU_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// Configuration file (TOML)
    #[arg(long, global = true, env = "KEFU_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Output format: text or json for a command's result; csv or xlsx for `kefu export`, `kefu survey report` and `kefu report`
    #[arg(long, global = true, value_enum, default_value_t = FormatArg::Text)]
    pub(crate) format: FormatArg,
    #[command(subcommand)]
    pub(crate) command: Command,
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
pub(crate) enum Command {
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
    /// Business calendars: import a year's holidays (see docs/calendars.md)
    #[command(subcommand)]
    Calendar(CalendarCommand),
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
    Survey(SurveyCommand),
    /// E-mail in (see docs/mail.md)
    #[command(subcommand)]
    Mail(MailCommand),
    /// Reports: the manager's dashboard (--format text, json, csv or xlsx)
    #[command(subcommand)]
    Report(ReportCommand),
    /// Kept statistics: rebuild the ticket facts from every ticket's history
    #[command(subcommand)]
    Stats(StatsCommand),
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

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// The manager's dashboard: the period's ticket figures and each survey kind's headline
    Dashboard {
        /// First day, YYYY-MM-DD (default: the first day of the month eleven months ago)
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: today)
        #[arg(long)]
        to: Option<String>,
        /// all (default) or field:value, field one of tier, region, channel, department, product_category, agent, touchpoint
        #[arg(long)]
        segment: Option<String>,
        /// The file to write (default: stdout; xlsx needs a file or a redirect)
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The five gaps of a SERVQUAL survey, each per dimension, and the checklist kept for the period
    Gaps {
        /// The survey's id or slug (default: the newest SERVQUAL survey with answers)
        #[arg(long)]
        survey: Option<String>,
        /// First day, YYYY-MM-DD, with --to (default: every answer and ticket)
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD
        #[arg(long)]
        to: Option<String>,
        /// The file to write (default: stdout; xlsx needs a file or a redirect)
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum StatsCommand {
    /// Empty the ticket facts (the dashboard's figures) and count every ticket again from its
    /// history (see docs/statistics.md#ticket-facts)
    Rebuild,
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080)
    #[arg(long)]
    pub(crate) listen: Option<String>,
    /// Load demo data first if the database is empty
    #[arg(long)]
    pub(crate) demo: bool,
    /// Serve requests but run no background jobs on this node
    #[arg(long)]
    pub(crate) no_worker: bool,
    /// Enqueue no periodic jobs from this node
    #[arg(long)]
    pub(crate) no_scheduler: bool,
}

/// A password on the command line or, better (it stays out of the shell history), on standard input.
#[derive(Args)]
pub(crate) struct PasswordArgs {
    #[arg(long, conflicts_with = "password_stdin")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of standard input
    #[arg(long)]
    pub(crate) password_stdin: bool,
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user
    Create {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
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
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportKind {
    Customers,
    Purchases,
}

#[derive(Subcommand)]
pub(crate) enum MailCommand {
    /// Read one RFC 5322 message on standard input and file it as a ticket or a reply (for Postfix
    /// `| kefu mail ingest` or fetchmail's mda); exits non-zero, storing nothing, when the message is refused
    Ingest,
    /// Poll the IMAP mailbox of `imap_url` once, as `kefu serve` does every minute: each unseen
    /// message is ingested and marked seen; a refused one is also flagged and left for a person
    Poll,
}

#[derive(Subcommand)]
pub(crate) enum SlaCommand {
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
pub(crate) enum CalendarCommand {
    /// Import one year's public holidays and make-up working days into the calendar NAME, from a
    /// holiday-cn JSON file or an iCalendar (.ics) file; the year replaces what NAME listed for it
    Import { name: String, file: PathBuf },
    /// List the calendars in use that do not know the next 60 days' holidays (exit status 1 when any)
    Check,
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token; prints only the token
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum SurveyCommand {
    /// Create a survey (SERVQUAL with the 22 items of the bank, importance points and overall
    /// satisfaction, unless told otherwise)
    Create {
        /// servqual, servperf, csat, nps, ces or custom
        #[arg(long, default_value = "servqual")]
        kind: String,
        /// Short name the other commands and the API use: lowercase letters, digits, -
        #[arg(long)]
        slug: String,
        /// The title respondents see
        #[arg(long)]
        name: String,
        /// Manager weights, summing to 100: tangibles=10,reliability=30,...
        #[arg(long)]
        weights: Option<String>,
        /// zh-CN (default) or en: the language of links that say none
        #[arg(long)]
        language: Option<String>,
        /// Ask no 100-point importance allocation
        #[arg(long)]
        no_importance: bool,
        /// Ask no overall satisfaction
        #[arg(long)]
        no_overall: bool,
        /// Add a perception battery for this competitor
        #[arg(long)]
        competitor: Option<String>,
        /// Bank item codes in the order asked (default: the whole bank): Q1,Q2,...
        #[arg(long)]
        items: Option<String>,
    },
    /// List surveys with their slugs and answer counts
    List,
    /// Import answers from a CSV file, one respondent per row (columns in docs/surveys.md)
    Import {
        /// The survey's slug or id
        survey: String,
        file: PathBuf,
        /// Import the good rows and write the bad ones, with their reasons, to --rejects
        #[arg(long)]
        skip_bad_rows: bool,
        /// Where --skip-bad-rows writes the rejected rows (default: FILE.rejected.csv)
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Print a survey's report from its statistics (--format text, json, csv or xlsx)
    Report {
        /// The survey's slug or id
        survey: String,
        /// all (default: the customers), staff, or <field>=<value>, field one of tier, kind, region, channel, product, product_category, department, agent, role
        #[arg(long)]
        segment: Option<String>,
        /// First month, YYYY-MM
        #[arg(long)]
        from: Option<String>,
        /// Last month, YYYY-MM
        #[arg(long)]
        to: Option<String>,
        /// The file to write (default: stdout; xlsx needs a file or a redirect)
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Campaigns: who is asked, how many, how often (see docs/surveys.md)
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Recompute a survey's statistics from its raw answers
    RebuildStats {
        /// The survey's slug or id
        survey: String,
    },
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub(crate) enum CampaignCommand {
    /// Create a campaign for a survey
    Create {
        /// The survey's slug or id
        survey: String,
        #[arg(long)]
        name: String,
        /// Customer kinds in the frame: end,intermediate,internal (default: any)
        #[arg(long, value_delimiter = ',')]
        kind: Vec<String>,
        /// Value tiers in the frame: A,B,... (default: any)
        #[arg(long, value_delimiter = ',')]
        tier: Vec<String>,
        /// Regions in the frame (default: any)
        #[arg(long, value_delimiter = ',')]
        region: Vec<String>,
        /// Customers with any of these tags (default: any)
        #[arg(long, value_delimiter = ',')]
        tag: Vec<String>,
        /// Ask staff instead of customers (an employee survey of internal customers)
        #[arg(long)]
        staff: bool,
        /// Staff roles asked with --staff: admin,manager,agent,technician (default: all)
        #[arg(long, value_delimiter = ',')]
        role: Vec<String>,
        /// Ask this many a run
        #[arg(long, conflicts_with = "margin")]
        size: Option<u64>,
        /// Or as many as this margin of error needs (a proportion: 0.05 is ±5 points at 95 %)
        #[arg(long)]
        margin: Option<f64>,
        /// The share expected to answer, (0, 1] (default 1)
        #[arg(long)]
        response_rate: Option<f64>,
        /// Nobody is asked twice within this many days, across campaigns (default 90; 0 = off)
        #[arg(long)]
        fatigue_days: Option<u32>,
        /// Days a link stays open (default 30)
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// once (default), monthly, quarterly or ticket_resolved
        #[arg(long)]
        recurrence: Option<String>,
        /// Send no e-mail invitations (give the link list to an SMS or messaging tool instead)
        #[arg(long)]
        no_email: bool,
        /// The draw's seed (default: random)
        #[arg(long)]
        seed: Option<i64>,
    },
    /// List campaigns (of one survey, or all)
    List { survey: Option<String> },
    /// Show who a run would ask now: the frame, the exclusions, the sample size
    Plan { id: i64 },
    /// Run a campaign now: draw the sample, make the links, send the invitations. With -o, writes
    /// the run's link list (CSV, or xlsx with --format): kefu keeps only hashes of the links, so
    /// this is the one time they are handed out
    Run {
        id: i64,
        /// Where to write the run's link list
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Issue a campaign's open links (one run's, or all) again and write them as CSV (default) or
    /// xlsx (--format): each gets a new token, and the link sent before stops working
    Links {
        id: i64,
        #[arg(long)]
        run: Option<i64>,
        /// The file to write (default: stdout; xlsx needs a file or a redirect)
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// How a command writes its result: `--format` as given (`kefu survey` checks its own), the
/// format of a command's result, and whether `kefu export` writes xlsx.
#[derive(Clone, Copy)]
pub(crate) struct Output {
    pub(crate) asked: FormatArg,
    pub(crate) format: Format,
    pub(crate) xlsx: bool,
}

impl Cli {
    /// `--format` checked against the command: csv and xlsx are for `kefu export` (and `kefu survey`).
    pub(crate) fn output(&self) -> anyhow::Result<Output> {
        let is_export = matches!(self.command, Command::Export { .. });
        let (format, xlsx) = match (self.format, is_export) {
            // `kefu survey` checks its own formats (its report takes all four).
            (_, false) if matches!(self.command, Command::Survey(_) | Command::Report(_)) => (Format::Text, false),
            (FormatArg::Text, _) => (Format::Text, false),
            (FormatArg::Json, false) => (Format::Json, false),
            (FormatArg::Json, true) => anyhow::bail!("kefu export writes --format csv or xlsx, not json"),
            (FormatArg::Csv, true) => (Format::Text, false),
            (FormatArg::Xlsx, true) => (Format::Text, true),
            (FormatArg::Csv | FormatArg::Xlsx, false) => {
                anyhow::bail!("--format csv and xlsx are for kefu export; use text or json")
            }
        };
        Ok(Output {
            asked: self.format,
            format,
            xlsx,
        })
    }
}
