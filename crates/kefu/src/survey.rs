//! `kefu survey …`: create a survey, import answers, report, rebuild statistics (docs/surveys.md).

use crate::{Format, FormatArg, app_err, finish_import, progress_bar};
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use kefu_app::surveys::SurveyInput;
use kefu_app::{Actor, App, AppError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Subcommand)]
pub enum SurveyCommand {
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
        /// all (default) or <field>=<value>, field one of tier, kind, region, channel, product, agent
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
    /// Recompute a survey's statistics from its raw answers
    RebuildStats {
        /// The survey's slug or id
        survey: String,
    },
}

/// `tangibles=10,reliability=30` as a map; a bad pair names itself.
fn parse_weights(s: &str) -> Result<BTreeMap<String, u32>> {
    let mut out = BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--weights: {pair:?} is not dimension=points"))?;
        let v: u32 = v
            .trim()
            .parse()
            .map_err(|_| anyhow!("--weights: {v:?} for {k} is not a whole number"))?;
        if out.insert(k.trim().to_owned(), v).is_some() {
            bail!("--weights: {k} is given twice");
        }
    }
    Ok(out)
}

fn survey_err(key: &str, e: AppError) -> anyhow::Error {
    match e {
        AppError::NotFound => anyhow!("no survey {key:?} (give its slug or id; `kefu survey list` lists them)"),
        other => app_err(other),
    }
}

pub async fn run(app: &App, command: SurveyCommand, format: FormatArg) -> Result<()> {
    let cli = Actor::Cli;
    let text = format == FormatArg::Text;
    if !matches!(command, SurveyCommand::Report { .. }) && matches!(format, FormatArg::Csv | FormatArg::Xlsx) {
        bail!("--format csv and xlsx are for kefu survey report and kefu export; use text or json");
    }
    match command {
        SurveyCommand::Create {
            kind,
            slug,
            name,
            weights,
            language,
            no_importance,
            no_overall,
            competitor,
            items,
        } => {
            let battery = kefu_app::surveys::has_battery(&kind);
            let input = SurveyInput {
                slug: Some(slug),
                importance: matches!(kind.as_str(), "servqual" | "servperf") && !no_importance,
                overall: battery && !no_overall,
                kind,
                title: name,
                language,
                weights: weights.as_deref().map(parse_weights).transpose()?,
                comment: true,
                competitor,
                items: items.map(|i| {
                    i.split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect()
                }),
                status: None,
            };
            let v = app.create_survey(&cli, input).await.map_err(app_err)?;
            if text {
                println!(
                    "created survey {} ({}, {} items, id {}): answer links with `POST /api/v1/surveys/{}/links`, answers from a file with `kefu survey import {} FILE.csv`",
                    v.survey.slug,
                    v.survey.kind,
                    v.items.len(),
                    v.survey.id,
                    v.survey.slug,
                    v.survey.slug
                );
            } else {
                println!(
                    "{}",
                    serde_json::json!({"id": v.survey.id, "slug": v.survey.slug, "kind": v.survey.kind, "items": v.items.iter().map(|i| &i.code).collect::<Vec<_>>()})
                );
            }
        }
        SurveyCommand::List => {
            let list = app.list_surveys(&cli).await.map_err(app_err)?;
            if text {
                if list.is_empty() {
                    println!("no surveys yet: create one with `kefu survey create --slug NAME --name TITLE`");
                }
                for (s, n) in list {
                    println!(
                        "{:<24} {:<9} {:<7} {:>8} answers  {}",
                        s.slug, s.kind, s.status, n, s.title
                    );
                }
            } else {
                let items: Vec<_> = list
                    .into_iter()
                    .map(|(s, n)| serde_json::json!({"id": s.id, "slug": s.slug, "kind": s.kind, "status": s.status, "title": s.title, "answers": n}))
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            }
        }
        SurveyCommand::Import {
            survey,
            file,
            skip_bad_rows,
            rejects,
        } => {
            let src = std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let bar = progress_bar()?;
            let b = bar.clone();
            let progress = move |done: u64, total: u64| {
                b.set_length(total);
                b.set_position(done);
            };
            let started = Instant::now();
            let report = app
                .import_survey_responses(&cli, &survey, src, skip_bad_rows, &progress)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => survey_err(&survey, e),
                    other => anyhow!("{}: {}", file.display(), app_err(other)),
                })?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            finish_import(&report, &file, rejects, if text { Format::Text } else { Format::Json })?;
            if text && report.inserted > 0 {
                println!(
                    "{:.1} s, {:.0} answers/s",
                    secs,
                    report.inserted as f64 / secs.max(1e-9)
                );
            }
        }
        SurveyCommand::Report {
            survey,
            segment,
            from,
            to,
            output,
        } => {
            let id = app
                .survey_id_of(&cli, &survey)
                .await
                .map_err(|e| survey_err(&survey, e))?;
            let r = app
                .survey_report(&cli, id, segment.as_deref(), from.as_deref(), to.as_deref())
                .await
                .map_err(app_err)?;
            let (title, slug) = (r.view.survey.title.clone(), r.view.survey.slug.clone());
            let json = r.to_json();
            use kefu_app::survey_report as sr;
            let bytes = match format {
                FormatArg::Json => {
                    let mut b = serde_json::to_vec_pretty(&json)?;
                    b.push(b'\n');
                    b
                }
                FormatArg::Text => sr::to_text(&json, &title, &slug).into_bytes(),
                FormatArg::Csv => sr::to_csv(&json)?,
                FormatArg::Xlsx => sr::to_xlsx(&json, &title).map_err(|e| anyhow!("cannot write the workbook: {e}"))?,
            };
            write_output(output, &bytes, format == FormatArg::Xlsx)?;
        }
        SurveyCommand::RebuildStats { survey } => {
            let started = Instant::now();
            let n = app
                .rebuild_survey_stats(&cli, &survey)
                .await
                .map_err(|e| survey_err(&survey, e))?;
            let secs = started.elapsed().as_secs_f64();
            if text {
                println!("rebuilt the statistics of {survey} from {n} answers in {secs:.1} s");
            } else {
                println!("{}", serde_json::json!({"answers": n, "seconds": secs}));
            }
        }
    }
    Ok(())
}

/// Writes a report to a file (through a temporary file renamed into place) or to stdout.
fn write_output(output: Option<PathBuf>, bytes: &[u8], binary: bool) -> Result<()> {
    use std::io::{IsTerminal, Write};
    match output {
        None => {
            if binary && std::io::stdout().is_terminal() {
                bail!(
                    "an xlsx file is binary and stdout is a terminal: give --output FILE.xlsx (or redirect stdout to a file)"
                );
            }
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp =
                tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
            tmp.write_all(bytes)?;
            tmp.persist(&p)
                .with_context(|| format!("cannot write {}", p.display()))?;
        }
    }
    Ok(())
}
