//! Printed tickets: code pages byte for byte, golden bytes for every layout × paper × language
//! read back by an independent decoder, links (fake TCP printer, pseudo-terminal serial), status
//! and the spooler's faults.

use chrono::{NaiveDate, NaiveTime};
use integra::core::{Catalog, Lang, ServiceCode, pick};
use integra::i18n::Localizer;
use integra::printer::fake::{FakePrinter, FakeState};
use integra::printer::layout::{ActivitySlip, AppointmentSlip, TicketSlip};
use integra::printer::{
    Alert, CodePage, Format, Job, Paper, PrinterStatus, PrinterUri, Slip, SpoolEvent, Spooler,
    SubmitError, render,
};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

// ---------------------------------------------------------------- code pages

fn reference(page: CodePage) -> Vec<Option<char>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/codepages")
        .join(format!("{}.txt", page.name()));
    let text = std::fs::read_to_string(&path).expect("reference table");
    let rows: Vec<Option<char>> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (_, cp) = l.split_once('\t').expect("byte<TAB>code point");
            cp.strip_prefix("U+")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
        })
        .collect();
    assert_eq!(rows.len(), 128, "{}", path.display());
    rows
}

#[test]
fn every_code_page_matches_its_reference_table_byte_for_byte() {
    for page in CodePage::ALL {
        let reference = reference(page);
        for (i, expected) in reference.iter().enumerate() {
            let byte = 0x80 + i as u8;
            assert_eq!(page.char_of(byte), *expected, "{page} byte {byte:#04X}");
            if let Some(c) = expected {
                assert_eq!(page.byte_of(*c), Some(byte), "{page} {c}");
            }
        }
        // ASCII goes through unchanged — unlike the escpos crate, '-' is 0x2D.
        assert_eq!(page.encode("A-023 ~"), b"A-023 ~");
    }
}

const ACCENTS: &str = "á é í ó ú ñ Ñ ¿ ¡ ç Ç ã õ â ê ô à è ò ü « »";

#[test]
fn accents_of_es_pt_fr_ht_print_right_or_are_transliterated() {
    for page in [CodePage::Cp858, CodePage::Cp850, CodePage::Cp1252] {
        let bytes = page.encode(ACCENTS);
        let back: String = bytes
            .iter()
            .map(|b| page.char_of(*b).expect("mapped"))
            .collect();
        assert_eq!(back, ACCENTS, "{page}");
    }
    // Pages without some letters transliterate them; never raw UTF-8.
    let bytes = CodePage::Cp437.encode("São João — «ok» …");
    let back: String = bytes
        .iter()
        .map(|b| CodePage::Cp437.char_of(*b).expect("mapped"))
        .collect();
    assert_eq!(back, "Sao Joao - «ok» ...");
    assert_eq!(CodePage::Cp858.encode("€"), [0xD5]);
    assert_eq!(CodePage::Cp850.encode("€"), b"EUR");
    assert_eq!(CodePage::Cp858.encode("漢"), b"?");
}

#[test]
fn code_page_names_parse() {
    for (text, page) in [
        ("cp858", CodePage::Cp858),
        ("PC850", CodePage::Cp850),
        ("wpc1252", CodePage::Cp1252),
        ("CP-860", CodePage::Cp860),
    ] {
        assert_eq!(text.parse::<CodePage>(), Ok(page));
    }
    let err = "latin9"
        .parse::<CodePage>()
        .expect_err("unknown")
        .to_string();
    assert!(err.contains("expected one of cp437, cp850, cp858"), "{err}");
}

// ---------------------------------------------------------------- decoder

/// What a printer would print, read back from the bytes independently of the layout code.
#[derive(Debug, Default)]
struct Printed {
    lines: Vec<String>,
    qr: Vec<String>,
    cuts: usize,
    pages: Vec<u8>,
}

impl Printed {
    fn flat(&self) -> String {
        self.lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn page_of(n: u8) -> CodePage {
    match n {
        0 => CodePage::Cp437,
        2 => CodePage::Cp850,
        3 => CodePage::Cp860,
        4 => CodePage::Cp863,
        16 => CodePage::Cp1252,
        19 => CodePage::Cp858,
        other => panic!("ESC t {other}: not a page this decoder knows"),
    }
}

fn decode(bytes: &[u8], columns: usize) -> Printed {
    let mut out = Printed::default();
    let mut page: Option<CodePage> = None;
    let mut width = 1usize;
    let mut line = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x1B => {
                let cmd = bytes[i + 1];
                match cmd {
                    b'@' => {
                        page = Some(CodePage::Cp437);
                        width = 1;
                        i += 2;
                    }
                    b't' => {
                        out.pages.push(bytes[i + 2]);
                        page = Some(page_of(bytes[i + 2]));
                        i += 3;
                    }
                    b'a' | b'E' | b'd' => i += 3,
                    other => panic!("unknown ESC {other:#04X} at {i}"),
                }
            }
            0x1D => match bytes[i + 1] {
                b'!' => {
                    width = usize::from(bytes[i + 2] >> 4) + 1;
                    i += 3;
                }
                b'V' => {
                    out.cuts += 1;
                    i += 4;
                }
                b'(' => {
                    assert_eq!(bytes[i + 2], b'k');
                    let len = usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]);
                    let body = &bytes[i + 5..i + 5 + len];
                    if body[1] == 0x50 {
                        out.qr
                            .push(String::from_utf8_lossy(&body[3..]).into_owned());
                    }
                    i += 5 + len;
                }
                other => panic!("unknown GS {other:#04X} at {i}"),
            },
            b'\n' => {
                assert!(
                    line.chars().count() * width <= columns,
                    "line wider than {columns} columns: '{line}' ×{width}"
                );
                out.lines.push(std::mem::take(&mut line));
                i += 1;
            }
            0x20..=0x7E | 0x80..=0xFF => {
                let p = page.expect("text before ESC @ / ESC t");
                line.push(
                    p.char_of(b)
                        .unwrap_or_else(|| panic!("{p}: byte {b:#04X} unassigned")),
                );
                i += 1;
            }
            other => panic!("unexpected control byte {other:#04X} at {i}"),
        }
    }
    assert!(line.is_empty(), "text after the last line feed: {line}");
    out
}

// ---------------------------------------------------------------- layouts

fn demo() -> Catalog {
    Catalog::demo().expect("demo")
}

fn ticket(lang: Lang) -> Slip {
    let c = demo();
    let legal = c.service(&ServiceCode::from("legal")).expect("legal");
    Slip::Ticket(TicketSlip {
        center: c.center.name.clone(),
        lang,
        service: pick(&legal.name, lang, Lang::Es).to_string(),
        service_default: (lang != Lang::Es)
            .then(|| pick(&legal.name, Lang::Es, Lang::Es).to_string()),
        label: "B-023".into(),
        issued: NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|d| d.and_hms_opt(9, 41, 0))
            .expect("time"),
        ahead: 4,
        wait_minutes: 25,
        follow: None,
    })
}

/// A follow link as the hub makes them (34-character token).
const FOLLOW: &str = "http://192.168.1.10:7878/f/dAAAAAAAAAAHxq3vYp0q2mWn8ZbXc1aTeL";

/// A discreet ticket (the protection space), issued by the real queue, as the kiosk prints it.
fn discreet(lang: Lang) -> Slip {
    issued_slip("protection", lang)
}

/// The slip of the first ticket of the day in `service`, issued by the real queue.
fn issued_slip(service: &str, lang: Lang) -> Slip {
    let c = std::sync::Arc::new(demo());
    let mut q = integra::core::Queue::new(c.clone());
    let at = NaiveDate::from_ymd_opt(2026, 1, 5)
        .and_then(|d| d.and_hms_opt(14, 41, 0))
        .expect("time")
        .and_utc();
    let events = q
        .apply(
            &integra::core::Command::IssueTicket {
                service: service.into(),
                lang,
                priority: None,
            },
            at,
        )
        .expect("issue");
    let (ticket, ahead, wait) = events
        .iter()
        .find_map(|e| match &e.event {
            integra::core::Event::TicketIssued {
                ticket,
                ahead,
                wait_minutes,
            } => Some((ticket.clone(), *ahead, *wait_minutes)),
            _ => None,
        })
        .expect("issued");
    Slip::for_ticket(&c, &ticket, ahead, wait).with_follow(Some(FOLLOW.into()))
}

fn appointment(lang: Lang) -> Slip {
    let c = demo();
    let legal = c.service(&ServiceCode::from("legal")).expect("legal");
    Slip::Appointment(AppointmentSlip {
        center: c.center.name.clone(),
        lang,
        code: "482913".into(),
        service: pick(&legal.name, lang, Lang::Es).to_string(),
        date: NaiveDate::from_ymd_opt(2026, 1, 7).expect("date"),
        time: NaiveTime::from_hms_opt(10, 30, 0).expect("time"),
        bring: Some(pick(&legal.bring, lang, Lang::Es).to_string()),
        discreet: false,
        follow: Some(FOLLOW.into()),
    })
}

fn activity(lang: Lang) -> Slip {
    let c = demo();
    let a = c.activity(&"sewing".into()).expect("sewing");
    Slip::Activity(ActivitySlip {
        center: c.center.name.clone(),
        lang,
        title: pick(&a.title, lang, Lang::Es).to_string(),
        date: NaiveDate::from_ymd_opt(2026, 1, 7).expect("date"),
        time: a.start.0,
        place: a.place.clone(),
        code: "730115".into(),
        waitlist: Some(2),
        follow: Some(FOLLOW.into()),
    })
}

/// The source texts each slip must give back when its bytes are read.
fn fragments(slip: &Slip) -> Vec<String> {
    let l = Localizer::new(slip.lang()).expect("locale");
    let mut out = vec!["Centro Integra La Parada - Cúcuta".to_string()];
    match slip {
        Slip::Ticket(t) => {
            out.extend([
                t.label.clone(),
                t.service.clone(),
                l.text("print-keep", None),
            ]);
            out.extend(t.service_default.clone());
            out.push("05/01/2026, 09:41".into());
        }
        Slip::Appointment(a) => {
            out.extend([
                a.code.clone(),
                a.service.clone(),
                l.text("print-appointment-title", None),
            ]);
            out.extend(a.bring.clone());
            out.push("07/01/2026, 10:30".into());
        }
        Slip::Activity(a) => {
            out.extend([a.title.clone(), a.place.clone(), a.code.clone()]);
            out.push("07/01/2026, 09:00".into());
        }
        Slip::TestPage { .. } => {}
    }
    out
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/print")
}

/// Golden bytes for every layout × paper × language; `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn layouts_match_their_golden_bytes_and_read_back() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    std::fs::create_dir_all(golden_dir()).expect("golden dir");
    type Maker = fn(Lang) -> Slip;
    let makers: [(&str, Maker); 4] = [
        ("ticket", ticket),
        ("discreet", discreet),
        ("appointment", appointment),
        ("activity", activity),
    ];
    let mut checked = 0;
    for (name, make) in makers {
        for paper in [Paper::Mm58, Paper::Mm80] {
            for lang in Lang::ALL {
                let slip = make(lang);
                let format = Format {
                    paper,
                    qr: (name == "ticket").then(|| "https://centro.example/turnos".to_string()),
                    ..Format::default()
                };
                let bytes = render(&slip, &format).expect("render");
                let file = golden_dir().join(format!("{name}-{}-{}.bin", paper.mm(), lang.code()));
                let printed = decode(&bytes, paper.columns());
                if update {
                    std::fs::write(&file, &bytes).expect("write golden");
                    std::fs::write(file.with_extension("txt"), printed.lines.join("\n") + "\n")
                        .expect("write golden text");
                }
                let golden = std::fs::read(&file).unwrap_or_else(|_| {
                    panic!("{} missing: run UPDATE_GOLDEN=1 cargo test", file.display())
                });
                assert!(
                    golden == bytes,
                    "{} differs from the layout's bytes",
                    file.display()
                );
                // Read back: ESC t 19 (PC858), one cut, every source text present.
                assert_eq!(printed.pages, [19], "{name}");
                assert_eq!(printed.cuts, 1, "{name}");
                let flat = printed.flat();
                for f in fragments(&slip) {
                    let f = f.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(
                        flat.contains(&f),
                        "{name} {} {lang}: '{f}' not in '{flat}'",
                        paper.mm()
                    );
                }
                if name == "ticket" {
                    assert_eq!(printed.qr, ["https://centro.example/turnos"]);
                } else {
                    // The follow link, under a line saying what it is for.
                    assert_eq!(printed.qr, [FOLLOW], "{name}");
                    let l = Localizer::new(lang).expect("locale");
                    let said = l.text("print-follow", None);
                    let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
                    assert!(
                        flat.contains(&said),
                        "{name} {lang}: '{said}' not in '{flat}'"
                    );
                }
                if name == "discreet" {
                    // Nothing over the shoulder reads as "protection", in any language.
                    let protection = demo()
                        .service(&ServiceCode::from("protection"))
                        .cloned()
                        .expect("protection");
                    for l in Lang::ALL {
                        for text in [&protection.name[&l], &protection.description[&l]] {
                            assert!(!flat.contains(text.as_str()), "{lang}: '{text}' printed");
                        }
                    }
                    for word in ["protec", "Protec", "pwotek", "Sala protegida"] {
                        assert!(!flat.contains(word), "{lang}: {word} in '{flat}'");
                    }
                    assert!(flat.starts_with("Centro"), "{flat}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 40);
}

#[test]
fn plurals_and_waitlist_read_in_each_language() {
    let cases = [
        (Lang::Es, 0, "No hay nadie antes que usted"),
        (Lang::Es, 1, "Hay 1 persona antes que usted"),
        (Lang::Pt, 3, "Há 3 pessoas na sua frente"),
        (Lang::Fr, 1, "1 personne est avant vous"),
        (Lang::Ht, 0, "Pa gen pèsonn devan ou"),
        (Lang::En, 12, "12 people are ahead of you"),
    ];
    for (lang, ahead, expected) in cases {
        let Slip::Ticket(mut t) = ticket(lang) else {
            panic!()
        };
        t.ahead = ahead;
        let bytes = render(&Slip::Ticket(t), &Format::default()).expect("render");
        let flat = decode(&bytes, 48).flat();
        assert!(flat.contains(expected), "{lang} {ahead}: {flat}");
    }
    let bytes = render(&activity(Lang::Ht), &Format::default()).expect("render");
    assert!(
        decode(&bytes, 48)
            .flat()
            .contains("Ou se nimewo 2 sou lis datant lan")
    );
}

#[test]
fn a_codepage_number_setting_changes_only_esc_t() {
    let format = Format {
        codepage: CodePage::Cp850,
        codepage_number: Some(13),
        ..Format::default()
    };
    let bytes = render(&ticket(Lang::Pt), &format).expect("render");
    assert_eq!(&bytes[..5], &[0x1B, b'@', 0x1B, b't', 13]);
}

#[test]
fn the_test_page_has_every_language_and_the_accents() {
    let slip = Slip::TestPage {
        center: "Centro".into(),
        qr: "test".into(),
    };
    let bytes = render(&slip, &Format::default()).expect("render");
    let printed = decode(&bytes, 48);
    let flat = printed.flat();
    for lang in Lang::ALL {
        let sample = Localizer::new(lang)
            .expect("locale")
            .text("print-test-sample", None);
        assert!(flat.contains(&sample), "{lang}: {sample}");
    }
    for c in ACCENTS.chars().filter(|c| !c.is_whitespace()) {
        assert!(flat.contains(c), "the test page lacks {c}");
    }
    assert_eq!(printed.qr, ["test"]);
}

// ---------------------------------------------------------------- URIs and status

#[test]
fn printer_uris_parse_or_name_the_expected_forms() {
    let ok = [
        ("usb:/dev/usb/lp0", PrinterUri::Usb("/dev/usb/lp0".into())),
        (
            "serial:/dev/serial0?baud=9600",
            PrinterUri::Serial {
                path: "/dev/serial0".into(),
                baud: 9600,
            },
        ),
        (
            "serial:/dev/ttyUSB0",
            PrinterUri::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 19200,
            },
        ),
        (
            "tcp://192.0.2.10:9100",
            PrinterUri::Tcp {
                host: "192.0.2.10".into(),
                port: 9100,
            },
        ),
        (
            "tcp://printer.local",
            PrinterUri::Tcp {
                host: "printer.local".into(),
                port: 9100,
            },
        ),
        ("file:/tmp/out.bin", PrinterUri::File("/tmp/out.bin".into())),
    ];
    for (text, uri) in ok {
        assert_eq!(text.parse::<PrinterUri>(), Ok(uri.clone()), "{text}");
        assert_eq!(
            uri.to_string().parse::<PrinterUri>(),
            Ok(uri),
            "round trip {text}"
        );
    }
    for bad in [
        "lpt1",
        "usb:",
        "serial:/dev/x?baud=12",
        "serial:/dev/x?parity=odd",
        "tcp://:9100",
        "tcp://h:port",
        "",
    ] {
        let err = bad.parse::<PrinterUri>().expect_err(bad).to_string();
        assert!(
            err.contains("usb:/dev/usb/lp0") && err.contains("tcp://HOST:9100"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn status_bytes_decode_like_the_printer_means_them() {
    let table = [
        ((0x12, 0x12, 0x12), Some(PrinterStatus::default())),
        (
            (0x12, 0x12, 0x1E),
            Some(PrinterStatus {
                paper_near_end: true,
                ..Default::default()
            }),
        ),
        (
            (0x1A, 0x32, 0x7E),
            Some(PrinterStatus {
                offline: true,
                paper_out: true,
                paper_near_end: true,
                ..Default::default()
            }),
        ),
        (
            (0x1A, 0x16, 0x12),
            Some(PrinterStatus {
                offline: true,
                cover_open: true,
                ..Default::default()
            }),
        ),
        ((0x00, 0x12, 0x12), None),
        ((0x12, 0xFF, 0x12), None),
    ];
    for ((a, b, c), expected) in table {
        assert_eq!(
            PrinterStatus::decode(a, b, c),
            expected,
            "{a:#x} {b:#x} {c:#x}"
        );
    }
    let out = PrinterStatus::decode(0x1A, 0x32, 0x7E).expect("valid");
    assert_eq!(out.alerts(), [Alert::PaperOut]);
    assert!(!out.can_print());
    assert!(Alert::PaperOut.describe().contains("new roll"));
}

// ---------------------------------------------------------------- spooler over real links

fn spool(uri: &str) -> (Spooler, Receiver<SpoolEvent>) {
    let (tx, rx) = channel();
    let uri: PrinterUri = uri.parse().expect("uri");
    let s = Spooler::start_with(uri, Duration::from_millis(50), move |e| {
        let _ = tx.send(e);
    });
    (s, rx)
}

/// The next printed/failed outcome, skipping alert changes (which are collected).
fn outcome(rx: &Receiver<SpoolEvent>, alerts: &mut Vec<Vec<Alert>>) -> SpoolEvent {
    loop {
        match rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the spooler answered")
        {
            SpoolEvent::Alerts(a) => alerts.push(a),
            other => return other,
        }
    }
}

fn job(label: &str) -> (Job, Vec<u8>) {
    let bytes = render(&ticket(Lang::Fr), &Format::default()).expect("render");
    (
        Job {
            label: label.into(),
            bytes: bytes.clone(),
        },
        bytes,
    )
}

#[test]
fn fake_network_printer_prints_reports_paper_out_and_clears() {
    let printer = FakePrinter::start(FakeState::Ready).expect("fake printer");
    let (spooler, rx) = spool(&printer.uri());
    let mut alerts = Vec::new();
    let (j, bytes) = job("B-023");
    spooler.submit(j).expect("queued");
    assert_eq!(
        outcome(&rx, &mut alerts),
        SpoolEvent::Printed {
            label: "B-023".into()
        }
    );
    assert_eq!(
        printer.wait_received(bytes.len(), Duration::from_secs(5)),
        bytes,
        "the printer got exactly the layout's bytes"
    );

    printer.set_state(FakeState::PaperOut);
    let (j, _) = job("B-024");
    spooler.submit(j).expect("queued");
    match outcome(&rx, &mut alerts) {
        SpoolEvent::Failed { label, reason } => {
            assert_eq!(label, "B-024");
            assert!(reason.contains("out of paper"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(spooler.alerts(), [Alert::PaperOut]);
    assert_eq!(
        printer.received(),
        bytes,
        "nothing printed while out of paper"
    );

    // A new roll: the alert clears by itself.
    printer.set_state(FakeState::Ready);
    let cleared = rx
        .iter()
        .find(|e| matches!(e, SpoolEvent::Alerts(a) if a.is_empty()));
    assert!(cleared.is_some());
    assert!(spooler.alerts().is_empty());

    printer.set_state(FakeState::PaperNearEnd);
    let (j, _) = job("B-025");
    spooler.submit(j).expect("queued");
    assert_eq!(
        outcome(&rx, &mut alerts),
        SpoolEvent::Printed {
            label: "B-025".into()
        }
    );
    assert_eq!(
        spooler.alerts(),
        [Alert::PaperNearEnd],
        "near end warns but prints"
    );
}

#[test]
fn a_printer_that_vanishes_mid_job_fails_the_print_and_comes_back() {
    let printer = FakePrinter::start(FakeState::VanishAfter(1000)).expect("fake printer");
    let (spooler, rx) = spool(&printer.uri());
    let mut alerts = Vec::new();
    // The connection drops after 1000 bytes of a 5000-byte job.
    let big = Job {
        label: "A-001".into(),
        bytes: vec![b'x'; 5000],
    };
    spooler.submit(big).expect("queued");
    match outcome(&rx, &mut alerts) {
        SpoolEvent::Failed { label, reason } => {
            assert_eq!(label, "A-001");
            assert!(reason.contains("cannot reach the printer"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(printer.received().len() <= 1000);
    // Back on: the next job reconnects and prints in full.
    printer.set_state(FakeState::Ready);
    let (j, bytes) = job("A-002");
    spooler.submit(j).expect("queued");
    assert_eq!(
        outcome(&rx, &mut alerts),
        SpoolEvent::Printed {
            label: "A-002".into()
        }
    );
    assert!(
        printer
            .wait_received(1000 + bytes.len(), Duration::from_secs(5))
            .ends_with(&bytes)
    );
    assert!(printer.connections() >= 2);
}

#[test]
fn an_unreachable_printer_fails_each_job_with_an_alert() {
    // Nothing listens on this loopback port.
    let port = super::common::free_port();
    let (spooler, rx) = spool(&format!("tcp://127.0.0.1:{port}"));
    let mut alerts = Vec::new();
    for i in 0..3 {
        let (j, _) = job(&format!("A-{i:03}"));
        spooler.submit(j).expect("queued");
        match outcome(&rx, &mut alerts) {
            SpoolEvent::Failed { reason, .. } => {
                assert!(reason.contains("cannot reach"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        spooler.alerts().as_slice(),
        [Alert::Unreachable(_)]
    ));
}

#[test]
fn a_jammed_printer_never_blocks_the_kiosk() {
    // The printer takes the connection but reads nothing: the spooler's write hangs (until its
    // timeout), the bounded queue fills, and every further submission returns at once.
    let printer = FakePrinter::start(FakeState::Stalled).expect("fake printer");
    let (spooler, _rx) = spool(&printer.uri());
    spooler
        .submit(Job {
            label: "big".into(),
            bytes: vec![b'x'; 64 << 20],
        })
        .expect("queued");
    // The spooler has taken the big job off the queue once it has connected to the printer.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while printer.connections() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the spooler never connected"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut full = 0;
    for i in 0..100 {
        let (j, _) = job(&format!("A-{i:03}"));
        match spooler.submit(j) {
            Ok(()) => {}
            Err(SubmitError::Full) => full += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(full, 100 - integra::printer::spooler::QUEUE_BOUND);
    drop(printer);
}

#[test]
fn a_file_printer_gets_the_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("preview.bin");
    let (spooler, rx) = spool(&format!("file:{}", path.display()));
    let (j, bytes) = job("C-001");
    spooler.submit(j).expect("queued");
    assert_eq!(
        outcome(&rx, &mut Vec::new()),
        SpoolEvent::Printed {
            label: "C-001".into()
        }
    );
    assert_eq!(std::fs::read(&path).expect("file"), bytes);
    let (spooler, rx) = spool("file:/nonexistent-dir/x.bin");
    let (j, _) = job("C-002");
    spooler.submit(j).expect("queued");
    assert!(matches!(
        outcome(&rx, &mut Vec::new()),
        SpoolEvent::Failed { .. }
    ));
}

/// A pseudo-terminal that answers `DLE EOT` with "ready" and collects what it receives.
/// Returns its path, the held-open slave end, and a channel of everything received so far.
fn fake_device() -> (String, std::os::fd::OwnedFd, Receiver<Vec<u8>>) {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: out-pointers to locals; the name buffer is large enough for a pts path.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty");
    // SAFETY: the buffer was filled with a NUL-terminated path by openpty.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    // SAFETY: openpty returned valid, owned descriptors. The slave stays open for the whole
    // test so that the master side never reads EIO while the link reopens.
    let slave = unsafe { std::os::fd::OwnedFd::from_raw_fd(slave) };
    // Raw mode, as a printer device is: no echo, no newline translation.
    // SAFETY: a zeroed termios is a valid out-buffer; the fd is open.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(
            libc::tcgetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), &mut t),
            0
        );
        libc::cfmakeraw(&mut t);
        assert_eq!(
            libc::tcsetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), libc::TCSANOW, &t),
            0
        );
    }
    // SAFETY: as above, for the master.
    let mut port = unsafe { std::fs::File::from_raw_fd(master) };
    let (got_tx, got_rx) = channel();
    let mut reader = port.try_clone().expect("clone");
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            for w in buf[..n].windows(3) {
                if w[0] == 0x10 && w[1] == 0x04 {
                    let _ = port.write_all(&[0x12]);
                }
            }
            all.extend_from_slice(&buf[..n]);
            let _ = got_tx.send(all.clone());
        }
    });
    (path, slave, got_rx)
}

/// A pseudo-terminal stands in for a serial (UART) printer, and for a USB printer-class
/// device (both are character devices that are written and read back).
#[test]
fn serial_and_usb_printers_on_a_pseudo_terminal() {
    for kind in ["serial", "usb"] {
        let (path, _slave, got_rx) = fake_device();
        let uri = if kind == "serial" {
            format!("serial:{path}?baud=19200")
        } else {
            format!("usb:{path}")
        };
        let (spooler, rx) = spool(&uri);
        let (j, bytes) = job("D-001");
        spooler.submit(j).expect("queued");
        assert_eq!(
            outcome(&rx, &mut Vec::new()),
            SpoolEvent::Printed {
                label: "D-001".into()
            },
            "{kind}"
        );
        let received = std::iter::from_fn(|| got_rx.recv_timeout(Duration::from_secs(10)).ok())
            .find(|all| all.windows(bytes.len()).any(|w| w == bytes.as_slice()))
            .expect("the device received the job");
        // Three status requests came first (DLE EOT 1, 2, 4), then the ticket.
        assert_eq!(
            &received[..9],
            &[0x10, 4, 1, 0x10, 4, 2, 0x10, 4, 4],
            "{kind}"
        );
        assert!(spooler.alerts().is_empty(), "{kind}");
    }
}

/// An appointment of a discreet service: the slip has the day, the time and the code, and names
/// neither the service nor anything to bring, in every language.
#[test]
fn a_discreet_appointment_slip_names_no_service() {
    // Its cover (info, the letter A) takes appointments too: else the catalog is refused.
    let text = integra::core::catalog::DEMO_CATALOG.replacen(
        "icon = \"info\"\nmodes = [\"walk-in\"]",
        "icon = \"info\"\nmodes = [\"walk-in\", \"appointment\"]\nappointments = { slot_minutes = 30, capacity = 1 }",
        1,
    );
    let text = text.replacen(
        "modes = [\"walk-in\"]\ndiscreet = true",
        "modes = [\"walk-in\", \"appointment\"]\ndiscreet = true\nappointments = { slot_minutes = 30, capacity = 1 }\nbring = { es = \"Traiga la orden de protección\", en = \"Bring the protection order\", pt = \"Traga a medida protetiva\", fr = \"Apportez l'ordonnance de protection\", ht = \"Pote lòd pwoteksyon an\" }",
        1,
    );
    let c = Catalog::parse(&text, "center.toml").expect("a discreet service with appointments");
    let protection = c
        .service(&ServiceCode::from("protection"))
        .cloned()
        .expect("protection");
    for lang in Lang::ALL {
        let a = integra::core::Appointment {
            id: integra::core::AppointmentId(1),
            code: "482913".into(),
            service: "protection".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 7).expect("date"),
            time: NaiveTime::from_hms_opt(10, 30, 0).expect("time"),
            lang,
            contact: Default::default(),
            state: integra::core::AppointmentState::Booked,
            ticket: None,
        };
        let slip = Slip::for_appointment(&c, &a);
        let bytes = render(&slip, &Format::default()).expect("render");
        let flat = decode(&bytes, 48).flat();
        let l = Localizer::new(lang).expect("locale");
        for expected in [
            "482913".to_string(),
            "07/01/2026, 10:30".to_string(),
            l.text("print-discreet-appointment", None),
        ] {
            assert!(
                flat.contains(&expected),
                "{lang}: '{expected}' not in '{flat}'"
            );
        }
        for l2 in Lang::ALL {
            for said in [&protection.name[&l2], &protection.bring[&l2]] {
                assert!(!flat.contains(said.as_str()), "{lang}: '{said}' printed");
            }
        }
        for word in ["protec", "Protec", "pwotek", "protetiva"] {
            assert!(!flat.contains(word), "{lang}: {word} in '{flat}'");
        }
    }
}

/// A discreet ticket's slip is, byte for byte, the slip of an ordinary ticket of its cover
/// service in the same place (Information, whose letter it carries): the same service lines,
/// people ahead and wait, and length, on both papers and in every language.
#[test]
fn a_discreet_slip_is_the_slip_of_an_ordinary_ticket_of_its_cover() {
    for lang in Lang::ALL {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let format = Format {
                paper,
                ..Format::default()
            };
            let discreet = render(&issued_slip("protection", lang), &format).expect("render");
            let ordinary = render(&issued_slip("info", lang), &format).expect("render");
            assert!(
                discreet == ordinary,
                "{lang} {}: the discreet slip reads\n{}\nwhere an ordinary one reads\n{}",
                paper.mm(),
                decode(&discreet, paper.columns()).lines.join("\n"),
                decode(&ordinary, paper.columns()).lines.join("\n"),
            );
        }
    }
}
