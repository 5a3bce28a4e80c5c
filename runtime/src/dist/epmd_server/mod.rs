//! A port-mapper daemon speaking EPMD's protocol, for `snow epmd`: ALIVE2, PORT_PLEASE2 and NAMES, compatible with `erl` and `epmd -names`.
//!
//! One thread runs one readiness loop (`mio`: epoll or kqueue) over every
//! socket, so a held registration costs a file descriptor and a few hundred
//! bytes, not a thread. As in epmd, a registration lives as long as the
//! connection that made it.
//!
//! Limits ([`EpmdConfig`]), so that holding connections cannot lock
//! registrations out:
//! - names: `max_names` (65,536), lowered to fit the soft `RLIMIT_NOFILE`
//!   (which `snow epmd` first raises to the hard limit). One more ALIVE2 is
//!   answered with result [`ALIVE2_TABLE_FULL`](super::epmd::ALIVE2_TABLE_FULL);
//!   a name in use with [`ALIVE2_IN_USE`](super::epmd::ALIVE2_IN_USE), as epmd does.
//! - connections not holding a registration: `max_pending` (1,024). They
//!   never count against the names: at the cap, or when `accept` runs out of
//!   file descriptors, the oldest of them is closed to make room.
//! - each such connection has `request_timeout` (5 s) to send its request,
//!   and as long again to take the reply; then it is closed.
//!
//! Modules: `event_loop` (the connections), `wire` (requests read in pieces,
//! parsed, and the replies), `table` (the registrations).

mod event_loop;
mod table;
mod wire;

use mio::net::TcpListener;
use mio::{Interest, Poll, Waker};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Default time a client has to send its request (and then to take the reply).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on registrations held at once.
pub const DEFAULT_MAX_NAMES: usize = 65_536;
/// Default cap on connections not holding a registration.
pub const DEFAULT_MAX_PENDING: usize = 1024;
/// File descriptors left for everything else (stdio, the poller, the listener).
const SPARE_FDS: u64 = 64;
/// The longest request timeout honoured (longer ones are cut to it).
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Connections the kernel queues until accepted (capped by the system, as
/// epmd's `SOMAXCONN`): the usual 128 overflows under a burst of connects,
/// and each dropped SYN costs its client a one-second retry.
const BACKLOG: libc::c_int = 4096;

/// The address `snow epmd` binds: `SNOW_EPMD_ADDR` (an IP) or 127.0.0.1.
/// (The real epmd binds every interface; Snow stays on loopback unless told.)
pub fn default_bind_ip() -> Result<IpAddr, String> {
    match std::env::var("SNOW_EPMD_ADDR") {
        Ok(s) if !s.trim().is_empty() => {
            s.trim().parse().map_err(|_| format!("SNOW_EPMD_ADDR={s:?} is not an IP address"))
        }
        _ => Ok(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

fn nofile() -> Option<libc::rlimit> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes into the struct we pass, which we own.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0).then_some(r)
}

/// The soft `RLIMIT_NOFILE` (`None` when unlimited or unknown).
pub fn fd_limit() -> Option<u64> {
    let r = nofile()?;
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
    (r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur as u64)
}

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit (each held
/// registration is a file descriptor); returns the soft limit now in force
/// (`None` when unlimited or unknown). Failing to raise it is not an error:
/// the old limit stays, and the caps follow it.
pub fn raise_fd_limit() -> Option<u64> {
    if let Some(r) = nofile().filter(|r| r.rlim_cur < r.rlim_max) {
        let want = libc::rlimit { rlim_cur: r.rlim_max, rlim_max: r.rlim_max };
        // SAFETY: setrlimit only reads the struct we pass.
        let _ = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &want) };
    }
    fd_limit()
}

/// What a server accepts. The caps in force also depend on the file
/// descriptors this process may open: see [`EpmdServer::limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpmdConfig {
    /// Registrations held at once; one more is answered
    /// [`ALIVE2_TABLE_FULL`](super::epmd::ALIVE2_TABLE_FULL).
    pub max_names: usize,
    /// Connections not holding a registration; at the cap the oldest is closed.
    pub max_pending: usize,
    /// How long a client has, from connecting, to send its request; and,
    /// from then, to take the reply.
    pub request_timeout: Duration,
}

impl Default for EpmdConfig {
    fn default() -> Self {
        EpmdConfig {
            max_names: DEFAULT_MAX_NAMES,
            max_pending: DEFAULT_MAX_PENDING,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl EpmdConfig {
    /// The caps in force for a process whose soft file limit is `fds`:
    /// registrations and pending connections together stay below it, so a
    /// full table is answered with an error before `accept` can fail. (The
    /// timeout is kept between 1 ms and a day.)
    pub fn within_fd_limit(self, fds: Option<u64>) -> EpmdConfig {
        let request_timeout = self.request_timeout.clamp(Duration::from_millis(1), MAX_REQUEST_TIMEOUT);
        let max_pending = self.max_pending.max(1);
        let Some(fds) = fds else { return EpmdConfig { max_pending, request_timeout, ..self } };
        let budget = usize::try_from(fds.saturating_sub(SPARE_FDS)).unwrap_or(usize::MAX).max(2);
        let max_pending = max_pending.min(budget / 4).max(1);
        let max_names = self.max_names.min(budget - max_pending);
        EpmdConfig { max_names, max_pending, request_timeout }
    }
}

/// A bound, not yet running, EPMD.
pub struct EpmdServer {
    poll: Poll,
    listener: TcpListener,
    waker: Arc<Waker>,
    stopping: Arc<AtomicBool>,
    limits: EpmdConfig,
}

/// A server running on a background thread; stopped on [`stop`](Self::stop) or drop.
pub struct EpmdHandle {
    addr: SocketAddr,
    waker: Arc<Waker>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpmdServer {
    /// Binds with the default limits.
    pub fn bind(addr: SocketAddr) -> io::Result<EpmdServer> {
        Self::bind_with(addr, EpmdConfig::default())
    }

    /// Binds with `config`, capped by this process's file limit as it is now.
    pub fn bind_with(addr: SocketAddr, config: EpmdConfig) -> io::Result<EpmdServer> {
        let mut listener = TcpListener::bind(addr)?;
        // SAFETY: `listen` takes no pointers, and `listener` owns the
        // descriptor; on a listening socket it only changes the backlog.
        let _ = unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) };
        let poll = Poll::new()?;
        poll.registry().register(&mut listener, event_loop::LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), event_loop::WAKER)?);
        let limits = config.within_fd_limit(fd_limit());
        Ok(EpmdServer { poll, listener, waker, stopping: Arc::new(AtomicBool::new(false)), limits })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The caps in force: the configuration, lowered to fit the file limit.
    pub fn limits(&self) -> EpmdConfig {
        self.limits
    }

    /// Serves until stopped (forever, for `snow epmd`).
    pub fn run(self) -> io::Result<()> {
        let port = self.local_addr()?.port();
        event_loop::Loop::new(self.poll, self.listener, self.stopping, self.limits, port).run()
    }

    /// Runs on a background thread.
    pub fn spawn(self) -> io::Result<EpmdHandle> {
        let addr = self.local_addr()?;
        let (waker, stopping) = (self.waker.clone(), self.stopping.clone());
        let thread = std::thread::Builder::new().name("epmd".into()).spawn(move || {
            let _ = self.run();
        })?;
        Ok(EpmdHandle { addr, waker, stopping, thread: Some(thread) })
    }
}

impl EpmdHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving, closes every connection (so every registration), joins the thread.
    pub fn stop(&mut self) {
        self.stopping.store(true, Ordering::Release);
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EpmdHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_fit_the_file_limit() {
        let c = EpmdConfig::default();
        assert_eq!(c.within_fd_limit(None), c);
        let big = c.within_fd_limit(Some(1 << 20));
        assert_eq!((big.max_names, big.max_pending), (DEFAULT_MAX_NAMES, DEFAULT_MAX_PENDING));
        let small = c.within_fd_limit(Some(1024));
        assert_eq!((small.max_names, small.max_pending), (720, 240));
        assert!(small.max_names + small.max_pending + SPARE_FDS as usize <= 1024);
        let tiny = c.within_fd_limit(Some(3));
        assert!(tiny.max_pending >= 1);
        let odd = EpmdConfig { max_names: 3, max_pending: 0, request_timeout: Duration::MAX }.within_fd_limit(None);
        assert_eq!((odd.max_names, odd.max_pending, odd.request_timeout), (3, 1, MAX_REQUEST_TIMEOUT));
    }
}
