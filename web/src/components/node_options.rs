use std::rc::Rc;

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NodeOptionsProps {
    /// Every node's name, in the simulation's order.
    pub names: Rc<Vec<AttrValue>>,
    /// The name chosen, if any.
    #[prop_or_default]
    pub selected: Option<String>,
}

/// The options of a list of nodes, as a component of their own so that a thousand of
/// them are rebuilt only when the nodes or the choice change, not on every frame.
#[function_component(NodeOptions)]
pub fn node_options(props: &NodeOptionsProps) -> Html {
    let selected = props.selected.as_deref();
    html! {
        { for props.names.iter().map(|name| html! {
            <option key={name.as_str()} value={name.clone()} selected={selected == Some(name.as_str())}>{ name.clone() }</option>
        }) }
    }
}
