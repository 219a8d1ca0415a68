#!/usr/bin/env bash
# Compiles PyNN's NMODL mechanisms for pyNN.neuron on Debian 12, without touching system files
# (docs/targets/spinnaker.md, "PyNN script"; spec ../shared/reference/spinnaker-pynn.md §5.1).
#
#   bash scripts/pynn-neuron-setup.sh [DIR]     # default DIR: .cache/pynn-neuron
#   PYTHONPATH=DIR/overlay /usr/bin/python3 out/net/run_pynn.py neuron
#
# Needs Debian's python3-pynn, python3-neuron, neuron-dev and libinterviews-dev. Debian's
# nrnivmodl looks for nrnmech_makefile in /usr/bin and libnrniv.so in /usr/lib, but they are
# in /usr/lib/nrn, so a fake NRNHOME of symlinks points it there; the mechanisms are compiled
# into a private copy of the pyNN package (the overlay), which PYTHONPATH puts first.
set -euo pipefail
dir="${1:-.cache/pynn-neuron}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
pynn=/usr/lib/python3/dist-packages/pyNN
for need in "$pynn/neuron/nmodl" /usr/bin/nrnivmodl /usr/lib/nrn/nrnmech_makefile; do
  [ -e "$need" ] || { echo "pynn-neuron-setup: $need is missing (apt-get install python3-pynn python3-neuron neuron-dev libinterviews-dev)" >&2; exit 2; }
done
lib="$dir/overlay/pyNN/neuron/nmodl/x86_64/.libs/libnrnmech.so"
if [ -f "$lib" ]; then echo "$dir/overlay"; exit 0; fi
root="$dir/nrnroot"
rm -rf "$root" "$dir/overlay.tmp"
mkdir -p "$root/bin" "$dir/overlay.tmp"
ln -sf /usr/bin/nocmodl /usr/bin/nrniv /usr/bin/modlunit /usr/bin/nrnivmodl "$root/bin/"
ln -sf /usr/lib/nrn/nrnmech_makefile "$root/bin/nrnmech_makefile"
ln -sfn /usr/lib/nrn "$root/lib"
ln -sfn /usr/include "$root/include"
ln -sfn /usr/share "$root/share"
cp -r "$pynn" "$dir/overlay.tmp/"
(cd "$dir/overlay.tmp/pyNN/neuron/nmodl" && NRNHOME="$root" nrnivmodl >"$dir/nrnivmodl.log" 2>&1) || {
  # nrnivmodl exits 2 when only the `special` link fails (no libinterviews-dev); the library is what pyNN loads.
  [ -f "$dir/overlay.tmp/pyNN/neuron/nmodl/x86_64/.libs/libnrnmech.so" ] || { cat "$dir/nrnivmodl.log" >&2; exit 1; }
}
rm -rf "$dir/overlay"
mv "$dir/overlay.tmp" "$dir/overlay"
echo "$dir/overlay"
