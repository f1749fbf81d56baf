//! The visitor's kiosk, driven like a visitor through accessible labels with Slint's testing
//! backend (software renderer, mocked time). Each scenario is its own test (`scenario::NAME`),
//! run one at a time on its own thread.

use super::common::*;
use chrono::{DateTime, Utc};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use integra::core::{Catalog, Command, Contact, Lang};
use integra::engine::Engine;
use integra::printer::{Format, PrinterUri};
use integra::store::Store;
use integra::ui::kiosk::{self, Kiosk, KioskConfig};
use integra::ui::{KioskAdapter, KioskWindow, Screen, TicketAdapter};
use slint::ComponentHandle;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) struct Setup {
    pub(super) ui: KioskWindow,
    pub(super) hub: integra::hub::Hub,
    _kiosk: Rc<Kiosk>,
    _dir: tempfile::TempDir,
    pub(super) data: std::path::PathBuf,
    preview: std::path::PathBuf,
    /// Where the speaker button's readings go (WAV files and `spoken.txt`).
    speech: std::path::PathBuf,
}

pub(super) fn start(
    catalog: Arc<Catalog>,
    at: DateTime<Utc>,
    printer: Option<PrinterUri>,
    prepare: impl FnOnce(&mut Engine),
) -> Setup {
    kiosk::stop();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let preview = dir.path().join("preview.bin");
    let speech = dir.path().join("speech");
    std::fs::create_dir_all(&speech).expect("speech dir");
    let mut engine = Engine::open(&data, catalog.clone()).expect("engine");
    prepare(&mut engine);
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let cfg = KioskConfig {
        languages: catalog.center.languages.clone(),
        catalog,
        printer: printer.unwrap_or_else(|| PrinterUri::File(preview.clone())),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        clock: Some(at),
        inline: true,
        speech: Some(kiosk::Speech::Files(speech.clone())),
    };
    let hub = integra::hub::Hub::new(engine, Some(at)).expect("hub");
    // Where the center's phones reach the hub (the follow links' QR codes).
    hub.set_follow_base(Some(FOLLOW_BASE.into()));
    let k = Kiosk::start(&ui, kiosk::Backend::Local(hub.clone()), cfg).expect("kiosk");
    Setup {
        ui,
        hub,
        _kiosk: k,
        _dir: dir,
        data,
        preview,
        speech,
    }
}

const FOLLOW_BASE: &str = "http://192.168.1.10:7878";

/// The contents of the QR codes in printer bytes (`GS ( k … 1 P 0 DATA`).
fn printed_qr(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 < bytes.len() {
        if bytes[i..].starts_with(&[0x1D, b'(', b'k']) {
            let len = usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]);
            if bytes[i + 5] == 0x31 && bytes[i + 6] == 0x50 && i + 5 + len <= bytes.len() {
                out.push(String::from_utf8_lossy(&bytes[i + 8..i + 5 + len]).into_owned());
            }
            i += 5 + len;
        } else {
            i += 1;
        }
    }
    out
}

pub(super) fn tap(ui: &KioskWindow, label: &str) {
    // Buttons first: a Text with the same words is not something to press.
    let mut found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(ui, label).collect();
    found.sort_by_key(|e| {
        e.accessible_role() != Some(i_slint_backend_testing::AccessibleRole::Button)
    });
    assert!(
        !found.is_empty(),
        "nothing labelled '{label}' on screen {:?}",
        screen(ui)
    );
    found[0].invoke_accessible_default_action();
}

pub(super) fn has(ui: &KioskWindow, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(ui, label)
        .next()
        .is_some()
}

pub(super) fn screen(ui: &KioskWindow) -> Screen {
    ui.global::<KioskAdapter>().get_screen()
}

pub(super) fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

fn stored_labels(data: &Path, day: chrono::NaiveDate) -> Vec<String> {
    Store::open(data)
        .expect("store")
        .tickets_of_day(day)
        .expect("rows")
        .into_iter()
        .map(|r| r.label)
        .collect()
}

/// The speaker button (EN 301 549 §5.1.3: speech output on a public kiosk): on the welcome
/// screen it reads every language's greeting in that language's voice; on the services screen
/// (Kreyòl chosen) the title, every service with its status, and the two ways on, in Kreyòl,
/// through espeak-ng; a second tap stops at once; going to another screen ends the reading.
fn the_speaker_button_reads_the_screen_aloud() {
    let s = start(
        Arc::new(Catalog::demo().expect("demo")),
        monday_9(),
        None,
        |_| {},
    );
    let a = s.ui.global::<KioskAdapter>();
    let spoken = || std::fs::read_to_string(s.speech.join("spoken.txt")).unwrap_or_default();
    let done = |what: &str| {
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while a.get_speaking() {
            kiosk::pump();
            assert!(std::time::Instant::now() < until, "{what}: still reading");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(a.get_can_speak());
    tap(&s.ui, &text_in(Lang::Es, "kiosk-listen"));
    assert!(a.get_speaking(), "the button shows it is reading");
    assert!(has(&s.ui, &text_in(Lang::Es, "kiosk-stop-reading")));
    done("the greetings");
    let text = spoken();
    for lang in Lang::ALL {
        assert!(
            text.contains(&text_in(lang, "kiosk-welcome")),
            "{lang:?} greeting not read: {text}"
        );
    }
    let wavs = std::fs::read_dir(&s.speech)
        .expect("speech dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".wav"))
        })
        .count();
    assert_eq!(wavs, Lang::ALL.len(), "one spoken greeting per language");

    // Kreyòl: the services screen is read in Kreyòl.
    tap(&s.ui, "Kreyòl ayisyen");
    assert_eq!(screen(&s.ui), Screen::Services);
    std::fs::remove_file(s.speech.join("spoken.txt")).expect("reset");
    tap(&s.ui, &text_in(Lang::Ht, "kiosk-listen"));
    done("the services");
    let text = spoken();
    let services = s.ui.global::<integra::ui::ServicesAdapter>();
    assert!(text.contains(services.get_title().as_str()), "{text}");
    for tile in slint::Model::iter(&services.get_services()) {
        assert!(
            text.contains(tile.name.as_str()),
            "{} not read: {text}",
            tile.name
        );
    }
    assert!(text.contains(services.get_appointments_label().as_str()));
    assert!(text.contains(services.get_activities_label().as_str()));
    // A second tap stops at once.
    tap(&s.ui, &text_in(Lang::Ht, "kiosk-listen"));
    assert!(a.get_speaking());
    tap(&s.ui, &text_in(Lang::Ht, "kiosk-stop-reading"));
    assert!(!a.get_speaking(), "stopped at the second tap");
    // Another screen ends a reading.
    tap(&s.ui, &text_in(Lang::Ht, "kiosk-listen"));
    tap(&s.ui, &text_in(Lang::Ht, "kiosk-home"));
    assert!(
        !a.get_speaking(),
        "the welcome screen is not read with the services' words"
    );
    kiosk::pump();
}

/// The services screen on every screen size the issue names (landscape 800×480, 1024×600,
/// 1280×800, 1920×1080; portrait 480×800, 1080×1920), in every language, with and without
/// larger text: every tile shown lies wholly inside the window; with normal text all ten demo
/// services are on one screen (no pages); with larger text they may be on pages, and the big
/// arrows reach every one of them — no service is ever half hidden or unreachable.
fn every_service_fits_every_screen() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let sizes = [
        (800, 480),
        (1024, 600),
        (1280, 800),
        (1920, 1080),
        (480, 800),
        (1080, 1920),
    ];
    for lang in Lang::ALL {
        let s = start(demo.clone(), monday_9(), None, |_| {});
        tap(&s.ui, lang.native_name());
        let services = s.ui.global::<integra::ui::ServicesAdapter>();
        let names: Vec<String> = slint::Model::iter(&services.get_services())
            .map(|t| t.name.to_string())
            .collect();
        assert_eq!(names.len(), 10, "the demo's ten services");
        for larger in [false, true] {
            s.ui.global::<integra::ui::Theme>().set_large_text(larger);
            for (w, h) in sizes {
                s.ui.window().set_size(slint::PhysicalSize::new(w, h));
                services.set_page(0);
                let what = format!("{w}x{h} {lang:?}{}", if larger { " larger" } else { "" });
                let mut seen = std::collections::BTreeSet::new();
                for page in 0..10 {
                    let shown: Vec<&String> = names
                        .iter()
                        .filter(|n| {
                            ElementHandle::find_by_accessible_label(&s.ui, n).any(|e| {
                                e.accessible_role()
                                    == Some(i_slint_backend_testing::AccessibleRole::Button)
                            })
                        })
                        .collect();
                    assert!(!shown.is_empty(), "{what}: no service on page {page}");
                    for n in &shown {
                        for e in ElementHandle::find_by_accessible_label(&s.ui, n) {
                            let (p, z) = (e.absolute_position(), e.size());
                            assert!(
                                p.x >= -0.5
                                    && p.y >= -0.5
                                    && p.x + z.width <= w as f32 + 0.5
                                    && p.y + z.height <= h as f32 + 0.5,
                                "{what}: '{n}' is not wholly on screen ({p:?} {z:?})"
                            );
                        }
                        seen.insert((*n).clone());
                    }
                    let next = text_in(lang, "kiosk-page-next");
                    if !larger {
                        assert_eq!(
                            shown.len(),
                            10,
                            "{what}: all ten on one screen, without pages"
                        );
                        assert!(!has(&s.ui, &next), "{what}: pages with normal text");
                        break;
                    }
                    if seen.len() == names.len() {
                        break;
                    }
                    assert!(
                        has(&s.ui, &next),
                        "{what}: services left out with no way to them"
                    );
                    tap(&s.ui, &next);
                }
                assert_eq!(seen.len(), names.len(), "{what}: every service reachable");
            }
        }
    }
    kiosk::stop();
}

/// The priority question with larger text on small screens: every class (urgent protection
/// among them) is wholly on screen or on a page the arrows reach — never scrolled out of sight.
fn every_priority_class_is_reachable_on_every_screen() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let sizes = [
        (800, 480),
        (1024, 600),
        (1920, 1080),
        (480, 800),
        (1080, 1920),
    ];
    for lang in [Lang::Es, Lang::Fr, Lang::Ht] {
        let s = start(demo.clone(), monday_9(), None, |_| {});
        tap(&s.ui, lang.native_name());
        let info =
            slint::Model::iter(&s.ui.global::<integra::ui::ServicesAdapter>().get_services())
                .next()
                .expect("a service")
                .name
                .to_string();
        tap(&s.ui, &info);
        assert_eq!(screen(&s.ui), Screen::Priority);
        let p = s.ui.global::<integra::ui::PriorityAdapter>();
        let names: Vec<String> = slint::Model::iter(&p.get_classes())
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names.len(), 5);
        for larger in [false, true] {
            s.ui.global::<integra::ui::Theme>().set_large_text(larger);
            for (w, h) in sizes {
                s.ui.window().set_size(slint::PhysicalSize::new(w, h));
                p.set_page(0);
                let what = format!("{w}x{h} {lang:?}{}", if larger { " larger" } else { "" });
                let mut seen = std::collections::BTreeSet::new();
                for _ in 0..10 {
                    for n in &names {
                        for e in ElementHandle::find_by_accessible_label(&s.ui, n) {
                            let (pos, z) = (e.absolute_position(), e.size());
                            assert!(
                                pos.x >= -0.5
                                    && pos.y >= -0.5
                                    && pos.x + z.width <= w as f32 + 0.5
                                    && pos.y + z.height <= h as f32 + 0.5,
                                "{what}: '{n}' is not wholly on screen ({pos:?} {z:?})"
                            );
                            seen.insert(n.clone());
                        }
                    }
                    let next = text_in(lang, "kiosk-page-next");
                    if seen.len() == names.len() || !has(&s.ui, &next) {
                        break;
                    }
                    tap(&s.ui, &next);
                }
                assert_eq!(
                    seen.len(),
                    names.len(),
                    "{what}: every class reachable: {seen:?}"
                );
            }
        }
    }
    kiosk::stop();
}

fn walk_in_in_three_taps() {
    let s = start(
        Arc::new(Catalog::demo().expect("demo")),
        monday_9(),
        None,
        |_| {},
    );
    assert_eq!(screen(&s.ui), Screen::Welcome);
    for name in [
        "Español",
        "English",
        "Português",
        "Français",
        "Kreyòl ayisyen",
    ] {
        assert!(has(&s.ui, name), "welcome lacks {name}");
    }
    tap(&s.ui, "Kreyòl ayisyen"); // 1
    assert_eq!(screen(&s.ui), Screen::Services);
    tap(&s.ui, "Konsèy legal ak regilarizasyon"); // 2
    assert_eq!(screen(&s.ui), Screen::Priority);
    tap(&s.ui, "Non, kontinye"); // 3
    assert_eq!(screen(&s.ui), Screen::Ticket);
    let number = s.ui.global::<TicketAdapter>().get_number().to_string();
    assert_eq!(number, "B-001");
    assert!(has(&s.ui, "B-001"), "the number is on screen");
    let day = monday_9()
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    assert_eq!(
        stored_labels(&s.data, day),
        ["B-001"],
        "the store holds the number shown"
    );
    assert_eq!(
        s.ui.global::<TicketAdapter>().get_ahead().as_str(),
        "Pa gen pèsonn devan ou."
    );
    assert_eq!(
        s.ui.global::<TicketAdapter>().get_wait().as_str(),
        "",
        "nobody ahead: no 'about 0 min'"
    );
    // The slip reaches the (preview) printer after the number is shown.
    wait_for("the printed ticket", || {
        std::fs::metadata(&s.preview).is_ok_and(|m| m.len() > 0)
    });
    // The follow link: a QR code on the screen (with what it is for) and on the slip, the
    // same link, pointing at the hub's address for phones.
    let t = s.ui.global::<TicketAdapter>();
    assert!(t.get_has_follow(), "a follow QR on the ticket screen");
    assert!(t.get_follow_qr().size().width >= 100, "a real QR image");
    assert!(kiosk_shows(&s.ui, "Swiv tou pa w sou telefòn ou"));
    let printed = printed_qr(&std::fs::read(&s.preview).expect("preview"));
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert!(
        printed[0].starts_with(&format!("{FOLLOW_BASE}/f/")),
        "{printed:?}"
    );
    assert_eq!(printed[0].len(), FOLLOW_BASE.len() + 3 + 34);
    // Done → welcome; a second visitor with priority.
    tap(&s.ui, "Fini");
    assert_eq!(screen(&s.ui), Screen::Welcome);
    tap(&s.ui, "Español");
    tap(&s.ui, "Asesoría legal y regularización");
    tap(&s.ui, "Persona mayor");
    assert_eq!(
        s.ui.global::<TicketAdapter>().get_number().as_str(),
        "B-002"
    );
    assert_eq!(stored_labels(&s.data, day), ["B-001", "B-002"]);
}

/// A hub on loopback (the demo center, Monday 9:00) and a paired device's hub client.
struct LoopbackHub {
    rt: tokio::runtime::Runtime,
    hub: integra::hub::Hub,
    dir: tempfile::TempDir,
    remote: integra::hub::client::Remote,
    demo: Arc<Catalog>,
}

fn loopback_hub(role: integra::hub::Role, device: &str) -> LoopbackHub {
    use integra::hub::{Hub, auth, client::Remote};
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = Hub::new(
        Engine::open(dir.path(), demo.clone()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let (addr, _task) = rt
        .block_on(hub.serve("127.0.0.1:0".parse().expect("addr")))
        .expect("serve");
    let base = format!("http://{addr}");
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, role, chrono::Utc::now())
        .expect("pin")
        .0;
    let (token, paired_as) = Remote::pair(&base, &pin, device).expect("pair");
    assert_eq!(paired_as, role.as_str());
    // Before the hub's catalog arrives a device has its own; here the small test catalog.
    let remote = Remote::start(&base, &token, catalog()).expect("remote");
    wait_for("the hub's stream", || {
        remote.online() && remote.catalog() == demo
    });
    LoopbackHub {
        rt,
        hub,
        dir,
        remote,
        demo,
    }
}

/// The hub is not sure of its clock: the lobby display's information line says the time may
/// be wrong (in its language), and goes back to the center's lines once a coordinator confirms
/// the hub's time (issue #31).
fn a_display_says_when_the_hubs_clock_is_unsure() {
    use integra::hub::Role;
    use integra::ui::{DisplayAdapter, DisplayWindow, display::Display};
    let LoopbackHub {
        rt: _rt,
        hub,
        dir: _dir,
        remote,
        demo: _demo,
    } = loopback_hub(Role::Display, "Lobby TV");
    let ui = DisplayWindow::new().expect("display window");
    ui.window().set_size(slint::PhysicalSize::new(1280, 720));
    ui.show().expect("show");
    let d = Display::start(&ui, remote.clone(), Lang::Es, Some(monday_9()), None).expect("display");
    d.refresh();
    let a = ui.global::<DisplayAdapter>();
    let unsure = integra::i18n::Localizer::new(Lang::Es)
        .expect("es")
        .text("display-clock-unsure", None);
    assert_ne!(a.get_info().as_str(), unsure);
    hub.assume_clock_synced(Some(false));
    wait_for("the display to hear the hub is unsure", || {
        remote.hub_clock_unsure()
    });
    d.refresh();
    assert_eq!(a.get_info().as_str(), unsure);
    assert!(has_display(&ui, &unsure), "the line is on screen");
    display_snapshot(&ui, "display-1280x720-es-clock-unsure");
    hub.confirm_clock("coordinator laptop").expect("confirm");
    wait_for("the display to hear the hub is sure again", || {
        !remote.hub_clock_unsure()
    });
    d.refresh();
    assert_ne!(a.get_info().as_str(), unsure);
    integra::ui::display::stop();
}

/// A second kiosk whose hub is on another device: it issues through the hub, and when the hub is
/// gone it tells the visitor (in their language) to go to reception, inventing no number.
fn second_kiosk_issues_through_the_hub() {
    kiosk::stop();
    let LoopbackHub {
        rt,
        hub,
        dir,
        remote,
        demo,
    } = loopback_hub(integra::hub::Role::Kiosk, "kiosk 2");
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let preview = dir.path().join("preview.bin");
    let cfg = KioskConfig {
        languages: demo.center.languages.clone(),
        catalog: demo.clone(),
        printer: PrinterUri::File(preview.clone()),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        clock: Some(monday_9()),
        inline: true,
        speech: None,
    };
    let _k = Kiosk::start(&ui, kiosk::Backend::Remote(remote.clone()), cfg).expect("kiosk");
    tap(&ui, "Português");
    tap(&ui, "Assessoria jurídica e regularização");
    tap(&ui, "Não, continuar");
    assert_eq!(screen(&ui), Screen::Ticket);
    assert_eq!(ui.global::<TicketAdapter>().get_number().as_str(), "B-001");
    // A kiosk on the network gets the follow link from the hub's answer.
    assert!(
        ui.global::<TicketAdapter>().get_has_follow(),
        "the hub's follow link reaches a kiosk on the network"
    );
    let day = monday_9()
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    assert_eq!(
        stored_labels(dir.path(), day),
        ["B-001"],
        "the hub holds it"
    );
    assert_eq!(
        remote.seq(),
        hub.session().queue().seq(),
        "the mirror follows"
    );
    wait_for("the printed ticket", || {
        std::fs::metadata(&preview).is_ok_and(|m| m.len() > 0)
    });
    tap(&ui, "Pronto");
    // The hub goes away (its process dies): the welcome screen says at once to go to
    // reception, and offers no flow that would end there.
    rt.shutdown_background();
    wait_for("the stream to notice", || !remote.online());
    wait_for("the welcome screen to say so", || {
        kiosk::pump();
        !has(&ui, "Português")
    });
    let pt = integra::i18n::Localizer::new(Lang::Pt).expect("pt");
    assert!(has(&ui, &pt.text("kiosk-offline-welcome", None)));
    assert_eq!(
        stored_labels(dir.path(), day),
        ["B-001"],
        "nothing invented"
    );
    kiosk::stop();
}

/// The hub-kiosk whose hub stepped down for a promoted standby (issue #32) issues nothing: the
/// visitor's tap is refused, they are sent to reception, and from then on the welcome screen
/// says so in every language with no language button — as a network kiosk with no hub does.
fn a_hub_kiosk_that_stepped_down_sends_visitors_to_reception() {
    let s = start(
        Arc::new(Catalog::demo().expect("demo")),
        monday_9(),
        None,
        |_| {},
    );
    assert!(has(&s.ui, "Português"), "the languages are offered");
    tap(&s.ui, "Kreyòl ayisyen");
    tap(&s.ui, "Konsèy legal ak regilarizasyon");
    // Meanwhile the spare was promoted and a device told this hub: it steps down for good.
    assert!(s.hub.saw_epoch(s.hub.epoch() + 1), "the hub steps down");
    tap(&s.ui, "Non, kontinye");
    wait_for("the welcome screen to send visitors to reception", || {
        kiosk::pump();
        screen(&s.ui) == Screen::Welcome && !has(&s.ui, "Português")
    });
    let pt = integra::i18n::Localizer::new(Lang::Pt).expect("pt");
    assert!(has(&s.ui, &pt.text("kiosk-offline-welcome", None)));
    let day = monday_9()
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    assert!(stored_labels(&s.data, day).is_empty(), "no number issued");
    kiosk::stop();
}

/// A network kiosk whose hub cannot be reached says so on its welcome screen at once, in all
/// five languages, with no language button to start a flow that needs the hub; a visitor in
/// the middle of one is taken back there. It comes back by itself when the hub's stream does.
/// A command that fails with the stream up (the hub's disk refuses) does the same until the
/// hub is seen at work again or [`kiosk::RECHECK_AFTER`] has passed.
fn a_network_kiosk_says_at_once_when_its_hub_is_unreachable() {
    use super::deadhub::Switch;
    kiosk::stop();
    let LoopbackHub {
        rt: _rt,
        hub,
        dir,
        remote: first,
        demo,
    } = loopback_hub(integra::hub::Role::Kiosk, "kiosk 2");
    let base = first.base();
    let token = {
        let store = Store::open(dir.path()).expect("store");
        let pin =
            integra::hub::auth::new_pin(&store, integra::hub::Role::Kiosk, chrono::Utc::now())
                .expect("pin")
                .0;
        integra::hub::client::Remote::pair(&base, &pin, "kiosk 3")
            .expect("pair")
            .0
    };
    let switch = Switch::start(base.trim_start_matches("http://").parse().expect("addr"));
    let remote = integra::hub::client::Remote::start(
        &format!("http://{}", switch.addr),
        &token,
        demo.clone(),
    )
    .expect("remote");
    wait_for("the hub's stream", || remote.online());
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let cfg = KioskConfig {
        languages: demo.center.languages.clone(),
        catalog: demo.clone(),
        printer: PrinterUri::File(dir.path().join("preview.bin")),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        clock: Some(monday_9()),
        inline: true,
        speech: None,
    };
    let _k = Kiosk::start(&ui, kiosk::Backend::Remote(remote.clone()), cfg).expect("kiosk");
    let offline_words: Vec<String> = Lang::ALL
        .iter()
        .map(|l| text_in(*l, "kiosk-offline-welcome"))
        .collect();
    let says_offline = |ui: &KioskWindow| offline_words.iter().all(|w| has(ui, w));
    let offers_languages = |ui: &KioskWindow| Lang::ALL.iter().all(|l| has(ui, l.native_name()));
    assert!(offers_languages(&ui) && !says_offline(&ui));
    // A visitor has chosen a language and looks at the services when the hub goes away.
    tap(&ui, "Español");
    assert_eq!(screen(&ui), Screen::Services);
    let day = monday_9()
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    switch.unplug();
    let t = Instant::now();
    wait_for("the welcome screen says the hub is unreachable", || {
        kiosk::pump();
        says_offline(&ui)
    });
    println!(
        "the hub unplugged: the welcome screen said so after {} ms",
        t.elapsed().as_millis()
    );
    assert_eq!(screen(&ui), Screen::Welcome, "the visitor is taken to it");
    assert!(
        !Lang::ALL.iter().any(|l| has(&ui, l.native_name())),
        "no language button, no flow to start"
    );
    // Looked at full screen: 800×480 and 1920×1080, with larger text too.
    for (w, h, larger, name) in [
        (800, 480, false, "offline-welcome-800x480"),
        (1920, 1080, false, "offline-welcome-1920x1080"),
        (800, 480, true, "offline-welcome-800x480-larger"),
        (1920, 1080, true, "offline-welcome-1920x1080-larger"),
    ] {
        ui.window().set_size(slint::PhysicalSize::new(w, h));
        ui.global::<integra::ui::Theme>().set_large_text(larger);
        screen_shot(&ui, name);
        for words in &offline_words {
            let (x, y, tw, th) = position(&ui, words);
            assert!(
                x >= -0.5 && y >= -0.5 && x + tw <= w as f32 + 0.5 && y + th <= h as f32 + 0.5,
                "{name}: {words:?} at {x},{y} size {tw}×{th} leaves the window"
            );
        }
    }
    ui.global::<integra::ui::Theme>().set_large_text(false);
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    screen_shot(&ui, "offline-welcome-800x480");
    // The hub is back: so are the languages, by themselves.
    switch.plug();
    let t = Instant::now();
    wait_for("the languages come back", || {
        kiosk::pump();
        offers_languages(&ui)
    });
    println!(
        "the hub plugged back: the languages were offered again after {} ms",
        t.elapsed().as_millis()
    );
    assert!(!says_offline(&ui));
    // The stream is up but the hub cannot save: the visitor's ticket fails (they are told, in
    // their language, to go to reception), and the welcome screen says it for the next one.
    hub.set_read_only(true).expect("read-only");
    tap(&ui, "Português");
    tap(&ui, "Assessoria jurídica e regularização");
    tap(&ui, "Não, continuar");
    assert_eq!(screen(&ui), Screen::Welcome);
    assert_eq!(
        ui.global::<KioskAdapter>().get_notice().as_str(),
        text_in(Lang::Pt, "kiosk-go-to-reception")
    );
    assert!(says_offline(&ui), "the next visitor is told at once");
    screen_shot(&ui, "offline-welcome-after-a-failed-command-800x480-pt");
    assert!(
        stored_labels(dir.path(), day).is_empty(),
        "nothing invented"
    );
    // The disk accepts again; a little later the kiosk offers its flows again, and issues.
    hub.set_read_only(false).expect("writable");
    i_slint_backend_testing::mock_elapsed_time(kiosk::RECHECK_AFTER);
    kiosk::pump();
    assert!(offers_languages(&ui), "back after the recheck");
    assert!(ui.global::<KioskAdapter>().get_notice().is_empty());
    tap(&ui, "Português");
    tap(&ui, "Assessoria jurídica e regularização");
    tap(&ui, "Não, continuar");
    assert_eq!(screen(&ui), Screen::Ticket);
    assert_eq!(stored_labels(dir.path(), day), ["B-001"]);
    kiosk::stop();
}

/// A coordinator renames a service and adds one on the admin API while a kiosk on another
/// device shows the services screen: the screen changes without a tap, and the new service
/// issues its own numbers.
fn an_admin_change_reaches_a_kiosk_on_screen() {
    kiosk::stop();
    let LoopbackHub {
        rt,
        hub: _hub,
        dir,
        remote,
        demo,
    } = loopback_hub(integra::hub::Role::Kiosk, "kiosk 3");
    let base = remote.base().to_string();
    let store = Store::open(dir.path()).expect("store");
    let pin = integra::hub::auth::new_pin(&store, integra::hub::Role::Admin, chrono::Utc::now())
        .expect("pin")
        .0;
    let (admin, _) =
        integra::hub::client::Remote::pair(&base, &pin, "coordinator").expect("pair admin");
    let ui = KioskWindow::new().expect("window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let cfg = KioskConfig {
        languages: demo.center.languages.clone(),
        catalog: demo.clone(),
        printer: PrinterUri::File(dir.path().join("preview.bin")),
        format: Format::default(),
        idle: Duration::from_secs(45),
        ticket_screen: Duration::from_secs(20),
        clock: Some(monday_9()),
        inline: true,
        speech: None,
    };
    let _k = Kiosk::start(&ui, kiosk::Backend::Remote(remote.clone()), cfg).expect("kiosk");
    tap(&ui, "Português");
    assert!(has(&ui, "Assessoria jurídica e regularização"));
    let mut legal = serde_json::json!(demo.service(&"legal".into()).expect("legal"));
    legal["name"]["pt"] = serde_json::json!("Apoio jurídico gratuito");
    let interpreter = serde_json::json!({
        "code": "interpreter", "prefix": "I", "icon": "info", "modes": ["walk-in"],
        "name": {"es": "Intérprete", "en": "Interpreter", "pt": "Intérprete de línguas", "fr": "Interprète", "ht": "Entèprèt"},
        "description": {"es": "Alguien traduce para usted.", "en": "Someone translates for you.", "pt": "Alguém traduz para você.", "fr": "Quelqu’un traduit pour vous.", "ht": "Yon moun tradui pou ou."},
        "hours": {"mon": ["08:00-17:00"]}
    });
    let http = http();
    let hearing = serde_json::json!({
        "code": "hearing", "icon": "disability",
        "name": {"es": "Persona sorda", "en": "Deaf person", "pt": "Pessoa surda", "fr": "Personne sourde", "ht": "Moun ki soud"}
    });
    for edit in [
        serde_json::json!({"op": "put_service", "service": legal}),
        serde_json::json!({"op": "put_service", "service": interpreter, "counters": ["1"]}),
        serde_json::json!({"op": "put_priority_class", "class": hearing}),
    ] {
        let status = rt.block_on(async {
            http.post(format!("{base}/api/v1/admin/catalog"))
                .bearer_auth(&admin)
                .json(&edit)
                .send()
                .await
                .expect("post")
                .status()
        });
        assert_eq!(status, reqwest::StatusCode::OK);
    }
    let tile_names = || {
        use slint::Model;
        let m = ui.global::<integra::ui::ServicesAdapter>().get_services();
        (0..m.row_count())
            .filter_map(|i| m.row_data(i).map(|t| t.name.to_string()))
            .collect::<Vec<_>>()
    };
    wait_for("the changed services on screen", || {
        kiosk::pump();
        has(&ui, "Apoio jurídico gratuito")
            && tile_names().contains(&"Intérprete de línguas".to_string())
            && _k.catalog().priority_class(&"hearing".into()).is_some()
    });
    assert_eq!(screen(&ui), Screen::Services, "no tap was needed");
    assert!(!has(&ui, "Assessoria jurídica e regularização"));
    // The 11th tile is below the fold at 800×480: pick it as its tile does.
    ui.global::<integra::ui::ServicesAdapter>()
        .invoke_pick("interpreter".into());
    // The priority screen and the ticket screen read the current catalog too (a new class is
    // offered; the new service's name is on the ticket, not blank).
    assert!(
        has(&ui, "Pessoa surda"),
        "the new priority class is offered"
    );
    tap(&ui, "Não, continuar");
    assert_eq!(screen(&ui), Screen::Ticket);
    assert_eq!(ui.global::<TicketAdapter>().get_number().as_str(), "I-001");
    assert_eq!(
        ui.global::<TicketAdapter>().get_service().as_str(),
        "Intérprete de línguas"
    );
    kiosk::stop();
    drop(rt);
}

/// The kiosk that runs the hub in its own process follows a change made on the admin pages too.
fn an_admin_change_reaches_the_hubs_own_kiosk() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |_| {});
    tap(&s.ui, "English");
    assert!(has(&s.ui, "Legal advice and regularisation"));
    let mut legal = demo.service(&"legal".into()).expect("legal").clone();
    legal.name.insert(Lang::En, "Free legal advice".to_string());
    s.hub
        .session()
        .execute(
            &Command::EditCatalog {
                edit: integra::core::CatalogEdit::PutService {
                    service: legal,
                    counters: None,
                },
                by: "coordinator".into(),
            },
            monday_9(),
        )
        .expect("edit");
    wait_for("the new name on screen", || {
        kiosk::pump();
        has(&s.ui, "Free legal advice")
    });
    assert_eq!(screen(&s.ui), Screen::Services);
    kiosk::stop();
}

fn display_snapshot(ui: &integra::ui::DisplayWindow, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    let shot = ui.window().take_snapshot().expect("snapshot");
    let img = image::RgbaImage::from_raw(shot.width(), shot.height(), shot.as_bytes().to_vec())
        .expect("pixels");
    img.save(dir.join(format!("{name}.png"))).expect("png");
}

/// The lobby display follows a hub on another "device": the current call big with its counter,
/// the last four calls, people waiting; never a visitor's name; "reconnecting" when the link is
/// gone. Rendered at 1920×1080 and 1280×720.
fn lobby_display_follows_the_hub() {
    use integra::core::Command;
    use integra::hub::Role;
    use integra::ui::{DisplayAdapter, DisplayWindow, display::Display};
    let LoopbackHub {
        rt,
        hub,
        dir,
        remote,
        demo,
    } = loopback_hub(Role::Display, "Lobby TV");
    // A visitor who gave her name checks in; walk-ins wait; counters call.
    let run = |cmd: Command| {
        hub.session().execute(&cmd, monday_9()).expect("command");
    };
    let today = monday_9()
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    let booked = hub
        .session()
        .execute(
            &Command::BookAppointment {
                service: "legal".into(),
                date: today,
                time: chrono::NaiveTime::from_hms_opt(9, 30, 0).expect("time"),
                lang: Lang::Es,
                contact: Contact {
                    name: Some("Marisol".into()),
                    phone: Some("3001234567".into()),
                },
                nonce: 7,
            },
            monday_9(),
        )
        .expect("book");
    let code = booked
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::AppointmentBooked { appointment } => {
                Some(appointment.code.clone())
            }
            _ => None,
        })
        .expect("code");
    run(Command::CheckIn { code });
    for svc in ["info", "info", "info", "legal", "health", "health"] {
        run(issue(svc, None));
    }
    let counters: Vec<String> = demo.counters.iter().map(|c| c.id.to_string()).collect();
    let mut calls = 0;
    for c in counters.iter().cycle().take(40) {
        let call = Command::CallNext {
            counter: c.as_str().into(),
        };
        if hub.session().execute(&call, monday_9()).is_ok() {
            calls += 1;
            if calls == 5 {
                break;
            }
        }
    }
    assert_eq!(calls, 5);
    let seq = hub.session().queue().seq();
    wait_for("the mirror to follow", || remote.seq() == seq);
    let ui = DisplayWindow::new().expect("display window");
    ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    ui.show().expect("show");
    let sounds = dir.path().join("sounds");
    std::fs::create_dir_all(&sounds).expect("sounds");
    let announcer = integra::audio::Announcer::start(
        integra::audio::AnnounceConfig {
            chime: true,
            voice: true,
            center_lang: Lang::Es,
            voices: Default::default(),
        },
        Box::new(integra::audio::Files {
            dir: sounds.clone(),
            count: 0,
        }),
    );
    let d = Display::start(
        &ui,
        remote.clone(),
        Lang::Es,
        Some(monday_9()),
        Some(announcer),
    )
    .expect("display");
    d.refresh();
    let a = ui.global::<DisplayAdapter>();
    // The newest call is the big one, with the counter's name; four earlier calls beside it.
    let truth = integra::hub::view::queue_view(hub.session().queue(), Role::Display, monday_9());
    let newest = &truth.recent_calls[0];
    assert_eq!(a.get_current_label().as_str(), newest.label);
    // The lobby sees a counter's public name (the protected room is "Recepción" like reception).
    let counter_name = demo
        .counters
        .iter()
        .find(|c| Some(c.id.to_string()) == newest.counter)
        .expect("counter")
        .public()
        .to_string();
    assert_eq!(a.get_current_counter().as_str(), counter_name);
    assert_eq!(slint::Model::row_count(&a.get_recent()), 4);
    assert!(a.get_online());
    assert_eq!(a.get_now_calling_title().as_str(), "Turno");
    assert!(
        !a.get_info().is_empty(),
        "an information line from the catalog"
    );
    assert!(
        has_display(&ui, &a.get_current_label()),
        "the number is on screen"
    );
    for secret in ["Marisol", "3001234567"] {
        assert!(
            !has_display(&ui, secret),
            "{secret} must never be on the display"
        );
    }
    // A live call is announced: chime, the visitor's language, then Spanish.
    run(Command::IssueTicket {
        service: "info".into(),
        lang: Lang::Ht,
        priority: None,
    });
    let called = hub
        .session()
        .execute(
            &Command::CallNext {
                counter: counters[0].as_str().into(),
            },
            monday_9(),
        )
        .expect("call");
    let label = called
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::TicketCalled { ticket, .. } => {
                hub.session().queue().ticket(*ticket).map(|t| t.label())
            }
            _ => None,
        })
        .expect("a call");
    wait_for("the announcement", || {
        std::fs::read_dir(&sounds)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".wav"))
                })
                .count()
            })
            .unwrap_or(0)
            >= 3
    });
    let mut names: Vec<String> = std::fs::read_dir(&sounds)
        .expect("sounds")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".wav"))
        .collect();
    names.sort();
    assert_eq!(names[0], "001-chime.wav");
    assert_eq!(names[1], format!("002-{label}-ht.wav"), "{names:?}");
    assert_eq!(names[2], format!("003-{label}-es.wav"), "{names:?}");
    let seq = hub.session().queue().seq();
    wait_for("the mirror to follow", || remote.seq() == seq);
    d.refresh();
    assert_eq!(a.get_current_label().as_str(), label);
    display_snapshot(&ui, "display-1920x1080-es");
    display_fits(&ui, 1920.0);
    ui.window().set_size(slint::PhysicalSize::new(1280, 720));
    display_snapshot(&ui, "display-1280x720-es");
    display_fits(&ui, 1280.0);
    // The hub goes away: the display says it is reconnecting, and keeps the last calls.
    rt.shutdown_background();
    wait_for("offline", || !remote.online());
    d.refresh();
    assert!(!a.get_online());
    assert!(has_display(&ui, "Reconectando…"));
    // The last call stays, dimmed, under "calls are paused" instead of "now calling".
    assert!(has_display(&ui, "Llamadas en pausa"));
    assert_eq!(a.get_current_label().as_str(), label);
    display_snapshot(&ui, "display-1280x720-es-reconnecting");
    integra::ui::display::stop();
}

/// An LED that remembers each setting.
struct FakeLed(Arc<std::sync::Mutex<Vec<bool>>>);

impl integra::device::gpio::Led for FakeLed {
    fn set(&mut self, on: bool) {
        if let Ok(mut v) = self.0.lock() {
            v.push(on);
        }
    }
}

/// `waiting` visitors for `counter`'s first service, seen by the desk's mirror, and the counter
/// terminal's window on screen at 800×480.
fn counter_desk(
    hub: &integra::hub::Hub,
    remote: &integra::hub::client::Remote,
    counter: &integra::core::catalog::Counter,
    waiting: usize,
) -> integra::ui::CounterWindow {
    let service = counter.services[0].to_string();
    for _ in 0..waiting {
        hub.session()
            .execute(&issue(&service, None), monday_9())
            .expect("issue");
    }
    let seq = hub.session().queue().seq();
    wait_for("the mirror", || remote.seq() == seq);
    let ui = integra::ui::CounterWindow::new().expect("counter window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    ui
}

/// The counter terminal on a staff desk, following a hub on another "device": call next by
/// touch and by the keyboard, visitor arrived, transfer; the LED lit only while calling.
fn counter_terminal_calls_and_serves() {
    use integra::hub::Hub;
    use integra::ui::{CounterAdapter, counter::Counter};
    let LoopbackHub {
        rt: _rt,
        hub,
        dir: _dir,
        remote,
        demo,
    } = loopback_hub(integra::hub::Role::Counter, "Desk 1");
    let counter = demo.counters[0].clone();
    let ui = counter_desk(&hub, &remote, &counter, 3);
    let led = Arc::new(std::sync::Mutex::new(Vec::new()));
    let c = Counter::start(
        &ui,
        remote.clone(),
        counter.id.clone(),
        Lang::Es,
        Some(monday_9()),
        Some(Box::new(FakeLed(led.clone()))),
        true,
    )
    .expect("counter");
    let a = ui.global::<CounterAdapter>();
    assert_eq!(a.get_waiting_label().as_str(), "3 personas esperando.");
    assert!(!a.get_has_current());
    let led_now = || led.lock().map(|v| v.last().copied()).unwrap_or(None);
    assert_eq!(led_now(), Some(false));
    // Touch: call next.
    let tap = |label: &str| {
        let found: Vec<ElementHandle> =
            ElementHandle::find_by_accessible_label(&ui, label).collect();
        assert!(!found.is_empty(), "no '{label}' on the counter");
        found[0].invoke_accessible_default_action();
    };
    tap("Llamar al siguiente");
    let current = |hub: &Hub| {
        hub.session()
            .queue()
            .current_at(&counter.id)
            .map(|t| (t.label(), t.state))
    };
    let (label, state) = current(&hub).expect("called at the hub");
    assert_eq!(state, integra::core::TicketState::Called);
    assert_eq!(a.get_current_label().as_str(), label);
    assert!(a.get_current_info().contains("llamado"));
    assert_eq!(led_now(), Some(true), "the LED is lit while calling");
    snapshot_counter(&ui, "counter-800x480-es");
    // The visitor arrives: the LED goes out.
    tap("Ya llegó");
    assert_eq!(
        current(&hub).map(|c| c.1),
        Some(integra::core::TicketState::Serving)
    );
    assert_eq!(led_now(), Some(false));
    // The keyboard's N calls the next one (finishing this one).
    ui.window()
        .dispatch_event(slint::platform::WindowEvent::KeyPressed { text: "n".into() });
    ui.window()
        .dispatch_event(slint::platform::WindowEvent::KeyReleased { text: "n".into() });
    let (next, _) = current(&hub).expect("next called");
    assert_ne!(next, label);
    assert_eq!(a.get_current_label().as_str(), next);
    // Transfer to legal: the visitor leaves this counter and waits there, same number.
    tap("Enviar a…");
    assert!(a.get_choosing_service());
    tap(&demo.services[1].name[&Lang::Es]);
    assert_eq!(current(&hub), None);
    let moved = hub
        .session()
        .queue()
        .ticket_by_label(&next)
        .map(|t| (t.service.to_string(), t.state))
        .expect("one ticket");
    assert_eq!(
        moved,
        (
            demo.services[1].code.to_string(),
            integra::core::TicketState::Waiting
        )
    );
    // Reprint on a hub without a printer: the counter says why, in Spanish.
    tap("Llamar al siguiente");
    tap("Reimprimir");
    assert!(!a.get_notice().is_empty());
    c.refresh();
    integra::ui::counter::stop();
}

fn snapshot_counter(ui: &integra::ui::CounterWindow, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    let shot = ui.window().take_snapshot().expect("snapshot");
    let img = image::RgbaImage::from_raw(shot.width(), shot.height(), shot.as_bytes().to_vec())
        .expect("pixels");
    img.save(dir.join(format!("{name}.png"))).expect("png");
}

/// Where a text is on the display (x, y, width, height), found by its words.
fn display_rect(ui: &integra::ui::DisplayWindow, text: &str) -> Option<(f32, f32, f32, f32)> {
    i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_predicate({
            let text = text.to_string();
            move |e| e.accessible_label().is_some_and(|l| l == text.as_str())
        })
        .find_first()
        .map(|e| {
            let (p, s) = (e.absolute_position(), e.size());
            (p.x, p.y, s.width, s.height)
        })
}

/// The display's layout at this width (16:9): the current call's panel has its fixed share of
/// the width whatever the call (its title is centered in it), and every last call's counter
/// name is whole — wrapped inside its panel, above the waiting line, never cut.
fn display_fits(ui: &integra::ui::DisplayWindow, width: f32) {
    let a = ui.global::<integra::ui::DisplayAdapter>();
    let k = width / 1920.0;
    let pad = 24.0 * k;
    let panel = (width - 3.0 * pad) * 0.56;
    let (x, _, w, _) = display_rect(ui, &a.get_now_calling_title()).expect("the title");
    assert!(
        ((x + w / 2.0) - (pad + panel / 2.0)).abs() < 1.5,
        "the current call's panel is not at its fixed width at {width} px: title centered at {}",
        x + w / 2.0
    );
    let (_, waiting_y, _, _) = display_rect(ui, &a.get_waiting_title()).expect("waiting line");
    let recent = a.get_recent();
    assert!(slint::Model::row_count(&recent) > 0);
    let mut heights = Vec::new();
    for i in 0..slint::Model::row_count(&recent) {
        let row = slint::Model::row_data(&recent, i).expect("row");
        let text = format!("→ {}", row.counter);
        let (x, y, w, h) = display_rect(ui, &text).unwrap_or_else(|| panic!("{text} is shown"));
        assert!(
            x + w <= width - pad + 1.0,
            "{text} reaches past the panel at {width} px"
        );
        assert!(
            y + h <= waiting_y,
            "{text} runs into the waiting line at {width} px"
        );
        heights.push((text.chars().count(), h));
    }
    // The demo's longest name ("Ventanilla 3 — Salud y educación") does not fit one line: it
    // takes two, so its row is taller than a one-line row (set by its big number); a cut name
    // would keep the one-line height.
    let one_line = heights.iter().map(|h| h.1).fold(f32::MAX, f32::min);
    for (chars, h) in &heights {
        if *chars > 30 {
            assert!(
                *h > one_line + 2.0,
                "a long counter name on one line (cut) at {width} px: {heights:?}"
            );
        }
    }
}

fn has_display(ui: &integra::ui::DisplayWindow, text: &str) -> bool {
    i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_predicate({
            let text = text.to_string();
            move |e| {
                e.accessible_label()
                    .is_some_and(|l| l.contains(text.as_str()))
            }
        })
        .find_first()
        .is_some()
}

fn closed_service_says_so_and_issues_nothing() {
    let night = local(5, 22, 0);
    let s = start(
        Arc::new(Catalog::demo().expect("demo")),
        night,
        None,
        |_| {},
    );
    tap(&s.ui, "English");
    let before = position(&s.ui, "Information and guidance");
    tap(&s.ui, "Health");
    assert_eq!(screen(&s.ui), Screen::Services);
    assert_eq!(
        position(&s.ui, "Information and guidance"),
        before,
        "the notice floats: the tiles do not move"
    );
    let notice = s.ui.global::<KioskAdapter>().get_notice().to_string();
    assert!(notice.contains("Health is closed now"), "{notice}");
    let day = night
        .with_timezone(&chrono_tz::America::Bogota)
        .date_naive();
    assert!(stored_labels(&s.data, day).is_empty());
    // Every closed tile says when it opens (the services open at 08:00 on weekdays).
    let status = |ui: &KioskWindow, name: &str| {
        use slint::Model;
        let m = ui.global::<integra::ui::ServicesAdapter>().get_services();
        (0..m.row_count())
            .filter_map(|i| m.row_data(i))
            .find(|t| t.name == name)
            .map(|t| t.status.to_string())
            .unwrap_or_else(|| panic!("no tile {name}"))
    };
    assert_eq!(status(&s.ui, "Health"), "Closed · opens tomorrow at 08:00");
    snapshot(&s.ui, "800x480-en-services-at-night");
    // Saturday night: the next opening is Monday's, by name, in the visitor's language.
    let saturday = start(
        Arc::new(Catalog::demo().expect("demo")),
        local(10, 20, 0),
        None,
        |_| {},
    );
    tap(&saturday.ui, "Español");
    let salud = Catalog::demo()
        .expect("demo")
        .service(&"health".into())
        .map(|s| s.name[&Lang::Es].clone())
        .expect("health");
    assert_eq!(
        status(&saturday.ui, &salud),
        "Cerrado · abre el lunes a las 08:00"
    );
    snapshot(&saturday.ui, "800x480-es-services-saturday-night");
}

/// The code of an activity sign-up, typed on its day, counts the person present (no ticket).
fn an_activity_code_checks_in_as_present() {
    let at = local(5, 14, 40);
    let mut code = String::new();
    let s = start(catalog(), at, None, |e| {
        let events = e
            .execute(
                &Command::SignUp {
                    activity: "sewing".into(),
                    date: at.with_timezone(&tz()).date_naive(),
                    lang: Lang::Es,
                    contact: Contact::default(),
                    nonce: 78,
                },
                local(5, 8, 0),
            )
            .expect("sign up");
        code = signed(&events).0.code;
    });
    tap(&s.ui, "Español");
    tap(&s.ui, "Tengo una cita / pedir una cita");
    for d in code.chars() {
        tap(&s.ui, &d.to_string());
    }
    tap(&s.ui, "Aceptar");
    assert_eq!(screen(&s.ui), Screen::Confirm);
    let es = integra::i18n::Localizer::new(Lang::Es).expect("es");
    assert_eq!(
        s.ui.global::<integra::ui::ConfirmAdapter>()
            .get_title()
            .as_str(),
        es.text("kiosk-confirm-attended", None)
    );
    assert!(has(&s.ui, "Costura"), "the activity is named");
    let stored = Store::open(&s.data)
        .expect("store")
        .events_of_types(&["sign_up_attended"], 5)
        .expect("events");
    assert_eq!(stored.len(), 1, "present, once, on disk");
    assert!(
        stored_labels(&s.data, at.with_timezone(&tz()).date_naive()).is_empty(),
        "no ticket"
    );
}

fn check_in_by_code() {
    let at = local(5, 10, 5);
    let mut code = String::new();
    let s = start(catalog(), at, None, |e| {
        let events = e
            .execute(
                &Command::BookAppointment {
                    service: "legal".into(),
                    date: at.with_timezone(&tz()).date_naive(),
                    time: chrono::NaiveTime::from_hms_opt(10, 30, 0).expect("t"),
                    lang: Lang::Fr,
                    contact: Contact::default(),
                    nonce: 77,
                },
                local(5, 8, 0),
            )
            .expect("book");
        code = booked(&events).code;
    });
    tap(&s.ui, "Español");
    tap(&s.ui, "Tengo una cita / pedir una cita");
    assert_eq!(screen(&s.ui), Screen::Checkin);
    // A wrong code first: a clear word, nothing issued.
    for d in ["9", "9", "9"] {
        tap(&s.ui, d);
    }
    tap(&s.ui, "Aceptar");
    assert_eq!(screen(&s.ui), Screen::Checkin);
    let err =
        s.ui.global::<integra::ui::CheckinAdapter>()
            .get_error()
            .to_string();
    assert!(err.contains("No encontramos ese código"), "{err}");
    for _ in 0..3 {
        tap(&s.ui, "Borrar");
    }
    for d in code.chars() {
        tap(&s.ui, &d.to_string());
    }
    tap(&s.ui, "Aceptar");
    assert_eq!(screen(&s.ui), Screen::Ticket);
    assert_eq!(
        s.ui.global::<TicketAdapter>().get_number().as_str(),
        "B-001"
    );
    assert_eq!(
        stored_labels(&s.data, at.with_timezone(&tz()).date_naive()),
        ["B-001"]
    );
}

fn a_full_activity_offers_the_waitlist() {
    let at = monday_9();
    let s = start(catalog(), at, None, |e| {
        for n in 0..3 {
            e.execute(
                &Command::SignUp {
                    activity: "sewing".into(),
                    date: at.with_timezone(&tz()).date_naive(),
                    lang: Lang::Es,
                    contact: Contact::default(),
                    nonce: n,
                },
                at,
            )
            .expect("sign up");
        }
    });
    tap(&s.ui, "English");
    tap(&s.ui, "Group activities");
    assert_eq!(screen(&s.ui), Screen::Activities);
    // Today's session is full (3 of 3): the first button offers the waitlist.
    tap(&s.ui, "Join the waitlist");
    assert_eq!(screen(&s.ui), Screen::Confirm);
    let lines: Vec<String> =
        slint::Model::iter(&s.ui.global::<integra::ui::ConfirmAdapter>().get_lines())
            .map(|l| l.to_string())
            .collect();
    assert!(
        lines
            .iter()
            .any(|l| l == "You are number 1 on the waitlist"),
        "{lines:?}"
    );
}

fn idle_timeout_forgets_typed_data() {
    let s = start(catalog(), monday_9(), None, |_| {});
    tap(&s.ui, "English");
    tap(&s.ui, "I have an appointment / book one");
    tap(&s.ui, "1");
    tap(&s.ui, "2");
    assert_eq!(
        s.ui.global::<integra::ui::CheckinAdapter>()
            .get_code()
            .as_str(),
        "12"
    );
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(30));
    assert_eq!(screen(&s.ui), Screen::Checkin, "not yet idle");
    let a = s.ui.global::<integra::ui::KioskAdapter>();
    assert!(!a.get_idle_warning());
    // 35 s: ten seconds before going back, "Are you still there?" floats over the screen.
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(6));
    assert!(
        a.get_idle_warning(),
        "a warning 10 s before the idle return"
    );
    assert!(kiosk_shows(&s.ui, "Are you still there?"));
    assert_eq!(screen(&s.ui), Screen::Checkin);
    snapshot(&s.ui, "800x480-en-idle-warning");
    // "Continue" keeps the visitor where they were, with what they typed.
    tap(&s.ui, "Continue");
    assert!(!a.get_idle_warning());
    assert_eq!(screen(&s.ui), Screen::Checkin);
    assert_eq!(
        s.ui.global::<integra::ui::CheckinAdapter>()
            .get_code()
            .as_str(),
        "12"
    );
    // Untouched again: the warning after 35 s, the start 10 s later.
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(36));
    assert!(a.get_idle_warning());
    assert_eq!(screen(&s.ui), Screen::Checkin, "not yet");
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(10));
    assert_eq!(screen(&s.ui), Screen::Welcome, "back to welcome after 45 s");
    assert!(!a.get_idle_warning());
    tap(&s.ui, "English");
    tap(&s.ui, "I have an appointment / book one");
    assert_eq!(
        s.ui.global::<integra::ui::CheckinAdapter>()
            .get_code()
            .as_str(),
        ""
    );
}

/// A visitor books on the kiosk with a first name and a phone: the letters go to the name; a tap
/// on the phone field brings the digit keypad and the digits go to the phone; a tap on the name
/// field goes back to the letters, and nothing typed is lost. The appointment the hub keeps
/// has both, under the code the confirmation shows.
fn a_visitor_books_with_a_name_and_a_phone() {
    use integra::ui::{ChoiceAdapter, ConfirmAdapter, ContactAdapter, ContactField};
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |_| {});
    tap(&s.ui, "English");
    tap(&s.ui, "I have an appointment / book one");
    tap(&s.ui, "Book a new appointment");
    tap(&s.ui, &demo.services[1].name[&Lang::En]);
    let choices = || s.ui.global::<ChoiceAdapter>().get_choices();
    let day = slint::Model::row_data(&choices(), 0).expect("a day");
    tap(&s.ui, &day.label);
    let time = slint::Model::iter(&choices())
        .find(|c| c.enabled)
        .expect("a free time");
    tap(&s.ui, &time.label);
    assert_eq!(screen(&s.ui), Screen::Contact);
    let c = s.ui.global::<ContactAdapter>();
    assert_eq!(c.get_field(), ContactField::Name, "the name comes first");
    assert!(has(&s.ui, "A") && !has(&s.ui, "7"), "letters, not digits");
    for key in ["A", "N", "A"] {
        tap(&s.ui, key);
    }
    tap(&s.ui, "Phone");
    assert_eq!(c.get_field(), ContactField::Phone);
    assert!(has(&s.ui, "7") && !has(&s.ui, "N"), "digits, not letters");
    for key in ["3", "0", "0", "5", "5", "5", "1", "2", "3", "4"] {
        tap(&s.ui, key);
    }
    assert_eq!(c.get_phone().as_str(), "3005551234");
    tap(&s.ui, "First name");
    assert_eq!(c.get_field(), ContactField::Name);
    assert!(has(&s.ui, "N"), "the letters are back");
    let name = c.get_name().to_string();
    assert_eq!(name.to_lowercase(), "ana", "{name}");
    assert_eq!(c.get_phone().as_str(), "3005551234", "the phone is kept");
    tap(&s.ui, "Continue");
    assert_eq!(screen(&s.ui), Screen::Confirm);
    let code = s.ui.global::<ConfirmAdapter>().get_code().to_string();
    let session = s.hub.session();
    let booked = session
        .queue()
        .state()
        .appointments
        .values()
        .find(|a| a.code == code)
        .expect("the appointment under the code shown");
    assert_eq!(booked.contact.name.as_deref(), Some(name.as_str()));
    assert_eq!(booked.contact.phone.as_deref(), Some("3005551234"));
    assert_eq!(booked.service, demo.services[1].code);
}

fn a_failed_print_keeps_the_number_and_says_remember_it() {
    let port = super::common::free_port();
    let printer: PrinterUri = format!("tcp://127.0.0.1:{port}").parse().expect("uri");
    let s = start(catalog(), monday_9(), Some(printer), |_| {});
    tap(&s.ui, "Español");
    tap(&s.ui, "Información");
    tap(&s.ui, "No, continuar");
    assert_eq!(screen(&s.ui), Screen::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    wait_for("the print failure", || {
        kiosk::pump();
        t.get_print_failed()
    });
    assert_eq!(t.get_number().as_str(), "A-001");
    assert!(
        t.get_remember_line().contains("recuerde su número: A-001"),
        "{}",
        t.get_remember_line()
    );
    // It stays on screen longer than a printed ticket (20 s), then goes home by itself —
    // quietly: nothing ever covers the number to remember.
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(25));
    assert_eq!(screen(&s.ui), Screen::Ticket);
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(34));
    assert!(!s.ui.global::<KioskAdapter>().get_idle_warning());
    assert_eq!(screen(&s.ui), Screen::Ticket);
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    assert_eq!(screen(&s.ui), Screen::Welcome);
}

pub(super) fn snapshot(ui: &KioskWindow, name: &str) -> std::path::PathBuf {
    let path = screen_shot(ui, name);
    touch_targets_fit(ui, name);
    path
}

/// The window as a PNG under the test's screens directory (checked not blank).
fn screen_shot(ui: &KioskWindow, name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).expect("screens dir");
    let shot = ui.window().take_snapshot().expect("snapshot");
    let (w, h) = (shot.width(), shot.height());
    let img = image::RgbaImage::from_raw(w, h, shot.as_bytes().to_vec()).expect("pixels");
    // A rendered screen has text and shapes: many colours, not a blank frame (counted until
    // there are enough).
    let mut colours = std::collections::HashSet::new();
    for p in img.pixels() {
        colours.insert(p.0);
        if colours.len() > 20 {
            break;
        }
    }
    assert!(
        colours.len() > 20,
        "{name} looks blank ({} colours)",
        colours.len()
    );
    let path = dir.join(format!("{name}.png"));
    img.save(&path).expect("save png");
    path
}

/// Every button on the screen is at least 60×60 px and lies wholly inside the window (a
/// button pushed off the edge by a long translation is one a visitor cannot press).
/// Where the first element labelled `label` is on screen, and its size.
pub(super) fn position(ui: &KioskWindow, label: &str) -> (f32, f32, f32, f32) {
    let e = ElementHandle::find_by_accessible_label(ui, label)
        .next()
        .unwrap_or_else(|| panic!("nothing labelled {label:?}"));
    let (p, z) = (e.absolute_position(), e.size());
    (p.x, p.y, z.width, z.height)
}

/// A wrong code says so in its reserved place: the keypad and the buttons stay where the
/// finger is, in landscape and portrait.
fn the_keypad_does_not_move_on_a_wrong_code() {
    for (w, h) in [(800, 480), (480, 800), (1920, 1080)] {
        let s = start(catalog(), monday_9(), None, |_| {});
        s.ui.window().set_size(slint::PhysicalSize::new(w, h));
        tap(&s.ui, "English");
        tap(&s.ui, "I have an appointment / book one");
        for d in ["9", "9", "9", "9", "9", "9"] {
            tap(&s.ui, d);
        }
        let watched = ["1", "0", "OK", "Delete", "Book a new appointment"];
        let before: Vec<_> = watched.iter().map(|l| position(&s.ui, l)).collect();
        tap(&s.ui, "OK");
        let error = s.ui.global::<integra::ui::CheckinAdapter>().get_error();
        assert!(!error.is_empty(), "{w}×{h}: the wrong code is said");
        let after: Vec<_> = watched.iter().map(|l| position(&s.ui, l)).collect();
        assert_eq!(before, after, "{w}×{h}: nothing moved under the finger");
    }
}

fn touch_targets_fit(ui: &KioskWindow, name: &str) {
    let size = ui.window().size().to_logical(ui.window().scale_factor());
    let buttons = i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_accessible_role(i_slint_backend_testing::AccessibleRole::Button)
        .find_all();
    assert!(buttons.len() >= 2, "{name}: only {} buttons", buttons.len());
    for b in buttons {
        let label = b.accessible_label().unwrap_or_default();
        let (sz, pos) = (b.size(), b.absolute_position());
        assert!(
            sz.width >= 60.0 && sz.height >= 60.0,
            "{name}: button {label:?} is {}×{} px, under 60",
            sz.width,
            sz.height
        );
        // Lists scroll vertically, so a button may start below the fold; but nothing may be
        // pushed off the sides or above the top.
        assert!(
            pos.x >= -0.5 && pos.y >= -0.5 && pos.x + sz.width <= size.width + 0.5,
            "{name}: button {label:?} at {pos:?} size {sz:?} leaves the {size:?} window"
        );
    }
}

/// WCAG relative luminance of an sRGB colour.
fn luminance(c: slint::Color) -> f64 {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.red()) + 0.7152 * lin(c.green()) + 0.0722 * lin(c.blue())
}

fn contrast(a: slint::Color, b: slint::Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn contrast_formula_matches_wcag_examples() {
    let c = |r, g, b| slint::Color::from_rgb_u8(r, g, b);
    assert!((contrast(c(0, 0, 0), c(255, 255, 255)) - 21.0).abs() < 0.01);
    assert!((contrast(c(0x77, 0x77, 0x77), c(255, 255, 255)) - 4.48).abs() < 0.01);
}

/// Every text colour of the Theme against every surface it is drawn on: at least 7:1 (WCAG AAA).
fn theme_text_contrast_is_at_least_7_to_1(ui: &KioskWindow) {
    let t = ui.global::<integra::ui::Theme>();
    let pairs = [
        ("text / background", t.get_text(), t.get_background()),
        ("text / surface", t.get_text(), t.get_surface()),
        (
            "text-muted / background",
            t.get_text_muted(),
            t.get_background(),
        ),
        ("text-muted / surface", t.get_text_muted(), t.get_surface()),
        ("on-primary / primary", t.get_on_primary(), t.get_primary()),
        (
            "on-primary / primary-pressed",
            t.get_on_primary(),
            t.get_primary_pressed(),
        ),
        ("on-accent / accent", t.get_on_accent(), t.get_accent()),
        (
            "closed-text / closed-surface",
            t.get_closed_text(),
            t.get_closed_surface(),
        ),
        (
            "warning-text / warning-surface",
            t.get_warning_text(),
            t.get_warning_surface(),
        ),
        ("primary / surface", t.get_primary(), t.get_surface()),
        ("primary / background", t.get_primary(), t.get_background()),
    ];
    for (name, fg, bg) in pairs {
        let r = contrast(fg, bg);
        assert!(r >= 7.0, "{name}: contrast {r:.2}:1, under 7:1");
    }
}

/// Every screen in every language at 800×480 (and a few at 1920×1080 and in portrait), as PNG
/// files in target/tmp/screens, for a person to look at.
fn screenshots_of_every_screen_in_every_language() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let sizes: [(u32, u32, &str); 5] = [
        (800, 480, "800x480"),
        (1920, 1080, "1920x1080"),
        (480, 800, "480x800"),
        (800, 480, "800x480-larger"),
        (480, 800, "480x800-larger"),
    ];
    for (w, h, size) in sizes {
        let larger = size.ends_with("larger");
        for lang in Lang::ALL {
            if size != "800x480" && lang != Lang::Ht && lang != Lang::Fr && lang != Lang::Pt {
                continue;
            }
            let l = integra::i18n::Localizer::new(lang).expect("l");
            // Choose the language, then (in the larger-text runs) the "larger text" switch.
            let enter = |ui: &KioskWindow| {
                tap(ui, lang.native_name());
                if larger {
                    let switch = || {
                        ElementHandle::find_by_accessible_label(ui, &l.text("kiosk-larger", None))
                            .next()
                            .expect("the larger-text switch")
                    };
                    assert_eq!(switch().accessible_checked(), Some(false));
                    tap(ui, &l.text("kiosk-larger", None));
                    assert!(ui.global::<integra::ui::Theme>().get_large_text());
                    assert_eq!(
                        switch().accessible_checked(),
                        Some(true),
                        "it shows it is on"
                    );
                }
            };
            let s = start(demo.clone(), monday_9(), None, |e| {
                for (svc, n) in [("info", 4), ("legal", 2), ("health", 1)] {
                    for _ in 0..n {
                        e.execute(&issue(svc, None), monday_9() - mins(30))
                            .expect("issue");
                    }
                }
            });
            s.ui.window().set_size(slint::PhysicalSize::new(w, h));
            let n = |screen: &str| format!("{size}-{}-{screen}", lang.code());
            snapshot(&s.ui, &n("1-welcome"));
            enter(&s.ui);
            snapshot(&s.ui, &n("2-services"));
            let info = demo.services[0].name[&lang].clone();
            tap(&s.ui, &info);
            snapshot(&s.ui, &n("3-priority"));
            tap(&s.ui, &l.text("kiosk-priority-skip", None));
            snapshot(&s.ui, &n("4-ticket"));
            s.ui.global::<TicketAdapter>().set_print_failed(true);
            snapshot(&s.ui, &n("4b-ticket-print-failed"));
            tap(&s.ui, &l.text("kiosk-done", None));
            enter(&s.ui);
            tap(&s.ui, &l.text("kiosk-appointments", None));
            tap(&s.ui, "4");
            tap(&s.ui, "2");
            snapshot(&s.ui, &n("5-checkin"));
            // The way to book stays wholly on screen, even with larger text.
            let (_, y, _, bh) = position(&s.ui, &l.text("kiosk-book", None));
            assert!(
                y + bh <= h as f32 + 0.5,
                "{}: the book button is cut at the bottom ({y} + {bh} > {h})",
                n("5-checkin")
            );
            tap(&s.ui, &l.text("kiosk-book", None));
            snapshot(&s.ui, &n("6-book-service"));
            tap(&s.ui, &demo.services[1].name[&lang]);
            snapshot(&s.ui, &n("7-book-day"));
            let first_day = slint::Model::row_data(
                &s.ui.global::<integra::ui::ChoiceAdapter>().get_choices(),
                0,
            )
            .expect("a day");
            tap(&s.ui, &first_day.label);
            snapshot(&s.ui, &n("8-book-time"));
            let first_time =
                slint::Model::iter(&s.ui.global::<integra::ui::ChoiceAdapter>().get_choices())
                    .find(|c| c.enabled)
                    .expect("a free time");
            tap(&s.ui, &first_time.label);
            super::visitor::type_letters(&s.ui, lang, &["M", "A", "R"]);
            snapshot(&s.ui, &n("9-contact"));
            tap(&s.ui, &l.text("kiosk-next", None));
            assert_eq!(screen(&s.ui), Screen::Confirm, "{size} {lang}");
            snapshot(&s.ui, &n("10-confirm-appointment"));
            tap(&s.ui, &l.text("kiosk-done", None));
            enter(&s.ui);
            tap(&s.ui, &l.text("kiosk-activities", None));
            snapshot(&s.ui, &n("11-activities"));
        }
    }
}

/// One kiosk scenario: on its own test thread with its own Slint testing platform (the platform
/// belongs to a thread), one at a time (the kiosk's jobs from other threads wait in one
/// process-wide queue that the test pumps). A failing scenario does not hide the others.
pub(super) fn scenario(f: fn()) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("testing platform (a new thread per test)");
    // Jobs a failed scenario left behind belong to no kiosk here: run them away.
    kiosk::pump();
    f();
    kiosk::stop();
}

fn theme_contrast() {
    theme_text_contrast_is_at_least_7_to_1(
        &start(
            Arc::new(Catalog::demo().expect("demo")),
            monday_9(),
            None,
            |_| {},
        )
        .ui,
    );
}

/// Every scenario is its own test: `kiosk::scenario::NAME`.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod scenario {
            $(
                #[test]
                fn $name() {
                    super::scenario(super::$name);
                }
            )*
        }
    };
}

scenarios!(
    theme_contrast,
    walk_in_in_three_taps,
    the_speaker_button_reads_the_screen_aloud,
    every_service_fits_every_screen,
    every_priority_class_is_reachable_on_every_screen,
    second_kiosk_issues_through_the_hub,
    a_network_kiosk_says_at_once_when_its_hub_is_unreachable,
    a_hub_kiosk_that_stepped_down_sends_visitors_to_reception,
    an_admin_change_reaches_a_kiosk_on_screen,
    an_admin_change_reaches_the_hubs_own_kiosk,
    lobby_display_follows_the_hub,
    a_display_says_when_the_hubs_clock_is_unsure,
    counter_terminal_calls_and_serves,
    closed_service_says_so_and_issues_nothing,
    check_in_by_code,
    an_activity_code_checks_in_as_present,
    a_full_activity_offers_the_waitlist,
    idle_timeout_forgets_typed_data,
    a_visitor_books_with_a_name_and_a_phone,
    a_failed_print_keeps_the_number_and_says_remember_it,
    screenshots_of_every_screen_in_every_language,
    a_discreet_ticket_looks_ordinary_on_the_kiosk_and_the_slip,
    the_hubs_kiosk_counts_a_cover_service_as_the_display_does,
    wrong_codes_at_the_kiosk_are_limited_and_tell_nothing,
    the_keypad_does_not_move_on_a_wrong_code,
    a_discreet_call_looks_ordinary_on_the_display_and_sounds_ordinary,
    the_counter_shows_class_language_and_protection_requests,
    the_counter_never_freezes_while_the_hub_stalls,
    a_counter_with_a_frozen_stream_refuses_to_act_and_says_so,
);

// ---------------------------------------------------------------- safeguarding

pub(super) fn text_in(lang: Lang, id: &str) -> String {
    integra::i18n::Localizer::new(lang)
        .expect("locale")
        .text(id, None)
}

/// Any element on the kiosk whose label contains `needle`.
pub(super) fn kiosk_shows(ui: &KioskWindow, needle: &str) -> bool {
    i_slint_backend_testing::ElementQuery::from_root(ui)
        .match_descendants()
        .match_predicate({
            let needle = needle.to_string();
            move |e| e.accessible_label().is_some_and(|l| l.contains(&needle))
        })
        .find_first()
        .is_some()
}

/// Everything that would say "protection" to someone in the lobby, in every language.
fn protection_words(demo: &Catalog) -> Vec<String> {
    let s = demo.service(&"protection".into()).expect("service");
    let c = demo.priority_class(&"protection".into()).expect("class");
    let mut out = vec!["Sala protegida".to_string()];
    for l in Lang::ALL {
        out.extend([
            s.name[&l].clone(),
            s.description[&l].clone(),
            c.name[&l].clone(),
        ]);
    }
    out
}

/// A visitor who needs protection, in each language: an ordinary-looking ticket of Information
/// (its letter, its name, the people ahead and wait of its place in the queue the lobby sees),
/// and nothing on the screen or the slip that names the service or the class. Then the class
/// "urgent protection" on another service: an ordinary ticket of that service.
fn a_discreet_ticket_looks_ordinary_on_the_kiosk_and_the_slip() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |_| {});
    let words = protection_words(&demo);
    let protection = demo.service(&"protection".into()).expect("service").clone();
    let mut printed_len = 0;
    for (i, lang) in Lang::ALL.into_iter().enumerate() {
        tap(&s.ui, lang.native_name());
        // The tile is below the fold at 800×480 (the list scrolls): pick it as its tap does.
        let tiles = s.ui.global::<integra::ui::ServicesAdapter>().get_services();
        let tile = (0..slint::Model::row_count(&tiles))
            .filter_map(|i| slint::Model::row_data(&tiles, i))
            .find(|t| t.code == "protection")
            .expect("the protection tile");
        assert_eq!(tile.name.as_str(), protection.name[&lang]);
        assert_eq!(
            tile.status.as_str(),
            text_in(lang, "kiosk-status-open-plain"),
            "no count of people waiting for protection"
        );
        s.ui.global::<integra::ui::ServicesAdapter>()
            .invoke_pick("protection".into());
        assert_eq!(screen(&s.ui), Screen::Priority);
        tap(&s.ui, &text_in(lang, "kiosk-priority-skip"));
        assert_eq!(screen(&s.ui), Screen::Ticket, "{lang}");
        let t = s.ui.global::<TicketAdapter>();
        assert_eq!(t.get_number().as_str(), format!("A-{:03}", i + 1));
        // An ordinary Information ticket in its place: the cover's name, the people ahead in
        // the queue the lobby sees (the protection visitors before it), the wait.
        let info = demo.service(&"info".into()).expect("info");
        assert_eq!(t.get_service().as_str(), info.name[&lang]);
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("count", i);
        assert_eq!(
            t.get_ahead().as_str(),
            integra::i18n::Localizer::new(lang)
                .expect("locale")
                .text("kiosk-ticket-ahead", Some(&args))
        );
        assert_eq!(
            t.get_wait().is_empty(),
            i == 0,
            "a wait once someone is ahead"
        );
        for w in &words {
            assert!(!kiosk_shows(&s.ui, w), "{lang}: '{w}' on the ticket screen");
        }
        snapshot(&s.ui, &format!("kiosk-discreet-ticket-800x480-{lang}"));
        // The slip: printed after the number is shown, and says nothing either.
        wait_for("the slip", || {
            std::fs::metadata(&s.preview).is_ok_and(|m| m.len() as usize > printed_len)
        });
        let bytes = std::fs::read(&s.preview).expect("preview");
        let slip = String::from_utf8_lossy(&bytes[printed_len..]).into_owned();
        printed_len = bytes.len();
        assert!(slip.contains(&format!("A-{:03}", i + 1)), "{slip}");
        for w in [
            "protec", "Protec", "pwotek", "Pwotek", "Espacio", "Espa", "Safe", "Sala",
        ] {
            assert!(!slip.contains(w), "{lang}: '{w}' on the slip");
        }
        tap(&s.ui, &text_in(lang, "kiosk-done"));
        assert_eq!(screen(&s.ui), Screen::Welcome);
    }
    // A discreet class on an ordinary service: its own letter, no class anywhere.
    tap(&s.ui, "Español");
    tap(&s.ui, "Asesoría legal y regularización");
    tap(&s.ui, "Necesito protección urgente");
    assert_eq!(screen(&s.ui), Screen::Ticket);
    let t = s.ui.global::<TicketAdapter>();
    assert_eq!(t.get_number().as_str(), "B-001");
    assert_eq!(t.get_service().as_str(), "Asesoría legal y regularización");
    for w in &words {
        assert!(!kiosk_shows(&s.ui, w), "'{w}' on the ticket screen");
    }
    // The hub knows, and tells staff at once.
    assert_eq!(s.hub.protection_alerts().len(), 1);
    assert_eq!(s.hub.protection_alerts()[0].label, "B-001");
    kiosk::stop();
}

/// The hub's own kiosk reads the queue the lobby sees: with a protection visitor waiting (shown
/// in public as one of Information's), its Information tile counts what the lobby display
/// counts — people and wait — where it used to count one fewer ("3 waiting" beside the
/// display's "4" told that a protection visitor was waiting).
fn the_hubs_kiosk_counts_a_cover_service_as_the_display_does() {
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let s = start(demo.clone(), monday_9(), None, |e| {
        for service in ["info", "protection", "info"] {
            e.execute(&issue(service, None), monday_9() - mins(20))
                .expect("issue");
        }
    });
    let display = {
        let session = s.hub.session();
        integra::hub::view::queue_view(session.queue(), integra::hub::Role::Display, monday_9())
    };
    let info = display
        .services
        .iter()
        .find(|v| v.code == "info")
        .expect("Information on the display");
    assert_eq!(
        info.waiting.len(),
        3,
        "the display counts the discreet ticket"
    );
    tap(&s.ui, "Español");
    let tiles = s.ui.global::<integra::ui::ServicesAdapter>().get_services();
    let tile = (0..slint::Model::row_count(&tiles))
        .filter_map(|i| slint::Model::row_data(&tiles, i))
        .find(|t| t.code == "info")
        .expect("the Information tile");
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("count", info.waiting.len());
    args.set("minutes", info.wait_minutes);
    let expected = integra::i18n::Localizer::new(Lang::Es)
        .expect("locale")
        .text("kiosk-status-open", Some(&args));
    assert_eq!(tile.status.as_str(), expected);
    kiosk::stop();
}

/// Wrong codes at the kiosk: an unknown code and a code of another day get the same words;
/// after the kiosk's limit (5 a minute, whoever types them — here visitors who each start
/// again from the welcome screen) the visitor is asked, calmly, to wait, and told how long.
fn wrong_codes_at_the_kiosk_are_limited_and_tell_nothing() {
    let at = local(5, 10, 5);
    let mut tomorrow = String::new();
    let s = start(catalog(), at, None, |e| {
        let events = e
            .execute(
                &Command::BookAppointment {
                    service: "legal".into(),
                    date: at.with_timezone(&tz()).date_naive() + chrono::Duration::days(1),
                    time: chrono::NaiveTime::from_hms_opt(10, 30, 0).expect("t"),
                    lang: Lang::En,
                    contact: Contact::default(),
                    nonce: 77,
                },
                local(5, 8, 0),
            )
            .expect("book");
        tomorrow = booked(&events).code;
    });
    tap(&s.ui, "English");
    tap(&s.ui, &text_in(Lang::En, "kiosk-appointments"));
    assert_eq!(screen(&s.ui), Screen::Checkin);
    let unknown = if tomorrow == "999999" {
        "999998"
    } else {
        "999999"
    };
    let type_code = |code: &str| {
        // A new visitor each time (Home forgets a visitor's own wrong codes).
        tap(&s.ui, &text_in(Lang::En, "kiosk-home"));
        tap(&s.ui, "English");
        tap(&s.ui, &text_in(Lang::En, "kiosk-appointments"));
        for d in code.chars() {
            tap(&s.ui, &d.to_string());
        }
        tap(&s.ui, &text_in(Lang::En, "kiosk-ok"));
        assert_eq!(screen(&s.ui), Screen::Checkin);
        s.ui.global::<integra::ui::CheckinAdapter>()
            .get_error()
            .to_string()
    };
    let a = type_code(&tomorrow);
    let b = type_code(unknown);
    assert_eq!(a, b, "the same words for a code of another day");
    let expected = integra::i18n::Localizer::new(Lang::En).expect("fr").error(
        &integra::core::QueueError::CodeNotForToday(String::new()),
        &catalog(),
    );
    assert_eq!(a, expected);
    for _ in 0..3 {
        assert_eq!(type_code(unknown), expected);
    }
    let limited = type_code(&tomorrow);
    let l = integra::i18n::Localizer::new(Lang::En).expect("en");
    let says = |n: u32| {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("seconds", n);
        l.text("kiosk-too-many-wait", Some(&args))
    };
    let left = (1..=60)
        .find(|n| limited == says(*n))
        .unwrap_or_else(|| panic!("the wait is said in seconds: {limited}"));
    assert!(
        s.ui.global::<integra::ui::CheckinAdapter>().get_waiting(),
        "OK rests while the kiosk waits"
    );
    snapshot(&s.ui, "kiosk-checkin-too-many-800x480-en");
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    if left > 1 {
        assert_eq!(
            s.ui.global::<integra::ui::CheckinAdapter>().get_error(),
            says(left - 1),
            "it counts down"
        );
    }
    kiosk::stop();
}

/// A discreet call on the lobby display and in the spoken call, with the display in each
/// language: the number and "Recepción" (the reception's public name, shared by the protected
/// room), the service of its letter, never the protection service, its class or the room.
fn a_discreet_call_looks_ordinary_on_the_display_and_sounds_ordinary() {
    use integra::hub::Role;
    use integra::ui::{DisplayAdapter, DisplayWindow, display::Display};
    let LoopbackHub {
        rt: _rt,
        hub,
        dir,
        remote,
        demo,
    } = loopback_hub(Role::Display, "Lobby TV");
    let words = protection_words(&demo);
    let ui = DisplayWindow::new().expect("display window");
    ui.window().set_size(slint::PhysicalSize::new(1920, 1080));
    ui.show().expect("show");
    let sounds = dir.path().join("discreet-sounds");
    std::fs::create_dir_all(&sounds).expect("sounds");
    let run = |cmd: Command| hub.session().execute(&cmd, monday_9()).expect("command");
    let mut expected_lines = 0;
    for lang in Lang::ALL {
        integra::ui::display::stop();
        let announcer = integra::audio::Announcer::start(
            integra::audio::AnnounceConfig {
                chime: false,
                voice: true,
                center_lang: Lang::Es,
                voices: Default::default(),
            },
            Box::new(integra::audio::Files {
                dir: sounds.clone(),
                count: 0,
            }),
        );
        let d = Display::start(&ui, remote.clone(), lang, Some(monday_9()), Some(announcer))
            .expect("display");
        // An ordinary visitor at reception, then a visitor for protection in the protected room.
        run(Command::IssueTicket {
            service: "info".into(),
            lang,
            priority: None,
        });
        run(Command::CallNext {
            counter: "1".into(),
        });
        let ordinary = hub
            .session()
            .queue()
            .current_at(&"1".into())
            .map(|t| t.label())
            .expect("called");
        run(Command::IssueTicket {
            service: "protection".into(),
            lang,
            priority: None,
        });
        run(Command::CallNext {
            counter: "5".into(),
        });
        let discreet = hub
            .session()
            .queue()
            .current_at(&"5".into())
            .map(|t| t.label())
            .expect("called");
        let seq = hub.session().queue().seq();
        wait_for("the mirror", || remote.seq() == seq);
        d.refresh();
        let a = ui.global::<DisplayAdapter>();
        assert_eq!(a.get_current_label().as_str(), discreet);
        assert_eq!(a.get_current_counter().as_str(), "Recepción");
        let info = &demo.service(&"info".into()).expect("info").name;
        assert_eq!(
            a.get_current_service().as_str(),
            integra::core::pick(info, lang, Lang::Es),
            "the service of its letter"
        );
        for w in &words {
            assert!(!has_display(&ui, w), "{lang}: '{w}' on the display");
        }
        display_snapshot(&ui, &format!("display-discreet-1920x1080-{lang}"));
        // Heard: the same words as for the ordinary call, but the number.
        expected_lines += if lang == Lang::Es { 2 } else { 4 };
        wait_for("the spoken calls", || {
            std::fs::read_to_string(sounds.join("spoken.txt"))
                .is_ok_and(|t| t.lines().count() >= expected_lines)
        });
        let spoken = std::fs::read_to_string(sounds.join("spoken.txt")).expect("spoken");
        for l in [lang, Lang::Es] {
            let said = |label: &str| {
                spoken
                    .lines()
                    .find_map(|line| line.strip_prefix(&format!("{label}-{}\t", l.code())))
                    .unwrap_or_else(|| panic!("{label} in {l} not spoken: {spoken}"))
                    .to_string()
            };
            let (o, x) = (said(&ordinary), said(&discreet));
            let number = |label: &str| {
                label
                    .trim_start_matches("A-")
                    .trim_start_matches('0')
                    .to_string()
            };
            assert_eq!(
                x.replace(&number(&discreet), "#"),
                o.replace(&number(&ordinary), "#"),
                "{lang}/{l}: a discreet call sounds like any call at reception"
            );
            for w in &words {
                assert!(!x.contains(w.as_str()), "{l}: '{w}' spoken");
            }
            assert!(x.contains("Recepción"), "{x}");
        }
        // Finish both, so the next language starts from a quiet lobby.
        for counter in ["1", "5"] {
            let id = hub
                .session()
                .queue()
                .current_at(&counter.into())
                .map(|t| t.id)
                .expect("called");
            run(Command::Finish { ticket: id });
        }
    }
    integra::ui::display::stop();
}

/// The counter terminal shows each ticket's priority class (icon + name) and language, and an
/// urgent protection request until someone taps "Seen" (which reaches every staff device).
fn the_counter_shows_class_language_and_protection_requests() {
    use integra::ui::{CounterAdapter, CounterWindow, counter::Counter};
    let LoopbackHub {
        rt: _rt,
        hub,
        dir: _dir,
        remote,
        demo: _,
    } = loopback_hub(integra::hub::Role::Counter, "Desk 2");
    let run = |cmd: Command| hub.session().execute(&cmd, monday_9()).expect("command");
    run(Command::IssueTicket {
        service: "legal".into(),
        lang: Lang::Pt,
        priority: Some("older".into()),
    });
    run(Command::IssueTicket {
        service: "legal".into(),
        lang: Lang::Ht,
        priority: Some("protection".into()),
    });
    run(Command::IssueTicket {
        service: "info".into(),
        lang: Lang::Fr,
        priority: None,
    });
    let seq = hub.session().queue().seq();
    wait_for("the mirror and the alert", || {
        remote.seq() == seq && remote.protection().len() == 1
    });
    let ui = CounterWindow::new().expect("counter window");
    ui.window().set_size(slint::PhysicalSize::new(800, 480));
    ui.show().expect("show");
    let c = Counter::start(
        &ui,
        remote.clone(),
        "2".into(),
        Lang::Es,
        Some(monday_9()),
        None,
        true,
    )
    .expect("counter");
    let a = ui.global::<CounterAdapter>();
    let rows = a.get_protection();
    assert_eq!(slint::Model::row_count(&rows), 1);
    let row = slint::Model::row_data(&rows, 0).expect("row");
    assert_eq!(row.label.as_str(), "B-002");
    assert!(
        row.text.contains("B-002") && row.text.contains("Kreyòl ayisyen"),
        "{}",
        row.text
    );
    let next = a.get_next_up();
    let first = slint::Model::row_data(&next, 0).expect("next");
    assert_eq!(first.label.as_str(), "B-001");
    assert_eq!(first.class_name.as_str(), "Persona mayor");
    assert!(first.has_class);
    assert_eq!(first.lang.as_str(), "Português");
    let second = slint::Model::row_data(&next, 1).expect("next");
    assert_eq!(second.class_name.as_str(), "Necesito protección urgente");
    assert!(second.discreet);
    assert_eq!(second.lang.as_str(), "Kreyòl ayisyen");
    let third = slint::Model::row_data(&next, 2).expect("next");
    assert!(!third.has_class);
    assert_eq!(third.lang.as_str(), "Français");
    snapshot_counter(&ui, "counter-protection-request-800x480-es");
    // "Seen": acknowledged at the hub, gone from the terminal.
    let tap = |label: &str| {
        let found: Vec<ElementHandle> =
            ElementHandle::find_by_accessible_label(&ui, label).collect();
        assert!(!found.is_empty(), "no '{label}' on the counter");
        found[0].invoke_accessible_default_action();
    };
    tap("Enterado");
    assert!(hub.protection_alerts().is_empty());
    wait_for("the alert to clear", || remote.protection().is_empty());
    c.refresh();
    assert_eq!(slint::Model::row_count(&a.get_protection()), 0);
    // Called: the current visitor's class and language under the number.
    tap("Llamar al siguiente");
    assert_eq!(a.get_current_label().as_str(), "B-001");
    let cur = a.get_current();
    assert_eq!(cur.class_name.as_str(), "Persona mayor");
    assert_eq!(cur.lang.as_str(), "Português");
    tap("Llamar al siguiente");
    assert_eq!(a.get_current_label().as_str(), "B-002");
    assert!(a.get_current().discreet);
    snapshot_counter(&ui, "counter-discreet-current-800x480-es");
    integra::ui::counter::stop();
}

/// The counter terminal's screen never waits for the network: while the hub is stuck for 5 s
/// (its engine held), a tap on "call next" returns at once (the worker thread waits, not the
/// screen), the screen keeps drawing frames and refreshing from its mirror, and the call goes
/// through once the hub is free.
fn the_counter_never_freezes_while_the_hub_stalls() {
    use integra::ui::counter::Counter;
    const STALL: Duration = Duration::from_secs(5);
    let LoopbackHub {
        rt: _rt,
        hub,
        dir: _dir,
        remote,
        demo,
    } = loopback_hub(integra::hub::Role::Counter, "Desk 3");
    let counter = demo.counters[0].clone();
    let ui = counter_desk(&hub, &remote, &counter, 2);
    let c = Counter::start(
        &ui,
        remote.clone(),
        counter.id.clone(),
        Lang::Es,
        Some(monday_9()),
        None,
        false,
    )
    .expect("counter");
    let stuck = hub.clone();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let _busy = stuck.session();
        let _ = held_tx.send(());
        std::thread::sleep(STALL);
    });
    held_rx.recv().expect("the hub is held");
    let stalled_at = Instant::now();
    let t = Instant::now();
    let found: Vec<ElementHandle> =
        ElementHandle::find_by_accessible_label(&ui, "Llamar al siguiente").collect();
    found[0].invoke_accessible_default_action();
    let tap = t.elapsed();
    let mut frames = 0;
    let mut worst = Duration::ZERO;
    while stalled_at.elapsed() < STALL - Duration::from_millis(500) {
        let t = Instant::now();
        c.refresh();
        ui.window().request_redraw();
        ui.window().take_snapshot().expect("a frame");
        worst = worst.max(t.elapsed());
        frames += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        tap < Duration::from_millis(200),
        "the tap waited {tap:?} for the stalled hub"
    );
    assert!(
        worst < Duration::from_millis(500),
        "a frame took {worst:?} while the hub was stalled"
    );
    holder.join().expect("holder");
    wait_for("the call once the hub is free", || {
        hub.session().queue().current_at(&counter.id).is_some()
    });
    println!(
        "counter during a {} s hub stall: tap returned in {} µs; {frames} frames, worst {} ms",
        STALL.as_secs(),
        tap.as_micros(),
        worst.as_millis()
    );
    integra::ui::counter::stop();
}

/// A counter whose hub lost power (no FIN: its stream just goes silent): once the stream is
/// found silent the counter says its list may be out of date and "call next" sends nothing;
/// back online, it calls again.
fn a_counter_with_a_frozen_stream_refuses_to_act_and_says_so() {
    use super::deadhub::Relay;
    use integra::hub::{Hub, Role, auth, client::Remote};
    use integra::ui::{CounterAdapter, counter::Counter};
    let demo = Arc::new(Catalog::demo().expect("demo"));
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let hub = Hub::new(
        Engine::open(dir.path(), demo.clone()).expect("engine"),
        Some(monday_9()),
    )
    .expect("hub");
    let (addr, _task) = rt
        .block_on(hub.serve("127.0.0.1:0".parse().expect("addr")))
        .expect("serve");
    let store = Store::open(dir.path()).expect("store");
    let pin = auth::new_pin(&store, Role::Counter, chrono::Utc::now())
        .expect("pin")
        .0;
    let (token, _) = Remote::pair(&format!("http://{addr}"), &pin, "Desk 4").expect("pair");
    let relay = Relay::start(addr);
    let remote =
        Remote::start(&format!("http://{}", relay.addr), &token, catalog()).expect("remote");
    wait_for("the hub's stream", || {
        remote.online() && remote.catalog() == demo
    });
    let counter = demo.counters[0].clone();
    let ui = counter_desk(&hub, &remote, &counter, 2);
    let c = Counter::start(
        &ui,
        remote.clone(),
        counter.id.clone(),
        Lang::Es,
        Some(monday_9()),
        None,
        true,
    )
    .expect("counter");
    let a = ui.global::<CounterAdapter>();
    let tap = |label: &str| {
        let found: Vec<ElementHandle> =
            ElementHandle::find_by_accessible_label(&ui, label).collect();
        assert!(!found.is_empty(), "no '{label}' on the counter");
        found[0].invoke_accessible_default_action();
    };
    let called = || {
        hub.session()
            .queue()
            .current_at(&counter.id)
            .map(|t| t.label())
    };
    relay.cut();
    let limit = integra::hub::client::STALE_AFTER + Duration::from_secs(10);
    let t = Instant::now();
    while remote.online() {
        assert!(
            t.elapsed() < limit,
            "the frozen stream still counts as online"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    c.refresh();
    tap("Llamar al siguiente");
    assert_eq!(called(), None, "nothing done on a stale list");
    // Refused here at once, not sent into the cut (which answers "no link" after 5 s).
    assert_eq!(a.get_notice().as_str(), text_in(Lang::Es, "counter-stale"));
    snapshot_counter(&ui, "counter-stale-800x480-es");
    // Power is back: the stream comes back by itself, and so does "call next".
    relay.resume();
    let t = Instant::now();
    while !remote.online() {
        assert!(t.elapsed() < Duration::from_secs(15), "not back online");
        std::thread::sleep(Duration::from_millis(50));
    }
    c.refresh();
    tap("Llamar al siguiente");
    assert!(called().is_some(), "called once the link is back");
    integra::ui::counter::stop();
}
