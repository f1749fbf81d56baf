//! The event stream from the hub: opened with the token in a header, over TLS to the pinned hub;
//! snapshot, then events folded into the mirror, then live.

use super::*;

/// Open the event stream with the token in a header (never in the URL), over TLS to the
/// pinned hub for `https://`.
pub(super) async fn open_stream(
    inner: &Inner,
    after: Option<u64>,
) -> Result<tokio_tungstenite::WebSocketStream<Box<dyn Io>>, ClientError> {
    let base = inner.base();
    let ws_base = base.replacen("http", "ws", 1);
    let mut url = format!("{ws_base}/api/v1/events");
    if let Some(after) = after {
        url.push_str(&format!("?after={after}"));
        // Resuming is only right within the same history (not after the hub was restored).
        if let Some(h) = inner.history.lock().ok().and_then(|h| h.clone()) {
            url.push_str(&format!("&history={h}"));
        }
    }
    connect_ws(&base, &url, &inner.token, inner.pin.as_ref()).await
}

/// Open the WebSocket at `url` on the hub at `base` with the device's token in a header, over
/// TLS to the pinned hub for `https://` (the event stream; the standby's replica link).
pub(crate) async fn connect_ws(
    base: &str,
    url: &str,
    token: &str,
    pin: Option<&crate::hub::tls::Pin>,
) -> Result<tokio_tungstenite::WebSocketStream<Box<dyn Io>>, ClientError> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url
        .into_client_request()
        .map_err(|e| ClientError::Address(format!("bad hub address {}: {e}", base)))?;
    let auth = format!("Bearer {token}").parse().map_err(|_| {
        ClientError::Address("the device token is not valid in a header: pair again".to_string())
    })?;
    request.headers_mut().insert("authorization", auth);
    let parsed = reqwest::Url::parse(base)
        .map_err(|e| ClientError::Address(format!("bad hub address {}: {e}", base)))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| ClientError::Address(format!("no host in the hub address {}", base)))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .port_or_known_default()
        .unwrap_or(crate::hub::DEFAULT_PORT);
    let tcp = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| ClientError::Unreachable(format!("cannot reach {}: no answer in 3 s", base)))?
    .map_err(|e| ClientError::Unreachable(format!("cannot reach {}: {e}", base)))?;
    let _ = tcp.set_nodelay(true);
    keepalive(&tcp);
    let stream = if parsed.scheme() == "https" {
        let pin = pin.ok_or_else(|| {
            ClientError::Address(
                "no certificate fingerprint is recorded for the hub: pair again".to_string(),
            )
        })?;
        let config = crate::hub::tls::client_config(pin)?;
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| ClientError::Address(format!("bad hub host {host}: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| {
                ClientError::Unreachable(format!("cannot talk safely to {}: {e}", base))
            })?;
        Box::new(tls) as Box<dyn Io>
    } else {
        Box::new(tcp) as Box<dyn Io>
    };
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| ClientError::Unreachable(format!("cannot open the event stream: {e}")))?;
    Ok(ws)
}

/// Ask the hub its time (question `id`, with this device's own time for the hub to compare):
/// the question's number and when it left.
async fn ask_time(
    ws: &mut tokio_tungstenite::WebSocketStream<Box<dyn Io>>,
    id: u64,
) -> Result<(u64, std::time::Instant), ClientError> {
    use futures_util::SinkExt;
    let question = json!({"type": "clock", "id": id, "device": Utc::now().to_rfc3339()});
    let sent = std::time::Instant::now();
    ws.send(Message::Text(question.to_string().into()))
        .await
        .map_err(|e| ClientError::Stream(format!("stream broke: {e}")))?;
    Ok((id, sent))
}

/// TCP keepalive on a device's socket: the kernel probes an idle link and fails it when the
/// hub is gone (a power cut sends no FIN), as a second net under the stream's own silence check.
fn keepalive(tcp: &tokio::net::TcpStream) {
    let probes = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_IDLE);
    if let Err(e) = socket2::SockRef::from(tcp).set_tcp_keepalive(&probes) {
        log::warn!("cannot set TCP keepalive on the stream to the hub: {e}");
    }
}

pub(super) fn changed(inner: &Inner) {
    if let Ok(f) = inner.on_change.lock()
        && let Some(f) = f.as_ref()
    {
        f();
    }
}

/// Keep the mirror current: connect, take a snapshot or resume, apply events; on any break,
/// wait a little and resume from the last sequence number.
pub(super) async fn follow(inner: Arc<Inner>) {
    let mut wait = Duration::from_millis(250);
    loop {
        match stream_once(&inner).await {
            Ok(()) => wait = Duration::from_millis(250),
            Err(e) => {
                log::warn!("hub stream: {e}; retrying in {} ms", wait.as_millis());
                look_again(&inner).await;
            }
        }
        inner.online.store(false, Ordering::SeqCst);
        changed(&inner);
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Where the address was not set by hand: look for the hub again, and follow it to a new
/// address (a hub that came back with another DHCP lease). Never gives up: no answer keeps the
/// address that worked last.
async fn look_again(inner: &Arc<Inner>) {
    let finder = inner.finder.lock().ok().and_then(|f| f.clone());
    let Some(finder) = finder else {
        // A fixed address: its standby, then back.
        fence::try_other(inner);
        return;
    };
    let found = tokio::task::spawn_blocking(move || finder()).await;
    if let Ok(Some(url)) = found {
        let url = url.trim_end_matches('/').to_string();
        if let Ok(mut base) = inner.base.lock()
            && *base != url
        {
            log::warn!("the hub answers at {url} now (was {base}): following it there");
            *base = url;
            return;
        }
    }
    // Nobody new answered mDNS: the hub's standby (promoted, perhaps), then back.
    fence::try_other(inner);
}

/// Send a device's alerts to its hub, in the background (a failure is logged; the next
/// connection sends them again).
pub(super) fn send_alerts(inner: Arc<Inner>, alerts: Vec<crate::hub::AlertKind>) {
    let runtime = inner.rt.handle().clone();
    runtime.spawn(async move {
        // Only the kinds: the hub words them for staff.
        let body =
            json!({"alerts": alerts.iter().map(|k| json!({"kind": k.code()})).collect::<Vec<_>>()});
        let r = inner
            .http
            .post(format!("{}/api/v1/alerts", inner.base()))
            .bearer_auth(&inner.token)
            .json(&body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => log::warn!(
                "the hub refused this device's alerts ({}): {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(e) => log::warn!(
                "cannot tell the hub this device's alerts (sent again when the link is back): {e}"
            ),
        }
    });
}

/// Send this device's doctor report to its hub, in the background (a failure is logged; it is
/// sent again at the next connection).
pub(super) fn send_doctor(inner: Arc<Inner>, report: crate::hub::doctor_reports::DoctorReport) {
    let runtime = inner.rt.handle().clone();
    runtime.spawn(async move {
        let r = inner
            .http
            .post(format!("{}/api/v1/devices/doctor", inner.base()))
            .bearer_auth(&inner.token)
            .json(&report)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => log::warn!(
                "the hub refused this device's doctor report ({}): {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ),
            Err(e) => log::warn!(
                "cannot send the hub this device's doctor report (sent again when the link is back): {e}"
            ),
        }
    });
}

pub(super) async fn stream_once(inner: &Arc<Inner>) -> Result<(), ClientError> {
    // Never an old hub (a lower epoch), nor one that stepped down.
    fence::check_hub(inner).await?;
    let base = inner.base();
    let catalog: Catalog = inner
        .http
        .get(format!("{base}/api/v1/catalog"))
        .bearer_auth(&inner.token)
        .send()
        .await
        .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?
        .error_for_status()
        .map_err(|e| ClientError::Refused(format!("the hub refused: {e}")))?
        .json()
        .await
        .map_err(|e| ClientError::Stream(format!("the hub's catalog does not read: {e}")))?;
    let catalog = Arc::new(catalog);
    let same_catalog = **lock(&inner.mirror).catalog() == *catalog;
    let seq = lock(&inner.mirror).seq();
    let mut ws = open_stream(inner, (same_catalog && seq > 0).then_some(seq)).await?;
    inner.online.store(true, Ordering::SeqCst);
    // The hub says "clock" at the start only when it is unsure (and on every change).
    inner.clock_unsure.store(false, Ordering::SeqCst);
    changed(inner);
    if let Ok(f) = inner.on_connected.lock()
        && let Some(f) = f.as_ref()
    {
        f(&base, &catalog);
    }
    // Connected (again): the hub hears this device's alerts as they are now.
    let alerts = inner.alerts.lock().ok().and_then(|a| a.clone());
    if let Some(alerts) = alerts {
        send_alerts(inner.clone(), alerts);
    }
    let doctor = inner.doctor.lock().ok().and_then(|d| d.clone());
    if let Some(doctor) = doctor {
        send_doctor(inner.clone(), doctor);
    }
    // The hub's time: asked now and at each of its pings (one question out at a time).
    let mut asked = ask_time(&mut ws, 0).await?;
    loop {
        // Any frame (an event, the hub's ping every 15 s) proves the hub is there; silence
        // for STALE_AFTER is a hub that lost power: drop the stream and reconnect.
        let next = tokio::time::timeout(STALE_AFTER, ws.next()).await;
        let Ok(next) = next else {
            return Err(ClientError::Stream(format!(
                "no word from the hub for {} s (not even its ping): the link is dead",
                STALE_AFTER.as_secs()
            )));
        };
        let Some(msg) = next else { break };
        let msg = msg.map_err(|e| ClientError::Stream(format!("stream broke: {e}")))?;
        let text = match msg {
            Message::Text(text) => text,
            Message::Ping(_) => {
                asked = ask_time(&mut ws, asked.0 + 1).await?;
                continue;
            }
            Message::Binary(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {
                continue;
            }
        };
        let v: Value = serde_json::from_str(text.as_str())
            .map_err(|e| ClientError::Stream(format!("the stream's message does not read: {e}")))?;
        if v["type"] == "clock" {
            let hub = v["hub"]
                .as_str()
                .and_then(|h| DateTime::parse_from_rfc3339(h).ok());
            if let Some(hub) = hub
                && v["id"].as_u64() == Some(asked.0)
            {
                inner
                    .clock
                    .add(hub.with_timezone(&Utc), asked.1, std::time::Instant::now());
            }
            continue;
        }
        let applied = tokio::task::block_in_place(|| -> Result<(), ClientError> {
            let mut q = lock(&inner.mirror);
            match v["type"].as_str() {
                Some("hub") => {
                    if let Some(epoch) = v["epoch"].as_u64() {
                        let seen = inner.epoch.load(Ordering::SeqCst);
                        if epoch < seen {
                            return Err(ClientError::Refused(format!(
                                "the hub at {base} is an old hub (epoch {epoch}; this device has seen epoch {seen}): refused"
                            )));
                        }
                        fence::saw_epoch(inner, epoch);
                    }
                    fence::saw_standby(inner, v["standby"].as_str());
                }
                Some("snapshot") => {
                    let state: State = serde_json::from_value(v["state"].clone())
                        .map_err(|e| ClientError::Stream(format!("snapshot does not read: {e}")))?;
                    *q = Queue::resume(catalog.clone(), state, []);
                    if let Ok(mut h) = inner.history.lock() {
                        *h = v["history"].as_str().map(str::to_string);
                    }
                }
                Some("event") => {
                    let e: Stamped = serde_json::from_value(v)
                        .map_err(|e| ClientError::Stream(format!("event does not read: {e}")))?;
                    if e.seq == q.seq() + 1 {
                        q.follow(&e);
                        if let Ok(f) = inner.on_event.lock()
                            && let Some(f) = f.as_ref()
                        {
                            f(&q, &e);
                        }
                    } else if e.seq > q.seq() + 1 {
                        return Err(ClientError::Stream(format!(
                            "missed events {}..{}",
                            q.seq() + 1,
                            e.seq
                        )));
                    }
                }
                Some("clock-trust") => {
                    let unsure = v["trust"].as_str() == Some("unsure");
                    inner.clock_unsure.store(unsure, Ordering::SeqCst);
                }
                Some("alerts") => {
                    let list = serde_json::from_value(v["protection"].clone()).unwrap_or_default();
                    if let Ok(mut p) = inner.protection.lock() {
                        *p = list;
                    }
                }
                _ => {}
            }
            Ok(())
        });
        applied?;
        changed(inner);
    }
    Err(ClientError::Stream("the hub closed the stream".into()))
}
