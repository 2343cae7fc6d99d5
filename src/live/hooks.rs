//! `--on-spike` and `--on-quota`: a shell command run with the event's details in
//! environment variables (`ESMLOG_*`) and as JSON on its standard input. It runs on a thread
//! of its own, so the watch never waits for it; one that fails is reported, and one still
//! running after `--hook-timeout` is killed with its whole process group and reported.

use crate::messages;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An event to tell a hook about.
#[derive(Debug, Clone)]
pub struct HookEvent {
    /// `spike` or `quota`, in `ESMLOG_EVENT`.
    pub kind: &'static str,
    /// Field name to value; each is also `ESMLOG_<NAME>` in upper case.
    pub fields: Vec<(&'static str, serde_json::Value)>,
}

impl HookEvent {
    /// The event as one JSON object, `event` first.
    pub fn json(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert("event".into(), self.kind.into());
        for (name, value) in &self.fields {
            object.insert((*name).into(), value.clone());
        }
        serde_json::Value::Object(object).to_string()
    }

    /// The event as environment variables.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut vars = vec![("ESMLOG_EVENT".to_owned(), self.kind.to_owned())];
        for (name, value) in &self.fields {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            vars.push((format!("ESMLOG_{}", name.to_ascii_uppercase()), text));
        }
        vars
    }
}

/// Runs `command` through `sh -c` for `event` on a thread of its own; returns at once.
pub fn run_hook(
    flag: &'static str,
    command: &str,
    event: HookEvent,
    timeout: Duration,
) -> std::thread::JoinHandle<()> {
    let command = command.to_owned();
    std::thread::spawn(move || {
        if let Err(problem) = run_and_wait(&command, &event, timeout) {
            messages::warn(&format!("{flag} `{command}`: {problem}; the watch goes on"));
        }
    })
}

/// Runs the command to its end or to the timeout; says what went wrong, if anything.
fn run_and_wait(command: &str, event: &HookEvent, timeout: Duration) -> Result<(), String> {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .envs(event.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    // Its own process group, so that a timeout kills what the shell started as well.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut shell, 0);
    let mut child = shell
        .spawn()
        .map_err(|e| format!("could not be started: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input closes the pipe: not a failure.
        // One line, so that a hook appending events to a file writes JSON lines.
        let _ = stdin.write_all(format!("{}\n", event.json()).as_bytes());
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) if started.elapsed() >= timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(format!(
                    "still running after --hook-timeout {:.1} s; killed",
                    timeout.as_secs_f64()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
    }
}

/// Kills the hook's process group (the shell and what it started).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Ok(group) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group the hook was
            // started in (its own, see `process_group(0)`); it touches no memory.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> HookEvent {
        HookEvent {
            kind: "spike",
            fields: vec![
                ("start", "2023-10-10T10:00:00".into()),
                ("rejected", 42.into()),
            ],
        }
    }

    #[test]
    fn a_hook_gets_the_event_in_its_environment_and_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let command = format!(
            "cat > '{0}'; echo \"$ESMLOG_EVENT $ESMLOG_START $ESMLOG_REJECTED\" >> '{0}'",
            out.display()
        );
        run_and_wait(&command, &event(), Duration::from_secs(20)).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let (json, env) = text.split_once('\n').unwrap();
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(json["event"], "spike");
        assert_eq!(json["rejected"], 42);
        assert_eq!(env.trim(), "spike 2023-10-10T10:00:00 42");
    }

    #[test]
    fn a_failing_or_hanging_hook_is_reported_and_killed() {
        let e = run_and_wait("exit 3", &event(), Duration::from_secs(20)).unwrap_err();
        assert!(e.contains("failed"), "{e}");
        let e =
            run_and_wait("sleep 30; sleep 30", &event(), Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("killed"), "{e}");
    }
}
