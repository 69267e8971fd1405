//! The conformance suite: what every backend must do, checked the same way on each.
//! A backend's `tests/conformance.rs` calls `conformance_tests!(async_fn_returning_arc_store)`,
//! which makes one test per case, each on a fresh, migrated database. The cases live in one file
//! per store trait (a few small traits share one), their fixtures in `fixtures`.

mod accounts;
mod admin;
mod customer_imports;
mod customer_records;
mod customers;
mod fixtures;
mod jobs;
mod sessions;
mod surveys;
mod tickets;

pub use accounts::*;
pub use admin::*;
pub use customer_imports::*;
pub use customer_records::*;
pub use customers::*;
pub use jobs::*;
pub use sessions::*;
pub use surveys::*;
pub use tickets::*;

// What every case file takes in with `use super::*`.
use crate::*;
use fixtures::*;
use kefu_core::{Language, Role};
use std::collections::HashSet;
use std::sync::Arc;

pub type DynStore = Arc<dyn Store>;

#[macro_export]
macro_rules! conformance_tests {
    ($make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, cleanup) = $make().await;
                store.migrate().await.expect("migrate");
                $crate::conformance::$case(store.clone()).await;
                store.close().await;
                cleanup.await;
            }
        )*
    };
    ($make:path) => {
        $crate::conformance_tests!($make;
            migrations_are_current_and_idempotent, users_and_departments, departments_lifecycle,
            login_counters, sessions_expire_and_end, api_tokens, audit_log_is_newest_first,
            rate_limit_windows, jobs_lifecycle, jobs_enqueue_unique_once, concurrent_claims_take_each_job_once,
            webhooks_and_deliveries, settings_round_trip, dump_and_restore_round_trip,
            customers_and_the_channel_tree, customer_search_finds_cjk_inside_running_text, contacts_and_purchases,
            imports_are_all_or_nothing, bulk_customer_imports_build_the_tree, bad_restore_changes_nothing,
            customer_records_change_merge_and_scope, portal_accounts_and_invitations, exports_page_through_live_rows,
            subtree_counts_follow_kind_deletion_and_restore, ticket_story_filed_worked_and_resolved,
            ticket_story_sla_sweeps_and_escalations, survey_story_links_answers_and_statistics,
            survey_story_campaign_runs);
    };
}
