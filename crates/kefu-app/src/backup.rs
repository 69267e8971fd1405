//! Online, consistent backups and their restore. A backup is one JSON file holding every row of
//! every kefu table, read in one snapshot while kefu keeps serving; it restores onto either
//! database (so it also moves an installation from SQLite to PostgreSQL).

use crate::{App, AppError, AppResult};
use kefu_store::Dump;
use std::io::Write;
use std::path::Path;

pub const FORMAT: &str = "kefu-backup/1";

#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupSummary {
    pub tables: usize,
    pub rows: usize,
    pub bytes: u64,
    pub schema_version: i64,
}

impl App {
    /// Writes a backup to `path` atomically (a temporary file renamed into place).
    pub async fn backup_to(&self, path: &Path) -> AppResult<BackupSummary> {
        let mut dump = self.store.dump().await?;
        dump.kefu_version = env!("CARGO_PKG_VERSION").to_owned();
        dump.created_at = self.now();
        let summary = BackupSummary {
            tables: dump.tables.len(),
            rows: dump.tables.iter().map(|t| t.rows.len()).sum(),
            bytes: 0,
            schema_version: dump.schema_version,
        };
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || -> AppResult<BackupSummary> {
            let io = |e: std::io::Error| AppError::Refused(format!("cannot write {}: {e}", path.display()));
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile_in(dir).map_err(io)?;
            serde_json::to_writer(std::io::BufWriter::new(&mut tmp.1), &dump)
                .map_err(|e| AppError::Refused(e.to_string()))?;
            tmp.1.flush().map_err(io)?;
            tmp.1.sync_all().map_err(io)?;
            let bytes = tmp.1.metadata().map_err(io)?.len();
            std::fs::rename(&tmp.0, &path).map_err(io)?;
            Ok(BackupSummary { bytes, ..summary })
        })
        .await
        .map_err(|e| AppError::Refused(e.to_string()))?
    }

    /// Restores a backup. Refuses a non-empty database unless `force`, a file that is not a kefu
    /// backup, and a backup from another schema version; on any error the database is unchanged.
    pub async fn restore_from(&self, path: &Path, force: bool) -> AppResult<BackupSummary> {
        let p = path.to_owned();
        let dump: Dump = tokio::task::spawn_blocking(move || -> AppResult<Dump> {
            let f =
                std::fs::File::open(&p).map_err(|e| AppError::Refused(format!("cannot read {}: {e}", p.display())))?;
            serde_json::from_reader(std::io::BufReader::new(f))
                .map_err(|e| AppError::Refused(format!("{} is not a kefu backup: {e}", p.display())))
        })
        .await
        .map_err(|e| AppError::Refused(e.to_string()))??;
        if dump.format != FORMAT {
            return Err(AppError::Refused(format!(
                "unknown backup format {:?} (expected {FORMAT})",
                dump.format
            )));
        }
        let status = self.store.schema_status().await?;
        let current = status.applied.iter().max().copied().unwrap_or(0);
        if dump.schema_version != current {
            return Err(AppError::Refused(format!(
                "the backup has schema version {} but this database is at {current}; restore it with the kefu version that made it ({})",
                dump.schema_version, dump.kefu_version
            )));
        }
        if !force && !self.store.is_empty().await? {
            return Err(AppError::Refused(
                "the database is not empty; pass --force to replace everything in it with the backup".into(),
            ));
        }
        self.store.restore(&dump).await?;
        // The search index is derived data, rebuilt from the restored rows.
        self.reindex_all_customers().await?;
        self.reindex_all_tickets().await?;
        Ok(BackupSummary {
            tables: dump.tables.len(),
            rows: dump.tables.iter().map(|t| t.rows.len()).sum(),
            bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            schema_version: dump.schema_version,
        })
    }
}

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!(".kefu-backup-{}-{i}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}
