//! The one description of the settings. [`settings!`] declares a settings struct once,
//! with its doc comments; from that single list come the struct itself, the table of
//! fields with their docs ([`Config::FIELDS`](crate::Config::FIELDS), which the lab's
//! settings panel and the agent's `--set` read), setting a field from text and reading
//! it back as text. Each field's type says how it reads and prints through [`Setting`].

use crate::Duration;

/// What kind of value a setting takes, so that a form can offer the right control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// A span of time with its unit: `500ms`, `1.5s`, `2m` (a bare number only as 0).
    Duration,
    /// A whole number.
    Count,
    /// `true` or `false`.
    Switch,
    /// One of the listed names.
    Choice(&'static [&'static str]),
    /// Any of the listed parts, each on or off: `true` (all), `false` (none) or a
    /// comma-separated list of the parts that are on.
    Parts(&'static [&'static str]),
}

/// One field of a settings struct, as the `settings!` declaration describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// The field's name, as `--set NAME=VALUE`, config files and JSON use it.
    pub name: &'static str,
    /// The field's doc comment.
    pub doc: &'static str,
    /// What values it takes.
    pub kind: SettingKind,
}

/// A value that a setting holds: it reads from text and prints back to text that reads
/// to the same value.
pub trait Setting: Sized {
    /// How a form should offer it.
    const KIND: SettingKind;

    /// Reads the value; the error says what was expected (`a whole number`, ...).
    fn from_text(text: &str) -> Result<Self, String>;

    /// The value as text that [`Setting::from_text`] reads back.
    fn to_text(&self) -> String;
}

impl Setting for Duration {
    const KIND: SettingKind = SettingKind::Duration;

    fn from_text(text: &str) -> Result<Self, String> {
        text.parse()
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

impl Setting for bool {
    const KIND: SettingKind = SettingKind::Switch;

    fn from_text(text: &str) -> Result<Self, String> {
        match text {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" => Ok(false),
            _ => Err("true or false".into()),
        }
    }

    fn to_text(&self) -> String {
        self.to_string()
    }
}

macro_rules! count_setting {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            const KIND: SettingKind = SettingKind::Count;

            fn from_text(text: &str) -> Result<Self, String> {
                text.parse().map_err(|_| "a whole number".to_owned())
            }

            fn to_text(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

count_setting!(u32, usize);

/// Declares a settings struct from one list of documented fields: the struct, its
/// `FIELDS` table, `set_field` and `get_field`. Every field's type implements
/// [`Setting`]. Adding a field means adding it here (and to the presets, where a
/// preset should differ from the others).
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                pub $field:ident: $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $ty,
            )*
        }

        impl $name {
            /// Every field, in declaration order, with its doc comment and kind.
            pub const FIELDS: &'static [$crate::config::FieldInfo] = &[
                $(
                    $crate::config::FieldInfo {
                        name: stringify!($field),
                        doc: concat!($($doc, "\n"),*),
                        kind: <$ty as $crate::config::Setting>::KIND,
                    },
                )*
            ];

            /// Sets `field` from text; `None` if there is no such field.
            fn set_field(&mut self, field: &str, text: &str) -> Option<Result<(), String>> {
                match field {
                    $(
                        stringify!($field) => Some(
                            <$ty as $crate::config::Setting>::from_text(text)
                                .map(|value| self.$field = value),
                        ),
                    )*
                    _ => None,
                }
            }

            /// `field` as text; `None` if there is no such field.
            fn get_field(&self, field: &str) -> Option<String> {
                match field {
                    $(
                        stringify!($field) => {
                            Some($crate::config::Setting::to_text(&self.$field))
                        }
                    )*
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use settings;
