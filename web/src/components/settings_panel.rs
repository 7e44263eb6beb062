use gossip_core::Config;
use gossip_core::SettingKind;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabContext;
use crate::settings::{FieldError, PRESETS, apply, draft_of, preset};
use crate::state::Action;

/// Every protocol setting, read from the core's one description of them: start from a
/// preset, change any field (its doc line beside it), and apply. Settings running nodes
/// take on ([`Config::LIVE_FIELDS`]) apply to the run as it goes; the others, marked,
/// rebuild the cluster from the same seed. What does not read or validate is said next
/// to its field.
#[function_component(SettingsPanel)]
pub fn settings_panel() -> Html {
    let lab = use_context::<LabContext>().expect("SettingsPanel sits inside the lab context");
    // The settings in force (those the cluster was built with, and any applied since).
    let in_force = lab.sim.borrow().config().clone();
    let draft = use_state(|| draft_of(&in_force));
    let errors = use_state(Vec::<FieldError>::new);
    {
        // A cluster rebuilt or changed with other settings (the Lifeguard switch, a
        // shared link, a rewind) shows them.
        let (draft, errors) = (draft.clone(), errors.clone());
        use_effect_with(in_force.clone(), move |config: &Config| {
            draft.set(draft_of(config));
            errors.set(Vec::new());
        });
    }
    let edit = |field: &'static str| {
        let draft = draft.clone();
        Callback::from(move |text: String| {
            let mut next = (*draft).clone();
            if let Some(entry) = next.iter_mut().find(|(f, _)| *f == field) {
                entry.1 = text;
            }
            draft.set(next);
        })
    };
    let choose_preset = {
        let (draft, size) = (draft.clone(), lab.size);
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            draft.set(draft_of(&preset(&select.value(), size)));
        })
    };
    let apply_draft = {
        let (lab, draft, errors) = (lab.clone(), draft.clone(), errors.clone());
        let before = in_force.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            match apply(&draft, &before) {
                Ok(config) => {
                    errors.set(Vec::new());
                    lab.dispatch(Action::SetConfig(Box::new(config)));
                }
                Err(found) => errors.set(found),
            }
        })
    };
    let error_for = |field: Option<&str>| -> Vec<String> {
        errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.clone())
            .collect()
    };
    let rows = Config::FIELDS.iter().map(|info| {
        let value = draft
            .iter()
            .find(|(f, _)| *f == info.name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let on_text = edit(info.name);
        let problems = error_for(Some(info.name));
        let invalid = (!problems.is_empty()).then_some("true");
        let described = format!("setting-{}", info.name);
        let control = match info.kind {
            SettingKind::Choice(names) => select(info.name, &value, names, on_text, invalid, &described),
            SettingKind::Switch => select(info.name, &value, &["true", "false"], on_text, invalid, &described),
            _ => {
                let oninput = Callback::from(move |event: InputEvent| {
                    on_text.emit(event.target_unchecked_into::<HtmlInputElement>().value())
                });
                html! { <input type="text" aria-label={info.name} value={value.clone()} {oninput}
                    aria-invalid={invalid} aria-describedby={described.clone()} /> }
            }
        };
        let summary = first_sentence(info.doc);
        let live = Config::applies_live(info.name);
        html! {
            <div class={classes!("setting", (!problems.is_empty()).then_some("invalid"))} data-field={info.name} data-live={live.to_string()}>
                <label title={info.doc}>
                    <code>{ info.name }</code>
                    if !live {
                        <abbr class="restarts" title="applies by rebuilding the cluster from the same seed">{ "↻" }<span class="visually-hidden">{ " (rebuilds the cluster)" }</span></abbr>
                    }
                    { control }
                </label>
                <small class="doc" id={described}>{ summary }</small>
                { for problems.iter().map(|p| html! { <small class="error">{ p }</small> }) }
            </div>
        }
    });
    let general = error_for(None);

    html! {
        <details class="panel settings">
            <summary><h2>{ "Settings" }</h2></summary>
            <form onsubmit={apply_draft} aria-label="Settings">
                if !errors.is_empty() {
                    <p class="error" role="alert">{ format!("{} setting{} to fix before applying, marked below", errors.len(), if errors.len() == 1 { "" } else { "s" }) }</p>
                }
                <div class="row">
                    <label>{ "start from " }
                        <select aria-label="Preset" onchange={choose_preset}>
                            <option value="" selected=true disabled=true>{ "a preset…" }</option>
                            { for PRESETS.iter().map(|p| html! { <option value={*p}>{ *p }</option> }) }
                        </select>
                    </label>
                    <button type="submit">{ "Apply" }</button>
                </div>
                <p class="hint">{ "Running nodes take on the unmarked settings at once, and the run goes on; a change to one marked ↻ rebuilds the cluster from the same seed. Durations read as 500ms, 1.5s or 2m." }</p>
                { for general.iter().map(|p| html! { <p class="error" role="alert">{ p }</p> }) }
                { for rows }
            </form>
        </details>
    }
}

fn select(
    field: &'static str,
    value: &str,
    names: &[&'static str],
    on_text: Callback<String>,
    invalid: Option<&'static str>,
    described: &str,
) -> Html {
    let onchange = Callback::from(move |event: Event| {
        on_text.emit(event.target_unchecked_into::<HtmlSelectElement>().value())
    });
    html! {
        <select aria-label={field} {onchange} aria-invalid={invalid} aria-describedby={described.to_owned()}>
            { for names.iter().map(|n| html! { <option value={*n} selected={*n == value}>{ *n }</option> }) }
        </select>
    }
}

/// A field's doc up to the end of its first sentence: a full stop and a space, except
/// after an abbreviation ("Demers et al. 1987"); without the Markdown code marks. The
/// doc comes as its comment's lines (each with its leading space, each ended by a line
/// break), read as one run of words.
fn first_sentence(doc: &str) -> String {
    const ABBREVIATIONS: [&str; 3] = ["et al", "e.g", "i.e"];
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let doc = doc.as_str();
    let mut end = doc.len();
    let mut from = 0;
    while let Some(at) = doc[from..].find(". ") {
        let stop = from + at;
        if !ABBREVIATIONS.iter().any(|a| doc[..stop].ends_with(a)) {
            end = stop;
            break;
        }
        from = stop + 2;
    }
    doc[..end].trim_end_matches('.').replace('`', "")
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    #[test]
    fn a_doc_line_is_its_first_sentence_without_code_marks() {
        assert_eq!(
            first_sentence("Rumor mongering (Demers et al. 1987) on. More here."),
            "Rumor mongering (Demers et al. 1987) on"
        );
        assert_eq!(
            first_sentence("Uses `fanout` members. Then."),
            "Uses fanout members"
        );
        assert_eq!(first_sentence("One sentence."), "One sentence");
        assert_eq!(first_sentence("No stop"), "No stop");
        // As the configuration's table gives them: a line each, a line break after.
        assert_eq!(first_sentence(" One sentence.\n"), "One sentence");
        assert_eq!(
            first_sentence(" Ends at a line's end.\n Then more.\n"),
            "Ends at a line's end"
        );
    }
}
