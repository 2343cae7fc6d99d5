//! A progress bar on stderr for large inputs: only on a terminal, never with `--quiet`.

use crate::ingest::IntegrationInput;
use std::io::IsTerminal;
use std::sync::Arc;

/// Inputs smaller than this finish before a bar would be read.
const WORTH_A_BAR: u64 = 64 << 20;

/// A byte-count progress bar, or nothing.
pub struct ProgressBar(Option<indicatif::ProgressBar>);

impl ProgressBar {
    /// A bar sized by the inputs' sizes on disk (compressed inputs count as their disk size,
    /// so the bar may run past its end: it then just spins on).
    pub fn for_inputs(inputs: &[IntegrationInput]) -> ProgressBar {
        if crate::messages::quiet() || !std::io::stderr().is_terminal() {
            return ProgressBar(None);
        }
        let total: u64 = inputs
            .iter()
            .filter_map(|i| i.input.disk_path())
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        if total < WORTH_A_BAR {
            return ProgressBar(None);
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bytes}/{total_bytes} {bytes_per_sec} {wide_bar} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        ProgressBar(Some(bar))
    }

    /// The callback the scan reports parsed bytes to.
    pub fn callback(&self) -> Option<Arc<dyn Fn(u64) + Send + Sync>> {
        self.0
            .clone()
            .map(|bar| Arc::new(move |bytes| bar.inc(bytes)) as Arc<dyn Fn(u64) + Send + Sync>)
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
