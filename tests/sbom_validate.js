#!/usr/bin/env node
// Validates a CycloneDX 1.6 JSON document against the official schema (with its format
// checks: date-time, iri-reference, ...) using @cyclonedx/cyclonedx-library's JSON validator.
//
//   node tests/sbom_validate.js sbom.cdx.json      # exit 0 valid, 1 invalid, 2 cannot check
//
// The library and its optional validator dependencies (ajv, ajv-formats,
// ajv-formats-draft2019) are looked up under $CLEARBOX_NPM_PREFIX/node_modules, by default
// build/npm/node_modules next to this script's tree (scripts/install-deps.sh installs them
// there with `npm install --prefix build/npm ...`).
'use strict'

const fs = require('fs')
const path = require('path')

function usage (message) {
  process.stderr.write(`sbom_validate: ${message}\n` +
    'usage: sbom_validate.js FILE.cdx.json  (CLEARBOX_NPM_PREFIX: the npm --prefix used)\n')
  process.exit(2)
}

async function main () {
  const file = process.argv[2]
  if (!file || process.argv.length !== 3) usage('one CycloneDX JSON file expected')

  const prefix = process.env.CLEARBOX_NPM_PREFIX ||
    path.join(__dirname, '..', 'build', 'npm')
  const modules = path.join(prefix, 'node_modules')
  let CDX
  try {
    // require.resolve with `paths` finds the library and, from it, ajv & co in the same tree.
    CDX = require(require.resolve('@cyclonedx/cyclonedx-library', { paths: [modules] }))
  } catch (err) {
    usage(`@cyclonedx/cyclonedx-library not found under ${modules} (${err.message})`)
  }

  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    usage(`cannot read ${file}: ${err.message}`)
  }
  // The schema does not say which spec version to use: the document does, and it must be 1.6.
  let doc
  try {
    doc = JSON.parse(text)
  } catch (err) {
    process.stdout.write(`${file}: not JSON: ${err.message}\n`)
    process.exit(1)
  }
  if (doc === null || typeof doc !== 'object' || doc.specVersion !== '1.6') {
    process.stdout.write(`${file}: specVersion is ${JSON.stringify(doc && doc.specVersion)}, not "1.6"\n`)
    process.exit(1)
  }

  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6)
  let errors
  try {
    errors = await validator.validate(text)
  } catch (err) {
    // MissingOptionalDependencyError: ajv, ajv-formats or ajv-formats-draft2019 is absent.
    usage(`the validator cannot run: ${err.message}`)
  }
  if (errors === null) {
    process.stdout.write(`${file}: valid CycloneDX 1.6\n`)
    process.exit(0)
  }
  process.stdout.write(`${file}: INVALID CycloneDX 1.6\n${JSON.stringify(errors, null, 2)}\n`)
  process.exit(1)
}

main().catch((err) => usage(err.stack || String(err)))
