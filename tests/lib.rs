//! Shared helpers live in the test binary; this library is intentionally empty of logic.
