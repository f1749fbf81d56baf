use super::*;

pub(super) async fn me(c: Who<ToRead>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"role": c.role, "device": c.device})))
}

/// This device gives up its token (the console's "Unpair this computer"): revoked on the hub,
/// its streams closed, recorded in the audit log.
pub(super) async fn unpair(State(hub): State<Hub>, c: Who<ToRead>) -> ApiResult<Json<Value>> {
    hub.revoke(c.device.id, "unpaired", &c.device.name)
        .map_err(ApiError::internal)?;
    Ok(Json(json!({"unpaired": c.device.id})))
}

pub(super) async fn catalog(State(hub): State<Hub>, _c: Who<ToRead>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(hub.catalog().as_ref())))
}

/// Device alerts for every paired device; the unacknowledged urgent protection requests for
/// staff only.
pub(super) async fn alerts(State(hub): State<Hub>, c: Who<ToRead>) -> ApiResult<Json<Value>> {
    Ok(Json(match c.role.audience() {
        Audience::Staff => json!({"alerts": hub.alerts(), "protection": hub.protection_alerts()}),
        Audience::Public => json!({"alerts": hub.alerts()}),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertIn {
    kind: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertsReq {
    /// The device's alerts now (empty: all clear).
    alerts: Vec<AlertIn>,
}

pub(super) async fn report_alerts(
    State(hub): State<Hub>,
    c: Who<ToRead>,
    Body(req): Body<AlertsReq>,
) -> ApiResult<Json<Value>> {
    if req.alerts.len() > 16
        || req
            .alerts
            .iter()
            .any(|a| a.kind.is_empty() || a.kind.len() > 40 || a.message.len() > 300)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "at most 16 alerts, each with a `kind` of 1 to 40 characters and a `message` of at most 300",
        ));
    }
    if req.alerts.iter().any(|a| a.kind == crate::hub::OFFLINE) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "\"device-offline\" is the hub's own finding: a device reports its own problems (paper-out, cover-open, …)",
        ));
    }
    hub.set_device_alerts(
        &crate::hub::AlertSource::device(c.device.id, &c.device.name),
        req.alerts
            .into_iter()
            .map(|a| (a.kind, a.message))
            .collect(),
    );
    Ok(Json(json!({"alerts": hub.alerts()})))
}

pub(super) async fn devices(State(hub): State<Hub>, _c: Who<ToAdmin>) -> ApiResult<Json<Value>> {
    let list = hub.auth_store().devices().map_err(ApiError::internal)?;
    Ok(Json(json!({"devices": list})))
}

pub(super) async fn revoke(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            format!("'{id}' is not a device number: see GET /api/v1/devices"),
        )
    })?;
    let found = hub
        .revoke(id, "revoked", &c.device.name)
        .map_err(ApiError::internal)?;
    if !found {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-device",
            format!("no device {id}: see GET /api/v1/devices"),
        ));
    }
    Ok(Json(json!({"revoked": id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PinReq {
    role: Role,
}

pub(super) async fn new_pin(
    State(hub): State<Hub>,
    _c: Who<ToAdmin>,
    Body(req): Body<PinReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (pin, expires) = auth::new_pin(&hub.auth_store(), req.role, chrono::Utc::now())
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"pin": pin, "role": req.role, "expires_at": expires})),
    ))
}

// ---------------------------------------------------------------- admin pages
