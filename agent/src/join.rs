//! Joining more agents while running (`POST /api/join`, `gossip join`), as `serf join`
//! does: the agent exchanges full state with each address ([`gossip_core::Node::contact`])
//! and reports which answered. Two clusters started apart merge this way, and an agent
//! whose seeds are all gone finds its cluster again.
//!
//! UDP says nothing of a datagram lost, so an address that has not answered is asked
//! again, [`ATTEMPTS`] times in all, [`ATTEMPT_WAIT`] apart. An answer is any datagram
//! of the protocol from that address under another member's name; one sealed with a
//! key this agent does not hold, or for another cluster name, is dropped unread and
//! never counts.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, timeout_at};

use crate::agent::{AgentError, AgentHandle, Direction};
use crate::view::{JoinAnswer, JoinInfo};

/// The most addresses one join may name: each gets the agent's whole member table up
/// to [`ATTEMPTS`] times, and a join is no way to flood the network.
pub const MOST_ADDRESSES: usize = 64;

/// How many times an address that has not answered is contacted.
pub const ATTEMPTS: u32 = 3;

/// How long each attempt waits for answers: many round trips of any network a
/// cluster spans.
pub const ATTEMPT_WAIT: Duration = Duration::from_secs(1);

/// Contacts `addrs` and waits until each has answered or [`ATTEMPTS`] have gone
/// unanswered.
pub async fn join(agent: &AgentHandle, addrs: Vec<SocketAddr>) -> Result<JoinInfo, AgentError> {
    // Listening before the first datagram goes out, so that no answer comes unseen.
    let mut datagrams = agent.watch_datagrams().await?;
    let contacted = agent.contact(addrs).await?;
    let mut unanswered = contacted.clone();
    let mut answered = Vec::new();
    for attempt in 0..ATTEMPTS {
        if unanswered.is_empty() {
            break;
        }
        if attempt > 0 {
            agent.contact(unanswered.clone()).await?;
        }
        let deadline = Instant::now() + ATTEMPT_WAIT;
        while !unanswered.is_empty() {
            let (direction, datagram) = match timeout_at(deadline, datagrams.recv()).await {
                Err(_) => break,
                Ok(Ok(seen)) => seen,
                // Answers may have gone by unseen: ask again.
                Ok(Err(RecvError::Lagged(_))) => {
                    agent.contact(unanswered.clone()).await?;
                    continue;
                }
                Ok(Err(RecvError::Closed)) => return Err(AgentError::Stopped),
            };
            let Some(at) = unanswered.iter().position(|&a| a == datagram.peer) else {
                continue;
            };
            // Not this agent's own datagrams, come back to it through an address it
            // was given that is its own after all (a NAT, another interface).
            if let (Direction::Received, Some(name)) = (direction, datagram.peer_name)
                && name != *agent.name()
            {
                unanswered.remove(at);
                answered.push(JoinAnswer {
                    addr: datagram.peer,
                    name,
                });
            }
        }
    }
    Ok(JoinInfo {
        contacted,
        answered,
        unanswered,
        unresolved: Vec::new(),
    })
}
