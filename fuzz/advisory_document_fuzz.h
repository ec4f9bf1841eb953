// The body of the OSV and NVD import fuzzers: one parser reads both kinds of document, and
// the two targets differ in their seed corpora (fuzz/corpus/osv_import, nvd_import). Parses
// one JSON document, then evaluates every parsed range against a few versions and
// round-trips its stored form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inventory/vulndb_internal.h"

inline int FuzzAdvisoryDocument(const uint8_t* data, size_t size) {
  using namespace clearbox;
  using namespace clearbox::inventory;
  std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)vulndb::ParseAdvisoryDocument(json, [](Result<vulndb::ParsedAdvisory> record) {
    if (!record.ok()) return;
    for (const vulndb::AffectedRange& r : record->ranges) {
      if (vulndb::DecodeEvents(vulndb::EncodeEvents(r.events)) != r.events) abort();
      if (vulndb::DecodeList(vulndb::EncodeList(r.versions)) != r.versions) abort();
      for (std::string_view v : {"0", "1.0.1f", "2016.74", "1:9.2p1-2", "1.36.1-r2", "7.5.2"}) {
        for (VersionScheme s : {VersionScheme::kGeneric, VersionScheme::kDebian,
                                VersionScheme::kApk, VersionScheme::kSemver}) {
          (void)vulndb::EvaluateRange(r, s, v);
        }
      }
      for (const std::string& v : r.versions)
        (void)vulndb::EvaluateRange(r, VersionScheme::kGeneric, v);
    }
  });
  return 0;
}
