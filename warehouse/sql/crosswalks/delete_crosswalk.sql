-- Remove one crosswalk file's rows before a re-import.
DELETE FROM occupation_crosswalks WHERE crosswalk_id = $crosswalk_id;
