//! Positions in the user's TOML files (price overrides, allocation rules), for errors
//! that say where to look.

use std::ops::Range;

/// `file:line` of a byte span in `text`, or just `file` when the span is unknown.
pub(crate) fn position(file: &str, text: &str, span: Option<Range<usize>>) -> String {
    match span {
        Some(r) => format!("{file}:{}", text[..r.start.min(text.len())].matches('\n').count() + 1),
        None => file.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_count_from_one() {
        assert_eq!(super::position("r.toml", "a\nb\nc", Some(4..5)), "r.toml:3");
        assert_eq!(super::position("r.toml", "a", Some(99..100)), "r.toml:1");
        assert_eq!(super::position("r.toml", "a", None), "r.toml");
    }
}
