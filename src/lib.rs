//! esmlog: turns the logs of the Matrix42 ESM REST API into transaction, rejection and call
//! reports. Data flows one way: sources → records → partial aggregates → frames → renderers.

pub mod accounting;
pub mod calendar;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod entry_writer;
pub mod error;
pub mod export;
pub mod fleet;
pub mod generate;
pub mod ingest;
pub mod integration;
pub mod lines;
pub mod messages;
pub mod output;
pub mod progress;
pub mod redact;
pub mod render;
pub mod report;
pub mod rollup;
pub mod source;
pub mod spike;
pub mod usage;
