//! The admin pages' API: catalog changes validated whole (a bad one changes nothing), pushed to
//! subscribed devices, kept across a restart, recorded in the audit log with the device; a
//! changed catalog file wins at start.

use super::common::*;
use super::hub::{TestHub, start_hub};
use integra::core::{Catalog, CatalogEdit, Command};
use integra::engine::Engine;
use integra::hub::{Hub, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

fn demo() -> Arc<Catalog> {
    Arc::new(Catalog::demo().expect("demo"))
}

fn service_json(h: &Catalog, code: &str) -> Value {
    json!(h.service(&code.into()).expect("service"))
}

async fn catalog_of(h: &TestHub, token: &str) -> Value {
    let (status, v) = h.call("GET", "/api/v1/catalog", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    v
}

/// Bad changes, each with the status and a word the message must hold: none changes anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_admin_input_changes_nothing() {
    let h = start_hub(demo()).await;
    let admin = h.token(Role::Admin).await;
    let counter = h.token(Role::Counter).await;
    let cat = demo();
    // Something to strand: a visitor waiting for "legal", a seat taken at the sewing workshop.
    {
        let now = monday_9();
        let mut s = h.hub.session();
        s.execute(&issue("legal", None), now).expect("ticket");
        s.execute(
            &Command::CallNext {
                counter: "2".into(),
            },
            now,
        )
        .expect("called at counter 2");
        for nonce in [7, 8] {
            s.execute(
                &Command::SignUp {
                    activity: "sewing".into(),
                    date: chrono::NaiveDate::from_ymd_opt(2026, 1, 7).expect("date"),
                    lang: integra::core::Lang::Fr,
                    contact: Default::default(),
                    nonce,
                },
                now,
            )
            .expect("sign-up");
        }
    }

    let mut dup_prefix = service_json(&cat, "health");
    dup_prefix["prefix"] = json!("A");
    let mut no_ht_name = service_json(&cat, "health");
    no_ht_name["name"]["ht"] = json!("  ");
    let mut bad_icon = service_json(&cat, "health");
    bad_icon["icon"] = json!("rocket");
    let mut short_slot = service_json(&cat, "legal");
    short_slot["appointments"]["weekdays"] = json!({"tue": {"slot_minutes": 2, "capacity": 1}});
    let mut no_capacity = service_json(&cat, "legal");
    no_capacity["appointments"]["weekdays"] = json!({"wed": {"slot_minutes": 30, "capacity": 0}});
    let mut bad_hours = service_json(&cat, "info");
    bad_hours["hours"]["mon"] = json!(["17:00-08:00"]);
    let mut own_letter = service_json(&cat, "protection");
    own_letter["prefix"] = json!("H");
    let mut protection_room = json!(cat.counter(&"5".into()).expect("counter 5"));
    protection_room
        .as_object_mut()
        .expect("object")
        .remove("public_name");
    let mut bad_class_icon = json!(cat.priority_class(&"older".into()).expect("older"));
    bad_class_icon["icon"] = json!("rocket");
    let mut no_seats = json!(cat.activity(&"spanish".into()).expect("spanish"));
    no_seats["seats"] = json!(0);
    let mut one_seat_for_two = json!(cat.activity(&"sewing".into()).expect("sewing"));
    one_seat_for_two["seats"] = json!(1);

    struct Bad {
        body: Value,
        status: u16,
        says: &'static str,
    }
    let cases = [
        Bad {
            body: json!({"op": "put_service", "service": dup_prefix}),
            status: 422,
            says: "prefix 'A' is already used",
        },
        Bad {
            body: json!({"op": "put_service", "service": no_ht_name}),
            status: 422,
            says: "name.ht",
        },
        Bad {
            body: json!({"op": "put_service", "service": bad_icon}),
            status: 422,
            says: "rocket",
        },
        Bad {
            body: json!({"op": "put_service", "service": short_slot}),
            status: 422,
            says: "weekdays.tue.slot_minutes",
        },
        Bad {
            body: json!({"op": "put_service", "service": no_capacity}),
            status: 422,
            says: "weekdays.wed.capacity",
        },
        Bad {
            body: json!({"op": "put_service", "service": bad_hours}),
            status: 422,
            says: "HH:MM-HH:MM",
        },
        Bad {
            body: json!({"op": "put_counter", "counter": {"id": "9", "name": "Nueva", "services": ["astrology"]}}),
            status: 422,
            says: "unknown service 'astrology'",
        },
        Bad {
            body: json!({"op": "put_counter", "counter": {"id": "9", "name": "Nueva", "services": []}}),
            status: 422,
            says: "at least one service",
        },
        Bad {
            body: json!({"op": "remove_counter", "id": "2"}),
            status: 409,
            says: "Counter 2 is calling or serving",
        },
        Bad {
            body: json!({"op": "remove_service", "code": "astrology"}),
            status: 422,
            says: "no service 'astrology'",
        },
        Bad {
            body: json!({"op": "remove_service", "code": "legal"}),
            status: 409,
            says: "1 visitors waiting",
        },
        Bad {
            body: json!({"op": "remove_activity", "code": "sewing"}),
            status: 409,
            says: "2 people",
        },
        Bad {
            body: json!({"op": "put_activity", "activity": no_seats}),
            status: 422,
            says: "at least 1 seat",
        },
        Bad {
            body: json!({"op": "put_activity", "activity": one_seat_for_two}),
            status: 409,
            says: "already has 2 people with a seat on 07/01/2026",
        },
        Bad {
            body: json!({"op": "put_service", "service": own_letter}),
            status: 422,
            says: "services[7].prefix",
        },
        Bad {
            body: json!({"op": "put_counter", "counter": protection_room}),
            status: 422,
            says: "counters[4].public_name",
        },
        Bad {
            body: json!({"op": "put_priority_class", "class": bad_class_icon}),
            status: 422,
            says: "rocket",
        },
        Bad {
            body: json!({"op": "set_limits", "limits": {"wrong_codes_per_minute": 0, "tickets_per_minute": 12, "bookings_per_hour": 12}}),
            status: 422,
            says: "limits.wrong_codes_per_minute",
        },
        Bad {
            body: json!({"op": "set_retention", "days": 0}),
            status: 422,
            says: "retention_days",
        },
        Bad {
            body: json!({"op": "set_retention", "days": "thirty"}),
            status: 422,
            says: "wrong type",
        },
        Bad {
            body: json!({"op": "paint_walls"}),
            status: 422,
            says: "unknown variant",
        },
        Bad {
            body: json!({"op": "set_fairness"}),
            status: 422,
            says: "missing field",
        },
    ];
    let before_catalog = catalog_of(&h, &admin).await;
    let before_seq = h.seq();
    for c in &cases {
        let (status, v) = h
            .call(
                "POST",
                "/api/v1/admin/catalog",
                Some(&admin),
                Some(c.body.clone()),
            )
            .await;
        assert_eq!(status.as_u16(), c.status, "{}: {v}", c.body);
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(c.says),
            "{}: the message '{message}' should say '{}'",
            c.body,
            c.says
        );
        assert_eq!(h.seq(), before_seq, "{}: nothing recorded", c.body);
        assert_eq!(catalog_of(&h, &admin).await, before_catalog, "{}", c.body);
    }
    // Seats below the people already seated: refused with the date and the count.
    let mut one_seat = json!(cat.activity(&"sewing".into()).expect("sewing"));
    one_seat["seats"] = json!(2);
    let (status, _) = h
        .call(
            "POST",
            "/api/v1/admin/catalog",
            Some(&admin),
            Some(json!({"op": "put_activity", "activity": one_seat})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "2 seats for the 2 people seated is fine"
    );
    let seq = h.seq();
    let (status, v) = h
        .call(
            "POST",
            "/api/v1/admin/catalog",
            Some(&admin),
            Some(json!({"op": "put_activity", "activity": {
                "code": "sewing", "service": "culture", "title": cat.activity(&"sewing".into()).expect("a").title,
                "place": "Taller 1", "weekdays": ["wed"], "start": "09:00", "minutes": 120, "seats": 0}})),
        )
        .await;
    assert_eq!(
        status.as_u16(),
        409,
        "seats for fewer than the people seated: {v}"
    );
    assert_eq!(h.seq(), seq);
    // Not an admin: refused, nothing changed; the messages come in the asked language.
    let (status, _) = h
        .call(
            "POST",
            "/api/v1/admin/catalog",
            Some(&counter),
            Some(json!({"op": "set_retention", "days": 10})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = h
        .http
        .post(h.url("/api/v1/admin/catalog"))
        .bearer_auth(&admin)
        .header("Accept-Language", "pt")
        .json(&json!({"op": "remove_service", "code": "legal"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.expect("json");
    let m = v["error"]["message"].as_str().unwrap_or_default();
    assert!(m.starts_with("Não é possível retirar"), "{m}");
    // Only the hub adopts a catalog file; the generic command route refuses it.
    let (status, _) = h
        .call(
            "POST",
            "/api/v1/commands",
            Some(&admin),
            Some(json!({"kind": "adopt_catalog", "catalog": before_catalog})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, audit) = h
        .call("GET", "/api/v1/admin/audit", Some(&admin), None)
        .await;
    let kinds: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "catalog").count(),
        1,
        "only the accepted change is in the audit log: {audit}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "device").count(),
        2,
        "the two devices paired are: {audit}"
    );
}

/// Every kind of change, as the admin page sends them: each one is in the catalog every device
/// reads, in the event stream, and in the audit log with the device that made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_apply_stream_and_are_audited() {
    let h = start_hub(demo()).await;
    let admin = h.token(Role::Admin).await;
    let kiosk = h.token(Role::Kiosk).await;
    let cat = demo();
    let mut rx = h.hub.subscribe();

    let mut legal = service_json(&cat, "legal");
    legal["name"]["pt"] = json!("Apoio jurídico");
    legal["appointments"]["weekdays"] = json!({"tue": {"slot_minutes": 20, "capacity": 3}});
    let new_service = json!({
        "code": "language", "prefix": "I", "icon": "education", "modes": ["walk-in"],
        "name": {"es": "Intérprete", "en": "Interpreter", "pt": "Intérprete", "fr": "Interprète", "ht": "Entèprèt"},
        "description": {"es": "Alguien traduce para usted.", "en": "Someone translates for you.", "pt": "Alguém traduz para você.", "fr": "Quelqu’un traduit pour vous.", "ht": "Yon moun tradui pou ou."},
        "hours": {"mon": ["08:00-12:00"], "tue": ["08:00-12:00"]}
    });
    let activity = json!({
        "code": "computer", "service": "culture",
        "title": {"es": "Taller de informática", "en": "Computer workshop", "pt": "Oficina de informática", "fr": "Atelier informatique", "ht": "Atelye enfòmatik"},
        "place": "Sala 3", "dates": ["2026-01-09"], "start": "14:00", "minutes": 60, "seats": 8
    });
    let edits = [
        json!({"op": "put_service", "service": legal}),
        json!({"op": "put_service", "service": new_service, "counters": ["1"]}),
        json!({"op": "put_counter", "counter": {"id": "6", "name": "Ventanilla 6", "services": ["language", "info"]}}),
        json!({"op": "put_activity", "activity": activity}),
        json!({"op": "set_fairness", "max_overtakes": 2, "max_wait_minutes": 20}),
        json!({"op": "set_retention", "days": 14}),
        json!({"op": "remove_activity", "code": "assembly"}),
    ];
    for e in &edits {
        let (status, v) = h
            .call(
                "POST",
                "/api/v1/admin/catalog",
                Some(&admin),
                Some(e.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}: {v}");
    }
    // What a kiosk reads now.
    let c: Catalog = serde_json::from_value(catalog_of(&h, &kiosk).await).expect("catalog");
    let legal = c.service(&"legal".into()).expect("legal");
    assert_eq!(
        legal.name.get(&integra::core::Lang::Pt).map(String::as_str),
        Some("Apoio jurídico")
    );
    let tuesday = chrono::NaiveDate::from_ymd_opt(2026, 1, 6).expect("tue");
    let wednesday = chrono::NaiveDate::from_ymd_opt(2026, 1, 7).expect("wed");
    assert_eq!(legal.capacity_on(tuesday), 3);
    assert_eq!(
        legal.capacity_on(wednesday),
        cat.service(&"legal".into())
            .expect("l")
            .capacity_on(wednesday),
        "other weekdays keep the service's rule"
    );
    let slots = legal.slots_on(tuesday);
    assert!(slots.windows(2).all(|w| (w[1] - w[0]).num_minutes() >= 20));
    assert!(slots.windows(2).any(|w| (w[1] - w[0]).num_minutes() == 20));
    assert!(c.service(&"language".into()).is_some());
    assert_eq!(c.counter(&"6".into()).map(|k| k.services.len()), Some(2));
    assert!(c.activity(&"computer".into()).is_some());
    assert!(c.activity(&"assembly".into()).is_none());
    assert_eq!(
        (c.priority.max_overtakes, c.priority.max_wait_minutes),
        (2, 20)
    );
    assert_eq!(c.center.retention_days, 14);
    // The new service takes tickets at once, with its own prefix.
    let (status, v) = h
        .call(
            "POST",
            "/api/v1/tickets",
            Some(&kiosk),
            Some(json!({"service": "language", "lang": "ht"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["label"], "I-001", "{v}");
    assert!(
        c.counter(&"1".into())
            .is_some_and(|k| k.services.contains(&"language".into()))
    );
    // Bookable with the Tuesday rule: 3 visitors in one slot, the fourth refused.
    for i in 0..4 {
        let (status, v) = h
            .call(
                "POST",
                "/api/v1/appointments",
                Some(&kiosk),
                Some(json!({"service": "legal", "date": "2026-01-06", "time": slots[0].format("%H:%M:%S").to_string(), "lang": "es"})),
            )
            .await;
        let want = if i < 3 {
            StatusCode::CREATED
        } else {
            StatusCode::CONFLICT
        };
        assert_eq!(status, want, "booking {i}: {v}");
    }
    // The stream carried each change, with the whole catalog.
    let mut changes = Vec::new();
    while let Ok(p) = rx.try_recv() {
        if let integra::hub::Push::Event(e) = p
            && let integra::core::Event::CatalogChanged { edit, by, .. } = &e.event
        {
            changes.push((edit.clone(), by.clone()));
        }
    }
    assert_eq!(changes.len(), edits.len());
    assert!(
        changes
            .iter()
            .all(|(e, by)| e.is_some() && by == "test admin")
    );
    // The audit log: newest first, what and which device.
    let (status, audit) = h
        .call("GET", "/api/v1/admin/audit?limit=5", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<&Value> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["kind"] == "catalog")
        .collect();
    assert_eq!(entries.len(), 3, "{audit}");
    assert_eq!(entries[0]["what"], "activity assembly removed");
    assert_eq!(entries[1]["what"], "retention set to 14 days");
    assert_eq!(entries[0]["by"], "test admin");
    assert!(
        entries[0]["at"]
            .as_str()
            .is_some_and(|s| s.starts_with("2026-01-05"))
    );
    let (status, _) = h
        .call("GET", "/api/v1/admin/audit?limit=lots", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The hub's own retention (privacy purge) follows the change.
    assert_eq!(h.hub.catalog().center.retention_days, 14);
}

/// Changes survive a restart with the same catalog file; a catalog file changed since wins,
/// and that is recorded too.
#[test]
fn changes_survive_a_restart_and_a_changed_file_wins() {
    let dir = tempfile::tempdir().expect("dir");
    let file = demo();
    let open = |c: Arc<Catalog>| {
        Hub::new(
            Engine::open(dir.path(), c).expect("engine"),
            Some(monday_9()),
        )
        .expect("hub")
    };
    let hub = open(file.clone());
    hub.session()
        .execute(
            &Command::EditCatalog {
                edit: CatalogEdit::SetRetention { days: 9 },
                by: "coordinator laptop".into(),
            },
            monday_9(),
        )
        .expect("edit");
    drop(hub);
    let hub = open(file.clone());
    assert_eq!(
        hub.catalog().center.retention_days,
        9,
        "kept across a restart"
    );
    let seq = hub.session().queue().seq();
    drop(hub);
    // Same file again: nothing new recorded.
    let hub = open(file.clone());
    assert_eq!(hub.session().queue().seq(), seq);
    drop(hub);
    // The technician edits the file: the file wins, and the change is recorded.
    let mut edited = (*file).clone();
    edited.center.name = "Centro Integra — sede norte".into();
    let hub = open(Arc::new(edited));
    assert_eq!(hub.catalog().center.name, "Centro Integra — sede norte");
    assert_eq!(
        hub.catalog().center.retention_days,
        file.center.retention_days
    );
    assert_eq!(hub.session().queue().seq(), seq + 1);
    let audit = hub
        .session()
        .store()
        .events_of_types(&["catalog_changed"], 10)
        .expect("audit");
    assert!(matches!(
        &audit[0].event,
        integra::core::Event::CatalogChanged { edit: None, .. }
    ));
    // A later admin change builds on the new file, and survives the next restart.
    hub.session()
        .execute(
            &Command::EditCatalog {
                edit: CatalogEdit::SetRetention { days: 21 },
                by: "coordinator laptop".into(),
            },
            monday_9(),
        )
        .expect("edit");
    let name = hub.catalog().center.name.clone();
    drop(hub);
    let mut edited = (*file).clone();
    edited.center.name = name;
    let hub = open(Arc::new(edited));
    assert_eq!(hub.catalog().center.retention_days, 21);
}

#[test]
fn the_admin_pages_use_exactly_their_fluent_ids() {
    let page = include_str!("../../assets/console/admin.html");
    let script = include_str!("../../assets/console/admin.js");
    let mut used = std::collections::BTreeSet::new();
    for text in [page, script] {
        for (i, _) in text.match_indices("\"admin-") {
            let tail = &text[i + 1..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '-' || c == '_'))
                .unwrap_or(tail.len());
            if tail[end..].starts_with('"') {
                used.insert(tail[..end].to_string());
            }
        }
    }
    let known: std::collections::BTreeSet<String> = integra::hub::console::ADMIN_IDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(used, known, "ids in the admin pages vs console::ADMIN_IDS");
    // Every weekday name the pages ask for is served with the strings.
    for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        assert!(script.contains("\"weekday-\" + d") || script.contains(&format!("weekday-{d}")));
    }
}
