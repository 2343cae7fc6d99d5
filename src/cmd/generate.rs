//! `esmlog generate`.

use super::{CommandError, Status};
use crate::generate::{generate, GenerateArgs};
use crate::render::thousands;

pub fn run(args: &GenerateArgs) -> Result<Status, CommandError> {
    let truth = generate(args)?;
    eprintln!(
        "esmlog: wrote {} files and truth.json to {} ({} calls, {} periods)",
        truth.files.len(),
        args.out.display(),
        thousands(truth.calls.calls),
        truth.periods.len()
    );
    Ok(Status::Clean)
}
