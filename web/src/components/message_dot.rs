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
}

/// A datagram on its way. A click on it is handled by the graph, which pins the
/// datagram nearest the pointer (so a moving dot is easy to catch).
#[function_component(MessageDot)]
pub fn message_dot(props: &MessageDotProps) -> Html {
    html! {
        <circle
            class={classes!("message", props.kind, props.lost.then_some("lost"))}
            data-kind={props.kind}
            data-id={props.id.to_string()}
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
