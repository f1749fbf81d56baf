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

/// Device alerts and the unacknowledged urgent protection requests: for staff only (a lobby
/// device learns nothing of either, not even their timing).
pub(super) async fn alerts(State(hub): State<Hub>, _c: Who<ToServe>) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"alerts": hub.alerts(), "protection": hub.protection_alerts()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertIn {
    kind: String,
    /// Free text older devices sent with each alert: accepted (bounded) so they still report
    /// during an update, and dropped — staff never read a device's words, only the hub's.
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertsReq {
    /// The device's alerts now (empty: all clear).
    alerts: Vec<AlertIn>,
}

/// A device reports its own alerts (its printer's for a kiosk, its speakers' for a display),
/// as kinds from the fixed list; they replace its previous ones and are kept under its id.
pub(super) async fn report_alerts(
    State(hub): State<Hub>,
    c: Who<ToRead>,
    Body(req): Body<AlertsReq>,
) -> ApiResult<Json<Value>> {
    let own = AlertKind::reported_by_role(c.role);
    let own_codes = own.iter().map(|k| k.code()).collect::<Vec<_>>().join(", ");
    if req.alerts.len() > 16 || req.alerts.iter().any(|a| a.message.chars().count() > 300) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "at most 16 alerts, each a `kind` (and an ignored `message` of at most 300 characters)",
        ));
    }
    let mut kinds = Vec::new();
    for a in &req.alerts {
        let Some(kind) = AlertKind::parse(&a.kind) else {
            let known = AlertKind::ALL.map(AlertKind::code).join(", ");
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                format!(
                    "`kind` must be one of {known}; a {} device reports {}",
                    c.role.as_str(),
                    if own.is_empty() {
                        "none"
                    } else {
                        own_codes.as_str()
                    }
                ),
            ));
        };
        if !kind.reported_by(c.role) {
            let whose = match kind.raised_by() {
                RaisedBy::Hub => "the hub's own finding",
                RaisedBy::Printer => "a kiosk's printer's",
                RaisedBy::Speakers => "a lobby display's speakers'",
            };
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "not-your-alert",
                format!(
                    "\"{kind}\" is {whose}: a {} device reports only its own ({})",
                    c.role.as_str(),
                    if own.is_empty() {
                        "none"
                    } else {
                        own_codes.as_str()
                    }
                ),
            ));
        }
        kinds.push(kind);
    }
    hub.set_device_alerts(
        &crate::hub::AlertSource::device(c.device.id, &c.device.name),
        kinds,
    );
    // The device learns back its own alerts only, never another device's.
    let own: Vec<crate::hub::DeviceAlert> = hub
        .alerts()
        .into_iter()
        .filter(|a| a.device_id == Some(c.device.id))
        .collect();
    Ok(Json(json!({"alerts": own})))
}

/// Every paired device, with its last-seen time and its last doctor report (when it sent one
/// since the hub started).
pub(super) async fn devices(State(hub): State<Hub>, _c: Who<ToAdmin>) -> ApiResult<Json<Value>> {
    let list = hub.auth_store().devices().map_err(ApiError::internal)?;
    let list: Vec<Value> = list
        .into_iter()
        .map(|d| {
            let doctor = hub.doctor_report(d.id);
            let mut v = json!(d);
            if let (Some(obj), Some(r)) = (v.as_object_mut(), doctor) {
                obj.insert("doctor".into(), json!(r));
            }
            v
        })
        .collect();
    Ok(Json(
        json!({"devices": list, "hub": {"doctor": hub.own_doctor_report()}}),
    ))
}

/// A device sends its doctor's lines and its version (no personal data: checks of the device).
pub(super) async fn report_doctor(
    State(hub): State<Hub>,
    c: Who<ToRead>,
    Body(report): Body<crate::hub::doctor_reports::DoctorReport>,
) -> ApiResult<Json<Value>> {
    if let Some(problem) = report.problem() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            problem,
        ));
    }
    let lines = report.lines.len();
    hub.set_doctor_report(c.device.id, report);
    Ok(Json(json!({"lines": lines})))
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
    // Answered once the standby's copy holds the revocation (bounded; see `hub::replica`).
    let h = hub.clone();
    tokio::task::spawn_blocking(move || {
        h.inner
            .replica
            .rebase_and_wait(crate::hub::replica::SYNC_WAIT)
    })
    .await
    .map_err(ApiError::internal)?;
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
