//! A missing peer tool is never a silent green: outside CI the skip is printed past the
//! harness's capture, under `CI=true` it fails the test.

use std::process::{Command, Output};

#[test]
#[ignore = "run as a child by a_skip_is_visible_and_fails_under_ci"]
fn needs_a_missing_tool() {
    if !suite::have("node-tls-no-such-tool") {
        return;
    }
    panic!("a tool of that name cannot be installed");
}

fn child(ci: Option<&str>) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "needs_a_missing_tool"]);
    match ci {
        Some(value) => cmd.env("CI", value),
        None => cmd.env_remove("CI"),
    };
    cmd.output().unwrap()
}

#[test]
fn a_skip_is_visible_and_fails_under_ci() {
    let skipped = child(None);
    let stderr = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "1 interop test skipped in skips-" // the binary's name carries cargo's hash
        ) && stderr.contains(": `node-tls-no-such-tool` not found (now: needs_a_missing_tool)"),
        "{stderr}"
    );
    let failed = child(Some("true"));
    let stdout = String::from_utf8_lossy(&failed.stdout);
    assert!(!failed.status.success(), "{stdout}");
    assert!(
        stdout.contains("`node-tls-no-such-tool` is required under CI and is missing"),
        "{stdout}"
    );
}
