//! An agent's protocol settings, in layers: the preset, then a TOML file, then
//! `GOSSIP_<FIELD>` environment variables, then `--set` flags. Every layer names fields
//! as [`Config::FIELDS`] does and reads values through [`Config::set`], so the file, the
//! environment and the flags take exactly what `gossip sim --set` takes.

use std::path::Path;

use gossip_core::{Config, Lifeguard};

/// Settings that cannot be taken, saying which layer and field: the person's to fix,
/// as a wrong flag is (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl From<String> for SettingsError {
    fn from(message: String) -> SettingsError {
        SettingsError(message)
    }
}

/// The settings an agent starts with, validated; the error names the layer and field.
pub fn layered(
    mut config: Config,
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    flags: &[(String, String)],
) -> Result<Config, SettingsError> {
    // Where each field set by a layer was set last, to say so if the result breaks a rule.
    let mut origins: Vec<(String, String)> = Vec::new();
    let mut note = |field: &str, origin: String| {
        origins.retain(|(f, _)| f != field);
        origins.push((field.to_owned(), origin));
    };
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for (field, value) in file_fields(&text).map_err(|e| format!("{}: {e}", path.display()))? {
            config
                .set(&field, &value)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            note(&field, path.display().to_string());
        }
    }
    for (var, value) in env {
        let Some(field) = env_field(&var) else {
            continue;
        };
        config
            .set(&field, &value)
            .map_err(|e| format!("environment variable {var}: {e}"))?;
        note(&field, format!("environment variable {var}"));
    }
    for (field, value) in flags {
        config
            .set(field, value)
            .map_err(|e| format!("--set {field}={value}: {e}"))?;
        note(field, format!("--set {field}={value}"));
    }
    config
        .validate()
        .map_err(|e| with_origins(e.to_string(), &origins))?;
    Ok(config)
}

/// `message` (a broken rule) followed by where each field it names got its value, when
/// a layer set one of them: `... (probe_interval from environment variable
/// GOSSIP_PROBE_INTERVAL; probe_timeout from the preset)`.
fn with_origins(message: String, origins: &[(String, String)]) -> String {
    let named: Vec<&str> = Config::FIELDS
        .iter()
        .map(|f| f.name)
        .filter(|name| names(&message, name))
        .collect();
    if !named
        .iter()
        .any(|name| origins.iter().any(|(field, _)| field == name))
    {
        return message;
    }
    let sources: Vec<String> = named
        .iter()
        .map(|name| {
            let origin = origins
                .iter()
                .find(|(field, _)| field == name)
                .map_or("the preset", |(_, origin)| origin.as_str());
            format!("{name} from {origin}")
        })
        .collect();
    format!("{message} ({})", sources.join("; "))
}

/// Whether `message` names the field `name` as a word of its own (not `probe_timeout`
/// inside `probe_timeout_max`).
fn names(message: &str, name: &str) -> bool {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    message.match_indices(name).any(|(at, _)| {
        let before = message[..at].chars().next_back();
        let after = message[at + name.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// This process's environment variables, for [`layered`]; one that is not Unicode names
/// no setting.
pub fn environment() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
}

/// The `GOSSIP_` variables that name no setting but nearly name one (one or two letters
/// off, as a typo is), each with the variable it nearly names. They are ignored, as any
/// variable that names no setting is, and the agent says so: a misspelt variable would
/// otherwise leave its setting as it was without a word.
pub fn misspelt_variables(
    env: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let settings: Vec<String> = Config::setting_names()
        .map(|name| format!("GOSSIP_{}", name.replace('.', "_").to_ascii_uppercase()))
        .collect();
    env.into_iter()
        .filter(|(var, _)| var.starts_with("GOSSIP_") && env_field(var).is_none())
        .filter_map(|(var, _)| {
            let (distance, meant) = settings
                .iter()
                .map(|setting| (strsim::levenshtein(&var, setting), setting))
                .min()?;
            (distance <= 2).then(|| (var, meant.clone()))
        })
        .collect()
}

/// `GOSSIP_PROBE_INTERVAL` names `probe_interval`, `GOSSIP_LIFEGUARD_NACK` names
/// `lifeguard.nack`; other variables name nothing.
fn env_field(var: &str) -> Option<String> {
    let name = var.strip_prefix("GOSSIP_")?.to_ascii_lowercase();
    if Config::FIELDS.iter().any(|f| f.name == name) {
        return Some(name);
    }
    let part = name.strip_prefix("lifeguard_")?;
    Lifeguard::PARTS
        .contains(&part)
        .then(|| format!("lifeguard.{part}"))
}

/// The `(field, value)` pairs of a TOML settings file, values as the text
/// [`Config::set`] reads; a `[lifeguard]` table sets its parts one by one.
fn file_fields(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before
                .rsplit('\n')
                .next()
                .unwrap_or_default()
                .chars()
                .count()
                + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_owned(),
    })?;
    let mut fields = Vec::new();
    for (name, value) in table {
        match value {
            toml::Value::Table(parts) if name == "lifeguard" => {
                for (part, value) in parts {
                    fields.push((format!("lifeguard.{part}"), scalar(&value)?));
                }
            }
            value => fields.push((name, scalar(&value)?)),
        }
    }
    Ok(fields)
}

fn scalar(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(text) => Ok(text.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(x) => Ok(x.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!("{other} is not a setting's value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::Duration;

    fn write(text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "gossip-settings-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn file_then_environment_then_flags() {
        let file = write(
            "probe_interval = \"2s\"\nfanout = 4\nrumor_mode = \"pull\"\n[lifeguard]\nnack = true\n",
        );
        let env = vec![
            ("GOSSIP_FANOUT".to_owned(), "5".to_owned()),
            (
                "GOSSIP_LIFEGUARD_BUDDY_SYSTEM".to_owned(),
                "true".to_owned(),
            ),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        let flags = vec![("probe_timeout".to_owned(), "700ms".to_owned())];
        let config = layered(Config::demo(), Some(&file), env, &flags).unwrap();
        assert_eq!(config.probe_interval, Duration::from_secs(2));
        assert_eq!(config.fanout, 5, "the environment goes over the file");
        assert_eq!(config.probe_timeout, Duration::from_millis(700));
        assert!(config.lifeguard.nack && config.lifeguard.buddy_system);
        assert!(!config.lifeguard.local_health);
        assert_eq!(config.rumor_mode, gossip_core::GossipMode::Pull);
        std::fs::remove_file(file).ok();
    }

    #[test]
    fn bad_settings_name_their_layer_and_field() {
        let file = write("fanuot = 3\n");
        let err = layered(Config::demo(), Some(&file), vec![], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("fanuot") && err.contains(".toml"), "{err}");
        let file = write("probe_interval = [1, 2]\n");
        assert!(layered(Config::demo(), Some(&file), vec![], &[]).is_err());
        let file = write("fanout = 3\nthis is not toml");
        let err = layered(Config::demo(), Some(&file), vec![], &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2, column 6:"),
            "where it went wrong: {err}"
        );
        let env = vec![("GOSSIP_FANOUT".to_owned(), "many".to_owned())];
        let err = layered(Config::demo(), None, env, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("GOSSIP_FANOUT") && err.contains("whole number"),
            "{err}"
        );
        let flags = vec![("probe_timeout".to_owned(), "5s".to_owned())];
        let err = layered(Config::demo(), None, vec![], &flags)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("probe_timeout"),
            "validation names the field: {err}"
        );
        // A rule broken by two layers together says where each value came from.
        let env = vec![("GOSSIP_PROBE_INTERVAL".to_owned(), "500ms".to_owned())];
        let err = layered(Config::demo(), None, env, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "(probe_interval from environment variable GOSSIP_PROBE_INTERVAL; \
                 probe_timeout from the preset)"
            ),
            "{err}"
        );
        let err = layered(Config::demo(), None, vec![], &flags)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "(probe_interval from the preset; probe_timeout from --set probe_timeout=5s)"
            ),
            "in the order the fields are listed: {err}"
        );
        let missing = std::path::Path::new("/nonexistent/gossip.toml");
        assert!(
            layered(Config::demo(), Some(missing), vec![], &[])
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }

    /// A variable one or two letters off a setting's is named with the one meant;
    /// settings, handlers' variables and unrelated ones are not.
    #[test]
    fn a_misspelt_variable_is_named_with_the_setting_it_nearly_names() {
        let env = [
            ("GOSSIP_PROBE_INTREVAL", "2s"),
            ("GOSSIP_FANOT", "4"),
            ("GOSSIP_LIFEGUARD_NAKC", "false"),
            ("GOSSIP_PROBE_INTERVAL", "2s"),
            ("GOSSIP_EVENT", "dead"),
            ("GOSSIP_SEED", "7"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(
            misspelt_variables(env),
            [
                ("GOSSIP_PROBE_INTREVAL", "GOSSIP_PROBE_INTERVAL"),
                ("GOSSIP_FANOT", "GOSSIP_FANOUT"),
                ("GOSSIP_LIFEGUARD_NAKC", "GOSSIP_LIFEGUARD_NACK"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }
}
