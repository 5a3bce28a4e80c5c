//! The Snow language: lexer, parser, diagnostics, compiler to bytecode, and
//! the VM that runs it inside runtime processes.

pub mod ast;
pub mod diagnostic;
pub mod syntax;
pub mod bytecode;
pub mod disasm;
pub mod verify;
pub mod compiler;
pub mod vm;
pub mod wire;
