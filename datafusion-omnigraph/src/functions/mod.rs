//! Table functions: `as_of` for time travel and the procedures.

pub mod args;
pub mod as_of;
pub mod procedures;
