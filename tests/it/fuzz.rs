//! A schema-driven fuzzer for the hub's API: every operation of `/api/v1/openapi.json` gets
//! requests made from its own schema (path and query parameters, headers, JSON bodies — within
//! every type, enum, format, length and range the document states), sent with an admin token.
//! The server must neither refuse a request the document allows as malformed (400, 405, 413,
//! 415, 422) nor fail (5xx other than a documented 503), and must answer only statuses the
//! operation documents. Seeded, so a failure names a request that reproduces.

use super::hub::start_hub;
use integra::hub::Role;
use integra::report::sample::Rng;
use serde_json::{Map, Value, json};

/// Requests per operation.
const PER_OPERATION: usize = 60;

struct Gen<'a> {
    doc: &'a Value,
    rng: Rng,
}

impl Gen<'_> {
    fn resolve<'v>(&'v self, schema: &'v Value) -> &'v Value {
        match schema["$ref"].as_str() {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolved {r}")),
            None => schema,
        }
    }

    fn pick<'v>(&mut self, items: &'v [Value]) -> &'v Value {
        &items[self.rng.below(items.len() as u64) as usize]
    }

    fn value(&mut self, schema: &Value) -> Value {
        let schema = self.resolve(schema).clone();
        if let Some(all) = schema["oneOf"].as_array() {
            let one = self.pick(all).clone();
            return self.value(&one);
        }
        if let Some(e) = schema["enum"].as_array() {
            return self.pick(e).clone();
        }
        if let Some(example) = schema.get("example")
            && schema.get("pattern").is_some()
        {
            return example.clone();
        }
        // `"type": ["string", "null"]`: one of them.
        if let Some(types) = schema["type"].as_array() {
            let one = self.pick(types).clone();
            let mut single = schema.clone();
            single["type"] = one;
            return self.value(&single);
        }
        match schema["type"].as_str() {
            Some("null") => Value::Null,
            Some("string") => json!(self.string(&schema)),
            Some("integer") => {
                let min = schema["minimum"].as_i64().unwrap_or(-1_000_000);
                let max = schema["maximum"].as_i64().unwrap_or(1_000_000_000);
                let choices = [min, max, min + 1, 0, 1, 7, 123_456, -1, -123];
                let mut v = *self
                    .pick(&choices.map(|c| json!(c)))
                    .as_i64()
                    .get_or_insert(0);
                if v < min || v > max {
                    v = min + self.rng.below((max - min).clamp(1, 1000) as u64) as i64;
                }
                json!(v)
            }
            Some("boolean") => json!(self.rng.chance(50)),
            Some("array") => {
                let min = schema["minItems"].as_u64().unwrap_or(0);
                let max = schema["maxItems"].as_u64().unwrap_or(3).min(min + 3);
                let n = min + self.rng.below(max - min + 1);
                let items = schema["items"].clone();
                json!((0..n).map(|_| self.value(&items)).collect::<Vec<_>>())
            }
            Some("object") | None if schema.get("properties").is_some() => {
                let mut out = Map::new();
                let required: Vec<String> = schema["required"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(props) = schema["properties"].as_object() {
                    for (k, v) in props {
                        if required.contains(k) || self.rng.chance(50) {
                            out.insert(k.clone(), self.value(v));
                        }
                    }
                }
                // A property the document does not name, unless it forbids them.
                if schema["additionalProperties"] != json!(false) && self.rng.chance(30) {
                    out.insert("surplus".into(), json!("x"));
                }
                Value::Object(out)
            }
            Some("object") => json!({}),
            _ => {
                // No type: anything at all.
                let any = [json!(null), json!(1), json!("x"), json!({}), json!([])];
                self.pick(&any).clone()
            }
        }
    }

    fn string(&mut self, schema: &Value) -> String {
        match schema["format"].as_str() {
            Some("date") => {
                return format!(
                    "2026-{:02}-{:02}",
                    1 + self.rng.below(12),
                    1 + self.rng.below(28)
                );
            }
            Some("time") => {
                return format!(
                    "{:02}:{:02}:00",
                    self.rng.below(24),
                    [0, 15, 30, 45][self.rng.below(4) as usize]
                );
            }
            _ => {}
        }
        let min = schema["minLength"].as_u64().unwrap_or(0);
        let max = schema["maxLength"].as_u64().unwrap_or(40).max(min);
        let pool = [
            "", "a", "info", "legal", "A-001", "1", "ñandú", "x y", "../..", "%00", "🙂", "<b>",
        ];
        for _ in 0..20 {
            let s = if self.rng.chance(70) {
                (*self.pick(&pool.map(|p| json!(p))))
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                let n = self.rng.below(max.min(64) + 1);
                (0..n)
                    .map(|_| (b'a' + self.rng.below(26) as u8) as char)
                    .collect()
            };
            let len = s.chars().count() as u64;
            if len >= min && len <= max {
                return s;
            }
        }
        "a".repeat(min.max(1) as usize)
    }
}

/// A path segment, percent-encoded.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Answers a request the document allows must never get: the request called malformed (its
/// shape, a field, the query, the path). Other refusals are the center's rules — an unknown
/// service, a full slot, a catalog change that would strand visitors — which no schema states.
fn malformed(status: u16, body: &str) -> bool {
    let code = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    matches!(status, 400 | 405 | 413 | 415)
        || (status == 422
            && matches!(
                code.as_str(),
                "invalid-field" | "bad-body" | "invalid-path" | "invalid-query" | ""
            ))
}

fn documented(op: &Value, status: u16) -> bool {
    let r = &op["responses"];
    r.get(status.to_string()).is_some()
        || r.get(format!("{}XX", status / 100)).is_some()
        || r.get("default").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_the_api_document_allows_is_refused_as_malformed() {
    let h = start_hub(std::sync::Arc::new(
        integra::core::Catalog::demo().expect("demo"),
    ))
    .await;
    let admin = h.token(Role::Admin).await;
    let (_, me) = h.call("GET", "/api/v1/me", Some(&admin), None).await;
    let own_id = me["device"]["id"].as_u64().expect("own device id");
    let doc: Value =
        serde_json::from_str(include_str!("../../src/hub/openapi.json")).expect("openapi.json");
    let mut g = Gen {
        doc: &doc,
        rng: Rng::new(20261202),
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut problems = Vec::new();
    let mut sent = 0;
    let mut seen: std::collections::BTreeMap<String, std::collections::BTreeSet<u16>> =
        Default::default();
    let paths = doc["paths"].as_object().expect("paths").clone();
    for (path, ops) in &paths {
        for (method, op) in ops.as_object().expect("operations") {
            // Unpairing ourselves would end the run; it has no parameters to fuzz.
            if path == "/api/v1/me/unpair" {
                continue;
            }
            for _ in 0..PER_OPERATION {
                let mut url = path.clone();
                let mut query = Vec::new();
                let mut headers = Vec::new();
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let p = g.resolve(p).clone();
                    let required = p["required"].as_bool().unwrap_or(false);
                    if !required && g.rng.chance(50) {
                        continue;
                    }
                    let mut v = g.value(&p["schema"]);
                    // Revoking our own token would end the run.
                    if path == "/api/v1/devices/{id}/revoke" && v == json!(own_id) {
                        v = json!(own_id + 1000);
                    }
                    let text = match &v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let name = p["name"].as_str().expect("name");
                    match p["in"].as_str() {
                        Some("path") => url = url.replace(&format!("{{{name}}}"), &percent(&text)),
                        Some("query") => query.push((name.to_string(), text)),
                        Some("header") => headers.push((name.to_string(), text)),
                        other => panic!("parameter in {other:?}"),
                    }
                }
                let mut body = op["requestBody"]["content"]["application/json"]["schema"]
                    .as_object()
                    .map(|s| g.value(&Value::Object(s.clone())));
                // `transfer` needs `to`, as the operation's summary says: a schema cannot make a
                // body's fields depend on a path parameter.
                if url.ends_with("/transfer")
                    && let Some(Value::Object(b)) = &mut body
                {
                    b.entry("to").or_insert_with(|| json!("info"));
                }
                let mut full = url.clone();
                for (i, (k, v)) in query.iter().enumerate() {
                    full.push(if i == 0 { '?' } else { '&' });
                    full.push_str(&format!("{}={}", percent(k), percent(v)));
                }
                let mut req = match method.as_str() {
                    "get" => client.get(h.url(&full)),
                    "post" => client.post(h.url(&full)),
                    other => panic!("method {other}"),
                }
                .bearer_auth(&admin);
                for (k, v) in &headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                if let Some(b) = &body {
                    req = req.json(b);
                }
                let r = req.send().await.expect("answer");
                let status = r.status().as_u16();
                sent += 1;
                seen.entry(format!("{} {path}", method.to_uppercase()))
                    .or_default()
                    .insert(status);
                let text = r.text().await.unwrap_or_default();
                let what = format!(
                    "{} {url} query {query:?} headers {headers:?} body {} → {status} {}",
                    method.to_uppercase(),
                    body.as_ref().map_or(String::new(), |b| b.to_string()),
                    text.chars().take(200).collect::<String>()
                );
                if malformed(status, &text) || (status >= 500 && status != 503) {
                    problems.push(format!("allowed by the document, refused: {what}"));
                } else if !documented(op, status) {
                    problems.push(format!("undocumented status: {what}"));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    // At most three of each operation, so every operation with a problem shows.
    let mut shown: std::collections::BTreeMap<String, usize> = Default::default();
    problems.retain(|p| {
        let op: String = p.split(" query ").next().unwrap_or(p).to_string();
        let n = shown.entry(op).or_default();
        *n += 1;
        *n <= 3
    });
    assert!(
        problems.is_empty(),
        "{} of {sent} requests disagree with the document:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Not vacuous: the token held to the end, and every operation was reached.
    for (op, statuses) in &seen {
        assert!(
            statuses.iter().any(|s| *s != 401),
            "{op} only ever answered 401: {statuses:?}"
        );
    }
    println!(
        "API fuzz: {sent} requests over {} operations, statuses {seen:?}",
        seen.len()
    );
}
