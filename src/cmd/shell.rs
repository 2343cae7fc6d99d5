//! `esmlog completions SHELL` and `esmlog man`: the shell completion scripts and the roff
//! manual page, both made from the command line's own definition so that they never drift.

use super::{CommandError, Status};
use crate::cli::{Cli, CompletionsArgs};
use crate::output::write_output;
use clap::CommandFactory;

/// What the manual page says besides the flags: exit codes, environment and config file.
const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Done, nothing to report beyond the output.
.TP
\fB1\fR
Findings: a spike or problems in the logs (\fBcheck\fR, \fB\-\-fail\-on\-spike\fR).
.TP
\fB2\fR
An error: an input or flag that cannot be used, named in the message.
.SH ENVIRONMENT
.TP
\fBESMLOG_TZ\fR
The server's time zone, as \fB\-\-tz\fR.
.TP
\fBESMLOG_QUOTA\fR
The licensed volume, as \fB\-\-quota\fR.
.TP
\fBESMLOG_LAYOUT\fR
integration.log's Log4j pattern, as \fB\-\-layout\fR.
.TP
\fBESMLOG_CONFIG\fR
The config file to read, as \fB\-\-config\fR.
.TP
\fBNO_COLOR\fR
When set, no colours.
.SH FILES
.TP
\fBesmlog.toml\fR
Settings users repeat (tz, quota, quota_period, layout, message_pattern, rate_limit,
token_minutes, environments), read from \fB\-\-config\fR FILE, else \fB$ESMLOG_CONFIG\fR,
else \fB./esmlog.toml\fR, else \fB$XDG_CONFIG_HOME/esmlog/esmlog.toml\fR
(\fB~/.config/esmlog/esmlog.toml\fR). A flag beats the environment, which beats the file,
which beats the default. \fBesmlog check \-\-show\-config\fR prints the settings in force
and where each came from.
.SH "SEE ALSO"
The README and docs/formats.md of the esmlog sources.
"#;

/// Prints the completion script for the shell asked for.
pub fn completions(args: &CompletionsArgs) -> Result<Status, CommandError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "esmlog", &mut script);
    print(&script)
}

/// Prints the manual page (roff), for `man -l -` or a `man1` folder.
pub fn man() -> Result<Status, CommandError> {
    print(&manual()?)
}

/// To stdout; a reader that stops early (`| head`) is no error.
fn print(bytes: &[u8]) -> Result<Status, CommandError> {
    write_output("-", &[], |out| out.write_all(bytes))?;
    Ok(Status::Clean)
}

/// The manual page: the command line's own help, each subcommand's flags, and the exit
/// codes, environment and files.
pub fn manual() -> std::io::Result<Vec<u8>> {
    let command = Cli::command();
    let page = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    page.render_subcommands_section(&mut out)?;
    // Each subcommand's own flags, as `esmlog SUBCOMMAND --help` shows them, under a
    // heading of its own (clap_mangen heads each options list OPTIONS).
    for sub in command.get_subcommands() {
        let name = format!("esmlog {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            out.extend_from_slice(format!("{}\n", roff_escape(&about.to_string())).as_bytes());
        }
        let mut options = Vec::new();
        clap_mangen::Man::new(sub.clone()).render_options_section(&mut options)?;
        let options = String::from_utf8_lossy(&options).replace(".SH OPTIONS", ".SS Options");
        out.extend_from_slice(options.as_bytes());
    }
    out.extend_from_slice(MAN_EXTRA.as_bytes());
    page.render_version_section(&mut out)?;
    Ok(out)
}

/// Text as roff reads it: backslashes doubled, a leading dot or quote made literal.
fn roff_escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with(['.', '\'']) {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
