use super::*;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this needs a device token: pair the device first (POST /api/v1/pair with a PIN from `integra pair --role ROLE`) and send `Authorization: Bearer TOKEN`",
        )
    }

    pub(super) fn forbidden(role: Role) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "a {} device may not do this: pair with a role that may",
                role.as_str()
            ),
        )
    }

    /// The hub cannot save (disk full, read-only, I/O error): 503 with words for the visitor in
    /// the caller's language; nothing was changed; the details go to the hub's log.
    pub(crate) fn storage(what: impl std::fmt::Display, lang: Lang) -> ApiError {
        log::error!("hub storage: {what}");
        let message = Localizer::new(lang)
            .map(|l| l.text("error-storage", None))
            .unwrap_or_else(|_| "The system cannot save right now. Please go to reception.".into());
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage", message);
        e.retry_after = Some(5);
        e
    }

    /// This hub stepped down (a promoted hub of a higher epoch replaced it): 409 `replaced`,
    /// saying where the hub is now, in the caller's language; nothing was done.
    pub(crate) fn replaced(hub: &Hub, lang: Lang) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "replaced", hub.replaced_message(lang))
    }

    /// An `Idempotency-Key` that cannot be used: malformed (400), or already used for another
    /// command (422, as the IETF draft says).
    pub(crate) fn idempotency(e: crate::hub::idempotent::KeyError) -> ApiError {
        use crate::hub::idempotent::KeyError;
        let (status, code) = match e {
            KeyError::Malformed => (StatusCode::BAD_REQUEST, "bad-idempotency-key"),
            KeyError::Reused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency-key-reused"),
        };
        ApiError::new(status, code, e.to_string())
    }

    /// Something failed inside the hub: the details go to the hub's log, never to the caller.
    pub(crate) fn internal(what: impl std::fmt::Display) -> ApiError {
        log::error!("hub: {what}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub could not do this; its log says why (journalctl -u integra on the hub)",
        )
    }

    pub(crate) fn queue(err: &QueueError, lang: Lang, hub: &Hub) -> ApiError {
        let status = match err {
            QueueError::UnknownService(_)
            | QueueError::UnknownCounter(_)
            | QueueError::UnknownTicket(_)
            | QueueError::UnknownCode(_)
            | QueueError::CodeNotForToday(_)
            | QueueError::UnknownLabel(_)
            | QueueError::UnknownActivity(_)
            | QueueError::UnknownPriority(_) => StatusCode::NOT_FOUND,
            QueueError::BadName
            | QueueError::BadPhone
            | QueueError::NoSuchSlot { .. }
            | QueueError::InThePast { .. }
            | QueueError::TooFarAhead(..)
            | QueueError::InvalidCatalog(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        let message = Localizer::new(lang)
            .map(|l| l.error(err, &hub.catalog()))
            .unwrap_or_else(|_| err.to_string());
        ApiError::new(
            status,
            err.fluent_id().trim_start_matches("error-"),
            message,
        )
    }
}

impl ApiError {
    /// A kiosk did too much in a short time: 429 with Retry-After and calm words for the
    /// visitor in their language.
    pub(super) fn limited(seconds: i64, lang: Lang) -> ApiError {
        let message = Localizer::new(lang)
            .map(|l| l.text("kiosk-too-many", None))
            .unwrap_or_else(|_| "Please wait a moment and try again, or ask at reception.".into());
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too-many-attempts", message);
        e.retry_after = Some(seconds);
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": {"code": self.code, "message": self.message}}));
        let mut resp = (self.status, body).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

/// A JSON body whose every problem (not JSON, wrong field, unknown field, too large) is a
/// clear JSON error.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => {
                let status = rejection.status();
                let (code, hint) = match &rejection {
                    JsonRejection::JsonDataError(_) => (
                        "invalid-field",
                        "a field is missing, unknown or of the wrong type",
                    ),
                    JsonRejection::JsonSyntaxError(_) => {
                        ("malformed-json", "the body is not valid JSON")
                    }
                    JsonRejection::MissingJsonContentType(_) => (
                        "content-type",
                        "send the header `Content-Type: application/json`",
                    ),
                    _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                        ("too-large", "the body is too large (at most 16 KiB)")
                    }
                    _ => ("bad-body", "the body could not be read"),
                };
                Err(ApiError::new(
                    status,
                    code,
                    format!("{hint}: {}", rejection.body_text()),
                ))
            }
        }
    }
}
