//! The HTML policy for mail bodies shown to agents and customers.
//!
//! ammonia's default allow-list (formatting, tables, lists, links, images; no `style`, no `class`) with
//! these changes for mail:
//! - no `<script>`, `<style>`, forms or embedded objects, no `on*` event handlers (ammonia's defaults);
//! - links only to `http`, `https`, `mailto` and `tel`; relative URLs are dropped (in a mail they would point at
//!   our own site); every link gets `rel="noopener noreferrer nofollow"`;
//! - images only from `cid:` (inline parts of the same message, which the app serves from the stored attachment).
//!   Remote `http(s)` images are removed unless the caller allows them: they are tracking pixels and third-party
//!   content. `data:` URLs are always removed.

use std::borrow::Cow;
use std::collections::HashSet;

/// Sanitises `html` with the policy above. The result is safe to put in a page as HTML.
pub fn sanitize_html(html: &str, allow_remote_images: bool) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel", "cid"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(move |element, attribute, value| {
            let scheme = value.trim_start().split(':').next().unwrap_or("").to_ascii_lowercase();
            match (element, attribute) {
                ("img", "src") => {
                    let remote = scheme == "http" || scheme == "https";
                    (scheme == "cid" || (allow_remote_images && remote)).then_some(Cow::Borrowed(value))
                }
                (_, "href") if scheme == "cid" => None,
                _ => Some(Cow::Borrowed(value)),
            }
        });
    builder.clean(html).to_string()
}
