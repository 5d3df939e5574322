import { build } from 'esbuild';
for (const p of process.argv.slice(2)) {
  try {
    const r = await build({ stdin: { contents: `export * from '${p}'`, resolveDir: process.cwd() + '/packages/cli' }, bundle: true, platform: 'browser', format: 'esm', conditions: ['browser'], write: false, minify: true, logLevel: 'silent' });
    console.log('OK', p, r.outputFiles[0].contents.length);
  } catch (e) { console.log('FAIL', p, e.errors.slice(0,4).map(x => x.text + ' @ ' + x.location?.file).join(' | ')); }
}
