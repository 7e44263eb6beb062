//! The Experiments tab's logic, apart from its components: the studies and the
//! messages to and from the worker that runs them ([`study`], shared with the worker
//! binary), the form that reads a plan ([`form`]), the published figures drawn beside
//! ours ([`published`]) and the page's handle on the worker ([`client`]).

pub mod client;
pub mod form;
pub mod published;
pub mod study;
