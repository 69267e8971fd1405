//! A real SMTP peer for tests (feature `sink`): Python's aiosmtpd on a free loopback port with the handler in
//! `smtp_sink.py`, which files each accepted message. Tests that use it fail (never skip) when python3 or aiosmtpd
//! is missing: `.ci/run` installs it. Recipients whose local part is `reject` get a 550, `tempfail` a 451.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the sink may take to start or to file a message before the test gives up (a deadline, not a measure).
const PATIENCE: Duration = Duration::from_secs(20);

pub struct Sink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

/// A loopback port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Sink {
    pub fn start() -> Sink {
        let probe = Command::new("python3").args(["-c", "import aiosmtpd"]).output();
        match probe {
            Err(e) => panic!("python3 is needed for the SMTP tests and could not be run: {e}"),
            Ok(out) if !out.status.success() => panic!(
                "the SMTP tests need Python's aiosmtpd: `python3 -m pip install aiosmtpd` (.ci/run does it)\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Ok(_) => {}
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        // The handler goes into the run's own directory: a path baked in at compile time would
        // point at whichever checkout built the test binary first (a shared CARGO_TARGET_DIR).
        std::fs::write(dir.path().join("smtp_sink.py"), include_str!("smtp_sink.py")).unwrap();
        let tests_dir = dir.path().to_owned();
        let log = std::fs::File::create(dir.path().join("sink.log")).unwrap();
        let mut child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "smtp_sink.Sink",
            ])
            .arg(dir.path().join("mail"))
            .env("PYTHONPATH", &tests_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting python3 -m aiosmtpd");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(dir.path().join("sink.log")).unwrap_or_default();
                panic!("aiosmtpd exited ({status}) before listening on port {port}:\n{log}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(started.elapsed() < PATIENCE, "aiosmtpd did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink { child, dir, port }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none&timeout=10", self.port)
    }

    fn path(&self, n: usize, ext: &str) -> PathBuf {
        self.dir.path().join("mail").join(format!("{n:04}.{ext}"))
    }

    /// The n-th message the sink accepted, as bytes on the wire, and its envelope as JSON text.
    pub fn message(&self, n: usize) -> (Vec<u8>, String) {
        let started = Instant::now();
        loop {
            if let Ok(raw) = std::fs::read(self.path(n, "eml")) {
                return (raw, std::fs::read_to_string(self.path(n, "json")).unwrap());
            }
            assert!(started.elapsed() < PATIENCE, "the sink never filed message {n}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn filed(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("mail"))
            .map(|d| {
                d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
