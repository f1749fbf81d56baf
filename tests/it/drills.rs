//! Fault drills on the real `integra hub` process (figures in RELIABILITY.md). The number of
//! rounds is small for every run of the tests; `INTEGRA_DRILL_ROUNDS=70` reruns the long drill.

use super::browser::{free_port, pin, start_hub, start_hub_with};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn rounds() -> usize {
    std::env::var("INTEGRA_DRILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// Wait until the hub says it can issue a ticket.
async fn ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{base}/api/v1/health")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the hub never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Pair a counter with the hub at `base` (its data in `data`); its token.
async fn pair_counter(http: &reqwest::Client, base: &str, data: &std::path::Path) -> String {
    ready(http, base).await;
    let v: Value = http
        .post(format!("{base}/api/v1/pair"))
        .json(&json!({"pin": pin(data, "counter"), "name": "drill"}))
        .send()
        .await
        .expect("pair")
        .json()
        .await
        .expect("json");
    v["token"].as_str().expect("token").to_string()
}

/// The hub's state once it is ready again.
async fn state_of(http: &reqwest::Client, base: &str, token: &str) -> Value {
    ready(http, base).await;
    http.get(format!("{base}/api/v1/state"))
        .bearer_auth(token)
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json")
}

/// The stored tickets' numbers as printed, and how many tickets there are.
fn stored_labels(state: &Value) -> (BTreeSet<String>, usize) {
    let tickets = state["state"]["tickets"]
        .as_object()
        .expect("tickets by id");
    let labels = tickets
        .values()
        .map(|t| {
            format!(
                "{}-{:03}",
                t["prefix"].as_str().unwrap_or("?"),
                t["number"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    (labels, tickets.len())
}

/// kill -9 of the hub while four clients issue tickets through the API as fast as they can,
/// again and again. Every ticket the hub acknowledged (201) is there after the restarts, no
/// number was given twice, the numbering goes on after the highest, and the event log has
/// no gap.
#[test]
fn the_hub_killed_under_load_loses_no_acknowledged_ticket() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let mut hub = start_hub(&data, port);
    let http = super::common::https_to(&data)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let token = rt.block_on(pair_counter(&http, &base, &data));
    let mut acknowledged: Vec<String> = Vec::new();
    let mut refused_or_cut = 0usize;
    let rounds = rounds();
    for round in 0..rounds {
        let (acks, cut) = rt.block_on(async {
            ready(&http, &base).await;
            let mut clients = Vec::new();
            for _ in 0..4 {
                let (http, base, token) = (http.clone(), base.clone(), token.clone());
                clients.push(tokio::spawn(async move {
                    let mut acks = Vec::new();
                    let mut cut = 0;
                    loop {
                        let r = http
                            .post(format!("{base}/api/v1/tickets"))
                            .bearer_auth(&token)
                            .json(&json!({"service": "info", "lang": "es"}))
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status().as_u16() == 201 => {
                                match r.json::<Value>().await {
                                    Ok(v) => {
                                        acks.push(v["label"].as_str().expect("label").to_string())
                                    }
                                    // Killed while answering: not acknowledged.
                                    Err(_) => cut += 1,
                                }
                            }
                            // The hub is gone: this client's round is over.
                            _ => return (acks, cut + 1),
                        }
                    }
                }));
            }
            // Kill at an arbitrary moment mid-load.
            tokio::time::sleep(Duration::from_millis(250 + (round as u64 * 53) % 400)).await;
            // (SIGKILL: no chance to flush or close anything.)
            let _ = hub.0.kill();
            let mut acks = Vec::new();
            let mut cut = 0;
            for c in clients {
                let (a, n) = c.await.expect("client");
                acks.extend(a);
                cut += n;
            }
            (acks, cut)
        });
        let _ = hub.0.wait();
        acknowledged.extend(acks);
        refused_or_cut += cut;
        hub = start_hub(&data, port);
    }
    let state = rt.block_on(state_of(&http, &base, &token));
    drop(hub);
    let (stored, count) = stored_labels(&state);
    assert_eq!(stored.len(), count, "a number was stored twice");
    let acked: BTreeSet<&String> = acknowledged.iter().collect();
    assert_eq!(acked.len(), acknowledged.len(), "a number was given twice");
    let lost: Vec<&&String> = acked.iter().filter(|l| !stored.contains(**l)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(
        acknowledged.len() >= rounds * 10,
        "the drill issued too little to mean anything: {}",
        acknowledged.len()
    );
    let events = integra::store::Store::open(&data)
        .expect("store")
        .events_after(0)
        .expect("events");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "the event log has a gap");
    }
    println!(
        "drill: {rounds} kill -9 of the hub under 4 clients; {} tickets acknowledged, {} stored, 0 lost, 0 twice; {refused_or_cut} requests cut by the kills",
        acknowledged.len(),
        stored.len()
    );
}

/// Group commit keeps the promise: the hub dies (abort, as on a power cut) after a group of
/// commands was applied in memory and before its fsync, while 8 clients issue tickets. After a
/// restart every ticket that was answered is there, no number twice, and the dead group's
/// commands — never answered — are not.
#[test]
fn a_hub_that_dies_between_apply_and_fsync_answered_nobody_it_lost() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    let hub = start_hub(&data, port);
    let http = super::common::https_to(&data)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let token = rt.block_on(pair_counter(&http, &base, &data));
    drop(hub);
    let mut hub = start_hub_with(&data, port, &[("INTEGRA_DRILL_ABORT_AT_COMMIT", "60")]);
    let (acked, cut) = rt.block_on(async {
        ready(&http, &base).await;
        let mut clients = Vec::new();
        for _ in 0..8 {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            clients.push(tokio::spawn(async move {
                let mut acks = Vec::new();
                loop {
                    let r = http
                        .post(format!("{base}/api/v1/tickets"))
                        .bearer_auth(&token)
                        .json(&json!({"service": "info", "lang": "es"}))
                        .send()
                        .await;
                    let label = match r {
                        Ok(r) if r.status().as_u16() == 201 => r
                            .json::<Value>()
                            .await
                            .ok()
                            .and_then(|v| v["label"].as_str().map(str::to_string)),
                        _ => None,
                    };
                    match label {
                        Some(l) => acks.push(l),
                        None => return (acks, 1usize),
                    }
                }
            }));
        }
        let mut acked = Vec::new();
        let mut cut = 0;
        for c in clients {
            let (a, n) = c.await.expect("client");
            acked.extend(a);
            cut += n;
        }
        (acked, cut)
    });
    let status = hub.0.wait().expect("exit");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(6),
        "the hub aborted at its 60th commit: {status:?}"
    );
    let events = integra::store::Store::open(&data)
        .expect("store")
        .events_after(0)
        .expect("events");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "the event log has a gap");
    }
    let _hub = start_hub(&data, port);
    let state = rt.block_on(state_of(&http, &base, &token));
    let (stored, count) = stored_labels(&state);
    assert_eq!(stored.len(), count, "a number was stored twice");
    let unique: BTreeSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "a number was answered twice");
    let lost: Vec<&String> = acked.iter().filter(|l| !stored.contains(*l)).collect();
    assert!(lost.is_empty(), "answered but lost: {lost:?}");
    assert!(
        acked.len() >= 59,
        "at least one ticket per commit before the abort"
    );
    // What is stored beyond what was answered came from committed groups whose answers the
    // abort cut off; the aborted group's commands are not stored, so this is at most the
    // number of cut requests minus those in the dead group (≥ 1).
    assert!(
        stored.len() < acked.len() + cut,
        "stored {} answered {} cut {cut}: the dead group's commands were stored",
        stored.len(),
        acked.len()
    );
    println!(
        "abort before commit #60 under 8 clients: {} answered, {} stored, {cut} requests cut, 0 lost",
        acked.len(),
        stored.len()
    );
}
