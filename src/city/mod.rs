//! The city's figures: each center's hub replicates the anonymous facts of its queue to the
//! city office's PostgreSQL, and `integra city report` reads them across all centers.
//!
//! An IO shell like `store` and `hub`: it reads the hub's database on a connection of its own
//! (`store::city`), speaks PostgreSQL on a thread of its own (`replicate`), and the queue never
//! waits for it. What leaves the center: per ticket its service, priority class, language, the
//! issue/call/service/end times and the outcome; per appointment its service, day, time and
//! outcome; per sign-up its activity, day and outcome; the feedback answers. Never a name, a
//! phone, a code, a ticket number or free text.

pub mod figures;
pub mod render;
pub mod replicate;

use crate::device::settings::CitySettings;
use postgres::{Client, NoTls};
use std::time::Duration;

/// The city database's schema, one migration per version (each applied once, in order, under
/// an advisory lock: several hubs may start at the same moment).
const MIGRATIONS: &[&str] = &[
    // 1: centers, their services and activities (names only), and the anonymous facts.
    "CREATE TABLE integra.centers (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        timezone    text NOT NULL,
        last_seq    bigint NOT NULL DEFAULT 0,
        feedback_from date,
        first_seen  timestamptz NOT NULL DEFAULT now(),
        last_sent   timestamptz
    );
    CREATE TABLE integra.services (
        center   text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        code     text NOT NULL,
        position integer NOT NULL,
        names    jsonb NOT NULL,
        PRIMARY KEY (center, code)
    );
    CREATE TABLE integra.activities (
        center   text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        code     text NOT NULL,
        position integer NOT NULL,
        names    jsonb NOT NULL,
        seats    integer NOT NULL,
        PRIMARY KEY (center, code)
    );
    CREATE TABLE integra.tickets (
        center      text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        id          bigint NOT NULL,
        day         date NOT NULL,
        service     text NOT NULL,
        priority    text,
        lang        text NOT NULL,
        appointment boolean NOT NULL,
        issued_at   timestamptz NOT NULL,
        state       text NOT NULL,
        called_at   timestamptz,
        serving_at  timestamptz,
        ended_at    timestamptz,
        PRIMARY KEY (center, id)
    );
    CREATE INDEX tickets_day ON integra.tickets (day, center);
    CREATE TABLE integra.appointments (
        center   text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        id       bigint NOT NULL,
        service  text NOT NULL,
        day      date NOT NULL,
        slot     time NOT NULL,
        state    text NOT NULL,
        PRIMARY KEY (center, id)
    );
    CREATE INDEX appointments_day ON integra.appointments (day, center);
    CREATE TABLE integra.signups (
        center    text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        id        bigint NOT NULL,
        activity  text NOT NULL,
        day       date NOT NULL,
        seated    boolean NOT NULL,
        cancelled boolean NOT NULL,
        attended  boolean NOT NULL,
        PRIMARY KEY (center, id)
    );
    CREATE INDEX signups_day ON integra.signups (day, center);
    CREATE TABLE integra.feedback (
        center   text NOT NULL REFERENCES integra.centers ON DELETE CASCADE,
        key      bigint NOT NULL,
        day      date NOT NULL,
        service  text NOT NULL,
        rating   smallint NOT NULL CHECK (rating BETWEEN 1 AND 3),
        waited_too_long boolean NOT NULL,
        not_understood  boolean NOT NULL,
        got_what_needed boolean NOT NULL,
        PRIMARY KEY (center, key)
    );
    CREATE INDEX feedback_day ON integra.feedback (day, center);",
    // 2: each ticket's waiting time and time at the counter in whole seconds, kept by the
    // database as the times arrive (the report sorts these narrow columns: 3× faster than
    // computing them per read). The same rule as the center's report: from issue to the first
    // call; from the start of service (else the call) to the end, for visitors served.
    "ALTER TABLE integra.tickets
        ADD COLUMN wait_s integer GENERATED ALWAYS AS (
            CASE WHEN called_at IS NOT NULL
                 THEN greatest(0, floor(extract(epoch FROM called_at - issued_at)))::integer
            END) STORED,
        ADD COLUMN service_s integer GENERATED ALWAYS AS (
            CASE WHEN state = 'done' AND ended_at IS NOT NULL
                      AND coalesce(serving_at, called_at) IS NOT NULL
                 THEN greatest(0, floor(extract(epoch FROM
                          ended_at - coalesce(serving_at, called_at))))::integer
            END) STORED;",
];

/// The city schema version this program writes.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// What went wrong with the city database, in words a technician can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CityError {
    #[error("[city] url: {0}")]
    Url(#[from] UrlError),
    #[error("cannot reach the city database at {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("the city database at {target} refused: {detail}")]
    Database { target: String, detail: String },
    #[error(
        "the city database has schema version {found}, newer than this program knows ({known}): update integra on this hub"
    )]
    Newer { found: i32, known: usize },
    #[error("the hub's own database: {0}")]
    Store(String),
    #[error("TLS for the city database: {0}")]
    Tls(String),
}

impl From<crate::store::StoreError> for CityError {
    fn from(e: crate::store::StoreError) -> Self {
        CityError::Store(e.to_string())
    }
}

/// The words of a PostgreSQL error: the server's message when it gave one, else the cause.
pub fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} ({})", db.message(), db.code().code());
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let more = inner.to_string();
        if !s.contains(&more) {
            s.push_str(": ");
            s.push_str(&more);
        }
        source = inner.source();
    }
    s
}

/// A parsed `[city] url`: the connection settings, whether TLS is asked for, and the address
/// without the password (for messages, logs and the doctor).
pub struct Target {
    pub config: postgres::Config,
    pub tls: bool,
    pub shown: String,
}

/// What is wrong with a `[city] url`, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "'{0}' is not a PostgreSQL URL: expected postgresql://USER:PASSWORD@HOST:5432/DATABASE (add ?sslmode=require for TLS)"
    )]
    NotPostgres(String),
    #[error(
        "sslmode={0} is not known: use sslmode=require for TLS (the server's certificate is checked), or leave it out"
    )]
    SslMode(String),
    #[error(
        "'{shown}' cannot be read: {detail}; expected postgresql://USER:PASSWORD@HOST:5432/DATABASE"
    )]
    Unreadable { shown: String, detail: String },
    #[error(
        "'{0}' names no host: add the city server's address, e.g. postgresql://integra@city.example:5432/figures"
    )]
    NoHost(String),
    #[error("'{0}' names no database: add it after the host, e.g. …:5432/figures")]
    NoDatabase(String),
}

/// Check a `[city] url`: `postgresql://` or `postgres://`, a host and a database; `sslmode`
/// `disable`, `prefer`, `require`, `verify-ca` or `verify-full` (the last three: TLS, and the
/// certificate is always checked).
pub fn check_url(url: &str) -> Result<Target, UrlError> {
    let url = url.trim();
    if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        return Err(UrlError::NotPostgres(shown_url(url)));
    }
    let mut tls = false;
    let mut normalized = String::with_capacity(url.len());
    // The driver knows disable/prefer/require; verify-* mean what require means here (the
    // certificate is always verified).
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    normalized.push_str(base);
    let mut params = Vec::new();
    for kv in query.split('&').filter(|p| !p.is_empty()) {
        match kv.split_once('=') {
            Some(("sslmode", v)) => match v {
                "disable" | "prefer" => params.push(format!("sslmode={v}")),
                "require" | "verify-ca" | "verify-full" => {
                    tls = true;
                    params.push("sslmode=require".into());
                }
                other => return Err(UrlError::SslMode(other.to_string())),
            },
            _ => params.push(kv.to_string()),
        }
    }
    if !params.is_empty() {
        normalized.push('?');
        normalized.push_str(&params.join("&"));
    }
    let config: postgres::Config =
        normalized
            .parse()
            .map_err(|e: postgres::Error| UrlError::Unreadable {
                shown: shown_url(url),
                detail: describe(&e),
            })?;
    if config.get_hosts().is_empty() {
        return Err(UrlError::NoHost(shown_url(url)));
    }
    if config.get_dbname().is_none() {
        return Err(UrlError::NoDatabase(shown_url(url)));
    }
    Ok(Target {
        config,
        tls,
        shown: shown_url(url),
    })
}

/// A URL with its password replaced by `***`.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.rfind('@') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{tail}"),
        None => url.to_string(),
    }
}

/// The rustls client configuration: the given authority, else the system's.
fn tls_config(settings: &CitySettings) -> Result<rustls::ClientConfig, CityError> {
    let mut roots = rustls::RootCertStore::empty();
    match &settings.ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| CityError::Tls(format!("cannot read {}: {e}", path.display())))?;
            let mut n = 0;
            for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                let cert: rustls::pki_types::CertificateDer = cert.map_err(|e| {
                    CityError::Tls(format!(
                        "{} is not a PEM certificate: {e:?}",
                        path.display()
                    ))
                })?;
                roots
                    .add(cert)
                    .map_err(|e| CityError::Tls(format!("{}: {e}", path.display())))?;
                n += 1;
            }
            if n == 0 {
                return Err(CityError::Tls(format!(
                    "{} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(CityError::Tls(
                    "the system trusts no certificate authority (install ca-certificates) — or give [city] ca_file".into(),
                ));
            }
        }
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(crate::hub::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| CityError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Connect to the city database (`timeout` for the connection; every statement is bounded to
/// a minute, and keepalives notice a link that died silently).
pub fn connect(settings: &CitySettings, timeout: Duration) -> Result<Client, CityError> {
    let Target {
        mut config,
        tls,
        shown,
    } = check_url(&settings.url)?;
    config
        .connect_timeout(timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .application_name("integra")
        .options("-c statement_timeout=60000");
    let result = if tls {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(settings)?);
        config.connect(tls)
    } else {
        config.connect(NoTls)
    };
    result.map_err(|e| CityError::Connect {
        target: shown,
        detail: describe(&e),
    })
}

/// Bring the city schema up to this program's version; refuse a newer one.
pub fn migrate(client: &mut Client, shown: &str) -> Result<usize, CityError> {
    migrate_to(client, shown, MIGRATIONS.len())
}

/// Bring the city schema up to `version` (at most this program's): what an older program
/// made, for the tests of an upgrade.
pub fn migrate_to(client: &mut Client, shown: &str, version: usize) -> Result<usize, CityError> {
    let version = version.min(MIGRATIONS.len());
    let db = |e: postgres::Error| CityError::Database {
        target: shown.to_string(),
        detail: describe(&e),
    };
    let mut tx = client.transaction().map_err(db)?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7391457234);
         CREATE SCHEMA IF NOT EXISTS integra;
         CREATE TABLE IF NOT EXISTS integra.schema_version (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .map_err(db)?;
    let have: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM integra.schema_version",
            &[],
        )
        .map_err(db)?
        .try_get(0)
        .map_err(db)?;
    if have as usize > MIGRATIONS.len() {
        return Err(CityError::Newer {
            found: have,
            known: MIGRATIONS.len(),
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(version)
        .skip(have.max(0) as usize)
    {
        tx.batch_execute(sql).map_err(db)?;
        tx.execute(
            "INSERT INTO integra.schema_version (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(version.max(have.max(0) as usize))
}
