ALTER TABLE offers DROP COLUMN description_zh_tw;
ALTER TABLE offers DROP COLUMN name_zh_tw;
