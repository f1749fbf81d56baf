//! A real PostgreSQL for the city tests: Debian's `postgresql` binaries, a cluster made with
//! initdb in a temporary directory, reached on a Unix socket there (and on a loopback port for
//! TLS), run as a non-root user when the tests run as root (initdb refuses root). Stopped
//! (immediately) when dropped. Also used by `benches/city.rs`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    owner: Option<(u32, u32)>,
    extra: Vec<String>,
}

/// The directory of Debian's PostgreSQL programs (the newest version installed).
fn bindir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found
        .pop()
        .expect("PostgreSQL is not installed: `apt-get install postgresql` (tests/run installs it)")
}

/// Who runs the cluster: ourselves, or `postgres` (else `nobody`) when we are root.
fn owner() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    for name in [c"postgres", c"nobody"] {
        // SAFETY: a valid C string; the result is read at once, before any other call.
        let pw = unsafe { libc::getpwnam(name.as_ptr()) };
        if !pw.is_null() {
            // SAFETY: non-null pointer from getpwnam.
            let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
            return Some((uid, gid));
        }
    }
    Some((65534, 65534))
}

impl Pg {
    /// A fresh cluster with a superuser `integra` (trust on the socket and loopback).
    pub fn start() -> Pg {
        Pg::start_with(&[])
    }

    /// A fresh cluster with extra `postgres -c` settings and files written into its data
    /// directory before it starts (`(name, contents)`, e.g. a certificate).
    pub fn start_with_files(settings: &[&str], files: &[(&str, &[u8])], hba: Option<&str>) -> Pg {
        let pg = Pg::init(settings);
        for (name, bytes) in files {
            let p = pg.data().join(name);
            std::fs::write(&p, bytes).expect("write a file into the cluster");
            pg.own(&p);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        if let Some(hba) = hba {
            std::fs::write(pg.data().join("pg_hba.conf"), hba).expect("pg_hba.conf");
        }
        pg.up();
        pg
    }

    pub fn start_with(settings: &[&str]) -> Pg {
        let pg = Pg::init(settings);
        pg.up();
        pg
    }

    fn init(settings: &[&str]) -> Pg {
        let dir = tempfile::Builder::new()
            .prefix("pg")
            .tempdir()
            .expect("tempdir");
        let owner = owner();
        let pg = Pg {
            dir,
            bin: bindir(),
            port: super::common::free_port(),
            owner,
            extra: settings.iter().map(|s| s.to_string()).collect(),
        };
        pg.own(pg.dir.path());
        let out = pg
            .cmd("initdb")
            .arg("-D")
            .arg(pg.data())
            .args([
                "-U",
                "integra",
                "--auth=trust",
                "-E",
                "UTF8",
                "-N",
                "--no-instructions",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg
    }

    fn own(&self, p: &Path) {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).expect("chown for postgres");
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        c.current_dir(self.dir.path());
        if let Some((uid, gid)) = self.owner {
            c.uid(uid).gid(gid);
        }
        c
    }

    /// Start (again) and wait until it accepts connections.
    pub fn up(&self) {
        let mut opts = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.dir.path().display(),
            self.port
        );
        for s in &self.extra {
            opts.push_str(" -c ");
            opts.push_str(s);
        }
        let out = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Stop at once (like a crash of the city server, or a cut link).
    pub fn down(&self) {
        let _ = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-m", "immediate", "stop"])
            .output();
    }

    /// The URL of database `db` over the Unix socket.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://integra@localhost/{db}?host={}&port={}",
            self.dir.path().display(),
            self.port
        )
    }

    pub fn create_db(&self, db: &str) {
        let mut c = self.client("postgres");
        c.batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("create database");
    }

    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls)
            .expect("connect to the test cluster")
    }

    /// `pg_dump` of a database, as text.
    pub fn dump(&self, db: &str) -> String {
        let out = Command::new(self.bin.join("pg_dump"))
            .args(["-h"])
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", "integra", db])
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.down();
    }
}
