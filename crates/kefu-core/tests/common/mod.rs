//! What kefu-core's integration tests share: the scipy fixtures (tests/fixtures/make_stats_fixtures.py).

use serde_json::Value;

/// The expected values scipy computed, as JSON.
pub fn fixtures() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats_fixtures.json"
    ))
    .expect("fixture file");
    serde_json::from_str(&text).expect("fixture JSON")
}
