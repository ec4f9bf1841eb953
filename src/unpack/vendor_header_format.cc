// The format handlers of the vendor firmware headers (vendor_header.h): one FormatHandler
// per header, all opened the same way. The header's strings become an info note, checksum
// results and faults become notes, and each part becomes a labelled payload (zero-copy
// views of the image), listed as a file too when no format recognises it (a raw kernel).
#include <fmt/format.h>

#include "decompress_payload.h"
#include "internal/format.h"
#include "vendor_header.h"

namespace clearbox::unpack::internal {
namespace {

using ProbeFn = std::optional<vendor::Probed> (*)(ByteView);
using ParseFn = Result<vendor::Image> (*)(ByteView);

std::optional<Match> ToMatch(std::optional<vendor::Probed> probed) {
  if (!probed) return std::nullopt;
  Match m;
  m.length = probed->length;
  m.detail = std::move(probed->detail);
  return m;
}

// Directory nodes for the folders in a part's name ("generic folder/test file 3_.txt"),
// so that the file the part becomes sits in a listed directory.
Status AddParentDirectories(Walker& walker, const std::string& name,
                            std::vector<std::string>& added) {
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    std::string dir = name.substr(0, slash);
    if (dir.empty() || std::find(added.begin(), added.end(), dir) != added.end()) continue;
    added.push_back(dir);
    Node node;
    node.path = dir;
    node.type = NodeType::kDirectory;
    node.mode = 0755;
    CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), nullptr));
  }
  return Status::Ok();
}

Result<uint64_t> OpenImage(ParseFn parse, ByteView container, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(vendor::Image image, parse(container));
  if (!image.summary.empty()) walker.AddNote(Note::Kind::kInfo, 0, std::move(image.summary));
  for (Note& note : image.notes) walker.AddNote(note.kind, note.offset, std::move(note.message));
  std::vector<std::string> directories;
  for (const vendor::Part& part : image.parts) {
    if (part.data.empty()) continue;
    CLEARBOX_RETURN_IF_ERROR(AddParentDirectories(walker, part.label, directories));
    CLEARBOX_RETURN_IF_ERROR(
        HandOn(walker, part.data, part.label, part.offset, PayloadFile{part.label, 0}));
  }
  return image.length ? std::min<uint64_t>(image.length, container.size()) : 0;
}

#define CLEARBOX_VENDOR_OPEN(Name)                                                               \
  std::optional<Match> Probe##Name(ByteView data) { return ToMatch(vendor::Probe##Name(data)); } \
  Result<uint64_t> Open##Name(ByteView container, const Match&, Walker& walker) {                \
    return OpenImage(vendor::Parse##Name, container, walker);                                    \
  }

CLEARBOX_VENDOR_OPEN(Xiaomi)
CLEARBOX_VENDOR_OPEN(Tplink)
CLEARBOX_VENDOR_OPEN(Chk)
CLEARBOX_VENDOR_OPEN(Seama)
CLEARBOX_VENDOR_OPEN(Ubiquiti)
CLEARBOX_VENDOR_OPEN(HuaweiApp)
CLEARBOX_VENDOR_OPEN(Hwnp)
CLEARBOX_VENDOR_OPEN(Realtek)
CLEARBOX_VENDOR_OPEN(Zynos)
CLEARBOX_VENDOR_OPEN(Cfe)
#undef CLEARBOX_VENDOR_OPEN

}  // namespace

extern const FormatHandler kXiaomiFormat = {
    .name = "xiaomi",
    .magics = {{"HDR1", 0}, {"HDR2", 0}},
    .flags = 0,
    .probe = ProbeXiaomi,
    .open = OpenXiaomi,
    .open_stream = nullptr,
};

// Version 1 headers carry the vendor string; versions 2 and 3 (mktplinkfw2) the constant
// 0x55aa at 0x8c.
extern const FormatHandler kTplinkFormat = {
    .name = "tplink",
    .magics = {{"TP-LINK Technologies", 4}, {"\x55\xaa", 0x8c}},
    .flags = 0,
    .probe = ProbeTplink,
    .open = OpenTplink,
    .open_stream = nullptr,
};

extern const FormatHandler kChkFormat = {
    .name = "chk",
    .magics = {{"*#$^", 0}},
    .flags = 0,
    .probe = ProbeChk,
    .open = OpenChk,
    .open_stream = nullptr,
};

extern const FormatHandler kSeamaFormat = {
    .name = "seama",
    .magics = {{"\x5e\xa3\xa4\x17", 0}},
    .flags = 0,
    .probe = ProbeSeama,
    .open = OpenSeama,
    .open_stream = nullptr,
};

extern const FormatHandler kUbiquitiFormat = {
    .name = "ubnt",
    .magics = {{"UBNT", 0}, {"OPEN", 0}},
    .flags = 0,
    .probe = ProbeUbiquiti,
    .open = OpenUbiquiti,
    .open_stream = nullptr,
};

// UPDATE.APP starts with 92 zero bytes; the first partition's magic follows.
extern const FormatHandler kHuaweiAppFormat = {
    .name = "huawei_app",
    .magics = {{"\x55\xaa\x5a\xa5", 92}},
    .flags = 0,
    .probe = ProbeHuaweiApp,
    .open = OpenHuaweiApp,
    .open_stream = nullptr,
};

extern const FormatHandler kHwnpFormat = {
    .name = "hwnp",
    .magics = {{"HWNP", 0}},
    .flags = 0,
    .probe = ProbeHwnp,
    .open = OpenHwnp,
    .open_stream = nullptr,
};

extern const FormatHandler kRealtekFormat = {
    .name = "realtek",
    .magics = {{"cs6b", 0}, {"cs6c", 0}, {"cr6b", 0}, {"cr6c", 0}, {"csys", 0}},
    .flags = 0,
    .probe = ProbeRealtek,
    .open = OpenRealtek,
    .open_stream = nullptr,
};

// ZyNOS objects carry "SIG" after the load address and a 16-bit field.
extern const FormatHandler kZynosFormat = {
    .name = "zynos",
    .magics = {{"SIG", 6}},
    .flags = 0,
    .probe = ProbeZynos,
    .open = OpenZynos,
    .open_stream = nullptr,
};

// Broadcom's image tag (CFE firmware images) names its vendor at offset 4.
extern const FormatHandler kCfeFormat = {
    .name = "bcm_tag",
    .magics = {{"Broadcom Corporatio", 4}},
    .flags = 0,
    .probe = ProbeCfe,
    .open = OpenCfe,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
