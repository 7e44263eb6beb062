use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::node_options::NodeOptions;

/// One key as the store panel shows it, from a simulation or from a live agent.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    pub key: String,
    /// The value reads return; `None` when deleted.
    pub value: Option<String>,
    /// Every concurrent version (siblings), the one reads return first: its value,
    /// writer and vector clock, as text.
    pub versions: Vec<String>,
    /// How many nodes hold the newest versions, of how many running, when known, with
    /// what a hover over it says.
    pub spread: Option<(usize, usize, String)>,
}

/// A write asked for from the panel.
#[derive(Clone, Debug, PartialEq)]
pub struct PutRequest {
    /// The node to write on, when the panel offers a choice.
    pub node: Option<String>,
    pub key: String,
    pub value: String,
}

#[derive(Properties, PartialEq)]
pub struct KeyPanelProps {
    pub rows: Vec<KeyRow>,
    /// Nodes a write can go to; with none, writes go to the one node the page is of.
    #[prop_or_default]
    pub writers: Rc<Vec<AttrValue>>,
    pub on_put: Callback<PutRequest>,
    /// Called with (chosen node, key).
    pub on_delete: Callback<(Option<String>, String)>,
    /// What to say while there are no keys.
    pub empty_hint: AttrValue,
    /// Called with a key when a person picks it (to see who holds it), if the page
    /// can show that.
    #[prop_or_default]
    pub on_pick: Option<Callback<String>>,
    /// The key picked now.
    #[prop_or_default]
    pub picked: Option<String>,
    /// Only shows the keys, with no way to write (a recording's store).
    #[prop_or_default]
    pub read_only: bool,
    /// Why the last write or delete was refused, said under the form.
    #[prop_or_default]
    pub error: Option<AttrValue>,
}

/// The key/value store: write a key, see each key's value, its siblings with their
/// vector clocks, and (in the lab) how far it has spread. The lab and the live agent
/// page both use this panel.
#[function_component(KeyPanel)]
pub fn key_panel(props: &KeyPanelProps) -> Html {
    let (node_ref, key_ref, value_ref) = (use_node_ref(), use_node_ref(), use_node_ref());
    let chosen_node = {
        let node_ref = node_ref.clone();
        move || {
            node_ref
                .cast::<HtmlSelectElement>()
                .map(|select| select.value())
        }
    };
    let onsubmit = {
        let on_put = props.on_put.clone();
        let (key_ref, value_ref) = (key_ref.clone(), value_ref.clone());
        let chosen_node = chosen_node.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (Some(key), Some(value)) = (
                key_ref.cast::<HtmlInputElement>(),
                value_ref.cast::<HtmlInputElement>(),
            ) else {
                return;
            };
            if key.value().is_empty() {
                return;
            }
            // The fields keep what was typed: a refused write can be corrected, and a
            // key written again with a new value need not be typed again.
            on_put.emit(PutRequest {
                node: chosen_node(),
                key: key.value(),
                value: value.value(),
            });
        })
    };
    let delete = {
        let on_delete = props.on_delete.clone();
        Callback::from(move |key: String| on_delete.emit((chosen_node(), key)))
    };
    let with_spread = props.rows.iter().any(|r| r.spread.is_some());
    let filter = use_state(String::new);
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |event: InputEvent| {
            filter.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let (shown, hidden) = shown_rows(&props.rows, &filter, SHOWN_AT_ONCE);

    html! {
        <section class="panel kv" aria-label="Key/value store">
            <h2>{ "Key/value store" }</h2>
            if !props.read_only {
                <form class="kv-form" {onsubmit}>
                    if !props.writers.is_empty() {
                        <label>{ "on " }
                            <select ref={node_ref} aria-label="Node to write on">
                                <NodeOptions names={props.writers.clone()} />
                            </select>
                        </label>
                    }
                    <input ref={key_ref} type="text" placeholder="key" aria-label="Key" required=true />
                    <input ref={value_ref} type="text" placeholder="value" aria-label="Value" />
                    <button type="submit">{ "Put" }</button>
                </form>
                if let Some(error) = &props.error {
                    <p class="error" role="alert">{ error.clone() }</p>
                }
            }
            if props.rows.len() > SHOWN_AT_ONCE {
                <input class="key-filter" type="search" placeholder={format!("filter {} keys", props.rows.len())}
                    aria-label="Filter keys" value={(*filter).clone()} oninput={on_filter} />
            }
            if props.rows.is_empty() {
                <p class="hint">{ props.empty_hint.clone() }</p>
            } else {
                <table class="keys">
                    <thead><tr>
                        <th>{ "key" }</th><th>{ "value" }</th>
                        if with_spread { <th>{ "on" }</th> }
                        <th></th>
                    </tr></thead>
                    <tbody>
                        { for shown.iter().map(|row| key_row(row, with_spread, (!props.read_only).then_some(&delete), props.on_pick.as_ref(), props.picked.as_deref() == Some(row.key.as_str()))) }
                    </tbody>
                </table>
                if hidden > 0 {
                    <p class="hint" role="status">{ format!("{hidden} more: filter to find them") }</p>
                }
            }
        </section>
    }
}

/// How many keys the panel lists at once: beyond it, a filter finds the rest (an agent
/// may hold thousands, and the page would grow too long to reach what is below).
const SHOWN_AT_ONCE: usize = 30;

/// The rows whose key holds `filter` (any case), the first `limit` of them, and how
/// many more matched.
fn shown_rows<'a>(rows: &'a [KeyRow], filter: &str, limit: usize) -> (Vec<&'a KeyRow>, usize) {
    let filter = filter.trim().to_lowercase();
    let matching: Vec<&KeyRow> = rows
        .iter()
        .filter(|row| filter.is_empty() || row.key.to_lowercase().contains(&filter))
        .collect();
    let hidden = matching.len().saturating_sub(limit);
    (matching.into_iter().take(limit).collect(), hidden)
}

fn key_row(
    row: &KeyRow,
    with_spread: bool,
    delete: Option<&Callback<String>>,
    on_pick: Option<&Callback<String>>,
    picked: bool,
) -> Html {
    let complete = row
        .spread
        .as_ref()
        .is_some_and(|(holders, running, _)| holders == running);
    let siblings = row.versions.len();
    html! {
        <tr data-key={row.key.clone()} data-versions={siblings.to_string()} class={classes!(complete.then_some("complete"), picked.then_some("picked"))}>
            <td>
                if let Some(on_pick) = on_pick {
                    <button type="button" class="link" aria-pressed={picked.to_string()} aria-label={format!("Show who holds {}", row.key)}
                        onclick={ let (on_pick, key) = (on_pick.clone(), row.key.clone()); Callback::from(move |_: MouseEvent| on_pick.emit(key.clone())) }>
                        { printable(&row.key) }
                    </button>
                } else {
                    { printable(&row.key) }
                }
            </td>
            <td title={row.versions.join("\n")}>
                <span class="value">{ row.value.as_deref().map_or("(deleted)".into(), printable) }</span>
                if siblings > 1 {
                    <span class="conflict" title="concurrent writes: every node shows the same winner">{ format!(" +{} conflicting", siblings - 1) }</span>
                }
                <ul class="versions" aria-label={format!("Versions of {}", row.key)}>
                    { for row.versions.iter().map(|v| html! { <li>{ v }</li> }) }
                </ul>
            </td>
            if with_spread {
                <td title={row.spread.as_ref().map(|(_, _, title)| title.clone())}>
                    { row.spread.as_ref().map(|(holders, running, _)| format!("{holders}/{running}")).unwrap_or_default() }
                </td>
            }
            <td>
                if let (Some(delete), true) = (delete, row.value.is_some()) {
                    <button type="button" class="small" aria-label={format!("Delete {} on the chosen node", row.key)}
                        onclick={ let (delete, key) = (delete.clone(), row.key.clone()); Callback::from(move |_: MouseEvent| delete.emit(key.clone())) }>
                        { "delete" }
                    </button>
                }
            </td>
        </tr>
    }
}

/// `text` with each control character written as its escape (`\u{1}`, `\n`), as the
/// CLI shows keys, and so is each invisible one (zero-width, or turning the text's
/// direction): two keys that differ only there must not look alike, and a newline
/// must not break a row.
fn printable(text: &str) -> String {
    let invisible = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}');
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else if invisible(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// A version as one line: its value (or that it deletes), its writer and its vector
/// clock.
pub fn describe_version(
    value: Option<&str>,
    writer: &str,
    clock: impl IntoIterator<Item = (impl std::fmt::Display, u64)>,
) -> String {
    let clock: Vec<String> = clock.into_iter().map(|(w, n)| format!("{w}:{n}")).collect();
    let what = match value {
        Some(value) => format!("{value:?}"),
        None => "deleted".to_owned(),
    };
    format!("{what} by {writer} {{{}}}", clock.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_show_as_their_escapes() {
        assert_eq!(printable("ctl\u{1}"), "ctl\\u{1}");
        assert_eq!(printable("ctl\u{1}\n"), "ctl\\u{1}\\n");
        assert_eq!(printable("a\u{200B}b\u{202E}"), "a\\u{200b}b\\u{202e}");
        assert_eq!(printable("ünï \"q\" \\ ok"), "ünï \"q\" \\ ok");
    }

    fn row(key: &str) -> KeyRow {
        KeyRow {
            key: key.to_owned(),
            value: Some("v".to_owned()),
            versions: Vec::new(),
            spread: None,
        }
    }

    #[test]
    fn many_keys_show_a_page_at_a_time_and_a_filter_finds_the_rest() {
        let rows: Vec<KeyRow> = (0..100).map(|i| row(&format!("key-{i:03}"))).collect();
        let (shown, hidden) = shown_rows(&rows, "", 30);
        assert_eq!((shown.len(), hidden), (30, 70));
        assert_eq!(shown[0].key, "key-000");
        let (shown, hidden) = shown_rows(&rows, " KEY-09", 30);
        let keys: Vec<&str> = shown.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "key-090", "key-091", "key-092", "key-093", "key-094", "key-095", "key-096",
                "key-097", "key-098", "key-099"
            ]
        );
        assert_eq!(hidden, 0);
        assert_eq!(shown_rows(&rows, "nothing", 30).0.len(), 0);
    }
}
