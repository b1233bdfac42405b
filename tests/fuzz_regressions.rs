//! Replays every committed fuzz input on stable Rust: the seed corpus
//! (`fuzz/seeds/<target>/`) and every input that once made a target fail
//! (`fuzz/regressions/<target>/`), through the same checks the fuzz targets
//! run (`fuzz/checks.rs`).

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;
use std::path::{Path, PathBuf};

/// The files in `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(kind: &str, target: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let files = inputs(&dir);
    for file in &files {
        let data = fs::read(file).expect("readable input");
        let outcome = std::panic::catch_unwind(|| checks::run(target, &data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
    files.len()
}

#[test]
fn every_target_has_seeds_and_they_pass() {
    for (target, _) in checks::TARGETS {
        let n = replay("seeds", target);
        assert!(n >= 3, "{target}: only {n} seed inputs");
    }
}

#[test]
fn every_regression_input_passes() {
    for (target, _) in checks::TARGETS {
        replay("regressions", target);
    }
}

#[test]
fn every_target_has_a_fuzz_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (target, _) in checks::TARGETS {
        let source = root.join("fuzz_targets").join(format!("{target}.rs"));
        assert!(source.is_file(), "missing {}", source.display());
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "fuzz/Cargo.toml lacks [[bin]] {target}"
        );
    }
    // No fuzz target without a check (and so without replayed seeds).
    for file in inputs(&root.join("fuzz_targets")) {
        let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        assert!(
            checks::TARGETS.iter().any(|(t, _)| *t == name),
            "fuzz target {name} has no entry in fuzz/checks.rs TARGETS"
        );
    }
}

/// Quick self-test of the checks: empty and tiny inputs pass every target.
#[test]
fn tiny_inputs_pass() {
    for (target, check) in checks::TARGETS {
        for data in [&b""[..], b"\x00", b"\x00\x00", b"\x01\x01\x01a\n"] {
            let outcome = std::panic::catch_unwind(|| check(data));
            assert!(outcome.is_ok(), "{target} fails on {data:?}");
        }
    }
}
