/**
 * The PostgreSQL schema as stable text, for the committed snapshot (STYLE.md §9): tables with
 * their columns in order, then constraints, then indexes, read from the catalog of the
 * current schema. The schema name is left out so the text does not depend on where it ran.
 */
import type pg from 'pg';

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: string;
  column_default: string | null;
}

/** Every table, constraint and index of the current schema, as SQL-like text. */
export async function dumpSchema(pool: pg.Pool): Promise<string> {
  const columns = await pool.query<ColumnRow>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema()
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const constraints = await pool.query<{ table_name: string; name: string; def: string }>(
    `SELECT rel.relname AS table_name, con.conname AS name, pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
      WHERE rel.relnamespace = current_schema()::regnamespace
      ORDER BY rel.relname, con.conname`,
  );
  const indexes = await pool.query<{ schemaname: string; indexdef: string }>(
    `SELECT schemaname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of columns.rows) {
    const def = `  ${c.column_name} ${c.data_type}${c.is_nullable === 'NO' ? ' NOT NULL' : ''}${c.column_default === null ? '' : ` DEFAULT ${c.column_default}`}`;
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), def]);
  }
  const out: string[] = [];
  for (const [table, defs] of byTable) out.push(`CREATE TABLE ${table} (\n${defs.join(',\n')}\n);`);
  for (const c of constraints.rows) out.push(`ALTER TABLE ${c.table_name} ADD CONSTRAINT ${c.name} ${c.def};`);
  for (const i of indexes.rows) out.push(`${i.indexdef.split(`${i.schemaname}.`).join('')};`);
  return `${out.join('\n\n')}\n`;
}
