// libfmt's compiled part, built into clearbox instead of linked from libfmt.so.
//
// Debian ships libfmt only as a shared library. Linking it drags libstdc++.so into every
// start of the statically linked CLI (cmake/ClearboxStaticLink.cmake): ~1.4 ms of loading
// and relocating, as much as a third of a `clearbox ls`. FMT_HEADER_ONLY would avoid it too,
// but doubles the compile time of every file that includes <fmt/format.h>. So the non-inline
// functions of fmt (format-inl.h, compiled here with FMT_FUNC empty) are built once, in this
// file, and nothing links libfmt.so.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
// format.h declares these `extern template` (they live in libfmt.so's format.cc): the
// instantiations for char that clearbox's formatting reaches.
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl(locale_ref) -> char;
}  // namespace detail
FMT_END_NAMESPACE
