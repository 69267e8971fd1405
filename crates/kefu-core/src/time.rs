//! Instants are stored as integer milliseconds since the Unix epoch, UTC — one encoding for both
//! databases, chosen once (docs/architecture.md#the-traits).

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub const MINUTE_MS: Millis = 60_000;
pub const HOUR_MS: Millis = 60 * MINUTE_MS;
pub const DAY_MS: Millis = 24 * HOUR_MS;
