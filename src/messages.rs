//! The error messages more than one feature answers with, said once. A message
//! only one feature gives is a constant at the top of that feature's file; no
//! handler writes one inline (`scripts/gates_check.py` fails on a literal).

pub(crate) const USER_NOT_FOUND: &str = "User not found";
pub(crate) const INACTIVE_USER: &str = "Inactive user";
pub(crate) const MEDIA_NOT_FOUND: &str = "Media resource not found";
pub(crate) const UPLOAD_ALREADY_COMPLETED: &str = "Upload already completed";
pub(crate) const UNPARSABLE_BODY: &str = "There was an error parsing the body";
pub(crate) const TOO_MANY_EMAILS: &str = "Too many e-mail requests, try again later";
