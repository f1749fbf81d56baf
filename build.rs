//! Compiles the Slint UI, and records the build's real date, a floor for the hub's clock (a
//! Raspberry Pi has no real-time clock and may boot in 1970): `SOURCE_DATE_EPOCH` when set
//! (reproducible builds), else the newest commit's date, else the newest source file's time —
//! never when this script last ran, which may be months before the build.
use std::path::Path;
use std::process::Command;
use std::time::UNIX_EPOCH;

/// `git ARGS` in this crate, its first line, when git answers.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.lines().next()?.trim().to_string())
}

/// The newest commit's date, and a rerun when HEAD or the branch it names moves.
fn commit_date() -> Option<u64> {
    let secs = git(&["log", "-1", "--format=%ct"])?.parse().ok()?;
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={p}");
    }
    Some(secs)
}

/// The newest modification time of the files under `dir`.
fn newest_file(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                newest_file(&p)
            } else {
                e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs())
            }
        })
        .max()
        .unwrap_or(0)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .or_else(commit_date)
        .unwrap_or_else(|| {
            // No git (a source tarball): the sources' own times.
            println!("cargo:rerun-if-changed=src");
            ["src", "ui", "locales"]
                .iter()
                .map(|d| newest_file(Path::new(d)))
                .max()
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=INTEGRA_BUILD_EPOCH={secs}");
    // Debug info lets tests find elements by their accessible labels.
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("ui/kiosk.slint", config) {
        println!("cargo:warning=Slint UI does not compile: {e}");
        std::process::exit(1);
    }
}
