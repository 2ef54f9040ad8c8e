// A local npm registry that serves only the given tarballs, on 127.0.0.1:
// "npm install -g wireguard4netns" against it resolves the optional
// dependencies as it would against registry.npmjs.org, with no network.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { execa } from 'execa';

export interface Registry {
  url: string;
  /** The paths npm asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, object>;
}

export async function serveRegistry(tarballs: string[]): Promise<Registry> {
  const packuments = new Map<string, Packument>();
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '/');
    requests.push(path);
    const file = files.get(path);
    const doc = packuments.get(path.slice(1));
    res.writeHead(file || doc ? 200 : 404, { 'content-type': file ? 'application/octet-stream' : 'application/json' });
    res.end(file ?? JSON.stringify(doc ?? { error: 'not found' }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const tarball of tarballs) {
    const data = readFileSync(tarball);
    const manifest = JSON.parse((await execa('tar', ['-xzOf', tarball, 'package/package.json'])).stdout);
    files.set(`/-/${basename(tarball)}`, data);
    const doc: Packument = packuments.get(manifest.name) ?? { name: manifest.name, 'dist-tags': {}, versions: {} };
    doc['dist-tags'].latest = manifest.version;
    doc.versions[manifest.version] = {
      ...manifest,
      _id: `${manifest.name}@${manifest.version}`,
      dist: {
        tarball: `${url}/-/${basename(tarball)}`,
        integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
        shasum: createHash('sha1').update(data).digest('hex'),
      },
    };
    packuments.set(manifest.name, doc);
  }
  return { url, requests, close: () => new Promise((done) => server.close(() => done())) };
}
