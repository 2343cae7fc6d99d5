//! `esmlog generate`.

use super::{CommandError, Status};
use crate::generate::{generate, GenerateArgs};
use crate::render::thousands;

pub fn run(args: &GenerateArgs) -> Result<Status, CommandError> {
    let truth = generate(args)?;
    crate::messages::status(&format!(
        "wrote {} files to {} and their truth to {} ({} calls, {} periods)",
        thousands(truth.files.len() as u64),
        args.out.display(),
        args.truth
            .clone()
            .unwrap_or_else(|| args.out.join("truth.json"))
            .display(),
        thousands(truth.calls.calls),
        thousands(truth.periods.len() as u64)
    ));
    Ok(Status::Clean)
}
