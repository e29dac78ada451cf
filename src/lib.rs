//! otelcost: the cost of the LLM calls in OpenTelemetry data.
//!
//! Data flows one way, one module per stage:
//! `input → decode → extract → reconcile → price → allocate → report`.

/// Why a build without the `parquet` feature refuses a Parquet output.
pub const NO_PARQUET: &str =
    "this otelcost was built without Parquet support: rebuild it with the default features (feature `parquet`)";

pub mod allocate;
pub mod bill;
pub mod cli;
pub mod decode;
pub mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod model;
pub mod pipeline;
pub mod price;
pub mod receiver;
pub mod reconcile;
pub mod report;
pub mod temp;
mod toml_file;
