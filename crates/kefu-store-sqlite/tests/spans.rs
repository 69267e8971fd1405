//! Every store method runs in a span named after it, with only ids as fields: a failing query
//! says which method failed, and no token, hash or text reaches a log.

use kefu_store::{Accounts, Admin, Sessions, StoreError};
use kefu_store_sqlite::SqliteStore;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Records each new span as `name{field=value,…}`.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<String>>>);

struct Fields(Vec<String>);
impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        let line = format!("{}{{{}}}", attrs.metadata().name(), fields.0.join(","));
        self.0.lock().expect("span log").push(line);
    }
}

#[tokio::test]
async fn store_methods_run_in_spans_named_after_them_with_ids_only() {
    let spans = Spans::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&format!("sqlite://{}", dir.path().join("kefu.db").display()), 2)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    assert!(matches!(store.get_user(42).await, Err(StoreError::NotFound)));
    assert!(store.get_session("secret-token-hash", 0).await.is_err());
    store.close().await;
    let spans = spans.0.lock().expect("span log").clone();
    assert!(spans.contains(&"migrate{}".to_owned()), "{spans:?}");
    assert!(spans.contains(&"get_user{id=42}".to_owned()), "{spans:?}");
    assert!(spans.contains(&"get_session{}".to_owned()), "{spans:?}");
    assert!(!spans.iter().any(|s| s.contains("secret")), "{spans:?}");
}
