use super::*;

// ---------------------------------------------------------------- where phones reach the hub

/// What is wrong with a `follow_url` setting, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowUrlError {
    #[error("'{0}' does not start with http:// or https:// (e.g. http://192.168.1.10:7878)")]
    Scheme(String),
    #[error(
        "'{0}' must be only the address phones reach, with no path (e.g. http://192.168.1.10:7878)"
    )]
    Path(String),
    #[error(
        "'{0}': the hub answers only at an IP address or a .local name (e.g. http://192.168.1.10:7878 or http://integra.local:7878)"
    )]
    Host(String),
}

/// Check a `follow_url` setting: `http(s)://HOST[:PORT]` with HOST an IP address or a `.local`
/// name (the hub answers no other name), nothing after. Returns it without a trailing slash.
pub fn check_base(url: &str) -> Result<String, FollowUrlError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| FollowUrlError::Scheme(url.to_string()))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(FollowUrlError::Path(url.to_string()));
    }
    if !crate::hub::http::host_ok(rest) {
        return Err(FollowUrlError::Host(url.to_string()));
    }
    Ok(url.to_string())
}

/// The address of this machine on the LAN that phones most likely reach (a private IPv4
/// address of an interface that is up), if any.
pub(super) fn lan_address() -> Option<IpAddr> {
    let addrs = if_addrs::get_if_addrs().ok()?;
    let v4: Vec<std::net::Ipv4Addr> = addrs
        .iter()
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    v4.iter()
        .find(|a| a.is_private())
        .or_else(|| v4.first())
        .map(|a| IpAddr::V4(*a))
}

/// Where links point, and what limits their pages.
#[derive(Default)]
pub struct Links {
    pub(super) key: std::sync::OnceLock<[u8; 32]>,
    /// The technician's `follow_url`, when set.
    base: std::sync::RwLock<Option<String>>,
    /// The address the hub listens on (set when it starts serving).
    listen: std::sync::OnceLock<SocketAddr>,
    limits: std::sync::Mutex<HashMap<IpAddr, Seen>>,
    /// The hub's own runtime (set when it starts serving): the engine work of follow pages
    /// runs on its blocking threads, never on the follow pages' threads of low priority.
    engine: std::sync::OnceLock<tokio::runtime::Handle>,
    /// The views of the links being followed, shared by every phone waiting on them.
    pub(crate) views: Views,
}

#[derive(Default)]
pub(super) struct Seen {
    requests: VecDeque<Instant>,
    unknown: VecDeque<Instant>,
}

/// Pages and answers one address may ask for per minute (a phone long-polls about twice a
/// minute; a family on one address follows a few tickets).
pub const REQUESTS_PER_MINUTE: usize = 120;
/// Unknown or expired links one address may try per 10 minutes before it is refused.
pub const UNKNOWN_PER_10_MINUTES: usize = 20;

impl Links {
    pub(crate) fn set_key(&self, key: [u8; 32]) {
        let _ = self.key.set(key);
    }

    pub(crate) fn set_listen(&self, addr: SocketAddr) {
        let _ = self.listen.set(addr);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let _ = self.engine.set(rt);
        }
    }

    /// Run engine work of a follow page (it takes the engine's lock or a database connection)
    /// on the hub's own blocking threads, at normal priority: a follow page is served on
    /// threads of low priority (`hub::http::pool`), and one of those holding the lock while
    /// the CPU is busy would keep the kiosks' and counters' commands waiting.
    pub(crate) async fn engine_work<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, tokio::task::JoinError> {
        match self.engine.get() {
            Some(rt) => rt.spawn_blocking(work).await,
            None => tokio::task::spawn_blocking(work).await,
        }
    }

    pub(crate) fn set_base(&self, base: Option<String>) {
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = base;
    }

    /// The address links start with: the setting, else the hub's own address (its LAN address
    /// when it listens on all interfaces). `None` while the hub serves nothing.
    pub fn base(&self) -> Option<String> {
        if let Some(b) = self.base.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Some(b);
        }
        let listen = self.listen.get()?;
        let ip = if listen.ip().is_unspecified() {
            lan_address()?
        } else {
            listen.ip()
        };
        Some(format!("http://{}", SocketAddr::new(ip, listen.port())))
    }

    /// The host name of the technician's `follow_url`, when it names the hub by a name (not an
    /// address): one of the hub's own names.
    pub(crate) fn base_name(&self) -> Option<String> {
        let base = self
            .base
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let host = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))?;
        match crate::hub::http::parse_host(host)? {
            crate::hub::http::HostName::Name(n) => Some(n),
            crate::hub::http::HostName::Ip(_) => None,
        }
    }

    /// The link of `subject` (of local day `day`).
    pub fn url(&self, subject: Subject, day: NaiveDate) -> Option<String> {
        let key = self.key.get()?;
        Some(format!("{}/f/{}", self.base()?, token(key, subject, day)))
    }

    /// Count a request from `ip`; `Err(seconds)` when it must wait.
    pub(super) fn admit(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut all = lock(&self.limits);
        if all.len() > 10_000 {
            all.retain(|_, s| {
                s.requests
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(600))
            });
        }
        let s = all.entry(crate::hub::auth::address_bucket(ip)).or_default();
        prune(&mut s.requests, now, Duration::from_secs(60));
        prune(&mut s.unknown, now, Duration::from_secs(600));
        if s.unknown.len() >= UNKNOWN_PER_10_MINUTES {
            return Err(wait_for(&s.unknown, now, Duration::from_secs(600)));
        }
        if s.requests.len() >= REQUESTS_PER_MINUTE {
            return Err(wait_for(&s.requests, now, Duration::from_secs(60)));
        }
        s.requests.push_back(now);
        Ok(())
    }

    /// A request from `ip` turned into a held long poll: it is not counted (the held polls'
    /// caps bound those).
    pub(super) fn refund(&self, ip: IpAddr) {
        let mut all = lock(&self.limits);
        if let Some(s) = all.get_mut(&crate::hub::auth::address_bucket(ip)) {
            s.requests.pop_back();
        }
    }

    /// A link that opens nothing was asked for from `ip`.
    pub(super) fn unknown(&self, ip: IpAddr) {
        let mut all = lock(&self.limits);
        all.entry(crate::hub::auth::address_bucket(ip))
            .or_default()
            .unknown
            .push_back(Instant::now());
    }
}

pub(super) fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

pub(super) fn wait_for(q: &VecDeque<Instant>, now: Instant, window: Duration) -> u64 {
    q.front().map_or(1, |t| {
        (window.saturating_sub(now.duration_since(*t))).as_secs() + 1
    })
}

impl Inner {
    /// The follow link of what a command's own events made, if the hub serves links.
    pub(crate) fn follow_url_for(&self, events: &[Stamped]) -> Option<String> {
        let (subject, day) = Subject::of_events(events)?;
        self.follow.url(subject, day)
    }
}

impl Hub {
    /// The address phones reach the hub at, for follow links (`follow_url` in the settings);
    /// `None`: the hub's own address.
    pub fn set_follow_base(&self, base: Option<String>) {
        self.inner.follow.set_base(base);
    }

    /// The follow link of what a command's own events made (a ticket, an appointment, a
    /// sign-up), when the hub serves links.
    pub fn follow_url(&self, events: &[Stamped]) -> Option<String> {
        self.inner.follow_url_for(events)
    }

    /// The follow views being shared (how many were computed: for tests and benches).
    pub fn follow_views(&self) -> &Views {
        &self.inner.follow.views
    }
}
