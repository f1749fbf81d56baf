//! Devices without a keyboard (the lobby TV) waiting to be approved: the device registers (no
//! secret), asks whether it is approved, and pairs by SPAKE2 with the code on its screen; the
//! admin lists them and approves one by typing that code (see [`crate::hub::waiting`]).

use super::*;
use crate::hub::waiting::{self, WaitingError};

/// A device registers as waiting: it learns the number it asks about.
pub(super) async fn wait_for_approval(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = auth::new_token()
        .map_err(ApiError::internal)?
        .chars()
        .skip(4)
        .take(16)
        .collect::<String>();
    let now = chrono::Utc::now();
    crate::hub::lock(&hub.inner.waiting)
        .register(peer.ip(), id.clone(), now)
        .map_err(refused)?;
    log::info!("a device at {} waits to be approved", peer.ip());
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "address": peer.ip(), "minutes": waiting::WAITING_MINUTES})),
    ))
}

/// Whether the waiting device `id` is approved (asked from its own address only).
pub(super) async fn waiting_state(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let approved =
        crate::hub::lock(&hub.inner.waiting).approved(&id, peer.ip(), chrono::Utc::now());
    match approved {
        Some(approved) => Ok(Json(json!({"approved": approved}))),
        None => Err(refused(WaitingError::Unknown)),
    }
}

/// The waiting devices, for the admin page.
pub(super) async fn waiting_list(
    State(hub): State<Hub>,
    _c: Who<ToAdmin>,
) -> ApiResult<Json<Value>> {
    let list = crate::hub::lock(&hub.inner.waiting).list(chrono::Utc::now());
    Ok(Json(json!({"waiting": list})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApproveReq {
    /// The code the device's screen shows.
    code: String,
    role: Role,
    name: String,
}

/// The admin approves a waiting device by typing the code its screen shows.
pub(super) async fn approve_waiting(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Path(id): Path<String>,
    Body(req): Body<ApproveReq>,
) -> ApiResult<Json<Value>> {
    let name = device_name(&req.name)?;
    let Some(code) = waiting::typed_code(&req.code) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            format!(
                "`code` is the {} digits the device's screen shows, e.g. \"1234 5678\"",
                waiting::CODE_DIGITS
            ),
        ));
    };
    match req.role {
        Role::Kiosk | Role::Counter | Role::Display => {}
        Role::Admin => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "a waiting device cannot be an admin: an admin is a browser, paired with an admin PIN",
            ));
        }
    }
    let now = chrono::Utc::now();
    let pin_hash = auth::pin_hash(&code);
    crate::hub::lock(&hub.inner.waiting)
        .approve(&id, pin_hash.clone(), req.role, name.clone(), now)
        .map_err(refused)?;
    let expires = now + chrono::Duration::minutes(waiting::WAITING_MINUTES);
    hub.auth_store()
        .add_pairing_pin(&pin_hash, req.role.as_str(), now, expires)
        .map_err(ApiError::internal)?;
    log::info!(
        "{} approved a waiting device as {} '{name}'",
        c.device.name,
        req.role.as_str()
    );
    Ok(Json(
        json!({"approved": id, "role": req.role, "name": name}),
    ))
}

fn refused(e: WaitingError) -> ApiError {
    match e {
        WaitingError::Full => {
            let mut a = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "waiting-full",
                e.to_string(),
            );
            a.retry_after = Some(60);
            a
        }
        WaitingError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not-waiting", e.to_string()),
    }
}
