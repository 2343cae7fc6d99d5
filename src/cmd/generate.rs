//! `esmlog generate`.

use super::{CommandError, Status};
use crate::generate::{generate, GenerateArgs};
use crate::render::thousands;

pub fn run(args: &GenerateArgs) -> Result<Status, CommandError> {
    let truth = generate(args)?;
    eprintln!(
        "esmlog: wrote {} files to {} and their truth to {} ({} calls, {} periods)",
        truth.files.len(),
        args.out.display(),
        args.truth
            .clone()
            .unwrap_or_else(|| args.out.join("truth.json"))
            .display(),
        thousands(truth.calls.calls),
        truth.periods.len()
    );
    Ok(Status::Clean)
}
