//! Spoken call-outs for the lobby display: a chime, then the call in the visitor's language
//! ("Ticket A 23, counter 2"), then in the center's language when different — offline, through
//! espeak-ng, played with ALSA's `aplay`. Calls are announced one after another on their own
//! thread: a new call never cuts the previous one off, and a recall is announced again.

use crate::core::Lang;
use crate::i18n::Localizer;
use fluent_bundle::FluentArgs;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Sender, channel};

/// One call to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// As printed, e.g. `A-023`.
    pub label: String,
    /// The counter's name, as on the display.
    pub counter: String,
    /// The language the visitor chose at the kiosk.
    pub lang: Lang,
}

/// espeak-ng's voice for each language (Haitian Creole has its own, `ht`).
pub fn default_voice(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "es",
        Lang::En => "en",
        Lang::Pt => "pt-br",
        Lang::Fr => "fr",
        Lang::Ht => "ht",
    }
}

/// The words for a call in one language: the number read as a letter and a number.
pub fn call_text(l: &Localizer, call: &Call) -> String {
    let (letter, number) = call
        .label
        .split_once('-')
        .map(|(p, n)| (p.to_string(), n.trim_start_matches('0').to_string()))
        .unwrap_or((call.label.clone(), String::new()));
    let mut args = FluentArgs::new();
    args.set("letter", letter);
    args.set(
        "number",
        if number.is_empty() {
            "0".into()
        } else {
            number
        },
    );
    args.set("counter", call.counter.clone());
    l.text("announce-call", Some(&args))
}

/// A short two-note chime: 16-bit mono PCM WAV at 22,050 Hz (made here, nothing to install).
pub fn chime_wav() -> Vec<u8> {
    let rate = 22_050u32;
    let mut samples: Vec<i16> = Vec::new();
    for (freq, secs) in [(880.0f32, 0.28f32), (660.0, 0.42)] {
        let n = (rate as f32 * secs) as usize;
        for i in 0..n {
            let t = i as f32 / rate as f32;
            let fade = (1.0 - i as f32 / n as f32).powf(1.5);
            let v = (t * freq * std::f32::consts::TAU).sin() * fade * 0.45;
            samples.push((v * i16::MAX as f32) as i16);
        }
    }
    wav(rate, &samples)
}

/// A WAV file from 16-bit mono samples.
pub fn wav(rate: u32, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Why a sound was not made or not heard; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioError {
    /// A program is not installed (or cannot start): which, and the Debian package that has it.
    Missing {
        program: &'static str,
        package: &'static str,
        why: String,
    },
    /// espeak-ng has no such voice, or failed making the sound.
    NoVoice(String),
    /// The lobby cannot hear: no sound card, or no player (the words say which).
    Unheard(String),
    /// Playing failed.
    Playback(String),
    /// A sound file could not be written.
    File { path: PathBuf, why: String },
}

impl std::fmt::Display for AudioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioError::Missing {
                program,
                package,
                why,
            } => write!(f, "cannot run {program} ({why}): apt-get install {package}"),
            AudioError::NoVoice(m) | AudioError::Unheard(m) | AudioError::Playback(m) => {
                f.write_str(m)
            }
            AudioError::File { path, why } => write!(f, "cannot write {}: {why}", path.display()),
        }
    }
}

impl std::error::Error for AudioError {}

fn espeak_missing(e: std::io::Error) -> AudioError {
    AudioError::Missing {
        program: "espeak-ng",
        package: "espeak-ng",
        why: e.to_string(),
    }
}

/// Whether espeak-ng has `voice` (a language code, its file name, or one of its other
/// languages). espeak-ng itself falls back to English without a word when it does not.
pub fn has_voice(voice: &str) -> Result<bool, AudioError> {
    let out = Command::new("espeak-ng")
        .arg("--voices")
        .output()
        .map_err(espeak_missing)?;
    let list = String::from_utf8_lossy(&out.stdout);
    Ok(list.lines().skip(1).any(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let code = cols.get(1).copied().unwrap_or("");
        let file = cols.get(4).copied().unwrap_or("");
        code == voice
            || file.rsplit('/').next() == Some(voice)
            || line.contains(&format!("({voice} "))
    }))
}

/// Speech as a WAV file, from espeak-ng.
pub fn speak_wav(text: &str, voice: &str) -> Result<Vec<u8>, AudioError> {
    if !has_voice(voice)? {
        return Err(AudioError::NoVoice(format!(
            "espeak-ng has no voice '{voice}': see `espeak-ng --voices`, and set audio.voices in the settings"
        )));
    }
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("integra-speech-{}-{n}.wav", std::process::id()));
    let out = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&path)
        .arg(text)
        .output()
        .map_err(espeak_missing)?;
    let wav = std::fs::read(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    if !out.status.success() || wav.len() < 100 {
        return Err(AudioError::NoVoice(format!(
            "espeak-ng has no voice '{voice}' or failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(wav)
}

/// Where the sound goes.
pub trait Sink: Send {
    /// Play (or keep) one sound; returns when it has finished.
    fn play(&mut self, wav: &[u8], what: &str) -> Result<(), AudioError>;
    /// The words about to be spoken (kept by sinks that record what the lobby hears).
    fn spoken(&mut self, _what: &str, _text: &str) {}
    /// Whether it can play at all (checked once at start): the reason when it cannot.
    fn check(&mut self) -> Result<(), AudioError> {
        Ok(())
    }
}

/// The staff alert kind for a lobby display that cannot be heard.
pub const AUDIO_ALERT: crate::hub::AlertKind = crate::hub::AlertKind::AudioFailed;

/// `aplay` reading a WAV from its standard input, on `device` (else the default).
fn aplay(device: Option<&str>, stderr: Stdio) -> Result<std::process::Child, AudioError> {
    let mut cmd = Command::new("aplay");
    cmd.arg("-q");
    if let Some(d) = device {
        cmd.args(["-D", d]);
    }
    cmd.arg("-")
        .stdin(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| AudioError::Missing {
            program: "aplay",
            package: "alsa-utils",
            why: e.to_string(),
        })
}

/// The speakers, through ALSA's `aplay` (device from the settings, else the default).
pub struct Alsa {
    pub device: Option<String>,
}

/// The speakers for reading a screen aloud: like [`Alsa`], and the `aplay` playing now can be
/// cut (a second tap on the speaker button).
#[derive(Clone, Default)]
pub struct StoppableAlsa {
    pub device: Option<String>,
    playing: std::sync::Arc<std::sync::Mutex<Option<u32>>>,
}

impl StoppableAlsa {
    pub fn new(device: Option<String>) -> StoppableAlsa {
        StoppableAlsa {
            device,
            playing: Default::default(),
        }
    }

    /// Cut the sound playing now, if any.
    pub fn cut(&self) {
        let pid = self.playing.lock().ok().and_then(|p| *p);
        if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) on a child process id we started and have not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
}

impl Sink for StoppableAlsa {
    fn check(&mut self) -> Result<(), AudioError> {
        Alsa {
            device: self.device.clone(),
        }
        .check()
    }

    fn play(&mut self, wav: &[u8], _what: &str) -> Result<(), AudioError> {
        let mut child = aplay(self.device.as_deref(), Stdio::null())?;
        if let Ok(mut p) = self.playing.lock() {
            *p = Some(child.id());
        }
        if let Some(mut stdin) = child.stdin.take() {
            // A cut closes the pipe: not an error.
            let _ = stdin.write_all(wav);
        }
        let status = child.wait();
        if let Ok(mut p) = self.playing.lock() {
            *p = None;
        }
        status
            .map(|_| ())
            .map_err(|e| AudioError::Playback(format!("aplay failed: {e}")))
    }
}

/// Reads a screen aloud for people who read little: line after line, each in its voice
/// (espeak-ng), on a thread of its own. A new reading, or `stop`, ends the one before at the
/// next line (and `cut` ends the sound playing now).
pub struct Reader {
    tx: Sender<(u64, Vec<(String, String)>)>,
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
    cut: Box<dyn Fn() + Send + Sync>,
}

impl Reader {
    /// `done(generation)` is called when a reading ends, read to the end or cut.
    pub fn start(
        mut sink: Box<dyn Sink>,
        cut: Box<dyn Fn() + Send + Sync>,
        done: Box<dyn Fn(u64) + Send>,
    ) -> Reader {
        use std::sync::atomic::Ordering;
        let (tx, rx) = channel::<(u64, Vec<(String, String)>)>();
        let generation = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let current = generation.clone();
        let spawned = std::thread::Builder::new()
            .name("reader".into())
            .spawn(move || {
                let mut warned = false;
                for (g, lines) in rx {
                    for (voice, text) in lines {
                        if current.load(Ordering::SeqCst) != g {
                            break;
                        }
                        sink.spoken("read", &text);
                        let r = speak_wav(&text, &voice).and_then(|w| {
                            if current.load(Ordering::SeqCst) != g {
                                return Ok(());
                            }
                            sink.play(&w, "read")
                        });
                        if let Err(e) = r
                            && !warned
                        {
                            log::error!("reading the screen aloud: {e}");
                            warned = true;
                        }
                    }
                    done(g);
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the screen reader: {e}");
        }
        Reader {
            tx,
            generation,
            cut,
        }
    }

    /// Read these (voice, text) lines, after cutting what is being read; returns the
    /// reading's number (the one `done` is called with).
    pub fn read(&self, lines: Vec<(String, String)>) -> u64 {
        let g = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        (self.cut)();
        if self.tx.send((g, lines)).is_err() {
            log::error!("the screen reader has stopped");
        }
        g
    }

    /// Stop reading now.
    pub fn stop(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (self.cut)();
    }
}

impl Sink for Alsa {
    /// `aplay -l`: the program is there and lists a sound card.
    fn check(&mut self) -> Result<(), AudioError> {
        let out = Command::new("aplay").arg("-l").output().map_err(|e| {
            AudioError::Unheard(format!(
                "aplay cannot run ({e}): calls are shown but not heard; install alsa-utils (apt-get install alsa-utils)"
            ))
        })?;
        let listed = String::from_utf8_lossy(&out.stdout);
        let errors = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !listed.contains("card ") {
            return Err(AudioError::Unheard(format!(
                "no sound card ({}): calls are shown but not heard; plug in the TV (HDMI) or the speakers and check [audio] device in the settings",
                errors
                    .trim()
                    .lines()
                    .next()
                    .unwrap_or("aplay -l lists none")
            )));
        }
        Ok(())
    }

    fn play(&mut self, wav: &[u8], _what: &str) -> Result<(), AudioError> {
        let mut child = aplay(self.device.as_deref(), Stdio::piped())?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(wav)
                .map_err(|e| AudioError::Playback(format!("aplay stopped: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| AudioError::Playback(format!("aplay failed: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(AudioError::Playback(format!(
                "aplay failed: {} (check the sound device in the settings)",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

/// Keeps each sound as a numbered WAV file (tests, and checking voices without speakers).
pub struct Files {
    pub dir: PathBuf,
    pub count: usize,
}

impl Sink for Files {
    fn play(&mut self, wav: &[u8], what: &str) -> Result<(), AudioError> {
        self.count += 1;
        let path = self.dir.join(format!("{:03}-{what}.wav", self.count));
        std::fs::write(&path, wav).map_err(|e| AudioError::File {
            path: path.clone(),
            why: e.to_string(),
        })
    }

    /// Every spoken text, one line each (`WHAT<TAB>TEXT`), in `spoken.txt`.
    fn spoken(&mut self, what: &str, text: &str) {
        use std::io::Write as _;
        let path = self.dir.join("spoken.txt");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{what}\t{text}"));
        if let Err(e) = written {
            log::warn!("cannot write {}: {e}", path.display());
        }
    }
}

/// What to announce and how.
#[derive(Debug, Clone)]
pub struct AnnounceConfig {
    pub chime: bool,
    pub voice: bool,
    /// The center's language: calls are repeated in it when the visitor's differs.
    pub center_lang: Lang,
    pub voices: BTreeMap<Lang, String>,
}

/// Announces calls one after another on its own thread.
pub struct Announcer {
    tx: Sender<Call>,
}

/// Told whether the lobby can hear the calls: `Some(reason)` when it cannot (at start, or when
/// a sound fails), `None` when a sound played again after a failure.
pub type AudioStatus = Box<dyn Fn(Option<String>) + Send>;

impl Announcer {
    pub fn start(cfg: AnnounceConfig, sink: Box<dyn Sink>) -> Announcer {
        Announcer::start_with_status(cfg, sink, Box::new(|_| {}))
    }

    /// Start, telling `status` whether the calls can be heard (the display raises a staff
    /// alert with it).
    pub fn start_with_status(
        cfg: AnnounceConfig,
        mut sink: Box<dyn Sink>,
        status: AudioStatus,
    ) -> Announcer {
        let (tx, rx) = channel::<Call>();
        let spawned = std::thread::Builder::new()
            .name("announcer".into())
            .spawn(move || {
                let mut locales: BTreeMap<Lang, Localizer> = BTreeMap::new();
                for l in Lang::ALL {
                    if let Ok(loc) = Localizer::new(l) {
                        locales.insert(l, loc);
                    }
                }
                let chime = chime_wav();
                // The last problem told (told once; cleared by the next sound that plays).
                let mut failing: Option<AudioError> = None;
                if let Err(e) = sink.check() {
                    log::error!("announcement: {e}");
                    status(Some(e.to_string()));
                    failing = Some(e);
                }
                for call in rx {
                    let mut report = |r: Result<(), AudioError>| match r {
                        Err(e) => {
                            if failing.as_ref() != Some(&e) {
                                log::error!("announcement: {e}");
                                status(Some(e.to_string()));
                                failing = Some(e);
                            }
                        }
                        Ok(()) => {
                            if failing.take().is_some() {
                                log::info!("announcements are heard again");
                                status(None);
                            }
                        }
                    };
                    if cfg.chime {
                        report(sink.play(&chime, "chime"));
                    }
                    if !cfg.voice {
                        continue;
                    }
                    let mut langs = vec![call.lang];
                    if call.lang != cfg.center_lang {
                        langs.push(cfg.center_lang);
                    }
                    for lang in langs {
                        let Some(l) = locales.get(&lang) else {
                            continue;
                        };
                        let voice = cfg
                            .voices
                            .get(&lang)
                            .map(String::as_str)
                            .unwrap_or_else(|| default_voice(lang));
                        let text = call_text(l, &call);
                        let what = format!("{}-{}", call.label, lang.code());
                        sink.spoken(&what, &text);
                        let r = speak_wav(&text, voice).and_then(|w| sink.play(&w, &what));
                        report(r);
                    }
                }
            });
        if let Err(e) = spawned {
            log::error!("cannot start the announcer: {e}");
        }
        Announcer { tx }
    }

    /// Queue a call (never waits).
    pub fn announce(&self, call: Call) {
        if self.tx.send(call).is_err() {
            log::error!("the announcer has stopped");
        }
    }
}
