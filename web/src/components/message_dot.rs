use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MessageDotProps {
    pub id: u64,
    pub kind: &'static str,
    pub x: f64,
    pub y: f64,
    /// The network dropped it, or the receiver is down: drawn faded.
    pub lost: bool,
    /// Its hover text.
    pub label: Option<AttrValue>,
    /// Called with its id when the dot is clicked, to pin it.
    #[prop_or_default]
    pub on_pin: Callback<u64>,
}

/// A datagram on its way.
#[function_component(MessageDot)]
pub fn message_dot(props: &MessageDotProps) -> Html {
    let onclick = {
        let (on_pin, id) = (props.on_pin.clone(), props.id);
        Callback::from(move |_: MouseEvent| on_pin.emit(id))
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
            if let Some(label) = &props.label {
                <title>{ label.clone() }</title>
            }
        </circle>
    }
}
