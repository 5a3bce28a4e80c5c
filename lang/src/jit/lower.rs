//! Bytecode to Cranelift IR, one instruction at a time, for the functions
//! `eligible` accepts. Each instruction gets a block; the registers stay in
//! memory (the window `w`), so the interpreter can take over at any block.

use super::helpers::{jit_grow_frames, jit_grow_regs, jit_set_int, Stacks};
use crate::bytecode::{Cmp, Op, Proto};
use crate::vm::fiber::Frame;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, SigRef, Signature, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use snow_runtime::term::layout;
use std::mem::{offset_of, size_of};

// Where native code finds the stacks' parts.
const FRAMES: i32 = offset_of!(Stacks, frames) as i32;
const FRAMES_LEN: i32 = offset_of!(Stacks, frames_len) as i32;
const FRAMES_CAP: i32 = offset_of!(Stacks, frames_cap) as i32;
const REGS: i32 = offset_of!(Stacks, regs) as i32;
const REGS_LEN: i32 = offset_of!(Stacks, regs_len) as i32;
const RET: i32 = offset_of!(Stacks, ret) as i32;
const REDS: i32 = offset_of!(Stacks, reds) as i32;
const STACK_LIMIT: i32 = offset_of!(Stacks, stack_limit) as i32;
const FRAME_SIZE: i64 = size_of::<Frame>() as i64;
const FRAME_PROTO: i32 = offset_of!(Frame, proto) as i32;
const FRAME_RESUME: i32 = offset_of!(Frame, resume) as i32;
const FRAME_BASE: i32 = offset_of!(Frame, base) as i32;
const FRAME_DST: i32 = offset_of!(Frame, dst) as i32;

/// Whether every instruction of `proto` is one the native code handles
/// (or bails on). Closures' bodies are never entered natively (only
/// `Call`/`TailCall` of a named function enter native code), so they are
/// not compiled.
pub(super) fn eligible(proto: &Proto) -> bool {
    proto.ncaptured == 0
        && !proto.code.is_empty()
        && proto.code.iter().all(|op| {
            matches!(
                op,
                Op::Move { .. }
                    | Op::Int { .. }
                    | Op::AddImm { .. }
                    | Op::Add { .. }
                    | Op::Sub { .. }
                    | Op::Mul { .. }
                    | Op::TestCmpImm { .. }
                    | Op::TestCmp { .. }
                    | Op::TestInt { .. }
                    | Op::Jump { .. }
                    | Op::Call { .. }
                    | Op::CallAddImm { .. }
                    | Op::TailCall { .. }
                    | Op::Return { .. }
                    | Op::ReturnInt { .. }
                    | Op::ReturnIfInt { .. }
                    | Op::ReturnIfInt2 { .. }
                    | Op::ReturnAdd { .. }
                    | Op::FunctionClause
                    | Op::CaseClause { .. }
                    | Op::CondClause
                    | Op::Badmatch { .. }
            )
        })
}

pub(super) struct Lowerer {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
}

#[derive(Debug)]
pub(super) struct LowerError(#[allow(dead_code)] String);

fn err(e: impl std::fmt::Display) -> LowerError {
    LowerError(e.to_string())
}

impl Lowerer {
    pub(super) fn new() -> Result<Lowerer, LowerError> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(err)?;
        let isa = cranelift_native::builder().map_err(err)?.finish(settings::Flags::new(flags)).map_err(err)?;
        let module = JITModule::new(JITBuilder::with_isa(isa, cranelift_module::default_libcall_names()));
        let ctx = module.make_context();
        Ok(Lowerer { module, ctx, fctx: FunctionBuilderContext::new() })
    }

    /// Compiles `proto` (eligible, verified); its entry point.
    pub(super) fn compile(&mut self, proto: &'static Proto) -> Result<*mut u8, LowerError> {
        let ptr = self.module.target_config().pointer_type();
        let mut native = self.module.make_signature();
        native.params.extend([AbiParam::new(ptr), AbiParam::new(ptr)]);
        native.returns.push(AbiParam::new(types::I32));
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = native.clone();
        let sigs = Sigs::new(&self.module, ptr, native);
        let id = self.module.declare_anonymous_function(&self.ctx.func.signature).map_err(err)?;
        // Calls to itself are direct.
        let itself = self.module.declare_func_in_func(id, &mut self.ctx.func);
        {
            let b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            Translator::new(b, proto, ptr, sigs, itself).translate(self.module.target_config());
        }
        self.module.define_function(id, &mut self.ctx).map_err(err)?;
        self.module.clear_context(&mut self.ctx);
        self.module.finalize_definitions().map_err(err)?;
        Ok(self.module.get_finalized_function(id) as *mut u8)
    }
}

/// The signatures of what native code calls: the helpers and itself.
struct Sigs {
    grow_frames: Signature,
    grow_regs: Signature,
    set_int: Signature,
    native: Signature,
}

impl Sigs {
    fn new(module: &JITModule, ptr: types::Type, native: Signature) -> Sigs {
        let sig = |params: &[types::Type], ret: Option<types::Type>| {
            let mut s = module.make_signature();
            s.params.extend(params.iter().map(|t| AbiParam::new(*t)));
            s.returns.extend(ret.map(AbiParam::new));
            s
        };
        Sigs {
            grow_frames: sig(&[ptr], None),
            grow_regs: sig(&[ptr, ptr], None),
            set_int: sig(&[ptr, types::I64], None),
            native,
        }
    }
}

struct Refs {
    grow_frames: SigRef,
    grow_regs: SigRef,
    set_int: SigRef,
    native: SigRef,
}

/// Tags that own nothing, as a bit set (`layout::owns_nothing`).
const SCALAR_TAGS: i64 = (1 << layout::INT)
    | (1 << layout::FLOAT)
    | (1 << layout::ATOM)
    | (1 << layout::NIL)
    | (1 << layout::PID)
    | (1 << layout::REF);

struct Translator<'a> {
    b: FunctionBuilder<'a>,
    proto: &'static Proto,
    ptr: types::Type,
    refs: Refs,
    /// One block per instruction.
    blocks: Vec<Block>,
    /// Instructions something jumps to (what is known about the registers
    /// is forgotten there).
    targets: Vec<bool>,
    /// Registers known to hold an integer, with its value when at hand.
    known: Vec<Option<Option<Value>>>,
    /// The window: moves when the register stack grows during a call.
    w: Variable,
    stacks: Value,
    itself: FuncRef,
    /// The frame count at entry (this function's frame on top), its window's
    /// first register and that register's byte offset: fixed for the whole
    /// activation (a tail call to itself keeps its frame).
    n0: Value,
    base: Value,
    w_offset: Value,
    /// Byte offset of this function's frame in the frame stack.
    top_offset: Value,
    mem: MemFlagsData,
}

impl<'a> Translator<'a> {
    fn new(mut b: FunctionBuilder<'a>, proto: &'static Proto, ptr: types::Type, sigs: Sigs, itself: FuncRef) -> Translator<'a> {
        let refs = Refs {
            grow_frames: b.import_signature(sigs.grow_frames),
            grow_regs: b.import_signature(sigs.grow_regs),
            set_int: b.import_signature(sigs.set_int),
            native: b.import_signature(sigs.native),
        };
        // Registers, the stacks, the budget and the code cells are valid,
        // aligned memory that nothing else touches meanwhile.
        let mem = MemFlagsData::trusted();
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let stacks = params[0];
        let w = b.declare_var(ptr);
        b.def_var(w, params[1]);
        let n0 = b.ins().load(ptr, mem, stacks, FRAMES_LEN);
        let top_offset = b.ins().imul_imm_s(n0, FRAME_SIZE);
        let top_offset = b.ins().iadd_imm_s(top_offset, -FRAME_SIZE);
        let frames = b.ins().load(ptr, mem, stacks, FRAMES);
        let top = b.ins().iadd(frames, top_offset);
        let base = b.ins().load(types::I32, mem, top, FRAME_BASE);
        let base = b.ins().uextend(ptr, base);
        let w_offset = b.ins().imul_imm_s(base, layout::SIZE as i64);
        let blocks = (0..proto.code.len()).map(|_| b.create_block()).collect::<Vec<_>>();
        let mut targets = vec![false; proto.code.len()];
        targets[0] = true;
        for op in &proto.code {
            let mut op = *op;
            op.for_each_label(|l| {
                if let Some(t) = targets.get_mut(*l as usize) {
                    *t = true;
                }
            });
        }
        let mut t = Translator {
            b,
            proto,
            ptr,
            refs,
            blocks,
            targets,
            known: vec![None; proto.nregs as usize],
            w,
            stacks,
            itself,
            n0,
            base,
            w_offset,
            top_offset,
            mem,
        };
        t.make_room();
        let first = t.blocks[0];
        t.b.ins().jump(first, &[]);
        t
    }

    /// At entry, room for every call this function makes: a frame more in
    /// the frame stack, the largest callee window in the register stack
    /// (grown out of line when short; the window moves then).
    fn make_room(&mut self) {
        let mut need = None;
        for op in &self.proto.code {
            let site = match *op {
                Op::Call { proto: idx, start, .. } => Some((idx, start)),
                Op::CallAddImm { proto: idx, start, .. } => Some((idx as u32, start)),
                _ => None,
            };
            if let Some((idx, start)) = site {
                // SAFETY: the verifier proved `idx` names a function of the module.
                let callee = unsafe { self.proto.sibling(idx) };
                let end = start as i64 + callee.nregs as i64;
                need = Some(need.map_or(end, |n: i64| n.max(end)));
            }
        }
        let Some(need) = need else { return };
        let need = self.b.ins().iadd_imm_s(self.base, need);
        let regs_len = self.b.ins().load(self.ptr, self.mem, self.stacks, REGS_LEN);
        let fits = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, regs_len, need);
        let grow = self.cold_call_block(|t| {
            let f = t.b.ins().iconst(t.ptr, jit_grow_regs as *const () as usize as i64);
            t.b.ins().call_indirect(t.refs.grow_regs, f, &[t.stacks, need]);
            let regs = t.b.ins().load(t.ptr, t.mem, t.stacks, REGS);
            let w = t.b.ins().iadd(regs, t.w_offset);
            t.b.def_var(t.w, w);
        });
        self.branch_unless(fits, grow);
        let cap = self.b.ins().load(self.ptr, self.mem, self.stacks, FRAMES_CAP);
        let room = self.b.ins().icmp(IntCC::UnsignedLessThan, self.n0, cap);
        let grow = self.cold_call_block(|t| {
            let f = t.b.ins().iconst(t.ptr, jit_grow_frames as *const () as usize as i64);
            t.b.ins().call_indirect(t.refs.grow_frames, f, &[t.stacks]);
        });
        self.branch_unless(room, grow);
    }

    fn translate(mut self, target: cranelift_codegen::isa::TargetFrontendConfig) {
        for pc in 0..self.proto.code.len() {
            if self.targets[pc] {
                self.forget();
            }
            self.b.switch_to_block(self.blocks[pc]);
            self.op(pc);
            if crate::verify::ends_flow(&self.proto.code[pc]) {
                self.forget();
            }
        }
        self.b.seal_all_blocks();
        self.b.finalize(target);
    }

    fn forget(&mut self) {
        self.known.iter_mut().for_each(|k| *k = None);
    }

    /// Address of instruction `pc` (a frame's resume point).
    fn op_addr(&mut self, pc: usize) -> Value {
        let a = self.proto.code.as_ptr().wrapping_add(pc) as i64;
        self.b.ins().iconst(self.ptr, a)
    }

    fn reg_addr(&mut self, r: u16) -> Value {
        let w = self.b.use_var(self.w);
        self.b.ins().iadd_imm_s(w, r as i64 * layout::SIZE as i64)
    }

    /// This function's frame.
    fn top_frame(&mut self) -> Value {
        let frames = self.b.ins().load(self.ptr, self.mem, self.stacks, FRAMES);
        self.b.ins().iadd(frames, self.top_offset)
    }

    /// A cold block that bails before instruction `pc`: this function's
    /// frame resumes there, and every native activation returns 0.
    fn bail_block(&mut self, pc: usize) -> Block {
        let here = self.b.current_block();
        let bail = self.b.create_block();
        self.b.set_cold_block(bail);
        self.b.switch_to_block(bail);
        let top = self.top_frame();
        let at = self.op_addr(pc);
        self.b.ins().store(self.mem, at, top, FRAME_RESUME);
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().return_(&[zero]);
        if let Some(here) = here {
            self.b.switch_to_block(here);
        }
        bail
    }

    /// Continues in a new block when `cond` holds, else goes to `otherwise`.
    fn expect(&mut self, cond: Value, otherwise: Block) {
        let next = self.b.create_block();
        self.b.ins().brif(cond, next, &[], otherwise, &[]);
        self.b.switch_to_block(next);
    }

    /// The integer in register `r`, or a bail before `pc`.
    fn int(&mut self, r: u16, pc: usize) -> Value {
        match self.known[r as usize] {
            Some(Some(v)) => return v,
            Some(None) => {}
            None => {
                let a = self.reg_addr(r);
                let tag = self.b.ins().load(types::I32, self.mem, a, layout::TAG_OFFSET);
                let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, layout::INT as i64);
                let bail = self.bail_block(pc);
                self.expect(is_int, bail);
            }
        }
        let a = self.reg_addr(r);
        let v = self.b.ins().load(types::I64, self.mem, a, layout::VALUE_OFFSET);
        self.known[r as usize] = Some(Some(v));
        v
    }

    /// `x <op> y`, or a bail before `pc` on overflow.
    fn checked(&mut self, op: &Op, x: Value, y: Value, pc: usize) -> Value {
        let (v, overflow) = match op {
            Op::Sub { .. } => self.b.ins().ssub_overflow(x, y),
            Op::Mul { .. } => self.b.ins().smul_overflow(x, y),
            _ => self.b.ins().sadd_overflow(x, y),
        };
        let bail = self.bail_block(pc);
        let fine = self.b.create_block();
        self.b.ins().brif(overflow, bail, &[], fine, &[]);
        self.b.switch_to_block(fine);
        v
    }

    /// Writes integer `v` to register `r` — the last thing an instruction
    /// does (nothing may be written before a bail). A register holding a
    /// term that owns something would need its destructor: bail, and the
    /// interpreter writes it.
    fn set_int(&mut self, r: u16, v: Value, pc: usize) {
        let a = self.reg_addr(r);
        if self.known[r as usize].is_none() {
            let scalar = self.owns_nothing(a);
            let bail = self.bail_block(pc);
            self.expect(scalar, bail);
            let int_tag = self.b.ins().iconst(types::I32, layout::INT as i64);
            self.b.ins().store(self.mem, int_tag, a, layout::TAG_OFFSET);
        }
        self.b.ins().store(self.mem, v, a, layout::VALUE_OFFSET);
        self.known[r as usize] = Some(Some(v));
    }

    /// Whether the term at `a` owns nothing (nonzero) or something (zero).
    fn owns_nothing(&mut self, a: Value) -> Value {
        let tag = self.b.ins().load(types::I32, self.mem, a, layout::TAG_OFFSET);
        let bits = self.b.ins().iconst(types::I32, SCALAR_TAGS);
        let shifted = self.b.ins().ushr(bits, tag);
        self.b.ins().band_imm_u(shifted, 1)
    }

    /// Spends one reduction, or bails before `pc` when none is left.
    fn spend(&mut self, pc: usize) {
        let left = self.b.ins().load(types::I32, self.mem, self.stacks, REDS);
        let bail = self.bail_block(pc);
        self.expect(left, bail);
        let less = self.b.ins().iadd_imm_s(left, -1);
        self.b.ins().store(self.mem, less, self.stacks, REDS);
    }

    /// Returns the integer `v`: leaves it for the caller and pops this
    /// frame. From the fiber's bottom frame it bails: the interpreter ends
    /// the fiber.
    fn ret_int(&mut self, v: Value, pc: usize) {
        let bail = self.bail_block(pc);
        let has_caller = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, self.n0, 2);
        self.expect(has_caller, bail);
        self.b.ins().store(self.mem, v, self.stacks, RET);
        let less = self.b.ins().iadd_imm_s(self.n0, -1);
        self.b.ins().store(self.mem, less, self.stacks, FRAMES_LEN);
        let one = self.b.ins().iconst(types::I32, 1);
        self.b.ins().return_(&[one]);
    }

    fn next(&mut self, pc: usize) {
        self.b.ins().jump(self.blocks[pc + 1], &[]);
    }

    /// A call of sibling `idx` on the window at `start`, after the checks
    /// that might bail; `prepare` writes the last argument, if any.
    fn call(&mut self, pc: usize, dst: u16, idx: u32, start: u16, prepare: impl FnOnce(&mut Self) -> Option<Value>) {
        // SAFETY: the verifier proved `idx` names a function of the module.
        let callee: &'static Proto = unsafe { self.proto.sibling(idx) };
        let bail = self.bail_block(pc);
        // Another function may not be compiled (yet): then the interpreter
        // makes the call.
        let code = if std::ptr::eq(callee, self.proto) {
            None
        } else {
            let cell = self.b.ins().iconst(self.ptr, callee.jit.state_cell() as i64);
            let code = self.b.ins().load(self.ptr, self.mem, cell, 0);
            // Native code: an even, non-zero state (`Slot`).
            let odd = self.b.ins().band_imm_u(code, 1);
            let counting = self.b.ins().icmp_imm_u(IntCC::NotEqual, odd, 0);
            let never = self.b.ins().icmp_imm_u(IntCC::Equal, code, 0);
            let not_native = self.b.ins().bor(counting, never);
            let native = self.b.create_block();
            self.b.ins().brif(not_native, bail, &[], native, &[]);
            self.b.switch_to_block(native);
            Some(code)
        };
        // Deep native recursion goes on in the interpreter, whose frames
        // are on the heap: the machine stack is not the process's limit.
        let sp = self.b.ins().get_stack_pointer(self.ptr);
        let limit = self.b.ins().load(self.ptr, self.mem, self.stacks, STACK_LIMIT);
        let shallow = self.b.ins().icmp(IntCC::UnsignedGreaterThan, sp, limit);
        self.expect(shallow, bail);
        let left = self.b.ins().load(types::I32, self.mem, self.stacks, REDS);
        self.expect(left, bail);
        let arg = prepare(self);
        let less = self.b.ins().iadd_imm_s(left, -1);
        self.b.ins().store(self.mem, less, self.stacks, REDS);
        let after = self.b.create_block();
        self.answer_from_head(callee, start, arg, dst, after);
        let new_base = self.b.ins().iadd_imm_s(self.base, start as i64);
        // Push: this frame resumes after the call; the callee's frame.
        let top = self.top_frame();
        let resume = self.op_addr(pc + 1);
        self.b.ins().store(self.mem, resume, top, FRAME_RESUME);
        let callee_v = self.b.ins().iconst(self.ptr, callee as *const Proto as i64);
        self.b.ins().store(self.mem, callee_v, top, FRAME_SIZE as i32 + FRAME_PROTO);
        let entry = self.b.ins().iconst(self.ptr, callee.code.as_ptr() as i64);
        self.b.ins().store(self.mem, entry, top, FRAME_SIZE as i32 + FRAME_RESUME);
        let base32 = self.b.ins().ireduce(types::I32, new_base);
        self.b.ins().store(self.mem, base32, top, FRAME_SIZE as i32 + FRAME_BASE);
        let dst_v = self.b.ins().iconst(types::I16, dst as i64);
        self.b.ins().store(self.mem, dst_v, top, FRAME_SIZE as i32 + FRAME_DST);
        let more = self.b.ins().iadd_imm_s(self.n0, 1);
        self.b.ins().store(self.mem, more, self.stacks, FRAMES_LEN);
        let regs = self.b.ins().load(self.ptr, self.mem, self.stacks, REGS);
        let w = self.b.ins().iadd(regs, self.w_offset);
        let new_w = self.b.ins().iadd_imm_s(w, start as i64 * layout::SIZE as i64);
        let c = match code {
            Some(code) => self.b.ins().call_indirect(self.refs.native, code, &[self.stacks, new_w]),
            None => self.b.ins().call(self.itself, &[self.stacks, new_w]),
        };
        let status = self.b.inst_results(c)[0];
        // The callee bailed: so does every native activation under it.
        let stop = self.b.create_block();
        self.b.set_cold_block(stop);
        let back = self.b.create_block();
        self.b.ins().brif(status, back, &[], stop, &[]);
        self.b.switch_to_block(stop);
        let zero = self.b.ins().iconst(types::I32, 0);
        self.b.ins().return_(&[zero]);
        // It returned (its frame is popped): the result goes to `dst`. The
        // call is done, so no bail from here on: a term that owns something
        // is overwritten out of line.
        self.b.switch_to_block(back);
        let regs = self.b.ins().load(self.ptr, self.mem, self.stacks, REGS);
        let w = self.b.ins().iadd(regs, self.w_offset);
        self.b.def_var(self.w, w);
        let v = self.b.ins().load(types::I64, self.mem, self.stacks, RET);
        for k in self.known.iter_mut().skip(start as usize) {
            *k = None; // the callee's window
        }
        self.write_result(dst, v);
        self.b.ins().jump(after, &[]);
        self.b.switch_to_block(after);
        self.known[dst as usize] = Some(None);
        self.next(pc);
    }

    /// When the callee starts by returning a literal for literal arguments
    /// (`fn fib(0) = 0`) and the argument is one of them, the answer goes
    /// straight to `dst` and on to `after`: what the call would have done
    /// in the end, without the frame that nothing could have seen.
    fn answer_from_head(&mut self, callee: &'static Proto, start: u16, arg: Option<Value>, dst: u16, after: Block) {
        let (src, cases): (u16, Vec<(i64, i64)>) = match callee.code.first() {
            Some(&Op::ReturnIfInt { src, v, ret }) => (src, vec![(v as i64, ret as i64)]),
            Some(&Op::ReturnIfInt2 { src, v, ret, v2, ret2 }) => {
                (src, vec![(v as i64, ret as i64), (v2 as i64, ret2 as i64)])
            }
            _ => return,
        };
        // The argument's value: at hand, or read when it is an integer.
        let v = match (src, arg) {
            (0, Some(v)) => v,
            _ => {
                let r = start + src;
                match self.known.get(r as usize) {
                    Some(Some(Some(v))) => *v,
                    _ => {
                        let a = self.reg_addr(r);
                        let tag = self.b.ins().load(types::I32, self.mem, a, layout::TAG_OFFSET);
                        let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, layout::INT as i64);
                        let read = self.b.create_block();
                        let call = self.b.create_block();
                        self.b.ins().brif(is_int, read, &[], call, &[]);
                        self.b.switch_to_block(read);
                        let v = self.b.ins().load(types::I64, self.mem, a, layout::VALUE_OFFSET);
                        self.answer_cases(v, &cases, dst, after);
                        self.b.ins().jump(call, &[]);
                        self.b.switch_to_block(call);
                        return;
                    }
                }
            }
        };
        self.answer_cases(v, &cases, dst, after);
    }

    fn answer_cases(&mut self, v: Value, cases: &[(i64, i64)], dst: u16, after: Block) {
        for &(when, ret) in cases {
            let hit = self.b.create_block();
            let miss = self.b.create_block();
            let eq = self.b.ins().icmp_imm_s(IntCC::Equal, v, when);
            self.b.ins().brif(eq, hit, &[], miss, &[]);
            self.b.switch_to_block(hit);
            let r = self.b.ins().iconst(types::I64, ret);
            self.write_result(dst, r);
            self.b.ins().jump(after, &[]);
            self.b.switch_to_block(miss);
        }
    }

    /// Writes a finished call's integer result `v` to `dst`: no bail from
    /// here on, so a term that owns something is overwritten out of line.
    fn write_result(&mut self, dst: u16, v: Value) {
        let a = self.reg_addr(dst);
        if self.known[dst as usize].is_none() {
            let scalar = self.owns_nothing(a);
            let (cold, join) = self.cold_call_block(|t| {
                let f = t.b.ins().iconst(t.ptr, jit_set_int as *const () as usize as i64);
                t.b.ins().call_indirect(t.refs.set_int, f, &[a, v]);
            });
            let fast = self.b.create_block();
            self.b.ins().brif(scalar, fast, &[], cold, &[]);
            self.b.switch_to_block(fast);
            let int_tag = self.b.ins().iconst(types::I32, layout::INT as i64);
            self.b.ins().store(self.mem, int_tag, a, layout::TAG_OFFSET);
            self.b.ins().store(self.mem, v, a, layout::VALUE_OFFSET);
            self.b.ins().jump(join, &[]);
            self.b.switch_to_block(join);
        } else {
            self.b.ins().store(self.mem, v, a, layout::VALUE_OFFSET);
        }
    }

    /// A cold block running `body`, then on to a join block; both returned
    /// for `branch_unless`.
    fn cold_call_block(&mut self, body: impl FnOnce(&mut Self)) -> (Block, Block) {
        let here = self.b.current_block();
        let cold = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.switch_to_block(cold);
        body(self);
        self.b.ins().jump(join, &[]);
        if let Some(here) = here {
            self.b.switch_to_block(here);
        }
        (cold, join)
    }

    /// Goes on to `join` when `cond` holds, through `cold` first when not.
    fn branch_unless(&mut self, cond: Value, (cold, join): (Block, Block)) {
        self.b.ins().brif(cond, join, &[], cold, &[]);
        self.b.switch_to_block(join);
    }

    fn test(&mut self, cmp: Cmp, x: Value, y: Value, fail: u32, pc: usize) {
        let cc = match cmp {
            Cmp::Lt => IntCC::SignedLessThan,
            Cmp::Le => IntCC::SignedLessThanOrEqual,
            Cmp::Gt => IntCC::SignedGreaterThan,
            Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
            Cmp::Eq | Cmp::StrictEq => IntCC::Equal,
            Cmp::Ne | Cmp::StrictNe => IntCC::NotEqual,
        };
        let holds = self.b.ins().icmp(cc, x, y);
        self.b.ins().brif(holds, self.blocks[pc + 1], &[], self.blocks[fail as usize], &[]);
    }

    /// Returns `ret` when register `src` holds the integer `when`, for each
    /// case; else on to the next instruction. A register that holds no
    /// integer bails (the interpreter goes on to the next instruction), so
    /// what comes next knows it holds one.
    fn return_if(&mut self, src: u16, cases: &[(i64, i64)], pc: usize) {
        let v = self.int(src, pc);
        for &(when, ret) in cases {
            let hit = self.b.create_block();
            let miss = self.b.create_block();
            let eq = self.b.ins().icmp_imm_s(IntCC::Equal, v, when);
            self.b.ins().brif(eq, hit, &[], miss, &[]);
            self.b.switch_to_block(hit);
            let r = self.b.ins().iconst(types::I64, ret);
            self.ret_int(r, pc);
            self.b.switch_to_block(miss);
        }
        self.next(pc);
    }

    /// Goes to the interpreter before instruction `pc`.
    fn bail_here(&mut self, pc: usize) {
        let bail = self.bail_block(pc);
        self.b.ins().jump(bail, &[]);
    }

    fn op(&mut self, pc: usize) {
        match self.proto.code[pc] {
            Op::Move { dst, src } => {
                let v = self.int(src, pc);
                self.set_int(dst, v, pc);
                self.next(pc);
            }
            Op::Int { dst, v } => {
                let v = self.b.ins().iconst(types::I64, v as i64);
                self.set_int(dst, v, pc);
                self.next(pc);
            }
            Op::AddImm { dst, a, imm } => {
                let x = self.int(a, pc);
                let y = self.b.ins().iconst(types::I64, imm as i64);
                let v = self.checked(&Op::Add { dst, a, b: a }, x, y, pc);
                self.set_int(dst, v, pc);
                self.next(pc);
            }
            op @ (Op::Add { dst, a, b } | Op::Sub { dst, a, b } | Op::Mul { dst, a, b }) => {
                let x = self.int(a, pc);
                let y = self.int(b, pc);
                let v = self.checked(&op, x, y, pc);
                self.set_int(dst, v, pc);
                self.next(pc);
            }
            Op::TestCmpImm { cmp, a, imm, fail } => {
                let x = self.int(a, pc);
                let y = self.b.ins().iconst(types::I64, imm as i64);
                self.test(cmp, x, y, fail, pc);
            }
            Op::TestCmp { cmp, a, b, fail } => {
                let x = self.int(a, pc);
                let y = self.int(b, pc);
                self.test(cmp, x, y, fail, pc);
            }
            Op::TestInt { src, v, fail } => {
                let a = self.reg_addr(src);
                if self.known[src as usize].is_none() {
                    let tag = self.b.ins().load(types::I32, self.mem, a, layout::TAG_OFFSET);
                    let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, tag, layout::INT as i64);
                    self.expect(is_int, self.blocks[fail as usize]);
                }
                let x = self.b.ins().load(types::I64, self.mem, a, layout::VALUE_OFFSET);
                let eq = self.b.ins().icmp_imm_s(IntCC::Equal, x, v as i64);
                self.b.ins().brif(eq, self.blocks[pc + 1], &[], self.blocks[fail as usize], &[]);
            }
            Op::Jump { target } => {
                if (target as usize) <= pc {
                    // A loop's turn spends a reduction, as in the interpreter.
                    self.spend(pc);
                }
                self.b.ins().jump(self.blocks[target as usize], &[]);
            }
            Op::Call { dst, proto: idx, start, .. } => self.call(pc, dst, idx, start, |_| None),
            Op::CallAddImm { dst, proto: idx, start, a, imm } => {
                // The checks first: nothing may be written before a bail.
                let x = self.int(a, pc);
                let y = self.b.ins().iconst(types::I64, imm as i64);
                let v = self.checked(&Op::Add { dst, a, b: a }, x, y, pc);
                self.call(pc, dst, idx as u32, start, |t| {
                    t.set_int(start, v, pc);
                    Some(v)
                });
            }
            Op::TailCall { proto: idx, start, argc } if idx == self.proto.index => {
                self.spend(pc);
                if start != 0 {
                    // The arguments move down to the window's start, swapped
                    // word by word as the interpreter swaps terms.
                    for i in 0..argc {
                        let lo = self.reg_addr(i);
                        let hi = self.reg_addr(start + i);
                        for word in 0..(layout::SIZE as i32 / 8) {
                            let x = self.b.ins().load(types::I64, self.mem, lo, word * 8);
                            let y = self.b.ins().load(types::I64, self.mem, hi, word * 8);
                            self.b.ins().store(self.mem, y, lo, word * 8);
                            self.b.ins().store(self.mem, x, hi, word * 8);
                        }
                    }
                }
                self.b.ins().jump(self.blocks[0], &[]);
            }
            Op::Return { src } => {
                let v = self.int(src, pc);
                self.ret_int(v, pc);
            }
            Op::ReturnInt { v } => {
                let v = self.b.ins().iconst(types::I64, v as i64);
                self.ret_int(v, pc);
            }
            Op::ReturnIfInt { src, v, ret } => self.return_if(src, &[(v as i64, ret as i64)], pc),
            Op::ReturnIfInt2 { src, v, ret, v2, ret2 } => {
                self.return_if(src, &[(v as i64, ret as i64), (v2 as i64, ret2 as i64)], pc)
            }
            Op::ReturnAdd { a, b } => {
                let x = self.int(a, pc);
                let y = self.int(b, pc);
                let v = self.checked(&Op::Add { dst: 0, a, b }, x, y, pc);
                self.ret_int(v, pc);
            }
            // A tail call of another function (the interpreter replaces the
            // frame), errors, and anything else: the interpreter's.
            _ => self.bail_here(pc),
        }
    }
}
