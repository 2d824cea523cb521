// Writes a Brotli (.br) and a gzip (.gz) copy beside each text or WASM file of the built site,
// compressed once at the highest levels, so the server sends them as they are instead of
// compressing on each request. Usage: node scripts/precompress.mjs target/site
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const WORTH = /\.(wasm|js|css|svg|json)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
    } else if (WORTH.test(name) && statSync(path).size >= 1024) {
      const bytes = readFileSync(path);
      writeFileSync(`${path}.br`, brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      }));
      writeFileSync(`${path}.gz`, gzipSync(bytes, { level: 9 }));
    }
  }
}

walk(process.argv[2] ?? 'target/site');
