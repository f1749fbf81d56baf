//! The Slint user interfaces. `ui/*.slint` is compiled by build.rs; each screen has one Adapter
//! global (`ui/screens/*.slint`), the only contract between Rust and the screen. The kiosk's
//! adapters are filled and wired by `kiosk/` (one file per flow), the display's by `display.rs`,
//! the counter terminal's by `counter.rs`.

slint::include_modules!();

/// Full screen on whatever screen the device has. A fullscreen request alone is not enough on
/// X11 without a window manager (a kiosk's usual setup): the window would keep its preferred
/// size (800×600 seen on an 800×480 panel). So, once the window exists, size it to its monitor
/// and put it at the corner. Under linuxkms the window already is the screen; under a window
/// manager or Wayland the request is honoured and this changes nothing.
pub fn fill_screen<C: slint::ComponentHandle + 'static>(ui: &C) {
    ui.window().set_fullscreen(true);
    let weak = ui.as_weak();
    slint::Timer::single_shot(std::time::Duration::from_millis(250), move || {
        use slint::winit_030::WinitWindowAccessor as _;
        let Some(ui) = weak.upgrade() else { return };
        let monitor = ui
            .window()
            .with_winit_window(|w| {
                w.current_monitor()
                    .or_else(|| w.primary_monitor())
                    .map(|m| m.size())
            })
            .flatten();
        if let Some(size) = monitor
            && size.width > 0
            && size.height > 0
        {
            let want = slint::PhysicalSize::new(size.width, size.height);
            if ui.window().size() != want {
                log::info!(
                    "the window is {}×{} on a {}×{} screen: filling it",
                    ui.window().size().width,
                    ui.window().size().height,
                    want.width,
                    want.height
                );
                ui.window().set_position(slint::PhysicalPosition::new(0, 0));
                ui.window().set_size(want);
            }
        }
    });
}

pub mod cannot_start;
pub mod counter;
pub mod display;
pub mod icons;
pub mod kiosk;
pub mod qr;
pub mod tech;
