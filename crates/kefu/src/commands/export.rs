//! `kefu export`: customers or purchases in the import's columns, as CSV or xlsx, written so
//! that a failed export leaves no half-written file behind.

use crate::cli::ImportKind;
use crate::commands::app_err;
use anyhow::{Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kefu_app::App;
use std::path::PathBuf;
use std::time::Instant;

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

pub(crate) async fn run(app: &App, what: ImportKind, xlsx: bool, output: Option<PathBuf>, bom: bool) -> Result<()> {
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
