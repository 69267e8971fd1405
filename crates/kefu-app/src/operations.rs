//! Operating the installation: which database it runs on, where its schema stands, and closing
//! it at shutdown — what the binary's startup and `kefu migrate` ask of the store, as use cases.

use crate::{App, AppResult};
use kefu_store::SchemaStatus;

impl App {
    /// The database kefu runs on: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Applied, pending and unknown (newer) migrations.
    pub async fn schema_status(&self) -> AppResult<SchemaStatus> {
        Ok(self.store.schema_status().await?)
    }

    /// Closes the database's pools, letting queries in flight finish (at shutdown, after the
    /// last use case).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
