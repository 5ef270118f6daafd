// Preloaded with `node --import` into a child process: appends every module the process loads (ESM imports
// through a loader hook, CommonJS requires through Module._load, code compiled with vm.Script, as the bin's
// bundle loader and the precompiled validators are, by its file name) to the file named by RECORD_MODULES,
// one URL or path a line, so a test can check what a command's start-up pulls in.
import { appendFileSync } from 'node:fs';
import Module, { register, syncBuiltinESMExports } from 'node:module';
import vm from 'node:vm';

const file = process.env.RECORD_MODULES;
if (file) {
  register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { file } });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    try {
      appendFileSync(file, `${Module._resolveFilename(request, parent, isMain)}\n`);
    } catch {
      // a request that does not resolve fails in load, as it would have anyway
    }
    return load.apply(this, arguments);
  };
  const Script = vm.Script;
  vm.Script = class extends Script {
    constructor(code, options) {
      super(code, options);
      if (typeof options?.filename === 'string') appendFileSync(file, `${options.filename}\n`);
    }
  };
  syncBuiltinESMExports(); // `import { Script } from 'node:vm'` sees the recording one too
}
