//! Protocol configuration: every knob, what it trades, and named presets.
//!
//! [`Config`] is declared once, through `settings!`: its fields' doc comments are also
//! the descriptions that [`Config::FIELDS`] lists for the lab's settings panel and the
//! agent, and `--set`, config files and JSON read and print each field the same way.

mod choices;
mod setting;

pub use choices::{Cooling, GossipMode, Lifeguard, ProbeOrder, RumorAccounting};
pub use setting::{FieldInfo, Setting, SettingKind};

use setting::settings;

use crate::{Duration, Error};

settings! {
    /// Everything a node needs to know to run the protocol.
    ///
    /// Start from a preset ([`Config::demo`], [`Config::lan`], [`Config::wan`]) and change
    /// fields as needed; [`Config::validate`] rejects unsafe combinations and
    /// [`Node::new`](crate::Node::new) calls it for you.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {
        /// Length of one SWIM protocol period: every period a member probes one other
        /// member. Shorter periods detect failures sooner at the cost of more traffic.
        /// Typical: 1 s on a LAN, 5 s across a WAN. Must exceed `probe_timeout`.
        pub probe_interval: Duration,

        /// How long to wait for a direct ack before asking `indirect_checks` witnesses to
        /// probe the target (SWIM section 3.1). Should be a few network round trips; too short
        /// and a slow but healthy member gets indirect probes (and possibly suspicion).
        pub probe_timeout: Duration,

        /// How many witnesses are asked to probe a target that missed its direct ack
        /// (SWIM's `k`). More witnesses make a false suspicion after a lossy link less likely.
        /// Typical: 3.
        pub indirect_checks: usize,

        /// How long a suspected member has to refute the suspicion before it is declared dead
        /// (SWIM section 4.2). It must cover several protocol periods so that the suspect
        /// hears of it and its refutation spreads. Typical: 4-6 periods times log10(n). With
        /// Lifeguard's dynamic suspicion this is the *shortest* timeout, reached once enough
        /// members confirm the suspicion.
        pub suspicion_timeout: Duration,

        /// With dynamic suspicion, a fresh suspicion lasts `suspicion_timeout` times this
        /// (Lifeguard's beta; memberlist uses 6). At least 1.
        pub suspicion_max_timeout_mult: u32,

        /// With dynamic suspicion, how many independent confirmations bring the timeout down
        /// to `suspicion_timeout` (Lifeguard's K; the Java design's "max suspicion count" of
        /// 3). Capped at `n - 2` in a cluster of `n`.
        pub suspicion_confirmations: u32,

        /// Which Lifeguard refinements are on.
        pub lifeguard: Lifeguard,

        /// The highest Local Health score; probe interval and timeout stretch up to
        /// `1 + max_local_health` times. memberlist uses 8.
        pub max_local_health: u32,

        /// Randomized round-robin (the default) or uniformly random probe targets.
        pub probe_order: ProbeOrder,

        /// How often a member offers one random live member to exchange full member tables
        /// (memberlist's push-pull, offered first with a fingerprint of the full state: the
        /// tables go both ways only when the member's differs). It repairs what
        /// infection-style dissemination missed: a member that never heard a refutation
        /// learns the newer incarnation here before its suspicion runs out. Typical: 30 s.
        /// Beyond 32 members it is stretched by `ceil(log2(n / 32)) + 1`, as memberlist
        /// does, since each exchange costs O(n). A ping from a member not held starts an
        /// exchange too, once per sender per (stretched) interval and for at most 8
        /// senders an interval.
        pub push_pull_interval: Duration,

        /// How often a member sends its full state to one dead member or seed and asks for
        /// theirs, so that the two sides of a healed partition find each other again without
        /// anyone doing anything (memberlist's push-pull and gossip-to-the-dead rolled into
        /// one). A member tries the dead with probability dead / alive (itself counted), as
        /// Serf does, so that the cluster reaches each dead member about once an interval.
        /// Shorter heals faster at the cost of full-state exchanges.
        pub reconnect_interval: Duration,

        /// Each membership update is piggybacked about `retransmit_mult * ceil(log10(n + 1))`
        /// times (SWIM section 4.1: infection-style dissemination reaches everyone in
        /// O(log n) rounds with high probability). Higher values cost bandwidth and buy
        /// reliability under loss. Typical: 4.
        pub retransmit_mult: u32,

        /// How often a member pushes pending updates to `fanout` random members on top of the
        /// piggybacking on probes. Shorter spreads news faster.
        pub gossip_interval: Duration,

        /// How many random members each gossip round is sent to. Typical: 3.
        pub fanout: usize,

        /// How long a dead or departed member stays in the table (so that late rumours about
        /// it are recognised as old) before it is forgotten.
        pub reap_after: Duration,

        /// Rumor mongering (Demers et al. 1987) of key/value writes: each new version starts
        /// hot and is pushed (or pulled) every `gossip_interval` to `fanout` random members
        /// until it cools down. Off: writes spread only by anti-entropy.
        pub rumor_mongering: bool,

        /// Push, pull or push-pull rumor mongering.
        pub rumor_mode: GossipMode,

        /// How rumors cool down.
        pub rumor_cooling: Cooling,

        /// Demers' k: the counter a rumor starts with, or the coin's odds (1/k).
        pub max_excitement: u32,

        /// Whether a rumor's excitement is reckoned per message (as an asynchronous
        /// network gives it) or per gossip round (Demers' synchronous model, which
        /// reproduces the paper's tables): `per-message` or `per-round`.
        pub rumor_accounting: RumorAccounting,

        /// Also piggyback hot rumors on membership traffic, where there is room under the
        /// MTU (they do not cool down there).
        pub rumor_piggyback: bool,

        /// Anti-entropy: every `sync_interval` exchange a store digest with one member and
        /// send each other what the other lacks, so stores converge even when rumors die
        /// out early or are lost. A round goes to a member whose ping showed a store
        /// summary other than this node's; without one, see `quiet_sync_every`.
        pub anti_entropy: bool,

        /// Push, pull or push-pull anti-entropy.
        pub anti_entropy_mode: GossipMode,

        /// How often a member runs one anti-entropy exchange.
        pub sync_interval: Duration,

        /// When no ping has shown a store other than this node's, anti-entropy runs only
        /// every this many `sync_interval` rounds, with a random member (and every round
        /// while a tombstone awaits collection or a restored store is held aside). 1 runs
        /// every round, as in Demers et al.'s model; higher spares a quiet cluster the
        /// digests that could not repair anything. Typical: 12. At least 1.
        pub quiet_sync_every: u32,

        /// The least time a tombstone is kept, even once every known member holds it. The
        /// "every known member" rule cannot see members on the far side of a partition, who
        /// may hold a concurrent write of the key; this grace period (Cassandra's gc_grace)
        /// covers partitions shorter than it. At least `reap_after`.
        pub tombstone_grace: Duration,

        /// The largest datagram this node sends, in bytes. Updates are piggybacked only as far
        /// as they fit. 1400 keeps clear of the usual 1500-byte Ethernet MTU after IP and UDP
        /// headers. At least 512.
        pub mtu: usize,

        /// Largest key accepted by `put`, in bytes.
        pub max_key_len: usize,

        /// Largest value accepted by `put`, in bytes. Must leave room in one datagram
        /// together with its key. Values that peers wrote are taken whatever their
        /// length (a datagram bounds it): refusing them would leave members set
        /// differently disagreeing for good, and anti-entropy repairing in vain.
        pub max_value_len: usize,
    }
}

impl Config {
    /// Every name [`Config::set`] takes: each field's, and each of Lifeguard's parts as
    /// `lifeguard.PART`.
    pub fn setting_names() -> impl Iterator<Item = String> {
        Config::FIELDS.iter().map(|f| f.name.to_owned()).chain(
            Lifeguard::PARTS
                .iter()
                .map(|part| format!("lifeguard.{part}")),
        )
    }

    /// The numbers of the original teaching demos: 5 nodes, fanout 3, a probe every
    /// second, a member suspected after one failed probe is declared dead after 5 s of
    /// unrefuted suspicion and forgotten after 45 s. Plain SWIM: Lifeguard is off, as it
    /// was in those demos (switch it on to compare).
    pub fn demo() -> Self {
        Config {
            probe_interval: Duration::from_secs(1),
            probe_timeout: Duration::from_millis(500),
            indirect_checks: 3,
            suspicion_timeout: Duration::from_secs(5),
            suspicion_max_timeout_mult: 6,
            suspicion_confirmations: 3,
            lifeguard: Lifeguard::OFF,
            max_local_health: 8,
            probe_order: ProbeOrder::RoundRobin,
            push_pull_interval: Duration::from_secs(30),
            reconnect_interval: Duration::from_secs(10),
            rumor_mongering: true,
            rumor_mode: GossipMode::Push,
            rumor_cooling: Cooling::FeedbackCounter,
            max_excitement: 10,
            rumor_accounting: RumorAccounting::PerMessage,
            rumor_piggyback: true,
            anti_entropy: true,
            anti_entropy_mode: GossipMode::PushPull,
            sync_interval: Duration::from_secs(5),
            quiet_sync_every: 12,
            tombstone_grace: Duration::from_secs(300),
            retransmit_mult: 4,
            gossip_interval: Duration::from_millis(500),
            fanout: 3,
            reap_after: Duration::from_secs(45),
            mtu: 1400,
            max_key_len: 128,
            max_value_len: 512,
        }
    }

    /// A local network of about `cluster_size` members, in the spirit of memberlist's
    /// LAN defaults: 1 s periods, 500 ms probe timeout, 200 ms gossip rounds, a
    /// suspicion timeout of 4 periods times log10(n), and Lifeguard on.
    pub fn lan(cluster_size: usize) -> Self {
        let period = Duration::from_secs(1);
        Config {
            probe_interval: period,
            suspicion_timeout: scaled_suspicion_timeout(period, 4, cluster_size),
            lifeguard: Lifeguard::ON,
            reconnect_interval: Duration::from_secs(15),
            tombstone_grace: Duration::from_secs(600),
            gossip_interval: Duration::from_millis(200),
            reap_after: Duration::from_secs(60),
            ..Config::demo()
        }
    }

    /// A wide-area cluster of about `cluster_size` members, in the spirit of
    /// memberlist's WAN defaults: 5 s periods, 3 s probe timeout, 500 ms gossip rounds
    /// to 4 members, 6 periods times log10(n) of suspicion, and Lifeguard on.
    pub fn wan(cluster_size: usize) -> Self {
        let period = Duration::from_secs(5);
        Config {
            probe_interval: period,
            probe_timeout: Duration::from_secs(3),
            suspicion_timeout: scaled_suspicion_timeout(period, 6, cluster_size),
            lifeguard: Lifeguard::ON,
            push_pull_interval: Duration::from_secs(60),
            reconnect_interval: Duration::from_secs(60),
            sync_interval: Duration::from_secs(30),
            tombstone_grace: Duration::from_secs(3600),
            gossip_interval: Duration::from_millis(500),
            fanout: 4,
            reap_after: Duration::from_secs(300),
            ..Config::demo()
        }
    }

    /// Checks that the settings make sense together.
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |why: String| Err(Error::InvalidConfig(why));
        if self.probe_timeout == Duration::ZERO || self.probe_timeout >= self.probe_interval {
            return fail(format!(
                "probe_timeout ({}) must be above zero and below probe_interval ({})",
                self.probe_timeout, self.probe_interval
            ));
        }
        if self.suspicion_timeout < self.probe_interval {
            return fail(format!(
                "suspicion_timeout ({}) must be at least one probe_interval ({}) so a \
                 suspect can hear of the suspicion and refute it",
                self.suspicion_timeout, self.probe_interval
            ));
        }
        if self.suspicion_max_timeout_mult == 0 {
            return fail("suspicion_max_timeout_mult must be at least 1".into());
        }
        if self.reconnect_interval == Duration::ZERO || self.push_pull_interval == Duration::ZERO {
            return fail("reconnect_interval and push_pull_interval must be above zero".into());
        }
        if self.max_excitement == 0 {
            return fail("max_excitement must be at least 1".into());
        }
        if self.tombstone_grace < self.reap_after {
            return fail(format!(
                "tombstone_grace ({}) must not be shorter than reap_after ({})",
                self.tombstone_grace, self.reap_after
            ));
        }
        if self.sync_interval == Duration::ZERO {
            return fail("sync_interval must be above zero".into());
        }
        if self.quiet_sync_every == 0 {
            return fail("quiet_sync_every must be at least 1".into());
        }
        if self.gossip_interval == Duration::ZERO {
            return fail("gossip_interval must be above zero".into());
        }
        if self.fanout == 0 {
            return fail("fanout must be at least 1".into());
        }
        if self.retransmit_mult == 0 {
            return fail("retransmit_mult must be at least 1".into());
        }
        if self.reap_after < self.suspicion_timeout {
            return fail(format!(
                "reap_after ({}) must not be shorter than suspicion_timeout ({})",
                self.reap_after, self.suspicion_timeout
            ));
        }
        if !(512..=65_507).contains(&self.mtu) {
            return fail(format!(
                "mtu must be 512 to 65507 bytes (a UDP payload), got {}",
                self.mtu
            ));
        }
        if self.max_key_len == 0 {
            return fail("max_key_len must be at least 1".into());
        }
        let key_value_room = self.mtu.saturating_sub(MTU_OVERHEAD_FOR_ONE_UPDATE);
        let key_and_value = self.max_key_len.saturating_add(self.max_value_len);
        if key_and_value > key_value_room {
            return fail(format!(
                "max_key_len + max_value_len ({}) must fit in one datagram: at most {} \
                 with an mtu of {}",
                key_and_value, key_value_room, self.mtu
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Sets one field from text, as `--set field=value` does: durations as `500ms`,
    /// `1.5s` or `2m`, with the unit; `lifeguard` takes `true`, `false` or a list of
    /// parts, and `lifeguard.PART` switches one part. The result is not validated
    /// here (call [`Config::validate`] after the last change). On error nothing
    /// changes.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), Error> {
        let value = value.trim();
        let expected = if let Some(part) = field.strip_prefix("lifeguard.") {
            let switch = self
                .lifeguard
                .part_mut(part)
                .ok_or_else(|| unknown_field(field))?;
            bool::from_text(value).map(|on| *switch = on)
        } else {
            self.set_field(field, value)
                .ok_or_else(|| unknown_field(field))?
        };
        expected.map_err(|expected| {
            Error::InvalidConfig(format!("{field} = {value:?}: expected {expected}"))
        })
    }

    /// One field as text, in the form [`Config::set`] reads; `None` for an unknown
    /// field.
    pub fn get(&self, field: &str) -> Option<String> {
        match field.strip_prefix("lifeguard.") {
            Some(part) => {
                let mut lifeguard = self.lifeguard;
                lifeguard.part_mut(part).map(|on| on.to_string())
            }
            None => self.get_field(field),
        }
    }

    /// Every field as `(name, value)` text, in [`Config::FIELDS`] order and the form
    /// [`Config::set`] reads.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        Config::FIELDS
            .iter()
            .map(|field| (field.name, self.get_field(field.name).unwrap_or_default()))
            .collect()
    }

    /// The fields a running node takes on at once ([`Node::reconfigure`]). Each is read
    /// where it is used: an interval when its timer is next set, a count or a timeout
    /// when the next probe, broadcast, suspicion, rumor or exchange starts. Changing one
    /// changes what happens next and nothing already under way. The other fields shape
    /// what a node builds as it starts (its probe order, its Lifeguard and rumor
    /// machinery, its datagram budget, its tombstone rules) and apply from its next
    /// start.
    ///
    /// [`Node::reconfigure`]: crate::Node::reconfigure
    pub const LIVE_FIELDS: &'static [&'static str] = &[
        "probe_interval",
        "probe_timeout",
        "indirect_checks",
        "suspicion_timeout",
        "suspicion_max_timeout_mult",
        "suspicion_confirmations",
        "push_pull_interval",
        "reconnect_interval",
        "retransmit_mult",
        "gossip_interval",
        "fanout",
        "reap_after",
        "max_excitement",
        "rumor_piggyback",
        "anti_entropy",
        "sync_interval",
        "quiet_sync_every",
    ];

    /// Whether a running node takes on a change of `field` at once (see
    /// [`Config::LIVE_FIELDS`]).
    pub fn applies_live(field: &str) -> bool {
        Config::LIVE_FIELDS.contains(&field)
    }

    /// Whether a running node may go from this configuration to `next`: it validates,
    /// and only [`Config::LIVE_FIELDS`] differ (the error names the others).
    pub fn check_live_change(&self, next: &Config) -> Result<(), Error> {
        next.validate()?;
        let fixed: Vec<&str> = self
            .changed_fields(next)
            .into_iter()
            .filter(|field| !Config::applies_live(field))
            .collect();
        match fixed.as_slice() {
            [] => Ok(()),
            [one] => Err(Error::InvalidConfig(format!(
                "{one} only changes when a node starts"
            ))),
            many => Err(Error::InvalidConfig(format!(
                "{} only change when a node starts",
                many.join(", ")
            ))),
        }
    }

    /// The fields whose values differ from `other`'s, in [`Config::FIELDS`] order.
    pub fn changed_fields(&self, other: &Config) -> Vec<&'static str> {
        self.fields()
            .into_iter()
            .zip(other.fields())
            .filter(|((_, mine), (_, theirs))| mine != theirs)
            .map(|((name, _), _)| name)
            .collect()
    }
}

fn unknown_field(field: &str) -> Error {
    let known: Vec<String> = Config::setting_names().collect();
    Error::InvalidConfig(format!(
        "unknown field {field:?}; known fields: {}",
        known.join(", ")
    ))
}

impl Default for Config {
    fn default() -> Self {
        Config::demo()
    }
}

/// Room one packet needs besides a single key/value update: header, sender name, the
/// update's writer name and version. Generous on purpose.
const MTU_OVERHEAD_FOR_ONE_UPDATE: usize = 256;

/// memberlist's rule: `mult * max(1, log10(n)) * period`.
fn scaled_suspicion_timeout(period: Duration, mult: u32, cluster_size: usize) -> Duration {
    let scale = (cluster_size.max(1) as f64).log10().max(1.0);
    (period * mult).mul_f64(scale)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_live_fields_are_fields_and_changes_are_named() {
        for field in Config::LIVE_FIELDS {
            assert!(Config::FIELDS.iter().any(|f| f.name == *field), "{field}");
        }
        let demo = Config::demo();
        let mut other = demo.clone();
        other.fanout += 1;
        other.mtu += 1;
        assert_eq!(demo.changed_fields(&other), ["fanout", "mtu"]);
        assert!(demo.changed_fields(&demo).is_empty());
        assert!(Config::applies_live("fanout") && !Config::applies_live("mtu"));
    }

    use super::*;

    #[test]
    fn presets_are_valid() {
        Config::demo().validate().unwrap();
        for n in [1, 5, 100, 10_000] {
            Config::lan(n).validate().unwrap();
            Config::wan(n).validate().unwrap();
        }
    }

    #[test]
    fn demo_has_the_original_numbers() {
        let demo = Config::demo();
        assert_eq!(demo.fanout, 3);
        assert_eq!(demo.probe_interval, Duration::from_secs(1));
        assert_eq!(demo.suspicion_timeout, Duration::from_secs(5));
        assert_eq!(demo.reap_after, Duration::from_secs(45));
    }

    #[test]
    fn lan_suspicion_grows_with_cluster_size() {
        assert_eq!(Config::lan(10).suspicion_timeout, Duration::from_secs(4));
        assert_eq!(Config::lan(1000).suspicion_timeout, Duration::from_secs(12));
    }

    #[test]
    fn fields_can_be_set_from_text_and_listed_back() {
        let mut config = Config::demo();
        config.set("probe_interval", "1.5s").unwrap();
        config.set("probe_timeout", "250ms").unwrap();
        config.set("suspicion_timeout", "8s").unwrap();
        let bare = config.set("probe_interval", "2").unwrap_err().to_string();
        assert!(bare.contains("2ms or 2s"), "{bare}");
        assert_eq!(
            config.probe_interval,
            Duration::from_millis(1500),
            "unchanged"
        );
        config.set("fanout", "5").unwrap();
        config.set("lifeguard", "true").unwrap();
        config.set("probe_order", "random").unwrap();
        config.set("rumor_mode", "push-pull").unwrap();
        config.set("rumor_cooling", "blind-coin").unwrap();
        config.set("rumor_accounting", "per-round").unwrap();
        config.set("anti_entropy_mode", "pull").unwrap();
        assert_eq!(config.probe_interval, Duration::from_millis(1500));
        assert_eq!(config.probe_timeout, Duration::from_millis(250));
        assert_eq!(config.suspicion_timeout, Duration::from_secs(8));
        assert_eq!(config.fanout, 5);
        assert_eq!(config.lifeguard, Lifeguard::ON);
        assert_eq!(config.probe_order, ProbeOrder::Random);
        assert_eq!(config.rumor_accounting, RumorAccounting::PerRound);
        let mut copy = Config::lan(3);
        for (field, value) in config.fields() {
            copy.set(field, &value).unwrap();
        }
        assert_eq!(copy, config, "fields() round-trips through set()");
    }

    #[test]
    fn every_described_field_reads_back_what_it_prints() {
        let mut changed = Config::wan(300);
        changed.lifeguard.nack = false;
        for field in Config::FIELDS {
            assert!(
                !field.doc.trim().is_empty(),
                "{} has a doc line",
                field.name
            );
            let text = changed.get(field.name).unwrap();
            let mut copy = Config::demo();
            copy.set(field.name, &text).unwrap();
            assert_eq!(copy.get(field.name), Some(text), "{}", field.name);
        }
        let mut copy = Config::demo();
        for (field, value) in changed.fields() {
            copy.set(field, &value).unwrap();
        }
        assert_eq!(copy, changed);
        assert_eq!(
            changed.get("lifeguard"),
            Some("local_health,dynamic_suspicion,buddy_system".into())
        );
        assert_eq!(changed.get("lifeguard.nack"), Some("false".into()));
        assert_eq!(changed.get("no_such_field"), None);
    }

    #[test]
    fn serde_round_trips_exactly_with_durations_as_text() {
        let mut config = Config::lan(1000);
        config.lifeguard.buddy_system = false;
        config.rumor_mode = GossipMode::PushPull;
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(json["probe_timeout"], "500ms");
        assert_eq!(json["suspicion_timeout"], "12s");
        assert_eq!(json["rumor_mode"], "push-pull");
        assert_eq!(json["lifeguard"]["buddy_system"], false);
        let back: Config = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, config);

        let mut typo = json.clone();
        typo["fanuot"] = 3.into();
        assert!(
            serde_json::from_value::<Config>(typo).is_err(),
            "unknown fields are refused"
        );
        for (form, expected) in [
            (serde_json::json!(false), Lifeguard::OFF),
            (serde_json::json!(true), Lifeguard::ON),
            (
                serde_json::json!("nack,buddy_system"),
                Lifeguard {
                    nack: true,
                    buddy_system: true,
                    ..Lifeguard::OFF
                },
            ),
        ] {
            let mut with = json.clone();
            with["lifeguard"] = form;
            let read: Config = serde_json::from_value(with).unwrap();
            assert_eq!(read.lifeguard, expected);
        }
        let mut bad = json.clone();
        bad["lifeguard"] = serde_json::json!("sometimes");
        assert!(serde_json::from_value::<Config>(bad).is_err());
        let mut misspelt = json.clone();
        misspelt["lifeguard"]["buddy_sytem"] = true.into();
        assert!(serde_json::from_value::<Config>(misspelt).is_err());
        let mut overflowing = config.clone();
        overflowing.max_value_len = usize::MAX;
        assert!(
            overflowing.validate().is_err(),
            "no overflow, a clear refusal"
        );
        let mut millis = json;
        millis["probe_interval"] = 1500.into();
        let read: Config = serde_json::from_value(millis).unwrap();
        assert_eq!(read.probe_interval, Duration::from_millis(1500));
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let mut config = Config::demo();
        let unknown = config.set("fanout_typo", "3").unwrap_err().to_string();
        assert!(
            unknown.contains("unknown field") && unknown.contains("fanout"),
            "{unknown}"
        );
        assert!(
            unknown.contains("lifeguard.nack"),
            "Lifeguard's parts are named as they are set: {unknown}"
        );
        assert!(
            config
                .set("fanout", "three")
                .unwrap_err()
                .to_string()
                .contains("whole number")
        );
        assert!(config.set("probe_interval", "-1s").is_err());
        assert!(config.set("lifeguard", "maybe").is_err());
        assert_eq!(config, Config::demo(), "failed sets change nothing");
    }

    #[test]
    fn validate_names_the_offending_field() {
        let mut config = Config::demo();
        config.probe_timeout = Duration::from_secs(2);
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("probe_timeout"), "{err}");

        let mut config = Config::demo();
        config.suspicion_timeout = Duration::from_millis(10);
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("suspicion_timeout")
        );

        let mut config = Config::demo();
        config.mtu = 100;
        assert!(config.validate().unwrap_err().to_string().contains("mtu"));

        let mut config = Config::demo();
        config.fanout = 0;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("fanout")
        );
    }
}
