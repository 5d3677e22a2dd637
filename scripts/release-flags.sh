# Sourced by build-deb.sh and bench.sh: one set of `swift build` flags for the binaries we ship,
# so the benchmark measures what the package installs.
ccagent_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RELEASE_FLAGS=(
  -c release --static-swift-stdlib
  # lld, for packed relative relocations (DT_RELR, glibc >= 2.36): the 60 000 RELA entries of
  # a PIE Swift binary (1.4 MB, all read and kept resident at start) shrink to 12 kB.
  -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs
  # The static stdlib's link arguments export every symbol of our modules (18 000 entries,
  # 1.5 MB of .dynsym/.dynstr that each shared library's symbol lookup touches); nothing
  # looks them up.
  -Xlinker --no-export-dynamic
  # The functions a running agent executes, laid out together (scripts/link-order.sh
  # regenerates the list): its code then occupies fewer resident pages.
  -Xlinker "--symbol-ordering-file=$ccagent_root/packaging/ccagentd.order"
  -Xlinker --no-warn-symbol-ordering
  # Full RELRO (lintian's hardening-no-bindnow).
  -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
)
