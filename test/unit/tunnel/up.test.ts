import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../../src/config/parse.js';
import { validateConfig } from '../../../src/config/validate.js';
import { reresolveList } from '../../../src/tunnel/up.js';
import { configText, KEYS } from '../../helpers/config.js';

const config = (text: string, file = '/c.conf') => validateConfig(file, parseConfigText(file, text));

const reresolve = suite('reresolveList');

reresolve('should list only peers whose endpoint is a host name, as PUBKEYHEX=HOST:PORT', () => {
  const hex = Buffer.from(KEYS.server.public, 'base64').toString('hex');
  assert.equal(reresolveList(config(configText())), []);
  assert.equal(reresolveList(config(configText().replace('198.18.0.2:51820', 'edge.example.net:51820'))), [
    `${hex}=edge.example.net:51820`,
  ]);
});

reresolve.run();
