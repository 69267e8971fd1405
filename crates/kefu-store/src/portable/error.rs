//! The one mapping of a sqlx error to the store's.

use kefu_store::StoreError;

/// Maps a sqlx error to the store's: unique violations become `Conflict`, foreign-key and check
/// violations `Refused`, connection trouble `Unavailable`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
            what: d
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| d.message().to_owned()),
        },
        sqlx::Error::Database(d) if d.is_foreign_key_violation() || d.is_check_violation() => {
            StoreError::Refused(d.message().to_owned())
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) | sqlx::Error::ColumnNotFound(_) => {
            StoreError::Data(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}
