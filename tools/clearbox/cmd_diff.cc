// clearbox diff OLD NEW [--format text|json|html] [--json] [-o FILE] [--vulndb DB]
//   [--rules DIR] [--allow FILE]
// clearbox diff --equivalence [--ignore-build-id] OLD NEW [--format text|json] [-o FILE]
#include <fmt/format.h>

#include <memory>

#include "audit_inputs.h"
#include "clearbox/diff/diff.h"
#include "clearbox/diff/equivalence.h"
#include "clearbox/report/diff_html.h"
#include "common.h"

namespace clearbox::cli {
namespace {

struct DiffFlags {
  std::string old_image, new_image, output;
  std::string format = "text";
  bool json = false;  // --json: --format json, kept for the scripts that use it
  bool equivalence = false;
  bool ignore_build_id = false;
  AuditInputFlags in;
  inventory::Options options;
};

int RunEquivalence(DiffFlags& f) {
  diff::EquivalenceOptions options;
  options.unpack = f.options.unpack;
  options.ignore_build_id = f.ignore_build_id;
  Result<diff::EquivalenceReport> r = diff::CheckEquivalence(f.old_image, f.new_image, options);
  if (!r.ok()) return Fail(r.error());
  std::string text =
      f.format == "json" ? diff::EquivalenceJson(*r) + "\n" : diff::EquivalenceText(*r);
  if (Status s = WriteReport(f.output, text); !s.ok()) return Fail(s.error());
  ReportNotes(r->notes, r->partial);
  if (!r->differences.empty()) return kExitFindings;
  if (r->partial) {
    return Fail(Error::InvalidInput(
        "equivalence not proven: an image was not read whole (see the notes above)"));
  }
  return kExitOk;
}

int RunDiff(DiffFlags& f) {
  if (f.ignore_build_id && !f.equivalence) {
    return Fail(Error::InvalidInput("--ignore-build-id applies to --equivalence only"));
  }
  if (f.json) {
    if (f.format != "text" && f.format != "json") {
      return Fail(Error::InvalidInput("--json and --format " + f.format + ": give one of them"));
    }
    f.format = "json";
  }
  if (f.equivalence && f.format == "html") {
    return Fail(Error::InvalidInput(
        "--equivalence writes text or json; --format html is the security diff's page"));
  }
  for (const std::string* image : {&f.old_image, &f.new_image}) {
    if (Status s = CheckReadable(*image); !s.ok()) return Fail(s.error());
  }
  if (f.equivalence) return RunEquivalence(f);
  Result<AuditInputs> in = ReadAuditInputs(f.in);
  if (!in.ok()) return Fail(in.error());
  Result<audit::Audit> old_audit =
      AuditWithProgress(f.old_image, "diff: audit OLD " + ImageName(f.old_image), *in, f.options);
  if (!old_audit.ok()) return Fail(old_audit.error());
  Result<audit::Audit> new_audit =
      AuditWithProgress(f.new_image, "diff: audit NEW " + ImageName(f.new_image), *in, f.options);
  if (!new_audit.ok()) return Fail(new_audit.error());
  for (const audit::Audit* a : {&*old_audit, &*new_audit}) {
    if (a->inventory.filesystems.empty()) {
      return Fail(Error::InvalidInput(fmt::format(
          "{}: no filesystem or archive found in it, so there is nothing to compare (is it "
          "encrypted, or a format clearbox does not open? `clearbox unpack` says which)",
          a->inventory.image)));
    }
  }
  diff::ImageDiff d = diff::DiffAudits(*old_audit, *new_audit);
  std::string text = f.format == "json"   ? diff::DiffJson(d) + "\n"
                     : f.format == "html" ? report::DiffHtml(d)
                                          : diff::DiffText(d);
  if (Status s = WriteReport(f.output, text); !s.ok()) return Fail(s.error());
  ReportNotes(old_audit->inventory.unpack_notes, old_audit->inventory.partial);
  ReportNotes(new_audit->inventory.unpack_notes, new_audit->inventory.partial);
  return d.ChangeCount() > 0 ? kExitFindings : kExitOk;
}

}  // namespace

void RegisterDiffCommands(CLI::App& app) {
  auto flags = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "the security-relevant difference between two images, or their binary equivalence");
  cmd->footer(
      "Compares accounts, services and how they start, keys, endpoints, setuid/setgid files, "
      "components and versions, findings (new and fixed) and changed ELF binaries with their "
      "hardening. --equivalence compares every file's content instead (timestamps and entry "
      "order ignored) and names each differing file, offset and ELF section. Exit status: 0 "
      "no change (equivalent), 1 changes (not equivalent), 2 usage or input error. "
      "docs/diff.md describes the output and its JSON.");
  cmd->add_option("OLD", flags->old_image, "the image before the update (or the reviewed build)")
      ->required();
  cmd->add_option("NEW", flags->new_image, "the image after the update (or the shipped one)")
      ->required();
  cmd->add_option("--format", flags->format,
                  "text (for people), json (for tools, docs/diff.md) or html (one "
                  "self-contained page for the evaluator; not with --equivalence)")
      ->check(CLI::IsMember({"text", "json", "html"}))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "the same as --format json");
  cmd->add_option("-o,--output", flags->output, "write here (atomically) instead of stdout");
  cmd->add_flag("--equivalence", flags->equivalence,
                "binary equivalence: every file's content compared, timestamps and order ignored");
  cmd->add_flag("--ignore-build-id", flags->ignore_build_id,
                "with --equivalence: ELF files that differ only in their GNU build id are equal");
  cmd->add_option("--check", flags->in.only, "run only this check id (repeatable)");
  cmd->add_option("--rules", flags->in.rule_dirs, "a directory of extra YARA rules (repeatable)");
  cmd->add_option("--allow", flags->in.allow, "allow list, as `clearbox audit --allow`");
  cmd->add_option("--vulndb", flags->in.vulndb,
                  "a database from `clearbox vulndb import`: known vulnerabilities become "
                  "findings, new or fixed");
  AddLimitFlags(cmd, &flags->options.unpack);
  cmd->callback([flags] { ExitCode() = RunDiff(*flags); });
}

}  // namespace clearbox::cli
