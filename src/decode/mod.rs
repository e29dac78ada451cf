//! decode stage.
