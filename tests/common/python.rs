//! Python peers: whether `python3` runs here, and the scripts under
//! `tests/python` started as commands or as [`Proc`]s.

#![allow(dead_code)] // each test file uses part of this

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::examples::Proc;

/// Whether `python3` runs here; prints a note when it does not.
pub fn python3() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    let have = *HAVE.get_or_init(|| {
        Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !have {
        eprintln!("note: python3 not found, skipping the Python peer test");
    }
    have
}

/// The path of a script under tests/python.
pub fn python_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("python")
        .join(name)
}

/// `python3 tests/python/<script>`, to add arguments to.
pub fn python_command(script: &str) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(python_script(script));
    cmd
}

/// Starts `python3 tests/python/<script> <args>` as a [`Proc`].
pub fn python(script: &str, args: &[&str]) -> Proc {
    let mut cmd = python_command(script);
    cmd.args(args);
    Proc::start(cmd)
}
