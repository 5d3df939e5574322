import { changeEventOf } from '@liftwing/core';
import { recentChangeEvent } from '@liftwing/test-utils';
import { describe, expect, it } from 'vitest';
import { definitionOf } from '../src/definition.js';

describe('requestFromEvent', () => {
  it("scores a new revision of the model's own wiki only", () => {
    const model = definitionOf({ name: 'xxwiki-damaging', wiki: 'xxwiki', type: 'damaging' });
    const on = (wiki: string, kind = 'edit') =>
      model.requestFromEvent!(changeEventOf(recentChangeEvent({ wiki, kind, revId: 8 }))!);
    expect(on('xxwiki')).toEqual({ rev_id: 8 });
    expect(on('yywiki')).toBeUndefined();
    expect(on('xxwiki', 'log')).toBeUndefined();
  });
});
