//! input stage.
