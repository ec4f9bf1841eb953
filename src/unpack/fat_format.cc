// The FAT format handler: a boot sector whose BPB is consistent, then every entry with its
// content read from its cluster chain. Carved by the file-system type string mkfs.vfat and
// every common formatter writes ("FAT12   " at 54, "FAT32   " at 82): the 0x55AA at 510
// alone is too common (the MBR handler, which uses it, leaves FAT boot sectors to this one).
#include <fmt/format.h>

#include "fat.h"
#include "internal/format.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::internal {
namespace {

std::string VolumeDetail(const fat::BootSector& b, const std::string& label) {
  return fmt::format("{}, {} clusters of {} bytes, label \"{}\", serial {:#010x}",
                     fat::FatTypeName(b.type), b.cluster_count, b.cluster_bytes(), label,
                     b.serial);
}

std::optional<Match> ProbeFat(ByteView data) {
  std::optional<fat::BootSector> b = fat::ReadBootSector(data);
  if (!b) return std::nullopt;
  Match m;
  m.length = b->volume_bytes();
  m.detail = VolumeDetail(*b, b->label);
  return m;
}

Result<uint64_t> OpenFat(ByteView container, const Match&, Walker& walker) {
  CLEARBOX_ASSIGN_OR_RETURN(fat::Filesystem fs, fat::Filesystem::Parse(container));
  walker.AddNote(Note::Kind::kInfo, 0,
                 fmt::format("{} volume: {}, OEM \"{}\"", fat::FatTypeName(fs.boot().type),
                             VolumeDetail(fs.boot(), fs.label()), fs.boot().oem));
  CLEARBOX_RETURN_IF_ERROR(ReportFilesystem(fs, walker));
  return fs.extent();
}

}  // namespace

extern const FormatHandler kFatFormat = {
    .name = "fat",
    .magics = {{"FAT12   ", 54}, {"FAT16   ", 54}, {"FAT     ", 54}, {"FAT32   ", 82}},
    .flags = kFormatFilesystem,
    .probe = ProbeFat,
    .open = OpenFat,
    .open_stream = nullptr,
};

}  // namespace clearbox::unpack::internal
