use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MessageDotProps {
    pub kind: &'static str,
    pub x: f64,
    pub y: f64,
    /// The network dropped it, or the receiver is down: drawn faded.
    pub lost: bool,
    pub label: String,
    /// Called with the label when the dot is clicked, to pin it.
    #[prop_or_default]
    pub on_pin: Callback<String>,
}

/// A datagram on its way.
#[function_component(MessageDot)]
pub fn message_dot(props: &MessageDotProps) -> Html {
    let onclick = {
        let (on_pin, label) = (props.on_pin.clone(), props.label.clone());
        Callback::from(move |_: MouseEvent| on_pin.emit(label.clone()))
    };
    html! {
        <circle
            class={classes!("message", props.kind, props.lost.then_some("lost"))}
            data-kind={props.kind}
            {onclick}
            cx={props.x.to_string()}
            cy={props.y.to_string()}
            r="6"
        >
            <title>{ props.label.clone() }</title>
        </circle>
    }
}
