//! The icons (`crate::icons`) as Slint images.

/// The icon as a Slint image (UI thread only).
pub fn image(name: &str) -> slint::Image {
    slint::Image::load_from_svg_data(crate::icons::svg(name)).unwrap_or_default()
}
