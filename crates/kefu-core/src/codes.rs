//! Every validation code kefu reports: the `code` of a `FieldError` (`required`, `too_long`,
//! `unknown_customer`, ...), stable across languages and releases, in one list. Each has a message
//! in both languages under `validation.<code>` in the locale files (`crate::i18n`); the tests
//! below fail on a code without one, and on a code used in the sources that is not in the list.

/// The codes, sorted. An `unknown_<field>` code of a `code_enum!` (an unknown stored code) is here
/// too, one per enum field.
pub const CODES: &[&str] = &[
    "bad_file",
    "cannot_move",
    "closed_for_good",
    "conflict",
    "contact_of_another_customer",
    "contact_required",
    "contact_without_email",
    "control_chars",
    "deleted_customer",
    "dimensions",
    "duplicate",
    "empty_file",
    "file_too_large",
    "file_type_refused",
    "forbidden_transition",
    "from_after_to",
    "future_date",
    "has_customers_beneath",
    "internal_note",
    "invalid",
    "invalid_amount",
    "invalid_code",
    "invalid_currency",
    "invalid_cursor",
    "invalid_date",
    "invalid_email",
    "invalid_ics",
    "invalid_id",
    "invalid_json",
    "invalid_name",
    "invalid_period",
    "invalid_phone",
    "invalid_query",
    "invalid_range",
    "invalid_reference",
    "invalid_slug",
    "invalid_step_id",
    "invalid_time",
    "invalid_toml",
    "invalid_url",
    "length",
    "mismatch",
    "negative",
    "negative_amount",
    "no_headline",
    "no_such_rule",
    "no_working_time",
    "not_a_choice",
    "not_a_number",
    "not_allowed",
    "not_an_incident",
    "not_asked",
    "not_beneath",
    "not_servqual",
    "not_staff",
    "not_this_customers",
    "not_utf8",
    "off_and_on",
    "out_of_range",
    "outside_year",
    "parent_not_intermediate",
    "private_address",
    "reopen_window_passed",
    "required",
    "self_loop",
    "seller_not_intermediate",
    "staff_only",
    "subkind_needs_intermediate",
    "sum",
    "toml_syntax",
    "too_deep",
    "too_large",
    "too_long",
    "too_many",
    "too_short",
    "unchanged",
    "unknown",
    "unknown_account_manager",
    "unknown_agent",
    "unknown_audience",
    "unknown_calendar",
    "unknown_category",
    "unknown_cause",
    "unknown_channel",
    "unknown_contact",
    "unknown_customer",
    "unknown_day",
    "unknown_department",
    "unknown_dimension",
    "unknown_direction",
    "unknown_event",
    "unknown_fee",
    "unknown_figure",
    "unknown_format",
    "unknown_frequency",
    "unknown_item",
    "unknown_key",
    "unknown_kind",
    "unknown_lane",
    "unknown_language",
    "unknown_message",
    "unknown_metric",
    "unknown_nature",
    "unknown_next",
    "unknown_parent",
    "unknown_phase",
    "unknown_place",
    "unknown_priority",
    "unknown_purchase",
    "unknown_quadrant",
    "unknown_recurrence",
    "unknown_remedy",
    "unknown_role",
    "unknown_root_cause",
    "unknown_segment",
    "unknown_seller",
    "unknown_social_style",
    "unknown_state",
    "unknown_status",
    "unknown_step",
    "unknown_subkind",
    "unknown_survey",
    "unknown_tier",
    "unknown_time_zone",
    "unknown_user",
    "unknown_value",
    "unknown_visibility",
    "wrong_password",
    "wrong_type",
];

/// Whether `code` is one of [`CODES`].
pub fn is_known(code: &str) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// The locale key of a code's message.
pub fn message_key(code: &str) -> String {
    format!("validation.{code}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn the_list_is_sorted_and_has_no_duplicates() {
        assert!(
            CODES.windows(2).all(|w| w[0] < w[1]),
            "keep CODES sorted, each code once"
        );
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        let (en, zh) = crate::i18n::catalogs();
        let mut missing = vec![];
        for code in CODES {
            let key = message_key(code);
            for (lang, cat) in [("en", en), ("zh-CN", zh)] {
                if !cat.contains_key(&key) {
                    missing.push(format!("{key} ({lang})"));
                }
            }
        }
        assert!(missing.is_empty(), "validation codes without a message: {missing:?}");
    }

    /// Every code the sources of the workspace put into an `Invalid` is in the list.
    #[test]
    fn every_code_used_in_the_sources_is_listed() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut used = BTreeSet::new();
        for file in rust_sources(&crates) {
            let src = std::fs::read_to_string(&file).unwrap_or_default();
            codes_in(&src, &mut used);
        }
        assert!(used.len() > 50, "the scan found too few codes: {used:?}");
        let unlisted: Vec<_> = used.iter().filter(|c| !is_known(c)).collect();
        assert!(
            unlisted.is_empty(),
            "codes used but not in kefu_core::codes::CODES: {unlisted:?}"
        );
    }

    /// The `.rs` files under each crate's `src/`.
    fn rust_sources(crates: &Path) -> Vec<std::path::PathBuf> {
        let mut out = vec![];
        let mut dirs: Vec<_> = std::fs::read_dir(crates)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("src"))
            .collect();
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        out
    }

    /// The codes a source file reports: the literal code of every `Invalid::one(field, code, …)`,
    /// of every call to a helper that takes `code: &'static str` (by the helper's name and the
    /// parameter's place), of every `let code = …;`, and `unknown_<field>` of every `code_enum!`
    /// (`enum Name("field")`).
    fn codes_in(src: &str, out: &mut BTreeSet<String>) {
        // Test modules (at a file's end) build codes of their own (a test enum's, say).
        let src = src.split("#[cfg(test)]").next().unwrap_or(src);
        let lines: Vec<&str> = src.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
        let src = lines.join("\n");
        let mut calls: Vec<(String, usize)> = vec![("Invalid::one(".into(), 1)];
        // Helpers: `fn name(&mut self, field: &str, code: &'static str, …)` and closures
        // `let mut name = |field: &str, code: &'static str, …|`.
        for (i, _) in src.match_indices("code: &'static str") {
            let before = &src[..i];
            let Some(open) = before.rfind(['(', '|']) else { continue };
            let place = before[open + 1..].matches(',').count()
                - usize::from(before[open + 1..].trim_start().starts_with("&mut self"));
            let head = before[..open].trim_end();
            let name = if before.as_bytes()[open] == b'|' {
                head.trim_end_matches('=').trim_end()
            } else {
                head
            };
            let name: String = name
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !name.is_empty() && name != "one" {
                calls.push((format!("{name}("), place));
            }
        }
        for (call, place) in &calls {
            for (i, _) in src.match_indices(call.as_str()) {
                let args = arguments(&src[i + call.len()..]);
                if let Some(arg) = args.get(*place) {
                    literals(arg, out);
                }
            }
        }
        // `let code = match … { … => "code", … };`: the arms' values.
        for (i, _) in src.match_indices("let code = match ") {
            let rest = &src[i..];
            let statement = &rest[..rest.find(";\n").unwrap_or(rest.len())];
            for arm in statement.split("=> ").skip(1) {
                literals(arm.split(',').next().unwrap_or(""), out);
            }
        }
        for (i, _) in src.match_indices("(\"") {
            let before = src[..i].trim_end();
            let is_code_enum = before
                .rsplit(|c: char| c.is_whitespace())
                .nth(1)
                .is_some_and(|w| w == "enum");
            if is_code_enum && let Some(end) = src[i + 2..].find("\")") {
                out.insert(format!("unknown_{}", &src[i + 2..i + 2 + end]));
            }
        }
    }

    /// The top-level arguments of a call, from just after its `(`.
    fn arguments(s: &str) -> Vec<&str> {
        let (mut depth, mut start, mut in_str, mut out) = (0usize, 0, false, vec![]);
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                _ if in_str => {}
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth == 0 => {
                    out.push(&s[start..i]);
                    return out;
                }
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    /// The code-like string literals (`"snake_case"`) in an expression.
    fn literals(expr: &str, out: &mut BTreeSet<String>) {
        let mut parts = expr.split('"');
        parts.next();
        while let (Some(inside), _) = (parts.next(), parts.next()) {
            // (`concat!("unknown_", $field)` is the code enums', found by their fields.)
            if !inside.is_empty()
                && !inside.ends_with('_')
                && inside
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                out.insert(inside.to_owned());
            }
        }
    }
}
