// Lint rules. The one that matters most: src/raft is a pure state machine (DESIGN.md section 2),
// so it may not import I/O modules or touch timers, the clock or randomness from the platform.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impure = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'tls', 'node:tls',
  'http', 'node:http', 'dgram', 'node:dgram', 'child_process', 'node:child_process', 'timers', 'node:timers',
  'node:timers/promises', 'ioredis', 'pino', 'node:os', 'os', 'node:crypto', 'crypto'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'deploy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/raft/**/*.ts', 'src/failover/{engine,engine-types,switchover,promotion,restart,repoint-retry,detect,select,topology,observations,types}.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: impure.map((name) => ({ name, message: 'the Raft core and failover decisions are pure: no I/O (DESIGN.md section 2)' })) }],
      'no-restricted-globals': ['error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'process', 'performance', 'fetch', 'require']
          .map((name) => ({ name, message: 'src/raft is pure: time and I/O come from the runtime loop' }))],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'src/raft has no clock: use ticks' },
        { object: 'Math', property: 'random', message: 'src/raft takes randomness from its injected source' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'src/raft has no clock' }],
    },
  },
);
