//! What the agent's integration tests share: free ports on 127.0.0.1, waiting for a
//! condition, and stopping a process the way a user does (SIGTERM).
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// `count` consecutive ports free for both UDP and TCP on 127.0.0.1, from `start` on.
pub fn free_run(start: u16, count: u16) -> u16 {
    let free = |port: u16| {
        std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
    };
    (start..60_000)
        .step_by(usize::from(count))
        .find(|&base| (base..base + count).all(free))
        .expect("a run of free ports")
}

/// One port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Polls `check` every 200 ms until it holds (true) or `limit` passes (false).
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Sends SIGTERM and waits up to `within` for the process to exit; its status, or
/// `None` if it had to be killed.
pub fn terminate(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut status = None;
    eventually(within, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    status
}

/// A child process that is stopped (SIGTERM, then SIGKILL) when the guard goes out of
/// scope, so a failing test leaves no agent or launcher running behind it.
#[derive(Debug)]
pub struct Stopped(pub Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            terminate(&mut self.0, Duration::from_secs(5));
        }
    }
}

/// What a child process writes to one of its pipes, collected line by line as it comes,
/// so a test can wait for a line instead of guessing how long it takes.
pub struct Collected {
    text: std::sync::Arc<std::sync::Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl Collected {
    /// Starts reading `pipe` (a child's `stdout` or `stderr`, taken) until it closes.
    pub fn from(pipe: impl std::io::Read + Send + 'static) -> Collected {
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = text.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(pipe)) {
                let Ok(line) = line else { break };
                let mut sink = sink.lock().unwrap();
                sink.push_str(&line);
                sink.push('\n');
            }
        });
        Collected { text, reader }
    }

    /// Waits up to `limit` for what was written so far to satisfy `check`.
    pub fn wait_for(&self, limit: Duration, check: impl Fn(&str) -> bool) -> bool {
        eventually(limit, || check(&self.text.lock().unwrap()))
    }

    /// Everything written, once the pipe has closed (the child has exited).
    pub fn finish(self) -> String {
        let _ = self.reader.join();
        std::mem::take(&mut *self.text.lock().unwrap())
    }
}
