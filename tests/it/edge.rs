//! Every connection counted: the real `integra hub` under a soft limit of 1,024 open files (as
//! a hub or kiosk started by hand), flooded with WebSocket upgrades and half-open TLS
//! handshakes from many loopback addresses (127.0.0.x as different clients), while a real
//! client's /health must keep answering (measured: within 35 ms; the test allows HEALTH_BUDGET);
//! and the Host check before a redirect.

use super::browser::{HubProcess, free_port, pin};
use futures_util::StreamExt;
use futures_util::future::join_all;
use integra::hub::http::{CONNECTIONS_PER_ADDRESS, HANDSHAKE_TIMEOUT, STREAMS_PER_DEVICE};
use integra::hub::stream::AUTH_WAIT;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

type TlsTcp = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;
type Wss = tokio_tungstenite::WebSocketStream<TlsTcp>;

/// Raise this process's open-file limit to its hard limit (the test holds many sockets).
fn more_files() -> u64 {
    integra::hub::http::raise_file_limit().unwrap_or(0)
}

/// `integra hub` on `data`, listening on 127.0.0.1:`port`, started by `sh` after `limit` (a
/// `ulimit` command); its warnings go to `log`.
fn start_limited(data: &Path, port: u16, limit: &str, log: &Path) -> HubProcess {
    let log = std::fs::File::create(log).expect("log file");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("{limit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_integra"))
        .arg("--data")
        .arg(data)
        .args(["--at", "2026-01-05T14:00:00Z", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("hub")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start integra hub");
    let hub = HubProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the hub did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    hub
}

/// A hub under `ulimit -n 1024`, ready, with the TLS config that trusts it.
struct Limited {
    _hub: HubProcess,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    log: std::path::PathBuf,
}

async fn limited_hub(limit: &str) -> Limited {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let id = integra::hub::tls::Identity::load_or_create(&data).expect("identity");
    let pin = integra::hub::tls::Pin::to(&id.fingerprint());
    let tls = Arc::new(integra::hub::tls::client_config(&pin).expect("TLS client"));
    let port = free_port();
    let log = dir.path().join("hub.log");
    let hub = start_limited(&data, port, limit, &log);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let h = Limited {
        _hub: hub,
        _dir: dir,
        data,
        addr,
        tls,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while health(&h, 200).await != Some(200) {
        assert!(Instant::now() < deadline, "the hub never became ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    h
}

/// How long /health is given in the floods. The figure to meet is a second (SECURITY.md: at
/// most 35 ms measured); the test only asks that the hub still serves, with room for one
/// dropped SYN's retransmission (1 s) on a machine whose two cores run the whole suite — once,
/// in CI, a 1 s budget was missed there. Before this wave the hub gave no answer after the
/// 68th address (out of files, its half-open connections cut only after 5 s each).
const HEALTH_BUDGET: Duration = Duration::from_secs(3);

/// /health from 127.0.0.`n` on a new connection, given [`HEALTH_BUDGET`] in all; its status.
async fn health(h: &Limited, n: u8) -> Option<u16> {
    let client = super::common::https_to(&h.data)
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .pool_max_idle_per_host(0)
        .timeout(HEALTH_BUDGET)
        .build()
        .expect("client");
    let r = client
        .get(format!("https://{}/api/v1/health", h.addr))
        .send()
        .await
        .ok()?;
    Some(r.status().as_u16())
}

/// /health from another address answers 200 within [`HEALTH_BUDGET`]; how long it took.
async fn served(h: &Limited, when: &str) -> Duration {
    let t = Instant::now();
    assert_eq!(health(h, 200).await, Some(200), "{when} ");
    t.elapsed()
}

/// A TCP connection from 127.0.0.`n` to `to`.
async fn tcp_from(n: u8, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)), 0))?;
    sock.connect(to).await
}

/// A WebSocket on the event stream from 127.0.0.`n`, with a token in the header or none;
/// `None` when the hub refused or closed the connection.
async fn upgrade(h: &Limited, n: u8, token: Option<&str>) -> Option<Wss> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let go = async {
        let tcp = tcp_from(n, h.addr).await.ok()?;
        let name = rustls::pki_types::ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
        let tls = tokio_rustls::TlsConnector::from(h.tls.clone())
            .connect(name, tcp)
            .await
            .ok()?;
        let mut request = format!("wss://{}/api/v1/events", h.addr)
            .into_client_request()
            .ok()?;
        if let Some(t) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().ok()?);
        }
        let (ws, _) = tokio_tungstenite::client_async(request, tls).await.ok()?;
        Some(ws)
    };
    tokio::time::timeout(Duration::from_secs(10), go)
        .await
        .ok()
        .flatten()
}

/// How long until the hub closes `ws` (a close frame, the end, or an error), up to `limit`;
/// `None` when it is still open then.
async fn closed_after(mut ws: Wss, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    loop {
        let left = limit.saturating_sub(t.elapsed());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => return None,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return Some(t.elapsed()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Lines of the hub's log that contain `what`.
fn log_lines(h: &Limited, what: &str) -> usize {
    std::fs::read_to_string(&h.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(what))
        .count()
}

/// WebSocket floods on a hub allowed 1,024 open files: unauthenticated upgrades from one
/// address (at most 16 open at once, each closed within the auth wait), then from 68 addresses
/// (16 each: more than the hub can hold, the oldest unauthenticated ones make room), then a
/// display token opening 1,000 streams from 63 addresses (at most STREAMS_PER_DEVICE stay
/// open). /health from another address answers (within HEALTH_BUDGET) after each wave, and the hub
/// logs its refusals once a minute, not once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn websocket_floods_stay_inside_the_caps() {
    let files = more_files();
    assert!(
        files >= 4096,
        "this test needs 4096 open files, has {files}"
    );
    let h = limited_hub("ulimit -n 1024").await;
    let mut slowest = Duration::ZERO;
    let started = Instant::now();

    // One address: 160 upgrades in waves of 16 (each wave upgraded before the next starts).
    let mut upgraded: Vec<Wss> = Vec::new();
    for _ in 0..10 {
        let wave = join_all((0..CONNECTIONS_PER_ADDRESS).map(|_| upgrade(&h, 2, None))).await;
        upgraded.extend(wave.into_iter().flatten());
    }
    // How many are open now (the hub has had no reason to close any but the extra ones).
    let (open_now, upgraded): (Vec<bool>, Vec<Wss>) =
        join_all(upgraded.into_iter().map(|mut ws| async move {
            let open = match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
                Err(_) | Ok(Some(Ok(Message::Text(_) | Message::Ping(_)))) => true,
                Ok(_) => false,
            };
            (open, ws)
        }))
        .await
        .into_iter()
        .unzip();
    let open_now = open_now.iter().filter(|o| **o).count();
    assert!(
        open_now <= CONNECTIONS_PER_ADDRESS,
        "{open_now} unauthenticated streams open at once from one address"
    );
    slowest = slowest.max(served(&h, "one address").await);
    let limit = AUTH_WAIT + Duration::from_secs(2);
    let closed = join_all(upgraded.into_iter().map(|ws| closed_after(ws, limit))).await;
    let late = closed.iter().filter(|c| c.is_none()).count();
    assert_eq!(late, 0, "{late} unauthenticated streams outlived {limit:?}");
    println!(
        "160 unauthenticated upgrades from one address: {} upgraded, {open_now} open at once, closed after at most {:?}",
        closed.len(),
        closed.iter().flatten().max()
    );

    // 68 addresses, 16 each (1,088: more than 1,024 files).
    let mut held = Vec::new();
    for batch in 0..4u8 {
        let from = (0..17u8).map(|i| 10 + batch * 17 + i);
        let opened = join_all(
            from.flat_map(|n| (0..CONNECTIONS_PER_ADDRESS).map(move |_| n))
                .map(|n| upgrade(&h, n, None)),
        )
        .await;
        held.extend(opened.into_iter().flatten());
        slowest = slowest.max(
            served(
                &h,
                &format!(
                    "after {} addresses of unauthenticated streams",
                    (batch + 1) * 17
                ),
            )
            .await,
        );
    }
    println!(
        "1,088 unauthenticated upgrades from 68 addresses: {} upgraded",
        held.len()
    );
    drop(held);

    // A display's token opening 1,000 streams from 63 addresses.
    let http = super::common::https_to(&h.data).build().expect("client");
    let paired: Value = http
        .post(format!("https://{}/api/v1/pair", h.addr))
        .json(&json!({"pin": pin(&h.data, "display"), "name": "lobby tv"}))
        .send()
        .await
        .expect("pair")
        .json()
        .await
        .expect("json");
    let token = paired["token"].as_str().expect("token").to_string();
    let mut streams = Vec::new();
    for batch in 0..7u8 {
        let from = (0..9u8).map(|i| 100 + batch * 9 + i);
        let opened = join_all(
            from.flat_map(|n| (0..CONNECTIONS_PER_ADDRESS).map(move |_| n))
                .take(1000 - streams.len().min(1000))
                .map(|n| upgrade(&h, n, Some(&token))),
        )
        .await;
        streams.extend(opened.into_iter().flatten());
        slowest = slowest.max(
            served(
                &h,
                &format!("after {} of a display's streams", streams.len()),
            )
            .await,
        );
    }
    let opened = streams.len();
    let open = join_all(
        streams
            .into_iter()
            .map(|ws| closed_after(ws, Duration::from_secs(3))),
    )
    .await
    .iter()
    .filter(|c| c.is_none())
    .count();
    assert!(
        open <= STREAMS_PER_DEVICE,
        "a display's token holds {open} streams open"
    );
    println!("a display token opened {opened} streams: {open} still open");
    slowest = slowest.max(served(&h, "at the end").await);
    println!("/health at most {slowest:?} after every wave");
    // One line at the first refusal (and the first accept error, if any), then one a minute.
    let minutes = started.elapsed().as_secs() / 60;
    for what in ["refused a connection", "accept:"] {
        let lines = log_lines(&h, what) as u64;
        println!("log lines of \"{what}\": {lines}");
        assert!(
            lines <= 1 + minutes,
            "the hub logged {lines} lines of \"{what}\" in {:?}",
            started.elapsed()
        );
    }
}

/// 1,105 TCP connections from 68 addresses (16 or 17 each) that start a TLS handshake and never finish it, on
/// a hub allowed 1,024 open files: /health from another address answers (within HEALTH_BUDGET) after
/// every wave, and every half-open connection is closed within the handshake timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_tls_handshakes_do_not_stop_the_hub() {
    let files = more_files();
    assert!(
        files >= 4096,
        "this test needs 4096 open files, has {files}"
    );
    let h = limited_hub("ulimit -n 1024").await;
    let mut slowest = Duration::ZERO;
    let mut held = Vec::new();
    let started = Instant::now();
    for batch in 0..4u8 {
        let from = (0..17u8).map(|i| 10 + batch * 17 + i);
        let per = if batch == 3 { 17 } else { 16 };
        let opened = join_all(
            from.flat_map(|n| (0..per).map(move |_| n))
                .map(|n| async move {
                    let mut s = tcp_from(n, h.addr).await.ok()?;
                    // The start of a TLS record (a ClientHello), and nothing more.
                    s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00]).await.ok()?;
                    Some(s)
                }),
        )
        .await;
        held.extend(opened.into_iter().flatten());
        slowest = slowest.max(
            served(
                &h,
                &format!(
                    "after {} addresses of half-open handshakes",
                    (batch + 1) * 17
                ),
            )
            .await,
        );
    }
    println!(
        "half-open TLS: {} of 1,105 connected in {:?}, /health answered after each wave",
        held.len(),
        started.elapsed()
    );
    tokio::time::sleep(HANDSHAKE_TIMEOUT + Duration::from_secs(2)).await;
    let mut still = 0;
    for s in &held {
        let mut buf = [0u8; 64];
        match s.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => still += 1,
            _ => {}
        }
    }
    assert_eq!(
        still, 0,
        "half-open handshakes outlived the handshake timeout"
    );
    slowest = slowest.max(served(&h, "at the end").await);
    println!("/health at most {slowest:?} after every wave");
}

/// A hub started with a soft limit of 1,024 files raises it to its hard limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soft_file_limit_is_raised_to_the_hard_one() {
    let h = limited_hub("ulimit -Sn 1024").await;
    let pid = h._hub.0.id();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files line");
    let words: Vec<&str> = line.split_whitespace().collect();
    let (soft, hard) = (words[3], words[4]);
    assert_eq!(soft, hard, "{line}");
    assert_ne!(soft, "1024", "{line}");
}

/// Plain HTTP to a hub speaking HTTPS is redirected only to the hub's own address or name: a
/// Host with userinfo, a foreign name, a `.local` name not the hub's or an address not the
/// hub's gets 421 and no Location.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_is_not_the_hubs_is_refused_not_redirected() {
    let h = limited_hub("true").await;
    let port = h.addr.port();
    let own = format!("{}.local", integra::hub::discovery::host_name());
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (host, to) in [
        (
            format!("127.0.0.1:{port}"),
            Some(format!("https://127.0.0.1:{port}/admin")),
        ),
        (
            format!("{own}:{port}"),
            Some(format!("https://{own}:{port}/admin")),
        ),
        ("[::1]@evil.example".to_string(), None),
        (format!("[::1]:{port}@evil.example"), None),
        ("127.0.0.1@evil.example".to_string(), None),
        ("evil.example".to_string(), None),
        (format!("integra-elsewhere.local:{port}"), None),
        (format!("192.0.2.7:{port}"), None),
        (format!("127.0.0.1:{port}:1"), None),
    ] {
        let r = plain
            .get(format!("http://{}/admin", h.addr))
            .header("host", &host)
            .send()
            .await
            .expect("request");
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        match to {
            Some(to) => {
                assert_eq!(r.status().as_u16(), 308, "{host}");
                assert_eq!(location.as_deref(), Some(to.as_str()), "{host}");
            }
            None => {
                assert_eq!(r.status().as_u16(), 421, "{host}: {location:?}");
                assert_eq!(location, None, "{host}");
            }
        }
    }
}

/// The total follows the file limit, with room for the database and the rest.
#[test]
fn the_connection_cap_follows_the_file_limit() {
    use integra::hub::http::{CONNECTIONS_MAX, total_for_files};
    assert_eq!(total_for_files(1024), 768);
    assert_eq!(total_for_files(4096), 3456);
    assert_eq!(total_for_files(65536), CONNECTIONS_MAX);
    assert_eq!(total_for_files(200), 100);
    for files in [64, 256, 1024, 4096, 20000, 1 << 20] {
        let total = total_for_files(files) as u64;
        assert!(
            total + 64 <= files || total <= files / 2,
            "{files}: {total}"
        );
    }
}

/// Refusals are logged once a minute with their count, never once each.
#[test]
fn refusals_are_tallied_once_a_minute() {
    let mut t = integra::hub::http::Tally::per_minute();
    let t0 = Instant::now();
    assert_eq!(t.note(t0), Some(1));
    for s in 1..60 {
        assert_eq!(t.note(t0 + Duration::from_secs(s)), None);
    }
    assert_eq!(t.note(t0 + Duration::from_secs(60)), Some(60));
    assert_eq!(t.note(t0 + Duration::from_secs(61)), None);
}
