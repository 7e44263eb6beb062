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
        let range = (props.min.parse().ok(), props.max.parse().ok());
        let label = props.label.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            match out_of_range(&input.value(), range) {
                // Said beside the field, and nothing changes until it is mended.
                Some(problem) => {
                    input.set_custom_validity(&format!("{label}: {problem}"));
                    input.report_validity();
                }
                None => on_commit.emit(input.value()),
            }
        })
    };
    html! {
        <input type="number" aria-label={props.label.clone()} value={(*text).clone()}
            min={props.min.clone()} max={props.max.clone()} step={props.step.clone()}
            {oninput} {onchange} />
    }
}

/// What is wrong with `text` as a number between `min` and `max` (either may be open),
/// if anything.
fn out_of_range(text: &str, (min, max): (Option<f64>, Option<f64>)) -> Option<String> {
    let bounds = match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "a number".to_owned(),
    };
    match text.trim().parse::<f64>() {
        Ok(value)
            if value.is_finite()
                && min.is_none_or(|min| value >= min)
                && max.is_none_or(|max| value <= max) =>
        {
            None
        }
        Ok(_) => Some(format!("choose {bounds}")),
        // An empty field: what a number input holds when its text is no number.
        Err(_) => Some(format!("a number, {bounds}")),
    }
}

#[cfg(test)]
mod tests {
    use super::out_of_range;

    #[test]
    fn a_number_outside_its_range_or_no_number_is_refused_with_the_range() {
        let range = (Some(1.0), Some(10_000.0));
        assert_eq!(out_of_range("50", range), None);
        assert_eq!(out_of_range(" 1 ", range), None);
        assert_eq!(out_of_range("10000", range), None);
        assert_eq!(
            out_of_range("0", range).as_deref(),
            Some("choose 1 to 10000")
        );
        assert_eq!(
            out_of_range("20000", range).as_deref(),
            Some("choose 1 to 10000")
        );
        assert_eq!(
            out_of_range("", range).as_deref(),
            Some("a number, 1 to 10000")
        );
        assert_eq!(
            out_of_range("-3", (Some(0.0), None)).as_deref(),
            Some("choose at least 0")
        );
    }
}
