//! Any datagram into a running node: decoding and handling must never panic, and a
//! datagram that does not decode must only be counted.
#![no_main]

use gossip_core::{Config, Instant, Node, NodeId, wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|datagram: &[u8]| {
    let addr = "10.0.0.9:7946".parse().expect("a valid address");
    let Ok(id) = NodeId::new("me") else { return };
    let Ok(mut node) = Node::new(id, addr, Config::lan(10), 1) else { return };
    node.join(Instant::ZERO, &[]);
    let decodes = wire::decode(datagram).is_ok();
    let from = "10.0.0.1:7946".parse().expect("a valid address");
    let handled = node.handle_packet(Instant::from_millis(5), from, datagram).is_ok();
    assert_eq!(decodes, handled);
    assert_eq!(node.stats().decode_errors, u64::from(!decodes));
    while node.poll_transmit().is_some() {}
    while node.poll_event().is_some() {}
    node.handle_timeout(Instant::from_millis(10_000));
});
