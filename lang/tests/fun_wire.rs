//! Function values on the wire (`lang/src/wire/`): Snow closures round-trip
//! through `etf::encode`/`etf::decode` and run from the loaded copy; the
//! same code loads once; Erlang funs come back byte for byte; hostile bytes
//! never panic; code that fails verification is a decode error.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use snow_lang::bytecode::{Module, Op, Proto, ProtoRef};
use snow_lang::compiler::{compile, Mode, Unit};
use snow_lang::vm::{report, Arity, Builtin, BuiltinImpl, BuiltinTable, Fiber, Namespace, Outcome};
use snow_lang::wire::{install_fun_codec, load_blob, write_blob, MAX_NESTING};
use snow_runtime::dist::etf::{self, DecodeError, EncodeError};
use snow_runtime::inspect::inspect;
use snow_runtime::{Fun, Runtime, Term};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ---- set-up -------------------------------------------------------------------

/// Two natives and one built-in written in Snow (like the prelude's), then
/// the codec. Once per test binary.
fn setup() -> &'static BuiltinTable {
    static T: OnceLock<&'static BuiltinTable> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = BuiltinTable::new();
        t.native("", "twice", Arity::Exact(1), |_, a| match a {
            [Term::Int(i)] => Ok(Term::Int(i * 2)),
            _ => Err(snow_lang::vm::Exception::badarg()),
        });
        t.native("", "thrice", Arity::Exact(1), |_, a| match a {
            [Term::Int(i)] => Ok(Term::Int(i * 3)),
            _ => Err(snow_lang::vm::Exception::badarg()),
        });
        let prelude = "fn list__sum([]) = 0\nfn list__sum([h | t]) = h + list__sum(t)\n";
        let unit = compile_with(prelude, "prelude.snow", &t, Mode::Script);
        let (_, _, sum) = unit.functions[0];
        t.add(Builtin { module: "List", name: "sum", arity: Arity::Exact(1), imp: BuiltinImpl::Snow(sum) });
        let table = snow_lang::vm::install_builtins(t);
        install_fun_codec();
        table
    })
}

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| Runtime::with_schedulers(2))
}

fn compile_with(src: &str, file: &str, table: &BuiltinTable, mode: Mode<'_>) -> Unit {
    let parsed = snow_lang::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "test source must parse: {:?}", parsed.diagnostics);
    match compile(&parsed.program, Arc::from(src), Arc::from(file), table, mode) {
        Ok(u) => u,
        Err(d) => panic!("test source must compile: {d:?}"),
    }
}

fn script(src: &str, file: &str) -> Unit {
    compile_with(src, file, setup(), Mode::Script)
}

/// One REPL entry with no bindings; its functions go to `ns`, as the
/// session does. Returns the entry's value.
fn repl(ns: &'static Namespace, src: &str) -> Term {
    let unit = compile_with(src, "repl", setup(), Mode::Repl { bindings: &[], namespace: ns });
    for (name, arity, proto) in &unit.functions {
        ns.define(snow_runtime::Atom::new(name), *arity, proto);
    }
    match run(Fiber::new(unit.module, Vec::new())) {
        Ok(Term::Tuple(ref t)) if !t.is_empty() => t[0].clone(),
        other => panic!("entry gave {other:?}"),
    }
}

/// Runs `fiber` as a fresh process; its value, or the error report.
fn run(fiber: Fiber) -> Result<Term, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let fiber = fiber.on_finish(Box::new(move |o: &Outcome| {
        let r = match o {
            Outcome::Returned(t) => Ok(t.clone()),
            Outcome::Raised(f) => Err(report::error_report(f)),
        };
        let _ = tx.send(r);
    }));
    runtime().spawn(Box::new(fiber));
    rx.recv_timeout(Duration::from_secs(10)).expect("the process finished")
}

fn call(fun: &Term, args: Vec<Term>) -> Result<Term, String> {
    match Fiber::for_fun(fun, args) {
        Ok(f) => run(f),
        Err(e) => Err(e.describe()),
    }
}

fn named(unit: &Unit, name: &str) -> &'static Proto {
    unit.functions.iter().find(|(n, _, _)| n == name).map(|f| f.2).expect("function defined")
}

/// A fiber that calls the named function `p` (no captures) with `args`.
fn start(p: &'static Proto, args: Vec<Term>) -> Fiber {
    let fun = Term::Fun(Arc::new(Fun { code: p.fun_code(), env: Box::new([]) }));
    Fiber::for_fun(&fun, args).unwrap_or_else(|e| panic!("{}", e.describe()))
}

fn proto_of(fun: &Term) -> &'static Proto {
    match fun {
        Term::Fun(f) => f.code.as_any().downcast_ref::<ProtoRef>().expect("a Snow function").proto(),
        other => panic!("not a function: {other:?}"),
    }
}

fn round_trip(t: &Term) -> Term {
    let bytes = etf::encode(t).expect("encodes");
    let (back, used) = etf::decode(&bytes).expect("decodes");
    assert_eq!(used, bytes.len());
    back
}

fn int(i: i64) -> Term {
    Term::Int(i)
}

/// A NEW_FUN_EXT written independently of the codec (the layout check).
fn new_fun_ext(arity: u8, index: u32, blob: &[u8], env: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![112, 0, 0, 0, 0, arity];
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(&index.to_be_bytes());
    b.extend_from_slice(&(env.len() as u32 + 1).to_be_bytes());
    b.extend_from_slice(&[119, 5]);
    b.extend_from_slice(b"$snow");
    b.extend_from_slice(&[97, 0, 97, 0]);
    b.extend_from_slice(&[88, 119, 13]);
    b.extend_from_slice(b"nonode@nohost");
    b.extend_from_slice(&[0; 12]);
    b.push(109);
    b.extend_from_slice(&(blob.len() as u32).to_be_bytes());
    b.extend_from_slice(blob);
    for e in env {
        b.extend_from_slice(e);
    }
    let size = (b.len() - 1) as u32;
    b[1..5].copy_from_slice(&size.to_be_bytes());
    b
}

fn decode_fun_ext(body: &[u8]) -> Result<Term, DecodeError> {
    let mut bytes = vec![131];
    bytes.extend_from_slice(body);
    etf::decode(&bytes).map(|(t, _)| t)
}

// ---- Snow functions --------------------------------------------------------------

const SCRIPT: &str = "\
fn helper(n) = n * 10
fn make(base, label) = fn x -> (label, helper(x) + base + twice(x) + List.sum([x, base])) end
fn crash(x) = 10 / x
fn crasher() = fn x -> crash(x) + 1 end
fn apply(g) = g(1)
";

fn script_unit() -> &'static Unit {
    static U: OnceLock<Unit> = OnceLock::new();
    U.get_or_init(|| script(SCRIPT, "remote.snow"))
}

fn make(base: i64, label: &str) -> Term {
    run(start(named(script_unit(), "make"), vec![int(base), Term::str(label)])).expect("make runs")
}

#[test]
fn a_script_closure_runs_from_its_decoded_copy() {
    let f = make(7, "tag");
    let expected = Term::tuple(vec![Term::str("tag"), int(30 + 7 + 6 + 10)]);
    assert_eq!(inspect(&call(&f, vec![int(3)]).expect("runs")), inspect(&expected));

    let g = round_trip(&f);
    assert!(!std::ptr::eq(proto_of(&f), proto_of(&g)), "the copy is loaded from the bytes");
    assert_eq!(inspect(&call(&g, vec![int(3)]).expect("the copy runs")), inspect(&expected));

    // The loaded module is the compiled one: same file, source and code.
    let (a, b) = (proto_of(&f).module(), proto_of(&g).module());
    assert_eq!((a.file(), a.source()), (b.file(), b.source()));
    assert_eq!(snow_lang::disasm::disassemble(a), snow_lang::disasm::disassemble(b));
}

#[test]
fn a_crash_in_a_decoded_function_reports_its_source_line() {
    let f = run(start(named(script_unit(), "crasher"), vec![])).expect("crasher runs");
    let g = round_trip(&f);
    let report = call(&g, vec![int(0)]).expect_err("10 / 0 raises");
    assert!(report.contains("(badarith)"), "{report}");
    assert!(report.contains("remote.snow:3:"), "{report}");
    assert!(report.contains("fn crash(x) = 10 / x"), "{report}");
}

#[test]
fn a_repl_closure_takes_its_namespace_functions_along() {
    setup();
    let ns = Namespace::leak();
    repl(ns, "fn scale(n) = n * 100");
    let f = repl(ns, "fn bump(y) = scale(y) + 1\nlet k = 4\nlet f = fn x -> bump(x) + k + twice(x) + List.sum([x, k]) end\nf");
    // A closure that captured another closure.
    let nested = {
        let unit = compile_with(
            "let wrap = fn h -> fn x -> h(x) * 2 end end\nwrap",
            "repl",
            setup(),
            Mode::Repl { bindings: &[], namespace: ns },
        );
        let wrap = match run(Fiber::new(unit.module, vec![])) {
            Ok(Term::Tuple(ref t)) => t[0].clone(),
            other => panic!("{other:?}"),
        };
        call(&wrap, vec![f.clone()]).expect("wrap runs")
    };

    let expected = 301 + 4 + 6 + 7;
    assert_eq!(call(&f, vec![int(3)]), Ok(int(expected)));
    let f_bytes = etf::encode(&f).expect("encodes");
    let nested_bytes = etf::encode(&nested).expect("encodes");

    // Redefining `scale` here changes the local function, not the copies
    // that were sent: they carry a snapshot of the namespace.
    repl(ns, "fn scale(n) = 0");
    assert_eq!(call(&f, vec![int(3)]), Ok(int(1 + 4 + 6 + 7)));

    let f2 = etf::decode(&f_bytes).expect("decodes").0;
    assert_eq!(call(&f2, vec![int(3)]), Ok(int(expected)));
    // Same bytes, same loaded code; after the redefinition, new code.
    assert!(std::ptr::eq(proto_of(&f2), proto_of(&etf::decode(&f_bytes).expect("decodes").0)));
    let f_now = round_trip(&f);
    assert!(!std::ptr::eq(proto_of(&f2), proto_of(&f_now)));
    assert_eq!(call(&f_now, vec![int(3)]), Ok(int(1 + 4 + 6 + 7)));
    let nested2 = etf::decode(&nested_bytes).expect("decodes").0;
    assert_eq!(call(&nested2, vec![int(3)]), Ok(int(2 * expected)));
    // The copy's namespace is its own.
    let copy_ns = proto_of(&f2).module().namespace().expect("a namespace");
    assert!(!std::ptr::eq(copy_ns, ns));
    assert_eq!(copy_ns.names(), vec![("bump".to_string(), 1), ("scale".to_string(), 1)]);
}

#[test]
fn deeply_nested_functions_are_refused_not_overflowed() {
    setup();
    let unit = script("fn hold(c) = fn -> c end\n", "nest.snow");
    let hold = named(&unit, "hold");
    let mut v = int(0);
    for _ in 0..MAX_NESTING {
        v = run(start(hold, vec![v])).expect("hold runs");
    }
    let back = round_trip(&v);
    assert!(matches!(back, Term::Fun(_)));
    let too_deep = run(start(hold, vec![v])).expect("hold runs");
    assert!(matches!(etf::encode(&too_deep), Err(EncodeError::Fun(_))));

    // The same nesting built by hand, past the limit: a clean error on a
    // small stack.
    let blob = write_blob(unit.module, setup()).expect("blob");
    let index = unit.module.protos().iter().position(|p| p.ncaptured() == 1).expect("the lambda") as u32;
    let mut bytes = vec![97, 0];
    for _ in 0..=MAX_NESTING {
        bytes = new_fun_ext(0, index, &blob, &[bytes]);
    }
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || decode_fun_ext(&bytes).err())
        .expect("thread")
        .join()
        .expect("no panic");
    assert_eq!(result, Some(DecodeError::TooDeep));
}

// ---- the cache -----------------------------------------------------------------

#[test]
fn the_same_code_loads_once() {
    let (f1, f2) = (make(1, "a"), make(2, "b"));
    let (g1, g2) = (round_trip(&f1), round_trip(&f2));
    assert!(std::ptr::eq(proto_of(&g1), proto_of(&g2)), "two closures of one function share the loaded code");
    assert_eq!(call(&g1, vec![int(1)]).map(|t| inspect(&t)), Ok("(\"a\", 15)".to_string()));
    assert_eq!(call(&g2, vec![int(1)]).map(|t| inspect(&t)), Ok("(\"b\", 17)".to_string()));

    // Another function of the same module travels with the same blob.
    let crasher = run(start(named(script_unit(), "crasher"), vec![])).expect("runs");
    assert!(std::ptr::eq(proto_of(&round_trip(&crasher)).module(), proto_of(&g1).module()));

    let bytes = etf::encode(&f1).expect("encodes");
    for _ in 0..10_000 {
        let (g, _) = etf::decode(&bytes).expect("decodes");
        assert!(std::ptr::eq(proto_of(&g), proto_of(&g1)));
    }
}

// ---- Erlang functions ------------------------------------------------------------

/// `term_to_binary` on OTP 25: `fun(X) -> X + Y end` with Y = 5, the same
/// with `{minor_version, 2}` (UTF-8 atoms), and `fun(X) -> X + 1 end`.
const ERL_FUNS: [&[u8]; 3] = [
    &[
        131, 112, 0, 0, 0, 200, 1, 6, 83, 97, 170, 70, 21, 144, 209, 189, 241, 235, 98, 209, 166, 235, 8, 0, 0, 0,
        42, 0, 0, 0, 1, 100, 0, 8, 101, 114, 108, 95, 101, 118, 97, 108, 97, 42, 98, 0, 50, 155, 13, 88, 100, 0, 13,
        110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 104, 6,
        97, 1, 108, 0, 0, 0, 1, 104, 2, 100, 0, 1, 89, 97, 5, 106, 100, 0, 4, 110, 111, 110, 101, 100, 0, 4, 110,
        111, 110, 101, 116, 0, 0, 0, 0, 108, 0, 0, 0, 1, 104, 5, 100, 0, 6, 99, 108, 97, 117, 115, 101, 97, 1, 108,
        0, 0, 0, 1, 104, 3, 100, 0, 3, 118, 97, 114, 97, 1, 100, 0, 1, 88, 106, 106, 108, 0, 0, 0, 1, 104, 5, 100, 0,
        2, 111, 112, 97, 1, 100, 0, 1, 43, 104, 3, 100, 0, 3, 118, 97, 114, 97, 1, 100, 0, 1, 88, 104, 3, 100, 0, 3,
        118, 97, 114, 97, 1, 100, 0, 1, 89, 106, 106,
    ],
    &[
        131, 112, 0, 0, 0, 186, 1, 6, 83, 97, 170, 70, 21, 144, 209, 189, 241, 235, 98, 209, 166, 235, 8, 0, 0, 0,
        42, 0, 0, 0, 1, 119, 8, 101, 114, 108, 95, 101, 118, 97, 108, 97, 42, 98, 0, 50, 155, 13, 88, 119, 13, 110,
        111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 104, 6, 97, 1,
        108, 0, 0, 0, 1, 104, 2, 119, 1, 89, 97, 5, 106, 119, 4, 110, 111, 110, 101, 119, 4, 110, 111, 110, 101,
        116, 0, 0, 0, 0, 108, 0, 0, 0, 1, 104, 5, 119, 6, 99, 108, 97, 117, 115, 101, 97, 1, 108, 0, 0, 0, 1, 104,
        3, 119, 3, 118, 97, 114, 97, 1, 119, 1, 88, 106, 106, 108, 0, 0, 0, 1, 104, 5, 119, 2, 111, 112, 97, 1, 119,
        1, 43, 104, 3, 119, 3, 118, 97, 114, 97, 1, 119, 1, 88, 104, 3, 119, 3, 118, 97, 114, 97, 1, 119, 1, 89,
        106, 106,
    ],
    &[
        131, 112, 0, 0, 0, 189, 1, 6, 83, 97, 170, 70, 21, 144, 209, 189, 241, 235, 98, 209, 166, 235, 8, 0, 0, 0,
        42, 0, 0, 0, 1, 100, 0, 8, 101, 114, 108, 95, 101, 118, 97, 108, 97, 42, 98, 0, 50, 155, 13, 88, 100, 0, 13,
        110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 104, 6,
        97, 1, 106, 100, 0, 4, 110, 111, 110, 101, 100, 0, 4, 110, 111, 110, 101, 116, 0, 0, 0, 0, 108, 0, 0, 0, 1,
        104, 5, 100, 0, 6, 99, 108, 97, 117, 115, 101, 97, 1, 108, 0, 0, 0, 1, 104, 3, 100, 0, 3, 118, 97, 114, 97,
        1, 100, 0, 1, 88, 106, 106, 108, 0, 0, 0, 1, 104, 5, 100, 0, 2, 111, 112, 97, 1, 100, 0, 1, 43, 104, 3, 100,
        0, 3, 118, 97, 114, 97, 1, 100, 0, 1, 88, 104, 3, 100, 0, 7, 105, 110, 116, 101, 103, 101, 114, 97, 1, 97, 1,
        106, 106,
    ],
];

/// `fun lists:map/2`, with Latin-1 atoms (OTP 25's default) and UTF-8 ones.
const ERL_EXPORTS: [&[u8]; 2] = [
    &[131, 113, 100, 0, 5, 108, 105, 115, 116, 115, 100, 0, 3, 109, 97, 112, 97, 2],
    &[131, 113, 119, 5, 108, 105, 115, 116, 115, 119, 3, 109, 97, 112, 97, 2],
];

#[test]
fn erlang_funs_come_back_byte_for_byte() {
    setup();
    for bytes in ERL_FUNS.iter().chain(ERL_EXPORTS.iter()) {
        let (t, used) = etf::decode(bytes).expect("decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(etf::encode(&t).expect("encodes"), bytes.to_vec(), "{}", inspect(&t));
        // Inside other terms too.
        let pair = Term::tuple(vec![Term::OK, t.clone()]);
        let back = round_trip(&pair);
        assert_eq!(etf::encode(&back).expect("encodes"), etf::encode(&pair).expect("encodes"));
    }
    let shown: Vec<String> =
        ERL_FUNS.iter().chain(ERL_EXPORTS.iter()).map(|b| inspect(&etf::decode(b).expect("decodes").0)).collect();
    assert_eq!(
        shown,
        [
            "#Function<erl_eval.42.3316493/1>",
            "#Function<erl_eval.42.3316493/1>",
            "#Function<erl_eval.42.3316493/1>",
            "#Function<lists:map/2>",
            "#Function<lists:map/2>",
        ]
    );
}

#[test]
fn calling_an_erlang_fun_raises_badfun() {
    let (erl, _) = etf::decode(ERL_FUNS[0]).expect("decodes");
    let direct = call(&erl, vec![int(1)]).expect_err("cannot run");
    assert!(direct.contains("(badfun)") && direct.contains("erl_eval.42.3316493/1"), "{direct}");

    // From Snow code: an error report, not a crash of the VM.
    let report = run(start(named(script_unit(), "apply"), vec![erl])).expect_err("raises");
    assert!(report.contains("(badfun) #Function<erl_eval.42.3316493/1> came from another language"), "{report}");
    assert!(report.contains("fn apply(g) = g(1)"), "{report}");

    let (export, _) = etf::decode(ERL_EXPORTS[0]).expect("decodes");
    let report = run(start(named(script_unit(), "apply"), vec![export])).expect_err("raises");
    assert!(report.contains("(badfun) #Function<lists:map/2>"), "{report}");
}

// ---- built-ins travel by name ----------------------------------------------------

#[test]
fn built_ins_are_named_not_numbered() {
    setup();
    // Two tables with the same built-ins in opposite orders, and one that
    // lacks one of them.
    let mut a = BuiltinTable::new();
    let mut b = BuiltinTable::new();
    let mut c = BuiltinTable::new();
    let f: snow_lang::vm::NativeFn = |_, _| Ok(Term::OK);
    a.native("", "first", Arity::Exact(1), f);
    a.native("M", "second", Arity::AtLeast(1), f);
    b.native("M", "second", Arity::AtLeast(1), f);
    b.native("", "first", Arity::Exact(1), f);
    c.native("", "first", Arity::Exact(1), f);

    let unit = compile_with("fn go(x) = (first(x), M.second(x, x))\n", "order.snow", &a, Mode::Script);
    let blob = write_blob(unit.module, &a).expect("blob");
    let loaded = load_blob(&blob, &b).expect("loads against another order");
    let names = |m: &Module, t: &BuiltinTable| -> Vec<String> {
        m.protos()
            .iter()
            .flat_map(|p| p.code().iter())
            .filter_map(|op| match op {
                Op::CallBuiltin { id, .. } => t.get(*id).map(|b| format!("{}.{}", b.module, b.name)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(names(unit.module, &a), [".first", "M.second"]);
    assert_eq!(names(loaded, &b), names(unit.module, &a));
    assert_eq!(load_blob(&blob, &c).err(), Some(DecodeError::Unsupported("code calls a built-in this node does not have")));
}

#[test]
fn a_send_travels_as_the_built_in_call_it_stands_for() {
    setup();
    let mut t = BuiltinTable::new();
    let f: snow_lang::vm::NativeFn = |_, a| Ok(a[1].clone());
    t.native("", "send", Arity::Exact(2), f);
    let unit = compile_with("fn go(p) = send(p, 42)\n", "send.snow", &t, Mode::Script);
    let sends = |m: &Module| m.protos().iter().flat_map(|p| p.code().iter()).filter(|op| matches!(op, Op::Send { .. })).count();
    let calls = |m: &Module| m.protos().iter().flat_map(|p| p.code().iter()).filter(|op| matches!(op, Op::CallBuiltin { .. })).count();
    assert_eq!((sends(unit.module), calls(unit.module)), (1, 0));
    let blob = write_blob(unit.module, &t).expect("blob");
    let loaded = load_blob(&blob, &t).expect("loads");
    assert_eq!((sends(loaded), calls(loaded)), (0, 1));
}

#[test]
fn fused_instructions_travel_as_they_are() {
    setup();
    let t = BuiltinTable::new();
    let src = "fn fib(0) = 0\nfn fib(-1) = -7\nfn fib(n) = fib(n - 1) + fib(n - 2)\n";
    let unit = compile_with(src, "fib.snow", &t, Mode::Script);
    let code = |m: &Module| m.protos().iter().flat_map(|p| p.code().iter().copied()).collect::<Vec<Op>>();
    let sent = code(unit.module);
    assert!(sent.contains(&Op::ReturnIfInt2 { src: 0, v: 0, ret: 0, v2: -1, ret2: -7 }), "{sent:?}");
    assert!(sent.iter().any(|op| matches!(op, Op::CallAddImm { imm: -2, .. })), "{sent:?}");
    let blob = write_blob(unit.module, &t).expect("blob");
    let loaded = load_blob(&blob, &t).expect("loads");
    assert_eq!(code(loaded), sent);
}

// ---- verification ---------------------------------------------------------------

// Opcodes of the blob format (`op_table!` in `wire/blob.rs`).
const CONST: u8 = 0;
const MOVE: u8 = 3;
const ADD_IMM: u8 = 8;
const JUMP: u8 = 24;
const RETURN: u8 = 56;

/// The blob of one module holding one function `bad/1` of `nregs`
/// registers, no constants, and `code` (each instruction its opcode and
/// operands, all below 128, so one byte each; spans `spans`, one per
/// instruction): what a hostile peer could send. Such code cannot be made
/// as a `Proto` outside `snow-lang`, so it is written as bytes, following
/// the layout in `wire/blob.rs`.
fn raw_blob(code: &[&[u8]], nregs: u8, source: &str, spans: &[(u8, u8)]) -> Vec<u8> {
    assert!(source.len() < 128 && code.len() < 128 && spans.len() == code.len());
    let mut b = b"SNWC".to_vec();
    b.push(snow_lang::wire::BLOB_VERSION);
    b.push(0); // built-ins
    b.push(0); // namespaces
    b.push(1); // modules
    b.push(9);
    b.extend_from_slice(b"evil.snow");
    b.push(source.len() as u8);
    b.extend_from_slice(source.as_bytes());
    b.push(0); // no namespace
    b.push(1); // functions
    b.extend_from_slice(&[3, b'b', b'a', b'd', 1, 0, nregs]); // name, arity, captured, registers
    b.push(0); // constants
    b.push(code.len() as u8);
    for op in code {
        b.extend_from_slice(op);
    }
    for &(start, len) in spans {
        b.extend_from_slice(&[start, len]);
    }
    b.push(0); // namespace entries
    b
}

fn unspanned(code: &[&[u8]], nregs: u8) -> Vec<u8> {
    raw_blob(code, nregs, "", &vec![(0, 0); code.len()])
}

fn decode_blob(blob: &[u8]) -> Result<Term, DecodeError> {
    decode_fun_ext(&new_fun_ext(1, 0, blob, &[]))
}

#[test]
fn code_that_fails_verification_is_a_decode_error() {
    let rejected = Err(DecodeError::Invalid("Snow code failed bytecode verification"));
    let register_out_of_range = unspanned(&[&[MOVE, 5, 0], &[RETURN, 0]], 1);
    assert_eq!(decode_blob(&register_out_of_range).map(|t| inspect(&t)), rejected);
    let jump_out_of_bounds = unspanned(&[&[JUMP, 9]], 1);
    assert_eq!(decode_blob(&jump_out_of_bounds).map(|t| inspect(&t)), rejected);
    let falls_off_the_end = unspanned(&[&[MOVE, 0, 0]], 1);
    assert_eq!(decode_blob(&falls_off_the_end).map(|t| inspect(&t)), rejected);
    let const_out_of_range = unspanned(&[&[CONST, 0, 3], &[RETURN, 0]], 1);
    assert_eq!(decode_blob(&const_out_of_range).map(|t| inspect(&t)), rejected);
    let no_code = unspanned(&[], 1);
    assert_eq!(decode_blob(&no_code).map(|t| inspect(&t)), rejected);
    // A module must have its top level, function 0.
    let no_function = [b"SNWC".as_slice(), &[snow_lang::wire::BLOB_VERSION, 0, 0, 1, 9], b"evil.snow", &[0, 0, 0, 0]].concat();
    assert_eq!(load_blob(&no_function, setup()).err(), rejected.clone().err());

    // The same module, valid (R0 + 1; the immediate zigzag-encoded): loads
    // and runs, and this side writes it back byte for byte, so the bytes
    // above follow the format.
    let fine = unspanned(&[&[ADD_IMM, 0, 0, 2], &[RETURN, 0]], 1);
    let f = decode_blob(&fine).expect("valid code loads");
    assert_eq!(call(&f, vec![int(41)]), Ok(int(42)));
    assert_eq!(write_blob(proto_of(&f).module(), setup()).expect("blob"), fine);
}

#[test]
fn a_function_that_does_not_match_its_frame_is_refused() {
    setup();
    let blob = unspanned(&[&[RETURN, 0]], 1);
    assert!(load_blob(&blob, setup()).is_ok());
    let wrong_arity = new_fun_ext(2, 0, &blob, &[]);
    let extra_capture = new_fun_ext(1, 0, &blob, &[vec![97, 1]]);
    let no_such_function = new_fun_ext(1, 7, &blob, &[]);
    for bytes in [wrong_arity, extra_capture, no_such_function] {
        assert!(matches!(decode_fun_ext(&bytes), Err(DecodeError::Invalid(_))));
    }
    // Spans must lie inside the source, on character boundaries (error
    // reports slice it). The writer clamps them; a peer may not.
    assert!(load_blob(&raw_blob(&[&[RETURN, 0]], 1, "é", &[(0, 2)]), setup()).is_ok());
    for outside in [(1, 2), (1, 1), (0, 3)] {
        let blob = raw_blob(&[&[RETURN, 0]], 1, "é", &[outside]);
        assert_eq!(load_blob(&blob, setup()).err(), Some(DecodeError::Invalid("span outside the source")), "{outside:?}");
    }
}

// ---- hostile bytes -----------------------------------------------------------------

/// Samples to mutate: Snow closures (script and REPL), Erlang funs, and the
/// blobs of the Snow closures.
fn corpus() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let f = make(5, "x");
    let ns = Namespace::leak();
    repl(ns, "fn scale(n) = n * 100");
    let r = repl(ns, "let k = 4\nfn x -> scale(x) + k end");
    let blobs = [&f, &r].map(|fun| write_blob(proto_of(fun).module(), setup()).expect("blob")).to_vec();
    let mut samples: Vec<Vec<u8>> = vec![etf::encode(&f).expect("encodes"), etf::encode(&r).expect("encodes")];
    samples.extend(ERL_FUNS.iter().map(|b| b.to_vec()));
    (samples, blobs)
}

/// Flips, overwrites, inserts or removes bytes of `base`, or cuts it short.
fn mutate(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    (prop::collection::vec((0..len.max(1), any::<u8>(), 0..4u8), 1..8), 0..len + 1, any::<bool>()).prop_map(
        move |(edits, cut, truncate)| {
            let mut b = base.clone();
            for (at, byte, kind) in edits {
                let at = at % b.len().max(1);
                match kind {
                    0 if at < b.len() => b[at] ^= byte,
                    1 if at < b.len() => b[at] = byte,
                    2 => b.insert(at.min(b.len()), byte),
                    _ if at < b.len() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            if truncate {
                b.truncate(cut);
            }
            b
        },
    )
}

#[test]
fn hostile_bytes_never_panic() {
    let (samples, blobs) = corpus();
    let result = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            // A runner counts successes across runs: one per run.
            let runner = || TestRunner::new(Config { cases: 10_000, failure_persistence: None, ..Config::default() });
            let total = std::cell::Cell::new(0usize);
            let count = || total.set(total.get() + 1);
            // Whole terms, mutated.
            for s in &samples {
                runner().run(&mutate(s.clone()), |bytes| {
                    count();
                    let _ = etf::decode(&bytes);
                    Ok(())
                })?;
            }
            // Mutated blobs in a well-formed frame, so the blob reader sees them.
            for blob in &blobs {
                runner().run(&mutate(blob.clone()), |b| {
                    count();
                    let _ = decode_fun_ext(&new_fun_ext(1, 0, &b, &[vec![97, 1], vec![109, 0, 0, 0, 1, 120]]));
                    let _ = load_blob(&b, snow_lang::vm::builtins());
                    Ok(())
                })?;
            }
            // Random blobs after a valid header, and random frames.
            runner().run(&prop::collection::vec(any::<u8>(), 0..300), |b| {
                count();
                let mut with_header = b"SNWC\x01".to_vec();
                with_header.extend_from_slice(&b);
                let _ = load_blob(&with_header, snow_lang::vm::builtins());
                let _ = decode_fun_ext(&new_fun_ext(0, 0, &with_header, &[]));
                let mut frame = vec![131, 112];
                frame.extend_from_slice(&(b.len() as u32 + 4).to_be_bytes());
                frame.extend_from_slice(&b);
                let _ = etf::decode(&frame);
                Ok(())
            })?;
            Ok::<usize, proptest::test_runner::TestError<Vec<u8>>>(total.get())
        })
        .expect("thread")
        .join();
    let total = result.expect("decoding never panics").expect("no case failed");
    assert!(total >= 20_000, "{total} cases");
}
