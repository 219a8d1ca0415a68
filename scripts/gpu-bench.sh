#!/usr/bin/env bash
# GPU benchmarks on a machine that has an NVIDIA GPU but maybe no Node and no network.
#
#   bash scripts/gpu-bench.sh pack [--no-build] [--keep-going] [--bundle-only] [--no-vulkan-deb] [--no-check] [--dir DIR]
#       (here, on the Debian 12 dev machine) build, bundle the CLI with esbuild into gpu-pack/,
#       add node (xz -9), dawn.node (xz -9), the Vulkan loader's .deb and the connectome manifest.
#   bash scripts/gpu-bench.sh run [--quick] [--json] [--engine E] [--backend B] [--size N]
#                                 [--duration D] [--budget S] [--system-node] [--dir DIR]
#       (there, from the repo root, gpu-pack/ carried along) print the machine, check Vulkan,
#       probe WebGPU, run the benchmarks, each with a time limit; log to $OUT/gpu-bench.log.
#
# See docs/gpu-benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK="$ROOT/gpu-pack"
PACK_LIMIT_MIB=60 # the device's working tree is limited to 64 MiB, repo included

say() { printf '%s\n' "$*"; }
die() { printf 'gpu-bench: %s\n' "$*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
fsize() { stat -c %s "$1"; }

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# ───────────────────────────────────────────── pack ─────────────────────────────────────────────

# The esbuild step (JS API: plugins are needed). Reads its settings from the environment.
# - every file of dist/: `new URL('./x.js', import.meta.url)` (worker entries) becomes a
#   separate bundle next to the main one, `new URL('./asset', import.meta.url)` a copied asset;
# - node_modules/webgpu/index.js: dawn.node comes from $NEMATODE_DAWN_NODE or the pack folder;
# - imports that do not resolve (optional native `gl`, an engine not built yet) stay external
#   and fail at run time where they are used, with a warning here;
# - CommonJS `require` inside the ESM bundle works through createRequire (banner).
bundle_js() {
  cat <<'EOF'
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const root = process.env.NEMATODE_ROOT;
const out = process.env.NEMATODE_PACK;
const require = createRequire(path.join(root, 'package.json'));
const esbuild = require('esbuild');
const dist = path.join(root, 'dist') + path.sep;

const banner = "import { createRequire as __nematodeCreateRequire } from 'node:module';\n" +
  'const require = __nematodeCreateRequire(import.meta.url);';
const workers = new Map(); // absolute source → output file name (in the pack folder)
const assets = new Map();
const external = new Map(); // import → importers
const flat = (abs) => path.relative(dist, abs).split(path.sep).join('.').replace(/^src\./, ''); // dist/src/a/b.js → a.b.js

const plugin = {
  name: 'nematode-pack',
  setup(build) {
    // optional natives: required inside try/catch by gpu.js and msgpackr; never bundle them
    build.onResolve({ filter: /^(gl|msgpackr-extract)$/ }, (a) => ({ path: a.path, external: true }));
    build.onResolve({ filter: /.*/ }, async (a) => {
      if (a.pluginData?.probe || a.kind === 'entry-point') return undefined;
      const r = await build.resolve(a.path, { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir, pluginData: { probe: true } });
      if (r.errors.length === 0) return undefined;
      const from = path.relative(root, a.importer);
      external.set(a.path, [...(external.get(a.path) ?? []), from]);
      return { path: a.path, external: true };
    });
    build.onLoad({ filter: /\.js$/ }, async (a) => {
      if (!a.path.startsWith(dist)) return undefined;
      let text = await fs.promises.readFile(a.path, 'utf8');
      text = text.replace(/new URL\((['"])(\.{1,2}\/[^'"]+)\1,\s*import\.meta\.url\)/g, (m, q, rel) => {
        const target = path.resolve(path.dirname(a.path), rel);
        if (!target.startsWith(dist) || !fs.existsSync(target)) return m;
        if (target.endsWith('.js')) {
          const name = workers.get(target) ?? flat(target).replace(/\.js$/, '.mjs');
          workers.set(target, name);
          return `new URL('./${name}', import.meta.url)`;
        }
        const name = 'assets/' + flat(target);
        assets.set(target, name);
        return `new URL('./${name}', import.meta.url)`;
      });
      return { contents: text, loader: 'js', resolveDir: path.dirname(a.path) };
    });
    build.onLoad({ filter: /[\\/]node_modules[\\/]webgpu[\\/]index\.js$/ }, async (a) => {
      const text = await fs.promises.readFile(a.path, 'utf8');
      const re = /const dawnNodePath = [^;]+;/;
      if (!re.test(text)) throw new Error(`${a.path}: no "const dawnNodePath = …;" line to redirect (webgpu changed?)`);
      const patched = text.replace(re, [
        "const dawnNodePath = process.env.NEMATODE_DAWN_NODE || join(__dirname, 'dawn.node');",
        "if (!require('node:fs').existsSync(dawnNodePath)) throw new Error(`dawn.node not found at ${dawnNodePath}: " +
          "run through 'bash scripts/gpu-bench.sh run' (it unpacks gpu-pack/dawn.node.xz) or set NEMATODE_DAWN_NODE`);",
      ].join('\n'));
      return { contents: patched, loader: 'js', resolveDir: path.dirname(a.path) };
    });
  },
};

const common = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', banner: { js: banner },
  plugins: [plugin], logLevel: 'warning', legalComments: 'none', metafile: true,
};
const built = [];
async function one(opts, label) {
  const r = await esbuild.build({ ...common, ...opts });
  const bytes = Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  built.push(`${label} (${(bytes / 1048576).toFixed(2)} MiB)`);
}

// The CLI is nematode.js (ESM through the pack's package.json), so that code which checks that it
// runs compiled (import.meta.url ends in .js) and starts the CLI again in a child process
// (`new URL('../cli/main.js', import.meta.url)`, rewritten to ./nematode.js) works as from dist/.
// nematode.mjs only imports it.
const main = path.join(dist, 'src', 'cli', 'main.js');
workers.set(main, 'nematode.js');
await one({ entryPoints: [main], outfile: path.join(out, 'nematode.js') }, 'nematode.js');
fs.writeFileSync(path.join(out, 'nematode.mjs'), "import './nematode.js';\n");
built.push('nematode.mjs (imports nematode.js)');
await one({
  stdin: { contents: fs.readFileSync(path.join(out, '.webgpu-probe.src.mjs'), 'utf8'), resolveDir: root, sourcefile: 'webgpu-probe.mjs', loader: 'js' },
  outfile: path.join(out, 'webgpu-probe.mjs'),
}, 'webgpu-probe.mjs');
// workers (and the workers they start) until none is new
const done = new Set([main]);
for (let more = true; more; ) {
  more = false;
  for (const [src, name] of [...workers]) {
    if (done.has(src)) continue;
    done.add(src);
    more = true;
    await one({ entryPoints: [src], outfile: path.join(out, name) }, `${name} (worker, from ${path.relative(root, src)})`);
  }
}
for (const [src, name] of assets) {
  fs.mkdirSync(path.dirname(path.join(out, name)), { recursive: true });
  fs.copyFileSync(src, path.join(out, name));
  built.push(`${name} (asset, from ${path.relative(root, src)})`);
}
for (const b of built) console.log(`  bundled ${b}`);
for (const [imp, from] of external) {
  const where = [...new Set(from)].join(', ');
  const why = imp.startsWith('.') ? 'not built (yet?): using it fails at run time' : 'not installed: left external (optional; required inside try/catch)';
  console.log(`  warning: ${imp} (imported by ${where}) ${why}`);
}
EOF
}

# A stand-alone WebGPU check: loads dawn.node, asks for an adapter, prints what it is and runs
# one compute shader, all inside a deadline. Independent of the gpu engine.
probe_js() {
  cat <<'EOF'
const say = (s) => process.stdout.write(`webgpu-probe: ${s}\n`);
const deadline = Number(process.env.NEMATODE_PROBE_TIMEOUT_S || 60);
setTimeout(() => { say(`FAIL: no answer within ${deadline} s`); process.exit(3); }, deadline * 1000).unref();

try {
  const { create, globals } = await import('webgpu'); // inside try: a dawn.node that does not load is a FAIL line too
  Object.assign(globalThis, globals);
  const flags = (process.env.NEMATODE_DAWN_FLAGS || '').split(/\s+/).filter(Boolean);
  const gpu = create(flags);
  say(`dawn.node loaded${flags.length ? ` (flags ${flags.join(' ')})` : ''}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    say('FAIL: no WebGPU adapter. Dawn found no usable Vulkan device (libvulkan.so.1 and a GPU driver ICD are needed; see the Vulkan lines above).');
    process.exit(2);
  }
  const info = adapter.info ?? {};
  say(`adapter: ${[info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || '(no info)'}${adapter.isFallbackAdapter ? ' (fallback adapter)' : ''}`);
  const L = adapter.limits;
  say(`limits: maxStorageBufferBindingSize ${L.maxStorageBufferBindingSize}, maxBufferSize ${L.maxBufferSize}, maxComputeWorkgroupsPerDimension ${L.maxComputeWorkgroupsPerDimension}, maxComputeInvocationsPerWorkgroup ${L.maxComputeInvocationsPerWorkgroup}`);
  let features;
  try { features = [...adapter.features].sort().join(' ') || '(none)'; } catch { features = '(not listable)'; }
  say(`features: ${features}`);
  const device = await adapter.requestDevice();
  const n = 1 << 22;
  const t0 = performance.now();
  const module = device.createShaderModule({ code: `
    @group(0) @binding(0) var<storage, read_write> data: array<u32>;
    @compute @workgroup_size(256) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
      if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] * 2u + 1u; }
    }` });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const read = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const input = new Uint32Array(n).map((_, i) => i);
  device.queue.writeBuffer(buf, 0, input);
  const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(n / 256); // 16384 ≤ maxComputeWorkgroupsPerDimension (65535)
  pass.end();
  enc.copyBufferToBuffer(buf, 0, read, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Uint32Array(read.getMappedRange());
  let bad = 0;
  for (let i = 0; i < n; i++) if (got[i] !== ((i * 2 + 1) >>> 0)) bad++;
  read.unmap();
  const ms = performance.now() - t0;
  device.destroy();
  if (bad) { say(`FAIL: compute shader gave ${bad} wrong values of ${n}`); process.exit(4); }
  say(`OK: a compute shader over ${n} u32 ran and read back correctly (${ms.toFixed(1)} ms, compile and transfer included)`);
  process.exit(0); // the object from create() keeps Node alive
} catch (e) {
  say(`FAIL: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
EOF
}

pack_cmd() {
  local build=1 keep_going=0 bundle_only=0 vulkan_deb=1 check=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --no-build) build=0 ;;
      --keep-going) keep_going=1 ;;
      --bundle-only) bundle_only=1 ;;
      --no-vulkan-deb) vulkan_deb=0 ;;
      --no-check) check=0 ;;
      --dir) PACK=$(realpath -m "$2"); shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "pack: unknown option $1 (see --help)" ;;
    esac
    shift
  done
  cd "$ROOT"
  command -v node >/dev/null || die "pack: node is not on PATH"
  local t0=$SECONDS

  if [ "$build" = 1 ]; then
    say "pack: building (tsc -p tsconfig.json)"
    local tsc=node_modules/.bin/tsc
    [ -x "$tsc" ] || tsc="npx tsc"
    if ! $tsc -p tsconfig.json; then
      [ "$keep_going" = 1 ] || die "pack: the build has type errors (above). Fix them, or pass --keep-going to bundle what tsc emitted anyway."
      say "pack: type errors (above); --keep-going: bundling what tsc emitted"
    fi
  fi
  [ -f dist/src/cli/main.js ] || die "pack: dist/src/cli/main.js is missing: build first (npx tsc -p tsconfig.json)"
  node -e "require.resolve('esbuild')" 2>/dev/null || die "pack: esbuild is not installed in node_modules (it comes with vitest: run npm ci)"
  say "pack: esbuild $(node -p "require('esbuild/package.json').version"), into ${PACK#"$ROOT"/}/"

  # the folder is emptied of bundles below: refuse one that is not a pack
  case "$ROOT/" in "$PACK"/*) die "pack: --dir $PACK holds the repo" ;; esac
  if [ -d "$PACK" ] && [ -n "$(ls -A "$PACK")" ] && [ ! -f "$PACK/pack-info.txt" ] && [ ! -f "$PACK/nematode.mjs" ]; then
    die "pack: $PACK is not empty and is no pack (no pack-info.txt): name a new folder"
  fi
  mkdir -p "$PACK"
  # start from a clean bundle; keep the compressed binaries (they are cached by stamp)
  find "$PACK" -mindepth 1 -maxdepth 1 \( -name '*.mjs' -o -name '*.js' -o -name assets -o -name connectomes -o -name kernels \
    -o -name package.json -o -name pack-info.txt -o -name '.webgpu-probe.src.mjs' \) -exec rm -rf {} +
  probe_js >"$PACK/.webgpu-probe.src.mjs"
  NEMATODE_ROOT="$ROOT" NEMATODE_PACK="$PACK" node --input-type=module -e "$(bundle_js)"
  rm -f "$PACK/.webgpu-probe.src.mjs"

  # What the bundle reads next to itself: packageRoot() (src/connectome/manifest.ts) is the nearest
  # folder with a package.json named "nematode", so the pack is one, with connectomes/manifest.json
  # (the manifest only, never connectome data).
  node -e '
    const p = require(process.argv[1] + "/package.json");
    const out = { name: p.name, version: p.version, private: true, type: "module", description: "bundle made by scripts/gpu-bench.sh pack" };
    require("fs").writeFileSync(process.argv[2] + "/package.json", JSON.stringify(out, null, 2) + "\n");' "$ROOT" "$PACK"
  mkdir -p "$PACK/connectomes"
  cp connectomes/manifest.json "$PACK/connectomes/manifest.json"

  if [ "$bundle_only" = 0 ]; then
    [ "$(uname -m)" = x86_64 ] || die "pack: this machine is $(uname -m); the GPU machines are x86-64, so the node binary and dawn.node packed from here would not run there (--bundle-only packs the bundle alone)"
    # node, xz -9, cached while the binary is the same
    local node_bin stamp
    node_bin=$(node -p process.execPath)
    stamp="$node_bin $(node --version) $(stat -c '%s %Y' "$node_bin")"
    if [ -f "$PACK/node.xz" ] && [ "$(cat "$PACK/node.xz.stamp" 2>/dev/null)" = "$stamp" ]; then
      say "  node.xz: cached ($node_bin $(node --version))"
    else
      say "  node.xz: compressing $node_bin ($(node --version), $(mib "$(fsize "$node_bin")")) with xz -9 (about a minute)"
      xz -9 -c "$node_bin" >"$PACK/node.xz.tmp" && mv "$PACK/node.xz.tmp" "$PACK/node.xz"
      printf '%s' "$stamp" >"$PACK/node.xz.stamp"
    fi
    # dawn.node (webgpu 0.6.2 loads on glibc 2.34 / GLIBCXX_3.4.30)
    local dawn=node_modules/webgpu/dist/linux-x64/dawn.node
    [ -f "$dawn" ] || die "pack: $dawn is missing (npm ci installs webgpu 0.6.2 through the overrides in package.json)"
    stamp="$(node -p "require('./node_modules/webgpu/package.json').version") $(stat -c '%s %Y' "$dawn")"
    if [ -f "$PACK/dawn.node.xz" ] && [ "$(cat "$PACK/dawn.node.xz.stamp" 2>/dev/null)" = "$stamp" ]; then
      say "  dawn.node.xz: cached (webgpu ${stamp%% *})"
    else
      say "  dawn.node.xz: compressing $dawn (webgpu ${stamp%% *}, $(mib "$(fsize "$dawn")")) with xz -9"
      xz -9 -c "$dawn" >"$PACK/dawn.node.xz.tmp" && mv "$PACK/dawn.node.xz.tmp" "$PACK/dawn.node.xz"
      printf '%s' "$stamp" >"$PACK/dawn.node.xz.stamp"
    fi
    # the Vulkan loader, in case the GPU machine lacks libvulkan.so.1 (only downloaded, never installed)
    if [ "$vulkan_deb" = 1 ]; then
      if compgen -G "$PACK/debs/libvulkan1_*.deb" >/dev/null; then
        say "  debs/: cached ($(basename "$PACK"/debs/libvulkan1_*.deb))"
      elif command -v apt-get >/dev/null && mkdir -p "$PACK/debs" && (cd "$PACK/debs" && timeout 120 apt-get download -q libvulkan1 >/dev/null 2>&1); then
        say "  debs/: $(basename "$PACK"/debs/libvulkan1_*.deb) (used on the GPU machine only if it has no libvulkan.so.1)"
      else
        say "  warning: could not download libvulkan1 (apt-get download libvulkan1); a GPU machine without libvulkan.so.1 then cannot run WebGPU"
      fi
    fi
  fi

  {
    echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"
    echo "node: $(node --version)"
    echo "webgpu: $(node -p "require('./node_modules/webgpu/package.json').version" 2>/dev/null || echo '?'), gpu.js: $(node -p "require('./node_modules/gpu.js/package.json').version" 2>/dev/null || echo '?')"
    local e engines=""
    for e in clock event gpu; do
      if [ -f "dist/src/engines/$e/index.js" ]; then engines+=" $e"; else engines+=" ($e: not built)"; fi
    done
    echo "engines:$engines"
  } >"$PACK/pack-info.txt"

  if [ "$check" = 1 ]; then
    # a smoke test of the bundle from a copy outside the repo (so nothing resolves from node_modules):
    # a COBA run on two threads loads the worker bundle
    local tmp
    tmp=$(mktemp -d)
    cp -r "$PACK" "$tmp/gpu-pack"
    rm -f "$tmp/gpu-pack/node.xz" "$tmp/gpu-pack/dawn.node.xz"
    if out=$(cd "$tmp" && timeout 60 node gpu-pack/nematode.mjs bench coba --duration 20 --engine clock --threads 2 2>&1) \
      && grep -q 'COBA-4000 \[clock, 2 threads\]' <<<"$out"; then
      say "pack: check ok: $(grep -m1 'COBA-4000' <<<"$out")"
    else
      rm -rf "$tmp"
      die "pack: the bundle failed its check (node gpu-pack/nematode.mjs bench coba --duration 20 --engine clock --threads 2):
$out"
    fi
    rm -rf "$tmp"
  fi

  local total tree
  total=$(du -sb "$PACK" | cut -f1)
  say "pack: $(cd "$PACK" && find . -type f ! -name '*.stamp' -printf '%P\n' | sort | tr '\n' ' ')"
  say "pack: ${PACK#"$ROOT"/}/ is $(mib "$total") ($(( SECONDS - t0 )) s)"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
    say "pack: working tree that travels: $(mib "$tree") + pack $(mib "$total") = $(mib $(( tree + total ))) (the device takes 64 MiB)"
  fi
  [ "$total" -le $(( PACK_LIMIT_MIB * 1048576 )) ] || die "pack: ${PACK} is over ${PACK_LIMIT_MIB} MiB"
  say "pack: done. On the GPU machine: bash scripts/gpu-bench.sh run   (carry [\"gpu-pack\"])"
}

# ───────────────────────────────────────────── run ──────────────────────────────────────────────

unxz_to() { # unxz_to FILE.xz DEST: xz, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  elif command -v python3 >/dev/null; then python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  else return 1; fi
}

have_lib() { # have_lib NAME: the dynamic loader finds NAME (ldconfig cache or LD_LIBRARY_PATH)
  ldconfig -p 2>/dev/null | grep -q "[[:space:]]$1 " && return 0
  local d llp=${LD_LIBRARY_PATH:-}
  for d in ${llp//:/ } /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
    [ -e "$d/$1" ] && return 0
  done
  return 1
}

machine_info() {
  say "=== machine"
  say "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  say "system: $(uname -srm)$( [ -r /etc/os-release ] && . /etc/os-release && printf ', %s' "${PRETTY_NAME:-}")"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi -L 2>&1 | sed 's/^/gpu: /' || true
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,pcie.link.gen.max --format=csv,noheader 2>&1 \
      | sed 's/^/gpu (name, driver, memory, max SM clock, PCIe gen): /' || true
  else
    say "gpu: nvidia-smi not found (no NVIDIA driver here?)"
  fi
  local cpu
  cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
  say "cpu: ${cpu:-?}, $(nproc) cores available"
  say "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)"
  say "node: $("$NODE" --version) ($NODE_FROM)"
  [ -f "$PACK/pack-info.txt" ] && sed 's/^/pack /' "$PACK/pack-info.txt"
  return 0
}

vulkan_setup() {
  say "=== vulkan"
  local libdirs="" d
  # the driver's own folder in containers/VMs that mount it (e.g. /usr/local/nvidia)
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$d" ] && libdirs+="${libdirs:+:}$d"
  done
  [ -n "${libdirs:-}" ] && export LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if have_lib libvulkan.so.1; then
    say "loader: libvulkan.so.1 is installed"
  else
    local deb
    deb=$(compgen -G "$PACK/debs/libvulkan1_*.deb" | head -1 || true)
    if [ -n "$deb" ] && [ "$(id -u)" = 0 ] && command -v nvidia-smi >/dev/null && command -v dpkg >/dev/null; then
      # a GPU machine (fresh, bare, ours as root): unpack the loader into / as the device notes do,
      # so that everything finds it at its usual path (the gpu engine looks there before it asks Dawn)
      dpkg -x "$deb" / && ldconfig || true
      if have_lib libvulkan.so.1; then
        say "loader: libvulkan.so.1 was NOT installed on this machine; unpacked $(basename "$deb") from the pack into / (dpkg -x; ldconfig)"
      else
        say "loader: libvulkan.so.1 is NOT installed, and unpacking $(basename "$deb") into / failed: WebGPU runs will fail"
      fi
    elif [ -n "$deb" ]; then
      mkdir -p "$SCRATCH/vulkan"
      if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$SCRATCH/vulkan"
      else (cd "$SCRATCH/vulkan" && ar p "$deb" data.tar.xz | tar -xJ); fi
      export LD_LIBRARY_PATH="$SCRATCH/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      if have_lib libvulkan.so.1; then
        say "loader: libvulkan.so.1 is NOT installed on this machine; using the one packed from $(basename "$deb"), unpacked in a temp folder (LD_LIBRARY_PATH; code that looks for the loader at fixed paths will not see it)"
      else
        say "loader: libvulkan.so.1 is NOT installed, and unpacking $(basename "$deb") failed: WebGPU runs will fail"
      fi
    else
      say "loader: libvulkan.so.1 (the Vulkan loader, package libvulkan1) is NOT installed and the pack has none: WebGPU (Dawn) cannot run here; the webgpu benchmarks will fail"
    fi
  fi
  if [ -n "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
    say "icd: as set: VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
  else
    local icd=""
    for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/nvidia/vulkan/icd.d; do
      icd=$(compgen -G "$d/nvidia*icd*.json" | head -1 || true)
      [ -n "$icd" ] && break
    done
    if [ -z "$icd" ] && have_lib libGLX_nvidia.so.0; then
      # the driver is there but its ICD manifest is not: write one
      icd="$SCRATCH/nvidia_icd.json"
      printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0" } }\n' >"$icd"
      say "icd: no nvidia_icd.json found; libGLX_nvidia.so.0 is there, so wrote $icd"
    fi
    if [ -n "$icd" ]; then
      export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
      local lib
      lib=$(grep -o '"library_path"[^,}]*' "$icd" | sed 's/.*: *"\(.*\)"/\1/')
      say "icd: VK_DRIVER_FILES=$icd (library $lib: $( { [ -e "$lib" ] || have_lib "$lib"; } && echo found || echo NOT found))"
    else
      say "icd: no NVIDIA Vulkan ICD (nvidia_icd.json) and no libGLX_nvidia.so.0 found: Dawn will see no NVIDIA GPU"
    fi
  fi
  if command -v vulkaninfo >/dev/null; then
    timeout 20 vulkaninfo --summary 2>&1 | grep -E 'deviceName|driverVersion|apiVersion|driverName' | sed 's/^ */vulkaninfo: /' || true
  fi
  return 0
}

STEPS_OK=0
STEPS_BAD=0
SUMMARY=()
step() { # step NAME LIMIT_S CMD...: run with a time limit (shrunk to what is left of the budget); never stops the script
  local name=$1 limit=$2
  shift 2
  local left=$(( BUDGET - SECONDS ))
  say ""
  say "=== [$name] $*"
  if [ "$left" -lt 15 ]; then
    say "[$name] SKIPPED: the time budget (${BUDGET} s) is spent"
    SUMMARY+=("$name: skipped (budget)"); STEPS_BAD=$(( STEPS_BAD + 1 )); return 0
  fi
  # keep RESERVE seconds for the steps after this one
  [ "$limit" -gt $(( left - 5 - RESERVE )) ] && limit=$(( left - 5 - RESERVE ))
  [ "$limit" -lt 10 ] && limit=10
  local t0 rc=0 secs
  t0=$(date +%s%N)
  if [ "$JSON" = 1 ] && [ -n "${OUT:-}" ] && [ "${STEP_JSON:-0}" = 1 ]; then
    timeout --kill-after=10 "$limit" "$@" >"$SCRATCH/step.out" || rc=$?
    cat "$SCRATCH/step.out"
    cp "$SCRATCH/step.out" "$OUT/gpu-bench-$name.json"
  else
    timeout --kill-after=10 "$limit" "$@" || rc=$?
  fi
  secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  case $rc in
    0) say "[$name] ok (${secs} s)"; SUMMARY+=("$name: ok (${secs} s)"); STEPS_OK=$(( STEPS_OK + 1 )) ;;
    124|137) say "[$name] TIMED OUT after ${limit} s"; SUMMARY+=("$name: timed out (${limit} s)"); STEPS_BAD=$(( STEPS_BAD + 1 )) ;;
    *) say "[$name] FAILED (exit $rc, ${secs} s)"; SUMMARY+=("$name: failed (exit $rc)"); STEPS_BAD=$(( STEPS_BAD + 1 )) ;;
  esac
  return 0
}

bench_step() { # bench_step NAME LIMIT NETWORK ARGS...: skipped plainly where this build has no such bench network
  local name=$1 limit=$2 network=$3
  shift 3
  if ! grep -q "\"$network\"" <<<"$BENCH_HELP"; then
    say ""
    say "=== [$name] bench $network $*"
    say "[$name] SKIPPED: this build's 'nematode bench' has no '$network' network (choices: $(grep -o 'choices: [^]]*' <<<"$BENCH_HELP" | head -1 | cut -d' ' -f2-))"
    SUMMARY+=("$name: skipped (no '$network' bench)"); STEPS_BAD=$(( STEPS_BAD + 1 )); return 0
  fi
  STEP_JSON=1 step "$name" "$limit" "$NODE" "$PACK/nematode.mjs" bench "$network" "$@" ${JSON_FLAG:+"$JSON_FLAG"}
}

run_main() {
  say "gpu-bench run: $(date -u +%Y-%m-%dT%H:%M:%SZ), duration $DURATION, budget ${BUDGET} s, engine $ENGINE${BACKEND:+ backend $BACKEND}"
  # node: the packed binary (the GPU machine may have none), else the one on PATH
  if [ -f "$PACK/node.xz" ] && [ "$SYSTEM_NODE" = 0 ]; then
    unxz_to "$PACK/node.xz" "$SCRATCH/node" || { say "cannot decompress $PACK/node.xz: neither xz nor python3 is here"; return 1; }
    chmod +x "$SCRATCH/node"
    NODE="$SCRATCH/node"; NODE_FROM="packed, unpacked to $SCRATCH"
  elif command -v node >/dev/null; then
    NODE=$(command -v node); NODE_FROM="from PATH"
  else
    say "no node: the pack has no node.xz (packed with --bundle-only?) and there is no node on PATH"; return 1
  fi
  if ! "$NODE" --version >/dev/null 2>&1; then
    say "node does not start here: $("$NODE" --version 2>&1 | head -3)"; return 1
  fi
  if [ -f "$PACK/dawn.node.xz" ]; then
    unxz_to "$PACK/dawn.node.xz" "$SCRATCH/dawn.node"
    export NEMATODE_DAWN_NODE="$SCRATCH/dawn.node"
  elif [ -z "${NEMATODE_DAWN_NODE:-}" ] && [ -f "$ROOT/node_modules/webgpu/dist/linux-x64/dawn.node" ]; then
    export NEMATODE_DAWN_NODE="$ROOT/node_modules/webgpu/dist/linux-x64/dawn.node"
  fi
  machine_info
  vulkan_setup
  BENCH_HELP=$("$NODE" "$PACK/nematode.mjs" bench --help 2>&1 || true)

  local gpu_args=(--engine "$ENGINE")
  [ "$ENGINE" = gpu ] && gpu_args+=(--backend "$BACKEND")
  local tag="$ENGINE${BACKEND:+-$BACKEND}"
  [ "$ENGINE" = gpu ] || tag=$ENGINE

  RESERVE=$LIMIT_CLOCK # the clock comparison keeps its time whatever the gpu runs take
  step webgpu-probe "$LIMIT_PROBE" env NEMATODE_PROBE_TIMEOUT_S=$(( LIMIT_PROBE - 5 )) "$NODE" "$PACK/webgpu-probe.mjs"
  bench_step "coba-$SIZE-$tag" "$LIMIT_GPU" coba --size "$SIZE" "${gpu_args[@]}" --duration "$DURATION"
  bench_step "scaling-$tag" "$LIMIT_SCALING" scaling "${gpu_args[@]}" --duration "$DURATION"
  bench_step "microcircuit-$tag" "$LIMIT_GPU" microcircuit "${gpu_args[@]}" --duration "$DURATION"
  RESERVE=0
  bench_step "coba-$SIZE-clock-2threads" "$LIMIT_CLOCK" coba --size "$SIZE" --engine clock --threads 2 --duration "$DURATION"

  say ""
  say "=== summary ($STEPS_OK ok, $STEPS_BAD not; ${SECONDS} s in all)"
  local s
  for s in "${SUMMARY[@]}"; do say "  $s"; done
  [ "$STEPS_BAD" = 0 ]
}

run_cmd() {
  DURATION="1 s" SIZE=256000 ENGINE=gpu BACKEND=webgpu JSON=0 JSON_FLAG="" SYSTEM_NODE=0
  # the device runs one command for at most 600 s: the steps share BUDGET seconds from the start
  BUDGET=${GPU_BENCH_BUDGET:-560} LIMIT_PROBE=45 LIMIT_GPU=120 LIMIT_SCALING=200 LIMIT_CLOCK=90 RESERVE=0
  local backend_set=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) DURATION="0.1 s" LIMIT_GPU=60 LIMIT_SCALING=120 LIMIT_CLOCK=45 ;;
      --json) JSON=1 JSON_FLAG=--json ;;
      --engine) ENGINE=$2; shift ;;
      --backend) BACKEND=$2; backend_set=1; shift ;;
      --size) SIZE=$2; shift ;;
      --duration) DURATION=$2; shift ;;
      --budget) BUDGET=$2; shift ;;
      --system-node) SYSTEM_NODE=1 ;;
      --dir) PACK=$(realpath -m "$2"); shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "run: unknown option $1 (see --help)" ;;
    esac
    shift
  done
  [ "$ENGINE" = gpu ] || { [ "$backend_set" = 1 ] || BACKEND=""; }
  [ -f "$PACK/nematode.mjs" ] || die "run: $PACK/nematode.mjs is missing: run 'bash scripts/gpu-bench.sh pack' on the dev machine and carry gpu-pack"
  SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nematode-gpu-bench.XXXXXX")
  trap 'rm -rf "$SCRATCH"' EXIT
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    local rc=0
    run_main 2>&1 | tee "$OUT/gpu-bench.log" || rc=$?
    say "gpu-bench: log in $OUT/gpu-bench.log"
    return "$rc"
  fi
  run_main 2>&1
}

case "${1:-}" in
  pack) shift; pack_cmd "$@" ;;
  run) shift; run_cmd "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
