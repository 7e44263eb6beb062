//! Who a member is, as opposed to where it is.
//!
//! A [`NodeId`] is the stable name a member keeps across restarts ("n1", "db-7"); its
//! [`SocketAddr`](core::net::SocketAddr) is where it can be reached right now. Keeping
//! the two apart lets a member restart on a new port and still be recognised, and lets
//! the simulator give virtual addresses to named nodes.

use core::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// The longest name a member may have, in bytes. Names travel in every packet, so they
/// are kept short.
pub const MAX_NODE_ID_LEN: usize = 64;

/// A member's stable name. Cheap to clone: names of up to [`INLINE_NAME_LEN`] bytes
/// (most names: "n17", "db-7.dc2") are stored inline and copied, longer ones are
/// shared. Every packet names its sender and most name a member, so decoding one
/// allocates nothing for names that short.
#[derive(Clone)]
pub struct NodeId(Repr);

/// The longest name kept inline in a [`NodeId`].
pub const INLINE_NAME_LEN: usize = 14;

/// A name's storage, 16 bytes either way: a long name sits behind a thin pointer
/// (`Arc<Box<str>>`; an `Arc<str>` is two words and would make this 24 bytes, and every
/// member-table entry with it). A name is inline exactly when it fits.
#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        bytes: [u8; INLINE_NAME_LEN],
    },
    Shared(Arc<Box<str>>),
}

impl NodeId {
    /// Checks and wraps a name: 1 to [`MAX_NODE_ID_LEN`] bytes, no control characters.
    pub fn new(name: &str) -> Result<Self, Error> {
        Self::from_utf8(name.as_bytes())
    }

    /// [`NodeId::new`] for a name that is still bytes, as it comes off the wire: one
    /// pass checks printable ASCII names (nearly all) for UTF-8 and control characters
    /// at once. Inlined into the decoder, with the rare cases out of line: every
    /// datagram carries a name or two.
    #[inline]
    pub(crate) fn from_utf8(name: &[u8]) -> Result<Self, Error> {
        if name.is_empty() || name.len() > MAX_NODE_ID_LEN {
            return Err(bad_length(name));
        }
        if !is_printable_ascii(name) {
            check_text(name)?;
        }
        if name.len() > INLINE_NAME_LEN {
            return Ok(Self::shared(name));
        }
        let mut bytes = [0; INLINE_NAME_LEN];
        bytes[..name.len()].copy_from_slice(name);
        Ok(NodeId(Repr::Inline {
            len: name.len() as u8,
            bytes,
        }))
    }

    /// Whether `name` would make a [`NodeId`]: the checks of [`NodeId::new`], without
    /// building one (full-state shares check every name they carry before using any).
    #[inline]
    pub(crate) fn is_valid(name: &[u8]) -> bool {
        (1..=MAX_NODE_ID_LEN).contains(&name.len())
            && (is_printable_ascii(name) || check_text(name).is_ok())
    }

    /// A name too long to keep inline: out of line, since names are nearly all short.
    #[cold]
    fn shared(name: &[u8]) -> Self {
        let text = String::from_utf8_lossy(name);
        NodeId(Repr::Shared(Arc::new(text.into())))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        // `from_utf8` checked every name's UTF-8 when it was built: this never fails.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The name's bytes, for comparing and hashing without checking them again.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(name) => name.as_bytes(),
        }
    }
}

#[inline]
fn is_printable_ascii(name: &[u8]) -> bool {
    name.iter().all(|b| (b' '..=b'~').contains(b))
}

#[cold]
fn bad_length(name: &[u8]) -> Error {
    Error::InvalidNodeId(format!(
        "a node name must be 1 to {MAX_NODE_ID_LEN} bytes long, got {}",
        name.len()
    ))
}

/// Checks that a name that is not all printable ASCII is UTF-8 without control
/// characters.
#[cold]
fn check_text(name: &[u8]) -> Result<(), Error> {
    let text = core::str::from_utf8(name)
        .map_err(|_| Error::InvalidNodeId(format!("a node name must be UTF-8: {name:?}")))?;
    if text.chars().any(char::is_control) {
        return Err(Error::InvalidNodeId(format!(
            "a node name must not contain control characters: {text:?}"
        )));
    }
    Ok(())
}

/// Whether `c` may not stand in a new name that logs, terminals and scripts will show
/// (a node's own, an event's): a control character, a line or paragraph separator, or
/// one of Unicode's bidirectional formatting characters, which reorder how the text
/// after them is shown, so that a name holding one reads as another (Unicode Standard
/// Annex #9, section 2; the "Trojan Source" attack, CVE-2021-42574). Names heard from
/// peers and read from a data dir are held only to having no control characters, as
/// builds before this check held them: a member so named still decodes.
pub fn misleads_in_a_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Two inline names compare as fixed-size values (no call to `memcmp` for a few
/// bytes: names are compared on every packet). Their bytes are zero-padded and no name
/// holds a zero byte, so equal bytes mean equal lengths; and a name is inline exactly
/// when it is short, so an inline name never equals a shared one.
impl PartialEq for NodeId {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Inline { bytes, .. }, Repr::Inline { bytes: b, .. }) => bytes == b,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for NodeId {}

impl PartialOrd for NodeId {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The order of the names' bytes. Two inline names compare as big-endian integers of
/// their zero-padded bytes, which is the same order: no name holds a zero byte (a
/// control character), so padding sorts before any byte of a longer name.
impl Ord for NodeId {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        match (&self.0, &other.0) {
            (Repr::Inline { bytes, .. }, Repr::Inline { bytes: b, .. }) => {
                padded_key(bytes).cmp(&padded_key(b))
            }
            _ => self.as_bytes().cmp(other.as_bytes()),
        }
    }
}

/// An inline name's bytes as one integer that orders as they do.
fn padded_key(bytes: &[u8; INLINE_NAME_LEN]) -> u128 {
    let mut padded = [0; 16];
    padded[..INLINE_NAME_LEN].copy_from_slice(bytes);
    u128::from_be_bytes(padded)
}

impl core::hash::Hash for NodeId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for NodeId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        NodeId::new(s)
    }
}

/// A string in text formats (JSON); bytes in binary ones. postcard, the wire format,
/// frames both alike (length, then the bytes), and bytes spare checking the UTF-8 of
/// every name in every datagram twice.
impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(self.as_str())
        } else {
            serializer.serialize_bytes(self.as_bytes())
        }
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_str(NameVisitor)
        } else {
            deserializer.deserialize_bytes(NameVisitor)
        }
    }
}

struct NameVisitor;

impl serde::de::Visitor<'_> for NameVisitor {
    type Value = NodeId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a node name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<NodeId, E> {
        NodeId::new(name).map_err(E::custom)
    }

    fn visit_bytes<E: serde::de::Error>(self, name: &[u8]) -> Result<NodeId, E> {
        NodeId::from_utf8(name).map_err(E::custom)
    }
}

/// One life of a writer: the node's name plus an epoch drawn at random when the node
/// starts. A node that restarts with fresh state writes as a new replica, so its new
/// writes can never be mistaken for the ones it made before.
///
/// In JSON it is its text, `"n3.1f2e"`, as the HTTP API and the CLI show a writer; on
/// the wire and on disk, the name and then the epoch.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId {
    pub node: NodeId,
    pub epoch: u32,
}

/// [`ReplicaId`]'s fields, as the wire and the disk hold them.
#[derive(Deserialize)]
struct ReplicaFields {
    node: NodeId,
    epoch: u32,
}

/// [`ReplicaFields`] to write, borrowed.
#[derive(Serialize)]
struct ReplicaFieldsRef<'a> {
    node: &'a NodeId,
    epoch: u32,
}

impl ReplicaId {
    pub fn new(node: NodeId, epoch: u32) -> Self {
        ReplicaId { node, epoch }
    }
}

/// `n3.1f2e`: the name and the epoch in hex.
impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:x}", self.node, self.epoch)
    }
}

/// Reads the text [`Display`](fmt::Display) writes: the name, a dot, the epoch in hex.
/// A name may hold dots; the epoch is what follows the last.
impl core::str::FromStr for ReplicaId {
    type Err = Error;

    fn from_str(text: &str) -> Result<ReplicaId, Error> {
        let not_a_writer =
            || Error::InvalidNodeId(format!("{text:?} is not a writer, NAME.EPOCH as n1.1f2e"));
        let (name, epoch) = text.rsplit_once('.').ok_or_else(not_a_writer)?;
        if epoch.is_empty() || epoch.len() > 8 || !epoch.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_a_writer());
        }
        let epoch = u32::from_str_radix(epoch, 16).map_err(|_| not_a_writer())?;
        Ok(ReplicaId::new(NodeId::new(name)?, epoch))
    }
}

impl Serialize for ReplicaId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            ReplicaFieldsRef {
                node: &self.node,
                epoch: self.epoch,
            }
            .serialize(serializer)
        }
    }
}

/// In JSON the text, or the object of the fields that recordings of format 1 hold.
impl<'de> Deserialize<'de> for ReplicaId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ReplicaId, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(ReplicaInJson)
        } else {
            let ReplicaFields { node, epoch } = ReplicaFields::deserialize(deserializer)?;
            Ok(ReplicaId { node, epoch })
        }
    }
}

struct ReplicaInJson;

impl<'de> serde::de::Visitor<'de> for ReplicaInJson {
    type Value = ReplicaId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a writer, NAME.EPOCH as n1.1f2e")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ReplicaId, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ReplicaId, A::Error> {
        let fields = ReplicaFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(ReplicaId::new(fields.node, fields.epoch))
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_is_its_text_in_json_and_its_fields_on_the_wire() {
        let writer = ReplicaId::new(NodeId::new("db.east").unwrap(), 0xea10_f2e2);
        let json = serde_json::to_string(&writer).unwrap();
        assert_eq!(json, r#""db.east.ea10f2e2""#);
        assert_eq!(serde_json::from_str::<ReplicaId>(&json).unwrap(), writer);
        let fields = r#"{"node":"db.east","epoch":3926979298}"#;
        assert_eq!(serde_json::from_str::<ReplicaId>(fields).unwrap(), writer);
        let wire = postcard::to_allocvec(&writer).unwrap();
        assert_eq!(
            wire,
            postcard::to_allocvec(&("db.east", 0xea10_f2e2u32)).unwrap()
        );
        assert_eq!(postcard::from_bytes::<ReplicaId>(&wire).unwrap(), writer);
        for bad in [
            "n1",
            "n1.",
            ".1f",
            "n1.xyz",
            "n1.123456789",
            "n1.-1",
            "\n.1",
        ] {
            assert!(bad.parse::<ReplicaId>().is_err(), "{bad}");
        }
        assert_eq!(
            "n1.0".parse::<ReplicaId>().unwrap(),
            ReplicaId::new(NodeId::new("n1").unwrap(), 0)
        );
    }

    #[test]
    fn rejects_empty_long_and_control_names() {
        assert!(NodeId::new("").is_err());
        assert!(NodeId::new(&"x".repeat(MAX_NODE_ID_LEN + 1)).is_err());
        assert!(NodeId::new("bad\nname").is_err());
        // Shown as "n1exe.sh": U+202E turns the text after it around. Held by a
        // peer, it still decodes; a new name is checked with `misleads_in_a_name`.
        assert!(NodeId::new("n1\u{202E}hs.exe").is_ok());
        for c in ['\u{202E}', '\u{2067}', '\u{2028}', '\n'] {
            assert!(misleads_in_a_name(c), "{c:?}");
        }
        assert!(!"nœud-1".chars().any(misleads_in_a_name));
        assert_eq!(NodeId::new("n1").unwrap().as_str(), "n1");
    }

    #[test]
    fn names_off_the_wire_are_checked_like_names_given() {
        for bad in [
            &b""[..],
            b"a\x00b",
            b"\xff\xfe",
            b"tab\there",
            &[b'x'; MAX_NODE_ID_LEN + 1],
        ] {
            assert!(NodeId::from_utf8(bad).is_err(), "{bad:?}");
        }
        for good in [
            "n1",
            "ünïcode-name",
            "a name with spaces",
            &"y".repeat(MAX_NODE_ID_LEN),
        ] {
            assert_eq!(NodeId::from_utf8(good.as_bytes()).unwrap().as_str(), good);
        }
        // The wire form is the length, then the bytes: exactly a string's.
        let id = NodeId::new("n42").unwrap();
        let wire = postcard::to_allocvec(&id).unwrap();
        assert_eq!(wire, postcard::to_allocvec("n42").unwrap());
        assert_eq!(postcard::from_bytes::<NodeId>(&wire).unwrap(), id);
        assert!(postcard::from_bytes::<NodeId>(&[2, b'a', 0]).is_err());
    }

    #[test]
    fn short_and_long_names_behave_alike() {
        assert_eq!(core::mem::size_of::<NodeId>(), 16);
        let names = [
            "a",
            "n10000",
            "exactly-14-byt",
            "fifteen-bytes-x",
            "ünïcode-name",
            "z",
        ];
        let ids: Vec<NodeId> = names.iter().map(|n| NodeId::new(n).unwrap()).collect();
        for (name, id) in names.iter().zip(&ids) {
            assert_eq!(id.as_str(), *name);
            assert_eq!(id.to_string(), *name);
            assert_eq!(*id, NodeId::new(name).unwrap());
            assert_eq!(id.clone(), *id);
        }
        let mut sorted = ids.clone();
        sorted.sort();
        let mut by_text = names.to_vec();
        by_text.sort();
        let sorted_names: Vec<&str> = sorted.iter().map(NodeId::as_str).collect();
        assert_eq!(sorted_names, by_text);
        assert_ne!(ids[2], ids[3]);
    }
}
