//! Superinstructions: pairs of instructions that run together often enough
//! to be worth one dispatch instead of two (measured with callgrind on
//! `fib`, where they cut a third of the dispatches; ARCHITECTURE.md).
//!
//! The pass runs on a finished function whose jump operands are still
//! label ids and whose labels hold instruction positions. A pair is fused
//! only when no instruction jumps to its second (or, for a returning
//! second instruction, the original stays behind for the jumps that land
//! on it); every label is then moved to where its instruction went. A
//! label that no instruction names any more (a fused test's) does not
//! count as a jump.

use crate::ast::Span;
use crate::bytecode::Op;

/// What a fusion does with the pair's second instruction.
enum Fused {
    /// Both replaced by one.
    Pair(Op),
    /// The first replaced; the second, a return that a jump may land on,
    /// stays for those jumps.
    KeepingTarget(Op),
}

/// Fuses, in rounds (a pair of a later round may contain an instruction
/// an earlier one made): returns of a just computed value, then the pairs
/// around calls and literal clause heads, then two literal heads in a row.
pub(super) fn fuse(code: &mut Vec<Op>, spans: &mut Vec<Span>, labels: &mut [Option<u32>]) {
    fuse_pairs(code, spans, labels, fuse_return);
    fuse_pairs(code, spans, labels, fuse_call_and_test);
    fuse_pairs(code, spans, labels, fuse_literal_heads);
}

/// `Int`, `Const` or `Add` into `r`, then `Return r`: one returning
/// instruction. Function bodies ending in a literal (`0`, `:ok`) or a sum
/// (`fib(n - 1) + fib(n - 2)`) are common.
fn fuse_return(first: Op, second: Op, _second_pos: usize, _labels: &[Option<u32>]) -> Option<Fused> {
    let Op::Return { src } = second else { return None };
    let fused = match first {
        Op::Int { dst, v } if dst == src => Op::ReturnInt { v },
        Op::Const { dst, k } if dst == src => Op::ReturnConst { k },
        Op::Add { dst, a, b } if dst == src => Op::ReturnAdd { a, b },
        _ => return None,
    };
    Some(Fused::KeepingTarget(fused))
}

/// `AddImm` computing the one argument of a local call, then the call
/// (`f(n - 1)`); and a literal clause head whose body is a small integer
/// (`fn fib(0) = 0`): the test and the return.
fn fuse_call_and_test(first: Op, second: Op, second_pos: usize, labels: &[Option<u32>]) -> Option<Fused> {
    match (first, second) {
        (Op::AddImm { dst: arg, a, imm }, Op::Call { dst, proto, start, argc: 1 })
            if arg == start && a != start =>
        {
            // `a != start`: a call that yields re-runs the instruction, so
            // the addition must not read what it wrote.
            let proto = u16::try_from(proto).ok()?;
            Some(Fused::Pair(Op::CallAddImm { dst, proto, start, a, imm }))
        }
        (Op::TestInt { src, v, fail }, Op::ReturnInt { v: ret })
            if labels.get(fail as usize).copied().flatten() == Some(second_pos as u32 + 1) =>
        {
            Some(Fused::Pair(Op::ReturnIfInt { src, v, ret }))
        }
        _ => None,
    }
}

/// Two literal clause heads in a row on the same argument, each with a
/// small integer body (`fn fib(0) = 0`, `fn fib(1) = 1`): one test of the
/// register for both, as the BEAM's `select_val` tests one register against
/// a table of literals. The first's fall-through is the second, so nothing
/// else changes.
fn fuse_literal_heads(first: Op, second: Op, _second_pos: usize, _labels: &[Option<u32>]) -> Option<Fused> {
    let (Op::ReturnIfInt { src, v, ret }, Op::ReturnIfInt { src: src2, v: v2, ret: ret2 }) = (first, second) else {
        return None;
    };
    if src != src2 {
        return None;
    }
    let small = |x: i32| i16::try_from(x).ok();
    Some(Fused::Pair(Op::ReturnIfInt2 { src, v: small(v)?, ret: small(ret)?, v2: small(v2)?, ret2: small(ret2)? }))
}

type Rule = fn(Op, Op, usize, &[Option<u32>]) -> Option<Fused>;

fn fuse_pairs(code: &mut Vec<Op>, spans: &mut Vec<Span>, labels: &mut [Option<u32>], rule: Rule) {
    let old = std::mem::take(code);
    let old_spans = std::mem::take(spans);
    let n = old.len();
    let mut targeted = vec![false; n + 1];
    for op in &old {
        let mut op = *op;
        op.for_each_label(|l| {
            if let Some(&Some(pos)) = labels.get(*l as usize) {
                if let Some(t) = targeted.get_mut(pos as usize) {
                    *t = true;
                }
            }
        });
    }
    // new_pos[i]: where old instruction i (or the end, i == n) now is.
    let mut new_pos = Vec::with_capacity(n + 1);
    let mut i = 0;
    while i < n {
        new_pos.push(code.len() as u32);
        let fused = match old.get(i + 1) {
            Some(&second) => rule(old[i], second, i + 1, labels),
            None => None,
        };
        // The fused instruction reports (faults, yields) at the first's span.
        spans.push(old_spans[i].clone());
        match fused {
            Some(Fused::Pair(op)) if !targeted[i + 1] => {
                code.push(op);
                // The second is gone: its position maps to what follows.
                new_pos.push(code.len() as u32);
                i += 2;
            }
            Some(Fused::KeepingTarget(op)) => {
                code.push(op);
                if targeted[i + 1] {
                    i += 1;
                } else {
                    new_pos.push(code.len() as u32);
                    i += 2;
                }
            }
            _ => {
                code.push(old[i]);
                i += 1;
            }
        }
    }
    new_pos.push(code.len() as u32);
    for pos in labels.iter_mut().flatten() {
        *pos = new_pos.get(*pos as usize).copied().unwrap_or(*pos);
    }
}
