//! A follow link as a QR code image for the kiosk's screen (black modules on white, a quiet
//! zone of four modules, 4 pixels per module; the screen scales it without smoothing).

use qrcode::{Color, EcLevel, QrCode};
use slint::{Image, Rgb8Pixel, SharedPixelBuffer};

const QUIET: usize = 4;
const PIXELS_PER_MODULE: usize = 4;

/// The QR code of `data` (error correction M, as on the slip), or `None` if it cannot be one.
pub fn image(data: &str) -> Option<Image> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * PIXELS_PER_MODULE;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side as u32, side as u32);
    let white = Rgb8Pixel {
        r: 255,
        g: 255,
        b: 255,
    };
    let black = Rgb8Pixel { r: 0, g: 0, b: 0 };
    for (i, px) in buffer.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = (i % side / PIXELS_PER_MODULE, i / side / PIXELS_PER_MODULE);
        let dark = x >= QUIET
            && y >= QUIET
            && x < QUIET + modules
            && y < QUIET + modules
            && colors[(y - QUIET) * modules + (x - QUIET)] == Color::Dark;
        *px = if dark { black } else { white };
    }
    Some(Image::from_rgb8(buffer))
}
