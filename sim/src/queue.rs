//! The simulation's future events, in `(time, order of scheduling)` order.
//!
//! A timing wheel (Varghese and Lauck 1987) with one slot per millisecond of the next
//! [`HORIZON_MS`]: nearly every event (a datagram's arrival, a node's next timer) falls
//! within it, and scheduling or taking one is a few array operations, where a binary
//! heap compares its way up and down a tree at every event. Events further out wait in
//! a heap and move onto the wheel as their slot comes within the horizon.
//!
//! Events of the same millisecond come out in the order they were scheduled: a slot is
//! a FIFO list, and an event from the far heap reaches its slot before any event can be
//! scheduled into that slot directly (both happen only once the slot is within the
//! horizon, and the move happens the moment it is).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use gossip_core::Instant;

/// How far ahead the wheel reaches, in milliseconds (a power of two). Protocol periods
/// and network delays are well under it; push-pull and reaping timers go to the heap.
const HORIZON_MS: u64 = 2048;
const SLOTS: usize = HORIZON_MS as usize;
const WORDS: usize = SLOTS / 64;
/// The end of a slot's list.
const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub(super) struct EventQueue<T> {
    /// Every event on the wheel is due in `[now, now + HORIZON_MS)`; every event in
    /// `far` at or after `now + HORIZON_MS`. `now` is the time of the last event taken.
    now: u64,
    /// Per slot, the first and last entry of its list (`NONE` when empty).
    heads: Vec<u32>,
    tails: Vec<u32>,
    /// One bit per slot with events, to find the next one a word at a time.
    occupied: [u64; WORDS],
    /// The lists' entries; freed ones are chained from `free`.
    entries: Vec<Entry<T>>,
    free: u32,
    on_wheel: usize,
    far: BinaryHeap<Reverse<(u64, u64, T)>>,
    /// Orders events of the same time in `far`.
    next_seq: u64,
}

#[derive(Clone, Debug)]
struct Entry<T> {
    item: T,
    next: u32,
}

impl<T: Copy + Ord> EventQueue<T> {
    pub(super) fn new() -> Self {
        EventQueue {
            now: 0,
            heads: vec![NONE; SLOTS],
            tails: vec![NONE; SLOTS],
            occupied: [0; WORDS],
            entries: Vec::new(),
            free: NONE,
            on_wheel: 0,
            far: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.on_wheel + self.far.len()
    }

    /// Schedules `item` at `at`; a time before the last event taken counts as that
    /// event's time (the simulation never schedules into the past).
    pub(super) fn push(&mut self, at: Instant, item: T) {
        let at = at.as_millis().max(self.now);
        if at - self.now < HORIZON_MS {
            self.push_on_wheel(at, item);
        } else {
            self.far.push(Reverse((at, self.next_seq, item)));
            self.next_seq += 1;
        }
    }

    /// The time of the next event, without taking it.
    pub(crate) fn peek_time(&self) -> Option<Instant> {
        self.next_on_wheel()
            .or_else(|| self.far.peek().map(|Reverse((at, _, _))| *at))
            .map(Instant::from_millis)
    }

    /// Takes the next event.
    pub(super) fn pop(&mut self) -> Option<(Instant, T)> {
        self.pop_until(Instant::from_millis(u64::MAX))
    }

    /// Takes the next event if it is due at or before `deadline`.
    pub(super) fn pop_until(&mut self, deadline: Instant) -> Option<(Instant, T)> {
        let at = match self.next_on_wheel() {
            Some(at) => at,
            None => self.far.peek().map(|Reverse((at, _, _))| *at)?,
        };
        if at > deadline.as_millis() {
            return None;
        }
        self.advance(at);
        let slot = slot_of(at);
        let index = self.heads[slot];
        let entry = &mut self.entries[index as usize];
        let (item, next) = (entry.item, entry.next);
        entry.next = self.free;
        self.free = index;
        self.heads[slot] = next;
        if next == NONE {
            self.tails[slot] = NONE;
            self.occupied[slot / 64] &= !(1 << (slot % 64));
        }
        self.on_wheel -= 1;
        Some((Instant::from_millis(at), item))
    }

    /// Moves the wheel on to `at` (no event on it is earlier) and brings the far events
    /// now within the horizon onto it, in their order.
    fn advance(&mut self, at: u64) {
        self.now = at;
        while let Some(&Reverse((far_at, _, item))) = self.far.peek() {
            if far_at - self.now >= HORIZON_MS {
                break;
            }
            self.far.pop();
            self.push_on_wheel(far_at, item);
        }
    }

    fn push_on_wheel(&mut self, at: u64, item: T) {
        let entry = Entry { item, next: NONE };
        let index = if self.free == NONE {
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        } else {
            let index = self.free;
            self.free = self.entries[index as usize].next;
            self.entries[index as usize] = entry;
            index
        };
        let slot = slot_of(at);
        match self.tails[slot] {
            NONE => {
                self.heads[slot] = index;
                self.occupied[slot / 64] |= 1 << (slot % 64);
            }
            tail => self.entries[tail as usize].next = index,
        }
        self.tails[slot] = index;
        self.on_wheel += 1;
    }

    /// The time of the earliest event on the wheel: the first occupied slot from
    /// `now`'s, going round once.
    fn next_on_wheel(&self) -> Option<u64> {
        if self.on_wheel == 0 {
            return None;
        }
        let start = slot_of(self.now);
        // The first word is looked at twice: from `start` up, and at the end of the
        // round for the slots below `start`.
        let mut word = start / 64;
        let mut bits = self.occupied[word] & (u64::MAX << (start % 64));
        for _ in 0..=WORDS {
            if bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                let ahead = (slot + SLOTS - start) % SLOTS;
                return Some(self.now + ahead as u64);
            }
            word = (word + 1) % WORDS;
            bits = self.occupied[word];
        }
        None
    }
}

fn slot_of(at: u64) -> usize {
    (at % HORIZON_MS) as usize
}

#[cfg(test)]
fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_events_come_out_in_scheduling_order_across_the_horizon() {
        let mut queue = EventQueue::new();
        queue.push(at(5_000), 'a'); // far
        queue.push(at(10), 'x');
        queue.push(at(5_000), 'b'); // far
        assert_eq!(queue.pop(), Some((at(10), 'x')));
        queue.push(at(4_000), 'y'); // far (10 + 2048 < 4000)
        assert_eq!(queue.pop(), Some((at(4_000), 'y')));
        queue.push(at(5_000), 'c'); // on the wheel now: after a and b
        assert_eq!(queue.peek_time(), Some(at(5_000)));
        let rest: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(
            rest,
            vec![(at(5_000), 'a'), (at(5_000), 'b'), (at(5_000), 'c')]
        );
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.peek_time(), None);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    #[derive(Clone, Debug)]
    enum Op {
        /// Schedule this far ahead of the last event taken.
        Push(u64),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..3_000).prop_map(Op::Push),
            1 => (0u64..20_000).prop_map(Op::Push),
            3 => Just(Op::Pop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 500,
            rng_seed: RngSeed::Fixed(20_261_122),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// The wheel gives exactly the order of a heap of `(time, sequence)`.
        #[test]
        fn matches_a_heap_of_time_and_sequence(ops in proptest::collection::vec(op(), 1..400)) {
            let mut queue = EventQueue::new();
            let mut heap = BinaryHeap::new();
            let (mut now, mut seq) = (0u64, 0u32);
            for op in ops {
                match op {
                    Op::Push(ahead) => {
                        queue.push(at(now + ahead), seq);
                        heap.push(Reverse((now + ahead, seq)));
                        seq += 1;
                    }
                    Op::Pop => {
                        let expected = heap.pop().map(|Reverse((ms, item))| (at(ms), item));
                        prop_assert_eq!(queue.peek_time(), expected.map(|(time, _)| time));
                        if let Some((time, _)) = expected.filter(|(time, _)| time.as_millis() > 0) {
                            let before = Instant::from_millis(time.as_millis() - 1);
                            prop_assert_eq!(queue.pop_until(before), None);
                        }
                        let got = queue.pop();
                        prop_assert_eq!(got, expected);
                        if let Some((time, _)) = got {
                            now = time.as_millis();
                        }
                    }
                }
                prop_assert_eq!(queue.len(), heap.len());
            }
        }
    }
}
