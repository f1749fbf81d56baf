//! `GET /api/v1/setup` (what the setup page can do) and `POST /api/v1/setup` (the setup code
//! for the first admin's token): see [`crate::hub::setup`]. Public like `/api/v1/pair`; every
//! try of a code counts against the address's pairing limit before the code is compared.

use super::*;
use crate::hub::setup::SetupState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetupReq {
    code: String,
    /// What to call this browser (e.g. "Coordinator's laptop").
    name: String,
}

pub(super) async fn setup_status(State(hub): State<Hub>) -> ApiResult<Json<Value>> {
    let state = blocking(&hub, |hub| hub.setup_state().map_err(ApiError::internal)).await?;
    Ok(Json(json!({ "state": state.code() })))
}

pub(super) async fn setup_pair(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<SetupReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = device_name(&req.name)?;
    let state = blocking(&hub, |hub| hub.setup_state().map_err(ApiError::internal)).await?;
    let code = match (state, hub.setup_code()) {
        (SetupState::Ready, Some(code)) => code,
        (SetupState::Used, _) => return Err(used()),
        (SetupState::NoCode | SetupState::NoCodeAdmin, _) | (SetupState::Ready, None) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "no-setup-code",
                "this hub has no setup code: write setup_code = \"…\" (10 or more digits of your own) in its integra.toml and restart it, or ask an admin for a PIN on the admin page",
            ));
        }
    };
    let ip = peer.ip();
    // Real time, like PINs, even when the queue runs on a fixed training clock.
    let now = chrono::Utc::now();
    count_attempt(&hub, ip, now)?;
    if !code.matches(&req.code) {
        let bucket = auth::address_bucket(ip).to_string();
        blocking(&hub, move |hub| {
            hub.auth_store()
                .log_security(now, "setup-code-wrong", &bucket, "")
                .map_err(ApiError::internal)
        })
        .await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong-setup-code",
            "this is not the setup code in the hub's integra.toml: check it and type it again (tries are limited)",
        ));
    }
    let answer = blocking(&hub, move |hub| {
        let token = auth::new_token().map_err(ApiError::internal)?;
        let device = hub
            .auth_store()
            .redeem_setup_code(&code.mark(), &name, &auth::token_hash(&token), now)
            .map_err(ApiError::internal)?;
        crate::hub::lock(&hub.inner.limiter).succeeded(ip);
        match device {
            Some(d) => {
                log::warn!(
                    "the setup code was spent: device {} '{}' paired as admin",
                    d.id,
                    d.name
                );
                Ok(json!({"token": token, "role": d.role, "device": d}))
            }
            None => Err(used()),
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

fn used() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "setup-code-used",
        "already used: ask an admin for a PIN on the admin page",
    )
}

pub(super) async fn page() -> Html<&'static str> {
    Html(include_str!("../../../assets/console/setup.html"))
}

pub(super) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../assets/console/setup.js"),
    )
        .into_response()
}
