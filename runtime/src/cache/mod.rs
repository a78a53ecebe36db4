//! The content-addressed node cache: `key` says what a node's output depends on, `store` keeps
//! outputs under that key with atomic writes. A run reuses any node whose key is stored.

pub mod key;
pub mod store;

pub use key::{KeyParts, node_key};
pub use store::Store;
