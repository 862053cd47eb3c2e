import { describe, expect, it } from 'vitest';
import { settingsPatch, type SettingsForm } from './projects';

const base: SettingsForm = { name: 'A', description: '', overlap: 1, lease_minutes: 30, blind: false, instructions: '', schema: 'media: image' };

describe('settingsPatch', () => {
  it('sends only changed fields', () => {
    expect(settingsPatch(base, { ...base })).toEqual({});
    expect(settingsPatch(base, { ...base, overlap: 3, blind: true, schema: 'media: text' })).toEqual({ overlap: 3, blind: true, label_schema: 'media: text' });
  });
});
