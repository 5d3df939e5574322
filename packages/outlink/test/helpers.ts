import { fileURLToPath } from 'node:url';

export const OVA_MODEL = fileURLToPath(
  new URL('../../fasttext/test/fixtures/ova.bin', import.meta.url),
);
export const USER_AGENT = 'liftwing-outlink-tests/0 (tests@example.org)';
