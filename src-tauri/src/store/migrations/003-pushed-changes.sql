-- Changes the server acknowledged beyond the contiguous push cursor (`sync_state.pushed_seq`):
-- a tablet holds back the changes of a community not assigned to it (the server would refuse the
-- whole batch) and pushes the rest, so acknowledgements can come out of order. Rows at or below
-- the cursor are removed as the cursor moves past them.
CREATE TABLE pushed_change (
    seq INTEGER PRIMARY KEY
) STRICT;
