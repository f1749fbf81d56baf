//! The opt-in shell: an `ssh.pub` file on the boot partition (beside `integra.toml`) holds the
//! public keys that may log in as root over SSH, keys only. Without the file sshd does not start
//! (off by default). `integra boot-setup` checks the file and copies the keys to
//! `/run/integra-ssh/authorized_keys`, the only place sshd reads keys from on this image.

use std::fmt;

/// The file on the boot partition.
pub const KEY_FILE: &str = "ssh.pub";
/// Where sshd reads the keys (the image's sshd_config.d/integra.conf) and the host keys.
pub const SSH_DIR: &str = "run/integra-ssh";

/// Key types OpenSSH 9 accepts for a login.
const TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
];

/// Why `ssh.pub` was refused (the shell then stays off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFileError {
    /// A private key was put on the card: it must go.
    PrivateKey,
    /// A line that is no public key.
    NotAKey { line: usize },
    /// Only comments and blank lines.
    Empty,
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::PrivateKey => write!(
                f,
                "{KEY_FILE} holds a PRIVATE key: delete it from the card now (anyone with the card has it) and put the public one there (the file ending in .pub, e.g. ~/.ssh/id_ed25519.pub); the shell stays off"
            ),
            KeyFileError::NotAKey { line } => write!(
                f,
                "{KEY_FILE}:{line}: not an SSH public key: each line must look like `ssh-ed25519 AAAAC3… name` (the content of ~/.ssh/id_ed25519.pub, made by ssh-keygen); the shell stays off"
            ),
            KeyFileError::Empty => write!(
                f,
                "{KEY_FILE} has no key: put the content of your ~/.ssh/id_ed25519.pub in it, or delete the file; the shell stays off"
            ),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// The `authorized_keys` text for the keys in `ssh.pub`: every key line kept as written,
/// options refused (a line must start with the key's type).
pub fn authorized_keys(text: &str) -> Result<String, KeyFileError> {
    if text.contains("PRIVATE KEY") {
        return Err(KeyFileError::PrivateKey);
    }
    let mut out = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap_or("");
        let blob = words.next().unwrap_or("");
        let base64 = blob.len() >= 16
            && blob
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if !TYPES.contains(&kind) || !base64 {
            return Err(KeyFileError::NotAKey { line: i + 1 });
        }
        out.push_str(line);
        out.push('\n');
    }
    if out.is_empty() {
        return Err(KeyFileError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqmMf0l7cX9Qm0pQ9X4dE2b3bqS1J2zq5xk0a7bZc9d tech@laptop";

    #[test]
    fn public_keys_are_kept_and_comments_dropped() {
        let text = format!("# the technician\n\n{KEY}\r\n  {KEY}  \n");
        assert_eq!(authorized_keys(&text), Ok(format!("{KEY}\n{KEY}\n")));
    }

    #[test]
    fn a_private_key_an_option_a_password_or_nothing_is_refused() {
        assert_eq!(
            authorized_keys(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"
            ),
            Err(KeyFileError::PrivateKey)
        );
        assert_eq!(
            authorized_keys(&format!("{KEY}\ncommand=\"/bin/sh\" {KEY}\n")),
            Err(KeyFileError::NotAKey { line: 2 })
        );
        assert_eq!(
            authorized_keys("hunter2\n"),
            Err(KeyFileError::NotAKey { line: 1 })
        );
        assert_eq!(authorized_keys("# nothing yet\n"), Err(KeyFileError::Empty));
        let words = KeyFileError::NotAKey { line: 2 }.to_string();
        assert!(
            words.starts_with("ssh.pub:2:") && words.contains("stays off"),
            "{words}"
        );
    }
}
