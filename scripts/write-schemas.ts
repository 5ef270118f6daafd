/**
 * Writes schemas/*.json from the TypeBox definitions in src/ (the single source of the types). Run
 * `npm run schemas` after changing a schema; tests/schemas.test.ts fails while the files are stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allSchemas, schemaFileName, schemaJson } from '../src/schemas/index.js';
import { packagePath } from '../src/util/package-root.js';

for (const schema of allSchemas()) {
  const file = join(packagePath('schemas'), schemaFileName(schema));
  writeFileSync(file, schemaJson(schema));
  console.log(`wrote ${file}`);
}
