//! The keyring: the secret keys a cluster's datagrams are sealed with (`--keyring FILE`).
//!
//! As in Serf, the file is a JSON array of base64 keys, the primary first. Datagrams
//! are sealed with the primary key and opened with any key of the ring, so a key is
//! rotated without a moment where two members cannot read each other: install the new
//! key on every member, make it the primary everywhere, then remove the old one
//! (`gossip keys install|use|remove`, each saved back to the file).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;

/// Bytes in a key (ChaCha20-Poly1305's key size).
pub const KEY_LEN: usize = 32;

/// One secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl Key {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Key {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Key(bytes)
    }

    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The key as base64, as files and commands take it.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// A key from base64 text; it must be exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Key, KeyringError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| KeyringError::NotBase64)?;
        let bytes: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| KeyringError::WrongLength(b.len()))?;
        Ok(Key(bytes))
    }
}

/// Keys never show up in logs or debug output.
impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// What can be wrong with a key or a keyring.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("a key is base64 text (make one with `gossip keygen`)")]
    NotBase64,
    #[error("a key is {KEY_LEN} bytes, this one is {0}")]
    WrongLength(usize),
    #[error("that key is not in the keyring")]
    Unknown,
    #[error("that key is the primary key: make another key the primary first (`gossip keys use`)")]
    RemovingPrimary,
    #[error("a keyring needs at least one key")]
    Empty,
    #[error("{0}")]
    File(String),
}

/// The keys a node seals and opens datagrams with; the first is the primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl Keyring {
    pub fn new(keys: Vec<Key>) -> Result<Keyring, KeyringError> {
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        let mut ring = Keyring { keys: Vec::new() };
        for key in keys {
            if !ring.keys.contains(&key) {
                ring.keys.push(key);
            }
        }
        Ok(ring)
    }

    /// The key datagrams are sealed with.
    pub fn primary(&self) -> &Key {
        &self.keys[0]
    }

    /// Every key, the primary first: datagrams sealed with any of them are opened.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Adds a key (opening only, until it is made the primary); adding one already
    /// there changes nothing.
    pub fn install(&mut self, key: Key) {
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    /// Makes an installed key the primary.
    pub fn use_key(&mut self, key: &Key) -> Result<(), KeyringError> {
        let at = self
            .keys
            .iter()
            .position(|k| k == key)
            .ok_or(KeyringError::Unknown)?;
        let key = self.keys.remove(at);
        self.keys.insert(0, key);
        Ok(())
    }

    /// Removes a key that is not the primary.
    pub fn remove(&mut self, key: &Key) -> Result<(), KeyringError> {
        let at = self
            .keys
            .iter()
            .position(|k| k == key)
            .ok_or(KeyringError::Unknown)?;
        if at == 0 {
            return Err(KeyringError::RemovingPrimary);
        }
        self.keys.remove(at);
        Ok(())
    }

    /// The ring as its file holds it: a JSON array of base64 keys, the primary first.
    pub fn to_json(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(Key::to_base64).collect();
        serde_json::to_string_pretty(&keys).unwrap_or_else(|_| "[]".into())
    }

    pub fn from_json(text: &str) -> Result<Keyring, KeyringError> {
        let keys: Vec<String> = serde_json::from_str(text).map_err(|e| {
            KeyringError::File(format!(
                "a keyring file is a JSON array of base64 keys: {e}"
            ))
        })?;
        Keyring::new(
            keys.iter()
                .map(|k| Key::from_base64(k))
                .collect::<Result<_, _>>()?,
        )
    }
}

/// A keyring and the file it is kept in.
#[derive(Clone, Debug)]
pub struct KeyringFile {
    path: PathBuf,
    pub ring: Keyring,
}

impl KeyringFile {
    pub fn load(path: &Path) -> Result<KeyringFile, KeyringError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            KeyringError::File(format!(
                "cannot read the keyring {}: {e} (create one with `gossip keygen --keyring {}`)",
                path.display(),
                path.display()
            ))
        })?;
        let ring = Keyring::from_json(&text)
            .map_err(|e| KeyringError::File(format!("{}: {e}", path.display())))?;
        Ok(KeyringFile {
            path: path.to_owned(),
            ring,
        })
    }

    /// Writes the ring back, whole or not at all (a new file renamed over the old).
    pub fn save(&self) -> Result<(), KeyringError> {
        write_atomically(&self.path, &self.ring.to_json())
    }
}

/// Writes a new keyring file holding one fresh key; refuses to overwrite a file.
pub fn create(path: &Path) -> Result<Key, KeyringError> {
    let key = Key::generate();
    let text = Keyring::new(vec![key.clone()])?.to_json();
    let exists = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyringError::File(format!(
            "{} exists already: a keyring is changed with `gossip keys`, not replaced",
            path.display()
        )),
        _ => KeyringError::File(format!("cannot write the keyring {}: {e}", path.display())),
    };
    write_new(path, &text).map_err(exists)?;
    sync_dir(path);
    Ok(key)
}

/// Creates `path` (never an existing file or a link's target), readable by its owner
/// only, and writes `text` to disk.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Makes a rename or a new file in `path`'s directory durable.
fn sync_dir(path: &Path) {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Ok(dir) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
}

/// Replaces `path` whole or not at all: a new file beside it, renamed over it.
fn write_atomically(path: &Path, text: &str) -> Result<(), KeyringError> {
    let fail = |e: std::io::Error| {
        KeyringError::File(format!("cannot write the keyring {}: {e}", path.display()))
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keyring".into());
    let temp = path.with_file_name(format!(".{name}.{}.new", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    write_new(&temp, text).map_err(fail)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(e)
    })?;
    sync_dir(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_base64_and_bad_ones_are_named() {
        let key = Key::generate();
        assert_eq!(Key::from_base64(&key.to_base64()), Ok(key));
        assert_eq!(
            Key::from_base64("not base64!"),
            Err(KeyringError::NotBase64)
        );
        assert_eq!(
            Key::from_base64(&BASE64.encode([1u8; 16])),
            Err(KeyringError::WrongLength(16))
        );
        assert_eq!(format!("{:?}", Key::generate()), "Key(..)");
    }

    #[test]
    fn rotation_installs_uses_then_removes() {
        let (old, new) = (Key::generate(), Key::generate());
        let mut ring = Keyring::new(vec![old.clone()]).unwrap();
        ring.install(new.clone());
        ring.install(new.clone());
        assert_eq!(ring.keys(), &[old.clone(), new.clone()]);
        assert_eq!(ring.remove(&old), Err(KeyringError::RemovingPrimary));
        ring.use_key(&new).unwrap();
        assert_eq!(ring.primary(), &new);
        ring.remove(&old).unwrap();
        assert_eq!(ring.keys(), std::slice::from_ref(&new));
        assert_eq!(ring.use_key(&old), Err(KeyringError::Unknown));
        assert_eq!(Keyring::from_json(&ring.to_json()), Ok(ring));
        assert_eq!(Keyring::from_json("[]"), Err(KeyringError::Empty));
        assert!(matches!(
            Keyring::from_json("{}"),
            Err(KeyringError::File(_))
        ));
    }

    #[test]
    fn a_keyring_file_is_created_once_and_saved_whole() {
        let dir = std::env::temp_dir().join(format!("gossip-keyring-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keyring.json");
        let key = create(&path).unwrap();
        assert!(create(&path).is_err(), "never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
        }
        let mut file = KeyringFile::load(&path).unwrap();
        assert_eq!(file.ring.primary(), &key);
        file.ring.install(Key::generate());
        file.save().unwrap();
        assert_eq!(KeyringFile::load(&path).unwrap().ring.keys().len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "still after a save");
        }
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left beside it"
        );
        std::fs::write(&path, "[\"short\"]").unwrap();
        let error = KeyringFile::load(&path).unwrap_err().to_string();
        assert!(error.contains("keyring.json"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
