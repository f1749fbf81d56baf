use super::*;

pub(super) async fn state(State(hub): State<Hub>, c: Who<ToRead>) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let state = {
            let s = hub.session();
            let q = s.queue();
            redact_state(q.state(), c.role, q.catalog())
        };
        Ok(Json(json!({"seq": state.seq, "state": state})))
    })
    .await
}

pub(super) async fn queue(State(hub): State<Hub>, c: Who<ToRead>) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let now = hub.now();
        Ok(Json(json!(queue_view(hub.session().queue(), c.role, now))))
    })
    .await
}

/// Any queue command, as the core defines it (`{"kind": "issue_ticket", …}`); what a role may
/// send follows the same rules as the specific routes. Answers with the committed events.
pub(super) async fn command(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Body(cmd): Body<Command>,
) -> ApiResult<Json<Value>> {
    // Who may send what: the core's one table of command classes, matched whole.
    let action = match cmd.class() {
        CommandClass::Ticket | CommandClass::Booking | CommandClass::CheckIn => Action::Visit,
        CommandClass::Serve => Action::Serve,
        CommandClass::Admin => Action::Admin,
        CommandClass::HubOnly => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only the hub adopts its catalog file, at start: change the catalog with POST /api/v1/admin/catalog",
            ));
        }
    };
    let c = caller(&hub, &headers, None, action)?;
    // Who did it is the caller's device, never what the body says; the randomness of codes is
    // the hub's, never the caller's.
    let cmd = match cmd {
        Command::EraseContact { code, .. } => Command::EraseContact {
            code,
            by: c.device.name.clone(),
        },
        Command::EditCatalog { edit, .. } => Command::EditCatalog {
            edit,
            by: c.device.name.clone(),
        },
        Command::StartDay { day, .. } => Command::StartDay {
            day,
            by: c.device.name.clone(),
        },
        other => other,
    };
    let mut cmd = cmd;
    if let Command::BookAppointment { nonce, .. } | Command::SignUp { nonce, .. } = &mut cmd {
        *nonce = crate::engine::nonce();
    }
    blocking(&hub, move |hub| {
        let events = if action == Action::Visit {
            execute_visit(hub, &c, &cmd)?
        } else {
            execute(hub, &c, &cmd)?
        };
        Ok(Json(
            json!({"events": events_json(&events, &c, &hub.catalog()), "follow_url": hub.follow_url(&events)}),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IssueReq {
    service: String,
    lang: Lang,
    #[serde(default)]
    priority: Option<String>,
}

pub(super) async fn issue(
    State(hub): State<Hub>,
    c: Who<ToVisit>,
    Body(req): Body<IssueReq>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let cmd = Command::IssueTicket {
        service: ServiceCode::new(req.service),
        lang: req.lang,
        priority: req.priority.map(PriorityClass::new),
    };
    blocking(&hub, move |hub| {
        let events = execute_visit(hub, &c, &cmd)?;
        let issued = events.issued().map(|(ticket, ahead, wait_minutes)| {
            let ticket = redact_ticket(ticket, c.role, &hub.catalog());
            json!({"label": ticket.label(), "ticket": ticket, "ahead": ahead, "wait_minutes": wait_minutes})
        });
        let mut body = issued.unwrap_or_else(|| json!({}));
        body["follow_url"] = json!(hub.follow_url(&events));
        body["events"] = events_json(&events, &c, &hub.catalog());
        Ok((StatusCode::CREATED, Json(body)))
    })
    .await
}

pub(super) fn find_ticket(hub: &Hub, label: &str) -> ApiResult<TicketId> {
    let s = hub.session();
    let q = s.queue();
    match q.ticket_by_label(&label.to_ascii_uppercase()) {
        Ok(t) => return Ok(t.id),
        Err(QueueError::AmbiguousLabel(_)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ambiguous-ticket",
                format!(
                    "two tickets are {label} (one of the day before is still at a counter): give the ticket's id instead"
                ),
            ));
        }
        Err(_) => {}
    }
    label
        .parse::<u64>()
        .ok()
        .map(TicketId)
        .filter(|id| q.ticket(*id).is_some())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown-ticket",
                format!("no ticket '{label}' today: give its number as printed, e.g. A-023"),
            )
        })
}

pub(super) async fn ticket(
    State(hub): State<Hub>,
    c: Who<ToRead>,
    Path(label): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let id = find_ticket(hub, &label)?;
        let s = hub.session();
        let q = s.queue();
        Ok(Json(json!(q.ticket(id).map(|t| redact_ticket(
            t,
            c.role,
            q.catalog()
        )))))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ActionReq {
    /// For `transfer`: the service to send the visitor to.
    #[serde(default)]
    to: Option<String>,
}

pub(super) async fn ticket_action(
    State(hub): State<Hub>,
    c: Who<ToServe>,
    Path((label, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    // The body is optional here (only `transfer` needs one).
    let req: ActionReq = if body.iter().all(u8::is_ascii_whitespace) {
        ActionReq::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                if e.is_data() {
                    "invalid-field"
                } else {
                    "malformed-json"
                },
                format!("the body is not valid: {e}; for transfer send {{\"to\": \"SERVICE\"}}"),
            )
        })?
    };
    blocking(&hub, move |hub| {
        let id = find_ticket(hub, &label)?;
        let ticket = id;
        let cmd = match action.as_str() {
            "recall" => Command::Recall { ticket },
            "start" => Command::StartServing { ticket },
            "finish" => Command::Finish { ticket },
            "no-show" => Command::NoShow { ticket },
            "reopen" => Command::Reopen { ticket },
            "cancel" => Command::Cancel { ticket },
            "transfer" => match req.to {
                Some(to) => Command::Transfer {
                    ticket,
                    to: ServiceCode::new(to),
                },
                None => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-field",
                        "transfer needs `to`: the service code to send the visitor to",
                    ));
                }
            },
            "reprint" => return reprint(hub, id),
            "acknowledge" => return acknowledge(hub, id, &c),
            other => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown-action",
                    format!(
                        "unknown action '{other}': use recall, start, finish, no-show, reopen, cancel, transfer, reprint or acknowledge"
                    ),
                ));
            }
        };
        let events = execute(hub, &c, &cmd)?;
        let s = hub.session();
        Ok(Json(json!({"ticket": s.queue().ticket(id), "events": events_json(&events, &c, &hub.catalog())})))
    })
    .await
}

/// A staff member has seen an urgent protection request: it stops alerting on every console
/// and counter; the audit log records who and when.
pub(super) fn acknowledge(hub: &Hub, id: TicketId, c: &Caller) -> ApiResult<Json<Value>> {
    use crate::hub::guard::AckError;
    let ack = hub.acknowledge(id, &c.device.name).map_err(|e| match e {
        AckError::UnknownTicket => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-ticket",
            "no such ticket today",
        ),
        AckError::NotAProtectionRequest(label) => ApiError::new(
            StatusCode::CONFLICT,
            "not-a-protection-request",
            format!("{label} is not an urgent protection request: there is nothing to acknowledge"),
        ),
        AckError::Store(e) => ApiError::internal(e),
    })?;
    Ok(Json(json!({"acknowledged": ack})))
}

pub(super) fn reprint(hub: &Hub, id: TicketId) -> ApiResult<Json<Value>> {
    let (slip, label) = {
        let s = hub.session();
        let q = s.queue();
        let t = q.ticket(id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "unknown-ticket", "no such ticket")
        })?;
        // The figures the kiosk gave: its place in the public queue (none once called).
        let at = q.position(t.id).unwrap_or_default();
        (
            Slip::for_ticket(q.catalog(), t, at.ahead, at.wait_minutes),
            t.label(),
        )
    };
    let printer = hub.printer().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no-printer",
            "this hub has no printer: reprint from a kiosk, or set a printer in the hub's settings",
        )
    })?;
    let bytes = render(&slip, &printer.format).map_err(ApiError::internal)?;
    hub.print(Job {
        label: label.clone(),
        bytes,
    })
    .map_err(|e| ApiError::new(StatusCode::CONFLICT, "printer", e.to_string()))?;
    Ok(Json(json!({"reprinted": label})))
}

pub(super) async fn call_next(
    State(hub): State<Hub>,
    c: Who<ToServe>,
    Path(counter): Path<String>,
) -> ApiResult<Json<Value>> {
    let cmd = Command::CallNext {
        counter: CounterId::new(counter),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &c, &cmd)?;
        let called = events.called();
        let s = hub.session();
        let t = called.and_then(|id| s.queue().ticket(id).cloned());
        Ok(Json(json!({
            "label": t.as_ref().map(|t| t.label()),
            "ticket": t,
            "events": events_json(&events, &c, &hub.catalog()),
        })))
    })
    .await
}
