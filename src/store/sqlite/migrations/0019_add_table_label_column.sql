-- The field that labels a table's rows in item lists and run cards (issue 14): null means the
-- row's first non-empty text field, in the table's field order.
ALTER TABLE tables ADD COLUMN label_column TEXT;
