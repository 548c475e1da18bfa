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
    crate::mfa::the_two_steps_cost_what_a_login_costs_and_the_second_hashes_no_password();
    crate::mfa::verifying_without_an_enrolment_and_bad_bodies_are_refused();
    crate::mfa::disabling_takes_a_right_code_and_removes_the_secret_and_the_codes();
    crate::mfa::new_recovery_codes_replace_the_old_ones();
    crate::mfa::a_superuser_resets_a_users_mfa_and_ends_their_sessions();
    crate::mfa::an_organization_that_requires_mfa_refuses_its_members_without_it_on_every_kind_of_operation();
}
