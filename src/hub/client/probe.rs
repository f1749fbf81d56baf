use super::*;

/// What a device learns by asking the hub (for `integra doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub center: String,
    /// The role and name this device is paired as, when its token is valid.
    pub paired: Option<(String, String)>,
    /// The hub refused the token (revoked or from another hub).
    pub token_refused: bool,
    /// The hub's clock when it answered (corrected by half the round trip), told to a paired
    /// device: the doctor compares this device's own.
    pub hub_time: Option<DateTime<Utc>>,
}

/// Ask the hub at `base` whether it is an Integra hub and whether `token` is paired; an
/// `https://` hub must show the certificate `fingerprint`.
pub fn probe(
    base: &str,
    token: Option<&str>,
    fingerprint: Option<&str>,
) -> Result<Probe, ClientError> {
    let base = base.trim_end_matches('/').to_string();
    // Without a pinned certificate any hub may answer whether it is up — but it gets no token
    // (the device counts as not paired: `integra join` pins the hub).
    let pin =
        Some(fingerprint.map_or_else(crate::hub::tls::Pin::first_use, crate::hub::tls::Pin::to));
    let token = if base.starts_with("https://") && fingerprint.is_none() {
        None
    } else {
        token
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::Setup(format!("cannot start the network runtime: {e}")))?;
    rt.block_on(async {
        let http = http_builder(&base, pin.as_ref())?
            .connect_timeout(Duration::from_secs(3))
            .timeout(COMMAND_TIMEOUT)
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot make an HTTP client: {e}")))?;
        // Without a token the hub says only whether it is up; with one, which center it is.
        let mut req = http.get(format!("{base}/api/v1/health"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let sent = std::time::Instant::now();
        let health: Value = req
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?
            .json()
            .await
            .map_err(|_| {
                ClientError::Refused(format!("{base} answers, but it is not an Integra hub"))
            })?;
        let half_trip = chrono::Duration::from_std(sent.elapsed() / 2).unwrap_or_default();
        let hub_time = health["now"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc) + half_trip);
        if !matches!(
            health["status"].as_str(),
            Some("ok" | "starting" | "clock-unsure")
        ) {
            return Err(ClientError::Refused(format!(
                "{base} answers, but it is not an Integra hub"
            )));
        }
        let center = health["center"].as_str().unwrap_or("?").to_string();
        let Some(token) = token else {
            return Ok(Probe {
                center,
                paired: None,
                token_refused: false,
                hub_time,
            });
        };
        let r = http
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(format!("cannot reach {base}: {}", why(&e))))?;
        if r.status().as_u16() == 401 {
            return Ok(Probe {
                center,
                paired: None,
                token_refused: true,
                hub_time,
            });
        }
        let me: Value = r.json().await.map_err(|e| {
            ClientError::Refused(format!("{base} answers, but not as an Integra hub: {e}"))
        })?;
        Ok(Probe {
            center,
            paired: Some((
                me["role"].as_str().unwrap_or_default().to_string(),
                me["device"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )),
            token_refused: false,
            hub_time,
        })
    })
}
