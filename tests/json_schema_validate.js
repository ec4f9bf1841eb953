#!/usr/bin/env node
// Validates JSON documents against a JSON Schema (draft 2020-12) with ajv, the validator the
// CycloneDX library uses too (installed by scripts/install-deps.sh under build/npm).
//
//   node tests/json_schema_validate.js SCHEMA.json DOC.json...   # exit 0 valid, 1 invalid
'use strict'
const fs = require('fs')
const path = require('path')
const prefix = process.env.CLEARBOX_NPM_PREFIX || path.join(__dirname, '..', 'build', 'npm')
const Ajv2020 = require(path.join(prefix, 'node_modules', 'ajv', 'dist', '2020')).default
const [schemaFile, ...docs] = process.argv.slice(2)
if (!schemaFile || docs.length === 0) {
  process.stderr.write('usage: json_schema_validate.js SCHEMA.json DOC.json...\n')
  process.exit(2)
}
const ajv = new Ajv2020({ allErrors: true, strict: false })
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')))
let bad = 0
for (const doc of docs) {
  if (validate(JSON.parse(fs.readFileSync(doc, 'utf8')))) continue
  bad++
  for (const e of validate.errors.slice(0, 10)) {
    process.stdout.write(`${doc}: ${e.instancePath || '/'} ${e.message}\n`)
  }
}
process.exit(bad ? 1 : 0)
