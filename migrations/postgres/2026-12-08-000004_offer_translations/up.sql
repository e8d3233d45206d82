-- An offer's name and description in Traditional Chinese (issue 22), set in the operator console;
-- empty: readers in zh-TW see the catalog's own.
ALTER TABLE offers ADD COLUMN name_zh_tw TEXT NOT NULL DEFAULT '';
ALTER TABLE offers ADD COLUMN description_zh_tw TEXT NOT NULL DEFAULT '';
