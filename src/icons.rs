//! Service and priority icons: SVG files embedded from `assets/icons/`, looked up by the icon
//! name the catalog gives. An unknown name falls back to the "info" icon. Plain data, shared by
//! the screens (`ui::icons` makes Slint images of them) and the hub (the staff pages).

macro_rules! icons {
    ($($name:literal),* $(,)?) => {
        /// (name, SVG bytes) of every embedded icon.
        pub const ICONS: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!("../assets/icons/", $name, ".svg")))),*
        ];
    };
}

icons!(
    "info",
    "legal",
    "health",
    "education",
    "jobs",
    "housing",
    "family",
    "protection",
    "culture",
    "cowork",
    "pregnant",
    "older",
    "disability",
    "minor",
);

/// The SVG of an icon name (the "info" icon when unknown).
pub fn svg(name: &str) -> &'static [u8] {
    ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .or_else(|| ICONS.first())
        .map(|(_, b)| *b)
        .unwrap_or(&[])
}
