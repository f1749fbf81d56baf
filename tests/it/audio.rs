//! Spoken call-outs: speech in each of the five languages is not silent and not cut off, the
//! chime is a real sound, and calls are announced one after another, recalls again.

use integra::audio::{
    AnnounceConfig, Announcer, Call, Files, call_text, chime_wav, default_voice, speak_wav,
};
use integra::core::Lang;
use integra::i18n::Localizer;
use std::time::{Duration, Instant};

/// Sample rate and samples of a 16-bit mono WAV (espeak-ng streams with an unknown length).
fn samples(wav: &[u8]) -> (u32, Vec<i16>) {
    assert_eq!(&wav[..4], b"RIFF");
    let rate = u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]);
    let bits = u16::from_le_bytes([wav[34], wav[35]]);
    assert_eq!(bits, 16);
    let data = wav
        .windows(4)
        .position(|w| w == b"data")
        .expect("a data chunk")
        + 8;
    let s = wav[data..]
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    (rate, s)
}

fn rms(s: &[i16]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    (s.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / s.len() as f64).sqrt()
}

/// Loudest 50 ms window, and the last 30 ms.
fn check_sound(wav: &[u8], what: &str, min_secs: f64, max_secs: f64) {
    let (rate, s) = samples(wav);
    let secs = s.len() as f64 / f64::from(rate);
    assert!(
        (min_secs..=max_secs).contains(&secs),
        "{what}: {secs:.2} s long"
    );
    let win = (rate / 20) as usize;
    let peak = s.chunks(win).map(rms).fold(0.0, f64::max);
    assert!(peak > 1500.0, "{what} is silent (peak RMS {peak:.0})");
    let tail = rms(&s[s.len() - (rate as usize * 30 / 1000)..]);
    assert!(
        tail < peak * 0.1,
        "{what} is cut off: it ends loud ({tail:.0} vs peak {peak:.0})"
    );
}

#[test]
fn each_language_is_spoken_whole() {
    let call = Call {
        label: "A-023".into(),
        counter: "Ventanilla 2".into(),
        lang: Lang::Es,
    };
    let expected = [
        (Lang::Es, "Turno A 23, Ventanilla 2."),
        (Lang::En, "Ticket A 23, Ventanilla 2."),
        (Lang::Pt, "Senha A 23, Ventanilla 2."),
        (Lang::Fr, "Ticket A 23, Ventanilla 2."),
        (Lang::Ht, "Tikè A 23, Ventanilla 2."),
    ];
    for (lang, words) in expected {
        let l = Localizer::new(lang).expect("locale");
        let text = call_text(&l, &call);
        assert_eq!(text, words);
        let wav =
            speak_wav(&text, default_voice(lang)).expect("espeak-ng (apt-get install espeak-ng)");
        check_sound(&wav, &format!("{lang} speech"), 1.0, 8.0);
    }
    assert!(speak_wav("hola", "no-such-voice").is_err());
    check_sound(&chime_wav(), "chime", 0.5, 1.0);
}

#[test]
fn calls_are_announced_one_after_another_and_recalls_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = Announcer::start(
        AnnounceConfig {
            chime: true,
            voice: true,
            center_lang: Lang::Es,
            voices: Default::default(),
        },
        Box::new(Files {
            dir: dir.path().to_path_buf(),
            count: 0,
        }),
    );
    let call = |label: &str, lang| Call {
        label: label.into(),
        counter: "Ventanilla 2".into(),
        lang,
    };
    // Three calls at once (the last a recall): none is dropped or cut, in order.
    a.announce(call("A-023", Lang::Ht));
    a.announce(call("B-004", Lang::Es));
    a.announce(call("A-023", Lang::Ht));
    let want = [
        "001-chime.wav",
        "002-A-023-ht.wav",
        "003-A-023-es.wav",
        "004-chime.wav",
        "005-B-004-es.wav",
        "006-chime.wav",
        "007-A-023-ht.wav",
        "008-A-023-es.wav",
    ];
    let t = Instant::now();
    loop {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".wav"))
            .collect();
        names.sort();
        if names.len() == want.len() {
            assert_eq!(names, want);
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "got {names:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    for f in want.iter().filter(|f| !f.contains("chime")) {
        let wav = std::fs::read(dir.path().join(f)).expect("wav");
        check_sound(&wav, f, 1.0, 8.0);
    }
}

/// A sink that fails (no sound card) until it is fixed.
struct Speakers {
    broken: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl integra::audio::Sink for Speakers {
    fn check(&mut self) -> Result<(), integra::audio::AudioError> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            Err(integra::audio::AudioError::Unheard(
                "no sound card (aplay -l lists none)".into(),
            ))
        } else {
            Ok(())
        }
    }

    fn play(&mut self, _wav: &[u8], _what: &str) -> Result<(), integra::audio::AudioError> {
        if self.broken.load(std::sync::atomic::Ordering::SeqCst) {
            Err(integra::audio::AudioError::Playback(
                "aplay failed: the device is gone".into(),
            ))
        } else {
            Ok(())
        }
    }
}

/// A display that cannot be heard says so at once (the staff alert), says it again when the
/// reason changes, and says it is heard again when a call plays.
#[test]
fn a_display_that_cannot_be_heard_says_so_and_when_it_is_heard_again() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let broken = std::sync::Arc::new(AtomicBool::new(true));
    let (tx, rx) = std::sync::mpsc::channel::<Option<String>>();
    let tx = std::sync::Mutex::new(tx);
    let a = Announcer::start_with_status(
        AnnounceConfig {
            chime: true,
            voice: false,
            center_lang: Lang::Es,
            voices: Default::default(),
        },
        Box::new(Speakers {
            broken: broken.clone(),
        }),
        Box::new(move |s| {
            let _ = tx.lock().map(|t| t.send(s));
        }),
    );
    let next = || rx.recv_timeout(Duration::from_secs(5)).expect("a status");
    let at_start = next().expect("a problem at start");
    assert!(at_start.contains("no sound card"), "{at_start}");
    let call = || Call {
        label: "A-001".into(),
        counter: "Ventanilla 1".into(),
        lang: Lang::Es,
    };
    a.announce(call());
    let failing = next().expect("a problem while playing");
    assert!(failing.contains("the device is gone"), "{failing}");
    // The same failure again: nothing new to tell.
    a.announce(call());
    broken.store(false, Ordering::SeqCst);
    a.announce(call());
    assert_eq!(next(), None, "heard again");
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "told once"
    );
}

/// Speakers that take 150 ms per sound, counting what they played.
struct Slow {
    played: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl integra::audio::Sink for Slow {
    fn play(&mut self, _wav: &[u8], _what: &str) -> Result<(), integra::audio::AudioError> {
        std::thread::sleep(Duration::from_millis(150));
        self.played
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// Reading a screen aloud: line after line in the given voice; `stop` ends the reading before
/// the next line (and cuts the sound playing), and says it is done; a new reading replaces the
/// one going on.
#[test]
fn a_reading_stops_at_once_and_a_new_one_replaces_it() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let played = std::sync::Arc::new(AtomicUsize::new(0));
    let cuts = std::sync::Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let tx = std::sync::Mutex::new(tx);
    let c = cuts.clone();
    let reader = integra::audio::Reader::start(
        Box::new(Slow {
            played: played.clone(),
        }),
        Box::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
        }),
        Box::new(move |g| {
            let _ = tx.lock().map(|t| t.send(g));
        }),
    );
    let lines = |n: usize| -> Vec<(String, String)> {
        (0..n)
            .map(|i| ("es".to_string(), format!("Línea número {i}.")))
            .collect()
    };
    // Read to the end.
    let g = reader.read(lines(3));
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(g));
    assert_eq!(played.load(Ordering::SeqCst), 3);
    // Stopped after the first line or two of twenty.
    played.store(0, Ordering::SeqCst);
    let g = reader.read(lines(20));
    let t = Instant::now();
    while played.load(Ordering::SeqCst) == 0 {
        assert!(t.elapsed() < Duration::from_secs(30), "nothing played");
        std::thread::sleep(Duration::from_millis(10));
    }
    let cuts_before = cuts.load(Ordering::SeqCst);
    reader.stop();
    assert_eq!(
        cuts.load(Ordering::SeqCst),
        cuts_before + 1,
        "the sound playing is cut"
    );
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(g));
    assert!(
        played.load(Ordering::SeqCst) <= 2,
        "{} lines after stop",
        played.load(Ordering::SeqCst)
    );
    // A new reading replaces one going on: the first one ends, the second reads whole.
    played.store(0, Ordering::SeqCst);
    let first = reader.read(lines(20));
    let second = reader.read(lines(2));
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(first));
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(second));
    assert!(
        played.load(Ordering::SeqCst) <= 3,
        "the first reading went on"
    );
}
