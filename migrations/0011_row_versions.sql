-- Conditional requests (ETag, If-None-Match, If-Match): a version per user and
-- per organization, raised by every write that changes what the API shows of
-- it. The ETag is the id and the version, so two writes in one millisecond
-- still give two ETags (updated_at would not).
alter table users add column version integer not null default 1;
alter table organizations add column version integer not null default 1;

-- A conditional write starts its batch by inserting whether its precondition
-- holds, and ends it by deleting the row again. A failed precondition breaks
-- the CHECK, which rolls the whole batch back: the check and the write are one
-- transaction, so no change can come between them.
create table preconditions (
    ok integer not null,
    constraint precondition_failed check (ok = 1)
);
