-- Join pages have a Leave button as well as Join, so a reader of `/_icnode/joins` can tell who
-- is in a meeting: each row is a press of either, `joined` or `left`, at `joined_at` (the time
-- of the press, whichever it was). Rows recorded before were Join presses, and stay joins.
ALTER TABLE joins ADD COLUMN kind TEXT NOT NULL DEFAULT 'joined' CHECK (kind IN ('joined', 'left'));
