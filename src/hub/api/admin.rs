use super::*;

/// A coordinator's change to the catalog: validated whole, recorded with the device that made
/// it, pushed to every device through the event stream.
pub(super) async fn edit_catalog(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Body(edit): Body<CatalogEdit>,
) -> ApiResult<Json<Value>> {
    // Icons are the shell's (embedded files): an unknown name is refused here.
    let icon = match &edit {
        CatalogEdit::PutService { service, .. } => Some(service.icon.as_str()),
        CatalogEdit::PutPriorityClass { class } => Some(class.icon.as_str()),
        _ => None,
    };
    if let Some(icon) = icon
        && !crate::icons::ICONS.iter().any(|(n, _)| *n == icon)
    {
        let known = crate::icons::ICONS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ");
        let err = QueueError::InvalidCatalog(vec![format!(
            "icon: '{icon}' is not one of the icons ({known})"
        )]);
        return Err(ApiError::queue(&err, c.lang, &hub));
    }
    let summary = edit.summary();
    let cmd = Command::EditCatalog {
        edit,
        by: c.device.name.clone(),
    };
    blocking(&hub, move |hub| {
        let events = execute(hub, &c, &cmd)?;
        let seq = events.last().map_or(0, |e| e.seq);
        Ok(Json(json!({
            "seq": seq,
            "summary": summary,
            "catalog": hub.catalog().as_ref(),
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StartDayBody {
    day: NaiveDate,
}

/// A coordinator starts the new day the hub's clock shows (the hub asked: its clock cannot be
/// trusted to turn the day by itself). Recorded with the device that confirmed it.
pub(super) async fn start_day(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Body(body): Body<StartDayBody>,
) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let events = hub
            .start_day(body.day, &c.device.name, hub.now())
            .map_err(|e| match e {
                EngineError::Queue(q) => ApiError::queue(&q, c.lang, hub),
                EngineError::Store(e) => ApiError::storage(&e, c.lang),
                EngineError::Replaced(_) => ApiError::replaced(hub, c.lang),
            })?;
        let seq = events.last().map_or(0, |e| e.seq);
        Ok(Json(json!({"seq": seq, "day": body.day})))
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct AuditQuery {
    limit: Option<String>,
}

/// What was changed on the admin pages, which personal data was erased on request, which
/// devices were paired or revoked: when, what, which device (newest first).
pub(super) async fn audit(
    State(hub): State<Hub>,
    _c: Who<ToAdmin>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let limit = match q.limit.as_deref() {
        None => 200,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=5000).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    format!("limit '{v}' is not a number from 1 to 5000"),
                )
            })?,
    };
    let events = hub
        .auth_store()
        .events_of_types(&["catalog_changed", "contact_erased", "day_started"], limit)
        .map_err(ApiError::internal)?;
    let mut entries: Vec<Value> = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::CatalogChanged { edit, by, .. } => Some(json!({
                "seq": e.seq,
                "at": e.at,
                "op": edit.as_ref().map_or("file", |x| x.op_target().0),
                "target": edit.as_ref().map(|x| x.op_target().1).unwrap_or_default(),
                "by": if by.is_empty() { "catalog file" } else { by.as_str() },
                "what": edit.as_ref().map_or_else(
                    || "catalog file adopted again (it was changed on disk)".to_string(),
                    CatalogEdit::summary,
                ),
                "kind": "catalog",
            })),
            Event::ContactErased {
                appointment,
                signup,
                by,
            } => Some(json!({
                "seq": e.seq,
                "at": e.at,
                "op": "erase",
                "target": match (appointment, signup) {
                    (Some(a), _) => format!("#{a}"),
                    (_, Some(s)) => format!("#{s}"),
                    _ => String::new(),
                },
                "by": by,
                "what": match (appointment, signup) {
                    (Some(a), _) => format!("name and phone erased on request (appointment {a})"),
                    (_, Some(s)) => format!("name and phone erased on request (sign-up {s})"),
                    _ => "name and phone erased on request".to_string(),
                },
                "kind": "erasure",
            })),
            // A day a coordinator confirmed (or the hub started on its trusted clock).
            Event::DayStarted { day, by } if !by.is_empty() => Some(json!({
                "seq": e.seq,
                "at": e.at,
                "op": "start-day",
                "target": day,
                "by": by,
                "what": format!("new day {day} started"),
                "kind": "day",
            })),
            _ => None,
        })
        .collect();
    // Devices unpaired or revoked (by whom), pairing lockouts (which address).
    let security = hub
        .auth_store()
        .security_log(limit)
        .map_err(ApiError::internal)?;
    for e in &security {
        entries.push(json!({
            "at": e.at,
            "op": e.kind,
            "target": e.target,
            "by": e.by,
            "kind": "security",
        }));
    }
    // Urgent protection requests acknowledged: which staff device, when.
    let acks = hub
        .auth_store()
        .acknowledgements(limit)
        .map_err(ApiError::internal)?;
    for a in &acks {
        entries.push(json!({
            "at": a.at,
            "op": "acknowledged",
            "target": a.label,
            "by": a.by,
            "what": format!("urgent protection request {} of {} acknowledged", a.label, a.day),
            "kind": "safeguarding",
        }));
    }
    // Devices paired and revoked (from the devices list, with their dates).
    let devices = hub.auth_store().devices().map_err(ApiError::internal)?;
    for d in &devices {
        let target = format!("{} ({})", d.name, d.role);
        entries.push(json!({"at": d.created_at, "op": "paired", "target": target, "by": d.name, "kind": "device"}));
    }
    entries.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["at"].as_str().unwrap_or("").to_string(),
                v["seq"].as_u64(),
            )
        };
        key(b).cmp(&key(a))
    });
    entries.truncate(limit);
    Ok(Json(json!({ "entries": entries })))
}

/// The icons a service may use (name and SVG), for the admin page's picker.
pub(super) async fn icons(_c: Who<ToAdmin>) -> ApiResult<Json<Value>> {
    let list: Vec<Value> = crate::icons::ICONS
        .iter()
        .map(|(name, svg)| json!({"name": name, "svg": String::from_utf8_lossy(svg)}))
        .collect();
    Ok(Json(json!({ "icons": list })))
}

#[derive(Deserialize)]
pub(super) struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    lang: Option<String>,
}

pub(super) fn query_date(name: &str, v: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    let v = v.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("give {name}=YYYY-MM-DD"),
        )
    })?;
    v.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("{name} '{v}' is not a date: expected YYYY-MM-DD, e.g. 2026-11-02"),
        )
    })
}

/// Figures for a period: `format=html` (a page with SVG charts), `csv` or `json`.
pub(super) async fn report(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let from = query_date("from", q.from.as_deref())?;
    let to = query_date("to", q.to.as_deref())?;
    // Two days given the other way round mean the same period.
    let (from, to) = (from.min(to), from.max(to));
    if (to - from).num_days() > 366 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period-too-long",
            "a report covers at most 367 days: ask for one year at a time",
        ));
    }
    let format = q.format.unwrap_or_else(|| "html".into());
    if !matches!(format.as_str(), "html" | "csv" | "json") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!("format '{format}' is not one of html, csv, json"),
        ));
    }
    let lang = match q.lang.as_deref() {
        None => c.lang,
        Some(l) => l.parse::<Lang>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                format!("lang '{l}' is not one of es, en, pt, fr, ht"),
            )
        })?,
    };
    blocking(&hub, move |hub| {
        let facts = hub
            .side_store()
            .and_then(|s| s.facts(from, to))
            .map_err(ApiError::internal)?;
        let catalog = hub.catalog();
        let r = crate::report::compute(&facts, &catalog, from, to);
        let l = Localizer::new(lang).map_err(ApiError::internal)?;
        let name = format!("integra-report-{from}-{to}");
        Ok(match format.as_str() {
            "csv" => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                crate::report::render::csv(&r, &l, &catalog),
            )
                .into_response(),
            "json" => Json(crate::report::render::json(&r)).into_response(),
            _ => (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())],
                crate::report::render::html(&r, &l, &catalog),
            )
                .into_response(),
        })
    })
    .await
}

/// The automatic backups: where the last went and when, what is wrong, a restore made at this
/// start (admin only: the path and times say where the center's data is kept).
pub(super) async fn backup_status(
    State(hub): State<Hub>,
    _c: Who<ToAdmin>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(hub.backup_status())))
}

/// "Download backup": a fresh backup (the data and the hub's key and certificate, as the
/// automatic ones), streamed as a file to an admin, and recorded in the audit log.
pub(super) async fn backup_download(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
) -> ApiResult<Response> {
    let by = c.device.name.clone();
    let (file, name, size) = blocking(&hub, move |hub| {
        let now = hub.now();
        let name = format!(
            "{}{}{}",
            super::super::backups::PREFIX,
            now.with_timezone(&hub.catalog().center.timezone)
                .format("%Y-%m-%dT%H%M%S"),
            super::super::backups::SUFFIX
        );
        let (file, size) = hub.backup_for_download().map_err(ApiError::internal)?;
        hub.auth_store()
            .log_security(now, "backup-downloaded", &name, &by)
            .map_err(ApiError::internal)?;
        log::warn!("backup downloaded by {by} ({size} bytes)");
        Ok((file, name, size))
    })
    .await?;
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut f = file?;
        let read = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 64 * 1024];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, f))
        })
        .await
        .map_err(std::io::Error::other);
        match read {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, f))) => Some((Ok(buf), Some(f))),
            Ok(Err(e)) | Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.sqlite3".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// The hub's clock for the admin page: trust, hub time, the center's time zone, why unsure.
pub(super) async fn clock_status(State(hub): State<Hub>, _c: Who<ToAdmin>) -> Json<Value> {
    Json(json!(hub.clock_status()))
}

/// What a coordinator does with the hub's clock.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub(super) enum ClockRequest {
    /// Set it to `time`, their computer's clock (RFC 3339).
    Set { time: chrono::DateTime<chrono::Utc> },
    /// The hub's time is right.
    Confirm,
}

/// A coordinator sets the hub's clock from their computer, or confirms it: audited (security
/// log, "clock-set" / "clock-confirmed", by their device), trust becomes "confirmed", the
/// alert clears.
pub(super) async fn set_clock(
    State(hub): State<Hub>,
    c: Who<ToAdmin>,
    Body(req): Body<ClockRequest>,
) -> ApiResult<Json<Value>> {
    blocking(&hub, move |hub| {
        let by = c.device.name.clone();
        let done = match req {
            ClockRequest::Set { time } => hub.set_clock(time, &by).map(Some),
            ClockRequest::Confirm => hub.confirm_clock(&by).map(|()| None),
        };
        match done {
            Ok(applied) => Ok(Json(json!({
                "clock": hub.clock_status(),
                "applied": applied,
            }))),
            Err(e @ crate::hub::ClockError::BeforeBuild(..)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-time",
                e.to_string(),
            )),
            Err(crate::hub::ClockError::Store(e)) => Err(ApiError::internal(e)),
        }
    })
    .await
}
