//! The text people type: one rule for every text field. A value is trimmed; empty is `required`
//! (where the field must be given), longer than its limit in characters is `too_long`, and a
//! one-line field (a name, a subject) may hold no control characters (`control_chars`).

use crate::error::Invalid;

/// A text that must be given: trimmed, 1 to `max_chars` characters.
pub fn check_text(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::one(field, "required", format!("{field} is required")));
    }
    within(field, s, max_chars)?;
    Ok(s.to_owned())
}

/// A text that may be left empty: trimmed, at most `max_chars` characters.
pub fn check_optional_text(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let s = raw.trim();
    within(field, s, max_chars)?;
    Ok(s.to_owned())
}

/// A one-line text that must be given (a name, a subject): as [`check_text`], and no control
/// characters.
pub fn check_line(field: &str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let s = check_text(field, raw, max_chars)?;
    if s.chars().any(char::is_control) {
        return Err(Invalid::one(
            field,
            "control_chars",
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(s)
}

fn within(field: &str, s: &str, max_chars: usize) -> Result<(), Invalid> {
    // A NUL is never text, and PostgreSQL cannot store one: refused everywhere, on both databases.
    if s.contains('\0') {
        return Err(Invalid::one(
            field,
            "control_chars",
            format!("{field} must not contain a NUL character"),
        ));
    }
    if s.chars().count() > max_chars {
        return Err(Invalid::one(
            field,
            "too_long",
            format!("{field} must have at most {max_chars} characters"),
        ));
    }
    Ok(())
}

/// Text made safe for XML (SVG) content and attribute values, user text included; characters XML 1.0 cannot carry at all
/// (most control characters) are dropped, tabs and line breaks become spaces.
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<String, Invalid>) -> String {
        r.unwrap_err().errors[0].code.to_string()
    }

    #[test]
    fn empty_is_required_and_long_is_too_long() {
        assert_eq!(code(check_text("name", "  ", 5)), "required");
        assert_eq!(code(check_text("name", "abcdef", 5)), "too_long");
        assert_eq!(code(check_line("name", "a\u{7}b", 5)), "control_chars");
        assert_eq!(check_text("name", " 王芳 ", 2).unwrap(), "王芳");
        assert_eq!(check_optional_text("note", "  ", 5).unwrap(), "");
        assert_eq!(code(check_optional_text("note", "abcdef", 5)), "too_long");
        assert_eq!(code(check_text("body", "a\0b", 5)), "control_chars");
        assert_eq!(code(check_optional_text("note", "\0", 5)), "control_chars");
    }
}
