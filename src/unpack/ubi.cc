#include "ubi.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "clearbox/core/digest.h"

namespace clearbox::unpack::ubi {
namespace {

constexpr uint32_t kMinPebSize = 512;
constexpr uint32_t kMaxPebSize = 16u << 20;
constexpr size_t kMaxNotesPerKind = 32;

struct Vid {
  uint8_t vol_type = 0;
  uint8_t copy_flag = 0;
  uint32_t vol_id = 0;
  uint32_t lnum = 0;
  uint32_t data_size = 0;
  uint32_t used_ebs = 0;
  uint32_t data_pad = 0;
  uint32_t data_crc = 0;
  uint64_t sqnum = 0;
};

bool AllErased(ByteView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0xff; });
}

struct Candidate {
  Vid vid;
  uint64_t peb_offset = 0;
};

class Parser {
 public:
  explicit Parser(ByteView data) : data_(data) {}

  Result<Image> Run() {
    std::optional<EcHeader> ec0 = ReadEcHeader(data_);
    if (!ec0) return Error::InvalidInput("ubi: no valid erase-counter header at offset 0");
    if (ec0->version != 1) {
      return Error::InvalidInput(fmt::format("ubi: unsupported version {}", ec0->version));
    }
    if (ec0->vid_hdr_offset < kEcHeaderSize ||
        uint64_t{ec0->vid_hdr_offset} + kVidHeaderSize > ec0->data_offset ||
        ec0->data_offset >= kMaxPebSize) {
      return Error::InvalidInput(
          fmt::format("ubi: header offsets vid {:#x} / data {:#x} impossible", ec0->vid_hdr_offset,
                      ec0->data_offset));
    }
    image_.vid_hdr_offset = ec0->vid_hdr_offset;
    image_.data_offset = ec0->data_offset;
    image_.image_seq = ec0->image_seq;
    image_.peb_size = FindPebSize();
    if (image_.peb_size <= image_.data_offset) {
      return Error::InvalidInput("ubi: the data offset lies past the end of the only PEB");
    }
    image_.leb_size = image_.peb_size - image_.data_offset;
    ScanPebs();
    ReadVolumeTable();
    BuildVolumes();
    for (const auto& [kind, count] : counts_) {
      if (count > kMaxNotesPerKind) {
        Add(Note::Kind::kCorrupt, "", 0,
            fmt::format("{} more problems of kind '{}' not listed", count - kMaxNotesPerKind,
                        kind));
      }
    }
    return std::move(image_);
  }

 private:
  void Add(Note::Kind kind, const std::string& category, uint64_t offset, std::string message) {
    if (!category.empty() && ++counts_[category] > kMaxNotesPerKind) return;
    image_.notes.push_back({kind, "", offset, std::move(message)});
  }

  // The PEB size: where the next erase-counter header of the same image sits.
  uint32_t FindPebSize() const {
    for (uint64_t s = kMinPebSize; s <= kMaxPebSize && s < data_.size(); s *= 2) {
      if (s <= image_.data_offset) continue;
      std::optional<EcHeader> next = ReadEcHeader(data_.subspan(s));
      if (next && next->image_seq == image_.image_seq) return static_cast<uint32_t>(s);
    }
    // A single PEB: the whole image (when it could be one).
    return static_cast<uint32_t>(std::min<uint64_t>(data_.size(), kMaxPebSize));
  }

  std::optional<Vid> ReadVid(uint64_t at) {
    if (!FitsIn(data_.size(), at, kVidHeaderSize)) return std::nullopt;
    ByteView h = data_.subspan(at, kVidHeaderSize);
    const uint8_t* p = h.data();
    if (LoadBE32(p) != kVidMagic) {
      if (!AllErased(h)) {
        Add(Note::Kind::kCorrupt, "vid", at, fmt::format("no volume header magic at {:#x}", at));
      }
      return std::nullopt;
    }
    if (UbiCrc(h.first(60)) != LoadBE32(p + 60)) {
      Add(Note::Kind::kCorrupt, "vid", at, fmt::format("volume header CRC mismatch at {:#x}", at));
      return std::nullopt;
    }
    Vid v;
    v.vol_type = p[5];
    v.copy_flag = p[6];
    v.vol_id = LoadBE32(p + 8);
    v.lnum = LoadBE32(p + 12);
    v.data_size = LoadBE32(p + 20);
    v.used_ebs = LoadBE32(p + 24);
    v.data_pad = LoadBE32(p + 28);
    v.data_crc = LoadBE32(p + 32);
    v.sqnum = LoadBE64(p + 40);
    return v;
  }

  void ScanPebs() {
    const uint64_t peb = image_.peb_size;
    for (uint64_t offset = 0; offset < data_.size(); offset += peb) {
      ByteView head =
          data_.subspan(offset, std::min<uint64_t>(kEcHeaderSize, data_.size() - offset));
      std::optional<EcHeader> ec = ReadEcHeader(head);
      if (!ec) {
        if (head.size() >= 4 && LoadBE32(head.data()) == kEcMagic) {
          Add(Note::Kind::kCorrupt, "ec", offset,
              fmt::format("erase-counter header CRC mismatch at {:#x}", offset));
        } else if (!AllErased(head)) {
          break;  // neither UBI nor erased flash: the end of this UBI image
        }
      } else if (ec->image_seq != image_.image_seq) {
        break;  // the start of another UBI image
      }
      image_.peb_count = offset / peb + 1;
      if (data_.size() - offset < peb) {
        Add(Note::Kind::kCorrupt, "", offset,
            fmt::format("truncated: the last PEB at {:#x} has {} of {} bytes", offset,
                        data_.size() - offset, peb));
      }
      if (std::optional<Vid> vid = ReadVid(offset + image_.vid_hdr_offset)) {
        candidates_.push_back({*vid, offset});
      }
    }
  }

  // The data of the LEB a candidate PEB holds, as far as the image has it.
  ByteView LebData(const Candidate& c, uint64_t size) const {
    uint64_t start = c.peb_offset + image_.data_offset;
    if (start >= data_.size()) return {};
    return data_.subspan(start, std::min<uint64_t>(size, data_.size() - start));
  }

  // Picks, per (volume, LEB), the copy with the highest sequence number whose data CRC (when
  // the header asks for one to be checked) verifies.
  void Resolve() {
    std::stable_sort(candidates_.begin(), candidates_.end(),
                     [](const Candidate& a, const Candidate& b) {
                       if (a.vid.vol_id != b.vid.vol_id) return a.vid.vol_id < b.vid.vol_id;
                       if (a.vid.lnum != b.vid.lnum) return a.vid.lnum < b.vid.lnum;
                       return a.vid.sqnum > b.vid.sqnum;
                     });
    for (size_t i = 0; i < candidates_.size();) {
      size_t j = i;
      while (j < candidates_.size() && candidates_[j].vid.vol_id == candidates_[i].vid.vol_id &&
             candidates_[j].vid.lnum == candidates_[i].vid.lnum) {
        ++j;
      }
      const Candidate* chosen = nullptr;
      for (size_t k = i; k < j && !chosen; ++k) {
        const Candidate& c = candidates_[k];
        bool checked = c.vid.copy_flag || c.vid.vol_type == kStatic;
        bool crc_ok = true;
        if (checked) {
          ByteView d = LebData(c, c.vid.data_size);
          crc_ok = d.size() == c.vid.data_size && UbiCrc(d) == c.vid.data_crc;
        }
        if (crc_ok || k + 1 == j) {
          if (!crc_ok) {
            Add(Note::Kind::kCorrupt, "data crc", c.peb_offset,
                fmt::format("volume {} LEB {} (PEB at {:#x}): data CRC mismatch", c.vid.vol_id,
                            c.vid.lnum, c.peb_offset));
          }
          chosen = &c;
        }
      }
      resolved_.push_back(*chosen);
      i = j;
    }
  }

  void ReadVolumeTable() {
    Resolve();
    for (int copy = 0; copy < 2; ++copy) {
      auto it = std::find_if(resolved_.begin(), resolved_.end(), [&](const Candidate& c) {
        return c.vid.vol_id == kLayoutVolumeId && c.vid.lnum == static_cast<uint32_t>(copy);
      });
      if (it == resolved_.end()) continue;
      ByteView table = LebData(*it, image_.leb_size);
      size_t records = std::min(kMaxVolumes, table.size() / kVtblRecordSize);
      std::vector<Volume> found;
      bool clean = true;
      for (size_t i = 0; i < records; ++i) {
        const uint8_t* r = table.data() + i * kVtblRecordSize;
        if (UbiCrc(ByteView(r, kVtblRecordSize - 4)) != LoadBE32(r + kVtblRecordSize - 4)) {
          Add(Note::Kind::kCorrupt, "vtbl",
              it->peb_offset + image_.data_offset + i * kVtblRecordSize,
              fmt::format("volume table copy {}: record {} CRC mismatch", copy, i));
          clean = false;
          continue;
        }
        uint32_t reserved = LoadBE32(r);
        if (reserved == 0) continue;  // an empty slot
        Volume v;
        v.id = static_cast<uint32_t>(i);
        v.reserved_pebs = reserved;
        v.alignment = LoadBE32(r + 4);
        v.data_pad = LoadBE32(r + 8);
        v.type = r[12];
        uint16_t name_len = LoadBE16(r + 14);
        v.name.assign(reinterpret_cast<const char*>(r + 16), std::min<size_t>(name_len, 127));
        v.flags = r[144];
        v.in_table = true;
        if (r[13]) {
          Add(Note::Kind::kWarning, "", it->peb_offset,
              fmt::format("volume {} '{}' was being updated: its content may be incomplete", i,
                          v.name));
        }
        found.push_back(std::move(v));
      }
      if (clean || copy == 1 || table_.empty()) table_ = std::move(found);
      if (clean) return;
    }
    if (table_.empty()) Add(Note::Kind::kCorrupt, "", 0, "no readable volume table");
  }

  void BuildVolumes() {
    std::map<uint32_t, Volume> volumes;
    for (Volume& v : table_) volumes[v.id] = v;
    for (const Candidate& c : resolved_) {
      if (c.vid.vol_id == kLayoutVolumeId) continue;
      if (c.vid.vol_id >= kMaxVolumes) {
        Add(Note::Kind::kCorrupt, "vol id", c.peb_offset,
            fmt::format("PEB at {:#x} belongs to volume {}, past the last possible id",
                        c.peb_offset, c.vid.vol_id));
        continue;
      }
      auto [it, fresh] = volumes.try_emplace(c.vid.vol_id);
      Volume& v = it->second;
      if (fresh) {
        v.id = c.vid.vol_id;
        v.type = c.vid.vol_type;
        v.data_pad = c.vid.data_pad;
        Add(Note::Kind::kCorrupt, "", c.peb_offset,
            fmt::format("volume {} has blocks but no volume table record", v.id));
      }
      if (c.vid.lnum >= image_.peb_count || (v.in_table && c.vid.lnum >= v.reserved_pebs)) {
        Add(Note::Kind::kCorrupt, "lnum", c.peb_offset,
            fmt::format("volume {} LEB {} (PEB at {:#x}) lies outside the volume: dropped", v.id,
                        c.vid.lnum, c.peb_offset));
        continue;
      }
      uint32_t leb_size = image_.leb_size - std::min(v.data_pad, image_.leb_size);
      uint32_t size = v.type == kStatic ? std::min(c.vid.data_size, leb_size) : leb_size;
      if (v.type == kStatic) v.used_ebs = c.vid.used_ebs;
      v.lebs[c.vid.lnum] = Leb{c.peb_offset + image_.data_offset, size, c.vid.sqnum};
    }
    for (auto& [id, v] : volumes) {
      v.leb_size = image_.leb_size - std::min(v.data_pad, image_.leb_size);
      if (v.type == kStatic && v.used_ebs != 0 && v.lebs.size() != v.used_ebs) {
        Add(Note::Kind::kCorrupt, "", 0,
            fmt::format("static volume {} '{}' has {} of its {} LEBs", id, v.name, v.lebs.size(),
                        v.used_ebs));
      }
      image_.volumes.push_back(std::move(v));
    }
  }

  ByteView data_;
  Image image_;
  std::vector<Candidate> candidates_;
  std::vector<Candidate> resolved_;
  std::vector<Volume> table_;
  std::map<std::string, size_t> counts_;
};

}  // namespace

uint32_t UbiCrc(ByteView data) { return ~Crc32(data); }

std::optional<EcHeader> ReadEcHeader(ByteView data) {
  if (data.size() < kEcHeaderSize || LoadBE32(data.data()) != kEcMagic) return std::nullopt;
  if (UbiCrc(data.first(60)) != LoadBE32(data.data() + 60)) return std::nullopt;
  const uint8_t* p = data.data();
  return EcHeader{p[4], LoadBE64(p + 8), LoadBE32(p + 16), LoadBE32(p + 20), LoadBE32(p + 24)};
}

uint64_t Volume::size() const {
  if (lebs.empty()) return 0;
  const auto& [last, leb] = *lebs.rbegin();
  return uint64_t{last} * leb_size + (type == kStatic ? leb.data_size : leb_size);
}

Result<Image> Parse(ByteView data) { return Parser(data).Run(); }

Status Assemble(ByteView data, const Image& image, const Volume& volume,
                const std::function<Status(uint64_t, ByteView)>& write) {
  static const Bytes kErased(64 << 10, 0xff);
  uint64_t pos = 0;
  auto fill = [&](uint64_t end) -> Status {
    while (pos < end) {
      uint64_t n = std::min<uint64_t>(end - pos, kErased.size());
      CLEARBOX_RETURN_IF_ERROR(write(pos, ByteView(kErased).first(n)));
      pos += n;
    }
    return Status::Ok();
  };
  for (const auto& [lnum, leb] : volume.lebs) {
    CLEARBOX_RETURN_IF_ERROR(fill(uint64_t{lnum} * volume.leb_size));
    ByteView d;
    if (leb.data_offset < data.size()) {
      d = data.subspan(leb.data_offset,
                       std::min<uint64_t>(leb.data_size, data.size() - leb.data_offset));
    }
    if (!d.empty()) CLEARBOX_RETURN_IF_ERROR(write(pos, d));
    pos += d.size();
    CLEARBOX_RETURN_IF_ERROR(fill(uint64_t{lnum} * volume.leb_size + leb.data_size));  // truncated
  }
  return Status::Ok();
}

Result<Bytes> AssembleToBytes(ByteView data, const Image& image, const Volume& volume,
                              uint64_t max_size) {
  if (volume.size() > max_size) {
    return Error::LimitExceeded(fmt::format("ubi: volume {} is {} bytes, over the limit of {}",
                                            volume.id, volume.size(), max_size));
  }
  Bytes out(volume.size(), 0xff);
  CLEARBOX_RETURN_IF_ERROR(Assemble(data, image, volume, [&](uint64_t offset, ByteView bytes) {
    if (!FitsIn(out.size(), offset, bytes.size()))
      return Status(Error::Internal("ubi: assembly overflow"));
    std::memcpy(out.data() + offset, bytes.data(), bytes.size());
    return Status::Ok();
  }));
  return out;
}

}  // namespace clearbox::unpack::ubi
