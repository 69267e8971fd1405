//! What the schema checks, a backup and a restore do alike on both databases: the migration
//! status, the dump's frame, a restore's checks of a backup's tables and rows, the tables emptied
//! and refilled, and the derived data brought up to date. How a column's value is read or bound,
//! and what a database must be told before a restore, stays in each backend.

use crate::Db;
use crate::portable::run::DbQuery;
use crate::portable::{REFRESH_PATH_DESCENDANTS_SQL, Run, Values, db_err};
use kefu_store::{Dump, DumpTable, SchemaStatus, StoreError, StoreResult, TABLES};
use serde_json::Value;
use sqlx::{Column, Row, Transaction, ValueRef};

type DbRow = <Db as sqlx::Database>::Row;

/// The versions of the migrations this build carries (`migrator`, the backend's own).
pub(crate) fn known_migrations(migrator: &sqlx::migrate::Migrator) -> Vec<i64> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect()
}

/// Which of the migrations this build knows are applied or pending, and which applied ones it
/// does not know.
pub(crate) fn schema_status(known: &[i64], applied: &[i64]) -> SchemaStatus {
    SchemaStatus {
        applied: applied.iter().copied().filter(|v| known.contains(v)).collect(),
        pending: known.iter().copied().filter(|v| !applied.contains(v)).collect(),
        unknown: applied.iter().copied().filter(|v| !known.contains(v)).collect(),
    }
}

/// Refuses to migrate a database that a newer build has migrated further than this one knows.
pub(crate) fn refuse_newer_schema(status: &SchemaStatus, known: &[i64]) -> StoreResult<()> {
    match status.unknown.iter().max() {
        Some(found) => Err(StoreError::SchemaTooNew {
            found: *found,
            known: known.iter().copied().max().unwrap_or(0),
        }),
        None => Ok(()),
    }
}

/// The migration version a backup is taken at.
pub(crate) async fn schema_version(tx: &mut Transaction<'_, Db>) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
        .value(&mut **tx)
        .await
}

/// A backup of `tables` by the `backend`, at `schema_version`.
pub(crate) fn dump(backend: &str, schema_version: i64, tables: Vec<DumpTable>) -> Dump {
    Dump {
        format: "kefu-backup/1".into(),
        kefu_version: String::new(),
        backend: backend.into(),
        schema_version,
        created_at: 0,
        tables,
    }
}

/// Refuses a backup table this schema does not have.
pub(crate) fn known_table(t: &DumpTable) -> StoreResult<()> {
    if TABLES.contains(&t.name.as_str()) {
        Ok(())
    } else {
        Err(StoreError::Refused(format!(
            "backup names an unknown table {:?}",
            t.name
        )))
    }
}

/// The refusal of a backup column that this schema's table lacks.
pub(crate) fn unknown_column(t: &DumpTable, column: &str) -> StoreError {
    StoreError::Refused(format!(
        "backup table {} has a column {column:?} this schema lacks",
        t.name
    ))
}

/// Empties every table, those that point at others first.
pub(crate) async fn empty_tables(tx: &mut Transaction<'static, Db>) -> StoreResult<()> {
    for name in TABLES.iter().rev() {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {name}")))
            .run(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The statement that inserts one row of `t`, its values bound in the order of its columns.
pub(crate) fn insert_sql(t: &DumpTable) -> String {
    let placeholders: Vec<String> = (1..=t.columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        t.name,
        t.columns.join(", "),
        placeholders.join(", ")
    )
}

/// The rows of table `name` as a backup holds them: NULL as null, any other value as `read` makes
/// it of column `i`, which answers `Err(type name)` for a type no backup carries (refusing the dump).
pub(crate) fn json_rows(
    name: &str,
    rows: &[DbRow],
    read: impl Fn(&DbRow, usize) -> Result<Result<Value, String>, sqlx::Error>,
) -> StoreResult<Vec<Vec<Value>>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            values.push(if row.try_get_raw(i).map_err(db_err)?.is_null() {
                Value::Null
            } else {
                read(row, i).map_err(db_err)?.map_err(|ty| {
                    StoreError::Data(format!(
                        "{name}.{}: type {ty} cannot be backed up",
                        row.columns()[i].name()
                    ))
                })?
            });
        }
        out.push(values);
    }
    Ok(out)
}

/// Inserts the rows of `t`, each checked, value `v` of column `i` bound as `bind` says.
pub(crate) async fn insert_rows(
    tx: &mut Transaction<'static, Db>,
    t: &DumpTable,
    bind: impl for<'q> Fn(DbQuery<'q>, usize, &Value) -> StoreResult<DbQuery<'q>>,
) -> StoreResult<()> {
    let sql = insert_sql(t);
    for (n, row) in t.rows.iter().enumerate() {
        check_row(t, n, row)?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for (i, v) in row.iter().enumerate() {
            q = bind(q, i, v).map_err(|e| match e {
                StoreError::Refused(m) => StoreError::Refused(format!("backup table {} row {}: {m}", t.name, n + 1)),
                e => e,
            })?;
        }
        q.execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

/// Refuses row `n` (from 0) of `t` when it has not one value for each column.
pub(crate) fn check_row(t: &DumpTable, n: usize, row: &[serde_json::Value]) -> StoreResult<()> {
    if row.len() == t.columns.len() {
        return Ok(());
    }
    Err(StoreError::Refused(format!(
        "backup table {} row {} has {} values for {} columns",
        t.name,
        n + 1,
        row.len(),
        t.columns.len()
    )))
}

/// Brings the data derived from the restored rows up to date (the tree paths' copies of their
/// customers), and commits the restore.
pub(crate) async fn finish_restore(mut tx: Transaction<'static, Db>) -> StoreResult<()> {
    sqlx::query(REFRESH_PATH_DESCENDANTS_SQL).run(&mut *tx).await?;
    tx.commit().await.map_err(db_err)
}
