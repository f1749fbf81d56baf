//! The counter's physical "next" button and call LED on the Pi's GPIO (rppal), behind small
//! traits so the logic (debounce, when the LED is lit) is tested with fake pins anywhere. Off a
//! Pi, opening the pins fails with a plain message and the keyboard does the same job.

use crate::core::TicketState;
use std::time::{Duration, Instant};

/// How long a level must hold before it counts (contact bounce is shorter).
pub const DEBOUNCE: Duration = Duration::from_millis(25);
/// How often the button is sampled.
pub const POLL: Duration = Duration::from_millis(3);

/// A button input: `true` while pressed.
pub trait Button: Send {
    fn pressed(&mut self) -> bool;
}

/// An LED output.
pub trait Led: Send {
    fn set(&mut self, on: bool);
}

/// Turns raw samples into one press per real press.
#[derive(Debug, Clone)]
pub struct Debouncer {
    stable_for: Duration,
    raw: bool,
    since: Option<Instant>,
    state: bool,
}

impl Debouncer {
    pub fn new(stable_for: Duration) -> Debouncer {
        Debouncer {
            stable_for,
            raw: false,
            since: None,
            state: false,
        }
    }

    /// Feed one sample taken at `t`; `true` exactly once when a press has held long enough.
    pub fn sample(&mut self, pressed: bool, t: Instant) -> bool {
        if pressed != self.raw || self.since.is_none() {
            self.raw = pressed;
            self.since = Some(t);
        }
        let held = self
            .since
            .map(|s| t.saturating_duration_since(s) >= self.stable_for)
            .unwrap_or(false);
        if held && self.raw != self.state {
            self.state = self.raw;
            return self.state;
        }
        false
    }
}

/// The LED is lit while this counter's visitor is being called (not yet arrived).
pub fn led_on(current: Option<TicketState>) -> bool {
    current == Some(TicketState::Called)
}

struct RppalButton(rppal::gpio::InputPin);

impl Button for RppalButton {
    fn pressed(&mut self) -> bool {
        // Wired to ground with the internal pull-up: pressed reads low.
        self.0.is_low()
    }
}

struct RppalLed(rppal::gpio::OutputPin);

impl Led for RppalLed {
    fn set(&mut self, on: bool) {
        if on {
            self.0.set_high();
        } else {
            self.0.set_low();
        }
    }
}

/// The button and the LED, each when configured.
pub type Pins = (Option<Box<dyn Button>>, Option<Box<dyn Led>>);

/// Why the button or the LED cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    #[error(
        "GPIO is not available on this machine ({0}): the \"next\" button and the LED work on a Raspberry Pi; here the keyboard's N key calls the next visitor"
    )]
    Unavailable(rppal::gpio::Error),
    #[error("GPIO pin {pin} for the {what}: {source}")]
    Pin {
        pin: u8,
        what: &'static str,
        source: rppal::gpio::Error,
    },
}

/// Open the button and LED pins (BCM numbers). Err: plain words, e.g. off a Raspberry Pi.
pub fn open(button: Option<u8>, led: Option<u8>) -> Result<Pins, GpioError> {
    if button.is_none() && led.is_none() {
        return Ok((None, None));
    }
    let gpio = rppal::gpio::Gpio::new().map_err(GpioError::Unavailable)?;
    let pin = |pin: u8, what: &'static str| {
        gpio.get(pin)
            .map_err(|source| GpioError::Pin { pin, what, source })
    };
    let b = match button {
        Some(p) => {
            Some(Box::new(RppalButton(pin(p, "button")?.into_input_pullup())) as Box<dyn Button>)
        }
        None => None,
    };
    let l = match led {
        Some(p) => Some(Box::new(RppalLed(pin(p, "LED")?.into_output_low())) as Box<dyn Led>),
        None => None,
    };
    Ok((b, l))
}

/// Watch a button on its own thread; `on_press` runs once per debounced press.
pub fn watch(mut button: Box<dyn Button>, on_press: impl Fn() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("gpio-button".into())
        .spawn(move || {
            let mut d = Debouncer::new(DEBOUNCE);
            loop {
                if d.sample(button.pressed(), Instant::now()) {
                    on_press();
                }
                std::thread::sleep(POLL);
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot watch the GPIO button: {e}");
    }
}
