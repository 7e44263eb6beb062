//! Tags: a member's small metadata (a role, a datacenter, the port of its service),
//! carried with its alive news so every member learns them (Serf's tags; the
//! application port of the Java gossip module).
//!
//! Tags belong to an incarnation. A member that changes its tags raises its
//! incarnation and announces itself alive again, so the new tags win everywhere by the
//! same rule as any alive news (SWIM section 4.2), and two different sets of tags never
//! share an incarnation.

use core::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Bytes a key may take.
pub const MAX_TAG_KEY_LEN: usize = 64;
/// Bytes a member's tags may take on the wire, lengths included: they travel with its
/// alive news and in every full-state exchange, and a member table holds everyone's.
/// At this size a member's own alive news still fits a packet of the smallest `mtu`.
pub const MAX_TAGS_LEN: usize = 256;

/// A member's tags: keys in order, each once, within [`MAX_TAGS_LEN`].
///
/// On the wire they are a sequence of key/value pairs, in order (postcard's layout of
/// the pairs); in JSON an object, `{"dc":"east","role":"db"}`, as the HTTP API shows a
/// member's tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    /// No tags.
    pub const fn none() -> Tags {
        Tags(Vec::new())
    }

    /// Tags from key/value pairs; a later pair replaces an earlier one with its key.
    pub fn new<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Tags, Error> {
        let mut tags: Vec<(String, String)> = Vec::new();
        for (key, value) in pairs {
            let (key, value) = (key.into(), value.into());
            match tags.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
                Ok(at) => tags[at].1 = value,
                Err(at) => tags.insert(at, (key, value)),
            }
        }
        Tags::try_from(tags)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if tagged.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|at| self.0[at].1.as_str())
    }

    /// Every key and value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Bytes the tags take on the wire: their count, then each key and value with its
    /// length (postcard's layout).
    pub fn encoded_len(&self) -> usize {
        let text = |t: &str| varint_len(t.len()) + t.len();
        varint_len(self.0.len()) + self.0.iter().map(|(k, v)| text(k) + text(v)).sum::<usize>()
    }
}

/// The length of postcard's varint encoding of `n`.
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - (n | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Checks the bounds, the characters (keys are names; values are printable, so that a
/// member cannot forge lines in another's output), and that keys come in order, each
/// once (so that equal tags are equal bytes on the wire).
impl TryFrom<Vec<(String, String)>> for Tags {
    type Error = Error;

    fn try_from(pairs: Vec<(String, String)>) -> Result<Tags, Error> {
        for (key, value) in &pairs {
            if key.is_empty() || key.len() > MAX_TAG_KEY_LEN {
                return Err(Error::BadTag(format!(
                    "a tag key is 1 to {MAX_TAG_KEY_LEN} bytes, {key:?} is {}",
                    key.len()
                )));
            }
            let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
            if !key.chars().all(name_char) {
                return Err(Error::BadTag(format!(
                    "a tag key is letters, digits, '_', '-' and '.'; {key:?} is not"
                )));
            }
            if value.chars().any(char::is_control) {
                return Err(Error::BadTag(format!(
                    "a tag value is printable text; the one of {key:?} is not"
                )));
            }
        }
        if pairs.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::BadTag("tag keys must be in order, each once".into()));
        }
        let tags = Tags(pairs);
        if tags.encoded_len() > MAX_TAGS_LEN {
            return Err(Error::BadTag(format!(
                "tags take {} bytes on the wire, at most {MAX_TAGS_LEN}",
                tags.encoded_len()
            )));
        }
        Ok(tags)
    }
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_map(self.iter())
        } else {
            self.0.serialize(serializer)
        }
    }
}

/// Off the wire only pairs in order are taken, so that equal tags stay equal bytes; in
/// JSON an object in any order, or the pairs (as recordings of format 1 hold them).
impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tags, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TagsInJson)
        } else {
            let pairs = Vec::<(String, String)>::deserialize(deserializer)?;
            Tags::try_from(pairs).map_err(de::Error::custom)
        }
    }
}

/// Reads tags from a JSON object or a list of pairs.
struct TagsInJson;

impl<'de> Visitor<'de> for TagsInJson {
    type Value = Tags;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tags: an object of text values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Tags::new(pairs).map_err(de::Error::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(pair) = seq.next_element()? {
            pairs.push(pair);
        }
        Tags::new(pairs).map_err(de::Error::custom)
    }
}

impl fmt::Display for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_keys_in_order_and_later_values_win() {
        let tags = Tags::new([("role", "web"), ("dc", "east"), ("role", "db")]).unwrap();
        assert_eq!(tags.to_string(), "dc=east,role=db");
        assert_eq!(tags.get("role"), Some("db"));
        assert_eq!(tags.get("zone"), None);
        assert_eq!(
            tags.encoded_len(),
            postcard::to_allocvec(&tags).unwrap().len()
        );
    }

    #[test]
    fn tags_are_bounded_on_the_wire() {
        assert!(Tags::new([("", "x")]).is_err());
        assert!(Tags::new([("k".repeat(MAX_TAG_KEY_LEN + 1), "x".to_owned())]).is_err());
        // One tag: a count byte, a key of one byte with its length, a value's length
        // (two bytes beyond 127) and the value.
        let fits = "v".repeat(MAX_TAGS_LEN - 5);
        let tags = Tags::new([("k", fits.as_str())]).unwrap();
        assert_eq!(tags.encoded_len(), MAX_TAGS_LEN);
        assert_eq!(postcard::to_allocvec(&tags).unwrap().len(), MAX_TAGS_LEN);
        let over = format!("{fits}v");
        assert!(Tags::new([("k", over.as_str())]).is_err());
        // Many empty values cost their lengths too.
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("k{i:02}"), String::new()))
            .collect();
        assert!(Tags::new(many).is_err());
    }

    #[test]
    fn tag_text_cannot_forge_output() {
        assert!(Tags::new([("role=x", "web")]).is_err());
        assert!(Tags::new([("role", "web\nn9  10.0.0.9  alive")]).is_err());
        assert!(Tags::new([("role", "\u{1b}[31mred")]).is_err());
        assert!(Tags::new([("dc.zone-1_a", "east, rack 4 (ü)")]).is_ok());
    }

    #[test]
    fn tags_are_an_object_in_json_and_pairs_on_the_wire() {
        let tags = Tags::new([("role", "db"), ("dc", "east")]).unwrap();
        let json = serde_json::to_string(&tags).unwrap();
        assert_eq!(json, r#"{"dc":"east","role":"db"}"#);
        assert_eq!(serde_json::from_str::<Tags>(&json).unwrap(), tags);
        let unordered = r#"{"role":"db","dc":"east"}"#;
        assert_eq!(serde_json::from_str::<Tags>(unordered).unwrap(), tags);
        let as_pairs = r#"[["dc","east"],["role","db"]]"#;
        assert_eq!(serde_json::from_str::<Tags>(as_pairs).unwrap(), tags);
        assert!(serde_json::from_str::<Tags>(r#"{"a b":"1"}"#).is_err());
        assert!(serde_json::from_str::<Tags>(r#"{"a":1}"#).is_err());
        let wire = postcard::to_allocvec(&tags).unwrap();
        assert_eq!(wire, postcard::to_allocvec(&tags.0).unwrap());
        assert_eq!(postcard::from_bytes::<Tags>(&wire).unwrap(), tags);
    }

    #[test]
    fn decoding_refuses_what_new_refuses() {
        let decode = |pairs: Vec<(&str, &str)>| {
            let bytes = postcard::to_allocvec(&pairs).unwrap();
            postcard::from_bytes::<Tags>(&bytes)
        };
        assert!(decode(vec![("a", "1"), ("b", "2")]).is_ok());
        assert!(
            decode(vec![("b", "1"), ("a", "2")]).is_err(),
            "out of order"
        );
        assert!(decode(vec![("a", "1"), ("a", "2")]).is_err(), "repeated");
        assert!(decode(vec![("", "1")]).is_err());
    }
}
