//! A device without a keyboard waiting for the admin's approval, and what a pairing screen
//! shows of the hub before any PIN is typed: nothing secret is sent here (see
//! [`crate::hub::waiting`]); the pairing itself is [`Remote::pair_pinned`].

use super::{ClientError, Remote, why};
use serde_json::Value;
use std::time::Duration;

/// How long one of these requests may take.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);

/// This device on the hub's waiting list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingTicket {
    /// The number it asks about.
    pub id: String,
    /// Its own address, as the hub sees it (shown on its screen, listed on the admin page).
    pub address: String,
}

impl Remote {
    /// The fingerprint of the certificate the hub at `base` shows (`None` over plain HTTP):
    /// for a person to compare with the admin page before typing a PIN.
    pub fn hub_fingerprint(base: &str) -> Result<Option<String>, ClientError> {
        let pin = crate::hub::tls::Pin::first_use();
        get(base, "/api/v1/health", &pin, reqwest::Method::GET)?;
        Ok(pin.seen())
    }

    /// Register as waiting to be approved at the hub at `base`.
    pub fn wait_for_approval(base: &str) -> Result<WaitingTicket, ClientError> {
        let v = get(
            base,
            "/api/v1/pair/waiting",
            &crate::hub::tls::Pin::first_use(),
            reqwest::Method::POST,
        )?;
        match (v["id"].as_str(), v["address"].as_str()) {
            (Some(id), Some(address)) => Ok(WaitingTicket {
                id: id.to_string(),
                address: address.to_string(),
            }),
            _ => Err(ClientError::Refused(
                "what answered does not keep a waiting list as an Integra hub does".into(),
            )),
        }
    }

    /// Whether the admin approved this device (a fake hub may say yes: the pairing that
    /// follows still needs the code).
    pub fn approved(base: &str, ticket: &WaitingTicket) -> Result<bool, ClientError> {
        let v = get(
            base,
            &format!("/api/v1/pair/waiting/{}", ticket.id),
            &crate::hub::tls::Pin::first_use(),
            reqwest::Method::GET,
        )?;
        Ok(v["approved"].as_bool() == Some(true))
    }
}

fn get(
    base: &str,
    path: &str,
    pin: &crate::hub::tls::Pin,
    method: reqwest::Method,
) -> Result<Value, ClientError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
    let client = crate::hub::tls::http_client(pin)?
        .timeout(WAIT_TIMEOUT)
        .build()
        .map_err(|e| ClientError::Setup(format!("cannot build the HTTP client: {e}")))?;
    let url = format!("{}{path}", base.trim_end_matches('/'));
    rt.block_on(async {
        let r = client.request(method, &url).send().await.map_err(|e| {
            ClientError::Unreachable(format!("cannot reach the hub at {base}: {}", why(&e)))
        })?;
        let status = r.status();
        let v: Value = r.json().await.map_err(|_| {
            ClientError::Refused(format!("the hub at {base} answered what does not read"))
        })?;
        if let Some(m) = v["error"]["message"].as_str() {
            return Err(ClientError::Refused(m.to_string()));
        }
        if !status.is_success() {
            return Err(ClientError::Refused(format!(
                "the hub at {base} answered {status}"
            )));
        }
        Ok(v)
    })
}
