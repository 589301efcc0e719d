/** `runyard cells inspect`. */
import type { Command } from 'commander';
import { clientCommand, clientOf, type ClientOptions } from '../common.js';
import { printJson } from '../output.js';
import { printCell } from '../render.js';

/** Registers the `cells` command group. */
export function registerCells(program: Command): void {
  const cells = program.command('cells').description('inspect cells of table columns');

  clientCommand(
    cells
      .command('inspect')
      .description("show a cell's value, status, inputs, error, attempts and the run/item that produced it")
      .argument('<table>', 'table id')
      .argument('<row>', 'row id')
      .argument('<column>', 'column id or name'),
  ).action(async (table: string, row: string, column: string, opts: ClientOptions) => {
    const cell = await clientOf(opts).getCell(table, row, column);
    if (opts.json) printJson(cell);
    else printCell(cell);
  });
}
