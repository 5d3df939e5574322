import { describe, expect, it } from 'vitest';
import { examplesOf } from '../check-readme-examples.js';

describe('examplesOf', () => {
  it('takes ts blocks as modules, joins a continued one to the one before, marks runnable ones, skips the rest', () => {
    const markdown = [
      '# A package', //                     1
      '```ts', //                           2
      "const a = 'one';", //                3
      '```', //                             4
      '```sh', //                           5
      'npm install x', //                   6
      '```', //                             7
      '```ts', //                           8
      '// continues the example above', //  9
      'console.log(a);', //                10
      '```', //                            11
      '```ts runnable', //                 12
      'const b = 2;', //                   13
      '```', //                            14
    ].join('\n');
    expect(examplesOf(markdown)).toEqual([
      {
        code: ["const a = 'one';", '// continues the example above', 'console.log(a);'],
        lines: [3, 9, 10],
        runnable: false,
      },
      { code: ['const b = 2;'], lines: [13], runnable: true },
    ]);
  });
});
