//! Validation errors: what was wrong with an input, by field, in a form both the web layer
//! (problem+json, form messages) and the CLI (row and column) can report.

use serde::Serialize;

/// One field that failed a check. `code` is a stable, translatable key (`required`, `too_short`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// An input that failed validation; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("invalid input: {}", .errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl Invalid {
    pub fn one(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            errors: vec![FieldError {
                field: field.to_owned(),
                code,
                message: message.into(),
            }],
        }
    }
}
