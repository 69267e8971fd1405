//! `kefu survey …`: create a survey, import answers, report, rebuild statistics (docs/surveys.md).

use crate::cli::{CampaignCommand, Format, FormatArg, SurveyCommand};
use crate::commands::app_err;
use crate::commands::import::{finish_import, progress_bar};
use anyhow::{Context, Result, anyhow, bail};
use kefu_app::surveys::SurveyInput;
use kefu_app::{Actor, App, AppError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

fn plan_text(p: &kefu_app::survey_campaigns::CampaignPlan) -> String {
    format!(
        "frame {} customers; {} asked within the fatigue window and {} opted out are left out; {} eligible; {}{} invitations",
        p.frame,
        p.excluded_recent,
        p.excluded_opted_out,
        p.eligible,
        p.answers_needed
            .map(|n| format!("{n} answers needed for the margin; "))
            .unwrap_or_default(),
        p.invitations
    )
}

async fn campaign(app: &App, command: CampaignCommand, format: FormatArg) -> Result<()> {
    let cli = Actor::Cli;
    let text = format == FormatArg::Text;
    let lists = matches!(
        command,
        CampaignCommand::Links { .. } | CampaignCommand::Run { output: Some(_), .. }
    );
    if !lists && matches!(format, FormatArg::Csv | FormatArg::Xlsx) {
        bail!("--format csv and xlsx are for the link list (`links`, or `run -o FILE`); use text or json");
    }
    let no_campaign = |id: i64| {
        move |e: AppError| match e {
            AppError::NotFound => anyhow!("no campaign {id} (`kefu survey campaign list` lists them)"),
            other => app_err(other),
        }
    };
    match command {
        CampaignCommand::Create {
            survey,
            name,
            kind,
            tier,
            region,
            tag,
            staff,
            role,
            size,
            margin,
            response_rate,
            fatigue_days,
            expires_in_days,
            recurrence,
            no_email,
            seed,
        } => {
            let input = kefu_app::survey_campaigns::CampaignInput {
                name,
                frame: kefu_app::survey_campaigns::CampaignFrame {
                    audience: staff.then(|| "staff".to_owned()),
                    roles: role,
                    kinds: kind,
                    tiers: tier,
                    regions: region,
                    tags: tag,
                },
                sample_size: size,
                margin,
                response_rate,
                fatigue_days,
                expires_in_days,
                recurrence,
                invite_by_email: Some(!no_email),
                seed,
            };
            let c = app
                .create_campaign(&cli, &survey, input)
                .await
                .map_err(|e| survey_err(&survey, e))?;
            let plan = app.campaign_plan(&cli, c.id).await.map_err(app_err)?;
            if text {
                println!(
                    "created campaign {} ({}, {}): {}",
                    c.id,
                    c.name,
                    c.recurrence,
                    plan_text(&plan)
                );
            } else {
                println!("{}", serde_json::json!({"campaign": c, "plan": plan}));
            }
        }
        CampaignCommand::List { survey } => {
            let id = match &survey {
                Some(s) => Some(app.survey_id_of(&cli, s).await.map_err(|e| survey_err(s, e))?),
                None => None,
            };
            let list = app.list_campaigns(&cli, id).await.map_err(app_err)?;
            if text {
                if list.is_empty() {
                    println!("no campaigns yet: create one with `kefu survey campaign create SURVEY --name NAME`");
                }
                for c in list {
                    println!(
                        "{:>5}  survey {:<5} {:<16} {:<7} {:>3} runs  {}",
                        c.id, c.survey_id, c.recurrence, c.status, c.runs, c.name
                    );
                }
            } else {
                println!("{}", serde_json::to_string(&list)?);
            }
        }
        CampaignCommand::Plan { id } => {
            let p = app.campaign_plan(&cli, id).await.map_err(no_campaign(id))?;
            if text {
                println!("{}", plan_text(&p));
            } else {
                println!("{}", serde_json::to_string(&p)?);
            }
        }
        CampaignCommand::Run { id, output } => {
            let r = app.run_campaign(&cli, id).await.map_err(no_campaign(id))?;
            let summary = format!(
                "run {}: {} links made, {} invitations sent by e-mail ({})",
                r.run,
                r.links,
                r.emailed,
                plan_text(&r.plan)
            );
            match output {
                Some(path) => {
                    eprintln!("{summary}; the link list is in {}", path.display());
                    write_link_list(app, &r.issued, format, Some(path)).await?;
                }
                None if text => println!(
                    "{summary}. kefu keeps no copy of the links: `kefu survey campaign run {id} -o FILE` writes them \
                     at the run; `kefu survey campaign links {id} --run {}` issues the open ones again (those sent before stop working)",
                    r.run
                ),
                None => println!("{}", serde_json::to_string(&r)?),
            }
        }
        CampaignCommand::Links { id, run, output } => {
            let links = app
                .reissue_campaign_links(&cli, id, run)
                .await
                .map_err(no_campaign(id))?;
            let issued = links.iter().filter(|l| l.token.is_some()).count();
            eprintln!(
                "{issued} open links issued again: the links sent before for them no longer open; \
                 answered, opted-out and expired ones are listed without a URL"
            );
            write_link_list(app, &links, format, output).await?;
        }
    }
    Ok(())
}

/// A link list written as CSV (the default), xlsx or JSON to `output` (stdout without one).
async fn write_link_list(
    app: &App,
    links: &[kefu_app::model::CampaignLink],
    format: FormatArg,
    output: Option<PathBuf>,
) -> Result<()> {
    let rows = kefu_app::survey_campaigns::link_rows(links, app.config.public_url.as_deref(), &app.time_zone().await);
    let (bytes, binary) = match format {
        FormatArg::Xlsx => (
            kefu_app::survey_campaigns::links_xlsx(&rows).map_err(|e| anyhow!("cannot write the workbook: {e}"))?,
            true,
        ),
        FormatArg::Json => {
            let objs: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    kefu_app::survey_campaigns::LINK_COLUMNS
                        .iter()
                        .zip(r)
                        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.clone())))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                })
                .collect();
            (serde_json::to_vec(&objs)?, false)
        }
        _ => (kefu_app::survey_campaigns::links_csv(&rows)?, false),
    };
    write_output(output, &bytes, binary)
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

pub(crate) async fn run(app: &App, command: SurveyCommand, format: FormatArg) -> Result<()> {
    let cli = Actor::Cli;
    let text = format == FormatArg::Text;
    if let SurveyCommand::Campaign(c) = command {
        return campaign(app, c, format).await;
    }
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
            // An unknown kind is refused by the use case, which names it.
            let parsed = kefu_core::SurveyKind::parse(&kind).ok();
            let battery = parsed.is_some_and(kefu_core::SurveyKind::has_battery);
            let input = SurveyInput {
                slug: Some(slug),
                importance: parsed.is_some_and(kefu_core::SurveyKind::is_battery_of_dimensions) && !no_importance,
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
                FormatArg::Text => {
                    let low = app.lowest_items(&cli, &r, 3).await.map_err(app_err)?;
                    sr::to_text(&json, &title, &slug, &low).into_bytes()
                }
                FormatArg::Csv => sr::to_csv(&json)?,
                FormatArg::Xlsx => sr::to_xlsx(&json, &title).map_err(|e| anyhow!("cannot write the workbook: {e}"))?,
            };
            write_output(output, &bytes, format == FormatArg::Xlsx)?;
        }
        SurveyCommand::Campaign(_) => unreachable!("handled above"),
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
pub(crate) fn write_output(output: Option<PathBuf>, bytes: &[u8], binary: bool) -> Result<()> {
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
