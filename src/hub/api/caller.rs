use super::*;
use crate::hub::idempotent::{Answer, KeyRefusal, RequestKey};

// ---------------------------------------------------------------- who is asking

pub struct Caller {
    pub role: Role,
    pub device: Device,
    pub lang: Lang,
    /// The request's `Idempotency-Key` header, as sent (checked with its command).
    pub idempotency_key: Option<Vec<u8>>,
}

/// The language for messages: `Accept-Language` when it names one of ours, else English.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|part| part.split(';').next())
                .filter_map(|tag| tag.trim().get(..2))
                .find_map(|code| code.parse::<Lang>().ok())
        })
        .unwrap_or(Lang::En)
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Who sent the request (token in `Authorization: Bearer`, or `token` in the query for the
/// WebSocket, which browsers cannot give headers), and whether that role may do `action`.
pub fn caller(
    hub: &Hub,
    headers: &HeaderMap,
    query_token: Option<&str>,
    action: Action,
) -> ApiResult<Caller> {
    if hub.replaced_by().is_some() {
        return Err(ApiError::replaced(hub, request_lang(headers)));
    }
    let token = bearer(headers)
        .or(query_token)
        .ok_or_else(ApiError::unauthorized)?;
    let device = hub
        .device_by_token(&auth::token_hash(token))
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::unauthorized)?;
    // A paired device that saw a higher epoch than this hub's (from a hub with this very
    // certificate): this hub was replaced (`hub::epoch`). A stranger's header counts for
    // nothing: it never gets this far.
    if let Some(epoch) = crate::hub::epoch::header_epoch(headers)
        && hub.saw_epoch(epoch)
    {
        return Err(ApiError::replaced(hub, request_lang(headers)));
    }
    let role = Role::parse(&device.role).ok_or_else(ApiError::unauthorized)?;
    hub.seen(&device);
    if !role.may(action) {
        return Err(ApiError::forbidden(role));
    }
    Ok(Caller {
        role,
        device,
        lang: request_lang(headers),
        idempotency_key: headers
            .get(crate::hub::idempotent::HEADER)
            .map(|v| v.as_bytes().to_vec()),
    })
}

/// Run blocking engine work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    hub: &Hub,
    f: impl FnOnce(&Hub) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let hub = hub.clone();
    tokio::task::spawn_blocking(move || f(&hub))
        .await
        .map_err(ApiError::internal)?
}

/// Execute one command; queue refusals become 4xx in `lang`. `key` is committed with its
/// events (see [`crate::hub::idempotent`]).
fn execute_keyed(
    hub: &Hub,
    cmd: &Command,
    lang: Lang,
    key: Option<RequestKey>,
) -> ApiResult<Vec<Stamped>> {
    let now = hub.now();
    let mut s = hub.session().keyed(key);
    s.execute(cmd, now).map_err(|e| match e {
        EngineError::Queue(q) => ApiError::queue(&q, lang, hub),
        EngineError::Store(e) => ApiError::storage(&e, lang),
        EngineError::Replaced(_) => ApiError::replaced(hub, lang),
    })
}

/// A caller's command, run once per idempotency key: a retry with the key of a command already
/// committed gets that command's events again, whatever the queue says now.
fn once(
    hub: &Hub,
    c: &Caller,
    cmd: &Command,
    run: impl FnOnce(Option<RequestKey>) -> ApiResult<Vec<Stamped>>,
) -> ApiResult<Vec<Stamped>> {
    let key = RequestKey::parse(c.idempotency_key.as_deref(), c.device.id, cmd)
        .map_err(ApiError::idempotency)?;
    match hub.once(key, run) {
        Ok(Answer::Ran(result)) => result,
        Ok(Answer::Again(events)) => Ok(events),
        Err(KeyRefusal::Key(e)) => Err(ApiError::idempotency(e)),
        Err(KeyRefusal::Store(e)) => Err(ApiError::storage(&e, c.lang)),
    }
}

/// Execute one command for a caller (once per idempotency key); queue refusals become 4xx in
/// the caller's language.
pub(super) fn execute(hub: &Hub, c: &Caller, cmd: &Command) -> ApiResult<Vec<Stamped>> {
    once(hub, c, cmd, |key| execute_keyed(hub, cmd, c.lang, key))
}

/// A visitor's command (ticket, booking, check-in, sign-up) for a caller (once per idempotency
/// key). A kiosk is held to its limits, and a check-in it sends gets one and the same answer
/// for every code that does not check in today. Staff and admin devices are not limited.
pub(super) fn execute_visit(hub: &Hub, c: &Caller, cmd: &Command) -> ApiResult<Vec<Stamped>> {
    if !c.role.limited() {
        return execute(hub, c, cmd);
    }
    once(hub, c, cmd, |key| {
        let now = hub.now();
        let result = hub.session().keyed(key).execute_for_kiosk(
            &format!("device-{}", c.device.id),
            cmd,
            now,
        );
        result.map_err(|e| match e {
            crate::hub::KioskError::Limited(secs) => ApiError::limited(secs, c.lang),
            crate::hub::KioskError::Engine(EngineError::Queue(q)) => {
                ApiError::queue(&q, c.lang, hub)
            }
            crate::hub::KioskError::Engine(EngineError::Store(e)) => ApiError::storage(&e, c.lang),
            crate::hub::KioskError::Engine(EngineError::Replaced(_)) => {
                ApiError::replaced(hub, c.lang)
            }
        })
    })
}

/// The events of the caller's own command. They say what the caller asked for (its visitor's
/// ticket, the code it must print) and nothing about anyone else; a lobby device gets its
/// visitor's ticket as the public sees it (see [`crate::hub::view::redact_own_event`]).
pub(super) fn events_json(events: &[Stamped], c: &Caller, catalog: &crate::core::Catalog) -> Value {
    let events: Vec<Stamped> = events
        .iter()
        .map(|e| crate::hub::view::redact_own_event(e, c.role, catalog))
        .collect();
    json!(events)
}

/// What a route needs its caller to be allowed to do: the type parameter of [`Who`].
pub trait Needs: Send + Sync + 'static {
    const ACTION: Action;
}

/// Read the queue, catalog and stream.
pub struct ToRead;
/// Issue, check in, book, sign up.
pub struct ToVisit;
/// Serve at a counter.
pub struct ToServe;
/// Manage the center.
pub struct ToAdmin;

impl Needs for ToRead {
    const ACTION: Action = Action::Read;
}
impl Needs for ToVisit {
    const ACTION: Action = Action::Visit;
}
impl Needs for ToServe {
    const ACTION: Action = Action::Serve;
}
impl Needs for ToAdmin {
    const ACTION: Action = Action::Admin;
}

/// The caller of a route, known and allowed to do what the route needs — an axum extractor,
/// so a handler cannot forget the check, and it runs before the body is read (a role that
/// may not act gets 403 whatever its body).
pub struct Who<N: Needs>(pub Caller, std::marker::PhantomData<N>);

impl<N: Needs> std::ops::Deref for Who<N> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<N: Needs> axum::extract::FromRequestParts<Hub> for Who<N> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        hub: &Hub,
    ) -> Result<Self, ApiError> {
        caller(hub, &parts.headers, None, N::ACTION).map(|c| Who(c, std::marker::PhantomData))
    }
}
