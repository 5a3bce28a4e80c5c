//! Registered names: atom <-> pid, both ways.
//!
//! A pid has at most one name and a name at most one pid. The table is one
//! lock: registering is rare, and `send_named` only needs a short read.
//! Invariant (rule 9, "a name is released the moment its process ends"): an
//! ending process is marked dead (`register`'s liveness test fails from
//! then on) *before* it takes this lock to drop its name, and `register`
//! checks liveness *under* this lock, so a name can never be left pointing
//! at a dead pid.

use crate::atom::Atom;
use crate::signal::SignalError;
use crate::term::Pid;
use parking_lot::RwLock;
use rustc_hash::FxHashMap;

#[derive(Default)]
pub(crate) struct Registry {
    inner: RwLock<Names>,
}

#[derive(Default)]
struct Names {
    by_name: FxHashMap<Atom, Pid>,
    by_pid: FxHashMap<Pid, Atom>,
}

impl Registry {
    /// Registers `name` for `pid`; `alive` is asked under the lock.
    pub(crate) fn register(
        &self,
        name: Atom,
        pid: Pid,
        alive: impl FnOnce(Pid) -> bool,
    ) -> Result<(), SignalError> {
        let mut t = self.inner.write();
        if name == Atom::NIL
            || t.by_name.contains_key(&name)
            || t.by_pid.contains_key(&pid)
            || !alive(pid)
        {
            return Err(SignalError::Badarg);
        }
        t.by_name.insert(name, pid);
        t.by_pid.insert(pid, name);
        Ok(())
    }

    pub(crate) fn unregister(&self, name: Atom) -> Result<(), SignalError> {
        let mut t = self.inner.write();
        let pid = t.by_name.remove(&name).ok_or(SignalError::Badarg)?;
        t.by_pid.remove(&pid);
        Ok(())
    }

    /// Drops whatever name `pid` had (the process ended).
    pub(crate) fn release(&self, pid: Pid) {
        let mut t = self.inner.write();
        if let Some(name) = t.by_pid.remove(&pid) {
            t.by_name.remove(&name);
        }
    }

    pub(crate) fn whereis(&self, name: Atom) -> Option<Pid> {
        self.inner.read().by_name.get(&name).copied()
    }

    pub(crate) fn name_of(&self, pid: Pid) -> Option<Atom> {
        self.inner.read().by_pid.get(&pid).copied()
    }

    pub(crate) fn names(&self) -> Vec<Atom> {
        let mut v: Vec<Atom> = self.inner.read().by_name.keys().copied().collect();
        v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        v
    }

    pub(crate) fn clear(&self) {
        *self.inner.write() = Names::default();
    }
}
