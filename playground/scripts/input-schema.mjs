// The function input's schema, as the page's completion and hover use it:
// read from the input CRD (package/input/*.yaml, the one source) at build
// time, so nothing is copied by hand.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseAllDocuments } from 'yaml';

const INPUT_DIR = fileURLToPath(new URL('../../package/input/', import.meta.url));

/** {apiVersion, kind, schema} of the input CRD's storage version; throws naming the file when it has none. */
export function loadInputSchema(directory = INPUT_DIR) {
  const files = readdirSync(directory).filter((name) => /\.ya?ml$/.test(name)).sort();
  for (const name of files) {
    const path = join(directory, name);
    for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
      const crd = document.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const version = (crd.spec?.versions ?? []).find((candidate) => candidate.storage) ?? crd.spec?.versions?.[0];
      const schema = version?.schema?.openAPIV3Schema;
      if (!schema) throw new Error(`${path}: the CRD has no spec.versions[].schema.openAPIV3Schema`);
      return { apiVersion: `${crd.spec.group}/${version.name}`, kind: crd.spec.names.kind, schema };
    }
  }
  throw new Error(`no CustomResourceDefinition under ${directory}`);
}
