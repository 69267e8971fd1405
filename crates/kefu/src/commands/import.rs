//! `kefu import`: customers or purchases from a CSV file, with the report every import gives
//! (`kefu survey import` reports the same way).

use crate::cli::{Format, ImportKind};
use crate::commands::app_err;
use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::App;
use std::path::PathBuf;

pub(crate) async fn run(
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
