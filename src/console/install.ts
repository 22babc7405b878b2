import { deflateSync } from "node:zlib";
import { Hono } from "hono";

/**
 * What lets an officer put the console on the phone's home screen: a web app manifest and icons, served from
 * the console's own origin so the Content-Security-Policy (default-src 'self') needs no exception. The icon
 * is drawn here (a white shield on the header's navy) rather than shipped as a binary or a new dependency.
 */
const NAVY = [0x1a, 0x36, 0x5d] as const;
const WHITE = [0xff, 0xff, 0xff] as const;
const RED = [0xb0, 0x00, 0x20] as const;

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="18" fill="#1a365d"/>
<path d="M50 16 L78 26 V52 C78 68 66 80 50 86 C34 80 22 68 22 52 V26 Z" fill="#fff"/>
<circle cx="50" cy="50" r="11" fill="#b00020"/>
</svg>`;

/** Inside the shield of ICON_SVG, in unit coordinates (the same shape, sampled). */
function inShield(x: number, y: number): boolean {
  if (y < 0.16 || y > 0.86) return false;
  const top = 0.26 - (0.1 * (0.28 - Math.abs(x - 0.5))) / 0.28;
  if (y < top) return false;
  const half = y <= 0.52 ? 0.28 : 0.28 * Math.sqrt(Math.max(0, 1 - ((y - 0.52) / 0.34) ** 2));
  return Math.abs(x - 0.5) <= half;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGB PNG of the icon at `size` px (home screens want 192 and 512; maskable, so no transparency). */
export function iconPng(size: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const v = (y + 0.5) / size;
      const dot = (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.11 ** 2;
      const colour = dot ? RED : inShield(u, v) ? WHITE : NAVY;
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export const MANIFEST = {
  name: "反诈预警处置",
  short_name: "反诈预警",
  description: "派出所、警务室民警处置反诈预警",
  lang: "zh-CN",
  start_url: "/console",
  scope: "/console",
  display: "standalone",
  background_color: "#f7fafc",
  theme_color: "#1a365d",
  icons: [
    { src: "/console/assets/icon.svg", sizes: "any", type: "image/svg+xml" },
    { src: "/console/assets/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any maskable" },
    { src: "/console/assets/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any maskable" },
  ],
};

export function installRoutes() {
  const app = new Hono();
  const cache = { "cache-control": "public, max-age=86400" };
  const pngs = new Map<number, Buffer>();
  const png = (size: number) => {
    if (!pngs.has(size)) pngs.set(size, iconPng(size));
    return new Uint8Array(pngs.get(size) as Buffer);
  };
  app.get("/manifest.webmanifest", (c) =>
    c.body(JSON.stringify(MANIFEST), 200, { "content-type": "application/manifest+json", ...cache }),
  );
  app.get("/assets/icon.svg", (c) => c.body(ICON_SVG, 200, { "content-type": "image/svg+xml", ...cache }));
  app.get("/assets/icon-192.png", (c) => c.body(png(192), 200, { "content-type": "image/png", ...cache }));
  app.get("/assets/icon-512.png", (c) => c.body(png(512), 200, { "content-type": "image/png", ...cache }));
  return app;
}
