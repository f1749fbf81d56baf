//! A kiosk whose hub is on another device, and the link to it. While the hub cannot be reached
//! — its stream is down, or a command just failed for want of it — the welcome screen says so
//! at once, in every language, and offers nothing: every flow (a number, a check-in, a
//! booking, a sign-up) needs the hub, so no visitor is walked through screens to a dead end.
//! It comes back by itself: when the stream is up again, or an event shows the hub at work, or
//! (after a failed command with the stream still up) [`RECHECK_AFTER`] later.

use super::*;

/// After a failed command, the kiosk offers its flows again this long after (the next visitor
/// finds out again, on the spot, if the hub still cannot act).
pub const RECHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(20);

/// What the kiosk knows of the link to a hub on another device.
pub(super) struct Link {
    /// `None` for the hub in this process (always reachable).
    remote: Option<Remote>,
    /// The hub in this process: down for visitors once it stepped down for a promoted standby
    /// (issue #32) — it issues nothing any more.
    local: Option<Hub>,
    /// A command failed for want of the hub (until the hub is seen at work again).
    failed: Cell<bool>,
    /// The mirror's sequence number as last reported by the stream.
    seen_seq: Cell<u64>,
    /// The stream was online at the last look.
    was_online: Cell<bool>,
    /// What the welcome screen shows now (true: "go to reception").
    shown_down: Cell<bool>,
    recheck: slint::Timer,
}

impl Link {
    pub(super) fn new(backend: &Backend) -> Link {
        let (remote, local) = match backend {
            Backend::Local(h) => (None, Some(h.clone())),
            Backend::Remote(r) => (Some(r.clone()), None),
        };
        Link {
            was_online: Cell::new(remote.as_ref().is_some_and(|r| r.online())),
            remote,
            local,
            failed: Cell::new(false),
            seen_seq: Cell::new(0),
            shown_down: Cell::new(false),
            recheck: slint::Timer::default(),
        }
    }
}

impl Kiosk {
    /// Whether the hub cannot be reached now (for the hub in this process: whether it stepped
    /// down for a promoted standby).
    pub fn hub_down(&self) -> bool {
        match &self.link.remote {
            None => self
                .link
                .local
                .as_ref()
                .is_some_and(|h| h.replaced_by().is_some()),
            Some(remote) => !remote.online() || self.link.failed.get(),
        }
    }

    /// A command could not reach the hub (or the hub could not act): say so on the welcome
    /// screen until the link shows the hub back.
    pub(super) fn command_failed(&self) {
        if self.link.remote.is_none() {
            // The hub in this process: down only when it stepped down, which it says itself.
            return self.link_changed();
        }
        self.link.failed.set(true);
        self.link
            .recheck
            .start(slint::TimerMode::SingleShot, RECHECK_AFTER, || {
                with_kiosk(|k| {
                    k.link.failed.set(false);
                    k.link_changed();
                })
            });
        self.link_changed();
    }

    /// The stream says: online or not, and the mirror's sequence number (on the UI thread).
    pub(super) fn link_reported(&self, online: bool, seq: u64) {
        // The hub committed something since the last report: it is at work.
        if online && self.link.seen_seq.replace(seq) != seq {
            self.link.failed.set(false);
        }
        self.link_changed();
    }

    /// Show what the link is now.
    pub(super) fn link_changed(&self) {
        if let Some(remote) = &self.link.remote {
            let online = remote.online();
            // The stream came back: so is the hub.
            let was_online = self.link.was_online.replace(online);
            if online && !was_online {
                self.link.failed.set(false);
            }
        }
        let down = self.hub_down();
        if down == self.link.shown_down.get() {
            return;
        }
        log::info!(
            "the hub is {}: the welcome screen {}",
            if down { "unreachable" } else { "back" },
            if down {
                "says to go to reception"
            } else {
                "offers the languages again"
            }
        );
        self.fill_welcome();
        let screen = self.ui().map(|u| u.global::<KioskAdapter>().get_screen());
        if !down
            && screen == Some(Screen::Welcome)
            && let Some(ui) = self.ui()
        {
            // "Go to reception" from the last failure is over.
            ui.global::<KioskAdapter>().set_notice(SharedString::new());
        }
        // A visitor in the middle of a flow is brought back to the welcome screen, which says
        // what to do; a number already on screen stays there.
        if down
            && !matches!(
                screen,
                Some(Screen::Welcome | Screen::Ticket | Screen::Confirm) | None
            )
        {
            self.home();
        }
    }

    /// The welcome screen now says the hub is down (or not).
    pub(super) fn showing_down(&self, down: bool) {
        self.link.shown_down.set(down);
    }

    /// One line per language of the center, each in its own words: the welcome screen's
    /// buttons (`kiosk-welcome`) or, while the hub cannot be reached, its offline panel
    /// (`kiosk-offline-welcome`).
    pub(super) fn language_lines(&self, id: &str) -> Vec<LanguageChoice> {
        self.cfg
            .languages
            .iter()
            .filter_map(|l| {
                self.locales.get(l).map(|loc| LanguageChoice {
                    code: l.code().into(),
                    name: l.native_name().into(),
                    welcome: loc.text(id, None).into(),
                })
            })
            .collect()
    }
}

/// Tell the kiosk (on the UI thread) whenever the link to its hub changes.
pub(super) fn watch_link(backend: &Backend) {
    if let Backend::Remote(r) = backend {
        let remote = r.clone();
        r.on_change(move || {
            // Read here, on the network thread: the UI thread may be in a command holding the
            // mirror (inline, in tests).
            let (online, seq) = (remote.online(), remote.seq());
            to_ui(Box::new(move || {
                with_kiosk(|k| k.link_reported(online, seq))
            }))
        });
    }
}
