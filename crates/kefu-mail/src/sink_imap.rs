//! A real IMAP server for tests (feature `sink`): Debian's Dovecot on a free loopback port, one
//! user (`kefu` / `secret`) whose Maildir the test fills by writing files. Tests that use it fail
//! (never skip) when Dovecot is missing: `.ci/run` installs `dovecot-imapd`.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sink::free_port;

const DOVECOT: &str = "/usr/sbin/dovecot";
const PATIENCE: Duration = Duration::from_secs(20);
/// The mail files belong to `nobody`: Dovecot refuses to serve mail as root.
const MAIL_UID: u32 = 65534;

pub struct Mailbox {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    delivered: usize,
}

impl Mailbox {
    pub fn start() -> Mailbox {
        assert!(
            std::path::Path::new(DOVECOT).exists(),
            "the IMAP tests need Dovecot: `apt-get install dovecot-imapd` (.ci/run does it)"
        );
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let maildir = root.join("home/kefu/Maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for d in [root.join("home"), root.join("home/kefu"), maildir.clone()] {
            std::os::unix::fs::chown(&d, Some(MAIL_UID), Some(MAIL_UID)).unwrap();
        }
        for sub in ["new", "cur", "tmp"] {
            std::os::unix::fs::chown(maildir.join(sub), Some(MAIL_UID), Some(MAIL_UID)).unwrap();
        }
        std::fs::write(root.join("passwd"), "kefu:{PLAIN}secret::::::\n").unwrap();
        let port = free_port();
        let r = root.display();
        let conf = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {MAIL_UID}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={r}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#
        );
        std::fs::write(root.join("dovecot.conf"), conf).unwrap();
        let mut child = Command::new(DOVECOT)
            .args(["-F", "-c"])
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("stderr.log")).unwrap())
            .spawn()
            .expect("starting dovecot");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let log = std::fs::read_to_string(root.join("stderr.log")).unwrap_or_default()
                    + &std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
                panic!("dovecot exited ({status}) before listening on port {port}:\n{log}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(started.elapsed() < PATIENCE, "dovecot did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Mailbox {
            child,
            dir,
            port,
            delivered: 0,
        }
    }

    /// The mailbox's URL, plain text on loopback.
    pub fn url(&self) -> String {
        format!("imap://kefu:secret@127.0.0.1:{}/INBOX?tls=none&timeout=10", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("home/kefu/Maildir")
    }

    /// Puts a message in the inbox, unseen; its file name is returned, to find its flags later.
    pub fn deliver(&mut self, raw: &[u8]) -> String {
        self.delivered += 1;
        let name = format!(
            "{}.M{}P{}.kefu-test",
            1_700_000_000 + self.delivered,
            self.delivered,
            std::process::id()
        );
        let tmp = self.maildir().join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        std::os::unix::fs::chown(&tmp, Some(MAIL_UID), Some(MAIL_UID)).unwrap();
        std::fs::rename(&tmp, self.maildir().join("new").join(&name)).unwrap();
        name
    }

    /// The IMAP flags letters of a delivered message (`""` while unseen; `S` seen, `FS` flagged and seen).
    pub fn flags(&self, name: &str) -> String {
        for sub in ["cur", "new"] {
            for entry in std::fs::read_dir(self.maildir().join(sub)).unwrap() {
                let file = entry.unwrap().file_name().to_string_lossy().into_owned();
                if file.starts_with(name) {
                    return file.split_once(":2,").map(|(_, f)| f.to_owned()).unwrap_or_default();
                }
            }
        }
        panic!("no message {name} in the mailbox")
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
