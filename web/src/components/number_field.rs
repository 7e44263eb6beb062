use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    /// The accessible name.
    pub label: AttrValue,
    /// The value it starts from.
    pub value: AttrValue,
    pub min: AttrValue,
    pub max: AttrValue,
    #[prop_or(AttrValue::Static("1"))]
    pub step: AttrValue,
    /// Called with the text when a person commits it (Enter, or leaving the field).
    pub on_commit: Callback<String>,
}

/// A number a person types, kept as typed while the page redraws every frame, and
/// handed on only when committed. Give it `key={value}` so that a value changed
/// elsewhere (a rewind, a rebuild) shows.
#[function_component(NumberField)]
pub fn number_field(props: &NumberFieldProps) -> Html {
    let text = use_state(|| props.value.to_string());
    let oninput = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            input.set_custom_validity("");
            text.set(input.value());
        })
    };
    let onchange = {
        let on_commit = props.on_commit.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            on_commit.emit(input.value());
        })
    };
    html! {
        <input type="number" aria-label={props.label.clone()} value={(*text).clone()}
            min={props.min.clone()} max={props.max.clone()} step={props.step.clone()}
            {oninput} {onchange} />
    }
}
