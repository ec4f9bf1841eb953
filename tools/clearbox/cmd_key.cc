// clearbox key generate | public: Ed25519 signed-note keys for logs, witnesses and signers.
// Argument parsing and printing only; the work is in clearbox/crypto and clearbox/tlog.
#include <cstdio>
#include <memory>
#include <string>

#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"
#include "clearbox/tlog/cosignature.h"
#include "commands.h"

namespace clearbox::cli {
namespace {

int Fail(const Error& error) {
  std::fprintf(stderr, "clearbox: %s\n", error.message().c_str());
  return kExitInputError;
}

// The verifier key to print: the note key (type 0x01), or the same key as a witness's
// cosignature key (type 0x04) with --cosigner.
Result<std::string> VerifierKeyOf(const std::string& skey, bool cosigner) {
  if (cosigner) {
    CLEARBOX_ASSIGN_OR_RETURN(auto s, tlog::CosignatureV1Signer::FromSignerKey(skey));
    return s->VerifierKeyText();
  }
  CLEARBOX_ASSIGN_OR_RETURN(auto s, crypto::Ed25519NoteSigner::FromSignerKey(skey));
  return s->VerifierKeyText();
}

struct GenerateArgs {
  std::string name;
  std::string output;
  bool cosigner = false;
};

int RunGenerate(const GenerateArgs& args) {
  auto key = crypto::GenerateNoteKey(args.name);
  if (!key.ok()) return Fail(key.error());
  std::string text = key->signer_key + "\n";
  // O_EXCL and mode 0600: a key file is never overwritten and never readable by others.
  Status written = WriteNewFile(args.output, AsBytes(text), 0600);
  if (!written.ok()) {
    if (written.error().code() == ErrorCode::kAlreadyExists) {
      return Fail(
          Error::AlreadyExists(args.output + " already exists; refusing to overwrite a key"));
    }
    return Fail(written.error());
  }
  auto vkey = VerifierKeyOf(key->signer_key, args.cosigner);
  if (!vkey.ok()) return Fail(vkey.error());
  std::printf("%s\n", vkey->c_str());
  std::fprintf(stderr, "wrote the signer key for %s to %s (mode 0600); the verifier key is above\n",
               args.name.c_str(), args.output.c_str());
  return kExitOk;
}

struct PublicArgs {
  std::string file;
  bool cosigner = false;
};

int RunPublic(const PublicArgs& args) {
  auto text = ReadTextFile(args.file, 64 * 1024);
  if (!text.ok()) return Fail(text.error());
  size_t begin = text->find_first_not_of(" \t\r\n");
  size_t end = text->find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) return Fail(Error::InvalidInput(args.file + ": empty key file"));
  auto vkey = VerifierKeyOf(text->substr(begin, end - begin + 1), args.cosigner);
  if (!vkey.ok()) return Fail(vkey.error().WithContext(args.file));
  std::printf("%s\n", vkey->c_str());
  return kExitOk;
}

}  // namespace

void RegisterKeyCommands(CLI::App& app) {
  auto* key = app.add_subcommand("key", "Ed25519 signed-note keys (C2SP signed-note)");
  key->require_subcommand(1);

  auto gen_args = std::make_shared<GenerateArgs>();
  auto* gen = key->add_subcommand(
      "generate", "write a new signer key file (mode 0600) and print its verifier key");
  gen->add_option("name", gen_args->name, "key name, e.g. the log origin example.com/log")
      ->required();
  gen->add_option("-o,--output", gen_args->output, "signer key file to create (never overwritten)")
      ->required();
  gen->add_flag("--cosigner", gen_args->cosigner,
                "print the witness cosignature verifier key (type 0x04) of the new key");
  gen->callback([gen_args] { ExitCode() = RunGenerate(*gen_args); });

  auto pub_args = std::make_shared<PublicArgs>();
  auto* pub = key->add_subcommand("public", "print the verifier key of a signer key file");
  pub->add_option("file", pub_args->file, "signer key file")->required()->check(CLI::ExistingFile);
  pub->add_flag("--cosigner", pub_args->cosigner,
                "print the witness cosignature verifier key (type 0x04)");
  pub->callback([pub_args] { ExitCode() = RunPublic(*pub_args); });
}

}  // namespace clearbox::cli
