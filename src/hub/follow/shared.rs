use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

// ---------------------------------------------------------------- one view, shared by every phone

/// Long polls one link may hold at once (a family follows one ticket on a few phones); past
/// this a poll on the link is answered 429 with the page's calm "wait a minute" words.
pub const POLLS_PER_LINK: usize = 16;
/// Long polls one address (an IPv6 /64) may hold at once, on every link together: as many as
/// the connections it may open, and the hub's own machine (not bound by those) is held to it too.
pub const POLLS_PER_ADDRESS: usize = crate::hub::http::CONNECTIONS_PER_ADDRESS;
/// What a poll past a cap is told to wait, in seconds.
pub const POLL_RETRY_SECS: u64 = 10;
/// A shared view nobody asked for in this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(120);
/// Views computed under one hold of the engine's lock (commands wait at most that long).
const PER_LOCK: usize = 64;
/// The shortest time between two refreshes of the followed views.
pub const REFRESH_EVERY: Duration = Duration::from_millis(25);
/// How long a request waits for the views to catch up with a commit before computing its own.
const CATCH_UP: Duration = Duration::from_secs(2);

/// A link's view as computed at the queue's sequence number `seq`.
#[derive(Clone)]
pub(super) struct Shown {
    pub(super) seq: u64,
    pub(super) value: Arc<Value>,
    /// The view as JSON, serialized once: every poll on the link answers with these bytes.
    pub(super) json: axum::body::Bytes,
}

impl Shown {
    pub(super) fn version(&self) -> Option<&str> {
        self.value["version"].as_str()
    }
}

pub(super) type Key = (Subject, Lang);

/// One followed subject in one language: its latest view, and the polls waiting on it.
struct Entry {
    found: Found,
    /// The visit's one question was answered (the view says "thanks").
    given: bool,
    view: watch::Sender<Option<Shown>>,
    held: usize,
    asked: Instant,
}

/// A subject a valid link opened: what is needed to check its link again without the engine.
struct Known {
    day: NaiveDate,
    found: Found,
    held: usize,
}

#[derive(Default)]
struct State {
    views: HashMap<Key, Entry>,
    known: HashMap<Subject, Known>,
    /// Held polls per address bucket.
    held: HashMap<IpAddr, usize>,
}

/// The follow views of every link being followed, one per subject and language, computed once
/// per change (after each commit, by one task, in batches under the engine's lock) and handed
/// to every poll waiting on them through a watch channel: a poll takes no lock of the engine,
/// and wakes only when its own view changed.
pub struct Views {
    state: std::sync::Mutex<State>,
    computed: AtomicU64,
    /// The queue's sequence number the last refresh computed every view at.
    refreshed: watch::Sender<u64>,
}

impl Default for Views {
    fn default() -> Views {
        Views {
            state: Default::default(),
            computed: AtomicU64::new(0),
            refreshed: watch::channel(0).0,
        }
    }
}

/// A poll held on a link (counted against the caps while it lives).
pub(super) struct Hold {
    hub: Hub,
    key: Key,
    bucket: IpAddr,
    _global: Held,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut st = lock(&self.hub.inner.follow.views.state);
        if let Some(e) = st.views.get_mut(&self.key) {
            e.held = e.held.saturating_sub(1);
        }
        if let Some(k) = st.known.get_mut(&self.key.0) {
            k.held = k.held.saturating_sub(1);
        }
        if let Some(n) = st.held.get_mut(&self.bucket) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.held.remove(&self.bucket);
            }
        }
    }
}

/// Why a poll was not held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Full {
    Link,
    Address,
    Hub,
}

impl Views {
    /// How many views were computed since the hub started (for tests and benches: one per
    /// followed subject and language per change, whatever the number of phones).
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::SeqCst)
    }

    /// The subject of `token` if it is valid today: checked against the subjects already
    /// followed without the engine, else looked up once in the queue.
    pub(super) async fn resolve(&self, hub: &Hub, token: &str) -> Option<(Subject, Found)> {
        let (subject, given) = parse(token)?;
        let key = hub.inner.follow.key.get()?;
        let cached = lock(&self.state)
            .known
            .get(&subject)
            .map(|k| (k.day, k.found.clone()));
        if let Some((day, found)) = cached {
            let today = hub
                .now()
                .with_timezone(&hub.catalog().center.timezone)
                .date_naive();
            let valid = match subject {
                // A ticket of another day than the clock's opens while the queue knows it (at a
                // counter since the day before, or ended with the day): the queue says, below.
                Subject::Ticket(_) => (day == today).then_some(true),
                Subject::Appointment(_) | Subject::SignUp(_) => Some(day >= today),
            };
            if let Some(valid) = valid {
                return (valid && same(&mac(key, subject, day), &given))
                    .then_some((subject, found));
            }
        }
        let h = hub.clone();
        let t = token.to_string();
        let found = hub
            .inner
            .follow
            .engine_work(move || super::view::resolve(&h, &t))
            .await
            .ok()
            .flatten()?;
        let day = match &found {
            Found::Ticket(t) => t.day,
            Found::Appointment(a) => a.date,
            Found::SignUp(s) => s.date,
        };
        lock(&self.state).known.entry(subject).or_insert(Known {
            day,
            found: found.clone(),
            held: 0,
        });
        Some((subject, found))
    }

    /// The shared view of `subject` in `lang`, as fresh as the last commit: computed here only
    /// when nobody follows it yet (or the refresh is late).
    pub(super) async fn watch(
        &self,
        hub: &Hub,
        subject: Subject,
        found: &Found,
        lang: Lang,
    ) -> watch::Receiver<Option<Shown>> {
        let key = (subject, lang);
        let (mut rx, new) = {
            let mut st = lock(&self.state);
            match st.views.get_mut(&key) {
                Some(e) => {
                    e.asked = Instant::now();
                    (e.view.subscribe(), false)
                }
                None => {
                    let (view, rx) = watch::channel(None);
                    let entry = Entry {
                        found: found.clone(),
                        given: false,
                        view,
                        held: 0,
                        asked: Instant::now(),
                    };
                    st.views.insert(key, entry);
                    (rx, true)
                }
            }
        };
        let target = hub.inner.durable_seq.load(Ordering::SeqCst);
        let fresh = |rx: &watch::Receiver<Option<Shown>>| {
            rx.borrow().as_ref().is_some_and(|s| s.seq >= target)
        };
        if !new {
            if rx.borrow().is_none() {
                // Its first phone is computing it.
                let first = rx.wait_for(Option::is_some);
                let _ = tokio::time::timeout(CATCH_UP, async { first.await.map(|_| ()) }).await;
            }
            if fresh(&rx) {
                return rx;
            }
            let mut refreshed = self.refreshed.subscribe();
            let caught_up = refreshed.wait_for(|s| *s >= target);
            let _ = tokio::time::timeout(CATCH_UP, async { caught_up.await.map(|_| ()) }).await;
            if fresh(&rx) {
                return rx;
            }
        }
        let given = match found {
            Found::Ticket(t) => {
                let h = hub.clone();
                let (day, id) = (t.day, t.id.0);
                hub.inner
                    .follow
                    .engine_work(move || h.auth_store().feedback_given(day, id).unwrap_or(false))
                    .await
                    .unwrap_or(false)
            }
            Found::Appointment(_) | Found::SignUp(_) => false,
        };
        if let Some(e) = lock(&self.state).views.get_mut(&key) {
            e.given |= given;
        }
        let job = Job {
            key,
            found: found.clone(),
            given,
        };
        let h = hub.clone();
        let _ = hub
            .inner
            .follow
            .engine_work(move || h.inner.follow.views.compute(&h, vec![job]))
            .await;
        rx
    }

    /// Take a place for a poll held on `key` from `ip`, within the caps.
    pub(super) fn hold(&self, hub: &Hub, key: Key, ip: IpAddr) -> Result<Hold, Full> {
        let bucket = crate::hub::auth::address_bucket(ip);
        let mut st = lock(&self.state);
        if st.known.get(&key.0).map_or(0, |k| k.held) >= POLLS_PER_LINK {
            return Err(Full::Link);
        }
        if st.held.get(&bucket).copied().unwrap_or(0) >= POLLS_PER_ADDRESS {
            return Err(Full::Address);
        }
        let Some(e) = st.views.get_mut(&key) else {
            return Err(Full::Hub);
        };
        let global = Held::take().ok_or(Full::Hub)?;
        e.held += 1;
        if let Some(k) = st.known.get_mut(&key.0) {
            k.held += 1;
        }
        *st.held.entry(bucket).or_default() += 1;
        Ok(Hold {
            hub: hub.clone(),
            key,
            bucket,
            _global: global,
        })
    }

    /// The visit's one question was answered on `subject`: its views say so at once.
    pub(super) fn feedback_given(&self, hub: &Hub, subject: Subject) {
        let jobs: Vec<Job> = {
            let mut st = lock(&self.state);
            st.views
                .iter_mut()
                .filter(|(k, _)| k.0 == subject)
                .map(|(k, e)| {
                    e.given = true;
                    Job {
                        key: *k,
                        found: e.found.clone(),
                        given: true,
                    }
                })
                .collect()
        };
        self.compute(hub, jobs);
    }

    /// After commits: compute every followed view again, once, and wake the polls whose view
    /// changed. Views nobody asked for in a while are forgotten.
    pub(super) fn refresh(&self, hub: &Hub) {
        let now = Instant::now();
        let jobs: Vec<Job> = {
            let mut st = lock(&self.state);
            st.views
                .retain(|_, e| e.held > 0 || now.duration_since(e.asked) < FORGET_AFTER);
            let followed: std::collections::HashSet<Subject> =
                st.views.keys().map(|k| k.0).collect();
            st.known.retain(|s, _| followed.contains(s));
            st.views
                .iter()
                .map(|(k, e)| Job {
                    key: *k,
                    found: e.found.clone(),
                    given: e.given,
                })
                .collect()
        };
        let seq = match self.compute(hub, jobs) {
            Some(seq) => seq,
            None => hub.inner.durable_seq.load(Ordering::SeqCst),
        };
        self.refreshed.send_if_modified(|s| {
            let later = seq > *s;
            if later {
                *s = seq;
            }
            later
        });
    }

    /// Compute `jobs` in batches under the engine's lock, and hand each view to its waiters
    /// (woken only if its version changed). Returns the sequence number of the first batch.
    fn compute(&self, hub: &Hub, jobs: Vec<Job>) -> Option<u64> {
        let catalog = hub.catalog();
        let mut words: HashMap<Lang, Words> = HashMap::new();
        let mut first = None;
        for batch in jobs.chunks(PER_LOCK) {
            for j in batch {
                words.entry(j.key.1).or_insert_with(|| Words::new(j.key.1));
            }
            let (seq, values): (u64, Vec<(Key, Value)>) = {
                let s = hub.session();
                let q = s.queue();
                let seq = q.seq();
                first.get_or_insert(seq);
                let values = batch
                    .iter()
                    .filter_map(|j| {
                        let w = words.get(&j.key.1)?;
                        Some((j.key, view(&catalog, q, w, &j.found, j.key.1, j.given)))
                    })
                    .collect();
                (seq, values)
            };
            // Serialized once per view, out of the engine's lock.
            let shown: Vec<(Key, Shown)> = values
                .into_iter()
                .map(|(key, value)| {
                    let json = serde_json::to_vec(&value).unwrap_or_default().into();
                    let value = Arc::new(value);
                    (key, Shown { seq, value, json })
                })
                .collect();
            self.computed
                .fetch_add(shown.len() as u64, Ordering::SeqCst);
            let st = lock(&self.state);
            for (key, new) in shown {
                if let Some(e) = st.views.get(&key) {
                    e.view.send_if_modified(|cur| replace(cur, new));
                }
            }
        }
        first
    }
}

/// Keep the newer of two views; wake the waiters only when what the page shows changed.
fn replace(cur: &mut Option<Shown>, new: Shown) -> bool {
    match cur {
        Some(c) if c.seq > new.seq => false,
        Some(c) if c.version() == new.version() => {
            c.seq = new.seq;
            false
        }
        Some(_) | None => {
            *cur = Some(new);
            true
        }
    }
}

/// The calm "too many requests, wait a minute" of a refused poll in `lang`, worded once per
/// language (a refusal must cost less than the request).
pub(super) fn too_many_words(lang: Lang) -> String {
    static WORDS: std::sync::OnceLock<std::sync::Mutex<HashMap<Lang, String>>> =
        std::sync::OnceLock::new();
    lock(WORDS.get_or_init(Default::default))
        .entry(lang)
        .or_insert_with(|| Words::new(lang).t("follow-too-many"))
        .clone()
}

/// One view to compute.
struct Job {
    key: Key,
    found: Found,
    given: bool,
}

/// The task that refreshes the followed views after commits: one refresh for all the events
/// that arrived while the last one ran, at most one every [`REFRESH_EVERY`] (a busy hub's
/// commits then share a refresh instead of keeping a core busy with views).
pub(crate) async fn refresh_after_commits(hub: Hub) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let mut pushes = hub.subscribe();
    let mut last = tokio::time::Instant::now();
    loop {
        match pushes.recv().await {
            Ok(Push::Event(_)) | Err(RecvError::Lagged(_)) => {}
            Ok(Push::Alerts(_)) => continue,
            Err(RecvError::Closed) => return,
        }
        tokio::time::sleep_until(last + REFRESH_EVERY).await;
        last = tokio::time::Instant::now();
        // Every event that came meanwhile is in this refresh.
        while let Ok(_) | Err(TryRecvError::Lagged(_)) = pushes.try_recv() {}
        let h = hub.clone();
        let _ = hub
            .inner
            .follow
            .engine_work(move || h.inner.follow.views.refresh(&h))
            .await;
    }
}
