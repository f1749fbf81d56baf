//! Compiles the Slint UI, and records the build time so that `integra doctor` can tell a clock
//! that is obviously wrong (a Raspberry Pi has no real-time clock and may boot in 1970).
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
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
