//! A command sent to the hub, answered once: each user action gets a fresh random
//! `Idempotency-Key`, and a command whose answer was lost on the way (the connection reset or
//! timed out after it was sent) is sent again with the same key, a bounded number of times —
//! the hub answers the retry with what the first try did (see `hub::idempotent`).

use super::*;

/// How many times a command is sent at most (the first try and its retries).
pub const COMMAND_TRIES: u32 = 3;
/// No retry starts later than this after the first try (the visitor is waiting).
const RETRY_WITHIN: Duration = Duration::from_secs(6);
/// A retry waits this long for its answer (the first try, [`COMMAND_TIMEOUT`]): a visitor
/// whose hub lost power hears "go to reception" after at most ~7.7 s.
const RETRY_TIMEOUT: Duration = Duration::from_millis(2500);
/// The pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A fresh random key for one user action (128 bits, hex), in the draft's form: a quoted
/// Structured Field string.
pub(super) fn fresh_key() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness from the system: the time and a counter still differ per action.
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNT.fetch_add(1, Ordering::SeqCst);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&t.to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether a failed send may have reached the hub with its answer lost (a retry is needed and
/// safe), rather than never leaving this device (no connection: the hub never saw it).
fn answer_lost(e: &reqwest::Error) -> bool {
    !e.is_connect() && !e.is_builder()
}

/// What the hub said to a command: its events and the follow link.
pub(super) type Answered = (Vec<Stamped>, Option<String>);

/// Send `cmd` to the hub with one key, again while its answer is lost.
pub(super) async fn send_command(
    inner: &Inner,
    cmd: &Command,
    lang: Lang,
) -> Result<Answered, Refusal> {
    let key = fresh_key();
    let started = std::time::Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let mut request = inner.http.post(format!("{}/api/v1/commands", inner.base()));
        if tries > 1 {
            request = request.timeout(RETRY_TIMEOUT);
        }
        let sent = request
            .bearer_auth(&inner.token)
            .header("accept-language", lang.code())
            .header(crate::hub::idempotent::HEADER, &key)
            .header(
                crate::hub::epoch::HEADER,
                inner.epoch.load(Ordering::SeqCst),
            )
            .json(cmd)
            .send()
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e)
                if answer_lost(&e) && tries < COMMAND_TRIES && started.elapsed() < RETRY_WITHIN =>
            {
                log::warn!(
                    "the hub's answer was lost ({}): sending the command again with the same key",
                    why(&e)
                );
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            Err(e) => {
                return Err(Refusal::Unavailable(format!(
                    "cannot reach the hub: {}",
                    why(&e)
                )));
            }
        };
        let status = r.status();
        // How long the hub's per-kiosk limit makes this kiosk wait (a 429's Retry-After).
        let retry_after = r
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        let v: Value = match r.json().await {
            Ok(v) => v,
            // The answer was cut in the middle: the command may be done, ask again.
            Err(e) if tries < COMMAND_TRIES && started.elapsed() < RETRY_WITHIN => {
                log::warn!(
                    "the hub's answer was cut ({}): sending the command again with the same key",
                    why(&e)
                );
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            Err(e) => {
                return Err(Refusal::Unavailable(format!(
                    "the hub's answer is not JSON: {e}"
                )));
            }
        };
        return answer(status, &v, retry_after);
    }
}

/// The hub's answer to a command: its events, or why not.
fn answer(
    status: reqwest::StatusCode,
    v: &Value,
    retry_after: Option<i64>,
) -> Result<Answered, Refusal> {
    if status.is_success() {
        let follow = v["follow_url"].as_str().map(str::to_string);
        return serde_json::from_value::<Vec<Stamped>>(v["events"].clone())
            .map(|events| (events, follow))
            .map_err(|e| Refusal::Unavailable(format!("the hub's events do not read: {e}")));
    }
    let code = v["error"]["code"].as_str().unwrap_or("").to_string();
    let message = v["error"]["message"].as_str().unwrap_or("").to_string();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS && code == "too-many-attempts" {
        // The kiosk says how long, counting down (as for the hub in its own process).
        return Err(Refusal::Limited(retry_after.unwrap_or(60).max(1)));
    }
    if status.is_server_error() || status.as_u16() == 401 || status.as_u16() == 403 {
        Err(Refusal::Unavailable(format!(
            "the hub answered {status}: {message}"
        )))
    } else {
        Err(Refusal::Remote { code, message })
    }
}
