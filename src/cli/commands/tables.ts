/** `runyard tables import|list|get|rows|comments`. */
import { basename, extname } from 'node:path';
import { Option, type Command } from 'commander';
import { detectFormat } from '../../core/table-format.js';
import type { TableFormat } from '../../sdk/client.js';
import { clientCommand, clientOf, openFile, parseLimit, UsageError, type ClientOptions } from '../common.js';
import { nextPage, print, printJson, text, time } from '../output.js';
import { printRows, printTable, printTables } from '../render.js';

interface ImportOptions extends ClientOptions {
  name?: string;
  format?: TableFormat;
}

interface RowsOptions extends ClientOptions {
  limit?: number;
  cursor?: string;
}

/** Registers the `tables` command group. */
export function registerTables(program: Command): void {
  const tables = program.command('tables').description('import and read tables');

  clientCommand(
    tables
      .command('import')
      .description('import a CSV, JSON array or NDJSON file as a table (streamed; all rows or none)')
      .argument('<file>', 'the file to import (UTF-8)')
      .option('--name <name>', "table name (default: the file's name without extension)")
      .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'json', 'ndjson'])),
  ).action(async (file: string, opts: ImportOptions) => {
    const format = opts.format ?? detectFormat(file);
    if (!format) throw new UsageError(`cannot tell the format of ${file} from its extension; pass --format csv|json|ndjson`);
    const name = opts.name ?? basename(file, extname(file));
    if (!name) throw new UsageError('the table name is empty; pass --name NAME');
    // Streamed: the file is never held whole in memory, here or on the server.
    const handle = await openFile(file);
    let t;
    try {
      t = await clientOf(opts).importTableFile(name, format, handle.createReadStream());
    } finally {
      await handle.close().catch(() => undefined);
    }
    if (opts.json) printJson(t);
    else printTable(t);
  });

  clientCommand(tables.command('list').description('list tables')).action(async (opts: ClientOptions) => {
    const list = await clientOf(opts).listTables();
    if (opts.json) printJson(list);
    else printTables(list);
  });

  clientCommand(tables.command('get').description('show a table').argument('<table>', 'table id')).action(async (id: string, opts: ClientOptions) => {
    const t = await clientOf(opts).getTable(id);
    if (opts.json) printJson(t);
    else printTable(t);
  });

  clientCommand(
    tables
      .command('rows')
      .description("list a table's rows in order")
      .argument('<table>', 'table id')
      .option('--limit <n>', 'rows per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (id: string, opts: RowsOptions) => {
    const page = await clientOf(opts).listRows(id, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) printJson(page);
    else printRows(page);
  });

  clientCommand(
    tables
      .command('comments')
      .description("a row's comments, oldest first (a worker's output comment names the run that wrote it)")
      .argument('<table>', 'table id')
      .argument('<row>', 'row id')
      .option('--limit <n>', 'comments per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (tableId: string, rowId: string, opts: RowsOptions) => {
    const page = await clientOf(opts).listRowComments(tableId, rowId, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) return printJson(page);
    if (page.data.length === 0) return print('No comments.');
    for (const c of page.data) {
      print(`${c.id} by ${text(c.author, 40)}, ${time(c.updated_at)}`);
      print(`  ${text(c.body, 2000)}`);
    }
    nextPage(page.next_cursor);
  });
}
