//! The user's TOML files (price overrides, allocation rules): where in them, for errors
//! that say where to look. Each reader adds its own helpers to [`TomlSource`].

use std::ops::Range;

/// A TOML file's name and text.
pub(crate) struct TomlSource<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl TomlSource<'_> {
    /// `file:line` of a byte span of the text, or just `file` when the span is unknown.
    pub fn line(&self, span: Option<Range<usize>>) -> String {
        match span {
            Some(r) => format!("{}:{}", self.file, self.text[..r.start.min(self.text.len())].matches('\n').count() + 1),
            None => self.file.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TomlSource;

    #[test]
    fn lines_count_from_one() {
        assert_eq!(TomlSource { file: "r.toml", text: "a\nb\nc" }.line(Some(4..5)), "r.toml:3");
        assert_eq!(TomlSource { file: "r.toml", text: "a" }.line(Some(99..100)), "r.toml:1");
        assert_eq!(TomlSource { file: "r.toml", text: "a" }.line(None), "r.toml");
    }
}
