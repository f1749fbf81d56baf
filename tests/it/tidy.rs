//! The code's dependencies point one way: the queue core is pure (no IO module, no database,
//! network, files, threads or clock), and each outside crate is used by the one shell made for
//! it — SQLite in `store`, HTTP in `hub`, PostgreSQL in `city`. A file that breaks a rule is
//! named with its line.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (file relative to the crate, line number, code without its comment) of every source line.
fn source_lines() -> Vec<(String, usize, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut out = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .expect("inside the crate")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).expect("source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("").to_string();
            out.push((rel.clone(), i + 1, code));
        }
    }
    out
}

fn uses(code: &str, name: &str) -> bool {
    code.contains(&format!("{name}::")) || code.contains(&format!("use {name}"))
}

#[test]
fn the_core_is_pure_and_each_outside_crate_stays_in_its_shell() {
    let lines = source_lines();
    // The scan sees what it must (else a rule could pass by reading nothing).
    assert!(
        lines
            .iter()
            .any(|(f, _, c)| f.starts_with("src/store/") && uses(c, "rusqlite")),
        "the scan found no rusqlite in src/store"
    );
    let mut wrong = Vec::new();
    let core_forbidden = [
        "crate::store",
        "crate::hub",
        "crate::ui",
        "crate::printer",
        "crate::device",
        "crate::engine",
        "crate::audio",
        "crate::city",
        "crate::cli",
        "std::fs",
        "std::net",
        "std::thread",
        "std::process",
        "tokio",
        "rusqlite",
        "Utc::now",
        "Instant::now",
        "SystemTime",
    ];
    for (f, n, code) in lines.iter().filter(|(f, _, _)| f.starts_with("src/core/")) {
        for bad in core_forbidden {
            if code.contains(bad) {
                wrong.push(format!(
                    "{f}:{n}: `{bad}` in the pure core (IO and the clock live in the shells; `now` is passed in)"
                ));
            }
        }
    }
    // Lower layers do not import the ones built on them: the strings (i18n) know no screen,
    // page or printer; the hub serves no Slint code (icons are plain data in `crate::icons`).
    let upward: [(&str, &[&str]); 2] = [
        (
            "src/i18n/",
            &[
                "crate::ui",
                "crate::hub",
                "crate::printer",
                "crate::report",
                "crate::city",
                "crate::audio",
                "crate::cli",
                "crate::device",
                "crate::store",
            ],
        ),
        ("src/hub/", &["crate::ui", "crate::cli"]),
    ];
    for (dir, forbidden) in upward {
        for (f, n, code) in lines.iter().filter(|(f, _, _)| f.starts_with(dir)) {
            for bad in forbidden {
                if code.contains(bad) {
                    wrong.push(format!(
                        "{f}:{n}: `{bad}` from {dir} (it points up the layers)"
                    ));
                }
            }
        }
    }
    let shells: [(&str, &str); 7] = [
        ("rusqlite", "src/store/"),
        ("axum", "src/hub/"),
        ("hyper", "src/hub/"),
        ("reqwest", "src/hub/"),
        ("tokio_tungstenite", "src/hub/"),
        ("postgres", "src/city/"),
        ("tokio_postgres", "src/city/"),
    ];
    for (f, n, code) in &lines {
        for (krate, home) in shells {
            if !f.starts_with(home) && uses(code, krate) {
                wrong.push(format!("{f}:{n}: `{krate}` outside {home}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies pointing the wrong way:\n{}",
        wrong.join("\n")
    );
}

/// Errors are values a caller can match, not sentences to compare: no function in `src`
/// returns `Result<_, String>` and no `FromStr` fails with a `String` (each module has its
/// typed error whose words say the problem and the fix). And no source file grows past about
/// 600 lines, so each keeps one job the code map can name.
#[test]
fn errors_are_typed_and_files_stay_small() {
    let lines = source_lines();
    let mut wrong = Vec::new();
    for (f, n, code) in &lines {
        let compact: String = code.split_whitespace().collect();
        if (compact.contains("Result<") && compact.contains(",String>"))
            || compact.contains("typeErr=String")
        {
            wrong.push(format!(
                "{f}:{n}: an error that is only a String (give the module a typed error)"
            ));
        }
    }
    let mut per_file = std::collections::BTreeMap::<&str, usize>::new();
    for (f, n, _) in &lines {
        let e = per_file.entry(f.as_str()).or_default();
        *e = (*e).max(*n);
    }
    assert!(per_file.len() > 50, "the scan found too few files");
    for (f, count) in per_file {
        if count > 600 {
            wrong.push(format!("{f}: {count} lines (split it: one job per file)"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
