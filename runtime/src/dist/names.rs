//! Node names (`a@127.0.0.1`, `a@127.0.0.1:4370`, short `a`) and the cookie
//! (`~/.erlang.cookie`, created as `erl` creates it).

use std::fmt;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// A parsed node name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeName {
    /// `a` of `a@host`: what EPMD knows.
    pub alive: String,
    pub host: String,
    /// A fixed distribution port (`name@host:port`): no EPMD lookup needed.
    pub port: Option<u16>,
}

impl NodeName {
    /// Parses `alive@host[:port]`; a name without `@` is a short name on
    /// this host (`a` → `a@<hostname>`), as `erl -sname a`.
    pub fn parse(text: &str) -> Result<NodeName, String> {
        let text = text.trim();
        let (alive, rest) = match text.split_once('@') {
            Some((a, r)) => (a, r.to_string()),
            None => (text, short_hostname()),
        };
        if alive.is_empty() || !alive.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(format!("bad node name {text:?}: the part before @ must be letters, digits, _ or -"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => {
                let port = p.parse::<u16>().map_err(|_| format!("bad port in node name {text:?}"))?;
                (h.to_string(), Some(port))
            }
            _ => (rest, None),
        };
        if host.is_empty() {
            return Err(format!("bad node name {text:?}: no host after @"));
        }
        Ok(NodeName { alive: alive.to_string(), host, port })
    }

    /// `alive@host`, the name as an atom shows it (without the port).
    pub fn full(&self) -> String {
        format!("{}@{}", self.alive, self.host)
    }

    /// A long name has a dotted host (`-name`), a short one not (`-sname`).
    pub fn is_long(&self) -> bool {
        self.host.contains('.') || self.host.parse::<IpAddr>().is_ok()
    }

    /// The host's address (IPv4 first).
    pub fn ip(&self) -> Result<IpAddr, String> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(ip);
        }
        let addrs: Vec<SocketAddr> = (self.host.as_str(), 0)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve host {}: {e}", self.host))?
            .collect();
        addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .map(|a| a.ip())
            .ok_or_else(|| format!("cannot resolve host {}", self.host))
    }

    /// Where this node listens: the host's own address when it is an IP
    /// literal, every interface otherwise (as erl).
    pub fn listen_ip(&self) -> IpAddr {
        match self.host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        }
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full())
    }
}

/// Ports given with node names (`b@127.0.0.1:4371`): dialling such a node
/// skips the EPMD lookup. The name itself stays `b@127.0.0.1`.
static PORT_HINTS: parking_lot::Mutex<Option<rustc_hash::FxHashMap<String, u16>>> = parking_lot::Mutex::new(None);

/// Remembers that `full` (`b@host`) listens on `port`.
pub fn remember_port(full: &str, port: u16) {
    PORT_HINTS.lock().get_or_insert_with(Default::default).insert(full.to_string(), port);
}

/// The port remembered for `full`, if any.
pub fn port_hint(full: &str) -> Option<u16> {
    PORT_HINTS.lock().as_ref().and_then(|m| m.get(full).copied())
}

/// This machine's host name up to the first dot (erl's `-sname` host).
pub fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let short = name.trim().split('.').next().unwrap_or_default().to_string();
    if short.is_empty() { "localhost".to_string() } else { short }
}

fn cookie_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".erlang.cookie"))
}

/// The default cookie: `~/.erlang.cookie`, created (20 random capital
/// letters, mode 0400) when missing, as erl does.
pub fn default_cookie() -> Result<String, String> {
    let path = cookie_path().ok_or("HOME is not set: give a cookie with --cookie")?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let c = text.trim().to_string();
            if c.is_empty() {
                Err(format!("{} is empty: give a cookie with --cookie", path.display()))
            } else {
                Ok(c)
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 20];
            getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a cookie: {e}"))?;
            let cookie: String = bytes.iter().map(|b| char::from(b'A' + b % 26)).collect();
            write_private(&path, &cookie).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            Ok(cookie)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o400).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        let n = NodeName::parse("a@127.0.0.1").expect("parses");
        assert_eq!((n.alive.as_str(), n.host.as_str(), n.port), ("a", "127.0.0.1", None));
        assert!(n.is_long());
        let n = NodeName::parse("b@127.0.0.1:4370").expect("parses");
        assert_eq!((n.full().as_str(), n.port), ("b@127.0.0.1", Some(4370)));
        let n = NodeName::parse("c").expect("parses");
        assert_eq!(n.host, short_hostname());
        assert!(NodeName::parse("@host").is_err());
        assert!(NodeName::parse("a b@host").is_err());
        assert!(NodeName::parse("a@").is_err());
        assert!(NodeName::parse("a@h:notaport").is_err());
    }
}
