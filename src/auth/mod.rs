//! Authentication: password hashing, tokens, the current user, and login.

pub mod current_user;
pub mod jwt;
pub mod password;
pub mod routes;
