//! esmlog: turns the logs of the Matrix42 ESM REST API into transaction, rejection and call
//! reports. Data flows one way: sources → records → partial aggregates → frames → renderers.
//!
//! Without the default `reports` feature only the sources, parsers and renderers are built
//! (no polars, no plotters, no commands): what the fuzz targets in `fuzz/` link.

pub mod accounting;
pub mod calendar;
#[cfg(feature = "reports")]
pub mod chart;
#[cfg(feature = "reports")]
pub mod cli;
pub mod clock;
#[cfg(feature = "reports")]
pub mod cmd;
pub mod error;
#[cfg(feature = "reports")]
pub mod export;
pub mod generate;
pub mod ingest;
pub mod integration;
pub mod lines;
#[cfg(feature = "reports")]
pub mod live;
pub mod messages;
pub mod output;
pub mod progress;
pub mod redact;
pub mod render;
#[cfg(feature = "reports")]
pub mod report;
#[cfg(feature = "reports")]
pub mod settings;
pub mod source;
pub mod spike;
pub mod usage;
