//! Table functions: `as_of` for time travel, the procedures, and the traversals.

pub mod args;
pub mod as_of;
pub mod procedures;
pub mod traversal;
