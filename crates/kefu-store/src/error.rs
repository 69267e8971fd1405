use thiserror::Error;

/// What can go wrong in a store. The web layer maps each kind to one status, in one place.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint: the thing exists already (`what` names the constraint for the message).
    #[error("already exists: {what}")]
    Conflict { what: String },
    /// The change is refused by a rule the database keeps (a foreign key, a check).
    #[error("refused: {0}")]
    Refused(String),
    /// The change would make the channel tree loop.
    #[error("that would make a cycle in the channel tree")]
    Cycle,
    /// The database was migrated by a newer kefu; this one must not touch it.
    #[error(
        "the database schema is newer than this kefu (it has migration {found}, this build knows up to {known}); upgrade kefu or restore a backup"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// Cannot reach or open the database.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("data error: {0}")]
    Data(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
