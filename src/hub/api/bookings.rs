use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DateQuery {
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    service: Option<String>,
}

pub(super) fn bad_query(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        format!("the query is not valid ({e}): dates are YYYY-MM-DD"),
    )
}

pub(super) async fn appointments(
    State(hub): State<Hub>,
    c: Who<ToServe>,
    query: Result<Query<DateQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(bad_query)?;
    blocking(&hub, move |hub| {
        let now = hub.now();
        let s = hub.session();
        let queue = s.queue();
        let date = q.date.unwrap_or_else(|| queue.local(now).date());
        let mut list: Vec<_> = queue
            .state()
            .appointments
            .values()
            .filter(|a| a.date == date)
            .filter(|a| q.service.as_ref().is_none_or(|sv| a.service.as_str() == sv))
            .cloned()
            .collect();
        list.sort_by_key(|a| (a.time, a.id));
        if !c.role.sees_personal() {
            for a in &mut list {
                a.contact = Contact::default();
            }
        }
        Ok(Json(json!({"date": date, "appointments": list})))
    })
    .await
}

pub(super) async fn slots(
    State(hub): State<Hub>,
    _c: Who<ToVisit>,
    query: Result<Query<DateQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(bad_query)?;
    let (Some(service), Some(date)) = (q.service, q.date) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "give `service` and `date` (YYYY-MM-DD), e.g. /api/v1/slots?service=legal&date=2026-12-01",
        ));
    };
    blocking(&hub, move |hub| {
        let s = hub.session();
        let queue = s.queue();
        let code = ServiceCode::new(service);
        let svc = queue.catalog().service(&code).ok_or_else(|| {
            ApiError::queue(&QueueError::UnknownService(code.clone()), Lang::En, hub)
        })?;
        let capacity = svc.capacity_on(date);
        let list: Vec<Value> = svc
            .slots_on(date)
            .into_iter()
            .map(|t| {
                let taken = queue.slot_taken(&code, date, t);
                json!({"time": t.format("%H:%M").to_string(), "free": capacity.saturating_sub(taken)})
            })
            .collect();
        Ok(Json(json!({"service": code, "date": date, "slots": list})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BookReq {
    service: String,
    date: NaiveDate,
    time: NaiveTime,
    lang: Lang,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

pub(super) fn contact(name: Option<String>, phone: Option<String>) -> Contact {
    let keep = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    Contact {
        name: keep(name),
        phone: keep(phone),
    }
}

pub(super) async fn book(
    State(hub): State<Hub>,
    c: Who<ToVisit>,
    Body(req): Body<BookReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let cmd = Command::BookAppointment {
        service: ServiceCode::new(req.service),
        date: req.date,
        time: req.time,
        lang: req.lang,
        contact: contact(req.name, req.phone),
        nonce: crate::engine::nonce(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let a = events.booked().cloned();
        // The caller gets the code it must give the visitor, even when it may not see names.
        Ok((
            StatusCode::CREATED,
            Json(json!({"code": a.as_ref().map(|a| a.code.clone()), "follow_url": hub.follow_url(&events), "appointment": a.map(|mut a| { if !c.role.sees_personal() { a.contact = Contact::default(); } a })})),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckInReq {
    code: String,
}

pub(super) async fn check_in(
    State(hub): State<Hub>,
    c: Who<ToVisit>,
    Body(req): Body<CheckInReq>,
) -> ApiResult<Json<Value>> {
    let cmd = Command::CheckIn {
        code: req.code.trim().to_string(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let t = events
            .issued()
            .map(|(t, _, _)| redact_ticket(t, c.role, &hub.catalog()));
        Ok(Json(json!({"label": t.as_ref().map(|t| t.label()), "ticket": t, "follow_url": hub.follow_url(&events), "events": events_json(&events, &c, &hub.catalog())})))
    })
    .await
}

pub(super) async fn cancel_appointment(
    State(hub): State<Hub>,
    c: Who<ToServe>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let cmd = Command::CancelAppointment { code };
    blocking(&hub, move |hub| {
        let events = execute(hub, &c, &cmd)?;
        Ok(Json(
            json!({"events": events_json(&events, &c, &hub.catalog())}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignUpReq {
    activity: String,
    date: NaiveDate,
    lang: Lang,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

pub(super) async fn sign_up(
    State(hub): State<Hub>,
    c: Who<ToVisit>,
    Body(req): Body<SignUpReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let cmd = Command::SignUp {
        activity: ActivityCode::new(req.activity),
        date: req.date,
        lang: req.lang,
        contact: contact(req.name, req.phone),
        nonce: crate::engine::nonce(),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let s = events.signed_up().map(|(s, p)| (s.clone(), p));
        Ok((
            StatusCode::CREATED,
            Json(json!({
                "code": s.as_ref().map(|(s, _)| s.code.clone()),
                "seated": s.as_ref().map(|(s, _)| s.seated),
                "waitlist_position": s.as_ref().and_then(|(_, p)| *p),
                "follow_url": hub.follow_url(&events),
            })),
        ))
    })
    .await
}

/// What the center keeps about a visitor, by the code of their appointment or sign-up (shown to
/// the visitor on request).
pub(super) async fn personal(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let s = hub.session();
        let q = s.queue();
        let code = code.trim();
        if let Some(a) = q.state().appointments.values().find(|a| a.code == code) {
            return Ok(Json(json!({"appointment": a})));
        }
        if let Some(x) = q.state().signups.values().find(|x| x.code == code) {
            return Ok(Json(json!({"signup": x})));
        }
        Err(ApiError::queue(
            &QueueError::UnknownCode(code.to_string()),
            c.lang,
            hub,
        ))
    })
    .await
}

/// Erase a visitor's name and phone on request: in the state, the log and the snapshots.
pub(super) async fn erase_personal(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let cmd = Command::EraseContact {
        code,
        by: c.device.name.clone(),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &c, &cmd)?;
        Ok(Json(
            json!({"erased": true, "events": events_json(&events, &c, &hub.catalog())}),
        ))
    })
    .await
}
