use kefu_core::Invalid;
use kefu_store::StoreError;
use thiserror::Error;

/// What a use case can answer instead of success. The web layer maps each to one HTTP status,
/// the CLI to one message; neither invents its own.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The caller's role may not do this at all.
    #[error("not allowed for your role")]
    Forbidden,
    /// Wrong e-mail or password (deliberately not saying which).
    #[error("wrong e-mail address or password")]
    BadCredentials,
    #[error("the account is disabled")]
    Disabled,
    #[error("too many requests; try again in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("{0}")]
    Refused(String),
    /// The change would make the channel tree loop.
    #[error("that would make a cycle in the channel tree: a customer cannot buy through itself or its own customers")]
    Cycle,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { what } => AppError::Conflict(what),
            StoreError::Refused(m) => AppError::Refused(m),
            StoreError::Cycle => AppError::Cycle,
            other => AppError::Store(other),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Maps a store error to the app's, saying `message` when it is a uniqueness conflict.
pub(crate) fn conflict_says(message: String) -> impl FnOnce(StoreError) -> AppError {
    move |e| match AppError::from(e) {
        AppError::Conflict(_) => AppError::Conflict(message),
        other => other,
    }
}
