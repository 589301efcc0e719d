/**
 * Locates files shipped in `src/` (SQL migrations) whether the code runs from `src/` or from
 * the compiled `dist/src/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `src/<rel>` in this package. @throws Error when it is missing. */
export function sourceDir(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const p = join(dir, 'src', rel);
      if (existsSync(p)) return p;
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find src/${rel} from ${fileURLToPath(import.meta.url)}`);
}
