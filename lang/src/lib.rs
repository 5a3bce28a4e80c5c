//! The Snow language: lexer, parser, diagnostics, compiler to bytecode, and
//! the VM that runs it inside runtime processes.
//!
//! # Only verified bytecode runs
//!
//! The interpreter's hot loop (`vm/exec.rs`) indexes registers, constants
//! and code without bounds checks; that is sound only for code the verifier
//! (`verify.rs`) accepted. The types make sure no safe code outside this
//! crate can hand it anything else:
//!
//! - a [`bytecode::Module`] exists only as the `&'static Module` that
//!   `Module::load` returns after verifying it (the compiler and the blob
//!   reader for code from other nodes are its only callers);
//! - [`vm::Fiber::new`] takes such a module and runs its top level;
//!   [`vm::Fiber::for_fun`] runs a function value, whose code
//!   ([`bytecode::ProtoRef`]) is made only from a loaded function;
//! - a [`bytecode::Proto`] cannot be built, cloned or changed outside this
//!   crate (crate-private fields and constructor, read-only accessors), so
//!   every `&'static Proto` another crate holds belongs to a loaded module.
//!
//! What another crate does, and may do:
//!
//! ```
//! use snow_lang::compiler::{compile, Mode};
//! use snow_lang::vm::{BuiltinTable, Fiber};
//! use std::sync::Arc;
//!
//! let src = "fn add(a, b) = a + b\nadd(1, 2)";
//! let program = snow_lang::syntax::parse(src).program;
//! let table = BuiltinTable::new();
//! let Ok(unit) = compile(&program, Arc::from(src), Arc::from("add.snow"), &table, Mode::Script) else {
//!     panic!("compiles")
//! };
//! // Reading is fine: `Module::protos()`, `Proto::code()`, `arity()`, ...
//! let add = &unit.module.protos()[1];
//! assert_eq!((add.name(), add.arity()), ("add", 2));
//! let _fiber = Fiber::new(unit.module, Vec::new());
//! ```
//!
//! What it cannot: make a function of its own,
//!
//! ```compile_fail,E0451
//! use snow_lang::bytecode::{Op, Proto};
//! let evil = Proto {
//!     name: "evil".into(), arity: 0, ncaptured: 0, nregs: 1, index: 0,
//!     code: vec![Op::Return { src: 9 }], consts: vec![], spans: vec![0..0],
//!     module: Default::default(), fun_code: Default::default(),
//! };
//! ```
//!
//! or through its constructor,
//!
//! ```compile_fail,E0624
//! let evil = snow_lang::bytecode::Proto::new("evil".into(), 0, 0);
//! ```
//!
//! change a loaded one,
//!
//! ```compile_fail,E0616
//! use snow_lang::bytecode::{Module, Op};
//! fn patch(m: &mut Module) {
//!     m.protos[0].code[0] = Op::Return { src: 9 };
//! }
//! ```
//!
//! make a module that skipped `Module::load`,
//!
//! ```compile_fail,E0451
//! use snow_lang::bytecode::Module;
//! use std::sync::Arc;
//! let m: &'static Module =
//!     Box::leak(Box::new(Module { file: Arc::from("x.snow"), source: Arc::from(""), protos: Vec::new(), namespace: None }));
//! let _fiber = snow_lang::vm::Fiber::new(m, Vec::new());
//! ```
//!
//! or make a function value whose code it chose.
//!
//! ```compile_fail,E0423
//! use snow_lang::bytecode::{Proto, ProtoRef};
//! fn forge(p: &'static Proto) -> ProtoRef {
//!     ProtoRef(p)
//! }
//! ```

pub mod ast;
pub mod diagnostic;
pub mod syntax;
pub mod bytecode;
pub mod disasm;
pub mod jit;
pub mod verify;
pub mod compiler;
pub mod vm;
pub mod wire;
