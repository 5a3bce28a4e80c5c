//! (being written) The process context.
pub struct Cx<'a>(std::marker::PhantomData<&'a ()>);
