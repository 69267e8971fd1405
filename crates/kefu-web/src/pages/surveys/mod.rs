//! Survey pages, by audience: the respondents' public answer pages (`answer.rs`) and the
//! managers' list, report, create form and links (`manage.rs`), the report's download
//! (`download.rs`), and the pick of a kind's primary
//! survey (`primary.rs`). What both need (the wording's
//! placeholders, the `?done=` query) is here.

mod answer;
pub mod download;
mod manage;
pub mod primary;

pub use answer::{opt_out, opt_out_form, show, submit};
pub(crate) use manage::kind_key;
pub use manage::{create, list, make_links, report};

use super::DoneQuery;

/// The wording with the bank's placeholders filled: the organisation's name for XYZ, and the
/// business type left out.
pub(super) fn fill(text: &str, org: &str) -> String {
    text.replace("XYZ", org)
        .replace("excellent [type] companies", "excellent companies")
        .replace("Excellent [type] companies", "Excellent companies")
        .replace("an excellent [type] company", "an excellent company")
        .replace(" [type]", "")
        .replace("[行业]", "")
}
