use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct MessageDotProps {
    pub kind: &'static str,
    pub x: f64,
    pub y: f64,
    /// The network dropped it, or the receiver is down: drawn faded.
    pub lost: bool,
    pub label: String,
}

/// A datagram on its way.
#[function_component(MessageDot)]
pub fn message_dot(props: &MessageDotProps) -> Html {
    html! {
        <circle
            class={classes!("message", props.kind, props.lost.then_some("lost"))}
            data-kind={props.kind}
            cx={props.x.to_string()}
            cy={props.y.to_string()}
            r="6"
        >
            <title>{ props.label.clone() }</title>
        </circle>
    }
}
