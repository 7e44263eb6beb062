//! The settings panel's logic, without Yew: a draft of every `Config` field as text,
//! starting from a preset, and what applying it gives, a configuration or each error
//! beside the field it is about.

use gossip_core::{Config, Error};

/// The presets a draft starts from.
pub const PRESETS: [&str; 3] = ["demo", "lan", "wan"];

/// A preset's configuration for a cluster of `size`.
pub fn preset(name: &str, size: usize) -> Config {
    match name {
        "lan" => Config::lan(size),
        "wan" => Config::wan(size),
        _ => Config::demo(),
    }
}

/// Every field of `config` as text, in the core's order.
pub fn draft_of(config: &Config) -> Vec<(&'static str, String)> {
    config.fields()
}

/// An error found while applying a draft: the field it is about, if one is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: Option<&'static str>,
    pub message: String,
}

/// The configuration a draft describes, or every field that does not read and, once
/// they all do, what [`Config::validate`] refuses, placed at the field it names that
/// the draft changed from `before` (a rule that ties two fields is broken by the one
/// just edited), or else at the first it names.
pub fn apply(draft: &[(&'static str, String)], before: &Config) -> Result<Config, Vec<FieldError>> {
    let mut config = Config::demo();
    let mut errors = Vec::new();
    for (field, text) in draft {
        if let Err(error) = config.set(field, text) {
            errors.push(FieldError {
                field: Some(field),
                message: plain(error),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    config.validate().map_err(|error| {
        let message = plain(error);
        let before = draft_of(before);
        let changed = |field: &str| {
            let text_in = |draft: &[(&'static str, String)]| {
                draft
                    .iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, t)| t.clone())
            };
            text_in(draft) != text_in(&before)
        };
        vec![FieldError {
            field: named_field(&message, changed),
            message,
        }]
    })?;
    Ok(config)
}

/// The message without the error type's prefix.
fn plain(error: Error) -> String {
    match error {
        Error::InvalidConfig(why) => why,
        other => other.to_string(),
    }
}

/// Of the fields a message names, in the order it names them (the longest name where
/// several start at once), the first that is `changed`, or else the first.
fn named_field(message: &str, changed: impl Fn(&str) -> bool) -> Option<&'static str> {
    let mut named: Vec<(usize, &'static str)> = Config::FIELDS
        .iter()
        .filter_map(|field| Some((message.find(field.name)?, field.name)))
        .collect();
    named.sort_by_key(|(at, name)| (*at, std::cmp::Reverse(name.len())));
    named.dedup_by_key(|(at, _)| *at);
    named
        .iter()
        .find(|(_, name)| changed(name))
        .or(named.first())
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::Duration;

    fn set(draft: &mut [(&'static str, String)], field: &str, value: &str) {
        let entry = draft.iter_mut().find(|(f, _)| *f == field).unwrap();
        entry.1 = value.to_owned();
    }

    #[test]
    fn a_draft_of_a_preset_applies_back_to_it() {
        for name in PRESETS {
            let config = preset(name, 20);
            assert_eq!(
                apply(&draft_of(&config), &config),
                Ok(config.clone()),
                "{name}"
            );
        }
    }

    #[test]
    fn a_changed_field_applies_and_bad_ones_are_named() {
        let mut draft = draft_of(&Config::demo());
        set(&mut draft, "suspicion_timeout", "30s");
        set(&mut draft, "lifeguard", "nack,buddy_system");
        let config = apply(&draft, &Config::demo()).unwrap();
        assert_eq!(config.suspicion_timeout, Duration::from_secs(30));
        assert!(config.lifeguard.nack && !config.lifeguard.local_health);

        set(&mut draft, "fanout", "many");
        set(&mut draft, "rumor_mode", "sideways");
        let errors = apply(&draft, &Config::demo()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![Some("fanout"), Some("rumor_mode")]);

        let mut draft = draft_of(&Config::demo());
        set(&mut draft, "probe_timeout", "5s");
        let errors = apply(&draft, &Config::demo()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].field,
            Some("probe_timeout"),
            "{}",
            errors[0].message
        );
        assert!(errors[0].message.contains("probe_interval"));

        // The same rule broken from its other side is said at that side.
        let mut draft = draft_of(&Config::demo());
        set(&mut draft, "probe_interval", "100ms");
        let errors = apply(&draft, &Config::demo()).unwrap_err();
        assert_eq!(
            errors[0].field,
            Some("probe_interval"),
            "{}",
            errors[0].message
        );
    }
}
