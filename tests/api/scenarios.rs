//! Scenarios that, together, reach every operation of the API and most of
//! its refusals: the tests that read the worker's log afterwards (query plans,
//! documented statuses) drive them first.

/// Every route, its budgets checked on the way.
pub(crate) fn every_operation() {
    crate::round_trips::every_operation_stays_within_its_round_trip_budget();
    crate::round_trips::the_role_and_invitation_operations_stay_within_their_round_trip_budget();
    crate::round_trips::the_email_operations_stay_within_their_round_trip_budget();
    crate::round_trips::the_upload_and_retry_operations_stay_within_their_round_trip_budget();
    crate::idempotency::every_creating_post_replays_its_first_answer_for_one_round_trip();
    crate::uploads::an_uploaded_png_becomes_an_organizations_avatar_and_is_served_as_sent();
}
