//! The interpreter on hand-built code: shapes the compiler does not emit
//! today but the verifier accepts (code can arrive from another node), so
//! the hot loop must get them right too. Inside the crate: only `snow-lang`
//! can build a `Proto` (that is what keeps unverified code out of the
//! interpreter), and these tests build them instruction by instruction.

use crate::bytecode::{Module, Op, Proto, RawModule};
use crate::verify::VerifyError;
use crate::vm::{report, Fiber, Outcome};
use snow_runtime::{Runtime, Term};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::with_schedulers(1))
}

pub(crate) fn proto(name: &str, arity: u16, index: u32, nregs: u16, code: Vec<Op>, consts: Vec<Term>) -> Proto {
    let mut p = Proto::new(name.into(), arity, index);
    p.nregs = nregs;
    p.spans = vec![0..0; code.len()];
    p.code = code;
    p.consts = consts;
    p
}

pub(crate) fn load(protos: Vec<Proto>) -> Result<&'static Module, VerifyError> {
    Module::load(RawModule { file: Arc::from("hand.snow"), source: Arc::from(""), protos, namespace: None })
}

/// Runs function 0 of `m` as a process; its value or its error report.
pub(crate) fn run(m: &'static Module) -> Result<Term, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let fiber = Fiber::new(m, Vec::new()).on_finish(Box::new(move |o: &Outcome| {
        let _ = tx.send(match o {
            Outcome::Returned(t) => Ok(t.clone()),
            Outcome::Raised(f) => Err(report::error_report(f)),
        });
    }));
    runtime().spawn(Box::new(fiber));
    rx.recv_timeout(Duration::from_secs(10)).expect("the process finished")
}

/// `id(x) = x`, as function 1.
fn identity() -> Proto {
    proto("id", 1, 1, 1, vec![Op::Return { src: 0 }], vec![])
}

#[test]
fn a_result_may_land_in_the_register_it_came_from() {
    // The callee's window starts at the caller's R1, and the result goes to
    // R1 too: the returned register and the destination are one register.
    for value in [Term::Int(7), Term::str("shared")] {
        let main = proto(
            "main",
            0,
            0,
            2,
            vec![
                Op::Const { dst: 1, k: 0 },
                Op::Call { dst: 1, proto: 1, start: 1, argc: 1 },
                Op::Return { src: 1 },
            ],
            vec![value.clone()],
        );
        let m = load(vec![main, identity()]).expect("verifies");
        assert_eq!(run(m), Ok(value));
    }
}

#[test]
fn float_arithmetic_may_overwrite_an_operand() {
    // R0 = R0 + R1 and R0 = R0 * R0 off the integer fast path.
    let main = proto(
        "main",
        0,
        0,
        2,
        vec![
            Op::Const { dst: 0, k: 0 },
            Op::Int { dst: 1, v: 2 },
            Op::Add { dst: 0, a: 0, b: 1 },
            Op::Mul { dst: 0, a: 0, b: 0 },
            Op::Return { src: 0 },
        ],
        vec![Term::Float(1.5)],
    );
    let m = load(vec![main]).expect("verifies");
    assert!(matches!(run(m), Ok(Term::Float(f)) if f == 12.25));
}

#[test]
fn literal_returns_reach_the_caller_and_the_end() {
    let main = proto(
        "main",
        0,
        0,
        3,
        vec![
            Op::Call { dst: 0, proto: 1, start: 2, argc: 0 },
            Op::Call { dst: 1, proto: 2, start: 2, argc: 0 },
            Op::Tuple { dst: 2, start: 0, n: 2 },
            Op::Return { src: 2 },
        ],
        vec![],
    );
    let int = proto("int", 0, 1, 0, vec![Op::ReturnInt { v: -3 }], vec![]);
    let atom = proto("atom", 0, 2, 0, vec![Op::ReturnConst { k: 0 }], vec![Term::OK]);
    let m = load(vec![main, int, atom]).expect("verifies");
    assert_eq!(run(m), Ok(Term::tuple(vec![Term::Int(-3), Term::OK])));
    // From the bottom frame, the literal is the process's value.
    let alone = load(vec![proto("alone", 0, 0, 0, vec![Op::ReturnInt { v: 42 }], vec![])]).expect("verifies");
    assert_eq!(run(alone), Ok(Term::Int(42)));
}

#[test]
fn the_verifier_refuses_what_the_fast_paths_rely_on() {
    // A function numbered other than its position (callees are found by offset).
    let misnumbered = load(vec![proto("main", 0, 0, 0, vec![Op::ReturnInt { v: 1 }], vec![]), {
        let mut p = identity();
        p.index = 5;
        p
    }]);
    assert!(misnumbered.is_err());
    // A call past the module's last function.
    let past_end = load(vec![proto(
        "main",
        0,
        0,
        1,
        vec![Op::Call { dst: 0, proto: 1, start: 0, argc: 0 }, Op::Return { src: 0 }],
        vec![],
    )]);
    assert!(past_end.is_err());
    // A literal return of a constant that does not exist.
    assert!(load(vec![proto("main", 0, 0, 0, vec![Op::ReturnConst { k: 0 }], vec![])]).is_err());
    // A module without its top level (`Fiber::new` runs function 0).
    assert!(load(vec![]).is_err());
}

#[test]
fn an_error_in_a_guard_goes_to_its_fail_label() {
    let main = proto(
        "main",
        0,
        0,
        1,
        vec![
            Op::GuardEnter { fail: 3 },
            Op::Const { dst: 0, k: 0 },
            Op::Add { dst: 0, a: 0, b: 0 },
            Op::ReturnInt { v: 42 },
        ],
        vec![Term::atom("a")],
    );
    assert_eq!(run(load(vec![main]).expect("verifies")), Ok(Term::Int(42)));
}

#[test]
fn a_guard_handler_of_a_replaced_frame_is_never_used() {
    // Code from elsewhere may tail-call out of a guard: the handler's label
    // belongs to the old function, so the error must stand (a jump there
    // would run another function's code).
    let main = proto(
        "main",
        0,
        0,
        1,
        vec![Op::GuardEnter { fail: 2 }, Op::TailCall { proto: 1, start: 0, argc: 0 }, Op::ReturnInt { v: 42 }],
        vec![],
    );
    let short = proto("short", 0, 1, 1, vec![Op::Const { dst: 0, k: 0 }, Op::Add { dst: 0, a: 0, b: 0 }, Op::Return { src: 0 }], vec![Term::atom("a")]);
    let result = run(load(vec![main, short]).expect("verifies"));
    assert!(matches!(&result, Err(e) if e.contains("badarith")), "{result:?}");
}

#[test]
fn fused_returns_reach_the_caller_and_the_end() {
    // ReturnIfInt falls through when the register holds another value (or
    // the same number as a float), returns its literal when it matches;
    // ReturnAdd returns from the bottom frame too.
    let pick = proto(
        "pick",
        1,
        1,
        1,
        vec![Op::ReturnIfInt { src: 0, v: 7, ret: -1 }, Op::Return { src: 0 }],
        vec![],
    );
    let main = proto(
        "main",
        0,
        0,
        6,
        vec![
            Op::Int { dst: 3, v: 7 },
            Op::Call { dst: 0, proto: 1, start: 3, argc: 1 },
            Op::Int { dst: 3, v: 8 },
            Op::Call { dst: 1, proto: 1, start: 3, argc: 1 },
            Op::Const { dst: 3, k: 0 },
            Op::Call { dst: 2, proto: 1, start: 3, argc: 1 },
            Op::Tuple { dst: 5, start: 0, n: 3 },
            Op::Return { src: 5 },
        ],
        vec![Term::Float(7.0)],
    );
    let m = load(vec![main, pick]).expect("verifies");
    assert_eq!(run(m), Ok(Term::tuple(vec![Term::Int(-1), Term::Int(8), Term::Float(7.0)])));
    let alone = proto(
        "alone",
        0,
        0,
        2,
        vec![Op::Int { dst: 0, v: 40 }, Op::Int { dst: 1, v: 2 }, Op::ReturnAdd { a: 0, b: 1 }],
        vec![],
    );
    assert_eq!(run(load(vec![alone]).expect("verifies")), Ok(Term::Int(42)));
}

#[test]
fn two_fused_literal_heads_return_either_or_fall_through() {
    // pick(R0): 0 -> 10, -3 -> 30, anything else (another integer, the
    // same number as a float, an atom) falls through to `Return R0`.
    let pick = proto(
        "pick",
        1,
        1,
        1,
        vec![Op::ReturnIfInt2 { src: 0, v: 0, ret: 10, v2: -3, ret2: 30 }, Op::Return { src: 0 }],
        vec![],
    );
    let mut code = Vec::new();
    let args = [Op::Int { dst: 6, v: 0 }, Op::Int { dst: 6, v: -3 }, Op::Int { dst: 6, v: 5 }, Op::Const { dst: 6, k: 0 }, Op::Const { dst: 6, k: 1 }];
    for (i, arg) in args.into_iter().enumerate() {
        code.push(arg);
        code.push(Op::Call { dst: i as u16, proto: 1, start: 6, argc: 1 });
    }
    code.push(Op::Tuple { dst: 5, start: 0, n: 5 });
    code.push(Op::Return { src: 5 });
    let main = proto("main", 0, 0, 7, code, vec![Term::Float(0.0), Term::atom("a")]);
    let m = load(vec![main, pick]).expect("verifies");
    let want = Term::tuple(vec![Term::Int(10), Term::Int(30), Term::Int(5), Term::Float(0.0), Term::atom("a")]);
    assert_eq!(run(m), Ok(want));
    // From the bottom frame: the fiber ends with the literal.
    let alone = proto("alone", 0, 0, 1, vec![Op::Int { dst: 0, v: -3 }, Op::ReturnIfInt2 { src: 0, v: 0, ret: 1, v2: -3, ret2: 2 }, Op::Return { src: 0 }], vec![]);
    assert_eq!(run(load(vec![alone]).expect("verifies")), Ok(Term::Int(2)));
}

#[test]
fn a_fused_call_computes_its_argument_then_calls() {
    // R1 = id(R0 + 5) with R0 = 1.5: the float path of the addition.
    let main = proto(
        "main",
        0,
        0,
        2,
        vec![
            Op::Const { dst: 0, k: 0 },
            Op::CallAddImm { dst: 0, proto: 1, start: 1, a: 0, imm: 5 },
            Op::Return { src: 0 },
        ],
        vec![Term::Float(1.5)],
    );
    let m = load(vec![main, identity()]).expect("verifies");
    assert!(matches!(run(m), Ok(Term::Float(f)) if f == 6.5));
    // The verifier checks the callee's arity and the window like Call's.
    let two = proto("two", 2, 1, 2, vec![Op::Return { src: 0 }], vec![]);
    let wrong_arity = proto(
        "main",
        0,
        0,
        2,
        vec![Op::CallAddImm { dst: 0, proto: 1, start: 1, a: 0, imm: 1 }, Op::Return { src: 0 }],
        vec![],
    );
    assert!(load(vec![wrong_arity, two]).is_err());
    let outside = proto(
        "main",
        0,
        0,
        2,
        vec![Op::CallAddImm { dst: 0, proto: 1, start: 2, a: 0, imm: 1 }, Op::Return { src: 0 }],
        vec![],
    );
    assert!(load(vec![outside, identity()]).is_err());
}
