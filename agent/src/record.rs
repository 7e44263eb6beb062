//! `gossip cluster --record FILE`: every agent's event stream, merged into one file of
//! JSON lines as the events arrive ([`crate::view::recording`]). One thread per agent
//! follows its stream (first taking its member table, the state the events start
//! from); one thread writes, so lines never interleave, and stamps each line with
//! the time it is written, so times never go backwards.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::client::{member_list, open_events, read_events};
use crate::view::recording::{FORMAT, Recorded, RecordedNode, RecordingHeader};

/// How long a follower keeps trying to reach an agent that has not answered yet.
const CONNECT_FOR: Duration = Duration::from_secs(10);

/// How often a follower whose agent stopped looks for it again (started again by hand).
const LOOK_AGAIN_EVERY: Duration = Duration::from_millis(250);

/// How long the end of a recording waits for the streams to end with their agents.
const FINISH_WITHIN: Duration = Duration::from_secs(5);

/// A recording in progress.
#[derive(Debug)]
pub struct Recorder {
    stop: Arc<AtomicBool>,
    followers: Vec<JoinHandle<()>>,
    /// `None` tells the writer the recording is over, whatever followers are left.
    lines: mpsc::Sender<Option<Recorded>>,
    writer: JoinHandle<std::io::Result<u64>>,
}

impl Recorder {
    /// Creates `path` (replacing a file there), writes the header, and starts following
    /// every agent in `nodes` (name, HTTP address).
    pub fn start(
        path: &Path,
        nodes: &[(String, SocketAddr, SocketAddr)],
        preset: &str,
    ) -> Result<Recorder, String> {
        let file = File::create_new(path)
            .map_err(|e| format!("cannot write the recording {}: {e}", path.display()))?;
        let started = Instant::now();
        let header = RecordingHeader {
            recording: FORMAT,
            started_unix_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            nodes: nodes
                .iter()
                .map(|(name, udp, http)| RecordedNode {
                    name: name.clone(),
                    udp: udp.to_string(),
                    http: http.to_string(),
                })
                .collect(),
            preset: preset.to_owned(),
        };
        let (lines, received) = mpsc::channel::<Option<Recorded>>();
        let writer = std::thread::spawn(move || write_lines(file, &header, started, received));
        let stop = Arc::new(AtomicBool::new(false));
        let followers = nodes
            .iter()
            .map(|(name, _, http)| {
                let (name, http, lines, stop) = (name.clone(), *http, lines.clone(), stop.clone());
                std::thread::spawn(move || follow(&name, http, &lines, &stop))
            })
            .collect();
        Ok(Recorder {
            stop,
            followers,
            lines,
            writer,
        })
    }

    /// Ends the recording once the agents have stopped (their streams end with them,
    /// within [`FINISH_WITHIN`]; a stream still open then is cut off); answers how many
    /// lines were recorded after the header.
    pub fn finish(self) -> std::io::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + FINISH_WITHIN;
        while Instant::now() < deadline && !self.followers.iter().all(JoinHandle::is_finished) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.lines.send(None);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the recording's writer failed")))
    }
}

fn write_lines(
    file: File,
    header: &RecordingHeader,
    started: Instant,
    lines: mpsc::Receiver<Option<Recorded>>,
) -> std::io::Result<u64> {
    let mut out = BufWriter::new(file);
    serde_json::to_writer(&mut out, header)?;
    out.write_all(b"\n")?;
    out.flush()?;
    let mut written = 0;
    for mut line in lines.iter().map_while(|line| line) {
        let now = started.elapsed().as_millis() as u64;
        match &mut line {
            Recorded::Event { at_ms, .. }
            | Recorded::Members { at_ms, .. }
            | Recorded::Gap { at_ms, .. } => *at_ms = now,
        }
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        // A recording cut short (the launcher killed) still holds what came before.
        out.flush()?;
        written += 1;
    }
    Ok(written)
}

/// Follows one agent: subscribed to its events first, then its member table (so no
/// event falls between the two), then each event as it comes; when its stream ends
/// (the agent stopped, or was killed), looks for it again until the recording ends, so
/// that an agent started again by hand is recorded from its new table on. Lines go out
/// with `at_ms` 0; the writer stamps them.
fn follow(name: &str, http: SocketAddr, lines: &mpsc::Sender<Option<Recorded>>, stop: &AtomicBool) {
    let give_up = Instant::now() + CONNECT_FOR;
    let mut followed_once = false;
    while !stop.load(Ordering::Relaxed) {
        let (events, members) =
            match open_events(http).and_then(|events| Ok((events, member_list(http)?))) {
                Ok(subscribed) => subscribed,
                Err(_) if followed_once || Instant::now() < give_up => {
                    std::thread::sleep(if followed_once {
                        LOOK_AGAIN_EVERY
                    } else {
                        Duration::from_millis(50)
                    });
                    continue;
                }
                Err(error) => {
                    tracing::warn!(node = name, %error, "not recording this agent");
                    return;
                }
            };
        followed_once = true;
        let _ = lines.send(Some(Recorded::Members {
            at_ms: 0,
            node: name.to_owned(),
            members,
        }));
        read_events(events, |kind, data| {
            let line = if kind == "lagged" {
                Recorded::Gap {
                    at_ms: 0,
                    node: name.to_owned(),
                    missed: data.parse().unwrap_or(0),
                }
            } else {
                match serde_json::from_str(data) {
                    Ok(event) => Recorded::Event {
                        at_ms: 0,
                        node: name.to_owned(),
                        event,
                    },
                    Err(_) => return true,
                }
            };
            lines.send(Some(line)).is_ok()
        });
    }
}
