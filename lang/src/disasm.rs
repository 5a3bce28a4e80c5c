//! The disassembler: a readable listing of a module's bytecode
//! (`snow --disasm FILE`).

use crate::bytecode::{Module, Op, Proto};
use crate::diagnostic::line_col;
use snow_runtime::inspect::inspect;
use std::fmt::Write;

pub fn disassemble(module: &Module) -> String {
    let mut out = String::new();
    for p in &module.protos {
        disassemble_proto(&mut out, p, &module.source);
        out.push('\n');
    }
    out
}

fn disassemble_proto(out: &mut String, p: &Proto, source: &str) {
    let _ = writeln!(
        out,
        "fn #{} {}/{}  (registers: {}, captured: {}, constants: {})",
        p.index, p.name, p.arity, p.nregs, p.ncaptured, p.consts.len()
    );
    let mut last_line = 0;
    for (pc, op) in p.code.iter().enumerate() {
        let (line, _) = line_col(source, p.span_at(pc).start);
        let line_note = if line != last_line {
            last_line = line;
            format!("{line:>4}")
        } else {
            "   |".to_string()
        };
        let _ = writeln!(out, "{line_note}  {pc:04}  {}", show(op, p));
    }
}

/// One instruction, with constants shown by value.
fn show(op: &Op, p: &Proto) -> String {
    let k = |i: &u32| p.consts.get(*i as usize).map(inspect).unwrap_or_else(|| "?".into());
    match op {
        Op::Const { dst, k: i } => format!("const      R{dst} = {}", k(i)),
        Op::TestConst { src, k: i, fail } => format!("test_const R{src} === {} else -> {fail:04}", k(i)),
        Op::CallGlobal { dst, name, start, argc } => {
            format!("call_global R{dst} = {}/{argc}(R{start}..)", k(name))
        }
        Op::TailCallGlobal { name, start, argc } => format!("tail_call_global {}/{argc}(R{start}..)", k(name)),
        Op::CallBuiltin { dst, id, start, argc } => {
            let name = crate::vm::builtins()
                .get(*id)
                .map(|b| if b.module.is_empty() { b.name.to_string() } else { format!("{}.{}", b.module, b.name) })
                .unwrap_or_else(|| format!("#{id}"));
            format!("call_builtin R{dst} = {name}/{argc}(R{start}..)")
        }
        Op::GlobalFun { dst, name, arity } => format!("global_fun R{dst} = &{}/{arity}", k(name)),
        other => format!("{other:?}"),
    }
}
