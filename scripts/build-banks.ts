/**
 * Run by `npm run build` after tsc: reads and checks the package's own prompt bank (templates/hhh) the way a
 * run does (src/templating/bank.ts checkedFamilies) and writes its families, with a fingerprint and a stamp of the
 * folder's files, to dist/banks/templates/hhh.bank (src/templating/prebuilt-bank.ts says how a run reads it).
 * A bank that fails its checks is not stored: runs report the problem, with its file and line, as before.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { checkedFamilies, type CheckedFamily } from '../src/templating/bank.js';
import { hhhBankFolder } from '../src/templating/hhh.js';
import { bankFingerprint, bankStamp, outlineOf, PREBUILT_BANKS_FOLDER, prebuiltBankPath, prebuiltBankText, prebuiltFamilies } from '../src/templating/prebuilt-bank.js';
import { packagePath } from '../src/util/package-root.js';

rmSync(packagePath(PREBUILT_BANKS_FOLDER), { recursive: true, force: true });
const folder = hhhBankFolder();
const path = prebuiltBankPath(folder)!;
// The stamp before the bytes: a file written while the build reads is then newer than its stamp.
const stamp = bankStamp(folder);
const fingerprint = bankFingerprint(folder);
let families: CheckedFamily[] | undefined;
try {
  families = checkedFamilies(folder);
} catch (error) {
  console.log(`${PREBUILT_BANKS_FOLDER}: not written, the bank fails its checks (${(error as Error).message})`);
}
if (families !== undefined && fingerprint !== undefined) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, prebuiltBankText(fingerprint, families, stamp));
  // What a run reads back must be what it would check: a value JSON cannot carry exactly (a non-finite
  // number, -0) would change what it renders. Such a file is removed, and runs check the folder.
  const stored = prebuiltFamilies(folder);
  const same = stored !== undefined && isDeepStrictEqual(stored.outlines, families.map(outlineOf)) && families.every((family, i) => isDeepStrictEqual(stored.texts(i), { prompts: family.prompts, answer: family.answer, slots: family.slots }));
  if (same) console.log(`${PREBUILT_BANKS_FOLDER}: the prompt bank checked, ${families.length} families`);
  else {
    rmSync(path);
    console.log(`${PREBUILT_BANKS_FOLDER}: not written, the bank holds a value JSON cannot carry`);
  }
}
