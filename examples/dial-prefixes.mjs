#!/usr/bin/env node
// shell producer example: prints a country's international dialling prefixes.
// Usage: node examples/dial-prefixes.mjs <idd_root> <idd_suffixes joined by "|">
//   +2 97          -> +297
//   +1 809|829|849 -> +1809, +1829, +1849
//   +1 201|202|... -> +1 (380 suffixes)      (more than 3 suffixes: the root and a count)
// Exits 1 with a message on stderr when the row has no calling code (Antarctica, Heard Island
// and McDonald Islands in world-countries 5.1.0); the shell producer records that as a
// permanent failure.
const [root = '', suffixArg = ''] = process.argv.slice(2);
if (!/^\+\d+$/.test(root)) {
  process.stderr.write(`no international calling code in the source data (idd_root ${JSON.stringify(root)})\n`);
  process.exit(1);
}
const suffixes = suffixArg.split('|').filter((s) => s !== '');
if (suffixes.some((s) => !/^\d+$/.test(s))) {
  process.stderr.write(`idd_suffixes must be digits separated by "|", got ${JSON.stringify(suffixArg)}\n`);
  process.exit(1);
}
let out;
if (suffixes.length === 0) out = root;
else if (suffixes.length <= 3) out = suffixes.map((s) => root + s).join(', ');
else out = `${root} (${suffixes.length} suffixes)`;
process.stdout.write(`${out}\n`);
