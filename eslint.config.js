// ESLint flat config. Import boundaries (DESIGN.md §5): core imports nothing with I/O and no
// other layer; producers import only core; kinds import only core; store imports only core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

const noLayer = (...layers) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: layers.map((l) => ({ group: [`**/${l}/*`, `../${l}/*`], message: `this layer may not import ${l}/ (DESIGN.md §5)` })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'console/src/api/schema.d.ts', '.runyard/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['scripts/**/*.js', 'bin/**/*.js', 'examples/**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { ...noLayer('store', 'engine', 'producers', 'kinds', 'server', 'cli', 'sdk'), 'no-restricted-globals': ['error', 'fetch', 'process'] },
  },
  { files: ['src/store/**/*.ts'], rules: noLayer('engine', 'producers', 'kinds', 'server', 'cli', 'sdk') },
  { files: ['src/producers/**/*.ts'], rules: noLayer('store', 'engine', 'kinds', 'server', 'cli', 'sdk') },
  // A kind is a pure planner beside the producers (STYLE.md §14): it sees the core only.
  { files: ['src/kinds/**/*.ts'], rules: noLayer('store', 'engine', 'producers', 'server', 'cli', 'sdk') },
  { files: ['src/engine/**/*.ts'], rules: noLayer('server', 'cli', 'sdk') },
  // The client CLI loads no server-side code at run time (types only); `up` and `worker` start
  // the server through a dynamic import, which this rule leaves alone.
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: ['engine', 'store', 'producers', 'server'].map((l) => ({
            group: [`**/${l}/*`, `../${l}/*`],
            allowTypeImports: true,
            message: `the CLI may import ${l}/ for types only (DESIGN.md §5)`,
          })),
        },
      ],
    },
  },
  // The console is a browser app that talks only to the public API: no server-side layer.
  {
    files: ['console/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      ...noLayer('core', 'store', 'engine', 'producers', 'kinds', 'server', 'cli', 'sdk'),
    },
  },
  { files: ['console/vite.config.ts'], languageOptions: { globals: globals.node } },
);
