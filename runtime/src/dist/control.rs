//! Control messages (reference §4): the tuple at the head of each packet,
//! read into a typed `Control` and written back from one.
//!
//! Reading accepts both the old and the new form of each operation (erl may
//! use the old one for signals encoded before the connection was fully up)
//! and the `_TT` variants, whose trace token is dropped. Anything else is a
//! `Malformed` error: the connection that sent it is closed.

use crate::atom::Atom;
use crate::term::{Pid, Ref, Term};

/// The operation codes we read or write.
pub mod op {
    pub const LINK: i64 = 1;
    pub const SEND: i64 = 2;
    pub const EXIT: i64 = 3;
    pub const UNLINK: i64 = 4;
    pub const REG_SEND: i64 = 6;
    pub const GROUP_LEADER: i64 = 7;
    pub const EXIT2: i64 = 8;
    pub const SEND_TT: i64 = 12;
    pub const EXIT_TT: i64 = 13;
    pub const REG_SEND_TT: i64 = 16;
    pub const EXIT2_TT: i64 = 18;
    pub const MONITOR_P: i64 = 19;
    pub const DEMONITOR_P: i64 = 20;
    pub const MONITOR_P_EXIT: i64 = 21;
    pub const SEND_SENDER: i64 = 22;
    pub const SEND_SENDER_TT: i64 = 23;
    pub const PAYLOAD_EXIT: i64 = 24;
    pub const PAYLOAD_EXIT_TT: i64 = 25;
    pub const PAYLOAD_EXIT2: i64 = 26;
    pub const PAYLOAD_EXIT2_TT: i64 = 27;
    pub const PAYLOAD_MONITOR_P_EXIT: i64 = 28;
    pub const SPAWN_REQUEST: i64 = 29;
    pub const SPAWN_REQUEST_TT: i64 = 30;
    pub const SPAWN_REPLY: i64 = 31;
    pub const SPAWN_REPLY_TT: i64 = 32;
    pub const ALIAS_SEND: i64 = 33;
    pub const ALIAS_SEND_TT: i64 = 34;
    pub const UNLINK_ID: i64 = 35;
    pub const UNLINK_ID_ACK: i64 = 36;
}

/// A process named in a monitor: by pid, or by registered name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proc {
    Pid(Pid),
    Name(Atom),
}

/// One control message, with its payload where it has one.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    Link { from: Pid, to: Pid },
    /// `from` is `None` for the old SEND, which names no sender.
    Send { from: Option<Pid>, to: Pid, msg: Term },
    RegSend { from: Pid, name: Atom, msg: Term },
    /// An exit through a link (EXIT / PAYLOAD_EXIT).
    Exit { from: Pid, to: Pid, reason: Term },
    /// `exit/2` (EXIT2 / PAYLOAD_EXIT2).
    Exit2 { from: Pid, to: Pid, reason: Term },
    /// The old UNLINK (no id).
    Unlink { from: Pid, to: Pid },
    UnlinkId { id: u64, from: Pid, to: Pid },
    UnlinkIdAck { id: u64, from: Pid, to: Pid },
    Monitor { from: Pid, target: Proc, r: Ref },
    Demonitor { from: Pid, target: Proc, r: Ref },
    /// The monitored process ended (MONITOR_P_EXIT / PAYLOAD_MONITOR_P_EXIT).
    MonitorExit { target: Proc, to: Pid, r: Ref, reason: Term },
    SpawnRequest { req: Ref, from: Pid, group_leader: Pid, module: Atom, function: Atom, arity: i64, opts: Term, args: Term },
    SpawnReply { req: Ref, to: Pid, flags: i64, result: Term },
    AliasSend { from: Pid, alias: Ref, msg: Term },
    /// Read and ignored: group leaders carry no meaning here.
    GroupLeader,
}

/// Why a control message could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed control message: {}", self.0)
    }
}

fn bad(what: &str) -> Malformed {
    Malformed(what.to_string())
}

fn pid(t: &Term) -> Result<Pid, Malformed> {
    match t {
        Term::Pid(p) => Ok(*p),
        _ => Err(bad("expected a pid")),
    }
}

fn reference(t: &Term) -> Result<Ref, Malformed> {
    match t {
        Term::Ref(r) => Ok(*r),
        _ => Err(bad("expected a reference")),
    }
}

fn atom(t: &Term) -> Result<Atom, Malformed> {
    match t {
        Term::Atom(a) => Ok(*a),
        _ => Err(bad("expected an atom")),
    }
}

fn int(t: &Term) -> Result<i64, Malformed> {
    match t {
        Term::Int(i) => Ok(*i),
        _ => Err(bad("expected an integer")),
    }
}

fn proc(t: &Term) -> Result<Proc, Malformed> {
    match t {
        Term::Pid(p) => Ok(Proc::Pid(*p)),
        Term::Atom(a) => Ok(Proc::Name(*a)),
        _ => Err(bad("expected a pid or a name")),
    }
}

fn unlink_id(t: &Term) -> Result<u64, Malformed> {
    match t {
        Term::Int(i) => u64::try_from(*i).map_err(|_| bad("negative unlink id")),
        // Ids above i64::MAX arrive as bignums, which Snow cannot hold; the
        // id only needs to come back in the ack, and erl's start small.
        _ => Err(bad("unlink id is not a small integer")),
    }
}

impl Control {
    /// Reads a control tuple and its payload.
    pub fn read(control: &Term, payload: Option<Term>) -> Result<Control, Malformed> {
        let Term::Tuple(items) = control else { return Err(bad("not a tuple")) };
        let Some(code) = items.first() else { return Err(bad("empty tuple")) };
        let code = int(code)?;
        let arity = items.len();
        let at = |i: usize| items.get(i).ok_or_else(|| bad("too few elements"));
        let mut payload = payload;
        let mut take_payload = || payload.take().ok_or_else(|| bad("missing payload"));
        let want = |n: usize| if arity == n { Ok(()) } else { Err(bad(&format!("op {code} with {arity} elements"))) };
        use op::*;
        let c = match code {
            LINK => {
                want(3)?;
                Control::Link { from: pid(at(1)?)?, to: pid(at(2)?)? }
            }
            SEND | SEND_TT => {
                want(if code == SEND { 3 } else { 4 })?;
                Control::Send { from: None, to: pid(at(2)?)?, msg: take_payload()? }
            }
            SEND_SENDER | SEND_SENDER_TT => {
                want(if code == SEND_SENDER { 3 } else { 4 })?;
                Control::Send { from: Some(pid(at(1)?)?), to: pid(at(2)?)?, msg: take_payload()? }
            }
            REG_SEND | REG_SEND_TT => {
                want(if code == REG_SEND { 4 } else { 5 })?;
                Control::RegSend { from: pid(at(1)?)?, name: atom(at(3)?)?, msg: take_payload()? }
            }
            EXIT | EXIT_TT => {
                want(if code == EXIT { 4 } else { 5 })?;
                Control::Exit { from: pid(at(1)?)?, to: pid(at(2)?)?, reason: at(arity - 1)?.clone() }
            }
            PAYLOAD_EXIT | PAYLOAD_EXIT_TT => {
                want(if code == PAYLOAD_EXIT { 3 } else { 4 })?;
                Control::Exit { from: pid(at(1)?)?, to: pid(at(2)?)?, reason: take_payload()? }
            }
            EXIT2 | EXIT2_TT => {
                want(if code == EXIT2 { 4 } else { 5 })?;
                Control::Exit2 { from: pid(at(1)?)?, to: pid(at(2)?)?, reason: at(arity - 1)?.clone() }
            }
            PAYLOAD_EXIT2 | PAYLOAD_EXIT2_TT => {
                want(if code == PAYLOAD_EXIT2 { 3 } else { 4 })?;
                Control::Exit2 { from: pid(at(1)?)?, to: pid(at(2)?)?, reason: take_payload()? }
            }
            UNLINK => {
                want(3)?;
                Control::Unlink { from: pid(at(1)?)?, to: pid(at(2)?)? }
            }
            UNLINK_ID => {
                want(4)?;
                Control::UnlinkId { id: unlink_id(at(1)?)?, from: pid(at(2)?)?, to: pid(at(3)?)? }
            }
            UNLINK_ID_ACK => {
                want(4)?;
                Control::UnlinkIdAck { id: unlink_id(at(1)?)?, from: pid(at(2)?)?, to: pid(at(3)?)? }
            }
            MONITOR_P => {
                want(4)?;
                Control::Monitor { from: pid(at(1)?)?, target: proc(at(2)?)?, r: reference(at(3)?)? }
            }
            DEMONITOR_P => {
                want(4)?;
                Control::Demonitor { from: pid(at(1)?)?, target: proc(at(2)?)?, r: reference(at(3)?)? }
            }
            MONITOR_P_EXIT => {
                want(5)?;
                let reason = at(4)?.clone();
                Control::MonitorExit { target: proc(at(1)?)?, to: pid(at(2)?)?, r: reference(at(3)?)?, reason }
            }
            PAYLOAD_MONITOR_P_EXIT => {
                want(4)?;
                let reason = take_payload()?;
                Control::MonitorExit { target: proc(at(1)?)?, to: pid(at(2)?)?, r: reference(at(3)?)?, reason }
            }
            SPAWN_REQUEST | SPAWN_REQUEST_TT => {
                want(if code == SPAWN_REQUEST { 6 } else { 7 })?;
                let Term::Tuple(mfa) = at(4)? else { return Err(bad("spawn request without {M, F, A}")) };
                let [m, f, a] = &mfa[..] else { return Err(bad("spawn request without {M, F, A}")) };
                Control::SpawnRequest {
                    req: reference(at(1)?)?,
                    from: pid(at(2)?)?,
                    group_leader: pid(at(3)?)?,
                    module: atom(m)?,
                    function: atom(f)?,
                    arity: int(a)?,
                    opts: at(5)?.clone(),
                    args: take_payload()?,
                }
            }
            SPAWN_REPLY | SPAWN_REPLY_TT => {
                want(if code == SPAWN_REPLY { 5 } else { 6 })?;
                Control::SpawnReply {
                    req: reference(at(1)?)?,
                    to: pid(at(2)?)?,
                    flags: int(at(3)?)?,
                    result: at(4)?.clone(),
                }
            }
            ALIAS_SEND | ALIAS_SEND_TT => {
                want(if code == ALIAS_SEND { 3 } else { 4 })?;
                Control::AliasSend { from: pid(at(1)?)?, alias: reference(at(2)?)?, msg: take_payload()? }
            }
            GROUP_LEADER => Control::GroupLeader,
            other => return Err(bad(&format!("unknown operation {other}"))),
        };
        Ok(c)
    }

    /// The control tuple and payload to write. `legacy` = the old forms
    /// (the peer did not negotiate SEND_SENDER / EXIT_PAYLOAD).
    pub fn write(&self, peer_flags: u64) -> (Term, Option<Term>) {
        use super::handshake::flags;
        let sender = peer_flags & flags::SEND_SENDER != 0;
        let payload_exit = peer_flags & flags::EXIT_PAYLOAD != 0;
        let t = Term::tuple;
        let i = Term::Int;
        let p = |p: &Pid| Term::Pid(*p);
        let r = |r: &Ref| Term::Ref(*r);
        let pr = |x: &Proc| match x {
            Proc::Pid(p) => Term::Pid(*p),
            Proc::Name(a) => Term::Atom(*a),
        };
        let unused = Term::Atom(Atom::EMPTY);
        use op::*;
        match self {
            Control::Link { from, to } => (t(vec![i(LINK), p(from), p(to)]), None),
            Control::Send { from: Some(from), to, msg } if sender => {
                (t(vec![i(SEND_SENDER), p(from), p(to)]), Some(msg.clone()))
            }
            Control::Send { to, msg, .. } => (t(vec![i(SEND), unused, p(to)]), Some(msg.clone())),
            Control::RegSend { from, name, msg } => {
                (t(vec![i(REG_SEND), p(from), unused, Term::Atom(*name)]), Some(msg.clone()))
            }
            Control::Exit { from, to, reason } if payload_exit => {
                (t(vec![i(PAYLOAD_EXIT), p(from), p(to)]), Some(reason.clone()))
            }
            Control::Exit { from, to, reason } => (t(vec![i(EXIT), p(from), p(to), reason.clone()]), None),
            Control::Exit2 { from, to, reason } if payload_exit => {
                (t(vec![i(PAYLOAD_EXIT2), p(from), p(to)]), Some(reason.clone()))
            }
            Control::Exit2 { from, to, reason } => (t(vec![i(EXIT2), p(from), p(to), reason.clone()]), None),
            Control::Unlink { from, to } => (t(vec![i(UNLINK), p(from), p(to)]), None),
            Control::UnlinkId { id, from, to } => (t(vec![i(UNLINK_ID), i(*id as i64), p(from), p(to)]), None),
            Control::UnlinkIdAck { id, from, to } => {
                (t(vec![i(UNLINK_ID_ACK), i(*id as i64), p(from), p(to)]), None)
            }
            Control::Monitor { from, target, r: rf } => (t(vec![i(MONITOR_P), p(from), pr(target), r(rf)]), None),
            Control::Demonitor { from, target, r: rf } => {
                (t(vec![i(DEMONITOR_P), p(from), pr(target), r(rf)]), None)
            }
            Control::MonitorExit { target, to, r: rf, reason } if payload_exit => {
                (t(vec![i(PAYLOAD_MONITOR_P_EXIT), pr(target), p(to), r(rf)]), Some(reason.clone()))
            }
            Control::MonitorExit { target, to, r: rf, reason } => {
                (t(vec![i(MONITOR_P_EXIT), pr(target), p(to), r(rf), reason.clone()]), None)
            }
            Control::SpawnRequest { req, from, group_leader, module, function, arity, opts, args } => {
                let mfa = t(vec![Term::Atom(*module), Term::Atom(*function), i(*arity)]);
                (t(vec![i(SPAWN_REQUEST), r(req), p(from), p(group_leader), mfa, opts.clone()]), Some(args.clone()))
            }
            Control::SpawnReply { req, to, flags, result } => {
                (t(vec![i(SPAWN_REPLY), r(req), p(to), i(*flags), result.clone()]), None)
            }
            Control::AliasSend { from, alias, msg } => (t(vec![i(ALIAS_SEND), p(from), r(alias)]), Some(msg.clone())),
            Control::GroupLeader => (t(vec![i(GROUP_LEADER)]), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::handshake::flags::OFFERED;

    #[test]
    fn every_control_message_reads_back_what_was_written() {
        let a = Pid::local(5, 0);
        let b = Pid { node: 0, id: 6, serial: 1, creation: 0 };
        let rf = Ref { node: 0, words: [1, 2, 3] };
        let msgs = vec![
            Control::Link { from: a, to: b },
            Control::Send { from: Some(a), to: b, msg: Term::Int(1) },
            Control::RegSend { from: a, name: Atom::new("echo"), msg: Term::Int(2) },
            Control::Exit { from: a, to: b, reason: Term::Atom(Atom::KILLED) },
            Control::Exit2 { from: a, to: b, reason: Term::Atom(Atom::KILL) },
            Control::UnlinkId { id: 9, from: a, to: b },
            Control::UnlinkIdAck { id: 9, from: b, to: a },
            Control::Monitor { from: a, target: Proc::Name(Atom::new("reg")), r: rf },
            Control::Demonitor { from: a, target: Proc::Pid(b), r: rf },
            Control::MonitorExit { target: Proc::Pid(b), to: a, r: rf, reason: Term::Atom(Atom::NOPROC) },
            Control::SpawnReply { req: rf, to: a, flags: 3, result: Term::Pid(b) },
        ];
        for flags in [OFFERED, 0] {
            for m in &msgs {
                let (c, p) = m.write(flags);
                let want = match m {
                    // The old SEND names no sender.
                    Control::Send { to, msg, .. } if flags == 0 => Control::Send { from: None, to: *to, msg: msg.clone() },
                    other => other.clone(),
                };
                assert_eq!(Control::read(&c, p).expect("reads back"), want);
            }
        }
    }

    #[test]
    fn malformed_messages_are_errors() {
        let bad_ones = vec![
            Term::Int(1),
            Term::tuple(vec![]),
            Term::tuple(vec![Term::Int(1)]),
            Term::tuple(vec![Term::Int(99), Term::Nil]),
            Term::tuple(vec![Term::Int(1), Term::Int(2), Term::Int(3)]),
            Term::tuple(vec![Term::Int(22), Term::Pid(Pid::local(1, 0)), Term::Pid(Pid::local(2, 0))]),
        ];
        for t in bad_ones {
            assert!(Control::read(&t, None).is_err(), "{t:?}");
        }
    }
}
