//! The REPL's results, for `v()` / `v(n)`: the session records each
//! entry's value here; `v` reads them back in any later entry (it is a
//! built-in, so `v(-1) + 1` and `let x = v()` work). In a script there are
//! none, and `v` says so.

use crate::args::{self, R};
use parking_lot::Mutex;
use snow_lang::vm::{Arity, BuiltinTable, Exception, NativeCx};
use snow_runtime::{Atom, Term};
use std::collections::VecDeque;

/// How many results are kept (IEx keeps 20 by default; terms can be big).
const KEPT: usize = 100;

struct Results {
    /// The last `KEPT` results, the newest at the back.
    values: VecDeque<Term>,
    /// How many results there have been in all.
    count: usize,
}

static RESULTS: Mutex<Results> = Mutex::new(Results { values: VecDeque::new(), count: 0 });

/// Records the value of a REPL entry (result number `count` from 1).
pub fn record_result(value: Term) {
    let mut r = RESULTS.lock();
    if r.values.len() == KEPT {
        r.values.pop_front();
    }
    r.values.push_back(value);
    r.count += 1;
}

pub fn register(t: &mut BuiltinTable) {
    use Arity::*;
    t.native("", "v", Exact(0), |_, _| result(-1));
    t.native("", "v", Exact(1), |_: &mut NativeCx<'_, '_>, a| result(args::int(&a[0])?));
}

/// `v(n)`: result `n` counting from 1, or from the end when negative.
fn result(n: i64) -> R {
    let r = RESULTS.lock();
    if r.count == 0 {
        return Err(Exception::explained(Atom::BADARG, "no results yet: v() gives the values of earlier REPL entries"));
    }
    let count = r.count as i64;
    let number = if n < 0 { count + 1 + n } else { n };
    if number < 1 || number > count {
        return Err(Exception::explained(
            Atom::BADARG,
            format!("there is no result {n}: {count} so far (v(1) is the first, v(-1) the last)"),
        ));
    }
    let oldest = count - r.values.len() as i64 + 1;
    if number < oldest {
        return Err(Exception::explained(Atom::BADARG, format!("result {number} is forgotten: only the last {KEPT} are kept")));
    }
    Ok(r.values[(number - oldest) as usize].clone())
}
