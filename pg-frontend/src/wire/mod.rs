//! The wire below the handlers: accepting sockets, the connection limit, and serving one
//! connection with every frame the client sends checked against its message format
//! before pgwire decodes it.

pub mod accept;
pub mod admission;
pub mod body_reader;
pub mod frames;
pub mod message_format;
pub mod send_stall;
pub mod serve_socket;
pub mod violation;
