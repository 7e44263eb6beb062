//! The settings that are one of a few named choices, and Lifeguard's switchable parts.
//! Each reads and prints by the names users type (`--set rumor_mode=push-pull`,
//! `rumor_mode = "push-pull"` in a file), through `FromStr` and `Display`, which the
//! command line, config files, JSON output and the lab all use.

use core::fmt;
use core::str::FromStr;

use super::{Setting, SettingKind};

/// Declares an enum of named choices with `NAMES`, `as_str`, `FromStr`, `Display`,
/// serde as its name, and [`Setting`].
macro_rules! choices {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident = $text:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl $name {
            /// Every choice's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),*];

            /// The name users type.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)*
                    _ => Err(one_of($name::NAMES)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Setting for $name {
            const KIND: SettingKind = SettingKind::Choice($name::NAMES);

            fn from_text(text: &str) -> Result<Self, String> {
                text.parse()
            }

            fn to_text(&self) -> String {
                self.as_str().to_owned()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// `a, b or c`.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

choices! {
    /// How a member picks whom to probe each protocol period.
    pub enum ProbeOrder {
        /// SWIM section 4.3: a shuffled pass over all members, reshuffled after each
        /// pass; every member is probed within `2n - 1` periods.
        RoundRobin = "round-robin",
        /// A uniformly random member each period (SWIM's basic protocol, section 3):
        /// the same expected detection time, but no worst-case bound.
        Random = "random",
    }
}

choices! {
    /// Who starts an exchange's transfer: Demers et al.'s push, pull and push-pull.
    pub enum GossipMode {
        /// The node with news sends it.
        Push = "push",
        /// Every node asks a random other for news.
        Pull = "pull",
        /// Both at once.
        PushPull = "push-pull",
    }
}

impl GossipMode {
    pub fn pushes(self) -> bool {
        matches!(self, GossipMode::Push | GossipMode::PushPull)
    }

    pub fn pulls(self) -> bool {
        matches!(self, GossipMode::Pull | GossipMode::PushPull)
    }
}

choices! {
    /// How a hot rumor cools down (Demers et al. 1987, section 1.4): when it loses
    /// excitement (feedback: only when the recipient already knew it; blind: on every
    /// send) and how it stops (counter: after `max_excitement` losses; coin: with
    /// probability 1/`max_excitement` at each loss).
    pub enum Cooling {
        FeedbackCounter = "feedback-counter",
        FeedbackCoin = "feedback-coin",
        BlindCounter = "blind-counter",
        BlindCoin = "blind-coin",
    }
}

impl Cooling {
    /// Losses happen only on "I already had it" feedback.
    pub fn uses_feedback(self) -> bool {
        matches!(self, Cooling::FeedbackCounter | Cooling::FeedbackCoin)
    }

    /// Each loss stops the rumor with probability 1/k, rather than counting down.
    pub fn uses_coin(self) -> bool {
        matches!(self, Cooling::FeedbackCoin | Cooling::BlindCoin)
    }
}

choices! {
    /// When a hot rumor's excitement is reckoned (Demers et al. 1987, section 1.4). Both
    /// read "lose interest only after k unnecessary contacts"; they differ in what an
    /// unnecessary contact is and in what the counter counts.
    pub enum RumorAccounting {
        /// Message by message, as an asynchronous network gives it: the recipient says
        /// whether it held the rumor when the message arrived, and every "already had
        /// it" (blind: every send) costs one excitement for good, so the counter counts
        /// useless messages over the rumor's life. The default.
        PerMessage = "per-message",
        /// Round by round, as in Demers' synchronous model (the one behind the paper's
        /// Tables 1-3; all nodes' rounds must fire together for the two to coincide).
        /// A contact is unnecessary only if the recipient held the rumor at the start
        /// of its current round: several pushes that reach a fresh node in one round
        /// are all necessary, and a rumor learned during a round is not passed on
        /// (pushed, or sent to a puller) before the next one. At the end of each round
        /// a rumor is reckoned once: if any of its contacts in that round was necessary
        /// it gets its full excitement back; if all were unnecessary it loses one
        /// (counter) or stops at a 1-in-k coin flip (coin). The counter thus counts
        /// consecutive useless rounds, as in the paper's bound on counter traffic
        /// (every unnecessary message comes within k cycles of a necessary one or of
        /// the sender's learning the update). Blind cooling loses once per round in
        /// which the rumor was sent. The gossip timer then ticks every
        /// `gossip_interval` even with nothing to send, so a node's rounds keep one
        /// phase.
        PerRound = "per-round",
    }
}

/// The Lifeguard refinements (Dadgar, Phillips and Currey, 2018), each switchable so the
/// lab can show what it buys. As a setting it reads `true` (every part), `false` (none)
/// or the parts that are on, comma-separated (`local_health,nack`); a single part is
/// also set on its own as `lifeguard.nack=false`.
///
/// In a config file or JSON it is a table of the four switches, or one switch for all
/// (`lifeguard = false`), or the text form (`lifeguard = "nack,buddy_system"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, try_from = "LifeguardForm")]
pub struct Lifeguard {
    /// Local Health Multiplier (section 4.1): a member that misses acks and nacks, or
    /// hears itself suspected, suspects that *it* is the slow one and stretches its probe
    /// interval and timeout by `1 + score`, up to `max_local_health`.
    pub local_health: bool,
    /// Nacks (section 4.1): a witness of a ping-req that gets no ack from the target says
    /// so; a prober that does not even hear the nacks blames itself.
    pub nack: bool,
    /// Local Health Aware Suspicion (section 4.2): a suspicion starts at
    /// `suspicion_timeout * suspicion_max_timeout_mult` and shrinks towards
    /// `suspicion_timeout` as independent members confirm it.
    pub dynamic_suspicion: bool,
    /// Buddy system (section 4.3): a member probing a suspect tells it so in the ping,
    /// so it can refute at once.
    pub buddy_system: bool,
}

impl Lifeguard {
    /// Every part on.
    pub const ON: Lifeguard = Lifeguard {
        local_health: true,
        nack: true,
        dynamic_suspicion: true,
        buddy_system: true,
    };

    /// Every part off: plain SWIM.
    pub const OFF: Lifeguard = Lifeguard {
        local_health: false,
        nack: false,
        dynamic_suspicion: false,
        buddy_system: false,
    };

    /// The parts' names, as settings and the lab use them.
    pub const PARTS: &'static [&'static str] =
        &["local_health", "nack", "dynamic_suspicion", "buddy_system"];

    /// The switch of the part called `name`.
    pub fn part_mut(&mut self, name: &str) -> Option<&mut bool> {
        match name {
            "local_health" => Some(&mut self.local_health),
            "nack" => Some(&mut self.nack),
            "dynamic_suspicion" => Some(&mut self.dynamic_suspicion),
            "buddy_system" => Some(&mut self.buddy_system),
            _ => None,
        }
    }

    fn parts(self) -> [bool; 4] {
        [
            self.local_health,
            self.nack,
            self.dynamic_suspicion,
            self.buddy_system,
        ]
    }
}

impl Setting for Lifeguard {
    const KIND: SettingKind = SettingKind::Parts(Lifeguard::PARTS);

    fn from_text(text: &str) -> Result<Self, String> {
        if let Ok(all) = bool::from_text(text) {
            return Ok(if all { Lifeguard::ON } else { Lifeguard::OFF });
        }
        let mut lifeguard = Lifeguard::OFF;
        for part in text.split(',').map(str::trim) {
            let switch = lifeguard.part_mut(part).ok_or_else(|| {
                format!(
                    "true, false or a comma-separated list of {}",
                    one_of(Lifeguard::PARTS)
                )
            })?;
            *switch = true;
        }
        Ok(lifeguard)
    }

    fn to_text(&self) -> String {
        match self.parts() {
            [true, true, true, true] => "true".into(),
            [false, false, false, false] => "false".into(),
            parts => Lifeguard::PARTS
                .iter()
                .zip(parts)
                .filter(|(_, on)| *on)
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// The forms a [`Lifeguard`] takes in a file.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum LifeguardForm {
    All(bool),
    Text(String),
    Parts(LifeguardParts),
}

/// Lifeguard's parts as a table: all four, and no others (a misspelt part is an error,
/// not a part left off).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LifeguardParts {
    local_health: bool,
    nack: bool,
    dynamic_suspicion: bool,
    buddy_system: bool,
}

impl TryFrom<LifeguardForm> for Lifeguard {
    type Error = String;

    fn try_from(form: LifeguardForm) -> Result<Lifeguard, String> {
        match form {
            LifeguardForm::All(true) => Ok(Lifeguard::ON),
            LifeguardForm::All(false) => Ok(Lifeguard::OFF),
            LifeguardForm::Text(text) => Lifeguard::from_text(&text),
            LifeguardForm::Parts(LifeguardParts {
                local_health,
                nack,
                dynamic_suspicion,
                buddy_system,
            }) => Ok(Lifeguard {
                local_health,
                nack,
                dynamic_suspicion,
                buddy_system,
            }),
        }
    }
}
