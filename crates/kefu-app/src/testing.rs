//! Test support, behind the `testing` feature: the store beneath an app (for tests that set up or
//! check what no use case shows), the two backends, and fresh PostgreSQL databases. kefu-web's and
//! the binary's tests reach the store only through here, so that their crates need not depend on
//! the store crates; the binary never enables this feature.

pub use kefu_store as store;
pub use kefu_store_postgres as postgres;
pub use kefu_store_sqlite as sqlite;

use crate::App;
use kefu_store::Store;
use std::sync::Arc;

impl App {
    /// The store beneath the app: for tests only (`testing` feature).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
